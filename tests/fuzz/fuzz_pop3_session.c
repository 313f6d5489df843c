/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pop3_session.c - libFuzzer target for a whole POP3 session: the
 * input is what a client sends, written into a socket pair whose other end
 * is a real session on a real event loop with a real store (a temporary
 * directory with bob@local.example, password "x", and a few messages with
 * dot lines, bare LFs and no final newline). The client side is then shut
 * down and the loop runs until the session is gone; replies are drained
 * and dropped. Messages expunged by DELE+QUIT are put back before the next
 * input so every run starts from the same maildrop. The harness is
 * session_harness.h; its fs.db stays open for the refill.
 */
#include "pop3/pop3.h"
#include "session_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const messages[] = {
    "Subject: one\r\n\r\nhello\r\n.\r\n..two\r\n.end\r\n",
    "Subject: two\nX: bare lf\n\nl1\nl2\n.l3\nl4",
    "Subject: header only\r\n",
    "",
};

static int64_t inbox;

/* refill - put the seed messages back when QUIT expunged some */
static void
refill(void)
{
	struct store_message *msgs = NULL;
	size_t count = 0, n = sizeof(messages) / sizeof(messages[0]);
	uint32_t uid, uidv;

	if (store_message_list(fs.db, inbox, 0, &msgs, &count) < 0)
		abort();
	store_message_list_free(&msgs, count);
	if (count == n)
		return;
	if (count > 0) {
		/* start over: expunge all, append all */
		if (store_message_list(fs.db, inbox, 0, &msgs, &count) < 0)
			abort();
		for (size_t i = 0; i < count; i++) {
			uid = msgs[i].uid;
			if (store_message_expunge(fs.db, inbox, &uid, 1) < 0)
				abort();
		}
		store_message_list_free(&msgs, count);
	}
	for (size_t i = 0; i < n; i++) {
		if (store_message_append(
		        fs.db, inbox, (const uint8_t *)messages[i],
		        strlen(messages[i]), 0, NULL, 1, &uid, &uidv) < 0)
			abort();
	}
}

static void
init(void)
{
	fuzz_session_store("/tmp/outpost-fuzz-pop3-XXXXXX");
	inbox = fuzz_session_user("bob@local.example", "x");
	fuzz_session_daemon();
	fs.d.conf->pop3_allow_plaintext_auth = true;
}

/* start - every session starts from the same maildrop */
static void
start(struct daemon *d, struct conn *c)
{
	refill();
	pop3_session_start(d, c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_session_input(data, size, init, 4096, start);
}
