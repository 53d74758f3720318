/* The backend-independent half of the store: the batch and who may end it
 * (see store.h), savepoints for admin changes, the turn's verdict for the
 * watchers, and the lock that keeps one writer per database. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int store_open_ex(const char *path, unsigned flags, struct store **ret,
                  struct store_open_info *info)
{
	struct store_open_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof *info);
	info->size = -1;
	return store_sqlite_ops.open(path, flags, ret, info);
}

int store_open(const char *path, bool readonly, struct store **ret)
{
	return store_open_ex(path, readonly ? STORE_OPEN_READONLY : 0, ret, NULL);
}

/* The batch is gone (a failed COMMIT, or the backend rolled it back after
 * an error): every write in it is lost; the watchers hear it at the turn's
 * end. */
static void batch_lost(struct store *s, int r)
{
	if (s->pending)
		s->lost++;
	if (!s->turn_err)
		s->turn_err = r < 0 ? r : -EIO;
	if (s->in_change && !s->change_err)
		s->change_err = s->turn_err; /* the change stays open, broken, until ended */
	s->in_batch = false;
	s->pending = 0;
}

/* After a failed write: SQLite ends the transaction by itself on some
 * errors (disk full, I/O errors); then the batch is lost, not just the
 * write. */
static int checked(struct store *s, int r)
{
	if (r < 0 && s->in_change && !s->change_err)
		s->change_err = r; /* a change is all or nothing */
	if (r < 0 && s->in_batch && !s->ops->in_txn(s))
		batch_lost(s, r);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_change)
		(void) store_change_end(s, false);
	if (s->in_batch)
		(void) store_commit(s);
	s->ops->close(s);
}

void store_closep(struct store **s)
{
	store_close(*s);
}

int store_begin(struct store *s)
{
	if (s->in_batch)
		return 0;
	if (s->in_change) /* its batch is gone: the rest of it must not land alone */
		return s->change_err ? s->change_err : -EIO;
	int r = s->ops->begin(s);
	if (r == 0) {
		s->in_batch = true;
		s->pending = 0;
	}
	return r;
}

int store_commit(struct store *s)
{
	if (s->in_change)
		return -EBUSY; /* a change must be kept or undone first */
	if (!s->in_batch)
		return 0;
	int r = s->ops->commit(s);
	if (r < 0) {
		if (s->ops->in_txn(s))
			(void) s->ops->rollback(s);
		batch_lost(s, r);
		return r;
	}
	s->in_batch = false;
	s->pending = 0;
	return 0;
}

uint64_t store_lost(const struct store *s)
{
	return s->lost;
}

bool store_pending(const struct store *s)
{
	return s->in_batch && s->pending > 0;
}

/* ---- admin changes: a savepoint each */

int store_change_begin(struct store *s)
{
	if (s->in_change)
		return -EBUSY;
	int r = store_begin(s);
	if (r < 0)
		return r;
	if ((r = checked(s, s->ops->savepoint(s))) < 0)
		return r;
	s->in_change = true;
	s->change_err = 0;
	s->change_mark = s->pending;
	return 0;
}

int store_change_end(struct store *s, bool keep)
{
	if (!s->in_change)
		return -EINVAL;
	if (!s->in_batch) { /* the batch was lost under the change */
		s->in_change = false;
		return s->change_err ? s->change_err : -EIO;
	}
	int r = keep ? s->change_err : 0;
	if (keep && r == 0)
		r = checked(s, s->ops->release(s));
	s->in_change = false;
	if (!s->in_batch)
		return r < 0 ? r : -EIO;
	if (!keep || r < 0) {
		int u = checked(s, s->ops->rollback_to(s));
		if (s->in_batch)
			s->pending = s->change_mark;
		return r < 0 ? r : u;
	}
	return 0;
}

/* ---- the turn's end */

int store_watch(struct store *s, store_turn_fn fn, void *data)
{
	if (s->n_watch == STORE_WATCHERS_MAX)
		return -ENOSPC;
	s->watch[s->n_watch].fn = fn;
	s->watch[s->n_watch++].data = data;
	return 0;
}

void store_unwatch(struct store *s, store_turn_fn fn, void *data)
{
	for (size_t i = 0; i < s->n_watch; i++)
		if (s->watch[i].fn == fn && s->watch[i].data == data) {
			memmove(&s->watch[i], &s->watch[i + 1],
			        (s->n_watch - i - 1) * sizeof s->watch[0]);
			s->n_watch--;
			return;
		}
}

int store_turn_end(struct store *s)
{
	if (s->notifying)
		return -EBUSY;
	int r = store_commit(s);
	if (r == 0)
		r = s->turn_err;
	s->turn_err = 0;
	s->notifying = true;
	for (size_t i = 0; i < s->n_watch; i++)
		s->watch[i].fn(s, r, s->watch[i].data);
	s->notifying = false;
	return r;
}

/* ---- one writer per database */

int store_hold(const char *path, int *ret_pid)
{
	char lock[4096], pid[24] = "";
	if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int) sizeof lock)
		return -ENAMETOOLONG;
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && (errno == EROFS || errno == EACCES)) {
		int e = errno;
		fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); /* a lock all the same */
		if (fd < 0)
			return errno == ENOENT ? -e : -errno;
	}
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
		if (ret_pid)
			*ret_pid = n > 0 ? atoi(pid) : 0;
		close(fd);
		return e;
	}
	/* who holds it, for the refusal's message (not on a read-only fd) */
	int n = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
	if (ftruncate(fd, 0) == 0)
		(void) !pwrite(fd, pid, (size_t) n, 0);
	return fd;
}

/* ---- writes: each goes into the open batch (one is opened when none is) */

static int batched(struct store *s, int r)
{
	if (r == 0)
		s->pending++;
	return checked(s, r);
}

int store_lease_put(struct store *s, const struct store_lease *l)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->lease_put(s, l));
}

int store_lease_del(struct store *s, uint32_t addr)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->lease_del(s, addr));
}

int store_lease_foreach(struct store *s, store_lease_fn fn, void *data)
{
	return s->ops->lease_foreach(s, fn, data);
}

int store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

/* A device is several rows: outside an admin change (whose savepoint
 * covers it) it gets a savepoint of its own, so a MAC another device holds
 * leaves no half-written device in the batch. */
int store_device_put(struct store *s, const struct store_device *d)
{
	if (s->in_change) {
		int r = store_begin(s);
		return r < 0 ? r : batched(s, s->ops->device_put(s, d));
	}
	int r = store_change_begin(s);
	if (r < 0)
		return r;
	r = batched(s, s->ops->device_put(s, d));
	int k = store_change_end(s, r == 0);
	return r < 0 ? r : k;
}

int store_device_del(struct store *s, uint64_t id)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->device_del(s, id));
}

int store_device_foreach(struct store *s, store_device_fn fn, void *data)
{
	return s->ops->device_foreach(s, fn, data);
}

int store_event_add(struct store *s, const struct store_event *e)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->event_add(s, e));
}

int store_event_foreach(struct store *s, const struct hwaddr *mac, size_t last, store_event_fn fn,
                        void *data)
{
	return s->ops->event_foreach(s, mac, last, fn, data);
}

int store_event_prune(struct store *s, const struct hwaddr *mac, size_t keep)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->event_prune(s, mac, keep));
}
