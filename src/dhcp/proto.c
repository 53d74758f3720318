/* The DHCPv4 state machine (RFC 2131 4.3): what to answer to each message,
 * with which address, and what changes in the lease table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "core/services.h"
#include "dhcp/internal.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

static const struct conf_host *find_reservation(const struct dhcp_ctx *x)
{
	const struct conf *c = x->s->conf;
	/* the option as sent: an admin may reserve by an 01:MAC identifier */
	const struct dhcp_opt_view *cid = dhcp_opt(x->m, DHCP_OPT_CLIENT_ID);
	for (size_t i = 0; i < c->n_hosts; i++) {
		const struct conf_host *h = &c->hosts[i];
		if (h->client_id_len && cid && cid->len == h->client_id_len &&
		    memcmp(h->client_id, cid->p, h->client_id_len) == 0)
			return h;
		if (h->has_mac && memcmp(&h->mac, &x->client.mac, sizeof h->mac) == 0)
			return h;
	}
	return NULL;
}

/* The reservation for this client, if it belongs to the client's subnet. */
static const struct conf_host *reservation_here(const struct dhcp_ctx *x)
{
	const struct conf_host *h = find_reservation(x);
	return h && ip4_in(h->addr, x->subnet->net, x->subnet->prefix) ? h : NULL;
}

/* A registered device's profile may set its own lease time. */
static uint32_t lease_sec(const struct dhcp_ctx *x)
{
	return x->reg.dev && x->reg.profile.lease_sec ? x->reg.profile.lease_sec
	                                              : x->subnet->lease_sec;
}

static uint32_t lease_end(const struct dhcp_ctx *x)
{
	return (uint32_t) (x->now + lease_sec(x));
}

/* ---- replies */

static void put_common(const struct dhcp_ctx *x, struct wbuf *b, uint8_t type)
{
	dhcp_put_u8(b, DHCP_OPT_MSG_TYPE, type);
	dhcp_put_u32(b, DHCP_OPT_SERVER_ID, x->server_id);
}

/* Bytes dhcp_put_opt writes for a body of len (RFC 3396: 255 per instance). */
static size_t opt_bytes(size_t len)
{
	size_t n = len ? (len + 254) / 255 : 1;
	return len + 2 * n;
}

/* Echoes of the request that go last: client identifier (RFC 6842) and
 * relay agent information, which must be the last option (RFC 3046 2.2).
 * An echo that does not fit before END is left out whole, never cut. With
 * strict, one that does not fit fails the reply (b->err), so the caller
 * can try a smaller one first; otherwise the relay's option is kept before
 * the client identifier (the relay needs it to deliver the reply). */
static void put_echoes(struct dhcp_ctx *x, struct wbuf *b, bool strict)
{
	const struct dhcp_opt_view *cid = dhcp_opt(x->m, DHCP_OPT_CLIENT_ID);
	const struct dhcp_opt_view *ra = dhcp_opt(x->m, DHCP_OPT_RELAY_AGENT);
	size_t room = wbuf_room(b) ? wbuf_room(b) - 1 : 0; /* END follows */
	size_t n_ra = ra ? opt_bytes(ra->len) : 0;
	size_t n_cid = cid ? opt_bytes(cid->len) : 0;

	if (b->err)
		return; /* the reply failed before: it is written again smaller */
	if (n_ra + n_cid > room && strict) {
		b->err = -ENOSPC;
		return;
	}
	unsigned lost = 0, lost_len = 0;
	if (n_ra > room) {
		lost = DHCP_OPT_RELAY_AGENT, lost_len = ra->len;
		ra = NULL, n_ra = 0;
	}
	if (n_cid > room - n_ra) {
		lost = DHCP_OPT_CLIENT_ID, lost_len = cid->len;
		cid = NULL;
	}
	if (lost)
		log_rl(&x->s->rl_bad, LOG_LVL_INFO,
		       "dhcp: %s: option %u (%u bytes) does not fit the reply to %s, left out",
		       x->mac, lost, lost_len, dhcp_msg_type_name(x->m->type));
	if (cid)
		dhcp_put_opt(b, DHCP_OPT_CLIENT_ID, cid->p, cid->len);
	if (ra)
		dhcp_put_opt(b, DHCP_OPT_RELAY_AGENT, ra->p, ra->len);
}

/* Whether netbay's own DNS answers clients at addr (port 53 on that
 * address): then it is the default of options 6 and 15. */
static bool dns_here(const struct conf *c, uint32_t addr)
{
	if (c->dns.mode == DNS_MODE_OFF || c->dns.port != 53 || !addr)
		return false;
	for (size_t i = 0; i < c->dns.n_listen; i++)
		if (c->dns.listen[i] == addr || c->dns.listen[i] == 0)
			return true;
	return c->dns.n_listen == 0;
}

/* Options 6 and 15: a device's profile, else the subnet's, else netbay's
 * DNS at the address the client reaches us at, with its local domain. */
static void put_dns(const struct dhcp_ctx *x, struct wbuf *b)
{
	const struct conf_subnet *n = x->subnet;
	const struct registry_profile *p = x->reg.dev ? &x->reg.profile : NULL;
	bool ours = dns_here(x->s->conf, x->server_id);
	if (p && p->n_dns)
		dhcp_put_addrs(b, DHCP_OPT_DNS, p->dns, p->n_dns);
	else if (n->n_dns)
		dhcp_put_addrs(b, DHCP_OPT_DNS, n->dns, n->n_dns);
	else if (ours)
		dhcp_put_u32(b, DHCP_OPT_DNS, x->server_id);
	const char *dom = p && p->domain[0] ? p->domain
	                  : n->domain[0]    ? n->domain
	                  : ours            ? x->s->conf->dns.domain
	                                    : NULL;
	dhcp_put_str(b, DHCP_OPT_DOMAIN, dom);
}

/* Network configuration of the subnet; with full = false only what fits a
 * minimal reply. */
static void put_config(const struct dhcp_ctx *x, struct wbuf *b, bool full)
{
	const struct conf_subnet *n = x->subnet;
	const struct dhcp_msg *m = x->m;
	dhcp_put_u32(b, DHCP_OPT_SUBNET_MASK, ip4_mask(n->prefix));
	dhcp_put_addrs(b, DHCP_OPT_ROUTER, n->routers, n->n_routers);
	if (!full)
		return;
	put_dns(x, b);
	dhcp_put_u32(b, DHCP_OPT_BROADCAST, n->net | ~ip4_mask(n->prefix));
	/* the rest only when asked for (some clients mishandle what they did not ask) */
	if (n->n_ntp && dhcp_opt_requested(m, DHCP_OPT_NTP))
		dhcp_put_addrs(b, DHCP_OPT_NTP, n->ntp, n->n_ntp);
	if (n->mtu && dhcp_opt_requested(m, DHCP_OPT_MTU))
		dhcp_put_u16(b, DHCP_OPT_MTU, (uint16_t) n->mtu);
	if (n->n_search && dhcp_opt_requested(m, DHCP_OPT_SEARCH))
		dhcp_put_search(b, n->search, n->n_search);
	if (n->n_routes && dhcp_opt_requested(m, DHCP_OPT_CLASSLESS_ROUTE)) {
		struct dhcp_route r[CONF_MAX_ROUTES];
		for (size_t i = 0; i < n->n_routes; i++)
			r[i] = (struct dhcp_route){n->routes[i].dest, n->routes[i].gw,
			                           n->routes[i].prefix};
		dhcp_put_routes(b, r, n->n_routes);
	}
}

/* ---- network boot */

void dhcp_proto_lookup(struct dhcp_ctx *x)
{
	struct registry *r = x->s->svc->registry;
	/* a plain DHCP client the registry does not know needs no profile */
	if (!pxe_client_booting(&x->pxe) && !registry_get(r, &x->client.mac)) {
		x->reg.dev = NULL;
		x->reg.verdict = REGISTRY_UNKNOWN;
		x->reg.why = "not a registered device";
		return;
	}
	registry_boot_for(r, &x->client.mac, &x->reg);
}

/* A booting client that passed every check (served interface, relay,
 * subnet, starvation guard) is recorded: its device found or created by
 * the registry's policy and limits, what it showed noted. */
static void record_boot(struct dhcp_ctx *x)
{
	if (!pxe_client_booting(&x->pxe))
		return;
	if (registry_boot_seen(x->s->svc->registry, &x->client.mac, x->m->ciaddr, x->pxe.arch,
	                       x->pxe.has_uuid ? x->pxe.uuid : NULL, &x->reg) < 0)
		log_rl(&x->s->rl_info, LOG_LVL_WARN, "dhcp: %s: could not record the device",
		       x->mac);
}

static uint16_t http_port(const struct conf *c)
{
	return c->http.enable ? (uint16_t) c->http.port : 0;
}

/* Whether the registry lets this client boot now; journals why not. */
static bool registry_allows(struct dhcp_ctx *x)
{
	const struct registry_boot *rb = &x->reg;
	if (rb->verdict == REGISTRY_BOOT)
		return true;
	/* a pending device may get the loader and then poll its waiting script */
	if (rb->verdict == REGISTRY_WAIT && x->s->conf->dhcp.pending_boot == CONF_PENDING_WAIT)
		return true;
	DHCP_JOURNAL(x, .kind = JOURNAL_PXE_NO_BOOT, .reason = rb->why, .arch = x->pxe.arch,
	             .ipxe = x->pxe.ipxe, .http = x->pxe.http,
	             .cause = rb->verdict == REGISTRY_WAIT   ? JOURNAL_CAUSE_PENDING
	                      : rb->verdict == REGISTRY_DENY ? JOURNAL_CAUSE_REJECTED
	                                                     : JOURNAL_CAUSE_IGNORED);
	log_rl(&x->s->rl_info, LOG_LVL_INFO, "dhcp: %s: no boot file: %s", x->mac, rb->why);
	return false;
}

/* Decides the network boot of a booting client; false when it gets none
 * (then journaled with the reason). */
static bool decide_boot(struct dhcp_ctx *x, struct pxe_boot *b)
{
	if (!pxe_client_booting(&x->pxe) || !registry_allows(x))
		return false;
	/* the registry's merged profile: [boot], then its group's, then its own */
	int r = pxe_decide(&x->pxe, &x->reg.profile.loaders, &x->client.mac, x->server_id,
	                   http_port(x->s->conf), b);
	if (r < 0) {
		DHCP_JOURNAL(x, .kind = JOURNAL_PXE_NO_BOOT, .reason = b->why, .arch = x->pxe.arch,
		             .ipxe = x->pxe.ipxe, .http = x->pxe.http,
		             .cause = b->miss == PXE_MISS_NO_LOADER  ? JOURNAL_CAUSE_NO_LOADER
		                      : b->miss == PXE_MISS_HTTP_OFF ? JOURNAL_CAUSE_HTTP_OFF
		                                                     : JOURNAL_CAUSE_NONE);
		log_rl(&x->s->rl_info, LOG_LVL_WARN, "dhcp: %s: %s client gets no boot file: %s",
		       x->mac, boot_arch_phrase(x->pxe.arch), b->why);
		return false;
	}
	DHCP_JOURNAL(x, .kind = JOURNAL_PXE_BOOT, .arch = x->pxe.arch, .ipxe = x->pxe.ipxe,
	             .http = x->pxe.http, .file = b->file, .reason = b->why);
	return true;
}

/* The reply size the client accepts (option 57, at least 576: RFC 2132 9.10). */
static size_t reply_cap(const struct dhcp_msg *m)
{
	uint16_t max = 0;
	if (dhcp_opt_u16(m, DHCP_OPT_MAX_SIZE, &max) < 0 || max < 576)
		max = 576;
	return NB_MIN((size_t) max, (size_t) DHCP_MAX_PACKET);
}

/* A reply that could not be written within the client's size: dropped
 * whole (a truncated packet is never sent). */
static void reply_unsent(struct dhcp_ctx *x, uint8_t type)
{
	log_rl(&x->s->rl_bad, LOG_LVL_WARN, "dhcp: %s: %s does not fit %zu bytes, not sent", x->mac,
	       dhcp_msg_type_name(type), reply_cap(x->m));
	x->s->n_out--;
}

/* OFFER, ACK or INFORM's ACK. lease_sec 0: no lease options (INFORM).
 * RFC 2131 4.3.1 Table 3: ciaddr is the request's in an ACK (a RENEWING or
 * REBINDING client's address, an INFORM's) and 0 in an OFFER; xid, flags,
 * giaddr and chaddr are the request's; hops and secs 0. */
static void reply_lease(struct dhcp_ctx *x, uint8_t type, uint32_t yiaddr, uint32_t lease_time,
                        bool durable)
{
	struct dhcp_reply *r = dhcp_reply_new(x->s);
	if (!r)
		return;
	uint32_t ciaddr = type == DHCP_ACK ? x->m->ciaddr : 0;
	struct pxe_boot boot;
	bool booting = lease_time && decide_boot(x, &boot);
	uint32_t siaddr = booting && boot.tftp ? x->server_id : 0;
	const char *file = booting && strlen(boot.file) <= 127 ? boot.file : NULL;
	/* first everything; then the minimal configuration; then without the
	 * echoes that do not fit */
	for (int round = 0; round < 3 && r->len == 0; round++) {
		struct wbuf b = wbuf_init(r->buf, reply_cap(x->m));
		dhcp_write_header(&b, x->m, DHCP_BOOTREPLY, ciaddr, yiaddr, siaddr, x->m->flags,
		                  NULL, file);
		put_common(x, &b, type);
		if (lease_time) {
			bool own = lease_time != x->subnet->lease_sec;
			dhcp_put_u32(&b, DHCP_OPT_LEASE_TIME, lease_time);
			dhcp_put_u32(&b, DHCP_OPT_T1,
			             own ? lease_time / 2 : conf_subnet_t1(x->subnet));
			dhcp_put_u32(&b, DHCP_OPT_T2,
			             own ? (uint32_t) ((uint64_t) lease_time * 7 / 8)
			                 : conf_subnet_t2(x->subnet));
		}
		put_config(x, &b, round == 0);
		if (booting)
			pxe_put_options(&b, x->m, &x->pxe, &boot, x->server_id, false);
		put_echoes(x, &b, round < 2);
		dhcp_write_end(&b);
		if (b.err == 0)
			r->len = wbuf_len(&b);
	}
	if (r->len == 0) {
		reply_unsent(x, type);
		return;
	}
	r->type = type;
	r->durable = durable;
	dhcp_reply_route(x, r, yiaddr, false);
}

/* RFC 2131 4.3.1 Table 3: a NAK has no addresses, no sname or file, and
 * only the message, the echoes and the server identifier; flags are the
 * client's, with the broadcast bit set for a relay to broadcast it (4.3.2). */
static void reply_nak(struct dhcp_ctx *x, const char *why)
{
	struct dhcp_reply *r = dhcp_reply_new(x->s);
	if (!r)
		return;
	struct wbuf b = wbuf_init(r->buf, reply_cap(x->m));
	uint16_t flags = x->m->flags | (x->m->giaddr ? DHCP_BROADCAST_FLAG : 0);
	dhcp_write_header(&b, x->m, DHCP_BOOTREPLY, 0, 0, 0, flags, NULL, NULL);
	put_common(x, &b, DHCP_NAK);
	dhcp_put_str(&b, DHCP_OPT_MESSAGE, why);
	put_echoes(x, &b, false);
	dhcp_write_end(&b);
	if (b.err) {
		reply_unsent(x, DHCP_NAK);
		return;
	}
	r->len = wbuf_len(&b);
	r->type = DHCP_NAK;
	dhcp_reply_route(x, r, 0, true);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_NAK, .ip = x->m->ciaddr, .reason = why);
	log_rl(&x->s->rl_info, LOG_LVL_INFO, "dhcp: %s: NAK (%s)", x->mac, why);
}

/* ---- DISCOVER */

/* NULL with *ret_limited set: the client was refused by the new-client rate
 * (already logged); NULL without: the subnet has no free address. */
static struct dhcp_lease *choose_for_discover(struct dhcp_ctx *x, bool *ret_limited)
{
	struct dhcp_server *s = x->s;
	const struct conf_subnet *n = x->subnet;
	const struct conf_host *h = reservation_here(x);
	uint32_t requested = 0;

	*ret_limited = false;
	if (h)
		return dhcp_leases_claim(s->leases, h->addr, &x->client);
	struct dhcp_lease *l = dhcp_lease_by_client(s->leases, &x->client, n->net, n->prefix);
	/* RFC 2131 4.3.1: the client's current or previous address, when still free */
	if (l && dhcp_leases_in_pool(s->leases, l->addr) &&
	    dhcp_lease_available(l, &x->client, x->now))
		return l;
	(void) dhcp_opt_u32(x->m, DHCP_OPT_REQUESTED_IP, &requested);
	if (!l && !dhcp_rate_admit(x)) {
		*ret_limited = true;
		return NULL;
	}
	return dhcp_leases_allocate(s->leases, n, &x->client, requested, x->now);
}

static void on_discover(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	char a[IP4_STRLEN];
	bool limited;

	struct dhcp_lease *l = choose_for_discover(x, &limited);
	if (limited) {
		/* a flood of new MACs leaves no trace; a registered device's does */
		if (x->reg.dev)
			DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_DISCOVER, .relay = x->m->giaddr,
			             .iface = x->ifname, .cause = JOURNAL_CAUSE_GUARD);
		return;
	}
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_DISCOVER, .relay = x->m->giaddr, .iface = x->ifname);
	if (!l) {
		ip4_fmt(x->subnet->net, a);
		DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_NO_ADDRESS, .subnet = x->subnet->net,
		             .prefix = x->subnet->prefix);
		log_rl(&s->rl_info, LOG_LVL_WARN, "dhcp: %s: no free address in %s/%u", x->mac, a,
		       x->subnet->prefix);
		return;
	}
	if (!(l->state == DHCP_LEASE_BOUND && dhcp_lease_owned_by(l, &x->client) &&
	      l->expires > x->now))
		dhcp_lease_offer(s->leases, l, x->now, s->conf->dhcp.offer_hold_sec);
	record_boot(x);
	reply_lease(x, DHCP_OFFER, l->addr, lease_sec(x), false);
	ip4_fmt(l->addr, a);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_OFFER, .ip = l->addr);
	log_ctx_set_ip(l->addr);
	log_ctx_set_event("dhcp.offer");
	log_debug("dhcp: %s: OFFER %s", x->mac, a);
}

/* ---- REQUEST */

/* The name the client asks to be published under (option 12, else the
 * first label of option 81) and option 81 as sent; both "" for a name that
 * is not a valid label or that no host may claim ([dns] reserved-names:
 * wpad, isatap... would take over the LAN's proxy discovery). */
static void lease_names(struct dhcp_ctx *x, uint32_t addr, char *host, size_t n_host, char *fqdn,
                        size_t n_fqdn)
{
	char a[IP4_STRLEN];
	(void) dhcp_opt_str(x->m, DHCP_OPT_HOSTNAME, host, n_host);
	(void) dhcp_opt_fqdn(x->m, fqdn, n_fqdn);
	if (!host[0] && fqdn[0])
		snprintf(host, n_host, "%.*s", (int) strcspn(fqdn, "."), fqdn);
	host[strcspn(host, ".")] = 0; /* a host name is one label */
	if (!nb_hostname_valid(host))
		host[0] = 0;
	if (!host[0] || !hosts_name_reserved(x->s->svc->hosts, host))
		return;
	ip4_fmt(addr, a);
	/* rare and telling: journaled for every client, not only booting ones */
	journal_emit(x->s->svc->journal, &(struct journal_fact){.kind = JOURNAL_DHCP_NAME_REFUSED,
	                                                        .mac = &x->client.mac,
	                                                        .ip = addr,
	                                                        .host = host});
	log_rl(&x->s->rl_info, LOG_LVL_WARN,
	       "dhcp: %s: asks for the reserved name '%s' at %s; not published", x->mac, host, a);
	host[0] = 0;
	fqdn[0] = 0;
}

static void bind_lease(struct dhcp_ctx *x, struct dhcp_lease *l)
{
	struct dhcp_server *s = x->s;
	char host[64] = "", fqdn[256] = "", a[IP4_STRLEN];

	/* a client holds one address per subnet: let go of any other */
	struct dhcp_lease *old;
	while ((old = dhcp_lease_by_client(s->leases, &x->client, x->subnet->net,
	                                   x->subnet->prefix)) &&
	       old != l && old->state == DHCP_LEASE_BOUND) {
		dhcp_lease_unpublish(s, old);
		dhcp_lease_set(s->leases, old, DHCP_LEASE_RELEASED, (uint32_t) x->now);
		(void) dhcp_lease_persist(s, old);
	}
	lease_names(x, l->addr, host, sizeof host, fqdn, sizeof fqdn);
	const struct conf_host *h = find_reservation(x);
	if (h && h->addr == l->addr)
		snprintf(host, sizeof host, "%s", h->name); /* the admin's name wins */
	else if (x->reg.dev && x->reg.dev->name[0])
		snprintf(host, sizeof host, "%s", x->reg.dev->name); /* so does a device's */
	dhcp_lease_set(s->leases, l, DHCP_LEASE_BOUND, lease_end(x));
	l->ifindex = x->pkt->ifindex; /* where RELEASE and DECLINE must come from */
	(void) dhcp_lease_set_names(l, host, fqdn);
	if (dhcp_lease_persist(s, l) < 0)
		return; /* logged; no ACK without a durable lease */
	/* a registered device's address is where its name is published */
	if (x->reg.dev && x->reg.dev->ip != l->addr &&
	    registry_boot_seen(s->svc->registry, &x->client.mac, l->addr, x->pxe.arch,
	                       x->pxe.has_uuid ? x->pxe.uuid : NULL, &x->reg) < 0)
		log_rl(&s->rl_info, LOG_LVL_WARN, "dhcp: %s: could not record the device's address",
		       x->mac);
	reply_lease(x, DHCP_ACK, l->addr, lease_sec(x), true);
	ip4_fmt(l->addr, a);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_ACK, .ip = l->addr, .seconds = lease_sec(x),
	             .host = host);
	log_ctx_set_ip(l->addr);
	log_ctx_set_event("dhcp.ack");
	if (host[0])
		log_ctx_set_device(host);
	log_rl(&s->rl_lease, LOG_LVL_INFO, "dhcp: %s: ACK %s%s%s%s", x->mac, a, host[0] ? " (" : "",
	       host, host[0] ? ")" : "");
}

/* Whether this server may give addr to the client now (its own lease, its
 * reservation, or a free pool address). */
static struct dhcp_lease *grantable(struct dhcp_ctx *x, uint32_t addr, bool *ret_taken)
{
	struct dhcp_server *s = x->s;
	const struct conf_host *h = find_reservation(x);
	struct dhcp_lease *l = dhcp_lease_by_addr(s->leases, addr);

	*ret_taken = false;
	if (h && h->addr == addr)
		return dhcp_leases_claim(s->leases, addr, &x->client);
	if (h) {
		*ret_taken = true; /* reserved elsewhere: move it to its reservation */
		return NULL;
	}
	if (l && dhcp_lease_owned_by(l, &x->client) && l->state != DHCP_LEASE_DECLINED)
		return l;
	if (l && !dhcp_lease_available(l, &x->client, x->now)) {
		*ret_taken = true;
		return NULL;
	}
	for (size_t i = 0; i < s->conf->n_hosts; i++)
		if (s->conf->hosts[i].addr == addr) {
			*ret_taken = true; /* someone else's reservation */
			return NULL;
		}
	if (!dhcp_leases_in_pool(s->leases, addr)) {
		*ret_taken = true; /* not ours to give */
		return NULL;
	}
	if (!l && !dhcp_rate_admit(x))
		return NULL;
	return dhcp_leases_claim(s->leases, addr, &x->client);
}

static void on_request(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	const struct dhcp_msg *m = x->m;
	uint32_t sid = 0, req = 0, addr;
	char a[IP4_STRLEN], b[IP4_STRLEN];
	bool has_sid = dhcp_opt_u32(m, DHCP_OPT_SERVER_ID, &sid) == 0;
	bool has_req = dhcp_opt_u32(m, DHCP_OPT_REQUESTED_IP, &req) == 0;
	const char *state;

	if (has_sid) {
		state = "SELECTING";
		if (sid != x->server_id) {
			/* the client chose another server's offer: ours is free again */
			struct dhcp_lease *l = dhcp_lease_by_client(
			        s->leases, &x->client, x->subnet->net, x->subnet->prefix);
			if (l && l->state == DHCP_LEASE_OFFERED)
				dhcp_lease_set(s->leases, l, DHCP_LEASE_RELEASED,
				               (uint32_t) x->now);
			ip4_fmt(sid, a);
			DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_OTHER_SERVER, .ip = req,
			             .server = sid);
			log_rl(&s->rl_info, LOG_LVL_INFO, "dhcp: %s: chose server %s, not us",
			       x->mac, a);
			return;
		}
		if (!has_req || m->ciaddr) {
			log_rl(&s->rl_bad, LOG_LVL_INFO,
			       "dhcp: %s: REQUEST in SELECTING without requested address, ignoring",
			       x->mac);
			return;
		}
		addr = req;
	} else if (has_req && !m->ciaddr) {
		state = "INIT-REBOOT";
		addr = req;
	} else if (m->ciaddr && !has_req) {
		state = x->pkt->dst_addr == 0xffffffffu ? "REBINDING" : "RENEWING";
		addr = m->ciaddr;
	} else {
		log_rl(&s->rl_bad, LOG_LVL_INFO, "dhcp: %s: REQUEST fits no client state, ignoring",
		       x->mac);
		return;
	}
	ip4_fmt(addr, a);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_REQUEST, .ip = addr, .state = state);
	/* RFC 2131 4.3.2: an address from another network is always refused */
	if (!ip4_in(addr, x->subnet->net, x->subnet->prefix)) {
		snprintf(b, sizeof b, "%u", x->subnet->prefix);
		char why[96];
		snprintf(why, sizeof why, "%s is not on this network (%s/%s)", a,
		         ip4_fmt(x->subnet->net, (char[IP4_STRLEN]){0}), b);
		reply_nak(x, why);
		return;
	}
	bool taken;
	struct dhcp_lease *l = grantable(x, addr, &taken);
	if (l) {
		record_boot(x);
		bind_lease(x, l);
		return;
	}
	/* RFC 2131 4.3.2: NAK what is known wrong; otherwise stay silent */
	if (taken && (s->conf->dhcp.authoritative || has_sid))
		reply_nak(x, "address not available");
	else
		log_debug("dhcp: %s: %s for %s not granted, staying silent", x->mac, state, a);
}

/* ---- DECLINE, RELEASE, INFORM */

/* Whether the message names us as its server (RFC 2131 Table 5: DECLINE
 * and RELEASE MUST carry the server identifier). */
static bool for_us(const struct dhcp_ctx *x)
{
	uint32_t sid = 0;
	return dhcp_opt_u32(x->m, DHCP_OPT_SERVER_ID, &sid) == 0 && sid == x->server_id;
}

/* The lease at addr when it is bound to this client and the message came
 * the way its REQUEST did (the same interface; a lease loaded from the
 * store, whose interface is not known, at least the same subnet). NULL
 * with *ret_why otherwise. */
static struct dhcp_lease *bound_here(struct dhcp_ctx *x, uint32_t addr, const char **ret_why)
{
	struct dhcp_lease *l = dhcp_lease_by_addr(x->s->leases, addr);
	if (!l || !dhcp_lease_owned_by(l, &x->client))
		*ret_why = "not its lease";
	else if (l->state != DHCP_LEASE_BOUND || l->expires <= x->now)
		*ret_why = "not bound to it (offered only, or over)";
	else if (l->ifindex ? l->ifindex != x->pkt->ifindex
	                    : !ip4_in(addr, x->subnet->net, x->subnet->prefix))
		*ret_why = "its lease was made on another interface";
	else
		return l;
	return NULL;
}

/* Refills b (per_min a minute, at most burst) and tells whether it holds a token. */
static bool bucket_ready(struct dhcp_decline_bucket *b, double per_min, double burst, int64_t now)
{
	if (!b->used) {
		b->used = true;
		b->tokens = burst;
		b->last_sec = now;
	}
	if (now > b->last_sec)
		b->tokens += (double) (now - b->last_sec) * per_min / 60.0;
	b->tokens = NB_MIN(b->tokens, burst);
	b->last_sec = NB_MAX(b->last_sec, now);
	return b->tokens >= 1;
}

/* [dhcp] decline-rate: DECLINEs honoured a minute per interface or relay,
 * and four times that in all (so rotating relay addresses gains nothing). */
static bool decline_admit(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	double per_min = s->conf->dhcp.decline_rate;
	int ifx = x->pkt->ifindex;
	uint32_t relay = x->m->giaddr;
	struct dhcp_decline_bucket *b = NULL, *lru = &s->decline[0];

	if (per_min == 0)
		return true;
	for (size_t i = 0; i < DHCP_DECLINE_KEYS && !b; i++) {
		struct dhcp_decline_bucket *k = &s->decline[i];
		if (k->used && k->ifindex == ifx && k->relay == relay)
			b = k;
		else if (!k->used || (lru->used && k->last_sec < lru->last_sec))
			lru = k;
	}
	if (!b) {
		b = lru;
		*b = (struct dhcp_decline_bucket){.ifindex = ifx, .relay = relay};
	}
	if (!bucket_ready(b, per_min, per_min, x->now) ||
	    !bucket_ready(&s->decline_all, 4 * per_min, 4 * per_min, x->now))
		return false;
	b->tokens -= 1;
	s->decline_all.tokens -= 1;
	return true;
}

/* RFC 2131 4.3.3: the client found its address in use (after the ACK,
 * by ARP): the address is quarantined for decline-hold. Honoured only for
 * the client's bound lease, sent to us, within decline-rate. */
static void on_decline(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	uint32_t req = 0;
	char a[IP4_STRLEN];
	const char *why = "not addressed to this server";
	struct dhcp_lease *l = NULL;

	if (dhcp_opt_u32(x->m, DHCP_OPT_REQUESTED_IP, &req) < 0)
		why = "no requested address";
	else if (for_us(x) && (l = bound_here(x, req, &why)) && !decline_admit(x))
		why = "DECLINEs arrive faster than decline-rate", l = NULL;
	ip4_fmt(req, a);
	if (!l) {
		DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_DECLINE_REFUSED, .ip = req, .reason = why);
		log_rl(&s->rl_info, LOG_LVL_INFO, "dhcp: %s: DECLINE of %s via %s refused: %s",
		       x->mac, a, x->ifname, why);
		return;
	}
	dhcp_lease_unpublish(s, l);
	dhcp_lease_set(s->leases, l, DHCP_LEASE_DECLINED,
	               (uint32_t) (x->now + s->conf->dhcp.decline_hold_sec));
	(void) dhcp_lease_persist(s, l);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_DECLINE, .ip = req,
	             .seconds = s->conf->dhcp.decline_hold_sec);
	log_rl(&s->rl_info, LOG_LVL_WARN,
	       "dhcp: %s: DECLINE %s: the address is in use by another host, quarantined for %us",
	       x->mac, a, s->conf->dhcp.decline_hold_sec);
}

/* RFC 2131 4.4.6. DHCPv4 has no authentication; the cheap checks it allows:
 * sent to us, from the address it releases (a RELEASE is unicast from
 * ciaddr, never relayed), by the lease's client, the way its REQUEST came. */
static void on_release(struct dhcp_ctx *x)
{
	struct dhcp_server *s = x->s;
	char a[IP4_STRLEN], src[IP4_STRLEN];
	const char *why = "not addressed to this server";
	struct dhcp_lease *l = NULL;

	if (for_us(x)) {
		if (x->pkt->src_addr != x->m->ciaddr || !x->m->ciaddr)
			why = "not sent from the address it releases";
		else
			l = bound_here(x, x->m->ciaddr, &why);
	}
	ip4_fmt(x->m->ciaddr, a);
	if (!l) {
		DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_RELEASE_REFUSED, .ip = x->m->ciaddr,
		             .reason = why);
		log_rl(&s->rl_info, LOG_LVL_INFO,
		       "dhcp: %s: RELEASE of %s from %s via %s refused: %s", x->mac, a,
		       ip4_fmt(x->pkt->src_addr, src), x->ifname, why);
		return;
	}
	dhcp_lease_unpublish(s, l);
	dhcp_lease_set(s->leases, l, DHCP_LEASE_RELEASED, (uint32_t) x->now);
	(void) dhcp_lease_persist(s, l);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_RELEASE, .ip = l->addr);
	log_rl(&s->rl_lease, LOG_LVL_INFO, "dhcp: %s: RELEASE %s", x->mac, a);
}

static void on_inform(struct dhcp_ctx *x)
{
	/* RFC 2131 4.3.5: configuration only; no lease, no yiaddr */
	if (!x->m->ciaddr)
		return;
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_INFORM, .ip = x->m->ciaddr);
	reply_lease(x, DHCP_ACK, 0, 0, false);
}

/* ---- proxy mode */

/* PXE 2.1 2.2.2-2.2.5, RFC 4578: beside the LAN's own DHCP server, answer
 * only network-booting clients, with boot information and no address: a
 * proxy OFFER to the DISCOVER on port 67, an ACK to the REQUEST on 4011.
 * Everything else is the other server's to answer. */
void dhcp_proto_proxy(struct dhcp_ctx *x)
{
	const struct dhcp_msg *m = x->m;
	struct pxe_boot boot;

	if (!pxe_client_booting(&x->pxe))
		return;
	if (x->pxe_port ? m->type != DHCP_REQUEST && m->type != DHCP_INFORM
	                : m->type != DHCP_DISCOVER)
		return;
	uint8_t type = x->pxe_port ? DHCP_ACK : DHCP_OFFER;
	record_boot(x);
	DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_PROXY_REQUEST, .ip = m->ciaddr,
	             .method = dhcp_msg_type_name(m->type),
	             .port = x->pxe_port ? DHCP_PXE_PORT : DHCP_SERVER_PORT);
	if (!decide_boot(x, &boot))
		return;
	struct dhcp_reply *r = dhcp_reply_new(x->s);
	if (!r)
		return;
	struct wbuf b = wbuf_init(r->buf, reply_cap(m));
	/* siaddr always: PXE clients (iPXE among them) accept a ProxyDHCP reply
	 * only when it names a next server and a boot file */
	dhcp_write_header(&b, m, DHCP_BOOTREPLY, x->pxe_port ? m->ciaddr : 0, 0, x->server_id,
	                  m->flags, NULL, strlen(boot.file) <= 127 ? boot.file : NULL);
	put_common(x, &b, type);
	pxe_put_options(&b, m, &x->pxe, &boot, x->server_id, true);
	put_echoes(x, &b, false);
	dhcp_write_end(&b);
	if (b.err) {
		reply_unsent(x, type);
		return;
	}
	r->len = wbuf_len(&b);
	r->type = type;
	r->pxe_sock = x->pxe_port;
	r->src = x->server_id;
	r->mac = x->client.mac;
	if (m->giaddr) {
		r->dst = m->giaddr;
		r->port = DHCP_SERVER_PORT;
	} else if (x->pxe_port && x->pkt->src_addr) {
		/* the boot server answers where the request came from */
		r->dst = x->pkt->src_addr;
		r->port = x->pkt->src_port;
		r->ifindex = x->pkt->ifindex;
	} else {
		r->dst = 0xffffffffu; /* no address yet: broadcast */
		r->port = DHCP_CLIENT_PORT;
		r->ifindex = x->pkt->ifindex;
	}
	log_rl(&x->s->rl_lease, LOG_LVL_INFO, "dhcp: %s: proxy %s on %s: %s", x->mac,
	       dhcp_msg_type_name(type), x->ifname, boot.file);
}

void dhcp_proto_handle(struct dhcp_ctx *x)
{
	if (!x->subnet) {
		log_rl(&x->s->rl_info, LOG_LVL_INFO,
		       "dhcp: %s: %s from %s: no [subnet] for it, ignoring", x->mac,
		       dhcp_msg_type_name(x->m->type), x->ifname);
		return;
	}
	switch (x->m->type) {
	case DHCP_DISCOVER:
		on_discover(x);
		break;
	case DHCP_REQUEST:
		on_request(x);
		break;
	case DHCP_DECLINE:
		on_decline(x);
		break;
	case DHCP_RELEASE:
		on_release(x);
		break;
	case DHCP_INFORM:
		on_inform(x);
		break;
	default:
		log_rl(&x->s->rl_bad, LOG_LVL_INFO, "dhcp: %s: ignoring %s", x->mac,
		       dhcp_msg_type_name(x->m->type));
	}
}
