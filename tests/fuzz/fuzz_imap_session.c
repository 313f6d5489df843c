/* SPDX-License-Identifier: MIT */
/*
 * fuzz_imap_session.c - libFuzzer target for a whole IMAP session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with bob@local.example, password "pw", and two messages in his
 * INBOX), then the client side is shut down and the loop runs until the
 * session is gone. Replies are drained and dropped; sanitizers find bugs.
 * Plaintext LOGIN is allowed so the corpus can reach the selected state.
 * The harness is session_harness.h.
 */
#include "imap/imap.h"
#include "mime/mime.h"
#include "session_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char msg1[] = "From: a@b.example\r\nTo: bob@local.example\r\n"
                           "Subject: one\r\n\r\nhello\r\n";
static const char msg2[] =
    "From: a@b.example\r\nSubject: two\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    "Content-Type: text/plain\r\n\r\npart\r\n--b--\r\n";

static void
init(void)
{
	int64_t inbox;
	uint32_t uid, validity;

	store_set_indexer(mime_index_build);
	fuzz_session_store("/tmp/outpost-fuzz-imap-XXXXXX");
	inbox = fuzz_session_user("bob@local.example", "pw");
	if (store_message_append(fs.db, inbox, (const uint8_t *)msg1,
	                         sizeof(msg1) - 1, 0, NULL, 0, &uid,
	                         &validity) < 0 ||
	    store_message_append(fs.db, inbox, (const uint8_t *)msg2,
	                         sizeof(msg2) - 1, STORE_F_SEEN, "kw", 0, &uid,
	                         &validity) < 0)
		abort();
	store_db_close(&fs.db);
	fuzz_session_daemon();
	fs.d.conf->imap_allow_plaintext_auth = true;
	fs.d.conf->imap_max_line = 4096;
	fs.d.conf->imap_max_literal = 16384;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_session_input(data, size, init, 8192, imap_session_start);
}
