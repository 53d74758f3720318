#include "dhcp/lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "store/store.h"

#define NO_HEAP UINT32_MAX

struct pool {
	uint32_t start, end; /* inclusive */
	uint32_t cursor;     /* next address to try for a never-used one */
	uint32_t net;        /* the subnet the pool belongs to */
	unsigned prefix;
	size_t n_leases; /* lease objects inside the range */
	struct dhcp_lease **heap;
	size_t heap_len, heap_cap;
	struct dhcp_lease *offers, *offers_tail; /* OFFERED leases, first offered first */
	int64_t free_at;                         /* the now free was counted at; 0: never */
	size_t free;
};

struct dhcp_leases {
	struct dhcp_lease **by_addr, **by_client;
	size_t nb; /* buckets in each index, a power of two */
	size_t count;
	struct pool *pools;
	size_t n_pools;
};

/* ---- indexes */

static uint64_t client_hash(const uint8_t *cid, size_t cid_len, const struct hwaddr *mac)
{
	return cid_len ? nb_hash(cid, cid_len, 0x63) : nb_hash(mac->b, sizeof mac->b, 0x6d);
}

static size_t addr_slot(const struct dhcp_leases *t, uint32_t a)
{
	return nb_hash(&a, sizeof a, 0x61) & (t->nb - 1);
}

static size_t lease_client_slot(const struct dhcp_leases *t, const struct dhcp_lease *l)
{
	return client_hash(l->cid, l->cid_len, &l->mac) & (t->nb - 1);
}

static void client_link(struct dhcp_leases *t, struct dhcp_lease *l)
{
	size_t s = lease_client_slot(t, l);
	l->next_client = t->by_client[s];
	t->by_client[s] = l;
}

static void client_unlink(struct dhcp_leases *t, struct dhcp_lease *l)
{
	struct dhcp_lease **p = &t->by_client[lease_client_slot(t, l)];
	while (*p && *p != l)
		p = &(*p)->next_client;
	if (*p)
		*p = l->next_client;
}

static int rehash(struct dhcp_leases *t, size_t nb)
{
	struct dhcp_lease **a = calloc(nb, sizeof *a), **c = calloc(nb, sizeof *c);
	if (!a || !c) {
		free(a);
		free(c);
		return -ENOMEM;
	}
	struct dhcp_lease **oa = t->by_addr;
	size_t onb = t->nb;
	free(t->by_client); /* rebuilt from the address chains below */
	t->by_addr = a;
	t->by_client = c;
	t->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct dhcp_lease *l = oa[i], *next; l; l = next) {
			next = l->next_addr;
			size_t s = addr_slot(t, l->addr);
			l->next_addr = a[s];
			a[s] = l;
			client_link(t, l);
		}
	free(oa);
	return 0;
}

/* ---- pool heaps, keyed on expires */

static void heap_set(struct pool *p, size_t i, struct dhcp_lease *l)
{
	p->heap[i] = l;
	l->heap_idx = (uint32_t) i;
}

static void heap_fix(struct pool *p, size_t i)
{
	struct dhcp_lease *l = p->heap[i];
	while (i > 0 && p->heap[(i - 1) / 2]->expires > l->expires) {
		heap_set(p, i, p->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= p->heap_len)
			break;
		if (c + 1 < p->heap_len && p->heap[c + 1]->expires < p->heap[c]->expires)
			c++;
		if (l->expires <= p->heap[c]->expires)
			break;
		heap_set(p, i, p->heap[c]);
		i = c;
	}
	heap_set(p, i, l);
}

static int heap_add(struct pool *p, struct dhcp_lease *l)
{
	if (nb_grow(&p->heap, &p->heap_cap, p->heap_len + 1, sizeof *p->heap) < 0)
		return -ENOMEM;
	heap_set(p, p->heap_len++, l);
	heap_fix(p, p->heap_len - 1);
	p->n_leases++;
	return 0;
}

/* ---- pool offer lists */

static void offer_link(struct pool *p, struct dhcp_lease *l)
{
	l->offer_next = NULL;
	l->offer_prev = p->offers_tail;
	if (p->offers_tail)
		p->offers_tail->offer_next = l;
	else
		p->offers = l;
	p->offers_tail = l;
}

static void offer_unlink(struct pool *p, struct dhcp_lease *l)
{
	if (l->offer_prev)
		l->offer_prev->offer_next = l->offer_next;
	else if (p->offers == l)
		p->offers = l->offer_next;
	if (l->offer_next)
		l->offer_next->offer_prev = l->offer_prev;
	else if (p->offers_tail == l)
		p->offers_tail = l->offer_prev;
	l->offer_prev = l->offer_next = NULL;
}

/* Leases whose expires has passed, under heap node i (a min-heap: a node
 * still in use has none below it). */
static size_t count_expired(const struct pool *p, size_t i, int64_t now)
{
	size_t n = 0, stack[64], top = 0;
	if (i < p->heap_len)
		stack[top++] = i;
	while (top) {
		size_t k = stack[--top];
		if (p->heap[k]->expires > now)
			continue;
		n++;
		for (size_t c = 2 * k + 1; c <= 2 * k + 2 && c < p->heap_len; c++)
			stack[top++] = c; /* depth <= log2(heap) + 1, under 64 */
	}
	return n;
}

static uint16_t pool_of(const struct dhcp_leases *t, uint32_t addr)
{
	for (size_t i = 0; i < t->n_pools; i++)
		if (addr >= t->pools[i].start && addr <= t->pools[i].end)
			return (uint16_t) i;
	return DHCP_NO_POOL;
}

/* ---- table */

struct dhcp_leases *dhcp_leases_new(void)
{
	struct dhcp_leases *t = calloc(1, sizeof *t);
	if (!t || rehash(t, 1024) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void lease_free(struct dhcp_lease *l)
{
	free(l->cid);
	free(l->hostname);
	free(l->fqdn);
	free(l);
}

static void free_pools(struct dhcp_leases *t)
{
	for (size_t i = 0; i < t->n_pools; i++)
		free(t->pools[i].heap);
	free(t->pools);
	t->pools = NULL;
	t->n_pools = 0;
}

void dhcp_leases_free(struct dhcp_leases *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nb; i++)
		for (struct dhcp_lease *l = t->by_addr[i], *next; l; l = next) {
			next = l->next_addr;
			lease_free(l);
		}
	free(t->by_addr);
	free(t->by_client);
	free_pools(t);
	free(t);
}

int dhcp_leases_set_pools(struct dhcp_leases *t, const struct conf *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_subnets; i++)
		n += c->subnets[i].n_ranges;
	if (n >= DHCP_NO_POOL)
		return -E2BIG;
	struct pool *pools = calloc(n ? n : 1, sizeof *pools);
	if (!pools)
		return -ENOMEM;
	free_pools(t);
	t->pools = pools;
	for (size_t i = 0; i < c->n_subnets; i++) {
		const struct conf_subnet *s = &c->subnets[i];
		for (size_t r = 0; r < s->n_ranges; r++)
			t->pools[t->n_pools++] = (struct pool){
			        .start = s->ranges[r].start,
			        .end = s->ranges[r].end,
			        .cursor = s->ranges[r].start,
			        .net = s->net,
			        .prefix = s->prefix,
			};
	}
	for (size_t i = 0; i < t->nb; i++)
		for (struct dhcp_lease *l = t->by_addr[i]; l; l = l->next_addr) {
			l->pool = pool_of(t, l->addr);
			l->heap_idx = NO_HEAP;
			l->offer_prev = l->offer_next = NULL;
			if (l->pool == DHCP_NO_POOL)
				continue;
			if (heap_add(&t->pools[l->pool], l) < 0)
				return -ENOMEM;
			if (l->state == DHCP_LEASE_OFFERED)
				offer_link(&t->pools[l->pool],
				           l); /* order lost: a reload is rare */
		}
	return 0;
}

static struct dhcp_lease *lease_add(struct dhcp_leases *t, uint32_t addr, const struct hwaddr *mac,
                                    const uint8_t *cid, size_t cid_len)
{
	if (t->count + 1 > t->nb && rehash(t, t->nb * 2) < 0)
		return NULL;
	struct dhcp_lease *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->addr = addr;
	l->mac = *mac;
	l->heap_idx = NO_HEAP;
	if (cid_len) {
		l->cid = malloc(cid_len);
		if (!l->cid) {
			free(l);
			return NULL;
		}
		memcpy(l->cid, cid, cid_len);
		l->cid_len = (uint8_t) cid_len;
	}
	l->pool = pool_of(t, addr);
	if (l->pool != DHCP_NO_POOL && heap_add(&t->pools[l->pool], l) < 0) {
		lease_free(l);
		return NULL;
	}
	size_t s = addr_slot(t, addr);
	l->next_addr = t->by_addr[s];
	t->by_addr[s] = l;
	client_link(t, l);
	t->count++;
	return l;
}

int dhcp_leases_load(struct dhcp_leases *t, const struct store_lease *sl)
{
	if (dhcp_lease_by_addr(t, sl->addr))
		return -EEXIST;
	size_t cid_len = NB_MIN(sl->client_id_len, (size_t) 255);
	struct dhcp_lease *l = lease_add(t, sl->addr, &sl->mac, sl->client_id, cid_len);
	if (!l)
		return -ENOMEM;
	uint8_t state = sl->state == STORE_LEASE_BOUND      ? DHCP_LEASE_BOUND
	                : sl->state == STORE_LEASE_DECLINED ? DHCP_LEASE_DECLINED
	                                                    : DHCP_LEASE_RELEASED;
	int64_t exp = sl->expires < 0 ? 0 : sl->expires > UINT32_MAX ? UINT32_MAX : sl->expires;
	dhcp_lease_set(t, l, state, (uint32_t) exp);
	return dhcp_lease_set_names(l, sl->hostname, sl->fqdn);
}

struct dhcp_lease *dhcp_lease_by_addr(const struct dhcp_leases *t, uint32_t addr)
{
	for (struct dhcp_lease *l = t->by_addr[addr_slot(t, addr)]; l; l = l->next_addr)
		if (l->addr == addr)
			return l;
	return NULL;
}

bool dhcp_lease_owned_by(const struct dhcp_lease *l, const struct dhcp_client *c)
{
	if (c->cid_len && l->cid_len)
		return l->cid_len == c->cid_len && memcmp(l->cid, c->cid, c->cid_len) == 0;
	/* a lease made without an identifier belongs to its MAC, whoever asks
	 * with that MAC (see dhcp_lease_by_client) */
	return (l->cid_len == 0) && memcmp(&l->mac, &c->mac, sizeof c->mac) == 0;
}

struct dhcp_lease *dhcp_lease_by_client(const struct dhcp_leases *t, const struct dhcp_client *c,
                                        uint32_t net, unsigned prefix)
{
	size_t s = client_hash(c->cid, c->cid_len, &c->mac) & (t->nb - 1);
	struct dhcp_lease *best = NULL;
	for (struct dhcp_lease *l = t->by_client[s]; l; l = l->next_client) {
		if (!dhcp_lease_owned_by(l, c) || (prefix && !ip4_in(l->addr, net, prefix)))
			continue;
		/* several (an old released one, a new one): the most recent wins */
		if (!best || l->expires > best->expires)
			best = l;
	}
	if (best || !c->cid_len)
		return best;
	/* a client with an identifier now, on a MAC that leased without one: the
	 * same machine a boot stage later (firmware, then its OS) */
	s = client_hash(NULL, 0, &c->mac) & (t->nb - 1);
	for (struct dhcp_lease *l = t->by_client[s]; l; l = l->next_client)
		if (l->cid_len == 0 && memcmp(&l->mac, &c->mac, sizeof c->mac) == 0 &&
		    (!prefix || ip4_in(l->addr, net, prefix)) &&
		    (!best || l->expires > best->expires))
			best = l;
	return best;
}

bool dhcp_lease_available(const struct dhcp_lease *l, const struct dhcp_client *c, int64_t now)
{
	if (l->state == DHCP_LEASE_DECLINED)
		return l->expires <= now; /* quarantine applies to its reporter too */
	return dhcp_lease_owned_by(l, c) || l->expires <= now;
}

bool dhcp_leases_in_pool(const struct dhcp_leases *t, uint32_t addr)
{
	return pool_of(t, addr) != DHCP_NO_POOL;
}

/* Moves l to client c (identity only; state untouched). */
static int give(struct dhcp_leases *t, struct dhcp_lease *l, const struct dhcp_client *c)
{
	if (dhcp_lease_owned_by(l, c) && memcmp(&l->mac, &c->mac, sizeof c->mac) == 0)
		return 0;
	uint8_t *cid = NULL;
	if (c->cid_len) {
		cid = malloc(c->cid_len);
		if (!cid)
			return -ENOMEM;
		memcpy(cid, c->cid, c->cid_len);
	}
	if (l->state == DHCP_LEASE_OFFERED && l->pool != DHCP_NO_POOL) {
		/* an offer made to its previous owner means nothing to the new one */
		offer_unlink(&t->pools[l->pool], l);
		l->state = DHCP_LEASE_RELEASED;
	}
	client_unlink(t, l);
	free(l->cid);
	l->cid = cid;
	l->cid_len = c->cid_len;
	l->mac = c->mac;
	client_link(t, l);
	(void) dhcp_lease_set_names(l, NULL, NULL);
	return 0;
}

struct dhcp_lease *dhcp_leases_claim(struct dhcp_leases *t, uint32_t addr,
                                     const struct dhcp_client *c)
{
	struct dhcp_lease *l = dhcp_lease_by_addr(t, addr);
	if (!l)
		return lease_add(t, addr, &c->mac, c->cid, c->cid_len);
	return give(t, l, c) < 0 ? NULL : l;
}

static uint32_t find_unused(const struct dhcp_leases *t, struct pool *p)
{
	uint64_t size = (uint64_t) p->end - p->start + 1;
	if (p->n_leases >= size)
		return 0;
	for (uint64_t i = 0; i < size; i++) {
		uint32_t a = p->cursor;
		p->cursor = a == p->end ? p->start : a + 1;
		if (!dhcp_lease_by_addr(t, a))
			return a;
	}
	return 0;
}

struct dhcp_lease *dhcp_leases_allocate(struct dhcp_leases *t, const struct conf_subnet *s,
                                        const struct dhcp_client *c, uint32_t requested,
                                        int64_t now)
{
	if (requested && ip4_in(requested, s->net, s->prefix)) {
		uint16_t pi = pool_of(t, requested);
		struct dhcp_lease *l = dhcp_lease_by_addr(t, requested);
		if (pi != DHCP_NO_POOL && (!l || dhcp_lease_available(l, c, now)))
			return dhcp_leases_claim(t, requested, c);
	}
	/* never-used addresses first: an expired lease may yet come back to its client */
	for (size_t i = 0; i < t->n_pools; i++) {
		struct pool *p = &t->pools[i];
		if (p->net != s->net || p->prefix != s->prefix)
			continue;
		uint32_t a = find_unused(t, p);
		if (a)
			return lease_add(t, a, &c->mac, c->cid, c->cid_len);
	}
	/* then the lease that expired longest ago, across the subnet's pools */
	struct dhcp_lease *oldest = NULL;
	for (size_t i = 0; i < t->n_pools; i++) {
		struct pool *p = &t->pools[i];
		if (p->net != s->net || p->prefix != s->prefix || p->heap_len == 0)
			continue;
		struct dhcp_lease *top = p->heap[0];
		if (top->expires <= now && (!oldest || top->expires < oldest->expires))
			oldest = top;
	}
	/* none: the offer made first, when its client had time to ask for it */
	for (size_t i = 0; i < t->n_pools && !oldest; i++) {
		struct pool *p = &t->pools[i];
		struct dhcp_lease *o = p->offers;
		if (p->net != s->net || p->prefix != s->prefix || !o)
			continue;
		if ((int64_t) o->offered_at + DHCP_OFFER_RECLAIM_SEC <= now &&
		    (!oldest || o->offered_at < oldest->offered_at))
			oldest = o;
	}
	if (!oldest)
		return NULL;
	return give(t, oldest, c) < 0 ? NULL : oldest;
}

size_t dhcp_leases_free_count(struct dhcp_leases *t, const struct conf_subnet *s, int64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_pools; i++) {
		struct pool *p = &t->pools[i];
		if (p->net != s->net || p->prefix != s->prefix)
			continue;
		if (p->free_at != now) {
			uint64_t size = (uint64_t) p->end - p->start + 1;
			p->free = (size_t) (size - p->n_leases) + count_expired(p, 0, now);
			p->free_at = now;
		}
		n += p->free;
	}
	return n;
}

void dhcp_lease_set(struct dhcp_leases *t, struct dhcp_lease *l, enum dhcp_lease_state state,
                    uint32_t expires)
{
	struct pool *p = l->pool != DHCP_NO_POOL ? &t->pools[l->pool] : NULL;
	if (p && (l->state == DHCP_LEASE_OFFERED) != (state == DHCP_LEASE_OFFERED)) {
		if (state == DHCP_LEASE_OFFERED)
			offer_link(p, l);
		else
			offer_unlink(p, l);
	}
	l->state = (uint8_t) state;
	l->expires = expires;
	if (p && l->heap_idx != NO_HEAP)
		heap_fix(p, l->heap_idx);
}

void dhcp_lease_offer(struct dhcp_leases *t, struct dhcp_lease *l, int64_t now, uint32_t hold_sec)
{
	if (l->state != DHCP_LEASE_OFFERED)
		l->offered_at = (uint32_t) now;
	dhcp_lease_set(t, l, DHCP_LEASE_OFFERED, (uint32_t) (now + hold_sec));
}

static int set_str(char **dst, const char *s)
{
	char *v = NULL;
	if (s && *s && !(v = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

int dhcp_lease_set_names(struct dhcp_lease *l, const char *hostname, const char *fqdn)
{
	int r = set_str(&l->hostname, hostname);
	return r < 0 ? r : set_str(&l->fqdn, fqdn);
}

void dhcp_lease_to_store(const struct dhcp_lease *l, struct store_lease *out)
{
	memset(out, 0, sizeof *out);
	out->addr = l->addr;
	out->mac = l->mac;
	if (l->cid_len) /* cid is NULL without a client identifier */
		memcpy(out->client_id, l->cid, l->cid_len);
	out->client_id_len = l->cid_len;
	if (l->hostname)
		nb_strlcpy(out->hostname, l->hostname, sizeof out->hostname);
	if (l->fqdn)
		nb_strlcpy(out->fqdn, l->fqdn, sizeof out->fqdn);
	out->expires = l->expires;
	out->updated = nb_wall_sec();
	out->state = l->state == DHCP_LEASE_BOUND      ? STORE_LEASE_BOUND
	             : l->state == DHCP_LEASE_DECLINED ? STORE_LEASE_DECLINED
	                                               : STORE_LEASE_RELEASED;
}

size_t dhcp_leases_count(const struct dhcp_leases *t)
{
	return t->count;
}

void dhcp_leases_foreach(const struct dhcp_leases *t, void (*fn)(struct dhcp_lease *l, void *data),
                         void *data)
{
	for (size_t i = 0; i < t->nb; i++)
		for (struct dhcp_lease *l = t->by_addr[i]; l; l = l->next_addr)
			fn(l, data);
}

const char *dhcp_lease_state_name(uint8_t state)
{
	switch (state) {
	case DHCP_LEASE_OFFERED:
		return "offered";
	case DHCP_LEASE_BOUND:
		return "bound";
	case DHCP_LEASE_RELEASED:
		return "released";
	case DHCP_LEASE_DECLINED:
		return "declined";
	default:
		return "free";
	}
}
