#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The logger is the one mutable global (STYLE.md). */
static struct {
	enum log_level level;
	bool journal;
	uint64_t dropped;
} logger = {.level = LOG_LVL_INFO};

static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long dev, ino;
	if (!js || sscanf(js, "%lu:%lu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(enum log_level level)
{
	logger.level = level;
	logger.journal = stderr_is_journal();
}

void log_set_level(enum log_level level)
{
	logger.level = level;
}

enum log_level log_get_level(void)
{
	return logger.level;
}

bool log_enabled(enum log_level level)
{
	return level <= logger.level;
}

int log_level_parse(const char *s, enum log_level *ret)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} t[] = {{"error", LOG_LVL_ERR},
	         {"warning", LOG_LVL_WARN},
	         {"info", LOG_LVL_INFO},
	         {"debug", LOG_LVL_DEBUG}};
	for (size_t i = 0; i < NB_ARRAY_SIZE(t); i++)
		if (strcmp(s, t[i].name) == 0) {
			*ret = t[i].lvl;
			return 0;
		}
	return -EINVAL;
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_LVL_ERR:
		return "error";
	case LOG_LVL_WARN:
		return "warning";
	case LOG_LVL_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (logger.journal) {
		n = snprintf(line, sizeof line, "<%d>", (int) level);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min,
		             tm.tm_sec, ts.tv_nsec / 1000000, level_name(level));
	}
	int m = vsnprintf(line + n, sizeof line - (size_t) n - 1, fmt, ap);
	if (m < 0)
		return;
	n += NB_MIN(m, (int) sizeof line - n - 2);
	line[n++] = '\n';
	/* stderr may be a pipe: one write per line keeps lines whole */
	if (write(STDERR_FILENO, line, (size_t) n) < 0)
		logger.dropped++;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_rl(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	int64_t now = nb_now_ms();

	if (!log_enabled(level))
		return;
	if (rl->last_ms)
		rl->tokens += (double) (now - rl->last_ms) * rl->per_sec / 1000.0;
	rl->last_ms = now;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	if (rl->tokens < 1) {
		rl->suppressed++;
		return;
	}
	rl->tokens -= 1;
	if (rl->suppressed) {
		log_msg(level, "(%llu similar messages suppressed)",
		        (unsigned long long) rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
