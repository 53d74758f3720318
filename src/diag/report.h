/* A device's journey as JSON, for the REST API (docs/api.md) and through
 * it `netbay why`: which device a key names, its events, and what the
 * diagnosis rules (diag/rules.h) find in them. */
#pragma once

#include <stddef.h>

#include "core/util.h"
#include "registry/registry.h"

struct hosts;
struct journal;
struct journal_entry;
struct json_t;

#define DIAG_API_EVENTS 64  /* events GET .../journal returns */
#define DIAG_WHY_EVENTS 200 /* events GET .../why reads and diagnoses */

/* Where a report reads from; any pointer but journal may be NULL. */
struct diag_sources {
	struct journal *journal;
	const struct registry *registry;
	const struct hosts *hosts;
	const char *boot_root; /* [tftp] root, named in fixes */
};

/* The device a key names: a registry device (by MAC in any notation, name,
 * "#ID" or UUID: registry_find), else a MAC netbay has seen, else the MAC
 * of a lease's or reservation's host name. */
struct diag_subject {
	const struct registry_device *dev; /* NULL: not in the registry */
	struct hwaddr macs[REGISTRY_MAX_MACS];
	size_t n_macs;
	char name[REGISTRY_NAME_MAX]; /* the device's or host's name, or "" */
};

/* Resolves key. Returns 0, -EINVAL (key cannot name anything; err says
 * so) or -ENOENT (nothing by that key has been seen; err says so). */
int diag_subject_find(const struct diag_sources *src, const char *key, struct diag_subject *ret,
                      char *err, size_t errlen);

/* {"time": "2026-01-01T12:00:00.123Z", "name", "ip" (or null), "detail",
 * "mac"}; NULL on allocation failure. */
struct json_t *diag_entry_json(const struct journal_entry *e);

/* {"mac", "events": [...]}: the newest DIAG_API_EVENTS of the subject.
 * Returns 0 with *ret (a new reference) or -errno. */
int diag_events_json(const struct diag_sources *src, const struct diag_subject *s,
                     struct json_t **ret);

/* {"device": {...}, "events": [...], "findings": [{"rule", "severity",
 * "finding", "evidence": [indexes into events], "fix"}]}. Returns 0 with
 * *ret (a new reference) or -errno. */
int diag_why_json(const struct diag_sources *src, const struct diag_subject *s,
                  struct json_t **ret);
