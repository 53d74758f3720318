/* The shared HTTP/1 client pieces: the response parser against hostile
 * bytes, and the receive loop over a socket pair fed in pieces. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "httpc/httpc.h"

#define CAP 1000 /* body cap for the parser tests */

static int parse(const char *s, bool eof, struct httpc_response *r)
{
	return httpc_response_parse(s, strlen(s), eof, false, CAP, r);
}

/* Parses s (complete) expecting status and body; every strict prefix must
 * ask for more bytes, and fail once the peer has closed. */
static void expect_ok(const char *s, int status, const char *body)
{
	struct httpc_response r;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		int k = httpc_response_parse(s, i, false, false, CAP, &r);
		if (k != 0)
			print_message("prefix %zu of '%s' -> %d\n", i, s, k);
		assert_int_equal(k, 0);
		assert_int_equal(httpc_response_parse(s, i, true, false, CAP, &r), -EBADMSG);
	}
	int k = parse(s, false, &r);
	if (k != 1)
		print_message("'%s' -> %d\n", s, k);
	assert_int_equal(k, 1);
	assert_int_equal(r.status, status);
	assert_int_equal(r.body_len, strlen(body));
	assert_memory_equal(r.body, body, r.body_len);
	assert_int_equal(r.body[r.body_len], 0);
	httpc_response_done(&r);
}

static void expect_err(const char *s, int err)
{
	struct httpc_response r;
	int k = parse(s, true, &r);
	if (k != err)
		print_message("'%s' -> %d, wanted %d\n", s, k, err);
	assert_int_equal(k, err);
}

static void test_parse_framing(void **state)
{
	(void) state;
	struct httpc_response r;
	expect_ok(
	        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	        200, "{}");
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                       "Content-Length: 2\r\n\r\n{}",
	                       false, &r),
	                 1);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.date, "");
	httpc_response_done(&r);

	/* Date and Server are kept for the doctor; a Date too long to keep whole is dropped */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	                       "Server: nginx/1.22\r\nContent-Length: 0\r\n\r\n",
	                       false, &r),
	                 1);
	assert_string_equal(r.date, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(r.server, "nginx/1.22");
	httpc_response_done(&r);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT "
	                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
	                       "Content-Length: 0\r\n\r\n",
	                       false, &r),
	                 1);
	assert_string_equal(r.date, "");
	httpc_response_done(&r);

	expect_ok("HTTP/1.0 404 Not Found\nContent-Length: 3\n\nabc", 404, "abc"); /* bare LF */
	expect_ok("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, "");           /* no reason */
	expect_ok("HTTP/1.1 204 No Content\r\n\r\n", 204, "");
	expect_ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, "");
	expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc", 200,
	          "abc"); /* the same length twice is one length */
	/* interim responses are skipped */
	expect_ok("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
	          201, "x");
	/* bytes after the message are not ours */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz", false, &r), 1);
	assert_string_equal(r.body, "x");
	httpc_response_done(&r);

	/* chunked, with extensions, upper-case hex and trailers */
	expect_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	          "4\r\nWiki\r\n5;ext=1\r\npedia\r\nA\r\n 012345678\r\n0\r\nX-T: 1\r\n\r\n",
	          200, "Wikipedia 012345678");
	expect_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
	          "1\r\na\r\n0\r\n\r\n",
	          200, "a"); /* chunked wins over a length (RFC 9112 §6.3) */

	/* no framing: the body ends with the connection */
	const char *eofb = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
	assert_int_equal(parse(eofb, false, &r), 0);
	assert_int_equal(parse(eofb, true, &r), 1);
	assert_string_equal(r.body, "until the end");
	httpc_response_done(&r);

	/* HEAD: no body whatever the length says */
	const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n";
	assert_int_equal(httpc_response_parse(h, strlen(h), false, true, CAP, &r), 1);
	assert_int_equal(r.body_len, 0);
	httpc_response_done(&r);
}

static void test_parse_hostile(void **state)
{
	(void) state;
	static const char *const bad[] = {
	        "HTTP/2 200 OK\r\n\r\n",
	        "HTTP/1.2 200 OK\r\n\r\n",
	        "ICY 200 OK\r\n\r\n",
	        "HTTP/1.1 20 OK\r\n\r\n",
	        "HTTP/1.1 2000 OK\r\n\r\n",
	        "HTTP/1.1 099 Low\r\n\r\n",
	        "HTTP/1.1 600 High\r\n\r\n",
	        "HTTP/1.1  200 OK\r\n\r\n",
	        "http/1.1 200 OK\r\n\r\n",
	        "\r\nHTTP/1.1 200 OK\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
	        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nA: b\r\n folded: x\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx",
	        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
	        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", /* closed early */
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
	        "chunked\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 1\r\nx\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\nx\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxyz\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	        "ffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nno "
	        "colon\r\n\r\n",
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n", /* no last chunk */
	        "HTTP/1.1 100 Continue\r\n\r\n", /* only the interim one */
	        "",
	        "garbage",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_err(bad[i], -EBADMSG);

	struct httpc_response r;
	/* a NUL inside a header line */
	static const char nul[] = "HTTP/1.1 200 OK\r\nA: b\0c\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(httpc_response_parse(nul, sizeof nul - 1, true, false, CAP, &r), -EBADMSG);
	/* a chunk-size line that never ends */
	char longline[400] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1";
	memset(longline + strlen(longline), '0', 300);
	assert_int_equal(parse(longline, false, &r), -EBADMSG);
}

static void test_parse_caps(void **state)
{
	(void) state;
	struct httpc_response r;
	char buf[HTTPC_HEADER_MAX + 200];

	/* the length is refused before the body arrives */
	expect_err("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", -EFBIG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", false, &r),
	                 -EFBIG);
	expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", -EFBIG);
	/* chunks that add up past the cap */
	char xs[101];
	memset(xs, 'x', 100);
	xs[100] = 0;
	static char many[4096];
	size_t k = (size_t) snprintf(many, sizeof many,
	                             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 11; i++) { /* 11 chunks of 100 bytes */
		k += (size_t) snprintf(many + k, sizeof many - k, "64\r\n%.100s\r\n", xs);
	}
	assert_true(k < sizeof many);
	assert_int_equal(parse(many, false, &r), -EFBIG);
	/* until-EOF bodies too */
	char eofb[1200] = "HTTP/1.1 200 OK\r\n\r\n";
	memset(eofb + strlen(eofb), 'y', 1001);
	assert_int_equal(parse(eofb, false, &r), -EFBIG);

	/* headers: a section past HTTPC_HEADER_MAX, ended or not */
	snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nX: ");
	size_t n = strlen(buf);
	memset(buf + n, 'a', HTTPC_HEADER_MAX);
	buf[n + HTTPC_HEADER_MAX] = 0;
	assert_int_equal(parse(buf, false, &r), -E2BIG);
	strcat(buf, "\r\n\r\n");
	assert_int_equal(parse(buf, false, &r), -E2BIG);
	/* many short headers add up the same way */
	char *hs = malloc(HTTPC_HEADER_MAX * 2);
	strcpy(hs, "HTTP/1.1 200 OK\r\n");
	while (strlen(hs) < HTTPC_HEADER_MAX + 100)
		strcat(hs, "X-Filler: 0123456789\r\n");
	assert_int_equal(parse(hs, false, &r), -E2BIG);
	free(hs);
}

/* A socket pair: [0] is read by httpc_receive, [1] plays the server. */
static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static void put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t) strlen(s));
}

static void test_receive(void **state)
{
	(void) state;
	struct httpc_response r;
	int sv[2];
	int64_t soon = nb_now_ms() + 5000;

	/* framed by its length: complete without the peer closing */
	pair(sv);
	put(sv[1], "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	assert_int_equal(httpc_receive(sv[0], false, CAP, 4096, soon, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello");
	httpc_response_done(&r);
	close(sv[0]);
	close(sv[1]);

	/* until the end of the connection, arriving in pieces from another process */
	pair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const pieces[] = {"HTTP/1.1 404 Not", " Found\r\n\r\nno ",
		                                     "such thing"};
		for (size_t i = 0; i < NB_ARRAY_SIZE(pieces); i++) {
			usleep(20 * 1000);
			if (write(sv[1], pieces[i], strlen(pieces[i])) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(httpc_receive(sv[0], false, CAP, 4096, soon, &r), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "no such thing");
	httpc_response_done(&r);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sv[0]);

	/* the peer closes before the length is there */
	pair(sv);
	put(sv[1], "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
	close(sv[1]);
	assert_int_equal(httpc_receive(sv[0], false, CAP, 4096, soon, &r), -EBADMSG);
	close(sv[0]);

	/* more bytes than buf_max without a whole answer */
	pair(sv);
	put(sv[1], "HTTP/1.1 200 OK\r\nX-Pad: 0123456789012345678901234567890123456789\r\n");
	assert_int_equal(httpc_receive(sv[0], false, CAP, 32, soon, &r), -EFBIG);
	close(sv[0]);
	close(sv[1]);
	/* the parser's own verdicts come through as they are */
	pair(sv);
	put(sv[1], "garbage\r\n\r\n");
	close(sv[1]);
	assert_int_equal(httpc_receive(sv[0], false, CAP, 4096, soon, &r), -EBADMSG);
	close(sv[0]);

	/* a silent server: the deadline holds */
	pair(sv);
	int64_t t0 = nb_now_ms();
	assert_int_equal(httpc_receive(sv[0], false, CAP, 4096, t0 + 100, &r), -ETIMEDOUT);
	assert_true(nb_now_ms() - t0 >= 90);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_framing),
	        cmocka_unit_test(test_parse_hostile),
	        cmocka_unit_test(test_parse_caps),
	        cmocka_unit_test(test_receive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
