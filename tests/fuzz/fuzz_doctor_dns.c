/* The doctor's DNS answer reader over arbitrary bytes, for each type it
 * asks: never reads outside the packet, never loops, and every name it
 * returns is a printable string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {DOCTOR_DNS_A, DOCTOR_DNS_PTR, DOCTOR_DNS_SRV};
	struct doctor_dns_answer a;
	uint16_t id = size >= 2 ? (uint16_t) (data[0] << 8 | data[1]) : 0;
	for (size_t t = 0; t < 3; t++) {
		if (doctor_dns_answer_parse(data, size, id, types[t], &a) < 0)
			continue;
		if (a.n > DOCTOR_DNS_MAX_RR)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (strlen(a.rr[i].name) > DOCTOR_NAME_MAX)
				abort();
	}
	return 0;
}
