/* mode = auto's probe for other DHCP servers: the DISCOVER it sends (byte
 * by byte against RFC 791, 768 and 2131) and what it takes as an answer,
 * with hostile datagrams as a packet socket could hand them over. */
#include "unit.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dhcp/probe.h"
#include "dhcp/wire.h"
#include "dhcp_pkt.h"

static struct dhcp_msg m;

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* RFC 1071: a correct checksum makes the folded sum all ones. */
static uint16_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (uint32_t) p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t) sum;
}

static void test_probe_is_a_client_discover(void **state)
{
	(void) state;
	struct dhcp_probe_id id;
	uint8_t b[DHCP_PROBE_PKT_MAX];
	dhcp_probe_id_new(&id);
	int n = dhcp_probe_build(b, sizeof b, &id);
	assert_true(n >= 20 + 8 + DHCP_MIN_REPLY);
	/* RFC 791: version 4, no options, the whole length, UDP, from 0.0.0.0 to all ones */
	assert_int_equal(b[0], 0x45);
	assert_int_equal(be16(b + 2), n);
	assert_int_equal(be16(b + 6) & 0x3fff, 0); /* not a fragment */
	assert_int_equal(b[9], IPPROTO_UDP);
	assert_int_equal(be32(b + 12), 0);
	assert_int_equal(be32(b + 16), 0xffffffffu);
	assert_int_equal(sum16(0, b, 20), 0xffff);
	/* RFC 768: 68 -> 67, the length, a checksum over the pseudo-header */
	assert_int_equal(be16(b + 20), DHCP_CLIENT_PORT);
	assert_int_equal(be16(b + 22), DHCP_SERVER_PORT);
	assert_int_equal(be16(b + 24), n - 20);
	assert_int_not_equal(be16(b + 26), 0);
	uint32_t pseudo = 0xffff + 0xffff + IPPROTO_UDP + (uint32_t) (n - 20);
	assert_int_equal(sum16(pseudo, b + 20, (size_t) n - 20), 0xffff);
	/* RFC 2131: a DISCOVER from nobody, answered by broadcast; never a REQUEST */
	assert_int_equal(dhcp_msg_parse(b + 28, (size_t) n - 28, &m), 0);
	assert_int_equal(m.op, DHCP_BOOTREQUEST);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_int_equal(m.xid, id.xid);
	assert_int_equal(m.flags, DHCP_BROADCAST_FLAG);
	assert_int_equal(m.ciaddr, 0);
	assert_int_equal(m.giaddr, 0);
	assert_memory_equal(m.chaddr, id.chaddr, 6);
	assert_null(dhcp_opt(&m, DHCP_OPT_REQUESTED_IP));
	assert_null(dhcp_opt(&m, DHCP_OPT_SERVER_ID));
	assert_null(dhcp_opt(&m, DHCP_OPT_VENDOR_CLASS)); /* not a PXE client: proxies stay quiet */
	const struct dhcp_opt_view *cid = dhcp_opt(&m, DHCP_OPT_CLIENT_ID);
	assert_non_null(cid);
	assert_int_equal(cid->len, DHCP_PROBE_CID_LEN);
	assert_memory_equal(cid->p, id.cid, DHCP_PROBE_CID_LEN);
	assert_int_equal(cid->p[0], 0);
	assert_memory_equal(cid->p + 1, "netbay-probe-", 13);
	assert_true(dhcp_probe_is(&m, &id));
	/* too small a buffer: nothing half-built is sent */
	assert_int_equal(dhcp_probe_build(b, 100, &id), -ENOSPC);
}

static void test_each_probe_is_new(void **state)
{
	(void) state;
	struct dhcp_probe_id a, b;
	dhcp_probe_id_new(&a);
	dhcp_probe_id_new(&b);
	assert_int_equal(a.chaddr[0] & 3, 2); /* locally administered, unicast */
	assert_int_equal(b.chaddr[0] & 3, 2);
	assert_true(a.xid != b.xid || memcmp(a.chaddr, b.chaddr, 6) != 0);
	assert_true(memcmp(a.cid, b.cid, sizeof a.cid) != 0 || a.xid != b.xid);
	/* a request that is not the probe: another xid, or another chaddr */
	uint8_t buf[DHCP_PROBE_PKT_MAX];
	int n = dhcp_probe_build(buf, sizeof buf, &a);
	assert_int_equal(dhcp_msg_parse(buf + 28, (size_t) n - 28, &m), 0);
	assert_true(dhcp_probe_is(&m, &a));
	struct dhcp_probe_id c = a;
	c.xid ^= 1;
	assert_false(dhcp_probe_is(&m, &c));
	c = a;
	c.chaddr[5] ^= 1;
	assert_false(dhcp_probe_is(&m, &c));
}

/* ---- answers: a DHCP payload inside IPv4 and UDP, laid out by hand */

struct dgram {
	uint8_t b[1600];
	size_t n;
};

static void wrap(struct dgram *d, const struct pkt *p, uint32_t src, uint8_t proto, uint16_t dport)
{
	memset(d, 0, sizeof *d);
	size_t total = 28 + p->n;
	d->b[0] = 0x45;
	d->b[2] = (uint8_t) (total >> 8);
	d->b[3] = (uint8_t) total;
	d->b[8] = 64;
	d->b[9] = proto;
	d->b[12] = (uint8_t) (src >> 24);
	d->b[13] = (uint8_t) (src >> 16);
	d->b[14] = (uint8_t) (src >> 8);
	d->b[15] = (uint8_t) src;
	memset(d->b + 16, 0xff, 4);
	d->b[21] = DHCP_SERVER_PORT;
	d->b[22] = (uint8_t) (dport >> 8);
	d->b[23] = (uint8_t) dport;
	d->b[24] = (uint8_t) ((8 + p->n) >> 8);
	d->b[25] = (uint8_t) (8 + p->n);
	memcpy(d->b + 28, p->b, p->n);
	d->n = total;
}

/* An OFFER of yiaddr to the probe id, from a server whose id is sid (0: no option 54). */
static void offer(struct pkt *p, const struct dhcp_probe_id *id, uint8_t type, uint32_t yiaddr,
                  uint32_t sid)
{
	pkt_init(p, id->chaddr, id->xid);
	p->b[0] = DHCP_BOOTREPLY;
	p->b[10] = 0x80; /* broadcast, as asked */
	pkt_u32_at(p, 16, yiaddr);
	pkt_type(p, type);
	if (sid)
		pkt_opt_u32(p, DHCP_OPT_SERVER_ID, sid);
	pkt_opt_u32(p, DHCP_OPT_LEASE_TIME, 3600);
	pkt_end(p);
}

static void test_an_offer_answers(void **state)
{
	(void) state;
	struct dhcp_probe_id id;
	struct dhcp_probe_answer a;
	struct pkt p;
	struct dgram d;
	dhcp_probe_id_new(&id);
	offer(&p, &id, DHCP_OFFER, 0x0a4d0032, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), 0);
	assert_int_equal(a.src, 0x0a4d0002);
	assert_int_equal(a.server_id, 0x0a4d0002);
	assert_int_equal(a.yiaddr, 0x0a4d0032);
	/* Ethernet padding after the datagram is not part of it */
	assert_int_equal(dhcp_probe_read(d.b, d.n + 18, &id, &m, &a), 0);
	/* a server id that is not the source (a multihomed server): option 54 wins */
	offer(&p, &id, DHCP_OFFER, 0x0a4d0033, 0xc0a80101);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), 0);
	assert_int_equal(a.server_id, 0xc0a80101);
	/* no option 54 at all: the source names it */
	offer(&p, &id, DHCP_OFFER, 0x0a4d0034, 0);
	wrap(&d, &p, 0x0a4d0003, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), 0);
	assert_int_equal(a.server_id, 0x0a4d0003);
}

static void test_what_is_not_an_answer(void **state)
{
	(void) state;
	struct dhcp_probe_id id, other;
	struct dhcp_probe_answer a = {0};
	struct pkt p;
	struct dgram d;
	dhcp_probe_id_new(&id);
	other = id;
	other.xid ^= 0x10;
	/* another client's exchange: its xid, or its chaddr */
	offer(&p, &other, DHCP_OFFER, 0x0a4d0032, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	other = id;
	other.chaddr[3] ^= 1;
	offer(&p, &other, DHCP_OFFER, 0x0a4d0032, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	/* a proxyDHCP server offers no address: it leases nothing, no conflict */
	offer(&p, &id, DHCP_OFFER, 0, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	/* not an OFFER; not to port 68; not UDP; a request echoing our probe */
	offer(&p, &id, DHCP_ACK, 0x0a4d0032, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	offer(&p, &id, DHCP_OFFER, 0x0a4d0032, 0x0a4d0002);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_SERVER_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_TCP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	d.b[28] = DHCP_BOOTREQUEST;
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	/* from 0.0.0.0 with no server identifier, or a zero one: nobody to name
	 * (found by fuzz_dhcp_probe: corpus/dhcp_probe/from-nobody) */
	offer(&p, &id, DHCP_OFFER, 0x0a4d0032, 0);
	wrap(&d, &p, 0, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	pkt_init(&p, id.chaddr, id.xid);
	p.b[0] = DHCP_BOOTREPLY;
	pkt_u32_at(&p, 16, 0x0a4d0032);
	pkt_type(&p, DHCP_OFFER);
	pkt_opt_u32(&p, DHCP_OPT_SERVER_ID, 0);
	pkt_end(&p);
	wrap(&d, &p, 0, IPPROTO_UDP, DHCP_CLIENT_PORT);
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	/* a fragment: more fragments, or an offset */
	wrap(&d, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	d.b[6] = 0x20;
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	d.b[6] = 0x00;
	d.b[7] = 0x01;
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -ENOENT);
	d.b[6] = 0x40; /* DF alone is fine */
	d.b[7] = 0x00;
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), 0);
}

static void test_hostile_datagrams(void **state)
{
	(void) state;
	struct dhcp_probe_id id;
	struct dhcp_probe_answer a = {.src = 7};
	struct pkt p;
	struct dgram d, good;
	dhcp_probe_id_new(&id);
	offer(&p, &id, DHCP_OFFER, 0x0a4d0032, 0x0a4d0002);
	wrap(&good, &p, 0x0a4d0002, IPPROTO_UDP, DHCP_CLIENT_PORT);
	/* every truncation of a good answer is refused, and never read past */
	for (size_t n = 0; n < good.n; n++) {
		int r = dhcp_probe_read(good.b, n, &id, &m, &a);
		assert_true(r == -EBADMSG || r == -ENOENT);
	}
	d = good;
	d.b[0] = 0x65; /* IPv6's version in an IPv4 frame */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[0] = 0x44; /* a header shorter than 20 bytes */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[0] = 0x4f; /* 60 bytes of header: the UDP header is read from the wrong place */
	assert_true(dhcp_probe_read(d.b, d.n, &id, &m, &a) < 0);
	d = good;
	d.b[2] = 0xff; /* a total length past what arrived */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[2] = 0;
	d.b[3] = 19; /* a total length inside its own header */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[24] = 0;
	d.b[25] = 7; /* a UDP length below its header */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[24] = 0x05;
	d.b[25] = 0xdc; /* a UDP length past the datagram */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[24] = 0;
	d.b[25] = 8 + 100; /* a UDP length that cuts the DHCP message short */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	d = good;
	d.b[28 + 236] = 0; /* no magic cookie */
	assert_int_equal(dhcp_probe_read(d.b, d.n, &id, &m, &a), -EBADMSG);
	assert_int_equal(a.src, 7); /* written only on success */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_probe_is_a_client_discover),
	        cmocka_unit_test(test_each_probe_is_new),
	        cmocka_unit_test(test_an_offer_answers),
	        cmocka_unit_test(test_what_is_not_an_answer),
	        cmocka_unit_test(test_hostile_datagrams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
