/* SPDX-License-Identifier: MIT */
/*
 * store.h - accounts, domains, mailboxes and messages.
 *
 * Two levels:
 *
 * 1. struct store_db - one database connection, used by one thread at a time.
 *    Every call is synchronous. The CLI uses it directly; in the daemon only
 *    store threads hold one (work functions passed to store_call get it).
 *
 * 2. struct store - the daemon's service: a writer thread that batches
 *    deliveries from all sessions into one transaction and one sync (group
 *    commit), and a pool of worker threads for everything else. Results come
 *    back on the event loop thread through an ev wakeup; the loop never waits
 *    for disk.
 *
 * Storage: SQLite (WAL, synchronous=FULL) for metadata in DATA_DIR/outpost.db;
 * message bodies in append-only segment files DATA_DIR/blobs/NNNNNNNN.seg,
 * each body written once and shared by every recipient (blobs table holds
 * segment, offset, size). A body is fdatasync'ed before the transaction that
 * references it commits, so an acknowledged message is complete on disk and
 * a crash leaves at worst unreferenced bytes at a segment's end.
 *
 * Names: users log in with their full address "local@domain" (case-
 * insensitive). Mailbox names are UTF-8 with '/' as hierarchy separator;
 * "INBOX" is case-insensitive. Every user gets INBOX, Sent, Drafts, Trash,
 * Junk, Archive (SPECIAL-USE) when created.
 */
#ifndef OUTPOST_STORE_H
#define OUTPOST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../core/compat.h"

struct ev;
struct spool;
struct store;
struct store_db;

/* Message flags (IMAP system flags); \Recent is per session, not stored. */
enum {
	STORE_F_SEEN = 1 << 0,
	STORE_F_ANSWERED = 1 << 1,
	STORE_F_FLAGGED = 1 << 2,
	STORE_F_DELETED = 1 << 3,
	STORE_F_DRAFT = 1 << 4,
};

enum store_special_use {
	STORE_SU_NONE = 0,
	STORE_SU_SENT,
	STORE_SU_DRAFTS,
	STORE_SU_TRASH,
	STORE_SU_JUNK,
	STORE_SU_ARCHIVE,
};

struct store_user {
	int64_t id;
	char *address; /* "local@domain", as stored */
	char *pwhash;
};

struct store_mailbox {
	int64_t id;
	int64_t user_id;
	char *name;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	enum store_special_use special_use;
	bool subscribed;
	/* filled by store_db_mailbox_status only */
	uint32_t messages, unseen, recent;
};

struct store_message {
	int64_t id; /* row id, unique across the store */
	int64_t mailbox_id;
	uint32_t uid;
	unsigned flags;       /* STORE_F_* */
	char *keywords;       /* space-separated IMAP keywords, or NULL */
	int64_t internaldate; /* unix seconds */
	int tz_offset_min;    /* of the internal date */
	uint64_t size;        /* RFC822.SIZE: exact octets of the message */
	uint64_t modseq;
	int64_t blob_id;
};

/* struct store_blob - where a message's bytes are: a read-only fd (owned by
 * the store; do not close) and a byte range. pread/sendfile it. */
struct store_blob {
	int fd;
	uint64_t off;
	uint64_t size;
};

/* --- level 1: synchronous, one connection --- */

/* store_create - make DATA_DIR's database and blob folder; fails if one
 * exists. */
int store_create(const char *data_dir, const char **error_r) WARN_UNUSED_RESULT;
/* store_db_open - open an existing store; NULL and *error_r on failure. */
struct store_db *store_db_open(const char *data_dir, const char **error_r);
void store_db_close(struct store_db **db);
/* store_db_error - the last error text of this connection. */
const char *store_db_error(struct store_db *db);

/* All functions below: 0 ok, -1 error (store_db_error), unless stated. */
int store_domain_add(struct store_db *db, const char *domain);
/* store_domain_del - fails while users of the domain exist. */
int store_domain_del(struct store_db *db, const char *domain);
/* store_domain_list - allocated NULL-terminated array of names. */
int store_domain_list(struct store_db *db, char ***names_r);
/* store_domain_exists - 1 yes, 0 no, -1 error. Case-insensitive. */
int store_domain_exists(struct store_db *db, const char *domain);

/* store_user_add - domain must exist; creates the default mailboxes. */
int store_user_add(struct store_db *db, const char *address,
                   const char *pwhash);
int store_user_del(struct store_db *db, const char *address);
int store_user_passwd(struct store_db *db, const char *address,
                      const char *pwhash);
int store_user_list(struct store_db *db, char ***addresses_r);
/* store_user_lookup - 1 found (*u_r filled; free with store_user_clear),
 * 0 no such user, -1 error. */
int store_user_lookup(struct store_db *db, const char *address,
                      struct store_user *u_r);
void store_user_clear(struct store_user *u);
/* store_user_first - the oldest account of domain (lowest id): who gets
 * postmaster mail when the domain has no postmaster account. 1, 0, -1. */
int store_user_first(struct store_db *db, const char *domain,
                     struct store_user *u_r);

/* Mailboxes of one user. Lookups: 1 found, 0 not, -1 error. */
int store_mailbox_get(struct store_db *db, int64_t user_id, const char *name,
                      struct store_mailbox *mb_r);
int store_mailbox_list(struct store_db *db, int64_t user_id,
                       struct store_mailbox **mbs_r, size_t *count_r);
int store_mailbox_create(struct store_db *db, int64_t user_id, const char *name,
                         enum store_special_use su);
/* store_mailbox_delete - removes its messages too; INBOX cannot be. */
int store_mailbox_delete(struct store_db *db, int64_t user_id,
                         const char *name);
/* store_mailbox_rename - renames children too; renaming INBOX moves its
 * messages to the new mailbox and leaves INBOX empty (RFC 3501 6.3.5). */
int store_mailbox_rename(struct store_db *db, int64_t user_id, const char *from,
                         const char *to);
int store_mailbox_subscribe(struct store_db *db, int64_t user_id,
                            const char *name, bool on);
/* store_mailbox_status - fills messages, unseen (and uidnext etc.) */
int store_mailbox_status(struct store_db *db, struct store_mailbox *mb);
void store_mailbox_clear(struct store_mailbox *mb);
void store_mailbox_list_free(struct store_mailbox **mbs, size_t count);

/* store_message_list - messages of a mailbox with uid >= min_uid in UID
 * order (min_uid 0 or 1: all). */
int store_message_list(struct store_db *db, int64_t mailbox_id,
                       uint32_t min_uid, struct store_message **msgs_r,
                       size_t *count_r);
/* store_message_view - uids and modseqs of a mailbox in UID order (two
 * allocated arrays, NULL when empty) and the 1-based position of the first
 * message without \Seen (0: none), from one covering index: what IMAP
 * SELECT needs, much cheaper than store_message_list. */
int store_message_view(struct store_db *db, int64_t mailbox_id,
                       uint32_t **uids_r, uint64_t **modseqs_r, size_t *count_r,
                       size_t *first_unseen_r);
/* store_message_changed - messages with modseq > since (flag changes). */
int store_message_changed(struct store_db *db, int64_t mailbox_id,
                          uint64_t since, struct store_message **msgs_r,
                          size_t *count_r);
int store_message_get(struct store_db *db, int64_t mailbox_id, uint32_t uid,
                      struct store_message *msg_r); /* 1, 0, -1 */
void store_message_clear(struct store_message *m);
void store_message_list_free(struct store_message **msgs, size_t count);
/* store_message_set_flags - set flags and keywords of one message; bumps
 * its modseq (and the mailbox's highestmodseq). */
int store_message_set_flags(struct store_db *db, int64_t mailbox_id,
                            uint32_t uid, unsigned flags, const char *keywords);
/* store_message_expunge - remove these uids from the mailbox. */
int store_message_expunge(struct store_db *db, int64_t mailbox_id,
                          const uint32_t *uids, size_t count);
/* store_message_copy - copy uids into dest (sharing blobs); the new uids
 * are written to new_uids_r (count entries, caller's array). */
int store_message_copy(struct store_db *db, int64_t src_mailbox_id,
                       const uint32_t *uids, size_t count,
                       int64_t dest_mailbox_id, uint32_t *new_uids_r,
                       uint32_t *dest_uidvalidity_r);
/* store_message_append - store a message body (e.g. IMAP APPEND) into a
 * mailbox, synced before return. */
int store_message_append(struct store_db *db, int64_t mailbox_id,
                         const uint8_t *data, size_t len, unsigned flags,
                         const char *keywords, int64_t internaldate,
                         uint32_t *uid_r, uint32_t *uidvalidity_r);

/*
 * store_message_scan - one query over the messages of a mailbox with
 * min_uid <= uid <= max_uid, in UID order, calling cb once per message.
 * With STORE_SCAN_BLOB (or _META) b is its blob's location (else b is NULL),
 * with STORE_SCAN_META also meta/meta_len are the indexer's bytes (NULL, 0
 * when none). m->keywords, b and meta are valid during the call only. cb
 * returns 0 to go on, -1 to stop early (the scan then returns 0). cb may
 * use db for other calls but not store_message_scan itself. Much cheaper
 * than store_message_list plus store_blob_get/_meta per message.
 */
enum store_scan_what { STORE_SCAN_MSG, STORE_SCAN_BLOB, STORE_SCAN_META };
typedef int store_scan_fn(void *arg, const struct store_message *m,
                          const struct store_blob *b, const uint8_t *meta,
                          size_t meta_len);
int store_message_scan(struct store_db *db, int64_t mailbox_id,
                       uint32_t min_uid, uint32_t max_uid,
                       enum store_scan_what what, store_scan_fn *cb, void *arg);

/* store_blob_get - locate a blob's bytes. */
int store_blob_get(struct store_db *db, int64_t blob_id,
                   struct store_blob *b_r);
/* store_blob_map - b's bytes (from store_blob_get or a scan of this db)
 * mapped read-only: no copy, no system call once mapped. Valid until the
 * next store_blob_map call or store_db_close on db; NULL when it cannot be
 * mapped (then pread b->fd). */
const uint8_t *store_blob_map(struct store_db *db, const struct store_blob *b);
/* store_blob_meta - the opaque index the indexer hook stored (may be NULL
 * with *len_r 0). Allocated. */
int store_blob_meta(struct store_db *db, int64_t blob_id, uint8_t **meta_r,
                    size_t *len_r);

/*
 * store_indexer_fn - runs on a store thread for every new blob, with its
 * full bytes; returns allocated opaque bytes saved beside the blob (IMAP's
 * parsed structure), or NULL. Set once before opening (store_set_indexer).
 */
typedef uint8_t *store_indexer_fn(const uint8_t *msg, size_t len,
                                  size_t *meta_len_r);
void store_set_indexer(store_indexer_fn *fn);

/* --- level 2: the daemon's service --- */

struct store_settings {
	const char *data_dir;
	unsigned batch_max; /* deliveries per group commit */
	unsigned workers;   /* worker threads for store_call */
};

/* store_delivery - one received message for local recipients. */
struct store_delivery {
	/* in */
	const char
	    *prefix; /* trace headers prepended (Return-Path, Received) */
	size_t prefix_len;
	struct spool *body;      /* the message as received, CRLF line ends */
	const int64_t *user_ids; /* recipients (deduplicated by caller) */
	size_t user_count;
	int64_t internaldate;
	/* out (valid in the done callback) */
	int result;        /* 0 stored and synced, -1 failed (temporary) */
	const char *error; /* static text when result is -1 */
	int64_t blob_id;
};

typedef void store_done_fn(void *arg);
/* store_work_fn - runs on a worker thread with its own connection. */
typedef void store_work_fn(struct store_db *db, void *arg);

/* store_start - open connections, start threads, register the wakeup on ev. */
struct store *store_start(struct ev *ev, const struct store_settings *set,
                          const char **error_r);
/* store_stop - finish queued work (running done callbacks), join threads. */
void store_stop(struct store **s);

/* store_deliver - queue d for the writer; done(arg) runs on the loop thread
 * once d->result is final. d and its buffers must live until then. */
void store_deliver(struct store *s, struct store_delivery *d,
                   store_done_fn *done, void *arg);

/* store_call - run work(db, arg) on a worker thread, then done(arg) on the
 * loop thread. */
void store_call(struct store *s, store_work_fn *work, store_done_fn *done,
                void *arg);

/*
 * A short-lived cache of recipients found, on the loop thread, so a
 * recipient check needs no worker round trip: store_user_cache_put records
 * that addr ("local@domain", ASCII case ignored) is user_id; for
 * STORE_USER_CACHE_MS after that, store_user_cache_get returns user_id (0
 * when absent or expired). Deliveries to a user deleted meanwhile still
 * fail (temporarily) in the writer.
 */
#define STORE_USER_CACHE_MS 2000
int64_t store_user_cache_get(struct store *s, const char *addr);
void store_user_cache_put(struct store *s, const char *addr, int64_t user_id);

/*
 * Change notification: store_notify(db, mailbox_id) from a worker marks a
 * mailbox changed (deliveries mark theirs); after the work finishes, every
 * watcher of that mailbox gets cb(mailbox_id, arg) on the loop thread.
 */
typedef void store_watch_fn(int64_t mailbox_id, void *arg);
struct store_watch;
struct store_watch *store_watch_add(struct store *s, int64_t mailbox_id,
                                    store_watch_fn *cb, void *arg);
void store_watch_del(struct store_watch **w);
void store_notify(struct store_db *db, int64_t mailbox_id);

#endif
