/* SPDX-License-Identifier: MIT */
/*
 * store_msg.c - level 1 of store.h on SQLite, second half: messages (list,
 * flags, expunge, copy, append), blobs (locate, index meta) and the writer
 * thread's group-commit transaction. UIDs come from the mailbox row
 * (uidnext only grows), every change takes a new modseq from it.
 *
 * Runs on whichever single thread owns the store_db; mailbox ids and UIDs
 * come from sessions that looked them up on the same user.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/mem.h"
#include "store_int.h"

/* --- messages --- */

static void
msg_from_row(sqlite3_stmt *st, struct store_message *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->mailbox_id = sqlite3_column_int64(st, 1);
	m->uid = (uint32_t)sqlite3_column_int64(st, 2);
	m->flags = (unsigned)sqlite3_column_int64(st, 3);
	m->keywords = db_col_str(st, 4);
	m->internaldate = sqlite3_column_int64(st, 5);
	m->tz_offset_min = sqlite3_column_int(st, 6);
	m->size = (uint64_t)sqlite3_column_int64(st, 7);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 8);
	m->blob_id = sqlite3_column_int64(st, 9);
}

static int
msg_rows(struct store_db *db, sqlite3_stmt *st, struct store_message **msgs_r,
         size_t *count_r)
{
	struct store_message *msgs = NULL;
	size_t n = 0, cap = 0;
	int ret;

	while ((ret = db_row(db, st)) == 1) {
		if (n == cap) {
			cap = cap > 0 ? cap * 2 : 16;
			msgs = xreallocarray(msgs, cap, sizeof(*msgs));
		}
		msg_from_row(st, &msgs[n++]);
	}
	if (ret < 0) {
		store_message_list_free(&msgs, n);
		return -1;
	}
	*msgs_r = msgs;
	*count_r = n;
	return 0;
}

int
store_message_list(struct store_db *db, int64_t mailbox_id, uint32_t min_uid,
                   struct store_message **msgs_r, size_t *count_r)
{
	return msg_rows(
	    db, db_q(db, S_MSG_LIST, "ii", mailbox_id, (int64_t)min_uid),
	    msgs_r, count_r);
}

int
store_message_scan(struct store_db *db, int64_t mailbox_id, uint32_t min_uid,
                   uint32_t max_uid, enum store_scan_what what,
                   store_scan_fn *cb, void *arg)
{
	static const enum stmt_id ids[] = {
	    [STORE_SCAN_MSG] = S_MSG_SCAN,
	    [STORE_SCAN_BLOB] = S_MSG_SCAN_BLOB,
	    [STORE_SCAN_META] = S_MSG_SCAN_META,
	};
	sqlite3_stmt *st;
	int ret;

	if ((unsigned)what >= N_ELEMENTS(ids))
		return db_seterr(db, "bad scan kind");
	st = db_q(db, ids[what], "iii", mailbox_id, (int64_t)min_uid,
	          (int64_t)max_uid);
	while ((ret = db_row(db, st)) == 1) {
		struct store_message m;
		struct store_blob b, *bp = NULL;
		const uint8_t *meta = NULL;
		size_t meta_len = 0;

		m.id = sqlite3_column_int64(st, 0);
		m.mailbox_id = sqlite3_column_int64(st, 1);
		m.uid = (uint32_t)sqlite3_column_int64(st, 2);
		m.flags = (unsigned)sqlite3_column_int64(st, 3);
		/* the column's own text, valid until the next step (the
		 * struct's field is not const; callbacks get it const) */
		m.keywords = (char *)(uintptr_t)sqlite3_column_text(st, 4);
		m.internaldate = sqlite3_column_int64(st, 5);
		m.tz_offset_min = sqlite3_column_int(st, 6);
		m.size = (uint64_t)sqlite3_column_int64(st, 7);
		m.modseq = (uint64_t)sqlite3_column_int64(st, 8);
		m.blob_id = sqlite3_column_int64(st, 9);
		if (what != STORE_SCAN_MSG) {
			int64_t seg = sqlite3_column_int64(st, 10);
			int64_t off = sqlite3_column_int64(st, 11);
			int64_t size = sqlite3_column_int64(st, 12);
			int fd;

			if (seg <= 0 || seg > UINT32_MAX || off < 0 ||
			    size < 0) {
				sqlite3_reset(st);
				return db_seterr(db, "corrupt blob row");
			}
			if ((fd = blob_reader_fd(db, (uint32_t)seg)) < 0) {
				sqlite3_reset(st);
				return -1;
			}
			b.fd = fd;
			b.off = (uint64_t)off;
			b.size = (uint64_t)size;
			bp = &b;
		}
		if (what == STORE_SCAN_META) {
			meta = sqlite3_column_blob(st, 13);
			int len = sqlite3_column_bytes(st, 13);
			if (meta != NULL && len > 0)
				meta_len = (size_t)len;
			else
				meta = NULL;
		}
		if (cb(arg, &m, bp, meta, meta_len) < 0) {
			sqlite3_reset(st);
			return 0;
		}
	}
	return ret < 0 ? -1 : 0;
}

int
store_message_view(struct store_db *db, int64_t mailbox_id, uint32_t **uids_r,
                   uint64_t **modseqs_r, size_t *count_r,
                   size_t *first_unseen_r)
{
	sqlite3_stmt *st = db_q(db, S_MSG_VIEW, "i", mailbox_id);
	uint32_t *uids = NULL;
	uint64_t *modseqs = NULL;
	size_t n = 0, cap = 0, unseen = 0;
	int ret;

	while ((ret = db_row(db, st)) == 1) {
		if (n == cap) {
			/* small at first: a session keeps these (IMAP view) */
			cap = cap > 0 ? cap * 2 : 16;
			uids = xreallocarray(uids, cap, sizeof(*uids));
			modseqs = xreallocarray(modseqs, cap, sizeof(*modseqs));
		}
		uids[n] = (uint32_t)sqlite3_column_int64(st, 0);
		modseqs[n] = (uint64_t)sqlite3_column_int64(st, 1);
		n++;
		if (unseen == 0 &&
		    (sqlite3_column_int64(st, 2) & STORE_F_SEEN) == 0)
			unseen = n;
	}
	if (ret < 0) {
		free(uids);
		free(modseqs);
		return -1;
	}
	*uids_r = uids;
	*modseqs_r = modseqs;
	*count_r = n;
	*first_unseen_r = unseen;
	return 0;
}

int
store_message_changed(struct store_db *db, int64_t mailbox_id, uint64_t since,
                      struct store_message **msgs_r, size_t *count_r)
{
	if (since > INT64_MAX)
		since = INT64_MAX;
	return msg_rows(
	    db, db_q(db, S_MSG_CHANGED, "ii", mailbox_id, (int64_t)since),
	    msgs_r, count_r);
}

int
store_message_get(struct store_db *db, int64_t mailbox_id, uint32_t uid,
                  struct store_message *msg_r)
{
	sqlite3_stmt *st = db_q(db, S_MSG_GET, "ii", mailbox_id, (int64_t)uid);
	int ret = db_row(db, st);

	if (ret == 1) {
		msg_from_row(st, msg_r);
		sqlite3_reset(st);
	}
	return ret;
}

void
store_message_clear(struct store_message *m)
{
	free(m->keywords);
	memset(m, 0, sizeof(*m));
}

void
store_message_list_free(struct store_message **msgs, size_t count)
{
	if (*msgs == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free((*msgs)[i].keywords);
	free(*msgs);
	*msgs = NULL;
}

int
store_message_set_flags(struct store_db *db, int64_t mailbox_id, uint32_t uid,
                        unsigned flags, const char *keywords)
{
	int64_t modseq = 0;
	int ret;

	if (keywords != NULL && keywords[0] == '\0')
		keywords = NULL;
	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = db_one_int(db, db_q(db, S_MB_BUMP, "i", mailbox_id),
	                      &modseq)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return db_tx_fail(db);
	}
	if (db_run(db,
	           db_q(db, S_MSG_SETFLAGS, "itiii",
	                (int64_t)(flags & STORE_ALL_FLAGS), keywords, modseq,
	                mailbox_id, (int64_t)uid),
	           NULL) < 0)
		return db_tx_fail(db);
	if (sqlite3_changes(db->sql) == 0) {
		db_seterr(db, "no such message");
		return db_tx_fail(db);
	}
	store_notify(db, mailbox_id);
	return db_tx_commit(db);
}

int
store_message_expunge(struct store_db *db, int64_t mailbox_id,
                      const uint32_t *uids, size_t count)
{
	int64_t modseq;
	int removed = 0;

	if (db_tx_begin(db) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (db_run(db,
		           db_q(db, S_MSG_DELETE, "ii", mailbox_id,
		                (int64_t)uids[i]),
		           NULL) < 0)
			return db_tx_fail(db);
		removed += sqlite3_changes(db->sql);
	}
	/* RFC 7162: an expunge changes the mailbox's mod-sequence too */
	if (removed > 0) {
		if (db_one_int(db, db_q(db, S_MB_BUMP, "i", mailbox_id),
		               &modseq) != 1)
			return db_tx_fail(db);
		store_notify(db, mailbox_id);
	}
	return db_tx_commit(db);
}

/* next_uid - take the next UID of a mailbox and a new modseq. */
static int
next_uid(struct store_db *db, int64_t mailbox_id, uint32_t *uid_r,
         int64_t *modseq_r)
{
	sqlite3_stmt *st = db_q(db, S_MB_NEXTUID, "i", mailbox_id);
	int ret = db_row(db, st);

	if (ret == 0)
		return db_seterr(db, "no such mailbox or UIDs exhausted");
	if (ret < 0)
		return -1;
	*uid_r = (uint32_t)sqlite3_column_int64(st, 0);
	*modseq_r = sqlite3_column_int64(st, 1);
	/* finish the statement: RETURNING applies its change at the end */
	if (db_run(db, st, NULL) < 0)
		return -1;
	return 0;
}

static int
msg_insert(struct store_db *db, int64_t mailbox_id, uint32_t uid,
           int64_t blob_id, unsigned flags, const char *keywords, int64_t date,
           int tz, uint64_t size, int64_t modseq)
{
	return db_run(db,
	              db_q(db, S_MSG_INSERT, "iiiitiiii", mailbox_id,
	                   (int64_t)uid, blob_id,
	                   (int64_t)(flags & STORE_ALL_FLAGS), keywords, date,
	                   (int64_t)tz, (int64_t)size, modseq),
	              NULL);
}

int
store_message_copy(struct store_db *db, int64_t src_mailbox_id,
                   const uint32_t *uids, size_t count, int64_t dest_mailbox_id,
                   uint32_t *new_uids_r, uint32_t *dest_uidvalidity_r)
{
	int64_t uidv = 0;
	int ret;

	if (db_tx_begin(db) < 0)
		return -1;
	if ((ret = db_one_int(db, db_q(db, S_MB_VALIDITY, "i", dest_mailbox_id),
	                      &uidv)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		return db_tx_fail(db);
	}
	for (size_t i = 0; i < count; i++) {
		struct store_message m;
		int64_t modseq;

		new_uids_r[i] = 0; /* a missing source UID copies nothing */
		if ((ret = store_message_get(db, src_mailbox_id, uids[i], &m)) <
		    0)
			return db_tx_fail(db);
		if (ret == 0)
			continue;
		ret = next_uid(db, dest_mailbox_id, &new_uids_r[i], &modseq);
		if (ret == 0)
			ret = msg_insert(db, dest_mailbox_id, new_uids_r[i],
			                 m.blob_id, m.flags, m.keywords,
			                 m.internaldate, m.tz_offset_min,
			                 m.size, modseq);
		store_message_clear(&m);
		if (ret < 0)
			return db_tx_fail(db);
	}
	if (db_tx_commit(db) < 0)
		return -1;
	store_notify(db, dest_mailbox_id);
	*dest_uidvalidity_r = (uint32_t)uidv;
	return 0;
}

static int
blob_insert(struct store_db *db, const struct blob_loc *loc,
            const uint8_t *meta, size_t meta_len, int64_t *id_r)
{
	if (db_run(db,
	           db_q(db, S_BLOB_INSERT, "iiib", (int64_t)loc->seg,
	                (int64_t)loc->off, (int64_t)loc->size,
	                meta != NULL ? (const void *)meta : NULL, meta_len),
	           NULL) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

/* write_synced - one blob from srcs, on disk when this returns 0. */
static int
write_synced(struct store_db *db, const struct blob_src *srcs, size_t count,
             struct blob_loc *loc_r)
{
	int ret;

	if (blob_lock(db) < 0)
		return -1;
	ret = blob_write(db, srcs, count, loc_r);
	blob_unlock(db);
	if (ret < 0)
		return -1;
	return blob_sync(db);
}

int
store_message_append(struct store_db *db, int64_t mailbox_id,
                     const uint8_t *data, size_t len, unsigned flags,
                     const char *keywords, int64_t internaldate,
                     uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	struct blob_src src = {.data = data, .len = len};
	struct blob_loc loc;
	uint8_t *meta;
	size_t meta_len;
	int64_t blob_id = 0, modseq = 0, uidv = 0;
	uint32_t uid;
	int ret;

	if (keywords != NULL && keywords[0] == '\0')
		keywords = NULL;
	if (write_synced(db, &src, 1, &loc) < 0)
		return -1;
	meta = blob_index(db, &loc, &meta_len);
	if (db_tx_begin(db) < 0)
		goto fail_meta;
	if ((ret = db_one_int(db, db_q(db, S_MB_VALIDITY, "i", mailbox_id),
	                      &uidv)) <= 0) {
		if (ret == 0)
			db_seterr(db, "no such mailbox");
		goto fail;
	}
	if (blob_insert(db, &loc, meta, meta_len, &blob_id) < 0 ||
	    next_uid(db, mailbox_id, &uid, &modseq) < 0 ||
	    msg_insert(db, mailbox_id, uid, blob_id, flags, keywords,
	               internaldate, 0, len, modseq) < 0)
		goto fail;
	free(meta);
	if (db_tx_commit(db) < 0)
		return -1;
	store_notify(db, mailbox_id);
	*uid_r = uid;
	*uidvalidity_r = (uint32_t)uidv;
	return 0;
fail:
	db_tx_fail(db);
fail_meta:
	free(meta);
	return -1;
}

/* --- the writer's group commit --- */

/* deliver_one - insert d's blob and its INBOX messages; 0 stored in at
 * least one INBOX, 1 no recipient exists any more, -1 SQL error. */
static int
deliver_one(struct store_db *db, struct store_delivery *d,
            const struct blob_loc *loc, const uint8_t *meta, size_t meta_len)
{
	int64_t blob_id = 0, inbox = 0, modseq = 0;
	size_t stored = 0;

	if (blob_insert(db, loc, meta, meta_len, &blob_id) < 0)
		return -1;
	for (size_t i = 0; i < d->user_count; i++) {
		uint32_t uid;
		int ret = db_one_int(
		    db, db_q(db, S_MB_GET, "it", d->user_ids[i], "INBOX"),
		    &inbox);

		if (ret < 0)
			return -1;
		if (ret == 0) {
			/* the user was deleted since RCPT */
			log_warnx("store deliver no_inbox user_id=%lld",
			          (long long)d->user_ids[i]);
			continue;
		}
		if (next_uid(db, inbox, &uid, &modseq) < 0 ||
		    msg_insert(db, inbox, uid, blob_id, 0, NULL,
		               d->internaldate, 0, loc->size, modseq) < 0)
			return -1;
		store_notify(db, inbox);
		stored++;
	}
	if (stored == 0) {
		if (db_run(db, db_q(db, S_BLOB_DROP_UNUSED, "i", blob_id),
		           NULL) < 0)
			return -1;
		return 1;
	}
	d->blob_id = blob_id;
	return 0;
}

int
store_db_deliver_batch(struct store_db *db, struct store_delivery **ds,
                       const struct blob_loc *locs, uint8_t *const *metas,
                       const size_t *meta_lens, size_t count)
{
	int *res = xcalloc(count > 0 ? count : 1, sizeof(*res));
	size_t notified = db->changed_count;

	if (db_tx_begin(db) < 0)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		if (ds[i]->result < 0)
			continue; /* its blob was not written */
		/* one delivery's failure (say, a full UID space) must not
		 * fail the others: each runs inside its own savepoint */
		if (db_run(db, db_stmt(db, S_SAVEPOINT), NULL) < 0)
			goto fail_tx;
		res[i] =
		    deliver_one(db, ds[i], &locs[i], metas[i], meta_lens[i]);
		if (res[i] < 0) {
			log_warnx("store deliver failed error=\"%s\"",
			          store_db_error(db));
			if (sqlite3_get_autocommit(db->sql) ||
			    db_run(db, db_stmt(db, S_ROLLBACK_TO), NULL) < 0)
				goto fail_tx; /* the transaction is gone */
		}
		if (db_run(db, db_stmt(db, S_RELEASE), NULL) < 0)
			goto fail_tx;
	}
	if (db_tx_commit(db) < 0)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		if (ds[i]->result < 0)
			continue;
		if (res[i] == 1) {
			ds[i]->result = -1;
			ds[i]->error = "no such recipient";
		} else if (res[i] < 0) {
			ds[i]->result = -1;
			ds[i]->error = "database error";
			ds[i]->blob_id = 0;
		} else
			ds[i]->result = 0;
	}
	free(res);
	return 0;
fail_tx:
	db_tx_fail(db);
fail:
	db->changed_count = notified; /* nothing changed after all */
	for (size_t i = 0; i < count; i++) {
		ds[i]->result = -1;
		ds[i]->error = "database error";
	}
	free(res);
	return -1;
}

/* --- blobs --- */

int
store_blob_get(struct store_db *db, int64_t blob_id, struct store_blob *b_r)
{
	sqlite3_stmt *st = db_q(db, S_BLOB_GET, "i", blob_id);
	int ret = db_row(db, st);
	int64_t seg, off, size;
	int fd;

	if (ret <= 0) {
		if (ret == 0)
			db_seterr(db, "no such blob");
		return -1;
	}
	seg = sqlite3_column_int64(st, 0);
	off = sqlite3_column_int64(st, 1);
	size = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	if (seg <= 0 || seg > UINT32_MAX || off < 0 || size < 0)
		return db_seterr(db, "corrupt blob row");
	if ((fd = blob_reader_fd(db, (uint32_t)seg)) < 0)
		return -1;
	b_r->fd = fd;
	b_r->off = (uint64_t)off;
	b_r->size = (uint64_t)size;
	return 0;
}

int
store_blob_meta(struct store_db *db, int64_t blob_id, uint8_t **meta_r,
                size_t *len_r)
{
	sqlite3_stmt *st = db_q(db, S_BLOB_META, "i", blob_id);
	int ret = db_row(db, st);

	if (ret <= 0) {
		if (ret == 0)
			db_seterr(db, "no such blob");
		return -1;
	}
	const void *p = sqlite3_column_blob(st, 0);
	int len = sqlite3_column_bytes(st, 0);

	*meta_r = NULL;
	*len_r = 0;
	if (p != NULL && len > 0) {
		*meta_r = xmalloc((size_t)len);
		memcpy(*meta_r, p, (size_t)len);
		*len_r = (size_t)len;
	}
	sqlite3_reset(st);
	return 0;
}
