/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - what the running daemon shares with every protocol session:
 * the loop, the current configuration and TLS context (both replaced on
 * SIGHUP; a session keeps the snapshot it started with), the store (opaque
 * here: core does not depend on store/), connection accounting, and the
 * list of live sessions for graceful shutdown.
 *
 * Loop thread only.
 */
#ifndef OUTPOST_DAEMON_H
#define OUTPOST_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct conf;
struct conn;
struct ev;
struct store;
struct tls_ctx;
struct daemon_session;

typedef void daemon_shutdown_fn(struct daemon_session *ds);

/*
 * struct daemon_session - embedded in every protocol session. shutdown is
 * called once when the daemon stops: the session finishes any in-flight
 * transaction (e.g. a delivery waiting for its sync), says goodbye in its
 * protocol (SMTP 421, IMAP * BYE, POP3 -ERR) and closes.
 */
struct daemon_session {
	struct daemon_session *prev, *next;
	daemon_shutdown_fn *shutdown;
	char ip[46];
	bool counted;         /* listed and counted (between add and remove) */
	bool shutdown_called; /* shutdown already ran (it runs at most once) */
};

struct daemon {
	struct ev *ev;
	struct conf *conf;   /* current snapshot */
	struct tls_ctx *tls; /* current, NULL when TLS is not configured */
	struct store *store;
	bool stopping;
	unsigned session_count;
	struct daemon_session *sessions;
	struct ip_counts *ip_counts;
	/* next session daemon_shutdown_all visits; kept right by remove */
	struct daemon_session *shutdown_next;
};

/*
 * daemon_init/daemon_clear - set up and free the accounting only; conf, tls
 * and store are the caller's to set and release (clear leaves them alone).
 */
void daemon_init(struct daemon *d, struct ev *ev);
void daemon_clear(struct daemon *d);

/*
 * daemon_can_accept - 0 when a new connection from ip is within
 * max_connections and max_connections_per_ip; else -1 and *reason_r
 * ("too many connections" / "too many connections from your address").
 */
int daemon_can_accept(struct daemon *d, const char *ip, const char **reason_r);
/* daemon_session_add - count and list ds (ip copied); call at session start */
void daemon_session_add(struct daemon *d, struct daemon_session *ds,
                        const char *ip, daemon_shutdown_fn *shutdown);
/* daemon_session_remove - at session free. */
void daemon_session_remove(struct daemon *d, struct daemon_session *ds);
/*
 * daemon_shutdown_all - set stopping and call every listed session's
 * shutdown once (stop accepting first). A callback may remove its own or any
 * other session; sessions added meanwhile are visited too. While stopping,
 * daemon_can_accept refuses ("shutting down").
 */
void daemon_shutdown_all(struct daemon *d);

#endif
