/* The DHCP server's guards without sockets, on a fixed clock: the
 * starvation guard's budget (scaled to the pool), its order among clients
 * that keep asking, its relay buckets, and offers reclaimed from clients
 * that never ask for them. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "dhcp/internal.h"

#define NOW 1700000000

struct fx {
	struct conf *conf;
	struct dhcp_server s;
	struct dhcp_msg m;
	struct net_pkt pkt;
};

static struct fx *fx_new(const char *text)
{
	struct fx *f = calloc(1, sizeof *f);
	f->conf = conf_ok(text);
	f->s.conf = f->conf;
	f->s.leases = dhcp_leases_new();
	f->s.rl_guard = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	assert_int_equal(dhcp_leases_set_pools(f->s.leases, f->conf), 0);
	f->pkt.ifindex = 2;
	return f;
}

static void fx_free(struct fx *f)
{
	dhcp_leases_free(f->s.leases);
	conf_free(f->conf);
	free(f);
}

static struct hwaddr mac_n(int n)
{
	struct hwaddr m = {{0x02, 0x99, 0, 0, (uint8_t) (n >> 8), (uint8_t) n}};
	return m;
}

/* Asks the guard for new client n at t_ms (relayed by src when not 0). */
static bool ask(struct fx *f, int n, int64_t t_ms, uint32_t src)
{
	struct dhcp_ctx x = {.s = &f->s,
	                     .m = &f->m,
	                     .pkt = &f->pkt,
	                     .subnet = &f->conf->subnets[0],
	                     .ifname = "eth0",
	                     .now = NOW + t_ms / 1000,
	                     .guard_src = src};
	x.client.mac = mac_n(n);
	hwaddr_fmt(&x.client.mac, x.mac);
	return dhcp_guard_admit(&x, 1000000 + t_ms);
}

/* A client that keeps asking gets in although a flood of new identities
 * asks twenty times as often; the flood gets no more than the rate. */
static void test_a_client_that_keeps_asking_goes_first(void **state)
{
	(void) state;
	struct fx *f = fx_new("[dhcp]\nnew-client-rate = 1\nnew-client-burst = 2\n"
	                      "new-client-share = 0\n[subnet 10.0.0.0/24]\n"
	                      "range = 10.0.0.10-10.0.0.200\n");
	int flood = 1000, flood_in = 0;
	int64_t real_in = -1;
	for (int64_t t = 0; t <= 10000; t += 100) {
		if (ask(f, flood++, t, 0))
			flood_in++;
		if (t >= 500 && (t - 500) % 1500 == 0 && real_in < 0 && ask(f, 1, t, 0))
			real_in = t;
	}
	/* refused at 0.5 s, asks again at 2 s (now waiting), in at 3.5 s at the latest */
	assert_true(real_in >= 0 && real_in <= 3500);
	assert_true(flood_in <= 2 + 10 + 1);
	fx_free(f);
}

/* Clients that never come back hold nothing: the next newcomer gets the
 * token. */
static void test_one_shot_clients_do_not_block(void **state)
{
	(void) state;
	struct fx *f = fx_new("[dhcp]\nnew-client-rate = 1\nnew-client-burst = 1\n"
	                      "new-client-share = 0\n[subnet 10.0.0.0/24]\n"
	                      "range = 10.0.0.10-10.0.0.200\n");
	assert_true(ask(f, 1, 0, 0));
	assert_false(ask(f, 2, 100, 0));
	assert_false(ask(f, 3, 200, 0));
	assert_true(ask(f, 4, 1300, 0)); /* 2 and 3 asked once: they do not wait */
	fx_free(f);
}

/* With the defaults, one burst takes at most a quarter of what is free,
 * and the rate follows what is left. */
static void test_budget_scales_to_the_pool(void **state)
{
	(void) state;
	struct fx *f = fx_new("[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.199\n");
	const struct conf_subnet *n = &f->conf->subnets[0];
	int in = 0;
	for (int i = 0; i < 100; i++) {
		if (!ask(f, i, 0, 0))
			continue;
		struct dhcp_client c = {.mac = mac_n(i)};
		struct dhcp_lease *l = dhcp_leases_allocate(f->s.leases, n, &c, 0, NOW);
		assert_non_null(l);
		dhcp_lease_offer(f->s.leases, l, NOW, 30);
		in++;
	}
	assert_int_equal(in, 25);
	assert_int_equal(dhcp_leases_free_count(f->s.leases, n, NOW + 1), 75);
	/* 75 free: 25% of them per 10 s is 1.875/s, so 10 s later about 18 more */
	for (int i = 100; i < 200; i++)
		if (ask(f, i, 10000, 0))
			in++;
	assert_in_range(in, 25 + 17, 25 + 19);
	fx_free(f);
}

/* One interface has buckets for DHCP_RATE_KEYS_PER_IF relays; the others
 * share one, so naming more relays buys nothing. */
static void test_relays_past_the_cap_share_a_bucket(void **state)
{
	(void) state;
	struct fx *f = fx_new("[dhcp]\nnew-client-rate = 1\nnew-client-burst = 1\n"
	                      "new-client-share = 0\n[subnet 10.0.0.0/24]\n"
	                      "range = 10.0.0.10-10.0.0.200\n");
	int in = 0;
	for (int r = 0; r < 40; r++)
		in += ask(f, r, 0, 0x0a000100u + (uint32_t) r);
	assert_int_equal(in, DHCP_RATE_KEYS_PER_IF + 1);
	/* the interface's own clients keep their bucket */
	assert_true(ask(f, 100, 0, 0));
	fx_free(f);
}

/* A full subnet whose addresses are all offered to clients that never
 * REQUEST: the offer made first goes to the next client once it has been
 * held DHCP_OFFER_RECLAIM_SEC; a re-offer keeps its place. */
static void test_oldest_offer_is_reclaimed(void **state)
{
	(void) state;
	struct fx *f = fx_new("[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.12\n");
	const struct conf_subnet *n = &f->conf->subnets[0];
	struct dhcp_lease *l[3];
	for (int i = 0; i < 3; i++) {
		struct dhcp_client c = {.mac = mac_n(i)};
		l[i] = dhcp_leases_allocate(f->s.leases, n, &c, 0, NOW + i);
		assert_non_null(l[i]);
		dhcp_lease_offer(f->s.leases, l[i], NOW + i, 600);
	}
	/* client 0 asks again: the same offer, still the first made */
	dhcp_lease_offer(f->s.leases, l[0], NOW + 3, 600);
	struct dhcp_client late = {.mac = mac_n(9)};
	assert_int_equal(dhcp_leases_free_count(f->s.leases, n, NOW + 3), 0);
	assert_null(dhcp_leases_allocate(f->s.leases, n, &late, 0, NOW + 3)); /* too soon */
	struct dhcp_lease *got =
	        dhcp_leases_allocate(f->s.leases, n, &late, 0, NOW + DHCP_OFFER_RECLAIM_SEC);
	assert_ptr_equal(got, l[0]);
	assert_true(dhcp_lease_owned_by(got, &late));
	dhcp_lease_offer(f->s.leases, got, NOW + DHCP_OFFER_RECLAIM_SEC, 600);
	/* the next one is client 1's, then client 2's: the new offer went last */
	struct dhcp_client later = {.mac = mac_n(10)};
	got = dhcp_leases_allocate(f->s.leases, n, &later, 0, NOW + DHCP_OFFER_RECLAIM_SEC + 1);
	assert_ptr_equal(got, l[1]);
	/* a bound lease is never reclaimed */
	dhcp_lease_set(f->s.leases, l[2], DHCP_LEASE_BOUND, NOW + 3600);
	dhcp_lease_set(f->s.leases, got, DHCP_LEASE_BOUND, NOW + 3600);
	struct dhcp_client last = {.mac = mac_n(11)};
	got = dhcp_leases_allocate(f->s.leases, n, &last, 0, NOW + 100);
	assert_ptr_equal(got, l[0]); /* the only offer left, held 95 s */
	dhcp_lease_set(f->s.leases, got, DHCP_LEASE_BOUND, NOW + 3600);
	assert_null(dhcp_leases_allocate(f->s.leases, n, &late, 0, NOW + 200));
	fx_free(f);
}

/* The guard's keys load with file:line errors; relays take addresses and
 * networks. */
static void test_guard_keys(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[dhcp]\nrelays = 10.77.0.2, 10.80.0.0/16\n"
	                         "new-client-share = 0\nnew-device-limit = 5\n"
	                         "max-pending-devices = 7\n[subnet 10.0.0.0/24]\n");
	assert_int_equal(c->dhcp.n_relays, 2);
	assert_int_equal(c->dhcp.relays[0].net, 0x0a4d0002);
	assert_int_equal(c->dhcp.relays[0].prefix, 32);
	assert_int_equal(c->dhcp.relays[1].prefix, 16);
	assert_int_equal(c->dhcp.new_client_share, 0);
	assert_int_equal(c->dhcp.new_device_limit, 5);
	assert_int_equal(c->dhcp.max_pending_devices, 7);
	conf_free(c);
	c = conf_ok("[subnet 10.0.0.0/24]\n");
	assert_int_equal(c->dhcp.n_relays, 0);
	assert_int_equal(c->dhcp.new_client_share, 25);
	assert_int_equal(c->dhcp.new_device_limit, 100);
	assert_int_equal(c->dhcp.max_pending_devices, 1000);
	conf_free(c);
	assert_true(conf_fails_with("[dhcp]\nrelays = 10.0.0.1, nope\n[subnet 10.0.0.0/24]\n",
	                            "t.conf:2: relays: relay 'nope' is neither"));
	assert_true(conf_fails_with("[dhcp]\nrelays = 10.0.0.1/33\n[subnet 10.0.0.0/24]\n",
	                            "t.conf:2:"));
	assert_true(conf_fails_with("[dhcp]\nnew-client-share = 101\n[subnet 10.0.0.0/24]\n",
	                            "t.conf:2: new-client-share"));
	assert_true(conf_fails_with("[dhcp]\nmax-pending-devices = 0\n[subnet 10.0.0.0/24]\n",
	                            "t.conf:2: max-pending-devices"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_client_that_keeps_asking_goes_first),
	        cmocka_unit_test(test_one_shot_clients_do_not_block),
	        cmocka_unit_test(test_budget_scales_to_the_pool),
	        cmocka_unit_test(test_relays_past_the_cap_share_a_bucket),
	        cmocka_unit_test(test_oldest_offer_is_reclaimed),
	        cmocka_unit_test(test_guard_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
