/* SPDX-License-Identifier: MIT */
/*
 * conf_int.h - the configuration key table shared by conf.c (parser, dump,
 * default text) and conf_table.c (the keys). Every field of struct conf except
 * refcount and path has exactly one key of the same name (durations drop the
 * "_ms" suffix: key smtp_command_timeout sets smtp_command_timeout_ms).
 */
#ifndef OUTPOST_CONF_INT_H
#define OUTPOST_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum conf_type {
	CONF_T_BOOL,     /* bool */
	CONF_T_U32,      /* uint32_t */
	CONF_T_SIZE,     /* size_t, "25M" */
	CONF_T_DURATION, /* uint64_t milliseconds, "5m" */
	CONF_T_STRING,   /* char *, may be empty */
	CONF_T_PATH,     /* char *, relative to the config file's directory */
	CONF_T_HOSTNAME, /* char *, letters digits '-' '.' */
	CONF_T_LIST,     /* struct conf_list */
	CONF_T_LOGLEVEL, /* enum log_level */
};

enum {
	CONF_F_RELOAD = 1 << 0, /* takes effect on SIGHUP */
	CONF_F_SECRET = 1 << 1, /* never printed by conf_dump */
	CONF_F_LISTEN = 1 << 2, /* list of ADDR:PORT listeners */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;   /* into struct conf */
	size_t size;     /* of the field, checked against the type */
	const char *def; /* default as config text; NULL: computed (hostname) */
	uint64_t min, max; /* numbers, sizes and durations (ms) */
	unsigned flags;
	const char *comment; /* one line for conf_default_text */
};

extern const struct conf_key conf_keys[];
extern const size_t conf_keys_count;

/* conf_key_find - the key named name (len bytes), or NULL. */
const struct conf_key *conf_key_find(const char *name, size_t len);

/*
 * conf_parse_text - parse len bytes of config text (what conf_load does after
 * reading and checking the file). name prefixes errors ("name:line: ..."),
 * base is the directory relative paths start from (NULL: keep them as
 * given). For conf_load and the fuzzer.
 */
struct conf *conf_parse_text(const char *name, const char *base,
                             const char *data, size_t len, char **error_r);

#endif
