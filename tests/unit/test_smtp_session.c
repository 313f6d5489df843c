/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_session.c - the SMTP session over a real loopback TCP socket
 * with a real store in a temporary directory: the event loop runs in a
 * second thread, this thread is the client and writes exact bytes.
 * Covers the greeting and EHLO list, a delivery read back from the store
 * (trace headers, body), PIPELINING order with lookups in flight, relay
 * denial, unknown users, postmaster, sequence errors, SMTP smuggling,
 * bare CR, BDAT, SIZE, over-long lines, too many errors and QUIT. The
 * store set-up is session_harness.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "core/conf.h"
#include "core/conn.h"
#include "core/daemon.h"
#include "core/ev.h"
#include "core/mem.h"
#include "core/tls.h"
#include "smtp/smtp.h"
#include "store/store.h"
#include "test.h"

#include "session_harness.h"

static struct {
	char dir[64];
	struct ev *ev;
	struct daemon d;
	struct conf *conf;
	struct ev_wakeup *stop;
	int lfd;
	uint16_t port;
	struct ev_io *lio;
	pthread_t thread;
	bool ready;
	SSL *ssl; /* the client side once STARTTLS is done */
} g;

static void
on_accept(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct conn_settings set = {.max_in = 64 * 1024, .max_out = 256 * 1024};
	int cfd;

	(void)io;
	(void)events;
	(void)arg;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	       0) {
		struct conn *c = conn_new(g.ev, cfd, &set, NULL);
		if (c != NULL)
			smtp_session_start(&g.d, c, SMTP_SERVICE_MX);
	}
}

static void
on_stop(void *arg)
{
	(void)arg;
	daemon_shutdown_all(&g.d);
	ev_stop(g.ev);
}

static void *
loop_main(void *arg)
{
	(void)arg;
	ev_run(g.ev);
	return NULL;
}

static int
setup(void)
{
	struct store_db *db;
	struct sockaddr_in sin = {0};
	socklen_t sl = sizeof(sin);
	const char *error = NULL;
	char path[128];

	if (g.ready)
		return 0;
	db =
	    session_store_new(g.dir, sizeof(g.dir), "/tmp/outpost-smtp-XXXXXX");
	if (db == NULL)
		return -1;
	if (store_user_add(db, "bob@local.example", "x") < 0 ||
	    store_user_add(db, "postmaster@local.example", "x") < 0) {
		printf("  store: %s\n", store_db_error(db));
		return -1;
	}
	store_db_close(&db);
	snprintf_chk(path, sizeof(path), "%s/tmp", g.dir);
	mkdir(path, 0700);
	{
		char cert[128], key[128];
		snprintf_chk(cert, sizeof(cert), "%s/cert.pem", g.dir);
		snprintf_chk(key, sizeof(key), "%s/key.pem", g.dir);
		tls_init();
		if (tls_selfsigned_write(cert, key, "mx.test", 2, &error) < 0 ||
		    (g.d.tls = tls_ctx_new(cert, key, &error)) == NULL) {
			printf("  tls: %s\n", error);
			return -1;
		}
	}

	g.conf = conf_default();
	free(g.conf->hostname);
	g.conf->hostname = xstrdup("mx.test");
	free(g.conf->data_dir);
	g.conf->data_dir = xstrdup(g.dir);
	g.conf->smtp_max_message_size = 600000;
	g.conf->smtp_max_recipients = 3;
	g.conf->max_errors = 5;
	g.conf->smtp_command_timeout_ms = 2500;
	g.conf->smtp_idle_timeout_ms = 1200;

	g.ev = ev_new();
	{
		struct tls_ctx *tls = g.d.tls;
		daemon_init(&g.d, g.ev);
		g.d.tls = tls;
	}
	g.d.conf = g.conf;
	if (session_store_start(&g.d, g.dir, 2) < 0)
		return -1;
	g.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(g.lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(g.lfd, 16) < 0 ||
	    getsockname(g.lfd, (struct sockaddr *)&sin, &sl) < 0)
		return -1;
	g.port = ntohs(sin.sin_port);
	g.lio = ev_io_add(g.ev, g.lfd, EV_READ, on_accept, NULL);
	g.stop = ev_wakeup_new(g.ev, on_stop, NULL);
	pthread_create(&g.thread, NULL, loop_main, NULL);
	g.ready = true;
	return 0;
}

static int
client(void)
{
	struct sockaddr_in sin = {0};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(g.port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
say_n(int fd, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = g.ssl != NULL
		                ? SSL_write(g.ssl, s + off, (int)(len - off))
		                : write(fd, s + off, len - off);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static void
say(int fd, const char *s)
{
	say_n(fd, s, strlen(s));
}

/* hear - read until count final reply lines ("NNN ") arrived; returns the
 * text (static), "" on timeout/EOF too */
static const char *
hear(int fd, int count)
{
	static char text[8192];
	size_t len = 0;
	int finals = 0;

	text[0] = '\0';
	while (finals < count && len < sizeof(text) - 1) {
		ssize_t n = g.ssl != NULL ? SSL_read(g.ssl, text + len, 1)
		                          : read(fd, text + len, 1);
		if (n <= 0)
			break;
		len++;
		text[len] = '\0';
		if (text[len - 1] == '\n') {
			/* the line just ended: final when "NNN " */
			size_t start = len - 1;
			while (start > 0 && text[start - 1] != '\n')
				start--;
			if (len - start >= 4 && text[start + 3] == ' ')
				finals++;
		}
	}
	return text;
}

/* closed - the server closed the connection (EOF within the timeout) */
static bool
closed(int fd)
{
	char c;

	return read(fd, &c, 1) == 0;
}

/* begin_data - MAIL from a@remote.example, RCPT to bob and DATA in one
 * write; the three replies */
static const char *
begin_data(int fd)
{
	say(fd, "MAIL FROM:<a@remote.example>\r\nRCPT TO:<bob@local.example>"
	        "\r\nDATA\r\n");
	return hear(fd, 3);
}

/* session_start - connect, read the greeting, EHLO */
static int
session_start(void)
{
	int fd;

	if (setup() < 0 || (fd = client()) < 0)
		return -1;
	if (!has(hear(fd, 1), "220 mx.test ESMTP outpost\r\n")) {
		close(fd);
		return -1;
	}
	say(fd, "EHLO client.example\r\n");
	hear(fd, 1);
	return fd;
}

/* inbox_last - the newest message of bob's INBOX as text (allocated) */
static char *
inbox_last(size_t *count_r)
{
	const char *error;
	struct store_db *db = store_db_open(g.dir, &error);
	struct store_user u;
	struct store_mailbox mb;
	struct store_message *msgs = NULL;
	struct store_blob b;
	size_t count = 0;
	char *text = NULL;

	*count_r = 0;
	if (db == NULL)
		return NULL;
	if (store_user_lookup(db, "bob@local.example", &u) == 1 &&
	    store_mailbox_get(db, u.id, "INBOX", &mb) == 1) {
		if (store_message_list(db, mb.id, 0, &msgs, &count) == 0 &&
		    count > 0 &&
		    store_blob_get(db, msgs[count - 1].blob_id, &b) == 0) {
			text = xcalloc(1, b.size + 1);
			if (pread(b.fd, text, b.size, (off_t)b.off) !=
			    (ssize_t)b.size)
				xfree(&text);
		}
		store_message_list_free(&msgs, count);
		store_mailbox_clear(&mb);
		store_user_clear(&u);
	}
	store_db_close(&db);
	*count_r = count;
	return text;
}

static void
test_session_ehlo(void)
{
	int fd;
	const char *r;

	CHECK(setup() == 0);
	fd = client();
	CHECK(fd >= 0);
	CHECK(has(hear(fd, 1), "220 mx.test ESMTP outpost\r\n"));
	say(fd, "EHLO client.example\r\n");
	r = hear(fd, 1);
	CHECK(has(r, "250-mx.test\r\n"));
	CHECK(has(r, "250-PIPELINING\r\n"));
	CHECK(has(r, "250-SIZE 600000\r\n"));
	CHECK(has(r, "250-8BITMIME\r\n"));
	CHECK(has(r, "250-ENHANCEDSTATUSCODES\r\n"));
	CHECK(has(r, "250-SMTPUTF8\r\n"));
	CHECK(has(r, "250 CHUNKING\r\n"));
	CHECK(has(r, "250-STARTTLS\r\n"));
	say(fd, "HELO other.example\r\n");
	CHECK(has(hear(fd, 1), "250 mx.test\r\n"));
	say(fd, "VRFY bob\r\nEXPN x\r\nHELP\r\nNOOP\r\nTURN\r\nQUIT\r\n");
	r = hear(fd, 6);
	CHECK(has(r, "252 2.5.2"));
	CHECK(has(r, "502 5.5.1"));
	CHECK(has(r, "214 2.0.0"));
	CHECK(has(r, "250 2.0.0 Ok\r\n502 5.5.1"));
	CHECK(has(r, "221 2.0.0"));
	CHECK(closed(fd));
	close(fd);
}

static void
test_session_deliver(void)
{
	int fd = session_start();
	const char *r;
	char *msg;
	size_t count, count2;

	CHECK(fd >= 0);
	free(inbox_last(&count));
	say(fd, "MAIL FROM:<alice@remote.example>\r\n");
	CHECK(has(hear(fd, 1), "250 2.1.0 Ok\r\n"));
	say(fd, "RCPT TO:<Bob@Local.Example>\r\n");
	CHECK(has(hear(fd, 1), "250 2.1.5 Ok\r\n"));
	say(fd, "DATA\r\n");
	CHECK(has(hear(fd, 1), "354 "));
	say(fd, "Subject: hello\r\n\r\n..leading dot\r\nbody\r\n.\r\n");
	r = hear(fd, 1);
	CHECK(has(r, "250 2.0.0 Ok: queued as "));
	msg = inbox_last(&count2);
	CHECK_INT(count2, count + 1);
	CHECK(msg != NULL);
	if (msg != NULL) {
		CHECK(has(msg, "Return-Path: <alice@remote.example>\r\n"
		               "Received: from client.example (unknown "
		               "[127.0.0.1])\r\n\tby mx.test (outpost) with "
		               "ESMTP id "));
		CHECK(has(msg, "\r\n\tfor <Bob@Local.Example>; "));
		CHECK(has(msg, "\r\nSubject: hello\r\n\r\n.leading "
		               "dot\r\nbody\r\n"));
		CHECK(strstr(msg, "\r\n.\r\n") == NULL);
	}
	free(msg);
	say(fd, "QUIT\r\n");
	CHECK(has(hear(fd, 1), "221 "));
	close(fd);
}

/* test_session_big - a message past the spool's memory part (spilled to
 * DATA_DIR/tmp), fed in odd-sized writes, stored byte-exact */
static void
test_session_big(void)
{
	int fd = session_start();
	size_t len = 0, count;
	char *body = xmalloc(500000), *msg;

	CHECK(fd >= 0);
	while (len < 450000) {
		int n = snprintf(body + len, 100, "line %zu: %s\r\n", len,
		                 len % 3 ? "text text text text" : "");
		len += (size_t)n;
	}
	CHECK(has(begin_data(fd), "354 "));
	for (size_t off = 0; off < len; off += 7777)
		say_n(fd, body + off, MIN(7777, len - off));
	say(fd, ".\r\n");
	CHECK(has(hear(fd, 1), "250 2.0.0 Ok: queued as "));
	msg = inbox_last(&count);
	CHECK(msg != NULL);
	if (msg != NULL) {
		char *start = strstr(msg, "\r\nline 0: \r\n");
		CHECK(start != NULL);
		CHECK(start != NULL && strlen(start + 2) == len &&
		      memcmp(start + 2, body, len) == 0);
	}
	free(msg);
	free(body);
	close(fd);
}

static void
test_session_pipelining(void)
{
	int fd = session_start();
	const char *r;

	CHECK(fd >= 0);
	say(fd, "MAIL FROM:<a@remote.example>\r\n"
	        "RCPT TO:<bob@local.example>\r\n"
	        "RCPT TO:<nobody@local.example>\r\n"
	        "RCPT TO:<x@foreign.example>\r\n"
	        "RCPT TO:<postmaster>\r\n"
	        "RCPT TO:<bob@local.example>\r\n"
	        "DATA\r\n");
	r = hear(fd, 7);
	CHECK(has(r, "250 2.1.0 Ok\r\n"
	             "250 2.1.5 Ok\r\n"
	             "550 5.1.1 <nobody@local.example>: Recipient address "
	             "rejected: User unknown\r\n"
	             "554 5.7.1 <x@foreign.example>: Relay access denied\r\n"
	             "250 2.1.5 Ok\r\n"
	             "250 2.1.5 Ok\r\n"
	             "354 "));
	say(fd, "one\r\n.\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.example>\r\n"
	        "DATA\r\nQUIT\r\n");
	r = hear(fd, 6);
	CHECK(has(r, "250 2.0.0 Ok: queued as "));
	CHECK(has(r, "\r\n250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n554 5.7.1 "));
	CHECK(has(r, "\r\n554 5.5.1 Error: no valid recipients\r\n221 "));
	close(fd);
}

static void
test_session_sequence(void)
{
	int fd;
	const char *r;

	CHECK(setup() == 0);
	fd = client();
	hear(fd, 1);
	say(fd, "MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@local.example>\r\n"
	        "DATA\r\nFOO\r\n");
	r = hear(fd, 4);
	CHECK(has(r, "503 5.5.1 Error: send HELO/EHLO first\r\n"
	             "503 5.5.1 Error: need MAIL command\r\n"
	             "503 5.5.1 Error: need RCPT command\r\n"
	             "500 5.5.1 Command unrecognized\r\n"));
	/* the fifth error closes the session */
	say(fd, "BAR\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "500 5.5.1 Command unrecognized\r\n421 4.7.0 mx.test"));
	CHECK(closed(fd));
	close(fd);
}

static void
test_session_smuggling(void)
{
	int fd = session_start();
	const char *r;
	char *msg;
	size_t count, count2;

	CHECK(fd >= 0);
	free(inbox_last(&count));
	begin_data(fd);
	say(fd, "Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<evil@x>\r\n"
	        "RCPT TO:<bob@local.example>\r\nDATA\r\n"
	        "Subject: smuggled\r\n\r\nx\r\n.\nNOOP\r\n\r\n.\r\nNOOP\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "250 2.0.0 Ok: queued as "));
	CHECK(has(r, "\r\n250 2.0.0 Ok\r\n"));
	CHECK(strstr(r, "2.1.0") == NULL);
	msg = inbox_last(&count2);
	CHECK_INT(count2, count + 1);
	CHECK(msg != NULL && has(msg, "first\r\n\r\nMAIL FROM:<evil@x>\r\n"));
	CHECK(msg != NULL && has(msg, "Subject: smuggled\r\n"));
	free(msg);
	/* bare CR: rejected after the real end */
	begin_data(fd);
	say(fd, "a\rb\r\n.\r\nNOOP\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "550 5.6.0 Message contains bare CR or NUL\r\n"
	             "250 2.0.0 Ok\r\n"));
	free(inbox_last(&count));
	CHECK_INT(count, count2);
	close(fd);
}

static void
test_session_bdat(void)
{
	int fd = session_start();
	const char *r;
	char *msg;
	size_t count;

	CHECK(fd >= 0);
	say(fd,
	    "MAIL FROM:<a@remote.example> BODY=8BITMIME\r\n"
	    "RCPT TO:<bob@local.example>\r\n"
	    "BDAT 20\r\nSubject: bdat\r\n\r\n.\r\nBDAT 7 LAST\r\nend\r\n\r\n");
	r = hear(fd, 4);
	CHECK(has(r, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	             "250 2.0.0 20 octets received\r\n"
	             "250 2.0.0 Ok: queued as "));
	msg = inbox_last(&count);
	CHECK(msg != NULL && has(msg, "\r\nSubject: bdat\r\n\r\n.\r\nend\r\n"
	                              "\r\n"));
	free(msg);
	/* BDAT out of sequence: its bytes are skipped, sync is kept */
	say(fd, "BDAT 10\r\nNOOP NOOP\nNOOP\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "503 5.5.1 Error: need MAIL and RCPT commands\r\n"
	             "250 2.0.0 Ok\r\n"));
	/* over the size limit: read, not stored, 552 */
	say(fd, "MAIL FROM:<a@remote.example>\r\nRCPT TO:<bob@local.example>"
	        "\r\nBDAT 600001 LAST\r\n");
	hear(fd, 2);
	{
		char *big = xmalloc(600001);
		memset(big, 'x', 600001);
		say_n(fd, big, 600001);
		free(big);
	}
	say(fd, "NOOP\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "552 5.3.4 Message size exceeds fixed limit\r\n"
	             "250 2.0.0 Ok\r\n"));
	close(fd);
}

static void
test_session_limits(void)
{
	int fd = session_start();
	const char *r;
	char line[700];

	CHECK(fd >= 0);
	say(fd, "MAIL FROM:<a@remote.example> SIZE=600001\r\n");
	CHECK(has(hear(fd, 1), "552 5.3.4 "));
	memset(line, 'A', sizeof(line));
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	say(fd, line);
	say(fd, "NOOP\r\n");
	r = hear(fd, 2);
	CHECK(has(r, "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n"));
	/* max 3 recipients; duplicates count once */
	say(fd, "MAIL FROM:<a@remote.example>\r\n"
	        "RCPT TO:<bob@local.example>\r\nRCPT TO:<BOB@local.example>\r\n"
	        "RCPT TO:<postmaster@local.example>\r\n"
	        "RCPT TO:<postmaster>\r\nRCPT TO:<bob@local.example>\r\n"
	        "RSET\r\n");
	r = hear(fd, 7);
	CHECK(has(r, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	             "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	             "250 2.0.0 Ok\r\n"));
	say(fd, "MAIL FROM:<j\xc3\xb6@remote.example>\r\n");
	CHECK(has(hear(fd, 1), "553 5.6.7"));
	say(fd, "MAIL FROM:<a@remote.example>\r\n"
	        "RCPT TO:<j\xc3\xb6@local.example>\r\n");
	CHECK(has(hear(fd, 2), "250 2.1.0 Ok\r\n553 5.6.7"));
	close(fd);
}

/* commands that move no mail: past SMTP_MAX_JUNK (100) each one is an
 * error, so a peer cannot keep a session alive with NOOPs forever */
static void
test_session_junk(void)
{
	int fd = session_start();
	const char *r, *p;
	int oks = 0;

	CHECK(fd >= 0);
	for (int i = 0; i < 110; i++)
		say(fd, i % 2 ? "NOOP\r\n" : "RSET\r\n");
	r = hear(fd, 106);
	for (p = r; (p = strstr(p, "250 2.0.0 Ok\r\n")) != NULL; p++)
		oks++;
	/* 100 free, then errors 1..4 answered, the 5th closes */
	CHECK_INT(oks, 105);
	CHECK(has(r, "250 2.0.0 Ok\r\n421 4.7.0 mx.test Error: too many "
	             "errors\r\n"));
	CHECK(closed(fd));
	close(fd);
}

static void
test_session_starttls(void)
{
	int fd = session_start();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *r;
	char *msg;
	size_t count;

	CHECK(fd >= 0);
	/* a command injected behind STARTTLS must never be answered */
	say(fd, "STARTTLS\r\nMAIL FROM:<evil@x>\r\n");
	CHECK(has(hear(fd, 1), "220 2.0.0 Ready to start TLS\r\n"));
	g.ssl = SSL_new(ctx);
	SSL_set_fd(g.ssl, fd);
	CHECK(SSL_connect(g.ssl) == 1);
	say(fd, "MAIL FROM:<a@remote.example>\r\n");
	CHECK(has(hear(fd, 1), "503 5.5.1 Error: send HELO/EHLO first\r\n"));
	say(fd, "EHLO client.example\r\n");
	r = hear(fd, 1);
	CHECK(has(r, "250-mx.test\r\n"));
	CHECK(strstr(r, "STARTTLS") == NULL);
	say(fd, "STARTTLS\r\n");
	CHECK(has(hear(fd, 1), "503 5.5.1 Error: TLS already active"));
	begin_data(fd);
	say(fd, "Subject: tls\r\n\r\nsecret\r\n.\r\n");
	CHECK(has(hear(fd, 1), "250 2.0.0 Ok: queued as "));
	msg = inbox_last(&count);
	CHECK(msg != NULL && has(msg, "with ESMTPS id "));
	free(msg);
	say(fd, "QUIT\r\n");
	CHECK(has(hear(fd, 1), "221 2.0.0 Bye"));
	SSL_free(g.ssl);
	g.ssl = NULL;
	SSL_CTX_free(ctx);
	close(fd);
}

/* timeout_ms - wait for the server's timeout reply; how long it took */
static long
timeout_ms(int fd)
{
	struct timeval start, now;

	gettimeofday(&start, NULL);
	CHECK(has(hear(fd, 1), "421 4.4.2 mx.test Error: timeout exceeded"));
	gettimeofday(&now, NULL);
	return (now.tv_sec - start.tv_sec) * 1000L +
	       (now.tv_usec - start.tv_usec) / 1000L;
}

static void
test_session_timeout(void)
{
	long ms;
	int fd;

	/* outside a transaction smtp_idle_timeout (1.2 s in this suite)
	 * applies: after the greeting ... */
	CHECK(setup() == 0);
	fd = client();
	CHECK(fd >= 0);
	hear(fd, 1);
	ms = timeout_ms(fd);
	CHECK(ms >= 1000 && ms < 2300);
	CHECK(closed(fd));
	close(fd);

	/* ... and after a finished transaction (RSET) */
	fd = session_start();
	CHECK(fd >= 0);
	say(fd, "MAIL FROM:<a@remote.example>\r\nRSET\r\n");
	hear(fd, 2);
	ms = timeout_ms(fd);
	CHECK(ms >= 1000 && ms < 2300);
	close(fd);

	/* inside one, smtp_command_timeout (2.5 s) */
	fd = session_start();
	CHECK(fd >= 0);
	say(fd, "MAIL FROM:<a@remote.example>\r\n");
	CHECK(has(hear(fd, 1), "250 2.1.0 Ok"));
	ms = timeout_ms(fd);
	CHECK(ms >= 2300 && ms < 4000);
	CHECK(closed(fd));
	close(fd);
}

static void
test_session_shutdown(void)
{
	int fd = session_start();

	CHECK(fd >= 0);
	ev_wakeup_signal(g.stop);
	CHECK(has(hear(fd, 1), "421 4.3.2 mx.test"));
	CHECK(closed(fd));
	close(fd);
	pthread_join(g.thread, NULL);
	ev_io_del(&g.lio);
	close(g.lfd);
	store_stop(&g.d.store);
	ev_wakeup_free(&g.stop);
	g.d.conf = NULL;
	daemon_clear(&g.d);
	conf_unref(&g.conf);
	tls_ctx_unref(&g.d.tls);
	ev_free(&g.ev);
	CHECK(session_rm_dir(g.dir) == 0);
}

#define TESTS(X)                                                               \
	X(test_session_ehlo)                                                   \
	X(test_session_deliver)                                                \
	X(test_session_big)                                                    \
	X(test_session_pipelining)                                             \
	X(test_session_sequence)                                               \
	X(test_session_smuggling)                                              \
	X(test_session_bdat)                                                   \
	X(test_session_limits)                                                 \
	X(test_session_junk)                                                   \
	X(test_session_starttls)                                               \
	X(test_session_timeout)                                                \
	X(test_session_shutdown)
TEST_MAIN(TESTS)
