/* netbay: subcommand dispatch only. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: netbay COMMAND [OPTIONS]\n"
	      "\n"
	      "  serve [-c FILE]          run the server\n"
	      "  check [-c FILE]          validate a config; every problem with its line\n"
	      "  device list|show|add|set|approve|reject|remove|import|export\n"
	      "                           the device registry (netbay device --help)\n"
	      "  lease list [--json]      leases known to the running server\n"
	      "  lease release ADDR|MAC   end a lease now\n"
	      "  why MAC|NAME [--json]    a device's boot journey and what went wrong\n"
	      "  status [--json]          what the running server serves: DHCP per interface,\n"
	      "                           pools used and free, DNS, TFTP, HTTP, TLS, uptime\n"
	      "  doctor [SERVER]          client-side checklist: names, ports, DHCP, boot file,\n"
	      "                           clock, proxy (doctor --help for the options)\n"
	      "  version                  print the version\n"
	      "\n"
	      "The default config is " CLI_DEFAULT_CONF ".\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "serve") == 0)
		return cli_serve(argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cli_check(argc, argv);
	if (strcmp(cmd, "lease") == 0)
		return cli_lease(argc, argv);
	if (strcmp(cmd, "device") == 0)
		return cli_device(argc, argv);
	if (strcmp(cmd, "why") == 0)
		return cli_why(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return cli_status(argc, argv);
	if (strcmp(cmd, "doctor") == 0)
		return cli_doctor(argc, argv);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		puts("netbay " NETBAY_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "netbay: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
