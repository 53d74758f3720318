/* A small DNS stub client for the doctor: one question out, the answer
 * section read back (A, PTR, SRV), sent to one chosen resolver. It exists
 * because the names check must ask each configured resolver directly,
 * which the system resolver cannot do. Messages are written and read with
 * the DNS codec (dns/wire.h, whose name reading follows compression
 * pointers only backwards); what is left here is picking our answer and
 * its records out, and the socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/wire.h"
#include "doctor/doctor.h"

int doctor_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	uint8_t qname[DNS_NAME_MAX];
	struct dns_writer w;
	if (dns_name_from_text(name, qname) < 0)
		return -EINVAL;
	dns_writer_init(&w, buf, cap);
	dns_write_header(&w, id, DNS_F_RD);
	dns_write_question(&w, qname, qtype, DNS_C_IN);
	return dns_writer_finish(&w);
}

/* The rdata of an A, SRV or PTR record into x. Returns 1, 0 for another
 * type, -EBADMSG when the rdata does not hold what its type says. */
static int rr_read(const struct dns_rr *rr, struct doctor_dns_rr *x)
{
	struct wire rd = rr->rdata; /* ->start is the message: names may point into it */
	struct dns_name n;
	switch (rr->type) {
	case DNS_T_A:
		if (wire_left(&rd) != 4)
			return -EBADMSG;
		x->addr = wire_u32(&rd);
		return 1;
	case DNS_T_SRV: /* RFC 2782: priority, weight, port, target */
		x->prio = wire_u16(&rd);
		x->weight = wire_u16(&rd);
		x->port = wire_u16(&rd);
		/* fall through */
	case DNS_T_PTR:
		if (dns_name_read(&rd, &n) < 0)
			return -EBADMSG;
		dns_name_to_text(n.b, x->name, sizeof x->name);
		return 1;
	default:
		return 0;
	}
}

int doctor_dns_answer_parse(const uint8_t *pkt, size_t len, uint16_t id, uint16_t qtype,
                            struct doctor_dns_answer *ret)
{
	struct doctor_dns_answer a = {0};
	struct dns_header h;
	struct dns_msg_iter it;
	struct dns_rr rr;
	int r;

	if (dns_header_read(pkt, len, &h) < 0)
		return -EBADMSG;
	if (h.id != id || !(h.flags & DNS_F_QR))
		return -ENOENT; /* not the answer to our question */
	if (dns_msg_skip_questions(&it, pkt, len) < 0)
		return -EBADMSG;
	it.left[DNS_SEC_NS] = it.left[DNS_SEC_AR] = 0; /* only the answer section is read */
	a.rcode = h.flags & DNS_F_RCODE;
	a.truncated = h.flags & DNS_F_TC;
	while ((r = dns_msg_next(&it, &rr)) == 1) {
		if (rr.cls != DNS_C_IN || rr.type != qtype || a.n >= DOCTOR_DNS_MAX_RR)
			continue; /* CNAMEs on the way and the like: the final records count */
		r = rr_read(&rr, &a.rr[a.n]);
		if (r < 0)
			return r;
		a.n += (size_t) r;
	}
	if (r < 0)
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
	return doctor_dns_query_build(buf, cap, 0x6e62, name, DNS_T_A);
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
