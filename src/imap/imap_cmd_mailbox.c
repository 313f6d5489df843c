/* SPDX-License-Identifier: MIT */
/*
 * imap_cmd_mailbox.c - mailbox commands: SELECT/EXAMINE, CREATE, DELETE,
 * RENAME, SUBSCRIBE/UNSUBSCRIBE, LIST/LSUB (patterns, SPECIAL-USE RFC 6154,
 * CHILDREN RFC 3348, the RFC 5258 syntax), STATUS, APPEND (UIDPLUS RFC
 * 4315), CHECK, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.
 *
 * Store work runs on a store thread with copies of the names; replies are
 * formed on the loop thread. Loop thread; input untrusted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include "imap/imap_session.h"
#include "imap/imap_util.h"

#define SEP '/'
#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

struct mbop {
	char *name, *name2;
	int rc; /* store result: 1 found/ok, 0 missing, -1 error */
	char *error;
	struct store_mailbox mb;
	bool have_mb;
	struct store_message *msgs;
	size_t count;
	/* SELECT: the view (handed to the session) */
	uint32_t *uids;
	uint64_t *modseqs;
	size_t first_unseen;
	struct store_mailbox *mbs;
	size_t mb_count;
	/* STATUS */
	unsigned items;
	uint64_t size_total;
	uint32_t deleted;
	/* APPEND */
	const uint8_t *data;
	size_t len;
	unsigned flags;
	char *keywords;
	int64_t date;
	uint32_t new_uid, new_uidvalidity;
	/* EXPUNGE */
	struct imap_seqset set;
	bool has_set;
	/* LIST */
	char **patterns;
	size_t pattern_count;
	bool lsub, sel_subscribed, ret_subscribed, ret_children,
	    ret_special_use, sel_special_use, extended;
};

static void
mbop_free(void *arg)
{
	struct mbop *o = arg;

	free(o->name);
	free(o->name2);
	free(o->error);
	if (o->have_mb)
		store_mailbox_clear(&o->mb);
	store_message_list_free(&o->msgs, o->count);
	free(o->uids);
	free(o->modseqs);
	store_mailbox_list_free(&o->mbs, o->mb_count);
	free(o->keywords);
	imap_seqset_clear(&o->set);
	for (size_t i = 0; i < o->pattern_count; i++)
		free(o->patterns[i]);
	free(o->patterns);
	free(o);
}

static struct imap_job *
mbop_job(struct imap_session *s, const char *tag, struct mbop **o_r)
{
	struct imap_job *j = imap_job_new(s, tag);
	struct mbop *o = xcalloc(1, sizeof(*o));

	j->data = o;
	j->data_free = mbop_free;
	*o_r = o;
	return j;
}

static void
mbop_error(struct mbop *o, struct store_db *db)
{
	free(o->error);
	o->error = xstrdup(store_db_error(db));
	o->rc = -1;
}

/*
 * mbop_get_mailbox - look o->name up into o->mb; true when found. Otherwise
 * o->rc is 0 (no such mailbox) or -1 with o->error set.
 */
static bool
mbop_get_mailbox(struct store_db *db, const struct imap_job *j, struct mbop *o)
{
	o->rc = store_mailbox_get(db, j->user_id, o->name, &o->mb);
	if (o->rc < 0) {
		mbop_error(o, db);
		return false;
	}
	if (o->rc == 0)
		return false;
	o->have_mb = true;
	return true;
}

/*
 * mbop_failed - when the mailbox was missing (NO with code, e.g.
 * "[NONEXISTENT]") or the store failed, set the NO reply; true then.
 */
static bool
mbop_failed(struct imap_job *j, const struct mbop *o, const char *code)
{
	if (o->rc == 0) {
		imap_job_set_reply(j, "NO %s No such mailbox", code);
		return true;
	}
	if (o->rc < 0) {
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s", o->error);
		return true;
	}
	return false;
}

/* mailbox_arg - astring argument as a store name; BAD reply on error. */
static char *
mailbox_arg(struct imap_session *s, const char *tag, const struct imap_arg *a)
{
	const char *n = imap_arg_astring(a);
	char *name;

	if (n == NULL) {
		imap_reply_bad(s, tag, "Invalid mailbox name");
		return NULL;
	}
	name = imap_mailbox_from_client(s, n);
	if (name == NULL) {
		imap_reply_tagged(s, tag, "NO Invalid mailbox name encoding");
		return NULL;
	}
	/* a trailing separator names the same mailbox (RFC 3501 6.3.3) */
	size_t l = strlen(name);
	while (l > 1 && name[l - 1] == SEP)
		name[--l] = '\0';
	return name;
}

/* --- SELECT / EXAMINE --- */

static void
select_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;

	if (!mbop_get_mailbox(db, j, o))
		return;
	if (store_message_view(db, o->mb.id, &o->uids, &o->modseqs, &o->count,
	                       &o->first_unseen) < 0)
		mbop_error(o, db);
}

static void
select_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;
	bool ro = o->flags != 0;
	size_t unseen = 0;

	if (mbop_failed(j, o, "[NONEXISTENT]"))
		return;
	imap_session_select(s, o->mb.id, o->mb.name, ro, o->mb.uidvalidity,
	                    o->mb.uidnext, o->uids, o->modseqs, o->count);
	o->uids = NULL; /* the session's now */
	o->modseqs = NULL;
	unseen = o->first_unseen;
	imap_job_printf(j, "* FLAGS (" SYSTEM_FLAGS ")\r\n");
	imap_job_printf(j, "* %zu EXISTS\r\n", o->count);
	if (!s->rev2) {
		imap_job_printf(j, "* 0 RECENT\r\n");
		if (unseen > 0)
			imap_job_printf(j, "* OK [UNSEEN %zu] First unseen\r\n",
			                unseen);
	}
	imap_job_printf(j, "* OK [UIDVALIDITY %u] UIDs valid\r\n",
	                o->mb.uidvalidity);
	imap_job_printf(j, "* OK [UIDNEXT %u] Predicted next UID\r\n",
	                o->mb.uidnext);
	if (s->rev2) {
		/* RFC 9051 6.3.2: the mailbox's LIST response */
		struct buf line;
		buf_init(&line, 64 * 1024);
		if (buf_append_str(&line, "* LIST () \"/\" ") == 0) {
			imap_mailbox_write(s, &line, o->mb.name);
			if (buf_append_str(&line, "\r\n") == 0)
				imap_job_write(j, buf_rptr(&line),
				               buf_avail(&line));
		}
		buf_clear(&line);
	}
	if (ro)
		imap_job_printf(j, "* OK [PERMANENTFLAGS ()] Read-only\r\n");
	else
		imap_job_printf(j, "* OK [PERMANENTFLAGS (" SYSTEM_FLAGS
		                   " \\*)] Limited\r\n");
	imap_job_set_reply(j, "OK [%s] %s completed",
	                   ro ? "READ-ONLY" : "READ-WRITE",
	                   ro ? "EXAMINE" : "SELECT");
}

void
imap_cmd_select(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	struct mbop *o;
	struct imap_job *j;
	char *name;

	(void)uid;
	if (count != 1) {
		imap_reply_bad(s, cmd->tag, "SELECT mailbox");
		return;
	}
	if ((name = mailbox_arg(s, cmd->tag, &args[0])) == NULL)
		return;
	if (s->state == IMAP_STATE_SELECTED) {
		imap_session_unselect(s);
		if (s->rev2)
			imap_reply(s, "* OK [CLOSED] Previous mailbox closed");
	}
	j = mbop_job(s, cmd->tag, &o);
	o->name = name;
	o->flags = strcmp(cmd->name, "EXAMINE") == 0; /* read-only */
	imap_job_submit(s, j, select_work, select_done);
}

/* --- CREATE / DELETE / RENAME / SUBSCRIBE --- */

enum { OP_CREATE, OP_DELETE, OP_RENAME, OP_SUB, OP_UNSUB };

/*
 * mbop_mailbox_exists - whether o->name exists: 1 yes, -1 error, 0 no (and
 * o->rc is 0 with a NONEXISTENT error text).
 */
static int
mbop_mailbox_exists(struct store_db *db, const struct imap_job *j,
                    struct mbop *o)
{
	struct store_mailbox mb;
	int r = store_mailbox_get(db, j->user_id, o->name, &mb);

	if (r == 0) {
		o->rc = 0;
		o->error = xstrdup("[NONEXISTENT] No such mailbox");
	}
	if (r == 1)
		store_mailbox_clear(&mb);
	return r;
}

static void
simple_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;
	struct store_mailbox mb;
	int r = 0;

	switch (o->flags) {
	case OP_CREATE:
		r = store_mailbox_get(db, j->user_id, o->name, &mb);
		if (r == 1) {
			store_mailbox_clear(&mb);
			o->rc = 0;
			o->error = xstrdup("[ALREADYEXISTS] Mailbox exists");
			return;
		}
		/* create missing parents first (RFC 3501 6.3.3) */
		for (char *p = strchr(o->name, SEP); p != NULL;
		     p = strchr(p + 1, SEP)) {
			*p = '\0';
			if (store_mailbox_get(db, j->user_id, o->name, &mb) ==
			    1)
				store_mailbox_clear(&mb);
			else
				(void)store_mailbox_create(
				    db, j->user_id, o->name, STORE_SU_NONE);
			*p = SEP;
		}
		r = store_mailbox_create(db, j->user_id, o->name,
		                         STORE_SU_NONE);
		break;
	case OP_DELETE:
		r = mbop_mailbox_exists(db, j, o);
		if (r == 0)
			return;
		r = r < 0 ? -1 : store_mailbox_delete(db, j->user_id, o->name);
		break;
	case OP_RENAME:
		r = mbop_mailbox_exists(db, j, o);
		if (r == 0)
			return;
		if (r == 1 &&
		    store_mailbox_get(db, j->user_id, o->name2, &mb) == 1) {
			store_mailbox_clear(&mb);
			o->rc = 0;
			o->error = xstrdup("[ALREADYEXISTS] Target exists");
			return;
		}
		r = r < 0 ? -1
		          : store_mailbox_rename(db, j->user_id, o->name,
		                                 o->name2);
		break;
	case OP_SUB:
	case OP_UNSUB:
		r = store_mailbox_subscribe(db, j->user_id, o->name,
		                            o->flags == OP_SUB);
		break;
	}
	if (r < 0)
		mbop_error(o, db);
	else
		o->rc = 1;
}

static void
simple_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;
	static const char *const names[] = {"CREATE", "DELETE", "RENAME",
	                                    "SUBSCRIBE", "UNSUBSCRIBE"};

	(void)s;
	if (o->rc == 1)
		imap_job_set_reply(j, "OK %s completed", names[o->flags]);
	else
		imap_job_set_reply(j, "NO %s",
		                   o->error != NULL ? o->error : "Failed");
}

static void
simple_cmd(struct imap_session *s, const struct imap_cmd *cmd,
           const struct imap_arg *args, size_t count, unsigned op)
{
	struct mbop *o;
	struct imap_job *j;
	char *name, *name2 = NULL;

	if (count != (op == OP_RENAME ? 2u : 1u)) {
		imap_reply_bad(s, cmd->tag, "Wrong number of arguments");
		return;
	}
	if ((name = mailbox_arg(s, cmd->tag, &args[0])) == NULL)
		return;
	if (op == OP_RENAME &&
	    (name2 = mailbox_arg(s, cmd->tag, &args[1])) == NULL) {
		free(name);
		return;
	}
	if ((op == OP_CREATE || op == OP_DELETE) &&
	    strcmp(name, "INBOX") == 0) {
		imap_reply_tagged(s, cmd->tag, "NO INBOX cannot be %s",
		                  op == OP_CREATE ? "created" : "deleted");
		free(name);
		return;
	}
	if (op == OP_RENAME && strcmp(name2, "INBOX") == 0) {
		imap_reply_tagged(s, cmd->tag,
		                  "NO [ALREADYEXISTS] INBOX exists");
		free(name);
		free(name2);
		return;
	}
	j = mbop_job(s, cmd->tag, &o);
	o->name = name;
	o->name2 = name2;
	o->flags = op;
	if (s->state == IMAP_STATE_SELECTED) {
		j->want_sync = true;
		j->sync_expunge = true;
	}
	imap_job_submit(s, j, simple_work, simple_done);
}

void
imap_cmd_create(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	simple_cmd(s, cmd, args, count, OP_CREATE);
}

void
imap_cmd_delete(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	simple_cmd(s, cmd, args, count, OP_DELETE);
}

void
imap_cmd_rename(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	simple_cmd(s, cmd, args, count, OP_RENAME);
}

void
imap_cmd_subscribe(struct imap_session *s, const struct imap_cmd *cmd,
                   const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	simple_cmd(s, cmd, args, count, OP_SUB);
}

void
imap_cmd_unsubscribe(struct imap_session *s, const struct imap_cmd *cmd,
                     const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	simple_cmd(s, cmd, args, count, OP_UNSUB);
}

/* --- LIST / LSUB --- */

static void
list_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;

	if (store_mailbox_list(db, j->user_id, &o->mbs, &o->mb_count) < 0)
		mbop_error(o, db);
	else
		o->rc = 1;
}

static const char *
special_use_name(enum store_special_use su)
{
	switch (su) {
	case STORE_SU_SENT:
		return "\\Sent";
	case STORE_SU_DRAFTS:
		return "\\Drafts";
	case STORE_SU_TRASH:
		return "\\Trash";
	case STORE_SU_JUNK:
		return "\\Junk";
	case STORE_SU_ARCHIVE:
		return "\\Archive";
	case STORE_SU_NONE:
		break;
	}
	return NULL;
}

/* name_entry - a listable name: a mailbox, or a missing parent of one */
struct name_entry {
	char *name;
	const struct store_mailbox *mb; /* NULL: parent only (\Noselect) */
};

static int
name_cmp(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* has_children - is there an entry "name/..."? e is sorted by name, so
 * the first entry not below "name/" tells. */
static bool
has_children(const struct name_entry *e, size_t count, const char *name)
{
	size_t l = strlen(name), lo = 0, hi = count;
	char *prefix = xasprintf("%s%c", name, SEP);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(e[mid].name, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	free(prefix);
	return lo < count && strncmp(e[lo].name, name, l) == 0 &&
	       e[lo].name[l] == SEP;
}

/* name_add - append a name (duplicates are merged after sorting) */
static void
name_add(struct name_entry **e, size_t *count, size_t *cap, const char *name,
         const struct store_mailbox *mb)
{
	if (*count == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*e = xreallocarray(*e, *cap, sizeof(**e));
	}
	(*e)[*count].name = xstrdup(name);
	(*e)[*count].mb = mb;
	(*count)++;
}

/* names_merge - sorted entries, one per name; a real mailbox wins over a
 * parent-only entry of the same name. Returns the new count. */
static size_t
names_merge(struct name_entry *e, size_t count)
{
	size_t out = 0;

	qsort(e, count, sizeof(*e), name_cmp);
	for (size_t i = 0; i < count; i++) {
		if (out > 0 && strcmp(e[out - 1].name, e[i].name) == 0) {
			if (e[i].mb != NULL)
				e[out - 1].mb = e[i].mb;
			free(e[i].name);
			continue;
		}
		e[out++] = e[i];
	}
	return out;
}

static void
list_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;
	struct name_entry *e = NULL;
	size_t count = 0, cap = 0;
	struct buf line;
	const char *verb = o->lsub ? "LSUB" : "LIST";

	if (o->rc < 0) {
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s", o->error);
		return;
	}
	/* every mailbox and each of its parents */
	for (size_t i = 0; i < o->mb_count; i++) {
		char *n = xstrdup(o->mbs[i].name);
		name_add(&e, &count, &cap, n, &o->mbs[i]);
		for (char *p = strchr(n, SEP); p != NULL;
		     p = strchr(p + 1, SEP)) {
			*p = '\0';
			name_add(&e, &count, &cap, n, NULL);
			*p = SEP;
		}
		free(n);
	}
	count = names_merge(e, count);
	buf_init(&line, 64 * 1024);
	for (size_t pi = 0; pi < o->pattern_count; pi++) {
		const char *pat = o->patterns[pi];
		if (*pat == '\0' && !o->lsub) {
			/* the hierarchy delimiter (RFC 3501 6.3.8) */
			imap_job_printf(j,
			                "* LIST (\\Noselect) \"/\" \"\"\r\n");
			continue;
		}
		for (size_t i = 0; i < count; i++) {
			const struct store_mailbox *mb = e[i].mb;
			bool sub = mb != NULL && mb->subscribed;
			const char *su = mb != NULL
			                     ? special_use_name(mb->special_use)
			                     : NULL;
			bool kids = has_children(e, count, e[i].name);
			if (!imap_match(pat, e[i].name, SEP))
				continue;
			if ((o->lsub || o->sel_subscribed) && !sub)
				continue;
			if (o->sel_special_use && su == NULL)
				continue;
			if (mb == NULL && o->extended && !kids)
				continue;
			buf_reset(&line);
			int r = buf_printf(&line, "* %s (", verb);
			const char *sp = "";
			if (mb == NULL) {
				r |= buf_printf(&line, "%s\\Noselect", sp);
				sp = " ";
			}
			if (!o->lsub) {
				r |= buf_printf(&line, "%s%s", sp,
				                kids ? "\\HasChildren"
				                     : "\\HasNoChildren");
				sp = " ";
			}
			if (su != NULL && !o->lsub) {
				r |= buf_printf(&line, "%s%s", sp, su);
				sp = " ";
			}
			if (sub && (o->ret_subscribed || o->sel_subscribed))
				r |= buf_printf(&line, "%s\\Subscribed", sp);
			r |= buf_append_str(&line, ") \"/\" ");
			if (r != 0)
				continue;
			imap_mailbox_write(s, &line, e[i].name);
			if (buf_append_str(&line, "\r\n") == 0)
				imap_job_write(j, buf_rptr(&line),
				               buf_avail(&line));
		}
	}
	buf_clear(&line);
	for (size_t i = 0; i < count; i++)
		free(e[i].name);
	free(e);
	imap_job_set_reply(j, "OK %s completed", verb);
}

/* list_pattern - reference + pattern as the store names them. */
static char *
list_pattern(struct imap_session *s, const char *ref, const char *pat)
{
	char *full, *res;

	if (*pat == '\0')
		return xstrdup("");
	full = xasprintf("%s%s", ref, pat);
	res = imap_mailbox_from_client(s, full);
	free(full);
	return res;
}

static int
list_options(struct mbop *o, const struct imap_arg *a, bool ret)
{
	for (size_t i = 0; i < a->count; i++) {
		const char *opt = imap_arg_atom(&a->list[i]);
		if (opt == NULL)
			return -1;
		if (strcasecmp(opt, "SUBSCRIBED") == 0) {
			if (ret)
				o->ret_subscribed = true;
			else
				o->sel_subscribed = true;
		} else if (strcasecmp(opt, "SPECIAL-USE") == 0) {
			if (ret)
				o->ret_special_use = true;
			else
				o->sel_special_use = true;
		} else if (strcasecmp(opt, "CHILDREN") == 0) {
			o->ret_children = true;
		} else if (strcasecmp(opt, "REMOTE") != 0 &&
		           strcasecmp(opt, "RECURSIVEMATCH") != 0) {
			return -1;
		}
	}
	return 0;
}

static void
list_cmd(struct imap_session *s, const struct imap_cmd *cmd,
         const struct imap_arg *args, size_t count, bool lsub)
{
	struct mbop *o;
	struct imap_job *j = mbop_job(s, cmd->tag, &o);
	const char *ref;
	size_t i = 0;

	o->lsub = lsub;
	if (!lsub && count > 0 && args[0].type == IMAP_ARG_LIST) {
		o->extended = true;
		if (list_options(o, &args[0], false) < 0)
			goto bad;
		i++;
	}
	if (count < i + 2 || (ref = imap_arg_astring(&args[i])) == NULL)
		goto bad;
	const struct imap_arg *pats = &args[i + 1];
	size_t npats = 1;
	if (pats->type == IMAP_ARG_LIST && !lsub) {
		o->extended = true;
		npats = pats->count;
		pats = pats->list;
	}
	if (npats == 0)
		goto bad;
	o->patterns = xcalloc(npats, sizeof(*o->patterns));
	for (size_t k = 0; k < npats; k++) {
		const char *p = imap_arg_astring(&pats[k]);
		if (p == NULL)
			goto bad;
		o->patterns[k] = list_pattern(s, ref, p);
		o->pattern_count++;
		if (o->patterns[k] == NULL) {
			imap_reply_tagged(s, cmd->tag,
			                  "NO Invalid mailbox name encoding");
			imap_job_free(j);
			return;
		}
	}
	i += 2;
	if (i < count) {
		const char *kw = imap_arg_atom(&args[i]);
		if (lsub || kw == NULL || strcasecmp(kw, "RETURN") != 0 ||
		    i + 2 != count || args[i + 1].type != IMAP_ARG_LIST ||
		    list_options(o, &args[i + 1], true) < 0)
			goto bad;
	}
	imap_job_submit(s, j, list_work, list_done);
	return;
bad:
	imap_job_free(j);
	imap_reply_bad(s, cmd->tag,
	               lsub ? "LSUB reference pattern"
	                    : "LIST reference pattern");
}

void
imap_cmd_list(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	list_cmd(s, cmd, args, count, false);
}

void
imap_cmd_lsub(struct imap_session *s, const struct imap_cmd *cmd,
              const struct imap_arg *args, size_t count, bool uid)
{
	(void)uid;
	list_cmd(s, cmd, args, count, true);
}

/* --- STATUS --- */

enum {
	STATUS_MESSAGES = 1 << 0,
	STATUS_UIDNEXT = 1 << 1,
	STATUS_UIDVALIDITY = 1 << 2,
	STATUS_UNSEEN = 1 << 3,
	STATUS_RECENT = 1 << 4,
	STATUS_SIZE = 1 << 5,
	STATUS_DELETED = 1 << 6,
};

static void
status_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;

	if (!mbop_get_mailbox(db, j, o))
		return;
	if (store_mailbox_status(db, &o->mb) < 0) {
		mbop_error(o, db);
		return;
	}
	if (o->items & (STATUS_SIZE | STATUS_DELETED)) {
		if (store_message_list(db, o->mb.id, 0, &o->msgs, &o->count) <
		    0) {
			mbop_error(o, db);
			return;
		}
		for (size_t i = 0; i < o->count; i++) {
			o->size_total += o->msgs[i].size;
			if (o->msgs[i].flags & STORE_F_DELETED)
				o->deleted++;
		}
	}
}

static void
status_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;
	struct buf line;
	int r = 0;
	const char *sp = "";

	if (mbop_failed(j, o, "[NONEXISTENT]"))
		return;
	buf_init(&line, 64 * 1024);
	r |= buf_append_str(&line, "* STATUS ");
	imap_mailbox_write(s, &line, o->mb.name);
	r |= buf_append_str(&line, " (");
#define ITEM(bit, fmt, val)                                                    \
	if (o->items & (bit)) {                                                \
		r |= buf_printf(&line, "%s" fmt, sp, val);                     \
		sp = " ";                                                      \
	}
	ITEM(STATUS_MESSAGES, "MESSAGES %u", o->mb.messages)
	ITEM(STATUS_RECENT, "RECENT %u", o->mb.recent)
	ITEM(STATUS_UIDNEXT, "UIDNEXT %u", o->mb.uidnext)
	ITEM(STATUS_UIDVALIDITY, "UIDVALIDITY %u", o->mb.uidvalidity)
	ITEM(STATUS_UNSEEN, "UNSEEN %u", o->mb.unseen)
	ITEM(STATUS_SIZE, "SIZE %llu", (unsigned long long)o->size_total)
	ITEM(STATUS_DELETED, "DELETED %u", o->deleted)
#undef ITEM
	r |= buf_append_str(&line, ")\r\n");
	if (r == 0)
		imap_job_write(j, buf_rptr(&line), buf_avail(&line));
	buf_clear(&line);
	imap_job_set_reply(j, "OK STATUS completed");
}

void
imap_cmd_status(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	static const struct {
		const char *name;
		unsigned bit;
	} items[] = {
	    {"MESSAGES", STATUS_MESSAGES},       {"UIDNEXT", STATUS_UIDNEXT},
	    {"UIDVALIDITY", STATUS_UIDVALIDITY}, {"UNSEEN", STATUS_UNSEEN},
	    {"RECENT", STATUS_RECENT},           {"SIZE", STATUS_SIZE},
	    {"DELETED", STATUS_DELETED},
	};
	struct mbop *o;
	struct imap_job *j;
	unsigned bits = 0;
	char *name;

	(void)uid;
	if (count != 2 || args[1].type != IMAP_ARG_LIST || args[1].count == 0) {
		imap_reply_bad(s, cmd->tag, "STATUS mailbox (items)");
		return;
	}
	for (size_t i = 0; i < args[1].count; i++) {
		const char *it = imap_arg_atom(&args[1].list[i]);
		unsigned bit = 0;
		for (size_t k = 0; it != NULL && k < N_ELEMENTS(items); k++) {
			if (strcasecmp(it, items[k].name) == 0)
				bit = items[k].bit;
		}
		if (bit == 0) {
			imap_reply_bad(s, cmd->tag, "Unknown STATUS item");
			return;
		}
		bits |= bit;
	}
	if ((name = mailbox_arg(s, cmd->tag, &args[0])) == NULL)
		return;
	j = mbop_job(s, cmd->tag, &o);
	o->name = name;
	o->items = bits;
	imap_job_submit(s, j, status_work, status_done);
}

/* --- APPEND --- */

static void
append_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;

	if (!mbop_get_mailbox(db, j, o))
		return;
	if (store_message_append(db, o->mb.id, o->data, o->len, o->flags,
	                         o->keywords, o->date, &o->new_uid,
	                         &o->new_uidvalidity) < 0)
		mbop_error(o, db);
}

static void
append_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;

	(void)s;
	if (mbop_failed(j, o, "[TRYCREATE]"))
		return;
	imap_job_set_reply(j, "OK [APPENDUID %u %u] APPEND completed",
	                   o->new_uidvalidity, o->new_uid);
}

void
imap_cmd_append(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	struct mbop *o;
	struct imap_job *j;
	const struct imap_arg *msg;
	unsigned flags = 0;
	char *keywords = NULL, *name;
	const char *err;
	int64_t date = (int64_t)time(NULL);
	int tz = 0;
	size_t i = 1;

	(void)uid;
	if (count < 2 || count > 4) {
		imap_reply_bad(s, cmd->tag,
		               "APPEND mailbox [flags] [date] msg");
		return;
	}
	if (args[i].type == IMAP_ARG_LIST) {
		if (imap_flags_parse(&args[i], &flags, &keywords, &err) < 0) {
			imap_reply_bad(s, cmd->tag, err);
			return;
		}
		i++;
	}
	if (i < count - 1) {
		const char *d = imap_arg_string(&args[i]);
		if (d == NULL || imap_datetime_parse(d, &date, &tz) < 0) {
			free(keywords);
			imap_reply_bad(s, cmd->tag, "Invalid date-time");
			return;
		}
		i++;
	}
	msg = &args[i];
	if (i != count - 1 ||
	    (msg->type != IMAP_ARG_LITERAL && msg->type != IMAP_ARG_STRING)) {
		free(keywords);
		imap_reply_bad(s, cmd->tag, "APPEND needs a message literal");
		return;
	}
	if ((name = mailbox_arg(s, cmd->tag, &args[0])) == NULL) {
		free(keywords);
		return;
	}
	j = mbop_job(s, cmd->tag, &o);
	o->name = name;
	/* the literal lives in the parser, untouched while the job runs */
	o->data = (const uint8_t *)msg->str;
	o->len = msg->len;
	o->flags = flags;
	o->keywords = keywords;
	o->date = date;
	if (s->state == IMAP_STATE_SELECTED) {
		j->want_sync = true;
		j->sync_expunge = true;
	}
	imap_job_submit(s, j, append_work, append_done);
}

/* --- CHECK, CLOSE, UNSELECT, EXPUNGE --- */

void
imap_cmd_check(struct imap_session *s, const struct imap_cmd *cmd,
               const struct imap_arg *args, size_t count, bool uid)
{
	imap_cmd_noop(s, cmd, args, count, uid);
}

static void
expunge_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct mbop *o = j->data;
	uint32_t *uids = NULL, star;
	size_t n = 0;

	o->rc = 1;
	if (store_message_list(db, j->mailbox_id, 0, &o->msgs, &o->count) < 0) {
		mbop_error(o, db);
		return;
	}
	star = o->count > 0 ? o->msgs[o->count - 1].uid : 0;
	uids = xreallocarray(NULL, o->count + 1, sizeof(*uids));
	for (size_t i = 0; i < o->count; i++) {
		if ((o->msgs[i].flags & STORE_F_DELETED) == 0)
			continue;
		if (o->has_set &&
		    !imap_seqset_contains(&o->set, o->msgs[i].uid, star))
			continue;
		uids[n++] = o->msgs[i].uid;
	}
	if (n > 0 && store_message_expunge(db, j->mailbox_id, uids, n) < 0)
		mbop_error(o, db);
	free(uids);
}

static void
expunge_done(struct imap_session *s, struct imap_job *j)
{
	struct mbop *o = j->data;

	if (o->rc < 0) {
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s", o->error);
		return;
	}
	if (o->flags) { /* CLOSE: silent, then deselect */
		j->want_sync = false;
		imap_session_unselect(s);
		imap_job_set_reply(j, "OK CLOSE completed");
		return;
	}
	imap_job_set_reply(j, "OK EXPUNGE completed");
}

void
imap_cmd_expunge(struct imap_session *s, const struct imap_cmd *cmd,
                 const struct imap_arg *args, size_t count, bool uid)
{
	struct mbop *o;
	struct imap_job *j;
	struct imap_seqset set = {0};

	if (count != (uid ? 1u : 0u)) {
		imap_reply_bad(s, cmd->tag, "Wrong number of arguments");
		return;
	}
	if (uid && imap_set_arg(s, cmd->tag, &args[0], &set) < 0)
		return;
	if (s->read_only) {
		imap_seqset_clear(&set);
		imap_reply_tagged(s, cmd->tag,
		                  "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	j = mbop_job(s, cmd->tag, &o);
	o->set = set;
	o->has_set = uid;
	j->want_sync = true;
	j->sync_expunge = true;
	imap_job_submit(s, j, expunge_work, expunge_done);
}

void
imap_cmd_close(struct imap_session *s, const struct imap_cmd *cmd,
               const struct imap_arg *args, size_t count, bool uid)
{
	struct mbop *o;
	struct imap_job *j;

	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "CLOSE takes no arguments");
		return;
	}
	if (s->read_only) {
		imap_session_unselect(s);
		imap_reply_tagged(s, cmd->tag, "OK CLOSE completed");
		return;
	}
	j = mbop_job(s, cmd->tag, &o);
	o->flags = 1;
	imap_job_submit(s, j, expunge_work, expunge_done);
}

void
imap_cmd_unselect(struct imap_session *s, const struct imap_cmd *cmd,
                  const struct imap_arg *args, size_t count, bool uid)
{
	(void)args;
	(void)uid;
	if (count != 0) {
		imap_reply_bad(s, cmd->tag, "UNSELECT takes no arguments");
		return;
	}
	imap_session_unselect(s);
	imap_reply_tagged(s, cmd->tag, "OK UNSELECT completed");
}
