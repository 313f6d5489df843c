/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_addr.c - unit tests for the RFC 5321 path parser: a table of
 * inputs with the flags used and the expected local part and domain (or
 * failure), plus length limits, UTF-8 validation and cursor advance.
 */
#include <stdio.h>
#include <string.h>

#include "smtp/smtp_addr.h"
#include "test.h"

#define NUL SMTP_ADDR_NULL_OK
#define U8 SMTP_ADDR_UTF8
#define PM SMTP_ADDR_POSTMASTER

struct addr_case {
	const char *in;
	unsigned flags;
	const char *want; /* "local|domain", "<>" for null, NULL = error */
	const char *rest; /* what the cursor points at afterwards */
};

static const struct addr_case cases[] = {
    {"<a@b.example>", 0, "a|b.example", ""},
    {"<a@b.example> SIZE=10", 0, "a|b.example", " SIZE=10"},
    {"<first.last+tag@Example.COM>", 0, "first.last+tag|Example.COM", ""},
    {"<>", NUL, "<>", ""},
    {"<>", 0, NULL, NULL},
    {"<> BODY=8BITMIME", NUL, "<>", " BODY=8BITMIME"},
    {"a@b.example", 0, NULL, NULL},
    {"<a@b.example", 0, NULL, NULL},
    {"<a@b.example >", 0, NULL, NULL},
    {"< a@b.example>", 0, NULL, NULL},
    {"<@relay.example:a@b.example>", 0, "a|b.example", ""},
    {"<@r1.example,@r2.example:a@b.example>", 0, "a|b.example", ""},
    {"<@r1.example,r2.example:a@b.example>", 0, NULL, NULL},
    {"<@:a@b.example>", 0, NULL, NULL},
    {"<\"a b\"@b.example>", 0, "\"a b\"|b.example", ""},
    {"<\"ab\"@b.example>", 0, "ab|b.example", ""},
    {"<\"a.b\"@b.example>", 0, "a.b|b.example", ""},
    {"<\"a..b\"@b.example>", 0, "\"a..b\"|b.example", ""},
    {"<\"a\\\"b\"@b.example>", 0, "\"a\\\"b\"|b.example", ""},
    {"<\"\"@b.example>", 0, "\"\"|b.example", ""},
    {"<\"a@b.example>", 0, NULL, NULL},
    {"<a..b@b.example>", 0, NULL, NULL},
    {"<.a@b.example>", 0, NULL, NULL},
    {"<a.@b.example>", 0, NULL, NULL},
    {"<a@b..example>", 0, NULL, NULL},
    {"<a@-b.example>", 0, NULL, NULL},
    {"<a@b-.example>", 0, NULL, NULL},
    {"<a@b_c.example>", 0, NULL, NULL},
    {"<a@>", 0, NULL, NULL},
    {"<@b.example>", 0, NULL, NULL},
    {"<a>", 0, NULL, NULL},
    {"<postmaster>", 0, NULL, NULL},
    {"<postmaster>", PM, "postmaster|", ""},
    {"<PostMaster>", PM, "PostMaster|", ""},
    {"<\"postmaster\">", PM, "postmaster|", ""}, /* same mailbox */
    {"<a@[192.0.2.1]>", 0, "a|[192.0.2.1]", ""},
    {"<a@[IPv6:2001:db8::1]>", 0, "a|[IPv6:2001:db8::1]", ""},
    {"<a@[IPv6:zz::1]>", 0, NULL, NULL},
    {"<a@[192.0.2.256]>", 0, NULL, NULL},
    {"<a@[tag:stuff]>", 0, NULL, NULL},
    {"<a@[]>", 0, NULL, NULL},
    {"<a@b.example\r>", 0, NULL, NULL},
    {"<a\x01@b.example>", 0, NULL, NULL},
    {"<j\xc3\xb6rg@b.example>", 0, NULL, NULL},
    {"<j\xc3\xb6rg@b.example>", U8, "j\xc3\xb6rg|b.example", ""},
    {"<a@m\xc3\xbcnchen.example>", U8, "a|m\xc3\xbcnchen.example", ""},
    {"<a@m\xc3\xbcnchen.example>", 0, NULL, NULL},
    {"<j\xc3@b.example>", U8, NULL, NULL},
    {"<j\xc0\xafrg@b.example>", U8, NULL, NULL},   /* overlong */
    {"<j\xed\xa0\x80@b.example>", U8, NULL, NULL}, /* surrogate */
    {"<\"j\xc3\xb6 x\"@b.example>", U8, "\"j\xc3\xb6 x\"|b.example", ""},
    {"", 0, NULL, NULL},
    {"<", 0, NULL, NULL},
};

static void
test_addr_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];
		struct span cur = span_from_cstr(c->in);
		struct smtp_addr a;
		const char *error = NULL;
		char got[600];
		int ret = smtp_addr_parse(&cur, c->flags, &a, &error);

		if (ret < 0) {
			CHECK(error != NULL);
			snprintf(got, sizeof(got), "error");
		} else if (a.is_null) {
			snprintf(got, sizeof(got), "<>");
		} else {
			snprintf(got, sizeof(got), "%s|%s", a.local, a.domain);
		}
		if (c->want == NULL) {
			if (ret == 0)
				printf("  case %zu: %s\n", i, c->in);
			CHECK_STR(got, "error");
			continue;
		}
		if (ret < 0)
			printf("  case %zu: %s: %s\n", i, c->in, error);
		CHECK_STR(got, c->want);
		if (ret == 0)
			CHECK_MEM(cur.p, cur.len, c->rest, strlen(c->rest));
	}
}

static void
test_addr_utf8_error(void)
{
	struct span cur = span_from_cstr("<j\xc3\xb6rg@b.example>");
	struct smtp_addr a;
	const char *error = NULL;

	CHECK_INT(smtp_addr_parse(&cur, 0, &a, &error), -1);
	CHECK(error == smtp_addr_err_utf8);
	CHECK_INT(smtp_addr_parse(&cur, SMTP_ADDR_UTF8, &a, &error), 0);
	CHECK(a.has_utf8);
}

/* try_lengths - local part of llen and a domain of dlen bytes */
static int
try_lengths(size_t llen, size_t dlen)
{
	char in[1200];
	size_t o = 0;
	struct span cur;
	struct smtp_addr a;
	const char *error;

	in[o++] = '<';
	for (size_t i = 0; i < llen; i++)
		in[o++] = 'l';
	in[o++] = '@';
	/* labels of 9 letters and a dot */
	for (size_t i = 0; i < dlen; i++)
		in[o++] = (i % 10 == 9 && i + 1 < dlen) ? '.' : 'd';
	in[o++] = '>';
	cur.p = in;
	cur.len = o;
	return smtp_addr_parse(&cur, 0, &a, &error);
}

static void
test_addr_lengths(void)
{
	CHECK_INT(try_lengths(64, 10), 0);
	CHECK_INT(try_lengths(65, 10), -1);
	/* 256 octets in all: "<" + 64 + "@" + 189 + ">" */
	CHECK_INT(try_lengths(64, 189), 0);
	CHECK_INT(try_lengths(64, 190), -1);
	CHECK_INT(try_lengths(10, 250), -1);
	CHECK_INT(try_lengths(10, 1000), -1);
}

static void
test_addr_label_length(void)
{
	char in[200];
	struct span cur;
	struct smtp_addr a;
	const char *error;

	memset(in, 'x', sizeof(in));
	memcpy(in, "<a@", 3);
	memcpy(in + 3 + 63, ".example>", 9);
	cur.p = in;
	cur.len = 3 + 63 + 9;
	CHECK_INT(smtp_addr_parse(&cur, 0, &a, &error), 0);
	memcpy(in + 3 + 64, ".example>", 9);
	cur.p = in;
	cur.len = 3 + 64 + 9;
	CHECK_INT(smtp_addr_parse(&cur, 0, &a, &error), -1);
}

static void
test_addr_fmt(void)
{
	struct span cur = span_from_cstr("<Joe@Example.org>");
	struct smtp_addr a;
	const char *error;
	char out[300];

	CHECK_INT(smtp_addr_parse(&cur, 0, &a, &error), 0);
	CHECK_INT(smtp_addr_fmt(&a, out, sizeof(out)), 0);
	CHECK_STR(out, "Joe@Example.org");
	CHECK_INT(smtp_addr_fmt(&a, out, 5), -1);
	cur = span_from_cstr("<>");
	CHECK_INT(smtp_addr_parse(&cur, SMTP_ADDR_NULL_OK, &a, &error), 0);
	CHECK_INT(smtp_addr_fmt(&a, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

static void
test_utf8_valid(void)
{
	CHECK(smtp_utf8_valid("abc", 3));
	CHECK(smtp_utf8_valid("\xe2\x82\xac", 3));
	CHECK(smtp_utf8_valid("\xf0\x9f\x98\x80", 4));
	CHECK(!smtp_utf8_valid("\xe2\x82", 2));
	CHECK(!smtp_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!smtp_utf8_valid("\xe0\x80\x80", 3));     /* overlong */
	CHECK(!smtp_utf8_valid("\xff", 1));
	CHECK(!smtp_utf8_valid("\x80", 1));
}

#define TESTS(X)                                                               \
	X(test_addr_table)                                                     \
	X(test_addr_utf8_error)                                                \
	X(test_addr_lengths)                                                   \
	X(test_addr_label_length)                                              \
	X(test_addr_fmt)                                                       \
	X(test_utf8_valid)
TEST_MAIN(TESTS)
