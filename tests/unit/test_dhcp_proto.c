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
	f->svc.journal = journal_new(f->svc.hosts);
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
	uint32_t ciaddr, giaddr, requested, server_id;
	uint16_t flags;
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
	pkt_init(&p, mac.b, 0x1234);
	pkt_u32_at(&p, 12, r.ciaddr);
	pkt_u32_at(&p, 24, r.giaddr);
	p.b[10] = (uint8_t) (r.flags >> 8);
	pkt_type(&p, r.type);
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
	                     .ifindex = 1,
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
	assert_int_equal(
	        handle(f,
	               (struct req){.type = DHCP_RELEASE, .mac = 1, .ciaddr = a, .server_id = SRV}),
	        0);
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
	handle(f, (struct req){.type = DHCP_RELEASE, .mac = 12, .ciaddr = a[2], .now = NOW + 5});
	handle(f, (struct req){.type = DHCP_RELEASE, .mac = 11, .ciaddr = a[1], .now = NOW + 9});
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
