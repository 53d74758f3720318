#include "unit.h"

#include "conf_helpers.h"
#include "core/lan.h"

/* A router's box: LAN eth0 10.77.0.1/24 (served), WAN wan0 192.168.50.2/24
 * (not served), loopback; a relayed subnet 10.88.0.0/24. */
static const struct lan_if router_ifs[] = {
        {.ifindex = 1, .name = "lo", .addr = 0x7f000001, .prefix = 8, .loopback = true},
        {.ifindex = 2, .name = "eth0", .addr = 0x0a4d0001, .prefix = 24},
        {.ifindex = 3, .name = "wan0", .addr = 0xc0a83202, .prefix = 24},
};

static struct lan *lan_for(struct conf *c)
{
	struct lan *l = NULL;
	assert_int_equal(lan_new(c, &l), 0);
	lan_set_ifs(l, router_ifs, NB_ARRAY_SIZE(router_ifs));
	return l;
}

static void test_served_interface_and_networks(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[server]\ninterfaces = eth0\n"
	                         "[subnet 10.77.0.0/24]\n[subnet 10.88.0.0/24]\n");
	struct lan *l = lan_for(c);
	assert_int_equal(lan_check(l, 2, 0x0a4d0064), LAN_OK);       /* a LAN client */
	assert_int_equal(lan_check(l, 2, 0x0a580005), LAN_OK);       /* relayed subnet */
	assert_int_equal(lan_check(l, 1, 0x7f000001), LAN_OK);       /* loopback */
	assert_int_equal(lan_check(l, 3, 0xc0a83205), LAN_OTHER_IF); /* WAN client */
	/* a WAN client spoofing a LAN source is still on the wrong interface */
	assert_int_equal(lan_check(l, 3, 0x0a4d0064), LAN_OTHER_IF);
	/* a LAN-side sender from the WAN's subnet: that network is not served */
	assert_int_equal(lan_check(l, 2, 0xc0a83205), LAN_OFF_NET);
	assert_int_equal(lan_check(l, 2, 0x08080808), LAN_OFF_NET);
	/* the server asking itself at its WAN address */
	assert_int_equal(lan_check(l, 1, 0xc0a83202), LAN_OK);
	/* TCP with an unknown arrival interface: the source alone */
	assert_int_equal(lan_check(l, 0, 0x0a4d0064), LAN_OK);
	assert_int_equal(lan_check(l, 0, 0xc0a83205), LAN_OFF_NET);
	assert_string_equal(lan_ifname(l, 3), "wan0");
	lan_free(l);
	conf_free(c);
}

static void test_every_interface_when_none_named(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[subnet 10.77.0.0/24]\n");
	struct lan *l = lan_for(c);
	assert_true(lan_allows(l, 3, 0xc0a83205));
	assert_true(lan_if_served(l, 3));
	lan_free(l);
	conf_free(c);
}

static void test_reload_changes_generation(void **state)
{
	(void) state;
	struct conf *c1 = conf_ok("[subnet 10.77.0.0/24]\n");
	struct conf *c2 = conf_ok("[server]\ninterfaces = eth0\n[subnet 10.77.0.0/24]\n");
	struct lan *l = lan_for(c1);
	uint64_t g = lan_generation(l);
	assert_true(lan_allows(l, 3, 0xc0a83205));
	lan_set_conf(l, c2);
	assert_true(lan_generation(l) != g);
	assert_false(lan_allows(l, 3, 0xc0a83205));
	lan_free(l);
	conf_free(c1);
	conf_free(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_served_interface_and_networks),
	        cmocka_unit_test(test_every_interface_when_none_named),
	        cmocka_unit_test(test_reload_changes_generation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
