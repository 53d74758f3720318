/* The device list format of `netbay device import` and `export`: CSV
 * lines "mac,name,uuid,group".
 *
 * - An optional header line names the columns (any order, any case; "mac"
 *   or "macs", "name", "uuid", "group"); without one the order is that.
 * - RFC 4180 quoting ("a,b", "" for a quote) is accepted; a quoted field
 *   does not span lines. Whitespace around a field is dropped. CRLF line
 *   ends, a UTF-8 byte order mark, blank lines and '#' comment lines are
 *   fine.
 * - mac: one or more MACs (space-separated) in any common notation
 *   (aa:bb:cc:dd:ee:ff, aa-bb-.., aabb.ccdd.eeff, aabbccddeeff).
 * - uuid: 8-4-4-4-12 or 32 hex digits, in the order option 97 carries it
 *   ("wire"), or as dmidecode shows SMBIOS 2.6+ UUIDs ("smbios": the first
 *   three fields byte-swapped), chosen by the caller.
 * - Empty fields are allowed; a row needs a MAC or a UUID.
 *
 * The parser checks syntax only (the server checks groups, names taken,
 * MACs of other devices) and reports every bad line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "registry/registry.h"

#define CLI_CSV_LINE_MAX   4096  /* bytes in one line */
#define CLI_CSV_FIELDS_MAX 16    /* fields in one line */
#define CLI_CSV_ROWS_MAX   10000 /* devices in one file: the API's import limit */

/* Splits one line (without its line break) in place into at most max
 * fields: quotes removed, outer whitespace trimmed. Returns the number of
 * fields, or -EINVAL with *ret_why (a string literal) for bad quoting or
 * more than max fields. */
int cli_csv_split(char *line, char *fields[], size_t max, const char **ret_why);

struct cli_csv_device {
	int line; /* in the file, from 1 */
	struct hwaddr macs[REGISTRY_MAX_MACS];
	size_t n_macs;
	char name[REGISTRY_NAME_MAX];    /* "" : not given */
	char uuid[REGISTRY_UUID_STRLEN]; /* canonical, wire order; "" : not given */
	char group[REGISTRY_NAME_MAX];   /* "" : not given */
};

struct cli_csv_devices {
	struct cli_csv_device *v; /* the good rows, in file order */
	size_t n, cap;
	size_t n_bad; /* bad lines (each reported) */
};

/* Reads a whole file's bytes. smbios: UUIDs are in SMBIOS order. Calls
 * bad(line, why, data) for every bad line (why is valid during the call)
 * and keeps the good rows in out (free with cli_csv_devices_done). Returns 0
 * (whatever the bad lines), or -ENOMEM, or -E2BIG past CLI_CSV_ROWS_MAX rows
 * (reported as a bad line too). */
int cli_csv_devices_parse(const char *buf, size_t len, bool smbios, struct cli_csv_devices *out,
                          void (*bad)(int line, const char *why, void *data), void *data);
void cli_csv_devices_done(struct cli_csv_devices *d);
