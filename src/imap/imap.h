/* SPDX-License-Identifier: MIT */
/*
 * imap.h - the IMAP server's entry point, called by `outpost serve` for each
 * accepted connection on an IMAP listener (implicit TLS already done on the
 * imaps listener).
 */
#ifndef OUTPOST_IMAP_H
#define OUTPOST_IMAP_H

struct conn;
struct daemon;

void imap_session_start(struct daemon *d, struct conn *c);
/* imap_refuse - "* BYE reason" and close. */
void imap_refuse(struct conn *c, const char *reason);

#endif
