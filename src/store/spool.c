/* SPDX-License-Identifier: MIT */
/*
 * spool.c - a message being received. Bytes stay in one heap buffer until
 * the total would pass mem_max; then the buffer is written to an unlinked
 * temporary file (O_TMPFILE in the spool directory, or mkstemp + unlink where
 * the file system lacks O_TMPFILE) and every later byte goes there.
 *
 * The loop thread writes; after the hand-off the store writer thread reads
 * (pread, or memcpy from the buffer), never both at once. The bytes are the
 * peer's and are never interpreted here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/fileio.h"
#include "../core/mem.h"
#include "spool.h"

struct spool {
	char *dir;
	size_t mem_max;
	uint8_t *mem; /* used while fd == -1 */
	size_t mem_cap;
	int fd;        /* spill file, or -1 */
	uint64_t size; /* bytes written so far */
};

struct spool *
spool_new(const char *dir, size_t mem_max)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));

	sp->dir = xstrdup(dir != NULL ? dir : "/tmp");
	sp->mem_max = mem_max;
	sp->fd = -1;
	return sp;
}

void
spool_free(struct spool **spp)
{
	struct spool *sp = *spp;

	if (sp == NULL)
		return;
	if (sp->fd != -1)
		close(sp->fd);
	free(sp->mem);
	free(sp->dir);
	free(sp);
	*spp = NULL;
}

/* open_tmp - an unlinked read-write file in dir. */
static int
open_tmp(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd != -1 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	/* no O_TMPFILE here: a named file, unlinked at once */
	char *path = xasprintf("%s/spool.XXXXXX", dir);

	fd = mkostemp(path, O_CLOEXEC);
	if (fd != -1)
		(void)unlink(path);
	free(path);
	return fd;
}

/* spill - move the in-memory bytes to a new temporary file. */
static int
spill(struct spool *sp)
{
	int fd = open_tmp(sp->dir);

	if (fd == -1)
		return -1;
	if (sp->size > 0 &&
	    fileio_pwrite_all(fd, sp->mem, (size_t)sp->size, 0) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	free(sp->mem);
	sp->mem = NULL;
	sp->mem_cap = 0;
	sp->fd = fd;
	return 0;
}

int
spool_write(struct spool *sp, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (sp->fd == -1 && sp->size + len > sp->mem_max && spill(sp) < 0)
		return -1;
	if (sp->fd != -1) {
		if (fileio_pwrite_all(sp->fd, data, len, sp->size) < 0)
			return -1;
		sp->size += len;
		return 0;
	}
	/* in memory: size + len <= mem_max, so the buffer stays bounded */
	if (sp->size + len > sp->mem_cap) {
		size_t cap = sp->mem_cap > 0 ? sp->mem_cap : 4096;

		while (cap < sp->size + len)
			cap *= 2;
		if (cap > sp->mem_max)
			cap = sp->mem_max;
		sp->mem = xrealloc(sp->mem, cap);
		sp->mem_cap = cap;
	}
	/* UNSAFE: mem_cap >= size + len, ensured just above */
	memcpy(sp->mem + sp->size, data, len);
	sp->size += len;
	return 0;
}

size_t
spool_size(const struct spool *sp)
{
	return (size_t)sp->size;
}

void
spool_truncate(struct spool *sp)
{
	/* back to memory: the next message starts small again */
	if (sp->fd != -1) {
		close(sp->fd);
		sp->fd = -1;
	}
	sp->size = 0;
}

ssize_t
spool_read(struct spool *sp, uint64_t off, void *out, size_t len)
{
	if (off >= sp->size || len == 0)
		return 0;
	if (len > sp->size - off)
		len = (size_t)(sp->size - off);
	if (sp->fd == -1) {
		/* UNSAFE: off + len <= size, clamped above */
		memcpy(out, sp->mem + off, len);
		return (ssize_t)len;
	}
	for (;;) {
		ssize_t n = pread(sp->fd, out, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}
