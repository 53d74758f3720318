/* The HTTP-date parser over arbitrary text: what it accepts formats back
 * to the same instant (IMF-fixdate), so no impossible date slips through. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], back[64];
	int64_t t, t2;
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (doctor_http_date_parse(s, &t) < 0)
		return 0;
	time_t tt = (time_t) t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		abort();
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	/* %Y would not pad year 787 to four digits, which IMF-fixdate needs */
	snprintf(back, sizeof back, "Mon, %02d %s %04d %02d:%02d:%02d GMT", tm.tm_mday,
	         mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (doctor_http_date_parse(back, &t2) < 0 || (t2 != t && tm.tm_sec != 0))
		abort(); /* a leap second (:60) reads back as :00 of the next minute */
	return 0;
}
