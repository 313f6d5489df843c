/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_addr.c - libFuzzer target for the RFC 5321 path parser. The
 * first byte picks the flags (null path, UTF-8, postmaster); the rest is
 * the path. A success must leave the cursor inside the input right after a
 * '>', respect the length limits and, with UTF-8, hold valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_addr a;
	struct span cur;
	const char *error = NULL;
	unsigned flags;
	char out[SMTP_MAX_PATH + 2];

	if (size == 0)
		return 0;
	flags = data[0] & 7;
	cur.p = (const char *)data + 1;
	cur.len = size - 1;
	if (smtp_addr_parse(&cur, flags, &a, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (cur.p < (const char *)data + 3 ||
	    cur.p > (const char *)data + size || cur.p[-1] != '>')
		abort();
	if ((size_t)(cur.p - (const char *)data - 1) > SMTP_MAX_PATH)
		abort();
	if (strlen(a.local) > SMTP_MAX_LOCAL ||
	    strlen(a.domain) > SMTP_MAX_DOMAIN)
		abort();
	if (a.has_utf8 && !(flags & SMTP_ADDR_UTF8))
		abort();
	if (!smtp_utf8_valid(a.local, strlen(a.local)) ||
	    !smtp_utf8_valid(a.domain, strlen(a.domain)))
		abort();
	if (a.is_null && !(flags & SMTP_ADDR_NULL_OK))
		abort();
	if (smtp_addr_fmt(&a, out, sizeof(out)) < 0)
		abort();
	return 0;
}
