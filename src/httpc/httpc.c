/* The HTTP/1 response parser (RFC 9112) and the receive loop; see
 * httpc/httpc.h. Every byte is read through the wire cursor. */
#include "httpc/httpc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/util.h"
#include "core/wire.h"

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
	char line[HTTPC_HEADER_MAX + 1];
	struct wire l;
	size_t start = wire_offset(w);

	*h = (struct head){.length = -1};
	for (bool first = true;; first = false) {
		if (!take_line(w, &l))
			return wire_offset(w) - start + wire_left(w) > HTTPC_HEADER_MAX ? -E2BIG
			                                                                : 0;
		if (wire_offset(w) - start > HTTPC_HEADER_MAX)
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
			return wire_left(w) > HTTPC_HEADER_MAX ? -E2BIG : 0;
		if (!wire_left(&l))
			break;
		if (n > 64 || !line_str(l, line, sizeof line) || !strchr(line, ':'))
			return -EBADMSG;
	}
	*ret_len = total;
	return 1;
}

int httpc_response_parse(const void *buf, size_t len, bool eof, bool head, size_t body_max,
                         struct httpc_response *ret)
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
	*ret = (struct httpc_response){.status = h.status, .body = out, .body_len = body_len};
	snprintf(ret->content_type, sizeof ret->content_type, "%s", h.type);
	snprintf(ret->date, sizeof ret->date, "%s", h.date);
	snprintf(ret->server, sizeof ret->server, "%s", h.server);
	return 1;
}

void httpc_response_done(struct httpc_response *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- reading from a socket */

int httpc_wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	for (;;) {
		int64_t left = NB_MAX(deadline_ms - nb_now_ms(), 0);
		int n = poll(&p, 1, (int) NB_MIN(left, 1 << 30));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int httpc_receive_from(httpc_read_fn rd, void *ctx, bool head, size_t body_max, size_t buf_max,
                       int64_t deadline_ms, struct httpc_response *ret)
{
	NB_CLEANUP(freep) char *buf = NULL;
	size_t len = 0, cap = 0;
	bool eof = false;

	for (;;) {
		int r = httpc_response_parse(buf ? buf : "", len, eof, head, body_max, ret);
		if (r != 0 || eof)
			return r == 0 ? -EBADMSG : r < 0 ? r : 0;
		if (len >= buf_max)
			return -EFBIG;
		if (nb_grow(&buf, &cap, len + 1, 1) < 0)
			return -ENOMEM;
		ssize_t k = rd(ctx, buf + len, NB_MIN(cap, buf_max) - len, deadline_ms);
		if (k < 0)
			return (int) k;
		if (k == 0)
			eof = true;
		len += (size_t) k;
	}
}

/* httpc_read_fn over a plain non-blocking socket. */
static ssize_t sock_read(void *ctx, void *buf, size_t n, int64_t deadline_ms)
{
	int fd = *(int *) ctx;
	for (;;) {
		ssize_t k = recv(fd, buf, n, 0);
		if (k >= 0)
			return k;
		if (errno == EAGAIN) {
			int r = httpc_wait_fd(fd, POLLIN, deadline_ms);
			if (r < 0)
				return r;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
}

int httpc_receive(int fd, bool head, size_t body_max, size_t buf_max, int64_t deadline_ms,
                  struct httpc_response *ret)
{
	return httpc_receive_from(sock_read, &fd, head, body_max, buf_max, deadline_ms, ret);
}
