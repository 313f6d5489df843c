/* SPDX-License-Identifier: MIT */
/*
 * test_daemon.c - unit tests for the daemon's session list and connection
 * accounting: global and per-address limits, many addresses (table growth),
 * and daemon_shutdown_all with callbacks that remove themselves, remove other
 * sessions, or add new ones while the list is being walked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/daemon.h"
#include "core/mem.h"
#include "test.h"

struct tsess {
	struct daemon_session ds; /* first: callbacks cast back */
	struct daemon *d;
	int calls;
	struct tsess *victim; /* removed by this one's shutdown */
	struct tsess *spawn;  /* added by this one's shutdown */
	bool remove_self;
};

static void
tsess_shutdown(struct daemon_session *ds)
{
	struct tsess *s = (struct tsess *)ds;

	s->calls++;
	if (s->victim != NULL)
		daemon_session_remove(s->d, &s->victim->ds);
	if (s->spawn != NULL)
		daemon_session_add(s->d, &s->spawn->ds, "10.0.0.9",
		                   tsess_shutdown);
	if (s->remove_self)
		daemon_session_remove(s->d, &s->ds);
}

static void
test_daemon_limits(void)
{
	struct daemon d;
	struct tsess s[4];
	const char *reason = NULL;

	memset(s, 0, sizeof(s));
	daemon_init(&d, NULL);
	d.conf = conf_default();
	d.conf->max_connections = 3;
	d.conf->max_connections_per_ip = 2;
	CHECK_INT(daemon_can_accept(&d, "192.0.2.1", &reason), 0);
	daemon_session_add(&d, &s[0].ds, "192.0.2.1", tsess_shutdown);
	daemon_session_add(&d, &s[1].ds, "192.0.2.1", tsess_shutdown);
	CHECK_INT(d.session_count, 2);
	CHECK_INT(daemon_can_accept(&d, "192.0.2.1", &reason), -1);
	CHECK_STR(reason, "too many connections from your address");
	CHECK_INT(daemon_can_accept(&d, "192.0.2.2", &reason), 0);
	daemon_session_add(&d, &s[2].ds, "2001:db8::1", tsess_shutdown);
	CHECK_INT(daemon_can_accept(&d, "192.0.2.2", &reason), -1);
	CHECK_STR(reason, "too many connections");
	daemon_session_remove(&d, &s[0].ds);
	daemon_session_remove(&d, &s[0].ds); /* twice is harmless */
	CHECK_INT(d.session_count, 2);
	CHECK_INT(daemon_can_accept(&d, "192.0.2.1", &reason), 0);
	CHECK_INT(daemon_can_accept(&d, "2001:db8::1", &reason), 0);
	daemon_session_remove(&d, &s[1].ds);
	daemon_session_remove(&d, &s[2].ds);
	CHECK_INT(d.session_count, 0);
	CHECK(d.sessions == NULL);
	conf_unref(&d.conf);
	daemon_clear(&d);
}

static void
test_daemon_many_ips(void)
{
	struct daemon d;
	struct tsess *s = xcalloc(5000, sizeof(*s));
	const char *reason;
	char ip[46];

	daemon_init(&d, NULL);
	d.conf = conf_default();
	d.conf->max_connections = 100000;
	d.conf->max_connections_per_ip = 2;
	for (int i = 0; i < 5000; i++) {
		/* 2500 addresses, two sessions each */
		snprintf(ip, sizeof(ip), "10.%d.%d.1", (i / 2) / 256,
		         (i / 2) % 256);
		daemon_session_add(&d, &s[i].ds, ip, tsess_shutdown);
	}
	CHECK_INT(d.session_count, 5000);
	CHECK_INT(daemon_can_accept(&d, "10.0.7.1", &reason), -1);
	CHECK_INT(daemon_can_accept(&d, "10.9.195.1", &reason), -1);
	CHECK_INT(daemon_can_accept(&d, "10.9.196.1", &reason), 0);
	/* remove in a different order than added */
	for (int i = 0; i < 5000; i += 2)
		daemon_session_remove(&d, &s[i].ds);
	CHECK_INT(daemon_can_accept(&d, "10.0.7.1", &reason), 0);
	for (int i = 4999; i > 0; i -= 2)
		daemon_session_remove(&d, &s[i].ds);
	CHECK_INT(d.session_count, 0);
	CHECK(d.sessions == NULL);
	conf_unref(&d.conf);
	daemon_clear(&d);
	free(s);
}

static void
test_daemon_shutdown_all(void)
{
	struct daemon d;
	struct tsess s[6];
	const char *reason = NULL;

	memset(s, 0, sizeof(s));
	daemon_init(&d, NULL);
	d.conf = conf_default();
	for (int i = 0; i < 5; i++) {
		s[i].d = &d;
		daemon_session_add(&d, &s[i].ds, "127.0.0.1", tsess_shutdown);
	}
	/* list order is 4 3 2 1 0 */
	s[4].remove_self = true;
	s[3].victim = &s[2]; /* the next one in the walk */
	s[3].remove_self = true;
	s[1].spawn = &s[5]; /* added at the head, behind the walk */
	s[5].d = &d;
	s[5].remove_self = true;
	s[0].victim = &s[1]; /* already visited */
	daemon_shutdown_all(&d);
	CHECK(d.stopping);
	CHECK_INT(s[4].calls, 1);
	CHECK_INT(s[3].calls, 1);
	CHECK_INT(s[2].calls, 0); /* removed before its turn */
	CHECK_INT(s[1].calls, 1);
	CHECK_INT(s[0].calls, 1);
	CHECK_INT(s[5].calls, 1);
	CHECK_INT(d.session_count, 1); /* s[0] stays until it closes */
	CHECK(d.sessions == &s[0].ds);
	/* once only */
	s[0].victim = NULL;
	daemon_shutdown_all(&d);
	CHECK_INT(s[0].calls, 1);
	CHECK_INT(daemon_can_accept(&d, "127.0.0.2", &reason), -1);
	CHECK_STR(reason, "shutting down");
	daemon_session_remove(&d, &s[0].ds);
	CHECK_INT(d.session_count, 0);
	conf_unref(&d.conf);
	daemon_clear(&d);
}

#define TESTS(X)                                                               \
	X(test_daemon_limits)                                                  \
	X(test_daemon_many_ips)                                                \
	X(test_daemon_shutdown_all)
TEST_MAIN(TESTS)
