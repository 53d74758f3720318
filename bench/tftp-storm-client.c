/* A light TFTP boot-storm client for bench/tftp-storm: N read transfers at
 * once from one process, each on its own UDP socket (its own TID), every
 * transfer lock-step (or windowed with -w) exactly as N separate clients
 * would run it, but without N processes, their context switches and their
 * file writes. What it costs per block is one epoll wakeup share, one recv
 * and one send, so the server's side of a storm can be measured when one
 * client core would otherwise be the limit. Every block is compared with
 * the reference file.
 *
 * usage: tftp-storm-client -n N -b BLKSIZE [-w WINDOW] [-t TIMEOUT_S]
 *                          -r REFERENCE SERVER PORT NAME
 * prints: "ok N/M bytes B wall_s W cpu_s C"; exits 0 when all N were ok. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/wire.h"

enum { OP_RRQ = 1, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5, OP_OACK = 6 };

struct client {
	int fd;
	bool connected, done, failed;
	uint64_t expect; /* the next block wanted (1-based, not wrapped) */
	uint64_t bytes;
	double last_progress;
};

struct storm {
	struct sockaddr_in srv;
	const char *name;
	unsigned blksize, window;
	double timeout_s;
	const uint8_t *ref;
	size_t ref_len;
	struct client *c;
	unsigned n, n_done;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void send_rrq(const struct storm *s, struct client *c)
{
	uint8_t pkt[512];
	char num[16];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	wbuf_u16(&b, OP_RRQ);
	wbuf_bytes(&b, s->name, strlen(s->name) + 1);
	wbuf_bytes(&b, "octet", 6);
	wbuf_bytes(&b, "blksize", 8);
	snprintf(num, sizeof num, "%u", s->blksize);
	wbuf_bytes(&b, num, strlen(num) + 1);
	if (s->window > 1) {
		wbuf_bytes(&b, "windowsize", 11);
		snprintf(num, sizeof num, "%u", s->window);
		wbuf_bytes(&b, num, strlen(num) + 1);
	}
	if (b.err == 0)
		(void) sendto(c->fd, pkt, wbuf_len(&b), 0, (const struct sockaddr *) &s->srv,
		              sizeof s->srv);
}

static void send_ack(struct client *c, uint64_t block)
{
	uint8_t pkt[4];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	wbuf_u16(&b, OP_ACK);
	wbuf_u16(&b, (uint16_t) block);
	(void) send(c->fd, pkt, sizeof pkt, MSG_DONTWAIT);
}

static void finish(struct storm *s, struct client *c, bool ok)
{
	c->done = true;
	c->failed = !ok;
	s->n_done++;
}

/* The first answer names the server's TID: connect to it. */
static void learn_tid(struct client *c, const struct sockaddr_in *from)
{
	if (!c->connected && connect(c->fd, (const struct sockaddr *) from, sizeof *from) == 0)
		c->connected = true;
}

static void on_data(struct storm *s, struct client *c, uint16_t block, struct wire *w)
{
	size_t len = wire_left(w);
	const uint8_t *data = wire_ptr(w, len);
	if (block != (uint16_t) c->expect) {
		if (s->window == 1 || block == (uint16_t) (c->expect - 1))
			send_ack(c, c->expect - 1); /* a repeat: say where we are */
		return;
	}
	size_t off = (size_t) (c->expect - 1) * s->blksize;
	if (len > s->blksize || off + len > s->ref_len ||
	    (len && memcmp(data, s->ref + off, len) != 0)) {
		finish(s, c, false);
		return;
	}
	c->bytes += len;
	c->last_progress = now_s();
	bool last = len < s->blksize;
	if (last || s->window == 1 || c->expect % s->window == 0)
		send_ack(c, c->expect);
	c->expect++;
	if (last)
		finish(s, c, c->bytes == s->ref_len);
}

static void on_packet(struct storm *s, struct client *c, const uint8_t *buf, size_t n)
{
	struct wire w = wire_init(buf, n);
	uint16_t op = wire_u16(&w);
	if (w.err)
		return;
	switch (op) {
	case OP_OACK:
		if (c->expect == 1) {
			c->last_progress = now_s();
			send_ack(c, 0);
		}
		break;
	case OP_DATA: {
		uint16_t block = wire_u16(&w);
		if (w.err == 0)
			on_data(s, c, block, &w);
		break;
	}
	case OP_ERROR:
		finish(s, c, false);
		break;
	default:
		break;
	}
}

static void drain(struct storm *s, struct client *c)
{
	uint8_t buf[65536];
	while (!c->done) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(c->fd, buf, sizeof buf, MSG_DONTWAIT,
		                     (struct sockaddr *) &from, &fl);
		if (n < 0)
			return;
		learn_tid(c, &from);
		on_packet(s, c, buf, (size_t) n);
	}
}

/* No progress for a second: repeat the last ACK (or the request). */
static void check_timeouts(struct storm *s, double t)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct client *c = &s->c[i];
		if (c->done || t - c->last_progress < 1.0)
			continue;
		if (t - c->last_progress > s->timeout_s) {
			finish(s, c, false);
			continue;
		}
		if (c->connected)
			send_ack(c, c->expect - 1);
		else
			send_rrq(s, c);
		c->last_progress = t - 0.5; /* next repeat in half a second */
	}
}

static int load_ref(struct storm *s, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	s->ref_len = (size_t) st.st_size;
	s->ref = s->ref_len ? mmap(NULL, s->ref_len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	return s->ref == MAP_FAILED ? -errno : 0;
}

static int run(struct storm *s)
{
	int ep = epoll_create1(0);
	if (ep < 0)
		return -errno;
	for (unsigned i = 0; i < s->n; i++) {
		struct client *c = &s->c[i];
		c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int sz = 1 << 20;
		(void) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (c->fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			return -errno;
		c->expect = 1;
		c->last_progress = now_s();
		send_rrq(s, c);
	}
	while (s->n_done < s->n) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, 100);
		for (int i = 0; i < k; i++)
			drain(s, evs[i].data.ptr);
		check_timeouts(s, now_s());
	}
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	struct storm s = {.n = 50, .blksize = 1468, .window = 1, .timeout_s = 30};
	const char *ref = NULL;
	int o;
	while ((o = getopt(argc, argv, "n:b:w:t:r:")) != -1) {
		switch (o) {
		case 'n':
			s.n = (unsigned) atoi(optarg);
			break;
		case 'b':
			s.blksize = (unsigned) atoi(optarg);
			break;
		case 'w':
			s.window = (unsigned) atoi(optarg);
			break;
		case 't':
			s.timeout_s = atof(optarg);
			break;
		case 'r':
			ref = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind + 3 != argc || !ref || s.n == 0 || s.blksize < 8 || s.window == 0) {
		fprintf(stderr,
		        "usage: %s -n N -b BLKSIZE [-w WINDOW] [-t S] -r REF SERVER PORT "
		        "NAME\n",
		        argv[0]);
		return 2;
	}
	s.srv = (struct sockaddr_in){.sin_family = AF_INET,
	                             .sin_port = htons((uint16_t) atoi(argv[optind + 1]))};
	if (inet_pton(AF_INET, argv[optind], &s.srv.sin_addr) != 1 || load_ref(&s, ref) < 0) {
		fprintf(stderr, "%s: bad server address or reference file\n", argv[0]);
		return 2;
	}
	s.name = argv[optind + 2];
	s.c = calloc(s.n, sizeof *s.c);
	if (!s.c)
		return 1;
	double t0 = now_s();
	if (run(&s) < 0) {
		perror("tftp-storm-client");
		return 1;
	}
	double wall = now_s() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	unsigned ok = 0;
	uint64_t bytes = 0;
	for (unsigned i = 0; i < s.n; i++) {
		ok += !s.c[i].failed;
		bytes += s.c[i].bytes;
	}
	printf("ok %u/%u bytes %llu wall_s %.3f cpu_s %.3f\n", ok, s.n, (unsigned long long) bytes,
	       wall,
	       (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
	               (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6);
	return ok == s.n ? 0 : 1;
}
