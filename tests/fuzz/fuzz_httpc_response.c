/* HTTP responses as the CLI reads them from the server and the doctor from
 * whatever answers. The parser may accept or refuse anything, but what it
 * accepts is a proper body within the cap, and more bytes or the peer
 * closing never undo a complete answer: the client reads in pieces, so
 * parsing is checked at every split the input offers in its first byte. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpc/httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 4096

static int check(const uint8_t *data, size_t size, bool eof, bool head, struct httpc_response *r)
{
	int k = httpc_response_parse(data, size, eof, head, CAP, r);
	if (k != 1 && k != 0 && k != -EBADMSG && k != -E2BIG && k != -EFBIG && k != -ENOMEM)
		abort();
	if (k == 0 && eof)
		abort(); /* the peer closed: complete or wrong, never "more" */
	if (k == 1 && (r->body_len > CAP || r->body[r->body_len] != 0 || r->status < 100 ||
	               r->status > 599 || (head && r->body_len)))
		abort();
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpc_response whole, part, closed;
	if (size < 1)
		return 0;
	bool head = data[0] & 1;
	size_t split = size > 1 ? (size_t) data[0] * (size - 1) / 255 : 0;
	data++;
	size--;
	int k = check(data, size, false, head, &whole);
	int c = check(data, size, true, head, &closed);
	if (k == 1 && (c != 1 || closed.body_len != whole.body_len ||
	               memcmp(closed.body, whole.body, whole.body_len) != 0))
		abort(); /* the same answer whether or not the peer has closed since */
	int p = check(data, split < size ? split : size, false, head, &part);
	if (p == 1) {
		/* complete on a prefix: the longer input is the same answer */
		if (k != 1 || part.status != whole.status || part.body_len != whole.body_len ||
		    memcmp(part.body, whole.body, part.body_len) != 0)
			abort();
		httpc_response_done(&part);
	}
	if (k == 1)
		httpc_response_done(&whole);
	if (c == 1)
		httpc_response_done(&closed);
	return 0;
}
