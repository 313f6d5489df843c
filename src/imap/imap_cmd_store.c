/* SPDX-License-Identifier: MIT */
/*
 * imap_cmd_store.c - STORE (+FLAGS -FLAGS FLAGS, .SILENT, keywords), COPY
 * with COPYUID (RFC 4315) and MOVE (RFC 6851), and their UID forms. The
 * message set is resolved against the session's snapshot on the loop
 * thread; the store thread applies changes to the messages that still
 * exist. Loop thread for parsing; input untrusted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "imap/imap_session.h"
#include "imap/imap_util.h"

struct storeop {
	struct imap_seqset set;
	bool uid;
	size_t *idx;
	size_t idx_count;
	/* STORE */
	char op; /* '+', '-', '=' */
	bool silent;
	unsigned flags;
	char *keywords;
	/* COPY / MOVE */
	char *dest;
	bool move;
	int rc; /* 1 ok, 0 no such mailbox, -1 error */
	char *error;
	uint32_t *src_uids, *dst_uids;
	size_t copied;
	uint32_t dst_validity;
	uint32_t *changed;
	size_t changed_count;
};

static void
storeop_free(void *arg)
{
	struct storeop *o = arg;

	imap_seqset_clear(&o->set);
	free(o->idx);
	free(o->keywords);
	free(o->dest);
	free(o->error);
	free(o->src_uids);
	free(o->dst_uids);
	free(o->changed);
	free(o);
}

static struct store_message *
find_uid(struct store_message *m, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].uid == uid)
			return &m[mid];
		if (m[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- STORE --- */

static void
store_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct storeop *o = j->data;
	struct store_message *msgs = NULL;
	size_t count = 0;
	struct buf fl;

	if (store_message_list(db, j->mailbox_id, 0, &msgs, &count) < 0) {
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s",
		                   store_db_error(db));
		return;
	}
	o->changed = xreallocarray(NULL, o->idx_count + 1, sizeof(*o->changed));
	buf_init(&fl, 64 * 1024);
	for (size_t i = 0; i < o->idx_count; i++) {
		struct store_message *m =
		    find_uid(msgs, count, j->uids[o->idx[i]]);
		unsigned nf;
		char *kw;

		if (m == NULL)
			continue;
		switch (o->op) {
		case '+':
			nf = m->flags | o->flags;
			break;
		case '-':
			nf = m->flags & ~o->flags;
			break;
		default:
			nf = o->flags;
			break;
		}
		kw = imap_keywords_apply(m->keywords, o->keywords, o->op);
		bool same_kw = (kw == NULL && (m->keywords == NULL ||
		                               *m->keywords == '\0')) ||
		               (kw != NULL && m->keywords != NULL &&
		                strcmp(kw, m->keywords) == 0);
		if (nf != m->flags || !same_kw) {
			if (store_message_set_flags(db, j->mailbox_id, m->uid,
			                            nf, kw) < 0) {
				free(kw);
				imap_job_set_reply(j, "NO [UNAVAILABLE] %s",
				                   store_db_error(db));
				goto out;
			}
			o->changed[o->changed_count++] = m->uid;
		}
		if (!o->silent) {
			buf_reset(&fl);
			if (imap_flags_write(&fl, nf, kw,
			                     m->uid >= j->recent_min_uid) ==
			    0) {
				if (o->uid)
					imap_job_printf(j,
					                "* %zu FETCH (UID %u "
					                "FLAGS (%s))\r\n",
					                o->idx[i] + 1, m->uid,
					                buf_cstr(&fl));
				else
					imap_job_printf(
					    j, "* %zu FETCH (FLAGS (%s))\r\n",
					    o->idx[i] + 1, buf_cstr(&fl));
			}
		}
		free(kw);
	}
	imap_job_set_reply(j, "OK %sSTORE completed", o->uid ? "UID " : "");
out:
	buf_clear(&fl);
	store_message_list_free(&msgs, count);
}

static void
store_done(struct imap_session *s, struct imap_job *j)
{
	struct storeop *o = j->data;

	(void)s;
	j->skip_uids = o->changed;
	j->skip_count = o->changed_count;
	o->changed = NULL;
}

/*
 * storeop_submit - hand o to a job that resolves o->set against the
 * snapshot and runs work on the store thread; an invalid set gets BAD
 * and o is freed with the job.
 */
static void
storeop_submit(struct imap_session *s, const char *tag, struct storeop *o,
               bool uid, bool sync_expunge, store_work_fn *work,
               imap_job_done_fn *done)
{
	struct imap_job *j = imap_job_new(s, tag);

	j->data = o;
	j->data_free = storeop_free;
	if (imap_set_resolve(j, &o->set, uid, &o->idx, &o->idx_count) < 0) {
		imap_job_free(j);
		imap_reply_bad(s, tag, "Invalid message sequence number");
		return;
	}
	j->want_sync = true;
	j->sync_expunge = sync_expunge;
	imap_job_submit(s, j, work, done);
}

void
imap_cmd_store(struct imap_session *s, const struct imap_cmd *cmd,
               const struct imap_arg *args, size_t count, bool uid)
{
	struct storeop *o;
	const char *item, *err;
	struct imap_arg wrap;

	if (count < 3 || (item = imap_arg_atom(&args[1])) == NULL) {
		imap_reply_bad(s, cmd->tag, "STORE set item flags");
		return;
	}
	o = xcalloc(1, sizeof(*o));
	o->uid = uid;
	o->op = '=';
	if (*item == '+' || *item == '-')
		o->op = *item++;
	if (strcasecmp(item, "FLAGS.SILENT") == 0)
		o->silent = true;
	else if (strcasecmp(item, "FLAGS") != 0) {
		storeop_free(o);
		imap_reply_bad(s, cmd->tag, "Unknown STORE item");
		return;
	}
	/* flag-list, or flags as separate arguments */
	if (count == 3) {
		wrap = args[2];
	} else {
		wrap = (struct imap_arg){
		    .type = IMAP_ARG_LIST,
		    .list = (struct imap_arg *)(uintptr_t)&args[2],
		    .count = count - 2};
	}
	if (imap_flags_parse(&wrap, &o->flags, &o->keywords, &err) < 0) {
		storeop_free(o);
		imap_reply_bad(s, cmd->tag, err);
		return;
	}
	if (imap_set_arg(s, cmd->tag, &args[0], &o->set) < 0) {
		storeop_free(o);
		return;
	}
	if (s->read_only) {
		storeop_free(o);
		imap_reply_tagged(s, cmd->tag,
		                  "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	storeop_submit(s, cmd->tag, o, uid, false, store_work, store_done);
}

/* --- COPY / MOVE --- */

/* write_uid_set - "1:3,7" of a sorted or unsorted uid list, in order. */
static char *
uid_set_text(const uint32_t *uids, size_t n)
{
	struct buf b;
	char *res;
	int r = 0;

	buf_init(&b, (size_t)1 << 28);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k + 1 < n && uids[k + 1] == uids[k] + 1)
			k++;
		if (k > i)
			r |= buf_printf(&b, "%s%u:%u", i ? "," : "", uids[i],
			                uids[k]);
		else
			r |= buf_printf(&b, "%s%u", i ? "," : "", uids[i]);
		i = k + 1;
	}
	res = xstrdup(r == 0 && buf_avail(&b) ? buf_cstr(&b) : "");
	buf_clear(&b);
	return res;
}

static void
copy_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct storeop *o = j->data;
	struct store_message *msgs = NULL;
	struct store_mailbox mb;
	size_t count = 0, n = 0;
	int r;

	r = store_mailbox_get(db, j->user_id, o->dest, &mb);
	if (r <= 0) {
		o->rc = r;
		if (r < 0)
			o->error = xstrdup(store_db_error(db));
		return;
	}
	if (store_message_list(db, j->mailbox_id, 0, &msgs, &count) < 0)
		goto fail;
	o->src_uids = xreallocarray(NULL, o->idx_count + 1, sizeof(uint32_t));
	o->dst_uids = xreallocarray(NULL, o->idx_count + 1, sizeof(uint32_t));
	for (size_t i = 0; i < o->idx_count; i++) {
		uint32_t uid = j->uids[o->idx[i]];
		if (find_uid(msgs, count, uid) != NULL)
			o->src_uids[n++] = uid;
	}
	if (n > 0) {
		if (store_message_copy(db, j->mailbox_id, o->src_uids, n, mb.id,
		                       o->dst_uids, &o->dst_validity) < 0)
			goto fail;
		if (o->move && store_message_expunge(db, j->mailbox_id,
		                                     o->src_uids, n) < 0)
			goto fail;
	}
	o->copied = n;
	o->rc = 1;
	store_mailbox_clear(&mb);
	store_message_list_free(&msgs, count);
	return;
fail:
	o->rc = -1;
	o->error = xstrdup(store_db_error(db));
	store_mailbox_clear(&mb);
	store_message_list_free(&msgs, count);
}

static void
copy_done(struct imap_session *s, struct imap_job *j)
{
	struct storeop *o = j->data;
	const char *what = o->move ? "MOVE" : "COPY";
	char *src, *dst;

	(void)s;
	if (o->rc == 0) {
		imap_job_set_reply(j, "NO [TRYCREATE] No such mailbox");
		return;
	}
	if (o->rc < 0) {
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s",
		                   o->error != NULL ? o->error : "failed");
		return;
	}
	if (o->copied == 0) {
		imap_job_set_reply(j, "OK %s%s completed, nothing to do",
		                   o->uid ? "UID " : "", what);
		return;
	}
	src = uid_set_text(o->src_uids, o->copied);
	dst = uid_set_text(o->dst_uids, o->copied);
	if (o->move) {
		/* RFC 6851: COPYUID in an untagged OK before the EXPUNGEs */
		imap_job_printf(j, "* OK [COPYUID %u %s %s] Moved\r\n",
		                o->dst_validity, src, dst);
		imap_job_set_reply(j, "OK %sMOVE completed",
		                   o->uid ? "UID " : "");
	} else {
		imap_job_set_reply(j, "OK [COPYUID %u %s %s] %sCOPY completed",
		                   o->dst_validity, src, dst,
		                   o->uid ? "UID " : "");
	}
	free(src);
	free(dst);
}

static void
copy_cmd(struct imap_session *s, const struct imap_cmd *cmd,
         const struct imap_arg *args, size_t count, bool uid, bool move)
{
	struct storeop *o;
	const char *name;

	if (count != 2 || (name = imap_arg_astring(&args[1])) == NULL) {
		imap_reply_bad(s, cmd->tag, "COPY set mailbox");
		return;
	}
	o = xcalloc(1, sizeof(*o));
	o->uid = uid;
	o->move = move;
	if (imap_set_arg(s, cmd->tag, &args[0], &o->set) < 0) {
		storeop_free(o);
		return;
	}
	o->dest = imap_mailbox_from_client(s, name);
	if (o->dest == NULL) {
		storeop_free(o);
		imap_reply_tagged(s, cmd->tag, "NO Invalid mailbox name");
		return;
	}
	if (move && s->read_only) {
		storeop_free(o);
		imap_reply_tagged(s, cmd->tag,
		                  "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	storeop_submit(s, cmd->tag, o, uid, move, copy_work, copy_done);
}

void
imap_cmd_copy(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	copy_cmd(s, cmd, args, count, uid, false);
}

void
imap_cmd_move(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	copy_cmd(s, cmd, args, count, uid, true);
}
