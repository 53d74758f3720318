/* Prepared answers and the cache: upstream responses written by hand,
 * replayed to clients with their ID, spelling and counted-down TTLs;
 * negative caching (RFC 2308); expiry; LRU eviction by bytes. */
#include "test_dns_util.h"

#include <errno.h>
#include <stdlib.h>

#include "dns/cache.h"

/* clang-format off */
#define HDR(id, flags, qd, an, ns, ar)                                                             \
	(id) >> 8, (id) & 0xff, (flags) >> 8, (flags) & 0xff, 0, qd, 0, an, 0, ns, 0, ar
#define TTL(t) (t) >> 24, ((t) >> 16) & 0xff, ((t) >> 8) & 0xff, (t) & 0xff
/* clang-format on */

/* www.example.com A: a CNAME to web.example.com (300 s), its A (60 s), our OPT */
/* clang-format off */
static const uint8_t positive[] = {
        HDR(0x99, 0x8180, 1, 2, 0, 1),
        3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
        0xc0, 12, 0, 5, 0, 1, TTL(300), 0, 6, 3, 'w', 'e', 'b', 0xc0, 16,
        0xc0, 45, 0, 1, 0, 1, TTL(60), 0, 4, 192, 0, 2, 7,
        0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

/* nope.example.com A: NXDOMAIN, SOA with TTL 3600 and MINIMUM 300 */
/* clang-format off */
static const uint8_t nxdomain[] = {
        HDR(0x98, 0x8183, 1, 0, 1, 0),
        4, 'n', 'o', 'p', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0,
        1, 0xc0, 17, 0, 6, 0, 1, TTL(3600), 0, 29, 2, 'n', 's', 0xc0, 17, 1, 'h', 0xc0, 17,
        TTL(1), TTL(3600), TTL(600), TTL(86400), TTL(300),
};
/* clang-format on */

/* clang-format off */
static const uint8_t nxdomain_no_soa[] = {
        HDR(0x97, 0x8183, 1, 0, 0, 0), 1, 'x', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
};
/* clang-format on */

struct built {
	uint8_t buf[4096];
	uint16_t ttl[DNS_ANSWER_TTLS_MAX];
	struct dns_answer a;
};

static void build(const uint8_t *msg, size_t len, uint32_t neg_max, int64_t now, struct built *b)
{
	assert_int_equal(dns_answer_build(msg, len, 86400, neg_max, now, b->buf, sizeof b->buf,
	                                  b->ttl, &b->a),
	                 0);
}

static int render(const struct dns_answer *a, const char *name, bool edns, int64_t now, size_t cap,
                  struct t_reply *p)
{
	uint8_t qb[512], out[4096];
	struct dns_query q;
	size_t ql = t_query(qb, sizeof qb, 0x4d2, name, DNS_T_A, DNS_F_RD | DNS_F_CD,
	                    edns ? 4096 : -1, edns, 0);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	int n = dns_answer_render(a, &q, now, 1232, out, cap);
	if (n > 0)
		t_parse(out, (size_t) n, p);
	return n;
}

static void test_positive_answer_replayed(void **state)
{
	(void) state;
	struct built b;
	struct t_reply p;
	build(positive, sizeof positive, 3600, 10000, &b);
	assert_int_equal(b.a.ttl, 60);
	assert_int_equal(b.a.rcode, 0);
	assert_int_equal(b.a.n_ttl, 2); /* the upstream's OPT is gone */

	assert_true(render(&b.a, "WWW.example.COM", true, 15500, 4096, &p) > 0);
	assert_int_equal(p.id, 0x4d2);
	assert_true(p.flags & DNS_F_QR);
	assert_true(p.flags & DNS_F_RD);
	assert_true(p.flags & DNS_F_CD);
	assert_true(p.flags & DNS_F_RA);
	assert_false(p.flags & DNS_F_AA);
	assert_string_equal(p.qname, "WWW.example.COM");
	assert_int_equal(p.n, 2);
	assert_string_equal(p.rr[0].owner, "WWW.example.COM");
	assert_string_equal(p.rr[0].data, "web.example.COM");
	assert_int_equal(p.rr[0].ttl, 295); /* 5.5 s later: 5 s off */
	assert_string_equal(p.rr[1].data, "192.0.2.7");
	assert_int_equal(p.rr[1].ttl, 55);
	assert_true(p.opt);
	assert_true(p.opt_do);
	assert_int_equal(p.opt_udp, 1232);

	/* without EDNS: no OPT */
	assert_true(render(&b.a, "www.example.com", false, 10000, 4096, &p) > 0);
	assert_false(p.opt);
	assert_int_equal(p.rr[1].ttl, 60);
	/* too large for the client: the question alone with TC */
	assert_true(render(&b.a, "www.example.com", true, 10000, 60, &p) > 0);
	assert_true(p.flags & DNS_F_TC);
	assert_int_equal(p.n, 0);
	assert_true(p.opt);
}

static void test_negative_caching(void **state)
{
	(void) state;
	struct built b;
	struct t_reply p;
	build(nxdomain, sizeof nxdomain, 3600, 0, &b);
	assert_int_equal(b.a.rcode, DNS_R_NXDOMAIN);
	assert_int_equal(b.a.ttl, 300); /* min(SOA TTL 3600, MINIMUM 300) */
	assert_true(render(&b.a, "nope.example.com", false, 100000, 4096, &p) > 0);
	assert_int_equal(p.rcode, DNS_R_NXDOMAIN);
	const struct t_rr *soa = t_find(&p, DNS_SEC_NS, DNS_T_SOA);
	assert_non_null(soa);
	assert_int_equal(soa->ttl, 200);
	assert_string_equal(soa->data, "ns.example.com h.example.com 1 3600 600 86400 300");
	/* capped by negative-max-ttl */
	build(nxdomain, sizeof nxdomain, 60, 0, &b);
	assert_int_equal(b.a.ttl, 60);
	/* without an SOA: not cached (RFC 2308 5) */
	build(nxdomain_no_soa, sizeof nxdomain_no_soa, 3600, 0, &b);
	assert_int_equal(b.a.ttl, 0);
}

static void test_bad_upstream_answers(void **state)
{
	(void) state;
	struct built b;
	uint8_t m[sizeof positive];
	/* one answer more than present */
	memcpy(m, positive, sizeof m);
	m[7] = 3;
	assert_int_equal(
	        dns_answer_build(m, sizeof m, 86400, 3600, 0, b.buf, sizeof b.buf, b.ttl, &b.a),
	        -EBADMSG);
	/* a CNAME whose target points forward */
	memcpy(m, positive, sizeof m);
	m[50] = 60;
	assert_int_equal(
	        dns_answer_build(m, sizeof m, 86400, 3600, 0, b.buf, sizeof b.buf, b.ttl, &b.a),
	        -EBADMSG);
	/* a TTL with the top bit set counts as 0 (RFC 2181 8): not cached */
	memcpy(m, positive, sizeof m);
	m[57] = 0x80;
	build(m, sizeof m, 3600, 0, &b);
	assert_int_equal(b.a.ttl, 0);
}

static void test_cache_get_put_expire(void **state)
{
	(void) state;
	struct built b;
	struct dns_cache *c = dns_cache_new(1 << 20);
	uint8_t key[DNS_NAME_MAX];
	int len = dns_name_from_text("www.example.com", key);
	build(positive, sizeof positive, 3600, 10000, &b);
	assert_null(dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 10000));
	assert_int_equal(dns_cache_put(c, key, (size_t) len, DNS_T_A, DNS_C_IN, &b.a), 0);
	memset(b.buf, 0, sizeof b.buf); /* the cache holds its own copy */
	const struct dns_answer *a = dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 69999);
	assert_non_null(a);
	struct t_reply p;
	assert_true(render(a, "www.example.com", false, 69999, 4096, &p) > 0);
	assert_int_equal(p.rr[1].ttl, 1);
	assert_null(dns_cache_get(c, key, (size_t) len, DNS_T_AAAA, DNS_C_IN, 10000));
	assert_null(dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 70000)); /* expired */
	struct dns_cache_stats st;
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 3);
	dns_cache_free(c);
}

static void test_lru_eviction(void **state)
{
	(void) state;
	struct built b;
	build(positive, sizeof positive, 3600, 0, &b);
	/* room for about ten answers */
	struct dns_cache *c = dns_cache_new(10 * (b.a.len + 200));
	uint8_t key[DNS_NAME_MAX];
	char name[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "n%d.example", i);
		int len = dns_name_from_text(name, key);
		assert_int_equal(dns_cache_put(c, key, (size_t) len, DNS_T_A, DNS_C_IN, &b.a), 0);
		/* n0 is used all the time: it stays */
		len = dns_name_from_text("n0.example", key);
		assert_non_null(dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 1));
	}
	struct dns_cache_stats st;
	dns_cache_stats(c, &st);
	assert_true(st.entries >= 5 && st.entries <= 15);
	assert_int_equal(st.evictions, 40 - st.entries);
	assert_true(st.bytes <= 10 * (b.a.len + 200));
	int len = dns_name_from_text("n1.example", key);
	assert_null(dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 1));
	len = dns_name_from_text("n39.example", key);
	assert_non_null(dns_cache_get(c, key, (size_t) len, DNS_T_A, DNS_C_IN, 1));
	dns_cache_set_limit(c, 0);
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	dns_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_positive_answer_replayed),
	        cmocka_unit_test(test_negative_caching),
	        cmocka_unit_test(test_bad_upstream_answers),
	        cmocka_unit_test(test_cache_get_put_expire),
	        cmocka_unit_test(test_lru_eviction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
