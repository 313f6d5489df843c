/* SPDX-License-Identifier: MIT */
/*
 * imap_limits.h - the IMAP server's fixed maxima. Sizes that operators tune
 * (line, literal, timeouts) come from struct conf; these are structural caps
 * that keep hostile input bounded.
 */
#ifndef OUTPOST_IMAP_LIMITS_H
#define OUTPOST_IMAP_LIMITS_H

/* Nesting depth of parenthesised lists in one command. */
#define IMAP_MAX_LIST_DEPTH 16
/* Arguments (atoms, strings, lists) in one command, all levels together. */
#define IMAP_MAX_ARGS 10000
/* Literals in one command. */
#define IMAP_MAX_LITERALS 64
/* Tag length (RFC 3501 leaves it open; Dovecot uses 64 too). */
#define IMAP_MAX_TAG 64
/* Pre-authentication line and literal caps (tighter than the config). */
#define IMAP_PREAUTH_MAX_LINE 8192
#define IMAP_PREAUTH_MAX_LITERAL 8192
/* Ranges in one sequence set. */
#define IMAP_MAX_SEQ_RANGES 4096
/* Output buffered before a FETCH pauses for on_drain. */
#define IMAP_OUT_HIGH_WATER (256 * 1024)
/* Bytes gathered (text and blob reads) per socket write when streaming. */
#define IMAP_STREAM_BATCH (256 * 1024)

#endif
