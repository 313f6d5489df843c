/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the pieces of the `outpost` command shared between its files:
 * option parsing common to every subcommand (-c CONFIG, --help), loading
 * the configuration, and the subcommand entry points. Single-threaded
 * except for `serve`, whose threads live in the store.
 */
#ifndef OUTPOST_CLI_H
#define OUTPOST_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compat.h"

struct conf;

/* Default config path, unless OUTPOST_CONFIG or -c say otherwise. */
#define CLI_DEFAULT_CONFIG "./data/outpost.conf"
#define CLI_DEFAULT_DIR "./data"

/* cli_args - the parsed command line of one subcommand. */
struct cli_args {
	const char *config;   /* -c, OUTPOST_CONFIG or the default */
	bool config_explicit; /* given with -c */
	bool nondefault;      /* -n (config check) */
	int argc;             /* positional arguments after the subcommand */
	char **argv;
};

/*
 * cli_parse - parse argv (argv[0] is the subcommand name) with -c and
 * --help (and -n when allow_n). --help prints usage to stdout and exits 0;
 * a bad option prints usage to stderr and exits 2.
 */
void cli_parse(int argc, char **argv, const char *usage, bool allow_n,
               struct cli_args *a_r);
/* cli_usage_error - "outpost: msg" and the usage on stderr; exit 2. */
void cli_usage_error(const char *usage, const char *msg) ATTR_NORETURN;
/* cli_conf_load - load a->config; on error print "FILE:LINE: message" and
 * return NULL. */
struct conf *cli_conf_load(const struct cli_args *a);
/* cli_parse_u32 - a whole decimal string; 0 ok, -1 not a number. */
int cli_parse_u32(const char *s, uint32_t *v_r) WARN_UNUSED_RESULT;
/* cli_err - "outpost: ..." on stderr. */
void cli_err(const char *fmt, ...) ATTR_FORMAT(1, 2);

/* Subcommands: return the process exit status. */
int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_domain(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_mailbox(int argc, char **argv);
int cli_message(int argc, char **argv);
int cli_config(int argc, char **argv);
/* `outpost read` (cmd_read.c): an IMAP reader. */
int cli_read(int argc, char **argv);

#endif
