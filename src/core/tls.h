/* SPDX-License-Identifier: MIT */
/*
 * tls.h - server TLS contexts (OpenSSL 3): TLS 1.2 and later only,
 * certificate chain and key from files. Only core/ includes OpenSSL.
 */
#ifndef OUTPOST_TLS_H
#define OUTPOST_TLS_H

#include "compat.h"

struct tls_ctx;

/* tls_ctx_new - load cert (PEM chain) and key; NULL and *error_r on error. */
struct tls_ctx *tls_ctx_new(const char *cert_file, const char *key_file,
                            const char **error_r);
void tls_ctx_ref(struct tls_ctx *ctx);
void tls_ctx_unref(struct tls_ctx **ctx);

/*
 * tls_selfsigned_write - generate an RSA-2048 (or P-256) key and a
 * self-signed certificate for hostname valid for days, write them (key mode
 * 0600). 0 ok, -1 and *error_r on error.
 */
int tls_selfsigned_write(const char *cert_file, const char *key_file,
                         const char *hostname, int days,
                         const char **error_r) WARN_UNUSED_RESULT;

/* tls_init - once per process before any other call. */
void tls_init(void);

#endif
