#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void closep(int *fd)
{
	if (*fd >= 0)
		(void) close(*fd);
	*fd = -1;
}

size_t nb_grow_cap(size_t cap, size_t need, size_t elem_size)
{
	if (elem_size == 0 || need > SIZE_MAX / elem_size)
		return 0;
	if (need <= cap)
		return cap;
	size_t max = SIZE_MAX / elem_size;
	size_t n = cap ? cap : NB_MAX(NB_GROW_FIRST / elem_size, 1);
	while (n < need)
		n = n > max / 2 ? need : n * 2; /* doubling would overflow: just what is needed */
	return n;
}

int nb_grow(void *pptr, size_t *cap, size_t need, size_t elem_size)
{
	void **p = pptr;
	if (elem_size == 0)
		return -EINVAL;
	if (need <= *cap)
		return 0;
	size_t n = nb_grow_cap(*cap, need, elem_size);
	if (n == 0)
		return -ENOMEM;
	void *v = realloc(*p, n * elem_size);
	if (!v)
		return -ENOMEM;
	*p = v;
	*cap = n;
	return 0;
}

int64_t nb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nb_wall_sec(void)
{
	return (int64_t) time(NULL);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hwaddr_parse(const char *s, struct hwaddr *ret)
{
	struct hwaddr a;
	size_t n = 0;
	int hi = -1;

	if (!s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		int v = hexval((unsigned char) *p);
		if (v < 0) {
			/* separators only between whole bytes */
			if ((*p != ':' && *p != '-' && *p != '.') || hi >= 0)
				return -EINVAL;
			continue;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == sizeof a.b)
			return -EINVAL;
		a.b[n++] = (uint8_t) (hi << 4 | v);
		hi = -1;
	}
	if (n != sizeof a.b || hi >= 0)
		return -EINVAL;
	/* the separators must be consistent with one of the known notations */
	size_t len = strlen(s);
	if (len != 12 && len != 14 && len != 17)
		return -EINVAL;
	*ret = a;
	return 0;
}

char *hwaddr_fmt(const struct hwaddr *a, char buf[static HWADDR_STRLEN])
{
	/* on every packet's path: no printf */
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 6; i++) {
		buf[3 * i] = hex[a->b[i] >> 4];
		buf[3 * i + 1] = hex[a->b[i] & 15];
		buf[3 * i + 2] = i < 5 ? ':' : 0;
	}
	return buf;
}

bool hwaddr_is_zero(const struct hwaddr *a)
{
	static const struct hwaddr zero;
	return memcmp(a, &zero, sizeof zero) == 0;
}

int ip4_parse(const char *s, uint32_t *ret)
{
	struct in_addr in;
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*ret = ntohl(in.s_addr);
	return 0;
}

char *ip4_fmt(uint32_t a, char buf[static IP4_STRLEN])
{
	char *p = buf;
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (a >> shift) & 255;
		if (v >= 100)
			*p++ = (char) ('0' + v / 100);
		if (v >= 10)
			*p++ = (char) ('0' + v / 10 % 10);
		*p++ = (char) ('0' + v % 10);
		*p++ = shift ? '.' : 0;
	}
	return buf;
}

int ip4_cidr_parse(const char *s, uint32_t *ret_net, unsigned *ret_prefix)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint64_t prefix;
	uint32_t a;

	if (!slash || (size_t) (slash - s) >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, (size_t) (slash - s));
	buf[slash - s] = 0;
	if (ip4_parse(buf, &a) < 0 || nb_parse_uint(slash + 1, 0, 32, &prefix) < 0)
		return -EINVAL;
	if ((a & ~ip4_mask((unsigned) prefix)) != 0)
		return -EDOM; /* host bits set */
	*ret_net = a;
	*ret_prefix = (unsigned) prefix;
	return 0;
}

bool ip4_is_private(uint32_t a)
{
	return ip4_in(a, 0x0a000000, 8) || ip4_in(a, 0xac100000, 12) || ip4_in(a, 0xc0a80000, 16) ||
	       ip4_in(a, 0x7f000000, 8) || ip4_in(a, 0xa9fe0000, 16);
}

int nb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t) (*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int nb_parse_duration(const char *s, uint32_t *ret_sec)
{
	char num[24];
	size_t n = strlen(s);
	uint64_t mul = 1, v;

	if (n == 0 || n >= sizeof num)
		return -EINVAL;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		n++;
	}
	num[n - 1] = 0;
	int r = nb_parse_uint(num, 0, UINT32_MAX, &v);
	if (r < 0)
		return r;
	if (v * mul > UINT32_MAX)
		return -ERANGE;
	*ret_sec = (uint32_t) (v * mul);
	return 0;
}

int nb_parse_bool(const char *s, bool *ret)
{
	static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(yes); i++) {
		if (nb_streq_nocase(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (nb_streq_nocase(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int nb_errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

int nb_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	if (n == 0)
		return -ENAMETOOLONG;
	if (len >= n) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = 0;
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

char *nb_strstrip(char *s)
{
	char *e;
	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = 0;
	return s;
}

bool nb_streq_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int nb_split_list(char *s, int (*fn)(const char *item, void *data), void *data)
{
	char *save = NULL;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *t = nb_strstrip(tok);
		if (!*t)
			continue;
		int r = fn(t, data);
		if (r < 0)
			return r;
	}
	return 0;
}

bool nb_hostname_valid(const char *s)
{
	size_t total = strlen(s), label = 0;
	if (total == 0 || total > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char) *p) && !(*p == '-' && label > 0) && *p != '_')
			return false;
		if (++label > 63)
			return false;
	}
	if (s[total - 1] == '-')
		return false;
	return label > 0 || s[total - 1] == '.';
}

uint64_t nb_hash(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

int nb_write_file_atomic(const char *path, const void *buf, size_t n, unsigned mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid()) >= (int) sizeof tmp)
		return -ENAMETOOLONG;
	NB_CLEANUP(closep) int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int r = -errno;
			(void) unlink(tmp);
			return r;
		}
		p += w;
		n -= (size_t) w;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;
		(void) unlink(tmp);
		return r;
	}
	return 0;
}

int nb_nofile_at_least(uint64_t want, uint64_t *ret_have)
{
	struct rlimit rl;
	int r = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < want) {
		struct rlimit up = rl;
		up.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : NB_MIN(want, rl.rlim_max);
		if (setrlimit(RLIMIT_NOFILE, &up) < 0)
			r = -errno;
		else
			rl = up;
	}
	if (ret_have)
		*ret_have = rl.rlim_cur;
	return r < 0 ? r : rl.rlim_cur >= want ? 0 : -EMFILE;
}
