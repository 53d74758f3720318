#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"
#include "store/store.h"

/* An event whose detail line is text: a NAK's reason. */
static void said(struct journal *j, const struct hwaddr *m, const char *text)
{
	journal_emit(j, &(struct journal_fact){.kind = JOURNAL_DHCP_NAK, .mac = m, .reason = text});
}

static void discover(struct journal *j, const struct hwaddr *m)
{
	journal_emit(j, &(struct journal_fact){
	                        .kind = JOURNAL_DHCP_DISCOVER, .mac = m, .iface = "eth0"});
}

static void count(const struct journal_entry *e, void *data)
{
	(*(int *) data)++;
}

static const char *first_detail;
static void grab_first(const struct journal_entry *e, void *data)
{
	if (!first_detail)
		first_detail = strdup(e->detail);
}

static void test_ring_keeps_the_newest(void **state)
{
	(void) state;
	struct journal *j = journal_new(NULL, NULL);
	struct hwaddr m = {{2, 0, 0, 0, 0, 1}};
	for (int i = 0; i < JOURNAL_RING + 5; i++) {
		char t[16];
		snprintf(t, sizeof t, "step %d", i);
		said(j, &m, t);
	}
	int n = 0;
	assert_int_equal(journal_foreach(j, &m, count, &n), JOURNAL_RING);
	journal_foreach(j, &m, grab_first, NULL);
	assert_string_equal(first_detail, "step 5");
	journal_free(j);
}

static void test_address_resolved_through_hosts(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct journal *j = journal_new(hosts_journal_mac, h);
	struct hwaddr m = {{2, 0, 0, 0, 0, 7}};
	hosts_set(h, &m, 0x0a000007, "pc7", HOSTS_LEASE, nb_wall_sec() + 60);
	journal_emit(j, &(struct journal_fact){.kind = JOURNAL_TFTP_REQUEST,
	                                       .ip = 0x0a000007,
	                                       .file = "undionly.kpxe"});
	int n = 0;
	assert_int_equal(journal_foreach(j, &m, count, &n), 1);
	journal_free(j);
	hosts_free(h);
}

static void test_memory_bounded(void **state)
{
	(void) state;
	struct journal *j = journal_new(NULL, NULL);
	struct hwaddr first = {{2, 0, 0, 0, 0, 0}};
	for (int i = 0; i < JOURNAL_DEVICES + 100; i++) {
		struct hwaddr m = {{2, 0, 0, (uint8_t) (i >> 16), (uint8_t) (i >> 8), (uint8_t) i}};
		discover(j, &m);
		if (i == 1000) /* the first device was active again: it is not evicted */
			discover(j, &first);
	}
	int n = 0;
	assert_int_equal(journal_foreach(j, &first, count, &n), 2);
	struct hwaddr second = {{2, 0, 0, 0, 0, 1}};
	assert_int_equal(journal_foreach(j, &second, count, &n), 0); /* evicted */
	journal_free(j);
}

/* ---- persistence: a journal over a real store and registry */

struct fx {
	char dir[64], db[128];
	struct store *store;
	struct hosts *hosts;
	struct journal *j;
	struct registry *reg;
};

static void fx_open(struct fx *f)
{
	assert_int_equal(store_open(f->db, false, &f->store), 0);
	f->hosts = hosts_new();
	f->j = journal_new(hosts_journal_mac, f->hosts);
	assert_int_equal(registry_open(f->store, f->hosts, f->j, &f->reg), 0);
	journal_persist(f->j, f->store, registry_journal_keep, f->reg);
}

static void fx_close(struct fx *f)
{
	registry_free(f->reg);
	store_close(f->store); /* commits */
	journal_free(f->j);
	hosts_free(f->hosts);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/nbjouXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[96];
	fx_close(f);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

static int count_stored(const struct store_event *e, void *data)
{
	(*(int *) data)++;
	return 0;
}

static int stored(struct fx *f, const struct hwaddr *m)
{
	int n = 0;
	assert_int_equal(store_event_foreach(f->store, m, 100000, count_stored, &n), 0);
	return n;
}

/* A booting client the registry records (the default policy approves it). */
static void make_device(struct fx *f, const struct hwaddr *m)
{
	struct registry_boot b;
	assert_int_equal(registry_boot_seen(f->reg, m, 0, 7, NULL, &b), 0);
	assert_non_null(b.dev);
}

static void test_only_devices_and_transfers_stored(void **state)
{
	struct fx *f = *state;
	struct hwaddr dev = {{2, 0, 0, 0, 1, 1}}, plain = {{2, 0, 0, 0, 1, 2}};
	make_device(f, &dev);
	int before = stored(f, &dev); /* registry.new */
	discover(f->j, &dev);
	discover(f->j, &plain);
	journal_emit(f->j, &(struct journal_fact){
	                           .kind = JOURNAL_DHCP_ACK, .mac = &plain, .ip = 0x0a000002});
	assert_int_equal(stored(f, &dev), before + 1);
	assert_int_equal(stored(f, &plain), 0); /* a plain DHCP client costs no write */
	/* a boot file transfer is stored once its address names a MAC */
	hosts_set(f->hosts, &plain, 0x0a000002, "pc2", HOSTS_LEASE, nb_wall_sec() + 60);
	for (uint32_t ip = 0x0a000002; ip <= 0x0a000003; ip++)
		journal_emit(f->j, &(struct journal_fact){.kind = JOURNAL_TFTP_REQUEST,
		                                          .ip = ip,
		                                          .method = "read",
		                                          .file = "x.efi"});
	assert_int_equal(stored(f, &plain), 1);
	struct hwaddr none = {{0}};
	assert_int_equal(stored(f, &none), 0);
	/* the writes went into the open batch: nothing committed per event */
	assert_true(store_pending(f->store));
}

static void test_survives_restart(void **state)
{
	struct fx *f = *state;
	struct hwaddr dev = {{2, 0, 0, 0, 2, 1}};
	make_device(f, &dev);
	discover(f->j, &dev);
	journal_emit(f->j, &(struct journal_fact){.kind = JOURNAL_DHCP_ACK,
	                                          .mac = &dev,
	                                          .ip = 0x0a000005,
	                                          .seconds = 3600,
	                                          .host = "pc5"});
	fx_close(f);
	fx_open(f);
	struct journal_entry *v = NULL;
	int n = journal_read(f->j, &dev, 1, 100, &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "registry.new");
	assert_string_equal(v[1].name, "dhcp.discover");
	assert_string_equal(v[2].name, "dhcp.ack");
	assert_string_equal(v[2].detail, "10.0.0.5 for 3600s as pc5");
	/* the fields came back from the store, not only the line */
	assert_int_equal(v[2].f.kind, JOURNAL_DHCP_ACK);
	assert_int_equal(v[2].f.seconds, 3600);
	assert_string_equal(v[2].f.host, "pc5");
	assert_string_equal(v[1].f.iface, "eth0");
	assert_int_equal(v[2].ip, 0x0a000005);
	assert_memory_equal(&v[2].mac, &dev, sizeof dev);
	free(v);
}

static void test_read_merges_memory_and_store(void **state)
{
	struct fx *f = *state;
	struct hwaddr m = {{2, 0, 0, 0, 3, 1}}, m2 = {{2, 0, 0, 0, 3, 2}};
	/* a plain client first (memory only), then a device (stored too) */
	said(f->j, &m, "before");
	usleep(2000);
	make_device(f, &m);
	usleep(2000);
	said(f->j, &m, "after");
	usleep(2000);
	said(f->j, &m2, "second NIC");
	struct hwaddr both[2] = {m, m2};
	struct journal_entry *v = NULL;
	int n = journal_read(f->j, both, 2, 100, &v);
	assert_int_equal(n, 4); /* each once: stored ones are not read twice */
	assert_string_equal(v[0].detail, "before");
	assert_string_equal(v[1].name, "registry.new");
	assert_string_equal(v[2].detail, "after");
	assert_string_equal(v[3].detail, "second NIC");
	free(v);
	/* the newest max */
	n = journal_read(f->j, both, 2, 2, &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].detail, "after");
	free(v);
	struct hwaddr unseen = {{2, 0, 0, 0, 3, 9}};
	v = (struct journal_entry *) 1;
	assert_int_equal(journal_read(f->j, &unseen, 1, 100, &v), 0);
	assert_null(v);
	v = (struct journal_entry *) 1;
	assert_int_equal(journal_read(NULL, &m, 1, 100, &v), 0);
	assert_null(v);
}

static void test_store_bounded_per_device(void **state)
{
	struct fx *f = *state;
	struct hwaddr dev = {{2, 0, 0, 0, 4, 1}}, other = {{2, 0, 0, 0, 4, 2}};
	make_device(f, &dev);
	make_device(f, &other);
	for (int i = 0; i < JOURNAL_KEEP + 3 * JOURNAL_PRUNE_EVERY + 7; i++) {
		char t[16];
		snprintf(t, sizeof t, "n %d", i);
		said(f->j, &dev, t);
		int n = stored(f, &dev);
		assert_true(n <= JOURNAL_KEEP + JOURNAL_PRUNE_EVERY);
	}
	/* trimmed now and then, not per event: more than KEEP remain between trims */
	assert_true(stored(f, &dev) > JOURNAL_KEEP);
	/* the newest are the ones kept; the other device lost nothing */
	struct journal_entry *v = NULL;
	int n = journal_read(f->j, &dev, 1, 1, &v);
	assert_int_equal(n, 1);
	char want[32];
	snprintf(want, sizeof want, "n %d", JOURNAL_KEEP + 3 * JOURNAL_PRUNE_EVERY + 6);
	assert_string_equal(v[0].detail, want);
	free(v);
	assert_int_equal(stored(f, &other), 1);
	/* after a restart the first stored event trims what was left */
	fx_close(f);
	fx_open(f);
	said(f->j, &dev, "after restart");
	assert_int_equal(stored(f, &dev), JOURNAL_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ring_keeps_the_newest),
	        cmocka_unit_test(test_address_resolved_through_hosts),
	        cmocka_unit_test(test_memory_bounded),
	        cmocka_unit_test_setup_teardown(test_only_devices_and_transfers_stored, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_survives_restart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_merges_memory_and_store, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_store_bounded_per_device, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
