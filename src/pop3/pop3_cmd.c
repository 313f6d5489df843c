/* SPDX-License-Identifier: MIT */
/*
 * pop3_cmd.c - POP3 command line parsing (RFC 1939 section 3: keywords are
 * three or four characters, case-insensitive, arguments separated by single
 * spaces, each up to 40 characters; we accept runs of spaces and longer
 * arguments up to the line limit). Input is untrusted peer text.
 */
#include <string.h>

#include "pop3_cmd.h"

static const struct {
	const char *name;
	enum pop3_verb verb;
} verbs[] = {
    {"USER", POP3_USER}, {"PASS", POP3_PASS}, {"APOP", POP3_APOP},
    {"AUTH", POP3_AUTH}, {"STLS", POP3_STLS}, {"CAPA", POP3_CAPA},
    {"STAT", POP3_STAT}, {"LIST", POP3_LIST}, {"RETR", POP3_RETR},
    {"DELE", POP3_DELE}, {"NOOP", POP3_NOOP}, {"RSET", POP3_RSET},
    {"QUIT", POP3_QUIT}, {"TOP", POP3_TOP},   {"UIDL", POP3_UIDL},
};

int
pop3_cmd_parse(struct span line, struct pop3_cmd *cmd_r)
{
	struct span cur = line, word;
	struct pop3_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	if (span_word(&cur, &word, 4) < 0 || word.len < 3)
		return -1;
	for (size_t i = 0; i < word.len; i++) {
		char ch = word.p[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
			return -1;
	}
	cmd.keyword = word;
	cmd.verb = POP3_UNKNOWN;
	for (size_t i = 0; i < N_ELEMENTS(verbs); i++) {
		if (span_eq_ci(word, verbs[i].name)) {
			cmd.verb = verbs[i].verb;
			break;
		}
	}
	/* a single space separates the keyword from its argument */
	if (cur.len > 0 && (cur.p[0] == ' ' || cur.p[0] == '\t')) {
		cmd.rest.p = cur.p + 1;
		cmd.rest.len = cur.len - 1;
	}
	for (;;) {
		span_skip_ws(&cur);
		if (cur.len == 0)
			break;
		if (cmd.arg_count == POP3_MAX_ARGS)
			return -1;
		if (span_word(&cur, &cmd.args[cmd.arg_count], cur.len) < 0)
			return -1;
		cmd.arg_count++;
	}
	*cmd_r = cmd;
	return 0;
}

int
pop3_msgno(struct span arg, uint32_t max, uint32_t *n_r)
{
	struct span cur = arg;
	uint32_t n;

	if (span_u32(&cur, &n, UINT32_MAX) < 0 || cur.len != 0 || n == 0 ||
	    n > max)
		return -1;
	*n_r = n;
	return 0;
}
