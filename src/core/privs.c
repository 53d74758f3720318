#include "core/privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

/* The three sets of this thread, as capget(2) reads them (version 3: two
 * 32-bit words per set). */
struct caps {
	uint64_t eff, prm, inh;
};

static int caps_get(struct caps *ret)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	ret->eff = d[0].effective | (uint64_t) d[1].effective << 32;
	ret->prm = d[0].permitted | (uint64_t) d[1].permitted << 32;
	ret->inh = d[0].inheritable | (uint64_t) d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
	        {(uint32_t) c->eff, (uint32_t) c->prm, (uint32_t) c->inh},
	        {(uint32_t) (c->eff >> 32), (uint32_t) (c->prm >> 32), (uint32_t) (c->inh >> 32)},
	};
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* The highest capability this kernel knows: PR_CAPBSET_READ says EINVAL
 * past it. */
static int last_cap(void)
{
	int n = 0;
	while (n < 63 && prctl(PR_CAPBSET_READ, (unsigned long) n + 1, 0, 0, 0) >= 0)
		n++;
	return n;
}

int privs_user_find(const char *name, struct privs_user *ret)
{
	char buf[4096];
	struct passwd pw, *res = NULL;
	int r = getpwnam_r(name, &pw, buf, sizeof buf, &res);
	if (r != 0)
		return -r;
	if (!res)
		return -ENOENT;
	if (strlen(name) >= sizeof ret->name)
		return -ENAMETOOLONG;
	*ret = (struct privs_user){.uid = pw.pw_uid, .gid = pw.pw_gid};
	snprintf(ret->name, sizeof ret->name, "%s", name);
	return 0;
}

bool privs_is_root(void)
{
	return geteuid() == 0;
}

/* The end state both paths share: only keep, nothing handed on to a
 * program run later (none is), no way back up. */
static int privs_seal(uint64_t keep)
{
	struct caps c = {.eff = keep, .prm = keep, .inh = 0};
	if (caps_set(&c) < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	struct caps now;
	int r = caps_get(&now);
	if (r < 0)
		return r;
	return now.eff == keep && now.prm == keep && now.inh == 0 ? 0 : -EPERM;
}

int privs_switch(const struct privs_user *u, uint64_t keep)
{
	int top = last_cap();
	uid_t ru, eu, su;
	/* the bounding set first: dropping needs CAP_SETPCAP, which goes next */
	for (int cap = 0; cap <= top; cap++)
		if (!(keep & PRIVS_CAP(cap)) &&
		    prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
			return -errno;
	/* keep the permitted set across the uid change; cleared again at once */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || initgroups(u->name, u->gid) < 0 ||
	    setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	int r = privs_seal(keep);
	if (r < 0)
		return r;
	/* a uid of 0 left anywhere would be a way back */
	if (getresuid(&ru, &eu, &su) < 0 || ru != u->uid || eu != u->uid || su != u->uid ||
	    (u->uid != 0 && setuid(0) == 0))
		return -EPERM;
	return 0;
}

int privs_narrow(uint64_t keep, uint64_t *ret_left)
{
	struct caps c;
	int r = caps_get(&c);
	if (r < 0)
		return r;
	uint64_t left = c.prm & keep;
	if ((r = privs_seal(left)) < 0)
		return r;
	*ret_left = left;
	return 0;
}

uint64_t privs_effective(void)
{
	struct caps c = {0};
	(void) caps_get(&c);
	return c.eff;
}

uint64_t privs_permitted(void)
{
	struct caps c = {0};
	(void) caps_get(&c);
	return c.prm;
}

uint64_t privs_bounding(void)
{
	uint64_t b = 0;
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r > 0)
			b |= PRIVS_CAP(cap);
	}
	return b;
}

char *privs_caps_fmt(uint64_t caps, char *buf, size_t n)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = {
	        {CAP_NET_BIND_SERVICE, "cap_net_bind_service"},
	        {CAP_NET_BROADCAST, "cap_net_broadcast"},
	        {CAP_NET_ADMIN, "cap_net_admin"},
	        {CAP_NET_RAW, "cap_net_raw"},
	};
	size_t len = 0;
	if (n == 0)
		return buf;
	buf[0] = 0;
	for (int cap = 0; cap < 64; cap++) {
		if (!(caps & PRIVS_CAP(cap)))
			continue;
		char num[16];
		const char *name = NULL;
		for (size_t i = 0; i < NB_ARRAY_SIZE(names); i++)
			if (names[i].cap == cap)
				name = names[i].name;
		if (!name) {
			snprintf(num, sizeof num, "cap_%d", cap);
			name = num;
		}
		int w = snprintf(buf + len, n - len, "%s%s", len ? "," : "", name);
		if (w < 0 || (size_t) w >= n - len) {
			buf[len] = 0; /* truncated: the names that fit whole stay */
			break;
		}
		len += (size_t) w;
	}
	if (len == 0)
		snprintf(buf, n, "none");
	return buf;
}

unsigned privs_unprivileged_port_start(void)
{
	unsigned v = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (!f)
		return v;
	if (fscanf(f, "%u", &v) != 1)
		v = 1024;
	fclose(f);
	return v;
}

bool privs_can_bind(uint16_t port)
{
	if (port == 0 || port >= privs_unprivileged_port_start())
		return true;
	return (privs_effective() & PRIVS_CAP(CAP_NET_BIND_SERVICE)) != 0;
}
