/* SPDX-License-Identifier: MIT */
/*
 * smtp_cmd.c - the SMTP command line parser (see smtp_cmd.h): the verb
 * table and the per-verb argument grammar of RFC 5321 4.1.1 and the
 * extensions we advertise. Replies for syntax errors are decided here so
 * every caller answers alike. Pure code, any thread; input is untrusted.
 */
#include <string.h>

#include "core/compat.h"
#include "smtp_cmd.h"
#include "smtp_limits.h"

#define ANY SMTP_STATE_ANY
#define ST_TXN (SMTP_STATE_MAIL | SMTP_STATE_RCPT)

static const struct smtp_verb_info verbs[] = {
    {"HELO", SMTP_CMD_HELO, ANY, SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"EHLO", SMTP_CMD_EHLO, ANY, SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"MAIL", SMTP_CMD_MAIL, SMTP_STATE_HELO, 0},
    {"RCPT", SMTP_CMD_RCPT, ST_TXN, 0},
    {"DATA", SMTP_CMD_DATA, SMTP_STATE_RCPT,
     SMTP_CMD_F_NOARGS | SMTP_CMD_F_SYNC},
    {"BDAT", SMTP_CMD_BDAT, SMTP_STATE_RCPT | SMTP_STATE_BDAT, 0},
    {"RSET", SMTP_CMD_RSET, ANY, SMTP_CMD_F_NOARGS | SMTP_CMD_F_PRETLS},
    {"VRFY", SMTP_CMD_VRFY, ANY, SMTP_CMD_F_SYNC},
    {"EXPN", SMTP_CMD_EXPN, ANY, SMTP_CMD_F_SYNC},
    {"NOOP", SMTP_CMD_NOOP, ANY, SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"QUIT", SMTP_CMD_QUIT, ANY,
     SMTP_CMD_F_NOARGS | SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"HELP", SMTP_CMD_HELP, ANY, SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"STARTTLS", SMTP_CMD_STARTTLS, SMTP_STATE_INIT | SMTP_STATE_HELO,
     SMTP_CMD_F_NOARGS | SMTP_CMD_F_SYNC | SMTP_CMD_F_PRETLS},
    {"AUTH", SMTP_CMD_AUTH, SMTP_STATE_HELO, SMTP_CMD_F_SYNC},
    {"TURN", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
    {"ATRN", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
    {"ETRN", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
    {"SOML", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
    {"SAML", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
    {"SEND", SMTP_CMD_OBSOLETE, ANY, SMTP_CMD_F_SYNC},
};

const struct smtp_verb_info *
smtp_verb_lookup(struct span verb)
{
	for (size_t i = 0; i < N_ELEMENTS(verbs); i++) {
		if (span_eq_ci(verb, verbs[i].name))
			return &verbs[i];
	}
	return NULL;
}

/* parse_params - RFC 5321 4.1.2 Mail-parameters for MAIL (is_mail) or RCPT */
static int
parse_params(struct span cur, struct smtp_cmd *cmd, bool is_mail,
             const char **reply_r)
{
	unsigned count = 0;
	bool has_body = false;

	for (;;) {
		struct span word, key, val = {NULL, 0};
		const char *eq;

		if (span_skip_ws(&cur) == 0 && cur.len > 0) {
			*reply_r = "501 5.5.4 Syntax error in parameters";
			return -1;
		}
		if (cur.len == 0)
			return 0;
		if (span_word(&cur, &word, 128) < 0) {
			*reply_r = "501 5.5.4 Parameter too long";
			return -1;
		}
		if (++count > SMTP_MAX_PARAMS) {
			*reply_r = "501 5.5.4 Too many parameters";
			return -1;
		}
		key = word;
		eq = memchr(word.p, '=', word.len);
		if (eq != NULL) {
			key.len = (size_t)(eq - word.p);
			val.p = eq + 1;
			val.len = word.len - key.len - 1;
		}
		if (!is_mail) {
			*reply_r = "555 5.5.4 Unsupported RCPT TO parameter";
			return -1;
		}
		if (span_eq_ci(key, "SIZE")) {
			if (cmd->has_size || eq == NULL ||
			    span_u64(&val, &cmd->size, UINT64_MAX / 2) < 0 ||
			    val.len != 0) {
				*reply_r = "501 5.5.4 Bad SIZE parameter";
				return -1;
			}
			cmd->has_size = true;
		} else if (span_eq_ci(key, "BODY")) {
			if (has_body || eq == NULL) {
				*reply_r = "501 5.5.4 Bad BODY parameter";
				return -1;
			}
			if (span_eq_ci(val, "7BIT"))
				cmd->body = SMTP_BODY_7BIT;
			else if (span_eq_ci(val, "8BITMIME"))
				cmd->body = SMTP_BODY_8BITMIME;
			else if (span_eq_ci(val, "BINARYMIME"))
				cmd->body = SMTP_BODY_BINARYMIME;
			else {
				*reply_r = "501 5.5.4 Bad BODY parameter";
				return -1;
			}
			has_body = true;
		} else if (span_eq_ci(key, "SMTPUTF8")) {
			if (eq != NULL || cmd->smtputf8) {
				*reply_r = "501 5.5.4 Bad SMTPUTF8 parameter";
				return -1;
			}
			cmd->smtputf8 = true;
		} else {
			*reply_r = "555 5.5.4 Unsupported MAIL FROM parameter";
			return -1;
		}
	}
}

/* parse_path_cmd - "FROM:<path> params" / "TO:<path> params" */
static int
parse_path_cmd(struct span cur, struct smtp_cmd *cmd, const char **reply_r)
{
	bool is_mail = cmd->verb == SMTP_CMD_MAIL;
	const char *error;
	unsigned flags = SMTP_ADDR_UTF8;

	if (!span_take_ci(&cur, is_mail ? "FROM:" : "TO:")) {
		*reply_r = is_mail ? "501 5.5.4 Syntax: MAIL FROM:<address>"
		                   : "501 5.5.4 Syntax: RCPT TO:<address>";
		return -1;
	}
	/* RFC 5321 has no space here; many clients send one anyway */
	span_skip_ws(&cur);
	flags |= is_mail ? SMTP_ADDR_NULL_OK : SMTP_ADDR_POSTMASTER;
	if (smtp_addr_parse(&cur, flags, &cmd->addr, &error) < 0) {
		*reply_r = is_mail ? "501 5.1.7 Bad sender address syntax"
		                   : "501 5.1.3 Bad recipient address syntax";
		return -1;
	}
	if (parse_params(cur, cmd, is_mail, reply_r) < 0)
		return -1;
	if (is_mail && cmd->addr.has_utf8 && !cmd->smtputf8) {
		*reply_r = "553 5.6.7 UTF-8 address needs SMTPUTF8";
		return -1;
	}
	return 0;
}

/* parse_bdat - RFC 3030: "BDAT" SP chunk-size [ SP end-marker ] */
static int
parse_bdat(struct span cur, struct smtp_cmd *cmd, const char **reply_r)
{
	struct span w;

	if (span_u64(&cur, &cmd->chunk_size, SMTP_MAX_BDAT_CHUNK) < 0)
		goto bad;
	if (cur.len == 0)
		return 0;
	if (span_skip_ws(&cur) == 0 || span_word(&cur, &w, 8) < 0 ||
	    !span_eq_ci(w, "LAST"))
		goto bad;
	span_skip_ws(&cur);
	if (cur.len != 0)
		goto bad;
	cmd->last = true;
	return 0;
bad:
	*reply_r = "501 5.5.4 Syntax: BDAT size [LAST]";
	return -1;
}

/* parse_helo - one domain or address literal, printable ASCII */
static int
parse_helo(struct span arg, struct smtp_cmd *cmd, const char **reply_r)
{
	struct span w, cur = arg;

	if (span_word(&cur, &w, SMTP_MAX_HELO) < 0) {
		*reply_r = cmd->verb == SMTP_CMD_EHLO
		               ? "501 5.5.4 Syntax: EHLO hostname"
		               : "501 5.5.4 Syntax: HELO hostname";
		return -1;
	}
	for (size_t i = 0; i < w.len; i++) {
		unsigned char c = (unsigned char)w.p[i];
		if (c < 0x21 || c > 0x7e) {
			*reply_r = "501 5.5.4 Invalid hostname";
			return -1;
		}
	}
	cmd->arg = w;
	return 0;
}

int
smtp_cmd_parse(struct span line, struct smtp_cmd *cmd_r, const char **reply_r)
{
	struct span cur = line, verb, arg;
	const struct smtp_verb_info *vi;

	memset(cmd_r, 0, sizeof(*cmd_r));
	for (size_t i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*reply_r = "500 5.5.2 Invalid characters in command";
			return -1;
		}
	}
	if (span_word(&cur, &verb, SMTP_MAX_VERB) < 0 ||
	    (vi = smtp_verb_lookup(verb)) == NULL) {
		*reply_r = "500 5.5.1 Command unrecognized";
		return -1;
	}
	cmd_r->verb = vi->verb;
	cmd_r->info = vi;
	if (cur.len > 0 && span_skip_ws(&cur) == 0) {
		/* "MAILX": verb glued to something */
		cmd_r->verb = SMTP_CMD_UNKNOWN;
		cmd_r->info = NULL;
		*reply_r = "500 5.5.1 Command unrecognized";
		return -1;
	}
	arg = span_trim(cur);
	if ((vi->flags & SMTP_CMD_F_NOARGS) && arg.len > 0) {
		*reply_r = "501 5.5.4 No parameters allowed";
		return -1;
	}
	switch (vi->verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		return parse_helo(arg, cmd_r, reply_r);
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
		return parse_path_cmd(arg, cmd_r, reply_r);
	case SMTP_CMD_BDAT:
		return parse_bdat(arg, cmd_r, reply_r);
	case SMTP_CMD_VRFY:
	case SMTP_CMD_EXPN:
	case SMTP_CMD_AUTH:
		if (arg.len == 0) {
			*reply_r = "501 5.5.4 Argument required";
			return -1;
		}
		cmd_r->arg = arg;
		return 0;
	case SMTP_CMD_OBSOLETE:
		*reply_r = "502 5.5.1 Command not supported";
		return -1;
	default:
		cmd_r->arg = arg;
		return 0;
	}
}
