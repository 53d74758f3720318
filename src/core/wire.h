/* Bounds-checked cursors over packet bytes: the only place that does pointer
 * arithmetic on received data or converts byte order.
 *
 * Both cursors are sticky: the first error is kept, reads after it return
 * zeros and writes after it do nothing, so a codec reads or writes straight
 * through and checks ->err once. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Read view of bytes we do not own. */
struct wire {
	const uint8_t *start, *p, *end;
	int err; /* 0, or the first error (-EBADMSG); sticky */
};

static inline struct wire wire_init(const void *data, size_t len)
{
	const uint8_t *b = data;
	return (struct wire){.start = b, .p = b, .end = b + len, .err = 0};
}

static inline size_t wire_left(const struct wire *w)
{
	return w->err ? 0 : (size_t) (w->end - w->p);
}

static inline size_t wire_offset(const struct wire *w)
{
	return (size_t) (w->p - w->start);
}

static inline bool wire_has(struct wire *w, size_t n)
{
	if (w->err == 0 && (size_t) (w->end - w->p) < n)
		w->err = -EBADMSG;
	return w->err == 0;
}

static inline void wire_fail(struct wire *w)
{
	if (w->err == 0)
		w->err = -EBADMSG;
}

static inline uint8_t wire_u8(struct wire *w)
{
	return wire_has(w, 1) ? *w->p++ : 0;
}

static inline uint16_t wire_u16(struct wire *w)
{
	if (!wire_has(w, 2))
		return 0;
	uint16_t v = (uint16_t) (w->p[0] << 8 | w->p[1]);
	w->p += 2;
	return v;
}

static inline uint32_t wire_u32(struct wire *w)
{
	if (!wire_has(w, 4))
		return 0;
	uint32_t v = (uint32_t) w->p[0] << 24 | (uint32_t) w->p[1] << 16 | (uint32_t) w->p[2] << 8 |
	             w->p[3];
	w->p += 4;
	return v;
}

/* Copies n bytes out; on error dst is zeroed. */
static inline void wire_bytes(struct wire *w, void *dst, size_t n)
{
	if (!wire_has(w, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, w->p, n);
	w->p += n;
}

static inline void wire_skip(struct wire *w, size_t n)
{
	if (wire_has(w, n))
		w->p += n;
}

/* Pointer to the next n bytes without copying (NULL on error); the cursor moves past them. */
static inline const uint8_t *wire_ptr(struct wire *w, size_t n)
{
	if (!wire_has(w, n))
		return NULL;
	const uint8_t *p = w->p;
	w->p += n;
	return p;
}

/* The next n bytes as a cursor of their own: an option body, an RR's rdata. */
static inline struct wire wire_take(struct wire *w, size_t n)
{
	struct wire sub = {.start = w->start, .p = w->p, .end = w->p, .err = -EBADMSG};
	if (wire_has(w, n)) {
		w->p += n;
		sub.end = w->p;
		sub.err = 0;
	}
	return sub;
}

/* A cursor positioned at absolute offset off of the same buffer (DNS
 * compression pointers); the error is set when off is outside it. */
static inline struct wire wire_at(const struct wire *w, size_t off)
{
	struct wire sub = {.start = w->start, .p = w->start, .end = w->end, .err = 0};
	if (off > (size_t) (w->end - w->start))
		sub.err = -EBADMSG;
	else
		sub.p = w->start + off;
	return sub;
}

/* Write buffer over memory we own. */
struct wbuf {
	uint8_t *start, *p, *end;
	int err; /* 0, or the first error (-ENOSPC); sticky */
};

static inline struct wbuf wbuf_init(void *buf, size_t cap)
{
	uint8_t *b = buf;
	return (struct wbuf){.start = b, .p = b, .end = b + cap, .err = 0};
}

static inline size_t wbuf_len(const struct wbuf *b)
{
	return (size_t) (b->p - b->start);
}

static inline size_t wbuf_room(const struct wbuf *b)
{
	return b->err ? 0 : (size_t) (b->end - b->p);
}

static inline bool wbuf_has(struct wbuf *b, size_t n)
{
	if (b->err == 0 && (size_t) (b->end - b->p) < n)
		b->err = -ENOSPC;
	return b->err == 0;
}

static inline void wbuf_u8(struct wbuf *b, uint8_t v)
{
	if (wbuf_has(b, 1))
		*b->p++ = v;
}

static inline void wbuf_u16(struct wbuf *b, uint16_t v)
{
	if (wbuf_has(b, 2)) {
		b->p[0] = (uint8_t) (v >> 8);
		b->p[1] = (uint8_t) v;
		b->p += 2;
	}
}

static inline void wbuf_u32(struct wbuf *b, uint32_t v)
{
	if (wbuf_has(b, 4)) {
		b->p[0] = (uint8_t) (v >> 24);
		b->p[1] = (uint8_t) (v >> 16);
		b->p[2] = (uint8_t) (v >> 8);
		b->p[3] = (uint8_t) v;
		b->p += 4;
	}
}

static inline void wbuf_bytes(struct wbuf *b, const void *src, size_t n)
{
	if (n && wbuf_has(b, n)) {
		memcpy(b->p, src, n);
		b->p += n;
	}
}

static inline void wbuf_zero(struct wbuf *b, size_t n)
{
	if (wbuf_has(b, n)) {
		memset(b->p, 0, n);
		b->p += n;
	}
}

/* Rewrites a 16-bit field at absolute offset off (a length or count filled
 * in after its body); off + 2 must lie inside what was written. */
static inline void wbuf_patch_u16(struct wbuf *b, size_t off, uint16_t v)
{
	if (b->err == 0 && off + 2 <= wbuf_len(b)) {
		b->start[off] = (uint8_t) (v >> 8);
		b->start[off + 1] = (uint8_t) v;
	} else if (b->err == 0) {
		b->err = -EINVAL;
	}
}

static inline void wbuf_patch_u8(struct wbuf *b, size_t off, uint8_t v)
{
	if (b->err == 0 && off < wbuf_len(b))
		b->start[off] = v;
	else if (b->err == 0)
		b->err = -EINVAL;
}
