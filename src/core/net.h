/* SPDX-License-Identifier: MIT */
/*
 * net.h - listening sockets and address text.
 */
#ifndef OUTPOST_NET_H
#define OUTPOST_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "compat.h"

/*
 * net_parse_hostport - "127.0.0.1:25", "[::1]:25", "*:25" (any v4+v6).
 * 0 ok, -1 error.
 */
int net_parse_hostport(const char *s, struct sockaddr_storage *ss_r,
                       socklen_t *len_r) WARN_UNUSED_RESULT;
/* net_listen - bound, listening, non-blocking, close-on-exec socket; -1 err */
int net_listen(const struct sockaddr_storage *ss, socklen_t len,
               const char **error_r);
/* net_ntop - address text (no port) into out; returns out. */
const char *net_ntop(const struct sockaddr_storage *ss, char *out,
                     size_t max_out);
uint16_t net_port(const struct sockaddr_storage *ss);

#endif
