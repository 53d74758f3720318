/* netbay why MAC|NAME: a device's boot journey as a timeline, then what
 * went wrong and what to do, from the running server's
 * GET /api/v1/devices/{key}/why (docs/api.md, docs/journal.md). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/cli.h"

#define WHY_SHOWN 40 /* events of the timeline shown without --all (usage says so) */
#define WHY_WIDTH 78 /* findings are wrapped at this column */

static void usage(FILE *f)
{
	fputs("usage: netbay why MAC|NAME|#ID [--json] [--all] [API options]\n"
	      "\n"
	      "The device's boot journey as netbay saw it (DHCP, PXE, TFTP, HTTP, approval),\n"
	      "oldest first, and what went wrong with how to fix it.\n"
	      "\n"
	      "  --json   print the server's answer as JSON\n"
	      "  --all    the whole timeline kept, not only the last 40 events\n"
	      "\n" CLI_API_TARGET_USAGE,
	      f);
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* "2026-01-01T12:00:00.123Z" in local time: "2026-01-01 13:00:00.123". */
static const char *local_time(const char *iso, char *buf, size_t n)
{
	struct tm tm = {0};
	int ms = 0;
	if (sscanf(iso, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec, &ms) != 7) {
		snprintf(buf, n, "%s", iso);
		return buf;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	struct tm lt;
	localtime_r(&t, &lt);
	size_t k = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &lt);
	snprintf(buf + k, n - k, ".%03d", ms);
	return buf;
}

static void print_device(const json_t *dev)
{
	const char *name = str(dev, "name"), *mac = str(dev, "mac");
	printf("%s%s%s", name, *name ? "  " : "", mac);
	size_t n_macs = json_array_size(json_object_get(dev, "macs"));
	if (n_macs > 1)
		printf(" (+%zu more MAC%s)", n_macs - 1, n_macs > 2 ? "s" : "");
	if (!json_is_true(json_object_get(dev, "registered"))) {
		puts(": not in the registry");
		return;
	}
	printf(": device #%lld, %s", (long long) json_integer_value(json_object_get(dev, "id")),
	       str(dev, "state"));
	if (*str(dev, "group"))
		printf(", group %s", str(dev, "group"));
	if (*str(dev, "arch"))
		printf(", %s", str(dev, "arch"));
	if (*str(dev, "ip"))
		printf(", last at %s", str(dev, "ip"));
	putchar('\n');
}

static void print_timeline(const json_t *events, bool several_macs, bool all)
{
	size_t n = json_array_size(events), from = 0;
	char t[40];
	if (n == 0) {
		puts("\nNo events recorded for this device.");
		return;
	}
	if (!all && n > WHY_SHOWN) {
		from = n - WHY_SHOWN;
		printf("\n(%zu earlier event%s not shown: --all)", from, from == 1 ? "" : "s");
	}
	printf("\n%-23s  %-22s  %s\n", "TIME", "STEP", "DETAIL");
	for (size_t i = from; i < n; i++) {
		const json_t *e = json_array_get(events, i);
		printf("%-23s  %-22s  ", local_time(str(e, "time"), t, sizeof t), str(e, "name"));
		if (several_macs)
			printf("[%s] ", str(e, "mac"));
		puts(str(e, "detail"));
	}
}

/* Prints text wrapped at WHY_WIDTH, every line indented by indent spaces
 * but the first, which starts after `first` columns already written. */
static void wrapped(const char *text, int indent, int first)
{
	int col = first;
	while (*text) {
		size_t w = strcspn(text, " ");
		if (col > indent && col + 1 + (int) w > WHY_WIDTH) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int) w, text);
		col += (int) w;
		text += w;
		while (*text == ' ')
			text++;
	}
	putchar('\n');
}

static void print_evidence(const json_t *f, const json_t *events)
{
	const json_t *ev = json_object_get(f, "evidence");
	size_t i;
	const json_t *k;
	char t[40], line[2048] = "";
	size_t len = 0;
	json_array_foreach(ev, i, k)
	{
		const json_t *e = json_array_get(events, (size_t) json_integer_value(k));
		if (!e)
			continue;
		const char *lt = local_time(str(e, "time"), t, sizeof t);
		int r = snprintf(line + len, sizeof line - len, "%s%s %s", len ? ", " : "",
		                 lt + 11 /* the time of day */, str(e, "name"));
		if (r < 0 || (size_t) r >= sizeof line - len)
			break;
		len += (size_t) r;
	}
	if (len) {
		fputs("    evidence: ", stdout);
		wrapped(line, 14, 14);
	}
}

static void print_findings(const json_t *findings, const json_t *events)
{
	size_t n = json_array_size(findings), i;
	const json_t *f;
	if (n == 0) {
		printf("\nNo problem found in the %zu event%s kept.\n", json_array_size(events),
		       json_array_size(events) == 1 ? "" : "s");
		return;
	}
	printf("\n%zu finding%s:\n", n, n == 1 ? "" : "s");
	json_array_foreach(findings, i, f)
	{
		char head[64];
		int k = snprintf(head, sizeof head, "\n  %s %s", str(f, "severity"),
		                 str(f, "rule"));
		for (int c = 3; c < k && head[c] != ' '; c++) /* "ERROR" */
			head[c] = (char) toupper((unsigned char) head[c]);
		puts(head);
		fputs("    ", stdout);
		wrapped(str(f, "finding"), 4, 4);
		print_evidence(f, events);
		fputs("    fix: ", stdout);
		wrapped(str(f, "fix"), 9, 9);
	}
}

static int why(const struct cli_api_target *t, const char *key, bool as_json, bool all)
{
	char seg[512], path[600], err[CLI_API_ERR_MAX];
	json_t *j = NULL;
	int status = 0;
	if (cli_api_escape_segment(key, seg, sizeof seg) < 0) {
		fprintf(stderr, "netbay: '%.64s...' is too long to name a device\n", key);
		return 2;
	}
	snprintf(path, sizeof path, "/api/v1/devices/%s/why", seg);
	if (cli_api_request(t, "GET", path, NULL, &j, &status, err, sizeof err) < 0) {
		fprintf(stderr, "netbay: %s\n", err);
		return 1;
	}
	if (status != 200) {
		const char *e = cli_api_error_text(j);
		fprintf(stderr, "netbay: %s\n", e ? e : "the server refused the request");
		json_decref(j);
		return status == 404 || status == 400 ? 2 : 1;
	}
	if (as_json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		const json_t *dev = json_object_get(j, "device"),
		             *events = json_object_get(j, "events");
		print_device(dev);
		print_timeline(events, json_array_size(json_object_get(dev, "macs")) > 1, all);
		print_findings(json_object_get(j, "findings"), events);
	}
	json_decref(j);
	return 0;
}

int cli_why(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"all", no_argument, NULL, 'a'},
	        {"help", no_argument, NULL, 'h'},
	        CLI_API_TARGET_LONG_OPTIONS,
	        {0},
	};
	bool as_json = false, all = false;
	struct cli_api_target t;
	int c;

	cli_api_target_init(&t);
	while ((c = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			as_json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (!cli_api_target_take(&t, c, optarg))
				return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	return why(&t, argv[optind], as_json, all);
}
