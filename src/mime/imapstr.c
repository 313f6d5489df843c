/* SPDX-License-Identifier: MIT */
/*
 * imapstr.c - building IMAP texts (RFC 3501 4.3, 9): an output buffer that
 * records a failed append instead of aborting, and IMAP strings, quoted
 * with escapes when allowed, otherwise literals {n}\r\n. NUL bytes are never
 * sent. Pure functions, any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "mime_int.h"

void
out_init(struct out *o, size_t max)
{
	buf_init(&o->b, max);
	o->fail = false;
}

void
out_raw(struct out *o, const void *p, size_t len)
{
	if (o->fail || len == 0)
		return;
	if (buf_append(&o->b, p, len) < 0)
		o->fail = true;
}

void
out_str(struct out *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

void
out_istr(struct out *o, const char *p, size_t len)
{
	bool literal = len > MIME_MAX_QUOTED;
	size_t i, n = 0, start;
	char tmp[32];

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0')
			continue;
		n++;
		if (c == '\r' || c == '\n' || c >= 0x80)
			literal = true;
	}
	if (literal) {
		if (snprintf_chk(tmp, sizeof(tmp), "{%zu}\r\n", n) < 0) {
			o->fail = true;
			return;
		}
		out_str(o, tmp);
		for (start = i = 0; i <= len; i++) {
			if (i == len || p[i] == '\0') {
				out_raw(o, p + start, i - start);
				start = i + 1;
			}
		}
		return;
	}
	out_raw(o, "\"", 1);
	for (start = i = 0; i <= len; i++) {
		if (i == len || p[i] == '\0' || p[i] == '"' || p[i] == '\\') {
			out_raw(o, p + start, i - start);
			if (i < len && p[i] != '\0')
				out_raw(o, "\\", 1), out_raw(o, p + i, 1);
			start = i + 1;
		}
	}
	out_raw(o, "\"", 1);
}

void
out_nstr(struct out *o, const char *p, size_t len)
{
	if (p == NULL)
		out_str(o, "NIL");
	else
		out_istr(o, p, len);
}

void
out_istr_upper(struct out *o, const char *s)
{
	char *u = xstrdup(s);
	size_t i;

	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] >= 'a' && u[i] <= 'z')
			u[i] = (char)(u[i] - 'a' + 'A');
	}
	out_istr(o, u, i);
	free(u);
}
