/* SPDX-License-Identifier: MIT */
/*
 * smtp_trace.h - the trace headers the SMTP server prepends to every
 * received message: "Return-Path:" and "Received:" (RFC 5321 4.4, with the
 * "with" protocol names of RFC 3848 and RFC 6531). Pure, any thread.
 */
#ifndef OUTPOST_SMTP_TRACE_H
#define OUTPOST_SMTP_TRACE_H

#include <stdbool.h>
#include <time.h>

struct smtp_trace {
	const char *sender;   /* reverse-path without <>, "" for null */
	const char *helo;     /* as the client gave it, printable ASCII */
	const char *rdns;     /* reverse name, NULL = unknown */
	const char *ip;       /* peer address text */
	const char *hostname; /* ours */
	const char *id;       /* queue id */
	const char *rcpt;     /* the one recipient, or NULL with several */
	bool esmtp, tls, auth, utf8;
	time_t when;
};

/* smtp_trace_protocol - "SMTP", "ESMTP", "ESMTPS", "ESMTPSA",
 * "UTF8SMTPS"... */
const char *smtp_trace_protocol(bool esmtp, bool tls, bool auth, bool utf8);

/* smtp_trace_prefix - allocated Return-Path + Received text, CRLF line
 * ends, folded with a tab; never NULL. */
char *smtp_trace_prefix(const struct smtp_trace *t);

/* smtp_rfc5322_date - "Mon, 23 Nov 2026 14:00:00 +0000" (local time) into
 * out (at least 40 bytes); returns out. */
char *smtp_rfc5322_date(time_t when, char *out, size_t max_out);

#endif
