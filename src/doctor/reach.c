/* Check 3, reachability: a TCP connect to each service port and a real
 * UDP request to each UDP service, all at once, each bounded by the
 * timeout. What comes back tells a closed port (RST, or ICMP port
 * unreachable: ECONNREFUSED) from one a firewall drops silently (nothing
 * until the timeout) from one with no way there (EHOSTUNREACH /
 * ENETUNREACH: no route, or no ARP answer on the link) from our own
 * firewall (EPERM on send). UDP requests change nothing on the server:
 * a DNS query, a TFTP read of a file that does not exist, a DHCPINFORM. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/wire.h"
#include "doctor/doctor.h"

enum doctor_reach doctor_reach_classify(int err)
{
	switch (err) {
	case 0:
		return DOCTOR_REACH_OPEN;
	case ECONNREFUSED:
	case ECONNRESET:
		return DOCTOR_REACH_REFUSED;
	case ETIMEDOUT:
		return DOCTOR_REACH_DROPPED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return DOCTOR_REACH_UNREACH;
	case EPERM:
	case EACCES:
		return DOCTOR_REACH_LOCAL;
	default:
		return DOCTOR_REACH_ERROR;
	}
}

static const char *outcome_text(const struct doctor_probe *p, char *buf, size_t n)
{
	switch (p->outcome) {
	case DOCTOR_REACH_OPEN:
		snprintf(buf, n, p->udp ? "answers (%lld ms)" : "open (%lld ms)",
		         (long long) p->ms);
		break;
	case DOCTOR_REACH_REFUSED:
		snprintf(buf, n, "%s", p->udp ? "closed (ICMP port unreachable)" : "refused (RST)");
		break;
	case DOCTOR_REACH_DROPPED:
		snprintf(buf, n, "no answer within %lld ms", (long long) p->ms);
		break;
	case DOCTOR_REACH_UNREACH:
		snprintf(buf, n, "unreachable (%s)", strerror(p->err));
		break;
	case DOCTOR_REACH_LOCAL:
		snprintf(buf, n, "blocked on this machine (%s)", strerror(p->err));
		break;
	default:
		snprintf(buf, n, "error: %s", strerror(p->err));
	}
	return buf;
}

/* Whether the server, in its DHCP mode, does not use what p probes: in full
 * mode (or with DHCP off) netbay answers PXE clients on 67, not 4011. */
static bool unused(const struct doctor_probe *p, const char *dhcp_mode)
{
	return p->udp && p->port == DHCP_PXE_PORT && dhcp_mode &&
	       (strcmp(dhcp_mode, "full") == 0 || strcmp(dhcp_mode, "off") == 0);
}

void doctor_reach_judge(struct doctor_result *r, uint32_t addr, const struct doctor_probe *p,
                        size_t n, const char *dhcp_mode)
{
	char a[IP4_STRLEN], t[128], open[DOCTOR_LINE_MAX] = "";
	ip4_fmt(addr, a);
	for (size_t i = 0; i < n; i++)
		doctor_evidence(
		        r, "%s %u/%s: %s%s%s%s", p[i].service, p[i].port, p[i].udp ? "udp" : "tcp",
		        outcome_text(&p[i], t, sizeof t),
		        unused(&p[i], dhcp_mode) ? " (not used: the server's [dhcp] mode is " : "",
		        unused(&p[i], dhcp_mode) ? dhcp_mode : "",
		        unused(&p[i], dhcp_mode) ? ")" : "");
	for (size_t i = 0; i < n; i++) {
		const struct doctor_probe *x = &p[i];
		const char *proto = x->udp ? "udp" : "tcp";
		if (unused(x, dhcp_mode) && x->outcome != DOCTOR_REACH_OPEN)
			continue;
		/* TCP service ports are what the server advertises: failing them fails;
		 * a UDP service may be turned off on purpose: a warning */
		enum doctor_status bad = x->udp ? DOCTOR_WARN : DOCTOR_FAIL;
		switch (x->outcome) {
		case DOCTOR_REACH_OPEN: {
			size_t l = strlen(open);
			snprintf(open + l, sizeof open - l, "%s%s %u/%s", l ? ", " : "", x->service,
			         x->port, proto);
			break;
		}
		case DOCTOR_REACH_DROPPED:
			if (doctor_verdict(r, bad,
			                   "%s port %u/%s on %s is silently dropped (no answer in "
			                   "%lld ms): a firewall drops it",
			                   x->service, x->port, proto, a, (long long) x->ms))
				doctor_fix(
				        r,
				        "allow %u/%s on the server's firewall (nft list ruleset; "
				        "iptables -L -n) and on anything in between",
				        x->port, proto);
			break;
		case DOCTOR_REACH_REFUSED:
			if (doctor_verdict(r, bad,
			                   "%s port %u/%s on %s is closed (%s): nothing listens "
			                   "there, or a firewall rejects it",
			                   x->service, x->port, proto, a,
			                   x->udp ? "ICMP port unreachable" : "connection refused"))
				doctor_fix(
				        r,
				        "start or enable the %s service in netbay.conf, or allow "
				        "%u/%s where a firewall rejects it",
				        x->service, x->port, proto);
			break;
		case DOCTOR_REACH_UNREACH:
			if (doctor_verdict(r, DOCTOR_FAIL, "no route to %s (%s port %u/%s: %s)", a,
			                   x->service, x->port, proto, strerror(x->err)))
				doctor_fix(r,
				           "see the addressing check: a route or gateway to %s is "
				           "missing, or the server is down",
				           a);
			break;
		case DOCTOR_REACH_LOCAL:
			if (doctor_verdict(r, DOCTOR_FAIL,
			                   "this machine's firewall blocks %s port %u/%s to %s",
			                   x->service, x->port, proto, a))
				doctor_fix(r, "allow output to %s %u/%s in the local firewall", a,
				           x->port, proto);
			break;
		default:
			doctor_verdict(r, bad, "%s port %u/%s on %s: %s", x->service, x->port,
			               proto, a, strerror(x->err));
		}
	}
	doctor_verdict(r, DOCTOR_PASS, "%s answers on %s", a, open);
}

/* Opens p's socket and starts it: connect (TCP, non-blocking) or connect +
 * send (UDP). Sets done/outcome when it ends at once. */
static void probe_start(struct doctor_probe *p, uint32_t addr)
{
	struct sockaddr_in sin = {
	        .sin_family = AF_INET, .sin_port = htons(p->port), .sin_addr.s_addr = htonl(addr)};
	p->fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
	               0);
	if (p->fd < 0) {
		p->err = errno;
		goto done;
	}
	if (p->udp) {
		/* unconnected: a TFTP server answers from a new port (RFC 1350 4);
		 * IP_RECVERR still reports ICMP errors (port unreachable) to us */
		int on = 1;
		(void) setsockopt(p->fd, SOL_IP, IP_RECVERR, &on, sizeof on);
		if (sendto(p->fd, p->payload, p->len, 0, (struct sockaddr *) &sin, sizeof sin) <
		    0) {
			p->err = errno;
			goto done;
		}
		return;
	}
	if (connect(p->fd, (struct sockaddr *) &sin, sizeof sin) < 0 && errno != EINPROGRESS) {
		p->err = errno;
		goto done;
	}
	return;
done:
	p->done = true;
	p->outcome = doctor_reach_classify(p->err);
}

static void probe_event(struct doctor_probe *p, short revents, uint32_t addr)
{
	int e = 0;
	socklen_t el = sizeof e;
	if (p->udp) {
		uint8_t buf[1500];
		struct sockaddr_in from = {0};
		socklen_t fl = sizeof from;
		ssize_t k = recvfrom(p->fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k >= 0 && ntohl(from.sin_addr.s_addr) != addr)
			return; /* not from the server */
		e = k < 0 ? errno : 0;
	} else {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e == 0 && !(revents & POLLOUT))
			return;
	}
	p->err = e;
	p->outcome = doctor_reach_classify(e);
	p->done = true;
}

int doctor_reach_probe(uint32_t addr, struct doctor_probe *p, size_t n, int timeout_ms)
{
	struct pollfd pf[DOCTOR_MAX_PROBES];
	int64_t start = nb_now_ms(), deadline = start + timeout_ms;

	if (n > DOCTOR_MAX_PROBES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		p[i].fd = -1;
		p[i].done = false;
		p[i].err = 0;
		probe_start(&p[i], addr);
		p[i].ms = nb_now_ms() - start;
	}
	for (;;) {
		size_t k = 0, idx[DOCTOR_MAX_PROBES];
		for (size_t i = 0; i < n; i++)
			if (!p[i].done) {
				pf[k] = (struct pollfd){.fd = p[i].fd,
				                        .events = p[i].udp ? POLLIN : POLLOUT};
				idx[k++] = i;
			}
		int64_t left = deadline - nb_now_ms();
		if (k == 0 || left <= 0)
			break;
		int m = poll(pf, k, (int) left);
		if (m < 0 && errno != EINTR)
			return -errno;
		for (size_t j = 0; m > 0 && j < k; j++)
			if (pf[j].revents) {
				probe_event(&p[idx[j]], pf[j].revents, addr);
				p[idx[j]].ms = nb_now_ms() - start;
			}
	}
	for (size_t i = 0; i < n; i++) {
		if (!p[i].done) {
			p[i].done = true;
			p[i].err = ETIMEDOUT;
			p[i].outcome = DOCTOR_REACH_DROPPED;
			p[i].ms = timeout_ms;
		}
		if (p[i].fd >= 0)
			close(p[i].fd);
		p[i].fd = -1;
	}
	return 0;
}

static uint32_t local_addr_for(uint32_t dst)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {
	        .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(dst)};
	socklen_t sl = sizeof sin;
	uint32_t a = 0;
	if (fd < 0)
		return 0;
	/* a connected UDP socket sends nothing; it asks the kernel for the source */
	if (connect(fd, (struct sockaddr *) &sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *) &sin, &sl) == 0)
		a = ntohl(sin.sin_addr.s_addr);
	close(fd);
	return a;
}

static void add_udp(struct doctor_probe *p, size_t *n, const char *service, uint16_t port,
                    const uint8_t *payload, int len)
{
	if (len <= 0 || (size_t) len > sizeof p->payload)
		return;
	p[*n] = (struct doctor_probe){
	        .service = service, .udp = true, .port = port, .len = (size_t) len};
	memcpy(p[*n].payload, payload, (size_t) len);
	(*n)++;
}

/* The probes for d's server: its TCP ports and the UDP services. */
size_t doctor_reach_plan(const struct doctor *d, struct doctor_probe *p, size_t max)
{
	size_t n = 0;
	uint32_t xid;
	struct hwaddr mac = {{0x02, 0, 0, 0, 0, 1}};
	int ifindex;
	uint8_t buf[DOCTOR_PROBE_MAX];

	if (max < DOCTOR_MAX_PROBES)
		return 0;
	memset(p, 0, sizeof *p * max);
	p[n++] = (struct doctor_probe){.service = "HTTP", .port = d->o.http_port};
	if (d->o.api_port)
		p[n++] = (struct doctor_probe){.service = "API", .port = d->o.api_port};
	add_udp(p, &n, "DNS", 53, buf,
	        doctor_dns_probe_build(buf, sizeof buf, d->name[0] ? d->name : "netbay"));
	add_udp(p, &n, "TFTP", 69, buf, doctor_tftp_probe_build(buf, sizeof buf));
	/* proxyDHCP on 4011: an INFORM, which changes nothing on any server */
	if (getrandom(&xid, sizeof xid, 0) != sizeof xid)
		xid = (uint32_t) nb_now_ms();
	if (d->ifname[0])
		(void) doctor_sys_ifinfo(d->ifname, &mac, &ifindex);
	add_udp(p, &n, "proxyDHCP", DHCP_PXE_PORT, buf,
	        doctor_dhcp_build(buf, sizeof buf, DHCP_INFORM, xid, &mac, local_addr_for(d->addr),
	                          d->o.arch));
	return n;
}

void doctor_check_reach(struct doctor *d, struct doctor_result *r)
{
	struct doctor_probe p[DOCTOR_MAX_PROBES];
	if (!d->addr) {
		doctor_verdict(r, DOCTOR_SKIP, "the server's address is not known");
		return;
	}
	size_t n = doctor_reach_plan(d, p, NB_ARRAY_SIZE(p));
	int e = doctor_reach_probe(d->addr, p, n, d->o.timeout_ms);
	if (e < 0) {
		doctor_verdict(r, DOCTOR_SKIP, "probes failed: %s", strerror(-e));
		return;
	}
	const struct doctor_health *h = doctor_health_at(d, d->addr);
	doctor_reach_judge(r, d->addr, p, n, h->netbay ? h->dhcp_mode : "");
}
