/* SPDX-License-Identifier: MIT */
/*
 * fuzz_imap_cmd.c - libFuzzer target for the IMAP command parser. The first
 * byte picks the feed step (1..256 bytes), the rest is the client stream;
 * every argument tree returned is walked, so a dangling pointer or a wrong
 * length shows under ASan.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "imap/imap_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
walk(const struct imap_arg *args, size_t count)
{
	size_t sum = 0;

	for (size_t i = 0; i < count; i++) {
		if (args[i].type == IMAP_ARG_LIST) {
			sum += walk(args[i].list, args[i].count);
			continue;
		}
		for (size_t k = 0; k <= args[i].len; k++)
			sum += (uint8_t)args[i].str[k]; /* includes the NUL */
		if (imap_arg_astring(&args[i]) != NULL)
			sum++;
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *p;
	struct buf in;
	size_t step, pos = 1;
	volatile size_t sink = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	p = imap_parser_new(512, 256);
	buf_init(&in, 4096);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;
		if (buf_append(&in, data + pos, n) < 0)
			break;
		pos += n;
		for (;;) {
			const struct imap_cmd *cmd;
			const char *tag, *msg;
			bool toobig;
			int r = imap_parser_feed(p, &in, &cmd);
			if (r == IMAP_PARSE_MORE)
				break;
			if (r == IMAP_PARSE_DONE) {
				sink += strlen(cmd->tag) + strlen(cmd->name);
				sink += walk(cmd->args, cmd->count);
			} else if (r == IMAP_PARSE_ERROR) {
				imap_parser_error(p, &tag, &msg, &toobig);
				sink += strlen(msg) + (tag ? strlen(tag) : 0);
			}
		}
		if (buf_avail(&in) != 0)
			__builtin_trap(); /* the parser consumes everything */
	}
	(void)sink;
	buf_clear(&in);
	imap_parser_free(&p);
	return 0;
}
