/* The HTTP module end to end on loopback: the real server (libmicrohttpd in
 * netbay's loop) runs in a child process, the CLI's API client talks to it
 * from this one. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
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
#include "core/conf.h"
#include "core/ctl.h"
#include "core/loop.h"
#include "core/services.h"
#include "core/tls.h"
#include "http/http.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

#define TOKEN "server-test-token-0123"

static char dir[64], sock[96], cert[160];
static uint16_t port, tls_port;
static uint8_t pin[TLS_FP_LEN];
static pid_t server;

/* lease.list as the DHCP module will offer it: here it echoes its args. */
static int echo_cmd(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	*ret = json_pack("{s:s, s:O?}", "cmd", (const char *) data, "args", args);
	return 200;
}

static void on_term(struct loop *l, int signo, void *data)
{
	loop_quit(l, 0);
}

/* The child: a daemon with the HTTP module alone. */
static void run_server(const char *conftext)
{
	struct conf_diag d = {0};
	struct conf *c = NULL;
	struct nb_services svc = {0};
	void *m = NULL;

	if (conf_load_string(conftext, "t.conf", &d, &c) < 0)
		_exit(10);
	svc.loop = loop_new();
	svc.hosts = hosts_new();
	svc.journal = journal_new(hosts_journal_mac, svc.hosts);
	if (registry_open(NULL, svc.hosts, NULL, &svc.registry) < 0)
		_exit(3);
	svc.ctl = ctl_new();
	ctl_register(svc.ctl, "lease.list", echo_cmd, "lease.list");
	ctl_register(svc.ctl, "lease.release", echo_cmd, "lease.release");
	loop_signal_add(svc.loop, SIGTERM, on_term, NULL);
	if (http_module.new(c, &svc, &m) < 0 || !m)
		_exit(11);
	loop_run(svc.loop);
	http_module.free(m);
	ctl_free(svc.ctl);
	registry_free(svc.registry);
	journal_free(svc.journal);
	hosts_free(svc.hosts);
	loop_free(svc.loop);
	conf_free(c);
	exit(0); /* not _exit: under ASan, the leak check runs on the server too */
}

static uint16_t free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int setup(void **state)
{
	(void) state;
	char text[1024];
	strcpy(dir, "/tmp/nbsrvXXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/run/api.sock", dir);
	snprintf(cert, sizeof cert, "%s/data/tls/cert.pem", dir);
	port = free_port();
	do
		tls_port = free_port();
	while (tls_port == port);
	snprintf(
	        text, sizeof text,
	        "[server]\nname = unit\ndata-dir = %s/data\n[dhcp]\nmode = off\n[tftp]\nroot = %s\n"
	        "[http]\nlisten = 127.0.0.1\nport = %u\n[api]\nsocket = %s\ntoken = %s\n"
	        "listen = 127.0.0.1:%u\n",
	        dir, dir, port, sock, TOKEN, tls_port);
	server = fork();
	assert_true(server >= 0);
	if (server == 0)
		run_server(text);
	/* ready when the socket answers (bounded: 5 s) */
	struct cli_api_target t;
	cli_api_target_init(&t);
	snprintf(t.socket, sizeof t.socket, "%s", sock);
	for (int i = 0; i < 100; i++) {
		json_t *j = NULL;
		int status;
		char err[200];
		if (cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err,
		                    sizeof err) == 0) {
			/* the fingerprint to pin, as the health answer gives it */
			const char *fp = json_string_value(
			        json_object_get(json_object_get(j, "tls"), "fingerprint"));
			int r = fp ? tls_fingerprint_parse(fp, pin) : -1;
			json_decref(j);
			return r;
		}
		usleep(50000);
	}
	return -1;
}

/* Stops the server the way serve does (SIGTERM); it must leave cleanly,
 * without leaks under ASan, and take its socket with it. A test, not the
 * teardown: cmocka 1.1 does not fail the run for a failing group teardown. */
static void test_clean_stop(void **state)
{
	(void) state;
	int status;
	struct stat st;
	assert_int_equal(kill(server, SIGTERM), 0);
	assert_int_equal(waitpid(server, &status, 0), server);
	server = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stat(sock, &st), -1);
}

static int teardown(void **state)
{
	(void) state;
	char cmd[128];
	if (server > 0) { /* a test failed before test_clean_stop */
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void unix_target(struct cli_api_target *t)
{
	cli_api_target_init(t);
	snprintf(t->socket, sizeof t->socket, "%s", sock);
}

/* The plain [http] port. */
static void plain_target(struct cli_api_target *t, const char *token)
{
	char server_s[48], err[100];
	cli_api_target_init(t);
	snprintf(server_s, sizeof server_s, "http://127.0.0.1:%u", port);
	assert_int_equal(cli_api_target_option(t, CLI_API_OPT_SERVER, server_s, err, sizeof err),
	                 1);
	snprintf(t->token, sizeof t->token, "%s", token ? token : "");
}

/* The HTTPS [api] listen port, the certificate pinned. */
static void tcp_target(struct cli_api_target *t, const char *token)
{
	char server_s[48], err[100];
	cli_api_target_init(t);
	snprintf(server_s, sizeof server_s, "127.0.0.1:%u", tls_port); /* https:// by default */
	assert_int_equal(cli_api_target_option(t, CLI_API_OPT_SERVER, server_s, err, sizeof err),
	                 1);
	assert_true(t->tls);
	t->have_pin = true;
	memcpy(t->pin, pin, sizeof pin);
	snprintf(t->token, sizeof t->token, "%s", token ? token : "");
}

static void test_health_both_ways(void **state)
{
	(void) state;
	struct cli_api_target t;
	json_t *j;
	int status;
	char err[200];

	unix_target(&t);
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "unit");
	json_decref(j);

	tcp_target(&t, NULL); /* open: no token needed */
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 200);
	json_t *tls = json_object_get(j, "tls");
	assert_int_equal(json_integer_value(json_object_get(tls, "port")), tls_port);
	assert_true(json_integer_value(json_object_get(tls, "expires")) > nb_wall_sec() + 86400);
	json_decref(j);
	plain_target(&t, NULL);
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 200);
	json_decref(j);
}

/* The token over plain HTTP: the CLI will not send it, the server refuses it. */
static void test_plain_http_refuses_the_token(void **state)
{
	(void) state;
	struct cli_api_target t;
	json_t *j = NULL;
	int status;
	char err[300];

	plain_target(&t, TOKEN);
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        -EPERM);
	assert_non_null(strstr(err, "not sending the API token to http://127.0.0.1:"));
	t.plain_token = true; /* sent anyway: refused all the same */
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        0);
	assert_int_equal(status, 403);
	char want[120];
	snprintf(want, sizeof want, "not accepted over plain HTTP: use HTTPS on port %u", tls_port);
	assert_non_null(strstr(cli_api_error_text(j), want));
	json_decref(j);
	/* without a token too, and the CLI's pin options make no sense there */
	plain_target(&t, NULL);
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        0);
	assert_int_equal(status, 403);
	json_decref(j);
	t.have_pin = true;
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        -EINVAL);
	/* an HTTPS client at the plain port */
	tcp_target(&t, TOKEN);
	t.port = port;
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, sizeof err),
	        -EPROTO);
	assert_non_null(strstr(err, "a plain HTTP port"));
}

/* How the HTTPS server is trusted: a pin, a CA file, nothing. */
static void test_https_trust(void **state)
{
	(void) state;
	struct cli_api_target t;
	json_t *j = NULL;
	int status;
	char err[600], fp[TLS_FP_STRLEN];

	/* a wrong pin: refused before the token is sent, both fingerprints said */
	tcp_target(&t, TOKEN);
	t.pin[7] ^= 0x40;
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        -EKEYREJECTED);
	assert_non_null(strstr(err, tls_fingerprint_fmt(pin, fp)));
	assert_non_null(strstr(err, tls_fingerprint_fmt(t.pin, fp)));
	assert_non_null(strstr(err, "not the pinned"));
	/* the generated certificate as the CA file: it names 127.0.0.1 */
	tcp_target(&t, TOKEN);
	t.have_pin = false;
	assert_int_equal(cli_api_target_option(&t, CLI_API_OPT_CACERT, cert, err, sizeof err), 1);
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        0);
	assert_int_equal(status, 200);
	json_decref(j);
	/* ... but not "localhost" */
	snprintf(t.host, sizeof t.host, "localhost");
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        -EKEYREJECTED);
	assert_non_null(strstr(err, "not trusted"));
	/* neither pin nor CA file: the system's trust store does not know it */
	tcp_target(&t, TOKEN);
	t.have_pin = false;
	assert_int_equal(
	        cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, sizeof err),
	        -EKEYREJECTED);
	assert_non_null(strstr(err, "pin it with --fingerprint"));
	assert_int_equal(
	        cli_api_target_option(&t, CLI_API_OPT_FINGERPRINT, "AB:CD", err, sizeof err),
	        -EINVAL);
}

static void test_tokens_and_routes(void **state)
{
	(void) state;
	struct cli_api_target t;
	json_t *j;
	int status;
	char err[200];

	tcp_target(&t, NULL);
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 401);
	assert_non_null(strstr(cli_api_error_text(j), "Bearer"));
	json_decref(j);
	tcp_target(&t, TOKEN "x");
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 401);
	json_decref(j);

	tcp_target(&t, TOKEN);
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/leases", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "cmd")), "lease.list");
	assert_true(json_is_null(json_object_get(j, "args")) || !json_object_get(j, "args"));
	json_decref(j);

	/* a body and a {param} make it through the real server to the command */
	unix_target(&t);
	json_t *body = json_pack("{s:b}", "force", 1);
	assert_int_equal(cli_api_request(&t, "POST", "/api/v1/leases/10.0.0.9/release", body, &j,
	                                 &status, err, 200),
	                 0);
	json_decref(body);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "args"), "addr")),
	                    "10.0.0.9");
	json_decref(j);

	/* percent-encoded segments are decoded before routing */
	char seg[64], path[128];
	assert_int_equal(cli_api_escape_segment("10.0.0.9 ", seg, sizeof seg), 0);
	snprintf(path, sizeof path, "/api/v1/leases/%s/release", seg);
	assert_int_equal(cli_api_request(&t, "POST", path, NULL, &j, &status, err, 200), 0);
	assert_int_equal(status, 400);
	assert_non_null(strstr(cli_api_error_text(j), "'10.0.0.9 ' is not an IPv4 address"));
	json_decref(j);

	assert_int_equal(
	        cli_api_request(&t, "DELETE", "/api/v1/leases", NULL, &j, &status, err, 200), 0);
	assert_int_equal(status, 405);
	json_decref(j);
	assert_int_equal(cli_api_request(&t, "HEAD", "/api/v1/health", NULL, &j, &status, err, 200),
	                 0);
	assert_int_equal(status, 200);
	assert_null(j); /* HEAD: headers only */
}

/* A client that sends half a request and stalls holds nobody else up. */
static void test_stalled_client(void **state)
{
	(void) state;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct cli_api_target t;
	json_t *j;
	int status;
	char err[200], buf[512];

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun), 0);
	assert_int_equal(write(fd, "GET /api/v1/hea", 15), 15);

	unix_target(&t);
	t.timeout_ms = 2000;
	int64_t t0 = nb_now_ms();
	assert_int_equal(cli_api_request(&t, "GET", "/api/v1/health", NULL, &j, &status, err, 200),
	                 0);
	assert_true(nb_now_ms() - t0 < 1000);
	json_decref(j);

	/* the stalled one completes when the rest arrives */
	const char *rest = "lth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(write(fd, rest, strlen(rest)), (ssize_t) strlen(rest));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	assert_true(n > 12);
	buf[n] = 0;
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
	close(fd);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_health_both_ways),
	        cmocka_unit_test(test_plain_http_refuses_the_token),
	        cmocka_unit_test(test_https_trust),
	        cmocka_unit_test(test_tokens_and_routes),
	        cmocka_unit_test(test_stalled_client),
	        cmocka_unit_test(test_clean_stop), /* last */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
