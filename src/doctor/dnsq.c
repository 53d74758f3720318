/* A small DNS stub client for the doctor: one question out, the answer
 * section read back (A, PTR, SRV), sent to one chosen resolver. It exists
 * because the names check must ask each configured resolver directly,
 * which the system resolver cannot do. Reading goes through the wire
 * cursor; compression pointers are followed only backwards, at most
 * DOCTOR_DNS_HOPS times, so a hostile answer cannot loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/wire.h"
#include "doctor/doctor.h"

#define DOCTOR_DNS_HOPS 16

int doctor_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	struct wbuf b = wbuf_init(buf, cap);
	size_t total = 1;
	wbuf_u16(&b, id);
	wbuf_u16(&b, 0x0100); /* RD */
	wbuf_u16(&b, 1);
	wbuf_u16(&b, 0);
	wbuf_u16(&b, 0);
	wbuf_u16(&b, 0);
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n > 63)
			return -EINVAL;
		total += n + 1;
		wbuf_u8(&b, (uint8_t) n);
		wbuf_bytes(&b, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	if (total > 255)
		return -EINVAL;
	wbuf_u8(&b, 0);
	wbuf_u16(&b, qtype);
	wbuf_u16(&b, 1); /* IN */
	return b.err ? b.err : (int) wbuf_len(&b);
}

/* Reads a possibly compressed name at w into text (dotted, no final dot;
 * "" for the root). Pointers must point strictly before the place they
 * are read from. Returns 0 or -EBADMSG. */
static int read_name(struct wire *w, char *out, size_t outlen)
{
	struct wire cur = *w;
	size_t o = 0, total = 0, hops = 0;
	bool jumped = false;
	size_t limit = wire_offset(w); /* a pointer must land before this */

	for (;;) {
		uint8_t len = wire_u8(&cur);
		if (cur.err)
			return -EBADMSG;
		if ((len & 0xc0) == 0xc0) {
			size_t off = (size_t) (len & 0x3f) << 8 | wire_u8(&cur);
			if (cur.err || off >= limit || ++hops > DOCTOR_DNS_HOPS)
				return -EBADMSG;
			if (!jumped)
				*w = cur; /* the name ends, for the caller, after its first pointer */
			jumped = true;
			limit = off;
			cur = wire_at(&cur, off);
			continue;
		}
		if (len & 0xc0)
			return -EBADMSG; /* reserved label types */
		if (len == 0)
			break;
		total += len + 1u;
		const uint8_t *p = wire_ptr(&cur, len);
		if (!p || total > 255)
			return -EBADMSG;
		if (o + len + 2 > outlen)
			return -EBADMSG;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < len; i++)
			out[o++] = p[i] > 0x20 && p[i] < 0x7f && p[i] != '.' ? (char) p[i] : '?';
	}
	if (!jumped)
		*w = cur;
	out[o] = 0;
	return 0;
}

int doctor_dns_answer_parse(const uint8_t *pkt, size_t len, uint16_t id, uint16_t qtype,
                            struct doctor_dns_answer *ret)
{
	struct wire w = wire_init(pkt, len);
	struct doctor_dns_answer a = {0};
	char name[DOCTOR_NAME_MAX + 1];

	uint16_t rid = wire_u16(&w), flags = wire_u16(&w);
	uint16_t qd = wire_u16(&w), an = wire_u16(&w);
	wire_skip(&w, 4); /* NS, AR: not read */
	if (w.err)
		return -EBADMSG;
	if (rid != id || !(flags & 0x8000))
		return -ENOENT; /* not the answer to our question */
	a.rcode = flags & 0xf;
	a.truncated = flags & 0x0200;
	for (uint16_t i = 0; i < qd; i++) {
		if (read_name(&w, name, sizeof name) < 0)
			return -EBADMSG;
		wire_skip(&w, 4);
	}
	for (uint16_t i = 0; i < an && w.err == 0; i++) {
		if (read_name(&w, name, sizeof name) < 0)
			return -EBADMSG;
		uint16_t type = wire_u16(&w), cls = wire_u16(&w);
		wire_skip(&w, 4); /* TTL */
		uint16_t rdlen = wire_u16(&w);
		struct wire rd = wire_take(&w, rdlen);
		if (w.err)
			return -EBADMSG;
		if (cls != 1 || type != qtype || a.n >= DOCTOR_DNS_MAX_RR)
			continue; /* CNAMEs on the way and the like: the final records count */
		struct doctor_dns_rr *rr = &a.rr[a.n];
		if (type == DOCTOR_DNS_A) {
			if (rdlen != 4)
				return -EBADMSG;
			rr->addr = wire_u32(&rd);
		} else if (type == DOCTOR_DNS_SRV) {
			rr->prio = wire_u16(&rd);
			rr->weight = wire_u16(&rd);
			rr->port = wire_u16(&rd);
			if (read_name(&rd, rr->name, sizeof rr->name) < 0)
				return -EBADMSG;
		} else if (type == DOCTOR_DNS_PTR) {
			if (read_name(&rd, rr->name, sizeof rr->name) < 0)
				return -EBADMSG;
		} else {
			continue;
		}
		if (rd.err)
			return -EBADMSG;
		a.n++;
	}
	if (w.err)
		return -EBADMSG;
	*ret = a;
	return 0;
}

int doctor_dns_ask(uint32_t server, const char *name, uint16_t qtype, int timeout_ms,
                   struct doctor_dns_answer *ret)
{
	uint8_t q[300], buf[4096];
	uint16_t id;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = (uint16_t) nb_now_ms();
	int len = doctor_dns_query_build(q, sizeof q, id, name, qtype);
	if (len < 0)
		return len;
	struct sockaddr_in sin = {
	        .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(server)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	NB_CLEANUP(closep) int cfd = fd;
	if (connect(cfd, (struct sockaddr *) &sin, sizeof sin) < 0 ||
	    send(cfd, q, (size_t) len, 0) < 0)
		return -errno;
	int64_t deadline = nb_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - nb_now_ms();
		struct pollfd p = {.fd = cfd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int) left) == 0)
			return -ETIMEDOUT;
		ssize_t k = recv(cfd, buf, sizeof buf, 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k < 0)
			return -errno;
		int r = doctor_dns_answer_parse(buf, (size_t) k, id, qtype, ret);
		if (r != -ENOENT)
			return r; /* a stray datagram (wrong id) is ignored; the wait goes on */
	}
}

int doctor_dns_probe_build(uint8_t *buf, size_t cap, const char *name)
{
	return doctor_dns_query_build(buf, cap, 0x6e62, name, DOCTOR_DNS_A);
}

void doctor_reverse_name(uint32_t a, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u.in-addr.arpa", a & 255, a >> 8 & 255, a >> 16 & 255, a >> 24);
}

const char *doctor_dns_rcode_name(int rcode)
{
	static const char *const n[] = {"NOERROR",  "FORMERR", "SERVFAIL",
	                                "NXDOMAIN", "NOTIMP",  "REFUSED"};
	return rcode >= 0 && (size_t) rcode < NB_ARRAY_SIZE(n) ? n[rcode] : "rcode?";
}
