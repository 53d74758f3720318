#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int net_udp_socket(uint32_t addr, uint16_t port, const char *ifname, int flags)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (((flags & NET_REUSEADDR) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
	    ((flags & NET_REUSEPORT) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
	    ((flags & NET_BROADCAST) &&
	     setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) ||
	    ((flags & NET_PKTINFO) &&
	     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) ||
	    (ifname && *ifname &&
	     setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t) strlen(ifname)) < 0))
		goto fail;
	struct sockaddr_in sa = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
		goto fail;
	return fd;
fail:;
	int r = -errno;
	close(fd);
	return r;
}

struct net_batch {
	size_t count, bufsize;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_in *from;
	uint8_t *bufs;
	uint8_t (*ctl)[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct net_pkt *pkts;
};

struct net_batch *net_batch_new(size_t count, size_t bufsize)
{
	struct net_batch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->count = count;
	b->bufsize = bufsize;
	b->msgs = calloc(count, sizeof *b->msgs);
	b->iov = calloc(count, sizeof *b->iov);
	b->from = calloc(count, sizeof *b->from);
	b->bufs = malloc(count * bufsize);
	b->ctl = calloc(count, sizeof *b->ctl);
	b->pkts = calloc(count, sizeof *b->pkts);
	if (!b->msgs || !b->iov || !b->from || !b->bufs || !b->ctl || !b->pkts) {
		net_batch_free(b);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		b->iov[i] = (struct iovec){b->bufs + i * bufsize, bufsize};
		b->msgs[i].msg_hdr = (struct msghdr){
		        .msg_name = &b->from[i],
		        .msg_iov = &b->iov[i],
		        .msg_iovlen = 1,
		        .msg_control = b->ctl[i],
		};
	}
	return b;
}

void net_batch_free(struct net_batch *b)
{
	if (!b)
		return;
	free(b->msgs);
	free(b->iov);
	free(b->from);
	free(b->bufs);
	free(b->ctl);
	free(b->pkts);
	free(b);
}

int net_batch_recv(int fd, struct net_batch *b)
{
	/* only what the kernel overwrites on each receive */
	for (size_t i = 0; i < b->count; i++) {
		b->msgs[i].msg_hdr.msg_namelen = sizeof b->from[i];
		b->msgs[i].msg_hdr.msg_controllen = sizeof b->ctl[i];
		b->msgs[i].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(fd, b->msgs, (unsigned) b->count, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct net_pkt *p = &b->pkts[i];
		struct msghdr *h = &b->msgs[i].msg_hdr;
		*p = (struct net_pkt){
		        .data = b->iov[i].iov_base,
		        .len = b->msgs[i].msg_len,
		        .src_addr = ntohl(b->from[i].sin_addr.s_addr),
		        .src_port = ntohs(b->from[i].sin_port),
		};
		if (h->msg_flags & MSG_TRUNC)
			p->len = b->bufsize + 1; /* larger than any buffer: callers drop it */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof pi);
				p->ifindex = pi.ipi_ifindex;
				p->dst_addr = ntohl(pi.ipi_addr.s_addr);
			}
		}
	}
	return n;
}

struct net_pkt *net_batch_pkt(struct net_batch *b, size_t i)
{
	return &b->pkts[i];
}

struct send_ctx {
	struct sockaddr_in to;
	struct iovec iov;
	union {
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
};

static void prepare(struct send_ctx *c, struct msghdr *h, const struct net_out *o)
{
	memset(c, 0, sizeof *c);
	c->to = (struct sockaddr_in){.sin_family = AF_INET,
	                             .sin_port = htons(o->port),
	                             .sin_addr.s_addr = htonl(o->dst)};
	c->iov = (struct iovec){(void *) o->buf, o->len};
	*h = (struct msghdr){.msg_name = &c->to,
	                     .msg_namelen = sizeof c->to,
	                     .msg_iov = &c->iov,
	                     .msg_iovlen = 1};
	if (o->src_addr || o->ifindex) {
		h->msg_control = c->ctl.buf;
		h->msg_controllen = sizeof c->ctl.buf;
		struct cmsghdr *cm = CMSG_FIRSTHDR(h);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo pi = {.ipi_ifindex = o->ifindex,
		                        .ipi_spec_dst.s_addr = htonl(o->src_addr)};
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	}
}

int net_send(int fd, const void *buf, size_t len, uint32_t dst, uint16_t port, uint32_t src_addr,
             int ifindex)
{
	struct net_out o = {buf, len, dst, src_addr, port, ifindex};
	struct send_ctx c;
	struct msghdr h;
	prepare(&c, &h, &o);
	return sendmsg(fd, &h, MSG_DONTWAIT) < 0 ? -errno : 0;
}

int net_send_many(int fd, const struct net_out *out, size_t n)
{
	struct send_ctx ctx[NET_BATCH_MAX];
	struct mmsghdr msgs[NET_BATCH_MAX];
	size_t done = 0;
	int err = 0;

	while (done < n) {
		size_t k = NB_MIN(n - done, (size_t) NET_BATCH_MAX);
		for (size_t i = 0; i < k; i++) {
			memset(&msgs[i], 0, sizeof msgs[i]);
			prepare(&ctx[i], &msgs[i].msg_hdr, &out[done + i]);
		}
		int r = sendmmsg(fd, msgs, (unsigned) k, MSG_DONTWAIT);
		if (r <= 0) {
			/* skip the datagram that failed; the rest still go out */
			err = r < 0 ? -errno : -EIO;
			done++;
			continue;
		}
		done += (size_t) r;
	}
	return err;
}

int net_if_foreach(int (*fn)(const char *ifname, int ifindex, uint32_t addr, unsigned prefix,
                             void *data),
                   void *data)
{
	struct ifaddrs *ifa0;
	int r = 0;
	if (getifaddrs(&ifa0) < 0)
		return -errno;
	for (struct ifaddrs *ifa = ifa0; ifa && r >= 0; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_netmask)
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *) ifa->ifa_addr)->sin_addr.s_addr);
		uint32_t m = ntohl(((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr.s_addr);
		r = fn(ifa->ifa_name, (int) if_nametoindex(ifa->ifa_name), a,
		       (unsigned) __builtin_popcount(m), data);
	}
	freeifaddrs(ifa0);
	return r;
}

struct if_addr_q {
	int ifindex;
	uint32_t net;
	unsigned prefix;
	uint32_t addr;
	unsigned addr_prefix;
	bool found;
};

static int if_addr_cb(const char *ifname, int ifindex, uint32_t addr, unsigned prefix, void *data)
{
	struct if_addr_q *q = data;
	if (ifindex != q->ifindex || q->found)
		return 0;
	if (q->prefix && !ip4_in(addr, q->net, q->prefix))
		return 0;
	q->addr = addr;
	q->addr_prefix = prefix;
	q->found = true;
	return 0;
}

int net_if_addr(int ifindex, uint32_t net, unsigned prefix, uint32_t *ret_addr,
                unsigned *ret_prefix)
{
	struct if_addr_q q = {.ifindex = ifindex, .net = net, .prefix = prefix};
	int r = net_if_foreach(if_addr_cb, &q);
	if (r < 0)
		return r;
	if (!q.found)
		return -ENOENT;
	*ret_addr = q.addr;
	if (ret_prefix)
		*ret_prefix = q.addr_prefix;
	return 0;
}

int net_arp_set(int fd, int ifindex, uint32_t ip, const struct hwaddr *mac)
{
	struct arpreq req = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *) &req.arp_pa;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(ip);
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac->b, sizeof mac->b);
	req.arp_flags = ATF_COM;
	if (!if_indextoname((unsigned) ifindex, req.arp_dev))
		return -errno;
	return ioctl(fd, SIOCSARP, &req) < 0 ? -errno : 0;
}

int net_tcp_want_ifindex(int listen_fd)
{
	int one = 1;
	return setsockopt(listen_fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ? -errno : 0;
}

int net_tcp_ifindex(int fd)
{
	/* Linux keeps the SYN's arrival interface for an accepted socket and
	 * reports it as an IP_PKTINFO control message (ip(7), IP_PKTOPTIONS) */
	union {
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo)) * 2];
		struct cmsghdr align;
	} ctl;
	socklen_t len = sizeof ctl.buf;
	if (getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS, ctl.buf, &len) < 0)
		return -errno;
	struct msghdr h = {.msg_control = ctl.buf, .msg_controllen = len};
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			if (pi.ipi_ifindex > 0)
				return pi.ipi_ifindex;
		}
	}
	return -ENOENT;
}
