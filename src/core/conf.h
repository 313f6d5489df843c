/* SPDX-License-Identifier: MIT */
/*
 * conf.h - the configuration: "key = value" lines, '#' comments, one table
 * (conf_table.c) of keys with type, default and bounds. A file is parsed and
 * validated whole into a new immutable struct conf; sessions keep the one they
 * started with (conf_ref/unref), SIGHUP swaps in a new one.
 *
 * Types: bool (yes/no/true/false/on/off), int, size ("25M", "64k", bytes),
 * duration ("30s", "5m", "1h", ms if "ms"), string, path (relative paths
 * are taken from the config file's directory), list (comma or space
 * separated; for listeners "ADDR:PORT" with [v6]:port).
 */
#ifndef OUTPOST_CONF_H
#define OUTPOST_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "log.h"

struct conf_list {
	char **items;
	size_t count;
};

struct conf {
	int refcount;
	char *path;     /* the file this came from */
	char *hostname; /* greeting and Received: "by" */
	char *data_dir; /* store: sqlite + blobs */
	char *tls_cert;
	char *tls_key;
	char *run_user; /* drop to this user when started as root */
	enum log_level log_level;

	/* listeners: "addr:port" entries; empty list = off */
	struct conf_list smtp_listen;
	struct conf_list submission_listen;  /* STARTTLS, AUTH */
	struct conf_list submissions_listen; /* implicit TLS */
	struct conf_list imap_listen;
	struct conf_list imaps_listen;
	struct conf_list pop3_listen;
	struct conf_list pop3s_listen;

	/* connection limits (all protocols) */
	uint32_t max_connections;
	uint32_t max_connections_per_ip;
	uint32_t max_errors; /* protocol errors before disconnect */

	/* SMTP */
	size_t smtp_max_line;      /* command line (RFC 5321 4.5.3.1.4: 512) */
	size_t smtp_max_data_line; /* text line in DATA (RFC: 1000) */
	size_t smtp_max_message_size;
	uint32_t smtp_max_recipients;
	uint64_t smtp_command_timeout_ms;
	uint64_t smtp_data_timeout_ms;
	uint64_t smtp_idle_timeout_ms;
	bool smtp_enable_vrfy;
	bool smtp_enable_expn;
	bool smtp_reject_bare_lf; /* else normalize bare LF to CRLF */

	/* IMAP */
	size_t imap_max_line;
	size_t imap_max_literal;
	uint64_t imap_idle_timeout_ms; /* autologout, >= 30 min by RFC */
	bool imap_allow_plaintext_auth;

	/* POP3 */
	size_t pop3_max_line;
	uint64_t pop3_idle_timeout_ms;
	bool pop3_allow_plaintext_auth;
	char *pop3_apop_secret; /* empty: APOP off */

	/* store */
	uint32_t store_batch_max; /* messages per group commit */
	uint32_t store_threads;   /* reader threads */
};

/*
 * conf_load - parse and validate path into a new conf (refcount 1).
 * On error returns NULL and *error_r = "file:line: message" (allocated; free
 * it).
 */
struct conf *conf_load(const char *path, char **error_r);
/* conf_default - a conf with every default (for tests and init). */
struct conf *conf_default(void);
void conf_ref(struct conf *c);
void conf_unref(struct conf **c);

/* conf_write_default - the commented file `outpost init` writes. */
char *conf_default_text(const char *data_dir, const char *hostname);

/* conf_dump - "key = value" for every key (non_default_only: postconf -n). */
char *conf_dump(const struct conf *c, bool non_default_only);

/* conf_parse_size etc. - the value parsers, exposed for tests. */
int conf_parse_size(const char *s, uint64_t *v_r);
int conf_parse_duration(const char *s, uint64_t *ms_r);
int conf_parse_bool(const char *s, bool *v_r);

#endif
