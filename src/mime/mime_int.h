/* SPDX-License-Identifier: MIT */
/*
 * mime_int.h - internals shared by the mime module's files: limits, the
 * output buffer used to build IMAP texts, header field iteration, the
 * parsed entity tree that index.c serializes and search.c walks.
 * Pure functions, any thread; every input byte is untrusted.
 */
#ifndef OUTPOST_MIME_INT_H
#define OUTPOST_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/span.h"
#include "mime.h"

/* Limits (Dovecot message_parser_settings): deeper or more parts are opaque. */
#define MIME_MAX_DEPTH 20
#define MIME_MAX_PARTS 1000
/* Only the first MIME_MAX_HEADER bytes of a header block are parsed. */
#define MIME_MAX_HEADER (1024 * 1024)
#define MIME_MAX_PARAMS 64
/* Longer strings are sent as IMAP literals. */
#define MIME_MAX_QUOTED 1024
/* Cap on the IMAP texts of one message; past it the message is opaque. */
#define MIME_MAX_TEXT (64 * 1024 * 1024)

/* out - a buf that remembers a failed append (maximum reached). */
struct out {
	struct buf b;
	bool fail;
};
void out_init(struct out *o, size_t max);
void out_raw(struct out *o, const void *p, size_t len);
void out_str(struct out *o, const char *s);
/* out_istr - IMAP string: quoted, or a literal for CR/LF/8-bit/long. */
void out_istr(struct out *o, const char *p, size_t len);
/* out_nstr - out_istr, or NIL for NULL. */
void out_nstr(struct out *o, const char *p, size_t len);
/* out_istr_upper - IMAP string of the upper-cased text. */
void out_istr_upper(struct out *o, const char *s);

/*
 * bput - append where the buffer's maximum was sized from the input so it
 * cannot be reached, or where a truncated result is acceptable.
 */
static inline void
bput(struct buf *b, const void *p, size_t len)
{
	if (buf_append(b, p, len) < 0)
		return;
}

/* Header fields. */
struct hdr_iter {
	const uint8_t *p;
	size_t len, pos;
};
/* hdr_next - next field: name and raw value (folded, without final CRLF). */
bool hdr_next(struct hdr_iter *it, struct span *name_r, struct span *value_r);
/* hdr_block_len - length of the header block at p (with its blank line). */
size_t hdr_block_len(const uint8_t *p, size_t len);
/* hdr_unfold - value without CR/LF/NUL, trimmed (allocated). */
char *hdr_unfold(struct span v);

/* envelope_write - the IMAP ENVELOPE of a header block. */
void envelope_write(struct out *o, const uint8_t *hdr, size_t len);

/* mime_charset_to_utf8 - convert in (charset) to UTF-8; -1 unknown charset. */
int mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len,
                         struct buf *out);
/* mime_fold_utf8 - simple case folding of UTF-8 text into out. */
void mime_fold_utf8(const uint8_t *in, size_t len, struct buf *out);

/* Parsed entity tree, preorder. */
#define MIME_ENT_MULTIPART 0x1u
#define MIME_ENT_RFC822 0x2u
#define MIME_ENT_KNOWN (MIME_ENT_MULTIPART | MIME_ENT_RFC822)
#define MIME_NO_PARENT UINT32_MAX

enum mime_cte { MIME_CTE_OTHER, MIME_CTE_BASE64, MIME_CTE_QP };

struct mime_ent {
	uint64_t hdr_off, hdr_len, body_off, body_len;
	uint32_t flags, parent;
	/* only in parse results (not serialized): */
	bool is_text;
	enum mime_cte cte;
	char *charset;
};

struct mime_tree {
	struct mime_ent *ents;
	uint32_t count;
	char *envelope, *bodystructure, *body;
};

/* mime_tree_parse - parse msg into tree (never fails; degrades). */
void mime_tree_parse(const uint8_t *msg, size_t len, struct mime_tree *t);
void mime_tree_clear(struct mime_tree *t);

#endif
