#include "unit.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void) state;
	strcpy(dir, "/tmp/nbstoreXXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

struct seen {
	struct store_lease last;
	int n;
};

static int count_cb(const struct store_lease *l, void *data)
{
	struct seen *s = data;
	s->last = *l;
	s->n++;
	return 0;
}

static void test_roundtrip_and_reopen(void **state)
{
	(void) state;
	struct store *s = NULL;
	assert_int_equal(store_open(path, false, &s), 0);
	assert_int_equal(store_schema_version(s), 2); /* leases; devices and events */
	struct store_lease l = {.addr = 0x0a000064, .expires = 1000, .state = STORE_LEASE_BOUND};
	hwaddr_parse("52:54:00:00:00:01", &l.mac);
	strcpy(l.hostname, "pc1");
	memcpy(l.client_id, "\x01\x52\x54", 3);
	l.client_id_len = 3;
	assert_int_equal(store_lease_put(s, &l), 0);
	assert_true(store_pending(s));
	l.addr++;
	assert_int_equal(store_lease_put(s, &l), 0);
	assert_int_equal(store_commit(s), 0);
	assert_false(store_pending(s));
	/* replace one, delete the other, roll back: nothing changes */
	assert_int_equal(store_lost(s), 0);
	assert_int_equal(store_lease_del(s, l.addr), 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_lost(s), 1); /* a batch with writes was lost */
	store_close(s);

	assert_int_equal(store_open(path, true, &s), 0);
	struct seen got = {0};
	assert_int_equal(store_lease_foreach(s, count_cb, &got), 0);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.last.hostname, "pc1");
	assert_int_equal(got.last.client_id_len, 3);
	assert_memory_equal(got.last.client_id, "\x01\x52\x54", 3);
	assert_int_equal(got.last.expires, 1000);
	assert_int_equal(store_lease_put(s, &l), -EROFS);
	store_close(s);
}

static void test_one_row_per_address(void **state)
{
	(void) state;
	struct store *s = NULL;
	assert_int_equal(store_open(path, false, &s), 0);
	struct store_lease l = {.addr = 0x0a000001, .expires = 5, .state = STORE_LEASE_BOUND};
	hwaddr_parse("52:54:00:00:00:01", &l.mac);
	assert_int_equal(store_lease_put(s, &l), 0);
	hwaddr_parse("52:54:00:00:00:02", &l.mac);
	assert_int_equal(store_lease_put(s, &l), 0);
	assert_int_equal(store_commit(s), 0);
	struct seen got = {0};
	assert_int_equal(store_lease_foreach(s, count_cb, &got), 0);
	assert_int_equal(got.n, 1); /* one row, the later client */
	assert_int_equal(got.last.mac.b[5], 2);
	store_close(s);
}

static void test_readonly_missing(void **state)
{
	(void) state;
	struct store *s = NULL;
	char p[160];
	snprintf(p, sizeof p, "%s/none.db", dir);
	assert_true(store_open(p, true, &s) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_roundtrip_and_reopen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_one_row_per_address, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_readonly_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
