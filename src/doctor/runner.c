/* The run: options, what every check needs to know about the machine and
 * the server, the checks in order, and the report. */
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "doctor/doctor.h"

const struct doctor_check doctor_checks[] = {
        {"names", "the server's name resolves, the same on every resolver, to where netbay answers",
         doctor_check_names},
        {"addressing", "same subnet or routed; masks that disagree", doctor_check_addressing},
        {"reach", "service ports: open, refused, dropped by a firewall, or no route",
         doctor_check_reach},
        {"http", "the health endpoint answers as netbay, not a proxy or another host",
         doctor_check_http},
        {"proxy", "proxy variables without NO_PROXY for the server and local names",
         doctor_check_proxy},
        {"clock", "the local clock against the server's Date", doctor_check_clock},
        {"dhcp", "every DHCP and proxyDHCP server answering a DISCOVER", doctor_check_dhcp},
        {"bootfile", "the boot file an offer names can be fetched (TFTP, HTTP)",
         doctor_check_bootfile},
        {"records", "configured SRV records and the server's reverse name", doctor_check_records},
};
const size_t doctor_n_checks = NB_ARRAY_SIZE(doctor_checks);

void doctor_opts_init(struct doctor_opts *o)
{
	memset(o, 0, sizeof *o);
	o->server = "netbay";
	o->timeout_ms = 3000;
	o->dhcp_wait_ms = 3000;
	o->http_port = 80;
	o->clock_warn_sec = 60;
	o->clock_fail_sec = 300;
	o->boot_max_bytes = 1 << 20;
	o->arch = access("/sys/firmware/efi", F_OK) == 0 ? 7 : 0;
	o->resolv_conf = "/etc/resolv.conf";
}

void doctor_init(struct doctor *d, const struct doctor_opts *o)
{
	memset(d, 0, sizeof *d);
	d->o = *o;
}

int doctor_parse_only(const char *list, uint32_t *ret_mask, char *err, size_t errlen)
{
	uint32_t mask = 0;
	const char *p = list;
	while (*p) {
		p += strspn(p, ", ");
		size_t n = strcspn(p, ", ");
		if (!n)
			break;
		size_t i = 0;
		while (i < doctor_n_checks && !(strlen(doctor_checks[i].name) == n &&
		                                strncmp(doctor_checks[i].name, p, n) == 0))
			i++;
		if (i == doctor_n_checks) {
			snprintf(err, errlen, "--only: no check named '%.*s'", (int) n, p);
			return -EINVAL;
		}
		mask |= 1u << i;
		p += n;
	}
	if (!mask) {
		snprintf(err, errlen, "--only: no check given");
		return -EINVAL;
	}
	*ret_mask = mask;
	return 0;
}

/* The first interface that is up and not loopback (with or without an address). */
static int first_up_if(char *buf, size_t n)
{
	struct if_nameindex *ifs = if_nameindex();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = -ENODEV;
	for (struct if_nameindex *i = ifs; fd >= 0 && i && i->if_index; i++) {
		struct ifreq ifr = {0};
		snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) &&
		    !(ifr.ifr_flags & IFF_LOOPBACK)) {
			snprintf(buf, n, "%s", i->if_name);
			r = 0;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (ifs)
		if_freenameindex(ifs);
	return r;
}

int doctor_resolve_system(const char *name, uint32_t *out, size_t max)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(name, NULL, &hints, &res);
	size_t n = 0;
	if (g != 0)
		return g == EAI_NONAME || g == EAI_NODATA ? -ENOENT : -EHOSTUNREACH;
	for (struct addrinfo *a = res; a && n < max; a = a->ai_next) {
		uint32_t v = ntohl(((struct sockaddr_in *) a->ai_addr)->sin_addr.s_addr);
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == v;
		if (!dup)
			out[n++] = v;
	}
	freeaddrinfo(res);
	return (int) n;
}

/* What every check reads: the server's address, interfaces, routes, resolvers. */
static void prepare(struct doctor *d)
{
	uint32_t a[8];
	if (ip4_parse(d->o.server, &d->addr) < 0) {
		d->addr = 0;
		snprintf(d->name, sizeof d->name, "%s", d->o.server);
		if (doctor_resolve_system(d->name, a, NB_ARRAY_SIZE(a)) > 0)
			d->addr = a[0];
	}
	int n = doctor_sys_lifs(d->lifs, DOCTOR_MAX_LIFS);
	d->n_lifs = n > 0 ? (size_t) n : 0;
	n = doctor_sys_routes(d->routes, DOCTOR_MAX_ROUTES);
	d->n_routes = n > 0 ? (size_t) n : 0;
	(void) doctor_resolv_load(d->o.resolv_conf, &d->resolv);
	if (d->o.ifname) {
		snprintf(d->ifname, sizeof d->ifname, "%s", d->o.ifname);
		return;
	}
	const struct doctor_route *rt =
	        d->addr ? doctor_route_lookup(d->routes, d->n_routes, d->addr) : NULL;
	if (rt)
		snprintf(d->ifname, sizeof d->ifname, "%s", rt->ifname);
	else
		(void) first_up_if(d->ifname, sizeof d->ifname);
}

int doctor_run(struct doctor *d, uint32_t mask, struct doctor_result *results)
{
	int failed = 0;
	prepare(d);
	for (size_t i = 0; i < doctor_n_checks; i++)
		doctor_result_init(&results[i], doctor_checks[i].name);
	/* the DHCP offers feed the addressing and boot file checks: probe first */
	if (mask & (1u << DOCTOR_C_ADDRESSING | 1u << DOCTOR_C_DHCP | 1u << DOCTOR_C_BOOTFILE))
		(void) doctor_dhcp_probe(d);
	/* which address the other checks use is the names check's to say */
	if (d->name[0] && !(mask & 1u << DOCTOR_C_NAMES) && (mask & ~(1u << DOCTOR_C_DHCP))) {
		struct doctor_result scratch;
		doctor_result_init(&scratch, "names");
		doctor_check_names(d, &scratch);
	}
	for (size_t i = 0; i < doctor_n_checks; i++) {
		if (!(mask & (1u << i)))
			continue;
		doctor_checks[i].run(d, &results[i]);
		if (!results[i].decided)
			doctor_verdict(&results[i], DOCTOR_SKIP, "nothing to check");
		failed += results[i].status == DOCTOR_FAIL;
	}
	return failed;
}

void doctor_report_text(FILE *f, const struct doctor *d, uint32_t mask,
                        const struct doctor_result *res)
{
	for (size_t i = 0; i < doctor_n_checks; i++) {
		const struct doctor_result *r = &res[i];
		if (!(mask & (1u << i)))
			continue;
		fprintf(f, "%s %s: %s\n", doctor_status_name(r->status), r->check, r->finding);
		if (r->status < DOCTOR_WARN)
			continue;
		for (size_t k = 0; k < r->n_evidence; k++)
			fprintf(f, "     %s\n", r->evidence[k]);
		if (r->fix[0])
			fprintf(f, "     fix: %s\n", r->fix);
	}
	(void) d;
}

json_t *doctor_report_json(const struct doctor *d, uint32_t mask, const struct doctor_result *res)
{
	char a[IP4_STRLEN];
	json_t *checks = json_array();
	size_t failed = 0, warned = 0;
	for (size_t i = 0; i < doctor_n_checks; i++) {
		const struct doctor_result *r = &res[i];
		if (!(mask & (1u << i)))
			continue;
		json_t *ev = json_array();
		for (size_t k = 0; k < r->n_evidence; k++)
			json_array_append_new(ev, json_string(r->evidence[k]));
		json_array_append_new(
		        checks, json_pack("{s:s, s:s, s:s, s:o, s:s?}", "name", r->check, "status",
		                          doctor_status_word(r->status), "finding", r->finding,
		                          "evidence", ev, "fix", r->fix[0] ? r->fix : NULL));
		failed += r->status == DOCTOR_FAIL;
		warned += r->status == DOCTOR_WARN;
	}
	return json_pack("{s:s, s:s?, s:s?, s:o, s:i, s:i}", "server", d->o.server, "address",
	                 d->addr ? ip4_fmt(d->addr, a) : NULL, "interface",
	                 d->ifname[0] ? d->ifname : NULL, "checks", checks, "failed", (int) failed,
	                 "warned", (int) warned);
}
