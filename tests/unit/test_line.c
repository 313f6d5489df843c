/* SPDX-License-Identifier: MIT */
/*
 * test_line.c - unit tests for the bounded line reader: line ends (CRLF,
 * bare LF), bare CR and NUL flags, over-long lines reported once and then
 * discarded to the next LF, and the same input fed one byte at a time.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/line.h"
#include "test.h"

/*
 * transcript - feed input to a reader (max bytes per line) in chunks of
 * chunk bytes, draining lines after each chunk, and describe the results:
 * "[text]" per line (flags as suffix letters L=bare LF, C=bare CR, N=NUL,
 * NUL bytes shown as '0'), "!" per LINE_TOOLONG.
 */
static const char *
transcript(const char *input, size_t input_len, size_t max, size_t chunk)
{
	static char out[4096];
	struct line_reader lr;
	struct buf in;
	size_t o = 0, i = 0;

	line_reader_init(&lr, max);
	buf_init(&in, max + 2);
	while (i < input_len) {
		/* like a connection: read only what the buffer has room for */
		size_t n =
		    MIN(MIN(chunk, input_len - i), in.max - buf_avail(&in));
		struct span line;
		unsigned flags;
		int r;

		if (n == 0 || buf_append(&in, input + i, n) < 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "FULL");
			break;
		}
		i += n;
		while ((r = line_read(&lr, &in, &line, &flags)) != LINE_MORE) {
			if (r == LINE_TOOLONG) {
				out[o++] = '!';
				continue;
			}
			out[o++] = '[';
			for (size_t k = 0; k < line.len; k++)
				out[o++] = line.p[k] == '\0' ? '0' : line.p[k];
			out[o++] = ']';
			if (flags & LINE_F_BARE_LF)
				out[o++] = 'L';
			if (flags & LINE_F_BARE_CR)
				out[o++] = 'C';
			if (flags & LINE_F_NUL)
				out[o++] = 'N';
		}
	}
	out[o] = '\0';
	buf_clear(&in);
	return out;
}

#define T(s, max, chunk) transcript((s), sizeof(s) - 1, (max), (chunk))

static void
test_line_crlf(void)
{
	CHECK_STR(T("HELO x\r\nQUIT\r\n", 512, 1000), "[HELO x][QUIT]");
	CHECK_STR(T("\r\n\r\n", 512, 1000), "[][]");
	/* an incomplete line stays buffered */
	CHECK_STR(T("HELO x\r\nQUI", 512, 1000), "[HELO x]");
	CHECK_STR(T("a\r", 512, 1000), "");
}

static void
test_line_bare_lf(void)
{
	CHECK_STR(T("a\nb\r\n\n", 512, 1000), "[a]L[b][]L");
}

static void
test_line_bare_cr(void)
{
	CHECK_STR(T("a\rb\r\n", 512, 1000), "[a\rb]C");
	CHECK_STR(T("a\r\r\n", 512, 1000), "[a\r]C");
	CHECK_STR(T("\ra\n", 512, 1000), "[\ra]LC");
}

static void
test_line_nul(void)
{
	CHECK_STR(T("a\0b\r\nc\r\n", 512, 1000), "[a0b]N[c]");
	CHECK_STR(T("\0\r\0\n", 512, 1000), "[0\r0]LCN");
}

static void
test_line_toolong(void)
{
	/* exactly max is fine, with and without CR */
	CHECK_STR(T("abcd\r\nabcd\n", 4, 1000), "[abcd][abcd]L");
	/* one over: reported once, next line read normally */
	CHECK_STR(T("abcde\r\nok\r\n", 4, 1000), "![ok]");
	/* longer than the buffer: reported once, rest discarded up to LF */
	CHECK_STR(T("abcdefghijklmnopqrstuvwxyz\r\nok\r\n", 4, 3), "![ok]");
	CHECK_STR(T("abcdefghijklmnopqrstuvwxyz\nok\n", 4, 6), "![ok]L");
	/* max bytes then a CR that might start CRLF: wait, then decide */
	CHECK_STR(T("abcd\r\n", 4, 5), "[abcd]");
	CHECK_STR(T("abcd\rx\n", 4, 5), "!");
	/* two long lines in a row, two reports */
	CHECK_STR(T("aaaaaaa\nbbbbbbbbbbb\nc\n", 4, 2), "!![c]L");
}

static void
test_line_bytewise(void)
{
	static const char input[] =
	    "EHLO a\r\nMAIL FROM:<x>\nx\ry\r\n\0\r\ntoo long line here\r\n"
	    "\r\nlast\r\n";
	char all[4096];

	/* the whole input at once, then every chunk size must agree */
	snprintf(all, sizeof(all), "%s",
	         transcript(input, sizeof(input) - 1, 13, 10000));
	CHECK_STR(all, "[EHLO a][MAIL FROM:<x>]L[x\ry]C[0]N![][last]");
	for (size_t chunk = 1; chunk <= 15; chunk++)
		CHECK_STR(transcript(input, sizeof(input) - 1, 13, chunk), all);
}

static void
test_line_bounded(void)
{
	/* an endless line never fills the buffer: it is discarded as it comes
	 */
	struct line_reader lr;
	struct buf in;
	char junk[100];
	struct span line;
	unsigned flags;
	int toolong = 0, r;

	memset(junk, 'x', sizeof(junk));
	line_reader_init(&lr, 512);
	buf_init(&in, 514);
	for (int i = 0; i < 10000; i++) {
		size_t n = MIN(sizeof(junk), in.max - buf_avail(&in));

		CHECK(n > 0);
		CHECK(buf_append(&in, junk, n) == 0);
		while ((r = line_read(&lr, &in, &line, &flags)) != LINE_MORE)
			toolong += r == LINE_TOOLONG;
	}
	CHECK_INT(toolong, 1);
	CHECK(in.cap <= 1024);
	CHECK(buf_append(&in, "\r\nend\r\n", 7) == 0);
	CHECK_INT(line_read(&lr, &in, &line, &flags), LINE_OK);
	CHECK_MEM(line.p, line.len, "end", 3);
	CHECK_INT(flags, 0);
	CHECK_INT(line_read(&lr, &in, &line, &flags), LINE_MORE);
	buf_clear(&in);
}

#define TESTS(X)                                                               \
	X(test_line_crlf)                                                      \
	X(test_line_bare_lf)                                                   \
	X(test_line_bare_cr)                                                   \
	X(test_line_nul)                                                       \
	X(test_line_toolong)                                                   \
	X(test_line_bytewise)                                                  \
	X(test_line_bounded)
TEST_MAIN(TESTS)
