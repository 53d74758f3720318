/* Logging with levels to stderr, or to the journal with fields.
 *
 * Where lines go, chosen by log_init():
 *   - the journal's native socket, when stderr is the journal
 *     (JOURNAL_STREAM matches it) and /run/systemd/journal/socket exists,
 *     or when $NETBAY_JOURNAL_SOCKET names another socket (tests): each
 *     line is one datagram of KEY=VALUE fields (PRIORITY, MESSAGE,
 *     SYSLOG_IDENTIFIER=netbay, and MAC, IP, EVENT, DEVICE from the log
 *     context below), so `journalctl MAC=52:54:00:12:34:56` follows one
 *     machine. A datagram the socket refuses is written to stderr instead;
 *   - else stderr: with the <N> priority prefix when stderr is the
 *     journal's stream, else a timestamp and the level name.
 * Logging never blocks the loop for long: one non-blocking datagram or one
 * write(2) per line; a full pipe drops the line (counted) rather than
 * waiting.
 *
 * The log context: what the lines logged now are about. A packet handler
 * opens one (LOG_CTX) with the client it serves, and every line logged
 * until it returns, by it or by what it calls (registry, journal, store),
 * carries that client's fields without the text being parsed and without
 * a parameter threaded through every function. Contexts nest (the inner
 * one wins) and close when their scope ends (the cleanup attribute), so a
 * context never outlives the packet it was opened for. */
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

/* Whether lines go to the journal's native socket (with fields). */
bool log_to_journal(void);

struct log_ctx {
	struct log_ctx *prev;
	struct hwaddr mac; /* MAC=, when has_mac */
	bool has_mac;
	uint32_t ip;       /* IP=, host order; 0: none */
	const char *event; /* EVENT=, a stable name with static storage ("dhcp.request") */
	char device[64];   /* DEVICE=, the registry's name for the machine; "": none */
};

/* Opens a context for this scope; mac and event may be NULL, ip 0. */
#define LOG_CTX(name, mac_, ip_, event_)                                                           \
	NB_CLEANUP(log_ctx_pop) struct log_ctx name = {0};                                         \
	log_ctx_push(&name, (mac_), (ip_), (event_))

void log_ctx_push(struct log_ctx *c, const struct hwaddr *mac, uint32_t ip, const char *event);
/* Closes c (and any context opened inside it and not closed). */
void log_ctx_pop(struct log_ctx *c);
/* Change the innermost open context; no-ops when none is open. */
void log_ctx_set_mac(const struct hwaddr *mac);
void log_ctx_set_ip(uint32_t ip);
void log_ctx_set_event(const char *event);
void log_ctx_set_device(const char *name);

/* The journal datagram of one line (for tests and log.c): the fields of
 * the innermost context c (NULL: none) after PRIORITY, SYSLOG_IDENTIFIER
 * and MESSAGE; a value holding a newline in the binary-safe form (KEY,
 * newline, 64-bit little-endian length, value, newline). Returns the
 * length written, or -ENOSPC when buf is too small. */
int log_journal_format(enum log_level level, const char *msg, size_t msg_len,
                       const struct log_ctx *c, uint8_t *buf, size_t size);
