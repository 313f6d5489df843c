/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one non-blocking connection driven by the event loop: socket,
 * optional TLS (implicit, or STARTTLS upgrade), bounded input and output
 * buffers. Runs on its loop's thread only. Every byte read is untrusted and
 * only stored here; protocols interpret it.
 *
 * Transport: a small vtable {read, write, shutdown} with a plain variant
 * (recv/send) and a TLS one (SSL_read/SSL_write). Both return bytes moved,
 * 0 at end of stream, IO_AGAIN when the socket would block, IO_ERR on error.
 * OpenSSL may need the other direction to make progress (a TLS read may
 * have to write, a write may have to read); the want_* flags remember that
 * so the epoll interest includes it.
 *
 * Input: read while not paused and the input buffer has room, then on_read.
 * Reading also stops while the output buffer holds more than half of max_out
 * (a peer that pipelines without reading replies must not grow us). If
 * on_read leaves the input buffer completely full without pausing, nothing
 * more could ever be read: the connection is closed ("input buffer limit").
 * The peer's end of stream stops reading; once the protocol is not paused
 * the connection closes gracefully ("connection closed by peer"), so the
 * replies to pipelined commands before a half-close still go out.
 *
 * Output: conn_write appends and flushes at once as far as the socket takes
 * it. Past max_out pending bytes the connection is aborted ("output buffer
 * limit"). on_drain runs after a flush that leaves fewer than the low-water
 * mark (max_out / 4, at most 64 KiB) pending.
 *
 * Closing: teardown (fd closed, watcher and timer gone) happens at once on
 * abort or after the flush of conn_close (bounded by CONN_CLOSE_TIMEOUT_MS);
 * on_close then runs from a deferred call on the next loop iteration, never
 * from inside a protocol callback, and the struct is freed right after it.
 * conn_close during a TLS handshake with output queued (a refusal) finishes
 * the handshake, sends it, then closes. Before a graceful close, unread
 * input is drained so the kernel does not answer our last reply with RST.
 *
 * STARTTLS (RFC 3207 section 4, CVE-2011-0411): conn_starttls discards every
 * buffered unread byte and stops reading, sends only the output queued
 * before the call in plaintext (later writes wait for TLS), then runs the
 * server handshake; on_read resumes after it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "ev.h"
#include "log.h"
#include "mem.h"
#include "tls.h"
#include "tls_int.h"

#define CONN_CLOSE_TIMEOUT_MS (30 * 1000)
#define CONN_READ_CHUNK 16384
#define CONN_READ_BUDGET (256 * 1024) /* per event, for fairness */
#define CONN_LOW_WATER_MAX (64 * 1024)

#define IO_AGAIN (-2)
#define IO_ERR (-1)

enum conn_state {
	CONN_HANDSHAKE, /* TLS handshake running */
	CONN_OPEN,
	CONN_CLOSING, /* flushing output before teardown */
	CONN_CLOSED,  /* torn down, on_close pending */
};

struct conn_ops {
	ssize_t (*read)(struct conn *c, void *p, size_t len);
	ssize_t (*write)(struct conn *c, const void *p, size_t len);
	void (*shutdown)(struct conn *c);
};

struct conn {
	struct ev *ev;
	int fd;
	struct ev_io *io;
	struct ev_timer *close_timer;
	enum conn_state state;
	const struct conn_ops *ops;

	SSL *ssl;
	struct tls_ctx *tls;
	bool tls_failed;       /* fatal TLS error: no close_notify */
	bool read_wants_write; /* SSL_read needs the socket writable */
	bool write_wants_read; /* SSL_write needs the socket readable */
	bool hs_wants_write;   /* handshake needs the socket writable */
	bool starttls;         /* upgrade requested, plaintext flush running */
	struct tls_ctx *starttls_ctx; /* the context for it, referenced */
	size_t plain_left; /* output bytes still to send in plaintext */
	char tls_info[96];

	struct buf in, out;
	struct conn_settings set;
	size_t low_water;
	bool paused;
	bool read_scheduled;
	bool close_after_hs; /* conn_close during the handshake */
	bool peer_eof;       /* end of stream seen, close when idle */

	conn_fn *on_read, *on_drain;
	conn_close_fn *on_close;
	void *arg;
	char *close_reason;

	struct sockaddr_storage peer, local;
	char peer_ip[INET6_ADDRSTRLEN], local_ip[INET6_ADDRSTRLEN];
	uint16_t peer_port, local_port;
	uint64_t id;
	char id_str[17];
	uint64_t bytes_in, bytes_out;
};

static void conn_update(struct conn *c);
static void conn_flush(struct conn *c);
static void read_pass(struct conn *c, bool force_cb);
static void teardown(struct conn *c, const char *reason);

/* Plain transport */

static ssize_t
plain_read(struct conn *c, void *p, size_t len)
{
	ssize_t n;

	do
		n = recv(c->fd, p, len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN
		                                               : IO_ERR;
	return n;
}

static ssize_t
plain_write(struct conn *c, const void *p, size_t len)
{
	ssize_t n;

	do
		n = send(c->fd, p, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN
		                                               : IO_ERR;
	return n;
}

static void
plain_shutdown(struct conn *c)
{
	(void)shutdown(c->fd, SHUT_WR);
}

static const struct conn_ops plain_ops = {
    .read = plain_read,
    .write = plain_write,
    .shutdown = plain_shutdown,
};

/* TLS transport */

/* tls_result - map an SSL_read/SSL_write failure to IO_*, 0 at EOF. */
static ssize_t
tls_result(struct conn *c, int ret, bool *want_other)
{
	int err = SSL_get_error(c->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want_other = true;
		return IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		c->tls_failed = true;
		if (errno == 0) /* EOF without close_notify */
			return 0;
		return IO_ERR;
	default:
		c->tls_failed = true;
		if (errno == 0)
			errno = EPROTO;
		return IO_ERR;
	}
}

static ssize_t
tls_read(struct conn *c, void *p, size_t len)
{
	int n;

	c->read_wants_write = false;
	ERR_clear_error();
	errno = 0;
	n = SSL_read(c->ssl, p, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	return tls_result(c, n, &c->read_wants_write);
}

static ssize_t
tls_write(struct conn *c, const void *p, size_t len)
{
	int n;

	c->write_wants_read = false;
	ERR_clear_error();
	errno = 0;
	/* SSL_write retries must not shrink: our buffer only grows until a
	 * write succeeds, and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER is set */
	n = SSL_write(c->ssl, p, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	if (SSL_get_error(c->ssl, n) == SSL_ERROR_WANT_READ) {
		c->write_wants_read = true;
		return IO_AGAIN;
	}
	{
		bool dummy = false;
		ssize_t r = tls_result(c, n, &dummy);

		/* EOF while writing is an error: the bytes did not go out */
		return r == 0 ? IO_ERR : r;
	}
}

static void
tls_shutdown(struct conn *c)
{
	/* one close_notify, best effort; we do not wait for the peer's */
	if (!c->tls_failed) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

static const struct conn_ops tls_ops = {
    .read = tls_read,
    .write = tls_write,
    .shutdown = tls_shutdown,
};

/* Addresses and identity */

static void
addr_text(const struct sockaddr_storage *ss, char *ip, size_t ip_size,
          uint16_t *port_r)
{
	const void *a = NULL;
	int family = ss->ss_family;
	struct in_addr v4;

	*port_r = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a = &sin->sin_addr;
		*port_r = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		*port_r = ntohs(s6->sin6_port);
		a = &s6->sin6_addr;
		/* a v4-mapped peer is shown, and matched, as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(&v4, &s6->sin6_addr.s6_addr[12], 4);
			a = &v4;
			family = AF_INET;
		}
	}
	if (a == NULL) {
		(void)strlcpy_chk(ip, ss->ss_family == AF_UNIX ? "unix" : "",
		                  ip_size);
		return;
	}
	if (inet_ntop(family, a, ip, (socklen_t)ip_size) == NULL)
		(void)strlcpy_chk(ip, "", ip_size);
}

static void
conn_addresses(struct conn *c)
{
	socklen_t len;

	len = sizeof(c->peer);
	if (getpeername(c->fd, (struct sockaddr *)&c->peer, &len) == -1)
		memset(&c->peer, 0, sizeof(c->peer));
	len = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &len) == -1)
		memset(&c->local, 0, sizeof(c->local));
	addr_text(&c->peer, c->peer_ip, sizeof(c->peer_ip), &c->peer_port);
	addr_text(&c->local, c->local_ip, sizeof(c->local_ip), &c->local_port);
}

static void
conn_make_id(struct conn *c)
{
	uint64_t id = 0;
	size_t got = 0;

	while (got < sizeof(id)) {
		ssize_t n =
		    getrandom((uint8_t *)&id + got, sizeof(id) - got, 0);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		got += (size_t)n;
	}
	c->id = id;
	if (snprintf_chk(c->id_str, sizeof(c->id_str), "%016" PRIx64, id) == -1)
		fatalx("conn id formatting");
}

/* Lifecycle */

static void
close_timeout(struct ev_timer *t, void *arg)
{
	struct conn *c = arg;

	(void)t;
	teardown(c, "close timeout");
}

static void tls_begin(struct conn *c, struct tls_ctx *tls);
static void conn_io(struct ev_io *io, int fd, unsigned events, void *arg);
static void schedule_read(struct conn *c);

struct conn *
conn_new(struct ev *ev, int fd, const struct conn_settings *set,
         struct tls_ctx *tls)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int one = 1, fl;

	c->ev = ev;
	c->fd = fd;
	c->set = *set;
	c->ops = &plain_ops;
	c->state = CONN_OPEN;
	c->low_water = MIN(set->max_out / 4, (size_t)CONN_LOW_WATER_MAX);
	buf_init(&c->in, set->max_in);
	buf_init(&c->out, set->max_out);
	conn_make_id(c);
	fl = fcntl(fd, F_GETFL);
	if (fl != -1 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	conn_addresses(c);
	if (c->peer.ss_family == AF_INET || c->peer.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		                 sizeof(one));
	c->close_timer = ev_timer_new(ev, close_timeout, c);
	/* reading is what conn_update wants first: one epoll_ctl, not 3 */
	c->io = ev_io_add(ev, fd, EV_READ, conn_io, c);
	if (tls != NULL)
		tls_begin(c, tls);
	if (c->io == NULL)
		teardown(c, "cannot watch socket");
	else if (c->state == CONN_OPEN)
		conn_update(c);
	return c;
}

void
conn_set_handlers(struct conn *c, conn_fn *on_read, conn_fn *on_drain,
                  conn_close_fn *on_close, void *arg)
{
	c->on_read = on_read;
	c->on_drain = on_drain;
	c->on_close = on_close;
	c->arg = arg;
	/* input that arrived before the handlers existed is delivered now */
	if (c->state == CONN_OPEN && !c->paused && buf_avail(&c->in) > 0)
		schedule_read(c);
}

/* conn_finish - deferred: tell the protocol, then free. */
static void
conn_finish(void *arg)
{
	struct conn *c = arg;

	if (c->on_close != NULL)
		c->on_close(c, c->close_reason, c->arg);
	buf_clear(&c->in);
	buf_clear(&c->out);
	free(c->close_reason);
	free(c);
}

/* teardown - close the socket now, on_close on the next iteration. */
static void
teardown(struct conn *c, const char *reason)
{
	char *r;

	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	r = xstrdup(reason);
	free(c->close_reason);
	c->close_reason = r;
	log_debug("%s conn closed reason=\"%s\" in=%" PRIu64 " out=%" PRIu64,
	          c->id_str, r, c->bytes_in, c->bytes_out);
	ev_io_del(&c->io);
	ev_timer_del(&c->close_timer);
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	tls_ctx_unref(&c->tls);
	tls_ctx_unref(&c->starttls_ctx);
	close(c->fd);
	c->fd = -1;
	buf_reset(&c->in);
	buf_reset(&c->out);
	ev_defer(c->ev, conn_finish, c);
}

/*
 * drain_unread - before a graceful close, read and drop what the peer sent
 * that nobody will read: closing a socket with unread input makes the
 * kernel send RST, which can destroy our last reply in flight. Bytes that
 * arrive later still cause a RST; we do not linger for them.
 */
static void
drain_unread(struct conn *c)
{
	uint8_t junk[4096];
	size_t total = 0;
	ssize_t n;

	(void)shutdown(c->fd, SHUT_WR);
	while (total < 64 * 1024 &&
	       (n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
}

/* io_error_reason - text for a failed transport call. */
static const char *
io_error_reason(struct conn *c, const char *what, char *tmp, size_t size)
{
	const char *detail;

	if (c->ssl != NULL && ERR_peek_error() != 0)
		detail = tls_error_str("TLS error");
	else
		detail = strerror(errno);
	if (snprintf_chk(tmp, size, "%s: %s", what, detail) == -1)
		return what;
	return tmp;
}

/* conn_update - set the epoll interest from the state. */
static void
conn_update(struct conn *c)
{
	unsigned ev = 0;

	if (c->io == NULL)
		return;
	if (c->state == CONN_CLOSED)
		return;
	if (c->state == CONN_HANDSHAKE) {
		ev_io_set(c->io, c->hs_wants_write ? EV_WRITE : EV_READ);
		return;
	}
	if (c->state == CONN_OPEN && !c->paused && !c->starttls &&
	    !c->peer_eof && buf_avail(&c->in) < c->set.max_in &&
	    buf_avail(&c->out) <= c->set.max_out / 2)
		ev |= EV_READ;
	if (buf_avail(&c->out) > 0)
		ev |= c->write_wants_read ? EV_READ : EV_WRITE;
	if (c->read_wants_write && (ev & EV_READ))
		ev |= EV_WRITE;
	ev_io_set(c->io, ev);
}

/* handshake - drive SSL_do_handshake; on success resume reading. */
static void
handshake(struct conn *c)
{
	int ret, err;
	char tmp[256];

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);

		c->state = CONN_OPEN;
		c->hs_wants_write = false;
		if (snprintf_chk(c->tls_info, sizeof(c->tls_info), "%s %s",
		                 SSL_get_version(c->ssl),
		                 cipher ? SSL_CIPHER_get_name(cipher)
		                        : "unknown") == -1)
			(void)strlcpy_chk(c->tls_info, "TLS",
			                  sizeof(c->tls_info));
		log_debug("%s conn tls established %s", c->id_str, c->tls_info);
		if (c->close_after_hs) {
			/* say what was queued (a 421), then close */
			c->state = CONN_CLOSING;
			conn_flush(c);
			return;
		}
		/* output queued during the handshake (greeting) goes now */
		conn_flush(c);
		if (c->state == CONN_OPEN) {
			conn_update(c);
			if (!c->paused)
				schedule_read(c);
		}
		return;
	}
	err = SSL_get_error(c->ssl, ret);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		c->hs_wants_write = err == SSL_ERROR_WANT_WRITE;
		conn_update(c);
		return;
	}
	c->tls_failed = true;
	if (err == SSL_ERROR_SYSCALL && errno == 0)
		teardown(c, "TLS handshake failed: connection closed by peer");
	else if (err == SSL_ERROR_SYSCALL)
		teardown(c, io_error_reason(c, "TLS handshake failed", tmp,
		                            sizeof(tmp)));
	else {
		const char *detail = tls_error_str("protocol error");

		if (snprintf_chk(tmp, sizeof(tmp), "TLS handshake failed: %s",
		                 detail) == -1)
			detail = "TLS handshake failed";
		else
			detail = tmp;
		teardown(c, detail);
	}
}

/* tls_begin - switch to TLS and start the server handshake. */
static void
tls_begin(struct conn *c, struct tls_ctx *tls)
{
	c->starttls = false;
	/* never let plaintext read before this point through (RFC 3207 4) */
	buf_reset(&c->in);
	tls_ctx_ref(tls);
	c->tls = tls;
	ERR_clear_error();
	c->ssl = SSL_new(tls_ctx_ssl(tls));
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		teardown(c, tls_error_str("SSL_new failed"));
		return;
	}
	SSL_set_accept_state(c->ssl);
	c->ops = &tls_ops;
	c->state = CONN_HANDSHAKE;
	if (c->io != NULL)
		handshake(c);
}

/* Reading */

static void
read_deferred(void *arg)
{
	struct conn *c = arg;

	c->read_scheduled = false;
	if (c->state == CONN_OPEN && !c->paused && !c->starttls)
		read_pass(c, true);
}

static void
schedule_read(struct conn *c)
{
	if (c->read_scheduled || c->state == CONN_CLOSED)
		return;
	c->read_scheduled = true;
	ev_defer(c->ev, read_deferred, c);
}

/*
 * read_pass - read what the socket has (within limits), then on_read. The
 * peer's end of stream closes the connection once the protocol is not
 * paused: a client that pipelines "QUIT" and half-closes still gets the
 * replies to what it sent, even when the session waits for the store.
 */
static void
read_pass(struct conn *c, bool force_cb)
{
	size_t total = 0;
	char tmp[256];

	while (c->state == CONN_OPEN && !c->paused && !c->starttls &&
	       !c->peer_eof && total < CONN_READ_BUDGET) {
		size_t room = c->set.max_in - buf_avail(&c->in);
		size_t want = MIN(room, (size_t)CONN_READ_CHUNK);
		uint8_t *p;
		ssize_t n;

		if (want == 0 || (p = buf_reserve(&c->in, want)) == NULL)
			break;
		n = c->ops->read(c, p, want);
		if (n == IO_AGAIN)
			break;
		if (n == 0) {
			c->peer_eof = true;
			break;
		}
		if (n < 0) {
			teardown(c, io_error_reason(c, "read error", tmp,
			                            sizeof(tmp)));
			return;
		}
		buf_commit(&c->in, (size_t)n);
		c->bytes_in += (uint64_t)n;
		total += (size_t)n;
	}
	if ((total > 0 || force_cb) && buf_avail(&c->in) > 0 &&
	    c->state == CONN_OPEN && !c->paused && !c->starttls &&
	    c->on_read != NULL)
		c->on_read(c, c->arg);
	if (c->state != CONN_OPEN || c->paused || c->starttls) {
		conn_update(c);
		return;
	}
	if (c->peer_eof) {
		conn_close(c, "connection closed by peer");
		return;
	}
	if (c->on_read != NULL && buf_avail(&c->in) >= c->set.max_in) {
		conn_close(c, "input buffer limit");
		return;
	}
	/* TLS may hold decrypted bytes the socket no longer signals */
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		schedule_read(c);
	conn_update(c);
}

/* Writing */

/*
 * conn_flush - write pending output (only what was queued before STARTTLS
 * while the upgrade waits); then finish a close or start the handshake.
 * Returns the bytes written.
 */
static size_t
flush_out(struct conn *c)
{
	size_t wrote = 0;
	char tmp[256];

	if (c->state != CONN_OPEN && c->state != CONN_CLOSING)
		return 0;
	while (buf_avail(&c->out) > 0) {
		size_t len = buf_avail(&c->out);
		ssize_t n;

		if (c->starttls) {
			if (c->plain_left == 0)
				break;
			len = MIN(len, c->plain_left);
		}
		n = c->ops->write(c, buf_rptr(&c->out), len);
		if (n == IO_AGAIN)
			break;
		if (n <= 0) {
			teardown(c, io_error_reason(c, "write error", tmp,
			                            sizeof(tmp)));
			return wrote;
		}
		buf_consume(&c->out, (size_t)n);
		c->bytes_out += (uint64_t)n;
		wrote += (size_t)n;
		if (c->starttls)
			c->plain_left -= (size_t)n;
	}
	if (c->state == CONN_CLOSING) {
		if (buf_avail(&c->out) == 0 ||
		    (c->starttls && c->plain_left == 0)) {
			c->ops->shutdown(c);
			drain_unread(c);
			teardown(c, c->close_reason);
		} else
			conn_update(c);
		return wrote;
	}
	if (c->starttls && c->plain_left == 0) {
		struct tls_ctx *tls = c->starttls_ctx;

		c->starttls_ctx = NULL;
		tls_begin(c, tls);
		tls_ctx_unref(&tls);
		return wrote;
	}
	conn_update(c);
	return wrote;
}

static void
conn_flush(struct conn *c)
{
	(void)flush_out(c);
}

/* conn_io - the socket is ready. */
static void
conn_io(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;
	size_t wrote = 0;

	(void)io;
	(void)fd;
	if (c->state == CONN_HANDSHAKE) {
		handshake(c);
		goto check;
	}
	if ((events & (EV_WRITE | EV_ERROR)) && buf_avail(&c->out) > 0 &&
	    !c->write_wants_read)
		wrote = flush_out(c);
	else if ((events & (EV_READ | EV_ERROR)) && c->write_wants_read)
		wrote = flush_out(c);
	if (c->state == CONN_OPEN && wrote > 0 && c->on_drain != NULL &&
	    buf_avail(&c->out) < c->low_water && !c->starttls)
		c->on_drain(c, c->arg);
	if (c->state == CONN_OPEN &&
	    ((events & (EV_READ | EV_ERROR)) ||
	     ((events & EV_WRITE) && c->read_wants_write)))
		read_pass(c, false);
check:
	/* an error nobody consumed (e.g. while paused) must not spin */
	if ((events & EV_ERROR) && c->state != CONN_CLOSED &&
	    (c->io == NULL || ev_io_events(c->io) == 0 || c->paused)) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		    err != 0) {
			errno = err;
			teardown(c, strerror(err));
		} else if (c->paused || c->starttls)
			teardown(c, "connection closed by peer");
	}
}

/*
 * out_added - after bytes went to c->out (ret -1: they passed max_out), tear
 * down or flush. 0 ok, -1 the connection is gone or going.
 */
static int
out_added(struct conn *c, int ret)
{
	if (ret == -1) {
		log_info("%s conn output buffer limit max_out=%zu", c->id_str,
		         c->set.max_out);
		teardown(c, "output buffer limit");
		return -1;
	}
	if (c->state == CONN_OPEN)
		conn_flush(c);
	return c->state == CONN_CLOSED ? -1 : 0;
}

int
conn_write(struct conn *c, const void *data, size_t len)
{
	if (conn_is_closing(c))
		return -1;
	return out_added(c, buf_append(&c->out, data, len));
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (conn_is_closing(c))
		return -1;
	va_start(ap, fmt);
	ret = buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	return out_added(c, ret);
}

size_t
conn_out_pending(const struct conn *c)
{
	return buf_avail(&c->out);
}

struct buf *
conn_in(struct conn *c)
{
	return &c->in;
}

void
conn_pause_read(struct conn *c)
{
	if (c->paused)
		return;
	c->paused = true;
	conn_update(c);
}

void
conn_resume_read(struct conn *c)
{
	c->paused = false;
	if (c->state != CONN_OPEN || c->starttls)
		return;
	conn_update(c);
	/* buffered input, or decrypted bytes inside OpenSSL, would not wake
	 * epoll: look at them on the next iteration */
	if (buf_avail(&c->in) > 0 || c->peer_eof ||
	    (c->ssl != NULL && SSL_pending(c->ssl)))
		schedule_read(c);
}

int
conn_starttls(struct conn *c, struct tls_ctx *tls)
{
	if (c->ssl != NULL || c->starttls || c->state != CONN_OPEN)
		return -1;
	/* RFC 3207 4 / CVE-2011-0411: pipelined plaintext after STARTTLS is
	 * dropped, never read as if it came over TLS */
	buf_reset(&c->in);
	tls_ctx_ref(tls);
	c->starttls_ctx = tls;
	c->starttls = true;
	c->plain_left = buf_avail(&c->out);
	conn_flush(c);
	return 0;
}

bool
conn_is_tls(const struct conn *c)
{
	/* true from the start of the handshake: nothing written after it
	 * begins (implicit TLS greeting, reply after STARTTLS) goes out in
	 * plaintext, and nothing read before it is kept */
	return c->ssl != NULL;
}

const char *
conn_tls_info(const struct conn *c)
{
	return c->tls_info;
}

void
conn_close(struct conn *c, const char *reason)
{
	char *r;

	if (c->state == CONN_CLOSED || c->state == CONN_CLOSING)
		return;
	if (c->state == CONN_HANDSHAKE &&
	    (buf_avail(&c->out) == 0 || c->close_after_hs)) {
		teardown(c, reason);
		return;
	}
	r = xstrdup(reason);
	free(c->close_reason);
	c->close_reason = r;
	buf_reset(&c->in);
	ev_timer_arm(c->close_timer, CONN_CLOSE_TIMEOUT_MS);
	if (c->state == CONN_HANDSHAKE) {
		/* queued output (a refusal) goes out once TLS is up */
		c->close_after_hs = true;
		return;
	}
	c->state = CONN_CLOSING;
	conn_flush(c);
}

void
conn_abort(struct conn *c, const char *reason)
{
	teardown(c, reason);
}

bool
conn_is_closing(const struct conn *c)
{
	return c->state == CONN_CLOSING || c->state == CONN_CLOSED ||
	       c->close_after_hs;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

struct ev *
conn_ev(const struct conn *c)
{
	return c->ev;
}

const char *
conn_peer_ip(const struct conn *c)
{
	return c->peer_ip;
}

uint16_t
conn_peer_port(const struct conn *c)
{
	return c->peer_port;
}

const char *
conn_local_ip(const struct conn *c)
{
	return c->local_ip;
}

uint16_t
conn_local_port(const struct conn *c)
{
	return c->local_port;
}

const struct sockaddr_storage *
conn_peer_addr(const struct conn *c)
{
	return &c->peer;
}

uint64_t
conn_id(const struct conn *c)
{
	return c->id;
}

const char *
conn_id_str(const struct conn *c)
{
	return c->id_str;
}

uint64_t
conn_bytes_in(const struct conn *c)
{
	return c->bytes_in;
}

uint64_t
conn_bytes_out(const struct conn *c)
{
	return c->bytes_out;
}
