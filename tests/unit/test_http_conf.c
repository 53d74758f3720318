/* The [http] and [api] sections of the configuration. */
#include "unit.h"

#include <string.h>

#include "conf_helpers.h"
#include "core/conf.h"

#define BASE "[dhcp]\nmode = off\n"

/* Loads text expecting failure with a message containing needle. */
static void fails_with(const char *text, const char *needle)
{
	assert_true(conf_fails_with(text, needle));
}

static void test_defaults(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE);
	assert_true(c->http.enable);
	assert_int_equal(c->http.listen, 0);
	assert_int_equal(c->http.port, 80);
	assert_string_equal(c->http.ipxe_template, "");
	assert_string_equal(c->api.socket, "/run/netbay/api.sock");
	assert_int_equal(c->api.listen_port, 0);
	assert_string_equal(c->api.token, "");
	assert_string_equal(c->tftp.root, "/srv/netbay/boot");
	assert_int_equal(c->http.max_connections, 512);
	assert_int_equal(c->http.connections_per_source, 16);
	assert_int_equal(c->http.request_timeout_sec, 10);
	conf_free(c);
}

static void test_values(void **state)
{
	(void) state;
	struct conf *c = conf_ok(BASE "[tftp]\nroot = /srv/b\n"
	                              "[http]\nenable = no\nlisten = 127.0.0.1\nport = 8080\n"
	                              "ipxe-template = t/default.tmpl\n"
	                              "[api]\nsocket = /tmp/x.sock\nlisten = 127.0.0.1:9443\n"
	                              "token = 0123456789abcdef\n");
	assert_string_equal(c->tftp.root, "/srv/b");
	assert_false(c->http.enable);
	assert_int_equal(c->http.listen, 0x7f000001);
	assert_int_equal(c->http.port, 8080);
	assert_string_equal(c->http.ipxe_template, "t/default.tmpl");
	assert_string_equal(c->api.socket, "/tmp/x.sock");
	assert_int_equal(c->api.listen_addr, 0x7f000001);
	assert_int_equal(c->api.listen_port, 9443);
	assert_string_equal(c->api.token, "0123456789abcdef");
	conf_free(c);

	c = conf_ok(BASE "[http]\nmax-connections = 64\nconnections-per-source = 4\n"
	                 "request-timeout = 2m\n");
	assert_int_equal(c->http.max_connections, 64);
	assert_int_equal(c->http.connections_per_source, 4);
	assert_int_equal(c->http.request_timeout_sec, 120);
	conf_free(c);

	c = conf_ok(BASE "[api]\nsocket =\n");
	assert_string_equal(c->api.socket, "");
	conf_free(c);
}

static void test_errors(void **state)
{
	(void) state;
	fails_with(BASE "[http]\nport = 0\n",
	           "t.conf:4: port: '0' is not a number from 1 to 65535");
	fails_with(BASE "[http]\nport = 65536\n", "t.conf:4: port:");
	fails_with(BASE "[http]\nlisten = 10.0.0\n", "t.conf:4: listen: '10.0.0' is not an IPv4");
	fails_with(BASE "[http]\nenable = maybe\n", "t.conf:4: enable:");
	fails_with(BASE "[http]\nmax-connections = 0\n",
	           "t.conf:4: max-connections: '0' is not a number from 1 to 16384");
	fails_with(BASE "[http]\nconnections-per-source = 20000\n",
	           "t.conf:4: connections-per-source: '20000' is not a number from 1 to 16384");
	fails_with(BASE "[http]\nrequest-timeout = 0\n",
	           "t.conf:4: request-timeout: '0' is not a duration from 1s to 3600s");
	fails_with(BASE "[http]\nrequest-timeout = 2h\n", "t.conf:4: request-timeout:");
	fails_with(BASE "[api]\nsocket = run/api.sock\n",
	           "t.conf:4: socket: 'run/api.sock' is not");
	fails_with(
	        BASE
	        "[api]\nsocket = /"
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	        "t.conf:4: socket: longer than a Unix socket path");
	fails_with(BASE "[api]\nlisten = 127.0.0.1\ntoken = 0123456789abcdef\n",
	           "t.conf:4: listen: '127.0.0.1' is not ADDRESS:PORT");
	fails_with(BASE "[api]\nlisten = 127.0.0.1:0\ntoken = 0123456789abcdef\n",
	           "t.conf:4: listen: '127.0.0.1:0' is not ADDRESS:PORT");
	fails_with(BASE "[api]\nlisten = host:80\ntoken = 0123456789abcdef\n", "t.conf:4: listen:");
	fails_with(BASE "[api]\ntoken = short\n", "t.conf:4: token: must be 16 to 128");
	fails_with(BASE "[api]\ntoken = 0123456789 abcdef\n",
	           "t.conf:4: token: only visible ASCII");
}

static void test_listen_needs_token(void **state)
{
	(void) state;
	/* the error is on the listen line, wherever the section ends */
	fails_with(BASE
	           "[api]\nsocket = /tmp/a.sock\nlisten = 127.0.0.1:9443\n[server]\nname = x\n",
	           "t.conf:5: listen: the API over TCP needs [api] token");
	fails_with(BASE "[http]\nport = 8080\n[api]\nlisten = 0.0.0.0:8080\n"
	                "token = 0123456789abcdef\n",
	           "t.conf:6: listen: 0.0.0.0:8080 is also the [http] listener's port");
	/* the same port on another address, or with HTTP off, is fine */
	conf_free(conf_ok(BASE "[http]\nlisten = 10.0.0.1\nport = 8080\n[api]\n"
	                       "listen = 127.0.0.1:8080\ntoken = 0123456789abcdef\n"));
	conf_free(conf_ok(BASE "[http]\nenable = no\nport = 8080\n[api]\n"
	                       "listen = 127.0.0.1:8080\ntoken = 0123456789abcdef\n"));
	/* a token without a listener of its own opens the API on the [http] port */
	conf_free(conf_ok(BASE "[api]\ntoken = 0123456789abcdef\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_listen_needs_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
