/* The lease table: every address netbay has handed out or offered, in
 * memory, indexed by address and by client, with the pools it allocates
 * from.
 *
 * One rule covers every state: a lease is available to another client once
 * its `expires` has passed. For a bound lease that is the end of the lease,
 * for an offer the end of the hold, for a declined address the end of its
 * quarantine, for a released one the moment of release. Each pool keeps its
 * leases in a min-heap on `expires`, so the oldest reusable address is at
 * the top (expired leases are reused oldest-first), and never-used
 * addresses are found by a cursor walking the range. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct conf;
struct conf_subnet;
struct store_lease;

enum dhcp_lease_state {
	DHCP_LEASE_OFFERED = 1,
	DHCP_LEASE_BOUND = 2,
	DHCP_LEASE_RELEASED = 3,
	DHCP_LEASE_DECLINED = 4,
};

#define DHCP_NO_POOL UINT16_MAX

/* Who is asking: RFC 2131 4.2 identifies a client by its client identifier
 * (option 61) when it sends one, else by chaddr. */
struct dhcp_client {
	struct hwaddr mac;
	const uint8_t *cid;
	uint8_t cid_len;
};

struct dhcp_lease {
	uint32_t addr;
	uint32_t expires; /* wall seconds */
	struct hwaddr mac;
	uint8_t state; /* enum dhcp_lease_state */
	uint8_t cid_len;
	uint16_t pool;
	uint32_t heap_idx;
	uint8_t *cid;
	char *hostname; /* published name (option 12 / first label of 81), or NULL */
	char *fqdn;     /* option 81 as sent, or NULL */
	int ifindex;    /* arrival interface of the REQUEST that bound it; 0: not known */
	struct dhcp_lease *next_addr, *next_client;
	uint32_t offered_at; /* wall seconds of the first OFFER, while offered */
	struct dhcp_lease *offer_prev, *offer_next; /* the pool's offers, first offered first */
};

/* When a subnet has no free address, an offer held this long without a
 * REQUEST goes to the next client, the one offered first before the others
 * (RFC 2131 4.3.1 lets a server reuse an offered address). */
#define DHCP_OFFER_RECLAIM_SEC 5

struct dhcp_leases;

struct dhcp_leases *dhcp_leases_new(void);
void dhcp_leases_free(struct dhcp_leases *t);

/* (Re)builds the pools from the config's ranges and files every existing
 * lease under the pool that now contains it. Returns 0 or -ENOMEM. */
int dhcp_leases_set_pools(struct dhcp_leases *t, const struct conf *c);

/* Adds a lease read from the store (start-up). */
int dhcp_leases_load(struct dhcp_leases *t, const struct store_lease *sl);

struct dhcp_lease *dhcp_lease_by_addr(const struct dhcp_leases *t, uint32_t addr);
/* The client's lease inside net/prefix (prefix 0: any), or NULL. */
struct dhcp_lease *dhcp_lease_by_client(const struct dhcp_leases *t, const struct dhcp_client *c,
                                        uint32_t net, unsigned prefix);
bool dhcp_lease_owned_by(const struct dhcp_lease *l, const struct dhcp_client *c);
/* Free for c: c's own, or nobody's since expires passed. */
bool dhcp_lease_available(const struct dhcp_lease *l, const struct dhcp_client *c, int64_t now);
/* Whether addr lies in one of the pools. */
bool dhcp_leases_in_pool(const struct dhcp_leases *t, uint32_t addr);

/* A free address for c in subnet s: the requested one when it is in a pool
 * of s and available, else one never used, else the oldest expired.
 * Returns the lease object now owned by c (state unchanged until the caller
 * sets it), or NULL when every address of s is in use. With none free, the
 * offer that was made first, at least DHCP_OFFER_RECLAIM_SEC ago, is taken
 * from its client (it never asked for it since). */
struct dhcp_lease *dhcp_leases_allocate(struct dhcp_leases *t, const struct conf_subnet *s,
                                        const struct dhcp_client *c, uint32_t requested,
                                        int64_t now);
/* How many addresses of subnet s's pools nobody holds at now: never used,
 * or their lease, offer, quarantine or release has ended. Counted at most
 * once per second of now (cheap: only expired leases are visited). */
size_t dhcp_leases_free_count(struct dhcp_leases *t, const struct conf_subnet *s, int64_t now);

/* Gives addr to c (a reservation, or an address c asked for and may have):
 * creates the lease object or takes it from its previous owner. NULL on
 * allocation failure. */
struct dhcp_lease *dhcp_leases_claim(struct dhcp_leases *t, uint32_t addr,
                                     const struct dhcp_client *c);

void dhcp_lease_set(struct dhcp_leases *t, struct dhcp_lease *l, enum dhcp_lease_state state,
                    uint32_t expires);
/* Offers l until now + hold_sec. A lease offered again to the same client
 * keeps its first offer time (its place in the reclaim order). */
void dhcp_lease_offer(struct dhcp_leases *t, struct dhcp_lease *l, int64_t now, uint32_t hold_sec);
/* Replaces the lease's names (NULL or "" clears). Returns 0 or -ENOMEM. */
int dhcp_lease_set_names(struct dhcp_lease *l, const char *hostname, const char *fqdn);
/* The stored form of l. */
void dhcp_lease_to_store(const struct dhcp_lease *l, struct store_lease *out);

size_t dhcp_leases_count(const struct dhcp_leases *t);
void dhcp_leases_foreach(const struct dhcp_leases *t, void (*fn)(struct dhcp_lease *l, void *data),
                         void *data);
const char *dhcp_lease_state_name(uint8_t state);
