/* Privileges: the user netbay runs as and the capabilities it keeps.
 *
 * Started as root, the daemon binds every socket, then switches for good
 * to an unprivileged user ([server] user) keeping only the capabilities
 * it still needs (privs_switch). Started by systemd as that user with
 * ambient capabilities, it only narrows what it was given (privs_narrow).
 * Either way no_new_privs is set: nothing it could exec gains privileges.
 * Capabilities are raw capget/capset (linux/capability.h): no libcap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A capability set as a bit mask: bit n is capability n (CAP_NET_RAW...). */
#define PRIVS_CAP(n) (UINT64_C(1) << (n))

struct privs_user {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Looks name up in the user database. Returns 0, -ENOENT when there is
 * no such user, else -errno (the database could not be read). */
int privs_user_find(const char *name, struct privs_user *ret);

/* Whether the process runs as root (effective uid 0) and may switch. */
bool privs_is_root(void);

/* As root: switches uid, gid and groups (the user's own, initgroups) to u
 * for good, keeping exactly keep in the permitted, effective and bounding
 * sets, none inheritable or ambient, and sets no_new_privs. Returns 0, or
 * -errno of the step that failed (the process may then be half switched
 * and must stop). */
int privs_switch(const struct privs_user *u, uint64_t keep);

/* Not root: narrows the permitted and effective sets to what keep and the
 * current permitted set share, clears the inheritable and ambient sets,
 * sets no_new_privs. Writes the effective set left to *ret_left. Returns
 * 0 or -errno. */
int privs_narrow(uint64_t keep, uint64_t *ret_left);

/* The effective, permitted and bounding sets now. */
uint64_t privs_effective(void);
uint64_t privs_permitted(void);
uint64_t privs_bounding(void);

/* "cap_net_admin,cap_net_raw" (names for the network ones netbay uses,
 * "cap_N" for others), "none" for an empty set. Returns buf. */
char *privs_caps_fmt(uint64_t caps, char *buf, size_t n);

/* The first port an unprivileged process may bind in this network
 * namespace (net.ipv4.ip_unprivileged_port_start; 1024 when unreadable). */
unsigned privs_unprivileged_port_start(void);

/* Whether this process may bind port now: false for a port below
 * privs_unprivileged_port_start() without CAP_NET_BIND_SERVICE in the
 * effective set. */
bool privs_can_bind(uint16_t port);
