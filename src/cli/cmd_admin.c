/* SPDX-License-Identifier: MIT */
/*
 * cmd_admin.c - the administration subcommands: domain, user, mailbox,
 * message and config. Each loads the configuration, opens the store
 * directly with store_db_open (SQLite in WAL mode, so they work while the
 * daemon runs) and makes one synchronous change or listing. Passwords are
 * read with passwd_read (terminal without echo, or one line of stdin), never
 * taken from argv, and wiped after hashing.
 */
#include <errno.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/conf.h"
#include "core/mem.h"
#include "core/passwd.h"
#include "store/store.h"

static const char usage_domain[] =
    "usage: outpost domain add NAME [-c CONFIG]\n"
    "       outpost domain del NAME [-c CONFIG]\n"
    "       outpost domain list [-c CONFIG]\n"
    "\n"
    "Manage the local domains (mail for them is delivered here).\n";

static const char usage_user[] =
    "usage: outpost user add ADDRESS [-c CONFIG]\n"
    "       outpost user passwd ADDRESS [-c CONFIG]\n"
    "       outpost user del ADDRESS [-c CONFIG]\n"
    "       outpost user list [-c CONFIG]\n"
    "\n"
    "Manage accounts (local@domain; the domain must exist). The password\n"
    "is asked twice on a terminal, else read as one line from stdin.\n";

static const char usage_mailbox[] =
    "usage: outpost mailbox list USER [-c CONFIG]\n"
    "\n"
    "List USER's mailboxes: name, messages, uidvalidity, uidnext.\n";

static const char usage_message[] =
    "usage: outpost message list USER [MAILBOX] [-c CONFIG]\n"
    "       outpost message cat USER [MAILBOX] UID [-c CONFIG]\n"
    "\n"
    "list: uid, size, flags and internal date of each message.\n"
    "cat: the stored message, byte for byte, on stdout.\n"
    "MAILBOX defaults to INBOX.\n";

static const char usage_config[] =
    "usage: outpost config check [-n] [-c CONFIG]\n"
    "\n"
    "Parse and validate CONFIG; print every setting (-n: only those that\n"
    "differ from the defaults). Errors are printed as FILE:LINE: message.\n";

/*
 * become_owner - when run as root on a store owned by another user (the
 * daemon's run_user), act as that user so that files SQLite creates beside
 * the database (-wal, -shm) stay usable by the daemon.
 */
static int
become_owner(const char *data_dir)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(data_dir, &st) < 0) {
		cli_err("%s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (st.st_uid == 0)
		return 0;
	if (setgroups(1, &st.st_gid) < 0 ||
	    setresgid(st.st_gid, st.st_gid, st.st_gid) < 0 ||
	    setresuid(st.st_uid, st.st_uid, st.st_uid) < 0) {
		cli_err("cannot switch to the owner of %s: %s", data_dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* open_store - load the config and open its store; NULL after an error. */
static struct store_db *
open_store(const struct cli_args *a)
{
	struct store_db *db;
	struct conf *c;
	const char *error = NULL;

	c = cli_conf_load(a);
	if (c == NULL)
		return NULL;
	if (become_owner(c->data_dir) < 0) {
		conf_unref(&c);
		return NULL;
	}
	db = store_db_open(c->data_dir, &error);
	if (db == NULL)
		cli_err("store %s: %s", c->data_dir,
		        error != NULL ? error : "cannot open");
	conf_unref(&c);
	return db;
}

static void
free_names(char **names)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

static int
print_names(char **names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		printf("%s\n", names[i]);
	free_names(names);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* changed - report one change to the store, rc its result: "WHAT NAME:
 * error" on stderr, or "DONE NAME" on stdout; the exit status */
static int
changed(struct store_db *db, int rc, const char *what, const char *done,
        const char *name)
{
	if (rc < 0) {
		cli_err("%s %s: %s", what, name, store_db_error(db));
		return 1;
	}
	printf("%s %s\n", done, name);
	return 0;
}

int
cli_domain(int argc, char **argv)
{
	struct cli_args a;
	struct store_db *db;
	char **names = NULL;
	const char *verb;
	int ret = 1;

	cli_parse(argc, argv, usage_domain, false, &a);
	if (a.argc < 1)
		cli_usage_error(usage_domain, "missing add, del or list");
	verb = a.argv[0];
	if (strcmp(verb, "list") == 0) {
		if (a.argc != 1)
			cli_usage_error(usage_domain, "list takes no NAME");
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0) {
		if (a.argc != 2)
			cli_usage_error(usage_domain, "expected one NAME");
	} else {
		cli_usage_error(usage_domain, "expected add, del or list");
	}
	if ((db = open_store(&a)) == NULL)
		return 1;
	if (strcmp(verb, "list") == 0) {
		if (store_domain_list(db, &names) < 0)
			cli_err("%s", store_db_error(db));
		else
			ret = print_names(names);
	} else if (strcmp(verb, "add") == 0) {
		ret = changed(db, store_domain_add(db, a.argv[1]), "domain add",
		              "added domain", a.argv[1]);
	} else {
		ret = changed(db, store_domain_del(db, a.argv[1]), "domain del",
		              "deleted domain", a.argv[1]);
	}
	store_db_close(&db);
	return ret;
}

/* read_hash - ask for a password and hash it; NULL after an error. */
static char *
read_hash(void)
{
	char *pw, *hash;

	pw = passwd_read("Password: ", true);
	if (pw == NULL) {
		cli_err("no password read");
		return NULL;
	}
	if (pw[0] == '\0') {
		cli_err("empty password");
		free(pw);
		return NULL;
	}
	hash = passwd_hash(pw);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (hash == NULL)
		cli_err("hashing the password failed");
	return hash;
}

int
cli_user(int argc, char **argv)
{
	struct cli_args a;
	struct store_db *db;
	char **names = NULL, *hash = NULL;
	const char *verb;
	int ret = 1;

	cli_parse(argc, argv, usage_user, false, &a);
	if (a.argc < 1)
		cli_usage_error(usage_user, "missing add, del, passwd or list");
	verb = a.argv[0];
	if (strcmp(verb, "list") == 0) {
		if (a.argc != 1)
			cli_usage_error(usage_user, "list takes no ADDRESS");
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0 ||
	           strcmp(verb, "passwd") == 0) {
		if (a.argc != 2)
			cli_usage_error(usage_user, "expected one ADDRESS");
	} else {
		cli_usage_error(usage_user,
		                "expected add, del, passwd or list");
	}
	if ((db = open_store(&a)) == NULL)
		return 1;
	if (strcmp(verb, "list") == 0) {
		if (store_user_list(db, &names) < 0)
			cli_err("%s", store_db_error(db));
		else
			ret = print_names(names);
	} else if (strcmp(verb, "del") == 0) {
		ret = changed(db, store_user_del(db, a.argv[1]), "user del",
		              "deleted user", a.argv[1]);
	} else if ((hash = read_hash()) != NULL) {
		if (strcmp(verb, "add") == 0)
			ret = changed(db, store_user_add(db, a.argv[1], hash),
			              "user add", "added user", a.argv[1]);
		else
			ret =
			    changed(db, store_user_passwd(db, a.argv[1], hash),
			            "user passwd", "changed the password of",
			            a.argv[1]);
		explicit_bzero(hash, strlen(hash));
		free(hash);
	}
	store_db_close(&db);
	return ret;
}

/* lookup_user - 0 and *u_r filled, or -1 after printing why. */
static int
lookup_user(struct store_db *db, const char *address, struct store_user *u_r)
{
	int r;

	r = store_user_lookup(db, address, u_r);
	if (r < 0)
		cli_err("%s", store_db_error(db));
	else if (r == 0)
		cli_err("no such user: %s", address);
	return r == 1 ? 0 : -1;
}

int
cli_mailbox(int argc, char **argv)
{
	struct cli_args a;
	struct store_db *db;
	struct store_user u;
	struct store_mailbox *mbs = NULL;
	size_t count = 0, i;
	int ret = 1;

	cli_parse(argc, argv, usage_mailbox, false, &a);
	if (a.argc < 1 || strcmp(a.argv[0], "list") != 0)
		cli_usage_error(usage_mailbox, "expected list");
	if (a.argc != 2)
		cli_usage_error(usage_mailbox, "expected one USER");
	if ((db = open_store(&a)) == NULL)
		return 1;
	if (lookup_user(db, a.argv[1], &u) < 0)
		goto out;
	if (store_mailbox_list(db, u.id, &mbs, &count) < 0) {
		cli_err("%s", store_db_error(db));
		goto out_user;
	}
	for (i = 0; i < count; i++) {
		if (store_mailbox_status(db, &mbs[i]) < 0) {
			cli_err("%s: %s", mbs[i].name, store_db_error(db));
			goto out_list;
		}
		printf("%s\tmessages=%u\tuidvalidity=%u\tuidnext=%u\n",
		       mbs[i].name, mbs[i].messages, mbs[i].uidvalidity,
		       mbs[i].uidnext);
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
out_list:
	store_mailbox_list_free(&mbs, count);
out_user:
	store_user_clear(&u);
out:
	store_db_close(&db);
	return ret;
}

/* format_flags - "\Seen \Flagged kw1" or "-" into out. */
static void
format_flags(const struct store_message *m, char *out, size_t max_out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	    {STORE_F_SEEN, "\\Seen"},       {STORE_F_ANSWERED, "\\Answered"},
	    {STORE_F_FLAGGED, "\\Flagged"}, {STORE_F_DELETED, "\\Deleted"},
	    {STORE_F_DRAFT, "\\Draft"},
	};
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < N_ELEMENTS(names); i++) {
		if ((m->flags & names[i].bit) == 0)
			continue;
		if (snprintf_chk(out + len, max_out - len, "%s%s",
		                 len > 0 ? " " : "", names[i].name) < 0)
			return;
		len += strlen(out + len);
	}
	if (m->keywords != NULL && m->keywords[0] != '\0')
		(void)snprintf_chk(out + len, max_out - len, "%s%s",
		                   len > 0 ? " " : "", m->keywords);
	if (out[0] == '\0')
		(void)strlcpy_chk(out, "-", max_out);
}

/* format_date - internal date in its own zone: "2026-11-23 14:00:00 +0100" */
static void
format_date(const struct store_message *m, char *out, size_t max_out)
{
	time_t t = (time_t)(m->internaldate + (int64_t)m->tz_offset_min * 60);
	int off = m->tz_offset_min < 0 ? -m->tz_offset_min : m->tz_offset_min;
	struct tm tm;
	char day[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm) == 0 ||
	    snprintf_chk(out, max_out, "%s %c%02d%02d", day,
	                 m->tz_offset_min < 0 ? '-' : '+', off / 60,
	                 off % 60) < 0)
		(void)strlcpy_chk(out, "?", max_out);
}

/* write_blob - copy the message's bytes to stdout exactly. */
static int
write_blob(const struct store_blob *b)
{
	uint8_t chunk[65536];
	uint64_t done = 0;
	size_t want, off;
	ssize_t n, w;

	while (done < b->size) {
		want = (size_t)MIN((uint64_t)sizeof(chunk), b->size - done);
		n = pread(b->fd, chunk, want, (off_t)(b->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_err("reading the message: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			cli_err("the message is truncated on disk");
			return -1;
		}
		for (off = 0; off < (size_t)n;) {
			w = write(STDOUT_FILENO, chunk + off, (size_t)n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				cli_err("write: %s", strerror(errno));
				return -1;
			}
			off += (size_t)w;
		}
		done += (uint64_t)n;
	}
	return 0;
}

int
cli_message(int argc, char **argv)
{
	struct cli_args a;
	struct store_db *db;
	struct store_user u;
	struct store_mailbox mb;
	struct store_message *msgs = NULL, msg;
	struct store_blob blob;
	const char *mailbox = "INBOX";
	char flags[512], date[64];
	size_t count = 0, i;
	uint32_t uid = 0;
	bool cat;
	int r, ret = 1;

	cli_parse(argc, argv, usage_message, false, &a);
	if (a.argc < 1)
		cli_usage_error(usage_message, "missing list or cat");
	if (strcmp(a.argv[0], "list") == 0) {
		cat = false;
		if (a.argc < 2 || a.argc > 3)
			cli_usage_error(usage_message,
			                "expected USER [MAILBOX]");
		if (a.argc == 3)
			mailbox = a.argv[2];
	} else if (strcmp(a.argv[0], "cat") == 0) {
		cat = true;
		if (a.argc < 3 || a.argc > 4)
			cli_usage_error(usage_message,
			                "expected USER [MAILBOX] UID");
		if (a.argc == 4)
			mailbox = a.argv[2];
		if (cli_parse_u32(a.argv[a.argc - 1], &uid) < 0 || uid == 0)
			cli_usage_error(usage_message, "UID is not a number");
	} else {
		cli_usage_error(usage_message, "expected list or cat");
	}
	if ((db = open_store(&a)) == NULL)
		return 1;
	if (lookup_user(db, a.argv[1], &u) < 0)
		goto out;
	r = store_mailbox_get(db, u.id, mailbox, &mb);
	if (r <= 0) {
		if (r < 0)
			cli_err("%s", store_db_error(db));
		else
			cli_err("%s has no mailbox \"%s\"", u.address, mailbox);
		goto out_user;
	}
	if (cat) {
		r = store_message_get(db, mb.id, uid, &msg);
		if (r <= 0) {
			if (r < 0)
				cli_err("%s", store_db_error(db));
			else
				cli_err("no message with UID %u in %s", uid,
				        mb.name);
			goto out_mb;
		}
		if (store_blob_get(db, msg.blob_id, &blob) < 0)
			cli_err("%s", store_db_error(db));
		else if (write_blob(&blob) == 0)
			ret = 0;
		store_message_clear(&msg);
		goto out_mb;
	}
	if (store_message_list(db, mb.id, 0, &msgs, &count) < 0) {
		cli_err("%s", store_db_error(db));
		goto out_mb;
	}
	for (i = 0; i < count; i++) {
		format_flags(&msgs[i], flags, sizeof(flags));
		format_date(&msgs[i], date, sizeof(date));
		printf("%u\t%llu\t%s\t%s\n", msgs[i].uid,
		       (unsigned long long)msgs[i].size, flags, date);
	}
	store_message_list_free(&msgs, count);
	ret = fflush(stdout) == 0 ? 0 : 1;
out_mb:
	store_mailbox_clear(&mb);
out_user:
	store_user_clear(&u);
out:
	store_db_close(&db);
	return ret;
}

int
cli_config(int argc, char **argv)
{
	struct cli_args a;
	struct conf *c;
	char *text;

	cli_parse(argc, argv, usage_config, true, &a);
	if (a.argc != 1 || strcmp(a.argv[0], "check") != 0)
		cli_usage_error(usage_config, "expected check");
	if ((c = cli_conf_load(&a)) == NULL)
		return 1;
	text = conf_dump(c, a.nondefault);
	if (text != NULL)
		fputs(text, stdout);
	free(text);
	conf_unref(&c);
	return fflush(stdout) == 0 ? 0 : 1;
}
