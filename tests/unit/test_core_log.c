/* core/log: the journal's native datagrams (fields, the binary-safe form,
 * overflow), the log context (nesting, closing with its scope), and lines
 * sent to a listening $NETBAY_JOURNAL_SOCKET. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"

static const struct hwaddr MAC = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

static void test_fields(void **state)
{
	(void) state;
	uint8_t b[512];
	struct log_ctx c = {.mac = MAC, .has_mac = true, .ip = 0x0a000007, .event = "dhcp.ack"};
	snprintf(c.device, sizeof c.device, "pc7");
	int n = log_journal_format(LOG_LVL_INFO, "dhcp: hello", 11, &c, b, sizeof b);
	const char *want = "PRIORITY=6\nSYSLOG_IDENTIFIER=netbay\nMESSAGE=dhcp: hello\n"
	                   "MAC=52:54:00:12:34:56\nIP=10.0.0.7\nEVENT=dhcp.ack\nDEVICE=pc7\n";
	assert_int_equal(n, (int) strlen(want));
	assert_memory_equal(b, want, strlen(want));
	/* no context: only the three */
	n = log_journal_format(LOG_LVL_ERR, "x", 1, NULL, b, sizeof b);
	want = "PRIORITY=3\nSYSLOG_IDENTIFIER=netbay\nMESSAGE=x\n";
	assert_int_equal(n, (int) strlen(want));
	assert_memory_equal(b, want, strlen(want));
}

static void test_newline_is_binary_safe(void **state)
{
	(void) state;
	uint8_t b[256];
	int n = log_journal_format(LOG_LVL_WARN, "a\nb", 3, NULL, b, sizeof b);
	const char head[] = "PRIORITY=4\nSYSLOG_IDENTIFIER=netbay\nMESSAGE\n";
	assert_true(n > 0);
	assert_memory_equal(b, head, sizeof head - 1);
	const uint8_t *p = b + sizeof head - 1;
	static const uint8_t len[8] = {3, 0, 0, 0, 0, 0, 0, 0}; /* little-endian 64 bits */
	assert_memory_equal(p, len, 8);
	assert_memory_equal(p + 8, "a\nb\n", 4);
	assert_int_equal(n, (int) (sizeof head - 1 + 8 + 4));
}

static void test_overflow(void **state)
{
	(void) state;
	uint8_t b[40];
	assert_int_equal(log_journal_format(LOG_LVL_INFO, "0123456789", 10, NULL, b, sizeof b),
	                 -ENOSPC);
}

/* The datagram a listening socket got for one line, as a string. */
static int journal_listener(char *path, size_t n)
{
	snprintf(path, n, "/tmp/nb-journal-%d.sock", (int) getpid());
	(void) unlink(path);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
	return fd;
}

static void next_dgram(int fd, char *buf, size_t n)
{
	ssize_t r = recv(fd, buf, n - 1, MSG_DONTWAIT);
	assert_true(r > 0);
	buf[r] = 0;
}

static void in_scope(void)
{
	LOG_CTX(inner, NULL, 0x0a000009, "tftp.request");
	log_info("inner line");
}

static void test_context_reaches_the_socket(void **state)
{
	(void) state;
	char path[64], dg[1024];
	int fd = journal_listener(path, sizeof path);
	setenv("NETBAY_JOURNAL_SOCKET", path, 1);
	log_init(LOG_LVL_INFO);
	assert_true(log_to_journal());
	{
		LOG_CTX(lc, &MAC, 0, "dhcp.discover");
		log_ctx_set_ip(0x0a000005);
		log_ctx_set_device("laptop");
		log_info("dhcp: %s", "offer");
		next_dgram(fd, dg, sizeof dg);
		assert_non_null(strstr(dg, "MESSAGE=dhcp: offer\n"));
		assert_non_null(strstr(dg, "MAC=52:54:00:12:34:56\n"));
		assert_non_null(strstr(dg, "IP=10.0.0.5\n"));
		assert_non_null(strstr(dg, "EVENT=dhcp.discover\n"));
		assert_non_null(strstr(dg, "DEVICE=laptop\n"));
		in_scope(); /* the inner context wins, then closes */
		next_dgram(fd, dg, sizeof dg);
		assert_non_null(strstr(dg, "IP=10.0.0.9\n"));
		assert_non_null(strstr(dg, "EVENT=tftp.request\n"));
		assert_null(strstr(dg, "MAC="));
		log_info("outer again");
		next_dgram(fd, dg, sizeof dg);
		assert_non_null(strstr(dg, "MAC=52:54:00:12:34:56\n"));
	}
	/* the scope ended: lines carry no device fields */
	log_ctx_set_ip(0x01020304); /* no context open: nothing to change */
	log_warn("after");
	next_dgram(fd, dg, sizeof dg);
	assert_non_null(strstr(dg, "PRIORITY=4\n"));
	assert_null(strstr(dg, "MAC="));
	assert_null(strstr(dg, "IP="));
	/* the socket gone: lines go to stderr instead, nothing breaks */
	close(fd);
	(void) unlink(path);
	log_info("to stderr");
	unsetenv("NETBAY_JOURNAL_SOCKET");
	log_init(LOG_LVL_INFO);
	assert_false(log_to_journal());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fields),
	        cmocka_unit_test(test_newline_is_binary_safe),
	        cmocka_unit_test(test_overflow),
	        cmocka_unit_test(test_context_reaches_the_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
