/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - the store end to end in a temporary data directory: the
 * spool, level 1 (domains, users, mailboxes, messages, blobs read back
 * byte for byte) and level 2 (group-committed deliveries from an event
 * loop, store_call, watchers).
 */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ev.h"
#include "core/mem.h"
#include "store/spool.h"
#include "store/store.h"
#include "store/store_int.h"
#include "test.h"

/* --- helpers --- */

static char *
tmpdir(void)
{
	char *t = xstrdup("/tmp/outpost-test-store.XXXXXX");

	if (mkdtemp(t) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return t;
}

static void
rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			char *p = xasprintf("%s/%s", path, de->d_name);

			rm_rf(p);
			free(p);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* new_store - a created store in a fresh dir, opened; *dir_r to free. */
static struct store_db *
new_store(char **dir_r)
{
	const char *err = NULL;
	char *dir = tmpdir();
	char *data = xasprintf("%s/data", dir);
	struct store_db *db;

	if (store_create(data, &err) < 0) {
		printf("  store_create: %s\n", err);
		exit(1);
	}
	db = store_db_open(data, &err);
	if (db == NULL) {
		printf("  store_db_open: %s\n", err);
		exit(1);
	}
	free(data);
	*dir_r = dir;
	return db;
}

static void
free_store(struct store_db **db, char *dir)
{
	store_db_close(db);
	rm_rf(dir);
	free(dir);
}

/* read_blob - the bytes of a blob, allocated; NULL on error. */
static uint8_t *
read_blob(struct store_db *db, int64_t blob_id, size_t *len_r)
{
	struct store_blob b;
	uint8_t *p;

	if (store_blob_get(db, blob_id, &b) < 0)
		return NULL;
	p = xmalloc(b.size + 1);
	if (pread(b.fd, p, b.size, (off_t)b.off) != (ssize_t)b.size) {
		free(p);
		return NULL;
	}
	*len_r = b.size;
	return p;
}

static int64_t
user_id(struct store_db *db, const char *address)
{
	struct store_user u;
	int64_t id;

	if (store_user_lookup(db, address, &u) != 1)
		return -1;
	id = u.id;
	store_user_clear(&u);
	return id;
}

static int64_t
mailbox_id(struct store_db *db, int64_t uid, const char *name)
{
	struct store_mailbox mb;
	int64_t id;

	if (store_mailbox_get(db, uid, name, &mb) != 1)
		return -1;
	id = mb.id;
	store_mailbox_clear(&mb);
	return id;
}

static void
free_list(char **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

/* --- spool --- */

static void
check_spool(size_t mem_max)
{
	char *dir = tmpdir();
	struct spool *sp = spool_new(dir, mem_max);
	uint8_t want[20000], got[20000];
	size_t off = 0;

	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 7 + i / 251);
	/* uneven pieces */
	for (size_t step = 1; off < sizeof(want); step = step * 3 + 1) {
		size_t n = MIN(step, sizeof(want) - off);

		CHECK_INT(spool_write(sp, want + off, n), 0);
		off += n;
	}
	CHECK_INT(spool_size(sp), sizeof(want));
	memset(got, 0, sizeof(got));
	for (off = 0; off < sizeof(got);) {
		ssize_t n = spool_read(sp, off, got + off, 777);

		CHECK(n > 0);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	CHECK_INT(spool_read(sp, sizeof(want), got, 10), 0);
	CHECK_MEM(got, sizeof(got), want, sizeof(want));
	spool_truncate(sp);
	CHECK_INT(spool_size(sp), 0);
	CHECK_INT(spool_write(sp, "abc", 3), 0);
	CHECK_INT(spool_read(sp, 1, got, 10), 2);
	CHECK_MEM(got, 2, "bc", 2);
	spool_free(&sp);
	CHECK(sp == NULL);
	/* the spill file was unlinked: the dir is empty again */
	CHECK_INT(rmdir(dir), 0);
	free(dir);
}

static void
test_spool_memory(void)
{
	check_spool(1 << 20);
}

static void
test_spool_spill(void)
{
	check_spool(1000);
	check_spool(0);
}

/* --- level 1 --- */

static void
test_create_open(void)
{
	const char *err = NULL;
	char *dir = tmpdir();
	char *data = xasprintf("%s/data", dir);
	char *p;
	struct stat st;
	struct store_db *db;

	CHECK(store_db_open(data, &err) == NULL);
	CHECK(err != NULL);
	CHECK_INT(store_create(data, &err), 0);
	CHECK_INT(store_create(data, &err), -1); /* exists */
	p = xasprintf("%s/blobs", data);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	free(p);
	p = xasprintf("%s/tmp", data);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	free(p);
	db = store_db_open(data, &err);
	CHECK(db != NULL);
	store_db_close(&db);
	CHECK(db == NULL);
	free(data);
	rm_rf(dir);
	free(dir);
}

static void
test_domains(void)
{
	char *dir;
	struct store_db *db = new_store(&dir);
	char **names = NULL;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_domain_add(db, "b.example"), 0);
	CHECK_INT(store_domain_add(db, "EXAMPLE.org"), -1);
	CHECK(strstr(store_db_error(db), "exists") != NULL);
	CHECK_INT(store_domain_add(db, ""), -1);
	CHECK_INT(store_domain_add(db, "bad..dots"), -1);
	CHECK_INT(store_domain_add(db, "-x.org"), -1);
	CHECK_INT(store_domain_add(db, "a b.org"), -1);
	CHECK_INT(store_domain_add(db, "x'; DROP TABLE domains; --"), -1);
	CHECK_INT(store_domain_exists(db, "Example.ORG"), 1);
	CHECK_INT(store_domain_exists(db, "nope.org"), 0);
	CHECK_INT(store_domain_list(db, &names), 0);
	CHECK(names != NULL && names[0] != NULL && names[1] != NULL &&
	      names[2] == NULL);
	if (names != NULL && names[0] != NULL && names[1] != NULL) {
		CHECK_STR(names[0], "b.example");
		CHECK_STR(names[1], "example.org");
	}
	free_list(names);
	CHECK_INT(store_user_add(db, "a@example.org", "h"), 0);
	CHECK_INT(store_domain_del(db, "example.org"), -1);
	CHECK(strstr(store_db_error(db), "users") != NULL);
	CHECK_INT(store_domain_del(db, "nope.org"), -1);
	CHECK_INT(store_user_del(db, "a@example.org"), 0);
	CHECK_INT(store_domain_del(db, "EXAMPLE.ORG"), 0);
	CHECK_INT(store_domain_exists(db, "example.org"), 0);
	free_store(&db, dir);
}

static void
test_users(void)
{
	static const struct {
		const char *name;
		enum store_special_use su;
	} want[] = {
	    {"Archive", STORE_SU_ARCHIVE}, {"Drafts", STORE_SU_DRAFTS},
	    {"INBOX", STORE_SU_NONE},      {"Junk", STORE_SU_JUNK},
	    {"Sent", STORE_SU_SENT},       {"Trash", STORE_SU_TRASH},
	};
	char *dir;
	struct store_db *db = new_store(&dir);
	struct store_user u;
	struct store_mailbox *mbs = NULL;
	size_t count = 0;
	char **list = NULL;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "alice@example.org", "hash1"), 0);
	CHECK_INT(store_user_add(db, "Alice@EXAMPLE.org", "x"), -1);
	CHECK(strstr(store_db_error(db), "exists") != NULL);
	CHECK_INT(store_user_add(db, "bob@other.org", "x"), -1);
	CHECK(strstr(store_db_error(db), "domain") != NULL);
	CHECK_INT(store_user_add(db, "noat", "x"), -1);
	CHECK_INT(store_user_add(db, "@example.org", "x"), -1);
	CHECK_INT(store_user_add(db, "a b@example.org", "x"), -1);
	CHECK_INT(store_user_add(db, ".a@example.org", "x"), -1);
	CHECK_INT(store_user_add(db, "bob@example.org", "hash2"), 0);

	CHECK_INT(store_user_lookup(db, "ALICE@example.ORG", &u), 1);
	CHECK_STR(u.address, "alice@example.org");
	CHECK_STR(u.pwhash, "hash1");
	int64_t alice = u.id;

	store_user_clear(&u);
	/* the oldest account, not the alphabetically first */
	CHECK_INT(store_user_add(db, "aaron@example.org", "x"), 0);
	CHECK_INT(store_user_first(db, "EXAMPLE.org", &u), 1);
	CHECK_STR(u.address, "alice@example.org");
	store_user_clear(&u);
	CHECK_INT(store_user_first(db, "nowhere.org", &u), 0);
	CHECK_INT(store_user_del(db, "aaron@example.org"), 0);
	CHECK_INT(store_user_lookup(db, "carol@example.org", &u), 0);
	CHECK_INT(store_user_lookup(db, "garbage", &u), 0);
	CHECK_INT(store_user_passwd(db, "alice@example.org", "hash3"), 0);
	CHECK_INT(store_user_lookup(db, "alice@example.org", &u), 1);
	CHECK_STR(u.pwhash, "hash3");
	store_user_clear(&u);
	CHECK_INT(store_user_passwd(db, "carol@example.org", "x"), -1);

	CHECK_INT(store_mailbox_list(db, alice, &mbs, &count), 0);
	CHECK_INT(count, N_ELEMENTS(want));
	for (size_t i = 0; i < count && i < N_ELEMENTS(want); i++) {
		CHECK_STR(mbs[i].name, want[i].name);
		CHECK_INT(mbs[i].special_use, want[i].su);
		CHECK(mbs[i].subscribed);
		CHECK_INT(mbs[i].uidnext, 1);
		CHECK(mbs[i].uidvalidity > 0);
		for (size_t k = 0; k < i; k++)
			CHECK(mbs[k].uidvalidity != mbs[i].uidvalidity);
	}
	store_mailbox_list_free(&mbs, count);

	CHECK_INT(store_user_list(db, &list), 0);
	CHECK(list != NULL && list[0] != NULL && list[1] != NULL &&
	      list[2] == NULL);
	if (list != NULL && list[0] != NULL && list[1] != NULL) {
		CHECK_STR(list[0], "alice@example.org");
		CHECK_STR(list[1], "bob@example.org");
	}
	free_list(list);
	CHECK_INT(store_user_del(db, "bob@example.org"), 0);
	CHECK_INT(store_user_del(db, "bob@example.org"), -1);
	CHECK_INT(store_user_lookup(db, "bob@example.org", &u), 0);
	free_store(&db, dir);
}

static void
test_mailboxes(void)
{
	char *dir;
	struct store_db *db = new_store(&dir);
	struct store_mailbox mb;
	int64_t uid;
	uint32_t v1;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "alice@example.org", "h"), 0);
	uid = user_id(db, "alice@example.org");

	/* parents are created; duplicates and bad names fail */
	CHECK_INT(store_mailbox_create(db, uid, "a/b/c", STORE_SU_NONE), 0);
	CHECK(mailbox_id(db, uid, "a") > 0);
	CHECK(mailbox_id(db, uid, "a/b") > 0);
	CHECK_INT(store_mailbox_create(db, uid, "a/b/c", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "a/b/", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "inbox", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "/x", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "x//y", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "x*", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "x\r\ny", STORE_SU_NONE), -1);
	CHECK_INT(store_mailbox_create(db, uid, "bad\xff", STORE_SU_NONE), -1);
	CHECK_INT(
	    store_mailbox_create(db, uid, "Entw\xc3\xbcrfe/", STORE_SU_NONE),
	    0);
	CHECK(mailbox_id(db, uid, "Entw\xc3\xbcrfe") > 0);
	CHECK_INT(store_mailbox_create(db, uid, "inbox/sub", STORE_SU_NONE), 0);
	CHECK(mailbox_id(db, uid, "INBOX/sub") > 0);
	CHECK(mailbox_id(db, uid, "iNbOx") > 0);

	/* rename moves children; bad renames fail */
	CHECK_INT(store_mailbox_get(db, uid, "a/b", &mb), 1);
	v1 = mb.uidvalidity;
	store_mailbox_clear(&mb);
	CHECK_INT(store_mailbox_rename(db, uid, "a", "z/y"), 0);
	CHECK_INT(mailbox_id(db, uid, "a"), -1);
	CHECK_INT(mailbox_id(db, uid, "a/b/c"), -1);
	CHECK(mailbox_id(db, uid, "z") > 0);
	CHECK(mailbox_id(db, uid, "z/y/b/c") > 0);
	CHECK_INT(store_mailbox_get(db, uid, "z/y/b", &mb), 1);
	CHECK_INT(mb.uidvalidity, v1); /* a rename keeps UIDVALIDITY */
	store_mailbox_clear(&mb);
	CHECK_INT(store_mailbox_rename(db, uid, "z/y", "z/y/q"), -1);
	CHECK_INT(store_mailbox_rename(db, uid, "z/y", "Sent"), -1);
	CHECK_INT(store_mailbox_rename(db, uid, "nope", "n2"), -1);
	CHECK_INT(store_mailbox_rename(db, uid, "Sent", "INBOX"), -1);

	/* delete: not with children, not INBOX */
	CHECK_INT(store_mailbox_delete(db, uid, "z/y/b"), -1);
	CHECK(strstr(store_db_error(db), "children") != NULL);
	CHECK_INT(store_mailbox_delete(db, uid, "z/y/b/c"), 0);
	CHECK_INT(store_mailbox_delete(db, uid, "z/y/b"), 0);
	CHECK_INT(store_mailbox_delete(db, uid, "z/y/b"), -1);
	CHECK_INT(store_mailbox_delete(db, uid, "INBOX"), -1);
	CHECK_INT(store_mailbox_delete(db, uid, "inbox"), -1);

	/* a name created again never shows an old UIDVALIDITY */
	CHECK_INT(store_mailbox_create(db, uid, "again", STORE_SU_NONE), 0);
	CHECK_INT(store_mailbox_get(db, uid, "again", &mb), 1);
	v1 = mb.uidvalidity;
	store_mailbox_clear(&mb);
	CHECK_INT(store_mailbox_delete(db, uid, "again"), 0);
	CHECK_INT(store_mailbox_create(db, uid, "again", STORE_SU_JUNK), 0);
	CHECK_INT(store_mailbox_get(db, uid, "again", &mb), 1);
	CHECK(mb.uidvalidity > v1);
	CHECK_INT(mb.special_use, STORE_SU_JUNK);
	CHECK(mb.subscribed);
	store_mailbox_clear(&mb);
	CHECK_INT(store_mailbox_subscribe(db, uid, "again", false), 0);
	CHECK_INT(store_mailbox_get(db, uid, "again", &mb), 1);
	CHECK(!mb.subscribed);
	store_mailbox_clear(&mb);
	CHECK_INT(store_mailbox_subscribe(db, uid, "nope", true), -1);
	free_store(&db, dir);
}

static void
test_messages(void)
{
	static const char m1[] = "Subject: one\r\n\r\nbody one\r\n";
	static const char m2[] = "Subject: two\r\n\r\nbody two\r\n";
	char *dir;
	struct store_db *db = new_store(&dir);
	struct store_message *msgs = NULL, m;
	struct store_mailbox mb;
	size_t count = 0, len = 0;
	uint32_t uids[4], uidv = 0, inbox_uidv = 0, new_uids[4];
	uint8_t *bytes;
	int64_t uid, inbox, trash;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "alice@example.org", "h"), 0);
	uid = user_id(db, "alice@example.org");
	inbox = mailbox_id(db, uid, "INBOX");
	trash = mailbox_id(db, uid, "Trash");

	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)m1,
	                               sizeof(m1) - 1, STORE_F_SEEN, "$Work",
	                               1700000000, &uids[0], &inbox_uidv),
	          0);
	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)m2,
	                               sizeof(m2) - 1, 0, NULL, 1700000001,
	                               &uids[1], &uidv),
	          0);
	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)"", 0, 0, "",
	                               1700000002, &uids[2], &uidv),
	          0);
	CHECK_INT(uids[0], 1);
	CHECK_INT(uids[1], 2);
	CHECK_INT(uids[2], 3);
	CHECK_INT(uidv, inbox_uidv);
	CHECK_INT(store_message_append(db, 999999, (const uint8_t *)m1, 3, 0,
	                               NULL, 0, &uids[3], &uidv),
	          -1);

	CHECK_INT(store_message_list(db, inbox, 0, &msgs, &count), 0);
	CHECK_INT(count, 3);
	if (count == 3) {
		CHECK_INT(msgs[0].uid, 1);
		CHECK_INT(msgs[0].flags, STORE_F_SEEN);
		CHECK_STR(msgs[0].keywords, "$Work");
		CHECK_INT(msgs[0].internaldate, 1700000000);
		CHECK_INT(msgs[0].size, sizeof(m1) - 1);
		CHECK_STR(msgs[1].keywords, NULL);
		CHECK_INT(msgs[2].size, 0);
		bytes = read_blob(db, msgs[1].blob_id, &len);
		CHECK(bytes != NULL);
		if (bytes != NULL)
			CHECK_MEM(bytes, len, m2, sizeof(m2) - 1);
		free(bytes);
		bytes = read_blob(db, msgs[0].blob_id, &len);
		CHECK(bytes != NULL);
		if (bytes != NULL)
			CHECK_MEM(bytes, len, m1, sizeof(m1) - 1);
		free(bytes);
	}
	store_message_list_free(&msgs, count);
	CHECK_INT(store_message_list(db, inbox, 2, &msgs, &count), 0);
	CHECK_INT(count, 2);
	store_message_list_free(&msgs, count);

	/* status */
	CHECK_INT(store_mailbox_get(db, uid, "INBOX", &mb), 1);
	CHECK_INT(store_mailbox_status(db, &mb), 0);
	CHECK_INT(mb.messages, 3);
	CHECK_INT(mb.unseen, 2);
	CHECK_INT(mb.uidnext, 4);
	uint64_t hms = mb.highestmodseq;

	store_mailbox_clear(&mb);

	/* flags, keywords, modseq */
	CHECK_INT(store_message_set_flags(db, inbox, 2,
	                                  STORE_F_FLAGGED | STORE_F_SEEN,
	                                  "$Label1 $Label2"),
	          0);
	CHECK_INT(store_message_set_flags(db, inbox, 99, 0, NULL), -1);
	CHECK_INT(store_message_get(db, inbox, 2, &m), 1);
	CHECK_INT(m.flags, STORE_F_FLAGGED | STORE_F_SEEN);
	CHECK_STR(m.keywords, "$Label1 $Label2");
	CHECK(m.modseq > hms);
	store_message_clear(&m);
	CHECK_INT(store_message_get(db, inbox, 99, &m), 0);
	CHECK_INT(store_message_changed(db, inbox, hms, &msgs, &count), 0);
	CHECK_INT(count, 1);
	if (count == 1)
		CHECK_INT(msgs[0].uid, 2);
	store_message_list_free(&msgs, count);
	CHECK_INT(store_mailbox_get(db, uid, "INBOX", &mb), 1);
	CHECK(mb.highestmodseq > hms);
	store_mailbox_clear(&mb);

	/* copy shares the blob */
	uids[3] = 77; /* does not exist: copies nothing */
	CHECK_INT(
	    store_message_copy(db, inbox, uids, 4, trash, new_uids, &uidv), 0);
	CHECK_INT(new_uids[0], 1);
	CHECK_INT(new_uids[2], 3);
	CHECK_INT(new_uids[3], 0);
	CHECK_INT(store_mailbox_get(db, uid, "Trash", &mb), 1);
	CHECK_INT(uidv, mb.uidvalidity);
	store_mailbox_clear(&mb);
	struct store_message a, b;

	CHECK_INT(store_message_get(db, inbox, 2, &a), 1);
	CHECK_INT(store_message_get(db, trash, 2, &b), 1);
	CHECK_INT(a.blob_id, b.blob_id);
	CHECK_INT(b.flags, a.flags);
	CHECK_STR(b.keywords, a.keywords);
	int64_t shared = a.blob_id;

	store_message_clear(&a);
	store_message_clear(&b);

	/* expunge: the blob stays while the copy references it */
	uint32_t ex[] = {2, 3, 50};

	CHECK_INT(store_message_expunge(db, inbox, ex, 3), 0);
	CHECK_INT(store_message_list(db, inbox, 0, &msgs, &count), 0);
	CHECK_INT(count, 1);
	store_message_list_free(&msgs, count);
	bytes = read_blob(db, shared, &len);
	CHECK(bytes != NULL);
	if (bytes != NULL)
		CHECK_MEM(bytes, len, m2, sizeof(m2) - 1);
	free(bytes);
	CHECK_INT(store_message_expunge(db, trash, ex, 1), 0);
	struct store_blob sb;

	CHECK_INT(store_blob_get(db, shared, &sb), -1); /* released */

	/* UIDs are never reused, after expunge either */
	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)m1,
	                               sizeof(m1) - 1, 0, NULL, 1, &uids[0],
	                               &uidv),
	          0);
	CHECK_INT(uids[0], 4);

	/* RENAME INBOX moves its messages; INBOX keeps counting */
	CHECK_INT(store_mailbox_rename(db, uid, "INBOX", "Old/Inbox"), 0);
	int64_t old = mailbox_id(db, uid, "Old/Inbox");

	CHECK(old > 0);
	CHECK_INT(store_message_list(db, inbox, 0, &msgs, &count), 0);
	CHECK_INT(count, 0);
	store_message_list_free(&msgs, count);
	CHECK_INT(store_message_list(db, old, 0, &msgs, &count), 0);
	CHECK_INT(count, 2);
	if (count == 2) {
		CHECK_INT(msgs[0].uid, 1);
		CHECK_INT(msgs[1].uid, 4);
	}
	store_message_list_free(&msgs, count);
	CHECK_INT(store_mailbox_get(db, uid, "INBOX", &mb), 1);
	CHECK_INT(mb.uidvalidity, inbox_uidv);
	store_mailbox_clear(&mb);
	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)m2,
	                               sizeof(m2) - 1, 0, NULL, 1, &uids[0],
	                               &uidv),
	          0);
	CHECK_INT(uids[0], 5);
	CHECK_INT(uidv, inbox_uidv);

	/* deleting a mailbox or user releases its blobs */
	CHECK_INT(store_message_list(db, old, 0, &msgs, &count), 0);
	int64_t old_blob = count > 0 ? msgs[count - 1].blob_id : 0;

	store_message_list_free(&msgs, count);
	CHECK_INT(store_blob_get(db, old_blob, &sb), 0);
	CHECK_INT(store_mailbox_delete(db, uid, "Old/Inbox"), 0);
	CHECK_INT(store_blob_get(db, old_blob, &sb), -1);
	CHECK_INT(store_message_list(db, inbox, 0, &msgs, &count), 0);
	int64_t last_blob = count > 0 ? msgs[0].blob_id : 0;

	store_message_list_free(&msgs, count);
	CHECK_INT(store_blob_get(db, last_blob, &sb), 0);
	CHECK_INT(store_user_del(db, "alice@example.org"), 0);
	CHECK_INT(store_blob_get(db, last_blob, &sb), -1);
	free_store(&db, dir);
}

/* two connections (as the CLI and the daemon would) append in turn */
static void
test_two_writers(void)
{
	char *dir;
	struct store_db *db1 = new_store(&dir);
	char *data = xasprintf("%s/data", dir);
	const char *err;
	struct store_db *db2 = store_db_open(data, &err);
	uint32_t uid, uidv;
	int64_t inbox;

	CHECK(db2 != NULL);
	if (db2 == NULL)
		exit(1);
	/* tiny segments: the writers roll over many times */
	db1->seg_max = 1000;
	db2->seg_max = 1000;
	CHECK_INT(store_domain_add(db1, "example.org"), 0);
	CHECK_INT(store_user_add(db1, "alice@example.org", "h"), 0);
	inbox = mailbox_id(db1, user_id(db1, "alice@example.org"), "INBOX");
	for (int i = 0; i < 20; i++) {
		char *msg =
		    xasprintf("Subject: %d\r\n\r\n%*s\r\n", i, i * 50, "x");

		CHECK_INT(store_message_append(
		              i % 2 ? db1 : db2, inbox, (const uint8_t *)msg,
		              strlen(msg), 0, NULL, i, &uid, &uidv),
		          0);
		CHECK_INT(uid, i + 1);
		free(msg);
	}
	for (int i = 0; i < 20; i++) {
		struct store_message m;
		char *msg =
		    xasprintf("Subject: %d\r\n\r\n%*s\r\n", i, i * 50, "x");
		uint8_t *bytes = NULL;
		size_t len = 0;

		CHECK_INT(store_message_get(db2, inbox, (uint32_t)i + 1, &m),
		          1);
		bytes = read_blob(i % 3 ? db1 : db2, m.blob_id, &len);
		CHECK(bytes != NULL);
		if (bytes != NULL)
			CHECK_MEM(bytes, len, msg, strlen(msg));
		free(bytes);
		free(msg);
		store_message_clear(&m);
	}
	char *seg = xasprintf("%s/blobs/00000004.seg", data);
	struct stat st;

	CHECK(stat(seg, &st) == 0);
	free(seg);
	store_db_close(&db2);
	free(data);
	free_store(&db1, dir);
}

/* the writer's transaction: one delivery failing (a full UID space) does
 * not fail the others of its batch */
static void
test_deliver_batch(void)
{
	static const char body[] = "Subject: b\r\n\r\nhi\r\n";
	char *dir;
	struct store_db *db = new_store(&dir);
	struct store_delivery d[3], *ds[3];
	struct blob_loc locs[3];
	uint8_t *metas[3] = {NULL, NULL, NULL};
	size_t meta_lens[3] = {0, 0, 0};
	int64_t ua, ub, both[2];

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "a@example.org", "h"), 0);
	CHECK_INT(store_user_add(db, "b@example.org", "h"), 0);
	ua = user_id(db, "a@example.org");
	ub = user_id(db, "b@example.org");
	both[0] = ua;
	both[1] = ub;
	/* b's INBOX has used up its UIDs */
	char *sql = xasprintf("UPDATE mailboxes SET uidnext = 4294967295"
	                      " WHERE user_id = %lld AND name = 'INBOX'",
	                      (long long)ub);

	CHECK_INT(sqlite3_exec(db->sql, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	memset(d, 0, sizeof(d));
	CHECK_INT(blob_lock(db), 0);
	for (int i = 0; i < 3; i++) {
		struct blob_src src = {.data = (const uint8_t *)body,
		                       .len = sizeof(body) - 1};

		ds[i] = &d[i];
		CHECK_INT(blob_write(db, &src, 1, &locs[i]), 0);
	}
	blob_unlock(db);
	CHECK_INT(blob_sync(db), 0);
	d[0].user_ids = &ua;
	d[0].user_count = 1;
	d[1].user_ids = both; /* b fails: the whole delivery fails */
	d[1].user_count = 2;
	d[2].user_ids = &ua;
	d[2].user_count = 1;
	CHECK_INT(store_db_deliver_batch(db, ds, locs, metas, meta_lens, 3), 0);
	CHECK_INT(d[0].result, 0);
	CHECK_INT(d[1].result, -1);
	CHECK_INT(d[2].result, 0);
	CHECK(d[0].blob_id > 0 && d[2].blob_id > d[0].blob_id);

	struct store_message *msgs = NULL;
	size_t n = 0;

	CHECK_INT(
	    store_message_list(db, mailbox_id(db, ua, "INBOX"), 0, &msgs, &n),
	    0);
	CHECK_INT(n, 2); /* not d[1]'s copy: rolled back with its savepoint */
	if (n == 2) {
		CHECK_INT(msgs[0].uid, 1);
		CHECK_INT(msgs[1].uid, 2);
		CHECK_INT(msgs[1].blob_id, d[2].blob_id);
	}
	store_message_list_free(&msgs, n);
	free_store(&db, dir);
}

/* kill -9 a process appending: every append it finished is there, byte
 * for byte, and the store goes on working */
static void
test_kill_appender(void)
{
	char *dir;
	struct store_db *db = new_store(&dir);
	char *data = xasprintf("%s/data", dir);
	int64_t inbox;
	int pfd[2];
	pid_t pid;
	uint32_t acked = 0, uid, uidv;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "a@example.org", "h"), 0);
	inbox = mailbox_id(db, user_id(db, "a@example.org"), "INBOX");
	store_db_close(&db);
	CHECK_INT(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		const char *err;
		struct store_db *cdb = store_db_open(data, &err);

		close(pfd[0]);
		if (cdb == NULL)
			_exit(1);
		for (uint32_t i = 1;; i++) {
			char *msg = xasprintf("Subject: %u\r\n\r\n%*u\r\n", i,
			                      (int)(i % 4000), i);

			if (store_message_append(
			        cdb, inbox, (const uint8_t *)msg, strlen(msg),
			        0, NULL, i, &uid, &uidv) < 0 ||
			    write(pfd[1], &uid, sizeof(uid)) != sizeof(uid))
				_exit(1);
			free(msg);
		}
		_exit(1);
	}
	close(pfd[1]);
	/* let it finish some appends, then kill it mid-flight */
	while (acked < 30 && read(pfd[0], &uid, sizeof(uid)) == sizeof(uid))
		acked = uid;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (read(pfd[0], &uid, sizeof(uid)) == sizeof(uid))
		acked = uid;
	close(pfd[0]);
	CHECK(acked >= 30);

	const char *err;

	db = store_db_open(data, &err);
	CHECK(db != NULL);
	if (db == NULL)
		exit(1);
	for (uint32_t i = 1; i <= acked; i++) {
		struct store_message m;
		char *msg = xasprintf("Subject: %u\r\n\r\n%*u\r\n", i,
		                      (int)(i % 4000), i);
		uint8_t *bytes = NULL;
		size_t len = 0;

		CHECK_INT(store_message_get(db, inbox, i, &m), 1);
		bytes = read_blob(db, m.blob_id, &len);
		CHECK(bytes != NULL && len == strlen(msg) &&
		      memcmp(bytes, msg, len) == 0);
		free(bytes);
		free(msg);
		store_message_clear(&m);
	}
	/* and appends go on after the torn tail */
	CHECK_INT(store_message_append(db, inbox, (const uint8_t *)"x\r\n", 3,
	                               0, NULL, 1, &uid, &uidv),
	          0);
	CHECK(uid > acked);
	free(data);
	free_store(&db, dir);
}

/* --- level 2 --- */

#define NDELIVER 50

struct l2 {
	struct ev *ev;
	struct store *s;
	struct store_delivery d[NDELIVER];
	struct spool *sp[NDELIVER];
	char *prefix[NDELIVER];
	char *body[NDELIVER];
	int64_t users[3];
	int64_t rcpts[NDELIVER][2];
	int done;
	int watch_fired;
	int64_t watched;
	int call_done;
	size_t call_count;
	int64_t call_user;
};

static uint8_t *
test_indexer(const uint8_t *msg, size_t len, size_t *meta_len_r)
{
	char *s = xasprintf("len=%zu first=%c", len, len > 0 ? msg[0] : '-');

	*meta_len_r = strlen(s);
	return (uint8_t *)s;
}

static void
deliver_done(void *arg)
{
	struct l2 *t = arg;

	if (++t->done == NDELIVER)
		ev_stop(t->ev);
}

static void
watch_cb(int64_t mailbox_id, void *arg)
{
	struct l2 *t = arg;

	if (mailbox_id == t->watched)
		t->watch_fired++;
}

struct self_del {
	struct store_watch *w;
	int fired;
};

/* self_del_cb - a watcher that removes itself while being dispatched */
static void
self_del_cb(int64_t mailbox_id, void *arg)
{
	struct self_del *sd = arg;

	(void)mailbox_id;
	sd->fired++;
	store_watch_del(&sd->w);
}

static void
call_work(struct store_db *db, void *arg)
{
	struct l2 *t = arg;
	struct store_mailbox *mbs;
	size_t n;

	if (store_mailbox_list(db, t->call_user, &mbs, &n) == 0) {
		t->call_count = n;
		store_mailbox_list_free(&mbs, n);
	}
	store_notify(db, t->watched);
}

static void
call_done(void *arg)
{
	struct l2 *t = arg;

	t->call_done = 1;
	ev_stop(t->ev);
}

static void
timeout_cb(struct ev_timer *tm, void *arg)
{
	struct l2 *t = arg;

	(void)tm;
	printf("  timeout\n");
	ev_stop(t->ev);
}

static void
test_service(void)
{
	static const char *addrs[3] = {"a@example.org", "b@example.org",
	                               "c@example.org"};
	char *dir;
	struct store_db *db = new_store(&dir);
	char *data = xasprintf("%s/data", dir);
	char *tmp = xasprintf("%s/tmp", data);
	struct l2 *t = xcalloc(1, sizeof(*t));
	struct store_settings set = {
	    .data_dir = data, .batch_max = 16, .workers = 2};
	const char *err = NULL;
	struct store_watch *w, *w2;
	struct ev_timer *tm;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(store_user_add(db, addrs[i], "h"), 0);
		t->users[i] = user_id(db, addrs[i]);
	}
	t->watched = mailbox_id(db, t->users[2], "INBOX");
	store_set_indexer(test_indexer);
	t->ev = ev_new();
	t->s = store_start(t->ev, &set, &err);
	CHECK(t->s != NULL);
	if (t->s == NULL) {
		printf("  store_start: %s\n", err);
		goto out;
	}
	tm = ev_timer_new(t->ev, timeout_cb, t);
	ev_timer_arm(tm, 20000);
	w = store_watch_add(t->s, t->watched, watch_cb, t);
	w2 = store_watch_add(t->s, t->watched, watch_cb, t);
	store_watch_del(&w2);
	CHECK(w2 == NULL);
	struct self_del sd = {.w = NULL, .fired = 0};

	sd.w = store_watch_add(t->s, t->watched, self_del_cb, &sd);

	uint64_t syncs = store_blob_sync_count();

	for (int i = 0; i < NDELIVER; i++) {
		struct store_delivery *d = &t->d[i];

		/* every third spills to a file */
		t->sp[i] = spool_new(tmp, i % 3 == 0 ? 16 : 1 << 16);
		t->prefix[i] = xasprintf("Received: by test id %d\r\n", i);
		t->body[i] = xasprintf("Subject: msg %d\r\n\r\n%*s.\r\n", i,
		                       (i * 37) % 3000, "");
		CHECK_INT(spool_write(t->sp[i], t->body[i], strlen(t->body[i])),
		          0);
		/* i%3: user i%3; even i also to the next user */
		t->rcpts[i][0] = t->users[i % 3];
		t->rcpts[i][1] = t->users[(i + 1) % 3];
		d->prefix = t->prefix[i];
		d->prefix_len = strlen(t->prefix[i]);
		d->body = t->sp[i];
		d->user_ids = t->rcpts[i];
		d->user_count = i % 2 == 0 ? 2 : 1;
		d->internaldate = 1700000000 + i;
		store_deliver(t->s, d, deliver_done, t);
	}
	CHECK_INT(ev_run(t->ev), 0);
	CHECK_INT(t->done, NDELIVER);
	uint64_t used = store_blob_sync_count() - syncs;

	printf("  %d deliveries, %llu syncs\n", NDELIVER,
	       (unsigned long long)used);
	CHECK(used >= 1 && used < NDELIVER);
	CHECK(t->watch_fired >= 1);
	CHECK_INT(sd.fired, 1);
	CHECK(sd.w == NULL);

	/* store_call round trip, with an explicit notify */
	int fired = t->watch_fired;

	t->call_user = t->users[0];
	store_call(t->s, call_work, call_done, t);
	CHECK_INT(ev_run(t->ev), 0);
	CHECK_INT(t->call_done, 1);
	CHECK_INT(t->call_count, 6);
	CHECK_INT(t->watch_fired, fired + 1);
	store_watch_del(&w);
	ev_timer_del(&tm);
	store_stop(&t->s);
	CHECK(t->s == NULL);

	/* every message in the right INBOXes, byte for byte */
	size_t expect[3] = {0, 0, 0};

	for (int i = 0; i < NDELIVER; i++) {
		CHECK_INT(t->d[i].result, 0);
		expect[i % 3]++;
		if (i % 2 == 0)
			expect[(i + 1) % 3]++;
	}
	for (int u = 0; u < 3; u++) {
		struct store_message *msgs = NULL;
		size_t n = 0;
		int64_t inbox = mailbox_id(db, t->users[u], "INBOX");

		CHECK_INT(store_message_list(db, inbox, 0, &msgs, &n), 0);
		CHECK_INT(n, expect[u]);
		for (size_t k = 0; k < n; k++) {
			int i = (int)(msgs[k].internaldate - 1700000000);
			uint8_t *bytes, *meta = NULL;
			size_t len = 0, meta_len = 0;
			char *want, *want_meta;

			CHECK(i >= 0 && i < NDELIVER);
			if (i < 0 || i >= NDELIVER)
				continue;
			CHECK(t->rcpts[i][0] == t->users[u] ||
			      (i % 2 == 0 && t->rcpts[i][1] == t->users[u]));
			CHECK_INT(msgs[k].blob_id, t->d[i].blob_id);
			CHECK_INT(msgs[k].uid, k + 1);
			want = xasprintf("%s%s", t->prefix[i], t->body[i]);
			CHECK_INT(msgs[k].size, strlen(want));
			bytes = read_blob(db, msgs[k].blob_id, &len);
			CHECK(bytes != NULL);
			if (bytes != NULL)
				CHECK_MEM(bytes, len, want, strlen(want));
			want_meta = xasprintf("len=%zu first=R", strlen(want));
			CHECK_INT(store_blob_meta(db, msgs[k].blob_id, &meta,
			                          &meta_len),
			          0);
			if (meta != NULL)
				CHECK_MEM(meta, meta_len, want_meta,
				          strlen(want_meta));
			else
				CHECK(meta != NULL);
			free(meta);
			free(want_meta);
			free(bytes);
			free(want);
		}
		store_message_list_free(&msgs, n);
	}
out:
	store_set_indexer(NULL);
	for (int i = 0; i < NDELIVER; i++) {
		spool_free(&t->sp[i]);
		free(t->prefix[i]);
		free(t->body[i]);
	}
	ev_free(&t->ev);
	free(t);
	free(tmp);
	free(data);
	free_store(&db, dir);
}

/* a delivery to a user deleted meanwhile fails, others go through */
static void
test_service_errors(void)
{
	char *dir;
	struct store_db *db = new_store(&dir);
	char *data = xasprintf("%s/data", dir);
	struct l2 *t = xcalloc(1, sizeof(*t));
	struct store_settings set = {.data_dir = data};
	const char *err = NULL;
	int64_t gone = 123456;

	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "a@example.org", "h"), 0);
	t->users[0] = user_id(db, "a@example.org");
	t->call_user = t->users[0];
	t->ev = ev_new();
	t->s = store_start(t->ev, &set, &err);
	CHECK(t->s != NULL);
	if (t->s != NULL) {
		t->d[0].prefix = "";
		t->d[0].user_ids = &gone;
		t->d[0].user_count = 1;
		t->d[1].prefix = "X: y\r\n\r\nhi\r\n";
		t->d[1].prefix_len = strlen(t->d[1].prefix);
		t->d[1].user_ids = &t->users[0];
		t->d[1].user_count = 1;
		t->d[2].user_ids = &t->users[0];
		t->d[2].user_count = 0;
		for (int i = 0; i < 3; i++)
			store_deliver(t->s, &t->d[i], NULL, NULL);
		t->watched = 0;
		store_call(t->s, call_work, call_done, t);
		store_stop(&t->s); /* drains: results are final */
		CHECK_INT(t->call_done, 1);
		CHECK_INT(t->call_count, 6);
		CHECK_INT(t->d[0].result, -1);
		CHECK_INT(t->d[1].result, 0);
		CHECK_INT(t->d[2].result, -1);
		CHECK(t->d[0].error != NULL);
		size_t len = 0;
		uint8_t *bytes = read_blob(db, t->d[1].blob_id, &len);

		CHECK(bytes != NULL);
		if (bytes != NULL)
			CHECK_MEM(bytes, len, t->d[1].prefix,
			          t->d[1].prefix_len);
		free(bytes);
	}
	ev_free(&t->ev);
	free(t);
	free(data);
	free_store(&db, dir);
}

static void
stop_cb(struct ev_timer *tm, void *arg)
{
	(void)tm;
	ev_stop(arg);
}

/* the loop thread's recipient cache: hits, case, size limit, expiry */
static void
test_user_cache(void)
{
	char *dir;
	struct store_db *db = new_store(&dir);
	char *data = xasprintf("%s/data", dir);
	struct store_settings set = {.data_dir = data};
	const char *err = NULL;
	struct ev *ev = ev_new();
	struct store *s = store_start(ev, &set, &err), *s2;
	char long_addr[400];

	CHECK(s != NULL);
	if (s == NULL)
		goto out;
	CHECK_INT(store_user_cache_get(s, "a@example.org"), 0);
	store_user_cache_put(s, "a@Example.ORG", 42);
	CHECK_INT(store_user_cache_get(s, "A@example.org"), 42);
	CHECK_INT(store_user_cache_get(s, "b@example.org"), 0);
	CHECK_INT(store_user_cache_get(s, "a@example.or"), 0);
	store_user_cache_put(s, "a@example.org", 43); /* replaced */
	CHECK_INT(store_user_cache_get(s, "a@example.org"), 43);
	store_user_cache_put(s, "zero@example.org", 0); /* not cached */
	CHECK_INT(store_user_cache_get(s, "zero@example.org"), 0);
	memset(long_addr, 'x', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	store_user_cache_put(s, long_addr, 7); /* too long: not cached */
	CHECK_INT(store_user_cache_get(s, long_addr), 0);
	/* another store has its own cache */
	s2 = store_start(ev, &set, &err);
	CHECK(s2 != NULL);
	if (s2 != NULL) {
		CHECK_INT(store_user_cache_get(s2, "a@example.org"), 0);
		store_stop(&s2);
	}
	/* entries expire */
	struct ev_timer *tm = ev_timer_new(ev, stop_cb, ev);

	ev_timer_arm(tm, STORE_USER_CACHE_MS + 100);
	CHECK_INT(ev_run(ev), 0);
	CHECK_INT(store_user_cache_get(s, "a@example.org"), 0);
	ev_timer_del(&tm);
	store_stop(&s);
out:
	ev_free(&ev);
	free(data);
	free_store(&db, dir);
}

/* --- scans, views and mapped blobs (IMAP's read paths) --- */

struct scan_rec {
	struct store_db *db;
	uint32_t uids[8];
	size_t n;
	uint32_t stop_at;
	unsigned blobs, blob_bad, metas;
};

static int
scan_cb(void *arg, const struct store_message *m, const struct store_blob *b,
        const uint8_t *meta, size_t meta_len)
{
	struct scan_rec *r = arg;

	if (r->n < N_ELEMENTS(r->uids))
		r->uids[r->n++] = m->uid;
	if (b != NULL) {
		size_t len = 0;
		uint8_t *want = read_blob(r->db, m->blob_id, &len);
		const uint8_t *p = store_blob_map(r->db, b);

		r->blobs++;
		if (want == NULL || p == NULL || len != b->size ||
		    len != m->size || (len > 0 && memcmp(p, want, len) != 0))
			r->blob_bad++;
		free(want);
	}
	if (meta != NULL && meta_len > 4 && memcmp(meta, "len=", 4) == 0)
		r->metas++;
	return m->uid == r->stop_at ? -1 : 0;
}

static void
test_scan_view_map(void)
{
	static const char *const bodies[] = {
	    "Subject: a\r\n\r\none\r\n", "Subject: b\r\n\r\ntwo two\r\n", "",
	    "Subject: d\r\n\r\nfour\r\n", "Subject: e\r\n\r\nfive\r\n"};
	char *dir;
	struct store_db *db;
	struct scan_rec r;
	uint32_t *uids = NULL, uid, uidv;
	uint64_t *modseqs = NULL;
	size_t count = 0, unseen = 0;
	int64_t user, inbox, trash;

	store_set_indexer(test_indexer);
	db = new_store(&dir);
	CHECK_INT(store_domain_add(db, "example.org"), 0);
	CHECK_INT(store_user_add(db, "alice@example.org", "h"), 0);
	user = user_id(db, "alice@example.org");
	inbox = mailbox_id(db, user, "INBOX");
	trash = mailbox_id(db, user, "Trash");
	for (size_t i = 0; i < N_ELEMENTS(bodies); i++)
		CHECK_INT(store_message_append(
		              db, inbox, (const uint8_t *)bodies[i],
		              strlen(bodies[i]), i == 0 ? STORE_F_SEEN : 0,
		              i == 1 ? "$k" : NULL, 1700000000, &uid, &uidv),
		          0);

	/* the view: uids, modseqs and the first message without \Seen */
	CHECK_INT(
	    store_message_view(db, inbox, &uids, &modseqs, &count, &unseen), 0);
	CHECK_INT(count, 5);
	CHECK_INT(unseen, 2);
	for (size_t i = 0; i < count && i < 5; i++) {
		CHECK_INT(uids[i], i + 1);
		CHECK(modseqs[i] > 0);
	}
	free(uids);
	free(modseqs);
	CHECK_INT(
	    store_message_view(db, trash, &uids, &modseqs, &count, &unseen), 0);
	CHECK_INT(count, 0);
	CHECK(uids == NULL && modseqs == NULL);

	/* a uid range without blobs */
	memset(&r, 0, sizeof(r));
	r.db = db;
	CHECK_INT(
	    store_message_scan(db, inbox, 2, 4, STORE_SCAN_MSG, scan_cb, &r),
	    0);
	CHECK_INT(r.n, 3);
	CHECK_INT(r.uids[0], 2);
	CHECK_INT(r.uids[2], 4);
	CHECK_INT(r.blobs, 0);
	/* all, with blobs: the mapped bytes are the blob's bytes */
	memset(&r, 0, sizeof(r));
	r.db = db;
	CHECK_INT(store_message_scan(db, inbox, 0, UINT32_MAX, STORE_SCAN_BLOB,
	                             scan_cb, &r),
	          0);
	CHECK_INT(r.n, 5);
	CHECK_INT(r.blobs, 5);
	CHECK_INT(r.blob_bad, 0);
	CHECK_INT(r.metas, 0);
	/* with the indexer's bytes; the callback stops the scan */
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.stop_at = 3;
	CHECK_INT(
	    store_message_scan(db, inbox, 1, 5, STORE_SCAN_META, scan_cb, &r),
	    0);
	CHECK_INT(r.n, 3);
	CHECK_INT(r.metas, 3);
	CHECK_INT(r.blob_bad, 0);
	/* after an expunge, and in an empty range */
	uid = 3;
	CHECK_INT(store_message_expunge(db, inbox, &uid, 1), 0);
	memset(&r, 0, sizeof(r));
	r.db = db;
	CHECK_INT(
	    store_message_scan(db, inbox, 1, 5, STORE_SCAN_BLOB, scan_cb, &r),
	    0);
	CHECK_INT(r.n, 4);
	CHECK_INT(r.uids[2], 4);
	CHECK_INT(r.blob_bad, 0);
	memset(&r, 0, sizeof(r));
	CHECK_INT(
	    store_message_scan(db, inbox, 6, 9, STORE_SCAN_MSG, scan_cb, &r),
	    0);
	CHECK_INT(r.n, 0);
	CHECK_INT(
	    store_message_view(db, inbox, &uids, &modseqs, &count, &unseen), 0);
	CHECK_INT(count, 4);
	free(uids);
	free(modseqs);
	store_set_indexer(NULL);
	free_store(&db, dir);
}

#define TESTS(X)                                                               \
	X(test_spool_memory)                                                   \
	X(test_spool_spill)                                                    \
	X(test_create_open)                                                    \
	X(test_domains)                                                        \
	X(test_users)                                                          \
	X(test_mailboxes)                                                      \
	X(test_messages)                                                       \
	X(test_two_writers)                                                    \
	X(test_deliver_batch)                                                  \
	X(test_kill_appender)                                                  \
	X(test_service)                                                        \
	X(test_service_errors)                                                 \
	X(test_user_cache)                                                     \
	X(test_scan_view_map)
TEST_MAIN(TESTS)
