/* SPDX-License-Identifier: MIT */
/*
 * test_imap_util.c - the IMAP session's pure pieces: sequence sets, flag
 * lists and keywords, LIST pattern matching, dates, quoting, modified UTF-7.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "imap/imap_parser.h"
#include "imap/imap_util.h"
#include "store/store.h"
#include "test.h"

static void
test_seqset(void)
{
	struct imap_seqset set;

	CHECK(imap_seqset_parse("1:3,7,10:*", &set) == 0);
	CHECK_INT(set.count, 3);
	CHECK(imap_seqset_contains(&set, 2, 20));
	CHECK(!imap_seqset_contains(&set, 5, 20));
	CHECK(imap_seqset_contains(&set, 7, 20));
	CHECK(imap_seqset_contains(&set, 15, 20));
	CHECK(imap_seqset_contains(&set, 20, 20));
	CHECK(!imap_seqset_contains(&set, 21, 20));
	CHECK_INT(imap_seqset_max(&set, 20), 20);
	imap_seqset_clear(&set);
	/* reversed range and '*' below the start: "*:4" = "4:*" */
	CHECK(imap_seqset_parse("5:2", &set) == 0);
	CHECK(imap_seqset_contains(&set, 3, 9));
	CHECK(!imap_seqset_contains(&set, 6, 9));
	imap_seqset_clear(&set);
	CHECK(imap_seqset_parse("*:4", &set) == 0);
	CHECK(imap_seqset_contains(&set, 4, 3));
	CHECK(imap_seqset_contains(&set, 3, 3));
	CHECK(!imap_seqset_contains(&set, 2, 3));
	imap_seqset_clear(&set);
	CHECK(imap_seqset_parse("4294967295", &set) == 0);
	CHECK(imap_seqset_contains(&set, 4294967295u, 1));
	imap_seqset_clear(&set);
	const char *bad[] = {"",           "0",     "1,", ",1",  "1:", "a",
	                     "4294967296", "1:2:3", "01", "1 2", "-1"};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		if (imap_seqset_parse(bad[i], &set) == 0) {
			printf("  accepted \"%s\"\n", bad[i]);
			CHECK(0);
			imap_seqset_clear(&set);
		}
	}
}

static void
test_flags(void)
{
	struct imap_arg items[] = {
	    {.type = IMAP_ARG_ATOM, .str = "\\Seen", .len = 5},
	    {.type = IMAP_ARG_ATOM, .str = "\\deleted", .len = 8},
	    {.type = IMAP_ARG_ATOM, .str = "$Junk", .len = 5},
	    {.type = IMAP_ARG_ATOM, .str = "\\Recent", .len = 7},
	    {.type = IMAP_ARG_ATOM, .str = "$junk", .len = 5},
	};
	struct imap_arg list = {
	    .type = IMAP_ARG_LIST, .list = items, .count = 5};
	unsigned flags;
	char *kw;
	const char *err;
	struct buf out;

	CHECK(imap_flags_parse(&list, &flags, &kw, &err) == 0);
	CHECK_INT(flags, STORE_F_SEEN | STORE_F_DELETED);
	CHECK_STR(kw, "$Junk");
	buf_init(&out, 1024);
	CHECK(imap_flags_write(&out, flags, kw, true) == 0);
	CHECK_STR(buf_cstr(&out), "\\Seen \\Deleted \\Recent $Junk");
	buf_clear(&out);
	free(kw);

	struct imap_arg bad = {
	    .type = IMAP_ARG_ATOM, .str = "\\Bogus", .len = 6};
	CHECK(imap_flags_parse(&bad, &flags, &kw, &err) < 0);
	bad.str = "a]b";
	CHECK(imap_flags_parse(&bad, &flags, &kw, &err) < 0);
	bad.type = IMAP_ARG_STRING;
	bad.str = "x";
	CHECK(imap_flags_parse(&bad, &flags, &kw, &err) < 0);
	struct imap_arg empty = {.type = IMAP_ARG_LIST};
	CHECK(imap_flags_parse(&empty, &flags, &kw, &err) == 0);
	CHECK_INT(flags, 0);
	CHECK(kw == NULL);
}

static void
test_keywords(void)
{
	char *k;

	k = imap_keywords_apply("a b", "c B", '+');
	CHECK_STR(k, "a b c");
	free(k);
	k = imap_keywords_apply("a b c", "B", '-');
	CHECK_STR(k, "a c");
	free(k);
	k = imap_keywords_apply("a", "a", '-');
	CHECK(k == NULL);
	k = imap_keywords_apply("a", "x y", '=');
	CHECK_STR(k, "x y");
	free(k);
	k = imap_keywords_apply(NULL, NULL, '+');
	CHECK(k == NULL);
	CHECK(imap_keyword_has("Foo Bar", "bar"));
	CHECK(!imap_keyword_has("Foo Bar", "ba"));
}

static void
test_match(void)
{
	CHECK(imap_match("*", "a/b/c", '/'));
	CHECK(imap_match("%", "INBOX", '/'));
	CHECK(!imap_match("%", "a/b", '/'));
	CHECK(imap_match("a/%", "a/b", '/'));
	CHECK(!imap_match("a/%", "a/b/c", '/'));
	CHECK(imap_match("a/*", "a/b/c", '/'));
	CHECK(imap_match("a*c", "abbbc", '/'));
	CHECK(!imap_match("a*c", "abbbd", '/'));
	CHECK(imap_match("", "", '/'));
	CHECK(!imap_match("", "a", '/'));
	CHECK(imap_match("Sent", "Sent", '/'));
	CHECK(!imap_match("Sent", "Sent/x", '/'));
	CHECK(imap_match("%/%", "a/b", '/'));
	CHECK(
	    imap_match("*%*%*%*%*%*%*%*%*%*%b", "aaaaaaaaaaaaaaaaaaaaab", '/'));
	CHECK(!imap_match("*%*%*%*%*%*%*%*%*%*%b", "aaaaaaaaaaaaaaaaaaaaaa",
	                  '/'));
}

static void
test_dates(void)
{
	int64_t t;
	int tz;
	struct buf out;

	CHECK(imap_date_parse("1-Feb-1994", &t) == 0);
	CHECK_INT(t, 760060800);
	CHECK(imap_date_parse("01-feb-1994", &t) == 0);
	CHECK_INT(t, 760060800);
	CHECK(imap_date_parse("1-Foo-1994", &t) < 0);
	CHECK(imap_date_parse("1-Feb-94", &t) < 0);
	/* days past the month's end are no date (leap years allowed) */
	CHECK(imap_date_parse("31-Feb-2020", &t) < 0);
	CHECK(imap_date_parse("30-Feb-2020", &t) < 0);
	CHECK(imap_date_parse("29-Feb-2020", &t) == 0);
	CHECK(imap_date_parse("29-Feb-2021", &t) < 0);
	CHECK(imap_date_parse("29-Feb-2000", &t) == 0);
	CHECK(imap_date_parse("29-Feb-1900", &t) < 0);
	CHECK(imap_date_parse("31-Apr-2020", &t) < 0);
	CHECK(imap_date_parse("31-Dec-2020", &t) == 0);
	CHECK(imap_datetime_parse("31-Jun-1996 02:44:25 +0000", &t, &tz) < 0);
	CHECK(imap_datetime_parse("17-Jul-1996 02:44:25 -0700", &t, &tz) == 0);
	CHECK_INT(t, 837596665);
	CHECK_INT(tz, -420);
	CHECK(imap_datetime_parse(" 7-Jul-1996 02:44:25 +0000", &t, &tz) == 0);
	CHECK(imap_datetime_parse("17-Jul-1996 02:44:25", &t, &tz) < 0);
	CHECK(imap_datetime_parse("17-Jul-1996 25:44:25 +0000", &t, &tz) < 0);
	buf_init(&out, 1024);
	CHECK(imap_datetime_write(&out, 837596665, -420) == 0);
	CHECK_STR(buf_cstr(&out), "\"17-Jul-1996 02:44:25 -0700\"");
	buf_clear(&out);
}

static void
test_strings(void)
{
	struct buf out;

	buf_init(&out, 4096);
	CHECK(imap_write_string(&out, "a\"b\\c", 5, false) == 0);
	CHECK_STR(buf_cstr(&out), "\"a\\\"b\\\\c\"");
	buf_reset(&out);
	CHECK(imap_write_string(&out, "a\r\nb", 4, false) == 0);
	CHECK_STR(buf_cstr(&out), "{4}\r\na\r\nb");
	buf_reset(&out);
	CHECK(imap_write_string(&out, "\xc3\xa9", 2, true) == 0);
	CHECK_STR(buf_cstr(&out), "\"\xc3\xa9\"");
	buf_reset(&out);
	CHECK(imap_write_string(&out, "\xc3\xa9", 2, false) == 0);
	CHECK_STR(buf_cstr(&out), "{2}\r\n\xc3\xa9");
	buf_clear(&out);
}

static void
test_mutf7(void)
{
	/* RFC 3501 5.1.3 example */
	const char *u = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5"
	                "\xe6\x9c\xac\xe8\xaa\x9e";
	char *e = imap_mutf7_encode(u);
	CHECK_STR(e, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	char *d = imap_mutf7_decode(e);
	CHECK_STR(d, u);
	free(e);
	free(d);
	e = imap_mutf7_encode("A&B");
	CHECK_STR(e, "A&-B");
	d = imap_mutf7_decode(e);
	CHECK_STR(d, "A&B");
	free(e);
	free(d);
	e = imap_mutf7_encode("caf\xc3\xa9 \xf0\x9f\x98\x80");
	d = imap_mutf7_decode(e);
	CHECK_STR(d, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	free(e);
	free(d);
	CHECK(imap_mutf7_decode("&Jjo") == NULL);
	CHECK(imap_mutf7_decode("&AGE-") == NULL); /* 'a' encoded */
	d = imap_mutf7_decode("&-");
	CHECK_STR(d, "&");
	free(d);
	CHECK(imap_mutf7_encode("\xff") == NULL);
	d = imap_mutf7_decode("&AOk-");
	CHECK_STR(d, "\xc3\xa9");
	free(d);
}

#define TESTS(X)                                                               \
	X(test_seqset)                                                         \
	X(test_flags)                                                          \
	X(test_keywords)                                                       \
	X(test_match)                                                          \
	X(test_dates)                                                          \
	X(test_strings)                                                        \
	X(test_mutf7)
TEST_MAIN(TESTS)
