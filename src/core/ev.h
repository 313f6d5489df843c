/* SPDX-License-Identifier: MIT */
/*
 * ev.h - the event loop: epoll for descriptors, a binary heap of timers,
 * signals delivered as events (signalfd), and a wakeup (eventfd) that other
 * threads use to hand work back to the loop. One loop per thread; only
 * ev_wakeup_signal() may be called from another thread.
 */
#ifndef OUTPOST_EV_H
#define OUTPOST_EV_H

#include <stdbool.h>
#include <stdint.h>

struct ev;
struct ev_io;
struct ev_timer;

enum {
	EV_READ = 1 << 0,
	EV_WRITE = 1 << 1,
	EV_ERROR = 1 << 2, /* only reported: EPOLLERR/EPOLLHUP */
};

typedef void ev_io_fn(struct ev_io *io, int fd, unsigned events, void *arg);
typedef void ev_timer_fn(struct ev_timer *t, void *arg);
typedef void ev_signal_fn(int signo, void *arg);
typedef void ev_wakeup_fn(void *arg);
/* ev_defer_fn - runs once on the next loop iteration (deferred frees). */
typedef void ev_defer_fn(void *arg);

struct ev *ev_new(void);
void ev_free(struct ev **ev);
/* ev_run - loop until ev_stop(); returns 0, or -1 on a fatal epoll error. */
int ev_run(struct ev *ev);
void ev_stop(struct ev *ev);
/* ev_now_ms - monotonic milliseconds, cached per loop iteration. */
uint64_t ev_now_ms(struct ev *ev);
/* ev_time_ms - fresh monotonic milliseconds. */
uint64_t ev_time_ms(void);

/* I/O watchers: events is EV_READ|EV_WRITE, may be 0 (registered, idle). */
struct ev_io *ev_io_add(struct ev *ev, int fd, unsigned events, ev_io_fn *cb,
                        void *arg);
void ev_io_set(struct ev_io *io, unsigned events);
unsigned ev_io_events(const struct ev_io *io);
/* ev_io_del - stop watching and free the watcher (not the fd). Safe inside
 * its own callback. */
void ev_io_del(struct ev_io **io);

/* Timers: one-shot, in milliseconds. A timer may be re-armed (including from
 * its own callback) and is freed only by ev_timer_del. */
struct ev_timer *ev_timer_new(struct ev *ev, ev_timer_fn *cb, void *arg);
void ev_timer_arm(struct ev_timer *t, uint64_t ms);
void ev_timer_disarm(struct ev_timer *t);
bool ev_timer_armed(const struct ev_timer *t);
void ev_timer_del(struct ev_timer **t);

/* Signals: blocks signo for the process and delivers it through the loop. */
int ev_signal_add(struct ev *ev, int signo, ev_signal_fn *cb, void *arg);

/* Wakeups: cb runs on the loop thread after any thread calls
 * ev_wakeup_signal(); several signals may coalesce into one call. */
struct ev_wakeup *ev_wakeup_new(struct ev *ev, ev_wakeup_fn *cb, void *arg);
void ev_wakeup_signal(struct ev_wakeup *w);
void ev_wakeup_free(struct ev_wakeup **w);

/* ev_defer - run cb(arg) at the start of the next loop iteration. */
void ev_defer(struct ev *ev, ev_defer_fn *cb, void *arg);

#endif
