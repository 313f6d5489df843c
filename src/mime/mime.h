/* SPDX-License-Identifier: MIT */
/*
 * mime.h - what IMAP needs from a message's structure (RFC 5322, MIME
 * RFC 2045-2049, encoded words RFC 2047/2231), computed once at delivery.
 *
 * At delivery the store calls mime_index_build() (it is the store's indexer
 * hook) and keeps the serialized bytes beside the blob. IMAP loads them with
 * mime_index_load() and answers ENVELOPE, BODYSTRUCTURE, BODY and BODY[section]
 * from them plus the raw message bytes, without re-parsing.
 *
 * Hostile input: bounded nesting depth, part count and header size; anything
 * malformed degrades (a broken multipart becomes text/plain) and never
 * fails. Pure functions, any thread.
 */
#ifndef OUTPOST_MIME_H
#define OUTPOST_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/compat.h"

struct mime_index;

/* mime_index_build - parse msg; serialized index (allocated) or NULL. */
uint8_t *mime_index_build(const uint8_t *msg, size_t len, size_t *len_r);

/* mime_index_load - deserialize; NULL when meta is corrupt/empty (then
 * callers may fall back to mime_index_parse on the raw bytes). */
struct mime_index *mime_index_load(const uint8_t *meta, size_t len);
/* mime_index_parse - build and load in one step from the raw message. */
struct mime_index *mime_index_parse(const uint8_t *msg, size_t len);
void mime_index_free(struct mime_index **idx);

/* IMAP texts, ready to send (NUL-terminated, owned by idx). */
const char *mime_index_envelope(const struct mime_index *idx);
const char *mime_index_bodystructure(const struct mime_index *idx);
const char *mime_index_body(const struct mime_index *idx); /* BODY (non-ext)*/
/* Byte counts of the top-level header (with its blank line) and body. */
uint64_t mime_index_header_len(const struct mime_index *idx);

/*
 * mime_section_range - byte range in the raw message of an IMAP section
 * spec without the brackets' fetch-att options: "" (whole message),
 * "HEADER", "TEXT", "1", "1.2", "1.2.MIME", "2.HEADER", "2.TEXT",
 * "HEADER.FIELDS" (returns the header range: filter with mime_header_filter).
 * RFC 3501 6.4.5 semantics, including part 1 of a non-multipart message.
 * Returns 0 with the range, -1 when the section does not exist (IMAP then
 * returns an empty string).
 */
int mime_section_range(const struct mime_index *idx, const char *spec,
                       uint64_t *off_r, uint64_t *len_r);

/*
 * mime_header_filter - from a header block (ending with its blank line),
 * append to out the fields whose names are (or with is_not, are not) in
 * names[count] (case-insensitive), followed by the blank line, as RFC 3501
 * HEADER.FIELDS / HEADER.FIELDS.NOT. -1 only if out's maximum is hit.
 */
int mime_header_filter(const uint8_t *hdr, size_t len, const char *const *names,
                       size_t count, bool is_not, struct buf *out);

/*
 * mime_header_get - the unfolded value of the first field named name in a
 * header block, RFC 2047 decoded to UTF-8 (allocated), or NULL.
 */
char *mime_header_get(const uint8_t *hdr, size_t len, const char *name);

/*
 * mime_search - IMAP SEARCH text matching, case-insensitive on UTF-8:
 *  MIME_SEARCH_HEADER: needle in the decoded value of field `field`
 *    (any field when field is NULL/""; an empty needle matches presence)
 *  MIME_SEARCH_BODY: needle in any text part's decoded (base64/QP,
 *    charset->UTF-8) content
 *  MIME_SEARCH_TEXT: header or body
 * Returns true on a match.
 */
enum mime_search_where {
	MIME_SEARCH_HEADER,
	MIME_SEARCH_BODY,
	MIME_SEARCH_TEXT
};
bool mime_search(const uint8_t *msg, size_t len, enum mime_search_where where,
                 const char *field, const char *needle_utf8);

/*
 * Indexed header fields: the index also records the decoded (unfolded,
 * RFC 2047 to UTF-8) values of Subject, From, To, Cc, Bcc, Message-ID,
 * In-Reply-To, References, Date, Reply-To and Sender, up to a few
 * occurrences of a few KiB each, so SEARCH on them needs no message bytes.
 * mime_index_field_indexed - whether name (any case) is one of them.
 */
bool mime_index_field_indexed(const char *name);
/* mime_search_fold - a SEARCH string folded as mime_search folds it, for
 * mime_index_header_match (allocated, NUL-terminated; length in *len_r). */
char *mime_search_fold(const char *needle_utf8, size_t *len_r);
/*
 * mime_index_header_match - mime_search(MIME_SEARCH_HEADER, field) with the
 * folded needle, answered from serialized index bytes (meta, len) alone:
 * 1 match, 0 no match, -1 when the index cannot tell (an index without the
 * header section, field not indexed, a value over the cap or more
 * occurrences than recorded): then search the message's header instead.
 */
int mime_index_header_match(const uint8_t *meta, size_t len, const char *field,
                            const char *folded, size_t folded_len);
/*
 * mime_index_header_first - the value mime_header_get(field) gives on the
 * message, from the index bytes: 1 with it in *value_r (allocated), 0 when
 * the message has no such field, -1 when the index cannot tell.
 */
int mime_index_header_first(const uint8_t *meta, size_t len, const char *field,
                            char **value_r);

/* mime_date_parse - RFC 5322 date-time to unix seconds (and the zone offset
 * in minutes); -1 when unparsable. */
int mime_date_parse(const char *s, int64_t *t_r, int *tz_min_r);

/* Decoders (for search and `outpost read`); append decoded bytes to out. */
int mime_base64_decode(const uint8_t *in, size_t len, struct buf *out);
int mime_qp_decode(const uint8_t *in, size_t len, struct buf *out);
/* mime_hex_byte - the byte that the two hex digits (either case) at p stand
 * for, in *b_r, as in =XX and %XX escapes; false when they are not two hex
 * digits. p[1] is read only when p[0] is one, so a NUL-terminated p is
 * safe. */
bool mime_hex_byte(const char *p, uint8_t *b_r);
/* mime_rfc2047_decode - decode encoded words in an unstructured value to
 * UTF-8 (allocated). */
char *mime_rfc2047_decode(const char *value, size_t len);

#endif
