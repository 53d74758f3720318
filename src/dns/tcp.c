/* DNS over TCP for clients (RFC 7766): several queries per connection,
 * pipelined and answered as they are ready (forwarded ones may overtake
 * local ones, 7766 6.2.1.1), and back-pressure: a client that does not read
 * its answers is not read from either.
 *
 * Bounds (RFC 7766 6.2.2, and against slow clients): a connection from a
 * client that may not use the server is closed at once; at most
 * tcp-connections-per-client per client address and tcp-connections in
 * all, a new connection over either cap taking the place of the oldest idle
 * one (then of the one whose request has waited longest); each request must
 * arrive whole, and each answer be read, within tcp-request-timeout of its
 * first byte (a byte now and then does not extend it); a connection with
 * nothing going on is closed after tcp-idle-timeout. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/lan.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/services.h"
#include "core/util.h"
#include "dns/server.h"

#define RBUF_SIZE     (2 + DNS_MSG_MAX)
#define WBUF_HIGH     (256 * 1024) /* answers waiting to be read: stop reading above */
#define ACCEPT_ROUNDS 64
#define SWEEP_MS      250
#define NIL           UINT32_MAX

struct dns_tcp_conn {
	struct dns_server *s;
	int fd;
	struct loop_io *io;
	uint32_t slot, src_next; /* src_next: the next connection of the same source bucket */
	uint32_t local, peer;
	int ifindex;
	bool reading, peer_closed;
	int64_t last_ms;  /* the last whole request in or answer out (or the accept) */
	int64_t req_ms;   /* the first byte of the request in rbuf (rlen > 0) */
	int64_t out_ms;   /* when answers began to wait in wbuf (0: none waiting) */
	unsigned waiting; /* forwarded queries not answered yet */
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff, wcap;
};

static struct log_ratelimit accept_rl = LOG_RATELIMIT_INIT(1, 5);

/* ---- connections by source address */

static uint32_t *src_bucket(struct dns_server *s, uint32_t addr)
{
	return &s->src_heads[(addr * 2654435761u) & (s->n_src_heads - 1)];
}

static void src_unlink(struct dns_server *s, struct dns_tcp_conn *c)
{
	for (uint32_t *at = src_bucket(s, c->peer); *at != NIL; at = &s->conns[*at]->src_next)
		if (*at == c->slot) {
			*at = c->src_next;
			return;
		}
}

static void src_link(struct dns_server *s, struct dns_tcp_conn *c)
{
	uint32_t *head = src_bucket(s, c->peer);
	c->src_next = *head;
	*head = c->slot;
}

static size_t src_count(struct dns_server *s, uint32_t addr)
{
	size_t n = 0;
	for (uint32_t i = *src_bucket(s, addr); i != NIL; i = s->conns[i]->src_next)
		n += s->conns[i]->peer == addr;
	return n;
}

/* ---- one connection */

static void conn_close(struct dns_tcp_conn *c)
{
	struct dns_server *s = c->s;
	src_unlink(s, c);
	loop_io_free(c->io);
	close(c->fd);
	s->conns[c->slot] = NULL;
	s->conn_gen[c->slot]++; /* answers still coming for it are dropped */
	s->n_conns--;
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

static void conn_log(struct dns_tcp_conn *c, const char *what)
{
	char a[IP4_STRLEN];
	log_rl(&c->s->rl_client, LOG_LVL_INFO, "dns: tcp connection from %s on %s %s",
	       ip4_fmt(c->peer, a), lan_ifname(c->s->svc->lan, c->ifindex), what);
}

static void conn_events(struct dns_tcp_conn *c)
{
	uint32_t ev =
	        (c->reading && !c->peer_closed ? EPOLLIN : 0) | (c->wlen > c->woff ? EPOLLOUT : 0);
	(void) loop_io_set_events(c->io, ev);
}

/* Writes what is buffered; false when the connection went away. */
static bool conn_write(struct dns_tcp_conn *c, int64_t now)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c);
			return false;
		}
		c->woff += (size_t) n;
	}
	if (c->woff == c->wlen) {
		if (c->wlen)
			c->last_ms = now; /* every answer left */
		c->woff = c->wlen = 0;
		c->out_ms = 0;
	} else if (!c->out_ms) {
		c->out_ms = now; /* the client has that long to read what waits */
	}
	if (c->peer_closed && c->wlen == 0 && c->waiting == 0) {
		conn_close(c);
		return false;
	}
	c->reading = c->wlen < WBUF_HIGH;
	conn_events(c);
	return true;
}

static int conn_append(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (nb_grow(&c->wbuf, &c->wcap, c->wlen + 2 + len, 1) < 0)
		return -ENOMEM;
	struct wbuf b = wbuf_init(c->wbuf + c->wlen, 2 + len);
	wbuf_u16(&b, (uint16_t) len);
	wbuf_bytes(&b, msg, len);
	c->wlen += wbuf_len(&b);
	return 0;
}

void dns_tcp_deliver(struct dns_server *s, uint32_t conn, uint32_t gen, const uint8_t *msg,
                     size_t len)
{
	struct dns_tcp_conn *c = conn < s->conns_cap ? s->conns[conn] : NULL;
	if (!c || s->conn_gen[conn] != gen)
		return;
	c->waiting--;
	if (len && conn_append(c, msg, len) < 0) {
		conn_close(c);
		return;
	}
	(void) conn_write(c, loop_now_ms(s->loop));
}

/* Answers every complete message in the read buffer; keeps a partial one. Returns false
 * when the connection was closed: a message too short to be DNS (an empty one would
 * otherwise count as a request done, and keep a slow client's connection). */
static bool conn_process(struct dns_tcp_conn *c, int64_t now)
{
	struct dns_server *s = c->s;
	struct wire w = wire_init(c->rbuf, c->rlen);
	int64_t now_sec = nb_wall_sec();
	while (c->wlen < WBUF_HIGH) {
		struct wire at = w;
		size_t len = wire_u16(&at);
		const uint8_t *msg = wire_ptr(&at, len);
		if (!msg)
			break;
		if (len < DNS_HDR_LEN) {
			conn_log(c, "closed: a message shorter than a DNS header");
			conn_close(c);
			return false;
		}
		w = at;
		c->last_ms = now;
		struct dns_client cl = {.addr = c->peer,
		                        .server_addr = c->local,
		                        .tcp = true,
		                        .allowed = true}; /* others were not accepted */
		struct dns_query q;
		int r = dns_engine_query(&s->engine, msg, len, &cl, now, now_sec, &q,
		                         s->tcp_scratch, DNS_MSG_MAX);
		if (r == DNS_FORWARD) {
			c->waiting++;
			r = dns_server_forward(s, &q, -1, c->slot, c->peer, 0, c->local,
			                       s->tcp_scratch, DNS_MSG_MAX);
			if (r > 0)
				c->waiting--;
		}
		if (r > 0 && conn_append(c, s->tcp_scratch, (size_t) r) < 0)
			break;
	}
	/* keep what was not processed at the start of the buffer; what is left is the start
	 * of the next request, whose clock starts now */
	size_t done = wire_offset(&w);
	memmove(c->rbuf, c->rbuf + done, c->rlen - done);
	c->rlen -= done;
	if (done && c->rlen)
		c->req_ms = now;
	return true;
}

static void on_conn(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct dns_tcp_conn *c = data;
	struct dns_server *s = c->s;
	int64_t now = loop_now_ms(s->loop);
	if (events & (EPOLLERR | EPOLLHUP)) { /* gone both ways: nothing can reach it */
		conn_close(c);
		return;
	}
	if ((events & EPOLLIN) && c->reading && !c->peer_closed) {
		ssize_t n = recv(fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->peer_closed = true; /* answers still owed are sent, then it closes */
		} else if (n > 0) {
			if (c->rlen == 0)
				c->req_ms = now; /* a request begins */
			c->rlen += (size_t) n;
			bool open = conn_process(c, now);
			dns_forward_flush(s->fwd);
			if (!open)
				return;
		}
	}
	(void) conn_write(c, now);
}

/* ---- caps: who makes room for a new connection */

static bool idle(const struct dns_tcp_conn *c)
{
	return c->waiting == 0 && c->rlen == 0 && c->wlen == 0;
}

/* The connection to close for a new one: the oldest idle one, else the one whose
 * request has waited longest (and owes nothing); among those of addr when only_src.
 * NULL when every one is busy. */
static struct dns_tcp_conn *victim(struct dns_server *s, bool only_src, uint32_t addr)
{
	struct dns_tcp_conn *best = NULL;
	bool best_idle = false;
	uint32_t i = only_src ? *src_bucket(s, addr) : 0;
	for (;;) {
		struct dns_tcp_conn *c;
		if (only_src) {
			if (i == NIL)
				break;
			c = s->conns[i];
			i = c->src_next;
			if (c->peer != addr)
				continue;
		} else {
			if (i >= s->conns_cap)
				break;
			if (!(c = s->conns[i++]))
				continue;
		}
		bool is_idle = idle(c);
		if (!is_idle && (c->waiting || c->wlen))
			continue; /* answers owed: never cut off */
		if (!best || (is_idle && !best_idle) ||
		    (is_idle == best_idle &&
		     (is_idle ? c->last_ms < best->last_ms : c->req_ms < best->req_ms))) {
			best = c;
			best_idle = is_idle;
		}
	}
	return best;
}

/* Makes room for a connection from peer: true when there is (an older one may have been
 * closed for it). */
static bool make_room(struct dns_server *s, uint32_t peer)
{
	const struct conf *cf = s->conf;
	struct dns_tcp_conn *v = NULL;
	if (src_count(s, peer) >= cf->dns.tcp_per_client) {
		if (!(v = victim(s, true, peer)))
			return false;
	} else if (s->n_conns >= s->conn_max) {
		if (!(v = victim(s, false, 0)))
			return false;
	}
	if (v) {
		s->st.tcp_evicted++;
		conn_log(v, "closed for a newer one (tcp-connections, tcp-connections-per-client)");
		conn_close(v);
	}
	return true;
}

static int conn_new(struct dns_server *s, int cfd, const struct sockaddr_in *peer,
                    const struct sockaddr_in *local, int ifindex, int64_t now)
{
	struct dns_tcp_conn *c = calloc(1, sizeof *c);
	uint32_t slot = 0;
	while (s->conns[slot])
		slot++;
	if (c)
		*c = (struct dns_tcp_conn){.s = s,
		                           .fd = cfd,
		                           .slot = slot,
		                           .local = ntohl(local->sin_addr.s_addr),
		                           .peer = ntohl(peer->sin_addr.s_addr),
		                           .ifindex = ifindex,
		                           .reading = true,
		                           .last_ms = now,
		                           .rbuf = malloc(RBUF_SIZE)};
	if (!c || !c->rbuf || loop_io_add(s->loop, cfd, EPOLLIN, on_conn, c, &c->io) < 0) {
		if (c)
			free(c->rbuf);
		free(c);
		return -ENOMEM;
	}
	s->conns[slot] = c;
	src_link(s, c);
	s->n_conns++;
	s->st.tcp_accepted++;
	return 0;
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct dns_server *s = data;
	int64_t now = loop_now_ms(s->loop);
	for (int i = 0; i < ACCEPT_ROUNDS; i++) {
		struct sockaddr_in peer, local;
		socklen_t pl = sizeof peer, ll = sizeof local;
		int cfd = accept4(fd, (struct sockaddr *) &peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_rl(&accept_rl, LOG_LVL_WARN, "dns: tcp accept: %m");
			return;
		}
		int ifindex = net_tcp_ifindex(cfd);
		uint32_t addr = ntohl(peer.sin_addr.s_addr);
		struct dns_client_slot *cs =
		        dns_server_client(s, addr, ifindex > 0 ? ifindex : 0, now);
		if (cs->access != DNS_ACCESS_OK) {
			/* not a client of ours: closed at once, and it holds nothing */
			s->st.tcp_refused++;
			dns_server_log_refused(s, cs, true);
			close(cfd);
			continue;
		}
		if (getsockname(cfd, (struct sockaddr *) &local, &ll) < 0 || !make_room(s, addr) ||
		    conn_new(s, cfd, &peer, &local, ifindex > 0 ? ifindex : 0, now) < 0) {
			char a[IP4_STRLEN];
			s->st.tcp_refused++; /* RFC 7766 6.2.2: over the cap, closed at once */
			log_rl(&s->rl_client, LOG_LVL_INFO,
			       "dns: tcp connection from %s closed at once: every connection is "
			       "busy",
			       ip4_fmt(addr, a));
			close(cfd);
		}
	}
}

/* Requests and answers past their deadline, and idle connections (RFC 7766 6.2.3), go. */
static void on_sweep(struct loop_timer *t, void *data)
{
	struct dns_server *s = data;
	int64_t now = loop_now_ms(s->loop), idle_ms = (int64_t) s->conf->dns.tcp_idle_sec * 1000,
	        req = (int64_t) s->conf->dns.tcp_request_sec * 1000;
	for (size_t i = 0; i < s->conns_cap; i++) {
		struct dns_tcp_conn *c = s->conns[i];
		if (!c)
			continue;
		if ((c->rlen && now - c->req_ms >= req) || (c->out_ms && now - c->out_ms >= req)) {
			s->st.tcp_closed_deadline++;
			conn_log(c, c->rlen ? "closed: its request did not arrive in time "
			                      "(tcp-request-timeout)"
			                    : "closed: its answers were not read in time "
			                      "(tcp-request-timeout)");
			conn_close(c);
		} else if (idle(c) && now - c->last_ms >= idle_ms) {
			s->st.tcp_closed_idle++;
			conn_close(c);
		}
	}
	loop_timer_arm(t, SWEEP_MS);
}

/* ---- the table of connections */

/* Grows the table to hold max connections (it never shrinks: slots stay valid for
 * answers in flight) and rebuilds the source index. */
static int grow(struct dns_server *s, size_t max)
{
	if (max > s->conns_cap) {
		struct dns_tcp_conn **cs = realloc(s->conns, max * sizeof *cs);
		if (!cs)
			return -ENOMEM;
		s->conns = cs;
		uint32_t *g = realloc(s->conn_gen, max * sizeof *g);
		if (!g)
			return -ENOMEM;
		s->conn_gen = g;
		memset(s->conns + s->conns_cap, 0, (max - s->conns_cap) * sizeof *cs);
		memset(s->conn_gen + s->conns_cap, 0, (max - s->conns_cap) * sizeof *g);
		s->conns_cap = max;
	}
	size_t nb = 16;
	while (nb < s->conns_cap)
		nb *= 2;
	if (nb != s->n_src_heads) {
		uint32_t *h = malloc(nb * sizeof *h);
		if (!h)
			return -ENOMEM;
		free(s->src_heads);
		s->src_heads = h;
		s->n_src_heads = nb;
		memset(h, 0xff, nb * sizeof *h);
		for (size_t i = 0; i < s->conns_cap; i++)
			if (s->conns[i])
				src_link(s, s->conns[i]);
	}
	return 0;
}

int dns_tcp_init(struct dns_server *s)
{
	s->conn_max = s->conf->dns.tcp_max_connections;
	s->tcp_scratch = malloc(DNS_MSG_MAX);
	s->tcp_timer = loop_timer_new(s->loop, on_sweep, s);
	if (grow(s, s->conn_max) < 0 || !s->tcp_scratch || !s->tcp_timer)
		return -ENOMEM;
	loop_timer_arm(s->tcp_timer, SWEEP_MS);
	return 0;
}

int dns_tcp_reconfigure(struct dns_server *s, const struct conf *c)
{
	int r = grow(s, c->dns.tcp_max_connections);
	if (r < 0)
		return r;
	s->conn_max = c->dns.tcp_max_connections;
	/* fewer allowed than open: idle ones go first, then the longest waiting, then the
	 * oldest */
	while (s->n_conns > s->conn_max) {
		struct dns_tcp_conn *v = victim(s, false, 0);
		if (!v)
			for (size_t i = 0; i < s->conns_cap; i++)
				if (s->conns[i] && (!v || s->conns[i]->last_ms < v->last_ms))
					v = s->conns[i];
		conn_close(v);
	}
	return 0;
}

int dns_tcp_listen(struct dns_server *s, uint32_t addr, uint16_t port)
{
	int one = 1;
	struct sockaddr_in sa = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* IP_PKTINFO on the listener: each connection tells the interface its SYN came in on */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    net_tcp_want_ifindex(fd) < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
	    listen(fd, 128) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	int r = loop_io_add(s->loop, fd, EPOLLIN, on_accept, s, &s->tcp_io[s->n_tcp]);
	if (r < 0) {
		close(fd);
		return r;
	}
	s->tcp_fd[s->n_tcp++] = fd;
	return 0;
}

void dns_tcp_close_all(struct dns_server *s)
{
	for (size_t i = 0; s->conns && i < s->conns_cap; i++)
		if (s->conns[i])
			conn_close(s->conns[i]);
	free(s->src_heads);
	s->src_heads = NULL;
}
