/* SPDX-License-Identifier: MIT */
/*
 * net.c - listener addresses and sockets: parsing "ADDR:PORT" text from the
 * configuration ("127.0.0.1:25", "[::1]:25", "*:25" for any v4 and v6),
 * opening bound, listening, non-blocking, close-on-exec sockets, and turning
 * peer addresses back into text (IPv4-mapped IPv6 addresses print as IPv4,
 * so per-address accounting sees one form). Any thread; the text parsed here
 * comes from the administrator's config file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "net.h"
#include "span.h"

/* parse_port - "0".."65535", digits only, nothing after. */
static int
parse_port(const char *s, uint16_t *port_r)
{
	struct span cur = span_from_cstr(s);
	uint32_t port;

	if (span_u32(&cur, &port, 65535) < 0 || cur.len != 0)
		return -1;
	*port_r = (uint16_t)port;
	return 0;
}

int
net_parse_hostport(const char *s, struct sockaddr_storage *ss_r,
                   socklen_t *len_r)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hstart;
	size_t hlen;
	uint16_t port;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		hstart = s + 1;
		hlen = (size_t)(end - hstart);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hstart = s;
		hlen = (size_t)(colon - s);
		if (memchr(hstart, ':', hlen) != NULL)
			return -1; /* bare IPv6 needs brackets */
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	if (parse_port(colon + 1, &port) < 0)
		return -1;

	if (strcmp(host, "*") == 0 ||
	    (s[0] == '[' && strcmp(host, "::") == 0)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		*len_r = sizeof(*sin6);
	} else if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len_r = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (strcmp(host, "localhost") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len_r = sizeof(*sin);
	}
	*ss_r = ss;
	return 0;
}

int
net_listen(const struct sockaddr_storage *ss, socklen_t len,
           const char **error_r)
{
	static _Thread_local char errbuf[128];
	int fd, on = 1, off = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            0);
	if (fd < 0) {
		snprintf_chk(errbuf, sizeof(errbuf), "socket: %s",
		             strerror(errno));
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0) {
		snprintf_chk(errbuf, sizeof(errbuf), "SO_REUSEADDR: %s",
		             strerror(errno));
		goto fail;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)ss;
		/* "*" (the any address) serves v4 and v6; others only v6 */
		bool any = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &off : &on,
		               sizeof(int)) < 0) {
			snprintf_chk(errbuf, sizeof(errbuf), "IPV6_V6ONLY: %s",
			             strerror(errno));
			goto fail;
		}
	}
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		char addr[INET6_ADDRSTRLEN];

		snprintf_chk(errbuf, sizeof(errbuf), "bind %s port %u: %s",
		             net_ntop(ss, addr, sizeof(addr)), net_port(ss),
		             strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		snprintf_chk(errbuf, sizeof(errbuf), "listen: %s",
		             strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	*error_r = errbuf;
	return -1;
}

const char *
net_ntop(const struct sockaddr_storage *ss, char *out, size_t max_out)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (max_out == 0)
		return out;
	out[0] = '\0';
	if (ss->ss_family == AF_INET) {
		if (inet_ntop(AF_INET, &sin->sin_addr, out,
		              (socklen_t)max_out) == NULL)
			out[0] = '\0';
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* ::ffff:a.b.c.d - the last four bytes */
			if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			              out, (socklen_t)max_out) == NULL)
				out[0] = '\0';
		} else if (inet_ntop(AF_INET6, &sin6->sin6_addr, out,
		                     (socklen_t)max_out) == NULL) {
			out[0] = '\0';
		}
	}
	return out;
}

uint16_t
net_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}
