/* SPDX-License-Identifier: MIT */
/* test_pop3_cmd.c - POP3 command line parsing. */
#include "pop3/pop3_cmd.h"
#include "test.h"

static struct span
S(const char *s)
{
	return span_from_cstr(s);
}

static void
test_pop3_verbs(void)
{
	struct pop3_cmd cmd;

	CHECK_INT(pop3_cmd_parse(S("STAT"), &cmd), 0);
	CHECK_INT(cmd.verb, POP3_STAT);
	CHECK_INT(cmd.arg_count, 0);
	CHECK_INT(pop3_cmd_parse(S("retr 12"), &cmd), 0);
	CHECK_INT(cmd.verb, POP3_RETR);
	CHECK_INT(cmd.arg_count, 1);
	CHECK(span_eq(cmd.args[0], S("12")));
	CHECK_INT(pop3_cmd_parse(S("Top 1 10"), &cmd), 0);
	CHECK_INT(cmd.verb, POP3_TOP);
	CHECK_INT(cmd.arg_count, 2);
	CHECK_INT(pop3_cmd_parse(S("XTND"), &cmd), 0);
	CHECK_INT(cmd.verb, POP3_UNKNOWN);
}

static void
test_pop3_pass_keeps_spaces(void)
{
	struct pop3_cmd cmd;

	CHECK_INT(pop3_cmd_parse(S("PASS  two words "), &cmd), 0);
	CHECK_INT(cmd.verb, POP3_PASS);
	CHECK(span_eq(cmd.rest, S(" two words ")));
}

static void
test_pop3_bad_lines(void)
{
	struct pop3_cmd cmd;

	CHECK_INT(pop3_cmd_parse(S(""), &cmd), -1);
	CHECK_INT(pop3_cmd_parse(S("QUITTING"), &cmd), -1);
	CHECK_INT(pop3_cmd_parse(S("QU"), &cmd), -1);
	CHECK_INT(pop3_cmd_parse(S("R3TR 1"), &cmd), -1);
	CHECK_INT(pop3_cmd_parse(S("LIST 1 2 3 4 5"), &cmd), -1);
}

static void
test_pop3_msgno(void)
{
	uint32_t n = 0;

	CHECK_INT(pop3_msgno(S("1"), 3, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(pop3_msgno(S("3"), 3, &n), 0);
	CHECK_INT(pop3_msgno(S("4"), 3, &n), -1);
	CHECK_INT(pop3_msgno(S("0"), 3, &n), -1);
	CHECK_INT(pop3_msgno(S("-1"), 3, &n), -1);
	CHECK_INT(pop3_msgno(S("1x"), 3, &n), -1);
	CHECK_INT(pop3_msgno(S("99999999999999999999"), 3, &n), -1);
}

#define TESTS(X)                                                              \
	X(test_pop3_verbs)                                                    \
	X(test_pop3_pass_keeps_spaces) X(test_pop3_bad_lines) X(test_pop3_msgno)
TEST_MAIN(TESTS)
