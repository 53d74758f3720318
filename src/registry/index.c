/* The registry's indexes: devices by MAC and by SMBIOS UUID, each an open
 * addressing table with linear probing, grown by doubling and kept at most
 * half full. A new device costs O(1) amortized (a booting client never
 * seen before must not cost a walk over every device), and deletion shifts
 * the entries after the hole back (no tombstones). The full rebuild is for
 * the admin's changes, which may touch any number of devices at once. */
#include "registry/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 64

static uint64_t mac_hash(const struct hwaddr *m)
{
	return nb_hash(m->b, sizeof m->b, 0x52);
}

static uint64_t uuid_hash(const char *uuid)
{
	return nb_hash(uuid, strlen(uuid), 0x55);
}

static size_t slots_for(size_t entries)
{
	size_t n = MIN_SLOTS;
	while (n < 2 * entries + 2)
		n *= 2;
	return n;
}

/* ---- one table */

static void put(struct registry *r, struct registry_slot *t, size_t n,
                const struct registry_slot *e)
{
	size_t s = e->h & (n - 1);
	while (t[s].d) {
		s = (s + 1) & (n - 1);
		r->idx_work++;
	}
	t[s] = *e;
	r->idx_work++;
}

/* Room for want entries. Returns 0 or -ENOMEM (unchanged). */
static int grow(struct registry *r, struct registry_table *t, size_t want)
{
	size_t n = slots_for(want);
	if (n <= t->n)
		return 0;
	struct registry_slot *s = calloc(n, sizeof *s);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		if (t->s[i].d)
			put(r, s, n, &t->s[i]);
	free(t->s);
	t->s = s;
	t->n = n;
	return 0;
}

static int add(struct registry *r, struct registry_table *t, const struct registry_slot *e)
{
	int err = grow(r, t, t->used + 1);
	if (err < 0)
		return err;
	put(r, t->s, t->n, e);
	t->used++;
	return 0;
}

/* Empties slot hole and moves later entries of its run back into it, so
 * every entry stays reachable from its home slot. */
static void unslot(struct registry_table *t, size_t hole)
{
	size_t n = t->n, j = hole;
	t->s[hole].d = NULL;
	t->used--;
	for (;;) {
		j = (j + 1) & (n - 1);
		if (!t->s[j].d)
			return;
		size_t home = t->s[j].h & (n - 1);
		/* j's entry may move to the hole unless its home lies in (hole, j] */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (stays)
			continue;
		t->s[hole] = t->s[j];
		t->s[j].d = NULL;
		hole = j;
	}
}

/* Removes d's entry under hash h (for the MAC index: the one for mac). */
static void del(struct registry_table *t, uint64_t h, const struct registry_device *d,
                const struct hwaddr *mac)
{
	for (size_t s = t->n ? h & (t->n - 1) : 0; t->n && t->s[s].d; s = (s + 1) & (t->n - 1))
		if (t->s[s].d == d && (!mac || memcmp(&t->s[s].mac, mac, sizeof *mac) == 0)) {
			unslot(t, s);
			return;
		}
}

/* ---- the calls */

int registry_reindex(struct registry *r)
{
	size_t macs = 0, uuids = 0;
	for (size_t i = 0; i < r->n; i++) {
		macs += r->dev[i]->n_macs;
		uuids += r->dev[i]->uuid[0] != 0;
	}
	struct registry_table m = {.n = slots_for(macs), .used = macs};
	struct registry_table u = {.n = slots_for(uuids), .used = uuids};
	m.s = calloc(m.n, sizeof *m.s);
	u.s = calloc(u.n, sizeof *u.s);
	if (!m.s || !u.s) {
		free(m.s);
		free(u.s);
		return -ENOMEM;
	}
	r->n_pending = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct registry_device *d = r->dev[i];
		for (size_t k = 0; k < d->n_macs; k++)
			put(r, m.s, m.n,
			    &(struct registry_slot){
			            .h = mac_hash(&d->macs[k]), .d = d, .mac = d->macs[k]});
		if (d->uuid[0])
			put(r, u.s, u.n, &(struct registry_slot){.h = uuid_hash(d->uuid), .d = d});
		r->n_pending += d->state == REGISTRY_PENDING;
	}
	free(r->by_mac.s);
	free(r->by_uuid.s);
	r->by_mac = m;
	r->by_uuid = u;
	return 0;
}

int registry_index_add(struct registry *r, struct registry_device *d)
{
	int e = grow(r, &r->by_mac, r->by_mac.used + d->n_macs);
	if (e < 0 || (d->uuid[0] && (e = grow(r, &r->by_uuid, r->by_uuid.used + 1)) < 0))
		return e;
	for (size_t k = 0; k < d->n_macs; k++)
		(void) add(r, &r->by_mac,
		           &(struct registry_slot){
		                   .h = mac_hash(&d->macs[k]), .d = d, .mac = d->macs[k]});
	if (d->uuid[0])
		(void) add(r, &r->by_uuid,
		           &(struct registry_slot){.h = uuid_hash(d->uuid), .d = d});
	return 0; /* the adds cannot fail: grown above */
}

int registry_index_mac_add(struct registry *r, struct registry_device *d, const struct hwaddr *mac)
{
	return add(r, &r->by_mac, &(struct registry_slot){.h = mac_hash(mac), .d = d, .mac = *mac});
}

void registry_index_del(struct registry *r, const struct registry_device *d)
{
	for (size_t k = 0; k < d->n_macs; k++)
		del(&r->by_mac, mac_hash(&d->macs[k]), d, &d->macs[k]);
	if (d->uuid[0])
		del(&r->by_uuid, uuid_hash(d->uuid), d, NULL);
}

int registry_index_set_uuid(struct registry *r, struct registry_device *d, const char *uuid)
{
	if (strcmp(d->uuid, uuid) == 0)
		return 0;
	int e = grow(r, &r->by_uuid, r->by_uuid.used + 1);
	if (e < 0)
		return e;
	if (d->uuid[0])
		del(&r->by_uuid, uuid_hash(d->uuid), d, NULL);
	nb_strlcpy(d->uuid, uuid, sizeof d->uuid);
	return uuid[0] ? add(r, &r->by_uuid, &(struct registry_slot){.h = uuid_hash(uuid), .d = d})
	               : 0;
}

const struct registry_device *registry_get(const struct registry *r, const struct hwaddr *mac)
{
	const struct registry_table *t = &r->by_mac;
	uint64_t h = mac_hash(mac);
	for (size_t s = t->n ? h & (t->n - 1) : 0; t->n && t->s[s].d; s = (s + 1) & (t->n - 1))
		if (memcmp(&t->s[s].mac, mac, sizeof *mac) == 0)
			return t->s[s].d;
	return NULL;
}

/* The first device other than except with this UUID (conflicting or
 * only when want_conflict). */
static struct registry_device *uuid_find(const struct registry *r, const char *uuid,
                                         const struct registry_device *except, bool want_conflict)
{
	const struct registry_table *t = &r->by_uuid;
	if (!uuid[0])
		return NULL;
	uint64_t h = uuid_hash(uuid);
	for (size_t s = t->n ? h & (t->n - 1) : 0; t->n && t->s[s].d; s = (s + 1) & (t->n - 1)) {
		struct registry_device *d = t->s[s].d;
		if (t->s[s].h == h && d != except && (!want_conflict || d->uuid_conflict) &&
		    strcmp(d->uuid, uuid) == 0)
			return d;
	}
	return NULL;
}

struct registry_device *registry_by_uuid(const struct registry *r, const char *uuid,
                                         const struct registry_device *except)
{
	return uuid_find(r, uuid, except, false);
}

bool registry_uuid_conflicting(const struct registry *r, const char *uuid)
{
	return uuid_find(r, uuid, NULL, true) != NULL;
}
