#include "journal/journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "registry/hosts.h"

struct ring {
	struct hwaddr mac; /* zero for address-only rings */
	uint32_t ip;       /* set for address-only rings */
	struct journal_event ev[JOURNAL_RING];
	size_t head, n;
	struct ring *next;          /* hash chain */
	struct ring *newer, *older; /* activity order, for eviction */
};

struct journal {
	struct hosts *hosts;
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
	size_t slot = ring_hash(mac, ip) & (j->nb - 1);
	r->next = j->b[slot];
	j->b[slot] = r;
	j->count++;
	order_push(j, r);
	return r;
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
		if (e)
			key = e->mac;
		else
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
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
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
