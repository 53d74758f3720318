/* Which relays are trusted. giaddr (RFC 2131 4.1, RFC 1542 4.1) picks the
 * subnet a client gets its address in and where the reply goes, so a host
 * that merely sets it could take leases in a relayed subnet it is not on,
 * or make netbay send replies anywhere. A packet's giaddr is accepted when
 *   - it came from UDP port 67 (relays send from the server port); and
 *   - with [dhcp] relays set: its source lies in one of those networks;
 *   - without: the source is this host, or the kernel routes giaddr the
 *     way the packet came: out of the interface it arrived on and through
 *     the same next hop as the source (the relay itself when on-link, or
 *     the router in front of it). A host on a served segment that names a
 *     relayed subnet's giaddr fails this: that subnet is routed via the
 *     relay, not via the host.
 * The verdicts are remembered for RELAY_MEMO_MS per (giaddr, source,
 * interface).
 *
 * The starvation guard keys a relayed packet by its relay (the source)
 * only when that relay stands for a network behind it: a listed relay, one
 * on this host, or a routed giaddr. A sender whose giaddr is on-link, its
 * own address on a served segment, is one more host there: its clients
 * count as the interface's own, so a host holding many addresses gains no
 * buckets by naming each as a relay. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/loop.h"
#include "core/route.h"
#include "core/services.h"
#include "dhcp/internal.h"

#define RELAY_MEMO_MS 5000

static uint32_t next_hop(uint32_t dst, const struct route *r)
{
	return r->gateway ? r->gateway : dst;
}

static const char *by_route(struct dhcp_server *s, const struct net_pkt *pkt, uint32_t giaddr,
                            uint32_t *ret_key)
{
	struct route via_gi, via_src;
	if (s->fd_route < 0 && (s->fd_route = route_open()) < 0) {
		s->fd_route = -1;
		return "no route lookup (netlink) to check the relay with";
	}
	if (route_get(s->fd_route, pkt->src_addr, &via_src) < 0)
		return "no route back to the source";
	if (via_src.local) {
		*ret_key = pkt->src_addr;
		return NULL; /* a relay on this host: only root binds port 67 */
	}
	if (route_get(s->fd_route, giaddr, &via_gi) < 0)
		return "no route to giaddr";
	if (via_gi.local)
		return "giaddr is an address of this server";
	if (via_gi.oif != pkt->ifindex || via_src.oif != pkt->ifindex)
		return "giaddr is not routed out of the interface the packet came in on";
	if (next_hop(giaddr, &via_gi) != next_hop(pkt->src_addr, &via_src))
		return "giaddr is not routed through the sender";
	*ret_key = via_gi.gateway ? pkt->src_addr : 0;
	return NULL;
}

static const char *judge(struct dhcp_server *s, const struct net_pkt *pkt, uint32_t giaddr,
                         uint32_t *ret_key)
{
	const struct conf *c = s->conf;
	if (pkt->src_port != DHCP_SERVER_PORT)
		return "not sent from port 67, as relays do";
	if (c->dhcp.n_relays == 0)
		return by_route(s, pkt, giaddr, ret_key);
	for (size_t i = 0; i < c->dhcp.n_relays; i++)
		if (ip4_in(pkt->src_addr, c->dhcp.relays[i].net, c->dhcp.relays[i].prefix)) {
			*ret_key = pkt->src_addr;
			return NULL;
		}
	return "the source is not in [dhcp] relays";
}

const char *dhcp_relay_untrusted(struct dhcp_server *s, const struct net_pkt *pkt, uint32_t giaddr,
                                 uint32_t *ret_key)
{
	int64_t now = loop_now_ms(s->svc->loop);
	uint32_t key[3] = {giaddr, pkt->src_addr, (uint32_t) pkt->ifindex};
	struct dhcp_relay_memo *m =
	        &s->relay_memo[nb_hash(key, sizeof key, 0x72) % DHCP_RELAY_MEMO];
	if (m->until_ms > now && m->giaddr == giaddr && m->src == pkt->src_addr &&
	    m->ifindex == pkt->ifindex && pkt->src_port == DHCP_SERVER_PORT) {
		*ret_key = m->key;
		return m->why;
	}
	*ret_key = 0;
	const char *why = judge(s, pkt, giaddr, ret_key);
	if (pkt->src_port == DHCP_SERVER_PORT)
		*m = (struct dhcp_relay_memo){.giaddr = giaddr,
		                              .src = pkt->src_addr,
		                              .ifindex = pkt->ifindex,
		                              .until_ms = now + RELAY_MEMO_MS,
		                              .key = *ret_key,
		                              .why = why};
	return why;
}
