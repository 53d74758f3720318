/* The local zone, asked through the query engine: apex, names from the
 * hosts table and from records, negative answers with the SOA, CNAMEs,
 * single labels, reverse zones, truncation. */
#include "test_dns_util.h"

#include <errno.h>
#include <stdlib.h>

#include "dns/cache.h"
#include "dns/query.h"
#include "dns/zone.h"
#include "registry/hosts.h"

#define SRV_ADDR 0x0a000001 /* 10.0.0.1, where queries arrive */

static const char *conf_text = "[server]\n"
                               "name = gw\n"
                               "[dhcp]\n"
                               "mode = off\n"
                               "[dns]\n"
                               "domain = lan\n"
                               "local-ttl = 120\n"
                               "record = _vlmcs._tcp SRV 0 0 1688 kms.lan\n"
                               "record = kms A 10.0.0.5\n"
                               "record = kms TXT \"v=1\"\n"
                               "record = www CNAME kms\n"
                               "record = ext CNAME www.example.com.\n"
                               "record = dangling CNAME nowhere\n"
                               "record = @ MX 10 kms\n"
                               "record = v6 AAAA 2001:db8::5\n"
                               "record = 10.0.0.9 PTR printer\n"
                               "record = big TXT "
                               "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
                               "record = big TXT "
                               "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                               "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n"
                               "record = big TXT "
                               "\"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                               "ccccccccccccccccccccccccccccccccccccccccccccccccc\"\n"
                               "record = big TXT "
                               "\"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                               "ddddddddddddddddddddddddddddddddddddddddddddddd\"\n"
                               "record = big TXT "
                               "\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
                               "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"\n"
                               "[subnet 198.18.0.0/24]\n";

struct fx {
	struct conf *c;
	struct dns_zone *z;
	struct hosts *h;
	struct dns_engine e;
	uint32_t own[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->c = t_conf(conf_text);
	assert_int_equal(dns_zone_new(f->c, &f->z), 0);
	f->h = hosts_new();
	f->own[0] = SRV_ADDR;
	f->own[1] = 0x7f000001;
	f->e = (struct dns_engine){.zone = f->z,
	                           .hosts = f->h,
	                           .own_addrs = f->own,
	                           .n_own_addrs = 2,
	                           .edns_payload = 1232,
	                           .forward = true};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dns_zone_free(f->z);
	hosts_free(f->h);
	conf_free(f->c);
	free(f);
	return 0;
}

/* Asks name/type over UDP (edns < 0: without EDNS); returns the verdict, *p the answer. */
static int ask_full(struct fx *f, const char *name, uint16_t type, int edns, uint32_t server,
                    struct t_reply *p)
{
	uint8_t qb[512], out[4096];
	struct dns_query q;
	size_t ql = t_query(qb, sizeof qb, 0x4242, name, type, DNS_F_RD, edns, false, 0);
	struct dns_client cl = {.addr = 0x0a000064, .server_addr = server, .allowed = true};
	int n = dns_engine_query(&f->e, qb, ql, &cl, 1000, nb_wall_sec(), &q, out, sizeof out);
	if (n > 0)
		t_parse(out, (size_t) n, p);
	return n;
}

static int ask(struct fx *f, const char *name, uint16_t type, struct t_reply *p)
{
	return ask_full(f, name, type, 1232, SRV_ADDR, p);
}

static void test_apex(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "lan", DNS_T_SOA, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOERROR);
	assert_true(p.flags & DNS_F_AA);
	const struct t_rr *soa = t_find(&p, DNS_SEC_AN, DNS_T_SOA);
	assert_non_null(soa);
	char want[200];
	snprintf(want, sizeof want, "gw.lan hostmaster.lan %u 3600 600 604800 120",
	         dns_zone_serial(f->z));
	assert_string_equal(soa->data, want);
	assert_int_equal(soa->ttl, 120);

	assert_true(ask(f, "LAN", DNS_T_NS, &p) > 0);
	assert_true(p.flags & DNS_F_AA);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_NS)->data, "gw.lan");
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_NS)->owner, "LAN");
	/* glue: the server's address */
	assert_string_equal(t_find(&p, DNS_SEC_AR, DNS_T_A)->data, "10.0.0.1");

	assert_true(ask(f, "lan", DNS_T_MX, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_MX)->data, "10 kms.lan");
	assert_string_equal(t_find(&p, DNS_SEC_AR, DNS_T_A)->data, "10.0.0.5");
}

static void test_server_name_is_the_address_asked(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "gw.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.rr[0].data, "10.0.0.1");
	assert_true(ask_full(f, "gw.lan", DNS_T_A, 1232, 0xc6120001, &p) > 0);
	assert_string_equal(p.rr[0].data, "198.18.0.1");
	/* address unknown: every non-loopback interface address */
	assert_true(ask_full(f, "gw.lan", DNS_T_A, 1232, 0, &p) > 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.rr[0].data, "10.0.0.1");
	/* and its reverse */
	assert_true(ask(f, "1.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_PTR)->data, "gw.lan");
}

static void test_static_records(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "_vlmcs._tcp.lan", DNS_T_SRV, &p) > 0);
	assert_true(p.flags & DNS_F_AA);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_SRV)->data, "0 0 1688 kms.lan");
	assert_string_equal(t_find(&p, DNS_SEC_AR, DNS_T_A)->owner, "kms.lan");
	assert_true(ask(f, "kms.lan", DNS_T_TXT, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_TXT)->data, "v=1");
	assert_true(ask(f, "v6.lan", DNS_T_AAAA, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_AAAA)->data, "2001:db8::5");
	/* PTR from an A record, and an explicit PTR */
	assert_true(ask(f, "5.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_PTR)->data, "kms.lan");
	assert_true(ask(f, "9.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_PTR)->data, "printer.lan");
}

static void check_negative(const struct t_reply *p, int rcode)
{
	assert_int_equal(p->rcode, rcode);
	assert_true(p->flags & DNS_F_AA);
	assert_int_equal(t_count(p, DNS_SEC_AN), 0);
	const struct t_rr *soa = t_find(p, DNS_SEC_NS, DNS_T_SOA);
	assert_non_null(soa);
	assert_string_equal(soa->owner, "lan");
	assert_int_equal(soa->ttl, 120);
}

static void test_negative_answers_carry_the_soa(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "nothing.lan", DNS_T_A, &p) > 0);
	check_negative(&p, DNS_R_NXDOMAIN);
	assert_true(ask(f, "kms.lan", DNS_T_AAAA, &p) > 0);
	check_negative(&p, DNS_R_NOERROR);
	/* an empty non-terminal exists: NODATA, not NXDOMAIN (RFC 8020) */
	assert_true(ask(f, "_tcp.lan", DNS_T_SRV, &p) > 0);
	check_negative(&p, DNS_R_NOERROR);
	/* every type gets an answer: DS, RRSIG, an unassigned type, ANY */
	static const uint16_t types[] = {43, 46, 48, 99, 65280, DNS_T_OPT, DNS_T_TSIG};
	for (size_t i = 0; i < NB_ARRAY_SIZE(types); i++) {
		assert_true(ask(f, "kms.lan", types[i], &p) > 0);
		check_negative(&p, DNS_R_NOERROR);
		assert_true(ask(f, "nope.lan", types[i], &p) > 0);
		check_negative(&p, DNS_R_NXDOMAIN);
	}
}

static void test_any_is_one_rrset(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "kms.lan", DNS_T_ANY, &p) > 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_int_equal(p.rr[0].type, DNS_T_A);
	assert_true(ask(f, "lan", DNS_T_ANY, &p) > 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_int_equal(p.rr[0].type, DNS_T_SOA);
}

static void test_cnames(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "www.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 2);
	assert_string_equal(p.rr[0].data, "kms.lan");
	assert_string_equal(p.rr[1].owner, "kms.lan");
	assert_string_equal(p.rr[1].data, "10.0.0.5");
	/* asking for the CNAME itself */
	assert_true(ask(f, "www.lan", DNS_T_CNAME, &p) > 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	/* a target outside the zone: the CNAME, the client's resolver goes on */
	assert_true(ask(f, "ext.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_string_equal(p.rr[0].data, "www.example.com");
	/* a target inside the zone that does not exist: NXDOMAIN after the CNAME */
	assert_true(ask(f, "dangling.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_non_null(t_find(&p, DNS_SEC_NS, DNS_T_SOA));
}

static void test_hosts_changes_visible_at_once(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	struct hwaddr m = {{0x52, 0x54, 0, 0, 0, 7}};
	int64_t now = nb_wall_sec();
	uint32_t serial = dns_zone_serial(f->z);
	assert_true(ask(f, "laptop.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);

	assert_int_equal(hosts_set(f->h, &m, 0x0a000032, "Laptop", HOSTS_LEASE, now + 600), 1);
	assert_true(ask(f, "laptop.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, 0);
	assert_true(p.flags & DNS_F_AA);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_A)->data, "10.0.0.50");
	assert_true(ask(f, "50.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_PTR)->data, "laptop.lan");
	assert_true(dns_zone_serial(f->z) != serial);

	/* a rename */
	assert_int_equal(hosts_set(f->h, &m, 0x0a000032, "notebook", HOSTS_LEASE, now + 600), 1);
	assert_true(ask(f, "laptop.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	assert_true(ask(f, "notebook.lan", DNS_T_A, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_A)->data, "10.0.0.50");
	/* a single label is NAME.<domain>, answered under the name asked */
	assert_true(ask(f, "NoteBook", DNS_T_A, &p) > 0);
	assert_true(p.flags & DNS_F_AA);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_A)->owner, "NoteBook");
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_A)->data, "10.0.0.50");
	/* an expired lease is gone */
	assert_int_equal(hosts_set(f->h, &m, 0x0a000032, "notebook", HOSTS_LEASE, now - 1), 1);
	assert_true(ask(f, "notebook.lan", DNS_T_A, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	/* a static A record wins over a lease of the same name */
	assert_int_equal(hosts_set(f->h, &m, 0x0a000033, "kms", HOSTS_LEASE, now + 600), 1);
	assert_true(ask(f, "kms.lan", DNS_T_A, &p) > 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_string_equal(p.rr[0].data, "10.0.0.5");
}

static void test_name_conflict_first_lease_keeps_it(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	struct hwaddr m1 = {{0x52, 0x54, 0, 0, 1, 1}}, m2 = {{0x52, 0x54, 0, 0, 1, 2}};
	int64_t now = nb_wall_sec();
	assert_int_equal(hosts_set(f->h, &m1, 0x0a000040, "laptop", HOSTS_LEASE, now + 600), 1);
	assert_int_equal(hosts_set(f->h, &m2, 0x0a000041, "LAPTOP", HOSTS_LEASE, now + 600), 0);
	assert_true(ask(f, "laptop.lan", DNS_T_A, &p) > 0);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 1);
	assert_string_equal(p.rr[0].data, "10.0.0.64");
	/* the second client is known by address only: no PTR for it */
	assert_true(ask(f, "65.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	assert_true(ask(f, "64.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_PTR)->data, "laptop.lan");
	/* a [host]-like static name displaces the lease's */
	assert_int_equal(hosts_set(f->h, &m2, 0x0a000041, "laptop", HOSTS_STATIC, 0), 1);
	assert_true(ask(f, "laptop.lan", DNS_T_A, &p) > 0);
	assert_string_equal(p.rr[0].data, "10.0.0.65");
}

static void test_single_labels_and_private_reverse_stay_here(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "server", DNS_T_A, &p) > 0);
	check_negative(&p, DNS_R_NXDOMAIN);
	assert_true(ask(f, "wpad", DNS_T_AAAA, &p) > 0);
	check_negative(&p, DNS_R_NXDOMAIN);
	static const char *const priv[] = {"7.7.7.10.in-addr.arpa",   "1.1.16.172.in-addr.arpa",
	                                   "1.1.31.172.in-addr.arpa", "9.9.168.192.in-addr.arpa",
	                                   "2.0.0.127.in-addr.arpa",  "5.5.254.169.in-addr.arpa",
	                                   "1.0.64.100.in-addr.arpa", "7.0.18.198.in-addr.arpa"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(priv); i++) {
		assert_true(ask(f, priv[i], DNS_T_PTR, &p) > 0);
		assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
		assert_true(p.flags & DNS_F_AA);
		assert_non_null(t_find(&p, DNS_SEC_NS, DNS_T_SOA));
	}
	assert_true(ask(f, "7.7.7.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_NS, DNS_T_SOA)->owner, "10.in-addr.arpa");
	assert_true(ask(f, "7.0.18.198.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_NS, DNS_T_SOA)->owner, "0.18.198.in-addr.arpa");
	/* the apex of a reverse zone, an empty non-terminal, junk below a zone */
	assert_true(ask(f, "168.192.in-addr.arpa", DNS_T_SOA, &p) > 0);
	assert_non_null(t_find(&p, DNS_SEC_AN, DNS_T_SOA));
	assert_true(ask(f, "0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOERROR);
	assert_true(ask(f, "x.1.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	assert_true(ask(f, "01.0.0.10.in-addr.arpa", DNS_T_PTR, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	/* public reverse names, the public ancestors and other names go upstream */
	assert_int_equal(ask(f, "8.8.8.8.in-addr.arpa", DNS_T_PTR, &p), DNS_FORWARD);
	assert_int_equal(ask(f, "172.in-addr.arpa", DNS_T_NS, &p), DNS_FORWARD);
	assert_int_equal(ask(f, "1.1.15.172.in-addr.arpa", DNS_T_PTR, &p), DNS_FORWARD);
	assert_int_equal(ask(f, "example.com", DNS_T_A, &p), DNS_FORWARD);
	assert_int_equal(ask(f, "lan.example.com", DNS_T_A, &p), DNS_FORWARD);
	/* localhost */
	assert_true(ask(f, "localhost", DNS_T_A, &p) > 0);
	assert_string_equal(t_find(&p, DNS_SEC_AN, DNS_T_A)->data, "127.0.0.1");
}

static void test_truncation(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	/* five 115-byte TXT strings: more than 512 */
	assert_true(ask_full(f, "big.lan", DNS_T_TXT, -1, SRV_ADDR, &p) > 0);
	assert_true(p.flags & DNS_F_TC);
	assert_true(p.flags & DNS_F_AA);
	assert_int_equal(p.n, 0);
	assert_false(p.opt);
	assert_true(ask_full(f, "big.lan", DNS_T_TXT, 1232, SRV_ADDR, &p) > 0);
	assert_false(p.flags & DNS_F_TC);
	assert_int_equal(t_count(&p, DNS_SEC_AN), 5);
	assert_true(p.opt);
	assert_int_equal(p.opt_udp, 1232);
	assert_int_equal(f->e.stats.truncated, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_apex, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_server_name_is_the_address_asked, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_static_records, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_negative_answers_carry_the_soa, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_any_is_one_rrset, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cnames, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hosts_changes_visible_at_once, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_name_conflict_first_lease_keeps_it, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_single_labels_and_private_reverse_stay_here,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
