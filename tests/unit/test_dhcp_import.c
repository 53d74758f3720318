/* The running server's lease import (dhcp/import.c), hostile input first:
 * every malformed body and row is refused with its index, conflicts with
 * the leases the server holds and repeats are named, and a good import is
 * stored, in the table and on the LAN at once. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/loop.h"
#include "core/services.h"
#include "dhcp/internal.h"
#include "registry/hosts.h"
#include "store/store.h"

static const char *CONF = "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.150\n";

struct fx {
	char dir[64], db[128];
	struct conf *conf;
	struct nb_services svc;
	struct dhcp_server *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->conf = conf_ok(CONF);
	strcpy(f->dir, "/tmp/nbimpXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	assert_int_equal(store_open(f->db, false, &f->svc.store), 0);
	f->svc.loop = loop_new();
	f->svc.hosts = hosts_new();
	f->s = calloc(1, sizeof *f->s);
	f->s->conf = f->conf;
	f->s->svc = &f->svc;
	f->s->leases = dhcp_leases_new();
	assert_int_equal(dhcp_leases_set_pools(f->s->leases, f->conf), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	dhcp_leases_free(f->s->leases);
	free(f->s);
	store_close(f->svc.store);
	hosts_free(f->svc.hosts);
	loop_free(f->svc.loop);
	conf_free(f->conf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

/* Calls lease.import with body (JSON text); *ret_rows gets the bad rows. */
static int call(struct fx *f, const char *body, json_t **ret_rows, char *err, size_t errlen)
{
	json_error_t je;
	json_t *args = json_loads(body, JSON_DECODE_ANY, &je), *res = NULL;
	assert_non_null(args);
	err[0] = 0;
	int st = dhcp_ctl_lease_import(f->s, args, &res, err, errlen);
	json_decref(args);
	if (ret_rows)
		*ret_rows = res ? json_incref(json_object_get(res, "rows")) : NULL;
	json_decref(res);
	return st;
}

static int count_rows(const struct store_lease *l, void *data)
{
	(*(int *) data)++;
	return 0;
}

static int stored(struct fx *f)
{
	int n = 0;
	assert_int_equal(store_lease_foreach(f->svc.store, count_rows, &n), 0);
	return n;
}

static void test_malformed_bodies(void **state)
{
	struct fx *f = *state;
	char err[256];
	const char *bodies[] = {
	        "[]",
	        "{}",
	        "{\"leases\": {}}",
	        "{\"leases\": [], \"dry_run\": 1}",
	        "{\"leases\": [], \"extra\": true}",
	        "\"leases\"",
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bodies); i++) {
		assert_int_equal(call(f, bodies[i], NULL, err, sizeof err), 400);
		assert_non_null(strstr(err, "the body must be"));
	}
	/* more rows than one import takes */
	json_t *list = json_array(), *args;
	for (int i = 0; i <= DHCP_IMPORT_MAX; i++)
		json_array_append_new(list, json_object());
	args = json_pack("{s:o}", "leases", list);
	json_t *res = NULL;
	assert_int_equal(dhcp_ctl_lease_import(f->s, args, &res, err, sizeof err), 400);
	assert_non_null(strstr(err, "at most"));
	json_decref(args);
	json_decref(res);
	assert_int_equal(stored(f), 0);
}

static void test_every_bad_row_is_named(void **state)
{
	struct fx *f = *state;
	char err[256];
	json_t *rows = NULL;
	const char *body =
	        "{\"leases\": ["
	        "{\"address\": \"10.0.0.100\", \"mac\": \"52:54:00:00:00:01\", \"expires\": 9},"
	        "7,"
	        "{\"mac\": \"52:54:00:00:00:02\", \"expires\": 9},"
	        "{\"address\": \"10.0.0.300\", \"mac\": \"52:54:00:00:00:02\", \"expires\": 9},"
	        "{\"address\": \"10.0.0.102\", \"mac\": \"52:54\", \"expires\": 9},"
	        "{\"address\": \"10.0.0.103\", \"mac\": \"52:54:00:00:00:03\", \"expires\": -1},"
	        "{\"address\": \"10.0.0.104\", \"mac\": \"52:54:00:00:00:04\", \"expires\": 1.5},"
	        "{\"address\": \"10.0.0.105\", \"mac\": \"52:54:00:00:00:05\", "
	        "\"expires\": 99999999999},"
	        "{\"address\": \"10.0.0.106\", \"mac\": \"52:54:00:00:00:06\", \"expires\": 9, "
	        "\"hostname\": \"a.b\"},"
	        "{\"address\": \"10.0.0.107\", \"mac\": \"52:54:00:00:00:07\", \"expires\": 9, "
	        "\"hostname\": 5},"
	        "{\"address\": \"10.0.0.108\", \"mac\": \"52:54:00:00:00:08\", \"expires\": 9, "
	        "\"hostname\": "
	        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
	        "{\"address\": \"10.0.0.109\", \"mac\": \"52:54:00:00:00:09\", \"expires\": 9, "
	        "\"owner\": \"me\"},"
	        "{\"address\": \"10.0.0.100\", \"mac\": \"52:54:00:00:00:0a\", \"expires\": 9}"
	        "]}";
	assert_int_equal(call(f, body, &rows, err, sizeof err), 400);
	assert_non_null(strstr(err, "12 of 13 rows are bad; nothing imported"));
	assert_int_equal(json_array_size(rows), 12);
	bool bad[13] = {0};
	size_t i;
	json_t *o;
	json_array_foreach(rows, i, o)
	{
		json_int_t k = json_integer_value(json_object_get(o, "index"));
		assert_true(k >= 0 && k < 13);
		bad[k] = true;
		if (k == 12) { /* the repeat names the row it repeats */
			assert_int_equal(json_integer_value(json_object_get(o, "other_index")), 0);
			assert_non_null(strstr(json_string_value(json_object_get(o, "error")),
			                       "also in an earlier row"));
		}
	}
	assert_false(bad[0]);
	for (int k = 1; k < 13; k++)
		assert_true(bad[k]);
	json_decref(rows);
	assert_int_equal(stored(f), 0);
	assert_null(dhcp_lease_by_addr(f->s->leases, 0x0a000064));
}

static void test_conflict_with_a_held_lease(void **state)
{
	struct fx *f = *state;
	char err[256];
	json_t *rows = NULL;
	struct dhcp_client c = {.mac = {{0x52, 0x54, 0, 0, 0, 0x77}}};
	struct dhcp_lease *l = dhcp_leases_claim(f->s->leases, 0x0a000064, &c);
	dhcp_lease_set(f->s->leases, l, DHCP_LEASE_BOUND, (uint32_t) nb_wall_sec() + 600);
	const char *body = "{\"leases\": [{\"address\": \"10.0.0.100\", \"mac\": "
	                   "\"52:54:00:00:00:01\", \"expires\": 9}]}";
	assert_int_equal(call(f, body, &rows, err, sizeof err), 409);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(rows, 0), "error")),
	                       "10.0.0.100 is leased to 52:54:00:00:00:77"));
	json_decref(rows);
	/* the holder itself may be imported over (a migration re-run) */
	body = "{\"leases\": [{\"address\": \"10.0.0.100\", \"mac\": \"52:54:00:00:00:77\", "
	       "\"expires\": 4000000000}]}";
	assert_int_equal(call(f, body, NULL, err, sizeof err), 200);
	assert_int_equal(dhcp_lease_by_addr(f->s->leases, 0x0a000064)->expires, 4000000000u);
}

static void test_good_import_is_stored_and_in_force(void **state)
{
	struct fx *f = *state;
	char err[256];
	char body[512];
	long long exp = (long long) nb_wall_sec() + 3600;
	snprintf(body, sizeof body,
	         "{\"leases\": [{\"address\": \"10.0.0.120\", \"mac\": \"52:54:00:00:00:20\", "
	         "\"expires\": %lld, \"hostname\": \"pc20\"}, {\"address\": \"10.9.9.9\", "
	         "\"mac\": \"52:54:00:00:00:21\", \"expires\": 5}], \"dry_run\": true}",
	         exp);
	assert_int_equal(call(f, body, NULL, err, sizeof err), 200);
	assert_int_equal(stored(f), 0); /* a dry run stores nothing */
	assert_null(dhcp_lease_by_addr(f->s->leases, 0x0a000078));
	char *dry = strstr(body, ", \"dry_run\": true");
	strcpy(dry, "}");
	assert_int_equal(call(f, body, NULL, err, sizeof err), 200);
	assert_int_equal(stored(f), 2);
	assert_false(store_pending(f->svc.store)); /* committed before the answer */
	const struct dhcp_lease *l = dhcp_lease_by_addr(f->s->leases, 0x0a000078);
	assert_non_null(l);
	assert_int_equal(l->state, DHCP_LEASE_BOUND);
	assert_string_equal(l->hostname, "pc20");
	assert_int_equal(hosts_by_name(f->svc.hosts, "pc20", nb_wall_sec())->addr, 0x0a000078);
	/* the table allocates around it: a new client does not get it */
	struct dhcp_client c = {.mac = {{0x52, 0x54, 0, 0, 0, 0x30}}};
	struct dhcp_lease *n = dhcp_leases_allocate(f->s->leases, &f->conf->subnets[0], &c,
	                                            0x0a000078, nb_wall_sec());
	assert_non_null(n);
	assert_int_not_equal(n->addr, 0x0a000078);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_malformed_bodies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_every_bad_row_is_named, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_conflict_with_a_held_lease, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_good_import_is_stored_and_in_force, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
