#include "tftp/tftp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/jail.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/util.h"
#include "core/wire.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "tftp/wire.h"

#define LISTEN_BUFSIZE   2048 /* requests; RFC 2347 keeps them under 512 */
#define LISTEN_BATCH     32
#define LISTEN_ROUNDS    4           /* batches per wakeup before others get a turn */
#define READAHEAD_BYTES  (64 * 1024) /* file bytes read ahead at least */
#define WINDOW_BYTES_MAX (1024 * 1024)
#define MAX_SLOTS        1024                    /* IOV_MAX: one preadv fills the read-ahead */
#define SEND_BATCH       64                      /* datagrams per sendmmsg */
#define GSO_MAX_SEGS     64                      /* datagrams per UDP GSO send */
#define GSO_MAX_BYTES    60000                   /* a GSO send stays under the 64 KiB IP limit */
#define BACKOFF_FACTOR   8                       /* the retransmission timeout grows up to 8x */
#define PNAME_MAX        (TFTP_NAME_MAX * 4 + 1) /* a name with every byte escaped */

struct tftp_server;

/* The socket requests arrive on (and single-port transfers run from). */
struct listener {
	struct tftp_server *srv;
	int fd;
	struct loop_io *io;
	uint32_t addr;
	uint16_t port;
	bool want_out;        /* EPOLLOUT requested */
	struct xfer *blocked; /* single-port transfers waiting to send */
};

struct xfer {
	struct tftp_server *srv;
	struct xfer *hnext;         /* demux chain, by peer address and port */
	struct xfer *prev, *next;   /* every transfer */
	struct xfer *bprev, *bnext; /* the listener's blocked list */
	bool blocked;

	struct listener *lst; /* single-port: the listener's socket; NULL: own socket */
	int sock;
	struct loop_io *io;
	struct loop_timer *timer;
	int file;

	uint32_t peer, local;
	uint16_t peer_port;
	char name[PNAME_MAX]; /* the mapped name, printable */
	enum tftp_mode mode;
	struct tftp_opts granted;
	uint64_t size; /* octet: the file's size at open */
	uint32_t blksize, window;
	uint32_t rto_base_ms, rto_ms;
	unsigned retries;  /* timeouts in a row */
	unsigned timeouts; /* over the whole transfer */
	int64_t start_ms;

	bool gso;                    /* windows go out as UDP GSO trains */
	bool oack;                   /* an OACK is out, waiting for ACK 0 */
	bool dup_resent;             /* a duplicate ACK already restarted this window */
	uint64_t acked, sent;        /* highest block acknowledged, highest handed to the kernel */
	uint64_t next_send, send_to; /* the window being sent (blocked sends resume here) */
	uint64_t last;               /* the final block; 0 while unknown (netascii) */

	/* read-ahead ring: blocks [cache_first, cache_end), block b in slot b % n_slots */
	uint8_t *buf;
	uint32_t *slot_len;
	size_t slot_size;
	uint32_t n_slots;
	uint64_t cache_first, cache_end;
	/* netascii: where the next block to encode starts */
	uint64_t na_off;
	int na_carry;
};

struct tftp_server {
	struct nb_services svc;
	struct conf_tftp_copy {
		char root[CONF_PATH_MAX];
		bool enable, single_port, case_insensitive;
		uint32_t listen, port, max_blksize, max_windowsize, timeout_sec, retries,
		        max_transfers;
	} cfg;
	int ifindex[CONF_MAX_LIST];
	size_t n_ifindex; /* 0: every interface */
	int root_fd;
	struct listener *lst;
	struct net_batch *batch;
	uint8_t *scratch; /* netascii input */

	struct xfer **table;
	size_t table_size, n_xfers;
	struct xfer *all;

	struct log_ratelimit rl_bad, rl_req;
};

/* ---- names and log lines */

/* Copies s with bytes outside printable ASCII as \xNN (log lines, journal). */
static const char *printable(const char *s, char out[static PNAME_MAX])
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
static const char *who(const struct tftp_server *s, uint32_t addr, char buf[static 40])
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

static int64_t now_ms(const struct tftp_server *s)
{
	return loop_now_ms(s->svc.loop);
}

/* ---- the journal: one function per event name, the one place it is raised */

static void ev_request(struct tftp_server *s, uint32_t peer, const struct tftp_msg *m)
{
	char n[PNAME_MAX], opts[96] = "";
	size_t k = 0;
	const struct tftp_opts *o = &m->opts;
	if (o->present & TFTP_OPT_BLKSIZE)
		k += (size_t) snprintf(opts + k, sizeof opts - k, " blksize=%u", o->blksize);
	if ((o->present & TFTP_OPT_TSIZE) && k < sizeof opts)
		k += (size_t) snprintf(opts + k, sizeof opts - k, " tsize=%llu",
		                       (unsigned long long) o->tsize);
	if ((o->present & TFTP_OPT_TIMEOUT) && k < sizeof opts)
		k += (size_t) snprintf(opts + k, sizeof opts - k, " timeout=%u", o->timeout_sec);
	if ((o->present & TFTP_OPT_WINDOWSIZE) && k < sizeof opts)
		snprintf(opts + k, sizeof opts - k, " windowsize=%u", o->windowsize);
	journal_event(s->svc.journal, NULL, peer, "tftp.request", "%s file=\"%s\" mode=%s%s",
	              m->op == TFTP_WRQ ? "write" : "read", printable(m->name, n),
	              tftp_mode_name(m->mode), opts);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char w[40];
		log_debug("tftp: %s: %s request for \"%s\" (%s%s)", who(s, peer, w),
		          m->op == TFTP_WRQ ? "write" : "read", n, tftp_mode_name(m->mode), opts);
	}
}

static void ev_file_missing(struct tftp_server *s, uint32_t peer, const char *name, const char *why)
{
	char n[PNAME_MAX], w[40];
	printable(name, n);
	journal_event(s->svc.journal, NULL, peer, "tftp.file_missing", "file=\"%s\" (%s)", n, why);
	log_rl(&s->rl_req, LOG_LVL_INFO, "tftp: %s: \"%s\": %s", who(s, peer, w), n, why);
}

static void ev_refused(struct tftp_server *s, uint32_t peer, const char *name, const char *why)
{
	char n[PNAME_MAX], w[40];
	printable(name, n);
	journal_event(s->svc.journal, NULL, peer, "tftp.refused", "file=\"%s\" (%s)", n, why);
	log_rl(&s->rl_req, LOG_LVL_WARN, "tftp: %s: \"%s\" refused: %s", who(s, peer, w), n, why);
}

static void ev_busy(struct tftp_server *s, uint32_t peer, const char *name)
{
	char n[PNAME_MAX], w[40];
	printable(name, n);
	journal_event(s->svc.journal, NULL, peer, "tftp.busy", "file=\"%s\" transfers=%zu", n,
	              s->n_xfers);
	log_rl(&s->rl_req, LOG_LVL_WARN,
	       "tftp: %s: \"%s\": server busy (%zu transfers, max-transfers = %u)", who(s, peer, w),
	       n, s->n_xfers, s->cfg.max_transfers);
}

/* A request or transfer that failed for another reason; name is printable. */
static void ev_error(struct tftp_server *s, uint32_t peer, const char *pname, const char *why)
{
	char w[40];
	journal_event(s->svc.journal, NULL, peer, "tftp.error", "file=\"%s\" (%s)", pname, why);
	log_rl(&s->rl_req, LOG_LVL_WARN, "tftp: %s: \"%s\": %s", who(s, peer, w), pname, why);
}

static uint64_t bytes_acked(const struct xfer *x)
{
	uint64_t b = x->acked * x->blksize;
	return x->mode == TFTP_MODE_OCTET && b > x->size ? x->size : b;
}

static void ev_timeout(struct xfer *x)
{
	struct tftp_server *s = x->srv;
	char w[40];
	journal_event(s->svc.journal, NULL, x->peer, "tftp.timeout",
	              "file=\"%s\" last_acked_block=%llu bytes_acked=%llu retries=%u", x->name,
	              (unsigned long long) x->acked, (unsigned long long) bytes_acked(x),
	              x->retries - 1);
	log_rl(&s->rl_req, LOG_LVL_WARN,
	       "tftp: %s: \"%s\": client stopped answering after block %llu (%llu bytes), giving "
	       "up after %u retries",
	       who(s, x->peer, w), x->name, (unsigned long long) x->acked,
	       (unsigned long long) bytes_acked(x), x->retries - 1);
}

static void ev_complete(struct xfer *x, uint64_t bytes)
{
	struct tftp_server *s = x->srv;
	char w[40];
	int64_t ms = now_ms(s) - x->start_ms;
	journal_event(s->svc.journal, NULL, x->peer, "tftp.complete",
	              "file=\"%s\" bytes=%llu ms=%lld blksize=%u windowsize=%u timeouts=%u",
	              x->name, (unsigned long long) bytes, (long long) ms, x->blksize, x->window,
	              x->timeouts);
	log_rl(&s->rl_req, LOG_LVL_INFO,
	       "tftp: %s: sent \"%s\", %llu bytes in %.3f s (blksize %u, window %u%s)",
	       who(s, x->peer, w), x->name, (unsigned long long) bytes, (double) ms / 1000.0,
	       x->blksize, x->window, x->timeouts ? ", resent after timeouts" : "");
}

/* ---- the demux table: transfers by peer address and port */

static size_t slot_of_peer(const struct tftp_server *s, uint32_t addr, uint16_t port)
{
	uint8_t k[6] = {(uint8_t) (addr >> 24), (uint8_t) (addr >> 16), (uint8_t) (addr >> 8),
	                (uint8_t) addr,         (uint8_t) (port >> 8),  (uint8_t) port};
	return (size_t) nb_hash(k, sizeof k, 69) & (s->table_size - 1);
}

static struct xfer *xfer_find(const struct tftp_server *s, uint32_t addr, uint16_t port)
{
	for (struct xfer *x = s->table[slot_of_peer(s, addr, port)]; x; x = x->hnext)
		if (x->peer == addr && x->peer_port == port)
			return x;
	return NULL;
}

static int table_grow(struct tftp_server *s)
{
	size_t n = s->table_size * 2;
	struct xfer **t = calloc(n, sizeof *t);
	if (!t)
		return -ENOMEM;
	struct xfer **old = s->table;
	size_t old_n = s->table_size;
	s->table = t;
	s->table_size = n;
	for (size_t i = 0; i < old_n; i++)
		while (old[i]) {
			struct xfer *x = old[i];
			old[i] = x->hnext;
			size_t k = slot_of_peer(s, x->peer, x->peer_port);
			x->hnext = t[k];
			t[k] = x;
		}
	free(old);
	return 0;
}

static int xfer_link(struct tftp_server *s, struct xfer *x)
{
	if (s->n_xfers >= s->table_size && table_grow(s) < 0)
		return -ENOMEM;
	size_t k = slot_of_peer(s, x->peer, x->peer_port);
	x->hnext = s->table[k];
	s->table[k] = x;
	x->next = s->all;
	if (s->all)
		s->all->prev = x;
	s->all = x;
	s->n_xfers++;
	return 0;
}

static void xfer_unlink(struct tftp_server *s, struct xfer *x)
{
	for (struct xfer **p = &s->table[slot_of_peer(s, x->peer, x->peer_port)]; *p;
	     p = &(*p)->hnext)
		if (*p == x) {
			*p = x->hnext;
			break;
		}
	if (x->prev)
		x->prev->next = x->next;
	else
		s->all = x->next;
	if (x->next)
		x->next->prev = x->prev;
	s->n_xfers--;
}

/* ---- listener's blocked list (single-port transfers waiting for room) */

static void listener_want_out(struct listener *l, bool on)
{
	if (l->want_out == on)
		return;
	l->want_out = on;
	(void) loop_io_set_events(l->io, EPOLLIN | (on ? EPOLLOUT : 0));
}

static void block_add(struct xfer *x)
{
	if (x->blocked)
		return;
	x->blocked = true;
	if (!x->lst) {
		(void) loop_io_set_events(x->io, EPOLLIN | EPOLLOUT);
		return;
	}
	x->bprev = NULL;
	x->bnext = x->lst->blocked;
	if (x->bnext)
		x->bnext->bprev = x;
	x->lst->blocked = x;
	listener_want_out(x->lst, true);
}

static void block_del(struct xfer *x)
{
	if (!x->blocked)
		return;
	x->blocked = false;
	if (!x->lst) {
		(void) loop_io_set_events(x->io, EPOLLIN);
		return;
	}
	if (x->bprev)
		x->bprev->bnext = x->bnext;
	else
		x->lst->blocked = x->bnext;
	if (x->bnext)
		x->bnext->bprev = x->bprev;
	x->bprev = x->bnext = NULL;
}

/* ---- ending a transfer */

static void xfer_free(struct xfer *x)
{
	struct tftp_server *s = x->srv;
	block_del(x);
	xfer_unlink(s, x);
	loop_io_free(x->io);
	if (!x->lst && x->sock >= 0)
		close(x->sock);
	loop_timer_free(x->timer);
	if (x->file >= 0)
		close(x->file);
	free(x->buf);
	free(x->slot_len);
	free(x);
}

/* Sends one small packet (OACK, ERROR) to the transfer's peer. */
static void xfer_send_small(struct xfer *x, const void *buf, size_t len)
{
	int r;
	if (x->lst)
		r = net_send(x->sock, buf, len, x->peer, x->peer_port, x->local, 0);
	else
		r = send(x->sock, buf, len, MSG_DONTWAIT) < 0 ? -errno : 0;
	if (r < 0)
		log_debug("tftp: send to peer: %s", strerror(-r));
}

/* Tells the peer why (an ERROR packet), records it, and ends the transfer. */
static void xfer_fail(struct xfer *x, enum tftp_err code, const char *msg, const char *why)
{
	uint8_t pkt[160];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	if (tftp_write_error(&b, code, msg) == 0)
		xfer_send_small(x, pkt, wbuf_len(&b));
	ev_error(x->srv, x->peer, x->name, why);
	xfer_free(x);
}

/* ---- reading the file into the ring */

static uint8_t *slot_ptr(const struct xfer *x, uint64_t block)
{
	return x->buf + (size_t) (block % x->n_slots) * x->slot_size;
}

static uint32_t octet_len(const struct xfer *x, uint64_t block)
{
	return block < x->last ? x->blksize
	                       : (uint32_t) (x->size - (x->last - 1) * (uint64_t) x->blksize);
}

static void slot_hdr(struct xfer *x, uint64_t block, uint32_t len)
{
	struct wbuf b = wbuf_init(slot_ptr(x, block), TFTP_HDR_LEN);
	(void) tftp_write_data_hdr(&b, (uint16_t) block); /* RFC 1350 block numbers wrap to 0 */
	x->slot_len[block % x->n_slots] = len;
}

/* Reads every free slot ahead (up to the last block) with one preadv. */
static int fill_octet(struct xfer *x)
{
	struct iovec iov[MAX_SLOTS];
	uint64_t end = NB_MIN(x->cache_first + x->n_slots, x->last + 1);
	size_t n = 0, want = 0;
	if (x->cache_end >= end)
		return 0;
	for (uint64_t b = x->cache_end; b < end; b++) {
		uint32_t len = octet_len(x, b);
		slot_hdr(x, b, len);
		iov[n++] = (struct iovec){slot_ptr(x, b) + TFTP_HDR_LEN, len};
		want += len;
	}
	ssize_t r = preadv(x->file, iov, (int) n, (off_t) ((x->cache_end - 1) * x->blksize));
	if (r < 0)
		return -errno;
	if ((size_t) r != want)
		return -ESTALE; /* the file shrank under us */
	x->cache_end = end;
	return 0;
}

/* Encodes the next block in netascii; notes the last block when it is short. */
static int fill_netascii_one(struct xfer *x)
{
	uint64_t b = x->cache_end;
	uint8_t *out = slot_ptr(x, b) + TFTP_HDR_LEN;
	size_t len = 0;
	bool eof = false;
	while (len < x->blksize && !eof) {
		size_t used, want = x->blksize - len;
		ssize_t r = 0;
		if (x->na_carry < 0) {
			r = pread(x->file, x->srv->scratch, want, (off_t) x->na_off);
			if (r < 0)
				return -errno;
			eof = r == 0;
		}
		len += tftp_netascii_encode(x->srv->scratch, (size_t) r, out + len,
		                            x->blksize - len, &x->na_carry, &used);
		x->na_off += used;
	}
	slot_hdr(x, b, (uint32_t) len);
	if (len < x->blksize)
		x->last = b;
	x->cache_end = b + 1;
	return 0;
}

/* Makes blocks acked+1 .. upto (as far as the file goes) available. */
static int cache_fill(struct xfer *x, uint64_t upto)
{
	if (x->cache_first <= x->acked) {
		x->cache_first = x->acked + 1; /* acknowledged blocks are never sent again */
		if (x->cache_end < x->cache_first)
			x->cache_end = x->cache_first;
	}
	if (x->mode == TFTP_MODE_OCTET)
		return x->cache_end > upto ? 0 : fill_octet(x);
	while (x->cache_end <= upto && (x->last == 0 || x->cache_end <= x->last) &&
	       x->cache_end < x->cache_first + x->n_slots) {
		int r = fill_netascii_one(x);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- sending */

/* Where and from where a transfer's datagrams go: nothing for a connected
 * socket; the peer and the source address (IP_PKTINFO) in single-port mode. */
struct dest {
	struct sockaddr_in to;
	union {
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
};

/* Fills h's address and control for x; gso_size > 0 adds UDP_SEGMENT. */
static void dest_set(const struct xfer *x, struct dest *d, struct msghdr *h, uint16_t gso_size)
{
	size_t len = 0;
	memset(&d->ctl, 0, sizeof d->ctl);
	if (x->lst) {
		d->to = (struct sockaddr_in){.sin_family = AF_INET,
		                             .sin_port = htons(x->peer_port),
		                             .sin_addr.s_addr = htonl(x->peer)};
		h->msg_name = &d->to;
		h->msg_namelen = sizeof d->to;
	}
	h->msg_control = d->ctl.buf;
	h->msg_controllen = sizeof d->ctl.buf;
	struct cmsghdr *cm = CMSG_FIRSTHDR(h);
	if (x->lst && x->local) {
		struct in_pktinfo pi = {.ipi_spec_dst.s_addr = htonl(x->local)};
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
		len += CMSG_SPACE(sizeof pi);
		cm = CMSG_NXTHDR(h, cm);
	}
	if (gso_size) {
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof gso_size);
		memcpy(CMSG_DATA(cm), &gso_size, sizeof gso_size);
		len += CMSG_SPACE(sizeof gso_size);
	}
	h->msg_controllen = len;
	if (!len)
		h->msg_control = NULL;
}

/* How many blocks from next_send can go as one UDP GSO train: consecutive
 * in the ring, every one full but the last. */
static size_t gso_run(const struct xfer *x)
{
	size_t n = 0;
	uint64_t b = x->next_send;
	size_t max = NB_MIN((size_t) GSO_MAX_SEGS, GSO_MAX_BYTES / x->slot_size);
	while (b <= x->send_to && n < max) {
		n++;
		if (x->slot_len[b % x->n_slots] != x->blksize || (b + 1) % x->n_slots == 0)
			break; /* a short block ends a train, and so does the ring's end */
		b++;
	}
	return n;
}

/* Sends n blocks from next_send as one sendmsg the kernel cuts into
 * datagrams (UDP_SEGMENT): one pass through the stack for a window. */
static int send_gso(struct xfer *x, size_t n)
{
	struct dest d;
	uint64_t last = x->next_send + n - 1;
	struct iovec iov = {slot_ptr(x, x->next_send),
	                    (n - 1) * x->slot_size + TFTP_HDR_LEN + x->slot_len[last % x->n_slots]};
	struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
	dest_set(x, &d, &h, (uint16_t) x->slot_size);
	return sendmsg(x->sock, &h, MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* Sends up to n blocks from next_send with one sendmmsg; returns how many
 * went out or -errno. */
static int send_batch(struct xfer *x, size_t n)
{
	struct mmsghdr msgs[SEND_BATCH];
	struct iovec iov[SEND_BATCH];
	struct dest d;
	n = NB_MIN(n, (size_t) SEND_BATCH);
	for (size_t i = 0; i < n; i++) {
		uint64_t b = x->next_send + i;
		iov[i] = (struct iovec){slot_ptr(x, b), TFTP_HDR_LEN + x->slot_len[b % x->n_slots]};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		dest_set(x, &d, &msgs[i].msg_hdr, 0); /* the same address for all */
	}
	int r = sendmmsg(x->sock, msgs, (unsigned) n, MSG_DONTWAIT);
	return r < 0 ? -errno : r;
}

/* Sends blocks next_send .. send_to; parks the transfer when the socket is
 * full and resumes from the same block when it drains. */
static void xfer_flush(struct xfer *x)
{
	while (x->next_send <= x->send_to) {
		size_t left = (size_t) NB_MIN(x->send_to - x->next_send + 1, (uint64_t) SEND_BATCH);
		size_t run = x->gso ? gso_run(x) : 0;
		int r;
		if (run >= 2) {
			r = send_gso(x, run);
			if (r == -EINVAL || r == -EIO || r == -EOPNOTSUPP || r == -EMSGSIZE) {
				/* no GSO on this path (old kernel, no checksum offload, MTU) */
				log_debug(
				        "tftp: UDP GSO refused (%s), sending datagrams one by one",
				        strerror(-r));
				x->gso = false;
				continue;
			}
			r = r < 0 ? r : (int) run;
		} else {
			r = send_batch(x, x->gso ? 1 : left);
		}
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			block_add(x);
			return;
		}
		if (r <= 0) {
			/* dropped (ENOBUFS, a pending ICMP error...): the timer resends */
			log_debug("tftp: send: %s", r < 0 ? strerror(-r) : "nothing sent");
			r = (int) (run >= 2 ? run : 1);
		}
		x->next_send += (uint64_t) r;
		x->sent = NB_MAX(x->sent, x->next_send - 1);
	}
	block_del(x);
}

static bool xfer_send_window(struct xfer *x)
{
	uint64_t from = x->acked + 1, to = x->acked + x->window;
	if (x->last)
		to = NB_MIN(to, x->last);
	int r = cache_fill(x, to);
	if (r < 0) {
		char why[96];
		snprintf(why, sizeof why, "reading the file failed: %s",
		         r == -ESTALE ? "it shrank during the transfer" : strerror(-r));
		xfer_fail(x, TFTP_EUNDEF, "read error", why);
		return false;
	}
	if (x->last)
		to = NB_MIN(to, x->last);
	to = NB_MIN(to, x->cache_end - 1);
	x->next_send = from;
	x->send_to = to;
	xfer_flush(x);
	loop_timer_arm(x->timer, x->rto_ms);
	/* read the next window while the client works through this one, so
	 * its ACK is answered without touching the file (an error here shows
	 * again, and is reported, when the blocks are needed) */
	if (x->mode == TFTP_MODE_OCTET && x->cache_end <= x->send_to + x->window)
		(void) fill_octet(x);
	return true;
}

static void xfer_send_oack(struct xfer *x)
{
	uint8_t pkt[128];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	if (tftp_write_oack(&b, &x->granted) == 0)
		xfer_send_small(x, pkt, wbuf_len(&b));
	loop_timer_arm(x->timer, x->rto_ms);
}

/* ---- a transfer's packets */

static void xfer_complete(struct xfer *x)
{
	uint64_t bytes = x->mode == TFTP_MODE_OCTET ? x->size
	                                            : (x->last - 1) * (uint64_t) x->blksize +
	                                                      x->slot_len[x->last % x->n_slots];
	ev_complete(x, bytes);
	xfer_free(x);
}

static void xfer_on_ack(struct xfer *x, uint16_t block)
{
	if (x->oack) {
		if (block != 0)
			return;
		x->oack = false; /* RFC 2347: ACK 0 accepts the OACK */
	} else {
		uint64_t delta = (uint16_t) (block - (uint16_t) x->acked);
		if (delta == 0) {
			/* RFC 1123 4.2.3.1: no resend on a duplicate ACK in lock-step
			 * (Sorcerer's Apprentice); in a window it says the block after
			 * it was lost (RFC 7440), worth one early restart */
			if (x->window > 1 && x->sent > x->acked && !x->dup_resent) {
				x->dup_resent = true;
				(void) xfer_send_window(x);
			}
			return;
		}
		if (delta > x->sent - x->acked)
			return; /* not a block in flight: stale or bogus */
		x->acked += delta;
	}
	x->dup_resent = false;
	x->retries = 0;
	x->rto_ms = x->rto_base_ms;
	if (x->last && x->acked >= x->last) {
		xfer_complete(x);
		return;
	}
	/* RFC 7440: the next window starts after the block acknowledged */
	(void) xfer_send_window(x);
}

static void xfer_on_packet(struct xfer *x, const uint8_t *buf, size_t len)
{
	struct tftp_msg m;
	char why[TFTP_ERRMSG_MAX * 4 + 64], msg[PNAME_MAX];
	if (tftp_msg_parse(buf, len, &m) < 0)
		return;
	switch (m.op) {
	case TFTP_ACK:
		xfer_on_ack(x, m.block);
		break;
	case TFTP_ERROR:
		snprintf(why, sizeof why, "the client aborted: error %u \"%s\"", m.err_code,
		         printable(m.err_msg, msg));
		ev_error(x->srv, x->peer, x->name, why);
		xfer_free(x);
		break;
	default:
		break; /* RRQ repeats, stray DATA: nothing to do */
	}
}

static void xfer_on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct xfer *x = data;
	uint8_t buf[LISTEN_BUFSIZE];
	if (events & EPOLLOUT) {
		xfer_flush(x);
		if (!(events & EPOLLIN))
			return;
	}
	/* level-triggered: one datagram now, the loop calls again for the next */
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0) {
		/* ECONNREFUSED: an ICMP error; spoofable, so the timer decides */
		return;
	}
	xfer_on_packet(x, buf, (size_t) n);
}

static void xfer_on_timer(struct loop_timer *t, void *data)
{
	struct xfer *x = data;
	struct tftp_server *s = x->srv;
	char w[40];
	if (x->retries++ >= s->cfg.retries) {
		ev_timeout(x);
		xfer_free(x);
		return;
	}
	x->timeouts++;
	x->rto_ms = (uint32_t) NB_MIN((uint64_t) x->rto_ms * 2,
	                              (uint64_t) x->rto_base_ms * BACKOFF_FACTOR);
	log_debug("tftp: %s: \"%s\": no answer, resending from block %llu", who(s, x->peer, w),
	          x->name, (unsigned long long) x->acked + 1);
	if (x->oack)
		xfer_send_oack(x);
	else
		(void) xfer_send_window(x);
}

/* ---- starting a transfer */

static int udp_connect(int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	return connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ? -errno : 0;
}

/* The transfer's own socket: a new port (RFC 1350 TID) on the address the
 * client asked, connected to the client so the kernel drops other peers. */
static int xfer_socket(struct xfer *x)
{
	int fd = net_udp_socket(x->local, 0, NULL, 0);
	if (fd == -EADDRNOTAVAIL) {
		x->local = 0;
		fd = net_udp_socket(0, 0, NULL, 0);
	}
	if (fd < 0)
		return fd;
	int r = udp_connect(fd, x->peer, x->peer_port);
	if (r < 0) {
		close(fd);
		return r;
	}
	int mtu = 0;
	socklen_t ml = sizeof mtu;
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &ml) == 0)
		x->gso = x->window > 1 && x->slot_size + 28 <= (size_t) mtu;
	size_t window_bytes = (size_t) x->window * (x->blksize + 64);
	if (window_bytes > 64 * 1024) {
		int sz = (int) NB_MIN(window_bytes * 4, (size_t) 16 << 20);
		(void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	x->sock = fd;
	return 0;
}

static int xfer_buffers(struct xfer *x)
{
	uint64_t slots = x->window;
	if (x->mode == TFTP_MODE_OCTET) {
		/* the window in flight and the next one, or 64 KiB ahead */
		slots = NB_MAX(2 * slots, (uint64_t) (READAHEAD_BYTES / x->slot_size));
		slots = NB_MIN(slots, x->last); /* never more than the file has */
	}
	x->n_slots = (uint32_t) NB_MAX(NB_MIN(slots, (uint64_t) MAX_SLOTS), 1);
	x->buf = malloc((size_t) x->n_slots * x->slot_size);
	x->slot_len = calloc(x->n_slots, sizeof *x->slot_len);
	return x->buf && x->slot_len ? 0 : -ENOMEM;
}

/* Sets up x (peer, local, name, mode, file already set) per the options
 * granted and sends its first packet. Takes x: frees it on failure. */
static int xfer_start(struct tftp_server *s, struct xfer *x, const struct tftp_opts *asked,
                      struct listener *via)
{
	struct tftp_limits lim = {s->cfg.max_blksize, s->cfg.max_windowsize, WINDOW_BYTES_MAX};
	struct stat st;
	int r;

	if (fstat(x->file, &st) < 0) {
		r = -errno;
		goto fail;
	}
	x->size = (uint64_t) st.st_size;
	/* netascii's size is known only once encoded: no tsize (as tftpd-hpa) */
	tftp_opts_grant(asked, &lim, x->mode == TFTP_MODE_OCTET, x->size, &x->granted);
	if (x->mode == TFTP_MODE_NETASCII && (x->granted.present & TFTP_OPT_WINDOWSIZE))
		x->granted.windowsize = NB_MIN(x->granted.windowsize, (uint32_t) MAX_SLOTS);
	x->blksize =
	        x->granted.present & TFTP_OPT_BLKSIZE ? x->granted.blksize : TFTP_BLKSIZE_DEFAULT;
	x->window = x->granted.present & TFTP_OPT_WINDOWSIZE ? x->granted.windowsize : 1;
	x->rto_base_ms = 1000 * (x->granted.present & TFTP_OPT_TIMEOUT ? x->granted.timeout_sec
	                                                               : s->cfg.timeout_sec);
	x->rto_ms = x->rto_base_ms;
	x->slot_size = TFTP_HDR_LEN + x->blksize;
	x->last = x->mode == TFTP_MODE_OCTET ? x->size / x->blksize + 1 : 0;
	x->cache_first = x->cache_end = 1;
	x->na_carry = -1;
	x->start_ms = now_ms(s);

	if ((r = xfer_buffers(x)) < 0)
		goto fail;
	if (via) {
		x->lst = via;
		x->sock = via->fd;
		x->gso =
		        x->window > 1; /* the path MTU is unknown here: tried, dropped if refused */
	} else if ((r = xfer_socket(x)) < 0 ||
	           (r = loop_io_add(s->svc.loop, x->sock, EPOLLIN, xfer_on_io, x, &x->io)) < 0) {
		goto fail;
	}
	x->timer = loop_timer_new(s->svc.loop, xfer_on_timer, x);
	if (!x->timer || xfer_link(s, x) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if (x->granted.present) {
		x->oack = true;
		xfer_send_oack(x);
	} else {
		(void) xfer_send_window(x); /* may end x on a read error */
	}
	return 0;
fail:
	loop_io_free(x->io);
	if (!x->lst && x->sock >= 0)
		close(x->sock);
	loop_timer_free(x->timer);
	close(x->file);
	free(x->buf);
	free(x->slot_len);
	free(x);
	return r;
}

/* ---- requests */

static void reply_error(struct listener *l, const struct net_pkt *p, enum tftp_err code,
                        const char *msg)
{
	uint8_t pkt[160];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	if (tftp_write_error(&b, code, msg) < 0)
		return;
	uint32_t src =
	        IN_MULTICAST(p->dst_addr) || p->dst_addr == INADDR_BROADCAST ? 0 : p->dst_addr;
	int r = net_send(l->fd, pkt, wbuf_len(&b), p->src_addr, p->src_port, src, 0);
	if (r < 0)
		log_debug("tftp: error reply: %s", strerror(-r));
}

static int root_fd(struct tftp_server *s)
{
	if (s->root_fd < 0) {
		s->root_fd = jail_root_open(s->cfg.root);
		if (s->root_fd < 0)
			log_rl(&s->rl_req, LOG_LVL_ERR, "tftp: root %s: %s", s->cfg.root,
			       strerror(-s->root_fd));
	}
	return s->root_fd;
}

/* Resolves the name through the jail; answers and records every refusal. */
static int open_file(struct tftp_server *s, struct listener *l, const struct net_pkt *p,
                     const struct tftp_msg *m, char *rel, size_t rel_len)
{
	int rfd = root_fd(s);
	int fd = rfd < 0 ? -ENOENT
	                 : jail_open(rfd, m->name, s->cfg.case_insensitive, O_NONBLOCK, rel,
	                             rel_len);
	char why[96];
	switch (fd) {
	case -ENOENT:
		reply_error(l, p, TFTP_ENOTFOUND, "File not found");
		ev_file_missing(s, p->src_addr, m->name,
		                rfd < 0 ? "the root directory is missing" : "no such file");
		return fd;
	case -EISDIR:
		reply_error(l, p, TFTP_ENOTFOUND, "Not a file");
		ev_file_missing(s, p->src_addr, m->name, "not a regular file");
		return fd;
	case -EPERM:
		reply_error(l, p, TFTP_EACCESS, "Access violation");
		ev_refused(s, p->src_addr, m->name, "the path leaves the root");
		return fd;
	case -ENAMETOOLONG:
		reply_error(l, p, TFTP_EACCESS, "File name too long");
		ev_refused(s, p->src_addr, m->name, "name too long");
		return fd;
	default:
		if (fd >= 0)
			return fd;
		reply_error(l, p, fd == -EACCES ? TFTP_EACCESS : TFTP_EUNDEF, "Cannot open file");
		snprintf(why, sizeof why, "cannot open: %s", strerror(-fd));
		char n[PNAME_MAX];
		ev_error(s, p->src_addr, printable(m->name, n), why);
		return fd;
	}
}

static void on_request(struct tftp_server *s, struct listener *l, const struct net_pkt *p,
                       const struct tftp_msg *m)
{
	char rel[JAIL_PATH_MAX + 1], n[PNAME_MAX];

	ev_request(s, p->src_addr, m);
	if (m->op == TFTP_WRQ) {
		reply_error(l, p, TFTP_EACCESS, "Write requests are refused");
		ev_refused(s, p->src_addr, m->name, "write request");
		return;
	}
	if (m->mode != TFTP_MODE_OCTET && m->mode != TFTP_MODE_NETASCII) {
		reply_error(l, p, TFTP_EBADOP, "Unsupported transfer mode");
		ev_error(s, p->src_addr, printable(m->name, n), "unsupported transfer mode");
		return;
	}
	if (s->n_xfers >= s->cfg.max_transfers) {
		reply_error(l, p, TFTP_EUNDEF, "Server busy, try again later");
		ev_busy(s, p->src_addr, m->name);
		return;
	}
	int fd = open_file(s, l, p, m, rel, sizeof rel);
	if (fd < 0)
		return;
	struct xfer *x = calloc(1, sizeof *x);
	if (!x) {
		close(fd);
		return;
	}
	*x = (struct xfer){.srv = s,
	                   .sock = -1,
	                   .file = fd,
	                   .peer = p->src_addr,
	                   .peer_port = p->src_port,
	                   .mode = m->mode};
	/* reply from the address the client used (never a broadcast one) */
	if (!IN_MULTICAST(p->dst_addr) && p->dst_addr != INADDR_BROADCAST)
		x->local = p->dst_addr;
	printable(rel, x->name);
	int r = xfer_start(s, x, &m->opts, s->cfg.single_port ? l : NULL);
	if (r < 0) {
		char why[80];
		reply_error(l, p, TFTP_EUNDEF, "Server error");
		snprintf(why, sizeof why, "cannot start the transfer: %s", strerror(-r));
		ev_error(s, p->src_addr, printable(rel, n), why);
	}
}

static bool iface_ok(const struct tftp_server *s, int ifindex)
{
	if (s->n_ifindex == 0)
		return true;
	for (size_t i = 0; i < s->n_ifindex; i++)
		if (s->ifindex[i] == ifindex)
			return true;
	return false;
}

static void on_datagram(struct tftp_server *s, struct listener *l, const struct net_pkt *p)
{
	char w[40];
	struct tftp_msg m;

	if (p->len > LISTEN_BUFSIZE || !iface_ok(s, p->ifindex))
		return;
	struct xfer *x = xfer_find(s, p->src_addr, p->src_port);
	if (x && x->lst == l) { /* single-port: a packet of a running transfer */
		xfer_on_packet(x, p->data, p->len);
		return;
	}
	int r = tftp_msg_parse(p->data, p->len, &m);
	if (r == -EOPNOTSUPP) {
		reply_error(l, p, TFTP_EBADOP, "Illegal TFTP operation");
		log_rl(&s->rl_bad, LOG_LVL_INFO, "tftp: %s: unknown opcode %u",
		       who(s, p->src_addr, w), m.op);
		return;
	}
	if (r == -ENAMETOOLONG) {
		reply_error(l, p, TFTP_EACCESS, "File name too long");
		ev_refused(s, p->src_addr, m.name, "name too long");
		return;
	}
	if (r < 0) {
		if (m.op == TFTP_RRQ || m.op == TFTP_WRQ)
			reply_error(l, p, TFTP_EBADOP, "Malformed request");
		log_rl(&s->rl_bad, LOG_LVL_INFO, "tftp: %s: malformed packet (%zu bytes), ignored",
		       who(s, p->src_addr, w), p->len);
		return;
	}
	if (m.op != TFTP_RRQ && m.op != TFTP_WRQ)
		return; /* ACK, DATA, ERROR, OACK for no transfer of ours */
	if (x) {
		/* the client repeated its request: the running transfer answers it */
		log_debug("tftp: %s: repeated request ignored", who(s, p->src_addr, w));
		return;
	}
	on_request(s, l, p, &m);
}

static void listener_on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct listener *l = data;
	struct tftp_server *s = l->srv;
	if (events & EPOLLOUT) {
		while (l->blocked) {
			struct xfer *x = l->blocked;
			block_del(x);
			xfer_flush(x);
			if (x->blocked)
				break; /* full again */
		}
		if (!l->blocked)
			listener_want_out(l, false);
	}
	if (!(events & EPOLLIN))
		return;
	for (int round = 0; round < LISTEN_ROUNDS; round++) {
		int n = net_batch_recv(fd, s->batch);
		if (n <= 0)
			break;
		for (int i = 0; i < n && s->lst == l; i++)
			on_datagram(s, l, net_batch_pkt(s->batch, (size_t) i));
		if (s->lst != l || n < LISTEN_BATCH)
			break;
	}
}

/* ---- the listening socket */

/* Ends a transfer early, telling the client why. */
static void xfer_abort(struct xfer *x, const char *why)
{
	xfer_fail(x, TFTP_EUNDEF, "Server reconfigured or stopping", why);
}

static void listener_free(struct tftp_server *s, struct listener *l)
{
	if (!l)
		return;
	/* single-port transfers ride on this socket: they end with it */
	for (struct xfer *x = s->all, *nx; x; x = nx) {
		nx = x->next;
		if (x->lst == l)
			xfer_abort(x, "ended: the listening socket was closed");
	}
	loop_io_free(l->io);
	close(l->fd);
	free(l);
}

static int listener_new(struct tftp_server *s, uint32_t addr, uint16_t port, struct listener **ret)
{
	char a[IP4_STRLEN];
	struct listener *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->srv = s;
	l->addr = addr;
	l->port = port;
	l->fd = net_udp_socket(addr, port, NULL, NET_PKTINFO);
	if (l->fd < 0) {
		int r = l->fd;
		log_err("tftp: cannot listen on %s:%u: %s", ip4_fmt(addr, a), port, strerror(-r));
		free(l);
		return r;
	}
	int r = loop_io_add(s->svc.loop, l->fd, EPOLLIN, listener_on_io, l, &l->io);
	if (r < 0) {
		close(l->fd);
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

/* ---- configuration */

static void copy_conf(struct tftp_server *s, const struct conf *c)
{
	memcpy(s->cfg.root, c->tftp.root, sizeof s->cfg.root);
	s->cfg.enable = c->tftp.enable;
	s->cfg.single_port = c->tftp.single_port;
	s->cfg.case_insensitive = c->tftp.case_insensitive;
	s->cfg.listen = c->tftp.listen;
	s->cfg.port = c->tftp.port;
	s->cfg.max_blksize = c->tftp.max_blksize;
	s->cfg.max_windowsize = c->tftp.max_windowsize;
	s->cfg.timeout_sec = c->tftp.timeout_sec;
	s->cfg.retries = c->tftp.retries;
	s->cfg.max_transfers = c->tftp.max_transfers;
	s->n_ifindex = 0;
	for (size_t i = 0; i < c->server.n_interfaces; i++) {
		int k = (int) if_nametoindex(c->server.interfaces[i]);
		if (k > 0)
			s->ifindex[s->n_ifindex++] = k;
		else
			log_warn("tftp: interface %s not found; not serving on it",
			         c->server.interfaces[i]);
	}
	if (c->server.n_interfaces && s->n_ifindex == 0)
		s->ifindex[s->n_ifindex++] = -1; /* none of them exists: serve nobody */
}

/* Two descriptors per transfer (socket, file): raise the soft limit to fit. */
static void ensure_fd_limit(uint32_t max_transfers)
{
	struct rlimit rl;
	rlim_t want = (rlim_t) max_transfers * 2 + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : NB_MIN(want, rl.rlim_max);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("tftp: open files limited to %llu; max-transfers = %u needs %llu",
		         (unsigned long long) rl.rlim_cur, max_transfers,
		         (unsigned long long) want);
}

static void open_root(struct tftp_server *s)
{
	int fd = jail_root_open(s->cfg.root);
	if (fd < 0)
		log_warn("tftp: root %s: %s; every request is answered \"file not found\" until it "
		         "exists",
		         s->cfg.root, strerror(-fd));
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = fd;
}

static void log_serving(const struct tftp_server *s)
{
	char a[IP4_STRLEN];
	if (s->lst)
		log_info("tftp: listening on %s:%u, root %s%s%s", ip4_fmt(s->lst->addr, a),
		         s->lst->port, s->cfg.root, s->cfg.single_port ? ", single-port" : "",
		         s->cfg.case_insensitive ? ", case-insensitive" : "");
}

int tftp_server_new(const struct conf *c, const struct nb_services *svc, struct tftp_server **ret)
{
	struct tftp_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->svc = *svc;
	s->root_fd = -1;
	s->rl_bad = (struct log_ratelimit) LOG_RATELIMIT_INIT(10, 20);
	s->rl_req = (struct log_ratelimit) LOG_RATELIMIT_INIT(200, 500);
	s->table_size = 64;
	s->table = calloc(s->table_size, sizeof *s->table);
	s->batch = net_batch_new(LISTEN_BATCH, LISTEN_BUFSIZE + 1);
	s->scratch = malloc(TFTP_BLKSIZE_MAX);
	if (!s->table || !s->batch || !s->scratch) {
		tftp_server_free(s);
		return -ENOMEM;
	}
	copy_conf(s, c);
	if (s->cfg.enable) {
		ensure_fd_limit(s->cfg.max_transfers);
		open_root(s);
		int r = listener_new(s, s->cfg.listen, (uint16_t) s->cfg.port, &s->lst);
		if (r < 0) {
			tftp_server_free(s);
			return r;
		}
		log_serving(s);
	}
	*ret = s;
	return 0;
}

/* Replaces the listening socket when its address or port changed. The old
 * one is closed first (a new one on the same port would not bind beside
 * it); when the new one cannot be bound, the old one is bound again. */
static int reload_listener(struct tftp_server *s, const struct conf *c)
{
	bool want = c->tftp.enable;
	if (s->lst && want && c->tftp.listen == s->lst->addr && c->tftp.port == s->lst->port)
		return 0;
	bool had = s->lst != NULL;
	uint32_t old_addr = had ? s->lst->addr : 0;
	uint16_t old_port = had ? s->lst->port : 0;
	listener_free(s, steal_ptr(&s->lst));
	if (!want)
		return 0;
	int r = listener_new(s, c->tftp.listen, (uint16_t) c->tftp.port, &s->lst);
	if (r < 0 && had && listener_new(s, old_addr, old_port, &s->lst) < 0)
		log_err("tftp: the previous listening socket could not be bound again either");
	return r;
}

int tftp_server_reload(struct tftp_server *s, const struct conf *c)
{
	bool reopen = !s->cfg.enable || s->root_fd < 0 || strcmp(s->cfg.root, c->tftp.root) != 0;
	int r = reload_listener(s, c);
	if (r < 0)
		return r;
	copy_conf(s, c);
	if (s->cfg.enable) {
		ensure_fd_limit(s->cfg.max_transfers);
		if (reopen)
			open_root(s);
		log_serving(s);
	}
	return 0;
}

void tftp_server_free(struct tftp_server *s)
{
	if (!s)
		return;
	while (s->all)
		xfer_abort(s->all, "ended: the server stopped");
	listener_free(s, s->lst);
	if (s->root_fd >= 0)
		close(s->root_fd);
	net_batch_free(s->batch);
	free(s->scratch);
	free(s->table);
	free(s);
}

size_t tftp_server_transfers(const struct tftp_server *s)
{
	return s->n_xfers;
}

/* ---- the module table entry */

static int module_new(const struct conf *c, const struct nb_services *svc, void **ret)
{
	struct tftp_server *s = NULL;
	int r = tftp_server_new(c, svc, &s);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

static int module_reload(void *m, const struct conf *c)
{
	return tftp_server_reload(m, c);
}

static void module_free(void *m)
{
	tftp_server_free(m);
}

const struct nb_module tftp_module = {
        .name = "tftp",
        .new = module_new,
        .reload = module_reload,
        .free = module_free,
};
