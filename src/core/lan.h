/* The served LAN: one boundary for every service (DESIGN.md, "Boundaries").
 *
 * A datagram or connection is from the served LAN when
 *   - it arrived on a served interface: one named in [server] interfaces
 *     (every interface when that list is empty), or loopback; and
 *   - its source lies in a served network: loopback, a [subnet] (relayed
 *     ones included), or the subnet of an address of a served interface.
 * The subnet of an interface that is not served (a router's WAN side) is
 * never a served network, whatever the protocol. The host itself is: what
 * arrives on loopback from any of its own addresses is from the LAN.
 *
 * The interface table is read when the object is made and re-read lazily:
 * on a lookup that misses (an interface that came up since), at most once a
 * second, and every 30 s. Services keep no copy of their own; a cache that
 * remembers a verdict compares lan_generation() to know when to forget it. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;

#define LAN_IFS_MAX 64

/* One IPv4 address of an interface. */
struct lan_if {
	int ifindex;
	char name[IF_NAMESIZE];
	uint32_t addr; /* host order */
	unsigned prefix;
	bool loopback;
	bool served; /* computed: the interface is served */
};

enum lan_verdict {
	LAN_OK = 0,
	LAN_OTHER_IF, /* arrived on an interface that is not served */
	LAN_OFF_NET,  /* the source is in no served network */
};

struct lan;

/* A boundary for config c (kept until the next lan_set_conf), reading the
 * machine's interfaces. Returns 0 and *ret, or -ENOMEM. An interface table
 * that cannot be read is logged and retried on the next lookup. */
int lan_new(const struct conf *c, struct lan **ret);
void lan_free(struct lan *l);
/* A reload: the served interfaces and [subnet]s of the new config apply to
 * the next lookup. */
void lan_set_conf(struct lan *l, const struct conf *c);
/* Re-reads the interface table now. Returns 0 or -errno (table unchanged). */
int lan_refresh(struct lan *l);
/* Replaces the interface table (tests; lan_refresh() does this from the
 * machine). ifs is copied; at most LAN_IFS_MAX entries are kept. */
void lan_set_ifs(struct lan *l, const struct lan_if *ifs, size_t n);

/* Whether traffic from src that arrived on ifindex is from the served LAN.
 * ifindex 0 means "not known" (a TCP connection whose arrival interface
 * could not be read): only the source is judged then. */
enum lan_verdict lan_check(struct lan *l, int ifindex, uint32_t src);
static inline bool lan_allows(struct lan *l, int ifindex, uint32_t src)
{
	return lan_check(l, ifindex, src) == LAN_OK;
}
/* Whether the interface is served (loopback always is). */
bool lan_if_served(struct lan *l, int ifindex);
/* Whether addr lies in a served network (see above). */
bool lan_net_served(struct lan *l, uint32_t addr);
/* The interface's name ("?" when unknown), for log lines. */
const char *lan_ifname(struct lan *l, int ifindex);
/* The interface table as last read (n entries). */
const struct lan_if *lan_ifs(const struct lan *l, size_t *ret_n);
/* Changes whenever the table or the config changes. Never 0. */
uint64_t lan_generation(const struct lan *l);
/* "arrived on an interface that is not served" and so on, for log lines. */
const char *lan_verdict_str(enum lan_verdict v);
