/* SPDX-License-Identifier: MIT */
/*
 * pop3_session.c - one POP3 session (RFC 1939, CAPA RFC 2449, STLS RFC 2595,
 * AUTH RFC 5034) on the event loop thread.
 *
 * States: AUTHORIZATION -> TRANSACTION -> UPDATE (only after QUIT). The
 * maildrop is a snapshot of the user's INBOX taken at login; deletions are
 * marks until QUIT, so a dropped connection deletes nothing. The maildrop
 * lock (RFC 1939 section 8) is held in this process, per user, against other
 * POP3 sessions only: IMAP sessions of the same user keep reading.
 *
 * Store work (password check, listing, expunge) runs through store_call;
 * while a job is in flight the session stops reading so pipelined commands
 * (RFC 2449 PIPELINING) are answered in order. Message bodies stream from
 * the blob file in chunks as the output drains, dot-stuffed on the way.
 * Input is untrusted; passwords are never logged.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/buf.h"
#include "../core/conf.h"
#include "../core/conn.h"
#include "../core/daemon.h"
#include "../core/ev.h"
#include "../core/line.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/passwd.h"
#include "../mime/mime.h"
#include "../store/store.h"
#include "pop3.h"
#include "pop3_cmd.h"

#define POP3_CHUNK (32 * 1024)
#define POP3_MAX_AUTH_LEN 2048

enum pop3_state {
	POP3_STATE_AUTH,
	POP3_STATE_TRANSACTION,
	POP3_STATE_UPDATE,
};

struct pop3_msg {
	uint32_t uid;
	uint64_t size;
	int64_t blob_id;
	bool deleted;
};

struct pop3_session;

/* struct pop3_job - one store_call in flight; outlives a closed session */
struct pop3_job {
	struct pop3_session *s;
	int kind;
	/* login */
	char *address;
	char *password;
	/* results */
	int result; /* 1 ok, 0 refused, -1 error */
	int64_t user_id;
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct store_message *msgs;
	size_t count;
	/* retr */
	int64_t blob_id;
	struct store_blob blob;
	/* expunge */
	uint32_t *uids;
	size_t uid_count;
};

enum { JOB_LOGIN, JOB_BLOB, JOB_EXPUNGE };

struct pop3_stream {
	bool active;
	int fd;
	uint64_t off, end;
	bool at_bol; /* next byte starts a line */
	bool prev_cr;
	bool in_body; /* past the header's blank line */
	bool limit_lines;
	uint64_t lines_left; /* TOP: body lines still to send */
};

struct pop3_session {
	struct daemon_session ds;
	struct daemon *d;
	struct conf *conf;
	struct conn *c;
	struct line_reader lr;
	struct ev_timer *idle;
	enum pop3_state state;
	char *user;    /* from USER, until PASS */
	char *address; /* after login */
	int64_t user_id;
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	size_t count;
	bool locked;
	bool sasl_wait; /* AUTH PLAIN waiting for the client response */
	unsigned errors;
	struct pop3_job *job; /* in flight */
	bool dead;            /* connection gone while a job was in flight */
	bool stopping;        /* daemon shutdown: close after this reply */
	struct pop3_stream st;
	/* LIST/UIDL without argument: lines go out as the output drains */
	bool list_active;
	bool list_uidl;
	size_t list_pos;
	uint32_t top_lines;
	bool is_top;
};

/* --- maildrop locks: user ids, loop thread only --- */

static int64_t *locks;
static size_t lock_count, lock_cap;

static bool
lock_take(int64_t user_id)
{
	for (size_t i = 0; i < lock_count; i++)
		if (locks[i] == user_id)
			return false;
	if (lock_count == lock_cap) {
		lock_cap = lock_cap ? lock_cap * 2 : 16;
		locks = xreallocarray(locks, lock_cap, sizeof(*locks));
	}
	locks[lock_count++] = user_id;
	return true;
}

static void
lock_release(int64_t user_id)
{
	for (size_t i = 0; i < lock_count; i++) {
		if (locks[i] == user_id) {
			locks[i] = locks[--lock_count];
			return;
		}
	}
}

/* --- helpers --- */

static void session_read(struct conn *c, void *arg);
static void session_process(struct pop3_session *s);

static void reply(struct pop3_session *s, const char *fmt, ...)
    ATTR_FORMAT(2, 3);

static void
reply(struct pop3_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)(sizeof(line) - 3); /* UNSAFE: truncated line, fits */
	line[n++] = '\r';
	line[n++] = '\n';
	(void)conn_write(s->c, line, (size_t)n);
}

static bool
session_secure(const struct pop3_session *s)
{
	return conn_is_tls(s->c) || s->conf->pop3_allow_plaintext_auth;
}

static void
session_error(struct pop3_session *s)
{
	if (++s->errors >= s->conf->max_errors) {
		reply(s, "-ERR Too many errors, closing");
		conn_close(s->c, "too many errors");
	}
}

static void
session_free(struct pop3_session *s)
{
	if (s->locked)
		lock_release(s->user_id);
	daemon_session_remove(s->d, &s->ds);
	ev_timer_del(&s->idle);
	if (s->user != NULL)
		explicit_bzero(s->user, strlen(s->user));
	free(s->user);
	free(s->address);
	free(s->msgs);
	conf_unref(&s->conf);
	free(s);
}

static void
job_free(struct pop3_job *j)
{
	if (j->password != NULL) {
		explicit_bzero(j->password, strlen(j->password));
		free(j->password);
	}
	free(j->address);
	store_message_list_free(&j->msgs, j->count);
	free(j->uids);
	free(j);
}

/* job_finish - detach the job; false when the session is gone (then the
 * session and the job are freed) */
static bool
job_finish(struct pop3_job *j)
{
	struct pop3_session *s = j->s;

	s->job = NULL;
	if (s->dead) {
		session_free(s);
		job_free(j);
		return false;
	}
	return true;
}

/* session_busy - a multi-line reply is still being written */
static bool
session_busy(const struct pop3_session *s)
{
	return s->st.active || s->list_active;
}

static void
session_resume(struct pop3_session *s)
{
	if (s->stopping && !session_busy(s)) {
		reply(s, "-ERR [SYS/TEMP] Server shutting down");
		conn_close(s->c, "shutdown");
		return;
	}
	conn_resume_read(s->c);
}

/* --- login --- */

static void
login_work(struct store_db *db, void *arg)
{
	struct pop3_job *j = arg;
	struct store_user u;
	struct store_mailbox mb;
	int rc;

	j->result = -1;
	rc = store_user_lookup(db, j->address, &u);
	if (rc < 0)
		return;
	if (rc == 0 || !passwd_verify(j->password, u.pwhash)) {
		if (rc == 1)
			store_user_clear(&u);
		j->result = 0;
		return;
	}
	j->user_id = u.id;
	free(j->address);
	j->address = xstrdup(u.address);
	store_user_clear(&u);
	rc = store_mailbox_get(db, j->user_id, "INBOX", &mb);
	if (rc <= 0)
		return;
	j->mailbox_id = mb.id;
	j->uidvalidity = mb.uidvalidity;
	store_mailbox_clear(&mb);
	if (store_message_list(db, j->mailbox_id, 0, &j->msgs, &j->count) < 0)
		return;
	j->result = 1;
}

static void
login_done(void *arg)
{
	struct pop3_job *j = arg;
	struct pop3_session *s = j->s;

	if (!job_finish(j))
		return;
	if (j->result < 0) {
		reply(s, "-ERR [SYS/TEMP] Temporary failure, try again later");
	} else if (j->result == 0) {
		char esc[300];

		/* the name is peer text (SASL may carry CR, LF, spaces) */
		log_info("%s pop3 auth-failed user=\"%s\"", conn_id_str(s->c),
		         log_escape(esc, sizeof(esc), j->address,
		                    strlen(j->address)));
		reply(s, "-ERR [AUTH] Authentication failed");
		session_error(s);
	} else if (!lock_take(j->user_id)) {
		reply(s, "-ERR [IN-USE] Mailbox is locked by another POP3 "
		         "session");
	} else {
		s->locked = true;
		s->state = POP3_STATE_TRANSACTION;
		s->user_id = j->user_id;
		s->mailbox_id = j->mailbox_id;
		s->uidvalidity = j->uidvalidity;
		s->address = j->address;
		j->address = NULL;
		s->count = j->count;
		s->msgs = xcalloc(j->count ? j->count : 1, sizeof(*s->msgs));
		for (size_t i = 0; i < j->count; i++) {
			s->msgs[i].uid = j->msgs[i].uid;
			s->msgs[i].size = j->msgs[i].size;
			s->msgs[i].blob_id = j->msgs[i].blob_id;
		}
		char esc[300];

		log_info("%s pop3 login user=\"%s\" messages=%zu",
		         conn_id_str(s->c),
		         log_escape(esc, sizeof(esc), s->address,
		                    strlen(s->address)),
		         s->count);
		reply(s, "+OK Logged in, %zu messages", s->count);
	}
	job_free(j);
	session_resume(s);
}

static void
start_login(struct pop3_session *s, const char *address, const char *pw)
{
	struct pop3_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->kind = JOB_LOGIN;
	j->address = xstrdup(address);
	j->password = xstrdup(pw);
	s->job = j;
	conn_pause_read(s->c);
	store_call(s->d->store, login_work, login_done, j);
}

/* --- streaming RETR / TOP --- */

static void
stream_end(struct pop3_session *s)
{
	struct pop3_stream *st = &s->st;
	static const char crlf[] = "\r\n";

	if (!st->at_bol)
		(void)conn_write(s->c, crlf, 2);
	(void)conn_write(s->c, ".\r\n", 3);
	st->active = false;
	session_resume(s);
}

/* stream_chunk - dot-stuff one chunk of the blob into the output */
static void
stream_chunk(struct pop3_session *s)
{
	struct pop3_stream *st = &s->st;
	uint8_t in[POP3_CHUNK];
	uint8_t out[POP3_CHUNK * 2 + 4]; /* UNSAFE: each byte grows to <= 2 */
	size_t want, o = 0;
	ssize_t n;

	want = MIN((uint64_t)sizeof(in), st->end - st->off);
	if (want == 0) {
		stream_end(s);
		return;
	}
	do {
		n = pread(st->fd, in, want, (off_t)st->off);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		log_warn("%s pop3 blob read failed", conn_id_str(s->c));
		conn_abort(s->c, "blob read error");
		st->active = false;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t ch = in[i];
		if (st->at_bol && ch == '.')
			out[o++] = '.';
		if (ch == '\n' && !st->prev_cr)
			out[o++] = '\r';
		out[o++] = ch;
		st->prev_cr = ch == '\r';
		if (ch == '\n') {
			bool blank = st->at_bol;
			st->at_bol = true;
			if (st->in_body && st->limit_lines &&
			    --st->lines_left == 0) {
				st->off = st->end;
				goto flush;
			}
			if (!st->in_body && blank) {
				st->in_body = true;
				if (st->limit_lines && st->lines_left == 0) {
					st->off = st->end;
					goto flush;
				}
			}
		} else if (ch != '\r') {
			st->at_bol = false;
		}
	}
	st->off += (uint64_t)n;
flush:
	if (conn_write(s->c, out, o) < 0)
		return;
}

/* list_chunk - the next lines of a LIST/UIDL listing */
static void
list_chunk(struct pop3_session *s)
{
	char out[POP3_CHUNK];
	size_t o = 0;
	int n;

	while (s->list_pos < s->count && o + 64 < sizeof(out)) {
		const struct pop3_msg *m = &s->msgs[s->list_pos++];
		if (m->deleted)
			continue;
		if (s->list_uidl)
			n = snprintf(out + o, sizeof(out) - o,
			             "%zu %08x%08x\r\n", s->list_pos,
			             s->uidvalidity, m->uid);
		else
			n = snprintf(out + o, sizeof(out) - o, "%zu %llu\r\n",
			             s->list_pos, (unsigned long long)m->size);
		/* UNSAFE: a line is at most 20 + 1 + 20 + 2 bytes < 64 */
		assert(n > 0 && (size_t)n < sizeof(out) - o);
		o += (size_t)n;
	}
	if (s->list_pos == s->count) {
		memcpy(out + o, ".\r\n", 3); /* UNSAFE: 64 bytes were free */
		o += 3;
		s->list_active = false;
	}
	if (conn_write(s->c, out, o) < 0)
		return;
	if (!s->list_active)
		session_resume(s);
}

static void
session_drain(struct conn *c, void *arg)
{
	struct pop3_session *s = arg;

	(void)c;
	if (session_busy(s))
		ev_timer_arm(s->idle, s->conf->pop3_idle_timeout_ms);
	while (session_busy(s) && conn_out_pending(s->c) < POP3_CHUNK &&
	       !conn_is_closing(s->c)) {
		if (s->st.active)
			stream_chunk(s);
		else
			list_chunk(s);
	}
}

static void
blob_work(struct store_db *db, void *arg)
{
	struct pop3_job *j = arg;

	j->result = store_blob_get(db, j->blob_id, &j->blob) == 0 ? 1 : -1;
}

static void
blob_done(void *arg)
{
	struct pop3_job *j = arg;
	struct pop3_session *s = j->s;

	if (!job_finish(j))
		return;
	if (j->result < 0) {
		reply(s, "-ERR [SYS/TEMP] Cannot read message");
		job_free(j);
		session_resume(s);
		return;
	}
	memset(&s->st, 0, sizeof(s->st));
	s->st.active = true;
	s->st.fd = j->blob.fd;
	s->st.off = j->blob.off;
	s->st.end = j->blob.off + j->blob.size;
	s->st.at_bol = true;
	s->st.limit_lines = s->is_top;
	s->st.lines_left = s->top_lines;
	job_free(j);
	if (s->is_top)
		reply(s, "+OK");
	else
		reply(s, "+OK %llu octets",
		      (unsigned long long)(s->st.end - s->st.off));
	session_drain(s->c, s);
}

static void
start_retr(struct pop3_session *s, struct pop3_msg *m, bool top, uint32_t lines)
{
	struct pop3_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->kind = JOB_BLOB;
	j->blob_id = m->blob_id;
	s->is_top = top;
	s->top_lines = lines;
	s->job = j;
	conn_pause_read(s->c);
	store_call(s->d->store, blob_work, blob_done, j);
}

/* --- UPDATE --- */

static void
expunge_work(struct store_db *db, void *arg)
{
	struct pop3_job *j = arg;

	j->result =
	    store_message_expunge(db, j->mailbox_id, j->uids, j->uid_count) == 0
	        ? 1
	        : -1;
	if (j->result == 1)
		store_notify(db, j->mailbox_id);
}

static void
expunge_done(void *arg)
{
	struct pop3_job *j = arg;
	struct pop3_session *s = j->s;

	if (!job_finish(j))
		return;
	if (j->result == 1)
		reply(s, "+OK Logging out, %zu messages deleted", j->uid_count);
	else
		reply(s, "-ERR [SYS/TEMP] Some deleted messages were not "
		         "removed");
	job_free(j);
	conn_close(s->c, "quit");
}

static void
cmd_quit(struct pop3_session *s)
{
	struct pop3_job *j;
	size_t n = 0;

	if (s->state != POP3_STATE_TRANSACTION) {
		reply(s, "+OK Logging out");
		conn_close(s->c, "quit");
		return;
	}
	s->state = POP3_STATE_UPDATE;
	for (size_t i = 0; i < s->count; i++)
		n += s->msgs[i].deleted;
	if (n == 0) {
		reply(s, "+OK Logging out");
		conn_close(s->c, "quit");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->kind = JOB_EXPUNGE;
	j->mailbox_id = s->mailbox_id;
	j->uids = xcalloc(n, sizeof(*j->uids));
	for (size_t i = 0; i < s->count; i++)
		if (s->msgs[i].deleted)
			j->uids[j->uid_count++] = s->msgs[i].uid;
	s->job = j;
	conn_pause_read(s->c);
	store_call(s->d->store, expunge_work, expunge_done, j);
}

/* --- commands --- */

static void
cmd_capa(struct pop3_session *s)
{
	reply(s, "+OK Capability list follows");
	reply(s, "TOP");
	reply(s, "UIDL");
	reply(s, "RESP-CODES");
	reply(s, "PIPELINING");
	reply(s, "AUTH-RESP-CODE");
	reply(s, "EXPIRE NEVER");
	if (s->state == POP3_STATE_AUTH) {
		if (session_secure(s)) {
			reply(s, "USER");
			reply(s, "SASL PLAIN");
		}
		if (s->d->tls != NULL && !conn_is_tls(s->c))
			reply(s, "STLS");
	}
	reply(s, "IMPLEMENTATION outpost");
	reply(s, ".");
}

/* sasl_plain - decode and check an AUTH PLAIN response */
static void
sasl_plain(struct pop3_session *s, struct span resp)
{
	struct buf dec;
	const uint8_t *p;
	size_t len, i, z1, z2;
	char *authc = NULL, *pw = NULL;

	if (resp.len == 1 && resp.p[0] == '*') {
		reply(s, "-ERR Authentication cancelled");
		return;
	}
	buf_init(&dec, POP3_MAX_AUTH_LEN);
	if (resp.len > POP3_MAX_AUTH_LEN * 2 ||
	    mime_base64_decode((const uint8_t *)resp.p, resp.len, &dec) < 0)
		goto bad;
	p = buf_rptr(&dec);
	len = buf_avail(&dec);
	/* authzid NUL authcid NUL passwd (RFC 4616) */
	for (i = 0; i < len && p[i] != 0; i++)
		;
	if (i == len)
		goto bad;
	z1 = i;
	for (i = z1 + 1; i < len && p[i] != 0; i++)
		;
	if (i == len)
		goto bad;
	z2 = i;
	authc = xstrndup((const char *)p + z1 + 1, z2 - z1 - 1);
	pw = xstrndup((const char *)p + z2 + 1, len - z2 - 1);
	if (z1 > 0 && (z1 != strlen(authc) || memcmp(p, authc, z1) != 0)) {
		reply(s, "-ERR [AUTH] Authorization identity not permitted");
		session_error(s);
		goto out;
	}
	if (authc[0] == '\0' || strlen(pw) != len - z2 - 1)
		goto bad;
	start_login(s, authc, pw);
	goto out;
bad:
	reply(s, "-ERR [AUTH] Invalid SASL PLAIN response");
	session_error(s);
out:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(authc);
	if (dec.data != NULL)
		explicit_bzero(dec.data, dec.cap);
	buf_clear(&dec);
}

static void
cmd_auth(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (cmd->arg_count == 0) {
		reply(s, "+OK");
		if (session_secure(s))
			reply(s, "PLAIN");
		reply(s, ".");
		return;
	}
	if (!span_eq_ci(cmd->args[0], "PLAIN") || cmd->arg_count > 2) {
		reply(s, "-ERR Unsupported authentication mechanism");
		session_error(s);
		return;
	}
	if (!session_secure(s)) {
		reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
		         "non-secure connection, use STLS");
		session_error(s);
		return;
	}
	if (cmd->arg_count == 2) {
		/* RFC 5034: "=" is an empty initial response */
		if (cmd->args[1].len == 1 && cmd->args[1].p[0] == '=') {
			reply(s, "-ERR [AUTH] Invalid SASL PLAIN response");
			session_error(s);
			return;
		}
		sasl_plain(s, cmd->args[1]);
		return;
	}
	s->sasl_wait = true;
	reply(s, "+ ");
}

static void
cmd_user_pass(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (!session_secure(s)) {
		reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
		         "non-secure connection, use STLS");
		session_error(s);
		return;
	}
	if (cmd->verb == POP3_USER) {
		if (cmd->arg_count != 1 || cmd->args[0].len > 255) {
			reply(s, "-ERR Usage: USER name");
			session_error(s);
			return;
		}
		free(s->user);
		s->user = span_dup(cmd->args[0]);
		reply(s, "+OK");
		return;
	}
	if (s->user == NULL) {
		reply(s, "-ERR USER first");
		session_error(s);
		return;
	}
	char *pw = span_dup(cmd->rest);
	start_login(s, s->user, pw);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	free(s->user);
	s->user = NULL;
}

static uint64_t
maildrop_octets(const struct pop3_session *s, size_t *count_r)
{
	uint64_t total = 0;
	size_t n = 0;

	for (size_t i = 0; i < s->count; i++) {
		if (s->msgs[i].deleted)
			continue;
		total += s->msgs[i].size;
		n++;
	}
	*count_r = n;
	return total;
}

/* msg_arg - the live message an argument names, or NULL after replying */
static struct pop3_msg *
msg_arg(struct pop3_session *s, struct span arg, uint32_t *n_r)
{
	uint32_t n;

	if (pop3_msgno(arg, (uint32_t)MIN(s->count, UINT32_MAX), &n) < 0) {
		reply(s, "-ERR No such message");
		session_error(s);
		return NULL;
	}
	if (s->msgs[n - 1].deleted) {
		reply(s, "-ERR Message %u already deleted", n);
		return NULL;
	}
	*n_r = n;
	return &s->msgs[n - 1];
}

static void
cmd_list_uidl(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	bool uidl = cmd->verb == POP3_UIDL;
	struct pop3_msg *m;
	uint32_t n;

	if (cmd->arg_count > 1) {
		reply(s, "-ERR Too many arguments");
		session_error(s);
		return;
	}
	if (cmd->arg_count == 1) {
		if ((m = msg_arg(s, cmd->args[0], &n)) == NULL)
			return;
		if (uidl)
			reply(s, "+OK %u %08x%08x", n, s->uidvalidity, m->uid);
		else
			reply(s, "+OK %u %llu", n, (unsigned long long)m->size);
		return;
	}
	if (uidl) {
		reply(s, "+OK");
	} else {
		size_t count;
		uint64_t total = maildrop_octets(s, &count);
		reply(s, "+OK %zu messages (%llu octets)", count,
		      (unsigned long long)total);
	}
	s->list_active = true;
	s->list_uidl = uidl;
	s->list_pos = 0;
	session_drain(s->c, s);
}

static void
cmd_transaction(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m;
	uint32_t n, lines;
	size_t count;
	uint64_t total;

	switch (cmd->verb) {
	case POP3_STAT:
		total = maildrop_octets(s, &count);
		reply(s, "+OK %zu %llu", count, (unsigned long long)total);
		break;
	case POP3_LIST:
	case POP3_UIDL:
		cmd_list_uidl(s, cmd);
		break;
	case POP3_RETR:
		if (cmd->arg_count != 1) {
			reply(s, "-ERR Usage: RETR msg");
			session_error(s);
		} else if ((m = msg_arg(s, cmd->args[0], &n)) != NULL) {
			start_retr(s, m, false, 0);
		}
		break;
	case POP3_TOP: {
		struct span cur;
		if (cmd->arg_count != 2) {
			reply(s, "-ERR Usage: TOP msg lines");
			session_error(s);
			break;
		}
		cur = cmd->args[1];
		if (span_u32(&cur, &lines, UINT32_MAX) < 0 || cur.len != 0) {
			reply(s, "-ERR Invalid line count");
			session_error(s);
			break;
		}
		if ((m = msg_arg(s, cmd->args[0], &n)) != NULL)
			start_retr(s, m, true, lines);
		break;
	}
	case POP3_DELE:
		if (cmd->arg_count != 1) {
			reply(s, "-ERR Usage: DELE msg");
			session_error(s);
		} else if ((m = msg_arg(s, cmd->args[0], &n)) != NULL) {
			m->deleted = true;
			reply(s, "+OK Message %u deleted", n);
		}
		break;
	case POP3_RSET:
		for (size_t i = 0; i < s->count; i++)
			s->msgs[i].deleted = false;
		total = maildrop_octets(s, &count);
		reply(s, "+OK %zu messages (%llu octets)", count,
		      (unsigned long long)total);
		break;
	case POP3_NOOP:
		reply(s, "+OK");
		break;
	default:
		reply(s, "-ERR Command not valid in this state");
		session_error(s);
		break;
	}
}

static void
cmd_authorization(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	switch (cmd->verb) {
	case POP3_USER:
	case POP3_PASS:
		cmd_user_pass(s, cmd);
		break;
	case POP3_AUTH:
		cmd_auth(s, cmd);
		break;
	case POP3_APOP:
		/* APOP needs a shared plaintext secret per user; outpost keeps
		 * only password hashes, so it is not offered. */
		reply(s, "-ERR [AUTH] APOP is not enabled");
		session_error(s);
		break;
	case POP3_STLS:
		if (s->d->tls == NULL || conn_is_tls(s->c)) {
			reply(s, "-ERR STLS not available");
			session_error(s);
			break;
		}
		reply(s, "+OK Begin TLS negotiation");
		/* RFC 2595 4: forget what was said in plaintext */
		free(s->user);
		s->user = NULL;
		s->sasl_wait = false;
		line_reader_init(&s->lr, s->conf->pop3_max_line);
		if (conn_starttls(s->c, s->d->tls) < 0)
			conn_abort(s->c, "starttls failed");
		break;
	case POP3_NOOP:
		reply(s, "-ERR Command not valid in this state");
		session_error(s);
		break;
	default:
		reply(s, "-ERR Command not valid in this state");
		session_error(s);
		break;
	}
}

static void
session_command(struct pop3_session *s, struct span line)
{
	struct pop3_cmd cmd;

	if (s->sasl_wait) {
		s->sasl_wait = false;
		sasl_plain(s, line);
		return;
	}
	if (pop3_cmd_parse(line, &cmd) < 0) {
		reply(s, "-ERR Invalid command");
		session_error(s);
		return;
	}
	if (cmd.verb != POP3_PASS && cmd.verb != POP3_AUTH &&
	    log_enabled(LOG_LEVEL_DEBUG)) {
		char esc[128];
		log_debug("%s pop3 command line=\"%s\"", conn_id_str(s->c),
		          log_escape(esc, sizeof(esc), line.p, line.len));
	}
	switch (cmd.verb) {
	case POP3_QUIT:
		cmd_quit(s);
		return;
	case POP3_CAPA:
		cmd_capa(s);
		return;
	case POP3_UNKNOWN:
		reply(s, "-ERR Unknown command");
		session_error(s);
		return;
	default:
		break;
	}
	if (s->state == POP3_STATE_AUTH)
		cmd_authorization(s, &cmd);
	else
		cmd_transaction(s, &cmd);
}

static void
session_process(struct pop3_session *s)
{
	struct span line;
	unsigned flags;
	int rc;

	while (s->job == NULL && !session_busy(s) && !conn_is_closing(s->c)) {
		rc = line_read(&s->lr, conn_in(s->c), &line, &flags);
		if (rc == LINE_MORE)
			break;
		ev_timer_arm(s->idle, s->conf->pop3_idle_timeout_ms);
		if (rc == LINE_TOOLONG) {
			/* an over-long SASL response cancels the exchange */
			s->sasl_wait = false;
			reply(s, "-ERR Line too long");
			session_error(s);
			continue;
		}
		if (flags & (LINE_F_NUL | LINE_F_BARE_CR)) {
			s->sasl_wait = false;
			reply(s, "-ERR Invalid characters in command");
			session_error(s);
			continue;
		}
		session_command(s, line);
	}
	if (s->job != NULL || session_busy(s))
		conn_pause_read(s->c);
}

static void
session_read(struct conn *c, void *arg)
{
	(void)c;
	session_process(arg);
}

static void
session_closed(struct conn *c, const char *reason, void *arg)
{
	struct pop3_session *s = arg;

	char esc[300];

	log_info("%s pop3 disconnected reason=\"%s\" user=\"%s\"",
	         conn_id_str(c), reason ? reason : "-",
	         s->address ? log_escape(esc, sizeof(esc), s->address,
	                                 strlen(s->address))
	                    : "-");
	s->st.active = false;
	s->list_active = false;
	/* the conn is freed after this returns: nothing may reach it */
	ev_timer_disarm(s->idle);
	if (s->job != NULL) {
		s->dead = true; /* freed when the job comes back */
		return;
	}
	session_free(s);
}

static void
session_timeout(struct ev_timer *t, void *arg)
{
	struct pop3_session *s = arg;

	(void)t;
	if (session_busy(s) || s->job != NULL) {
		/* a client that stopped reading a multi-line reply: no reply
		 * can be put in the middle of it */
		conn_abort(s->c, "timeout");
		return;
	}
	reply(s, "-ERR Disconnected for inactivity");
	conn_close(s->c, "timeout");
}

static void
session_shutdown(struct daemon_session *ds)
{
	struct pop3_session *s = (struct pop3_session *)ds;

	s->stopping = true;
	if (s->job == NULL && !session_busy(s)) {
		reply(s, "-ERR [SYS/TEMP] Server shutting down");
		conn_close(s->c, "shutdown");
	}
}

void
pop3_session_start(struct daemon *d, struct conn *c)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->c = c;
	s->conf = d->conf;
	conf_ref(s->conf);
	line_reader_init(&s->lr, s->conf->pop3_max_line);
	s->state = POP3_STATE_AUTH;
	s->idle = ev_timer_new(conn_ev(c), session_timeout, s);
	ev_timer_arm(s->idle, s->conf->pop3_idle_timeout_ms);
	daemon_session_add(d, &s->ds, conn_peer_ip(c), session_shutdown);
	conn_set_handlers(c, session_read, session_drain, session_closed, s);
	log_info("%s pop3 connected peer=%s port=%u tls=%s", conn_id_str(c),
	         conn_peer_ip(c), conn_local_port(c),
	         conn_is_tls(c) ? "yes" : "no");
	reply(s, "+OK outpost POP3 ready");
}

void
pop3_refuse(struct conn *c, const char *reason)
{
	char line[256];

	if (snprintf_chk(line, sizeof(line), "-ERR [SYS/TEMP] %s\r\n",
	                 reason) == 0)
		(void)conn_write(c, line, strlen(line));
	conn_close(c, reason);
}
