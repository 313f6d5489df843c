/* SPDX-License-Identifier: MIT */
/*
 * smtp_cmd.h - the SMTP command line parser: one table of verbs with the
 * session states each is allowed in and its flags (Postfix smtpd_cmd_table),
 * and the argument grammar of each verb: EHLO/HELO domain, MAIL FROM:<path>
 * with SIZE=, BODY=7BIT|8BITMIME|BINARYMIME and SMTPUTF8 (RFC 1870, 6152,
 * 3030, 6531), RCPT TO:<path> (with "<postmaster>"), BDAT size [LAST].
 * Pure functions, any thread; the line is untrusted peer bytes without its
 * CRLF.
 */
#ifndef OUTPOST_SMTP_CMD_H
#define OUTPOST_SMTP_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/span.h"
#include "smtp_addr.h"

enum smtp_verb {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
	SMTP_CMD_OBSOLETE, /* TURN SOML SAML SEND ETRN ATRN: 502 */
};

/* Session states a verb may be used in (bit per state). */
enum smtp_state {
	SMTP_STATE_INIT = 1 << 0, /* greeted, no EHLO/HELO yet */
	SMTP_STATE_HELO = 1 << 1, /* EHLO/HELO done, no transaction */
	SMTP_STATE_MAIL = 1 << 2, /* MAIL accepted, no recipient yet */
	SMTP_STATE_RCPT = 1 << 3, /* at least one recipient */
	SMTP_STATE_BDAT = 1 << 4, /* inside a BDAT sequence (not LAST) */
};
#define SMTP_STATE_ANY 0x1f

enum {
	SMTP_CMD_F_NOARGS = 1 << 0, /* anything after the verb: 501 */
	SMTP_CMD_F_SYNC = 1 << 1,   /* RFC 2920 3.1: ends a pipeline group */
	SMTP_CMD_F_PRETLS = 1 << 2, /* allowed before STARTTLS when TLS is
	                               required (submission) */
};

enum smtp_body {
	SMTP_BODY_DEFAULT = 0,
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME,
};

struct smtp_verb_info {
	const char *name;
	enum smtp_verb verb;
	unsigned states; /* enum smtp_state bits */
	unsigned flags;  /* SMTP_CMD_F_* */
};

struct smtp_cmd {
	enum smtp_verb verb;
	const struct smtp_verb_info *info; /* NULL when unknown */
	/* HELO/EHLO domain, VRFY/EXPN/HELP/AUTH argument (trimmed); points
	 * into the parsed line */
	struct span arg;
	/* MAIL / RCPT */
	struct smtp_addr addr;
	bool has_size;
	uint64_t size;
	enum smtp_body body;
	bool smtputf8;
	/* BDAT */
	uint64_t chunk_size;
	bool last;
};

/*
 * smtp_cmd_parse - parse one command line (without CRLF).
 * Returns 0 with *cmd_r filled, or -1 with *reply_r a complete static reply
 * ("501 5.5.4 Syntax: ...", no CRLF); cmd_r->verb is then still set when the
 * verb was recognized (for logging and state accounting).
 */
int smtp_cmd_parse(struct span line, struct smtp_cmd *cmd_r,
                   const char **reply_r);

/* smtp_verb_lookup - the table entry for a verb (case-insensitive). */
const struct smtp_verb_info *smtp_verb_lookup(struct span verb);

#endif
