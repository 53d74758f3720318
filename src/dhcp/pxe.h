/* Network boot decisions (PXE, UEFI HTTP boot, iPXE): what a booting
 * client is, from its DHCP options, and what it should load.
 *
 * Parsing and deciding are pure functions of their inputs; which loader a
 * device gets comes from a profile the caller passes in (the [boot]
 * defaults, a device's or group's profile from the registry), so the lookup
 * can be swapped without touching the decision. Architectures, families
 * and the loader table are core/boot.h's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot.h"
#include "core/util.h"

struct dhcp_msg;
struct wbuf;

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

#define PXE_FILE_MAX 256

/* The answer for one client. */
struct pxe_boot {
	bool tftp;                /* file is a path on the TFTP server at siaddr */
	char file[PXE_FILE_MAX];  /* the boot file name or URL ("" = no boot) */
	const char *vendor_class; /* "PXEClient" or "HTTPClient": echoed in option 60 */
	const char *why;          /* what was decided, for logs and the journal */
	enum pxe_miss {
		PXE_MISS_NONE,        /* a boot file */
		PXE_MISS_NOT_BOOTING, /* not a network-boot client */
		PXE_MISS_NO_LOADER,   /* no loader configured for its architecture */
		PXE_MISS_HTTP_OFF,    /* it boots over HTTP and HTTP is off */
		PXE_MISS_TOO_LONG,    /* the file name or URL does not fit */
	} miss;
};

/* Decides what c boots with the loaders p gives (core/boot.h). server: the address the client reaches us at;
 * http_port: 0 when HTTP is off (iPXE and UEFI HTTP clients then get
 * nothing: a loop is worse than no boot). Returns 0 with a boot file, or
 * -ENOENT with out->why saying what is missing. */
int pxe_decide(const struct pxe_client *c, const struct boot_loaders *p, const struct hwaddr *mac,
               uint32_t server, uint16_t http_port, struct pxe_boot *out);

/* The PXE options of a reply: vendor class (60; always in a proxy reply,
 * where it marks the offer as ProxyDHCP), vendor options (43: discovery
 * control "use the boot file given", for PXE ROMs), the UUID echoed (97),
 * and TFTP server name (66) and boot file (67) when needed. */
void pxe_put_options(struct wbuf *b, const struct dhcp_msg *req, const struct pxe_client *c,
                     const struct pxe_boot *boot, uint32_t server, bool proxy);
