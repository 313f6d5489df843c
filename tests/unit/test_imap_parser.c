/* SPDX-License-Identifier: MIT */
/*
 * test_imap_parser.c - the IMAP command parser: arguments, literals (sync
 * and LITERAL+), limits with the stream kept in sync, and every input fed
 * whole and one byte at a time with the same result.
 */
#include <stdbool.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "imap/imap_parser.h"
#include "test.h"

static void
dump_args(struct buf *out, const struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];
		int r = 0;
		if (i > 0)
			r |= buf_append_str(out, " ");
		switch (a->type) {
		case IMAP_ARG_ATOM:
			r |= buf_printf(out, "A:%s", a->str);
			break;
		case IMAP_ARG_STRING:
			r |= buf_printf(out, "S:%s", a->str);
			break;
		case IMAP_ARG_LITERAL:
			r |= buf_printf(out, "L%zu:", a->len);
			r |= buf_append(out, a->str, a->len);
			break;
		case IMAP_ARG_NIL:
			r |= buf_append_str(out, "NIL");
			break;
		case IMAP_ARG_LIST:
			r |= buf_append_str(out, "(");
			dump_args(out, a->list, a->count);
			r |= buf_append_str(out, ")");
			break;
		}
		CHECK(r == 0);
	}
}

/* run - feed input (whole or in steps of `step` bytes); return the events:
 * "+" for a literal continuation, "[tag NAME args]" per command,
 * "<ERR tag msg>" per refusal. */
static char *
run(const char *input, size_t len, size_t step, size_t max_line, size_t max_lit)
{
	struct imap_parser *p = imap_parser_new(max_line, max_lit);
	struct buf in, out;
	size_t pos = 0;

	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 20);
	while (pos < len || buf_avail(&in) > 0) {
		size_t n = len - pos < step ? len - pos : step;
		if (n > 0) {
			CHECK(buf_append(&in, input + pos, n) == 0);
			pos += n;
		}
		for (;;) {
			const struct imap_cmd *cmd = NULL;
			int r = imap_parser_feed(p, &in, &cmd);
			if (r == IMAP_PARSE_MORE)
				break;
			if (r == IMAP_PARSE_LITERAL) {
				CHECK(buf_append_str(&out, "+") == 0);
			} else if (r == IMAP_PARSE_DONE) {
				CHECK(buf_printf(&out, "[%s %s", cmd->tag,
				                 cmd->name) == 0);
				if (cmd->count > 0)
					CHECK(buf_append_str(&out, " ") == 0);
				dump_args(&out, cmd->args, cmd->count);
				CHECK(buf_append_str(&out, "]") == 0);
			} else {
				const char *tag, *msg;
				bool toobig;
				imap_parser_error(p, &tag, &msg, &toobig);
				CHECK(buf_printf(&out, "<ERR %s%s %s>",
				                 tag ? tag : "*",
				                 toobig ? " TOOBIG" : "",
				                 msg) == 0);
			}
		}
		if (n == 0)
			break;
	}
	char *res = xstrdup(buf_cstr(&out));
	buf_clear(&in);
	buf_clear(&out);
	imap_parser_free(&p);
	return res;
}

/* check_both - whole input and one byte at a time give want. */
static void
check_both(const char *input, const char *want)
{
	size_t len = strlen(input);
	char *got = run(input, len, len == 0 ? 1 : len, 200, 100);
	CHECK_STR(got, want);
	free(got);
	got = run(input, len, 1, 200, 100);
	CHECK_STR(got, want);
	free(got);
	got = run(input, len, 7, 200, 100);
	CHECK_STR(got, want);
	free(got);
}

static void
test_simple(void)
{
	check_both("a1 NOOP\r\n", "[a1 NOOP]");
	check_both("a1 noop\n", "[a1 NOOP]");
	check_both("A2 LOGIN user pass\r\n", "[A2 LOGIN A:user A:pass]");
	check_both("\r\na3 CAPABILITY\r\n", "[a3 CAPABILITY]");
	check_both("a1 NOOP\r\na2 NOOP\r\n", "[a1 NOOP][a2 NOOP]");
}

static void
test_quoted(void)
{
	check_both("t LOGIN \"us er\" \"p\\\"a\\\\ss\"\r\n",
	           "[t LOGIN S:us er S:p\"a\\ss]");
	check_both("t SELECT \"\"\r\n", "[t SELECT S:]");
	check_both("t LOGIN \"abc\r\n", "<ERR t Unterminated quoted string>");
	check_both("t LOGIN \"a\\bc\"\r\nu NOOP\r\n",
	           "<ERR t Bad escape in quoted string>[u NOOP]");
	check_both("t LOGIN \"a\"\"b\"\r\n",
	           "<ERR t Missing space between arguments>");
}

static void
test_nil_lists(void)
{
	check_both("t ID NIL\r\n", "[t ID NIL]");
	check_both("t ID (\"name\" \"x\" \"version\" nil)\r\n",
	           "[t ID (S:name S:x S:version NIL)]");
	check_both("t STORE 1:* +FLAGS.SILENT (\\Seen \\Deleted)\r\n",
	           "[t STORE A:1:* A:+FLAGS.SILENT (A:\\Seen A:\\Deleted)]");
	check_both("t X (a (b (c)) ())\r\n", "[t X (A:a (A:b (A:c)) ())]");
	check_both("t X (a\r\n", "<ERR t Missing ')'>");
	check_both("t X a)\r\n", "<ERR t Unexpected ')'>");
	check_both("t X ((((((((((((((((((x))))))))))))))))))\r\nu NOOP\r\n",
	           "<ERR t Lists nested too deeply>[u NOOP]");
}

static void
test_fetch_atoms(void)
{
	check_both(
	    "t UID FETCH 1:*,5 (FLAGS BODY.PEEK[HEADER.FIELDS (From "
	    "To)]<0.100>)\r\n",
	    "[t UID A:FETCH A:1:*,5 (A:FLAGS A:BODY.PEEK[HEADER.FIELDS (From "
	    "To)]<0.100>)]");
	check_both("t FETCH 1 BODY[]\r\n", "[t FETCH A:1 A:BODY[]]");
	check_both("t FETCH 1 BODY[1\r\n", "<ERR t Missing ']'>");
	check_both("t LIST \"\" %\r\n", "[t LIST S: A:%]");
	check_both("t LIST \"\" *\r\n", "[t LIST S: A:*]");
}

static void
test_literals(void)
{
	check_both("t LOGIN {4}\r\nuser {4}\r\npass\r\n",
	           "++[t LOGIN L4:user L4:pass]");
	check_both("t LOGIN {4+}\r\nuser {4+}\r\npass\r\n",
	           "[t LOGIN L4:user L4:pass]");
	check_both("t APPEND INBOX (\\Seen) {5}\r\na\r\nb)\r\n",
	           "+[t APPEND A:INBOX (A:\\Seen) L5:a\r\nb)]");
	check_both("t X {0}\r\n\r\n", "+[t X L0:]");
	check_both("t X ({2+}\r\nab)\r\n", "[t X (L2:ab)]");
	/* a literal holding what looks like a command */
	check_both("t X {8+}\r\nu NOOP\r\n\r\n", "[t X L8:u NOOP\r\n]");
}

static void
test_literal_limits(void)
{
	/* sync too large: refused at once, client sends nothing more */
	check_both("t APPEND INBOX {101}\r\nu NOOP\r\n",
	           "<ERR t TOOBIG Literal too large>[u NOOP]");
	/* non-sync too large: its bytes are skipped */
	{
		char in[400];
		memset(in, 0, sizeof(in));
		strlcpy_chk(in, "t APPEND INBOX {101+}\r\n", sizeof(in));
		size_t l = strlen(in);
		memset(in + l, 'x', 101);
		strlcpy_chk(in + l + 101, " more\r\nu NOOP\r\n",
		            sizeof(in) - l - 101);
		check_both(in, "<ERR t TOOBIG Literal too large>[u NOOP]");
	}
	/* total over two literals */
	check_both(
	    "t X {60+}\r\n"
	    "012345678901234567890123456789012345678901234567890123456789"
	    " {50+}\r\n"
	    "01234567890123456789012345678901234567890123456789\r\n"
	    "u NOOP\r\n",
	    "<ERR t TOOBIG Literal too large>[u NOOP]");
	/* huge declared size */
	check_both("t X {99999999999999999999999}\r\nu NOOP\r\n",
	           "<ERR t TOOBIG Literal too large>[u NOOP]");
	/* literal not at the end of the line */
	check_both("t X {3}x\r\nu NOOP\r\n", "<ERR t Bad literal>[u NOOP]");
}

static void
test_line_limits(void)
{
	char in[1200];
	size_t l;

	/* 300-byte line with max 200 */
	strlcpy_chk(in, "t LOGIN ", sizeof(in));
	l = strlen(in);
	memset(in + l, 'a', 300);
	strlcpy_chk(in + l + 300, "\r\nu NOOP\r\n", sizeof(in) - l - 300);
	check_both(in, "<ERR t Command line too long>[u NOOP]");
	/* too long line ending in a {n+} whose bytes must be skipped */
	strlcpy_chk(in + l + 300, " {10+}\r\n0123456789\r\nu NOOP\r\n",
	            sizeof(in) - l - 300);
	check_both(in, "<ERR t Command line too long>[u NOOP]");
	/* lines of one command together count */
	check_both(
	    "t X {1+}\r\na "
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "\r\nu NOOP\r\n",
	    "<ERR t Command line too long>[u NOOP]");
}

static void
test_bad_input(void)
{
	check_both("NOOP\r\n", "<ERR * Missing command>");
	check_both("t+ NOOP\r\n", "<ERR * Invalid tag>");
	check_both("t N@OP\r\n", "<ERR t Invalid command name>");
	check_both("t LOGIN a\rb c\r\nu NOOP\r\n",
	           "<ERR t NUL or CR in command line>[u NOOP]");
	{
		const char in[] = "t LOGIN a\0b\r\nu NOOP\r\n";
		char *got = run(in, sizeof(in) - 1, 1, 200, 100);
		CHECK_STR(got, "<ERR t NUL or CR in command line>[u NOOP]");
		free(got);
	}
	check_both("t X \x01\r\n", "<ERR t Unexpected character>");
}

static void
test_helpers(void)
{
	struct imap_arg a = {.type = IMAP_ARG_LITERAL, .str = "a\0b", .len = 3};
	CHECK(imap_arg_astring(&a) == NULL);
	a.len = 1;
	a.str = "a";
	CHECK_STR(imap_arg_astring(&a), "a");
	CHECK_STR(imap_arg_string(&a), "a");
	CHECK(imap_arg_atom(&a) == NULL);
	a.type = IMAP_ARG_NIL;
	a.str = "NIL";
	CHECK_STR(imap_arg_astring(&a), "NIL");
	CHECK(imap_arg_string(&a) == NULL);
	a.type = IMAP_ARG_LIST;
	CHECK(imap_arg_astring(&a) == NULL);
}

/* limits set between commands apply from the next one */
static void
test_set_limits(void)
{
	struct imap_parser *p = imap_parser_new(50, 10);
	struct buf in;
	const struct imap_cmd *cmd;

	buf_init(&in, 4096);
	CHECK(buf_append_str(&in, "a X {20+}\r\n01234567890123456789\r\n") ==
	      0);
	CHECK_INT(imap_parser_feed(p, &in, &cmd), IMAP_PARSE_ERROR);
	imap_parser_set_limits(p, 50, 100);
	CHECK(buf_append_str(&in, "b X {20+}\r\n01234567890123456789\r\n") ==
	      0);
	CHECK_INT(imap_parser_feed(p, &in, &cmd), IMAP_PARSE_DONE);
	CHECK_STR(cmd->tag, "b");
	CHECK_INT(cmd->args[0].len, 20);
	CHECK(!imap_parser_in_command(p));
	buf_clear(&in);
	imap_parser_free(&p);
}

#define TESTS(X)                                                               \
	X(test_simple)                                                         \
	X(test_quoted)                                                         \
	X(test_nil_lists)                                                      \
	X(test_fetch_atoms)                                                    \
	X(test_literals)                                                       \
	X(test_literal_limits)                                                 \
	X(test_line_limits)                                                    \
	X(test_bad_input)                                                      \
	X(test_helpers)                                                        \
	X(test_set_limits)
TEST_MAIN(TESTS)
