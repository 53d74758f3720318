/* PXE client detection over arbitrary DHCP packets: never reads outside
 * the packet, and whatever it decides formats into a reply that parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/pxe.h"
#include "dhcp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_msg m, r;
static uint8_t out[1500];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct boot_loaders p = {
	        .file = {"a.kpxe", "ia32.efi", "x64.efi", "arm.efi", "h64.efi", "harm.efi"}};
	struct pxe_client c;
	struct pxe_boot b;
	struct hwaddr mac = {{2, 0, 0, 0, 0, 1}};
	if (dhcp_msg_parse(data, size, &m) < 0 || pxe_client_parse(&m, &c) < 0)
		return 0;
	(void) boot_arch_name(c.arch);
	if (pxe_decide(&c, &p, &mac, 0x0a000001, 80, &b) < 0)
		return 0;
	struct wbuf w = wbuf_init(out, sizeof out);
	dhcp_write_header(&w, &m, DHCP_BOOTREPLY, 0, 0, 0x0a000001, 0, NULL,
	                  strlen(b.file) <= 127 ? b.file : NULL);
	pxe_put_options(&w, &m, &c, &b, 0x0a000001, size & 1);
	dhcp_write_end(&w);
	if (w.err == 0 && dhcp_msg_parse(out, wbuf_len(&w), &r) < 0)
		abort();
	return 0;
}
