#include "http/api.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/services.h"
#include "core/tls.h"
#include "core/util.h"
#include "diag/report.h"
#include "http/api_internal.h"
#include "http/request.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

#define API_SEGMENTS_MAX 16
#define API_PATH_MAX     1024

struct api_route {
	const char *method;
	const char *pattern; /* "/api/v1/leases/{addr}/release" */
	http_api_fn fn;
	bool open; /* answered without a token (health: the doctor's probe) */
};

/* ---- helpers */

void http_api_error(struct http_reply *rp, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rp->why, sizeof rp->why, fmt, ap);
	va_end(ap);
	rp->status = status;
	rp->type = "application/json";
	rp->no_store = true;
	free(rp->body);
	rp->body = NULL;
	rp->body_len = 0;
	json_t *j = json_pack("{s:s}", "error", rp->why);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return;
	size_t n = strlen(s);
	char *b = realloc(s, n + 2);
	if (!b) {
		free(s);
		return;
	}
	rp->body = b;
	rp->body[n] = '\n';
	rp->body[n + 1] = 0;
	rp->body_len = n + 1;
}

static void reply_json(struct http_reply *rp, unsigned status, json_t *j)
{
	rp->status = status;
	rp->type = "application/json";
	rp->no_store = true;
	if (!j)
		return;
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s) {
		http_api_error(rp, 500, "out of memory");
		return;
	}
	size_t n = strlen(s);
	char *b = realloc(s, n + 2);
	if (!b) {
		free(s);
		http_api_error(rp, 500, "out of memory");
		return;
	}
	rp->body = b;
	rp->body[n] = '\n';
	rp->body[n + 1] = 0;
	rp->body_len = n + 1;
}

/* Calls a ctl command; the module that registers it may not be running. */
static unsigned call_ctl(const struct http_api_call *c, const char *cmd, json_t *args, json_t **ret,
                         char *err, size_t errlen)
{
	json_t *res = NULL;
	err[0] = 0;
	int st = ctl_call(c->api->svc->ctl, cmd, args, &res, err, errlen);
	/* ctl_call's own 404 for a name nobody registered (core/ctl.c) */
	if (st == 404 && strncmp(err, "no such command", 15) == 0) {
		snprintf(err, errlen, "nothing serves %s: is the module that owns it enabled?",
		         cmd);
		return 503;
	}
	if (st < 200 || st > 599 || (st >= 300 && st < 400)) {
		json_decref(res);
		snprintf(err, errlen, "%s answered with status %d", cmd, st);
		return 500;
	}
	if (st >= 400) {
		if (!err[0])
			snprintf(err, errlen, "%s failed", cmd);
		*ret = res; /* details beside the error, when the command gave any */
		return (unsigned) st;
	}
	*ret = res;
	return (unsigned) st;
}

/* ---- routes */

static unsigned get_health(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	static const char *const dhcp_modes[] = {[DHCP_MODE_FULL] = "full",
	                                         [DHCP_MODE_PROXY] = "proxy",
	                                         [DHCP_MODE_OFF] = "off",
	                                         [DHCP_MODE_AUTO] = "auto"};
	const struct http_api *a = c->api;
	int m = a->conf->dhcp.mode;
	/* instance and dhcp.mode: what `netbay doctor` tells one server from another
	 * by, and whether it needs proxyDHCP's port 4011 (docs/api.md) */
	/* tls: the HTTPS listener's certificate, to pin (`netbay status`, the doctor) */
	json_t *tls = a->tls_port ? json_pack("{s:s, s:I, s:i}", "fingerprint", a->tls_fingerprint,
	                                      "expires", (json_int_t) a->tls_expires, "port",
	                                      (int) a->tls_port)
	                          : json_null();
	*ret = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:s?}, s:o?}", "name", a->conf->server.name,
	                 "version", NETBAY_VERSION, "instance", a->instance, "time",
	                 (json_int_t) nb_wall_sec(), "uptime",
	                 (json_int_t) ((nb_now_ms() - a->started_ms) / 1000), "dhcp", "mode",
	                 m >= 0 && (size_t) m < NB_ARRAY_SIZE(dhcp_modes) ? dhcp_modes[m] : NULL,
	                 "tls", tls);
	return *ret ? 200 : 500;
}

static unsigned get_leases(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	return call_ctl(c, "lease.list", NULL, ret, err, errlen);
}

static unsigned get_dhcp_servers(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen)
{
	return call_ctl(c, "dhcp.servers", NULL, ret, err, errlen);
}

static unsigned post_lease_release(const struct http_api_call *c, json_t **ret, char *err,
                                   size_t errlen)
{
	uint32_t addr;
	char a[IP4_STRLEN];
	if (ip4_parse(c->param[0], &addr) < 0) {
		snprintf(err, errlen, "'%.64s' is not an IPv4 address", c->param[0]);
		return 400;
	}
	json_t *args = json_pack("{s:s}", "addr", ip4_fmt(addr, a));
	if (!args)
		return 500;
	unsigned st = call_ctl(c, "lease.release", args, ret, err, errlen);
	json_decref(args);
	return st;
}

static unsigned post_leases_import(const struct http_api_call *c, json_t **ret, char *err,
                                   size_t errlen)
{
	return call_ctl(c, "lease.import", c->body, ret, err, errlen);
}

/* The device a route's {key} names (MAC, name or #ID: diag/report.h). */
static unsigned find_subject(const struct http_api_call *c, struct diag_sources *src,
                             struct diag_subject *s, char *err, size_t errlen)
{
	const struct nb_services *svc = c->api->svc;
	*src = (struct diag_sources){.journal = svc->journal,
	                             .registry = svc->registry,
	                             .hosts = svc->hosts,
	                             .boot_root = c->api->conf->tftp.root};
	int r = diag_subject_find(src, c->param[0], s, err, errlen);
	return r == -EINVAL ? 400 : r < 0 ? 404 : 200;
}

static unsigned get_device_journal(const struct http_api_call *c, json_t **ret, char *err,
                                   size_t errlen)
{
	struct diag_sources src;
	struct diag_subject s;
	unsigned st = find_subject(c, &src, &s, err, errlen);
	if (st != 200)
		return st;
	return diag_events_json(&src, &s, ret) < 0 ? 500 : 200;
}

static unsigned get_device_why(const struct http_api_call *c, json_t **ret, char *err,
                               size_t errlen)
{
	struct diag_sources src;
	struct diag_subject s;
	unsigned st = find_subject(c, &src, &s, err, errlen);
	if (st != 200)
		return st;
	return diag_why_json(&src, &s, ret) < 0 ? 500 : 200;
}

static const struct api_route routes[] = {
        {"GET", "/api/v1/health", get_health, true},
        {"GET", "/api/v1/status", http_api_status, false},
        {"GET", "/api/v1/leases", get_leases, false},
        {"POST", "/api/v1/leases/import", post_leases_import, false},
        {"POST", "/api/v1/leases/{addr}/release", post_lease_release, false},
        {"GET", "/api/v1/dhcp/servers", get_dhcp_servers, false},
        {"GET", "/api/v1/devices/{key}/journal", get_device_journal, false},
        {"GET", "/api/v1/devices", http_api_devices_list, false},
        {"POST", "/api/v1/devices", http_api_devices_create, false},
        {"POST", "/api/v1/devices/import", http_api_devices_import, false},
        {"GET", "/api/v1/devices/{key}", http_api_device_get, false},
        {"PATCH", "/api/v1/devices/{key}", http_api_device_patch, false},
        {"DELETE", "/api/v1/devices/{key}", http_api_device_delete, false},
        {"POST", "/api/v1/devices/{key}/approve", http_api_device_approve, false},
        {"POST", "/api/v1/devices/{key}/reject", http_api_device_reject, false},
        {"GET", "/api/v1/groups", http_api_groups_list, false},
        {"GET", "/api/v1/groups/{name}", http_api_group_get, false},
        {"GET", "/api/v1/devices/{key}/why", get_device_why, false},
};

/* Routes that take more than HTTP_API_BODY_MAX. */
static const struct {
	http_api_fn fn;
	size_t max;
} big_bodies[] = {
        {http_api_devices_import, HTTP_API_IMPORT_BODY_MAX},
        {post_leases_import, HTTP_API_LEASES_IMPORT_BODY_MAX},
};

static size_t body_max(const struct api_route *r)
{
	for (size_t i = 0; r && i < NB_ARRAY_SIZE(big_bodies); i++)
		if (big_bodies[i].fn == r->fn)
			return big_bodies[i].max;
	return HTTP_API_BODY_MAX;
}

/* ---- routing */

/* Splits path (copied into buf) at '/'; returns the number of segments, or
 * -1 when there are too many or it is too long. */
static int split(const char *path, char *buf, size_t n, char *seg[API_SEGMENTS_MAX])
{
	int count = 0;
	if (nb_strlcpy(buf, path, n) < 0 || buf[0] != '/')
		return -1;
	for (char *p = buf + 1;; count++) {
		if (count == API_SEGMENTS_MAX)
			return -1;
		seg[count] = p;
		char *slash = strchr(p, '/');
		if (!slash)
			return count + 1;
		*slash = 0;
		p = slash + 1;
	}
}

/* Whether path matches pattern; captures the {param} segments. */
static bool match(const char *pattern, char *const seg[], int n_seg,
                  const char *param[HTTP_API_PARAMS_MAX])
{
	const char *p = pattern + 1;
	size_t n_param = 0;
	for (int i = 0; i < n_seg; i++) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t) (end - p) : strlen(p);
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			if (!seg[i][0] || n_param == HTTP_API_PARAMS_MAX)
				return false;
			param[n_param++] = seg[i];
		} else if (strlen(seg[i]) != len || memcmp(seg[i], p, len) != 0) {
			return false;
		}
		if (!end)
			return i == n_seg - 1;
		p = end + 1;
	}
	return false;
}

static bool method_is(const struct api_route *r, const char *method)
{
	return strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static bool auth_refused(const struct http_api *a, enum http_api_auth auth, struct http_reply *rp)
{
	switch (auth) {
	case HTTP_API_AUTH_PLAIN:
		if (a->tls_port)
			http_api_error(
			        rp, 403,
			        "the API token is not accepted over plain HTTP: use HTTPS on "
			        "port %u ([api] listen), or set [api] allow-plain-token = yes",
			        a->tls_port);
		else
			http_api_error(
			        rp, 403,
			        "the API token is not accepted over plain HTTP: serve the API "
			        "over HTTPS ([api] listen), or set [api] allow-plain-token = "
			        "yes");
		return true;
	case HTTP_API_AUTH_OK:
		return false;
	case HTTP_API_AUTH_MISSING:
		http_api_error(rp, 401, "this route needs Authorization: Bearer TOKEN");
		break;
	case HTTP_API_AUTH_WRONG:
		http_api_error(rp, 401, "wrong token");
		break;
	case HTTP_API_AUTH_CLOSED:
		http_api_error(rp, 403,
		               "the API is not served over TCP here ([api] token is not set)");
		return true;
	}
	rp->challenge = true;
	return true;
}

/* The route for method and path (params captured), or NULL; allow gets
 * the methods the path has when none is method. */
static const struct api_route *route_find(const char *method, const char *path, char *buf,
                                          const char *param[HTTP_API_PARAMS_MAX], char *allow,
                                          size_t allow_len)
{
	char *seg[API_SEGMENTS_MAX];
	const char *p[HTTP_API_PARAMS_MAX];
	int n_seg = split(path, buf, API_PATH_MAX + 1, seg);
	for (size_t i = 0; n_seg > 0 && i < NB_ARRAY_SIZE(routes); i++) {
		if (!match(routes[i].pattern, seg, n_seg, p))
			continue;
		if (method_is(&routes[i], method)) {
			memcpy(param, p, sizeof p);
			return &routes[i];
		}
		size_t n = strlen(allow);
		snprintf(allow + n, allow_len - n, "%s%s", n ? ", " : "", routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			snprintf(allow + strlen(allow), allow_len - strlen(allow), ", HEAD");
	}
	return NULL;
}

size_t http_api_body_max(const char *method, const char *path)
{
	char buf[API_PATH_MAX + 1], allow[64] = "";
	const char *param[HTTP_API_PARAMS_MAX];
	const struct api_route *r = route_find(method, path, buf, param, allow, sizeof allow);
	return body_max(r);
}

void http_api_handle(struct http_api *a, const struct http_req *rq, enum http_api_auth auth,
                     struct http_reply *rp)
{
	char buf[API_PATH_MAX + 1], allow[sizeof rp->allow] = "";
	struct http_api_call c = {.api = a, .rq = rq, .etag = rp->etag};
	const struct api_route *route =
	        route_find(rq->method, rq->path, buf, c.param, allow, sizeof allow);

	if (!(route && route->open) && auth_refused(a, auth, rp))
		return;
	if (!route && allow[0]) {
		char m[16];
		http_api_error(rp, 405, "%s is not allowed here (%s)",
		               http_printable(rq->method, m, sizeof m), allow);
		memcpy(rp->allow, allow, sizeof allow);
		return;
	}
	if (!route) {
		http_api_error(rp, 404, "no such route");
		return;
	}
	size_t max = body_max(route);
	if (rq->body_len > max) {
		http_api_error(rp, 413, "the body is over %zu bytes", max);
		return;
	}
	if (rq->body_len) {
		json_error_t je;
		c.body = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
		if (!c.body) {
			http_api_error(rp, 400, "bad JSON at line %d, column %d: %s", je.line,
			               je.column, je.text);
			return;
		}
	}
	json_t *res = NULL;
	char err[256] = "";
	unsigned st = route->fn(&c, &res, err, sizeof err);
	json_decref(c.body);
	if (st >= 400) {
		http_api_error(rp, st, "%s", err[0] ? err : "failed");
		/* the route's details beside the error: {"error": ..., "rows": [...]} */
		if (json_is_object(res) && rp->body &&
		    json_object_set_new(res, "error", json_string(rp->why)) == 0) {
			free(rp->body);
			rp->body = NULL;
			rp->body_len = 0;
			reply_json(rp, st, res);
		}
		rp->etag[0] = 0;
	} else {
		reply_json(rp, res ? st : 204, res);
	}
	json_decref(res);
}

/* ---- lifecycle */

struct http_api *http_api_new(const struct nb_services *svc, const struct conf *c)
{
	struct http_api *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->svc = svc;
	a->conf = c;
	a->started_ms = nb_now_ms();
	uint64_t id;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = (uint64_t) nb_wall_sec() << 32 ^ (uint64_t) getpid() ^
		     (uint64_t) a->started_ms;
	snprintf(a->instance, sizeof a->instance, "%016llx", (unsigned long long) id);
	return a;
}

void http_api_reload(struct http_api *a, const struct conf *c)
{
	a->conf = c;
}

void http_api_set_tls(struct http_api *a, const struct tls_cert_info *info, uint16_t port)
{
	a->tls_port = info ? port : 0;
	snprintf(a->tls_fingerprint, sizeof a->tls_fingerprint, "%s",
	         info ? info->fingerprint : "");
	a->tls_expires = info ? info->not_after : 0;
}

void http_api_free(struct http_api *a)
{
	free(a);
}
