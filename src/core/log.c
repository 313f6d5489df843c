/* SPDX-License-Identifier: MIT */
/*
 * log.c - one event per line on stderr, prefixed with a UTC timestamp with
 * milliseconds and the level name. Each line is formatted into a stack buffer
 * and written with a single write(2), so lines from several threads never
 * interleave. Over-long lines are cut and marked with "...". Any thread.
 * Message text is trusted to be printable: callers pass untrusted bytes
 * through log_escape() first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static _Atomic int log_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

int
log_parse_level(const char *name, enum log_level *level_r)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
	    {"debug", LOG_LEVEL_DEBUG},
	    {"info", LOG_LEVEL_INFO},
	    {"warn", LOG_LEVEL_WARN},
	    {"error", LOG_LEVEL_ERROR},
	};

	for (size_t i = 0; i < N_ELEMENTS(levels); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*level_r = levels[i].level;
			return 0;
		}
	}
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&log_level);
}

/* log_emit - format and write one line: "<time> <tag> <msg>[: <err>]\n". */
static void ATTR_FORMAT(3, 0)
    log_emit(const char *tag, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t len = 0, room = sizeof(line) - 1; /* keep one byte for '\n' */
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, room, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tag);
	if (n > 0)
		len = MIN((size_t)n, room - 1);
	n = vsnprintf(line + len, room - len, fmt, ap);
	if (n > 0)
		len += MIN((size_t)n, room - len - 1);
	if (errnum != 0 && len < room - 1) {
		char ebuf[128];
		const char *e = strerror_r(errnum, ebuf, sizeof(ebuf));

		n = snprintf(line + len, room - len, ": %s", e);
		if (n > 0)
			len += MIN((size_t)n, room - len - 1);
	}
	if (len >= room - 1) {
		/* cut: mark it; UNSAFE: len == room - 1 >= 3 here */
		memcpy(line + len - 3, "...", 3);
	}
	line[len++] = '\n';
	while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
		;
}

#define LOG_FN(name, level, tag, with_errno)                                   \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		int saved = errno;                                             \
		va_list ap;                                                    \
                                                                               \
		if (!log_enabled(level))                                       \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_emit(tag, with_errno ? saved : 0, fmt, ap);                \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, "debug", 0)
LOG_FN(log_info, LOG_LEVEL_INFO, "info", 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, "warn", 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, "warn", 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, "error", 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* escaped_len - characters the log form of byte c takes. */
static size_t
escaped_len(unsigned char c)
{
	if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == '=')
		return 4;
	return 1;
}

char *
log_escape(char *out, size_t max_out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t total = 0, limit, o = 0, i;

	if (max_out == 0)
		return out;
	for (i = 0; i < len && total <= max_out - 1; i++)
		total += escaped_len(p[i]);
	limit = max_out - 1;
	if (total > limit) {
		/* does not fit: leave room for the "..." marker */
		limit = limit >= 3 ? limit - 3 : 0;
	}
	for (i = 0; i < len; i++) {
		size_t n = escaped_len(p[i]);

		if (o + n > limit)
			break;
		if (n == 1) {
			out[o++] = (char)p[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
	}
	if (i < len) {
		for (int k = 0; k < 3 && o < max_out - 1; k++)
			out[o++] = '.';
	}
	out[o] = '\0';
	return out;
}
