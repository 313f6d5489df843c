/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_session.c - libFuzzer target for a whole SMTP session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with local.example and bob@local.example), then the client
 * side is shut down and the loop runs until the session is gone. Replies
 * are drained and dropped; sanitizers and the loop's own checks find bugs.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
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
#include "smtp/smtp.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	bool ready;
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct ev_timer *tick;
	struct ev_io *peer_io;
	int peer;
} f;

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
cleanup(void)
{
	if (f.dir[0] != '\0')
		(void)nftw(f.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
init(void)
{
	struct store_settings set = {0};
	struct store_db *db;
	const char *error = NULL;

	(void)strlcpy_chk(f.dir, "/tmp/outpost-fuzz-smtp-XXXXXX",
	                  sizeof(f.dir));
	if (mkdtemp(f.dir) == NULL || store_create(f.dir, &error) < 0 ||
	    (db = store_db_open(f.dir, &error)) == NULL)
		abort();
	atexit(cleanup);
	if (store_domain_add(db, "local.example") < 0 ||
	    store_user_add(db, "bob@local.example", "x") < 0 ||
	    store_user_add(db, "postmaster@local.example", "x") < 0)
		abort();
	store_db_close(&db);
	log_set_level(getenv("FUZZ_LOG") != NULL ? LOG_LEVEL_DEBUG
	                                         : LOG_LEVEL_ERROR);
	f.ev = ev_new();
	daemon_init(&f.d, f.ev);
	f.d.conf = conf_default();
	free(f.d.conf->hostname);
	f.d.conf->hostname = xstrdup("mx.test");
	free(f.d.conf->data_dir);
	f.d.conf->data_dir = xstrdup(f.dir);
	f.d.conf->smtp_max_message_size = 20000;
	f.d.conf->smtp_max_recipients = 5;
	f.d.conf->max_errors = 50;
	set.data_dir = f.dir;
	set.batch_max = 8;
	set.workers = 1;
	f.d.store = store_start(f.ev, &set, &error);
	if (f.d.store == NULL)
		abort();
	f.ready = true;
}

/* on_tick - stop the loop once the session has gone */
static void
on_tick(struct ev_timer *t, void *arg)
{
	(void)arg;
	if (f.d.session_count == 0)
		ev_stop(f.ev);
	else
		ev_timer_arm(t, 1);
}

/* on_peer - the client side: drain replies */
static void
on_peer(struct ev_io *io, int fd, unsigned events, void *arg)
{
	char buf[4096];

	(void)io;
	(void)events;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_settings set = {.max_in = 4096, .max_out = 64 * 1024};
	int sv[2], sndbuf = 1 << 20;
	struct conn *c;
	size_t off = 0;

	if (size > 100000)
		return 0;
	if (!f.ready)
		init();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	               sv) < 0)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c = conn_new(f.ev, sv[0], &set, NULL);
	if (c == NULL)
		abort();
	smtp_session_start(&f.d, c, SMTP_SERVICE_MX);
	f.peer_io = ev_io_add(f.ev, sv[1], EV_READ, on_peer, NULL);
	f.tick = ev_timer_new(f.ev, on_tick, NULL);
	ev_timer_arm(f.tick, 1);
	/* write what fits now; the rest is dropped (a short session) */
	while (off < size) {
		ssize_t n = write(sv[1], data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	(void)shutdown(sv[1], SHUT_WR);
	ev_run(f.ev);
	ev_timer_del(&f.tick);
	ev_io_del(&f.peer_io);
	close(sv[1]);
	return 0;
}
