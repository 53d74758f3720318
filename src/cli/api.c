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
#include "core/wire.h"

/* ---- targets */

void api_target_init(struct api_target *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->socket, sizeof t->socket, "%s", CLI_DEFAULT_SOCKET);
	t->port = 80;
	t->timeout_ms = API_TIMEOUT_MS;
	const char *tok = getenv("NETBAY_TOKEN");
	if (tok)
		snprintf(t->token, sizeof t->token, "%s", tok);
}

static int set_server(struct api_target *t, const char *arg, char *err, size_t errlen)
{
	char host[API_HOST_MAX];
	const char *port = NULL;
	uint64_t p = 80;

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
	return 0;
}

static int read_token_file(struct api_target *t, const char *path, char *err, size_t errlen)
{
	char buf[API_TOKEN_MAX + 2];
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
		         API_TOKEN_MAX - 1);
		return -EINVAL;
	}
	snprintf(t->token, sizeof t->token, "%s", tok);
	return 0;
}

int api_target_option(struct api_target *t, int opt, const char *arg, char *err, size_t errlen)
{
	switch (opt) {
	case API_OPT_SOCKET:
		if (nb_strlcpy(t->socket, arg, sizeof t->socket) < 0) {
			snprintf(err, errlen, "--socket: longer than a socket path may be");
			return -EINVAL;
		}
		t->host[0] = 0;
		return 1;
	case API_OPT_SERVER:
		return set_server(t, arg, err, errlen) < 0 ? -EINVAL : 1;
	case API_OPT_TOKEN_FILE: {
		int r = read_token_file(t, arg, err, errlen);
		return r < 0 ? r : 1;
	}
	default:
		return 0;
	}
}

bool api_target_take(struct api_target *t, int opt, const char *arg)
{
	char err[256];
	int r = api_target_option(t, opt, arg, err, sizeof err);
	if (r < 0)
		fprintf(stderr, "netbay: %s\n", err);
	return r > 0;
}

const char *api_target_describe(const struct api_target *t, char *buf, size_t n)
{
	if (!t->host[0])
		snprintf(buf, n, "%s", t->socket);
	else if (strchr(t->host, ':'))
		snprintf(buf, n, "[%s]:%u", t->host, t->port);
	else
		snprintf(buf, n, "%s:%u", t->host, t->port);
	return buf;
}

int api_escape_segment(const char *s, char *buf, size_t n)
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

const char *api_error_text(const json_t *j)
{
	return json_string_value(json_object_get(j, "error"));
}

/* ---- the response parser */

/* The next line (LF-terminated; a CR before the LF is dropped) as a cursor
 * of its own; false when no complete line is there yet (w is unmoved). */
static bool take_line(struct wire *w, struct wire *ret)
{
	struct wire scan = *w;
	size_t n = 0;
	while (wire_left(&scan)) {
		n++;
		if (wire_u8(&scan) != '\n')
			continue;
		struct wire line = wire_take(w, n);
		size_t len = n - 1;
		struct wire last = wire_at(&line, wire_offset(&line) + len - 1);
		if (len && wire_u8(&last) == '\r')
			len--;
		*ret = wire_take(&line, len);
		return true;
	}
	return false;
}

/* Copies a line into buf as a string; false if it does not fit or holds
 * a control byte other than HTAB. */
static bool line_str(struct wire line, char *buf, size_t n)
{
	size_t len = wire_left(&line);
	if (len >= n)
		return false;
	wire_bytes(&line, buf, len);
	buf[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char) buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f)
			return false;
	return true;
}

struct head {
	int status;
	bool chunked;
	int64_t length; /* -1: none */
	char type[64];
	char date[64];
	char server[64];
};

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* One header line into h. RFC 9112 §5: no whitespace before the colon, no
 * obsolete line folding. */
static int header(char *s, struct head *h, size_t body_max)
{
	char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return -EBADMSG;
	for (char *p = s; p < colon; p++)
		if (!is_tchar(*p))
			return -EBADMSG;
	*colon = 0;
	char *v = nb_strstrip(colon + 1);
	if (strcasecmp(s, "Transfer-Encoding") == 0) {
		if (h->chunked || strcasecmp(v, "chunked") != 0)
			return -EBADMSG; /* no other coding is asked for or understood */
		h->chunked = true;
	} else if (strcasecmp(s, "Content-Length") == 0) {
		uint64_t n;
		if (nb_parse_uint(v, 0, UINT64_MAX, &n) < 0 || strlen(v) > 19)
			return -EBADMSG;
		if (h->length >= 0 && (uint64_t) h->length != n)
			return -EBADMSG; /* two lengths: which body is it? */
		if (n > body_max)
			return -EFBIG;
		h->length = (int64_t) n;
	} else if (strcasecmp(s, "Content-Type") == 0) {
		snprintf(h->type, sizeof h->type, "%s", v);
	} else if (strcasecmp(s, "Date") == 0) {
		if (nb_strlcpy(h->date, v, sizeof h->date) < 0)
			h->date[0] = 0; /* a cut date would be a wrong date */
	} else if (strcasecmp(s, "Server") == 0) {
		snprintf(h->server, sizeof h->server, "%s", v);
	}
	return 0;
}

/* "HTTP/1.1 200 OK" */
static int status_line(const char *s)
{
	if (strncmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return -EBADMSG;
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
	if (s[12] != ' ' && s[12] != 0)
		return -EBADMSG;
	int st = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return st < 100 || st > 599 ? -EBADMSG : st;
}

/* Reads the status line and headers; 0 when they are not all there yet. */
static int parse_head(struct wire *w, struct head *h, size_t body_max)
{
	char line[API_HEADER_MAX + 1];
	struct wire l;
	size_t start = wire_offset(w);

	*h = (struct head){.length = -1};
	for (bool first = true;; first = false) {
		if (!take_line(w, &l))
			return wire_offset(w) - start + wire_left(w) > API_HEADER_MAX ? -E2BIG : 0;
		if (wire_offset(w) - start > API_HEADER_MAX)
			return -E2BIG;
		if (!line_str(l, line, sizeof line))
			return -EBADMSG;
		if (first) {
			h->status = status_line(line);
			if (h->status < 0)
				return h->status;
			continue;
		}
		if (!line[0])
			return 1;
		if (line[0] == ' ' || line[0] == '\t')
			return -EBADMSG; /* obs-fold */
		int r = header(line, h, body_max);
		if (r < 0)
			return r;
	}
}

/* Walks a chunked body; copies it into out (when not NULL). Returns 1 and
 * the decoded size, 0 when incomplete, or an error. */
static int chunks(struct wire *w, size_t body_max, char *out, size_t *ret_len)
{
	char line[128];
	struct wire l;
	size_t total = 0;

	for (;;) {
		uint64_t size = 0;
		size_t digits = 0;
		if (!take_line(w, &l))
			return wire_left(w) > sizeof line ? -EBADMSG : 0;
		if (!line_str(l, line, sizeof line))
			return -EBADMSG;
		for (const char *p = line; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
			int v = *p >= '0' && *p <= '9'                     ? *p - '0'
			        : (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f' ? (*p | 0x20) - 'a' + 10
			                                                   : -1;
			if (v < 0 || ++digits > 15)
				return -EBADMSG;
			size = size << 4 | (uint64_t) v;
		}
		if (!digits)
			return -EBADMSG;
		if (size > body_max - total)
			return -EFBIG;
		if (size == 0)
			break;
		if (wire_left(w) < size)
			return 0;
		if (out)
			wire_bytes(w, out + total, (size_t) size);
		else
			wire_skip(w, (size_t) size);
		total += (size_t) size;
		if (!take_line(w, &l))
			return wire_left(w) >= 2 ? -EBADMSG : 0;
		if (wire_left(&l))
			return -EBADMSG; /* data longer than its size said */
	}
	/* trailer fields, then the empty line */
	for (size_t n = 0;; n++) {
		if (!take_line(w, &l))
			return wire_left(w) > API_HEADER_MAX ? -E2BIG : 0;
		if (!wire_left(&l))
			break;
		if (n > 64 || !line_str(l, line, sizeof line) || !strchr(line, ':'))
			return -EBADMSG;
	}
	*ret_len = total;
	return 1;
}

int api_response_parse(const void *buf, size_t len, bool eof, bool head, size_t body_max,
                       struct api_response *ret)
{
	struct wire w = wire_init(buf, len);
	struct head h;
	size_t body_len = 0;
	int r;

	for (;;) {
		r = parse_head(&w, &h, body_max);
		if (r == 0 && eof)
			return -EBADMSG;
		if (r <= 0)
			return r;
		if (h.status >= 200 || h.status == 101)
			break;
		/* 1xx: an interim response; the real one follows */
	}
	bool none = head || h.status == 204 || h.status == 304 || h.status == 101;
	struct wire body = w;
	if (none) {
		body_len = 0;
	} else if (h.chunked) {
		r = chunks(&w, body_max, NULL, &body_len);
		if (r == 0 && eof)
			return -EBADMSG;
		if (r <= 0)
			return r;
	} else if (h.length >= 0) {
		if (wire_left(&w) < (uint64_t) h.length)
			return eof ? -EBADMSG : 0;
		body_len = (size_t) h.length;
	} else {
		if (wire_left(&w) > body_max)
			return -EFBIG;
		if (!eof)
			return 0;
		body_len = wire_left(&w);
	}
	char *out = malloc(body_len + 1);
	if (!out)
		return -ENOMEM;
	if (!none && h.chunked)
		(void) chunks(&body, body_max, out, &body_len);
	else
		wire_bytes(&body, out, body_len);
	out[body_len] = 0;
	*ret = (struct api_response){.status = h.status, .body = out, .body_len = body_len};
	snprintf(ret->content_type, sizeof ret->content_type, "%s", h.type);
	snprintf(ret->date, sizeof ret->date, "%s", h.date);
	snprintf(ret->server, sizeof ret->server, "%s", h.server);
	return 1;
}

void api_response_done(struct api_response *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- the transport */

static int64_t left_ms(int64_t deadline)
{
	int64_t l = deadline - nb_now_ms();
	return l < 0 ? 0 : l;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	for (;;) {
		int n = poll(&p, 1, (int) NB_MIN(left_ms(deadline), 1 << 30));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_unix(const struct api_target *t, int64_t deadline)
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

static int connect_tcp(const struct api_target *t, int64_t deadline)
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
		r = wait_fd(fd, POLLOUT, deadline);
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
			int r = wait_fd(fd, POLLOUT, deadline);
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

/* Reads until the parser has a whole response. */
static int receive(int fd, bool head, int64_t deadline, struct api_response *ret)
{
	NB_CLEANUP(freep) char *buf = NULL;
	size_t len = 0, cap = 0, max = API_HEADER_MAX + 2 * (size_t) API_RESPONSE_MAX;
	bool eof = false;

	for (;;) {
		int r = api_response_parse(buf ? buf : "", len, eof, head, API_RESPONSE_MAX, ret);
		if (r != 0 || eof)
			return r == 0 ? -EBADMSG : r < 0 ? r : 0;
		if (len == max)
			return -EFBIG;
		if (nb_grow(&buf, &cap, len + 1, 1) < 0)
			return -ENOMEM;
		ssize_t k = recv(fd, buf + len, NB_MIN(cap, max) - len, 0);
		if (k < 0 && errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k < 0 && errno != EINTR)
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		if (k == 0)
			eof = true;
		if (k > 0)
			len += (size_t) k;
	}
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

static void reach_error(const struct api_target *t, int r, char *err, size_t errlen)
{
	char where[API_HOST_MAX + 16];
	api_target_describe(t, where, sizeof where);
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

int api_request(const struct api_target *t, const char *method, const char *path, json_t *body,
                json_t **ret_json, int *ret_status, char *err, size_t errlen)
{
	NB_CLEANUP(freep) char *text = NULL, *req = NULL;
	char auth[API_TOKEN_MAX + 32] = "", clen[80] = "", where[API_HOST_MAX + 16];
	struct api_response resp;
	int64_t deadline = nb_now_ms() + (t->timeout_ms > 0 ? t->timeout_ms : API_TIMEOUT_MS);
	bool tcp = t->host[0] != 0;

	if (!path_ok(path) || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method) ||
	    !method[0]) {
		snprintf(err, errlen, "bad request line: %s %s", method, path);
		return -EINVAL;
	}
	for (const char *p = tcp ? t->token : ""; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f) {
			snprintf(err, errlen, "the token holds spaces or control characters");
			return -EINVAL;
		}
	if (body && !(text = json_dumps(body, JSON_COMPACT))) {
		snprintf(err, errlen, "cannot encode the request body");
		return -EINVAL;
	}
	if (tcp && t->token[0])
		snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", t->token);
	if (text)
		snprintf(clen, sizeof clen,
		         "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(text));
	api_target_describe(t, where, sizeof where);
	int n = asprintf(&req,
	                 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netbay/" NETBAY_VERSION
	                 "\r\nAccept: application/json\r\nConnection: close\r\n%s%s\r\n%s",
	                 method, path, tcp ? where : "localhost", auth, clen, text ? text : "");
	if (n < 0) {
		req = NULL;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}

	int fd = tcp ? connect_tcp(t, deadline) : connect_unix(t, deadline);
	if (fd < 0) {
		reach_error(t, fd, err, errlen);
		return fd;
	}
	int r = send_all(fd, req, (size_t) n, deadline);
	if (r == 0)
		r = receive(fd, strcmp(method, "HEAD") == 0, deadline, &resp);
	close(fd);
	if (r < 0) {
		reach_error(t, r, err, errlen);
		return r;
	}
	json_t *j = NULL;
	if (resp.body_len) {
		json_error_t je;
		j = json_loadb(resp.body, resp.body_len, 0, &je);
		if (!j) {
			snprintf(err, errlen,
			         "the answer from %s (HTTP %d) is not JSON: is it netbay, or "
			         "something "
			         "in between?",
			         where, resp.status);
			api_response_done(&resp);
			return -EBADMSG;
		}
	}
	*ret_status = resp.status;
	*ret_json = j;
	api_response_done(&resp);
	return 0;
}
