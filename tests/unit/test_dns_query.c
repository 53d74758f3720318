/* The query engine's policy: EDNS (BADVERS, OPT in every answer, DO),
 * header flags (NOTIMP, Z ignored, RD/CD copied), access (REFUSED), ANY
 * (RFC 8482), and the split between local answers, cache and forwarding. */
#include "test_dns_util.h"

#include <errno.h>
#include <stdlib.h>

#include "dns/cache.h"
#include "dns/query.h"
#include "dns/zone.h"

struct fx {
	struct conf *c;
	struct dns_zone *z;
	struct dns_cache *cache;
	struct dns_engine e;
	struct dns_client cl;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->c = t_conf("[dhcp]\nmode = off\n[dns]\nrecord = kms A 10.0.0.5\n");
	assert_int_equal(dns_zone_new(f->c, &f->z), 0);
	f->cache = dns_cache_new(1 << 20);
	f->e = (struct dns_engine){
	        .zone = f->z, .cache = f->cache, .edns_payload = 1232, .forward = true};
	f->cl = (struct dns_client){.addr = 0x0a000064, .server_addr = 0x0a000001, .allowed = true};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dns_cache_free(f->cache);
	dns_zone_free(f->z);
	conf_free(f->c);
	free(f);
	return 0;
}

static int run(struct fx *f, const uint8_t *pkt, size_t len, struct t_reply *p)
{
	uint8_t out[4096];
	struct dns_query q;
	int n = dns_engine_query(&f->e, pkt, len, &f->cl, 1000, nb_wall_sec(), &q, out, sizeof out);
	if (n > 0)
		t_parse(out, (size_t) n, p);
	return n;
}

static int ask(struct fx *f, const char *name, uint16_t type, uint16_t flags, int edns, bool do_bit,
               uint8_t version, struct t_reply *p)
{
	uint8_t qb[512];
	size_t ql = t_query(qb, sizeof qb, 0x77, name, type, flags, edns, do_bit, version);
	return run(f, qb, ql, p);
}

static void test_edns(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	/* an OPT with our size when the query had one, none otherwise; DO echoed */
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, 4096, true, 0, &p) > 0);
	assert_true(p.opt);
	assert_int_equal(p.opt_udp, 1232);
	assert_true(p.opt_do);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, 4096, false, 0, &p) > 0);
	assert_false(p.opt_do);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_false(p.opt);
	/* version 1: BADVERS (16 = extended rcode 1 in OPT, 0 in the header), no data */
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, 4096, false, 1, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_BADVERS);
	assert_int_equal(p.flags & DNS_F_RCODE, 0);
	assert_true(p.opt);
	assert_int_equal(p.n, 0);
	assert_int_equal(f->e.stats.local, 3);
}

static void test_flags(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	/* unknown opcode (2, STATUS): NOTIMP with the question and OPT */
	assert_true(ask(f, "kms.lan", DNS_T_A, 0x1000 | DNS_F_RD, 1232, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOTIMP);
	assert_int_equal(p.flags & DNS_F_OPCODE, 0x1000);
	assert_string_equal(p.qname, "kms.lan");
	assert_true(p.opt);
	/* Z and AD in a query change nothing; RD and CD are copied */
	struct t_reply base;
	assert_true(ask(f, "kms.lan", DNS_T_A, 0, -1, false, 0, &base) > 0);
	assert_false(base.flags & DNS_F_RD);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_Z | DNS_F_AD | DNS_F_CD | DNS_F_RD, -1, false,
	                0, &p) > 0);
	assert_true(p.flags & DNS_F_RD);
	assert_true(p.flags & DNS_F_CD);
	assert_false(p.flags & DNS_F_Z);
	assert_false(p.flags & DNS_F_AD);
	assert_int_equal(p.n, base.n);
	assert_string_equal(p.rr[0].data, base.rr[0].data);
	assert_int_equal(p.rcode, base.rcode);
}

/* RA: only where recursion is available to this client (RFC 1035 4.1.1). */
static void test_ra(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	/* forwarding on, client allowed: local answers, FORMERR and BADVERS carry RA */
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_true(p.flags & DNS_F_RA);
	assert_true(p.flags & DNS_F_AA);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, 1232, false, 1, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_BADVERS);
	assert_true(p.flags & DNS_F_RA);
	assert_false(p.flags & DNS_F_AA);
	/* REFUSED never carries RA: zone transfers, then a client not allowed */
	assert_true(ask(f, "lan", DNS_T_AXFR, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	assert_false(p.flags & (DNS_F_RA | DNS_F_AA));
	f->cl.allowed = false;
	assert_true(ask(f, "example.com", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	assert_false(p.flags & (DNS_F_RA | DNS_F_AA));
	assert_true(p.flags & DNS_F_RD);
	/* a client not allowed gets no RA on a FORMERR either */
	assert_true(ask(f, "kms.lan", DNS_T_A, 0, 1232, false, 1, &p) > 0);
	assert_false(p.flags & DNS_F_RA);
	f->cl.allowed = true;
	/* mode = local: no recursion for anyone, so no RA on local answers */
	f->e.forward = false;
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOERROR);
	assert_false(p.flags & DNS_F_RA);
	assert_true(p.flags & DNS_F_RD);
	assert_true(ask(f, "nothing.lan", DNS_T_A, 0, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	assert_false(p.flags & DNS_F_RA);
	/* the TC answer of a rate-limited client follows the same rule */
	uint8_t qb[512], out[512];
	size_t ql = t_query(qb, sizeof qb, 5, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0);
	int n = dns_engine_truncated(&f->e, qb, ql, &f->cl, out, sizeof out);
	assert_true(n > 0);
	t_parse(out, (size_t) n, &p);
	assert_true(p.flags & DNS_F_TC);
	assert_false(p.flags & DNS_F_RA);
	f->e.forward = true;
	n = dns_engine_truncated(&f->e, qb, ql, &f->cl, out, sizeof out);
	t_parse(out, (size_t) n, &p);
	assert_true(p.flags & DNS_F_RA);
}

/* Another opcode: NOTIMP, opcode, RD and CD repeated, never RA, AA or data. */
static void test_other_opcodes(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	for (uint16_t op = 1; op < 16; op++) {
		uint16_t fl = (uint16_t) (op << 11) | DNS_F_RD | DNS_F_CD;
		assert_true(ask(f, "kms.lan", DNS_T_A, fl, 1232, false, 0, &p) > 0);
		assert_int_equal(p.rcode, DNS_R_NOTIMP);
		assert_int_equal(p.flags & DNS_F_OPCODE, op << 11);
		assert_true(p.flags & DNS_F_RD);
		assert_true(p.flags & DNS_F_CD);
		assert_false(p.flags & (DNS_F_RA | DNS_F_AA | DNS_F_TC | DNS_F_Z | DNS_F_AD));
		assert_int_equal(p.counts[1] + p.counts[2], 0);
		assert_true(p.opt); /* RFC 6891 7: an OPT in, an OPT out */
		/* EDNS version 1 changes nothing: the opcode is what we do not implement */
		assert_true(ask(f, "kms.lan", DNS_T_A, fl, 1232, false, 1, &p) > 0);
		assert_int_equal(p.rcode, DNS_R_NOTIMP);
	}
	/* a header alone (dig +header-only): NOTIMP, no question to repeat; with an OPT
	 * after the header, the OPT is answered */
	static const uint8_t hdr[] = {0, 7, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_true(run(f, hdr, sizeof hdr, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOTIMP);
	assert_int_equal(p.counts[0], 0);
	assert_false(p.opt);
	assert_false(p.flags & DNS_F_RA);
	static const uint8_t hdr_opt[] = {0, 7, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	                                  0, 0, 41,   4, 0, 0, 0, 0, 0, 0, 0};
	assert_true(run(f, hdr_opt, sizeof hdr_opt, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOTIMP);
	assert_int_equal(p.counts[0], 0);
	assert_true(p.opt);
	/* whatever follows the header of another opcode: still NOTIMP, never FORMERR */
	static const uint8_t junk[] = {0, 7, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff};
	assert_true(run(f, junk, sizeof junk, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOTIMP);
	assert_int_equal(p.counts[0], 0);
	assert_int_equal(f->e.stats.notimp, 33);
	/* QUERY with no question: FORMERR, its OPT answered */
	static const uint8_t noq[] = {0, 8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	                              0, 0, 41,   4, 0, 0, 0, 0, 0, 0, 0};
	assert_true(run(f, noq, sizeof noq, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_FORMERR);
	assert_true(p.opt);
	assert_true(p.flags & DNS_F_RD);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	static const uint8_t loop[] = {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
	assert_true(run(f, loop, sizeof loop, &p) > 0);
	assert_int_equal(p.id, 9);
	assert_int_equal(p.rcode, DNS_R_FORMERR);
	assert_int_equal(f->e.stats.formerr, 1);
	/* clang-format off */
	static const uint8_t response[] = {0, 9, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
	                                   1, 'a', 0, 0, 1, 0, 1};
	/* clang-format on */
	assert_int_equal(run(f, response, sizeof response, &p), 0);
	static const uint8_t tiny[] = {0, 9, 1};
	assert_int_equal(run(f, tiny, sizeof tiny, &p), 0);
}

static void test_access(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	f->cl.allowed = false;
	assert_true(ask(f, "example.com", DNS_T_A, DNS_F_RD, 1232, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	assert_true(p.opt);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	f->cl.allowed = true;
	assert_true(ask(f, "lan", DNS_T_AXFR, 0, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	/* mode = local: names that are not ours are refused */
	f->e.forward = false;
	assert_true(ask(f, "example.com", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_REFUSED);
	assert_true(ask(f, "kms.lan", DNS_T_A, DNS_F_RD, -1, false, 0, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NOERROR);
}

static void test_any_for_other_names(void **state)
{
	struct fx *f = *state;
	struct t_reply p;
	assert_true(ask(f, "example.com", DNS_T_ANY, DNS_F_RD, 1232, false, 0, &p) > 0);
	assert_int_equal(p.rcode, 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.rr[0].type, DNS_T_HINFO);
	assert_string_equal(p.rr[0].data, "RFC8482|");
}

static void test_forward_then_cache(void **state)
{
	struct fx *f = *state;
	uint8_t qb[512], out[4096];
	struct dns_query q;
	size_t ql =
	        t_query(qb, sizeof qb, 0x31, "Host.Example.com", DNS_T_A, DNS_F_RD, -1, false, 0);
	assert_int_equal(dns_engine_query(&f->e, qb, ql, &f->cl, 1000, 0, &q, out, sizeof out),
	                 DNS_FORWARD);
	assert_memory_equal(q.lname, "\4host\7example\3com", 18);
	/* what the forwarder brings back goes to the cache ... */
	/* clang-format off */
	static const uint8_t up[] = {0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	                             4, 'h', 'o', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	                             3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	                             0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 203, 0, 113, 9};
	/* clang-format on */
	uint8_t buf[1024];
	uint16_t ttl[DNS_ANSWER_TTLS_MAX];
	struct dns_answer a;
	assert_int_equal(
	        dns_answer_build(up, sizeof up, 86400, 3600, 1000, buf, sizeof buf, ttl, &a), 0);
	assert_int_equal(dns_cache_put(f->cache, q.lname, q.qname.len, q.qtype, q.qclass, &a), 0);
	/* ... and answers the next query, TTL counted down */
	ql = t_query(qb, sizeof qb, 0x32, "HOST.example.com", DNS_T_A, DNS_F_RD, 1232, false, 0);
	int n = dns_engine_query(&f->e, qb, ql, &f->cl, 11000, 0, &q, out, sizeof out);
	assert_true(n > 0);
	struct t_reply p;
	t_parse(out, (size_t) n, &p);
	assert_int_equal(p.id, 0x32);
	assert_string_equal(p.qname, "HOST.example.com");
	assert_string_equal(p.rr[0].data, "203.0.113.9");
	assert_int_equal(p.rr[0].ttl, 20);
	assert_true(p.opt);
	assert_int_equal(f->e.stats.cached, 1);
	assert_int_equal(f->e.stats.forwarded, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_edns, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ra, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_other_opcodes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_access, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_any_for_other_names, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_forward_then_cache, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
