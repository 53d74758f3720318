/* Small helpers every module uses: cleanup, time, addresses, strings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define NB_CLEANUP(fn)   __attribute__((cleanup(fn)))
#define NB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NB_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define NB_MAX(a, b)     ((a) > (b) ? (a) : (b))
#define NB_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define NB_UNUSED        __attribute__((unused))

static inline void *steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}

static inline void freep(void *pp)
{
	free(*(void **) pp);
}

void closep(int *fd);

/* Growable arrays. Makes room for at least need elements of elem_size bytes
 * in the array *pptr (any T **: malloc'd, or NULL when *cap is 0) that has
 * room for *cap: nothing happens when it has already; else the capacity
 * doubles (the first time to about NB_GROW_FIRST bytes) until need fits,
 * and *pptr and *cap are updated. Returns 0, or -ENOMEM when need elements
 * do not fit in a size_t or realloc fails (*pptr and *cap are then
 * unchanged and still valid), -EINVAL when elem_size is 0. */
#define NB_GROW_FIRST 1024
int nb_grow(void *pptr, size_t *cap, size_t need, size_t elem_size);
/* The capacity nb_grow() picks when need passes cap (cap itself when it
 * does not); 0 when need elements of elem_size bytes overflow a size_t, or
 * elem_size is 0. */
size_t nb_grow_cap(size_t cap, size_t need, size_t elem_size);

/* Monotonic and wall clocks. */
int64_t nb_now_ms(void);
int64_t nb_wall_sec(void);

/* Ethernet address; formats as aa:bb:cc:dd:ee:ff. */
struct hwaddr {
	uint8_t b[6];
};
#define HWADDR_STRLEN 18

/* Parses aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and aabbccddeeff
 * (any case). Returns 0 and writes *ret, or -EINVAL. */
int hwaddr_parse(const char *s, struct hwaddr *ret);
/* Writes "aa:bb:..." into buf (HWADDR_STRLEN bytes); returns buf. */
char *hwaddr_fmt(const struct hwaddr *a, char buf[static HWADDR_STRLEN]);
bool hwaddr_is_zero(const struct hwaddr *a);

/* IPv4 addresses are host-order uint32_t everywhere above the wire. */
#define IP4_STRLEN 16
int ip4_parse(const char *s, uint32_t *ret);
char *ip4_fmt(uint32_t a, char buf[static IP4_STRLEN]);
/* "10.0.0.0/24" -> network (masked) and prefix length; rejects host bits set. */
int ip4_cidr_parse(const char *s, uint32_t *ret_net, unsigned *ret_prefix);
static inline uint32_t ip4_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}
static inline bool ip4_in(uint32_t a, uint32_t net, unsigned prefix)
{
	return (a & ip4_mask(prefix)) == net;
}
/* RFC 1918 private, or loopback / link-local. */
bool ip4_is_private(uint32_t a);

/* Duration "90", "90s", "15m", "12h", "7d" -> seconds. */
int nb_parse_duration(const char *s, uint32_t *ret_sec);
/* Unsigned decimal within [min, max]. */
int nb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int nb_parse_bool(const char *s, bool *ret);

/* Copies src into dst (size n) and always terminates; returns -ENAMETOOLONG
 * when src did not fit (dst then holds a truncated copy). */
int nb_strlcpy(char *dst, const char *src, size_t n);

/* Formats a message into err (errlen bytes) and returns code: for the
 * "return nb_errf(err, errlen, -EINVAL, ...)" of functions that explain
 * their failures to the caller. */
int nb_errf(char *err, size_t errlen, int code, const char *fmt, ...) NB_PRINTF(4, 5);
/* Trims leading/trailing whitespace in place; returns s. */
char *nb_strstrip(char *s);
bool nb_streq_nocase(const char *a, const char *b);
/* Splits s at commas (and whitespace around them) in place; calls fn per
 * non-empty item; stops at the first negative return and passes it on. */
int nb_split_list(char *s, int (*fn)(const char *item, void *data), void *data);

/* A hostname label set: letters, digits, hyphens, dots between labels;
 * each label 1-63, total <= 253. */
bool nb_hostname_valid(const char *s);

/* 64-bit hash (FNV-1a with a final mix): hash tables. */
uint64_t nb_hash(const void *p, size_t n, uint64_t seed);

/* Writes the whole buffer to path atomically (tmp + fsync + rename). */
int nb_write_file_atomic(const char *path, const void *buf, size_t n, unsigned mode);

/* Raises the soft limit of open files to at least want (as far as the hard
 * limit allows; never lowers it). Returns 0 when the limit is now at least
 * want, else -errno (-EMFILE: the hard limit is lower); *ret_have (when
 * not NULL) is the soft limit in force either way. */
int nb_nofile_at_least(uint64_t want, uint64_t *ret_have);
