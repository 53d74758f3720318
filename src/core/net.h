/* Sockets: UDP with IP_PKTINFO, batched receive and send, interface
 * addresses, and ARP-cache injection for replies to clients that have no
 * address yet. Addresses and ports are host order in this API. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

enum {
	NET_REUSEADDR = 1 << 0,
	NET_BROADCAST = 1 << 1,
	NET_PKTINFO = 1 << 2,
	NET_REUSEPORT = 1 << 3,
};

/* A non-blocking UDP socket bound to addr:port (addr 0: any); ifname, when
 * not NULL, binds it to that device. Returns the fd or -errno. */
int net_udp_socket(uint32_t addr, uint16_t port, const char *ifname, int flags);

/* One received datagram. */
struct net_pkt {
	uint8_t *data;
	size_t len;
	uint32_t src_addr, dst_addr; /* dst_addr: the address the client sent to */
	uint16_t src_port;
	int ifindex;
};

#define NET_BATCH_MAX 64

/* A reusable receive batch with its own buffers (bufsize each). */
struct net_batch;
struct net_batch *net_batch_new(size_t count, size_t bufsize);
void net_batch_free(struct net_batch *b);
/* Receives up to the batch size without blocking; returns how many (0 when
 * nothing was waiting) or -errno. The packets stay valid until the next call. */
int net_batch_recv(int fd, struct net_batch *b);
struct net_pkt *net_batch_pkt(struct net_batch *b, size_t i);

/* Sends len bytes to dst:port. src_addr (when not 0) and ifindex (when not
 * 0) set the source address and outgoing interface via IP_PKTINFO.
 * Returns 0 or -errno. */
int net_send(int fd, const void *buf, size_t len, uint32_t dst, uint16_t port, uint32_t src_addr,
             int ifindex);

/* Sends many datagrams in one sendmmsg(2) where possible. */
struct net_out {
	const void *buf;
	size_t len;
	uint32_t dst, src_addr;
	uint16_t port;
	int ifindex;
};
int net_send_many(int fd, const struct net_out *out, size_t n);

/* The first IPv4 address of the interface with this index inside the
 * given subnet (prefix 0: any); returns 0 and writes ret_addr/ret_prefix. */
int net_if_addr(int ifindex, uint32_t net, unsigned prefix, uint32_t *ret_addr,
                unsigned *ret_prefix);
/* Calls fn for every IPv4 address of every up interface. */
int net_if_foreach(int (*fn)(const char *ifname, int ifindex, uint32_t addr, unsigned prefix,
                             void *data),
                   void *data);

/* The interface a TCP connection arrived on (its SYN's), read with
 * IP_PKTOPTIONS: the listening socket must have had IP_PKTINFO set before
 * the connection was accepted (net_tcp_want_ifindex()). Returns the ifindex
 * (> 0) or -errno. */
int net_tcp_ifindex(int fd);
/* Sets IP_PKTINFO on a listening TCP socket so net_tcp_ifindex() works on
 * the connections it accepts. Returns 0 or -errno. */
int net_tcp_want_ifindex(int listen_fd);

/* Adds (or replaces) a complete ARP entry ip -> mac on ifindex, so a unicast
 * reply can reach a client that cannot answer ARP yet (RFC 2131 4.1). */
int net_arp_set(int fd, int ifindex, uint32_t ip, const struct hwaddr *mac);
