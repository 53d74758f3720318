/* Range headers: the first 8 bytes are the file size, the rest the header.
 * A range that is accepted lies inside the file and is not empty. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t file = 0, off = 0, len = 0;
	if (size < 8)
		return 0;
	memcpy(&file, data, 8);
	char *h = malloc(size - 8 + 1);
	if (!h)
		return 0;
	memcpy(h, data + 8, size - 8);
	h[size - 8] = 0;
	int r = http_boot_range_parse(h, file, &off, &len);
	free(h);
	if (r == 1 && (len == 0 || off >= file || len > file - off))
		abort();
	if (r != 1 && r != 0 && r != -ERANGE)
		abort();
	return 0;
}
