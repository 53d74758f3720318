/* dhcp.status: per subnet, the pool's size and how much of it is in use;
 * per served interface, how netbay answers there (full, proxy, or waiting
 * for auto mode's first probe). Answered from the lease table in memory,
 * so the numbers are the ones the next DISCOVER meets. */
#include "dhcp/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/lan.h"
#include "core/services.h"
#include "core/util.h"
#include "dhcp/internal.h"

/* Leases counted per subnet (those whose time has not run out). */
struct status_count {
	const struct conf *conf;
	int64_t now;
	size_t (*n)[4]; /* per subnet: bound, offered, declined; in a pool */
};

static void count_one(struct dhcp_lease *l, void *data)
{
	struct status_count *q = data;
	int k = l->state == DHCP_LEASE_BOUND      ? 0
	        : l->state == DHCP_LEASE_OFFERED  ? 1
	        : l->state == DHCP_LEASE_DECLINED ? 2
	                                          : -1;
	const struct conf_subnet *sn = conf_subnet_find(q->conf, l->addr);
	if (!sn || (int64_t) l->expires <= q->now)
		return;
	if (k >= 0)
		q->n[sn - q->conf->subnets][k]++;
	if (l->pool != DHCP_NO_POOL)
		q->n[sn - q->conf->subnets][3]++;
}

static const char *cidr(uint32_t net, unsigned prefix, char *buf, size_t n)
{
	char a[IP4_STRLEN];
	snprintf(buf, n, "%s/%u", ip4_fmt(net, a), prefix);
	return buf;
}

/* n: bound, offered, declined, and the leases of any state in a pool */
static json_t *subnet_json(const struct conf_subnet *sn, const size_t n[4])
{
	char c[IP4_STRLEN + 4], a[IP4_STRLEN], b[IP4_STRLEN], r[2 * IP4_STRLEN + 1];
	json_t *ranges = json_array();
	uint64_t size = 0;
	for (size_t i = 0; ranges && i < sn->n_ranges; i++) {
		const struct conf_range *g = &sn->ranges[i];
		size += (uint64_t) g->end - g->start + 1;
		snprintf(r, sizeof r, "%s-%s", ip4_fmt(g->start, a), ip4_fmt(g->end, b));
		json_array_append_new(ranges, json_string(r));
	}
	/* counted here, not with dhcp_leases_free_count(), which may be a
	 * second behind: a status is asked once, often right after a change */
	uint64_t used = NB_MIN((uint64_t) n[3], size);
	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "subnet",
	                 cidr(sn->net, sn->prefix, c, sizeof c), "ranges", ranges, "size",
	                 (json_int_t) size, "used", (json_int_t) used, "free",
	                 (json_int_t) (size - used), "bound", (json_int_t) n[0], "offered",
	                 (json_int_t) n[1], "declined", (json_int_t) n[2]);
}

static json_t *subnets_json(struct dhcp_server *s, int64_t now)
{
	const struct conf *c = s->conf;
	size_t(*n)[4] = calloc(c->n_subnets ? c->n_subnets : 1, sizeof *n);
	json_t *arr = json_array();
	if (!n || !arr) {
		free(n);
		json_decref(arr);
		return NULL;
	}
	struct status_count q = {.conf = c, .now = now, .n = n};
	dhcp_leases_foreach(s->leases, count_one, &q);
	for (size_t i = 0; i < c->n_subnets; i++)
		if (json_array_append_new(arr, subnet_json(&c->subnets[i], n[i])) < 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
	free(n);
	return arr;
}

/* In auto mode, the probe's view of interface name (dhcp.servers), or NULL. */
static json_t *probed(json_t *servers, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(servers, "interfaces"), i, e)
	{
		const char *n = json_string_value(json_object_get(e, "interface"));
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

/* How a request arriving on f is answered (dhcp_if_mode() for a client
 * without a lease of its own). */
static json_t *if_json(const struct dhcp_server *s, const struct lan_if *f, json_t *servers)
{
	const struct conf *c = s->conf;
	const struct conf_subnet *sn = conf_subnet_find(c, f->addr);
	char a[IP4_STRLEN + 4], n[IP4_STRLEN + 4];
	const char *mode = c->dhcp.mode == DHCP_MODE_PROXY ? "proxy" : "full";
	const char *state = NULL;
	json_t *e = c->dhcp.mode == DHCP_MODE_AUTO ? probed(servers, f->name) : NULL;
	if (c->dhcp.mode == DHCP_MODE_AUTO && c->n_subnets == 0)
		mode = "proxy";
	if (e) {
		mode = json_string_value(json_object_get(e, "mode"));
		state = json_string_value(json_object_get(e, "state"));
	}
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "interface", f->name, "address",
	                 cidr(f->addr, f->prefix, a, sizeof a), "subnet",
	                 sn ? cidr(sn->net, sn->prefix, n, sizeof n) : NULL, "mode", mode, "probe",
	                 state);
}

static json_t *ifs_json(struct dhcp_server *s)
{
	json_t *servers = NULL, *arr = json_array();
	char err[128];
	if (s->conf->dhcp.mode == DHCP_MODE_AUTO &&
	    ctl_call(s->svc->ctl, "dhcp.servers", NULL, &servers, err, sizeof err) != 200) {
		json_decref(servers);
		servers = NULL;
	}
	size_t n;
	const struct lan_if *ifs = lan_ifs(s->svc->lan, &n);
	for (size_t i = 0; arr && i < n; i++) {
		if (ifs[i].loopback || !ifs[i].served)
			continue;
		if (json_array_append_new(arr, if_json(s, &ifs[i], servers)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	json_decref(servers);
	return arr;
}

static int ctl_status(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	static const char *const modes[] = {[DHCP_MODE_FULL] = "full",
	                                    [DHCP_MODE_PROXY] = "proxy",
	                                    [DHCP_MODE_OFF] = "off",
	                                    [DHCP_MODE_AUTO] = "auto"};
	struct dhcp_server *s = data;
	int m = s->conf->dhcp.mode;
	json_t *subnets = subnets_json(s, nb_wall_sec()), *ifs = ifs_json(s);
	if (!subnets || !ifs) {
		json_decref(subnets);
		json_decref(ifs);
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	/* json_pack takes ifs and subnets, also when it fails */
	*ret = json_pack("{s:s, s:I, s:o, s:o}", "mode",
	                 m >= 0 && (size_t) m < NB_ARRAY_SIZE(modes) ? modes[m] : "?", "leases",
	                 (json_int_t) dhcp_leases_count(s->leases), "interfaces", ifs, "subnets",
	                 subnets);
	if (!*ret) {
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	return 200;
}

int dhcp_status_register(struct dhcp_server *s)
{
	return ctl_register(s->svc->ctl, "dhcp.status", ctl_status, s);
}

void dhcp_status_unregister(struct dhcp_server *s)
{
	ctl_unregister(s->svc->ctl, "dhcp.status");
}
