/* The doctor's ARP reply reader over arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t spa;
	struct hwaddr mac;
	if (doctor_arp_reply_parse(data, size, &spa, &mac) == 0 && size < 28)
		abort();
	return 0;
}
