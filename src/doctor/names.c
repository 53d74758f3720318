/* Check 1, names: the server's name through the system resolver and
 * directly through each configured DNS server. It fails when the name
 * does not resolve or resolvers disagree. Then it asks what answers at
 * the address (the health route): a host that is not netbay fails, private
 * or not, and so does a silent one when the DHCP offers lead to a netbay
 * server elsewhere (a resolver that hijacks local names). Only when neither
 * can tell, the address class does: a public address outside every local
 * subnet is the ISP's resolver answering for a local name. When the name
 * leads nowhere, or not to netbay, the checks after this one use the
 * server the DHCP offers lead to. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns/wire.h"
#include "doctor/doctor.h"

static bool local(const struct doctor_lif *l, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (!l[i].loopback && ip4_in(a, l[i].addr & ip4_mask(l[i].prefix), l[i].prefix))
			return true;
	return false;
}

static void who(const struct doctor_resolver_answer *x, char *buf, size_t n)
{
	char a[IP4_STRLEN];
	if (x->ns)
		snprintf(buf, n, "DNS server %s", ip4_fmt(x->ns, a));
	else
		snprintf(buf, n, "the system resolver");
}

static void addr_list(const struct doctor_resolver_answer *x, char *buf, size_t n)
{
	char a[IP4_STRLEN];
	buf[0] = 0;
	for (size_t i = 0; i < x->n_addrs; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "%s%s", i ? "," : "", ip4_fmt(x->addrs[i], a));
	}
}

static bool same_set(const struct doctor_resolver_answer *a, const struct doctor_resolver_answer *b)
{
	if (a->n_addrs != b->n_addrs)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++) {
		bool found = false;
		for (size_t k = 0; k < b->n_addrs; k++)
			found |= a->addrs[i] == b->addrs[k];
		if (!found)
			return false;
	}
	return true;
}

uint32_t doctor_names_first(const struct doctor_resolver_answer *ans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ans[i].n_addrs)
			return ans[i].addrs[0];
	return 0;
}

bool doctor_names_need_ref(uint32_t addr, const struct doctor_health *at)
{
	return !addr || !at || !at->netbay;
}

/* Evidence for the server the DHCP offers lead to; returns its address. */
static uint32_t use_ref(struct doctor_result *r, const struct doctor_ref *ref, const char *ifname)
{
	char a[IP4_STRLEN], what[DOCTOR_LINE_MAX];
	if (!ref)
		return 0;
	if (!ref->addr) {
		doctor_evidence(
		        r, "no DHCP offer on %s leads to a netbay server (%zu server%s answered)",
		        ifname, ref->n_servers, ref->n_servers == 1 ? "" : "s");
		return 0;
	}
	if (ref->hlth)
		doctor_health_describe(ref->hlth, what, sizeof what);
	else
		snprintf(what, sizeof what, "not asked");
	ip4_fmt(ref->addr, a);
	doctor_evidence(r, "the DHCP offers on %s lead to %s: %s%s", ifname, a,
	                ref->confirmed ? "" : "not confirmed as netbay, its health gives ", what);
	doctor_evidence(r, "the checks below use %s", a);
	return ref->addr;
}

/* What answers at addr decides; the address class only when it cannot.
 * Returns the address the checks after this one use. */
static uint32_t judge_identity(struct doctor_result *r, const char *name, uint32_t addr,
                               const struct doctor_health *at, const struct doctor_ref *ref,
                               const char *ifname, const struct doctor_lif *lifs, size_t n_lifs)
{
	char a[IP4_STRLEN], b[IP4_STRLEN] = "", what[DOCTOR_LINE_MAX];
	bool elsewhere = ref && ref->addr && ref->addr != addr;
	ip4_fmt(addr, a);
	if (elsewhere)
		ip4_fmt(ref->addr, b);
	if (at) {
		doctor_health_describe(at, what, sizeof what);
		doctor_evidence(r, "health at %s port %u: %s", a, at->port, what);
	}
	if (at && at->netbay) {
		const struct doctor_health *rh = elsewhere && ref->confirmed ? ref->hlth : NULL;
		if (rh && rh->instance[0] && at->instance[0] &&
		    strcmp(rh->instance, at->instance) &&
		    doctor_verdict(r, DOCTOR_WARN,
		                   "%s resolves to %s, netbay '%s' (instance %s), but the DHCP "
		                   "offers on %s lead to another netbay server, %s (instance %s)",
		                   name, a, at->name, at->instance, ifname, b, rh->instance))
			doctor_fix(r,
			           "if both serve this LAN (one site, one database) this is fine; "
			           "else point %s at %s",
			           name, b);
		return addr;
	}
	if (at && at->err == 0) {
		if (doctor_verdict(r, DOCTOR_FAIL,
		                   "%s resolves to %s, but what answers there is not netbay: %s",
		                   name, a, what))
			doctor_fix(r,
			           "correct %s's record on the resolver that gives %s%s%s (or pass "
			           "--http-port when netbay's [http] port is not %u)",
			           name, a, elsewhere ? ": netbay is at " : "", b, at->port);
		uint32_t other = use_ref(r, ref, ifname);
		return other ? other : addr;
	}
	if (elsewhere && ref->confirmed) {
		if (doctor_verdict(r, DOCTOR_FAIL,
		                   "%s resolves to %s, where nothing answers as netbay, but the "
		                   "netbay server the DHCP offers on %s lead to is %s",
		                   name, a, ifname, b))
			doctor_fix(r,
			           "correct %s's record on the resolver that gives %s: netbay is "
			           "at %s",
			           name, a, b);
		return use_ref(r, ref, ifname);
	}
	if (ref && !ref->addr)
		(void) use_ref(r, ref, ifname);
	if (local(lifs, n_lifs, addr))
		return addr;
	if (!ip4_is_private(addr)) {
		if (doctor_verdict(r, DOCTOR_FAIL,
		                   "%s resolves to %s, a public address outside "
		                   "every local subnet: a resolver outside the LAN (the ISP's?) "
		                   "answered for a local name",
		                   name, a))
			doctor_fix(r,
			           "let the LAN's own DNS server (netbay) answer for %s and "
			           "hand it out by DHCP, instead of the router forwarding "
			           "local names to the ISP",
			           name);
	} else {
		doctor_verdict(r, DOCTOR_WARN,
		               "%s resolves to %s, which is not in a local "
		               "subnet (routed: fine if a router leads there)",
		               name, a);
	}
	return addr;
}

uint32_t doctor_names_judge(struct doctor_result *r, const char *name,
                            const struct doctor_resolver_answer *ans, size_t n,
                            const struct doctor_health *at, const struct doctor_ref *ref,
                            const char *ifname, const struct doctor_lif *lifs, size_t n_lifs)
{
	char w[64], list[160], first_list[160] = "", first_who[64] = "";
	const struct doctor_resolver_answer *first = NULL;
	size_t answered = 0;

	if (!ifname || !ifname[0])
		ifname = "?";
	for (size_t i = 0; i < n; i++) {
		const struct doctor_resolver_answer *x = &ans[i];
		who(x, w, sizeof w);
		addr_list(x, list, sizeof list);
		if (x->err < 0)
			doctor_evidence(r, "%s: no answer (%s)", w, strerror(-x->err));
		else if (x->n_addrs)
			doctor_evidence(r, "%s: %s -> %s", w, x->qname[0] ? x->qname : name, list);
		else
			doctor_evidence(r, "%s: %s (%s)", w,
			                x->rcode ? doctor_dns_rcode_name(x->rcode) : "no address",
			                x->qname[0] ? x->qname : name);
		if (!x->n_addrs)
			continue;
		answered++;
		if (!first) {
			first = x;
			snprintf(first_list, sizeof first_list, "%s", list);
			snprintf(first_who, sizeof first_who, "%s", w);
		} else if (!same_set(first, x)) {
			if (doctor_verdict(r, DOCTOR_FAIL,
			                   "resolvers disagree on %s: %s says %s, %s "
			                   "says %s",
			                   name, first_who, first_list, w, list))
				doctor_fix(r,
				           "make every resolver this machine uses answer %s alike: "
				           "remove the wrong record, or list only the LAN's DNS "
				           "server "
				           "(netbay) in DHCP option 6 / resolv.conf",
				           name);
		}
	}
	if (!first) {
		doctor_verdict(r, DOCTOR_FAIL, "%s does not resolve (%zu resolver%s asked)", name,
		               n, n == 1 ? "" : "s");
		doctor_fix(r,
		           "give the LAN a DNS server that knows %s (netbay's [dns] answers for "
		           "its own name) and hand it out by DHCP (option 6), or add %s to "
		           "/etc/hosts",
		           name, name);
		return use_ref(r, ref, ifname);
	}
	for (size_t i = 0; i < n; i++) {
		if (ans[i].n_addrs || (ans[i].err < 0 && ans[i].ns == 0))
			continue;
		who(&ans[i], w, sizeof w);
		if (doctor_verdict(r, DOCTOR_WARN, "%s does not resolve %s (%s), while %s does", w,
		                   name,
		                   ans[i].err < 0 ? strerror(-ans[i].err)
		                                  : doctor_dns_rcode_name(ans[i].rcode),
		                   first_who))
			doctor_fix(r,
			           "clients that ask %s first cannot find the server: list only "
			           "resolvers that know %s",
			           w, name);
	}
	uint32_t use = judge_identity(r, name, first->addrs[0], at, ref, ifname, lifs, n_lifs);
	doctor_verdict(r, DOCTOR_PASS, "%s resolves to %s on %s", name, first_list,
	               answered == n ? (n == 1 ? "the system resolver" : "every resolver")
	                             : "the resolvers that answer");
	return use;
}

/* The names a resolver is asked, as the system resolver would try them
 * (ndots 1): a dotted name as it is, then with each search domain; a
 * single label with each search domain first, then alone. */
static size_t candidates(const char *name, const struct doctor_resolv *rv,
                         char (*out)[DOCTOR_NAME_MAX + 1], size_t max)
{
	size_t n = 0;
	bool dotted = strchr(name, '.') != NULL;
	if (dotted && n < max)
		snprintf(out[n++], DOCTOR_NAME_MAX + 1, "%s", name);
	for (size_t i = 0; i < rv->n_search && n < max; i++)
		if ((size_t) snprintf(out[n], DOCTOR_NAME_MAX + 1, "%s.%s", name, rv->search[i]) <=
		    DOCTOR_NAME_MAX)
			n++;
	if (!dotted && n < max)
		snprintf(out[n++], DOCTOR_NAME_MAX + 1, "%s", name);
	return n;
}

static void ask_resolver(uint32_t ns, const char *name, const struct doctor_resolv *rv,
                         int timeout_ms, struct doctor_resolver_answer *x)
{
	char c[DOCTOR_MAX_SEARCH + 1][DOCTOR_NAME_MAX + 1];
	size_t n = candidates(name, rv, c, NB_ARRAY_SIZE(c));
	memset(x, 0, sizeof *x);
	x->ns = ns;
	x->err = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct doctor_dns_answer a;
		int e = doctor_dns_ask(ns, c[i], DNS_T_A, timeout_ms, &a);
		if (e < 0) {
			if (x->err == -ENOENT)
				x->err = e;
			if (e == -ETIMEDOUT || e == -ECONNREFUSED)
				return; /* it will not answer the next name either */
			continue;
		}
		bool first_answer = x->err != 0;
		x->err = 0;
		if (first_answer ||
		    a.n) { /* show the first name's rcode, or the one that resolved */
			x->rcode = a.rcode;
			snprintf(x->qname, sizeof x->qname, "%s", c[i]);
		}
		for (size_t k = 0; k < a.n; k++)
			x->addrs[x->n_addrs++] = a.rr[k].addr;
		if (a.n)
			return;
	}
}

void doctor_check_names(struct doctor *d, struct doctor_result *r)
{
	struct doctor_resolver_answer ans[DOCTOR_MAX_NS + 1];
	size_t n = 0;
	if (!d->name[0]) {
		char a[IP4_STRLEN];
		doctor_verdict(r, DOCTOR_SKIP,
		               "the server was given as an address (%s): no name "
		               "to resolve",
		               ip4_fmt(d->addr, a));
		return;
	}
	memset(&ans[0], 0, sizeof ans[0]);
	int k = doctor_resolve_system(d->name, ans[0].addrs, DOCTOR_DNS_MAX_RR);
	ans[0].err = k < 0 && k != -ENOENT ? -EAGAIN : 0; /* the resolver failed, not NXDOMAIN */
	ans[0].rcode = k == -ENOENT ? DNS_R_NXDOMAIN : 0;
	ans[0].n_addrs = k > 0 ? (size_t) k : 0;
	n++;
	for (size_t i = 0; i < d->resolv.n_ns; i++)
		ask_resolver(d->resolv.ns[i], d->name, &d->resolv, d->o.timeout_ms, &ans[n++]);
	if (!d->resolv.n_ns)
		doctor_evidence(r, "no IPv4 nameserver in %s", d->o.resolv_conf);
	uint32_t first = doctor_names_first(ans, n);
	const struct doctor_health *at = first ? doctor_health_at(d, first) : NULL;
	/* the DHCP offers only when the name does not lead to netbay (or were asked anyway) */
	const struct doctor_ref *ref =
	        doctor_names_need_ref(first, at) || d->dhcp_probed ? doctor_ref_find(d) : NULL;
	uint32_t a = doctor_names_judge(r, d->name, ans, n, at, ref, d->ifname, d->lifs, d->n_lifs);
	if (a)
		d->addr = a;
}
