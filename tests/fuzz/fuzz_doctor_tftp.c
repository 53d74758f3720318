/* The doctor's TFTP packet reader over arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doctor_tftp_pkt t;
	if (doctor_tftp_parse(data, size, &t) < 0)
		return 0;
	if (t.data_len > size || strlen(t.err_msg) >= sizeof t.err_msg ||
	    (t.blksize && (t.blksize < 8 || t.blksize > 65464)))
		abort();
	return 0;
}
