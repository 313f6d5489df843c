/* SPDX-License-Identifier: MIT */
/*
 * line.c - bounded line reader over a struct buf. Yields complete lines only
 * (terminated by LF, with an optional CR before it), reports bare CR and NUL
 * bytes in flags instead of repairing them, and turns a line longer than the
 * maximum into one LINE_TOOLONG result followed by silent discarding up to the
 * next LF. Runs on the thread that owns the buffer; every byte is untrusted.
 *
 * The input buffer's own maximum should be at least max + 2 so that a line of
 * exactly max bytes plus CRLF fits; a longer line is detected as soon as more
 * than max content bytes are buffered, so memory stays bounded either way.
 */
#include <string.h>

#include "line.h"

void
line_reader_init(struct line_reader *lr, size_t max)
{
	lr->max = max;
	lr->discarding = false;
}

/* line_flags - LINE_F_BARE_CR / LINE_F_NUL for the line content p[0..len). */
static unsigned
line_flags(const char *p, size_t len)
{
	unsigned flags = 0;

	if (memchr(p, '\r', len) != NULL)
		flags |= LINE_F_BARE_CR;
	if (memchr(p, '\0', len) != NULL)
		flags |= LINE_F_NUL;
	return flags;
}

int
line_read(struct line_reader *lr, struct buf *in, struct span *line_r,
          unsigned *flags_r)
{
	const char *p, *lf;
	size_t avail, len;
	bool has_cr;

	for (;;) {
		avail = buf_avail(in);
		if (avail == 0)
			return LINE_MORE;
		p = (const char *)buf_rptr(in);
		if (lr->discarding) {
			lf = memchr(p, '\n', avail);
			if (lf == NULL) {
				buf_consume(in, avail);
				return LINE_MORE;
			}
			buf_consume(in, (size_t)(lf - p) + 1);
			lr->discarding = false;
			continue;
		}
		lf = memchr(p, '\n', avail);
		if (lf == NULL) {
			/* content so far, not counting a CR that may end it */
			len = avail;
			if (p[avail - 1] == '\r')
				len--;
			if (len <= lr->max)
				return LINE_MORE;
			buf_consume(in, avail);
			lr->discarding = true;
			return LINE_TOOLONG;
		}
		len = (size_t)(lf - p);
		has_cr = len > 0 && p[len - 1] == '\r';
		if (has_cr)
			len--;
		if (len > lr->max) {
			buf_consume(in, (size_t)(lf - p) + 1);
			return LINE_TOOLONG;
		}
		*flags_r = line_flags(p, len) | (has_cr ? 0 : LINE_F_BARE_LF);
		line_r->p = p;
		line_r->len = len;
		buf_consume(in, (size_t)(lf - p) + 1);
		return LINE_OK;
	}
}
