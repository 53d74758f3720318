#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "dhcp/wire.h"
#include "dhcp_pkt.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static struct dhcp_msg m;

static void test_discover(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 0xdeadbeef);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_HOSTNAME, "pc1", 3);
	pkt_opt(&p, DHCP_OPT_PARAM_LIST, "\x01\x03\x06\x77", 4);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_int_equal(m.xid, 0xdeadbeef);
	assert_memory_equal(m.chaddr, MAC, 6);
	char host[8];
	assert_int_equal(dhcp_opt_str(&m, DHCP_OPT_HOSTNAME, host, sizeof host), 3);
	assert_string_equal(host, "pc1");
	assert_true(dhcp_opt_requested(&m, DHCP_OPT_SEARCH));
	assert_false(dhcp_opt_requested(&m, DHCP_OPT_NTP));
	assert_non_null(m.file);
	assert_non_null(m.sname);
}

static void test_option_overruns_packet(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	p.b[p.n++] = DHCP_OPT_HOSTNAME;
	p.b[p.n++] = 9; /* claims 9, has 1 */
	p.b[p.n++] = 'x';
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), -EBADMSG);
}

static void test_truncated_and_no_magic(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_end(&p);
	for (size_t n = 0; n < 240; n += 7)
		assert_int_equal(dhcp_msg_parse(p.b, n, &m), -EBADMSG);
	p.b[236] = 0;
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), -EBADMSG);
}

static void test_no_end_tolerated(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_REQUEST);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0); /* bytes ran out before END */
	assert_int_equal(m.type, DHCP_REQUEST);
}

static void test_overload_file_and_sname(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_OVERLOAD, "\x03", 1);
	pkt_end(&p);
	/* file (offset 108) holds option 12, then an overload that must be ignored */
	memcpy(p.b + 108, "\x0c\x02hi\x34\x01\x03\xff", 8);
	/* sname (offset 44) holds option 60 */
	memcpy(p.b + 44, "\x3c\x03PXE\xff", 6);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_null(m.file);
	assert_null(m.sname);
	char buf[16];
	assert_int_equal(dhcp_opt_str(&m, DHCP_OPT_HOSTNAME, buf, sizeof buf), 2);
	assert_int_equal(dhcp_opt_str(&m, DHCP_OPT_VENDOR_CLASS, buf, sizeof buf), 3);
	assert_string_equal(buf, "PXE");
	/* an option in file running past file's 128 bytes is an error */
	memcpy(p.b + 108 + 120, "\x0c\x20", 2);
	memset(p.b + 108, 0, 120);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), -EBADMSG);
}

static void test_concatenation(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_HOSTNAME, "abc", 3);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_HOSTNAME, "def", 3);
	pkt_opt(&p, DHCP_OPT_HOSTNAME, "gh", 2);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	char buf[16];
	assert_int_equal(dhcp_opt_str(&m, DHCP_OPT_HOSTNAME, buf, sizeof buf), 8);
	assert_string_equal(buf, "abcdefgh");
}

static void test_concatenation_bounded(void **state)
{
	(void) state;
	struct pkt p;
	pkt_init(&p, MAC, 1);
	/* one option in 1-byte pieces: appended in place, linear */
	size_t pieces = 0;
	while (p.n + 3 < sizeof p.b) {
		pkt_opt(&p, 43, "x", 1);
		pieces++;
	}
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(dhcp_opt(&m, 43)->len, pieces);
	/* two options interleaved: each repeat moves a growing body; bounded */
	pkt_init(&p, MAC, 1);
	while (p.n + 6 < sizeof p.b) {
		pkt_opt(&p, 43, "x", 1);
		pkt_opt(&p, 60, "y", 1);
	}
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), -EBADMSG);
}

/* fuzz corpus split-option-roundtrip: an 840-byte option written as four
 * instances must parse back (it once overflowed the concatenation buffer) */
static void test_long_option_roundtrip(void **state)
{
	(void) state;
	struct pkt p;
	uint8_t out[1500], body[840];
	struct dhcp_msg back;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	struct wbuf b = wbuf_init(out, sizeof out);
	memset(body, 0xd2, sizeof body);
	dhcp_write_header(&b, &m, DHCP_BOOTREQUEST, 0, 0, 0, 0, NULL, NULL);
	dhcp_put_opt(&b, 210, body, sizeof body);
	dhcp_write_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(dhcp_msg_parse(out, wbuf_len(&b), &back), 0);
	assert_int_equal(dhcp_opt(&back, 210)->len, 840);
	assert_memory_equal(dhcp_opt(&back, 210)->p, body, 840);
}

static void test_fixed_lengths(void **state)
{
	(void) state;
	struct pkt p;
	uint32_t v;
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_MSG_TYPE, "\x01\x02", 2); /* type must be 1 byte */
	pkt_opt(&p, DHCP_OPT_SERVER_ID, "\x0a\x00\x00", 3);
	pkt_opt(&p, DHCP_OPT_MAX_SIZE, "\x05", 1);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(m.type, 0);
	assert_int_equal(dhcp_opt_u32(&m, DHCP_OPT_SERVER_ID, &v), -EBADMSG);
	assert_int_equal(dhcp_opt_u32(&m, DHCP_OPT_REQUESTED_IP, &v), -ENOENT);
	uint16_t s;
	assert_int_equal(dhcp_opt_u16(&m, DHCP_OPT_MAX_SIZE, &s), -EBADMSG);
}

static void test_fqdn(void **state)
{
	(void) state;
	struct pkt p;
	char buf[64];
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_FQDN, "\x05\x00\x00\x02pc\x03lan\x00", 11); /* E bit: wire form */
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(dhcp_opt_fqdn(&m, buf, sizeof buf), 6);
	assert_string_equal(buf, "pc.lan");
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_FQDN, "\x00\x00\x00pc.lan", 9); /* ASCII */
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(dhcp_opt_fqdn(&m, buf, sizeof buf), 6);
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_FQDN, "\x04\x00\x00\x50pc", 6); /* label length 80 */
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(dhcp_opt_fqdn(&m, buf, sizeof buf), -EBADMSG);
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_FQDN, "\x04\x00\x00\x09pc", 6); /* label past the option */
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	assert_int_equal(dhcp_opt_fqdn(&m, buf, sizeof buf), -EBADMSG);
}

static void test_writer(void **state)
{
	(void) state;
	struct pkt p;
	uint8_t out[1500];
	pkt_init(&p, MAC, 7);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &m), 0);
	struct wbuf b = wbuf_init(out, sizeof out);
	dhcp_write_header(&b, &m, DHCP_BOOTREPLY, 0, 0x0a000064, 0, 0, NULL, "boot.efi");
	dhcp_put_u8(&b, DHCP_OPT_MSG_TYPE, DHCP_OFFER);
	char big[300];
	memset(big, 'a', sizeof big);
	dhcp_put_opt(&b, 43, big, sizeof big); /* split: 255 + 45 */
	const char search[2][254] = {"lan", "corp.example"};
	dhcp_put_search(&b, search, 2);
	struct dhcp_route r = {0x0a080000, 0x0a000001, 16};
	dhcp_put_routes(&b, &r, 1);
	dhcp_write_end(&b);
	assert_int_equal(b.err, 0);
	struct dhcp_msg back;
	assert_int_equal(dhcp_msg_parse(out, wbuf_len(&b), &back), 0);
	assert_int_equal(back.op, DHCP_BOOTREPLY);
	assert_int_equal(back.yiaddr, 0x0a000064);
	assert_int_equal(back.xid, 7);
	assert_string_equal((const char *) back.file, "boot.efi");
	assert_int_equal(dhcp_opt(&back, 43)->len, 300);
	const struct dhcp_opt_view *s = dhcp_opt(&back, DHCP_OPT_SEARCH);
	assert_int_equal(s->len, 5 + 14);
	assert_memory_equal(s->p,
	                    "\x03lan\x00\x04"
	                    "corp\x07"
	                    "example\x00",
	                    19);
	const struct dhcp_opt_view *rt = dhcp_opt(&back, DHCP_OPT_CLASSLESS_ROUTE);
	assert_int_equal(rt->len, 1 + 2 + 4); /* /16: two significant octets */
	assert_memory_equal(rt->p, "\x10\x0a\x08\x0a\x00\x00\x01", 7);
	/* never a truncated packet */
	b = wbuf_init(out, 400);
	dhcp_write_header(&b, &m, DHCP_BOOTREPLY, 0, 0, 0, 0, NULL, NULL);
	dhcp_put_opt(&b, 43, big, sizeof big);
	dhcp_write_end(&b);
	assert_int_equal(b.err, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_discover),
	        cmocka_unit_test(test_option_overruns_packet),
	        cmocka_unit_test(test_truncated_and_no_magic),
	        cmocka_unit_test(test_no_end_tolerated),
	        cmocka_unit_test(test_overload_file_and_sname),
	        cmocka_unit_test(test_concatenation),
	        cmocka_unit_test(test_concatenation_bounded),
	        cmocka_unit_test(test_long_option_roundtrip),
	        cmocka_unit_test(test_fixed_lengths),
	        cmocka_unit_test(test_fqdn),
	        cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
