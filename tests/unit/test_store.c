#include "unit.h"

#include <errno.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	assert_int_equal(store_schema_version(s), 3); /* leases; devices and events; facts */
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
	/* delete one in a change, undo the change: nothing changes */
	assert_int_equal(store_change_begin(s), 0);
	assert_int_equal(store_lease_del(s, l.addr), 0);
	assert_int_equal(store_change_end(s, false), 0);
	assert_false(store_pending(s));
	assert_int_equal(store_lost(s), 0); /* an undone change is not a lost batch */
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

static int count_leases(const char *p)
{
	struct store *s = NULL;
	struct seen got = {0};
	assert_int_equal(store_open(p, true, &s), 0);
	assert_int_equal(store_lease_foreach(s, count_cb, &got), 0);
	store_close(s);
	return got.n;
}

static struct store_lease lease_n(int n)
{
	struct store_lease l = {
	        .addr = 0x0a000000u + (uint32_t) n, .expires = 99, .state = STORE_LEASE_BOUND};
	l.mac.b[0] = 0x52;
	l.mac.b[5] = (uint8_t) n;
	return l;
}

struct verdicts {
	int n, last;
};

static void on_turn(struct store *s, int r, void *data)
{
	struct verdicts *v = data;
	v->n++;
	v->last = r;
}

/* An admin change refused after it wrote (a MAC another device holds in
 * the database) undoes its own writes only: the leases, RELEASE and
 * event written in the same turn before and after it are committed at the
 * turn's end, and the watcher hears that the turn is durable. */
static void test_undone_change_keeps_the_turn(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct verdicts v = {0};
	assert_int_equal(store_open(path, false, &s), 0);
	assert_int_equal(store_watch(s, on_turn, &v), 0);
	struct store_device d = {.id = 1, .n_macs = 1, .doc = "{}"};
	hwaddr_parse("52:54:00:00:00:aa", &d.macs[0]);
	assert_int_equal(store_device_put(s, &d), 0);
	assert_int_equal(store_turn_end(s), 0);
	assert_int_equal(v.n, 1);

	struct store_lease a = lease_n(1), b = lease_n(2);
	assert_int_equal(store_lease_put(s, &a), 0); /* DHCP: an ACK's lease */
	b.state = STORE_LEASE_RELEASED;
	assert_int_equal(store_lease_put(s, &b), 0); /* DHCP: a RELEASE */
	struct store_event e = {.time_ms = 1, .name = "dhcp.ack", .detail = ""};
	assert_int_equal(store_event_add(s, &e), 0);
	/* the admin adds device 2 with device 1's MAC: stored, then refused */
	assert_int_equal(store_change_begin(s), 0);
	assert_int_equal(store_change_begin(s), -EBUSY); /* one at a time */
	struct store_device d2 = {.id = 2, .n_macs = 1, .doc = "{\"bad\":1}"};
	d2.macs[0] = d.macs[0];
	assert_int_equal(store_device_put(s, &d2), -EEXIST);
	assert_int_equal(store_commit(s), -EBUSY); /* not with a change open */
	assert_int_equal(store_change_end(s, false), 0);
	struct store_lease c = lease_n(3);
	assert_int_equal(store_lease_put(s, &c), 0); /* DHCP, later in the turn */
	assert_true(store_pending(s));
	assert_int_equal(store_turn_end(s), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.last, 0);
	assert_int_equal(store_lost(s), 0);
	store_close(s);
	assert_int_equal(count_leases(path), 3);
}

static int count_dev(const struct store_device *d, void *data)
{
	int *n = data;
	assert_int_equal(d->id, 1); /* device 2 left nothing, not even a row */
	(*n)++;
	return 0;
}

static void test_kept_change_is_committed_with_the_turn(void **state)
{
	(void) state;
	struct store *s = NULL;
	assert_int_equal(store_open(path, false, &s), 0);
	struct store_lease a = lease_n(1);
	assert_int_equal(store_lease_put(s, &a), 0);
	assert_int_equal(store_change_begin(s), 0);
	struct store_device d = {.id = 1, .n_macs = 1, .doc = "{}"};
	hwaddr_parse("52:54:00:00:00:aa", &d.macs[0]);
	assert_int_equal(store_device_put(s, &d), 0);
	struct store_device d2 = {.id = 2, .n_macs = 1, .doc = "{}"};
	d2.macs[0] = d.macs[0];
	assert_int_equal(store_device_put(s, &d2), -EEXIST);
	/* a change with a failed write cannot be kept: all or nothing */
	assert_int_equal(store_change_end(s, true), -EEXIST);
	assert_int_equal(store_change_begin(s), 0);
	assert_int_equal(store_device_put(s, &d), 0);
	assert_int_equal(store_change_end(s, true), 0);
	/* outside a change a device put is atomic by itself */
	assert_int_equal(store_device_put(s, &d2), -EEXIST);
	assert_int_equal(store_commit(s), 0);
	int n = 0;
	assert_int_equal(store_device_foreach(s, count_dev, &n), 0);
	assert_int_equal(n, 1);
	store_close(s);
	assert_int_equal(count_leases(path), 1);
}

/* ---- a failing COMMIT: the real SQLite store behind an ops table whose
 * commit fails once, as a full disk would make it */

static struct store_ops failing_ops;
static int commit_failures;

static int failing_commit(struct store *s)
{
	if (commit_failures > 0) {
		commit_failures--;
		return -ENOSPC;
	}
	return store_sqlite_ops.commit(s);
}

static void test_lost_batch_is_told_once_per_turn(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct verdicts v = {0};
	assert_int_equal(store_open(path, false, &s), 0);
	failing_ops = store_sqlite_ops;
	failing_ops.commit = failing_commit;
	s->ops = &failing_ops;
	assert_int_equal(store_watch(s, on_turn, &v), 0);
	struct store_lease a = lease_n(1), b = lease_n(2);
	assert_int_equal(store_lease_put(s, &a), 0);
	/* an API answer commits early, and the disk is full */
	commit_failures = 1;
	assert_int_equal(store_commit(s), -ENOSPC);
	assert_int_equal(store_lost(s), 1);
	assert_int_equal(store_lease_put(s, &b), 0); /* a new batch */
	/* the turn's end commits b, but the turn lost a: the verdict says so */
	assert_int_equal(store_turn_end(s), -ENOSPC);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.last, -ENOSPC);
	/* the next turn is clean again */
	assert_int_equal(store_turn_end(s), 0);
	assert_int_equal(v.last, 0);
	store_unwatch(s, on_turn, &v);
	assert_int_equal(store_turn_end(s), 0);
	assert_int_equal(v.n, 2);
	s->ops = &store_sqlite_ops;
	store_close(s);
	assert_int_equal(count_leases(path), 1); /* b, not a */
}

/* SQLite ends the transaction itself on some errors (disk full, I/O):
 * a put that does that, as the real backend would */
static int self_rollback_put(struct store *s, const struct store_lease *l)
{
	(void) l;
	(void) store_sqlite_ops.rollback(s);
	return -ENOSPC;
}

static void test_batch_gone_under_a_change(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct verdicts v = {0};
	assert_int_equal(store_open(path, false, &s), 0);
	failing_ops = store_sqlite_ops;
	assert_int_equal(store_watch(s, on_turn, &v), 0);
	struct store_lease a = lease_n(1), b = lease_n(2);
	assert_int_equal(store_lease_put(s, &a), 0); /* DHCP */
	assert_int_equal(store_change_begin(s), 0);
	failing_ops.lease_put = self_rollback_put;
	s->ops = &failing_ops;
	assert_int_equal(store_lease_put(s, &b), -ENOSPC);
	s->ops = &store_sqlite_ops;
	assert_false(store_pending(s)); /* the whole batch went, a with it */
	/* the rest of the change does not land alone in a new batch */
	assert_int_equal(store_lease_put(s, &b), -ENOSPC);
	assert_int_equal(store_change_end(s, true), -ENOSPC);
	assert_int_equal(store_lost(s), 1);
	assert_int_equal(store_turn_end(s), -ENOSPC); /* and the turn says so */
	assert_int_equal(v.last, -ENOSPC);
	/* after the change the store works again */
	assert_int_equal(store_lease_put(s, &b), 0);
	assert_int_equal(store_turn_end(s), 0);
	store_close(s);
	assert_int_equal(count_leases(path), 1);
}

/* ---- opening: what is there is said truthfully */

static void test_directory_in_place_of_the_file(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct store_open_info info;
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(store_open_ex(path, STORE_OPEN_CHECK, &s, &info), -EISDIR);
	assert_non_null(strstr(info.why, "is a directory"));
	assert_null(s);
}

static void test_zero_length_file_is_reported_empty(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct store_open_info info;
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open_ex(path, STORE_OPEN_CHECK, &s, &info), 0);
	assert_true(info.was_empty);
	assert_false(info.created);
	assert_int_equal(info.size, 0);
	store_close(s);
	/* with its schema now, it is not empty any more */
	assert_int_equal(store_open_ex(path, STORE_OPEN_CHECK, &s, &info), 0);
	assert_false(info.was_empty);
	store_close(s);
	/* zero bytes beside a WAL with frames: damaged, not empty (the WAL
	 * would be reset by the first write) */
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", path);
	assert_int_equal(truncate(path, 0), 0);
	fd = open(wal, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "frames", 6), 6);
	close(fd);
	s = NULL;
	assert_int_equal(store_open_ex(path, STORE_OPEN_CHECK, &s, &info), -EUCLEAN);
	assert_non_null(strstr(info.why, "zero bytes long but"));
	assert_null(s);
	/* and a new one is created, not "found empty" */
	char p[160];
	snprintf(p, sizeof p, "%s/new.db", dir);
	assert_int_equal(store_open_ex(p, STORE_OPEN_CHECK, &s, &info), 0);
	assert_true(info.created);
	assert_false(info.was_empty);
	store_close(s);
}

/* A database whose b-tree pages are overwritten: quick_check finds it and
 * the open is refused, naming the damage. */
static void test_damaged_pages_refuse_the_open(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct store_open_info info;
	assert_int_equal(store_open(path, false, &s), 0);
	for (int i = 0; i < 2000; i++) {
		struct store_lease l = lease_n(i);
		snprintf(l.hostname, sizeof l.hostname, "host-%d-with-a-longer-name", i);
		assert_int_equal(store_lease_put(s, &l), 0);
	}
	assert_int_equal(store_commit(s), 0);
	store_close(s); /* the last connection checkpoints the WAL into the file */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 16 * 4096);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	uint8_t junk[4096];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t) (i * 37 + 11);
	for (int page = 3; page < 12; page++)
		assert_int_equal(pwrite(fd, junk, sizeof junk, (off_t) page * 4096), sizeof junk);
	close(fd);
	s = NULL;
	int r = store_open_ex(path, STORE_OPEN_CHECK, &s, &info);
	assert_int_equal(r, -EUCLEAN);
	assert_non_null(strstr(info.why, "damaged"));
	assert_null(s);
}

static void test_files_are_the_owners_alone(void **state)
{
	(void) state;
	struct store *s = NULL;
	struct store_open_info info;
	char p[160];
	struct stat st;
	mode_t old = umask(022);
	assert_int_equal(store_open_ex(path, 0, &s, &info), 0);
	struct store_lease l = lease_n(1);
	assert_int_equal(store_lease_put(s, &l), 0);
	assert_int_equal(store_commit(s), 0);
	const char *suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	store_close(s);
	/* an older netbay's 0644 file is tightened */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(store_open_ex(path, 0, &s, &info), 0);
	assert_true(info.tightened);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	store_close(s);
	umask(old);
}

static void test_hold_is_exclusive(void **state)
{
	(void) state;
	int pid = -1;
	int fd = store_hold(path, &pid);
	assert_true(fd >= 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int p = 0;
		int r = store_hold(path, &p);
		_exit(r == -EBUSY && p == (int) getppid() ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	fd = store_hold(path, &pid); /* free again once released */
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_roundtrip_and_reopen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_one_row_per_address, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_readonly_missing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_undone_change_keeps_the_turn, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kept_change_is_committed_with_the_turn, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_lost_batch_is_told_once_per_turn, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_batch_gone_under_a_change, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_directory_in_place_of_the_file, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_zero_length_file_is_reported_empty, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_damaged_pages_refuse_the_open, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_files_are_the_owners_alone, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hold_is_exclusive, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
