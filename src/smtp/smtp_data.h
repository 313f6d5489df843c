/* SPDX-License-Identifier: MIT */
/*
 * smtp_data.h - the resumable DATA reader (RFC 5321 4.1.1.4, 4.5.2): takes
 * raw bytes as they arrive, removes dot-stuffing, stores every line end as
 * CRLF and finds the end of the message, which is ONLY CRLF "." CRLF (the
 * CRLF that ended the DATA command counts as the first one). A bare LF is a
 * line end (stored as CRLF, or a rejection with reject_bare_lf) but never
 * part of the end marker: "LF.LF", "CRLF.LF", "LF.CRLF" are message content,
 * so a message can never be ended or split early (SMTP smuggling). Bare CR,
 * NUL, an over-long line or an over-size message mark the message rejected;
 * reading goes on to the real end and nothing more is passed on.
 * Loop thread; input is untrusted.
 */
#ifndef OUTPOST_SMTP_DATA_H
#define OUTPOST_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp_limits.h"

/* Reasons a message is rejected (bits of smtp_data.errors). */
enum {
	SMTP_DATA_E_BARE_CR = 1 << 0,
	SMTP_DATA_E_NUL = 1 << 1,
	SMTP_DATA_E_BARE_LF = 1 << 2, /* only with reject_bare_lf */
	SMTP_DATA_E_LINE = 1 << 3,    /* line over max_line */
	SMTP_DATA_E_SIZE = 1 << 4,    /* message over max_size */
	SMTP_DATA_E_IO = 1 << 5,      /* the output function failed */
};

/* smtp_data_out_fn - receives message bytes; 0 ok, -1 failure. */
typedef int smtp_data_out_fn(void *arg, const void *data, size_t len);

struct smtp_data {
	/* settings */
	size_t max_line;   /* longest text line with its CRLF (RFC: 1000) */
	uint64_t max_size; /* most message bytes stored */
	bool reject_bare_lf;
	smtp_data_out_fn *out;
	void *out_arg;
	/* state */
	int state;
	size_t line_len;
	uint64_t size;    /* message bytes produced (stored or not) */
	unsigned errors;  /* SMTP_DATA_E_* */
	bool saw_bare_lf; /* for logging */
	size_t stage_len;
	uint8_t stage[SMTP_DATA_STAGE];
};

/* smtp_data_init - ready for a new message. */
void smtp_data_init(struct smtp_data *d, size_t max_line, uint64_t max_size,
                    bool reject_bare_lf, smtp_data_out_fn *out, void *out_arg);

/*
 * smtp_data_feed - consume in[0..len). Returns 1 when the end marker was
 * read (*used_r = bytes consumed, up to and including its LF; the rest
 * belongs to the next command), 0 when all len bytes were consumed and more
 * are needed. Errors do not stop reading: check d->errors at the end.
 */
int smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
                   size_t *used_r);

/* smtp_data_reply - the final reply text (no CRLF) for d->errors != 0. */
const char *smtp_data_reply(unsigned errors);

#endif
