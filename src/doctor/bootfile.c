/* Check 8, boot file: fetch the boot file an OFFER names, over TFTP (a
 * read request with tsize and blksize) or over HTTP when it is a URL.
 * Bounded: the fetch stops after boot_max_bytes (it only has to prove the
 * transfer works), ending a TFTP transfer with an ERROR so the server does
 * not wait for ACKs. A missing file is TFTP error 1 (or HTTP 404); a stall
 * is a block that keeps timing out after retries. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/wire.h"
#include "doctor/doctor.h"
#include "httpc/httpc.h"
#include "tftp/wire.h"

#define TFTP_PORT    69
#define TFTP_BLKSIZE 1428 /* fits a 1500-byte MTU with IP and UDP headers */
#define TFTP_RETRIES 3

int doctor_tftp_rrq_build(uint8_t *buf, size_t cap, const char *file, unsigned blksize)
{
	struct wbuf b = wbuf_init(buf, cap);
	struct tftp_msg m = {.op = TFTP_RRQ, .mode = TFTP_MODE_OCTET};
	if (!file[0] || nb_strlcpy(m.name, file, sizeof m.name) < 0)
		return -EINVAL;
	/* RFC 2349: tsize 0 asks for the size; RFC 2348: blksize */
	m.opts = (struct tftp_opts){.present = TFTP_OPT_TSIZE | TFTP_OPT_BLKSIZE,
	                            .blksize = blksize};
	int r = tftp_msg_write(&b, &m);
	return r < 0 ? r : (int) wbuf_len(&b);
}

int doctor_tftp_probe_build(uint8_t *buf, size_t cap)
{
	/* a name no server has: an answering server says ERROR 1, and keeps no state */
	return doctor_tftp_rrq_build(buf, cap, "netbay-doctor-probe.does-not-exist", 512);
}

static void send_ack(int fd, uint16_t block)
{
	uint8_t a[TFTP_HDR_LEN];
	struct wbuf b = wbuf_init(a, sizeof a);
	struct tftp_msg m = {.op = TFTP_ACK, .block = block};
	if (tftp_msg_write(&b, &m) == 0)
		(void) send(fd, a, wbuf_len(&b), 0);
}

/* Ends a transfer we have read enough of, so the server does not wait. */
static void send_stop(int fd)
{
	uint8_t e[64];
	struct wbuf b = wbuf_init(e, sizeof e);
	if (tftp_write_error(&b, TFTP_EUNDEF, "enough (doctor)") == 0)
		(void) send(fd, e, wbuf_len(&b), 0);
}

int doctor_tftp_fetch(uint32_t server, const char *file, size_t max_bytes, int timeout_ms,
                      struct doctor_fetch *f)
{
	uint8_t buf[65536], rrq[600];
	int64_t start = nb_now_ms();
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons(TFTP_PORT),
	                          .sin_addr.s_addr = htonl(server)};
	unsigned blksize = 512, tries = 0;
	uint16_t want = 1;
	bool connected = false;

	memset(f, 0, sizeof *f);
	f->tftp = true;
	int len = doctor_tftp_rrq_build(rrq, sizeof rrq, file, TFTP_BLKSIZE);
	if (len < 0)
		return f->err = len;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return f->err = -errno;
	NB_CLEANUP(closep) int cfd = fd;
	int on = 1;
	(void) setsockopt(cfd, SOL_IP, IP_RECVERR, &on,
	                  sizeof on); /* ICMP errors while unconnected */
	if (sendto(cfd, rrq, (size_t) len, 0, (struct sockaddr *) &sin, sizeof sin) < 0)
		return f->err = -errno;
	for (;;) {
		struct pollfd p = {.fd = cfd, .events = POLLIN};
		int wait = NB_MAX(timeout_ms / (TFTP_RETRIES + 1), 250);
		if (poll(&p, 1, wait) == 0) {
			if (++tries > TFTP_RETRIES) {
				f->err = -ETIMEDOUT;
				f->stall_block = connected ? want : 0;
				break;
			}
			if (!connected)
				(void) sendto(cfd, rrq, (size_t) len, 0, (struct sockaddr *) &sin,
				              sizeof sin);
			else
				send_ack(cfd, (uint16_t) (want - 1));
			continue;
		}
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t k = recvfrom(cfd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			f->err = -errno;
			break;
		}
		if (from.sin_addr.s_addr != sin.sin_addr.s_addr)
			continue;
		if (!connected) {
			/* RFC 1350 4: the server answers from its transfer ID (port) */
			sin.sin_port = from.sin_port;
			if (connect(cfd, (struct sockaddr *) &sin, sizeof sin) < 0)
				return f->err = -errno;
			connected = true;
		} else if (from.sin_port != sin.sin_port) {
			continue;
		}
		struct tftp_msg t;
		if (tftp_msg_parse(buf, (size_t) k, &t) < 0) {
			f->err = -EBADMSG;
			break;
		}
		if (t.op == TFTP_ERROR) {
			f->tftp_error = true;
			f->tftp_code = t.err_code;
			snprintf(f->tftp_msg, sizeof f->tftp_msg, "%s", t.err_msg);
			f->err = -EREMOTEIO;
			break;
		}
		if (t.op == TFTP_OACK) {
			/* a blksize out of RFC 2348's range is not one a server may grant */
			if ((t.opts.present & TFTP_OPT_BLKSIZE) &&
			    t.opts.blksize >= TFTP_BLKSIZE_MIN &&
			    t.opts.blksize <= TFTP_BLKSIZE_MAX)
				blksize = t.opts.blksize;
			f->has_size = t.opts.present & TFTP_OPT_TSIZE;
			f->size = t.opts.tsize;
			tries = 0;
			send_ack(cfd, 0);
			continue;
		}
		if (t.op != TFTP_DATA || t.block != want)
			continue; /* a duplicate; the timer resends our ACK */
		tries = 0;
		f->bytes += t.data_len;
		f->blocks = want;
		send_ack(cfd, want);
		want++;
		if (t.data_len < blksize) {
			f->complete = true;
			break;
		}
		if (f->bytes >= max_bytes) {
			send_stop(cfd);
			break;
		}
	}
	f->blksize = blksize;
	f->ms = nb_now_ms() - start;
	return f->err;
}

int doctor_http_fetch(const char *url, size_t max_bytes, int timeout_ms, struct doctor_fetch *f)
{
	char host[256], path[512] = "/", range[64];
	uint64_t port = 80;
	uint32_t addr;
	struct httpc_response resp = {0};
	int64_t start = nb_now_ms();

	memset(f, 0, sizeof *f);
	if (strncasecmp(url, "http://", 7) != 0)
		return f->err = -EPROTONOSUPPORT;
	const char *h = url + 7;
	size_t hl = strcspn(h, ":/");
	if (!hl || hl >= sizeof host)
		return f->err = -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	const char *rest = h + hl;
	if (*rest == ':') {
		char ps[8];
		size_t pl = strcspn(rest + 1, "/");
		if (!pl || pl >= sizeof ps)
			return f->err = -EINVAL;
		memcpy(ps, rest + 1, pl);
		ps[pl] = 0;
		if (nb_parse_uint(ps, 1, 65535, &port) < 0)
			return f->err = -EINVAL;
		rest += 1 + pl;
	}
	if (*rest)
		snprintf(path, sizeof path, "%s", rest);
	if (ip4_parse(host, &addr) < 0 && doctor_resolve_system(host, &addr, 1) <= 0)
		return f->err = -ENXIO;
	snprintf(range, sizeof range, "Range: bytes=0-%zu\r\n", max_bytes - 1);
	int e = doctor_http_get(addr, (uint16_t) port, host, path, range, timeout_ms, max_bytes,
	                        &resp);
	f->ms = nb_now_ms() - start;
	if (e < 0)
		return f->err = e;
	f->http_status = resp.status;
	f->bytes = resp.body_len;
	f->complete = resp.status == 200;
	httpc_response_done(&resp);
	if (f->http_status != 200 && f->http_status != 206)
		return f->err = -EREMOTEIO;
	return 0;
}

void doctor_bootfile_judge(struct doctor_result *r, const char *file, uint32_t server,
                           const struct doctor_fetch *f)
{
	char a[IP4_STRLEN];
	ip4_fmt(server, a);
	const char *via = f->tftp ? "TFTP" : "HTTP";
	if (f->tftp)
		doctor_evidence(r, "TFTP %s from %s: %zu bytes in %u blocks of %u%s, %lld ms", file,
		                a, f->bytes, f->blocks, f->blksize,
		                f->complete ? " (whole file)" : "", (long long) f->ms);
	else
		doctor_evidence(r, "GET %s: HTTP %d, %zu bytes, %lld ms", file, f->http_status,
		                f->bytes, (long long) f->ms);
	if (f->has_size)
		doctor_evidence(r, "tsize: %llu bytes", (unsigned long long) f->size);
	if (f->tftp && f->tftp_error) {
		doctor_evidence(r, "TFTP error %u: %s", f->tftp_code, f->tftp_msg);
		if (f->tftp_code == 1) {
			doctor_verdict(r, DOCTOR_FAIL,
			               "boot file %s is missing on TFTP server %s "
			               "(TFTP error 1: %s)",
			               file, a, f->tftp_msg);
			doctor_fix(r,
			           "put %s under the server's TFTP root ([tftp] root), or correct "
			           "the [boot] loader name",
			           file);
		} else {
			doctor_verdict(r, DOCTOR_FAIL, "TFTP server %s refuses %s (error %u: %s)",
			               a, file, f->tftp_code, f->tftp_msg);
			doctor_fix(r, "check the file's permissions under the TFTP root");
		}
		return;
	}
	if (!f->tftp && (f->http_status == 404 || f->http_status == 410)) {
		doctor_verdict(r, DOCTOR_FAIL, "boot file %s is missing (HTTP %d)", file,
		               f->http_status);
		doctor_fix(r, "put the file under netbay's boot root ([tftp] root), or correct the "
		              "[boot] URL");
		return;
	}
	if (f->err == -ETIMEDOUT && f->tftp && f->stall_block) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "the TFTP transfer of %s from %s stalls at block %u "
		               "(%zu bytes received, then only timeouts)",
		               file, a, f->stall_block, f->bytes);
		doctor_fix(r,
		           "look for a firewall or NAT that drops the server's data port "
		           "(TFTP answers from a new port), an MTU too small for blksize %u, or "
		           "an overloaded server",
		           f->blksize);
		return;
	}
	if (f->err == -ECONNREFUSED && f->tftp) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "no TFTP server on %s: UDP 69 is closed (ICMP port "
		               "unreachable) for %s",
		               a, file);
		doctor_fix(r,
		           "run a TFTP server on %s (netbay's [tftp]), or make the offer name the "
		           "server that has the file (next-server)",
		           a);
		return;
	}
	if (f->err == -ETIMEDOUT && f->tftp) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "TFTP server %s does not answer a read request for "
		               "%s",
		               a, file);
		doctor_fix(r,
		           "check that TFTP runs on %s and that UDP 69 (and the replies from its "
		           "data port) pass the firewalls",
		           a);
		return;
	}
	if (f->err == -EREMOTEIO && !f->tftp) {
		doctor_verdict(r, DOCTOR_FAIL, "HTTP fetch of %s answers %d", file, f->http_status);
		return;
	}
	if (f->err < 0) {
		doctor_verdict(r, DOCTOR_FAIL, "%s fetch of %s failed: %s", via, file,
		               strerror(-f->err));
		return;
	}
	doctor_verdict(r, DOCTOR_PASS, "%s: %zu bytes over %s from %s in %lld ms%s", file, f->bytes,
	               via, f->tftp ? a : "the URL", (long long) f->ms,
	               f->complete ? "" : " (stopped early: the transfer works)");
}

void doctor_check_bootfile(struct doctor *d, struct doctor_result *r)
{
	struct doctor_fetch f;
	const struct doctor_offer *o = NULL;
	int e = doctor_dhcp_probe(d);
	if (e < 0) {
		doctor_verdict(r, DOCTOR_SKIP, "no DHCP offers to take a boot file from (%s)",
		               strerror(-e));
		return;
	}
	/* prefer an offer from netbay itself, then any that names a file */
	for (size_t i = 0; i < d->n_offers; i++) {
		const struct doctor_offer *x = &d->offers[i];
		if (!x->file[0])
			continue;
		if (!o || (d->addr && (x->siaddr == d->addr || x->server_id == d->addr)))
			o = x;
	}
	if (!o) {
		doctor_verdict(r, DOCTOR_SKIP, "no offer names a boot file");
		return;
	}
	char desc[DOCTOR_LINE_MAX];
	doctor_offer_describe(o, desc, sizeof desc);
	doctor_evidence(r, "from the offer of %s", desc);
	if (strncasecmp(o->file, "http://", 7) == 0) {
		doctor_http_fetch(o->file, d->o.boot_max_bytes, d->o.timeout_ms * 2, &f);
		doctor_bootfile_judge(r, o->file, 0, &f);
		return;
	}
	uint32_t server = o->siaddr;
	if (!server && ip4_parse(o->sname, &server) < 0)
		server = o->server_id ? o->server_id : o->src;
	doctor_tftp_fetch(server, o->file, d->o.boot_max_bytes, d->o.timeout_ms * 2, &f);
	doctor_bootfile_judge(r, o->file, server, &f);
}
