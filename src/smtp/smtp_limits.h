/* SPDX-License-Identifier: MIT */
/*
 * smtp_limits.h - the fixed protocol maxima of the SMTP server. Everything
 * an operator may want to tune (line lengths, message size, recipients,
 * timeouts) lives in struct conf; these are the RFC 5321 4.5.3.1 sizes the
 * parsers are built around and the session's own buffer sizes.
 */
#ifndef OUTPOST_SMTP_LIMITS_H
#define OUTPOST_SMTP_LIMITS_H

/* RFC 5321 4.5.3.1.1: local-part at most 64 octets */
#define SMTP_MAX_LOCAL 64
/* RFC 5321 4.5.3.1.2: domain at most 255 octets */
#define SMTP_MAX_DOMAIN 255
/* RFC 5321 4.5.3.1.3: reverse-path/forward-path at most 256 octets with
 * the angle brackets */
#define SMTP_MAX_PATH 256
/* longest verb we know ("STARTTLS") plus room; longer is unrecognized */
#define SMTP_MAX_VERB 16
/* MAIL/RCPT parameters per command (nginx-style argument cap) */
#define SMTP_MAX_PARAMS 8
/* NOOP, RSET, VRFY, EXPN and HELP a session may send before each further
 * one counts toward max_errors (Postfix smtpd_junk_command_limit); the
 * count restarts after each delivered message */
#define SMTP_MAX_JUNK 100
/* HELO/EHLO argument kept for the Received: header */
#define SMTP_MAX_HELO 255
/* BDAT chunk size accepted in one command (bounded again by the
 * configured message size) */
#define SMTP_MAX_BDAT_CHUNK ((uint64_t)1 << 40)
/* DATA reader staging buffer (bytes handed to the spool at once) */
#define SMTP_DATA_STAGE 4096
/* spool bytes kept in memory before spilling to DATA_DIR/tmp */
#define SMTP_SPOOL_MEM (256 * 1024)
/* output buffer hard limit of a session */
#define SMTP_MAX_OUT (256 * 1024)

#endif
