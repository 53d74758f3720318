/* The kernel's routing decision for one IPv4 destination (rtnetlink
 * RTM_GETROUTE): which interface and next hop a datagram to that address
 * would leave by. DHCP asks it to tell a relay from a host that only claims
 * to be one. Addresses are host order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct route {
	int oif;          /* outgoing interface index; 0 unknown */
	uint32_t gateway; /* next hop when not on-link; 0: on-link */
	bool local;       /* the destination is an address of this host */
};

/* A netlink socket for route_get (non-blocking, close-on-exec). Returns
 * the fd or -errno. */
int route_open(void);
/* Asks the kernel how it would reach dst. Never blocks: the kernel answers
 * a route query before the request's send returns. Returns 0 and *ret,
 * -ENETUNREACH (no route, or an unreachable/prohibit/blackhole one), or
 * -errno. */
int route_get(int fd, uint32_t dst, struct route *ret);
/* Parses the kernel's answer to query seq: a RTM_NEWROUTE message (its
 * rtmsg and attributes) or an NLMSG_ERROR. Bytes come from the kernel but
 * are checked as any peer's. Returns 0 and *ret, -EBADMSG, -ENETUNREACH
 * or the kernel's -errno. */
int route_parse(const uint8_t *buf, size_t len, uint32_t seq, struct route *ret);
