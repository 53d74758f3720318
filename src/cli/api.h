/* The CLI's client for the running server's REST API (docs/api.md):
 * HTTP/1.1 over the Unix socket (no token: the socket's permissions are
 * the authentication) or over TCP with a bearer token.
 *
 * Every subcommand that talks to the server takes the same options:
 *   --socket PATH        the API socket (default CLI_DEFAULT_SOCKET)
 *   --server HOST[:PORT] use TCP instead (port 80 by default)
 *   --token-file FILE    the bearer token for TCP (else $NETBAY_TOKEN)
 * Add CLI_API_TARGET_LONG_OPTIONS to the subcommand's getopt_long table and
 * pass every option it returns to cli_api_target_take(). */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_API_TIMEOUT_MS      10000
#define CLI_API_RESPONSE_MAX    (16 * 1024 * 1024) /* body, after de-chunking */
#define CLI_API_TOKEN_MAX       129
#define CLI_API_HOST_MAX        256
#define CLI_API_SOCKET_PATH_MAX 108

enum { CLI_API_OPT_SOCKET = 0x1000, CLI_API_OPT_SERVER, CLI_API_OPT_TOKEN_FILE };

/* clang-format off */
#define CLI_API_TARGET_LONG_OPTIONS                                     \
	{"socket", required_argument, NULL, CLI_API_OPT_SOCKET},        \
	{"server", required_argument, NULL, CLI_API_OPT_SERVER},        \
	{"token-file", required_argument, NULL, CLI_API_OPT_TOKEN_FILE}

/* Those options, for a subcommand's usage text (CLI_DEFAULT_SOCKET is cli.h's). */
#define CLI_API_TARGET_USAGE                                                    \
	"API options: --socket PATH (default " CLI_DEFAULT_SOCKET "), --server HOST[:PORT],\n" \
	"             --token-file FILE (TCP; else $NETBAY_TOKEN)\n"
/* clang-format on */

/* Where the API is and how to prove who we are. */
struct cli_api_target {
	char socket[CLI_API_SOCKET_PATH_MAX]; /* used when host is empty */
	char host[CLI_API_HOST_MAX];          /* TCP: name or address; "": the socket */
	uint16_t port;                        /* TCP port */
	char token[CLI_API_TOKEN_MAX];        /* sent over TCP only; "": none */
	int timeout_ms;                       /* for the whole request */
};

/* The defaults: the socket CLI_DEFAULT_SOCKET, the token from $NETBAY_TOKEN. */
void cli_api_target_init(struct cli_api_target *t);

/* Applies one of the CLI_API_TARGET_LONG_OPTIONS (opt as getopt_long returned
 * it). Returns 1 when opt was one of them, 0 when it was not, -EINVAL /
 * -errno with a message in err when its argument is bad. */
int cli_api_target_option(struct cli_api_target *t, int opt, const char *arg, char *err,
                          size_t errlen);

/* For a subcommand's getopt loop: cli_api_target_option(), with a bad argument
 * reported on stderr. False when opt was not applied (the caller exits 2). */
bool cli_api_target_take(struct cli_api_target *t, int opt, const char *arg);

/* "the socket /run/netbay/api.sock" or "netbay.lan:8080", for messages. */
const char *cli_api_target_describe(const struct cli_api_target *t, char *buf, size_t n);

/* Sends one request and reads the whole answer (blocking, at most
 * t->timeout_ms). path is "/api/v1/..." with any variable part already
 * escaped (cli_api_escape_segment); body, when not NULL, is sent as JSON.
 * Returns 0 when an answer arrived, whatever its status: *ret_status is
 * it, *ret_json the parsed JSON body (a new reference) or NULL when the
 * body was empty. Returns -errno with a one-line reason in err when the
 * server could not be reached ("cannot reach netbay at /run/netbay/
 * api.sock: is `netbay serve` running?"), timed out, broke the protocol,
 * or answered with something that is not JSON (a proxy, not netbay). */
int cli_api_request(const struct cli_api_target *t, const char *method, const char *path,
                    json_t *body, json_t **ret_json, int *ret_status, char *err, size_t errlen);

/* The "error" string of an error answer, or NULL. */
const char *cli_api_error_text(const json_t *j);

/* Percent-encodes s for one path segment (RFC 3986 unreserved bytes and
 * ':' are kept). Returns 0, or -ENAMETOOLONG when it does not fit in n. */
int cli_api_escape_segment(const char *s, char *buf, size_t n);
