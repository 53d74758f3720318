/* A health answer as the doctor reads it from whatever host an address
 * leads to: the HTTP response parser, then doctor_health_read. Whatever
 * comes back, the result is a set of NUL-terminated strings, "netbay" only
 * for a 200 that names itself, an HTTPS port only with a fingerprint, and
 * describable. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"
#include "httpc/httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t n)
{
	if (!memchr(s, 0, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpc_response resp;
	struct doctor_health h = {.addr = 1, .port = 80};
	char line[DOCTOR_LINE_MAX];
	int k = httpc_response_parse(data, size, true, false, 64 * 1024, &resp);
	doctor_health_read(k == 1 ? 0 : -EBADMSG, k == 1 ? &resp : NULL, &h);
	terminated(h.name, sizeof h.name);
	terminated(h.version, sizeof h.version);
	terminated(h.instance, sizeof h.instance);
	terminated(h.dhcp_mode, sizeof h.dhcp_mode);
	terminated(h.snippet, sizeof h.snippet);
	terminated(h.tls_fingerprint, sizeof h.tls_fingerprint);
	/* an HTTPS port is kept only with a fingerprint that parses */
	uint8_t fp[TLS_FP_LEN];
	if (h.tls_port && tls_fingerprint_parse(h.tls_fingerprint, fp) < 0)
		abort();
	if (h.addr != 1 || h.port != 80 || (h.netbay && (h.status != 200 || !h.name[0])) ||
	    (k != 1 && (h.err == 0 || h.netbay)))
		abort();
	doctor_health_describe(&h, line, sizeof line);
	terminated(line, sizeof line);
	if (k == 1)
		httpc_response_done(&resp);
	return 0;
}
