/* SPDX-License-Identifier: MIT */
/*
 * ev.c - the event loop: epoll (level-triggered) for descriptors, a binary
 * min-heap of one-shot timers keyed by (deadline, arming order), signals
 * delivered through one signalfd, wakeups through one eventfd each, and a
 * queue of deferred calls run at the start of every iteration.
 *
 * One loop per thread; everything here runs on the loop's thread except
 * ev_wakeup_signal(), which only write(2)s to an eventfd. Nothing here reads
 * peer data.
 *
 * Level-triggered epoll keeps the contract simple: a watcher that does not
 * drain its descriptor is called again on the next iteration. A watcher with
 * no events is removed from the epoll set (EPOLLERR/EPOLLHUP would otherwise
 * be reported forever) and re-added when events are set again.
 *
 * Deleting a watcher from any callback is safe: ev_io_del() takes the
 * descriptor out of epoll at once, marks the watcher dead (so the rest of the
 * current epoll batch skips it) and frees it after the batch.
 *
 * An iteration: refresh the cached clock, run deferred calls queued before
 * the iteration started, run due timers (a timer re-armed for 0 ms from its
 * callback waits for the next iteration), wait in epoll_wait (not at all when
 * deferred calls are queued), refresh the clock, dispatch I/O events.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "mem.h"

#define EV_MAX_EVENTS 64
#define EV_MAX_SIGNAL 65 /* signal numbers 1..64 */
#define HEAP_NONE SIZE_MAX

struct ev_io {
	struct ev *ev;
	int fd;
	unsigned events;
	bool registered; /* in the epoll set */
	bool dead;       /* deleted; freed after the current batch */
	ev_io_fn *cb;
	void *arg;
	struct ev_io *next_dead;
};

struct ev_timer {
	struct ev *ev;
	uint64_t deadline;
	uint64_t seq; /* arming order: ties fire first-armed first */
	size_t idx;   /* index in the heap, HEAP_NONE when disarmed */
	ev_timer_fn *cb;
	void *arg;
};

struct ev_wakeup {
	struct ev *ev;
	int fd;
	struct ev_io *io;
	ev_wakeup_fn *cb;
	void *arg;
};

struct ev_deferred {
	ev_defer_fn *cb;
	void *arg;
};

struct ev_sig {
	ev_signal_fn *cb;
	void *arg;
};

struct ev {
	int epfd;
	bool stop;
	uint64_t now;

	struct ev_timer **heap;
	size_t heap_count, heap_cap;
	uint64_t timer_seq;

	struct ev_deferred *defer;
	size_t defer_count, defer_cap;

	struct ev_io *dead;

	int sigfd;
	struct ev_io *sigio;
	sigset_t sigmask;
	struct ev_sig sig[EV_MAX_SIGNAL];
};

uint64_t
ev_time_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
ev_now_ms(struct ev *ev)
{
	return ev->now;
}

struct ev *
ev_new(void)
{
	struct ev *ev = xcalloc(1, sizeof(*ev));

	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd == -1) {
		log_warn("epoll_create1");
		free(ev);
		return NULL;
	}
	ev->sigfd = -1;
	sigemptyset(&ev->sigmask);
	ev->now = ev_time_ms();
	return ev;
}

/* free_dead - free watchers deleted during the last batch. */
static void
free_dead(struct ev *ev)
{
	struct ev_io *io;

	while ((io = ev->dead) != NULL) {
		ev->dead = io->next_dead;
		free(io);
	}
}

/* run_defers - run the calls queued so far; new ones wait for next time. */
static void
run_defers(struct ev *ev)
{
	struct ev_deferred *list = ev->defer;
	size_t count = ev->defer_count;

	if (count == 0)
		return;
	ev->defer = NULL;
	ev->defer_count = ev->defer_cap = 0;
	for (size_t i = 0; i < count; i++)
		list[i].cb(list[i].arg);
	free(list);
}

void
ev_free(struct ev **evp)
{
	struct ev *ev = *evp;

	if (ev == NULL)
		return;
	/* deferred calls are usually frees: run them so nothing leaks */
	for (int i = 0; i < 16 && ev->defer_count > 0; i++)
		run_defers(ev);
	if (ev->sigio != NULL)
		ev_io_del(&ev->sigio);
	free_dead(ev);
	if (ev->sigfd != -1)
		close(ev->sigfd);
	for (size_t i = 0; i < ev->heap_count; i++)
		ev->heap[i]->idx = HEAP_NONE;
	free(ev->heap);
	free(ev->defer);
	close(ev->epfd);
	free(ev);
	*evp = NULL;
}

void
ev_stop(struct ev *ev)
{
	ev->stop = true;
}

/* I/O watchers */

static uint32_t
epoll_mask(unsigned events)
{
	uint32_t m = 0;

	if (events & EV_READ)
		m |= EPOLLIN;
	if (events & EV_WRITE)
		m |= EPOLLOUT;
	return m;
}

/* io_apply - bring the epoll set in line with io->events. */
static int
io_apply(struct ev_io *io)
{
	struct epoll_event e;
	int op;

	memset(&e, 0, sizeof(e));
	if (io->events == 0) {
		if (!io->registered)
			return 0;
		io->registered = false;
		if (epoll_ctl(io->ev->epfd, EPOLL_CTL_DEL, io->fd, &e) == -1)
			log_warn("epoll_ctl del fd=%d", io->fd);
		return 0;
	}
	e.events = epoll_mask(io->events);
	e.data.ptr = io;
	op = io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(io->ev->epfd, op, io->fd, &e) == -1)
		return -1;
	io->registered = true;
	return 0;
}

struct ev_io *
ev_io_add(struct ev *ev, int fd, unsigned events, ev_io_fn *cb, void *arg)
{
	struct ev_io *io = xcalloc(1, sizeof(*io));
	struct epoll_event e;

	io->ev = ev;
	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
	io->events = events & (EV_READ | EV_WRITE);
	/* add even when idle, so an unpollable fd fails here */
	memset(&e, 0, sizeof(e));
	e.events = epoll_mask(io->events);
	e.data.ptr = io;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) == -1) {
		log_warn("epoll_ctl add fd=%d", fd);
		free(io);
		return NULL;
	}
	io->registered = true;
	if (io->events == 0) {
		io->registered = false;
		if (epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, &e) == -1)
			log_warn("epoll_ctl del fd=%d", fd);
	}
	return io;
}

void
ev_io_set(struct ev_io *io, unsigned events)
{
	events &= EV_READ | EV_WRITE;
	assert(!io->dead);
	if (io->dead ||
	    (events == io->events && io->registered == (events != 0)))
		return;
	io->events = events;
	if (io_apply(io) == -1)
		log_warn("epoll_ctl fd=%d events=%u", io->fd, events);
}

unsigned
ev_io_events(const struct ev_io *io)
{
	return io->events;
}

void
ev_io_del(struct ev_io **iop)
{
	struct ev_io *io = *iop;

	if (io == NULL)
		return;
	*iop = NULL;
	assert(!io->dead);
	if (io->registered) {
		struct epoll_event e;

		memset(&e, 0, sizeof(e));
		/* fails harmlessly when the fd was already closed */
		(void)epoll_ctl(io->ev->epfd, EPOLL_CTL_DEL, io->fd, &e);
		io->registered = false;
	}
	io->dead = true;
	io->next_dead = io->ev->dead;
	io->ev->dead = io;
}

/* Timers: a binary min-heap of armed timers */

static bool
timer_less(const struct ev_timer *a, const struct ev_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_set(struct ev *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->idx = i;
}

static void
heap_up(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_less(t, ev->heap[parent]))
			break;
		heap_set(ev, i, ev->heap[parent]);
		i = parent;
	}
	heap_set(ev, i, t);
}

static void
heap_down(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];
	size_t n = ev->heap_count;

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n &&
		    timer_less(ev->heap[child + 1], ev->heap[child]))
			child++;
		if (!timer_less(ev->heap[child], t))
			break;
		heap_set(ev, i, ev->heap[child]);
		i = child;
	}
	heap_set(ev, i, t);
}

static void
heap_remove(struct ev *ev, struct ev_timer *t)
{
	size_t i = t->idx;
	struct ev_timer *last;

	assert(i < ev->heap_count && ev->heap[i] == t);
	t->idx = HEAP_NONE;
	last = ev->heap[--ev->heap_count];
	if (last == t)
		return;
	heap_set(ev, i, last);
	if (i > 0 && timer_less(last, ev->heap[(i - 1) / 2]))
		heap_up(ev, i);
	else
		heap_down(ev, i);
}

struct ev_timer *
ev_timer_new(struct ev *ev, ev_timer_fn *cb, void *arg)
{
	struct ev_timer *t = xcalloc(1, sizeof(*t));

	t->ev = ev;
	t->cb = cb;
	t->arg = arg;
	t->idx = HEAP_NONE;
	return t;
}

void
ev_timer_arm(struct ev_timer *t, uint64_t ms)
{
	struct ev *ev = t->ev;

	if (t->idx != HEAP_NONE)
		heap_remove(ev, t);
	t->deadline = ms > UINT64_MAX - ev->now ? UINT64_MAX : ev->now + ms;
	t->seq = ev->timer_seq++;
	if (ev->heap_count == ev->heap_cap) {
		ev->heap_cap = ev->heap_cap ? ev->heap_cap * 2 : 16;
		ev->heap =
		    xreallocarray(ev->heap, ev->heap_cap, sizeof(*ev->heap));
	}
	ev->heap[ev->heap_count++] = t;
	heap_up(ev, ev->heap_count - 1);
}

void
ev_timer_disarm(struct ev_timer *t)
{
	if (t->idx != HEAP_NONE)
		heap_remove(t->ev, t);
}

bool
ev_timer_armed(const struct ev_timer *t)
{
	return t->idx != HEAP_NONE;
}

void
ev_timer_del(struct ev_timer **tp)
{
	struct ev_timer *t = *tp;

	if (t == NULL)
		return;
	ev_timer_disarm(t);
	free(t);
	*tp = NULL;
}

/* run_timers - fire timers due by now that were armed before this pass. */
static void
run_timers(struct ev *ev)
{
	uint64_t pass_seq = ev->timer_seq;

	while (ev->heap_count > 0 && !ev->stop) {
		struct ev_timer *t = ev->heap[0];

		if (t->deadline > ev->now || t->seq >= pass_seq)
			break;
		heap_remove(ev, t);
		/* t may be re-armed or deleted by its callback */
		t->cb(t, t->arg);
	}
}

/* Signals */

static void
signal_read(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct ev *ev = arg;
	struct signalfd_siginfo si;
	ssize_t n;

	(void)io;
	(void)events;
	for (;;) {
		n = read(fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("signalfd read");
			return;
		}
		if (si.ssi_signo < EV_MAX_SIGNAL && ev->sig[si.ssi_signo].cb)
			ev->sig[si.ssi_signo].cb((int)si.ssi_signo,
			                         ev->sig[si.ssi_signo].arg);
	}
}

int
ev_signal_add(struct ev *ev, int signo, ev_signal_fn *cb, void *arg)
{
	sigset_t one;
	int fd;

	if (signo <= 0 || signo >= EV_MAX_SIGNAL) {
		errno = EINVAL;
		return -1;
	}
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) == -1)
		return -1;
	sigaddset(&ev->sigmask, signo);
	fd = signalfd(ev->sigfd, &ev->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return -1;
	ev->sig[signo].cb = cb;
	ev->sig[signo].arg = arg;
	if (ev->sigfd == -1) {
		ev->sigfd = fd;
		ev->sigio = ev_io_add(ev, fd, EV_READ, signal_read, ev);
		if (ev->sigio == NULL) {
			close(fd);
			ev->sigfd = -1;
			ev->sig[signo].cb = NULL;
			return -1;
		}
	}
	return 0;
}

/* Wakeups */

static void
wakeup_read(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct ev_wakeup *w = arg;
	uint64_t v;

	(void)io;
	(void)events;
	/* reset the counter first: signals after this point wake us again */
	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return;
	w->cb(w->arg);
}

struct ev_wakeup *
ev_wakeup_new(struct ev *ev, ev_wakeup_fn *cb, void *arg)
{
	struct ev_wakeup *w = xcalloc(1, sizeof(*w));

	w->ev = ev;
	w->cb = cb;
	w->arg = arg;
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd == -1) {
		log_warn("eventfd");
		free(w);
		return NULL;
	}
	w->io = ev_io_add(ev, w->fd, EV_READ, wakeup_read, w);
	if (w->io == NULL) {
		close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

void
ev_wakeup_signal(struct ev_wakeup *w)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: a wakeup is pending anyway */
	while (write(w->fd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

void
ev_wakeup_free(struct ev_wakeup **wp)
{
	struct ev_wakeup *w = *wp;

	if (w == NULL)
		return;
	ev_io_del(&w->io);
	close(w->fd);
	free(w);
	*wp = NULL;
}

/* Deferred calls */

void
ev_defer(struct ev *ev, ev_defer_fn *cb, void *arg)
{
	if (ev->defer_count == ev->defer_cap) {
		ev->defer_cap = ev->defer_cap ? ev->defer_cap * 2 : 16;
		ev->defer =
		    xreallocarray(ev->defer, ev->defer_cap, sizeof(*ev->defer));
	}
	ev->defer[ev->defer_count].cb = cb;
	ev->defer[ev->defer_count].arg = arg;
	ev->defer_count++;
}

/* poll_timeout - milliseconds epoll_wait may sleep, -1 for ever. */
static int
poll_timeout(const struct ev *ev)
{
	uint64_t d;

	if (ev->defer_count > 0 || ev->stop)
		return 0;
	if (ev->heap_count == 0)
		return -1;
	d = ev->heap[0]->deadline;
	if (d <= ev->now)
		return 0;
	d -= ev->now;
	return d > 3600 * 1000 ? 3600 * 1000 : (int)d;
}

int
ev_run(struct ev *ev)
{
	struct epoll_event events[EV_MAX_EVENTS];
	int n;

	ev->stop = false;
	for (;;) {
		ev->now = ev_time_ms();
		run_defers(ev);
		run_timers(ev);
		free_dead(ev);
		if (ev->stop)
			break;
		n = epoll_wait(ev->epfd, events, EV_MAX_EVENTS,
		               poll_timeout(ev));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		ev->now = ev_time_ms();
		for (int i = 0; i < n; i++) {
			struct ev_io *io = events[i].data.ptr;
			unsigned got = 0;

			if (io->dead)
				continue;
			if (events[i].events & EPOLLIN)
				got |= EV_READ;
			if (events[i].events & EPOLLOUT)
				got |= EV_WRITE;
			if (events[i].events & (EPOLLERR | EPOLLHUP))
				got |= EV_ERROR;
			io->cb(io, io->fd, got, io->arg);
		}
		free_dead(ev);
	}
	return 0;
}
