/* The LAN's machines by name and address, in memory: DHCP publishes a
 * client's name and address when it binds a lease and withdraws them when
 * the lease ends; DNS answers from it; TFTP and HTTP map a client address
 * back to its MAC for the journal.
 *
 * Names are single DNS labels, compared case-insensitively, stored in
 * lower case. Conflict rule (documented in docs/dns.md): a static name
 * (config [host], registry device) always wins over a lease's; between two
 * leases, the client that claimed the name first keeps it while its lease
 * is bound, and a later claimant is published by address only (reverse
 * lookups give nothing for it) and logged once. A reserved name ([dns]
 * reserved-names: wpad, isatap, localhost by default) is never published,
 * whatever the source: its entry is published by address only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

#define HOSTS_NAME_MAX 64

enum hosts_source {
	HOSTS_LEASE = 1,  /* a bound DHCP lease */
	HOSTS_STATIC = 2, /* a [host] reservation (the config's: replaced on reload) */
	HOSTS_DEVICE = 3, /* a named registry device (the registry's: kept on reload) */
};

struct hosts_entry {
	const char *name; /* never NULL; "" when the client has no (published) name */
	uint32_t addr;
	struct hwaddr mac;
	int source;      /* enum hosts_source */
	int64_t expires; /* wall seconds; 0: does not expire */
};

struct hosts;

struct hosts *hosts_new(void);
void hosts_free(struct hosts *h);

/* Publishes mac at addr under name (may be "" or NULL). Replaces whatever
 * that mac or addr had before. Returns 1 if the name was published, 0 if
 * it was withheld by the conflict rule (or empty), -errno on failure. */
int hosts_set(struct hosts *h, const struct hwaddr *mac, uint32_t addr, const char *name,
              enum hosts_source source, int64_t expires);
/* Withdraws whatever is published at addr. */
void hosts_remove_addr(struct hosts *h, uint32_t addr);
/* Drops lease entries whose expiry is before now (wall seconds); returns how many. */
int hosts_expire(struct hosts *h, int64_t now);

struct conf;
/* Takes the reserved names of c ([dns] reserved-names; copied). A name
 * already published that is now reserved is withdrawn (its address stays).
 * Call before anything is published and on every reload. */
void hosts_set_reserved(struct hosts *h, const struct conf *c);
/* Whether name (one label, any case) is reserved. */
bool hosts_name_reserved(const struct hosts *h, const char *name);
/* Publishes every [host] reservation of c as a static name (expires 0) and
 * withdraws static names c no longer has. Returns 0 or -errno. */
int hosts_load_static(struct hosts *h, const struct conf *c);

/* Lookups; the entry pointer is valid until the next change. Expired lease
 * entries are not returned. */
const struct hosts_entry *hosts_by_name(const struct hosts *h, const char *name, int64_t now);
const struct hosts_entry *hosts_by_addr(const struct hosts *h, uint32_t addr, int64_t now);
/* journal_mac_fn over a struct hosts (data): the live entry's MAC of ip. */
bool hosts_journal_mac(uint32_t ip, struct hwaddr *ret, void *data);
const struct hosts_entry *hosts_by_mac(const struct hosts *h, const struct hwaddr *mac,
                                       int64_t now);
/* Changes so far: lets readers notice that something changed. */
uint64_t hosts_generation(const struct hosts *h);
/* Calls fn for every live entry (zone listings). */
void hosts_foreach(const struct hosts *h, int64_t now,
                   void (*fn)(const struct hosts_entry *e, void *data), void *data);
