/* SPDX-License-Identifier: MIT */
/*
 * imap_cmd_auth.c - the commands of any state and of the not-authenticated
 * state: CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE PLAIN
 * (with SASL-IR, RFC 4959), and ENABLE, NAMESPACE, IDLE. Passwords are
 * checked on a store thread (passwd_verify is slow on purpose), never
 * logged, and wiped after use. Loop thread; input untrusted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/passwd.h"
#include "imap/imap_session.h"
#include "mime/mime.h"

void
imap_cmd_capability(struct imap_session *s, const struct imap_cmd *cmd,
                    const struct imap_arg *args, size_t count, bool uid)
{
	struct buf caps;

	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "CAPABILITY takes no arguments");
		return;
	}
	buf_init(&caps, 4096);
	imap_capability_write(s, &caps);
	imap_reply(s, "* %s", buf_cstr(&caps));
	buf_clear(&caps);
	imap_reply_tagged(s, cmd->tag, "OK CAPABILITY completed");
}

static void
noop_done(struct imap_session *s, struct imap_job *j)
{
	(void)s;
	(void)j;
}

/* imap_cmd_noop - also CHECK: report changes of the selected mailbox. */
void
imap_cmd_noop(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	struct imap_job *j;

	(void)args;
	(void)count;
	(void)uid;
	if (s->state != IMAP_STATE_SELECTED) {
		imap_reply_tagged(s, cmd->tag, "OK %s completed", cmd->name);
		return;
	}
	j = imap_job_new(s, cmd->tag);
	j->want_sync = true;
	j->sync_expunge = true;
	imap_job_set_reply(j, "OK %s completed", cmd->name);
	imap_job_submit(s, j, NULL, noop_done);
}

void
imap_cmd_logout(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	(void)args;
	(void)count;
	(void)uid;
	imap_reply(s, "* BYE Logging out");
	imap_reply_tagged(s, cmd->tag, "OK LOGOUT completed");
	s->state = IMAP_STATE_LOGOUT;
	conn_close(s->c, "logout");
}

void
imap_cmd_id(struct imap_session *s, const struct imap_cmd *cmd,
            const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	if (count != 1 ||
	    (args[0].type != IMAP_ARG_NIL && args[0].type != IMAP_ARG_LIST)) {
		imap_reply_bad(s, cmd->tag, "ID takes a list or NIL");
		return;
	}
	imap_reply(s, "* ID (\"name\" \"outpost\")");
	imap_reply_tagged(s, cmd->tag, "OK ID completed");
}

void
imap_cmd_starttls(struct imap_session *s, const struct imap_cmd *cmd,
                  const struct imap_arg *args, size_t count, bool uid)
{
	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "STARTTLS takes no arguments");
		return;
	}
	if (conn_is_tls(s->c) || s->d->tls == NULL) {
		imap_reply_bad(s, cmd->tag, "TLS not available");
		return;
	}
	imap_reply_tagged(s, cmd->tag, "OK Begin TLS negotiation now");
	/* buffered plaintext after the command is dropped by conn_starttls */
	if (conn_starttls(s->c, s->d->tls) < 0)
		conn_close(s->c, "starttls failed");
}

/* --- password check --- */

struct login {
	char *address;
	char *password;
	int result; /* 1 ok, 0 refused, -1 error */
	int64_t user_id;
	char *stored_address;
};

static void
login_free(void *arg)
{
	struct login *l = arg;

	if (l->password != NULL) {
		explicit_bzero(l->password, strlen(l->password));
		free(l->password);
	}
	free(l->address);
	free(l->stored_address);
	free(l);
}

static void
login_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct login *l = j->data;
	struct store_user u;
	int rc;

	l->result = -1;
	rc = store_user_lookup(db, l->address, &u);
	if (rc < 0)
		return;
	if (rc == 0) {
		/* same cost as a wrong password: no user enumeration by time */
		(void)passwd_verify(
		    l->password,
		    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9"
		    "SqC.5i5rd.RhAtQ7");
		l->result = 0;
		return;
	}
	if (passwd_verify(l->password, u.pwhash)) {
		l->result = 1;
		l->user_id = u.id;
		l->stored_address = xstrdup(u.address);
	} else {
		l->result = 0;
	}
	store_user_clear(&u);
}

static void
login_done(struct imap_session *s, struct imap_job *j)
{
	struct login *l = j->data;

	if (l->result == 1) {
		imap_session_logged_in(s, l->user_id, l->stored_address);
		struct buf caps;
		buf_init(&caps, 4096);
		imap_capability_write(s, &caps);
		imap_job_set_reply(j, "OK [%s] Logged in", buf_cstr(&caps));
		buf_clear(&caps);
		return;
	}
	if (l->result == 0) {
		char esc[256];
		log_info("%s imap auth failed user=%s", conn_id_str(s->c),
		         log_escape(esc, sizeof(esc), l->address,
		                    strlen(l->address)));
		imap_job_set_reply(
		    j, "NO [AUTHENTICATIONFAILED] Authentication failed");
		s->errors++;
		return;
	}
	imap_job_set_reply(j, "NO [UNAVAILABLE] Temporary failure");
}

static bool
plaintext_ok(struct imap_session *s, const char *tag)
{
	if (conn_is_tls(s->c) || s->conf->imap_allow_plaintext_auth)
		return true;
	imap_reply_tagged(
	    s, tag, "NO [PRIVACYREQUIRED] Use STARTTLS before logging in");
	return false;
}

static void
login_start(struct imap_session *s, const char *tag, const char *user,
            const char *pass)
{
	struct imap_job *j = imap_job_new(s, tag);
	struct login *l = xcalloc(1, sizeof(*l));

	l->address = xstrdup(user);
	l->password = xstrdup(pass);
	j->data = l;
	j->data_free = login_free;
	imap_job_submit(s, j, login_work, login_done);
}

void
imap_cmd_login(struct imap_session *s, const struct imap_cmd *cmd,
               const struct imap_arg *args, size_t count, bool uid)
{
	const char *user, *pass;

	(void)uid;
	if (count != 2 || (user = imap_arg_astring(&args[0])) == NULL ||
	    (pass = imap_arg_astring(&args[1])) == NULL) {
		imap_reply_bad(s, cmd->tag, "LOGIN user password");
		return;
	}
	if (!plaintext_ok(s, cmd->tag))
		return;
	login_start(s, cmd->tag, user, pass);
}

/* sasl_plain - decode "authzid\0authcid\0passwd" and start the check. */
static void
sasl_plain(struct imap_session *s, const char *tag, const char *b64, size_t len)
{
	struct buf dec;
	const char *p, *end, *authz, *authc, *pass;

	buf_init(&dec, 4096);
	if (mime_base64_decode((const uint8_t *)b64, len, &dec) < 0 ||
	    buf_avail(&dec) == 0) {
		imap_reply_bad(s, tag, "Invalid base64");
		goto out;
	}
	p = buf_cstr(&dec);
	end = p + buf_avail(&dec);
	authz = p;
	authc = memchr(authz, '\0', (size_t)(end - authz));
	if (authc == NULL || ++authc >= end) {
		imap_reply_bad(s, tag, "Invalid PLAIN response");
		goto out;
	}
	pass = memchr(authc, '\0', (size_t)(end - authc));
	if (pass == NULL) {
		imap_reply_bad(s, tag, "Invalid PLAIN response");
		goto out;
	}
	pass++;
	if (memchr(pass, '\0', (size_t)(end - pass)) != NULL) {
		imap_reply_bad(s, tag, "Invalid PLAIN response");
		goto out;
	}
	if (*authz != '\0' && strcasecmp(authz, authc) != 0) {
		imap_reply_tagged(
		    s, tag,
		    "NO [AUTHORIZATIONFAILED] Cannot act as another user");
		goto out;
	}
	login_start(s, tag, authc, pass);
out:
	explicit_bzero(dec.data, dec.cap);
	buf_clear(&dec);
}

void
imap_cmd_authenticate(struct imap_session *s, const struct imap_cmd *cmd,
                      const struct imap_arg *args, size_t count, bool uid)
{
	const char *mech, *ir;

	(void)uid;
	if (count < 1 || count > 2 ||
	    (mech = imap_arg_atom(&args[0])) == NULL) {
		imap_reply_bad(s, cmd->tag, "AUTHENTICATE mechanism");
		return;
	}
	if (strcasecmp(mech, "PLAIN") != 0) {
		imap_reply_tagged(s, cmd->tag,
		                  "NO Unsupported authentication mechanism");
		return;
	}
	if (!plaintext_ok(s, cmd->tag))
		return;
	if (count == 2) {
		if ((ir = imap_arg_atom(&args[1])) == NULL) {
			imap_reply_bad(s, cmd->tag, "Invalid initial response");
			return;
		}
		/* "=" is an empty initial response (RFC 4959) */
		sasl_plain(s, cmd->tag, ir,
		           strcmp(ir, "=") == 0 ? 0 : strlen(ir));
		return;
	}
	free(s->mode_tag);
	s->mode_tag = xstrdup(cmd->tag);
	s->mode = IMAP_MODE_AUTH_CONT;
	imap_reply(s, "+ ");
}

void
imap_auth_continue(struct imap_session *s, const char *line, size_t len)
{
	char *tag = s->mode_tag;

	s->mode_tag = NULL;
	if (len == 1 && line[0] == '*')
		imap_reply_bad(s, tag, "Authentication canceled");
	else
		sasl_plain(s, tag, line, len);
	free(tag);
}

/* --- authenticated state --- */

void
imap_cmd_enable(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	struct buf en;
	int r = 0;

	(void)uid;
	if (count == 0) {
		imap_reply_bad(s, cmd->tag, "ENABLE needs capabilities");
		return;
	}
	buf_init(&en, 1024);
	r |= buf_append_str(&en, "* ENABLED");
	for (size_t i = 0; i < count; i++) {
		const char *c = imap_arg_atom(&args[i]);
		if (c == NULL) {
			buf_clear(&en);
			imap_reply_bad(s, cmd->tag, "ENABLE takes atoms");
			return;
		}
		if (strcasecmp(c, "IMAP4rev2") == 0 && !s->rev2) {
			s->rev2 = s->utf8 = true;
			r |= buf_append_str(&en, " IMAP4rev2");
		} else if (strcasecmp(c, "UTF8=ACCEPT") == 0 && !s->utf8) {
			s->utf8 = true;
			r |= buf_append_str(&en, " UTF8=ACCEPT");
		}
	}
	if (r == 0)
		imap_reply(s, "%s", buf_cstr(&en));
	buf_clear(&en);
	imap_reply_tagged(s, cmd->tag, "OK ENABLE completed");
}

void
imap_cmd_namespace(struct imap_session *s, const struct imap_cmd *cmd,
                   const struct imap_arg *args, size_t count, bool uid)
{
	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "NAMESPACE takes no arguments");
		return;
	}
	imap_reply(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_reply_tagged(s, cmd->tag, "OK NAMESPACE completed");
}

void
imap_cmd_idle(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "IDLE takes no arguments");
		return;
	}
	free(s->mode_tag);
	s->mode_tag = xstrdup(cmd->tag);
	s->mode = IMAP_MODE_IDLE;
	imap_reply(s, "+ idling");
}
