/* Shared between the registry's files (registry.c: the device table, lookups,
 * boot decisions and persistence; admin.c: the admin's changes). Not a
 * contract for anything outside src/registry/: that is registry.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"

struct conf;
struct hosts;
struct journal;
struct store;

struct registry {
	struct store *store;
	struct hosts *hosts;
	struct journal *journal;
	const struct conf *conf;
	struct registry_device **dev; /* each malloc'd: pointers stay valid */
	size_t n, cap;
	uint64_t next_id;
	/* MAC index, open addressing, rebuilt when devices change */
	struct {
		struct hwaddr mac;
		struct registry_device *d;
	} * idx;
	size_t idx_n;
	int64_t *persisted; /* per device slot: when its "seen" fields were last written */
};

/* Rebuilds the MAC index from the devices' MACs; call after any MAC or
 * device comes or goes. Returns 0, or -ENOMEM with the old index kept. */
int registry_reindex(struct registry *r);
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
