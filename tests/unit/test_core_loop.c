#include "unit.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

struct rec {
	int hooks;
};

struct ordered {
	int order[8];
	int n;
};
struct tmark {
	struct ordered *o;
	int id;
};

static void on_mark(struct loop_timer *t, void *data)
{
	struct tmark *m = data;
	(void) t;
	m->o->order[m->o->n++] = m->id;
}

static void test_timers_fire_in_order(void **state)
{
	(void) state;
	struct loop *l = loop_new();
	struct ordered o = {0};
	struct tmark m[4];
	struct loop_timer *t[4];
	int delays[4] = {30, 10, 20, 5};
	for (int i = 0; i < 4; i++) {
		m[i] = (struct tmark){&o, i};
		t[i] = loop_timer_new(l, on_mark, &m[i]);
		loop_timer_arm(t[i], delays[i]);
	}
	loop_timer_disarm(t[2]);
	while (o.n < 3)
		loop_run_once(l, 100);
	assert_int_equal(o.order[0], 3);
	assert_int_equal(o.order[1], 1);
	assert_int_equal(o.order[2], 0);
	assert_false(loop_timer_armed(t[2]));
	for (int i = 0; i < 4; i++)
		loop_timer_free(t[i]);
	loop_free(l);
}

static void on_hook(struct loop *l, void *data)
{
	(void) l;
	((struct rec *) data)->hooks++;
}

static int reads;
static void on_readable(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	char c;
	(void) ev;
	(void) data;
	if (read(fd, &c, 1) == 1)
		reads++;
	loop_io_free(io); /* releasing from its own callback is allowed */
}

static void test_io_and_hooks(void **state)
{
	(void) state;
	struct loop *l = loop_new();
	struct rec r = {0};
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_io_add(l, p[0], EPOLLIN, on_readable, NULL, NULL), 0);
	assert_int_equal(loop_hook_add(l, on_hook, &r), 0);
	assert_int_equal(write(p[1], "xy", 2), 2);
	loop_run_once(l, 100);
	loop_run_once(l, 0); /* the io is gone: the second byte is not read */
	assert_int_equal(reads, 1);
	assert_int_equal(r.hooks, 2);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void on_sig(struct loop *l, int signo, void *data)
{
	*(int *) data = signo;
	loop_quit(l, 7);
}

static void test_signal_quits(void **state)
{
	(void) state;
	struct loop *l = loop_new();
	int got = 0;
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &got), 0);
	raise(SIGUSR1);
	assert_int_equal(loop_run(l), 7);
	assert_int_equal(got, SIGUSR1);
	loop_free(l);
}

static void on_rearm(struct loop_timer *t, void *data)
{
	int *n = data;
	if (++*n < 5)
		loop_timer_arm(t, 0);
}

static void test_rearm_zero_does_not_spin(void **state)
{
	(void) state;
	struct loop *l = loop_new();
	int n = 0;
	struct loop_timer *t = loop_timer_new(l, on_rearm, &n);
	loop_timer_arm(t, 0);
	loop_run_once(l, 0);
	assert_int_equal(n, 1); /* re-armed for now: runs next turn, not in this one */
	while (n < 5)
		loop_run_once(l, 10);
	loop_timer_free(t);
	loop_free(l);
}

static void on_tick(struct loop_io *io, int fd, uint32_t events, void *data)
{
	uint64_t n;
	(void) io, (void) events, (void) data;
	if (read(fd, &n, sizeof n) == sizeof n)
		reads++;
}

/* Runs turns until a timerfd set 200 us ahead fires; returns how often this
 * thread slept (voluntary context switches) meanwhile. */
static long turn_until_tick(struct loop *l, int tfd)
{
	struct rusage a, b;
	struct itimerspec its = {.it_value.tv_nsec = 200 * 1000};
	int before = reads;
	getrusage(RUSAGE_THREAD, &a);
	assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
	while (reads == before)
		loop_run_once(l, 1000);
	getrusage(RUSAGE_THREAD, &b);
	return b.ru_nvcsw - a.ru_nvcsw;
}

static void test_busy_poll(void **state)
{
	(void) state;
	struct loop *l = loop_new();
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	assert_true(tfd >= 0);
	struct loop_io *io = NULL;
	assert_int_equal(loop_io_add(l, tfd, EPOLLIN, on_tick, NULL, &io), 0);
	/* without it the turn sleeps until the timer fires */
	for (int i = 0; i < 3; i++)
		assert_true(turn_until_tick(l, tfd) >= 1);
	/* polling for up to 2 ms catches it awake (a preempted try may sleep:
	 * one of five is enough) */
	bool awake = false;
	for (int i = 0; i < 5 && !awake; i++) {
		loop_set_busy_poll(l, 0); /* a fresh spin each try */
		loop_set_busy_poll(l, 2000);
		awake = turn_until_tick(l, tfd) == 0;
	}
	assert_true(awake);
	/* a turn that may not wait does not spin either */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		loop_run_once(l, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) <
	            100 * 1000000L); /* far below 100 turns of 2 ms */
	loop_io_free(io);
	close(tfd);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_timers_fire_in_order),
	        cmocka_unit_test(test_io_and_hooks),
	        cmocka_unit_test(test_signal_quits),
	        cmocka_unit_test(test_rearm_zero_does_not_spin),
	        cmocka_unit_test(test_busy_poll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
