/* The doctor's judges and parsers, without a network: inputs written by
 * hand, findings checked word for word where they are the point. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/wire.h"
#include "dns/wire.h"
#include "doctor/doctor.h"
#include "httpc/httpc.h"
#include "tftp/wire.h"

static bool has_evidence(const struct doctor_result *r, const char *s)
{
	for (size_t i = 0; i < r->n_evidence; i++)
		if (strstr(r->evidence[i], s))
			return true;
	return false;
}

static void test_verdict_rises_only(void **state)
{
	(void) state;
	struct doctor_result r;
	doctor_result_init(&r, "x");
	assert_int_equal(r.status, DOCTOR_SKIP);
	assert_true(doctor_verdict(&r, DOCTOR_WARN, "first warning"));
	doctor_fix(&r, "fix one");
	assert_false(doctor_verdict(&r, DOCTOR_WARN, "second warning"));
	doctor_fix(&r, "must not replace");
	assert_false(doctor_verdict(&r, DOCTOR_PASS, "a pass after a warning"));
	assert_string_equal(r.finding, "first warning");
	assert_string_equal(r.fix, "fix one");
	assert_true(doctor_verdict(&r, DOCTOR_FAIL, "failure"));
	assert_string_equal(r.fix, "");
	assert_int_equal(r.status, DOCTOR_FAIL);
	for (int i = 0; i < 100; i++)
		doctor_evidence(&r, "line %d", i);
	assert_int_equal(r.n_evidence, DOCTOR_EVIDENCE_MAX);
}

static void test_no_proxy_matching(void **state)
{
	(void) state;
	assert_true(doctor_no_proxy_covers("netbay", "netbay"));
	assert_true(doctor_no_proxy_covers("localhost, .lan", "netbay.lan"));
	assert_true(doctor_no_proxy_covers("*.lan", "netbay.lan"));
	assert_true(doctor_no_proxy_covers("lan", "pc1.lan"));
	assert_false(doctor_no_proxy_covers("lan", "pc1.wlan"));
	assert_false(doctor_no_proxy_covers(".lan", "netbay"));
	assert_true(doctor_no_proxy_covers("10.0.0.0/8", "10.77.0.1"));
	assert_false(doctor_no_proxy_covers("10.0.0.0/8", "192.168.1.1"));
	assert_false(doctor_no_proxy_covers("10.0.0.0/8", "netbay"));
	assert_true(doctor_no_proxy_covers("10.77.0.1:80", "10.77.0.1"));
	assert_true(doctor_no_proxy_covers("*", "anything"));
	assert_false(doctor_no_proxy_covers("", "netbay"));
	assert_false(doctor_no_proxy_covers(NULL, "netbay"));
	assert_false(doctor_no_proxy_covers("10.0.0.0/99,,.,*.", "10.0.0.1"));
}

static void test_proxy_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	char *none[] = {"PATH=/bin", NULL};
	doctor_result_init(&r, "proxy");
	doctor_proxy_judge(&r, none, "netbay", 0x0a4d0001, "lan");
	assert_int_equal(r.status, DOCTOR_PASS);

	char *bare[] = {"http_proxy=http://u:p@proxy:3128", NULL};
	doctor_result_init(&r, "proxy");
	doctor_proxy_judge(&r, bare, "netbay", 0x0a4d0001, "lan");
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_string_equal(r.fix, "export no_proxy=netbay,10.77.0.1,.lan "
	                           "NO_PROXY=netbay,10.77.0.1,.lan");
	assert_true(has_evidence(&r, "http_proxy=http://***@proxy:3128"));
	assert_false(has_evidence(&r, "u:p"));

	/* only the address is missing: the fix keeps what is there */
	char *part[] = {"ALL_PROXY=socks5://p:1080", "NO_PROXY=.lan,netbay", NULL};
	doctor_result_init(&r, "proxy");
	doctor_proxy_judge(&r, part, "netbay", 0x0a4d0001, "lan");
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_string_equal(r.fix, "export no_proxy=.lan,netbay,10.77.0.1 "
	                           "NO_PROXY=.lan,netbay,10.77.0.1");

	char *ok[] = {"HTTPS_PROXY=http://p:3128", "no_proxy=10.0.0.0/8,.lan,netbay", NULL};
	doctor_result_init(&r, "proxy");
	doctor_proxy_judge(&r, ok, "netbay", 0x0a4d0001, "lan");
	assert_int_equal(r.status, DOCTOR_PASS);
}

static void test_http_date(void **state)
{
	(void) state;
	int64_t t;
	assert_int_equal(doctor_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(doctor_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(doctor_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(doctor_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(doctor_http_date_parse("Tue, 29 Feb 2000 12:00:00 GMT", &t), 0);
	const char *bad[] = {"",
	                     "Sun, 06 Nov 1994 08:49:37",
	                     "Sun, 06 Nov 1994 08:49:37 UTC",
	                     "Sun, 31 Nov 1994 08:49:37 GMT",
	                     "Mon, 29 Feb 1900 08:49:37 GMT",
	                     "Sun, 06 Nov 1994 24:49:37 GMT",
	                     "Sun, 6 Nov 1994 08:49:37 GMT",
	                     "sun, 06 nov 1994 08:49:37 GMT",
	                     "Sun, 06 Xyz 1994 08:49:37 GMT",
	                     "Sun, 06 Nov 1994 08:49:37 GMT trailing",
	                     "Sun Nov 6 08:49:37 1994",
	                     "Sun, 00 Nov 1994 08:49:37 GMT",
	                     "1994-11-06T08:49:37Z"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
		if (doctor_http_date_parse(bad[i], &t) != -EINVAL)
			print_message("accepted '%s'\n", bad[i]);
		assert_int_equal(doctor_http_date_parse(bad[i], &t), -EINVAL);
	}
}

static void test_clock_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	doctor_result_init(&r, "clock");
	doctor_clock_judge(&r, "Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777 + 1, 60, 300);
	assert_int_equal(r.status, DOCTOR_PASS);
	doctor_result_init(&r, "clock");
	doctor_clock_judge(&r, "Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777 - 90, 60, 300);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_string_equal(r.finding, "the server's clock is 1m30s ahead of ours (+90s; threshold "
	                               "60s)");
	doctor_result_init(&r, "clock");
	doctor_clock_judge(&r, "Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777 + 2 * 86400, 60, 300);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_string_equal(r.finding, "the server's clock is 2d00h behind ours (-172800s; "
	                               "threshold 300s)");
	/* a bad Date falls back to the JSON time */
	doctor_result_init(&r, "clock");
	doctor_clock_judge(&r, "yesterday", 1000, 1000 + 400, 60, 300);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_true(has_evidence(&r, "is not an HTTP date"));
	doctor_result_init(&r, "clock");
	doctor_clock_judge(&r, "", 0, 1000, 60, 300);
	assert_int_equal(r.status, DOCTOR_SKIP);
}

/* A DNS response: id 0x1234, the question netbay.lan A, then records. */
static size_t dns_response(uint8_t *buf, uint16_t flags, uint16_t an, const uint8_t *rrs,
                           size_t rrs_len)
{
	static const uint8_t q[] = {6,   'n', 'e', 't', 'b', 'a', 'y', 3,
	                            'l', 'a', 'n', 0,   0,   1,   0,   1};
	uint8_t hdr[12] = {0x12,
	                   0x34,
	                   (uint8_t) (flags >> 8),
	                   (uint8_t) flags,
	                   0,
	                   1,
	                   (uint8_t) (an >> 8),
	                   (uint8_t) an,
	                   0,
	                   0,
	                   0,
	                   0};
	memcpy(buf, hdr, 12);
	memcpy(buf + 12, q, sizeof q);
	if (rrs_len)
		memcpy(buf + 12 + sizeof q, rrs, rrs_len);
	return 12 + sizeof q + rrs_len;
}

static void test_dns_answers(void **state)
{
	(void) state;
	uint8_t buf[512];
	struct doctor_dns_answer a;
	/* a CNAME on the way, then the A record; owner names compressed to the question (12) */
	static const uint8_t rrs[] = {0xc0, 12, 0, 5, 0, 1, 0, 0, 0,  60, 0, 2,  0xc0, 12, 0xc0,
	                              12,   0,  1, 0, 1, 0, 0, 0, 60, 0,  4, 10, 77,   0,  1};
	size_t n = dns_response(buf, 0x8180, 2, rrs, sizeof rrs);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), 0);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rr[0].addr, 0x0a4d0001);
	/* another id, or a query, is not our answer */
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1235, DNS_T_A, &a), -ENOENT);
	n = dns_response(buf, 0x0100, 0, NULL, 0);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), -ENOENT);
	/* NXDOMAIN */
	n = dns_response(buf, 0x8183, 0, NULL, 0);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), 0);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n, 0);
	/* SRV with a compressed target */
	static const uint8_t srv[] = {0xc0, 12, 0, 33, 0, 1, 0,    0,    0,    60,
	                              0,    8,  0, 1,  0, 2, 0x06, 0x98, 0xc0, 12};
	n = dns_response(buf, 0x8180, 1, srv, sizeof srv);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_SRV, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.rr[0].port, 1688);
	assert_string_equal(a.rr[0].name, "netbay.lan");
	/* PTR, with TC set; the authority section is not read, even when its count lies */
	static const uint8_t ptr[] = {0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12};
	n = dns_response(buf, 0x8380, 1, ptr, sizeof ptr);
	buf[9] = 1;
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_PTR, &a), 0);
	assert_true(a.truncated);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.rr[0].name, "netbay.lan");
	/* REFUSED without the question: the rcode still counts */
	static const uint8_t refused[] = {0x12, 0x34, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(doctor_dns_answer_parse(refused, sizeof refused, 0x1234, DNS_T_A, &a), 0);
	assert_int_equal(a.rcode, 5);
	assert_int_equal(a.n, 0);
}

static void test_dns_query(void **state)
{
	(void) state;
	uint8_t buf[512], want[512];
	/* the query is the question of dns_response(), RD set, counts 1 0 0 0 */
	size_t n = dns_response(want, 0x0100, 0, NULL, 0);
	int len = doctor_dns_query_build(buf, sizeof buf, 0x1234, "netbay.lan", DNS_T_A);
	assert_int_equal(len, (int) n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(doctor_dns_query_build(buf, sizeof buf, 0x1234, "netbay.lan.", DNS_T_A),
	                 (int) n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(doctor_dns_query_build(buf, n - 1, 0x1234, "netbay.lan", DNS_T_A),
	                 -ENOSPC);
	/* the probe, and a reverse name, parse back as asked */
	struct dns_query q;
	char text[DNS_NAME_MAX + 1], rev[64];
	len = doctor_dns_probe_build(buf, sizeof buf, "netbay");
	assert_true(len > 0);
	assert_int_equal(dns_query_parse(buf, (size_t) len, &q), 0);
	assert_int_equal(q.flags, DNS_F_RD);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_int_equal(q.qclass, DNS_C_IN);
	assert_string_equal(dns_name_to_text(q.qname.b, text, sizeof text), "netbay");
	doctor_reverse_name(0x0a4d0001, rev, sizeof rev);
	len = doctor_dns_query_build(buf, sizeof buf, 7, rev, DNS_T_PTR);
	assert_int_equal(dns_query_parse(buf, (size_t) len, &q), 0);
	assert_int_equal(q.qtype, DNS_T_PTR);
	assert_string_equal(dns_name_to_text(q.qname.b, text, sizeof text),
	                    "1.0.77.10.in-addr.arpa");
}

/* Answer 1: owner root, type 99 (skipped), rdata = hops pointers, each to
 * the one before it, the first to answer 1's owner. Answer 2: an A record
 * whose owner points at the last of them. */
static int pointer_chain(uint8_t *buf, int hops, size_t *ret_len)
{
	size_t n = dns_response(buf, 0x8180, 2, NULL, 0), owner = n;
	static const uint8_t rr1[] = {0, 0, 99, 0, 1, 0, 0, 0, 60};
	memcpy(buf + n, rr1, sizeof rr1);
	n += sizeof rr1;
	buf[n++] = 0;
	buf[n++] = (uint8_t) (2 * hops);
	size_t prev = owner;
	for (int i = 0; i < hops; i++) {
		buf[n] = (uint8_t) (0xc0 | prev >> 8);
		buf[n + 1] = (uint8_t) prev;
		prev = n;
		n += 2;
	}
	static const uint8_t rr2[] = {0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
	buf[n] = (uint8_t) (0xc0 | prev >> 8);
	buf[n + 1] = (uint8_t) prev;
	n += 2;
	memcpy(buf + n, rr2, sizeof rr2);
	*ret_len = n + sizeof rr2;
	return 0;
}

static void test_dns_hostile(void **state)
{
	(void) state;
	uint8_t buf[512];
	struct doctor_dns_answer a;
	size_t n;
	/* a pointer to itself, forward, past the end; a reserved label type;
	 * an A of 3 bytes; rdata past the end; counts that lie */
	static const uint8_t self[] = {0xc0, 28, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
	static const uint8_t fwd[] = {0xc0, 40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
	static const uint8_t past[] = {0xc1, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
	static const uint8_t rsv[] = {0x40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
	static const uint8_t short_a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3};
	static const uint8_t long_rd[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 40, 1, 2, 3, 4};
	const struct {
		const uint8_t *p;
		size_t len;
		uint16_t an;
	} cases[] = {{self, sizeof self, 1},
	             {fwd, sizeof fwd, 1},
	             {past, sizeof past, 1},
	             {rsv, sizeof rsv, 1},
	             {short_a, sizeof short_a, 1},
	             {long_rd, sizeof long_rd, 1},
	             {self + 12, 4, 1},
	             {NULL, 0, 5}};
	for (size_t i = 0; i < NB_ARRAY_SIZE(cases); i++) {
		n = dns_response(buf, 0x8180, cases[i].an, cases[i].p, cases[i].len);
		if (doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a) != -EBADMSG)
			print_message("case %zu accepted\n", i);
		assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), -EBADMSG);
	}
	/* chains of backward pointers resolve: each jump lands before the one
	 * before it (the codec's bound), so a chain ends within the message */
	assert_int_equal(pointer_chain(buf, 10, &n), 0);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(pointer_chain(buf, 40, &n), 0);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_A, &a), 0);
	assert_int_equal(a.n, 1);
	/* an SRV shorter than its fixed fields, a PTR whose name runs past its rdata */
	static const uint8_t short_srv[] = {0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 4, 0, 1, 0, 2};
	n = dns_response(buf, 0x8180, 1, short_srv, sizeof short_srv);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_SRV, &a), -EBADMSG);
	static const uint8_t long_ptr[] = {0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x', 0};
	n = dns_response(buf, 0x8180, 1, long_ptr, sizeof long_ptr);
	assert_int_equal(doctor_dns_answer_parse(buf, n, 0x1234, DNS_T_PTR, &a), -EBADMSG);
	/* a truncated header */
	assert_int_equal(doctor_dns_answer_parse(buf, 5, 0x1234, DNS_T_A, &a), -EBADMSG);
	/* queries for names that are not DNS names */
	assert_int_equal(doctor_dns_query_build(buf, sizeof buf, 1, "a..b", 1), -EINVAL);
	char big[300];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(doctor_dns_query_build(buf, sizeof buf, 1, big, 1), -EINVAL);
}

static void test_tftp_request(void **state)
{
	(void) state;
	uint8_t buf[600];
	int n = doctor_tftp_rrq_build(buf, sizeof buf, "undionly.kpxe", 1428);
	/* the option order is the codec's: what matters is the bytes parse back */
	struct tftp_msg m;
	assert_true(n > 0);
	assert_int_equal(tftp_msg_parse(buf, (size_t) n, &m), 0);
	assert_int_equal(m.op, TFTP_RRQ);
	assert_string_equal(m.name, "undionly.kpxe");
	assert_int_equal(m.mode, TFTP_MODE_OCTET);
	assert_int_equal(m.opts.present, TFTP_OPT_TSIZE | TFTP_OPT_BLKSIZE);
	assert_int_equal(m.opts.blksize, 1428);
	assert_int_equal(m.opts.tsize, 0);
	char big[300];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(doctor_tftp_rrq_build(buf, sizeof buf, big, 512), -EINVAL);
	assert_int_equal(doctor_tftp_rrq_build(buf, sizeof buf, "", 512), -EINVAL);
}

static void test_bootfile_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_fetch f = {.tftp = true,
	                         .err = -EREMOTEIO,
	                         .tftp_error = true,
	                         .tftp_code = 1,
	                         .tftp_msg = "File not found"};
	doctor_result_init(&r, "bootfile");
	doctor_bootfile_judge(&r, "x.kpxe", 0x0a4d0001, &f);
	assert_string_equal(r.finding, "boot file x.kpxe is missing on TFTP server 10.77.0.1 "
	                               "(TFTP error 1: File not found)");
	f = (struct doctor_fetch){
	        .tftp = true, .err = -ETIMEDOUT, .stall_block = 9, .bytes = 4096, .blksize = 512};
	doctor_result_init(&r, "bootfile");
	doctor_bootfile_judge(&r, "x.kpxe", 0x0a4d0001, &f);
	assert_string_equal(r.finding, "the TFTP transfer of x.kpxe from 10.77.0.1 stalls at block "
	                               "9 (4096 bytes received, then only timeouts)");
	f = (struct doctor_fetch){.tftp = true, .bytes = 70000, .blocks = 50, .complete = true};
	doctor_result_init(&r, "bootfile");
	doctor_bootfile_judge(&r, "x.kpxe", 0x0a4d0001, &f);
	assert_int_equal(r.status, DOCTOR_PASS);
	f = (struct doctor_fetch){.err = -EREMOTEIO, .http_status = 404};
	doctor_result_init(&r, "bootfile");
	doctor_bootfile_judge(&r, "http://s/x.efi", 0, &f);
	assert_string_equal(r.finding, "boot file http://s/x.efi is missing (HTTP 404)");
}

static void test_arp(void **state)
{
	(void) state;
	uint8_t buf[64];
	struct hwaddr mac = {{2, 0, 0, 0, 0, 9}}, got;
	uint32_t spa;
	int n = doctor_arp_request(buf, sizeof buf, &mac, 0x0a4d0001);
	assert_int_equal(n, 28);
	/* a probe: sender protocol address zero (RFC 5227) */
	static const uint8_t zero[4];
	assert_memory_equal(buf + 14, zero, 4);
	assert_int_equal(doctor_arp_reply_parse(buf, 28, &spa, &got), -ENOENT); /* a request */
	buf[7] = 2;
	assert_int_equal(doctor_arp_reply_parse(buf, 28, &spa, &got), 0);
	assert_memory_equal(got.b, mac.b, 6);
	assert_int_equal(doctor_arp_reply_parse(buf, 27, &spa, &got), -EBADMSG);
	buf[4] = 8; /* hlen 8 */
	assert_int_equal(doctor_arp_reply_parse(buf, 28, &spa, &got), -ENOENT);
}

static void test_addressing_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_lif l[] = {{"lo", 1, 0x7f000001, 8, true, true},
	                         {"eth0", 2, 0x0a4d0032, 24, true, false}};
	struct doctor_route rt[] = {{0x0a4d0000, 0, 24, 0, "eth0"}};
	struct doctor_route def[] = {{0x0a4d0000, 0, 24, 0, "eth0"}, {0, 0x0a4d0001, 0, 0, "eth0"}};
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, rt, 1, 0x0a4d0001, "eth0", -1, 0);
	assert_string_equal(r.finding,
	                    "10.77.0.1 is on-link: same subnet as 10.77.0.50/24 on eth0");
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, rt, 1, 0x0a4d0001, "eth0", -1, 0xffff0000);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_string_equal(r.finding, "mask mismatch: eth0 has /24 here but the server's DHCP "
	                               "offer says /16");
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, rt, 1, 0x0a4d0101, "eth0", 1, 0);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_non_null(strstr(r.finding, "mask mismatch"));
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, rt, 1, 0x0a4d0101, "eth0", 1, 0xffff0000);
	assert_string_equal(r.finding, "mask mismatch: 10.77.1.1 answers ARP on eth0's link, but "
	                               "10.77.0.50/24 does not contain it (a /23 would; the "
	                               "server's DHCP offer says /16); no route leads there");
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, def, 2, 0x0a4d0101, "eth0", 1, 0);
	assert_int_equal(r.status, DOCTOR_WARN);
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, def, 2, 0xc0a80101, "eth0", 0, 0);
	assert_string_equal(r.finding, "192.168.1.1 is routed via 10.77.0.1 on eth0");
	doctor_result_init(&r, "addressing");
	doctor_addressing_judge(&r, l, 2, rt, 1, 0xc0a80101, "eth0", 0, 0);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_non_null(strstr(r.finding, "no route to 192.168.1.1"));
}

static void test_names_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_lif l[] = {{"eth0", 2, 0x0a4d0032, 24, true, false}};
	struct doctor_resolver_answer a[3] = {
	        {.ns = 0, .addrs = {0x0a4d0001}, .n_addrs = 1},
	        {.ns = 0x0a4d0001, .addrs = {0x0a4d0001}, .n_addrs = 1, .qname = "netbay.lan"},
	        {.ns = 0x0a4d0003, .addrs = {0xcb007107}, .n_addrs = 1, .qname = "netbay.lan"}};
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", a, 2, NULL, NULL, "eth0", l, 1),
	                 0x0a4d0001);
	assert_string_equal(r.finding, "netbay resolves to 10.77.0.1 on every resolver");
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", a, 3, NULL, NULL, "eth0", l, 1);
	assert_string_equal(r.finding, "resolvers disagree on netbay: the system resolver says "
	                               "10.77.0.1, DNS server 10.77.0.3 says 203.0.113.7");
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", a + 2, 1, NULL, NULL, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_non_null(strstr(r.finding, "a public address outside every local subnet"));
	struct doctor_resolver_answer none[2] = {{.ns = 0, .rcode = 3},
	                                         {.ns = 0x0a4d0001, .err = -ETIMEDOUT}};
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", none, 2, NULL, NULL, "eth0", l, 1), 0);
	assert_string_equal(r.finding, "netbay does not resolve (2 resolvers asked)");
	/* one resolver silent while the other answers */
	struct doctor_resolver_answer half[2] = {a[1], {.ns = 0x0a4d0009, .err = -ETIMEDOUT}};
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", half, 2, NULL, NULL, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_WARN);
}

static void test_dhcp_offers(void **state)
{
	(void) state;
	uint8_t pkt[DHCP_MAX_PACKET], reply[DHCP_MAX_PACKET];
	struct hwaddr mac = {{0x52, 0x54, 0, 1, 2, 3}}, other = {{0x52, 0x54, 0, 1, 2, 4}};
	struct dhcp_msg req;
	struct doctor_offer o;
	int n = doctor_dhcp_build(pkt, sizeof pkt, DHCP_DISCOVER, 0xabcd, &mac, 0, 7);
	assert_true(n >= DHCP_MIN_REPLY);
	assert_int_equal(dhcp_msg_parse(pkt, (size_t) n, &req), 0);
	assert_int_equal(req.type, DHCP_DISCOVER);
	assert_int_equal(req.flags, DHCP_BROADCAST_FLAG);
	char vc[64];
	assert_true(dhcp_opt_str(&req, DHCP_OPT_VENDOR_CLASS, vc, sizeof vc) > 0);
	assert_string_equal(vc, "PXEClient:Arch:00007:UNDI:002001");
	uint16_t arch;
	assert_int_equal(dhcp_opt_u16(&req, DHCP_OPT_CLIENT_ARCH, &arch), 0);
	assert_int_equal(arch, 7);
	assert_false(dhcp_opt(&req, DHCP_OPT_REQUESTED_IP)); /* never asks for an address */

	/* an OFFER written with the DHCP codec, as a server would */
	struct wbuf b = wbuf_init(reply, sizeof reply);
	dhcp_write_header(&b, &req, DHCP_BOOTREPLY, 0, 0x0a4d0064, 0x0a4d0001, 0, NULL,
	                  "undionly.kpxe");
	dhcp_put_u8(&b, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	dhcp_put_u32(&b, DHCP_OPT_SERVER_ID, 0x0a4d0001);
	dhcp_put_u32(&b, DHCP_OPT_SUBNET_MASK, 0xffffff00);
	dhcp_put_str(&b, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	dhcp_write_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(doctor_dhcp_offer_read(reply, wbuf_len(&b), 0xabcd, &mac, 0x0a4d0001, &o),
	                 0);
	assert_int_equal(o.yiaddr, 0x0a4d0064);
	assert_int_equal(o.mask, 0xffffff00);
	assert_string_equal(o.file, "undionly.kpxe");
	assert_true(o.pxe);
	assert_false(o.proxy);
	/* someone else's exchange, and garbage */
	assert_int_equal(doctor_dhcp_offer_read(reply, wbuf_len(&b), 0xabce, &mac, 1, &o), -ENOENT);
	assert_int_equal(doctor_dhcp_offer_read(reply, wbuf_len(&b), 0xabcd, &other, 1, &o),
	                 -ENOENT);
	assert_int_equal(doctor_dhcp_offer_read(reply, 100, 0xabcd, &mac, 1, &o), -EBADMSG);
	assert_int_equal(doctor_dhcp_offer_read(pkt, (size_t) n, 0xabcd, &mac, 1, &o), -ENOENT);

	/* the judge: two servers, none, proxy only */
	struct doctor_result r;
	struct doctor_offer two[2] = {o, o};
	two[1].server_id = 0x0a4d0002;
	two[1].yiaddr = 0x0a4d0033;
	doctor_result_init(&r, "dhcp");
	doctor_dhcp_judge(&r, "eth0", two, 2, 0x0a4d0001);
	assert_string_equal(r.finding, "2 DHCP servers answer on eth0: 10.77.0.1 offers "
	                               "10.77.0.100, 10.77.0.2 offers 10.77.0.51");
	doctor_result_init(&r, "dhcp");
	doctor_dhcp_judge(&r, "eth0", two, 0, 0);
	assert_string_equal(r.finding, "no DHCP server answered a DISCOVER on eth0");
	doctor_result_init(&r, "dhcp");
	doctor_dhcp_judge(&r, "eth0", two, 1, 0x0a4d0001);
	assert_int_equal(r.status, DOCTOR_PASS);
	struct doctor_offer bare = o;
	bare.file[0] = 0;
	doctor_result_init(&r, "dhcp");
	doctor_dhcp_judge(&r, "eth0", &bare, 1, 0x0a4d0001);
	assert_int_equal(r.status, DOCTOR_WARN);
}

static void test_reach_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_probe p[3] = {
	        {.service = "HTTP", .port = 80, .outcome = DOCTOR_REACH_DROPPED, .ms = 1000},
	        {.service = "API", .port = 8080, .outcome = DOCTOR_REACH_REFUSED},
	        {.service = "TFTP", .udp = true, .port = 69, .outcome = DOCTOR_REACH_REFUSED}};
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 3, "");
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_string_equal(r.finding, "HTTP port 80/tcp on 10.77.0.1 is silently dropped (no "
	                               "answer in 1000 ms): a firewall drops it");
	assert_true(has_evidence(&r, "TFTP 69/udp: closed (ICMP port unreachable)"));
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p + 2, 1, "");
	assert_int_equal(r.status, DOCTOR_WARN);
	p[0].outcome = DOCTOR_REACH_UNREACH;
	p[0].err = EHOSTUNREACH;
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 1, "");
	assert_non_null(strstr(r.finding, "no route to 10.77.0.1"));
	assert_int_equal(doctor_reach_classify(ECONNREFUSED), DOCTOR_REACH_REFUSED);
	assert_int_equal(doctor_reach_classify(ETIMEDOUT), DOCTOR_REACH_DROPPED);
	assert_int_equal(doctor_reach_classify(ENETUNREACH), DOCTOR_REACH_UNREACH);
	assert_int_equal(doctor_reach_classify(EPERM), DOCTOR_REACH_LOCAL);
}

static void http_case(int status, const char *ctype, const char *body, const char *asked,
                      enum doctor_status want, const char *finding_part)
{
	struct doctor_result r;
	struct doctor_health h = {0};
	struct httpc_response resp = {
	        .status = status, .body = (char *) body, .body_len = strlen(body)};
	snprintf(resp.content_type, sizeof resp.content_type, "%s", ctype);
	snprintf(resp.server, sizeof resp.server, "nginx");
	doctor_health_read(0, &resp, &h);
	doctor_result_init(&r, "http");
	assert_int_equal(doctor_http_judge(&r, "http://x/api/v1/health", asked, &h) == 0,
	                 want != DOCTOR_FAIL);
	if (r.status != want || !strstr(r.finding, finding_part))
		print_message("got %d '%s'\n", r.status, r.finding);
	assert_int_equal(r.status, want);
	assert_non_null(strstr(r.finding, finding_part));
}

static void test_http_judge(void **state)
{
	(void) state;
	http_case(200, "application/json", "{\"name\":\"netbay\",\"version\":\"0.1.0\",\"time\":5}",
	          "netbay.lan", DOCTOR_PASS, "netbay 'netbay' 0.1.0 answers");
	http_case(200, "application/json", "{\"name\":\"build01\",\"version\":\"0.1.0\"}", "netbay",
	          DOCTOR_WARN, "answered by netbay 'build01'");
	http_case(200, "text/html", "<html>captive</html>", "", DOCTOR_FAIL, "an HTML page");
	http_case(200, "", "  <!DOCTYPE html>", "", DOCTOR_FAIL, "an HTML page");
	http_case(404, "text/plain", "nope", "", DOCTOR_FAIL, "is 404");
	http_case(200, "application/json", "{\"status\":\"ok\"}", "", DOCTOR_FAIL,
	          "without netbay's name and version");
	http_case(200, "application/json", "{\"name\":5,\"version\":\"1\"}", "", DOCTOR_FAIL,
	          "without netbay's name");
	http_case(407, "text/plain", "", "", DOCTOR_FAIL, "answers HTTP 407");
	struct doctor_result r;
	struct doctor_health h = {0};
	doctor_health_read(-ETIMEDOUT, NULL, &h);
	doctor_result_init(&r, "http");
	assert_true(doctor_http_judge(&r, "u", "", &h) < 0);
	assert_int_equal(r.status, DOCTOR_FAIL);
}

/* ---- the HTTPS part of the http check */

#define TLS_NOW 1800000000LL

/* A TLS answer as doctor_https_get() would record it: a certificate valid
 * for a year around TLS_NOW, naming bay, bay.lan and 10.0.0.1; netbay answers. */
static void tls_ok(struct doctor_tls *t)
{
	*t = (struct doctor_tls){
	        .addr = 0x0a000001, .port = 8443, .have_cert = true, .names_asked = true};
	snprintf(t->asked, sizeof t->asked, "bay");
	snprintf(t->desc, sizeof t->desc, "(TLS1.3)-(ECDHE-SECP256R1)");
	t->cert.not_before = TLS_NOW - 86400 * 180;
	t->cert.not_after = TLS_NOW + 86400 * 180;
	memset(t->cert.fp, 0x42, TLS_FP_LEN);
	tls_fingerprint_fmt(t->cert.fp, t->cert.fingerprint);
	snprintf(t->cert.subject, sizeof t->cert.subject, "bay");
	snprintf(t->cert.key_type, sizeof t->cert.key_type, "ECDSA P-256");
	static const char *const names[] = {"bay", "bay.lan", "10.0.0.1"};
	for (size_t i = 0; i < 3; i++)
		snprintf(t->cert.names[t->cert.n_names++], TLS_NAME_MAX, "%s", names[i]);
	t->health = (struct doctor_health){.netbay = true, .status = 200};
	snprintf(t->health.name, sizeof t->health.name, "bay");
	snprintf(t->health.version, sizeof t->health.version, "0.1.0");
}

static void tls_case(const struct doctor_tls *t, const uint8_t *pin, const char *named, int64_t now,
                     enum doctor_status want, const char *finding_part, const char *evidence_part)
{
	struct doctor_result r;
	doctor_result_init(&r, "http");
	(void) doctor_tls_judge(&r, t, pin, named, now);
	if (r.status != want || !strstr(r.finding, finding_part) ||
	    (evidence_part && !has_evidence(&r, evidence_part))) {
		print_message("got %d '%s'\n", r.status, r.finding);
		for (size_t i = 0; i < r.n_evidence; i++)
			print_message("  %s\n", r.evidence[i]);
	}
	assert_int_equal(r.status, want);
	assert_non_null(strstr(r.finding, finding_part));
	if (evidence_part)
		assert_true(has_evidence(&r, evidence_part));
}

static void test_tls_judge(void **state)
{
	(void) state;
	struct doctor_tls t;
	uint8_t pin[TLS_FP_LEN];
	char other[TLS_FP_STRLEN];

	tls_ok(&t);
	memset(pin, 0x42, sizeof pin);
	tls_case(&t, NULL, "", TLS_NOW, DOCTOR_PASS,
	         "netbay answers over HTTPS at "
	         "https://10.0.0.1:8443 (certificate for bay)",
	         "names in the certificate: bay, bay.lan, 10.0.0.1 (CN bay)");
	tls_case(&t, pin, t.cert.fingerprint, TLS_NOW, DOCTOR_PASS, "over HTTPS", NULL);

	/* expired: the dates and the local clock in evidence */
	tls_case(&t, NULL, "", TLS_NOW + 86400 * 200, DOCTOR_FAIL,
	         "the certificate of https://10.0.0.1:8443 expired on 2027-07-14",
	         "certificate valid from 2026-07-19 08:00:00 UTC until 2027-07-14 08:00:00 UTC; "
	         "this machine's clock: 2027-08-03 08:00:00 UTC");
	tls_case(&t, NULL, "", TLS_NOW - 86400 * 200, DOCTOR_FAIL, "is not valid before 2026-07-19",
	         NULL);
	tls_case(&t, NULL, "", TLS_NOW + 86400 * 170, DOCTOR_WARN,
	         "expires on 2027-07-14 08:00:00 UTC, in 10 days", NULL);
	/* another name than the one used */
	t.names_asked = false;
	snprintf(t.asked, sizeof t.asked, "10.0.0.9");
	tls_case(&t, NULL, "", TLS_NOW, DOCTOR_FAIL,
	         "the certificate of https://10.0.0.1:8443 does not name '10.0.0.9'",
	         "names in the certificate: bay, bay.lan, 10.0.0.1 (CN bay)");
	tls_ok(&t);
	/* not the fingerprint given: both in evidence */
	pin[0] = 0x43;
	tls_case(&t, pin, "", TLS_NOW, DOCTOR_FAIL, "is not the one you were given (--fingerprint)",
	         "fingerprint you were given:     43:42:42");
	tls_case(&t, pin, "", TLS_NOW, DOCTOR_FAIL, "you were given",
	         "certificate SHA-256 fingerprint: 42:42:42");
	/* not the one netbay's health names: something in between */
	memset(pin, 0x11, sizeof pin);
	tls_fingerprint_fmt(pin, other);
	tls_case(&t, NULL, other, TLS_NOW, DOCTOR_FAIL,
	         "is not the one netbay says it serves: something in between",
	         "fingerprint netbay's health names: 11:11:11");
	/* no TLS there; TLS but not netbay */
	t.err = -EPROTO;
	snprintf(t.why, sizeof t.why, "what answers does not speak TLS (a plain HTTP port?)");
	tls_case(&t, NULL, "", TLS_NOW, DOCTOR_FAIL,
	         "no TLS at https://10.0.0.1:8443: what answers does not speak TLS", NULL);
	tls_ok(&t);
	t.health.netbay = false;
	t.health.status = 404;
	tls_case(&t, NULL, "", TLS_NOW, DOCTOR_FAIL, "does not answer as netbay: HTTP 404", NULL);
}

static void test_health_reads_tls(void **state)
{
	(void) state;
	struct doctor_health h;
	struct httpc_response resp = {.status = 200};
	char body[400];
	uint8_t fp[TLS_FP_LEN];
	memset(fp, 0xab, sizeof fp);
	char text[TLS_FP_STRLEN];
	tls_fingerprint_fmt(fp, text);
	snprintf(body, sizeof body,
	         "{\"name\":\"bay\",\"version\":\"0.1.0\",\"tls\":{\"fingerprint\":\"%s\","
	         "\"expires\":2000000000,\"port\":8443}}",
	         text);
	resp.body = body;
	resp.body_len = strlen(body);
	doctor_health_read(0, &resp, &h);
	assert_int_equal(h.tls_port, 8443);
	assert_string_equal(h.tls_fingerprint, text);
	/* hostile or absent: ignored */
	static const char *const bad[] = {
	        "{\"name\":\"bay\",\"version\":\"1\",\"tls\":null}",
	        "{\"name\":\"bay\",\"version\":\"1\",\"tls\":{\"fingerprint\":\"AB\",\"port\":1}}",
	        "{\"name\":\"bay\",\"version\":\"1\",\"tls\":{\"fingerprint\":5,\"port\":1}}",
	        "{\"name\":\"bay\",\"version\":\"1\",\"tls\":{\"port\":70000}}",
	        "{\"name\":\"bay\",\"version\":\"1\",\"tls\":[1,2]}",
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
		resp.body = (char *) bad[i];
		resp.body_len = strlen(bad[i]);
		doctor_health_read(0, &resp, &h);
		assert_true(h.netbay);
		assert_int_equal(h.tls_port, 0);
		assert_string_equal(h.tls_fingerprint, "");
	}
}

/* A health answer as a server gives it, read the way the doctor reads it. */
static void health_of(struct doctor_health *h, uint32_t addr, int status, const char *ctype,
                      const char *body)
{
	struct httpc_response resp = {
	        .status = status, .body = (char *) body, .body_len = strlen(body)};
	snprintf(resp.content_type, sizeof resp.content_type, "%s", ctype);
	*h = (struct doctor_health){.addr = addr, .port = 80};
	doctor_health_read(0, &resp, h);
}

#define NETBAY_HEALTH(name, inst)                                                                  \
	"{\"name\":\"" name "\",\"version\":\"0.1.0\",\"instance\":\"" inst                        \
	"\",\"time\":7,\"dhcp\":{\"mode\":\"full\"}}"

static void test_health_read(void **state)
{
	(void) state;
	struct doctor_health h;
	char line[DOCTOR_LINE_MAX];
	health_of(&h, 1, 200, "application/json", NETBAY_HEALTH("netbay", "00c0ffee"));
	assert_true(h.netbay);
	assert_string_equal(h.instance, "00c0ffee");
	assert_string_equal(h.dhcp_mode, "full");
	assert_int_equal(h.time, 7);
	doctor_health_describe(&h, line, sizeof line);
	assert_string_equal(line, "netbay 'netbay' 0.1.0 (instance 00c0ffee)");
	/* an older netbay: no instance, no mode */
	health_of(&h, 1, 200, "application/json", "{\"name\":\"netbay\",\"version\":\"0.0.9\"}");
	assert_true(h.netbay);
	assert_string_equal(h.instance, "");
	assert_string_equal(h.dhcp_mode, "");
	doctor_health_describe(&h, line, sizeof line);
	assert_string_equal(line, "netbay 'netbay' 0.0.9");
	/* hostile: wrong types, a mode that is not a string, a 500 with netbay's body */
	health_of(&h, 1, 200, "application/json",
	          "{\"name\":\"netbay\",\"version\":\"1\",\"instance\":7,\"dhcp\":\"full\"}");
	assert_true(h.netbay);
	assert_string_equal(h.instance, "");
	assert_string_equal(h.dhcp_mode, "");
	health_of(&h, 1, 500, "application/json", NETBAY_HEALTH("netbay", "1"));
	assert_false(h.netbay);
	health_of(&h, 1, 200, "text/html", "<html>router login</html>");
	assert_false(h.netbay);
	doctor_health_describe(&h, line, sizeof line);
	assert_string_equal(line, "an HTML page (HTTP 200)");
	doctor_health_read(-ECONNREFUSED, NULL, &h);
	doctor_health_describe(&h, line, sizeof line);
	assert_string_equal(line, "no answer (Connection refused)");
}

static void test_names_identity(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_lif l[] = {{"eth0", 2, 0x0a4d0032, 24, true, false}};
	/* the resolver says 10.77.0.9 (private, on our subnet); netbay is at 10.77.0.1 */
	struct doctor_resolver_answer lie[1] = {{.ns = 0, .addrs = {0x0a4d0009}, .n_addrs = 1}};
	struct doctor_health web, silent, nb, nb2;
	health_of(&web, 0x0a4d0009, 200, "text/html", "<html>It works</html>");
	doctor_health_read(-ECONNREFUSED, NULL, &silent);
	silent.addr = 0x0a4d0009;
	silent.port = 80;
	health_of(&nb, 0x0a4d0001, 200, "application/json", NETBAY_HEALTH("netbay", "aaaa"));
	health_of(&nb2, 0x0a4d0009, 200, "application/json", NETBAY_HEALTH("netbay", "bbbb"));
	struct doctor_ref ref = {
	        .addr = 0x0a4d0001, .confirmed = true, .hlth = &nb, .n_servers = 1};
	struct doctor_ref none = {.n_servers = 2};

	/* a web server that is not netbay: fails, with or without the DHCP offers */
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", lie, 1, &web, &none, "eth0", l, 1),
	                 0x0a4d0009);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_string_equal(r.finding, "netbay resolves to 10.77.0.9, but what answers there is "
	                               "not netbay: an HTML page (HTTP 200)");
	assert_true(has_evidence(&r, "no DHCP offer on eth0 leads to a netbay server (2 servers"));
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", lie, 1, &web, &ref, "eth0", l, 1),
	                 0x0a4d0001);
	assert_true(has_evidence(&r, "the checks below use 10.77.0.1"));
	assert_non_null(strstr(r.fix, "netbay is at 10.77.0.1"));
	/* nothing answers there: the DHCP offers tell, else the address class */
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", lie, 1, &silent, &ref, "eth0", l, 1),
	                 0x0a4d0001);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_string_equal(r.finding, "netbay resolves to 10.77.0.9, where nothing answers as "
	                               "netbay, but the netbay server the DHCP offers on eth0 "
	                               "lead to is 10.77.0.1");
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", lie, 1, &silent, &none, "eth0", l, 1),
	                 0x0a4d0009);
	assert_int_equal(r.status, DOCTOR_PASS);
	assert_true(
	        has_evidence(&r, "health at 10.77.0.9 port 80: no answer (Connection refused)"));
	/* an unconfirmed server from the offers does not outvote a silent address */
	struct doctor_ref guess = {.addr = 0x0a4d0001, .hlth = &silent, .n_servers = 1};
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", lie, 1, &silent, &guess, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_PASS);
	/* netbay answers: a routed private address passes (no address-class warning) */
	struct doctor_resolver_answer far[1] = {{.ns = 0, .addrs = {0xc0a80101}, .n_addrs = 1}};
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", far, 1, &nb, NULL, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_PASS);
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", far, 1, &silent, NULL, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_WARN);
	/* another netbay server than the one the offers lead to */
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", lie, 1, &nb2, &ref, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_non_null(strstr(r.finding, "another netbay server, 10.77.0.1 (instance aaaa)"));
	/* the same server on another of its addresses */
	struct doctor_health nb_same = nb;
	nb_same.addr = 0x0a4d0009;
	doctor_result_init(&r, "names");
	doctor_names_judge(&r, "netbay", lie, 1, &nb_same, &ref, "eth0", l, 1);
	assert_int_equal(r.status, DOCTOR_PASS);
	/* the name does not resolve: the offers give the address */
	struct doctor_resolver_answer nx[1] = {{.ns = 0, .rcode = 3}};
	doctor_result_init(&r, "names");
	assert_int_equal(doctor_names_judge(&r, "netbay", nx, 1, NULL, &guess, "eth0", l, 1),
	                 0x0a4d0001);
	assert_int_equal(r.status, DOCTOR_FAIL);
	assert_true(has_evidence(&r, "the DHCP offers on eth0 lead to 10.77.0.1: not confirmed "
	                             "as netbay, its health gives no answer"));
	assert_false(doctor_names_need_ref(0x0a4d0001, &nb));
	assert_true(doctor_names_need_ref(0x0a4d0009, &web));
	assert_true(doctor_names_need_ref(0, NULL));
}

static void test_ref_pick(void **state)
{
	(void) state;
	struct doctor_offer o[4] = {{.src = 0x0a4d0002,
	                             .server_id = 0x0a4d0002,
	                             .yiaddr = 0x0a4d0033,
	                             .mask = ~0u << 8},
	                            {.src = 0x0a4d0001,
	                             .server_id = 0x0a4d0001,
	                             .yiaddr = 0x0a4d0064,
	                             .mask = ~0u << 8},
	                            {.src = 0x0a4d0001, .server_id = 0x0a4d0001, .proxy = true},
	                            {.src = 0x0a4d0005, .proxy = true}};
	uint32_t s[4];
	assert_int_equal(doctor_ref_servers(o, 4, s, 4), 3);
	assert_int_equal(s[1], 0x0a4d0001);
	assert_int_equal(s[2], 0x0a4d0005);
	struct doctor_health web, silent, nb, other;
	health_of(&web, 0x0a4d0002, 200, "text/html", "<html>router</html>");
	doctor_health_read(-ENETUNREACH, NULL, &silent);
	health_of(&nb, 0x0a4d0001, 200, "application/json", NETBAY_HEALTH("netbay", "aaaa"));
	health_of(&other, 0x0a4d0005, 200, "application/json", NETBAY_HEALTH("lab", "cccc"));
	struct doctor_ref ref;
	/* netbay answers at one of them; named as asked beats another netbay */
	const struct doctor_health *h1[] = {&web, &other, &nb};
	struct doctor_offer swapped[3] = {o[0], o[3], o[1]};
	doctor_ref_pick(swapped, 3, "netbay.lan", h1, &ref);
	assert_int_equal(ref.addr, 0x0a4d0001);
	assert_true(ref.confirmed);
	assert_int_equal(ref.n_servers, 3);
	doctor_ref_pick(swapped, 3, "", h1, &ref);
	assert_int_equal(ref.addr, 0x0a4d0005); /* no name asked: the first netbay */
	/* none confirms: the only silent one, when the rest are something else */
	const struct doctor_health *h2[] = {&web, &silent, &web};
	doctor_ref_pick(o, 4, "netbay", h2, &ref);
	assert_int_equal(ref.addr, 0x0a4d0001);
	assert_false(ref.confirmed);
	const struct doctor_health *h3[] = {&silent, &silent, &web};
	doctor_ref_pick(o, 4, "netbay", h3, &ref);
	assert_int_equal(ref.addr, 0); /* two could be: neither is picked */
	doctor_ref_pick(o, 0, "netbay", h3, &ref);
	assert_int_equal(ref.addr, 0);
	assert_int_equal(ref.n_servers, 0);
}

static void test_reach_proxy_port(void **state)
{
	(void) state;
	struct doctor_result r;
	struct doctor_probe p[2] = {
	        {.service = "HTTP", .port = 80, .outcome = DOCTOR_REACH_OPEN, .ms = 1},
	        {.service = "proxyDHCP",
	         .udp = true,
	         .port = 4011,
	         .outcome = DOCTOR_REACH_REFUSED}};
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 2, "full");
	assert_int_equal(r.status, DOCTOR_PASS);
	assert_true(has_evidence(&r, "proxyDHCP 4011/udp: closed (ICMP port unreachable) (not "
	                             "used: the server's [dhcp] mode is full)"));
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 2, "off");
	assert_int_equal(r.status, DOCTOR_PASS);
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 2, "proxy");
	assert_int_equal(r.status, DOCTOR_WARN);
	assert_non_null(strstr(r.finding, "proxyDHCP port 4011/udp"));
	doctor_result_init(&r, "reach");
	doctor_reach_judge(&r, 0x0a4d0001, p, 2, ""); /* the mode unknown: as before */
	assert_int_equal(r.status, DOCTOR_WARN);
}

static void test_records_judge(void **state)
{
	(void) state;
	struct doctor_result r;
	const char *srv[] = {"_vlmcs._tcp.lan"};
	struct doctor_dns_answer ok = {.n = 1, .rr = {{.port = 1688, .name = "netbay.lan"}}};
	struct doctor_dns_answer nx = {.rcode = 3};
	struct doctor_dns_answer ptr = {.n = 1, .rr = {{.name = "netbay.lan"}}};
	struct doctor_dns_answer wrong = {.n = 1, .rr = {{.name = "printer.lan"}}};
	int e0 = 0;
	doctor_result_init(&r, "records");
	doctor_records_judge(&r, "netbay", 0x0a4d0001, srv, &ok, &e0, 1, &ptr, 0);
	assert_string_equal(r.finding, "1 SRV record found; 10.77.0.1 has reverse name netbay.lan");
	doctor_result_init(&r, "records");
	doctor_records_judge(&r, "netbay", 0x0a4d0001, srv, &nx, &e0, 1, &ptr, 0);
	assert_string_equal(r.finding, "_vlmcs._tcp.lan has no SRV record (NXDOMAIN)");
	doctor_result_init(&r, "records");
	doctor_records_judge(&r, "netbay", 0x0a4d0001, NULL, NULL, NULL, 0, &wrong, 0);
	assert_string_equal(r.finding, "the reverse name of 10.77.0.1 is printer.lan, not netbay");
	doctor_result_init(&r, "records");
	doctor_records_judge(&r, "netbay", 0x0a4d0001, NULL, NULL, NULL, 0, &nx, 0);
	assert_int_equal(r.status, DOCTOR_WARN);
}

static void test_resolv_and_routes(void **state)
{
	(void) state;
	struct doctor_resolv rv;
	doctor_resolv_parse("# c\nnameserver 10.0.0.1\nnameserver ::1\nnameserver bogus\n"
	                    "domain old\nsearch lan. corp.example\noptions ndots:2\n"
	                    "nameserver 10.0.0.2",
	                    &rv);
	assert_int_equal(rv.n_ns, 2);
	assert_int_equal(rv.ns[1], 0x0a000002);
	assert_int_equal(rv.n_search, 2);
	assert_string_equal(rv.search[0], "lan");
	doctor_resolv_parse("", &rv);
	assert_int_equal(rv.n_ns, 0);
	struct doctor_route rt[] = {{0, 0x0a000001, 0, 100, "eth0"},
	                            {0x0a000000, 0, 8, 0, "eth0"},
	                            {0x0a4d0000, 0, 24, 10, "eth1"},
	                            {0x0a4d0000, 0, 24, 5, "eth2"}};
	assert_string_equal(doctor_route_lookup(rt, 4, 0x0a4d0001)->ifname, "eth2");
	assert_int_equal(doctor_route_lookup(rt, 4, 0x0a010101)->prefix, 8);
	assert_int_equal(doctor_route_lookup(rt, 4, 0x08080808)->gw, 0x0a000001);
	assert_null(doctor_route_lookup(rt + 1, 1, 0x08080808));
}

static void test_only(void **state)
{
	(void) state;
	uint32_t m;
	char err[64];
	assert_int_equal(doctor_parse_only("names,http", &m, err, sizeof err), 0);
	assert_int_equal(m, 1u << DOCTOR_C_NAMES | 1u << DOCTOR_C_HTTP);
	assert_int_equal(doctor_parse_only("names,nam", &m, err, sizeof err), -EINVAL);
	assert_string_equal(err, "--only: no check named 'nam'");
	assert_int_equal(doctor_parse_only(",", &m, err, sizeof err), -EINVAL);
	assert_string_equal(doctor_checks[DOCTOR_C_RECORDS].name, "records");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_verdict_rises_only),
	        cmocka_unit_test(test_no_proxy_matching),
	        cmocka_unit_test(test_proxy_judge),
	        cmocka_unit_test(test_http_date),
	        cmocka_unit_test(test_clock_judge),
	        cmocka_unit_test(test_dns_answers),
	        cmocka_unit_test(test_dns_query),
	        cmocka_unit_test(test_dns_hostile),
	        cmocka_unit_test(test_tftp_request),
	        cmocka_unit_test(test_bootfile_judge),
	        cmocka_unit_test(test_arp),
	        cmocka_unit_test(test_addressing_judge),
	        cmocka_unit_test(test_names_judge),
	        cmocka_unit_test(test_dhcp_offers),
	        cmocka_unit_test(test_reach_judge),
	        cmocka_unit_test(test_http_judge),
	        cmocka_unit_test(test_tls_judge),
	        cmocka_unit_test(test_health_reads_tls),
	        cmocka_unit_test(test_health_read),
	        cmocka_unit_test(test_names_identity),
	        cmocka_unit_test(test_ref_pick),
	        cmocka_unit_test(test_reach_proxy_port),
	        cmocka_unit_test(test_records_judge),
	        cmocka_unit_test(test_resolv_and_routes),
	        cmocka_unit_test(test_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
