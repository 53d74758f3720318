/* Upstream responses on arbitrary bytes: prepare the answer (records
 * re-encoded, TTLs noted), cache it, replay it to a client; the replayed
 * answer must read back with the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/query.h"
#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_records(const uint8_t *msg, size_t len)
{
	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t id, flags, qt, qc;
	size_t n = 0;
	int r;
	if (dns_msg_begin(&it, msg, len, &id, &flags, &qn, &qt, &qc) < 0)
		abort();
	while ((r = dns_msg_next(&it, &rr)) == 1)
		n += rr.type != DNS_T_OPT;
	if (r < 0)
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_cache *cache;
	static uint8_t buf[DNS_MSG_MAX], out[DNS_MSG_MAX];
	static uint16_t ttl[DNS_ANSWER_TTLS_MAX];
	struct dns_answer a;
	if (!cache)
		cache = dns_cache_new(1 << 16);
	if (dns_answer_build(data, size, 86400, 3600, 5000, buf, sizeof buf, ttl, &a) < 0)
		return 0;
	size_t records = count_records(a.msg, a.len);

	/* a client asking that question, in upper case, with EDNS */
	struct dns_msg_iter it;
	struct dns_query q = {.id = 1, .flags = DNS_F_RD, .edns = true, .edns_udp = 4096};
	uint16_t id, flags;
	if (dns_msg_begin(&it, a.msg, a.len, &id, &flags, &q.qname, &q.qtype, &q.qclass) < 0)
		abort();
	dns_name_lower(&q.qname, q.lname);
	for (size_t i = 0; i < q.qname.len; i++)
		if (q.qname.b[i] >= 'a' && q.qname.b[i] <= 'z')
			q.qname.b[i] ^= 0x20;
	(void) dns_cache_put(cache, q.lname, q.qname.len, q.qtype, q.qclass, &a);
	const struct dns_answer *c =
	        dns_cache_get(cache, q.lname, q.qname.len, q.qtype, q.qclass, 9000);
	int n = dns_answer_render(&a, &q, 9000, 1232, out, sizeof out);
	if (n < 0 || count_records(out, (size_t) n) != records)
		abort();
	/* what the cache holds under that key (maybe an earlier input's) replays as well */
	if (c && ((n = dns_answer_render(c, &q, 9000, 1232, out, sizeof out)) < 0))
		abort();
	if (c)
		(void) count_records(out, (size_t) n);
	return 0;
}
