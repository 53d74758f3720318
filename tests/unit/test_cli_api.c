/* The CLI's API client: target options, and the transport against fake
 * servers that misbehave on purpose (the response parser has its own
 * tests in test_httpc.c). */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/api.h"
#include "core/tls.h"
#include "core/util.h"

static void test_target_options(void **state)
{
	(void) state;
	struct cli_api_target t;
	char err[200], where[300];

	unsetenv("NETBAY_TOKEN");
	cli_api_target_init(&t);
	assert_string_equal(t.socket, "/run/netbay/api.sock");
	assert_string_equal(t.host, "");
	assert_string_equal(cli_api_target_describe(&t, where, sizeof where),
	                    "/run/netbay/api.sock");
	assert_int_equal(cli_api_target_option(&t, 'x', "a", err, sizeof err), 0);
	assert_int_equal(
	        cli_api_target_option(&t, CLI_API_OPT_SOCKET, "/tmp/a.sock", err, sizeof err), 1);
	assert_string_equal(t.socket, "/tmp/a.sock");

	/* HTTPS unless http:// says otherwise; 443 and 80 by default */
	static const struct {
		const char *arg, *where;
		bool tls;
	} good[] = {
	        {"nb.lan", "https://nb.lan:443", true},
	        {"http://nb.lan", "http://nb.lan:80", false},
	        {"HTTPS://10.0.0.1:8443", "https://10.0.0.1:8443", true},
	        {"http://10.0.0.1:8080", "http://10.0.0.1:8080", false},
	        {"[fd00::1]:81", "https://[fd00::1]:81", true},
	        {"http://fd00::2", "http://[fd00::2]:80", false},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(good); i++) {
		assert_int_equal(
		        cli_api_target_option(&t, CLI_API_OPT_SERVER, good[i].arg, err, sizeof err),
		        1);
		assert_string_equal(cli_api_target_describe(&t, where, sizeof where),
		                    good[i].where);
		assert_int_equal(t.tls, good[i].tls);
	}
	static const char *const bad[] = {
	        "",         ":80",     "h:0",        "h:65536",        "h:x", "[fd00::1", "[a]x",
	        "https://", "ftp://h", "https://h/", "https://h:1/api"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(
		        cli_api_target_option(&t, CLI_API_OPT_SERVER, bad[i], err, sizeof err),
		        -EINVAL);

	char path[] = "/tmp/nbtokXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "  s3cret-token-0123\n", 20), 20);
	close(fd);
	assert_int_equal(cli_api_target_option(&t, CLI_API_OPT_TOKEN_FILE, path, err, sizeof err),
	                 1);
	assert_string_equal(t.token, "s3cret-token-0123");
	unlink(path);
	assert_true(cli_api_target_option(&t, CLI_API_OPT_TOKEN_FILE, path, err, sizeof err) < 0);
	assert_non_null(strstr(err, "No such file"));

	setenv("NETBAY_TOKEN", "from-the-environment", 1);
	cli_api_target_init(&t);
	assert_string_equal(t.token, "from-the-environment");
	unsetenv("NETBAY_TOKEN");

	/* the pin: an option or the environment; CA file; plain token */
	char fp[TLS_FP_STRLEN];
	uint8_t raw[TLS_FP_LEN];
	memset(raw, 0x5a, sizeof raw);
	tls_fingerprint_fmt(raw, fp);
	assert_false(t.have_pin);
	assert_int_equal(cli_api_target_option(&t, CLI_API_OPT_FINGERPRINT, fp, err, sizeof err),
	                 1);
	assert_true(t.have_pin);
	assert_memory_equal(t.pin, raw, sizeof raw);
	assert_int_equal(
	        cli_api_target_option(&t, CLI_API_OPT_FINGERPRINT, "5A:5A", err, sizeof err),
	        -EINVAL);
	assert_non_null(strstr(err, "is not a SHA-256 fingerprint"));
	setenv("NETBAY_FINGERPRINT", fp, 1);
	cli_api_target_init(&t);
	assert_true(t.have_pin);
	setenv("NETBAY_FINGERPRINT", "junk", 1);
	cli_api_target_init(&t);
	assert_false(t.have_pin);
	unsetenv("NETBAY_FINGERPRINT");
	assert_int_equal(
	        cli_api_target_option(&t, CLI_API_OPT_CACERT, "/etc/x.pem", err, sizeof err), 1);
	assert_string_equal(t.ca_file, "/etc/x.pem");
	assert_int_equal(cli_api_target_option(&t, CLI_API_OPT_PLAIN_TOKEN, NULL, err, sizeof err),
	                 1);
	assert_true(t.plain_token);

	char seg[32];
	assert_int_equal(cli_api_escape_segment("52:54:00:aa:bb:cc", seg, sizeof seg), 0);
	assert_string_equal(seg, "52:54:00:aa:bb:cc");
	assert_int_equal(cli_api_escape_segment("a/b c%?#\n", seg, sizeof seg), 0);
	assert_string_equal(seg, "a%2Fb%20c%25%3F%23%0A");
	assert_int_equal(cli_api_escape_segment("aaaa", seg, 4), -ENAMETOOLONG);
	assert_int_equal(cli_api_escape_segment("aa/", seg, 5), -ENAMETOOLONG);
}

/* ---- transport against a fake server */

static char sockpath[64];

/* A server for one connection: reads the request into reqfile, then sends
 * reply (in two halves, a pause between them) and closes. hang: sends nothing. */
static pid_t fake_server(int lfd, const char *reply, size_t len, bool hang, const char *reqfile)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	int c = accept(lfd, NULL, NULL);
	char req[8192];
	size_t n = 0;
	while (n < sizeof req - 1) { /* until the end of the headers and a body if any */
		ssize_t k = read(c, req + n, sizeof req - 1 - n);
		if (k <= 0)
			break;
		n += (size_t) k;
		req[n] = 0;
		char *end = strstr(req, "\r\n\r\n");
		char *cl = strstr(req, "Content-Length: ");
		if (end && (!cl || n >= (size_t) (end + 4 - req) + strtoul(cl + 16, NULL, 10)))
			break;
	}
	FILE *f = fopen(reqfile, "w");
	fwrite(req, 1, n, f);
	fclose(f);
	if (hang) {
		sleep(5);
		_exit(0);
	}
	(void) !write(c, reply, len / 2);
	usleep(50000);
	(void) !write(c, reply + len / 2, len - len / 2);
	close(c);
	_exit(0);
}

static int unix_listener(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sockpath, sizeof sockpath, "/tmp/nbcli-%d.sock", (int) getpid());
	unlink(sockpath);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sockpath);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof sun), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	unlink(path);
	return buf;
}

/* One request against a fake server answering reply; returns cli_api_request's result. */
static int against(const struct cli_api_target *t, int lfd, const char *reply, bool hang,
                   json_t *body, json_t **ret, int *status, char *err, char **req)
{
	char reqfile[64];
	snprintf(reqfile, sizeof reqfile, "/tmp/nbcli-req-%d", (int) getpid());
	pid_t pid = fake_server(lfd, reply, strlen(reply), hang, reqfile);
	int r = cli_api_request(t, body ? "POST" : "GET", "/api/v1/x", body, ret, status, err, 300);
	if (hang)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	*req = slurp(reqfile);
	return r;
}

static void test_transport(void **state)
{
	(void) state;
	struct cli_api_target t;
	json_t *j = NULL;
	int status = 0, lfd = unix_listener();
	char err[300], *req;

	cli_api_target_init(&t);
	snprintf(t.socket, sizeof t.socket, "%s", sockpath);
	snprintf(t.token, sizeof t.token, "never-over-unix-0123");
	t.timeout_ms = 1000;

	/* chunked JSON, split across writes */
	assert_int_equal(against(&t, lfd,
	                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                         "7\r\n{\"a\": 1\r\n1\r\n}\r\n0\r\n\r\n",
	                         false, NULL, &j, &status, err, &req),
	                 0);
	assert_int_equal(status, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
	assert_non_null(strstr(req, "GET /api/v1/x HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "Connection: close\r\n"));
	assert_null(strstr(req, "Authorization")); /* the socket needs no token */

	/* a JSON body goes out with its length; an error answer comes back */
	json_t *b = json_pack("{s:s}", "k", "v");
	assert_int_equal(against(&t, lfd,
	                         "HTTP/1.1 409 Conflict\r\nContent-Length: 19\r\n\r\n"
	                         "{\"error\": \"in use\"}",
	                         false, b, &j, &status, err, &req),
	                 0);
	json_decref(b);
	assert_int_equal(status, 409);
	assert_string_equal(cli_api_error_text(j), "in use");
	json_decref(j);
	assert_non_null(strstr(req, "POST /api/v1/x HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n"
	                            "{\"k\":\"v\"}"));

	/* 204: no body, no JSON */
	j = (json_t *) 0x1;
	assert_int_equal(against(&t, lfd, "HTTP/1.1 204 No Content\r\n\r\n", false, NULL, &j,
	                         &status, err, &req),
	                 0);
	assert_int_equal(status, 204);
	assert_null(j);

	/* a proxy's HTML page is not mistaken for netbay */
	assert_int_equal(
	        against(&t, lfd,
	                "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 13\r\n\r\n<html></html>",
	                false, NULL, &j, &status, err, &req),
	        -EBADMSG);
	assert_non_null(strstr(err, "(HTTP 502) is not JSON"));

	/* broken HTTP, a connection closed mid-body, and silence */
	assert_int_equal(
	        against(&t, lfd, "SSH-2.0-OpenSSH\r\n", false, NULL, &j, &status, err, &req),
	        -EBADMSG);
	assert_non_null(strstr(err, "is not valid HTTP"));
	assert_int_equal(against(&t, lfd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", false,
	                         NULL, &j, &status, err, &req),
	                 -EBADMSG);
	t.timeout_ms = 300;
	int64_t t0 = nb_now_ms();
	assert_int_equal(against(&t, lfd, "", true, NULL, &j, &status, err, &req), -ETIMEDOUT);
	assert_true(nb_now_ms() - t0 < 3000);
	assert_non_null(strstr(err, "did not answer within 300 ms"));
	close(lfd);
	unlink(sockpath);

	/* nobody there: say what to do about it */
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 300),
	                 -ENOENT);
	char want[200];
	snprintf(want, sizeof want, "cannot reach netbay at %s: is `netbay serve` running?",
	         sockpath);
	assert_string_equal(err, want);
	lfd = unix_listener(); /* a socket file nobody accepts on any more */
	close(lfd);
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 300),
	                 -ECONNREFUSED);
	assert_string_equal(err, want);
	unlink(sockpath);

	/* bad request lines never leave the process */
	assert_int_equal(cli_api_request(&t, "GET", "/a b", NULL, &j, &status, err, 300), -EINVAL);
	assert_int_equal(cli_api_request(&t, "GET", "/a\r\nX: y", NULL, &j, &status, err, 300),
	                 -EINVAL);
	assert_int_equal(cli_api_request(&t, "GET", "api", NULL, &j, &status, err, 300), -EINVAL);
	assert_int_equal(cli_api_request(&t, "G T", "/a", NULL, &j, &status, err, 300), -EINVAL);
}

static void test_transport_tcp(void **state)
{
	(void) state;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof sin;
	struct cli_api_target t;
	json_t *j;
	int status, lfd = socket(AF_INET, SOCK_STREAM, 0);
	char err[300], *req, server[32];

	assert_int_equal(bind(lfd, (struct sockaddr *) &sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *) &sin, &len), 0);
	cli_api_target_init(&t);
	snprintf(server, sizeof server, "http://127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(cli_api_target_option(&t, CLI_API_OPT_SERVER, server, err, sizeof err), 1);
	snprintf(t.token, sizeof t.token, "tcp-token-0123456789");
	t.plain_token = true; /* over http:// only when asked for */
	assert_int_equal(against(&t, lfd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", false,
	                         NULL, &j, &status, err, &req),
	                 0);
	assert_int_equal(status, 200);
	assert_true(json_is_array(j));
	json_decref(j);
	assert_non_null(strstr(req, "Authorization: Bearer tcp-token-0123456789\r\n"));
	char host[64];
	snprintf(host, sizeof host, "Host: %s\r\n", server + 7);
	assert_non_null(strstr(req, host));
	close(lfd);

	/* the port is closed now */
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 300),
	                 -ECONNREFUSED);
	assert_non_null(strstr(err, "is `netbay serve` running?"));
	assert_non_null(strstr(err, server));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_target_options),
	        cmocka_unit_test(test_transport),
	        cmocka_unit_test(test_transport_tcp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
