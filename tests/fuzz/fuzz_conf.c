/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - configuration text: parse it; when it loads, its full dump
 * must load again and dump identically (the dump is valid config text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/conf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c, *c2;
	char *error = NULL, *dump, *dump2;

	c = conf_parse_text("fuzz.conf", "/base", (const char *)data, size,
	                    &error);
	if (c == NULL) {
		if (error == NULL || strncmp(error, "fuzz.conf:", 10) != 0)
			abort();
		free(error);
		return 0;
	}
	free(conf_dump(c, true));
	dump = conf_dump(c, false);
	c2 = conf_parse_text("dump", "/base", dump, strlen(dump), &error);
	if (c2 == NULL)
		abort();
	dump2 = conf_dump(c2, false);
	if (strcmp(dump, dump2) != 0)
		abort();
	free(dump);
	free(dump2);
	conf_unref(&c2);
	conf_unref(&c);
	return 0;
}
