#include "cli/api.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "httpc/httpc.h"
#include "httpc/tls.h"

/* ---- targets */

void cli_api_target_init(struct cli_api_target *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->socket, sizeof t->socket, "%s", CLI_DEFAULT_SOCKET);
	t->port = 443;
	t->tls = true;
	t->timeout_ms = CLI_API_TIMEOUT_MS;
	const char *tok = getenv("NETBAY_TOKEN");
	if (tok)
		snprintf(t->token, sizeof t->token, "%s", tok);
	const char *fp = getenv("NETBAY_FINGERPRINT");
	t->have_pin = fp && tls_fingerprint_parse(fp, t->pin) == 0;
}

static int set_server(struct cli_api_target *t, const char *arg, char *err, size_t errlen)
{
	char host[CLI_API_HOST_MAX];
	const char *port = NULL;
	bool tls = true;

	if (strncasecmp(arg, "https://", 8) == 0) {
		arg += 8;
	} else if (strncasecmp(arg, "http://", 7) == 0) {
		arg += 7;
		tls = false;
	}
	uint64_t p = tls ? 443 : 80;
	if (arg[0] && arg[strlen(arg) - 1] == '/') {
		snprintf(err, errlen, "--server '%s': give HOST[:PORT] without a path", arg);
		return -EINVAL;
	}

	if (arg[0] == '[') { /* [v6]:port */
		const char *close = strchr(arg, ']');
		if (!close || (close[1] && close[1] != ':') ||
		    (size_t) (close - arg) > sizeof host) {
			snprintf(err, errlen, "--server '%s' is not HOST[:PORT]", arg);
			return -EINVAL;
		}
		snprintf(host, sizeof host, "%.*s", (int) (close - arg - 1), arg + 1);
		port = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strrchr(arg, ':');
		if (colon && strchr(arg, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		if (nb_strlcpy(host, arg, sizeof host) < 0) {
			snprintf(err, errlen, "--server: the host name is too long");
			return -EINVAL;
		}
		if (colon) {
			host[colon - arg] = 0;
			port = colon + 1;
		}
	}
	if (!host[0] || (port && nb_parse_uint(port, 1, 65535, &p) < 0)) {
		snprintf(err, errlen, "--server '%s' is not HOST[:PORT] with a port 1-65535", arg);
		return -EINVAL;
	}
	snprintf(t->host, sizeof t->host, "%s", host);
	t->port = (uint16_t) p;
	t->port_given = port != NULL;
	t->tls = tls;
	return 0;
}

static int read_token_file(struct cli_api_target *t, const char *path, char *err, size_t errlen)
{
	char buf[CLI_API_TOKEN_MAX + 2];
	FILE *f = fopen(path, "re");
	if (!f) {
		int r = -errno;
		snprintf(err, errlen, "--token-file %s: %s", path, strerror(errno));
		return r;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *tok = nb_strstrip(buf);
	if (!tok[0] || strlen(tok) >= sizeof t->token || strpbrk(tok, " \t\r\n")) {
		snprintf(err, errlen,
		         "--token-file %s: expected one token of at most %d characters", path,
		         CLI_API_TOKEN_MAX - 1);
		return -EINVAL;
	}
	snprintf(t->token, sizeof t->token, "%s", tok);
	return 0;
}

int cli_api_target_option(struct cli_api_target *t, int opt, const char *arg, char *err,
                          size_t errlen)
{
	switch (opt) {
	case CLI_API_OPT_SOCKET:
		if (nb_strlcpy(t->socket, arg, sizeof t->socket) < 0) {
			snprintf(err, errlen, "--socket: longer than a socket path may be");
			return -EINVAL;
		}
		t->host[0] = 0;
		return 1;
	case CLI_API_OPT_SERVER:
		return set_server(t, arg, err, errlen) < 0 ? -EINVAL : 1;
	case CLI_API_OPT_TOKEN_FILE: {
		int r = read_token_file(t, arg, err, errlen);
		return r < 0 ? r : 1;
	}
	case CLI_API_OPT_FINGERPRINT:
		if (tls_fingerprint_parse(arg, t->pin) < 0) {
			snprintf(err, errlen,
			         "--fingerprint '%.120s' is not a SHA-256 fingerprint (32 hex "
			         "pairs, "
			         "AB:CD:...)",
			         arg);
			return -EINVAL;
		}
		t->have_pin = true;
		return 1;
	case CLI_API_OPT_CACERT:
		if (nb_strlcpy(t->ca_file, arg, sizeof t->ca_file) < 0 || !arg[0]) {
			snprintf(err, errlen, "--cacert: not a file name");
			return -EINVAL;
		}
		return 1;
	case CLI_API_OPT_PLAIN_TOKEN:
		t->plain_token = true;
		return 1;
	default:
		return 0;
	}
}

bool cli_api_target_take(struct cli_api_target *t, int opt, const char *arg)
{
	char err[256];
	int r = cli_api_target_option(t, opt, arg, err, sizeof err);
	if (r < 0)
		fprintf(stderr, "netbay: %s\n", err);
	return r > 0;
}

const char *cli_api_target_describe(const struct cli_api_target *t, char *buf, size_t n)
{
	const char *scheme = t->tls ? "https" : "http";
	if (!t->host[0])
		snprintf(buf, n, "%s", t->socket);
	else if (strchr(t->host, ':'))
		snprintf(buf, n, "%s://[%s]:%u", scheme, t->host, t->port);
	else
		snprintf(buf, n, "%s://%s:%u", scheme, t->host, t->port);
	return buf;
}

int cli_api_escape_segment(const char *s, char *buf, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || strchr("-._~:", c);
		if (o + (keep ? 1 : 3) >= n)
			return -ENAMETOOLONG;
		if (keep) {
			buf[o++] = (char) c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (o >= n)
		return -ENAMETOOLONG;
	buf[o] = 0;
	return 0;
}

const char *cli_api_error_text(const json_t *j)
{
	return json_string_value(json_object_get(j, "error"));
}

/* ---- the transport */

static int connect_unix(const struct cli_api_target *t, int64_t deadline)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (nb_strlcpy(sun.sun_path, t->socket, sizeof sun.sun_path) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
		int r = errno == EAGAIN ? -EBUSY : -errno; /* EAGAIN: the backlog is full */
		close(fd);
		return r;
	}
	return fd;
}

static int connect_tcp(const struct cli_api_target *t, int64_t deadline)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char port[8];
	int r = -EHOSTUNREACH;

	snprintf(port, sizeof port, "%u", t->port);
	int g = getaddrinfo(t->host, port, &hints, &res);
	if (g != 0)
		return g == EAI_NONAME || g == EAI_NODATA ? -ENXIO : -EHOSTUNREACH;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		                a->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			r = -errno;
			close(fd);
			continue;
		}
		int e = 0;
		socklen_t elen = sizeof e;
		r = httpc_wait_fd(fd, POLLOUT, deadline);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0) {
			freeaddrinfo(res);
			return fd;
		}
		if (r == 0)
			r = -(e ? e : EIO);
		close(fd);
		if (r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return r;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EAGAIN) {
			int r = httpc_wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0) {
			p += k;
			n -= (size_t) k;
		}
	}
	return 0;
}

static bool path_ok(const char *path)
{
	if (path[0] != '/')
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
			return false;
	return true;
}

static void reach_error(const struct cli_api_target *t, int r, char *err, size_t errlen)
{
	char where[CLI_API_HOST_MAX + 24];
	cli_api_target_describe(t, where, sizeof where);
	switch (r) {
	case -ENOENT:
	case -ECONNREFUSED:
		snprintf(err, errlen, "cannot reach netbay at %s: is `netbay serve` running?",
		         where);
		break;
	case -EACCES:
	case -EPERM:
		snprintf(err, errlen,
		         "cannot reach netbay at %s: permission denied (run as root or as a member "
		         "of the socket's group)",
		         where);
		break;
	case -ENXIO:
		snprintf(err, errlen, "cannot reach netbay at %s: no such host", where);
		break;
	case -EBUSY:
		snprintf(err, errlen, "cannot reach netbay at %s: too busy to accept", where);
		break;
	case -ETIMEDOUT:
		snprintf(err, errlen, "netbay at %s did not answer within %d ms", where,
		         t->timeout_ms);
		break;
	case -EBADMSG:
		snprintf(err, errlen, "the answer from %s is not valid HTTP", where);
		break;
	case -E2BIG:
	case -EFBIG:
		snprintf(err, errlen, "the answer from %s is too large", where);
		break;
	default:
		snprintf(err, errlen, "cannot talk to netbay at %s: %s", where, strerror(-r));
	}
}

/* Whether the target's TCP settings make sense together; the reason in err. */
static int target_check(const struct cli_api_target *t, char *err, size_t errlen)
{
	char where[CLI_API_HOST_MAX + 24];
	cli_api_target_describe(t, where, sizeof where);
	if (!t->tls && (t->have_pin || t->ca_file[0]))
		return nb_errf(err, errlen, -EINVAL,
		               "--fingerprint and --cacert are for https://, not %s", where);
	if (!t->tls && t->token[0] && !t->plain_token)
		return nb_errf(err, errlen, -EPERM,
		               "not sending the API token to %s: it would cross the network in "
		               "clear; use https:// (the server's [api] listen) or "
		               "--allow-plain-token",
		               where);
	for (const char *p = t->token; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
			return nb_errf(err, errlen, -EINVAL,
			               "the token holds spaces or control characters");
	return 0;
}

/* The request's bytes; *ret malloc'd. Returns the length or -errno. */
static int build_request(const struct cli_api_target *t, const char *method, const char *path,
                         json_t *body, char **ret, char *err, size_t errlen)
{
	NB_CLEANUP(freep) char *text = NULL;
	char auth[CLI_API_TOKEN_MAX + 32] = "", clen[80] = "", host[CLI_API_HOST_MAX + 8];
	bool tcp = t->host[0] != 0;

	if (!path_ok(path) || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method) ||
	    !method[0])
		return nb_errf(err, errlen, -EINVAL, "bad request line: %s %s", method, path);
	if (body && !(text = json_dumps(body, JSON_COMPACT)))
		return nb_errf(err, errlen, -EINVAL, "cannot encode the request body");
	if (tcp && t->token[0])
		snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", t->token);
	if (text)
		snprintf(clen, sizeof clen,
		         "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(text));
	if (!tcp)
		snprintf(host, sizeof host, "localhost");
	else if (strchr(t->host, ':'))
		snprintf(host, sizeof host, "[%s]:%u", t->host, t->port);
	else
		snprintf(host, sizeof host, "%s:%u", t->host, t->port);
	int n = asprintf(ret,
	                 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netbay/" NETBAY_VERSION
	                 "\r\nAccept: application/json\r\nConnection: close\r\n%s%s\r\n%s",
	                 method, path, host, auth, clen, text ? text : "");
	if (n < 0)
		return nb_errf(err, errlen, -ENOMEM, "out of memory");
	return n;
}

/* Over HTTPS: the certificate checked, then the request; the answer in resp. */
static int exchange_tls(const struct cli_api_target *t, int fd, const char *req, size_t n,
                        bool head, int64_t deadline, struct httpc_response *resp, char *err,
                        size_t errlen)
{
	struct httpc_tls_opts o = {.server_name = t->host,
	                           .pin = t->have_pin ? t->pin : NULL,
	                           .verify = true,
	                           .ca_file = t->ca_file[0] ? t->ca_file : NULL};
	struct httpc_tls *s = NULL;
	char why[600], where[CLI_API_HOST_MAX + 24];
	int r = httpc_tls_open(fd, &o, deadline, &s, why, sizeof why);
	if (r < 0) {
		cli_api_target_describe(t, where, sizeof where);
		snprintf(err, errlen, "cannot talk to netbay at %s: %s%s", where, why,
		         r == -EKEYREJECTED && !t->have_pin && !t->ca_file[0]
		                 ? "; pin it with --fingerprint SHA256 (netbay logs it at start, "
		                   "GET /api/v1/health shows it) or give --cacert FILE"
		                 : "");
		return r;
	}
	r = httpc_tls_send(s, req, n, deadline);
	if (r == 0)
		r = httpc_receive_from(httpc_tls_read, s, head, CLI_API_RESPONSE_MAX,
		                       HTTPC_HEADER_MAX + 2 * (size_t) CLI_API_RESPONSE_MAX,
		                       deadline, resp);
	httpc_tls_close(s);
	if (r < 0)
		reach_error(t, r, err, errlen);
	return r;
}

/* Connects, sends req and reads the answer into resp. */
static int exchange(const struct cli_api_target *t, const char *req, size_t n, bool head,
                    int64_t deadline, struct httpc_response *resp, char *err, size_t errlen)
{
	bool tcp = t->host[0] != 0;
	int fd = tcp ? connect_tcp(t, deadline) : connect_unix(t, deadline);
	if (fd < 0) {
		reach_error(t, fd, err, errlen);
		return fd;
	}
	NB_CLEANUP(closep) int cfd = fd;
	if (tcp && t->tls)
		return exchange_tls(t, cfd, req, n, head, deadline, resp, err, errlen);
	int r = send_all(cfd, req, n, deadline);
	if (r == 0)
		r = httpc_receive(cfd, head, CLI_API_RESPONSE_MAX,
		                  HTTPC_HEADER_MAX + 2 * (size_t) CLI_API_RESPONSE_MAX, deadline,
		                  resp);
	if (r < 0)
		reach_error(t, r, err, errlen);
	return r;
}

int cli_api_request(const struct cli_api_target *t, const char *method, const char *path,
                    json_t *body, json_t **ret_json, int *ret_status, char *err, size_t errlen)
{
	NB_CLEANUP(freep) char *req = NULL;
	char where[CLI_API_HOST_MAX + 24];
	struct httpc_response resp;
	int64_t deadline = nb_now_ms() + (t->timeout_ms > 0 ? t->timeout_ms : CLI_API_TIMEOUT_MS);
	int r;

	if (t->host[0] && (r = target_check(t, err, errlen)) < 0)
		return r;
	int n = build_request(t, method, path, body, &req, err, errlen);
	if (n < 0)
		return n;
	r = exchange(t, req, (size_t) n, strcmp(method, "HEAD") == 0, deadline, &resp, err, errlen);
	if (r < 0)
		return r;
	json_t *j = NULL;
	if (resp.body_len) {
		json_error_t je;
		j = json_loadb(resp.body, resp.body_len, 0, &je);
		if (!j) {
			cli_api_target_describe(t, where, sizeof where);
			snprintf(err, errlen,
			         "the answer from %s (HTTP %d) is not JSON: is it netbay, or "
			         "something in between?",
			         where, resp.status);
			httpc_response_done(&resp);
			return -EBADMSG;
		}
	}
	*ret_status = resp.status;
	*ret_json = j;
	httpc_response_done(&resp);
	return 0;
}
