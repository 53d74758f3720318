/* mode = auto's reading of what a packet socket hands over (IPv4, UDP,
 * then DHCP): never reads outside the datagram, and what it takes as an
 * answer is an OFFER of an address to the probe's own xid and chaddr. The
 * identity is fixed so the corpus can hold answers to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/probe.h"
#include "dhcp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_msg m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dhcp_probe_id id = {.xid = 0x12345678,
	                                        .chaddr = {0x02, 0, 0, 0, 0, 0x01},
	                                        .cid = "\0netbay-probe-00000000"};
	struct dhcp_probe_answer a;
	if (dhcp_probe_read(data, size, &id, &m, &a) != 0)
		return 0;
	if (a.yiaddr == 0 || a.server_id == 0 || m.type != DHCP_OFFER || m.xid != id.xid ||
	    memcmp(m.chaddr, id.chaddr, 6) != 0)
		abort();
	return 0;
}
