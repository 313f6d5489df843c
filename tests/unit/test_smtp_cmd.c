/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_cmd.c - unit tests for the SMTP command parser: a table of
 * command lines with the verb, argument summary or exact error reply
 * expected, and the verb table's states.
 */
#include <stdio.h>
#include <string.h>

#include "smtp/smtp_cmd.h"
#include "test.h"

struct cmd_case {
	const char *line;
	enum smtp_verb verb;
	const char *want; /* summary on success, reply prefix on error */
};

/* summary - the parsed command as text, for comparing */
static const char *
summary(const struct smtp_cmd *c)
{
	static char out[800];
	static const char *bodies[] = {"", "7BIT", "8BITMIME", "BINARYMIME"};

	switch (c->verb) {
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
		snprintf(out, sizeof(out), "%s|%s|%s%s%s%s",
		         c->addr.is_null ? "<>" : c->addr.local, c->addr.domain,
		         c->has_size ? "size " : "", bodies[c->body],
		         c->smtputf8 ? " utf8" : "",
		         c->has_size ? (c->size == 12345 ? " 12345" : " n")
		                     : "");
		break;
	case SMTP_CMD_BDAT:
		snprintf(out, sizeof(out), "bdat %llu%s",
		         (unsigned long long)c->chunk_size,
		         c->last ? " LAST" : "");
		break;
	default:
		snprintf(out, sizeof(out), "[%.*s]", (int)c->arg.len,
		         c->arg.p ? c->arg.p : "");
		break;
	}
	return out;
}

static const struct cmd_case cases[] = {
    {"EHLO client.example", SMTP_CMD_EHLO, "[client.example]"},
    {"ehlo [192.0.2.1]", SMTP_CMD_EHLO, "[[192.0.2.1]]"},
    {"HELO  client.example  ", SMTP_CMD_HELO, "[client.example]"},
    {"EHLO", SMTP_CMD_EHLO, "501 5.5.4"},
    {"EHLO ", SMTP_CMD_EHLO, "501 5.5.4"},
    {"EHLO a\x80", SMTP_CMD_EHLO, "501 5.5.4"},
    {"MAIL FROM:<a@b.example>", SMTP_CMD_MAIL, "a|b.example|"},
    {"mail from:<a@b.example>", SMTP_CMD_MAIL, "a|b.example|"},
    {"MAIL FROM: <a@b.example>", SMTP_CMD_MAIL, "a|b.example|"},
    {"MAIL FROM:<>", SMTP_CMD_MAIL, "<>||"},
    {"MAIL FROM:<a@b.example> SIZE=12345", SMTP_CMD_MAIL,
     "a|b.example|size  12345"},
    {"MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME SMTPUTF8", SMTP_CMD_MAIL,
     "a|b.example|size 8BITMIME utf8 12345"},
    {"MAIL FROM:<a@b.example> body=binarymime", SMTP_CMD_MAIL,
     "a|b.example|BINARYMIME"},
    {"MAIL FROM:<a@b.example> BODY=7BIT", SMTP_CMD_MAIL, "a|b.example|7BIT"},
    {"MAIL FROM:<a@b.example> BODY=9BIT", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=1x", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=99999999999999999999999", SMTP_CMD_MAIL,
     "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SIZE=1 SIZE=2", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> SMTPUTF8=yes", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> RET=HDRS", SMTP_CMD_MAIL, "555 5.5.4"},
    {"MAIL FROM:<a@b.example>SIZE=1", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<a@b.example> A B C D E F G H I", SMTP_CMD_MAIL, "555 5.5.4"},
    {"MAIL FROM:<j\xc3\xb6@b.example>", SMTP_CMD_MAIL, "553 5.6.7"},
    {"MAIL FROM:<j\xc3\xb6@b.example> SMTPUTF8", SMTP_CMD_MAIL,
     "j\xc3\xb6|b.example| utf8"},
    {"MAIL FROM:a@b.example", SMTP_CMD_MAIL, "501 5.1.7"},
    {"MAIL TO:<a@b.example>", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL", SMTP_CMD_MAIL, "501 5.5.4"},
    {"MAIL FROM:<postmaster>", SMTP_CMD_MAIL, "501 5.1.7"},
    {"RCPT TO:<u@local.example>", SMTP_CMD_RCPT, "u|local.example|"},
    {"RCPT TO:<Postmaster>", SMTP_CMD_RCPT, "Postmaster||"},
    {"RCPT TO:<>", SMTP_CMD_RCPT, "501 5.1.3"},
    {"RCPT TO:<u@local.example> NOTIFY=NEVER", SMTP_CMD_RCPT, "555 5.5.4"},
    {"RCPT FROM:<u@local.example>", SMTP_CMD_RCPT, "501 5.5.4"},
    {"DATA", SMTP_CMD_DATA, "[]"},
    {"DATA x", SMTP_CMD_DATA, "501 5.5.4"},
    {"QUIT", SMTP_CMD_QUIT, "[]"},
    {"RSET", SMTP_CMD_RSET, "[]"},
    {"RSET now", SMTP_CMD_RSET, "501 5.5.4"},
    {"NOOP anything goes", SMTP_CMD_NOOP, "[anything goes]"},
    {"HELP", SMTP_CMD_HELP, "[]"},
    {"VRFY user", SMTP_CMD_VRFY, "[user]"},
    {"VRFY", SMTP_CMD_VRFY, "501 5.5.4"},
    {"EXPN list", SMTP_CMD_EXPN, "[list]"},
    {"STARTTLS", SMTP_CMD_STARTTLS, "[]"},
    {"STARTTLS x", SMTP_CMD_STARTTLS, "501 5.5.4"},
    {"BDAT 100", SMTP_CMD_BDAT, "bdat 100"},
    {"BDAT 0 LAST", SMTP_CMD_BDAT, "bdat 0 LAST"},
    {"bdat 5 last", SMTP_CMD_BDAT, "bdat 5 LAST"},
    {"BDAT", SMTP_CMD_BDAT, "501 5.5.4"},
    {"BDAT -1", SMTP_CMD_BDAT, "501 5.5.4"},
    {"BDAT 5 FIRST", SMTP_CMD_BDAT, "501 5.5.4"},
    {"BDAT 5 LAST x", SMTP_CMD_BDAT, "501 5.5.4"},
    {"BDAT 99999999999999999999", SMTP_CMD_BDAT, "501 5.5.4"},
    {"TURN", SMTP_CMD_OBSOLETE, "502 5.5.1"},
    {"SOML FROM:<a@b>", SMTP_CMD_OBSOLETE, "502 5.5.1"},
    {"SAML FROM:<a@b>", SMTP_CMD_OBSOLETE, "502 5.5.1"},
    {"SEND FROM:<a@b>", SMTP_CMD_OBSOLETE, "502 5.5.1"},
    {"FOO", SMTP_CMD_UNKNOWN, "500 5.5.1"},
    {"", SMTP_CMD_UNKNOWN, "500 5.5.1"},
    {"   ", SMTP_CMD_UNKNOWN, "500 5.5.1"},
    {"MAILFROM:<a@b.example>", SMTP_CMD_UNKNOWN, "500 5.5.1"},
    {"STARTTLSSTARTTLSSTARTTLS", SMTP_CMD_UNKNOWN, "500 5.5.1"},
    {"NOOP \x01", SMTP_CMD_UNKNOWN, "500 5.5.2"},
    {"GET / HTTP/1.1", SMTP_CMD_UNKNOWN, "500 5.5.1"},
};

static void
test_cmd_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmd_case *c = &cases[i];
		struct smtp_cmd cmd;
		const char *reply = NULL;
		int ret = smtp_cmd_parse(span_from_cstr(c->line), &cmd, &reply);
		bool want_err = c->want[0] >= '0' && c->want[0] <= '9';

		if (want_err) {
			if (ret == 0)
				printf("  case %zu: %s\n", i, c->line);
			CHECK_INT(ret, -1);
			if (ret < 0) {
				CHECK_MEM(reply, strlen(c->want), c->want,
				          strlen(c->want));
				CHECK(strlen(reply) > 10);
			}
		} else {
			if (ret < 0)
				printf("  case %zu: %s: %s\n", i, c->line,
				       reply);
			CHECK_INT(ret, 0);
			if (ret == 0)
				CHECK_STR(summary(&cmd), c->want);
		}
		if (c->verb != SMTP_CMD_UNKNOWN || ret == 0)
			CHECK_INT(cmd.verb, c->verb);
	}
}

static void
test_cmd_states(void)
{
	const struct smtp_verb_info *v;

	v = smtp_verb_lookup(SPAN_LIT("mail"));
	CHECK(v != NULL && v->states == SMTP_STATE_HELO);
	v = smtp_verb_lookup(SPAN_LIT("DATA"));
	CHECK(v != NULL && v->states == SMTP_STATE_RCPT);
	v = smtp_verb_lookup(SPAN_LIT("BDAT"));
	CHECK(v != NULL && (v->states & SMTP_STATE_BDAT));
	v = smtp_verb_lookup(SPAN_LIT("STARTTLS"));
	CHECK(v != NULL && !(v->states & SMTP_STATE_MAIL));
	v = smtp_verb_lookup(SPAN_LIT("QUIT"));
	CHECK(v != NULL && v->states == SMTP_STATE_ANY);
	CHECK(smtp_verb_lookup(SPAN_LIT("QUITX")) == NULL);
	CHECK(smtp_verb_lookup(SPAN_LIT("")) == NULL);
}

#define TESTS(X) X(test_cmd_table) X(test_cmd_states)
TEST_MAIN(TESTS)
