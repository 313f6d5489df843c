/* SPDX-License-Identifier: MIT */
/*
 * session_harness.h - what the whole-session unit tests
 * (test_pop3_session.c, test_smtp_session.c) share: a real store in a
 * temporary directory with the domain local.example, its worker threads
 * for a daemon, removing the directory at the end, and the reply check
 * that prints what it looked in when the text is missing. Each test adds
 * its own users, configuration and client side. Static functions: a test
 * includes this header once, after test.h.
 */
#ifndef OUTPOST_TEST_SESSION_HARNESS_H
#define OUTPOST_TEST_SESSION_HARNESS_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/mem.h"
#include "store/store.h"

/* session_store_new - create a store in a new directory named after tmpl
 * ("/tmp/...-XXXXXX", the name is left in dir) with the domain
 * local.example; the open database, or NULL (said on stdout) */
static struct store_db *
session_store_new(char *dir, size_t size, const char *tmpl)
{
	struct store_db *db;
	const char *error = NULL;

	(void)strlcpy_chk(dir, tmpl, size);
	if (mkdtemp(dir) == NULL) {
		printf("  mkdtemp %s failed\n", tmpl);
		return NULL;
	}
	if (store_create(dir, &error) < 0 ||
	    (db = store_db_open(dir, &error)) == NULL) {
		printf("  store: %s\n", error);
		return NULL;
	}
	if (store_domain_add(db, "local.example") < 0) {
		printf("  store: %s\n", store_db_error(db));
		store_db_close(&db);
		return NULL;
	}
	return db;
}

/* session_store_start - start the store of d (workers threads, deliveries
 * committed 8 at a time) on d->ev; 0, or -1 (said on stdout) */
static int
session_store_start(struct daemon *d, const char *dir, unsigned workers)
{
	struct store_settings set = {0};
	const char *error = NULL;

	set.data_dir = dir;
	set.batch_max = 8;
	set.workers = workers;
	d->store = store_start(d->ev, &set, &error);
	if (d->store == NULL) {
		printf("  store_start: %s\n", error);
		return -1;
	}
	return 0;
}

static int
session_rm_one(const char *path, const struct stat *st, int type,
               struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* session_rm_dir - remove the temporary directory and all below it */
static int
session_rm_dir(const char *dir)
{
	return nftw(dir, session_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* has - text contains want; otherwise both are printed */
static bool
has(const char *text, const char *want)
{
	if (strstr(text, want) != NULL)
		return true;
	printf("  missing \"%s\" in:\n%s\n", want, text);
	return false;
}

#endif
