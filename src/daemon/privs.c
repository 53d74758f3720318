/* The daemon's privileges (daemon/internal.h): which user it becomes,
 * which capabilities it keeps and why, the files it hands to that user,
 * and the reload keys it cannot apply once it could not bind them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/privs.h"
#include "daemon/internal.h"

/* What each capability is kept for; a capability no line names is dropped.
 * The set depends on [dhcp] mode, which a reload cannot change. */
static uint64_t caps_needed(const struct conf *c)
{
	/* a reload may move DNS, TFTP or HTTP to another address on a port below
	 * 1024, or put back the running one when another module refuses it */
	uint64_t k = PRIVS_CAP(CAP_NET_BIND_SERVICE);
	/* SIOCSARP: the ARP entry that lets an OFFER/ACK go unicast to a client
	 * that has no address yet (RFC 2131 4.1), instead of broadcast */
	if (c->dhcp.mode == DHCP_MODE_FULL || c->dhcp.mode == DHCP_MODE_AUTO)
		k |= PRIVS_CAP(CAP_NET_ADMIN);
	/* the auto-mode probe's AF_PACKET sockets, opened per interface as they come */
	if (c->dhcp.mode == DHCP_MODE_AUTO)
		k |= PRIVS_CAP(CAP_NET_RAW);
	return k;
}

int daemon_user_resolve(const struct conf *c, struct privs_user *ret, bool *ret_switch)
{
	*ret_switch = false;
	if (!privs_is_root() || strcmp(c->server.user, "root") == 0)
		return 0;
	int r = privs_user_find(c->server.user, ret);
	if (r == 0 && ret->uid == 0) {
		r = -EINVAL;
		log_err("%s:%d: [server] user = %s has uid 0: that is root by another name; set "
		        "user = root to run as root",
		        c->path, c->server.user_line, c->server.user);
		return r;
	}
	if (r < 0) {
		char where[CONF_PATH_MAX + 16];
		if (c->server.user_line)
			snprintf(where, sizeof where, "%s:%d", c->path, c->server.user_line);
		else
			snprintf(where, sizeof where, "%s", c->path);
		log_err("%s: [server] user = %s%s: %s; not starting. Create it (useradd --system "
		        "--home-dir %s --shell /usr/sbin/nologin %s, or systemd-sysusers with "
		        "netbay's sysusers.d file), or set [server] user to an existing one",
		        where, c->server.user, c->server.user_line ? "" : " (the default)",
		        r == -ENOENT ? "no such user" : strerror(-r), c->server.data_dir,
		        c->server.user);
		return -EINVAL; /* a configuration this machine cannot run */
	}
	*ret_switch = true;
	return 0;
}

/* Gives path to the user; a file another user owns on purpose (a symlink
 * to elsewhere) is not followed. */
static int give(int dirfd, const char *path, const struct privs_user *u)
{
	if (fchownat(dirfd, path, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		log_err("privileges: cannot give %s to user %s: %m", path, u->name);
		return -errno;
	}
	return 0;
}

/* A directory and the regular files in it, and (depth > 0) its
 * subdirectories the same way: symlinks are never followed. */
static int give_tree(int parent, const char *name, const char *path, const struct privs_user *u,
                     int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (fchown(fd, u->uid, u->gid) < 0) {
		r = -errno;
		log_err("privileges: cannot give %s to user %s: %m", path, u->name);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return r < 0 ? r : -errno;
	}
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		char sub[CONF_PATH_MAX + 2 * NAME_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		if (S_ISDIR(st.st_mode) && depth > 0) {
			r = give_tree(dirfd(d), e->d_name, sub, u, depth - 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || (st.st_uid == u->uid && st.st_gid == u->gid))
			continue;
		if (fchownat(dirfd(d), e->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			log_err("privileges: cannot give %s to user %s: %m", sub, u->name);
		}
	}
	closedir(d);
	return r;
}

/* The data-dir and what is in it (the database, its -wal, -shm and lock
 * files, the generated TLS certificate and key in tls/): the process that
 * writes them, or re-reads them on a reload, after the switch must own them. */
static int give_data_dir(const char *dir, const struct privs_user *u)
{
	return give_tree(AT_FDCWD, dir, dir, u, 1);
}

void daemon_note_socket_dir(struct daemon_privs *p, const struct conf *c)
{
	struct stat st;
	const char *slash = strrchr(c->api.socket, '/');
	p->sock_dir[0] = 0;
	if (!slash || slash == c->api.socket)
		return;
	snprintf(p->sock_dir, sizeof p->sock_dir, "%.*s", (int) (slash - c->api.socket),
	         c->api.socket);
	p->sock_dir_existed = stat(p->sock_dir, &st) == 0;
}

/* The API socket (and its directory, when netbay made it): the user must
 * be able to remove it at stop and replace it on a reload. */
static int give_socket(const struct daemon_privs *p, const struct conf *c,
                       const struct privs_user *u)
{
	struct stat st;
	if (!c->api.socket[0] || lstat(c->api.socket, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (p->sock_dir[0] && !p->sock_dir_existed && give(AT_FDCWD, p->sock_dir, u) < 0)
		return -EPERM;
	return give(AT_FDCWD, c->api.socket, u);
}

/* What a missing capability costs, said once at start. */
static void warn_missing(uint64_t missing)
{
	if (missing & PRIVS_CAP(CAP_NET_ADMIN))
		log_warn("privileges: no CAP_NET_ADMIN: DHCP replies to clients without an address "
		         "are broadcast (no ARP entry for a unicast reply)");
	if (missing & PRIVS_CAP(CAP_NET_RAW))
		log_warn("privileges: no CAP_NET_RAW: [dhcp] mode = auto cannot probe for other "
		         "DHCP servers; the interfaces are served as a proxy");
	if (missing & PRIVS_CAP(CAP_NET_BIND_SERVICE))
		log_warn("privileges: no CAP_NET_BIND_SERVICE: a reload cannot listen on a new "
		         "port below %u",
		         privs_unprivileged_port_start());
}

/* A reload reads the file again, as the user: say now if it cannot. */
static void check_conf_readable(const struct conf *c, const char *user)
{
	if (access(c->path, R_OK) < 0)
		log_warn("privileges: %s is not readable by user %s (%m): a reload (SIGHUP) will "
		         "fail; make it readable (chgrp %s %s; chmod 640 %s)",
		         c->path, user, user, c->path, c->path);
}

int daemon_drop_privileges(struct daemon_privs *p, const struct conf *c)
{
	char caps[128];
	uint64_t keep = caps_needed(c), left = 0;
	int r;

	if (!p->do_switch) {
		if (!privs_is_root()) {
			/* started unprivileged (systemd's User= and AmbientCapabilities=) */
			if ((r = privs_narrow(keep, &left)) < 0) {
				log_err("privileges: cannot narrow the capabilities: %s",
				        strerror(-r));
				return r;
			}
			log_info("privileges: running as uid %u (not started as root), "
			         "capabilities: "
			         "%s; no new privileges",
			         (unsigned) getuid(), privs_caps_fmt(left, caps, sizeof caps));
			warn_missing(keep & ~left);
			check_conf_readable(c, "of this process");
		} else {
			log_warn(
			        "privileges: [server] user = root: netbay keeps every privilege of "
			        "root while it parses packets from the network");
		}
		return 0;
	}
	if ((r = give_data_dir(c->server.data_dir, &p->user)) < 0 ||
	    (r = give_socket(p, c, &p->user)) < 0)
		return r;
	if ((r = privs_switch(&p->user, keep)) < 0) {
		log_err("privileges: cannot switch to user %s: %s", p->user.name, strerror(-r));
		return r;
	}
	log_info("privileges: running as user %s (uid %u, gid %u), capabilities: %s; no new "
	         "privileges",
	         p->user.name, (unsigned) p->user.uid, (unsigned) p->user.gid,
	         privs_caps_fmt(keep, caps, sizeof caps));
	check_conf_readable(c, p->user.name);
	return 0;
}

/* ---- a reload without CAP_NET_BIND_SERVICE */

struct lsock {
	uint32_t addr;
	uint32_t port;
};

/* The listening sockets of one group of keys, as its module opens them. */
enum { G_DNS, G_TFTP, G_HTTP, G_API, N_GROUPS };

static size_t socks_of(const struct conf *c, int g, struct lsock *out)
{
	size_t n = 0;
	switch (g) {
	case G_DNS:
		if (c->dns.mode == DNS_MODE_OFF)
			break;
		for (size_t i = 0; i < (c->dns.n_listen ? c->dns.n_listen : 1); i++)
			out[n++] =
			        (struct lsock){c->dns.n_listen ? c->dns.listen[i] : 0, c->dns.port};
		break;
	case G_TFTP:
		if (c->tftp.enable)
			out[n++] = (struct lsock){c->tftp.listen, c->tftp.port};
		break;
	case G_HTTP:
		if (c->http.enable)
			out[n++] = (struct lsock){c->http.listen, c->http.port};
		break;
	case G_API:
		if (c->api.listen_port)
			out[n++] = (struct lsock){c->api.listen_addr, c->api.listen_port};
		break;
	}
	return n;
}

/* The keys of group g in next take their running values. */
static const char *keep_group(const struct conf *running, struct conf *next, int g)
{
	switch (g) {
	case G_DNS:
		memcpy(next->dns.listen, running->dns.listen, sizeof next->dns.listen);
		next->dns.n_listen = running->dns.n_listen;
		next->dns.port = running->dns.port;
		return "[dns] listen and port";
	case G_TFTP:
		next->tftp.enable = running->tftp.enable;
		next->tftp.listen = running->tftp.listen;
		next->tftp.port = running->tftp.port;
		return "[tftp] enable, listen and port";
	case G_HTTP:
		next->http.enable = running->http.enable;
		next->http.listen = running->http.listen;
		next->http.port = running->http.port;
		return "[http] enable, listen and port";
	default:
		next->api.listen_addr = running->api.listen_addr;
		next->api.listen_port = running->api.listen_port;
		return "[api] listen";
	}
}

/* Whether the group's sockets change: its module then closes all of them
 * and opens the new ones (and, when that fails, the old ones again). */
static bool socks_differ(const struct lsock *a, size_t n_a, const struct lsock *b, size_t n_b)
{
	if (n_a != n_b)
		return true;
	for (size_t i = 0; i < n_b; i++) {
		bool have = false;
		for (size_t j = 0; j < n_a; j++)
			have |= a[j].addr == b[i].addr && a[j].port == b[i].port;
		if (!have)
			return true;
	}
	return false;
}

/* The first socket of s[] this process could not bind again, or NULL. */
static const struct lsock *unbindable(const struct lsock *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!privs_can_bind((uint16_t) s[i].port))
			return &s[i];
	return NULL;
}

size_t daemon_keep_unbindable(const struct conf *running, struct conf *next)
{
	static const char *const names[N_GROUPS] = {"dns", "tftp", "http", "api"};
	struct lsock old[CONF_MAX_LIST], now[CONF_MAX_LIST];
	char a[IP4_STRLEN];
	size_t kept = 0;
	for (int g = 0; g < N_GROUPS; g++) {
		size_t n_old = socks_of(running, g, old), n_now = socks_of(next, g, now);
		if (!socks_differ(old, n_old, now, n_now))
			continue;
		/* a new socket it cannot bind, or a running one it could not bind
		 * again if the new ones fail */
		const struct lsock *bad = unbindable(now, n_now);
		bool is_new = bad != NULL;
		if (!bad)
			bad = unbindable(old, n_old);
		if (!bad)
			continue;
		const char *keys = keep_group(running, next, g);
		log_err("reload: %s %s %s:%u, a port below %u, and this process (uid %u) has no "
		        "CAP_NET_BIND_SERVICE to bind it: %s keep their running values; restart "
		        "netbay to apply them",
		        names[g], is_new ? "would listen on" : "could not go back to",
		        ip4_fmt(bad->addr, a), bad->port, privs_unprivileged_port_start(),
		        (unsigned) getuid(), keys);
		kept++;
	}
	return kept;
}
