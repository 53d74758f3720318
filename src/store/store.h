/* The store: everything netbay must not lose (leases now; devices, groups
 * and journal events as those land). One interface, backends behind a const
 * table of operations (store_ops); SQLite is the default.
 *
 * Writes are grouped: store_begin() opens a batch, puts accumulate, and
 * store_commit() makes them all durable at once (one fsync). A reply that
 * announces a change is sent only after the commit that holds it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct store;

enum store_lease_state {
	STORE_LEASE_BOUND = 1,
	STORE_LEASE_RELEASED = 2,
	STORE_LEASE_DECLINED = 3,
};

#define STORE_CLIENT_ID_MAX 255
#define STORE_HOSTNAME_MAX  64
#define STORE_FQDN_MAX      256

/* A lease as stored: the transfer form, not the in-memory one. */
struct store_lease {
	uint32_t addr; /* host order; unique: one row per address */
	struct hwaddr mac;
	uint8_t client_id[STORE_CLIENT_ID_MAX];
	size_t client_id_len;
	char hostname[STORE_HOSTNAME_MAX];
	char fqdn[STORE_FQDN_MAX];
	int64_t expires; /* wall-clock seconds */
	int64_t updated;
	int state; /* enum store_lease_state */
};

typedef int (*store_lease_fn)(const struct store_lease *l, void *data);

/* A registry device as stored: its MACs (unique across devices) and a JSON
 * document with everything else (the registry owns the format). */
#define STORE_DEVICE_MACS 8
struct store_device {
	uint64_t id;
	struct hwaddr macs[STORE_DEVICE_MACS];
	size_t n_macs;
	const char *doc;
};
typedef int (*store_device_fn)(const struct store_device *d, void *data);

/* A journal event as stored. */
struct store_event {
	int64_t time_ms;
	struct hwaddr mac;
	uint32_t ip;
	const char *name, *detail;
};
typedef int (*store_event_fn)(const struct store_event *e, void *data);

struct store_ops {
	const char *name;
	int (*open)(const char *path, bool readonly, struct store **ret);
	void (*close)(struct store *s);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*lease_put)(struct store *s, const struct store_lease *l);
	int (*lease_del)(struct store *s, uint32_t addr);
	int (*lease_foreach)(struct store *s, store_lease_fn fn, void *data);
	int (*device_put)(struct store *s, const struct store_device *d);
	int (*device_del)(struct store *s, uint64_t id);
	int (*device_foreach)(struct store *s, store_device_fn fn, void *data);
	int (*event_add)(struct store *s, const struct store_event *e);
	int (*event_foreach)(struct store *s, const struct hwaddr *mac, size_t last,
	                     store_event_fn fn, void *data);
	int (*event_prune)(struct store *s, const struct hwaddr *mac, size_t keep);
	int (*schema_version)(struct store *s);
};

/* Every backend's handle starts with this. */
struct store {
	const struct store_ops *ops;
	bool in_batch;
	unsigned pending; /* writes since begin */
	uint64_t lost;    /* batches with writes that were rolled back, ever */
};

extern const struct store_ops store_sqlite_ops;

/* Opens the database at path (creating it and migrating its schema when
 * not readonly). Returns 0 and *ret, or -errno. */
int store_open(const char *path, bool readonly, struct store **ret);
void store_close(struct store *s);
void store_closep(struct store **s);

/* Starts a batch if none is open; puts and deletes outside a batch open one. */
int store_begin(struct store *s);
/* Makes the open batch durable; no-op (0) without one. Returns 0 or -errno
 * (the batch is then rolled back). */
int store_commit(struct store *s);
int store_rollback(struct store *s);
bool store_pending(const struct store *s);
/* How many batches with writes were lost (rolled back) so far: a module
 * that queued replies behind its writes compares this before sending. */
uint64_t store_lost(const struct store *s);

int store_lease_put(struct store *s, const struct store_lease *l);
int store_lease_del(struct store *s, uint32_t addr);
/* Calls fn for every lease; a negative return stops and is passed on. */
int store_lease_foreach(struct store *s, store_lease_fn fn, void *data);
int store_schema_version(struct store *s);

/* Replaces the device with d->id (its MACs too) or adds it. */
int store_device_put(struct store *s, const struct store_device *d);
int store_device_del(struct store *s, uint64_t id);
int store_device_foreach(struct store *s, store_device_fn fn, void *data);
int store_event_add(struct store *s, const struct store_event *e);
/* The last `last` events of mac, oldest first. */
int store_event_foreach(struct store *s, const struct hwaddr *mac, size_t last, store_event_fn fn,
                        void *data);
/* Keeps only the newest `keep` events of mac. */
int store_event_prune(struct store *s, const struct hwaddr *mac, size_t keep);
