#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "registry/hosts.h"

static struct hwaddr mac(int n)
{
	struct hwaddr m = {{0x52, 0x54, 0, 0, 0, (uint8_t) n}};
	return m;
}

static void test_lookup_three_ways(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct hwaddr m1 = mac(1);
	int64_t now = nb_wall_sec();
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "PC1", HOSTS_LEASE, now + 60), 1);
	const struct hosts_entry *e = hosts_by_name(h, "pc1", now);
	assert_non_null(e);
	assert_string_equal(e->name, "pc1");
	assert_int_equal(e->addr, 0x0a000005);
	assert_ptr_equal(hosts_by_addr(h, 0x0a000005, now), e);
	assert_ptr_equal(hosts_by_mac(h, &m1, now), e);
	/* moving to another address replaces the old entry */
	hosts_set(h, &m1, 0x0a000006, "pc1", HOSTS_LEASE, now + 60);
	assert_null(hosts_by_addr(h, 0x0a000005, now));
	assert_int_equal(hosts_by_name(h, "PC1", now)->addr, 0x0a000006);
	hosts_free(h);
}

static void test_first_lease_keeps_name(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct hwaddr m1 = mac(1), m2 = mac(2);
	int64_t now = nb_wall_sec();
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "laptop", HOSTS_LEASE, now + 60), 1);
	assert_int_equal(hosts_set(h, &m2, 0x0a000006, "laptop", HOSTS_LEASE, now + 60), 0);
	assert_int_equal(hosts_by_name(h, "laptop", now)->addr, 0x0a000005);
	/* the second client is still known by address, without a name */
	assert_string_equal(hosts_by_addr(h, 0x0a000006, now)->name, "");
	/* once the first lease has expired, the name is free */
	assert_int_equal(hosts_set(h, &m2, 0x0a000006, "laptop", HOSTS_LEASE, now + 60), 0);
	assert_int_equal(hosts_expire(h, now + 61), 2);
	hosts_set(h, &m1, 0x0a000005, "laptop", HOSTS_LEASE, now - 1); /* expired */
	assert_int_equal(hosts_set(h, &m2, 0x0a000006, "laptop", HOSTS_LEASE, now + 60), 1);
	hosts_free(h);
}

static void test_static_wins(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct hwaddr m1 = mac(1), m2 = mac(2), none = {0};
	int64_t now = nb_wall_sec();
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "nas", HOSTS_LEASE, now + 60), 1);
	assert_int_equal(hosts_set(h, &m2, 0x0a000009, "nas", HOSTS_STATIC, 0), 1);
	assert_int_equal(hosts_by_name(h, "nas", now)->addr, 0x0a000009);
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "nas", HOSTS_LEASE, now + 60), 0);
	/* two reservations without a MAC do not replace each other */
	assert_int_equal(hosts_set(h, &none, 0x0a000010, "a", HOSTS_STATIC, 0), 1);
	assert_int_equal(hosts_set(h, &none, 0x0a000011, "b", HOSTS_STATIC, 0), 1);
	assert_non_null(hosts_by_name(h, "a", now));
	assert_non_null(hosts_by_name(h, "b", now));
	hosts_free(h);
}

static void test_load_static(void **state)
{
	(void) state;
	struct conf_diag d = {0};
	struct conf *c = NULL;
	assert_int_equal(
	        conf_load_string("[dhcp]\nmode = off\n[host nas]\nmac = 52:54:00:00:00:09\n"
	                         "address = 10.0.0.9\n",
	                         "t", &d, &c),
	        0);
	struct hosts *h = hosts_new();
	int64_t now = nb_wall_sec();
	assert_int_equal(hosts_load_static(h, c), 0);
	assert_int_equal(hosts_by_name(h, "nas", now)->addr, 0x0a000009);
	c->n_hosts = 0; /* a reload without the reservation withdraws it */
	assert_int_equal(hosts_load_static(h, c), 0);
	assert_null(hosts_by_name(h, "nas", now));
	hosts_free(h);
	conf_free(c);
}

static void test_grows(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	int64_t now = nb_wall_sec();
	for (int i = 0; i < 5000; i++) {
		struct hwaddr m = {{2, 0, 0, (uint8_t) (i >> 16), (uint8_t) (i >> 8), (uint8_t) i}};
		char name[16];
		snprintf(name, sizeof name, "h%d", i);
		assert_int_equal(
		        hosts_set(h, &m, 0x0a000000 + (uint32_t) i, name, HOSTS_LEASE, now + 9), 1);
	}
	assert_int_equal(hosts_by_name(h, "h4321", now)->addr, 0x0a000000 + 4321);
	hosts_remove_addr(h, 0x0a000000 + 4321);
	assert_null(hosts_by_name(h, "h4321", now));
	hosts_free(h);
}

#include "conf_helpers.h"

static void test_reserved_names_never_published(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct conf *c = conf_ok("[dhcp]\nmode = off\n");
	struct hwaddr m1 = mac(1), m2 = mac(2), m3 = mac(3);
	int64_t now = nb_wall_sec();
	hosts_set_reserved(h, c);
	assert_true(hosts_name_reserved(h, "WPAD"));
	assert_false(hosts_name_reserved(h, "wpad2"));
	/* from a lease or a static source alike: by address only */
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "WPAD", HOSTS_LEASE, now + 60), 0);
	assert_int_equal(hosts_set(h, &m2, 0x0a000006, "isatap", HOSTS_STATIC, 0), 0);
	assert_null(hosts_by_name(h, "wpad", now));
	assert_null(hosts_by_name(h, "isatap", now));
	assert_string_equal(hosts_by_addr(h, 0x0a000005, now)->name, "");
	/* a name that becomes reserved is withdrawn; the address stays */
	assert_int_equal(hosts_set(h, &m3, 0x0a000007, "proxy", HOSTS_LEASE, now + 60), 1);
	conf_free(c);
	c = conf_ok("[dhcp]\nmode = off\n[dns]\nreserved-names = proxy\n");
	hosts_set_reserved(h, c);
	assert_null(hosts_by_name(h, "proxy", now));
	assert_string_equal(hosts_by_addr(h, 0x0a000007, now)->name, "");
	assert_int_equal(hosts_set(h, &m1, 0x0a000005, "wpad", HOSTS_LEASE, now + 60), 1);
	conf_free(c);
	hosts_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reserved_names_never_published),
	        cmocka_unit_test(test_lookup_three_ways),
	        cmocka_unit_test(test_first_lease_keeps_name),
	        cmocka_unit_test(test_static_wins),
	        cmocka_unit_test(test_load_static),
	        cmocka_unit_test(test_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
