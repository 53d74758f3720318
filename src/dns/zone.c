#include "dns/zone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/util.h"
#include "dns/wire.h"
#include "registry/hosts.h"

#define NIL        UINT32_MAX
#define CHASE_MAX  8 /* CNAMEs followed inside the zone */
#define GLUE_MAX   4 /* targets whose addresses go to the additional section */
#define SELF_ADDRS 8

#define SOA_REFRESH 3600
#define SOA_RETRY   600
#define SOA_EXPIRE  604800

struct zrr {
	uint16_t type;
	uint32_t ttl;
	uint32_t rdata_off;  /* fixed rdata bytes in z->rdata ... */
	uint16_t rdata_len;  /* ... before the target name (all of it when there is none) */
	uint32_t target_off; /* a wire name in z->names, or NIL */
};

struct znode {
	uint32_t name_off; /* lower-case wire name in z->names */
	uint32_t first_rr, n_rr;
	uint32_t next; /* hash chain */
};

/* A block of addresses whose reverse zone is answered here. */
struct rzone {
	uint32_t net;
	unsigned prefix;
};

struct ptr_slot {
	uint32_t addr, node; /* node NIL: empty */
};

/* After the build, every name's data lies in one place in z->blob, so a lookup touches
 * its hash bucket and one or two cache lines more:
 *   u32 next (the hash chain), u16 record count, u8 name length, the name (lower case)
 *   per record: u16 type, u32 ttl, u16 n, n fixed rdata bytes, u8 has target, [target]
 * A node is its offset in the blob. */
struct zrec {
	uint16_t type;
	uint32_t ttl;
	const uint8_t *fixed; /* rdata before the target name (all of it when none) */
	uint16_t fixed_len;
	const uint8_t *target; /* a wire name, or NULL */
};

struct ziter {
	struct wire w;
	uint16_t left;
};

struct dns_zone {
	uint8_t apex[DNS_NAME_MAX];
	unsigned apex_len, apex_labels;
	uint8_t self[DNS_NAME_MAX]; /* NAME.<domain> */
	uint8_t self_label[DNS_LABEL_MAX + 1];
	uint8_t hostmaster[DNS_NAME_MAX];
	uint32_t ttl;
	uint32_t serial;
	uint64_t hosts_gen;

	/* while building */
	struct znode *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *buckets;
	size_t n_buckets; /* a power of two */
	struct zrr *rrs;
	size_t n_rrs;
	uint8_t *names, *rdata;
	size_t names_len, names_cap, rdata_len, rdata_cap;
	/* for lookups */
	uint8_t *blob;
	size_t blob_len;
	uint32_t *bkt;        /* n_buckets chains of blob offsets */
	struct ptr_slot *ptr; /* addresses of static A records -> their node */
	size_t n_ptr;         /* a power of two */
	struct rzone *rzones;
	size_t n_rzones;
};

/* RFC 6303 and 6761: reverse zones of private and special ranges that must never be
 * asked of the Internet. */
static const struct rzone private_ranges[] = {
        {0x0a000000, 8},  {0xac100000, 12}, {0xc0a80000, 16}, {0x7f000000, 8},
        {0xa9fe0000, 16}, {0x00000000, 8},  {0x64400000, 10}, {0xc0000200, 24},
        {0xc6336400, 24}, {0xcb007100, 24}, {0xffffffff, 32},
};

static const uint8_t in_addr_arpa[] = {7,   'i', 'n', '-', 'a', 'd', 'd',
                                       'r', 4,   'a', 'r', 'p', 'a', 0};

/* ---- building */

static int pool_add(uint8_t **pool, size_t *len, size_t *cap, const void *p, size_t n,
                    uint32_t *ret_off)
{
	if (nb_grow(pool, cap, *len + n, 1) < 0)
		return -ENOMEM;
	memcpy(*pool + *len, p, n);
	*ret_off = (uint32_t) *len;
	*len += n;
	return 0;
}

static size_t wire_name_len(const uint8_t *n)
{
	size_t i = 0;
	while (n[i])
		i += 1u + n[i];
	return i + 1;
}

static uint32_t build_find(const struct dns_zone *z, const uint8_t *name, size_t len)
{
	if (!z->n_buckets)
		return NIL;
	uint64_t h = nb_hash(name, len, 0);
	for (uint32_t i = z->buckets[h & (z->n_buckets - 1)]; i != NIL; i = z->nodes[i].next) {
		const uint8_t *n = z->names + z->nodes[i].name_off;
		if (n[0] == name[0] && memcmp(n, name, len) == 0)
			return i;
	}
	return NIL;
}

static int node_add(struct dns_zone *z, const uint8_t *name, size_t len, uint32_t *ret)
{
	uint32_t i = build_find(z, name, len);
	if (i != NIL) {
		*ret = i;
		return 0;
	}
	if (nb_grow(&z->nodes, &z->cap_nodes, z->n_nodes + 1, sizeof *z->nodes) < 0)
		return -ENOMEM;
	struct znode *n = &z->nodes[z->n_nodes];
	*n = (struct znode){.first_rr = 0, .n_rr = 0};
	if (pool_add(&z->names, &z->names_len, &z->names_cap, name, len, &n->name_off) < 0)
		return -ENOMEM;
	uint64_t h = nb_hash(name, len, 0);
	n->next = z->buckets[h & (z->n_buckets - 1)];
	z->buckets[h & (z->n_buckets - 1)] = (uint32_t) z->n_nodes;
	*ret = (uint32_t) z->n_nodes++;
	return 0;
}

static bool under_apex(const struct dns_zone *z, const uint8_t *name, size_t len)
{
	/* the apex's bytes at the end, starting at a label boundary */
	size_t i = 0;
	while (len - i > z->apex_len && name[i])
		i += 1u + name[i];
	return len - i == z->apex_len && memcmp(name + i, z->apex, z->apex_len) == 0;
}

/* The record's names as lower-case wire names. */
static int record_names(const struct conf_dns_record *r, uint8_t *owner, uint8_t *target)
{
	char buf[CONF_DOMAIN_MAX];
	snprintf(buf, sizeof buf, "%s", r->name);
	for (char *p = buf; *p; p++)
		*p = (char) (*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
	if (dns_name_from_text(buf, owner) < 0)
		return -EINVAL;
	if (r->type == DNS_T_CNAME || r->type == DNS_T_PTR || r->type == DNS_T_MX ||
	    r->type == DNS_T_SRV) {
		snprintf(buf, sizeof buf, "%s", r->target);
		for (char *p = buf; *p; p++)
			*p = (char) (*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
		if (dns_name_from_text(buf, target) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Empty non-terminals between a record's owner and the apex exist (RFC 8020). */
static int add_ancestors(struct dns_zone *z, const uint8_t *name, size_t len)
{
	uint32_t ignored;
	for (size_t i = 1u + name[0]; i < len && len - i > z->apex_len; i += 1u + name[i])
		if (node_add(z, name + i, len - i, &ignored) < 0)
			return -ENOMEM;
	return 0;
}

static int ptr_add(struct dns_zone *z, uint32_t addr, uint32_t node)
{
	size_t mask = z->n_ptr - 1;
	for (size_t i = nb_hash(&addr, sizeof addr, 5) & mask;; i = (i + 1) & mask) {
		if (z->ptr[i].node == NIL) {
			z->ptr[i] = (struct ptr_slot){addr, node};
			return 0;
		}
		if (z->ptr[i].addr == addr)
			return 0; /* the first record with this address names it */
	}
}

static uint32_t ptr_find(const struct dns_zone *z, uint32_t addr)
{
	if (!z->n_ptr)
		return NIL;
	size_t mask = z->n_ptr - 1;
	for (size_t i = nb_hash(&addr, sizeof addr, 5) & mask; z->ptr[i].node != NIL;
	     i = (i + 1) & mask)
		if (z->ptr[i].addr == addr)
			return z->ptr[i].node;
	return NIL;
}

static int add_rdata(struct dns_zone *z, const struct conf_dns_record *r, const uint8_t *target,
                     struct zrr *rr)
{
	uint8_t fixed[CONF_DNS_TXT_MAX];
	size_t n = 0;
	switch (r->type) {
	case DNS_T_A:
		memcpy(fixed, r->addr, 4);
		n = 4;
		break;
	case DNS_T_AAAA:
		memcpy(fixed, r->addr, 16);
		n = 16;
		break;
	case DNS_T_TXT:
		memcpy(fixed, r->txt, r->txt_len);
		n = r->txt_len;
		break;
	case DNS_T_MX:
		fixed[n++] = (uint8_t) (r->priority >> 8);
		fixed[n++] = (uint8_t) r->priority;
		break;
	case DNS_T_SRV:
		for (int i = 0; i < 3; i++) {
			uint16_t v = i == 0 ? r->priority : i == 1 ? r->weight : r->port;
			fixed[n++] = (uint8_t) (v >> 8);
			fixed[n++] = (uint8_t) v;
		}
		break;
	default:
		break;
	}
	rr->rdata_len = (uint16_t) n;
	rr->target_off = NIL;
	if (pool_add(&z->rdata, &z->rdata_len, &z->rdata_cap, fixed, n, &rr->rdata_off) < 0)
		return -ENOMEM;
	if (r->type == DNS_T_CNAME || r->type == DNS_T_PTR || r->type == DNS_T_MX ||
	    r->type == DNS_T_SRV)
		return pool_add(&z->names, &z->names_len, &z->names_cap, target,
		                wire_name_len(target), &rr->target_off);
	return 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 64;
	while (p < n)
		p *= 2;
	return p;
}

static int build_records(struct dns_zone *z, const struct conf *c)
{
	size_t n = c->dns.n_records;
	NB_CLEANUP(freep) uint32_t *node_of = calloc(n ? n : 1, sizeof *node_of);
	uint8_t owner[DNS_NAME_MAX], target[DNS_NAME_MAX];
	if (!node_of)
		return -ENOMEM;
	z->n_buckets = pow2_at_least(4 * n);
	z->buckets = malloc(z->n_buckets * sizeof *z->buckets);
	z->n_ptr = pow2_at_least(2 * n);
	z->ptr = malloc(z->n_ptr * sizeof *z->ptr);
	z->rrs = calloc(n ? n : 1, sizeof *z->rrs);
	if (!z->buckets || !z->ptr || !z->rrs)
		return -ENOMEM;
	memset(z->buckets, 0xff, z->n_buckets * sizeof *z->buckets);
	for (size_t i = 0; i < z->n_ptr; i++)
		z->ptr[i].node = NIL;

	/* nodes first, then every record in its node's run (a counting sort) */
	for (size_t i = 0; i < n; i++) {
		if (record_names(&c->dns.records[i], owner, target) < 0)
			return -EINVAL;
		size_t len = wire_name_len(owner);
		if (node_add(z, owner, len, &node_of[i]) < 0 ||
		    (under_apex(z, owner, len) && add_ancestors(z, owner, len) < 0))
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		z->nodes[node_of[i]].n_rr++;
	uint32_t at = 0;
	for (size_t i = 0; i < z->n_nodes; i++) {
		z->nodes[i].first_rr = at;
		at += z->nodes[i].n_rr;
		z->nodes[i].n_rr = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct conf_dns_record *r = &c->dns.records[i];
		struct znode *nd = &z->nodes[node_of[i]];
		struct zrr *rr = &z->rrs[nd->first_rr + nd->n_rr++];
		(void) record_names(r, owner, target);
		rr->type = r->type;
		rr->ttl = r->ttl_sec == UINT32_MAX ? c->dns.local_ttl_sec : r->ttl_sec;
		if (add_rdata(z, r, target, rr) < 0)
			return -ENOMEM;
		if (r->type == DNS_T_A) {
			uint32_t a = (uint32_t) r->addr[0] << 24 | (uint32_t) r->addr[1] << 16 |
			             (uint32_t) r->addr[2] << 8 | r->addr[3];
			(void) ptr_add(z, a, node_of[i]);
		}
	}
	z->n_rrs = n;
	return 0;
}

/* Lays every node out in the blob (see struct zrec) and drops the build structures. */
static int pack(struct dns_zone *z)
{
	size_t need = 0;
	for (size_t i = 0; i < z->n_nodes; i++) {
		const struct znode *nd = &z->nodes[i];
		need += 7 + wire_name_len(z->names + nd->name_off);
		for (uint32_t k = 0; k < nd->n_rr; k++) {
			const struct zrr *rr = &z->rrs[nd->first_rr + k];
			need += 9u + rr->rdata_len +
			        (rr->target_off == NIL ? 0
			                               : wire_name_len(z->names + rr->target_off));
		}
	}
	NB_CLEANUP(freep) uint32_t *off_of = malloc((z->n_nodes ? z->n_nodes : 1) * sizeof *off_of);
	z->blob = malloc(need ? need : 1);
	z->bkt = malloc(z->n_buckets * sizeof *z->bkt);
	if (!off_of || !z->blob || !z->bkt)
		return -ENOMEM;
	memset(z->bkt, 0xff, z->n_buckets * sizeof *z->bkt);
	struct wbuf b = wbuf_init(z->blob, need);
	for (size_t i = 0; i < z->n_nodes; i++) {
		const struct znode *nd = &z->nodes[i];
		const uint8_t *name = z->names + nd->name_off;
		size_t len = wire_name_len(name), slot = nb_hash(name, len, 0) & (z->n_buckets - 1);
		off_of[i] = (uint32_t) wbuf_len(&b);
		wbuf_u32(&b, z->bkt[slot]);
		z->bkt[slot] = off_of[i];
		wbuf_u16(&b, (uint16_t) nd->n_rr);
		wbuf_u8(&b, (uint8_t) len);
		wbuf_bytes(&b, name, len);
		for (uint32_t k = 0; k < nd->n_rr; k++) {
			const struct zrr *rr = &z->rrs[nd->first_rr + k];
			wbuf_u16(&b, rr->type);
			wbuf_u32(&b, rr->ttl);
			wbuf_u16(&b, rr->rdata_len);
			wbuf_bytes(&b, z->rdata + rr->rdata_off, rr->rdata_len);
			wbuf_u8(&b, rr->target_off != NIL);
			if (rr->target_off != NIL)
				wbuf_bytes(&b, z->names + rr->target_off,
				           wire_name_len(z->names + rr->target_off));
		}
	}
	if (b.err)
		return b.err;
	z->blob_len = wbuf_len(&b);
	for (size_t i = 0; i < z->n_ptr; i++)
		if (z->ptr[i].node != NIL)
			z->ptr[i].node = off_of[z->ptr[i].node];
	free(z->nodes);
	free(z->buckets);
	free(z->rrs);
	free(z->names);
	free(z->rdata);
	z->nodes = NULL;
	z->buckets = NULL;
	z->rrs = NULL;
	z->names = z->rdata = NULL;
	return 0;
}

static int build_rzones(struct dns_zone *z, const struct conf *c)
{
	z->rzones = calloc(NB_ARRAY_SIZE(private_ranges) + c->n_subnets, sizeof *z->rzones);
	if (!z->rzones)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_subnets; i++)
		z->rzones[z->n_rzones++] = (struct rzone){c->subnets[i].net, c->subnets[i].prefix};
	for (size_t i = 0; i < NB_ARRAY_SIZE(private_ranges); i++)
		z->rzones[z->n_rzones++] = private_ranges[i];
	return 0;
}

int dns_zone_new(const struct conf *c, struct dns_zone **ret)
{
	struct dns_zone *z = calloc(1, sizeof *z);
	char buf[CONF_NAME_MAX + CONF_DOMAIN_MAX + 16];
	int r, len;
	if (!z)
		return -ENOMEM;
	z->ttl = c->dns.local_ttl_sec;
	z->serial = (uint32_t) nb_wall_sec();
	if ((len = dns_name_from_text(c->dns.domain, z->apex)) < 0)
		goto invalid;
	z->apex_len = (unsigned) len;
	for (size_t i = 0; z->apex[i]; i += 1u + z->apex[i])
		z->apex_labels++;
	snprintf(buf, sizeof buf, "%s.%s", c->server.name, c->dns.domain);
	for (char *p = buf; *p; p++)
		*p = (char) (*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
	if (dns_name_from_text(buf, z->self) < 0 || z->self[0] > DNS_LABEL_MAX)
		goto invalid;
	memcpy(z->self_label, z->self, 1u + z->self[0]);
	snprintf(buf, sizeof buf, "hostmaster.%s", c->dns.domain);
	if (dns_name_from_text(buf, z->hostmaster) < 0)
		goto invalid;
	if ((r = build_records(z, c)) < 0 || (r = pack(z)) < 0 || (r = build_rzones(z, c)) < 0) {
		dns_zone_free(z);
		return r;
	}
	*ret = z;
	return 0;
invalid:
	dns_zone_free(z);
	return -EINVAL;
}

void dns_zone_free(struct dns_zone *z)
{
	if (!z)
		return;
	free(z->nodes);
	free(z->buckets);
	free(z->rrs);
	free(z->names);
	free(z->rdata);
	free(z->blob);
	free(z->bkt);
	free(z->ptr);
	free(z->rzones);
	free(z);
}

uint32_t dns_zone_serial(const struct dns_zone *z)
{
	return z->serial;
}

/* ---- the blob */

static uint32_t node_next(const struct dns_zone *z, uint32_t node)
{
	struct wire w = wire_init(z->blob + node, z->blob_len - node);
	return wire_u32(&w);
}

static const uint8_t *node_name(const struct dns_zone *z, uint32_t node)
{
	return z->blob + node + 7;
}

static uint32_t node_find(const struct dns_zone *z, const uint8_t *name, size_t len)
{
	uint64_t h = nb_hash(name, len, 0);
	for (uint32_t n = z->bkt[h & (z->n_buckets - 1)]; n != NIL; n = node_next(z, n)) {
		struct wire w = wire_init(z->blob + n, z->blob_len - n);
		wire_skip(&w, 6);
		if (wire_u8(&w) == len && memcmp(wire_ptr(&w, len), name, len) == 0)
			return n;
	}
	return NIL;
}

/* The records of node (none for NIL). */
static struct ziter node_records(const struct dns_zone *z, uint32_t node)
{
	if (node == NIL)
		return (struct ziter){.w = wire_init(z->blob, 0), .left = 0};
	struct ziter it = {.w = wire_init(z->blob + node, z->blob_len - node)};
	wire_skip(&it.w, 4);
	it.left = wire_u16(&it.w);
	wire_skip(&it.w, wire_u8(&it.w));
	return it;
}

static bool zrec_next(struct ziter *it, struct zrec *r)
{
	if (it->left == 0 || it->w.err)
		return false;
	it->left--;
	r->type = wire_u16(&it->w);
	r->ttl = wire_u32(&it->w);
	r->fixed_len = wire_u16(&it->w);
	r->fixed = wire_ptr(&it->w, r->fixed_len);
	r->target = NULL;
	if (wire_u8(&it->w)) {
		r->target = it->w.p;
		wire_skip(&it->w, wire_name_len(it->w.p));
	}
	return it->w.err == 0;
}

/* ---- writing records */

static void put_rr(struct dns_writer *w, int sec, const uint8_t *owner, const struct zrec *r)
{
	size_t off = dns_rr_begin(w, sec, owner, r->type, DNS_C_IN, r->ttl);
	wbuf_bytes(&w->b, r->fixed, r->fixed_len);
	if (r->target) /* RFC 2782: SRV targets are never compressed */
		dns_write_name(w, r->target, r->type != DNS_T_SRV);
	dns_rr_end(w, sec, off);
}

static void put_a(const struct dns_zone *z, struct dns_writer *w, int sec, const uint8_t *owner,
                  uint32_t addr)
{
	size_t off = dns_rr_begin(w, sec, owner, DNS_T_A, DNS_C_IN, z->ttl);
	wbuf_u32(&w->b, addr);
	dns_rr_end(w, sec, off);
}

static void put_name_rr(const struct dns_zone *z, struct dns_writer *w, int sec,
                        const uint8_t *owner, uint16_t type, const uint8_t *target)
{
	size_t off = dns_rr_begin(w, sec, owner, type, DNS_C_IN, z->ttl);
	dns_write_name(w, target, true);
	dns_rr_end(w, sec, off);
}

static void put_soa(struct dns_zone *z, struct dns_writer *w, int sec, const uint8_t *owner)
{
	size_t off = dns_rr_begin(w, sec, owner, DNS_T_SOA, DNS_C_IN, z->ttl);
	dns_write_name(w, z->self, true);
	dns_write_name(w, z->hostmaster, true);
	wbuf_u32(&w->b, z->serial);
	wbuf_u32(&w->b, SOA_REFRESH);
	wbuf_u32(&w->b, SOA_RETRY);
	wbuf_u32(&w->b, SOA_EXPIRE);
	wbuf_u32(&w->b, z->ttl); /* RFC 2308 4: the negative caching TTL */
	dns_rr_end(w, sec, off);
}

/* ---- the forward zone */

/* What one name holds. */
struct lookup {
	uint32_t node;            /* static records or an empty non-terminal; NIL: none */
	bool apex;                /* SOA and NS */
	uint32_t dyn[SELF_ADDRS]; /* A records from the server's name or the hosts table */
	size_t n_dyn;
	bool has_cname, has_a;
	struct zrec cname;
};

static bool node_has(const struct dns_zone *z, uint32_t node, uint16_t type)
{
	struct zrec r;
	for (struct ziter it = node_records(z, node); zrec_next(&it, &r);)
		if (r.type == type)
			return true;
	return false;
}

static void self_addrs(const struct dns_zone *z, const struct dns_zone_ctx *ctx, struct lookup *lk)
{
	if (ctx->server_addr) {
		lk->dyn[lk->n_dyn++] = ctx->server_addr;
		return;
	}
	for (size_t i = 0; i < ctx->n_own_addrs && lk->n_dyn < SELF_ADDRS; i++)
		if (!ip4_in(ctx->own_addrs[i], 0x7f000000, 8))
			lk->dyn[lk->n_dyn++] = ctx->own_addrs[i];
}

/* name: lower-case wire name under the apex. Returns whether it exists. */
static bool lookup_fwd(const struct dns_zone *z, const struct dns_zone_ctx *ctx,
                       const uint8_t *name, size_t len, struct lookup *lk)
{
	*lk = (struct lookup){.node = node_find(z, name, len)};
	lk->apex = len == z->apex_len;
	struct zrec r;
	for (struct ziter it = node_records(z, lk->node); zrec_next(&it, &r);) {
		if (r.type == DNS_T_CNAME) {
			lk->cname = r;
			lk->has_cname = true;
		}
		lk->has_a = lk->has_a || r.type == DNS_T_A;
	}
	/* one label below the apex: the server's own name, then the hosts table; static A
	 * records or a CNAME of the same name take precedence */
	if (len == 1u + name[0] + z->apex_len && !lk->has_cname && !lk->has_a) {
		char label[DNS_LABEL_MAX + 1];
		memcpy(label, name + 1, name[0]);
		label[name[0]] = 0;
		const struct hosts_entry *e;
		if (memcmp(name, z->self_label, 1u + name[0]) == 0)
			self_addrs(z, ctx, lk);
		else if (ctx->hosts && (e = hosts_by_name(ctx->hosts, label, ctx->now_sec)))
			lk->dyn[lk->n_dyn++] = e->addr;
	}
	return lk->node != NIL || lk->apex || lk->n_dyn > 0;
}

/* Writes owner's records of qtype (ANY: one RRset, RFC 8482 4.1); returns how many;
 * remembers in-zone targets of NS, MX and SRV for the additional section. */
static size_t put_rrsets(struct dns_zone *z, struct dns_writer *w, const uint8_t *owner,
                         const struct lookup *lk, uint16_t qtype, const uint8_t **glue,
                         size_t *n_glue)
{
	size_t n = 0;
	struct zrec r;
	struct ziter it;
	if (qtype == DNS_T_ANY) {
		it = node_records(z, lk->node);
		if (lk->apex)
			qtype = DNS_T_SOA;
		else if (lk->n_dyn)
			qtype = DNS_T_A;
		else if (lk->node != NIL && zrec_next(&it, &r))
			qtype = r.type;
	}
	if (lk->apex && qtype == DNS_T_SOA) {
		put_soa(z, w, DNS_SEC_AN, owner);
		n++;
	}
	if (lk->apex && qtype == DNS_T_NS) {
		put_name_rr(z, w, DNS_SEC_AN, owner, DNS_T_NS, z->self);
		if (*n_glue < GLUE_MAX)
			glue[(*n_glue)++] = z->self;
		n++;
	}
	if (qtype == DNS_T_A)
		for (size_t i = 0; i < lk->n_dyn; i++, n++)
			put_a(z, w, DNS_SEC_AN, owner, lk->dyn[i]);
	if (lk->node == NIL)
		return n;
	for (it = node_records(z, lk->node); zrec_next(&it, &r);) {
		if (r.type != qtype)
			continue;
		put_rr(w, DNS_SEC_AN, owner, &r);
		n++;
		if ((r.type == DNS_T_MX || r.type == DNS_T_SRV) && *n_glue < GLUE_MAX)
			glue[(*n_glue)++] = r.target;
	}
	return n;
}

/* Additional section: addresses of targets inside the zone (RFC 1034 4.3.2 step 6). */
static void put_glue(struct dns_zone *z, const struct dns_zone_ctx *ctx, struct dns_writer *w,
                     const uint8_t **glue, size_t n_glue)
{
	for (size_t g = 0; g < n_glue; g++) {
		size_t len = wire_name_len(glue[g]);
		struct lookup lk;
		if (!under_apex(z, glue[g], len) || !lookup_fwd(z, ctx, glue[g], len, &lk))
			continue;
		for (size_t i = 0; i < lk.n_dyn; i++)
			put_a(z, w, DNS_SEC_AR, glue[g], lk.dyn[i]);
		struct zrec r;
		for (struct ziter it = node_records(z, lk.node); zrec_next(&it, &r);)
			if (r.type == DNS_T_A || r.type == DNS_T_AAAA)
				put_rr(w, DNS_SEC_AR, glue[g], &r);
	}
}

static int answer_fwd(struct dns_zone *z, const struct dns_query *q, const struct dns_zone_ctx *ctx,
                      struct dns_writer *w, const uint8_t *name, size_t len)
{
	const uint8_t *glue[GLUE_MAX];
	size_t n_glue = 0;
	const uint8_t *owner = q->qname.b; /* answers repeat the name as asked */
	struct lookup lk;

	if (!lookup_fwd(z, ctx, name, len, &lk)) {
		put_soa(z, w, DNS_SEC_NS, z->apex);
		return DNS_R_NXDOMAIN;
	}
	/* RFC 1034 4.3.2: follow CNAMEs while they stay inside the zone */
	for (int hops = 0; lk.has_cname && q->qtype != DNS_T_CNAME; hops++) {
		put_rr(w, DNS_SEC_AN, owner, &lk.cname);
		owner = lk.cname.target;
		len = wire_name_len(owner);
		if (hops == CHASE_MAX || !under_apex(z, owner, len))
			return DNS_R_NOERROR; /* the client's resolver goes on from here */
		if (!lookup_fwd(z, ctx, owner, len, &lk)) {
			put_soa(z, w, DNS_SEC_NS, z->apex);
			return DNS_R_NXDOMAIN; /* RFC 6604: the rcode of the last name */
		}
	}
	if (put_rrsets(z, w, owner, &lk, q->qtype, glue, &n_glue) == 0)
		put_soa(z, w, DNS_SEC_NS, z->apex); /* NODATA (RFC 2308 2.2), after any CNAMEs */
	put_glue(z, ctx, w, glue, n_glue);
	return DNS_R_NOERROR;
}

/* ---- reverse zones */

/* Octets of a reverse name, first octet first; returns how many labels are valid octets
 * counted from the right (at most 4). */
static size_t rev_octets(const uint8_t *lname, const struct dns_name *qn, size_t k, uint8_t oct[4])
{
	size_t v = 0;
	for (; v < k && v < 4; v++) {
		const uint8_t *l = lname + qn->label[k - 1 - v];
		unsigned val = 0;
		if (l[0] == 0 || l[0] > 3 || (l[0] > 1 && l[1] == '0'))
			break;
		for (unsigned i = 1; i <= l[0] && val <= 255; i++)
			val = l[i] >= '0' && l[i] <= '9' ? val * 10 + (unsigned) (l[i] - '0') : 256;
		if (val > 255)
			break;
		oct[v] = (uint8_t) val;
	}
	return v;
}

static unsigned zone_octets(unsigned prefix)
{
	unsigned o = (prefix + 7) / 8;
	return o < 1 ? 1 : o > 3 ? 3 : o;
}

/* The octet count of the most specific local reverse zone the name falls in; 0: none. */
static unsigned rev_zone(const struct dns_zone *z, const uint8_t oct[4], size_t valid)
{
	unsigned best = 0;
	for (size_t i = 0; i < z->n_rzones; i++) {
		unsigned zo = zone_octets(z->rzones[i].prefix);
		if (valid < zo || zo <= best)
			continue;
		uint32_t v = 0;
		for (unsigned k = 0; k < zo; k++)
			v |= (uint32_t) oct[k] << (24 - 8 * k);
		unsigned bits = NB_MIN(z->rzones[i].prefix, zo * 8);
		if ((v & ip4_mask(bits)) == (z->rzones[i].net & ip4_mask(bits)))
			best = zo;
	}
	return best;
}

/* The name a PTR for addr points to, as a wire name in buf; NULL: none. */
static const uint8_t *ptr_target(const struct dns_zone *z, const struct dns_zone_ctx *ctx,
                                 uint32_t addr, uint8_t *buf)
{
	for (size_t i = 0; i < ctx->n_own_addrs; i++)
		if (ctx->own_addrs[i] == addr)
			return z->self;
	const struct hosts_entry *e;
	if (ctx->hosts && (e = hosts_by_addr(ctx->hosts, addr, ctx->now_sec)) && e->name[0]) {
		size_t n = strlen(e->name);
		if (n > DNS_LABEL_MAX || n + 1 + z->apex_len > DNS_NAME_MAX)
			return NULL;
		buf[0] = (uint8_t) n;
		memcpy(buf + 1, e->name, n);
		memcpy(buf + 1 + n, z->apex, z->apex_len);
		return buf;
	}
	uint32_t node = ptr_find(z, addr);
	return node == NIL ? NULL : node_name(z, node);
}

static int answer_rev(struct dns_zone *z, const struct dns_query *q, const struct dns_zone_ctx *ctx,
                      struct dns_writer *w)
{
	const struct dns_name *qn = &q->qname;
	size_t k = qn->n_labels - 2u;
	uint8_t oct[4], buf[DNS_NAME_MAX];
	size_t valid = rev_octets(q->lname, qn, k, oct);
	unsigned zo = rev_zone(z, oct, valid);
	if (!zo)
		return -ENOENT;
	const uint8_t *apex = q->lname + qn->label[k - zo];
	const uint8_t *target = NULL;
	uint32_t node = node_find(z, q->lname, qn->len);
	bool exists = node != NIL;
	size_t n = 0;

	if (valid == 4 && k == 4 && !node_has(z, node, DNS_T_PTR)) {
		uint32_t addr = (uint32_t) oct[0] << 24 | (uint32_t) oct[1] << 16 |
		                (uint32_t) oct[2] << 8 | oct[3];
		target = ptr_target(z, ctx, addr, buf);
		exists = exists || target;
	} else if (valid == k && k < 4) {
		exists = true; /* the zone's apex, or an empty non-terminal below it */
	}
	if (!exists) {
		put_soa(z, w, DNS_SEC_NS, apex);
		return DNS_R_NXDOMAIN;
	}
	uint16_t qt = q->qtype;
	if (k == zo && (qt == DNS_T_SOA || qt == DNS_T_ANY)) {
		put_soa(z, w, DNS_SEC_AN, q->qname.b);
		n++;
	} else if (k == zo && qt == DNS_T_NS) {
		put_name_rr(z, w, DNS_SEC_AN, q->qname.b, DNS_T_NS, z->self);
		n++;
	} else if (target && (qt == DNS_T_PTR || qt == DNS_T_ANY)) {
		put_name_rr(z, w, DNS_SEC_AN, q->qname.b, DNS_T_PTR, target);
		n++;
	} else if (node != NIL) {
		struct zrec r;
		for (struct ziter it = node_records(z, node); zrec_next(&it, &r);)
			if (r.type == qt || qt == DNS_T_ANY) {
				put_rr(w, DNS_SEC_AN, q->qname.b, &r);
				n++;
			}
	}
	if (n == 0)
		put_soa(z, w, DNS_SEC_NS, apex);
	return DNS_R_NOERROR;
}

/* ---- entry */

/* RFC 6761 6.3: "localhost" is the loopback address, whatever the domain. */
static int answer_localhost(struct dns_zone *z, const struct dns_query *q, struct dns_writer *w)
{
	static const uint8_t v6[16] = {[15] = 1};
	if (q->qtype == DNS_T_A || q->qtype == DNS_T_ANY) {
		put_a(z, w, DNS_SEC_AN, q->qname.b, 0x7f000001);
	} else if (q->qtype == DNS_T_AAAA) {
		size_t off = dns_rr_begin(w, DNS_SEC_AN, q->qname.b, DNS_T_AAAA, DNS_C_IN, z->ttl);
		wbuf_bytes(&w->b, v6, sizeof v6);
		dns_rr_end(w, DNS_SEC_AN, off);
	} else {
		put_soa(z, w, DNS_SEC_NS, z->apex);
	}
	return DNS_R_NOERROR;
}

static bool is_reverse(const struct dns_query *q)
{
	const struct dns_name *qn = &q->qname;
	return qn->n_labels >= 3 && memcmp(q->lname + qn->label[qn->n_labels - 2], in_addr_arpa,
	                                   sizeof in_addr_arpa) == 0;
}

int dns_zone_answer(struct dns_zone *z, const struct dns_query *q, const struct dns_zone_ctx *ctx,
                    struct dns_writer *w)
{
	const struct dns_name *qn = &q->qname;
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)
		return -ENOENT;
	if (ctx->hosts && hosts_generation(ctx->hosts) != z->hosts_gen) {
		/* RFC 1982 arithmetic: the serial only moves forward */
		uint32_t now = (uint32_t) ctx->now_sec;
		z->serial = (int32_t) (now - z->serial) > 0 ? now : z->serial + 1;
		z->hosts_gen = hosts_generation(ctx->hosts);
	}
	if (under_apex(z, q->lname, qn->len))
		return answer_fwd(z, q, ctx, w, q->lname, qn->len);
	if (qn->n_labels == 1 && memcmp(q->lname, "\x09localhost", 11) == 0)
		return answer_localhost(z, q, w);
	if (qn->n_labels == 1) {
		/* a single label is NAME.<domain>, answered under the name asked */
		uint8_t name[DNS_NAME_MAX];
		size_t l = 1u + q->lname[0];
		if (l + z->apex_len > DNS_NAME_MAX) {
			put_soa(z, w, DNS_SEC_NS, z->apex);
			return DNS_R_NXDOMAIN;
		}
		memcpy(name, q->lname, l);
		memcpy(name + l, z->apex, z->apex_len);
		return answer_fwd(z, q, ctx, w, name, l + z->apex_len);
	}
	if (is_reverse(q))
		return answer_rev(z, q, ctx, w);
	return -ENOENT;
}
