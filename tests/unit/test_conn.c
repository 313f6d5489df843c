/* SPDX-License-Identifier: MIT */
/*
 * test_conn.c - connections over real sockets (socketpair and TCP loopback):
 * echo round trip and addresses, pause/resume, the output buffer limit,
 * close flushing and on_close exactly once, implicit TLS against an OpenSSL
 * client thread with a freshly generated self-signed certificate (including
 * a streamed 1 MiB reply through on_drain), and STARTTLS dropping plaintext
 * injected after the command (RFC 3207 4, CVE-2011-0411).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/conn.h"
#include "core/ev.h"
#include "core/mem.h"
#include "core/tls.h"
#include "test.h"

#define GUARD_MS 5000

static const struct conn_settings settings = {.max_in = 4096,
                                              .max_out = 64 * 1024};

struct srv {
	struct ev *ev;
	struct conn *c;
	int reads;
	int closes;
	char reason[128];
	char seen[4096]; /* lines the protocol saw, joined */
	size_t seen_len;
	bool echo;
	bool pause_first;
	bool guard_fired;
	/* streaming */
	size_t stream_left;
	uint64_t stream_pos;
	int drains;
	struct tls_ctx *tls; /* for STARTTLS */
};

static void
guard_cb(struct ev_timer *t, void *arg)
{
	struct srv *s = arg;

	(void)t;
	s->guard_fired = true;
	ev_stop(s->ev);
}

static void
on_close(struct conn *c, const char *reason, void *arg)
{
	struct srv *s = arg;

	CHECK(c == s->c);
	s->closes++;
	(void)strlcpy_chk(s->reason, reason ? reason : "(null)",
	                  sizeof(s->reason));
	s->c = NULL;
	ev_stop(s->ev);
}

static void
echo_read(struct conn *c, void *arg)
{
	struct srv *s = arg;
	struct buf *in = conn_in(c);

	s->reads++;
	if (s->pause_first && s->reads == 1) {
		conn_pause_read(c);
		return;
	}
	CHECK(s->seen_len + buf_avail(in) < sizeof(s->seen));
	if (s->seen_len + buf_avail(in) < sizeof(s->seen)) {
		memcpy(s->seen + s->seen_len, buf_rptr(in), buf_avail(in));
		s->seen_len += buf_avail(in);
	}
	if (s->echo)
		CHECK_INT(conn_write(c, buf_rptr(in), buf_avail(in)), 0);
	buf_consume(in, buf_avail(in));
}

static void
srv_init(struct srv *s)
{
	memset(s, 0, sizeof(*s));
	s->ev = ev_new();
}

/* run - loop with a guard timer so failures do not hang */
static void
run(struct srv *s)
{
	struct ev_timer *g = ev_timer_new(s->ev, guard_cb, s);

	ev_timer_arm(g, GUARD_MS);
	CHECK_INT(ev_run(s->ev), 0);
	CHECK(!s->guard_fired);
	ev_timer_del(&g);
}

static void
srv_done(struct srv *s)
{
	if (s->c != NULL) {
		conn_abort(s->c, "test end");
		/* on_close runs from a deferred call; ev_free runs those */
	}
	ev_free(&s->ev);
	CHECK_INT(s->closes, 1);
}

/* Loopback TCP */

static int
tcp_listen(uint16_t *port_r)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 4) || getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	*port_r = ntohs(sin.sin_port);
	return fd;
}

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	/* a small window, so big replies meet backpressure */
	if (fd != -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){8192},
		                 sizeof(int));
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	/* a broken server fails the test instead of hanging it */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* read_all - blocking read until EOF (or error); returns bytes read. */
static size_t
read_all(int fd, char *p, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(fd, p + got, max - got)) > 0)
		got += (size_t)n;
	return got;
}

static void
test_echo_tcp(void)
{
	struct srv s;
	uint16_t port, cport;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd, cfd, sfd;
	char got[64];

	srv_init(&s);
	s.echo = true;
	lfd = tcp_listen(&port);
	CHECK(lfd != -1);
	cfd = tcp_connect(port);
	CHECK(cfd != -1);
	sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(sfd != -1);
	CHECK(getsockname(cfd, (struct sockaddr *)&sin, &len) == 0);
	cport = ntohs(sin.sin_port);

	s.c = conn_new(s.ev, sfd, &settings, NULL);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	CHECK_STR(conn_peer_ip(s.c), "127.0.0.1");
	CHECK_INT(conn_peer_port(s.c), cport);
	CHECK_STR(conn_local_ip(s.c), "127.0.0.1");
	CHECK_INT(conn_local_port(s.c), port);
	CHECK_INT(conn_peer_addr(s.c)->ss_family, AF_INET);
	CHECK_INT(strlen(conn_id_str(s.c)), 16);
	CHECK(strspn(conn_id_str(s.c), "0123456789abcdef") == 16);
	CHECK(!conn_is_tls(s.c));
	CHECK_STR(conn_tls_info(s.c), "");
	CHECK_INT(conn_fd(s.c), sfd);
	CHECK(conn_ev(s.c) == s.ev);

	CHECK(write(cfd, "hello\r\n", 7) == 7);
	CHECK(shutdown(cfd, SHUT_WR) == 0);
	/* peer EOF: the echo is flushed, then the connection closes */
	run(&s);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "connection closed by peer");
	CHECK_INT(read_all(cfd, got, sizeof(got)), 7);
	CHECK_MEM(got, 7, "hello\r\n", 7);
	CHECK_MEM(s.seen, s.seen_len, "hello\r\n", 7);
	srv_done(&s);
	close(cfd);
	close(lfd);
}

/* Pause and resume over a socketpair */

static void
late_write(struct ev_timer *t, void *arg)
{
	int fd = *(int *)arg;

	(void)t;
	CHECK(write(fd, "b", 1) == 1);
}

static void
check_paused(struct ev_timer *t, void *arg)
{
	struct srv *s = arg;

	(void)t;
	/* "b" arrived 20 ms ago, but a paused connection reads nothing */
	CHECK_INT(s->reads, 1);
	CHECK_INT(buf_avail(conn_in(s->c)), 1);
	conn_resume_read(s->c);
	CHECK_INT(s->reads, 1); /* on_read runs on the next iteration */
}

static void
check_resumed(struct ev_timer *t, void *arg)
{
	struct srv *s = arg;

	(void)t;
	conn_close(s->c, "done");
}

static void
test_pause_resume(void)
{
	struct srv s;
	struct ev_timer *t1, *t2, *t3;
	int sv[2];

	srv_init(&s);
	s.pause_first = true;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	s.c = conn_new(s.ev, sv[0], &settings, NULL);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	CHECK_STR(conn_peer_ip(s.c), "unix");
	CHECK(write(sv[1], "a", 1) == 1);
	t1 = ev_timer_new(s.ev, late_write, &sv[1]);
	t2 = ev_timer_new(s.ev, check_paused, &s);
	t3 = ev_timer_new(s.ev, check_resumed, &s);
	ev_timer_arm(t1, 10);
	ev_timer_arm(t2, 30);
	ev_timer_arm(t3, 60);
	run(&s);
	CHECK_INT(s.reads, 2);
	CHECK_MEM(s.seen, s.seen_len, "ab", 2);
	CHECK_STR(s.reason, "done");
	CHECK_INT(s.closes, 1);
	ev_timer_del(&t1);
	ev_timer_del(&t2);
	ev_timer_del(&t3);
	srv_done(&s);
	close(sv[1]);
}

static void
resume_after_eof(struct ev_timer *t, void *arg)
{
	struct srv *s = arg;

	(void)t;
	/* the peer's EOF came while paused: still open, input kept */
	CHECK_INT(s->closes, 0);
	CHECK(!conn_is_closing(s->c));
	CHECK_INT(s->reads, 1);
	conn_resume_read(s->c);
}

static void
test_paused_peer_eof(void)
{
	struct srv s;
	struct ev_timer *t;
	char got[16];
	int sv[2];

	srv_init(&s);
	s.pause_first = true;
	s.echo = true;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	s.c = conn_new(s.ev, sv[0], &settings, NULL);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	CHECK(write(sv[1], "QUIT\r\n", 6) == 6);
	CHECK(shutdown(sv[1], SHUT_WR) == 0);
	t = ev_timer_new(s.ev, resume_after_eof, &s);
	ev_timer_arm(t, 30);
	run(&s);
	CHECK_INT(s.reads, 2);
	CHECK_STR(s.reason, "connection closed by peer");
	/* the reply to the pipelined command still went out */
	CHECK_INT(read_all(sv[1], got, sizeof(got)), 6);
	CHECK_MEM(got, 6, "QUIT\r\n", 6);
	ev_timer_del(&t);
	srv_done(&s);
	close(sv[1]);
}

/* Output limit */

static void
flood(struct ev_timer *t, void *arg)
{
	struct srv *s = arg;
	static char chunk[8192];
	int i, ret = 0;

	(void)t;
	/* the peer never reads: the socket fills, then our buffer */
	for (i = 0; i < 1000 && ret == 0; i++)
		ret = conn_write(s->c, chunk, sizeof(chunk));
	CHECK_INT(ret, -1);
	CHECK(i < 1000);
	CHECK(conn_is_closing(s->c));
	/* the struct lives until on_close: more calls are harmless */
	CHECK_INT(conn_write(s->c, "x", 1), -1);
	CHECK_INT(conn_printf(s->c, "%d", 1), -1);
	conn_close(s->c, "again");
	conn_abort(s->c, "again");
	CHECK_INT(s->closes, 0); /* on_close is deferred */
}

static void
test_output_limit(void)
{
	struct srv s;
	struct ev_timer *t;
	int sv[2], small = 4096;

	srv_init(&s);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	s.c = conn_new(s.ev, sv[0], &settings, NULL);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	t = ev_timer_new(s.ev, flood, &s);
	ev_timer_arm(t, 0);
	run(&s);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "output buffer limit");
	ev_timer_del(&t);
	srv_done(&s);
	close(sv[1]);
}

/* Input limit: a protocol that never consumes cannot make us grow */

static void
hoard_read(struct conn *c, void *arg)
{
	struct srv *s = arg;

	(void)c;
	s->reads++;
}

static void
test_input_limit(void)
{
	struct srv s;
	struct conn_settings small = {.max_in = 100, .max_out = 1000};
	char junk[300];
	int sv[2];

	srv_init(&s);
	memset(junk, 'j', sizeof(junk));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	s.c = conn_new(s.ev, sv[0], &small, NULL);
	conn_set_handlers(s.c, hoard_read, NULL, on_close, &s);
	CHECK(write(sv[1], junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	run(&s);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "input buffer limit");
	CHECK(s.reads >= 1);
	srv_done(&s);
	close(sv[1]);
}

/* Close flushes, and on_close runs exactly once */

static void
bye_read(struct conn *c, void *arg)
{
	struct srv *s = arg;

	s->reads++;
	buf_consume(conn_in(c), buf_avail(conn_in(c)));
	CHECK_INT(conn_printf(c, "221 %s\r\n", "bye"), 0);
	conn_close(c, "quit");
	conn_close(c, "second");
	conn_abort(c, "third");
	CHECK(conn_is_closing(c));
}

static void
test_close_flush_once(void)
{
	struct srv s;
	char got[64];
	int sv[2];

	srv_init(&s);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	s.c = conn_new(s.ev, sv[0], &settings, NULL);
	conn_set_handlers(s.c, bye_read, NULL, on_close, &s);
	CHECK(write(sv[1], "QUIT\r\n", 6) == 6);
	run(&s);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "quit");
	CHECK_INT(read_all(sv[1], got, sizeof(got)), 9);
	CHECK_MEM(got, 9, "221 bye\r\n", 9);
	srv_done(&s);
	close(sv[1]);
}

/* TLS */

static char tmpdir[64];
static char cert_path[128], key_path[128];

static void
tls_setup(void)
{
	const char *err = "unset";
	struct stat st;

	if (tmpdir[0] != '\0')
		return;
	tls_init();
	(void)strlcpy_chk(tmpdir, "/tmp/test_conn.XXXXXX", sizeof(tmpdir));
	CHECK(mkdtemp(tmpdir) != NULL);
	CHECK(snprintf_chk(cert_path, sizeof(cert_path), "%s/cert.pem",
	                   tmpdir) == 0);
	CHECK(snprintf_chk(key_path, sizeof(key_path), "%s/key.pem", tmpdir) ==
	      0);
	CHECK_INT(
	    tls_selfsigned_write(cert_path, key_path, "test.example", 30, &err),
	    0);
	CHECK(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600);
}

static void
tls_cleanup(void)
{
	if (tmpdir[0] == '\0')
		return;
	(void)unlink(cert_path);
	(void)unlink(key_path);
	(void)rmdir(tmpdir);
	tmpdir[0] = '\0';
}

static void
test_tls_ctx_errors(void)
{
	const char *err = NULL;
	char c2[160], k2[160];
	struct tls_ctx *ctx;

	tls_setup();
	CHECK(tls_ctx_new("/nonexistent/cert.pem", key_path, &err) == NULL);
	CHECK(err != NULL && strstr(err, "certificate") != NULL);
	CHECK_INT(
	    tls_selfsigned_write(cert_path, key_path, "bad,host", 30, &err),
	    -1);
	CHECK_INT(tls_selfsigned_write(cert_path, key_path, "x", 0, &err), -1);
	/* a key of another certificate is refused */
	CHECK(snprintf_chk(c2, sizeof(c2), "%s/c2.pem", tmpdir) == 0);
	CHECK(snprintf_chk(k2, sizeof(k2), "%s/k2.pem", tmpdir) == 0);
	CHECK_INT(tls_selfsigned_write(c2, k2, "other.example", 1, &err), 0);
	err = NULL;
	CHECK(tls_ctx_new(cert_path, k2, &err) == NULL);
	CHECK(err != NULL && strstr(err, "does not match") != NULL);
	ctx = tls_ctx_new(c2, k2, &err);
	CHECK(ctx != NULL);
	if (ctx != NULL) {
		struct tls_ctx *ctx2 = ctx;

		tls_ctx_ref(ctx);
		tls_ctx_unref(&ctx);
		CHECK(ctx == NULL);
		tls_ctx_unref(&ctx2);
	}
	(void)unlink(c2);
	(void)unlink(k2);
}

struct client {
	uint16_t port;
	bool starttls;
	const char *send; /* sent over TLS */
	char got[64];     /* what came back over TLS (small replies) */
	size_t got_len;
	size_t big_len; /* bytes of the streamed reply */
	bool big_ok;
	char plain[64]; /* plaintext reply before STARTTLS */
	bool host_ok;
	bool ok;
};

static void *
client_thread(void *arg)
{
	struct client *cl = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	X509 *peer;
	int fd = tcp_connect(cl->port);
	char buf[16384];
	int n;

	if (fd == -1 || ctx == NULL)
		goto out;
	if (cl->starttls) {
		size_t i = 0;
		static const char cmd[] = "STARTTLS\r\nINJECTED\r\n";

		/* one write: the injection arrives with the command */
		if (write(fd, cmd, sizeof(cmd) - 1) != sizeof(cmd) - 1)
			goto out;
		/* read the reply a byte at a time: nothing past it */
		while (i + 1 < sizeof(cl->plain) &&
		       read(fd, &cl->plain[i], 1) == 1)
			if (cl->plain[i++] == '\n')
				break;
		cl->plain[i] = '\0';
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, "test.example") != 1 ||
	    SSL_connect(ssl) != 1)
		goto out;
	peer = SSL_get1_peer_certificate(ssl);
	cl->host_ok = peer != NULL &&
	              X509_check_host(peer, "test.example", 0, 0, NULL) == 1;
	X509_free(peer);
	if (cl->send != NULL &&
	    SSL_write(ssl, cl->send, (int)strlen(cl->send)) <= 0)
		goto out;
	/* read late, so the server's socket fills and it must wait */
	nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	/* read until the server closes */
	cl->big_ok = true;
	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++) {
			if (cl->got_len < sizeof(cl->got) - 1)
				cl->got[cl->got_len++] = buf[i];
			if (buf[i] != (char)('a' + (cl->big_len + i) % 26))
				cl->big_ok = false;
		}
		cl->big_len += (size_t)n;
	}
	cl->ok = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
	(void)SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd != -1)
		close(fd);
	return NULL;
}

/* tls_test_ctx - the test certificate's server context, or NULL (failed). */
static struct tls_ctx *
tls_test_ctx(void)
{
	const char *err = NULL;
	struct tls_ctx *ctx;

	tls_setup();
	ctx = tls_ctx_new(cert_path, key_path, &err);
	CHECK(ctx != NULL);
	return ctx;
}

/*
 * client_start - start cl's thread against a new loopback listener and
 * accept it: the server side's non-blocking fd; *lfd_r to close at the end.
 */
static int
client_start(struct client *cl, pthread_t *th, int *lfd_r)
{
	int sfd;

	*lfd_r = tcp_listen(&cl->port);
	CHECK(pthread_create(th, NULL, client_thread, cl) == 0);
	sfd = accept4(*lfd_r, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(sfd != -1);
	return sfd;
}

static void
stream_more(struct conn *c, void *arg)
{
	struct srv *s = arg;
	char chunk[4096];

	s->drains++;
	/* a streaming producer: fill up to a threshold, wait for on_drain */
	while (s->stream_left > 0 && conn_out_pending(c) < 32 * 1024) {
		size_t n = MIN(sizeof(chunk), s->stream_left);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (s->stream_pos + i) % 26);
		if (conn_write(c, chunk, n) == -1)
			return;
		s->stream_pos += n;
		s->stream_left -= n;
	}
	if (s->stream_left == 0)
		conn_close(c, "stream done");
}

static void
stream_read(struct conn *c, void *arg)
{
	struct srv *s = arg;
	struct buf *in = conn_in(c);

	s->reads++;
	CHECK(conn_is_tls(c));
	if (buf_avail(in) < 4)
		return;
	CHECK_MEM(buf_rptr(in), 4, "GET\n", 4);
	buf_consume(in, buf_avail(in));
	s->stream_left = 1024 * 1024;
	s->drains = 0;
	stream_more(c, s);
}

static void
test_tls_implicit_stream(void)
{
	struct srv s;
	struct client cl = {.send = "GET\n"};
	struct tls_ctx *ctx;
	pthread_t th;
	int lfd, sfd;

	ctx = tls_test_ctx();
	if (ctx == NULL)
		return;
	srv_init(&s);
	sfd = client_start(&cl, &th, &lfd);
	/* a small socket buffer makes the producer wait for on_drain */
	(void)setsockopt(sfd, SOL_SOCKET, SO_SNDBUF, &(int){8192}, sizeof(int));
	s.c = conn_new(s.ev, sfd, &settings, ctx);
	tls_ctx_unref(&ctx); /* the connection holds its own reference */
	conn_set_handlers(s.c, stream_read, stream_more, on_close, &s);
	run(&s);
	pthread_join(th, NULL);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "stream done");
	CHECK(s.drains > 1);
	CHECK(cl.host_ok);
	CHECK(cl.ok);
	CHECK_INT(cl.big_len, 1024 * 1024);
	CHECK(cl.big_ok);
	srv_done(&s);
	close(lfd);
}

/* A refusal queued before the TLS handshake is delivered over TLS */
static void
test_tls_refuse_during_handshake(void)
{
	struct srv s;
	struct client cl = {.send = NULL};
	struct tls_ctx *ctx;
	pthread_t th;
	int lfd, sfd;

	ctx = tls_test_ctx();
	if (ctx == NULL)
		return;
	srv_init(&s);
	sfd = client_start(&cl, &th, &lfd);
	s.c = conn_new(s.ev, sfd, &settings, ctx);
	tls_ctx_unref(&ctx);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	CHECK_INT(conn_printf(s.c, "421 %s\r\n", "busy"), 0);
	conn_close(s.c, "refused");
	CHECK(conn_is_closing(s.c));
	CHECK_INT(conn_write(s.c, "x", 1), -1);
	run(&s);
	pthread_join(th, NULL);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "refused");
	CHECK(cl.ok);
	CHECK_MEM(cl.got, cl.got_len, "421 busy\r\n", 10);
	srv_done(&s);
	close(lfd);
}

/* STARTTLS */

static void
starttls_read(struct conn *c, void *arg)
{
	struct srv *s = arg;
	struct buf *in = conn_in(c);

	s->reads++;
	for (;;) {
		const uint8_t *p = buf_rptr(in);
		const uint8_t *lf = memchr(p, '\n', buf_avail(in));
		size_t len;

		if (buf_avail(in) == 0 || lf == NULL)
			return;
		len = (size_t)(lf - p) + 1;
		if (s->seen_len + len < sizeof(s->seen)) {
			memcpy(s->seen + s->seen_len, p, len);
			s->seen_len += len;
		}
		if (len == 10 && memcmp(p, "STARTTLS\r\n", 10) == 0) {
			buf_consume(in, len);
			CHECK(!conn_is_tls(c));
			CHECK_INT(conn_write(c, "220 go\r\n", 8), 0);
			CHECK_INT(conn_starttls(c, s->tls), 0);
			CHECK_INT(conn_starttls(c, s->tls), -1);
			/* the pipelined rest is gone */
			CHECK_INT(buf_avail(in), 0);
			continue;
		}
		CHECK(conn_is_tls(c));
		CHECK(strncmp(conn_tls_info(c), "TLSv1.", 6) == 0);
		CHECK_INT(conn_printf(c, "250 %.*s", (int)len, (const char *)p),
		          0);
		buf_consume(in, len);
		conn_close(c, "after");
	}
}

static void
test_starttls_injection(void)
{
	struct srv s;
	struct client cl = {.send = "AFTER\r\n", .starttls = true};
	struct tls_ctx *ctx;
	pthread_t th;
	int lfd, sfd;

	ctx = tls_test_ctx();
	if (ctx == NULL)
		return;
	srv_init(&s);
	s.tls = ctx;
	sfd = client_start(&cl, &th, &lfd);
	s.c = conn_new(s.ev, sfd, &settings, NULL);
	conn_set_handlers(s.c, starttls_read, NULL, on_close, &s);
	run(&s);
	pthread_join(th, NULL);
	CHECK_INT(s.closes, 1);
	CHECK_STR(s.reason, "after");
	CHECK_STR(cl.plain, "220 go\r\n");
	CHECK(cl.host_ok);
	CHECK_MEM(cl.got, cl.got_len, "250 AFTER\r\n", 11);
	/* the protocol saw the command and the post-TLS line, never the
	 * injected plaintext */
	CHECK_MEM(s.seen, s.seen_len, "STARTTLS\r\nAFTER\r\n", 17);
	CHECK(memmem(s.seen, s.seen_len, "INJECTED", 8) == NULL);
	tls_ctx_unref(&s.tls);
	srv_done(&s);
	close(lfd);
}

static void
test_tls_garbage_handshake(void)
{
	struct srv s;
	struct tls_ctx *ctx;
	int sv[2];

	ctx = tls_test_ctx();
	if (ctx == NULL)
		return;
	srv_init(&s);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	s.c = conn_new(s.ev, sv[0], &settings, ctx);
	tls_ctx_unref(&ctx);
	conn_set_handlers(s.c, echo_read, NULL, on_close, &s);
	/* a plaintext client on a TLS port fails the handshake cleanly */
	CHECK(write(sv[1], "EHLO x\r\n", 8) == 8);
	run(&s);
	CHECK_INT(s.closes, 1);
	CHECK(strncmp(s.reason, "TLS handshake failed", 20) == 0);
	CHECK_INT(s.reads, 0);
	srv_done(&s);
	close(sv[1]);
	tls_cleanup();
}

#define TESTS(X)                                                               \
	X(test_echo_tcp)                                                       \
	X(test_pause_resume)                                                   \
	X(test_paused_peer_eof)                                                \
	X(test_output_limit)                                                   \
	X(test_input_limit)                                                    \
	X(test_close_flush_once)                                               \
	X(test_tls_ctx_errors)                                                 \
	X(test_tls_implicit_stream)                                            \
	X(test_tls_refuse_during_handshake)                                    \
	X(test_starttls_injection)                                             \
	X(test_tls_garbage_handshake)
TEST_MAIN(TESTS)
