/* The TFTP server in its event loop, driven by a hand-made client over
 * loopback UDP: transfers, negotiation, windows, refusals, a client that
 * vanishes, single-port mode, and the journal events each one leaves. */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/lan.h"
#include "core/loop.h"
#include "core/services.h"
#include "core/wire.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "tftp/tftp.h"
#include "tftp/wire.h"

#define LOCALHOST 0x7f000001u

static const struct hwaddr client_mac = {{0x52, 0x54, 0x00, 0x00, 0x00, 0x42}};

struct env {
	char root[64];
	struct loop *loop;
	struct hosts *hosts;
	struct journal *journal;
	struct nb_services svc;
	struct conf *conf;
	struct tftp_server *srv;
	uint16_t port;
};

/* ---- fixtures */

static void put_file(struct env *e, const char *rel, const void *data, size_t n)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", e->root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t) (i * 7 + i / 251);
	return b;
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCALHOST)};
	socklen_t len = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static struct conf *make_conf(struct env *e, const char *extra)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "[dhcp]\nmode = off\n[tftp]\nroot = %s\nlisten = 127.0.0.1\nport = %u\n"
	         "timeout = 1s\nretries = 1\n%s",
	         e->root, e->port, extra);
	return conf_ok(text);
}

static struct env *env_new(const char *extra)
{
	struct env *e = calloc(1, sizeof *e);
	char p[128];
	strcpy(e->root, "/tmp/nbtftpXXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(p, sizeof p, "%s/Boot", e->root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Boot/X64", e->root);
	mkdir(p, 0755);
	put_file(e, "Boot/X64/wdsnbp.com", "loader", 6);
	snprintf(p, sizeof p, "%s/escape", e->root);
	assert_int_equal(symlink("/etc/hostname", p), 0);
	e->loop = loop_new();
	e->hosts = hosts_new();
	e->journal = journal_new(hosts_journal_mac, e->hosts);
	assert_true(hosts_set(e->hosts, &client_mac, LOCALHOST, "client", HOSTS_STATIC, 0) >= 0);
	e->svc = (struct nb_services){.loop = e->loop, .hosts = e->hosts, .journal = e->journal};
	e->port = free_port();
	e->conf = make_conf(e, extra);
	assert_int_equal(lan_new(e->conf, &e->svc.lan), 0); /* the machine's interfaces */
	assert_int_equal(tftp_server_new(e->conf, &e->svc, &e->srv), 0);
	return e;
}

static void env_free(struct env *e)
{
	char cmd[128];
	tftp_server_free(e->srv);
	lan_free(e->svc.lan);
	conf_free(e->conf);
	journal_free(e->journal);
	hosts_free(e->hosts);
	loop_free(e->loop);
	snprintf(cmd, sizeof cmd, "rm -rf %s", e->root);
	assert_int_equal(system(cmd), 0);
	free(e);
}

/* ---- a client */

struct client {
	int fd;
	uint16_t server_port; /* the TID the server answered from */
};

/* A client on addr (any of 127.0.0.0/8: another client address). */
static struct client client_at(uint32_t addr)
{
	struct client c = {.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
	assert_int_equal(bind(c.fd, (struct sockaddr *) &sa, sizeof sa), 0);
	return c;
}

static struct client client_new(void)
{
	return client_at(LOCALHOST);
}

static void send_to(struct client *c, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(LOCALHOST)};
	assert_int_equal(sendto(c->fd, buf, len, 0, (struct sockaddr *) &sa, sizeof sa),
	                 (ssize_t) len);
}

#define SEND_LIT(c, port, lit) send_to(c, port, lit, sizeof(lit) - 1)

static void send_ack(struct client *c, uint16_t block)
{
	uint8_t pkt[4];
	struct wbuf b = wbuf_init(pkt, sizeof pkt);
	tftp_write_ack(&b, block);
	send_to(c, c->server_port, pkt, sizeof pkt);
}

/* Runs the server's loop until the client has a datagram or wait_ms pass;
 * returns its length (-1: nothing) and parses it into *m. */
static ssize_t recv_msg(struct env *e, struct client *c, uint8_t *buf, size_t cap,
                        struct tftp_msg *m, int wait_ms)
{
	int64_t end = nb_now_ms() + wait_ms;
	do {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(c->fd, buf, cap, 0, (struct sockaddr *) &from, &fl);
		if (n >= 0) {
			c->server_port = ntohs(from.sin_port);
			assert_int_equal(tftp_msg_parse(buf, (size_t) n, m), 0);
			return n;
		}
		loop_run_once(e->loop, 5);
	} while (nb_now_ms() < end);
	return -1;
}

static struct tftp_msg expect_msg(struct env *e, struct client *c, uint16_t op)
{
	static uint8_t buf[70000];
	struct tftp_msg m;
	ssize_t n = recv_msg(e, c, buf, sizeof buf, &m, 3000);
	if (n < 0)
		fail_msg("no packet (wanted op %u)", op);
	if (m.op != op)
		fail_msg("got op %u (error %u \"%s\"), wanted %u", m.op, m.err_code, m.err_msg, op);
	return m;
}

static void expect_silence(struct env *e, struct client *c, int ms)
{
	uint8_t buf[2048];
	struct tftp_msg m;
	ssize_t n = recv_msg(e, c, buf, sizeof buf, &m, ms);
	if (n >= 0)
		fail_msg("unexpected packet op %u block %u", m.op, m.block);
}

static void expect_error(struct env *e, struct client *c, uint16_t code)
{
	struct tftp_msg m = expect_msg(e, c, TFTP_ERROR);
	assert_int_equal(m.err_code, code);
}

/* Reads a whole lock-step transfer whose first DATA is next; returns the bytes. */
static size_t read_lockstep(struct env *e, struct client *c, uint32_t blksize, uint8_t *out,
                            size_t cap)
{
	size_t got = 0;
	for (uint16_t want = 1;; want++) {
		struct tftp_msg m = expect_msg(e, c, TFTP_DATA);
		assert_int_equal(m.block, want);
		assert_true(got + m.data_len <= cap);
		memcpy(out + got, m.data, m.data_len);
		got += m.data_len;
		send_ack(c, m.block);
		if (m.data_len < blksize)
			return got;
	}
}

/* ---- the journal */

struct found {
	const char *name, *needle;
	int n;
};

static void on_event(const struct journal_entry *ev, void *data)
{
	struct found *f = data;
	if (strcmp(ev->name, f->name) == 0 && (!f->needle || strstr(ev->detail, f->needle)))
		f->n++;
}

/* How many events called name (with needle in the detail, when given). */
static int events(struct env *e, const char *name, const char *needle)
{
	struct found f = {name, needle, 0};
	journal_foreach(e->journal, &client_mac, on_event, &f);
	return f.n;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void settle(struct env *e)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(e->loop, 2);
}

/* ---- tests */

static void test_lockstep(void **state)
{
	(void) state;
	struct env *e = env_new("");
	uint8_t *data = pattern(1500), out[4096];
	put_file(e, "f1", data, 1500);
	put_file(e, "f1024", data, 1024);

	struct client c = client_new();
	SEND_LIT(&c, e->port, "\0\1/f1\0octet\0");
	assert_int_equal(read_lockstep(e, &c, 512, out, sizeof out), 1500);
	assert_memory_equal(out, data, 1500);
	assert_int_not_equal(c.server_port, e->port); /* a new TID (RFC 1350) */
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_int_equal(events(e, "tftp.request", "file=\"/f1\" mode=octet"), 1);
	assert_int_equal(events(e, "tftp.complete", "bytes=1500"), 1);

	/* a size that is a multiple of the block ends with an empty block */
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "f1024\0octet\0");
	assert_int_equal(read_lockstep(e, &c, 512, out, sizeof out), 1024);
	assert_memory_equal(out, data, 1024);

	/* a duplicate ACK does not make the server resend (RFC 1123 4.2.3.1) */
	SEND_LIT(&c, e->port, "\0\1f1\0octet\0");
	struct tftp_msg m = expect_msg(e, &c, TFTP_DATA);
	send_ack(&c, 1);
	m = expect_msg(e, &c, TFTP_DATA);
	assert_int_equal(m.block, 2);
	send_ack(&c, 1);
	expect_silence(e, &c, 300);
	send_ack(&c, 2);
	m = expect_msg(e, &c, TFTP_DATA);
	assert_int_equal(m.block, 3);
	send_ack(&c, 3);
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	close(c.fd);
	free(data);
	env_free(e);
}

static void test_negotiation(void **state)
{
	(void) state;
	struct env *e = env_new("");
	size_t size = 100000;
	uint8_t *data = pattern(size);
	static uint8_t out[200000];
	put_file(e, "big", data, size);

	/* blksize 70000 -> the largest, tsize lie -> the real size, windowsize 0 refused,
	 * a repeated blksize ignored, an unknown option ignored */
	struct client c = client_new();
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "big\0octet\0blksize\0"
	         "70000\0tsize\0"
	         "999\0windowsize\0"
	         "0\0blksize\0"
	         "8\0timeout\0"
	         "3\0foo\0"
	         "1\0");
	struct tftp_msg m = expect_msg(e, &c, TFTP_OACK);
	assert_int_equal(m.opts.present, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_TIMEOUT);
	assert_int_equal(m.opts.blksize, 65464);
	assert_int_equal(m.opts.tsize, size);
	assert_int_equal(m.opts.timeout_sec, 3);
	send_ack(&c, 0);
	assert_int_equal(read_lockstep(e, &c, 65464, out, sizeof out), size);
	assert_memory_equal(out, data, size);

	/* the client refuses the OACK (RFC 2347 error 8): the transfer ends */
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "big\0octet\0blksize\0"
	         "1024\0");
	m = expect_msg(e, &c, TFTP_OACK);
	SEND_LIT(&c, c.server_port, "\0\5\0\10no thanks\0");
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_int_equal(events(e, "tftp.error", "error 8 \"no thanks\""), 1);

	/* a cap from the config */
	close(c.fd);
	conf_free(e->conf);
	e->conf = make_conf(e, "max-blksize = 1468\nmax-windowsize = 8\n");
	assert_int_equal(tftp_server_reload(e->srv, e->conf), 0);
	c = client_new();
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "big\0octet\0blksize\0"
	         "9000\0windowsize\0"
	         "100\0");
	m = expect_msg(e, &c, TFTP_OACK);
	assert_int_equal(m.opts.blksize, 1468);
	assert_int_equal(m.opts.windowsize, 8);
	SEND_LIT(&c, c.server_port, "\0\5\0\0bye\0");
	settle(e);
	close(c.fd);
	free(data);
	env_free(e);
}

/* Receives one window of n blocks starting at first; checks their contents. */
static void expect_window(struct env *e, struct client *c, uint64_t first, int n, uint32_t blksize,
                          const uint8_t *data, size_t size)
{
	for (int i = 0; i < n; i++) {
		struct tftp_msg m = expect_msg(e, c, TFTP_DATA);
		uint64_t b = first + (uint64_t) i;
		assert_int_equal(m.block, (uint16_t) b);
		uint64_t off = (b - 1) * blksize;
		size_t len = off + blksize <= size ? blksize : size - off;
		assert_int_equal(m.data_len, len);
		assert_memory_equal(m.data, data + off, len);
	}
}

static void test_window(void **state)
{
	(void) state;
	struct env *e = env_new("");
	size_t size = 20 * 512 + 100; /* 21 blocks */
	uint8_t *data = pattern(size);
	put_file(e, "w", data, size);

	struct client c = client_new();
	SEND_LIT(&c, e->port,
	         "\0\1w\0octet\0windowsize\0"
	         "4\0");
	struct tftp_msg m = expect_msg(e, &c, TFTP_OACK);
	assert_int_equal(m.opts.windowsize, 4);
	send_ack(&c, 0);
	expect_window(e, &c, 1, 4, 512, data, size);
	expect_silence(e, &c, 100); /* the whole window, then wait */
	/* a partial ACK: the next window starts after the block acknowledged */
	send_ack(&c, 2);
	expect_window(e, &c, 3, 4, 512, data, size);
	send_ack(&c, 6);
	expect_window(e, &c, 7, 4, 512, data, size);
	/* a duplicate ACK in a window means the next block was lost: one resend */
	int64_t t0 = nb_now_ms();
	send_ack(&c, 6);
	expect_window(e, &c, 7, 4, 512, data, size);
	assert_true(nb_now_ms() - t0 < 500); /* at once, not at the 1 s timeout */
	send_ack(&c, 6);
	expect_silence(e, &c, 200);
	/* stale and future ACKs are ignored */
	send_ack(&c, 3);
	send_ack(&c, 40);
	expect_silence(e, &c, 200);
	send_ack(&c, 10);
	expect_window(e, &c, 11, 4, 512, data, size);
	send_ack(&c, 14);
	expect_window(e, &c, 15, 4, 512, data, size);
	send_ack(&c, 18);
	expect_window(e, &c, 19, 3, 512, data, size); /* only 21 blocks */
	send_ack(&c, 21);
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_int_equal(events(e, "tftp.complete", "windowsize=4"), 1);
	close(c.fd);
	free(data);
	env_free(e);
}

static void test_block_rollover(void **state)
{
	(void) state;
	struct env *e = env_new("");
	size_t size = 70000 * 8 + 3; /* 70001 blocks of 8: numbers wrap past 65535 to 0 */
	uint8_t *data = pattern(size), *out = malloc(size);
	put_file(e, "roll", data, size);

	struct client c = client_new();
	SEND_LIT(&c, e->port,
	         "\0\1roll\0octet\0blksize\0"
	         "8\0windowsize\0"
	         "64\0");
	expect_msg(e, &c, TFTP_OACK);
	send_ack(&c, 0);
	size_t got = 0;
	uint64_t block = 0;
	bool wrapped = false;
	for (;;) {
		struct tftp_msg m = expect_msg(e, &c, TFTP_DATA);
		block++;
		assert_int_equal(m.block, (uint16_t) block);
		wrapped |= m.block == 0;
		memcpy(out + got, m.data, m.data_len);
		got += m.data_len;
		if (m.data_len < 8) {
			send_ack(&c, m.block);
			break;
		}
		if (block % 64 == 0)
			send_ack(&c, m.block);
	}
	assert_true(wrapped);
	assert_int_equal(got, size);
	assert_memory_equal(out, data, size);
	settle(e);
	assert_int_equal(events(e, "tftp.complete", "bytes=560003"), 1);
	close(c.fd);
	free(data);
	free(out);
	env_free(e);
}

static void test_refusals(void **state)
{
	(void) state;
	struct env *e = env_new("");
	put_file(e, "f", "x", 1);
	struct client c = client_new();

	SEND_LIT(&c, e->port, "\0\2upload\0octet\0");
	expect_error(e, &c, TFTP_EACCESS);
	assert_int_equal(events(e, "tftp.refused", "file=\"upload\" (write request)"), 1);

	SEND_LIT(&c, e->port, "\0\1../../etc/passwd\0octet\0");
	expect_error(e, &c, TFTP_EACCESS);
	SEND_LIT(&c, e->port, "\0\1..\\..\\etc\\passwd\0octet\0");
	expect_error(e, &c, TFTP_EACCESS);
	SEND_LIT(&c, e->port, "\0\1escape\0octet\0"); /* a symlink out of the root */
	expect_error(e, &c, TFTP_EACCESS);
	assert_int_equal(events(e, "tftp.refused", "the path leaves the root"), 3);

	SEND_LIT(&c, e->port, "\0\1pxelinux.cfg/default\0octet\0");
	expect_error(e, &c, TFTP_ENOTFOUND);
	assert_int_equal(events(e, "tftp.file_missing", "file=\"pxelinux.cfg/default\""), 1);
	SEND_LIT(&c, e->port, "\0\1/etc/passwd\0octet\0"); /* absolute: inside the root */
	expect_error(e, &c, TFTP_ENOTFOUND);
	SEND_LIT(&c, e->port, "\0\1Boot\0octet\0"); /* a directory */
	expect_error(e, &c, TFTP_ENOTFOUND);
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "boot\\x64\\wdsnbp.com\0octet\0"); /* case-sensitive by default */
	expect_error(e, &c, TFTP_ENOTFOUND);

	SEND_LIT(&c, e->port, "\0\1f\0mail\0");
	expect_error(e, &c, TFTP_EBADOP);
	assert_int_equal(events(e, "tftp.error", "unsupported transfer mode"), 1);
	SEND_LIT(&c, e->port, "\0\11f\0octet\0"); /* opcode 9 */
	expect_error(e, &c, TFTP_EBADOP);
	SEND_LIT(&c, e->port, "\0\1f\0oct"); /* mode without NUL */
	expect_error(e, &c, TFTP_EBADOP);
	send_to(&c, e->port, "\1", 1);     /* 1-byte packet: not worth an answer */
	SEND_LIT(&c, e->port, "\0\4\0\1"); /* an ACK for no transfer */
	SEND_LIT(&c, e->port, "\0\5\0\1x\0");
	expect_silence(e, &c, 200);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	close(c.fd);
	env_free(e);
}

static void test_case_insensitive_and_netascii(void **state)
{
	(void) state;
	struct env *e = env_new("case-insensitive = yes\n");
	uint8_t out[2048];
	struct client c = client_new();
	SEND_LIT(&c, e->port,
	         "\0\1"
	         "BOOT\\X64\\WDSNBP.COM\0octet\0");
	assert_int_equal(read_lockstep(e, &c, 512, out, sizeof out), 6);
	assert_memory_equal(out, "loader", 6);
	settle(e);
	assert_int_equal(events(e, "tftp.complete", "file=\"Boot/X64/wdsnbp.com\""), 1);

	/* netascii: LF -> CR LF, CR -> CR NUL, a pair split across a block boundary */
	char text[600];
	memset(text, 'a', sizeof text);
	text[0] = '\n';
	text[511] = '\n'; /* its CR ends block 1, its LF starts block 2 */
	text[599] = '\r';
	put_file(e, "t.txt", text, sizeof text);
	SEND_LIT(&c, e->port,
	         "\0\1t.txt\0netascii\0tsize\0"
	         "0\0");
	/* no tsize for netascii (its size is known only once encoded): plain transfer */
	size_t n = read_lockstep(e, &c, 512, out, sizeof out);
	assert_int_equal(n, 603);
	assert_memory_equal(out, "\r\naaa", 5);
	assert_memory_equal(out + 511, "a\r\naa", 5);
	assert_memory_equal(out + 601, "\r\0", 2);
	close(c.fd);
	env_free(e);
}

static void test_vanishing_client(void **state)
{
	(void) state;
	struct env *e = env_new(""); /* timeout 1s, retries 1 */
	uint8_t *data = pattern(5000);
	put_file(e, "f", data, 5000);
	settle(e);
	int fds = count_fds();

	struct client c = client_new();
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	expect_msg(e, &c, TFTP_DATA);
	send_ack(&c, 1);
	struct tftp_msg m = expect_msg(e, &c, TFTP_DATA);
	assert_int_equal(m.block, 2);
	assert_int_equal(tftp_server_transfers(e->srv), 1);
	int64_t t0 = nb_now_ms();
	/* the client goes quiet: one resend after 1 s, then 2 s more and it is over */
	m = expect_msg(e, &c, TFTP_DATA);
	assert_int_equal(m.block, 2);
	int64_t resend_ms = nb_now_ms() - t0;
	assert_true(resend_ms >= 900 && resend_ms < 1500);
	while (tftp_server_transfers(e->srv) > 0 && nb_now_ms() - t0 < 5000)
		loop_run_once(e->loop, 50);
	int64_t gone_ms = nb_now_ms() - t0;
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_true(gone_ms >= 2800 && gone_ms < 3800); /* 1 s + 2 s of backoff */
	settle(e);
	close(c.fd);
	assert_int_equal(count_fds(), fds); /* socket and file closed */
	assert_int_equal(events(e, "tftp.timeout",
	                        "last_acked_block=1 bytes_acked=512 retries=1 blksize=512 file=\""),
	                 1);
	free(data);
	env_free(e);
}

static void test_single_port(void **state)
{
	(void) state;
	struct env *e = env_new("single-port = yes\n");
	uint8_t *data = pattern(3000), out[4096];
	put_file(e, "f", data, 3000);

	/* two clients at once, both served from the listening port */
	struct client a = client_new(), b = client_new();
	SEND_LIT(&a, e->port, "\0\1f\0octet\0");
	SEND_LIT(&b, e->port,
	         "\0\1f\0octet\0blksize\0"
	         "1000\0");
	struct tftp_msg m = expect_msg(e, &b, TFTP_OACK);
	assert_int_equal(b.server_port, e->port);
	send_ack(&b, 0);
	size_t got_a = 0;
	for (uint16_t blk = 1; blk <= 6; blk++) {
		m = expect_msg(e, &a, TFTP_DATA);
		assert_int_equal(a.server_port, e->port);
		assert_int_equal(m.block, blk);
		memcpy(out + got_a, m.data, m.data_len);
		got_a += m.data_len;
		send_ack(&a, blk);
		if (blk <= 4) {
			m = expect_msg(e, &b, TFTP_DATA);
			assert_int_equal(m.block, blk);
			assert_int_equal(m.data_len, blk < 4 ? 1000 : 0);
			send_ack(&b, blk);
		}
	}
	assert_int_equal(got_a, 3000);
	assert_memory_equal(out, data, 3000);
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_int_equal(events(e, "tftp.complete", "bytes=3000"), 2);

	/* a running single-port transfer ends when the listening socket moves */
	SEND_LIT(&a, e->port, "\0\1f\0octet\0");
	expect_msg(e, &a, TFTP_DATA);
	uint16_t old_port = e->port;
	e->port = free_port();
	conf_free(e->conf);
	e->conf = make_conf(e, "single-port = yes\n");
	assert_int_equal(tftp_server_reload(e->srv, e->conf), 0);
	expect_error(e, &a, TFTP_EUNDEF);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	SEND_LIT(&a, e->port, "\0\1f\0octet\0");
	expect_msg(e, &a, TFTP_DATA);
	assert_int_equal(a.server_port, e->port);
	assert_int_not_equal(a.server_port, old_port);
	close(a.fd);
	close(b.fd);
	free(data);
	env_free(e);
}

static void test_busy_and_repeats(void **state)
{
	(void) state;
	struct env *e = env_new("max-transfers = 1\n");
	put_file(e, "f", "abc", 3);
	struct client a = client_new(), b = client_new();

	/* a repeated request does not start a second transfer */
	SEND_LIT(&a, e->port,
	         "\0\1f\0octet\0blksize\0"
	         "8\0");
	SEND_LIT(&a, e->port,
	         "\0\1f\0octet\0blksize\0"
	         "8\0");
	expect_msg(e, &a, TFTP_OACK);
	expect_silence(e, &a, 100);
	assert_int_equal(tftp_server_transfers(e->srv), 1);

	SEND_LIT(&b, e->port, "\0\1f\0octet\0");
	expect_error(e, &b, TFTP_EUNDEF);
	assert_int_equal(events(e, "tftp.busy", "transfers=1"), 1);
	close(a.fd);
	close(b.fd);
	env_free(e); /* ends the running transfer, frees everything */
}

static void test_interfaces(void **state)
{
	(void) state;
	/* [server] interfaces limits where requests are answered (the served LAN) */
	struct env *e = env_new("[server]\ninterfaces = lo\n");
	put_file(e, "f", "abc", 3);
	struct client c = client_new();
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	struct tftp_msg m = expect_msg(e, &c, TFTP_DATA);
	assert_int_equal(m.data_len, 3);
	send_ack(&c, 1);
	close(c.fd);
	env_free(e);

	/* the interface requests arrive on is not a served one: not a word back,
	 * not even to a malformed packet or a bad opcode */
	e = env_new("[server]\ninterfaces = eth0\n");
	static const struct lan_if wan[] = {
	        {.ifindex = 1, .name = "wan0", .addr = LOCALHOST, .prefix = 8}, /* lo, as a WAN */
	};
	lan_set_ifs(e->svc.lan, wan, 1);
	put_file(e, "f", "abc", 3);
	c = client_new();
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	SEND_LIT(&c, e->port, "\0\1f\0octet");
	SEND_LIT(&c, e->port, "\0\11x\0");
	expect_silence(e, &c, 300);
	assert_int_equal(events(e, "tftp.request", NULL), 0);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	close(c.fd);
	env_free(e);
}

static void test_per_client_limit(void **state)
{
	(void) state;
	struct env *e = env_new("max-transfers-per-client = 2\n");
	put_file(e, "f", "abc", 3);
	struct client a = client_new(), b = client_new(), c = client_new();
	struct client other = client_at(LOCALHOST + 1); /* 127.0.0.2 */
	SEND_LIT(&a, e->port,
	         "\0\1f\0octet\0blksize\0"
	         "8\0");
	expect_msg(e, &a, TFTP_OACK);
	SEND_LIT(&b, e->port,
	         "\0\1f\0octet\0blksize\0"
	         "8\0");
	expect_msg(e, &b, TFTP_OACK);
	/* the third from the same address is turned away, another address is not */
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	expect_error(e, &c, TFTP_EUNDEF);
	assert_int_equal(events(e, "tftp.busy", "max-transfers-per-client = 2"), 1);
	SEND_LIT(&other, e->port, "\0\1f\0octet\0");
	struct tftp_msg m = expect_msg(e, &other, TFTP_DATA);
	assert_int_equal(m.data_len, 3);
	send_ack(&other, 1);
	settle(e);
	assert_int_equal(tftp_server_transfers(e->srv), 2);
	/* one ends: room again */
	send_ack(&a, 0);
	expect_msg(e, &a, TFTP_DATA);
	send_ack(&a, 1);
	settle(e);
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	expect_msg(e, &c, TFTP_DATA);
	send_ack(&c, 1);
	close(a.fd);
	close(b.fd);
	close(c.fd);
	close(other.fd);
	env_free(e);
}

/* Counts the DATA packets of block 1 the client gets within ms. */
static int count_block1(struct env *e, struct client *c, int ms)
{
	uint8_t buf[2048];
	struct tftp_msg m;
	int n = 0;
	int64_t end = nb_now_ms() + ms;
	while (nb_now_ms() < end)
		if (recv_msg(e, c, buf, sizeof buf, &m, 50) > 0 && m.op == TFTP_DATA &&
		    m.block == 1)
			n++;
	return n;
}

static void test_first_retries(void **state)
{
	(void) state;
	/* retries = 1 from make_conf, and none before a first answer */
	struct env *e = env_new("first-retries = 0\n");
	uint8_t *data = pattern(2000);
	put_file(e, "f", data, 2000);
	/* a request from an address that never answers (a spoofed source):
	 * one packet, no repeat, and the transfer is given up after a timeout */
	struct client c = client_new();
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	assert_int_equal(count_block1(e, &c, 2500), 1);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	assert_int_equal(events(e, "tftp.timeout", "last_acked_block=0"), 1);
	/* a client that answered once gets every retry */
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	expect_msg(e, &c, TFTP_DATA);
	send_ack(&c, 1);
	int got = 0;
	uint8_t buf[2048];
	struct tftp_msg m;
	int64_t end = nb_now_ms() + 1700; /* the block, and its resend after 1 s */
	while (nb_now_ms() < end)
		if (recv_msg(e, &c, buf, sizeof buf, &m, 50) > 0 && m.op == TFTP_DATA &&
		    m.block == 2)
			got++;
	assert_int_equal(got, 2);
	close(c.fd);
	free(data);
	env_free(e);
}

static void test_memory_budget(void **state)
{
	(void) state;
	/* netascii holds its window in a ring of its own: 16 x 64 KiB here */
	struct env *e = env_new("memory = 2M\n");
	uint8_t *text = malloc(4 << 20);
	memset(text, 'a', 4 << 20);
	put_file(e, "t", text, 4 << 20);
	struct client a = client_new(), b = client_new();
	SEND_LIT(&a, e->port,
	         "\0\1t\0netascii\0blksize\0"
	         "65464\0windowsize\0"
	         "64\0");
	expect_msg(e, &a, TFTP_OACK);
	assert_true(tftp_server_memory(e->srv) > (1 << 20));
	SEND_LIT(&b, e->port,
	         "\0\1t\0netascii\0blksize\0"
	         "65464\0windowsize\0"
	         "64\0");
	expect_error(e, &b, TFTP_EUNDEF);
	assert_int_equal(events(e, "tftp.busy", "memory budget"), 1);
	close(a.fd);
	close(b.fd);
	env_free(e);

	/* the attack: many transfers with large windows, one ACK each, from a
	 * few addresses and files; what is held stays within the budget */
	e = env_new("memory = 4M\n");
	for (int f = 0; f < 3; f++) {
		char name[8];
		snprintf(name, sizeof name, "f%d", f);
		put_file(e, name, text, 4 << 20);
	}
	struct client cl[48];
	size_t peak = 0;
	for (int i = 0; i < 48; i++) {
		char rrq[64];
		int n = snprintf(rrq, sizeof rrq, "%c%cf%d%coctet%cblksize%c65464%cwindowsize%c64",
		                 0, 1, i % 3, 0, 0, 0, 0, 0);
		cl[i] = client_at(LOCALHOST + (uint32_t) (i % 4));
		int sz = 16 << 10; /* a small receive buffer: most of each window is lost */
		setsockopt(cl[i].fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		send_to(&cl[i], e->port, rrq, (size_t) n + 1);
		expect_msg(e, &cl[i], TFTP_OACK);
		send_ack(&cl[i], 0);
		settle(e);
		peak = NB_MAX(peak, tftp_server_memory(e->srv));
	}
	for (int i = 0; i < 100; i++) { /* retransmissions run on */
		loop_run_once(e->loop, 20);
		peak = NB_MAX(peak, tftp_server_memory(e->srv));
	}
	assert_int_equal(tftp_server_transfers(e->srv), 48);
	assert_true(peak <= (4 << 20));
	assert_true(peak >= (3 << 20)); /* the cache did use its room */
	for (int i = 0; i < 48; i++)
		close(cl[i].fd);
	env_free(e);
	free(text);
}

static void test_file_shrinks(void **state)
{
	(void) state;
	struct env *e = env_new("");
	uint8_t *data = pattern(200000);
	put_file(e, "f", data, 200000);
	struct client c = client_new();
	SEND_LIT(&c, e->port, "\0\1f\0octet\0");
	expect_msg(e, &c, TFTP_DATA);
	/* replaced in place while it is being sent, as `cp new f` does */
	char p[128];
	snprintf(p, sizeof p, "%s/f", e->root);
	assert_int_equal(truncate(p, 1000), 0);
	/* blocks already read ahead still go out; the next read sees the change */
	static uint8_t buf[2048];
	struct tftp_msg m = {0};
	uint16_t blk;
	for (blk = 1; blk < 390; blk++) {
		send_ack(&c, blk);
		assert_true(recv_msg(e, &c, buf, sizeof buf, &m, 3000) > 0);
		if (m.op != TFTP_DATA)
			break;
		assert_int_equal(m.block, blk + 1);
	}
	assert_int_equal(m.op, TFTP_ERROR);
	assert_int_equal(m.err_code, TFTP_EUNDEF);
	assert_true(blk < 390); /* it did not run to the old end */
	assert_int_equal(events(e, "tftp.error", "shrank"), 1);
	assert_int_equal(tftp_server_transfers(e->srv), 0);
	close(c.fd);
	free(data);
	env_free(e);
}

static void test_conf_keys(void **state)
{
	(void) state;
	struct conf_diag d = {0};
	struct conf *c = NULL;
	assert_int_equal(conf_load_string("[dhcp]\nmode = off\n", "t.conf", &d, &c), 0);
	assert_true(c->tftp.enable);
	assert_string_equal(c->tftp.root, "/srv/netbay/boot");
	assert_int_equal(c->tftp.port, 69);
	assert_int_equal(c->tftp.listen, 0);
	assert_false(c->tftp.single_port);
	assert_false(c->tftp.case_insensitive);
	assert_int_equal(c->tftp.max_blksize, 65464);
	assert_int_equal(c->tftp.max_windowsize, 64);
	assert_int_equal(c->tftp.timeout_sec, 1);
	assert_int_equal(c->tftp.retries, 5);
	assert_int_equal(c->tftp.max_transfers, 1000);
	assert_int_equal(c->tftp.max_transfers_per_client, 32);
	assert_int_equal(c->tftp.memory_bytes, 64 << 20);
	assert_int_equal(c->tftp.first_retries, 2);
	assert_int_equal(c->tftp.busy_poll_us, 0);
	conf_free(c);
	assert_int_equal(
	        conf_load_string("[dhcp]\nmode = off\n[tftp]\nmemory = 512k\n", "t.conf", &d, &c),
	        -EINVAL); /* under the 2M floor */
	conf_diag_done(&d);
	c = NULL;
	assert_int_equal(
	        conf_load_string("[dhcp]\nmode = off\n[tftp]\nmemory = 3G\n", "t.conf", &d, &c), 0);
	assert_int_equal(c->tftp.memory_bytes, 3ull << 30);
	conf_free(c);

	static const char *const bad[] = {
	        "root = boot\n",           "max-blksize = 7\n",
	        "max-blksize = 65465\n",   "max-windowsize = 0\n",
	        "timeout = 0\n",           "timeout = 256\n",
	        "retries = 101\n",         "max-transfers = 0\n",
	        "listen = 10.0.0\n",       "port = 0\n",
	        "single-port = maybe\n",   "memory = 64Q\n",
	        "memory = 17G\n",          "memory = -1M\n",
	        "memory = 17179869185G\n", /* wraps past 2^64 to 1G if multiplied first */
	        "first-retries = 101\n",   "max-transfers-per-client = 0\n",
	        "busy-poll-us = 1001\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		c = NULL;
		snprintf(text, sizeof text, "[dhcp]\nmode = off\n[tftp]\n%s", bad[i]);
		if (conf_load_string(text, "t.conf", &d, &c) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_null(c);
		assert_non_null(strstr(d.msgs[0], "t.conf:4: "));
		conf_diag_done(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lockstep),
	        cmocka_unit_test(test_negotiation),
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_block_rollover),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_case_insensitive_and_netascii),
	        cmocka_unit_test(test_vanishing_client),
	        cmocka_unit_test(test_single_port),
	        cmocka_unit_test(test_busy_and_repeats),
	        cmocka_unit_test(test_interfaces),
	        cmocka_unit_test(test_per_client_limit),
	        cmocka_unit_test(test_first_retries),
	        cmocka_unit_test(test_memory_budget),
	        cmocka_unit_test(test_file_shrinks),
	        cmocka_unit_test(test_conf_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
