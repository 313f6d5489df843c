/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rfc2047.c - libFuzzer target for the header-value decoders: RFC 2047
 * encoded words, header field lookup, dates, base64 and quoted-printable.
 * Output must be NUL-free and bounded by the input size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *v;
	struct buf out;
	int64_t t;
	int tz;

	v = mime_rfc2047_decode((const char *)data, size);
	if (strlen(v) > 4 * size + 16)
		abort();
	free(v);
	v = mime_header_get(data, size, "subject");
	free(v);
	s = xstrndup((const char *)data, size);
	(void)mime_date_parse(s, &t, &tz);
	free(s);
	buf_init(&out, 2 * size + 16);
	if (mime_base64_decode(data, size, &out) < 0 || out.len > size)
		abort();
	buf_reset(&out);
	if (mime_qp_decode(data, size, &out) < 0 || out.len > size)
		abort();
	buf_clear(&out);
	return 0;
}
