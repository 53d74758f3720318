/* The checks the config loader runs over the whole file once every line is
 * read, where one key alone cannot tell: subnets and their ranges, routers
 * and lease timers; host reservations against the pools and each other; the
 * [api] TCP listener and its TLS certificate; the default group; and, through conf_check_dns(), the
 * [dns] records. Each problem is reported at the line it concerns. */
#include "core/conf.h"
#include "core/conf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/tls.h"

static bool ranges_overlap(uint32_t a1, uint32_t a2, uint32_t b1, uint32_t b2)
{
	return a1 <= b2 && b1 <= a2;
}

static void check_subnets(struct conf_state *st)
{
	struct conf *c = st->c;
	char a[IP4_STRLEN], b[IP4_STRLEN];

	for (size_t i = 0; i < c->n_subnets; i++) {
		struct conf_subnet *s = &c->subnets[i];
		uint32_t bcast = s->net | ~ip4_mask(s->prefix);
		st->line = s->line;
		for (size_t j = 0; j < i; j++) {
			struct conf_subnet *o = &c->subnets[j];
			if (ranges_overlap(s->net, bcast, o->net, o->net | ~ip4_mask(o->prefix)))
				diag(st, "subnet %s/%u overlaps subnet %s/%u on line %d",
				     ip4_fmt(s->net, a), s->prefix, ip4_fmt(o->net, b), o->prefix,
				     o->line);
		}
		for (size_t r = 0; r < s->n_ranges; r++) {
			struct conf_range *rg = &s->ranges[r];
			st->line = rg->line ? rg->line : s->line;
			if (!ip4_in(rg->start, s->net, s->prefix) ||
			    !ip4_in(rg->end, s->net, s->prefix))
				diag(st, "range %s-%s is outside subnet %s/%u",
				     ip4_fmt(rg->start, a), ip4_fmt(rg->end, b),
				     ip4_fmt(s->net, (char[IP4_STRLEN]){0}), s->prefix);
			else if (rg->start == s->net || rg->end == bcast)
				diag(st, "range %s-%s includes the network or broadcast address",
				     ip4_fmt(rg->start, a), ip4_fmt(rg->end, b));
			for (size_t q = 0; q < r; q++)
				if (ranges_overlap(rg->start, rg->end, s->ranges[q].start,
				                   s->ranges[q].end))
					diag(st,
					     "range %s-%s overlaps another range of this subnet",
					     ip4_fmt(rg->start, a), ip4_fmt(rg->end, b));
		}
		st->line = s->line;
		for (size_t r = 0; r < s->n_routers; r++)
			if (!ip4_in(s->routers[r], s->net, s->prefix))
				diag(st, "router %s is outside subnet %s/%u",
				     ip4_fmt(s->routers[r], a), ip4_fmt(s->net, b), s->prefix);
		uint32_t t1 = conf_subnet_t1(s), t2 = conf_subnet_t2(s);
		if (!(t1 < t2 && t2 < s->lease_sec))
			diag(st, "lease timers must satisfy t1 (%us) < t2 (%us) < lease-time (%us)",
			     t1, t2, s->lease_sec);
	}
}

static bool host_in_pool(const struct conf *c, uint32_t addr)
{
	for (size_t i = 0; i < c->n_subnets; i++)
		for (size_t r = 0; r < c->subnets[i].n_ranges; r++)
			if (addr >= c->subnets[i].ranges[r].start &&
			    addr <= c->subnets[i].ranges[r].end)
				return true;
	return false;
}

static void check_hosts(struct conf_state *st)
{
	struct conf *c = st->c;
	char a[IP4_STRLEN], m[HWADDR_STRLEN];

	for (size_t i = 0; i < c->n_hosts; i++) {
		struct conf_host *h = &c->hosts[i];
		st->line = h->line;
		for (size_t k = 0; k < c->dns.n_reserved; k++)
			if (nb_streq_nocase(h->name, c->dns.reserved[k]))
				diag(st,
				     "host %s: the name is reserved ([dns] reserved-names); "
				     "take it off that list to use it",
				     h->name);
		if (!h->has_mac && !h->client_id_len)
			diag(st, "host %s needs a mac or a client-id", h->name);
		if (!h->addr) {
			diag(st, "host %s needs an address", h->name);
			continue;
		}
		const struct conf_subnet *s = conf_subnet_find(c, h->addr);
		bool leasing = c->dhcp.mode == DHCP_MODE_FULL ||
		               (c->dhcp.mode == DHCP_MODE_AUTO && c->n_subnets > 0);
		if (!s && leasing)
			diag(st, "host %s: %s is in no [subnet]", h->name, ip4_fmt(h->addr, a));
		else if (host_in_pool(c, h->addr))
			diag(st,
			     "host %s: %s sits inside a range (reservations must be outside the "
			     "pools)",
			     h->name, ip4_fmt(h->addr, a));
		for (size_t j = 0; j < i; j++) {
			struct conf_host *o = &c->hosts[j];
			if (o->addr == h->addr)
				diag(st,
				     "host %s: address %s is already reserved for %s on line %d",
				     h->name, ip4_fmt(h->addr, a), o->name, o->line);
			if (h->has_mac && o->has_mac &&
			    memcmp(&h->mac, &o->mac, sizeof h->mac) == 0)
				diag(st, "host %s: mac %s is already reserved for %s on line %d",
				     h->name, hwaddr_fmt(&h->mac, m), o->name, o->line);
			if (h->client_id_len && h->client_id_len == o->client_id_len &&
			    memcmp(h->client_id, o->client_id, h->client_id_len) == 0)
				diag(st, "host %s: client-id is already reserved for %s on line %d",
				     h->name, o->name, o->line);
			if (strcmp(h->name, o->name) == 0)
				diag(st, "host %s is already defined on line %d", h->name, o->line);
		}
	}
}

static void warn(struct conf_state *st, int line, const char *fmt, ...) NB_PRINTF(3, 4);
static void warn(struct conf_state *st, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	conf_diag_add(st->d, st->file, line, "warning: %s", msg);
}

/* [api] tls-cert and tls-key: both or neither; readable, a pair, in date. */
static void check_tls_files(struct conf_state *st)
{
	struct conf *c = st->c;
	NB_CLEANUP(tls_cert_freep) struct tls_cert *cert = NULL;
	char err[400], t[32];
	struct stat sb;
	int64_t now = nb_wall_sec();

	if (!c->api.tls_cert[0] != !c->api.tls_key[0]) {
		st->line = c->api.tls_cert[0] ? c->api.tls_cert_line : c->api.tls_key_line;
		diag(st, "%s: needs %s as well", c->api.tls_cert[0] ? "tls-cert" : "tls-key",
		     c->api.tls_cert[0] ? "tls-key" : "tls-cert");
		return;
	}
	if (!c->api.tls_cert[0])
		return;
	st->line = c->api.tls_cert_line;
	if (tls_cert_load(c->api.tls_cert, NULL, now, &cert, err, sizeof err) < 0) {
		diag(st, "tls-cert: %s", err);
		return;
	}
	tls_cert_free(steal_ptr(&cert));
	st->line = c->api.tls_key_line;
	if (tls_cert_load(c->api.tls_cert, c->api.tls_key, now, &cert, err, sizeof err) < 0) {
		diag(st, "tls-key: %s", err);
		return;
	}
	if (cert->info.not_after - now < TLS_EXPIRY_WARN_SEC)
		warn(st, c->api.tls_cert_line, "tls-cert: %s expires on %s, in %lld days",
		     c->api.tls_cert, tls_time_fmt(cert->info.not_after, t, sizeof t),
		     (long long) ((cert->info.not_after - now) / 86400));
	if (cert->info.not_before > now)
		warn(st, c->api.tls_cert_line,
		     "tls-cert: %s is not valid before %s (is the clock right?)", c->api.tls_cert,
		     tls_time_fmt(cert->info.not_before, t, sizeof t));
	if (stat(c->api.tls_key, &sb) == 0 && (sb.st_mode & S_IROTH))
		warn(st, c->api.tls_key_line,
		     "tls-key: %s is readable by every user (mode %04o); chmod o-r %s",
		     c->api.tls_key, (unsigned) (sb.st_mode & 07777), c->api.tls_key);
}

static void check_api(struct conf_state *st)
{
	struct conf *c = st->c;
	char a[IP4_STRLEN];

	check_tls_files(st);
	if (!c->api.listen_port)
		return;
	st->line = c->api.listen_line;
	if (!c->api.token[0])
		diag(st,
		     "listen: the API over TCP needs [api] token (a bearer token clients send)");
	else if (!c->api.tls && !c->api.allow_plain_token)
		diag(st, "listen: with [api] tls = no the token would cross the network in clear; "
		         "set allow-plain-token = yes to accept that, or keep tls = yes");
	if (c->http.enable && c->http.port == c->api.listen_port &&
	    (c->http.listen == 0 || c->api.listen_addr == 0 ||
	     c->http.listen == c->api.listen_addr))
		diag(st, "listen: %s:%u is also the [http] listener's port",
		     ip4_fmt(c->api.listen_addr, a), c->api.listen_port);
}

void conf_check_all(struct conf_state *st)
{
	if (st->c->dhcp.default_group[0] && !conf_group_find(st->c, st->c->dhcp.default_group)) {
		st->line = 0;
		diag(st, "[dhcp] default-group = %s: no [group %s] is defined",
		     st->c->dhcp.default_group, st->c->dhcp.default_group);
	}
	if (st->c->dhcp.mode == DHCP_MODE_FULL && st->c->n_subnets == 0) {
		st->line = 0;
		diag(st,
		     "[dhcp] mode = full needs at least one [subnet] (or set mode = proxy or off)");
	}
	check_subnets(st);
	check_hosts(st);
	check_api(st);
	conf_check_dns(st);
}
