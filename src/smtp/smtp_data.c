/* SPDX-License-Identifier: MIT */
/*
 * smtp_data.c - the resumable DATA reader (see smtp_data.h). A byte-at-a-
 * time state machine whose whole state lives in struct smtp_data, so input
 * may stop at any byte. Output goes through a small staging array to the
 * caller's function (the session's spool). Loop thread; untrusted input.
 *
 * States (line start = after a line end or at the start of the data):
 *   BOL_CRLF  line start after CRLF: "." may begin the end marker
 *   BOL_LF    line start after a bare LF: "." is unstuffed, never an end
 *   DOT       "." at BOL_CRLF
 *   DOT_CR    "." CR at BOL_CRLF: LF now ends the message
 *   TEXT      inside a line
 *   CR        CR inside a line, not yet known to be followed by LF
 * Inside a line, runs of bytes other than CR, LF and NUL take a fast path
 * (plain) with the same effect as feeding them one at a time.
 */
#include <string.h>

#include "smtp_data.h"

enum {
	S_BOL_CRLF = 0,
	S_BOL_LF,
	S_DOT,
	S_DOT_CR,
	S_TEXT,
	S_CR,
};

void
smtp_data_init(struct smtp_data *d, size_t max_line, uint64_t max_size,
               bool reject_bare_lf, smtp_data_out_fn *out, void *out_arg)
{
	d->max_line = max_line < 3 ? 3 : max_line;
	d->max_size = max_size;
	d->reject_bare_lf = reject_bare_lf;
	d->out = out;
	d->out_arg = out_arg;
	d->state = S_BOL_CRLF;
	d->line_len = 0;
	d->size = 0;
	d->errors = 0;
	d->saw_bare_lf = false;
	d->stage_len = 0;
}

/* flush - hand the staged bytes to the output function */
static void
flush(struct smtp_data *d)
{
	if (d->stage_len > 0 && d->errors == 0 &&
	    d->out(d->out_arg, d->stage, d->stage_len) < 0)
		d->errors |= SMTP_DATA_E_IO;
	d->stage_len = 0;
}

/* emit - one message byte; counted always, stored only while no error */
static void
emit(struct smtp_data *d, uint8_t c)
{
	d->size++;
	if (d->size > d->max_size)
		d->errors |= SMTP_DATA_E_SIZE;
	if (d->errors != 0) {
		d->stage_len = 0;
		return;
	}
	d->stage[d->stage_len++] = c;
	if (d->stage_len == sizeof(d->stage))
		flush(d);
}

/* line_end - a line ended (CRLF or normalized bare LF) */
static void
line_end(struct smtp_data *d)
{
	emit(d, '\r');
	emit(d, '\n');
	d->line_len = 0;
}

/* text - a byte inside a line */
static void
text(struct smtp_data *d, uint8_t c)
{
	switch (c) {
	case '\r':
		d->state = S_CR;
		return;
	case '\n':
		/* bare LF: a line end, never part of the end marker */
		d->saw_bare_lf = true;
		if (d->reject_bare_lf)
			d->errors |= SMTP_DATA_E_BARE_LF;
		line_end(d);
		d->state = S_BOL_LF;
		return;
	case '\0':
		d->errors |= SMTP_DATA_E_NUL;
		break;
	default:
		break;
	}
	/* max_line counts the CRLF too (RFC 5321 4.5.3.1.6) */
	if (++d->line_len > d->max_line - 2)
		d->errors |= SMTP_DATA_E_LINE;
	emit(d, c);
	d->state = S_TEXT;
}

/* plain_run - how many bytes from p on need no state change */
static size_t
plain_run(const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] != '\r' && p[n] != '\n' && p[n] != '\0')
		n++;
	return n;
}

/* plain - n bytes inside a line, none of them CR, LF or NUL: what n calls
 * of text() would do, at once */
static void
plain(struct smtp_data *d, const uint8_t *p, size_t n)
{
	d->line_len += n;
	if (d->line_len > d->max_line - 2)
		d->errors |= SMTP_DATA_E_LINE;
	d->size += n;
	if (d->size > d->max_size)
		d->errors |= SMTP_DATA_E_SIZE;
	d->state = S_TEXT;
	if (d->errors != 0) {
		d->stage_len = 0;
		return;
	}
	while (n > 0) {
		size_t k = sizeof(d->stage) - d->stage_len;

		if (k > n)
			k = n;
		memcpy(d->stage + d->stage_len, p, k);
		d->stage_len += k;
		p += k;
		n -= k;
		if (d->stage_len == sizeof(d->stage))
			flush(d);
	}
}

int
smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
               size_t *used_r)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (d->state == S_TEXT) {
			size_t n = plain_run(in + i, len - i);

			if (n > 0) {
				plain(d, in + i, n);
				i += n - 1;
				continue;
			}
		}
		switch (d->state) {
		case S_BOL_CRLF:
			if (c == '.')
				d->state = S_DOT;
			else
				text(d, c);
			break;
		case S_BOL_LF:
			if (c == '.')
				d->state = S_TEXT; /* unstuffed */
			else
				text(d, c);
			break;
		case S_DOT:
			/* the stuffing dot is dropped either way */
			if (c == '\r')
				d->state = S_DOT_CR;
			else
				text(d, c);
			break;
		case S_DOT_CR:
			if (c == '\n') {
				flush(d);
				d->state = S_BOL_CRLF;
				*used_r = i + 1;
				return 1;
			}
			d->errors |= SMTP_DATA_E_BARE_CR;
			text(d, c);
			break;
		case S_CR:
			if (c == '\n') {
				line_end(d);
				d->state = S_BOL_CRLF;
			} else {
				d->errors |= SMTP_DATA_E_BARE_CR;
				text(d, c);
			}
			break;
		default: /* S_TEXT */
			text(d, c);
			break;
		}
	}
	flush(d);
	*used_r = len;
	return 0;
}

const char *
smtp_data_reply(unsigned errors)
{
	if (errors & SMTP_DATA_E_IO)
		return "451 4.3.0 Error: local error writing the message";
	if (errors & SMTP_DATA_E_SIZE)
		return "552 5.3.4 Message size exceeds fixed limit";
	if (errors & (SMTP_DATA_E_BARE_CR | SMTP_DATA_E_NUL))
		return "550 5.6.0 Message contains bare CR or NUL";
	if (errors & SMTP_DATA_E_BARE_LF)
		return "550 5.5.2 Message contains bare LF (RFC 5321 2.3.8)";
	if (errors & SMTP_DATA_E_LINE)
		return "500 5.5.2 Line too long (RFC 5321 4.5.3.1.6)";
	return "250 2.0.0 Ok";
}
