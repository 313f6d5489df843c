/* SPDX-License-Identifier: MIT */
/*
 * test_imap_client.c - the IMAP client of `outpost read`: response data
 * parsing (atoms, sections, strings, literals, lists, limits) and response
 * assembly over a socket with line and literal limits. The client lives in
 * src/cli, outside the library, so its source is included.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"

#include "cli/imap_client.c"

static int
parse(const char *s, struct imap_resp *r)
{
	const char *err;

	return imap_resp_parse((const uint8_t *)s, strlen(s), r, &err);
}

static void
test_parse_fetch(void)
{
	struct imap_resp r;
	const char *s =
	    "12 FETCH (UID 7 BODY[HEADER.FIELDS (DATE FROM)] "
	    "{5}\r\nab\"c) FLAGS (\\Seen $x) X \"q\\\"u\\\\o\" Y NIL)";

	CHECK_INT(parse(s, &r), 0);
	CHECK_INT(r.count, 3);
	CHECK(imap_val_eq_ci(&r.vals[1], "fetch"));
	CHECK_INT(r.vals[2].type, IMAP_VAL_LIST);
	CHECK_INT(r.vals[2].count, 10);
	CHECK(imap_val_eq_ci(&r.vals[2].items[2],
	                     "BODY[HEADER.FIELDS (DATE FROM)]"));
	CHECK_INT(r.vals[2].items[3].type, IMAP_VAL_STRING);
	CHECK_MEM(r.vals[2].items[3].p, r.vals[2].items[3].len, "ab\"c)", 5);
	CHECK_INT(r.vals[2].items[5].count, 2);
	CHECK_MEM(r.vals[2].items[7].p, r.vals[2].items[7].len, "q\"u\\o", 5);
	CHECK_INT(r.vals[2].items[9].type, IMAP_VAL_NIL);
	imap_resp_clear(&r);
}

static void
test_parse_multipart(void)
{
	struct imap_resp r;

	CHECK_INT(
	    parse("((\"TEXT\" \"PLAIN\" NIL)(\"A\" \"B\" NIL) \"MIXED\")", &r),
	    0);
	CHECK_INT(r.count, 1);
	CHECK_INT(r.vals[0].count, 3);
	imap_resp_clear(&r);
}

static void
test_parse_bad(void)
{
	static const char *const bad[] = {
	    "(a b",    "a)",           "\"unterminated", "{5}\r\nabc",
	    "{x}\r\n", "{3}abc",       "a  b",           "(a )",
	    "[x",      "a \"b\r\nc\"", "{~3}\r\nabc",
	};
	struct imap_resp r;
	char deep[200];

	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		int rc = parse(bad[i], &r);
		if (rc != -1)
			printf("  accepted: %s\n", bad[i]);
		CHECK_INT(rc, -1);
	}
	memset(deep, '(', 40);
	memset(deep + 40, ')', 40);
	deep[80] = '\0';
	CHECK_INT(parse(deep, &r), -1);
	deep[IMAP_CLIENT_MAX_DEPTH] = '\0';
	memset(deep, '(', IMAP_CLIENT_MAX_DEPTH / 2);
	memset(deep + IMAP_CLIENT_MAX_DEPTH / 2, ')',
	       IMAP_CLIENT_MAX_DEPTH / 2);
	CHECK_INT(parse(deep, &r), 0);
	imap_resp_clear(&r);
}

/* client_over - a client reading the given server bytes */
static struct imap_client *
client_over(const char *server, int *peer_r)
{
	struct imap_client *c = xcalloc(1, sizeof(*c));
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (write(sv[1], server, strlen(server)) != (ssize_t)strlen(server))
		abort();
	shutdown(sv[1], SHUT_WR);
	c->fd = sv[0];
	c->max_line = 100;
	c->max_literal = 50;
	buf_init(&c->resp, c->max_literal + 4 * c->max_line);
	*peer_r = sv[1];
	return c;
}

struct seen {
	int count;
	char last[256];
};

static void
on_untagged(void *arg, const uint8_t *p, size_t len)
{
	struct seen *s = arg;

	s->count++;
	if (len >= sizeof(s->last))
		len = sizeof(s->last) - 1;
	memcpy(s->last, p, len);
	s->last[len] = '\0';
}

static void
test_command(void)
{
	struct seen seen = {0};
	struct imap_client *c;
	char *error = NULL;
	int peer;

	c = client_over("* OK hi\r\n* 1 FETCH (BODY[] {4}\r\na\r\nb)\r\n"
	                "* 2 EXISTS\r\nA0001 OK done\r\nA0002 NO [X] nope\r\n",
	                &peer);
	CHECK_INT(expect_ok_greeting(c, &error), 0);
	CHECK_INT(imap_client_command(c, "NOOP", on_untagged, &seen, &error),
	          0);
	CHECK_INT(seen.count, 2);
	CHECK_STR(seen.last, "2 EXISTS");
	CHECK_INT(imap_client_command(c, "NOOP", on_untagged, &seen, &error),
	          -1);
	CHECK(error != NULL && strstr(error, "nope") != NULL);
	free(error);
	error = NULL;
	/* end of stream */
	CHECK_INT(imap_client_command(c, "NOOP", NULL, NULL, &error), -1);
	free(error);
	client_close(c);
	close(peer);
}

static void
test_limits(void)
{
	struct imap_client *c;
	char *error = NULL;
	char line[300];
	int peer;

	c = client_over("* OK hi\r\n* 1 FETCH (BODY[] {51}\r\n", &peer);
	CHECK_INT(expect_ok_greeting(c, &error), 0);
	CHECK_INT(imap_client_command(c, "NOOP", NULL, NULL, &error), -1);
	CHECK(error != NULL && strstr(error, "literal") != NULL);
	free(error);
	error = NULL;
	client_close(c);
	close(peer);

	memset(line, 'x', sizeof(line));
	memcpy(line, "* OK ", 5);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	c = client_over(line, &peer);
	CHECK_INT(expect_ok_greeting(c, &error), -1);
	CHECK(error != NULL && strstr(error, "too long") != NULL);
	free(error);
	client_close(c);
	close(peer);
}

static void
test_quote(void)
{
	struct buf b;

	buf_init(&b, 100);
	CHECK_INT(imap_client_quote(&b, "a\"b\\c"), 0);
	CHECK_STR(buf_cstr(&b), "\"a\\\"b\\\\c\"");
	buf_reset(&b);
	CHECK_INT(imap_client_quote(&b, "a\r\nb"), -1);
	buf_reset(&b);
	CHECK_INT(imap_client_quote(&b, "\xc3\xa4"), -1);
	buf_clear(&b);
}

#define TESTS(X)                                                               \
	X(test_parse_fetch)                                                    \
	X(test_parse_multipart) X(test_parse_bad) X(test_command)              \
	    X(test_limits) X(test_quote)
TEST_MAIN(TESTS)
