/* SPDX-License-Identifier: MIT */
/*
 * tls_client.h - a blocking TLS client stream over a connected socket, for
 * the command-line client tools (`outpost read`). TLS 1.2 or later; the
 * server certificate is checked against the system trust store and the
 * host name unless the caller asks for no verification. Only core/ includes
 * OpenSSL. One thread per stream.
 */
#ifndef OUTPOST_TLS_CLIENT_H
#define OUTPOST_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "compat.h"

struct tls_client;

/*
 * tls_client_connect - handshake on the connected blocking socket fd
 * (not taken over: the caller closes it after tls_client_free). host is
 * sent as SNI (when a name) and verified when verify. NULL and *error_r
 * (static text) on failure.
 */
struct tls_client *tls_client_connect(int fd, const char *host, bool verify,
                                      const char **error_r);
/* tls_client_read - up to len bytes; >0 read, 0 end of stream, -1 error. */
ssize_t tls_client_read(struct tls_client *t, void *data, size_t len);
/* tls_client_write - all len bytes; 0 ok, -1 error. */
int tls_client_write(struct tls_client *t, const void *data,
                     size_t len) WARN_UNUSED_RESULT;
/* tls_client_free - send close_notify (best effort) and free; NULLs *t. */
void tls_client_free(struct tls_client **t);

#endif
