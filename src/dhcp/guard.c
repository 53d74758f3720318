/* The starvation guard: how fast clients never seen before (no lease, no
 * reservation) may take addresses, per arrival.
 *
 * An arrival is the interface a packet came in on, and for a relayed
 * packet also the relay that sent it (its source address, not giaddr,
 * which alone proves nothing; relay.c says which relays count as one).
 * Each arrival
 * has a token bucket: [dhcp] new-client-burst at once and new-client-rate
 * a second, both held to new-client-share percent of the subnet's free
 * addresses (per 10 s for the rate), so a small pool is never emptied by
 * one burst and a flood takes a shrinking share of what is left instead of
 * all of it. One interface has buckets for at most DHCP_RATE_KEYS_PER_IF
 * relays; the others share one, so inventing relays buys nothing. A bucket
 * is forgotten only once it has refilled (forgetting it gives nothing).
 *
 * A refused client is remembered (a small set-associative table). One
 * that keeps asking is admitted before clients that showed up after it: a
 * token goes to no newcomer while an older client is still asking. A flood
 * of identities that never come back therefore cannot keep out a real
 * client that retries. */
#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "core/loop.h"
#include "core/services.h"
#include "dhcp/internal.h"

#define LOG_INTERVAL_MS  10000
#define SHARE_WINDOW_SEC 10.0 /* new-client-share is a share per this long */
#define ALIVE_MS         8000 /* a refused client that asked this recently still waits */
#define ASK_GAP_MS       1000 /* asks closer together count once */

struct budget {
	double burst, rate;
	size_t free;
};

static void budget_of(const struct dhcp_ctx *x, struct budget *b)
{
	const struct conf *c = x->s->conf;
	b->burst = c->dhcp.new_client_burst;
	b->rate = c->dhcp.new_client_rate;
	b->free = 0;
	if (!c->dhcp.new_client_share || !x->subnet)
		return;
	b->free = dhcp_leases_free_count(x->s->leases, x->subnet, x->now);
	double share = (double) b->free * c->dhcp.new_client_share / 100.0;
	double whole = (double) (uint64_t) share;
	b->burst = NB_MIN(b->burst, whole < 1 ? 1.0 : whole);
	b->rate = NB_MIN(b->rate, share / SHARE_WINDOW_SEC);
}

static bool idle(const struct dhcp_rate *r, int64_t now)
{
	return r->tokens + (double) (now - r->last_ms) * r->rate / 1000.0 >= r->burst;
}

static struct dhcp_rate *find(struct dhcp_server *s, int ifindex, uint32_t src, size_t *ret_relays)
{
	*ret_relays = 0;
	for (size_t i = 0; i < DHCP_RATE_BUCKETS; i++) {
		struct dhcp_rate *r = &s->rate[i];
		if (!r->used || r->ifindex != ifindex)
			continue;
		if (r->src == src)
			return r;
		*ret_relays += r->src != 0 && r->src != DHCP_RATE_OTHER;
	}
	return NULL;
}

/* The bucket of an arrival, made when needed in a free slot or one that
 * has refilled (least recently used first). NULL: every slot is busy. */
static struct dhcp_rate *bucket(struct dhcp_server *s, int ifindex, uint32_t src,
                                const struct budget *bg, int64_t now)
{
	size_t relays;
	struct dhcp_rate *r = find(s, ifindex, src, &relays);
	if (r)
		return r;
	if (src != 0 && src != DHCP_RATE_OTHER && relays >= DHCP_RATE_KEYS_PER_IF)
		return bucket(s, ifindex, DHCP_RATE_OTHER, bg, now);
	struct dhcp_rate *pick = NULL;
	for (size_t i = 0; i < DHCP_RATE_BUCKETS; i++) {
		struct dhcp_rate *c = &s->rate[i];
		if (!c->used) {
			pick = c;
			break;
		}
		if (idle(c, now) && (!pick || c->last_ms < pick->last_ms))
			pick = c;
	}
	if (!pick)
		return src == DHCP_RATE_OTHER ? NULL : bucket(s, ifindex, DHCP_RATE_OTHER, bg, now);
	*pick = (struct dhcp_rate){.ifindex = ifindex,
	                           .src = src,
	                           .used = true,
	                           .tokens = bg->burst,
	                           .burst = bg->burst,
	                           .rate = bg->rate,
	                           .last_ms = now};
	return pick;
}

static void refill(struct dhcp_rate *r, const struct budget *bg, int64_t now)
{
	r->tokens += (double) (now - r->last_ms) * bg->rate / 1000.0;
	if (r->tokens > bg->burst)
		r->tokens = bg->burst;
	r->burst = bg->burst;
	r->rate = bg->rate;
	r->last_ms = now;
}

/* ---- who waits */

static bool same_key(const struct dhcp_waiter *w, const struct dhcp_rate *r)
{
	return w->used && w->ifindex == r->ifindex && w->src == r->src;
}

static bool alive(const struct dhcp_waiter *w, int64_t now)
{
	return w->asks >= 2 && now - w->last_ms <= ALIVE_MS;
}

static struct dhcp_waiter *waiter_set(struct dhcp_server *s, const struct hwaddr *mac)
{
	return &s->wait[(nb_hash(mac->b, sizeof mac->b, 0x77) % DHCP_WAIT_SETS) * DHCP_WAIT_WAYS];
}

static struct dhcp_waiter *waiter_find(struct dhcp_server *s, const struct dhcp_rate *r,
                                       const struct hwaddr *mac)
{
	struct dhcp_waiter *set = waiter_set(s, mac);
	for (size_t i = 0; i < DHCP_WAIT_WAYS; i++)
		if (same_key(&set[i], r) && memcmp(&set[i].mac, mac, sizeof *mac) == 0)
			return &set[i];
	return NULL;
}

/* Whether a client of this bucket that was refused before w (or before now,
 * w NULL) is still asking: then the token is its. */
static bool someone_older(const struct dhcp_server *s, const struct dhcp_rate *r,
                          const struct dhcp_waiter *w, int64_t now)
{
	int64_t since = w ? w->first_ms : now;
	for (size_t i = 0; i < DHCP_WAIT_SETS * DHCP_WAIT_WAYS; i++) {
		const struct dhcp_waiter *o = &s->wait[i];
		if (o != w && same_key(o, r) && alive(o, now) && o->first_ms < since)
			return true;
	}
	return false;
}

/* Remembers a refusal. A full set gives up a way that no longer waits,
 * else one that asked only once (the oldest), else nothing: clients that
 * keep asking are not pushed out by newcomers. */
static void waiter_note(struct dhcp_server *s, const struct dhcp_rate *r, struct dhcp_waiter *w,
                        const struct hwaddr *mac, int64_t now)
{
	if (w) {
		if (now - w->last_ms >= ASK_GAP_MS && w->asks < UINT16_MAX) {
			w->asks++;
			w->last_ms = now;
		}
		return;
	}
	struct dhcp_waiter *set = waiter_set(s, mac), *pick = NULL;
	int rank = 0; /* 3 unused, 2 waits no longer, 1 asked once */
	for (size_t i = 0; i < DHCP_WAIT_WAYS; i++) {
		struct dhcp_waiter *c = &set[i];
		int k = !c->used ? 3 : now - c->last_ms > ALIVE_MS ? 2 : c->asks < 2 ? 1 : 0;
		if (k > rank || (k == rank && k && pick && c->last_ms < pick->last_ms)) {
			pick = c;
			rank = k;
		}
	}
	if (pick)
		*pick = (struct dhcp_waiter){.mac = *mac,
		                             .used = true,
		                             .asks = 1,
		                             .ifindex = r->ifindex,
		                             .src = r->src,
		                             .first_ms = now,
		                             .last_ms = now};
}

/* ---- the guard */

static void log_throttle(struct dhcp_ctx *x, struct dhcp_rate *r, const struct budget *bg,
                         int64_t now)
{
	char a[IP4_STRLEN], via[64], net[IP4_STRLEN + 4] = "";
	if (now - r->logged_ms < LOG_INTERVAL_MS)
		return;
	if (r->src == DHCP_RATE_OTHER)
		snprintf(via, sizeof via, "%s (relays past the first %d)", x->ifname,
		         DHCP_RATE_KEYS_PER_IF);
	else if (r->src)
		snprintf(via, sizeof via, "relay %s on %s", ip4_fmt(r->src, a), x->ifname);
	else
		snprintf(via, sizeof via, "%s", x->ifname);
	if (x->subnet)
		snprintf(net, sizeof net, "%s/%u", ip4_fmt(x->subnet->net, a), x->subnet->prefix);
	log_rl(&x->s->rl_guard, LOG_LVL_WARN,
	       "dhcp: starvation guard: new clients via %s: %llu refused since the last report "
	       "(at most one a %d s; admitting %.2f/s, bursts of %.0f; %zu addresses free in %s), "
	       "last %s",
	       via, (unsigned long long) r->refused, LOG_INTERVAL_MS / 1000, bg->rate, bg->burst,
	       bg->free, net, x->mac);
	r->logged_ms = now;
	r->refused = 0;
}

bool dhcp_rate_admit(struct dhcp_ctx *x)
{
	return dhcp_guard_admit(x, loop_now_ms(x->s->svc->loop));
}

bool dhcp_guard_admit(struct dhcp_ctx *x, int64_t now)
{
	struct dhcp_server *s = x->s;
	struct budget bg;

	if (s->conf->dhcp.new_client_rate == 0)
		return true;
	budget_of(x, &bg);
	struct dhcp_rate *r = bucket(s, x->pkt->ifindex, x->guard_src, &bg, now);
	if (!r) {
		log_rl(&s->rl_guard, LOG_LVL_WARN,
		       "dhcp: %s: starvation guard: every bucket is busy, new client via %s "
		       "refused",
		       x->mac, x->ifname);
		return false;
	}
	refill(r, &bg, now);
	struct dhcp_waiter *w = waiter_find(s, r, &x->client.mac);
	if (r->tokens >= 1 && !someone_older(s, r, w, now)) {
		r->tokens -= 1;
		if (w)
			w->used = false;
		return true;
	}
	waiter_note(s, r, w, &x->client.mac, now);
	r->refused++;
	log_throttle(x, r, &bg, now);
	return false;
}
