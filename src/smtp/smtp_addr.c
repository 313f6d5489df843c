/* SPDX-License-Identifier: MIT */
/*
 * smtp_addr.c - the strict RFC 5321 4.1.2 path parser (see smtp_addr.h).
 * Grammar followed: Path = "<" [ A-d-l ":" ] Mailbox ">", Mailbox =
 * Local-part "@" ( Domain / address-literal ), Local-part = Dot-string /
 * Quoted-string, with RFC 6531 UTF-8 extensions when allowed. Every length
 * is checked against the RFC 5321 4.5.3.1 limits before copying. Pure code,
 * any thread; input is untrusted.
 */
#include <arpa/inet.h>
#include <string.h>

#include "core/mem.h"
#include "smtp_addr.h"

const char smtp_addr_err_utf8[] = "UTF-8 address without SMTPUTF8";

/* is_atext - RFC 5322 3.2.3 atext (ASCII part) */
static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool
smtp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* parse_domain - Domain = sub-domain *("." sub-domain) at p[*i]; stops at
 * the first byte that cannot continue it. */
static int
parse_domain(const char *p, size_t len, size_t *i, bool utf8, bool *has8,
             const char **error_r)
{
	size_t start = *i, j = *i;

	for (;;) {
		size_t label = j;
		unsigned char last = 0;

		while (j < len) {
			unsigned char c = (unsigned char)p[j];
			if (c >= 0x80) {
				if (!utf8) {
					*error_r = smtp_addr_err_utf8;
					return -1;
				}
				*has8 = true;
			} else if (!is_letdig(c) && c != '-') {
				break;
			}
			last = c;
			j++;
		}
		if (j == label || p[label] == '-' || last == '-') {
			*error_r = "bad domain";
			return -1;
		}
		if (j - label > 63) {
			*error_r = "domain label too long";
			return -1;
		}
		if (j < len && p[j] == '.') {
			j++;
			continue;
		}
		break;
	}
	if (j - start > SMTP_MAX_DOMAIN) {
		*error_r = "domain too long";
		return -1;
	}
	if (*has8 && !smtp_utf8_valid(p + start, j - start)) {
		*error_r = "invalid UTF-8 in domain";
		return -1;
	}
	*i = j;
	return 0;
}

/* parse_literal - address-literal "[" ... "]" at p[*i] (RFC 5321 4.1.3) */
static int
parse_literal(const char *p, size_t len, size_t *i, const char **error_r)
{
	size_t j = *i + 1, start = j;
	char text[64];
	unsigned char addr[16];

	while (j < len && p[j] != ']' && j - start < sizeof(text))
		j++;
	if (j >= len || p[j] != ']' || j - start >= sizeof(text) ||
	    j == start) {
		*error_r = "bad address literal";
		return -1;
	}
	memcpy(text, p + start, j - start);
	text[j - start] = '\0';
	if (strncasecmp(text, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, text + 5, addr) != 1) {
			*error_r = "bad IPv6 address literal";
			return -1;
		}
	} else if (inet_pton(AF_INET, text, addr) != 1) {
		*error_r = "bad address literal";
		return -1;
	}
	*i = j + 1;
	return 0;
}

/* parse_local - Dot-string or Quoted-string at p[*i]; the form kept is
 * written to out (SMTP_MAX_LOCAL + 1 bytes). */
static int
parse_local(const char *p, size_t len, size_t *i, bool utf8, bool *has8,
            bool *quoted_r, char *out, const char **error_r)
{
	size_t j = *i, start = *i, n = 0;
	char unq[SMTP_MAX_LOCAL + 1];
	bool dotstring = true, prev_dot = true;

	if (j < len && p[j] == '"') {
		j++;
		for (;;) {
			unsigned char c;

			if (j >= len) {
				*error_r = "unterminated quoted string";
				return -1;
			}
			c = (unsigned char)p[j];
			if (c == '"')
				break;
			if (c == '\\') {
				if (j + 1 >= len || p[j + 1] < 32 ||
				    p[j + 1] > 126) {
					*error_r = "bad quoted pair";
					return -1;
				}
				c = (unsigned char)p[++j];
			} else if (c >= 0x80) {
				if (!utf8) {
					*error_r = smtp_addr_err_utf8;
					return -1;
				}
				*has8 = true;
			} else if (c < 32 || c > 126) {
				*error_r = "bad character in quoted string";
				return -1;
			}
			if (n >= SMTP_MAX_LOCAL) {
				*error_r = "local part too long";
				return -1;
			}
			/* is the unquoted content still a dot-string? */
			if (c == '.') {
				if (prev_dot)
					dotstring = false;
				prev_dot = true;
			} else {
				if (!is_atext(c) && c < 0x80)
					dotstring = false;
				prev_dot = false;
			}
			unq[n++] = (char)c;
			j++;
		}
		j++; /* closing quote */
		if (j - start > SMTP_MAX_LOCAL) {
			*error_r = "local part too long";
			return -1;
		}
		if (n == 0 || prev_dot)
			dotstring = false;
		if (*has8 && !smtp_utf8_valid(unq, n)) {
			*error_r = "invalid UTF-8 in local part";
			return -1;
		}
		if (dotstring) {
			memcpy(out, unq, n);
			out[n] = '\0';
			*quoted_r = false;
		} else {
			memcpy(out, p + start, j - start);
			out[j - start] = '\0';
			*quoted_r = true;
		}
		*i = j;
		return 0;
	}
	/* Dot-string = Atom *("." Atom) */
	for (;;) {
		size_t atom = j;
		while (j < len) {
			unsigned char c = (unsigned char)p[j];
			if (c >= 0x80) {
				if (!utf8) {
					*error_r = smtp_addr_err_utf8;
					return -1;
				}
				*has8 = true;
			} else if (!is_atext(c)) {
				break;
			}
			j++;
		}
		if (j == atom) {
			*error_r = "bad local part";
			return -1;
		}
		if (j < len && p[j] == '.') {
			j++;
			continue;
		}
		break;
	}
	if (j - start > SMTP_MAX_LOCAL) {
		*error_r = "local part too long";
		return -1;
	}
	if (*has8 && !smtp_utf8_valid(p + start, j - start)) {
		*error_r = "invalid UTF-8 in local part";
		return -1;
	}
	memcpy(out, p + start, j - start);
	out[j - start] = '\0';
	*quoted_r = false;
	*i = j;
	return 0;
}

int
smtp_addr_parse(struct span *cur, unsigned flags, struct smtp_addr *a_r,
                const char **error_r)
{
	const char *p = cur->p;
	size_t len = cur->len, i = 1;
	bool utf8 = (flags & SMTP_ADDR_UTF8) != 0, has8 = false, quoted;
	char local[SMTP_MAX_LOCAL + 1];
	size_t dstart;

	/* nothing past the longest path is looked at */
	if (len > SMTP_MAX_PATH + 1)
		len = SMTP_MAX_PATH + 1;
	if (len == 0 || p[0] != '<') {
		*error_r = "address must be in <>";
		return -1;
	}
	if (len >= 2 && p[1] == '>') {
		if ((flags & SMTP_ADDR_NULL_OK) == 0) {
			*error_r = "null address not allowed here";
			return -1;
		}
		memset(a_r, 0, sizeof(*a_r));
		a_r->is_null = true;
		cur->p += 2;
		cur->len -= 2;
		return 0;
	}
	/* A-d-l = At-domain *( "," At-domain ): tolerated, ignored */
	if (i < len && p[i] == '@') {
		for (;;) {
			i++;
			if (parse_domain(p, len, &i, utf8, &has8, error_r) < 0)
				return -1;
			if (i < len && p[i] == ',' && i + 1 < len &&
			    p[i + 1] == '@') {
				i++;
				continue;
			}
			break;
		}
		if (i >= len || p[i] != ':') {
			*error_r = "bad source route";
			return -1;
		}
		i++;
	}
	if (parse_local(p, len, &i, utf8, &has8, &quoted, local, error_r) < 0)
		return -1;
	if (i < len && p[i] == '>' && (flags & SMTP_ADDR_POSTMASTER) &&
	    !quoted && strcasecmp(local, "postmaster") == 0) {
		memset(a_r, 0, sizeof(*a_r));
		strlcpy_chk(a_r->local, local, sizeof(a_r->local));
		cur->p += i + 1;
		cur->len -= i + 1;
		return 0;
	}
	if (i >= len || p[i] != '@') {
		*error_r = "address needs @domain";
		return -1;
	}
	i++;
	dstart = i;
	if (i < len && p[i] == '[') {
		if (parse_literal(p, len, &i, error_r) < 0)
			return -1;
	} else if (parse_domain(p, len, &i, utf8, &has8, error_r) < 0) {
		return -1;
	}
	if (i >= len || p[i] != '>') {
		*error_r = i >= SMTP_MAX_PATH ? "address too long"
		                              : "bad character in address";
		return -1;
	}
	if (i + 1 > SMTP_MAX_PATH) {
		*error_r = "address too long";
		return -1;
	}
	/* UNSAFE: i - dstart <= SMTP_MAX_DOMAIN (parse_domain checked it;
	 * a literal is under 64 bytes) */
	memset(a_r, 0, sizeof(*a_r));
	memcpy(a_r->domain, p + dstart, i - dstart);
	a_r->domain[i - dstart] = '\0';
	strlcpy_chk(a_r->local, local, sizeof(a_r->local));
	a_r->has_utf8 = has8;
	a_r->is_quoted = quoted;
	cur->p += i + 1;
	cur->len -= i + 1;
	return 0;
}

int
smtp_addr_fmt(const struct smtp_addr *a, char *out, size_t max_out)
{
	if (a->is_null)
		return strlcpy_chk(out, "", max_out);
	if (a->domain[0] == '\0')
		return strlcpy_chk(out, a->local, max_out);
	return snprintf_chk(out, max_out, "%s@%s", a->local, a->domain);
}
