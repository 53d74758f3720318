/* One query in, one decision out: the DNS policy without sockets.
 *
 * A query is parsed, checked (opcode, EDNS version, access, class and
 * type) and answered from the local zone or the cache; what is neither is
 * handed back to be forwarded. Answers the server makes itself carry an
 * OPT record when the query had one (RFC 6891) and RD and CD copied; RA is
 * set only when recursion is available to the client (forwarding on and the
 * client allowed), never on REFUSED nor on NOTIMP to another opcode.
 * Nothing here allocates, formats or logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

struct dns_cache;
struct dns_zone;
struct hosts;

struct dns_engine_stats {
	uint64_t queries, local, cached, forwarded, refused, formerr, notimp, truncated;
};

struct dns_engine {
	struct dns_zone *zone;
	struct dns_cache *cache;   /* may be NULL */
	const struct hosts *hosts; /* may be NULL */
	const uint32_t *own_addrs; /* the server's interface addresses */
	size_t n_own_addrs;
	uint16_t edns_payload; /* our UDP payload size (RFC 6891 6.2.3) */
	bool forward;          /* names that are not ours may be forwarded */
	struct dns_engine_stats stats;
};

/* Who asked, and how. */
struct dns_client {
	uint32_t addr;        /* the client's address */
	uint32_t server_addr; /* the address it sent the query to */
	bool tcp;
	bool allowed; /* in the local subnets or allowed: may use this server at all */
};

#define DNS_FORWARD (-1000) /* dns_engine_query(): forward q */

/* Handles the query in pkt: returns the length of the answer written to
 * out (at most cap bytes: over UDP the client's payload size), 0 when the
 * packet is dropped, or DNS_FORWARD with q filled when the answer must
 * come from upstream. now_ms is the monotonic clock (cache), now_sec the
 * wall clock (lease expiry). */
int dns_engine_query(struct dns_engine *e, const uint8_t *pkt, size_t len,
                     const struct dns_client *cl, int64_t now_ms, int64_t now_sec,
                     struct dns_query *q, uint8_t *out, size_t cap);

/* The largest answer a client may get over UDP: its EDNS payload size
 * (512 without EDNS), never more than ours. */
size_t dns_engine_udp_limit(const struct dns_engine *e, const struct dns_query *q);

/* An empty answer with TC set for the query in pkt from cl (0 when it is
 * not a well-formed query): what a rate-limited client gets now and then,
 * so a real one retries over TCP. Returns the length. */
int dns_engine_truncated(const struct dns_engine *e, const uint8_t *pkt, size_t len,
                         const struct dns_client *cl, uint8_t *out, size_t cap);

/* An answer with no records and the given rcode (SERVFAIL when forwarding
 * failed; REFUSED), question and OPT included, RA when ra. Returns the
 * length. */
int dns_engine_error(const struct dns_engine *e, const struct dns_query *q, int rcode, bool ra,
                     uint8_t *out, size_t cap);
