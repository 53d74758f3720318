/* The local authoritative data: the zone [dns] domain (SOA and NS at its
 * apex, the server's own name, the LAN's names from the hosts table,
 * static records from the config), single-label names (answered as
 * NAME.<domain>) and the reverse zones of the local subnets and private
 * ranges (PTR from records, the server's addresses, hosts, and A records).
 *
 * Built once per config; lookups read the hosts table live, so a new lease
 * or a rename is visible to the next query. Lookups do not allocate. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct conf;
struct dns_query;
struct dns_writer;
struct dns_zone;
struct hosts;

/* What a lookup needs from the world around it. */
struct dns_zone_ctx {
	const struct hosts *hosts; /* may be NULL */
	int64_t now_sec;           /* wall clock: lease expiry */
	uint32_t server_addr;      /* the address the query was sent to; 0: unknown */
	const uint32_t *own_addrs; /* the server's interface addresses (PTR, NAME fallback) */
	size_t n_own_addrs;
};

/* Builds the zone of c (c must have passed conf_load). Returns 0 and
 * *ret, or -ENOMEM / -EINVAL (a name that does not fit the wire). */
int dns_zone_new(const struct conf *c, struct dns_zone **ret);
void dns_zone_free(struct dns_zone *z);

/* Answers q when its name is ours: the local domain or below, a single
 * label, or a name in a local reverse zone (class IN or ANY). Appends the
 * answer, authority and additional records to w (which holds header and
 * question) and returns the rcode; every such answer is authoritative.
 * Returns -ENOENT, having written nothing, when the name is not ours. */
int dns_zone_answer(struct dns_zone *z, const struct dns_query *q, const struct dns_zone_ctx *ctx,
                    struct dns_writer *w);

/* The current SOA serial (changes when the hosts table or config does). */
uint32_t dns_zone_serial(const struct dns_zone *z);
