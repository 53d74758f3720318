/* netbay device: the device registry through the running server's API
 * (docs/registry.md): list, show, add, set, approve, reject, remove,
 * import and export. Tables for people, --json for scripts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "cli/csv.h"
#include "core/util.h"
#include "registry/registry.h"

#define FILE_MAX     (16 * 1024 * 1024) /* an import file */
#define SHOW_EVENTS  10                 /* journal events `show` prints */
#define PATH_KEY_MAX 256

static void usage(FILE *f)
{
	fputs("usage: netbay device list [--state S] [--group G] [--query TEXT] [--json]\n"
	      "       netbay device show KEY [--json]\n"
	      "       netbay device add --mac MAC [--mac MAC2] [--name N] [--uuid U] [--group G]\n"
	      "                         [--notes T] [--approve] [--uuid-order wire|smbios] "
	      "[--json]\n"
	      "       netbay device set KEY [--name N] [--group G] [--notes T] [--uuid U]\n"
	      "                         [--mac MAC ...] [--state S] [--uuid-order wire|smbios] "
	      "[--json]\n"
	      "       netbay device approve KEY [--group G]\n"
	      "       netbay device reject KEY\n"
	      "       netbay device remove KEY\n"
	      "       netbay device import FILE [--uuid-order wire|smbios] [--dry-run]\n"
	      "       netbay device export [FILE] [--uuid-order wire|smbios]\n"
	      "\n"
	      "  KEY is a MAC (any notation), a name, #ID, or a UUID no other device reports.\n"
	      "  list     devices, filtered by state (pending, approved, rejected), group, or\n"
	      "           text in the name, MAC, UUID or notes\n"
	      "  show     one device, what it will boot, and its last journal events\n"
	      "  add      register a device (pending unless --approve)\n"
	      "  set      change a device: --group moves it to another group (\"\" for none);\n"
	      "           the next request it makes follows the change\n"
	      "  approve  let a device boot (optionally into a group); reject: never\n"
	      "  remove   forget a device\n"
	      "  import   add or update devices from CSV lines mac,name,uuid,group; every\n"
	      "           line is checked first and nothing is imported if one is bad\n"
	      "  export   write every device in the import format (stdout without FILE)\n"
	      "\n" CLI_API_TARGET_USAGE,
	      f);
}

/* ---- talking to the server */

/* One request, with the server's error said plainly (unless quiet).
 * Returns the status, or -1 when there was no answer (reported). */
static int call(const struct cli_api_target *t, const char *method, const char *path, json_t *body,
                json_t **ret, bool quiet)
{
	char err[CLI_API_ERR_MAX];
	int status = 0;
	*ret = NULL;
	if (cli_api_request(t, method, path, body, ret, &status, err, sizeof err) < 0) {
		fprintf(stderr, "netbay: %s\n", err);
		return -1;
	}
	if (status >= 300 && !quiet) {
		const char *e = cli_api_error_text(*ret);
		fprintf(stderr, "netbay: %s\n", e ? e : "the server refused");
	}
	return status;
}

/* "/api/v1/devices/KEY" + suffix, KEY escaped; false when it does not fit. */
static bool device_path(const char *key, const char *suffix, char *buf, size_t n)
{
	char k[PATH_KEY_MAX * 3];
	if (cli_api_escape_segment(key, k, sizeof k) < 0 || strlen(key) > PATH_KEY_MAX) {
		fprintf(stderr, "netbay: '%.40s...' is too long for a device key\n", key);
		return false;
	}
	return snprintf(buf, n, "/api/v1/devices/%s%s", k, suffix) < (int) n;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

static void fmt_time(const json_t *v, char *buf, size_t n)
{
	if (!json_is_integer(v)) {
		snprintf(buf, n, "never");
		return;
	}
	time_t t = (time_t) json_integer_value(v);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

/* ---- list and show */

static int device_list(const struct cli_api_target *t, const char *state, const char *group,
                       const char *q, bool as_json)
{
	char path[1024] = "/api/v1/devices", v[PATH_KEY_MAX * 3];
	const char *names[] = {"state", "group", "q"}, *vals[] = {state, group, q};
	json_t *j;
	for (size_t i = 0, k = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		if (cli_api_escape_segment(vals[i], v, sizeof v) < 0) {
			fprintf(stderr, "netbay: --%s is too long\n", names[i]);
			return 2;
		}
		snprintf(path + strlen(path), sizeof path - strlen(path), "%c%s=%s",
		         k++ ? '&' : '?', names[i], v);
	}
	if (call(t, "GET", path, NULL, &j, false) != 200) {
		json_decref(j);
		return 1;
	}
	json_t *devs = json_object_get(j, "devices");
	if (as_json) {
		print_json(devs);
		json_decref(j);
		return 0;
	}
	printf("%-5s %-16s %-21s %-8s %-12s %-15s %-16s %-16s %s\n", "ID", "NAME", "MAC", "STATE",
	       "GROUP", "IP", "ARCH", "LAST SEEN", "BOOTS");
	size_t i, conflicts = 0;
	json_t *d;
	json_array_foreach(devs, i, d)
	{
		char id[24], mac[32], seen[32];
		json_t *macs = json_object_get(d, "macs");
		snprintf(id, sizeof id, "#%lld",
		         (long long) json_integer_value(json_object_get(d, "id")));
		snprintf(mac, sizeof mac, "%s",
		         json_array_size(macs) ? json_string_value(json_array_get(macs, 0)) : "-");
		if (json_array_size(macs) > 1)
			snprintf(mac + strlen(mac), sizeof mac - strlen(mac), " +%zu",
			         json_array_size(macs) - 1);
		fmt_time(json_object_get(d, "last_seen"), seen, sizeof seen);
		bool conflict = json_is_true(json_object_get(d, "uuid_conflict"));
		conflicts += conflict;
		printf("%-5s %-16s %-21s %-8s %-12s %-15s %-16s %-16s %s%s\n", id,
		       or_dash(str(d, "name")), mac, str(d, "state"), or_dash(str(d, "group")),
		       or_dash(str(d, "ip")),
		       json_is_integer(json_object_get(d, "arch")) ? str(d, "arch_name") : "-",
		       seen, str(json_object_get(d, "boot"), "verdict"),
		       conflict ? "  UUID CONFLICT" : "");
	}
	printf("%zu device%s", json_array_size(devs), json_array_size(devs) == 1 ? "" : "s");
	if (conflicts)
		printf("; %zu with a UUID another device also reports (matched by MAC only)",
		       conflicts);
	putchar('\n');
	json_decref(j);
	return 0;
}

static void print_profile(const char *title, const json_t *p)
{
	const char *k;
	json_t *v;
	printf("%s\n", title);
	if (!json_object_size(p))
		printf("  (none)\n");
	json_object_foreach((json_t *) p, k, v)
	{
		if (json_is_array(v)) {
			printf("  %-14s", k);
			size_t i;
			json_t *a;
			json_array_foreach(v, i, a)
			        printf("%s%s", i ? ", " : "", json_string_value(a));
			putchar('\n');
		} else if (json_is_integer(v)) {
			printf("  %-14s %lld\n", k, (long long) json_integer_value(v));
		} else {
			printf("  %-14s %s\n", k, json_string_value(v));
		}
	}
}

static void print_device(const json_t *d)
{
	char first[32], last[32];
	const json_t *boot = json_object_get(d, "boot");
	json_t *macs = json_object_get(d, "macs"), *m;
	size_t i;
	printf("device #%lld%s%s (version %lld)\n",
	       (long long) json_integer_value(json_object_get(d, "id")),
	       str(d, "name")[0] ? " " : "", str(d, "name"),
	       (long long) json_integer_value(json_object_get(d, "version")));
	printf("  %-12s %s\n", "state", str(d, "state"));
	printf("  %-12s", "MACs");
	json_array_foreach(macs, i, m) printf("%s%s", i ? ", " : " ", json_string_value(m));
	printf("%s\n", json_array_size(macs) ? "" : " - (registered by UUID; attached when seen)");
	printf("  %-12s %s%s\n", "UUID", or_dash(str(d, "uuid")),
	       json_is_true(json_object_get(d, "uuid_conflict"))
	               ? "  (CONFLICT: another device reports it too; matched by MAC only)"
	               : "");
	printf("  %-12s %s\n", "group", or_dash(str(d, "group")));
	if (json_is_integer(json_object_get(d, "arch")))
		printf("  %-12s %s (%lld)\n", "arch", str(d, "arch_name"),
		       (long long) json_integer_value(json_object_get(d, "arch")));
	else
		printf("  %-12s -\n", "arch");
	printf("  %-12s %s\n", "IP", or_dash(str(d, "ip")));
	fmt_time(json_object_get(d, "first_seen"), first, sizeof first);
	fmt_time(json_object_get(d, "last_seen"), last, sizeof last);
	printf("  %-12s %s\n  %-12s %s\n", "first seen", first, "last seen", last);
	printf("  %-12s %s\n", "notes", or_dash(str(d, "notes")));
	printf("boots: %s (%s)\n", str(boot, "verdict"), str(boot, "why"));
	print_profile("effective profile:", json_object_get(boot, "profile"));
	if (json_object_size(json_object_get(d, "profile")))
		print_profile("its own overrides:", json_object_get(d, "profile"));
}

static int device_show(const struct cli_api_target *t, const char *key, bool as_json)
{
	char path[1024];
	json_t *d, *jr = NULL;
	if (!device_path(key, "", path, sizeof path))
		return 2;
	if (call(t, "GET", path, NULL, &d, false) != 200) {
		json_decref(d);
		return 1;
	}
	/* the journal by #ID: the key may have been a UUID the route does not take */
	char id[32];
	snprintf(id, sizeof id, "#%lld", (long long) json_integer_value(json_object_get(d, "id")));
	int st = device_path(id, "/journal", path, sizeof path)
	                 ? call(t, "GET", path, NULL, &jr, true)
	                 : -1;
	json_t *events = st == 200 ? json_object_get(jr, "events") : NULL;
	if (as_json) {
		json_object_set(d, "journal", events ? events : json_null());
		print_json(d);
	} else {
		print_device(d);
		size_t n = json_array_size(events), i;
		printf("last journal events:%s\n", n ? "" : " none");
		for (i = n > SHOW_EVENTS ? n - SHOW_EVENTS : 0; i < n; i++) {
			json_t *e = json_array_get(events, i);
			printf("  %s  %-22s %s\n", str(e, "time"), str(e, "name"),
			       str(e, "detail"));
		}
	}
	json_decref(jr);
	json_decref(d);
	return 0;
}

/* ---- changes */

struct fields {
	const char *macs[REGISTRY_MAX_MACS + 1];
	size_t n_macs;
	const char *name, *uuid, *group, *notes, *state;
	bool smbios; /* --uuid-order smbios */
};

/* The JSON body of add or set; NULL (reported) when a value is bad. */
static json_t *fields_json(const struct fields *f)
{
	json_t *o = json_object();
	if (f->n_macs) {
		json_t *a = json_array();
		for (size_t i = 0; i < f->n_macs; i++) {
			struct hwaddr m;
			char s[HWADDR_STRLEN];
			if (hwaddr_parse(f->macs[i], &m) < 0) {
				fprintf(stderr, "netbay: '%s' is not a MAC address\n", f->macs[i]);
				json_decref(a);
				json_decref(o);
				return NULL;
			}
			json_array_append_new(a, json_string(hwaddr_fmt(&m, s)));
		}
		json_object_set_new(o, "macs", a);
	}
	if (f->uuid && f->uuid[0]) {
		uint8_t u[16];
		char s[REGISTRY_UUID_STRLEN];
		if (registry_uuid_parse(f->uuid, f->smbios, u) < 0) {
			fprintf(stderr, "netbay: '%s' is not a UUID\n", f->uuid);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "uuid", json_string(registry_uuid_fmt(u, s)));
	} else if (f->uuid) {
		json_object_set_new(o, "uuid", json_string(""));
	}
	const char *keys[] = {"name", "group", "notes", "state"};
	const char *vals[] = {f->name, f->group, f->notes, f->state};
	for (size_t i = 0; i < NB_ARRAY_SIZE(keys); i++)
		if (vals[i] && json_object_set_new(o, keys[i], json_string(vals[i])) < 0) {
			fprintf(stderr, "netbay: --%s is not UTF-8 text\n", keys[i]);
			json_decref(o);
			return NULL;
		}
	return o;
}

/* Prints the device a change answered with: JSON, or one line. */
static int changed(json_t *d, const char *what, bool as_json)
{
	if (as_json)
		print_json(d);
	else
		printf("%s device #%lld%s%s: %s, %s\n", what,
		       (long long) json_integer_value(json_object_get(d, "id")),
		       str(d, "name")[0] ? " " : "", str(d, "name"), str(d, "state"),
		       str(json_object_get(d, "boot"), "why"));
	return 0;
}

static int device_add(const struct cli_api_target *t, const struct fields *f, bool as_json)
{
	json_t *body = fields_json(f), *d;
	if (!body)
		return 2;
	int st = call(t, "POST", "/api/v1/devices", body, &d, false);
	json_decref(body);
	int r = st == 201 ? changed(d, "added", as_json) : 1;
	json_decref(d);
	return r;
}

static int device_change(const struct cli_api_target *t, const char *method, const char *key,
                         const char *suffix, json_t *body, const char *what, bool as_json)
{
	char path[1024];
	json_t *d;
	if (!device_path(key, suffix, path, sizeof path)) {
		json_decref(body);
		return 2;
	}
	int st = call(t, method, path, body, &d, false);
	json_decref(body);
	int r = st == 200 ? changed(d, what, as_json) : st == 204 ? 0 : 1;
	if (st == 204 && !as_json)
		printf("%s %s\n", what, key);
	json_decref(d);
	return r;
}

/* ---- import and export */

struct bad_lines {
	const char *file;
	size_t n;
};

static void bad_line(int line, const char *why, void *data)
{
	struct bad_lines *b = data;
	fprintf(stderr, "%s:%d: %s\n", b->file, line, why);
	b->n++;
}

static json_t *rows_json(const struct cli_csv_devices *rows)
{
	json_t *a = json_array();
	char m[HWADDR_STRLEN];
	for (size_t i = 0; a && i < rows->n; i++) {
		const struct cli_csv_device *c = &rows->v[i];
		json_t *o = json_object(), *macs = json_array();
		for (size_t k = 0; k < c->n_macs; k++)
			json_array_append_new(macs, json_string(hwaddr_fmt(&c->macs[k], m)));
		if (c->n_macs)
			json_object_set(o, "macs", macs);
		json_decref(macs);
		/* an empty field keeps what the device has */
		if (c->name[0])
			json_object_set_new(o, "name", json_string(c->name));
		if (c->uuid[0])
			json_object_set_new(o, "uuid", json_string(c->uuid));
		if (c->group[0]) /* printable ASCII: the reader checked */
			json_object_set_new(o, "group", json_string(c->group));
		json_array_append_new(a, o);
	}
	return a;
}

/* Reads the whole file (at most FILE_MAX bytes); NULL when it cannot. */
static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "netbay: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	bool err = ferror(f);
	fclose(f);
	if (!buf || err || n > FILE_MAX) {
		fprintf(stderr, "netbay: %s: %s\n", path,
		        !buf  ? "out of memory"
		        : err ? "read error"
		              : "larger than 16 MiB");
		free(buf);
		return NULL;
	}
	*ret_len = n;
	return buf;
}

/* The server's bad rows, by line. Returns how many. */
static size_t report_rows(const char *file, const struct cli_csv_devices *rows, const json_t *j)
{
	size_t i, n = 0;
	json_t *r;
	json_array_foreach(json_object_get(j, "rows"), i, r)
	{
		json_int_t idx = json_integer_value(json_object_get(r, "index"));
		if (idx < 0 || (size_t) idx >= rows->n)
			continue;
		json_t *o = json_object_get(r, "other_index");
		json_int_t k = json_integer_value(o);
		if (json_is_integer(o) && k >= 0 && (size_t) k < rows->n)
			fprintf(stderr, "%s:%d: %s (line %d)\n", file, rows->v[idx].line,
			        str(r, "error"), rows->v[k].line);
		else
			fprintf(stderr, "%s:%d: %s\n", file, rows->v[idx].line, str(r, "error"));
		n++;
	}
	return n;
}

static int device_import(const struct cli_api_target *t, const char *file, bool smbios,
                         bool dry_run)
{
	struct bad_lines b = {.file = file};
	struct cli_csv_devices rows;
	size_t len;
	char *buf = slurp(file, &len);
	if (!buf)
		return 1;
	int r = cli_csv_devices_parse(buf, len, smbios, &rows, bad_line, &b);
	free(buf);
	if (r == -ENOMEM) {
		fprintf(stderr, "netbay: out of memory\n");
		return 1;
	}
	/* the server checks the well-formed rows too (a dry run if some line
	 * is already bad), so every bad line is named at once */
	json_t *devs = rows_json(&rows), *res;
	json_t *body = devs ? json_pack("{s:o, s:b}", "devices", devs, "dry_run",
	                                dry_run || b.n > 0 || r < 0)
	                    : NULL;
	int st = body && rows.n ? call(t, "POST", "/api/v1/devices/import", body, &res, true) : 0;
	json_decref(body);
	if (!body) {
		fprintf(stderr, "netbay: cannot build the request\n");
		cli_csv_devices_done(&rows);
		return 1;
	}
	if (st < 0) {
		cli_csv_devices_done(&rows);
		return 1;
	}
	size_t server_bad = st >= 400 ? report_rows(file, &rows, res) : 0;
	if (st >= 400 && !server_bad)
		fprintf(stderr, "netbay: %s\n",
		        cli_api_error_text(res) ? cli_api_error_text(res)
		                                : "the server refused the import");
	int ret = 0;
	if (b.n || st >= 400) {
		size_t total = b.n + server_bad;
		if (total)
			fprintf(stderr, "%s: %zu bad line%s; nothing imported\n", file, total,
			        total == 1 ? "" : "s");
		else
			fprintf(stderr, "%s: nothing imported\n", file);
		ret = 1;
	} else if (st == 200) {
		json_int_t added = json_integer_value(json_object_get(res, "added"));
		json_int_t updated = json_integer_value(json_object_get(res, "updated"));
		printf("%s: %s %zu device%s (%lld added, %lld updated)\n", file,
		       dry_run ? "would import" : "imported", rows.n, rows.n == 1 ? "" : "s",
		       (long long) added, (long long) updated);
	} else if (!rows.n) {
		printf("%s: no devices in the file\n", file);
	}
	json_decref(res);
	cli_csv_devices_done(&rows);
	return ret;
}

static int device_export(const struct cli_api_target *t, const char *file, bool smbios)
{
	json_t *j, *d;
	size_t i;
	char *buf = NULL;
	size_t len = 0;
	if (call(t, "GET", "/api/v1/devices", NULL, &j, false) != 200) {
		json_decref(j);
		return 1;
	}
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		json_decref(j);
		return 1;
	}
	fputs("mac,name,uuid,group\n", f);
	json_array_foreach(json_object_get(j, "devices"), i, d)
	{
		json_t *macs = json_object_get(d, "macs"), *m;
		size_t k;
		char u[REGISTRY_UUID_STRLEN] = "";
		uint8_t b[16];
		json_array_foreach(macs, k, m)
		        fprintf(f, "%s%s", k ? " " : "", json_string_value(m));
		/* a UUID in conflict identifies nothing: it is not exported */
		if (!json_is_true(json_object_get(d, "uuid_conflict")) &&
		    registry_uuid_parse(str(d, "uuid"), smbios, b) == 0)
			registry_uuid_fmt(b, u);
		fprintf(f, ",%s,%s,%s\n", str(d, "name"), u, str(d, "group"));
	}
	json_decref(j);
	if (fclose(f) != 0) {
		free(buf);
		return 1;
	}
	int r = 0;
	if (!file) {
		r = fwrite(buf, 1, len, stdout) == len ? 0 : 1;
	} else if ((r = nb_write_file_atomic(file, buf, len, 0644)) < 0) {
		fprintf(stderr, "netbay: %s: %s\n", file, strerror(-r));
		r = 1;
	}
	free(buf);
	return r;
}

/* ---- the command line */

struct opts {
	struct fields f;
	const char *list_state, *list_group, *query;
	bool as_json, approve, dry_run, smbios;
};

static int parse_opts(int argc, char **argv, struct opts *o, struct cli_api_target *t)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"state", required_argument, NULL, 's'},
	        {"group", required_argument, NULL, 'g'},
	        {"query", required_argument, NULL, 'q'},
	        {"mac", required_argument, NULL, 'm'},
	        {"name", required_argument, NULL, 'n'},
	        {"uuid", required_argument, NULL, 'u'},
	        {"notes", required_argument, NULL, 'N'},
	        {"approve", no_argument, NULL, 'a'},
	        {"dry-run", no_argument, NULL, 'd'},
	        {"uuid-order", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        CLI_API_TARGET_LONG_OPTIONS,
	        {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->as_json = true;
			break;
		case 's':
			o->list_state = o->f.state = optarg;
			break;
		case 'g':
			o->list_group = o->f.group = optarg;
			break;
		case 'q':
			o->query = optarg;
			break;
		case 'm':
			if (o->f.n_macs == REGISTRY_MAX_MACS) {
				fprintf(stderr, "netbay: at most %d --mac\n", REGISTRY_MAX_MACS);
				return 2;
			}
			o->f.macs[o->f.n_macs++] = optarg;
			break;
		case 'n':
			o->f.name = optarg;
			break;
		case 'u':
			o->f.uuid = optarg;
			break;
		case 'N':
			o->f.notes = optarg;
			break;
		case 'a':
			o->approve = true;
			break;
		case 'd':
			o->dry_run = true;
			break;
		case 'o':
			if (strcmp(optarg, "wire") != 0 && strcmp(optarg, "smbios") != 0) {
				fprintf(stderr, "netbay: --uuid-order is wire or smbios\n");
				return 2;
			}
			o->smbios = o->f.smbios = strcmp(optarg, "smbios") == 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (!cli_api_target_take(t, c, optarg))
				return 2;
		}
	}
	return -1;
}

/* The subcommand with its operands (argv[optind..]); -1 for a usage error. */
static int run(const char *sub, int n, char **args, struct opts *o, const struct cli_api_target *t)
{
	const char *key = n >= 1 ? args[0] : NULL;
	if (strcmp(sub, "list") == 0 && n == 0)
		return device_list(t, o->list_state, o->list_group, o->query, o->as_json);
	if (strcmp(sub, "show") == 0 && n == 1)
		return device_show(t, key, o->as_json);
	if (strcmp(sub, "add") == 0 && n == 0) {
		if (o->approve)
			o->f.state = "approved";
		return device_add(t, &o->f, o->as_json);
	}
	if (strcmp(sub, "set") == 0 && n == 1) {
		json_t *body = fields_json(&o->f);
		if (!body)
			return 2;
		if (!json_object_size(body)) {
			json_decref(body);
			fprintf(stderr, "netbay: device set: nothing to change\n");
			return 2;
		}
		return device_change(t, "PATCH", key, "", body, "changed", o->as_json);
	}
	if (strcmp(sub, "approve") == 0 && n == 1)
		return device_change(t, "POST", key, "/approve",
		                     o->f.group ? json_pack("{s:s}", "group", o->f.group) : NULL,
		                     "approved", o->as_json);
	if (strcmp(sub, "reject") == 0 && n == 1)
		return device_change(t, "POST", key, "/reject", NULL, "rejected", o->as_json);
	if (strcmp(sub, "remove") == 0 && n == 1)
		return device_change(t, "DELETE", key, "", NULL, "removed", o->as_json);
	if (strcmp(sub, "import") == 0 && n == 1)
		return device_import(t, key, o->smbios, o->dry_run);
	if (strcmp(sub, "export") == 0 && n <= 1)
		return device_export(t, key, o->smbios);
	return -1;
}

int cli_device(int argc, char **argv)
{
	struct opts o = {0};
	struct cli_api_target t;
	cli_api_target_init(&t);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	int r = parse_opts(argc, argv, &o, &t);
	if (r >= 0)
		return r;
	r = run(sub, argc - optind, argv + optind, &o, &t);
	if (r < 0) {
		usage(stderr);
		return 2;
	}
	return r;
}
