/* Network boot decisions (PXE, UEFI HTTP boot, iPXE): what a booting
 * client is, from its DHCP options, and what it should load.
 *
 * Parsing and deciding are pure functions of their inputs; which loader a
 * device gets comes from a profile the caller passes in (the [boot]
 * defaults now, a device's or group's profile from the registry later), so
 * the lookup can be swapped without touching the decision. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct dhcp_msg;
struct wbuf;

/* RFC 4578 2.1 and the IANA "Processor Architecture Types" registry. */
enum pxe_arch {
	PXE_ARCH_BIOS = 0,
	PXE_ARCH_EFI_IA32 = 6,
	PXE_ARCH_EFI_X64 = 7,
	PXE_ARCH_EFI_BC = 9, /* "EFI x86-64" as many firmwares send it */
	PXE_ARCH_EFI_ARM32 = 10,
	PXE_ARCH_EFI_ARM64 = 11,
	PXE_ARCH_HTTP_IA32 = 15,
	PXE_ARCH_HTTP_X64 = 16,
	PXE_ARCH_HTTP_ARM32 = 18,
	PXE_ARCH_HTTP_ARM64 = 19,
};

/* The firmware family an architecture value belongs to. */
enum pxe_family {
	PXE_FAMILY_UNKNOWN,
	PXE_FAMILY_BIOS,
	PXE_FAMILY_UEFI_IA32,
	PXE_FAMILY_UEFI_X64,
	PXE_FAMILY_UEFI_ARM64,
};

struct pxe_client {
	bool pxe;  /* vendor class PXEClient... */
	bool http; /* vendor class HTTPClient... (UEFI HTTP boot) */
	bool ipxe; /* already iPXE: user class "iPXE" or option 175 */
	int arch;  /* option 93 (first entry), else the vendor class's Arch field; -1 none */
	bool has_uuid;
	uint8_t uuid[16]; /* option 97, type 0, as sent */
};

/* Reads what the request says about network boot. Returns 0 (c filled in;
 * a client that is not booting has all flags false), or -EBADMSG for
 * options of impossible length (93 odd, 97 not 17 bytes). */
int pxe_client_parse(const struct dhcp_msg *m, struct pxe_client *c);
/* Whether the request comes from a network-booting client at all. */
static inline bool pxe_client_booting(const struct pxe_client *c)
{
	return c->pxe || c->http || c->ipxe;
}

enum pxe_family pxe_arch_family(int arch);
/* "x86 BIOS", "x64 UEFI", "ARM64 UEFI HTTP", ... for logs and the journal. */
const char *pxe_arch_name(int arch);

/* What a device may boot: loader file names relative to the boot root
 * ("" = nothing for that firmware). */
struct pxe_profile {
	const char *bios, *uefi_ia32, *uefi_x64, *uefi_arm64;
	const char *http_x64, *http_arm64; /* UEFI HTTP boot, fetched by URL */
};

#define PXE_FILE_MAX 256

/* The answer for one client. */
struct pxe_boot {
	bool tftp;                /* file is a path on the TFTP server at siaddr */
	char file[PXE_FILE_MAX];  /* the boot file name or URL ("" = no boot) */
	const char *vendor_class; /* "PXEClient" or "HTTPClient": echoed in option 60 */
	const char *why;          /* what was decided, for logs and the journal */
};

/* Decides what c boots. server: the address the client reaches us at;
 * http_port: 0 when HTTP is off (iPXE and UEFI HTTP clients then get
 * nothing: a loop is worse than no boot). Returns 0 with a boot file, or
 * -ENOENT with out->why saying what is missing. */
int pxe_decide(const struct pxe_client *c, const struct pxe_profile *p, const struct hwaddr *mac,
               uint32_t server, uint16_t http_port, struct pxe_boot *out);

/* The PXE options of a reply: vendor class (60; always in a proxy reply,
 * where it marks the offer as ProxyDHCP), vendor options (43: discovery
 * control "use the boot file given", for PXE ROMs), the UUID echoed (97),
 * and TFTP server name (66) and boot file (67) when needed. */
void pxe_put_options(struct wbuf *b, const struct dhcp_msg *req, const struct pxe_client *c,
                     const struct pxe_boot *boot, uint32_t server, bool proxy);
