/* The REST API without sockets: routing, auth, errors, bodies, and the
 * ctl commands behind the lease routes (faked here as DHCP will register them). */
#include "unit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/services.h"
#include "http/api.h"
#include "http/request.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

#include "api_harness.h"

/* What the fake commands saw and will answer. */
static struct {
	int calls;
	char args[256];
	int status;
	json_t *result;
	const char *err;
} fake;

static int fake_cmd(void *data, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	fake.calls++;
	fake.args[0] = 0;
	if (args) {
		char *s = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(fake.args, sizeof fake.args, "%s", s);
		free(s);
	}
	if (fake.status >= 400) {
		snprintf(err, errlen, "%s", fake.err ? fake.err : "");
	} else if (fake.result) {
		*ret_result = json_incref(fake.result);
	}
	return fake.status;
}

static int setup(void **state)
{
	(void) state;
	api_harness_open("[server]\nname = bay1\n[dhcp]\nmode = off\n");
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	api_harness_close();
	return 0;
}

static void reset_fake(int status, json_t *result, const char *err)
{
	json_decref(fake.result);
	fake.calls = 0;
	fake.args[0] = 0;
	fake.status = status;
	fake.result = result;
	fake.err = err;
}

/* Makes a request; returns the parsed body (NULL when empty), *ret_status. */
static json_t *call(const char *method, const char *path, const char *body, enum http_api_auth auth,
                    struct http_reply *rp)
{
	struct http_req rq = {.method = method,
	                      .path = path,
	                      .client = "test",
	                      .body = body,
	                      .body_len = body ? strlen(body) : 0};
	http_reply_init(rp);
	http_api_handle(api, &rq, auth, rp);
	if (rp->status != 204)
		assert_string_equal(rp->type, "application/json");
	if (!rp->body_len)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(rp->body, rp->body_len, 0, &je);
	assert_non_null(j);
	return j;
}

/* Expects status and an {"error": ...} containing needle. */
static void expect_error(const char *method, const char *path, const char *body,
                         enum http_api_auth auth, unsigned status, const char *needle)
{
	struct http_reply rp;
	json_t *j = call(method, path, body, auth, &rp);
	const char *e = json_string_value(json_object_get(j, "error"));
	if (rp.status != status || !e || !strstr(e, needle))
		print_message("%s %s -> %u %s\n", method, path, rp.status, e ? e : "(no error)");
	assert_int_equal(rp.status, status);
	assert_non_null(e);
	assert_non_null(strstr(e, needle));
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
	http_reply_done(&rp);
}

static void test_health(void **state)
{
	(void) state;
	static const enum http_api_auth auths[] = {HTTP_API_AUTH_OK, HTTP_API_AUTH_MISSING,
	                                           HTTP_API_AUTH_WRONG, HTTP_API_AUTH_CLOSED};
	char first[17] = "";
	for (size_t i = 0; i < 4; i++) {
		struct http_reply rp;
		json_t *j = call("GET", "/api/v1/health", NULL, auths[i], &rp);
		assert_int_equal(rp.status, 200);
		assert_true(rp.no_store);
		assert_string_equal(json_string_value(json_object_get(j, "name")), "bay1");
		assert_string_equal(json_string_value(json_object_get(j, "version")),
		                    NETBAY_VERSION);
		json_int_t t = json_integer_value(json_object_get(j, "time"));
		assert_true(t >= nb_wall_sec() - 5 && t <= nb_wall_sec());
		assert_true(json_is_integer(json_object_get(j, "uptime")));
		assert_true(json_integer_value(json_object_get(j, "uptime")) >= 0);
		/* the doctor's identity and proxyDHCP questions */
		const char *inst = json_string_value(json_object_get(j, "instance"));
		assert_non_null(inst);
		assert_int_equal(strspn(inst, "0123456789abcdef"), 16);
		assert_int_equal(strlen(inst), 16);
		if (i == 0)
			snprintf(first, sizeof first, "%s", inst);
		assert_string_equal(inst, first); /* one per server start */
		assert_string_equal(
		        json_string_value(json_object_get(json_object_get(j, "dhcp"), "mode")),
		        "off");
		json_decref(j);
		http_reply_done(&rp);
	}
	struct http_reply rp;
	json_decref(call("HEAD", "/api/v1/health", NULL, HTTP_API_AUTH_MISSING, &rp));
	assert_int_equal(rp.status, 200);
	http_reply_done(&rp);
}

static void test_auth(void **state)
{
	(void) state;
	struct http_reply rp;
	reset_fake(200, json_pack("{s:[]}", "leases"), NULL);
	assert_int_equal(ctl_register(svc.ctl, "lease.list", fake_cmd, NULL), 0);

	json_decref(call("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_MISSING, &rp));
	assert_int_equal(rp.status, 401);
	assert_true(rp.challenge);
	http_reply_done(&rp);
	expect_error("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_WRONG, 401, "wrong token");
	expect_error("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_CLOSED, 403, "[api] token");
	/* unknown routes and wrong methods say nothing to a caller without a token */
	expect_error("GET", "/api/v1/secret", NULL, HTTP_API_AUTH_MISSING, 401, "Bearer");
	expect_error("DELETE", "/api/v1/leases", NULL, HTTP_API_AUTH_WRONG, 401, "wrong token");
	assert_int_equal(fake.calls, 0);

	json_t *j = call("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_true(json_is_array(json_object_get(j, "leases")));
	assert_int_equal(fake.calls, 1);
	json_decref(j);
	http_reply_done(&rp);
	ctl_unregister(svc.ctl, "lease.list");
}

static void test_routing(void **state)
{
	(void) state;
	static const char *const not_found[] = {
	        "/api",
	        "/api/",
	        "/api/v1",
	        "/api/v1/health/",
	        "/api/v1//health",
	        "/api/v2/health",
	        "/api/v1/HEALTH",
	        "/api/v1/leases/",
	        "/api/v1/leases//release",
	        "/api/v1/leases/10.0.0.1/release/x",
	        "/api/v1/devices/52:54:00:12:34:56/x",
	        "/api/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t",
	        "api/v1/health",
	        "",
	};
	for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++)
		expect_error("GET", not_found[i], NULL, HTTP_API_AUTH_OK, 404, "no such route");

	char longp[3000] = "/api/v1/";
	memset(longp + 8, 'a', sizeof longp - 9);
	expect_error("GET", longp, NULL, HTTP_API_AUTH_OK, 404, "no such route");

	struct http_reply rp;
	json_decref(call("POST", "/api/v1/health", NULL, HTTP_API_AUTH_OK, &rp));
	assert_int_equal(rp.status, 405);
	assert_string_equal(rp.allow, "GET, HEAD");
	http_reply_done(&rp);
	json_decref(call("GET", "/api/v1/leases/10.0.0.1/release", NULL, HTTP_API_AUTH_OK, &rp));
	assert_int_equal(rp.status, 405);
	assert_string_equal(rp.allow, "POST");
	http_reply_done(&rp);
	expect_error("G\nET", "/api/v1/health", NULL, HTTP_API_AUTH_OK, 405, "G\\x0aET");
}

static void test_leases(void **state)
{
	(void) state;
	struct http_reply rp;
	/* DHCP off: nothing registered the commands */
	expect_error("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_OK, 503, "lease.list");
	expect_error("POST", "/api/v1/leases/10.0.0.7/release", NULL, HTTP_API_AUTH_OK, 503,
	             "lease.release");

	assert_int_equal(ctl_register(svc.ctl, "lease.list", fake_cmd, NULL), 0);
	assert_int_equal(ctl_register(svc.ctl, "lease.release", fake_cmd, NULL), 0);
	reset_fake(200, json_pack("{s:[{s:s}]}", "leases", "addr", "10.0.0.7"), NULL);
	json_t *j = call("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_true(json_equal(j, fake.result)); /* passed through as the command gave it */
	assert_string_equal(fake.args, "");
	json_decref(j);
	http_reply_done(&rp);

	reset_fake(200, json_pack("{s:s}", "released", "10.0.0.7"), NULL);
	j = call("POST", "/api/v1/leases/10.0.0.7/release", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_string_equal(fake.args, "{\"addr\":\"10.0.0.7\"}");
	json_decref(j);
	http_reply_done(&rp);

	/* a command with nothing to say */
	reset_fake(204, NULL, NULL);
	assert_null(call("POST", "/api/v1/leases/10.0.0.7/release", "{}", HTTP_API_AUTH_OK, &rp));
	assert_int_equal(rp.status, 204);
	http_reply_done(&rp);

	/* the command's own refusals pass through with their status */
	reset_fake(404, NULL, "no lease for 10.0.0.8");
	expect_error("POST", "/api/v1/leases/10.0.0.8/release", NULL, HTTP_API_AUTH_OK, 404,
	             "no lease for 10.0.0.8");
	reset_fake(409, NULL, "10.0.0.8 is a reservation");
	expect_error("POST", "/api/v1/leases/10.0.0.8/release", NULL, HTTP_API_AUTH_OK, 409,
	             "reservation");
	reset_fake(404, NULL, "no such command: x"); /* not mistaken for a missing module */
	expect_error("POST", "/api/v1/leases/10.0.0.8/release", NULL, HTTP_API_AUTH_OK, 503,
	             "nothing serves");
	reset_fake(302, NULL, NULL);
	expect_error("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_OK, 500, "status 302");
	reset_fake(7, NULL, NULL);
	expect_error("GET", "/api/v1/leases", NULL, HTTP_API_AUTH_OK, 500, "status 7");

	/* bad input never reaches the command */
	reset_fake(200, NULL, NULL);
	static const char *const bad_addr[] = {
	        "/api/v1/leases/10.0.0/release", "/api/v1/leases/10.0.0.256/release",
	        "/api/v1/leases/52:54:00:12:34:56/release", "/api/v1/leases/ 10.0.0.1/release",
	        "/api/v1/leases/10.0.0.1 /release"};
	for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++)
		expect_error("POST", bad_addr[i], NULL, HTTP_API_AUTH_OK, 400,
		             "not an IPv4 address");
	static const char *const bad_json[] = {"{bad", "{\"a\":1,\"a\":2}", "{} x", "\xff", "[1,2"};
	for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++)
		expect_error("POST", "/api/v1/leases/10.0.0.7/release", bad_json[i],
		             HTTP_API_AUTH_OK, 400, "bad JSON");
	char *big = malloc(HTTP_API_BODY_MAX + 2);
	memset(big, ' ', HTTP_API_BODY_MAX + 1);
	big[HTTP_API_BODY_MAX + 1] = 0;
	expect_error("POST", "/api/v1/leases/10.0.0.7/release", big, HTTP_API_AUTH_OK, 413,
	             "over 65536 bytes");
	free(big);
	assert_int_equal(fake.calls, 0);
	reset_fake(0, NULL, NULL);
	ctl_unregister(svc.ctl, "lease.list");
	ctl_unregister(svc.ctl, "lease.release");
}

static void test_device_journal(void **state)
{
	(void) state;
	const struct hwaddr mac = {{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}};
	struct http_reply rp;

	expect_error("GET", "/api/v1/devices/52:54:00:aa:bb:cc/journal", NULL, HTTP_API_AUTH_OK,
	             404, "no device with MAC 52:54:00:aa:bb:cc");
	expect_error("GET", "/api/v1/devices/nonsense/journal", NULL, HTTP_API_AUTH_OK, 404,
	             "no device or host named 'nonsense'");
	expect_error("GET", "/api/v1/devices/no such!/journal", NULL, HTTP_API_AUTH_OK, 400,
	             "not a MAC address, a name or a #ID");
	expect_error("GET", "/api/v1/devices/#x/journal", NULL, HTTP_API_AUTH_OK, 400,
	             "not a device #ID");
	expect_error("GET", "/api/v1/devices/#99/journal", NULL, HTTP_API_AUTH_OK, 404,
	             "no device #99");

	journal_emit(svc.journal, &(struct journal_fact){.kind = JOURNAL_HTTP_FETCH,
	                                                 .mac = &mac,
	                                                 .ip = 0x0a000009,
	                                                 .method = "GET",
	                                                 .file = "ipxe.efi",
	                                                 .status = 200,
	                                                 .range_end = 99,
	                                                 .size = 100});
	journal_emit(svc.journal, &(struct journal_fact){.kind = JOURNAL_DHCP_NAK,
	                                                 .mac = &mac,
	                                                 .reason = "bad \xff byte"});
	json_t *j =
	        call("GET", "/api/v1/devices/5254.00AA.BBCC/journal", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "mac")), "52:54:00:aa:bb:cc");
	json_t *ev = json_object_get(j, "events");
	assert_int_equal(json_array_size(ev), 2);
	json_t *e0 = json_array_get(ev, 0), *e1 = json_array_get(ev, 1);
	assert_string_equal(json_string_value(json_object_get(e0, "name")), "http.fetch");
	assert_string_equal(json_string_value(json_object_get(e0, "ip")), "10.0.0.9");
	assert_string_equal(json_string_value(json_object_get(e0, "detail")),
	                    "GET ipxe.efi: 200, bytes 0-99 of 100");
	/* the fact's fields beside the line: what a dashboard reads */
	assert_string_equal(json_string_value(json_object_get(e0, "file")), "ipxe.efi");
	assert_string_equal(json_string_value(json_object_get(e0, "method")), "GET");
	assert_int_equal(json_integer_value(json_object_get(e0, "status")), 200);
	assert_int_equal(json_integer_value(json_object_get(e0, "range_end")), 99);
	assert_int_equal(json_integer_value(json_object_get(e0, "size")), 100);
	assert_null(json_object_get(e0, "block")); /* not a field of http.fetch */
	const char *t = json_string_value(json_object_get(e0, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), 24); /* 2026-01-02T03:04:05.678Z */
	assert_int_equal(t[23], 'Z');
	assert_true(json_is_null(json_object_get(e1, "ip")));
	assert_string_equal(json_string_value(json_object_get(e1, "detail")), "(not UTF-8)");
	json_decref(j);
	http_reply_done(&rp);

	/* a device the registry has just met: its journal starts with that */
	const struct hwaddr other = {{0x52, 0x54, 0x00, 0, 0, 1}};
	struct registry_boot rb;
	assert_int_equal(registry_boot_seen(svc.registry, &other, 0, -1, NULL, &rb), 0);
	j = call("GET", "/api/v1/devices/52:54:00:00:00:01/journal", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	ev = json_object_get(j, "events");
	assert_int_equal(json_array_size(ev), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "name")),
	                    "registry.new");
	json_decref(j);
	http_reply_done(&rp);
}

/* GET /api/v1/status: the configuration in force, the modules' commands when they run. */
static void test_status(void **state)
{
	(void) state;
	struct http_reply rp;
	expect_error("GET", "/api/v1/status", NULL, HTTP_API_AUTH_MISSING, 401, "Bearer");
	json_t *j = call("GET", "/api/v1/status", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "bay1");
	assert_string_equal(json_string_value(json_object_get(j, "version")), NETBAY_VERSION);
	assert_true(json_integer_value(json_object_get(j, "uptime")) >= 0);
	/* DHCP off: the module never registered dhcp.status */
	json_t *want = json_pack("{s:s}", "mode", "off");
	assert_true(json_equal(json_object_get(j, "dhcp"), want));
	json_decref(want);
	json_t *dns = json_object_get(j, "dns");
	assert_string_equal(json_string_value(json_object_get(dns, "mode")), "full");
	assert_string_equal(json_string_value(json_array_get(json_object_get(dns, "listen"), 0)),
	                    "0.0.0.0:53");
	assert_true(json_is_null(json_object_get(dns, "stats"))); /* dns.stats not registered */
	assert_string_equal(json_string_value(json_object_get(dns, "resolv_conf")),
	                    "/etc/resolv.conf");
	want = json_pack("{s:b, s:s}", "enabled", 1, "listen", "0.0.0.0:80");
	assert_true(json_equal(json_object_get(j, "http"), want));
	json_decref(want);
	assert_true(json_is_true(json_object_get(json_object_get(j, "tftp"), "enabled")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "api"), "listen")));
	json_decref(j);
	http_reply_done(&rp);

	/* what dns.stats answers is passed through */
	assert_int_equal(ctl_register(svc.ctl, "dns.stats", fake_cmd, NULL), 0);
	reset_fake(200, json_pack("{s:i}", "queries", 7), NULL);
	j = call("GET", "/api/v1/status", NULL, HTTP_API_AUTH_OK, &rp);
	assert_true(json_equal(json_object_get(json_object_get(j, "dns"), "stats"), fake.result));
	json_decref(j);
	http_reply_done(&rp);
	/* a failing command leaves its part out, not the whole status */
	reset_fake(500, NULL, "broken");
	j = call("GET", "/api/v1/status", NULL, HTTP_API_AUTH_OK, &rp);
	assert_int_equal(rp.status, 200);
	assert_true(json_is_null(json_object_get(json_object_get(j, "dns"), "stats")));
	json_decref(j);
	http_reply_done(&rp);
	ctl_unregister(svc.ctl, "dns.stats");
	reset_fake(0, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_health),         cmocka_unit_test(test_auth),
	        cmocka_unit_test(test_routing),        cmocka_unit_test(test_leases),
	        cmocka_unit_test(test_device_journal), cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
