/* core/privs: the switch to an unprivileged user, done for real in a
 * forked child (tests run as root; skipped otherwise), what is left after
 * it read back from /proc/self/status, and the reload guard of the daemon
 * (daemon_keep_unbindable) in a child without CAP_NET_BIND_SERVICE. */
#include "unit.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/privs.h"
#include "daemon/internal.h"

/* A /proc/self/status line's value ("CapEff" -> "0000000000003000"). */
static bool status_field(const char *key, char *val, size_t n)
{
	char line[256];
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof line, f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			snprintf(val, n, "%s", line + kl + 1 + strspn(line + kl + 1, " \t"));
			val[strcspn(val, "\n")] = 0;
			found = true;
		}
	fclose(f);
	return found;
}

static uint64_t status_hex(const char *key)
{
	char v[64] = "";
	if (!status_field(key, v, sizeof v))
		return UINT64_MAX;
	return strtoull(v, NULL, 16);
}

/* Runs fn in a child; its exit status (0: every check passed). */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st = 0;
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static bool root_or_skip(void)
{
	if (geteuid() == 0)
		return true;
	print_message("not root: switch not tested\n");
	return false;
}

static void test_caps_fmt(void **state)
{
	(void) state;
	char b[128];
	assert_string_equal(privs_caps_fmt(0, b, sizeof b), "none");
	assert_string_equal(privs_caps_fmt(PRIVS_CAP(CAP_NET_RAW) | PRIVS_CAP(CAP_NET_BIND_SERVICE),
	                                   b, sizeof b),
	                    "cap_net_bind_service,cap_net_raw");
	assert_string_equal(privs_caps_fmt(PRIVS_CAP(0) | PRIVS_CAP(40), b, sizeof b),
	                    "cap_0,cap_40");
	/* truncated at a name, never in the middle of one */
	assert_string_equal(
	        privs_caps_fmt(PRIVS_CAP(CAP_NET_ADMIN) | PRIVS_CAP(CAP_NET_RAW), b, 16),
	        "cap_net_admin");
}

static void test_user_find(void **state)
{
	(void) state;
	struct privs_user u;
	assert_int_equal(privs_user_find("root", &u), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(privs_user_find("no-such-user-netbay-test", &u), -ENOENT);
}

static void test_port_start(void **state)
{
	(void) state;
	unsigned start = privs_unprivileged_port_start();
	assert_true(start <= 65536);
	assert_true(privs_can_bind(0));
	if (start < 65535)
		assert_true(privs_can_bind((uint16_t) start));
}

#define KEEP (PRIVS_CAP(CAP_NET_RAW) | PRIVS_CAP(CAP_NET_ADMIN))

static int switch_child(void)
{
	struct privs_user u;
	char v[64];
	if (privs_user_find("nobody", &u) < 0)
		return 2;
	if (privs_switch(&u, KEEP) < 0)
		return 3;
	if (status_hex("CapEff") != KEEP || status_hex("CapPrm") != KEEP ||
	    status_hex("CapBnd") != KEEP || status_hex("CapInh") != 0 || status_hex("CapAmb") != 0)
		return 4;
	if (!status_field("NoNewPrivs", v, sizeof v) || strcmp(v, "1") != 0)
		return 5;
	if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid || getegid() != u.gid)
		return 6;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 7; /* no way back */
	/* a port below the start needs what was dropped */
	if (privs_unprivileged_port_start() > 53 && privs_can_bind(53))
		return 8;
	return 0;
}

static void test_switch_keeps_only_what_it_is_told(void **state)
{
	(void) state;
	if (root_or_skip())
		assert_int_equal(in_child(switch_child), 0);
}

/* Started unprivileged with more than it needs: narrowed to the overlap. */
static int narrow_child(void)
{
	struct privs_user u;
	uint64_t left = 0;
	if (privs_user_find("nobody", &u) < 0 || privs_switch(&u, KEEP) < 0)
		return 2;
	if (privs_is_root())
		return 3;
	if (privs_narrow(PRIVS_CAP(CAP_NET_RAW) | PRIVS_CAP(CAP_NET_BIND_SERVICE), &left) < 0)
		return 4;
	if (left != PRIVS_CAP(CAP_NET_RAW) || privs_effective() != left ||
	    privs_permitted() != left)
		return 5;
	return 0;
}

static void test_narrow_keeps_the_overlap(void **state)
{
	(void) state;
	if (root_or_skip())
		assert_int_equal(in_child(narrow_child), 0);
}

static const char *const RUNNING = "[dns]\nport = 5353\n[tftp]\nport = 6969\n"
                                   "[http]\nport = 8080\n";

/* Without CAP_NET_BIND_SERVICE: moves to low ports are kept back, others not. */
static int guard_child(void)
{
	struct privs_user u;
	if (privs_user_find("nobody", &u) < 0 || privs_switch(&u, 0) < 0)
		return 2;
	if (privs_unprivileged_port_start() <= 53)
		return 0; /* this namespace lets anyone bind 53: nothing to guard */
	struct conf *run = conf_ok(RUNNING);
	struct conf *next = conf_ok("[dns]\nport = 53\n[tftp]\nport = 6970\n[http]\nport = 8080\n");
	size_t kept = daemon_keep_unbindable(run, next);
	int r = kept == 1 && next->dns.port == 5353 && next->tftp.port == 6970 ? 0 : 3;
	conf_free(next);
	/* from a low port that could not be bound again: kept too */
	next = conf_ok("[dns]\nport = 5354\n[tftp]\nport = 6969\n[http]\nport = 8080\n");
	run->dns.port = 53;
	if (r == 0 && (daemon_keep_unbindable(run, next) != 1 || next->dns.port != 53))
		r = 4;
	conf_free(next);
	/* nothing changed: nothing to say */
	next = conf_ok(RUNNING);
	run->dns.port = 5353;
	if (r == 0 && daemon_keep_unbindable(run, next) != 0)
		r = 5;
	conf_free(next);
	conf_free(run);
	return r;
}

static void test_reload_guard_without_bind_capability(void **state)
{
	(void) state;
	if (root_or_skip())
		assert_int_equal(in_child(guard_child), 0);
}

static void test_guard_with_the_capability_keeps_nothing(void **state)
{
	(void) state;
	if (!(privs_effective() & PRIVS_CAP(CAP_NET_BIND_SERVICE)))
		return;
	struct conf *run = conf_ok(RUNNING);
	struct conf *next = conf_ok("[dns]\nport = 53\n[tftp]\nport = 69\n");
	assert_int_equal(daemon_keep_unbindable(run, next), 0);
	assert_int_equal(next->dns.port, 53);
	assert_int_equal(next->tftp.port, 69);
	conf_free(next);
	conf_free(run);
}

static void test_user_key(void **state)
{
	(void) state;
	struct conf *c = conf_ok("");
	assert_string_equal(c->server.user, "netbay");
	assert_int_equal(c->server.user_line, 0);
	conf_free(c);
	c = conf_ok("[server]\n\nuser = _nb-svc.1\n");
	assert_string_equal(c->server.user, "_nb-svc.1");
	assert_int_equal(c->server.user_line, 3);
	conf_free(c);
	assert_true(conf_fails_with("[server]\nuser = bad/name\n", "t.conf:2"));
	assert_true(conf_fails_with("[server]\nuser = 1234\n", "not only digits"));
	assert_true(conf_fails_with("[server]\nuser = -x\n", "not a user name"));
	assert_true(conf_fails_with("[server]\nuser = "
	                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	                            "1-32 characters"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_caps_fmt),
	        cmocka_unit_test(test_user_find),
	        cmocka_unit_test(test_port_start),
	        cmocka_unit_test(test_switch_keeps_only_what_it_is_told),
	        cmocka_unit_test(test_narrow_keeps_the_overlap),
	        cmocka_unit_test(test_reload_guard_without_bind_capability),
	        cmocka_unit_test(test_guard_with_the_capability_keeps_nothing),
	        cmocka_unit_test(test_user_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
