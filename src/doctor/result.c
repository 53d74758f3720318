/* The result of one check: verdict, finding, evidence, fix. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor/doctor.h"

void doctor_result_init(struct doctor_result *r, const char *check)
{
	memset(r, 0, sizeof *r);
	r->check = check;
	r->status = DOCTOR_SKIP;
}

bool doctor_verdict(struct doctor_result *r, enum doctor_status s, const char *fmt, ...)
{
	r->fix_open = false;
	if (r->decided && s <= r->status)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->finding, sizeof r->finding, fmt, ap);
	va_end(ap);
	r->status = s;
	r->decided = true;
	r->fix[0] = 0;
	r->fix_open = true;
	return true;
}

void doctor_fix(struct doctor_result *r, const char *fmt, ...)
{
	if (!r->fix_open)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->fix, sizeof r->fix, fmt, ap);
	va_end(ap);
}

void doctor_evidence(struct doctor_result *r, const char *fmt, ...)
{
	if (r->n_evidence >= DOCTOR_EVIDENCE_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->evidence[r->n_evidence++], DOCTOR_LINE_MAX, fmt, ap);
	va_end(ap);
}

const char *doctor_status_name(enum doctor_status s)
{
	static const char *const n[] = {"SKIP", "PASS", "WARN", "FAIL"};
	return (unsigned) s < NB_ARRAY_SIZE(n) ? n[s] : "?";
}

const char *doctor_status_word(enum doctor_status s)
{
	static const char *const n[] = {"skip", "pass", "warn", "fail"};
	return (unsigned) s < NB_ARRAY_SIZE(n) ? n[s] : "?";
}
