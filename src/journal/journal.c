#include "journal/journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "store/store.h"

#define PACKED_MAX 200 /* an event's fields as the ring keeps them; more than a detail line */

/* An event as the ring keeps it: the fields packed, the detail made on reading. */
struct journal_event {
	int64_t time_ms;
	struct hwaddr mac;
	uint32_t ip;
	bool stored; /* also written to the store */
	uint8_t len;
	uint8_t packed[PACKED_MAX];
};

struct ring {
	struct hwaddr mac; /* zero for address-only rings */
	uint32_t ip;       /* set for address-only rings */
	struct journal_event ev[JOURNAL_RING];
	size_t head, n;
	unsigned since_prune;       /* events stored since its stored events were last trimmed */
	struct ring *next;          /* hash chain */
	struct ring *newer, *older; /* activity order, for eviction */
};

struct journal {
	journal_mac_fn mac_of;
	void *mac_data;
	struct store *store;  /* NULL: memory only */
	journal_keep_fn keep; /* which events are stored */
	void *keep_data;
	struct log_ratelimit rl; /* store failures */
	struct ring **b;
	size_t nb, count;
	struct ring *newest, *oldest;
};

static uint64_t ring_hash(const struct hwaddr *mac, uint32_t ip)
{
	uint8_t k[10];
	memcpy(k, mac->b, 6);
	memcpy(k + 6, &ip, 4);
	return nb_hash(k, sizeof k, 7);
}

struct journal *journal_new(journal_mac_fn mac_of, void *data)
{
	struct journal *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->mac_of = mac_of;
	j->mac_data = data;
	j->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 5);
	j->nb = 4096;
	j->b = calloc(j->nb, sizeof *j->b);
	if (!j->b) {
		free(j);
		return NULL;
	}
	return j;
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nb; i++)
		while (j->b[i]) {
			struct ring *r = j->b[i];
			j->b[i] = r->next;
			free(r);
		}
	free(j->b);
	free(j);
}

static struct ring *find(const struct journal *j, const struct hwaddr *mac, uint32_t ip)
{
	for (struct ring *r = j->b[ring_hash(mac, ip) & (j->nb - 1)]; r; r = r->next)
		if (memcmp(&r->mac, mac, sizeof *mac) == 0 && r->ip == ip)
			return r;
	return NULL;
}

static void order_unlink(struct journal *j, struct ring *r)
{
	if (r->newer)
		r->newer->older = r->older;
	else
		j->newest = r->older;
	if (r->older)
		r->older->newer = r->newer;
	else
		j->oldest = r->newer;
	r->newer = r->older = NULL;
}

static void order_push(struct journal *j, struct ring *r)
{
	r->older = j->newest;
	r->newer = NULL;
	if (j->newest)
		j->newest->newer = r;
	j->newest = r;
	if (!j->oldest)
		j->oldest = r;
}

/* Forgets the device least recently active (the memory bound). */
static void evict_oldest(struct journal *j)
{
	struct ring *r = j->oldest;
	order_unlink(j, r);
	struct ring **p = &j->b[ring_hash(&r->mac, r->ip) & (j->nb - 1)];
	while (*p != r)
		p = &(*p)->next;
	*p = r->next;
	free(r);
	j->count--;
}

static struct ring *get(struct journal *j, const struct hwaddr *mac, uint32_t ip)
{
	struct ring *r = find(j, mac, ip);
	if (r) {
		order_unlink(j, r);
		order_push(j, r);
		return r;
	}
	if (j->count >= JOURNAL_DEVICES)
		evict_oldest(j);
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->mac = *mac;
	r->ip = ip;
	/* its first stored event trims what an earlier run (or an evicted
	 * ring) left: the store's bound holds without counting rows */
	r->since_prune = JOURNAL_PRUNE_EVERY - 1;
	size_t slot = ring_hash(mac, ip) & (j->nb - 1);
	r->next = j->b[slot];
	j->b[slot] = r;
	j->count++;
	order_push(j, r);
	return r;
}

/* The kernel's neighbour table (this namespace's): a client on the segment
 * has ARPed for us before its first packet, and Linux keeps the sender's
 * mapping. This names the device behind an address netbay did not lease
 * (proxy mode, static addresses). */
static bool arp_lookup(uint32_t ip, struct hwaddr *ret)
{
	char line[256], want[IP4_STRLEN];
	bool found = false;
	FILE *f = fopen("/proc/net/arp", "re");
	if (!f)
		return false;
	ip4_fmt(ip, want);
	while (!found && fgets(line, sizeof line, f)) {
		char addr[64], hw[64];
		unsigned flags;
		if (sscanf(line, "%63s %*s %x %63s", addr, &flags, hw) != 3)
			continue; /* the header line */
		/* ATF_COM: a complete entry */
		if ((flags & 0x2) && strcmp(addr, want) == 0 && hwaddr_parse(hw, ret) == 0)
			found = !hwaddr_is_zero(ret);
	}
	fclose(f);
	return found;
}

void journal_persist(struct journal *j, struct store *st, journal_keep_fn keep, void *data)
{
	if (!j)
		return;
	j->store = st;
	j->keep = keep;
	j->keep_data = data;
}

/* Into the store's open batch (committed at the end of the loop's turn):
 * the detail line and the fields as JSON. */
static void store_one(struct journal *j, struct ring *r, struct journal_event *e,
                      const struct journal_fields *f)
{
	char detail[JOURNAL_DETAIL_MAX];
	int rc = -ENOMEM;
	journal_format(f, e->ip, &e->mac, detail, sizeof detail);
	json_t *o = json_object();
	char *fact = o && journal_fields_json(f, o) == 0 ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (fact) {
		const struct store_event se = {.time_ms = e->time_ms,
		                               .mac = e->mac,
		                               .ip = e->ip,
		                               .name = journal_kind_name(f->kind),
		                               .detail = detail,
		                               .fact = fact};
		rc = store_event_add(j->store, &se);
		free(fact);
	}
	if (rc == 0) {
		e->stored = true;
		if (++r->since_prune >= JOURNAL_PRUNE_EVERY) {
			rc = store_event_prune(j->store, &e->mac, JOURNAL_KEEP);
			if (rc == 0)
				r->since_prune = 0;
		}
	}
	if (rc < 0) {
		char m[HWADDR_STRLEN];
		log_rl(&j->rl, LOG_LVL_WARN, "journal: %s: cannot store %s: %s",
		       hwaddr_fmt(&e->mac, m), journal_kind_name(f->kind), strerror(-rc));
	}
}

/* The MAC an event is kept under; *ret_ip the address for address-only rings. */
static void key_of(const struct journal *j, const struct journal_fact *f, struct hwaddr *ret,
                   uint32_t *ret_ip)
{
	*ret_ip = 0;
	memset(ret, 0, sizeof *ret);
	if (f->mac) {
		*ret = *f->mac;
		return;
	}
	if (j->mac_of && j->mac_of(f->ip, ret, j->mac_data) && !hwaddr_is_zero(ret))
		return;
	memset(ret, 0, sizeof *ret);
	if (!f->ip || !arp_lookup(f->ip, ret))
		*ret_ip = f->ip;
}

void journal_emit(struct journal *j, const struct journal_fact *f)
{
	struct hwaddr key;
	uint32_t key_ip;
	struct timespec ts;
	struct journal_fields fields;

	if (!j)
		return;
	key_of(j, f, &key, &key_ip);
	struct ring *r = get(j, &key, key_ip);
	if (!r)
		return;
	struct journal_event *e = &r->ev[(r->head + r->n) % JOURNAL_RING];
	if (r->n == JOURNAL_RING)
		r->head = (r->head + 1) % JOURNAL_RING;
	else
		r->n++;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->time_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e->mac = key;
	e->ip = f->ip;
	e->stored = false;
	journal_fields_set(&fields, f);
	e->len = (uint8_t) journal_fields_pack(&fields, e->packed, sizeof e->packed);
	if (j->store && j->keep && !hwaddr_is_zero(&key) && j->keep(f->kind, &key, j->keep_data))
		store_one(j, r, e, &fields);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char m[HWADDR_STRLEN], a[IP4_STRLEN], d[JOURNAL_DETAIL_MAX];
		journal_format(&fields, e->ip, &e->mac, d, sizeof d);
		log_debug("journal: %s %s %s %s", hwaddr_fmt(&key, m), ip4_fmt(f->ip, a),
		          journal_kind_name(f->kind), d);
	}
}

/* An event of the ring as read back. */
static void entry_of(const struct journal_event *e, struct journal_entry *out)
{
	out->time_ms = e->time_ms;
	out->mac = e->mac;
	out->ip = e->ip;
	journal_fields_unpack(e->packed, e->len, &out->f);
	nb_strlcpy(out->name, journal_kind_name(out->f.kind), sizeof out->name);
	journal_format(&out->f, e->ip, &e->mac, out->detail, sizeof out->detail);
}

size_t journal_foreach(const struct journal *j, const struct hwaddr *mac,
                       void (*fn)(const struct journal_entry *e, void *data), void *data)
{
	const struct ring *r = find(j, mac, 0);
	struct journal_entry e;
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		entry_of(&r->ev[(r->head + i) % JOURNAL_RING], &e);
		fn(&e, data);
	}
	return r->n;
}

/* ---- reading back */

struct gather {
	struct journal_entry *v;
	size_t n, cap;
};

static struct journal_entry *gather_next(struct gather *g)
{
	if (nb_grow(&g->v, &g->cap, g->n + 1, sizeof *g->v) < 0)
		return NULL;
	return &g->v[g->n++];
}

/* A stored event: its fields from the JSON, its detail as stored (rows
 * from before the fields were stored were converted by the store's
 * migration; their detail is the text written then). */
static int gather_stored(const struct store_event *se, void *data)
{
	struct journal_entry *e = gather_next(data);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof *e);
	e->time_ms = se->time_ms;
	e->mac = se->mac;
	e->ip = se->ip;
	nb_strlcpy(e->name, se->name, sizeof e->name);
	nb_strlcpy(e->detail, se->detail, sizeof e->detail);
	e->f.kind = journal_kind_parse(se->name);
	json_t *o = se->fact ? json_loads(se->fact, 0, NULL) : NULL;
	journal_fields_from_json(o, &e->f);
	json_decref(o);
	return 0;
}

/* By time; equal times keep the order they were gathered in (each
 * source is in order already). */
static int by_time(const void *a, const void *b)
{
	const struct journal_entry *x = *(const struct journal_entry *const *) a;
	const struct journal_entry *y = *(const struct journal_entry *const *) b;
	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int sort_by_time(struct gather *g)
{
	const struct journal_entry **p = malloc(g->n * sizeof *p);
	struct journal_entry *out = malloc(g->n * sizeof *out);
	if (!p || !out) {
		free(p);
		free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->n; i++)
		p[i] = &g->v[i];
	qsort(p, g->n, sizeof *p, by_time);
	for (size_t i = 0; i < g->n; i++)
		out[i] = *p[i];
	free(p);
	free(g->v);
	g->v = out;
	g->cap = g->n;
	return 0;
}

int journal_read(struct journal *j, const struct hwaddr *macs, size_t n_macs, size_t max,
                 struct journal_entry **ret)
{
	struct gather g = {0};
	int r = 0;
	*ret = NULL;
	if (!j)
		return 0;
	for (size_t m = 0; m < n_macs && r >= 0; m++) {
		if (j->store)
			r = store_event_foreach(j->store, &macs[m], max, gather_stored, &g);
		const struct ring *ring = find(j, &macs[m], 0);
		for (size_t i = 0; ring && i < ring->n && r >= 0; i++) {
			const struct journal_event *e = &ring->ev[(ring->head + i) % JOURNAL_RING];
			struct journal_entry *out = e->stored ? NULL : gather_next(&g);
			if (out)
				entry_of(e, out);
			else if (!e->stored)
				r = -ENOMEM;
		}
	}
	if (r >= 0 && g.n > 1)
		r = sort_by_time(&g);
	if (r < 0) {
		free(g.v);
		return r;
	}
	if (g.n > max) {
		memmove(g.v, g.v + (g.n - max), max * sizeof *g.v);
		g.n = max;
	}
	if (g.n == 0) {
		free(g.v);
		g.v = NULL;
	}
	*ret = g.v;
	return (int) g.n;
}
