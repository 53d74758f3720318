/* The journal events netbay stored before schema 3 had a name and a
 * detail line only. The migration to schema 3 reads those lines once into
 * the fields the journal stores since (a JSON object, the "fact" column;
 * docs/journal.md lists its keys). Nothing else parses detail lines. */
#pragma once

/* The fields an old event's detail line says, as a JSON object's text
 * ("{}" when it says none). Returns a malloc'd string or NULL (no memory). */
char *store_legacy_fact(const char *name, const char *detail);
