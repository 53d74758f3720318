/* netbay status: what the running server serves, from GET /api/v1/status
 * (DHCP per interface and per subnet, DNS, TFTP, HTTP, the API) and GET
 * /api/v1/health (the HTTPS certificate's fingerprint, when it has one). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: netbay status [--json] [API options]\n"
	      "\n"
	      "What the running server serves: the DHCP mode on each interface, every\n"
	      "subnet's pool (size, used, free), DNS, TFTP, HTTP, the API and its TLS\n"
	      "certificate, the version and the uptime.\n"
	      "\n"
	      "  --json   the same as JSON (GET /api/v1/status, with health's tls)\n"
	      "\n" CLI_API_TARGET_USAGE,
	      f);
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static long long num(const json_t *o, const char *key)
{
	return (long long) json_integer_value(json_object_get(o, key));
}

/* GET path; 0 and *ret, or 1 with the reason on stderr. */
static int get(const struct cli_api_target *t, const char *path, json_t **ret)
{
	char err[256];
	int status = 0;
	*ret = NULL;
	if (cli_api_request(t, "GET", path, NULL, ret, &status, err, sizeof err) < 0) {
		fprintf(stderr, "netbay: %s\n", err);
		return 1;
	}
	if (status != 200 || !json_is_object(*ret)) {
		const char *e = cli_api_error_text(*ret);
		fprintf(stderr, "netbay: GET %s: %d %s\n", path, status, e ? e : "");
		json_decref(*ret);
		*ret = NULL;
		return 1;
	}
	return 0;
}

static const char *duration(long long s, char *buf, size_t n)
{
	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh %02lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, n, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(buf, n, "%llds", s);
	return buf;
}

static const char *date(long long wall, const char *fmt, char *buf, size_t n)
{
	time_t t = (time_t) wall;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, fmt, &tm);
	return buf;
}

static void print_tls(const json_t *tls)
{
	char d[32];
	if (!json_is_object(tls)) {
		puts("TLS     no HTTPS listener");
		return;
	}
	printf("TLS     port %lld, certificate SHA-256 %s\n", num(tls, "port"),
	       str(tls, "fingerprint"));
	if (num(tls, "expires"))
		printf("        expires %s\n",
		       date(num(tls, "expires"), "%Y-%m-%d %H:%M", d, sizeof d));
}

static void print_dhcp(const json_t *dhcp)
{
	size_t i;
	json_t *e;
	const json_t *ifs = json_object_get(dhcp, "interfaces");
	const json_t *subnets = json_object_get(dhcp, "subnets");
	if (strcmp(str(dhcp, "mode"), "off") == 0) {
		puts("DHCP    off");
		return;
	}
	printf("DHCP    mode %s, %lld lease%s in memory\n", str(dhcp, "mode"), num(dhcp, "leases"),
	       num(dhcp, "leases") == 1 ? "" : "s");
	if (json_array_size(ifs)) {
		printf("  %-12s  %-18s  %-18s  %s\n", "INTERFACE", "ADDRESS", "SUBNET", "MODE");
		json_array_foreach(ifs, i, e)
		{
			const char *probe = str(e, "probe");
			printf("  %-12s  %-18s  %-18s  %s%s%s%s\n", str(e, "interface"),
			       str(e, "address"), *str(e, "subnet") ? str(e, "subnet") : "-",
			       str(e, "mode"), *probe ? " (probe: " : "", probe, *probe ? ")" : "");
		}
	}
	if (json_array_size(subnets)) {
		printf("  %-18s  %8s  %8s  %8s  %8s  %8s\n", "SUBNET", "SIZE", "USED", "FREE",
		       "BOUND", "OFFERED");
		json_array_foreach(subnets, i, e)
		{
			printf("  %-18s  %8lld  %8lld  %8lld  %8lld  %8lld\n", str(e, "subnet"),
			       num(e, "size"), num(e, "used"), num(e, "free"), num(e, "bound"),
			       num(e, "offered"));
		}
	}
}

static void print_list(const char *head, const json_t *arr)
{
	size_t i;
	json_t *e;
	fputs(head, stdout);
	json_array_foreach(arr, i, e) printf("%s%s", i ? ", " : "", json_string_value(e));
}

static void print_dns(const json_t *dns)
{
	const json_t *st = json_object_get(dns, "stats");
	if (strcmp(str(dns, "mode"), "off") == 0) {
		puts("DNS     off");
		return;
	}
	printf("DNS     %s, domain %s", str(dns, "mode"), str(dns, "domain"));
	print_list(", on ", json_object_get(dns, "listen"));
	if (json_array_size(json_object_get(dns, "upstreams")))
		print_list("\n        upstreams ", json_object_get(dns, "upstreams"));
	else if (strcmp(str(dns, "mode"), "full") == 0)
		printf("\n        upstreams: the nameservers of %s", str(dns, "resolv_conf"));
	putchar('\n');
	if (json_is_object(st))
		printf("        %lld queries: %lld local, %lld cached, %lld forwarded; "
		       "%lld sent upstream, %lld timed out; %lld cache entries\n",
		       num(st, "queries"), num(st, "local"), num(st, "cached"),
		       num(st, "forwarded"), num(st, "upstream_sent"), num(st, "upstream_timeouts"),
		       num(st, "cache_entries"));
}

static void print_table(const json_t *s)
{
	char up[48], since[32];
	const json_t *tftp = json_object_get(s, "tftp"), *http = json_object_get(s, "http");
	const json_t *api = json_object_get(s, "api");
	printf("netbay %s (%s), up %s since %s\n", str(s, "version"), str(s, "name"),
	       duration(num(s, "uptime"), up, sizeof up),
	       date(num(s, "started"), "%Y-%m-%d %H:%M:%S", since, sizeof since));
	print_dhcp(json_object_get(s, "dhcp"));
	print_dns(json_object_get(s, "dns"));
	if (json_is_true(json_object_get(tftp, "enabled")))
		printf("TFTP    on %s, root %s\n", str(tftp, "listen"), str(tftp, "root"));
	else
		puts("TFTP    off");
	if (json_is_true(json_object_get(http, "enabled")))
		printf("HTTP    on %s\n", str(http, "listen"));
	else
		puts("HTTP    off");
	printf("API     socket %s, TCP %s\n", *str(api, "socket") ? str(api, "socket") : "none",
	       *str(api, "listen") ? str(api, "listen") : "none");
	print_tls(json_object_get(s, "tls"));
}

static int status(const struct cli_api_target *t, bool as_json)
{
	json_t *s, *health;
	if (get(t, "/api/v1/status", &s) != 0)
		return 1;
	if (get(t, "/api/v1/health", &health) != 0) {
		json_decref(s);
		return 1;
	}
	/* health says whether the API is served over HTTPS, and its certificate */
	json_t *tls = json_object_get(health, "tls");
	json_object_set(s, "tls", tls ? tls : json_null());
	json_decref(health);
	if (as_json) {
		json_dumpf(s, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_table(s);
	}
	json_decref(s);
	return 0;
}

int cli_status(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        CLI_API_TARGET_LONG_OPTIONS,
	        {0},
	};
	bool as_json = false;
	struct cli_api_target t;
	int c;

	cli_api_target_init(&t);
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (!cli_api_target_take(&t, c, optarg))
				return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return status(&t, as_json);
}
