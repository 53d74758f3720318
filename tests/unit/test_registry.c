#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "journal/journal.h"
#include "registry/hosts.h"
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
	struct conf_diag d = {0};
	conf_free(f->conf);
	f->conf = NULL;
	assert_int_equal(conf_load_string(text, "t.conf", &d, &f->conf), 0);
	conf_diag_done(&d);
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
	f->journal = journal_new(f->hosts);
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
	assert_string_equal(b.profile.uefi_x64, "lab.efi");
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
	assert_string_equal(b.profile.bios, "default.kpxe"); /* [boot] */
	assert_string_equal(b.profile.uefi_x64, "lab.efi");  /* its group */
	assert_int_equal(b.profile.lease_sec, 7200);
	/* its own override wins; moving it to another group applies at once */
	struct registry_change u = {.fields = REGISTRY_F_PROFILE | REGISTRY_F_GROUP};
	strcpy(u.d.profile.uefi_x64, "mine.efi");
	strcpy(u.d.group, "kiosk");
	assert_int_equal(registry_update(f->r, id, &u, err, sizeof err), 0);
	registry_boot_for(f->r, &c.d.macs[0], &b);
	assert_string_equal(b.profile.uefi_x64, "mine.efi");
	assert_string_equal(b.profile.bios, "kiosk.kpxe");
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
	/* from now on MAC only: the UUID finds nothing, the MACs their own devices */
	assert_null(registry_find(f->r, registry_uuid_fmt(u, us)));
	assert_int_equal(registry_get(f->r, &m1)->id, id);
	assert_int_equal(registry_count(f->r), 2);
	/* and it survives a restart */
	reopen(f);
	assert_true(registry_get_id(f->r, id)->uuid_conflict);
	assert_null(registry_find(f->r, us));
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
	/* unknown group, bad file, bad name, nothing to identify it */
	struct registry_change g = {.fields = REGISTRY_F_GROUP};
	strcpy(g.d.group, "nope");
	assert_int_equal(registry_update(f->r, id1, &g, err, sizeof err), -ENOENT);
	struct registry_change p = {.fields = REGISTRY_F_PROFILE};
	strcpy(p.d.profile.bios, "../../etc/passwd");
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

static void test_import_all_or_nothing(void **state)
{
	struct fx *f = *state;
	char err[200];
	size_t bad = 99;
	struct registry_change rows[3];
	memset(rows, 0, sizeof rows);
	for (int i = 0; i < 3; i++) {
		rows[i].fields = REGISTRY_F_MACS | REGISTRY_F_NAME | REGISTRY_F_GROUP;
		rows[i].d.macs[0] = mac(20 + i);
		rows[i].d.n_macs = 1;
		snprintf(rows[i].d.name, sizeof rows[i].d.name, "node%d", i);
		strcpy(rows[i].d.group, "lab");
	}
	strcpy(rows[1].d.group, "nope"); /* row 2 names a group that does not exist */
	assert_int_equal(registry_import(f->r, rows, 3, &bad, err, sizeof err), -ENOENT);
	assert_int_equal(bad, 1);
	assert_int_equal(registry_count(f->r), 0);
	reopen(f);
	assert_int_equal(registry_count(f->r), 0); /* nothing reached the store */
	/* a duplicate name between rows is caught too */
	strcpy(rows[1].d.group, "lab");
	strcpy(rows[2].d.name, "NODE0");
	assert_int_equal(registry_import(f->r, rows, 3, &bad, err, sizeof err), -EEXIST);
	assert_int_equal(bad, 2);
	strcpy(rows[2].d.name, "node2");
	assert_int_equal(registry_import(f->r, rows, 3, &bad, err, sizeof err), 0);
	assert_int_equal(registry_count(f->r), 3);
	/* imported devices are approved; a re-import updates them by MAC */
	assert_int_equal(registry_find(f->r, "node1")->state, REGISTRY_APPROVED);
	strcpy(rows[1].d.name, "renamed");
	assert_int_equal(registry_import(f->r, rows + 1, 1, &bad, err, sizeof err), 0);
	assert_int_equal(registry_count(f->r), 3);
	reopen(f);
	assert_non_null(registry_find(f->r, "renamed"));
	assert_null(registry_find(f->r, "node1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_unknown_policies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_profile_layers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_attaches_then_conflicts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_placeholder_uuids, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uuid_byte_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_changes_validated, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
