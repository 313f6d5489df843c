/* SPDX-License-Identifier: MIT */
/*
 * imap_session.c - one IMAP connection: greeting, reading commands with the
 * resumable parser, dispatch by state, store jobs and their streamed
 * output, reporting other sessions' changes (EXISTS, EXPUNGE, FETCH FLAGS)
 * of the selected mailbox, IDLE, autologout and shutdown.
 *
 * Loop thread only; store work runs on store threads through imap_job,
 * which carries copies of what the worker needs. Input is untrusted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/conn.h"
#include "core/daemon.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/mem.h"
#include "imap/imap.h"
#include "imap/imap_limits.h"
#include "imap/imap_session.h"
#include "imap/imap_util.h"

static void session_process(struct imap_session *s);
static void stream_run(struct imap_session *s);

/* --- replies --- */

static void vreply(struct imap_session *s, const char *prefix, const char *fmt,
                   va_list ap) ATTR_FORMAT(3, 0);

static void
vreply(struct imap_session *s, const char *prefix, const char *fmt, va_list ap)
{
	char *text = xvasprintf(fmt, ap);
	char *line = xasprintf("%s%s\r\n", prefix, text);

	(void)conn_write(s->c, line, strlen(line));
	free(text);
	free(line);
}

void
imap_reply(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, "", fmt, ap);
	va_end(ap);
}

void
imap_reply_tagged(struct imap_session *s, const char *tag, const char *fmt, ...)
{
	va_list ap;
	char *prefix = xasprintf("%s ", tag != NULL ? tag : "*");

	va_start(ap, fmt);
	vreply(s, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
}

void
imap_reply_bad(struct imap_session *s, const char *tag, const char *msg)
{
	imap_reply_tagged(s, tag, "BAD %s", msg);
	if (++s->errors >= s->conf->max_errors) {
		imap_reply(s, "* BYE Too many errors");
		conn_close(s->c, "too many errors");
	}
}

void
imap_capability_write(struct imap_session *s, struct buf *out)
{
	bool secure = conn_is_tls(s->c) || s->conf->imap_allow_plaintext_auth;
	int r = buf_append_str(out, "CAPABILITY IMAP4rev1 IMAP4rev2");

	if (s->state == IMAP_STATE_NOAUTH) {
		if (!conn_is_tls(s->c) && s->d->tls != NULL)
			r |= buf_append_str(out, " STARTTLS");
		r |= buf_append_str(out, secure ? " AUTH=PLAIN SASL-IR"
		                                : " LOGINDISABLED");
	}
	r |= buf_append_str(out, " LITERAL+ IDLE NAMESPACE UIDPLUS MOVE "
	                         "UNSELECT ENABLE ID SPECIAL-USE CHILDREN "
	                         "ESEARCH UTF8=ACCEPT");
	(void)r;
}

/* --- views --- */

void
imap_view_clear(struct imap_view *v)
{
	xfree(&v->uids);
	xfree(&v->modseqs);
	v->count = v->cap = 0;
}

void
imap_view_add(struct imap_view *v, uint32_t uid, uint64_t modseq)
{
	if (v->count == v->cap) {
		v->cap = v->cap == 0 ? 64 : v->cap * 2;
		v->uids = xreallocarray(v->uids, v->cap, sizeof(*v->uids));
		v->modseqs =
		    xreallocarray(v->modseqs, v->cap, sizeof(*v->modseqs));
	}
	v->uids[v->count] = uid;
	v->modseqs[v->count] = modseq;
	v->count++;
}

uint32_t
imap_view_seq(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->uids[mid] == uid)
			return (uint32_t)(mid + 1);
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void
watch_cb(int64_t mailbox_id, void *arg)
{
	struct imap_session *s = arg;

	(void)mailbox_id;
	s->changed = true;
	if (s->mode == IMAP_MODE_IDLE && s->job == NULL && s->stream == NULL)
		session_process(s);
}

void
imap_session_select(struct imap_session *s, int64_t mailbox_id,
                    const char *name, bool read_only, uint32_t uidvalidity,
                    uint32_t uidnext, uint32_t *uids, uint64_t *modseqs,
                    size_t count)
{
	imap_session_unselect(s);
	s->state = IMAP_STATE_SELECTED;
	s->mailbox_id = mailbox_id;
	s->mailbox_name = xstrdup(name);
	s->read_only = read_only;
	s->uidvalidity = uidvalidity;
	s->recent_min_uid = uidnext;
	s->view.uids = uids;
	s->view.modseqs = modseqs;
	s->view.count = s->view.cap = uids != NULL ? count : 0;
	if (s->d->store != NULL)
		s->watch =
		    store_watch_add(s->d->store, mailbox_id, watch_cb, s);
	s->changed = false;
}

void
imap_session_unselect(struct imap_session *s)
{
	if (s->watch != NULL)
		store_watch_del(&s->watch);
	imap_view_clear(&s->view);
	xfree(&s->mailbox_name);
	s->mailbox_id = 0;
	if (s->state == IMAP_STATE_SELECTED)
		s->state = IMAP_STATE_AUTH;
}

char *
imap_mailbox_from_client(const struct imap_session *s, const char *name)
{
	char *n = s->utf8 ? xstrdup(name) : imap_mutf7_decode(name);

	if (n == NULL)
		return NULL;
	if (strncasecmp(n, "INBOX", 5) == 0 && (n[5] == '\0' || n[5] == '/'))
		memcpy(n, "INBOX", 5);
	return n;
}

void
imap_mailbox_write(const struct imap_session *s, struct buf *out,
                   const char *name)
{
	char *n = s->utf8 ? xstrdup(name) : imap_mutf7_encode(name);

	if (n == NULL)
		n = xstrdup(name);
	if (imap_write_string(out, n, strlen(n), s->utf8) < 0)
		log_debug("imap mailbox name did not fit");
	free(n);
}

/* --- jobs --- */

struct imap_job *
imap_job_new(struct imap_session *s, const char *tag)
{
	struct imap_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->tag = xstrdup(tag);
	j->user_id = s->user_id;
	j->mailbox_id = s->mailbox_id;
	j->read_only = s->read_only;
	j->utf8 = s->utf8;
	/* IMAP4rev2 has no \\Recent (RFC 9051 appendix E) */
	j->recent_min_uid = s->rev2 ? UINT32_MAX : s->recent_min_uid;
	if (s->state == IMAP_STATE_SELECTED && s->view.count > 0) {
		j->uids = xreallocarray(NULL, s->view.count, sizeof(*j->uids));
		memcpy(j->uids, s->view.uids, s->view.count * sizeof(*j->uids));
		j->uid_count = s->view.count;
	}
	/* output can be large (FETCH 1:* of a big mailbox); the connection's
	 * own buffer limit applies as it streams */
	buf_init(&j->out, (size_t)1 << 30);
	return j;
}

void
imap_job_free(struct imap_job *j)
{
	if (j->data_free != NULL)
		j->data_free(j->data);
	free(j->tag);
	free(j->uids);
	free(j->skip_uids);
	store_message_list_free(&j->sync_msgs, j->sync_count);
	buf_clear(&j->out);
	free(j->pieces);
	free(j->reply);
	free(j);
}

static void
piece_add(struct imap_job *j, struct imap_piece p)
{
	if (j->piece_count == j->piece_cap) {
		j->piece_cap = j->piece_cap == 0 ? 8 : j->piece_cap * 2;
		j->pieces =
		    xreallocarray(j->pieces, j->piece_cap, sizeof(*j->pieces));
	}
	j->pieces[j->piece_count++] = p;
}

/* piece_text - bytes [off, off + len) of j->out were just appended. */
static void
piece_text(struct imap_job *j, size_t off, size_t len)
{
	struct imap_piece *last =
	    j->piece_count > 0 ? &j->pieces[j->piece_count - 1] : NULL;

	if (len == 0)
		return;
	if (last != NULL && last->kind == IMAP_PIECE_TEXT &&
	    last->off + last->len == off)
		last->len += len;
	else
		piece_add(j, (struct imap_piece){.kind = IMAP_PIECE_TEXT,
		                                 .fd = -1,
		                                 .off = off,
		                                 .len = len});
}

void
imap_job_write(struct imap_job *j, const void *data, size_t len)
{
	size_t off = j->out.len;

	if (len == 0)
		return;
	if (buf_append(&j->out, data, len) < 0)
		return; /* past 1 GiB of text: the connection limit hits first
		         */
	piece_text(j, off, len);
}

void
imap_job_printf(struct imap_job *j, const char *fmt, ...)
{
	va_list ap;
	size_t off = j->out.len;
	int r;

	/* formatted in place: no temporary string per line */
	va_start(ap, fmt);
	r = buf_vprintf(&j->out, fmt, ap);
	va_end(ap);
	if (r < 0) {
		j->out.len = off; /* past 1 GiB: as imap_job_write */
		return;
	}
	piece_text(j, off, j->out.len - off);
}

void
imap_job_string(struct imap_job *j, const char *str, size_t len)
{
	struct buf b;

	buf_init(&b, len + 64);
	if (imap_write_string(&b, str, len, j->utf8) == 0)
		imap_job_write(j, buf_rptr(&b), buf_avail(&b));
	buf_clear(&b);
}

void
imap_job_blob(struct imap_job *j, int fd, uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	piece_add(
	    j, (struct imap_piece){
	           .kind = IMAP_PIECE_BLOB, .fd = fd, .off = off, .len = len});
}

void
imap_job_set_reply(struct imap_job *j, const char *fmt, ...)
{
	va_list ap;

	free(j->reply);
	va_start(ap, fmt);
	j->reply = xvasprintf(fmt, ap);
	va_end(ap);
}

static void
job_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;

	if (j->work != NULL)
		j->work(db, j);
	if (j->more)
		return; /* the changes come after the last run */
	if (j->want_sync && j->mailbox_id != 0)
		j->sync_rc = store_message_list(db, j->mailbox_id, 0,
		                                &j->sync_msgs, &j->sync_count);
}

static bool
uid_skipped(const struct imap_job *j, uint32_t uid)
{
	for (size_t i = 0; i < j->skip_count; i++) {
		if (j->skip_uids[i] == uid)
			return true;
	}
	return false;
}

/*
 * sync_apply - compare the view with the mailbox as listed: expunged uids
 * (highest sequence first, only when allowed), new messages (EXISTS), and
 * flag changes (FETCH FLAGS).
 */
static void
sync_apply(struct imap_session *s, struct imap_job *j)
{
	struct imap_view *v = &s->view;
	const struct store_message *m = j->sync_msgs;
	size_t n = j->sync_count, old_count = v->count;
	struct buf line;

	if (s->state != IMAP_STATE_SELECTED || j->sync_rc < 0 ||
	    j->mailbox_id != s->mailbox_id)
		return;
	if (j->sync_expunge) {
		/* walk down: a removal leaves lower numbers unchanged */
		size_t k = n;
		for (size_t i = v->count; i-- > 0;) {
			uint32_t uid = v->uids[i];
			while (k > 0 && m[k - 1].uid > uid)
				k--;
			if (k > 0 && m[k - 1].uid == uid)
				continue;
			imap_job_printf(j, "* %zu EXPUNGE\r\n", i + 1);
			memmove(&v->uids[i], &v->uids[i + 1],
			        (v->count - i - 1) * sizeof(*v->uids));
			memmove(&v->modseqs[i], &v->modseqs[i + 1],
			        (v->count - i - 1) * sizeof(*v->modseqs));
			v->count--;
		}
	}
	old_count = v->count;
	buf_init(&line, 64 * 1024);
	size_t vi = 0;
	uint32_t last = v->count > 0 ? v->uids[v->count - 1] : 0;
	for (size_t i = 0; i < n; i++) {
		while (vi < old_count && v->uids[vi] < m[i].uid)
			vi++;
		if (vi < old_count && v->uids[vi] == m[i].uid) {
			if (v->modseqs[vi] != m[i].modseq &&
			    !uid_skipped(j, m[i].uid)) {
				buf_reset(&line);
				if (imap_flags_write(
				        &line, m[i].flags, m[i].keywords,
				        !s->rev2 &&
				            m[i].uid >= s->recent_min_uid) == 0)
					imap_job_printf(
					    j, "* %zu FETCH (FLAGS (%s))\r\n",
					    vi + 1, buf_cstr(&line));
			}
			v->modseqs[vi] = m[i].modseq;
			continue;
		}
		if (m[i].uid > last) {
			imap_view_add(v, m[i].uid, m[i].modseq);
			last = m[i].uid;
		}
	}
	buf_clear(&line);
	if (v->count != old_count) {
		size_t recent = 0;
		for (size_t i = 0; i < v->count; i++) {
			if (v->uids[i] >= s->recent_min_uid)
				recent++;
		}
		imap_job_printf(j, "* %zu EXISTS\r\n", v->count);
		if (!s->rev2)
			imap_job_printf(j, "* %zu RECENT\r\n", recent);
	}
}

/* stream_start - stream j now, or after what is already queued. */
static void
stream_start(struct imap_session *s, struct imap_job *j)
{
	j->piece_pos = 0;
	j->piece_done = 0;
	j->next = NULL;
	if (s->stream != NULL) {
		struct imap_job **tail = &s->queue;
		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = j;
		return;
	}
	s->stream = j;
	stream_run(s);
}

static void
stream_free_all(struct imap_session *s)
{
	if (s->stream != NULL) {
		imap_job_free(s->stream);
		s->stream = NULL;
	}
	while (s->queue != NULL) {
		struct imap_job *q = s->queue;
		s->queue = q->next;
		imap_job_free(q);
	}
}

/* job_finish - after the stream: changes, tagged reply, next command. */
static void
job_finish(struct imap_session *s, struct imap_job *j)
{
	s->stream = NULL;
	if (j->partial) {
		/* a part of a job's output: on with the next in line (the
		 * job itself may still be running) */
		struct imap_job *next = s->queue;
		imap_job_free(j);
		if (next != NULL) {
			s->queue = next->next;
			next->next = NULL;
			s->stream = next;
			stream_run(s);
		}
		return;
	}
	if (j->close_after) {
		imap_job_free(j);
		conn_close(s->c, "logout");
		return;
	}
	imap_job_free(j);
	if (s->stopping) {
		imap_reply(s, "* BYE Server shutting down");
		conn_close(s->c, "shutdown");
		return;
	}
	conn_resume_read(s->c);
	/* a change that came while this job ran, during IDLE */
	if (s->mode == IMAP_MODE_IDLE && s->changed)
		session_process(s);
}

static void session_free(struct imap_session *s);

static void
job_done(void *arg)
{
	struct imap_job *j = arg;
	struct imap_session *s = j->s;

	s->job = NULL;
	if (s->dead) {
		imap_job_free(j);
		session_free(s);
		return;
	}
	if (j->more && !conn_is_closing(s->c)) {
		/* hand the output so far to the stream in a part of its own
		 * and run the job again meanwhile */
		struct imap_job *part = xcalloc(1, sizeof(*part));
		part->s = s;
		part->partial = true;
		part->out = j->out;
		part->pieces = j->pieces;
		part->piece_count = j->piece_count;
		part->piece_cap = j->piece_cap;
		buf_init(&j->out, (size_t)1 << 30);
		j->pieces = NULL;
		j->piece_count = j->piece_cap = 0;
		j->more = false;
		s->job = j;
		store_call(s->d->store, job_work, job_done, j);
		stream_start(s, part);
		return;
	}
	if (j->done != NULL)
		j->done(s, j);
	if (s->dead || conn_is_closing(s->c)) {
		imap_job_free(j);
		return;
	}
	/* after the command's output: the changes, then the tagged reply,
	 * all through the stream so none of it can overrun the output limit */
	if (j->want_sync)
		sync_apply(s, j);
	if (j->reply != NULL && j->tag != NULL)
		imap_job_printf(j, "%s %s\r\n", j->tag, j->reply);
	stream_start(s, j);
}

void
imap_job_submit(struct imap_session *s, struct imap_job *j, store_work_fn *work,
                imap_job_done_fn *done)
{
	j->work = work;
	j->done = done;
	if (j->want_sync && j->sync_expunge)
		s->changed = false; /* this job reports all that is pending */
	else if (j->want_sync && j->sync_lazy && !s->changed)
		/* nothing changed since the last sync: listing the whole
		 * mailbox again (read-only FETCH, SEARCH) would find nothing.
		 * Commands that change messages sync, so that the view learns
		 * their new modseqs and reports them only once. */
		j->want_sync = false;
	s->job = j;
	conn_pause_read(s->c);
	store_call(s->d->store, job_work, job_done, j);
}

/* stream_run - write pieces while the output stays under the high water
 * mark; on_drain calls again. Small pieces (a FETCH line, a message body)
 * are gathered into one buffer so that the socket gets few large writes. */
static void
stream_run(struct imap_session *s)
{
	static uint8_t gather[IMAP_STREAM_BATCH]; /* loop thread only */
	struct imap_job *j = s->stream;
	size_t gl = 0;

	if (j == NULL)
		return;
	while (j->piece_pos < j->piece_count) {
		const struct imap_piece *p = &j->pieces[j->piece_pos];
		uint64_t left = p->len - j->piece_done;
		size_t n;

		if (gl == 0 && conn_out_pending(s->c) >= IMAP_OUT_HIGH_WATER)
			return; /* on_drain resumes */
		if (p->kind == IMAP_PIECE_TEXT && gl == 0 &&
		    left >= IMAP_STREAM_BATCH) {
			/* large text: straight from the job's buffer */
			n = IMAP_STREAM_BATCH;
			if (conn_write(s->c,
			               j->out.data + p->off + j->piece_done,
			               n) < 0)
				goto fail;
		} else {
			n = IMAP_STREAM_BATCH - gl;
			if (left < n)
				n = (size_t)left;
			if (p->kind == IMAP_PIECE_TEXT) {
				memcpy(gather + gl,
				       j->out.data + p->off + j->piece_done, n);
			} else {
				ssize_t r =
				    pread(p->fd, gather + gl, n,
				          (off_t)(p->off + j->piece_done));
				if (r <= 0) {
					log_warn("%s imap blob read failed",
					         conn_id_str(s->c));
					goto fail;
				}
				n = (size_t)r;
			}
			gl += n;
		}
		j->piece_done += n;
		if (j->piece_done == p->len) {
			j->piece_pos++;
			j->piece_done = 0;
		}
		if (gl == IMAP_STREAM_BATCH) {
			if (conn_write(s->c, gather, gl) < 0)
				goto fail;
			gl = 0;
		}
	}
	if (gl > 0 && conn_write(s->c, gather, gl) < 0)
		goto fail;
	job_finish(s, j);
	return;
fail:
	/* the literal announced a length we cannot deliver: the stream is
	 * broken, so the connection must end */
	stream_free_all(s);
	conn_abort(s->c, "write failed");
}

/* --- dispatch --- */

enum {
	ST_N = 1 << IMAP_STATE_NOAUTH,
	ST_A = 1 << IMAP_STATE_AUTH,
	ST_S = 1 << IMAP_STATE_SELECTED,
	ST_ANY = ST_N | ST_A | ST_S,
};

static const struct {
	const char *name;
	imap_cmd_fn *fn;
	unsigned states;
	bool uid_ok;
} commands[] = {
    {"CAPABILITY", imap_cmd_capability, ST_ANY, false},
    {"NOOP", imap_cmd_noop, ST_ANY, false},
    {"LOGOUT", imap_cmd_logout, ST_ANY, false},
    {"ID", imap_cmd_id, ST_ANY, false},
    {"STARTTLS", imap_cmd_starttls, ST_N, false},
    {"LOGIN", imap_cmd_login, ST_N, false},
    {"AUTHENTICATE", imap_cmd_authenticate, ST_N, false},
    {"ENABLE", imap_cmd_enable, ST_A | ST_S, false},
    {"NAMESPACE", imap_cmd_namespace, ST_A | ST_S, false},
    {"IDLE", imap_cmd_idle, ST_A | ST_S, false},
    {"SELECT", imap_cmd_select, ST_A | ST_S, false},
    {"EXAMINE", imap_cmd_select, ST_A | ST_S, false},
    {"CREATE", imap_cmd_create, ST_A | ST_S, false},
    {"DELETE", imap_cmd_delete, ST_A | ST_S, false},
    {"RENAME", imap_cmd_rename, ST_A | ST_S, false},
    {"SUBSCRIBE", imap_cmd_subscribe, ST_A | ST_S, false},
    {"UNSUBSCRIBE", imap_cmd_unsubscribe, ST_A | ST_S, false},
    {"LIST", imap_cmd_list, ST_A | ST_S, false},
    {"LSUB", imap_cmd_lsub, ST_A | ST_S, false},
    {"STATUS", imap_cmd_status, ST_A | ST_S, false},
    {"APPEND", imap_cmd_append, ST_A | ST_S, false},
    {"CHECK", imap_cmd_check, ST_S, false},
    {"CLOSE", imap_cmd_close, ST_S, false},
    {"UNSELECT", imap_cmd_unselect, ST_S, false},
    {"EXPUNGE", imap_cmd_expunge, ST_S, true},
    {"FETCH", imap_cmd_fetch, ST_S, true},
    {"SEARCH", imap_cmd_search, ST_S, true},
    {"STORE", imap_cmd_store, ST_S, true},
    {"COPY", imap_cmd_copy, ST_S, true},
    {"MOVE", imap_cmd_move, ST_S, true},
};

static void
dispatch(struct imap_session *s, const struct imap_cmd *cmd)
{
	const char *name = cmd->name;
	const struct imap_arg *args = cmd->args;
	size_t count = cmd->count;
	bool uid = false;

	if (strcmp(name, "UID") == 0) {
		if (count == 0 || imap_arg_atom(&args[0]) == NULL) {
			imap_reply_bad(s, cmd->tag, "UID needs a command");
			return;
		}
		name = args[0].str;
		args++;
		count--;
		uid = true;
	}
	for (size_t i = 0; i < N_ELEMENTS(commands); i++) {
		if (strcasecmp(commands[i].name, name) != 0)
			continue;
		if (uid && !commands[i].uid_ok)
			break;
		if ((commands[i].states & (1u << s->state)) == 0) {
			imap_reply_bad(s, cmd->tag,
			               s->state == IMAP_STATE_NOAUTH
			                   ? "Log in first"
			                   : "Command not valid in this state");
			return;
		}
		commands[i].fn(s, cmd, args, count, uid);
		return;
	}
	imap_reply_bad(s, cmd->tag, "Unknown command");
}

/* line_mode - a line for AUTHENTICATE or IDLE; false when none is in. */
static bool
line_mode(struct imap_session *s)
{
	struct span line;
	unsigned flags;
	int r = line_read(&s->lr, conn_in(s->c), &line, &flags);

	if (r == LINE_MORE)
		return false;
	if (r == LINE_TOOLONG) {
		line.p = "";
		line.len = 0;
		flags = LINE_F_NUL; /* treated as garbage below */
	}
	if (s->mode == IMAP_MODE_AUTH_CONT) {
		s->mode = IMAP_MODE_CMD;
		if (flags & (LINE_F_NUL | LINE_F_BARE_CR)) {
			imap_reply_bad(s, s->mode_tag, "Invalid response");
			xfree(&s->mode_tag);
			return true;
		}
		imap_auth_continue(s, line.p, line.len);
		return true;
	}
	/* IDLE */
	s->mode = IMAP_MODE_CMD;
	if (line.len == 4 && strncasecmp(line.p, "DONE", 4) == 0)
		imap_reply_tagged(s, s->mode_tag, "OK IDLE terminated");
	else
		imap_reply_bad(s, s->mode_tag, "Expected DONE");
	xfree(&s->mode_tag);
	return true;
}

static void
idle_sync_done(struct imap_session *s, struct imap_job *j)
{
	(void)s;
	(void)j;
}

/* idle_sync - report changes while idling (a job without a reply). */
static void
idle_sync(struct imap_session *s)
{
	struct imap_job *j;

	s->changed = false;
	j = imap_job_new(s, "*");
	xfree(&j->tag);
	j->want_sync = true;
	j->sync_expunge = true;
	imap_job_submit(s, j, NULL, idle_sync_done);
}

static void
session_process(struct imap_session *s)
{
	while (s->job == NULL && s->stream == NULL && !s->dead &&
	       !conn_is_closing(s->c)) {
		const struct imap_cmd *cmd;
		int r;

		if (s->mode != IMAP_MODE_CMD) {
			if (line_mode(s))
				continue;
			if (s->mode == IMAP_MODE_IDLE && s->changed &&
			    s->state == IMAP_STATE_SELECTED) {
				idle_sync(s);
				return;
			}
			return;
		}
		r = imap_parser_feed(s->parser, conn_in(s->c), &cmd);
		if (r == IMAP_PARSE_MORE)
			return;
		ev_timer_arm(s->timer, s->conf->imap_idle_timeout_ms);
		if (r == IMAP_PARSE_LITERAL) {
			imap_reply(s, "+ Ready for literal data");
			continue;
		}
		if (r == IMAP_PARSE_ERROR) {
			const char *tag, *msg;
			bool toobig;
			imap_parser_error(s->parser, &tag, &msg, &toobig);
			if (toobig && tag != NULL)
				imap_reply_tagged(s, tag, "NO [TOOBIG] %s",
				                  msg);
			else
				imap_reply_bad(s, tag, msg);
			continue;
		}
		dispatch(s, cmd);
	}
}

void
imap_session_logged_in(struct imap_session *s, int64_t user_id,
                       const char *address)
{
	s->user_id = user_id;
	free(s->address);
	s->address = xstrdup(address);
	s->state = IMAP_STATE_AUTH;
	imap_parser_set_limits(s->parser, s->conf->imap_max_line,
	                       s->conf->imap_max_literal);
	line_reader_init(&s->lr, s->conf->imap_max_line);
	log_info("%s imap login user=%s", conn_id_str(s->c), address);
}

/* --- connection events --- */

static void
session_free(struct imap_session *s)
{
	if (s->watch != NULL)
		store_watch_del(&s->watch);
	imap_view_clear(&s->view);
	daemon_session_remove(s->d, &s->ds);
	ev_timer_del(&s->timer);
	imap_parser_free(&s->parser);
	free(s->mode_tag);
	free(s->address);
	free(s->mailbox_name);
	conf_unref(&s->conf);
	free(s);
}

static void
session_read(struct conn *c, void *arg)
{
	(void)c;
	session_process(arg);
}

static void
session_drain(struct conn *c, void *arg)
{
	struct imap_session *s = arg;

	(void)c;
	if (s->stream != NULL)
		stream_run(s);
}

static void
session_closed(struct conn *c, const char *reason, void *arg)
{
	struct imap_session *s = arg;

	log_info("%s imap disconnected reason=%s user=%s", conn_id_str(c),
	         reason != NULL ? reason : "-",
	         s->address != NULL ? s->address : "-");
	stream_free_all(s);
	if (s->job != NULL) {
		s->dead = true; /* freed when the job comes back */
		return;
	}
	session_free(s);
}

static void
session_timeout(struct ev_timer *t, void *arg)
{
	struct imap_session *s = arg;

	(void)t;
	imap_reply(s, "* BYE Autologout; idle for too long");
	conn_close(s->c, "timeout");
}

static void
session_shutdown(struct daemon_session *ds)
{
	struct imap_session *s = (struct imap_session *)ds;

	s->stopping = true;
	if (s->job == NULL && s->stream == NULL) {
		imap_reply(s, "* BYE Server shutting down");
		conn_close(s->c, "shutdown");
	}
}

void
imap_session_start(struct daemon *d, struct conn *c)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->c = c;
	s->conf = d->conf;
	conf_ref(s->conf);
	s->parser = imap_parser_new(
	    MIN(s->conf->imap_max_line, IMAP_PREAUTH_MAX_LINE),
	    MIN(s->conf->imap_max_literal, IMAP_PREAUTH_MAX_LITERAL));
	line_reader_init(&s->lr,
	                 MIN(s->conf->imap_max_line, IMAP_PREAUTH_MAX_LINE));
	s->state = IMAP_STATE_NOAUTH;
	s->timer = ev_timer_new(conn_ev(c), session_timeout, s);
	ev_timer_arm(s->timer, s->conf->imap_idle_timeout_ms);
	daemon_session_add(d, &s->ds, conn_peer_ip(c), session_shutdown);
	conn_set_handlers(c, session_read, session_drain, session_closed, s);
	log_info("%s imap connected peer=%s port=%u tls=%s", conn_id_str(c),
	         conn_peer_ip(c), conn_local_port(c),
	         conn_is_tls(c) ? "yes" : "no");
	/* the capabilities in the greeting (RFC 3501 7.1; mutt and mbsync
	 * use them): conn_is_tls is true from the start of an implicit-TLS
	 * handshake, so an imaps greeting has AUTH=PLAIN and no STARTTLS */
	struct buf line;
	buf_init(&line, 1024);
	if (buf_append_str(&line, "* OK [") == 0) {
		imap_capability_write(s, &line);
		if (buf_append_str(&line, "] outpost ready") == 0) {
			imap_reply(s, "%s", buf_cstr(&line));
			buf_clear(&line);
			return;
		}
	}
	buf_clear(&line);
	imap_reply(s, "* OK outpost IMAP4rev1 IMAP4rev2 ready");
}

void
imap_refuse(struct conn *c, const char *reason)
{
	char line[256];

	if (snprintf_chk(line, sizeof(line), "* BYE %s\r\n", reason) == 0)
		(void)conn_write(c, line, strlen(line));
	conn_close(c, reason);
}

/* --- sequence sets against a snapshot --- */

int
imap_set_resolve(const struct imap_job *j, const struct imap_seqset *set,
                 bool uid, size_t **idx_r, size_t *count_r)
{
	size_t *idx = NULL, count = 0;

	*idx_r = NULL;
	*count_r = 0;
	if (uid) {
		uint32_t star =
		    j->uid_count > 0 ? j->uids[j->uid_count - 1] : 0;
		for (size_t i = 0; i < j->uid_count; i++) {
			if (!imap_seqset_contains(set, j->uids[i], star))
				continue;
			if (idx == NULL)
				idx = xreallocarray(NULL, j->uid_count,
				                    sizeof(*idx));
			idx[count++] = i;
		}
	} else {
		uint32_t star = (uint32_t)j->uid_count;
		if (imap_seqset_max(set, star) > j->uid_count || star == 0)
			return -1;
		for (size_t i = 0; i < j->uid_count; i++) {
			if (!imap_seqset_contains(set, (uint32_t)(i + 1), star))
				continue;
			if (idx == NULL)
				idx = xreallocarray(NULL, j->uid_count,
				                    sizeof(*idx));
			idx[count++] = i;
		}
	}
	*idx_r = idx;
	*count_r = count;
	return 0;
}

int
imap_set_arg(struct imap_session *s, const char *tag, const struct imap_arg *a,
             struct imap_seqset *set_r)
{
	const char *str = imap_arg_atom(a);

	if (str == NULL || imap_seqset_parse(str, set_r) < 0) {
		imap_reply_bad(s, tag, "Invalid sequence set");
		return -1;
	}
	return 0;
}
