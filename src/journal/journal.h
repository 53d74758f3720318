/* The boot journal: every step of a device's network boot as an event with
 * a stable dotted name raised at one place ("dhcp.offer",
 * "tftp.file_missing"), kept in a bounded ring per device.
 *
 * Events are keyed by MAC. A module that only knows the client's address
 * (TFTP, HTTP) passes mac = NULL and the journal finds the MAC through the
 * hosts table; when nobody knows the address, the event is kept under the
 * address alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct hosts;
struct registry;
struct store;

#define JOURNAL_DETAIL_MAX  120
#define JOURNAL_NAME_MAX    32
#define JOURNAL_RING        32   /* events kept per device */
#define JOURNAL_DEVICES     2048 /* devices in memory; the least recently active goes first */
#define JOURNAL_KEEP        500  /* events kept per device in the store */
#define JOURNAL_PRUNE_EVERY 50   /* a device's stored events are trimmed after this many more */

struct journal_event {
	int64_t time_ms;  /* wall clock, milliseconds */
	const char *name; /* a string literal: the stable event name */
	struct hwaddr mac;
	bool stored; /* also written to the store */
	uint32_t ip;
	char detail[JOURNAL_DETAIL_MAX];
};

struct journal;

struct journal *journal_new(struct hosts *hosts);
void journal_free(struct journal *j);

/* From now on events are also written into st's current batch (the loop
 * commits it once per turn) when they belong to a device reg knows, or
 * are TFTP or HTTP events ("tftp.*", "http.*") of a known MAC; a plain
 * DHCP client costs no write. Each device's stored events are trimmed to
 * the newest JOURNAL_KEEP, one DELETE per JOURNAL_PRUNE_EVERY events.
 * Both are kept by pointer; NULL st: memory only (again). NULL-safe. */
void journal_persist(struct journal *j, struct store *st, const struct registry *reg);

/* Records one event. name must be a string literal (it is kept by pointer). */
void journal_event(struct journal *j, const struct hwaddr *mac, uint32_t ip, const char *name,
                   const char *fmt, ...) NB_PRINTF(5, 6);

/* Calls fn for the events kept for mac, oldest first; returns how many. */
size_t journal_foreach(const struct journal *j, const struct hwaddr *mac,
                       void (*fn)(const struct journal_event *e, void *data), void *data);

/* An event read back: from the ring or the store, with its own strings. */
struct journal_entry {
	int64_t time_ms;
	struct hwaddr mac;
	uint32_t ip;
	char name[JOURNAL_NAME_MAX];
	char detail[JOURNAL_DETAIL_MAX];
};

/* The newest max events of the n_macs MACs (one device's), oldest first:
 * those in the store and those only in memory, merged by time. Returns
 * how many, with *ret (the caller frees it; NULL when none), or -errno.
 * A NULL j has no events. */
int journal_read(struct journal *j, const struct hwaddr *macs, size_t n_macs, size_t max,
                 struct journal_entry **ret);
