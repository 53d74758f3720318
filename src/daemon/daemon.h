/* The daemon: what `netbay serve` runs. It assembles the shared services
 * (store, loop, local names, journal, control calls, device registry,
 * served LAN: core/services.h), starts the protocol modules (DHCP, HTTP,
 * TFTP, DNS) in one event loop, commits the store at the end of every
 * turn, and handles SIGTERM/SIGINT (stop) and SIGHUP (reload). */
#pragma once

/* Loads conf_path and runs the daemon in the foreground until a stop
 * signal; logging must be set up (log_init). Every problem is logged when
 * it happens. Returns 0 after a clean stop, -EINVAL when the configuration
 * does not load, else the -errno that stopped it (at start-up or in the
 * loop). */
int daemon_run(const char *conf_path);
