#include "dhcp/wire.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"

/* Records one option body; a repeat is concatenated after the earlier
 * parts (RFC 3396) as a new contiguous region of m->concat. */
static int note_opt(struct dhcp_msg *m, uint8_t code, struct wire body)
{
	struct dhcp_opt_view *v = &m->opt[code];
	size_t n = wire_left(&body);
	const uint8_t *p = wire_ptr(&body, n);

	if (!v->present) {
		*v = (struct dhcp_opt_view){.p = p, .len = (uint16_t) n, .present = true};
		return 0;
	}
	size_t total = (size_t) v->len + n;
	if (v->p + v->len == m->concat + m->concat_len) {
		/* the body is already the last region: append in place */
		if (n > DHCP_CONCAT_MAX - m->concat_len)
			return -EBADMSG;
		memcpy(m->concat + m->concat_len, p, n);
		m->concat_len += n;
		v->len = (uint16_t) total;
		return 0;
	}
	if (total > DHCP_CONCAT_MAX - m->concat_len)
		return -EBADMSG;
	uint8_t *dst = m->concat + m->concat_len;
	memmove(dst, v->p, v->len);
	if (n)
		memcpy(dst + v->len, p, n);
	m->concat_len += total;
	v->p = dst;
	v->len = (uint16_t) total;
	return 0;
}

/* Walks one option area. overload_ok: whether option 52 may appear here
 * (only in the options field proper). */
static int walk(struct wire *w, struct dhcp_msg *m, bool overload_ok, uint8_t *ret_overload)
{
	while (w->err == 0 && w->p < w->end) {
		uint8_t code = wire_u8(w);
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		struct wire body = wire_take(w, wire_u8(w));
		if (body.err)
			return -EBADMSG;
		if (code == DHCP_OPT_OVERLOAD) {
			/* only honoured in the options field: no self-reference */
			if (overload_ok && wire_left(&body) == 1)
				*ret_overload = wire_u8(&body);
			continue;
		}
		int r = note_opt(m, code, body);
		if (r < 0)
			return r;
	}
	return w->err ? -EBADMSG : 0; /* ran out before END: tolerated */
}

int dhcp_msg_parse(const uint8_t *data, size_t len, struct dhcp_msg *m)
{
	struct wire w = wire_init(data, len);
	uint8_t overload = 0;

	memset(m, 0, offsetof(struct dhcp_msg, concat));
	m->concat_len = 0;
	if (len < DHCP_MIN_REQUEST)
		return -EBADMSG;
	m->op = wire_u8(&w);
	m->htype = wire_u8(&w);
	m->hlen = wire_u8(&w);
	m->hops = wire_u8(&w);
	m->xid = wire_u32(&w);
	m->secs = wire_u16(&w);
	m->flags = wire_u16(&w);
	m->ciaddr = wire_u32(&w);
	m->yiaddr = wire_u32(&w);
	m->siaddr = wire_u32(&w);
	m->giaddr = wire_u32(&w);
	wire_bytes(&w, m->chaddr, sizeof m->chaddr);
	struct wire sname = wire_take(&w, 64);
	struct wire file = wire_take(&w, 128);
	if (wire_u32(&w) != DHCP_MAGIC || w.err)
		return -EBADMSG;
	int r = walk(&w, m, true, &overload);
	if (r < 0)
		return r;
	/* RFC 2131 4.1: file first, then sname */
	if (overload & 1) {
		if ((r = walk(&file, m, false, &overload)) < 0)
			return r;
	} else {
		m->file = file.p;
	}
	if (overload & 2) {
		if ((r = walk(&sname, m, false, &overload)) < 0)
			return r;
	} else {
		m->sname = sname.p;
	}
	uint8_t type;
	if (dhcp_opt_u8(m, DHCP_OPT_MSG_TYPE, &type) == 0)
		m->type = type;
	return 0;
}

int dhcp_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *ret)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, code);
	if (!v)
		return -ENOENT;
	if (v->len != 4)
		return -EBADMSG;
	struct wire w = wire_init(v->p, v->len);
	*ret = wire_u32(&w);
	return 0;
}

int dhcp_opt_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *ret)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, code);
	if (!v)
		return -ENOENT;
	if (v->len != 2)
		return -EBADMSG;
	struct wire w = wire_init(v->p, v->len);
	*ret = wire_u16(&w);
	return 0;
}

int dhcp_opt_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *ret)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, code);
	if (!v)
		return -ENOENT;
	if (v->len != 1)
		return -EBADMSG;
	*ret = v->p[0];
	return 0;
}

int dhcp_opt_str(const struct dhcp_msg *m, uint8_t code, char *buf, size_t n)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, code);
	if (!v)
		return -ENOENT;
	size_t len = v->len;
	const uint8_t *nul = memchr(v->p, 0, len);
	if (nul)
		len = (size_t) (nul - v->p);
	if (len >= n)
		len = n - 1;
	memcpy(buf, v->p, len);
	buf[len] = 0;
	return (int) len;
}

bool dhcp_opt_requested(const struct dhcp_msg *m, uint8_t code)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, DHCP_OPT_PARAM_LIST);
	return v && memchr(v->p, code, v->len) != NULL;
}

int dhcp_opt_fqdn(const struct dhcp_msg *m, char *buf, size_t n)
{
	const struct dhcp_opt_view *v = dhcp_opt(m, DHCP_OPT_FQDN);
	if (!v)
		return -ENOENT;
	struct wire w = wire_init(v->p, v->len);
	uint8_t flags = wire_u8(&w);
	wire_skip(&w, 2); /* RCODE1, RCODE2: deprecated */
	if (w.err)
		return -EBADMSG;
	size_t len = 0;
	if (!(flags & 0x04)) { /* E clear: ASCII (deprecated but common) */
		size_t k = wire_left(&w);
		const uint8_t *p = wire_ptr(&w, k);
		for (size_t i = 0; i < k && p[i] && len + 1 < n; i++)
			buf[len++] = (char) p[i];
		buf[len] = 0;
		return (int) len;
	}
	/* canonical wire format, no compression (RFC 4702 2.3.1) */
	while (wire_left(&w) > 0) {
		uint8_t l = wire_u8(&w);
		if (l == 0)
			break;
		if (l > 63)
			return -EBADMSG;
		const uint8_t *p = wire_ptr(&w, l);
		if (!p || len + l + 2 > n)
			return -EBADMSG;
		if (len)
			buf[len++] = '.';
		memcpy(buf + len, p, l);
		len += l;
	}
	buf[len] = 0;
	return (int) len;
}

const char *dhcp_msg_type_name(uint8_t type)
{
	static const char *const names[] = {"?",   "DISCOVER", "OFFER",   "REQUEST", "DECLINE",
	                                    "ACK", "NAK",      "RELEASE", "INFORM"};
	return type < NB_ARRAY_SIZE(names) ? names[type] : "?";
}

void dhcp_write_header(struct wbuf *b, const struct dhcp_msg *req, uint8_t op, uint32_t ciaddr,
                       uint32_t yiaddr, uint32_t siaddr, uint16_t flags, const char *sname,
                       const char *file)
{
	wbuf_u8(b, op);
	wbuf_u8(b, req->htype);
	wbuf_u8(b, req->hlen);
	wbuf_u8(b, 0); /* hops */
	wbuf_u32(b, req->xid);
	wbuf_u16(b, 0); /* secs */
	wbuf_u16(b, flags);
	wbuf_u32(b, ciaddr);
	wbuf_u32(b, yiaddr);
	wbuf_u32(b, siaddr);
	wbuf_u32(b, req->giaddr);
	wbuf_bytes(b, req->chaddr, sizeof req->chaddr);
	size_t sl = sname ? NB_MIN(strlen(sname), (size_t) 63) : 0;
	wbuf_bytes(b, sname, sl);
	wbuf_zero(b, 64 - sl);
	size_t fl = file ? NB_MIN(strlen(file), (size_t) 127) : 0;
	wbuf_bytes(b, file, fl);
	wbuf_zero(b, 128 - fl);
	wbuf_u32(b, DHCP_MAGIC);
}

void dhcp_put_opt(struct wbuf *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *p = data;
	do {
		size_t k = NB_MIN(len, (size_t) 255);
		wbuf_u8(b, code);
		wbuf_u8(b, (uint8_t) k);
		wbuf_bytes(b, p, k);
		p += k;
		len -= k;
	} while (len > 0);
}

void dhcp_put_u8(struct wbuf *b, uint8_t code, uint8_t v)
{
	dhcp_put_opt(b, code, &v, 1);
}

void dhcp_put_u16(struct wbuf *b, uint8_t code, uint16_t v)
{
	uint8_t x[2] = {(uint8_t) (v >> 8), (uint8_t) v};
	dhcp_put_opt(b, code, x, 2);
}

void dhcp_put_u32(struct wbuf *b, uint8_t code, uint32_t v)
{
	uint8_t x[4] = {(uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v};
	dhcp_put_opt(b, code, x, 4);
}

void dhcp_put_addrs(struct wbuf *b, uint8_t code, const uint32_t *a, size_t n)
{
	uint8_t x[4 * 63];
	struct wbuf t = wbuf_init(x, sizeof x);
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		wbuf_u32(&t, a[i]);
	if (t.err)
		b->err = t.err;
	else
		dhcp_put_opt(b, code, x, wbuf_len(&t));
}

void dhcp_put_str(struct wbuf *b, uint8_t code, const char *s)
{
	if (s && *s)
		dhcp_put_opt(b, code, s, strlen(s));
}

void dhcp_put_search(struct wbuf *b, const char (*domains)[254], size_t n)
{
	uint8_t x[1024];
	struct wbuf t = wbuf_init(x, sizeof x);
	for (size_t i = 0; i < n; i++) {
		const char *d = domains[i];
		while (*d) {
			const char *dot = strchr(d, '.');
			size_t l = dot ? (size_t) (dot - d) : strlen(d);
			if (l == 0 || l > 63) {
				t.err = -EINVAL;
				break;
			}
			wbuf_u8(&t, (uint8_t) l);
			wbuf_bytes(&t, d, l);
			d += l + (dot ? 1 : 0);
		}
		wbuf_u8(&t, 0);
	}
	if (t.err)
		b->err = t.err;
	else if (n)
		dhcp_put_opt(b, DHCP_OPT_SEARCH, x, wbuf_len(&t));
}

void dhcp_put_routes(struct wbuf *b, const struct dhcp_route *r, size_t n)
{
	uint8_t x[16 * 9];
	struct wbuf t = wbuf_init(x, sizeof x);
	for (size_t i = 0; i < n; i++) {
		/* RFC 3442: width, then only the significant octets of the destination */
		wbuf_u8(&t, r[i].prefix);
		for (unsigned k = 0; k < (r[i].prefix + 7u) / 8u; k++)
			wbuf_u8(&t, (uint8_t) (r[i].dest >> (24 - 8 * k)));
		wbuf_u32(&t, r[i].gw);
	}
	if (t.err)
		b->err = t.err;
	else if (n)
		dhcp_put_opt(b, DHCP_OPT_CLASSLESS_ROUTE, x, wbuf_len(&t));
}

void dhcp_write_end(struct wbuf *b)
{
	wbuf_u8(b, DHCP_OPT_END);
	if (wbuf_len(b) < DHCP_MIN_REPLY && b->err == 0)
		wbuf_zero(b, DHCP_MIN_REPLY - wbuf_len(b));
}

int dhcp_msg_write(const struct dhcp_msg *m, uint8_t *buf, size_t cap)
{
	struct wbuf b = wbuf_init(buf, cap);
	char sname[65] = "", file[129] = "";
	if (m->sname)
		memcpy(sname, m->sname, 64);
	if (m->file)
		memcpy(file, m->file, 128);
	dhcp_write_header(&b, m, m->op, m->ciaddr, m->yiaddr, m->siaddr, m->flags, sname, file);
	/* header fields dhcp_write_header does not copy from m */
	wbuf_patch_u8(&b, 3, m->hops);
	wbuf_patch_u16(&b, 8, m->secs);
	for (unsigned code = 1; code < 255; code++)
		if (m->opt[code].present)
			dhcp_put_opt(&b, (uint8_t) code, m->opt[code].p, m->opt[code].len);
	wbuf_u8(&b, DHCP_OPT_END);
	return b.err ? b.err : (int) wbuf_len(&b);
}
