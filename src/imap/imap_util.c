/* SPDX-License-Identifier: MIT */
/*
 * imap_util.c - pure helpers for the IMAP session: sequence sets, flags and
 * keywords, LIST wildcard matching, IMAP dates, string quoting and modified
 * UTF-7 mailbox names. Inputs are untrusted client text; every loop is
 * bounded by the input length. Any thread.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/mem.h"
#include "imap/imap_limits.h"
#include "imap/imap_parser.h"
#include "imap/imap_util.h"
#include "store/store.h"

/* --- sequence sets --- */

/* seq_number - nz-number (1..4294967295) or '*' (0). */
static int
seq_number(const char **sp, uint32_t *n_r)
{
	const char *s = *sp;
	uint64_t n = 0;

	if (*s == '*') {
		*n_r = 0;
		*sp = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
		s++;
	}
	*n_r = (uint32_t)n;
	*sp = s;
	return 0;
}

int
imap_seqset_parse(const char *s, struct imap_seqset *set_r)
{
	struct imap_seqset set = {0};
	size_t cap = 0;

	for (;;) {
		struct imap_seq_range r;
		if (seq_number(&s, &r.lo) < 0)
			goto fail;
		r.hi = r.lo;
		if (*s == ':') {
			s++;
			if (seq_number(&s, &r.hi) < 0)
				goto fail;
		}
		if (set.count >= IMAP_MAX_SEQ_RANGES)
			goto fail;
		if (set.count == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			set.ranges =
			    xreallocarray(set.ranges, cap, sizeof(*set.ranges));
		}
		set.ranges[set.count++] = r;
		if (*s == '\0')
			break;
		if (*s != ',')
			goto fail;
		s++;
	}
	*set_r = set;
	return 0;
fail:
	free(set.ranges);
	return -1;
}

void
imap_seqset_clear(struct imap_seqset *set)
{
	xfree(&set->ranges);
	set->count = 0;
}

static void
range_resolve(const struct imap_seq_range *r, uint32_t star, uint32_t *lo_r,
              uint32_t *hi_r)
{
	uint32_t lo = r->lo == 0 ? star : r->lo;
	uint32_t hi = r->hi == 0 ? star : r->hi;

	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	*lo_r = lo;
	*hi_r = hi;
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t star)
{
	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo, hi;
		range_resolve(&set->ranges[i], star, &lo, &hi);
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

uint32_t
imap_seqset_max(const struct imap_seqset *set, uint32_t star)
{
	uint32_t max = 0;

	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo, hi;
		range_resolve(&set->ranges[i], star, &lo, &hi);
		if (hi > max)
			max = hi;
	}
	return max;
}

/* --- flags --- */

static const struct {
	const char *name;
	unsigned bit;
} system_flags[] = {
    {"\\Seen", STORE_F_SEEN},       {"\\Answered", STORE_F_ANSWERED},
    {"\\Flagged", STORE_F_FLAGGED}, {"\\Deleted", STORE_F_DELETED},
    {"\\Draft", STORE_F_DRAFT},
};

/* keyword_valid - RFC 3501 flag-keyword: atom chars, no '\' or ']'. */
static bool
keyword_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

int
imap_flags_parse(const struct imap_arg *a, unsigned *flags_r, char **keywords_r,
                 const char **error_r)
{
	const struct imap_arg *list = a;
	size_t count = 1;
	unsigned flags = 0;
	struct buf kw;

	if (a->type == IMAP_ARG_LIST) {
		list = a->list;
		count = a->count;
	}
	buf_init(&kw, 64 * 1024);
	for (size_t i = 0; i < count; i++) {
		const char *f = imap_arg_atom(&list[i]);
		bool found = false;
		if (f == NULL) {
			*error_r = "Flags must be atoms";
			goto fail;
		}
		if (f[0] == '\\') {
			for (size_t k = 0; k < N_ELEMENTS(system_flags); k++) {
				if (strcasecmp(f, system_flags[k].name) == 0) {
					flags |= system_flags[k].bit;
					found = true;
				}
			}
			if (!found && strcasecmp(f, "\\Recent") != 0) {
				*error_r = "Unknown system flag";
				goto fail;
			}
			continue;
		}
		if (!keyword_valid(f)) {
			*error_r = "Invalid keyword";
			goto fail;
		}
		if (imap_keyword_has(buf_avail(&kw) ? buf_cstr(&kw) : "", f))
			continue;
		if ((buf_avail(&kw) > 0 && buf_append_str(&kw, " ") < 0) ||
		    buf_append_str(&kw, f) < 0) {
			*error_r = "Too many keywords";
			goto fail;
		}
	}
	*flags_r = flags;
	*keywords_r = buf_avail(&kw) > 0 ? xstrdup(buf_cstr(&kw)) : NULL;
	buf_clear(&kw);
	return 0;
fail:
	buf_clear(&kw);
	return -1;
}

int
imap_flags_write(struct buf *out, unsigned flags, const char *keywords,
                 bool recent)
{
	bool first = true;
	int r = 0;

	for (size_t k = 0; k < N_ELEMENTS(system_flags); k++) {
		if ((flags & system_flags[k].bit) == 0)
			continue;
		r |= buf_printf(out, "%s%s", first ? "" : " ",
		                system_flags[k].name);
		first = false;
	}
	if (recent) {
		r |= buf_printf(out, "%s\\Recent", first ? "" : " ");
		first = false;
	}
	if (keywords != NULL && *keywords != '\0')
		r |= buf_printf(out, "%s%s", first ? "" : " ", keywords);
	return r == 0 ? 0 : -1;
}

bool
imap_keyword_has(const char *set, const char *kw)
{
	size_t kl = strlen(kw);

	if (set == NULL)
		return false;
	while (*set != '\0') {
		const char *end = strchr(set, ' ');
		size_t l = end != NULL ? (size_t)(end - set) : strlen(set);
		if (l == kl && strncasecmp(set, kw, l) == 0)
			return true;
		if (end == NULL)
			break;
		set = end + 1;
	}
	return false;
}

/* kw_append - add one word to a space-separated allocated set. */
static void
kw_append(char **set, const char *w, size_t len)
{
	char *n;

	if (*set == NULL) {
		*set = xstrndup(w, len);
		return;
	}
	n = xasprintf("%s %.*s", *set, (int)len, w);
	free(*set);
	*set = n;
}

char *
imap_keywords_apply(const char *old, const char *change, char op)
{
	char *res = NULL;
	const char *s;

	if (op == '=')
		return change != NULL && *change != '\0' ? xstrdup(change)
		                                         : NULL;
	/* keep old words (minus removed ones) */
	for (s = old != NULL ? old : ""; *s != '\0';) {
		const char *end = strchr(s, ' ');
		size_t l = end != NULL ? (size_t)(end - s) : strlen(s);
		char *w = xstrndup(s, l);
		if (l > 0 && !(op == '-' && imap_keyword_has(change, w)))
			kw_append(&res, s, l);
		free(w);
		if (end == NULL)
			break;
		s = end + 1;
	}
	if (op == '+') {
		for (s = change != NULL ? change : ""; *s != '\0';) {
			const char *end = strchr(s, ' ');
			size_t l = end != NULL ? (size_t)(end - s) : strlen(s);
			char *w = xstrndup(s, l);
			if (l > 0 && !imap_keyword_has(res, w))
				kw_append(&res, s, l);
			free(w);
			if (end == NULL)
				break;
			s = end + 1;
		}
	}
	return res;
}

/* --- LIST patterns --- */

bool
imap_match(const char *pattern, const char *name, char sep)
{
	size_t n = strlen(name);
	bool *dp = xcalloc(n + 1, sizeof(*dp)), *nx = xcalloc(n + 1, 1);
	bool res;

	/* dp[j]: the pattern so far matches name[0..j) */
	dp[0] = true;
	for (const char *p = pattern; *p != '\0'; p++) {
		if (*p == '*' || *p == '%') {
			bool run = false;
			for (size_t j = 0; j <= n; j++) {
				if (*p == '%' && j > 0 && name[j - 1] == sep)
					run = false;
				run = run || dp[j];
				nx[j] = run;
			}
		} else {
			nx[0] = false;
			for (size_t j = 1; j <= n; j++)
				nx[j] = dp[j - 1] && name[j - 1] == *p;
		}
		bool *t = dp;
		dp = nx;
		nx = t;
	}
	res = dp[n];
	free(dp);
	free(nx);
	return res;
}

/* --- dates --- */

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* digits - exactly count digits (or 1..count when min1) into *v. */
static int
digits(const char **sp, int min, int max, int *v)
{
	const char *s = *sp;
	int n = 0, count = 0;

	while (count < max && *s >= '0' && *s <= '9') {
		n = n * 10 + (*s - '0');
		s++;
		count++;
	}
	if (count < min)
		return -1;
	*v = n;
	*sp = s;
	return 0;
}

/* days_from_civil - days since 1970-01-01 (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* date_part - "d-Mon-yyyy" at *sp (day 1 or 2 digits, or space-padded). */
static int
date_part(const char **sp, int64_t *days_r)
{
	const char *s = *sp;
	int d, y, m = -1;

	if (*s == ' ')
		s++;
	if (digits(&s, 1, 2, &d) < 0 || *s++ != '-')
		return -1;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(s, months[i], 3) == 0)
			m = i + 1;
	}
	if (m < 0)
		return -1;
	s += 3;
	if (*s++ != '-' || digits(&s, 4, 4, &y) < 0 || d < 1 ||
	    d > days_in_month(y, m))
		return -1; /* e.g. 31-Feb-2020 is no date */
	*days_r = days_from_civil(y, m, d);
	*sp = s;
	return 0;
}

int
imap_date_parse(const char *s, int64_t *t_r)
{
	int64_t days;

	if (date_part(&s, &days) < 0 || *s != '\0')
		return -1;
	*t_r = days * 86400;
	return 0;
}

int
imap_datetime_parse(const char *s, int64_t *t_r, int *tz_min_r)
{
	int64_t days;
	int hh, mm, ss, zh, zm, sign;

	if (date_part(&s, &days) < 0 || *s++ != ' ' ||
	    digits(&s, 2, 2, &hh) < 0 || *s++ != ':' ||
	    digits(&s, 2, 2, &mm) < 0 || *s++ != ':' ||
	    digits(&s, 2, 2, &ss) < 0 || *s++ != ' ')
		return -1;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (digits(&s, 2, 2, &zh) < 0 || digits(&s, 2, 2, &zm) < 0 ||
	    *s != '\0' || hh > 23 || mm > 59 || ss > 60 || zm > 59)
		return -1;
	*tz_min_r = sign * (zh * 60 + zm);
	*t_r = days * 86400 + hh * 3600 + mm * 60 + ss - *tz_min_r * 60;
	return 0;
}

int
imap_datetime_write(struct buf *out, int64_t t, int tz_min)
{
	time_t local = (time_t)(t + tz_min * 60);
	struct tm tm;
	int az = tz_min < 0 ? -tz_min : tz_min;

	if (gmtime_r(&local, &tm) == NULL)
		return -1;
	return buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"",
	                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	                  tm.tm_hour, tm.tm_min, tm.tm_sec,
	                  tz_min < 0 ? '-' : '+', az / 60, az % 60);
}

/* --- output --- */

int
imap_write_string(struct buf *out, const char *s, size_t len, bool utf8_ok)
{
	bool quote = len <= 1024;

	for (size_t i = 0; i < len && quote; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n' || c == '\0' ||
		    (c >= 0x80 && !utf8_ok))
			quote = false;
	}
	if (!quote) {
		if (buf_printf(out, "{%zu}\r\n", len) < 0)
			return -1;
		return buf_append(out, s, len);
	}
	if (buf_append(out, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    buf_append(out, "\\", 1) < 0)
			return -1;
		if (buf_append(out, &s[i], 1) < 0)
			return -1;
	}
	return buf_append(out, "\"", 1);
}

/* --- modified UTF-7 (RFC 3501 5.1.3) --- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* utf8_next - decode one code point; -1 when invalid. */
static int32_t
utf8_next(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	int32_t cp;
	int extra;

	if (s[0] < 0x80) {
		*sp = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		extra = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		extra = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		extra = 3;
	} else {
		return -1;
	}
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
	    (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*sp = s + extra + 1;
	return cp;
}

char *
imap_mutf7_encode(const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	struct buf out;
	char *res = NULL;

	buf_init(&out, strlen(utf8) * 4 + 16);
	while (*s != '\0') {
		if (*s >= 0x20 && *s < 0x7f) {
			if (buf_append(&out, s, 1) < 0 ||
			    (*s == '&' && buf_append(&out, "-", 1) < 0))
				goto out;
			s++;
			continue;
		}
		/* a run of non-printable characters as base64 of UTF-16 */
		uint32_t bits = 0;
		int nbits = 0;
		if (buf_append(&out, "&", 1) < 0)
			goto out;
		while (*s != '\0' && (*s < 0x20 || *s >= 0x7f)) {
			int32_t cp = utf8_next(&s);
			uint16_t units[2];
			int nu = 1;
			if (cp < 0)
				goto out;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units[0] = (uint16_t)(0xd800 + (cp >> 10));
				units[1] = (uint16_t)(0xdc00 + (cp & 0x3ff));
				nu = 2;
			} else {
				units[0] = (uint16_t)cp;
			}
			for (int u = 0; u < nu; u++) {
				bits = (bits << 16) | units[u];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					if (buf_append(
					        &out,
					        &b64chars[(bits >> nbits) &
					                  0x3f],
					        1) < 0)
						goto out;
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0 &&
		    buf_append(&out, &b64chars[(bits << (6 - nbits)) & 0x3f],
		               1) < 0)
			goto out;
		if (buf_append(&out, "-", 1) < 0)
			goto out;
	}
	res = xstrdup(buf_avail(&out) > 0 ? buf_cstr(&out) : "");
out:
	buf_clear(&out);
	return res;
}

static int
b64val(char c)
{
	const char *p = strchr(b64chars, c);

	return c != '\0' && p != NULL ? (int)(p - b64chars) : -1;
}

/* put_utf8 - append code point cp as UTF-8. */
static int
put_utf8(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

char *
imap_mutf7_decode(const char *s)
{
	struct buf out;
	char *res = NULL;

	buf_init(&out, strlen(s) * 2 + 16);
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			goto out;
		if (c != '&') {
			if (buf_append(&out, s, 1) < 0)
				goto out;
			s++;
			continue;
		}
		s++;
		if (*s == '-') {
			if (buf_append(&out, "&", 1) < 0)
				goto out;
			s++;
			continue;
		}
		uint32_t bits = 0, high = 0;
		int nbits = 0;
		bool any = false;
		while (*s != '-') {
			int v = b64val(*s);
			if (v < 0)
				goto out;
			s++;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			uint32_t unit = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			any = true;
			if (unit >= 0xd800 && unit <= 0xdbff) {
				if (high != 0)
					goto out;
				high = unit;
				continue;
			}
			if (unit >= 0xdc00 && unit <= 0xdfff) {
				if (high == 0)
					goto out;
				unit = 0x10000 + ((high - 0xd800) << 10) +
				       (unit - 0xdc00);
				high = 0;
			} else if (high != 0 || (unit >= 0x20 && unit < 0x7f)) {
				goto out; /* printable ASCII must be direct */
			}
			if (put_utf8(&out, unit) < 0)
				goto out;
		}
		s++;
		if (!any || high != 0 || bits != 0 || nbits >= 6)
			goto out;
	}
	res = xstrdup(buf_avail(&out) > 0 ? buf_cstr(&out) : "");
out:
	buf_clear(&out);
	return res;
}
