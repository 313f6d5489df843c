/* SPDX-License-Identifier: MIT */
/*
 * pop3.h - the POP3 server's entry point, called by `outpost serve` for each
 * accepted connection on a POP3 listener.
 */
#ifndef OUTPOST_POP3_H
#define OUTPOST_POP3_H

struct conn;
struct daemon;

void pop3_session_start(struct daemon *d, struct conn *c);
/* pop3_refuse - "-ERR reason" and close. */
void pop3_refuse(struct conn *c, const char *reason);

#endif
