/* A journal database written by netbay before the facts (schema 2: a
 * name and a detail line per event) is migrated on open: every row gets
 * its fields, read once from the line, and `netbay why` finds in it what
 * it found before. The rows are the lines the raise sites printed then. */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag/rules.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "store/legacy.h"
#include "store/store.h"

/* Schema 2 as netbay created it. */
static const char schema2[] = "CREATE TABLE leases (addr INTEGER PRIMARY KEY, mac BLOB NOT NULL,"
                              " client_id BLOB, hostname TEXT, fqdn TEXT, expires INTEGER NOT "
                              "NULL, updated INTEGER NOT NULL, state INTEGER NOT NULL);"
                              "CREATE INDEX leases_mac ON leases(mac);"
                              "CREATE TABLE devices (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
                              "CREATE TABLE device_macs (mac BLOB PRIMARY KEY, device INTEGER "
                              "NOT NULL REFERENCES devices(id) ON DELETE CASCADE);"
                              "CREATE INDEX device_macs_device ON device_macs(device);"
                              "CREATE TABLE events (id INTEGER PRIMARY KEY, time_ms INTEGER NOT "
                              "NULL, mac BLOB NOT NULL, ip INTEGER, name TEXT NOT NULL, detail "
                              "TEXT);"
                              "CREATE INDEX events_mac ON events(mac, id);"
                              "PRAGMA user_version = 2;";

struct row {
	int dev; /* last byte of the MAC */
	int64_t dt_ms;
	uint32_t ip;
	const char *name, *detail;
};

#define T0 1767225600000LL

/* Five machines' journeys, each ending in a fault a rule names. */
static const struct row rows[] = {
        /* 1: offered a BIOS loader the boot root lacks */
        {1, 0, 0, "dhcp.discover", "via eth0"},
        {1, 1, 0, "pxe.boot", "x86 BIOS: gone.kpxe (PXE: the loader over TFTP)"},
        {1, 1, 0x0a000064, "dhcp.offer", "10.0.0.100"},
        {1, 500, 0x0a000064, "dhcp.request", "SELECTING 10.0.0.100"},
        {1, 1, 0x0a000064, "dhcp.ack", "10.0.0.100 for 3600s as pc1"},
        {1, 300, 0x0a000064, "tftp.request",
         "read file=\"gone.kpxe\" mode=octet blksize=1468 tsize=0"},
        {1, 1, 0x0a000064, "tftp.file_missing", "file=\"gone.kpxe\" (no such file)"},
        {1, 4000, 0x0a000064, "tftp.request", "read file=\"gone.kpxe\" mode=octet"},
        {1, 1, 0x0a000064, "tftp.file_missing", "file=\"gone.kpxe\" (no such file)"},
        /* 2: an x64 UEFI firmware offered a BIOS loader, which it loaded */
        {2, 0, 0, "pxe.boot", "x64 UEFI: undionly.kpxe (PXE: the loader over TFTP)"},
        {2, 300, 0x0a000065, "tftp.complete",
         "file=\"undionly.kpxe\" bytes=69632 ms=390 blksize=1468 windowsize=4 timeouts=0"},
        /* 3: a transfer that stops at the same block every time */
        {3, 0, 0, "pxe.boot", "x64 UEFI: ipxe.efi (PXE: the loader over TFTP)"},
        {3, 100, 0x0a000066, "tftp.timeout",
         "last_acked_block=12 bytes_acked=17616 retries=5 blksize=1468 file=\"ipxe.efi\""},
        {3, 20000, 0x0a000066, "tftp.timeout",
         "last_acked_block=12 bytes_acked=17616 retries=5 blksize=1468 file=\"ipxe.efi\""},
        /* 4: iPXE fetches its kernel whole, over and over */
        {4, 0, 0, "pxe.boot",
         "x64 UEFI, iPXE: http://10.0.0.1/boot/52:54:00:00:07:04.ipxe (iPXE: its script over "
         "HTTP)"},
        {4, 100, 0x0a000067, "http.ipxe_script",
         "GET for pc4 (52:54:00:00:07:04) from the built-in template"},
        {4, 300, 0x0a000067, "http.fetch", "GET vmlinuz: 200, bytes 0-8388607 of 8388608"},
        {4, 30000, 0x0a000067, "http.ipxe_script",
         "GET for pc4 (52:54:00:00:07:04) from the built-in template"},
        {4, 300, 0x0a000067, "http.fetch", "GET vmlinuz: 200, bytes 0-8388607 of 8388608"},
        {4, 30000, 0x0a000067, "http.ipxe_script",
         "GET for pc4 (52:54:00:00:07:04) from the built-in template"},
        {4, 300, 0x0a000067, "http.fetch", "GET vmlinuz: 200, bytes 0-8388607 of 8388608"},
        {4, 300, 0x0a000067, "http.fetch", "HEAD vmlinuz: 200, bytes 0-8388607 of 8388608"},
        /* 5: it takes another server's offer; its UUID is a clone's */
        {5, 0, 0, "registry.uuid_conflict",
         "UUID 4c4c4544-0042-3510-8052-b4c04f4e4d31 also reported by 52:54:00:00:07:09; "
         "matched by MAC only"},
        {5, 100, 0, "dhcp.discover", "via 10.0.9.1"},
        {5, 1, 0x0a000068, "dhcp.offer", "10.0.0.104"},
        {5, 300, 0x0a000068, "dhcp.other_server", "client chose the offer of 10.0.0.2"},
        /* 6: no loader for its firmware; approved by an admin before */
        {6, 0, 0, "registry.new", "new device #6, pending"},
        {6, 1, 0, "registry.state", "approved, was pending"},
        {6, 100, 0, "pxe.no_boot", "ARM64 UEFI HTTP: no loader configured for this architecture"},
        {6, 200, 0, "dhcp.proxy_request", "REQUEST on port 4011"},
        {6, 200, 0, "http.file_missing", "GET /pxelinux.cfg/01-52-54-00: no such file"},
        {6, 200, 0, "http.refused", "/boot/52:54:00:00:07:06.ipxe: the device was rejected"},
        {6, 200, 0, "dhcp.foreign_server", "server=10.0.0.2 interface=eth1"},
        {6, 200, 0, "tftp.busy", "file=\"a b.efi\" transfers=32 (max-transfers-per-client)"},
        {6, 200, 0x0a000069, "dhcp.decline",
         "10.0.0.105 is in use by another host; quarantined for 600s"},
        {6, 200, 0x0a000069, "dhcp.release_refused", "10.0.0.105: not its lease"},
        {6, 200, 0x0a000069, "dhcp.release", "10.0.0.105 by the admin"},
        {6, 200, 0, "dhcp.no_address", "no free address in 10.0.0.0/24"},
        {6, 200, 0, "http.fetch", "GET big.iso: 416 range outside 1000 bytes"},
};

static char dir[64], db[128];

static void mac_of(int dev, struct hwaddr *m)
{
	*m = (struct hwaddr){{0x52, 0x54, 0, 0, 7, (uint8_t) dev}};
}

static int setup(void **state)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	strcpy(dir, "/tmp/nbmigXXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/netbay.db", dir);
	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, schema2, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s,
	                                    "INSERT INTO events (time_ms, mac, ip, name, detail) "
	                                    "VALUES (?, ?, ?, ?, ?)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	int64_t t = T0;
	for (size_t i = 0; i < NB_ARRAY_SIZE(rows); i++) {
		struct hwaddr m;
		mac_of(rows[i].dev, &m);
		t += rows[i].dt_ms;
		sqlite3_bind_int64(st, 1, t);
		sqlite3_bind_blob(st, 2, m.b, 6, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, rows[i].ip);
		sqlite3_bind_text(st, 4, rows[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rows[i].detail, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	(void) state;
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];
	(void) state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

struct opened {
	struct store *st;
	struct journal *j;
};

static int read_dev(struct opened *o, int dev, struct journal_entry **v)
{
	struct hwaddr m;
	mac_of(dev, &m);
	return journal_read(o->j, &m, 1, 200, v);
}

static void open_db(struct opened *o)
{
	assert_int_equal(store_open(db, false, &o->st), 0);
	assert_int_equal(store_schema_version(o->st), 3);
	o->j = journal_new(NULL, NULL);
	journal_persist(o->j, o->st, NULL, NULL); /* reads only */
}

static void close_db(struct opened *o)
{
	journal_free(o->j);
	store_close(o->st);
}

static size_t diagnose(struct opened *o, int dev, struct diag_finding *out)
{
	struct journal_entry *v = NULL;
	int n = read_dev(o, dev, &v);
	assert_true(n > 0);
	const struct diag_facts facts = {.boot_root = "/srv/boot", .who = "pcX"};
	size_t k = diag_run(v, (size_t) n, &facts, out, DIAG_FINDINGS_MAX);
	free(v);
	return k;
}

static const struct diag_finding *rule(const struct diag_finding *f, size_t n, const char *name)
        __attribute__((returns_nonnull));
static const struct diag_finding *rule(const struct diag_finding *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].rule, name) == 0)
			return &f[i];
	fail_msg("no %s finding", name);
	abort();
}

/* Every old line read into fields says the same line again: the migration
 * and the one formatter agree, so a row's text and its fields tell one story. */
static void test_rows_read_into_fields(void **state)
{
	(void) state;
	struct opened o;
	open_db(&o);
	for (int dev = 1; dev <= 6; dev++) {
		struct journal_entry *v = NULL;
		int n = read_dev(&o, dev, &v);
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			char again[JOURNAL_DETAIL_MAX];
			assert_int_not_equal(v[i].f.kind, JOURNAL_OTHER);
			journal_format(&v[i].f, v[i].ip, &v[i].mac, again, sizeof again);
			if (strcmp(again, v[i].detail) != 0)
				fail_msg("%s: \"%s\" came back as \"%s\"", v[i].name, v[i].detail,
				         again);
		}
		free(v);
	}
	struct journal_entry *v = NULL;
	assert_int_equal(read_dev(&o, 3, &v), 3);
	assert_int_equal(v[1].f.kind, JOURNAL_TFTP_TIMEOUT);
	assert_int_equal(v[1].f.block, 12);
	assert_int_equal(v[1].f.blksize, 1468);
	assert_string_equal(v[1].f.file, "ipxe.efi");
	free(v);
	assert_int_equal(read_dev(&o, 6, &v), 13);
	assert_int_equal(v[2].f.cause, JOURNAL_CAUSE_NO_LOADER);
	assert_int_equal(v[2].f.arch, 19);
	assert_true(v[2].f.http);
	assert_int_equal(v[5].f.cause, JOURNAL_CAUSE_REJECTED);
	assert_int_equal(v[6].f.server, 0x0a000002);
	assert_string_equal(v[6].f.iface, "eth1");
	free(v);
	close_db(&o);
}

/* The findings, as the rules made them from the text before. */
static void test_findings_as_before(void **state)
{
	(void) state;
	struct opened o;
	struct diag_finding f[DIAG_FINDINGS_MAX];
	const struct diag_finding *x;
	open_db(&o);

	size_t n = diagnose(&o, 1, f);
	x = rule(f, n, "missing_boot_file");
	assert_int_equal(x->severity, DIAG_ERROR);
	assert_non_null(strstr(x->finding, "\"gone.kpxe\", but /srv/boot has no such file: it "
	                                   "asked for it 2 times"));
	assert_int_equal(x->n_evidence, 3); /* two misses and the offer */

	n = diagnose(&o, 2, f);
	x = rule(f, n, "arch_mismatch");
	assert_non_null(strstr(x->finding, "x64 UEFI client but was offered \"undionly.kpxe\", a "
	                                   "BIOS loader"));
	assert_non_null(strstr(x->fix, "Set uefi-x64"));

	n = diagnose(&o, 3, f);
	x = rule(f, n, "transfer_stall");
	assert_non_null(strstr(x->finding, "block 12 (17616 bytes in)"));
	assert_non_null(strstr(x->finding, "with 1468-byte blocks"));

	n = diagnose(&o, 4, f);
	x = rule(f, n, "boot_loop");
	assert_non_null(strstr(x->finding, "fetched \"the iPXE script\" 3 times"));

	n = diagnose(&o, 5, f);
	x = rule(f, n, "offer_unanswered");
	assert_non_null(strstr(x->finding, "another DHCP server, 10.0.0.2,"));
	x = rule(f, n, "uuid_conflict");
	assert_non_null(strstr(x->finding, "UUID 4c4c4544-0042-3510-8052-b4c04f4e4d31 is also "
	                                   "reported by 52:54:00:00:07:09"));

	n = diagnose(&o, 6, f);
	x = rule(f, n, "rejected"); /* the journal's last word on it */
	x = rule(f, n, "foreign_server");
	assert_non_null(strstr(x->finding, "Another DHCP server, 10.0.0.2, answers on eth1"));
	x = rule(f, n, "no_address");
	assert_non_null(strstr(x->finding, "no free address in 10.0.0.0/24"));
	close_db(&o);
}

/* A read-only open does not migrate: the rows read with their lines and
 * no fields, and the file stays at schema 2. */
static void test_read_only_open_reads_old_rows(void **state)
{
	(void) state;
	struct store *st;
	struct journal_entry *v = NULL;
	struct hwaddr m;
	assert_int_equal(store_open(db, true, &st), 0);
	assert_int_equal(store_schema_version(st), 2);
	struct journal *j = journal_new(NULL, NULL);
	journal_persist(j, st, NULL, NULL);
	mac_of(3, &m);
	assert_int_equal(journal_read(j, &m, 1, 200, &v), 3);
	assert_string_equal(v[1].name, "tftp.timeout");
	assert_int_equal(v[1].f.kind, JOURNAL_TFTP_TIMEOUT);
	assert_non_null(strstr(v[1].detail, "last_acked_block=12"));
	assert_int_equal(v[1].f.block, 0); /* no fields before the migration */
	free(v);
	journal_free(j);
	store_close(st);
}

/* The converter alone, on lines no rule reads. */
static void test_legacy_lines(void **state)
{
	(void) state;
	char *s = store_legacy_fact("tftp.request",
	                            "write file=\"x\\x22y\" mode=netascii timeout=3 windowsize=8");
	assert_string_equal(s, "{\"file\":\"x\\\\x22y\",\"method\":\"write\",\"state\":"
	                       "\"netascii\",\"timeout\":3,\"windowsize\":8}");
	free(s);
	s = store_legacy_fact("test.step", "step 5");
	assert_string_equal(s, "{}");
	free(s);
	s = store_legacy_fact(NULL, NULL);
	assert_string_equal(s, "{}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_rows_read_into_fields, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_findings_as_before, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_only_open_reads_old_rows, setup,
	                                        teardown),
	        cmocka_unit_test(test_legacy_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
