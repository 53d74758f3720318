#include "dhcp/pxe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/wire.h"

static bool starts_with(const struct dhcp_opt_view *v, const char *prefix)
{
	size_t n = strlen(prefix);
	return v && v->len >= n && memcmp(v->p, prefix, n) == 0;
}

/* "PXEClient:Arch:00007:UNDI:003016" -> 7 (PXE 2.1, 2.2.4). */
static int arch_from_vendor_class(const struct dhcp_opt_view *v)
{
	static const char key[] = ":Arch:";
	struct wire w = wire_init(v->p, v->len);
	for (size_t off = 0; off + sizeof key - 1 + 5 <= v->len; off++) {
		struct wire at = wire_at(&w, off);
		const uint8_t *p = wire_ptr(&at, sizeof key - 1);
		if (!p || memcmp(p, key, sizeof key - 1) != 0)
			continue;
		int arch = 0;
		for (int i = 0; i < 5; i++) {
			uint8_t d = wire_u8(&at);
			if (d < '0' || d > '9')
				return -1;
			arch = arch * 10 + (d - '0');
		}
		return arch <= 0xffff ? arch : -1;
	}
	return -1;
}

/* User class (77): iPXE sends the bare string "iPXE"; RFC 3004 clients a
 * list of length-prefixed entries. Either way "iPXE" marks it. */
static bool user_class_is_ipxe(const struct dhcp_opt_view *v)
{
	if (!v)
		return false;
	if (v->len == 4 && memcmp(v->p, "iPXE", 4) == 0)
		return true;
	struct wire w = wire_init(v->p, v->len);
	while (wire_left(&w) > 0) {
		uint8_t n = wire_u8(&w);
		const uint8_t *p = wire_ptr(&w, n);
		if (!p)
			return false;
		if (n == 4 && memcmp(p, "iPXE", 4) == 0)
			return true;
	}
	return false;
}

int pxe_client_parse(const struct dhcp_msg *m, struct pxe_client *c)
{
	const struct dhcp_opt_view *vc = dhcp_opt(m, DHCP_OPT_VENDOR_CLASS);
	const struct dhcp_opt_view *arch = dhcp_opt(m, DHCP_OPT_CLIENT_ARCH);
	const struct dhcp_opt_view *uuid = dhcp_opt(m, DHCP_OPT_UUID);

	memset(c, 0, sizeof *c);
	c->arch = -1;
	c->pxe = starts_with(vc, "PXEClient");
	c->http = starts_with(vc, "HTTPClient");
	c->ipxe =
	        user_class_is_ipxe(dhcp_opt(m, DHCP_OPT_USER_CLASS)) || dhcp_opt(m, DHCP_OPT_IPXE);
	if (arch) {
		/* RFC 4578 2.1: a list of 16-bit types; the first is the client's own */
		if (arch->len < 2 || arch->len % 2)
			return -EBADMSG;
		struct wire w = wire_init(arch->p, arch->len);
		c->arch = wire_u16(&w);
	} else if (vc && (c->pxe || c->http)) {
		c->arch = arch_from_vendor_class(vc);
	}
	if (uuid) {
		/* RFC 4578 2.3: type 0, then 16 bytes */
		if (uuid->len != 17 || uuid->p[0] != 0)
			return -EBADMSG;
		struct wire w = wire_init(uuid->p, uuid->len);
		wire_skip(&w, 1);
		wire_bytes(&w, c->uuid, sizeof c->uuid);
		c->has_uuid = true;
	}
	return 0;
}

static int url(char *out, size_t n, uint32_t server, uint16_t port, const char *path)
{
	char a[IP4_STRLEN], p[8] = "";
	if (port != 80)
		snprintf(p, sizeof p, ":%u", port);
	while (*path == '/')
		path++;
	int r = snprintf(out, n, "http://%s%s/%s", ip4_fmt(server, a), p, path);
	return r < 0 || (size_t) r >= n ? -ENAMETOOLONG : 0;
}

static int too_long(struct pxe_boot *out)
{
	out->file[0] = 0;
	out->why = "the boot file name or URL is too long";
	out->miss = PXE_MISS_TOO_LONG;
	return -ENAMETOOLONG;
}

int pxe_decide(const struct pxe_client *c, const struct boot_loaders *p, const struct hwaddr *mac,
               uint32_t server, uint16_t http_port, struct pxe_boot *out)
{
	char m[HWADDR_STRLEN], path[64];

	memset(out, 0, sizeof *out);
	out->vendor_class = c->http ? "HTTPClient" : "PXEClient";
	if (c->ipxe) {
		/* never the loader again: that is a boot loop */
		if (!http_port) {
			out->why = "iPXE client, but HTTP is off: no script to chain to";
			out->miss = PXE_MISS_HTTP_OFF;
			return -ENOENT;
		}
		snprintf(path, sizeof path, "boot/%s.ipxe", hwaddr_fmt(mac, m));
		if (url(out->file, sizeof out->file, server, http_port, path) < 0)
			return too_long(out);
		out->why = "iPXE: its script over HTTP";
		return 0;
	}
	if (!c->pxe && !c->http) {
		out->why = "not a network-boot client";
		out->miss = PXE_MISS_NOT_BOOTING;
		return -ENOENT;
	}
	/* PXE ROMs too old to send option 93 are BIOS ones */
	int arch = c->arch < 0 && c->pxe ? BOOT_ARCH_BIOS : c->arch;
	const char *loader = boot_loader(p, boot_arch_family(arch), c->http);
	if (!loader || !*loader) {
		out->why = "no loader configured for this architecture";
		out->miss = PXE_MISS_NO_LOADER;
		return -ENOENT;
	}
	if (c->http) {
		if (!http_port) {
			out->why = "UEFI HTTP boot client, but HTTP is off";
			out->miss = PXE_MISS_HTTP_OFF;
			return -ENOENT;
		}
		if (url(out->file, sizeof out->file, server, http_port, loader) < 0)
			return too_long(out);
		out->why = "UEFI HTTP boot: the loader by URL";
		return 0;
	}
	if (nb_strlcpy(out->file, loader, sizeof out->file) < 0)
		return too_long(out);
	out->tftp = true;
	out->why = "PXE: the loader over TFTP";
	return 0;
}

void pxe_put_options(struct wbuf *b, const struct dhcp_msg *req, const struct pxe_client *c,
                     const struct pxe_boot *boot, uint32_t server, bool proxy)
{
	char a[IP4_STRLEN];
	/* a ProxyDHCP offer is known by its vendor class; in a full offer iPXE
	 * needs only the file */
	if (proxy || !c->ipxe || c->http)
		dhcp_put_str(b, DHCP_OPT_VENDOR_CLASS, boot->vendor_class);
	if (c->pxe && !c->http && !c->ipxe) {
		/* PXE 2.1 vendor option 6, discovery control bit 3: the boot file
		 * named in this offer is the one to load (no boot server menu) */
		static const uint8_t vendor[] = {6, 1, 8, 255};
		dhcp_put_opt(b, DHCP_OPT_VENDOR, vendor, sizeof vendor);
	}
	if (c->has_uuid) {
		uint8_t u[17] = {0};
		memcpy(u + 1, c->uuid, sizeof c->uuid);
		dhcp_put_opt(b, DHCP_OPT_UUID, u, sizeof u);
	}
	if (boot->tftp)
		dhcp_put_str(b, DHCP_OPT_TFTP_SERVER, ip4_fmt(server, a));
	/* the file field holds 127 characters; a longer URL only fits option 67 */
	if (dhcp_opt_requested(req, DHCP_OPT_BOOTFILE) || strlen(boot->file) > 127 || !boot->tftp)
		dhcp_put_str(b, DHCP_OPT_BOOTFILE, boot->file);
}
