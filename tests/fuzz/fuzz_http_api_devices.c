/* Device route bodies: the first byte picks the route, the rest is the
 * body. A refused request (status >= 400) leaves the registry exactly as
 * it was (no device added, removed or changed: versions are bumped by
 * every change); an accepted one answers JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/services.h"
#include "http/api.h"
#include "http/request.h"
#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *CONF = "[dhcp]\nmode = off\nunknown-devices = pending\n"
                          "[boot]\nbios = d.kpxe\n[group lab]\nbios = lab.kpxe\n";

static const struct {
	const char *method, *path;
} routes[] = {
        {"POST", "/api/v1/devices"},           {"PATCH", "/api/v1/devices/pc1"},
        {"POST", "/api/v1/devices/import"},    {"POST", "/api/v1/devices/pc1/approve"},
        {"POST", "/api/v1/devices/#2/reject"}, {"DELETE", "/api/v1/devices/pc2"},
};

static void sum(const struct registry_device *d, void *data)
{
	uint64_t *s = data;
	s[0] += d->version * 1000003 + d->id;
	s[1]++;
}

static void state_of(const struct registry *r, uint64_t s[2])
{
	s[0] = s[1] = 0;
	registry_foreach(r, sum, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf *conf;
	struct nb_services svc = {0};
	struct registry_change c = {.fields = REGISTRY_F_MACS | REGISTRY_F_NAME};
	char err[256];
	uint64_t before[2], after[2];
	if (size < 1)
		return 0;
	if (!conf) {
		struct conf_diag d = {0};
		if (conf_load_string(CONF, "fuzz.conf", &d, &conf) < 0)
			abort();
		conf_diag_done(&d);
	}
	if (registry_open(NULL, NULL, NULL, &svc.registry) < 0)
		abort();
	registry_set_conf(svc.registry, conf);
	for (int i = 1; i <= 2; i++) {
		c.d.n_macs = 1;
		c.d.macs[0] = (struct hwaddr){{0x52, 0x54, 0, 0, 0, (uint8_t) i}};
		strcpy(c.d.name, i == 1 ? "pc1" : "pc2");
		if (registry_add(svc.registry, &c, NULL, err, sizeof err) < 0)
			abort();
	}
	struct http_api *api = http_api_new(&svc, conf);
	if (!api)
		abort();
	size_t k = data[0] % (sizeof routes / sizeof routes[0]);
	struct http_req rq = {.method = routes[k].method,
	                      .path = routes[k].path,
	                      .client = "fuzz",
	                      .body = size > 1 ? (const char *) data + 1 : NULL,
	                      .body_len = size - 1};
	struct http_reply rp;
	http_reply_init(&rp);
	state_of(svc.registry, before);
	http_api_handle(api, &rq, HTTP_API_AUTH_OK, &rp);
	state_of(svc.registry, after);
	if (rp.status >= 400 && memcmp(before, after, sizeof before) != 0)
		abort(); /* refused, yet something changed */
	if (rp.status >= 400 && rp.status != 400 && rp.status != 404 && rp.status != 409 &&
	    rp.status != 413)
		abort();
	if (rp.status != 204 && (!rp.type || strcmp(rp.type, "application/json") != 0))
		abort();
	http_reply_done(&rp);
	http_api_free(api);
	registry_free(svc.registry);
	return 0;
}
