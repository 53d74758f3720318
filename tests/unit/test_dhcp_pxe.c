#include "unit.h"

#include <errno.h>

#include "dhcp/pxe.h"
#include "dhcp/wire.h"
#include "dhcp_pkt.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static struct dhcp_msg m;
static const struct boot_loaders PROFILE = {.file = {
                                                    [BOOT_BIOS] = "undionly.kpxe",
                                                    [BOOT_UEFI_X64] = "ipxe.efi",
                                                    [BOOT_UEFI_ARM64] = "ipxe-arm64.efi",
                                                    [BOOT_HTTP_X64] = "x64/ipxe.efi",
                                            }};
#define SRV 0x0a000001u

static int parse(struct pkt *p, struct pxe_client *c)
{
	pkt_end(p);
	assert_int_equal(dhcp_msg_parse(p->b, p->n, &m), 0);
	return pxe_client_parse(&m, c);
}

static void test_uefi_pxe(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003016", 32);
	pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, "\x00\x07", 2);
	uint8_t uuid[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	pkt_opt(&p, DHCP_OPT_UUID, uuid, sizeof uuid);
	assert_int_equal(parse(&p, &c), 0);
	assert_true(c.pxe);
	assert_false(c.ipxe);
	assert_int_equal(c.arch, 7);
	assert_true(c.has_uuid);
	assert_memory_equal(c.uuid, uuid + 1, 16);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), 0);
	assert_true(b.tftp);
	assert_string_equal(b.file, "ipxe.efi");
	assert_string_equal(b.vendor_class, "PXEClient");
	assert_string_equal(boot_arch_name(c.arch), "x64 UEFI");
}

static void test_bios_without_option_93(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient", 9);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(c.arch, -1);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), 0);
	assert_string_equal(b.file, "undionly.kpxe");
	/* the arch from the vendor class string when option 93 is missing */
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00011:UNDI:003016", 32);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(c.arch, 11);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), 0);
	assert_string_equal(b.file, "ipxe-arm64.efi");
}

static void test_ipxe_never_gets_the_loader(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, DHCP_OPT_USER_CLASS, "iPXE", 4);
	assert_int_equal(parse(&p, &c), 0);
	assert_true(c.ipxe);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 8080, &b), 0);
	assert_false(b.tftp);
	assert_string_equal(b.file, "http://10.0.0.1:8080/boot/52:54:00:12:34:56.ipxe");
	/* HTTP off: nothing, rather than the loader again (a boot loop) */
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 0, &b), -ENOENT);
	/* option 175 alone, and an RFC 3004 user class, also mark iPXE */
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_IPXE, "\x13\x01\x01", 3);
	assert_int_equal(parse(&p, &c), 0);
	assert_true(c.ipxe);
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_USER_CLASS,
	        "\x03"
	        "abc\x04"
	        "iPXE",
	        9);
	assert_int_equal(parse(&p, &c), 0);
	assert_true(c.ipxe);
}

static void test_uefi_http_gets_a_url(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001", 33);
	pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, "\x00\x10", 2);
	assert_int_equal(parse(&p, &c), 0);
	assert_true(c.http);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), 0);
	assert_string_equal(b.file, "http://10.0.0.1/x64/ipxe.efi");
	assert_string_equal(b.vendor_class, "HTTPClient");
	/* ARM64 HTTP has no loader in this profile */
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "HTTPClient", 10);
	pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, "\x00\x13", 2);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), -ENOENT);
	assert_non_null(strstr(b.why, "no loader"));
}

static void test_not_booting(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "MSFT 5.0", 8);
	assert_int_equal(parse(&p, &c), 0);
	assert_false(pxe_client_booting(&c));
}

static void test_hostile_options(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, "\x00", 1); /* odd length */
	assert_int_equal(parse(&p, &c), -EBADMSG);
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_UUID, "\x00\x01\x02", 3); /* too short */
	assert_int_equal(parse(&p, &c), -EBADMSG);
	uint8_t u[17] = {1}; /* type 1: not the SMBIOS UUID type */
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_UUID, u, sizeof u);
	assert_int_equal(parse(&p, &c), -EBADMSG);
	/* a vendor class whose Arch field runs off the end, or is not digits */
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:000", 18);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(c.arch, -1);
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:0x007", 20);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(c.arch, -1);
	/* an RFC 3004 user class entry claiming more than is there */
	pkt_init(&p, MAC, 1);
	pkt_opt(&p, DHCP_OPT_USER_CLASS, "\x09iPXE", 5);
	assert_int_equal(parse(&p, &c), 0);
	assert_false(c.ipxe);
}

static void test_options_in_reply(void **state)
{
	(void) state;
	struct pkt p;
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	uint8_t out[600];
	struct dhcp_msg r;
	pkt_init(&p, MAC, 1);
	pkt_type(&p, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient", 9);
	pkt_opt(&p, DHCP_OPT_PARAM_LIST, "\x01\x42\x43", 3);
	uint8_t uuid[17] = {0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
	pkt_opt(&p, DHCP_OPT_UUID, uuid, sizeof uuid);
	assert_int_equal(parse(&p, &c), 0);
	assert_int_equal(pxe_decide(&c, &PROFILE, &mac, SRV, 80, &b), 0);
	struct wbuf w = wbuf_init(out, sizeof out);
	dhcp_write_header(&w, &m, DHCP_BOOTREPLY, 0, 0, SRV, 0, NULL, b.file);
	pxe_put_options(&w, &m, &c, &b, SRV, false);
	dhcp_write_end(&w);
	assert_int_equal(dhcp_msg_parse(out, wbuf_len(&w), &r), 0);
	char s[64];
	assert_int_equal(dhcp_opt_str(&r, DHCP_OPT_VENDOR_CLASS, s, sizeof s), 9);
	assert_int_equal(dhcp_opt_str(&r, DHCP_OPT_TFTP_SERVER, s, sizeof s), 8);
	assert_string_equal(s, "10.0.0.1");
	assert_int_equal(dhcp_opt_str(&r, DHCP_OPT_BOOTFILE, s, sizeof s), 13);
	assert_memory_equal(dhcp_opt(&r, DHCP_OPT_UUID)->p, uuid, 17);
	assert_memory_equal(dhcp_opt(&r, DHCP_OPT_VENDOR)->p, "\x06\x01\x08\xff", 4);
	assert_string_equal((const char *) r.file, "undionly.kpxe");
	assert_int_equal(r.siaddr, SRV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_uefi_pxe),
	        cmocka_unit_test(test_bios_without_option_93),
	        cmocka_unit_test(test_ipxe_never_gets_the_loader),
	        cmocka_unit_test(test_uefi_http_gets_a_url),
	        cmocka_unit_test(test_not_booting),
	        cmocka_unit_test(test_hostile_options),
	        cmocka_unit_test(test_options_in_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
