/* The [dns] block of the configuration: defaults, records, errors with their line. */
#include "unit.h"

#include <string.h>

#include "conf_helpers.h"
#include "core/conf.h"

#define BASE "[dhcp]\nmode = off\n"

static void test_defaults(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE);
	assert_int_equal(c->dns.mode, DNS_MODE_FULL);
	assert_string_equal(c->dns.domain, "lan");
	assert_int_equal(c->dns.port, 53);
	assert_int_equal(c->dns.n_listen, 0);
	assert_int_equal(c->dns.n_upstreams, 0);
	assert_string_equal(c->dns.resolv_conf, "/etc/resolv.conf");
	assert_int_equal(c->dns.local_ttl_sec, 60);
	assert_int_equal(c->dns.cache_bytes, 32u << 20);
	assert_int_equal(c->dns.edns_payload, 1232);
	assert_int_equal(c->dns.rate_limit, 1000);
	assert_int_equal(c->dns.upstream_timeout_sec, 1);
	assert_false(c->dns.allow_only);
	assert_int_equal(c->dns.tcp_max_connections, 64);
	assert_int_equal(c->dns.tcp_per_client, 8);
	assert_int_equal(c->dns.tcp_idle_sec, 10);
	assert_int_equal(c->dns.tcp_request_sec, 5);
	conf_free(c);
}

/* allow = only NET, ...: the list replaces the served LAN. */
static void test_allow_only(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE "[dns]\nallow = only 10.77.0.0/25, 10.9.0.1\n");
	assert_true(c->dns.allow_only);
	assert_int_equal(c->dns.n_allow, 2);
	assert_int_equal(c->dns.allow[0].net, 0x0a4d0000);
	assert_int_equal(c->dns.allow[0].prefix, 25);
	assert_int_equal(c->dns.allow[1].prefix, 32);
	conf_free(c);
	c = conf_ok(BASE "[dns]\nallow = 10.77.0.0/25\n");
	assert_false(c->dns.allow_only);
	conf_free(c);
	assert_true(conf_fails_with(BASE "[dns]\nallow = only\n",
	                            "t.conf:4: allow: 'only' needs the networks"));
	assert_true(conf_fails_with(BASE "[dns]\nallow = 10.0.0.0/8, only 10.1.0.0/16\n",
	                            "t.conf:4: allow: 'only' comes first"));
	assert_true(conf_fails_with(BASE "[dns]\nallow = only only 10.1.0.0/16\n",
	                            "t.conf:4: allow: 'only' comes first"));
	assert_true(conf_fails_with(BASE "[dns]\nallow = only 10.1.0.1/16\n", "t.conf:4: allow:"));
	assert_true(conf_fails_with(BASE "[dns]\ntcp-request-timeout = 0\n",
	                            "t.conf:4: tcp-request-timeout:"));
	assert_true(conf_fails_with(BASE "[dns]\ntcp-connections-per-client = 0\n",
	                            "t.conf:4: tcp-connections-per-client:"));
}

static void test_keys(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE "[dns]\n"
	                              "mode = local\n"
	                              "domain = Home.Example.\n"
	                              "listen = 10.0.0.1, 127.0.0.1\n"
	                              "upstream = 9.9.9.9, 10.9.0.1:5353\n"
	                              "allow = 172.16.0.0/12, 192.0.2.7\n"
	                              "cache-size = 512K\n"
	                              "rate-limit = 0\n");
	assert_int_equal(c->dns.mode, DNS_MODE_LOCAL);
	assert_string_equal(c->dns.domain, "home.example");
	assert_int_equal(c->dns.n_listen, 2);
	assert_int_equal(c->dns.listen[1], 0x7f000001);
	assert_int_equal(c->dns.n_upstreams, 2);
	assert_int_equal(c->dns.upstreams[0].addr, 0x09090909);
	assert_int_equal(c->dns.upstreams[0].port, 53);
	assert_int_equal(c->dns.upstreams[1].port, 5353);
	assert_int_equal(c->dns.n_allow, 2);
	assert_int_equal(c->dns.allow[0].prefix, 12);
	assert_int_equal(c->dns.allow[1].prefix, 32);
	assert_int_equal(c->dns.cache_bytes, 512 * 1024);
	assert_int_equal(c->dns.rate_limit, 0);
	conf_free(c);
}

static void test_records(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE "[dns]\n"
	                              "record = _vlmcs._tcp SRV 0 0 1688 kms.lan\n"
	                              "record = kms 300 A 10.0.0.5\n"
	                              "record = www.lan. CNAME kms\n"
	                              "record = @ MX 10 mail.example.com.\n"
	                              "record = info TXT \"hello world\" bare \"q\\\"uote\"\n"
	                              "record = v6 AAAA 2001:db8::1\n"
	                              "record = 10.0.0.5 PTR kms\n");
	assert_int_equal(c->dns.n_records, 7);
	struct conf_dns_record *r = c->dns.records;
	assert_string_equal(r[0].name, "_vlmcs._tcp.lan");
	assert_int_equal(r[0].type, 33);
	assert_int_equal(r[0].port, 1688);
	assert_string_equal(r[0].target, "kms.lan");
	assert_int_equal(r[0].ttl_sec, UINT32_MAX);
	assert_string_equal(r[1].name, "kms.lan");
	assert_int_equal(r[1].ttl_sec, 300);
	assert_memory_equal(r[1].addr, ((uint8_t[]){10, 0, 0, 5}), 4);
	assert_string_equal(r[2].name, "www.lan");
	assert_string_equal(r[2].target, "kms.lan");
	assert_string_equal(r[3].name, "lan");
	assert_int_equal(r[3].priority, 10);
	assert_string_equal(r[3].target, "mail.example.com");
	assert_int_equal(r[4].txt_len, 1 + 11 + 1 + 4 + 1 + 6);
	assert_memory_equal(r[4].txt,
	                    "\x0bhello world\x04"
	                    "bare\x06q\"uote",
	                    r[4].txt_len);
	assert_int_equal(r[5].addr[0], 0x20);
	assert_int_equal(r[5].addr[15], 1);
	assert_string_equal(r[6].name, "5.0.0.10.in-addr.arpa");
	assert_string_equal(r[6].target, "kms.lan");
	conf_free(c);
}

static void test_bad_records_name_their_line(void **state)
{
	(void) state;
	assert_true(conf_fails_with(BASE "[dns]\nrecord = x A 10.0.0.300\n",
	                            "t.conf:4: record: A: '10.0.0.300' is not an IPv4 address"));
	assert_true(conf_fails_with(BASE "[dns]\n\nrecord = x BOGUS 1\n",
	                            "t.conf:5: record: 'BOGUS' is not a record type"));
	assert_true(
	        conf_fails_with(BASE "[dns]\nrecord = x.example.com. A 10.0.0.1\n",
	                        "t.conf:4: record: x.example.com is outside the local domain lan"));
	assert_true(conf_fails_with(BASE "[dns]\nrecord = s SRV 0 0 99999 t\n",
	                            "t.conf:4: record: SRV port: '99999' is not a number"));
	assert_true(
	        conf_fails_with(BASE "[dns]\nrecord = t TXT \"open\n", "t.conf:4: record: TXT"));
	assert_true(
	        conf_fails_with(BASE "[dns]\nrecord = a A 10.0.0.1 extra\n", "unexpected text"));
	assert_true(conf_fails_with(
	        BASE "[dns]\nrecord = www CNAME x\nrecord = www A 10.0.0.1\n",
	        "t.conf:5: record: www.lan has a CNAME and other data (lines 4 and 5)"));
	assert_true(
	        conf_fails_with(BASE "[dns]\nrecord = @ CNAME x\n", "itself cannot be a CNAME"));
	assert_true(conf_fails_with(BASE "[dns]\nrecord = bad..name A 10.0.0.1\n",
	                            "not a valid DNS name"));
	assert_true(conf_fails_with(BASE "[dns]\nupstream = 9.9.9.9:0\n", "t.conf:4: upstream:"));
	assert_true(conf_fails_with(BASE "[dns]\nallow = 10.0.0.1/8\n", "t.conf:4: allow:"));
	assert_true(
	        conf_fails_with(BASE "[dns]\ndomain = 10.in-addr.arpa\n", "outside in-addr.arpa"));
	assert_true(conf_fails_with(BASE "[dns]\nedns-payload = 100\n", "edns-payload"));
	assert_true(conf_fails_with(BASE "[dns]\ncache-size = lots\n", "cache-size"));
}

static void test_reserved_names(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE);
	assert_int_equal(c->dns.n_reserved, 3);
	assert_string_equal(c->dns.reserved[0], "wpad");
	assert_string_equal(c->dns.reserved[1], "isatap");
	assert_string_equal(c->dns.reserved[2], "localhost");
	conf_free(c);
	c = conf_ok(BASE "[dns]\nreserved-names = WPAD, px\n");
	assert_int_equal(c->dns.n_reserved, 2);
	assert_string_equal(c->dns.reserved[0], "wpad");
	assert_string_equal(c->dns.reserved[1], "px"); /* nothing left of "isatap" */
	conf_free(c);
	c = conf_ok(BASE "[dns]\nreserved-names =\n");
	assert_int_equal(c->dns.n_reserved, 0);
	conf_free(c);
	assert_true(conf_fails_with(BASE "[dns]\nreserved-names = wpad.lan\n",
	                            "t.conf:4: reserved-names: 'wpad.lan' is not a host name"));
	/* an admin's [host] may not take one either */
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n"
	                            "[host WPAD]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.5\n",
	                            "t.conf:3: host WPAD: the name is reserved"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_allow_only),
	        cmocka_unit_test(test_records),
	        cmocka_unit_test(test_reserved_names),
	        cmocka_unit_test(test_bad_records_name_their_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
