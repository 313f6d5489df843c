/* SPDX-License-Identifier: MIT */
/*
 * cmd_init.c - `outpost init [DIR]`: create a data directory for the
 * embedded default: DIR (mode 0700), DIR/outpost.conf (the commented default
 * configuration, mode 0600), a self-signed certificate DIR/cert.pem with its
 * key DIR/key.pem, and an empty store. Refuses to touch a directory that
 * already holds a configuration or a store.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/conf.h"
#include "core/mem.h"
#include "core/tls.h"
#include "store/store.h"

#define CERT_DAYS 825

static const char usage_init[] =
    "usage: outpost init [DIR]\n"
    "\n"
    "Create DIR (default ./data) with outpost.conf, a self-signed\n"
    "certificate (cert.pem, key.pem) and an empty store. Refuses when DIR\n"
    "already holds outpost.conf or a store. With -c FILE and no DIR, DIR\n"
    "is FILE's directory.\n";

/* write_file - create path (must not exist) with mode and contents. */
static int
write_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_err("%s: write: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
cli_init(int argc, char **argv)
{
	struct cli_args a;
	char host[256], *dir = NULL, *conf_path = NULL, *cert = NULL;
	char *key = NULL, *db = NULL, *blobs = NULL, *text = NULL, *slash;
	const char *error;
	struct stat st;
	int ret = 1;

	cli_parse(argc, argv, usage_init, false, &a);
	if (a.argc > 1)
		cli_usage_error(usage_init, "too many arguments");
	if (a.argc == 1) {
		dir = xstrdup(a.argv[0]);
	} else if (a.config_explicit) {
		/* -c FILE without DIR: the directory the file will be in */
		dir = xstrdup(a.config);
		slash = strrchr(dir, '/');
		if (slash == NULL) {
			xfree(&dir);
			dir = xstrdup(".");
		} else if (slash == dir) {
			slash[1] = '\0';
		} else {
			*slash = '\0';
		}
	} else {
		dir = xstrdup(CLI_DEFAULT_DIR);
	}
	if (*dir == '\0')
		cli_usage_error(usage_init, "empty directory name");

	conf_path = xasprintf("%s/outpost.conf", dir);
	cert = xasprintf("%s/cert.pem", dir);
	key = xasprintf("%s/key.pem", dir);
	db = xasprintf("%s/outpost.db", dir);
	blobs = xasprintf("%s/blobs", dir);

	if (path_exists(conf_path)) {
		cli_err("%s exists; refusing to overwrite it", conf_path);
		goto out;
	}
	if (path_exists(db) || path_exists(blobs)) {
		cli_err("%s already holds a store; refusing to overwrite it",
		        dir);
		goto out;
	}
	if (path_exists(cert) || path_exists(key)) {
		cli_err("%s or %s exists; refusing to overwrite it", cert, key);
		goto out;
	}
	if (mkdir(dir, 0700) < 0) {
		if (errno != EEXIST) {
			cli_err("mkdir %s: %s", dir, strerror(errno));
			goto out;
		}
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			cli_err("%s exists and is not a directory", dir);
			goto out;
		}
	}

	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		(void)strlcpy_chk(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';

	/* Paths in the file are relative to its directory: "." is DIR. */
	text = conf_default_text(".", host);
	if (write_file(conf_path, text, 0600) < 0)
		goto out;
	printf("created %s\n", conf_path);

	tls_init();
	if (tls_selfsigned_write(cert, key, host, CERT_DAYS, &error) < 0) {
		cli_err("certificate: %s", error);
		goto out;
	}
	printf("created %s and %s (self-signed for %s, %d days)\n", cert, key,
	       host, CERT_DAYS);

	if (store_create(dir, &error) < 0) {
		cli_err("store: %s", error);
		goto out;
	}
	printf("created the store in %s\n", dir);
	printf("\nnext steps:\n"
	       "  outpost config check -c %s\n"
	       "  outpost domain add example.test -c %s\n"
	       "  outpost user add alice@example.test -c %s\n"
	       "  outpost serve -c %s\n",
	       conf_path, conf_path, conf_path, conf_path);
	ret = 0;
out:
	free(text);
	free(dir);
	free(conf_path);
	free(cert);
	free(key);
	free(db);
	free(blobs);
	return ret;
}
