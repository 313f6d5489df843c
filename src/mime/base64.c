/* SPDX-License-Identifier: MIT */
/*
 * base64.c - lenient base64 decoding (RFC 2045 6.8) for message bodies and
 * encoded words: characters outside the alphabet are skipped, decoding
 * stops at padding, a trailing partial group yields its whole bytes.
 * Pure function, any thread.
 */
#include "mime_int.h"

static int
b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
mime_base64_decode(const uint8_t *in, size_t len, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int v;
		uint8_t byte;

		if (in[i] == '=')
			break;
		v = b64_val(in[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
			if (buf_append(out, &byte, 1) < 0)
				return -1;
		}
	}
	return 0;
}
