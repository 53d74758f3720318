/* Logging with levels to stderr. When stderr is the journal (JOURNAL_STREAM
 * matches it), lines carry the <N> syslog priority prefix and no timestamp;
 * otherwise a timestamp and the level name. Logging never blocks the loop
 * for long: stderr is written with one write(2) per line and a full pipe
 * drops the line (counted) rather than waiting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warning", "info", "debug" -> level; -EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *ret);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) NB_PRINTF(2, 3);

#define log_err(...)  log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_enabled(LOG_LVL_DEBUG))                                                    \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                       \
	} while (0)

/* A token bucket for log lines a peer can trigger (bad packets): at most
 * burst lines, refilled at per_sec; suppressed lines are counted and the
 * next line that passes says how many were dropped. */
struct log_ratelimit {
	uint32_t per_sec, burst;
	double tokens;
	int64_t last_ms;
	uint64_t suppressed;
};
#define LOG_RATELIMIT_INIT(rate, b)                                                                \
	{                                                                                          \
		.per_sec = (rate), .burst = (b), .tokens = (b), .last_ms = 0                       \
	}

void log_rl(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...) NB_PRINTF(3, 4);
