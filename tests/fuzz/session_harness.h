/* SPDX-License-Identifier: MIT */
/*
 * session_harness.h - what the whole-session fuzz targets
 * (fuzz_imap_session.c, fuzz_pop3_session.c, fuzz_smtp_session.c) share:
 * a real store in a temporary directory with the domain local.example,
 * removed at exit; a daemon with the default configuration on a real event
 * loop with one store worker; and one run per input: the input is what a
 * client sends, written into a socket pair whose other end is a session
 * started by the target, then the client side is shut down and the loop
 * runs until the session is gone. Replies are drained and dropped;
 * sanitizers and the loop's own checks find bugs. Any setup failure
 * aborts. Static functions: each target includes this header once.
 */
#ifndef OUTPOST_FUZZ_SESSION_HARNESS_H
#define OUTPOST_FUZZ_SESSION_HARNESS_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/conn.h"
#include "core/daemon.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/passwd.h"
#include "store/store.h"

/* Longer inputs are skipped: a session is short. */
#define FUZZ_SESSION_MAX_INPUT 100000

/* fuzz_session_start_fn - start the target's protocol on c */
typedef void fuzz_session_start_fn(struct daemon *d, struct conn *c);
/* fuzz_session_init_fn - the target's set-up, once before the first input:
 * fuzz_session_store, its users and messages, fuzz_session_daemon, then
 * the configuration it needs */
typedef void fuzz_session_init_fn(void);

static struct {
	bool ready; /* fuzz_session_daemon done */
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct store_db *db; /* open from fuzz_session_store until closed */
	struct ev_timer *tick;
	struct ev_io *peer_io;
} fs;

static int
fs_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* fs_cleanup - at exit: stop the workers and close the store so leak
 * checkers see a clean exit, then remove the directory */
static void
fs_cleanup(void)
{
	if (fs.d.store != NULL)
		store_stop(&fs.d.store);
	if (fs.db != NULL)
		store_db_close(&fs.db);
	if (fs.ev != NULL) {
		conf_unref(&fs.d.conf);
		daemon_clear(&fs.d);
		ev_free(&fs.ev);
	}
	if (fs.dir[0] != '\0')
		(void)nftw(fs.dir, fs_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* fuzz_session_store - create the store in a new directory named after
 * tmpl ("/tmp/...-XXXXXX"), open it as fs.db and add local.example */
static void
fuzz_session_store(const char *tmpl)
{
	const char *error = NULL;

	(void)strlcpy_chk(fs.dir, tmpl, sizeof(fs.dir));
	if (mkdtemp(fs.dir) == NULL || store_create(fs.dir, &error) < 0 ||
	    (fs.db = store_db_open(fs.dir, &error)) == NULL)
		abort();
	atexit(fs_cleanup);
	if (store_domain_add(fs.db, "local.example") < 0)
		abort();
}

/* fuzz_session_user - add user with password to fs.db; returns the id of
 * the user's INBOX (inline: not every target needs it) */
static inline int64_t
fuzz_session_user(const char *user, const char *password)
{
	struct store_user u;
	struct store_mailbox mb;
	char *hash = passwd_hash(password);
	int64_t inbox;

	if (hash == NULL || store_user_add(fs.db, user, hash) < 0 ||
	    store_user_lookup(fs.db, user, &u) != 1 ||
	    store_mailbox_get(fs.db, u.id, "INBOX", &mb) != 1)
		abort();
	free(hash);
	inbox = mb.id;
	store_mailbox_clear(&mb);
	store_user_clear(&u);
	return inbox;
}

/* fuzz_session_daemon - the loop, the daemon with the default
 * configuration (the target then changes what it needs) and the store
 * workers; logs only errors unless FUZZ_LOG is set. Marks the set-up
 * done. */
static void
fuzz_session_daemon(void)
{
	struct store_settings set = {0};
	const char *error = NULL;

	log_set_level(getenv("FUZZ_LOG") != NULL ? LOG_LEVEL_DEBUG
	                                         : LOG_LEVEL_ERROR);
	fs.ev = ev_new();
	daemon_init(&fs.d, fs.ev);
	fs.d.conf = conf_default();
	free(fs.d.conf->data_dir);
	fs.d.conf->data_dir = xstrdup(fs.dir);
	fs.d.conf->max_errors = 50;
	set.data_dir = fs.dir;
	set.batch_max = 8;
	set.workers = 1;
	fs.d.store = store_start(fs.ev, &set, &error);
	if (fs.d.store == NULL)
		abort();
	fs.ready = true;
}

/* fs_on_tick - stop the loop once the session has gone */
static void
fs_on_tick(struct ev_timer *t, void *arg)
{
	(void)arg;
	if (fs.d.session_count == 0)
		ev_stop(fs.ev);
	else
		ev_timer_arm(t, 1);
}

/* fs_on_peer - the client side: drain replies */
static void
fs_on_peer(struct ev_io *io, int fd, unsigned events, void *arg)
{
	char buf[4096];

	(void)io;
	(void)events;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* fuzz_session_input - the body of LLVMFuzzerTestOneInput: init on the
 * first call, then one session fed with data through a connection with
 * input buffer max_in, started by start; always 0 */
static int
fuzz_session_input(const uint8_t *data, size_t size, fuzz_session_init_fn *init,
                   size_t max_in, fuzz_session_start_fn *start)
{
	struct conn_settings set = {.max_in = max_in, .max_out = 64 * 1024};
	int sv[2], sndbuf = 1 << 20;
	struct conn *c;
	size_t off = 0;

	if (size > FUZZ_SESSION_MAX_INPUT)
		return 0;
	if (!fs.ready)
		init();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	               sv) < 0)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c = conn_new(fs.ev, sv[0], &set, NULL);
	if (c == NULL)
		abort();
	start(&fs.d, c);
	fs.peer_io = ev_io_add(fs.ev, sv[1], EV_READ, fs_on_peer, NULL);
	fs.tick = ev_timer_new(fs.ev, fs_on_tick, NULL);
	ev_timer_arm(fs.tick, 1);
	/* write what fits now; the rest is dropped (a short session) */
	while (off < size) {
		ssize_t n = write(sv[1], data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	(void)shutdown(sv[1], SHUT_WR);
	ev_run(fs.ev);
	ev_timer_del(&fs.tick);
	ev_io_del(&fs.peer_io);
	close(sv[1]);
	return 0;
}

#endif
