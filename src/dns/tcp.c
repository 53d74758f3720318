/* DNS over TCP for clients (RFC 7766): several queries per connection,
 * pipelined and answered as they are ready (forwarded ones may overtake
 * local ones, 7766 6.2.1.1), an idle timeout, a cap on connections, and
 * back-pressure: a client that does not read its answers is not read
 * from either. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "dns/server.h"

#define RBUF_SIZE     (2 + DNS_MSG_MAX)
#define WBUF_HIGH     (256 * 1024) /* answers waiting to be read: stop reading above */
#define ACCEPT_ROUNDS 64
#define SWEEP_MS      1000

struct dns_tcp_conn {
	struct dns_server *s;
	int fd;
	struct loop_io *io;
	uint32_t slot;
	uint32_t local, peer;
	bool allowed, reading, peer_closed;
	int64_t last_ms;
	unsigned waiting; /* forwarded queries not answered yet */
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, woff, wcap;
};

static struct log_ratelimit accept_rl = LOG_RATELIMIT_INIT(1, 5);

static void conn_close(struct dns_tcp_conn *c)
{
	struct dns_server *s = c->s;
	loop_io_free(c->io);
	close(c->fd);
	s->conns[c->slot] = NULL;
	s->conn_gen[c->slot]++; /* answers still coming for it are dropped */
	s->n_conns--;
	free(c->rbuf);
	free(c->wbuf);
	free(c);
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
		c->last_ms = now;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
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
	if (c->wlen + 2 + len > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		while (cap < c->wlen + 2 + len)
			cap *= 2;
		uint8_t *b = realloc(c->wbuf, cap);
		if (!b)
			return -ENOMEM;
		c->wbuf = b;
		c->wcap = cap;
	}
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

/* Answers every complete message in the read buffer; keeps a partial one. */
static void conn_process(struct dns_tcp_conn *c, int64_t now)
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
		w = at;
		struct dns_client cl = {.addr = c->peer,
		                        .server_addr = c->local,
		                        .tcp = true,
		                        .allowed = c->allowed};
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
	/* keep what was not processed at the start of the buffer */
	size_t done = wire_offset(&w);
	memmove(c->rbuf, c->rbuf + done, c->rlen - done);
	c->rlen -= done;
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
			c->rlen += (size_t) n;
			c->last_ms = now;
			conn_process(c, now);
			dns_forward_flush(s->fwd);
		}
	}
	(void) conn_write(c, now);
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
		if (s->n_conns >= s->conns_cap ||
		    getsockname(cfd, (struct sockaddr *) &local, &ll)) {
			s->st.tcp_refused++; /* RFC 7766 6.2.2: over the cap, closed at once */
			close(cfd);
			continue;
		}
		struct dns_tcp_conn *c = calloc(1, sizeof *c);
		size_t slot = 0;
		while (s->conns[slot])
			slot++;
		if (c)
			*c = (struct dns_tcp_conn){.s = s,
			                           .fd = cfd,
			                           .slot = (uint32_t) slot,
			                           .local = ntohl(local.sin_addr.s_addr),
			                           .peer = ntohl(peer.sin_addr.s_addr),
			                           .reading = true,
			                           .last_ms = now,
			                           .rbuf = malloc(RBUF_SIZE)};
		if (!c || !c->rbuf || loop_io_add(s->loop, cfd, EPOLLIN, on_conn, c, &c->io) < 0) {
			if (c)
				free(c->rbuf);
			free(c);
			close(cfd);
			continue;
		}
		c->allowed = dns_server_client(s, c->peer, now)->allowed;
		s->conns[slot] = c;
		s->n_conns++;
		s->st.tcp_accepted++;
	}
}

/* Idle connections go (RFC 7766 6.2.3); one with answers still owed waits for them. */
static void on_sweep(struct loop_timer *t, void *data)
{
	struct dns_server *s = data;
	int64_t now = loop_now_ms(s->loop), idle = (int64_t) s->conf->dns.tcp_idle_sec * 1000;
	for (size_t i = 0; i < s->conns_cap; i++) {
		struct dns_tcp_conn *c = s->conns[i];
		if (c && c->waiting == 0 && now - c->last_ms >= idle) {
			s->st.tcp_closed_idle++;
			conn_close(c);
		}
	}
	loop_timer_arm(t, SWEEP_MS);
}

int dns_tcp_init(struct dns_server *s)
{
	s->conns_cap = s->conf->dns.tcp_max_connections;
	s->conns = calloc(s->conns_cap, sizeof *s->conns);
	s->conn_gen = calloc(s->conns_cap, sizeof *s->conn_gen);
	s->tcp_scratch = malloc(DNS_MSG_MAX);
	s->tcp_timer = loop_timer_new(s->loop, on_sweep, s);
	if (!s->conns || !s->conn_gen || !s->tcp_scratch || !s->tcp_timer)
		return -ENOMEM;
	loop_timer_arm(s->tcp_timer, SWEEP_MS);
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
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
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
}
