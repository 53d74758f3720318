#include "dns/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dns/wire.h"

/* ---- prepared answers */

/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM). */
static uint32_t soa_negative_ttl(const struct dns_rr *rr)
{
	struct wire r = rr->rdata;
	struct dns_name n;
	if (dns_name_read(&r, &n) < 0 || dns_name_read(&r, &n) < 0)
		return 0;
	wire_skip(&r, 16);
	uint32_t minimum = wire_u32(&r);
	return r.err ? 0 : NB_MIN(rr->ttl, minimum);
}

int dns_answer_build(const uint8_t *msg, size_t len, uint32_t max_ttl, uint32_t neg_max_ttl,
                     int64_t now_ms, uint8_t *buf, size_t cap, uint16_t *ttl_off,
                     struct dns_answer *ret)
{
	struct dns_msg_iter it;
	struct dns_name qname;
	struct dns_rr rr;
	struct dns_writer w;
	uint16_t id, flags, qtype, qclass;
	uint32_t min_ttl = UINT32_MAX, neg_ttl = 0;
	size_t n_ttl = 0, n_answer = 0;
	bool soa = false;
	int r;

	if (dns_msg_begin(&it, msg, len, &id, &flags, &qname, &qtype, &qclass) < 0)
		return -EBADMSG;
	uint8_t lname[DNS_NAME_MAX];
	dns_name_lower(&qname, lname);
	uint8_t rcode = (uint8_t) (flags & DNS_F_RCODE);
	dns_writer_init(&w, buf, cap);
	dns_write_header(&w, 0, rcode);
	dns_write_question(&w, lname, qtype, qclass);
	while ((r = dns_msg_next(&it, &rr)) == 1) {
		if (rr.type == DNS_T_OPT || rr.type == DNS_T_TSIG)
			continue; /* hop-by-hop: ours replaces them */
		if (n_ttl == DNS_ANSWER_TTLS_MAX)
			return -ENOSPC;
		uint32_t ttl = rr.ttl > INT32_MAX ? 0 : rr.ttl; /* RFC 2181 8 */
		ttl = NB_MIN(ttl, max_ttl);
		if (rr.section == DNS_SEC_AN)
			n_answer++;
		if (rr.section == DNS_SEC_NS && rr.type == DNS_T_SOA && !soa) {
			soa = true;
			neg_ttl = NB_MIN(soa_negative_ttl(&rr), neg_max_ttl);
		}
		size_t rd = dns_rr_begin(&w, rr.section, rr.owner.b, rr.type, rr.cls, ttl);
		ttl_off[n_ttl++] = (uint16_t) (rd - 4);
		dns_write_rdata(&w, &rr);
		dns_rr_end(&w, rr.section, rd);
		min_ttl = NB_MIN(min_ttl, ttl);
	}
	if (r < 0)
		return -EBADMSG;

	bool negative = rcode == DNS_R_NXDOMAIN || (rcode == DNS_R_NOERROR && n_answer == 0);
	uint32_t life = 0;
	if (negative)
		life = soa ? neg_ttl : 0; /* RFC 2308 5: no SOA, no negative caching */
	else if (rcode == DNS_R_NOERROR)
		life = min_ttl == UINT32_MAX ? 0 : min_ttl;
	for (size_t i = 0; negative && soa && i < n_ttl; i++) {
		/* every TTL of a negative answer is the negative TTL at most */
		struct wire all = wire_init(buf, wbuf_len(&w.b));
		struct wire t = wire_at(&all, ttl_off[i]);
		if (wire_u32(&t) > life) {
			wbuf_patch_u16(&w.b, ttl_off[i], (uint16_t) (life >> 16));
			wbuf_patch_u16(&w.b, ttl_off[i] + 2u, (uint16_t) life);
		}
	}
	int n = dns_writer_finish(&w);
	if (n < 0)
		return n == -ENOSPC ? -ENOSPC : -EBADMSG;
	*ret = (struct dns_answer){
	        .msg = buf,
	        .len = (size_t) n,
	        .qname_len = qname.len,
	        .ttl_off = ttl_off,
	        .n_ttl = n_ttl,
	        .ttl = life,
	        .rcode = rcode,
	        .stored_ms = now_ms,
	};
	return 0;
}

static int render_truncated(const struct dns_query *q, uint16_t flags, uint16_t edns_payload,
                            uint8_t *out, size_t cap)
{
	struct dns_writer w;
	dns_writer_init(&w, out, cap);
	dns_write_header(&w, q->id, flags | DNS_F_TC);
	dns_write_question(&w, q->qname.b, q->qtype, q->qclass);
	if (q->edns)
		dns_write_opt(&w, edns_payload, 0, q->edns_do);
	return dns_writer_finish(&w);
}

int dns_answer_render(const struct dns_answer *a, const struct dns_query *q, int64_t now_ms,
                      uint16_t edns_payload, uint8_t *out, size_t cap)
{
	uint16_t flags = DNS_F_QR | DNS_F_RA | (q->flags & (DNS_F_RD | DNS_F_CD)) | a->rcode;
	size_t opt = q->edns ? 11 : 0;
	if (a->qname_len != q->qname.len)
		return -EINVAL;
	if (a->len + opt > cap)
		return render_truncated(q, flags, edns_payload, out, cap);

	struct wire src = wire_init(a->msg, a->len);
	struct wbuf b = wbuf_init(out, cap);
	wire_skip(&src, 4);
	wbuf_u16(&b, q->id);
	wbuf_u16(&b, flags);
	wbuf_bytes(&b, wire_ptr(&src, 8), 8); /* the counts */
	wire_skip(&src, a->qname_len);
	wbuf_bytes(&b, q->qname.b, a->qname_len); /* the client's spelling (0x20) */
	size_t rest = wire_left(&src);
	wbuf_bytes(&b, wire_ptr(&src, rest), rest);

	int64_t el = (now_ms - a->stored_ms) / 1000;
	uint32_t elapsed = el <= 0 ? 0 : el > UINT32_MAX ? UINT32_MAX : (uint32_t) el;
	if (elapsed) {
		struct wire all = wire_init(a->msg, a->len);
		for (size_t i = 0; i < a->n_ttl; i++) {
			struct wire t = wire_at(&all, a->ttl_off[i]);
			uint32_t v = wire_u32(&t);
			v = v > elapsed ? v - elapsed : 0;
			wbuf_patch_u16(&b, a->ttl_off[i], (uint16_t) (v >> 16));
			wbuf_patch_u16(&b, a->ttl_off[i] + 2u, (uint16_t) v);
		}
	}
	if (q->edns) {
		struct wire c = wire_init(a->msg, a->len);
		wire_skip(&c, 10);
		wbuf_patch_u16(&b, 10, (uint16_t) (wire_u16(&c) + 1));
		wbuf_u8(&b, 0);
		wbuf_u16(&b, DNS_T_OPT);
		wbuf_u16(&b, edns_payload);
		wbuf_u16(&b, 0); /* extended rcode, version 0 */
		wbuf_u16(&b, q->edns_do ? DNS_EDNS_DO : 0);
		wbuf_u16(&b, 0);
	}
	return b.err ? b.err : (int) wbuf_len(&b);
}

/* ---- the cache */

struct centry {
	struct centry *hnext;
	struct centry *prev, *next; /* LRU: head is the most recently used */
	uint64_t hash;
	int64_t expires_ms;
	size_t size;
	uint16_t qtype, qclass;
	uint8_t key_len;
	struct dns_answer a;
	uint16_t data[]; /* ttl offsets, then key and message bytes */
};

struct dns_cache {
	struct centry **buckets;
	size_t n_buckets; /* a power of two */
	struct centry *head, *tail;
	size_t max_bytes, bytes, entries;
	uint64_t hits, misses, evictions;
};

static const uint8_t *entry_key(const struct centry *e)
{
	return (const uint8_t *) (e->data + e->a.n_ttl);
}

struct dns_cache *dns_cache_new(size_t max_bytes)
{
	struct dns_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->n_buckets = 1024;
	c->buckets = calloc(c->n_buckets, sizeof *c->buckets);
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes;
	return c;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	for (struct centry *e = c->head, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
}

static uint64_t key_hash(const uint8_t *lname, size_t len, uint16_t qtype, uint16_t qclass)
{
	return nb_hash(lname, len, (uint64_t) qtype << 16 | qclass);
}

static void lru_unlink(struct dns_cache *c, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct dns_cache *c, struct centry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void entry_remove(struct dns_cache *c, struct centry *e)
{
	struct centry **p = &c->buckets[e->hash & (c->n_buckets - 1)];
	while (*p && *p != e)
		p = &(*p)->hnext;
	if (*p)
		*p = e->hnext;
	lru_unlink(c, e);
	c->bytes -= e->size;
	c->entries--;
	free(e);
}

static void evict_to(struct dns_cache *c, size_t limit)
{
	while (c->tail && c->bytes > limit) {
		entry_remove(c, c->tail);
		c->evictions++;
	}
}

void dns_cache_set_limit(struct dns_cache *c, size_t max_bytes)
{
	c->max_bytes = max_bytes;
	evict_to(c, max_bytes);
}

static struct centry *find(const struct dns_cache *c, uint64_t h, const uint8_t *lname, size_t len,
                           uint16_t qtype, uint16_t qclass)
{
	for (struct centry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->qtype == qtype && e->qclass == qclass && e->key_len == len &&
		    memcmp(entry_key(e), lname, len) == 0)
			return e;
	return NULL;
}

const struct dns_answer *dns_cache_get(struct dns_cache *c, const uint8_t *lname, size_t len,
                                       uint16_t qtype, uint16_t qclass, int64_t now_ms)
{
	uint64_t h = key_hash(lname, len, qtype, qclass);
	struct centry *e = find(c, h, lname, len, qtype, qclass);
	if (e && now_ms >= e->expires_ms) {
		entry_remove(c, e);
		e = NULL;
	}
	if (!e) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	if (c->head != e) {
		lru_unlink(c, e);
		lru_push(c, e);
	}
	return &e->a;
}

static void grow(struct dns_cache *c)
{
	size_t n = c->n_buckets * 2;
	struct centry **b = calloc(n, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < c->n_buckets; i++)
		for (struct centry *e = c->buckets[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

int dns_cache_put(struct dns_cache *c, const uint8_t *lname, size_t len, uint16_t qtype,
                  uint16_t qclass, const struct dns_answer *a)
{
	if (a->ttl == 0 || c->max_bytes == 0)
		return 0;
	size_t size = sizeof(struct centry) + a->n_ttl * sizeof(uint16_t) + len + a->len;
	if (size > c->max_bytes)
		return -E2BIG;
	uint64_t h = key_hash(lname, len, qtype, qclass);
	struct centry *old = find(c, h, lname, len, qtype, qclass);
	if (old)
		entry_remove(c, old);
	evict_to(c, c->max_bytes - size);
	struct centry *e = malloc(size);
	if (!e)
		return -ENOMEM;
	*e = (struct centry){
	        .hash = h,
	        .expires_ms = a->stored_ms + (int64_t) a->ttl * 1000,
	        .size = size,
	        .qtype = qtype,
	        .qclass = qclass,
	        .key_len = (uint8_t) len,
	        .a = *a,
	};
	memcpy(e->data, a->ttl_off, a->n_ttl * sizeof(uint16_t));
	uint8_t *key = (uint8_t *) (e->data + a->n_ttl);
	memcpy(key, lname, len);
	memcpy(key + len, a->msg, a->len);
	e->a.ttl_off = e->data;
	e->a.msg = key + len;
	e->hnext = c->buckets[h & (c->n_buckets - 1)];
	c->buckets[h & (c->n_buckets - 1)] = e;
	lru_push(c, e);
	c->bytes += size;
	if (++c->entries > c->n_buckets)
		grow(c);
	return 0;
}

void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *ret)
{
	*ret = (struct dns_cache_stats){
	        .entries = c->entries,
	        .bytes = c->bytes,
	        .hits = c->hits,
	        .misses = c->misses,
	        .evictions = c->evictions,
	};
}
