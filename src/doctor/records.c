/* Check 9, DNS records: the SRV records the admin names (--srv, e.g.
 * _vlmcs._tcp for KMS) and the server's reverse name (PTR), through the
 * first configured DNS server. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/wire.h"
#include "doctor/doctor.h"

void doctor_records_judge(struct doctor_result *r, const char *server_name, uint32_t addr,
                          const char *const *srv, const struct doctor_dns_answer *srv_ans,
                          const int *srv_err, size_t n_srv, const struct doctor_dns_answer *ptr,
                          int ptr_err)
{
	char a[IP4_STRLEN], rev[64];
	size_t ok = 0;
	ip4_fmt(addr, a);
	for (size_t i = 0; i < n_srv; i++) {
		if (srv_err[i] < 0) {
			doctor_evidence(r, "SRV %s: no answer (%s)", srv[i], strerror(-srv_err[i]));
			if (doctor_verdict(r, DOCTOR_FAIL, "SRV %s: the DNS server did not answer",
			                   srv[i]))
				doctor_fix(r, "see the names and reach checks");
			continue;
		}
		if (!srv_ans[i].n) {
			doctor_evidence(r, "SRV %s: %s, no record", srv[i],
			                doctor_dns_rcode_name(srv_ans[i].rcode));
			if (doctor_verdict(r, DOCTOR_FAIL, "%s has no SRV record (%s)", srv[i],
			                   doctor_dns_rcode_name(srv_ans[i].rcode)))
				doctor_fix(r,
				           "add it to netbay.conf: [dns] record = %s SRV 0 0 PORT "
				           "TARGET",
				           srv[i]);
			continue;
		}
		ok++;
		for (size_t k = 0; k < srv_ans[i].n; k++)
			doctor_evidence(r, "SRV %s: %u %u %u %s", srv[i], srv_ans[i].rr[k].prio,
			                srv_ans[i].rr[k].weight, srv_ans[i].rr[k].port,
			                srv_ans[i].rr[k].name);
	}
	doctor_reverse_name(addr, rev, sizeof rev);
	if (!addr) {
		doctor_evidence(r, "PTR: the server's address is not known");
	} else if (ptr_err < 0) {
		doctor_evidence(r, "PTR %s: no answer (%s)", rev, strerror(-ptr_err));
		doctor_verdict(r, DOCTOR_WARN, "no answer for the reverse name of %s", a);
	} else if (!ptr->n) {
		doctor_evidence(r, "PTR %s: %s", rev, doctor_dns_rcode_name(ptr->rcode));
		if (doctor_verdict(r, DOCTOR_WARN, "%s has no reverse name (no PTR record)", a))
			doctor_fix(r,
			           "let netbay's DNS answer the reverse zone of the LAN, or add a "
			           "PTR record for %s",
			           a);
	} else {
		const char *got = ptr->rr[0].name;
		size_t l = strcspn(server_name ? server_name : "", ".");
		doctor_evidence(r, "PTR %s: %s", rev, got);
		if (server_name && server_name[0] &&
		    !(strncasecmp(got, server_name, l) == 0 && (got[l] == '.' || got[l] == 0)) &&
		    doctor_verdict(r, DOCTOR_WARN, "the reverse name of %s is %s, not %s", a, got,
		                   server_name))
			doctor_fix(r, "correct the PTR record of %s (or the A record of %s)", a,
			           server_name);
	}
	if (!addr && !n_srv) {
		doctor_verdict(r, DOCTOR_SKIP, "no SRV records asked for, no server address");
		return;
	}
	char what[64] = "";
	if (n_srv)
		snprintf(what, sizeof what, "%zu SRV record%s found; ", ok, ok == 1 ? "" : "s");
	doctor_verdict(r, DOCTOR_PASS, "%s%s has reverse name %s", what, a,
	               ptr && ptr->n ? ptr->rr[0].name : "-");
}

void doctor_check_records(struct doctor *d, struct doctor_result *r)
{
	struct doctor_dns_answer srv[DOCTOR_MAX_SRV], ptr = {0};
	int srv_err[DOCTOR_MAX_SRV];
	char names[DOCTOR_MAX_SRV][DOCTOR_NAME_MAX + 1], rev[64];
	const char *asked[DOCTOR_MAX_SRV];
	int ptr_err = -ENOENT;

	if (!d->resolv.n_ns) {
		doctor_verdict(r, DOCTOR_SKIP, "no IPv4 nameserver in %s to ask", d->o.resolv_conf);
		return;
	}
	uint32_t ns = d->resolv.ns[0];
	for (size_t i = 0; i < d->o.n_srv; i++) {
		/* a relative name ("_vlmcs._tcp") lives under the local domain */
		const char *s = d->o.srv[i];
		size_t l = strlen(s);
		if (l && s[l - 1] == '.')
			snprintf(names[i], sizeof names[i], "%.*s", (int) (l - 1), s);
		else if (d->resolv.n_search && strncmp(s, "_", 1) == 0 &&
		         strchr(strchr(s, '.') ? strchr(s, '.') + 1 : "", '.') == NULL)
			snprintf(names[i], sizeof names[i], "%s.%s", s, d->resolv.search[0]);
		else
			snprintf(names[i], sizeof names[i], "%s", s);
		asked[i] = names[i];
		srv_err[i] = doctor_dns_ask(ns, names[i], DNS_T_SRV, d->o.timeout_ms, &srv[i]);
	}
	if (d->addr) {
		doctor_reverse_name(d->addr, rev, sizeof rev);
		ptr_err = doctor_dns_ask(ns, rev, DNS_T_PTR, d->o.timeout_ms, &ptr);
	}
	doctor_records_judge(r, d->name, d->addr, asked, srv, srv_err, d->o.n_srv, &ptr, ptr_err);
}
