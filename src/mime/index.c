/* SPDX-License-Identifier: MIT */
/*
 * index.c - the serialized MIME index the store keeps beside each blob
 * (built on a store thread at delivery, loaded by IMAP), section ranges
 * (RFC 3501 6.4.5) answered from its entity table without re-parsing, and
 * SEARCH text matching. mime_index_load() trusts nothing: every count,
 * length, offset and tree link is checked, and corrupt input yields NULL.
 *
 * Format, little-endian, version 2 ("OMI" 0x02; version 1, the same without
 * the header section, still loads):
 *   "OMI" 0x02, u64 message length,
 *   3 x (u32 length, bytes): ENVELOPE, BODYSTRUCTURE, BODY texts,
 *   header section (version 2): u32 fallback mask (bit i: field i has a
 *   value over IDX_VALUE_MAX or more than IDX_REPEAT_MAX occurrences, so
 *   the recorded values are not all of them), u32 value count, then per
 *   value in header order: u8 field id, u32 length, bytes (the decoded,
 *   unfolded value, no NUL),
 *   u32 entity count, then per entity in preorder:
 *   u64 header offset, u64 header length, u64 body length, u32 flags,
 *   u32 parent index (0xffffffff for the root).
 * An entity's body follows its header; a multipart's children lie inside
 * its body; a message/rfc822 part has one child, its body.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "mime_int.h"

#define INDEX_MAGIC "OMI\x02"
#define INDEX_MAGIC_V1 "OMI\x01"
#define INDEX_ENT_SIZE 32

/* The header fields recorded for SEARCH; the index is the field id. */
static const char *const idx_fields[] = {
    "Subject",     "From",       "To",   "Cc",       "Bcc",    "Message-ID",
    "In-Reply-To", "References", "Date", "Reply-To", "Sender",
};
#define IDX_NFIELDS ((uint32_t)N_ELEMENTS(idx_fields))
#define IDX_VALUE_MAX 4096
#define IDX_REPEAT_MAX 4
#define IDX_VALUE_HDR 5 /* u8 id, u32 length */

struct ient {
	uint64_t hdr_off, hdr_len, body_off, body_len;
	uint32_t flags, parent;
	uint32_t first_kid, kid_count; /* into mime_index.kids */
};

struct mime_index {
	char *envelope, *bodystructure, *body;
	uint64_t msg_len;
	struct ient *ents;
	uint32_t *kids;
	uint32_t count;
};

static void
put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4];
	int i;

	for (i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	bput(b, x, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	bput(b, x, 8);
}

/* field_id - the id of an indexed field name, or -1. */
static int
field_id(struct span name)
{
	/* the names' lengths and lower-case first letters, in id order */
	static const uint8_t lens[] = {7, 4, 2, 2, 3, 10, 11, 10, 4, 8, 6};
	static const char first[] = "sftcbmirdrs";
	char c;

	if (name.len < 2 || name.len > 11)
		return -1;
	c = (char)(name.p[0] | 0x20);
	for (uint32_t i = 0; i < IDX_NFIELDS; i++) {
		if (name.len == lens[i] && c == first[i] &&
		    span_eq_ci(name, idx_fields[i]))
			return (int)i;
	}
	return -1;
}

static bool
wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * plain_value - the value hdr_unfold and mime_rfc2047_decode give for v,
 * without allocating, into tmp[size]: when v has no NUL or 8-bit byte and
 * no "=?" once unfolded, decoding leaves it as it is. Returns its length,
 * or -1 when the value is not that simple or does not fit.
 */
static ssize_t
plain_value(struct span v, char *tmp, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == 0 || c >= 0x80)
			return -1;
		if (c == '\r' || c == '\n' || (n == 0 && wsp(c)))
			continue;
		if (c == '?' && n > 0 && tmp[n - 1] == '=')
			return -1;
		if (n == size)
			return -1;
		tmp[n++] = (char)c;
	}
	while (n > 0 && wsp(tmp[n - 1]))
		n--;
	return (ssize_t)n;
}

/* hsec_build - the header section of msg (see the format above). */
static void
hsec_build(const uint8_t *msg, size_t len, struct buf *b)
{
	struct hdr_iter it = {msg, len, 0};
	struct span name, value;
	uint32_t mask = 0, count = 0;
	unsigned seen[N_ELEMENTS(idx_fields)] = {0};
	size_t start = b->len;
	char tmp[IDX_VALUE_MAX];

	put_u32(b, 0);
	put_u32(b, 0);
	while (hdr_next(&it, &name, &value)) {
		int id = field_id(name);
		ssize_t n;
		char *raw = NULL, *dec = NULL;
		const char *v = tmp;

		if (id < 0)
			continue;
		if (++seen[id] > IDX_REPEAT_MAX) {
			mask |= 1u << id;
			continue;
		}
		if ((n = plain_value(value, tmp, sizeof(tmp))) < 0) {
			raw = hdr_unfold(value);
			dec = mime_rfc2047_decode(raw, strlen(raw));
			n = (ssize_t)strlen(dec);
			v = dec;
		}
		if (n > IDX_VALUE_MAX) {
			mask |= 1u << id;
		} else {
			uint8_t c = (uint8_t)id;

			bput(b, &c, 1);
			put_u32(b, (uint32_t)n);
			bput(b, v, (size_t)n);
			count++;
		}
		free(raw);
		free(dec);
	}
	for (int i = 0; i < 4; i++) {
		b->data[start + (size_t)i] = (uint8_t)(mask >> (8 * i));
		b->data[start + 4 + (size_t)i] = (uint8_t)(count >> (8 * i));
	}
}

uint8_t *
mime_index_build(const uint8_t *msg, size_t len, size_t *len_r)
{
	struct mime_tree t;
	struct buf b;
	const char *texts[3];
	uint8_t *res;
	uint32_t i;

	mime_tree_parse(msg, len, &t);
	texts[0] = t.envelope;
	texts[1] = t.bodystructure;
	texts[2] = t.body;
	/* UNSAFE: every piece is accounted for; texts are each at most
	 * MIME_MAX_TEXT, header values at most IDX_REPEAT_MAX per field of
	 * IDX_VALUE_MAX each and entities at most MIME_MAX_PARTS */
	buf_init(&b, 64 + 3 * (size_t)MIME_MAX_TEXT +
	                 (size_t)IDX_NFIELDS * IDX_REPEAT_MAX *
	                     (IDX_VALUE_HDR + IDX_VALUE_MAX) +
	                 (size_t)MIME_MAX_PARTS * INDEX_ENT_SIZE);
	bput(&b, INDEX_MAGIC, 4);
	put_u64(&b, len);
	for (i = 0; i < 3; i++) {
		put_u32(&b, (uint32_t)strlen(texts[i]));
		bput(&b, texts[i], strlen(texts[i]));
	}
	hsec_build(msg, len, &b);
	put_u32(&b, t.count);
	for (i = 0; i < t.count; i++) {
		put_u64(&b, t.ents[i].hdr_off);
		put_u64(&b, t.ents[i].hdr_len);
		put_u64(&b, t.ents[i].body_len);
		put_u32(&b, t.ents[i].flags);
		put_u32(&b, t.ents[i].parent);
	}
	mime_tree_clear(&t);
	res = xmalloc(b.len);
	memcpy(res, b.data, b.len);
	*len_r = b.len;
	buf_clear(&b);
	return res;
}

struct rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static uint64_t
get_n(struct rd *r, int n)
{
	uint64_t v = 0;
	int i;

	if (r->bad || r->len - r->pos < (size_t)n) {
		r->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
	r->pos += (size_t)n;
	return v;
}

static char *
get_text(struct rd *r)
{
	uint64_t n = get_n(r, 4);

	if (r->bad || n == 0 || n > MIME_MAX_TEXT || r->len - r->pos < n ||
	    memchr(r->p + r->pos, '\0', n) != NULL) {
		r->bad = true;
		return NULL;
	}
	r->pos += n;
	return xstrndup((const char *)r->p + r->pos - n, n);
}

/* The header section, read from index bytes. */
struct hsec {
	uint32_t mask, left; /* fallback mask, values not yet read */
};

/* hsec_start - the section's head at r's position; r->bad when
 * malformed. */
static void
hsec_start(struct rd *r, struct hsec *h)
{
	h->mask = (uint32_t)get_n(r, 4);
	h->left = (uint32_t)get_n(r, 4);
	if ((h->mask >> IDX_NFIELDS) != 0 ||
	    h->left > IDX_NFIELDS * IDX_REPEAT_MAX)
		r->bad = true;
}

/* hsec_next - the next value (its field id, bytes and length); false at
 * the end of the section or when it is malformed (then r->bad). */
static bool
hsec_next(struct rd *r, struct hsec *h, unsigned *id_r, const char **v_r,
          size_t *n_r)
{
	uint64_t n;

	if (r->bad || h->left == 0)
		return false;
	h->left--;
	*id_r = (unsigned)get_n(r, 1);
	n = get_n(r, 4);
	if (r->bad || *id_r >= IDX_NFIELDS || n > IDX_VALUE_MAX ||
	    r->len - r->pos < n) {
		r->bad = true;
		return false;
	}
	*v_r = (const char *)r->p + r->pos;
	*n_r = (size_t)n;
	r->pos += (size_t)n;
	return true;
}

/* hsec_check - the whole section is well formed: ids in range, no more
 * occurrences than recorded, values without NUL within bounds. */
static void
hsec_check(struct rd *r)
{
	struct hsec h;
	unsigned seen[N_ELEMENTS(idx_fields)] = {0}, id;
	const char *v;
	size_t n;

	hsec_start(r, &h);
	while (hsec_next(r, &h, &id, &v, &n)) {
		if (++seen[id] > IDX_REPEAT_MAX || memchr(v, '\0', n) != NULL)
			r->bad = true;
	}
}

/* hsec_open - r at the header section of index bytes meta[len], without
 * loading the rest; false for an index without one (version 1) or a
 * malformed one. */
static bool
hsec_open(const uint8_t *meta, size_t len, struct rd *r, struct hsec *h)
{
	r->p = meta;
	r->len = len;
	r->pos = 4;
	r->bad = false;
	if (meta == NULL || len < 4 || memcmp(meta, INDEX_MAGIC, 4) != 0)
		return false;
	(void)get_n(r, 8);
	for (int i = 0; i < 3; i++) {
		uint64_t n = get_n(r, 4);

		if (r->bad || r->len - r->pos < n)
			return false;
		r->pos += (size_t)n;
	}
	hsec_start(r, h);
	return !r->bad;
}

/* ent_ok - entity i lies within its parent as the tree rules require. */
static bool
ent_ok(const struct mime_index *x, uint32_t i)
{
	const struct ient *e = &x->ents[i], *p;

	if ((e->flags & ~MIME_ENT_KNOWN) != 0 || e->flags == MIME_ENT_KNOWN)
		return false;
	if (e->hdr_len > x->msg_len || e->hdr_off > x->msg_len - e->hdr_len ||
	    e->body_len > x->msg_len - e->hdr_off - e->hdr_len)
		return false;
	if (i == 0)
		return e->parent == MIME_NO_PARENT && e->hdr_off == 0 &&
		       e->hdr_len + e->body_len == x->msg_len;
	if (e->parent >= i)
		return false;
	p = &x->ents[e->parent];
	if (p->flags == 0)
		return false;
	if (e->hdr_off < p->body_off ||
	    e->body_off + e->body_len > p->body_off + p->body_len)
		return false;
	if (p->flags == MIME_ENT_RFC822)
		return e->hdr_off == p->body_off &&
		       e->hdr_len + e->body_len == p->body_len;
	return true;
}

struct mime_index *
mime_index_load(const uint8_t *meta, size_t len)
{
	struct rd r = {meta, len, 0, false};
	struct mime_index *x;
	uint64_t count;
	uint32_t i, *fill;
	bool v1;

	if (meta == NULL || len < 4 ||
	    (memcmp(meta, INDEX_MAGIC, 4) != 0 &&
	     memcmp(meta, INDEX_MAGIC_V1, 4) != 0))
		return NULL;
	v1 = memcmp(meta, INDEX_MAGIC_V1, 4) == 0;
	r.pos = 4;
	x = xcalloc(1, sizeof(*x));
	x->msg_len = get_n(&r, 8);
	x->envelope = get_text(&r);
	x->bodystructure = get_text(&r);
	x->body = get_text(&r);
	if (!v1)
		hsec_check(&r);
	count = get_n(&r, 4);
	if (r.bad || count == 0 || count > MIME_MAX_PARTS ||
	    (len - r.pos) / INDEX_ENT_SIZE < count ||
	    len - r.pos != count * INDEX_ENT_SIZE)
		goto bad;
	x->count = (uint32_t)count;
	x->ents = xcalloc(x->count, sizeof(*x->ents));
	x->kids = xcalloc(x->count, sizeof(*x->kids));
	for (i = 0; i < x->count; i++) {
		struct ient *e = &x->ents[i];

		e->hdr_off = get_n(&r, 8);
		e->hdr_len = get_n(&r, 8);
		e->body_len = get_n(&r, 8);
		e->flags = (uint32_t)get_n(&r, 4);
		e->parent = (uint32_t)get_n(&r, 4);
		e->body_off = e->hdr_off + e->hdr_len;
		if (r.bad || !ent_ok(x, i))
			goto bad;
		if (i > 0)
			x->ents[e->parent].kid_count++;
	}
	/* children, in order, as ranges of kids[] */
	fill = xcalloc(x->count, sizeof(*fill));
	for (count = 0, i = 0; i < x->count; i++) {
		x->ents[i].first_kid = (uint32_t)count;
		count += x->ents[i].kid_count;
	}
	for (i = 1; i < x->count; i++) {
		struct ient *p = &x->ents[x->ents[i].parent];

		x->kids[p->first_kid + fill[x->ents[i].parent]++] = i;
	}
	free(fill);
	for (i = 0; i < x->count; i++) {
		const struct ient *e = &x->ents[i];

		if ((e->flags == MIME_ENT_RFC822 && e->kid_count != 1) ||
		    (e->flags == MIME_ENT_MULTIPART && e->kid_count == 0))
			goto bad;
	}
	return x;
bad:
	mime_index_free(&x);
	return NULL;
}

struct mime_index *
mime_index_parse(const uint8_t *msg, size_t len)
{
	size_t n;
	uint8_t *meta = mime_index_build(msg, len, &n);
	struct mime_index *x = mime_index_load(meta, n);

	free(meta);
	return x;
}

void
mime_index_free(struct mime_index **idx)
{
	struct mime_index *x = *idx;

	if (x == NULL)
		return;
	free(x->envelope);
	free(x->bodystructure);
	free(x->body);
	free(x->ents);
	free(x->kids);
	free(x);
	*idx = NULL;
}

const char *
mime_index_envelope(const struct mime_index *idx)
{
	return idx->envelope;
}

const char *
mime_index_bodystructure(const struct mime_index *idx)
{
	return idx->bodystructure;
}

const char *
mime_index_body(const struct mime_index *idx)
{
	return idx->body;
}

uint64_t
mime_index_header_len(const struct mime_index *idx)
{
	return idx->ents[0].hdr_len;
}

static bool
word_ci(const char *s, const char *w)
{
	size_t i;

	for (i = 0; w[i] != '\0'; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != w[i])
			return false;
	}
	return true;
}

int
mime_section_range(const struct mime_index *idx, const char *spec,
                   uint64_t *off_r, uint64_t *len_r)
{
	const char *p = spec;
	const struct ient *e = &idx->ents[0];
	bool numbered = false;

	while (*p >= '0' && *p <= '9') {
		uint64_t n = 0;

		while (*p >= '0' && *p <= '9' && n < 1000000)
			n = n * 10 + (uint64_t)(*p++ - '0');
		if (n == 0 || (*p >= '0' && *p <= '9'))
			return -1;
		/* descend: a message/rfc822 part stands for its message */
		if (numbered && e->flags == MIME_ENT_RFC822)
			e = &idx->ents[idx->kids[e->first_kid]];
		if (e->flags == MIME_ENT_MULTIPART) {
			if (n > e->kid_count)
				return -1;
			e = &idx->ents[idx->kids[e->first_kid + n - 1]];
		} else if (e->flags == MIME_ENT_RFC822 && !numbered) {
			/* top-level message/rfc822: part 1 is its message */
			if (n != 1)
				return -1;
			e = &idx->ents[idx->kids[e->first_kid]];
		} else if (n != 1) {
			return -1; /* single part: only part 1 (itself) */
		}
		numbered = true;
		if (*p == '.')
			p++;
		else if (*p != '\0')
			return -1;
	}
	if (*p == '\0') {
		if (!numbered) {
			*off_r = 0;
			*len_r = idx->msg_len;
		} else {
			*off_r = e->body_off;
			*len_r = e->body_len;
		}
		return 0;
	}
	if (numbered && word_ci(p, "MIME") && p[4] == '\0') {
		*off_r = e->hdr_off;
		*len_r = e->hdr_len;
		return 0;
	}
	if (numbered) {
		/* HEADER and TEXT of a part need a message/rfc822 part */
		if (e->flags != MIME_ENT_RFC822)
			return -1;
		e = &idx->ents[idx->kids[e->first_kid]];
	}
	if (word_ci(p, "HEADER") &&
	    (p[6] == '\0' || p[6] == '.' || p[6] == ' ')) {
		if (p[6] != '\0' && !word_ci(p + 6, ".FIELDS"))
			return -1;
		*off_r = e->hdr_off;
		*len_r = e->hdr_len;
		return 0;
	}
	if (word_ci(p, "TEXT") && p[4] == '\0') {
		*off_r = e->body_off;
		*len_r = e->body_len;
		return 0;
	}
	return -1;
}

/* ---- SEARCH ---- */

static bool
contains(const struct buf *hay, const struct buf *needle)
{
	if (needle->len == 0)
		return true;
	return hay->len >= needle->len &&
	       memmem(hay->data, hay->len, needle->data, needle->len) != NULL;
}

/*
 * plain_fold - a value of printable ASCII without encoded words decodes to
 * itself, and folds to its lower case: unfold and fold it into tmp (the
 * result of hdr_unfold, mime_rfc2047_decode and mime_fold_utf8, without
 * allocating). Returns its length, or -1 when the value is not that simple.
 */
static ssize_t
plain_fold(struct span v, char *tmp, size_t size)
{
	size_t n = 0;

	if (v.len > size)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == 0 || c >= 0x80)
			return -1;
		if (c == '\r' || c == '\n' || (n == 0 && wsp(c)))
			continue;
		if (c == '?' && n > 0 && tmp[n - 1] == '=')
			return -1; /* "=?" once unfolded: maybe encoded */
		tmp[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	while (n > 0 && wsp(tmp[n - 1]))
		n--;
	return (ssize_t)n;
}

/* search_header - len may run past the header block: hdr_next stops at its
 * blank line (and at MIME_MAX_HEADER) all the same. */
static bool
search_header(const uint8_t *hdr, size_t len, const char *field,
              const struct buf *needle)
{
	struct hdr_iter it = {hdr, len, 0};
	struct span name, value;
	bool found = false;
	char tmp[1024];

	while (!found && hdr_next(&it, &name, &value)) {
		char *raw, *dec;
		struct buf f;
		ssize_t n;

		if (field != NULL && field[0] != '\0' &&
		    !span_eq_ci(name, field))
			continue;
		if (needle->len == 0)
			return true;
		if ((n = plain_fold(value, tmp, sizeof(tmp))) >= 0) {
			found = (size_t)n >= needle->len &&
			        memmem(tmp, (size_t)n, needle->data,
			               needle->len) != NULL;
			continue;
		}
		raw = hdr_unfold(value);
		dec = mime_rfc2047_decode(raw, strlen(raw));
		/* UNSAFE: folding at most doubles a UTF-8 sequence's size */
		buf_init(&f, 2 * strlen(dec) + 16);
		mime_fold_utf8((const uint8_t *)dec, strlen(dec), &f);
		found = contains(&f, needle);
		buf_clear(&f);
		free(raw);
		free(dec);
	}
	return found;
}

static bool
search_body(const uint8_t *msg, const struct mime_tree *t,
            const struct buf *needle)
{
	uint32_t i;
	bool found = false;

	for (i = 0; i < t->count && !found; i++) {
		const struct mime_ent *e = &t->ents[i];
		const uint8_t *b = msg + e->body_off;
		struct buf dec, utf, f;

		if (!e->is_text || e->flags != 0)
			continue;
		buf_init(&dec, e->body_len + 16);
		if (e->cte == MIME_CTE_BASE64)
			(void)!mime_base64_decode(b, e->body_len, &dec);
		else if (e->cte == MIME_CTE_QP)
			(void)!mime_qp_decode(b, e->body_len, &dec);
		else
			bput(&dec, b, e->body_len);
		/* UNSAFE: at most 4 output bytes per input byte (U+FFFD: 3) */
		buf_init(&utf, 4 * dec.len + 16);
		if (mime_charset_to_utf8(e->charset, dec.data, dec.len, &utf) <
		    0) {
			buf_reset(&utf);
			bput(&utf, dec.data, dec.len);
		}
		buf_clear(&dec);
		buf_init(&f, 2 * utf.len + 16);
		mime_fold_utf8(utf.data, utf.len, &f);
		buf_clear(&utf);
		found = contains(&f, needle);
		buf_clear(&f);
	}
	return found;
}

bool
mime_search(const uint8_t *msg, size_t len, enum mime_search_where where,
            const char *field, const char *needle_utf8)
{
	struct mime_tree t;
	struct buf needle;
	size_t nl = strlen(needle_utf8);
	bool found = false;

	if (msg == NULL) {
		msg = (const uint8_t *)"";
		len = 0;
	}
	buf_init(&needle, 2 * nl + 16);
	mime_fold_utf8((const uint8_t *)needle_utf8, nl, &needle);
	if (where == MIME_SEARCH_HEADER || where == MIME_SEARCH_TEXT)
		found = search_header(
		    msg, len, where == MIME_SEARCH_HEADER ? field : NULL,
		    &needle);
	if (!found && where != MIME_SEARCH_HEADER) {
		if (needle.len == 0) {
			found = true;
		} else {
			mime_tree_parse(msg, len, &t);
			found = search_body(msg, &t, &needle);
			mime_tree_clear(&t);
		}
	}
	buf_clear(&needle);
	return found;
}

/* ---- SEARCH from the index's header section ---- */

bool
mime_index_field_indexed(const char *name)
{
	return name != NULL && field_id(span_from_cstr(name)) >= 0;
}

char *
mime_search_fold(const char *needle_utf8, size_t *len_r)
{
	size_t nl = strlen(needle_utf8);
	struct buf f;
	char *res;

	/* UNSAFE: folding at most doubles a UTF-8 sequence's size */
	buf_init(&f, 2 * nl + 16);
	mime_fold_utf8((const uint8_t *)needle_utf8, nl, &f);
	res = xmalloc(f.len + 1);
	if (f.len > 0)
		memcpy(res, f.data, f.len);
	res[f.len] = '\0';
	*len_r = f.len;
	buf_clear(&f);
	return res;
}

/* value_match - the folded needle in the folded value v[n] (as
 * search_header folds a decoded value). */
static bool
value_match(const char *v, size_t n, const char *folded, size_t flen)
{
	char tmp[IDX_VALUE_MAX];
	struct buf f;
	bool found;
	size_t i;

	if (n <= sizeof(tmp)) {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];

			if (c >= 0x80)
				break;
			tmp[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		if (i == n)
			return n >= flen &&
			       memmem(tmp, n, folded, flen) != NULL;
	}
	/* UNSAFE: folding at most doubles a UTF-8 sequence's size */
	buf_init(&f, 2 * n + 16);
	mime_fold_utf8((const uint8_t *)v, n, &f);
	found = f.len >= flen && memmem(f.data, f.len, folded, flen) != NULL;
	buf_clear(&f);
	return found;
}

int
mime_index_header_match(const uint8_t *meta, size_t len, const char *field,
                        const char *folded, size_t folded_len)
{
	struct rd r;
	struct hsec h;
	int want = field != NULL ? field_id(span_from_cstr(field)) : -1;
	unsigned id;
	const char *v;
	size_t n;

	if (want < 0 || !hsec_open(meta, len, &r, &h))
		return -1;
	while (hsec_next(&r, &h, &id, &v, &n)) {
		if (id != (unsigned)want)
			continue;
		if (folded_len == 0 || value_match(v, n, folded, folded_len))
			return 1;
	}
	if (r.bad)
		return -1;
	if ((h.mask & (1u << want)) != 0)
		return folded_len == 0 ? 1 : -1;
	return 0;
}

int
mime_index_header_first(const uint8_t *meta, size_t len, const char *field,
                        char **value_r)
{
	struct rd r;
	struct hsec h;
	int want = field != NULL ? field_id(span_from_cstr(field)) : -1;
	unsigned id;
	const char *v;
	size_t n;

	*value_r = NULL;
	/* with the mask bit set the first occurrence may be one not
	 * recorded */
	if (want < 0 || !hsec_open(meta, len, &r, &h) ||
	    (h.mask & (1u << want)) != 0)
		return -1;
	while (hsec_next(&r, &h, &id, &v, &n)) {
		if (id == (unsigned)want) {
			*value_r = xstrndup(v, n);
			return 1;
		}
	}
	return r.bad ? -1 : 0;
}
