/* netbay lease: import (offline, into the database); list and release talk
 * to the running server's API. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <time.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "core/conf.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fputs("usage: netbay lease list [--json] [API options]\n"
	      "       netbay lease release ADDRESS|MAC [API options]\n"
	      "       netbay lease import [-c FILE] [--dry-run] CSV\n"
	      "\n"
	      "  list     the leases the running server holds, as a table or JSON\n"
	      "  release  end the lease of an address, or every lease of a MAC, now\n"
	      "  import   load leases from CSV lines 'ip,mac,expiry_epoch[,hostname]' into the\n"
	      "           database, while netbay is stopped (migrating from another server);\n"
	      "           every line is checked first and nothing is imported if one is bad\n"
	      "\n"
	      "API options: --socket PATH (default " CLI_DEFAULT_SOCKET "), --server HOST[:PORT],\n"
	      "             --token-file FILE (TCP; else $NETBAY_TOKEN)\n",
	      f);
}

/* One request, with the server's error said plainly. Returns the status,
 * or -1 when there was no answer (reported). */
static int call(const struct api_target *t, const char *method, const char *path, json_t **ret)
{
	char err[256];
	int status = 0;
	*ret = NULL;
	if (api_request(t, method, path, NULL, ret, &status, err, sizeof err) < 0) {
		fprintf(stderr, "netbay: %s\n", err);
		return -1;
	}
	if (status >= 300) {
		const char *e = api_error_text(*ret);
		fprintf(stderr, "netbay: %s %s: %d %s\n", method, path, status, e ? e : "");
	}
	return status;
}

static void fmt_expiry(json_int_t expires, const char *state, char *buf, size_t n)
{
	time_t t = (time_t) expires;
	struct tm tm;
	char when[32];
	long long left = (long long) expires - (long long) time(NULL);
	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	if (strcmp(state, "bound") != 0 || left <= 0)
		snprintf(buf, n, "%s", when);
	else if (left >= 86400)
		snprintf(buf, n, "%s (in %lldd%lldh)", when, left / 86400, left % 86400 / 3600);
	else
		snprintf(buf, n, "%s (in %lldh%02lldm)", when, left / 3600, left % 3600 / 60);
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static int lease_list(const struct api_target *t, bool as_json)
{
	json_t *j;
	int st = call(t, "GET", "/api/v1/leases", &j);
	if (st != 200) {
		json_decref(j);
		return 1;
	}
	json_t *leases = json_object_get(j, "leases");
	if (as_json) {
		json_dumpf(leases, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	printf("%-15s  %-17s  %-8s  %-30s  %s\n", "ADDRESS", "MAC", "STATE", "EXPIRES", "HOSTNAME");
	size_t i;
	json_t *l;
	json_array_foreach(leases, i, l)
	{
		char exp[96];
		fmt_expiry(json_integer_value(json_object_get(l, "expires")), str(l, "state"), exp,
		           sizeof exp);
		printf("%-15s  %-17s  %-8s  %-30s  %s\n", str(l, "address"), str(l, "mac"),
		       str(l, "state"), exp, str(l, "hostname"));
	}
	printf("%zu lease%s\n", json_array_size(leases), json_array_size(leases) == 1 ? "" : "s");
	json_decref(j);
	return 0;
}

static int release_addr(const struct api_target *t, const char *addr)
{
	char path[128];
	json_t *j;
	snprintf(path, sizeof path, "/api/v1/leases/%s/release", addr);
	int st = call(t, "POST", path, &j);
	json_decref(j);
	if (st != 200 && st != 204)
		return 1;
	printf("released %s\n", addr);
	return 0;
}

static int lease_release(const struct api_target *t, const char *what)
{
	uint32_t a;
	struct hwaddr mac;
	char m[HWADDR_STRLEN];
	if (ip4_parse(what, &a) == 0)
		return release_addr(t, what);
	if (hwaddr_parse(what, &mac) < 0) {
		fprintf(stderr, "netbay: '%s' is neither an IPv4 address nor a MAC\n", what);
		return 2;
	}
	/* every bound lease of that MAC */
	json_t *j;
	if (call(t, "GET", "/api/v1/leases", &j) != 200) {
		json_decref(j);
		return 1;
	}
	size_t i, n = 0;
	json_t *l;
	int r = 0;
	hwaddr_fmt(&mac, m);
	json_array_foreach(json_object_get(j, "leases"), i, l)
	{
		if (strcmp(str(l, "mac"), m) == 0 && strcmp(str(l, "state"), "bound") == 0) {
			r |= release_addr(t, str(l, "address"));
			n++;
		}
	}
	json_decref(j);
	if (n == 0) {
		fprintf(stderr, "netbay: no bound lease for %s\n", m);
		return 1;
	}
	return r;
}
/* An import streams the file: every line is parsed and checked, and the
 * good ones go into one open transaction until the first bad line; after
 * that only checking goes on, so every bad line is reported, and the
 * transaction is rolled back. Nothing is held in memory but the line. */
struct import {
	const char *path;
	struct store *st; /* NULL: only check (--dry-run) */
	size_t n, bad;
	int err; /* the first store error */
};

/* Parses one CSV line into l; returns NULL or the reason it is bad. */
static const char *parse_row(char *line, struct store_lease *l)
{
	char *f[5] = {0};
	size_t n = 0;
	for (char *p = line; n < NB_ARRAY_SIZE(f);) {
		f[n++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = 0;
		p = comma + 1;
	}
	if (n < 3 || n > 4)
		return "expected ip,mac,expiry[,hostname]";
	uint64_t exp;
	if (ip4_parse(nb_strstrip(f[0]), &l->addr) < 0)
		return "not an IPv4 address";
	if (hwaddr_parse(nb_strstrip(f[1]), &l->mac) < 0)
		return "not a MAC address";
	if (nb_parse_uint(nb_strstrip(f[2]), 0, INT64_MAX, &exp) < 0)
		return "expiry is not a number of seconds since 1970";
	l->hostname[0] = 0;
	if (n == 4) {
		char *h = nb_strstrip(f[3]);
		if (*h &&
		    (!nb_hostname_valid(h) || nb_strlcpy(l->hostname, h, sizeof l->hostname) < 0))
			return "not a valid host name";
	}
	l->expires = (int64_t) exp;
	return NULL;
}

static int read_csv(struct import *im)
{
	FILE *f = fopen(im->path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	struct store_lease l = {.updated = nb_wall_sec(), .state = STORE_LEASE_BOUND};
	if (!f) {
		fprintf(stderr, "%s: %s\n", im->path, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = nb_strstrip(line);
		if (!*s || *s == '#')
			continue;
		const char *why = parse_row(s, &l);
		if (why) {
			fprintf(stderr, "%s:%d: %s\n", im->path, lineno, why);
			im->bad++;
			continue;
		}
		im->n++;
		if (im->st && !im->bad && !im->err)
			im->err = store_lease_put(im->st, &l);
	}
	free(line);
	fclose(f);
	return 0;
}

static int lease_import(const char *conf_path, const char *csv, bool dry_run)
{
	struct conf_diag d = {0};
	NB_CLEANUP(conf_freep) struct conf *c = NULL;
	NB_CLEANUP(store_closep) struct store *st = NULL;
	struct import im = {.path = csv};
	char db[CONF_PATH_MAX + 16];
	int r;

	if (conf_load(conf_path, &d, &c) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		conf_diag_done(&d);
		return 1;
	}
	conf_diag_done(&d);
	snprintf(db, sizeof db, "%s/netbay.db", c->server.data_dir);
	if (!dry_run) {
		if ((r = store_open(db, false, &st)) < 0) {
			fprintf(stderr, "%s: %s\n", db, strerror(-r));
			return 1;
		}
		if ((r = store_change_begin(st)) < 0) {
			fprintf(stderr, "%s: %s\n", db, strerror(-r));
			return 1;
		}
		im.st = st;
	}
	/* one transaction: all or nothing */
	if ((r = read_csv(&im)) < 0)
		goto fail;
	if (im.bad) {
		fprintf(stderr, "%s: %zu bad line%s; nothing imported\n", csv, im.bad,
		        im.bad == 1 ? "" : "s");
		r = -EINVAL;
		goto fail;
	}
	if (dry_run) {
		printf("%s: %zu leases would be imported\n", csv, im.n);
		return 0;
	}
	r = im.err < 0 ? im.err : store_change_end(st, true);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		fprintf(stderr, "%s: import failed: %s; nothing imported\n", db, strerror(-r));
		goto fail;
	}
	printf("%s: %zu leases imported into %s\n", csv, im.n, db);
	return 0;
fail:
	if (st)
		(void) store_change_end(st, false);
	return 1;
}

int cli_lease(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        API_TARGET_LONG_OPTIONS,
	        {0},
	};
	const char *conf = CLI_DEFAULT_CONF;
	bool dry_run = false, as_json = false;
	struct api_target t;
	int c;

	api_target_init(&t);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "c:njh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (!api_target_take(&t, c, optarg))
				return 2;
		}
	}
	if (strcmp(sub, "list") == 0 && optind == argc)
		return lease_list(&t, as_json);
	if (strcmp(sub, "release") == 0 && optind == argc - 1)
		return lease_release(&t, argv[optind]);
	if (strcmp(sub, "import") == 0 && optind == argc - 1)
		return lease_import(conf, argv[optind], dry_run);
	usage(stderr);
	return 2;
}
