/* SPDX-License-Identifier: MIT */
/*
 * test_ev.c - the event loop: timer order and ties, re-arming, disarming,
 * deleting timers and I/O watchers from callbacks, wakeups from another
 * thread, deferred calls, signals through signalfd. Every test arms a guard
 * timer so a broken loop fails instead of hanging.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ev.h"
#include "test.h"

#define GUARD_MS 3000

static int order[16];
static int norder;
static bool guard_fired;

static void
guard_cb(struct ev_timer *t, void *arg)
{
	(void)t;
	guard_fired = true;
	ev_stop(arg);
}

static struct ev_timer *
guard_new(struct ev *ev)
{
	struct ev_timer *g = ev_timer_new(ev, guard_cb, ev);

	guard_fired = false;
	ev_timer_arm(g, GUARD_MS);
	return g;
}

struct tinfo {
	struct ev *ev;
	int id;
	bool stop;
	int rearm; /* re-arm this many more times */
	struct ev_timer *self;
	struct ev_timer *victim; /* deleted from this callback */
};

static void
record_cb(struct ev_timer *t, void *arg)
{
	struct tinfo *ti = arg;

	(void)t;
	if (norder < 16)
		order[norder++] = ti->id;
	if (ti->victim != NULL)
		ev_timer_del(&ti->victim);
	if (ti->rearm > 0) {
		ti->rearm--;
		ev_timer_arm(t, 5);
		return;
	}
	if (ti->stop)
		ev_stop(ti->ev);
}

static void
test_timer_order(void)
{
	/* before ev_new: deadlines count from the loop's cached time, so a
	 * slow start (valgrind) must not make the 60 ms look shorter */
	uint64_t start = ev_time_ms();
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *t[4];
	struct tinfo ti[4];
	static const uint64_t ms[4] = {60, 10, 30, 10};

	norder = 0;
	for (int i = 0; i < 4; i++) {
		ti[i] = (struct tinfo){.ev = ev, .id = i + 1, .stop = i == 0};
		t[i] = ev_timer_new(ev, record_cb, &ti[i]);
		ev_timer_arm(t[i], ms[i]);
		CHECK(ev_timer_armed(t[i]));
	}
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK(ev_time_ms() - start >= 59);
	CHECK_INT(norder, 4);
	/* equal deadlines fire in arming order */
	CHECK_INT(order[0], 2);
	CHECK_INT(order[1], 4);
	CHECK_INT(order[2], 3);
	CHECK_INT(order[3], 1);
	for (int i = 0; i < 4; i++) {
		CHECK(!ev_timer_armed(t[i]));
		ev_timer_del(&t[i]);
		CHECK(t[i] == NULL);
	}
	ev_timer_del(&g);
	ev_free(&ev);
	CHECK(ev == NULL);
}

static void
test_timer_many(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *t[200];
	struct tinfo ti[200];
	int fired = 0;

	/* pseudo-random deadlines, half of them disarmed again: the heap
	 * must fire the rest in non-decreasing deadline order */
	norder = 0;
	for (int i = 0; i < 200; i++) {
		ti[i] = (struct tinfo){.ev = ev, .id = (i * 37) % 50};
		t[i] = ev_timer_new(ev, record_cb, &ti[i]);
		ev_timer_arm(t[i], (uint64_t)ti[i].id);
	}
	for (int i = 0; i < 200; i += 2)
		ev_timer_disarm(t[i]);
	ev_timer_arm(g, 80);
	(void)ev_run(ev);
	CHECK(guard_fired); /* the guard is our stop here */
	CHECK_INT(norder, 16);
	for (int i = 1; i < norder; i++)
		CHECK(order[i - 1] <= order[i]);
	for (int i = 0; i < 200; i++) {
		fired += !ev_timer_armed(t[i]);
		ev_timer_del(&t[i]);
	}
	CHECK_INT(fired, 200);
	ev_timer_del(&g);
	ev_free(&ev);
}

static void
test_timer_rearm(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *a, *b, *c;
	struct tinfo ta = {.ev = ev, .id = 1}, tb = {.ev = ev, .id = 2},
	             tc = {.ev = ev, .id = 3, .stop = true, .rearm = 3};

	norder = 0;
	a = ev_timer_new(ev, record_cb, &ta);
	b = ev_timer_new(ev, record_cb, &tb);
	c = ev_timer_new(ev, record_cb, &tc);
	ev_timer_arm(a, 10);
	ev_timer_arm(b, 30);
	ev_timer_arm(a, 50); /* re-arm moves a behind b */
	ev_timer_arm(c, 60); /* then re-arms itself from its callback */
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(norder, 6);
	CHECK_INT(order[0], 2);
	CHECK_INT(order[1], 1);
	for (int i = 2; i < 6; i++)
		CHECK_INT(order[i], 3);
	ev_timer_del(&a);
	ev_timer_del(&b);
	ev_timer_del(&c);
	ev_timer_del(&g);
	ev_free(&ev);
}

static void
zero_cb(struct ev_timer *t, void *arg)
{
	int *n = arg;

	/* a 0 ms re-arm from the callback must wait for the next iteration,
	 * or this would spin inside one timer pass */
	if (++*n < 1000)
		ev_timer_arm(t, 0);
}

static void
stop_cb(struct ev_timer *t, void *arg)
{
	(void)t;
	ev_stop(arg);
}

static void
test_timer_zero_rearm(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *z, *s;
	int n = 0;

	z = ev_timer_new(ev, zero_cb, &n);
	s = ev_timer_new(ev, stop_cb, ev);
	ev_timer_arm(z, 0);
	ev_timer_arm(s, 20);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(n, 1000);
	ev_timer_del(&z);
	ev_timer_del(&s);
	ev_timer_del(&g);
	ev_free(&ev);
}

static void
test_timer_disarm_delete(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *a, *b, *killer, *stop;
	struct tinfo ta = {.ev = ev, .id = 1}, tb = {.ev = ev, .id = 2},
	             tk = {.ev = ev, .id = 3},
	             ts = {.ev = ev, .id = 4, .stop = true};

	norder = 0;
	a = ev_timer_new(ev, record_cb, &ta);
	b = ev_timer_new(ev, record_cb, &tb);
	killer = ev_timer_new(ev, record_cb, &tk);
	stop = ev_timer_new(ev, record_cb, &ts);
	ev_timer_arm(a, 10);
	ev_timer_disarm(a);
	CHECK(!ev_timer_armed(a));
	ev_timer_disarm(a); /* twice is fine */
	/* killer and b are due in the same pass; killer deletes b first */
	ev_timer_arm(killer, 20);
	ev_timer_arm(b, 20);
	tk.victim = b;
	ev_timer_arm(stop, 40);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(norder, 2);
	CHECK_INT(order[0], 3);
	CHECK_INT(order[1], 4);
	CHECK(tk.victim == NULL);
	ev_timer_del(&a);
	ev_timer_del(&killer);
	ev_timer_del(&stop);
	ev_timer_del(&g);
	ev_free(&ev);
}

struct iotest {
	struct ev *ev;
	struct ev_io *io[2];
	int calls;
};

static void
io_kill_cb(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct iotest *it = arg;

	(void)fd;
	CHECK(events & EV_READ);
	it->calls++;
	/* delete both watchers: the other one's event is in this batch too */
	if (io == it->io[0]) {
		ev_io_del(&it->io[0]);
		ev_io_del(&it->io[1]);
	} else {
		ev_io_del(&it->io[1]);
		ev_io_del(&it->io[0]);
	}
	ev_stop(it->ev);
}

static void
test_io_delete_in_batch(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev);
	struct iotest it = {.ev = ev};
	int p1[2], p2[2];

	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	CHECK(write(p1[1], "x", 1) == 1 && write(p2[1], "y", 1) == 1);
	it.io[0] = ev_io_add(ev, p1[0], EV_READ, io_kill_cb, &it);
	it.io[1] = ev_io_add(ev, p2[0], EV_READ, io_kill_cb, &it);
	CHECK(it.io[0] != NULL && it.io[1] != NULL);
	CHECK_INT(ev_io_events(it.io[0]), EV_READ);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(it.calls, 1);
	CHECK(it.io[0] == NULL && it.io[1] == NULL);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	ev_timer_del(&g);
	ev_free(&ev);
}

struct rw {
	struct ev *ev;
	int reads, writes;
};

static void
rw_cb(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct rw *rw = arg;
	char c;

	if (events & EV_WRITE) {
		rw->writes++;
		ev_io_set(io, 0); /* idle: must not be reported again */
	}
	if (events & EV_READ) {
		rw->reads++;
		CHECK(read(fd, &c, 1) == 1);
		ev_io_set(io, EV_WRITE);
	}
}

static void
test_io_set(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *s;
	struct rw rw = {.ev = ev};
	struct ev_io *io;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], "a", 1) == 1);
	io = ev_io_add(ev, sv[0], EV_READ, rw_cb, &rw);
	s = ev_timer_new(ev, stop_cb, ev);
	ev_timer_arm(s, 50);
	/* the peer hangs up: an idle watcher must not spin on EPOLLHUP */
	CHECK(close(sv[1]) == 0);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(rw.reads, 1);
	CHECK_INT(rw.writes, 1);
	CHECK_INT(ev_io_events(io), 0);
	ev_io_del(&io);
	close(sv[0]);
	ev_timer_del(&s);
	ev_timer_del(&g);
	ev_free(&ev);
}

struct wk {
	struct ev *ev;
	struct ev_wakeup *w;
	int calls;
};

static void
wakeup_cb(void *arg)
{
	struct wk *wk = arg;

	wk->calls++;
	ev_stop(wk->ev);
}

static void *
wakeup_thread(void *arg)
{
	struct wk *wk = arg;
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
	ev_wakeup_signal(wk->w);
	ev_wakeup_signal(wk->w);
	return NULL;
}

static void
test_wakeup_thread(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev);
	struct wk wk = {.ev = ev};
	pthread_t th;

	wk.w = ev_wakeup_new(ev, wakeup_cb, &wk);
	CHECK(wk.w != NULL);
	CHECK(pthread_create(&th, NULL, wakeup_thread, &wk) == 0);
	CHECK_INT(ev_run(ev), 0);
	pthread_join(th, NULL);
	CHECK(!guard_fired);
	/* the two signals may coalesce, but at least one call came */
	CHECK(wk.calls >= 1 && wk.calls <= 2);
	ev_wakeup_free(&wk.w);
	CHECK(wk.w == NULL);
	ev_timer_del(&g);
	ev_free(&ev);
}

struct df {
	struct ev *ev;
	int step;
	int log[8];
	int nlog;
	int iteration; /* counts timer passes via a 0 ms timer */
};

static void defer_second(void *arg);

static void
defer_first(void *arg)
{
	struct df *df = arg;

	df->log[df->nlog++] = 1;
	/* queued while defers run: waits for the next iteration */
	ev_defer(df->ev, defer_second, df);
}

static void
defer_second(void *arg)
{
	struct df *df = arg;

	df->log[df->nlog++] = 2;
	ev_stop(df->ev);
}

static void
defer_mark(struct ev_timer *t, void *arg)
{
	struct df *df = arg;

	(void)t;
	/* runs in the first iteration's timer pass, between the defers */
	df->log[df->nlog++] = 9;
}

static void
defer_count(void *arg)
{
	(*(int *)arg)++;
}

static void
test_defer(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev), *t;
	struct df df = {.ev = ev};
	int n = 0;

	ev_defer(ev, defer_first, &df);
	t = ev_timer_new(ev, defer_mark, &df);
	ev_timer_arm(t, 0);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(df.nlog, 3);
	CHECK_INT(df.log[0], 1);
	CHECK_INT(df.log[1], 9);
	CHECK_INT(df.log[2], 2);
	/* pending defers run at ev_free (they are usually frees) */
	ev_defer(ev, defer_count, &n);
	ev_defer(ev, defer_count, &n);
	ev_timer_del(&t);
	ev_timer_del(&g);
	ev_free(&ev);
	CHECK_INT(n, 2);
}

struct sg {
	struct ev *ev;
	int got[3];
};

static void
signal_cb(int signo, void *arg)
{
	struct sg *sg = arg;

	if (signo == SIGUSR1)
		sg->got[0]++;
	else if (signo == SIGUSR2)
		sg->got[1]++;
	if (sg->got[0] && sg->got[1])
		ev_stop(sg->ev);
}

static void
test_signals(void)
{
	struct ev *ev = ev_new();
	struct ev_timer *g = guard_new(ev);
	struct sg sg = {.ev = ev};
	sigset_t cur;

	CHECK_INT(ev_signal_add(ev, SIGUSR1, signal_cb, &sg), 0);
	CHECK_INT(ev_signal_add(ev, SIGUSR2, signal_cb, &sg), 0);
	CHECK_INT(ev_signal_add(ev, 0, signal_cb, &sg), -1);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	CHECK(sigismember(&cur, SIGUSR1) == 1);
	/* blocked, so raise() leaves them pending for the signalfd */
	CHECK(raise(SIGUSR1) == 0);
	CHECK(raise(SIGUSR2) == 0);
	CHECK_INT(ev_run(ev), 0);
	CHECK(!guard_fired);
	CHECK_INT(sg.got[0], 1);
	CHECK_INT(sg.got[1], 1);
	ev_timer_del(&g);
	ev_free(&ev);
}

static void
test_now_cached(void)
{
	struct ev *ev = ev_new();
	uint64_t a = ev_now_ms(ev), b;
	struct timespec ts = {0, 5 * 1000 * 1000};

	nanosleep(&ts, NULL);
	b = ev_time_ms();
	/* the cached clock does not move outside the loop */
	CHECK(ev_now_ms(ev) == a);
	CHECK(b >= a + 5);
	ev_free(&ev);
}

#define TESTS(X)                                                               \
	X(test_timer_order)                                                    \
	X(test_timer_many)                                                     \
	X(test_timer_rearm)                                                    \
	X(test_timer_zero_rearm)                                               \
	X(test_timer_disarm_delete)                                            \
	X(test_io_delete_in_batch)                                             \
	X(test_io_set)                                                         \
	X(test_wakeup_thread)                                                  \
	X(test_defer)                                                          \
	X(test_signals)                                                        \
	X(test_now_cached)
TEST_MAIN(TESTS)
