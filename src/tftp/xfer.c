/* A TFTP transfer, from its first packet to its end: its socket (start),
 * its blocks (octet: looked up in the server's shared file cache, read
 * ahead a window at a time; netascii: encoded block by block into a ring of
 * its own), windows sent as UDP GSO trains or sendmmsg batches and parked
 * while the socket is full, ACK handling (RFC 1350, 2347, 7440),
 * retransmission with backoff and the timeout, and freeing. The requests
 * that start transfers are server.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/net.h"
#include "core/util.h"
#include "core/wire.h"
#include "tftp/cache.h"
#include "tftp/internal.h"

#define WINDOW_BYTES_MAX (1024 * 1024)
#define MAX_SLOTS        1024  /* a netascii window's blocks */
#define SEND_BATCH       64    /* datagrams per sendmmsg */
#define BLOCK_IOV        3     /* a block: its header and at most two chunks' pieces */
#define GSO_MAX_SEGS     64    /* datagrams per UDP GSO send */
#define GSO_MAX_BYTES    60000 /* a GSO send stays under the 64 KiB IP limit */
#define BACKOFF_FACTOR   8     /* the retransmission timeout grows up to 8x */

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

/* Frees what x holds; x is not linked (any more). */
static void xfer_drop(struct xfer *x)
{
	struct tftp_server *s = x->srv;
	loop_io_free(x->io);
	if (!x->lst && x->sock >= 0)
		close(x->sock);
	loop_timer_free(x->timer);
	if (x->file >= 0)
		close(x->file);
	tftp_cache_close(s->cache, x->cf);
	free(x->buf);
	free(x->slot_len);
	tftp_mem_release(s, x->mem);
	free(x);
}

static void xfer_free(struct xfer *x)
{
	block_del(x);
	tftp_xfer_unlink(x->srv, x);
	xfer_drop(x);
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
	tftp_ev_error(x->srv, x->peer, x->name, why);
	xfer_free(x);
}

/* ---- a transfer's blocks */

static uint8_t *slot_ptr(const struct xfer *x, uint64_t block)
{
	return x->buf + (size_t) (block % x->n_slots) * x->slot_size;
}

/* The data bytes of block b (octet: from the size; netascii: as encoded). */
static uint32_t block_len(const struct xfer *x, uint64_t b)
{
	if (x->mode != TFTP_MODE_OCTET)
		return x->slot_len[b % x->n_slots];
	return b < x->last ? x->blksize
	                   : (uint32_t) (x->size - (x->last - 1) * (uint64_t) x->blksize);
}

/* The file bytes of blocks from..to (octet), for the cache. */
static void block_span(const struct xfer *x, uint64_t from, uint64_t to, uint64_t *ret_off,
                       size_t *ret_len)
{
	*ret_off = (from - 1) * (uint64_t) x->blksize;
	*ret_len = (size_t) ((to - from) * (uint64_t) x->blksize + block_len(x, to));
}

/* Has blocks from..to (as far as the file goes) read into the cache:
 * read errors show here, before anything is sent. */
static int octet_prefetch(struct xfer *x, uint64_t from, uint64_t to)
{
	uint64_t off;
	size_t len;
	to = NB_MIN(to, x->last);
	if (from > to)
		return 0;
	block_span(x, from, to, &off, &len);
	return tftp_cache_prefetch(x->srv->cache, x->cf, x->file, off, len);
}

/* Points iov at block b: its header (written into hdr) and its data, in the
 * cache (pinned until tftp_cache_unpin) or the netascii ring. Returns the
 * number of iovecs, at most BLOCK_IOV, or -errno from reading. */
static int block_iov(struct xfer *x, uint64_t b, uint8_t hdr[static TFTP_HDR_LEN],
                     struct iovec *iov)
{
	if (x->mode != TFTP_MODE_OCTET) {
		iov[0] = (struct iovec){slot_ptr(x, b), TFTP_HDR_LEN + block_len(x, b)};
		return 1;
	}
	struct wbuf w = wbuf_init(hdr, TFTP_HDR_LEN);
	(void) tftp_write_data_hdr(&w, (uint16_t) b); /* RFC 1350 block numbers wrap to 0 */
	iov[0] = (struct iovec){hdr, TFTP_HDR_LEN};
	uint64_t off;
	size_t len;
	block_span(x, b, b, &off, &len);
	int r = tftp_cache_get(x->srv->cache, x->cf, x->file, off, len, iov + 1, BLOCK_IOV - 1);
	return r < 0 ? r : r + 1;
}

/* ---- netascii: blocks encoded into the transfer's ring */

static void slot_hdr(struct xfer *x, uint64_t block, uint32_t len)
{
	struct wbuf b = wbuf_init(slot_ptr(x, block), TFTP_HDR_LEN);
	(void) tftp_write_data_hdr(&b, (uint16_t) block);
	x->slot_len[block % x->n_slots] = len;
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
static int netascii_fill(struct xfer *x, uint64_t upto)
{
	if (x->cache_first <= x->acked) {
		x->cache_first = x->acked + 1; /* acknowledged blocks are never sent again */
		if (x->cache_end < x->cache_first)
			x->cache_end = x->cache_first;
	}
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

/* How many blocks from next_send can go as one UDP GSO train: every one
 * full but the last. */
static size_t gso_run(const struct xfer *x)
{
	size_t n = 0;
	size_t max = NB_MIN((size_t) GSO_MAX_SEGS, GSO_MAX_BYTES / x->slot_size);
	for (uint64_t b = x->next_send; b <= x->send_to && n < max; b++) {
		n++;
		if (block_len(x, b) != x->blksize)
			break; /* a short block ends a train */
	}
	return n;
}

/* How many blocks from next_send go in one sendmmsg: SEND_BATCH, and no
 * more bytes than the cache lets one send pin. */
static size_t batch_len(const struct xfer *x)
{
	uint64_t left = x->send_to - x->next_send + 1;
	size_t by_bytes = NB_MAX((size_t) TFTP_SEND_BYTES_MAX / x->slot_size, (size_t) 1);
	return (size_t) NB_MIN(left, (uint64_t) NB_MIN((size_t) SEND_BATCH, by_bytes));
}

/* One send put together: n blocks from next_send, their headers and iovecs. */
struct train {
	size_t n;
	uint8_t hdr[SEND_BATCH][TFTP_HDR_LEN];
	struct iovec iov[SEND_BATCH * BLOCK_IOV];
	size_t iov_of[SEND_BATCH + 1]; /* block i's iovecs: iov_of[i] .. iov_of[i+1] */
};

static int train_build(struct xfer *x, struct train *t, size_t n)
{
	size_t k = 0;
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		t->iov_of[i] = k;
		int r = block_iov(x, x->next_send + i, t->hdr[i], t->iov + k);
		if (r < 0)
			return r;
		k += (size_t) r;
	}
	t->iov_of[n] = k;
	return 0;
}

/* Sends the train as one sendmsg the kernel cuts into datagrams
 * (UDP_SEGMENT): one pass through the stack for a window. */
static int send_gso(struct xfer *x, struct train *t)
{
	struct dest d;
	struct msghdr h = {.msg_iov = t->iov, .msg_iovlen = t->iov_of[t->n]};
	dest_set(x, &d, &h, (uint16_t) x->slot_size);
	return sendmsg(x->sock, &h, MSG_DONTWAIT) < 0 ? -errno : (int) t->n;
}

/* Sends the train's blocks as datagrams with one sendmmsg; returns how
 * many went out or -errno. */
static int send_batch(struct xfer *x, struct train *t)
{
	struct mmsghdr msgs[SEND_BATCH];
	struct dest d;
	for (size_t i = 0; i < t->n; i++) {
		msgs[i] = (struct mmsghdr){
		        .msg_hdr = {.msg_iov = t->iov + t->iov_of[i],
		                    .msg_iovlen = t->iov_of[i + 1] - t->iov_of[i]}};
		dest_set(x, &d, &msgs[i].msg_hdr, 0); /* the same address for all */
	}
	int r = sendmmsg(x->sock, msgs, (unsigned) t->n, MSG_DONTWAIT);
	return r < 0 ? -errno : r;
}

/* Sends blocks next_send .. send_to; parks the transfer when the socket is
 * full and resumes from the same block when it drains. Returns 0, or -errno
 * when the file could not be read (x is left for the caller to end). */
static int xfer_flush(struct xfer *x)
{
	struct tftp_cache *c = x->srv->cache;
	struct train t;
	while (x->next_send <= x->send_to) {
		size_t run = x->gso ? gso_run(x) : 0;
		bool gso = run >= 2;
		int r = train_build(x, &t, gso ? run : x->gso ? 1 : batch_len(x));
		if (r == 0)
			r = gso ? send_gso(x, &t) : send_batch(x, &t);
		else if (r != -ENOBUFS) {
			tftp_cache_unpin(c);
			return r;
		}
		tftp_cache_unpin(c);
		if (gso && (r == -EINVAL || r == -EIO || r == -EOPNOTSUPP || r == -EMSGSIZE)) {
			/* no GSO on this path (old kernel, no checksum offload, MTU) */
			log_debug("tftp: UDP GSO refused (%s), sending datagrams one by one",
			          strerror(-r));
			x->gso = false;
			continue;
		}
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			block_add(x);
			return 0;
		}
		if (r <= 0) {
			/* dropped (ENOBUFS, a pending ICMP error...): the timer resends */
			log_debug("tftp: send: %s", r < 0 ? strerror(-r) : "nothing sent");
			r = (int) t.n;
		}
		x->next_send += (uint64_t) r;
		x->sent = NB_MAX(x->sent, x->next_send - 1);
	}
	block_del(x);
	return 0;
}

/* The file could not be read: the client is told, the transfer ends. */
static void xfer_read_failed(struct xfer *x, int r)
{
	char why[96];
	snprintf(why, sizeof why, "reading the file failed: %s",
	         r == -ESTALE ? "it shrank during the transfer" : strerror(-r));
	xfer_fail(x, TFTP_EUNDEF, "read error", why);
}

void tftp_xfer_resume_blocked(struct listener *l)
{
	while (l->blocked) {
		struct xfer *x = l->blocked;
		block_del(x);
		int r = xfer_flush(x);
		if (r < 0)
			xfer_read_failed(x, r);
		else if (x->blocked)
			break; /* full again */
	}
	if (!l->blocked)
		listener_want_out(l, false);
}

static bool xfer_send_window(struct xfer *x)
{
	uint64_t from = x->acked + 1, to = x->acked + x->window;
	if (x->last)
		to = NB_MIN(to, x->last);
	int r = x->mode == TFTP_MODE_OCTET ? octet_prefetch(x, from, to) : netascii_fill(x, to);
	if (r == 0 && x->mode != TFTP_MODE_OCTET) {
		if (x->last)
			to = NB_MIN(to, x->last);
		to = NB_MIN(to, x->cache_end - 1);
	}
	x->next_send = from;
	x->send_to = to;
	if (r == 0)
		r = xfer_flush(x);
	if (r < 0) {
		xfer_read_failed(x, r);
		return false;
	}
	loop_timer_arm(x->timer, x->rto_ms);
	/* read the next window while the client works through this one, so
	 * its ACK is answered without touching the file (an error here shows
	 * again, and is reported, when the blocks are needed) */
	if (x->mode == TFTP_MODE_OCTET)
		(void) octet_prefetch(x, to + 1, to + x->window);
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
	tftp_ev_complete(x, bytes);
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
	x->answered = true;
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

void tftp_xfer_on_packet(struct xfer *x, const uint8_t *buf, size_t len)
{
	struct tftp_msg m;
	char why[TFTP_ERRMSG_MAX * 4 + 64], msg[PNAME_MAX];
	LOG_CTX(lc, NULL, x->peer, "tftp.transfer"); /* the client, on every line (core/log.h) */
	if (tftp_msg_parse(buf, len, &m) < 0)
		return;
	switch (m.op) {
	case TFTP_ACK:
		xfer_on_ack(x, m.block);
		break;
	case TFTP_ERROR:
		snprintf(why, sizeof why, "the client aborted: error %u \"%s\"", m.err_code,
		         tftp_printable(m.err_msg, msg));
		tftp_ev_error(x->srv, x->peer, x->name, why);
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
		int r = xfer_flush(x);
		if (r < 0) {
			xfer_read_failed(x, r);
			return;
		}
		if (!(events & EPOLLIN))
			return;
	}
	/* level-triggered: one datagram now, the loop calls again for the next */
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0) {
		/* ECONNREFUSED: an ICMP error; spoofable, so the timer decides */
		return;
	}
	tftp_xfer_on_packet(x, buf, (size_t) n);
}

static void xfer_on_timer(struct loop_timer *t, void *data)
{
	struct xfer *x = data;
	struct tftp_server *s = x->srv;
	char w[40];
	LOG_CTX(lc, NULL, x->peer, "tftp.transfer");
	/* until the client has answered once, its address is only claimed: a
	 * spoofed request draws its first packet and few repeats */
	unsigned retries =
	        x->answered ? s->cfg.retries : NB_MIN(s->cfg.retries, s->cfg.first_retries);
	if (x->retries++ >= retries) {
		tftp_ev_timeout(x);
		xfer_free(x);
		return;
	}
	x->timeouts++;
	x->rto_ms = (uint32_t) NB_MIN((uint64_t) x->rto_ms * 2,
	                              (uint64_t) x->rto_base_ms * BACKOFF_FACTOR);
	log_debug("tftp: %s: \"%s\": no answer, resending from block %llu", tftp_who(s, x->peer, w),
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

/* What x needs besides its socket: a share of the memory budget (itself,
 * and for netascii the ring its window is encoded into) and, for octet, the
 * file in the shared cache. */
static int xfer_buffers(struct xfer *x, const struct stat *st)
{
	struct tftp_server *s = x->srv;
	size_t ring = 0;
	if (x->mode != TFTP_MODE_OCTET) {
		x->n_slots = (uint32_t) NB_MAX(NB_MIN(x->window, (uint32_t) MAX_SLOTS), 1u);
		ring = (size_t) x->n_slots * (x->slot_size + sizeof *x->slot_len);
	}
	int r = tftp_mem_reserve(s, sizeof *x + ring);
	if (r < 0)
		return r;
	x->mem = sizeof *x + ring;
	if (x->mode == TFTP_MODE_OCTET)
		return tftp_cache_open(s->cache, st, &x->cf);
	x->buf = malloc((size_t) x->n_slots * x->slot_size);
	x->slot_len = calloc(x->n_slots, sizeof *x->slot_len);
	return x->buf && x->slot_len ? 0 : -ENOMEM;
}

/* Sets up x (peer, local, name, mode, file already set) per the options
 * granted and sends its first packet. Takes x: frees it on failure. */
int tftp_xfer_start(struct tftp_server *s, struct xfer *x, const struct tftp_opts *asked,
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

	if ((r = xfer_buffers(x, &st)) < 0)
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
	if (!x->timer || tftp_xfer_link(s, x) < 0) {
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
	xfer_drop(x);
	return r;
}

/* Ends a transfer early, telling the client why. */
void tftp_xfer_abort(struct xfer *x, const char *why)
{
	xfer_fail(x, TFTP_EUNDEF, "Server reconfigured or stopping", why);
}
