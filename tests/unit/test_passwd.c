/* SPDX-License-Identifier: MIT */
/*
 * test_passwd.c - unit tests for password hashing (yescrypt through
 * libxcrypt), verification of right, wrong and locked hashes, and reading a
 * password from a non-terminal stdin (one line, CR/LF stripped, nothing more
 * consumed).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/passwd.h"
#include "test.h"

static void
test_passwd_hash_verify(void)
{
	char *h1 = passwd_hash("correct horse"),
	     *h2 = passwd_hash("correct horse");

	CHECK(h1 != NULL && h2 != NULL);
	if (h1 == NULL || h2 == NULL)
		goto out;
	CHECK(strncmp(h1, "$y$", 3) == 0);
	CHECK(strcmp(h1, h2) != 0); /* fresh salt each time */
	CHECK(passwd_verify("correct horse", h1));
	CHECK(passwd_verify("correct horse", h2));
	CHECK(!passwd_verify("correct horsf", h1));
	CHECK(!passwd_verify("", h1));
	CHECK(!passwd_verify("correct horse ", h1));
	/* a truncated or damaged hash never matches */
	h1[strlen(h1) - 1] = h1[strlen(h1) - 1] == 'A' ? 'B' : 'A';
	CHECK(!passwd_verify("correct horse", h1));
	h1[10] = '\0';
	CHECK(!passwd_verify("correct horse", h1));
out:
	free(h1);
	free(h2);
}

static void
test_passwd_locked(void)
{
	char *h = passwd_hash("");

	CHECK(h != NULL);
	if (h != NULL)
		CHECK(passwd_verify("", h));
	free(h);
	CHECK(!passwd_verify("", ""));
	CHECK(!passwd_verify("x", "*"));
	CHECK(!passwd_verify("x", "!$y$j9T$abc"));
	CHECK(!passwd_verify("x", "not a hash"));
	CHECK(!passwd_verify("x", NULL));
}

/* with_stdin - run passwd_read with stdin reading bytes from a pipe. */
static char *
with_stdin(const char *bytes, size_t len, char **rest_r)
{
	int p[2], saved = dup(0);
	char *pw, buf[64];
	ssize_t n;

	if (pipe(p) < 0 || saved < 0)
		return NULL;
	if (write(p[1], bytes, len) != (ssize_t)len)
		return NULL;
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	pw = passwd_read("Password: ", true);
	n = read(0, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	*rest_r = strdup(buf);
	dup2(saved, 0);
	close(saved);
	return pw;
}

static void
test_passwd_read_stdin(void)
{
	char *pw, *rest;

	pw = with_stdin("s3cret\r\nnext line\n", 18, &rest);
	CHECK_STR(pw, "s3cret");
	CHECK_STR(rest, "next line\n"); /* only one line consumed */
	free(pw);
	free(rest);

	pw = with_stdin("no newline", 10, &rest);
	CHECK_STR(pw, "no newline");
	free(pw);
	free(rest);

	pw = with_stdin("\n", 1, &rest);
	CHECK_STR(pw, "");
	free(pw);
	free(rest);

	pw = with_stdin("", 0, &rest);
	CHECK(pw == NULL); /* EOF */
	free(rest);
}

static void
test_passwd_read_toolong(void)
{
	size_t len = 5000;
	char *big = xmalloc(len), *pw, *rest;

	memset(big, 'a', len);
	big[len - 1] = '\n';
	pw = with_stdin(big, len, &rest);
	CHECK(pw == NULL);
	free(pw);
	free(rest);
	free(big);
}

#define TESTS(X)                                                               \
	X(test_passwd_hash_verify)                                             \
	X(test_passwd_locked)                                                  \
	X(test_passwd_read_stdin)                                              \
	X(test_passwd_read_toolong)
TEST_MAIN(TESTS)
