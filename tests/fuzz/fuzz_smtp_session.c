/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_session.c - libFuzzer target for a whole SMTP session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with local.example and bob@local.example), then the client
 * side is shut down and the loop runs until the session is gone. Replies
 * are drained and dropped; sanitizers and the loop's own checks find bugs.
 * The harness is session_harness.h.
 */
#include "session_harness.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
init(void)
{
	fuzz_session_store("/tmp/outpost-fuzz-smtp-XXXXXX");
	/* "x" is no password hash: these users cannot log in */
	if (store_user_add(fs.db, "bob@local.example", "x") < 0 ||
	    store_user_add(fs.db, "postmaster@local.example", "x") < 0)
		abort();
	store_db_close(&fs.db);
	fuzz_session_daemon();
	free(fs.d.conf->hostname);
	fs.d.conf->hostname = xstrdup("mx.test");
	fs.d.conf->smtp_max_message_size = 20000;
	fs.d.conf->smtp_max_recipients = 5;
}

static void
start_mx(struct daemon *d, struct conn *c)
{
	smtp_session_start(d, c, SMTP_SERVICE_MX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_session_input(data, size, init, 4096, start_mx);
}
