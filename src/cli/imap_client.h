/* SPDX-License-Identifier: MIT */
/*
 * imap_client.h - a small blocking IMAP4rev1 client for `outpost read`:
 * connect (implicit TLS or STARTTLS), AUTHENTICATE PLAIN, tagged commands
 * with their untagged responses, and a bounded parser for response data
 * (atoms, quoted strings, literals, NIL, nested lists).
 *
 * The server is untrusted: every reply line is bounded by max_line, every
 * literal by max_literal and one response's total by max_literal +
 * IMAP_CLIENT_MAX_SEGMENTS lines; the parser bounds nesting and item
 * counts. Single-threaded.
 */
#ifndef OUTPOST_IMAP_CLIENT_H
#define OUTPOST_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compat.h"

#define IMAP_CLIENT_MAX_DEPTH 32      /* list nesting */
#define IMAP_CLIENT_MAX_ITEMS 100000  /* values in one response */
#define IMAP_CLIENT_MAX_SEGMENTS 1000 /* literals in one response */

enum imap_val_type {
	IMAP_VAL_ATOM,
	IMAP_VAL_STRING, /* quoted or literal, unescaped */
	IMAP_VAL_NIL,
	IMAP_VAL_LIST,
};

/* struct imap_val - one parsed value; bytes borrowed from the response
 * (STRING: points into the parse's own copy for quoted strings). */
struct imap_val {
	enum imap_val_type type;
	const uint8_t *p;
	size_t len;
	struct imap_val *items; /* LIST */
	size_t count;
};

/* struct imap_resp - the values of one response (owned) */
struct imap_resp {
	struct imap_val *vals;
	size_t count;
	uint8_t *scratch; /* unescaped quoted strings */
	size_t items;     /* total values, for the limit */
};

/*
 * imap_resp_parse - parse a whole response (line with literals inlined as
 * "{n}\r\n" + n bytes, without the final CRLF) into top-level values. An
 * atom holding '[' runs to its matching ']' (BODY[HEADER.FIELDS (A B)]).
 * Status text after "OK"/"NO"/"BAD"/"BYE"/"PREAUTH" is not parsed: parse
 * only data responses. 0 ok, -1 and *error_r on malformed input or a limit.
 */
int imap_resp_parse(const uint8_t *p, size_t len, struct imap_resp *r,
                    const char **error_r) WARN_UNUSED_RESULT;
void imap_resp_clear(struct imap_resp *r);

/* imap_val_eq_ci - an atom or string equal to s, ASCII case-insensitive. */
bool imap_val_eq_ci(const struct imap_val *v, const char *s);
/* imap_val_dup - NUL-terminated copy of an atom/string (NUL bytes become
 * '?'), NULL for NIL or a list. */
char *imap_val_dup(const struct imap_val *v);

enum imap_client_tls {
	IMAP_CLIENT_TLS,      /* implicit TLS (imaps) */
	IMAP_CLIENT_STARTTLS, /* plaintext, then STARTTLS before login */
};

struct imap_client;

/* imap_client_untagged_fn - one untagged response ("* ..." without "* "),
 * literals inlined. */
typedef void imap_client_untagged_fn(void *arg, const uint8_t *p, size_t len);

/*
 * imap_client_connect - TCP to host:port, TLS per mode (certificate checked
 * unless insecure), read the greeting. NULL and *error_r (allocated) on
 * failure.
 */
struct imap_client *imap_client_connect(const char *host, const char *port,
                                        enum imap_client_tls mode,
                                        bool insecure, size_t max_line,
                                        size_t max_literal, char **error_r);
/* imap_client_login - AUTHENTICATE PLAIN. 0, or -1 and *error_r. */
int imap_client_login(struct imap_client *c, const char *user,
                      const char *password, char **error_r) WARN_UNUSED_RESULT;
/*
 * imap_client_command - send "TAG cmd" (cmd without CRLF, no literals),
 * pass each untagged response to fn, and return 0 on tagged OK, -1 and
 * *error_r (allocated) on NO/BAD or a connection or limit error.
 */
int imap_client_command(struct imap_client *c, const char *cmd,
                        imap_client_untagged_fn *fn, void *arg,
                        char **error_r) WARN_UNUSED_RESULT;
/* imap_client_quote - append s as an IMAP quoted string; -1 when s holds
 * CR, LF or 8-bit bytes (not expressible quoted). */
int imap_client_quote(struct buf *out, const char *s) WARN_UNUSED_RESULT;
/* imap_client_free - LOGOUT (best effort), close, free; NULLs *c. */
void imap_client_free(struct imap_client **c);

#endif
