/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_cmd.c - libFuzzer target for the SMTP command parser: the input
 * is split at LF into command lines (CR before it dropped, as the line
 * reader does), each parsed; a parsed MAIL/RCPT address must satisfy the
 * RFC 5321 length limits and format back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct span line)
{
	struct smtp_cmd cmd;
	const char *reply = NULL;
	char out[SMTP_MAX_PATH + 2];

	if (smtp_cmd_parse(line, &cmd, &reply) < 0) {
		if (reply == NULL || strlen(reply) < 10 || reply[3] != ' ')
			abort();
		return;
	}
	if (cmd.info == NULL)
		abort();
	if (cmd.verb == SMTP_CMD_MAIL || cmd.verb == SMTP_CMD_RCPT) {
		if (strlen(cmd.addr.local) > SMTP_MAX_LOCAL ||
		    strlen(cmd.addr.domain) > SMTP_MAX_DOMAIN)
			abort();
		if (smtp_addr_fmt(&cmd.addr, out, sizeof(out)) < 0)
			abort();
	}
	if (cmd.arg.len > 0 &&
	    (cmd.arg.p < line.p || cmd.arg.p + cmd.arg.len > line.p + line.len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i == size || p[i] == '\n') {
			struct span line = {p + start, i - start};
			if (line.len > 0 && line.p[line.len - 1] == '\r')
				line.len--;
			check(line);
			start = i + 1;
		}
	}
	return 0;
}
