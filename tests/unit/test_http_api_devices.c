/* The device and group routes of the REST API, without sockets: what a
 * device looks like, lookups by every kind of key, filters, hostile
 * bodies, compare-and-set, all-or-nothing updates and imports. */
#include "unit.h"

#include <errno.h>
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

static const char *CONF = "[server]\nname = bay1\n"
                          "[dhcp]\nmode = off\nunknown-devices = pending\ndefault-group = lab\n"
                          "[boot]\nbios = default.kpxe\nuefi-x64 = default.efi\n"
                          "[group lab]\nbios = lab.kpxe\nlease-time = 2h\ndns = 10.0.0.53\n"
                          "[group kiosk]\nuefi-x64 = kiosk.efi\n";

static int setup(void **state)
{
	(void) state;
	api_harness_open(CONF);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	api_harness_close();
	return 0;
}

/* A request: "key=value" query arguments (NULL-terminated) and If-Match. */
struct rq_extra {
	const char *args[2 * HTTP_ARGS_MAX + 4];
	const char *if_match;
};

static json_t *call_x(const char *method, const char *path, const char *body,
                      const struct rq_extra *x, struct http_reply *rp)
{
	struct http_req rq = {.method = method,
	                      .path = path,
	                      .client = "test",
	                      .body = body,
	                      .body_len = body ? strlen(body) : 0};
	if (x) {
		rq.if_match = x->if_match;
		for (size_t i = 0; x->args[i]; i += 2) {
			if (rq.n_args < HTTP_ARGS_MAX)
				rq.args[rq.n_args] = (struct http_arg){x->args[i], x->args[i + 1]};
			if (rq.n_args <= HTTP_ARGS_MAX)
				rq.n_args++;
		}
	}
	http_reply_init(rp);
	http_api_handle(api, &rq, HTTP_API_AUTH_OK, rp);
	if (!rp->body_len)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(rp->body, rp->body_len, 0, &je);
	assert_non_null(j);
	return j;
}

/* Expects status; returns the body (the caller frees it). */
static json_t *expect(unsigned status, const char *method, const char *path, const char *body,
                      const struct rq_extra *x)
{
	struct http_reply rp;
	json_t *j = call_x(method, path, body, x, &rp);
	if (rp.status != status) {
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		print_message("%s %s %s -> %u %s\n", method, path, body ? body : "", rp.status,
		              s ? s : "");
		free(s);
	}
	assert_int_equal(rp.status, status);
	http_reply_done(&rp);
	return j;
}

/* Expects an error status whose message contains needle. */
static void expect_err(unsigned status, const char *method, const char *path, const char *body,
                       const char *needle)
{
	json_t *j = expect(status, method, path, body, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	if (!e || !strstr(e, needle))
		print_message("%s %s %s: error '%s' lacks '%s'\n", method, path, body ? body : "",
		              e ? e : "(none)", needle);
	assert_non_null(e);
	assert_non_null(strstr(e, needle));
	json_decref(j);
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "(not a string)";
}

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The device as the API gives it now, serialized (for "nothing changed"). */
static char *snapshot(const char *key)
{
	char path[128];
	snprintf(path, sizeof path, "/api/v1/devices/%s", key);
	json_t *j = expect(200, "GET", path, NULL, NULL);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void remove_all(void)
{
	json_t *j = expect(200, "GET", "/api/v1/devices", NULL, NULL);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(j, "devices"), i, d)
	{
		char path[64];
		/* the router sees the path decoded: "#" arrives as itself */
		snprintf(path, sizeof path, "/api/v1/devices/#%lld", (long long) num(d, "id"));
		json_decref(expect(204, "DELETE", path, NULL, NULL));
	}
	json_decref(j);
	assert_int_equal(registry_count(svc.registry), 0);
}

static void test_create_and_get(void **state)
{
	(void) state;
	struct http_reply rp;
	json_t *j =
	        call_x("POST", "/api/v1/devices",
	               "{\"macs\": [\"52-54-00-AA-00-01\", \"5254.00aa.0002\"], \"name\": \"pc1\","
	               " \"uuid\": \"A1B2C3D4-0000-1111-2222-333344445555\", \"notes\": \"desk 4\","
	               " \"profile\": {\"uefi-x64\": \"pc1.efi\", \"lease-time\": \"1h\"}}",
	               NULL, &rp);
	assert_int_equal(rp.status, 201);
	assert_string_equal(rp.etag, "\"1\"");
	http_reply_done(&rp);
	assert_int_equal(num(j, "id"), 1);
	assert_int_equal(num(j, "version"), 1);
	json_t *macs = json_object_get(j, "macs");
	assert_int_equal(json_array_size(macs), 2);
	assert_string_equal(json_string_value(json_array_get(macs, 0)), "52:54:00:aa:00:01");
	assert_string_equal(json_string_value(json_array_get(macs, 1)), "52:54:00:aa:00:02");
	assert_string_equal(str(j, "name"), "pc1");
	assert_string_equal(str(j, "uuid"), "a1b2c3d4-0000-1111-2222-333344445555");
	assert_true(json_is_false(json_object_get(j, "uuid_conflict")));
	assert_string_equal(str(j, "state"), "pending"); /* created devices wait for approval */
	assert_string_equal(str(j, "group"), "");
	assert_string_equal(str(j, "notes"), "desk 4");
	assert_true(json_is_null(json_object_get(j, "arch")));
	assert_string_equal(str(j, "arch_name"), "unknown");
	assert_true(json_is_null(json_object_get(j, "ip")));
	assert_true(json_is_null(json_object_get(j, "last_seen")));
	json_t *p = json_object_get(j, "profile");
	assert_int_equal(json_object_size(p), 2);
	assert_string_equal(str(p, "uefi-x64"), "pc1.efi");
	assert_int_equal(num(p, "lease-time"), 3600);
	/* what it will boot: nothing yet, and the merged profile */
	json_t *boot = json_object_get(j, "boot");
	assert_string_equal(str(boot, "verdict"), "wait");
	assert_string_equal(str(boot, "why"), "the device is pending approval");
	assert_string_equal(str(json_object_get(boot, "profile"), "bios"), "default.kpxe");
	assert_string_equal(str(json_object_get(boot, "profile"), "uefi-x64"), "pc1.efi");
	char *full = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);

	/* every key finds it: MACs in any notation, name in any case, #ID, UUID */
	static const char *const keys[] = {"52:54:00:aa:00:01",
	                                   "5254.00AA.0002",
	                                   "525400aa0001",
	                                   "PC1",
	                                   "#1",
	                                   "a1b2c3d4-0000-1111-2222-333344445555"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(keys); i++) {
		char *s = snapshot(keys[i]);
		assert_string_equal(s, full);
		free(s);
	}
	free(full);
	expect_err(404, "GET", "/api/v1/devices/pc2", NULL, "no device 'pc2'");
	expect_err(404, "GET", "/api/v1/devices/52:54:00:aa:00:09", NULL, "no device");
	expect_err(404, "GET", "/api/v1/devices/#999", NULL, "no device '#999'");
	expect_err(404, "GET", "/api/v1/devices/#x", NULL, "no device");
	expect_err(404, "GET", "/api/v1/devices/\xff\x01", NULL, "no device '\\xff\\x01'");
	expect_err(404, "PATCH", "/api/v1/devices/pc2", "{}", "no device");
	expect_err(404, "DELETE", "/api/v1/devices/pc2", NULL, "no device");
	expect_err(404, "POST", "/api/v1/devices/pc2/approve", NULL, "no device");
	expect_err(404, "POST", "/api/v1/devices/pc2/reject", NULL, "no device");

	/* the journal route takes the same keys */
	const struct hwaddr m1 = {{0x52, 0x54, 0x00, 0xaa, 0x00, 0x01}};
	journal_emit(
	        svc.journal,
	        &(struct journal_fact){.kind = JOURNAL_DHCP_DISCOVER, .mac = &m1, .iface = "eth1"});
	j = expect(200, "GET", "/api/v1/devices/pc1/journal", NULL, NULL);
	assert_string_equal(str(j, "mac"), "52:54:00:aa:00:01");
	assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
	json_decref(j);
	j = expect(200, "GET", "/api/v1/devices/#1/journal", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
	json_decref(j);
	expect_err(404, "GET", "/api/v1/devices/pc2/journal", NULL, "'pc2'");
	remove_all();
}

static void test_create_refuses_bad_bodies(void **state)
{
	(void) state;
	static const struct {
		const char *body, *needle;
	} bad[] = {
	        {"[]", "must be a JSON object"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"nmae\": \"x\"}",
	         "unknown or read-only field 'nmae'"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"id\": 7}", "read-only field 'id'"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"uuid_conflict\": true}", "read-only"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"version\": 1}",
	         "read-only field 'version'"},
	        {"{\"macs\": \"52:54:00:aa:00:01\"}", "macs must be a list"},
	        {"{\"macs\": [1]}", "macs[0] is not a MAC"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\", \"52:54:00:aa:00\"]}", "macs[1] is not a MAC"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\", \"52:54:00:aa:00:01\"]}", "listed twice"},
	        {"{\"macs\": [\"0:0:0:0:0:1\",\"0:0:0:0:0:2\",\"0:0:0:0:0:3\",\"0:0:0:0:0:4\","
	         "\"0:0:0:0:0:5\",\"0:0:0:0:0:6\",\"0:0:0:0:0:7\",\"0:0:0:0:0:8\",\"0:0:0:0:0:9\"]"
	         "}",
	         "at most 8"},
	        {"{\"macs\": []}", "needs a MAC or a UUID"},
	        {"{}", "needs a MAC or a UUID"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": 5}", "name must be a string"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"two words\"}",
	         "not a single DNS label"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"a.b\"}",
	         "not a single DNS label"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"x\\ny\"}", "control character"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"uuid\": \"not-a-uuid\"}",
	         "uuid must be a UUID"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"uuid\": "
	         "\"03000200-0400-0500-0006-000700080009\"}",
	         "placeholder"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"uuid\": "
	         "\"00000000-0000-0000-0000-000000000000\"}",
	         "placeholder"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"state\": \"happy\"}", "state must be"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"state\": 1}", "state must be"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"group\": \"nope\"}", "no [group nope]"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"group\": [\"lab\"]}",
	         "group must be a string"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"notes\": \"bell \\u0007\"}",
	         "control character"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": []}",
	         "profile must be an object"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"bois\": \"x\"}}",
	         "profile: unknown key 'bois'"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"bios\": \"../etc/passwd\"}}",
	         "not a file in the boot root"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"bios\": 3}}",
	         "profile: bios must be a string"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"lease-time\": 30}}",
	         "at least 60"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"lease-time\": -1}}",
	         "out of range"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"lease-time\": 1.5}}",
	         "seconds or a duration"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"lease-time\": \"soon\"}}",
	         "seconds or a duration"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"dns\": \"10.0.0.1\"}}",
	         "dns must be a list"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"dns\": [\"10.0.0.1\", "
	         "\"x\"]}}",
	         "dns[1] is not an IPv4"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"dns\": "
	         "[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\",\"1.1.1.5\"]}}",
	         "at most 4"},
	        {"{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"domain\": \"-bad-\"}}",
	         "domain '-bad-' is not valid"},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++)
		expect_err(400, "POST", "/api/v1/devices", bad[i].body, bad[i].needle);
	/* a string one byte too long, in every length-limited field */
	char body[2048], longs[1024];
	static const struct {
		const char *field;
		size_t max;
	} lim[] = {{"name", REGISTRY_NAME_MAX},
	           {"group", REGISTRY_NAME_MAX},
	           {"notes", REGISTRY_NOTES_MAX}};
	for (size_t i = 0; i < NB_ARRAY_SIZE(lim); i++) {
		memset(longs, 'a', lim[i].max);
		longs[lim[i].max] = 0;
		snprintf(body, sizeof body, "{\"macs\": [\"52:54:00:aa:00:01\"], \"%s\": \"%s\"}",
		         lim[i].field, longs);
		expect_err(400, "POST", "/api/v1/devices", body, "longer than");
	}
	memset(longs, 'a', REGISTRY_FILE_MAX);
	longs[REGISTRY_FILE_MAX] = 0;
	snprintf(body, sizeof body,
	         "{\"macs\": [\"52:54:00:aa:00:01\"], \"profile\": {\"bios\": \"%s\"}}", longs);
	expect_err(400, "POST", "/api/v1/devices", body, "profile: bios is longer than");
	/* the router refuses what is not JSON at all */
	expect_err(400, "POST", "/api/v1/devices", "{\"macs\": [", "bad JSON");
	expect_err(400, "POST", "/api/v1/devices", "{\"name\": \"a\", \"name\": \"b\"}",
	           "bad JSON");
	expect_err(400, "POST", "/api/v1/devices", "{\"name\": \"\xc3\x28\"}", "bad JSON");
	expect_err(400, "POST", "/api/v1/devices", "{\"name\": \"a\\u0000b\"}", "bad JSON");
	expect_err(400, "POST", "/api/v1/devices", NULL, "must be a JSON object");
	assert_int_equal(registry_count(svc.registry), 0);

	/* taken MACs and names are conflicts */
	json_decref(expect(201, "POST", "/api/v1/devices",
	                   "{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"pc1\"}", NULL));
	expect_err(409, "POST", "/api/v1/devices", "{\"macs\": [\"52:54:00:AA:00:01\"]}",
	           "MAC 52:54:00:aa:00:01 belongs to device #");
	expect_err(409, "POST", "/api/v1/devices",
	           "{\"macs\": [\"52:54:00:aa:00:02\"], \"name\": \"PC1\"}", "name PC1 belongs to");
	assert_int_equal(registry_count(svc.registry), 1);
	remove_all();
}

static void test_patch_compare_and_set(void **state)
{
	(void) state;
	json_decref(expect(201, "POST", "/api/v1/devices",
	                   "{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"pc1\", \"profile\": "
	                   "{\"bios\": \"own.kpxe\", \"uefi-x64\": \"own.efi\"}}",
	                   NULL));
	json_decref(expect(201, "POST", "/api/v1/devices",
	                   "{\"macs\": [\"52:54:00:aa:00:02\"], \"name\": \"pc2\"}", NULL));
	/* the fields given change, the rest stays; the profile merges */
	struct http_reply rp;
	json_t *j =
	        call_x("PATCH", "/api/v1/devices/pc1",
	               "{\"group\": \"lab\", \"notes\": \"moved\", \"profile\": {\"bios\": null, "
	               "\"dns\": [\"10.0.0.1\"]}}",
	               NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_string_equal(rp.etag, "\"2\"");
	http_reply_done(&rp);
	assert_string_equal(str(j, "group"), "lab");
	assert_string_equal(str(j, "notes"), "moved");
	assert_string_equal(str(j, "name"), "pc1");
	json_t *p = json_object_get(j, "profile");
	assert_null(json_object_get(p, "bios"));
	assert_string_equal(str(p, "uefi-x64"), "own.efi");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "dns"), 0)),
	                    "10.0.0.1");
	/* the effective profile: the group's loader now that its own is gone */
	assert_string_equal(str(json_object_get(json_object_get(j, "boot"), "profile"), "bios"),
	                    "lab.kpxe");
	json_decref(j);

	/* invalid input never half-applies: a good name beside a bad group */
	char *before = snapshot("pc1");
	expect_err(400, "PATCH", "/api/v1/devices/pc1",
	           "{\"name\": \"renamed\", \"group\": \"no\"}", "no [group no]");
	expect_err(400, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\", \"state\": \"x\"}",
	           "state must be");
	expect_err(409, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"pc2\", \"notes\": \"x\"}",
	           "name pc2 belongs to");
	expect_err(409, "PATCH", "/api/v1/devices/pc1",
	           "{\"macs\": [\"52:54:00:aa:00:01\", \"52:54:00:aa:00:02\"]}", "belongs to");
	expect_err(400, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\", \"id\": 3}",
	           "read-only field 'id'");
	expect_err(400, "PATCH", "/api/v1/devices/pc1", NULL, "fields to change");
	/* compare-and-set: the body's version, If-Match, both */
	expect_err(409, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\", \"version\": 1}",
	           "changed meanwhile (version 2, not 1)");
	static const char *const bad_versions[] = {"0", "-1", "1.0", "\"2\"", "true", "null"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad_versions); i++) {
		char b[96];
		snprintf(b, sizeof b, "{\"name\": \"renamed\", \"version\": %s}", bad_versions[i]);
		expect_err(400, "PATCH", "/api/v1/devices/pc1", b, "version must be");
	}
	struct rq_extra stale = {.if_match = "\"1\""};
	j = expect(409, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\"}", &stale);
	json_decref(j);
	static const char *const bad_etags[] = {"W/\"2\"", "\"\"", "two", "\"2\", \"3\"", "0"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad_etags); i++) {
		struct rq_extra x = {.if_match = bad_etags[i]};
		json_t *e =
		        expect(400, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\"}", &x);
		assert_non_null(strstr(str(e, "error"), "If-Match"));
		json_decref(e);
	}
	struct rq_extra disagree = {.if_match = "\"2\""};
	j = expect(400, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\", \"version\": 3}",
	           &disagree);
	assert_non_null(strstr(str(j, "error"), "If-Match says version 2, the body 3"));
	json_decref(j);
	char *after = snapshot("pc1");
	assert_string_equal(before, after);
	free(before);
	free(after);

	struct rq_extra fresh = {.if_match = " \"2\" "};
	j = expect(200, "PATCH", "/api/v1/devices/pc1", "{\"name\": \"renamed\"}", &fresh);
	assert_int_equal(num(j, "version"), 3);
	json_decref(j);
	struct rq_extra any = {.if_match = "*"};
	j = expect(200, "PATCH", "/api/v1/devices/renamed", "{\"name\": \"pc1\", \"version\": 3}",
	           &any);
	assert_int_equal(num(j, "version"), 4);
	json_decref(j);
	/* "" and null clear */
	j = expect(200, "PATCH", "/api/v1/devices/pc1", "{\"group\": \"\", \"notes\": null}", NULL);
	assert_string_equal(str(j, "group"), "");
	assert_string_equal(str(j, "notes"), "");
	json_decref(j);
	remove_all();
}

static void test_approve_reject_delete(void **state)
{
	(void) state;
	const struct hwaddr mac = {{0x52, 0x54, 0x00, 0xaa, 0x00, 0x07}};
	struct registry_boot rb;
	/* a machine netbay saw booting: pending by policy */
	assert_int_equal(registry_boot_seen(svc.registry, &mac, 0x0a000007, 7, NULL, &rb), 0);
	assert_int_equal(rb.verdict, REGISTRY_WAIT);
	json_t *j = expect(200, "GET", "/api/v1/devices/52:54:00:aa:00:07", NULL, NULL);
	assert_string_equal(str(j, "state"), "pending");
	assert_int_equal(num(j, "arch"), 7);
	assert_string_equal(str(j, "arch_name"), "x64 UEFI");
	assert_string_equal(str(j, "ip"), "10.0.0.7");
	assert_true(num(j, "first_seen") > 0 && num(j, "last_seen") >= num(j, "first_seen"));
	json_decref(j);

	expect_err(400, "POST", "/api/v1/devices/52:54:00:aa:00:07/approve", "{\"name\": \"x\"}",
	           "may only hold");
	expect_err(400, "POST", "/api/v1/devices/52:54:00:aa:00:07/reject", "{\"group\": \"lab\"}",
	           "may only hold \"version\"");
	expect_err(400, "POST", "/api/v1/devices/52:54:00:aa:00:07/approve", "[]", "may only hold");
	expect_err(400, "POST", "/api/v1/devices/52:54:00:aa:00:07/approve", "{\"group\": \"zz\"}",
	           "no [group zz]");
	expect_err(409, "POST", "/api/v1/devices/52:54:00:aa:00:07/approve", "{\"version\": 9}",
	           "changed meanwhile");
	registry_boot_for(svc.registry, &mac, &rb);
	assert_int_equal(rb.verdict, REGISTRY_WAIT); /* none of that changed anything */

	j = expect(200, "POST", "/api/v1/devices/52:54:00:aa:00:07/approve",
	           "{\"group\": \"kiosk\"}", NULL);
	assert_string_equal(str(j, "state"), "approved");
	assert_string_equal(str(j, "group"), "kiosk");
	json_t *boot = json_object_get(j, "boot");
	assert_string_equal(str(boot, "verdict"), "boot");
	assert_string_equal(str(json_object_get(boot, "profile"), "uefi-x64"), "kiosk.efi");
	json_decref(j);
	registry_boot_for(svc.registry, &mac, &rb); /* the next packet boots */
	assert_int_equal(rb.verdict, REGISTRY_BOOT);
	assert_string_equal(rb.profile.loaders.file[BOOT_UEFI_X64], "kiosk.efi");

	j = expect(200, "POST", "/api/v1/devices/#1/reject", NULL, NULL);
	assert_string_equal(str(j, "state"), "rejected");
	assert_string_equal(str(json_object_get(j, "boot"), "verdict"), "deny");
	json_int_t v = num(j, "version");
	json_decref(j);
	registry_boot_for(svc.registry, &mac, &rb);
	assert_int_equal(rb.verdict, REGISTRY_DENY);

	/* delete: If-Match is honoured, a body is refused, then it is gone */
	struct rq_extra stale = {.if_match = "\"1\""};
	json_decref(expect(409, "DELETE", "/api/v1/devices/#1", NULL, &stale));
	expect_err(400, "DELETE", "/api/v1/devices/#1", "{}", "takes no body");
	char etag[16];
	snprintf(etag, sizeof etag, "\"%lld\"", (long long) v);
	struct rq_extra fresh = {.if_match = etag};
	assert_null(expect(204, "DELETE", "/api/v1/devices/#1", NULL, &fresh));
	expect_err(404, "GET", "/api/v1/devices/#1", NULL, "no device");
	expect_err(404, "DELETE", "/api/v1/devices/#1", NULL, "no device");
	assert_int_equal(registry_count(svc.registry), 0);
	expect_err(405, "PUT", "/api/v1/devices/#1", "{}", "PUT is not allowed");
}

static size_t ids_of(json_t *j, json_int_t *ids, size_t max)
{
	size_t i, n = 0;
	json_t *d;
	json_array_foreach(json_object_get(j, "devices"), i, d) if (n < max) ids[n++] =
	        num(d, "id");
	return n;
}

static void test_list_filters(void **state)
{
	(void) state;
	static const char *const devs[] = {
	        "{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"alpha\", \"state\": \"approved\", "
	        "\"group\": \"lab\"}",
	        "{\"macs\": [\"52:54:00:aa:00:02\"], \"name\": \"beta\", \"notes\": \"room "
	        "ALPHA-2\"}",
	        "{\"macs\": [\"52:54:00:bb:00:03\"], \"state\": \"approved\", \"group\": "
	        "\"kiosk\", "
	        "\"uuid\": \"a1b2c3d4-0000-1111-2222-333344445555\"}",
	        "{\"macs\": [\"52:54:00:bb:00:04\"], \"state\": \"rejected\", \"group\": \"lab\"}",
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(devs); i++)
		json_decref(expect(201, "POST", "/api/v1/devices", devs[i], NULL));
	static const struct {
		const char *args[8];
		size_t n;
		json_int_t ids[4];
	} cases[] = {
	        {{NULL}, 4, {1, 2, 3, 4}},
	        {{"state", "approved", NULL}, 2, {1, 3}},
	        {{"state", "pending", NULL}, 1, {2}},
	        {{"group", "lab", NULL}, 2, {1, 4}},
	        {{"group", "", NULL}, 1, {2}},
	        {{"state", "approved", "group", "lab", NULL}, 1, {1}},
	        {{"q", "alpha", NULL}, 2, {1, 2}}, /* name and notes, any case */
	        {{"q", "bb:00", NULL}, 2, {3, 4}},
	        {{"q", "5254.00bb.0004", NULL}, 1, {4}}, /* a MAC in another notation */
	        {{"q", "A1B2C3", NULL}, 1, {3}},
	        {{"q", "nothing", NULL}, 0, {0}},
	        {{"q", "", NULL}, 4, {1, 2, 3, 4}},
	        {{"q", NULL, NULL}, 4, {1, 2, 3, 4}},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(cases); i++) {
		struct rq_extra x = {.if_match = NULL};
		memcpy(x.args, cases[i].args, sizeof cases[i].args);
		json_t *j = expect(200, "GET", "/api/v1/devices", NULL, &x);
		json_int_t ids[8];
		size_t n = ids_of(j, ids, 8);
		if (n != cases[i].n)
			print_message("case %zu: %zu devices\n", i, n);
		assert_int_equal(n, cases[i].n);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(ids[k], cases[i].ids[k]);
		json_decref(j);
	}
	struct rq_extra bad1 = {.args = {"state", "happy", NULL}};
	json_t *j = expect(400, "GET", "/api/v1/devices", NULL, &bad1);
	assert_non_null(strstr(str(j, "error"), "state must be"));
	json_decref(j);
	struct rq_extra bad2 = {.args = {"grup", "lab", NULL}};
	j = expect(400, "GET", "/api/v1/devices", NULL, &bad2);
	assert_non_null(strstr(str(j, "error"), "unknown query argument 'grup'"));
	json_decref(j);
	struct rq_extra bad3 = {.args = {"state", "pending", "state", "approved", NULL}};
	j = expect(400, "GET", "/api/v1/devices", NULL, &bad3);
	assert_non_null(strstr(str(j, "error"), "given twice"));
	json_decref(j);
	struct rq_extra many = {.args = {"q", "a", "q", "a", "q", "a", "q", "a", "q", "a", "q", "a",
	                                 "q", "a", "q", "a", "q", "a", NULL}};
	j = expect(400, "GET", "/api/v1/devices", NULL, &many);
	assert_non_null(strstr(str(j, "error"), "too many"));
	json_decref(j);
	remove_all();
}

/* Expects an import refused with status, naming exactly these row indexes. */
static void expect_bad_rows(unsigned status, const char *body, const size_t *idx, size_t n,
                            const char *const *needles)
{
	json_t *j = expect(status, "POST", "/api/v1/devices/import", body, NULL);
	json_t *rows = json_object_get(j, "rows");
	char *s = json_dumps(j, JSON_COMPACT);
	if (json_array_size(rows) != n)
		print_message("%s\n", s);
	free(s);
	assert_non_null(strstr(str(j, "error"), "nothing imported"));
	assert_int_equal(json_array_size(rows), n);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(rows, i);
		assert_int_equal(num(r, "index"), idx[i]);
		if (!strstr(str(r, "error"), needles[i]))
			print_message("row %zu: '%s' lacks '%s'\n", idx[i], str(r, "error"),
			              needles[i]);
		assert_non_null(strstr(str(r, "error"), needles[i]));
	}
	json_decref(j);
}

static void test_import(void **state)
{
	(void) state;
	/* one device exists; it has two NICs */
	json_decref(expect(201, "POST", "/api/v1/devices",
	                   "{\"macs\": [\"52:54:00:aa:00:01\", \"52:54:00:aa:00:02\"], "
	                   "\"name\": \"old\"}",
	                   NULL));
	char *before = snapshot("old");

	/* every bad row, malformed or conflicting, by its index; nothing changes */
	static const size_t idx1[] = {1, 2, 3, 5};
	static const char *const why1[] = {"macs[0] is not a MAC", "no [group nope]",
	                                   "name old belongs to",
	                                   "MAC 52:54:00:cc:00:01 is also in an earlier row"};
	expect_bad_rows(400,
	                "{\"devices\": ["
	                "{\"macs\": [\"52:54:00:cc:00:01\"], \"name\": \"n0\", \"group\": \"lab\"},"
	                "{\"macs\": [\"zz\"]},"
	                "{\"macs\": [\"52:54:00:cc:00:02\"], \"group\": \"nope\"},"
	                "{\"macs\": [\"52:54:00:cc:00:03\"], \"name\": \"old\"},"
	                "{\"macs\": [\"52:54:00:cc:00:04\"], \"name\": \"n4\"},"
	                "{\"macs\": [\"52:54:00:cc:00:01\"], \"name\": \"n5\"}]}",
	                idx1, 4, why1);
	/* rows the registry would take are not imported beside a malformed one */
	static const size_t idx3[] = {1};
	static const char *const why3[] = {"uuid must be a UUID"};
	expect_bad_rows(400,
	                "{\"devices\": [{\"macs\": [\"52:54:00:cc:00:01\"], \"name\": \"n0\"},"
	                "{\"macs\": [\"52:54:00:cc:00:02\"], \"uuid\": \"x\"}]}",
	                idx3, 1, why3);
	/* conflicts alone are 409 */
	static const size_t idx2[] = {1};
	static const char *const why2[] = {"name N0 is also in an earlier row"};
	expect_bad_rows(409,
	                "{\"devices\": [{\"macs\": [\"52:54:00:cc:00:01\"], \"name\": \"n0\"},"
	                "{\"macs\": [\"52:54:00:cc:00:02\"], \"name\": \"N0\"}]}",
	                idx2, 1, why2);
	json_t *o = expect(409, "POST", "/api/v1/devices/import",
	                   "{\"devices\": [{\"macs\": [\"52:54:00:cc:00:01\"]}, {\"macs\": "
	                   "[\"52:54:00:cc:00:02\"]}, {\"macs\": [\"52:54:00:cc:00:01\"]}]}",
	                   NULL);
	json_t *r0 = json_array_get(json_object_get(o, "rows"), 0);
	assert_int_equal(num(r0, "index"), 2);
	assert_int_equal(num(r0, "other_index"), 0); /* the row it clashes with */
	assert_null(json_object_get(json_array_get(json_object_get(o, "rows"), 1), "x"));
	json_decref(o);
	assert_int_equal(registry_count(svc.registry), 1);
	char *after = snapshot("old");
	assert_string_equal(before, after);
	free(after);

	static const struct {
		const char *body, *needle;
	} bad[] = {
	        {"[]", "the body must be"},
	        {"{}", "the body must be"},
	        {"{\"devices\": {}}", "the body must be"},
	        {"{\"devices\": [], \"extra\": 1}", "the body must be"},
	        {"{\"devices\": [], \"dry_run\": 1}", "dry_run must be"},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++)
		expect_err(400, "POST", "/api/v1/devices/import", bad[i].body, bad[i].needle);

	const char *good =
	        "{\"devices\": ["
	        "{\"macs\": [\"52:54:00:aa:00:02\"], \"group\": \"lab\"},"
	        "{\"macs\": [\"52:54:00:cc:00:01\"], \"name\": \"n1\"},"
	        "{\"uuid\": \"a1b2c3d4-0000-1111-2222-333344445555\", \"name\": \"n2\"}]";
	char body[1024];
	snprintf(body, sizeof body, "%s, \"dry_run\": true}", good);
	json_t *j = expect(200, "POST", "/api/v1/devices/import", body, NULL);
	assert_int_equal(num(j, "imported"), 3);
	assert_int_equal(num(j, "added"), 2);
	assert_int_equal(num(j, "updated"), 1);
	assert_true(json_is_true(json_object_get(j, "dry_run")));
	json_decref(j);
	after = snapshot("old");
	assert_string_equal(before, after); /* the dry run stored nothing */
	free(after);
	free(before);
	assert_int_equal(registry_count(svc.registry), 1);

	snprintf(body, sizeof body, "%s}", good);
	j = expect(200, "POST", "/api/v1/devices/import", body, NULL);
	assert_int_equal(num(j, "added"), 2);
	json_decref(j);
	assert_int_equal(registry_count(svc.registry), 3);
	/* the row named one NIC of "old": its other MAC stays, the group is set */
	j = expect(200, "GET", "/api/v1/devices/old", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "macs")), 2);
	assert_string_equal(str(j, "group"), "lab");
	json_decref(j);
	j = expect(200, "GET", "/api/v1/devices/n2", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "macs")), 0);
	assert_string_equal(str(j, "state"), "approved"); /* imported devices are approved */
	assert_string_equal(str(json_object_get(j, "boot"), "why"),
	                    "no MAC yet: it boots once it is seen");
	json_decref(j);
	/* the import route is POST only; GET names a device called "import" */
	expect_err(405, "PUT", "/api/v1/devices/import", "{}", "not allowed");
	expect_err(404, "GET", "/api/v1/devices/import", NULL, "no device 'import'");
	remove_all();
}

static void test_groups(void **state)
{
	(void) state;
	json_decref(
	        expect(201, "POST", "/api/v1/devices",
	               "{\"macs\": [\"52:54:00:aa:00:01\"], \"name\": \"pc1\", \"group\": \"lab\"}",
	               NULL));
	json_t *j = expect(200, "GET", "/api/v1/groups", NULL, NULL);
	json_t *g = json_object_get(j, "groups");
	assert_int_equal(json_array_size(g), 2);
	json_t *lab = json_array_get(g, 0), *kiosk = json_array_get(g, 1);
	assert_string_equal(str(lab, "name"), "lab");
	assert_true(json_is_true(json_object_get(lab, "default")));
	assert_int_equal(num(lab, "device_count"), 1);
	assert_null(json_object_get(lab, "devices"));
	json_t *p = json_object_get(lab, "profile");
	assert_string_equal(str(p, "bios"), "lab.kpxe");
	assert_int_equal(num(p, "lease-time"), 7200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "dns"), 0)),
	                    "10.0.0.53");
	assert_string_equal(str(kiosk, "name"), "kiosk");
	assert_true(json_is_false(json_object_get(kiosk, "default")));
	assert_int_equal(num(kiosk, "device_count"), 0);
	json_decref(j);

	j = expect(200, "GET", "/api/v1/groups/lab", NULL, NULL);
	json_t *devs = json_object_get(j, "devices");
	assert_int_equal(json_array_size(devs), 1);
	assert_string_equal(str(json_array_get(devs, 0), "name"), "pc1");
	assert_string_equal(str(json_array_get(devs, 0), "state"), "pending");
	json_decref(j);
	expect_err(404, "GET", "/api/v1/groups/nope", NULL, "no [group nope] is configured");
	expect_err(405, "POST", "/api/v1/groups/lab", "{}", "not allowed");
	expect_err(405, "DELETE", "/api/v1/groups", NULL, "not allowed");
	remove_all();
}

static void test_uuid_conflict_shown(void **state)
{
	(void) state;
	const struct hwaddr a = {{0x52, 0x54, 0x00, 0xaa, 0x00, 0x0a}};
	const struct hwaddr b = {{0x52, 0x54, 0x00, 0xaa, 0x00, 0x0b}};
	uint8_t u[16];
	char us[REGISTRY_UUID_STRLEN], path[96];
	struct registry_boot rb;
	assert_int_equal(registry_uuid_parse("a1b2c3d4-0000-1111-2222-333344445555", false, u), 0);
	assert_int_equal(registry_boot_seen(svc.registry, &a, 0, 0, u, &rb), 0);
	snprintf(path, sizeof path, "/api/v1/devices/%s", registry_uuid_fmt(u, us));
	json_decref(expect(200, "GET", path, NULL, NULL)); /* the UUID finds it while unique */
	assert_int_equal(registry_boot_seen(svc.registry, &b, 0, 0, u, &rb), 0);
	/* both flagged; the UUID names neither any more */
	for (int i = 0; i < 2; i++) {
		json_t *j = expect(200, "GET",
		                   i ? "/api/v1/devices/52:54:00:aa:00:0b"
		                     : "/api/v1/devices/52:54:00:aa:00:0a",
		                   NULL, NULL);
		assert_true(json_is_true(json_object_get(j, "uuid_conflict")));
		assert_string_equal(str(j, "uuid"), us);
		json_decref(j);
	}
	expect_err(404, "GET", path, NULL, "reported by several devices");
	remove_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_create_refuses_bad_bodies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_patch_compare_and_set, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_approve_reject_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_conflict_shown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
