/* SPDX-License-Identifier: MIT */
/*
 * imap_cmd_fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2): the item
 * list is parsed on the loop thread (syntax errors answer BAD), the
 * messages are looked up on a store thread, which formats the small items
 * and leaves message bytes as blob ranges that the session streams with
 * pread as the connection drains, so a large body is never held in memory.
 * ENVELOPE, BODY and BODYSTRUCTURE come from the MIME index stored at
 * delivery; BODY[section] ranges from mime_section_range. A non-PEEK body
 * fetch sets \Seen unless the mailbox is read-only.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "imap/imap_session.h"
#include "imap/imap_util.h"
#include "mime/mime.h"

#define MAX_SECTIONS 64
#define MAX_FIELDS 128
#define MAX_HEADER_READ (1024 * 1024)
/* Messages formatted per worker run of a FETCH (see fetch_work). */
#define FETCH_BATCH 1000

enum {
	F_FLAGS = 1 << 0,
	F_UID = 1 << 1,
	F_INTERNALDATE = 1 << 2,
	F_SIZE = 1 << 3,
	F_ENVELOPE = 1 << 4,
	F_BODY = 1 << 5,
	F_BODYSTRUCTURE = 1 << 6,
};

struct fetch_section {
	char *label; /* e.g. "BODY[HEADER.FIELDS (From)]<0>" */
	char *spec;  /* for mime_section_range */
	char **fields;
	size_t field_count;
	bool fields_mode, is_not, peek, partial;
	uint64_t p_start, p_len;
};

struct fetch {
	unsigned items;
	struct fetch_section sections[MAX_SECTIONS];
	size_t section_count;
	bool set_seen; /* a non-peek body section */
	bool uid;
	struct imap_seqset set;
	/* worker */
	size_t *idx;
	size_t idx_count;
	size_t next; /* f->idx entries done by earlier runs */
	uint32_t *seen_uids;
	size_t seen_count;
};

static void
fetch_free(void *arg)
{
	struct fetch *f = arg;

	for (size_t i = 0; i < f->section_count; i++) {
		struct fetch_section *sec = &f->sections[i];
		free(sec->label);
		free(sec->spec);
		for (size_t k = 0; k < sec->field_count; k++)
			free(sec->fields[k]);
		free(sec->fields);
	}
	imap_seqset_clear(&f->set);
	free(f->idx);
	free(f->seen_uids);
	free(f);
}

/* parse_fields - "(A B "C")" after HEADER.FIELDS[.NOT] */
static int
parse_fields(const char *s, struct fetch_section *sec)
{
	if (*s++ != ' ' || *s++ != '(')
		return -1;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == ')')
			break;
		const char *start = s;
		if (*s == '"') {
			start = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			if (*s != '"')
				return -1;
		} else {
			while (*s > ' ' && *s < 0x7f && *s != ')' &&
			       *s != '(' && *s != ':')
				s++;
		}
		if (s == start || sec->field_count >= MAX_FIELDS)
			return -1;
		sec->fields = xreallocarray(sec->fields, sec->field_count + 1,
		                            sizeof(*sec->fields));
		sec->fields[sec->field_count++] =
		    xstrndup(start, (size_t)(s - start));
		if (*s == '"')
			s++;
		if (*s != ' ' && *s != ')')
			return -1;
	}
	if (sec->field_count == 0 || s[1] != '\0')
		return -1;
	return 0;
}

/* parse_section - text between the brackets. */
static int
parse_section(const char *s, size_t len, struct fetch_section *sec)
{
	char *text = xstrndup(s, len);
	const char *p = text;
	int r = -1;
	bool part = false;

	/* part numbers */
	while (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		part = true;
		if (*p == '\0')
			goto ok;
		if (*p != '.')
			goto out;
		p++;
	}
	if (part && p[-1] != '.')
		goto out;
	if (*p == '\0' && !part)
		goto ok;
	if (strcasecmp(p, "HEADER") == 0 || strcasecmp(p, "TEXT") == 0 ||
	    (part && strcasecmp(p, "MIME") == 0))
		goto ok;
	if (strncasecmp(p, "HEADER.FIELDS.NOT", 17) == 0) {
		sec->is_not = true;
		sec->fields_mode = true;
		if (parse_fields(p + 17, sec) < 0)
			goto out;
		/* the range is the header of that part */
		sec->spec = xasprintf("%.*sHEADER", (int)(p - text), text);
		r = 0;
		goto out;
	}
	if (strncasecmp(p, "HEADER.FIELDS", 13) == 0) {
		sec->fields_mode = true;
		if (parse_fields(p + 13, sec) < 0)
			goto out;
		sec->spec = xasprintf("%.*sHEADER", (int)(p - text), text);
		r = 0;
	}
	goto out;
ok:
	sec->spec = xstrdup(text);
	for (char *c = sec->spec; *c != '\0'; c++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	}
	r = 0;
out:
	free(text);
	return r;
}

/* parse_item - one fetch attribute. */
static int
parse_item(struct fetch *f, const char *item)
{
	static const struct {
		const char *name;
		unsigned bits;
	} simple[] = {
	    {"FLAGS", F_FLAGS},
	    {"UID", F_UID},
	    {"INTERNALDATE", F_INTERNALDATE},
	    {"RFC822.SIZE", F_SIZE},
	    {"ENVELOPE", F_ENVELOPE},
	    {"BODY", F_BODY},
	    {"BODYSTRUCTURE", F_BODYSTRUCTURE},
	    {"ALL", F_FLAGS | F_INTERNALDATE | F_SIZE | F_ENVELOPE},
	    {"FAST", F_FLAGS | F_INTERNALDATE | F_SIZE},
	    {"FULL", F_FLAGS | F_INTERNALDATE | F_SIZE | F_ENVELOPE | F_BODY},
	};
	struct fetch_section *sec;
	const char *br;
	bool peek = false;

	for (size_t i = 0; i < N_ELEMENTS(simple); i++) {
		if (strcasecmp(item, simple[i].name) == 0) {
			f->items |= simple[i].bits;
			return 0;
		}
	}
	if (f->section_count >= MAX_SECTIONS)
		return -1;
	sec = &f->sections[f->section_count];
	memset(sec, 0, sizeof(*sec));
	if (strcasecmp(item, "RFC822") == 0) {
		sec->label = xstrdup("RFC822");
		sec->spec = xstrdup("");
		goto added;
	}
	if (strcasecmp(item, "RFC822.HEADER") == 0) {
		sec->label = xstrdup("RFC822.HEADER");
		sec->spec = xstrdup("HEADER");
		sec->peek = true;
		goto added;
	}
	if (strcasecmp(item, "RFC822.TEXT") == 0) {
		sec->label = xstrdup("RFC822.TEXT");
		sec->spec = xstrdup("TEXT");
		goto added;
	}
	if (strncasecmp(item, "BODY.PEEK[", 10) == 0) {
		peek = true;
		br = item + 9;
	} else if (strncasecmp(item, "BODY[", 5) == 0) {
		br = item + 4;
	} else {
		return -1;
	}
	const char *close = strrchr(br, ']');
	if (close == NULL)
		return -1;
	f->section_count++; /* so fetch_free frees a half-parsed one */
	if (parse_section(br + 1, (size_t)(close - br - 1), sec) < 0)
		return -1;
	f->section_count--;
	sec->peek = peek;
	const char *rest = close + 1;
	if (*rest == '<') {
		uint64_t a = 0, b = 0;
		const char *p = rest + 1;
		if (*p < '0' || *p > '9')
			goto bad_partial;
		while (*p >= '0' && *p <= '9' && a < UINT32_MAX)
			a = a * 10 + (uint64_t)(*p++ - '0');
		if (*p++ != '.' || *p < '1' || *p > '9')
			goto bad_partial;
		while (*p >= '0' && *p <= '9' && b < UINT32_MAX)
			b = b * 10 + (uint64_t)(*p++ - '0');
		if (*p++ != '>' || *p != '\0' || a > UINT32_MAX ||
		    b > UINT32_MAX)
			goto bad_partial;
		sec->partial = true;
		sec->p_start = a;
		sec->p_len = b;
	} else if (*rest != '\0') {
		goto bad_partial;
	}
	/* the label echoes the section as asked, without PEEK */
	if (sec->partial)
		sec->label =
		    xasprintf("BODY[%.*s]<%llu>", (int)(close - br - 1), br + 1,
		              (unsigned long long)sec->p_start);
	else
		sec->label =
		    xasprintf("BODY[%.*s]", (int)(close - br - 1), br + 1);
added:
	if (!sec->peek)
		f->set_seen = true;
	f->section_count++;
	return 0;
bad_partial:
	f->section_count++;
	return -1;
}

/* read_range - pread exactly len bytes (allocated) or NULL. */
static uint8_t *
read_range(const struct store_blob *b, uint64_t off, uint64_t len)
{
	uint8_t *data = xmalloc(len > 0 ? (size_t)len : 1);
	uint64_t got = 0;

	while (got < len) {
		ssize_t r = pread(b->fd, data + got, (size_t)(len - got),
		                  (off_t)(b->off + off + got));
		if (r <= 0) {
			free(data);
			return NULL;
		}
		got += (uint64_t)r;
	}
	return data;
}

static struct mime_index *
load_index(const struct store_blob *b, const uint8_t *meta, size_t meta_len)
{
	struct mime_index *idx = NULL;

	if (meta != NULL)
		idx = mime_index_load(meta, meta_len);
	if (idx == NULL) {
		uint8_t *raw = read_range(b, 0, b->size);
		if (raw != NULL)
			idx = mime_index_parse(raw, (size_t)b->size);
		free(raw);
	}
	return idx;
}

static void
write_section(struct imap_job *j, const struct fetch_section *sec,
              const struct mime_index *idx, const struct store_blob *b)
{
	uint64_t off = 0, len = b->size;

	imap_job_printf(j, "%s ", sec->label);
	if (sec->spec[0] != '\0') {
		if (idx == NULL ||
		    mime_section_range(idx, sec->spec, &off, &len) < 0) {
			imap_job_printf(j, "\"\"");
			return;
		}
	}
	if (off > b->size || len > b->size - off) {
		imap_job_printf(j, "\"\"");
		return;
	}
	if (sec->fields_mode) {
		struct buf out;
		uint8_t *hdr;
		if (len > MAX_HEADER_READ)
			len = MAX_HEADER_READ;
		hdr = read_range(b, off, len);
		buf_init(&out, MAX_HEADER_READ + 2);
		if (hdr == NULL ||
		    mime_header_filter(hdr, (size_t)len,
		                       (const char *const *)sec->fields,
		                       sec->field_count, sec->is_not, &out) < 0)
			buf_reset(&out);
		free(hdr);
		const uint8_t *p = buf_rptr(&out);
		size_t n = buf_avail(&out);
		if (sec->partial) {
			size_t st = sec->p_start < n ? (size_t)sec->p_start : n;
			p += st;
			n -= st;
			if (n > sec->p_len)
				n = (size_t)sec->p_len;
		}
		imap_job_printf(j, "{%zu}\r\n", n);
		imap_job_write(j, p, n);
		buf_clear(&out);
		return;
	}
	if (sec->partial) {
		if (sec->p_start >= len) {
			len = 0;
		} else {
			off += sec->p_start;
			len -= sec->p_start;
			if (len > sec->p_len)
				len = sec->p_len;
		}
	}
	imap_job_printf(j, "{%llu}\r\n", (unsigned long long)len);
	imap_job_blob(j, b->fd, b->off + off, len);
}

/* the state of one fetch_work scan */
struct fetch_scan {
	struct store_db *db;
	struct imap_job *j;
	struct fetch *f;
	size_t pos, end; /* next entry of f->idx, and the end of the run */
	struct buf tmp;
	bool need_idx;
	bool seen_pass; /* collecting messages to mark \Seen */
	uint32_t *todo; /* seen_pass: uids to mark */
	size_t todo_count;
};

static bool
uid_in(const uint32_t *uids, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (uids[mid] == uid)
			return true;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* fetch_row - one message of the scan: skip it unless asked for. */
static int
fetch_row(void *arg, const struct store_message *m, const struct store_blob *b,
          const uint8_t *meta, size_t meta_len)
{
	struct fetch_scan *sc = arg;
	struct imap_job *j = sc->j;
	struct fetch *f = sc->f;
	struct mime_index *idx = NULL;
	unsigned items = f->items, flags = m->flags;
	const char *sp = "";
	struct buf *out = &sc->tmp;
	size_t seq;

	while (sc->pos < sc->end && j->uids[f->idx[sc->pos]] < m->uid)
		sc->pos++;
	if (sc->pos == sc->end)
		return -1; /* past the last one asked for */
	if (j->uids[f->idx[sc->pos]] != m->uid)
		return 0;
	seq = f->idx[sc->pos] + 1;
	sc->pos++;
	if (sc->seen_pass) {
		if ((m->flags & STORE_F_SEEN) == 0) {
			sc->todo = xreallocarray(sc->todo, sc->todo_count + 1,
			                         sizeof(*sc->todo));
			sc->todo[sc->todo_count++] = m->uid;
		}
		return 0;
	}
	if (f->seen_count > 0 && uid_in(f->seen_uids, f->seen_count, m->uid)) {
		/* marked \Seen by this command: report the new FLAGS */
		flags |= STORE_F_SEEN;
		items |= F_FLAGS;
	}
	if (sc->need_idx)
		idx = load_index(b, meta, meta_len);
	buf_reset(out);
	int r = buf_printf(out, "* %zu FETCH (", seq);
	if (f->uid || (items & F_UID)) {
		r |= buf_printf(out, "UID %u", m->uid);
		sp = " ";
	}
	if (items & F_FLAGS) {
		r |= buf_printf(out, "%sFLAGS (", sp);
		if (imap_flags_write(out, flags, m->keywords,
		                     m->uid >= j->recent_min_uid) < 0)
			r = -1;
		r |= buf_append_str(out, ")");
		sp = " ";
	}
	if (items & F_INTERNALDATE) {
		r |= buf_printf(out, "%sINTERNALDATE ", sp);
		if (imap_datetime_write(out, m->internaldate,
		                        m->tz_offset_min) < 0)
			r = -1;
		sp = " ";
	}
	if (items & F_SIZE) {
		r |= buf_printf(out, "%sRFC822.SIZE %llu", sp,
		                (unsigned long long)m->size);
		sp = " ";
	}
	if (items & F_ENVELOPE) {
		r |= buf_printf(out, "%sENVELOPE ", sp);
		r |=
		    buf_append_str(out, idx ? mime_index_envelope(idx) : "NIL");
		sp = " ";
	}
	if (items & F_BODY) {
		r |= buf_printf(out, "%sBODY ", sp);
		r |= buf_append_str(out, idx ? mime_index_body(idx) : "NIL");
		sp = " ";
	}
	if (items & F_BODYSTRUCTURE) {
		r |= buf_printf(out, "%sBODYSTRUCTURE ", sp);
		r |= buf_append_str(out, idx ? mime_index_bodystructure(idx)
		                             : "NIL");
		sp = " ";
	}
	if (f->section_count > 0) {
		/* sections add blob pieces: flush the text so far first */
		imap_job_write(j, buf_rptr(out), buf_avail(out));
		buf_reset(out);
		for (size_t k = 0; k < f->section_count; k++) {
			imap_job_write(j, sp, strlen(sp));
			write_section(j, &f->sections[k], idx, b);
			sp = " ";
		}
	}
	r |= buf_append_str(out, ")\r\n");
	if (r < 0)
		log_warnx("imap fetch: uid %u: response too large", m->uid);
	imap_job_write(j, buf_rptr(out), buf_avail(out));
	mime_index_free(&idx);
	return 0;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* fetch_range - scan the messages f->idx[start, end) names: all in one
 * query when they are dense in the mailbox, else one (point) query per
 * message. */
static int
fetch_range(struct fetch_scan *sc, enum store_scan_what what, size_t start,
            size_t end)
{
	struct imap_job *j = sc->j;
	struct fetch *f = sc->f;
	uint32_t lo, hi;

	if (start >= end)
		return 0;
	lo = j->uids[f->idx[start]];
	hi = j->uids[f->idx[end - 1]];
	sc->pos = start;
	sc->end = end;
	if (f->idx[end - 1] - f->idx[start] + 1 <= (end - start) * 4)
		return store_message_scan(sc->db, j->mailbox_id, lo, hi, what,
		                          fetch_row, sc);
	for (size_t i = start; i < end; i++) {
		uint32_t uid = j->uids[f->idx[i]];
		sc->pos = i;
		if (store_message_scan(sc->db, j->mailbox_id, uid, uid, what,
		                       fetch_row, sc) < 0)
			return -1;
	}
	return 0;
}

/* fetch_seen - set \Seen on the messages asked for that lack it, before
 * any output (no writes while a scan's query runs). */
static int
fetch_seen(struct fetch_scan *sc)
{
	struct imap_job *j = sc->j;
	struct fetch *f = sc->f;

	sc->seen_pass = true;
	if (fetch_range(sc, STORE_SCAN_MSG, 0, f->idx_count) < 0)
		return -1;
	sc->seen_pass = false;
	for (size_t i = 0; i < sc->todo_count; i++) {
		struct store_message m;
		int r =
		    store_message_get(sc->db, j->mailbox_id, sc->todo[i], &m);
		if (r < 0)
			return -1;
		if (r == 0 || (m.flags & STORE_F_SEEN) != 0) {
			store_message_clear(&m);
			continue;
		}
		if (store_message_set_flags(sc->db, j->mailbox_id, m.uid,
		                            m.flags | STORE_F_SEEN,
		                            m.keywords) == 0) {
			f->seen_uids =
			    xreallocarray(f->seen_uids, f->seen_count + 1,
			                  sizeof(*f->seen_uids));
			f->seen_uids[f->seen_count++] = m.uid;
		}
		store_message_clear(&m);
	}
	if (f->seen_count > 1)
		qsort(f->seen_uids, f->seen_count, sizeof(*f->seen_uids),
		      uid_cmp);
	return 0;
}

/*
 * fetch_work - one run formats up to FETCH_BATCH messages and asks to be
 * run again (j->more) for the rest: the session streams each batch while
 * the next one is formatted, so the client reads from the first moment
 * and a large FETCH never holds all its text at once.
 */
static void
fetch_work(struct store_db *db, void *arg)
{
	struct imap_job *j = arg;
	struct fetch *f = j->data;
	struct fetch_scan sc = {.db = db, .j = j, .f = f};
	enum store_scan_what what = STORE_SCAN_MSG;
	size_t end;

	j->more = false;
	sc.need_idx = (f->items & (F_ENVELOPE | F_BODY | F_BODYSTRUCTURE)) != 0;
	for (size_t k = 0; k < f->section_count; k++) {
		if (f->sections[k].spec[0] != '\0')
			sc.need_idx = true;
	}
	if (f->section_count > 0)
		what = STORE_SCAN_BLOB;
	if (sc.need_idx)
		what = STORE_SCAN_META;
	if (f->next == 0 && f->set_seen && !j->read_only && fetch_seen(&sc) < 0)
		goto fail;
	end = f->idx_count - f->next > FETCH_BATCH ? f->next + FETCH_BATCH
	                                           : f->idx_count;
	buf_init(&sc.tmp, 16 * 1024 * 1024);
	if (fetch_range(&sc, what, f->next, end) < 0) {
		buf_clear(&sc.tmp);
		goto fail;
	}
	buf_clear(&sc.tmp);
	free(sc.todo);
	f->next = end;
	if (f->next < f->idx_count) {
		j->more = true;
		return;
	}
	imap_job_set_reply(j, "OK %sFETCH completed", f->uid ? "UID " : "");
	return;
fail:
	free(sc.todo);
	imap_job_set_reply(j, "NO [UNAVAILABLE] %s", store_db_error(db));
}

static void
fetch_done(struct imap_session *s, struct imap_job *j)
{
	struct fetch *f = j->data;

	(void)s;
	/* the FLAGS we sent for \Seen need no unsolicited repeat */
	j->skip_uids = f->seen_uids;
	j->skip_count = f->seen_count;
	f->seen_uids = NULL;
}

void
imap_cmd_fetch(struct imap_session *s, const struct imap_cmd *cmd,
               const struct imap_arg *args, size_t count, bool uid)
{
	struct fetch *f;
	struct imap_job *j;
	const struct imap_arg *items;
	size_t n;

	if (count < 2) {
		imap_reply_bad(s, cmd->tag, "FETCH sequence-set items");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->uid = uid;
	if (imap_set_arg(s, cmd->tag, &args[0], &f->set) < 0) {
		fetch_free(f);
		return;
	}
	items = &args[1];
	n = count - 1; /* lenient: several items without parentheses */
	if (count == 2 && items->type == IMAP_ARG_LIST) {
		n = items->count;
		items = items->list;
	}
	for (size_t i = 0; i < n; i++) {
		const char *it = imap_arg_atom(&items[i]);
		if (it == NULL || parse_item(f, it) < 0) {
			fetch_free(f);
			imap_reply_bad(s, cmd->tag, "Invalid FETCH item");
			return;
		}
	}
	if (n == 0) {
		fetch_free(f);
		imap_reply_bad(s, cmd->tag, "Empty FETCH item list");
		return;
	}
	j = imap_job_new(s, cmd->tag);
	j->data = f;
	j->data_free = fetch_free;
	if (imap_set_resolve(j, &f->set, uid, &f->idx, &f->idx_count) < 0) {
		imap_job_free(j);
		imap_reply_bad(s, cmd->tag, "Invalid message sequence number");
		return;
	}
	j->want_sync = true;
	j->sync_expunge = false;
	j->sync_lazy = !f->set_seen || j->read_only;
	imap_job_submit(s, j, fetch_work, fetch_done);
}
