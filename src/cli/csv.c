#include "cli/csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int cli_csv_split(char *line, char *fields[], size_t max, const char **ret_why)
{
	size_t n = 0;
	char *r = line;
	for (;;) {
		char *end, sep;
		if (n == max) {
			*ret_why = "too many fields";
			return -EINVAL;
		}
		while (blank(*r))
			r++;
		if (*r == '"') {
			/* RFC 4180 §2: "" inside a quoted field is one quote */
			char *w = ++r;
			fields[n] = w;
			for (;;) {
				if (!*r) {
					*ret_why = "a quoted field is not closed";
					return -EINVAL;
				}
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			end = w; /* w < r: the closing quote was read */
			while (blank(*r))
				r++;
			if (*r && *r != ',') {
				*ret_why = "text after a closing quote";
				return -EINVAL;
			}
		} else {
			fields[n] = r;
			while (*r && *r != ',') {
				if (*r == '"') {
					*ret_why = "a quote inside an unquoted field";
					return -EINVAL;
				}
				r++;
			}
			end = r;
			while (end > fields[n] && blank(end[-1]))
				end--;
		}
		sep = *r;
		*end = 0;
		n++;
		if (sep != ',')
			return (int) n;
		r++;
	}
}

/* s for a message: at most 40 bytes, bytes outside printable ASCII as \xNN. */
static const char *shown(const char *s, char buf[static 64])
{
	size_t w = 0;
	for (; *s && w < 40; s++) {
		unsigned char c = (unsigned char) *s;
		if (c >= 0x20 && c < 0x7f)
			buf[w++] = (char) c;
		else
			w += (size_t) snprintf(buf + w, 64 - w, "\\x%02x", c);
	}
	snprintf(buf + w, 64 - w, "%s", *s ? "..." : "");
	return buf;
}

enum { COL_MAC, COL_NAME, COL_UUID, COL_GROUP, N_COLS };
static const char *const col_names[N_COLS] = {"mac", "name", "uuid", "group"};

struct layout {
	int col[N_COLS]; /* field index of each column; -1: absent */
	size_t n;        /* fields a row may have */
};

static int col_of(const char *s)
{
	for (int i = 0; i < N_COLS; i++)
		if (strcasecmp(s, col_names[i]) == 0)
			return i;
	return strcasecmp(s, "macs") == 0 ? COL_MAC : -1;
}

/* A header line: 1 (layout set), 0 (not a header), -EINVAL (why set). */
static int header(char *const f[], size_t n, struct layout *lay, char *why, size_t whylen)
{
	char b[64];
	if (col_of(f[0]) < 0)
		return 0;
	for (int i = 0; i < N_COLS; i++)
		lay->col[i] = -1;
	for (size_t i = 0; i < n; i++) {
		int c = col_of(f[i]);
		if (c < 0) {
			snprintf(why, whylen,
			         "header: unknown column '%s' (mac, name, uuid, group)",
			         shown(f[i], b));
			return -EINVAL;
		}
		if (lay->col[c] >= 0) {
			snprintf(why, whylen, "header: column %s is named twice", col_names[c]);
			return -EINVAL;
		}
		lay->col[c] = (int) i;
	}
	lay->n = n;
	return 1;
}

static int parse_macs(char *s, struct cli_csv_device *d, char *why, size_t whylen)
{
	char *save = NULL, b[64], m[HWADDR_STRLEN];
	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		struct hwaddr a;
		if (hwaddr_parse(t, &a) < 0) {
			snprintf(why, whylen, "mac '%s' is not a MAC address", shown(t, b));
			return -EINVAL;
		}
		for (size_t i = 0; i < d->n_macs; i++)
			if (memcmp(&d->macs[i], &a, sizeof a) == 0) {
				snprintf(why, whylen, "mac %s is listed twice", hwaddr_fmt(&a, m));
				return -EINVAL;
			}
		if (d->n_macs == REGISTRY_MAX_MACS) {
			snprintf(why, whylen, "more than %d MACs", REGISTRY_MAX_MACS);
			return -EINVAL;
		}
		d->macs[d->n_macs++] = a;
	}
	return 0;
}

static int parse_row(char *const f[], size_t n, const struct layout *lay, bool smbios,
                     struct cli_csv_device *d, char *why, size_t whylen)
{
	char b[64];
	uint8_t u[16];
	const char *v[N_COLS];
	if (n > lay->n) {
		snprintf(why, whylen, "%zu fields; expected at most %zu (%s)", n, lay->n,
		         lay->n == 4 && lay->col[0] == 0 ? "mac,name,uuid,group" : "the header's");
		return -EINVAL;
	}
	for (int i = 0; i < N_COLS; i++)
		v[i] = lay->col[i] >= 0 && (size_t) lay->col[i] < n ? f[lay->col[i]] : "";
	if (parse_macs((char *) v[COL_MAC], d, why, whylen) < 0)
		return -EINVAL;
	if (v[COL_NAME][0] && (strlen(v[COL_NAME]) >= sizeof d->name ||
	                       !nb_hostname_valid(v[COL_NAME]) || strchr(v[COL_NAME], '.'))) {
		snprintf(why, whylen, "name '%s' is not a single DNS label (letters, digits, '-')",
		         shown(v[COL_NAME], b));
		return -EINVAL;
	}
	nb_strlcpy(d->name, v[COL_NAME], sizeof d->name);
	if (v[COL_UUID][0]) {
		if (registry_uuid_parse(v[COL_UUID], smbios, u) < 0) {
			snprintf(why, whylen, "uuid '%s' is not a UUID", shown(v[COL_UUID], b));
			return -EINVAL;
		}
		if (registry_uuid_placeholder(u)) {
			snprintf(why, whylen,
			         "uuid %s is a placeholder many boards report: it identifies "
			         "nothing",
			         shown(v[COL_UUID], b));
			return -EINVAL;
		}
		registry_uuid_fmt(u, d->uuid);
	}
	for (const char *p = v[COL_GROUP]; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == ']') {
			snprintf(why, whylen, "group '%s' is not a group name",
			         shown(v[COL_GROUP], b));
			return -EINVAL;
		}
	if (nb_strlcpy(d->group, v[COL_GROUP], sizeof d->group) < 0) {
		snprintf(why, whylen, "group '%s' is too long", shown(v[COL_GROUP], b));
		return -EINVAL;
	}
	if (!d->n_macs && !d->uuid[0]) {
		snprintf(why, whylen, "a row needs a MAC or a UUID");
		return -EINVAL;
	}
	return 0;
}

static int push(struct cli_csv_devices *out, const struct cli_csv_device *d)
{
	if (nb_grow(&out->v, &out->cap, out->n + 1, sizeof *out->v) < 0)
		return -ENOMEM;
	out->v[out->n++] = *d;
	return 0;
}

/* One line that is not blank: a header (first only) or a row. */
static int one_line(char *line, int lineno, bool *first, struct layout *lay, bool smbios,
                    struct cli_csv_devices *out, char *why, size_t whylen)
{
	char *f[CLI_CSV_FIELDS_MAX];
	const char *reason;
	int n = cli_csv_split(line, f, CLI_CSV_FIELDS_MAX, &reason);
	if (n < 0) {
		snprintf(why, whylen, "%s", reason);
		return -EINVAL;
	}
	if (*first) {
		*first = false;
		int h = header(f, (size_t) n, lay, why, whylen);
		if (h != 0)
			return h < 0 ? h : 0;
	}
	struct cli_csv_device d = {.line = lineno};
	if (parse_row(f, (size_t) n, lay, smbios, &d, why, whylen) < 0)
		return -EINVAL;
	if (out->n == CLI_CSV_ROWS_MAX) {
		snprintf(why, whylen, "more than %d devices in one file", CLI_CSV_ROWS_MAX);
		return -E2BIG;
	}
	return push(out, &d);
}

int cli_csv_devices_parse(const char *buf, size_t len, bool smbios, struct cli_csv_devices *out,
                          void (*bad)(int line, const char *why, void *data), void *data)
{
	struct layout lay = {{COL_MAC, COL_NAME, COL_UUID, COL_GROUP}, N_COLS};
	char line[CLI_CSV_LINE_MAX + 1], why[200];
	bool first = true;
	int lineno = 0;
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof *out);
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte order mark, as spreadsheets write */
	for (; p < end; lineno += lineno < INT32_MAX) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t n = (size_t) ((nl ? nl : end) - p);
		const char *ln = p;
		int r;
		p = nl ? nl + 1 : end;
		if (n && ln[n - 1] == '\r')
			n--;
		if (n > CLI_CSV_LINE_MAX) {
			r = -EINVAL;
			snprintf(why, sizeof why, "the line is longer than %d bytes",
			         CLI_CSV_LINE_MAX);
		} else if (memchr(ln, 0, n)) {
			r = -EINVAL;
			snprintf(why, sizeof why, "the line holds a NUL byte");
		} else {
			memcpy(line, ln, n);
			line[n] = 0;
			char *s = line;
			while (blank(*s))
				s++;
			if (!*s || *s == '#')
				continue;
			r = one_line(s, lineno + 1, &first, &lay, smbios, out, why, sizeof why);
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			out->n_bad++;
			if (bad)
				bad(lineno + 1, why, data);
			if (r == -E2BIG)
				return r;
		}
	}
	return 0;
}

void cli_csv_devices_done(struct cli_csv_devices *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
