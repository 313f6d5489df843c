/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pop3_session.c - libFuzzer target for a whole POP3 session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with bob@local.example, password "x", and a few messages with
 * dot lines, bare LFs and no final newline). The client side is then shut
 * down and the loop runs until the session is gone; replies are drained
 * and dropped. Messages expunged by DELE+QUIT are put back before the next
 * input so every run starts from the same maildrop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
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
#include "pop3/pop3.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const messages[] = {
    "Subject: one\r\n\r\nhello\r\n.\r\n..two\r\n.end\r\n",
    "Subject: two\nX: bare lf\n\nl1\nl2\n.l3\nl4",
    "Subject: header only\r\n",
    "",
};

static struct {
	bool ready;
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct store_db *db;
	int64_t inbox;
	struct ev_timer *tick;
	struct ev_io *peer_io;
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
	/* stop the workers and close the store so leak checkers see a
	 * clean exit, then remove the directory */
	if (f.d.store != NULL)
		store_stop(&f.d.store);
	if (f.db != NULL)
		store_db_close(&f.db);
	if (f.ev != NULL) {
		conf_unref(&f.d.conf);
		daemon_clear(&f.d);
		ev_free(&f.ev);
	}
	if (f.dir[0] != '\0')
		(void)nftw(f.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* refill - put the seed messages back when QUIT expunged some */
static void
refill(void)
{
	struct store_message *msgs = NULL;
	size_t count = 0, n = sizeof(messages) / sizeof(messages[0]);
	uint32_t uid, uidv;

	if (store_message_list(f.db, f.inbox, 0, &msgs, &count) < 0)
		abort();
	store_message_list_free(&msgs, count);
	if (count == n)
		return;
	if (count > 0) {
		/* start over: expunge all, append all */
		if (store_message_list(f.db, f.inbox, 0, &msgs, &count) < 0)
			abort();
		for (size_t i = 0; i < count; i++) {
			uid = msgs[i].uid;
			if (store_message_expunge(f.db, f.inbox, &uid, 1) < 0)
				abort();
		}
		store_message_list_free(&msgs, count);
	}
	for (size_t i = 0; i < n; i++) {
		if (store_message_append(
		        f.db, f.inbox, (const uint8_t *)messages[i],
		        strlen(messages[i]), 0, NULL, 1, &uid, &uidv) < 0)
			abort();
	}
}

static void
init(void)
{
	struct store_settings set = {0};
	struct store_user u;
	struct store_mailbox mb;
	const char *error = NULL;
	char *hash;

	(void)strlcpy_chk(f.dir, "/tmp/outpost-fuzz-pop3-XXXXXX",
	                  sizeof(f.dir));
	if (mkdtemp(f.dir) == NULL || store_create(f.dir, &error) < 0 ||
	    (f.db = store_db_open(f.dir, &error)) == NULL)
		abort();
	atexit(cleanup);
	hash = passwd_hash("x");
	if (hash == NULL || store_domain_add(f.db, "local.example") < 0 ||
	    store_user_add(f.db, "bob@local.example", hash) < 0 ||
	    store_user_lookup(f.db, "bob@local.example", &u) != 1 ||
	    store_mailbox_get(f.db, u.id, "INBOX", &mb) != 1)
		abort();
	free(hash);
	f.inbox = mb.id;
	store_mailbox_clear(&mb);
	store_user_clear(&u);
	log_set_level(getenv("FUZZ_LOG") != NULL ? LOG_LEVEL_DEBUG
	                                         : LOG_LEVEL_ERROR);
	f.ev = ev_new();
	daemon_init(&f.d, f.ev);
	f.d.conf = conf_default();
	free(f.d.conf->data_dir);
	f.d.conf->data_dir = xstrdup(f.dir);
	f.d.conf->pop3_allow_plaintext_auth = true;
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
	refill();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	               sv) < 0)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c = conn_new(f.ev, sv[0], &set, NULL);
	if (c == NULL)
		abort();
	pop3_session_start(&f.d, c);
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
