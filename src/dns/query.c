#include "dns/query.h"

#include <errno.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/zone.h"

size_t dns_engine_udp_limit(const struct dns_engine *e, const struct dns_query *q)
{
	if (!q->edns)
		return DNS_UDP_MIN;
	return q->edns_udp < e->edns_payload ? q->edns_udp : e->edns_payload;
}

static uint16_t reply_flags(const struct dns_query *q, int rcode, bool ra)
{
	/* RFC 1035 4.1.1: opcode and RD repeated; RFC 4035 3.2.2 and RFC 6840 5.9: CD
	 * repeated; Z and AD clear (nothing is validated here); RA only where recursion is
	 * available to this client (RFC 1035 4.1.1) */
	return (uint16_t) (DNS_F_QR | (q->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD)) |
	                   (ra ? DNS_F_RA : 0) | (rcode & DNS_F_RCODE));
}

/* Whether this client may have names forwarded: what RA announces. */
static bool recursion_for(const struct dns_engine *e, const struct dns_client *cl)
{
	return e->forward && cl->allowed;
}

static void begin(const struct dns_query *q, int rcode, bool ra, struct dns_writer *w, uint8_t *out,
                  size_t cap)
{
	dns_writer_init(w, out, cap);
	dns_write_header(w, q->id, reply_flags(q, rcode, ra));
	if (q->has_question)
		dns_write_question(w, q->qname.b, q->qtype, q->qclass);
}

static int finish(const struct dns_engine *e, const struct dns_query *q, int rcode,
                  struct dns_writer *w)
{
	if (q->edns) /* RFC 6891 6.1.3: the upper 8 bits of the rcode ride in OPT */
		dns_write_opt(w, e->edns_payload, (uint8_t) (rcode >> 4), q->edns_do);
	return dns_writer_finish(w);
}

int dns_engine_error(const struct dns_engine *e, const struct dns_query *q, int rcode, bool ra,
                     uint8_t *out, size_t cap)
{
	struct dns_writer w;
	begin(q, rcode, ra, &w, out, cap);
	return finish(e, q, rcode, &w);
}

int dns_engine_truncated(const struct dns_engine *e, const uint8_t *pkt, size_t len,
                         const struct dns_client *cl, uint8_t *out, size_t cap)
{
	struct dns_query q;
	struct dns_writer w;
	if (dns_query_parse(pkt, len, &q) != 0)
		return 0;
	dns_writer_init(&w, out, cap);
	dns_write_header(&w, q.id,
	                 (uint16_t) (reply_flags(&q, 0, recursion_for(e, cl)) | DNS_F_TC));
	dns_write_question(&w, q.qname.b, q.qtype, q.qclass);
	return finish(e, &q, 0, &w);
}

/* RFC 8482 4.2: ANY for a name we do not hold is answered with one synthesized HINFO. */
static int answer_any(const struct dns_engine *e, const struct dns_query *q, uint8_t *out,
                      size_t cap)
{
	static const uint8_t hinfo[] = {7, 'R', 'F', 'C', '8', '4', '8', '2', 0};
	struct dns_writer w;
	begin(q, DNS_R_NOERROR, true, &w, out, cap); /* only asked when forwarding is on */
	size_t rd = dns_rr_begin(&w, DNS_SEC_AN, q->qname.b, DNS_T_HINFO, q->qclass, 3789);
	wbuf_bytes(&w.b, hinfo, sizeof hinfo);
	dns_rr_end(&w, DNS_SEC_AN, rd);
	return finish(e, q, DNS_R_NOERROR, &w);
}

static int answer_local(struct dns_engine *e, const struct dns_query *q,
                        const struct dns_client *cl, int64_t now_sec, uint8_t *out, size_t cap)
{
	struct dns_zone_ctx ctx = {
	        .hosts = e->hosts,
	        .now_sec = now_sec,
	        .server_addr = cl->server_addr,
	        .own_addrs = e->own_addrs,
	        .n_own_addrs = e->n_own_addrs,
	};
	struct dns_writer w;
	bool ra = recursion_for(e, cl);
	begin(q, 0, ra, &w, out, cap);
	int rcode = dns_zone_answer(e->zone, q, &ctx, &w);
	if (rcode < 0)
		return rcode; /* -ENOENT: not ours */
	wbuf_patch_u16(&w.b, 2, (uint16_t) (reply_flags(q, rcode, ra) | DNS_F_AA));
	int n = finish(e, q, rcode, &w);
	if (n == -ENOSPC) {
		/* RFC 2181 9: too large for the client's payload: TC, the client retries over TCP */
		e->stats.truncated++;
		begin(q, rcode, ra, &w, out, cap);
		wbuf_patch_u16(&w.b, 2,
		               (uint16_t) (reply_flags(q, rcode, ra) | DNS_F_AA | DNS_F_TC));
		n = finish(e, q, rcode, &w);
	}
	e->stats.local++;
	return n;
}

int dns_engine_query(struct dns_engine *e, const uint8_t *pkt, size_t len,
                     const struct dns_client *cl, int64_t now_ms, int64_t now_sec,
                     struct dns_query *q, uint8_t *out, size_t cap)
{
	int r = dns_query_parse(pkt, len, q);
	if (r < 0)
		return 0;
	e->stats.queries++;
	if (!cl->tcp) {
		size_t lim = dns_engine_udp_limit(e, q);
		cap = cap < lim ? cap : lim;
	}
	if (r > 0) {
		if (r == DNS_R_NOTIMP)
			e->stats.notimp++;
		else if (r == DNS_R_FORMERR)
			e->stats.formerr++;
		/* NOTIMP answers another opcode, for which recursion means nothing */
		return dns_engine_error(e, q, r, r != DNS_R_NOTIMP && recursion_for(e, cl), out,
		                        cap);
	}
	if (!cl->allowed || q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR) {
		e->stats.refused++; /* not from the LAN; zone transfers are not offered */
		return dns_engine_error(e, q, DNS_R_REFUSED, false, out, cap);
	}
	r = answer_local(e, q, cl, now_sec, out, cap);
	if (r != -ENOENT)
		return r;
	if (!e->forward || (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)) {
		e->stats.refused++;
		return dns_engine_error(e, q, DNS_R_REFUSED, false, out, cap);
	}
	if (q->qtype == DNS_T_ANY)
		return answer_any(e, q, out, cap);
	const struct dns_answer *a;
	if (e->cache &&
	    (a = dns_cache_get(e->cache, q->lname, q->qname.len, q->qtype, q->qclass, now_ms))) {
		e->stats.cached++;
		return dns_answer_render(a, q, now_ms, e->edns_payload, out, cap);
	}
	e->stats.forwarded++;
	return DNS_FORWARD;
}
