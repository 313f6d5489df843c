/* SPDX-License-Identifier: MIT */
/*
 * imap_client.c - the blocking IMAP client behind `outpost read` (RFC 3501
 * client side): a read buffer over a TCP socket or a TLS stream, response
 * assembly with inlined literals under the line and literal limits, a
 * recursive-descent parser for response data bounded in depth and item
 * count, STARTTLS (RFC 2595: nothing read before the handshake is kept)
 * and AUTHENTICATE PLAIN (RFC 4616). The server is untrusted input.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/imap_client.h"
#include "core/mem.h"
#include "core/tls_client.h"

#define RBUF_SIZE 16384

struct imap_client {
	int fd;
	struct tls_client *tls;
	uint8_t rbuf[RBUF_SIZE];
	size_t rpos, rlen;
	size_t max_line;
	size_t max_literal;
	unsigned tag;
	struct buf resp;
	bool logged_in;
};

/* --- parsing --- */

struct parser {
	const uint8_t *p, *end;
	struct imap_resp *r;
	size_t scratch_used;
	const char *error;
};

static bool
is_atom_char(uint8_t ch)
{
	return ch > ' ' && ch < 0x7f && ch != '(' && ch != ')' && ch != '"' &&
	       ch != '{';
}

static int
parse_fail(struct parser *ps, const char *msg)
{
	ps->error = msg;
	return -1;
}

static int parse_values(struct parser *ps, unsigned depth, bool in_list,
                        struct imap_val **vals_r, size_t *count_r);

/* parse_value - one value at ps->p (not a space or ')') */
static int
parse_value(struct parser *ps, unsigned depth, struct imap_val *v)
{
	const uint8_t *p = ps->p;

	memset(v, 0, sizeof(*v));
	if (++ps->r->items > IMAP_CLIENT_MAX_ITEMS)
		return parse_fail(ps, "too many values in a response");
	if (*p == '(') {
		if (depth >= IMAP_CLIENT_MAX_DEPTH)
			return parse_fail(ps, "lists nested too deeply");
		ps->p++;
		v->type = IMAP_VAL_LIST;
		if (parse_values(ps, depth + 1, true, &v->items, &v->count) < 0)
			return -1;
		if (ps->p == ps->end || *ps->p != ')')
			return parse_fail(ps, "unterminated list");
		ps->p++;
		return 0;
	}
	if (*p == '"') {
		uint8_t *out = ps->r->scratch + ps->scratch_used;
		size_t n = 0;
		p++;
		for (;;) {
			if (p == ps->end)
				return parse_fail(ps, "unterminated string");
			if (*p == '"')
				break;
			if (*p == '\r' || *p == '\n')
				return parse_fail(ps, "line end in a string");
			if (*p == '\\') {
				if (++p == ps->end)
					return parse_fail(ps, "bad escape");
			}
			out[n++] =
			    *p++; /* UNSAFE: scratch is as long as input */
		}
		ps->scratch_used += n;
		ps->p = p + 1;
		v->type = IMAP_VAL_STRING;
		v->p = out;
		v->len = n;
		return 0;
	}
	if (*p == '{') {
		uint64_t n = 0;
		p++;
		if (p < ps->end && *p == '~') /* RFC 3516 literal8 */
			return parse_fail(ps, "binary literal");
		if (p == ps->end || *p < '0' || *p > '9')
			return parse_fail(ps, "bad literal");
		while (p < ps->end && *p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p - '0');
			if (n > (uint64_t)(ps->end - ps->p))
				return parse_fail(ps, "literal past the end");
			p++;
		}
		if (p < ps->end && *p == '+')
			p++;
		if ((size_t)(ps->end - p) < 3 || p[0] != '}' || p[1] != '\r' ||
		    p[2] != '\n')
			return parse_fail(ps, "bad literal");
		p += 3;
		if (n > (uint64_t)(ps->end - p))
			return parse_fail(ps, "literal past the end");
		v->type = IMAP_VAL_STRING;
		v->p = p;
		v->len = (size_t)n;
		ps->p = p + n;
		return 0;
	}
	if (!is_atom_char(*p))
		return parse_fail(ps, "unexpected character");
	{
		const uint8_t *start = p;
		unsigned brackets = 0;
		while (p < ps->end) {
			if (*p == '[') {
				brackets++;
			} else if (*p == ']') {
				if (brackets == 0)
					break;
				brackets--;
			} else if (brackets == 0 && !is_atom_char(*p)) {
				break;
			} else if (brackets > 0 &&
			           (*p == '\r' || *p == '\n' || *p == '{')) {
				return parse_fail(ps, "bad section");
			}
			p++;
		}
		if (brackets != 0)
			return parse_fail(ps, "unterminated [");
		if (p < ps->end && *p == ']')
			p++; /* a lone ']' ends a response code */
		v->type = IMAP_VAL_ATOM;
		v->p = start;
		v->len = (size_t)(p - start);
		if (v->len == 3 &&
		    strncasecmp((const char *)start, "NIL", 3) == 0)
			v->type = IMAP_VAL_NIL;
		ps->p = p;
		return 0;
	}
}

/* parse_values - values separated by single spaces, up to ')' or the end */
static int
parse_values(struct parser *ps, unsigned depth, bool in_list,
             struct imap_val **vals_r, size_t *count_r)
{
	struct imap_val *vals = NULL;
	size_t count = 0, cap = 0;

	*vals_r = NULL;
	*count_r = 0;
	while (ps->p < ps->end) {
		if (*ps->p == ')') {
			if (!in_list)
				goto bad;
			break;
		}
		if (count > 0 && *ps->p == '(' &&
		    vals[count - 1].type == IMAP_VAL_LIST) {
			/* body-type-mpart: "1*body" with no space between */
		} else if (count > 0) {
			if (*ps->p != ' ')
				goto bad;
			ps->p++;
			if (ps->p == ps->end || *ps->p == ')') {
				ps->error = "space before the end";
				goto fail;
			}
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			vals = xreallocarray(vals, cap, sizeof(*vals));
		}
		if (parse_value(ps, depth, &vals[count]) < 0) {
			count++; /* a half-built list is freed with the rest */
			goto fail;
		}
		count++;
	}
	*vals_r = vals;
	*count_r = count;
	return 0;
bad:
	ps->error = "unexpected character";
fail:
	*vals_r = vals;
	*count_r = count;
	return -1;
}

static void
vals_free(struct imap_val *vals, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (vals[i].type == IMAP_VAL_LIST)
			vals_free(vals[i].items, vals[i].count);
	free(vals);
}

int
imap_resp_parse(const uint8_t *p, size_t len, struct imap_resp *r,
                const char **error_r)
{
	struct parser ps;

	memset(r, 0, sizeof(*r));
	r->scratch = xmalloc(len + 1);
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.end = p + len;
	ps.r = r;
	if (parse_values(&ps, 0, false, &r->vals, &r->count) < 0) {
		*error_r = ps.error != NULL ? ps.error : "malformed response";
		imap_resp_clear(r);
		return -1;
	}
	return 0;
}

void
imap_resp_clear(struct imap_resp *r)
{
	vals_free(r->vals, r->count);
	free(r->scratch);
	memset(r, 0, sizeof(*r));
}

bool
imap_val_eq_ci(const struct imap_val *v, const char *s)
{
	size_t n = strlen(s);

	if (v->type != IMAP_VAL_ATOM && v->type != IMAP_VAL_STRING)
		return false;
	return v->len == n && strncasecmp((const char *)v->p, s, n) == 0;
}

char *
imap_val_dup(const struct imap_val *v)
{
	char *s;

	if (v->type != IMAP_VAL_ATOM && v->type != IMAP_VAL_STRING)
		return NULL;
	s = xmalloc(v->len + 1); /* not strndup: the bytes may hold NULs */
	memcpy(s, v->p, v->len);
	s[v->len] = '\0';
	for (size_t i = 0; i < v->len; i++)
		if (s[i] == '\0')
			s[i] = '?';
	return s;
}

/* --- transport --- */

static ssize_t
raw_read(struct imap_client *c, void *data, size_t len)
{
	ssize_t n;

	if (c->tls != NULL)
		return tls_client_read(c->tls, data, len);
	do {
		n = read(c->fd, data, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

static int
raw_write(struct imap_client *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	if (c->tls != NULL)
		return tls_client_write(c->tls, data, len);
	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fill - more bytes into rbuf; -1 on error or end of stream */
static int
fill(struct imap_client *c, char **error_r)
{
	ssize_t n;

	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (c->rlen == sizeof(c->rbuf)) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	n = raw_read(c, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (n <= 0) {
		*error_r = xstrdup(n == 0 ? "connection closed by the server"
		                          : "read error");
		return -1;
	}
	c->rlen += (size_t)n;
	return 0;
}

/* read_line - append one line (with CRLF) to c->resp; bounded */
static int
read_line(struct imap_client *c, char **error_r)
{
	size_t got = 0;

	for (;;) {
		uint8_t *start = c->rbuf + c->rpos;
		size_t avail = c->rlen - c->rpos;
		uint8_t *nl = memchr(start, '\n', avail);
		size_t take = nl != NULL ? (size_t)(nl - start) + 1 : avail;

		if (got + take > c->max_line + 2) {
			*error_r = xstrdup("server reply line too long");
			return -1;
		}
		if (buf_append(&c->resp, start, take) < 0) {
			*error_r = xstrdup("server response too large");
			return -1;
		}
		c->rpos += take;
		got += take;
		if (nl != NULL)
			return 0;
		if (fill(c, error_r) < 0)
			return -1;
	}
}

/* literal_len - "{n}" or "{n+}" just before the line's CRLF; -1 when none */
static int
literal_len(const uint8_t *line, size_t len, uint64_t *n_r)
{
	size_t i;
	uint64_t n = 0, mul = 1;

	if (len < 5 || line[len - 1] != '\n' || line[len - 2] != '\r' ||
	    line[len - 3] != '}')
		return -1;
	i = len - 4;
	if (line[i] == '+')
		i--;
	if (line[i] < '0' || line[i] > '9')
		return -1;
	while (i > 0 && line[i] >= '0' && line[i] <= '9') {
		if (mul > 100000000000000000ULL) /* 18 digits at most */
			return -1;
		n += (uint64_t)(line[i] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (line[i] != '{')
		return -1;
	*n_r = n;
	return 0;
}

/* read_response - one whole response into c->resp (literals inlined), the
 * final CRLF removed */
static int
read_response(struct imap_client *c, char **error_r)
{
	size_t line_start, segments = 0;
	uint64_t n;

	buf_reset(&c->resp);
	for (;;) {
		line_start = buf_avail(&c->resp);
		if (c->rpos == c->rlen && fill(c, error_r) < 0)
			return -1;
		if (read_line(c, error_r) < 0)
			return -1;
		if (literal_len(buf_rptr(&c->resp) + line_start,
		                buf_avail(&c->resp) - line_start, &n) < 0)
			break;
		if (n > c->max_literal ||
		    ++segments > IMAP_CLIENT_MAX_SEGMENTS) {
			*error_r = xstrdup("server literal too large");
			return -1;
		}
		while (n > 0) {
			size_t take;
			if (c->rpos == c->rlen && fill(c, error_r) < 0)
				return -1;
			take = (size_t)MIN(n, (uint64_t)(c->rlen - c->rpos));
			if (buf_append(&c->resp, c->rbuf + c->rpos, take) < 0) {
				*error_r = xstrdup("server response too large");
				return -1;
			}
			c->rpos += take;
			n -= take;
		}
	}
	/* drop the CRLF (a bare LF is accepted from servers) */
	c->resp.len--;
	if (buf_avail(&c->resp) > 0 && c->resp.data[c->resp.len - 1] == '\r')
		c->resp.len--;
	return 0;
}

static int
send_line(struct imap_client *c, const char *line, char **error_r)
{
	size_t len = strlen(line);

	if (raw_write(c, line, len) < 0 || raw_write(c, "\r\n", 2) < 0) {
		*error_r = xstrdup("write error");
		return -1;
	}
	return 0;
}

/* status_text - the printable text of a response, for messages */
static char *
status_text(const uint8_t *p, size_t len)
{
	char *s = xstrndup((const char *)p, MIN(len, (size_t)300));

	for (char *q = s; *q != '\0'; q++)
		if ((unsigned char)*q < ' ' || (unsigned char)*q == 0x7f)
			*q = '?';
	return s;
}

/* word_ci - the response at offset off starts with word then SP or end */
static bool
word_ci(const uint8_t *p, size_t len, size_t off, const char *word)
{
	size_t n = strlen(word);

	if (off + n > len || strncasecmp((const char *)p + off, word, n) != 0)
		return false;
	return off + n == len || p[off + n] == ' ';
}

int
imap_client_command(struct imap_client *c, const char *cmd,
                    imap_client_untagged_fn *fn, void *arg, char **error_r)
{
	char tag[16];
	size_t tlen;
	char *line;

	if (snprintf_chk(tag, sizeof(tag), "A%04u", ++c->tag) < 0)
		return -1;
	tlen = strlen(tag);
	line = xasprintf("%s %s", tag, cmd);
	if (send_line(c, line, error_r) < 0) {
		free(line);
		return -1;
	}
	free(line);
	for (;;) {
		const uint8_t *p;
		size_t len;

		if (read_response(c, error_r) < 0)
			return -1;
		p = buf_rptr(&c->resp);
		len = buf_avail(&c->resp);
		if (len >= 2 && p[0] == '*' && p[1] == ' ') {
			if (word_ci(p, len, 2, "BYE")) {
				char *t = status_text(p, len);
				*error_r = xasprintf("server closed: %s", t);
				free(t);
				return -1;
			}
			if (fn != NULL)
				fn(arg, p + 2, len - 2);
			continue;
		}
		if (len >= 1 && p[0] == '+') {
			*error_r = xstrdup("unexpected continuation request");
			return -1;
		}
		if (len > tlen && memcmp(p, tag, tlen) == 0 && p[tlen] == ' ') {
			if (word_ci(p, len, tlen + 1, "OK"))
				return 0;
			char *t = status_text(p + tlen + 1, len - tlen - 1);
			*error_r = xasprintf("server: %s", t);
			free(t);
			return -1;
		}
		/* another tag or garbage: the dialogue is out of step */
		char *t = status_text(p, len);
		*error_r = xasprintf("unexpected server response: %s", t);
		free(t);
		return -1;
	}
}

int
imap_client_quote(struct buf *out, const char *s)
{
	if (buf_append(out, "\"", 1) < 0)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\r' || ch == '\n' || ch >= 0x80)
			return -1;
		if ((ch == '"' || ch == '\\') && buf_append(out, "\\", 1) < 0)
			return -1;
		if (buf_append(out, p, 1) < 0)
			return -1;
	}
	return buf_append(out, "\"", 1);
}

static int
base64_encode(const uint8_t *in, size_t len, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		char q[4] = {tab[in[i] >> 2],
		             tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)],
		             tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)],
		             tab[in[i + 2] & 63]};
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	if (i < len) {
		char q[4] = {tab[in[i] >> 2], '=', '=', '='};
		if (i + 1 < len) {
			q[1] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			q[2] = tab[(in[i + 1] & 15) << 2];
		} else {
			q[1] = tab[(in[i] & 3) << 4];
		}
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	return 0;
}

int
imap_client_login(struct imap_client *c, const char *user, const char *password,
                  char **error_r)
{
	struct buf plain, b64;
	size_t ulen = strlen(user), plen = strlen(password);
	int ret = -1;
	char tag[16];
	size_t tlen;
	char *line;

	buf_init(&plain, ulen + plen + 2);
	buf_init(&b64, (ulen + plen + 2) / 3 * 4 + 8);
	if (buf_append(&plain, "", 1) < 0 ||
	    buf_append(&plain, user, ulen) < 0 ||
	    buf_append(&plain, "", 1) < 0 ||
	    buf_append(&plain, password, plen) < 0) {
		*error_r = xstrdup("credentials too long");
		goto out;
	}
	if (base64_encode(buf_rptr(&plain), buf_avail(&plain), &b64) < 0) {
		*error_r = xstrdup("credentials too long");
		goto out;
	}
	if (snprintf_chk(tag, sizeof(tag), "A%04u", ++c->tag) < 0)
		goto out;
	tlen = strlen(tag);
	line = xasprintf("%s AUTHENTICATE PLAIN", tag);
	if (send_line(c, line, error_r) < 0) {
		free(line);
		goto out;
	}
	free(line);
	for (;;) {
		const uint8_t *p;
		size_t len;

		if (read_response(c, error_r) < 0)
			goto out;
		p = buf_rptr(&c->resp);
		len = buf_avail(&c->resp);
		if (len >= 1 && p[0] == '+') {
			if (buf_avail(&b64) == 0) {
				*error_r = xstrdup("repeated continuation");
				goto out;
			}
			if (send_line(c, buf_cstr(&b64), error_r) < 0)
				goto out;
			explicit_bzero(b64.data, b64.cap);
			buf_reset(&b64);
			continue;
		}
		if (len >= 2 && p[0] == '*' && p[1] == ' ')
			continue;
		if (len > tlen && memcmp(p, tag, tlen) == 0 && p[tlen] == ' ') {
			if (word_ci(p, len, tlen + 1, "OK")) {
				c->logged_in = true;
				ret = 0;
			} else {
				char *t =
				    status_text(p + tlen + 1, len - tlen - 1);
				*error_r = xasprintf("login failed: %s", t);
				free(t);
			}
			goto out;
		}
		*error_r =
		    xstrdup("unexpected server response to AUTHENTICATE");
		goto out;
	}
out:
	if (plain.data != NULL)
		explicit_bzero(plain.data, plain.cap);
	if (b64.data != NULL)
		explicit_bzero(b64.data, b64.cap);
	buf_clear(&plain);
	buf_clear(&b64);
	return ret;
}

static int
tcp_connect(const char *host, const char *port, char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		*error_r = xasprintf("%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*error_r = xasprintf("connect to %s port %s: %s", host, port,
		                     strerror(err));
	return fd;
}

static void
client_close(struct imap_client *c)
{
	tls_client_free(&c->tls);
	if (c->fd >= 0)
		close(c->fd);
	buf_clear(&c->resp);
	free(c);
}

static int
expect_ok_greeting(struct imap_client *c, char **error_r)
{
	const uint8_t *p;
	size_t len;

	if (read_response(c, error_r) < 0)
		return -1;
	p = buf_rptr(&c->resp);
	len = buf_avail(&c->resp);
	if (word_ci(p, len, 0, "*") &&
	    (word_ci(p, len, 2, "OK") || word_ci(p, len, 2, "PREAUTH")))
		return 0;
	char *t = status_text(p, len);
	*error_r = xasprintf("server refused: %s", t);
	free(t);
	return -1;
}

struct imap_client *
imap_client_connect(const char *host, const char *port,
                    enum imap_client_tls mode, bool insecure, size_t max_line,
                    size_t max_literal, char **error_r)
{
	struct imap_client *c = xcalloc(1, sizeof(*c));
	const char *err;

	c->max_line = max_line;
	c->max_literal = max_literal;
	/* one response: its lines plus its literals */
	buf_init(&c->resp, max_literal + 4 * max_line + 4096);
	c->fd = tcp_connect(host, port, error_r);
	if (c->fd < 0)
		goto fail;
	if (mode == IMAP_CLIENT_TLS) {
		c->tls = tls_client_connect(c->fd, host, !insecure, &err);
		if (c->tls == NULL) {
			*error_r = xstrdup(err);
			goto fail;
		}
	}
	if (expect_ok_greeting(c, error_r) < 0)
		goto fail;
	if (mode == IMAP_CLIENT_STARTTLS) {
		if (imap_client_command(c, "STARTTLS", NULL, NULL, error_r) < 0)
			goto fail;
		/* RFC 2595 3.1: anything that followed the OK is discarded */
		c->rpos = c->rlen = 0;
		c->tls = tls_client_connect(c->fd, host, !insecure, &err);
		if (c->tls == NULL) {
			*error_r = xstrdup(err);
			goto fail;
		}
	}
	return c;
fail:
	client_close(c);
	return NULL;
}

void
imap_client_free(struct imap_client **cp)
{
	struct imap_client *c = *cp;
	char *error = NULL;

	if (c == NULL)
		return;
	*cp = NULL;
	if (imap_client_command(c, "LOGOUT", NULL, NULL, &error) < 0)
		free(error);
	client_close(c);
}
