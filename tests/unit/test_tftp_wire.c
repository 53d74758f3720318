/* The TFTP codec against packets written by hand from RFC 1350, 2347-2349
 * and 7440, most of them hostile. */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "core/wire.h"
#include "tftp/wire.h"

/* A packet from a string literal with its embedded NULs (not the final one). */
#define PARSE(lit, m) tftp_msg_parse(lit, sizeof(lit) - 1, m)

static const struct tftp_limits lim = {65464, 64, 1024 * 1024};

static void test_rrq_with_options(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(PARSE("\0\1"
	                       "pxelinux.0\0"
	                       "OcTeT\0"
	                       "BLKSIZE\0"
	                       "1468\0"
	                       "tsize\0"
	                       "0\0"
	                       "Timeout\0"
	                       "3\0"
	                       "windowsize\0"
	                       "16\0",
	                       &m),
	                 0);
	assert_int_equal(m.op, TFTP_RRQ);
	assert_string_equal(m.name, "pxelinux.0");
	assert_int_equal(m.mode, TFTP_MODE_OCTET);
	assert_int_equal(m.opts.present, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_TIMEOUT |
	                                         TFTP_OPT_WINDOWSIZE);
	assert_int_equal(m.opts.blksize, 1468);
	assert_int_equal(m.opts.tsize, 0);
	assert_int_equal(m.opts.timeout_sec, 3);
	assert_int_equal(m.opts.windowsize, 16);
	assert_int_equal(m.n_ignored, 0);

	assert_int_equal(PARSE("\0\2up.bin\0netascii\0", &m), 0);
	assert_int_equal(m.op, TFTP_WRQ);
	assert_int_equal(m.mode, TFTP_MODE_NETASCII);
	assert_int_equal(m.opts.present, 0);

	assert_int_equal(PARSE("\0\1x\0MAIL\0", &m), 0);
	assert_int_equal(m.mode, TFTP_MODE_MAIL);
	assert_int_equal(PARSE("\0\1x\0binary\0", &m), 0);
	assert_int_equal(m.mode, TFTP_MODE_OTHER);
	/* a mode longer than any known one is not cut down to a known prefix */
	assert_int_equal(PARSE("\0\1x\0octetoctetoctetoctet\0", &m), 0);
	assert_int_equal(m.mode, TFTP_MODE_OTHER);
}

static void test_short_and_unterminated(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(tftp_msg_parse("", 0, &m), -EBADMSG);
	assert_int_equal(tftp_msg_parse("\0", 1, &m), -EBADMSG); /* 1-byte packets */
	assert_int_equal(tftp_msg_parse("\1", 1, &m), -EBADMSG);
	assert_int_equal(PARSE("\0\1", &m), -EBADMSG);            /* RRQ with nothing */
	assert_int_equal(PARSE("\0\1file", &m), -EBADMSG);        /* name without NUL */
	assert_int_equal(PARSE("\0\1file\0", &m), -EBADMSG);      /* no mode */
	assert_int_equal(PARSE("\0\1file\0octet", &m), -EBADMSG); /* mode without NUL */
	assert_int_equal(PARSE("\0\3", &m), -EBADMSG);            /* DATA without block */
	assert_int_equal(PARSE("\0\4\0", &m), -EBADMSG);          /* ACK with half a block */
	assert_int_equal(PARSE("\0\5\0", &m), -EBADMSG);          /* ERROR with half a code */
}

static void test_options_without_nul(void **state)
{
	(void) state;
	struct tftp_msg m;
	/* the value lacks its NUL: the pair is cut short and ignored */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "1468",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, 0);
	assert_int_equal(m.n_ignored, 1);
	/* a name without its NUL, after a good pair: the good one stays */
	assert_int_equal(PARSE("\0\1f\0octet\0tsize\0"
	                       "0\0windowsi",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, TFTP_OPT_TSIZE);
	assert_int_equal(m.n_ignored, 1);
	/* a name with no value at all */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0", &m), 0);
	assert_int_equal(m.opts.present, 0);
	assert_int_equal(m.n_ignored, 1);
	/* NUL padding after the options is not an option */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "512\0\0\0\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, TFTP_OPT_BLKSIZE);
	assert_int_equal(m.n_ignored, 0);
}

static void test_bad_values_ignored(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "12a\0tsize\0\0timeout\0-1\0windowsize\0+5\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, 0);
	assert_int_equal(m.n_ignored, 4);
	/* a value too long to be a number we take, and an option name too long to be known */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "0000000000000000000000000000000001468\0"
	                       "blksizeblksizeblksizeblksizeblksize\0"
	                       "8\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, 0);
	assert_int_equal(m.n_ignored, 2);
	/* huge numbers saturate rather than wrap */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "99999999999999999999999\0tsize\0"
	                       "99999999999999999999999\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.blksize, UINT32_MAX);
	assert_int_equal(m.opts.tsize, UINT64_MAX);
	/* unknown options are ignored */
	assert_int_equal(PARSE("\0\1f\0octet\0multicast\0\0rollover\0"
	                       "0\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, 0);
	assert_int_equal(m.n_ignored, 2);
}

static void test_duplicate_options(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0"
	                       "1024\0BlkSize\0"
	                       "8192\0windowsize\0"
	                       "4\0windowsize\0"
	                       "0\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.blksize, 1024); /* the first one counts */
	assert_int_equal(m.opts.windowsize, 4);
	assert_int_equal(m.n_ignored, 2);
	/* a bad first value does not block a good repeat */
	assert_int_equal(PARSE("\0\1f\0octet\0blksize\0x\0blksize\0"
	                       "800\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.blksize, 800);
	assert_int_equal(m.n_ignored, 1);
}

static void test_names(void **state)
{
	(void) state;
	struct tftp_msg m;
	uint8_t pkt[600];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	char name[TFTP_NAME_MAX + 2];
	memset(name, 'a', sizeof name - 1);
	name[TFTP_NAME_MAX] = 0; /* exactly the limit */
	wbuf_u16(&b, TFTP_RRQ);
	wbuf_bytes(&b, name, strlen(name) + 1);
	wbuf_bytes(&b, "octet", 6);
	assert_int_equal(tftp_msg_parse(pkt, wbuf_len(&b), &m), 0);
	assert_int_equal(strlen(m.name), TFTP_NAME_MAX);

	name[TFTP_NAME_MAX] = 'a';
	name[TFTP_NAME_MAX + 1] = 0; /* one more */
	b = wbuf_init(pkt, sizeof pkt);
	wbuf_u16(&b, TFTP_RRQ);
	wbuf_bytes(&b, name, strlen(name) + 1);
	wbuf_bytes(&b, "octet", 6);
	assert_int_equal(tftp_msg_parse(pkt, wbuf_len(&b), &m), -ENAMETOOLONG);

	/* empty names and Windows paths are syntax the jail judges, not the codec */
	assert_int_equal(PARSE("\0\1\0octet\0", &m), 0);
	assert_string_equal(m.name, "");
	assert_int_equal(PARSE("\0\1"
	                       "boot\\x64\\wdsnbp.com\0octet\0",
	                       &m),
	                 0);
	assert_string_equal(m.name, "boot\\x64\\wdsnbp.com");
}

static void test_unknown_opcodes(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(PARSE("\0\0x\0octet\0", &m), -EOPNOTSUPP);
	assert_int_equal(m.op, 0);
	assert_int_equal(PARSE("\0\7x\0octet\0", &m), -EOPNOTSUPP);
	assert_int_equal(m.op, 7);
	assert_int_equal(PARSE("\1\1", &m), -EOPNOTSUPP);
	assert_int_equal(m.op, 0x101);
	assert_int_equal(PARSE("\xff\xff", &m), -EOPNOTSUPP);
	assert_int_equal(m.op, 0xffff);
}

static void test_data_ack_error_oack(void **state)
{
	(void) state;
	struct tftp_msg m;
	assert_int_equal(PARSE("\0\3\xff\xfe"
	                       "abc",
	                       &m),
	                 0);
	assert_int_equal(m.block, 0xfffe);
	assert_int_equal(m.data_len, 3);
	assert_memory_equal(m.data, "abc", 3);
	assert_int_equal(PARSE("\0\3\0\1", &m), 0); /* an empty final block */
	assert_int_equal(m.data_len, 0);

	assert_int_equal(PARSE("\0\4\1\2junk", &m), 0);
	assert_int_equal(m.block, 0x102);

	assert_int_equal(PARSE("\0\5\0\10"
	                       "bad option\0",
	                       &m),
	                 0);
	assert_int_equal(m.err_code, TFTP_EOPTNEG);
	assert_string_equal(m.err_msg, "bad option");
	assert_int_equal(PARSE("\0\5\0\1no nul", &m), 0); /* tolerated, taken as is */
	assert_string_equal(m.err_msg, "no nul");
	assert_int_equal(PARSE("\0\5\0\2", &m), 0);
	assert_string_equal(m.err_msg, "");

	assert_int_equal(PARSE("\0\6blksize\0"
	                       "1468\0windowsize\0"
	                       "16\0",
	                       &m),
	                 0);
	assert_int_equal(m.opts.present, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE);
	assert_int_equal(m.opts.windowsize, 16);
}

static void test_writers(void **state)
{
	(void) state;
	uint8_t pkt[128];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	struct tftp_opts o = {.present = TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_WINDOWSIZE,
	                      .blksize = 1468,
	                      .tsize = 67108864,
	                      .windowsize = 16};
	static const char oack[] = "\0\6blksize\0"
	                           "1468\0tsize\0"
	                           "67108864\0windowsize\0"
	                           "16";
	assert_int_equal(tftp_write_oack(&b, &o), 0);
	assert_int_equal(wbuf_len(&b), sizeof oack);
	assert_memory_equal(pkt, oack, sizeof oack);

	b = wbuf_init(pkt, sizeof pkt);
	static const char err[] = "\0\5\0\1"
	                          "File not found";
	assert_int_equal(tftp_write_error(&b, TFTP_ENOTFOUND, "File not found"), 0);
	assert_int_equal(wbuf_len(&b), sizeof err);
	assert_memory_equal(pkt, err, sizeof err);

	b = wbuf_init(pkt, sizeof pkt);
	assert_int_equal(tftp_write_data_hdr(&b, 0xabcd), 0);
	assert_int_equal(tftp_write_ack(&b, 7), 0);
	assert_memory_equal(pkt, "\0\3\xab\xcd\0\4\0\7", 8);

	/* a full buffer is an error, never a truncated packet sent */
	b = wbuf_init(pkt, 10);
	assert_int_equal(tftp_write_oack(&b, &o), -ENOSPC);

	/* a request written and parsed back */
	struct tftp_msg m = {.op = TFTP_RRQ, .mode = TFTP_MODE_NETASCII, .opts = o}, back;
	strcpy(m.name, "a/b");
	b = wbuf_init(pkt, sizeof pkt);
	assert_int_equal(tftp_msg_write(&b, &m), 0);
	assert_int_equal(tftp_msg_parse(pkt, wbuf_len(&b), &back), 0);
	assert_string_equal(back.name, "a/b");
	assert_int_equal(back.mode, TFTP_MODE_NETASCII);
	assert_memory_equal(&back.opts, &o, sizeof o);
	m.op = 9;
	assert_int_equal(tftp_msg_write(&b, &m), -EINVAL);
}

static struct tftp_opts asked(const char *lit, size_t len)
{
	struct tftp_msg m;
	assert_int_equal(tftp_msg_parse(lit, len, &m), 0);
	return m.opts;
}
#define ASKED(lit) asked(lit, sizeof(lit) - 1)

static void test_grant(void **state)
{
	(void) state;
	struct tftp_opts a, g;

	/* blksize 0 and 7 are refused, 70000 is lowered to the largest we give */
	a = ASKED("\0\1f\0octet\0blksize\0"
	          "0\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.present, 0);
	a = ASKED("\0\1f\0octet\0blksize\0"
	          "7\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.present, 0);
	a = ASKED("\0\1f\0octet\0blksize\0"
	          "70000\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.present, TFTP_OPT_BLKSIZE);
	assert_int_equal(g.blksize, 65464);
	struct tftp_limits small = {1468, 64, 1024 * 1024};
	tftp_opts_grant(&a, &small, true, 100, &g);
	assert_int_equal(g.blksize, 1468);
	a = ASKED("\0\1f\0octet\0blksize\0"
	          "8\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.blksize, 8);

	/* windowsize 0 refused; large ones lowered by count and by bytes */
	a = ASKED("\0\1f\0octet\0windowsize\0"
	          "0\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.present, 0);
	a = ASKED("\0\1f\0octet\0windowsize\0"
	          "100000\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.windowsize, 64);
	a = ASKED("\0\1f\0octet\0blksize\0"
	          "65464\0windowsize\0"
	          "64\0");
	tftp_opts_grant(&a, &lim, true, 100, &g);
	assert_int_equal(g.windowsize, 16); /* 16 x 65464 fits in 1 MiB */

	/* tsize lies: the client's number is replaced by the file's size */
	a = ASKED("\0\1f\0octet\0tsize\0"
	          "999999\0");
	tftp_opts_grant(&a, &lim, true, 12345, &g);
	assert_int_equal(g.present, TFTP_OPT_TSIZE);
	assert_int_equal(g.tsize, 12345);
	tftp_opts_grant(&a, &lim, false, 12345, &g); /* size unknown (netascii) */
	assert_int_equal(g.present, 0);

	/* timeout: granted as asked within 1-255, else refused (RFC 2349) */
	a = ASKED("\0\1f\0octet\0timeout\0"
	          "0\0");
	tftp_opts_grant(&a, &lim, true, 1, &g);
	assert_int_equal(g.present, 0);
	a = ASKED("\0\1f\0octet\0timeout\0"
	          "256\0");
	tftp_opts_grant(&a, &lim, true, 1, &g);
	assert_int_equal(g.present, 0);
	a = ASKED("\0\1f\0octet\0timeout\0"
	          "255\0");
	tftp_opts_grant(&a, &lim, true, 1, &g);
	assert_int_equal(g.timeout_sec, 255);
}

static void test_netascii(void **state)
{
	(void) state;
	uint8_t out[16];
	int carry = -1;
	size_t used;
	const uint8_t in[] = "a\nb\rc";
	size_t n = tftp_netascii_encode(in, 5, out, sizeof out, &carry, &used);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "a\r\nb\r\0c", 7);
	assert_int_equal(used, 5);
	assert_int_equal(carry, -1);

	/* a pair split across two blocks: CR ends one, LF starts the next */
	n = tftp_netascii_encode((const uint8_t *) "ab\n", 3, out, 3, &carry, &used);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ab\r", 3);
	assert_int_equal(used, 3);
	assert_int_equal(carry, '\n');
	n = tftp_netascii_encode((const uint8_t *) "z", 1, out, 3, &carry, &used);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\nz", 2);
	assert_int_equal(carry, -1);
	/* CR NUL split, with nothing more to read */
	n = tftp_netascii_encode((const uint8_t *) "\r", 1, out, 1, &carry, &used);
	assert_int_equal(n, 1);
	assert_int_equal(carry, 0);
	n = tftp_netascii_encode(NULL, 0, out, 4, &carry, &used);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(used, 0);
	/* stops when the block is full, input left over */
	n = tftp_netascii_encode((const uint8_t *) "abcdef", 6, out, 4, &carry, &used);
	assert_int_equal(n, 4);
	assert_int_equal(used, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rrq_with_options),
	        cmocka_unit_test(test_short_and_unterminated),
	        cmocka_unit_test(test_options_without_nul),
	        cmocka_unit_test(test_bad_values_ignored),
	        cmocka_unit_test(test_duplicate_options),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_unknown_opcodes),
	        cmocka_unit_test(test_data_ack_error_oack),
	        cmocka_unit_test(test_writers),
	        cmocka_unit_test(test_grant),
	        cmocka_unit_test(test_netascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
