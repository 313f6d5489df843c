/* SPDX-License-Identifier: MIT */
/*
 * fuzz_line.c - the bounded line reader. Byte 0 picks the line maximum,
 * byte 1 the read size; the rest is fed like a connection would (only what
 * the buffer has room for). Checks: lines are within the maximum, hold no
 * LF, flags match the bytes, and the results equal those of feeding the same
 * input one byte at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run - feed input in chunks of chunk bytes; returns a digest of results. */
static uint64_t
run(const uint8_t *in, size_t len, size_t max, size_t chunk)
{
	struct line_reader lr;
	struct buf b;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i = 0;

	line_reader_init(&lr, max);
	buf_init(&b, max + 2);
	while (i < len) {
		size_t n = len - i;
		struct span line;
		unsigned flags;
		int r;

		if (n > chunk)
			n = chunk;
		if (n > b.max - buf_avail(&b))
			n = b.max - buf_avail(&b);
		if (n == 0 || buf_append(&b, in + i, n) < 0)
			abort(); /* the reader must always make room */
		i += n;
		while ((r = line_read(&lr, &b, &line, &flags)) != LINE_MORE) {
			h = (h ^ (uint64_t)(r + 2)) * 0x100000001b3ULL;
			if (r == LINE_TOOLONG)
				continue;
			if (r != LINE_OK || line.len > max ||
			    memchr(line.p, '\n', line.len) != NULL)
				abort();
			if (!!(flags & LINE_F_BARE_CR) !=
			        (memchr(line.p, '\r', line.len) != NULL) ||
			    !!(flags & LINE_F_NUL) !=
			        (memchr(line.p, '\0', line.len) != NULL))
				abort();
			h = (h ^ flags) * 0x100000001b3ULL;
			for (size_t k = 0; k < line.len; k++)
				h = (h ^ (uint8_t)line.p[k]) * 0x100000001b3ULL;
			h = (h ^ 0x100) * 0x100000001b3ULL;
		}
	}
	buf_clear(&b);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, chunk;

	if (size < 2)
		return 0;
	max = 1 + data[0] % 64;
	chunk = 1 + data[1];
	if (run(data + 2, size - 2, max, chunk) !=
	    run(data + 2, size - 2, max, 1))
		abort();
	return 0;
}
