/* One HTTP request as the boot and API handlers see it, and the reply they
 * describe. server.c turns the connection into a struct http_req and the
 * struct http_reply into a libmicrohttpd response, so the handlers run
 * (and are tested) without sockets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_req {
	const char *method;   /* "GET", "HEAD", "POST"... */
	const char *path;     /* percent-decoded, without the query */
	const char *client;   /* printable peer for logs: "10.0.0.5:49152", "unix:pid=1,uid=0" */
	uint32_t client_ip;   /* host order; 0 on the Unix socket */
	const char *server;   /* "ADDRESS:PORT" the client connected to (iPXE scripts) */
	const char *range;    /* Range header, or NULL */
	const char *if_range; /* If-Range header, or NULL */
	const char *body;     /* request body (API), or NULL */
	size_t body_len;
};

struct http_reply {
	unsigned status;
	const char *type;   /* Content-Type (a string literal), or NULL */
	char *body;         /* malloc'd body, or NULL */
	size_t body_len;    /* */
	int fd;             /* a file to send (owned), or -1 */
	uint64_t off, len;  /* the part of fd to send */
	uint64_t size;      /* the whole file's size (Content-Range) */
	bool partial;       /* 206: Content-Range: bytes off-(off+len-1)/size */
	bool unsatisfiable; /* 416: Content-Range: bytes * /size */
	int64_t mtime;      /* Last-Modified (wall seconds) when > 0 */
	bool no_store;      /* Cache-Control: no-store */
	char allow[48];     /* 405: the Allow header */
	bool challenge;     /* 401: WWW-Authenticate: Bearer */
	char why[200];      /* status >= 400: what went wrong, for the log line */
};

/* An empty reply (status 500 until a handler sets one, fd -1). */
void http_reply_init(struct http_reply *rp);
/* Frees the body and closes the fd (both may have been taken). */
void http_reply_done(struct http_reply *rp);

/* Sets status, why (printf-style) and a text/plain body that says the same. */
void http_reply_text(struct http_reply *rp, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define HTTP_DATE_LEN 30
/* An IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". */
char *http_date_fmt(int64_t t, char buf[static HTTP_DATE_LEN]);

/* Copies s into buf for a log line or journal detail: bytes outside
 * printable ASCII become \xNN, and a long s is cut with "...". */
char *http_printable(const char *s, char *buf, size_t n);
