/* SPDX-License-Identifier: MIT */
/*
 * imap_cmd_search.c - SEARCH and UID SEARCH with every RFC 3501 6.4.4 key,
 * CHARSET UTF-8/US-ASCII, and ESEARCH results (RFC 4731; always with
 * IMAP4rev2) with RETURN (MIN MAX COUNT ALL). The key list is parsed into a
 * tree on the loop thread (errors answer BAD); a store thread evaluates it
 * over the snapshot, reading a message's bytes only when a header or text
 * key needs them (text matching is mime_search). Keys on the header fields
 * the MIME index records (Subject, From, To, Cc, ...; see mime.h) and the
 * SENT* dates are answered from the index bytes the store keeps beside
 * each blob, without touching the message, unless the index cannot tell
 * (an older index, a value over its cap, a much repeated field).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/span.h"
#include "imap/imap_session.h"
#include "imap/imap_util.h"
#include "mime/mime.h"

#define MAX_DEPTH 32

enum skey_type {
	SK_ALL,
	SK_AND,
	SK_OR,
	SK_NOT,
	SK_FLAG,    /* flag set */
	SK_KEYWORD, /* keyword set */
	SK_RECENT,
	SK_SEQ,
	SK_UID,
	SK_LARGER,
	SK_SMALLER,
	SK_BEFORE,
	SK_ON,
	SK_SINCE,
	SK_SENTBEFORE,
	SK_SENTON,
	SK_SENTSINCE,
	SK_HEADER,
	SK_BODY,
	SK_TEXT,
};

struct skey {
	enum skey_type type;
	unsigned flag;
	char *field, *str;
	char *folded; /* str folded, when field is an indexed one */
	size_t folded_len;
	int64_t t;
	uint64_t n;
	struct imap_seqset set;
	struct skey *kids;
	size_t count;
};

struct search {
	struct skey root;
	bool uid, esearch;
	unsigned ret; /* RET_* */
	/* worker */
	uint32_t *hits;
	size_t hit_count;
};

enum { RET_MIN = 1, RET_MAX = 2, RET_COUNT = 4, RET_ALL = 8 };

static void
skey_clear(struct skey *k)
{
	for (size_t i = 0; i < k->count; i++)
		skey_clear(&k->kids[i]);
	free(k->kids);
	free(k->field);
	free(k->str);
	free(k->folded);
	imap_seqset_clear(&k->set);
}

static void
search_free(void *arg)
{
	struct search *se = arg;

	skey_clear(&se->root);
	free(se->hits);
	free(se);
}

struct sparse {
	const struct imap_arg *args;
	size_t count, pos;
	const char *error;
};

static struct skey *
kid_add(struct skey *k)
{
	k->kids = xreallocarray(k->kids, k->count + 1, sizeof(*k->kids));
	memset(&k->kids[k->count], 0, sizeof(*k->kids));
	return &k->kids[k->count++];
}

static const char *
next_str(struct sparse *p)
{
	const char *s;

	if (p->pos >= p->count ||
	    (s = imap_arg_astring(&p->args[p->pos])) == NULL) {
		p->error = "Missing search argument";
		return NULL;
	}
	p->pos++;
	return s;
}

static int parse_key(struct sparse *p, struct skey *k, unsigned depth);

/* header_fold - a header key on an indexed field gets its folded string,
 * which the index is searched with. */
static void
header_fold(struct skey *k)
{
	if (mime_index_field_indexed(k->field))
		k->folded = mime_search_fold(k->str, &k->folded_len);
}

/* parse_list - keys until the end of p, ANDed into k. */
static int
parse_list(struct sparse *p, struct skey *k, unsigned depth)
{
	k->type = SK_AND;
	while (p->pos < p->count) {
		if (parse_key(p, kid_add(k), depth) < 0)
			return -1;
	}
	if (k->count == 0) {
		p->error = "Empty search key list";
		return -1;
	}
	return 0;
}

static int
parse_key(struct sparse *p, struct skey *k, unsigned depth)
{
	static const struct {
		const char *name;
		unsigned flag;
		bool set;
	} flags[] = {
	    {"ANSWERED", STORE_F_ANSWERED, true},
	    {"DELETED", STORE_F_DELETED, true},
	    {"DRAFT", STORE_F_DRAFT, true},
	    {"FLAGGED", STORE_F_FLAGGED, true},
	    {"SEEN", STORE_F_SEEN, true},
	    {"UNANSWERED", STORE_F_ANSWERED, false},
	    {"UNDELETED", STORE_F_DELETED, false},
	    {"UNDRAFT", STORE_F_DRAFT, false},
	    {"UNFLAGGED", STORE_F_FLAGGED, false},
	    {"UNSEEN", STORE_F_SEEN, false},
	};
	static const struct {
		const char *name;
		enum skey_type type;
	} dates[] = {
	    {"BEFORE", SK_BEFORE}, {"ON", SK_ON},
	    {"SINCE", SK_SINCE},   {"SENTBEFORE", SK_SENTBEFORE},
	    {"SENTON", SK_SENTON}, {"SENTSINCE", SK_SENTSINCE},
	};
	static const char *const hdrs[] = {"FROM", "TO", "CC", "BCC",
	                                   "SUBJECT"};
	const struct imap_arg *a;
	const char *w, *s;

	if (depth > MAX_DEPTH) {
		p->error = "Search keys nested too deeply";
		return -1;
	}
	if (p->pos >= p->count) {
		p->error = "Missing search key";
		return -1;
	}
	a = &p->args[p->pos++];
	if (a->type == IMAP_ARG_LIST) {
		struct sparse sub = {.args = a->list, .count = a->count};
		if (parse_list(&sub, k, depth + 1) < 0) {
			p->error = sub.error;
			return -1;
		}
		return 0;
	}
	if ((w = imap_arg_atom(a)) == NULL) {
		p->error = "Invalid search key";
		return -1;
	}
	for (size_t i = 0; i < N_ELEMENTS(flags); i++) {
		if (strcasecmp(w, flags[i].name) != 0)
			continue;
		if (flags[i].set) {
			k->type = SK_FLAG;
			k->flag = flags[i].flag;
			return 0;
		}
		k->type = SK_NOT;
		struct skey *f = kid_add(k);
		f->type = SK_FLAG;
		f->flag = flags[i].flag;
		return 0;
	}
	for (size_t i = 0; i < N_ELEMENTS(dates); i++) {
		if (strcasecmp(w, dates[i].name) != 0)
			continue;
		k->type = dates[i].type;
		if ((s = next_str(p)) == NULL)
			return -1;
		if (imap_date_parse(s, &k->t) < 0) {
			p->error = "Invalid date";
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < N_ELEMENTS(hdrs); i++) {
		if (strcasecmp(w, hdrs[i]) != 0)
			continue;
		k->type = SK_HEADER;
		k->field = xstrdup(hdrs[i]);
		if ((s = next_str(p)) == NULL)
			return -1;
		k->str = xstrdup(s);
		header_fold(k);
		return 0;
	}
	if (strcasecmp(w, "ALL") == 0) {
		k->type = SK_ALL;
	} else if (strcasecmp(w, "RECENT") == 0) {
		k->type = SK_RECENT;
	} else if (strcasecmp(w, "NEW") == 0) {
		/* RECENT UNSEEN */
		k->type = SK_AND;
		kid_add(k)->type = SK_RECENT;
		struct skey *n = kid_add(k);
		n->type = SK_NOT;
		struct skey *f = kid_add(n);
		f->type = SK_FLAG;
		f->flag = STORE_F_SEEN;
	} else if (strcasecmp(w, "OLD") == 0) {
		k->type = SK_NOT;
		kid_add(k)->type = SK_RECENT;
	} else if (strcasecmp(w, "NOT") == 0) {
		k->type = SK_NOT;
		return parse_key(p, kid_add(k), depth + 1);
	} else if (strcasecmp(w, "OR") == 0) {
		k->type = SK_OR;
		if (parse_key(p, kid_add(k), depth + 1) < 0)
			return -1;
		return parse_key(p, kid_add(k), depth + 1);
	} else if (strcasecmp(w, "KEYWORD") == 0 ||
	           strcasecmp(w, "UNKEYWORD") == 0) {
		struct skey *kk = k;
		if (strcasecmp(w, "UNKEYWORD") == 0) {
			k->type = SK_NOT;
			kk = kid_add(k);
		}
		kk->type = SK_KEYWORD;
		if ((s = next_str(p)) == NULL)
			return -1;
		kk->str = xstrdup(s);
	} else if (strcasecmp(w, "LARGER") == 0 ||
	           strcasecmp(w, "SMALLER") == 0) {
		k->type = strcasecmp(w, "LARGER") == 0 ? SK_LARGER : SK_SMALLER;
		if ((s = next_str(p)) == NULL)
			return -1;
		struct span sp = span_from_cstr(s);
		if (span_u64(&sp, &k->n, UINT64_MAX) < 0 || sp.len != 0) {
			p->error = "Invalid number";
			return -1;
		}
	} else if (strcasecmp(w, "HEADER") == 0) {
		k->type = SK_HEADER;
		if ((s = next_str(p)) == NULL)
			return -1;
		k->field = xstrdup(s);
		if ((s = next_str(p)) == NULL)
			return -1;
		k->str = xstrdup(s);
		header_fold(k);
	} else if (strcasecmp(w, "BODY") == 0 || strcasecmp(w, "TEXT") == 0) {
		k->type = strcasecmp(w, "BODY") == 0 ? SK_BODY : SK_TEXT;
		if ((s = next_str(p)) == NULL)
			return -1;
		k->str = xstrdup(s);
	} else if (strcasecmp(w, "UID") == 0) {
		k->type = SK_UID;
		if ((s = next_str(p)) == NULL)
			return -1;
		if (imap_seqset_parse(s, &k->set) < 0) {
			p->error = "Invalid UID set";
			return -1;
		}
	} else if (imap_seqset_parse(w, &k->set) == 0) {
		k->type = SK_SEQ;
	} else {
		p->error = "Unknown search key";
		return -1;
	}
	return 0;
}

/* --- evaluation (store thread) --- */

struct eval {
	struct store_db *db;
	const struct imap_job *j;
	const struct store_message *m;
	const struct store_blob *b;
	const uint8_t *meta; /* the MIME index bytes, or NULL */
	size_t meta_len;
	uint32_t seq, max_seq, max_uid;
	/* loaded on demand: the message (or its header), mapped or read */
	const uint8_t *raw;
	size_t raw_len;
	uint8_t *own; /* raw when read (freed after the message) */
	bool raw_tried, raw_whole;
	int64_t sent;
	bool sent_done;
};

/* read_at - pread exactly len bytes at off into p. */
static bool
read_at(const struct store_blob *b, uint8_t *p, uint64_t off, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = pread(b->fd, p + got, len - got,
		                  (off_t)(b->off + off + got));
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* load_raw - the whole message: mapped, else read. */
static bool
load_raw(struct eval *e)
{
	const uint8_t *p;

	if (e->raw_whole)
		return true;
	if (e->raw_tried && e->raw == NULL)
		return false;
	e->raw_tried = true;
	xfree(&e->own);
	e->raw = NULL;
	e->raw_len = 0;
	if (e->b == NULL)
		return false;
	if ((p = store_blob_map(e->db, e->b)) != NULL) {
		e->raw = p;
	} else {
		e->own = xmalloc(e->b->size > 0 ? (size_t)e->b->size : 1);
		if (!read_at(e->b, e->own, 0, (size_t)e->b->size)) {
			xfree(&e->own);
			return false;
		}
		e->raw = e->own;
	}
	e->raw_len = (size_t)e->b->size;
	e->raw_whole = true;
	return true;
}

/* header_done - the top-level header block (as mime's parser delimits it:
 * up to an empty line, or one holding only CR, ended by LF) lies within
 * p[0, n). */
static bool
header_done(const uint8_t *p, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t eol;

		if (nl == NULL)
			return false;
		eol = (size_t)(nl - p);
		if (eol == pos || (eol == pos + 1 && p[pos] == '\r'))
			return true;
		pos = eol + 1;
	}
	return false;
}

/*
 * load_header - enough of the message for header keys: a prefix that holds
 * the whole header block (header matching never looks past it), read in a
 * small first step and a larger second one, else the whole message.
 */
static bool
load_header(struct eval *e)
{
	static const size_t steps[] = {2048, 64 * 1024};

	if (e->raw_tried)
		return e->raw != NULL;
	if (e->b == NULL) {
		e->raw_tried = true;
		return false;
	}
	if (store_blob_map(e->db, e->b) != NULL)
		return load_raw(e); /* mapped: no bytes copied at all */
	for (size_t i = 0; i < N_ELEMENTS(steps); i++) {
		size_t n = steps[i];
		if (n >= e->b->size)
			break;
		e->own = xreallocarray(e->own, n, 1);
		if (!read_at(e->b, e->own, 0, n)) {
			e->raw_tried = true;
			xfree(&e->own);
			return false;
		}
		if (header_done(e->own, n)) {
			e->raw_tried = true;
			e->raw = e->own;
			e->raw_len = n;
			return true;
		}
	}
	return load_raw(e);
}

static int64_t
day_of(int64_t t, int tz_min)
{
	int64_t local = t + tz_min * 60;
	int64_t d = local / 86400;

	if (local % 86400 < 0)
		d--;
	return d * 86400;
}

/* sent_day - the day of the Date field (from the index when it can
 * tell), else of the internal date. */
static int64_t
sent_day(struct eval *e)
{
	char *date = NULL;
	int64_t t;
	int tz;

	if (e->sent_done)
		return e->sent;
	e->sent_done = true;
	e->sent = day_of(e->m->internaldate, e->m->tz_offset_min);
	if (mime_index_header_first(e->meta, e->meta_len, "Date", &date) < 0 &&
	    load_header(e))
		date = mime_header_get(e->raw, e->raw_len, "Date");
	if (date != NULL && mime_date_parse(date, &t, &tz) == 0)
		e->sent = day_of(t, tz);
	free(date);
	return e->sent;
}

static bool
eval_key(struct eval *e, const struct skey *k)
{
	const struct store_message *m = e->m;

	switch (k->type) {
	case SK_ALL:
		return true;
	case SK_AND:
		for (size_t i = 0; i < k->count; i++) {
			if (!eval_key(e, &k->kids[i]))
				return false;
		}
		return true;
	case SK_OR:
		return eval_key(e, &k->kids[0]) || eval_key(e, &k->kids[1]);
	case SK_NOT:
		return !eval_key(e, &k->kids[0]);
	case SK_FLAG:
		return (m->flags & k->flag) != 0;
	case SK_KEYWORD:
		return imap_keyword_has(m->keywords, k->str);
	case SK_RECENT:
		return m->uid >= e->j->recent_min_uid;
	case SK_SEQ:
		return imap_seqset_contains(&k->set, e->seq, e->max_seq);
	case SK_UID:
		return imap_seqset_contains(&k->set, m->uid, e->max_uid);
	case SK_LARGER:
		return m->size > k->n;
	case SK_SMALLER:
		return m->size < k->n;
	case SK_BEFORE:
		return day_of(m->internaldate, m->tz_offset_min) < k->t;
	case SK_ON:
		return day_of(m->internaldate, m->tz_offset_min) == k->t;
	case SK_SINCE:
		return day_of(m->internaldate, m->tz_offset_min) >= k->t;
	case SK_SENTBEFORE:
		return sent_day(e) < k->t;
	case SK_SENTON:
		return sent_day(e) == k->t;
	case SK_SENTSINCE:
		return sent_day(e) >= k->t;
	case SK_HEADER:
		if (k->folded != NULL) {
			int r = mime_index_header_match(e->meta, e->meta_len,
			                                k->field, k->folded,
			                                k->folded_len);
			if (r >= 0)
				return r == 1;
		}
		return load_header(e) &&
		       mime_search(e->raw, e->raw_len, MIME_SEARCH_HEADER,
		                   k->field, k->str);
	case SK_BODY:
		return load_raw(e) &&
		       mime_search(e->raw, e->raw_len, MIME_SEARCH_BODY, NULL,
		                   k->str);
	case SK_TEXT:
		return load_raw(e) &&
		       mime_search(e->raw, e->raw_len, MIME_SEARCH_TEXT, NULL,
		                   k->str);
	}
	return false;
}

/* needs_blob - whether evaluating k may read message bytes. */
static bool
needs_blob(const struct skey *k)
{
	switch (k->type) {
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
	case SK_HEADER:
	case SK_BODY:
	case SK_TEXT:
		return true;
	default:
		break;
	}
	for (size_t i = 0; i < k->count; i++) {
		if (needs_blob(&k->kids[i]))
			return true;
	}
	return false;
}

/* needs_meta - whether the MIME index may answer a key of k. */
static bool
needs_meta(const struct skey *k)
{
	switch (k->type) {
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		return true;
	case SK_HEADER:
		return k->folded != NULL;
	default:
		break;
	}
	for (size_t i = 0; i < k->count; i++) {
		if (needs_meta(&k->kids[i]))
			return true;
	}
	return false;
}

struct search_scan {
	struct store_db *db;
	struct imap_job *j;
	struct search *se;
	size_t pos; /* next entry of j->uids */
};

/* search_row - one message of the mailbox scan, if in the snapshot. */
static int
search_row(void *arg, const struct store_message *m, const struct store_blob *b,
           const uint8_t *meta, size_t meta_len)
{
	struct search_scan *sc = arg;
	struct imap_job *j = sc->j;
	struct search *se = sc->se;

	while (sc->pos < j->uid_count && j->uids[sc->pos] < m->uid)
		sc->pos++;
	if (sc->pos == j->uid_count)
		return -1;
	if (j->uids[sc->pos] != m->uid)
		return 0; /* arrived after the snapshot */
	size_t i = sc->pos++;
	struct eval e = {
	    .db = sc->db,
	    .j = j,
	    .m = m,
	    .b = b,
	    .meta = meta,
	    .meta_len = meta_len,
	    .seq = (uint32_t)(i + 1),
	    .max_seq = (uint32_t)j->uid_count,
	    .max_uid = j->uids[j->uid_count - 1],
	};
	if (eval_key(&e, &se->root))
		se->hits[se->hit_count++] =
		    se->uid ? m->uid : (uint32_t)(i + 1);
	free(e.own);
	return 0;
}

static void
search_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct search *se = j->data;
	struct search_scan sc = {.db = db, .j = j, .se = se};
	enum store_scan_what what = STORE_SCAN_MSG;

	if (needs_meta(&se->root))
		what = STORE_SCAN_META; /* blob locations too */
	else if (needs_blob(&se->root))
		what = STORE_SCAN_BLOB;

	se->hits = xreallocarray(NULL, j->uid_count + 1, sizeof(*se->hits));
	/* one query over the snapshot's uid range, with the index bytes and
	 * blob locations only when a key may need them */
	if (store_message_scan(db, j->mailbox_id, j->uids[0],
	                       j->uids[j->uid_count - 1], what, search_row,
	                       &sc) < 0) {
		xfree(&se->hits);
		se->hit_count = 0;
		imap_job_set_reply(j, "NO [UNAVAILABLE] %s",
		                   store_db_error(db));
		return;
	}
	imap_job_set_reply(j, "OK %sSEARCH completed", se->uid ? "UID " : "");
}

static void
search_done(struct imap_session *s, struct imap_job *j)
{
	struct search *se = j->data;
	struct buf out;
	int r = 0;

	(void)s;
	if (se->hits == NULL)
		return; /* failed: reply already set */
	buf_init(&out, (size_t)1 << 28);
	if (!se->esearch) {
		r |= buf_append_str(&out, "* SEARCH");
		for (size_t i = 0; i < se->hit_count; i++)
			r |= buf_printf(&out, " %u", se->hits[i]);
	} else {
		r |= buf_append_str(&out, "* ESEARCH (TAG ");
		if (imap_write_string(&out, j->tag, strlen(j->tag), false) < 0)
			r = -1;
		r |= buf_append_str(&out, ")");
		if (se->uid)
			r |= buf_append_str(&out, " UID");
		if (se->hit_count > 0 && (se->ret & RET_MIN))
			r |= buf_printf(&out, " MIN %u", se->hits[0]);
		if (se->hit_count > 0 && (se->ret & RET_MAX))
			r |= buf_printf(&out, " MAX %u",
			                se->hits[se->hit_count - 1]);
		if (se->ret & RET_COUNT)
			r |= buf_printf(&out, " COUNT %zu", se->hit_count);
		if (se->hit_count > 0 && (se->ret & RET_ALL)) {
			r |= buf_append_str(&out, " ALL ");
			for (size_t i = 0; i < se->hit_count;) {
				size_t k = i;
				while (k + 1 < se->hit_count &&
				       se->hits[k + 1] == se->hits[k] + 1)
					k++;
				if (k > i)
					r |= buf_printf(
					    &out, "%s%u:%u", i ? "," : "",
					    se->hits[i], se->hits[k]);
				else
					r |= buf_printf(&out, "%s%u",
					                i ? "," : "",
					                se->hits[i]);
				i = k + 1;
			}
		}
	}
	r |= buf_append_str(&out, "\r\n");
	if (r == 0)
		imap_job_write(j, buf_rptr(&out), buf_avail(&out));
	buf_clear(&out);
}

void
imap_cmd_search(struct imap_session *s, const struct imap_cmd *cmd,
                const struct imap_arg *args, size_t count, bool uid)
{
	struct search *se = xcalloc(1, sizeof(*se));
	struct sparse p = {.args = args, .count = count};
	struct imap_job *j;
	const char *w;

	se->uid = uid;
	se->esearch = s->rev2;
	if (p.pos < count && (w = imap_arg_atom(&args[p.pos])) != NULL &&
	    strcasecmp(w, "RETURN") == 0) {
		const struct imap_arg *opts = &args[p.pos + 1];
		if (p.pos + 1 >= count || opts->type != IMAP_ARG_LIST) {
			search_free(se);
			imap_reply_bad(s, cmd->tag, "RETURN needs a list");
			return;
		}
		se->esearch = true;
		for (size_t i = 0; i < opts->count; i++) {
			const char *o = imap_arg_atom(&opts->list[i]);
			if (o != NULL && strcasecmp(o, "MIN") == 0)
				se->ret |= RET_MIN;
			else if (o != NULL && strcasecmp(o, "MAX") == 0)
				se->ret |= RET_MAX;
			else if (o != NULL && strcasecmp(o, "COUNT") == 0)
				se->ret |= RET_COUNT;
			else if (o != NULL && strcasecmp(o, "ALL") == 0)
				se->ret |= RET_ALL;
			else {
				search_free(se);
				imap_reply_bad(s, cmd->tag,
				               "Unknown RETURN option");
				return;
			}
		}
		p.pos += 2;
	}
	if (se->ret == 0)
		se->ret = RET_ALL;
	if (p.pos < count && (w = imap_arg_atom(&args[p.pos])) != NULL &&
	    strcasecmp(w, "CHARSET") == 0) {
		const char *cs;
		if (p.pos + 1 >= count ||
		    (cs = imap_arg_astring(&args[p.pos + 1])) == NULL) {
			search_free(se);
			imap_reply_bad(s, cmd->tag, "CHARSET needs a name");
			return;
		}
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			search_free(se);
			imap_reply_tagged(s, cmd->tag,
			                  "NO [BADCHARSET (UTF-8 US-ASCII)] "
			                  "Unsupported charset");
			return;
		}
		p.pos += 2;
	}
	if (parse_list(&p, &se->root, 0) < 0) {
		search_free(se);
		imap_reply_bad(s, cmd->tag, p.error);
		return;
	}
	j = imap_job_new(s, cmd->tag);
	j->data = se;
	j->data_free = search_free;
	j->want_sync = true;
	j->sync_expunge = false;
	j->sync_lazy = true;
	if (j->uid_count == 0) {
		/* nothing to search: answer without a store round trip */
		se->hits = xmalloc(sizeof(*se->hits));
		imap_job_set_reply(j, "OK %sSEARCH completed",
		                   uid ? "UID " : "");
		imap_job_submit(s, j, NULL, search_done);
		return;
	}
	imap_job_submit(s, j, search_work, search_done);
}
