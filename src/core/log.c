#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* The logger is the one mutable global (STYLE.md); the log context stack
 * is part of it. */
static struct {
	enum log_level level;
	bool journal;   /* stderr is the journal's stream */
	int journal_fd; /* the native socket, -1: none */
	struct sockaddr_un journal_addr;
	uint64_t dropped;
	struct log_ctx *ctx; /* innermost open context */
} logger = {.level = LOG_LVL_INFO, .journal_fd = -1};

static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long dev, ino;
	if (!js || sscanf(js, "%lu:%lu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

/* The native socket: $NETBAY_JOURNAL_SOCKET, or journald's own when
 * stderr already goes to the journal (so lines do not arrive twice). */
static void journal_open(void)
{
	const char *path = getenv("NETBAY_JOURNAL_SOCKET");
	if (!path || !*path)
		path = logger.journal && access(JOURNAL_SOCKET, W_OK) == 0 ? JOURNAL_SOCKET : NULL;
	if (logger.journal_fd >= 0)
		close(logger.journal_fd);
	logger.journal_fd = -1;
	if (!path || strlen(path) >= sizeof logger.journal_addr.sun_path)
		return;
	logger.journal_addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	snprintf(logger.journal_addr.sun_path, sizeof logger.journal_addr.sun_path, "%s", path);
	logger.journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

void log_init(enum log_level level)
{
	logger.level = level;
	logger.journal = stderr_is_journal();
	journal_open();
}

bool log_to_journal(void)
{
	return logger.journal_fd >= 0;
}

void log_ctx_push(struct log_ctx *c, const struct hwaddr *mac, uint32_t ip, const char *event)
{
	*c = (struct log_ctx){.prev = logger.ctx, .ip = ip, .event = event};
	if (mac) {
		c->mac = *mac;
		c->has_mac = true;
	}
	logger.ctx = c;
}

void log_ctx_pop(struct log_ctx *c)
{
	/* contexts close innermost first; one left open inside c closes with it */
	for (struct log_ctx *x = logger.ctx; x; x = x->prev)
		if (x == c) {
			logger.ctx = c->prev;
			return;
		}
}

void log_ctx_set_mac(const struct hwaddr *mac)
{
	if (logger.ctx && mac) {
		logger.ctx->mac = *mac;
		logger.ctx->has_mac = true;
	}
}

void log_ctx_set_ip(uint32_t ip)
{
	if (logger.ctx)
		logger.ctx->ip = ip;
}

void log_ctx_set_event(const char *event)
{
	if (logger.ctx)
		logger.ctx->event = event;
}

void log_ctx_set_device(const char *name)
{
	if (logger.ctx)
		snprintf(logger.ctx->device, sizeof logger.ctx->device, "%s", name ? name : "");
}

/* One field: KEY=VALUE\n, or the binary-safe form for a value with a
 * newline. Sticky: the first overflow makes every later call fail. */
struct jbuf {
	uint8_t *p;
	size_t len, size;
	bool full;
};

static void jb_put(struct jbuf *b, const void *data, size_t n)
{
	if (b->full || b->size - b->len < n) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void jb_field(struct jbuf *b, const char *key, const char *val, size_t n)
{
	jb_put(b, key, strlen(key));
	if (!memchr(val, '\n', n)) {
		jb_put(b, "=", 1);
		jb_put(b, val, n);
	} else {
		uint8_t le[8];
		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t) ((uint64_t) n >> (8 * i));
		jb_put(b, "\n", 1);
		jb_put(b, le, sizeof le);
		jb_put(b, val, n);
	}
	jb_put(b, "\n", 1);
}

static void jb_str(struct jbuf *b, const char *key, const char *val)
{
	jb_field(b, key, val, strlen(val));
}

int log_journal_format(enum log_level level, const char *msg, size_t msg_len,
                       const struct log_ctx *c, uint8_t *buf, size_t size)
{
	struct jbuf b = {.p = buf, .size = size};
	char prio[4], t[NB_MAX(HWADDR_STRLEN, IP4_STRLEN)];
	snprintf(prio, sizeof prio, "%d", (int) level);
	jb_str(&b, "PRIORITY", prio);
	jb_str(&b, "SYSLOG_IDENTIFIER", "netbay");
	jb_field(&b, "MESSAGE", msg, msg_len);
	if (c && c->has_mac)
		jb_str(&b, "MAC", hwaddr_fmt(&c->mac, t));
	if (c && c->ip)
		jb_str(&b, "IP", ip4_fmt(c->ip, t));
	if (c && c->event)
		jb_str(&b, "EVENT", c->event);
	if (c && c->device[0])
		jb_str(&b, "DEVICE", c->device);
	return b.full ? -ENOSPC : (int) b.len;
}

/* True when the line went to the journal. */
static bool journal_send(enum log_level level, const char *msg, size_t len)
{
	uint8_t dg[2048];
	int n = log_journal_format(level, msg, len, logger.ctx, dg, sizeof dg);
	if (n < 0)
		return false;
	return sendto(logger.journal_fd, dg, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT,
	              (struct sockaddr *) &logger.journal_addr, sizeof logger.journal_addr) == n;
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

	if (logger.journal_fd >= 0) {
		va_list aq;
		va_copy(aq, ap);
		int m = vsnprintf(line, sizeof line, fmt, aq);
		va_end(aq);
		if (m >= 0 && journal_send(level, line, (size_t) NB_MIN(m, (int) sizeof line - 1)))
			return;
		/* refused (journald gone, queue full): the line goes to stderr instead */
	}
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
