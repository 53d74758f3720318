/* The boot journal: every step of a device's network boot as an event with
 * a stable dotted name raised at one place ("dhcp.offer",
 * "tftp.file_missing"), kept in a bounded ring per device.
 *
 * Events are keyed by MAC. A module that only knows the client's address
 * (TFTP, HTTP) passes mac = NULL and the journal finds the MAC through the
 * hosts table; when nobody knows the address, the event is kept under the
 * address alone. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct hosts;

#define JOURNAL_DETAIL_MAX 120
#define JOURNAL_RING       32   /* events kept per device */
#define JOURNAL_DEVICES    2048 /* devices in memory; the least recently active goes first */

struct journal_event {
	int64_t time_ms;  /* wall clock, milliseconds */
	const char *name; /* a string literal: the stable event name */
	struct hwaddr mac;
	uint32_t ip;
	char detail[JOURNAL_DETAIL_MAX];
};

struct journal;

struct journal *journal_new(struct hosts *hosts);
void journal_free(struct journal *j);

/* Records one event. name must be a string literal (it is kept by pointer). */
void journal_event(struct journal *j, const struct hwaddr *mac, uint32_t ip, const char *name,
                   const char *fmt, ...) NB_PRINTF(5, 6);

/* Calls fn for the events kept for mac, oldest first; returns how many. */
size_t journal_foreach(const struct journal *j, const struct hwaddr *mac,
                       void (*fn)(const struct journal_event *e, void *data), void *data);
