/* Answers from upstream servers, prepared once and replayed many times:
 * an LRU cache bounded in bytes, keyed by (name, type, class), that
 * honours TTLs (counted down in every answer it gives) and caches negative
 * answers for the time RFC 2308 5 allows.
 *
 * An upstream response is turned into a prepared answer (dns_answer_build):
 * its records re-encoded with our own compression, OPT/TSIG dropped, TTLs
 * capped, the positions of the TTL fields noted. Rendering one for a
 * client is a copy plus a few patches: its ID, flags and spelling of the
 * name, the TTLs minus the time since it was stored, and our OPT record.
 * Neither lookups nor rendering allocate. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_query;

#define DNS_ANSWER_TTLS_MAX 256 /* TTL fields a prepared answer may have */

struct dns_answer {
	const uint8_t *msg; /* header (ID 0, no OPT), question in lower case, records */
	size_t len;
	size_t qname_len;        /* the question's name, at offset 12 */
	const uint16_t *ttl_off; /* TTL fields in msg */
	size_t n_ttl;
	uint32_t ttl; /* how long it may be cached; 0: not at all */
	uint8_t rcode;
	int64_t stored_ms; /* when the TTLs in msg were current */
};

/* Prepares the answer in the upstream response msg (whose header and
 * question the caller has matched to its query) into buf (cap bytes) and
 * ttl_off (DNS_ANSWER_TTLS_MAX entries). max_ttl caps every TTL; negative
 * answers (NXDOMAIN, NODATA) live min(SOA TTL, SOA MINIMUM, neg_max_ttl)
 * and are not cached without an SOA. Returns 0 or -EBADMSG (malformed
 * records) / -ENOSPC. */
int dns_answer_build(const uint8_t *msg, size_t len, uint32_t max_ttl, uint32_t neg_max_ttl,
                     int64_t now_ms, uint8_t *buf, size_t cap, uint16_t *ttl_off,
                     struct dns_answer *ret);

/* Writes a as the answer to q into out: q's ID, RD and CD, its spelling of
 * the name, RA set, TTLs counted down to now_ms, our OPT record (payload
 * edns_payload, DO echoed) when q had one. When that does not fit in cap,
 * the answer is the question alone with TC set. Returns the length. */
int dns_answer_render(const struct dns_answer *a, const struct dns_query *q, int64_t now_ms,
                      uint16_t edns_payload, uint8_t *out, size_t cap);

struct dns_cache;

/* A cache holding at most max_bytes (0: a cache that keeps nothing). */
struct dns_cache *dns_cache_new(size_t max_bytes);
void dns_cache_free(struct dns_cache *c);
/* A new bound; evicts down to it at once. */
void dns_cache_set_limit(struct dns_cache *c, size_t max_bytes);

/* The live answer for (lname, qtype, qclass) or NULL; expired entries are
 * dropped on the way. The answer stays valid until the next put/evict. */
const struct dns_answer *dns_cache_get(struct dns_cache *c, const uint8_t *lname, size_t len,
                                       uint16_t qtype, uint16_t qclass, int64_t now_ms);
/* Stores a copy of a (a->ttl > 0) under (lname, qtype, qclass), replacing
 * an older one; evicts least recently used answers to stay in bounds.
 * Returns 0, or -ENOMEM / -E2BIG (larger than the whole cache). */
int dns_cache_put(struct dns_cache *c, const uint8_t *lname, size_t len, uint16_t qtype,
                  uint16_t qclass, const struct dns_answer *a);

struct dns_cache_stats {
	uint64_t entries, bytes, hits, misses, evictions;
};
void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *ret);
