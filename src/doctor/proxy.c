/* Check 5, proxy: HTTP(S)_PROXY / ALL_PROXY set without a NO_PROXY entry
 * that covers the server's name, its address or the local domain, so
 * every tool that honours them (curl, wget, package managers, iPXE-less
 * installers) sends the server's traffic to the proxy. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "doctor/doctor.h"

static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                         "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};

const char *doctor_env_get(char *const *envp, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], key, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

/* One NO_PROXY entry (len bytes at e, already trimmed) against host. */
static bool entry_covers(const char *e, size_t len, const char *host)
{
	char ent[DOCTOR_NAME_MAX];
	uint32_t a, net;
	unsigned prefix;

	if (len == 0 || len >= sizeof ent)
		return false;
	memcpy(ent, e, len);
	ent[len] = 0;
	if (strcmp(ent, "*") == 0)
		return true;
	char *slash = strchr(ent, '/');
	if (slash) { /* a CIDR block (host bits tolerated, as curl and Go do) */
		uint64_t p;
		*slash = 0;
		if (ip4_parse(ent, &net) < 0 || nb_parse_uint(slash + 1, 0, 32, &p) < 0 ||
		    ip4_parse(host, &a) < 0)
			return false;
		prefix = (unsigned) p;
		return ip4_in(a, net & ip4_mask(prefix), prefix);
	}
	char *colon = strrchr(ent, ':');
	if (colon) /* host:port: the port does not matter for coverage */
		*colon = 0;
	const char *d = ent;
	if (d[0] == '*' && d[1] == '.')
		d += 1;
	if (d[0] == '.')
		d += 1;
	if (!d[0])
		return false;
	if (ip4_parse(d, &a) == 0)
		return ip4_parse(host, &net) == 0 && a == net;
	size_t hl = strlen(host), dl = strlen(d);
	if (hl == dl)
		return strcasecmp(host, d) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, d) == 0;
}

bool doctor_no_proxy_covers(const char *no_proxy, const char *host)
{
	if (!no_proxy || !host || !host[0])
		return false;
	const char *p = no_proxy;
	while (*p) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (n && entry_covers(p, n, host))
			return true;
		p += n;
	}
	return false;
}

/* The proxy URL without its credentials, for evidence lines. */
static void redact(const char *url, char *buf, size_t n)
{
	const char *at = strrchr(url, '@');
	const char *scheme = strstr(url, "://");
	const char *start = scheme ? scheme + 3 : url;
	if (at && at > start)
		snprintf(buf, n, "%.*s***@%s", (int) (start - url), url, at + 1);
	else
		snprintf(buf, n, "%s", url);
}

static void append(char *buf, size_t n, const char *item)
{
	size_t l = strlen(buf);
	snprintf(buf + l, n - l, "%s%s", l ? "," : "", item);
}

void doctor_proxy_judge(struct doctor_result *r, char *const *envp, const char *name, uint32_t addr,
                        const char *domain)
{
	char set[128] = "", ip[IP4_STRLEN] = "", fqdn[2 * DOCTOR_NAME_MAX] = "";
	char missing[512] = "", covered[512] = "", shown[256];
	bool any = false;

	for (size_t i = 0; i < NB_ARRAY_SIZE(proxy_vars); i++) {
		const char *v = doctor_env_get(envp, proxy_vars[i]);
		if (!v || !v[0])
			continue;
		any = true;
		append(set, sizeof set, proxy_vars[i]);
		redact(v, shown, sizeof shown);
		doctor_evidence(r, "%s=%s", proxy_vars[i], shown);
	}
	if (!any) {
		doctor_verdict(r, DOCTOR_PASS, "no proxy variable is set");
		return;
	}
	/* curl and most tools read no_proxy first, then NO_PROXY */
	const char *np = doctor_env_get(envp, "no_proxy");
	const char *np_name = "no_proxy";
	if (!np || !np[0]) {
		np = doctor_env_get(envp, "NO_PROXY");
		np_name = "NO_PROXY";
	}
	doctor_evidence(r, "%s=%s", np && np[0] ? np_name : "NO_PROXY", np ? np : "(not set)");

	if (name && name[0]) {
		append(doctor_no_proxy_covers(np, name) ? covered : missing,
		       doctor_no_proxy_covers(np, name) ? sizeof covered : sizeof missing, name);
		if (domain && domain[0] && !strchr(name, '.'))
			snprintf(fqdn, sizeof fqdn, "%s.%s", name, domain);
	}
	if (addr) {
		ip4_fmt(addr, ip);
		bool c = doctor_no_proxy_covers(np, ip);
		append(c ? covered : missing, c ? sizeof covered : sizeof missing, ip);
	}
	if (domain && domain[0]) {
		/* local names: any name under the domain (the FQDN is one of them) */
		char probe[2 * DOCTOR_NAME_MAX + 8], dot[DOCTOR_NAME_MAX + 2];
		snprintf(probe, sizeof probe, "%s", fqdn[0] ? fqdn : "");
		if (!probe[0])
			snprintf(probe, sizeof probe, "host.%s", domain);
		snprintf(dot, sizeof dot, ".%s", domain);
		bool c = doctor_no_proxy_covers(np, probe);
		append(c ? covered : missing, c ? sizeof covered : sizeof missing, dot);
	}
	if (!missing[0]) {
		doctor_verdict(r, DOCTOR_PASS, "%s set, and %s covers %s", set, np_name, covered);
		return;
	}
	char value[1024];
	snprintf(value, sizeof value, "%s%s%s", np && np[0] ? np : "", np && np[0] ? "," : "",
	         missing);
	doctor_verdict(r, DOCTOR_WARN,
	               "%s set, but NO_PROXY does not cover %s: that traffic goes "
	               "to the proxy",
	               set, missing);
	doctor_fix(r, "export no_proxy=%s NO_PROXY=%s", value, value);
}

void doctor_check_proxy(struct doctor *d, struct doctor_result *r)
{
	doctor_proxy_judge(r, d->o.envp, d->name, d->addr,
	                   d->resolv.n_search ? d->resolv.search[0] : NULL);
}
