/* netbay lease: import (offline, into the database); list and release talk
 * to the running server's API. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/conf.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fputs("usage: netbay lease import [-c FILE] [--dry-run] CSV\n"
	      "\n"
	      "  import   load leases from CSV lines 'ip,mac,expiry_epoch[,hostname]' into the\n"
	      "           database, while netbay is stopped (migrating from another server);\n"
	      "           every line is checked first and nothing is imported if one is bad\n",
	      f);
}

struct import {
	struct store_lease *rows;
	size_t n, cap;
	size_t bad;
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
	memset(l, 0, sizeof *l);
	uint64_t exp;
	if (ip4_parse(nb_strstrip(f[0]), &l->addr) < 0)
		return "not an IPv4 address";
	if (hwaddr_parse(nb_strstrip(f[1]), &l->mac) < 0)
		return "not a MAC address";
	if (nb_parse_uint(nb_strstrip(f[2]), 0, INT64_MAX, &exp) < 0)
		return "expiry is not a number of seconds since 1970";
	if (n == 4) {
		char *h = nb_strstrip(f[3]);
		if (*h &&
		    (!nb_hostname_valid(h) || nb_strlcpy(l->hostname, h, sizeof l->hostname) < 0))
			return "not a valid host name";
	}
	l->expires = (int64_t) exp;
	l->updated = nb_wall_sec();
	l->state = STORE_LEASE_BOUND;
	return NULL;
}

static int read_csv(const char *path, struct import *im)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = nb_strstrip(line);
		if (!*s || *s == '#')
			continue;
		if (im->n == im->cap) {
			size_t c = im->cap ? im->cap * 2 : 1024;
			struct store_lease *r = realloc(im->rows, c * sizeof *r);
			if (!r) {
				fclose(f);
				free(line);
				return -ENOMEM;
			}
			im->rows = r;
			im->cap = c;
		}
		const char *why = parse_row(s, &im->rows[im->n]);
		if (why) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, why);
			im->bad++;
			continue;
		}
		im->n++;
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
	struct import im = {0};
	char db[CONF_PATH_MAX + 16];
	int r;

	if (conf_load(conf_path, &d, &c) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		conf_diag_done(&d);
		return 1;
	}
	conf_diag_done(&d);
	if ((r = read_csv(csv, &im)) < 0)
		goto out;
	if (im.bad) {
		fprintf(stderr, "%s: %zu bad line%s; nothing imported\n", csv, im.bad,
		        im.bad == 1 ? "" : "s");
		r = -EINVAL;
		goto out;
	}
	if (dry_run) {
		printf("%s: %zu leases would be imported\n", csv, im.n);
		goto out;
	}
	snprintf(db, sizeof db, "%s/netbay.db", c->server.data_dir);
	if ((r = store_open(db, false, &st)) < 0) {
		fprintf(stderr, "%s: %s\n", db, strerror(-r));
		goto out;
	}
	/* one transaction: all or nothing */
	for (size_t i = 0; i < im.n && r >= 0; i++)
		r = store_lease_put(st, &im.rows[i]);
	r = r < 0 ? r : store_commit(st);
	if (r < 0) {
		(void) store_rollback(st);
		fprintf(stderr, "%s: import failed: %s; nothing imported\n", db, strerror(-r));
		goto out;
	}
	printf("%s: %zu leases imported into %s\n", csv, im.n, db);
out:
	free(im.rows);
	return r < 0 ? 1 : 0;
}

int cli_lease(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	const char *conf = CLI_DEFAULT_CONF;
	bool dry_run = false;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (strcmp(sub, "import") == 0 && optind == argc - 1)
		return lease_import(conf, argv[optind], dry_run);
	usage(stderr);
	return 2;
}
