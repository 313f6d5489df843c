/* SPDX-License-Identifier: MIT */
/*
 * test_buf.c - unit tests for struct buf: the maximum of unread bytes is
 * never passed (appends fail whole and change nothing), consuming and
 * compacting keep the contents, reserve/commit, printf and cstr.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "test.h"

static void
test_buf_append_max(void)
{
	struct buf b;

	buf_init(&b, 10);
	CHECK_INT(buf_avail(&b), 0);
	CHECK_INT(buf_append(&b, "hello", 5), 0);
	CHECK_INT(buf_append_str(&b, "world"), 0);
	CHECK_INT(buf_avail(&b), 10);
	/* full: one more byte fails and changes nothing */
	CHECK_INT(buf_append(&b, "!", 1), -1);
	CHECK_INT(buf_avail(&b), 10);
	CHECK_MEM(buf_rptr(&b), buf_avail(&b), "helloworld", 10);
	CHECK_INT(buf_append(&b, "", 0), 0);
	/* consuming makes room again */
	buf_consume(&b, 5);
	CHECK_MEM(buf_rptr(&b), buf_avail(&b), "world", 5);
	CHECK_INT(buf_append(&b, "12345", 5), 0);
	CHECK_MEM(buf_rptr(&b), buf_avail(&b), "world12345", 10);
	CHECK_INT(buf_append(&b, "123456", 6), -1);
	CHECK(b.cap <= 64); /* compacted, not grown */
	buf_consume(&b, 10);
	CHECK_INT(buf_avail(&b), 0);
	CHECK_INT(b.off, 0);
	buf_clear(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.max, 10);
}

static void
test_buf_compact(void)
{
	struct buf b;
	char chunk[100];
	uint8_t want = 0, got_bad = 0;
	size_t written = 0, read = 0;

	buf_init(&b, 1000);
	/* a stream through the buffer: memory stays near the maximum */
	for (int round = 0; round < 500; round++) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)(uint8_t)(written + i);
		if (buf_append(&b, chunk, sizeof(chunk)) == 0)
			written += sizeof(chunk);
		size_t n = buf_avail(&b) / 2 + 1;

		n = n > buf_avail(&b) ? buf_avail(&b) : n;
		for (size_t i = 0; i < n; i++) {
			want = (uint8_t)(read + i);
			if (buf_rptr(&b)[i] != want)
				got_bad = 1;
		}
		buf_consume(&b, n);
		read += n;
	}
	CHECK_INT(got_bad, 0);
	CHECK(written > 40000);
	CHECK(b.cap <= 1024 + 1);
	buf_clear(&b);
}

static void
test_buf_reserve(void)
{
	struct buf b;
	uint8_t *p;

	buf_init(&b, 16);
	p = buf_reserve(&b, 16);
	CHECK(p != NULL);
	if (p != NULL) {
		memcpy(p, "abc", 3);
		buf_commit(&b, 3);
	}
	CHECK_MEM(buf_rptr(&b), buf_avail(&b), "abc", 3);
	CHECK(buf_reserve(&b, 14) == NULL);
	CHECK(buf_reserve(&b, SIZE_MAX) == NULL);
	CHECK(buf_reserve(&b, 13) != NULL);
	CHECK_INT(buf_avail(&b), 3);
	buf_reset(&b);
	CHECK_INT(buf_avail(&b), 0);
	CHECK(b.data != NULL); /* reset keeps memory */
	buf_clear(&b);
}

static void
test_buf_printf(void)
{
	struct buf b;

	buf_init(&b, 12);
	CHECK_INT(buf_printf(&b, "%d-%s", 42, "ok"), 0);
	CHECK_STR(buf_cstr(&b), "42-ok");
	CHECK_INT(buf_avail(&b), 5);
	/* exactly up to the maximum is allowed */
	CHECK_INT(buf_printf(&b, "%s", "1234567"), 0);
	CHECK_STR(buf_cstr(&b), "42-ok1234567");
	CHECK_INT(buf_printf(&b, "%c", 'x'), -1);
	CHECK_STR(buf_cstr(&b), "42-ok1234567");
	buf_consume(&b, 3);
	CHECK_STR(buf_cstr(&b), "ok1234567");
	CHECK_INT(buf_printf(&b, "%s", "too long"), -1);
	CHECK_STR(buf_cstr(&b), "ok1234567");
	buf_clear(&b);
	/* cstr on a buffer that never held data */
	buf_init(&b, 0);
	CHECK_STR(buf_cstr(&b), "");
	CHECK_INT(buf_append(&b, "x", 1), -1);
	buf_clear(&b);
}

#define TESTS(X)                                                               \
	X(test_buf_append_max)                                                 \
	X(test_buf_compact)                                                    \
	X(test_buf_reserve)                                                    \
	X(test_buf_printf)
TEST_MAIN(TESTS)
