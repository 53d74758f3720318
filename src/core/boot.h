/* What a network-booting machine is and what it loads, in one place: the
 * architecture values clients send (RFC 4578 option 93), the firmware
 * families they fall into, their names for people, and the loader table
 * ([boot] keys, a [group]'s, a device's profile) that the PXE decision, the
 * registry and the diagnosis rules all read through boot_loader().
 *
 * Pure functions and plain data: no module state, no I/O. */
#pragma once

#include <stdbool.h>

/* RFC 4578 2.1 and the IANA "Processor Architecture Types" registry. */
enum boot_arch {
	BOOT_ARCH_BIOS = 0,
	BOOT_ARCH_EFI_IA32 = 6,
	BOOT_ARCH_EFI_X64 = 7,
	BOOT_ARCH_EFI_BC = 9, /* "EFI x86-64" as many firmwares send it */
	BOOT_ARCH_EFI_ARM32 = 10,
	BOOT_ARCH_EFI_ARM64 = 11,
	BOOT_ARCH_HTTP_IA32 = 15,
	BOOT_ARCH_HTTP_X64 = 16,
	BOOT_ARCH_HTTP_ARM32 = 18,
	BOOT_ARCH_HTTP_ARM64 = 19,
};

/* The firmware family an architecture value belongs to. */
enum boot_family {
	BOOT_FAMILY_UNKNOWN,
	BOOT_FAMILY_BIOS,
	BOOT_FAMILY_UEFI_IA32,
	BOOT_FAMILY_UEFI_X64,
	BOOT_FAMILY_UEFI_ARM64,
};

/* The loader table's slots, in the order of their keys. */
enum boot_slot {
	BOOT_BIOS,       /* "bios": x86 BIOS PXE */
	BOOT_UEFI_IA32,  /* "uefi-ia32" */
	BOOT_UEFI_X64,   /* "uefi-x64" */
	BOOT_UEFI_ARM64, /* "uefi-arm64" */
	BOOT_HTTP_X64,   /* "http-x64": UEFI HTTP boot, fetched by URL */
	BOOT_HTTP_ARM64, /* "http-arm64" */
	BOOT_SLOTS,
};

#define BOOT_FILE_MAX 256

/* Loader file names relative to the boot root, per slot ("" = none, or
 * inherit in a group's or device's profile). */
struct boot_loaders {
	char file[BOOT_SLOTS][BOOT_FILE_MAX];
};

enum boot_family boot_arch_family(int arch);
/* Whether arch is one of the UEFI HTTP boot values (15, 16, 18, 19). */
bool boot_arch_http(int arch);
/* "x86 BIOS", "x64 UEFI", "ARM64 UEFI HTTP", ...: the one set of names (the
 * API, `netbay why`, logs, the journal); "unknown" for -1, "other" for a
 * value without a name. */
const char *boot_arch_name(int arch);
/* Whether boot_arch_name(arch) is a real name (not "unknown" or "other"). */
bool boot_arch_named(int arch);
/* The same name for running text: "unknown architecture" and "other
 * architecture" for the two without one ("... client gets no boot file"). */
const char *boot_arch_phrase(int arch);

/* The slot that gives family f its loader over TFTP (http false) or by URL
 * (UEFI HTTP boot); -1 when there is none (BIOS and IA32 have no HTTP slot). */
int boot_slot(enum boot_family f, bool http);
/* The config and profile key of a slot: "bios", "uefi-x64", ... */
const char *boot_slot_key(enum boot_slot s);
/* The key people set for family f: boot_slot()'s, or the family's TFTP key
 * when it has no HTTP one; "the key for its firmware" for an unknown family. */
const char *boot_family_key(enum boot_family f, bool http);
/* The decision: the loader l gives family f over TFTP or HTTP, "" for none. */
const char *boot_loader(const struct boot_loaders *l, enum boot_family f, bool http);
/* Copies every slot src sets over dst's (a profile over the defaults). */
void boot_loaders_overlay(struct boot_loaders *dst, const struct boot_loaders *src);

/* What kind of loader a boot file name (a path or a URL) is, by its name. */
enum boot_file_kind {
	BOOT_FILE_UNKNOWN,
	BOOT_FILE_BIOS,       /* .kpxe, .kkpxe, .kkkpxe, .pxe, .0, .com */
	BOOT_FILE_UEFI,       /* .efi, architecture not in the name */
	BOOT_FILE_UEFI_IA32,  /* .efi named ia32, i386, i686 */
	BOOT_FILE_UEFI_X64,   /* .efi named x64, x86_64, amd64 */
	BOOT_FILE_UEFI_ARM64, /* .efi named aa64, arm64, aarch64 */
};
enum boot_file_kind boot_file_kind(const char *file);
/* A boot file as a path under the boot root: a URL loses its scheme and
 * host, a path its leading slashes. Points into file. */
const char *boot_file_path(const char *file);
