/* [dhcp] mode = auto (dhcp/probe.h): probing each served interface for
 * other DHCP servers and deciding, per request, whether netbay answers in
 * full, as a proxy, or not at all.
 *
 * How the probe travels: one AF_PACKET socket (SOCK_DGRAM, ETH_P_IP) per
 * probed interface, bound to it, with a classic BPF filter that keeps only
 * incoming IPv4 UDP to port 68. Not a UDP socket on port 68 with
 * SO_BINDTODEVICE, because
 *   - port 68 belongs to the machine's DHCP client (dhclient, dhcpcd,
 *     systemd-networkd, NetworkManager may run on this or another
 *     interface); a second socket there either fails to bind or takes
 *     part of their traffic, and a packet socket takes nothing from anyone;
 *   - a client without an address sends from 0.0.0.0 (RFC 2131 4.1), which
 *     a UDP socket on an interface that has addresses cannot do, and a
 *     server may treat a DISCOVER from an address differently;
 *   - what a packet socket sends never enters the local IP stack, so
 *     netbay's own port-67 socket does not hear it on the sending
 *     interface (it can on another interface of the same segment:
 *     dhcp_if_mode() drops it by its xid and chaddr);
 *   - the filter runs in the kernel: netbay's own replies (outgoing) and
 *     every other packet never wake the loop.
 * The socket stays open between probes, so an OFFER that comes late (a
 * server that pings an address before offering it, as dnsmasq and ISC
 * dhcpd do) still counts, and switches the interface to proxy when it
 * comes. It needs CAP_NET_RAW; without it the interface is served as a
 * proxy (never a rogue server) and the log says to set mode = full. */
#include "dhcp/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdio.h>
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
#include "dhcp/internal.h"

#define PROBE_IP_TTL     64
#define PROBE_RESCAN_MS  1000 /* an unknown interface looks again at most this often */
#define PROBE_READ_MAX   16   /* datagrams read per readable event */
#define PROBE_JITTER_PCT 10   /* rounds are spread by this much (two auto servers never in step) */

/* ---- the codec: build */

void dhcp_probe_id_new(struct dhcp_probe_id *id)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[4];
	arc4random_buf(&id->xid, sizeof id->xid);
	arc4random_buf(id->chaddr, sizeof id->chaddr);
	id->chaddr[0] = (uint8_t) ((id->chaddr[0] & 0xfc) | 0x02); /* local, unicast */
	arc4random_buf(r, sizeof r);
	/* RFC 2132 9.14: type 0, an identifier that is not a hardware address;
	 * readable in the other server's log */
	id->cid[0] = 0;
	memcpy(id->cid + 1, "netbay-probe-", 13);
	for (size_t i = 0; i < sizeof r; i++) {
		id->cid[14 + 2 * i] = (uint8_t) hex[r[i] >> 4];
		id->cid[15 + 2 * i] = (uint8_t) hex[r[i] & 15];
	}
}

/* RFC 1071: the one's complement sum of the 16-bit words left in w. */
static uint32_t csum_add(uint32_t sum, struct wire w)
{
	while (wire_left(&w) >= 2)
		sum += wire_u16(&w);
	if (wire_left(&w))
		sum += (uint32_t) wire_u8(&w) << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t) ~sum;
}

static void put_discover(struct wbuf *b, const struct dhcp_probe_id *id)
{
	static const uint8_t params[] = {DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER,
	                                 DHCP_OPT_DNS,         DHCP_OPT_DOMAIN,
	                                 DHCP_OPT_LEASE_TIME,  DHCP_OPT_SERVER_ID};
	struct dhcp_msg req = {.htype = 1, .hlen = 6, .xid = id->xid};
	memcpy(req.chaddr, id->chaddr, sizeof id->chaddr);
	/* the broadcast flag: every server answers to the whole segment (RFC
	 * 2131 4.1), so the OFFER reaches us although chaddr is nobody's */
	dhcp_write_header(b, &req, DHCP_BOOTREQUEST, 0, 0, 0, DHCP_BROADCAST_FLAG, NULL, NULL);
	dhcp_put_u8(b, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	dhcp_put_opt(b, DHCP_OPT_CLIENT_ID, id->cid, sizeof id->cid);
	dhcp_put_opt(b, DHCP_OPT_PARAM_LIST, params, sizeof params);
	dhcp_put_u16(b, DHCP_OPT_MAX_SIZE, DHCP_PROBE_PKT_MAX);
	dhcp_write_end(b);
}

int dhcp_probe_build(uint8_t *buf, size_t cap, const struct dhcp_probe_id *id)
{
	/* the DHCP message first, on its own: its padding to the BOOTP minimum
	 * (RFC 1542 2.1) counts from its own start */
	uint8_t msg[DHCP_PROBE_PKT_MAX - 28];
	struct wbuf d = wbuf_init(msg, sizeof msg);
	put_discover(&d, id);
	if (d.err)
		return d.err;
	struct wbuf b = wbuf_init(buf, cap);
	/* RFC 791 header, no options */
	wbuf_u8(&b, 0x45);
	wbuf_u8(&b, 0);  /* TOS */
	wbuf_u16(&b, 0); /* total length, below */
	wbuf_u16(&b, 0); /* identification */
	wbuf_u16(&b, 0); /* flags, fragment offset */
	wbuf_u8(&b, PROBE_IP_TTL);
	wbuf_u8(&b, IPPROTO_UDP);
	wbuf_u16(&b, 0); /* header checksum, below */
	wbuf_u32(&b, 0); /* from 0.0.0.0 */
	wbuf_u32(&b, 0xffffffffu);
	/* RFC 768 */
	wbuf_u16(&b, DHCP_CLIENT_PORT);
	wbuf_u16(&b, DHCP_SERVER_PORT);
	wbuf_u16(&b, 0); /* length, below */
	wbuf_u16(&b, 0); /* checksum, below */
	wbuf_bytes(&b, msg, wbuf_len(&d));
	if (b.err)
		return b.err;
	size_t len = wbuf_len(&b);
	wbuf_patch_u16(&b, 2, (uint16_t) len);
	wbuf_patch_u16(&b, 24, (uint16_t) (len - 20));
	struct wire all = wire_init(buf, len);
	wbuf_patch_u16(&b, 10, csum_fold(csum_add(0, wire_take(&all, 20))));
	/* pseudo-header: source 0, destination all ones, protocol, UDP length */
	uint32_t sum = 0xffff + 0xffff + IPPROTO_UDP + (uint32_t) (len - 20);
	uint16_t udp = csum_fold(csum_add(sum, all));
	wbuf_patch_u16(&b, 26, udp ? udp : 0xffff); /* 0 would mean "none" */
	return b.err ? b.err : (int) len;
}

/* ---- the codec: read */

int dhcp_probe_read(const uint8_t *pkt, size_t len, const struct dhcp_probe_id *id,
                    struct dhcp_msg *m, struct dhcp_probe_answer *ret)
{
	struct wire w = wire_init(pkt, len);
	uint8_t vihl = wire_u8(&w);
	wire_skip(&w, 1);
	uint16_t total = wire_u16(&w);
	wire_skip(&w, 2);
	uint16_t frag = wire_u16(&w);
	wire_skip(&w, 1);
	uint8_t proto = wire_u8(&w);
	wire_skip(&w, 2);
	uint32_t src = wire_u32(&w);
	wire_skip(&w, 4);
	size_t ihl = (size_t) (vihl & 15) * 4;
	if (w.err || vihl >> 4 != 4 || ihl < 20 || total < ihl || total > len)
		return -EBADMSG;
	/* the datagram ends at its total length (a frame may be padded) */
	struct wire ip = wire_init(pkt, total);
	wire_skip(&ip, ihl);
	if (proto != IPPROTO_UDP || (frag & 0x3fff) != 0)
		return -ENOENT; /* not UDP, or a fragment (a DHCP reply is never one) */
	wire_skip(&ip, 2);      /* source port: a server answers from 67, a relay may not */
	uint16_t dport = wire_u16(&ip);
	uint16_t ulen = wire_u16(&ip);
	wire_skip(&ip, 2); /* checksum: not checked, see below */
	if (ip.err || ulen < 8 || ulen - 8u > wire_left(&ip))
		return -EBADMSG;
	if (dport != DHCP_CLIENT_PORT)
		return -ENOENT;
	/* Neither checksum is checked: a packet socket sees the datagram before
	 * IP does, and a UDP checksum left to offload (veth, virtio) is not
	 * complete there. What makes an answer ours is its xid and chaddr. */
	size_t n = ulen - 8u;
	const uint8_t *body = wire_ptr(&ip, n);
	if (!body || dhcp_msg_parse(body, n, m) < 0)
		return -EBADMSG;
	if (m->op != DHCP_BOOTREPLY || m->htype != 1 || m->hlen != 6 || m->xid != id->xid ||
	    memcmp(m->chaddr, id->chaddr, sizeof id->chaddr) != 0)
		return -ENOENT; /* someone else's exchange */
	if (m->type != DHCP_OFFER || m->yiaddr == 0)
		return -ENOENT; /* a proxyDHCP server hands out no address: no conflict */
	struct dhcp_probe_answer a = {.src = src, .server_id = src, .yiaddr = m->yiaddr};
	uint32_t sid;
	if (dhcp_opt_u32(m, DHCP_OPT_SERVER_ID, &sid) == 0 && sid)
		a.server_id = sid;
	if (!a.server_id)
		return -ENOENT; /* from 0.0.0.0 and naming no server: no server at all */
	*ret = a;
	return 0;
}

bool dhcp_probe_is(const struct dhcp_msg *m, const struct dhcp_probe_id *id)
{
	return m->op == DHCP_BOOTREQUEST && m->xid == id->xid && m->hlen == 6 &&
	       memcmp(m->chaddr, id->chaddr, sizeof id->chaddr) == 0;
}

/* ---- the probe at run time */

enum probe_state {
	PROBE_PENDING, /* the first probe is not done: DISCOVERs wait */
	PROBE_CLEAR,   /* no other server answered: full */
	PROBE_FOREIGN, /* another server answered: proxy */
	PROBE_BROKEN,  /* cannot probe (no packet socket): proxy, never a rogue server */
};

static const char *const state_names[] = {"probing", "clear", "foreign", "cannot probe"};

struct probe_if {
	int ifindex;
	char name[IF_NAMESIZE];
	uint32_t addr; /* its address inside a [subnet] */
	bool seen;     /* in the last scan */
	int fd;
	struct loop_io *io;
	enum probe_state state;
	struct dhcp_probe_id id; /* the last probe sent: answers to it count until the next */
	bool sent;               /* id is valid */
	int64_t window_ms;       /* when the open window started; 0: none open */
	unsigned sends;          /* transmissions in the open window */
	bool answered;           /* in the open window */
	unsigned misses;         /* probes in a row unanswered while FOREIGN */
	uint64_t probes;
	struct dhcp_probe_answer srv; /* the other server, last heard */
	struct hwaddr srv_mac;
	int64_t srv_since, srv_last; /* wall seconds */
};

struct dhcp_probe {
	struct dhcp_server *s;
	struct probe_if ifs[LAN_IFS_MAX];
	size_t n;
	struct loop_timer *timer;
	int64_t next_round_ms, scanned_ms;
	bool first_done;
	struct log_ratelimit rl_found, rl_bad;
	struct dhcp_msg msg; /* scratch for answers */
};

static bool auto_mode(const struct dhcp_probe *p)
{
	return p->s->conf->dhcp.mode == DHCP_MODE_AUTO;
}

static struct probe_if *if_of(struct dhcp_probe *p, int ifindex)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ifs[i].ifindex == ifindex)
			return &p->ifs[i];
	return NULL;
}

static bool is_ours(const struct dhcp_probe *p, uint32_t addr)
{
	size_t n;
	const struct lan_if *ifs = lan_ifs(p->s->svc->lan, &n);
	for (size_t i = 0; i < n; i++)
		if (ifs[i].addr == addr)
			return true;
	return false;
}

static void if_close(struct probe_if *e)
{
	loop_io_free(e->io);
	e->io = NULL;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* ---- the packet socket */

/* Incoming IPv4 UDP to port 68, whole datagrams; offsets from the IP
 * header (SOCK_DGRAM). Outgoing copies (netbay's own replies) never pass. */
static const struct sock_filter port68[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t) (SKF_AD_OFF + SKF_AD_PKTTYPE)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 8, 0),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), /* protocol */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6), /* flags, fragment offset */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* X = header length */
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),  /* UDP destination port */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_CLIENT_PORT, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
};

static int packet_socket(int ifindex)
{
	struct sock_fprog prog = {.len = NB_ARRAY_SIZE(port68), .filter = (void *) port68};
	/* protocol 0: nothing arrives before the filter is on and the bind is done */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_ll sll = {
	        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0 ||
	    bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void on_answer(struct dhcp_probe *p, struct probe_if *e, const struct dhcp_probe_answer *a,
                      const struct hwaddr *mac)
{
	char id[IP4_STRLEN], src[IP4_STRLEN], off[IP4_STRLEN], m[HWADDR_STRLEN];
	bool news = e->state != PROBE_FOREIGN || e->srv.server_id != a->server_id;
	int64_t now = nb_wall_sec();
	e->answered = true;
	e->misses = 0;
	if (e->state != PROBE_FOREIGN)
		e->srv_since = now;
	e->srv_last = now;
	e->srv = *a;
	e->srv_mac = *mac;
	e->state = PROBE_FOREIGN;
	if (news)
		log_rl(&p->rl_found, LOG_LVL_WARN,
		       "dhcp: %s: another DHCP server answers here: %s (server id %s, MAC %s) "
		       "offered %s; proxy mode on %s: network boot only, no addresses",
		       e->name, ip4_fmt(a->src, src), ip4_fmt(a->server_id, id), hwaddr_fmt(mac, m),
		       ip4_fmt(a->yiaddr, off), e->name);
}

static void on_readable(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct dhcp_probe *p = data;
	uint8_t buf[DHCP_MAX_PACKET];
	char a[IP4_STRLEN], m[HWADDR_STRLEN];
	for (int k = 0; k < PROBE_READ_MAX; k++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof sll;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *) &sll, &sl);
		if (n < 0)
			return; /* EAGAIN, or an error the next event shows again */
		struct probe_if *e = if_of(p, sll.sll_ifindex);
		if (!e || !e->sent || sll.sll_pkttype == PACKET_OUTGOING || (size_t) n > sizeof buf)
			continue;
		struct hwaddr mac = {{0}};
		if (sll.sll_halen == 6)
			memcpy(mac.b, sll.sll_addr, 6);
		struct dhcp_probe_answer ans;
		int r = dhcp_probe_read(buf, (size_t) n, &e->id, &p->msg, &ans);
		if (r == -EBADMSG)
			log_rl(&p->rl_bad, LOG_LVL_DEBUG,
			       "dhcp: %s: malformed datagram to port 68 from %s, ignored", e->name,
			       hwaddr_fmt(&mac, m));
		if (r < 0)
			continue;
		if (is_ours(p, ans.server_id) || is_ours(p, ans.src)) {
			log_debug("dhcp: %s: our own offer %s answered the probe, ignored", e->name,
			          ip4_fmt(ans.yiaddr, a));
			continue;
		}
		on_answer(p, e, &ans, &mac);
	}
}

static int if_open(struct dhcp_probe *p, struct probe_if *e)
{
	if (e->fd >= 0)
		return 0;
	int fd = packet_socket(e->ifindex);
	int r = fd < 0 ? fd : loop_io_add(p->s->svc->loop, fd, EPOLLIN, on_readable, p, &e->io);
	if (r >= 0) {
		e->fd = fd;
		if (e->state == PROBE_BROKEN)
			e->state = PROBE_PENDING; /* it can probe now: decided by this probe */
		return 0;
	}
	if (fd >= 0)
		close(fd);
	if (e->state != PROBE_BROKEN)
		log_err("dhcp: %s: cannot probe for other DHCP servers (%s): serving network boot "
		        "only there; set [dhcp] mode = full to lease addresses without probing",
		        e->name, strerror(-r));
	e->state = PROBE_BROKEN;
	return r;
}

static void if_send(struct dhcp_probe *p, struct probe_if *e)
{
	uint8_t pkt[DHCP_PROBE_PKT_MAX];
	int len = dhcp_probe_build(pkt, sizeof pkt, &e->id);
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
	                         .sll_protocol = htons(ETH_P_IP),
	                         .sll_ifindex = e->ifindex,
	                         .sll_halen = 6,
	                         .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	e->sends++;
	if (len < 0 || sendto(e->fd, pkt, (size_t) len, 0, (struct sockaddr *) &to, sizeof to) < 0)
		log_rl(&p->rl_bad, LOG_LVL_WARN, "dhcp: %s: cannot send the probe: %s", e->name,
		       strerror(len < 0 ? -len : errno));
}

/* A new probe on e: a new identity, a window open from now. */
static void if_probe(struct dhcp_probe *p, struct probe_if *e, int64_t now)
{
	if (if_open(p, e) < 0)
		return;
	dhcp_probe_id_new(&e->id);
	e->sent = true;
	e->window_ms = now;
	e->sends = 0;
	e->answered = false;
	if_send(p, e);
	log_debug("dhcp: %s: probing for other DHCP servers (xid %08x)", e->name, e->id.xid);
}

/* ---- which interfaces: served, not loopback, with an address in a [subnet]
 * (elsewhere netbay leases nothing, and never probes a WAN side) */

static void scan(struct dhcp_probe *p, bool refresh)
{
	const struct conf *c = p->s->conf;
	size_t n;
	if (refresh)
		(void) lan_refresh(p->s->svc->lan);
	p->scanned_ms = loop_now_ms(p->s->svc->loop);
	const struct lan_if *ifs = lan_ifs(p->s->svc->lan, &n);
	for (size_t i = 0; i < p->n; i++)
		p->ifs[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct lan_if *li = &ifs[i];
		if (!li->served || li->loopback || !conf_subnet_find(c, li->addr))
			continue;
		struct probe_if *e = if_of(p, li->ifindex);
		if (!e && p->n < LAN_IFS_MAX) {
			e = &p->ifs[p->n++];
			*e = (struct probe_if){.ifindex = li->ifindex, .fd = -1, .addr = li->addr};
			nb_strlcpy(e->name, li->name, sizeof e->name);
		}
		if (e && !e->seen)
			e->addr = li->addr;
		if (e)
			e->seen = true;
	}
	for (size_t i = p->n; i-- > 0;) {
		if (p->ifs[i].seen)
			continue;
		log_debug("dhcp: %s: no longer probed (gone, or no [subnet])", p->ifs[i].name);
		if_close(&p->ifs[i]);
		p->ifs[i] = p->ifs[--p->n]; /* the loop_io finds its entry by ifindex */
	}
}

/* ---- rounds and windows */

static int64_t wait_ms(const struct dhcp_probe *p)
{
	return (int64_t) p->s->conf->dhcp.probe_wait_sec * 1000;
}

static void window_end(struct probe_if *e)
{
	char a[IP4_STRLEN];
	e->window_ms = 0;
	e->probes++;
	if (e->answered || e->state == PROBE_BROKEN)
		return;
	if (e->state == PROBE_PENDING) {
		e->state = PROBE_CLEAR;
		log_info("dhcp: %s: no other DHCP server answered the probe: full mode "
		         "(addresses and network boot)",
		         e->name);
	} else if (e->state == PROBE_FOREIGN && ++e->misses >= DHCP_PROBE_MISSES) {
		e->state = PROBE_CLEAR;
		log_warn("dhcp: %s: the DHCP server %s answered none of the last %u probes: full "
		         "mode again on %s",
		         e->name, ip4_fmt(e->srv.server_id, a), e->misses, e->name);
	}
}

static void say_first_done(struct dhcp_probe *p)
{
	char sum[512] = "", a[IP4_STRLEN];
	size_t l = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct probe_if *e = &p->ifs[i];
		if (e->state == PROBE_PENDING)
			return;
	}
	for (size_t i = 0; i < p->n && l < sizeof sum; i++) {
		const struct probe_if *e = &p->ifs[i];
		l += (size_t) snprintf(sum + l, sizeof sum - l, "%s%s on %s", l ? "; " : "",
		                       e->state == PROBE_CLEAR ? "full" : "proxy", e->name);
		if (e->state == PROBE_FOREIGN && l < sizeof sum)
			l += (size_t) snprintf(sum + l, sizeof sum - l, " (beside %s)",
			                       ip4_fmt(e->srv.server_id, a));
	}
	log_info("dhcp: auto mode: first probe done: %s",
	         p->n ? sum : "no served interface has a [subnet] to probe");
	p->first_done = true;
}

static void on_tick(struct loop_timer *t, void *data)
{
	struct dhcp_probe *p = data;
	int64_t now = loop_now_ms(p->s->svc->loop), wait = wait_ms(p);
	if (now >= p->next_round_ms) {
		uint32_t every = p->s->conf->dhcp.probe_interval_sec * 1000u;
		scan(p, true);
		for (size_t i = 0; i < p->n; i++)
			if (!p->ifs[i].window_ms)
				if_probe(p, &p->ifs[i], now);
		/* spread by +-10%: two auto servers on one segment fall out of step */
		p->next_round_ms = now + every - every * PROBE_JITTER_PCT / 100 +
		                   arc4random_uniform(every * PROBE_JITTER_PCT / 50 + 1);
	}
	int64_t next = p->next_round_ms;
	for (size_t i = 0; i < p->n; i++) {
		struct probe_if *e = &p->ifs[i];
		if (!e->window_ms)
			continue;
		/* once more half-way through, in case the first was lost */
		if (!e->answered && e->sends == 1 && now >= e->window_ms + wait / 2)
			if_send(p, e);
		if (now >= e->window_ms + wait) {
			window_end(e);
			continue;
		}
		int64_t at = e->sends == 1 && !e->answered ? e->window_ms + wait / 2
		                                           : e->window_ms + wait;
		next = NB_MIN(next, at);
	}
	if (!p->first_done)
		say_first_done(p);
	loop_timer_arm_at(t, next);
}

/* ---- deciding, per request */

/* A request about a lease netbay holds for this client: answering it is
 * not acting as a rogue server, whoever else is on the segment. */
static bool own_lease(const struct dhcp_ctx *x)
{
	const struct dhcp_msg *m = x->m;
	uint32_t addr = m->ciaddr, sid;
	if (m->type == DHCP_DISCOVER)
		return false;
	if (dhcp_opt_u32(m, DHCP_OPT_SERVER_ID, &sid) == 0 && !is_ours(x->s->probe, sid))
		return false; /* addressed to another server */
	if (!addr && dhcp_opt_u32(m, DHCP_OPT_REQUESTED_IP, &addr) < 0)
		return false;
	const struct dhcp_lease *l = dhcp_lease_by_addr(x->s->leases, addr);
	return l && l->state == DHCP_LEASE_BOUND && l->expires > x->now &&
	       dhcp_lease_owned_by(l, &x->client);
}

static bool heard_own(const struct dhcp_probe *p, const struct dhcp_msg *m)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ifs[i].sent && dhcp_probe_is(m, &p->ifs[i].id))
			return true;
	return false;
}

/* The probe entry of the interface a request arrived on; an interface not
 * known yet (it came up, or got an address, since the last scan) is
 * scanned for at most once a second and probed at once. */
static struct probe_if *if_for(struct dhcp_probe *p, int ifindex)
{
	struct probe_if *e = if_of(p, ifindex);
	int64_t now = loop_now_ms(p->s->svc->loop);
	if (e || now - p->scanned_ms < PROBE_RESCAN_MS)
		return e;
	/* the boundary re-reads its table itself when the interface is new to it */
	if (!lan_if_served(p->s->svc->lan, ifindex))
		return NULL;
	scan(p, false);
	e = if_of(p, ifindex);
	if (e && e->state == PROBE_PENDING && !e->window_ms) {
		if_probe(p, e, now);
		loop_timer_arm(p->timer, 0);
	}
	return e;
}

enum dhcp_if_mode dhcp_if_mode(struct dhcp_ctx *x)
{
	struct dhcp_probe *p = x->s->probe;
	switch (x->s->conf->dhcp.mode) {
	case DHCP_MODE_PROXY:
		return DHCP_IF_PROXY;
	case DHCP_MODE_AUTO:
		break;
	default:
		return DHCP_IF_FULL;
	}
	if (heard_own(p, x->m))
		return DHCP_IF_SILENT;
	if (x->pxe_port || x->s->conf->n_subnets == 0)
		return DHCP_IF_PROXY; /* the boot server port; or nothing to lease anywhere */
	if (x->m->giaddr)
		return DHCP_IF_FULL; /* relayed: the relay was set up to reach netbay */
	struct probe_if *e = if_for(p, x->pkt->ifindex);
	if (!e || e->state == PROBE_CLEAR || own_lease(x))
		return DHCP_IF_FULL;
	if (e->state == PROBE_PENDING) {
		log_debug("dhcp: %s: %s on %s not answered: the first probe for other DHCP servers "
		          "is not done",
		          x->mac, dhcp_msg_type_name(x->m->type), e->name);
		return DHCP_IF_SILENT;
	}
	if (e->state == PROBE_FOREIGN && x->m->type == DHCP_DISCOVER)
		DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_FOREIGN_SERVER, .server = e->srv.server_id,
		             .iface = e->name);
	return DHCP_IF_PROXY;
}

/* ---- the dhcp.servers command */

static json_t *if_json(const struct probe_if *e)
{
	char a[IP4_STRLEN], id[IP4_STRLEN], src[IP4_STRLEN], off[IP4_STRLEN], m[HWADDR_STRLEN];
	json_t *srv = json_null();
	if (e->state == PROBE_FOREIGN || e->misses || e->srv_last)
		srv = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "server_id",
		                ip4_fmt(e->srv.server_id, id), "address", ip4_fmt(e->srv.src, src),
		                "mac", hwaddr_fmt(&e->srv_mac, m), "offered",
		                ip4_fmt(e->srv.yiaddr, off), "since", (json_int_t) e->srv_since,
		                "last_seen", (json_int_t) e->srv_last, "answering",
		                e->state == PROBE_FOREIGN);
	const char *mode = e->state == PROBE_PENDING ? "waiting"
	                   : e->state == PROBE_CLEAR ? "full"
	                                             : "proxy";
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:o}", "interface", e->name, "address",
	                 ip4_fmt(e->addr, a), "mode", mode, "state", state_names[e->state],
	                 "probes", (json_int_t) e->probes, "misses", (int) e->misses, "server",
	                 srv);
}

static const char *mode_name(int mode)
{
	static const char *const names[] = {"full", "proxy", "off", "auto"};
	return mode >= 0 && mode < (int) NB_ARRAY_SIZE(names) ? names[mode] : "?";
}

static int ctl_servers(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct dhcp_probe *p = data;
	const struct conf *c = p->s->conf;
	json_t *arr = json_array();
	for (size_t i = 0; arr && auto_mode(p) && i < p->n; i++)
		json_array_append_new(arr, if_json(&p->ifs[i]));
	*ret = json_pack("{s:s, s:b, s:I, s:I, s:i, s:o}", "mode", mode_name(c->dhcp.mode),
	                 "first_probe_done", p->first_done, "probe_interval",
	                 (json_int_t) c->dhcp.probe_interval_sec, "probe_wait",
	                 (json_int_t) c->dhcp.probe_wait_sec, "misses_to_full", DHCP_PROBE_MISSES,
	                 "interfaces", arr);
	if (!*ret) {
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	return 200;
}

/* ---- the object */

int dhcp_probe_new(struct dhcp_server *s, struct dhcp_probe **ret)
{
	struct dhcp_probe *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->rl_found = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 10);
	p->rl_bad = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 5);
	int r = ctl_register(s->svc->ctl, "dhcp.servers", ctl_servers, p);
	if (r < 0) {
		free(p);
		return r;
	}
	*ret = p;
	p->first_done = !auto_mode(p);
	if (s->conf->dhcp.mode == DHCP_MODE_PROXY)
		log_info("dhcp: proxy mode: answering network-boot clients on UDP %d and %d, "
		         "leasing no addresses",
		         DHCP_SERVER_PORT, DHCP_PXE_PORT);
	if (!auto_mode(p))
		return 0;
	if (s->conf->n_subnets == 0)
		log_info("dhcp: auto mode without a [subnet]: nothing to lease, so network boot "
		         "only "
		         "(proxy mode) on every served interface");
	p->timer = loop_timer_new(s->svc->loop, on_tick, p);
	if (!p->timer)
		return -ENOMEM; /* the caller frees p with the server */
	log_info("dhcp: auto mode: probing for other DHCP servers every %us, %us each",
	         s->conf->dhcp.probe_interval_sec, s->conf->dhcp.probe_wait_sec);
	loop_timer_arm(p->timer, 0); /* the first round, in the first turn */
	return 0;
}

void dhcp_probe_free(struct dhcp_probe *p)
{
	if (!p)
		return;
	ctl_unregister(p->s->svc->ctl, "dhcp.servers");
	for (size_t i = 0; i < p->n; i++)
		if_close(&p->ifs[i]);
	loop_timer_free(p->timer);
	free(p);
}
