#include "store/store.h"

#include <errno.h>

int store_open(const char *path, bool readonly, struct store **ret)
{
	return store_sqlite_ops.open(path, readonly, ret);
}

void store_close(struct store *s)
{
	if (!s)
		return;
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
	int r = s->ops->begin(s);
	if (r == 0) {
		s->in_batch = true;
		s->pending = 0;
	}
	return r;
}

int store_commit(struct store *s)
{
	if (!s->in_batch)
		return 0;
	unsigned pending = s->pending;
	s->in_batch = false;
	s->pending = 0;
	int r = s->ops->commit(s);
	if (r < 0) {
		(void) s->ops->rollback(s);
		if (pending)
			s->lost++;
	}
	return r;
}

int store_rollback(struct store *s)
{
	if (!s->in_batch)
		return 0;
	if (s->pending)
		s->lost++;
	s->in_batch = false;
	s->pending = 0;
	return s->ops->rollback(s);
}

uint64_t store_lost(const struct store *s)
{
	return s->lost;
}

bool store_pending(const struct store *s)
{
	return s->in_batch && s->pending > 0;
}

int store_lease_put(struct store *s, const struct store_lease *l)
{
	int r = store_begin(s);
	if (r < 0)
		return r;
	r = s->ops->lease_put(s, l);
	if (r == 0)
		s->pending++;
	return r;
}

int store_lease_del(struct store *s, uint32_t addr)
{
	int r = store_begin(s);
	if (r < 0)
		return r;
	r = s->ops->lease_del(s, addr);
	if (r == 0)
		s->pending++;
	return r;
}

int store_lease_foreach(struct store *s, store_lease_fn fn, void *data)
{
	return s->ops->lease_foreach(s, fn, data);
}

int store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

/* Writes go into the open batch (one is opened when none is). */
static int batched(struct store *s, int r)
{
	if (r == 0)
		s->pending++;
	return r;
}

int store_device_put(struct store *s, const struct store_device *d)
{
	int r = store_begin(s);
	return r < 0 ? r : batched(s, s->ops->device_put(s, d));
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
