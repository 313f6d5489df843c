/* SPDX-License-Identifier: MIT */
/*
 * buf.c - owned, growable byte buffer with a read cursor and a hard maximum
 * of unread bytes fixed at buf_init(). Appends past the maximum fail and
 * change nothing; memory is compacted (unread bytes moved to the front)
 * before growing. Used by one thread at a time; the bytes are untrusted and
 * never interpreted here.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

#define BUF_MIN_CAP 64

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
	b->max = max;
}

void
buf_clear(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	assert(n <= buf_avail(b));
	if (NEVER(n > buf_avail(b)))
		n = buf_avail(b);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

/* buf_room - ensure cap - len >= n by compacting or growing (no max check). */
static void
buf_room(struct buf *b, size_t n)
{
	size_t unread = buf_avail(b), need, ncap;

	if (b->cap - b->len >= n)
		return;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, unread);
		b->off = 0;
		b->len = unread;
		if (b->cap - b->len >= n)
			return;
	}
	/* callers bound unread + n by max (+1), so this cannot overflow */
	need = unread + n;
	ncap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	/* do not overshoot the maximum by much: it bounds memory per session */
	if (ncap > b->max + 1 && need <= b->max + 1)
		ncap = b->max + 1;
	if (ncap < need)
		ncap = need;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->max || buf_avail(b) > b->max - n)
		return NULL;
	buf_room(b, n);
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	assert(n <= b->cap - b->len);
	if (NEVER(n > b->cap - b->len))
		n = b->cap - b->len;
	b->len += n;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return 0;
	p = buf_reserve(b, len);
	if (p == NULL)
		return -1;
	memcpy(p, data, len);
	b->len += len;
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if (buf_reserve(b, (size_t)n) == NULL)
		return -1;
	buf_room(b, (size_t)n + 1); /* vsnprintf writes a NUL past the text */
	if (vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return -1;
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ret;
}

const char *
buf_cstr(struct buf *b)
{
	buf_room(b, 1);
	b->data[b->len] = '\0';
	return (const char *)b->data + b->off;
}
