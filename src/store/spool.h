/* SPDX-License-Identifier: MIT */
/*
 * spool.h - a message being received: bytes kept in memory up to a
 * threshold, then spilled to an unlinked temporary file (O_TMPFILE) in the
 * spool directory, so a session holds little memory whatever the message
 * size. Written by the loop thread while receiving, then handed to the store
 * writer thread, which reads it back once.
 */
#ifndef OUTPOST_SPOOL_H
#define OUTPOST_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/compat.h"

struct spool;

/* spool_new - dir holds spill files; mem_max bytes stay in memory. */
struct spool *spool_new(const char *dir, size_t mem_max);
void spool_free(struct spool **sp);
/* spool_write - append; 0 ok, -1 on I/O error (errno set). */
int spool_write(struct spool *sp, const void *data,
                size_t len) WARN_UNUSED_RESULT;
size_t spool_size(const struct spool *sp);
/* spool_truncate - drop all content (RSET), keep the spool usable. */
void spool_truncate(struct spool *sp);
/*
 * spool_read - copy up to len bytes at offset off into out; returns bytes
 * copied (0 at end) or -1 on I/O error. Safe from another thread once the
 * writer has stopped appending.
 */
ssize_t spool_read(struct spool *sp, uint64_t off, void *out, size_t len);

#endif
