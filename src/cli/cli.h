/* Front ends of the subcommands. Each takes main's argc/argv with the
 * subcommand itself as argv[0] and returns the process exit status. */
#pragma once

#define CLI_DEFAULT_CONF   "/etc/netbay/netbay.conf"
#define CLI_DEFAULT_SOCKET "/run/netbay/api.sock"

int cli_serve(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_lease(int argc, char **argv);
int cli_device(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_why(int argc, char **argv);
