/* GET /api/v1/devices/{key}/why and .../journal through the API handler,
 * without sockets: which device a key names, the timeline, and the
 * findings with evidence that points into it. */
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

static int setup(void **state)
{
	(void) state;
	api_harness_open("[server]\nname = bay1\n[dhcp]\nmode = off\n"
	                 "unknown-devices = pending\n[tftp]\nroot = /srv/boot\n"
	                 "[boot]\nuefi-x64 = ipxe.efi\n");
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	api_harness_close();
	return 0;
}

/* GET path: the status, and the JSON body (the caller frees it). */
static json_t *get(const char *path, unsigned *ret_status)
{
	struct http_req rq = {.method = "GET", .path = path, .client = "test"};
	struct http_reply rp;
	json_error_t je;
	http_reply_init(&rp);
	http_api_handle(api, &rq, HTTP_API_AUTH_OK, &rp);
	*ret_status = rp.status;
	assert_true(rp.body_len > 0);
	json_t *j = json_loadb(rp.body, rp.body_len, 0, &je);
	http_reply_done(&rp);
	assert_non_null(j);
	return j;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The finding of rule in a why answer, or NULL. */
static json_t *finding(json_t *why, const char *rule)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(why, "findings"), i, f)
	{
		if (strcmp(str(f, "rule"), rule) == 0)
			return f;
	}
	return NULL;
}

static void expect_status(const char *path, unsigned status, const char *needle)
{
	unsigned st;
	json_t *j = get(path, &st);
	if (st != status || !strstr(str(j, "error"), needle))
		print_message("%s -> %u %s\n", path, st, str(j, "error"));
	assert_int_equal(st, status);
	assert_non_null(strstr(str(j, "error"), needle));
	json_decref(j);
}

static void test_pending_device_by_mac_name_and_id(void **state)
{
	(void) state;
	const struct hwaddr m = {{0x52, 0x54, 0, 0, 9, 1}};
	struct registry_boot rb;
	char err[200], path[96];
	/* a booting client, recorded as pending, refused twice */
	assert_int_equal(registry_boot_seen(svc.registry, &m, 0, 7, NULL, &rb), 0);
	const struct journal_fact refused = {.kind = JOURNAL_PXE_NO_BOOT,
	                                     .mac = &m,
	                                     .cause = JOURNAL_CAUSE_PENDING,
	                                     .reason = rb.why};
	journal_emit(
	        svc.journal,
	        &(struct journal_fact){.kind = JOURNAL_DHCP_DISCOVER, .mac = &m, .iface = "eth0"});
	journal_emit(svc.journal, &refused);
	journal_emit(svc.journal, &(struct journal_fact){
	                                  .kind = JOURNAL_DHCP_OFFER, .mac = &m, .ip = 0x0a000064});
	journal_emit(svc.journal, &refused);
	struct registry_change c = {.fields = REGISTRY_F_NAME};
	strcpy(c.d.name, "pc9");
	assert_int_equal(registry_update(svc.registry, rb.dev->id, &c, err, sizeof err), 0);

	unsigned st;
	json_t *j = get("/api/v1/devices/52-54-00-00-09-01/why", &st);
	assert_int_equal(st, 200);
	json_t *dev = json_object_get(j, "device");
	assert_string_equal(str(dev, "mac"), "52:54:00:00:09:01");
	assert_string_equal(str(dev, "name"), "pc9");
	assert_string_equal(str(dev, "state"), "pending");
	assert_string_equal(str(dev, "arch"), "x64 UEFI");
	assert_true(json_is_true(json_object_get(dev, "registered")));
	json_t *events = json_object_get(j, "events");
	assert_int_equal(json_array_size(events), 5); /* registry.new and the four above */
	assert_string_equal(str(json_array_get(events, 0), "name"), "registry.new");
	json_t *f = finding(j, "pending_approval");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "error");
	assert_non_null(strstr(str(f, "fix"), "netbay device approve pc9"));
	/* evidence: indexes of the refusals in events */
	json_t *ev = json_object_get(f, "evidence");
	assert_int_equal(json_array_size(ev), 2);
	for (size_t i = 0; i < 2; i++) {
		json_int_t k = json_integer_value(json_array_get(ev, i));
		assert_string_equal(str(json_array_get(events, (size_t) k), "name"), "pxe.no_boot");
	}
	json_decref(j);

	/* the same device by name and by #ID, for why and for the journal */
	j = get("/api/v1/devices/PC9/why", &st);
	assert_int_equal(st, 200);
	assert_string_equal(str(json_object_get(j, "device"), "mac"), "52:54:00:00:09:01");
	json_decref(j);
	snprintf(path, sizeof path, "/api/v1/devices/#%llu/journal",
	         (unsigned long long) rb.dev->id);
	j = get(path, &st);
	assert_int_equal(st, 200);
	assert_string_equal(str(j, "mac"), "52:54:00:00:09:01");
	assert_int_equal(json_array_size(json_object_get(j, "events")), 5);
	json_decref(j);

	/* approved: the old refusals are history */
	c.fields = REGISTRY_F_STATE;
	c.d.state = REGISTRY_APPROVED;
	assert_int_equal(registry_update(svc.registry, rb.dev->id, &c, err, sizeof err), 0);
	j = get("/api/v1/devices/pc9/why", &st);
	assert_int_equal(json_array_size(json_object_get(j, "findings")), 0);
	assert_string_equal(str(json_array_get(json_object_get(j, "events"), 5), "name"),
	                    "registry.state");
	json_decref(j);
}

static void test_device_with_two_macs(void **state)
{
	(void) state;
	const struct hwaddr a = {{0x52, 0x54, 0, 0, 9, 2}}, b = {{0x52, 0x54, 0, 0, 9, 3}};
	struct registry_change c = {.fields = REGISTRY_F_MACS | REGISTRY_F_NAME | REGISTRY_F_STATE};
	char err[200];
	uint64_t id;
	c.d.macs[0] = a;
	c.d.macs[1] = b;
	c.d.n_macs = 2;
	c.d.state = REGISTRY_APPROVED;
	strcpy(c.d.name, "twonics");
	assert_int_equal(registry_add(svc.registry, &c, &id, err, sizeof err), 0);
	journal_emit(
	        svc.journal,
	        &(struct journal_fact){.kind = JOURNAL_DHCP_DISCOVER, .mac = &a, .iface = "eth0"});
	journal_emit(
	        svc.journal,
	        &(struct journal_fact){.kind = JOURNAL_DHCP_DISCOVER, .mac = &b, .iface = "eth1"});
	unsigned st;
	json_t *j = get("/api/v1/devices/twonics/why", &st);
	assert_int_equal(st, 200);
	json_t *events = json_object_get(j, "events");
	assert_int_equal(json_array_size(events), 2);
	assert_string_equal(str(json_array_get(events, 0), "mac"), "52:54:00:00:09:02");
	assert_string_equal(str(json_array_get(events, 1), "mac"), "52:54:00:00:09:03");
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "device"), "macs")), 2);
	json_decref(j);
}

static void test_unregistered_client(void **state)
{
	(void) state;
	const struct hwaddr m = {{0x52, 0x54, 0, 0, 9, 4}};
	/* a client the registry does not know, with a lease name, that asked
	 * over TFTP for a file the boot root lacks */
	hosts_set(svc.hosts, &m, 0x0a000064, "kiosk4", HOSTS_LEASE, nb_wall_sec() + 600);
	journal_emit(svc.journal, &(struct journal_fact){.kind = JOURNAL_PXE_BOOT,
	                                                 .mac = &m,
	                                                 .arch = 0,
	                                                 .file = "gone.kpxe",
	                                                 .reason = "PXE: the loader over TFTP"});
	journal_emit(svc.journal, &(struct journal_fact){.kind = JOURNAL_TFTP_FILE_MISSING,
	                                                 .ip = 0x0a000064,
	                                                 .file = "gone.kpxe",
	                                                 .reason = "no such file"});
	unsigned st;
	json_t *j = get("/api/v1/devices/kiosk4/why", &st);
	assert_int_equal(st, 200);
	json_t *dev = json_object_get(j, "device");
	assert_true(json_is_false(json_object_get(dev, "registered")));
	assert_string_equal(str(dev, "name"), "kiosk4");
	assert_null(json_object_get(dev, "state"));
	json_t *f = finding(j, "missing_boot_file");
	assert_non_null(f);
	assert_non_null(strstr(str(f, "finding"), "\"gone.kpxe\""));
	assert_non_null(strstr(str(f, "finding"), "/srv/boot")); /* [tftp] root */
	json_decref(j);
	/* the journal route answers by host name too */
	j = get("/api/v1/devices/kiosk4/journal", &st);
	assert_int_equal(st, 200);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 2);
	json_decref(j);
}

static void test_text_that_is_not_utf8(void **state)
{
	(void) state;
	const struct hwaddr m = {{0x52, 0x54, 0, 0, 9, 5}};
	journal_emit(svc.journal, &(struct journal_fact){.kind = JOURNAL_PXE_NO_BOOT,
	                                                 .mac = &m,
	                                                 .arch = -1,
	                                                 .reason = "odd \xff reason"});
	unsigned st;
	json_t *j = get("/api/v1/devices/52:54:00:00:09:05/why", &st);
	assert_int_equal(st, 200);
	json_t *f = finding(j, "no_boot_file");
	assert_non_null(f);
	assert_non_null(strstr(str(f, "finding"), "odd ? reason"));
	assert_string_equal(str(json_array_get(json_object_get(j, "events"), 0), "detail"),
	                    "(not UTF-8)");
	json_decref(j);
}

static void test_keys_that_name_nothing(void **state)
{
	(void) state;
	expect_status("/api/v1/devices/52:54:00:00:09:99/why", 404,
	              "no device with MAC 52:54:00:00:09:99 has been seen");
	expect_status("/api/v1/devices/nobody/why", 404, "no device or host named 'nobody'");
	expect_status("/api/v1/devices/#12345/why", 404, "no device #12345");
	expect_status("/api/v1/devices/#1x/why", 400, "not a device #ID");
	expect_status("/api/v1/devices/a b/why", 400, "not a MAC address, a name or a #ID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pending_device_by_mac_name_and_id),
	        cmocka_unit_test(test_device_with_two_macs),
	        cmocka_unit_test(test_unregistered_client),
	        cmocka_unit_test(test_text_that_is_not_utf8),
	        cmocka_unit_test(test_keys_that_name_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
