/* The diagnosis rules of `netbay why` (diag/rules.h; docs/journal.md
 * says what each one looks for and why). Every rule reads the events'
 * fields (journal/journal.h), never their detail lines: those are for
 * people, and are only quoted. */
#include "diag/rules.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/boot.h"
#include "core/conf.h"
#include "registry/registry.h"

#define LOOP_MIN       3                /* deliveries of one file that make a loop */
#define LOOP_GAP_MS    (10 * 60 * 1000) /* ... each within this of the one before */
#define STALL_MIN      2                /* timeouts at the same block that make a stall */
#define UNANSWERED_MIN 3                /* OFFERs in a row the client did not take */
#define RULES_MAX      DIAG_FINDINGS_MAX
#define FILE_LEN       JOURNAL_FILE_MAX

struct run {
	const struct journal_entry *ev;
	size_t n;
	const struct diag_facts *f;
	struct diag_finding found[RULES_MAX];
	size_t count;
	char who[REGISTRY_NAME_MAX + HWADDR_STRLEN];
};

const char *diag_severity_name(enum diag_severity s)
{
	switch (s) {
	case DIAG_ERROR:
		return "error";
	case DIAG_WARNING:
		return "warning";
	default:
		return "info";
	}
}

/* ---- findings */

static struct diag_finding *finding(struct run *d, const char *rule, enum diag_severity sev)
{
	if (d->count == RULES_MAX)
		return NULL;
	struct diag_finding *x = &d->found[d->count++];
	memset(x, 0, sizeof *x);
	x->rule = rule;
	x->severity = sev;
	return x;
}

static void say(char *buf, const char *fmt, ...) NB_PRINTF(2, 3);
static void say(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, DIAG_TEXT_MAX, fmt, ap);
	va_end(ap);
}

/* Adds event i to the evidence, kept in order; when full the oldest goes. */
static void cite(struct diag_finding *x, size_t i)
{
	size_t k = 0;
	while (k < x->n_evidence && x->evidence[k] < i)
		k++;
	if (k < x->n_evidence && x->evidence[k] == i)
		return;
	if (x->n_evidence == DIAG_EVIDENCE_MAX) {
		if (k == 0)
			return; /* older than everything kept */
		memmove(x->evidence, x->evidence + 1, (k - 1) * sizeof *x->evidence);
		x->evidence[k - 1] = i;
		return;
	}
	memmove(x->evidence + k + 1, x->evidence + k, (x->n_evidence - k) * sizeof *x->evidence);
	x->evidence[k] = i;
	x->n_evidence++;
}

/* ---- reading the fields */

static bool is(const struct journal_entry *e, enum journal_kind k)
{
	return e->f.kind == k;
}

/* pxe.boot: what was offered, to which firmware. */
struct offer {
	int arch; /* -1: none with a name */
	bool ipxe;
	bool http; /* a UEFI HTTP boot client */
	const char *file;
};

static bool get_offer(const struct journal_entry *e, struct offer *o)
{
	if (!is(e, JOURNAL_PXE_BOOT) || !e->f.file[0])
		return false;
	o->arch = boot_arch_named(e->f.arch) ? e->f.arch : -1;
	o->ipxe = e->f.ipxe;
	o->http = e->f.http;
	o->file = e->f.file;
	return true;
}

/* The file an event says is missing, as a boot-root path. */
static bool missing_path(const struct journal_entry *e, char *out, size_t n)
{
	if (!is(e, JOURNAL_TFTP_FILE_MISSING) && !is(e, JOURNAL_HTTP_FILE_MISSING))
		return false;
	nb_strlcpy(out, boot_file_path(e->f.file), n);
	return true;
}

/* A whole file delivered to the device (the key a loop is counted by):
 * tftp.complete, an HTTP GET that reached the file's last byte, or an iPXE
 * script. The waiting-for-approval script is not one: it is meant to repeat. */
static bool delivered(const struct journal_entry *e, char *out, size_t n)
{
	const struct journal_fields *f = &e->f;
	if (is(e, JOURNAL_TFTP_COMPLETE)) {
		nb_strlcpy(out, boot_file_path(f->file), n);
		return true;
	}
	if (is(e, JOURNAL_HTTP_IPXE_SCRIPT)) {
		nb_strlcpy(out, "the iPXE script", n);
		return true;
	}
	if (!is(e, JOURNAL_HTTP_FETCH) || strcmp(f->method, "GET") != 0)
		return false;
	if ((f->status != 200 && f->status != 206) || (f->size && f->range_end + 1 != f->size))
		return false;
	nb_strlcpy(out, boot_file_path(f->file), n);
	return true;
}

static const char *root_of(const struct run *d)
{
	return d->f->boot_root && d->f->boot_root[0] ? d->f->boot_root
	                                             : "the boot root ([tftp] root)";
}

/* ---- rule: missing boot file */

/* The newest miss no later delivery of the same file cured. */
static bool current_miss(const struct run *d, size_t *ret_i, char *path, size_t n)
{
	for (size_t i = d->n; i-- > 0;) {
		char p[FILE_LEN], q[FILE_LEN];
		if (!missing_path(&d->ev[i], p, sizeof p))
			continue;
		bool cured = false;
		for (size_t k = i + 1; k < d->n && !cured; k++)
			cured = delivered(&d->ev[k], q, sizeof q) && strcmp(p, q) == 0;
		if (cured)
			return false;
		*ret_i = i;
		nb_strlcpy(path, p, n);
		return true;
	}
	return false;
}

static void rule_missing_file(struct run *d)
{
	char path[FILE_LEN], p[FILE_LEN];
	size_t last, misses = 0;
	ssize_t offer = -1;
	bool later_delivery = false;
	if (!current_miss(d, &last, path, sizeof path))
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct offer o;
		if (get_offer(&d->ev[i], &o) && strcmp(boot_file_path(o.file), path) == 0)
			offer = (ssize_t) i;
		if (missing_path(&d->ev[i], p, sizeof p) && strcmp(p, path) == 0)
			misses++;
		if (i > last && delivered(&d->ev[i], p, sizeof p))
			later_delivery = true;
	}
	/* a loader probing for optional files (pxelinux.cfg/01-MAC, ...) misses
	 * some and goes on: only a miss that ends the journey matters then */
	if (offer < 0 && later_delivery)
		return;
	struct diag_finding *x =
	        finding(d, "missing_boot_file", offer >= 0 ? DIAG_ERROR : DIAG_WARNING);
	if (!x)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (missing_path(&d->ev[i], p, sizeof p) && strcmp(p, path) == 0)
			cite(x, i);
	if (offer >= 0) {
		cite(x, (size_t) offer);
		say(x->finding,
		    "The device was offered the boot file \"%s\", but %s has no such file: "
		    "it asked for it %zu time%s and was told it does not exist.",
		    path, root_of(d), misses, misses == 1 ? "" : "s");
		say(x->fix,
		    "Put \"%s\" into %s, or point the device's profile at a loader that is "
		    "there (the [boot] key for its firmware, or the same key in its [group] or "
		    "its own profile, whichever names \"%s\").",
		    path, root_of(d), path);
	} else {
		say(x->finding,
		    "The last file the device asked for, \"%s\", is not in %s, and nothing was "
		    "loaded after it.",
		    path, root_of(d));
		say(x->fix,
		    "Put \"%s\" into %s, or correct what names it: the loader's configuration "
		    "or the iPXE script ([http] ipxe-template or the profile's template).",
		    path, root_of(d));
	}
}

/* ---- rule: boot loop */

struct delivery {
	size_t i;
	char key[FILE_LEN];
};

/* The deliveries of the last session (each within LOOP_GAP_MS of the one
 * before); returns how many, newest last. */
static size_t session(const struct run *d, struct delivery *v)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (!delivered(&d->ev[i], v[n].key, sizeof v[n].key))
			continue;
		if (n && d->ev[i].time_ms - d->ev[v[n - 1].i].time_ms > LOOP_GAP_MS) {
			v[0] = v[n];
			n = 0;
		}
		v[n++].i = i;
	}
	return n;
}

static size_t count_key(const struct delivery *v, size_t n, const char *key)
{
	size_t c = 0;
	for (size_t k = 0; k < n; k++)
		c += strcmp(v[k].key, key) == 0;
	return c;
}

/* The file delivered most often in the session, the earliest on a tie. */
static size_t most_delivered(const struct delivery *v, size_t n, size_t *ret_count)
{
	size_t best = 0, best_c = 0;
	for (size_t k = 0; k < n; k++) {
		size_t c = count_key(v, n, v[k].key);
		if (c > best_c) {
			best = k;
			best_c = c;
		}
	}
	*ret_count = best_c;
	return best;
}

static void loop_fix(struct diag_finding *x, const char *key, const char *last)
{
	if (strcmp(key, "the iPXE script") == 0)
		say(x->fix,
		    "iPXE gets its script and starts over: a command in the script fails (a "
		    "kernel or initrd that is not there, a wrong URL). Check the template "
		    "([http] ipxe-template or the profile's) and the files it names.");
	else if (!last)
		say(x->fix,
		    "The loader arrives but never takes over, so the firmware starts PXE again. "
		    "Check that it suits the firmware (see arch_mismatch if it is reported; "
		    "Secure Boot needs a signed loader), and for iPXE that it can fetch its "
		    "script (HTTP on and reachable). If another DHCP server answers iPXE too, it "
		    "may be handing it the loader again.");
	else
		say(x->fix,
		    "The machine restarts after loading \"%s\": watch its console to see what "
		    "fails there (a kernel panic, an installer that reboots), and check the "
		    "kernel command line or script that \"%s\" is started with.",
		    last, last);
}

static void rule_boot_loop(struct run *d)
{
	struct delivery *v = malloc((d->n ? d->n : 1) * sizeof *v);
	size_t n = v ? session(d, v) : 0, c;
	if (!n) {
		free(v);
		return;
	}
	size_t top = most_delivered(v, n, &c);
	const char *key = v[top].key;
	size_t second = top + 1;
	while (second < n && strcmp(v[second].key, key) != 0)
		second++;
	/* progress: a file the rounds before the repeat never reached */
	bool progress = c < LOOP_MIN;
	for (size_t k = second + 1; k < n && !progress; k++) {
		bool seen = false;
		for (size_t p = 0; p < second && !seen; p++)
			seen = strcmp(v[p].key, v[k].key) == 0;
		progress = !seen;
	}
	struct diag_finding *x = progress ? NULL : finding(d, "boot_loop", DIAG_ERROR);
	if (x) {
		/* the stage each round reached: the last other file between the
		 * last two deliveries of the repeated one */
		size_t last = n - 1, prev, first = top;
		while (strcmp(v[last].key, key) != 0)
			last--;
		prev = last - 1;
		while (strcmp(v[prev].key, key) != 0)
			prev--;
		const char *stage = last - prev > 1 ? v[last - 1].key : NULL;
		for (size_t k = 0; k < n; k++)
			if (strcmp(v[k].key, key) == 0)
				cite(x, v[k].i);
		long long secs = (d->ev[v[n - 1].i].time_ms - d->ev[v[first].i].time_ms) / 1000;
		if (!stage)
			say(x->finding,
			    "The device fetched \"%s\" %zu times in %lld s and never got further: "
			    "no script and no other file after it.",
			    key, c, secs);
		else
			say(x->finding,
			    "The device fetched \"%s\" %zu times in %lld s: each round got as far "
			    "as "
			    "\"%s\" and started over.",
			    key, c, secs, stage);
		loop_fix(x, key, stage);
	}
	free(v);
}

/* ---- rule: architecture mismatch */

static enum boot_file_kind loader_wanted(enum boot_family f)
{
	switch (f) {
	case BOOT_FAMILY_BIOS:
		return BOOT_FILE_BIOS;
	case BOOT_FAMILY_UEFI_IA32:
		return BOOT_FILE_UEFI_IA32;
	case BOOT_FAMILY_UEFI_X64:
		return BOOT_FILE_UEFI_X64;
	case BOOT_FAMILY_UEFI_ARM64:
		return BOOT_FILE_UEFI_ARM64;
	default:
		return BOOT_FILE_UNKNOWN;
	}
}

static const char *loader_name(enum boot_file_kind k)
{
	switch (k) {
	case BOOT_FILE_BIOS:
		return "a BIOS loader";
	case BOOT_FILE_UEFI_IA32:
		return "a 32-bit x86 (IA32) UEFI loader";
	case BOOT_FILE_UEFI_X64:
		return "an x64 UEFI loader";
	case BOOT_FILE_UEFI_ARM64:
		return "an ARM64 UEFI loader";
	case BOOT_FILE_UEFI:
		return "a UEFI loader";
	default:
		return "a loader of unknown kind";
	}
}

/* Whether a loader of kind k can run on firmware f: a UEFI loader whose
 * name does not say its architecture is given the benefit of the doubt. */
static bool loader_fits(enum boot_file_kind k, enum boot_family f)
{
	enum boot_file_kind want = loader_wanted(f);
	if (k == BOOT_FILE_UNKNOWN || want == BOOT_FILE_UNKNOWN)
		return true;
	if (k == BOOT_FILE_UEFI)
		return want != BOOT_FILE_BIOS;
	return k == want;
}

/* By profile key: the same file is also the loader of another UEFI
 * architecture, so it cannot be right for both. Returns that key or NULL. */
static const char *shared_with(const struct registry_profile *p, const char *path,
                               enum boot_family f)
{
	static const enum boot_family uefi[] = {BOOT_FAMILY_UEFI_IA32, BOOT_FAMILY_UEFI_X64,
	                                        BOOT_FAMILY_UEFI_ARM64};
	for (size_t i = 0; p && i < NB_ARRAY_SIZE(uefi); i++)
		for (int http = 0; http < 2; http++) {
			const char *v = boot_loader(&p->loaders, uefi[i], http);
			if (uefi[i] != f && v[0] && strcmp(boot_file_path(v), path) == 0)
				return boot_family_key(uefi[i], http);
		}
	return NULL;
}

static void arch_mismatch_say(struct run *d, struct diag_finding *x, const struct offer *o,
                              enum boot_file_kind k, const char *also)
{
	enum boot_family f = boot_arch_family(o->arch);
	const char *key = boot_family_key(f, o->http), *path = boot_file_path(o->file);
	if (also)
		say(x->finding,
		    "The device is an %s client and was offered \"%s\", which is also the "
		    "%s loader: one binary cannot run on both architectures.",
		    boot_arch_phrase(o->arch), path, also);
	else
		say(x->finding,
		    "The device is an %s client but was offered \"%s\", %s: its firmware cannot "
		    "run it.",
		    boot_arch_phrase(o->arch), path, loader_name(k)); /* every arch name: "an" */
	const char *now = d->f->profile ? boot_loader(&d->f->profile->loaders, f, o->http) : "";
	char note[REGISTRY_FILE_MAX + 64] = "";
	if (now[0] && strcmp(boot_file_path(now), path) != 0)
		snprintf(note, sizeof note, " (%s now names \"%s\": check the next boot)", key,
		         now);
	say(x->fix,
	    "Set %s (in [boot], or in the device's [group] or own profile, whichever gives "
	    "\"%s\") to an %s build%s, e.g. %s; BIOS loaders (.kpxe, .pxe, .0) belong in "
	    "bios, ARM64 ones in uefi-arm64.",
	    key, path, boot_arch_phrase(o->arch), note,
	    f == BOOT_FAMILY_BIOS ? "undionly.kpxe" : "ipxe.efi or snponly.efi");
}

static void rule_arch_mismatch(struct run *d)
{
	struct offer o = {0}, last = {.file = ""};
	ssize_t at = -1;
	for (size_t i = 0; i < d->n; i++)
		if (get_offer(&d->ev[i], &o) && !o.ipxe && o.arch >= 0) {
			last = o;
			at = (ssize_t) i;
		}
	if (at < 0)
		return;
	enum boot_family f = boot_arch_family(last.arch);
	const char *path = boot_file_path(last.file);
	enum boot_file_kind k = boot_file_kind(path);
	const char *also = NULL;
	if (loader_fits(k, f)) {
		/* the name does not tell: the profile may (same file for two arches) */
		if (k != BOOT_FILE_UEFI || !(also = shared_with(d->f->profile, path, f)))
			return;
	}
	struct diag_finding *x = finding(d, "arch_mismatch", also ? DIAG_WARNING : DIAG_ERROR);
	if (!x)
		return;
	for (size_t i = 0; i < d->n; i++) {
		char p[FILE_LEN];
		if (get_offer(&d->ev[i], &o) && !o.ipxe &&
		    strcmp(boot_file_path(o.file), path) == 0)
			cite(x, i);
		else if (i > (size_t) at && delivered(&d->ev[i], p, sizeof p) &&
		         strcmp(p, path) == 0)
			cite(x, i); /* it was loaded, and then? */
	}
	arch_mismatch_say(d, x, &last, k, also);
}

/* ---- rule: OFFER never followed by REQUEST */

static void rule_offer_unanswered(struct run *d)
{
	ssize_t other = -1, answered = -1;
	size_t unanswered = 0;
	bool pending_offer = false;
	for (size_t i = 0; i < d->n; i++) {
		const struct journal_entry *e = &d->ev[i];
		if (is(e, JOURNAL_DHCP_OFFER)) {
			unanswered += pending_offer; /* the one before was not taken */
			pending_offer = true;
		} else if (is(e, JOURNAL_DHCP_REQUEST) || is(e, JOURNAL_DHCP_ACK)) {
			answered = (ssize_t) i;
			other = -1;
			unanswered = 0;
			pending_offer = false;
		} else if (is(e, JOURNAL_DHCP_OTHER_SERVER)) {
			other = (ssize_t) i;
			unanswered = 0;
			pending_offer = false;
		}
	}
	unanswered += pending_offer;
	if (other < 0 && unanswered < UNANSWERED_MIN)
		return;
	struct diag_finding *x = finding(d, "offer_unanswered", DIAG_ERROR);
	if (!x)
		return;
	for (size_t i = (size_t) (answered + 1); i < d->n; i++)
		if (is(&d->ev[i], JOURNAL_DHCP_OFFER) || is(&d->ev[i], JOURNAL_DHCP_OTHER_SERVER))
			cite(x, i);
	if (other >= 0) {
		char a[IP4_STRLEN];
		uint32_t server = d->ev[other].f.server;
		const char *srv = server ? ip4_fmt(server, a) : "another server";
		say(x->finding,
		    "The device took the offer of another DHCP server, %s, instead of netbay's, "
		    "so it does not get netbay's boot information.",
		    srv);
		say(x->fix,
		    "Two DHCP servers answer on this network. Turn off the one at %s (or its "
		    "DHCP on this segment), or keep it and run netbay beside it with [dhcp] "
		    "mode = proxy, which only adds the boot information.",
		    srv);
		return;
	}
	say(x->finding,
	    "netbay offered the device an address %zu times in a row and it never asked for "
	    "it (no REQUEST): the offers do not reach it, or it ignores them.",
	    unanswered);
	say(x->fix,
	    "Look for what drops DHCP replies to the client: a firewall on UDP port 68, a "
	    "switch's DHCP snooping that trusts only another server's port, a VLAN or relay "
	    "that does not carry them back. A client that hears another server may also be "
	    "taking its offer without saying so.");
}

/* ---- rule: transfer stalling at the same block */

static bool stalled_at(const struct journal_entry *e, const char *file, long long block)
{
	return is(e, JOURNAL_TFTP_TIMEOUT) && strcmp(e->f.file, file) == 0 &&
	       (long long) e->f.block == block;
}

static void rule_transfer_stall(struct run *d)
{
	char p[FILE_LEN];
	const char *file = NULL;
	ssize_t last = -1;
	for (size_t i = d->n; i-- > 0 && last < 0;)
		if (is(&d->ev[i], JOURNAL_TFTP_TIMEOUT)) {
			last = (ssize_t) i;
			file = d->ev[i].f.file;
		}
	if (last < 0)
		return;
	for (size_t i = (size_t) last + 1; i < d->n; i++)
		if (delivered(&d->ev[i], p, sizeof p) && strcmp(p, boot_file_path(file)) == 0)
			return; /* it got through later */
	const struct journal_fields *t = &d->ev[last].f;
	long long block = (long long) t->block, blksize = t->blksize, bytes = (long long) t->bytes;
	/* the attempts since the file last got through */
	size_t since = (size_t) last, same = 0;
	while (since > 0 &&
	       !(delivered(&d->ev[since - 1], p, sizeof p) && strcmp(p, boot_file_path(file)) == 0))
		since--;
	for (size_t i = since; i <= (size_t) last; i++)
		same += stalled_at(&d->ev[i], file, block);
	if (block < 0 || same < STALL_MIN)
		return;
	struct diag_finding *x = finding(d, "transfer_stall", DIAG_ERROR);
	if (!x)
		return;
	for (size_t i = since; i <= (size_t) last; i++)
		if (stalled_at(&d->ev[i], file, block))
			cite(x, i);
	char size[48] = "";
	if (blksize)
		snprintf(size, sizeof size, " with %lld-byte blocks", blksize);
	if (block == 0)
		say(x->finding,
		    "TFTP transfers of \"%s\" stopped at the same place in %zu attempts: the "
		    "client acknowledged no data block at all%s.",
		    file, same, size);
	else
		say(x->finding,
		    "TFTP transfers of \"%s\" stopped at the same place in %zu attempts: block "
		    "%lld (%lld bytes in) was the last the client acknowledged%s.",
		    file, same, block, bytes, size);
	if (blksize > 512)
		say(x->fix,
		    "Blocks of this size do not get through: lower [tftp] max-blksize (1024, or "
		    "512 to rule the size out) or fix the MTU on the way (a VLAN, tunnel or VPN "
		    "under 1500 bytes). A NIC ROM that always fails at one block may need "
		    "[tftp] max-windowsize = 1, or iPXE loading over HTTP.");
	else
		say(x->fix,
		    "Even small blocks stop at the same place: look for a firewall or a flaky "
		    "link between netbay and the client, try [tftp] max-windowsize = 1 for a "
		    "buggy NIC ROM, or load the file over HTTP with iPXE.");
}

/* ---- rules: approval */

static bool waiting_event(const struct journal_entry *e)
{
	return (is(e, JOURNAL_PXE_NO_BOOT) && e->f.cause == JOURNAL_CAUSE_PENDING) ||
	       is(e, JOURNAL_HTTP_IPXE_WAIT);
}

static bool rejected_event(const struct journal_entry *e)
{
	return (is(e, JOURNAL_PXE_NO_BOOT) || is(e, JOURNAL_HTTP_REFUSED)) &&
	       e->f.cause == JOURNAL_CAUSE_REJECTED;
}

/* The state the device is in now: the registry's when known, else the
 * journal's last word on it. */
static int state_now(const struct run *d)
{
	if (d->f->dev)
		return d->f->dev->state;
	for (size_t i = d->n; i-- > 0;) {
		const struct journal_entry *e = &d->ev[i];
		if (waiting_event(e))
			return REGISTRY_PENDING;
		if (rejected_event(e))
			return REGISTRY_REJECTED;
		if (is(e, JOURNAL_PXE_BOOT) || is(e, JOURNAL_REGISTRY_STATE))
			return REGISTRY_APPROVED;
	}
	return -1;
}

static void rule_pending(struct run *d)
{
	if (state_now(d) != REGISTRY_PENDING)
		return;
	size_t waits = 0, scripts = 0;
	struct diag_finding *x = finding(d, "pending_approval", DIAG_ERROR);
	if (!x)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (waiting_event(&d->ev[i])) {
			cite(x, i);
			waits++;
			scripts += is(&d->ev[i], JOURNAL_HTTP_IPXE_WAIT);
		}
	for (size_t i = 0; i < d->n && !waits; i++)
		if (is(&d->ev[i], JOURNAL_REGISTRY_NEW))
			cite(x, i);
	if (scripts)
		say(x->finding,
		    "The device is pending approval: it runs netbay's waiting script (fetched %zu "
		    "time%s) and boots only once an admin approves it.",
		    scripts, scripts == 1 ? "" : "s");
	else
		say(x->finding,
		    "The device is pending approval: netbay gives it no boot file until an admin "
		    "approves it (%zu boot attempt%s refused so far).",
		    waits, waits == 1 ? "" : "s");
	say(x->fix,
	    "Approve it: netbay device approve %s. To let new machines boot without "
	    "approval, set [dhcp] unknown-devices = approve (and default-group).",
	    d->who);
}

static void rule_rejected(struct run *d)
{
	if (state_now(d) != REGISTRY_REJECTED)
		return;
	struct diag_finding *x = finding(d, "rejected", DIAG_ERROR);
	if (!x)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (rejected_event(&d->ev[i]) || (is(&d->ev[i], JOURNAL_REGISTRY_STATE) &&
		                                  strcmp(d->ev[i].f.state, "rejected") == 0))
			cite(x, i);
	say(x->finding, "The device was rejected: netbay gives it no boot file.");
	say(x->fix, "If it should boot, approve it: netbay device approve %s.", d->who);
}

/* ---- rule: conflicting UUID */

static void rule_uuid_conflict(struct run *d)
{
	const struct registry_device *dev = d->f->dev;
	ssize_t last = -1;
	for (size_t i = 0; i < d->n; i++)
		if (is(&d->ev[i], JOURNAL_REGISTRY_UUID_CONFLICT))
			last = (ssize_t) i;
	/* the registry knows whether it still holds (a new UUID clears it) */
	if (dev ? !dev->uuid_conflict : last < 0)
		return;
	struct diag_finding *x = finding(d, "uuid_conflict", DIAG_WARNING);
	if (!x)
		return;
	char uuid[REGISTRY_UUID_STRLEN + 1] = "", other[64] = "another device";
	if (dev && dev->uuid[0])
		nb_strlcpy(uuid, dev->uuid, sizeof uuid);
	for (size_t i = 0; i < d->n; i++) {
		const struct journal_fields *u = &d->ev[i].f;
		if (!is(&d->ev[i], JOURNAL_REGISTRY_UUID_CONFLICT))
			continue;
		cite(x, i);
		if (!uuid[0])
			nb_strlcpy(uuid, u->uuid, sizeof uuid);
		if (u->has & JOURNAL_HAS_OTHER_MAC)
			hwaddr_fmt(&u->other_mac, other);
		else if (u->has & JOURNAL_HAS_ID)
			snprintf(other, sizeof other, "device #%llu", (unsigned long long) u->id);
	}
	say(x->finding,
	    "The device's SMBIOS UUID %s is also reported by %s: a cloned virtual machine or a "
	    "board with a vendor default. netbay matches both by MAC only, so neither is "
	    "found by its UUID.",
	    uuid[0] ? uuid : "(unknown)", other);
	say(x->fix,
	    "Give each machine its own UUID (the hypervisor's VM settings, or the board "
	    "vendor's DMI tool), then set the device's uuid in the registry, which clears the "
	    "conflict. If both MACs are NICs of one machine, make them one device with both "
	    "MACs.");
}

/* ---- rule: no boot file for another reason */

static void rule_no_boot(struct run *d)
{
	ssize_t at = -1;
	for (size_t i = 0; i < d->n; i++)
		if (is(&d->ev[i], JOURNAL_PXE_BOOT) || is(&d->ev[i], JOURNAL_PXE_NO_BOOT))
			at = (ssize_t) i;
	if (at < 0 || !is(&d->ev[at], JOURNAL_PXE_NO_BOOT) || waiting_event(&d->ev[at]) ||
	    rejected_event(&d->ev[at]))
		return;
	const struct journal_fields *nb = &d->ev[at].f;
	const char *det = d->ev[at].detail; /* quoted, not read */
	int arch = boot_arch_named(nb->arch) ? nb->arch : -1;
	struct diag_finding *x = finding(d, "no_boot_file", DIAG_ERROR);
	if (!x)
		return;
	cite(x, (size_t) at);
	if (nb->cause == JOURNAL_CAUSE_NO_LOADER) {
		const char *key = boot_family_key(boot_arch_family(arch), nb->http);
		say(x->finding,
		    "No loader is configured for %s clients, so the device gets no boot file.",
		    arch >= 0 ? boot_arch_phrase(arch) : "its kind of");
		say(x->fix,
		    "Set %s in [boot] (or in the device's [group] or own profile) to a loader in "
		    "%s, e.g. %s.",
		    key, root_of(d),
		    boot_arch_family(arch) == BOOT_FAMILY_BIOS ? "bios = undionly.kpxe"
		                                               : "uefi-x64 = ipxe.efi");
	} else if (nb->cause == JOURNAL_CAUSE_HTTP_OFF) {
		say(x->finding, "The device boots over HTTP (iPXE or UEFI HTTP boot), but netbay's "
		                "HTTP server is off, so it gets no boot file.");
		say(x->fix, "Turn HTTP on: [http] enable = yes (and a port the clients reach).");
	} else if (nb->cause == JOURNAL_CAUSE_IGNORED) {
		say(x->finding, "The device is not in the registry and [dhcp] unknown-devices = "
		                "ignore, so netbay gives it no boot file.");
		say(x->fix,
		    "Add it to the registry (netbay device add %s), or set [dhcp] "
		    "unknown-devices = pending or approve.",
		    d->who);
	} else {
		say(x->finding, "netbay gives the device no boot file: %s.", det);
		say(x->fix, "See the reason above and the device's profile.");
	}
}

/* ---- rule: no address */

static void rule_no_address(struct run *d)
{
	ssize_t at = -1;
	for (size_t i = 0; i < d->n; i++)
		if (d->ev[i].f.kind > JOURNAL_DHCP_DISCOVER &&
		    d->ev[i].f.kind <= JOURNAL_DHCP_FOREIGN_SERVER) /* a dhcp.* answer */
			at = (ssize_t) i;
	if (at < 0 || !is(&d->ev[at], JOURNAL_DHCP_NO_ADDRESS))
		return;
	struct diag_finding *x = finding(d, "no_address", DIAG_ERROR);
	if (!x)
		return;
	cite(x, (size_t) at);
	say(x->finding, "netbay had no address to give the device: %s.", d->ev[at].detail);
	say(x->fix, "Widen the subnet's range, shorten its lease-time, or end stale leases (netbay "
	            "lease list, netbay lease release).");
}

/* ---- rule: another DHCP server on the device's segment (mode = auto) */

static void rule_foreign_server(struct run *d)
{
	ssize_t at = -1;
	char srv[IP4_STRLEN];
	for (size_t i = 0; i < d->n; i++)
		if (is(&d->ev[i], JOURNAL_DHCP_FOREIGN_SERVER))
			at = (ssize_t) i;
		else if (is(&d->ev[i], JOURNAL_DHCP_ACK))
			at = -1; /* netbay leased to it since: history */
	if (at < 0 || !d->ev[at].f.server || !d->ev[at].f.iface[0])
		return;
	const char *ifn = d->ev[at].f.iface;
	ip4_fmt(d->ev[at].f.server, srv);
	struct diag_finding *x = finding(d, "foreign_server", DIAG_INFO);
	if (!x)
		return;
	cite(x, (size_t) at);
	say(x->finding,
	    "Another DHCP server, %s, answers on %s, so netbay ([dhcp] mode = auto) serves only "
	    "network boot there: the device's address comes from that server, its boot "
	    "information from netbay.",
	    srv, ifn);
	say(x->fix,
	    "Nothing, if %s belongs there (mode = proxy says so for good). If it does not, turn "
	    "its DHCP off on this segment: netbay leases addresses there again once %d of its "
	    "probes in a row ([dhcp] probe-interval) go unanswered.",
	    srv, CONF_PROBE_MISSES);
}

/* ---- all together */

static void (*const rules[])(struct run *d) = {
        rule_pending,          rule_rejected,      rule_no_boot,        rule_no_address,
        rule_offer_unanswered, rule_missing_file,  rule_arch_mismatch,  rule_transfer_stall,
        rule_boot_loop,        rule_uuid_conflict, rule_foreign_server,
};
_Static_assert(NB_ARRAY_SIZE(rules) <= RULES_MAX, "a finding per rule must fit");

size_t diag_run(const struct journal_entry *ev, size_t n, const struct diag_facts *facts,
                struct diag_finding *out, size_t max)
{
	static const struct diag_facts none = {0};
	struct run *d = calloc(1, sizeof *d);
	size_t k = 0;
	if (!d)
		return 0;
	d->ev = ev;
	d->n = n;
	d->f = facts ? facts : &none;
	if (d->f->who && d->f->who[0])
		nb_strlcpy(d->who, d->f->who, sizeof d->who);
	else if (n)
		hwaddr_fmt(&ev[n - 1].mac, d->who);
	else
		nb_strlcpy(d->who, "MAC", sizeof d->who);
	for (size_t i = 0; i < NB_ARRAY_SIZE(rules); i++)
		rules[i](d);
	/* the most severe first; rules in table order within a severity */
	for (int sev = DIAG_ERROR; sev >= DIAG_INFO; sev--)
		for (size_t i = 0; i < d->count && k < max; i++)
			if ((int) d->found[i].severity == sev)
				out[k++] = d->found[i];
	free(d);
	return k;
}
