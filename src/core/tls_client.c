/* SPDX-License-Identifier: MIT */
/*
 * tls_client.c - blocking TLS client streams over OpenSSL 3 for the
 * command-line tools: TLS 1.2 minimum, system CA store, host name check
 * with SSL_set1_host (or the IP address for a literal), SNI for names.
 * Runs on the caller's thread; the peer is untrusted, errors are returned
 * as static text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "tls.h"
#include "tls_client.h"

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
};

static bool
is_ip_literal(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

struct tls_client *
tls_client_connect(int fd, const char *host, bool verify, const char **error_r)
{
	struct tls_client *t = xcalloc(1, sizeof(*t));
	bool ip = is_ip_literal(host);

	tls_init();
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		*error_r = "TLS: cannot create a context";
		goto fail;
	}
	if (verify) {
		if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
			*error_r = "TLS: cannot load the system CA store";
			goto fail;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		*error_r = "TLS: cannot create a session";
		goto fail;
	}
	if (!ip) {
		char *sni = xstrdup(host); /* the macro casts away const */
		int ok = SSL_set_tlsext_host_name(t->ssl, sni);
		free(sni);
		if (ok != 1) {
			*error_r = "TLS: bad host name";
			goto fail;
		}
	}
	if (verify) {
		int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(
		                  SSL_get0_param(t->ssl), host)
		            : SSL_set1_host(t->ssl, host);
		if (ok != 1) {
			*error_r = "TLS: bad host name";
			goto fail;
		}
	}
	if (SSL_connect(t->ssl) != 1) {
		if (verify && SSL_get_verify_result(t->ssl) != X509_V_OK)
			*error_r = "TLS: the server certificate is not trusted "
			           "(--insecure skips the check)";
		else
			*error_r = "TLS: handshake failed";
		goto fail;
	}
	ERR_clear_error();
	return t;
fail:
	ERR_clear_error();
	tls_client_free(&t);
	return NULL;
}

ssize_t
tls_client_read(struct tls_client *t, void *data, size_t len)
{
	size_t got = 0;
	int rc;

	for (;;) {
		rc = SSL_read_ex(t->ssl, data, len, &got);
		if (rc == 1)
			return (ssize_t)got;
		switch (SSL_get_error(t->ssl, rc)) {
		case SSL_ERROR_ZERO_RETURN:
			return 0;
		case SSL_ERROR_SYSCALL:
			if (errno == EINTR)
				continue;
			ERR_clear_error();
			return -1;
		default:
			ERR_clear_error();
			return -1;
		}
	}
}

int
tls_client_write(struct tls_client *t, const void *data, size_t len)
{
	const char *p = data;
	size_t done;

	while (len > 0) {
		if (SSL_write_ex(t->ssl, p, len, &done) != 1) {
			if (SSL_get_error(t->ssl, 0) == SSL_ERROR_SYSCALL &&
			    errno == EINTR)
				continue;
			ERR_clear_error();
			return -1;
		}
		p += done;
		len -= done;
	}
	return 0;
}

void
tls_client_free(struct tls_client **tp)
{
	struct tls_client *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	if (t->ssl != NULL) {
		(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}
