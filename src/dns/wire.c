#include "dns/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t) (c | 0x20) : c;
}

/* ---- names */

int dns_name_read(struct wire *w, struct dns_name *ret)
{
	struct wire r = *w;
	size_t limit = wire_offset(w); /* every pointer must land before this */
	size_t end = 0;                /* where the name ends at its own position */
	unsigned len = 0, nl = 0;

	for (;;) {
		uint8_t c = wire_u8(&r);
		if (r.err)
			goto bad;
		if (c == 0) {
			ret->b[len++] = 0;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t target = (size_t) (c & 0x3f) << 8 | wire_u8(&r);
			if (r.err)
				goto bad;
			if (!end)
				end = wire_offset(&r);
			/* RFC 1035 4.1.4 allows pointers to any prior occurrence; each jump landing
			 * strictly before the previous one makes a loop impossible */
			if (target >= limit)
				goto bad;
			limit = target;
			r = wire_at(&r, target);
			continue;
		}
		if (c & 0xc0) /* 0x40 and 0x80: extended and reserved label types */
			goto bad;
		if (len + 1 + c + 1 > DNS_NAME_MAX) /* room for the root label */
			goto bad;
		ret->label[nl++] = (uint8_t) len;
		ret->b[len++] = c;
		wire_bytes(&r, ret->b + len, c);
		if (r.err)
			goto bad;
		len += c;
	}
	if (!end)
		end = wire_offset(&r);
	wire_skip(w, end - wire_offset(w));
	ret->len = (uint8_t) len;
	ret->n_labels = (uint8_t) nl;
	return 0;
bad:
	wire_fail(w);
	ret->len = 0;
	ret->n_labels = 0;
	return -EBADMSG;
}

void dns_name_lower(const struct dns_name *n, uint8_t *out)
{
	for (unsigned i = 0; i < n->len; i++)
		out[i] = lower(n->b[i]);
	/* length bytes are at most 63, below 'A': lowering leaves them alone */
}

bool dns_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

int dns_name_from_text(const char *text, uint8_t out[static DNS_NAME_MAX])
{
	size_t n = 0;
	if (!text || !*text)
		return -EINVAL;
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	const char *p = text;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t) (dot - p) : strlen(p);
		if (l == 0 || l > DNS_LABEL_MAX || n + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[n++] = (uint8_t) l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return (int) n;
}

char *dns_name_to_text(const uint8_t *name, char *out, size_t outlen)
{
	struct wire r = wire_init(name, DNS_NAME_MAX);
	size_t n = 0;
	if (outlen == 0)
		return out;
	out[0] = 0;
	for (uint8_t c = wire_u8(&r); c && !r.err && c <= DNS_LABEL_MAX; c = wire_u8(&r)) {
		const uint8_t *l = wire_ptr(&r, c);
		if (!l)
			break;
		if (n && n + 1 < outlen)
			out[n++] = '.';
		for (size_t i = 0; i < c; i++) {
			char esc[5];
			int k = 1;
			if (l[i] > 32 && l[i] < 127 && l[i] != '.' && l[i] != '\\')
				esc[0] = (char) l[i];
			else
				k = snprintf(esc, sizeof esc, "\\%03u", l[i]);
			if (n + (size_t) k + 1 > outlen)
				break;
			memcpy(out + n, esc, (size_t) k);
			n += (size_t) k;
		}
	}
	if (n == 0 && outlen > 1)
		out[n++] = '.';
	out[n] = 0;
	return out;
}

/* ---- reading messages */

int dns_msg_next(struct dns_msg_iter *it, struct dns_rr *rr)
{
	while (it->section < 3 && it->left[it->section] == 0)
		it->section++;
	if (it->section >= 3)
		return 0;
	it->left[it->section]--;
	rr->section = it->section;
	if (dns_name_read(&it->w, &rr->owner) < 0)
		return -EBADMSG;
	rr->type = wire_u16(&it->w);
	rr->cls = wire_u16(&it->w);
	rr->ttl_off = wire_offset(&it->w);
	rr->ttl = wire_u32(&it->w);
	uint16_t rdlen = wire_u16(&it->w);
	rr->rdata = wire_take(&it->w, rdlen);
	return it->w.err ? -EBADMSG : 1;
}

int dns_msg_begin(struct dns_msg_iter *it, const uint8_t *msg, size_t len, uint16_t *ret_id,
                  uint16_t *ret_flags, struct dns_name *ret_qname, uint16_t *ret_qtype,
                  uint16_t *ret_qclass)
{
	struct wire w = wire_init(msg, len);
	uint16_t counts[4];
	*ret_id = wire_u16(&w);
	*ret_flags = wire_u16(&w);
	for (int i = 0; i < 4; i++)
		counts[i] = wire_u16(&w);
	if (w.err || counts[0] != 1 || dns_name_read(&w, ret_qname) < 0)
		return -EBADMSG;
	*ret_qtype = wire_u16(&w);
	*ret_qclass = wire_u16(&w);
	if (w.err)
		return -EBADMSG;
	*it = (struct dns_msg_iter){.w = w, .left = {counts[1], counts[2], counts[3]}};
	return 0;
}

int dns_header_read(const uint8_t *msg, size_t len, struct dns_header *ret)
{
	struct wire w = wire_init(msg, len);
	struct dns_header h;
	h.id = wire_u16(&w);
	h.flags = wire_u16(&w);
	for (int i = 0; i < 4; i++)
		h.counts[i] = wire_u16(&w);
	if (w.err)
		return -EBADMSG;
	*ret = h;
	return 0;
}

int dns_msg_skip_questions(struct dns_msg_iter *it, const uint8_t *msg, size_t len)
{
	struct dns_header h;
	struct dns_name n;
	if (dns_header_read(msg, len, &h) < 0)
		return -EBADMSG;
	struct wire w = wire_init(msg, len);
	wire_skip(&w, DNS_HDR_LEN);
	for (unsigned i = 0; i < h.counts[0]; i++) {
		if (dns_name_read(&w, &n) < 0)
			return -EBADMSG;
		wire_skip(&w, 4); /* QTYPE, QCLASS */
	}
	if (w.err)
		return -EBADMSG;
	*it = (struct dns_msg_iter){.w = w, .left = {h.counts[1], h.counts[2], h.counts[3]}};
	return 0;
}

/* The OPT record of a query (RFC 6891 6.1.1): root owner, only in the
 * additional section, at most one, options well-formed. */
static int query_opt(struct dns_query *q, const struct dns_rr *rr)
{
	if (rr->section != DNS_SEC_AR || q->edns || rr->owner.len != 1)
		return DNS_R_FORMERR;
	q->edns = true;
	q->edns_udp = rr->cls < DNS_UDP_MIN ? DNS_UDP_MIN : rr->cls; /* 6.2.5: below 512 is 512 */
	q->edns_version = (uint8_t) (rr->ttl >> 16);
	q->edns_do = (rr->ttl & DNS_EDNS_DO) != 0;
	struct wire o = rr->rdata;
	while (o.err == 0 && wire_left(&o) > 0) {
		(void) wire_u16(&o); /* option code: unknown ones are ignored (6.1.2) */
		wire_skip(&o, wire_u16(&o));
	}
	return o.err ? DNS_R_FORMERR : 0;
}

int dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	struct wire w = wire_init(pkt, len);
	q->has_question = false;
	q->qname.len = 0;
	q->edns = false;
	q->edns_do = false;
	q->edns_version = 0;
	q->edns_udp = DNS_UDP_MIN;
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	q->id = wire_u16(&w);
	q->flags = wire_u16(&w);
	for (int i = 0; i < 4; i++)
		q->counts[i] = wire_u16(&w);
	if (q->flags & DNS_F_QR) /* a response: never answered (loops between servers) */
		return -EBADMSG;
	/* RFC 1035 4.1.1: only QUERY is ours; another opcode gets NOTIMP, with its question
	 * and OPT repeated when the message has the standard layout (RFC 8906 3.1.4: nothing
	 * past the header is promised, so an unreadable rest is no FORMERR) */
	bool other_op = (q->flags & DNS_F_OPCODE) != 0;
	int bad = other_op ? DNS_R_NOTIMP : DNS_R_FORMERR;
	if (q->counts[0] > 1)
		return bad;
	if (q->counts[0] == 1) {
		if (dns_name_read(&w, &q->qname) < 0)
			return bad;
		q->qtype = wire_u16(&w);
		q->qclass = wire_u16(&w);
		if (w.err)
			return bad;
		q->has_question = true;
		dns_name_lower(&q->qname, q->lname);
	}

	struct dns_msg_iter it = {.w = w, .left = {q->counts[1], q->counts[2], q->counts[3]}};
	struct dns_rr rr;
	int r, bad_opt = 0;
	while ((r = dns_msg_next(&it, &rr)) == 1)
		if (rr.type == DNS_T_OPT && (bad_opt = query_opt(q, &rr)) != 0)
			break;
	if (r < 0 || bad_opt)
		q->edns = false; /* RFC 6891 7: a bad OPT gets FORMERR without one */
	if (other_op)
		return DNS_R_NOTIMP;
	if (!q->has_question || r < 0 || bad_opt)
		return DNS_R_FORMERR;
	if (q->edns && q->edns_version > 0) /* RFC 6891 6.1.3 */
		return DNS_R_BADVERS;
	return 0;
}

/* ---- writing */

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	w->b = wbuf_init(buf, cap);
	memset(w->counts, 0, sizeof w->counts);
	w->n_comp = 0;
}

void dns_write_header(struct dns_writer *w, uint16_t id, uint16_t flags)
{
	wbuf_u16(&w->b, id);
	wbuf_u16(&w->b, flags);
	wbuf_zero(&w->b, 8);
}

/* Whether the name written at off (pointers followed) is the uncompressed suffix, byte for
 * byte: compressing only exact matches keeps the case of every name (RFC 4343 4.1). */
static bool comp_match(const struct dns_writer *w, size_t off, const uint8_t *suffix)
{
	struct wire all = wire_init(w->b.start, wbuf_len(&w->b));
	struct wire r = wire_at(&all, off);
	size_t i = 0;
	unsigned hops = 0;
	for (;;) {
		uint8_t c = wire_u8(&r);
		if (r.err)
			return false;
		if ((c & 0xc0) == 0xc0) {
			size_t t = (size_t) (c & 0x3f) << 8 | wire_u8(&r);
			if (++hops > 64)
				return false;
			r = wire_at(&all, t);
			continue;
		}
		if (c != suffix[i])
			return false;
		if (c == 0)
			return true;
		const uint8_t *l = wire_ptr(&r, c);
		if (!l || memcmp(l, suffix + i + 1, c) != 0) /* exact: names keep their case */
			return false;
		i += 1u + c;
	}
}

static size_t name_len(const uint8_t *name)
{
	size_t n = 0;
	while (n < DNS_NAME_MAX && name[n])
		n += 1u + name[n];
	return n + 1;
}

void dns_write_name(struct dns_writer *w, const uint8_t *name, bool compress)
{
	size_t len = name_len(name), pos = len - 1, ptr = 0;
	bool found = false;
	if (len > DNS_NAME_MAX) {
		w->b.err = -EINVAL;
		return;
	}
	for (size_t i = 0; compress && name[i] && !found; i += 1u + name[i])
		for (size_t k = 0; k < w->n_comp; k++)
			if (w->comp[k].len == len - i && comp_match(w, w->comp[k].off, name + i)) {
				ptr = w->comp[k].off;
				pos = i;
				found = true;
				break;
			}
	/* labels before pos in full, remembered for later names; then a pointer or the root */
	for (size_t i = 0; i < pos; i += 1u + name[i]) {
		size_t off = wbuf_len(&w->b);
		if (off < 0x4000 && w->n_comp < DNS_COMP_MAX && w->b.err == 0)
			w->comp[w->n_comp++] =
			        (struct dns_comp){(uint16_t) off, (uint8_t) (len - i)};
		wbuf_bytes(&w->b, name + i, 1u + name[i]);
	}
	if (found)
		wbuf_u16(&w->b, (uint16_t) (0xc000 | ptr));
	else
		wbuf_u8(&w->b, 0);
}

void dns_write_question(struct dns_writer *w, const uint8_t *name, uint16_t type, uint16_t cls)
{
	dns_write_name(w, name, true);
	wbuf_u16(&w->b, type);
	wbuf_u16(&w->b, cls);
	w->counts[0]++;
}

size_t dns_rr_begin(struct dns_writer *w, int section, const uint8_t *owner, uint16_t type,
                    uint16_t cls, uint32_t ttl)
{
	dns_write_name(w, owner, true);
	wbuf_u16(&w->b, type);
	wbuf_u16(&w->b, cls);
	wbuf_u32(&w->b, ttl);
	size_t off = wbuf_len(&w->b);
	wbuf_u16(&w->b, 0);
	return off;
}

void dns_rr_end(struct dns_writer *w, int section, size_t rdlen_off)
{
	size_t n = wbuf_len(&w->b) - rdlen_off - 2;
	if (n > UINT16_MAX && w->b.err == 0)
		w->b.err = -ENOSPC;
	wbuf_patch_u16(&w->b, rdlen_off, (uint16_t) n);
	if (w->b.err == 0)
		w->counts[1 + section]++;
}

/* Name fields of the rdata layouts RFC 3597 4 lists: before the first
 * name come `skip` fixed bytes, then `names` names, then `tail` fixed
 * bytes; compressed again only for the RFC 1035 types. */
struct rdata_layout {
	uint16_t type;
	uint8_t skip, names, tail;
	bool compress;
};

static const struct rdata_layout layouts[] = {
        {DNS_T_NS, 0, 1, 0, true},     {DNS_T_MD, 0, 1, 0, true},   {DNS_T_MF, 0, 1, 0, true},
        {DNS_T_CNAME, 0, 1, 0, true},  {DNS_T_SOA, 0, 2, 20, true}, {DNS_T_MB, 0, 1, 0, true},
        {DNS_T_MG, 0, 1, 0, true},     {DNS_T_MR, 0, 1, 0, true},   {DNS_T_PTR, 0, 1, 0, true},
        {DNS_T_MINFO, 0, 2, 0, true},  {DNS_T_MX, 2, 1, 0, true},   {DNS_T_RP, 0, 2, 0, false},
        {DNS_T_AFSDB, 2, 1, 0, false}, {DNS_T_RT, 2, 1, 0, false},  {DNS_T_PX, 2, 2, 0, false},
        {DNS_T_SRV, 6, 1, 0, false},   {DNS_T_KX, 2, 1, 0, false},
};

void dns_write_rdata(struct dns_writer *w, const struct dns_rr *rr)
{
	struct wire r = rr->rdata;
	const struct rdata_layout *l = NULL;
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (layouts[i].type == rr->type)
			l = &layouts[i];
	if (!l || rr->cls != DNS_C_IN) {
		size_t n = wire_left(&r);
		wbuf_bytes(&w->b, wire_ptr(&r, n), n);
		return;
	}
	uint8_t fixed[20];
	wire_bytes(&r, fixed, l->skip);
	wbuf_bytes(&w->b, fixed, l->skip);
	for (int i = 0; i < l->names; i++) {
		struct dns_name n;
		if (dns_name_read(&r, &n) < 0)
			break;
		dns_write_name(w, n.b, l->compress);
	}
	wire_bytes(&r, fixed, l->tail);
	wbuf_bytes(&w->b, fixed, l->tail);
	if ((r.err || wire_left(&r) != 0) && w->b.err == 0)
		w->b.err = -EBADMSG;
}

void dns_write_opt(struct dns_writer *w, uint16_t udp, uint8_t ext_rcode, bool do_bit)
{
	wbuf_u8(&w->b, 0);
	wbuf_u16(&w->b, DNS_T_OPT);
	wbuf_u16(&w->b, udp);
	wbuf_u8(&w->b, ext_rcode);
	wbuf_u8(&w->b, 0); /* version */
	wbuf_u16(&w->b, do_bit ? DNS_EDNS_DO : 0);
	wbuf_u16(&w->b, 0);
	if (w->b.err == 0)
		w->counts[3]++;
}

int dns_writer_finish(struct dns_writer *w)
{
	for (int i = 0; i < 4; i++)
		wbuf_patch_u16(&w->b, 4 + 2 * (size_t) i, w->counts[i]);
	return w->b.err ? w->b.err : (int) wbuf_len(&w->b);
}
