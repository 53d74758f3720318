/* Check 2, addressing: the client's addresses, masks and routes against
 * the server's address. On-link (inside one of our subnets), routed (a
 * route or default gateway), or neither. A mask mismatch shows as a
 * server that our mask puts off-link but that answers ARP on our link: one
 * side's mask is wrong, so one side sends to a router (or nowhere) what it
 * should send directly. The ARP request is an RFC 5227 probe (sender
 * address 0.0.0.0), so no neighbour cache anywhere learns from it. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/wire.h"
#include "doctor/doctor.h"

#define ARP_LEN 28

int doctor_arp_request(uint8_t *buf, size_t cap, const struct hwaddr *mac, uint32_t target)
{
	struct wbuf b = wbuf_init(buf, cap);
	wbuf_u16(&b, ARPHRD_ETHER);
	wbuf_u16(&b, ETH_P_IP);
	wbuf_u8(&b, 6);
	wbuf_u8(&b, 4);
	wbuf_u16(&b, ARPOP_REQUEST);
	wbuf_bytes(&b, mac->b, 6);
	wbuf_u32(&b, 0); /* RFC 5227 2.1.1: a probe's sender address is zero */
	wbuf_zero(&b, 6);
	wbuf_u32(&b, target);
	return b.err ? b.err : (int) wbuf_len(&b);
}

int doctor_arp_reply_parse(const uint8_t *pkt, size_t len, uint32_t *ret_sender,
                           struct hwaddr *ret_mac)
{
	struct wire w = wire_init(pkt, len);
	uint16_t htype = wire_u16(&w), ptype = wire_u16(&w);
	uint8_t hlen = wire_u8(&w), plen = wire_u8(&w);
	uint16_t op = wire_u16(&w);
	struct hwaddr sha;
	wire_bytes(&w, sha.b, 6);
	uint32_t spa = wire_u32(&w);
	wire_skip(&w, 10); /* target hardware and protocol address */
	if (w.err)
		return -EBADMSG;
	if (htype != ARPHRD_ETHER || ptype != ETH_P_IP || hlen != 6 || plen != 4 ||
	    op != ARPOP_REPLY)
		return -ENOENT;
	*ret_sender = spa;
	*ret_mac = sha;
	return 0;
}

int doctor_arp_probe(const char *ifname, uint32_t target, int timeout_ms, struct hwaddr *ret_mac)
{
	struct hwaddr mac;
	int ifindex, r;
	uint8_t pkt[64];
	if ((r = doctor_sys_ifinfo(ifname, &mac, &ifindex)) < 0)
		return r;
	int len = doctor_arp_request(pkt, sizeof pkt, &mac, target);
	if (len < 0)
		return len;
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;
	NB_CLEANUP(closep) int cfd = fd;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
	                          .sll_protocol = htons(ETH_P_ARP),
	                          .sll_ifindex = ifindex,
	                          .sll_halen = 6};
	if (bind(cfd, (struct sockaddr *) &sll, sizeof sll) < 0)
		return -errno;
	memset(sll.sll_addr, 0xff, 6);
	int64_t deadline = nb_now_ms() + timeout_ms;
	if (sendto(cfd, pkt, (size_t) len, 0, (struct sockaddr *) &sll, sizeof sll) < 0)
		return -errno;
	for (;;) {
		int64_t left = deadline - nb_now_ms();
		struct pollfd p = {.fd = cfd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int) left) <= 0)
			return -ETIMEDOUT;
		ssize_t k = recv(cfd, pkt, sizeof pkt, 0);
		uint32_t spa;
		if (k > 0 && doctor_arp_reply_parse(pkt, (size_t) k, &spa, ret_mac) == 0 &&
		    spa == target)
			return 0;
	}
}

static const struct doctor_lif *lif_for(const struct doctor_lif *l, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (!l[i].loopback && ip4_in(a, l[i].addr & ip4_mask(l[i].prefix), l[i].prefix))
			return &l[i];
	return NULL;
}

void doctor_addressing_judge(struct doctor_result *r, const struct doctor_lif *lifs, size_t n_lifs,
                             const struct doctor_route *routes, size_t n_routes, uint32_t server,
                             const char *arp_if, int arp_answered, uint32_t offered_mask)
{
	char a[IP4_STRLEN], b[IP4_STRLEN], g[IP4_STRLEN];
	size_t shown = 0;
	ip4_fmt(server, a);
	for (size_t i = 0; i < n_lifs; i++) {
		if (lifs[i].loopback)
			continue;
		doctor_evidence(r, "%s: %s/%u%s", lifs[i].ifname, ip4_fmt(lifs[i].addr, b),
		                lifs[i].prefix, lifs[i].up ? "" : " (down)");
		shown++;
	}
	if (!shown)
		doctor_evidence(r, "no IPv4 address on any interface but loopback");
	for (size_t i = 0; i < n_routes; i++)
		doctor_evidence(r, "route %s/%u %s%s dev %s", ip4_fmt(routes[i].dest, b),
		                routes[i].prefix, routes[i].gw ? "via " : "",
		                routes[i].gw ? ip4_fmt(routes[i].gw, g) : "", routes[i].ifname);

	const struct doctor_lif *on = lif_for(lifs, n_lifs, server);
	const struct doctor_route *rt = doctor_route_lookup(routes, n_routes, server);
	if (on) {
		unsigned op = doctor_mask_prefix(offered_mask);
		if (offered_mask && op != on->prefix &&
		    doctor_verdict(r, DOCTOR_WARN,
		                   "mask mismatch: %s has /%u here but the server's DHCP offer "
		                   "says /%u",
		                   on->ifname, on->prefix, op))
			doctor_fix(r,
			           "make the masks agree: the subnet's prefix in netbay.conf and "
			           "this interface's configuration");
		doctor_verdict(r, DOCTOR_PASS, "%s is on-link: same subnet as %s/%u on %s", a,
		               ip4_fmt(on->addr, b), on->prefix, on->ifname);
		return;
	}
	if (arp_answered > 0) {
		/* how many leading bits the server shares with the link's own subnet */
		const struct doctor_lif *mine = NULL;
		unsigned common = 0;
		for (size_t i = 0; i < n_lifs; i++)
			if (arp_if && strcmp(lifs[i].ifname, arp_if) == 0 && !lifs[i].loopback) {
				mine = &lifs[i];
				break;
			}
		while (mine && common < 32 && !((mine->addr ^ server) & (0x80000000u >> common)))
			common++;
		enum doctor_status s = rt ? DOCTOR_WARN : DOCTOR_FAIL;
		char offer[64] = "";
		if (offered_mask)
			snprintf(offer, sizeof offer, "; the server's DHCP offer says /%u",
			         doctor_mask_prefix(offered_mask));
		if (mine && common >= 16) {
			if (doctor_verdict(r, s,
			                   "mask mismatch: %s answers ARP on %s's link, but %s/%u "
			                   "does not contain it (a /%u would%s)%s",
			                   a, arp_if, ip4_fmt(mine->addr, b), mine->prefix, common,
			                   offer,
			                   rt ? "; traffic takes a detour through the router"
			                      : "; no route leads there"))
				doctor_fix(
				        r,
				        "give the server and this machine the same mask (compare "
				        "`ip -4 addr` on both, and the subnet in netbay.conf)");
		} else if (doctor_verdict(r, s,
		                          "%s answers ARP on %s's link but is in another subnet: "
		                          "two subnets share one link%s",
		                          a, arp_if ? arp_if : "?",
		                          rt ? "" : " and no route joins them")) {
			doctor_fix(r, "put this machine in the server's subnet (DHCP), or add a "
			              "route to it");
		}
		return;
	}
	if (rt && rt->gw) {
		doctor_verdict(r, DOCTOR_PASS, "%s is routed via %s on %s", a, ip4_fmt(rt->gw, g),
		               rt->ifname);
		return;
	}
	if (rt) {
		doctor_verdict(r, DOCTOR_PASS, "%s is reached directly on %s (route %s/%u)", a,
		               rt->ifname, ip4_fmt(rt->dest, b), rt->prefix);
		return;
	}
	doctor_verdict(r, DOCTOR_FAIL,
	               "no route to %s: it is outside every local subnet and there "
	               "is no default gateway",
	               a);
	doctor_fix(r,
	           "get an address in the server's subnet (DHCP), or add a route or default "
	           "gateway towards %s",
	           a);
}

void doctor_check_addressing(struct doctor *d, struct doctor_result *r)
{
	struct hwaddr mac;
	uint32_t offered = 0;
	int arp = -1;
	if (!d->addr) {
		doctor_verdict(r, DOCTOR_SKIP, "the server's address is not known");
		return;
	}
	bool on = lif_for(d->lifs, d->n_lifs, d->addr) != NULL;
	if (!on && d->ifname[0]) {
		int e = doctor_arp_probe(d->ifname, d->addr, NB_MIN(d->o.timeout_ms, 1000), &mac);
		char m[HWADDR_STRLEN];
		arp = e == 0;
		if (e == 0)
			doctor_evidence(r, "ARP probe on %s: %s is at %s", d->ifname,
			                ip4_fmt(d->addr, (char[IP4_STRLEN]){0}),
			                hwaddr_fmt(&mac, m));
		else
			doctor_evidence(r, "ARP probe on %s: no answer (%s)", d->ifname,
			                strerror(-e));
	}
	for (size_t i = 0; i < d->n_offers; i++)
		if (!d->offers[i].proxy && d->offers[i].server_id == d->addr)
			offered = d->offers[i].mask;
	doctor_addressing_judge(r, d->lifs, d->n_lifs, d->routes, d->n_routes, d->addr, d->ifname,
	                        arp, offered);
}
