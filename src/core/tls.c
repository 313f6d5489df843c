/* SPDX-License-Identifier: MIT */
/*
 * tls.c - server TLS contexts over OpenSSL 3: TLS 1.2 or later only, no
 * renegotiation, no compression, certificate chain and key from PEM files
 * (the key must match the leaf certificate). Contexts are reference counted
 * (atomically: loops on several threads may share one) and immutable after
 * creation. Also writes a self-signed EC P-256 certificate for `outpost init`
 * with the OpenSSL API only.
 *
 * Inputs trusted: the files named by the configuration. The hostname for a
 * self-signed certificate is checked to be a plain DNS name, because it is
 * spliced into an X509v3 extension value.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "mem.h"
#include "tls.h"
#include "tls_int.h"

struct tls_ctx {
	atomic_int refcount;
	SSL_CTX *ssl;
};

static _Thread_local char tls_errbuf[256];

const char *
tls_error_str(const char *fallback)
{
	unsigned long e = ERR_get_error();

	if (e == 0) {
		if (snprintf_chk(tls_errbuf, sizeof(tls_errbuf), "%s",
		                 fallback) == -1)
			return fallback;
		return tls_errbuf;
	}
	ERR_error_string_n(e, tls_errbuf, sizeof(tls_errbuf));
	ERR_clear_error();
	return tls_errbuf;
}

/* tls_error - "what: openssl reason" in thread-local storage. */
static const char *
tls_error(const char *what)
{
	char reason[200];
	unsigned long e = ERR_get_error();

	if (e == 0) {
		(void)snprintf_chk(tls_errbuf, sizeof(tls_errbuf), "%s", what);
		return tls_errbuf;
	}
	ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if (snprintf_chk(tls_errbuf, sizeof(tls_errbuf), "%s: %s", what,
	                 reason) == -1)
		return what;
	return tls_errbuf;
}

void
tls_init(void)
{
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
	                         OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
	                     NULL) != 1)
		fatalx("OpenSSL initialisation failed");
	/* OpenSSL writes to sockets with write(2): a peer reset must give
	 * EPIPE, not kill the process */
	(void)signal(SIGPIPE, SIG_IGN);
}

SSL_CTX *
tls_ctx_ssl(struct tls_ctx *ctx)
{
	return ctx->ssl;
}

struct tls_ctx *
tls_ctx_new(const char *cert_file, const char *key_file, const char **error_r)
{
	static const unsigned char sid_ctx[] = "outpost";
	struct tls_ctx *ctx;
	SSL_CTX *ssl;
	const char *err = NULL;

	ERR_clear_error();
	ssl = SSL_CTX_new(TLS_server_method());
	if (ssl == NULL) {
		*error_r = tls_error("SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) {
		err = tls_error("TLS minimum version");
		goto out;
	}
	SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_NO_COMPRESSION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* conn.c hands SSL_write a growing, compacting buffer */
	SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_session_id_context(ssl, sid_ctx, sizeof(sid_ctx) - 1) !=
	    1) {
		err = tls_error("session id context");
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(ssl, cert_file) != 1) {
		err = tls_error("cannot load certificate chain");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ssl, key_file, SSL_FILETYPE_PEM) != 1) {
		/* OpenSSL checks the key against the leaf here */
		err = tls_error("cannot load private key or it does not "
		                "match the certificate");
		goto out;
	}
	if (SSL_CTX_get0_certificate(ssl) == NULL ||
	    SSL_CTX_check_private_key(ssl) != 1) {
		err = tls_error("private key does not match certificate");
		goto out;
	}
out:
	if (err != NULL) {
		SSL_CTX_free(ssl);
		*error_r = err;
		return NULL;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	atomic_init(&ctx->refcount, 1);
	ctx->ssl = ssl;
	return ctx;
}

void
tls_ctx_ref(struct tls_ctx *ctx)
{
	atomic_fetch_add(&ctx->refcount, 1);
}

void
tls_ctx_unref(struct tls_ctx **ctxp)
{
	struct tls_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	*ctxp = NULL;
	if (atomic_fetch_sub(&ctx->refcount, 1) != 1)
		return;
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

/* hostname_ok - a DNS name: labels of [A-Za-z0-9-], dots, at most 253. */
static bool
hostname_ok(const char *h)
{
	size_t len = strlen(h), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* add_ext - add one X509v3 extension given in OpenSSL config syntax. */
static int
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	int ret;

	if (ext == NULL)
		return -1;
	ret = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return ret;
}

/* write_pem - create path with mode and write the key or the cert. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert,
          const char **error_r)
{
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	if (fd == -1) {
		(void)snprintf_chk(tls_errbuf, sizeof(tls_errbuf),
		                   "cannot create %s: %s", path,
		                   strerror(errno));
		*error_r = tls_errbuf;
		return -1;
	}
	/* an existing file keeps its mode on O_CREAT: force ours */
	if (fchmod(fd, mode) == -1 || (f = fdopen(fd, "w")) == NULL) {
		(void)snprintf_chk(tls_errbuf, sizeof(tls_errbuf),
		                   "cannot write %s: %s", path,
		                   strerror(errno));
		close(fd);
		*error_r = tls_errbuf;
		return -1;
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(f, cert);
	if (fflush(f) != 0)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (ok != 1) {
		*error_r = tls_error("cannot write PEM file");
		(void)unlink(path);
		return -1;
	}
	return 0;
}

int
tls_selfsigned_write(const char *cert_file, const char *key_file,
                     const char *hostname, int days, const char **error_r)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	X509V3_CTX v3;
	char *san = NULL;
	const char *err = NULL;
	int ret = -1;

	ERR_clear_error();
	if (!hostname_ok(hostname)) {
		*error_r = "invalid hostname for certificate";
		return -1;
	}
	if (days < 1 || days > 36500) {
		*error_r = "certificate validity out of range (1..36500 days)";
		return -1;
	}
	key = EVP_EC_gen("P-256");
	if (key == NULL) {
		err = tls_error("EC key generation");
		goto out;
	}
	x = X509_new();
	bn = BN_new();
	if (x == NULL || bn == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1) {
		err = tls_error("X509_new");
		goto out;
	}
	/* RFC 5280 4.1.2.2: positive, at most 20 octets */
	if (BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
		err = tls_error("serial number");
		goto out;
	}
	/* an hour back for clocks that lag ours */
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ==
	        NULL) {
		err = tls_error("validity");
		goto out;
	}
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)hostname, -1, -1,
	                               0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1) {
		err = tls_error("subject");
		goto out;
	}
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	san = xasprintf("DNS:%s", hostname);
	if (add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &v3, NID_subject_alt_name, san)) {
		err = tls_error("X509v3 extensions");
		goto out;
	}
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		err = tls_error("signing certificate");
		goto out;
	}
	if (write_pem(key_file, 0600, key, NULL, &err) == -1)
		goto out;
	if (write_pem(cert_file, 0644, NULL, x, &err) == -1) {
		(void)unlink(key_file);
		goto out;
	}
	ret = 0;
out:
	free(san);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	if (ret == -1)
		*error_r = err;
	return ret;
}
