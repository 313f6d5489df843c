/* SPDX-License-Identifier: MIT */
/*
 * line.h - bounded line reader over a struct buf.
 *
 * A line ends at LF; a CR directly before it is part of the terminator.
 * A bare CR elsewhere or a NUL byte is reported in flags, never repaired.
 * The returned span points into the buffer and stays valid until the buffer
 * is next appended to; the line (with its terminator) is already consumed.
 *
 * A line longer than max bytes (without terminator) yields LINE_TOOLONG once;
 * the reader then discards input up to and including the next LF and goes on.
 */
#ifndef OUTPOST_LINE_H
#define OUTPOST_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "span.h"

enum {
	LINE_TOOLONG = -1,
	LINE_MORE = 0,
	LINE_OK = 1,
};

enum {
	LINE_F_BARE_LF = 1 << 0, /* ended by LF without CR */
	LINE_F_BARE_CR = 1 << 1, /* a CR not followed by LF inside */
	LINE_F_NUL = 1 << 2,     /* a NUL byte inside */
};

struct line_reader {
	size_t max;
	bool discarding;
};

void line_reader_init(struct line_reader *lr, size_t max);
/*
 * line_read - next complete line from in. Returns LINE_OK with *line_r and
 * *flags_r set, LINE_MORE when no complete line is buffered, LINE_TOOLONG
 * when a line passed max (reported once per such line).
 */
int line_read(struct line_reader *lr, struct buf *in, struct span *line_r,
              unsigned *flags_r);

#endif
