#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define LOOP_MAX_EVENTS  64
#define LOOP_MAX_HOOKS   16
#define LOOP_MAX_SIGNALS 8

struct loop_io {
	struct loop *loop;
	int fd;
	bool dead;
	loop_io_fn fn;
	void *data;
	struct loop_io *next_dead;
};

struct loop_timer {
	struct loop *loop;
	int64_t at_ms;
	ssize_t heap_idx; /* -1 when not armed */
	bool dead;
	loop_timer_fn fn;
	void *data;
	struct loop_timer *next_dead;
};

struct loop {
	int epfd;
	int64_t now_ms;
	bool quit;
	int exit_code;

	struct loop_timer **heap;
	size_t heap_len, heap_cap;

	struct {
		loop_hook_fn fn;
		void *data;
	} hooks[LOOP_MAX_HOOKS];
	size_t n_hooks;

	int sigfd;
	struct loop_io *sig_io;
	sigset_t sigmask;
	struct {
		int signo;
		loop_signal_fn fn;
		void *data;
	} sigs[LOOP_MAX_SIGNALS];
	size_t n_sigs;

	struct loop_io *dead_io;
	struct loop_timer *dead_timers;

	unsigned spin_max_us, spin_us; /* busy polling: the bound, the next spin */
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	l->now_ms = nb_now_ms();
	return l;
}

static void reap(struct loop *l)
{
	while (l->dead_io) {
		struct loop_io *io = l->dead_io;
		l->dead_io = io->next_dead;
		free(io);
	}
	while (l->dead_timers) {
		struct loop_timer *t = l->dead_timers;
		l->dead_timers = t->next_dead;
		free(t);
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	loop_io_free(l->sig_io);
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	/* timers still armed belong to their owners, who free them; detach them */
	for (size_t i = 0; i < l->heap_len; i++)
		l->heap[i]->heap_idx = -1;
	free(l->heap);
	reap(l);
	close(l->epfd);
	free(l);
}

int64_t loop_now_ms(const struct loop *l)
{
	return l->now_ms;
}

void loop_quit(struct loop *l, int code)
{
	l->quit = true;
	l->exit_code = code;
}

int loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *data,
                struct loop_io **ret)
{
	struct loop_io *io = calloc(1, sizeof *io);
	if (!io)
		return -ENOMEM;
	*io = (struct loop_io){.loop = l, .fd = fd, .fn = fn, .data = data};
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(io);
		return r;
	}
	if (ret)
		*ret = io;
	return 0;
}

int loop_io_set_events(struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	return epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0 ? -errno : 0;
}

void loop_io_free(struct loop_io *io)
{
	if (!io || io->dead)
		return;
	(void) epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->dead = true;
	io->next_dead = io->loop->dead_io;
	io->loop->dead_io = io;
}

/* ---- timers: a binary min-heap on at_ms */

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = (ssize_t) i;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (l->heap[parent]->at_ms <= t->at_ms)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && l->heap[c + 1]->at_ms < l->heap[c]->at_ms)
			c++;
		if (t->at_ms <= l->heap[c]->at_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = (size_t) t->heap_idx;
	struct loop_timer *last = l->heap[--l->heap_len];
	t->heap_idx = -1;
	if (last == t)
		return;
	heap_set(l, i, last);
	heap_down(l, i);
	heap_up(l, (size_t) last->heap_idx);
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *data)
{
	struct loop_timer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	*t = (struct loop_timer){.loop = l, .heap_idx = -1, .fn = fn, .data = data};
	return t;
}

void loop_timer_arm_at(struct loop_timer *t, int64_t at_ms)
{
	struct loop *l = t->loop;
	if (t->dead)
		return;
	if (t->heap_idx >= 0) {
		t->at_ms = at_ms;
		heap_down(l, (size_t) t->heap_idx);
		heap_up(l, (size_t) t->heap_idx);
		return;
	}
	if (nb_grow(&l->heap, &l->heap_cap, l->heap_len + 1, sizeof *l->heap) < 0) {
		log_err("loop: out of memory arming a timer");
		return;
	}
	t->at_ms = at_ms;
	heap_set(l, l->heap_len++, t);
	heap_up(l, (size_t) t->heap_idx);
}

void loop_timer_arm(struct loop_timer *t, int64_t after_ms)
{
	loop_timer_arm_at(t, t->loop->now_ms + after_ms);
}

void loop_timer_disarm(struct loop_timer *t)
{
	if (t && t->heap_idx >= 0)
		heap_remove(t->loop, t);
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx >= 0;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t || t->dead)
		return;
	loop_timer_disarm(t);
	t->dead = true;
	t->next_dead = t->loop->dead_timers;
	t->loop->dead_timers = t;
}

/* ---- signals */

static void on_signal(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct loop *l = data;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == (ssize_t) sizeof si) {
		for (size_t i = 0; i < l->n_sigs; i++)
			if (l->sigs[i].signo == (int) si.ssi_signo)
				l->sigs[i].fn(l, (int) si.ssi_signo, l->sigs[i].data);
	}
}

int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *data)
{
	if (l->n_sigs == LOOP_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		return -errno;
	int fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		int r = loop_io_add(l, fd, EPOLLIN, on_signal, l, &l->sig_io);
		if (r < 0)
			return r;
	}
	l->sigs[l->n_sigs].signo = signo;
	l->sigs[l->n_sigs].fn = fn;
	l->sigs[l->n_sigs].data = data;
	l->n_sigs++;
	return 0;
}

int loop_hook_add(struct loop *l, loop_hook_fn fn, void *data)
{
	if (l->n_hooks == LOOP_MAX_HOOKS)
		return -ENOSPC;
	l->hooks[l->n_hooks].fn = fn;
	l->hooks[l->n_hooks].data = data;
	l->n_hooks++;
	return 0;
}

/* ---- running */

#define SPIN_MIN_US 4

void loop_set_busy_poll(struct loop *l, unsigned max_us)
{
	if (l->spin_max_us == max_us)
		return;
	l->spin_max_us = max_us;
	l->spin_us = max_us;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Polls without sleeping for the current spin (at most timeout_ms); returns
 * what epoll_wait returned last, and adapts the next spin. */
static int spin(struct loop *l, struct epoll_event *evs, int timeout_ms)
{
	int64_t span = NB_MIN((int64_t) l->spin_us, (int64_t) timeout_ms * 1000);
	int64_t until = now_us() + (timeout_ms < 0 ? (int64_t) l->spin_us : span);
	int n;
	do
		n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, 0);
	while (n == 0 && now_us() < until);
	if (n == 0)
		l->spin_us = NB_MAX(l->spin_us / 2, (unsigned) SPIN_MIN_US);
	else
		l->spin_us = NB_MIN(l->spin_us * 2, l->spin_max_us);
	return n;
}

static void run_timers(struct loop *l)
{
	/* bounded: a timer re-armed for "now" runs next turn, not forever here */
	size_t budget = l->heap_len;
	while (l->heap_len && budget--) {
		struct loop_timer *t = l->heap[0];
		if (t->at_ms > l->now_ms)
			break;
		heap_remove(l, t);
		t->fn(t, t->data);
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];

	if (l->heap_len) {
		int64_t wait = l->heap[0]->at_ms - nb_now_ms();
		if (wait < 0)
			wait = 0;
		if (timeout_ms < 0 || wait < timeout_ms)
			timeout_ms = (int) NB_MIN(wait, (int64_t) 1 << 30);
	}
	int n = l->spin_max_us && timeout_ms != 0 ? spin(l, evs, timeout_ms) : 0;
	if (n == 0)
		n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	l->now_ms = nb_now_ms();
	for (int i = 0; i < n; i++) {
		struct loop_io *io = evs[i].data.ptr;
		if (!io->dead)
			io->fn(io, io->fd, evs[i].events, io->data);
	}
	run_timers(l);
	for (size_t i = 0; i < l->n_hooks; i++)
		l->hooks[i].fn(l, l->hooks[i].data);
	reap(l);
	return n < 0 ? 0 : n;
}

int loop_run(struct loop *l)
{
	l->quit = false;
	while (!l->quit) {
		int r = loop_run_once(l, -1);
		if (r < 0) {
			log_err("loop: epoll_wait: %s", strerror(-r));
			return r;
		}
	}
	return l->exit_code;
}
