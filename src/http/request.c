#include "http/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void http_reply_init(struct http_reply *rp)
{
	memset(rp, 0, sizeof *rp);
	rp->status = 500;
	rp->fd = -1;
}

void http_reply_done(struct http_reply *rp)
{
	free(rp->body);
	rp->body = NULL;
	if (rp->fd >= 0)
		(void) close(rp->fd);
	rp->fd = -1;
}

void http_reply_text(struct http_reply *rp, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rp->why, sizeof rp->why, fmt, ap);
	va_end(ap);
	rp->status = status;
	free(rp->body);
	rp->body = NULL;
	rp->body_len = 0;
	rp->type = "text/plain; charset=utf-8";
	size_t n = strlen(rp->why);
	rp->body = malloc(n + 1);
	if (rp->body) {
		memcpy(rp->body, rp->why, n);
		rp->body[n] = '\n';
		rp->body_len = n + 1;
	}
}

char *http_date_fmt(int64_t t, char buf[static HTTP_DATE_LEN])
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t) t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		buf[0] = 0;
		return buf;
	}
	/* every field is in range (gmtime_r); the modulos say so to the compiler */
	snprintf(buf, HTTP_DATE_LEN, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[tm.tm_wday % 7],
	         (unsigned) tm.tm_mday % 100u, months[tm.tm_mon % 12],
	         (unsigned) (tm.tm_year + 1900) % 10000u, (unsigned) tm.tm_hour % 100u,
	         (unsigned) tm.tm_min % 100u, (unsigned) tm.tm_sec % 100u);
	return buf;
}

char *http_printable(const char *s, char *buf, size_t n)
{
	size_t o = 0;
	if (n == 0)
		return buf;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char) *s;
		size_t need = c >= 0x20 && c < 0x7f && c != '\\' ? 1 : 4;
		if (o + need + 4 > n) { /* room for "..." and the NUL */
			if (o + 4 <= n) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1)
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, n - o, "\\x%02x", c);
	}
	buf[o] = 0;
	return buf;
}
