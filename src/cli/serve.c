/* netbay serve: reads its options and runs the daemon (daemon/daemon.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/log.h"
#include "daemon/daemon.h"

int cli_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	const char *conf_path = CLI_DEFAULT_CONF;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			puts("usage: netbay serve [-c FILE]\n"
			     "Runs in the foreground and logs to stderr (journald-friendly).");
			return 0;
		default:
			return 2;
		}
	}
	log_init(LOG_LVL_INFO);
	return daemon_run(conf_path) < 0 ? 1 : 0;
}
