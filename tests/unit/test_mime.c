/* SPDX-License-Identifier: MIT */
/*
 * test_mime.c - unit tests for src/mime: ENVELOPE, BODYSTRUCTURE and BODY
 * texts checked byte for byte against RFC 3501 7.4.2 (worked out by hand),
 * section ranges, RFC 2047/2231 decoding, dates, SEARCH matching, header
 * filtering, index corruption, and the depth/part/header-size bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "mime/mime.h"
#include "test.h"

static const char msg_simple[] =
    "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
    "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\r\n"
    "Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
    "<sysservices@example.net>\r\n"
    "Subject: =?ISO-8859-1?Q?Caf=E9?= test\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "Hi.\r\n"
    "Line 2\r\n";

static const char msg_mixed[] =
    "From: a@b.c\r\n"
    "Subject: mp\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "hello\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream; name=a.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    "\r\n"
    "AAECAwQF/w==\r\n"
    "--XX--\r\n"
    "epilogue\r\n";

static const char msg_nested[] =
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "\r\n"
    "plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<b>x</b>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: x@y\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "body\r\n"
    "--outer--\r\n";

static struct mime_index *
parse_str(const char *s)
{
	return mime_index_parse((const uint8_t *)s, strlen(s));
}

/* range - the bytes of a section as a string ("-1" when absent). */
static char *
range(const struct mime_index *x, const char *msg, const char *spec)
{
	uint64_t off, len;

	if (mime_section_range(x, spec, &off, &len) < 0)
		return xstrdup("-1");
	if (off + len > strlen(msg))
		return xstrdup("out of bounds");
	return xstrndup(msg + off, (size_t)len);
}

#define CHECK_RANGE(x, msg, spec, want)                                        \
	do {                                                                   \
		char *got_ = range(x, msg, spec);                              \
		CHECK_STR(got_, want);                                         \
		free(got_);                                                    \
	} while (0)

static void
test_simple_text(void)
{
	struct mime_index *x = parse_str(msg_simple);

	CHECK(x != NULL);
	CHECK_STR(
	    mime_index_envelope(x),
	    "(\"Tue, 1 Jul 2003 10:52:37 +0200\" "
	    "\"=?ISO-8859-1?Q?Caf=E9?= test\" "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Mary Smith\" NIL \"mary\" \"x.test\")"
	    "(NIL NIL \"jdoe\" \"example.org\")"
	    "(\"Who?\" NIL \"one\" \"y.test\")) "
	    "((NIL NIL \"boss\" \"nil.test\")"
	    "(\"Giant; \\\"Big\\\" Box\" NIL \"sysservices\" "
	    "\"example.net\")) NIL NIL \"<1234@local.machine.example>\")");
	CHECK_STR(
	    mime_index_bodystructure(x),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "13 2 NIL NIL NIL NIL)");
	CHECK_STR(
	    mime_index_body(x),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "13 2)");
	CHECK_INT(mime_index_header_len(x), strlen(msg_simple) - 13);
	CHECK_RANGE(x, msg_simple, "", msg_simple);
	CHECK_RANGE(x, msg_simple, "TEXT", "Hi.\r\nLine 2\r\n");
	CHECK_RANGE(x, msg_simple, "text", "Hi.\r\nLine 2\r\n");
	CHECK_RANGE(x, msg_simple, "1", "Hi.\r\nLine 2\r\n");
	CHECK_RANGE(x, msg_simple, "2", "-1");
	CHECK_RANGE(x, msg_simple, "1.1", "Hi.\r\nLine 2\r\n");
	CHECK_RANGE(x, msg_simple, "1.HEADER", "-1");
	CHECK_RANGE(x, msg_simple, "0", "-1");
	CHECK_RANGE(x, msg_simple, "BOGUS", "-1");
	{
		char *hdr = range(x, msg_simple, "HEADER");

		CHECK(strncmp(hdr, "From: ", 6) == 0);
		CHECK(strlen(hdr) > 4 &&
		      strcmp(hdr + strlen(hdr) - 4, "\r\n\r\n") == 0);
		free(hdr);
	}
	CHECK_RANGE(x, msg_simple, "HEADER.FIELDS",
	            "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
	            "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? "
	            "<one@y.test>\r\n"
	            "Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	            "<sysservices@example.net>\r\n"
	            "Subject: =?ISO-8859-1?Q?Caf=E9?= test\r\n"
	            "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
	            "Message-ID: <1234@local.machine.example>\r\n\r\n");
	mime_index_free(&x);
	CHECK(x == NULL);
}

static void
test_multipart_mixed(void)
{
	struct mime_index *x = parse_str(msg_mixed);

	CHECK_STR(
	    mime_index_bodystructure(x),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 0 "
	    "NIL NIL NIL NIL)(\"APPLICATION\" \"OCTET-STREAM\" "
	    "(\"NAME\" \"a.bin\") NIL NIL \"BASE64\" 12 NIL "
	    "(\"ATTACHMENT\" (\"FILENAME\" \"a.bin\")) NIL NIL) \"MIXED\" "
	    "(\"BOUNDARY\" \"XX\") NIL NIL NIL)");
	CHECK_STR(
	    mime_index_body(x),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 0)"
	    "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") NIL NIL "
	    "\"BASE64\" 12) \"MIXED\")");
	CHECK_STR(
	    mime_index_envelope(x),
	    "(NIL \"mp\" ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) "
	    "((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)");
	CHECK_RANGE(x, msg_mixed, "1", "hello");
	CHECK_RANGE(x, msg_mixed, "1.MIME",
	            "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	CHECK_RANGE(x, msg_mixed, "2", "AAECAwQF/w==");
	CHECK_RANGE(
	    x, msg_mixed, "2.MIME",
	    "Content-Type: application/octet-stream; name=a.bin\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n");
	CHECK_RANGE(x, msg_mixed, "3", "-1");
	CHECK_RANGE(x, msg_mixed, "2.1", "AAECAwQF/w==");
	CHECK_RANGE(x, msg_mixed, "2.2", "-1");
	CHECK_RANGE(x, msg_mixed, "2.TEXT", "-1");
	CHECK_RANGE(x, msg_mixed, "TEXT", strstr(msg_mixed, "preamble"));
	mime_index_free(&x);
}

static void
test_nested(void)
{
	struct mime_index *x = parse_str(msg_nested);

	CHECK_STR(
	    mime_index_bodystructure(x),
	    "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "5 0 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 8 0 "
	    "NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL "
	    "NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 33 "
	    "(NIL \"inner\" ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) "
	    "((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) "
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "4 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"MIXED\" "
	    "(\"BOUNDARY\" \"outer\") NIL NIL NIL)");
	CHECK_STR(
	    mime_index_body(x),
	    "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "5 0)(\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 8 0) \"ALTERNATIVE\")"
	    "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 33 "
	    "(NIL \"inner\" ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) "
	    "((NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL) "
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "4 0) 3) \"MIXED\")");
	CHECK_RANGE(
	    x, msg_nested, "1",
	    "--inner\r\n\r\nplain\r\n--inner\r\nContent-Type: text/html\r\n"
	    "\r\n<b>x</b>\r\n--inner--");
	CHECK_RANGE(x, msg_nested, "1.1", "plain");
	CHECK_RANGE(x, msg_nested, "1.1.MIME", "\r\n");
	CHECK_RANGE(x, msg_nested, "1.2", "<b>x</b>");
	CHECK_RANGE(x, msg_nested, "1.2.MIME",
	            "Content-Type: text/html\r\n\r\n");
	CHECK_RANGE(x, msg_nested, "1.3", "-1");
	CHECK_RANGE(x, msg_nested, "1.HEADER", "-1");
	CHECK_RANGE(x, msg_nested, "2",
	            "From: x@y\r\nSubject: inner\r\n\r\nbody");
	CHECK_RANGE(x, msg_nested, "2.HEADER",
	            "From: x@y\r\nSubject: inner\r\n\r\n");
	CHECK_RANGE(x, msg_nested, "2.TEXT", "body");
	CHECK_RANGE(x, msg_nested, "2.1", "body");
	CHECK_RANGE(x, msg_nested, "2.1.MIME",
	            "From: x@y\r\nSubject: inner\r\n\r\n");
	CHECK_RANGE(x, msg_nested, "2.2", "-1");
	CHECK_RANGE(x, msg_nested, "2.MIME",
	            "Content-Type: message/rfc822\r\n\r\n");
	CHECK_RANGE(x, msg_nested, "3", "-1");
	CHECK_RANGE(x, msg_nested, "1..1", "-1");
	CHECK_RANGE(x, msg_nested, "99999999999999999999", "-1");
	mime_index_free(&x);
}

static void
test_broken_multipart(void)
{
	static const char missing_close[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n";
	static const char no_param[] =
	    "Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nhi\r\n";
	static const char not_found[] =
	    "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
	    "--zzz\r\nhi\r\n";
	struct mime_index *x = parse_str(missing_close);

	CHECK_STR(
	    mime_index_bodystructure(x),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "3 0 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1 "
	    "NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)");
	CHECK_RANGE(x, missing_close, "1", "one");
	CHECK_RANGE(x, missing_close, "2", "two\r\n");
	mime_index_free(&x);

	x = parse_str(no_param);
	CHECK_STR(
	    mime_index_bodystructure(x),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "11 3 NIL NIL NIL NIL)");
	CHECK_RANGE(x, no_param, "1", "--b\r\n\r\nhi\r\n");
	mime_index_free(&x);

	x = parse_str(not_found);
	CHECK_STR(
	    mime_index_body(x),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "11 2)");
	mime_index_free(&x);

	/* no header/body separator at all, and an empty message */
	x = parse_str("Subject: only");
	CHECK_INT(mime_index_header_len(x), 13);
	CHECK_RANGE(x, "Subject: only", "TEXT", "");
	CHECK_STR(
	    mime_index_body(x),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "0 0)");
	mime_index_free(&x);
	x = parse_str("");
	CHECK(x != NULL);
	CHECK_STR(mime_index_envelope(x),
	          "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	mime_index_free(&x);
}

static void
test_params_rfc2231(void)
{
	static const char msg[] =
	    "Content-Type: Text/Plain; CharSet=\"ISO-8859-1\"; "
	    "title*=us-ascii'en'This%20is%20%2A; x=\"a\\\"b\"\r\n"
	    "Content-Transfer-Encoding: Quoted-Printable\r\n"
	    "Content-ID: <id@x>\r\n"
	    "Content-Description: desc\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*0*=utf-8''caf%C3%A9; filename*1=\".txt\"\r\n"
	    "Content-Language: en, fr\r\n"
	    "Content-Location: http://x.test/a\r\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	    "\r\n"
	    "Caf=E9\r\n";
	static const char msg2[] =
	    "Content-Type: application/pdf; name*1=\"name.pdf\";"
	    " name*0=\"long\"\r\n"
	    "Content-Language: de\r\n"
	    "\r\n"
	    "x";
	struct mime_index *x = parse_str(msg);

	CHECK_STR(mime_index_bodystructure(x),
	          "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"ISO-8859-1\" \"TITLE\" "
	          "\"This is *\" \"X\" \"a\\\"b\") \"<id@x>\" \"desc\" "
	          "\"QUOTED-PRINTABLE\" 8 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
	          "(\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''caf%C3%A9.txt\")) "
	          "(\"en\" \"fr\") \"http://x.test/a\")");
	mime_index_free(&x);
	x = parse_str(msg2);
	CHECK_STR(
	    mime_index_bodystructure(x),
	    "(\"APPLICATION\" \"PDF\" (\"NAME\" \"longname.pdf\") NIL NIL "
	    "\"7BIT\" 1 NIL NIL \"de\" NIL)");
	mime_index_free(&x);
}

static void
test_rfc2047(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"=?UTF-8?B?w6lsw6h2ZQ==?=", "\xc3\xa9l\xc3\xa8ve"},
	    {"=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Caf\xc3\xa9 cr\xc3\xa8me"},
	    {"=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=", "ab"},
	    {"x =?UTF-8?Q?a?= y", "x a y"},
	    {"=?UTF-8?B?w6k=?=\r\n =?UTF-8?B?w6k=?=", "\xc3\xa9\xc3\xa9"},
	    /* a UTF-8 character split over two words */
	    {"=?UTF-8?B?w6?= =?UTF-8?Q?=A9?=", "\xc3\xa9"},
	    {"=?UTF-8*en?Q?hi?=", "hi"},
	    {"=?ISO-8859-15?Q?=A4?=", "\xe2\x82\xac"},
	    {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
	    {"=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated"},
	    {"=??Q?x?=", "=??Q?x?="},
	    {"plain text", "plain text"},
	    {"=?UTF-8?Q?a?=b", "ab"},
	    {"=?UTF-8?Q?=00x?=", "x"},
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		char *got =
		    mime_rfc2047_decode(cases[i].in, strlen(cases[i].in));

		CHECK_STR(got, cases[i].want);
		free(got);
	}
}

static void
test_header_get_filter(void)
{
	static const char hdr[] = "Subject: =?UTF-8?B?w6lsw6h2ZQ==?=\r\n"
	                          "  folded\r\n"
	                          "X-A: 1\r\n"
	                          "x-b:2\r\n"
	                          "X-A: again\r\n"
	                          "\r\n";
	const char *names[] = {"x-a", "SUBJECT"};
	struct buf out;
	char *v;

	v = mime_header_get((const uint8_t *)hdr, strlen(hdr), "subject");
	CHECK_STR(v, "\xc3\xa9l\xc3\xa8ve  folded");
	free(v);
	v = mime_header_get((const uint8_t *)hdr, strlen(hdr), "X-B");
	CHECK_STR(v, "2");
	free(v);
	CHECK(mime_header_get((const uint8_t *)hdr, strlen(hdr), "x") == NULL);
	buf_init(&out, 4096);
	CHECK_INT(mime_header_filter((const uint8_t *)hdr, strlen(hdr), names,
	                             1, false, &out),
	          0);
	CHECK_MEM(out.data, out.len, "X-A: 1\r\nX-A: again\r\n\r\n", 22);
	buf_reset(&out);
	CHECK_INT(mime_header_filter((const uint8_t *)hdr, strlen(hdr), names,
	                             2, true, &out),
	          0);
	CHECK_MEM(out.data, out.len, "x-b:2\r\n\r\n", 9);
	buf_reset(&out);
	CHECK_INT(mime_header_filter((const uint8_t *)hdr, strlen(hdr), names,
	                             2, false, &out),
	          0);
	CHECK_STR(buf_cstr(&out), "Subject: =?UTF-8?B?w6lsw6h2ZQ==?=\r\n"
	                          "  folded\r\nX-A: 1\r\nX-A: again\r\n\r\n");
	buf_clear(&out);
	buf_init(&out, 10);
	CHECK_INT(mime_header_filter((const uint8_t *)hdr, strlen(hdr), names,
	                             2, false, &out),
	          -1);
	buf_clear(&out);
}

static void
test_addresses(void)
{
	static const char msg[] =
	    "From: \"john doe\"@example.com (John)\r\n"
	    "Sender: <\"a\\\"b\"@x.test>\r\n"
	    "Reply-To: <@r1.test,@r2.test:u@h.test>\r\n"
	    "To: A Group:Ed Jones <c@a.test>,joe@where.test,\r\n"
	    "\tJohn <jdoe@one.test>;, after@x.test\r\n"
	    "Cc: Undisclosed recipients:;\r\n"
	    "Bcc: nodomain, (only comment)\r\n"
	    "In-Reply-To: <a@b>\r\n"
	    "Subject: \xc3\xa9t\xc3\xa9\r\n"
	    "\r\n";
	struct mime_index *x = parse_str(msg);

	CHECK_STR(
	    mime_index_envelope(x),
	    "(NIL {5}\r\n\xc3\xa9t\xc3\xa9 "
	    "((\"John\" NIL \"john doe\" \"example.com\")) "
	    "((NIL NIL \"a\\\"b\" \"x.test\")) "
	    "((NIL \"@r1.test,@r2.test\" \"u\" \"h.test\")) "
	    "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")"
	    "(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" "
	    "\"one.test\")(NIL NIL NIL NIL)(NIL NIL \"after\" \"x.test\")) "
	    "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) "
	    "((NIL NIL \"nodomain\" \"MISSING_DOMAIN\")) \"<a@b>\" NIL)");
	mime_index_free(&x);
}

static void
test_dates(void)
{
	static const struct {
		const char *in;
		int ret;
		int64_t t;
		int tz;
	} cases[] = {
	    {"Tue, 1 Jul 2003 10:52:37 +0200", 0, 1057049557, 120},
	    {"1 Jul 03 10:52 EDT", 0, 1057071120, -240},
	    {"Thu, 13 Feb 1969 23:32:54 -0330", 0, -27723426, -210},
	    {"Fri, 31 Dec 99 23:59:59 GMT", 0, 946684799, 0},
	    {"(c) Sat, 01 Jan 2000 00:00:00 (x) +0000", 0, 946684800, 0},
	    {"Fri, 21 Nov 1997 09:55:06 -0600 (MDT)", 0, 880127706, -360},
	    {"21 Nov 97 09:55:06 CST", 0, 880127706, -360},
	    {"1 Jan 2000 00:00:00 Q", 0, 946684800, 0},
	    {"1 Jan 2000 00:00", 0, 946684800, 0},
	    {"garbage", -1, 0, 0},
	    {"", -1, 0, 0},
	    {"32 Jan 2000 00:00:00 +0000", -1, 0, 0},
	    {"1 Foo 2000 00:00:00 +0000", -1, 0, 0},
	    {"1 Jan 2000", -1, 0, 0},
	    {"1 Jan 2000 25:00:00 +0000", -1, 0, 0},
	    {"1 Jan 2000 10:00:00 +99999", -1, 0, 0},
	    {"1 Jan 123456 10:00:00", -1, 0, 0},
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		int64_t t = 0;
		int tz = 0, r = mime_date_parse(cases[i].in, &t, &tz);

		CHECK_INT(r, cases[i].ret);
		if (r == 0 && cases[i].ret == 0) {
			CHECK_INT(t, cases[i].t);
			CHECK_INT(tz, cases[i].tz);
		}
	}
}

static void
test_search(void)
{
	static const char msg[] =
	    "Subject: =?ISO-8859-1?Q?Caf=E9?= au lait\r\n"
	    "To: someone@example.com\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Cr=E8me br=FBl=\r\n"
	    "=E9e\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "0J/RgNC40LLQtdGC\r\n"
	    "--b\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "\r\n"
	    "secretword\r\n"
	    "--b--\r\n";
	const uint8_t *m = (const uint8_t *)msg;
	size_t n = strlen(msg);

	CHECK(mime_search(m, n, MIME_SEARCH_HEADER, "subject", "CAF\xc3\x89"));
	CHECK(mime_search(m, n, MIME_SEARCH_HEADER, "Subject", "au LAIT"));
	CHECK(!mime_search(m, n, MIME_SEARCH_HEADER, "to", "lait"));
	CHECK(mime_search(m, n, MIME_SEARCH_HEADER, NULL, "EXAMPLE.com"));
	CHECK(mime_search(m, n, MIME_SEARCH_HEADER, "to", ""));
	CHECK(!mime_search(m, n, MIME_SEARCH_HEADER, "cc", ""));
	CHECK(mime_search(m, n, MIME_SEARCH_BODY, NULL, "CR\xc3\x88ME"));
	CHECK(mime_search(m, n, MIME_SEARCH_BODY, NULL,
	                  "br\xc3\xbbl\xc3\xa9"
	                  "e"));
	/* Cyrillic "privet" upper case against the base64 body */
	CHECK(mime_search(m, n, MIME_SEARCH_BODY, NULL,
	                  "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2"));
	CHECK(!mime_search(m, n, MIME_SEARCH_BODY, NULL, "secretword"));
	CHECK(!mime_search(m, n, MIME_SEARCH_BODY, NULL, "lait"));
	CHECK(mime_search(m, n, MIME_SEARCH_TEXT, NULL, "lait"));
	CHECK(mime_search(m, n, MIME_SEARCH_TEXT, NULL, "cr\xc3\xa8me"));
	CHECK(!mime_search(m, n, MIME_SEARCH_TEXT, NULL, "absent"));
}

static const char *const idx_names[] = {
    "Subject",     "FROM",       "to",   "Cc",       "bcc",   "Message-ID",
    "In-Reply-To", "References", "Date", "Reply-To", "Sender"};

/*
 * same_as_search - for every indexed field and each needle, the index
 * answers (never -1 unless allow_unknown) and agrees with mime_search on
 * the message; returns how many answers were -1.
 */
static int
same_as_search(const uint8_t *m, size_t n, const char *const *needles,
               size_t count, bool allow_unknown)
{
	size_t mlen, flen;
	uint8_t *meta = mime_index_build(m, n, &mlen);
	int unknown = 0;

	for (size_t f = 0; f < N_ELEMENTS(idx_names); f++) {
		for (size_t i = 0; i < count; i++) {
			char *folded = mime_search_fold(needles[i], &flen);
			int r = mime_index_header_match(
			    meta, mlen, idx_names[f], folded, flen);
			bool want = mime_search(m, n, MIME_SEARCH_HEADER,
			                        idx_names[f], needles[i]);

			if (r < 0) {
				unknown++;
				if (!allow_unknown)
					printf("  unknown: %s %s\n",
					       idx_names[f], needles[i]);
				CHECK(allow_unknown);
			} else if ((r == 1) != want) {
				printf("  %s %s: index %d, search %d\n",
				       idx_names[f], needles[i], r, want);
				CHECK(false);
			}
			free(folded);
		}
		/* the first value, as mime_header_get gives it */
		char *v = NULL, *want = mime_header_get(m, n, idx_names[f]);
		int r = mime_index_header_first(meta, mlen, idx_names[f], &v);
		if (r >= 0) {
			CHECK_INT(r, want != NULL);
			if (r == 1 && want != NULL)
				CHECK_STR(v, want);
		} else {
			CHECK(allow_unknown);
		}
		free(v);
		free(want);
	}
	free(meta);
	return unknown;
}

static void
test_index_headers(void)
{
	static const char msg[] =
	    "Subject: =?ISO-8859-1?Q?Caf=E9?= au lait\r\n"
	    "\t=?UTF-8?B?w6l0w6k=?=   summer  \r\n"
	    "From: \"Jos\xc3\xa9 P\xc3\xa9rez\" <jose@Example.COM>\r\n"
	    "To: a@example.com,\r\n"
	    " B <b@example.com>\r\n"
	    "Cc: first@x.test\r\n"
	    "Cc: =?utf-8?q?second?= <second@x.test>\r\n"
	    "X-Other: lait\r\n"
	    "Message-ID: <abc.123@host>\r\n"
	    "References: <r1@host>\r\n <r2@host>\r\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
	    "Reply-To: =\r?utf-8?q?odd?=\r\n"
	    "sender : s@x.test\r\n"
	    "In-Reply-To:\r\n"
	    "\r\n"
	    "Subject: not a header\r\n";
	static const char *const needles[] = {
	    "",       "caf\xc3\xa9", "CAF\xc3\x89 AU", "\xc3\xa9t\xc3\xa9",
	    "summer", "lait",        "Jos\xc3\x89",    "EXAMPLE.com",
	    "b@ex",   "second",      "first",          "=?utf-8",
	    "ODD",    "r2@",         "23 nov",         "s@x",
	    "absent", "not a",       "com, b",         "abc.123"};
	const uint8_t *m = (const uint8_t *)msg;
	size_t n = strlen(msg), mlen, flen;
	uint8_t *meta;
	char *f;

	CHECK_INT(same_as_search(m, n, needles, N_ELEMENTS(needles), false), 0);
	meta = mime_index_build(m, n, &mlen);
	/* a few answers spelled out */
	f = mime_search_fold("CAF\xc3\x89", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "SUBJECT", f, flen), 1);
	CHECK_INT(mime_index_header_match(meta, mlen, "To", f, flen), 0);
	free(f);
	f = mime_search_fold("", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "cc", f, flen), 1);
	CHECK_INT(mime_index_header_match(meta, mlen, "In-Reply-To", f, flen),
	          1);
	CHECK_INT(mime_index_header_match(meta, mlen, "bcc", f, flen), 0);
	/* fields not indexed, or any field: the index cannot tell */
	CHECK_INT(mime_index_header_match(meta, mlen, "X-Other", f, flen), -1);
	CHECK_INT(mime_index_header_match(meta, mlen, "", f, flen), -1);
	CHECK_INT(mime_index_header_match(meta, mlen, NULL, f, flen), -1);
	free(f);
	CHECK(mime_index_field_indexed("message-id"));
	CHECK(!mime_index_field_indexed("Message-I"));
	CHECK(!mime_index_field_indexed("X-Other"));
	free(meta);

	/* no header at all, and an empty message */
	CHECK_INT(same_as_search((const uint8_t *)"\r\nbody", 6, needles,
	                         N_ELEMENTS(needles), false),
	          0);
	CHECK_INT(same_as_search((const uint8_t *)"", 0, needles,
	                         N_ELEMENTS(needles), false),
	          0);
	/* no blank line: the header runs to the end */
	CHECK_INT(same_as_search((const uint8_t *)"To: lait\r\nCc: x", 15,
	                         needles, N_ELEMENTS(needles), false),
	          0);
}

static void
test_index_header_fallback(void)
{
	static const char *const needles[] = {"", "needle", "tail", "head",
	                                      "zz"};
	struct buf b;
	size_t mlen, flen, i, pos;
	uint8_t *meta, *old;
	char *f;
	struct mime_index *x;

	/* a value over the cap: only that field falls back */
	buf_init(&b, 1 << 20);
	CHECK_INT(buf_append_str(&b, "To: head\r\nSubject: head "), 0);
	for (i = 0; i < 600; i++)
		CHECK_INT(buf_append_str(&b, "filler \r\n "), 0);
	CHECK_INT(buf_append_str(&b, "needle tail\r\nSubject: short\r\n"
	                             "\r\nbody\r\n"),
	          0);
	meta = mime_index_build(b.data, b.len, &mlen);
	f = mime_search_fold("needle", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "Subject", f, flen), -1);
	CHECK_INT(mime_index_header_match(meta, mlen, "To", f, flen), 0);
	free(f);
	f = mime_search_fold("SHORT", &flen);
	/* a recorded value that matches is a match all the same */
	CHECK_INT(mime_index_header_match(meta, mlen, "Subject", f, flen), 1);
	free(f);
	f = mime_search_fold("", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "subject", f, flen), 1);
	free(f);
	/* the first Subject is the long one: not from the index */
	CHECK_INT(mime_index_header_first(meta, mlen, "Subject", &f), -1);
	CHECK(f == NULL);
	CHECK_INT(mime_index_header_first(meta, mlen, "To", &f), 1);
	CHECK_STR(f, "head");
	free(f);
	free(meta);
	CHECK(same_as_search(b.data, b.len, needles, N_ELEMENTS(needles),
	                     true) > 0);

	/* a field repeated more than recorded */
	buf_reset(&b);
	for (i = 0; i < 8; i++)
		CHECK_INT(buf_printf(&b, "Cc: cc%zu@x.test\r\n", i), 0);
	CHECK_INT(buf_append_str(&b, "\r\n"), 0);
	meta = mime_index_build(b.data, b.len, &mlen);
	f = mime_search_fold("CC1@", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "Cc", f, flen), 1);
	free(f);
	f = mime_search_fold("cc7@", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "Cc", f, flen), -1);
	free(f);
	f = mime_search_fold("cc7@", &flen);
	CHECK_INT(mime_index_header_match(meta, mlen, "To", f, flen), 0);
	free(f);
	CHECK_INT(mime_index_header_first(meta, mlen, "Cc", &f), -1);
	free(meta);
	CHECK(mime_search(b.data, b.len, MIME_SEARCH_HEADER, "cc", "cc7@"));

	/* an index of the old format (version 1, no header section) loads
	 * and answers sections, and header matching falls back */
	buf_reset(&b);
	CHECK_INT(
	    buf_append_str(&b, "Subject: hello\r\nTo: a@b.c\r\n\r\nhi\r\n"), 0);
	meta = mime_index_build(b.data, b.len, &mlen);
	CHECK(memcmp(meta, "OMI\x02", 4) == 0);
	pos = 12;
	for (i = 0; i < 3; i++)
		pos += 4 + (meta[pos] | (size_t)meta[pos + 1] << 8);
	/* the header section: mask, count, then (id, length, bytes) */
	size_t end = pos + 8, count = meta[pos + 4];
	for (i = 0; i < count; i++)
		end += 5 + (meta[end + 1] | (size_t)meta[end + 2] << 8);
	old = xmalloc(mlen);
	memcpy(old, meta, pos);
	memcpy(old + pos, meta + end, mlen - end);
	old[3] = 0x01;
	x = mime_index_load(old, mlen - (end - pos));
	CHECK(x != NULL);
	if (x != NULL) {
		uint64_t off, len;

		CHECK_INT(mime_section_range(x, "TEXT", &off, &len), 0);
		CHECK_INT(off, b.len - 4);
		CHECK(strstr(mime_index_envelope(x), "hello") != NULL);
	}
	mime_index_free(&x);
	f = mime_search_fold("hello", &flen);
	CHECK_INT(mime_index_header_match(old, mlen - (end - pos), "Subject", f,
	                                  flen),
	          -1);
	CHECK_INT(mime_index_header_match(meta, mlen, "Subject", f, flen), 1);
	CHECK_INT(mime_index_header_match(NULL, 0, "Subject", f, flen), -1);
	free(f);
	CHECK_INT(mime_index_header_first(old, mlen - (end - pos), "To", &f),
	          -1);
	/* the version 2 header section inside a version 1 index is corrupt */
	meta[3] = 0x01;
	CHECK(mime_index_load(meta, mlen) == NULL);
	free(old);
	free(meta);
	buf_clear(&b);
}

static void
test_index_header_corrupt(void)
{
	static const char msg[] = "Subject: a =?utf-8?q?b?=\r\n"
	                          "To: x@y.z\r\nCc: c\r\nCc: d\r\n\r\nbody\r\n";
	size_t len, flen, i;
	uint8_t *meta =
	    mime_index_build((const uint8_t *)msg, strlen(msg), &len);
	uint8_t *copy = xmalloc(len);
	char *f = mime_search_fold("b", &flen), *v;

	for (i = 0; i < len; i++) {
		int r = mime_index_header_match(meta, i, "Subject", f, flen);

		CHECK(r >= -1 && r <= 1);
		if (mime_index_header_first(meta, i, "Cc", &v) == 1)
			CHECK_STR(v, "c");
		free(v);
		memcpy(copy, meta, len);
		copy[i] ^= 0x5a;
		r = mime_index_header_match(copy, len, "Cc", f, flen);
		CHECK(r >= -1 && r <= 1);
		if (mime_index_header_first(copy, len, "To", &v) == 1)
			CHECK(strlen(v) <= len);
		free(v);
		copy[i] = 0xff;
		(void)mime_index_header_match(copy, len, "To", f, flen);
		struct mime_index *x = mime_index_load(copy, len);
		mime_index_free(&x);
	}
	free(f);
	free(copy);
	free(meta);
}

static void
test_decoders(void)
{
	struct buf b;
	static const char qp[] = "a=3Db  \r\nc=\r\nd=ZZ=4";
	uint8_t x = 0;

	/* the =XX / %XX pair: either case, nothing read past a non-digit */
	CHECK(mime_hex_byte("3D", &x) && x == 0x3d);
	CHECK(mime_hex_byte("fF", &x) && x == 0xff);
	CHECK(mime_hex_byte("a9z", &x) && x == 0xa9);
	x = 7;
	CHECK(!mime_hex_byte("G0", &x) && !mime_hex_byte("0g", &x));
	CHECK(!mime_hex_byte("4", &x) && !mime_hex_byte("", &x) && x == 7);
	buf_init(&b, 1024);
	CHECK_INT(mime_base64_decode((const uint8_t *)"aGVs\r\nbG8=", 10, &b),
	          0);
	CHECK_MEM(b.data, b.len, "hello", 5);
	buf_reset(&b);
	CHECK_INT(mime_base64_decode((const uint8_t *)"AAECAwQF/w==", 12, &b),
	          0);
	CHECK_MEM(b.data, b.len, "\x00\x01\x02\x03\x04\x05\xff", 7);
	buf_reset(&b);
	CHECK_INT(mime_qp_decode((const uint8_t *)qp, strlen(qp), &b), 0);
	CHECK_MEM(b.data, b.len, "a=b\r\ncd=ZZ=4", 12);
	buf_clear(&b);
	buf_init(&b, 2);
	CHECK_INT(mime_base64_decode((const uint8_t *)"aGVsbG8=", 8, &b), -1);
	buf_clear(&b);
}

static void
test_index_corrupt(void)
{
	size_t len, i;
	uint8_t *meta = mime_index_build((const uint8_t *)msg_nested,
	                                 strlen(msg_nested), &len);
	uint8_t *copy = xmalloc(len);
	struct mime_index *x;

	x = mime_index_load(meta, len);
	CHECK(x != NULL);
	CHECK_RANGE(x, msg_nested, "2.TEXT", "body");
	mime_index_free(&x);
	/* every truncation is rejected */
	for (i = 0; i < len; i++) {
		x = mime_index_load(meta, i);
		CHECK(x == NULL);
		mime_index_free(&x);
	}
	/* a flipped byte either fails or still answers within bounds */
	for (i = 0; i < len; i++) {
		uint64_t off, l;

		memcpy(copy, meta, len);
		copy[i] ^= 0x5a;
		x = mime_index_load(copy, len);
		if (x != NULL) {
			static const char *specs[] = {
			    "",         "1",      "2",   "1.1", "1.2.MIME",
			    "2.HEADER", "2.TEXT", "2.1", "TEXT"};

			for (size_t k = 0; k < N_ELEMENTS(specs); k++) {
				if (mime_section_range(x, specs[k], &off, &l) ==
				    0)
					CHECK(off + l <= strlen(msg_nested));
			}
		}
		mime_index_free(&x);
	}
	/* an offset past the message is rejected */
	memcpy(copy, meta, len);
	copy[len - 32 + 8] = 0xff;
	CHECK(mime_index_load(copy, len) == NULL);
	CHECK(mime_index_load(NULL, 0) == NULL);
	CHECK(mime_index_load((const uint8_t *)"OMI\x02", 4) == NULL);
	free(copy);
	free(meta);
}

static void
test_huge_header(void)
{
	size_t n = 3 * 1024 * 1024, i;
	struct buf b;
	struct mime_index *x;
	uint64_t off, len;

	buf_init(&b, n + 4096);
	CHECK_INT(buf_append_str(&b, "From: a@b.c\r\n"), 0);
	for (i = 0; buf_avail(&b) < 2 * 1024 * 1024; i++)
		CHECK_INT(buf_append_str(&b, "X-Filler: aaaaaaaaaaaaaaaa\r\n"),
		          0);
	CHECK_INT(buf_append_str(&b, "Subject: late\r\n\r\nbody"), 0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	/* fields past the first MIME_MAX_HEADER bytes are not parsed */
	CHECK_STR(
	    mime_index_envelope(x),
	    "(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) "
	    "((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)");
	CHECK_INT(mime_index_header_len(x), b.len - 4);
	CHECK_INT(mime_section_range(x, "TEXT", &off, &len), 0);
	CHECK_INT(off, b.len - 4);
	CHECK_INT(len, 4);
	mime_index_free(&x);

	/* one folded field of 3 MB */
	buf_reset(&b);
	CHECK_INT(buf_append_str(&b, "Subject: x"), 0);
	while (buf_avail(&b) < n)
		CHECK_INT(buf_append_str(&b, "\r\n =?UTF-8?Q?a?= <x@y>, "), 0);
	CHECK_INT(buf_append_str(&b, "\r\n\r\nbody"), 0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	CHECK(strlen(mime_index_envelope(x)) < 2 * 1024 * 1024);
	mime_index_free(&x);
	CHECK(!mime_search(b.data, b.len, MIME_SEARCH_TEXT, NULL, "zzz"));
	buf_clear(&b);
}

static size_t
max_paren_depth(const char *s)
{
	size_t d = 0, max = 0;
	bool q = false;

	for (; *s != '\0'; s++) {
		if (q && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			q = !q;
		else if (!q && *s == '(' && ++d > max)
			max = d;
		else if (!q && *s == ')')
			d--;
	}
	return max;
}

static void
test_deep_nesting(void)
{
	struct buf b;
	struct mime_index *x;
	size_t i, count = 0;
	uint64_t off, len;
	const char *p;
	char spec[128];

	/* 10000 nested multiparts, each with its own boundary */
	buf_init(&b, 64 * 1024 * 1024);
	for (i = 0; i < 10000; i++)
		CHECK_INT(buf_printf(&b,
		                     "Content-Type: multipart/mixed; "
		                     "boundary=b%zu\r\n\r\n--b%zu\r\n",
		                     i, i),
		          0);
	CHECK_INT(buf_append_str(&b, "\r\ndeep\r\n"), 0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	CHECK(max_paren_depth(mime_index_bodystructure(x)) < 30);
	CHECK(strstr(mime_index_bodystructure(x), "OCTET-STREAM") != NULL);
	CHECK_INT(mime_section_range(x, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
	                             &off, &len),
	          0);
	for (i = 0, spec[0] = '\0'; i < 40; i++)
		CHECK_INT(strlcpy_chk(spec + strlen(spec), "2.",
		                      sizeof(spec) - strlen(spec)),
		          0);
	CHECK_INT(mime_section_range(x, spec, &off, &len), -1);
	mime_index_free(&x);

	/* 10000 nested message/rfc822 */
	buf_reset(&b);
	for (i = 0; i < 10000; i++)
		CHECK_INT(buf_append_str(&b, "Content-Type: message/rfc822\r\n"
		                             "\r\n"),
		          0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	CHECK(max_paren_depth(mime_index_bodystructure(x)) < 50);
	mime_index_free(&x);

	/* 5000 parts: at most MIME_MAX_PARTS are described */
	buf_reset(&b);
	CHECK_INT(buf_append_str(&b, "Content-Type: multipart/mixed; "
	                             "boundary=z\r\n\r\n"),
	          0);
	for (i = 0; i < 5000; i++)
		CHECK_INT(buf_append_str(&b, "--z\r\n\r\nx\r\n"), 0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	for (p = mime_index_body(x); (p = strstr(p, "\"TEXT\"")) != NULL; p++)
		count++;
	CHECK(count > 900 && count < 1000);
	CHECK_INT(mime_section_range(x, "5000", &off, &len), -1);
	CHECK_INT(mime_section_range(x, "900", &off, &len), 0);
	CHECK_INT(len, 1);
	mime_index_free(&x);

	/* a nested multipart uses up the parts; its siblings stay in bound */
	buf_reset(&b);
	CHECK_INT(buf_append_str(
	              &b,
	              "Content-Type: multipart/mixed; "
	              "boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; "
	              "boundary=i\r\n\r\n"),
	          0);
	for (i = 0; i < 2000; i++)
		CHECK_INT(buf_append_str(&b, "--i\r\n\r\nx\r\n"), 0);
	CHECK_INT(buf_append_str(&b, "--i--\r\n"), 0);
	for (i = 0; i < 600; i++)
		CHECK_INT(buf_append_str(&b, "--o\r\n\r\ny\r\n"), 0);
	x = mime_index_parse(b.data, b.len);
	CHECK(x != NULL);
	CHECK_INT(mime_section_range(x, "1.990", &off, &len), 0);
	CHECK_INT(mime_section_range(x, "1.1990", &off, &len), -1);
	mime_index_free(&x);
	buf_clear(&b);
}

static void
test_literals(void)
{
	static const char msg[] =
	    "Subject: line\r\n"
	    "Content-Type: text/plain; name=\"a\r\n b\"\r\n"
	    "\r\n";
	struct mime_index *x = parse_str(msg);

	/* unfolding removes the CRLF; the value keeps the space */
	CHECK_STR(
	    mime_index_body(x),
	    "(\"TEXT\" \"PLAIN\" (\"NAME\" \"a b\") NIL NIL \"7BIT\" 0 0)");
	mime_index_free(&x);
	x = parse_str("Content-Type: text/plain; name=\"\xff\"\r\n\r\n");
	CHECK_STR(
	    mime_index_body(x),
	    "(\"TEXT\" \"PLAIN\" (\"NAME\" {1}\r\n\xff) NIL NIL \"7BIT\" 0 0)");
	mime_index_free(&x);
}

/* clang-format off */
#define TESTS(X) \
	X(test_simple_text) \
	X(test_multipart_mixed) \
	X(test_nested) \
	X(test_broken_multipart) \
	X(test_params_rfc2231) \
	X(test_rfc2047) \
	X(test_header_get_filter) \
	X(test_addresses) \
	X(test_dates) \
	X(test_search) \
	X(test_index_headers) \
	X(test_index_header_fallback) \
	X(test_index_header_corrupt) \
	X(test_decoders) \
	X(test_index_corrupt) \
	X(test_huge_header) \
	X(test_deep_nesting) \
	X(test_literals)
/* clang-format on */
TEST_MAIN(TESTS)
