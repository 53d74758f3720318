/* core/notify: datagrams to a listening NOTIFY_SOCKET (a path and the
 * abstract namespace), values that are not sockets, and the watchdog's
 * WATCHDOG_USEC/WATCHDOG_PID. */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/notify.h"

/* A listening datagram socket at name ("@x": abstract). */
static int listener(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	memcpy(a.sun_path, name, n);
	if (name[0] == '@')
		a.sun_path[0] = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
	assert_int_equal(bind(fd, (struct sockaddr *) &a, len), 0);
	return fd;
}

static void recv_is(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

static void test_unset_is_quiet(void **state)
{
	(void) state;
	struct notify *n = (struct notify *) 1;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_new(&n), 0);
	assert_null(n);
	assert_int_equal(notify_send(NULL, "READY=1"), 0);
	assert_int_equal(notify_reloading(NULL), 0);
}

static void test_bad_values(void **state)
{
	(void) state;
	static const char *const bad[] = {"relative/path", "@", "x", NULL};
	struct notify *n = NULL;
	for (size_t i = 0; bad[i]; i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		assert_int_equal(notify_new(&n), -EINVAL);
		assert_null(n);
	}
	char longer[200];
	memset(longer, 'a', sizeof longer - 1);
	longer[0] = '/';
	longer[sizeof longer - 1] = 0;
	setenv("NOTIFY_SOCKET", longer, 1);
	assert_int_equal(notify_new(&n), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void test_path_socket(void **state)
{
	(void) state;
	char path[64];
	snprintf(path, sizeof path, "/tmp/nb-notify-%d.sock", (int) getpid());
	(void) unlink(path);
	int fd = listener(path);
	struct notify *n = NULL;
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_new(&n), 0);
	assert_non_null(n);
	assert_null(getenv("NOTIFY_SOCKET")); /* not handed on */
	assert_int_equal(notify_send(n, "READY=1\nSTATUS=serving"), 1);
	recv_is(fd, "READY=1\nSTATUS=serving");
	notify_free(n);
	close(fd);
	(void) unlink(path);
}

static void test_abstract_socket_and_reloading(void **state)
{
	(void) state;
	char name[64];
	snprintf(name, sizeof name, "@nb-notify-test-%d", (int) getpid());
	int fd = listener(name);
	struct notify *n = NULL;
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(notify_new(&n), 0);
	assert_non_null(n);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t before = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
	assert_int_equal(notify_reloading(n), 1);
	char buf[128];
	ssize_t r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	assert_true(r > 0);
	buf[r] = 0;
	uint64_t usec = 0;
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%" SCNu64, &usec), 1);
	assert_true(usec >= before && usec < before + 5000000u);
	notify_free(n);
	close(fd);
}

static void test_no_listener_is_an_error_not_a_block(void **state)
{
	(void) state;
	struct notify *n = NULL;
	setenv("NOTIFY_SOCKET", "/tmp/nb-notify-nobody-listens.sock", 1);
	assert_int_equal(notify_new(&n), 0);
	assert_true(notify_send(n, "READY=1") < 0);
	notify_free(n);
}

static void test_watchdog(void **state)
{
	(void) state;
	char pid[32];
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "2000000", 1);
	assert_int_equal(notify_watchdog_usec(), 2000000);
	snprintf(pid, sizeof pid, "%d", (int) getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 2000000);
	snprintf(pid, sizeof pid, "%d", (int) getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1); /* another process's */
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_PID", "12x", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	static const char *const bad[] = {"", "-5", "5s", "99999999999999999999999", NULL};
	for (size_t i = 0; bad[i]; i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		assert_int_equal(notify_watchdog_usec(), 0);
	}
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unset_is_quiet),
	        cmocka_unit_test(test_bad_values),
	        cmocka_unit_test(test_path_socket),
	        cmocka_unit_test(test_abstract_socket_and_reloading),
	        cmocka_unit_test(test_no_listener_is_an_error_not_a_block),
	        cmocka_unit_test(test_watchdog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
