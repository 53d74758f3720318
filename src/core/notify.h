/* The service manager's notification protocol (sd_notify(3)), spoken
 * directly: one datagram of newline-separated KEY=VALUE lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace). Without $NOTIFY_SOCKET every call does nothing, so netbay
 * run by hand or by a test is unchanged.
 *
 * No libsystemd: the protocol is one sendto(), documented as stable
 * (systemd's docs/PORTABILITY_AND_STABILITY.md), and a daemon that never
 * links libsystemd runs the same under any manager that speaks it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct notify;

/* Reads $NOTIFY_SOCKET and opens a datagram socket for it. Writes NULL to
 * *ret when the variable is unset (not run by a service manager). Returns
 * 0, -EINVAL for a value that is not an absolute path or '@name', or
 * -errno. The variable is then removed from the environment: nothing
 * netbay might run later talks to the manager in its name. */
int notify_new(struct notify **ret);
void notify_free(struct notify *n);

/* Sends state ("READY=1\nSTATUS=..."), without blocking. NULL-safe: with
 * n NULL it does nothing and returns 0. Returns 1 when sent, else -errno. */
int notify_send(struct notify *n, const char *state);

/* RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC now, as systemd 253's
 * Type=notify-reload wants; older managers ignore the field). */
int notify_reloading(struct notify *n);

/* The watchdog period the manager asks for: $WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or names this process. Returns the period in
 * microseconds, 0 when there is no (valid) watchdog. */
uint64_t notify_watchdog_usec(void);
