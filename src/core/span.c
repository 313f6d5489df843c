/* SPDX-License-Identifier: MIT */
/*
 * span.c - borrowed byte ranges and the cursor helpers protocol parsers are
 * built from. Spans are never assumed NUL-terminated; cursor helpers advance
 * only on success and take an explicit maximum. Pure functions, any thread;
 * all input is treated as untrusted bytes.
 */
#include <string.h>

#include "mem.h"
#include "span.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

struct span
span_from_cstr(const char *s)
{
	struct span a = {s, s != NULL ? strlen(s) : 0};

	return a;
}

bool
span_eq(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
span_eq_ci(struct span a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && span_startswith_ci(a, s);
}

bool
span_startswith_ci(struct span a, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != '\0'; i++) {
		if (i >= a.len)
			return false;
		if (lower((unsigned char)a.p[i]) !=
		    lower((unsigned char)prefix[i]))
			return false;
	}
	return true;
}

struct span
span_trim(struct span a)
{
	while (a.len > 0 && is_ws(a.p[0])) {
		a.p++;
		a.len--;
	}
	while (a.len > 0 && is_ws(a.p[a.len - 1]))
		a.len--;
	return a;
}

size_t
span_skip_ws(struct span *cur)
{
	size_t n = 0;

	while (n < cur->len && is_ws(cur->p[n]))
		n++;
	cur->p += n;
	cur->len -= n;
	return n;
}

int
span_word(struct span *cur, struct span *word_r, size_t max)
{
	size_t n = 0;

	while (n < cur->len && !is_ws(cur->p[n])) {
		if (n == max)
			return -1;
		n++;
	}
	if (n == 0)
		return -1;
	word_r->p = cur->p;
	word_r->len = n;
	cur->p += n;
	cur->len -= n;
	return 0;
}

int
span_u64(struct span *cur, uint64_t *n_r, uint64_t max)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < cur->len && cur->p[i] >= '0' && cur->p[i] <= '9') {
		unsigned d = (unsigned)(cur->p[i] - '0');

		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		i++;
	}
	if (i == 0)
		return -1;
	*n_r = v;
	cur->p += i;
	cur->len -= i;
	return 0;
}

int
span_u32(struct span *cur, uint32_t *n_r, uint32_t max)
{
	uint64_t v;

	if (span_u64(cur, &v, max) < 0)
		return -1;
	*n_r = (uint32_t)v;
	return 0;
}

bool
span_take_ci(struct span *cur, const char *s)
{
	size_t n = strlen(s);

	if (!span_startswith_ci(*cur, s))
		return false;
	cur->p += n;
	cur->len -= n;
	return true;
}

char *
span_dup(struct span a)
{
	char *s = xmalloc(a.len + 1);

	if (a.len > 0)
		memcpy(s, a.p, a.len);
	s[a.len] = '\0';
	return s;
}

bool
span_has_byte(struct span a, char c)
{
	return a.len > 0 && memchr(a.p, c, a.len) != NULL;
}
