/* The store: everything netbay must not lose (leases, devices, journal
 * events). One interface, backends behind a const table of operations
 * (store_ops); SQLite is the default.
 *
 * Writes are grouped into one batch per loop turn, and the batch has one
 * owner, the store: modules write into it and never end it.
 *  - store_commit() is the only way to COMMIT (one fsync for every write of
 *    the batch, whoever made it). `netbay serve` calls it once at the end of
 *    every turn (store_turn_end()); the only other callers are answers that
 *    cannot wait for the end of the turn and must not precede durability
 *    (an API call's change, answered synchronously).
 *  - Nothing rolls the batch back but a failed COMMIT (or SQLite itself,
 *    after an I/O error): there is no public rollback. An admin change
 *    that may be refused runs in a SAVEPOINT of its own (store_change_*),
 *    so refusing it undoes its writes and nobody else's.
 *  - A module that queued answers behind its writes (DHCP's ACKs) watches
 *    the turn's end (store_watch()): it is told once per turn whether every
 *    write of the turn is durable, and sends, retries or reports then. */
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

/* A journal event as stored: its name, detail line, and fields (a JSON
 * object's text the journal owns; NULL when there are none). */
struct store_event {
	int64_t time_ms;
	struct hwaddr mac;
	uint32_t ip;
	const char *name, *detail, *fact;
};
typedef int (*store_event_fn)(const struct store_event *e, void *data);

/* How to open (store_open_ex). */
enum {
	STORE_OPEN_READONLY = 1u << 0, /* the CLI's reads: no schema change, no write */
	STORE_OPEN_CHECK = 1u << 1,    /* PRAGMA quick_check first: damage refuses the open */
};

/* What store_open_ex() found, for the caller to say (the store logs nothing
 * above debug). */
struct store_open_info {
	char why[320];  /* on failure: what is wrong, in words, naming the file */
	bool created;   /* there was no file: a new, empty database was made (0600) */
	bool was_empty; /* the file existed but held no netbay data: zero bytes or no schema */
	int64_t size;   /* the file's size before opening; -1 when there was none */
	bool tightened; /* the file (or its -wal/-shm) was readable by others: access removed */
};

/* Told at the end of every turn: r is 0 when every write made since the
 * previous turn's end is durable, else the -errno that lost some of them. */
typedef void (*store_turn_fn)(struct store *s, int r, void *data);

#define STORE_WATCHERS_MAX 8

struct store_ops {
	const char *name;
	int (*open)(const char *path, unsigned flags, struct store **ret,
	            struct store_open_info *info);
	void (*close)(struct store *s);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*savepoint)(struct store *s);
	int (*release)(struct store *s);     /* RELEASE the savepoint: keep its writes */
	int (*rollback_to)(struct store *s); /* undo the savepoint's writes, then release it */
	bool (*in_txn)(struct store *s);     /* false once the backend ended the batch itself */
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
	bool in_change;       /* a savepoint is open (store_change_begin) */
	unsigned pending;     /* writes since begin */
	unsigned change_mark; /* pending when the change began */
	int change_err;       /* the change's first failed write: it cannot be kept */
	uint64_t lost;        /* batches with writes that were rolled back, ever */
	int turn_err;         /* the first loss since the last turn end, 0: none */
	bool notifying;       /* inside store_turn_end's callbacks */
	struct {
		store_turn_fn fn;
		void *data;
	} watch[STORE_WATCHERS_MAX];
	size_t n_watch;
};

extern const struct store_ops store_sqlite_ops;

/* Opens the database at path (creating it 0600 and migrating its schema
 * unless STORE_OPEN_READONLY). info (may be NULL) says what was found; on
 * failure info->why explains. Returns 0 and *ret, or -errno: -EISDIR,
 * -EROFS (read-only filesystem or file), -EACCES, -EUCLEAN (damaged, or
 * not a database), -EPROTO (written by a newer netbay), -ENOENT... */
int store_open_ex(const char *path, unsigned flags, struct store **ret,
                  struct store_open_info *info);
/* store_open_ex() without a report, STORE_OPEN_READONLY when readonly. */
int store_open(const char *path, bool readonly, struct store **ret);
/* Commits what is pending (an open change is undone) and closes. NULL-safe. */
void store_close(struct store *s);
void store_closep(struct store **s);

/* Claims the database at path for this process: an exclusive lock on
 * "path.lock" (created 0600, holding the PID), kept until the returned fd
 * is closed or the process ends. `netbay serve` holds it while it runs; an
 * offline writer (lease import) takes it too, so neither runs beside the
 * other. Returns the fd, or -EBUSY with *ret_pid the holder's PID (0 when
 * unknown), or -errno. */
int store_hold(const char *path, int *ret_pid);

/* Starts a batch if none is open; puts and deletes outside a batch open one. */
int store_begin(struct store *s);
/* The only COMMIT: makes the whole open batch durable; 0 without one.
 * On failure the batch is rolled back (lost: every write in it, anyone's;
 * the watchers hear it at the turn's end) and -errno returned. -EBUSY
 * while a change is open. */
int store_commit(struct store *s);
bool store_pending(const struct store *s);
/* How many batches with writes were lost so far. */
uint64_t store_lost(const struct store *s);

/* An admin change: its writes go into a SAVEPOINT of the batch, so undoing
 * it undoes only them, never another module's writes of the same turn.
 * One change at a time. Returns 0 or -errno (-EBUSY: one is open). */
int store_change_begin(struct store *s);
/* Ends the change: keeps its writes in the batch (keep) or undoes them.
 * A change is all or nothing: one that had a failed write is undone even
 * when kept. Returns 0, or -errno when keeping failed (that write's error;
 * the change is then undone) or the batch itself was lost meanwhile.
 * Nothing is committed here. */
int store_change_end(struct store *s, bool keep);

/* Calls fn(s, r, data) at the end of every turn (store_turn_end), in the
 * order added. fn may write (the writes open the next batch) but not
 * commit. Returns 0, or -ENOSPC when STORE_WATCHERS_MAX are registered. */
int store_watch(struct store *s, store_turn_fn fn, void *data);
void store_unwatch(struct store *s, store_turn_fn fn, void *data);
/* The end of a loop turn (serve's last hook): commits the batch, then tells
 * every watcher whether all of the turn's writes are durable. Returns
 * that verdict (0 or -errno). */
int store_turn_end(struct store *s);

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
