/* The DHCP codec: parse must never read outside the input; whatever parses
 * must survive write -> parse unchanged (options, header fields). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_msg a, b;
static uint8_t buf[8192];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dhcp_msg_parse(data, size, &a) < 0)
		return 0;
	int n = dhcp_msg_write(&a, buf, sizeof buf);
	if (n < 0)
		return 0; /* more option bytes than one packet holds: not re-encodable */
	if (dhcp_msg_parse(buf, (size_t) n, &b) < 0)
		abort();
	if (a.op != b.op || a.xid != b.xid || a.flags != b.flags || a.ciaddr != b.ciaddr ||
	    a.giaddr != b.giaddr || a.type != b.type || memcmp(a.chaddr, b.chaddr, 16) != 0)
		abort();
	for (int code = 1; code < 255; code++) {
		if (code == DHCP_OPT_OVERLOAD)
			continue;
		if (a.opt[code].present != b.opt[code].present ||
		    a.opt[code].len != b.opt[code].len ||
		    (a.opt[code].len && memcmp(a.opt[code].p, b.opt[code].p, a.opt[code].len) != 0))
			abort();
	}
	return 0;
}
