/* SQLite backend: one file in WAL mode with synchronous=FULL, so a commit
 * returns only after the WAL is fsync'd. The schema is versioned with
 * PRAGMA user_version and upgraded by the migrations below, in order, each
 * in its own transaction. The file and its -wal/-shm are the owner's alone
 * (0600: SQLite gives the -wal/-shm the main file's mode). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "store/legacy.h"
#include "store/store.h"

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback, *lease_put, *lease_del, *lease_all;
	sqlite3_stmt *sp, *sp_release, *sp_undo;
	sqlite3_stmt *dev_put, *dev_del, *dev_macs_del, *dev_mac_put, *dev_all, *dev_macs_all;
	sqlite3_stmt *ev_add, *ev_last, *ev_prune;
};

static int events_to_facts(sqlite3 *db);

/* Append only: a released version of netbay may have run any prefix of
 * these. A step is SQL, then (when set) a function in the same transaction. */
static const struct migration {
	const char *sql;
	int (*fn)(sqlite3 *db);
} migrations[] = {
        /* 1: leases */
        {"CREATE TABLE leases ("
         "  addr INTEGER PRIMARY KEY," /* IPv4, host order */
         "  mac BLOB NOT NULL,"
         "  client_id BLOB,"
         "  hostname TEXT,"
         "  fqdn TEXT,"
         "  expires INTEGER NOT NULL,"
         "  updated INTEGER NOT NULL,"
         "  state INTEGER NOT NULL);"
         "CREATE INDEX leases_mac ON leases(mac);",
         NULL},
        /* 2: the device registry and the boot journal */
        {"CREATE TABLE devices ("
         "  id INTEGER PRIMARY KEY,"
         "  doc TEXT NOT NULL);" /* JSON: the registry owns the fields */
         "CREATE TABLE device_macs ("
         "  mac BLOB PRIMARY KEY,"
         "  device INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE);"
         "CREATE INDEX device_macs_device ON device_macs(device);"
         "CREATE TABLE events ("
         "  id INTEGER PRIMARY KEY,"
         "  time_ms INTEGER NOT NULL,"
         "  mac BLOB NOT NULL,"
         "  ip INTEGER,"
         "  name TEXT NOT NULL,"
         "  detail TEXT);"
         "CREATE INDEX events_mac ON events(mac, id);",
         NULL},
        /* 3: the journal's facts, typed: its fields as JSON (the journal owns
         * them); the rows before are read into fields once, here */
        {"ALTER TABLE events ADD COLUMN fact TEXT;", events_to_facts},
};

/* SQLite's result as -errno. Extended codes and the OS error SQLite saw
 * (when db is known) make it truthful: a directory, a read-only filesystem
 * or a missing permission is said as such, not as "no such file". */
static int sq_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		if (rc == SQLITE_CANTOPEN_ISDIR)
			return -EISDIR;
		return sys > 0 ? -sys : -ENOENT;
	case SQLITE_IOERR:
		return sys > 0 ? -sys : -EIO;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

static int exec(sqlite3 *db, const char *sql)
{
	return sq_errno(db, sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Schema 3: every event row's detail line read into its fields. */
static int events_to_facts(sqlite3 *db)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT id, name, detail FROM events", -1, &sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "UPDATE events SET fact = ? WHERE id = ?", -1, &upd,
		                        NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		char *fact = store_legacy_fact((const char *) sqlite3_column_text(sel, 1),
		                               (const char *) sqlite3_column_text(sel, 2));
		if (!fact) {
			rc = SQLITE_NOMEM;
			break;
		}
		sqlite3_bind_text(upd, 1, fact, -1, free);
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : sq_errno(db, rc);
}

static int migrate(sqlite3 *db)
{
	int v = user_version(db);
	int n = (int) NB_ARRAY_SIZE(migrations);
	if (v < 0)
		return -EIO;
	if (v > n)
		return -EPROTO; /* a newer netbay wrote this database */
	for (; v < n; v++) {
		char pragma[64];
		int r = exec(db, "BEGIN IMMEDIATE");
		if (r < 0)
			return r;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((r = exec(db, migrations[v].sql)) < 0 ||
		    (migrations[v].fn && (r = migrations[v].fn(db)) < 0) ||
		    (r = exec(db, pragma)) < 0) {
			(void) exec(db, "ROLLBACK");
			return r;
		}
		if ((r = exec(db, "COMMIT")) < 0)
			return r;
	}
	return 0;
}

static void sq_close(struct store *s)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	if (!q)
		return;
	sqlite3_stmt *all[] = {q->begin,       q->commit,    q->rollback,     q->lease_put,
	                       q->lease_del,   q->lease_all, q->sp,           q->sp_release,
	                       q->sp_undo,     q->dev_put,   q->dev_del,      q->dev_macs_del,
	                       q->dev_mac_put, q->dev_all,   q->dev_macs_all, q->ev_add,
	                       q->ev_last,     q->ev_prune};
	for (size_t i = 0; i < NB_ARRAY_SIZE(all); i++)
		sqlite3_finalize(all[i]);
	sqlite3_close(q->db);
	free(q);
}

static int prepare(struct store_sqlite *q, const char *sql, sqlite3_stmt **st)
{
	return sq_errno(q->db,
	                sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL));
}

/* Says why in info and returns r. */
static int failed(struct store_open_info *info, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int failed(struct store_open_info *info, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(info->why, sizeof info->why, fmt, ap);
	va_end(ap);
	return r;
}

/* Removes other users' access to an existing database file (and its -wal
 * and -shm, which SQLite created with the main file's mode). */
static void tighten(const char *path, const char *suffix, struct store_open_info *info)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", path, suffix);
	if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) &&
	    chmod(p, st.st_mode & 0700) == 0)
		info->tightened = true;
}

/* A zero-length file beside a WAL that holds frames: SQLite would ignore
 * the WAL and the first write would reset it, losing what it holds. */
static int orphan_wal(const char *path, struct store_open_info *info)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof p, "%s-wal", path);
	if (stat(p, &st) < 0 || st.st_size == 0)
		return 0;
	return failed(info, -EUCLEAN,
	              "%s is zero bytes long but %s holds %lld bytes: the database is damaged",
	              path, p, (long long) st.st_size);
}

/* Before SQLite sees the path: what is there, a new file made 0600 (SQLite
 * would make it 0644 less the umask, and its -wal/-shm after it). */
static int prepare_file(const char *path, unsigned flags, struct store_open_info *info)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return failed(info, -EISDIR, "%s is a directory, not a database file",
			              path);
		info->size = (int64_t) st.st_size;
		int r = st.st_size == 0 ? orphan_wal(path, info) : 0;
		if (r < 0)
			return r;
		if (!(flags & STORE_OPEN_READONLY)) {
			tighten(path, "", info);
			tighten(path, "-wal", info);
			tighten(path, "-shm", info);
		}
		return 0;
	}
	if (errno != ENOENT || (flags & STORE_OPEN_READONLY))
		return failed(info, -errno, "%s: %s", path, strerror(errno));
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno != EEXIST)
		return failed(info, -errno, "cannot create %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	info->created = true;
	return 0;
}

/* PRAGMA quick_check: the b-trees and pages are whole. Returns 0, or
 * -EUCLEAN with SQLite's first complaint in info. */
static int quick_check(struct store_sqlite *q, const char *path, struct store_open_info *info)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA quick_check(3)", -1, &st, NULL);
	int r = 0;
	if (rc != SQLITE_OK)
		return failed(info, sq_errno(q->db, rc), "%s cannot be read: %s", path,
		              sqlite3_errmsg(q->db));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *res = (const char *) sqlite3_column_text(st, 0);
		if (!res || strcmp(res, "ok") != 0)
			r = failed(info, -EUCLEAN, "%s is damaged (quick_check: %s)", path,
			           res ? res : "?");
	} else {
		r = failed(info, rc == SQLITE_DONE ? -EUCLEAN : sq_errno(q->db, rc),
		           "%s cannot be read: %s", path, sqlite3_errmsg(q->db));
	}
	sqlite3_finalize(st);
	return r;
}

/* Opens the connection; a database SQLite could only open read-only (a
 * read-only filesystem or file) is an error unless that was asked for. */
static int connect(struct store_sqlite *q, const char *path, unsigned flags,
                   struct store_open_info *info)
{
	bool ro = flags & STORE_OPEN_READONLY;
	int f = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &q->db, f | SQLITE_OPEN_NOMUTEX, NULL);
	if (q->db)
		(void) sqlite3_extended_result_codes(q->db, 1);
	if (rc != SQLITE_OK) {
		int r = sq_errno(q->db, q->db ? sqlite3_extended_errcode(q->db) : rc);
		return failed(info, r, "cannot open %s: %s", path, strerror(-r));
	}
	if (!ro && sqlite3_db_readonly(q->db, "main") == 1) {
		int e = access(path, W_OK) < 0 ? errno : EROFS;
		return failed(info, e == EACCES ? -EACCES : -EROFS,
		              "%s can only be read (%s); netbay must write its database", path,
		              strerror(e));
	}
	sqlite3_busy_timeout(q->db, 2000);
	return 0;
}

/* Read-write: WAL + FULL, so a commit is durable when it returns (the WAL
 * is fsync'd) and readers (the CLI) never block the server; then the
 * schema. An existing file without netbay's schema is reported (was_empty). */
static int setup_rw(struct store_sqlite *q, const char *path, struct store_open_info *info)
{
	int r;
	if ((r = exec(q->db, "PRAGMA journal_mode = WAL")) < 0 ||
	    (r = exec(q->db, "PRAGMA synchronous = FULL")) < 0 ||
	    (r = exec(q->db, "PRAGMA cache_size = -2048")) < 0)
		return failed(info, r, "cannot set up %s: %s", path, sqlite3_errmsg(q->db));
	int v = user_version(q->db);
	if (v == 0 && !info->created)
		info->was_empty = true;
	if ((r = migrate(q->db)) == -EPROTO)
		return failed(info, r, "%s was written by a newer netbay (schema %d)", path, v);
	if (r < 0)
		return failed(info, r, "cannot update the schema of %s: %s", path,
		              sqlite3_errmsg(q->db));
	return 0;
}

static int prepare_all(struct store_sqlite *q, bool readonly)
{
	int r;
	if ((r = prepare(q, "BEGIN IMMEDIATE", &q->begin)) < 0 ||
	    (r = prepare(q, "COMMIT", &q->commit)) < 0 ||
	    (r = prepare(q, "ROLLBACK", &q->rollback)) < 0 ||
	    (r = prepare(q, "SAVEPOINT nb_change", &q->sp)) < 0 ||
	    (r = prepare(q, "RELEASE nb_change", &q->sp_release)) < 0 ||
	    (r = prepare(q, "ROLLBACK TO nb_change", &q->sp_undo)) < 0 ||
	    (r = prepare(q,
	                 "SELECT addr, mac, client_id, hostname, fqdn, expires, updated, state "
	                 "FROM leases",
	                 &q->lease_all)) < 0 ||
	    (r = prepare(q, "SELECT id, doc FROM devices ORDER BY id", &q->dev_all)) < 0 ||
	    (r = prepare(q, "SELECT mac, device FROM device_macs ORDER BY device, rowid",
	                 &q->dev_macs_all)) < 0 ||
	    (r = prepare(
	             q,
	             user_version(q->db) >= 3 /* a read-only open does not migrate */
	                     ? "SELECT time_ms, mac, ip, name, detail, fact FROM (SELECT * "
	                       "FROM events WHERE mac = ? ORDER BY id DESC LIMIT ?) ORDER BY id"
	                     : "SELECT time_ms, mac, ip, name, detail, NULL FROM (SELECT * "
	                       "FROM events WHERE mac = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
	             &q->ev_last)) < 0)
		return r;
	if (readonly)
		return 0;
	if ((r = prepare(q, "INSERT OR REPLACE INTO devices (id, doc) VALUES (?, ?)",
	                 &q->dev_put)) < 0 ||
	    (r = prepare(q, "DELETE FROM devices WHERE id = ?", &q->dev_del)) < 0 ||
	    (r = prepare(q, "DELETE FROM device_macs WHERE device = ?", &q->dev_macs_del)) < 0 ||
	    (r = prepare(q, "INSERT INTO device_macs (mac, device) VALUES (?, ?)",
	                 &q->dev_mac_put)) < 0 ||
	    (r = prepare(q,
	                 "INSERT INTO events (time_ms, mac, ip, name, detail, fact) VALUES (?, ?, "
	                 "?, ?, "
	                 "?, ?)",
	                 &q->ev_add)) < 0 ||
	    (r = prepare(q,
	                 "DELETE FROM events WHERE mac = ?1 AND id NOT IN (SELECT id FROM events "
	                 "WHERE mac = ?1 ORDER BY id DESC LIMIT ?2)",
	                 &q->ev_prune)) < 0 ||
	    (r = prepare(q,
	                 "INSERT OR REPLACE INTO leases (addr, mac, client_id, hostname, fqdn, "
	                 "expires, updated, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                 &q->lease_put)) < 0 ||
	    (r = prepare(q, "DELETE FROM leases WHERE addr = ?", &q->lease_del)) < 0)
		return r;
	return 0;
}

static int sq_open(const char *path, unsigned flags, struct store **ret,
                   struct store_open_info *info)
{
	/* one thread uses SQLite: no mutexes, no allocation statistics (both
	 * are process-wide and only take effect before SQLite initialises) */
	static bool configured;
	if (!configured) {
		(void) sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
		(void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = true;
	}
	bool ro = flags & STORE_OPEN_READONLY;
	int r = prepare_file(path, flags, info);
	if (r < 0)
		return r;
	struct store_sqlite *q = calloc(1, sizeof *q);
	if (!q)
		return failed(info, -ENOMEM, "out of memory");
	q->base.ops = &store_sqlite_ops;
	if ((r = connect(q, path, flags, info)) < 0)
		goto fail;
	if ((flags & STORE_OPEN_CHECK) && !info->created && (r = quick_check(q, path, info)) < 0)
		goto fail;
	if (!ro && (r = setup_rw(q, path, info)) < 0)
		goto fail;
	if (ro && user_version(q->db) < 1) {
		r = failed(info, -ENOENT, "%s holds no netbay database", path);
		goto fail;
	}
	if ((r = exec(q->db, "PRAGMA foreign_keys = ON")) < 0 || (r = prepare_all(q, ro)) < 0) {
		r = failed(info, r, "cannot use %s: %s", path, sqlite3_errmsg(q->db));
		goto fail;
	}
	*ret = &q->base;
	return 0;
fail:
	sq_close(&q->base);
	return r;
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return sq_errno(sqlite3_db_handle(st), rc);
}

static int sq_begin(struct store *s)
{
	return step_reset(((struct store_sqlite *) s)->begin);
}

static int sq_commit(struct store *s)
{
	return step_reset(((struct store_sqlite *) s)->commit);
}

static int sq_rollback(struct store *s)
{
	return step_reset(((struct store_sqlite *) s)->rollback);
}

static int sq_savepoint(struct store *s)
{
	return step_reset(((struct store_sqlite *) s)->sp);
}

static int sq_release(struct store *s)
{
	return step_reset(((struct store_sqlite *) s)->sp_release);
}

static int sq_rollback_to(struct store *s)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	int r = step_reset(q->sp_undo);
	return r < 0 ? r : step_reset(q->sp_release); /* ROLLBACK TO keeps it open */
}

static bool sq_in_txn(struct store *s)
{
	return !sqlite3_get_autocommit(((struct store_sqlite *) s)->db);
}

static int sq_lease_put(struct store *s, const struct store_lease *l)
{
	sqlite3_stmt *st = ((struct store_sqlite *) s)->lease_put;
	if (!st)
		return -EROFS;
	sqlite3_bind_int64(st, 1, l->addr);
	sqlite3_bind_blob(st, 2, l->mac.b, sizeof l->mac.b, SQLITE_STATIC);
	if (l->client_id_len)
		sqlite3_bind_blob(st, 3, l->client_id, (int) l->client_id_len, SQLITE_STATIC);
	if (l->hostname[0])
		sqlite3_bind_text(st, 4, l->hostname, -1, SQLITE_STATIC);
	if (l->fqdn[0])
		sqlite3_bind_text(st, 5, l->fqdn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, l->expires);
	sqlite3_bind_int64(st, 7, l->updated);
	sqlite3_bind_int(st, 8, l->state);
	return step_reset(st);
}

static int sq_lease_del(struct store *s, uint32_t addr)
{
	sqlite3_stmt *st = ((struct store_sqlite *) s)->lease_del;
	if (!st)
		return -EROFS;
	sqlite3_bind_int64(st, 1, addr);
	return step_reset(st);
}

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
	if (src)
		nb_strlcpy(dst, (const char *) src, n);
	else
		dst[0] = 0;
}

static int sq_lease_foreach(struct store *s, store_lease_fn fn, void *data)
{
	sqlite3_stmt *st = ((struct store_sqlite *) s)->lease_all;
	struct store_lease l;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof l);
		l.addr = (uint32_t) sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == (int) sizeof l.mac.b)
			memcpy(l.mac.b, sqlite3_column_blob(st, 1), sizeof l.mac.b);
		int n = sqlite3_column_bytes(st, 2);
		if (n > 0 && n <= STORE_CLIENT_ID_MAX) {
			memcpy(l.client_id, sqlite3_column_blob(st, 2), (size_t) n);
			l.client_id_len = (size_t) n;
		}
		copy_text(l.hostname, sizeof l.hostname, sqlite3_column_text(st, 3));
		copy_text(l.fqdn, sizeof l.fqdn, sqlite3_column_text(st, 4));
		l.expires = sqlite3_column_int64(st, 5);
		l.updated = sqlite3_column_int64(st, 6);
		l.state = sqlite3_column_int(st, 7);
		r = fn(&l, data);
		if (r < 0)
			break;
	}
	sqlite3_reset(st);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_errno(sqlite3_db_handle(st), rc);
}

/* ---- devices */

/* The device row, then its MACs. Not atomic by itself: store.c runs it in
 * a savepoint (store_device_put). */
static int sq_device_put(struct store *s, const struct store_device *d)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	int r;
	if (!q->dev_put)
		return -EROFS;
	sqlite3_bind_int64(q->dev_put, 1, (sqlite3_int64) d->id);
	sqlite3_bind_text(q->dev_put, 2, d->doc, -1, SQLITE_STATIC);
	if ((r = step_reset(q->dev_put)) < 0)
		return r;
	sqlite3_bind_int64(q->dev_macs_del, 1, (sqlite3_int64) d->id);
	if ((r = step_reset(q->dev_macs_del)) < 0)
		return r;
	for (size_t i = 0; i < d->n_macs; i++) {
		sqlite3_bind_blob(q->dev_mac_put, 1, d->macs[i].b, sizeof d->macs[i].b,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(q->dev_mac_put, 2, (sqlite3_int64) d->id);
		if ((r = step_reset(q->dev_mac_put)) < 0)
			return r; /* -EEXIST: a MAC of another device */
	}
	return 0;
}

static int sq_device_del(struct store *s, uint64_t id)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	if (!q->dev_del)
		return -EROFS;
	sqlite3_bind_int64(q->dev_del, 1, (sqlite3_int64) id);
	return step_reset(q->dev_del); /* its MACs go by ON DELETE CASCADE */
}

struct mac_row {
	uint64_t device;
	struct hwaddr mac;
};

static int sq_device_foreach(struct store *s, store_device_fn fn, void *data)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	struct mac_row *macs = NULL;
	size_t n = 0, cap = 0, k = 0;
	int rc, r = 0;

	/* the MACs first (small), by device; then each device, by ID, takes its
	 * run of them: one pass over both */
	while ((rc = sqlite3_step(q->dev_macs_all)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(q->dev_macs_all, 0) != 6)
			continue;
		if ((r = nb_grow(&macs, &cap, n + 1, sizeof *macs)) < 0)
			break;
		memcpy(macs[n].mac.b, sqlite3_column_blob(q->dev_macs_all, 0), 6);
		macs[n++].device = (uint64_t) sqlite3_column_int64(q->dev_macs_all, 1);
	}
	sqlite3_reset(q->dev_macs_all);
	while (r == 0 && (rc = sqlite3_step(q->dev_all)) == SQLITE_ROW) {
		struct store_device d = {.id = (uint64_t) sqlite3_column_int64(q->dev_all, 0),
		                         .doc = (const char *) sqlite3_column_text(q->dev_all, 1)};
		while (k < n && macs[k].device < d.id)
			k++; /* MACs of a device that is gone */
		for (; k < n && macs[k].device == d.id; k++)
			if (d.n_macs < STORE_DEVICE_MACS)
				d.macs[d.n_macs++] = macs[k].mac;
		if (d.doc)
			r = fn(&d, data);
	}
	sqlite3_reset(q->dev_all);
	free(macs);
	return r;
}

/* ---- events */

static int sq_event_add(struct store *s, const struct store_event *e)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	if (!q->ev_add)
		return -EROFS;
	sqlite3_bind_int64(q->ev_add, 1, e->time_ms);
	sqlite3_bind_blob(q->ev_add, 2, e->mac.b, sizeof e->mac.b, SQLITE_STATIC);
	sqlite3_bind_int64(q->ev_add, 3, e->ip);
	sqlite3_bind_text(q->ev_add, 4, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->ev_add, 5, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->ev_add, 6, e->fact, -1, SQLITE_STATIC);
	return step_reset(q->ev_add);
}

static int sq_event_foreach(struct store *s, const struct hwaddr *mac, size_t last,
                            store_event_fn fn, void *data)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	int rc, r = 0;
	sqlite3_bind_blob(q->ev_last, 1, mac->b, sizeof mac->b, SQLITE_STATIC);
	sqlite3_bind_int64(q->ev_last, 2, (sqlite3_int64) last);
	while (r == 0 && (rc = sqlite3_step(q->ev_last)) == SQLITE_ROW) {
		struct store_event e = {
		        .time_ms = sqlite3_column_int64(q->ev_last, 0),
		        .ip = (uint32_t) sqlite3_column_int64(q->ev_last, 2),
		        .name = (const char *) sqlite3_column_text(q->ev_last, 3),
		        .detail = (const char *) sqlite3_column_text(q->ev_last, 4),
		        .fact = (const char *) sqlite3_column_text(q->ev_last, 5),
		};
		if (sqlite3_column_bytes(q->ev_last, 1) == 6)
			memcpy(e.mac.b, sqlite3_column_blob(q->ev_last, 1), 6);
		if (!e.detail)
			e.detail = "";
		if (e.name)
			r = fn(&e, data);
	}
	sqlite3_reset(q->ev_last);
	sqlite3_clear_bindings(q->ev_last);
	return r;
}

static int sq_event_prune(struct store *s, const struct hwaddr *mac, size_t keep)
{
	struct store_sqlite *q = (struct store_sqlite *) s;
	if (!q->ev_prune)
		return -EROFS;
	sqlite3_bind_blob(q->ev_prune, 1, mac->b, sizeof mac->b, SQLITE_STATIC);
	sqlite3_bind_int64(q->ev_prune, 2, (sqlite3_int64) keep);
	return step_reset(q->ev_prune);
}

static int sq_schema_version(struct store *s)
{
	return user_version(((struct store_sqlite *) s)->db);
}

const struct store_ops store_sqlite_ops = {
        .name = "sqlite",
        .open = sq_open,
        .close = sq_close,
        .begin = sq_begin,
        .commit = sq_commit,
        .rollback = sq_rollback,
        .savepoint = sq_savepoint,
        .release = sq_release,
        .rollback_to = sq_rollback_to,
        .in_txn = sq_in_txn,
        .lease_put = sq_lease_put,
        .lease_del = sq_lease_del,
        .lease_foreach = sq_lease_foreach,
        .device_put = sq_device_put,
        .device_del = sq_device_del,
        .device_foreach = sq_device_foreach,
        .event_add = sq_event_add,
        .event_foreach = sq_event_foreach,
        .event_prune = sq_event_prune,
        .schema_version = sq_schema_version,
};
