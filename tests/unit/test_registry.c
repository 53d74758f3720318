#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "store/store.h"

struct fx {
	char dir[64], db[128];
	struct conf *conf;
	struct store *store;
	struct hosts *hosts;
	struct journal *journal;
	struct registry *r;
};

static const char *CONF = "[dhcp]\nmode = off\nunknown-devices = pending\n"
                          "[boot]\nbios = default.kpxe\nuefi-x64 = default.efi\n"
                          "[group lab]\nuefi-x64 = lab.efi\nlease-time = 2h\n"
                          "[group kiosk]\nbios = kiosk.kpxe\n";

static void load_conf(struct fx *f, const char *text)
{
	conf_free(f->conf);
	f->conf = conf_ok(text);
	registry_set_conf(f->r, f->conf);
}

static void reopen(struct fx *f)
{
	registry_free(f->r);
	store_close(f->store);
	assert_int_equal(store_open(f->db, false, &f->store), 0);
	assert_int_equal(registry_open(f->store, f->hosts, f->journal, &f->r), 0);
	registry_set_conf(f->r, f->conf);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/nbregXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	assert_int_equal(store_open(f->db, false, &f->store), 0);
	f->hosts = hosts_new();
	f->journal = journal_new(hosts_journal_mac, f->hosts);
	assert_int_equal(registry_open(f->store, f->hosts, f->journal, &f->r), 0);
	load_conf(f, CONF);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[96];
	registry_free(f->r);
	store_close(f->store);
	journal_free(f->journal);
	hosts_free(f->hosts);
	conf_free(f->conf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

static struct hwaddr mac(int n)
{
	struct hwaddr m = {{0x52, 0x54, 0, 0, 1, (uint8_t) n}};
	return m;
}

static void uuid_of(int n, uint8_t u[16])
{
	for (int i = 0; i < 16; i++)
		u[i] = (uint8_t) (0x10 + i + n);
}

/* The detail of the last event called name in mac's journal, or "". */
struct last_event {
	const char *name;
	char detail[JOURNAL_DETAIL_MAX];
	int n;
};

static void grab(const struct journal_entry *e, void *data)
{
	struct last_event *l = data;
	if (strcmp(e->name, l->name) == 0) {
		snprintf(l->detail, sizeof l->detail, "%s", e->detail);
		l->n++;
	}
}

static struct last_event last_event(struct fx *f, const struct hwaddr *m, const char *name)
{
	struct last_event l = {.name = name};
	journal_foreach(f->journal, m, grab, &l);
	return l;
}

static void test_unknown_policies(void **state)
{
	struct fx *f = *state;
	struct registry_boot b;
	struct hwaddr m1 = mac(1);
	/* pending: recorded, no boot */
	assert_int_equal(registry_boot_seen(f->r, &m1, 0, 7, NULL, &b), 0);
	assert_int_equal(b.verdict, REGISTRY_WAIT);
	assert_non_null(b.dev);
	assert_int_equal(b.dev->state, REGISTRY_PENDING);
	assert_int_equal(b.dev->arch, 7);
	assert_int_equal(registry_count(f->r), 1);
	/* ignore: not recorded */
	load_conf(f, "[dhcp]\nmode = off\nunknown-devices = ignore\n");
	struct hwaddr m2 = mac(2);
	assert_int_equal(registry_boot_seen(f->r, &m2, 0, 0, NULL, &b), 0);
	assert_int_equal(b.verdict, REGISTRY_UNKNOWN);
	assert_null(b.dev);
	assert_int_equal(registry_count(f->r), 1);
	/* approve into the default group: boots with the group's profile */
	load_conf(f, "[dhcp]\nmode = off\nunknown-devices = approve\ndefault-group = lab\n"
	             "[boot]\nuefi-x64 = default.efi\n[group lab]\nuefi-x64 = lab.efi\n");
	assert_int_equal(registry_boot_seen(f->r, &m2, 0, 7, NULL, &b), 0);
	assert_int_equal(b.verdict, REGISTRY_BOOT);
	assert_string_equal(b.dev->group, "lab");
	assert_string_equal(b.profile.loaders.file[BOOT_UEFI_X64], "lab.efi");
}

static void test_profile_layers(void **state)
{
	struct fx *f = *state;
	struct registry_change c = {.fields =
	                                    REGISTRY_F_MACS | REGISTRY_F_STATE | REGISTRY_F_GROUP};
	char err[200] = "";
	uint64_t id;
	struct registry_boot b;
	c.d.macs[0] = mac(3);
	c.d.n_macs = 1;
	c.d.state = REGISTRY_APPROVED;
	strcpy(c.d.group, "lab");
	assert_int_equal(registry_add(f->r, &c, &id, err, sizeof err), 0);
	registry_boot_for(f->r, &c.d.macs[0], &b);
	assert_int_equal(b.verdict, REGISTRY_BOOT);
	assert_int_equal(last_event(f, &c.d.macs[0], "registry.state").n, 0);
	assert_string_equal(b.profile.loaders.file[BOOT_BIOS], "default.kpxe"); /* [boot] */
	assert_string_equal(b.profile.loaders.file[BOOT_UEFI_X64], "lab.efi");  /* its group */
	assert_int_equal(b.profile.lease_sec, 7200);
	/* its own override wins; moving it to another group applies at once */
	struct registry_change u = {.fields = REGISTRY_F_PROFILE | REGISTRY_F_GROUP};
	strcpy(u.d.profile.loaders.file[BOOT_UEFI_X64], "mine.efi");
	strcpy(u.d.group, "kiosk");
	assert_int_equal(registry_update(f->r, id, &u, err, sizeof err), 0);
	registry_boot_for(f->r, &c.d.macs[0], &b);
	assert_string_equal(b.profile.loaders.file[BOOT_UEFI_X64], "mine.efi");
	assert_string_equal(b.profile.loaders.file[BOOT_BIOS], "kiosk.kpxe");
	assert_int_equal(b.profile.lease_sec, 0);
}

static void test_uuid_attaches_then_conflicts(void **state)
{
	struct fx *f = *state;
	struct registry_change c = {.fields = REGISTRY_F_UUID | REGISTRY_F_NAME | REGISTRY_F_STATE};
	char err[200] = "", us[REGISTRY_UUID_STRLEN];
	uint8_t u[16];
	uint64_t id;
	struct registry_boot b;
	uuid_of(0, u);
	registry_uuid_fmt(u, c.d.uuid);
	strcpy(c.d.name, "imported");
	c.d.state = REGISTRY_APPROVED;
	assert_int_equal(registry_add(f->r, &c, &id, err, sizeof err), 0);
	/* first sighting by UUID: the MAC is attached to the registered device */
	struct hwaddr m1 = mac(4), m2 = mac(5);
	assert_int_equal(registry_boot_seen(f->r, &m1, 0, 0, u, &b), 0);
	assert_int_equal(b.dev->id, id);
	assert_int_equal(b.verdict, REGISTRY_BOOT);
	assert_int_equal(b.dev->n_macs, 1);
	/* the same UUID from another MAC: a clone; both flagged, no merge */
	assert_int_equal(registry_boot_seen(f->r, &m2, 0, 0, u, &b), 0);
	assert_int_not_equal(b.dev->id, id);
	assert_int_equal(b.verdict, REGISTRY_WAIT); /* a new, pending device */
	assert_true(b.dev->uuid_conflict);
	assert_true(registry_get_id(f->r, id)->uuid_conflict);
	/* each journal names the other MAC, once */
	struct last_event e1 = last_event(f, &m1, "registry.uuid_conflict");
	struct last_event e2 = last_event(f, &m2, "registry.uuid_conflict");
	assert_int_equal(e1.n, 1);
	assert_int_equal(e2.n, 1);
	assert_non_null(strstr(e1.detail, "also reported by 52:54:00:00:01:05"));
	assert_non_null(strstr(e2.detail, "also reported by 52:54:00:00:01:04"));
	assert_int_equal(registry_boot_seen(f->r, &m2, 0, 0, u, &b), 0);
	assert_int_equal(last_event(f, &m2, "registry.uuid_conflict").n, 1);
	/* from now on MAC only: the UUID finds nothing, the MACs their own devices */
	assert_null(registry_find(f->r, registry_uuid_fmt(u, us)));
	assert_int_equal(registry_get(f->r, &m1)->id, id);
	assert_int_equal(registry_count(f->r), 2);
	/* and it survives a restart */
	reopen(f);
	assert_true(registry_get_id(f->r, id)->uuid_conflict);
	assert_null(registry_find(f->r, us));
}

static void test_uuid_conflict_on_a_known_device(void **state)
{
	struct fx *f = *state;
	struct registry_boot b;
	/* a device known before it shows a UUID another device holds */
	struct hwaddr m3 = mac(11), m4 = mac(12);
	uint8_t u2[16];
	uuid_of(5, u2);
	assert_int_equal(registry_boot_seen(f->r, &m3, 0, 0, u2, &b), 0);
	assert_int_equal(registry_boot_seen(f->r, &m4, 0, 0, NULL, &b), 0);
	assert_int_equal(registry_boot_seen(f->r, &m4, 0, 0, u2, &b), 0);
	assert_true(b.dev->uuid_conflict);
	assert_non_null(strstr(last_event(f, &m4, "registry.uuid_conflict").detail,
	                       "also reported by 52:54:00:00:01:0b"));
	assert_non_null(strstr(last_event(f, &m3, "registry.uuid_conflict").detail,
	                       "also reported by 52:54:00:00:01:0c"));
}

static void test_placeholder_uuids(void **state)
{
	struct fx *f = *state;
	uint8_t zeros[16] = {0}, ff[16], ami[16];
	memset(ff, 0xff, sizeof ff);
	assert_int_equal(registry_uuid_parse("03000200-0400-0500-0006-000700080009", false, ami),
	                 0);
	assert_true(registry_uuid_placeholder(zeros));
	assert_true(registry_uuid_placeholder(ff));
	assert_true(registry_uuid_placeholder(ami));
	uint8_t real[16];
	uuid_of(1, real);
	assert_false(registry_uuid_placeholder(real));
	/* two machines with the AMI placeholder are two devices, never a conflict */
	struct registry_boot b;
	struct hwaddr m1 = mac(6), m2 = mac(7);
	assert_int_equal(registry_boot_seen(f->r, &m1, 0, 0, ami, &b), 0);
	assert_int_equal(registry_boot_seen(f->r, &m2, 0, 0, ami, &b), 0);
	assert_false(b.dev->uuid_conflict);
	assert_string_equal(b.dev->uuid, "");
}

static void test_uuid_byte_order(void **state)
{
	(void) state;
	uint8_t a[16], b[16];
	char s[REGISTRY_UUID_STRLEN];
	assert_int_equal(registry_uuid_parse("00112233-4455-6677-8899-aabbccddeeff", false, a), 0);
	assert_int_equal(registry_uuid_parse("33221100-5544-7766-8899-AABBCCDDEEFF", true, b), 0);
	assert_memory_equal(a, b, 16);
	assert_string_equal(registry_uuid_fmt(a, s), "00112233-4455-6677-8899-aabbccddeeff");
	assert_int_equal(registry_uuid_parse("00112233445566778899aabbccddeeff", false, b), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(registry_uuid_parse("0011223-34455-6677-8899-aabbccddeeff", false, b),
	                 -EINVAL);
	assert_int_equal(registry_uuid_parse("zz112233-4455-6677-8899-aabbccddeeff", false, b),
	                 -EINVAL);
}

static void test_state_changes_journaled(void **state)
{
	struct fx *f = *state;
	struct registry_boot b;
	char err[200];
	struct hwaddr m = mac(10);
	assert_int_equal(registry_boot_seen(f->r, &m, 0, 7, NULL, &b), 0);
	uint64_t id = b.dev->id;
	/* a change that leaves the state alone, and one refused, say nothing */
	struct registry_change c = {.fields = REGISTRY_F_NAME};
	strcpy(c.d.name, "pc10");
	assert_int_equal(registry_update(f->r, id, &c, err, sizeof err), 0);
	c.fields = REGISTRY_F_STATE | REGISTRY_F_GROUP;
	c.d.state = REGISTRY_APPROVED;
	strcpy(c.d.group, "nope");
	assert_int_equal(registry_update(f->r, id, &c, err, sizeof err), -ENOENT);
	assert_int_equal(last_event(f, &m, "registry.state").n, 0);
	/* approval is an event of the device */
	c.fields = REGISTRY_F_STATE;
	assert_int_equal(registry_update(f->r, id, &c, err, sizeof err), 0);
	struct last_event e = last_event(f, &m, "registry.state");
	assert_int_equal(e.n, 1);
	assert_string_equal(e.detail, "approved, was pending");
	c.d.state = REGISTRY_REJECTED;
	assert_int_equal(registry_update(f->r, id, &c, err, sizeof err), 0);
	assert_string_equal(last_event(f, &m, "registry.state").detail, "rejected, was approved");
	assert_int_equal(registry_update(f->r, id, &c, err, sizeof err), 0);
	assert_int_equal(last_event(f, &m, "registry.state").n, 2);
}

static void test_admin_changes_validated(void **state)
{
	struct fx *f = *state;
	char err[200];
	uint64_t id1, id2;
	struct registry_change c = {.fields = REGISTRY_F_MACS | REGISTRY_F_NAME};
	c.d.macs[0] = mac(8);
	c.d.n_macs = 1;
	strcpy(c.d.name, "pc8");
	assert_int_equal(registry_add(f->r, &c, &id1, err, sizeof err), 0);
	/* a second device with the same MAC or name */
	strcpy(c.d.name, "other");
	assert_int_equal(registry_add(f->r, &c, &id2, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "52:54:00:00:01:08 belongs to device"));
	c.d.macs[0] = mac(9);
	strcpy(c.d.name, "PC8");
	assert_int_equal(registry_add(f->r, &c, &id2, err, sizeof err), -EEXIST);
	/* a reserved name ([dns] reserved-names) */
	hosts_set_reserved(f->hosts, f->conf);
	strcpy(c.d.name, "Wpad");
	assert_int_equal(registry_add(f->r, &c, &id2, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "name 'Wpad' is reserved"));
	/* unknown group, bad file, bad name, nothing to identify it */
	struct registry_change g = {.fields = REGISTRY_F_GROUP};
	strcpy(g.d.group, "nope");
	assert_int_equal(registry_update(f->r, id1, &g, err, sizeof err), -ENOENT);
	struct registry_change p = {.fields = REGISTRY_F_PROFILE};
	strcpy(p.d.profile.loaders.file[BOOT_BIOS], "../../etc/passwd");
	assert_int_equal(registry_update(f->r, id1, &p, err, sizeof err), -EINVAL);
	struct registry_change n = {.fields = REGISTRY_F_NAME};
	strcpy(n.d.name, "bad name");
	assert_int_equal(registry_update(f->r, id1, &n, err, sizeof err), -EINVAL);
	struct registry_change none = {.fields = REGISTRY_F_MACS};
	assert_int_equal(registry_update(f->r, id1, &none, err, sizeof err), -EINVAL);
	/* nothing of the refused changes was applied */
	const struct registry_device *d = registry_get_id(f->r, id1);
	assert_string_equal(d->name, "pc8");
	assert_string_equal(d->group, "");
	assert_int_equal(d->n_macs, 1);
	/* compare-and-set */
	struct registry_change s = {.fields = REGISTRY_F_STATE, .expect_version = d->version + 7};
	s.d.state = REGISTRY_APPROVED;
	assert_int_equal(registry_update(f->r, id1, &s, err, sizeof err), -ESTALE);
	s.expect_version = d->version;
	assert_int_equal(registry_update(f->r, id1, &s, err, sizeof err), 0);
	assert_int_equal(registry_update(f->r, id1, &s, err, sizeof err), -ESTALE);
	/* remove */
	assert_int_equal(registry_remove(f->r, id1, err, sizeof err), 0);
	assert_null(registry_find(f->r, "pc8"));
	assert_int_equal(registry_remove(f->r, id1, err, sizeof err), -ENOENT);
}

struct bad_rows {
	size_t n, row[8], other[8];
	int code[8];
	char why[8][200];
};

static void note_bad(size_t row, size_t other, int code, const char *why, void *data)
{
	struct bad_rows *b = data;
	assert_true(b->n < 8);
	b->row[b->n] = row;
	b->other[b->n] = other;
	b->code[b->n] = code;
	snprintf(b->why[b->n], sizeof b->why[0], "%s", why);
	b->n++;
}

static void import_rows(struct registry_change rows[], int n)
{
	memset(rows, 0, n * sizeof rows[0]);
	for (int i = 0; i < n; i++) {
		rows[i].fields = REGISTRY_F_MACS | REGISTRY_F_NAME | REGISTRY_F_GROUP;
		rows[i].d.macs[0] = mac(20 + i);
		rows[i].d.n_macs = 1;
		snprintf(rows[i].d.name, sizeof rows[i].d.name, "node%d", i);
		strcpy(rows[i].d.group, "lab");
	}
}

static void test_import_all_or_nothing(void **state)
{
	struct fx *f = *state;
	char err[200];
	struct bad_rows b = {0};
	struct registry_change rows[3];
	import_rows(rows, 3);
	strcpy(rows[1].d.group, "nope"); /* row 2 names a group that does not exist */
	assert_int_equal(registry_import(f->r, rows, 3, 0, note_bad, &b, err, sizeof err), -ENOENT);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.row[0], 1);
	assert_non_null(strstr(err, "row 2: no [group nope]"));
	assert_int_equal(registry_count(f->r), 0);
	reopen(f);
	assert_int_equal(registry_count(f->r), 0); /* nothing reached the store */
	/* a duplicate name between rows is caught too */
	strcpy(rows[1].d.group, "lab");
	strcpy(rows[2].d.name, "NODE0");
	b.n = 0;
	assert_int_equal(registry_import(f->r, rows, 3, 0, note_bad, &b, err, sizeof err), -EEXIST);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.row[0], 2);
	assert_non_null(strstr(b.why[0], "name NODE0 is also in an earlier row"));
	assert_int_equal(b.other[0], 0);
	strcpy(rows[2].d.name, "node2");
	/* a dry run checks and stores nothing */
	assert_int_equal(registry_import(f->r, rows, 3, REGISTRY_IMPORT_DRY_RUN, NULL, NULL, err,
	                                 sizeof err),
	                 3);
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(registry_import(f->r, rows, 3, 0, NULL, NULL, err, sizeof err), 3);
	assert_int_equal(registry_count(f->r), 3);
	/* imported devices are approved; a re-import updates them by MAC */
	assert_int_equal(registry_find(f->r, "node1")->state, REGISTRY_APPROVED);
	strcpy(rows[1].d.name, "renamed");
	assert_int_equal(registry_import(f->r, rows + 1, 1, 0, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(registry_count(f->r), 3);
	reopen(f);
	assert_non_null(registry_find(f->r, "renamed"));
	assert_null(registry_find(f->r, "node1"));
}

static void test_import_reports_every_bad_row(void **state)
{
	struct fx *f = *state;
	char err[300];
	struct bad_rows b = {0};
	struct registry_change rows[6], one;
	uint64_t id;
	/* a device already holds mac(40) and the name taken */
	memset(&one, 0, sizeof one);
	one.fields = REGISTRY_F_MACS | REGISTRY_F_NAME;
	one.d.macs[0] = mac(40);
	one.d.n_macs = 1;
	strcpy(one.d.name, "taken");
	assert_int_equal(registry_add(f->r, &one, &id, err, sizeof err), 0);

	import_rows(rows, 6);
	strcpy(rows[0].d.group, "nope");       /* unknown group */
	strcpy(rows[2].d.name, "taken");       /* another device's name */
	rows[3].d.macs[0] = rows[1].d.macs[0]; /* a MAC twice in the file */
	rows[4].fields |= REGISTRY_F_UUID;     /* a UUID twice in the file */
	rows[5].fields |= REGISTRY_F_UUID;
	strcpy(rows[4].d.uuid, "11111111-2222-3333-4444-555555555555");
	strcpy(rows[5].d.uuid, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(registry_import(f->r, rows, 6, 0, note_bad, &b, err, sizeof err), -ENOENT);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.row[0], 0);
	assert_int_equal(b.code[0], -ENOENT);
	assert_int_equal(b.row[1], 2);
	assert_int_equal(b.code[1], -EEXIST);
	assert_non_null(strstr(b.why[1], "name taken belongs to device"));
	assert_int_equal(b.other[1], SIZE_MAX);
	assert_int_equal(b.row[2], 3);
	assert_non_null(strstr(b.why[2], "MAC 52:54:00:00:01:15 is also in an earlier row"));
	assert_int_equal(b.other[2], 1);
	assert_int_equal(b.row[3], 5);
	assert_non_null(strstr(b.why[3], "is also in an earlier row"));
	assert_int_equal(b.other[3], 4);
	assert_non_null(strstr(err, "row 1: no [group nope]"));
	assert_non_null(strstr(err, "3 more bad rows"));
	assert_int_equal(registry_count(f->r), 1);
	reopen(f);
	assert_int_equal(registry_count(f->r), 1);

	/* two rows that update one device (its MACs in two rows) */
	struct registry_change two[2];
	import_rows(two, 2);
	one.fields = REGISTRY_F_MACS;
	one.d.macs[1] = mac(41);
	one.d.n_macs = 2;
	assert_int_equal(registry_update(f->r, id, &one, err, sizeof err), 0);
	two[0].d.macs[0] = mac(40);
	two[1].d.macs[0] = mac(41);
	b.n = 0;
	assert_int_equal(registry_import(f->r, two, 2, 0, note_bad, &b, err, sizeof err), -EEXIST);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.row[0], 1);
	assert_non_null(strstr(b.why[0], "an earlier row updates the same device"));
	assert_int_equal(b.other[0], 0);
}

static int count_lease(const struct store_lease *l, void *data)
{
	(*(int *) data)++;
	return 0;
}

static void put_lease(struct fx *f, int n)
{
	struct store_lease l = {
	        .addr = 0x0a000000u + (uint32_t) n, .expires = 9, .state = STORE_LEASE_BOUND};
	l.mac = mac(100 + n);
	assert_int_equal(store_lease_put(f->store, &l), 0);
}

/* The store has one owner per turn: the admin changes refused in a turn
 * (by validation, by the database after writing, a bad import row after
 * good ones) undo their own writes only. The DHCP leases written before,
 * between and after them are all committed by the turn's end. */
static void test_refused_changes_keep_the_turns_writes(void **state)
{
	struct fx *f = *state;
	char err[200];
	uint64_t id;
	/* a device the database holds but the table does not know (written by
	 * hand): its MAC is refused by the store itself, after the write */
	struct store_device held = {.id = 900, .n_macs = 1, .doc = "{}"};
	held.macs[0] = mac(77);
	assert_int_equal(store_device_put(f->store, &held), 0);
	assert_int_equal(store_turn_end(f->store), 0);

	put_lease(f, 1);
	struct registry_change bad = {.fields = REGISTRY_F_NAME | REGISTRY_F_MACS};
	bad.d.macs[0] = mac(5);
	bad.d.n_macs = 1;
	strcpy(bad.d.name, "not a label");
	assert_int_equal(registry_add(f->r, &bad, &id, err, sizeof err), -EINVAL);
	put_lease(f, 2);
	struct registry_change clash = {.fields = REGISTRY_F_MACS};
	clash.d.macs[0] = mac(77);
	clash.d.n_macs = 1;
	assert_int_equal(registry_add(f->r, &clash, &id, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "cannot store the device"));
	put_lease(f, 3);
	struct registry_change rows[4];
	import_rows(rows, 4);
	rows[3].d.macs[0] = mac(77); /* the last row: refused by the store */
	assert_int_equal(registry_import(f->r, rows, 4, 0, NULL, NULL, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "cannot store row 4"));
	put_lease(f, 4);
	assert_true(store_pending(f->store));
	assert_int_equal(store_turn_end(f->store), 0);
	assert_int_equal(store_lost(f->store), 0);
	assert_int_equal(registry_count(f->r), 0);

	reopen(f);
	int n = 0;
	assert_int_equal(store_lease_foreach(f->store, count_lease, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(registry_count(f->r), 1); /* only the hand-written one */
	assert_non_null(registry_get_id(f->r, 900));
}

/* The import's row checks are near-linear: 20,000 rows against a table of
 * 10,000 devices (half updated, half added), checked and stored in well
 * under a second. Row against row (quadratic) this took many seconds. */
static void test_import_checks_scale(void **state)
{
	struct fx *f = *state;
	char err[200];
	enum { N = 20000, HALF = N / 2 };
	struct registry_change *rows = calloc(N, sizeof *rows);
	assert_non_null(rows);
	for (int i = 0; i < N; i++) {
		rows[i].fields = REGISTRY_F_MACS | REGISTRY_F_NAME | REGISTRY_F_UUID;
		rows[i].d.n_macs = 2;
		for (int k = 0; k < 2; k++)
			rows[i].d.macs[k] =
			        (struct hwaddr){{0x02, (uint8_t) k, 0, (uint8_t) (i >> 16),
			                         (uint8_t) (i >> 8), (uint8_t) i}};
		snprintf(rows[i].d.name, sizeof rows[i].d.name, "Node-%d", i);
		snprintf(rows[i].d.uuid, sizeof rows[i].d.uuid, "%08x-0000-4000-8000-000000000001",
		         (unsigned) i + 1);
	}
	assert_int_equal(registry_import(f->r, rows, HALF, 0, NULL, NULL, err, sizeof err), HALF);
	assert_int_equal(store_turn_end(f->store), 0);
	int64_t t0 = nb_now_ms();
	int e = registry_import(f->r, rows, N, REGISTRY_IMPORT_DRY_RUN, NULL, NULL, err,
	                        sizeof err);
	int64_t dry_ms = nb_now_ms() - t0;
	assert_int_equal(e, N - HALF);
	t0 = nb_now_ms();
	e = registry_import(f->r, rows, N, 0, NULL, NULL, err, sizeof err);
	int64_t real_ms = nb_now_ms() - t0;
	assert_int_equal(e, N - HALF);
	assert_int_equal(registry_count(f->r), N);
	print_message("20,000 rows over 10,000 devices: dry run %lld ms, stored %lld ms\n",
	              (long long) dry_ms, (long long) real_ms);
	assert_true(dry_ms < 1500);
	assert_true(real_ms < 5000);
	/* and still every clash is found: the last row repeats the first's name */
	strcpy(rows[N - 1].d.name, "NODE-0");
	assert_int_equal(registry_import(f->r, rows, N, REGISTRY_IMPORT_DRY_RUN, NULL, NULL, err,
	                                 sizeof err),
	                 -EEXIST);
	assert_non_null(strstr(err, "row 20000: name NODE-0"));
	free(rows);
}

/* ---- growth: a flood of new booting clients */

static struct hwaddr mac_big(uint32_t n)
{
	struct hwaddr m = {{0x02, 0x42, (uint8_t) (n >> 24), (uint8_t) (n >> 16),
	                    (uint8_t) (n >> 8), (uint8_t) n}};
	return m;
}

static double now_sec(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

/* Adds n new devices (with UUIDs, as PXE clients send) from first on;
 * returns the seconds it took. */
static double add_new(struct registry *r, uint32_t first, uint32_t n)
{
	struct registry_boot b;
	double t0 = now_sec();
	for (uint32_t i = first; i < first + n; i++) {
		struct hwaddr m = mac_big(i);
		uint8_t u[16] = {0xaa,
		                 (uint8_t) (i >> 24),
		                 (uint8_t) (i >> 16),
		                 (uint8_t) (i >> 8),
		                 (uint8_t) i,
		                 1,
		                 2,
		                 3,
		                 4,
		                 5,
		                 6,
		                 7,
		                 8,
		                 9,
		                 10,
		                 11};
		assert_int_equal(registry_boot_seen(r, &m, 0, 7, u, &b), 0);
		assert_non_null(b.dev);
	}
	return now_sec() - t0;
}

/* Recording a new device costs the same whatever the registry holds: the
 * index work per device stays flat (a rebuild per device would make it
 * grow with the count), and so, within a wide margin, does the time. */
static void test_insertion_does_not_grow_with_size(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[dhcp]\nmode = off\nunknown-devices = pending\n"
	                         "new-device-limit = 1000000\nmax-pending-devices = 1000000\n");
	struct registry *r;
	assert_int_equal(registry_open(NULL, NULL, NULL, &r), 0);
	registry_set_conf(r, c);
	uint64_t w0 = r->idx_work;
	double t_small = add_new(r, 0, 2000);
	uint64_t w_small = r->idx_work - w0;
	(void) add_new(r, 2000, 18000);
	w0 = r->idx_work;
	double t_big = add_new(r, 20000, 2000); /* into 20,000 devices */
	uint64_t w_big = r->idx_work - w0;
	assert_int_equal(registry_count(r), 22000);
	assert_int_equal(r->n_pending, 22000);
	/* 2,000 devices into 20,000 cost about what 2,000 into none did (growth
	 * doublings included); a rebuild per device would be 20,000 times more */
	assert_true(w_big < 3 * w_small + 1000);
	assert_true(w_big < 20 * 2000);
	assert_true(t_big < 10 * t_small + 0.05);
	/* and every device is still found, by MAC and by UUID */
	for (uint32_t i = 0; i < 22000; i += 997) {
		struct hwaddr m = mac_big(i);
		const struct registry_device *d = registry_get(r, &m);
		assert_non_null(d);
		assert_ptr_equal(registry_by_uuid(r, d->uuid, NULL), d);
	}
	registry_free(r);
	conf_free(c);
}

/* Removing devices keeps the others reachable (the index shifts entries
 * back into the hole instead of leaving tombstones). */
static void test_index_survives_removals(void **state)
{
	struct fx *f = *state;
	char err[128];
	load_conf(f, "[dhcp]\nmode = off\nunknown-devices = approve\nnew-device-limit = 1000\n");
	(void) add_new(f->r, 0, 300);
	for (uint32_t i = 0; i < 300; i += 3) {
		struct hwaddr m = mac_big(i);
		assert_int_equal(registry_remove(f->r, registry_get(f->r, &m)->id, err, sizeof err),
		                 0);
	}
	for (uint32_t i = 0; i < 300; i++) {
		struct hwaddr m = mac_big(i);
		if (i % 3 == 0)
			assert_null(registry_get(f->r, &m));
		else
			assert_non_null(registry_get(f->r, &m));
	}
}

/* [dhcp] new-device-limit: past it, a new booting client is answered by the
 * policy but not recorded; [dhcp] max-pending-devices bounds the pending. */
static void test_new_devices_are_bounded(void **state)
{
	struct fx *f = *state;
	struct registry_boot b;
	char err[128];
	load_conf(f, "[dhcp]\nmode = off\nunknown-devices = pending\nnew-device-limit = 3\n");
	for (int i = 1; i <= 5; i++) {
		struct hwaddr m = mac(i);
		assert_int_equal(registry_boot_seen(f->r, &m, 0, 7, NULL, &b), 0);
		assert_int_equal(b.verdict, REGISTRY_WAIT); /* the policy's answer either way */
		if (i <= 3)
			assert_non_null(b.dev);
		else
			assert_null(b.dev);
	}
	assert_int_equal(registry_count(f->r), 3);
	/* a known device is never limited */
	struct hwaddr m1 = mac(1);
	assert_int_equal(registry_boot_seen(f->r, &m1, 0, 7, NULL, &b), 0);
	assert_non_null(b.dev);

	load_conf(f, "[dhcp]\nmode = off\nunknown-devices = pending\nmax-pending-devices = 3\n");
	struct hwaddr m6 = mac(6);
	assert_int_equal(registry_boot_seen(f->r, &m6, 0, 7, NULL, &b), 0);
	assert_null(b.dev); /* three are pending already */
	/* approving one makes room */
	struct registry_change c = {.fields = REGISTRY_F_STATE, .d.state = REGISTRY_APPROVED};
	assert_int_equal(registry_update(f->r, registry_get(f->r, &m1)->id, &c, err, sizeof err),
	                 0);
	assert_int_equal(registry_boot_seen(f->r, &m6, 0, 7, NULL, &b), 0);
	assert_non_null(b.dev);
	assert_int_equal(registry_count(f->r), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_unknown_policies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_profile_layers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_attaches_then_conflicts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_conflict_on_a_known_device, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_placeholder_uuids, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_byte_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_state_changes_journaled, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_changes_validated, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_reports_every_bad_row, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refused_changes_keep_the_turns_writes, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_import_checks_scale, setup, teardown),
	        cmocka_unit_test(test_insertion_does_not_grow_with_size),
	        cmocka_unit_test_setup_teardown(test_index_survives_removals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_new_devices_are_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
