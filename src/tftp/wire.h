/* The TFTP packet codec (RFC 1350; options RFC 2347, blksize RFC 2348,
 * timeout and tsize RFC 2349, windowsize RFC 7440): parses every packet kind
 * through the wire cursor and writes the ones a server sends. It knows bytes,
 * not policy: which options a server grants is tftp_opts_grant()'s answer to
 * limits the caller passes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf;

enum tftp_op {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6, /* RFC 2347 */
};

/* RFC 1350 §5 error codes, 8 from RFC 2347. */
enum tftp_err {
	TFTP_EUNDEF = 0,
	TFTP_ENOTFOUND = 1,
	TFTP_EACCESS = 2,
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4,
	TFTP_EBADID = 5,
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

enum tftp_mode { TFTP_MODE_OCTET, TFTP_MODE_NETASCII, TFTP_MODE_MAIL, TFTP_MODE_OTHER };

#define TFTP_NAME_MAX        255 /* longest file name accepted in a request */
#define TFTP_ERRMSG_MAX      127 /* longest error text kept from a peer */
#define TFTP_HDR_LEN         4   /* opcode + block number */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN     8     /* RFC 2348 */
#define TFTP_BLKSIZE_MAX     65464 /* RFC 2348 */
#define TFTP_TIMEOUT_MIN     1     /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX     255
#define TFTP_WINDOW_MAX      65535 /* RFC 7440 */

enum tftp_opt_bit {
	TFTP_OPT_BLKSIZE = 1 << 0,
	TFTP_OPT_TSIZE = 1 << 1,
	TFTP_OPT_TIMEOUT = 1 << 2,
	TFTP_OPT_WINDOWSIZE = 1 << 3,
};

/* Options as they appear in a request or an OACK: present has a bit for
 * each option given once with a decimal value (the value as sent; ranges are
 * tftp_opts_grant()'s business). */
struct tftp_opts {
	unsigned present; /* enum tftp_opt_bit */
	uint32_t blksize, timeout_sec, windowsize;
	uint64_t tsize;
};

/* One parsed packet. Strings are copied (NUL-terminated); data points into
 * the parsed buffer and dies with it. */
struct tftp_msg {
	uint16_t op; /* enum tftp_op, or the unknown opcode received */
	/* RRQ, WRQ */
	char name[TFTP_NAME_MAX + 1];
	enum tftp_mode mode;
	/* RRQ, WRQ, OACK */
	struct tftp_opts opts;
	unsigned n_ignored; /* options unknown, repeated, valueless or not a number */
	/* DATA, ACK */
	uint16_t block;
	const uint8_t *data; /* DATA */
	size_t data_len;
	/* ERROR */
	uint16_t err_code;
	char err_msg[TFTP_ERRMSG_MAX + 1];
};

/* Parses one datagram into *ret (always written; meaningful on success).
 * Returns 0, or:
 *   -EBADMSG       too short, or a request whose name or mode lacks its NUL
 *   -EOPNOTSUPP    unknown opcode (ret->op holds it)
 *   -ENAMETOOLONG  a request name longer than TFTP_NAME_MAX
 * Request and OACK options are read pairwise after the mode: names are
 * case-insensitive, the first of a repeated option counts, an empty name
 * (NUL padding) is skipped, an unknown or non-numeric one is ignored, and a
 * trailing pair cut short (no NUL, no value) is ignored; each of those counts
 * in n_ignored. An ERROR text without its NUL is taken to the end. */
int tftp_msg_parse(const void *buf, size_t len, struct tftp_msg *ret);

/* Writes m as a packet of its op into b (DATA: header and data; requests use
 * name, mode and opts; OACK opts). Returns 0 or the wbuf error (-ENOSPC);
 * -EINVAL for an op that cannot be written. */
int tftp_msg_write(struct wbuf *b, const struct tftp_msg *m);

/* The packets a server sends. */
int tftp_write_oack(struct wbuf *b, const struct tftp_opts *o);
int tftp_write_error(struct wbuf *b, enum tftp_err code, const char *msg);
/* Only the 4-byte DATA header: the caller puts the block after it. */
int tftp_write_data_hdr(struct wbuf *b, uint16_t block);
int tftp_write_ack(struct wbuf *b, uint16_t block);

/* What a server may grant. */
struct tftp_limits {
	uint32_t max_blksize;      /* TFTP_BLKSIZE_MIN..TFTP_BLKSIZE_MAX */
	uint32_t max_windowsize;   /* >= 1 */
	uint32_t max_window_bytes; /* windowsize * blksize is kept under this (at least 1 block) */
};

/* The options a server answers in its OACK for the options asked in a read
 * request, into *ret:
 *   blksize     below 8 ignored; above the limit lowered to it (RFC 2348)
 *   timeout     granted as asked when 1-255 s, else ignored (RFC 2349)
 *   tsize       answered with file_size when tsize_known (whatever the
 *               client claimed), else left out (RFC 2349)
 *   windowsize  0 ignored; above the limits lowered to them (RFC 7440)
 * An empty ret->present means no OACK: plain RFC 1350 transfer. */
void tftp_opts_grant(const struct tftp_opts *asked, const struct tftp_limits *lim, bool tsize_known,
                     uint64_t file_size, struct tftp_opts *ret);

/* "octet", "netascii", "mail", "other". */
const char *tftp_mode_name(enum tftp_mode m);

/* netascii (RFC 1350 via RFC 764): LF is sent as CR LF and CR as CR NUL.
 * Encodes in into out until out is full or in is used up; *carry is the
 * second byte of a pair split across two blocks (-1: none), emitted first
 * and set again when out fills between the two bytes of a pair. Returns the
 * bytes written and sets *ret_used to the input bytes consumed. */
size_t tftp_netascii_encode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                            int *carry, size_t *ret_used);
