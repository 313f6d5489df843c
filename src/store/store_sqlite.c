/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - level 1 of store.h on SQLite: the schema, opening a
 * connection (WAL, synchronous=FULL, foreign keys, defensive mode, lowered
 * limits), the statement helpers, and the synchronous calls for domains,
 * users and mailboxes (messages and blobs: store_msg.c). Bound parameters only;
 * statements are prepared once per connection and cached. Blob refcounts are
 * kept by triggers on messages and queue, so cascading deletes (user, mailbox)
 * release bodies too; a blob whose count reaches 0 leaves the table (its bytes
 * stay in the segment until a later compaction).
 *
 * Runs on whichever single thread owns the store_db. Names and addresses
 * come from users and peers: they are validated here before any query.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/mem.h"
#include "store_int.h"

static const char schema_sql[] =
    "CREATE TABLE domains ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE);"
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " domain_id INTEGER NOT NULL REFERENCES domains(id),"
    " localpart TEXT NOT NULL COLLATE NOCASE,"
    " pwhash TEXT NOT NULL,"
    " uidvalidity_last INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE(domain_id, localpart));"
    "CREATE TABLE mailboxes ("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL,"
    " uidnext INTEGER NOT NULL DEFAULT 1,"
    " highestmodseq INTEGER NOT NULL DEFAULT 1,"
    " special_use INTEGER NOT NULL DEFAULT 0,"
    " subscribed INTEGER NOT NULL DEFAULT 1,"
    " UNIQUE(user_id, name));"
    "CREATE TABLE blobs ("
    " id INTEGER PRIMARY KEY,"
    " segment INTEGER NOT NULL,"
    " \"offset\" INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " refcount INTEGER NOT NULL DEFAULT 0,"
    " meta BLOB);"
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id)"
    "  ON DELETE CASCADE,"
    " uid INTEGER NOT NULL,"
    " blob_id INTEGER NOT NULL REFERENCES blobs(id),"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " keywords TEXT,"
    " internaldate INTEGER NOT NULL,"
    " tz_offset INTEGER NOT NULL DEFAULT 0,"
    " size INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " UNIQUE(mailbox_id, uid));"
    "CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);"
    "CREATE INDEX messages_blob ON messages(blob_id);"
    /* version 2: IMAP SELECT reads a mailbox from this index alone */
    "CREATE INDEX messages_view ON messages(mailbox_id, uid, modseq, flags);"
    "CREATE TABLE queue ("
    " id INTEGER PRIMARY KEY,"
    " blob_id INTEGER NOT NULL REFERENCES blobs(id),"
    " sender TEXT NOT NULL,"
    " recipient TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " next_attempt INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " claimed_until INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX queue_due ON queue(next_attempt);"
    "CREATE INDEX queue_blob ON queue(blob_id);"
    /* blob refcounts follow the rows that reference them */
    "CREATE TRIGGER messages_blob_ref AFTER INSERT ON messages BEGIN"
    " UPDATE blobs SET refcount = refcount + 1 WHERE id = NEW.blob_id;"
    " END;"
    "CREATE TRIGGER messages_blob_unref AFTER DELETE ON messages BEGIN"
    " UPDATE blobs SET refcount = refcount - 1 WHERE id = OLD.blob_id;"
    " DELETE FROM blobs WHERE id = OLD.blob_id AND refcount <= 0;"
    " END;"
    "CREATE TRIGGER queue_blob_ref AFTER INSERT ON queue BEGIN"
    " UPDATE blobs SET refcount = refcount + 1 WHERE id = NEW.blob_id;"
    " END;"
    "CREATE TRIGGER queue_blob_unref AFTER DELETE ON queue BEGIN"
    " UPDATE blobs SET refcount = refcount - 1 WHERE id = OLD.blob_id;"
    " DELETE FROM blobs WHERE id = OLD.blob_id AND refcount <= 0;"
    " END;";

#define MB_COLS                                                                \
	"id, user_id, name, uidvalidity, uidnext, highestmodseq,"              \
	" special_use, subscribed"
#define MSG_COLS                                                               \
	"id, mailbox_id, uid, flags, keywords, internaldate, tz_offset,"       \
	" size, modseq, blob_id"

#define MSG_COLS_M                                                             \
	"m.id, m.mailbox_id, m.uid, m.flags, m.keywords, m.internaldate,"      \
	" m.tz_offset, m.size, m.modseq, m.blob_id"

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_DOMAIN_ADD] = "INSERT INTO domains(name) VALUES(?)",
    [S_DOMAIN_ID] = "SELECT id FROM domains WHERE name = ?",
    [S_DOMAIN_USERS] = "SELECT count(*) FROM users WHERE domain_id = ?",
    [S_DOMAIN_DEL] = "DELETE FROM domains WHERE id = ?",
    [S_DOMAIN_LIST] = "SELECT name FROM domains ORDER BY name",
    [S_USER_ADD] = "INSERT INTO users(domain_id, localpart, pwhash)"
                   " VALUES(?, ?, ?)",
    [S_USER_GET] = "SELECT u.id, u.localpart || '@' || d.name, u.pwhash"
                   " FROM users u JOIN domains d ON d.id = u.domain_id"
                   " WHERE d.name = ? AND u.localpart = ?",
    [S_USER_FIRST] = "SELECT u.id, u.localpart || '@' || d.name, u.pwhash"
                     " FROM users u JOIN domains d ON d.id = u.domain_id"
                     " WHERE d.name = ? ORDER BY u.id LIMIT 1",
    [S_USER_DEL] = "DELETE FROM users WHERE id = ?",
    [S_USER_PASSWD] = "UPDATE users SET pwhash = ? WHERE id = ?",
    [S_USER_LIST] = "SELECT u.localpart || '@' || d.name FROM users u"
                    " JOIN domains d ON d.id = u.domain_id"
                    " ORDER BY d.name, u.localpart",
    [S_USER_UIDV] = "UPDATE users SET uidvalidity_last ="
                    " max(uidvalidity_last + 1, ?) WHERE id = ?"
                    " RETURNING uidvalidity_last",
    [S_MB_INSERT] = "INSERT INTO mailboxes(user_id, name, uidvalidity,"
                    " uidnext, highestmodseq, special_use)"
                    " VALUES(?, ?, ?, ?, ?, ?)",
    [S_MB_GET] = "SELECT " MB_COLS " FROM mailboxes"
                 " WHERE user_id = ? AND name = ?",
    [S_MB_LIST] = "SELECT " MB_COLS " FROM mailboxes WHERE user_id = ?"
                  " ORDER BY name",
    [S_MB_CHILDREN] = "SELECT id, name FROM mailboxes WHERE user_id = ?"
                      " AND name >= ? AND name < ? ORDER BY name",
    [S_MB_DELETE] = "DELETE FROM mailboxes WHERE id = ?",
    [S_MB_RENAME] = "UPDATE mailboxes SET name = ? WHERE id = ?",
    [S_MB_SUBSCRIBE] = "UPDATE mailboxes SET subscribed = ? WHERE id = ?",
    [S_MB_STATUS] = "SELECT count(*), total((flags & 1) = 0) FROM messages"
                    " WHERE mailbox_id = ?",
    [S_MB_NEXTUID] = "UPDATE mailboxes SET uidnext = uidnext + 1,"
                     " highestmodseq = highestmodseq + 1 WHERE id = ?"
                     " AND uidnext < 4294967295"
                     " RETURNING uidnext - 1, highestmodseq",
    [S_MB_BUMP] = "UPDATE mailboxes SET highestmodseq = highestmodseq + 1"
                  " WHERE id = ? RETURNING highestmodseq",
    [S_MB_VALIDITY] = "SELECT uidvalidity FROM mailboxes WHERE id = ?",
    [S_MB_MOVE_MSGS] = "UPDATE messages SET mailbox_id = ?"
                       " WHERE mailbox_id = ?",
    [S_MSG_INSERT] = "INSERT INTO messages(mailbox_id, uid, blob_id, flags,"
                     " keywords, internaldate, tz_offset, size, modseq)"
                     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_MSG_LIST] = "SELECT " MSG_COLS " FROM messages"
                   " WHERE mailbox_id = ? AND uid >= ? ORDER BY uid",
    [S_MSG_CHANGED] = "SELECT " MSG_COLS " FROM messages"
                      " WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    [S_MSG_GET] = "SELECT " MSG_COLS " FROM messages"
                  " WHERE mailbox_id = ? AND uid = ?",
    [S_MSG_SCAN] = "SELECT " MSG_COLS " FROM messages"
                   " WHERE mailbox_id = ? AND uid >= ? AND uid <= ?"
                   " ORDER BY uid",
    [S_MSG_VIEW] = "SELECT uid, modseq, flags FROM messages"
                   " WHERE mailbox_id = ? ORDER BY uid",
    [S_MSG_SCAN_BLOB] = "SELECT " MSG_COLS_M ", b.segment, b.\"offset\","
                        " b.size FROM messages m"
                        " JOIN blobs b ON b.id = m.blob_id"
                        " WHERE m.mailbox_id = ? AND m.uid >= ?"
                        " AND m.uid <= ? ORDER BY m.uid",
    [S_MSG_SCAN_META] = "SELECT " MSG_COLS_M ", b.segment, b.\"offset\","
                        " b.size, b.meta FROM messages m"
                        " JOIN blobs b ON b.id = m.blob_id"
                        " WHERE m.mailbox_id = ? AND m.uid >= ?"
                        " AND m.uid <= ? ORDER BY m.uid",
    [S_MSG_SETFLAGS] = "UPDATE messages SET flags = ?, keywords = ?,"
                       " modseq = ? WHERE mailbox_id = ? AND uid = ?",
    [S_MSG_DELETE] = "DELETE FROM messages WHERE mailbox_id = ? AND uid = ?",
    [S_BLOB_INSERT] = "INSERT INTO blobs(segment, \"offset\", size, meta)"
                      " VALUES(?, ?, ?, ?)",
    [S_BLOB_GET] = "SELECT segment, \"offset\", size FROM blobs"
                   " WHERE id = ?",
    [S_BLOB_META] = "SELECT meta FROM blobs WHERE id = ?",
    [S_BLOB_DROP_UNUSED] = "DELETE FROM blobs WHERE id = ? AND"
                           " refcount <= 0",
    [S_SAVEPOINT] = "SAVEPOINT delivery",
    [S_RELEASE] = "RELEASE delivery",
    [S_ROLLBACK_TO] = "ROLLBACK TO delivery",
};

_Static_assert(S_COUNT <= STORE_STMT_MAX, "raise STORE_STMT_MAX");

static const struct {
	const char *name;
	enum store_special_use su;
} default_mailboxes[] = {
    {"INBOX", STORE_SU_NONE},    {"Sent", STORE_SU_SENT},
    {"Drafts", STORE_SU_DRAFTS}, {"Trash", STORE_SU_TRASH},
    {"Junk", STORE_SU_JUNK},     {"Archive", STORE_SU_ARCHIVE},
};

/* --- errors and statement helpers --- */

int
db_seterr(struct store_db *db, const char *fmt, ...)
{
	va_list ap;

	/* error texts may be cut: they are only ever shown */
	va_start(ap, fmt);
	(void)vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
store_db_error(struct store_db *db)
{
	return db->err[0] != '\0' ? db->err : "no error";
}

static int
sqlerr(struct store_db *db, const char *what)
{
	return db_seterr(db, "%s: %s", what, sqlite3_errmsg(db->sql));
}

/* db_stmt - the cached statement for id, reset and with bindings cleared. */
sqlite3_stmt *
db_stmt(struct store_db *db, enum stmt_id id)
{
	sqlite3_stmt *st = db->stmts[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
		                       SQLITE_PREPARE_PERSISTENT,
		                       &db->stmts[id], NULL) != SQLITE_OK) {
			sqlerr(db, "prepare");
			return NULL;
		}
		st = db->stmts[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/*
 * db_q - statement id with arguments bound from types: 'i' int64_t, 't' text
 * (NULL binds NULL), 'b' blob (const void *, size_t). NULL on error.
 */
sqlite3_stmt *
db_q(struct store_db *db, enum stmt_id id, const char *types, ...)
{
	sqlite3_stmt *st = db_stmt(db, id);
	va_list ap;
	int rc = SQLITE_OK;

	if (st == NULL)
		return NULL;
	va_start(ap, types);
	for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 't': {
			const char *s = va_arg(ap, const char *);

			rc = s == NULL ? sqlite3_bind_null(st, i + 1)
			               : sqlite3_bind_text(st, i + 1, s, -1,
			                                   SQLITE_STATIC);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			rc = p == NULL ? sqlite3_bind_null(st, i + 1)
			               : sqlite3_bind_blob64(st, i + 1, p, len,
			                                     SQLITE_STATIC);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlerr(db, "bind");
		sqlite3_reset(st);
		return NULL;
	}
	return st;
}

/* db_run - step a statement that returns no rows (or ignore them); 0 or -1
 * with *rc_r the SQLite code. */
int
db_run(struct store_db *db, sqlite3_stmt *st, int *rc_r)
{
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc_r != NULL)
		*rc_r = rc;
	if (rc != SQLITE_DONE) {
		sqlerr(db, "step");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* db_row - step once: 1 row ready (caller resets), 0 none, -1 error. */
int
db_row(struct store_db *db, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return sqlerr(db, "step");
}

/* db_one_int - first column of the first row into *v_r: 1, 0 none, -1. */
int
db_one_int(struct store_db *db, sqlite3_stmt *st, int64_t *v_r)
{
	int ret = db_row(db, st);

	if (ret == 1) {
		*v_r = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return ret;
}

char *
db_col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

int
db_tx_begin(struct store_db *db)
{
	return db_run(db, db_stmt(db, S_BEGIN), NULL);
}

int
db_tx_commit(struct store_db *db)
{
	if (db_run(db, db_stmt(db, S_COMMIT), NULL) < 0) {
		char saved[sizeof(db->err)];

		memcpy(saved, db->err, sizeof(saved));
		if (!sqlite3_get_autocommit(db->sql))
			(void)db_run(db, db_stmt(db, S_ROLLBACK), NULL);
		memcpy(db->err, saved, sizeof(saved));
		return -1;
	}
	return 0;
}

/* db_tx_fail - roll back (keeping the error text); returns -1. */
int
db_tx_fail(struct store_db *db)
{
	char saved[sizeof(db->err)];

	memcpy(saved, db->err, sizeof(saved));
	if (!sqlite3_get_autocommit(db->sql))
		(void)db_run(db, db_stmt(db, S_ROLLBACK), NULL);
	memcpy(db->err, saved, sizeof(saved));
	return -1;
}

/* store_notify - remember a changed mailbox while a service job runs. */
void
store_notify(struct store_db *db, int64_t mailbox_id)
{
	if (!db->collect)
		return;
	for (size_t i = 0; i < db->changed_count; i++) {
		if (db->changed[i] == mailbox_id)
			return;
	}
	if (db->changed_count == db->changed_cap) {
		db->changed_cap = db->changed_cap > 0 ? db->changed_cap * 2 : 8;
		db->changed = xreallocarray(db->changed, db->changed_cap,
		                            sizeof(*db->changed));
	}
	db->changed[db->changed_count++] = mailbox_id;
}

/* --- validation --- */

/* utf8_len - length of one valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * mb_norm - validate a mailbox name into out: UTF-8, no controls, no IMAP
 * wildcards, no empty level, a trailing '/' dropped (RFC 3501 6.3.3), at
 * most STORE_MAILBOX_NAME_MAX bytes and STORE_MAILBOX_DEPTH_MAX levels,
 * "INBOX" in any case spelled "INBOX".
 */
static int
mb_norm(struct store_db *db, const char *name, char *out, size_t out_size)
{
	size_t len = name != NULL ? strlen(name) : 0;
	unsigned depth = 1;

	if (len > 0 && name[len - 1] == '/')
		len--;
	if (len == 0 || len > STORE_MAILBOX_NAME_MAX || len >= out_size)
		return db_seterr(db, "invalid mailbox name length");
	for (size_t i = 0; i < len;) {
		const unsigned char *p = (const unsigned char *)name + i;
		size_t n;

		if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '%')
			return db_seterr(db, "invalid character in mailbox"
			                     " name");
		if (*p == '/') {
			if (i == 0 || name[i - 1] == '/' || i + 1 == len)
				return db_seterr(db, "empty mailbox name"
				                     " level");
			if (++depth > STORE_MAILBOX_DEPTH_MAX)
				return db_seterr(db, "mailbox name too deep");
		}
		n = utf8_len(p);
		if (n == 0 || n > len - i)
			return db_seterr(db, "mailbox name not UTF-8");
		i += n;
	}
	/* UNSAFE: len < out_size, checked above */
	memcpy(out, name, len);
	out[len] = '\0';
	if (strncasecmp(out, "INBOX", 5) == 0 &&
	    (out[5] == '\0' || out[5] == '/'))
		memcpy(out, "INBOX", 5); /* UNSAFE: out holds >= 5 */
	return 0;
}

static bool
domain_valid(const char *d)
{
	size_t len = strlen(d), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = d[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		label++;
	}
	return true;
}

/* localpart_valid - RFC 5321 dot-string, plus UTF-8 (RFC 6531). */
static bool
localpart_valid(const char *s, size_t len)
{
	if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)s + i);

			if (n == 0 || n > len - i)
				return false;
			i += n;
			continue;
		}
		if (c == '.' && s[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') ||
		      strchr(".!#$%&'*+-/=?^_`{|}~", c) != NULL))
			return false;
		i++;
	}
	return true;
}

/* split_address - "local@domain" into its parts (allocated local). */
static int
split_address(struct store_db *db, const char *address, char **local_r,
              const char **domain_r)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	if (at == NULL || !localpart_valid(address, (size_t)(at - address)) ||
	    !domain_valid(at + 1))
		return db_seterr(db, "invalid address");
	*local_r = xstrndup(address, (size_t)(at - address));
	*domain_r = at + 1;
	return 0;
}

/* --- opening --- */

static void
db_free(struct store_db *db)
{
	for (size_t i = 0; i < STORE_STMT_MAX; i++)
		sqlite3_finalize(db->stmts[i]);
	if (db->sql != NULL)
		sqlite3_close_v2(db->sql);
	blob_close_all(db);
	if (!db->maps_shared)
		seg_maps_free(&db->maps);
	free(db->changed);
	free(db->data_dir);
	free(db->blob_dir);
	free(db);
}

/* db_connect - open and configure a connection; NULL and err on failure. */
static struct store_db *
db_connect(const char *data_dir, bool create, const char **error_r)
{
	struct store_db *db = xcalloc(1, sizeof(*db));
	static __thread char errbuf[256];
	char *path = xasprintf("%s/outpost.db", data_dir);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	            (create ? SQLITE_OPEN_CREATE : 0);

	db->wfd = -1;
	db->seg_max = STORE_SEGMENT_MAX;
	db->data_dir = xstrdup(data_dir);
	db->blob_dir = xasprintf("%s/blobs", data_dir);
	if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
		if (db->sql != NULL)
			sqlerr(db, path);
		else
			db_seterr(db, "%s: out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_busy_timeout(db->sql, 5000);
	/* lower limits: we only run our own statements (sqlite.org/security) */
	sqlite3_limit(db->sql, SQLITE_LIMIT_LENGTH, 256 * 1024 * 1024);
	sqlite3_limit(db->sql, SQLITE_LIMIT_SQL_LENGTH, 100000);
	sqlite3_limit(db->sql, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(db->sql, SQLITE_LIMIT_COMPOUND_SELECT, 10);
	sqlite3_limit(db->sql, SQLITE_LIMIT_FUNCTION_ARG, 8);
	sqlite3_limit(db->sql, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db->sql, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100);
	sqlite3_limit(db->sql, SQLITE_LIMIT_VARIABLE_NUMBER, 100);
	sqlite3_limit(db->sql, SQLITE_LIMIT_TRIGGER_DEPTH, 10);
	if (sqlite3_exec(db->sql,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                 " PRAGMA foreign_keys=ON;"
	                 /* reads of large mailboxes (IMAP SELECT, FETCH,
	                  * SEARCH) straight from the page cache, not copied
	                  * through SQLite's small page cache */
	                 " PRAGMA mmap_size=1073741824;",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		sqlerr(db, "pragma");
		goto fail;
	}
	free(path);
	return db;
fail:
	(void)strlcpy_chk(errbuf, db->err, sizeof(errbuf));
	*error_r = errbuf;
	free(path);
	db_free(db);
	return NULL;
}

int
store_create(const char *data_dir, const char **error_r)
{
	static __thread char errbuf[256];
	struct store_db *db;
	struct stat st;
	char *path = xasprintf("%s/outpost.db", data_dir);
	char *blobs = xasprintf("%s/blobs", data_dir);
	char *tmp = xasprintf("%s/tmp", data_dir);
	int ret = -1;

	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
		(void)snprintf_chk(errbuf, sizeof(errbuf), "mkdir %s: %s",
		                   data_dir, strerror(errno));
		*error_r = errbuf;
		goto out;
	}
	if (stat(path, &st) == 0) {
		(void)snprintf_chk(errbuf, sizeof(errbuf), "%s exists", path);
		*error_r = errbuf;
		goto out;
	}
	if ((mkdir(blobs, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(tmp, 0700) < 0 && errno != EEXIST)) {
		(void)snprintf_chk(errbuf, sizeof(errbuf), "mkdir: %s",
		                   strerror(errno));
		*error_r = errbuf;
		goto out;
	}
	if ((db = db_connect(data_dir, true, error_r)) == NULL)
		goto out;
	char *sql = xasprintf("BEGIN; %s PRAGMA user_version=%d; COMMIT;",
	                      schema_sql, STORE_SCHEMA_VERSION);

	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sqlerr(db, "schema");
		(void)strlcpy_chk(errbuf, db->err, sizeof(errbuf));
		*error_r = errbuf;
	} else
		ret = 0;
	free(sql);
	db_free(db);
	if (ret == 0) {
		/* the new names (db, blobs/, tmp/) must survive a crash */
		int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd != -1) {
			(void)fsync(fd);
			close(fd);
		}
	}
out:
	free(path);
	free(blobs);
	free(tmp);
	return ret;
}

struct store_db *
store_db_open(const char *data_dir, const char **error_r)
{
	static __thread char errbuf[256];
	struct store_db *db = db_connect(data_dir, false, error_r);
	int64_t version = 0;
	sqlite3_stmt *st;

	if (db == NULL)
		return NULL;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* migrations, from version up to the current one (IF NOT EXISTS:
	 * several connections may open a version 1 store at once) */
	if (version == 1) {
		if (sqlite3_exec(db->sql,
		                 "BEGIN IMMEDIATE;"
		                 " CREATE INDEX IF NOT EXISTS messages_view ON"
		                 " messages(mailbox_id, uid, modseq, flags);"
		                 " PRAGMA user_version=2; COMMIT;",
		                 NULL, NULL, NULL) != SQLITE_OK) {
			sqlerr(db, "migrate to schema version 2");
			(void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL,
			                   NULL);
			(void)strlcpy_chk(errbuf, db->err, sizeof(errbuf));
			*error_r = errbuf;
			db_free(db);
			return NULL;
		}
		version = 2;
	}
	if (version != STORE_SCHEMA_VERSION) {
		(void)snprintf_chk(errbuf, sizeof(errbuf),
		                   "%s: schema version %lld, want %d", data_dir,
		                   (long long)version, STORE_SCHEMA_VERSION);
		*error_r = errbuf;
		db_free(db);
		return NULL;
	}
	return db;
}

void
store_db_close(struct store_db **dbp)
{
	if (*dbp == NULL)
		return;
	db_free(*dbp);
	*dbp = NULL;
}

/* --- domains --- */

int
store_domain_add(struct store_db *db, const char *domain)
{
	int rc;

	if (domain == NULL || !domain_valid(domain))
		return db_seterr(db, "invalid domain name");
	if (db_run(db, db_q(db, S_DOMAIN_ADD, "t", domain), &rc) < 0) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			db_seterr(db, "domain exists");
		return -1;
	}
	return 0;
}

/* domain_id - 1 found, 0 no, -1 error. */
static int
domain_id(struct store_db *db, const char *domain, int64_t *id_r)
{
	return db_one_int(db, db_q(db, S_DOMAIN_ID, "t", domain), id_r);
}

int
store_domain_del(struct store_db *db, const char *domain)
{
	int64_t id = 0, users = 0;
	int ret;

	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = domain_id(db, domain, &id)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such domain");
		return db_tx_fail(db);
	}
	if (db_one_int(db, db_q(db, S_DOMAIN_USERS, "i", id), &users) < 0)
		return db_tx_fail(db);
	if (users > 0) {
		db_seterr(db, "domain has users");
		return db_tx_fail(db);
	}
	if (db_run(db, db_q(db, S_DOMAIN_DEL, "i", id), NULL) < 0)
		return db_tx_fail(db);
	return db_tx_commit(db);
}

/* str_list - first text column of every row into a NULL-terminated array. */
static int
str_list(struct store_db *db, sqlite3_stmt *st, char ***list_r)
{
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;
	int ret;

	while ((ret = db_row(db, st)) == 1) {
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = db_col_str(st, 0);
		list[n] = NULL;
	}
	if (ret < 0) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return -1;
	}
	*list_r = list;
	return 0;
}

int
store_domain_list(struct store_db *db, char ***names_r)
{
	return str_list(db, db_stmt(db, S_DOMAIN_LIST), names_r);
}

int
store_domain_exists(struct store_db *db, const char *domain)
{
	int64_t id;

	if (domain == NULL)
		return 0;
	return domain_id(db, domain, &id);
}

/* --- users --- */

/* new_uidvalidity - time-based, strictly increasing per user, so a name
 * deleted and created again never shows an old UIDVALIDITY. */
static int
new_uidvalidity(struct store_db *db, int64_t user_id, uint32_t *v_r)
{
	int64_t v = 0;
	int ret = db_one_int(
	    db, db_q(db, S_USER_UIDV, "ii", (int64_t)time(NULL), user_id), &v);

	if (ret == 0)
		db_seterr(db, "no such user");
	if (ret <= 0)
		return -1;
	if (v <= 0 || v > UINT32_MAX)
		return db_seterr(db, "uidvalidity exhausted");
	*v_r = (uint32_t)v;
	return 0;
}

static int
mb_insert(struct store_db *db, int64_t user_id, const char *name,
          enum store_special_use su, uint32_t uidnext, uint64_t modseq,
          int64_t *id_r)
{
	uint32_t uidv = 0;
	int rc;

	if (new_uidvalidity(db, user_id, &uidv) < 0)
		return -1;
	if (db_run(db,
	           db_q(db, S_MB_INSERT, "itiiii", user_id, name, (int64_t)uidv,
	                (int64_t)uidnext, (int64_t)modseq, (int64_t)su),
	           &rc) < 0) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			db_seterr(db, "mailbox exists");
		return -1;
	}
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int
store_user_add(struct store_db *db, const char *address, const char *pwhash)
{
	const char *domain;
	char *local;
	int64_t did = 0, uid;
	int rc, ret;

	if (pwhash == NULL)
		return db_seterr(db, "no password hash");
	if (split_address(db, address, &local, &domain) < 0)
		return -1;
	if (db_tx_begin(db) < 0)
		goto fail_free;
	if ((ret = domain_id(db, domain, &did)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such domain");
		goto fail;
	}
	if (db_run(db, db_q(db, S_USER_ADD, "itt", did, local, pwhash), &rc) <
	    0) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			db_seterr(db, "user exists");
		goto fail;
	}
	uid = sqlite3_last_insert_rowid(db->sql);
	for (size_t i = 0; i < N_ELEMENTS(default_mailboxes); i++) {
		if (mb_insert(db, uid, default_mailboxes[i].name,
		              default_mailboxes[i].su, 1, 1, NULL) < 0)
			goto fail;
	}
	free(local);
	return db_tx_commit(db);
fail:
	db_tx_fail(db);
fail_free:
	free(local);
	return -1;
}

/* user_get - 1 found (u_r filled), 0 not, -1 error. */
static int
user_get(struct store_db *db, const char *address, struct store_user *u_r)
{
	const char *domain;
	char *local;
	sqlite3_stmt *st;
	int ret;

	if (split_address(db, address, &local, &domain) < 0)
		return 0; /* an invalid address is no user */
	st = db_q(db, S_USER_GET, "tt", domain, local);
	ret = db_row(db, st);
	if (ret == 1) {
		u_r->id = sqlite3_column_int64(st, 0);
		u_r->address = db_col_str(st, 1);
		u_r->pwhash = db_col_str(st, 2);
		sqlite3_reset(st);
	}
	free(local);
	return ret;
}

int
store_user_lookup(struct store_db *db, const char *address,
                  struct store_user *u_r)
{
	return user_get(db, address, u_r);
}

int
store_user_first(struct store_db *db, const char *domain,
                 struct store_user *u_r)
{
	sqlite3_stmt *st = db_q(db, S_USER_FIRST, "t", domain);
	int ret = db_row(db, st);

	if (ret == 1) {
		u_r->id = sqlite3_column_int64(st, 0);
		u_r->address = db_col_str(st, 1);
		u_r->pwhash = db_col_str(st, 2);
		sqlite3_reset(st);
	}
	return ret;
}

void
store_user_clear(struct store_user *u)
{
	free(u->address);
	if (u->pwhash != NULL) {
		explicit_bzero(u->pwhash, strlen(u->pwhash));
		free(u->pwhash);
	}
	memset(u, 0, sizeof(*u));
}

int
store_user_del(struct store_db *db, const char *address)
{
	struct store_user u;
	int ret;

	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = user_get(db, address, &u)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such user");
		return db_tx_fail(db);
	}
	ret = db_run(db, db_q(db, S_USER_DEL, "i", u.id), NULL);
	store_user_clear(&u);
	if (ret < 0)
		return db_tx_fail(db);
	return db_tx_commit(db);
}

int
store_user_passwd(struct store_db *db, const char *address, const char *pwhash)
{
	struct store_user u;
	int ret;

	if (pwhash == NULL)
		return db_seterr(db, "no password hash");
	if ((ret = user_get(db, address, &u)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such user");
		return -1;
	}
	ret = db_run(db, db_q(db, S_USER_PASSWD, "ti", pwhash, u.id), NULL);
	store_user_clear(&u);
	return ret;
}

int
store_user_list(struct store_db *db, char ***addresses_r)
{
	return str_list(db, db_stmt(db, S_USER_LIST), addresses_r);
}

/* --- mailboxes --- */

static void
mb_from_row(sqlite3_stmt *st, struct store_mailbox *mb)
{
	memset(mb, 0, sizeof(*mb));
	mb->id = sqlite3_column_int64(st, 0);
	mb->user_id = sqlite3_column_int64(st, 1);
	mb->name = db_col_str(st, 2);
	mb->uidvalidity = (uint32_t)sqlite3_column_int64(st, 3);
	mb->uidnext = (uint32_t)sqlite3_column_int64(st, 4);
	mb->highestmodseq = (uint64_t)sqlite3_column_int64(st, 5);
	mb->special_use = (enum store_special_use)sqlite3_column_int(st, 6);
	mb->subscribed = sqlite3_column_int(st, 7) != 0;
}

/* mb_get - name already normalized. */
static int
mb_get(struct store_db *db, int64_t user_id, const char *name,
       struct store_mailbox *mb_r)
{
	sqlite3_stmt *st = db_q(db, S_MB_GET, "it", user_id, name);
	int ret = db_row(db, st);

	if (ret == 1) {
		mb_from_row(st, mb_r);
		sqlite3_reset(st);
	}
	return ret;
}

int
store_mailbox_get(struct store_db *db, int64_t user_id, const char *name,
                  struct store_mailbox *mb_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];

	if (mb_norm(db, name, norm, sizeof(norm)) < 0)
		return 0; /* no mailbox has an invalid name */
	return mb_get(db, user_id, norm, mb_r);
}

int
store_mailbox_list(struct store_db *db, int64_t user_id,
                   struct store_mailbox **mbs_r, size_t *count_r)
{
	sqlite3_stmt *st = db_q(db, S_MB_LIST, "i", user_id);
	struct store_mailbox *mbs = NULL;
	size_t n = 0;
	int ret;

	while ((ret = db_row(db, st)) == 1) {
		mbs = xreallocarray(mbs, n + 1, sizeof(*mbs));
		mb_from_row(st, &mbs[n++]);
	}
	if (ret < 0) {
		store_mailbox_list_free(&mbs, n);
		return -1;
	}
	*mbs_r = mbs;
	*count_r = n;
	return 0;
}

void
store_mailbox_clear(struct store_mailbox *mb)
{
	free(mb->name);
	memset(mb, 0, sizeof(*mb));
}

void
store_mailbox_list_free(struct store_mailbox **mbs, size_t count)
{
	if (*mbs == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free((*mbs)[i].name);
	free(*mbs);
	*mbs = NULL;
}

/* mb_make_parents - create every missing superior of name (RFC 3501
 * 6.3.3: "the server SHOULD create any superior hierarchical names"). */
static int
mb_make_parents(struct store_db *db, int64_t user_id, char *name)
{
	for (char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		struct store_mailbox mb;
		int ret;

		*p = '\0';
		ret = mb_get(db, user_id, name, &mb);
		if (ret == 1)
			store_mailbox_clear(&mb);
		else if (ret == 0)
			ret = mb_insert(db, user_id, name, STORE_SU_NONE, 1, 1,
			                NULL);
		*p = '/';
		if (ret < 0)
			return -1;
	}
	return 0;
}

int
store_mailbox_create(struct store_db *db, int64_t user_id, const char *name,
                     enum store_special_use su)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];

	if (mb_norm(db, name, norm, sizeof(norm)) < 0)
		return -1;
	if ((unsigned)su > STORE_SU_ARCHIVE)
		return db_seterr(db, "invalid special use");
	if (db_tx_begin(db) < 0)
		return -1;
	if (mb_make_parents(db, user_id, norm) < 0 ||
	    mb_insert(db, user_id, norm, su, 1, 1, NULL) < 0)
		return db_tx_fail(db);
	return db_tx_commit(db);
}

/* mb_child_range - names of descendants of name are [name "/", name "0"):
 * '0' follows '/' in byte order, and names compare as bytes. */
static sqlite3_stmt *
mb_children(struct store_db *db, int64_t user_id, const char *name, char *lo,
            char *hi, size_t size)
{
	if (snprintf_chk(lo, size, "%s/", name) < 0 ||
	    snprintf_chk(hi, size, "%s0", name) < 0) {
		db_seterr(db, "mailbox name too long");
		return NULL;
	}
	return db_q(db, S_MB_CHILDREN, "itt", user_id, lo, hi);
}

int
store_mailbox_delete(struct store_db *db, int64_t user_id, const char *name)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	char lo[STORE_MAILBOX_NAME_MAX + 2], hi[STORE_MAILBOX_NAME_MAX + 2];
	struct store_mailbox mb;
	int ret;

	if (mb_norm(db, name, norm, sizeof(norm)) < 0)
		return -1;
	if (strcmp(norm, "INBOX") == 0)
		return db_seterr(db, "INBOX cannot be deleted");
	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = mb_get(db, user_id, norm, &mb)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return db_tx_fail(db);
	}
	/* RFC 3501 6.3.4: DELETE never removes inferior names */
	sqlite3_stmt *st = mb_children(db, user_id, norm, lo, hi, sizeof(lo));

	ret = db_row(db, st);
	if (ret == 1) {
		sqlite3_reset(st);
		db_seterr(db, "mailbox has children, delete them first");
	}
	if (ret != 0 ||
	    db_run(db, db_q(db, S_MB_DELETE, "i", mb.id), NULL) < 0) {
		store_mailbox_clear(&mb);
		return db_tx_fail(db);
	}
	store_notify(db, mb.id);
	store_mailbox_clear(&mb);
	return db_tx_commit(db);
}

/* rename_inbox - RFC 3501 6.3.5: move INBOX's messages to a new mailbox;
 * INBOX stays, empty, with its uidnext (UIDs are never reused). */
static int
rename_inbox(struct store_db *db, int64_t user_id, char *to)
{
	struct store_mailbox inbox;
	int64_t new_id, modseq;
	int ret;

	if ((ret = mb_get(db, user_id, "INBOX", &inbox)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no INBOX");
		return -1;
	}
	ret = -1;
	if (mb_make_parents(db, user_id, to) < 0 ||
	    mb_insert(db, user_id, to, STORE_SU_NONE, inbox.uidnext,
	              inbox.highestmodseq, &new_id) < 0 ||
	    db_run(db, db_q(db, S_MB_MOVE_MSGS, "ii", new_id, inbox.id), NULL) <
	        0 ||
	    db_one_int(db, db_q(db, S_MB_BUMP, "i", inbox.id), &modseq) != 1)
		goto out;
	store_notify(db, inbox.id);
	ret = 0;
out:
	store_mailbox_clear(&inbox);
	return ret;
}

int
store_mailbox_rename(struct store_db *db, int64_t user_id, const char *from,
                     const char *to)
{
	char nfrom[STORE_MAILBOX_NAME_MAX + 1], nto[STORE_MAILBOX_NAME_MAX + 1];
	char lo[STORE_MAILBOX_NAME_MAX + 2], hi[STORE_MAILBOX_NAME_MAX + 2];
	struct store_mailbox mb, other;
	struct {
		int64_t id;
		char *name;
	} *kids = NULL;
	size_t nkids = 0, flen;
	sqlite3_stmt *st;
	int ret = -1;

	if (mb_norm(db, from, nfrom, sizeof(nfrom)) < 0 ||
	    mb_norm(db, to, nto, sizeof(nto)) < 0)
		return -1;
	flen = strlen(nfrom);
	if (strcmp(nto, "INBOX") == 0)
		return db_seterr(db, "cannot rename to INBOX");
	if (strncmp(nto, nfrom, flen) == 0 &&
	    (nto[flen] == '\0' || nto[flen] == '/'))
		return db_seterr(db, "cannot rename a mailbox under itself");
	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = mb_get(db, user_id, nto, &other)) != 0) {
		if (ret == 1) {
			store_mailbox_clear(&other);
			db_seterr(db, "mailbox exists");
		}
		return db_tx_fail(db);
	}
	if (strcmp(nfrom, "INBOX") == 0) {
		if (rename_inbox(db, user_id, nto) < 0)
			return db_tx_fail(db);
		return db_tx_commit(db);
	}
	if ((ret = mb_get(db, user_id, nfrom, &mb)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return db_tx_fail(db);
	}
	ret = -1;
	st = mb_children(db, user_id, nfrom, lo, hi, sizeof(lo));
	int r;

	while ((r = db_row(db, st)) == 1) {
		kids = xreallocarray(kids, nkids + 1, sizeof(*kids));
		kids[nkids].id = sqlite3_column_int64(st, 0);
		kids[nkids].name = db_col_str(st, 1);
		nkids++;
	}
	if (r < 0 || mb_make_parents(db, user_id, nto) < 0 ||
	    db_run(db, db_q(db, S_MB_RENAME, "ti", nto, mb.id), NULL) < 0)
		goto out;
	for (size_t i = 0; i < nkids; i++) {
		/* "from/x" becomes "to/x" */
		char *name = xasprintf("%s%s", nto, kids[i].name + flen);
		int rc;

		if (strlen(name) > STORE_MAILBOX_NAME_MAX) {
			db_seterr(db, "mailbox name too long");
			free(name);
			goto out;
		}
		r = db_run(db, db_q(db, S_MB_RENAME, "ti", name, kids[i].id),
		           &rc);
		free(name);
		if (r < 0) {
			if (rc == SQLITE_CONSTRAINT_UNIQUE)
				db_seterr(db, "mailbox exists");
			goto out;
		}
		store_notify(db, kids[i].id);
	}
	store_notify(db, mb.id);
	ret = 0;
out:
	for (size_t i = 0; i < nkids; i++)
		free(kids[i].name);
	free(kids);
	store_mailbox_clear(&mb);
	if (ret < 0)
		return db_tx_fail(db);
	return db_tx_commit(db);
}

int
store_mailbox_subscribe(struct store_db *db, int64_t user_id, const char *name,
                        bool on)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox mb;
	int ret;

	if (mb_norm(db, name, norm, sizeof(norm)) < 0)
		return -1;
	if ((ret = mb_get(db, user_id, norm, &mb)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return -1;
	}
	ret = db_run(db, db_q(db, S_MB_SUBSCRIBE, "ii", (int64_t)on, mb.id),
	             NULL);
	store_mailbox_clear(&mb);
	return ret;
}

int
store_mailbox_status(struct store_db *db, struct store_mailbox *mb)
{
	struct store_mailbox fresh;
	sqlite3_stmt *st;
	int ret;

	/* refresh uidnext and highestmodseq too */
	if ((ret = mb_get(db, mb->user_id, mb->name, &fresh)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return -1;
	}
	st = db_q(db, S_MB_STATUS, "i", fresh.id);
	if ((ret = db_row(db, st)) <= 0) {
		store_mailbox_clear(&fresh);
		return -1;
	}
	fresh.messages = (uint32_t)sqlite3_column_int64(st, 0);
	fresh.unseen = (uint32_t)sqlite3_column_int64(st, 1);
	fresh.recent = 0; /* \Recent is per session, not stored */
	sqlite3_reset(st);
	store_mailbox_clear(mb);
	*mb = fresh;
	return 0;
}
