/* The DHCP module: sockets, batched reads, choosing the subnet and server
 * address for a packet, the end-of-turn flush (group commit, then the ACKs
 * it covers), starvation limits, and the lease commands of the API. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/lan.h"
#include "core/loop.h"
#include "core/services.h"
#include "dhcp/dhcp.h"
#include "dhcp/internal.h"
#include "dhcp/probe.h"
#include "dhcp/status.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"
#include "store/store.h"

#define SWEEP_MS 30000

/* ---- interfaces: the served LAN's table (core/lan.h) */

static const struct lan_if *if_first(struct dhcp_server *s, int ifindex)
{
	size_t n;
	const struct lan_if *t = lan_ifs(s->svc->lan, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].ifindex == ifindex)
			return &t[i];
	return NULL;
}

static bool is_our_addr(const struct dhcp_server *s, uint32_t a)
{
	size_t n;
	const struct lan_if *t = lan_ifs(s->svc->lan, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].addr == a)
			return true;
	return false;
}

/* The client's subnet and the address we speak from (RFC 2131 4.3.1:
 * giaddr selects the subnet of a relayed client; the arrival interface
 * that of a local one; ciaddr that of a routed client renewing directly). */
static void find_subnet(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	const struct conf *c = s->conf;
	const struct lan_if *first = if_first(s, x->pkt->ifindex);
	size_t n_ifs;
	const struct lan_if *ifs = lan_ifs(s->svc->lan, &n_ifs);

	if (x->m->giaddr) {
		x->subnet = conf_subnet_find(c, x->m->giaddr);
		x->server_id = is_our_addr(s, x->pkt->dst_addr) ? x->pkt->dst_addr
		               : first                          ? first->addr
		                                                : 0;
		return;
	}
	for (size_t i = 0; i < n_ifs; i++) {
		const struct lan_if *f = &ifs[i];
		const struct conf_subnet *n;
		if (f->ifindex == x->pkt->ifindex && (n = conf_subnet_find(c, f->addr))) {
			x->subnet = n;
			x->server_id = f->addr;
			return;
		}
	}
	if (x->m->ciaddr && is_our_addr(s, x->pkt->dst_addr)) {
		x->subnet = conf_subnet_find(c, x->m->ciaddr);
		x->server_id = x->pkt->dst_addr;
	}
}

/* Proxy mode needs no subnet, only the address the client reaches us at. */
static void find_proxy_server(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	const struct lan_if *first = if_first(s, x->pkt->ifindex);
	if (is_our_addr(s, x->pkt->dst_addr))
		x->server_id = x->pkt->dst_addr; /* relayed, or unicast to 4011 */
	else if (first)
		x->server_id = first->addr;
}

/* ---- leases: durable, published */

int dhcp_lease_persist(struct dhcp_server *s, struct dhcp_lease *l)
{
	struct store_lease sl;
	char a[IP4_STRLEN];
	dhcp_lease_to_store(l, &sl);
	dhcp_sync_note(s, l->addr); /* written again should this turn be lost */
	int r = store_lease_put(s->svc->store, &sl);
	if (r < 0) {
		log_err("dhcp: cannot store the lease of %s: %s", ip4_fmt(l->addr, a),
		        strerror(-r));
		dhcp_sync_failed(s, l->addr);
		return r;
	}
	if (l->state == DHCP_LEASE_BOUND)
		(void) hosts_set(s->svc->hosts, &l->mac, l->addr, l->hostname, HOSTS_LEASE,
		                 l->expires);
	return 0;
}

void dhcp_lease_unpublish(struct dhcp_server *s, struct dhcp_lease *l)
{
	const struct hosts_entry *e = hosts_by_addr(s->svc->hosts, l->addr, 0);
	if (e && e->source == HOSTS_LEASE)
		hosts_remove_addr(s->svc->hosts, l->addr);
}

/* ---- replies */

struct dhcp_reply *dhcp_reply_new(struct dhcp_server *s)
{
	if (s->n_out == DHCP_OUT_MAX)
		return NULL; /* cannot happen: reads per turn are bounded by DHCP_OUT_MAX */

	struct dhcp_reply *r = &s->out[s->n_out++];
	memset(r, 0, offsetof(struct dhcp_reply, buf));
	r->len = 0;
	r->durable = false;
	r->arp = false;
	r->pxe_sock = false;
	return r;
}

/* RFC 2131 4.1: where a reply goes. */
void dhcp_reply_route(const struct dhcp_ctx *x, struct dhcp_reply *r, uint32_t yiaddr, bool nak)
{
	const struct dhcp_msg *m = x->m;
	r->src = x->server_id;
	r->mac = x->client.mac;
	r->arp_ip = yiaddr;
	if (m->giaddr) {
		r->dst = m->giaddr;
		r->port = DHCP_SERVER_PORT;
		return; /* routed: the kernel picks the interface */
	}
	r->ifindex = x->pkt->ifindex;
	r->port = DHCP_CLIENT_PORT;
	if (nak || (!m->ciaddr && (m->flags & DHCP_BROADCAST_FLAG)) || (!m->ciaddr && !yiaddr)) {
		r->dst = 0xffffffffu;
	} else if (m->ciaddr) {
		r->dst = m->ciaddr;
	} else {
		/* unicast to an address the client does not answer ARP for yet */
		r->dst = yiaddr;
		r->arp = true;
	}
}

static void send_some(struct dhcp_server *s, bool durable, bool pxe_sock)
{
	struct net_out out[DHCP_OUT_MAX];
	size_t n = 0;
	int fd = pxe_sock ? s->fd_pxe : s->fd;
	for (size_t i = 0; i < s->n_out; i++) {
		struct dhcp_reply *r = &s->out[i];
		if (r->durable != durable || r->pxe_sock != pxe_sock || r->len == 0)
			continue;
		if (r->arp) {
			int e = net_arp_set(s->fd, r->ifindex, r->arp_ip, &r->mac);
			if (e < 0) {
				/* fall back to broadcast rather than lose the reply */
				r->dst = 0xffffffffu;
				log_debug("dhcp: ARP entry for %s failed (%s); broadcasting",
				          ip4_fmt(r->arp_ip, (char[IP4_STRLEN]){0}), strerror(-e));
			}
		}
		out[n++] = (struct net_out){r->buf, r->len, r->dst, r->src, r->port, r->ifindex};
	}
	if (n == 0)
		return;
	int e = net_send_many(fd, out, n);
	if (e < 0)
		log_rl(&s->rl_info, LOG_LVL_WARN, "dhcp: sending replies: %s", strerror(-e));
}

/* End of turn: the replies that change nothing go out at once; the ACKs
 * wait for the turn's commit (serve's last hook, store_turn_end) and go
 * out from on_turn_end when it says every write of the turn is durable. */
static void flush(struct loop *l, void *data)
{
	struct dhcp_server *s = data;
	if (s->n_out == 0)
		return;
	send_some(s, false, false);
	if (s->fd_pxe >= 0)
		send_some(s, false, true);
	bool durable = false;
	for (size_t i = 0; i < s->n_out && !durable; i++)
		durable = s->out[i].durable;
	if (!durable)
		s->n_out = 0;
}

/* The store's verdict on the turn: ACKs only behind a durable commit; the
 * writes of a lost turn are written again (sync.c). */
static void on_turn_end(struct store *st, int r, void *data)
{
	struct dhcp_server *s = data;
	if (s->n_out && r == 0)
		send_some(s, true, false);
	else if (s->n_out)
		log_rl(&s->rl_info, LOG_LVL_ERR,
		       "dhcp: lease commit failed (%s): ACKs withheld, clients will retry",
		       strerror(-r));
	s->n_out = 0;
	dhcp_sync_turn_end(s, r);
}

/* ---- reading */

/* The packet's header and type are usable; false (logged) when not. */
static bool well_formed(struct dhcp_server *s, const struct net_pkt *pkt, struct dhcp_msg *m)
{
	char a[IP4_STRLEN];
	if (pkt->len > DHCP_MAX_PACKET) {
		log_rl(&s->rl_bad, LOG_LVL_INFO,
		       "dhcp: oversized datagram (over %d bytes) from %s, dropped", DHCP_MAX_PACKET,
		       ip4_fmt(pkt->src_addr, a));
		return false;
	}
	if (dhcp_msg_parse(pkt->data, pkt->len, m) < 0) {
		log_rl(&s->rl_bad, LOG_LVL_INFO,
		       "dhcp: malformed packet (%zu bytes) from %s, dropped", pkt->len,
		       ip4_fmt(pkt->src_addr, a));
		return false;
	}
	if (m->op != DHCP_BOOTREQUEST)
		return false;
	if (m->htype != 1 || m->hlen != 6 || m->type < DHCP_DISCOVER || m->type > DHCP_INFORM) {
		log_rl(&s->rl_bad, LOG_LVL_INFO,
		       "dhcp: unsupported request from %s (htype %u, hlen %u, type %u), dropped",
		       ip4_fmt(pkt->src_addr, a), m->htype, m->hlen, m->type);
		return false;
	}
	return true;
}

/* Who the client is (RFC 2131 4.2) and what it says about network boot. */
static void identify_client(struct dhcp_ctx *x)
{
	const struct dhcp_msg *m = x->m;
	memcpy(x->client.mac.b, m->chaddr, 6);
	const struct dhcp_opt_view *cid = dhcp_opt(m, DHCP_OPT_CLIENT_ID);
	/* RFC 2132 9.14: at least 2 bytes. A client identifier that is just
	 * the Ethernet type and chaddr says nothing more than the MAC: treat it
	 * as none, so a PXE firmware (no option 61) and iPXE or the OS after it
	 * (01:MAC) are one client with one address. */
	if (cid && cid->len >= 2 &&
	    !(cid->len == 7 && cid->p[0] == 1 && memcmp(cid->p + 1, m->chaddr, 6) == 0)) {
		x->client.cid = cid->p;
		x->client.cid_len = (uint8_t) NB_MIN(cid->len, (uint16_t) 255);
	}
	hwaddr_fmt(&x->client.mac, x->mac);
	if (pxe_client_parse(m, &x->pxe) < 0) {
		log_rl(&x->s->rl_bad, LOG_LVL_INFO,
		       "dhcp: %s: malformed PXE options (93 or 97), treated as not booting",
		       x->mac);
		memset(&x->pxe, 0, sizeof x->pxe);
		x->pxe.arch = -1;
	}
}

/* The EVENT= of a packet's log lines (the journal's names for them). */
static const char *event_of(uint8_t type)
{
	static const char *const names[] = {"dhcp.other",   "dhcp.discover", "dhcp.offer",
	                                    "dhcp.request", "dhcp.decline",  "dhcp.ack",
	                                    "dhcp.nak",     "dhcp.release",  "dhcp.inform"};
	return type < NB_ARRAY_SIZE(names) ? names[type] : names[0];
}

/* The order matters: nothing is recorded about a client (no device, no
 * lease) before its packet passed the served-interface filter, the relay
 * check and, in proto.c, the subnet check and the starvation guard. */
static void handle_pkt(struct dhcp_server *s, const struct net_pkt *pkt, bool pxe_port)
{
	struct dhcp_msg *m = &s->msg;
	char a[IP4_STRLEN], b[IP4_STRLEN];
	struct dhcp_ctx x = {
	        .s = s, .m = m, .pkt = pkt, .now = nb_wall_sec(), .pxe_port = pxe_port};

	if (!well_formed(s, pkt, m))
		return;
	/* [server] interfaces, as every service reads it (core/lan.h) */
	if (!lan_if_served(s->svc->lan, pkt->ifindex)) {
		log_debug("dhcp: %s from %s on %s, not a served interface",
		          dhcp_msg_type_name(m->type), ip4_fmt(pkt->src_addr, a),
		          lan_ifname(s->svc->lan, pkt->ifindex));
		return;
	}
	x.ifname = lan_ifname(s->svc->lan, pkt->ifindex);
	identify_client(&x);
	/* every line logged for this packet carries the client (core/log.h) */
	LOG_CTX(lc, &x.client.mac, m->ciaddr, event_of(m->type));
	const char *why = m->giaddr ? dhcp_relay_untrusted(s, pkt, m->giaddr, &x.guard_src) : NULL;
	if (why) {
		log_rl(&s->rl_relay, LOG_LVL_WARN,
		       "dhcp: %s: %s with giaddr %s from %s:%u on %s ignored: %s", x.mac,
		       dhcp_msg_type_name(m->type), ip4_fmt(m->giaddr, a),
		       ip4_fmt(pkt->src_addr, b), pkt->src_port, x.ifname, why);
		return;
	}
	/* a read-only lookup: the journal follows registered devices (probe.c too) */
	dhcp_proto_lookup(&x);
	if (x.reg.dev && x.reg.dev->name[0])
		log_ctx_set_device(x.reg.dev->name);
	enum dhcp_if_mode mode = dhcp_if_mode(&x); /* per interface in auto mode (probe.c) */
	if (mode == DHCP_IF_SILENT)
		return;
	if (mode == DHCP_IF_PROXY)
		find_proxy_server(&x);
	else
		find_subnet(&x);
	log_debug("dhcp: %s: %s via %s%s", x.mac, dhcp_msg_type_name(m->type),
	          m->giaddr ? ip4_fmt(m->giaddr, a) : x.ifname, pxe_port ? " (port 4011)" : "");
	if (mode == DHCP_IF_PROXY)
		dhcp_proto_proxy(&x);
	else
		dhcp_proto_handle(&x);
}

static void read_batches(struct dhcp_server *s, int fd, bool pxe_port)
{
	for (int b = 0; b < DHCP_BATCHES_PER_TURN; b++) {
		int n = net_batch_recv(fd, s->batch);
		if (n <= 0) {
			if (n < 0)
				log_rl(&s->rl_info, LOG_LVL_WARN, "dhcp: receive: %s",
				       strerror(-n));
			return;
		}
		for (int i = 0; i < n; i++)
			handle_pkt(s, net_batch_pkt(s->batch, (size_t) i), pxe_port);
	}
}

static void on_readable(struct loop_io *io, int fd, uint32_t events, void *data)
{
	read_batches(data, fd, false);
}

static void on_readable_pxe(struct loop_io *io, int fd, uint32_t events, void *data)
{
	read_batches(data, fd, true);
}

static void on_sweep(struct loop_timer *t, void *data)
{
	struct dhcp_server *s = data;
	(void) hosts_expire(s->svc->hosts, nb_wall_sec());
	loop_timer_arm(t, SWEEP_MS);
}

/* ---- the API's lease commands */

static void lease_json(struct dhcp_lease *l, void *data)
{
	json_t *arr = data;
	char a[IP4_STRLEN], m[HWADDR_STRLEN], cid[3 * 255 + 1] = "";
	if (l->state == DHCP_LEASE_OFFERED)
		return; /* not a lease yet */
	size_t n = 0;
	for (size_t i = 0; i < l->cid_len; i++)
		n += (size_t) snprintf(cid + n, sizeof cid - n, i ? ":%02x" : "%02x", l->cid[i]);
	int64_t now = nb_wall_sec();
	const char *state = l->state == DHCP_LEASE_BOUND && l->expires <= now
	                            ? "expired"
	                            : dhcp_lease_state_name(l->state);
	json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "address",
	                                     ip4_fmt(l->addr, a), "mac", hwaddr_fmt(&l->mac, m),
	                                     "client_id", cid, "hostname",
	                                     l->hostname ? l->hostname : "", "fqdn",
	                                     l->fqdn ? l->fqdn : "", "state", state, "expires",
	                                     (json_int_t) l->expires));
}

static int ctl_lease_list(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct dhcp_server *s = data;
	json_t *arr = json_array();
	dhcp_leases_foreach(s->leases, lease_json, arr);
	*ret = json_pack("{s:o}", "leases", arr);
	return 200;
}

struct release_q {
	struct dhcp_server *s;
	uint32_t addr;
	struct hwaddr mac;
	bool by_mac;
	json_t *done;
};

static void release_one(struct dhcp_lease *l, void *data)
{
	struct release_q *q = data;
	char a[IP4_STRLEN];
	if (l->state != DHCP_LEASE_BOUND)
		return;
	if (q->by_mac ? memcmp(&l->mac, &q->mac, sizeof q->mac) != 0 : l->addr != q->addr)
		return;
	dhcp_lease_unpublish(q->s, l);
	dhcp_lease_set(q->s->leases, l, DHCP_LEASE_RELEASED, (uint32_t) nb_wall_sec());
	if (dhcp_lease_persist(q->s, l) == 0)
		json_array_append_new(q->done, json_string(ip4_fmt(l->addr, a)));
	journal_emit(q->s->svc->journal, &(struct journal_fact){.kind = JOURNAL_DHCP_RELEASE,
	                                                        .mac = &l->mac,
	                                                        .ip = l->addr,
	                                                        .cause = JOURNAL_CAUSE_ADMIN});
}

static int ctl_lease_release(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct release_q q = {.s = data};
	const char *what = json_string_value(json_object_get(args, "addr"));
	if (!what)
		what = json_string_value(json_object_get(args, "mac"));
	if (!what) {
		snprintf(err, errlen, "give an address or a MAC");
		return 400;
	}
	if (ip4_parse(what, &q.addr) < 0) {
		if (hwaddr_parse(what, &q.mac) < 0) {
			snprintf(err, errlen, "'%s' is neither an IPv4 address nor a MAC", what);
			return 400;
		}
		q.by_mac = true;
	}
	q.done = json_array();
	dhcp_leases_foreach(q.s->leases, release_one, &q);
	if (json_array_size(q.done) == 0) {
		json_decref(q.done);
		snprintf(err, errlen, "no bound lease for %s", what);
		return 404;
	}
	int r = store_commit(q.s->svc->store); /* durable before we say so */
	if (r < 0) {
		json_decref(q.done);
		snprintf(err, errlen,
		         "the release is in force but the database did not store it (%s); netbay "
		         "keeps writing it",
		         strerror(-r));
		return 500;
	}
	log_info("dhcp: released %s on request", what);
	*ret = json_pack("{s:o}", "released", q.done);
	return 200;
}

/* ---- the module */

static int load_one(const struct store_lease *sl, void *data)
{
	struct dhcp_server *s = data;
	int r = dhcp_leases_load(s->leases, sl);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return r;
	if (sl->state == STORE_LEASE_BOUND && sl->expires > nb_wall_sec())
		(void) hosts_set(s->svc->hosts, &sl->mac, sl->addr, sl->hostname, HOSTS_LEASE,
		                 sl->expires);
	return 0;
}

static void server_free(struct dhcp_server *s)
{
	if (!s)
		return;
	dhcp_probe_free(s->probe);
	ctl_unregister(s->svc->ctl, "lease.list");
	ctl_unregister(s->svc->ctl, "lease.release");
	ctl_unregister(s->svc->ctl, "lease.import");
	dhcp_status_unregister(s);
	store_unwatch(s->svc->store, on_turn_end, s);
	dhcp_sync_free(s);
	loop_io_free(s->io);
	loop_io_free(s->io_pxe);
	loop_timer_free(s->sweep);
	if (s->fd >= 0)
		close(s->fd);
	if (s->fd_pxe >= 0)
		close(s->fd_pxe);
	if (s->fd_route >= 0)
		close(s->fd_route);
	net_batch_free(s->batch);
	dhcp_leases_free(s->leases);
	free(s);
}

static int server_new(const struct conf *c, const struct nb_services *svc, void **ret)
{
	int r;
	if (c->dhcp.mode == DHCP_MODE_OFF)
		return 0;
	struct dhcp_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->conf = c;
	s->svc = svc;
	s->fd = -1;
	s->fd_pxe = -1;
	s->rl_bad = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	s->rl_info = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	s->rl_lease = (struct log_ratelimit) LOG_RATELIMIT_INIT(20, 100);
	s->rl_guard = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	s->rl_relay = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	s->fd_route = -1;
	s->leases = dhcp_leases_new();
	s->batch = net_batch_new(NET_BATCH_MAX, DHCP_MAX_PACKET);
	s->sweep = loop_timer_new(svc->loop, on_sweep, s);
	if (!s->leases || !s->batch || !s->sweep) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = dhcp_leases_set_pools(s->leases, c)) < 0 || (r = dhcp_sync_new(s)) < 0 ||
	    (r = store_watch(svc->store, on_turn_end, s)) < 0)
		goto fail;
	int64_t t0 = nb_now_ms();
	if ((r = store_lease_foreach(svc->store, load_one, s)) < 0) {
		log_err("dhcp: cannot load leases: %s", strerror(-r));
		goto fail;
	}
	log_info("dhcp: %zu leases loaded in %lld ms", dhcp_leases_count(s->leases),
	         (long long) (nb_now_ms() - t0));
	s->fd = net_udp_socket(0, DHCP_SERVER_PORT, NULL,
	                       NET_REUSEADDR | NET_BROADCAST | NET_PKTINFO);
	if (s->fd < 0) {
		r = s->fd;
		log_err("dhcp: cannot bind UDP port %d: %s", DHCP_SERVER_PORT, strerror(-r));
		goto fail;
	}
	int big = 4 << 20;
	(void) setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	/* auto: any interface may turn out to need the boot server port */
	if (c->dhcp.mode == DHCP_MODE_PROXY || c->dhcp.mode == DHCP_MODE_AUTO) {
		s->fd_pxe = net_udp_socket(0, DHCP_PXE_PORT, NULL,
		                           NET_REUSEADDR | NET_BROADCAST | NET_PKTINFO);
		if (s->fd_pxe < 0) {
			r = s->fd_pxe;
			log_err("dhcp: cannot bind UDP port %d: %s", DHCP_PXE_PORT, strerror(-r));
			goto fail;
		}
		if ((r = loop_io_add(svc->loop, s->fd_pxe, EPOLLIN, on_readable_pxe, s,
		                     &s->io_pxe)) < 0)
			goto fail;
	}
	if ((r = loop_io_add(svc->loop, s->fd, EPOLLIN, on_readable, s, &s->io)) < 0 ||
	    (r = loop_hook_add(svc->loop, flush, s)) < 0 ||
	    (r = ctl_register(svc->ctl, "lease.list", ctl_lease_list, s)) < 0 ||
	    (r = ctl_register(svc->ctl, "lease.release", ctl_lease_release, s)) < 0 ||
	    (r = ctl_register(svc->ctl, "lease.import", dhcp_ctl_lease_import, s)) < 0 ||
	    (r = dhcp_status_register(s)) < 0 || (r = dhcp_probe_new(s, &s->probe)) < 0)
		goto fail;
	loop_timer_arm(s->sweep, SWEEP_MS);
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

static int server_reload(void *m, const struct conf *c)
{
	struct dhcp_server *s = m;
	if (c->dhcp.mode != s->conf->dhcp.mode) {
		log_err("dhcp: changing [dhcp] mode needs a restart");
		return -EINVAL;
	}
	int r = dhcp_leases_set_pools(s->leases, c);
	if (r < 0) {
		/* the pools of the running config are rebuilt: nothing half-applied */
		(void) dhcp_leases_set_pools(s->leases, s->conf);
		return r;
	}
	s->conf = c;
	memset(s->relay_memo, 0, sizeof s->relay_memo); /* [dhcp] relays may have changed */
	return 0;
}

static void module_free(void *m)
{
	server_free(m);
}

const struct nb_module dhcp_module = {
        .name = "dhcp",
        .new = server_new,
        .reload = server_reload,
        .free = module_free,
};
