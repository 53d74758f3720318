/* The admin's changes to the registry: add, update, remove and import,
 * each checked as a whole (validate(): values, and the MACs and name other
 * devices hold), stored in a savepoint of its own and committed, and only
 * then applied to the table. A refused change undoes its own writes and
 * nobody else's (store.h: one batch per turn, shared with DHCP and the
 * journal). The table itself, lookups and boot decisions are in
 * registry.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jail.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/internal.h"
#include "registry/keys.h"
#include "registry/registry.h"
#include "store/store.h"

static bool file_ok(const char *f)
{
	char rel[JAIL_PATH_MAX + 1];
	return !f[0] || jail_map(f, rel, sizeof rel) == 0;
}

/* Checks d as a whole against every other device (except self); named is
 * the device that holds d's name now (NULL: none). */
static int validate(const struct registry *r, const struct registry_device *d,
                    const struct registry_device *self, const struct registry_device *named,
                    char *err, size_t errlen)
{
	char m[HWADDR_STRLEN];
	uint8_t u[16];
	if (!d->n_macs && !d->uuid[0])
		return nb_errf(err, errlen, -EINVAL, "a device needs a MAC or a UUID");
	if (d->name[0] && (!nb_hostname_valid(d->name) || strchr(d->name, '.')))
		return nb_errf(err, errlen, -EINVAL, "name '%s' is not a single DNS label",
		               d->name);
	if (d->name[0] && r->hosts && hosts_name_reserved(r->hosts, d->name))
		return nb_errf(
		        err, errlen, -EINVAL,
		        "name '%s' is reserved ([dns] reserved-names): no device may take it",
		        d->name);
	if (d->uuid[0] && registry_uuid_parse(d->uuid, false, u) < 0)
		return nb_errf(err, errlen, -EINVAL, "uuid '%s' is not a UUID", d->uuid);
	if (d->group[0] && !registry_group(r, d->group))
		return nb_errf(err, errlen, -ENOENT, "no [group %s] is configured", d->group);
	if (d->state < REGISTRY_PENDING || d->state > REGISTRY_REJECTED)
		return nb_errf(err, errlen, -EINVAL, "state must be pending, approved or rejected");
	const struct registry_profile *p = &d->profile;
	for (size_t i = 0; i <= BOOT_SLOTS; i++) {
		const char *f = i < BOOT_SLOTS ? p->loaders.file[i] : p->ipxe_template;
		if (!file_ok(f))
			return nb_errf(err, errlen, -EINVAL,
			               "profile: '%s' is not a file in the boot root", f);
	}
	if (p->domain[0] && !nb_hostname_valid(p->domain))
		return nb_errf(err, errlen, -EINVAL, "profile: domain '%s' is not valid",
		               p->domain);
	if (p->lease_sec && p->lease_sec < 60)
		return nb_errf(err, errlen, -EINVAL, "profile: lease-time is at least 60 s");
	for (size_t i = 0; i < d->n_macs; i++) {
		for (size_t k = 0; k < i; k++)
			if (memcmp(&d->macs[i], &d->macs[k], sizeof d->macs[i]) == 0)
				return nb_errf(err, errlen, -EINVAL, "MAC %s is listed twice",
				               hwaddr_fmt(&d->macs[i], m));
		const struct registry_device *o = registry_get(r, &d->macs[i]);
		if (o && o != self)
			return nb_errf(err, errlen, -EEXIST, "MAC %s belongs to device #%llu%s%s",
			               hwaddr_fmt(&d->macs[i], m), (unsigned long long) o->id,
			               o->name[0] ? " " : "", o->name);
	}
	if (d->name[0] && named && named != self)
		return nb_errf(err, errlen, -EEXIST, "name %s belongs to device #%llu", d->name,
		               (unsigned long long) named->id);
	return 0;
}

static const struct registry_device *named(const struct registry *r,
                                           const struct registry_device *d)
{
	return d->name[0] ? registry_by_name(r, d->name) : NULL;
}

static void apply(struct registry_device *d, const struct registry_change *c)
{
	if (c->fields & REGISTRY_F_MACS) {
		memcpy(d->macs, c->d.macs, sizeof d->macs);
		d->n_macs = c->d.n_macs;
	}
	if (c->fields & REGISTRY_F_NAME)
		memcpy(d->name, c->d.name, sizeof d->name);
	if (c->fields & REGISTRY_F_UUID) {
		uint8_t u[16];
		/* stored in one canonical spelling */
		if (registry_uuid_parse(c->d.uuid, false, u) == 0)
			registry_uuid_fmt(u, d->uuid);
		else
			memcpy(d->uuid, c->d.uuid, sizeof d->uuid);
		d->uuid_conflict = false;
	}
	if (c->fields & REGISTRY_F_GROUP)
		memcpy(d->group, c->d.group, sizeof d->group);
	if (c->fields & REGISTRY_F_STATE)
		d->state = c->d.state;
	if (c->fields & REGISTRY_F_NOTES)
		memcpy(d->notes, c->d.notes, sizeof d->notes);
	if (c->fields & REGISTRY_F_PROFILE)
		d->profile = c->d.profile;
}

/* An admin change's writes go into a savepoint of their own: a refused
 * change undoes only them, never the leases, journal events and device
 * sightings other modules wrote into the same turn's batch. */
static int change_begin(struct registry *r, char *err, size_t errlen)
{
	int e = r->store ? store_change_begin(r->store) : 0;
	if (e < 0)
		return nb_errf(err, errlen, e, "the database refused the change: %s", strerror(-e));
	return 0;
}

/* Ends the change change_begin() opened: e == 0 keeps its writes and
 * commits (the answer that follows announces a durable change), e < 0
 * undoes them alone. Returns e, or the error that kept a good change from
 * being stored (said in err). */
static int change_end(struct registry *r, int e, char *err, size_t errlen)
{
	if (!r->store)
		return e;
	int k = store_change_end(r->store, e == 0);
	if (e < 0)
		return e;
	if (k == 0)
		k = store_commit(r->store);
	if (k < 0)
		return nb_errf(err, errlen, k, "the database refused the change: %s", strerror(-k));
	return 0;
}

/* Stores d as one change. Returns 0 or -errno (said in err). */
static int store_change(struct registry *r, const struct registry_device *d, char *err,
                        size_t errlen)
{
	int e = change_begin(r, err, errlen);
	if (e < 0)
		return e;
	e = registry_persist(r, d);
	if (e < 0)
		snprintf(err, errlen, "cannot store the device: %s", strerror(-e));
	return change_end(r, e, err, errlen);
}

/* Takes d's name off hosts, if its address still carries the name the
 * registry published there. */
static void unpublish(struct registry *r, const struct registry_device *d)
{
	if (!d->name[0] || !d->ip || !r->hosts)
		return;
	const struct hosts_entry *h = hosts_by_addr(r->hosts, d->ip, nb_wall_sec());
	if (h && h->source == HOSTS_DEVICE && strcmp(h->name, d->name) == 0)
		hosts_remove_addr(r->hosts, d->ip);
}

int registry_add(struct registry *r, const struct registry_change *c, uint64_t *ret_id, char *err,
                 size_t errlen)
{
	struct registry_device *d = calloc(1, sizeof *d);
	if (!d)
		return nb_errf(err, errlen, -ENOMEM, "out of memory");
	d->arch = -1;
	d->state = REGISTRY_PENDING;
	apply(d, c);
	d->id = r->next_id;
	d->version = 1;
	err[0] = 0;
	int e = validate(r, d, NULL, named(r, d), err, errlen);
	if (e == 0)
		e = store_change(r, d, err, errlen);
	if (e < 0) {
		free(d);
		return e;
	}
	if (registry_add_slot(r, d) < 0 || registry_reindex(r) < 0) {
		free(d);
		return nb_errf(err, errlen, -ENOMEM, "out of memory");
	}
	registry_publish(r, d);
	if (ret_id)
		*ret_id = d->id;
	return 0;
}

int registry_update(struct registry *r, uint64_t id, const struct registry_change *c, char *err,
                    size_t errlen)
{
	struct registry_device *d = (struct registry_device *) registry_get_id(r, id);
	if (!d)
		return nb_errf(err, errlen, -ENOENT, "no device #%llu", (unsigned long long) id);
	if (c->expect_version && c->expect_version != d->version)
		return nb_errf(err, errlen, -ESTALE,
		               "device #%llu changed meanwhile (version %llu, not %llu)",
		               (unsigned long long) id, (unsigned long long) d->version,
		               (unsigned long long) c->expect_version);
	struct registry_device next = *d;
	apply(&next, c);
	next.version = d->version + 1;
	err[0] = 0;
	int e = validate(r, &next, d, named(r, &next), err, errlen);
	if (e == 0)
		e = store_change(r, &next, err, errlen);
	if (e < 0)
		return e;
	if (strcmp(d->name, next.name) != 0)
		unpublish(r, d);
	int was = d->state;
	*d = next;
	/* MACs, the UUID or the state may have changed: the indexes and the
	 * pending count follow (an admin's pace: a rebuild is fine) */
	(void) registry_reindex(r);
	registry_publish(r, d);
	if (d->state != was && d->n_macs)
		journal_emit(r->journal,
		             &(struct journal_fact){.kind = JOURNAL_REGISTRY_STATE,
		                                    .mac = &d->macs[0],
		                                    .ip = d->ip,
		                                    .state = registry_state_name(d->state),
		                                    .was = registry_state_name(was)});
	return 0;
}

int registry_remove(struct registry *r, uint64_t id, char *err, size_t errlen)
{
	size_t i = 0;
	while (i < r->n && r->dev[i]->id != id)
		i++;
	if (i == r->n)
		return nb_errf(err, errlen, -ENOENT, "no device #%llu", (unsigned long long) id);
	int e = change_begin(r, err, errlen);
	if (e < 0)
		return e;
	e = r->store ? store_device_del(r->store, id) : 0;
	if (e < 0)
		snprintf(err, errlen, "cannot remove the device: %s", strerror(-e));
	if ((e = change_end(r, e, err, errlen)) < 0)
		return e;
	struct registry_device *d = r->dev[i];
	unpublish(r, d);
	r->dev[i] = r->dev[r->n - 1];
	r->n--;
	free(d);
	return registry_reindex(r);
}

/* ---- import: every row is checked against the registry as it will be
 * after the rows before it, so the rows are worked on as copies and
 * swapped in only when all are stored. The checks look keys up in hash
 * sets (keys.h) built once per import, not row against row: 10,000 rows
 * cost milliseconds, in one loop turn. */

struct import {
	struct registry *r;
	const struct registry_change *rows;
	size_t n;
	unsigned flags; /* REGISTRY_IMPORT_* */
	registry_bad_row_fn bad;
	void *data;
	struct registry_device **next;   /* per row: its device as it will be */
	struct registry_device **target; /* per row: the device it updates; NULL: a new one */
	uint64_t next_id;                /* the ID the next new row gets */
	size_t n_bad;
	int created;               /* rows that add a device */
	struct registry_keys reg;  /* the table's names and UUIDs -> slot in r->dev */
	struct registry_keys seen; /* the earlier rows' MACs, names, UUIDs, targets -> row */
};

/* The table's names, UUIDs and UUIDs in conflict, as registry_by_name(),
 * registry_by_uuid() and registry_uuid_conflicting() find them (the first
 * device in table order). */
static int import_index_table(struct import *im)
{
	const struct registry *r = im->r;
	int e = 0;
	for (size_t i = 0; i < r->n && e == 0; i++) {
		const struct registry_device *d = r->dev[i];
		if (d->name[0])
			e = registry_keys_add(&im->reg, REGISTRY_KEY_NAME, d->name, i);
		if (e == 0 && d->uuid[0])
			e = registry_keys_add(&im->reg, REGISTRY_KEY_UUID, d->uuid, i);
		if (e == 0 && d->uuid_conflict)
			e = registry_keys_add(&im->reg, REGISTRY_KEY_CONFLICT, d->uuid, i);
	}
	return e;
}

static struct registry_device *table_find(const struct import *im, int kind, const char *key)
{
	size_t i = registry_keys_find(&im->reg, kind, key);
	return i == SIZE_MAX ? NULL : im->r->dev[i];
}

/* The device an import row updates: the one holding its first MAC, else its UUID's. */
static struct registry_device *import_target(const struct import *im,
                                             const struct registry_change *c)
{
	for (size_t k = 0; k < c->d.n_macs; k++) {
		struct registry_device *d =
		        (struct registry_device *) registry_get(im->r, &c->d.macs[k]);
		if (d)
			return d;
	}
	return c->d.uuid[0] && !table_find(im, REGISTRY_KEY_CONFLICT, c->d.uuid)
	               ? table_find(im, REGISTRY_KEY_UUID, c->d.uuid)
	               : NULL;
}

/* Sets next[i], row i's device as it will be: a copy of the device it
 * updates with the next version, or a new approved device. Returns 0 or
 * -ENOMEM. */
static int import_prepare(struct import *im, size_t i)
{
	struct registry_device *target = import_target(im, &im->rows[i]);
	struct registry_device *d = malloc(sizeof *d);
	im->target[i] = target;
	if (!d)
		return -ENOMEM;
	if (target) {
		*d = *target;
		d->version++;
	} else {
		memset(d, 0, sizeof *d);
		d->id = im->next_id++;
		d->version = 1;
		d->arch = -1;
		d->state = REGISTRY_APPROVED;
	}
	apply(d, &im->rows[i]);
	im->next[i] = d;
	return 0;
}

/* Row i against the earlier row k: a MAC, a name or a UUID (when row i
 * sets one) in both, or both updating one device. Returns 0, or -EEXIST
 * with why said. */
static int import_clash(const struct import *im, size_t i, size_t k, char *why, size_t whylen)
{
	const struct registry_device *d = im->next[i], *o = im->next[k];
	char m[HWADDR_STRLEN];
	for (size_t a = 0; a < d->n_macs; a++)
		for (size_t b = 0; b < o->n_macs; b++)
			if (memcmp(&d->macs[a], &o->macs[b], sizeof d->macs[a]) == 0)
				return nb_errf(why, whylen, -EEXIST,
				               "MAC %s is also in an earlier row",
				               hwaddr_fmt(&d->macs[a], m));
	if (d->name[0] && nb_streq_nocase(d->name, o->name))
		return nb_errf(why, whylen, -EEXIST, "name %s is also in an earlier row", d->name);
	if (d->uuid[0] && strcmp(d->uuid, o->uuid) == 0 && (im->rows[i].fields & REGISTRY_F_UUID))
		return nb_errf(why, whylen, -EEXIST, "UUID %s is also in an earlier row", d->uuid);
	if (im->target[i] && im->target[i] == im->target[k])
		return nb_errf(why, whylen, -EEXIST, "an earlier row updates the same device #%llu",
		               (unsigned long long) im->target[i]->id);
	return 0;
}

static void earliest(size_t *k, size_t row)
{
	if (row < *k)
		*k = row;
}

/* The first earlier row that shares a key with row i (SIZE_MAX: none). */
static size_t import_first_clash(const struct import *im, size_t i)
{
	const struct registry_device *d = im->next[i];
	size_t k = SIZE_MAX;
	for (size_t a = 0; a < d->n_macs; a++)
		earliest(&k, registry_keys_find(&im->seen, REGISTRY_KEY_MAC, &d->macs[a]));
	if (d->name[0])
		earliest(&k, registry_keys_find(&im->seen, REGISTRY_KEY_NAME, d->name));
	if (d->uuid[0] && (im->rows[i].fields & REGISTRY_F_UUID))
		earliest(&k, registry_keys_find(&im->seen, REGISTRY_KEY_UUID, d->uuid));
	if (im->target[i])
		earliest(&k, registry_keys_find(&im->seen, REGISTRY_KEY_PTR, im->target[i]));
	return k;
}

/* Row i's keys, for the rows after it (bad rows too). Returns 0 or -ENOMEM. */
static int import_remember(struct import *im, size_t i)
{
	const struct registry_device *d = im->next[i];
	int e = 0;
	for (size_t a = 0; a < d->n_macs && e == 0; a++)
		e = registry_keys_add(&im->seen, REGISTRY_KEY_MAC, &d->macs[a], i);
	if (e == 0 && d->name[0])
		e = registry_keys_add(&im->seen, REGISTRY_KEY_NAME, d->name, i);
	if (e == 0 && d->uuid[0])
		e = registry_keys_add(&im->seen, REGISTRY_KEY_UUID, d->uuid, i);
	if (e == 0 && im->target[i])
		e = registry_keys_add(&im->seen, REGISTRY_KEY_PTR, im->target[i], i);
	return e;
}

/* Checks row i against the registry, then against the rows before it, bad
 * ones included: a file that names one MAC twice is wrong whatever else
 * is. Returns 0, or -errno with why said and *other the earlier row it
 * clashes with (SIZE_MAX: none, the registry refused it). */
static int import_check(const struct import *im, size_t i, char *why, size_t whylen, size_t *other)
{
	const struct registry_device *d = im->next[i];
	const struct registry_device *holder =
	        d->name[0] ? table_find(im, REGISTRY_KEY_NAME, d->name) : NULL;
	int e = validate(im->r, d, im->target[i], holder, why, whylen);
	*other = SIZE_MAX;
	if (e < 0)
		return e;
	size_t k = import_first_clash(im, i);
	if (k != SIZE_MAX && (e = import_clash(im, i, k, why, whylen)) < 0)
		*other = k;
	return e;
}

/* Prepares and checks every row, telling bad() of each bad one; while none
 * is bad and this is no dry run, stores each good one in the open change.
 * Returns 0, or the -errno of the first bad row (err: "row N: why") or of
 * the failure that stopped it. */
static int import_rows(struct import *im, char *err, size_t errlen)
{
	int first = 0;
	if (import_index_table(im) < 0)
		return nb_errf(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < im->n; i++) {
		char why[256] = "";
		size_t other;
		if (import_prepare(im, i) < 0)
			return nb_errf(err, errlen, -ENOMEM, "out of memory");
		int e = import_check(im, i, why, sizeof why, &other);
		if (import_remember(im, i) < 0)
			return nb_errf(err, errlen, -ENOMEM, "out of memory");
		if (e < 0) {
			if (!im->n_bad++) {
				first = e;
				snprintf(err, errlen, "row %zu: %s", i + 1, why);
			}
			if (im->bad)
				im->bad(i, other, e, why, im->data);
			continue;
		}
		im->created += !im->target[i];
		if (!im->n_bad && !(im->flags & REGISTRY_IMPORT_DRY_RUN) &&
		    (e = registry_persist(im->r, im->next[i])) < 0)
			return nb_errf(err, errlen, e, "cannot store row %zu: %s", i + 1,
			               strerror(-e));
	}
	return first;
}

/* The rows are committed: updated devices take their new values, new ones
 * join the table (the MAC index is left to the caller). */
static void import_swap_in(struct import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		if (im->target[i]) {
			*im->target[i] = *im->next[i];
			registry_publish(im->r, im->target[i]);
		} else if (registry_add_slot(im->r, im->next[i]) == 0) {
			registry_publish(im->r, steal_ptr(&im->next[i]));
		}
	}
}

/* Frees the copies the table did not take, the arrays and the key sets. */
static void import_done(struct import *im)
{
	for (size_t i = 0; im->next && i < im->n; i++)
		free(im->next[i]);
	free(im->next);
	free(im->target);
	registry_keys_done(&im->reg);
	registry_keys_done(&im->seen);
}

int registry_import(struct registry *r, const struct registry_change *rows, size_t n,
                    unsigned flags, registry_bad_row_fn bad, void *data, char *err, size_t errlen)
{
	bool dry_run = flags & REGISTRY_IMPORT_DRY_RUN;
	struct import im = {.r = r, .rows = rows, .n = n, .flags = flags, .bad = bad, .data = data};
	im.next = calloc(n ? n : 1, sizeof *im.next);
	im.target = calloc(n ? n : 1, sizeof *im.target);
	im.next_id = r->next_id;
	if (!im.next || !im.target) {
		import_done(&im);
		return nb_errf(err, errlen, -ENOMEM, "out of memory");
	}
	err[0] = 0;
	/* all rows in one change: a bad one undoes the good ones before it */
	int e = dry_run ? 0 : change_begin(r, err, errlen);
	if (e == 0)
		e = import_rows(&im, err, errlen);
	if (im.n_bad > 1)
		snprintf(err + strlen(err), errlen - strlen(err), " (and %zu more bad rows)",
		         im.n_bad - 1);
	if (!dry_run && (e = change_end(r, e, err, errlen)) == 0) {
		import_swap_in(&im);
		e = registry_reindex(r);
	}
	import_done(&im);
	return e < 0 ? e : im.created;
}
