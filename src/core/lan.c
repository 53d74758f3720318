/* The served LAN boundary (lan.h). */
#include "core/lan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/net.h"
#include "core/util.h"

#define MISS_REFRESH_MS     1000
#define PERIODIC_REFRESH_MS 30000

struct lan {
	const struct conf *conf;
	struct lan_if ifs[LAN_IFS_MAX];
	size_t n_ifs;
	int64_t refreshed_ms;
	uint64_t gen;
};

static bool is_loopback(uint32_t addr)
{
	return ip4_in(addr, 0x7f000000, 8);
}

static bool name_served(const struct conf *c, const char *name)
{
	if (c->server.n_interfaces == 0)
		return true;
	for (size_t i = 0; i < c->server.n_interfaces; i++)
		if (strcmp(c->server.interfaces[i], name) == 0)
			return true;
	return false;
}

/* An interface is served by name; loopback always. */
static void mark_served(struct lan *l)
{
	for (size_t i = 0; i < l->n_ifs; i++) {
		struct lan_if *f = &l->ifs[i];
		f->served = f->loopback || name_served(l->conf, f->name);
	}
	l->gen++;
}

void lan_set_ifs(struct lan *l, const struct lan_if *ifs, size_t n)
{
	l->n_ifs = NB_MIN(n, (size_t) LAN_IFS_MAX);
	memcpy(l->ifs, ifs, l->n_ifs * sizeof *ifs);
	mark_served(l);
}

struct scan {
	struct lan_if ifs[LAN_IFS_MAX];
	size_t n;
};

static int scan_cb(const char *ifname, int ifindex, uint32_t addr, unsigned prefix, void *data)
{
	struct scan *sc = data;
	if (sc->n == LAN_IFS_MAX)
		return 0;
	struct lan_if *f = &sc->ifs[sc->n++];
	*f = (struct lan_if){.ifindex = ifindex, .addr = addr, .prefix = prefix};
	nb_strlcpy(f->name, ifname, sizeof f->name);
	f->loopback = is_loopback(addr);
	return 0;
}

int lan_refresh(struct lan *l)
{
	struct scan sc;
	sc.n = 0;
	l->refreshed_ms = nb_now_ms();
	int r = net_if_foreach(scan_cb, &sc);
	if (r < 0) {
		log_warn("lan: cannot list interface addresses: %s", strerror(-r));
		return r;
	}
	if (sc.n == l->n_ifs) {
		/* unchanged: keep the generation, so caches stay valid */
		bool same = true;
		for (size_t i = 0; i < sc.n && same; i++)
			same = sc.ifs[i].ifindex == l->ifs[i].ifindex &&
			       sc.ifs[i].addr == l->ifs[i].addr &&
			       sc.ifs[i].prefix == l->ifs[i].prefix &&
			       strcmp(sc.ifs[i].name, l->ifs[i].name) == 0;
		if (same)
			return 0;
	}
	lan_set_ifs(l, sc.ifs, sc.n);
	return 0;
}

int lan_new(const struct conf *c, struct lan **ret)
{
	struct lan *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->conf = c;
	l->gen = 1;
	(void) lan_refresh(l); /* logged; retried on the next miss */
	*ret = l;
	return 0;
}

void lan_free(struct lan *l)
{
	free(l);
}

void lan_set_conf(struct lan *l, const struct conf *c)
{
	l->conf = c;
	mark_served(l);
}

static void maybe_refresh(struct lan *l, bool missed)
{
	int64_t since = nb_now_ms() - l->refreshed_ms;
	if (since >= PERIODIC_REFRESH_MS || (missed && since >= MISS_REFRESH_MS))
		(void) lan_refresh(l);
}

static const struct lan_if *find_if(struct lan *l, int ifindex)
{
	for (size_t i = 0; i < l->n_ifs; i++)
		if (l->ifs[i].ifindex == ifindex)
			return &l->ifs[i];
	return NULL;
}

static bool net_served(const struct lan *l, uint32_t addr)
{
	const struct conf *c = l->conf;
	if (is_loopback(addr))
		return true;
	for (size_t i = 0; i < c->n_subnets; i++)
		if (ip4_in(addr, c->subnets[i].net, c->subnets[i].prefix))
			return true;
	for (size_t i = 0; i < l->n_ifs; i++) {
		const struct lan_if *f = &l->ifs[i];
		if (f->served && ip4_in(addr, f->addr & ip4_mask(f->prefix), f->prefix))
			return true;
	}
	return false;
}

bool lan_if_served(struct lan *l, int ifindex)
{
	maybe_refresh(l, false);
	const struct lan_if *f = find_if(l, ifindex);
	if (!f) {
		maybe_refresh(l, true);
		f = find_if(l, ifindex);
	}
	return f && f->served;
}

bool lan_net_served(struct lan *l, uint32_t addr)
{
	maybe_refresh(l, false);
	if (net_served(l, addr))
		return true;
	maybe_refresh(l, true);
	return net_served(l, addr);
}

static bool own_addr(const struct lan *l, uint32_t addr)
{
	for (size_t i = 0; i < l->n_ifs; i++)
		if (l->ifs[i].addr == addr)
			return true;
	return false;
}

enum lan_verdict lan_check(struct lan *l, int ifindex, uint32_t src)
{
	if (ifindex != 0 && !lan_if_served(l, ifindex))
		return LAN_OTHER_IF;
	/* the host itself, whichever of its addresses it speaks from */
	const struct lan_if *f = ifindex ? find_if(l, ifindex) : NULL;
	if (f && f->loopback && own_addr(l, src))
		return LAN_OK;
	return lan_net_served(l, src) ? LAN_OK : LAN_OFF_NET;
}

const char *lan_ifname(struct lan *l, int ifindex)
{
	const struct lan_if *f = find_if(l, ifindex);
	return f ? f->name : "?";
}

const struct lan_if *lan_ifs(const struct lan *l, size_t *ret_n)
{
	*ret_n = l->n_ifs;
	return l->ifs;
}

uint64_t lan_generation(const struct lan *l)
{
	return l->gen;
}

const char *lan_verdict_str(enum lan_verdict v)
{
	switch (v) {
	case LAN_OK:
		return "from the served LAN";
	case LAN_OTHER_IF:
		return "arrived on an interface that is not served";
	case LAN_OFF_NET:
		return "the source is in no served network";
	}
	return "?";
}
