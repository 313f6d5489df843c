/* SPDX-License-Identifier: MIT */
/*
 * compat.h - compiler attributes and tiny macros shared by every module.
 */
#ifndef OUTPOST_COMPAT_H
#define OUTPOST_COMPAT_H

#define ATTR_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN __attribute__((noreturn))
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define ATTR_UNUSED __attribute__((unused))

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* NEVER(x) - true when an invariant is broken; keeps a defensive branch. */
#define NEVER(x) __builtin_expect(!!(x), 0)

#endif
