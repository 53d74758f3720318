/* netbay doctor: the client-side troubleshooting checklist (docs/doctor.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/tls.h"
#include "doctor/doctor.h"

extern char **environ;

static void usage(FILE *f)
{
	fputs("usage: netbay doctor [SERVER] [OPTIONS]\n"
	      "\n"
	      "Runs the client-side checklist against SERVER (a name or an address; default\n"
	      "'netbay'): one line per check, details under the ones that warn or fail.\n"
	      "\n"
	      "  --server SERVER        the same as the SERVER argument\n"
	      "  --interface IF         the interface for the DHCP and addressing checks\n"
	      "                         (default: the route's to the server)\n"
	      "  --only CHECKS          a comma list of checks to run (default: all)\n"
	      "  --json                 the report as JSON\n"
	      "  --timeout SEC          how long each probe waits (default 3)\n"
	      "  --dhcp-wait SEC        how long DHCP offers are collected (default 3)\n"
	      "  --http-port PORT       the server's HTTP port (default 80)\n"
	      "  --api-port PORT        the server's [api] listen port (HTTPS), when it has one\n"
	      "                         (default: the port its health answer names)\n"
	      "  --fingerprint SHA256   the HTTPS certificate must have this fingerprint\n"
	      "  --srv NAME             an SRV record to resolve (repeatable), e.g. _vlmcs._tcp\n"
	      "  --clock-threshold SEC  a clock offset above this warns (default 60);\n"
	      "                         above five times this it fails\n"
	      "  --arch N               option 93 in the DISCOVER (default: 7 on UEFI, else 0)\n"
	      "  --resolv-conf FILE     the resolvers to ask directly (default /etc/resolv.conf)\n"
	      "\n"
	      "Checks:\n",
	      f);
	for (size_t i = 0; i < doctor_n_checks; i++)
		fprintf(f, "  %-11s %s\n", doctor_checks[i].name, doctor_checks[i].what);
	fputs("\nExit status: 0 when nothing failed (warnings allowed), 1 when a check failed,\n"
	      "2 for a usage error.\n",
	      f);
}

enum {
	OPT_SERVER = 0x100,
	OPT_INTERFACE,
	OPT_ONLY,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_DHCP_WAIT,
	OPT_HTTP_PORT,
	OPT_API_PORT,
	OPT_SRV,
	OPT_CLOCK,
	OPT_ARCH,
	OPT_RESOLV,
	OPT_FINGERPRINT,
};

static int seconds_ms(const char *opt, const char *arg, int *ret)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v > 0) || v > 600) {
		fprintf(stderr, "netbay doctor: %s '%s' is not a number of seconds (0-600)\n", opt,
		        arg);
		return -EINVAL;
	}
	*ret = (int) (v * 1000);
	return 0;
}

static int number(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (nb_parse_uint(arg, min, max, ret) < 0) {
		fprintf(stderr, "netbay doctor: %s '%s' is not a number %llu-%llu\n", opt, arg,
		        (unsigned long long) min, (unsigned long long) max);
		return -EINVAL;
	}
	return 0;
}

/* Applies one option to o; 0, or -EINVAL after saying why on stderr. */
static int take_option(int c, char *arg, struct doctor_opts *o, uint32_t *mask, bool *as_json)
{
	char err[128];
	uint64_t v;
	switch (c) {
	case OPT_SERVER:
		o->server = arg;
		return 0;
	case OPT_INTERFACE:
		if (!arg[0] || strlen(arg) >= IF_NAMESIZE) {
			fprintf(stderr,
			        "netbay doctor: --interface '%s' is not an interface name\n", arg);
			return -EINVAL;
		}
		o->ifname = arg;
		return 0;
	case OPT_ONLY:
		if (doctor_parse_only(arg, mask, err, sizeof err) < 0) {
			fprintf(stderr, "netbay doctor: %s\n", err);
			return -EINVAL;
		}
		return 0;
	case OPT_JSON:
		*as_json = true;
		return 0;
	case OPT_TIMEOUT:
		return seconds_ms("--timeout", arg, &o->timeout_ms);
	case OPT_DHCP_WAIT:
		return seconds_ms("--dhcp-wait", arg, &o->dhcp_wait_ms);
	case OPT_HTTP_PORT:
	case OPT_API_PORT:
		if (number(c == OPT_HTTP_PORT ? "--http-port" : "--api-port", arg, 1, 65535, &v) <
		    0)
			return -EINVAL;
		*(c == OPT_HTTP_PORT ? &o->http_port : &o->api_port) = (uint16_t) v;
		return 0;
	case OPT_SRV:
		if (o->n_srv >= DOCTOR_MAX_SRV || !arg[0] || strlen(arg) >= DOCTOR_NAME_MAX) {
			fprintf(stderr,
			        "netbay doctor: at most %d --srv names of at most %d characters\n",
			        DOCTOR_MAX_SRV, DOCTOR_NAME_MAX - 1);
			return -EINVAL;
		}
		o->srv[o->n_srv++] = arg;
		return 0;
	case OPT_CLOCK:
		if (number("--clock-threshold", arg, 1, 86400 * 365, &v) < 0)
			return -EINVAL;
		o->clock_warn_sec = (int) v;
		o->clock_fail_sec = (int) v * 5;
		return 0;
	case OPT_ARCH:
		if (number("--arch", arg, 0, 65535, &v) < 0)
			return -EINVAL;
		o->arch = (int) v;
		return 0;
	case OPT_RESOLV:
		o->resolv_conf = arg;
		return 0;
	case OPT_FINGERPRINT:
		if (tls_fingerprint_parse(arg, o->pin) < 0) {
			fprintf(stderr,
			        "netbay doctor: --fingerprint '%.120s' is not a SHA-256 "
			        "fingerprint "
			        "(32 hex pairs, AB:CD:...)\n",
			        arg);
			return -EINVAL;
		}
		o->have_pin = true;
		return 0;
	default:
		usage(stderr);
		return -EINVAL;
	}
}

/* Runs the checks and prints the report; the exit status. */
static int run(const struct doctor_opts *o, uint32_t mask, bool as_json)
{
	NB_CLEANUP(freep) struct doctor *d = malloc(sizeof *d);
	NB_CLEANUP(freep) struct doctor_result *res = calloc(doctor_n_checks, sizeof *res);
	if (!d || !res) {
		fprintf(stderr, "netbay doctor: out of memory\n");
		return 1;
	}
	doctor_init(d, o);
	int failed = doctor_run(d, mask, res);
	if (as_json) {
		json_t *j = doctor_report_json(d, mask, res);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		doctor_report_text(stdout, d, mask, res);
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

int cli_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"server", required_argument, NULL, OPT_SERVER},
	        {"interface", required_argument, NULL, OPT_INTERFACE},
	        {"only", required_argument, NULL, OPT_ONLY},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"dhcp-wait", required_argument, NULL, OPT_DHCP_WAIT},
	        {"http-port", required_argument, NULL, OPT_HTTP_PORT},
	        {"api-port", required_argument, NULL, OPT_API_PORT},
	        {"srv", required_argument, NULL, OPT_SRV},
	        {"clock-threshold", required_argument, NULL, OPT_CLOCK},
	        {"arch", required_argument, NULL, OPT_ARCH},
	        {"resolv-conf", required_argument, NULL, OPT_RESOLV},
	        {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	struct doctor_opts o;
	uint32_t mask = (1u << doctor_n_checks) - 1, a;
	bool as_json = false;
	int c;

	doctor_opts_init(&o);
	o.envp = environ;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (take_option(c, optarg, &o, &mask, &as_json) < 0)
			return 2;
	}
	if (optind < argc)
		o.server = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "netbay doctor: one server at most ('%s' is extra)\n",
		        argv[optind]);
		return 2;
	}
	if (!o.server[0] || (ip4_parse(o.server, &a) < 0 && !nb_hostname_valid(o.server))) {
		fprintf(stderr, "netbay doctor: '%s' is neither a host name nor an IPv4 address\n",
		        o.server);
		return 2;
	}
	return run(&o, mask, as_json);
}
