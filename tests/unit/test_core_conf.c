#include "unit.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"

#define SUBNET "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.199\n"

static void test_defaults(void **state)
{
	(void) state;
	struct conf *c = conf_ok(SUBNET);
	assert_string_equal(c->server.name, "netbay");
	assert_int_equal(c->dhcp.mode, DHCP_MODE_AUTO);
	assert_int_equal(c->dhcp.probe_interval_sec, 300);
	assert_int_equal(c->dhcp.probe_wait_sec, 2);
	assert_true(c->dhcp.authoritative);
	assert_int_equal(c->dhcp.offer_hold_sec, 30);
	assert_int_equal(c->n_subnets, 1);
	assert_int_equal(c->subnets[0].lease_sec, 12 * 3600);
	assert_int_equal(conf_subnet_t1(&c->subnets[0]), 6 * 3600);
	assert_int_equal(conf_subnet_t2(&c->subnets[0]), 12 * 3600 * 7 / 8);
	conf_free(c);
}

static void test_full_subnet(void **state)
{
	(void) state;
	struct conf *c =
	        conf_ok("[server]\nname = boss ; inline comment\ninterfaces = eth0, eth1\n"
	                "[subnet 10.0.0.0/24]\n"
	                "range = 10.0.0.100 - 10.0.0.149\nrange = 10.0.0.150-10.0.0.199\n"
	                "router = 10.0.0.1\ndns = 10.0.0.2, 10.0.0.3\ndomain = lan\n"
	                "domain-search = lan, corp.example\nmtu = 1400\n"
	                "route = 10.8.0.0/16 via 10.0.0.254\nlease-time = 1h\n"
	                "[host printer]\nmac = 52-54-00-00-00-01\naddress = 10.0.0.9\n"
	                "[host phone]\nclient-id = 01:52:54:00:00:00:02\naddress = 10.0.0.10\n");
	assert_string_equal(c->server.name, "boss");
	assert_int_equal(c->server.n_interfaces, 2);
	assert_string_equal(c->server.interfaces[1], "eth1");
	const struct conf_subnet *s = &c->subnets[0];
	assert_int_equal(s->n_ranges, 2);
	assert_int_equal(s->ranges[0].start, 0x0a000064);
	assert_int_equal(s->n_dns, 2);
	assert_int_equal(s->n_search, 2);
	assert_string_equal(s->search[1], "corp.example");
	assert_int_equal(s->routes[0].prefix, 16);
	assert_int_equal(s->mtu, 1400);
	assert_int_equal(c->n_hosts, 2);
	assert_true(c->hosts[0].has_mac);
	assert_int_equal(c->hosts[1].client_id_len, 7);
	assert_ptr_equal(conf_subnet_find(c, 0x0a000005), s);
	assert_null(conf_subnet_find(c, 0x0a000105));
	conf_free(c);
}

static void test_errors_carry_lines(void **state)
{
	(void) state;
	assert_true(conf_fails_with(SUBNET "[dhcp]\nmode = fulll\n", "t.conf:4: mode: 'fulll'"));
	assert_true(
	        conf_fails_with(SUBNET "[server]\nbogus = 1\n", "t.conf:4: unknown key 'bogus'"));
	assert_true(conf_fails_with(SUBNET "[nope]\n", "t.conf:3: unknown section [nope]"));
	assert_true(conf_fails_with(SUBNET "[dhcp]\nmode = full\nmode = proxy\n",
	                            "t.conf:5: mode is already set on line 4"));
	assert_true(conf_fails_with("[dhcp]\nmode = full\n", "needs at least one [subnet]"));
	assert_true(conf_fails_with(SUBNET "garbage\n", "t.conf:3: expected 'key = value'"));
	/* auto probes: an interval too short to be a probe, a wait too long to hold DISCOVERs */
	assert_true(conf_fails_with(SUBNET "[dhcp]\nprobe-interval = 5s\n",
	                            "t.conf:4: probe-interval: '5s' is not a duration from 10s"));
	assert_true(conf_fails_with(SUBNET "[dhcp]\nprobe-wait = 6s\n",
	                            "t.conf:4: probe-wait: '6s' is not a duration from 1s to 5s"));
	assert_true(
	        conf_fails_with("x = 1\n" SUBNET, "t.conf:1: 'x' appears before any [section]"));
}

/* auto without any [subnet] has nothing to lease: it is proxy everywhere, not an error */
static void test_auto_without_subnets(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[dhcp]\nprobe-interval = 10s\nprobe-wait = 1s\n");
	assert_int_equal(c->dhcp.mode, DHCP_MODE_AUTO);
	assert_int_equal(c->dhcp.probe_interval_sec, 10);
	assert_int_equal(c->dhcp.probe_wait_sec, 1);
	conf_free(c);
}

static void test_every_problem_reported(void **state)
{
	(void) state;
	struct conf_diag d = {0};
	struct conf *c = NULL;
	int r = conf_load_string(SUBNET "[dhcp]\nmode = x\noffer-hold = 0\nbogus = 2\n", "t.conf",
	                         &d, &c);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(d.n, 3);
	assert_null(c);
	conf_diag_done(&d);
}

static void test_pools(void **state)
{
	(void) state;
	assert_true(
	        conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.1.1-10.0.1.9\n",
	                        "t.conf:2: range 10.0.1.1-10.0.1.9 is outside subnet 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n"
	                            "range = 10.0.0.20-10.0.0.30\n",
	                            "t.conf:3: range 10.0.0.20-10.0.0.30 overlaps"));
	assert_true(
	        conf_fails_with(SUBNET "[subnet 10.0.0.128/25]\n", "overlaps subnet 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.0-10.0.0.9\n",
	                            "network or broadcast"));
	assert_true(conf_fails_with("[subnet 10.0.0.1/24]\n", "did you mean 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.9-10.0.0.5\n",
	                            "first address is above the last"));
	assert_true(conf_fails_with(SUBNET "lease-time = 1h\nt1 = 2h\n", "t1 (7200s) < t2"));
	assert_true(conf_fails_with(SUBNET "router = 10.9.9.9\n", "router 10.9.9.9 is outside"));
}

static void test_reservations(void **state)
{
	(void) state;
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.150\n",
	                            "sits inside a range"));
	assert_true(conf_fails_with(
	        SUBNET "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.5\n"
	               "[host b]\nmac = 52:54:00:00:00:02\naddress = 10.0.0.5\n",
	        "t.conf:6: host b: address 10.0.0.5 is already reserved for a on line 3"));
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.5\n"
	                            "[host b]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.6\n",
	                            "mac 52:54:00:00:00:01 is already reserved for a"));
	assert_true(conf_fails_with(SUBNET "[host a]\naddress = 10.0.0.5\n",
	                            "needs a mac or a client-id"));
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.9.0.5\n",
	                            "is in no [subnet]"));
	assert_true(conf_fails_with(SUBNET "[host a.b]\n", "single DNS label"));
}

static void test_long_line(void **state)
{
	(void) state;
	char text[600];
	memset(text, 0, sizeof text);
	strcpy(text, SUBNET "domain = ");
	memset(text + strlen(text), 'a', 300);
	strcat(text, "\n");
	assert_true(conf_fails_with(text, "t.conf:3: line too long"));
}

/* The number of diag lines with needle after loading text from a file of
 * that mode. */
static int load_file_with(const char *text, mode_t mode, const char *needle)
{
	char path[] = "/tmp/nbconfXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	struct conf_diag d = {0};
	struct conf *c = NULL;
	assert_int_equal(conf_load(path, &d, &c), 0); /* a warning, not a failure */
	int n = 0;
	for (size_t i = 0; i < d.n; i++)
		n += strstr(d.msgs[i], needle) && strstr(d.msgs[i], path);
	conf_diag_done(&d);
	conf_free(c);
	unlink(path);
	return n;
}

static void test_world_readable_token_warns(void **state)
{
	(void) state;
	const char *with = "[dhcp]\nmode = off\n[api]\nlisten = 127.0.0.1:8099\ntoken = "
	                   "tok-0123456789abcdef\n";
	const char *without = "[dhcp]\nmode = off\n[api]\nsocket = /run/x.sock\n";
	const char *needle = "warning: holds [api] token and is readable by every user";
	assert_int_equal(load_file_with(with, 0644, needle), 1);
	assert_int_equal(load_file_with(with, 0640, needle), 0);
	assert_int_equal(load_file_with(with, 0600, needle), 0);
	assert_int_equal(load_file_with(without, 0644, needle), 0); /* nothing secret */
}

#define NET "[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n"

struct kept {
	char names[8][64];
	size_t n;
};

static void note_kept(const char *section, const char *key, void *data)
{
	struct kept *k = data;
	if (k->n < 8)
		snprintf(k->names[k->n++], sizeof k->names[0], "[%s] %s", section, key);
}

/* A reload keeps the running value of keys that need a restart, and names them. */
static void test_restart_keys_kept_on_reload(void **state)
{
	(void) state;
	struct conf *run = conf_ok("[server]\ndata-dir = /a\n[dns]\nmode = full\n" NET);
	struct conf *next =
	        conf_ok("[server]\ndata-dir = /b\nname = other\n[dns]\nmode = local\n" NET);
	struct kept k = {0};
	assert_int_equal(conf_keep_restart_keys(run, next, note_kept, &k), 1);
	assert_string_equal(k.names[0], "[server] data-dir");
	assert_string_equal(next->server.data_dir, "/a"); /* kept */
	assert_string_equal(next->server.name, "other");  /* applied */
	assert_int_equal(next->dns.mode, DNS_MODE_LOCAL); /* full -> local: applied */
	conf_free(next);
	/* to or from off: kept */
	next = conf_ok("[server]\ndata-dir = /a\n[dns]\nmode = off\n[dhcp]\nmode = proxy\n" NET);
	k.n = 0;
	assert_int_equal(conf_keep_restart_keys(run, next, note_kept, &k), 2);
	assert_string_equal(k.names[0], "[dhcp] mode");
	assert_string_equal(k.names[1], "[dns] mode");
	assert_int_equal(next->dns.mode, DNS_MODE_FULL);
	assert_int_equal(next->dhcp.mode, DHCP_MODE_AUTO); /* the running default, kept */
	/* nothing changed: nothing to say */
	k.n = 0;
	assert_int_equal(conf_keep_restart_keys(run, run, note_kept, &k), 0);
	conf_free(next);
	conf_free(run);
	/* every key marked so can be kept (a field of its own in a singleton section) */
	for (size_t i = 0; i < 256; i++)
		assert_true(conf_key_restart_ok(i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_full_subnet),
	        cmocka_unit_test(test_errors_carry_lines),
	        cmocka_unit_test(test_auto_without_subnets),
	        cmocka_unit_test(test_every_problem_reported),
	        cmocka_unit_test(test_pools),
	        cmocka_unit_test(test_reservations),
	        cmocka_unit_test(test_long_line),
	        cmocka_unit_test(test_world_readable_token_warns),
	        cmocka_unit_test(test_restart_keys_kept_on_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
