/* The TFTP server's request side and lifecycle: the listening socket,
 * each datagram read from it (a running single-port transfer's, or a
 * request), requests judged and refused or answered (the served LAN, mode,
 * max-transfers and the per-client limit, the name resolved through the
 * jail), the demux table of running transfers, the memory budget, the
 * config copy, new/reload/free and the module table entry. The transfers
 * themselves are xfer.c's. */
#include "tftp/tftp.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/jail.h"
#include "core/lan.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/util.h"
#include "core/wire.h"
#include "tftp/cache.h"
#include "tftp/internal.h"

#define LISTEN_BATCH  32
#define LISTEN_ROUNDS 4    /* batches per wakeup before others get a turn */
#define TRIM_AFTER_MS 1000 /* idle this long after the last transfer: memory back */
#define STORM_XFERS   8    /* transfers at once from which the loop busy-polls */

/* ---- the demux table: transfers by peer address (and port) */

/* Hashed by address only: one chain holds every transfer of a client, so
 * counting them (the per-client limit) is a walk along it. */
static size_t slot_of_peer(const struct tftp_server *s, uint32_t addr, uint16_t port)
{
	(void) port;
	uint8_t k[4] = {(uint8_t) (addr >> 24), (uint8_t) (addr >> 16), (uint8_t) (addr >> 8),
	                (uint8_t) addr};
	return (size_t) nb_hash(k, sizeof k, 69) & (s->table_size - 1);
}

static struct xfer *xfer_find(const struct tftp_server *s, uint32_t addr, uint16_t port)
{
	for (struct xfer *x = s->table[slot_of_peer(s, addr, port)]; x; x = x->hnext)
		if (x->peer == addr && x->peer_port == port)
			return x;
	return NULL;
}

static size_t peer_transfers(const struct tftp_server *s, uint32_t addr)
{
	size_t n = 0;
	for (struct xfer *x = s->table[slot_of_peer(s, addr, 0)]; x; x = x->hnext)
		n += x->peer == addr;
	return n;
}

static int table_grow(struct tftp_server *s)
{
	size_t n = s->table_size * 2;
	struct xfer **t = calloc(n, sizeof *t);
	if (!t)
		return -ENOMEM;
	struct xfer **old = s->table;
	size_t old_n = s->table_size;
	s->table = t;
	s->table_size = n;
	for (size_t i = 0; i < old_n; i++)
		while (old[i]) {
			struct xfer *x = old[i];
			old[i] = x->hnext;
			size_t k = slot_of_peer(s, x->peer, x->peer_port);
			x->hnext = t[k];
			t[k] = x;
		}
	free(old);
	return 0;
}

/* A storm (many transfers in lock-step or small windows): the loop polls
 * briefly before it sleeps, so each ACK does not have to wake it. */
static void storm_update(struct tftp_server *s)
{
	loop_set_busy_poll(s->svc.loop, s->n_xfers >= STORM_XFERS ? s->cfg.busy_poll_us : 0);
}

int tftp_xfer_link(struct tftp_server *s, struct xfer *x)
{
	if (s->n_xfers >= s->table_size && table_grow(s) < 0)
		return -ENOMEM;
	size_t k = slot_of_peer(s, x->peer, x->peer_port);
	x->hnext = s->table[k];
	s->table[k] = x;
	x->next = s->all;
	if (s->all)
		s->all->prev = x;
	s->all = x;
	s->n_xfers++;
	storm_update(s);
	return 0;
}

void tftp_xfer_unlink(struct tftp_server *s, struct xfer *x)
{
	for (struct xfer **p = &s->table[slot_of_peer(s, x->peer, x->peer_port)]; *p;
	     p = &(*p)->hnext)
		if (*p == x) {
			*p = x->hnext;
			break;
		}
	if (x->prev)
		x->prev->next = x->next;
	else
		s->all = x->next;
	if (x->next)
		x->next->prev = x->prev;
	s->n_xfers--;
	storm_update(s);
}

/* ---- the memory budget */

/* What the cache may hold: the budget less what transfers hold. */
static void cache_fit(struct tftp_server *s)
{
	size_t budget = (size_t) s->cfg.memory;
	tftp_cache_set_limit(s->cache, budget > s->mem_fixed ? budget - s->mem_fixed : 0);
}

int tftp_mem_reserve(struct tftp_server *s, size_t bytes)
{
	size_t floor = TFTP_CACHE_MIN_CHUNKS * TFTP_CHUNK_SIZE;
	if (s->mem_fixed + bytes + floor > s->cfg.memory)
		return -ENOBUFS;
	s->mem_fixed += bytes;
	cache_fit(s);
	return 0;
}

void tftp_mem_release(struct tftp_server *s, size_t bytes)
{
	if (!bytes)
		return;
	s->mem_fixed -= NB_MIN(bytes, s->mem_fixed);
	cache_fit(s);
	if (s->n_xfers == 0)
		loop_timer_arm(s->trim, TRIM_AFTER_MS);
}

/* A second without transfers: the heap's free pages go back to the system
 * (the cache's chunks went with their files, transfers' memory with them). */
static void on_trim(struct loop_timer *t, void *data)
{
	struct tftp_server *s = data;
	(void) t;
	if (s->n_xfers == 0)
		(void) malloc_trim(0);
}

/* ---- requests */

static void reply_error(struct listener *l, const struct net_pkt *p, enum tftp_err code,
                        const char *msg)
{
	uint8_t pkt[160];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	if (tftp_write_error(&b, code, msg) < 0)
		return;
	uint32_t src =
	        IN_MULTICAST(p->dst_addr) || p->dst_addr == INADDR_BROADCAST ? 0 : p->dst_addr;
	int r = net_send(l->fd, pkt, wbuf_len(&b), p->src_addr, p->src_port, src, 0);
	if (r < 0)
		log_debug("tftp: error reply: %s", strerror(-r));
}

static int root_fd(struct tftp_server *s)
{
	if (s->root_fd < 0) {
		s->root_fd = jail_root_open(s->cfg.root);
		if (s->root_fd < 0)
			log_rl(&s->rl_req, LOG_LVL_ERR, "tftp: root %s: %s", s->cfg.root,
			       strerror(-s->root_fd));
	}
	return s->root_fd;
}

/* Resolves the name through the jail; answers and records every refusal. */
static int open_file(struct tftp_server *s, struct listener *l, const struct net_pkt *p,
                     const struct tftp_msg *m, char *rel, size_t rel_len)
{
	int rfd = root_fd(s);
	int fd = rfd < 0 ? -ENOENT
	                 : jail_open(rfd, m->name, s->cfg.case_insensitive, O_NONBLOCK, rel,
	                             rel_len);
	char why[96];
	switch (fd) {
	case -ENOENT:
		reply_error(l, p, TFTP_ENOTFOUND, "File not found");
		tftp_ev_file_missing(s, p->src_addr, m->name,
		                     rfd < 0 ? "the root directory is missing" : "no such file");
		return fd;
	case -EISDIR:
		reply_error(l, p, TFTP_ENOTFOUND, "Not a file");
		tftp_ev_file_missing(s, p->src_addr, m->name, "not a regular file");
		return fd;
	case -EPERM:
		reply_error(l, p, TFTP_EACCESS, "Access violation");
		tftp_ev_refused(s, p->src_addr, m->name, "the path leaves the root");
		return fd;
	case -ENAMETOOLONG:
		reply_error(l, p, TFTP_EACCESS, "File name too long");
		tftp_ev_refused(s, p->src_addr, m->name, "name too long");
		return fd;
	default:
		if (fd >= 0)
			return fd;
		reply_error(l, p, fd == -EACCES ? TFTP_EACCESS : TFTP_EUNDEF, "Cannot open file");
		snprintf(why, sizeof why, "cannot open: %s", strerror(-fd));
		char n[PNAME_MAX];
		tftp_ev_error(s, p->src_addr, tftp_printable(m->name, n), why);
		return fd;
	}
}

static void on_request(struct tftp_server *s, struct listener *l, const struct net_pkt *p,
                       const struct tftp_msg *m)
{
	char rel[JAIL_PATH_MAX + 1], n[PNAME_MAX];

	tftp_ev_request(s, p->src_addr, m);
	if (m->op == TFTP_WRQ) {
		reply_error(l, p, TFTP_EACCESS, "Write requests are refused");
		tftp_ev_refused(s, p->src_addr, m->name, "write request");
		return;
	}
	if (m->mode != TFTP_MODE_OCTET && m->mode != TFTP_MODE_NETASCII) {
		reply_error(l, p, TFTP_EBADOP, "Unsupported transfer mode");
		tftp_ev_error(s, p->src_addr, tftp_printable(m->name, n),
		              "unsupported transfer mode");
		return;
	}
	char why[80];
	if (s->n_xfers >= s->cfg.max_transfers)
		snprintf(why, sizeof why, "%zu transfers, max-transfers = %u", s->n_xfers,
		         s->cfg.max_transfers);
	else if (peer_transfers(s, p->src_addr) >= s->cfg.max_per_client)
		snprintf(why, sizeof why, "max-transfers-per-client = %u from this address",
		         s->cfg.max_per_client);
	else
		why[0] = 0;
	if (why[0]) {
		reply_error(l, p, TFTP_EUNDEF, "Server busy, try again later");
		tftp_ev_busy(s, p->src_addr, m->name, why);
		return;
	}
	int fd = open_file(s, l, p, m, rel, sizeof rel);
	if (fd < 0)
		return;
	struct xfer *x = calloc(1, sizeof *x);
	if (!x) {
		close(fd);
		return;
	}
	*x = (struct xfer){.srv = s,
	                   .sock = -1,
	                   .file = fd,
	                   .peer = p->src_addr,
	                   .peer_port = p->src_port,
	                   .mode = m->mode};
	/* reply from the address the client used (never a broadcast one) */
	if (!IN_MULTICAST(p->dst_addr) && p->dst_addr != INADDR_BROADCAST)
		x->local = p->dst_addr;
	tftp_printable(rel, x->name);
	int r = tftp_xfer_start(s, x, &m->opts, s->cfg.single_port ? l : NULL);
	if (r == -ENOBUFS) {
		reply_error(l, p, TFTP_EUNDEF, "Server busy, try again later");
		snprintf(why, sizeof why, "the memory budget is in use ([tftp] memory = %lluM)",
		         (unsigned long long) (s->cfg.memory >> 20));
		tftp_ev_busy(s, p->src_addr, m->name, why);
	} else if (r < 0) {
		reply_error(l, p, TFTP_EUNDEF, "Server error");
		snprintf(why, sizeof why, "cannot start the transfer: %s", strerror(-r));
		tftp_ev_error(s, p->src_addr, tftp_printable(rel, n), why);
	}
}

/* The served-LAN boundary (core/lan.h): a datagram from elsewhere gets no
 * answer at all, not even an error (a TFTP reply is a reflection). */
static bool from_lan(struct tftp_server *s, const struct net_pkt *p)
{
	char a[IP4_STRLEN];
	if (!s->svc.lan)
		return true; /* no boundary given (tests of the protocol alone) */
	enum lan_verdict v = lan_check(s->svc.lan, p->ifindex, p->src_addr);
	if (v == LAN_OK)
		return true;
	log_rl(&s->rl_lan, LOG_LVL_INFO, "tftp: %s on %s: ignored, %s", ip4_fmt(p->src_addr, a),
	       lan_ifname(s->svc.lan, p->ifindex), lan_verdict_str(v));
	return false;
}

static void on_datagram(struct tftp_server *s, struct listener *l, const struct net_pkt *p)
{
	char w[40];
	struct tftp_msg m;

	if (p->len > LISTEN_BUFSIZE)
		return;
	LOG_CTX(lc, NULL, p->src_addr, "tftp.request"); /* the client, on every line (core/log.h) */
	struct xfer *x = xfer_find(s, p->src_addr, p->src_port);
	if (x && x->lst == l) { /* single-port: a packet of a running transfer */
		tftp_xfer_on_packet(x, p->data, p->len);
		return;
	}
	if (!from_lan(s, p))
		return;
	int r = tftp_msg_parse(p->data, p->len, &m);
	if (r == -EOPNOTSUPP) {
		reply_error(l, p, TFTP_EBADOP, "Illegal TFTP operation");
		log_rl(&s->rl_bad, LOG_LVL_INFO, "tftp: %s: unknown opcode %u",
		       tftp_who(s, p->src_addr, w), m.op);
		return;
	}
	if (r == -ENAMETOOLONG) {
		reply_error(l, p, TFTP_EACCESS, "File name too long");
		tftp_ev_refused(s, p->src_addr, m.name, "name too long");
		return;
	}
	if (r < 0) {
		if (m.op == TFTP_RRQ || m.op == TFTP_WRQ)
			reply_error(l, p, TFTP_EBADOP, "Malformed request");
		log_rl(&s->rl_bad, LOG_LVL_INFO, "tftp: %s: malformed packet (%zu bytes), ignored",
		       tftp_who(s, p->src_addr, w), p->len);
		return;
	}
	if (m.op != TFTP_RRQ && m.op != TFTP_WRQ)
		return; /* ACK, DATA, ERROR, OACK for no transfer of ours */
	if (x) {
		/* the client repeated its request: the running transfer answers it */
		log_debug("tftp: %s: repeated request ignored", tftp_who(s, p->src_addr, w));
		return;
	}
	on_request(s, l, p, &m);
}

static void listener_on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct listener *l = data;
	struct tftp_server *s = l->srv;
	if (events & EPOLLOUT)
		tftp_xfer_resume_blocked(l);
	if (!(events & EPOLLIN))
		return;
	for (int round = 0; round < LISTEN_ROUNDS; round++) {
		int n = net_batch_recv(fd, s->batch);
		if (n <= 0)
			break;
		for (int i = 0; i < n && s->lst == l; i++)
			on_datagram(s, l, net_batch_pkt(s->batch, (size_t) i));
		if (s->lst != l || n < LISTEN_BATCH)
			break;
	}
}

/* ---- the listening socket */

static void listener_free(struct tftp_server *s, struct listener *l)
{
	if (!l)
		return;
	/* single-port transfers ride on this socket: they end with it */
	for (struct xfer *x = s->all, *nx; x; x = nx) {
		nx = x->next;
		if (x->lst == l)
			tftp_xfer_abort(x, "ended: the listening socket was closed");
	}
	loop_io_free(l->io);
	close(l->fd);
	free(l);
}

static int listener_new(struct tftp_server *s, uint32_t addr, uint16_t port, struct listener **ret)
{
	char a[IP4_STRLEN];
	struct listener *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->srv = s;
	l->addr = addr;
	l->port = port;
	l->fd = net_udp_socket(addr, port, NULL, NET_PKTINFO);
	if (l->fd < 0) {
		int r = l->fd;
		log_err("tftp: cannot listen on %s:%u: %s", ip4_fmt(addr, a), port, strerror(-r));
		free(l);
		return r;
	}
	int r = loop_io_add(s->svc.loop, l->fd, EPOLLIN, listener_on_io, l, &l->io);
	if (r < 0) {
		close(l->fd);
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

/* ---- configuration */

static void copy_conf(struct tftp_server *s, const struct conf *c)
{
	memcpy(s->cfg.root, c->tftp.root, sizeof s->cfg.root);
	s->cfg.enable = c->tftp.enable;
	s->cfg.single_port = c->tftp.single_port;
	s->cfg.case_insensitive = c->tftp.case_insensitive;
	s->cfg.listen = c->tftp.listen;
	s->cfg.port = c->tftp.port;
	s->cfg.max_blksize = c->tftp.max_blksize;
	s->cfg.max_windowsize = c->tftp.max_windowsize;
	s->cfg.timeout_sec = c->tftp.timeout_sec;
	s->cfg.retries = c->tftp.retries;
	s->cfg.first_retries = c->tftp.first_retries;
	s->cfg.max_transfers = c->tftp.max_transfers;
	s->cfg.max_per_client = c->tftp.max_transfers_per_client;
	s->cfg.memory = c->tftp.memory_bytes;
	s->cfg.busy_poll_us = c->tftp.busy_poll_us;
}

/* Two descriptors per transfer (socket, file): raise the soft limit to fit. */
static void ensure_fd_limit(uint32_t max_transfers)
{
	struct rlimit rl;
	rlim_t want = (rlim_t) max_transfers * 2 + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : NB_MIN(want, rl.rlim_max);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("tftp: open files limited to %llu; max-transfers = %u needs %llu",
		         (unsigned long long) rl.rlim_cur, max_transfers,
		         (unsigned long long) want);
}

static void open_root(struct tftp_server *s)
{
	int fd = jail_root_open(s->cfg.root);
	if (fd < 0)
		log_warn("tftp: root %s: %s; every request is answered \"file not found\" until it "
		         "exists",
		         s->cfg.root, strerror(-fd));
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = fd;
}

static void log_serving(const struct tftp_server *s)
{
	char a[IP4_STRLEN];
	if (s->lst)
		log_info("tftp: listening on %s:%u, root %s%s%s", ip4_fmt(s->lst->addr, a),
		         s->lst->port, s->cfg.root, s->cfg.single_port ? ", single-port" : "",
		         s->cfg.case_insensitive ? ", case-insensitive" : "");
}

int tftp_server_new(const struct conf *c, const struct nb_services *svc, struct tftp_server **ret)
{
	struct tftp_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->svc = *svc;
	s->root_fd = -1;
	s->rl_bad = (struct log_ratelimit) LOG_RATELIMIT_INIT(10, 20);
	s->rl_lan = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	s->rl_req = (struct log_ratelimit) LOG_RATELIMIT_INIT(20, 100);
	s->rl_done = (struct log_ratelimit) LOG_RATELIMIT_INIT(50, 200);
	s->table_size = 64;
	s->table = calloc(s->table_size, sizeof *s->table);
	s->batch = net_batch_new(LISTEN_BATCH, LISTEN_BUFSIZE + 1);
	s->scratch = malloc(TFTP_BLKSIZE_MAX);
	s->trim = loop_timer_new(svc->loop, on_trim, s);
	copy_conf(s, c);
	if (!s->table || !s->batch || !s->scratch || !s->trim ||
	    tftp_cache_new((size_t) s->cfg.memory, &s->cache) < 0) {
		tftp_server_free(s);
		return -ENOMEM;
	}
	if (s->cfg.enable) {
		ensure_fd_limit(s->cfg.max_transfers);
		open_root(s);
		int r = listener_new(s, s->cfg.listen, (uint16_t) s->cfg.port, &s->lst);
		if (r < 0) {
			tftp_server_free(s);
			return r;
		}
		log_serving(s);
	}
	*ret = s;
	return 0;
}

/* Replaces the listening socket when its address or port changed. The old
 * one is closed first (a new one on the same port would not bind beside
 * it); when the new one cannot be bound, the old one is bound again. */
static int reload_listener(struct tftp_server *s, const struct conf *c)
{
	bool want = c->tftp.enable;
	if (s->lst && want && c->tftp.listen == s->lst->addr && c->tftp.port == s->lst->port)
		return 0;
	bool had = s->lst != NULL;
	uint32_t old_addr = had ? s->lst->addr : 0;
	uint16_t old_port = had ? s->lst->port : 0;
	listener_free(s, steal_ptr(&s->lst));
	if (!want)
		return 0;
	int r = listener_new(s, c->tftp.listen, (uint16_t) c->tftp.port, &s->lst);
	if (r < 0 && had && listener_new(s, old_addr, old_port, &s->lst) < 0)
		log_err("tftp: the previous listening socket could not be bound again either");
	return r;
}

int tftp_server_reload(struct tftp_server *s, const struct conf *c)
{
	bool reopen = !s->cfg.enable || s->root_fd < 0 || strcmp(s->cfg.root, c->tftp.root) != 0;
	int r = reload_listener(s, c);
	if (r < 0)
		return r;
	copy_conf(s, c);
	cache_fit(s);
	storm_update(s);
	if (s->cfg.enable) {
		ensure_fd_limit(s->cfg.max_transfers);
		if (reopen)
			open_root(s);
		log_serving(s);
	}
	return 0;
}

void tftp_server_free(struct tftp_server *s)
{
	if (!s)
		return;
	while (s->all)
		tftp_xfer_abort(s->all, "ended: the server stopped");
	listener_free(s, s->lst);
	if (s->root_fd >= 0)
		close(s->root_fd);
	tftp_cache_free(s->cache);
	loop_timer_free(s->trim);
	net_batch_free(s->batch);
	free(s->scratch);
	free(s->table);
	free(s);
}

size_t tftp_server_transfers(const struct tftp_server *s)
{
	return s->n_xfers;
}

size_t tftp_server_memory(const struct tftp_server *s)
{
	return s->mem_fixed + tftp_cache_bytes(s->cache);
}

/* ---- the module table entry */

static int module_new(const struct conf *c, const struct nb_services *svc, void **ret)
{
	struct tftp_server *s = NULL;
	int r = tftp_server_new(c, svc, &s);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

static int module_reload(void *m, const struct conf *c)
{
	return tftp_server_reload(m, c);
}

static void module_free(void *m)
{
	tftp_server_free(m);
}

const struct nb_module tftp_module = {
        .name = "tftp",
        .new = module_new,
        .reload = module_reload,
        .free = module_free,
};
