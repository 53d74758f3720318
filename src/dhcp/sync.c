/* Lease writes the database lost. The lease table in memory is what the
 * server acts on; the store is what a restart reads. When a turn's batch
 * is lost (a failed COMMIT: disk full, I/O error), the ACKs behind it are
 * withheld (server.c) and the clients retry, but a RELEASE or DECLINE has
 * no answer to withhold: its write would be lost silently and a restart
 * would bring the ended lease back. So every address written in a turn is
 * noted; when the store says the turn is lost, those addresses are written
 * again from the table (their state now, whatever it was then), after a
 * backoff, until a turn carrying them is durable; every loss is logged and
 * a long one reported as the database disagreeing with the server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/services.h"
#include "dhcp/internal.h"

#define SYNC_MAX       (2 * DHCP_OUT_MAX) /* writes per turn, then "all of them" */
#define SYNC_FIRST_MS  500
#define SYNC_MAX_MS    30000
#define SYNC_REPORT_AT 5 /* failed attempts before the disagreement is reported */
#define SYNC_EXAMPLES  3

struct dhcp_addrs {
	uint32_t addr[SYNC_MAX];
	size_t n;
	bool all; /* more than fit: every lease */
};

struct dhcp_sync {
	struct dhcp_server *s;
	struct dhcp_addrs turn; /* written since the last turn end */
	struct dhcp_addrs lost; /* lost with a batch, not yet written again */
	struct loop_timer *retry;
	int64_t backoff_ms;
	unsigned attempts; /* failed turns in a row carrying lost writes */
	size_t in_flight;  /* lost writes written again in the current turn */
	struct log_ratelimit rl;
};

static void addrs_add(struct dhcp_addrs *a, uint32_t addr)
{
	if (a->all)
		return;
	for (size_t i = a->n; i-- > 0 && i + 8 >= a->n;)
		if (a->addr[i] == addr)
			return; /* the same lease twice in a row (bind, then names) */
	if (a->n == SYNC_MAX)
		a->all = true;
	else
		a->addr[a->n++] = addr;
}

static void addrs_merge(struct dhcp_addrs *into, const struct dhcp_addrs *from)
{
	if (from->all)
		into->all = true;
	for (size_t i = 0; i < from->n && !into->all; i++)
		addrs_add(into, from->addr[i]);
}

void dhcp_sync_note(struct dhcp_server *s, uint32_t addr)
{
	if (s->sync)
		addrs_add(&s->sync->turn, addr);
}

void dhcp_sync_failed(struct dhcp_server *s, uint32_t addr)
{
	struct dhcp_sync *y = s->sync;
	if (!y)
		return;
	addrs_add(&y->lost, addr);
	if (!loop_timer_armed(y->retry)) {
		y->backoff_ms = y->backoff_ms ? y->backoff_ms : SYNC_FIRST_MS;
		loop_timer_arm(y->retry, y->backoff_ms);
	}
}

static void rewrite_one(struct dhcp_lease *l, void *data)
{
	struct dhcp_sync *y = data;
	if (l->state != DHCP_LEASE_OFFERED && dhcp_lease_persist(y->s, l) == 0)
		y->in_flight++;
}

/* The retry: the lost addresses' leases as the table has them now, into
 * this turn's batch (its end says whether they made it). */
static void on_retry(struct loop_timer *t, void *data)
{
	struct dhcp_sync *y = data;
	struct dhcp_addrs todo = y->lost;
	y->lost.n = 0;
	y->lost.all = false;
	y->in_flight = 0;
	if (todo.all) {
		dhcp_leases_foreach(y->s->leases, rewrite_one, y);
		return;
	}
	for (size_t i = 0; i < todo.n; i++) {
		struct dhcp_lease *l = dhcp_lease_by_addr(y->s->leases, todo.addr[i]);
		if (l)
			rewrite_one(l, y);
	}
}

static const char *state_word(const struct dhcp_server *s, uint32_t addr)
{
	const struct dhcp_lease *l = dhcp_lease_by_addr(s->leases, addr);
	if (!l)
		return "gone";
	switch (l->state) {
	case DHCP_LEASE_RELEASED:
		return "released";
	case DHCP_LEASE_DECLINED:
		return "declined";
	case DHCP_LEASE_BOUND:
		return "bound";
	default:
		return "offered";
	}
}

/* "10.0.0.5 released, 10.0.0.9 bound" for the first few. */
static void examples(const struct dhcp_sync *y, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < y->lost.n && i < SYNC_EXAMPLES && len < n; i++) {
		char a[IP4_STRLEN];
		len += (size_t) snprintf(buf + len, n - len, "%s%s %s", i ? ", " : "",
		                         ip4_fmt(y->lost.addr[i], a),
		                         state_word(y->s, y->lost.addr[i]));
	}
	if (y->lost.all && len < n)
		snprintf(buf + len, n - len, "%severy lease", len ? ", " : "");
}

static void lost_turn(struct dhcp_sync *y, int r)
{
	char ex[128];
	addrs_merge(&y->lost, &y->turn);
	y->attempts += y->in_flight > 0;
	y->in_flight = 0;
	y->backoff_ms = y->backoff_ms ? NB_MIN(y->backoff_ms * 2, SYNC_MAX_MS) : SYNC_FIRST_MS;
	examples(y, ex, sizeof ex);
	if (y->attempts >= SYNC_REPORT_AT)
		log_rl(&y->rl, LOG_LVL_ERR,
		       "dhcp: %zu%s lease changes still not stored after %u attempts (%s): the "
		       "database disagrees with this server, and a restart now would bring them "
		       "back; retrying every %lld s",
		       y->lost.n, y->lost.all ? "+" : "", y->attempts, strerror(-r),
		       (long long) y->backoff_ms / 1000);
	else
		log_rl(&y->rl, LOG_LVL_ERR,
		       "dhcp: the database lost %zu%s lease changes (%s): %s; writing them again "
		       "in %lld ms",
		       y->lost.n, y->lost.all ? "+" : "", ex, strerror(-r),
		       (long long) y->backoff_ms);
	loop_timer_arm(y->retry, y->backoff_ms);
}

void dhcp_sync_turn_end(struct dhcp_server *s, int r)
{
	struct dhcp_sync *y = s->sync;
	if (!y)
		return;
	bool ours = y->turn.n || y->turn.all || y->in_flight;
	if (r < 0 && ours) {
		lost_turn(y, r);
	} else if (r == 0 && y->in_flight) {
		log_info("dhcp: %zu lease changes the database had lost are stored now",
		         y->in_flight);
		y->in_flight = 0;
		y->attempts = 0;
		y->backoff_ms = 0;
	}
	y->turn.n = 0;
	y->turn.all = false;
}

int dhcp_sync_new(struct dhcp_server *s)
{
	struct dhcp_sync *y = calloc(1, sizeof *y);
	if (!y)
		return -ENOMEM;
	y->s = s;
	y->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 5);
	y->retry = loop_timer_new(s->svc->loop, on_retry, y);
	if (!y->retry) {
		free(y);
		return -ENOMEM;
	}
	s->sync = y;
	return 0;
}

void dhcp_sync_free(struct dhcp_server *s)
{
	if (!s->sync)
		return;
	loop_timer_free(s->sync->retry);
	free(s->sync);
	s->sync = NULL;
}
