/* SPDX-License-Identifier: MIT */
/*
 * rfc2047.c - encoded words (RFC 2047, with RFC 2231 5 language suffixes)
 * in unstructured header values, charset conversion to UTF-8 with iconv,
 * and the simple case folding IMAP SEARCH matches with. Adjacent encoded
 * words of one charset are joined before conversion so multi-byte
 * characters split between words survive. Pure functions, any thread.
 */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "mime_int.h"

#define MAX_CHARSET 64

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
charset_is(const char *cs, const char *name)
{
	size_t i;

	for (i = 0; cs[i] != '\0' && name[i] != '\0'; i++) {
		if (lower((unsigned char)cs[i]) != name[i])
			return false;
	}
	return cs[i] == '\0' && name[i] == '\0';
}

static int
put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | (cp >> 6));
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | (cp >> 12));
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | (cp >> 18));
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, u, n);
}

int
mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len,
                     struct buf *out)
{
	iconv_t cd;
	char *ip;
	size_t il = len, i;
	uint8_t tmp[1024];

	if (charset == NULL || charset[0] == '\0' ||
	    charset_is(charset, "us-ascii") || charset_is(charset, "utf-8") ||
	    charset_is(charset, "utf8"))
		return buf_append(out, in, len);
	if (charset_is(charset, "iso-8859-1") ||
	    charset_is(charset, "latin1")) {
		for (i = 0; i < len; i++) {
			if (put_utf8(out, in[i]) < 0)
				return -1;
		}
		return 0;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	ip = (char *)(uintptr_t)in; /* iconv's prototype lacks const */
	while (il > 0) {
		char *op = (char *)tmp;
		size_t ol = sizeof(tmp), r;

		r = iconv(cd, &ip, &il, &op, &ol);
		if (buf_append(out, tmp, sizeof(tmp) - ol) < 0) {
			iconv_close(cd);
			return -1;
		}
		if (r == (size_t)-1 && ol == sizeof(tmp)) {
			/* invalid or truncated input: U+FFFD, skip a byte */
			if (put_utf8(out, 0xfffd) < 0) {
				iconv_close(cd);
				return -1;
			}
			ip++;
			il--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return 0;
}

/* ---- case folding ---- */

static uint32_t
fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7))
		return c + 32;
	if (c >= 0x100 && c <= 0x137 && (c & 1) == 0)
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && (c & 1) == 1)
		return c + 1;
	if (c >= 0x14a && c <= 0x177 && (c & 1) == 0)
		return c + 1;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x179 && c <= 0x17e && (c & 1) == 1)
		return c + 1;
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

void
mime_fold_utf8(const uint8_t *in, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = in[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1fu;
			n = 2;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0fu;
			n = 3;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07u;
			n = 4;
		} else {
			bput(out, &c, 1);
			i++;
			continue;
		}
		if (i + n > len) {
			bput(out, in + i, len - i);
			return;
		}
		for (k = 1; k < n; k++) {
			if ((in[i + k] & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (in[i + k] & 0x3fu);
		}
		if (k < n) {
			bput(out, &c, 1);
			i++;
			continue;
		}
		(void)put_utf8(out, fold_cp(cp));
		i += n;
	}
}

/* ---- encoded words ---- */

struct ew {
	char charset[MAX_CHARSET + 1];
	struct buf raw; /* decoded bytes not yet converted */
};

/* ew_flush - convert pending bytes of one charset and append them. */
static void
ew_flush(struct ew *e, struct buf *out)
{
	if (e->raw.len == 0)
		return;
	if (mime_charset_to_utf8(e->charset, e->raw.data, e->raw.len, out) < 0)
		bput(out, e->raw.data, e->raw.len);
	buf_reset(&e->raw);
}

/* parse_ew - an encoded word at v[i..len); its length, 0 if none. */
static size_t
parse_ew(const char *v, size_t i, size_t len, char *cs, char *enc,
         struct span *text_r, size_t fail[2])
{
	size_t j = i + 2, k = 0, t;

	if (i + 2 > len || v[i] != '=' || v[i + 1] != '?')
		return 0;
	while (j < len && v[j] != '?' && k < MAX_CHARSET) {
		if (v[j] == ' ' || v[j] == '\t' || (unsigned char)v[j] < 0x21)
			return 0;
		cs[k++] = v[j++];
	}
	cs[k] = '\0';
	if (k == 0 || j + 3 > len || v[j] != '?' || v[j + 2] != '?')
		return 0;
	*enc = (char)lower((unsigned char)v[j + 1]);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	t = j + 3;
	/* no "?=" in [fail[0], fail[1]): keeps hostile input linear */
	if (t >= fail[0] && t < fail[1])
		return 0;
	for (j = t; j + 1 < len; j++) {
		if (v[j] == ' ' || v[j] == '\t' || v[j] == '\r' ||
		    v[j] == '\n' || (v[j] == '?' && v[j + 1] == '='))
			break;
	}
	if (j + 1 >= len || v[j] != '?') {
		fail[0] = t;
		fail[1] = j;
		return 0;
	}
	text_r->p = v + t;
	text_r->len = j - t;
	/* RFC 2231 5: charset*language */
	for (k = 0; cs[k] != '\0'; k++) {
		if (cs[k] == '*') {
			cs[k] = '\0';
			break;
		}
	}
	return j + 2 - i;
}

static void
q_decode(struct span t, struct buf *out)
{
	size_t i;
	uint8_t b;

	for (i = 0; i < t.len; i++) {
		if (t.p[i] == '_') {
			bput(out, " ", 1);
		} else if (t.p[i] == '=' && i + 2 < t.len &&
		           mime_hex_byte(t.p + i + 1, &b)) {
			bput(out, &b, 1);
			i += 2;
		} else {
			bput(out, &t.p[i], 1);
		}
	}
}

char *
mime_rfc2047_decode(const char *value, size_t len)
{
	struct buf out;
	struct ew e;
	size_t i = 0, ws_start = 0, ws_len = 0, fail[2] = {0, 0};
	bool last_ew = false;
	char *res;

	/* UNSAFE: UTF-8 from any charset is at most 4 bytes per input byte,
	 * plus 3 per U+FFFD replacement of one byte */
	buf_init(&out, len * 4 + 16);
	buf_init(&e.raw, len + 16);
	e.charset[0] = '\0';
	while (i < len) {
		char cs[MAX_CHARSET + 1], enc;
		struct span text;
		size_t n;

		if (value[i] == ' ' || value[i] == '\t' || value[i] == '\r' ||
		    value[i] == '\n') {
			if (ws_len == 0)
				ws_start = i;
			ws_len++;
			i++;
			continue;
		}
		n = parse_ew(value, i, len, cs, &enc, &text, fail);
		if (n > 0) {
			/* white space between encoded words is dropped */
			if (!last_ew || strcmp(cs, e.charset) != 0)
				ew_flush(&e, &out);
			if (!last_ew && ws_len > 0)
				bput(&out, value + ws_start, ws_len);
			ws_len = 0;
			(void)strlcpy_chk(e.charset, cs, sizeof(e.charset));
			if (enc == 'b')
				(void)mime_base64_decode(
				    (const uint8_t *)text.p, text.len, &e.raw);
			else
				q_decode(text, &e.raw);
			i += n;
			last_ew = true;
			continue;
		}
		ew_flush(&e, &out);
		if (ws_len > 0) {
			bput(&out, value + ws_start, ws_len);
			ws_len = 0;
		}
		bput(&out, value + i, 1);
		i++;
		last_ew = false;
	}
	ew_flush(&e, &out);
	if (ws_len > 0)
		bput(&out, value + ws_start, ws_len);
	res = xmalloc(out.len + 1);
	for (i = 0, len = 0; i < out.len; i++) {
		if (out.data[i] != '\0')
			res[len++] = (char)out.data[i];
	}
	res[len] = '\0';
	buf_clear(&out);
	buf_clear(&e.raw);
	return res;
}
