/* The DNS codec: queries read from hand-written packets (good and hostile),
 * names with compression, and the writer's compression. */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "dns/wire.h"

/* clang-format off */
#define HDR(id, flags, qd, an, ns, ar)                                                             \
	(id) >> 8, (id) & 0xff, (flags) >> 8, (flags) & 0xff, 0, qd, 0, an, 0, ns, 0, ar
/* clang-format on */

static void test_query_with_edns(void **state)
{
	(void) state;
	/* clang-format off */
	static const uint8_t raw[] = {
	        HDR(0x1234, 0x0110, 1, 0, 0, 1),
	        3, 'W', 'w', 'W', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	        /* OPT: root, type 41, 4096, ext 0, version 0, DO, one unknown option */
	        0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0x00, 0, 6, 0xfe, 0xed, 0, 2, 'h', 'i',
	};
	/* clang-format on */
	struct dns_query q;
	assert_int_equal(dns_query_parse(raw, sizeof raw, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.flags & DNS_F_RD);
	assert_true(q.flags & DNS_F_CD);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_int_equal(q.qclass, DNS_C_IN);
	assert_int_equal(q.qname.len, 13);
	assert_int_equal(q.qname.n_labels, 2);
	assert_memory_equal(q.qname.b, "\3WwW\7Example", 13);
	assert_memory_equal(q.lname, "\3www\7example", 13);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_udp, 4096);
}

static void test_query_without_edns_and_small_payload(void **state)
{
	(void) state;
	static const uint8_t plain[] = {HDR(1, 0x0100, 1, 0, 0, 0), 1, 'a', 0, 0, 28, 0, 1};
	struct dns_query q;
	assert_int_equal(dns_query_parse(plain, sizeof plain, &q), 0);
	assert_false(q.edns);
	assert_int_equal(q.edns_udp, 512);
	/* RFC 6891 6.2.5: a payload size below 512 counts as 512 */
	/* clang-format off */
	static const uint8_t small[] = {HDR(1, 0x0100, 1, 0, 0, 1), 1, 'a', 0, 0, 1, 0, 1,
	                                0, 0, 41, 0, 100, 0, 0, 0, 0, 0, 0};
	/* clang-format on */
	assert_int_equal(dns_query_parse(small, sizeof small, &q), 0);
	assert_int_equal(q.edns_udp, 512);
}

static void test_drops(void **state)
{
	(void) state;
	struct dns_query q;
	static const uint8_t short_hdr[] = {0, 1, 0, 0, 0, 1};
	assert_int_equal(dns_query_parse(short_hdr, sizeof short_hdr, &q), -EBADMSG);
	static const uint8_t response[] = {HDR(1, 0x8180, 1, 0, 0, 0), 1, 'a', 0, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(response, sizeof response, &q), -EBADMSG);
}

static void test_opcode_and_version(void **state)
{
	(void) state;
	struct dns_query q;
	static const uint8_t notify[] = {HDR(1, 0x2000, 1, 0, 0, 0), 1, 'a', 0, 0, 6, 0, 1};
	assert_int_equal(dns_query_parse(notify, sizeof notify, &q), DNS_R_NOTIMP);
	assert_true(q.has_question);
	static const uint8_t status_noq[] = {HDR(1, 0x1000, 0, 0, 0, 0)};
	assert_int_equal(dns_query_parse(status_noq, sizeof status_noq, &q), DNS_R_NOTIMP);
	assert_false(q.has_question);
	/* clang-format off */
	static const uint8_t v1[] = {HDR(1, 0x0100, 1, 0, 0, 1), 1, 'a', 0, 0, 1, 0, 1,
	                             0, 0, 41, 4, 0, 0, 1, 0, 0, 0, 0};
	/* clang-format on */
	assert_int_equal(dns_query_parse(v1, sizeof v1, &q), DNS_R_BADVERS);
	assert_true(q.edns);
	assert_int_equal(q.edns_version, 1);
	/* Z and unknown flag bits do not matter */
	static const uint8_t z[] = {HDR(1, 0x0170, 1, 0, 0, 0), 1, 'a', 0, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(z, sizeof z, &q), 0);
}

static void test_formerr(void **state)
{
	(void) state;
	struct dns_query q;
	static const uint8_t no_question[] = {HDR(1, 0x0100, 0, 0, 0, 0)};
	assert_int_equal(dns_query_parse(no_question, sizeof no_question, &q), DNS_R_FORMERR);
	/* clang-format off */
	static const uint8_t two_questions[] = {HDR(1, 0x0100, 2, 0, 0, 0), 1, 'a', 0, 0, 1, 0, 1,
	                                        1, 'b', 0, 0, 1, 0, 1};
	/* clang-format on */
	assert_int_equal(dns_query_parse(two_questions, sizeof two_questions, &q), DNS_R_FORMERR);
	/* counts that lie: 3 answers promised, none present */
	static const uint8_t liar[] = {HDR(1, 0x0100, 1, 3, 0, 0), 1, 'a', 0, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(liar, sizeof liar, &q), DNS_R_FORMERR);
	/* question cut short */
	static const uint8_t cut[] = {HDR(1, 0x0100, 1, 0, 0, 0), 1, 'a', 0, 0, 1, 0};
	assert_int_equal(dns_query_parse(cut, sizeof cut, &q), DNS_R_FORMERR);
	/* two OPT records */
	/* clang-format off */
	static const uint8_t two_opt[] = {HDR(1, 0x0100, 1, 0, 0, 2), 1, 'a', 0, 0, 1, 0, 1,
	                                  0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0,
	                                  0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
	/* clang-format on */
	assert_int_equal(dns_query_parse(two_opt, sizeof two_opt, &q), DNS_R_FORMERR);
	/* OPT with an owner name */
	/* clang-format off */
	static const uint8_t opt_owner[] = {HDR(1, 0x0100, 1, 0, 0, 1), 1, 'a', 0, 0, 1, 0, 1,
	                                    1, 'x', 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
	/* clang-format on */
	assert_int_equal(dns_query_parse(opt_owner, sizeof opt_owner, &q), DNS_R_FORMERR);
	/* OPT in the answer section */
	/* clang-format off */
	static const uint8_t opt_an[] = {HDR(1, 0x0100, 1, 1, 0, 0), 1, 'a', 0, 0, 1, 0, 1,
	                                 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
	/* clang-format on */
	assert_int_equal(dns_query_parse(opt_an, sizeof opt_an, &q), DNS_R_FORMERR);
	/* an option whose length runs past the rdata */
	/* clang-format off */
	static const uint8_t opt_bad[] = {HDR(1, 0x0100, 1, 0, 0, 1), 1, 'a', 0, 0, 1, 0, 1,
	                                  0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 9, 'x'};
	/* clang-format on */
	assert_int_equal(dns_query_parse(opt_bad, sizeof opt_bad, &q), DNS_R_FORMERR);
}

static void test_hostile_names(void **state)
{
	(void) state;
	struct dns_query q;
	/* a pointer to itself */
	static const uint8_t self[] = {HDR(1, 0x0100, 1, 0, 0, 0), 0xc0, 12, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(self, sizeof self, &q), DNS_R_FORMERR);
	/* a label then a pointer back to that label: a loop */
	static const uint8_t loop[] = {HDR(1, 0x0100, 1, 0, 0, 0), 1, 'a', 0xc0, 12, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(loop, sizeof loop, &q), DNS_R_FORMERR);
	/* a pointer forward and one past the end */
	static const uint8_t fwd[] = {HDR(1, 0x0100, 1, 0, 0, 0), 0xc0, 16, 0, 1, 0, 1, 1, 'a', 0};
	assert_int_equal(dns_query_parse(fwd, sizeof fwd, &q), DNS_R_FORMERR);
	static const uint8_t past[] = {HDR(1, 0x0100, 1, 0, 0, 0), 0xff, 0xff, 0, 1, 0, 1};
	assert_int_equal(dns_query_parse(past, sizeof past, &q), DNS_R_FORMERR);
	/* a label of 64 (type bits 01) and one that claims more bytes than there are */
	uint8_t big[12 + 1 + 64 + 5] = {HDR(1, 0x0100, 1, 0, 0, 0), 64};
	memset(big + 13, 'x', 64);
	assert_int_equal(dns_query_parse(big, sizeof big, &q), DNS_R_FORMERR);
	static const uint8_t overrun[] = {HDR(1, 0x0100, 1, 0, 0, 0), 20, 'a', 'b'};
	assert_int_equal(dns_query_parse(overrun, sizeof overrun, &q), DNS_R_FORMERR);
	/* a name of 256 bytes: 4 labels of 63 and the root */
	uint8_t longname[12 + 4 * 64 + 1 + 4] = {HDR(1, 0x0100, 1, 0, 0, 0)};
	for (int i = 0; i < 4; i++) {
		longname[12 + i * 64] = 63;
		memset(longname + 12 + i * 64 + 1, 'y', 63);
	}
	assert_int_equal(dns_query_parse(longname, sizeof longname, &q), DNS_R_FORMERR);
	/* 255 exactly is fine: 3 labels of 63, one of 61, the root */
	uint8_t maxname[12 + 255 + 4] = {HDR(1, 0x0100, 1, 0, 0, 0)};
	size_t o = 12;
	for (int i = 0; i < 4; i++) {
		uint8_t l = i < 3 ? 63 : 61;
		maxname[o++] = l;
		memset(maxname + o, 'z', l);
		o += l;
	}
	maxname[o++] = 0;
	maxname[o + 1] = 1;
	maxname[o + 3] = 1;
	assert_int_equal(dns_query_parse(maxname, sizeof maxname, &q), 0);
	assert_int_equal(q.qname.len, 255);
}

static void test_pointer_chain(void **state)
{
	(void) state;
	/* answer owners: example.com at 12, www -> 12 at 29, a -> 29: the chain a.www.example.com */
	/* clang-format off */
	static const uint8_t msg[] = {
	        HDR(7, 0x8180, 1, 2, 0, 0),
	        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1, /* 12..28 */
	        3, 'w', 'w', 'w', 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1, /* 29 */
	        1, 'a', 0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2,
	};
	/* clang-format on */
	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t id, flags, qt, qc;
	char text[300];
	assert_int_equal(dns_msg_begin(&it, msg, sizeof msg, &id, &flags, &qn, &qt, &qc), 0);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	assert_string_equal(dns_name_to_text(rr.owner.b, text, sizeof text), "www.example.com");
	assert_int_equal(rr.ttl, 60);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	assert_string_equal(dns_name_to_text(rr.owner.b, text, sizeof text), "a.www.example.com");
	assert_int_equal(rr.owner.n_labels, 4);
	assert_int_equal(dns_msg_next(&it, &rr), 0);
}

static void test_response_questions_any_count(void **state)
{
	(void) state;
	struct dns_header h;
	struct dns_msg_iter it;
	struct dns_rr rr;
	/* REFUSED with no question: dns_msg_begin refuses it, a client still reads the rcode */
	static const uint8_t refused[] = {HDR(9, 0x8185, 0, 0, 0, 0)};
	assert_int_equal(dns_header_read(refused, sizeof refused, &h), 0);
	assert_int_equal(h.id, 9);
	assert_int_equal(h.flags & DNS_F_RCODE, DNS_R_REFUSED);
	assert_int_equal(h.counts[0], 0);
	assert_int_equal(dns_msg_skip_questions(&it, refused, sizeof refused), 0);
	assert_int_equal(dns_msg_next(&it, &rr), 0);
	/* two questions, the second compressed to the first, then an answer */
	/* clang-format off */
	static const uint8_t two[] = {
	        HDR(9, 0x8180, 2, 1, 0, 0),
	        1, 'a', 3, 'l', 'a', 'n', 0, 0, 1, 0, 1,      /* 12 */
	        1, 'b', 0xc0, 14, 0, 1, 0, 1,                 /* 23: b.lan */
	        0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
	};
	/* clang-format on */
	char text[300];
	assert_int_equal(dns_msg_skip_questions(&it, two, sizeof two), 0);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	assert_int_equal(rr.section, DNS_SEC_AN);
	assert_int_equal(rr.type, DNS_T_A);
	assert_string_equal(dns_name_to_text(rr.owner.b, text, sizeof text), "a.lan");
	assert_int_equal(dns_msg_next(&it, &rr), 0);
	/* a question cut short, one pointing forward, a count that lies; the header still reads */
	static const uint8_t cut[] = {HDR(9, 0x8180, 1, 0, 0, 0), 1, 'a', 0, 0, 1, 0};
	static const uint8_t fwd[] = {HDR(9, 0x8180, 1, 0, 0, 0), 0xc0, 18, 0, 1, 0, 1, 0};
	static const uint8_t lies[] = {HDR(9, 0x8180, 2, 0, 0, 0), 1, 'a', 0, 0, 1, 0, 1};
	assert_int_equal(dns_msg_skip_questions(&it, cut, sizeof cut), -EBADMSG);
	assert_int_equal(dns_msg_skip_questions(&it, fwd, sizeof fwd), -EBADMSG);
	assert_int_equal(dns_msg_skip_questions(&it, lies, sizeof lies), -EBADMSG);
	assert_int_equal(dns_header_read(cut, sizeof cut, &h), 0);
	assert_int_equal(h.id, 9);
	/* shorter than a header */
	assert_int_equal(dns_header_read(refused, DNS_HDR_LEN - 1, &h), -EBADMSG);
	assert_int_equal(dns_msg_skip_questions(&it, refused, DNS_HDR_LEN - 1), -EBADMSG);
}

static void test_writer_compresses(void **state)
{
	(void) state;
	uint8_t buf[512], www[DNS_NAME_MAX], mail[DNS_NAME_MAX], com[DNS_NAME_MAX];
	struct dns_writer w;
	assert_int_equal(dns_name_from_text("www.Example.com", www), 17);
	assert_int_equal(dns_name_from_text("mail.Example.com.", mail), 18);
	assert_int_equal(dns_name_from_text("com", com), 5);
	dns_writer_init(&w, buf, sizeof buf);
	dns_write_header(&w, 9, 0x8400);
	dns_write_question(&w, www, DNS_T_MX, DNS_C_IN);
	size_t rd = dns_rr_begin(&w, DNS_SEC_AN, www, DNS_T_MX, DNS_C_IN, 300);
	assert_int_equal(buf[33], 0xc0); /* the owner points at the question */
	assert_int_equal(buf[34], 12);
	wbuf_u16(&w.b, 10);
	dns_write_name(&w, mail, true);
	dns_rr_end(&w, DNS_SEC_AN, rd);
	int len = dns_writer_finish(&w);
	/* 12 + 17 + 4 question, 2 + 10 rr header, 2 + "mail" 5 + pointer 2 */
	assert_int_equal(len, 12 + 21 + 12 + 2 + 5 + 2);
	assert_int_equal(buf[len - 2], 0xc0);
	assert_int_equal(buf[len - 1], 16); /* example.com inside the question */

	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t id, flags, qt, qc;
	char text[300];
	assert_int_equal(dns_msg_begin(&it, buf, (size_t) len, &id, &flags, &qn, &qt, &qc), 0);
	assert_int_equal(id, 9);
	assert_int_equal(qt, DNS_T_MX);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	struct wire r = rr.rdata;
	assert_int_equal(wire_u16(&r), 10);
	struct dns_name target;
	assert_int_equal(dns_name_read(&r, &target), 0);
	assert_string_equal(dns_name_to_text(target.b, text, sizeof text), "mail.Example.com");

	/* copying that record into another message decompresses and recompresses its rdata */
	uint8_t out[512];
	struct dns_writer w2;
	dns_writer_init(&w2, out, sizeof out);
	dns_write_header(&w2, 1, 0);
	dns_write_question(&w2, com, DNS_T_A, DNS_C_IN);
	size_t rd2 = dns_rr_begin(&w2, DNS_SEC_AN, rr.owner.b, rr.type, rr.cls, rr.ttl);
	dns_write_rdata(&w2, &rr);
	dns_rr_end(&w2, DNS_SEC_AN, rd2);
	int len2 = dns_writer_finish(&w2);
	assert_true(len2 > 0);
	assert_int_equal(dns_msg_begin(&it, out, (size_t) len2, &id, &flags, &qn, &qt, &qc), 0);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	r = rr.rdata;
	assert_int_equal(wire_u16(&r), 10);
	assert_int_equal(dns_name_read(&r, &target), 0);
	assert_string_equal(dns_name_to_text(target.b, text, sizeof text), "mail.Example.com");
	assert_int_equal(wire_left(&r), 0);
}

static void test_writer_compresses_exact_case_only(void **state)
{
	(void) state;
	uint8_t buf[512], q[DNS_NAME_MAX], a[DNS_NAME_MAX];
	struct dns_writer w;
	dns_name_from_text("HOST.lan", q);
	dns_name_from_text("host.lan", a);
	dns_writer_init(&w, buf, sizeof buf);
	dns_write_header(&w, 1, 0);
	dns_write_question(&w, q, DNS_T_A, DNS_C_IN);
	size_t before = wbuf_len(&w.b);
	dns_write_name(&w, a, true);
	/* "host" in full, then a pointer to "lan" */
	assert_int_equal(wbuf_len(&w.b) - before, 5 + 2);
	assert_memory_equal(buf + before, "\4host\xc0\x11", 7);
}

static void test_writer_runs_out_of_room(void **state)
{
	(void) state;
	uint8_t buf[40], name[DNS_NAME_MAX];
	struct dns_writer w;
	dns_name_from_text("a-rather-long-label.example", name);
	dns_writer_init(&w, buf, sizeof buf);
	dns_write_header(&w, 1, 0);
	dns_write_question(&w, name, DNS_T_A, DNS_C_IN);
	size_t rd = dns_rr_begin(&w, DNS_SEC_AN, name, DNS_T_A, DNS_C_IN, 1);
	wbuf_u32(&w.b, 0x0a000001);
	dns_rr_end(&w, DNS_SEC_AN, rd);
	assert_int_equal(dns_writer_finish(&w), -ENOSPC);
}

static void test_rdata_that_lies(void **state)
{
	(void) state;
	/* an MX whose rdata holds the preference only */
	/* clang-format off */
	static const uint8_t msg[] = {HDR(7, 0x8180, 1, 1, 0, 0), 1, 'a', 0, 0, 15, 0, 1,
	                              0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 2, 0, 10};
	/* clang-format on */
	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t id, flags, qt, qc;
	assert_int_equal(dns_msg_begin(&it, msg, sizeof msg, &id, &flags, &qn, &qt, &qc), 0);
	assert_int_equal(dns_msg_next(&it, &rr), 1);
	uint8_t out[512];
	struct dns_writer w;
	dns_writer_init(&w, out, sizeof out);
	dns_write_header(&w, 1, 0);
	dns_write_rdata(&w, &rr);
	assert_int_equal(dns_writer_finish(&w), -EBADMSG);
}

static void test_name_text(void **state)
{
	(void) state;
	uint8_t n[DNS_NAME_MAX];
	char text[300];
	assert_int_equal(dns_name_from_text(".", n), 1);
	assert_string_equal(dns_name_to_text(n, text, sizeof text), ".");
	assert_int_equal(dns_name_from_text("a..b", n), -EINVAL);
	char label[70];
	memset(label, 'q', 64);
	label[64] = 0;
	assert_int_equal(dns_name_from_text(label, n), -EINVAL);
	static const uint8_t odd[] = {3, 'a', '.', ' ', 0};
	assert_string_equal(dns_name_to_text(odd, text, sizeof text), "a\\046\\032");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_query_with_edns),
	        cmocka_unit_test(test_query_without_edns_and_small_payload),
	        cmocka_unit_test(test_drops),
	        cmocka_unit_test(test_opcode_and_version),
	        cmocka_unit_test(test_formerr),
	        cmocka_unit_test(test_hostile_names),
	        cmocka_unit_test(test_pointer_chain),
	        cmocka_unit_test(test_response_questions_any_count),
	        cmocka_unit_test(test_writer_compresses),
	        cmocka_unit_test(test_writer_compresses_exact_case_only),
	        cmocka_unit_test(test_writer_runs_out_of_room),
	        cmocka_unit_test(test_rdata_that_lies),
	        cmocka_unit_test(test_name_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
