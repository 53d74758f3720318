/* The diagnosis rules on hand-made journeys: each rule on the sequence
 * that shows its fault, and on the ones that look alike but must not
 * trigger it (a normal boot above all). Details are written the way the
 * raise sites write them. */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/boot.h"
#include "diag/rules.h"
#include "registry/registry.h"
#include "store/legacy.h"

#define MAC  "52:54:00:00:00:01"
#define SEC  1000
#define MIN_ (60 * SEC)

struct seq {
	struct journal_entry ev[160];
	size_t n;
	int64_t t;
};

/* The address these DHCP lines print is the event's own (its store column). */
static void ip_of_line(struct journal_entry *e)
{
	static const enum journal_kind own[] = {
	        JOURNAL_DHCP_OFFER,           JOURNAL_DHCP_REQUEST,         JOURNAL_DHCP_ACK,
	        JOURNAL_DHCP_DECLINE,         JOURNAL_DHCP_DECLINE_REFUSED, JOURNAL_DHCP_RELEASE,
	        JOURNAL_DHCP_RELEASE_REFUSED, JOURNAL_DHCP_NAME_REFUSED};
	char w[32];
	for (size_t i = 0; i < NB_ARRAY_SIZE(own); i++)
		for (const char *p = e->detail; e->f.kind == own[i] && *p; p++) {
			size_t n = strspn(p, "0123456789.");
			snprintf(w, sizeof w, "%.*s", (int) NB_MIN(n, 31), p);
			if (n && ip4_parse(w, &e->ip) == 0)
				return;
			p += n ? n - 1 : 0;
		}
}

/* Appends an event dt_ms after the previous one; returns its index. The
 * journeys are written as the lines netbay prints (and printed before the
 * facts were typed): the store's converter of old lines reads them into
 * fields, and the one formatter must print the same line from them, so
 * every case here checks both, and the rules read only the fields. */
static size_t add(struct seq *s, int64_t dt_ms, const char *name, const char *fmt, ...)
        NB_PRINTF(4, 5);
static size_t add(struct seq *s, int64_t dt_ms, const char *name, const char *fmt, ...)
{
	va_list ap;
	assert_true(s->n < NB_ARRAY_SIZE(s->ev));
	struct journal_entry *e = &s->ev[s->n];
	memset(e, 0, sizeof *e);
	s->t += dt_ms;
	e->time_ms = 1767225600000 + s->t;
	assert_int_equal(hwaddr_parse(MAC, &e->mac), 0);
	snprintf(e->name, sizeof e->name, "%s", name);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
	e->f.kind = journal_kind_parse(name);
	ip_of_line(e);
	char *fact = store_legacy_fact(name, e->detail);
	json_t *o = json_loads(fact, 0, NULL);
	journal_fields_from_json(o, &e->f);
	json_decref(o);
	/* a line that says nothing readable (a garbled one) has no fields to print */
	if (e->f.kind != JOURNAL_OTHER && strcmp(fact, "{}") != 0) {
		char again[JOURNAL_DETAIL_MAX];
		journal_format(&e->f, e->ip, &e->mac, again, sizeof again);
		if (strcmp(again, e->detail) != 0)
			fail_msg("%s: \"%s\" formats as \"%s\"", name, e->detail, again);
	}
	free(fact);
	return s->n++;
}

/* ---- journeys as netbay records them */

/* A PXE ROM's DHCP exchange offered file (full mode). */
static size_t rom_dhcp(struct seq *s, const char *arch, const char *file)
{
	add(s, 2 * SEC, "dhcp.discover", "via eth0");
	size_t offer = add(s, 1, "pxe.boot", "%s: %s (PXE: the loader over TFTP)", arch, file);
	add(s, 1, "dhcp.offer", "10.0.0.100");
	add(s, 500, "dhcp.request", "SELECTING 10.0.0.100");
	add(s, 1, "pxe.boot", "%s: %s (PXE: the loader over TFTP)", arch, file);
	add(s, 1, "dhcp.ack", "10.0.0.100 for 3600s");
	return offer;
}

static size_t tftp_ok(struct seq *s, const char *file)
{
	add(s, 300, "tftp.request", "read file=\"%s\" mode=octet blksize=1468 tsize=0", file);
	return add(s, 400, "tftp.complete",
	           "file=\"%s\" bytes=69632 ms=390 blksize=1468 windowsize=1 timeouts=0", file);
}

static size_t tftp_missing(struct seq *s, const char *file)
{
	add(s, 300, "tftp.request", "read file=\"%s\" mode=octet blksize=1468 tsize=0", file);
	return add(s, 1, "tftp.file_missing", "file=\"%s\" (no such file)", file);
}

static size_t tftp_timeout(struct seq *s, const char *file, int block, int blksize)
{
	add(s, 300, "tftp.request", "read file=\"%s\" mode=octet blksize=%d tsize=0", file,
	    blksize);
	return add(s, 20 * SEC, "tftp.timeout",
	           "last_acked_block=%d bytes_acked=%d retries=5 blksize=%d file=\"%s\"", block,
	           block * blksize, blksize, file);
}

/* iPXE, once loaded: DHCP again, its script, then the kernel and initrd. */
static void ipxe_stage(struct seq *s, const char *arch, bool kernel)
{
	add(s, 3 * SEC, "dhcp.discover", "via eth0");
	add(s, 1, "pxe.boot",
	    "%s, iPXE: http://10.0.0.1/boot/" MAC ".ipxe (iPXE: its script over HTTP)", arch);
	add(s, 1, "dhcp.offer", "10.0.0.100");
	add(s, 300, "dhcp.request", "SELECTING 10.0.0.100");
	add(s, 1, "dhcp.ack", "10.0.0.100 for 3600s");
	add(s, 200, "http.ipxe_script", "GET for pc1 (" MAC ") from the built-in template");
	if (kernel) {
		add(s, 300, "http.fetch", "GET vmlinuz: 200, bytes 0-8388607 of 8388608");
		add(s, 900, "http.fetch", "GET initrd.img: 200, bytes 0-33554431 of 33554432");
	}
}

static void normal_boot(struct seq *s, const char *arch, const char *loader)
{
	rom_dhcp(s, arch, loader);
	tftp_ok(s, loader);
	ipxe_stage(s, arch, true);
}

/* ---- running the rules */

static struct registry_device dev;
static struct registry_profile prof;
static struct diag_facts facts;
static struct diag_finding out[16];

static void reset(struct seq *s)
{
	memset(s, 0, sizeof *s);
	memset(&dev, 0, sizeof dev);
	memset(&prof, 0, sizeof prof);
	dev.state = REGISTRY_APPROVED;
	dev.arch = -1;
	strcpy(prof.loaders.file[BOOT_BIOS], "undionly.kpxe");
	strcpy(prof.loaders.file[BOOT_UEFI_X64], "ipxe.efi");
	facts = (struct diag_facts){
	        .dev = &dev, .profile = &prof, .boot_root = "/srv/boot", .who = "pc1"};
}

static size_t diagnose(const struct seq *s)
{
	memset(out, 0, sizeof out);
	return diag_run(s->ev, s->n, &facts, out, NB_ARRAY_SIZE(out));
}

/* The one finding of rule, or NULL (and fails if there are two). */
static const struct diag_finding *find(const struct seq *s, const char *rule)
{
	size_t n = diagnose(s);
	const struct diag_finding *f = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].rule, rule) == 0) {
			assert_null(f);
			f = &out[i];
		}
	return f;
}

static void expect_nothing(const struct seq *s)
{
	size_t n = diagnose(s);
	for (size_t i = 0; i < n; i++)
		print_message("unexpected %s: %s\n", out[i].rule, out[i].finding);
	assert_int_equal(n, 0);
}

static bool cited(const struct diag_finding *f, size_t i)
{
	for (size_t k = 0; k < f->n_evidence; k++)
		if (f->evidence[k] == i)
			return true;
	return false;
}

#define assert_has(text, needle)                                                                   \
	do {                                                                                       \
		if (!strstr((text), (needle)))                                                     \
			print_message("'%s' not in: %s\n", (needle), (text));                      \
		assert_non_null(strstr((text), (needle)));                                         \
	} while (0)

/* ---- normal boots: nothing to say */

static void test_normal_boots_are_quiet(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	normal_boot(&s, "x86 BIOS", "undionly.kpxe");
	expect_nothing(&s);
	/* twice in a row (a reboot) */
	normal_boot(&s, "x86 BIOS", "undionly.kpxe");
	expect_nothing(&s);
	reset(&s);
	normal_boot(&s, "x64 UEFI", "ipxe.efi");
	expect_nothing(&s);
	/* proxy mode: no offers of ours at all */
	reset(&s);
	add(&s, 0, "dhcp.proxy_request", "DISCOVER on port 67");
	add(&s, 1, "pxe.boot", "x64 UEFI: snponly.efi (PXE: the loader over TFTP)");
	tftp_ok(&s, "snponly.efi");
	expect_nothing(&s);
	/* an empty journal */
	reset(&s);
	expect_nothing(&s);
}

/* ---- missing boot file */

static void test_missing_boot_file(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	strcpy(prof.loaders.file[BOOT_UEFI_X64], "nope.efi");
	size_t offer = 0, miss = 0;
	for (int i = 0; i < 3; i++) {
		offer = rom_dhcp(&s, "x64 UEFI", "nope.efi");
		miss = tftp_missing(&s, "nope.efi");
	}
	const struct diag_finding *f = find(&s, "missing_boot_file");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_ERROR);
	assert_has(f->finding, "\"nope.efi\"");
	assert_has(f->finding, "/srv/boot");
	assert_has(f->finding, "3 times");
	assert_has(f->fix, "Put \"nope.efi\" into /srv/boot");
	assert_true(cited(f, miss));
	assert_true(cited(f, offer + 3)); /* the ACK's offer, the last one */
	/* and nothing else: the device loops, but on a file it never gets */
	assert_int_equal(diagnose(&s), 1);
	/* the admin copied it in, the next boot got it: cured */
	rom_dhcp(&s, "x64 UEFI", "nope.efi");
	tftp_ok(&s, "nope.efi");
	ipxe_stage(&s, "x64 UEFI", true);
	assert_null(find(&s, "missing_boot_file"));
}

static void test_missing_file_over_http(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	add(&s, 0, "dhcp.discover", "via eth0");
	add(&s, 1, "pxe.boot",
	    "x64 UEFI HTTP: http://10.0.0.1/efi/boot.efi (UEFI HTTP boot: the loader by URL)");
	add(&s, 1, "dhcp.offer", "10.0.0.100");
	size_t miss = add(&s, 900, "http.file_missing", "GET /efi/boot.efi: no such file");
	const struct diag_finding *f = find(&s, "missing_boot_file");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_ERROR);
	assert_has(f->finding, "\"efi/boot.efi\"");
	assert_true(cited(f, miss));
}

static void test_probed_files_are_not_missing(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* pxelinux looks for its config under several names, then the default */
	strcpy(prof.loaders.file[BOOT_BIOS], "pxelinux.0");
	rom_dhcp(&s, "x86 BIOS", "pxelinux.0");
	tftp_ok(&s, "pxelinux.0");
	tftp_ok(&s, "ldlinux.c32");
	tftp_missing(&s, "pxelinux.cfg/01-52-54-00-00-00-01");
	tftp_missing(&s, "pxelinux.cfg/0A000064");
	tftp_ok(&s, "pxelinux.cfg/default");
	expect_nothing(&s);
	/* but a missing file that ends the journey is worth a word */
	tftp_missing(&s, "vmlinuz-6.1");
	const struct diag_finding *f = find(&s, "missing_boot_file");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_WARNING);
	assert_has(f->finding, "\"vmlinuz-6.1\"");
}

/* ---- boot loop */

static void test_boot_loop_loader_only(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	size_t last = 0;
	for (int i = 0; i < 4; i++) {
		rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
		last = tftp_ok(&s, "ipxe.efi");
	}
	const struct diag_finding *f = find(&s, "boot_loop");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_ERROR);
	assert_has(f->finding, "\"ipxe.efi\" 4 times");
	assert_has(f->finding, "never got further");
	assert_has(f->fix, "never takes over");
	assert_int_equal(f->n_evidence, 4);
	assert_true(cited(f, last));
	/* three in a row is a loop; two is a reboot */
	reset(&s);
	for (int i = 0; i < 2; i++) {
		rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
		tftp_ok(&s, "ipxe.efi");
	}
	expect_nothing(&s);
}

static void test_boot_loop_needs_a_short_time(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* one boot an hour (a lab machine reimaged every hour) is no loop */
	for (int i = 0; i < 4; i++) {
		s.t += 60 * MIN_;
		rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
		tftp_ok(&s, "ipxe.efi");
	}
	expect_nothing(&s);
}

static void test_loop_that_progressed_is_over(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	for (int i = 0; i < 3; i++) {
		rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
		tftp_ok(&s, "ipxe.efi");
	}
	assert_non_null(find(&s, "boot_loop"));
	/* then iPXE got its script and the kernel: the boot went further */
	ipxe_stage(&s, "x64 UEFI", true);
	expect_nothing(&s);
}

static void test_boot_loop_whole_rounds(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* the kernel is loaded every time, and the machine starts over */
	for (int i = 0; i < 3; i++)
		normal_boot(&s, "x64 UEFI", "ipxe.efi");
	const struct diag_finding *f = find(&s, "boot_loop");
	assert_non_null(f);
	assert_has(f->finding, "\"ipxe.efi\" 3 times");
	assert_has(f->finding, "as far as \"initrd.img\"");
	assert_has(f->fix, "restarts after loading \"initrd.img\"");
	/* iPXE's script fetched over and over, nothing after it */
	reset(&s);
	for (int i = 0; i < 5; i++)
		ipxe_stage(&s, "x64 UEFI", false);
	f = find(&s, "boot_loop");
	assert_non_null(f);
	assert_has(f->finding, "\"the iPXE script\" 5 times");
	assert_has(f->fix, "a command in the script fails");
}

static void test_partial_fetches_are_no_deliveries(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* a UEFI HTTP boot client asks for the size, then the file in parts */
	for (int i = 0; i < 3; i++)
		add(&s, 100, "http.fetch", "HEAD efi/boot.efi: 200, bytes 0-1048575 of 1048576");
	for (int i = 0; i < 3; i++)
		add(&s, 100, "http.fetch", "GET efi/boot.efi: 206, bytes %d-%d of 1048576",
		    i * 262144, i * 262144 + 262143);
	expect_nothing(&s);
	add(&s, 100, "http.fetch", "GET efi/boot.efi: 206, bytes 786432-1048575 of 1048576");
	add(&s, 100, "http.fetch", "GET efi/boot.efi: 200, bytes 0-1048575 of 1048576");
	expect_nothing(&s);
	add(&s, 100, "http.fetch", "GET efi/boot.efi: 200, bytes 0-1048575 of 1048576");
	const struct diag_finding *f = find(&s, "boot_loop");
	assert_non_null(f);
	assert_has(f->finding, "\"efi/boot.efi\" 3 times");
}

static void test_waiting_script_is_no_loop(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	dev.state = REGISTRY_PENDING;
	rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
	tftp_ok(&s, "ipxe.efi");
	for (int i = 0; i < 10; i++)
		add(&s, 15 * SEC, "http.ipxe_wait",
		    "GET for an unnamed device (" MAC ") from the waiting-for-approval script");
	assert_null(find(&s, "boot_loop"));
	assert_non_null(find(&s, "pending_approval"));
}

static void test_evidence_keeps_the_newest(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	size_t last = 0;
	for (int i = 0; i < 12; i++) {
		rom_dhcp(&s, "x86 BIOS", "undionly.kpxe");
		last = tftp_ok(&s, "undionly.kpxe");
	}
	const struct diag_finding *f = find(&s, "boot_loop");
	assert_non_null(f);
	assert_has(f->finding, "12 times");
	assert_int_equal(f->n_evidence, DIAG_EVIDENCE_MAX);
	assert_int_equal(f->evidence[DIAG_EVIDENCE_MAX - 1], last);
	for (size_t k = 1; k < f->n_evidence; k++)
		assert_true(f->evidence[k - 1] < f->evidence[k]);
}

/* ---- architecture mismatch */

static void test_arch_mismatch_bios_loader_to_uefi(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	strcpy(prof.loaders.file[BOOT_UEFI_X64], "undionly.kpxe");
	size_t offer = rom_dhcp(&s, "x64 UEFI", "undionly.kpxe");
	size_t got = tftp_ok(&s, "undionly.kpxe");
	const struct diag_finding *f = find(&s, "arch_mismatch");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_ERROR);
	assert_has(f->finding, "an x64 UEFI client");
	assert_has(f->finding, "\"undionly.kpxe\", a BIOS loader");
	assert_has(f->fix, "Set uefi-x64");
	assert_has(f->fix, "to an x64 UEFI build");
	assert_true(cited(f, offer));
	assert_true(cited(f, got));
	/* and the other way round */
	reset(&s);
	strcpy(prof.loaders.file[BOOT_BIOS], "ipxe.efi");
	rom_dhcp(&s, "x86 BIOS", "ipxe.efi");
	f = find(&s, "arch_mismatch");
	assert_non_null(f);
	assert_has(f->finding, "an x86 BIOS client");
	assert_has(f->finding, "a UEFI loader");
	assert_has(f->fix, "Set bios");
}

static void test_arch_mismatch_arm_and_x64(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* by name */
	rom_dhcp(&s, "x64 UEFI", "arm64/ipxe.efi");
	const struct diag_finding *f = find(&s, "arch_mismatch");
	assert_non_null(f);
	assert_has(f->finding, "an ARM64 UEFI loader");
	reset(&s);
	add(&s, 0, "pxe.boot", "ARM64 UEFI HTTP: http://10.0.0.1/bootx64.efi (UEFI HTTP boot)");
	f = find(&s, "arch_mismatch");
	assert_non_null(f);
	assert_has(f->finding, "an x64 UEFI loader");
	assert_has(f->fix, "Set http-arm64");
	/* by profile key: one file named for two architectures */
	reset(&s);
	strcpy(prof.loaders.file[BOOT_UEFI_ARM64], "ipxe.efi");
	rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
	f = find(&s, "arch_mismatch");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_WARNING);
	assert_has(f->finding, "also the uefi-arm64 loader");
	/* the right one, with an arch in its name or not, is fine */
	reset(&s);
	rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
	rom_dhcp(&s, "x64 UEFI", "shimx64.efi");
	rom_dhcp(&s, "ARM64 UEFI", "grubaa64.efi");
	expect_nothing(&s);
}

static void test_arch_mismatch_judges_the_latest_offer(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	rom_dhcp(&s, "x64 UEFI", "undionly.kpxe");
	rom_dhcp(&s, "x64 UEFI", "ipxe.efi"); /* fixed since */
	assert_null(find(&s, "arch_mismatch"));
	/* iPXE's own DHCP gets a script URL: not a loader to judge */
	reset(&s);
	ipxe_stage(&s, "x86 BIOS", true);
	expect_nothing(&s);
}

/* ---- OFFER never followed by REQUEST */

static void test_offers_not_taken(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	size_t last = 0;
	for (int i = 0; i < 4; i++) {
		add(&s, 4 * SEC, "dhcp.discover", "via eth0");
		last = add(&s, 1, "dhcp.offer", "10.0.0.100");
	}
	const struct diag_finding *f = find(&s, "offer_unanswered");
	assert_non_null(f);
	assert_has(f->finding, "4 times in a row");
	assert_has(f->fix, "UDP port 68");
	assert_true(cited(f, last));
	/* two unanswered, or answered in the end: nothing */
	reset(&s);
	for (int i = 0; i < 2; i++) {
		add(&s, 4 * SEC, "dhcp.discover", "via eth0");
		add(&s, 1, "dhcp.offer", "10.0.0.100");
	}
	expect_nothing(&s);
	for (int i = 0; i < 3; i++) {
		add(&s, 4 * SEC, "dhcp.discover", "via eth0");
		add(&s, 1, "dhcp.offer", "10.0.0.100");
	}
	assert_non_null(find(&s, "offer_unanswered"));
	add(&s, 300, "dhcp.request", "SELECTING 10.0.0.100");
	add(&s, 1, "dhcp.ack", "10.0.0.100 for 3600s");
	expect_nothing(&s);
}

static void test_another_server_chosen(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	add(&s, 0, "dhcp.discover", "via eth0");
	add(&s, 1, "dhcp.offer", "10.0.0.100");
	size_t other = add(&s, 300, "dhcp.other_server", "client chose the offer of 10.0.0.254");
	const struct diag_finding *f = find(&s, "offer_unanswered");
	assert_non_null(f);
	assert_has(f->finding, "another DHCP server, 10.0.0.254");
	assert_has(f->fix, "mode = proxy");
	assert_true(cited(f, other));
	/* a later lease of ours: over */
	add(&s, 60 * SEC, "dhcp.discover", "via eth0");
	add(&s, 1, "dhcp.offer", "10.0.0.100");
	add(&s, 300, "dhcp.request", "SELECTING 10.0.0.100");
	assert_null(find(&s, "offer_unanswered"));
}

/* auto mode: netbay stepped back beside another server (written as probe.c writes it) */
static void test_foreign_server(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	size_t fs = add(&s, 0, "dhcp.foreign_server", "server=10.0.0.254 interface=eth0");
	add(&s, 1, "dhcp.proxy_request", "DISCOVER on port 67");
	add(&s, 1, "pxe.boot", "x64 UEFI: ipxe.efi (PXE: the loader over TFTP)");
	const struct diag_finding *f = find(&s, "foreign_server");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_INFO);
	assert_has(f->finding, "Another DHCP server, 10.0.0.254, answers on eth0");
	assert_has(f->fix, "3 of its probes");
	assert_true(cited(f, fs));
	/* the server went away and netbay leased to the device since: history */
	rom_dhcp(&s, "x64 UEFI", "ipxe.efi");
	assert_null(find(&s, "foreign_server"));
	/* a detail without its fields is not guessed at */
	reset(&s);
	add(&s, 0, "dhcp.foreign_server", "garbled");
	assert_null(find(&s, "foreign_server"));
}

/* ---- transfer stalls */

static void test_transfer_stall_same_block(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	size_t t = 0;
	for (int i = 0; i < 3; i++) {
		rom_dhcp(&s, "x86 BIOS", "undionly.kpxe");
		t = tftp_timeout(&s, "undionly.kpxe", 5, 1468);
	}
	const struct diag_finding *f = find(&s, "transfer_stall");
	assert_non_null(f);
	assert_has(f->finding, "3 attempts");
	assert_has(f->finding, "block 5 (7340 bytes in)");
	assert_has(f->finding, "1468-byte blocks");
	assert_has(f->fix, "max-blksize");
	assert_true(cited(f, t));
	/* at block 0 it says so */
	reset(&s);
	tftp_timeout(&s, "ipxe.efi", 0, 1468);
	tftp_timeout(&s, "ipxe.efi", 0, 1468);
	f = find(&s, "transfer_stall");
	assert_non_null(f);
	assert_has(f->finding, "no data block at all");
	/* small blocks stall too: not the MTU */
	reset(&s);
	tftp_timeout(&s, "ipxe.efi", 9, 512);
	tftp_timeout(&s, "ipxe.efi", 9, 512);
	f = find(&s, "transfer_stall");
	assert_non_null(f);
	assert_has(f->fix, "Even small blocks");
}

static void test_transfer_stall_negatives(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	/* one timeout: a client that was switched off */
	tftp_timeout(&s, "ipxe.efi", 5, 1468);
	expect_nothing(&s);
	/* different blocks each time: not a size problem */
	tftp_timeout(&s, "ipxe.efi", 17, 1468);
	tftp_timeout(&s, "ipxe.efi", 3, 1468);
	assert_null(find(&s, "transfer_stall"));
	/* a stall that a later transfer got past */
	reset(&s);
	tftp_timeout(&s, "ipxe.efi", 5, 1468);
	tftp_timeout(&s, "ipxe.efi", 5, 1468);
	tftp_ok(&s, "ipxe.efi");
	assert_null(find(&s, "transfer_stall"));
	/* ... and a single timeout after that counts alone */
	tftp_timeout(&s, "ipxe.efi", 5, 1468);
	assert_null(find(&s, "transfer_stall"));
}

/* ---- approval */

static void test_pending_approval(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	dev.state = REGISTRY_PENDING;
	add(&s, 0, "registry.new", "new device #4, pending");
	add(&s, 1, "dhcp.discover", "via eth0");
	size_t no = add(&s, 1, "pxe.no_boot", "the device is pending approval");
	add(&s, 1, "dhcp.offer", "10.0.0.100");
	add(&s, 300, "dhcp.request", "SELECTING 10.0.0.100");
	size_t no2 = add(&s, 1, "pxe.no_boot", "the device is pending approval");
	add(&s, 1, "dhcp.ack", "10.0.0.100 for 3600s");
	const struct diag_finding *f = find(&s, "pending_approval");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_ERROR);
	assert_has(f->finding, "pending approval");
	assert_has(f->finding, "2 boot attempts");
	assert_has(f->fix, "netbay device approve pc1");
	assert_true(cited(f, no) && cited(f, no2));
	assert_int_equal(diagnose(&s), 1);
	/* approved since: the old refusals are history (the registry's word,
	 * with or without the event) */
	dev.state = REGISTRY_APPROVED;
	expect_nothing(&s);
	add(&s, 1, "registry.state", "approved, was pending");
	expect_nothing(&s);
	/* without the registry's word, the journal's last word counts */
	facts.dev = NULL;
	expect_nothing(&s);
	add(&s, 1, "pxe.no_boot", "unknown device, pending approval");
	facts.who = NULL;
	f = find(&s, "pending_approval");
	assert_non_null(f);
	assert_has(f->fix, "netbay device approve " MAC);
}

static void test_rejected(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	dev.state = REGISTRY_REJECTED;
	add(&s, 0, "registry.state", "rejected, was pending");
	add(&s, 1, "pxe.no_boot", "the device was rejected");
	const struct diag_finding *f = find(&s, "rejected");
	assert_non_null(f);
	assert_int_equal(f->n_evidence, 2);
	assert_null(find(&s, "pending_approval"));
	assert_null(find(&s, "no_boot_file"));
}

/* ---- UUID conflicts */

static void test_uuid_conflict(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	dev.uuid_conflict = true;
	strcpy(dev.uuid, "11121314-1516-1718-191a-1b1c1d1e1f20");
	normal_boot(&s, "x64 UEFI", "ipxe.efi");
	size_t ev = add(&s, 1, "registry.uuid_conflict",
	                "UUID 11121314-1516-1718-191a-1b1c1d1e1f20 also reported by "
	                "52:54:00:00:00:02; matched by MAC only");
	const struct diag_finding *f = find(&s, "uuid_conflict");
	assert_non_null(f);
	assert_int_equal(f->severity, DIAG_WARNING);
	assert_has(f->finding, "11121314-1516-1718-191a-1b1c1d1e1f20");
	assert_has(f->finding, "also reported by 52:54:00:00:00:02");
	assert_true(cited(f, ev));
	assert_int_equal(diagnose(&s), 1);
	/* the registry says the UUID was set right since: over */
	dev.uuid_conflict = false;
	expect_nothing(&s);
	/* no registry: the event alone */
	facts.dev = NULL;
	assert_non_null(find(&s, "uuid_conflict"));
	/* a device without a MAC of its own on the other side */
	reset(&s);
	facts.dev = NULL;
	add(&s, 0, "registry.uuid_conflict",
	    "UUID 11121314-1516-1718-191a-1b1c1d1e1f20 also registered for device #7; matched "
	    "by MAC only");
	f = find(&s, "uuid_conflict");
	assert_non_null(f);
	assert_has(f->finding, "also reported by device #7");
}

/* ---- no boot file, no address */

static void test_no_loader_for_the_arch(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	add(&s, 0, "dhcp.discover", "via eth0");
	size_t no =
	        add(&s, 1, "pxe.no_boot", "ARM64 UEFI: no loader configured for this architecture");
	const struct diag_finding *f = find(&s, "no_boot_file");
	assert_non_null(f);
	assert_has(f->finding, "ARM64 UEFI clients");
	assert_has(f->fix, "Set uefi-arm64");
	assert_true(cited(f, no));
	/* a later boot with a loader: over */
	rom_dhcp(&s, "ARM64 UEFI", "ipxe-arm64.efi");
	expect_nothing(&s);
}

static void test_pool_exhausted(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	add(&s, 0, "dhcp.discover", "via eth0");
	add(&s, 1, "dhcp.no_address", "no free address in 10.0.0.0/24");
	const struct diag_finding *f = find(&s, "no_address");
	assert_non_null(f);
	assert_has(f->finding, "no free address in 10.0.0.0/24");
	normal_boot(&s, "x86 BIOS", "undionly.kpxe");
	expect_nothing(&s);
}

/* ---- ordering and limits */

static void test_errors_first_and_cut(void **state)
{
	(void) state;
	struct seq s;
	reset(&s);
	dev.uuid_conflict = true;
	add(&s, 0, "registry.uuid_conflict",
	    "UUID 11121314-1516-1718-191a-1b1c1d1e1f20 also reported by 52:54:00:00:00:02; "
	    "matched by MAC only");
	strcpy(prof.loaders.file[BOOT_UEFI_X64], "undionly.kpxe");
	rom_dhcp(&s, "x64 UEFI", "undionly.kpxe");
	tftp_missing(&s, "undionly.kpxe");
	size_t n = diagnose(&s);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].severity, DIAG_ERROR);
	assert_int_equal(out[1].severity, DIAG_ERROR);
	assert_string_equal(out[2].rule, "uuid_conflict");
	assert_string_equal(diag_severity_name(out[2].severity), "warning");
	struct diag_finding one[1];
	assert_int_equal(diag_run(s.ev, s.n, &facts, one, 1), 1);
	assert_int_equal(one[0].severity, DIAG_ERROR);
	/* no facts at all */
	assert_int_equal(diag_run(s.ev, s.n, NULL, out, 16), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normal_boots_are_quiet),
	        cmocka_unit_test(test_missing_boot_file),
	        cmocka_unit_test(test_missing_file_over_http),
	        cmocka_unit_test(test_probed_files_are_not_missing),
	        cmocka_unit_test(test_boot_loop_loader_only),
	        cmocka_unit_test(test_boot_loop_needs_a_short_time),
	        cmocka_unit_test(test_loop_that_progressed_is_over),
	        cmocka_unit_test(test_boot_loop_whole_rounds),
	        cmocka_unit_test(test_partial_fetches_are_no_deliveries),
	        cmocka_unit_test(test_waiting_script_is_no_loop),
	        cmocka_unit_test(test_evidence_keeps_the_newest),
	        cmocka_unit_test(test_arch_mismatch_bios_loader_to_uefi),
	        cmocka_unit_test(test_arch_mismatch_arm_and_x64),
	        cmocka_unit_test(test_arch_mismatch_judges_the_latest_offer),
	        cmocka_unit_test(test_offers_not_taken),
	        cmocka_unit_test(test_another_server_chosen),
	        cmocka_unit_test(test_foreign_server),
	        cmocka_unit_test(test_transfer_stall_same_block),
	        cmocka_unit_test(test_transfer_stall_negatives),
	        cmocka_unit_test(test_pending_approval),
	        cmocka_unit_test(test_rejected),
	        cmocka_unit_test(test_uuid_conflict),
	        cmocka_unit_test(test_no_loader_for_the_arch),
	        cmocka_unit_test(test_pool_exhausted),
	        cmocka_unit_test(test_errors_first_and_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
