/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_data.c - libFuzzer target for the DATA reader. The first byte
 * sets the chunk size and the bare-LF mode; the rest is fed in chunks.
 * Checked: the end is reported only right after CRLF "." CRLF (or "." CRLF
 * at the very start); an accepted message holds only CRLF line ends and no
 * NUL; and stuffing it again and reading it back gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "smtp/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
out_buf(void *arg, const void *p, size_t len)
{
	return buf_append(arg, p, len);
}

/* read_all - feed in chunks; returns the end offset or -1 */
static long
read_all(const uint8_t *in, size_t len, size_t chunk, bool reject_lf,
         struct buf *out, unsigned *errors_r)
{
	struct smtp_data *d = malloc(sizeof(*d));
	size_t off = 0;
	long end = -1;

	smtp_data_init(d, 1000, 65536, reject_lf, out_buf, out);
	while (off < len) {
		size_t n = chunk < len - off ? chunk : len - off, used;
		if (smtp_data_feed(d, in + off, n, &used) == 1) {
			end = (long)(off + used);
			break;
		}
		if (used != n)
			abort();
		off += n;
	}
	*errors_r = d->errors;
	free(d);
	return end;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, again;
	unsigned errors, errors2;
	long end;
	size_t chunk;
	bool reject_lf;

	if (size == 0)
		return 0;
	chunk = 1 + (data[0] & 0x3f);
	reject_lf = (data[0] & 0x40) != 0;
	data++;
	size--;
	buf_init(&out, 1 << 20);
	end = read_all(data, size, chunk, reject_lf, &out, &errors);
	if (end >= 0) {
		/* only CRLF "." CRLF ends a message */
		if (end < 3 || memcmp(data + end - 3, ".\r\n", 3) != 0)
			abort();
		if (end > 3 &&
		    (end < 5 || data[end - 4] != '\n' || data[end - 5] != '\r'))
			abort();
	}
	if (end >= 0 && errors == 0) {
		const uint8_t *p = buf_rptr(&out);
		size_t n = buf_avail(&out), o = 0;
		uint8_t *wire = malloc(2 * n + 3);
		bool bol = true;

		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\0' ||
			    (p[i] == '\r' &&
			     (i + 1 >= n || p[i + 1] != '\n')) ||
			    (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')))
				abort();
			if (bol && p[i] == '.')
				wire[o++] = '.';
			wire[o++] = p[i];
			bol = p[i] == '\n';
		}
		if (n > 0 && (n < 2 || p[n - 1] != '\n'))
			abort();
		memcpy(wire + o, ".\r\n", 3);
		o += 3;
		buf_init(&again, 1 << 20);
		if (read_all(wire, o, 7, false, &again, &errors2) != (long)o ||
		    errors2 != 0 || buf_avail(&again) != n ||
		    (n > 0 && memcmp(buf_rptr(&again), p, n) != 0))
			abort();
		buf_clear(&again);
		free(wire);
	}
	buf_clear(&out);
	return 0;
}
