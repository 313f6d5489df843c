/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `outpost` command: dispatches to the subcommands (init,
 * serve, domain, user, mailbox, message, config) and holds what they share:
 * the -c CONFIG / --help option parsing (CONFIG defaults to $OUTPOST_CONFIG,
 * then ./data/outpost.conf) and configuration loading with "FILE:LINE:
 * message" errors. Trusts its command line (it runs as the administrator);
 * errors go to stderr with a non-zero exit status.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/conf.h"
#include "core/mem.h"
#include "core/span.h"

static const char usage_main[] =
    "usage: outpost [-c CONFIG] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  init [DIR]                       create DIR (default ./data): config,\n"
    "                                   self-signed certificate, store\n"
    "  serve                            run the daemon in the foreground\n"
    "  domain add|del NAME, domain list\n"
    "  user add|del|passwd ADDRESS, user list\n"
    "  mailbox list USER\n"
    "  message list USER [MAILBOX]\n"
    "  message cat USER [MAILBOX] UID\n"
    "  config check [-n]\n"
    "  read --user ADDRESS --list|--show N|--save-attachments N DIR\n"
    "\n"
    "CONFIG defaults to $OUTPOST_CONFIG, else ./data/outpost.conf.\n"
    "`outpost COMMAND --help` describes one command.\n";

/* global_config - "-c FILE" given before the command name */
static const char *global_config;

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("outpost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_usage_error(const char *usage, const char *msg)
{
	if (msg != NULL)
		cli_err("%s", msg);
	fputs(usage, stderr);
	exit(2);
}

void
cli_parse(int argc, char **argv, const char *usage, bool allow_n,
          struct cli_args *a_r)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *env;
	int ch;

	memset(a_r, 0, sizeof(*a_r));
	env = getenv("OUTPOST_CONFIG");
	a_r->config = env != NULL && *env != '\0' ? env : CLI_DEFAULT_CONFIG;
	if (global_config != NULL) {
		a_r->config = global_config;
		a_r->config_explicit = true;
	}
	optind = 0; /* GNU: full reset, argv[0] is the subcommand */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, allow_n ? "c:hn" : "c:h", longopts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'c':
			a_r->config = optarg;
			a_r->config_explicit = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'n':
			a_r->nondefault = true;
			break;
		default:
			if (optopt == 'c')
				cli_usage_error(usage, "-c needs a file name");
			cli_usage_error(usage, "unknown option");
		}
	}
	a_r->argc = argc - optind;
	a_r->argv = argv + optind;
}

struct conf *
cli_conf_load(const struct cli_args *a)
{
	struct conf *c;
	char *error = NULL;

	c = conf_load(a->config, &error);
	if (c == NULL) {
		fprintf(stderr, "%s\n",
		        error != NULL ? error : "configuration error");
		free(error);
	}
	return c;
}

int
cli_parse_u32(const char *s, uint32_t *v_r)
{
	struct span cur = span_from_cstr(s);
	uint32_t v;

	if (span_u32(&cur, &v, UINT32_MAX) < 0 || cur.len != 0)
		return -1;
	*v_r = v;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"init", cli_init},     {"serve", cli_serve},     {"domain", cli_domain},
    {"user", cli_user},     {"mailbox", cli_mailbox}, {"message", cli_message},
    {"config", cli_config}, {"read", cli_read},
};

int
main(int argc, char **argv)
{
	size_t i;

	/* "outpost -c FILE COMMAND ..." is accepted too */
	while (argc >= 3 && (strcmp(argv[1], "-c") == 0 ||
	                     strcmp(argv[1], "--config") == 0)) {
		global_config = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		cli_usage_error(usage_main, "missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	for (i = 0; i < N_ELEMENTS(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	cli_err("unknown command \"%s\"", argv[1]);
	fputs(usage_main, stderr);
	return 2;
}
