/* SPDX-License-Identifier: MIT */
/*
 * pop3_cmd.h - POP3 command line parsing (RFC 1939, RFC 2449): a keyword of
 * 3-4 letters, then space-separated arguments. Pure; any thread.
 */
#ifndef OUTPOST_POP3_CMD_H
#define OUTPOST_POP3_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "../core/compat.h"
#include "../core/span.h"

#define POP3_MAX_ARGS 4

enum pop3_verb {
	POP3_UNKNOWN,
	POP3_USER,
	POP3_PASS,
	POP3_APOP,
	POP3_AUTH,
	POP3_STLS,
	POP3_CAPA,
	POP3_STAT,
	POP3_LIST,
	POP3_RETR,
	POP3_DELE,
	POP3_NOOP,
	POP3_RSET,
	POP3_QUIT,
	POP3_TOP,
	POP3_UIDL,
};

struct pop3_cmd {
	enum pop3_verb verb;
	struct span keyword;
	/* PASS keeps the rest of the line whole (passwords may hold spaces) */
	struct span rest;
	struct span args[POP3_MAX_ARGS];
	size_t arg_count;
};

/*
 * pop3_cmd_parse - split line (without CRLF). 0 ok (verb may be
 * POP3_UNKNOWN), -1 when the line is empty, the keyword is not 3-4 letters
 * or there are more than POP3_MAX_ARGS arguments.
 */
int pop3_cmd_parse(struct span line, struct pop3_cmd *cmd_r);
/* pop3_msgno - a message number argument: 1..max, else -1. */
int pop3_msgno(struct span arg, uint32_t max, uint32_t *n_r);

#endif
