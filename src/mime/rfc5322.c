/* SPDX-License-Identifier: MIT */
/*
 * rfc5322.c - RFC 5322 header blocks: field iteration with unfolding, the
 * IMAP ENVELOPE (RFC 3501 7.4.2) with address lists, groups, quoted local
 * parts and comments, date-time parsing including the obsolete forms
 * (RFC 5322 4.3), and the HEADER.FIELDS filter. Only the first
 * MIME_MAX_HEADER bytes of a block are looked at. Pure functions, any
 * thread; all input is untrusted.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "mime_int.h"

#define MAX_COMMENT_DEPTH 64

static bool
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

size_t
hdr_block_len(const uint8_t *p, size_t len)
{
	size_t pos = 0, eol;

	while (pos < len) {
		const uint8_t *nl = memchr(p + pos, '\n', len - pos);

		eol = nl != NULL ? (size_t)(nl - p) : len;
		if (eol == pos || (eol == pos + 1 && p[pos] == '\r'))
			return nl != NULL ? eol + 1 : len;
		pos = nl != NULL ? eol + 1 : len;
	}
	return len;
}

bool
hdr_next(struct hdr_iter *it, struct span *name_r, struct span *value_r)
{
	size_t lim = MIN(it->len, (size_t)MIME_MAX_HEADER);

	while (it->pos < lim) {
		const uint8_t *p = it->p;
		size_t start = it->pos, end = start, colon = SIZE_MAX, vend;

		if (p[start] == '\n' ||
		    (p[start] == '\r' &&
		     (start + 1 >= lim || p[start + 1] == '\n'))) {
			it->pos = it->len; /* blank line: end of block */
			return false;
		}
		/* the field: its first line and every continuation line */
		for (;;) {
			const uint8_t *nl = memchr(p + end, '\n', lim - end);

			end = nl != NULL ? (size_t)(nl - p) + 1 : lim;
			if (end >= lim || !is_wsp(p[end]))
				break;
		}
		it->pos = end;
		for (size_t i = start; i < end && p[i] != '\n'; i++) {
			if (p[i] == ':') {
				colon = i;
				break;
			}
		}
		if (colon == SIZE_MAX || colon == start)
			continue; /* not a field (e.g. mbox From_): skip */
		vend = end;
		if (vend > colon + 1 && p[vend - 1] == '\n')
			vend--;
		if (vend > colon + 1 && p[vend - 1] == '\r')
			vend--;
		name_r->p = (const char *)p + start;
		name_r->len = colon - start;
		while (name_r->len > 0 && is_wsp(name_r->p[name_r->len - 1]))
			name_r->len--;
		value_r->p = (const char *)p + colon + 1;
		value_r->len = vend - colon - 1;
		return true;
	}
	return false;
}

char *
hdr_unfold(struct span v)
{
	char *s = xmalloc(v.len + 1);
	size_t i, n = 0;

	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
			continue;
		if (n == 0 && is_wsp(v.p[i]))
			continue;
		s[n++] = v.p[i];
	}
	while (n > 0 && is_wsp(s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

/* ---- address lists ---- */

struct alex {
	const char *p, *end;
	struct span comment; /* last top-level comment seen */
};

static bool
is_special(int c)
{
	return strchr("()<>[]:;@\\,\"", c) != NULL;
}

/* skip_cfws - white space and (nested) comments. */
static void
skip_cfws(struct alex *l)
{
	while (l->p < l->end) {
		if (is_wsp(*l->p) || *l->p == '\r' || *l->p == '\n') {
			l->p++;
		} else if (*l->p == '(') {
			const char *start = ++l->p;
			int depth = 1;

			while (l->p < l->end && depth > 0) {
				if (*l->p == '\\' && l->p + 1 < l->end)
					l->p++;
				else if (*l->p == '(' &&
				         depth < MAX_COMMENT_DEPTH)
					depth++;
				else if (*l->p == ')')
					depth--;
				l->p++;
			}
			l->comment.p = start;
			l->comment.len =
			    (size_t)(l->p - start) - (depth == 0 ? 1 : 0);
		} else {
			break;
		}
	}
}

/* take_word - an atom (with dots) or quoted string into b; false if none. */
static bool
take_word(struct alex *l, struct buf *b)
{
	skip_cfws(l);
	if (l->p >= l->end)
		return false;
	if (*l->p == '"') {
		l->p++;
		while (l->p < l->end && *l->p != '"') {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			if (*l->p != '\r' && *l->p != '\n')
				bput(b, l->p, 1);
			l->p++;
		}
		if (l->p < l->end)
			l->p++;
		return true;
	}
	if (is_special((unsigned char)*l->p))
		return false;
	while (l->p < l->end && !is_special((unsigned char)*l->p) &&
	       !is_wsp(*l->p) && *l->p != '\r' && *l->p != '\n')
		bput(b, l->p++, 1);
	return true;
}

/* take_domain - domain (dot-atoms, domain literals) into b. */
static void
take_domain(struct alex *l, struct buf *b)
{
	for (;;) {
		skip_cfws(l);
		if (l->p >= l->end)
			return;
		if (*l->p == '[') {
			while (l->p < l->end && *l->p != ']') {
				if (!is_wsp(*l->p))
					bput(b, l->p, 1);
				l->p++;
			}
			if (l->p < l->end)
				bput(b, l->p++, 1);
			continue;
		}
		if (is_special((unsigned char)*l->p))
			return;
		if (!take_word(l, b))
			return;
	}
}

static void
write_addr(struct out *o, struct buf *name, struct buf *adl, struct buf *mbox,
           struct buf *host)
{
	out_str(o, "(");
	if (name->len > 0)
		out_istr(o, (const char *)name->data, name->len);
	else
		out_str(o, "NIL");
	out_str(o, " ");
	if (adl->len > 0)
		out_istr(o, (const char *)adl->data, adl->len);
	else
		out_str(o, "NIL");
	out_str(o, " ");
	if (mbox->len > 0)
		out_istr(o, (const char *)mbox->data, mbox->len);
	else
		out_istr(o, "MISSING_MAILBOX", 15);
	out_str(o, " ");
	if (host->len > 0)
		out_istr(o, (const char *)host->data, host->len);
	else
		out_istr(o, "MISSING_DOMAIN", 14);
	out_str(o, ")");
}

/*
 * addr_list_write - RFC 3501 7.4.2 address list of an unfolded value:
 * (name adl mailbox host) for each address, groups as (NIL NIL "group" NIL)
 * ... (NIL NIL NIL NIL); NIL when there is no address.
 */
static void
addr_list_write(struct out *o, const char *v, size_t len)
{
	struct alex l = {v, v + len, {NULL, 0}};
	struct buf phrase, local, adl, mbox, host;
	struct out tmp;
	bool in_group = false;
	size_t count = 0;

	buf_init(&phrase, len + 1);
	buf_init(&local, len + 1);
	buf_init(&adl, len + 1);
	buf_init(&mbox, len + 1);
	buf_init(&host, len + 1);
	out_init(&tmp, MIME_MAX_TEXT);
	while (l.p < l.end) {
		buf_reset(&phrase);
		buf_reset(&local);
		buf_reset(&adl);
		buf_reset(&mbox);
		buf_reset(&host);
		l.comment.p = NULL;
		l.comment.len = 0;
		/* phrase, or the local part of a bare addr-spec */
		for (;;) {
			size_t before = phrase.len;

			if (phrase.len > 0)
				bput(&phrase, " ", 1);
			if (!take_word(&l, &phrase)) {
				phrase.len = before;
				break;
			}
			bput(&local,
			     phrase.data + before + (before > 0 ? 1 : 0),
			     phrase.len - before - (before > 0 ? 1 : 0));
		}
		skip_cfws(&l);
		if (l.p >= l.end || *l.p == ',' || (*l.p == ';' && in_group)) {
			if (local.len > 0) {
				write_addr(&tmp, &mbox, &adl, &local, &host);
				count++;
			}
			if (l.p < l.end && *l.p == ';') {
				out_str(&tmp, "(NIL NIL NIL NIL)");
				in_group = false;
			}
			if (l.p < l.end)
				l.p++;
			continue;
		}
		if (*l.p == ':' && !in_group) {
			l.p++;
			out_str(&tmp, "(NIL NIL ");
			out_istr(&tmp, (const char *)phrase.data, phrase.len);
			out_str(&tmp, " NIL)");
			in_group = true;
			count++;
			continue;
		}
		if (*l.p == '<') {
			l.p++;
			skip_cfws(&l);
			if (l.p < l.end && *l.p == '@') {
				/* obsolete route: @a,@b: */
				while (l.p < l.end && *l.p != ':' &&
				       *l.p != '>') {
					if (!is_wsp(*l.p) && *l.p != '\r' &&
					    *l.p != '\n')
						bput(&adl, l.p, 1);
					l.p++;
				}
				if (l.p < l.end && *l.p == ':')
					l.p++;
			}
			while (take_word(&l, &mbox))
				;
			skip_cfws(&l);
			if (l.p < l.end && *l.p == '@') {
				l.p++;
				take_domain(&l, &host);
			}
			while (l.p < l.end && *l.p != '>' && *l.p != ',')
				l.p++;
			if (l.p < l.end && *l.p == '>')
				l.p++;
			write_addr(&tmp, &phrase, &adl, &mbox, &host);
			count++;
			continue;
		}
		if (*l.p == '@') {
			l.p++;
			take_domain(&l, &host);
			skip_cfws(&l);
			buf_reset(&phrase);
			if (l.comment.len > 0)
				bput(&phrase, l.comment.p, l.comment.len);
			write_addr(&tmp, &phrase, &adl, &local, &host);
			count++;
			continue;
		}
		l.p++; /* junk: skip it */
	}
	if (in_group)
		out_str(&tmp, "(NIL NIL NIL NIL)");
	if (count == 0 || tmp.fail) {
		out_str(o, "NIL");
	} else {
		out_str(o, "(");
		out_raw(o, tmp.b.data, tmp.b.len);
		out_str(o, ")");
	}
	buf_clear(&phrase);
	buf_clear(&local);
	buf_clear(&adl);
	buf_clear(&mbox);
	buf_clear(&host);
	buf_clear(&tmp.b);
}

enum env_field {
	ENV_DATE,
	ENV_SUBJECT,
	ENV_FROM,
	ENV_SENDER,
	ENV_REPLY_TO,
	ENV_TO,
	ENV_CC,
	ENV_BCC,
	ENV_IN_REPLY_TO,
	ENV_MESSAGE_ID,
	ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
    "date", "subject", "from", "sender",      "reply-to",
    "to",   "cc",      "bcc",  "in-reply-to", "message-id"};

void
envelope_write(struct out *o, const uint8_t *hdr, size_t len)
{
	struct hdr_iter it = {hdr, len, 0};
	struct span name, value, vals[ENV_COUNT];
	bool seen[ENV_COUNT] = {false};
	char *s[ENV_COUNT] = {NULL};
	int i;

	while (hdr_next(&it, &name, &value)) {
		for (i = 0; i < ENV_COUNT; i++) {
			if (!seen[i] && span_eq_ci(name, env_names[i])) {
				seen[i] = true;
				vals[i] = value;
			}
		}
	}
	for (i = 0; i < ENV_COUNT; i++)
		s[i] = seen[i] ? hdr_unfold(vals[i]) : NULL;
	/* RFC 3501 7.4.2: sender and reply-to default to from */
	for (i = ENV_SENDER; i <= ENV_REPLY_TO; i++) {
		if ((s[i] == NULL || s[i][0] == '\0') && s[ENV_FROM] != NULL) {
			free(s[i]);
			s[i] = xstrdup(s[ENV_FROM]);
		}
	}
	out_str(o, "(");
	for (i = 0; i < ENV_COUNT; i++) {
		if (i > 0)
			out_str(o, " ");
		if (i >= ENV_FROM && i <= ENV_BCC) {
			if (s[i] == NULL)
				out_str(o, "NIL");
			else
				addr_list_write(o, s[i], strlen(s[i]));
		} else if (s[i] == NULL || s[i][0] == '\0') {
			out_str(o, "NIL");
		} else {
			out_istr(o, s[i], strlen(s[i]));
		}
	}
	out_str(o, ")");
	for (i = 0; i < ENV_COUNT; i++)
		free(s[i]);
}

/* ---- dates ---- */

struct dlex {
	const char *p, *end;
};

static void
dskip(struct dlex *d)
{
	struct alex l = {d->p, d->end, {NULL, 0}};

	skip_cfws(&l);
	d->p = l.p;
}

static bool
dnum(struct dlex *d, int *n_r, int max_digits, int *digits_r)
{
	int n = 0, k = 0;

	dskip(d);
	while (d->p < d->end && *d->p >= '0' && *d->p <= '9' &&
	       k < max_digits) {
		n = n * 10 + (*d->p - '0');
		d->p++;
		k++;
	}
	if (k == 0)
		return false;
	if (d->p < d->end && *d->p >= '0' && *d->p <= '9')
		return false; /* too many digits */
	*n_r = n;
	if (digits_r != NULL)
		*digits_r = k;
	return true;
}

static size_t
dword(struct dlex *d, char *w, size_t max)
{
	size_t n = 0;

	dskip(d);
	while (d->p < d->end && ((*d->p >= 'a' && *d->p <= 'z') ||
	                         (*d->p >= 'A' && *d->p <= 'Z'))) {
		if (n + 1 < max)
			w[n++] = (char)lower((unsigned char)*d->p);
		d->p++;
	}
	w[n] = '\0';
	return n;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
mime_date_parse(const char *s, int64_t *t_r, int *tz_min_r)
{
	static const char *const months[] = {"jan", "feb", "mar", "apr",
	                                     "may", "jun", "jul", "aug",
	                                     "sep", "oct", "nov", "dec"};
	static const struct {
		const char *name;
		int min;
	} zones[] = {{"ut", 0},     {"gmt", 0},    {"utc", 0},
	             {"z", 0},      {"est", -300}, {"edt", -240},
	             {"cst", -360}, {"cdt", -300}, {"mst", -420},
	             {"mdt", -360}, {"pst", -480}, {"pdt", -420}};
	struct dlex d = {s, s + strlen(s)};
	char w[16];
	int day, mon = -1, year, hh, mm, ss = 0, digits, tz = 0, i;
	int64_t t;

	if (dword(&d, w, sizeof(w)) > 0) {
		/* day-of-week, then an optional comma */
		dskip(&d);
		if (d.p < d.end && *d.p == ',')
			d.p++;
	}
	if (!dnum(&d, &day, 2, NULL) || day < 1 || day > 31)
		return -1;
	dskip(&d);
	if (d.p < d.end && *d.p == '-')
		d.p++;
	if (dword(&d, w, sizeof(w)) < 3)
		return -1;
	for (i = 0; i < 12; i++) {
		if (strncmp(w, months[i], 3) == 0)
			mon = i + 1;
	}
	if (mon < 0)
		return -1;
	dskip(&d);
	if (d.p < d.end && *d.p == '-')
		d.p++;
	if (!dnum(&d, &year, 4, &digits))
		return -1;
	/* RFC 5322 4.3: two-digit years, three-digit years */
	if (digits == 2)
		year += year < 50 ? 2000 : 1900;
	else if (digits == 3)
		year += 1900;
	if (!dnum(&d, &hh, 2, NULL) || hh > 23)
		return -1;
	dskip(&d);
	if (d.p >= d.end || *d.p != ':')
		return -1;
	d.p++;
	if (!dnum(&d, &mm, 2, NULL) || mm > 59)
		return -1;
	dskip(&d);
	if (d.p < d.end && *d.p == ':') {
		d.p++;
		if (!dnum(&d, &ss, 2, NULL) || ss > 60)
			return -1;
	}
	dskip(&d);
	if (d.p < d.end && (*d.p == '+' || *d.p == '-')) {
		int sign = *d.p == '-' ? -1 : 1, z;

		d.p++;
		if (!dnum(&d, &z, 4, &digits) || digits != 4 || z % 100 > 59)
			return -1;
		tz = sign * (z / 100 * 60 + z % 100);
	} else if (dword(&d, w, sizeof(w)) > 0) {
		bool found = false;

		for (i = 0; i < (int)N_ELEMENTS(zones); i++) {
			if (strcmp(w, zones[i].name) == 0) {
				tz = zones[i].min;
				found = true;
			}
		}
		/* military zones and unknown names: -0000 (RFC 5322 4.3) */
		(void)found;
	}
	t = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss -
	    (int64_t)tz * 60;
	*t_r = t;
	if (tz_min_r != NULL)
		*tz_min_r = tz;
	return 0;
}

/* ---- field access ---- */

int
mime_header_filter(const uint8_t *hdr, size_t len, const char *const *names,
                   size_t count, bool is_not, struct buf *out)
{
	size_t lim = MIN(len, (size_t)MIME_MAX_HEADER);
	struct hdr_iter it = {hdr, len, 0};
	struct span name, value;

	while (hdr_next(&it, &name, &value)) {
		const uint8_t *start = (const uint8_t *)name.p;
		size_t end = it.pos, i;
		bool match = false;

		for (i = 0; i < count; i++) {
			if (span_eq_ci(name, names[i]))
				match = true;
		}
		if (match == is_not)
			continue;
		if (end > lim)
			end = lim;
		if (buf_append(out, start, (size_t)(hdr + end - start)) < 0)
			return -1;
		/* a last field without line end still gets one */
		if (hdr[end - 1] != '\n' && buf_append(out, "\r\n", 2) < 0)
			return -1;
	}
	if (buf_append(out, "\r\n", 2) < 0)
		return -1;
	return 0;
}

char *
mime_header_get(const uint8_t *hdr, size_t len, const char *name)
{
	struct hdr_iter it = {hdr, len, 0};
	struct span n, value;

	while (hdr_next(&it, &n, &value)) {
		if (span_eq_ci(n, name)) {
			char *raw = hdr_unfold(value), *dec;

			dec = mime_rfc2047_decode(raw, strlen(raw));
			free(raw);
			return dec;
		}
	}
	return NULL;
}
