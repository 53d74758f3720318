/* libFuzzer target for the TFTP codec: every input is parsed; what parses
 * is written back and parsed again and must come out the same, and what a
 * request asks is granted within the limits whatever it says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/wire.h"
#include "tftp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const struct tftp_msg *m)
{
	static uint8_t buf[70000];
	struct wbuf b = wbuf_init(buf, sizeof buf);
	struct tftp_msg back;
	if (tftp_msg_write(&b, m) < 0)
		abort();
	if (tftp_msg_parse(buf, wbuf_len(&b), &back) != 0)
		abort();
	if (back.op != m->op || back.block != m->block || back.err_code != m->err_code ||
	    strcmp(back.name, m->name) != 0 || strcmp(back.err_msg, m->err_msg) != 0 ||
	    back.data_len != m->data_len ||
	    (m->data_len && memcmp(back.data, m->data, m->data_len) != 0) ||
	    memcmp(&back.opts, &m->opts, sizeof m->opts) != 0)
		abort();
	if ((m->op == TFTP_RRQ || m->op == TFTP_WRQ) && back.mode != m->mode)
		abort();
}

static void check_grant(const struct tftp_opts *asked)
{
	static const struct tftp_limits lims[] = {
	        {TFTP_BLKSIZE_MAX, 64, 1 << 20},
	        {1468, 1, 1 << 20},
	        {8, 1024, 1 << 16},
	};
	for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
		struct tftp_opts g;
		tftp_opts_grant(asked, &lims[i], true, 1234, &g);
		if ((g.present & ~asked->present) != 0)
			abort(); /* never an option the client did not ask for */
		if ((g.present & TFTP_OPT_BLKSIZE) &&
		    (g.blksize < TFTP_BLKSIZE_MIN || g.blksize > lims[i].max_blksize ||
		     g.blksize > asked->blksize))
			abort();
		uint32_t bs = g.present & TFTP_OPT_BLKSIZE ? g.blksize : TFTP_BLKSIZE_DEFAULT;
		if ((g.present & TFTP_OPT_WINDOWSIZE) &&
		    (g.windowsize < 1 || g.windowsize > lims[i].max_windowsize ||
		     g.windowsize > asked->windowsize ||
		     (g.windowsize > 1 && (uint64_t) g.windowsize * bs > lims[i].max_window_bytes)))
			abort();
		if ((g.present & TFTP_OPT_TIMEOUT) && (g.timeout_sec < 1 || g.timeout_sec > 255))
			abort();
		if ((g.present & TFTP_OPT_TSIZE) && g.tsize != 1234)
			abort();
	}
}

static void check_netascii(const uint8_t *data, size_t size)
{
	uint8_t out[64];
	size_t used = 0, off = 0;
	int carry = -1;
	while (off < size || carry >= 0) {
		size_t n = tftp_netascii_encode(data + off, size - off, out, 1 + size % sizeof out,
		                                &carry, &used);
		if (n == 0 || n > sizeof out || used > size - off)
			abort();
		off += used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_msg m;
	if (tftp_msg_parse(data, size, &m) == 0) {
		check_roundtrip(&m);
		if (m.op == TFTP_RRQ)
			check_grant(&m.opts);
	}
	check_netascii(data, size);
	return 0;
}
