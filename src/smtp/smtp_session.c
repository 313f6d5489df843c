/* SPDX-License-Identifier: MIT */
/*
 * smtp_session.c - one SMTP server session (RFC 5321) on the event loop
 * thread: greeting, the command state machine, recipient checks and message
 * delivery through the store, STARTTLS (RFC 3207), PIPELINING (RFC 2920),
 * CHUNKING (RFC 3030), SIZE, 8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES.
 *
 * Input is untrusted peer bytes. Command lines come from the bounded line
 * reader and are parsed by smtp_cmd.c; DATA goes through the resumable
 * reader in smtp_data.c into a spool; BDAT chunks are copied verbatim.
 * Replies are gathered in s->out and written together when the buffered
 * input is used up or the session must wait.
 *
 * Waiting: a recipient lookup (store_call on a worker, unless the store's
 * short-lived cache knows the recipient) or a delivery (store_deliver,
 * group commit) pauses reading, so pipelined commands are
 * answered strictly in order; the done callback answers and resumes. A
 * session whose connection closed while work was in flight is freed by
 * that work's done callback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/daemon.h"
#include "core/ev.h"
#include "core/line.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/tls.h"
#include "store/spool.h"
#include "store/store.h"
#include "smtp.h"
#include "smtp_addr.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "smtp_limits.h"
#include "smtp_trace.h"

enum phase {
	PHASE_CMD,  /* reading command lines */
	PHASE_DATA, /* inside DATA, up to CRLF.CRLF */
	PHASE_BDAT, /* reading a BDAT chunk's bytes */
	PHASE_WAIT, /* a lookup or delivery is in flight; reading paused */
};

enum lookup_kind {
	LOOKUP_RCPT,
	LOOKUP_VRFY,
};

struct smtp_session;

/* struct lookup - one recipient check on a store worker */
struct lookup {
	struct smtp_session *s;
	enum lookup_kind kind;
	char address[SMTP_MAX_PATH + 1]; /* as given, for replies and "for" */
	char domain[SMTP_MAX_DOMAIN + 1];
	char local[SMTP_MAX_LOCAL + 1];
	bool has_domain; /* postmaster: a domain was given */
	bool cacheable;  /* a found user may go into the store's cache */
	char key[SMTP_MAX_LOCAL + SMTP_MAX_DOMAIN + 2]; /* local@domain */
	/* results, written by the worker */
	int domain_ok; /* 1 local, 0 not, -1 error */
	int user_ok;   /* 1 found, 0 not, -1 error */
	int64_t user_id;
};

struct rcpt {
	char *address; /* forward-path as given */
	int64_t user_id;
};

struct smtp_session {
	struct daemon_session ds; /* first: the shutdown callback casts */
	struct daemon *d;
	struct conf *conf;
	struct tls_ctx *tls;
	struct conn *c;
	struct ev_timer *timer;
	enum smtp_service svc;
	const char *id; /* conn_id_str, copied */
	char idbuf[24];
	char ip[64];

	enum phase phase;
	unsigned state; /* SMTP_STATE_* */
	struct line_reader lr;
	struct buf out; /* replies not yet written */
	unsigned errors;
	unsigned junk; /* NOOP/RSET/VRFY/EXPN/HELP since the last message */
	bool esmtp;
	bool closed;      /* on_close ran: s->c is gone */
	bool shutting;    /* daemon stop requested */
	bool in_flight;   /* a lookup or delivery is running */
	bool tls_started; /* STARTTLS accepted in this read pass */
	char helo[SMTP_MAX_HELO + 1];

	/* transaction */
	char *sender; /* NULL: no MAIL yet; "" for <> */
	bool smtputf8;
	enum smtp_body body;
	struct rcpt *rcpts;
	size_t rcpt_count;
	struct spool *spool;
	struct smtp_data data;
	uint64_t bdat_left;  /* bytes of the current chunk still to read */
	uint64_t bdat_total; /* bytes received in this BDAT sequence */
	bool bdat_last;
	bool bdat_discard; /* chunk is being skipped (error reply at end) */
	const char *bdat_reply;
	unsigned bdat_errors;
	char msgid[20];
	uint64_t start_ms; /* session start, for the disconnect log line */

	/* delivery in flight */
	struct store_delivery dl;
	char *prefix;
	int64_t *user_ids;
	uint64_t msg_size;
};

static void session_on_read(struct conn *c, void *arg);
static void session_process(struct smtp_session *s);

/* Replies */

static void reply(struct smtp_session *s, const char *fmt, ...)
    ATTR_FORMAT(2, 3);

/* reply - queue one reply line (CRLF added) */
static void
reply(struct smtp_session *s, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	size_t at = buf_avail(&s->out);
	ret = buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	if (ret == 0 && log_enabled(LOG_LEVEL_DEBUG))
		log_debug("%s smtp reply code=%.3s", s->id,
		          (const char *)buf_rptr(&s->out) + at);
	if (ret < 0 || buf_append(&s->out, "\r\n", 2) < 0) {
		/* replies are small and flushed often: only a client that
		 * never reads gets here, and conn_write would cut it off */
		buf_reset(&s->out);
	}
}

/* flush - write the queued replies as one write */
static void
flush(struct smtp_session *s)
{
	if (s->closed || buf_avail(&s->out) == 0)
		return;
	if (conn_write(s->c, buf_rptr(&s->out), buf_avail(&s->out)) < 0)
		log_debug("%s smtp output limit", s->id);
	buf_reset(&s->out);
}

/* close_session - flush what was said and close (on_close frees) */
static void
close_session(struct smtp_session *s, const char *reason)
{
	flush(s);
	if (!s->closed && !conn_is_closing(s->c))
		conn_close(s->c, reason);
}

/* count_error - one more peer error; past max_errors say 421 and close */
static void
count_error(struct smtp_session *s)
{
	if (++s->errors >= s->conf->max_errors) {
		reply(s, "421 4.7.0 %s Error: too many errors",
		      s->conf->hostname);
		log_info("%s smtp disconnect reason=too_many_errors ip=%s",
		         s->id, s->ip);
		close_session(s, "too many errors");
	}
}

/* count_junk - past SMTP_MAX_JUNK commands that move no mail, each one
 * is an error: a peer cannot hold the session open with NOOPs forever */
static void
count_junk(struct smtp_session *s)
{
	if (++s->junk > SMTP_MAX_JUNK)
		count_error(s);
}

/* error_reply - a reply that counts toward max_errors */
static void
error_reply(struct smtp_session *s, const char *text)
{
	reply(s, "%s", text);
	count_error(s);
}

static bool
is_closing(struct smtp_session *s)
{
	return s->closed || conn_is_closing(s->c);
}

/* esc - peer text made safe for a log line (log_escape) */
static const char *
esc(char *out, size_t max_out, const char *text)
{
	return log_escape(out, max_out, text, strlen(text));
}

/* Timers */

/*
 * arm_timer - how long the peer may stay silent: smtp_data_timeout inside
 * DATA/BDAT, smtp_command_timeout while waiting for any command, and no
 * more than smtp_idle_timeout outside a mail transaction (after the
 * greeting, after HELO/EHLO, between messages), where a client has nothing
 * in progress and only holds a connection slot. The idle bound only ever
 * shortens the command timeout, so a short smtp_command_timeout still
 * applies everywhere.
 */
static void
arm_timer(struct smtp_session *s)
{
	uint64_t ms;

	if (s->phase == PHASE_DATA || s->phase == PHASE_BDAT) {
		ms = s->conf->smtp_data_timeout_ms;
	} else {
		ms = s->conf->smtp_command_timeout_ms;
		if ((s->state & (SMTP_STATE_INIT | SMTP_STATE_HELO)) &&
		    s->conf->smtp_idle_timeout_ms < ms)
			ms = s->conf->smtp_idle_timeout_ms;
	}
	ev_timer_arm(s->timer, ms);
}

static void
on_timeout(struct ev_timer *t, void *arg)
{
	struct smtp_session *s = arg;

	(void)t;
	if (is_closing(s) || s->in_flight)
		return;
	log_info("%s smtp disconnect reason=timeout phase=%d ip=%s", s->id,
	         (int)s->phase, s->ip);
	reply(s, "421 4.4.2 %s Error: timeout exceeded", s->conf->hostname);
	close_session(s, "timeout");
}

/* Transaction */

static void
txn_reset(struct smtp_session *s)
{
	for (size_t i = 0; i < s->rcpt_count; i++)
		free(s->rcpts[i].address);
	xfree(&s->rcpts);
	s->rcpt_count = 0;
	xfree(&s->sender);
	s->smtputf8 = false;
	s->body = SMTP_BODY_DEFAULT;
	s->bdat_total = 0;
	s->bdat_last = false;
	s->bdat_errors = 0;
	if (s->spool != NULL)
		spool_truncate(s->spool);
	if (s->state & (SMTP_STATE_MAIL | SMTP_STATE_RCPT | SMTP_STATE_BDAT))
		s->state = SMTP_STATE_HELO;
}

/* spool_out - smtp_data output function */
static int
spool_out(void *arg, const void *data, size_t len)
{
	return spool_write(arg, data, len);
}

static int
spool_ready(struct smtp_session *s)
{
	char *dir;

	if (s->spool == NULL) {
		dir = xasprintf("%s/tmp", s->conf->data_dir);
		s->spool = spool_new(dir, SMTP_SPOOL_MEM);
		free(dir);
	}
	if (s->spool == NULL)
		return -1;
	spool_truncate(s->spool);
	return 0;
}

static void
new_msgid(struct smtp_session *s)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = conn_id(s->c) ^ ev_time_ms();
	(void)snprintf_chk(s->msgid, sizeof(s->msgid), "%016" PRIx64, r);
}

/* Waiting for the store */

static void session_free(struct smtp_session *s);

/* wait_begin - park the session: no reading until wait_end */
static void
wait_begin(struct smtp_session *s)
{
	flush(s);
	s->in_flight = true;
	s->phase = PHASE_WAIT;
	ev_timer_disarm(s->timer);
	conn_pause_read(s->c);
}

/* wait_end - the store answered; returns false when the session is gone */
static bool
wait_end(struct smtp_session *s)
{
	s->in_flight = false;
	s->phase = PHASE_CMD;
	if (s->closed) {
		session_free(s);
		return false;
	}
	return true;
}

/* resume - after an answer: goodbye on shutdown, else read on */
static void
resume(struct smtp_session *s)
{
	if (s->shutting && !is_closing(s)) {
		reply(s, "421 4.3.2 %s Service shutting down",
		      s->conf->hostname);
		close_session(s, "shutdown");
		return;
	}
	flush(s);
	if (is_closing(s))
		return;
	arm_timer(s);
	conn_resume_read(s->c);
}

/* Recipient lookups */

static void
lookup_work(struct store_db *db, void *arg)
{
	struct lookup *lk = arg;
	struct store_user u;
	char addr[SMTP_MAX_LOCAL + SMTP_MAX_DOMAIN + 2];

	lk->user_ok = 0;
	lk->domain_ok = store_domain_exists(db, lk->domain);
	if (lk->domain_ok != 1)
		return;
	if (snprintf_chk(addr, sizeof(addr), "%s@%s", lk->local, lk->domain) <
	    0)
		return;
	lk->user_ok = store_user_lookup(db, addr, &u);
	if (lk->user_ok == 0 && strcasecmp(lk->local, "postmaster") == 0)
		/* RFC 5321 4.5.1: postmaster MUST be accepted; a domain
		 * without a postmaster account gives it to its first account */
		lk->user_ok = store_user_first(db, lk->domain, &u);
	if (lk->user_ok == 1) {
		lk->user_id = u.id;
		store_user_clear(&u);
	}
}

/* lookup_postmaster_work - "<postmaster>" without a domain (RFC 5321
 * 4.5.1): postmaster@ our hostname if local, else of the first local
 * domain that has one */
static void
lookup_postmaster_work(struct store_db *db, void *arg)
{
	struct lookup *lk = arg;
	char **names = NULL;

	/* lk->domain holds our hostname (or the domain given) first */
	(void)strlcpy_chk(lk->local, "postmaster", sizeof(lk->local));
	lookup_work(db, lk);
	if (lk->user_ok == 1 || lk->domain_ok < 0 || lk->user_ok < 0 ||
	    (lk->has_domain && lk->domain_ok == 0))
		return;
	if (store_domain_list(db, &names) < 0) {
		lk->domain_ok = -1;
		return;
	}
	for (size_t i = 0; names[i] != NULL; i++) {
		if (lk->user_ok != 1 && strlcpy_chk(lk->domain, names[i],
		                                    sizeof(lk->domain)) == 0) {
			lookup_work(db, lk);
			if (lk->domain_ok < 0 || lk->user_ok < 0)
				lk->user_ok = 0;
		}
		free(names[i]);
	}
	free(names);
	lk->domain_ok = 1; /* we are the destination either way */
}

/* lookup_answer - reply to a finished recipient or VRFY check */
static void
lookup_answer(struct smtp_session *s, struct lookup *lk)
{
	char tmp[SMTP_MAX_PATH * 4 + 8];

	if (lk->kind == LOOKUP_VRFY) {
		if (lk->domain_ok < 0 || lk->user_ok < 0)
			reply(s, "451 4.3.0 <%s>: Temporary lookup failure",
			      lk->address);
		else if (lk->user_ok == 1)
			reply(s, "250 2.1.5 <%s>", lk->address);
		else
			error_reply(s, "550 5.1.1 User unknown");
		return;
	}
	if (lk->domain_ok < 0 || lk->user_ok < 0) {
		reply(s, "451 4.3.0 <%s>: Temporary lookup failure",
		      lk->address);
	} else if (lk->domain_ok == 0) {
		/* no relaying without authentication (submission AUTH) */
		log_info("%s smtp reject reason=relay rcpt=\"%s\" ip=%s", s->id,
		         esc(tmp, sizeof(tmp), lk->address), s->ip);
		reply(s, "554 5.7.1 <%s>: Relay access denied", lk->address);
		count_error(s);
	} else if (lk->user_ok == 0) {
		log_info("%s smtp reject reason=unknown_user rcpt=\"%s\" "
		         "ip=%s",
		         s->id, esc(tmp, sizeof(tmp), lk->address), s->ip);
		reply(s,
		      "550 5.1.1 <%s>: Recipient address rejected: User "
		      "unknown",
		      lk->address);
		count_error(s);
	} else {
		bool dup = false;
		for (size_t i = 0; i < s->rcpt_count; i++)
			dup |= s->rcpts[i].user_id == lk->user_id;
		if (!dup) {
			s->rcpts = xreallocarray(s->rcpts, s->rcpt_count + 1,
			                         sizeof(*s->rcpts));
			s->rcpts[s->rcpt_count].address = xstrdup(lk->address);
			s->rcpts[s->rcpt_count].user_id = lk->user_id;
			s->rcpt_count++;
		}
		s->state = SMTP_STATE_RCPT;
		reply(s, "250 2.1.5 Ok");
	}
}

static void
lookup_done(void *arg)
{
	struct lookup *lk = arg;
	struct smtp_session *s = lk->s;

	if (!wait_end(s)) {
		free(lk);
		return;
	}
	lookup_answer(s, lk);
	if (lk->cacheable && lk->domain_ok == 1 && lk->user_ok == 1)
		store_user_cache_put(s->d->store, lk->key, lk->user_id);
	free(lk);
	resume(s);
}

/* start_lookup - check one recipient (or VRFY argument) on a worker */
static void
start_lookup(struct smtp_session *s, enum lookup_kind kind,
             const struct smtp_addr *a)
{
	struct lookup *lk = xcalloc(1, sizeof(*lk));
	bool pm = strcasecmp(a->local, "postmaster") == 0;

	lk->s = s;
	lk->kind = kind;
	if (smtp_addr_fmt(a, lk->address, sizeof(lk->address)) < 0 ||
	    strlcpy_chk(lk->local, a->local, sizeof(lk->local)) < 0) {
		free(lk);
		error_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	lk->has_domain = a->domain[0] != '\0';
	(void)strlcpy_chk(lk->domain,
	                  lk->has_domain ? a->domain : s->conf->hostname,
	                  sizeof(lk->domain));
	if (s->d->store == NULL) {
		free(lk);
		reply(s, "451 4.3.0 Error: mail store not available");
		return;
	}
	/* a recipient found moments ago: answer without a worker */
	lk->cacheable = kind == LOOKUP_RCPT && !pm && lk->has_domain &&
	                snprintf_chk(lk->key, sizeof(lk->key), "%s@%s",
	                             lk->local, lk->domain) >= 0;
	if (lk->cacheable &&
	    (lk->user_id = store_user_cache_get(s->d->store, lk->key)) > 0) {
		lk->domain_ok = 1;
		lk->user_ok = 1;
		lookup_answer(s, lk);
		free(lk);
		return;
	}
	wait_begin(s);
	store_call(s->d->store, pm ? lookup_postmaster_work : lookup_work,
	           lookup_done, lk);
}

/* Delivery */

static void
deliver_done(void *arg)
{
	struct smtp_session *s = arg;
	int result = s->dl.result;
	char tmp[SMTP_MAX_PATH * 4 + 8];

	xfree(&s->prefix);
	xfree(&s->user_ids);
	if (!wait_end(s))
		return;
	log_info("%s smtp message id=%s from=\"%s\" rcpts=%zu size=%" PRIu64
	         " result=%s%s%s",
	         s->id, s->msgid,
	         esc(tmp, sizeof(tmp), s->sender ? s->sender : ""),
	         s->rcpt_count, s->msg_size, result == 0 ? "stored" : "failed",
	         result == 0 ? "" : " error=",
	         result == 0 ? "" : (s->dl.error ? s->dl.error : "unknown"));
	if (result == 0) {
		s->junk = 0;
		reply(s, "250 2.0.0 Ok: queued as %s", s->msgid);
	} else
		reply(s, "451 4.3.0 Error: could not store the message");
	txn_reset(s);
	resume(s);
}

/* deliver - the body is in the spool: add trace headers, hand it over */
static void
deliver(struct smtp_session *s)
{
	struct smtp_trace t = {
	    .sender = s->sender,
	    .helo = s->helo,
	    .rdns = NULL, /* reverse DNS comes with c-ares */
	    .ip = s->ip,
	    .hostname = s->conf->hostname,
	    .id = s->msgid,
	    .rcpt = s->rcpt_count == 1 ? s->rcpts[0].address : NULL,
	    .esmtp = s->esmtp,
	    .tls = conn_is_tls(s->c),
	    .auth = false,
	    .utf8 = s->smtputf8,
	    .when = time(NULL),
	};

	s->msg_size = spool_size(s->spool);
	if (s->d->store == NULL) {
		reply(s, "451 4.3.0 Error: mail store not available");
		txn_reset(s);
		return;
	}
	s->prefix = smtp_trace_prefix(&t);
	s->user_ids = xreallocarray(NULL, s->rcpt_count, sizeof(int64_t));
	for (size_t i = 0; i < s->rcpt_count; i++)
		s->user_ids[i] = s->rcpts[i].user_id;
	memset(&s->dl, 0, sizeof(s->dl));
	s->dl.prefix = s->prefix;
	s->dl.prefix_len = strlen(s->prefix);
	s->dl.body = s->spool;
	s->dl.user_ids = s->user_ids;
	s->dl.user_count = s->rcpt_count;
	s->dl.internaldate = (int64_t)t.when;
	wait_begin(s);
	store_deliver(s->d->store, &s->dl, deliver_done, s);
}

/* end_of_message - DATA ended, or the last BDAT chunk arrived */
static void
end_of_message(struct smtp_session *s, unsigned errors, uint64_t size)
{
	s->phase = PHASE_CMD;
	if (errors != 0) {
		const char *text = smtp_data_reply(errors);
		char tmp[SMTP_MAX_PATH * 4 + 8];
		log_info("%s smtp message rejected from=\"%s\" rcpts=%zu "
		         "size=%" PRIu64 " errors=0x%x ip=%s",
		         s->id,
		         esc(tmp, sizeof(tmp), s->sender ? s->sender : ""),
		         s->rcpt_count, size, errors, s->ip);
		reply(s, "%s", text);
		txn_reset(s);
		if (text[0] == '5')
			count_error(s);
		return;
	}
	deliver(s);
}

/* Commands */

static const char *
state_error(struct smtp_session *s, enum smtp_verb verb)
{
	switch (verb) {
	case SMTP_CMD_MAIL:
		if (s->state == SMTP_STATE_INIT)
			return "503 5.5.1 Error: send HELO/EHLO first";
		return "503 5.5.1 Error: nested MAIL command";
	case SMTP_CMD_RCPT:
		return "503 5.5.1 Error: need MAIL command";
	case SMTP_CMD_DATA:
		if (s->state == SMTP_STATE_MAIL)
			return "554 5.5.1 Error: no valid recipients";
		if (s->state == SMTP_STATE_BDAT)
			return "503 5.5.1 Error: DATA within BDAT";
		return "503 5.5.1 Error: need RCPT command";
	case SMTP_CMD_BDAT:
		if (s->state == SMTP_STATE_MAIL)
			return "554 5.5.1 Error: no valid recipients";
		return "503 5.5.1 Error: need MAIL and RCPT commands";
	case SMTP_CMD_STARTTLS:
		return "503 5.5.1 Error: STARTTLS not allowed in a transaction";
	default:
		return "503 5.5.1 Error: bad sequence of commands";
	}
}

static void
cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const struct conf *cf = s->conf;

	txn_reset(s);
	/* UNSAFE: arg.len <= SMTP_MAX_HELO (parse_helo's span_word max) */
	memcpy(s->helo, cmd->arg.p, cmd->arg.len);
	s->helo[cmd->arg.len] = '\0';
	s->state = SMTP_STATE_HELO;
	if (cmd->verb == SMTP_CMD_HELO) {
		s->esmtp = false;
		reply(s, "250 %s", cf->hostname);
		return;
	}
	s->esmtp = true;
	reply(s, "250-%s", cf->hostname);
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %zu", cf->smtp_max_message_size);
	reply(s, "250-8BITMIME");
	reply(s, "250-ENHANCEDSTATUSCODES");
	if (s->tls != NULL && !conn_is_tls(s->c))
		reply(s, "250-STARTTLS");
	reply(s, "250-SMTPUTF8");
	reply(s, "250 CHUNKING");
}

static void
cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	char addr[SMTP_MAX_PATH + 1];

	if (cmd->has_size && cmd->size > s->conf->smtp_max_message_size) {
		error_reply(s, "552 5.3.4 Message size exceeds fixed maximum "
		               "message size");
		return;
	}
	if (cmd->body == SMTP_BODY_BINARYMIME) {
		/* not advertised (RFC 3030 3) */
		error_reply(s, "555 5.5.4 BODY=BINARYMIME not supported");
		return;
	}
	if (smtp_addr_fmt(&cmd->addr, addr, sizeof(addr)) < 0) {
		error_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	txn_reset(s);
	s->sender = xstrdup(addr);
	s->smtputf8 = cmd->smtputf8;
	s->body = cmd->body;
	s->state = SMTP_STATE_MAIL;
	reply(s, "250 2.1.0 Ok");
}

static void
cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->addr.has_utf8 && !s->smtputf8) {
		error_reply(s, "553 5.6.7 UTF-8 address needs SMTPUTF8");
		return;
	}
	if (s->rcpt_count >= s->conf->smtp_max_recipients) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	start_lookup(s, LOOKUP_RCPT, &cmd->addr);
}

static void
cmd_data(struct smtp_session *s)
{
	if (spool_ready(s) < 0) {
		reply(s, "451 4.3.0 Error: local error");
		return;
	}
	new_msgid(s);
	smtp_data_init(&s->data, s->conf->smtp_max_data_line,
	               s->conf->smtp_max_message_size,
	               s->conf->smtp_reject_bare_lf, spool_out, s->spool);
	s->phase = PHASE_DATA;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	/* the client waits for 354: send it now */
	flush(s);
}

static void
cmd_bdat(struct smtp_session *s, const struct smtp_cmd *cmd, bool ok,
         const char *reply_text)
{
	s->bdat_left = cmd->chunk_size;
	s->bdat_last = cmd->last;
	s->bdat_discard = !ok;
	s->bdat_reply = reply_text;
	if (ok && s->state == SMTP_STATE_RCPT) {
		if (spool_ready(s) < 0) {
			s->bdat_discard = true;
			s->bdat_reply = "451 4.3.0 Error: local error";
		} else {
			new_msgid(s);
			s->bdat_total = 0;
			s->bdat_errors = 0;
		}
	}
	s->phase = PHASE_BDAT;
}

/* bdat_chunk_end - all bytes of the chunk were read */
static void
bdat_chunk_end(struct smtp_session *s)
{
	s->phase = PHASE_CMD;
	if (s->bdat_discard) {
		if (s->bdat_reply[0] == '4') {
			reply(s, "%s", s->bdat_reply);
			txn_reset(s);
		} else {
			error_reply(s, s->bdat_reply);
		}
		return;
	}
	/* an error ends the transaction at once (RFC 3030 2: later BDATs
	 * get 503 and their bytes are skipped) */
	if (s->bdat_last || s->bdat_errors != 0) {
		end_of_message(s, s->bdat_errors, s->bdat_total);
		return;
	}
	s->state = SMTP_STATE_BDAT;
	reply(s, "250 2.0.0 %" PRIu64 " octets received", s->bdat_total);
}

static void
cmd_starttls(struct smtp_session *s)
{
	if (conn_is_tls(s->c)) {
		error_reply(s, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (s->tls == NULL) {
		reply(s, "454 4.7.0 TLS not available");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	flush(s);
	/* RFC 3207 4.2: forget everything said before; buffered plaintext
	 * is discarded by conn_starttls */
	txn_reset(s);
	s->state = SMTP_STATE_INIT;
	s->esmtp = false;
	s->helo[0] = '\0';
	line_reader_init(&s->lr, s->conf->smtp_max_line - 2); /* CRLF counts */
	s->tls_started = true;
	if (conn_starttls(s->c, s->tls) < 0)
		close_session(s, "starttls failed");
	log_debug("%s smtp starttls", s->id);
}

static void
cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_addr a;
	struct span cur = cmd->arg;
	const char *error;
	char tmp[SMTP_MAX_PATH + 3];

	if (!s->conf->smtp_enable_vrfy) {
		reply(s, "252 2.5.2 Cannot VRFY user, but will accept message "
		         "and attempt delivery");
		return;
	}
	/* "VRFY user@domain" or "VRFY <user@domain>" */
	if (cur.len > 0 && cur.p[0] != '<') {
		if (snprintf_chk(tmp, sizeof(tmp), "<%.*s>", (int)cur.len,
		                 cur.p) < 0) {
			error_reply(s, "501 5.1.3 Bad address syntax");
			return;
		}
		cur = span_from_cstr(tmp);
	}
	if (smtp_addr_parse(&cur, SMTP_ADDR_UTF8 | SMTP_ADDR_POSTMASTER, &a,
	                    &error) < 0 ||
	    cur.len != 0) {
		error_reply(s, "501 5.1.3 Bad address syntax");
		return;
	}
	start_lookup(s, LOOKUP_VRFY, &a);
}

/* pretls_required - submission with TLS configured: only a few commands
 * before STARTTLS (RFC 3207 4, RFC 8314) */
static bool
pretls_required(struct smtp_session *s)
{
	return s->svc == SMTP_SERVICE_SUBMISSION && s->tls != NULL &&
	       !conn_is_tls(s->c);
}

static void
log_command(struct smtp_session *s, struct span line)
{
	char esc[200];

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	if (span_startswith_ci(line, "AUTH ")) {
		/* the verb and mechanism only, never the payload */
		size_t n = 5;
		while (n < line.len && line.p[n] != ' ')
			n++;
		line.len = n;
	}
	log_escape(esc, sizeof(esc), line.p, line.len);
	log_debug("%s smtp command line=\"%s\"", s->id, esc);
}

/* handle_line - one complete command line */
static void
handle_line(struct smtp_session *s, struct span line, unsigned flags)
{
	struct smtp_cmd cmd;
	const char *text = NULL;
	int ret;

	log_command(s, line);
	if (flags & (LINE_F_BARE_CR | LINE_F_NUL)) {
		error_reply(s, "500 5.5.2 Invalid characters in command");
		return;
	}
	if ((flags & LINE_F_BARE_LF) && s->conf->smtp_reject_bare_lf) {
		error_reply(s, "500 5.5.2 Bare LF received (RFC 5321 2.3.8)");
		return;
	}
	ret = smtp_cmd_parse(line, &cmd, &text);
	if (cmd.verb == SMTP_CMD_BDAT) {
		/* the chunk follows whatever we think of the command: skip
		 * it when refusing, or the stream loses sync (RFC 3030 3) */
		if (ret < 0) {
			error_reply(s, text);
			return;
		}
		if (pretls_required(s))
			cmd_bdat(
			    s, &cmd, false,
			    "530 5.7.0 Must issue a STARTTLS command first");
		else if (!(cmd.info->states & s->state))
			cmd_bdat(s, &cmd, false, state_error(s, SMTP_CMD_BDAT));
		else
			cmd_bdat(s, &cmd, true, NULL);
		return;
	}
	if (ret < 0) {
		error_reply(s, text);
		return;
	}
	if (pretls_required(s) && !(cmd.info->flags & SMTP_CMD_F_PRETLS)) {
		error_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if (!(cmd.info->states & s->state)) {
		error_reply(s, state_error(s, cmd.verb));
		return;
	}
	switch (cmd.verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		cmd_ehlo(s, &cmd);
		break;
	case SMTP_CMD_MAIL:
		cmd_mail(s, &cmd);
		break;
	case SMTP_CMD_RCPT:
		cmd_rcpt(s, &cmd);
		break;
	case SMTP_CMD_DATA:
		cmd_data(s);
		break;
	case SMTP_CMD_RSET:
		txn_reset(s);
		reply(s, "250 2.0.0 Ok");
		count_junk(s);
		break;
	case SMTP_CMD_NOOP:
		reply(s, "250 2.0.0 Ok");
		count_junk(s);
		break;
	case SMTP_CMD_QUIT:
		reply(s, "221 2.0.0 Bye");
		close_session(s, "quit");
		break;
	case SMTP_CMD_HELP:
		reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
		         "RSET NOOP QUIT HELP VRFY STARTTLS");
		count_junk(s);
		break;
	case SMTP_CMD_VRFY:
		count_junk(s);
		if (!is_closing(s))
			cmd_vrfy(s, &cmd);
		break;
	case SMTP_CMD_EXPN:
		if (s->conf->smtp_enable_expn)
			reply(s, "550 5.1.1 No such mailing list");
		else
			error_reply(s, "502 5.5.1 EXPN not available");
		if (!is_closing(s))
			count_junk(s);
		break;
	case SMTP_CMD_STARTTLS:
		cmd_starttls(s);
		break;
	case SMTP_CMD_AUTH:
		error_reply(s, "502 5.5.1 AUTH not available");
		break;
	default:
		error_reply(s, "502 5.5.1 Command not supported");
		break;
	}
}

/* Input */

/* feed_data - DATA bytes from the input buffer */
static void
feed_data(struct smtp_session *s, struct buf *in)
{
	size_t used = 0;
	int ret = smtp_data_feed(&s->data, buf_rptr(in), buf_avail(in), &used);

	buf_consume(in, used);
	if (ret == 1)
		end_of_message(s, s->data.errors, s->data.size);
}

/* feed_bdat - chunk bytes, copied verbatim (RFC 3030: no dot-stuffing) */
static void
feed_bdat(struct smtp_session *s, struct buf *in)
{
	size_t n = buf_avail(in);

	if ((uint64_t)n > s->bdat_left)
		n = (size_t)s->bdat_left;
	if (!s->bdat_discard) {
		s->bdat_total += n;
		if (s->bdat_total > s->conf->smtp_max_message_size)
			s->bdat_errors |= SMTP_DATA_E_SIZE;
		if (s->bdat_errors == 0 &&
		    spool_write(s->spool, buf_rptr(in), n) < 0)
			s->bdat_errors |= SMTP_DATA_E_IO;
	}
	buf_consume(in, n);
	s->bdat_left -= n;
	if (s->bdat_left == 0)
		bdat_chunk_end(s);
}

/* session_process - use the buffered input until it is gone or we wait */
static void
session_process(struct smtp_session *s)
{
	struct buf *in = conn_in(s->c);

	while (!is_closing(s) && s->phase != PHASE_WAIT) {
		struct span line;
		unsigned flags = 0;
		int ret;

		if (s->phase == PHASE_BDAT && s->bdat_left == 0) {
			bdat_chunk_end(s); /* "BDAT 0" */
			continue;
		}
		if (buf_avail(in) == 0)
			break;
		if (s->phase == PHASE_DATA) {
			feed_data(s, in);
			continue;
		}
		if (s->phase == PHASE_BDAT) {
			feed_bdat(s, in);
			continue;
		}
		ret = line_read(&s->lr, in, &line, &flags);
		if (ret == LINE_MORE)
			break;
		if (ret == LINE_TOOLONG) {
			error_reply(s, "500 5.5.2 Line too long");
			continue;
		}
		handle_line(s, line, flags);
		if (s->tls_started) {
			/* nothing read before the handshake counts */
			s->tls_started = false;
			break;
		}
	}
	if (s->phase != PHASE_WAIT && !is_closing(s)) {
		flush(s);
		arm_timer(s);
	}
}

static void
session_on_read(struct conn *c, void *arg)
{
	struct smtp_session *s = arg;

	(void)c;
	session_process(s);
}

/* Life cycle */

static void
session_free(struct smtp_session *s)
{
	if (NEVER(s->in_flight))
		return;
	daemon_session_remove(s->d, &s->ds);
	txn_reset(s);
	spool_free(&s->spool);
	ev_timer_del(&s->timer);
	buf_clear(&s->out);
	if (s->tls != NULL)
		tls_ctx_unref(&s->tls);
	conf_unref(&s->conf);
	free(s);
}

static void
session_on_close(struct conn *c, const char *reason, void *arg)
{
	struct smtp_session *s = arg;

	log_info("%s smtp disconnected reason=%s in=%" PRIu64 " out=%" PRIu64
	         " duration_ms=%" PRIu64,
	         s->id, reason != NULL ? reason : "closed", conn_bytes_in(c),
	         conn_bytes_out(c), ev_time_ms() - s->start_ms);
	s->closed = true;
	s->c = NULL;
	ev_timer_disarm(s->timer);
	if (!s->in_flight)
		session_free(s);
}

/* session_shutdown - the daemon stops: finish in-flight work, then 421 */
static void
session_shutdown(struct daemon_session *ds)
{
	struct smtp_session *s = (struct smtp_session *)ds;

	s->shutting = true;
	if (s->in_flight || is_closing(s))
		return; /* resume() says goodbye after the answer */
	reply(s, "421 4.3.2 %s Service shutting down", s->conf->hostname);
	close_session(s, "shutdown");
}

void
smtp_session_start(struct daemon *d, struct conn *c, enum smtp_service svc)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->conf = d->conf;
	conf_ref(s->conf);
	s->tls = d->tls;
	if (s->tls != NULL)
		tls_ctx_ref(s->tls);
	s->c = c;
	s->svc = svc;
	(void)strlcpy_chk(s->idbuf, conn_id_str(c), sizeof(s->idbuf));
	s->id = s->idbuf;
	(void)strlcpy_chk(s->ip, conn_peer_ip(c), sizeof(s->ip));
	s->phase = PHASE_CMD;
	s->state = SMTP_STATE_INIT;
	s->start_ms = ev_time_ms();
	line_reader_init(&s->lr, s->conf->smtp_max_line - 2); /* CRLF counts */
	buf_init(&s->out, SMTP_MAX_OUT);
	s->timer = ev_timer_new(conn_ev(c), on_timeout, s);
	daemon_session_add(d, &s->ds, s->ip, session_shutdown);
	conn_set_handlers(c, session_on_read, NULL, session_on_close, s);
	log_info("%s smtp connect ip=%s port=%u service=%d", s->id, s->ip,
	         (unsigned)conn_peer_port(c), (int)svc);
	reply(s, "220 %s ESMTP outpost", s->conf->hostname);
	flush(s);
	arm_timer(s);
}

void
smtp_refuse(struct conn *c, const char *hostname, const char *reason)
{
	conn_printf(c, "421 4.7.0 %s %s\r\n", hostname, reason);
	conn_close(c, reason);
}
