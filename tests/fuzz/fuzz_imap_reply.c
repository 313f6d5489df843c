/* SPDX-License-Identifier: MIT */
/*
 * fuzz_imap_reply.c - what an IMAP server sends to `outpost read`: the
 * input is fed through a socket to the real client (greeting, AUTHENTICATE
 * PLAIN, a FETCH whose untagged responses are parsed) with small limits,
 * and also parsed whole as one response. The client lives in src/cli, not
 * in the library, so its source is included here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/imap_client.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_resp(void *arg, const uint8_t *p, size_t len)
{
	struct imap_resp r;
	const char *err;

	(void)arg;
	if (imap_resp_parse(p, len, &r, &err) == 0) {
		for (size_t i = 0; i < r.count; i++)
			free(imap_val_dup(&r.vals[i]));
		imap_resp_clear(&r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_client *c;
	struct imap_resp r;
	const char *err;
	char *error = NULL;
	int sv[2];

	if (imap_resp_parse(data, size, &r, &err) == 0)
		imap_resp_clear(&r);
	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	c = xcalloc(1, sizeof(*c));
	c->fd = sv[0];
	c->max_line = 512;
	c->max_literal = 4096;
	buf_init(&c->resp, c->max_literal + 4 * c->max_line);
	if (expect_ok_greeting(c, &error) == 0 &&
	    imap_client_login(c, "user", "pass", &error) == 0) {
		while (imap_client_command(c, "FETCH 1:* (BODY.PEEK[])",
		                           on_resp, NULL, &error) == 0)
			;
	}
	free(error);
	client_close(c);
	close(sv[1]);
	return 0;
}
