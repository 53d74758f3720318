/* A peer's certificate (DER, as the doctor receives it from whatever
 * answers on the HTTPS port) through what netbay reads of it: the info
 * (names, dates, key type, fingerprint) and the name check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_cert_info info;
	uint8_t fp[TLS_FP_LEN];
	if (tls_cert_info_der(data, size, &info) < 0)
		return 0;
	/* the fingerprint is of the bytes as received (what a client pins) */
	if (tls_fingerprint_der(data, size, fp) < 0 || memcmp(fp, info.fp, sizeof fp) != 0)
		abort();
	if (strlen(info.fingerprint) != TLS_FP_STRLEN - 1 || info.n_names > TLS_NAMES_MAX)
		abort();
	for (size_t i = 0; i < info.n_names; i++) {
		if (strlen(info.names[i]) >= TLS_NAME_MAX)
			abort();
		(void) tls_cert_der_names(data, size, info.names[i]);
	}
	(void) tls_cert_der_names(data, size, "10.0.0.1");
	return 0;
}
