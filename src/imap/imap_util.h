/* SPDX-License-Identifier: MIT */
/*
 * imap_util.h - the IMAP session's pure pieces: sequence sets, flag lists,
 * LIST pattern matching, dates, and quoting for output. No I/O, any thread.
 */
#ifndef OUTPOST_IMAP_UTIL_H
#define OUTPOST_IMAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compat.h"

struct imap_arg;

/* A sequence set (RFC 3501 9 "sequence-set"); '*' is stored as 0 and
 * resolved against the current maximum when evaluated. */
struct imap_seq_range {
	uint32_t lo, hi; /* as written: may be reversed, 0 = '*' */
};
struct imap_seqset {
	struct imap_seq_range *ranges;
	size_t count;
};

/* imap_seqset_parse - 0 ok, -1 syntax error / too many ranges. */
int imap_seqset_parse(const char *s,
                      struct imap_seqset *set_r) WARN_UNUSED_RESULT;
void imap_seqset_clear(struct imap_seqset *set);
/* imap_seqset_contains - with '*' = star (the largest number in use). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n,
                          uint32_t star);
/* imap_seqset_max - the largest number the set names with '*' = star. */
uint32_t imap_seqset_max(const struct imap_seqset *set, uint32_t star);

/*
 * imap_flags_parse - a flag list (a list argument, or a single atom) into
 * STORE_F_* bits and space-separated keywords (allocated, or NULL when
 * none). \Recent is accepted and ignored. -1 with *error_r for a bad flag.
 */
int imap_flags_parse(const struct imap_arg *a, unsigned *flags_r,
                     char **keywords_r,
                     const char **error_r) WARN_UNUSED_RESULT;
/* imap_flags_write - "\Seen \Deleted kw1 kw2" (without parentheses). */
int imap_flags_write(struct buf *out, unsigned flags, const char *keywords,
                     bool recent) WARN_UNUSED_RESULT;
/* imap_keywords_apply - the keyword set after +FLAGS (op '+'), -FLAGS ('-')
 * or FLAGS ('='); allocated or NULL when empty. Case-insensitive. */
char *imap_keywords_apply(const char *old, const char *change, char op);
/* imap_keyword_has - true when kw is in the space-separated set. */
bool imap_keyword_has(const char *set, const char *kw);

/*
 * imap_match - LIST pattern: '*' matches anything, '%' anything but the
 * hierarchy separator sep. Bounded work (length product), no recursion.
 */
bool imap_match(const char *pattern, const char *name, char sep);

/* imap_date_parse - "1-Feb-1994" (SEARCH date), 0 ok with unix seconds of
 * that day's 00:00 UTC. */
int imap_date_parse(const char *s, int64_t *t_r) WARN_UNUSED_RESULT;
/* imap_datetime_parse - "dd-Mon-yyyy hh:mm:ss +zzzz" (APPEND). */
int imap_datetime_parse(const char *s, int64_t *t_r,
                        int *tz_min_r) WARN_UNUSED_RESULT;
/* imap_datetime_write - INTERNALDATE with quotes. */
int imap_datetime_write(struct buf *out, int64_t t,
                        int tz_min) WARN_UNUSED_RESULT;

/* imap_write_astring - append s as a quoted string, or a literal when it
 * holds CR, LF, '"'-unsafe or 8-bit bytes (utf8_ok: 8-bit may be quoted). */
int imap_write_string(struct buf *out, const char *s, size_t len,
                      bool utf8_ok) WARN_UNUSED_RESULT;

/* Mailbox names: the store speaks UTF-8; IMAP4rev1 clients modified UTF-7
 * (RFC 3501 5.1.3). Allocated results; NULL when the input is invalid. */
char *imap_mutf7_encode(const char *utf8);
char *imap_mutf7_decode(const char *mutf7);

#endif
