/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mime.c - libFuzzer target for the MIME index: build and load the
 * index of arbitrary bytes (which must always succeed), resolve a spread
 * of section specs and check every range lies inside the message, run
 * SEARCH (and check the index's header fields answer it alike), and feed the
 * raw input to mime_index_load as corrupt metadata.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_spec(const struct mime_index *x, const char *spec, size_t size)
{
	uint64_t off, len;

	if (mime_section_range(x, spec, &off, &len) == 0 &&
	    (off > size || len > size - off))
		abort();
}

/* check_header_index - the index's header section answers SEARCH as
 * mime_search does on the message, whenever it answers. */
static void
check_header_index(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {"Subject", "from", "TO", "Date"};
	static const char *const needles[] = {"", "a", "\xc3\xa9", "=?"};
	size_t mlen, flen;
	uint8_t *meta = mime_index_build(data, size, &mlen);

	for (size_t i = 0; i < 4; i++) {
		for (size_t k = 0; k < 4; k++) {
			char *f = mime_search_fold(needles[k], &flen);
			int r = mime_index_header_match(meta, mlen, fields[i],
			                                f, flen);

			if (r >= 0 &&
			    (r == 1) != mime_search(data, size,
			                            MIME_SEARCH_HEADER,
			                            fields[i], needles[k]))
				abort();
			free(f);
		}
	}
	free(meta);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const suffixes[] = {"", ".MIME", ".HEADER", ".TEXT",
	                                       ".HEADER.FIELDS"};
	struct mime_index *x;
	uint8_t *meta;
	size_t mlen, i, j, k, s;
	char spec[64];
	struct buf out;

	meta = mime_index_build(data, size, &mlen);
	if (meta == NULL)
		abort();
	x = mime_index_load(meta, mlen);
	free(meta);
	if (x == NULL)
		abort();
	if (strlen(mime_index_envelope(x)) == 0 ||
	    strlen(mime_index_bodystructure(x)) == 0 ||
	    mime_index_header_len(x) > size)
		abort();
	check_spec(x, "", size);
	check_spec(x, "HEADER", size);
	check_spec(x, "TEXT", size);
	for (i = 1; i <= 4; i++) {
		for (s = 0; s < 5; s++) {
			(void)snprintf_chk(spec, sizeof(spec), "%zu%s", i,
			                   suffixes[s]);
			check_spec(x, spec, size);
			for (j = 1; j <= 3; j++) {
				(void)snprintf_chk(spec, sizeof(spec),
				                   "%zu.%zu%s", i, j,
				                   suffixes[s]);
				check_spec(x, spec, size);
				for (k = 1; k <= 2; k++) {
					(void)snprintf_chk(spec, sizeof(spec),
					                   "%zu.%zu.%zu%s", i,
					                   j, k, suffixes[s]);
					check_spec(x, spec, size);
				}
			}
		}
	}
	{
		const char *names[] = {"subject", "from"};
		uint64_t off, len;

		if (mime_section_range(x, "HEADER", &off, &len) == 0) {
			buf_init(&out, 1 << 20);
			(void)!mime_header_filter(data + off, (size_t)len,
			                          names, 2, false, &out);
			buf_clear(&out);
		}
	}
	mime_index_free(&x);
	(void)mime_search(data, size, MIME_SEARCH_TEXT, NULL, "caf\xc3\xa9");
	(void)mime_search(data, size, MIME_SEARCH_HEADER, "subject", "a");
	check_header_index(data, size);
	{
		char *v = NULL;

		(void)mime_index_header_match(data, size, "To", "a", 1);
		(void)mime_index_header_first(data, size, "Date", &v);
		free(v);
	}
	x = mime_index_load(data, size);
	if (x != NULL) {
		check_spec(x, "1.2", SIZE_MAX);
		mime_index_free(&x);
	}
	return 0;
}
