/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - internals shared by store_sqlite.c (level 1), blob.c
 * (segment files) and store_service.c (level 2). Not for other modules;
 * unit tests may use the counters at the end.
 */
#ifndef OUTPOST_STORE_INT_H
#define OUTPOST_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/compat.h"
#include "store.h"

/* A segment rolls over once it holds this many bytes. */
#define STORE_SEGMENT_MAX ((uint64_t)256 * 1024 * 1024)
#define STORE_STMT_MAX 64
/* Mailbox names: bytes in all, and hierarchy levels. */
#define STORE_MAILBOX_NAME_MAX 512
#define STORE_MAILBOX_DEPTH_MAX 32
#define STORE_SCHEMA_VERSION 2
/* Indexer output above this is dropped (IMAP then parses the message). */
#define STORE_META_MAX ((size_t)16 * 1024 * 1024)

struct blob_rfd {
	uint32_t seg;
	int fd;
	const uint8_t *map; /* store_blob_map's (owned by the seg_maps) */
};

/*
 * Read-only mappings of segments for store_blob_map: each SEG_MAP_LEN long
 * from the segment's start (past its end while it grows; only committed
 * blob ranges are ever touched), made once and kept until the store closes.
 * Shared by the worker connections of a store service, so that one
 * process maps (and faults in) a segment once; a lone store_db has its own.
 */
#define SEG_MAP_LEN ((size_t)4 * STORE_SEGMENT_MAX)
struct seg_map {
	uint32_t seg;
	uint8_t *map;
};
struct seg_maps {
	pthread_mutex_t mu;
	struct seg_map *v;
	size_t count;
};
struct seg_maps *seg_maps_new(void);
void seg_maps_free(struct seg_maps **m);

struct store_db {
	sqlite3 *sql;
	sqlite3_stmt *stmts[STORE_STMT_MAX];
	char *data_dir;
	char *blob_dir;
	char err[256];

	/* blob writer: segment we append to (flock held only while writing) */
	int wfd;
	uint32_t wseg;
	uint64_t woff; /* next write offset while locked */
	bool wlocked;
	bool wdirty;      /* written since the last sync */
	uint64_t seg_max; /* STORE_SEGMENT_MAX; tests lower it */

	/* blob readers: one read-only fd per segment, kept open */
	struct blob_rfd *rfds;
	size_t rfd_count;
	struct seg_maps *maps; /* NULL until store_blob_map needs it */
	bool maps_shared;      /* the store service's (it frees them) */

	/* change notification: mailbox ids, collected while a job runs */
	bool collect;
	int64_t *changed;
	size_t changed_count, changed_cap;
};

/* db_seterr - set db->err (printf-like); returns -1 for tail calls. */
int db_seterr(struct store_db *db, const char *fmt, ...) ATTR_FORMAT(2, 3);

/* A blob is written from pieces: bytes, or a whole spool. */
struct blob_src {
	const uint8_t *data;
	size_t len;
	struct spool *spool; /* when non-NULL, data/len are ignored */
};

struct blob_loc {
	uint32_t seg;
	uint64_t off;
	uint64_t size;
};

/*
 * Writing: blob_lock takes the flock on the current segment (rolling to a
 * new one past STORE_SEGMENT_MAX, or if another process already did),
 * blob_write appends one blob (on failure the segment is cut back to where
 * it started), blob_unlock releases the lock, blob_sync fdatasyncs what this
 * connection wrote. Bytes are referenced only after blob_sync returned 0.
 */
int blob_lock(struct store_db *db);
int blob_write(struct store_db *db, const struct blob_src *srcs, size_t count,
               struct blob_loc *loc_r);
void blob_unlock(struct store_db *db);
int blob_sync(struct store_db *db);
/* blob_reader_fd - cached read-only fd for a segment, -1 on error. */
int blob_reader_fd(struct store_db *db, uint32_t seg);
/* blob_index - run the indexer hook (if any) over a written blob. */
uint8_t *blob_index(struct store_db *db, const struct blob_loc *loc,
                    size_t *meta_len_r);
void blob_close_all(struct store_db *db);
store_indexer_fn *blob_indexer(void);

/*
 * store_db_deliver_batch - the writer's transaction: for every delivery
 * with result 0 (its body synced at locs[i]; result < 0 means it already
 * failed and is skipped), insert the blob row (meta from metas[i]) and one
 * message in each recipient's INBOX, each delivery in its own savepoint.
 * Sets d->result/error/blob_id. 0, or -1 when the transaction failed (then
 * every delivery failed).
 */
int store_db_deliver_batch(struct store_db *db, struct store_delivery **ds,
                           const struct blob_loc *locs, uint8_t *const *metas,
                           const size_t *meta_lens, size_t count);

/* Counters for tests: blob syncs done by this process. */
uint64_t store_blob_sync_count(void);

/* --- store_sqlite.c helpers, shared with store_msg.c --- */

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_DOMAIN_ADD,
	S_DOMAIN_ID,
	S_DOMAIN_USERS,
	S_DOMAIN_DEL,
	S_DOMAIN_LIST,
	S_USER_ADD,
	S_USER_GET,
	S_USER_FIRST,
	S_USER_DEL,
	S_USER_PASSWD,
	S_USER_LIST,
	S_USER_UIDV,
	S_MB_INSERT,
	S_MB_GET,
	S_MB_LIST,
	S_MB_CHILDREN,
	S_MB_DELETE,
	S_MB_RENAME,
	S_MB_SUBSCRIBE,
	S_MB_STATUS,
	S_MB_NEXTUID,
	S_MB_BUMP,
	S_MB_VALIDITY,
	S_MB_MOVE_MSGS,
	S_MSG_INSERT,
	S_MSG_LIST,
	S_MSG_CHANGED,
	S_MSG_GET,
	S_MSG_SCAN,
	S_MSG_VIEW,
	S_MSG_SCAN_BLOB,
	S_MSG_SCAN_META,
	S_MSG_SETFLAGS,
	S_MSG_DELETE,
	S_BLOB_INSERT,
	S_BLOB_GET,
	S_BLOB_META,
	S_BLOB_DROP_UNUSED,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_COUNT
};

#define STORE_ALL_FLAGS                                                        \
	(STORE_F_SEEN | STORE_F_ANSWERED | STORE_F_FLAGGED | STORE_F_DELETED | \
	 STORE_F_DRAFT)

/* db_stmt - the cached statement for id, reset, bindings cleared. */
sqlite3_stmt *db_stmt(struct store_db *db, enum stmt_id id);
/*
 * db_q - statement id with arguments bound from types: 'i' int64_t, 't'
 * text (NULL binds NULL), 'b' blob (const void *, size_t). NULL on error.
 */
sqlite3_stmt *db_q(struct store_db *db, enum stmt_id id, const char *types,
                   ...);
/* db_run - step to the end (rows ignored); 0, or -1 with *rc_r set. */
int db_run(struct store_db *db, sqlite3_stmt *st, int *rc_r);
/* db_row - step once: 1 row ready (caller resets), 0 none, -1 error. */
int db_row(struct store_db *db, sqlite3_stmt *st);
/* db_one_int - first column of the first row: 1, 0 none, -1 error. */
int db_one_int(struct store_db *db, sqlite3_stmt *st, int64_t *v_r);
char *db_col_str(sqlite3_stmt *st, int col);
int db_tx_begin(struct store_db *db);
int db_tx_commit(struct store_db *db);
/* db_tx_fail - roll back, keeping the error text; returns -1. */
int db_tx_fail(struct store_db *db);

#endif
