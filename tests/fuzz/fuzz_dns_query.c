/* The whole query path on arbitrary bytes: parse, policy, local zone (with
 * records, a lease in the hosts table and reverse zones), cache; every
 * answer it writes must read back as a well-formed message. */
#include <stdint.h>
#include <stdlib.h>

#include "core/conf.h"
#include "dns/cache.h"
#include "dns/query.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "registry/hosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_engine *engine(void)
{
	static struct dns_engine e;
	static uint32_t own[1] = {0x0a000001};
	if (e.zone)
		return &e;
	struct conf_diag d = {0};
	struct conf *c = NULL;
	if (conf_load_string("[dhcp]\nmode = off\n[dns]\n"
	                     "record = _vlmcs._tcp SRV 0 0 1688 kms.lan\n"
	                     "record = kms A 10.0.0.5\nrecord = www CNAME kms\n"
	                     "record = ext CNAME a.example.\nrecord = @ MX 5 kms\n"
	                     "record = t TXT \"x\" \"y\"\nrecord = 10.0.0.9 PTR p\n",
	                     "fuzz.conf", &d, &c) < 0)
		abort();
	struct hosts *h = hosts_new();
	struct hwaddr m = {{2, 0, 0, 0, 0, 1}};
	hosts_set(h, &m, 0x0a000020, "pc", HOSTS_LEASE, 0);
	e = (struct dns_engine){.cache = dns_cache_new(1 << 16),
	                        .hosts = h,
	                        .own_addrs = own,
	                        .n_own_addrs = 1,
	                        .edns_payload = 1232,
	                        .forward = true};
	if (dns_zone_new(c, &e.zone) < 0)
		abort();
	conf_free(c);
	conf_diag_done(&d);
	return &e; /* lives for the process */
}

/* The answer to query: well-formed, a response with the query's ID and opcode, and no RA
 * on REFUSED or NOTIMP (recursion is not offered there). */
static void check_answer(const uint8_t *query, const uint8_t *out, size_t n)
{
	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t id, flags, qt, qc;
	struct wire w = wire_init(out, n), in = wire_init(query, DNS_HDR_LEN);
	uint16_t qid = wire_u16(&in), qflags = wire_u16(&in);
	id = wire_u16(&w);
	flags = wire_u16(&w);
	int rcode = flags & DNS_F_RCODE;
	if (w.err || id != qid || (flags & DNS_F_OPCODE) != (qflags & DNS_F_OPCODE) ||
	    ((rcode == DNS_R_REFUSED || rcode == DNS_R_NOTIMP) && (flags & DNS_F_RA)))
		abort();
	if (wire_u16(&w) == 0)
		return; /* FORMERR or NOTIMP without a question */
	if (dns_msg_begin(&it, out, n, &id, &flags, &qn, &qt, &qc) < 0)
		abort();
	int r;
	while ((r = dns_msg_next(&it, &rr)) == 1)
		;
	if (r < 0 || !(flags & DNS_F_QR))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_engine *e = engine();
	struct dns_query q;
	uint8_t out[4096];
	struct dns_client cl = {
	        .addr = 0x0a000064, .server_addr = 0x0a000001, .allowed = true, .tcp = size & 1};
	int n = dns_engine_query(e, data, size, &cl, 1000, 1000, &q, out, sizeof out);
	if (n > 0) {
		if ((size_t) n > (cl.tcp ? sizeof out : dns_engine_udp_limit(e, &q)))
			abort();
		check_answer(data, out, (size_t) n);
	} else if (n != 0 && n != DNS_FORWARD) {
		abort();
	}
	return 0;
}
