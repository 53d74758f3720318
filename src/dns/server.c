/* The DNS module: UDP sockets read and answered in batches (recvmmsg /
 * sendmmsg), access by the local subnets, per-client rate limiting, the
 * glue between the query engine, the cache and the forwarder, and the
 * module's life (new, reload, free). TCP clients are in tcp.c. */
#include "dns/dns.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/lan.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/services.h"
#include "dns/cache.h"
#include "dns/server.h"
#include "dns/zone.h"

#define UDP_RECV_BUFSIZE 4096
#define UDP_ROUNDS       16 /* batches per readiness event, then other sockets get a turn */
#define SOCK_BUF_BYTES   (4 << 20)
#define CLIENT_SLOTS_LOG 14
#define IFACE_REFRESH_MS 30000
#define RECHECK_MS       1000 /* a refused client's verdict is looked at again this often */

/* ---- access: the served LAN (core/lan.h), widened or replaced by [dns] allow */

static void refresh_own(struct dns_server *s)
{
	size_t n;
	const struct lan_if *ifs = lan_ifs(s->svc->lan, &n);
	if (s->own_gen == lan_generation(s->svc->lan))
		return;
	s->n_own = 0;
	for (size_t i = 0; i < n && s->n_own < DNS_OWN_MAX; i++)
		s->own[s->n_own++] = ifs[i].addr;
	s->engine.own_addrs = s->own;
	s->engine.n_own_addrs = s->n_own;
	s->own_gen = lan_generation(s->svc->lan);
}

static void on_if_timer(struct loop_timer *t, void *data)
{
	struct dns_server *s = data;
	(void) lan_refresh(s->svc->lan);
	refresh_own(s);
	loop_timer_arm(t, IFACE_REFRESH_MS);
}

static bool in_allow(const struct conf *c, uint32_t addr)
{
	for (size_t i = 0; i < c->dns.n_allow; i++)
		if (ip4_in(addr, c->dns.allow[i].net, c->dns.allow[i].prefix))
			return true;
	return false;
}

/* Who may use the server: a source in [dns] allow (on any interface), loopback, and
 * unless allow starts with "only", the served LAN. Others are refused, or not answered
 * at all when the query came in on an interface that is not served. */
static enum dns_access access_of(const struct dns_server *s, int ifindex, uint32_t addr,
                                 uint8_t *ret_why)
{
	const struct conf *c = s->conf;
	if (ip4_in(addr, 0x7f000000, 8) || in_allow(c, addr))
		return DNS_ACCESS_OK;
	enum lan_verdict v = lan_check(s->svc->lan, ifindex, addr);
	if (v == LAN_OK && !c->dns.allow_only)
		return DNS_ACCESS_OK;
	*ret_why = v == LAN_OK         ? DNS_WHY_NOT_LISTED
	           : v == LAN_OTHER_IF ? DNS_WHY_OTHER_IF
	                               : DNS_WHY_OFF_NET;
	return v == LAN_OTHER_IF ? DNS_ACCESS_DROP : DNS_ACCESS_REFUSE;
}

struct dns_client_slot *dns_server_client(struct dns_server *s, uint32_t addr, int ifindex,
                                          int64_t now)
{
	struct dns_client_slot *c = &s->clients[(addr * 2654435761u) >> s->client_shift];
	uint64_t gen = lan_generation(s->svc->lan);
	/* a verdict holds until the LAN or the config changes; a refusal is looked at again
	 * after a while (an interface may have come up since) */
	if (c->addr == addr && c->ifindex == ifindex && c->acl_gen == s->acl_gen &&
	    c->lan_gen == gen && (c->access == DNS_ACCESS_OK || now - c->checked_ms < RECHECK_MS))
		return c;
	if (c->addr != addr || c->acl_gen == 0) { /* a new client in this slot */
		c->tokens = (uint64_t) s->conf->dns.rate_burst * 1000;
		c->last_ms = now;
		c->slip = false;
	}
	c->addr = addr;
	c->ifindex = ifindex;
	c->why = 0;
	c->access = (uint8_t) access_of(s, ifindex, addr, &c->why);
	c->acl_gen = s->acl_gen;
	c->lan_gen = lan_generation(s->svc->lan); /* the check may have re-read the table */
	c->checked_ms = now;
	return c;
}

const char *dns_access_why(const struct dns_client_slot *c)
{
	switch (c->why) {
	case DNS_WHY_OTHER_IF:
		return "arrived on an interface that is not served";
	case DNS_WHY_OFF_NET:
		return "the source is in no served network";
	case DNS_WHY_NOT_LISTED:
		return "not in [dns] allow";
	}
	return "?";
}

/* Names the client of a query or connection that was not served: at most a line a second. */
void dns_server_log_refused(struct dns_server *s, const struct dns_client_slot *c, bool tcp)
{
	char a[IP4_STRLEN];
	log_rl(&s->rl_client, LOG_LVL_INFO, "dns: %s from %s on %s %s: %s",
	       tcp ? "connection" : "query", ip4_fmt(c->addr, a),
	       lan_ifname(s->svc->lan, c->ifindex),
	       c->access == DNS_ACCESS_DROP ? "ignored" : "refused", dns_access_why(c));
}

/* A token bucket per client: rate-limit per second, rate-burst at once. */
static bool client_take(const struct dns_server *s, struct dns_client_slot *c, int64_t now)
{
	uint32_t rate = s->conf->dns.rate_limit;
	if (rate == 0)
		return true;
	if (now > c->last_ms) {
		uint64_t cap = (uint64_t) s->conf->dns.rate_burst * 1000;
		c->tokens += (uint64_t) (now - c->last_ms) * rate;
		if (c->tokens > cap)
			c->tokens = cap;
		c->last_ms = now;
	}
	if (c->tokens < 1000)
		return false;
	c->tokens -= 1000;
	return true;
}

/* ---- forwarding glue */

static struct dns_waiting *waiting_get(struct dns_server *s)
{
	struct dns_waiting *w = s->waiting_free;
	if (!w || s->n_waiting >= s->waiting_max)
		return NULL;
	s->waiting_free = w->next_free;
	s->n_waiting++;
	return w;
}

static void waiting_put(struct dns_server *s, struct dns_waiting *w)
{
	w->next_free = s->waiting_free;
	s->waiting_free = w;
	s->n_waiting--;
}

/* Room for max clients waiting on upstreams (waiting_max is set apart): entries never
 * move (the forwarder links them), so more come as a block of their own. */
static int waiting_grow(struct dns_server *s, uint32_t max)
{
	if (max > s->waiting_total) {
		size_t n = max - s->waiting_total;
		struct dns_waiting_block *b = calloc(1, sizeof *b + n * sizeof b->w[0]);
		if (!b)
			return -ENOMEM;
		b->next = s->waiting_blocks;
		s->waiting_blocks = b;
		for (size_t i = 0; i < n; i++) {
			b->w[i].next_free = s->waiting_free;
			s->waiting_free = &b->w[i];
		}
		s->waiting_total = max;
	}
	return 0;
}

int dns_server_forward(struct dns_server *s, const struct dns_query *q, int udp, uint32_t conn,
                       uint32_t addr, uint16_t port, uint32_t server_addr, uint8_t *out, size_t cap)
{
	struct dns_waiting *w = waiting_get(s);
	if (w) {
		w->q = *q;
		w->addr = addr;
		w->port = port;
		w->server_addr = server_addr;
		w->udp = udp;
		w->conn = conn;
		w->conn_gen = udp < 0 ? s->conn_gen[conn] : 0;
		if (dns_forward_query(s->fwd, q->lname, q->qname.len, q->qtype, q->qclass,
		                      &w->link) == 0)
			return 0;
		waiting_put(s, w);
	}
	s->st.servfail++; /* too much in flight, or no upstream */
	return dns_engine_error(&s->engine, q, DNS_R_SERVFAIL, true, out, cap);
}

static void udp_flush_queue(struct dns_udp_sock *u)
{
	if (u->n_q) {
		(void) net_send_many(u->fd, u->q, u->n_q);
		u->n_q = 0;
	}
}

static void deliver(struct dns_server *s, struct dns_waiting *w, const struct dns_answer *a,
                    int64_t now)
{
	if (w->udp < 0) {
		int n = a ? dns_answer_render(a, &w->q, now, s->engine.edns_payload, s->tcp_scratch,
		                              DNS_MSG_MAX)
		          : dns_engine_error(&s->engine, &w->q, DNS_R_SERVFAIL, true,
		                             s->tcp_scratch, DNS_MSG_MAX);
		dns_tcp_deliver(s, w->conn, w->conn_gen, s->tcp_scratch, n > 0 ? (size_t) n : 0);
		return;
	}
	if ((size_t) w->udp >= s->n_udp)
		return; /* the socket went away in a reload */
	struct dns_udp_sock *u = &s->udp[w->udp];
	if (u->n_q == NET_BATCH_MAX)
		udp_flush_queue(u);
	uint8_t *buf = u->qbuf + u->n_q * DNS_UDP_OUT_MAX;
	size_t cap = dns_engine_udp_limit(&s->engine, &w->q);
	int n = a ? dns_answer_render(a, &w->q, now, s->engine.edns_payload, buf, cap)
	          : dns_engine_error(&s->engine, &w->q, DNS_R_SERVFAIL, true, buf, cap);
	if (n > 0)
		u->q[u->n_q++] = (struct net_out){.buf = buf,
		                                  .len = (size_t) n,
		                                  .dst = w->addr,
		                                  .port = w->port,
		                                  .src_addr = u->addr ? 0 : w->server_addr};
}

static void on_forward_done(void *data, const uint8_t *msg, size_t len, struct dns_waiter *ws)
{
	struct dns_server *s = data;
	int64_t now = loop_now_ms(s->loop);
	struct dns_answer a;
	bool ok = msg && dns_answer_build(msg, len, s->conf->dns.cache_max_ttl_sec,
	                                  s->conf->dns.negative_max_ttl_sec, now, s->scratch,
	                                  DNS_MSG_MAX, s->ttl_off, &a) == 0;
	/* an upstream that refused or did not understand our query: we failed, the client
	 * did nothing wrong */
	if (ok && a.rcode != DNS_R_NOERROR && a.rcode != DNS_R_NXDOMAIN &&
	    a.rcode != DNS_R_SERVFAIL)
		ok = false;
	if (ok && s->cache && ws) {
		const struct dns_query *q = &((struct dns_waiting *) ws)->q;
		(void) dns_cache_put(s->cache, q->lname, q->qname.len, q->qtype, q->qclass, &a);
	}
	if (!ok)
		s->st.servfail++;
	for (struct dns_waiter *w = ws, *next; w; w = next) {
		next = w->next;
		deliver(s, (struct dns_waiting *) w, ok ? &a : NULL, now);
		waiting_put(s, (struct dns_waiting *) w);
	}
}

/* After a batch of upstream answers (or timeouts): the answers to clients, and any
 * queries asked again, leave in batches. */
static void on_forward_batch_end(void *data)
{
	struct dns_server *s = data;
	for (size_t i = 0; i < s->n_udp; i++)
		udp_flush_queue(&s->udp[i]);
	dns_forward_flush(s->fwd);
}

/* ---- UDP */

static int udp_one(struct dns_server *s, struct dns_udp_sock *u, const struct net_pkt *p,
                   int64_t now, int64_t now_sec, uint8_t *out)
{
	struct dns_query q;
	if (p->len > UDP_RECV_BUFSIZE)
		return 0; /* larger than any query we take */
	struct dns_client_slot *c = dns_server_client(s, p->src_addr, p->ifindex, now);
	if (c->access != DNS_ACCESS_OK) {
		s->st.not_served++;
		dns_server_log_refused(s, c, false);
		if (c->access == DNS_ACCESS_DROP)
			return 0; /* not from a served interface: not answered at all */
	}
	struct dns_client cl = {.addr = p->src_addr,
	                        .server_addr = u->addr ? u->addr : p->dst_addr,
	                        .allowed = c->access == DNS_ACCESS_OK};
	if (!client_take(s, c, now)) {
		/* every other query of a client over its rate gets an empty TC answer: a real
		 * client retries over TCP, a spoofed victim gets nothing larger than it sent */
		s->st.rate_limited++;
		c->slip = !c->slip;
		return c->slip ? dns_engine_truncated(&s->engine, p->data, p->len, &cl, out,
		                                      DNS_UDP_MIN)
		               : 0;
	}
	int r = dns_engine_query(&s->engine, p->data, p->len, &cl, now, now_sec, &q, out,
	                         DNS_UDP_OUT_MAX);
	if (r != DNS_FORWARD)
		return r;
	return dns_server_forward(s, &q, (int) (u - s->udp), 0, p->src_addr, p->src_port,
	                          cl.server_addr, out, dns_engine_udp_limit(&s->engine, &q));
}

static void on_udp(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct dns_udp_sock *u = data;
	struct dns_server *s = u->s;
	int64_t now = loop_now_ms(s->loop), now_sec = nb_wall_sec();
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n = net_batch_recv(fd, s->batch);
		if (n <= 0)
			break;
		size_t m = 0;
		for (int k = 0; k < n; k++) {
			const struct net_pkt *p = net_batch_pkt(s->batch, (size_t) k);
			uint8_t *out = s->out + m * DNS_UDP_OUT_MAX;
			int r = udp_one(s, u, p, now, now_sec, out);
			if (r > 0)
				s->outs[m++] =
				        (struct net_out){.buf = out,
				                         .len = (size_t) r,
				                         .dst = p->src_addr,
				                         .port = p->src_port,
				                         .src_addr = u->addr ? 0 : p->dst_addr};
		}
		if (m)
			(void) net_send_many(fd, s->outs, m);
		/* a batch of some size means load: more queries have likely come while we
		 * answered, and reading them now saves an epoll_wait; a small one means the
		 * queue is empty, and asking again would cost a recvmmsg for nothing */
		if (n < NET_BATCH_MAX / 4)
			break;
	}
	dns_forward_flush(s->fwd); /* the misses of these batches go upstream together */
}

static void udp_close(struct dns_udp_sock *u)
{
	loop_io_free(u->io);
	if (u->fd >= 0)
		close(u->fd);
	free(u->qbuf);
	u->io = NULL;
	u->fd = -1;
	u->qbuf = NULL;
}

static int udp_open(struct dns_server *s, struct dns_udp_sock *u, uint32_t addr, uint16_t port)
{
	int big = SOCK_BUF_BYTES;
	*u = (struct dns_udp_sock){.s = s, .fd = -1, .addr = addr};
	/* IP_PKTINFO on every socket: the arrival interface decides who is served */
	u->fd = net_udp_socket(addr, port, NULL, NET_REUSEADDR | NET_PKTINFO);
	if (u->fd < 0)
		return u->fd;
	(void) setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	(void) setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	u->qbuf = malloc((size_t) NET_BATCH_MAX * DNS_UDP_OUT_MAX);
	int r = u->qbuf ? loop_io_add(s->loop, u->fd, EPOLLIN, on_udp, u, &u->io) : -ENOMEM;
	if (r < 0)
		udp_close(u);
	return r;
}

/* ---- sockets for [dns] listen and port */

static void close_sockets(struct dns_server *s)
{
	for (size_t i = 0; i < s->n_udp; i++)
		udp_close(&s->udp[i]);
	s->n_udp = 0;
	for (size_t i = 0; i < s->n_tcp; i++) {
		loop_io_free(s->tcp_io[i]);
		close(s->tcp_fd[i]);
	}
	s->n_tcp = 0;
}

static int open_sockets(struct dns_server *s, const struct conf *c)
{
	char a[IP4_STRLEN];
	size_t n = c->dns.n_listen ? c->dns.n_listen : 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t addr = c->dns.n_listen ? c->dns.listen[i] : 0;
		int r = udp_open(s, &s->udp[s->n_udp], addr, (uint16_t) c->dns.port);
		if (r >= 0) {
			s->n_udp++;
			r = dns_tcp_listen(s, addr, (uint16_t) c->dns.port);
		}
		if (r < 0) {
			log_err("dns: cannot listen on %s:%u: %s%s", ip4_fmt(addr, a), c->dns.port,
			        strerror(-r),
			        r == -EADDRINUSE
			                ? " (another DNS server on this port? set [dns] listen "
			                  "to this server's addresses, or mode = off)"
			                : "");
			close_sockets(s);
			return r;
		}
	}
	return 0;
}

/* ---- upstreams: [dns] upstream, else resolv.conf */

static bool is_own(const struct dns_server *s, const struct conf *c, uint32_t addr)
{
	for (size_t i = 0; i < c->dns.n_listen; i++)
		if (c->dns.listen[i] == addr)
			return true;
	if (c->dns.n_listen)
		return false;
	/* listening everywhere: loopback and our own addresses would be ourselves */
	for (size_t i = 0; i < s->n_own; i++)
		if (s->own[i] == addr)
			return true;
	return ip4_in(addr, 0x7f000000, 8);
}

static void pick_upstreams(struct dns_server *s, const struct conf *c)
{
	s->n_upstreams = 0;
	if (c->dns.n_upstreams) {
		memcpy(s->upstreams, c->dns.upstreams, c->dns.n_upstreams * sizeof *s->upstreams);
		s->n_upstreams = c->dns.n_upstreams;
		return;
	}
	FILE *f = fopen(c->dns.resolv_conf, "re");
	char line[256], a[IP4_STRLEN];
	if (!f) {
		log_warn("dns: no upstream configured and %s unreadable: %m", c->dns.resolv_conf);
		return;
	}
	while (fgets(line, sizeof line, f) && s->n_upstreams < CONF_MAX_LIST) {
		char word[32], addr[64];
		uint32_t ip;
		if (sscanf(line, "%31s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0 ||
		    ip4_parse(addr, &ip) < 0)
			continue;
		if (is_own(s, c, ip)) {
			log_info("dns: %s: skipping nameserver %s (this server)",
			         c->dns.resolv_conf, ip4_fmt(ip, a));
			continue;
		}
		s->upstreams[s->n_upstreams++] = (struct conf_hostport){ip, 53};
	}
	fclose(f);
}

static void fwd_conf(const struct dns_server *s, const struct conf *c, struct dns_forward_conf *fc)
{
	*fc = (struct dns_forward_conf){
	        .upstreams = s->upstreams,
	        .n_upstreams = s->n_upstreams,
	        .timeout_ms = c->dns.upstream_timeout_sec * 1000,
	        .retry_ms = c->dns.upstream_retry_sec * 1000,
	        .max_pending = c->dns.forward_max,
	        .edns_payload = (uint16_t) c->dns.edns_payload,
	};
}

static void apply_engine(struct dns_server *s, const struct conf *c)
{
	s->engine.zone = s->zone;
	s->engine.cache = c->dns.cache_bytes ? s->cache : NULL;
	s->engine.hosts = s->svc->hosts;
	s->engine.edns_payload = (uint16_t) c->dns.edns_payload;
	s->engine.forward = c->dns.mode == DNS_MODE_FULL && s->n_upstreams > 0;
}

static void log_ready(const struct dns_server *s, const struct conf *c)
{
	char ups[CONF_MAX_LIST * 24] = "", a[IP4_STRLEN];
	size_t n = 0;
	for (size_t i = 0; i < s->n_upstreams && n < sizeof ups; i++)
		n += (size_t) snprintf(ups + n, sizeof ups - n, "%s%s:%u", i ? ", " : "",
		                       ip4_fmt(s->upstreams[i].addr, a), s->upstreams[i].port);
	log_info("dns: %s on %s port %u, %zu record%s, %s%s", c->dns.domain,
	         c->dns.n_listen ? "the listen addresses" : "every address", c->dns.port,
	         c->dns.n_records, c->dns.n_records == 1 ? "" : "s",
	         s->engine.forward ? "forwarding to " : "no forwarding",
	         s->engine.forward ? ups : "");
}

/* ---- stats over the control bus */

static int ctl_stats(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct dns_server *s = data;
	struct dns_cache_stats cs = {0};
	struct dns_forward_stats fs;
	const struct dns_engine_stats *e = &s->engine.stats;
	if (s->cache)
		dns_cache_stats(s->cache, &cs);
	dns_forward_stats(s->fwd, &fs);
	*ret = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	                 "queries", (json_int_t) e->queries, "local", (json_int_t) e->local,
	                 "cached", (json_int_t) e->cached, "forwarded", (json_int_t) e->forwarded,
	                 "refused", (json_int_t) e->refused, "formerr", (json_int_t) e->formerr,
	                 "notimp", (json_int_t) e->notimp, "truncated", (json_int_t) e->truncated,
	                 "rate_limited", (json_int_t) s->st.rate_limited, "servfail",
	                 (json_int_t) s->st.servfail, "cache_entries", (json_int_t) cs.entries,
	                 "cache_bytes", (json_int_t) cs.bytes, "upstream_sent",
	                 (json_int_t) fs.sent, "upstream_timeouts", (json_int_t) fs.timeouts,
	                 "upstream_unmatched", (json_int_t) fs.unmatched, "upstream_tcp",
	                 (json_int_t) fs.tcp, "tcp_connections", (json_int_t) s->n_conns);
	if (*ret &&
	    json_object_update_new(
	            *ret, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "not_served",
	                            (json_int_t) s->st.not_served, "upstream_sockets",
	                            (json_int_t) fs.sockets, "tcp_accepted",
	                            (json_int_t) s->st.tcp_accepted, "tcp_refused",
	                            (json_int_t) s->st.tcp_refused, "tcp_evicted",
	                            (json_int_t) s->st.tcp_evicted, "tcp_closed_idle",
	                            (json_int_t) s->st.tcp_closed_idle, "tcp_closed_deadline",
	                            (json_int_t) s->st.tcp_closed_deadline)) < 0) {
		json_decref(*ret);
		*ret = NULL;
	}
	return *ret ? 200 : 500;
}

/* ---- module life */

static void server_free(struct dns_server *s)
{
	if (!s)
		return;
	if (s->svc && s->svc->ctl)
		ctl_unregister(s->svc->ctl, "dns.stats");
	dns_tcp_close_all(s);
	close_sockets(s);
	dns_forward_free(s->fwd);
	loop_timer_free(s->if_timer);
	loop_timer_free(s->tcp_timer);
	dns_cache_free(s->cache);
	dns_zone_free(s->zone);
	net_batch_free(s->batch);
	free(s->out);
	free(s->scratch);
	free(s->tcp_scratch);
	free(s->clients);
	while (s->waiting_blocks) {
		struct dns_waiting_block *b = s->waiting_blocks;
		s->waiting_blocks = b->next;
		free(b);
	}
	free(s->conns);
	free(s->conn_gen);
	free(s);
}

static void server_free_void(void *m)
{
	server_free(m);
}

static int alloc_buffers(struct dns_server *s, const struct conf *c)
{
	s->batch = net_batch_new(NET_BATCH_MAX, UDP_RECV_BUFSIZE);
	s->out = malloc((size_t) NET_BATCH_MAX * DNS_UDP_OUT_MAX);
	s->scratch = malloc(DNS_MSG_MAX);
	s->client_shift = 32 - CLIENT_SLOTS_LOG;
	s->clients = calloc((size_t) 1 << CLIENT_SLOTS_LOG, sizeof *s->clients);
	s->cache = dns_cache_new(c->dns.cache_bytes);
	if (!s->batch || !s->out || !s->scratch || !s->clients || !s->cache ||
	    waiting_grow(s, c->dns.forward_max) < 0)
		return -ENOMEM;
	s->waiting_max = c->dns.forward_max;
	return 0;
}

static int server_new(const struct conf *c, const struct nb_services *svc, void **ret)
{
	struct dns_forward_conf fc;
	int r;
	if (c->dns.mode == DNS_MODE_OFF) {
		*ret = NULL;
		return 0;
	}
	struct dns_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->conf = c;
	s->svc = svc;
	s->loop = svc->loop;
	s->acl_gen = 1;
	s->rl_client = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 10);
	refresh_own(s);
	pick_upstreams(s, c);
	fwd_conf(s, c, &fc);
	if ((r = alloc_buffers(s, c)) < 0 || (r = dns_zone_new(c, &s->zone)) < 0 ||
	    (r = dns_forward_new(s->loop, &fc, on_forward_done, on_forward_batch_end, s, &s->fwd)) <
	            0 ||
	    (r = dns_tcp_init(s)) < 0)
		goto fail;
	apply_engine(s, c);
	if ((r = open_sockets(s, c)) < 0)
		goto fail;
	s->if_timer = loop_timer_new(s->loop, on_if_timer, s);
	if (!s->if_timer) {
		r = -ENOMEM;
		goto fail;
	}
	loop_timer_arm(s->if_timer, IFACE_REFRESH_MS);
	if (svc->ctl)
		(void) ctl_register(svc->ctl, "dns.stats", ctl_stats, s);
	log_ready(s, c);
	*ret = s;
	return 0;
fail:
	if (r == -EINVAL)
		log_err("dns: the local zone cannot be built from the configuration");
	server_free(s);
	return r;
}

static int server_reload(void *m, const struct conf *c)
{
	struct dns_server *s = m;
	const struct conf *old = s->conf;
	struct dns_zone *z = NULL;
	struct dns_forward_conf fc;
	int r;
	/* (mode to or from off needs a restart: the loader keeps the running mode then) */
	if ((r = waiting_grow(s, c->dns.forward_max)) < 0 || (r = dns_zone_new(c, &z)) < 0)
		return r;
	bool rebind = c->dns.port != old->dns.port || c->dns.n_listen != old->dns.n_listen ||
	              memcmp(c->dns.listen, old->dns.listen, sizeof c->dns.listen) != 0;
	if (rebind) {
		/* the same addresses are free again at once (SO_REUSEADDR): on failure the old
		 * ones come back */
		close_sockets(s);
		if ((r = open_sockets(s, c)) < 0) {
			if (open_sockets(s, old) < 0)
				log_err("dns: the old sockets could not be reopened either");
			dns_zone_free(z);
			return r;
		}
	}
	dns_zone_free(s->zone);
	s->zone = z;
	s->conf = c;
	pick_upstreams(s, c);
	fwd_conf(s, c, &fc);
	s->waiting_max = c->dns.forward_max;
	if (dns_forward_reconfigure(s->fwd, &fc) < 0 || dns_tcp_reconfigure(s, c) < 0)
		log_err("dns: forward-max or tcp-connections not applied: out of memory");
	dns_cache_set_limit(s->cache, c->dns.cache_bytes);
	s->acl_gen++; /* every client's access is judged again */
	refresh_own(s);
	apply_engine(s, c);
	log_ready(s, c);
	return 0;
}

const struct nb_module dns_module = {
        .name = "dns",
        .new = server_new,
        .reload = server_reload,
        .free = server_free_void,
};
