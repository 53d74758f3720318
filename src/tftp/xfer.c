/* A TFTP transfer, from its first packet to its end: its socket and
 * buffers (start), the read-ahead ring filled from the file (octet with one
 * preadv, netascii encoded block by block), windows sent as UDP GSO trains
 * or sendmmsg batches and parked while the socket is full, ACK handling
 * (RFC 1350, 2347, 7440), retransmission with backoff and the timeout, and
 * freeing. The requests that start transfers are server.c's. */
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
#include "tftp/internal.h"

#define READAHEAD_BYTES  (64 * 1024) /* file bytes read ahead at least */
#define WINDOW_BYTES_MAX (1024 * 1024)
#define MAX_SLOTS        1024  /* IOV_MAX: one preadv fills the read-ahead */
#define SEND_BATCH       64    /* datagrams per sendmmsg */
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

static void xfer_free(struct xfer *x)
{
	struct tftp_server *s = x->srv;
	block_del(x);
	tftp_xfer_unlink(s, x);
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
	tftp_ev_error(x->srv, x->peer, x->name, why);
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

void tftp_xfer_resume_blocked(struct listener *l)
{
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
	tftp_xfer_on_packet(x, buf, (size_t) n);
}

static void xfer_on_timer(struct loop_timer *t, void *data)
{
	struct xfer *x = data;
	struct tftp_server *s = x->srv;
	char w[40];
	if (x->retries++ >= s->cfg.retries) {
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

/* Ends a transfer early, telling the client why. */
void tftp_xfer_abort(struct xfer *x, const char *why)
{
	xfer_fail(x, TFTP_EUNDEF, "Server reconfigured or stopping", why);
}
