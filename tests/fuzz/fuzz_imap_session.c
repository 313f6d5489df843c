/* SPDX-License-Identifier: MIT */
/*
 * fuzz_imap_session.c - libFuzzer target for a whole IMAP session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with bob@local.example, password "pw", and two messages in his
 * INBOX), then the client side is shut down and the loop runs until the
 * session is gone. Replies are drained and dropped; sanitizers find bugs.
 * Plaintext LOGIN is allowed so the corpus can reach the selected state.
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
#include "core/passwd.h"
#include "imap/imap.h"
#include "mime/mime.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	bool ready;
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct ev_timer *tick;
	struct ev_io *peer_io;
} f;

static const char msg1[] = "From: a@b.example\r\nTo: bob@local.example\r\n"
			   "Subject: one\r\n\r\nhello\r\n";
static const char msg2[] =
    "From: a@b.example\r\nSubject: two\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    "Content-Type: text/plain\r\n\r\npart\r\n--b--\r\n";

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
	struct store_settings set = { 0 };
	struct store_db *db;
	struct store_user u;
	struct store_mailbox mb;
	const char *error = NULL;
	char *hash;
	uint32_t uid, validity;

	(void)strlcpy_chk(f.dir, "/tmp/outpost-fuzz-imap-XXXXXX",
	    sizeof(f.dir));
	store_set_indexer(mime_index_build);
	hash = passwd_hash("pw");
	if (hash == NULL || mkdtemp(f.dir) == NULL ||
	    store_create(f.dir, &error) < 0 ||
	    (db = store_db_open(f.dir, &error)) == NULL)
		abort();
	atexit(cleanup);
	if (store_domain_add(db, "local.example") < 0 ||
	    store_user_add(db, "bob@local.example", hash) < 0 ||
	    store_user_lookup(db, "bob@local.example", &u) != 1 ||
	    store_mailbox_get(db, u.id, "INBOX", &mb) != 1 ||
	    store_message_append(db, mb.id, (const uint8_t *)msg1,
		sizeof(msg1) - 1, 0, NULL, 0, &uid, &validity) < 0 ||
	    store_message_append(db, mb.id, (const uint8_t *)msg2,
		sizeof(msg2) - 1, STORE_F_SEEN, "kw", 0, &uid, &validity) < 0)
		abort();
	store_user_clear(&u);
	store_mailbox_clear(&mb);
	store_db_close(&db);
	free(hash);
	log_set_level(getenv("FUZZ_LOG") != NULL ? LOG_LEVEL_DEBUG
						 : LOG_LEVEL_ERROR);
	f.ev = ev_new();
	daemon_init(&f.d, f.ev);
	f.d.conf = conf_default();
	free(f.d.conf->data_dir);
	f.d.conf->data_dir = xstrdup(f.dir);
	f.d.conf->imap_allow_plaintext_auth = true;
	f.d.conf->imap_max_line = 4096;
	f.d.conf->imap_max_literal = 16384;
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
	struct conn_settings set = { .max_in = 8192, .max_out = 64 * 1024 };
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
	imap_session_start(&f.d, c);
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
