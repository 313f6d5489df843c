/* SPDX-License-Identifier: MIT */
/*
 * mem.c - allocation wrappers that abort on exhaustion instead of returning
 * NULL, and the bounded string helpers (strlcpy_chk, snprintf_chk) that
 * report truncation. Any thread. Trusts nothing about its inputs beyond the
 * C string contracts in mem.h; this is the one file allowed to call malloc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

/* oom - the process cannot go on; write a fixed message and abort. */
static void ATTR_NORETURN
oom(void)
{
	static const char msg[] = "outpost: out of memory\n";
	ssize_t n ATTR_UNUSED = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p;

	if (count == 0 || size == 0)
		count = size = 1;
	p = calloc(count, size);
	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *np = realloc(p, size == 0 ? 1 : size);

	if (np == NULL)
		oom();
	return np;
}

void *
xreallocarray(void *p, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		oom();
	return xrealloc(p, count * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	size_t n = strnlen(s, len);
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int
strlcpy_chk(char *dst, const char *src, size_t dstsize)
{
	size_t n = strlen(src);

	if (dstsize == 0)
		return -1;
	if (n >= dstsize) {
		memcpy(dst, src, dstsize - 1);
		dst[dstsize - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
snprintf_chk(char *dst, size_t dstsize, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsize, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= dstsize)
		return -1;
	return 0;
}
