/* Check 6, clock: the local clock against the server's (its HTTP Date
 * header, else the health answer's "time"). Kerberos, TLS and signed
 * packages fail on a skewed clock long before anyone looks at it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doctor/doctor.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const long_days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

/* A cursor over the date text: each reader fails once and stays failed. */
struct dcur {
	const char *p;
	bool bad;
};

static void lit(struct dcur *c, const char *s)
{
	size_t n = strlen(s);
	if (!c->bad && strncmp(c->p, s, n) == 0)
		c->p += n;
	else
		c->bad = true;
}

/* Exactly n digits (n2 > n: up to n2, asctime's day may be " 6"). */
static int digits(struct dcur *c, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (c->bad || c->p[0] < '0' || c->p[0] > '9') {
			c->bad = true;
			return 0;
		}
		v = v * 10 + (*c->p++ - '0');
	}
	return v;
}

/* One of the names in t (exact case, as RFC 9110 requires); its index. */
static int word(struct dcur *c, const char *const *t, size_t n)
{
	for (size_t i = 0; !c->bad && i < n; i++) {
		size_t l = strlen(t[i]);
		if (strncmp(c->p, t[i], l) == 0) {
			c->p += l;
			return (int) i;
		}
	}
	c->bad = true;
	return 0;
}

static void hms(struct dcur *c, int *h, int *m, int *s)
{
	*h = digits(c, 2);
	lit(c, ":");
	*m = digits(c, 2);
	lit(c, ":");
	*s = digits(c, 2);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : md[m - 1];
}

int doctor_http_date_parse(const char *s, int64_t *ret_sec)
{
	struct dcur c = {.p = s};
	int y = 0, mon = 0, d = 0, h = 0, mi = 0, sec = 0;

	if (!s || strlen(s) > 40)
		return -EINVAL;
	if (strlen(s) > 4 && s[3] == ',') { /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		(void) word(&c, days, NB_ARRAY_SIZE(days));
		lit(&c, ", ");
		d = digits(&c, 2);
		lit(&c, " ");
		mon = word(&c, months, NB_ARRAY_SIZE(months)) + 1;
		lit(&c, " ");
		y = digits(&c, 4);
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " GMT");
	} else if (strchr(s, ',')) { /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		(void) word(&c, long_days, NB_ARRAY_SIZE(long_days));
		lit(&c, ", ");
		d = digits(&c, 2);
		lit(&c, "-");
		mon = word(&c, months, NB_ARRAY_SIZE(months)) + 1;
		lit(&c, "-");
		y = digits(&c, 2);
		/* RFC 9110 5.6.7 says "more than 50 years in the future is the past";
		 * with no clock to ask, 70-99 are 19xx and the rest 20xx */
		y += y >= 70 ? 1900 : 2000;
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " GMT");
	} else { /* asctime: Sun Nov  6 08:49:37 1994 */
		(void) word(&c, days, NB_ARRAY_SIZE(days));
		lit(&c, " ");
		mon = word(&c, months, NB_ARRAY_SIZE(months)) + 1;
		lit(&c, " ");
		if (!c.bad && c.p[0] == ' ') {
			c.p++;
			d = digits(&c, 1);
		} else {
			d = digits(&c, 2);
		}
		lit(&c, " ");
		hms(&c, &h, &mi, &sec);
		lit(&c, " ");
		y = digits(&c, 4);
	}
	if (c.bad || *c.p || d < 1 || d > month_days(y, mon) || h > 23 || mi > 59 || sec > 60)
		return -EINVAL; /* 60: a leap second is a valid time */
	*ret_sec = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

static void fmt_offset(int64_t off, char *buf, size_t n)
{
	int64_t a = off < 0 ? -off : off;
	const char *dir = off < 0 ? "behind" : "ahead of";
	if (a >= 86400)
		snprintf(buf, n, "%lldd%02lldh %s", (long long) (a / 86400),
		         (long long) (a % 86400 / 3600), dir);
	else if (a >= 3600)
		snprintf(buf, n, "%lldh%02lldm %s", (long long) (a / 3600),
		         (long long) (a % 3600 / 60), dir);
	else if (a >= 60)
		snprintf(buf, n, "%lldm%02llds %s", (long long) (a / 60), (long long) (a % 60),
		         dir);
	else
		snprintf(buf, n, "%llds %s", (long long) a, dir);
}

void doctor_clock_judge(struct doctor_result *r, const char *date, int64_t json_time,
                        int64_t local_sec, int warn_sec, int fail_sec)
{
	int64_t server;
	const char *source;
	if (date && date[0] && doctor_http_date_parse(date, &server) == 0) {
		source = "its Date header";
		doctor_evidence(r, "server Date: %s", date);
	} else if (json_time > 0) {
		server = json_time;
		source = "its health answer's time";
		if (date && date[0])
			doctor_evidence(r, "server Date '%s' is not an HTTP date", date);
		doctor_evidence(r, "server time: %lld", (long long) json_time);
	} else {
		doctor_verdict(r, DOCTOR_SKIP, "the server sent no Date header and no time");
		return;
	}
	doctor_evidence(r, "local time:  %lld (Unix seconds), server: %lld", (long long) local_sec,
	                (long long) server);
	int64_t off = server - local_sec;
	int64_t a = off < 0 ? -off : off;
	char o[64];
	fmt_offset(off, o, sizeof o);
	/* the Date has one-second resolution and was taken before we read it */
	if (a <= warn_sec || a <= 1) {
		doctor_verdict(r, DOCTOR_PASS, "the server's clock (from %s) is within %ds of ours",
		               source, (int) NB_MAX(a, 1));
		return;
	}
	doctor_verdict(r, a > fail_sec ? DOCTOR_FAIL : DOCTOR_WARN,
	               "the server's clock is %s ours (%+llds; threshold %ds)", o, (long long) off,
	               a > fail_sec ? fail_sec : warn_sec);
	doctor_fix(r, "find which clock is wrong (`date -u` here and on the server, `timedatectl "
	              "status`) and turn on NTP there (`timedatectl set-ntp true`)");
}

void doctor_check_clock(struct doctor *d, struct doctor_result *r)
{
	const struct doctor_health *h = d->addr ? doctor_health_at(d, d->addr) : NULL;
	if (!h || !h->netbay) {
		doctor_verdict(r, DOCTOR_SKIP,
		               "no answer from the server's health endpoint to "
		               "read its clock from");
		return;
	}
	doctor_clock_judge(r, h->date, h->time, h->local, d->o.clock_warn_sec, d->o.clock_fail_sec);
}
