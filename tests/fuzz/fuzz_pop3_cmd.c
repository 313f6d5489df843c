/* SPDX-License-Identifier: MIT */
/* fuzz_pop3_cmd.c - POP3 command lines: each input line is parsed. */
#include <stdint.h>
#include <string.h>

#include "pop3/pop3_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct pop3_cmd cmd;
		struct span line = { p, len };
		uint32_t n;

		if (pop3_cmd_parse(line, &cmd) == 0)
			for (size_t i = 0; i < cmd.arg_count; i++)
				(void)pop3_msgno(cmd.args[i], 100, &n);
		p += len + (nl != NULL);
	}
	return 0;
}
