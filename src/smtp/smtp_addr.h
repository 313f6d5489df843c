/* SPDX-License-Identifier: MIT */
/*
 * smtp_addr.h - the strict RFC 5321 4.1.2 path parser used for MAIL FROM and
 * RCPT TO: "<>" (null reverse-path), "<local@domain>", source routes
 * ("<@a,@b:local@domain>", RFC 5321 4.1.1.3: accepted and ignored), quoted
 * local parts, dot-atoms, domains and address literals ([1.2.3.4],
 * [IPv6:...]). Non-ASCII UTF-8 (RFC 6531) only when SMTP_ADDR_UTF8 is given.
 * Pure functions, any thread; the input is untrusted peer bytes.
 */
#ifndef OUTPOST_SMTP_ADDR_H
#define OUTPOST_SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/span.h"
#include "smtp_limits.h"

enum {
	SMTP_ADDR_NULL_OK = 1 << 0,    /* "<>" allowed (reverse-path) */
	SMTP_ADDR_UTF8 = 1 << 1,       /* UTF-8 local part/domain allowed */
	SMTP_ADDR_POSTMASTER = 1 << 2, /* "<postmaster>" without domain */
};

struct smtp_addr {
	bool is_null;   /* "<>" */
	bool has_utf8;  /* some byte >= 0x80 */
	bool is_quoted; /* local part kept in quoted form */
	/* local part: unquoted when the quoted content is a valid dot-string
	 * ("a.b"@x -> a.b), else quoted as received */
	char local[SMTP_MAX_LOCAL + 1];
	/* domain as received (no case folding); "" for <> and <postmaster> */
	char domain[SMTP_MAX_DOMAIN + 1];
};

/* smtp_addr_err_utf8 - the error text when UTF-8 was not allowed; compare
 * the pointer to answer 553 5.6.7 instead of a syntax error. */
extern const char smtp_addr_err_utf8[];

/*
 * smtp_addr_parse - parse a path at the start of *cur (which must begin
 * with '<'), advancing *cur past the closing '>' on success.
 * Returns 0 with *a_r filled, or -1 with *error_r a static text (no code).
 */
int smtp_addr_parse(struct span *cur, unsigned flags, struct smtp_addr *a_r,
                    const char **error_r);

/* smtp_addr_fmt - "local@domain" ("" for <>) into out; -1 if it did not
 * fit. */
int smtp_addr_fmt(const struct smtp_addr *a, char *out, size_t max_out);

/* smtp_utf8_valid - well-formed UTF-8 (no overlongs, no surrogates). */
bool smtp_utf8_valid(const char *p, size_t len);

#endif
