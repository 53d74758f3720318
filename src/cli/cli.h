/* Front ends of the subcommands. Each takes main's argc/argv with the
 * subcommand itself as argv[0] and returns the process exit status. */
#pragma once

#include <stdbool.h>

#define CLI_DEFAULT_CONF   "/etc/netbay/netbay.conf"
#define CLI_DEFAULT_SOCKET "/run/netbay/api.sock"

int cli_serve(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_lease(int argc, char **argv);
int cli_device(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_why(int argc, char **argv);
int cli_status(int argc, char **argv);

struct cli_api_target;
/* netbay lease import (lease_import.c): through t's API while a server
 * holds the database (t is the config's [api] socket unless target_given),
 * else into the database. Returns the exit status. */
int cli_lease_import(const char *conf_path, const char *csv, bool dry_run, struct cli_api_target *t,
                     bool target_given);
