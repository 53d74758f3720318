#include "tftp/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "core/wire.h"

#define OPT_NAME_MAX 32 /* longer option names are unknown ones */
#define OPT_VAL_MAX  32 /* longer values are not numbers we take */

static const char *const mode_names[] = {
        [TFTP_MODE_OCTET] = "octet",
        [TFTP_MODE_NETASCII] = "netascii",
        [TFTP_MODE_MAIL] = "mail",
        [TFTP_MODE_OTHER] = "other",
};

const char *tftp_mode_name(enum tftp_mode m)
{
	return (unsigned) m < NB_ARRAY_SIZE(mode_names) ? mode_names[m] : "other";
}

/* Reads a NUL-terminated string. Copies at most cap - 1 bytes into dst
 * (always terminated) and writes the full length to *ret_len. Returns 0, or
 * -EBADMSG when the bytes end before a NUL (the cursor's error is set). */
static int read_str(struct wire *w, char *dst, size_t cap, size_t *ret_len)
{
	size_t n = 0;
	for (;;) {
		uint8_t c = wire_u8(w);
		if (w->err)
			break;
		if (c == 0) {
			dst[NB_MIN(n, cap - 1)] = 0;
			*ret_len = n;
			return 0;
		}
		if (n < cap - 1)
			dst[n] = (char) c;
		n++;
	}
	dst[NB_MIN(n, cap - 1)] = 0;
	return -EBADMSG;
}

/* A decimal number: digits only, saturating at UINT64_MAX. */
static int parse_dec(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	if (len == 0 || len >= OPT_VAL_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned) (s[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*ret = v;
	return 0;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

/* Applies one option pair; returns false when it is ignored. */
static bool opt_note(struct tftp_opts *o, const char *name, const char *val, size_t val_len)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
	        {"blksize", TFTP_OPT_BLKSIZE},
	        {"tsize", TFTP_OPT_TSIZE},
	        {"timeout", TFTP_OPT_TIMEOUT},
	        {"windowsize", TFTP_OPT_WINDOWSIZE},
	};
	uint64_t v;
	for (size_t i = 0; i < NB_ARRAY_SIZE(known); i++) {
		if (strcasecmp(name, known[i].name) != 0)
			continue;
		/* RFC 2347 leaves repeats open: the first one counts */
		if ((o->present & known[i].bit) || parse_dec(val, val_len, &v) < 0)
			return false;
		o->present |= known[i].bit;
		switch (known[i].bit) {
		case TFTP_OPT_BLKSIZE:
			o->blksize = sat32(v);
			break;
		case TFTP_OPT_TSIZE:
			o->tsize = v;
			break;
		case TFTP_OPT_TIMEOUT:
			o->timeout_sec = sat32(v);
			break;
		case TFTP_OPT_WINDOWSIZE:
			o->windowsize = sat32(v);
			break;
		}
		return true;
	}
	return false;
}

/* Option pairs to the end of the packet (RFC 2347). A pair cut short ends
 * the list; it is ignored, not an error. */
static void parse_opts(struct wire *w, struct tftp_msg *m)
{
	struct wire rest = wire_take(w, wire_left(w));
	while (rest.err == 0 && wire_left(&rest) > 0) {
		char name[OPT_NAME_MAX], val[OPT_VAL_MAX];
		size_t name_len, val_len;
		if (read_str(&rest, name, sizeof name, &name_len) < 0) {
			m->n_ignored++;
			break;
		}
		if (name_len == 0)
			continue; /* NUL padding some ROMs append */
		if (read_str(&rest, val, sizeof val, &val_len) < 0) {
			m->n_ignored++;
			break;
		}
		if (name_len >= sizeof name || !opt_note(&m->opts, name, val, val_len))
			m->n_ignored++;
	}
}

static int parse_request(struct wire *w, struct tftp_msg *m)
{
	char mode[16];
	size_t len;
	if (read_str(w, m->name, sizeof m->name, &len) < 0)
		return -EBADMSG;
	bool too_long = len > TFTP_NAME_MAX;
	if (read_str(w, mode, sizeof mode, &len) < 0)
		return -EBADMSG;
	m->mode = TFTP_MODE_OTHER;
	for (int i = TFTP_MODE_OCTET; len < sizeof mode && i < TFTP_MODE_OTHER; i++)
		if (strcasecmp(mode, mode_names[i]) == 0)
			m->mode = (enum tftp_mode) i;
	parse_opts(w, m);
	return too_long ? -ENAMETOOLONG : 0;
}

int tftp_msg_parse(const void *buf, size_t len, struct tftp_msg *ret)
{
	struct wire w = wire_init(buf, len);
	size_t n;

	memset(ret, 0, sizeof *ret);
	ret->op = wire_u16(&w);
	if (w.err)
		return -EBADMSG;
	switch (ret->op) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		return parse_request(&w, ret);
	case TFTP_DATA:
		ret->block = wire_u16(&w);
		ret->data_len = wire_left(&w);
		ret->data = wire_ptr(&w, ret->data_len);
		return w.err;
	case TFTP_ACK:
		ret->block = wire_u16(&w);
		return w.err; /* trailing bytes after an ACK are tolerated */
	case TFTP_ERROR:
		ret->err_code = wire_u16(&w);
		if (w.err)
			return w.err;
		/* a text without its NUL is taken as it is */
		(void) read_str(&w, ret->err_msg, sizeof ret->err_msg, &n);
		return 0;
	case TFTP_OACK:
		parse_opts(&w, ret);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void put_str(struct wbuf *b, const char *s)
{
	wbuf_bytes(b, s, strlen(s) + 1);
}

static void put_opt(struct wbuf *b, const char *name, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%llu", (unsigned long long) v);
	put_str(b, name);
	put_str(b, num);
}

static void put_opts(struct wbuf *b, const struct tftp_opts *o)
{
	if (o->present & TFTP_OPT_BLKSIZE)
		put_opt(b, "blksize", o->blksize);
	if (o->present & TFTP_OPT_TSIZE)
		put_opt(b, "tsize", o->tsize);
	if (o->present & TFTP_OPT_TIMEOUT)
		put_opt(b, "timeout", o->timeout_sec);
	if (o->present & TFTP_OPT_WINDOWSIZE)
		put_opt(b, "windowsize", o->windowsize);
}

int tftp_write_oack(struct wbuf *b, const struct tftp_opts *o)
{
	wbuf_u16(b, TFTP_OACK);
	put_opts(b, o);
	return b->err;
}

int tftp_write_error(struct wbuf *b, enum tftp_err code, const char *msg)
{
	wbuf_u16(b, TFTP_ERROR);
	wbuf_u16(b, (uint16_t) code);
	put_str(b, msg);
	return b->err;
}

int tftp_write_data_hdr(struct wbuf *b, uint16_t block)
{
	wbuf_u16(b, TFTP_DATA);
	wbuf_u16(b, block);
	return b->err;
}

int tftp_write_ack(struct wbuf *b, uint16_t block)
{
	wbuf_u16(b, TFTP_ACK);
	wbuf_u16(b, block);
	return b->err;
}

int tftp_msg_write(struct wbuf *b, const struct tftp_msg *m)
{
	switch (m->op) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		wbuf_u16(b, m->op);
		put_str(b, m->name);
		put_str(b, tftp_mode_name(m->mode));
		put_opts(b, &m->opts);
		return b->err;
	case TFTP_DATA:
		tftp_write_data_hdr(b, m->block);
		wbuf_bytes(b, m->data, m->data_len);
		return b->err;
	case TFTP_ACK:
		return tftp_write_ack(b, m->block);
	case TFTP_ERROR:
		return tftp_write_error(b, m->err_code, m->err_msg);
	case TFTP_OACK:
		return tftp_write_oack(b, &m->opts);
	default:
		return -EINVAL;
	}
}

void tftp_opts_grant(const struct tftp_opts *asked, const struct tftp_limits *lim, bool tsize_known,
                     uint64_t file_size, struct tftp_opts *ret)
{
	struct tftp_opts g = {0};
	uint32_t blksize = TFTP_BLKSIZE_DEFAULT;

	/* RFC 2348: 8-65464; a larger ask means the client takes our largest */
	if ((asked->present & TFTP_OPT_BLKSIZE) && asked->blksize >= TFTP_BLKSIZE_MIN) {
		g.present |= TFTP_OPT_BLKSIZE;
		g.blksize = NB_MIN(asked->blksize, NB_MIN(lim->max_blksize, TFTP_BLKSIZE_MAX));
		blksize = g.blksize;
	}
	/* RFC 2349: the server may not change the timeout, only refuse it */
	if ((asked->present & TFTP_OPT_TIMEOUT) && asked->timeout_sec >= TFTP_TIMEOUT_MIN &&
	    asked->timeout_sec <= TFTP_TIMEOUT_MAX) {
		g.present |= TFTP_OPT_TIMEOUT;
		g.timeout_sec = asked->timeout_sec;
	}
	/* RFC 2349: in a read request the client's value is a placeholder */
	if ((asked->present & TFTP_OPT_TSIZE) && tsize_known) {
		g.present |= TFTP_OPT_TSIZE;
		g.tsize = file_size;
	}
	/* RFC 7440: 1-65535; the server may answer a smaller window */
	if ((asked->present & TFTP_OPT_WINDOWSIZE) && asked->windowsize >= 1) {
		uint32_t by_bytes = NB_MAX(1u, lim->max_window_bytes / blksize);
		g.present |= TFTP_OPT_WINDOWSIZE;
		g.windowsize = NB_MIN(NB_MIN(asked->windowsize, (uint32_t) TFTP_WINDOW_MAX),
		                      NB_MIN(NB_MAX(lim->max_windowsize, 1u), by_bytes));
	}
	*ret = g;
}

size_t tftp_netascii_encode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                            int *carry, size_t *ret_used)
{
	struct wbuf b = wbuf_init(out, out_cap);
	size_t used = 0;

	if (*carry >= 0 && wbuf_room(&b) > 0) {
		wbuf_u8(&b, (uint8_t) *carry);
		*carry = -1;
	}
	while (used < in_len && wbuf_room(&b) > 0 && *carry < 0) {
		uint8_t c = in[used++];
		int second = c == '\n' ? '\n' : c == '\r' ? 0 : -1;
		wbuf_u8(&b, second >= 0 ? '\r' : c);
		if (second < 0)
			continue;
		if (wbuf_room(&b) > 0)
			wbuf_u8(&b, (uint8_t) second);
		else
			*carry = second;
	}
	*ret_used = used;
	return wbuf_len(&b);
}
