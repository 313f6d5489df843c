/* SPDX-License-Identifier: MIT */
/*
 * test_span.c - unit tests for spans and the cursor helpers: equality,
 * case-insensitive matching, trimming, words with a maximum, bounded
 * numbers with overflow, and that failed helpers leave the cursor alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/compat.h"
#include "core/span.h"
#include "test.h"

static void
test_span_eq(void)
{
	struct span a = SPAN_LIT("Hello");
	const char nonul[3] = {'a', 'b', 'c'}; /* not NUL-terminated */
	struct span b = {nonul, 2};

	CHECK(span_eq(a, span_from_cstr("Hello")));
	CHECK(!span_eq(a, span_from_cstr("Hell")));
	CHECK(span_eq(b, SPAN_LIT("ab")));
	CHECK(span_eq_ci(a, "hELLO"));
	CHECK(!span_eq_ci(a, "hello!"));
	CHECK(!span_eq_ci(b, "abc"));
	CHECK(span_startswith_ci(a, "he"));
	CHECK(span_startswith_ci(a, ""));
	CHECK(!span_startswith_ci(b, "abc"));
	CHECK(span_eq(span_from_cstr(""), (struct span){NULL, 0}));
	CHECK(span_has_byte(a, 'l'));
	CHECK(!span_has_byte(b, 'c'));
	CHECK(!span_has_byte((struct span){NULL, 0}, 'x'));
}

static void
test_span_trim_ws(void)
{
	struct span a = span_trim(SPAN_LIT(" \t x y \t"));
	struct span cur = SPAN_LIT("  \tabc");

	CHECK_MEM(a.p, a.len, "x y", 3);
	a = span_trim(SPAN_LIT(" \t "));
	CHECK_INT(a.len, 0);
	CHECK_INT(span_skip_ws(&cur), 3);
	CHECK_MEM(cur.p, cur.len, "abc", 3);
	CHECK_INT(span_skip_ws(&cur), 0);
}

static void
test_span_word(void)
{
	struct span cur = SPAN_LIT("MAIL FROM:<a@b>  x"), w, save;

	CHECK_INT(span_word(&cur, &w, 64), 0);
	CHECK_MEM(w.p, w.len, "MAIL", 4);
	/* at a space: no word, cursor unchanged */
	save = cur;
	CHECK_INT(span_word(&cur, &w, 64), -1);
	CHECK(cur.p == save.p && cur.len == save.len);
	span_skip_ws(&cur);
	/* too long for max: fails, cursor unchanged */
	save = cur;
	CHECK_INT(span_word(&cur, &w, 5), -1);
	CHECK(cur.p == save.p && cur.len == save.len);
	CHECK_INT(span_word(&cur, &w, 10), 0);
	CHECK_MEM(w.p, w.len, "FROM:<a@b>", 10);
	span_skip_ws(&cur);
	CHECK_INT(span_word(&cur, &w, 1), 0);
	CHECK_MEM(w.p, w.len, "x", 1);
	CHECK_INT(cur.len, 0);
	CHECK_INT(span_word(&cur, &w, 1), -1);
}

static void
test_span_numbers(void)
{
	static const struct {
		const char *in;
		uint64_t max;
		int ret;
		uint64_t want;
		size_t rest; /* bytes left after */
	} cases[] = {
	    {"0", 10, 0, 0, 0},
	    {"10", 10, 0, 10, 0},
	    {"11", 10, -1, 0, 2},
	    {"9", 5, -1, 0, 1},
	    {"007x", 10, 0, 7, 1},
	    {"", 10, -1, 0, 0},
	    {"-1", 10, -1, 0, 2},
	    {"+1", 10, -1, 0, 2},
	    {" 1", 10, -1, 0, 2},
	    {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX, 0},
	    {"18446744073709551616", UINT64_MAX, -1, 0, 20},
	    {"99999999999999999999999", UINT64_MAX, -1, 0, 23},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct span cur = span_from_cstr(cases[i].in);
		uint64_t v = 12345;
		int ret = span_u64(&cur, &v, cases[i].max);

		CHECK_INT(ret, cases[i].ret);
		CHECK_INT(cur.len, cases[i].rest);
		if (ret == 0)
			CHECK(v == cases[i].want);
		else
			CHECK_INT(v, 12345); /* output untouched on error */
	}
	{
		struct span cur = SPAN_LIT("4294967295 4294967296");
		uint32_t n = 0;

		CHECK_INT(span_u32(&cur, &n, UINT32_MAX), 0);
		CHECK(n == UINT32_MAX);
		span_skip_ws(&cur);
		CHECK_INT(span_u32(&cur, &n, UINT32_MAX), -1);
		CHECK_INT(cur.len, 10);
	}
}

static void
test_span_take_dup(void)
{
	struct span cur = SPAN_LIT("From:<x>");
	char *s;

	CHECK(!span_take_ci(&cur, "to:"));
	CHECK_INT(cur.len, 8);
	CHECK(span_take_ci(&cur, "FROM:"));
	CHECK_MEM(cur.p, cur.len, "<x>", 3);
	CHECK(!span_take_ci(&cur, "<x>y"));
	s = span_dup(cur);
	CHECK_STR(s, "<x>");
	free(s);
	s = span_dup((struct span){NULL, 0});
	CHECK_STR(s, "");
	free(s);
}

#define TESTS(X)                                                               \
	X(test_span_eq)                                                        \
	X(test_span_trim_ws)                                                   \
	X(test_span_word)                                                      \
	X(test_span_numbers)                                                   \
	X(test_span_take_dup)
TEST_MAIN(TESTS)
