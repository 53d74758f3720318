#include "dns/forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/util.h"
#include "dns/wire.h"

#define SOCKS_MAX       4096  /* upstream sockets open at most, over all upstreams */
#define POOL_MAX        1024  /* sockets (ports) per upstream, each chosen at random */
#define SOCK_USES_MAX   8     /* queries on one port before it is replaced ... */
#define SOCK_AGE_MAX_MS 30000 /* ... or this much time */
#define USOCK_OUT       8     /* queries queued on one socket until the flush */
#define TRIES_MAX       3
#define QUERY_MAX       (DNS_HDR_LEN + DNS_NAME_MAX + 4 + 11)
#define UP_BATCH        NET_BATCH_MAX
#define UP_BUFSIZE      4096
#define NIL             UINT32_MAX

struct dns_forward;

/* A connected UDP socket on a random port of its own, in a slot of its upstream's pool
 * until SOCK_USES_MAX queries or SOCK_AGE_MAX_MS, then closed once its tries are over. */
struct usock {
	struct dns_forward *f;
	struct upstream *up;
	int fd;
	struct loop_io *io;
	uint32_t refs, uses; /* refs: tries in flight on this socket */
	int64_t opened_ms;
	bool pooled; /* in up->pool */
	bool dirty;  /* on f->dirty: has queries queued */
	struct usock *next_retired, *next_dirty;
	struct net_out out[USOCK_OUT]; /* queued until dns_forward_flush() */
	size_t n_out;
};

struct upstream {
	uint32_t addr;
	uint16_t port;
	int64_t dead_until_ms, last_answer_ms;
	bool no_edns;
	struct usock **pool; /* pool_n slots, opened as they are drawn */
	size_t pool_n;
};

/* The TCP retry of a truncated answer. */
struct tcpq {
	struct dns_forward *f;
	uint32_t i;
	int fd;
	struct loop_io *io;
	bool sent;
	uint8_t *buf;
	size_t len;
};

struct pending {
	bool used;
	uint16_t id, qtype, qclass, msg_len;
	uint8_t lname_len, tries;
	uint32_t tried; /* bit per upstream index */
	struct upstream *up;
	struct usock *sock; /* NULL while on TCP or between tries */
	struct tcpq *tcp;
	int64_t sent_ms, deadline_ms;
	uint32_t prev_t, next_t; /* the timeout list, oldest first */
	uint32_t next_q, next_id;
	uint64_t qhash;
	struct dns_waiter *waiters, *tail;
	uint8_t lname[DNS_NAME_MAX];
	uint8_t msg[QUERY_MAX];
};

struct dns_forward {
	struct loop *loop;
	dns_forward_done_fn done;
	dns_forward_batch_fn batch_end;
	void *data;
	struct upstream ups[CONF_MAX_LIST];
	size_t n_ups;
	uint32_t timeout_ms, retry_ms;
	uint16_t edns_payload;
	struct pending *p;
	uint32_t cap, free_head; /* cap entries in p, at most max_pending of them in use */
	uint32_t max_pending;
	uint32_t *qbuckets, *idbuckets;
	size_t n_buckets; /* a power of two */
	uint32_t thead, ttail;
	struct loop_timer *timer;
	struct net_batch *batch;
	struct usock *retired, *dirty;
	size_t n_socks, socks_max; /* open upstream sockets; how many may be */
	struct dns_forward_stats st;
};

static void on_usock(struct loop_io *io, int fd, uint32_t events, void *data);
static void on_tcp(struct loop_io *io, int fd, uint32_t events, void *data);
static void send_try(struct dns_forward *f, uint32_t i, int64_t now);

static char *hostport(const struct upstream *up, char buf[static 24])
{
	char a[IP4_STRLEN];
	snprintf(buf, 24, "%s:%u", ip4_fmt(up->addr, a), up->port);
	return buf;
}

/* ---- indexes: questions in flight, (socket, ID) of each try, the timeout list */

static uint64_t qhash(const uint8_t *lname, size_t len, uint16_t qtype, uint16_t qclass)
{
	return nb_hash(lname, len, (uint64_t) qtype << 16 | qclass);
}

static size_t idslot(const struct dns_forward *f, const struct usock *s, uint16_t id)
{
	uint64_t k = (uint64_t) (uintptr_t) s ^ ((uint64_t) id * 0x9e3779b97f4a7c15ull);
	return (size_t) (k ^ (k >> 29)) & (f->n_buckets - 1);
}

static uint32_t q_find(const struct dns_forward *f, uint64_t h, const uint8_t *lname, size_t len,
                       uint16_t qtype, uint16_t qclass)
{
	for (uint32_t i = f->qbuckets[h & (f->n_buckets - 1)]; i != NIL; i = f->p[i].next_q) {
		const struct pending *p = &f->p[i];
		if (p->qhash == h && p->qtype == qtype && p->qclass == qclass &&
		    p->lname_len == len && memcmp(p->lname, lname, len) == 0)
			return i;
	}
	return NIL;
}

static void chain_unlink(struct dns_forward *f, uint32_t *head, uint32_t i, bool by_id)
{
	for (uint32_t *at = head; *at != NIL; at = by_id ? &f->p[*at].next_id : &f->p[*at].next_q)
		if (*at == i) {
			*at = by_id ? f->p[i].next_id : f->p[i].next_q;
			return;
		}
}

static uint32_t id_find(const struct dns_forward *f, const struct usock *s, uint16_t id)
{
	for (uint32_t i = f->idbuckets[idslot(f, s, id)]; i != NIL; i = f->p[i].next_id)
		if (f->p[i].sock == s && f->p[i].id == id)
			return i;
	return NIL;
}

static void t_remove(struct dns_forward *f, uint32_t i)
{
	struct pending *p = &f->p[i];
	if (p->prev_t == NIL && f->thead != i)
		return; /* not listed */
	if (p->prev_t != NIL)
		f->p[p->prev_t].next_t = p->next_t;
	else
		f->thead = p->next_t;
	if (p->next_t != NIL)
		f->p[p->next_t].prev_t = p->prev_t;
	else
		f->ttail = p->prev_t;
	p->prev_t = p->next_t = NIL;
}

static void t_append(struct dns_forward *f, uint32_t i, int64_t deadline)
{
	struct pending *p = &f->p[i];
	t_remove(f, i);
	p->deadline_ms = deadline;
	p->prev_t = f->ttail;
	p->next_t = NIL;
	if (f->ttail != NIL)
		f->p[f->ttail].next_t = i;
	else
		f->thead = i;
	f->ttail = i;
	if (!loop_timer_armed(f->timer))
		loop_timer_arm_at(f->timer, f->p[f->thead].deadline_ms);
}

/* ---- sockets */

static void usock_close(struct dns_forward *f, struct usock *s)
{
	loop_io_free(s->io);
	close(s->fd);
	free(s);
	f->n_socks--;
}

static struct usock *usock_open(struct dns_forward *f, struct upstream *up, int64_t now)
{
	struct usock *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->up = up;
	s->opened_ms = now;
	/* connect() binds a fresh port, drawn at random by the kernel from the ephemeral
	 * range (RFC 6056), and makes the kernel drop datagrams from anyone but the upstream */
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(up->port),
	                         .sin_addr.s_addr = htonl(up->addr)};
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
	    loop_io_add(f->loop, s->fd, EPOLLIN, on_usock, s, &s->io) < 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	f->n_socks++;
	f->st.sockets++;
	return s;
}

static void usock_flush(struct usock *s)
{
	if (s->n_out) {
		(void) net_send_many(s->fd, s->out, s->n_out);
		s->n_out = 0;
	}
}

/* Out of its pool and without tries: closed at the next flush (never under a callback
 * still reading it). */
static void usock_retire(struct dns_forward *f, struct usock *s)
{
	usock_flush(s);
	s->next_retired = f->retired;
	f->retired = s;
}

static void reap_retired(struct dns_forward *f)
{
	for (struct usock **at = &f->retired; *at;) {
		struct usock *s = *at;
		if (s->refs == 0) {
			*at = s->next_retired;
			usock_close(f, s);
		} else {
			at = &s->next_retired;
		}
	}
}

/* Takes s out of its upstream's pool; closed once its tries are over. */
static void usock_unpool(struct dns_forward *f, struct usock *s, size_t k)
{
	s->up->pool[k] = NULL;
	s->pooled = false;
	if (s->refs == 0)
		usock_retire(f, s);
}

/* The socket a try to up leaves from: a slot of up's pool drawn at random, each slot a
 * port of its own drawn at random and replaced after a few queries (RFC 5452 4.5: as
 * many ports as the budget allows, each used little). */
static struct usock *upstream_sock(struct dns_forward *f, struct upstream *up, int64_t now)
{
	if (!up->pool) {
		size_t n = f->socks_max / (f->n_ups ? f->n_ups : 1);
		up->pool_n = NB_MAX(NB_MIN(n, (size_t) POOL_MAX), (size_t) 16);
		if (!(up->pool = calloc(up->pool_n, sizeof *up->pool)))
			return NULL;
	}
	size_t k = arc4random_uniform((uint32_t) up->pool_n);
	struct usock *s = up->pool[k];
	if (s && (s->uses >= SOCK_USES_MAX || now - s->opened_ms >= SOCK_AGE_MAX_MS)) {
		usock_unpool(f, s, k);
		s = NULL;
	}
	if (!s) {
		if (!(s = usock_open(f, up, now)))
			return NULL;
		s->pooled = true;
		up->pool[k] = s;
	}
	s->uses++;
	return s;
}

/* The fd budget: one descriptor per query in flight, raising the soft limit to fit. */
static size_t socks_budget(void)
{
	struct rlimit rl;
	rlim_t want = SOCKS_MAX * 2 + 1024; /* beside what the other modules hold */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : NB_MIN(want, rl.rlim_max);
		(void) setrlimit(RLIMIT_NOFILE, &rl);
		(void) getrlimit(RLIMIT_NOFILE, &rl);
	}
	return NB_MAX((size_t) NB_MIN(rl.rlim_cur / 4, (rlim_t) SOCKS_MAX), (size_t) 16);
}

/* ---- queries */

static void build_msg(struct pending *p, uint16_t id, bool edns, uint16_t payload)
{
	struct dns_writer w;
	dns_writer_init(&w, p->msg, sizeof p->msg);
	dns_write_header(&w, id, DNS_F_RD);
	dns_write_question(&w, p->lname, p->qtype, p->qclass);
	if (edns)
		dns_write_opt(&w, payload, 0, false);
	int n = dns_writer_finish(&w);
	p->msg_len = n > 0 ? (uint16_t) n : 0;
}

static size_t choose_upstream(const struct dns_forward *f, const struct pending *p, int64_t now)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < f->n_ups; i++) {
			bool alive = f->ups[i].dead_until_ms <= now;
			bool tried = p->tried & (1u << i);
			/* an untried live one, else an untried dead one, else any live one */
			if ((pass == 0 && alive && !tried) || (pass == 1 && !tried) ||
			    (pass == 2 && alive))
				return i;
		}
	return 0;
}

/* Ends the current try: forgets its ID and socket, closes its TCP connection. */
static void end_try(struct dns_forward *f, uint32_t i)
{
	struct pending *p = &f->p[i];
	if (p->sock) {
		chain_unlink(f, &f->idbuckets[idslot(f, p->sock, p->id)], i, true);
		if (--p->sock->refs == 0 && !p->sock->pooled)
			usock_retire(f, p->sock);
		p->sock = NULL;
	}
	if (p->tcp) {
		loop_io_free(p->tcp->io);
		close(p->tcp->fd);
		free(p->tcp->buf);
		free(p->tcp);
		p->tcp = NULL;
	}
	t_remove(f, i);
}

static void finish(struct dns_forward *f, uint32_t i, const uint8_t *msg, size_t len)
{
	struct pending *p = &f->p[i];
	struct dns_waiter *w = p->waiters;
	chain_unlink(f, &f->qbuckets[p->qhash & (f->n_buckets - 1)], i, false);
	if (!msg)
		f->st.failures++;
	/* the answer may live in the TCP buffer: hand it over before that goes */
	struct tcpq *tcp = p->tcp;
	p->tcp = NULL;
	end_try(f, i);
	p->used = false;
	p->waiters = p->tail = NULL;
	p->next_q = f->free_head;
	f->free_head = i;
	f->st.in_flight--;
	f->done(f->data, msg, len, w);
	if (tcp) {
		loop_io_free(tcp->io);
		close(tcp->fd);
		free(tcp->buf);
		free(tcp);
	}
}

static void retry_or_fail(struct dns_forward *f, uint32_t i, int64_t now)
{
	end_try(f, i);
	if (f->p[i].tries < TRIES_MAX && f->n_ups)
		send_try(f, i, now);
	else
		finish(f, i, NULL, 0);
}

static void send_try(struct dns_forward *f, uint32_t i, int64_t now)
{
	struct pending *p = &f->p[i];
	size_t u = choose_upstream(f, p, now);
	struct upstream *up = &f->ups[u];
	struct usock *s = upstream_sock(f, up, now);
	p->tries++;
	p->tried |= 1u << u;
	if (!s) {
		/* no socket (out of descriptors?): the timer tries again next turn, so the
		 * caller never sees its done callback from inside dns_forward_query() */
		log_debug("dns: no socket for upstream: %m");
		t_append(f, i, now);
		return;
	}
	uint16_t id;
	do /* RFC 5452 4.3: an unpredictable ID, unique on its socket */
		id = (uint16_t) arc4random();
	while (id_find(f, s, id) != NIL);
	build_msg(p, id, !up->no_edns, f->edns_payload);
	p->id = id;
	p->up = up;
	p->sock = s;
	s->refs++;
	size_t slot = idslot(f, s, id);
	p->next_id = f->idbuckets[slot];
	f->idbuckets[slot] = i;
	if (s->n_out == USOCK_OUT)
		usock_flush(s);
	s->out[s->n_out++] = (struct net_out){
	        .buf = p->msg, .len = p->msg_len, .dst = up->addr, .port = up->port};
	if (!s->dirty) {
		s->dirty = true;
		s->next_dirty = f->dirty;
		f->dirty = s;
	}
	p->sent_ms = now;
	t_append(f, i, now + f->timeout_ms);
	f->st.sent++;
}

int dns_forward_query(struct dns_forward *f, const uint8_t *lname, size_t len, uint16_t qtype,
                      uint16_t qclass, struct dns_waiter *w)
{
	if (!f->n_ups)
		return -ENETUNREACH;
	uint64_t h = qhash(lname, len, qtype, qclass);
	uint32_t i = q_find(f, h, lname, len, qtype, qclass);
	w->next = NULL;
	f->st.queries++;
	if (i != NIL) { /* the same question is in flight: wait for its answer */
		f->p[i].tail->next = w;
		f->p[i].tail = w;
		f->st.joined++;
		return 0;
	}
	if (f->free_head == NIL || f->st.in_flight >= f->max_pending)
		return -EBUSY;
	i = f->free_head;
	struct pending *p = &f->p[i];
	f->free_head = p->next_q;
	*p = (struct pending){.used = true,
	                      .qtype = qtype,
	                      .qclass = qclass,
	                      .lname_len = (uint8_t) len,
	                      .qhash = h,
	                      .prev_t = NIL,
	                      .next_t = NIL,
	                      .waiters = w,
	                      .tail = w};
	memcpy(p->lname, lname, len);
	p->next_q = f->qbuckets[h & (f->n_buckets - 1)];
	f->qbuckets[h & (f->n_buckets - 1)] = i;
	f->st.in_flight++;
	send_try(f, i, loop_now_ms(f->loop));
	return 0;
}

void dns_forward_flush(struct dns_forward *f)
{
	while (f->dirty) {
		struct usock *s = f->dirty;
		f->dirty = s->next_dirty;
		s->dirty = false;
		usock_flush(s);
	}
	if (f->retired)
		reap_retired(f);
}

/* ---- answers */

/* Whether msg answers p's current try: a response to a standard query with its ID,
 * repeating its question (RFC 5452 9.1). */
static bool matches(const struct pending *p, const uint8_t *msg, size_t len, uint16_t *ret_flags)
{
	struct dns_msg_iter it;
	struct dns_name qn;
	uint16_t id, flags, qt, qc;
	if (dns_msg_begin(&it, msg, len, &id, &flags, &qn, &qt, &qc) < 0)
		return false;
	if (id != p->id || !(flags & DNS_F_QR) || (flags & DNS_F_OPCODE) || qt != p->qtype ||
	    qc != p->qclass || !dns_name_eq(qn.b, qn.len, p->lname, p->lname_len))
		return false;
	*ret_flags = flags;
	return true;
}

static void mark_alive(struct upstream *up, int64_t now)
{
	char b[24];
	up->last_answer_ms = now;
	if (up->dead_until_ms) /* it was being skipped */
		log_info("dns: upstream %s answers again", hostport(up, b));
	up->dead_until_ms = 0;
}

static void mark_dead(struct dns_forward *f, struct upstream *up, int64_t now, const char *why)
{
	char b[24];
	if (up->dead_until_ms <= now)
		log_warn("dns: upstream %s %s; skipping it for %us", hostport(up, b), why,
		         f->retry_ms / 1000);
	up->dead_until_ms = now + f->retry_ms;
}

static void on_tcp(struct loop_io *io, int fd, uint32_t events, void *data);

/* RFC 7766 5: a truncated answer is asked again over TCP, of the same upstream. */
static void start_tcp(struct dns_forward *f, uint32_t i, int64_t now)
{
	struct pending *p = &f->p[i];
	end_try(f, i);
	struct tcpq *t = calloc(1, sizeof *t);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(p->up->port),
	                         .sin_addr.s_addr = htonl(p->up->addr)};
	if (!t || !(t->buf = malloc(2 + DNS_MSG_MAX)))
		goto fail;
	t->f = f;
	t->i = i;
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		goto fail;
	if ((connect(t->fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS) ||
	    loop_io_add(f->loop, t->fd, EPOLLOUT, on_tcp, t, &t->io) < 0) {
		close(t->fd);
		goto fail;
	}
	p->tcp = t;
	f->st.tcp++;
	t_append(f, i, now + f->timeout_ms);
	return;
fail:
	if (t)
		free(t->buf);
	free(t);
	retry_or_fail(f, i, now);
}

static void on_tcp(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct tcpq *t = data;
	struct dns_forward *f = t->f;
	uint32_t i = t->i;
	struct pending *p = &f->p[i];
	int64_t now = loop_now_ms(f->loop);
	uint16_t flags;

	if (!t->sent) {
		int err = 0;
		socklen_t l = sizeof err;
		uint8_t out[2 + QUERY_MAX];
		struct wbuf b = wbuf_init(out, sizeof out);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err ||
		    (events & (EPOLLERR | EPOLLHUP)))
			goto fail;
		wbuf_u16(&b, p->msg_len);
		wbuf_bytes(&b, p->msg, p->msg_len);
		if (send(fd, out, wbuf_len(&b), MSG_NOSIGNAL) != (ssize_t) wbuf_len(&b) ||
		    loop_io_set_events(io, EPOLLIN) < 0)
			goto fail;
		t->sent = true;
		return;
	}
	ssize_t r = recv(fd, t->buf + t->len, 2 + DNS_MSG_MAX - t->len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0)
		goto fail;
	t->len += (size_t) r;
	struct wire w = wire_init(t->buf, t->len);
	size_t need = wire_u16(&w);
	const uint8_t *msg = wire_ptr(&w, need);
	if (!msg)
		return; /* not all there yet */
	if (!matches(p, msg, need, &flags) || (flags & DNS_F_TC))
		goto fail;
	mark_alive(p->up, now);
	finish(f, i, msg, need);
	f->batch_end(f->data);
	return;
fail:
	retry_or_fail(f, i, now);
	f->batch_end(f->data);
}

static void handle_answer(struct dns_forward *f, struct usock *s, const uint8_t *msg, size_t len,
                          bool truncated, int64_t now)
{
	struct wire w = wire_init(msg, len);
	uint16_t id = wire_u16(&w), flags;
	uint32_t i = w.err ? NIL : id_find(f, s, id);
	if (i == NIL || !matches(&f->p[i], msg, len, &flags)) {
		f->st.unmatched++; /* late, spoofed or garbage */
		return;
	}
	struct pending *p = &f->p[i];
	mark_alive(s->up, now);
	f->st.answers++;
	int rcode = flags & DNS_F_RCODE;
	if ((flags & DNS_F_TC) || truncated) {
		start_tcp(f, i, now);
	} else if (rcode == DNS_R_FORMERR && !s->up->no_edns) {
		/* RFC 6891 7: an upstream without EDNS; ask it again without */
		s->up->no_edns = true;
		p->tried &= ~(1u << (s->up - f->ups));
		retry_or_fail(f, i, now);
	} else if ((rcode == DNS_R_SERVFAIL || rcode == DNS_R_REFUSED || rcode == DNS_R_NOTIMP ||
	            rcode == DNS_R_FORMERR) &&
	           p->tries < TRIES_MAX && f->n_ups > 1) {
		retry_or_fail(f, i, now);
	} else {
		finish(f, i, msg, len);
	}
}

/* ICMP port unreachable: the upstream is not serving; its queries on this socket go on. */
static void refused(struct dns_forward *f, struct usock *s, int64_t now)
{
	mark_dead(f, s->up, now, "refuses queries (port unreachable)");
	for (uint32_t i = 0; i < f->cap; i++)
		if (f->p[i].used && f->p[i].sock == s)
			retry_or_fail(f, i, now);
}

static void on_usock(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct usock *s = data;
	struct dns_forward *f = s->f;
	int64_t now = loop_now_ms(f->loop);
	for (int round = 0; round < 16; round++) {
		int n = net_batch_recv(fd, f->batch);
		if (n == -ECONNREFUSED) {
			refused(f, s, now);
			continue;
		}
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			struct net_pkt *pkt = net_batch_pkt(f->batch, (size_t) k);
			bool trunc = pkt->len > UP_BUFSIZE;
			if (pkt->src_addr != s->up->addr || pkt->src_port != s->up->port) {
				f->st.unmatched++;
				continue;
			}
			handle_answer(f, s, pkt->data, trunc ? UP_BUFSIZE : pkt->len, trunc, now);
		}
		if (n < UP_BATCH)
			break;
	}
	f->batch_end(f->data);
}

static void on_timer(struct loop_timer *t, void *data)
{
	struct dns_forward *f = data;
	int64_t now = loop_now_ms(f->loop);
	while (f->thead != NIL && f->p[f->thead].deadline_ms <= now) {
		uint32_t i = f->thead;
		struct pending *p = &f->p[i];
		f->st.timeouts++;
		/* dead only if it answered nothing since this query left */
		if (p->up && p->up->last_answer_ms < p->sent_ms)
			mark_dead(f, p->up, now, "did not answer in time");
		retry_or_fail(f, i, now);
	}
	if (f->thead != NIL)
		loop_timer_arm_at(t, f->p[f->thead].deadline_ms);
	f->batch_end(f->data);
}

/* ---- life */

static void set_conf(struct dns_forward *f, const struct dns_forward_conf *c)
{
	f->n_ups = NB_MIN(c->n_upstreams, (size_t) CONF_MAX_LIST);
	for (size_t i = 0; i < f->n_ups; i++)
		f->ups[i] = (struct upstream){.addr = c->upstreams[i].addr,
		                              .port = c->upstreams[i].port};
	f->timeout_ms = c->timeout_ms;
	f->retry_ms = c->retry_ms;
	f->edns_payload = c->edns_payload;
}

/* Once no try is in flight: closes every socket. */
static void close_upstreams(struct dns_forward *f)
{
	for (size_t u = 0; u < f->n_ups; u++) {
		struct upstream *up = &f->ups[u];
		for (size_t k = 0; up->pool && k < up->pool_n; k++)
			if (up->pool[k])
				usock_unpool(f, up->pool[k], k);
		free(up->pool);
		up->pool = NULL;
		up->pool_n = 0;
	}
	dns_forward_flush(f);
}

/* Room for cap questions in flight (never less than there is): the new entries join the
 * free list, the indexes are rebuilt when they need more buckets. */
static int grow_pending(struct dns_forward *f, uint32_t cap)
{
	if (cap > f->cap) {
		struct pending *p = realloc(f->p, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		f->p = p;
		memset(p + f->cap, 0, (cap - f->cap) * sizeof *p);
		for (uint32_t i = f->cap; i < cap; i++)
			p[i].next_q = i + 1 < cap ? i + 1 : f->free_head;
		f->free_head = f->cap;
		f->cap = cap;
	}
	size_t nb = 64;
	while (nb < 2 * (size_t) f->cap)
		nb *= 2;
	if (nb <= f->n_buckets)
		return 0;
	uint32_t *qb = malloc(nb * sizeof *qb), *ib = malloc(nb * sizeof *ib);
	if (!qb || !ib) {
		free(qb);
		free(ib);
		return -ENOMEM;
	}
	free(f->qbuckets);
	free(f->idbuckets);
	f->qbuckets = qb;
	f->idbuckets = ib;
	f->n_buckets = nb;
	memset(qb, 0xff, nb * sizeof *qb);
	memset(ib, 0xff, nb * sizeof *ib);
	for (uint32_t i = 0; i < f->cap; i++) {
		struct pending *e = &f->p[i];
		if (!e->used)
			continue; /* a free entry's next_q is the free list */
		e->next_q = qb[e->qhash & (nb - 1)];
		qb[e->qhash & (nb - 1)] = i;
		if (e->sock) {
			size_t k = idslot(f, e->sock, e->id);
			e->next_id = ib[k];
			ib[k] = i;
		}
	}
	return 0;
}

int dns_forward_new(struct loop *l, const struct dns_forward_conf *c, dns_forward_done_fn done,
                    dns_forward_batch_fn batch_end, void *data, struct dns_forward **ret)
{
	struct dns_forward *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->loop = l;
	f->done = done;
	f->batch_end = batch_end;
	f->data = data;
	f->free_head = NIL;
	f->thead = f->ttail = NIL;
	f->max_pending = c->max_pending;
	f->timer = loop_timer_new(l, on_timer, f);
	f->batch = net_batch_new(UP_BATCH, UP_BUFSIZE);
	if (grow_pending(f, c->max_pending) < 0 || !f->timer || !f->batch) {
		dns_forward_free(f);
		return -ENOMEM;
	}
	f->socks_max = socks_budget();
	set_conf(f, c);
	*ret = f;
	return 0;
}

void dns_forward_free(struct dns_forward *f)
{
	if (!f)
		return;
	for (uint32_t i = 0; f->p && i < f->cap; i++)
		if (f->p[i].used)
			end_try(f, i);
	close_upstreams(f);
	loop_timer_free(f->timer);
	net_batch_free(f->batch);
	free(f->p);
	free(f->qbuckets);
	free(f->idbuckets);
	free(f);
}

int dns_forward_reconfigure(struct dns_forward *f, const struct dns_forward_conf *c)
{
	int64_t now = loop_now_ms(f->loop);
	int r = grow_pending(f, c->max_pending);
	if (r < 0)
		return r;
	f->max_pending = c->max_pending; /* above it, what is in flight ends in its time */
	dns_forward_flush(f);
	for (uint32_t i = 0; i < f->cap; i++)
		if (f->p[i].used) {
			end_try(f, i);
			f->p[i].up = NULL;
			f->p[i].tries = 0;
			f->p[i].tried = 0;
		}
	close_upstreams(f);
	set_conf(f, c);
	for (uint32_t i = 0; i < f->cap; i++)
		if (f->p[i].used) {
			if (f->n_ups)
				send_try(f, i, now);
			else
				finish(f, i, NULL, 0);
		}
	f->batch_end(f->data);
	return 0;
}

void dns_forward_stats(const struct dns_forward *f, struct dns_forward_stats *ret)
{
	*ret = f->st;
}
