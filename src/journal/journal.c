#include "journal/journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "registry/hosts.h"
#include "registry/registry.h"
#include "store/store.h"

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
	struct hosts *hosts;
	struct store *store;        /* NULL: memory only */
	const struct registry *reg; /* whose devices' events are stored */
	struct log_ratelimit rl;    /* store failures */
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

struct journal *journal_new(struct hosts *hosts)
{
	struct journal *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->hosts = hosts;
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

void journal_persist(struct journal *j, struct store *st, const struct registry *reg)
{
	if (!j)
		return;
	j->store = st;
	j->reg = reg;
}

/* Whether an event goes to the store too: a registry device's, or a boot
 * file transfer of a known MAC. A plain DHCP client costs a hash lookup. */
static bool wants_store(const struct journal *j, const char *name, const struct hwaddr *key)
{
	if (!j->store || hwaddr_is_zero(key))
		return false;
	if (j->reg && registry_get(j->reg, key))
		return true;
	return strncmp(name, "tftp.", 5) == 0 || strncmp(name, "http.", 5) == 0;
}

/* Into the store's open batch (committed at the end of the loop's turn). */
static void store_one(struct journal *j, struct ring *r, struct journal_event *e)
{
	const struct store_event se = {.time_ms = e->time_ms,
	                               .mac = e->mac,
	                               .ip = e->ip,
	                               .name = e->name,
	                               .detail = e->detail};
	int rc = store_event_add(j->store, &se);
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
		       hwaddr_fmt(&e->mac, m), e->name, strerror(-rc));
	}
}

void journal_event(struct journal *j, const struct hwaddr *mac, uint32_t ip, const char *name,
                   const char *fmt, ...)
{
	struct hwaddr key = {0};
	uint32_t key_ip = 0;
	struct timespec ts;
	va_list ap;

	if (!j)
		return;
	if (mac) {
		key = *mac;
	} else {
		const struct hosts_entry *e =
		        j->hosts ? hosts_by_addr(j->hosts, ip, nb_wall_sec()) : NULL;
		if (e && !hwaddr_is_zero(&e->mac))
			key = e->mac;
		else if (!ip || !arp_lookup(ip, &key))
			key_ip = ip;
	}
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
	e->name = name;
	e->mac = key;
	e->ip = ip;
	e->stored = false;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
	if (wants_store(j, name, &key))
		store_one(j, r, e);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char m[HWADDR_STRLEN], a[IP4_STRLEN];
		log_debug("journal: %s %s %s %s", hwaddr_fmt(&key, m), ip4_fmt(ip, a), name,
		          e->detail);
	}
}

size_t journal_foreach(const struct journal *j, const struct hwaddr *mac,
                       void (*fn)(const struct journal_event *e, void *data), void *data)
{
	const struct ring *r = find(j, mac, 0);
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		fn(&r->ev[(r->head + i) % JOURNAL_RING], data);
	return r->n;
}

/* ---- reading back */

struct gather {
	struct journal_entry *v;
	size_t n, cap;
};

static int gather_add(struct gather *g, int64_t time_ms, const struct hwaddr *mac, uint32_t ip,
                      const char *name, const char *detail)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct journal_entry *v = realloc(g->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	struct journal_entry *e = &g->v[g->n++];
	e->time_ms = time_ms;
	e->mac = *mac;
	e->ip = ip;
	nb_strlcpy(e->name, name, sizeof e->name);
	nb_strlcpy(e->detail, detail, sizeof e->detail);
	return 0;
}

static int gather_stored(const struct store_event *e, void *data)
{
	return gather_add(data, e->time_ms, &e->mac, e->ip, e->name, e->detail);
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
			if (!e->stored)
				r = gather_add(&g, e->time_ms, &e->mac, e->ip, e->name, e->detail);
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
