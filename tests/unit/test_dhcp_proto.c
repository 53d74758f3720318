/* The RFC 2131 state machine, without sockets: requests are built by hand,
 * handled with a fixed clock, and the queued replies parsed back. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/loop.h"
#include "core/services.h"
#include "dhcp/internal.h"
#include "dhcp_pkt.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

#include "store/store.h"

#define NOW 1700000000
#define SRV 0x0a000001u /* 10.0.0.1 */

static const char *CONF = "[dhcp]\n"
                          "new-client-rate = 0\n"
                          "[subnet 10.0.0.0/24]\n"
                          "range = 10.0.0.100-10.0.0.103\n"
                          "router = 10.0.0.1\n"
                          "dns = 10.0.0.1\n"
                          "lease-time = 1h\n"
                          "[subnet 10.1.0.0/24]\n"
                          "range = 10.1.0.10-10.1.0.20\n"
                          "[host printer]\n"
                          "mac = 52:54:00:00:00:99\n"
                          "address = 10.0.0.9\n"
                          "[host phone]\n"
                          "client-id = 01:aa:bb:cc:dd:ee:ff\n"
                          "address = 10.0.0.8\n";

struct fx {
	char dir[64];
	struct conf *conf;
	struct nb_services svc;
	struct dhcp_server *s;
	struct dhcp_msg reply;
};

static int setup_with(void **state, const char *text)
{
	struct fx *f = calloc(1, sizeof *f);
	char db[128];
	f->conf = conf_ok(text);
	strcpy(f->dir, "/tmp/nbprotoXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	assert_int_equal(store_open(db, false, &f->svc.store), 0);
	f->svc.loop = loop_new();
	f->svc.hosts = hosts_new();
	f->svc.journal = journal_new(hosts_journal_mac, f->svc.hosts);
	f->svc.ctl = ctl_new();
	assert_int_equal(
	        registry_open(f->svc.store, f->svc.hosts, f->svc.journal, &f->svc.registry), 0);
	registry_set_conf(f->svc.registry, f->conf);
	f->s = calloc(1, sizeof *f->s);
	f->s->conf = f->conf;
	f->s->svc = &f->svc;
	f->s->leases = dhcp_leases_new();
	f->s->rl_bad = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	f->s->rl_info = f->s->rl_bad;
	f->s->rl_lease = f->s->rl_bad;
	hosts_set_reserved(f->svc.hosts, f->conf);
	assert_int_equal(dhcp_leases_set_pools(f->s->leases, f->conf), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, CONF);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	dhcp_leases_free(f->s->leases);
	free(f->s);
	store_close(f->svc.store);
	ctl_free(f->svc.ctl);
	registry_free(f->svc.registry);
	journal_free(f->svc.journal);
	hosts_free(f->svc.hosts);
	loop_free(f->svc.loop);
	conf_free(f->conf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

static struct hwaddr mac_n(int n)
{
	struct hwaddr m = {{0x52, 0x54, 0, 0, 0, (uint8_t) n}};
	return m;
}

struct req {
	uint8_t type;
	int mac;
	uint32_t xid; /* default 0x1234 */
	uint8_t hops;
	uint16_t secs;
	uint32_t ciaddr, giaddr, requested, server_id;
	uint16_t flags;
	uint16_t max_size;  /* option 57 when set */
	const uint8_t *raw; /* more options, as bytes (hostile ones) */
	size_t raw_len;
	int ifindex; /* arrival interface; default 1 */
	const char *hostname;
	const char *cid;    /* raw bytes, NUL-terminated for the test's convenience */
	const char *agent;  /* option 82 body, likewise */
	const char *vendor; /* option 60 */
	int arch;           /* option 93 when > 0; arch+1000 sends 0 (BIOS) */
	bool ipxe;          /* user class "iPXE" */
	bool pxe_port;      /* arrived on 4011 */
	uint32_t src;       /* source address */
	uint32_t dst;       /* where the client sent it; default broadcast */
	int64_t now;        /* default NOW */
};

/* Handles one request; returns how many replies it queued (0 or 1) and
 * parses the last one into f->reply. */
static size_t handle(struct fx *f, struct req r)
{
	struct pkt p;
	struct hwaddr mac = mac_n(r.mac);
	pkt_init(&p, mac.b, r.xid ? r.xid : 0x1234);
	p.b[3] = r.hops;
	p.b[8] = (uint8_t) (r.secs >> 8);
	p.b[9] = (uint8_t) r.secs;
	pkt_u32_at(&p, 12, r.ciaddr);
	pkt_u32_at(&p, 24, r.giaddr);
	p.b[10] = (uint8_t) (r.flags >> 8);
	p.b[11] = (uint8_t) r.flags;
	pkt_type(&p, r.type);
	if (r.max_size) {
		uint8_t v[2] = {(uint8_t) (r.max_size >> 8), (uint8_t) r.max_size};
		pkt_opt(&p, DHCP_OPT_MAX_SIZE, v, 2);
	}
	assert_true(p.n + r.raw_len < sizeof p.b - 64);
	if (r.raw_len)
		memcpy(p.b + p.n, r.raw, r.raw_len);
	p.n += r.raw_len;
	if (r.requested)
		pkt_opt_u32(&p, DHCP_OPT_REQUESTED_IP, r.requested);
	if (r.server_id)
		pkt_opt_u32(&p, DHCP_OPT_SERVER_ID, r.server_id);
	if (r.hostname)
		pkt_opt(&p, DHCP_OPT_HOSTNAME, r.hostname, (uint8_t) strlen(r.hostname));
	if (r.cid)
		pkt_opt(&p, DHCP_OPT_CLIENT_ID, r.cid, (uint8_t) strlen(r.cid));
	if (r.agent)
		pkt_opt(&p, DHCP_OPT_RELAY_AGENT, r.agent, (uint8_t) strlen(r.agent));
	if (r.vendor)
		pkt_opt(&p, DHCP_OPT_VENDOR_CLASS, r.vendor, (uint8_t) strlen(r.vendor));
	if (r.arch) {
		int a = r.arch >= 1000 ? r.arch - 1000 : r.arch;
		uint8_t v[2] = {(uint8_t) (a >> 8), (uint8_t) a};
		pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, v, 2);
	}
	if (r.ipxe)
		pkt_opt(&p, DHCP_OPT_USER_CLASS, "iPXE", 4);
	pkt_end(&p);

	struct net_pkt np = {.data = p.b,
	                     .len = p.n,
	                     .ifindex = r.ifindex ? r.ifindex : 1,
	                     .dst_addr = r.dst ? r.dst : 0xffffffffu,
	                     .src_addr = r.src,
	                     .src_port = 68};
	struct dhcp_ctx x = {.s = f->s,
	                     .m = &f->s->msg,
	                     .pkt = &np,
	                     .ifname = "eth0",
	                     .now = r.now ? r.now : NOW};
	assert_int_equal(dhcp_msg_parse(p.b, p.n, &f->s->msg), 0);
	x.client.mac = mac;
	const struct dhcp_opt_view *cid = dhcp_opt(x.m, DHCP_OPT_CLIENT_ID);
	if (cid) {
		x.client.cid = cid->p;
		x.client.cid_len = (uint8_t) cid->len;
	}
	hwaddr_fmt(&mac, x.mac);
	x.pxe_port = r.pxe_port;
	assert_int_equal(pxe_client_parse(x.m, &x.pxe), 0);
	dhcp_proto_lookup(&x);
	uint32_t sel = r.giaddr ? r.giaddr : SRV;
	x.subnet = conf_subnet_find(f->conf, sel);
	x.server_id = SRV;
	size_t before = f->s->n_out;
	if (f->conf->dhcp.mode == DHCP_MODE_PROXY)
		dhcp_proto_proxy(&x);
	else
		dhcp_proto_handle(&x);
	size_t n = f->s->n_out - before;
	if (n)
		assert_int_equal(dhcp_msg_parse(f->s->out[f->s->n_out - 1].buf,
		                                f->s->out[f->s->n_out - 1].len, &f->reply),
		                 0);
	f->s->n_out = 0;
	return n;
}

static const struct dhcp_reply *last(struct fx *f)
{
	return &f->s->out[0]; /* n_out was reset, the slot still holds the reply */
}

/* DISCOVER then REQUEST (SELECTING) for mac; returns the ACKed address. */
static uint32_t dora(struct fx *f, int mac, const char *host)
{
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = mac}), 1);
	assert_int_equal(f->reply.type, DHCP_OFFER);
	uint32_t a = f->reply.yiaddr;
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = mac,
	                                        .requested = a,
	                                        .server_id = SRV,
	                                        .hostname = host}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, a);
	assert_true(last(f)->durable);
	return a;
}

static void test_dora(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, "pc1");
	assert_int_equal(a, 0x0a000064);
	uint32_t v;
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_LEASE_TIME, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_T1, &v), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_SERVER_ID, &v), 0);
	assert_int_equal(v, SRV);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_SUBNET_MASK, &v), 0);
	assert_int_equal(v, 0xffffff00);
	/* bound in memory, durable in the batch, published for DNS */
	struct dhcp_lease *l = dhcp_lease_by_addr(f->s->leases, a);
	assert_int_equal(l->state, DHCP_LEASE_BOUND);
	assert_int_equal(l->expires, NOW + 3600);
	assert_true(store_pending(f->svc.store));
	assert_int_equal(hosts_by_name(f->svc.hosts, "pc1", NOW)->addr, a);
}

static void test_offers_are_held(void **state)
{
	struct fx *f = *state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	uint32_t a1 = f->reply.yiaddr;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 1);
	assert_int_not_equal(f->reply.yiaddr, a1);
	/* the first client asks again: same offer */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	assert_int_equal(f->reply.yiaddr, a1);
	/* nothing offered is durable yet */
	assert_false(store_pending(f->svc.store));
}

static void test_returning_client_gets_its_address(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	dora(f, 2, NULL);
	assert_int_equal(handle(f, (struct req){.type = DHCP_RELEASE,
	                                        .mac = 1,
	                                        .ciaddr = a,
	                                        .src = a,
	                                        .server_id = SRV}),
	                 0);
	assert_int_equal(dhcp_lease_by_addr(f->s->leases, a)->state, DHCP_LEASE_RELEASED);
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1, .now = NOW + 10}),
	                 1);
	assert_int_equal(f->reply.yiaddr, a);
}

static void test_pool_exhaustion_and_oldest_first(void **state)
{
	struct fx *f = *state;
	uint32_t a[4];
	for (int i = 0; i < 4; i++)
		a[i] = dora(f, 10 + i, NULL);
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 20}), 0);
	/* release two, the later one first: the earlier release is older */
	handle(f, (struct req){.type = DHCP_RELEASE,
	                       .mac = 12,
	                       .ciaddr = a[2],
	                       .src = a[2],
	                       .server_id = SRV,
	                       .now = NOW + 5});
	handle(f, (struct req){.type = DHCP_RELEASE,
	                       .mac = 11,
	                       .ciaddr = a[1],
	                       .src = a[1],
	                       .server_id = SRV,
	                       .now = NOW + 9});
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 20, .now = NOW + 20}),
	                 1);
	assert_int_equal(f->reply.yiaddr, a[2]);
}

static void test_init_reboot(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	/* its own address: ACK */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST, .mac = 1, .requested = a}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	/* an address from another network (the client moved): NAK, broadcast */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_REQUEST, .mac = 1, .requested = 0xc0a80105}),
	        1);
	assert_int_equal(f->reply.type, DHCP_NAK);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_int_equal(last(f)->dst, 0xffffffffu);
	/* someone else's address: NAK */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST, .mac = 2, .requested = a}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_NAK);
	/* a free pool address it remembers from before (our state was lost): ACK */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_REQUEST, .mac = 3, .requested = 0x0a000067}),
	        1);
	assert_int_equal(f->reply.type, DHCP_ACK);
}

static void test_selecting_another_server(void **state)
{
	struct fx *f = *state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	uint32_t a = f->reply.yiaddr;
	/* the client took 10.0.0.254's offer: silence, and our offer is free again */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 1,
	                                        .requested = a,
	                                        .server_id = 0x0a0000fe}),
	                 0);
	struct dhcp_lease *l = dhcp_lease_by_addr(f->s->leases, a);
	assert_int_equal(l->state, DHCP_LEASE_RELEASED);
	struct dhcp_client other = {.mac = mac_n(2)};
	assert_true(dhcp_lease_available(l, &other, NOW));
}

static void test_renew_and_rebind(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	/* RENEWING: unicast to us, ciaddr set; the ACK goes back to ciaddr */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 1,
	                                        .ciaddr = a,
	                                        .dst = SRV,
	                                        .now = NOW + 1800}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_int_equal(last(f)->dst, a);
	assert_int_equal(dhcp_lease_by_addr(f->s->leases, a)->expires, NOW + 1800 + 3600);
	/* REBINDING from a client whose address is someone else's: NAK */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST, .mac = 2, .ciaddr = a}), 1);
	assert_int_equal(f->reply.type, DHCP_NAK);
}

static void test_decline_quarantines(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	assert_int_equal(handle(f, (struct req){.type = DHCP_DECLINE,
	                                        .mac = 1,
	                                        .requested = a,
	                                        .server_id = SRV}),
	                 0);
	assert_int_equal(dhcp_lease_by_addr(f->s->leases, a)->state, DHCP_LEASE_DECLINED);
	/* the same client asks again: never the declined address during the hold */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1, .now = NOW + 60}),
	                 1);
	assert_int_not_equal(f->reply.yiaddr, a);
}

static void test_reservations(void **state)
{
	struct fx *f = *state;
	struct req r = {.type = DHCP_DISCOVER, .mac = 0x99};
	assert_int_equal(handle(f, r), 1);
	assert_int_equal(f->reply.yiaddr, 0x0a000009);
	/* by client identifier, whatever the MAC */
	r = (struct req){.type = DHCP_DISCOVER, .mac = 5, .cid = "\x01\xaa\xbb\xcc\xdd\xee\xff"};
	assert_int_equal(handle(f, r), 1);
	assert_int_equal(f->reply.yiaddr, 0x0a000008);
	/* asking for a pool address instead: NAK, so it comes back for its own */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_REQUEST, .mac = 0x99, .requested = 0x0a000064}),
	        1);
	assert_int_equal(f->reply.type, DHCP_NAK);
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 0x99,
	                                        .requested = 0x0a000009,
	                                        .hostname = "junk"}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_string_equal(dhcp_lease_by_addr(f->s->leases, 0x0a000009)->hostname, "printer");
}

static void test_relayed_and_routing(void **state)
{
	struct fx *f = *state;
	/* giaddr selects 10.1.0.0/24; the reply goes to the relay's port 67 */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1, .giaddr = 0x0a010001}), 1);
	assert_int_equal(f->reply.yiaddr, 0x0a01000a);
	assert_int_equal(last(f)->dst, 0x0a010001);
	assert_int_equal(last(f)->port, 67);
	/* local, broadcast flag: broadcast */
	handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2, .flags = DHCP_BROADCAST_FLAG});
	assert_int_equal(last(f)->dst, 0xffffffffu);
	assert_false(last(f)->arp);
	/* local, no flag: unicast to yiaddr after an ARP entry */
	handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 3});
	assert_int_equal(last(f)->dst, f->reply.yiaddr);
	assert_true(last(f)->arp);
	assert_int_equal(last(f)->port, 68);
}

/* RFC 3046 2.2: the relay agent information comes back unchanged, and last */
static void test_relay_agent_echoed_last(void **state)
{
	struct fx *f = *state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 1,
	                                        .giaddr = 0x0a010001,
	                                        .agent = "\x01\x02r0\x02\x03"
	                                                 "abc"}),
	                 1);
	const struct dhcp_opt_view *v = dhcp_opt(&f->reply, DHCP_OPT_RELAY_AGENT);
	assert_non_null(v);
	assert_memory_equal(v->p,
	                    "\x01\x02r0\x02\x03"
	                    "abc",
	                    9);
	/* the byte after it in the packet is END */
	struct wire w = wire_init(last(f)->buf, last(f)->len);
	wire_skip(&w, (size_t) (v->p - last(f)->buf) + v->len);
	assert_int_equal(wire_u8(&w), DHCP_OPT_END);
}

static void test_inform(void **state)
{
	struct fx *f = *state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_INFORM,
	                                        .mac = 1,
	                                        .ciaddr = 0x0a000032,
	                                        .dst = SRV}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_int_equal(f->reply.ciaddr, 0x0a000032);
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_LEASE_TIME));
	assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_ROUTER));
	assert_false(last(f)->durable);
	assert_int_equal(dhcp_leases_count(f->s->leases), 0);
}

/* A PXE firmware sends no client identifier; iPXE or the OS after it sends
 * 01:MAC, or one of its own: one machine, one address. */
static void test_firmware_then_os_one_address(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	const char *eth_cid = "\x01\x52\x54\x00\x00\x00\x01";
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1, .cid = eth_cid}),
	                 1);
	assert_int_equal(f->reply.yiaddr, a);
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 1,
	                                        .cid = eth_cid,
	                                        .requested = a,
	                                        .server_id = SRV}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_int_equal(f->reply.yiaddr, a);
	/* an identifier of another kind on the same MAC adopts the lease too */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 1,
	                                        .cid = "\xff\x00\x11\x22\x33"}),
	                 1);
	assert_int_equal(f->reply.yiaddr, a);
	assert_int_equal(dhcp_leases_count(f->s->leases), 1);
	/* but a client with an identifier does not hand its lease to a bare MAC */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2, .cid = "\xff\x09\x09"}), 1);
	uint32_t b = f->reply.yiaddr;
	handle(f, (struct req){.type = DHCP_REQUEST,
	                       .mac = 2,
	                       .cid = "\xff\x09\x09",
	                       .requested = b,
	                       .server_id = SRV});
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 1);
	assert_int_not_equal(f->reply.yiaddr, b);
}

/* ---- network boot */

static void test_full_mode_boot(void **state)
{
	struct fx *f = *state;
	char s[128];
	/* a UEFI PXE client: loader over TFTP from us, vendor class echoed */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 1,
	                                        .vendor = "PXEClient:Arch:00007:UNDI:003016",
	                                        .arch = 7}),
	                 1);
	assert_int_not_equal(f->reply.yiaddr, 0);
	assert_int_equal(f->reply.siaddr, SRV);
	assert_string_equal((const char *) f->reply.file, "ipxe.efi");
	assert_int_equal(dhcp_opt_str(&f->reply, DHCP_OPT_VENDOR_CLASS, s, sizeof s), 9);
	/* once it runs iPXE: its script over HTTP, not the loader again */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 1,
	                                        .vendor = "PXEClient:Arch:00007:UNDI:003016",
	                                        .arch = 7,
	                                        .ipxe = true}),
	                 1);
	assert_string_equal((const char *) f->reply.file,
	                    "http://10.0.0.1/boot/52:54:00:00:00:01.ipxe");
	assert_int_equal(f->reply.siaddr, 0);
	/* no PXEClient vendor class: it would make iPXE wait for ProxyDHCP offers */
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_VENDOR_CLASS));
	/* a client that is not booting gets no boot file */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 1);
	assert_int_equal(f->reply.file[0], 0);
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_VENDOR_CLASS));
}

static int setup_proxy(void **state)
{
	return setup_with(state, "[dhcp]\nmode = proxy\n[boot]\nbios = undionly.kpxe\n");
}

static void test_proxy_mode(void **state)
{
	struct fx *f = *state;
	/* DISCOVER from a PXE client on 67: a proxy OFFER without an address */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 1,
	                                        .vendor = "PXEClient:Arch:00000:UNDI:002001",
	                                        .arch = 1000}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_OFFER);
	assert_int_equal(f->reply.yiaddr, 0);
	assert_int_equal(f->reply.siaddr, SRV);
	assert_string_equal((const char *) f->reply.file, "undionly.kpxe");
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_LEASE_TIME));
	assert_int_equal(last(f)->dst, 0xffffffffu);
	/* not a booting client, or a REQUEST on 67: not ours to answer */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 0);
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 1,
	                                        .vendor = "PXEClient",
	                                        .requested = 0x0a000064,
	                                        .server_id = 0x0a0000fe}),
	                 0);
	/* the REQUEST on 4011, from the address the real server gave it: an ACK
	 * back to where it came from, from port 4011 */
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 1,
	                                        .vendor = "PXEClient:Arch:00000:UNDI:002001",
	                                        .ciaddr = 0x0a000064,
	                                        .src = 0x0a000064,
	                                        .dst = SRV,
	                                        .pxe_port = true}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_int_equal(f->reply.ciaddr, 0x0a000064);
	assert_string_equal((const char *) f->reply.file, "undionly.kpxe");
	assert_int_equal(last(f)->dst, 0x0a000064);
	assert_int_equal(last(f)->port, 68);
	assert_true(last(f)->pxe_sock);
	/* an iPXE client's proxy offer still says PXEClient: that is what marks
	 * an offer as ProxyDHCP */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER,
	                                        .mac = 3,
	                                        .vendor = "PXEClient:Arch:00000:UNDI:002001",
	                                        .ipxe = true}),
	                 1);
	assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_VENDOR_CLASS));
	assert_string_equal((const char *) f->reply.file,
	                    "http://10.0.0.1/boot/52:54:00:00:00:03.ipxe");
	assert_int_equal(f->reply.siaddr, SRV); /* even for a URL: a next server is required */
	/* and nothing was leased */
	assert_int_equal(dhcp_leases_count(f->s->leases), 0);
}

/* ---- RFC 2131 4.3.1 Table 3, field by field, for every reply type */

enum reply_kind { R_OFFER, R_ACK, R_INFORM_ACK, R_NAK, R_PROXY_OFFER, R_PROXY_ACK };

/* Options walk to END within len, every option inside the packet. */
static bool well_formed(const uint8_t *b, size_t len)
{
	size_t i = 240;
	while (i < len) {
		if (b[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (b[i] == DHCP_OPT_END)
			return true;
		if (i + 2 > len || i + 2 + b[i + 1] > len)
			return false;
		i += 2 + (size_t) b[i + 1];
	}
	return false;
}

static void assert_table3(struct fx *f, const struct req *q, enum reply_kind k)
{
	const struct dhcp_msg *m = &f->reply;
	const struct dhcp_reply *r = last(f);
	static const uint8_t zero[128];
	static const uint8_t types[] = {DHCP_OFFER, DHCP_ACK,   DHCP_ACK,
	                                DHCP_NAK,   DHCP_OFFER, DHCP_ACK};
	struct hwaddr mac = mac_n(q->mac);
	uint32_t v = 0;

	assert_true(well_formed(r->buf, r->len));
	assert_true(r->len <= (q->max_size > 576 ? q->max_size : 576u));
	assert_int_equal(m->op, DHCP_BOOTREPLY);
	assert_int_equal(m->htype, 1);
	assert_int_equal(m->hlen, 6);
	assert_int_equal(m->hops, 0);
	assert_int_equal(m->xid, q->xid ? q->xid : 0x1234);
	assert_int_equal(m->secs, 0);
	assert_int_equal(m->giaddr, q->giaddr);
	assert_memory_equal(m->chaddr, mac.b, 6);
	assert_memory_equal(m->chaddr + 6, zero, 10);
	assert_memory_equal(m->sname, zero, 64); /* we never name ourselves there */
	/* ciaddr: the request's in an ACK (RENEWING, REBINDING, INFORM), else 0 */
	bool ack = k == R_ACK || k == R_INFORM_ACK || k == R_PROXY_ACK;
	assert_int_equal(m->ciaddr, ack ? q->ciaddr : 0);
	if (k == R_NAK) {
		/* the client's flags, broadcast set when relayed (4.3.2) */
		assert_int_equal(m->flags, q->flags | (q->giaddr ? DHCP_BROADCAST_FLAG : 0));
		assert_int_equal(m->yiaddr, 0);
		assert_int_equal(m->siaddr, 0);
		assert_memory_equal(m->file, zero, 128);
	} else {
		assert_int_equal(m->flags, q->flags);
	}
	if (k == R_INFORM_ACK || k == R_PROXY_OFFER || k == R_PROXY_ACK)
		assert_int_equal(m->yiaddr, 0);
	if (k == R_OFFER || k == R_ACK)
		assert_int_not_equal(m->yiaddr, 0);
	/* options: type; server identifier MUST; never 50, 55 or 57 */
	assert_int_equal(m->type, types[k]);
	assert_int_equal(dhcp_opt_u32(m, DHCP_OPT_SERVER_ID, &v), 0);
	assert_int_equal(v, SRV);
	assert_null(dhcp_opt(m, DHCP_OPT_REQUESTED_IP));
	assert_null(dhcp_opt(m, DHCP_OPT_PARAM_LIST));
	assert_null(dhcp_opt(m, DHCP_OPT_MAX_SIZE));
	assert_null(dhcp_opt(m, DHCP_OPT_OVERLOAD));
	/* lease time: MUST in an OFFER and an ACK to a REQUEST, MUST NOT elsewhere */
	bool lease = k == R_OFFER || k == R_ACK;
	assert_int_equal(dhcp_opt(m, DHCP_OPT_LEASE_TIME) != NULL, lease);
	if (k == R_NAK)
		for (unsigned c = 1; c < 255; c++)
			if (dhcp_opt_present(m, (uint8_t) c))
				assert_true(c == DHCP_OPT_MSG_TYPE || c == DHCP_OPT_SERVER_ID ||
				            c == DHCP_OPT_MESSAGE || c == DHCP_OPT_CLIENT_ID ||
				            c == DHCP_OPT_RELAY_AGENT);
}

static void test_table3_offer(void **state)
{
	struct fx *f = *state;
	struct req q = {.type = DHCP_DISCOVER, .mac = 1, .xid = 0xdeadbeef, .secs = 7};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_OFFER);
	/* relayed, broadcast flag, hops counted by the relay */
	q = (struct req){.type = DHCP_DISCOVER,
	                 .mac = 2,
	                 .xid = 7,
	                 .secs = 3,
	                 .hops = 1,
	                 .giaddr = 0x0a010001,
	                 .flags = DHCP_BROADCAST_FLAG};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_OFFER);
}

static void test_table3_ack(void **state)
{
	struct fx *f = *state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	uint32_t a = f->reply.yiaddr;
	/* SELECTING: ciaddr 0 in the request and in the ACK */
	struct req q = {.type = DHCP_REQUEST,
	                .mac = 1,
	                .xid = 0x01020304,
	                .secs = 2,
	                .requested = a,
	                .server_id = SRV,
	                .flags = DHCP_BROADCAST_FLAG};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_ACK);
	/* RENEWING (unicast) and REBINDING (broadcast): the ACK carries ciaddr */
	q = (struct req){.type = DHCP_REQUEST, .mac = 1, .xid = 9, .ciaddr = a, .dst = SRV};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_ACK);
	assert_int_equal(f->reply.ciaddr, a);
	q = (struct req){.type = DHCP_REQUEST, .mac = 1, .xid = 10, .secs = 60, .ciaddr = a};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_ACK);
	assert_int_equal(f->reply.ciaddr, a);
	/* INIT-REBOOT: ciaddr 0 */
	q = (struct req){.type = DHCP_REQUEST, .mac = 1, .xid = 11, .requested = a};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_ACK);
}

static void test_table3_nak_and_inform(void **state)
{
	struct fx *f = *state;
	struct req q = {.type = DHCP_REQUEST,
	                .mac = 1,
	                .xid = 0xabcd,
	                .secs = 4,
	                .requested = 0xc0a80105,
	                .cid = "\x01\x52\x54\x00\x00\x00\x77"};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_NAK);
	assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_MESSAGE));
	assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_CLIENT_ID));
	/* relayed: the broadcast bit is set for the relay */
	q = (struct req){.type = DHCP_REQUEST,
	                 .mac = 1,
	                 .hops = 2,
	                 .giaddr = 0x0a010001,
	                 .requested = 0xc0a80105,
	                 .agent = "\x01\x02r0"};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_NAK);
	/* a renewing client's NAK too (its address is someone else's) */
	uint32_t a = dora(f, 2, NULL);
	q = (struct req){.type = DHCP_REQUEST, .mac = 3, .ciaddr = a, .dst = SRV, .flags = 0x0001};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_NAK);
	/* INFORM: ciaddr echoed, no yiaddr, no lease time */
	q = (struct req){.type = DHCP_INFORM, .mac = 4, .xid = 5, .ciaddr = 0x0a000032, .dst = SRV};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_INFORM_ACK);
}

static void test_table3_proxy(void **state)
{
	struct fx *f = *state;
	const char *vc = "PXEClient:Arch:00000:UNDI:002001";
	struct req q = {.type = DHCP_DISCOVER,
	                .mac = 1,
	                .xid = 0x55,
	                .secs = 4,
	                .vendor = vc,
	                .arch = 1000,
	                .flags = DHCP_BROADCAST_FLAG};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_PROXY_OFFER);
	q = (struct req){.type = DHCP_REQUEST,
	                 .mac = 1,
	                 .xid = 0x56,
	                 .vendor = vc,
	                 .arch = 1000,
	                 .ciaddr = 0x0a000064,
	                 .src = 0x0a000064,
	                 .dst = SRV,
	                 .pxe_port = true};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_PROXY_ACK);
}

/* ---- the size the client can take (RFC 2132 9.10), with hostile echoes */

/* Options 61 and 82 of n bytes each, as RFC 3396 repeats of 255. */
static size_t big_echoes(uint8_t *buf, size_t n61, size_t n82)
{
	size_t len = 0;
	const size_t n[2] = {n61, n82};
	const uint8_t code[2] = {DHCP_OPT_CLIENT_ID, DHCP_OPT_RELAY_AGENT};
	for (int k = 0; k < 2; k++)
		for (size_t left = n[k]; left > 0;) {
			size_t c = left > 255 ? 255 : left;
			buf[len++] = code[k];
			buf[len++] = (uint8_t) c;
			memset(buf + len, 'a' + k, c);
			len += c;
			left -= c;
		}
	return len;
}

/* Each echo is there whole or not at all. */
static void assert_echo_whole(const struct dhcp_msg *m, uint8_t code, size_t n)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, code);
	if (v)
		assert_int_equal(v->len, n);
}

static void test_reply_sizes(void **state)
{
	struct fx *f = *state;
	uint8_t raw[1100];
	const struct {
		uint8_t type;
		uint32_t requested, ciaddr, dst;
		enum reply_kind kind;
	} cases[] = {
	        {DHCP_REQUEST, 0xc0a80105, 0, 0, R_NAK},
	        {DHCP_DISCOVER, 0, 0, 0, R_OFFER},
	        {DHCP_REQUEST, 0x0a000066, 0, 0, R_ACK},
	        {DHCP_INFORM, 0, 0x0a000032, SRV, R_INFORM_ACK},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(cases); i++) {
		for (int big = 0; big < 2; big++) {
			/* 576 bytes take one 200-byte echo; 1500 take two of 510 (RFC 3396) */
			size_t len = big ? 510 : 200, n = big_echoes(raw, len, len);
			struct req q = {.type = cases[i].type,
			                .mac = 1 + big,
			                .requested = cases[i].requested + (uint32_t) big,
			                .ciaddr = cases[i].ciaddr,
			                .dst = cases[i].dst,
			                .giaddr = 0x0a000002, /* a relay on the subnet */
			                .max_size = big ? 1500 : 0,
			                .raw = raw,
			                .raw_len = n};
			assert_int_equal(handle(f, q), 1);
			assert_table3(f, &q, cases[i].kind); /* well formed, within the size */
			assert_echo_whole(&f->reply, DHCP_OPT_CLIENT_ID, len);
			assert_echo_whole(&f->reply, DHCP_OPT_RELAY_AGENT, len);
			if (big) /* room for both: nothing left out */
				assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_CLIENT_ID));
			/* in 576 bytes one fits: the relay's is kept first */
			assert_non_null(dhcp_opt(&f->reply, DHCP_OPT_RELAY_AGENT));
			assert_int_equal(big, dhcp_opt(&f->reply, DHCP_OPT_CLIENT_ID) != NULL);
		}
	}
	/* an echo larger than the reply can be (900 > 576): left out, the reply still goes */
	size_t n = big_echoes(raw, 900, 0);
	struct req q = {
	        .type = DHCP_REQUEST, .mac = 2, .requested = 0xc0a80105, .raw = raw, .raw_len = n};
	assert_int_equal(handle(f, q), 1);
	assert_table3(f, &q, R_NAK);
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_CLIENT_ID));
	/* an option 57 under 576 means 576 */
	q = (struct req){.type = DHCP_INFORM,
	                 .mac = 3,
	                 .ciaddr = 0x0a000032,
	                 .dst = SRV,
	                 .max_size = 300,
	                 .raw = raw,
	                 .raw_len = n};
	assert_int_equal(handle(f, q), 1);
	assert_true(last(f)->len <= 576);
	assert_true(well_formed(last(f)->buf, last(f)->len));
}

static void test_proxy_reply_sizes(void **state)
{
	struct fx *f = *state;
	uint8_t raw[1100];
	size_t n = big_echoes(raw, 300, 300);
	for (int port = 0; port < 2; port++) {
		struct req q = {.type = port ? DHCP_REQUEST : DHCP_DISCOVER,
		                .mac = 1,
		                .vendor = "PXEClient:Arch:00000:UNDI:002001",
		                .arch = 1000,
		                .ciaddr = port ? 0x0a000064 : 0,
		                .src = port ? 0x0a000064 : 0,
		                .dst = port ? SRV : 0,
		                .pxe_port = port,
		                .raw = raw,
		                .raw_len = n};
		assert_int_equal(handle(f, q), 1);
		assert_table3(f, &q, port ? R_PROXY_ACK : R_PROXY_OFFER);
		assert_echo_whole(&f->reply, DHCP_OPT_CLIENT_ID, 300);
		assert_echo_whole(&f->reply, DHCP_OPT_RELAY_AGENT, 300);
		assert_string_equal((const char *) f->reply.file, "undionly.kpxe");
	}
}

/* ---- netbay's DNS as the default of options 6 and 15 */

static void test_dns_defaults(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0;
	char dom[64];
	/* 10.1.0.0/24 sets neither: our address as the relay reaches us, [dns] domain */
	assert_int_equal(
	        handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1, .giaddr = 0x0a010001}), 1);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_DNS, &v), 0);
	assert_int_equal(v, SRV);
	assert_int_equal(dhcp_opt_str(&f->reply, DHCP_OPT_DOMAIN, dom, sizeof dom), 3);
	assert_string_equal(dom, "lan");
	/* 10.0.0.0/24 sets dns: the admin's, and still our domain */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 1);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_DNS, &v), 0);
	assert_int_equal(v, 0x0a000001);
	assert_int_equal(dhcp_opt_str(&f->reply, DHCP_OPT_DOMAIN, dom, sizeof dom), 3);
}

static void expect_no_dns(const char *dns_section)
{
	char text[512];
	snprintf(text, sizeof text,
	         "[dns]\n%s\n[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.103\n", dns_section);
	void *state = NULL;
	setup_with(&state, text);
	struct fx *f = state;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_DNS));
	assert_null(dhcp_opt(&f->reply, DHCP_OPT_DOMAIN));
	teardown(&state);
}

static void test_dns_defaults_only_where_dns_answers(void **state)
{
	(void) state;
	expect_no_dns("mode = off");
	expect_no_dns("listen = 10.0.0.2"); /* another address than the client reaches */
	expect_no_dns("port = 5353");       /* clients only ask port 53 */
	/* a subnet's own domain wins; listening on our address is enough */
	void *st = NULL;
	setup_with(&st, "[dns]\nlisten = 127.0.0.1, 10.0.0.1\ndomain = home.arpa\n"
	                "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.103\ndomain = lab\n");
	struct fx *f = st;
	char dom[64];
	uint32_t v = 0;
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	assert_int_equal(dhcp_opt_u32(&f->reply, DHCP_OPT_DNS, &v), 0);
	assert_int_equal(v, SRV);
	assert_int_equal(dhcp_opt_str(&f->reply, DHCP_OPT_DOMAIN, dom, sizeof dom), 3);
	assert_string_equal(dom, "lab");
	teardown(&st);
}

/* ---- DECLINE and RELEASE: only the lease's own client, to us, the way it came */

static size_t decline(struct fx *f, int mac, uint32_t a, uint32_t sid, int ifindex, int64_t now)
{
	return handle(f, (struct req){.type = DHCP_DECLINE,
	                              .mac = mac,
	                              .requested = a,
	                              .server_id = sid,
	                              .ifindex = ifindex,
	                              .now = now});
}

static uint8_t state_of(struct fx *f, uint32_t a)
{
	return dhcp_lease_by_addr(f->s->leases, a)->state;
}

static void test_decline_only_bound_by_its_client(void **state)
{
	struct fx *f = *state;
	/* DISCOVER/DECLINE pairs (never ACKed) take nothing out of the pool */
	for (int i = 0; i < 30; i++) {
		int64_t t = NOW - 31 * (30 - i); /* each pair once the last offer's hold ran out */
		assert_int_equal(
		        handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 30 + i, .now = t}), 1);
		decline(f, 30 + i, f->reply.yiaddr, SRV, 1, t);
		assert_int_not_equal(state_of(f, f->reply.yiaddr), DHCP_LEASE_DECLINED);
	}
	uint32_t a = dora(f, 1, NULL);
	/* without our server identifier, or another's */
	decline(f, 1, a, 0, 1, NOW);
	decline(f, 1, a, 0x0a0000fe, 1, NOW);
	/* from another client, or another interface */
	decline(f, 2, a, SRV, 1, NOW);
	decline(f, 1, a, SRV, 2, NOW);
	assert_int_equal(state_of(f, a), DHCP_LEASE_BOUND);
	/* the lease's client, to us, the way it came: quarantined */
	decline(f, 1, a, SRV, 1, NOW);
	assert_int_equal(state_of(f, a), DHCP_LEASE_DECLINED);
}

static int setup_decline_rate(void **state)
{
	return setup_with(state, "[dhcp]\nnew-client-rate = 0\ndecline-rate = 2\n"
	                         "[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.200\n");
}

static void test_decline_rate(void **state)
{
	struct fx *f = *state;
	uint32_t a[4];
	for (int i = 0; i < 4; i++)
		a[i] = dora(f, 1 + i, NULL);
	/* two a minute per interface: the third waits */
	for (int i = 0; i < 3; i++)
		decline(f, 1 + i, a[i], SRV, 1, NOW);
	assert_int_equal(state_of(f, a[1]), DHCP_LEASE_DECLINED);
	assert_int_equal(state_of(f, a[2]), DHCP_LEASE_BOUND);
	/* another interface has its own budget (the lease came from there) */
	dhcp_lease_by_addr(f->s->leases, a[3])->ifindex = 2;
	decline(f, 4, a[3], SRV, 2, NOW);
	assert_int_equal(state_of(f, a[3]), DHCP_LEASE_DECLINED);
	/* half a minute later one more */
	decline(f, 3, a[2], SRV, 1, NOW + 30);
	assert_int_equal(state_of(f, a[2]), DHCP_LEASE_DECLINED);
}

static size_t release(struct fx *f, int mac, uint32_t a, uint32_t src, uint32_t sid, int ifindex)
{
	return handle(f, (struct req){.type = DHCP_RELEASE,
	                              .mac = mac,
	                              .ciaddr = a,
	                              .src = src,
	                              .dst = SRV,
	                              .server_id = sid,
	                              .ifindex = ifindex});
}

static void test_release_checks(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, "victim");
	/* the victim's MAC and address, but: not to us, from elsewhere, another
	 * interface, or another client */
	release(f, 1, a, a, 0, 1);
	release(f, 1, a, a, 0x0a0000fe, 1);
	release(f, 1, a, 0x0a000032, SRV, 1);
	release(f, 1, a, 0, SRV, 1);
	release(f, 1, a, a, SRV, 2);
	release(f, 2, a, a, SRV, 1);
	assert_int_equal(state_of(f, a), DHCP_LEASE_BOUND);
	assert_non_null(hosts_by_name(f->svc.hosts, "victim", NOW));
	/* the real thing */
	assert_int_equal(release(f, 1, a, a, SRV, 1), 0);
	assert_int_equal(state_of(f, a), DHCP_LEASE_RELEASED);
	assert_null(hosts_by_name(f->svc.hosts, "victim", NOW));
}

/* A lease loaded from the store has no interface: the subnet must match. */
static void test_release_of_loaded_lease(void **state)
{
	struct fx *f = *state;
	uint32_t a = dora(f, 1, NULL);
	dhcp_lease_by_addr(f->s->leases, a)->ifindex = 0;
	/* relayed subnet 10.1: the arrival picks that subnet, not the lease's */
	handle(f, (struct req){.type = DHCP_RELEASE,
	                       .mac = 1,
	                       .ciaddr = a,
	                       .src = a,
	                       .giaddr = 0x0a010001,
	                       .server_id = SRV});
	assert_int_equal(state_of(f, a), DHCP_LEASE_BOUND);
	release(f, 1, a, a, SRV, 7);
	assert_int_equal(state_of(f, a), DHCP_LEASE_RELEASED);
}

/* ---- names no client may take */

static void find_event(const struct journal_entry *e, void *data)
{
	if (strcmp(e->name, "dhcp.name_refused") == 0)
		*(bool *) data = true;
}

static void test_reserved_names_refused(void **state)
{
	struct fx *f = *state;
	const char *names[] = {"wpad", "ISATAP", "localhost"};
	for (int i = 0; i < 3; i++) {
		uint32_t a = dora(f, 1 + i, names[i]);
		assert_null(hosts_by_name(f->svc.hosts, names[i], NOW));
		/* published by address only: no reverse name either */
		assert_string_equal(hosts_by_addr(f->svc.hosts, a, NOW)->name, "");
		assert_null(dhcp_lease_by_addr(f->s->leases, a)->hostname);
		struct hwaddr m = mac_n(1 + i);
		bool seen = false;
		journal_foreach(f->svc.journal, &m, find_event, &seen);
		assert_true(seen);
	}
	/* option 81 alone (RFC 4702: flags, rcode1, rcode2, then the name) */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 9}), 1);
	uint32_t a = f->reply.yiaddr;
	static const uint8_t fqdn[] = {DHCP_OPT_FQDN, 11,  0,   0,   0,   'w', 'p',
	                               'a',           'd', '.', 'l', 'a', 'n'};
	assert_int_equal(handle(f, (struct req){.type = DHCP_REQUEST,
	                                        .mac = 9,
	                                        .requested = a,
	                                        .server_id = SRV,
	                                        .raw = fqdn,
	                                        .raw_len = sizeof fqdn}),
	                 1);
	assert_int_equal(f->reply.type, DHCP_ACK);
	assert_null(hosts_by_name(f->svc.hosts, "wpad", NOW));
	assert_null(dhcp_lease_by_addr(f->s->leases, a)->fqdn);
}

static int setup_limited(void **state)
{
	return setup_with(state, "[dhcp]\nnew-client-rate = 1\nnew-client-burst = 2\n"
	                         "[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.200\n");
}

static void test_starvation_limited(void **state)
{
	struct fx *f = *state;
	loop_run_once(f->svc.loop, 0); /* the rate clock is the loop's */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 2}), 1);
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 3}), 0);
	/* a known client is not a new one */
	assert_int_equal(handle(f, (struct req){.type = DHCP_DISCOVER, .mac = 1}), 1);
	assert_int_equal(dhcp_leases_count(f->s->leases), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_dora, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_offers_are_held, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_returning_client_gets_its_address, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_pool_exhaustion_and_oldest_first, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_init_reboot, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_selecting_another_server, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_renew_and_rebind, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_decline_quarantines, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reservations, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_relayed_and_routing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_relay_agent_echoed_last, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_starvation_limited, setup_limited, teardown),
	        cmocka_unit_test_setup_teardown(test_full_mode_boot, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_firmware_then_os_one_address, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_proxy_mode, setup_proxy, teardown),
	        cmocka_unit_test_setup_teardown(test_table3_offer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_table3_ack, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_table3_nak_and_inform, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_table3_proxy, setup_proxy, teardown),
	        cmocka_unit_test_setup_teardown(test_reply_sizes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_proxy_reply_sizes, setup_proxy, teardown),
	        cmocka_unit_test_setup_teardown(test_dns_defaults, setup, teardown),
	        cmocka_unit_test(test_dns_defaults_only_where_dns_answers),
	        cmocka_unit_test_setup_teardown(test_decline_only_bound_by_its_client, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_decline_rate, setup_decline_rate, teardown),
	        cmocka_unit_test_setup_teardown(test_release_checks, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_release_of_loaded_lease, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reserved_names_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
