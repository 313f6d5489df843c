/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_data.c - unit tests for the DATA reader: a table of inputs with
 * the stored bytes, the error bits and where the message ends, each run fed
 * whole, one byte at a time and in random chunks; the SMTP smuggling
 * sequences that must never end a message; limits; and a dot-stuffing round
 * trip over random messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "smtp/smtp_data.h"
#include "test.h"

static int
out_buf(void *arg, const void *data, size_t len)
{
	return buf_append(arg, data, len);
}

struct data_case {
	const char *in;
	const char *want; /* stored bytes */
	unsigned errors;  /* SMTP_DATA_E_* */
	int end;          /* offset just past the end marker, -1 = no end */
	bool reject_bare_lf;
	size_t len; /* input length when it holds a NUL, else 0 */
};

/* limits used by the table */
#define T_LINE 20
#define T_SIZE 38
static const struct data_case cases[] = {
    {".\r\n", "", 0, 3, false, 0},
    {"a\r\n.\r\n", "a\r\n", 0, 6, false, 0},
    {"a\r\n.\r\nQUIT\r\n", "a\r\n", 0, 6, false, 0},
    {"..a\r\n.\r\n", ".a\r\n", 0, 8, false, 0},
    {"a\r\n..\r\n.\r\n", "a\r\n.\r\n", 0, 10, false, 0},
    {"a\r\n...\r\n.\r\n", "a\r\n..\r\n", 0, 11, false, 0},
    {".a\r\n.\r\n", "a\r\n", 0, 7, false, 0},
    /* bare LF is a line end, stored as CRLF */
    {"a\nb\r\n.\r\n", "a\r\nb\r\n", 0, 8, false, 0},
    {"a\nb\r\n.\r\n", "", SMTP_DATA_E_BARE_LF, 8, true, 0},
    /* smuggling: none of these end the message */
    {"a\n.\nMAIL FROM:<x@y>\r\n.\r\n", "a\r\n\r\nMAIL FROM:<x@y>\r\n", 0, 24,
     false, 0},
    {"a\r\n.\nRCPT\r\n.\r\n", "a\r\n\r\nRCPT\r\n", 0, 14, false, 0},
    {"a\n.\r\nRCPT\r\n.\r\n", "a\r\n\r\nRCPT\r\n", 0, 14, false, 0},
    {"a\n\n.\n\n", "a\r\n\r\n\r\n\r\n", 0, -1, false, 0},
    {"a\r\n.\r\r\n.\r\n", "", SMTP_DATA_E_BARE_CR, 10, false, 0},
    {"a\r.\r\n.\r\n", "", SMTP_DATA_E_BARE_CR, 8, false, 0},
    {"a\r\n.\rMAIL\r\n.\r\n", "", SMTP_DATA_E_BARE_CR, 14, false, 0},
    {"\n.\n", "\r\n\r\n", 0, -1, false, 0},
    /* NUL and bare CR: rejected, but read to the real end */
    {"a\0b\r\n.\r\nNOOP\r\n", "", SMTP_DATA_E_NUL, 8, false, 14},
    {"a\rb\r\n.\r\n", "", SMTP_DATA_E_BARE_CR, 8, false, 0},
    /* line limit 20 with CRLF: 18 bytes ok, 19 too long */
    {"123456789012345678\r\n.\r\n", "123456789012345678\r\n", 0, 23, false, 0},
    {"1234567890123456789\r\n.\r\n", "", SMTP_DATA_E_LINE, 24, false, 0},
    {"..23456789012345678\r\n.\r\n", ".23456789012345678\r\n", 0, 24, false, 0},
    /* size limit 38 */
    {"0123456\r\n0123456\r\n0123456\r\n0123456\r\n.\r\n",
     "0123456\r\n0123456\r\n0123456\r\n0123456\r\n", 0, 39, false, 0},
    {"0123456\r\n0123456\r\n0123456\r\n0123456\r\nx\r\n.\r\n", "",
     SMTP_DATA_E_SIZE, 42, false, 0},
    {"a\r\n", "a\r\n", 0, -1, false, 0},
    {"a\r\n.", "a\r\n", 0, -1, false, 0},
    {"a\r\n.\r", "a\r\n", 0, -1, false, 0},
};

/* run - feed input in chunks of chunk bytes (0 = random sizes); returns
 * the end offset or -1 */
static int
run(const struct data_case *c, size_t len, size_t chunk, struct buf *out,
    unsigned *errors_r)
{
	struct smtp_data d;
	size_t off = 0;

	smtp_data_init(&d, T_LINE, T_SIZE, c->reject_bare_lf, out_buf, out);
	while (off < len) {
		size_t n = chunk ? chunk : 1 + (size_t)(rand() % 7);
		size_t used;
		if (n > len - off)
			n = len - off;
		if (smtp_data_feed(&d, (const uint8_t *)c->in + off, n,
		                   &used) == 1) {
			*errors_r = d.errors;
			return (int)(off + used);
		}
		CHECK_INT(used, n);
		off += n;
	}
	*errors_r = d.errors;
	return -1;
}

static size_t
case_len(const struct data_case *c)
{
	return c->len ? c->len : strlen(c->in);
}

/* same - stored bytes equal want (an empty buffer has no data pointer) */
static bool
same(struct buf *out, const char *want)
{
	size_t n = strlen(want);

	return buf_avail(out) == n &&
	       (n == 0 || memcmp(buf_rptr(out), want, n) == 0);
}

static void
test_data_table(void)
{
	srand(1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct data_case *c = &cases[i];
		size_t len = case_len(c);
		size_t chunks[] = {len, 1, 0, 0, 0, 2, 3};

		for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]);
		     k++) {
			struct buf out;
			unsigned errors = 0;
			int end;

			buf_init(&out, 4096);
			end = run(c, len, chunks[k], &out, &errors);
			if (end != c->end || errors != c->errors)
				printf("  case %zu chunk %zu\n", i, chunks[k]);
			CHECK_INT(end, c->end);
			CHECK_INT(errors, c->errors);
			if (c->errors == 0)
				CHECK(same(&out, c->want));
			buf_clear(&out);
		}
	}
}

/* test_data_smuggling - a second transaction hidden behind a non-standard
 * end marker stays inside the first message */
static void
test_data_smuggling(void)
{
	static const char *const seqs[] = {
	    "\n.\n",   "\r\n.\n", "\n.\r\n",       "\r.\r\n",
	    "\r\n.\r", "\n.\r",   "\r\n\x00.\r\n", "\r\n .\r\n"};

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		char msg[200];
		struct smtp_data d;
		struct buf out;
		size_t used, len, sl = strlen(seqs[i]);
		int ret;

		if (i == 6)
			sl = 6;
		len = 0;
		memcpy(msg + len, "Subject: x\r\n\r\nbody", 18);
		len += 18;
		memcpy(msg + len, seqs[i], sl);
		len += sl;
		memcpy(msg + len, "MAIL FROM:<evil@x>\r\n", 20);
		len += 20;
		buf_init(&out, 4096);
		smtp_data_init(&d, 1000, 100000, false, out_buf, &out);
		ret = smtp_data_feed(&d, (const uint8_t *)msg, len, &used);
		CHECK_INT(ret, 0);
		CHECK_INT(used, len);
		ret =
		    smtp_data_feed(&d, (const uint8_t *)"\r\n.\r\n", 5, &used);
		CHECK_INT(ret, 1);
		CHECK_INT(used, 5);
		buf_clear(&out);
	}
}

/* stuff - sender side of RFC 5321 4.5.2 */
static size_t
stuff(const char *msg, size_t len, char *out)
{
	size_t o = 0;
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		if (bol && msg[i] == '.')
			out[o++] = '.';
		out[o++] = msg[i];
		bol = msg[i] == '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

static void
test_data_roundtrip(void)
{
	static const char alphabet[] = "ab.. .x";

	srand(7);
	for (int round = 0; round < 300; round++) {
		char msg[400], wire[900];
		size_t len = 0, wlen, off = 0, used = 0;
		int lines = 1 + rand() % 8, ret = 0;
		struct smtp_data d;
		struct buf out;

		for (int l = 0; l < lines; l++) {
			int n = rand() % 12;
			for (int k = 0; k < n; k++)
				msg[len++] = alphabet[rand() % 7];
			msg[len++] = '\r';
			msg[len++] = '\n';
		}
		wlen = stuff(msg, len, wire);
		buf_init(&out, 4096);
		smtp_data_init(&d, 1000, 100000, false, out_buf, &out);
		while (off < wlen) {
			size_t n = 1 + (size_t)(rand() % 5);
			if (n > wlen - off)
				n = wlen - off;
			ret = smtp_data_feed(&d, (const uint8_t *)wire + off, n,
			                     &used);
			off += used;
			if (ret == 1)
				break;
		}
		CHECK_INT(ret, 1);
		CHECK_INT(off, wlen);
		CHECK_INT(d.errors, 0);
		CHECK(buf_avail(&out) == len &&
		      memcmp(buf_rptr(&out), msg, len) == 0);
		buf_clear(&out);
	}
}

static int
out_fail(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return -1;
}

static void
test_data_io_error(void)
{
	struct smtp_data d;
	size_t used;

	smtp_data_init(&d, 1000, 1000, false, out_fail, NULL);
	CHECK_INT(smtp_data_feed(&d, (const uint8_t *)"a\r\n.\r\n", 6, &used),
	          1);
	CHECK(d.errors & SMTP_DATA_E_IO);
	CHECK(strncmp(smtp_data_reply(d.errors), "451 4.3.0", 9) == 0);
	CHECK(strncmp(smtp_data_reply(SMTP_DATA_E_SIZE), "552 5.3.4", 9) == 0);
	CHECK(strncmp(smtp_data_reply(SMTP_DATA_E_NUL), "550 5.6.0", 9) == 0);
	CHECK(strncmp(smtp_data_reply(SMTP_DATA_E_BARE_CR | SMTP_DATA_E_SIZE),
	              "552", 3) == 0);
}

/* test_data_big - a message larger than the staging buffer, byte-exact */
static void
test_data_big(void)
{
	struct smtp_data d;
	struct buf out;
	static char msg[50000];
	size_t used, len = 0;

	for (int i = 0; len < sizeof(msg) - 100; i++) {
		int n = snprintf(msg + len, 100, "line %d %s\r\n", i,
		                 i % 3 ? "abc" : "");
		len += (size_t)n;
	}
	buf_init(&out, 100000);
	smtp_data_init(&d, 1000, 1000000, false, out_buf, &out);
	CHECK_INT(smtp_data_feed(&d, (const uint8_t *)msg, len, &used), 0);
	CHECK_INT(smtp_data_feed(&d, (const uint8_t *)".\r\n", 3, &used), 1);
	CHECK_INT(d.size, len);
	CHECK_MEM(buf_rptr(&out), buf_avail(&out), msg, len);
	buf_clear(&out);
}

#define TESTS(X)                                                               \
	X(test_data_table)                                                     \
	X(test_data_smuggling)                                                 \
	X(test_data_roundtrip)                                                 \
	X(test_data_io_error)                                                  \
	X(test_data_big)
TEST_MAIN(TESTS)
