/* netbay lease: talks to the running server's API. */
#include <stdio.h>

#include "cli/cli.h"

int cli_lease(int argc, char **argv)
{
	(void) argc;
	(void) argv;
	fputs("netbay lease: not available yet (needs the DHCP server and its API)\n", stderr);
	return 1;
}
