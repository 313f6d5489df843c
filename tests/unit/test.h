/* SPDX-License-Identifier: MIT */
/*
 * test.h - the unit test runner. A test file defines test functions and
 * lists them once:
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); CHECK_STR(got, "want"); }
 *   #define TESTS(X) X(test_foo) X(test_bar)
 *   TEST_MAIN(TESTS)
 *
 * Each test prints "ok NAME" or "FAIL NAME" (scripts/test.sh counts them);
 * a failed CHECK prints "file:line: got ..., want ..." and marks the test
 * failed but goes on. "--match SUBSTR" runs only matching tests.
 */
#ifndef OUTPOST_TEST_H
#define OUTPOST_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("  %s:%d: check failed: %s\n", __FILE__,      \
			    __LINE__, #cond);                                \
			test_failed_ = 1;                                    \
		}                                                            \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (g_ != w_) {                                              \
			printf("  %s:%d: %s: got %lld, want %lld\n",         \
			    __FILE__, __LINE__, #got, g_, w_);               \
			test_failed_ = 1;                                    \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_)) {  \
			printf("  %s:%d: %s: got \"%s\", want \"%s\"\n",     \
			    __FILE__, __LINE__, #got, g_ ? g_ : "(null)",    \
			    w_ ? w_ : "(null)");                             \
			test_failed_ = 1;                                    \
		}                                                            \
	} while (0)

#define CHECK_MEM(got, got_len, want, want_len)                              \
	do {                                                                 \
		size_t gl_ = (got_len), wl_ = (want_len);                    \
		if (gl_ != wl_ || memcmp((got), (want), gl_) != 0) {         \
			printf("  %s:%d: %s: got \"%.*s\", want \"%.*s\"\n", \
			    __FILE__, __LINE__, #got, (int)gl_,              \
			    (const char *)(got), (int)wl_,                   \
			    (const char *)(want));                           \
			test_failed_ = 1;                                    \
		}                                                            \
	} while (0)

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_ENTRY_(f) { #f, f },
#define TEST_MAIN(LIST)                                                      \
	static const struct test_case test_cases_[] = { LIST(TEST_ENTRY_) }; \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		const char *match = NULL;                                    \
		int failures = 0;                                            \
		if (argc == 3 && strcmp(argv[1], "--match") == 0)            \
			match = argv[2];                                     \
		setvbuf(stdout, NULL, _IOLBF, 0);                            \
		for (size_t i = 0;                                           \
		     i < sizeof(test_cases_) / sizeof(test_cases_[0]); i++) { \
			if (match && !strstr(test_cases_[i].name, match))    \
				continue;                                    \
			test_failed_ = 0;                                    \
			test_cases_[i].fn();                                 \
			printf("%s %s\n", test_failed_ ? "FAIL" : "ok",      \
			    test_cases_[i].name);                            \
			failures += test_failed_;                            \
		}                                                            \
		return failures ? 1 : 0;                                     \
	}

#endif
