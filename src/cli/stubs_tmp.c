#include "cli/cli.h"
int cli_serve(int argc, char **argv)
{
	(void) argc;
	(void) argv;
	return 1;
}
int cli_lease(int argc, char **argv)
{
	(void) argc;
	(void) argv;
	return 1;
}
