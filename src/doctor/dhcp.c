/* Check 7, DHCP: one DISCOVER broadcast on the interface, every OFFER
 * collected for a few seconds. Never a REQUEST: nothing is leased and the
 * machine's address does not change.
 *
 * Choices (docs/doctor.md):
 * - The DISCOVER carries the interface's own MAC, not a random one: the
 *   point is what *this* machine is offered (its reservation, its boot
 *   profile, an "ignore unknown devices" policy). A DISCOVER commits
 *   nothing; a server may hold its offer for a few seconds, which is the
 *   address this machine would get anyway. A random MAC would take a pool
 *   address for that time and see a stranger's answer.
 * - A UDP socket on port 68 with SO_REUSEADDR, SO_BROADCAST and
 *   SO_BINDTODEVICE, and the broadcast flag set, so every answer is a
 *   broadcast that each socket on port 68 receives: a DHCP client already
 *   running (dhclient, systemd-networkd, NetworkManager use packet sockets
 *   or SO_REUSEADDR themselves) keeps working. If port 68 is held without
 *   SO_REUSEADDR, the check says so and skips rather than fight for it.
 * - PXEClient vendor class and option 93 are sent so PXE and proxyDHCP
 *   servers answer too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/net.h"
#include "dhcp/wire.h"
#include "doctor/doctor.h"

int doctor_dhcp_build(uint8_t *buf, size_t cap, uint8_t type, uint32_t xid,
                      const struct hwaddr *mac, uint32_t ciaddr, int arch)
{
	static const uint8_t params[] = {
	        DHCP_OPT_SUBNET_MASK,  DHCP_OPT_ROUTER,      DHCP_OPT_DNS,
	        DHCP_OPT_DOMAIN,       DHCP_OPT_VENDOR,      DHCP_OPT_SERVER_ID,
	        DHCP_OPT_VENDOR_CLASS, DHCP_OPT_TFTP_SERVER, DHCP_OPT_BOOTFILE};
	static const uint8_t ndi[] = {1, 2, 1}; /* UNDI 2.1 */
	struct dhcp_msg req = {.htype = 1, .hlen = 6, .xid = xid};
	struct wbuf b = wbuf_init(buf, cap);
	char vc[40];
	uint8_t cid[7] = {1};

	memcpy(req.chaddr, mac->b, 6);
	memcpy(cid + 1, mac->b, 6);
	if (arch < 0 || arch > 0xffff)
		arch = 0;
	/* PXE 2.1 2.2.5 */
	snprintf(vc, sizeof vc, "PXEClient:Arch:%05d:UNDI:002001", arch);
	/* RFC 2131 4.4.1: ciaddr 0 in a DISCOVER; an INFORM carries the client's address */
	dhcp_write_header(&b, &req, DHCP_BOOTREQUEST, type == DHCP_INFORM ? ciaddr : 0, 0, 0,
	                  type == DHCP_DISCOVER ? DHCP_BROADCAST_FLAG : 0, NULL, NULL);
	dhcp_put_u8(&b, DHCP_OPT_MSG_TYPE, type);
	dhcp_put_opt(&b, DHCP_OPT_CLIENT_ID, cid, sizeof cid);
	dhcp_put_opt(&b, DHCP_OPT_PARAM_LIST, params, sizeof params);
	dhcp_put_u16(&b, DHCP_OPT_MAX_SIZE, 1500);
	dhcp_put_str(&b, DHCP_OPT_VENDOR_CLASS, vc);
	dhcp_put_u16(&b, DHCP_OPT_CLIENT_ARCH, (uint16_t) arch);
	dhcp_put_opt(&b, DHCP_OPT_CLIENT_NDI, ndi, sizeof ndi);
	dhcp_write_end(&b);
	return b.err ? b.err : (int) wbuf_len(&b);
}

static void copy_field(char *dst, size_t n, const uint8_t *src, size_t len)
{
	size_t i = 0;
	for (; i < len && i + 1 < n && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char) src[i] : '?';
	dst[i] = 0;
}

int doctor_dhcp_offer_read(const uint8_t *pkt, size_t len, uint32_t xid, const struct hwaddr *mac,
                           uint32_t src, struct doctor_offer *ret)
{
	static struct dhcp_msg m; /* 6 KiB: not on the stack of a fuzz target */
	struct doctor_offer o = {.src = src};

	if (dhcp_msg_parse(pkt, len, &m) < 0)
		return -EBADMSG;
	if (m.op != DHCP_BOOTREPLY || m.xid != xid || m.hlen != 6 ||
	    memcmp(m.chaddr, mac->b, 6) != 0)
		return -ENOENT; /* someone else's exchange */
	if (m.type != DHCP_OFFER && m.type != DHCP_ACK)
		return -ENOENT;
	o.yiaddr = m.yiaddr;
	o.siaddr = m.siaddr;
	o.proxy = m.yiaddr == 0;
	if (dhcp_opt_u32(&m, DHCP_OPT_SERVER_ID, &o.server_id) < 0)
		o.server_id = 0;
	if (dhcp_opt_u32(&m, DHCP_OPT_SUBNET_MASK, &o.mask) < 0)
		o.mask = 0;
	const struct dhcp_opt_view *rt = dhcp_opt(&m, DHCP_OPT_ROUTER);
	if (rt && rt->len >= 4)
		o.router = (uint32_t) rt->p[0] << 24 | (uint32_t) rt->p[1] << 16 |
		           (uint32_t) rt->p[2] << 8 | rt->p[3];
	const struct dhcp_opt_view *vc = dhcp_opt(&m, DHCP_OPT_VENDOR_CLASS);
	if (vc)
		copy_field(o.vendor_class, sizeof o.vendor_class, vc->p, vc->len);
	o.pxe = strncmp(o.vendor_class, "PXEClient", 9) == 0 ||
	        strncmp(o.vendor_class, "HTTPClient", 10) == 0;
	const struct dhcp_opt_view *f = dhcp_opt(&m, DHCP_OPT_BOOTFILE);
	if (f)
		copy_field(o.file, sizeof o.file, f->p, f->len);
	else if (m.file)
		copy_field(o.file, sizeof o.file, m.file, 128);
	const struct dhcp_opt_view *sn = dhcp_opt(&m, DHCP_OPT_TFTP_SERVER);
	if (sn)
		copy_field(o.sname, sizeof o.sname, sn->p, sn->len);
	else if (m.sname)
		copy_field(o.sname, sizeof o.sname, m.sname, 64);
	*ret = o;
	return 0;
}

void doctor_offer_describe(const struct doctor_offer *o, char *buf, size_t n)
{
	char a[IP4_STRLEN], b[IP4_STRLEN], c[IP4_STRLEN], s[IP4_STRLEN];
	size_t l = 0;
	ip4_fmt(o->server_id ? o->server_id : o->src, s);
	if (o->proxy)
		l += (size_t) snprintf(buf, n, "%s: proxyDHCP (no address)", s);
	else
		l += (size_t) snprintf(buf, n, "%s: offers %s/%u, router %s", s,
		                       ip4_fmt(o->yiaddr, a), doctor_mask_prefix(o->mask),
		                       o->router ? ip4_fmt(o->router, b) : "-");
	if (l < n && (o->file[0] || o->siaddr))
		l += (size_t) snprintf(buf + l, n - l, ", next-server %s, file %s",
		                       ip4_fmt(o->siaddr, c), o->file[0] ? o->file : "-");
	if (l < n)
		snprintf(buf + l, n - l, ", vendor class %s",
		         o->vendor_class[0] ? o->vendor_class : "-");
}

void doctor_dhcp_judge(struct doctor_result *r, const char *ifname,
                       const struct doctor_offer *offers, size_t n, uint32_t server)
{
	uint32_t servers[DOCTOR_MAX_OFFERS];
	size_t n_servers = 0, n_proxy = 0, n_boot = 0;
	char line[DOCTOR_LINE_MAX], list[DOCTOR_LINE_MAX] = "", a[IP4_STRLEN], b[IP4_STRLEN];
	bool server_seen = false;

	for (size_t i = 0; i < n; i++) {
		const struct doctor_offer *o = &offers[i];
		uint32_t id = o->server_id ? o->server_id : o->src;
		doctor_offer_describe(o, line, sizeof line);
		doctor_evidence(r, "%s", line);
		server_seen |= server && (id == server || o->siaddr == server);
		n_boot += o->file[0] != 0;
		if (o->proxy) {
			n_proxy++;
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < n_servers; k++)
			dup |= servers[k] == id;
		if (dup)
			continue;
		servers[n_servers++] = id;
		size_t l = strlen(list);
		snprintf(list + l, sizeof list - l, "%s%s offers %s", l ? ", " : "", ip4_fmt(id, a),
		         ip4_fmt(o->yiaddr, b));
	}
	if (n == 0) {
		doctor_verdict(r, DOCTOR_FAIL, "no DHCP server answered a DISCOVER on %s", ifname);
		doctor_fix(r, "start a DHCP server on this segment (netbay: [dhcp] mode = full), "
		              "or relay DHCP to it (ip helper-address / dhcrelay) when it is on "
		              "another subnet; check that nothing drops UDP 67/68 on the way");
		return;
	}
	if (n_servers > 1) {
		doctor_verdict(r, DOCTOR_FAIL, "%zu DHCP servers answer on %s: %s", n_servers,
		               ifname, list);
		doctor_fix(r, "keep one DHCP server per segment: turn the other off, or run netbay "
		              "beside it with [dhcp] mode = proxy (boot information only)");
	}
	if (n_boot == 0) {
		doctor_verdict(r, DOCTOR_WARN,
		               "%s, but no offer names a boot file: a network "
		               "boot stops here",
		               n_servers ? list : "only proxyDHCP answers");
		doctor_fix(r, "set the [boot] loaders on netbay (and [dhcp] mode = proxy beside "
		              "another DHCP server), or options 66/67 on the DHCP server");
	}
	if (server && !server_seen)
		doctor_evidence(r, "the server %s itself made no offer", ip4_fmt(server, a));
	if (n_servers == 1)
		doctor_verdict(r, DOCTOR_PASS, "one DHCP server: %s%s%s", list,
		               n_proxy ? "; proxyDHCP answers" : "",
		               n_boot ? "; boot file offered" : "");
	else if (n_servers == 0)
		doctor_verdict(r, DOCTOR_WARN,
		               "only proxyDHCP answered on %s: no server offers "
		               "an address",
		               ifname);
}

/* Collects offers into d for the wait. */
static int collect(struct doctor *d, int fd, uint32_t xid, const struct hwaddr *mac,
                   const uint8_t *pkt, size_t len)
{
	int64_t start = nb_now_ms(), deadline = start + d->o.dhcp_wait_ms;
	bool resent = false;
	uint8_t buf[DHCP_MAX_PACKET];

	while (nb_now_ms() < deadline) {
		/* one resend after a second, for a lost broadcast */
		if (!resent && nb_now_ms() - start >= 1000) {
			resent = true;
			(void) net_send(fd, pkt, len, 0xffffffffu, DHCP_SERVER_PORT, 0, 0);
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int wait = (int) NB_MIN(deadline - nb_now_ms(), resent ? 1 << 30 : 250);
		if (poll(&p, 1, NB_MAX(wait, 0)) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t k = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
		if (k <= 0)
			continue;
		struct doctor_offer o;
		if (doctor_dhcp_offer_read(buf, (size_t) k, xid, mac, ntohl(from.sin_addr.s_addr),
		                           &o) < 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < d->n_offers; i++)
			dup |= d->offers[i].src == o.src && d->offers[i].server_id == o.server_id &&
			       d->offers[i].yiaddr == o.yiaddr && d->offers[i].proxy == o.proxy;
		if (!dup && d->n_offers < DOCTOR_MAX_OFFERS)
			d->offers[d->n_offers++] = o;
	}
	return 0;
}

int doctor_dhcp_probe(struct doctor *d)
{
	struct hwaddr mac;
	int ifindex, r;
	uint32_t xid;
	uint8_t pkt[DHCP_MAX_PACKET];

	if (d->dhcp_probed)
		return d->dhcp_err;
	d->dhcp_probed = true;
	if (!d->ifname[0])
		return d->dhcp_err = -ENODEV;
	if ((r = doctor_sys_ifinfo(d->ifname, &mac, &ifindex)) < 0)
		return d->dhcp_err = r;
	if (getrandom(&xid, sizeof xid, 0) != sizeof xid)
		xid = (uint32_t) nb_now_ms() ^ (uint32_t) getpid();
	int len = doctor_dhcp_build(pkt, sizeof pkt, DHCP_DISCOVER, xid, &mac, 0, d->o.arch);
	if (len < 0)
		return d->dhcp_err = len;
	int fd = net_udp_socket(0, DHCP_CLIENT_PORT, d->ifname, NET_REUSEADDR | NET_BROADCAST);
	if (fd < 0)
		return d->dhcp_err = fd;
	r = net_send(fd, pkt, (size_t) len, 0xffffffffu, DHCP_SERVER_PORT, 0, 0);
	if (r == 0)
		r = collect(d, fd, xid, &mac, pkt, (size_t) len);
	close(fd);
	return d->dhcp_err = r;
}

void doctor_check_dhcp(struct doctor *d, struct doctor_result *r)
{
	int e = doctor_dhcp_probe(d);
	if (e == -EADDRINUSE) {
		doctor_verdict(r, DOCTOR_SKIP,
		               "UDP port 68 on %s is held by another program "
		               "without SO_REUSEADDR",
		               d->ifname);
		doctor_fix(r, "stop that DHCP client for a moment, or run the doctor where it is "
		              "not running");
		return;
	}
	if (e == -EPERM || e == -EACCES) {
		doctor_verdict(r, DOCTOR_SKIP,
		               "not allowed to use UDP port 68 (run as root, or "
		               "with CAP_NET_BIND_SERVICE and CAP_NET_RAW)");
		return;
	}
	if (e < 0) {
		doctor_verdict(r, DOCTOR_SKIP, "no DISCOVER sent on %s: %s",
		               d->ifname[0] ? d->ifname : "(no interface)", strerror(-e));
		return;
	}
	doctor_evidence(r, "DISCOVER with PXEClient (arch %d) on %s, answers collected for %d ms",
	                d->o.arch, d->ifname, d->o.dhcp_wait_ms);
	doctor_dhcp_judge(r, d->ifname, d->offers, d->n_offers, d->addr);
}
