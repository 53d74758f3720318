/* The fingerprint parser over arbitrary text (what a user types after
 * --fingerprint, what an mDNS TXT record will carry): what it accepts
 * formats back to text that parses to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], text[TLS_FP_STRLEN];
	uint8_t fp[TLS_FP_LEN], back[TLS_FP_LEN];
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (tls_fingerprint_parse(s, fp) < 0)
		return 0;
	tls_fingerprint_fmt(fp, text);
	if (tls_fingerprint_parse(text, back) < 0 || memcmp(fp, back, sizeof fp) != 0 ||
	    !tls_fingerprint_equal(fp, back))
		abort();
	return 0;
}
