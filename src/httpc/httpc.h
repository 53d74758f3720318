/* The HTTP/1 client side both the CLI (cli/api.c, talking to the running
 * server's API) and the doctor (talking to whatever answers on a port)
 * need: a response parser that reads bytes as they come, and the loop
 * that reads one response from a socket. No policy: what a status or a
 * body means is the caller's business. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTPC_HEADER_MAX (16 * 1024) /* status line and headers */

struct httpc_response {
	int status;
	char *body; /* malloc'd and NUL-terminated (also when empty) */
	size_t body_len;
	char content_type[64];
	char date[64];   /* the Date header ("" when absent or too long) */
	char server[64]; /* the Server header, cut to fit ("" when absent) */
};

/* Parses one HTTP/1.x response from the len bytes received so far; eof
 * says the peer has closed. head: the request was HEAD (no body whatever
 * the headers say). 1xx interim responses are skipped. A body is framed
 * by Transfer-Encoding: chunked, else Content-Length, else the end of the
 * connection. Returns 1 when complete (*ret filled; free with
 * httpc_response_done), 0 when more bytes are needed, -EBADMSG when the
 * bytes are not a valid response (or end too early), -E2BIG when the
 * headers pass HTTPC_HEADER_MAX, -EFBIG when the body passes body_max. */
int httpc_response_parse(const void *buf, size_t len, bool eof, bool head, size_t body_max,
                         struct httpc_response *ret);
/* Frees r's body (r itself is the caller's); NULL-safe on the body. */
void httpc_response_done(struct httpc_response *r);

/* Waits until the non-blocking fd has events (poll), at most until
 * deadline_ms (nb_now_ms() clock). Returns 0, -ETIMEDOUT or -errno. */
int httpc_wait_fd(int fd, short events, int64_t deadline_ms);

/* Reads one whole response (after the request was sent) from the
 * non-blocking socket fd, parsing as bytes come, until deadline_ms. At most
 * buf_max bytes are taken in. Returns 0 with *ret filled (free with
 * httpc_response_done), or what the parser said (-EBADMSG also when the
 * peer closed early, -E2BIG, -EFBIG), -EFBIG when buf_max bytes came
 * without a complete response, -ETIMEDOUT, -ENOMEM or -errno of recv. */
int httpc_receive(int fd, bool head, size_t body_max, size_t buf_max, int64_t deadline_ms,
                  struct httpc_response *ret);

/* Reads what has arrived into buf (at most n bytes), waiting until
 * deadline_ms when nothing has: > 0 bytes, 0 at the end of the stream,
 * -ETIMEDOUT or another -errno. */
typedef ssize_t (*httpc_read_fn)(void *ctx, void *buf, size_t n, int64_t deadline_ms);
/* httpc_receive() over any stream (a TLS session: httpc/tls.h). */
int httpc_receive_from(httpc_read_fn rd, void *ctx, bool head, size_t body_max, size_t buf_max,
                       int64_t deadline_ms, struct httpc_response *ret);
