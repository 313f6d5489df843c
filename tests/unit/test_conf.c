/* SPDX-License-Identifier: MIT */
/*
 * test_conf.c - unit tests for the configuration: value parsers, the key
 * table against struct conf, loading files (values, relative paths, lists),
 * errors reported as FILE:LINE, permission checks, the default text loading
 * back equal to the defaults, and conf_dump.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/conf_int.h"
#include "core/mem.h"
#include "test.h"

static char tmpdir[64];

static void
setup(void)
{
	if (tmpdir[0] == '\0') {
		strlcpy_chk(tmpdir, "/tmp/test_conf.XXXXXX", sizeof(tmpdir));
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
	}
}

/* write_conf - write text to tmpdir/name with mode; returns the path. */
static char *
write_conf(const char *name, const char *text, mode_t mode)
{
	char *path;
	FILE *f;

	setup();
	path = xasprintf("%s/%s", tmpdir, name);
	unlink(path);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* load_text - load text as a config file; error (allocated) into *error_r */
static struct conf *
load_text(const char *text, char **error_r)
{
	char *path = write_conf("outpost.conf", text, 0600);
	struct conf *c;

	*error_r = NULL;
	c = conf_load(path, error_r);
	free(path);
	return c;
}

static void
test_conf_parse_size(void)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
	    {"0", 0, 0},
	    {"512", 0, 512},
	    {"64k", 0, 65536},
	    {"64K", 0, 65536},
	    {"25M", 0, 25 * 1024 * 1024},
	    {"25mb", 0, 25 * 1024 * 1024},
	    {"2G", 0, 2ULL << 30},
	    {"", -1, 0},
	    {"k", -1, 0},
	    {"12x", -1, 0},
	    {"-1", -1, 0},
	    {"1 k", -1, 0},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"18446744073709551616", -1, 0},
	    {"17179869184G", -1, 0},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		uint64_t v = 0;
		int ret = conf_parse_size(cases[i].in, &v);

		CHECK_INT(ret, cases[i].ret);
		if (ret == 0)
			CHECK_INT(v, cases[i].want);
	}
}

static void
test_conf_parse_duration(void)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t want;
	} cases[] = {
	    {"30s", 0, 30000},    {"5m", 0, 300000}, {"1h", 0, 3600000},
	    {"2d", 0, 172800000}, {"250ms", 0, 250}, {"10", 0, 10000},
	    {"5x", -1, 0},        {"m", -1, 0},      {"", -1, 0},
	    {"1.5s", -1, 0},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		uint64_t v = 0;
		int ret = conf_parse_duration(cases[i].in, &v);

		CHECK_INT(ret, cases[i].ret);
		if (ret == 0)
			CHECK_INT(v, cases[i].want);
	}
}

static void
test_conf_parse_bool(void)
{
	bool v = false;

	CHECK_INT(conf_parse_bool("yes", &v), 0);
	CHECK(v);
	CHECK_INT(conf_parse_bool("off", &v), 0);
	CHECK(!v);
	CHECK_INT(conf_parse_bool("TRUE", &v), 0);
	CHECK(v);
	CHECK_INT(conf_parse_bool("no", &v), 0);
	CHECK(!v);
	CHECK_INT(conf_parse_bool("1", &v), -1);
	CHECK_INT(conf_parse_bool("", &v), -1);
	CHECK_INT(conf_parse_bool("yess", &v), -1);
}

/* field_size - the size a field of this key type must have. */
static size_t
type_size(enum conf_type t)
{
	switch (t) {
	case CONF_T_BOOL:
		return sizeof(bool);
	case CONF_T_U32:
		return sizeof(uint32_t);
	case CONF_T_SIZE:
		return sizeof(size_t);
	case CONF_T_DURATION:
		return sizeof(uint64_t);
	case CONF_T_STRING:
	case CONF_T_PATH:
	case CONF_T_HOSTNAME:
		return sizeof(char *);
	case CONF_T_LIST:
		return sizeof(struct conf_list);
	case CONF_T_LOGLEVEL:
		return sizeof(enum log_level);
	}
	return 0;
}

static void
test_conf_table(void)
{
	unsigned char covered[sizeof(struct conf)];
	size_t start = offsetof(struct conf, path) + sizeof(char *);

	memset(covered, 0, sizeof(covered));
	for (size_t i = 0; i < conf_keys_count; i++) {
		const struct conf_key *k = &conf_keys[i];

		CHECK_INT(k->size, type_size(k->type));
		CHECK(k->offset >= start);
		CHECK(k->offset + k->size <= sizeof(struct conf));
		CHECK(k->comment != NULL && k->comment[0] != '\0');
		CHECK(conf_key_find(k->name, strlen(k->name)) == k);
		for (size_t j = 0; j < k->size; j++) {
			CHECK(!covered[k->offset + j]); /* no overlap */
			covered[k->offset + j] = 1;
		}
	}
	/* every field has a key: gaps can only be alignment padding */
	for (size_t o = start; o < sizeof(struct conf);) {
		size_t gap = 0;

		while (o + gap < sizeof(struct conf) && !covered[o + gap])
			gap++;
		if (gap >= 8 || (gap > 0 && o + gap < sizeof(struct conf) &&
		                 (o + gap) % 8 != 0))
			printf("  uncovered bytes %zu..%zu\n", o, o + gap);
		CHECK(gap < 8);
		o += gap;
		while (o < sizeof(struct conf) && covered[o])
			o++;
	}
	CHECK(conf_key_find("smtp_command_timeout", 20) != NULL);
	CHECK(conf_key_find("smtp_command_timeout_ms", 23) == NULL);
}

static void
test_conf_defaults(void)
{
	struct conf *c = conf_default();
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		strlcpy_chk(host, "localhost", sizeof(host));
	CHECK_INT(c->refcount, 1);
	CHECK_STR(c->hostname, host);
	CHECK_STR(c->data_dir, ".");
	CHECK_STR(c->tls_cert, "cert.pem");
	CHECK_STR(c->tls_key, "key.pem");
	CHECK_STR(c->run_user, "outpost");
	CHECK_INT(c->log_level, LOG_LEVEL_INFO);
	CHECK_INT(c->smtp_listen.count, 1);
	CHECK_STR(c->smtp_listen.items[0], "127.0.0.1:2525");
	CHECK_STR(c->submission_listen.items[0], "127.0.0.1:2587");
	CHECK_STR(c->submissions_listen.items[0], "127.0.0.1:2465");
	CHECK_STR(c->imap_listen.items[0], "127.0.0.1:2143");
	CHECK_STR(c->imaps_listen.items[0], "127.0.0.1:2993");
	CHECK_STR(c->pop3_listen.items[0], "127.0.0.1:2110");
	CHECK_STR(c->pop3s_listen.items[0], "127.0.0.1:2995");
	CHECK_INT(c->max_connections, 1000);
	CHECK_INT(c->max_connections_per_ip, 50);
	CHECK_INT(c->max_errors, 10);
	CHECK_INT(c->smtp_max_line, 512);
	CHECK_INT(c->smtp_max_data_line, 1000);
	CHECK_INT(c->smtp_max_message_size, 25 * 1024 * 1024);
	CHECK_INT(c->smtp_max_recipients, 100);
	CHECK_INT(c->smtp_command_timeout_ms, 5 * 60000);
	CHECK_INT(c->smtp_data_timeout_ms, 10 * 60000);
	CHECK_INT(c->smtp_idle_timeout_ms, 5 * 60000);
	CHECK(!c->smtp_enable_vrfy);
	CHECK(!c->smtp_enable_expn);
	CHECK(!c->smtp_reject_bare_lf);
	CHECK_INT(c->imap_max_line, 64 * 1024);
	CHECK_INT(c->imap_max_literal, 64 * 1024 * 1024);
	CHECK_INT(c->imap_idle_timeout_ms, 30 * 60000);
	CHECK(!c->imap_allow_plaintext_auth);
	CHECK_INT(c->pop3_max_line, 512);
	CHECK_INT(c->pop3_idle_timeout_ms, 10 * 60000);
	CHECK(!c->pop3_allow_plaintext_auth);
	CHECK_STR(c->pop3_apop_secret, "");
	CHECK_INT(c->store_batch_max, 256);
	CHECK_INT(c->store_threads, 2);
	conf_ref(c);
	CHECK_INT(c->refcount, 2);
	{
		struct conf *second = c;

		conf_unref(&c);
		CHECK(c == NULL);
		CHECK_INT(second->refcount, 1);
		conf_unref(&second);
	}
}

static void
test_conf_load_values(void)
{
	char *error, *want;
	struct conf *c =
	    load_text("# a comment\n"
	              "\n"
	              "   # indented comment\n"
	              "hostname = mx.example.org\n"
	              "data_dir = data\n"
	              "tls_cert=/etc/ssl/c.pem\r\n"
	              "\ttls_key   =   keys/k.pem   \n"
	              "log_level = debug\n"
	              "smtp_listen = 127.0.0.1:25, [::1]:25 *:2526\n"
	              "imap_listen = none\n"
	              "pop3_listen = \"\"\n"
	              "max_connections = 7\n"
	              "smtp_max_message_size = 10M\n"
	              "smtp_command_timeout = 30s\n"
	              "smtp_data_timeout = 1500ms\n"
	              "smtp_enable_vrfy = yes\n"
	              "pop3_apop_secret = \"s3cret # not a comment\"\n"
	              "imap_idle_timeout = 1h\n",
	              &error);

	CHECK_STR(error, NULL);
	if (c == NULL)
		return;
	CHECK_STR(c->hostname, "mx.example.org");
	want = xasprintf("%s/data", tmpdir);
	CHECK_STR(c->data_dir, want);
	free(want);
	CHECK_STR(c->tls_cert, "/etc/ssl/c.pem");
	want = xasprintf("%s/keys/k.pem", tmpdir);
	CHECK_STR(c->tls_key, want);
	free(want);
	CHECK_INT(c->log_level, LOG_LEVEL_DEBUG);
	CHECK_INT(c->smtp_listen.count, 3);
	if (c->smtp_listen.count == 3) {
		CHECK_STR(c->smtp_listen.items[0], "127.0.0.1:25");
		CHECK_STR(c->smtp_listen.items[1], "[::1]:25");
		CHECK_STR(c->smtp_listen.items[2], "*:2526");
	}
	CHECK_INT(c->imap_listen.count, 0);
	CHECK_INT(c->pop3_listen.count, 0);
	CHECK_INT(c->imaps_listen.count, 1);
	CHECK_INT(c->max_connections, 7);
	CHECK_INT(c->smtp_max_message_size, 10 * 1024 * 1024);
	CHECK_INT(c->smtp_command_timeout_ms, 30000);
	CHECK_INT(c->smtp_data_timeout_ms, 1500);
	CHECK(c->smtp_enable_vrfy);
	CHECK_STR(c->pop3_apop_secret, "s3cret # not a comment");
	CHECK_INT(c->imap_idle_timeout_ms, 3600000);
	CHECK_INT(c->smtp_max_line, 512); /* untouched default */
	CHECK(strstr(c->path, "outpost.conf") != NULL);
	conf_unref(&c);
}

static void
test_conf_errors(void)
{
	static const struct {
		const char *text;
		const char *want; /* after "DIR/outpost.conf:" */
	} cases[] = {
	    {"no_such_key = 1\n", "1: unknown key \"no_such_key\""},
	    {"\n\nsmtp_max_line = 100\n",
	     "3: smtp_max_line: out of range (512..64k)"},
	    {"smtp_max_data_line = 999\n",
	     "1: smtp_max_data_line: out of range (1000..1M)"},
	    {"imap_idle_timeout = 29m\n",
	     "1: imap_idle_timeout: out of range (30m..1d)"},
	    {"# c\nmax_connections = lots\n",
	     "2: max_connections: not a number"},
	    {"max_connections = 0\n",
	     "1: max_connections: out of range (1..1000000)"},
	    {"max_connections = 10k\n", "1: max_connections: not a number"},
	    {"smtp_max_message_size = 10Q\n",
	     "1: smtp_max_message_size: not a size (bytes, or with k, M, "
	     "G)"},
	    {"smtp_idle_timeout = soon\n",
	     "1: smtp_idle_timeout: not a duration (e.g. 30s, 5m, 1h, "
	     "500ms)"},
	    {"smtp_enable_vrfy = maybe\n",
	     "1: smtp_enable_vrfy: not a boolean (yes or no)"},
	    {"log_level = loud\n",
	     "1: log_level: not a log level (debug, info, warn, error)"},
	    {"hostname = bad host\n", "1: hostname: not a host name"},
	    {"smtp_listen = 127.0.0.1\n",
	     "1: smtp_listen: bad listener address (want ADDR:PORT, "
	     "[V6]:PORT or *:PORT)"},
	    {"smtp_listen = ::1:25\n",
	     "1: smtp_listen: bad listener address (want ADDR:PORT, "
	     "[V6]:PORT or *:PORT)"},
	    {"smtp_listen = 1.2.3.4:65536\n",
	     "1: smtp_listen: bad listener address (want ADDR:PORT, "
	     "[V6]:PORT or *:PORT)"},
	    {"just words\n", "1: expected \"key = value\""},
	    {"store_threads = 2\nstore_threads = 3\n",
	     "2: store_threads set again (first on line 1)"},
	    {"data_dir =\n", "1: data_dir: empty path"},
	    {"run_user = a\tb\n", "1: run_user: control character in value"},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *error, *want;
		struct conf *c = load_text(cases[i].text, &error);

		CHECK(c == NULL);
		want = xasprintf("%s/outpost.conf:%s", tmpdir, cases[i].want);
		CHECK_STR(error, want);
		free(want);
		free(error);
		if (c != NULL)
			conf_unref(&c);
	}
}

static void
test_conf_file_checks(void)
{
	char *path, *error = NULL, *want;
	struct conf *c;

	path = write_conf("loose.conf", "max_errors = 3\n", 0664);
	c = conf_load(path, &error);
	CHECK(c == NULL);
	want = xasprintf("%s: writable by group or others; refusing it "
	                 "(chmod go-w)",
	                 path);
	CHECK_STR(error, want);
	free(want);
	free(error);
	free(path);

	path = write_conf("nul.conf", "", 0600);
	{
		FILE *f = fopen(path, "w");

		fwrite("max_errors = 3\0\n", 1, 16, f);
		fclose(f);
	}
	error = NULL;
	c = conf_load(path, &error);
	CHECK(c == NULL);
	CHECK(error != NULL && strstr(error, "NUL byte") != NULL);
	free(error);
	free(path);

	path = xasprintf("%s/missing.conf", tmpdir);
	error = NULL;
	c = conf_load(path, &error);
	CHECK(c == NULL);
	CHECK(error != NULL && strstr(error, "No such file") != NULL);
	free(error);
	free(path);

	/* readable by others is fine, and no trailing newline */
	path = write_conf("ok.conf", "max_errors = 3", 0644);
	error = NULL;
	c = conf_load(path, &error);
	CHECK_STR(error, NULL);
	CHECK(c != NULL && c->max_errors == 3);
	if (c != NULL)
		conf_unref(&c);
	free(path);
}

static void
test_conf_roundtrip(void)
{
	char *text, *path, *error = NULL, *dump, *want, *data_dir;
	struct conf *c, *def;
	const char *p;
	size_t keys = 0;

	setup();
	data_dir = xasprintf("%s/data", tmpdir);
	text = conf_default_text(data_dir, "mail.example.org");
	/* each key appears once, with a comment line above it */
	for (size_t i = 0; i < conf_keys_count; i++) {
		char *line = xasprintf("\n%s = ", conf_keys[i].name);

		p = strstr(text, line);
		CHECK(p != NULL);
		if (p != NULL) {
			keys++;
			CHECK(strstr(p + 1, line) == NULL);
			/* the line before is "# comment" */
			while (p > text && p[-1] != '\n')
				p--;
			CHECK(p > text + 2);
		}
		free(line);
	}
	CHECK_INT(keys, conf_keys_count);

	path = write_conf("roundtrip.conf", text, 0600);
	c = conf_load(path, &error);
	CHECK_STR(error, NULL);
	if (c != NULL) {
		/* equal to the defaults but for what was filled in */
		dump = conf_dump(c, true);
		want = xasprintf("hostname = mail.example.org\n"
		                 "data_dir = %s\n",
		                 data_dir);
		CHECK_STR(dump, want);
		free(want);
		free(dump);
		/* and field by field for the defaults that carry no path */
		def = conf_default();
		free(def->hostname);
		def->hostname = xstrdup("mail.example.org");
		free(def->data_dir);
		def->data_dir = xstrdup(data_dir);
		free(def->tls_cert);
		def->tls_cert = xasprintf("%s/cert.pem", tmpdir);
		free(def->tls_key);
		def->tls_key = xasprintf("%s/key.pem", tmpdir);
		{
			char *d1 = conf_dump(c, false),
			     *d2 = conf_dump(def, false);

			CHECK_STR(d1, d2);
			free(d1);
			free(d2);
		}
		conf_unref(&def);
		conf_unref(&c);
	}
	free(path);
	free(text);
	free(data_dir);
}

static void
test_conf_dump(void)
{
	char *error, *dump;
	struct conf *c = load_text("smtp_max_message_size = 26214400\n"
	                           "max_errors = 4\n"
	                           "pop3_apop_secret = hush\n"
	                           "smtp_data_timeout = 90s\n"
	                           "tls_cert = cert.pem\n",
	                           &error);

	CHECK_STR(error, NULL);
	if (c == NULL)
		return;
	/* 26214400 is the default 25M; cert.pem resolves like the default */
	dump = conf_dump(c, true);
	CHECK_STR(dump, "max_errors = 4\n"
	                "smtp_data_timeout = 90s\n"
	                "pop3_apop_secret = (secret)\n");
	free(dump);
	dump = conf_dump(c, false);
	CHECK(strstr(dump, "\nsmtp_max_message_size = 25M\n") != NULL);
	CHECK(strstr(dump, "\nimap_listen = 127.0.0.1:2143\n") != NULL);
	CHECK(strstr(dump, "\nimap_idle_timeout = 30m\n") != NULL);
	CHECK(strstr(dump, "\nsmtp_enable_vrfy = no\n") != NULL);
	CHECK(strstr(dump, "hush") == NULL);
	free(dump);
	conf_unref(&c);
}

static void
test_conf_quoting(void)
{
	/* found by fuzz_conf: a value with edge spaces must dump quoted */
	char *error, *dump;
	struct conf *c = load_text("run_user = \" \"\" \n"
	                           "tls_key = \"k#1.pem\"\n",
	                           &error);

	CHECK_STR(error, NULL);
	if (c == NULL)
		return;
	CHECK_STR(c->run_user, " \"");
	dump = conf_dump(c, true);
	CHECK(strstr(dump, "run_user = \" \"\"\n") != NULL);
	CHECK(strstr(dump, "k#1.pem\"\n") != NULL);
	free(dump);
	conf_unref(&c);
}

static void
test_conf_cleanup(void)
{
	char *cmd;
	static const char *const names[] = {"outpost.conf", "loose.conf",
	                                    "nul.conf", "ok.conf",
	                                    "roundtrip.conf"};

	for (size_t i = 0; i < N_ELEMENTS(names); i++) {
		cmd = xasprintf("%s/%s", tmpdir, names[i]);
		unlink(cmd);
		free(cmd);
	}
	CHECK(rmdir(tmpdir) == 0);
}

#define TESTS(X)                                                               \
	X(test_conf_parse_size)                                                \
	X(test_conf_parse_duration)                                            \
	X(test_conf_parse_bool)                                                \
	X(test_conf_table)                                                     \
	X(test_conf_defaults)                                                  \
	X(test_conf_load_values)                                               \
	X(test_conf_errors)                                                    \
	X(test_conf_file_checks)                                               \
	X(test_conf_roundtrip)                                                 \
	X(test_conf_dump)                                                      \
	X(test_conf_quoting)                                                   \
	X(test_conf_cleanup)
TEST_MAIN(TESTS)
