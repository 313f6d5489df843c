/* SPDX-License-Identifier: MIT */
/*
 * smtp_trace.c - Return-Path and Received: trace headers (see smtp_trace.h).
 * The peer-supplied HELO name is printable ASCII by then (the command
 * parser checked it); parentheses in it are replaced so it cannot end the
 * comment early. Pure, any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "smtp_limits.h"
#include "smtp_trace.h"

const char *
smtp_trace_protocol(bool esmtp, bool tls, bool auth, bool utf8)
{
	/* RFC 3848 2, RFC 6531 3.7.3 */
	static const char *const names[] = {
	    "ESMTP",    "ESMTPA",    "ESMTPS",    "ESMTPSA",
	    "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"};

	if (!esmtp)
		return "SMTP";
	return names[(utf8 ? 4 : 0) + (tls ? 2 : 0) + (auth ? 1 : 0)];
}

char *
smtp_rfc5322_date(time_t when, char *out, size_t max_out)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
	                                   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&when, &tm) == NULL) {
		(void)strlcpy_chk(out, "Thu, 1 Jan 1970 00:00:00 +0000",
		                  max_out);
		return out;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	/* locale independent on purpose (RFC 5322 3.3) */
	if (snprintf_chk(out, max_out,
	                 "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	                 days[tm.tm_wday % 7], tm.tm_mday,
	                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	                 tm.tm_min, tm.tm_sec, sign, off / 60, off % 60) < 0)
		(void)strlcpy_chk(out, "Thu, 1 Jan 1970 00:00:00 +0000",
		                  max_out);
	return out;
}

char *
smtp_trace_prefix(const struct smtp_trace *t)
{
	char helo[SMTP_MAX_HELO + 1], date[64], forpart[SMTP_MAX_PATH + 16];
	size_t i;

	(void)strlcpy_chk(helo,
	                  t->helo != NULL && t->helo[0] ? t->helo : "unknown",
	                  sizeof(helo));
	for (i = 0; helo[i] != '\0'; i++) {
		if (helo[i] == '(' || helo[i] == ')' || helo[i] == '\\')
			helo[i] = '_';
	}
	smtp_rfc5322_date(t->when, date, sizeof(date));
	/* "for" only with a single recipient (RFC 5321 4.4: privacy) */
	if (t->rcpt == NULL || snprintf_chk(forpart, sizeof(forpart),
	                                    "\r\n\tfor <%s>; ", t->rcpt) < 0)
		(void)strlcpy_chk(forpart, ";\r\n\t", sizeof(forpart));
	return xasprintf(
	    "Return-Path: <%s>\r\n"
	    "Received: from %s (%s [%s])\r\n"
	    "\tby %s (outpost) with %s id %s%s%s\r\n",
	    t->sender, helo, t->rdns != NULL ? t->rdns : "unknown", t->ip,
	    t->hostname,
	    smtp_trace_protocol(t->esmtp, t->tls, t->auth, t->utf8), t->id,
	    forpart, date);
}
