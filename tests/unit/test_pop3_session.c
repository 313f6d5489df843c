/* SPDX-License-Identifier: MIT */
/*
 * test_pop3_session.c - whole POP3 sessions over a socket pair with a real
 * store in a temporary directory, on this thread's event loop: the client
 * script is written at once, the client side is shut down (or closed), the
 * loop runs until the session is gone and the replies are checked. Covers
 * login, STAT/LIST/UIDL/RETR/TOP with dot-stuffing, DELE+QUIT expunge, the
 * a connection that goes away while a store job is in flight (with a 1 ms
 * idle timeout racing it), log escaping of peer-supplied user names and the
 * SASL state after an over-long line. The store set-up is session_harness.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
#include "test.h"

#include "session_harness.h"

static struct {
	bool ready;
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct ev_timer *tick;
	char out[65536];
	size_t out_len;
} g;

static const char msg1[] = "Subject: one\r\n\r\nhello\r\n.dot line\r\nend\r\n";
static const char msg2[] = "Subject: two\r\nX: y\r\n\r\nl1\r\nl2\r\nl3\r\n";

static int
setup(void)
{
	struct store_db *db;
	struct store_user u;
	struct store_mailbox mb;
	uint32_t uid, uidv;
	char *hash;

	if (g.ready)
		return 0;
	db =
	    session_store_new(g.dir, sizeof(g.dir), "/tmp/outpost-pop3-XXXXXX");
	if (db == NULL)
		return -1;
	hash = passwd_hash("secret");
	if (hash == NULL || store_user_add(db, "bob@local.example", hash) < 0 ||
	    store_user_lookup(db, "bob@local.example", &u) != 1)
		return -1;
	if (store_mailbox_get(db, u.id, "INBOX", &mb) != 1 ||
	    store_message_append(db, mb.id, (const uint8_t *)msg1, strlen(msg1),
	                         0, NULL, 1, &uid, &uidv) < 0 ||
	    store_message_append(db, mb.id, (const uint8_t *)msg2, strlen(msg2),
	                         0, NULL, 2, &uid, &uidv) < 0)
		return -1;
	free(hash);
	store_mailbox_clear(&mb);
	store_user_clear(&u);
	store_db_close(&db);
	log_set_level(LOG_LEVEL_INFO);
	g.ev = ev_new();
	daemon_init(&g.d, g.ev);
	g.d.conf = conf_default();
	free(g.d.conf->data_dir);
	g.d.conf->data_dir = xstrdup(g.dir);
	g.d.conf->pop3_allow_plaintext_auth = true;
	g.d.conf->max_errors = 20;
	if (session_store_start(&g.d, g.dir, 1) < 0)
		return -1;
	g.ready = true;
	return 0;
}

static void
on_tick(struct ev_timer *t, void *arg)
{
	(void)arg;
	if (g.d.session_count == 0)
		ev_stop(g.ev);
	else
		ev_timer_arm(t, 1);
}

static void
on_peer(struct ev_io *io, int fd, unsigned events, void *arg)
{
	ssize_t n;

	(void)io;
	(void)events;
	(void)arg;
	while (g.out_len < sizeof(g.out) - 1 &&
	       (n = read(fd, g.out + g.out_len,
	                 sizeof(g.out) - 1 - g.out_len)) > 0)
		g.out_len += (size_t)n;
	g.out[g.out_len] = '\0';
}

/* run - one session fed with script; full_close closes the client socket
 * instead of half-closing it (nothing is read back then). Returns the
 * replies (static). */
static const char *
run(const char *script, bool full_close)
{
	struct conn_settings set = {.max_in = 4096, .max_out = 64 * 1024};
	struct ev_io *pio = NULL;
	struct conn *c;
	int sv[2];

	g.out_len = 0;
	g.out[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	               sv) < 0)
		return "";
	c = conn_new(g.ev, sv[0], &set, NULL);
	pop3_session_start(&g.d, c);
	if (write(sv[1], script, strlen(script)) != (ssize_t)strlen(script))
		return "";
	if (full_close) {
		close(sv[1]);
		sv[1] = -1;
	} else {
		(void)shutdown(sv[1], SHUT_WR);
		pio = ev_io_add(g.ev, sv[1], EV_READ, on_peer, NULL);
	}
	g.tick = ev_timer_new(g.ev, on_tick, NULL);
	ev_timer_arm(g.tick, 1);
	ev_run(g.ev);
	ev_timer_del(&g.tick);
	if (pio != NULL) {
		on_peer(pio, sv[1], EV_READ, NULL);
		ev_io_del(&pio);
	}
	if (sv[1] >= 0)
		close(sv[1]);
	return g.out;
}

static void
test_pop3_retr_top(void)
{
	const char *r;

	CHECK(setup() == 0);
	r = run("CAPA\r\nUSER bob@local.example\r\nPASS secret\r\nSTAT\r\n"
	        "LIST\r\nUIDL 2\r\nRETR 1\r\nTOP 2 1\r\nTOP 2 0\r\nQUIT\r\n",
	        false);
	CHECK(has(r, "+OK outpost POP3 ready\r\n"));
	CHECK(has(r, "\r\nPIPELINING\r\n"));
	CHECK(has(r, "+OK Logged in, 2 messages\r\n"));
	CHECK(has(r, "1 39\r\n2 34\r\n.\r\n"));
	/* the ".dot line" is stuffed */
	CHECK(has(r, "+OK 39 octets\r\nSubject: one\r\n\r\nhello\r\n"
	             "..dot line\r\nend\r\n.\r\n"));
	CHECK(has(r, "+OK\r\nSubject: two\r\nX: y\r\n\r\nl1\r\n.\r\n"));
	CHECK(has(r, "+OK\r\nSubject: two\r\nX: y\r\n\r\n.\r\n"));
	CHECK(has(r, "+OK Logging out\r\n"));
}

static void
test_pop3_errors(void)
{
	const char *r;

	CHECK(setup() == 0);
	r = run("PASS x\r\nSTAT\r\nUSER bob@local.example\r\nPASS wrong\r\n"
	        "APOP a b\r\nQUIT\r\n",
	        false);
	CHECK(has(r, "-ERR USER first\r\n"));
	CHECK(has(r, "-ERR Command not valid in this state\r\n"));
	CHECK(has(r, "-ERR [AUTH] Authentication failed\r\n"));
	CHECK(has(r, "-ERR [AUTH] APOP is not enabled\r\n"));
	CHECK(has(r, "+OK Logging out\r\n"));
}

/* a connection that goes away while the login job runs, with an idle
 * timeout shorter than the job: the session is freed once, by the job's
 * callback, and its timer never reaches the freed conn (ASan, valgrind) */
static void
test_pop3_close_in_flight(void)
{
	uint64_t saved;

	CHECK(setup() == 0);
	saved = g.d.conf->pop3_idle_timeout_ms;
	g.d.conf->pop3_idle_timeout_ms = 1;
	for (int i = 0; i < 5; i++)
		run("USER bob@local.example\r\nPASS secret\r\n", true);
	g.d.conf->pop3_idle_timeout_ms = saved;
	CHECK(g.d.session_count == 0);
}

/* run_logged - run a session with stderr captured; returns the log text
 * (static) */
static const char *
run_logged(const char *script)
{
	static char text[16384];
	char path[96];
	int fd, saved;
	ssize_t n;

	text[0] = '\0';
	(void)snprintf_chk(path, sizeof(path), "%s/log.txt", g.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return text;
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	run(script, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

static void
test_pop3_log_escape(void)
{
	const char *log;

	CHECK(setup() == 0);
	/* AUTH PLAIN "\0evil\nuser=root x\0pw": a newline and a space in
	 * the authentication identity must not forge log lines or fields */
	log = run_logged("AUTH PLAIN AGV2aWwKdXNlcj1yb290IHgAcHc=\r\n"
	                 "USER a\"b\r\nPASS pw\r\nQUIT\r\n");
	CHECK(has(log, "auth-failed"));
	CHECK(strstr(log, "\nuser=root") == NULL);
	CHECK(strstr(log, "root x") == NULL);
	CHECK(strstr(log, "a\"b") == NULL);
}

/* an over-long line while AUTH waits for the client response cancels the
 * exchange; the next line is a command again, not a SASL response */
static void
test_pop3_sasl_toolong(void)
{
	char script[2048];
	const char *r;
	size_t n;

	CHECK(setup() == 0);
	(void)strlcpy_chk(script, "AUTH PLAIN\r\n", sizeof(script));
	n = strlen(script);
	memset(script + n, 'A', 700);
	n += 700;
	(void)strlcpy_chk(script + n, "\r\nNOOP\r\nQUIT\r\n",
	                  sizeof(script) - n);
	r = run(script, false);
	CHECK(has(r, "+ \r\n-ERR Line too long\r\n"));
	/* NOOP is a command in AUTHORIZATION: "not valid", not "Invalid
	 * SASL PLAIN response" */
	CHECK(has(r, "-ERR Line too long\r\n-ERR Command not valid"));
	CHECK(has(r, "+OK Logging out\r\n"));
}

static void
test_pop3_dele_quit(void)
{
	const char *r;

	CHECK(setup() == 0);
	r = run("USER bob@local.example\r\nPASS secret\r\nDELE 2\r\n"
	        "DELE 2\r\nRSET\r\nDELE 2\r\nSTAT\r\nQUIT\r\n",
	        false);
	CHECK(has(r, "+OK Message 2 deleted\r\n-ERR Message 2 already"));
	CHECK(has(r, "+OK 2 messages (73 octets)\r\n"));
	CHECK(has(r, "+OK 1 39\r\n"));
	CHECK(has(r, "+OK Logging out, 1 messages deleted\r\n"));
	r = run("USER bob@local.example\r\nPASS secret\r\nQUIT\r\n", false);
	CHECK(has(r, "+OK Logged in, 1 messages\r\n"));
}

static void
test_pop3_teardown(void)
{
	CHECK(setup() == 0);
	store_stop(&g.d.store);
	conf_unref(&g.d.conf);
	daemon_clear(&g.d);
	ev_free(&g.ev);
	CHECK(session_rm_dir(g.dir) == 0);
	g.ready = false;
}

#define TESTS(X)                                                               \
	X(test_pop3_retr_top)                                                  \
	X(test_pop3_errors)                                                    \
	X(test_pop3_close_in_flight)                                           \
	X(test_pop3_log_escape)                                                \
	X(test_pop3_sasl_toolong)                                              \
	X(test_pop3_dele_quit)                                                 \
	X(test_pop3_teardown)
TEST_MAIN(TESTS)
