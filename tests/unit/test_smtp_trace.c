/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_trace.c - unit tests for the trace headers: protocol names
 * (RFC 3848, RFC 6531), the Return-Path/Received layout with and without a
 * single recipient, HELO comment safety and the RFC 5322 date.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_trace.h"
#include "test.h"

static void
test_trace_protocol(void)
{
	CHECK_STR(smtp_trace_protocol(false, true, true, true), "SMTP");
	CHECK_STR(smtp_trace_protocol(true, false, false, false), "ESMTP");
	CHECK_STR(smtp_trace_protocol(true, true, false, false), "ESMTPS");
	CHECK_STR(smtp_trace_protocol(true, true, true, false), "ESMTPSA");
	CHECK_STR(smtp_trace_protocol(true, false, true, false), "ESMTPA");
	CHECK_STR(smtp_trace_protocol(true, false, false, true), "UTF8SMTP");
	CHECK_STR(smtp_trace_protocol(true, true, true, true), "UTF8SMTPSA");
}

static void
test_trace_prefix(void)
{
	struct smtp_trace t = {
	    .sender = "a@b.example",
	    .helo = "client(x)",
	    .ip = "192.0.2.1",
	    .hostname = "mx.test",
	    .id = "0123456789abcdef",
	    .rcpt = "bob@local.example",
	    .esmtp = true,
	    .when = 0,
	};
	char *p, date[64];

	setenv("TZ", "UTC", 1);
	CHECK_STR(smtp_rfc5322_date(0, date, sizeof(date)),
	          "Thu, 1 Jan 1970 00:00:00 +0000");
	p = smtp_trace_prefix(&t);
	CHECK_STR(p, "Return-Path: <a@b.example>\r\n"
	             "Received: from client_x_ (unknown [192.0.2.1])\r\n"
	             "\tby mx.test (outpost) with ESMTP id 0123456789abcdef\r\n"
	             "\tfor <bob@local.example>; Thu, 1 Jan 1970 00:00:00 "
	             "+0000\r\n");
	free(p);
	t.rcpt = NULL;
	t.sender = "";
	t.rdns = "client.example";
	t.tls = true;
	p = smtp_trace_prefix(&t);
	CHECK_STR(p,
	          "Return-Path: <>\r\n"
	          "Received: from client_x_ (client.example [192.0.2.1])\r\n"
	          "\tby mx.test (outpost) with ESMTPS id 0123456789abcdef;\r\n"
	          "\tThu, 1 Jan 1970 00:00:00 +0000\r\n");
	free(p);
}

#define TESTS(X) X(test_trace_protocol) X(test_trace_prefix)
TEST_MAIN(TESTS)
