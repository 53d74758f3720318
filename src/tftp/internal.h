/* Shared between the TFTP server's files, not a contract for anything
 * outside src/tftp/ (that is tftp.h):
 * - server.c: the listening socket, reading and judging requests (the
 *   interface filter, the jail, refusals), the demux table, configuration
 *   and the server's lifecycle;
 * - xfer.c: one transfer from its first packet to its end (its blocks from
 *   the file cache or its netascii ring, windows sent as GSO trains or
 *   batches, ACKs, retransmission, freeing);
 * - cache.c: file bytes shared by every transfer of a file, in one bound;
 * - events.c: names made printable for log lines, and the journal events,
 *   each raised in one function. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/services.h"
#include "tftp/wire.h"

#define LISTEN_BUFSIZE 2048                    /* requests; RFC 2347 keeps them under 512 */
#define PNAME_MAX      (TFTP_NAME_MAX * 4 + 1) /* a name with every byte escaped */

struct net_batch;
struct tftp_cache;
struct tftp_cfile;
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
	struct tftp_cfile *cf; /* octet: the file in the server's cache */
	size_t mem;            /* bytes of the memory budget this transfer holds */

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
	bool answered;               /* the client has acknowledged something */
	bool oack;                   /* an OACK is out, waiting for ACK 0 */
	bool dup_resent;             /* a duplicate ACK already restarted this window */
	uint64_t acked, sent;        /* highest block acknowledged, highest handed to the kernel */
	uint64_t next_send, send_to; /* the window being sent (blocked sends resume here) */
	uint64_t last;               /* the final block; 0 while unknown (netascii) */

	/* netascii's ring: blocks [cache_first, cache_end), block b in slot b % n_slots */
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
		        first_retries, max_transfers, max_per_client, busy_poll_us;
		uint64_t memory;
	} cfg;
	int root_fd;
	struct listener *lst;
	struct net_batch *batch;
	uint8_t *scratch; /* netascii input */

	struct xfer **table;
	size_t table_size, n_xfers;
	struct xfer *all;

	/* memory: the budget's share held by transfers (mem_fixed), the rest
	 * is the cache's; given back to the system a second after the last
	 * transfer ends (trim) */
	struct tftp_cache *cache;
	size_t mem_fixed;
	struct loop_timer *trim;

	/* client-triggered log lines: malformed packets, requests from outside
	 * the served LAN, refusals and failures, completions */
	struct log_ratelimit rl_bad, rl_lan, rl_req, rl_done;
};

/* The loop's clock, which a transfer's times are measured on. */
static inline int64_t now_ms(const struct tftp_server *s)
{
	return loop_now_ms(s->svc.loop);
}

/* ---- events.c: names and log lines */

/* Copies s into out with bytes outside printable ASCII as \xNN; returns out. */
const char *tftp_printable(const char *s, char out[static PNAME_MAX]);
/* Writes "10.0.0.5", or "10.0.0.5 [52:54:00:12:34:56]" when the registry
 * knows the address, into buf; returns buf. */
const char *tftp_who(const struct tftp_server *s, uint32_t addr, char buf[static 40]);

/* ---- events.c: the journal, one function per event name (and its log line) */

/* tftp.request: a read or write request as it arrived, with its options. */
void tftp_ev_request(struct tftp_server *s, uint32_t peer, const struct tftp_msg *m);
/* tftp.file_missing: no regular file by that name, or no root; name is
 * as the client sent it (made printable here). */
void tftp_ev_file_missing(struct tftp_server *s, uint32_t peer, const char *name, const char *why);
/* tftp.refused: a request refused by policy (a write, a path leaving the
 * root, a name too long); name as the client sent it. */
void tftp_ev_refused(struct tftp_server *s, uint32_t peer, const char *name, const char *why);
/* tftp.busy: a request refused for want of room (why: which limit); name as
 * the client sent it. */
void tftp_ev_busy(struct tftp_server *s, uint32_t peer, const char *name, const char *why);
/* tftp.error: a request or transfer that failed for another reason; pname
 * is already printable. */
void tftp_ev_error(struct tftp_server *s, uint32_t peer, const char *pname, const char *why);
/* tftp.timeout: x gave up after its retries (called before x is freed). */
void tftp_ev_timeout(struct xfer *x);
/* tftp.complete: x sent its last block and had it acknowledged. */
void tftp_ev_complete(struct xfer *x, uint64_t bytes);

/* ---- server.c: the demux table (transfers by peer address and port) */

/* Adds x to the table and the list of every transfer. Returns 0, or -ENOMEM
 * (the table could not grow; x is not linked). */
int tftp_xfer_link(struct tftp_server *s, struct xfer *x);
/* Takes a linked x out of both again. */
void tftp_xfer_unlink(struct tftp_server *s, struct xfer *x);

/* ---- server.c: the memory budget ([tftp] memory) */

/* Takes bytes of the budget for a transfer, shrinking the cache's share.
 * Returns 0, or -ENOBUFS when the budget (less the cache's minimum) has no
 * room. */
int tftp_mem_reserve(struct tftp_server *s, size_t bytes);
/* Gives bytes back (0: nothing); the last transfer's end schedules a trim. */
void tftp_mem_release(struct tftp_server *s, size_t bytes);

/* ---- xfer.c: transfers */

/* Sets up x (srv, peer, local, name, mode and file set, sock -1, the rest
 * zero) per the options asked and the config, links it and sends its first
 * packet; via: the listener in single-port mode, else NULL for a socket of
 * its own. Takes x: returns 0, or -errno with x (and its file) freed. */
int tftp_xfer_start(struct tftp_server *s, struct xfer *x, const struct tftp_opts *asked,
                    struct listener *via);
/* Handles one datagram from x's peer (ACK, ERROR); may free x. */
void tftp_xfer_on_packet(struct xfer *x, const uint8_t *buf, size_t len);
/* Ends x early: an ERROR to the client, tftp.error with why, x freed. */
void tftp_xfer_abort(struct xfer *x, const char *why);
/* The listener's socket has room again: resumes its blocked transfers'
 * sends until it is full again or none is left waiting. */
void tftp_xfer_resume_blocked(struct listener *l);
