/* SPDX-License-Identifier: MIT */
/*
 * span.h - borrowed byte ranges and cursor parsing helpers. A span is never
 * assumed NUL-terminated. Cursor helpers advance only on success.
 */
#ifndef OUTPOST_SPAN_H
#define OUTPOST_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span {
	const char *p;
	size_t len;
};

#define SPAN_LIT(s) ((struct span){(s), sizeof(s) - 1})
struct span span_from_cstr(const char *s);
bool span_eq(struct span a, struct span b);
/* span_eq_ci - ASCII case-insensitive equality with a C string. */
bool span_eq_ci(struct span a, const char *s);
bool span_startswith_ci(struct span a, const char *prefix);
/* span_trim - drop leading and trailing spaces and tabs. */
struct span span_trim(struct span a);
/* span_skip_ws - advance past spaces/tabs; returns how many. */
size_t span_skip_ws(struct span *cur);
/* span_word - take up to the next space/tab (1..max bytes); 0 ok, -1 none/too
 * long. */
int span_word(struct span *cur, struct span *word_r, size_t max);
/* span_u64 - decimal digits only, at most max; 0 ok, -1 error/overflow. */
int span_u64(struct span *cur, uint64_t *n_r, uint64_t max);
int span_u32(struct span *cur, uint32_t *n_r, uint32_t max);
/* span_take_ci - if cur starts with s (case-insensitive), advance; bool. */
bool span_take_ci(struct span *cur, const char *s);
/* span_dup - allocated NUL-terminated copy (xmalloc). */
char *span_dup(struct span a);
/* span_has_byte - true when any byte of a equals c. */
bool span_has_byte(struct span a, char c);

#endif
