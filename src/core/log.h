/* SPDX-License-Identifier: MIT */
/*
 * log.h - one event per line on stderr:
 *   "2026-11-23T14:00:00.123Z info <16-hex id> smtp event key=value ..."
 * Untrusted text passes log_escape() first. Thread safe (one write(2) per
 * line).
 */
#ifndef OUTPOST_LOG_H
#define OUTPOST_LOG_H

#include <stddef.h>
#include <stdbool.h>

#include "compat.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR
};

void log_set_level(enum log_level level);
/* log_parse_level - "debug", "info", "warn", "error"; -1 if unknown. */
int log_parse_level(const char *name, enum log_level *level_r);
bool log_enabled(enum log_level level);

void log_debug(const char *fmt, ...) ATTR_FORMAT(1, 2);
void log_info(const char *fmt, ...) ATTR_FORMAT(1, 2);
/* log_warn appends ": strerror(errno)", log_warnx does not. */
void log_warn(const char *fmt, ...) ATTR_FORMAT(1, 2);
void log_warnx(const char *fmt, ...) ATTR_FORMAT(1, 2);
void log_error(const char *fmt, ...) ATTR_FORMAT(1, 2);
void fatal(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;
void fatalx(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;

/*
 * log_escape - make len bytes of untrusted text printable for a log line:
 * bytes outside 0x21..0x7e (and '"', '\\', '=') become \xNN, at most
 * max_out - 1 characters written, always NUL-terminated; a cut is marked
 * with "...". Returns out.
 */
char *log_escape(char *out, size_t max_out, const void *data, size_t len);

#endif
