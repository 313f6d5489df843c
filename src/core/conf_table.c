/* SPDX-License-Identifier: MIT */
/*
 * conf_table.c - the one table of configuration keys: name, type, field in
 * struct conf, default (as the text a config file would hold), bounds, flags
 * and a one-line comment. conf.c parses, validates, dumps and writes the
 * default file from this table alone; adding a setting means adding a field
 * to struct conf and one line here. Read-only data, any thread.
 */
#include <stddef.h>
#include <string.h>

#include "conf_int.h"

#define K 1024ULL
#define SEC 1000ULL
#define MIN_ (60 * SEC)
#define HOUR (60 * MIN_)
#define DAY (24 * HOUR)

#define FIELD(f) offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define KEY(name, type, def, min, max, flags, comment)                         \
	{                                                                      \
#name, type, FIELD(name), def, min, max, flags, comment        \
	}
#define DUR(name, def, min, max, flags, comment)                               \
	{                                                                      \
#name, CONF_T_DURATION, FIELD(name##_ms), def, min, max,       \
		    flags, comment                                             \
	}
#define LISTEN(name, def, comment)                                             \
	KEY(name, CONF_T_LIST, def, 0, 0, CONF_F_LISTEN, comment)

const struct conf_key conf_keys[] = {
    KEY(hostname, CONF_T_HOSTNAME, NULL, 0, 0, CONF_F_RELOAD,
        "name in greetings and Received: headers"),
    KEY(data_dir, CONF_T_PATH, ".", 0, 0, 0,
        "database and message files (relative: to this file's directory)"),
    KEY(tls_cert, CONF_T_PATH, "cert.pem", 0, 0, CONF_F_RELOAD,
        "TLS certificate chain, PEM"),
    KEY(tls_key, CONF_T_PATH, "key.pem", 0, 0, CONF_F_RELOAD,
        "TLS private key, PEM"),
    KEY(run_user, CONF_T_STRING, "outpost", 0, 0, 0,
        "user to switch to after binding when started as root"),
    KEY(log_level, CONF_T_LOGLEVEL, "info", 0, 0, CONF_F_RELOAD,
        "debug, info, warn or error"),

    LISTEN(smtp_listen, "127.0.0.1:2525",
           "SMTP relay/MX listeners, ADDR:PORT list (none: off)"),
    LISTEN(submission_listen, "127.0.0.1:2587",
           "submission listeners with STARTTLS and AUTH"),
    LISTEN(submissions_listen, "127.0.0.1:2465",
           "submission listeners with implicit TLS"),
    LISTEN(imap_listen, "127.0.0.1:2143", "IMAP listeners with STARTTLS"),
    LISTEN(imaps_listen, "127.0.0.1:2993", "IMAP listeners with implicit TLS"),
    LISTEN(pop3_listen, "127.0.0.1:2110", "POP3 listeners with STLS"),
    LISTEN(pop3s_listen, "127.0.0.1:2995", "POP3 listeners with implicit TLS"),

    KEY(max_connections, CONF_T_U32, "1000", 1, 1000000, CONF_F_RELOAD,
        "connections at once, all protocols"),
    KEY(max_connections_per_ip, CONF_T_U32, "50", 1, 1000000, CONF_F_RELOAD,
        "connections at once from one address"),
    KEY(max_errors, CONF_T_U32, "10", 1, 10000, CONF_F_RELOAD,
        "protocol errors before a client is disconnected"),

    KEY(smtp_max_line, CONF_T_SIZE, "512", 512, 64 * K, CONF_F_RELOAD,
        "SMTP command line limit in bytes (RFC 5321: at least 512)"),
    KEY(smtp_max_data_line, CONF_T_SIZE, "1000", 1000, 1024 * K, CONF_F_RELOAD,
        "SMTP text line limit in DATA (RFC 5321: 1000)"),
    KEY(smtp_max_message_size, CONF_T_SIZE, "25M", 1 * K, 2048 * K * K,
        CONF_F_RELOAD, "largest message accepted (SIZE)"),
    KEY(smtp_max_recipients, CONF_T_U32, "100", 1, 100000, CONF_F_RELOAD,
        "recipients per message"),
    DUR(smtp_command_timeout, "5m", 1 * SEC, DAY, CONF_F_RELOAD,
        "wait for an SMTP command"),
    DUR(smtp_data_timeout, "10m", 1 * SEC, DAY, CONF_F_RELOAD,
        "wait for more DATA"),
    DUR(smtp_idle_timeout, "5m", 1 * SEC, DAY, CONF_F_RELOAD,
        "shorter wait for a command outside a mail transaction"),
    KEY(smtp_enable_vrfy, CONF_T_BOOL, "no", 0, 0, CONF_F_RELOAD,
        "answer VRFY (else 252)"),
    KEY(smtp_enable_expn, CONF_T_BOOL, "no", 0, 0, CONF_F_RELOAD,
        "answer EXPN (else 502)"),
    KEY(smtp_reject_bare_lf, CONF_T_BOOL, "no", 0, 0, CONF_F_RELOAD,
        "reject bare LF in DATA (no: store it as CRLF)"),

    KEY(imap_max_line, CONF_T_SIZE, "64k", 1 * K, 16 * K * K, CONF_F_RELOAD,
        "IMAP command line limit in bytes"),
    KEY(imap_max_literal, CONF_T_SIZE, "64M", 1 * K, 2048 * K * K,
        CONF_F_RELOAD, "largest IMAP literal (APPEND)"),
    DUR(imap_idle_timeout, "30m", 30 * MIN_, DAY, CONF_F_RELOAD,
        "IMAP autologout (RFC 9051: at least 30m)"),
    KEY(imap_allow_plaintext_auth, CONF_T_BOOL, "no", 0, 0, CONF_F_RELOAD,
        "allow LOGIN/AUTHENTICATE without TLS"),

    KEY(pop3_max_line, CONF_T_SIZE, "512", 512, 64 * K, CONF_F_RELOAD,
        "POP3 command line limit in bytes"),
    DUR(pop3_idle_timeout, "10m", 1 * SEC, DAY, CONF_F_RELOAD,
        "POP3 autologout (RFC 1939: at least 10m)"),
    KEY(pop3_allow_plaintext_auth, CONF_T_BOOL, "no", 0, 0, CONF_F_RELOAD,
        "allow USER/PASS without TLS"),
    KEY(pop3_apop_secret, CONF_T_STRING, "\"\"", 0, 0,
        CONF_F_RELOAD | CONF_F_SECRET, "shared APOP secret (empty: APOP off)"),

    KEY(store_batch_max, CONF_T_U32, "256", 1, 100000, CONF_F_RELOAD,
        "messages per group commit"),
    KEY(store_threads, CONF_T_U32, "2", 1, 64, 0, "store reader threads"),
};

const size_t conf_keys_count = N_ELEMENTS(conf_keys);

const struct conf_key *
conf_key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < conf_keys_count; i++) {
		if (strlen(conf_keys[i].name) == len &&
		    memcmp(conf_keys[i].name, name, len) == 0)
			return &conf_keys[i];
	}
	return NULL;
}
