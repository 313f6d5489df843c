/* SPDX-License-Identifier: MIT */
/*
 * cmd_read.c - `outpost read`: a command-line mail reader over IMAP with
 * TLS. --list prints one line per message (number, date, sender, subject),
 * --show N prints a message's main headers and its text decoded to UTF-8
 * followed by its attachments, --save-attachments N DIR writes those
 * attachments decoded into DIR. The mailbox is opened with EXAMINE and
 * fetched with BODY.PEEK, so reading changes no flags.
 *
 * Everything from the server is untrusted: replies are bounded by the
 * configuration's IMAP limits (imap_client.c), the message structure comes
 * from our own bounded MIME parser, control characters never reach the
 * terminal, and attachment names are reduced to one safe path component
 * created with O_EXCL|O_NOFOLLOW beneath DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/imap_client.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/mem.h"
#include "core/passwd.h"
#include "mime/mime.h"

/* Limits when no configuration can be read (the conf defaults). */
#define READ_DEFAULT_MAX_LINE (64 * 1024)
#define READ_DEFAULT_MAX_LITERAL (64 * 1024 * 1024)
#define READ_MAX_PARTS 1000
#define READ_MAX_NAME 200

static const char usage_read[] =
    "usage: outpost read [-c CONFIG] [--host H] [--port P] [--starttls|--tls]\n"
    "                    [--insecure] --user ADDRESS [--mailbox M]\n"
    "                    --list | --show N | --save-attachments N DIR\n"
    "\n"
    "Reads mail over IMAP. The password comes from $OUTPOST_PASSWORD or is\n"
    "asked for. Defaults: --host 127.0.0.1, --tls, --port from the first\n"
    "imaps_listen (imap_listen with --starttls) entry of the config, else\n"
    "993 (143). --insecure skips the server certificate check.\n"
    "  --list                  one line per message: number, date, from,\n"
    "                          subject\n"
    "  --show N                headers, the text part and the attachments\n"
    "  --save-attachments N DIR  write message N's attachments into DIR\n";

struct part {
	char section[64];
	char *type; /* "text/plain", lower case */
	char *charset;
	char *encoding;
	char *filename;
	bool is_attachment;
};

struct parts {
	struct part *v;
	size_t count;
};

/* --- output hygiene --- */

/* put_safe - write text, control characters (not UTF-8) shown as '?' */
static void
put_safe(FILE *f, const char *s, bool keep_newlines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		unsigned char ch = *p;
		if (ch == '\n' && keep_newlines)
			fputc('\n', f);
		else if (ch == '\t')
			fputc(keep_newlines ? '\t' : ' ', f);
		else if (ch == '\r' && keep_newlines)
			continue;
		else if (ch < 0x20 || ch == 0x7f)
			fputc('?', f);
		else
			fputc(ch, f);
	}
}

/* --- charset conversion --- */

/* to_utf8 - convert in (charset) to UTF-8, appended to out; unknown
 * charsets and invalid bytes pass through as they are */
static void
to_utf8(const uint8_t *in, size_t len, const char *charset, struct buf *out)
{
	iconv_t cd;
	char *ip = (char *)(uintptr_t)in; /* iconv's API is not const */
	size_t ileft = len;

	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    (cd = iconv_open("UTF-8", charset)) == (iconv_t)-1) {
		/* at out's maximum the text is left out */
		if (buf_append(out, in, len) < 0)
			cli_err("text too long to show");
		return;
	}
	while (ileft > 0) {
		uint8_t *w = buf_reserve(out, ileft * 4 + 16);
		char *op = (char *)w;
		size_t oleft = ileft * 4 + 16, r;

		if (w == NULL)
			break;
		size_t before = ileft;

		r = iconv(cd, &ip, &ileft, &op, &oleft);
		buf_commit(out, (size_t)((uint8_t *)op - w));
		if (r == (size_t)-1 && errno == E2BIG && ileft == before &&
		    (uint8_t *)op == w)
			break; /* no progress: give up rather than spin */
		if (r == (size_t)-1 && errno != E2BIG) {
			/* invalid or truncated input: copy one byte, go on */
			if (buf_append(out, "?", 1) < 0)
				break;
			ip++;
			ileft--;
		}
	}
	iconv_close(cd);
}

/* --- structure --- */

static char *
lower_dup(const struct imap_val *v)
{
	char *s = imap_val_dup(v);

	if (s != NULL)
		for (char *p = s; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return s;
}

/* param_value - name's value in a parameter list; RFC 2231 "name*" values
 * (charset'lang'%XX) are decoded to UTF-8, RFC 2047 words too */
static char *
param_value(const struct imap_val *params, const char *name)
{
	size_t nlen = strlen(name);

	if (params == NULL || params->type != IMAP_VAL_LIST)
		return NULL;
	for (size_t i = 0; i + 1 < params->count; i += 2) {
		const struct imap_val *k = &params->items[i];
		const struct imap_val *v = &params->items[i + 1];
		char *raw, *res;

		if (k->type != IMAP_VAL_STRING && k->type != IMAP_VAL_ATOM)
			continue;
		if (imap_val_eq_ci(k, name)) {
			raw = imap_val_dup(v);
			if (raw == NULL)
				return NULL;
			res = mime_rfc2047_decode(raw, strlen(raw));
			free(raw);
			return res;
		}
		if (k->len == nlen + 1 && k->p[nlen] == '*' &&
		    strncasecmp((const char *)k->p, name, nlen) == 0) {
			char *q1, *q2, *charset;
			struct buf dec, out;

			raw = imap_val_dup(v);
			if (raw == NULL)
				return NULL;
			q1 = strchr(raw, '\'');
			q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
			if (q2 == NULL)
				return raw;
			*q1 = '\0';
			charset = raw;
			buf_init(&dec, strlen(q2));
			for (const char *p = q2 + 1; *p != '\0'; p++) {
				uint8_t b = (uint8_t)*p;
				if (*p == '%' && mime_hex_byte(p + 1, &b))
					p += 2;
				if (buf_append(&dec, &b, 1) < 0)
					break;
			}
			buf_init(&out, strlen(q2) * 4 + 16);
			to_utf8(buf_rptr(&dec), buf_avail(&dec),
			        charset[0] != '\0' ? charset : NULL, &out);
			res = xstrndup((const char *)buf_rptr(&out),
			               buf_avail(&out));
			buf_clear(&dec);
			buf_clear(&out);
			free(raw);
			return res;
		}
	}
	return NULL;
}

/* walk - collect the leaf parts of a BODYSTRUCTURE value */
static int
walk(const struct imap_val *b, const char *prefix, unsigned depth,
     struct parts *ps)
{
	const struct imap_val *it;
	struct part *p;
	size_t disp_at;

	if (b->type != IMAP_VAL_LIST || b->count < 2 || depth > 64)
		return -1;
	it = b->items;
	if (it[0].type == IMAP_VAL_LIST) {
		/* multipart: (part)(part)... "subtype" ... */
		for (size_t i = 0; i < b->count && it[i].type == IMAP_VAL_LIST;
		     i++) {
			char sec[64];
			if (snprintf_chk(sec, sizeof(sec), "%s%s%zu", prefix,
			                 prefix[0] != '\0' ? "." : "",
			                 i + 1) < 0)
				return -1;
			if (walk(&it[i], sec, depth + 1, ps) < 0)
				return -1;
		}
		return 0;
	}
	if (b->count < 7 || ps->count >= READ_MAX_PARTS)
		return -1;
	ps->v = xreallocarray(ps->v, ps->count + 1, sizeof(*ps->v));
	p = &ps->v[ps->count++];
	memset(p, 0, sizeof(*p));
	if (snprintf_chk(p->section, sizeof(p->section), "%s",
	                 prefix[0] != '\0' ? prefix : "1") < 0)
		return -1;
	{
		char *t = lower_dup(&it[0]), *s = lower_dup(&it[1]);
		p->type = xasprintf("%s/%s", t ? t : "text", s ? s : "plain");
		free(t);
		free(s);
	}
	p->charset = param_value(&it[2], "charset");
	p->encoding = lower_dup(&it[5]);
	/* extension data: text has lines, message/rfc822 has envelope, body
	 * and lines before md5 and the disposition */
	if (strncmp(p->type, "text/", 5) == 0)
		disp_at = 9;
	else if (strcmp(p->type, "message/rfc822") == 0)
		disp_at = 11;
	else
		disp_at = 8;
	if (disp_at < b->count && it[disp_at].type == IMAP_VAL_LIST &&
	    it[disp_at].count >= 1) {
		const struct imap_val *d = &it[disp_at];
		if (imap_val_eq_ci(&d->items[0], "attachment"))
			p->is_attachment = true;
		if (d->count >= 2)
			p->filename = param_value(&d->items[1], "filename");
	}
	if (p->filename == NULL)
		p->filename = param_value(&it[2], "name");
	if (p->filename != NULL || (strncmp(p->type, "text/", 5) != 0 &&
	                            strncmp(p->type, "multipart/", 10) != 0))
		p->is_attachment = true;
	return 0;
}

static void
parts_clear(struct parts *ps)
{
	for (size_t i = 0; i < ps->count; i++) {
		free(ps->v[i].type);
		free(ps->v[i].charset);
		free(ps->v[i].encoding);
		free(ps->v[i].filename);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* part_decode - the part's content, transfer-decoded, into out */
static int
part_decode(const uint8_t *msg, size_t len, const struct mime_index *idx,
            const struct part *p, struct buf *out)
{
	uint64_t off, plen;

	if (mime_section_range(idx, p->section, &off, &plen) < 0 || off > len ||
	    plen > len - off)
		return -1;
	if (p->encoding != NULL && strcmp(p->encoding, "base64") == 0)
		return mime_base64_decode(msg + off, (size_t)plen, out);
	if (p->encoding != NULL && strcmp(p->encoding, "quoted-printable") == 0)
		return mime_qp_decode(msg + off, (size_t)plen, out);
	return buf_append(out, msg + off, (size_t)plen);
}

/* --- the session --- */

struct read_opts {
	const char *host, *port, *user, *mailbox;
	bool starttls, insecure;
	enum { READ_LIST, READ_SHOW, READ_SAVE } what;
	uint32_t msgno;
	const char *dir;
	size_t max_line, max_literal;
};

struct fetch_ctx {
	uint32_t exists;
	bool want_exists;
	/* --list */
	bool listing;
	/* --show / --save: the message bytes */
	uint32_t want_seq;
	uint8_t *msg;
	size_t msg_len;
	bool got;
};

/* fetch_item - in "N FETCH (k v k v)", the value of the item starting
 * with key (e.g. "BODY[") */
static const struct imap_val *
fetch_item(const struct imap_resp *r, const char *key, uint32_t *seq_r)
{
	const struct imap_val *list;
	char num[16];

	if (r->count != 3 || !imap_val_eq_ci(&r->vals[1], "FETCH") ||
	    r->vals[0].type != IMAP_VAL_ATOM || r->vals[0].len >= sizeof(num) ||
	    r->vals[2].type != IMAP_VAL_LIST)
		return NULL;
	memcpy(num, r->vals[0].p, r->vals[0].len);
	num[r->vals[0].len] = '\0';
	if (cli_parse_u32(num, seq_r) < 0)
		return NULL;
	list = &r->vals[2];
	for (size_t i = 0; i + 1 < list->count; i += 2) {
		const struct imap_val *k = &list->items[i];
		if (k->type == IMAP_VAL_ATOM && k->len >= strlen(key) &&
		    strncasecmp((const char *)k->p, key, strlen(key)) == 0)
			return &list->items[i + 1];
	}
	return NULL;
}

static void
print_list_line(uint32_t seq, const uint8_t *hdr, size_t len)
{
	char *date = mime_header_get(hdr, len, "Date");
	char *from = mime_header_get(hdr, len, "From");
	char *subj = mime_header_get(hdr, len, "Subject");
	char when[32] = "-";
	int64_t t;
	int tz;

	if (date != NULL && mime_date_parse(date, &t, &tz) == 0) {
		time_t lt = (time_t)(t + (int64_t)tz * 60);
		struct tm tm;
		if (gmtime_r(&lt, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
			(void)strlcpy_chk(when, "-", sizeof(when));
	}
	printf("%u\t%s\t", seq, when);
	put_safe(stdout, from != NULL ? from : "-", false);
	fputc('\t', stdout);
	put_safe(stdout, subj != NULL ? subj : "-", false);
	fputc('\n', stdout);
	free(date);
	free(from);
	free(subj);
}

static void
on_untagged(void *arg, const uint8_t *p, size_t len)
{
	struct fetch_ctx *fc = arg;
	struct imap_resp r;
	const struct imap_val *v;
	const char *err;
	uint32_t seq;

	if (fc->want_exists) {
		/* "N EXISTS": not otherwise parsed */
		const uint8_t *sp = memchr(p, ' ', len);
		if (sp != NULL && (size_t)(p + len - sp) == 7 &&
		    strncasecmp((const char *)sp, " EXISTS", 7) == 0) {
			char num[16];
			size_t n = (size_t)(sp - p);
			if (n < sizeof(num)) {
				memcpy(num, p, n);
				num[n] = '\0';
				if (cli_parse_u32(num, &seq) == 0)
					fc->exists = seq;
			}
		}
		return;
	}
	if (len < 8 || memmem(p, MIN(len, (size_t)24), " FETCH ", 7) == NULL)
		return; /* not a FETCH: nothing to parse */
	if (imap_resp_parse(p, len, &r, &err) < 0) {
		cli_err("ignoring a malformed FETCH response: %s", err);
		return;
	}
	v = fetch_item(&r, "BODY[", &seq);
	if (v != NULL && v->type == IMAP_VAL_STRING) {
		if (fc->listing) {
			print_list_line(seq, v->p, v->len);
		} else if (seq == fc->want_seq && !fc->got) {
			fc->msg = xmalloc(v->len + 1);
			memcpy(fc->msg, v->p, v->len);
			fc->msg_len = v->len;
			fc->got = true;
		}
	}
	imap_resp_clear(&r);
}

/* safe_name - one path component from an attachment name */
static char *
safe_name(const char *name, const char *section)
{
	const char *base = name != NULL ? name : "";
	char *s;
	size_t n;

	for (const char *p = base; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	while (*base == '.' || *base == ' ')
		base++;
	s = xstrdup(base);
	for (char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7f || ch == ':' || ch == '/')
			*p = '_';
	}
	n = strlen(s);
	if (n > READ_MAX_NAME) {
		n = READ_MAX_NAME;
		/* do not cut inside a UTF-8 sequence */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		s[n] = '\0';
	}
	if (s[0] == '\0') {
		free(s);
		s = xasprintf("attachment-%s", section);
	}
	return s;
}

static int
save_one(int dirfd, const char *dir, const struct part *p,
         const struct buf *data)
{
	char *name = safe_name(p->filename, p->section), *try = NULL;
	int fd = -1, ret = -1;

	for (unsigned i = 0; i < 1000 && fd < 0; i++) {
		free(try);
		try = i == 0 ? xstrdup(name) : xasprintf("%u-%s", i, name);
		fd = openat(
		    dirfd, try,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST) {
			cli_err("%s/%s: %s", dir, try, strerror(errno));
			goto out;
		}
	}
	if (fd < 0) {
		cli_err("%s: too many files named %s", dir, name);
		goto out;
	}
	for (size_t off = 0; off < buf_avail(data);) {
		ssize_t w =
		    write(fd, buf_rptr(data) + off, buf_avail(data) - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			cli_err("%s/%s: %s", dir, try, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		cli_err("%s/%s: %s", dir, try, strerror(errno));
		goto out;
	}
	fd = -1;
	printf("saved ");
	put_safe(stdout, dir, false);
	fputc('/', stdout);
	put_safe(stdout, try, false);
	printf(" (%zu bytes)\n", buf_avail(data));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(name);
	free(try);
	return ret;
}

/* show_message - --show and --save-attachments on the fetched bytes */
static int
show_message(const struct read_opts *o, const uint8_t *msg, size_t len)
{
	static const char *const fields[] = {"From", "To", "Date", "Subject"};
	struct mime_index *idx = mime_index_parse(msg, len);
	struct imap_resp bs;
	struct parts ps = {0};
	const char *err;
	uint64_t hoff, hlen;
	int dirfd = -1, ret = -1;
	const struct part *text = NULL;

	memset(&bs, 0, sizeof(bs));
	if (idx == NULL) {
		cli_err("cannot parse message %u", o->msgno);
		return -1;
	}
	if (imap_resp_parse((const uint8_t *)mime_index_bodystructure(idx),
	                    strlen(mime_index_bodystructure(idx)), &bs,
	                    &err) < 0 ||
	    bs.count != 1 || walk(&bs.vals[0], "", 0, &ps) < 0) {
		cli_err("cannot read the structure of message %u", o->msgno);
		goto out;
	}
	for (size_t i = 0; i < ps.count && text == NULL; i++)
		if (strcmp(ps.v[i].type, "text/plain") == 0 &&
		    !ps.v[i].is_attachment)
			text = &ps.v[i];
	if (o->what == READ_SAVE) {
		dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			cli_err("%s: %s", o->dir, strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < ps.count; i++) {
			struct buf data;
			if (!ps.v[i].is_attachment)
				continue;
			buf_init(&data, len);
			if (part_decode(msg, len, idx, &ps.v[i], &data) < 0 ||
			    save_one(dirfd, o->dir, &ps.v[i], &data) < 0) {
				buf_clear(&data);
				goto out;
			}
			buf_clear(&data);
		}
		ret = 0;
		goto out;
	}
	if (mime_section_range(idx, "HEADER", &hoff, &hlen) == 0 &&
	    hoff <= len && hlen <= len - hoff) {
		for (size_t i = 0; i < N_ELEMENTS(fields); i++) {
			char *v = mime_header_get(msg + hoff, (size_t)hlen,
			                          fields[i]);
			if (v == NULL)
				continue;
			printf("%s: ", fields[i]);
			put_safe(stdout, v, false);
			fputc('\n', stdout);
			free(v);
		}
	}
	fputc('\n', stdout);
	if (text != NULL) {
		struct buf raw, utf8;
		buf_init(&raw, len);
		buf_init(&utf8, len * 4 + 16);
		if (part_decode(msg, len, idx, text, &raw) == 0) {
			to_utf8(buf_rptr(&raw), buf_avail(&raw), text->charset,
			        &utf8);
			put_safe(stdout, buf_cstr(&utf8), true);
			if (buf_avail(&utf8) > 0 &&
			    buf_rptr(&utf8)[buf_avail(&utf8) - 1] != '\n')
				fputc('\n', stdout);
		}
		buf_clear(&raw);
		buf_clear(&utf8);
	} else {
		printf("(no text/plain part)\n");
	}
	{
		bool any = false;
		for (size_t i = 0; i < ps.count; i++) {
			struct buf data;
			char *name;
			if (!ps.v[i].is_attachment)
				continue;
			if (!any)
				printf("\nAttachments:\n");
			any = true;
			buf_init(&data, len);
			name = safe_name(ps.v[i].filename, ps.v[i].section);
			printf("  ");
			put_safe(stdout, name, false);
			printf("\t%s\t", ps.v[i].type);
			if (part_decode(msg, len, idx, &ps.v[i], &data) == 0)
				printf("%zu bytes\n", buf_avail(&data));
			else
				printf("? bytes\n");
			free(name);
			buf_clear(&data);
		}
	}
	ret = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	parts_clear(&ps);
	imap_resp_clear(&bs);
	mime_index_free(&idx);
	return ret;
}

static int
run(const struct read_opts *o, const char *password)
{
	struct imap_client *c;
	struct fetch_ctx fc;
	struct buf cmd;
	char *error = NULL;
	int ret = 1;

	memset(&fc, 0, sizeof(fc));
	buf_init(&cmd, 2048);
	c = imap_client_connect(
	    o->host, o->port,
	    o->starttls ? IMAP_CLIENT_STARTTLS : IMAP_CLIENT_TLS, o->insecure,
	    o->max_line, o->max_literal, &error);
	if (c == NULL)
		goto fail;
	if (imap_client_login(c, o->user, password, &error) < 0)
		goto fail;
	if (buf_append_str(&cmd, "EXAMINE ") < 0 ||
	    imap_client_quote(&cmd, o->mailbox) < 0) {
		error = xstrdup("the mailbox name must be printable ASCII "
		                "(modified UTF-7)");
		goto fail;
	}
	fc.want_exists = true;
	if (imap_client_command(c, buf_cstr(&cmd), on_untagged, &fc, &error) <
	    0)
		goto fail;
	fc.want_exists = false;
	if (o->what == READ_LIST) {
		fc.listing = true;
		if (fc.exists > 0 &&
		    imap_client_command(
		        c,
		        "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (DATE FROM "
		        "SUBJECT)])",
		        on_untagged, &fc, &error) < 0)
			goto fail;
		ret = 0;
		goto out;
	}
	if (o->msgno == 0 || o->msgno > fc.exists) {
		cli_err("no message %u (the mailbox has %u)", o->msgno,
		        fc.exists);
		goto out;
	}
	buf_reset(&cmd);
	if (buf_printf(&cmd, "FETCH %u (BODY.PEEK[])", o->msgno) < 0)
		goto out;
	fc.want_seq = o->msgno;
	if (imap_client_command(c, buf_cstr(&cmd), on_untagged, &fc, &error) <
	    0)
		goto fail;
	if (!fc.got) {
		cli_err("the server sent no message %u", o->msgno);
		goto out;
	}
	ret = show_message(o, fc.msg, fc.msg_len) == 0 ? 0 : 1;
	goto out;
fail:
	cli_err("%s", error != NULL ? error : "failed");
out:
	free(error);
	free(fc.msg);
	buf_clear(&cmd);
	imap_client_free(&c);
	return ret;
}

/* default_port - the port of a config listener entry "host:port" */
static const char *
default_port(const struct conf_list *l, const char *fallback)
{
	const char *colon;

	if (l == NULL || l->count == 0)
		return fallback;
	colon = strrchr(l->items[0], ':');
	return colon != NULL && colon[1] != '\0' ? colon + 1 : fallback;
}

int
cli_read(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'P'},
	    {"starttls", no_argument, NULL, 'S'},
	    {"tls", no_argument, NULL, 'T'},
	    {"insecure", no_argument, NULL, 'k'},
	    {"user", required_argument, NULL, 'u'},
	    {"mailbox", required_argument, NULL, 'm'},
	    {"list", no_argument, NULL, 'l'},
	    {"show", required_argument, NULL, 's'},
	    {"save-attachments", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct read_opts o;
	struct conf *conf = NULL;
	const char *config, *env, *mode_arg = NULL;
	char *password = NULL, *port = NULL, *error = NULL;
	int ch, modes = 0, ret;

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.mailbox = "INBOX";
	env = getenv("OUTPOST_CONFIG");
	config = env != NULL && *env != '\0' ? env : CLI_DEFAULT_CONFIG;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(usage_read, stdout);
			return 0;
		case 'H':
			o.host = optarg;
			break;
		case 'P':
			o.port = optarg;
			break;
		case 'S':
			o.starttls = true;
			break;
		case 'T':
			o.starttls = false;
			break;
		case 'k':
			o.insecure = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'm':
			o.mailbox = optarg;
			break;
		case 'l':
			o.what = READ_LIST;
			modes++;
			break;
		case 's':
			o.what = READ_SHOW;
			mode_arg = optarg;
			modes++;
			break;
		case 'a':
			o.what = READ_SAVE;
			mode_arg = optarg;
			modes++;
			break;
		default:
			cli_usage_error(usage_read, "unknown option or missing "
			                            "argument");
		}
	}
	if (o.what == READ_SAVE) {
		if (optind != argc - 1)
			cli_usage_error(usage_read, "--save-attachments needs "
			                            "N and DIR");
		o.dir = argv[optind];
	} else if (optind != argc) {
		cli_usage_error(usage_read, "unexpected argument");
	}
	if (modes != 1)
		cli_usage_error(usage_read, "give one of --list, --show, "
		                            "--save-attachments");
	if (o.user == NULL)
		cli_usage_error(usage_read, "--user is required");
	if (mode_arg != NULL &&
	    (cli_parse_u32(mode_arg, &o.msgno) < 0 || o.msgno == 0))
		cli_usage_error(usage_read, "N must be a message number");
	/* the limits (and default ports) come from the config when there is
	 * one; a client machine may have none */
	o.max_line = READ_DEFAULT_MAX_LINE;
	o.max_literal = READ_DEFAULT_MAX_LITERAL;
	conf = conf_load(config, &error);
	if (conf != NULL) {
		o.max_line = MAX(conf->imap_max_line, (size_t)8192);
		o.max_literal = MAX(conf->imap_max_literal,
		                    conf->smtp_max_message_size + 1024 * 1024);
	}
	free(error);
	if (o.port == NULL)
		port = xstrdup(
		    o.starttls
		        ? default_port(conf ? &conf->imap_listen : NULL, "143")
		        : default_port(conf ? &conf->imaps_listen : NULL,
		                       "993"));
	else
		port = xstrdup(o.port);
	o.port = port;
	conf_unref(&conf);
	env = getenv("OUTPOST_PASSWORD");
	if (env != NULL)
		password = xstrdup(env);
	else
		password = passwd_read("Password: ", false);
	if (password == NULL) {
		cli_err("no password");
		free(port);
		return 1;
	}
	ret = run(&o, password);
	explicit_bzero(password, strlen(password));
	free(password);
	free(port);
	return ret;
}
