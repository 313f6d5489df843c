/* SPDX-License-Identifier: MIT */
/*
 * imap_parser.c - resumable IMAP command reader and tokenizer.
 *
 * Two stages. The reader (imap_parser_feed) copies one command's bytes out
 * of the connection buffer into bounded storage: line segments (without
 * CRLF) and literal segments, following {n} and {n+} markers at line ends.
 * It never looks inside a line except for the marker, so it is cheap to
 * resume at any byte. When the last line arrives the tokenizer turns the
 * segments into a tree of struct imap_arg.
 *
 * A refused command (too long, too large a literal, bad bytes, bad syntax)
 * is read to its end first: discarded lines are scanned only for a trailing
 * {n+} whose bytes are then skipped, so the next command starts where the
 * client thinks it does. Runs on the loop thread; input is untrusted.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "imap/imap_limits.h"
#include "imap/imap_parser.h"

enum parser_state {
	ST_IDLE,            /* between commands */
	ST_LINE,            /* reading a line segment */
	ST_LITERAL,         /* reading literal bytes */
	ST_DISCARD_LINE,    /* refused: skipping to LF */
	ST_DISCARD_LITERAL, /* refused: skipping {n+} bytes */
};

struct seg {
	size_t off, len;
	bool is_literal;
};

#define MAX_SEGS (2 * IMAP_MAX_LITERALS + 1)
#define TAIL_MAX 32

struct imap_parser {
	size_t max_line, max_literal;
	size_t next_max_line, next_max_literal;
	enum parser_state state;

	struct buf raw; /* segments; literals followed by a NUL */
	struct seg segs[MAX_SEGS];
	size_t seg_count;
	size_t seg_start;     /* raw offset of the current segment */
	size_t line_total;    /* line bytes of finished segments */
	size_t literal_total; /* literal bytes so far */
	uint64_t literal_left;

	char tail[TAIL_MAX]; /* discard mode: end of the skipped line */
	size_t tail_len;

	char err_tag[IMAP_MAX_TAG + 1];
	bool has_err_tag;
	const char *err_msg;
	bool err_toobig;

	/* tokenizer output */
	struct imap_cmd cmd;
	char *strs;
	size_t strs_used, strs_cap;
	size_t arg_total;
};

struct imap_parser *
imap_parser_new(size_t max_line, size_t max_literal)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	p->max_line = p->next_max_line = max_line;
	p->max_literal = p->next_max_literal = max_literal;
	buf_init(&p->raw, 0); /* maximum set per command */
	return p;
}

static void
args_free(struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (args[i].type == IMAP_ARG_LIST)
			args_free(args[i].list, args[i].count);
	}
	free(args);
}

static void
cmd_clear(struct imap_parser *p)
{
	args_free(p->cmd.args, p->cmd.count);
	memset(&p->cmd, 0, sizeof(p->cmd));
	xfree(&p->strs);
	p->strs_used = p->strs_cap = 0;
	p->arg_total = 0;
}

void
imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	cmd_clear(p);
	buf_clear(&p->raw);
	free(p);
	*pp = NULL;
}

void
imap_parser_set_limits(struct imap_parser *p, size_t max_line,
                       size_t max_literal)
{
	p->next_max_line = max_line;
	p->next_max_literal = max_literal;
}

bool
imap_parser_in_command(const struct imap_parser *p)
{
	return p->state != ST_IDLE;
}

void
imap_parser_error(const struct imap_parser *p, const char **tag_r,
                  const char **msg_r, bool *is_toobig_r)
{
	*tag_r = p->has_err_tag ? p->err_tag : NULL;
	*msg_r = p->err_msg != NULL ? p->err_msg : "Syntax error";
	*is_toobig_r = p->err_toobig;
}

/* is_tag_char - ASTRING-CHAR except '+' (RFC 3501 9, "tag"). */
static bool
is_tag_char(uint8_t c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\+", c) == NULL;
}

/* is_atom_char - lenient ATOM-CHAR: also list-wildcards, '\' (flags) and
 * ']' (resp-specials), and 8-bit bytes; never SP ( ) " { or a CTL. */
static bool
is_atom_char(uint8_t c)
{
	if (c < 0x20 || c == 0x7f)
		return false;
	return strchr(" ()\"{", c) == NULL;
}

/* take_tag - the first token of the first segment as the error tag. */
static void
take_tag(struct imap_parser *p)
{
	const uint8_t *s = p->raw.data + p->raw.off;
	size_t avail = buf_avail(&p->raw), n = 0;

	p->has_err_tag = false;
	while (n < avail && n <= IMAP_MAX_TAG && is_tag_char(s[n]))
		n++;
	if (n == 0 || n > IMAP_MAX_TAG || n >= avail || s[n] != ' ')
		return;
	memcpy(p->err_tag, s, n);
	p->err_tag[n] = '\0';
	p->has_err_tag = true;
}

/* finish_error - end the refused command: reset for the next one. */
static int
finish_error(struct imap_parser *p)
{
	take_tag(p);
	p->state = ST_IDLE;
	return IMAP_PARSE_ERROR;
}

/* set_error - remember the first refusal reason of this command. */
static void
set_error(struct imap_parser *p, const char *msg, bool toobig)
{
	if (p->err_msg == NULL) {
		p->err_msg = msg;
		p->err_toobig = toobig;
	}
}

/*
 * literal_marker - does the line end in "{n}" or "{n+}"? Returns true with
 * the size (UINT64_MAX when it does not fit) and whether it is synchronizing.
 */
static bool
literal_marker(const uint8_t *s, size_t len, uint64_t *n_r, bool *sync_r)
{
	size_t i, digits_end;
	uint64_t n = 0;
	bool overflow = false;

	if (len < 3 || s[len - 1] != '}')
		return false;
	i = len - 1;
	*sync_r = true;
	if (s[i - 1] == '+') {
		*sync_r = false;
		i--;
	}
	digits_end = i;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == 0 || i == digits_end || s[i - 1] != '{')
		return false;
	for (size_t k = i; k < digits_end; k++) {
		if (n > (UINT64_MAX - 9) / 10)
			overflow = true;
		else
			n = n * 10 + (uint64_t)(s[k] - '0');
	}
	*n_r = overflow ? UINT64_MAX : n;
	return true;
}

static void
start_command(struct imap_parser *p)
{
	cmd_clear(p);
	buf_reset(&p->raw);
	p->max_line = p->next_max_line;
	p->max_literal = p->next_max_literal;
	/* UNSAFE: config limits are far below SIZE_MAX; the slack holds one
	 * NUL per literal and a CRLF per line. */
	p->raw.max = p->max_line + p->max_literal + 4 * MAX_SEGS + 16;
	p->seg_count = 0;
	p->seg_start = p->raw.len;
	p->line_total = 0;
	p->literal_total = 0;
	p->literal_left = 0;
	p->tail_len = 0;
	p->err_msg = NULL;
	p->err_toobig = false;
	p->has_err_tag = false;
	p->state = ST_LINE;
}

static int tokenize(struct imap_parser *p);

/* tail_add - keep the last TAIL_MAX bytes of a discarded line. */
static void
tail_add(struct imap_parser *p, const uint8_t *s, size_t n)
{
	if (n >= TAIL_MAX) {
		memcpy(p->tail, s + n - TAIL_MAX, TAIL_MAX);
		p->tail_len = TAIL_MAX;
		return;
	}
	if (p->tail_len + n > TAIL_MAX) {
		size_t drop = p->tail_len + n - TAIL_MAX;
		memmove(p->tail, p->tail + drop, p->tail_len - drop);
		p->tail_len -= drop;
	}
	memcpy(p->tail + p->tail_len, s, n);
	p->tail_len += n;
}

/* start_discard - skip the rest of the current line; the bytes of it
 * already stored start the tail, as they may hold part of a {n+}. */
static void
start_discard(struct imap_parser *p)
{
	size_t n = p->raw.len - p->seg_start;

	if (n > TAIL_MAX)
		n = TAIL_MAX;
	p->tail_len = 0;
	if (n > 0)
		tail_add(p, p->raw.data + p->raw.len - n, n);
	p->state = ST_DISCARD_LINE;
}

/* end_discarded_line - a skipped line ended: skip its {n+} or finish. */
static int
end_discarded_line(struct imap_parser *p, const uint8_t *s, size_t len)
{
	uint64_t n;
	bool sync;

	if (literal_marker(s, len, &n, &sync) && !sync) {
		p->literal_left = n;
		p->state = ST_DISCARD_LITERAL;
		return IMAP_PARSE_MORE; /* loop goes on */
	}
	/* With {n} the client waits for "+", which never comes: the tagged
	 * refusal ends the command (RFC 3501 7.5). */
	return finish_error(p);
}

/* line_done - the current line segment is complete in raw (with LF). */
static int
line_done(struct imap_parser *p)
{
	size_t len = p->raw.len - p->seg_start;
	const uint8_t *s = p->raw.data + p->seg_start;
	uint64_t n;
	bool sync, has_lit;

	/* strip LF, and CR before it */
	len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	p->raw.len = p->seg_start + len;
	if (p->seg_count == 0 && len == 0) {
		/* empty line between commands: ignore */
		p->state = ST_IDLE;
		return IMAP_PARSE_MORE;
	}
	if (memchr(s, '\0', len) != NULL || memchr(s, '\r', len) != NULL)
		set_error(p, "NUL or CR in command line", false);
	p->segs[p->seg_count++] =
	    (struct seg){.off = p->seg_start, .len = len, .is_literal = false};
	p->line_total += len;
	has_lit = literal_marker(s, len, &n, &sync);
	if (!has_lit) {
		if (p->err_msg != NULL)
			return finish_error(p);
		p->state = ST_IDLE;
		return tokenize(p);
	}
	if (p->err_msg == NULL) {
		if (p->seg_count + 2 > MAX_SEGS)
			set_error(p, "Too many literals", false);
		else if (n > p->max_literal - p->literal_total)
			set_error(p, "Literal too large", true);
	}
	if (p->err_msg != NULL) {
		if (sync)
			return finish_error(p);
		p->literal_left = n;
		p->state = ST_DISCARD_LITERAL;
		return IMAP_PARSE_MORE;
	}
	p->literal_left = n;
	p->literal_total += (size_t)n;
	p->seg_start = p->raw.len;
	p->state = ST_LITERAL;
	return sync ? IMAP_PARSE_LITERAL : IMAP_PARSE_MORE;
}

int
imap_parser_feed(struct imap_parser *p, struct buf *in,
                 const struct imap_cmd **cmd_r)
{
	for (;;) {
		const uint8_t *s = buf_rptr(in);
		size_t avail = buf_avail(in), take;
		const uint8_t *lf;
		int ret;

		if (p->state == ST_IDLE) {
			if (avail == 0)
				return IMAP_PARSE_MORE;
			start_command(p);
		}
		switch (p->state) {
		case ST_IDLE:
			break;
		case ST_LINE:
			if (avail == 0)
				return IMAP_PARSE_MORE;
			lf = memchr(s, '\n', avail);
			take = lf != NULL ? (size_t)(lf - s) + 1 : avail;
			/* UNSAFE: all terms are bounded by max_line + 2. */
			if (p->line_total + (p->raw.len - p->seg_start) + take >
			    p->max_line + 2) {
				/* keep what fits: the tag, and the tail */
				size_t used =
				    p->line_total + (p->raw.len - p->seg_start);
				size_t fit =
				    used < p->max_line ? p->max_line - used : 0;
				if (fit > 0 && buf_append(&p->raw, s, fit) == 0)
					buf_consume(in, fit);
				set_error(p, "Command line too long", false);
				start_discard(p);
				break;
			}
			if (buf_append(&p->raw, s, take) < 0) {
				set_error(p, "Command too long", false);
				start_discard(p);
				break;
			}
			buf_consume(in, take);
			if (lf == NULL)
				return IMAP_PARSE_MORE;
			ret = line_done(p);
			if (ret != IMAP_PARSE_MORE) {
				if (ret == IMAP_PARSE_DONE)
					*cmd_r = &p->cmd;
				return ret;
			}
			break;
		case ST_LITERAL:
			take = avail < p->literal_left
			           ? avail
			           : (size_t)p->literal_left;
			if (take > 0) {
				if (buf_append(&p->raw, s, take) < 0) {
					/* cannot happen: bounded above */
					set_error(p, "Command too long", true);
					p->state = ST_DISCARD_LITERAL;
					break;
				}
				buf_consume(in, take);
				p->literal_left -= take;
			}
			if (p->literal_left > 0)
				return IMAP_PARSE_MORE;
			p->segs[p->seg_count++] = (struct seg){
			    .off = p->seg_start,
			    .len = p->raw.len - p->seg_start,
			    .is_literal = true,
			};
			if (buf_append(&p->raw, "", 1) < 0) {
				set_error(p, "Command too long", true);
				p->state = ST_DISCARD_LINE;
				break;
			}
			p->seg_start = p->raw.len;
			p->state = ST_LINE;
			break;
		case ST_DISCARD_LINE:
			if (avail == 0)
				return IMAP_PARSE_MORE;
			lf = memchr(s, '\n', avail);
			take = lf != NULL ? (size_t)(lf - s) + 1 : avail;
			tail_add(p, s, take);
			buf_consume(in, take);
			if (lf == NULL)
				return IMAP_PARSE_MORE;
			p->tail_len--; /* LF */
			if (p->tail_len > 0 && p->tail[p->tail_len - 1] == '\r')
				p->tail_len--;
			ret = end_discarded_line(p, (const uint8_t *)p->tail,
			                         p->tail_len);
			if (ret != IMAP_PARSE_MORE)
				return ret;
			break;
		case ST_DISCARD_LITERAL:
			take = avail < p->literal_left
			           ? avail
			           : (size_t)p->literal_left;
			buf_consume(in, take);
			p->literal_left -= take;
			if (p->literal_left > 0)
				return IMAP_PARSE_MORE;
			p->tail_len = 0;
			p->state = ST_DISCARD_LINE;
			break;
		}
	}
}

/* --- tokenizer --- */

struct tok {
	struct imap_parser *p;
	size_t seg;       /* current line segment */
	const uint8_t *s; /* its bytes */
	size_t pos, len;
	const char *error;
};

static bool
tok_end(const struct tok *t)
{
	return t->pos >= t->len;
}

/* strs_add - copy n bytes (+NUL) into the string area. */
static char *
strs_add(struct imap_parser *p, const uint8_t *s, size_t n)
{
	char *d = p->strs + p->strs_used;

	/* The area is sized 2 * line bytes + 16 (tokenize): every string is
	 * at most its source bytes and each source byte yields at most one
	 * token, so this never overruns; keep a defensive check. */
	if (NEVER(p->strs_used + n + 1 > p->strs_cap))
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	p->strs_used += n + 1;
	return d;
}

static struct imap_arg *
arg_new(struct tok *t, struct imap_arg **list, size_t *count, size_t *cap)
{
	if (t->p->arg_total >= IMAP_MAX_ARGS) {
		t->error = "Too many arguments";
		return NULL;
	}
	if (*count == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		*list = xreallocarray(*list, *cap, sizeof(**list));
	}
	t->p->arg_total++;
	struct imap_arg *a = &(*list)[(*count)++];
	memset(a, 0, sizeof(*a));
	return a;
}

static int
tok_quoted(struct tok *t, struct imap_arg *a)
{
	size_t start = t->pos + 1, out = 0;
	char *d;

	/* first pass: find the end and check escapes */
	size_t i = start;
	for (;;) {
		if (i >= t->len) {
			t->error = "Unterminated quoted string";
			return -1;
		}
		uint8_t c = t->s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i + 1 >= t->len ||
			    (t->s[i + 1] != '\\' && t->s[i + 1] != '"')) {
				t->error = "Bad escape in quoted string";
				return -1;
			}
			i++;
		} else if (c == '\0') {
			t->error = "NUL in quoted string";
			return -1;
		}
		i++;
		out++;
	}
	d = strs_add(t->p, t->s + start, 0);
	if (d == NULL) {
		t->error = "Internal limit";
		return -1;
	}
	t->p->strs_used--; /* rewrite: copy unescaped bytes in place */
	for (size_t k = start; k < i; k++) {
		if (t->s[k] == '\\')
			k++;
		t->p->strs[t->p->strs_used++] = (char)t->s[k];
	}
	t->p->strs[t->p->strs_used++] = '\0';
	a->type = IMAP_ARG_STRING;
	a->str = d;
	a->len = out;
	t->pos = i + 1;
	return 0;
}

static int
tok_literal(struct tok *t, struct imap_arg *a)
{
	struct imap_parser *p = t->p;
	uint64_t n;
	bool sync;

	/* the marker must end this line segment; the reader checked its form
	 * and size, so only its position is checked here */
	if (!literal_marker(t->s + t->pos, t->len - t->pos, &n, &sync) ||
	    memchr(t->s + t->pos + 1, '{', t->len - t->pos - 1) != NULL ||
	    t->seg + 1 >= p->seg_count || !p->segs[t->seg + 1].is_literal) {
		t->error = "Bad literal";
		return -1;
	}
	const struct seg *ls = &p->segs[t->seg + 1];
	a->type = IMAP_ARG_LITERAL;
	a->str = (const char *)p->raw.data + ls->off;
	a->len = ls->len;
	/* next line segment */
	t->seg += 2;
	if (t->seg >= p->seg_count) {
		/* cannot happen: a literal is always followed by a line */
		t->error = "Bad literal";
		return -1;
	}
	t->s = p->raw.data + p->segs[t->seg].off;
	t->len = p->segs[t->seg].len;
	t->pos = 0;
	return 0;
}

static int
tok_atom(struct tok *t, struct imap_arg *a)
{
	size_t start = t->pos, i = t->pos;
	int bracket = 0;

	while (i < t->len) {
		uint8_t c = t->s[i];
		if (bracket > 0) {
			/* BODY[HEADER.FIELDS (A B)]: spaces and parens are
			 * part of the section inside brackets */
			if (c == '[')
				bracket++;
			else if (c == ']')
				bracket--;
			else if (c < 0x20 || c == 0x7f || c == '{')
				break;
			i++;
			continue;
		}
		if (!is_atom_char(c))
			break;
		if (c == '[')
			bracket++;
		i++;
	}
	if (bracket > 0) {
		t->error = "Missing ']'";
		return -1;
	}
	if (i == start) {
		t->error = "Unexpected character";
		return -1;
	}
	a->str = strs_add(t->p, t->s + start, i - start);
	if (a->str == NULL) {
		t->error = "Internal limit";
		return -1;
	}
	a->len = i - start;
	a->type = a->len == 3 && strcasecmp(a->str, "NIL") == 0 ? IMAP_ARG_NIL
	                                                        : IMAP_ARG_ATOM;
	t->pos = i;
	return 0;
}

/* tok_list - arguments until ')' (depth > 0) or the end (depth 0). */
static int
tok_list(struct tok *t, unsigned depth, struct imap_arg **list_r,
         size_t *count_r)
{
	struct imap_arg *list = NULL;
	size_t count = 0, cap = 0;
	bool need_sep = false;

	for (;;) {
		if (tok_end(t)) {
			if (depth > 0) {
				t->error = "Missing ')'";
				goto fail;
			}
			break;
		}
		uint8_t c = t->s[t->pos];
		if (c == ' ') {
			t->pos++;
			need_sep = false;
			continue;
		}
		if (c == ')') {
			if (depth == 0) {
				t->error = "Unexpected ')'";
				goto fail;
			}
			t->pos++;
			break;
		}
		if (need_sep) {
			t->error = "Missing space between arguments";
			goto fail;
		}
		struct imap_arg *a = arg_new(t, &list, &count, &cap);
		if (a == NULL)
			goto fail;
		if (c == '(') {
			if (depth + 1 >= IMAP_MAX_LIST_DEPTH) {
				t->error = "Lists nested too deeply";
				goto fail;
			}
			t->pos++;
			a->type = IMAP_ARG_LIST;
			if (tok_list(t, depth + 1, &a->list, &a->count) < 0)
				goto fail;
		} else if (c == '"') {
			if (tok_quoted(t, a) < 0)
				goto fail;
		} else if (c == '{') {
			if (tok_literal(t, a) < 0)
				goto fail;
		} else if (tok_atom(t, a) < 0) {
			goto fail;
		}
		need_sep = true;
	}
	*list_r = list;
	*count_r = count;
	return 0;
fail:
	args_free(list, count);
	return -1;
}

static int
tokenize(struct imap_parser *p)
{
	struct tok t = {.p = p};
	size_t i, tag_len, name_start;

	p->strs_cap = 2 * p->line_total + 16; /* UNSAFE: see strs_add */
	p->strs = xmalloc(p->strs_cap);
	p->strs_used = 0;
	t.seg = 0;
	t.s = p->raw.data + p->segs[0].off;
	t.len = p->segs[0].len;

	for (i = 0; i < t.len && is_tag_char(t.s[i]); i++)
		;
	tag_len = i;
	if (tag_len == 0 || tag_len > IMAP_MAX_TAG ||
	    (i < t.len && t.s[i] != ' ')) {
		p->err_msg = "Invalid tag";
		return finish_error(p);
	}
	if (i >= t.len) {
		p->err_msg = "Missing command";
		return finish_error(p);
	}
	p->cmd.tag = strs_add(p, t.s, tag_len);
	name_start = ++i;
	while (i < t.len && ((t.s[i] >= 'A' && t.s[i] <= 'Z') ||
	                     (t.s[i] >= 'a' && t.s[i] <= 'z') ||
	                     (t.s[i] >= '0' && t.s[i] <= '9') ||
	                     t.s[i] == '-' || t.s[i] == '_'))
		i++;
	if (i == name_start || (i < t.len && t.s[i] != ' ')) {
		p->err_msg = "Invalid command name";
		return finish_error(p);
	}
	char *name = strs_add(p, t.s + name_start, i - name_start);
	for (char *c = name; *c != '\0'; c++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	}
	p->cmd.name = name;
	t.pos = i;
	if (tok_list(&t, 0, &p->cmd.args, &p->cmd.count) < 0) {
		p->err_msg = t.error;
		return finish_error(p);
	}
	return IMAP_PARSE_DONE;
}

/* --- helpers --- */

const char *
imap_arg_astring(const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_STRING:
	case IMAP_ARG_NIL:
		return a->str;
	case IMAP_ARG_LITERAL:
		return memchr(a->str, '\0', a->len) == NULL ? a->str : NULL;
	case IMAP_ARG_LIST:
		break;
	}
	return NULL;
}

const char *
imap_arg_string(const struct imap_arg *a)
{
	if (a->type == IMAP_ARG_STRING)
		return a->str;
	if (a->type == IMAP_ARG_LITERAL)
		return memchr(a->str, '\0', a->len) == NULL ? a->str : NULL;
	return NULL;
}

const char *
imap_arg_atom(const struct imap_arg *a)
{
	if (a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_NIL)
		return a->str;
	return NULL;
}
