#include "core/boot.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

enum boot_family boot_arch_family(int arch)
{
	switch (arch) {
	case BOOT_ARCH_BIOS:
		return BOOT_FAMILY_BIOS;
	case BOOT_ARCH_EFI_IA32:
	case BOOT_ARCH_HTTP_IA32:
		return BOOT_FAMILY_UEFI_IA32;
	case BOOT_ARCH_EFI_X64:
	case BOOT_ARCH_EFI_BC:
	case BOOT_ARCH_HTTP_X64:
		return BOOT_FAMILY_UEFI_X64;
	case BOOT_ARCH_EFI_ARM64:
	case BOOT_ARCH_HTTP_ARM64:
		return BOOT_FAMILY_UEFI_ARM64;
	default:
		return BOOT_FAMILY_UNKNOWN;
	}
}

bool boot_arch_http(int arch)
{
	return arch == BOOT_ARCH_HTTP_IA32 || arch == BOOT_ARCH_HTTP_X64 ||
	       arch == BOOT_ARCH_HTTP_ARM32 || arch == BOOT_ARCH_HTTP_ARM64;
}

static const char *const arch_names[] = {
        [BOOT_ARCH_BIOS] = "x86 BIOS",
        [BOOT_ARCH_EFI_IA32] = "IA32 UEFI",
        [BOOT_ARCH_EFI_X64] = "x64 UEFI",
        [BOOT_ARCH_EFI_BC] = "x64 UEFI",
        [BOOT_ARCH_EFI_ARM32] = "ARM32 UEFI",
        [BOOT_ARCH_EFI_ARM64] = "ARM64 UEFI",
        [BOOT_ARCH_HTTP_IA32] = "IA32 UEFI HTTP",
        [BOOT_ARCH_HTTP_X64] = "x64 UEFI HTTP",
        [BOOT_ARCH_HTTP_ARM32] = "ARM32 UEFI HTTP",
        [BOOT_ARCH_HTTP_ARM64] = "ARM64 UEFI HTTP",
};

bool boot_arch_named(int arch)
{
	return arch >= 0 && (size_t) arch < NB_ARRAY_SIZE(arch_names) && arch_names[arch];
}

const char *boot_arch_name(int arch)
{
	if (arch < 0)
		return "unknown";
	return boot_arch_named(arch) ? arch_names[arch] : "other";
}

const char *boot_arch_phrase(int arch)
{
	if (boot_arch_named(arch))
		return arch_names[arch];
	return arch < 0 ? "unknown architecture" : "other architecture";
}

/* [family][http]: the slot, or -1 */
static const int slots[][2] = {
        [BOOT_FAMILY_UNKNOWN] = {-1, -1},
        [BOOT_FAMILY_BIOS] = {BOOT_BIOS, -1},
        [BOOT_FAMILY_UEFI_IA32] = {BOOT_UEFI_IA32, -1},
        [BOOT_FAMILY_UEFI_X64] = {BOOT_UEFI_X64, BOOT_HTTP_X64},
        [BOOT_FAMILY_UEFI_ARM64] = {BOOT_UEFI_ARM64, BOOT_HTTP_ARM64},
};

int boot_slot(enum boot_family f, bool http)
{
	if ((size_t) f >= NB_ARRAY_SIZE(slots))
		return -1;
	return slots[f][http];
}

const char *boot_slot_key(enum boot_slot s)
{
	static const char *const keys[BOOT_SLOTS] = {
	        [BOOT_BIOS] = "bios",         [BOOT_UEFI_IA32] = "uefi-ia32",
	        [BOOT_UEFI_X64] = "uefi-x64", [BOOT_UEFI_ARM64] = "uefi-arm64",
	        [BOOT_HTTP_X64] = "http-x64", [BOOT_HTTP_ARM64] = "http-arm64",
	};
	return (size_t) s < BOOT_SLOTS ? keys[s] : "";
}

const char *boot_family_key(enum boot_family f, bool http)
{
	int s = boot_slot(f, http);
	if (s < 0)
		s = boot_slot(f, false);
	return s < 0 ? "the key for its firmware" : boot_slot_key((enum boot_slot) s);
}

const char *boot_loader(const struct boot_loaders *l, enum boot_family f, bool http)
{
	int s = boot_slot(f, http);
	return l && s >= 0 ? l->file[s] : "";
}

void boot_loaders_overlay(struct boot_loaders *dst, const struct boot_loaders *src)
{
	for (size_t i = 0; i < BOOT_SLOTS; i++)
		if (src->file[i][0])
			memcpy(dst->file[i], src->file[i], sizeof dst->file[i]);
}

/* tok in s as a word of its own, or after the prefixes EFI boot files
 * use ("bootx64.efi", "grubaa64.efi", "shimia32.efi"). */
static bool has_token(const char *s, const char *tok)
{
	static const char *const prefixes[] = {"boot", "shim", "grub", "mm", "fb"};
	size_t n = strlen(tok);
	for (const char *p = s; (p = strcasestr(p, tok)); p++) {
		if (isalnum((unsigned char) p[n]))
			continue;
		if (p == s || !isalpha((unsigned char) p[-1]))
			return true;
		for (size_t i = 0; i < NB_ARRAY_SIZE(prefixes); i++) {
			size_t k = strlen(prefixes[i]);
			if ((size_t) (p - s) >= k && strncasecmp(p - k, prefixes[i], k) == 0 &&
			    (p - k == s || !isalpha((unsigned char) p[-(ptrdiff_t) k - 1])))
				return true;
		}
	}
	return false;
}

enum boot_file_kind boot_file_kind(const char *file)
{
	static const char *const bios[] = {"kpxe", "kkpxe", "kkkpxe", "pxe", "0", "com"};
	const char *base = strrchr(file, '/'), *dot;
	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	if (!dot)
		return BOOT_FILE_UNKNOWN;
	for (size_t i = 0; i < NB_ARRAY_SIZE(bios); i++)
		if (strcasecmp(dot + 1, bios[i]) == 0)
			return BOOT_FILE_BIOS;
	if (strcasecmp(dot + 1, "efi") != 0)
		return BOOT_FILE_UNKNOWN;
	/* the architecture as distributions and iPXE's builds spell it in names */
	if (has_token(file, "aa64") || has_token(file, "arm64") || has_token(file, "aarch64"))
		return BOOT_FILE_UEFI_ARM64;
	if (has_token(file, "x64") || has_token(file, "x86_64") || has_token(file, "x86-64") ||
	    has_token(file, "amd64"))
		return BOOT_FILE_UEFI_X64;
	if (has_token(file, "ia32") || has_token(file, "i386") || has_token(file, "i686"))
		return BOOT_FILE_UEFI_IA32;
	return BOOT_FILE_UEFI;
}

const char *boot_file_path(const char *file)
{
	if (strncasecmp(file, "http://", 7) == 0 || strncasecmp(file, "https://", 8) == 0) {
		const char *slash = strchr(strstr(file, "//") + 2, '/');
		file = slash ? slash : "";
	}
	while (*file == '/')
		file++;
	return file;
}
