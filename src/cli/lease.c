/* netbay lease: list and release talk to the running server's API; import
 * (lease_import.c) goes through it too while a server runs, else into the
 * database. */
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

static void usage(FILE *f)
{
	fputs("usage: netbay lease list [--json] [API options]\n"
	      "       netbay lease release ADDRESS|MAC [API options]\n"
	      "       netbay lease import [-c FILE] [--dry-run] [API options] CSV\n"
	      "\n"
	      "  list     the leases the running server holds, as a table or JSON\n"
	      "  release  end the lease of an address, or every lease of a MAC, now\n"
	      "  import   load leases from CSV lines 'ip,mac,expiry_epoch[,hostname]' (migrating\n"
	      "           from another server): every line is checked first and nothing is\n"
	      "           imported if one is bad; through the running server's API (the socket\n"
	      "           of [api] socket in the config) while it runs, else into the database\n"
	      "\n" CLI_API_TARGET_USAGE,
	      f);
}

/* One request, with the server's error said plainly. Returns the status,
 * or -1 when there was no answer (reported). */
static int call(const struct cli_api_target *t, const char *method, const char *path, json_t **ret)
{
	char err[CLI_API_ERR_MAX];
	int status = 0;
	*ret = NULL;
	if (cli_api_request(t, method, path, NULL, ret, &status, err, sizeof err) < 0) {
		fprintf(stderr, "netbay: %s\n", err);
		return -1;
	}
	if (status >= 300) {
		const char *e = cli_api_error_text(*ret);
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

static int lease_list(const struct cli_api_target *t, bool as_json)
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

static int release_addr(const struct cli_api_target *t, const char *addr)
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

static int lease_release(const struct cli_api_target *t, const char *what)
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
int cli_lease(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        CLI_API_TARGET_LONG_OPTIONS,
	        {0},
	};
	const char *conf = CLI_DEFAULT_CONF;
	bool dry_run = false, as_json = false, target_given = false;
	struct cli_api_target t;
	int c;

	cli_api_target_init(&t);
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
			if (!cli_api_target_take(&t, c, optarg))
				return 2;
			target_given = true;
		}
	}
	if (strcmp(sub, "list") == 0 && optind == argc)
		return lease_list(&t, as_json);
	if (strcmp(sub, "release") == 0 && optind == argc - 1)
		return lease_release(&t, argv[optind]);
	if (strcmp(sub, "import") == 0 && optind == argc - 1)
		return cli_lease_import(conf, argv[optind], dry_run, &t, target_given);
	usage(stderr);
	return 2;
}
