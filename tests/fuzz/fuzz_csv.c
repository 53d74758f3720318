/* Device CSV files (netbay device import): the first byte picks the UUID
 * order, the rest is the file. Every kept row is a valid import row: a
 * MAC or a UUID, a valid name, a canonical UUID, and its line exists. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(int line, const char *why, void *data)
{
	size_t *n = data;
	if (line < 1 || !why || !why[0])
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_csv_devices d;
	size_t bad = 0, lines = 1;
	uint8_t u[16];
	if (size < 1)
		return 0;
	bool smbios = data[0] & 1;
	for (size_t i = 1; i < size; i++)
		lines += data[i] == '\n';
	int r = cli_csv_devices_parse((const char *) data + 1, size - 1, smbios, &d, count, &bad);
	if (r < 0 && r != -E2BIG)
		abort();
	if (bad != d.n_bad || d.n > CLI_CSV_ROWS_MAX)
		abort();
	for (size_t i = 0; i < d.n; i++) {
		const struct cli_csv_device *c = &d.v[i];
		if (c->line < 1 || (size_t) c->line > lines || (i && c->line <= d.v[i - 1].line))
			abort();
		if (!c->n_macs && !c->uuid[0])
			abort();
		if (c->n_macs > REGISTRY_MAX_MACS || strlen(c->name) >= sizeof c->name)
			abort();
		if (c->name[0] && (!nb_hostname_valid(c->name) || strchr(c->name, '.')))
			abort();
		if (c->uuid[0] &&
		    (strlen(c->uuid) != 36 || registry_uuid_parse(c->uuid, false, u) < 0 ||
		     registry_uuid_placeholder(u)))
			abort();
	}
	cli_csv_devices_done(&d);
	return 0;
}
