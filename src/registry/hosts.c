#include "registry/hosts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/log.h"

#define NIL UINT32_MAX

struct entry {
	struct hosts_entry pub;
	char *name; /* owned; pub.name points here or at "" */
	uint32_t next_addr, next_mac, next_name, next_free;
	bool used;
};

struct index {
	uint32_t *b;
	size_t n; /* power of two */
};

struct hosts {
	struct entry *e;
	size_t n_e, cap_e;
	uint32_t free_head;
	size_t live;
	struct index by_addr, by_mac, by_name;
	uint64_t gen;
	char reserved[CONF_RESERVED_MAX][CONF_NAME_MAX]; /* lower case */
	size_t n_reserved;
	struct log_ratelimit rl; /* name conflicts: clients choose their names */
};

static uint64_t h_addr(uint32_t a)
{
	return nb_hash(&a, sizeof a, 1);
}
static uint64_t h_mac(const struct hwaddr *m)
{
	return nb_hash(m->b, sizeof m->b, 2);
}
static uint64_t h_name(const char *n)
{
	return nb_hash(n, strlen(n), 3);
}

static uint32_t *next_of(struct hosts *h, uint32_t i, int which)
{
	return which == 0   ? &h->e[i].next_addr
	       : which == 1 ? &h->e[i].next_mac
	                    : &h->e[i].next_name;
}

static struct index *index_of(struct hosts *h, int which)
{
	return which == 0 ? &h->by_addr : which == 1 ? &h->by_mac : &h->by_name;
}

static uint64_t key_hash(struct hosts *h, uint32_t i, int which)
{
	struct entry *e = &h->e[i];
	return which == 0 ? h_addr(e->pub.addr) : which == 1 ? h_mac(&e->pub.mac) : h_name(e->name);
}

static void idx_link(struct hosts *h, int which, uint32_t i)
{
	struct index *x = index_of(h, which);
	size_t slot = key_hash(h, i, which) & (x->n - 1);
	*next_of(h, i, which) = x->b[slot];
	x->b[slot] = i;
}

static void idx_unlink(struct hosts *h, int which, uint32_t i)
{
	struct index *x = index_of(h, which);
	uint32_t *p = &x->b[key_hash(h, i, which) & (x->n - 1)];
	while (*p != NIL) {
		if (*p == i) {
			*p = *next_of(h, i, which);
			return;
		}
		p = next_of(h, *p, which);
	}
}

static int idx_resize(struct hosts *h, int which, size_t n)
{
	struct index *x = index_of(h, which);
	uint32_t *b = malloc(n * sizeof *b);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		b[i] = NIL;
	free(x->b);
	x->b = b;
	x->n = n;
	for (uint32_t i = 0; i < h->n_e; i++) {
		if (!h->e[i].used || (which == 2 && !h->e[i].name))
			continue;
		idx_link(h, which, i);
	}
	return 0;
}

struct hosts *hosts_new(void)
{
	struct hosts *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->free_head = NIL;
	h->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	for (int w = 0; w < 3; w++)
		if (idx_resize(h, w, 64) < 0) {
			hosts_free(h);
			return NULL;
		}
	return h;
}

void hosts_free(struct hosts *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_e; i++)
		free(h->e[i].name);
	free(h->e);
	free(h->by_addr.b);
	free(h->by_mac.b);
	free(h->by_name.b);
	free(h);
}

static bool live(const struct entry *e, int64_t now)
{
	return e->used && (e->pub.expires == 0 || e->pub.expires > now);
}

static uint32_t find_addr(const struct hosts *h, uint32_t addr)
{
	for (uint32_t i = h->by_addr.b[h_addr(addr) & (h->by_addr.n - 1)]; i != NIL;
	     i = h->e[i].next_addr)
		if (h->e[i].pub.addr == addr)
			return i;
	return NIL;
}

static uint32_t find_mac(const struct hosts *h, const struct hwaddr *mac)
{
	for (uint32_t i = h->by_mac.b[h_mac(mac) & (h->by_mac.n - 1)]; i != NIL;
	     i = h->e[i].next_mac)
		if (memcmp(&h->e[i].pub.mac, mac, sizeof *mac) == 0)
			return i;
	return NIL;
}

static uint32_t find_name(const struct hosts *h, const char *name)
{
	for (uint32_t i = h->by_name.b[h_name(name) & (h->by_name.n - 1)]; i != NIL;
	     i = h->e[i].next_name)
		if (strcmp(h->e[i].name, name) == 0)
			return i;
	return NIL;
}

static void remove_entry(struct hosts *h, uint32_t i)
{
	struct entry *e = &h->e[i];
	idx_unlink(h, 0, i);
	idx_unlink(h, 1, i);
	if (e->name)
		idx_unlink(h, 2, i);
	free(e->name);
	memset(e, 0, sizeof *e);
	e->next_free = h->free_head;
	h->free_head = i;
	h->live--;
	h->gen++;
}

static int grow(struct hosts *h)
{
	if (h->live + 1 > h->by_addr.n) {
		for (int w = 0; w < 3; w++)
			if (idx_resize(h, w, h->by_addr.n * 2) < 0)
				return -ENOMEM;
	}
	if (h->free_head == NIL && nb_grow(&h->e, &h->cap_e, h->n_e + 1, sizeof *h->e) < 0)
		return -ENOMEM;
	return 0;
}

int hosts_set(struct hosts *h, const struct hwaddr *mac, uint32_t addr, const char *name,
              enum hosts_source source, int64_t expires)
{
	char lname[HOSTS_NAME_MAX] = "";
	int64_t now = nb_wall_sec();
	uint32_t i;

	if (name && *name) {
		size_t n = strlen(name);
		if (n >= sizeof lname)
			return -ENAMETOOLONG;
		for (size_t k = 0; k <= n; k++)
			lname[k] = (char) tolower((unsigned char) name[k]);
	}
	/* the conflict rule: does someone else hold the name? */
	bool publish = lname[0] != 0 && !hosts_name_reserved(h, lname);
	if (publish && (i = find_name(h, lname)) != NIL) {
		struct entry *o = &h->e[i];
		bool same = memcmp(&o->pub.mac, mac, sizeof *mac) == 0;
		if (!same && live(o, now) &&
		    (o->pub.source != HOSTS_LEASE || source == HOSTS_LEASE)) {
			publish = false;
			char a[HWADDR_STRLEN], b[HWADDR_STRLEN];
			uint32_t prev = find_mac(h, mac);
			bool told = prev != NIL && !h->e[prev].name; /* withheld before */
			if (told)
				log_debug("hosts: %s asks for the name '%s' again",
				          hwaddr_fmt(mac, a), lname);
			else
				log_rl(&h->rl, LOG_LVL_INFO,
				       "hosts: %s asks for the name '%s', held by %s; published by "
				       "address only",
				       hwaddr_fmt(mac, a), lname, hwaddr_fmt(&o->pub.mac, b));
		} else if (!same) {
			/* an expired holder, or a static name displacing a lease's */
			idx_unlink(h, 2, i);
			free(o->name);
			o->name = NULL;
			o->pub.name = "";
		}
	}
	int r = grow(h);
	if (r < 0)
		return r;
	if (!hwaddr_is_zero(mac) && (i = find_mac(h, mac)) != NIL)
		remove_entry(h, i);
	if ((i = find_addr(h, addr)) != NIL)
		remove_entry(h, i);
	if (h->free_head != NIL) {
		i = h->free_head;
		h->free_head = h->e[i].next_free;
	} else {
		i = (uint32_t) h->n_e++;
	}
	struct entry *e = &h->e[i];
	memset(e, 0, sizeof *e);
	e->used = true;
	e->pub = (struct hosts_entry){
	        .name = "", .addr = addr, .mac = *mac, .source = source, .expires = expires};
	if (publish) {
		e->name = strdup(lname);
		if (!e->name)
			publish = false;
		else
			e->pub.name = e->name;
	}
	idx_link(h, 0, i);
	idx_link(h, 1, i);
	if (publish)
		idx_link(h, 2, i);
	h->live++;
	h->gen++;
	return publish ? 1 : 0;
}

void hosts_remove_addr(struct hosts *h, uint32_t addr)
{
	uint32_t i = find_addr(h, addr);
	if (i != NIL)
		remove_entry(h, i);
}

int hosts_expire(struct hosts *h, int64_t now)
{
	int n = 0;
	for (uint32_t i = 0; i < h->n_e; i++)
		if (h->e[i].used && !live(&h->e[i], now)) {
			remove_entry(h, i);
			n++;
		}
	return n;
}

static const struct hosts_entry *pub_if_live(const struct hosts *h, uint32_t i, int64_t now)
{
	return i != NIL && live(&h->e[i], now) ? &h->e[i].pub : NULL;
}

const struct hosts_entry *hosts_by_name(const struct hosts *h, const char *name, int64_t now)
{
	char lname[HOSTS_NAME_MAX];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof lname)
		return NULL;
	for (size_t k = 0; k <= n; k++)
		lname[k] = (char) tolower((unsigned char) name[k]);
	return pub_if_live(h, find_name(h, lname), now);
}

const struct hosts_entry *hosts_by_addr(const struct hosts *h, uint32_t addr, int64_t now)
{
	return pub_if_live(h, find_addr(h, addr), now);
}

const struct hosts_entry *hosts_by_mac(const struct hosts *h, const struct hwaddr *mac, int64_t now)
{
	return pub_if_live(h, find_mac(h, mac), now);
}

uint64_t hosts_generation(const struct hosts *h)
{
	return h->gen;
}

void hosts_foreach(const struct hosts *h, int64_t now,
                   void (*fn)(const struct hosts_entry *e, void *data), void *data)
{
	for (uint32_t i = 0; i < h->n_e; i++)
		if (live(&h->e[i], now))
			fn(&h->e[i].pub, data);
}

bool hosts_name_reserved(const struct hosts *h, const char *name)
{
	for (size_t i = 0; i < h->n_reserved; i++)
		if (nb_streq_nocase(name, h->reserved[i]))
			return true;
	return false;
}

void hosts_set_reserved(struct hosts *h, const struct conf *c)
{
	h->n_reserved = c->dns.n_reserved;
	memcpy(h->reserved, c->dns.reserved, sizeof h->reserved);
	/* a name that became reserved is withdrawn; its address stays */
	for (uint32_t i = 0; i < h->n_e; i++) {
		struct entry *e = &h->e[i];
		if (!e->used || !e->name || !hosts_name_reserved(h, e->name))
			continue;
		idx_unlink(h, 2, i);
		free(e->name);
		e->name = NULL;
		e->pub.name = "";
		h->gen++;
	}
}

int hosts_load_static(struct hosts *h, const struct conf *c)
{
	for (uint32_t i = 0; i < h->n_e; i++)
		if (h->e[i].used && h->e[i].pub.source == HOSTS_STATIC)
			remove_entry(h, i);
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct conf_host *ch = &c->hosts[i];
		struct hwaddr none = {0};
		int r = hosts_set(h, ch->has_mac ? &ch->mac : &none, ch->addr, ch->name,
		                  HOSTS_STATIC, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

bool hosts_journal_mac(uint32_t ip, struct hwaddr *ret, void *data)
{
	const struct hosts_entry *e = hosts_by_addr(data, ip, nb_wall_sec());
	if (!e)
		return false;
	*ret = e->mac;
	return true;
}
