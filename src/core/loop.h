/* The event loop: one epoll set, timers in a heap, signals via signalfd and
 * hooks run at the end of every turn.
 *
 * A turn is: wait -> dispatch ready fds -> run expired timers -> run turn
 * hooks (group commit, then the replies it allows) -> free what was released.
 * Handlers never block. Objects released during a turn (loop_io_free,
 * loop_timer_free) stop receiving callbacks at once and their memory is
 * reclaimed after the turn, so releasing from inside a callback is safe. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_fn)(struct loop_io *io, int fd, uint32_t events, void *data);
typedef void (*loop_timer_fn)(struct loop_timer *t, void *data);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *data);
typedef void (*loop_hook_fn)(struct loop *l, void *data);

/* Returns a new loop or NULL (out of memory / epoll failure). */
struct loop *loop_new(void);
/* Frees the loop and everything still registered (does not close fds). NULL-safe. */
void loop_free(struct loop *l);
/* Runs until loop_quit(); returns the code passed to it. */
int loop_run(struct loop *l);
/* Runs one turn waiting at most timeout_ms (-1: until something happens). Tests. */
int loop_run_once(struct loop *l, int timeout_ms);
void loop_quit(struct loop *l, int code);
/* Monotonic time cached at the start of the turn. */
int64_t loop_now_ms(const struct loop *l);
/* Busy polling: with max_us > 0, a turn that would sleep first polls the
 * fds without sleeping, for up to max_us microseconds (never past the next
 * timer), so a storm of small packets is not one wake-up per packet (on a
 * virtual machine each costs an interrupt and an exit on both sides). The
 * spin adapts: one that ends with nothing to do halves the next, one that
 * finds work doubles it again, so sparse traffic costs a few microseconds
 * a turn. 0 (the default) sleeps at once. One module uses it (TFTP). */
void loop_set_busy_poll(struct loop *l, unsigned max_us);

/* Watches fd for events (EPOLLIN/EPOLLOUT...); the loop does not own fd. */
int loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *data,
                struct loop_io **ret);
int loop_io_set_events(struct loop_io *io, uint32_t events);
/* Stops watching (the fd stays open: close it after this). NULL-safe. */
void loop_io_free(struct loop_io *io);

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *data);
/* (Re)arms the timer to fire once, after_ms from the turn's time. */
void loop_timer_arm(struct loop_timer *t, int64_t after_ms);
void loop_timer_arm_at(struct loop_timer *t, int64_t at_ms);
void loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/* Blocks signo and delivers it through the loop. */
int loop_signal_add(struct loop *l, int signo, loop_signal_fn fn, void *data);
/* Runs fn at the end of every turn, in the order added. */
int loop_hook_add(struct loop *l, loop_hook_fn fn, void *data);
