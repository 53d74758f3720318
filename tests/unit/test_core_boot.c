/* core/boot: architectures, families, names and the loader table. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/boot.h"
#include "core/util.h"

static void test_arch_names(void **state)
{
	(void) state;
	assert_string_equal(boot_arch_name(-1), "unknown");
	assert_string_equal(boot_arch_name(0), "x86 BIOS");
	assert_string_equal(boot_arch_name(7), "x64 UEFI");
	assert_string_equal(boot_arch_name(9), "x64 UEFI");
	assert_string_equal(boot_arch_name(19), "ARM64 UEFI HTTP");
	assert_string_equal(boot_arch_name(3), "other");
	assert_string_equal(boot_arch_name(20), "other");
	assert_string_equal(boot_arch_name(65535), "other");
	/* running text says what the two without a name are */
	assert_string_equal(boot_arch_phrase(-1), "unknown architecture");
	assert_string_equal(boot_arch_phrase(3), "other architecture");
	assert_string_equal(boot_arch_phrase(16), "x64 UEFI HTTP");
	assert_false(boot_arch_named(-1));
	assert_true(boot_arch_named(10));
}

static void test_families(void **state)
{
	(void) state;
	assert_int_equal(boot_arch_family(0), BOOT_FAMILY_BIOS);
	assert_int_equal(boot_arch_family(15), BOOT_FAMILY_UEFI_IA32);
	assert_int_equal(boot_arch_family(9), BOOT_FAMILY_UEFI_X64);
	assert_int_equal(boot_arch_family(19), BOOT_FAMILY_UEFI_ARM64);
	assert_int_equal(boot_arch_family(10), BOOT_FAMILY_UNKNOWN); /* ARM32: no loader slot */
	assert_int_equal(boot_arch_family(-1), BOOT_FAMILY_UNKNOWN);
	assert_true(boot_arch_http(16));
	assert_false(boot_arch_http(7));
}

/* One decision for the PXE reply and the rules: the slot per family and
 * transport, none for HTTP on BIOS and IA32. */
static void test_loader_table(void **state)
{
	(void) state;
	struct boot_loaders l = {0};
	for (int i = 0; i < BOOT_SLOTS; i++)
		snprintf(l.file[i], sizeof l.file[i], "%s.file", boot_slot_key(i));
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_BIOS, false), "bios.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_BIOS, true), "");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_IA32, false), "uefi-ia32.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_IA32, true), "");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_X64, false), "uefi-x64.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_X64, true), "http-x64.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_ARM64, false), "uefi-arm64.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UEFI_ARM64, true), "http-arm64.file");
	assert_string_equal(boot_loader(&l, BOOT_FAMILY_UNKNOWN, false), "");
	assert_string_equal(boot_loader(NULL, BOOT_FAMILY_BIOS, false), "");
	assert_string_equal(boot_family_key(BOOT_FAMILY_UEFI_IA32, true), "uefi-ia32");
	assert_string_equal(boot_family_key(BOOT_FAMILY_UEFI_X64, true), "http-x64");
	assert_string_equal(boot_family_key(BOOT_FAMILY_UNKNOWN, false),
	                    "the key for its firmware");

	struct boot_loaders over = {0};
	strcpy(over.file[BOOT_UEFI_X64], "mine.efi");
	boot_loaders_overlay(&l, &over);
	assert_string_equal(l.file[BOOT_UEFI_X64], "mine.efi");
	assert_string_equal(l.file[BOOT_BIOS], "bios.file"); /* "" inherits */
}

static void test_file_path(void **state)
{
	(void) state;
	assert_string_equal(boot_file_path("http://10.0.0.1:8080/x64/ipxe.efi"), "x64/ipxe.efi");
	assert_string_equal(boot_file_path("HTTPS://host"), "");
	assert_string_equal(boot_file_path("//undionly.kpxe"), "undionly.kpxe");
}

static void test_loader_kinds(void **state)
{
	(void) state;
	static const struct {
		const char *file;
		enum boot_file_kind kind;
	} cases[] = {
	        {"undionly.kpxe", BOOT_FILE_BIOS},
	        {"ipxe.pxe", BOOT_FILE_BIOS},
	        {"pxelinux.0", BOOT_FILE_BIOS},
	        {"bios/lpxelinux.0", BOOT_FILE_BIOS},
	        {"pxeboot.com", BOOT_FILE_BIOS},
	        {"undionly.KKPXE", BOOT_FILE_BIOS},
	        {"ipxe.efi", BOOT_FILE_UEFI},
	        {"snponly.efi", BOOT_FILE_UEFI},
	        {"linux64.efi", BOOT_FILE_UEFI}, /* "x64" inside a word is no arch */
	        {"EFI/BOOT/BOOTX64.EFI", BOOT_FILE_UEFI_X64},
	        {"shimx64.efi", BOOT_FILE_UEFI_X64},
	        {"ipxe-x86_64.efi", BOOT_FILE_UEFI_X64},
	        {"amd64/grubx64.efi", BOOT_FILE_UEFI_X64},
	        {"grubaa64.efi", BOOT_FILE_UEFI_ARM64},
	        {"arm64/ipxe.efi", BOOT_FILE_UEFI_ARM64},
	        {"snp-aarch64.efi", BOOT_FILE_UEFI_ARM64},
	        {"bootia32.efi", BOOT_FILE_UEFI_IA32},
	        {"http://10.0.0.1/i386/ipxe.efi", BOOT_FILE_UEFI_IA32},
	        {"ipxe-x64-snp.efi", BOOT_FILE_UEFI_X64},
	        {"x64debug.efi", BOOT_FILE_UEFI}, /* a token ends at a non-alphanumeric */
	        {"vmlinuz", BOOT_FILE_UNKNOWN},
	        {"boot.img", BOOT_FILE_UNKNOWN},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(cases); i++) {
		if (boot_file_kind(cases[i].file) != cases[i].kind)
			print_message("%s\n", cases[i].file);
		assert_int_equal(boot_file_kind(cases[i].file), cases[i].kind);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_arch_names),   cmocka_unit_test(test_families),
	        cmocka_unit_test(test_loader_table), cmocka_unit_test(test_file_path),
	        cmocka_unit_test(test_loader_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
