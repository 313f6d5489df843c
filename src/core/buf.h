/* SPDX-License-Identifier: MIT */
/*
 * buf.h - an owned, growable byte buffer with a read cursor and a hard
 * maximum fixed at buf_init(). Appending past the maximum fails (returns -1)
 * and changes nothing; it never aborts.
 *
 * Bytes [off, len) are unread; buf_consume() advances off; appends compact
 * the buffer first when that avoids growing it.
 */
#ifndef OUTPOST_BUF_H
#define OUTPOST_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct buf {
	uint8_t *data;
	size_t off; /* read cursor */
	size_t len; /* end of valid data */
	size_t cap; /* allocated */
	size_t max; /* most unread bytes allowed (len - off <= max) */
};

void buf_init(struct buf *b, size_t max);
void buf_clear(struct buf *b); /* frees memory */
/* buf_reset - drop all content, keep memory. */
void buf_reset(struct buf *b);
static inline size_t
buf_avail(const struct buf *b)
{
	return b->len - b->off;
}
static inline const uint8_t *
buf_rptr(const struct buf *b)
{
	return b->data + b->off;
}
void buf_consume(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *data, size_t len) WARN_UNUSED_RESULT;
int buf_append_str(struct buf *b, const char *s) WARN_UNUSED_RESULT;
int buf_printf(struct buf *b, const char *fmt, ...)
    ATTR_FORMAT(2, 3) WARN_UNUSED_RESULT;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    ATTR_FORMAT(2, 0) WARN_UNUSED_RESULT;
/*
 * buf_reserve - make room for at least n more bytes; returns a pointer to
 * write them at (then call buf_commit with the count written), or NULL when
 * that would pass the maximum.
 */
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);
/* buf_cstr - NUL-terminate the unread bytes (not counted) and return them. */
const char *buf_cstr(struct buf *b);

#endif
