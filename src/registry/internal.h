/* Shared between the registry's files (registry.c: the device table, lookups,
 * boot decisions and persistence; admin.c: the admin's changes). Not a
 * contract for anything outside src/registry/: that is registry.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "registry/registry.h"

struct conf;
struct hosts;
struct journal;
struct store;

/* One entry of an index (index.c): h is the hash of its key (a MAC, or
 * d->uuid); mac is the MAC for the MAC index. */
struct registry_slot {
	uint64_t h;
	struct registry_device *d; /* NULL: empty */
	struct hwaddr mac;
};

struct registry_table {
	struct registry_slot *s;
	size_t n, used; /* n: a power of two, or 0 */
};

struct registry {
	struct store *store;
	struct hosts *hosts;
	struct journal *journal;
	const struct conf *conf;
	struct registry_device **dev; /* each malloc'd: pointers stay valid */
	size_t n, cap;
	uint64_t next_id;
	/* indexes by MAC and by UUID (index.c) */
	struct registry_table by_mac, by_uuid;
	uint64_t idx_work; /* index slots probed or written, ever: insertion is O(1) amortized */
	size_t n_pending;  /* devices pending approval (counted again by registry_reindex) */
	/* new devices recorded by booting clients: a token bucket over
	 * [dhcp] new-device-limit per minute */
	double new_tokens;
	int64_t new_last_ms;
	struct log_ratelimit rl; /* lines a booting client triggers */
};

/* Rebuilds both indexes from the devices and counts the pending ones; call
 * after an admin change to any number of devices. Returns 0, or -ENOMEM
 * with the old indexes kept. */
int registry_reindex(struct registry *r);
/* Adds a new device's MACs and UUID to the indexes. Returns 0 or -ENOMEM
 * (nothing added). */
int registry_index_add(struct registry *r, struct registry_device *d);
/* Adds one more MAC of d (already in d->macs or about to be). */
int registry_index_mac_add(struct registry *r, struct registry_device *d, const struct hwaddr *mac);
/* Takes d's MACs and UUID out of the indexes. */
void registry_index_del(struct registry *r, const struct registry_device *d);
/* Sets d's UUID and moves it in the UUID index. Returns 0 or -ENOMEM
 * (unchanged). */
int registry_index_set_uuid(struct registry *r, struct registry_device *d, const char *uuid);
/* Writes d to the store in the open batch (nothing without a store); the
 * caller commits or rolls back. Returns 0 or -errno. */
int registry_persist(struct registry *r, const struct registry_device *d);
/* Appends d to the table, which takes it over, and moves next_id past its
 * ID; the MAC index is not touched. Returns 0, or -ENOMEM with d still the
 * caller's. */
int registry_add_slot(struct registry *r, struct registry_device *d);
/* Gives hosts d's name at its last address, when it has both and a MAC. */
void registry_publish(struct registry *r, const struct registry_device *d);

/* The device named name (case-insensitive), or NULL. */
struct registry_device *registry_by_name(const struct registry *r, const char *name);
/* The device with this UUID other than except (may be NULL), or NULL; does
 * not care whether the UUID is in conflict. */
struct registry_device *registry_by_uuid(const struct registry *r, const char *uuid,
                                         const struct registry_device *except);
/* Whether some device is flagged as sharing this UUID with another. */
bool registry_uuid_conflicting(const struct registry *r, const char *uuid);
