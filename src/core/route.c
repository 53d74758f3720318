/* Route lookups over rtnetlink (route.h). The answer is read with the wire
 * cursor; netlink's own fields are in host byte order, the addresses in
 * network order. */
#include "core/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "core/wire.h"

#define NL_ALIGN4(n) (((n) + 3u) & ~3u)

int route_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	return fd < 0 ? -errno : fd;
}

static uint32_t host_u32(struct wire *w)
{
	uint32_t v = 0;
	wire_bytes(w, &v, sizeof v);
	return v;
}

static uint16_t host_u16(struct wire *w)
{
	uint16_t v = 0;
	wire_bytes(w, &v, sizeof v);
	return v;
}

/* The attributes after a struct rtmsg. */
static int parse_attrs(struct wire *w, struct route *r)
{
	while (w->err == 0 && wire_left(w) >= 4) {
		uint16_t len = host_u16(w), type = host_u16(w);
		if (len < 4)
			return -EBADMSG;
		struct wire body = wire_take(w, len - 4u);
		wire_skip(w, NB_MIN(wire_left(w), (size_t) (NL_ALIGN4(len) - len)));
		if (body.err)
			return -EBADMSG;
		if (type == RTA_OIF && wire_left(&body) == 4)
			r->oif = (int) host_u32(&body);
		else if (type == RTA_GATEWAY && wire_left(&body) == 4)
			r->gateway = wire_u32(&body); /* network order on the wire */
	}
	return w->err;
}

int route_parse(const uint8_t *buf, size_t len, uint32_t seq, struct route *ret)
{
	struct wire w = wire_init(buf, len);
	uint32_t mlen = host_u32(&w);
	uint16_t type = host_u16(&w);
	(void) host_u16(&w); /* flags */
	uint32_t mseq = host_u32(&w);
	(void) host_u32(&w); /* port id */
	if (w.err || mlen < 16 || mlen > len || mseq != seq)
		return -EBADMSG;
	struct wire body = wire_take(&w, mlen - 16u);
	if (type == NLMSG_ERROR) {
		int32_t e = (int32_t) host_u32(&body);
		if (body.err || e > 0 || e < -4095)
			return -EBADMSG;
		return e == -EHOSTUNREACH || e == -ENETUNREACH ? -ENETUNREACH : (e ? e : -EBADMSG);
	}
	if (type != RTM_NEWROUTE)
		return -EBADMSG;
	uint8_t family = wire_u8(&body);
	wire_skip(&body, 6); /* dst_len, src_len, tos, table, protocol, scope */
	uint8_t rtype = wire_u8(&body);
	(void) host_u32(&body); /* flags */
	if (body.err || family != AF_INET)
		return -EBADMSG;
	struct route r = {.local = rtype == RTN_LOCAL};
	if (rtype != RTN_UNICAST && rtype != RTN_LOCAL)
		return -ENETUNREACH; /* unreachable, prohibit, blackhole, broadcast, ... */
	if (parse_attrs(&body, &r) < 0)
		return -EBADMSG;
	*ret = r;
	return 0;
}

int route_get(int fd, uint32_t dst, struct route *ret)
{
	static uint32_t seq;
	struct {
		struct nlmsghdr h;
		struct rtmsg m;
		struct rtattr a;
		uint32_t dst;
	} q;
	uint8_t buf[1024];

	memset(&q, 0, sizeof q);
	q.h.nlmsg_len = sizeof q;
	q.h.nlmsg_type = RTM_GETROUTE;
	q.h.nlmsg_flags = NLM_F_REQUEST;
	q.h.nlmsg_seq = ++seq;
	q.m.rtm_family = AF_INET;
	q.m.rtm_dst_len = 32;
	q.a.rta_type = RTA_DST;
	q.a.rta_len = RTA_LENGTH(sizeof q.dst);
	q.dst = htonl(dst);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, &q, sizeof q, 0, (struct sockaddr *) &k, sizeof k) < 0)
		return -errno;
	/* answered synchronously; skip stale answers to earlier queries */
	for (int i = 0; i < 8; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		int r = route_parse(buf, (size_t) n, q.h.nlmsg_seq, ret);
		if (r != -EBADMSG)
			return r;
	}
	return -EBADMSG;
}
