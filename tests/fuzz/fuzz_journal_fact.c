/* A stored event as the store holds it: its name, its old detail line
 * (read once by the schema-3 migration, store/legacy.c) and its fields as
 * JSON (the events.fact column, which a damaged or foreign file may hold
 * anything in). Input: NAME NUL DETAIL [NUL JSON]. Whatever the fields
 * read back, the formatter stays within its buffer and the ring's packed
 * form gives back what it was given. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal.h"
#include "store/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct journal_fields *f)
{
	char line[JOURNAL_DETAIL_MAX], again[JOURNAL_DETAIL_MAX];
	uint8_t packed[200];
	struct journal_fields g;
	const struct hwaddr mac = {{2, 0, 0, 0, 0, 1}};
	journal_format(f, 0x0a000001, &mac, line, sizeof line);
	if (strlen(line) >= sizeof line)
		abort();
	size_t n = journal_fields_pack(f, packed, sizeof packed);
	if (n > sizeof packed)
		abort();
	journal_fields_unpack(packed, n, &g);
	if (n < sizeof packed - 2) { /* nothing was cut: the same line again */
		journal_format(&g, 0x0a000001, &mac, again, sizeof again);
		if (g.kind != f->kind || strcmp(line, again) != 0)
			abort();
	}
	json_t *o = json_object();
	if (o && journal_fields_json(f, o) < 0)
		abort();
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = 0;
	const char *name = buf, *detail = buf + strlen(buf) + 1;
	const char *doc = detail < buf + size ? detail + strlen(detail) + 1 : NULL;
	struct journal_fields f = {.kind = journal_kind_parse(name)};
	char *fact = store_legacy_fact(name, detail <= buf + size ? detail : "");
	json_t *o = fact ? json_loads(fact, 0, NULL) : NULL;
	if (fact && !o)
		abort(); /* the converter writes JSON */
	journal_fields_from_json(o, &f);
	json_decref(o);
	free(fact);
	check(&f);
	if (doc && doc <= buf + size) {
		o = json_loads(doc, 0, NULL);
		struct journal_fields h = {.kind = f.kind};
		journal_fields_from_json(o, &h);
		json_decref(o);
		check(&h);
	}
	/* the packed form read from bytes it did not write */
	journal_fields_unpack(data, size > 200 ? 200 : size, &f);
	check(&f);
	free(buf);
	return 0;
}
