/* SPDX-License-Identifier: MIT */
/*
 * conf.c - configuration files: "key = value" lines, blank lines and
 * whole-line '#' comments, keys and types from conf_table.c. A file is read
 * and validated whole into a new struct conf (defaults first, then the
 * file's values); any unknown key, duplicate, bad or out-of-range value fails
 * the load with "FILE:LINE: message". Relative paths are taken from the
 * config file's directory; a file writable by group or others is refused.
 * Also writes the commented default file and dumps settings (postconf -n).
 *
 * Loading runs at startup and on SIGHUP on the loop thread; the result is
 * immutable and shared by reference count (atomic, any thread may unref).
 * The file is trusted to the extent its permissions say, but still parsed
 * with hard limits: size, line length, list length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf_int.h"
#include "mem.h"
#include "net.h"
#include "span.h"

#define CONF_FILE_MAX (1024 * 1024) /* bytes in a config file */
#define CONF_LIST_MAX 64            /* items in a list value */
#define CONF_HOSTNAME_MAX 253

/* field - the address of key's field inside c. */
static void *
field(struct conf *c, const struct conf_key *key)
{
	return (char *)c + key->offset;
}

static const void *
cfield(const struct conf *c, const struct conf_key *key)
{
	return (const char *)c + key->offset;
}

int
conf_parse_bool(const char *s, bool *v_r)
{
	static const char *const yes[] = {"yes", "true", "on"};
	static const char *const no[] = {"no", "false", "off"};
	struct span a = span_from_cstr(s);

	for (size_t i = 0; i < N_ELEMENTS(yes); i++) {
		if (span_eq_ci(a, yes[i])) {
			*v_r = true;
			return 0;
		}
		if (span_eq_ci(a, no[i])) {
			*v_r = false;
			return 0;
		}
	}
	return -1;
}

/* parse_scaled - digits then a unit from units[] (its multiplier). */
static int
parse_scaled(const char *s, const char *const *units, const uint64_t *mults,
             size_t count, uint64_t *v_r)
{
	struct span cur = span_from_cstr(s);
	uint64_t n;

	if (span_u64(&cur, &n, UINT64_MAX) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (span_eq_ci(cur, units[i])) {
			if (mults[i] != 0 && n > UINT64_MAX / mults[i])
				return -1;
			*v_r = n * mults[i];
			return 0;
		}
	}
	return -1;
}

int
conf_parse_size(const char *s, uint64_t *v_r)
{
	static const char *const units[] = {"",  "b",  "k", "kb",
	                                    "m", "mb", "g", "gb"};
	static const uint64_t mults[] = {1,          1,          1ULL << 10,
	                                 1ULL << 10, 1ULL << 20, 1ULL << 20,
	                                 1ULL << 30, 1ULL << 30};

	return parse_scaled(s, units, mults, N_ELEMENTS(units), v_r);
}

int
conf_parse_duration(const char *s, uint64_t *ms_r)
{
	/* a bare number is seconds (as in Postfix) */
	static const char *const units[] = {"", "ms", "s", "m", "h", "d"};
	static const uint64_t mults[] = {1000,  1,       1000,
	                                 60000, 3600000, 86400000};

	return parse_scaled(s, units, mults, N_ELEMENTS(units), ms_r);
}

/* fmt_size - shortest exact text for a size ("25M", "512"). */
static void
fmt_size(struct buf *b, uint64_t v)
{
	static const char units[] = "kMG";
	int u = -1;

	while (u < 2 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (buf_printf(b, "%llu", (unsigned long long)v) < 0 ||
	    (u >= 0 && buf_append(b, &units[u], 1) < 0))
		fatalx("conf: output too large");
}

/* fmt_duration - shortest exact text for milliseconds ("5m", "1500ms"). */
static void
fmt_duration(struct buf *b, uint64_t ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
	    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	const char *unit = "ms";

	for (size_t i = 0; i < N_ELEMENTS(units); i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			ms /= units[i].ms;
			unit = units[i].unit;
			break;
		}
	}
	if (ms == 0)
		unit = "s";
	if (buf_printf(b, "%llu%s", (unsigned long long)ms, unit) < 0)
		fatalx("conf: output too large");
}

/* resolve_path - value made absolute against base (a directory) if needed. */
static char *
resolve_path(const char *value, const char *base)
{
	if (value[0] == '/' || base == NULL)
		return xstrdup(value);
	if (strcmp(value, ".") == 0)
		return xstrdup(base);
	return xasprintf("%s/%s", base, value);
}

static bool
valid_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONF_HOSTNAME_MAX || s[0] == '.' || s[0] == '-' ||
	    s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return false;
		if (ch == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static void
list_clear(struct conf_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* parse_list - comma/space separated items; "" or "none" is empty. */
static int
parse_list(const struct conf_key *key, const char *value, struct conf_list *l_r,
           const char **error_r)
{
	struct conf_list l = {NULL, 0};
	struct span cur = span_from_cstr(value);

	if (strcmp(value, "none") == 0) {
		*l_r = l;
		return 0;
	}
	for (;;) {
		struct span item;
		size_t n = 0;

		while (n < cur.len &&
		       (cur.p[n] == ' ' || cur.p[n] == '\t' || cur.p[n] == ','))
			n++;
		cur.p += n;
		cur.len -= n;
		if (cur.len == 0)
			break;
		for (n = 0; n < cur.len && cur.p[n] != ' ' &&
		            cur.p[n] != '\t' && cur.p[n] != ',';
		     n++)
			;
		item.p = cur.p;
		item.len = n;
		cur.p += n;
		cur.len -= n;
		if (l.count == CONF_LIST_MAX) {
			*error_r = "too many list items";
			goto fail;
		}
		l.items = xreallocarray(l.items, l.count + 1, sizeof(char *));
		l.items[l.count++] = span_dup(item);
		if (key->flags & CONF_F_LISTEN) {
			struct sockaddr_storage ss;
			socklen_t len;

			if (net_parse_hostport(l.items[l.count - 1], &ss,
			                       &len) < 0) {
				*error_r = "bad listener address (want "
				           "ADDR:PORT, [V6]:PORT or *:PORT)";
				goto fail;
			}
		}
	}
	*l_r = l;
	return 0;
fail:
	list_clear(&l);
	return -1;
}

/* number_in_range - parse a number-like value of key and check bounds. */
static int
number_in_range(const struct conf_key *key, const char *value, uint64_t *v_r,
                const char **error_r)
{
	static _Thread_local char msg[160];
	struct buf lo, hi;
	int ret;

	switch (key->type) {
	case CONF_T_U32:
		ret = conf_parse_size(value, v_r) < 0 ||
		              strspn(value, "0123456789") != strlen(value)
		          ? -1
		          : 0;
		if (ret < 0)
			*error_r = "not a number";
		break;
	case CONF_T_SIZE:
		ret = conf_parse_size(value, v_r);
		if (ret < 0)
			*error_r = "not a size (bytes, or with k, M, G)";
		break;
	default:
		ret = conf_parse_duration(value, v_r);
		if (ret < 0)
			*error_r = "not a duration (e.g. 30s, 5m, 1h, 500ms)";
		break;
	}
	if (ret < 0)
		return -1;
	if (*v_r >= key->min && *v_r <= key->max)
		return 0;
	buf_init(&lo, 64);
	buf_init(&hi, 64);
	if (key->type == CONF_T_SIZE) {
		fmt_size(&lo, key->min);
		fmt_size(&hi, key->max);
	} else if (key->type == CONF_T_DURATION) {
		fmt_duration(&lo, key->min);
		fmt_duration(&hi, key->max);
	} else {
		if (buf_printf(&lo, "%llu", (unsigned long long)key->min) < 0 ||
		    buf_printf(&hi, "%llu", (unsigned long long)key->max) < 0)
			fatalx("conf: output too large");
	}
	if (snprintf_chk(msg, sizeof(msg), "out of range (%s..%s)",
	                 buf_cstr(&lo), buf_cstr(&hi)) < 0)
		strlcpy_chk(msg, "out of range", sizeof(msg));
	buf_clear(&lo);
	buf_clear(&hi);
	*error_r = msg;
	return -1;
}

/*
 * set_value - parse value for key into c, replacing (and freeing) what was
 * there. base is the directory relative paths start from (NULL: as given).
 * On error c is unchanged.
 */
static int
set_value(struct conf *c, const struct conf_key *key, const char *value,
          const char *base, const char **error_r)
{
	void *f = field(c, key);
	uint64_t v;
	bool b;

	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*error_r = "control character in value";
			return -1;
		}
	}
	switch (key->type) {
	case CONF_T_BOOL:
		if (conf_parse_bool(value, &b) < 0) {
			*error_r = "not a boolean (yes or no)";
			return -1;
		}
		*(bool *)f = b;
		return 0;
	case CONF_T_U32:
		if (number_in_range(key, value, &v, error_r) < 0)
			return -1;
		*(uint32_t *)f = (uint32_t)v;
		return 0;
	case CONF_T_SIZE:
		if (number_in_range(key, value, &v, error_r) < 0)
			return -1;
		*(size_t *)f = (size_t)v;
		return 0;
	case CONF_T_DURATION:
		if (number_in_range(key, value, &v, error_r) < 0)
			return -1;
		*(uint64_t *)f = v;
		return 0;
	case CONF_T_LOGLEVEL: {
		enum log_level level;

		if (log_parse_level(value, &level) < 0) {
			*error_r = "not a log level (debug, info, warn, error)";
			return -1;
		}
		*(enum log_level *)f = level;
		return 0;
	}
	case CONF_T_HOSTNAME:
		if (!valid_hostname(value)) {
			*error_r = "not a host name";
			return -1;
		}
		free(*(char **)f);
		*(char **)f = xstrdup(value);
		return 0;
	case CONF_T_PATH:
		if (value[0] == '\0') {
			*error_r = "empty path";
			return -1;
		}
		free(*(char **)f);
		*(char **)f = resolve_path(value, base);
		return 0;
	case CONF_T_STRING:
		free(*(char **)f);
		*(char **)f = xstrdup(value);
		return 0;
	case CONF_T_LIST: {
		struct conf_list l;

		if (parse_list(key, value, &l, error_r) < 0)
			return -1;
		list_clear(f);
		*(struct conf_list *)f = l;
		return 0;
	}
	}
	*error_r = "unknown type";
	return -1;
}

/* unquote - a value in double quotes loses them (no escapes inside). */
static struct span
unquote(struct span v)
{
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
		v.p++;
		v.len -= 2;
	}
	return v;
}

/* default_hostname - this machine's name, or "localhost". */
static char *
default_hostname(void)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	if (!valid_hostname(name))
		return xstrdup("localhost");
	return xstrdup(name);
}

static void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < conf_keys_count; i++) {
		const struct conf_key *key = &conf_keys[i];

		switch (key->type) {
		case CONF_T_STRING:
		case CONF_T_PATH:
		case CONF_T_HOSTNAME:
			free(*(char **)field(c, key));
			break;
		case CONF_T_LIST:
			list_clear(field(c, key));
			break;
		default:
			break;
		}
	}
	free(c->path);
	free(c);
}

/* conf_new_defaults - every default, paths resolved against base. */
static struct conf *
conf_new_defaults(const char *base)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	const char *error;
	struct span def;
	char *text;

	c->refcount = 1;
	for (size_t i = 0; i < conf_keys_count; i++) {
		const struct conf_key *key = &conf_keys[i];

		if (key->def == NULL) {
			/* only the hostname is computed */
			*(char **)field(c, key) = default_hostname();
			continue;
		}
		def = unquote(span_from_cstr(key->def));
		text = span_dup(def);
		if (set_value(c, key, text, base, &error) < 0)
			fatalx("conf: bad default for %s: %s", key->name,
			       error);
		free(text);
	}
	return c;
}

struct conf *
conf_default(void)
{
	return conf_new_defaults(NULL);
}

void
conf_ref(struct conf *c)
{
	__atomic_add_fetch(&c->refcount, 1, __ATOMIC_RELAXED);
}

void
conf_unref(struct conf **cp)
{
	struct conf *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (__atomic_sub_fetch(&c->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		conf_free(c);
}

/* read_file - the whole config file, after the permission checks. */
static char *
read_file(const char *path, size_t *len_r, char **error_r)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*error_r = xasprintf("%s: writable by group or others; "
		                     "refusing it (chmod go-w)",
		                     path);
		goto fail;
	}
	if (st.st_size > CONF_FILE_MAX) {
		*error_r =
		    xasprintf("%s: larger than %d bytes", path, CONF_FILE_MAX);
		goto fail;
	}
	data = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == (size_t)st.st_size)
			break;
	}
	data[len] = '\0';
	close(fd);
	*len_r = len;
	return data;
fail:
	free(data);
	close(fd);
	return NULL;
}

/* base_dir - the directory of path, absolute when possible. */
static char *
base_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	abs = realpath(dir, NULL);
	if (abs != NULL) {
		char *copy = xstrdup(abs);

		free(abs);
		free(dir);
		return copy;
	}
	return dir;
}

struct conf *
conf_parse_text(const char *fname, const char *base, const char *data,
                size_t len, char **error_r)
{
	struct conf *c = NULL;
	unsigned *seen = NULL;
	size_t lineno = 0;
	struct span rest;

	if (len > CONF_FILE_MAX) {
		*error_r =
		    xasprintf("%s: larger than %d bytes", fname, CONF_FILE_MAX);
		return NULL;
	}
	if (memchr(data, '\0', len) != NULL) {
		*error_r = xasprintf("%s: NUL byte in file", fname);
		return NULL;
	}
	c = conf_new_defaults(base);
	c->path = xstrdup(fname);
	seen = xcalloc(conf_keys_count, sizeof(*seen));
	rest.p = data;
	rest.len = len;
	while (rest.len > 0) {
		const char *nl = memchr(rest.p, '\n', rest.len);
		struct span line, name, value;
		const struct conf_key *key;
		const char *eq, *error;
		char *text;
		int ret;

		line.p = rest.p;
		line.len = nl != NULL ? (size_t)(nl - rest.p) : rest.len;
		rest.p += line.len + (nl != NULL);
		rest.len -= line.len + (nl != NULL);
		lineno++;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		line = span_trim(line);
		if (line.len == 0 || line.p[0] == '#')
			continue;
		eq = memchr(line.p, '=', line.len);
		if (eq == NULL) {
			*error_r = xasprintf("%s:%zu: expected \"key = value\"",
			                     fname, lineno);
			goto fail;
		}
		name.p = line.p;
		name.len = (size_t)(eq - line.p);
		name = span_trim(name);
		value.p = eq + 1;
		value.len = (size_t)(line.p + line.len - value.p);
		value = unquote(span_trim(value));
		key = conf_key_find(name.p, name.len);
		if (key == NULL) {
			char esc[128];

			log_escape(esc, sizeof(esc), name.p, name.len);
			*error_r = xasprintf("%s:%zu: unknown key \"%s\"",
			                     fname, lineno, esc);
			goto fail;
		}
		if (seen[key - conf_keys] != 0) {
			*error_r = xasprintf("%s:%zu: %s set again (first on "
			                     "line %u)",
			                     fname, lineno, key->name,
			                     seen[key - conf_keys]);
			goto fail;
		}
		seen[key - conf_keys] = (unsigned)lineno;
		text = span_dup(value);
		ret = set_value(c, key, text, base, &error);
		free(text);
		if (ret < 0) {
			*error_r = xasprintf("%s:%zu: %s: %s", fname, lineno,
			                     key->name, error);
			goto fail;
		}
	}
	free(seen);
	return c;
fail:
	free(seen);
	conf_unref(&c);
	return NULL;
}

struct conf *
conf_load(const char *path, char **error_r)
{
	struct conf *c;
	char *data, *base;
	size_t len;

	data = read_file(path, &len, error_r);
	if (data == NULL)
		return NULL;
	base = base_dir(path);
	c = conf_parse_text(path, base, data, len, error_r);
	free(base);
	free(data);
	return c;
}

/* fmt_value - append the config-text form of key's value in c. */
static void
fmt_value(struct buf *b, const struct conf *c, const struct conf_key *key)
{
	const void *f = cfield(c, key);
	const char *s = NULL;
	int ret = 0;

	switch (key->type) {
	case CONF_T_BOOL:
		s = *(const bool *)f ? "yes" : "no";
		break;
	case CONF_T_U32:
		ret = buf_printf(b, "%u", (unsigned)*(const uint32_t *)f);
		break;
	case CONF_T_SIZE:
		fmt_size(b, *(const size_t *)f);
		break;
	case CONF_T_DURATION:
		fmt_duration(b, *(const uint64_t *)f);
		break;
	case CONF_T_LOGLEVEL: {
		static const char *const names[] = {"debug", "info", "warn",
		                                    "error"};
		unsigned level = (unsigned)*(const enum log_level *)f;

		s = level < N_ELEMENTS(names) ? names[level] : "info";
		break;
	}
	case CONF_T_STRING:
	case CONF_T_PATH:
	case CONF_T_HOSTNAME:
		s = *(char *const *)f;
		/* quote what would not read back as itself */
		if (s == NULL || s[0] == '\0' || s[0] == '"' ||
		    strchr(s, '#') != NULL || s[0] == ' ' ||
		    s[strlen(s) - 1] == ' ') {
			ret = buf_printf(b, "\"%s\"", s != NULL ? s : "");
			s = NULL;
		}
		break;
	case CONF_T_LIST: {
		const struct conf_list *l = f;

		if (l->count == 0)
			s = "none";
		for (size_t i = 0; i < l->count && ret == 0; i++)
			ret = buf_printf(b, "%s%s", i > 0 ? ", " : "",
			                 l->items[i]);
		break;
	}
	}
	if (s != NULL)
		ret = buf_append_str(b, s);
	if (ret < 0)
		fatalx("conf: output too large");
}

char *
conf_default_text(const char *data_dir, const char *hostname)
{
	struct conf *c = conf_default();
	const char *error;
	struct buf b;
	char *out;

	if (hostname != NULL && set_value(c, conf_key_find("hostname", 8),
	                                  hostname, NULL, &error) < 0)
		hostname = NULL; /* invalid: keep the computed default */
	if (data_dir != NULL && data_dir[0] != '\0') {
		free(c->data_dir);
		c->data_dir = xstrdup(data_dir);
	}
	buf_init(&b, CONF_FILE_MAX);
	if (buf_append_str(
	        &b, "# outpost configuration: \"key = value\", '#' starts a "
	            "comment line.\n"
	            "# Sizes take k, M, G; durations ms, s, m, h, d; lists are "
	            "comma separated,\n"
	            "# \"none\" turns a listener off. Relative paths are taken "
	            "from this file's\n"
	            "# directory. This file must not be writable by group or "
	            "others.\n\n") < 0)
		fatalx("conf: output too large");
	for (size_t i = 0; i < conf_keys_count; i++) {
		const struct conf_key *key = &conf_keys[i];

		if (buf_printf(&b, "# %s\n%s = ", key->comment, key->name) < 0)
			fatalx("conf: output too large");
		fmt_value(&b, c, key);
		if (buf_append_str(&b, "\n\n") < 0)
			fatalx("conf: output too large");
	}
	out = xstrdup(buf_cstr(&b));
	buf_clear(&b);
	conf_unref(&c);
	return out;
}

char *
conf_dump(const struct conf *c, bool non_default_only)
{
	struct conf *def = NULL;
	struct buf b, v, dv;
	char *out, *base = NULL;

	if (non_default_only) {
		if (c->path != NULL)
			base = base_dir(c->path);
		def = conf_new_defaults(base);
		free(base);
	}
	buf_init(&b, CONF_FILE_MAX);
	buf_init(&v, CONF_FILE_MAX);
	buf_init(&dv, CONF_FILE_MAX);
	for (size_t i = 0; i < conf_keys_count; i++) {
		const struct conf_key *key = &conf_keys[i];
		const char *text;

		buf_reset(&v);
		fmt_value(&v, c, key);
		text = buf_cstr(&v);
		if (def != NULL) {
			buf_reset(&dv);
			fmt_value(&dv, def, key);
			if (strcmp(text, buf_cstr(&dv)) == 0)
				continue;
		}
		if ((key->flags & CONF_F_SECRET) && strcmp(text, "\"\"") != 0)
			text = "(secret)";
		if (buf_printf(&b, "%s = %s\n", key->name, text) < 0)
			fatalx("conf: output too large");
	}
	out = xstrdup(buf_cstr(&b));
	buf_clear(&b);
	buf_clear(&v);
	buf_clear(&dv);
	if (def != NULL)
		conf_unref(&def);
	return out;
}
