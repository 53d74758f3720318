/* GET /api/v1/status: what the running server serves, in one answer for
 * `netbay status` (docs/api.md). The DHCP part comes from the DHCP module
 * (dhcp.status: modes per interface, pools used and free), DNS counters
 * from dns.stats; the rest is the configuration in force. */
#include <jansson.h>
#include <stdio.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/services.h"
#include "core/util.h"
#include "http/api_internal.h"

static const char *hostport(uint32_t addr, uint32_t port, char *buf, size_t n)
{
	char a[IP4_STRLEN];
	snprintf(buf, n, "%s:%u", ip4_fmt(addr, a), (unsigned) port);
	return buf;
}

/* A module's command, or NULL when the module is not running (or failed:
 * the status says what it can without it). */
static json_t *ask(const struct http_api_call *c, const char *cmd)
{
	json_t *res = NULL;
	char err[128];
	if (ctl_call(c->api->svc->ctl, cmd, NULL, &res, err, sizeof err) != 200) {
		json_decref(res);
		return NULL;
	}
	return res;
}

static json_t *dhcp_json(const struct http_api_call *c)
{
	static const char *const modes[] = {"full", "proxy", "off", "auto"};
	int m = c->api->conf->dhcp.mode;
	json_t *j = m == DHCP_MODE_OFF ? NULL : ask(c, "dhcp.status");
	return j ? j
	         : json_pack("{s:s}", "mode",
	                     m >= 0 && (size_t) m < NB_ARRAY_SIZE(modes) ? modes[m] : "?");
}

static json_t *dns_json(const struct http_api_call *c)
{
	static const char *const modes[] = {"full", "local", "off"};
	const struct conf *cf = c->api->conf;
	char buf[IP4_STRLEN + 8];
	json_t *listen = json_array(), *up = json_array();
	for (size_t i = 0; listen && i < cf->dns.n_listen; i++)
		json_array_append_new(listen, json_string(hostport(cf->dns.listen[i], cf->dns.port,
		                                                   buf, sizeof buf)));
	if (listen && cf->dns.n_listen == 0)
		json_array_append_new(listen,
		                      json_string(hostport(0, cf->dns.port, buf, sizeof buf)));
	for (size_t i = 0; up && i < cf->dns.n_upstreams; i++)
		json_array_append_new(
		        up, json_string(hostport(cf->dns.upstreams[i].addr,
		                                 cf->dns.upstreams[i].port, buf, sizeof buf)));
	int m = cf->dns.mode;
	json_t *stats = m == DNS_MODE_OFF ? NULL : ask(c, "dns.stats");
	/* upstreams: [dns] upstream, else the nameservers of resolv_conf */
	return json_pack("{s:s, s:s, s:o, s:o, s:s?, s:o}", "mode",
	                 m >= 0 && (size_t) m < NB_ARRAY_SIZE(modes) ? modes[m] : "?", "domain",
	                 cf->dns.domain, "listen", listen, "upstreams", up, "resolv_conf",
	                 cf->dns.n_upstreams ? NULL : cf->dns.resolv_conf, "stats",
	                 stats ? stats : json_null());
}

static json_t *services_json(const struct conf *cf)
{
	char t[IP4_STRLEN + 8], h[IP4_STRLEN + 8], a[IP4_STRLEN + 8];
	return json_pack("{s:{s:b, s:s, s:s}, s:{s:b, s:s}, s:{s:s?, s:s?}}", "tftp", "enabled",
	                 cf->tftp.enable, "listen",
	                 hostport(cf->tftp.listen, cf->tftp.port, t, sizeof t), "root",
	                 cf->tftp.root, "http", "enabled", cf->http.enable, "listen",
	                 hostport(cf->http.listen, cf->http.port, h, sizeof h), "api", "socket",
	                 cf->api.socket[0] ? cf->api.socket : NULL, "listen",
	                 cf->api.listen_port
	                         ? hostport(cf->api.listen_addr, cf->api.listen_port, a, sizeof a)
	                         : NULL);
}

unsigned http_api_status(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	const struct http_api *a = c->api;
	int64_t up = (nb_now_ms() - a->started_ms) / 1000;
	*ret = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "name", a->conf->server.name,
	                 "version", NETBAY_VERSION, "instance", a->instance, "started",
	                 (json_int_t) (nb_wall_sec() - up), "uptime", (json_int_t) up, "dhcp",
	                 dhcp_json(c), "dns", dns_json(c));
	/* takes the services' object, also when *ret is NULL */
	if (json_object_update_new(*ret, services_json(a->conf)) < 0) {
		json_decref(*ret);
		*ret = NULL;
	}
	if (!*ret) {
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	return 200;
}
