/* netbay check [-c FILE]: the same loader serve and reload use. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/conf.h"

int cli_check(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"keys", no_argument, NULL, 'k'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	const char *path = CLI_DEFAULT_CONF;
	bool quiet = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:kqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			conf_print_keys();
			return 0;
		case 'q':
			quiet = true;
			break;
		case 'h':
			puts("usage: netbay check [-c FILE] [--quiet] [--keys]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc)
		path = argv[optind];

	struct conf_diag d = {0};
	NB_CLEANUP(conf_freep) struct conf *conf = NULL;
	int r = conf_load(path, &d, &conf);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (r < 0)
		fprintf(stderr, "%s: %zu problem%s\n", path, d.n, d.n == 1 ? "" : "s");
	else if (!quiet)
		printf("%s: ok (%zu subnet%s, %zu host%s)\n", path, conf->n_subnets,
		       conf->n_subnets == 1 ? "" : "s", conf->n_hosts,
		       conf->n_hosts == 1 ? "" : "s");
	conf_diag_done(&d);
	return r < 0 ? 1 : 0;
}
