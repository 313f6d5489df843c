/* SPDX-License-Identifier: MIT */
/*
 * test_net.c - unit tests for listener addresses and sockets: parsing
 * "ADDR:PORT" forms, a real listening socket on loopback that a client
 * connects to, address text (IPv4-mapped IPv6 prints as IPv4), bind errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "core/compat.h"
#include "core/net.h"
#include "test.h"

static void
test_net_parse(void)
{
	static const struct {
		const char *in;
		int ret;
		const char *addr;
		unsigned port;
	} cases[] = {
	    {"127.0.0.1:25", 0, "127.0.0.1", 25},
	    {"0.0.0.0:65535", 0, "0.0.0.0", 65535},
	    {"localhost:2525", 0, "127.0.0.1", 2525},
	    {"[::1]:587", 0, "::1", 587},
	    {"[2001:db8::1]:0", 0, "2001:db8::1", 0},
	    {"*:143", 0, "::", 143},
	    {"[::]:143", 0, "::", 143},
	    {"127.0.0.1", -1, NULL, 0},
	    {"127.0.0.1:", -1, NULL, 0},
	    {"127.0.0.1:65536", -1, NULL, 0},
	    {"127.0.0.1:-1", -1, NULL, 0},
	    {"127.0.0.1:25x", -1, NULL, 0},
	    {"::1:25", -1, NULL, 0},
	    {"[::1]25", -1, NULL, 0},
	    {"[::1:25", -1, NULL, 0},
	    {"[127.0.0.1]:25", -1, NULL, 0},
	    {"256.0.0.1:25", -1, NULL, 0},
	    {"example.org:25", -1, NULL, 0},
	    {":25", -1, NULL, 0},
	    {"", -1, NULL, 0},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		char text[64];
		int ret = net_parse_hostport(cases[i].in, &ss, &len);

		CHECK_INT(ret, cases[i].ret);
		if (ret != 0 || cases[i].ret != 0)
			continue;
		CHECK_STR(net_ntop(&ss, text, sizeof(text)), cases[i].addr);
		CHECK_INT(net_port(&ss), cases[i].port);
		CHECK_INT(len, ss.ss_family == AF_INET
		                   ? sizeof(struct sockaddr_in)
		                   : sizeof(struct sockaddr_in6));
	}
}

static void
test_net_ntop_mapped(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char text[64];

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	CHECK(inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6->sin6_addr) == 1);
	CHECK_STR(net_ntop(&ss, text, sizeof(text)), "192.0.2.7");
	/* too small an output: empty text, not a cut one */
	CHECK_STR(net_ntop(&ss, text, 5), "");
	ss.ss_family = AF_UNIX;
	CHECK_STR(net_ntop(&ss, text, sizeof(text)), "");
	CHECK_INT(net_port(&ss), 0);
}

static void
test_net_listen(void)
{
	struct sockaddr_storage ss, bound, peer;
	socklen_t len, blen = sizeof(bound), plen = sizeof(peer);
	const char *error = NULL;
	char text[64];
	int lfd, cfd, afd = -1, fd2;

	CHECK_INT(net_parse_hostport("127.0.0.1:0", &ss, &len), 0);
	lfd = net_listen(&ss, len, &error);
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;
	CHECK(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	CHECK(getsockname(lfd, (struct sockaddr *)&bound, &blen) == 0);
	CHECK(net_port(&bound) != 0);
	/* non-blocking: nothing to accept yet */
	CHECK(accept(lfd, NULL, NULL) < 0 && errno == EAGAIN);

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(cfd, (struct sockaddr *)&bound, blen) == 0);
	for (int i = 0; i < 100 && afd < 0; i++) {
		afd = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (afd < 0)
			usleep(10000);
	}
	CHECK(afd >= 0);
	CHECK_STR(net_ntop(&peer, text, sizeof(text)), "127.0.0.1");
	if (afd >= 0) {
		CHECK(write(cfd, "hi", 2) == 2);
		CHECK(read(afd, text, sizeof(text)) == 2);
		close(afd);
	}
	close(cfd);

	/* the same port again: an error naming the address */
	fd2 = net_listen(&bound, blen, &error);
	CHECK_INT(fd2, -1);
	CHECK(error != NULL && strstr(error, "bind 127.0.0.1 port") != NULL &&
	      strstr(error, "in use") != NULL);
	close(lfd);
}

#define TESTS(X)                                                               \
	X(test_net_parse)                                                      \
	X(test_net_ntop_mapped)                                                \
	X(test_net_listen)
TEST_MAIN(TESTS)
