/* SPDX-License-Identifier: MIT */
/*
 * imap_parser.h - resumable IMAP command parser (RFC 3501 section 9, RFC
 * 9051, LITERAL+ RFC 7888).
 *
 * Feed it the connection's input buffer whenever bytes arrive; it consumes
 * what it can (copying into its own bounded storage) and returns when a
 * whole command (line plus literals) is in, when it needs more bytes, when a
 * synchronizing literal waits for the "+" continuation, or when the command
 * was refused. Input may stop at any byte. After an error the parser has
 * already skipped the rest of the refused command (including announced
 * non-synchronizing literal bytes), so the stream stays in sync.
 *
 * Limits: max_line bounds the command's text (all lines, without literal
 * data); max_literal bounds the literal bytes of one command together.
 * Literal bytes are stored as they arrive, never pre-allocated from the
 * declared size.
 *
 * Loop thread only; one parser per session.
 */
#ifndef OUTPOST_IMAP_PARSER_H
#define OUTPOST_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum imap_arg_type {
	IMAP_ARG_ATOM,    /* also "\Seen", "1:*", "BODY[HEADER.FIELDS (A)]" */
	IMAP_ARG_STRING,  /* quoted string, escapes removed */
	IMAP_ARG_LITERAL, /* {n} or {n+} data, may hold any byte */
	IMAP_ARG_NIL,     /* the atom NIL (any case) */
	IMAP_ARG_LIST,    /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	const char *str; /* NUL-terminated (for literals: len bytes + NUL) */
	size_t len;
	struct imap_arg *list; /* IMAP_ARG_LIST children */
	size_t count;
};

struct imap_cmd {
	const char *tag;
	const char *name; /* upper-cased */
	struct imap_arg *args;
	size_t count;
};

enum {
	IMAP_PARSE_ERROR = -1,  /* command refused: see imap_parser_error */
	IMAP_PARSE_MORE = 0,    /* all input consumed, command not complete */
	IMAP_PARSE_DONE = 1,    /* *cmd_r valid until the next feed/reset */
	IMAP_PARSE_LITERAL = 2, /* send "+ Ready for literal data", feed on */
};

struct imap_parser;

struct imap_parser *imap_parser_new(size_t max_line, size_t max_literal);
void imap_parser_free(struct imap_parser **p);
/* imap_parser_set_limits - new limits from the next command on. */
void imap_parser_set_limits(struct imap_parser *p, size_t max_line,
                            size_t max_literal);

/*
 * imap_parser_feed - consume bytes of in. Returns one of IMAP_PARSE_*. On
 * DONE, *cmd_r points to the command (owned by the parser; valid until the
 * next imap_parser_feed). After DONE or ERROR the next feed starts a new
 * command.
 */
int imap_parser_feed(struct imap_parser *p, struct buf *in,
                     const struct imap_cmd **cmd_r);

/*
 * imap_parser_error - after IMAP_PARSE_ERROR: the tag to answer with (NULL
 * when none could be read: answer "* BAD"), the message, and whether the
 * refusal is for size (answer "NO [TOOBIG]" rather than BAD).
 */
void imap_parser_error(const struct imap_parser *p, const char **tag_r,
                       const char **msg_r, bool *is_toobig_r);

/* imap_parser_in_command - true while a command is partly read. */
bool imap_parser_in_command(const struct imap_parser *p);

/* Argument helpers. */
/* imap_arg_astring - atom, string, literal (NUL-free) or NIL as text;
 * NULL otherwise. */
const char *imap_arg_astring(const struct imap_arg *a);
/* imap_arg_string - string or literal (NUL-free) only (RFC "string"). */
const char *imap_arg_string(const struct imap_arg *a);
/* imap_arg_atom - atom (or NIL as "NIL") text; NULL otherwise. */
const char *imap_arg_atom(const struct imap_arg *a);

#endif
