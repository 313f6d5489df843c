/* SPDX-License-Identifier: MIT */
/*
 * tls_int.h - private to src/core: the OpenSSL context behind a tls_ctx,
 * for conn.c. Nothing outside src/core includes this (or OpenSSL).
 */
#ifndef OUTPOST_TLS_INT_H
#define OUTPOST_TLS_INT_H

#include <openssl/ssl.h>

#include "tls.h"

/* tls_ctx_ssl - the SSL_CTX of ctx, owned by ctx. */
SSL_CTX *tls_ctx_ssl(struct tls_ctx *ctx);
/* tls_error_str - the oldest queued OpenSSL error as text (thread-local
 * storage, valid until the next call), or fallback when none is queued;
 * clears the queue. */
const char *tls_error_str(const char *fallback);

#endif
