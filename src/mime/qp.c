/* SPDX-License-Identifier: MIT */
/*
 * qp.c - quoted-printable decoding (RFC 2045 6.7): =XX escapes (either
 * case), soft line breaks, trailing white space on a line dropped; a broken
 * escape is kept literally. Also the hex pair decoding that every =XX and
 * %XX escape uses (mime_hex_byte). Pure functions, any thread.
 */
#include "mime_int.h"

/* hexval - the value of hex digit c (either case), -1 when it is not one */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
mime_hex_byte(const char *p, uint8_t *b_r)
{
	int hi = hexval(p[0]), lo;

	if (hi < 0 || (lo = hexval(p[1])) < 0)
		return false;
	*b_r = (uint8_t)(hi * 16 + lo);
	return true;
}

int
mime_qp_decode(const uint8_t *in, size_t len, struct buf *out)
{
	size_t i = 0, ws = 0; /* pending white space run start */
	size_t ws_len = 0;

	while (i < len) {
		uint8_t c = in[i];

		if (c == ' ' || c == '\t') {
			if (ws_len == 0)
				ws = i;
			ws_len++;
			i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			ws_len = 0; /* RFC 2045 6.7 (3): drop trailing space */
			if (c == '\r' && i + 1 < len && in[i + 1] == '\n') {
				if (buf_append(out, "\r\n", 2) < 0)
					return -1;
				i += 2;
			} else {
				if (buf_append(out, &in[i], 1) < 0)
					return -1;
				i++;
			}
			continue;
		}
		if (ws_len > 0) {
			if (buf_append(out, in + ws, ws_len) < 0)
				return -1;
			ws_len = 0;
		}
		if (c == '=') {
			size_t j = i + 1;
			uint8_t b;

			/* soft line break: "=" [WSP] CRLF */
			while (j < len && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j >= len || in[j] == '\r' || in[j] == '\n') {
				if (j < len && in[j] == '\r')
					j++;
				if (j < len && in[j] == '\n')
					j++;
				i = j;
				continue;
			}
			if (i + 2 < len &&
			    mime_hex_byte((const char *)in + i + 1, &b)) {
				if (buf_append(out, &b, 1) < 0)
					return -1;
				i += 3;
				continue;
			}
		}
		if (buf_append(out, &c, 1) < 0)
			return -1;
		i++;
	}
	if (ws_len > 0 && buf_append(out, in + ws, ws_len) < 0)
		return -1;
	return 0;
}
