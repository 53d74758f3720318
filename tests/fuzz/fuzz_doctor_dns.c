/* The doctor's reading of a DNS answer over arbitrary bytes, for each type
 * it asks: what is left of it once the DNS codec has read the message
 * (fuzz_dns_response covers that) is matching the ID, picking the answer
 * section's records and reading A, SRV and PTR rdata. It never reads
 * outside the packet, keeps at most DOCTOR_DNS_MAX_RR records, and every
 * name it returns is printable text that fits its field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {DNS_T_A, DNS_T_PTR, DNS_T_SRV};
	struct doctor_dns_answer a;
	uint16_t id = size >= 2 ? (uint16_t) (data[0] << 8 | data[1]) : 0;
	for (size_t t = 0; t < NB_ARRAY_SIZE(types); t++) {
		if (doctor_dns_answer_parse(data, size, id, types[t], &a) < 0)
			continue;
		if (a.n > DOCTOR_DNS_MAX_RR || a.rcode < 0 || a.rcode > 15)
			abort();
		for (size_t i = 0; i < a.n; i++) {
			const char *s = a.rr[i].name;
			size_t len = strnlen(s, sizeof a.rr[i].name);
			if (len == sizeof a.rr[i].name)
				abort();
			for (size_t k = 0; k < len; k++)
				if (s[k] <= ' ' || s[k] > '~')
					abort();
		}
	}
	return 0;
}
