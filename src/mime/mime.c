/* SPDX-License-Identifier: MIT */
/*
 * mime.c - the MIME structure of a message (RFC 2045-2049): Content-Type
 * and Content-Disposition parameters with RFC 2231 continuations and
 * charset'lang'value encoding, multipart boundaries (preamble, epilogue, a
 * missing close delimiter), message/rfc822 encapsulation, and the IMAP
 * BODYSTRUCTURE and BODY texts (RFC 3501 7.4.2) built in one pass.
 * Broken structure degrades: a multipart without a usable boundary is
 * text/plain; past MIME_MAX_DEPTH or MIME_MAX_PARTS a multipart or message
 * is an opaque application/octet-stream. Pure functions, any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "mime_int.h"

struct param {
	char *name; /* lower case */
	char *value;
};

struct ctype {
	char *type, *subtype; /* lower case; subtype NULL for dispositions */
	struct param params[MIME_MAX_PARAMS];
	size_t count;
};

struct pctx {
	const uint8_t *msg;
	size_t len;
	struct mime_ent *ents;
	uint32_t count, cap, max_parts;
	struct out bs, body;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static void
skip_cfws(const char **p)
{
	int depth = 0;

	while (**p != '\0') {
		if (**p == '(')
			depth++;
		else if (**p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !is_wsp(**p))
			break;
		else if (**p == '\\' && (*p)[1] != '\0')
			(*p)++;
		(*p)++;
	}
}

static bool
is_tspecial(int c)
{
	return c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* token - RFC 2045 token, lower-cased when lc (allocated) or NULL. */
static char *
token(const char **p, bool lc)
{
	const char *s;
	char *t;
	size_t i;

	skip_cfws(p);
	s = *p;
	while (**p != '\0' && !is_tspecial((unsigned char)**p))
		(*p)++;
	if (*p == s)
		return NULL;
	t = xstrndup(s, (size_t)(*p - s));
	for (i = 0; lc && t[i] != '\0'; i++)
		t[i] = (char)lower((unsigned char)t[i]);
	return t;
}

static void
ctype_clear(struct ctype *ct)
{
	size_t i;

	free(ct->type);
	free(ct->subtype);
	for (i = 0; i < ct->count; i++) {
		free(ct->params[i].name);
		free(ct->params[i].value);
	}
	memset(ct, 0, sizeof(*ct));
}

/* rfc2231_merge - join name*N[*] segments, decode name*; in place. */
static void
rfc2231_merge(struct ctype *ct)
{
	struct param out[MIME_MAX_PARAMS];
	size_t n = 0, i, j;
	bool used[MIME_MAX_PARAMS] = {false};

	for (i = 0; i < ct->count; i++) {
		char *star = strchr(ct->params[i].name, '*'), *base;
		struct buf raw;
		char charset[65] = "";
		bool ascii = true, any_ext = false;
		unsigned int want;

		if (used[i])
			continue;
		if (star == NULL) {
			out[n++] = ct->params[i];
			used[i] = true;
			continue;
		}
		base = xstrndup(ct->params[i].name,
		                (size_t)(star - ct->params[i].name));
		buf_init(&raw, 1024 * 1024);
		/* segments 0, 1, ... (or the single "name*") in order */
		for (want = 0; want < MIME_MAX_PARAMS; want++) {
			bool found = false;

			for (j = 0; j < ct->count; j++) {
				char *nm = ct->params[j].name, *v, suffix[16];
				size_t bl = strlen(base);
				bool ext;

				if (used[j] || strncmp(nm, base, bl) != 0 ||
				    nm[bl] != '*')
					continue;
				if (snprintf_chk(suffix, sizeof(suffix), "*%u",
				                 want) < 0)
					continue;
				if (strcmp(nm + bl, suffix) == 0)
					ext = false;
				else if (strncmp(nm + bl, suffix,
				                 strlen(suffix)) == 0 &&
				         strcmp(nm + bl + strlen(suffix),
				                "*") == 0)
					ext = true;
				else if (want == 0 && strcmp(nm + bl, "*") == 0)
					ext = true;
				else
					continue;
				used[j] = true;
				found = true;
				v = ct->params[j].value;
				if (ext && want == 0) {
					/* charset'language'value */
					char *q1 = strchr(v, '\''), *q2;

					q2 = q1 != NULL ? strchr(q1 + 1, '\'')
					                : NULL;
					if (q2 != NULL) {
						*q1 = '\0';
						(void)strlcpy_chk(
						    charset, v,
						    sizeof(charset));
						v = q2 + 1;
					}
				}
				any_ext |= ext;
				for (; *v != '\0'; v++) {
					uint8_t b = (uint8_t)*v;

					if (ext && *v == '%' &&
					    mime_hex_byte(v + 1, &b))
						v += 2;
					bput(&raw, &b, 1);
				}
				break;
			}
			if (!found)
				break;
		}
		{
			struct buf u;
			size_t k;

			buf_init(&u, 4 * 1024 * 1024);
			if (!any_ext || mime_charset_to_utf8(charset, raw.data,
			                                     raw.len, &u) < 0) {
				buf_reset(&u);
				bput(&u, raw.data, raw.len);
			}
			for (k = 0; k < u.len; k++) {
				if (u.data[k] >= 0x80 || u.data[k] == '\0')
					ascii = false;
			}
			if (ascii) {
				out[n].name = base;
				out[n++].value = xstrndup(
				    u.len > 0 ? (const char *)u.data : "",
				    u.len);
			} else {
				/* canonical RFC 2231 form, like Dovecot */
				struct buf e;

				buf_init(&e, 16 * 1024 * 1024);
				bput(&e, "utf-8''", 7);
				for (k = 0; k < u.len; k++) {
					uint8_t b = u.data[k];

					if (b > 0x20 && b < 0x7f &&
					    strchr("%'*\"\\", b) == NULL)
						bput(&e, &b, 1);
					else {
						char hx[4];

						if (snprintf_chk(hx, sizeof(hx),
						                 "%%%02X",
						                 b) == 0)
							bput(&e, hx, 3);
					}
				}
				out[n].name = xasprintf("%s*", base);
				out[n++].value = xstrdup(buf_cstr(&e));
				buf_clear(&e);
				free(base);
			}
			buf_clear(&u);
		}
		buf_clear(&raw);
	}
	for (i = 0; i < ct->count; i++) {
		for (j = 0; j < n; j++) {
			if (out[j].name == ct->params[i].name)
				break;
		}
		if (j == n) {
			free(ct->params[i].name);
			free(ct->params[i].value);
		}
	}
	memcpy(ct->params, out, n * sizeof(out[0]));
	ct->count = n;
}

/* parse_params - "; attr=value" list (RFC 2045 5.1) after the type. */
static void
parse_params(const char *p, struct ctype *ct)
{
	for (;;) {
		char *name, *value;
		struct buf v;

		while (*p != '\0' && *p != ';')
			p++;
		if (*p == '\0')
			break;
		p++;
		name = token(&p, true);
		if (name == NULL)
			continue;
		skip_cfws(&p);
		if (*p != '=') {
			free(name);
			continue;
		}
		p++;
		skip_cfws(&p);
		buf_init(&v, MIME_MAX_HEADER + 1);
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				bput(&v, p, 1);
			}
			if (*p == '"')
				p++;
		} else {
			/* lenient token: up to ';' or white space */
			while (*p != '\0' && *p != ';' && !is_wsp(*p))
				bput(&v, p++, 1);
		}
		value = xstrdup(buf_cstr(&v));
		buf_clear(&v);
		if (ct->count >= MIME_MAX_PARAMS) {
			free(name);
			free(value);
			continue;
		}
		ct->params[ct->count].name = name;
		ct->params[ct->count++].value = value;
	}
	rfc2231_merge(ct);
}

/* parse_ctype - "type/subtype; params" or "type; params"; -1 if invalid. */
static int
parse_ctype(const char *v, struct ctype *ct, bool with_subtype)
{
	const char *p = v;

	memset(ct, 0, sizeof(*ct));
	ct->type = token(&p, true);
	if (ct->type == NULL)
		return -1;
	if (with_subtype) {
		skip_cfws(&p);
		if (*p != '/') {
			ctype_clear(ct);
			return -1;
		}
		p++;
		ct->subtype = token(&p, true);
		if (ct->subtype == NULL) {
			ctype_clear(ct);
			return -1;
		}
	}
	parse_params(p, ct);
	return 0;
}

static const char *
param_get(const struct ctype *ct, const char *name)
{
	size_t i;

	for (i = 0; i < ct->count; i++) {
		if (strcmp(ct->params[i].name, name) == 0)
			return ct->params[i].value;
	}
	return NULL;
}

static void
set_type(struct ctype *ct, const char *type, const char *subtype, bool us_ascii)
{
	ctype_clear(ct);
	ct->type = xstrdup(type);
	ct->subtype = xstrdup(subtype);
	if (us_ascii) {
		ct->params[0].name = xstrdup("charset");
		ct->params[0].value = xstrdup("us-ascii");
		ct->count = 1;
	}
}

static void
write_params(struct out *o, const struct ctype *ct)
{
	size_t i;

	if (ct->count == 0) {
		out_str(o, "NIL");
		return;
	}
	out_str(o, "(");
	for (i = 0; i < ct->count; i++) {
		if (i > 0)
			out_str(o, " ");
		out_istr_upper(o, ct->params[i].name);
		out_str(o, " ");
		out_istr(o, ct->params[i].value, strlen(ct->params[i].value));
	}
	out_str(o, ")");
}

static void
write_nstr(struct out *o, const char *s)
{
	out_nstr(o, s != NULL && s[0] != '\0' ? s : NULL,
	         s != NULL ? strlen(s) : 0);
}

/* write_lang - Content-Language: a string, a list, or NIL. */
static void
write_lang(struct out *o, const char *v)
{
	const char *p = v;
	char *langs[MIME_MAX_PARAMS], *t;
	size_t n = 0, i;

	while (p != NULL && *p != '\0' && n < MIME_MAX_PARAMS) {
		t = token(&p, false);
		if (t != NULL)
			langs[n++] = t;
		skip_cfws(&p);
		if (*p == '\0')
			break;
		p++; /* ',' or junk */
	}
	if (n == 0)
		out_str(o, "NIL");
	else if (n == 1)
		out_istr(o, langs[0], strlen(langs[0]));
	else {
		out_str(o, "(");
		for (i = 0; i < n; i++) {
			if (i > 0)
				out_str(o, " ");
			out_istr(o, langs[i], strlen(langs[i]));
		}
		out_str(o, ")");
	}
	for (i = 0; i < n; i++)
		free(langs[i]);
}

static void
write_disposition(struct out *o, const char *v)
{
	struct ctype d;

	if (v == NULL || parse_ctype(v, &d, false) < 0) {
		out_str(o, "NIL");
		return;
	}
	out_str(o, "(");
	out_istr_upper(o, d.type);
	out_str(o, " ");
	write_params(o, &d);
	out_str(o, ")");
	ctype_clear(&d);
}

static uint64_t
count_lines(const uint8_t *p, size_t len)
{
	uint64_t n = 0;
	const uint8_t *q;

	while (len > 0 && (q = memchr(p, '\n', len)) != NULL) {
		n++;
		len -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return n;
}

/*
 * find_parts - body parts of a multipart body [b, e) (RFC 2046 5.1.1): the
 * CRLF before a delimiter belongs to it; the preamble and epilogue are
 * dropped; without a close delimiter the last part runs to e. Returns the
 * number of parts (at most max); 0 when no delimiter was found.
 */
static size_t
find_parts(const uint8_t *m, size_t b, size_t e, const char *bnd,
           size_t **starts_r, size_t **ends_r, size_t max)
{
	size_t blen = strlen(bnd), pos = b, n = 0, cap = 0;
	size_t *starts = NULL, *ends = NULL;
	bool open = false;

	while (pos < e && n < max) {
		const uint8_t *nl = memchr(m + pos, '\n', e - pos);
		size_t le = nl != NULL ? (size_t)(nl - m) + 1 : e, q, r;
		bool close = false;

		if (le - pos < 2 + blen || m[pos] != '-' || m[pos + 1] != '-' ||
		    memcmp(m + pos + 2, bnd, blen) != 0) {
			pos = le;
			continue;
		}
		q = pos + 2 + blen;
		if (q + 1 < le && m[q] == '-' && m[q + 1] == '-') {
			close = true;
			q += 2;
		}
		for (r = q; r < le; r++) {
			if (!is_wsp(m[r]) && m[r] != '\r' && m[r] != '\n')
				break;
		}
		if (r < le) {
			pos = le; /* a longer boundary: not ours */
			continue;
		}
		if (open) {
			size_t ds = pos;

			if (ds > b && m[ds - 1] == '\n') {
				ds--;
				if (ds > b && m[ds - 1] == '\r')
					ds--;
			}
			ends[n] = MAX(ds, starts[n]);
			n++;
			open = false;
		}
		if (close || n >= max)
			break;
		if (n >= cap) {
			cap = cap == 0 ? 8 : cap * 2;
			starts = xreallocarray(starts, cap, sizeof(*starts));
			ends = xreallocarray(ends, cap, sizeof(*ends));
		}
		starts[n] = le;
		open = true;
		pos = le;
	}
	if (open) {
		ends[n] = e;
		n++;
	}
	*starts_r = starts;
	*ends_r = ends;
	return n;
}

enum field {
	F_TYPE,
	F_CTE,
	F_ID,
	F_DESC,
	F_DISP,
	F_LANG,
	F_LOC,
	F_MD5,
	F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "content-type",        "content-transfer-encoding",
    "content-id",          "content-description",
    "content-disposition", "content-language",
    "content-location",    "content-md5"};

static uint32_t
add_ent(struct pctx *c)
{
	if (c->count == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		c->ents = xreallocarray(c->ents, c->cap, sizeof(*c->ents));
	}
	memset(&c->ents[c->count], 0, sizeof(c->ents[0]));
	return c->count++;
}

static void
both(struct pctx *c, const char *s)
{
	out_str(&c->bs, s);
	out_str(&c->body, s);
}

static void
both_raw(struct pctx *c, const struct out *o)
{
	out_raw(&c->bs, o->b.data, o->b.len);
	out_raw(&c->body, o->b.data, o->b.len);
}

/* parse_entity - the entity in [off, end): header, body, children. */
static void
parse_entity(struct pctx *c, size_t off, size_t end, uint32_t parent, int depth,
             bool digest)
{
	const uint8_t *m = c->msg;
	size_t hlen = hdr_block_len(m + off, end - off);
	struct hdr_iter it = {m + off, hlen, 0};
	struct span name, value;
	char *f[F_COUNT] = {NULL}, *bnd = NULL, num[64];
	struct ctype ct;
	struct out tmp;
	uint32_t idx;
	size_t body_off = off + hlen, body_len = end - off - hlen, i;
	size_t *starts = NULL, *ends = NULL, nparts = 0;
	bool multipart = false, rfc822 = false, room;

	while (hdr_next(&it, &name, &value)) {
		for (i = 0; i < F_COUNT; i++) {
			if (f[i] == NULL && span_eq_ci(name, field_names[i]))
				f[i] = hdr_unfold(value);
		}
	}
	if (f[F_TYPE] == NULL || parse_ctype(f[F_TYPE], &ct, true) < 0) {
		memset(&ct, 0, sizeof(ct));
		if (digest && f[F_TYPE] == NULL)
			set_type(&ct, "message", "rfc822", false);
		else
			set_type(&ct, "text", "plain", true);
	}
	idx = add_ent(c);
	c->ents[idx].hdr_off = off;
	c->ents[idx].hdr_len = hlen;
	c->ents[idx].body_off = body_off;
	c->ents[idx].body_len = body_len;
	c->ents[idx].parent = parent;
	if (f[F_CTE] != NULL) {
		const char *p = f[F_CTE];
		char *t = token(&p, true);

		free(f[F_CTE]);
		f[F_CTE] = t;
	}
	/* room for this entity's children under the limits */
	room = depth + 1 < MIME_MAX_DEPTH && c->count + 1 < c->max_parts;
	if (strcmp(ct.type, "multipart") == 0) {
		const char *b = param_get(&ct, "boundary");

		if (b != NULL && b[0] != '\0' && room) {
			bnd = xstrdup(b);
			nparts = find_parts(m, body_off, end, bnd, &starts,
			                    &ends, c->max_parts - c->count - 1);
		}
		if (nparts > 0)
			multipart = true;
		else if (room) /* no usable boundary: RFC 2046 5.1.1 text */
			set_type(&ct, "text", "plain", true);
		else /* past the depth or part limit */
			set_type(&ct, "application", "octet-stream", false);
	} else if (strcmp(ct.type, "message") == 0 &&
	           strcmp(ct.subtype, "rfc822") == 0) {
		bool encoded = f[F_CTE] != NULL &&
		               (strcmp(f[F_CTE], "base64") == 0 ||
		                strcmp(f[F_CTE], "quoted-printable") == 0);

		if (!room)
			set_type(&ct, "application", "octet-stream", false);
		else if (!encoded)
			rfc822 = true;
	}
	c->ents[idx].is_text = strcmp(ct.type, "text") == 0;
	c->ents[idx].cte = f[F_CTE] == NULL                  ? MIME_CTE_OTHER
	                   : strcmp(f[F_CTE], "base64") == 0 ? MIME_CTE_BASE64
	                   : strcmp(f[F_CTE], "quoted-printable") == 0
	                       ? MIME_CTE_QP
	                       : MIME_CTE_OTHER;
	if (param_get(&ct, "charset") != NULL)
		c->ents[idx].charset = xstrdup(param_get(&ct, "charset"));

	both(c, "(");
	if (multipart) {
		c->ents[idx].flags = MIME_ENT_MULTIPART;
		/* the first child always fits; later ones while room lasts */
		for (i = 0; i < nparts && c->count < c->max_parts; i++)
			parse_entity(c, starts[i], ends[i], idx, depth + 1,
			             strcmp(ct.subtype, "digest") == 0);
		both(c, " ");
		out_istr_upper(&c->bs, ct.subtype);
		out_istr_upper(&c->body, ct.subtype);
		out_str(&c->bs, " ");
		write_params(&c->bs, &ct);
	} else {
		out_istr_upper(&c->bs, ct.type);
		out_istr_upper(&c->body, ct.type);
		both(c, " ");
		out_istr_upper(&c->bs, ct.subtype);
		out_istr_upper(&c->body, ct.subtype);
		both(c, " ");
		out_init(&tmp, MIME_MAX_TEXT);
		write_params(&tmp, &ct);
		out_str(&tmp, " ");
		write_nstr(&tmp, f[F_ID]);
		out_str(&tmp, " ");
		write_nstr(&tmp, f[F_DESC]);
		out_str(&tmp, " ");
		if (f[F_CTE] != NULL)
			out_istr_upper(&tmp, f[F_CTE]);
		else
			out_istr(&tmp, "7BIT", 4);
		(void)snprintf_chk(num, sizeof(num), " %zu", body_len);
		out_str(&tmp, num);
		both_raw(c, &tmp);
		buf_clear(&tmp.b);
		(void)snprintf_chk(
		    num, sizeof(num), " %llu",
		    (unsigned long long)count_lines(m + body_off, body_len));
		if (rfc822) {
			size_t chl = hdr_block_len(m + body_off, body_len);

			c->ents[idx].flags = MIME_ENT_RFC822;
			both(c, " ");
			out_init(&tmp, MIME_MAX_TEXT);
			envelope_write(&tmp, m + body_off, chl);
			both_raw(c, &tmp);
			buf_clear(&tmp.b);
			both(c, " ");
			parse_entity(c, body_off, end, idx, depth + 1, false);
			both(c, num);
		} else if (strcmp(ct.type, "text") == 0) {
			both(c, num);
		}
		out_str(&c->bs, " ");
		write_nstr(&c->bs, f[F_MD5]);
	}
	out_str(&c->bs, " ");
	write_disposition(&c->bs, f[F_DISP]);
	out_str(&c->bs, " ");
	write_lang(&c->bs, f[F_LANG]);
	out_str(&c->bs, " ");
	write_nstr(&c->bs, f[F_LOC]);
	both(c, ")");

	for (i = 0; i < F_COUNT; i++)
		free(f[i]);
	free(bnd);
	free(starts);
	free(ends);
	ctype_clear(&ct);
}

static char *
out_take(struct out *o)
{
	char *s = xstrdup(buf_cstr(&o->b));

	buf_clear(&o->b);
	return s;
}

void
mime_tree_parse(const uint8_t *msg, size_t len, struct mime_tree *t)
{
	struct pctx c;
	struct out env;
	uint32_t i;

	if (msg == NULL) {
		msg = (const uint8_t *)"";
		len = 0;
	}
	memset(&c, 0, sizeof(c));
	c.msg = msg;
	c.len = len;
	c.max_parts = MIME_MAX_PARTS;
	for (;;) {
		out_init(&c.bs, MIME_MAX_TEXT);
		out_init(&c.body, MIME_MAX_TEXT);
		parse_entity(&c, 0, len, MIME_NO_PARENT, 0, false);
		if ((!c.bs.fail && !c.body.fail) || c.max_parts == 1)
			break;
		/* too much text: the whole message becomes opaque */
		buf_clear(&c.bs.b);
		buf_clear(&c.body.b);
		for (i = 0; i < c.count; i++)
			free(c.ents[i].charset);
		c.count = 0;
		c.max_parts = 1;
	}
	out_init(&env, MIME_MAX_TEXT);
	envelope_write(&env, msg, c.ents[0].hdr_len);
	t->envelope = out_take(&env);
	t->bodystructure = out_take(&c.bs);
	t->body = out_take(&c.body);
	t->ents = c.ents;
	t->count = c.count;
}

void
mime_tree_clear(struct mime_tree *t)
{
	uint32_t i;

	for (i = 0; i < t->count; i++)
		free(t->ents[i].charset);
	free(t->ents);
	free(t->envelope);
	free(t->bodystructure);
	free(t->body);
	memset(t, 0, sizeof(*t));
}
