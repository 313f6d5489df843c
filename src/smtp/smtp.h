/* SPDX-License-Identifier: MIT */
/*
 * smtp.h - the SMTP server's entry point, called by `outpost serve` for each
 * accepted connection on an SMTP listener.
 */
#ifndef OUTPOST_SMTP_H
#define OUTPOST_SMTP_H

struct conn;
struct daemon;

enum smtp_service {
	SMTP_SERVICE_MX,          /* port 25: inbound for local domains */
	SMTP_SERVICE_SUBMISSION,  /* port 587: STARTTLS, AUTH */
	SMTP_SERVICE_SUBMISSIONS, /* port 465: implicit TLS, AUTH */
};

/* smtp_session_start - take over c (already TLS for SUBMISSIONS), greet. */
void smtp_session_start(struct daemon *d, struct conn *c,
                        enum smtp_service svc);
/* smtp_refuse - the reply for a connection over the limits: 421 and close */
void smtp_refuse(struct conn *c, const char *hostname, const char *reason);

#endif
