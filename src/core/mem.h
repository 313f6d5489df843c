/* SPDX-License-Identifier: MIT */
/*
 * mem.h - allocation that never returns NULL (aborts on exhaustion), and the
 * few string helpers everyone needs. Hitting a configured limit is never an
 * allocation failure: callers check limits before allocating.
 */
#ifndef OUTPOST_MEM_H
#define OUTPOST_MEM_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t size);
/* xreallocarray - realloc with overflow check on count * size. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* xasprintf - formatted string, allocated; never NULL. */
char *xasprintf(const char *fmt, ...) ATTR_FORMAT(1, 2);
char *xvasprintf(const char *fmt, va_list ap) ATTR_FORMAT(1, 0);
/* xfree - free(*p) and set *p = NULL. */
#define xfree(pp)                                                              \
	do {                                                                   \
		free(*(pp));                                                   \
		*(pp) = NULL;                                                  \
	} while (0)

/*
 * strlcpy_chk - copy src into dst of size dstsize, NUL-terminated.
 * Returns 0, or -1 when src did not fit (dst then holds a truncated copy).
 */
int strlcpy_chk(char *dst, const char *src, size_t dstsize);
/* snprintf_chk - snprintf that returns -1 on truncation or error, else 0. */
int snprintf_chk(char *dst, size_t dstsize, const char *fmt, ...)
    ATTR_FORMAT(3, 4);

#endif
