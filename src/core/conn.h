/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one non-blocking client connection: socket, optional TLS, input
 * and output buffers, driven by the event loop. Protocol code never calls
 * OpenSSL or read/write directly.
 *
 * Input: when bytes arrive they are appended to conn_in() (bounded by
 * max_in) and on_read runs. The protocol consumes what it can; while
 * paused (conn_pause_read) nothing is read and on_read is not called.
 * conn_resume_read() re-runs on_read on the next iteration if buffered input
 * remains.
 *
 * Output: conn_write() appends to the output buffer and flushes when the
 * socket is writable. Past max_out buffered bytes conn_write returns -1 and
 * the connection is closed. on_drain (optional) runs when the output buffer
 * falls below low water, for streaming producers.
 *
 * Closing: conn_close() stops reading, flushes pending output (bounded by a
 * timeout) and then closes; on_close runs exactly once, when the connection
 * is gone (peer closed, error, or after conn_close), and the struct is freed
 * after on_close returns (on the next loop iteration).
 */
#ifndef OUTPOST_CONN_H
#define OUTPOST_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "compat.h"

struct ev;
struct conn;
struct tls_ctx;

typedef void conn_fn(struct conn *c, void *arg);
typedef void conn_close_fn(struct conn *c, const char *reason, void *arg);

struct conn_settings {
	size_t max_in;  /* input buffer maximum */
	size_t max_out; /* output buffer hard limit */
};

/*
 * conn_new - take ownership of a connected non-blocking fd. With tls non-NULL
 * the TLS handshake runs first (implicit TLS); on_read only runs after it.
 */
struct conn *conn_new(struct ev *ev, int fd, const struct conn_settings *set,
                      struct tls_ctx *tls);
void conn_set_handlers(struct conn *c, conn_fn *on_read, conn_fn *on_drain,
                       conn_close_fn *on_close, void *arg);

struct buf *conn_in(struct conn *c);
int conn_write(struct conn *c, const void *data, size_t len);
int conn_printf(struct conn *c, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* conn_out_pending - bytes not yet written to the socket. */
size_t conn_out_pending(const struct conn *c);

void conn_pause_read(struct conn *c);
void conn_resume_read(struct conn *c);

/*
 * conn_starttls - call after writing the positive reply to STARTTLS/STLS:
 * the reply is flushed, all buffered unread input is discarded (plaintext
 * injected before the handshake never reaches the protocol), then the server
 * handshake runs. on_read runs again once it completes; a failed handshake
 * closes the connection. Returns -1 if TLS is already active.
 */
int conn_starttls(struct conn *c, struct tls_ctx *tls);
bool conn_is_tls(const struct conn *c);
/* conn_tls_info - "TLSv1.3 TLS_AES_256_GCM_SHA384" or "" without TLS. */
const char *conn_tls_info(const struct conn *c);

/* conn_close - flush output then close; reason is logged and passed on. */
void conn_close(struct conn *c, const char *reason);
/* conn_abort - close now, dropping unsent output. */
void conn_abort(struct conn *c, const char *reason);
bool conn_is_closing(const struct conn *c);

int conn_fd(const struct conn *c);
struct ev *conn_ev(const struct conn *c);
/* Peer and local addresses as text ("127.0.0.1", "::1") and port. */
const char *conn_peer_ip(const struct conn *c);
uint16_t conn_peer_port(const struct conn *c);
const char *conn_local_ip(const struct conn *c);
uint16_t conn_local_port(const struct conn *c);
const struct sockaddr_storage *conn_peer_addr(const struct conn *c);
/* conn_id - 64-bit random id, logged as 16 hex digits. */
uint64_t conn_id(const struct conn *c);
const char *conn_id_str(const struct conn *c);
/* Bytes read/written at the socket since the connection started. */
uint64_t conn_bytes_in(const struct conn *c);
uint64_t conn_bytes_out(const struct conn *c);

#endif
