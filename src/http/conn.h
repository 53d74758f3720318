/* The connections of one TCP listener (HTTP boot, or the API's own port)
 * and whether one more may come in: the bounds of docs/security.md, "HTTP
 * and the API".
 *
 *   - at most max connections, and at most per_source from one client
 *     address (the caller counts only clients the served-LAN boundary
 *     let in: refused ones never get here);
 *   - a request must be in whole (headers and body) within timeout_ms of
 *     the moment it could start: the accept, or the end of the previous
 *     reply on a kept-alive connection. No byte resets that clock, so a
 *     client trickling a header a byte at a time is closed when its time
 *     is up. Sending the reply is not on this clock (a large file takes
 *     what it takes; libmicrohttpd's idle timeout ends a stalled one);
 *   - when the table is full, a newcomer takes the place of the oldest
 *     connection that has no complete request (an idle keep-alive or a
 *     request still arriving); when every one is sending a reply, the
 *     newcomer is refused.
 *
 * The table only decides; the caller owns the sockets and closes what it
 * is told to. Times are the caller's clock, in ms. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum http_conn_state {
	HTTP_CONN_WAITING,   /* no request yet, or between two */
	HTTP_CONN_RECEIVING, /* the headers are in, the body is arriving */
	HTTP_CONN_REPLYING,  /* the request is whole: the reply is being sent */
};

struct http_conn {
	int fd;
	uint32_t src; /* host order */
	uint16_t port;
	int ifindex;      /* the arrival interface; 0: not known */
	int64_t since_ms; /* when the current request's time started */
	enum http_conn_state state;
	bool closing; /* told to close: no longer counted, gone once removed */
	void *owner;  /* the caller's (its libmicrohttpd connection) */
	struct http_conn *prev, *next;
};

struct http_conns {
	struct http_conn *head, *tail; /* by since_ms, oldest first */
	unsigned n;                    /* counted: the ones not closing */
	unsigned max, per_source;
	int64_t timeout_ms;
};

enum http_admit {
	HTTP_ADMIT_OK,
	HTTP_ADMIT_EVICT,      /* room once *ret_victim is closed (http_conns_close) */
	HTTP_ADMIT_PER_SOURCE, /* the source holds per_source connections already */
	HTTP_ADMIT_FULL,       /* full, and every connection is sending a reply */
};

void http_conns_init(struct http_conns *t, unsigned max, unsigned per_source, int64_t timeout_ms);
/* New bounds (a reload): they apply to the next admission and deadline. */
void http_conns_limits(struct http_conns *t, unsigned max, unsigned per_source, int64_t timeout_ms);
/* Frees every record (the caller has closed the sockets). */
void http_conns_done(struct http_conns *t);

/* Whether a connection from src may come in; on HTTP_ADMIT_EVICT,
 * *ret_victim is the connection to close to make room. Changes nothing. */
enum http_admit http_conns_admit(const struct http_conns *t, uint32_t src,
                                 struct http_conn **ret_victim);
/* Records an admitted connection (WAITING, its clock started at now_ms).
 * Returns the record (owned by the table) or NULL when out of memory. */
struct http_conn *http_conns_add(struct http_conns *t, int fd, uint32_t src, uint16_t port,
                                 int ifindex, int64_t now_ms);
/* A state change: WAITING (a reply was sent) restarts the clock at now_ms. */
void http_conns_set_state(struct http_conns *t, struct http_conn *c, enum http_conn_state s,
                          int64_t now_ms);
/* Marks c closing: it no longer counts against any bound. */
void http_conns_close(struct http_conns *t, struct http_conn *c);
/* Unlinks and frees c (its socket is gone). */
void http_conns_remove(struct http_conns *t, struct http_conn *c);
/* Marks closing and passes to fn every connection whose time is up at
 * now_ms; returns when the next one's is up (INT64_MAX: none waits). */
int64_t http_conns_expire(struct http_conns *t, int64_t now_ms,
                          void (*fn)(struct http_conn *c, void *data), void *data);
/* How many counted connections src holds. */
unsigned http_conns_of(const struct http_conns *t, uint32_t src);
