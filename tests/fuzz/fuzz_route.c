/* rtnetlink route answers: the parser never reads outside the buffer and
 * what it accepts is a route of the kind it claims. */
#include <stdint.h>
#include <stdlib.h>

#include "core/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route r;
	uint32_t seq = size >= 12 ? (uint32_t) data[8] | (uint32_t) data[9] << 8 |
	                                    (uint32_t) data[10] << 16 | (uint32_t) data[11] << 24
	                          : 0;
	int e = route_parse(data, size, seq, &r);
	if (e > 0 || (e == 0 && size < 28))
		abort(); /* a success needs a header and a rtmsg at least */
	return 0;
}
