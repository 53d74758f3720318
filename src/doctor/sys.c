/* What the machine looks like: interface addresses, routes, resolvers.
 * Read only; nothing here changes anything. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doctor/doctor.h"

unsigned doctor_mask_prefix(uint32_t m)
{
	unsigned p = 0;
	while (p < 32 && (m & (0x80000000u >> p)))
		p++;
	return p;
}

int doctor_sys_lifs(struct doctor_lif *out, size_t max)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		struct doctor_lif *l = &out[n++];
		memset(l, 0, sizeof *l);
		snprintf(l->ifname, sizeof l->ifname, "%s", i->ifa_name);
		l->ifindex = (int) if_nametoindex(i->ifa_name);
		l->addr = ntohl(((struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr);
		l->prefix = doctor_mask_prefix(
		        ntohl(((struct sockaddr_in *) i->ifa_netmask)->sin_addr.s_addr));
		l->up = (i->ifa_flags & IFF_UP) && (i->ifa_flags & IFF_RUNNING);
		l->loopback = i->ifa_flags & IFF_LOOPBACK;
	}
	freeifaddrs(ifa);
	return (int) n;
}

int doctor_sys_routes(struct doctor_route *out, size_t max)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[512];
	size_t n = 0;
	if (!f)
		return -errno;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; hex, network order */
	while (n < max && fgets(line, sizeof line, f)) {
		char ifname[IF_NAMESIZE + 8];
		unsigned dest, gw, flags, refcnt, use, metric, mask;
		if (sscanf(line, "%15s %x %x %x %u %u %u %x", ifname, &dest, &gw, &flags, &refcnt,
		           &use, &metric, &mask) != 8)
			continue; /* the header */
		if (!(flags & 1)) /* RTF_UP */
			continue;
		struct doctor_route *r = &out[n++];
		memset(r, 0, sizeof *r);
		memcpy(r->ifname, ifname, sizeof r->ifname - 1);
		r->dest = ntohl(dest);
		r->gw = (flags & 2) ? ntohl(gw) : 0; /* RTF_GATEWAY */
		r->prefix = doctor_mask_prefix(ntohl(mask));
		r->metric = metric;
	}
	fclose(f);
	return (int) n;
}

const struct doctor_route *doctor_route_lookup(const struct doctor_route *r, size_t n, uint32_t dst)
{
	const struct doctor_route *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!ip4_in(dst, r[i].dest & ip4_mask(r[i].prefix), r[i].prefix))
			continue;
		if (!best || r[i].prefix > best->prefix ||
		    (r[i].prefix == best->prefix && r[i].metric < best->metric))
			best = &r[i];
	}
	return best;
}

static void add_search(struct doctor_resolv *rv, const char *d)
{
	size_t l = strlen(d);
	if (l && d[l - 1] == '.')
		l--;
	if (!l || l >= DOCTOR_NAME_MAX || rv->n_search >= DOCTOR_MAX_SEARCH)
		return;
	for (size_t i = 0; i < rv->n_search; i++)
		if (strncmp(rv->search[i], d, l) == 0 && rv->search[i][l] == 0)
			return;
	memcpy(rv->search[rv->n_search], d, l);
	rv->search[rv->n_search++][l] = 0;
}

void doctor_resolv_parse(const char *text, struct doctor_resolv *ret)
{
	memset(ret, 0, sizeof *ret);
	/* resolv.conf(5): the last domain or search line wins */
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int) NB_MIN(n, sizeof line - 1), text);
		text += n + (text[n] == '\n');
		char *save = NULL, *key = strtok_r(line, " \t\r", &save);
		if (!key || key[0] == '#' || key[0] == ';')
			continue;
		if (strcmp(key, "nameserver") == 0) {
			char *v = strtok_r(NULL, " \t\r", &save);
			uint32_t a;
			if (v && ip4_parse(v, &a) == 0 && ret->n_ns < DOCTOR_MAX_NS)
				ret->ns[ret->n_ns++] = a;
		} else if (strcmp(key, "domain") == 0 || strcmp(key, "search") == 0) {
			ret->n_search = 0;
			for (char *v; (v = strtok_r(NULL, " \t\r", &save));)
				add_search(ret, v);
		}
	}
}

int doctor_resolv_load(const char *path, struct doctor_resolv *ret)
{
	char buf[8192];
	FILE *f = fopen(path, "re");
	if (!f) {
		memset(ret, 0, sizeof *ret);
		return -errno;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	doctor_resolv_parse(buf, ret);
	return 0;
}

int doctor_sys_ifinfo(const char *ifname, struct hwaddr *ret_mac, int *ret_ifindex)
{
	struct ifreq ifr = {0};
	if (nb_strlcpy(ifr.ifr_name, ifname, sizeof ifr.ifr_name) < 0)
		return -ENODEV;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	int e = errno;
	close(fd);
	if (r < 0)
		return -e;
	memcpy(ret_mac->b, ifr.ifr_hwaddr.sa_data, 6);
	*ret_ifindex = (int) if_nametoindex(ifname);
	return *ret_ifindex > 0 ? 0 : -ENODEV;
}
