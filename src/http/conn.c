/* The connection table of one TCP listener (conn.h). A list ordered by
 * since_ms: a record joins at the tail and goes back to it whenever its
 * clock restarts, so the oldest clock is always nearest the head. Each
 * admission walks the list once (bounded by [http] max-connections). */
#include "http/conn.h"

#include <stdlib.h>

void http_conns_init(struct http_conns *t, unsigned max, unsigned per_source, int64_t timeout_ms)
{
	*t = (struct http_conns){0};
	http_conns_limits(t, max, per_source, timeout_ms);
}

void http_conns_limits(struct http_conns *t, unsigned max, unsigned per_source, int64_t timeout_ms)
{
	t->max = max ? max : 1;
	t->per_source = per_source ? per_source : 1;
	t->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
}

static void unlink_conn(struct http_conns *t, struct http_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void append(struct http_conns *t, struct http_conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

void http_conns_done(struct http_conns *t)
{
	while (t->head) {
		struct http_conn *c = t->head;
		unlink_conn(t, c);
		free(c);
	}
	t->n = 0;
}

unsigned http_conns_of(const struct http_conns *t, uint32_t src)
{
	unsigned n = 0;
	for (const struct http_conn *c = t->head; c; c = c->next)
		n += !c->closing && c->src == src;
	return n;
}

enum http_admit http_conns_admit(const struct http_conns *t, uint32_t src,
                                 struct http_conn **ret_victim)
{
	struct http_conn *victim = NULL;
	unsigned mine = 0;
	for (struct http_conn *c = t->head; c; c = c->next) {
		if (c->closing)
			continue;
		mine += c->src == src;
		if (!victim && c->state != HTTP_CONN_REPLYING)
			victim = c;
	}
	if (mine >= t->per_source)
		return HTTP_ADMIT_PER_SOURCE;
	if (t->n < t->max)
		return HTTP_ADMIT_OK;
	if (!victim)
		return HTTP_ADMIT_FULL;
	*ret_victim = victim;
	return HTTP_ADMIT_EVICT;
}

struct http_conn *http_conns_add(struct http_conns *t, int fd, uint32_t src, uint16_t port,
                                 int ifindex, int64_t now_ms)
{
	struct http_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	*c = (struct http_conn){
	        .fd = fd, .src = src, .port = port, .ifindex = ifindex, .since_ms = now_ms};
	append(t, c);
	t->n++;
	return c;
}

void http_conns_set_state(struct http_conns *t, struct http_conn *c, enum http_conn_state s,
                          int64_t now_ms)
{
	if (s == HTTP_CONN_WAITING && c->state != HTTP_CONN_WAITING) {
		c->since_ms = now_ms;
		unlink_conn(t, c);
		append(t, c);
	}
	c->state = s;
}

void http_conns_close(struct http_conns *t, struct http_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	t->n--;
}

void http_conns_remove(struct http_conns *t, struct http_conn *c)
{
	http_conns_close(t, c);
	unlink_conn(t, c);
	free(c);
}

int64_t http_conns_expire(struct http_conns *t, int64_t now_ms,
                          void (*fn)(struct http_conn *c, void *data), void *data)
{
	struct http_conn *next;
	for (struct http_conn *c = t->head; c; c = next) {
		next = c->next; /* fn may remove c (and only c) */
		if (c->closing || c->state == HTTP_CONN_REPLYING)
			continue;
		if (c->since_ms + t->timeout_ms > now_ms)
			return c->since_ms + t->timeout_ms; /* the list is by since_ms */
		http_conns_close(t, c);
		fn(c, data);
	}
	return INT64_MAX;
}
