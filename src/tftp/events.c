/* The TFTP server's names and journal: file names made printable for log
 * lines and events, "who" a peer is, and one function per journal event
 * name (tftp.request, .file_missing, .refused, .busy, .error, .timeout,
 * .complete), the one place each is raised, with its log line. */
#include <stdio.h>

#include "core/net.h"
#include "core/util.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "tftp/internal.h"

/* ---- names and log lines */

/* Copies s with bytes outside printable ASCII as \xNN (log lines, journal). */
const char *tftp_printable(const char *s, char out[static PNAME_MAX])
{
	size_t n = 0;
	for (; *s && n + 5 < PNAME_MAX; s++) {
		unsigned char c = (unsigned char) *s;
		if (c >= 0x20 && c < 0x7f && c != '"')
			out[n++] = (char) c;
		else
			n += (size_t) snprintf(out + n, PNAME_MAX - n, "\\x%02x", c);
	}
	out[n] = 0;
	return out;
}

/* "10.0.0.5" or "10.0.0.5 [52:54:00:12:34:56]" when the address is known. */
const char *tftp_who(const struct tftp_server *s, uint32_t addr, char buf[static 40])
{
	char a[IP4_STRLEN], m[HWADDR_STRLEN];
	const struct hosts_entry *e =
	        s->svc.hosts ? hosts_by_addr(s->svc.hosts, addr, nb_wall_sec()) : NULL;
	if (e)
		snprintf(buf, 40, "%s [%s]", ip4_fmt(addr, a), hwaddr_fmt(&e->mac, m));
	else
		snprintf(buf, 40, "%s", ip4_fmt(addr, a));
	return buf;
}

/* ---- the journal: one function per event name, the one place it is raised */

void tftp_ev_request(struct tftp_server *s, uint32_t peer, const struct tftp_msg *m)
{
	char n[PNAME_MAX];
	const struct tftp_opts *o = &m->opts;
	unsigned has = 0;
	if (o->present & TFTP_OPT_BLKSIZE)
		has |= JOURNAL_HAS_BLKSIZE;
	if (o->present & TFTP_OPT_TSIZE)
		has |= JOURNAL_HAS_TSIZE;
	if (o->present & TFTP_OPT_TIMEOUT)
		has |= JOURNAL_HAS_TIMEOUT;
	if (o->present & TFTP_OPT_WINDOWSIZE)
		has |= JOURNAL_HAS_WINDOWSIZE;
	journal_emit(s->svc.journal,
	             &(struct journal_fact){.kind = JOURNAL_TFTP_REQUEST,
	                                    .ip = peer,
	                                    .has = has,
	                                    .method = m->op == TFTP_WRQ ? "write" : "read",
	                                    .file = tftp_printable(m->name, n),
	                                    .state = tftp_mode_name(m->mode),
	                                    .blksize = o->blksize,
	                                    .tsize = o->tsize,
	                                    .timeout_sec = o->timeout_sec,
	                                    .windowsize = o->windowsize});
	if (log_enabled(LOG_LVL_DEBUG)) {
		char w[40];
		char opts[96] = "";
		size_t k = 0;
		if (o->present & TFTP_OPT_BLKSIZE)
			k += (size_t) snprintf(opts + k, sizeof opts - k, " blksize=%u",
			                       o->blksize);
		if ((o->present & TFTP_OPT_TSIZE) && k < sizeof opts)
			k += (size_t) snprintf(opts + k, sizeof opts - k, " tsize=%llu",
			                       (unsigned long long) o->tsize);
		if ((o->present & TFTP_OPT_TIMEOUT) && k < sizeof opts)
			k += (size_t) snprintf(opts + k, sizeof opts - k, " timeout=%u",
			                       o->timeout_sec);
		if ((o->present & TFTP_OPT_WINDOWSIZE) && k < sizeof opts)
			snprintf(opts + k, sizeof opts - k, " windowsize=%u", o->windowsize);
		log_debug("tftp: %s: %s request for \"%s\" (%s%s)", tftp_who(s, peer, w),
		          m->op == TFTP_WRQ ? "write" : "read", n, tftp_mode_name(m->mode), opts);
	}
}

void tftp_ev_file_missing(struct tftp_server *s, uint32_t peer, const char *name, const char *why)
{
	char n[PNAME_MAX], w[40];
	tftp_printable(name, n);
	journal_emit(s->svc.journal, &(struct journal_fact){.kind = JOURNAL_TFTP_FILE_MISSING,
	                                                    .ip = peer,
	                                                    .file = n,
	                                                    .reason = why});
	log_rl(&s->rl_req, LOG_LVL_INFO, "tftp: %s: \"%s\": %s", tftp_who(s, peer, w), n, why);
}

void tftp_ev_refused(struct tftp_server *s, uint32_t peer, const char *name, const char *why)
{
	char n[PNAME_MAX], w[40];
	tftp_printable(name, n);
	journal_emit(s->svc.journal,
	             &(struct journal_fact){
	                     .kind = JOURNAL_TFTP_REFUSED, .ip = peer, .file = n, .reason = why});
	log_rl(&s->rl_req, LOG_LVL_WARN, "tftp: %s: \"%s\" refused: %s", tftp_who(s, peer, w), n,
	       why);
}

void tftp_ev_busy(struct tftp_server *s, uint32_t peer, const char *name, const char *why)
{
	char n[PNAME_MAX], w[40];
	tftp_printable(name, n);
	journal_emit(s->svc.journal, &(struct journal_fact){.kind = JOURNAL_TFTP_BUSY,
	                                                    .ip = peer,
	                                                    .file = n,
	                                                    .transfers = (unsigned) s->n_xfers,
	                                                    .reason = why});
	log_rl(&s->rl_req, LOG_LVL_WARN, "tftp: %s: \"%s\": server busy (%s)", tftp_who(s, peer, w),
	       n, why);
}

/* A request or transfer that failed for another reason; name is printable. */
void tftp_ev_error(struct tftp_server *s, uint32_t peer, const char *pname, const char *why)
{
	char w[40];
	journal_emit(s->svc.journal,
	             &(struct journal_fact){
	                     .kind = JOURNAL_TFTP_ERROR, .ip = peer, .file = pname, .reason = why});
	log_rl(&s->rl_req, LOG_LVL_WARN, "tftp: %s: \"%s\": %s", tftp_who(s, peer, w), pname, why);
}

static uint64_t bytes_acked(const struct xfer *x)
{
	uint64_t b = x->acked * x->blksize;
	return x->mode == TFTP_MODE_OCTET && b > x->size ? x->size : b;
}

void tftp_ev_timeout(struct xfer *x)
{
	struct tftp_server *s = x->srv;
	char w[40];
	/* the numbers first: a long name is what the detail's size cuts */
	journal_emit(s->svc.journal, &(struct journal_fact){.kind = JOURNAL_TFTP_TIMEOUT,
	                                                    .ip = x->peer,
	                                                    .file = x->name,
	                                                    .block = x->acked,
	                                                    .bytes = bytes_acked(x),
	                                                    .retries = x->retries - 1,
	                                                    .blksize = x->blksize});
	log_rl(&s->rl_req, LOG_LVL_WARN,
	       "tftp: %s: \"%s\": client stopped answering after block %llu (%llu bytes), giving "
	       "up after %u retries",
	       tftp_who(s, x->peer, w), x->name, (unsigned long long) x->acked,
	       (unsigned long long) bytes_acked(x), x->retries - 1);
}

void tftp_ev_complete(struct xfer *x, uint64_t bytes)
{
	struct tftp_server *s = x->srv;
	char w[40];
	int64_t ms = now_ms(s) - x->start_ms;
	journal_emit(s->svc.journal, &(struct journal_fact){.kind = JOURNAL_TFTP_COMPLETE,
	                                                    .ip = x->peer,
	                                                    .file = x->name,
	                                                    .bytes = bytes,
	                                                    .ms = ms,
	                                                    .blksize = x->blksize,
	                                                    .windowsize = x->window,
	                                                    .timeouts = x->timeouts});
	log_rl(&s->rl_done, LOG_LVL_INFO,
	       "tftp: %s: sent \"%s\", %llu bytes in %.3f s (blksize %u, window %u%s)",
	       tftp_who(s, x->peer, w), x->name, (unsigned long long) bytes, (double) ms / 1000.0,
	       x->blksize, x->window, x->timeouts ? ", resent after timeouts" : "");
}
