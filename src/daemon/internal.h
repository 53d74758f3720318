/* Inside the daemon: its privileges (daemon/privs.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/conf.h"
#include "core/privs.h"

struct daemon_privs {
	struct privs_user user;         /* whom to become, when do_switch */
	bool do_switch;                 /* started as root, [server] user is not root */
	char sock_dir[CONF_SOCKET_MAX]; /* the API socket's directory ... */
	bool sock_dir_existed;          /* ... and whether it was there before netbay */
};

/* At start, before anything is opened: whom [server] user names, when the
 * process is root and will switch (*ret_switch). Logs why and returns
 * -EINVAL when it cannot (no such user, the user database unreadable, a
 * user with uid 0 other than root). */
int daemon_user_resolve(const struct conf *c, struct privs_user *ret, bool *ret_switch);

/* Before the modules start: whether the API socket's directory exists, so
 * that only one netbay made is handed to the user. */
void daemon_note_socket_dir(struct daemon_privs *p, const struct conf *c);

/* Once every socket is bound: hands the data-dir, its files and the API
 * socket to the user, switches to it keeping only the capabilities c
 * needs (see caps_needed in privs.c), or, started unprivileged, narrows
 * what it was given; logs the result. Returns 0 or -errno (logged: netbay
 * must not go on half switched). */
int daemon_drop_privileges(struct daemon_privs *p, const struct conf *c);

/* A reload: for each group of listening keys ([dns] listen/port, [tftp]
 * enable/listen/port, [http] enable/listen/port, [api] listen) whose
 * sockets change and include a port this process cannot bind (no
 * CAP_NET_BIND_SERVICE), the running values are kept in next and the
 * reason logged. Returns how many groups were kept. */
size_t daemon_keep_unbindable(const struct conf *running, struct conf *next);
