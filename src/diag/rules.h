/* diag/: the diagnosis over a device's boot journal, a module above the
 * journal (its events) and the registry (what it knows of the device).
 * Each rule reads the events' fields (and
 * what the registry says about the device) and, when its condition holds
 * now, writes a finding: a plain-language sentence, the events that show
 * it, and what to do about it. docs/journal.md lists every rule.
 *
 * Rules are pure functions of their inputs (no clock, no files): the
 * unit tests feed them hand-made event sequences. A rule reports what is
 * still the case at the end of the journal; a fault the device got past
 * (a missing file that later arrived, a loop that later progressed) is
 * not reported. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "journal/journal.h"

struct registry_device;
struct registry_profile;

enum diag_severity {
	DIAG_INFO = 0,
	DIAG_WARNING = 1, /* something is wrong, the device may still boot */
	DIAG_ERROR = 2,   /* this stops the device from booting */
};

#define DIAG_EVIDENCE_MAX 8
#define DIAG_TEXT_MAX     512
#define DIAG_FINDINGS_MAX 16 /* one per rule at most */

struct diag_finding {
	const char *rule; /* stable name: "missing_boot_file", "boot_loop", ... */
	enum diag_severity severity;
	char finding[DIAG_TEXT_MAX];        /* what is wrong, in a sentence or two */
	char fix[DIAG_TEXT_MAX];            /* what to do */
	size_t evidence[DIAG_EVIDENCE_MAX]; /* indexes into the events, ascending */
	size_t n_evidence;
};

/* What netbay knows beside the events; any field may be NULL or "". */
struct diag_facts {
	const struct registry_device *dev;      /* the registry's device */
	const struct registry_profile *profile; /* the boot profile it gets now (merged) */
	const char *boot_root;                  /* [tftp] root */
	const char *who;                        /* how commands in fixes name it: name or MAC */
};

/* Runs every rule over ev (n events, oldest first). Writes at most max
 * findings into out, errors before warnings before notes, and returns how
 * many. */
size_t diag_run(const struct journal_entry *ev, size_t n, const struct diag_facts *facts,
                struct diag_finding *out, size_t max);

/* "error", "warning", "info". */
const char *diag_severity_name(enum diag_severity s);
