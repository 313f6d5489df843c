/* SPDX-License-Identifier: MIT */
/*
 * blob.c - message bodies in append-only segment files
 * DATA_DIR/blobs/NNNNNNNN.seg. A blob is a byte range of one segment; the
 * blobs table in SQLite says which.
 *
 * Several writers may append at once: the daemon's writer thread, a worker
 * running an IMAP APPEND, and an `outpost` CLI process. Each holds its own
 * descriptor and takes flock(LOCK_EX) on the segment for the duration of its
 * writes; the write offset is the file size read under the lock, and bytes
 * go there with pwrite. A failed write cuts the segment back to where that
 * blob began. A segment past STORE_SEGMENT_MAX is left for the next number.
 * Data is fdatasync'ed (blob_sync) before any metadata references it, so a
 * crash leaves at worst unreferenced bytes at a segment's end.
 *
 * Readers open segments read-only, one cached descriptor per segment per
 * connection. Runs on whichever thread owns the store_db.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fileio.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "spool.h"
#include "store_int.h"

static store_indexer_fn *indexer_hook;
static _Atomic uint64_t sync_count;

void
store_set_indexer(store_indexer_fn *fn)
{
	indexer_hook = fn;
}

store_indexer_fn *
blob_indexer(void)
{
	return indexer_hook;
}

uint64_t
store_blob_sync_count(void)
{
	return atomic_load(&sync_count);
}

static char *
seg_path(const struct store_db *db, uint32_t seg)
{
	return xasprintf("%s/%08u.seg", db->blob_dir, seg);
}

/* highest_segment - the largest segment number present, 0 if none. */
static uint32_t
highest_segment(const struct store_db *db)
{
	DIR *d = opendir(db->blob_dir);
	struct dirent *de;
	uint32_t max = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;
		uint32_t n = 0;
		size_t i;

		for (i = 0; i < 8 && p[i] >= '0' && p[i] <= '9'; i++)
			n = n * 10 + (uint32_t)(p[i] - '0');
		if (i == 8 && strcmp(p + 8, ".seg") == 0 && n > max)
			max = n;
	}
	closedir(d);
	return max;
}

static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return;
	if (fsync(fd) < 0)
		log_warn("store blob dir_sync_failed dir=%s", dir);
	close(fd);
}

/* open_segment - open (creating if needed) segment seg for writing. */
static int
open_segment(struct store_db *db, uint32_t seg)
{
	char *path = seg_path(db, seg);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool created = fd != -1;

	if (fd == -1 && errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		db_seterr(db, "open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (created)
		sync_dir(db->blob_dir); /* the new name must survive too */
	db->wfd = fd;
	db->wseg = seg;
	return 0;
}

static void
close_writer(struct store_db *db)
{
	if (db->wfd != -1) {
		if (db->wlocked)
			(void)flock(db->wfd, LOCK_UN);
		close(db->wfd);
	}
	db->wfd = -1;
	db->wlocked = false;
}

int
blob_lock(struct store_db *db)
{
	struct stat st;

again:
	if (NEVER(db->wlocked))
		return db_seterr(db, "blob segment already locked");
	if (db->wfd == -1) {
		uint32_t seg = db->wseg > 0 ? db->wseg : highest_segment(db);

		if (open_segment(db, seg > 0 ? seg : 1) < 0)
			return -1;
	}
	while (flock(db->wfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return db_seterr(db, "flock segment: %s",
			                 strerror(errno));
	}
	db->wlocked = true;
	if (fstat(db->wfd, &st) < 0) {
		db_seterr(db, "fstat segment: %s", strerror(errno));
		blob_unlock(db);
		return -1;
	}
	if ((uint64_t)st.st_size >= db->seg_max) {
		/* full: this and any other writer move on to the next one */
		uint32_t next = db->wseg + 1;

		if (db->wdirty && blob_sync(db) < 0) {
			blob_unlock(db);
			return -1;
		}
		close_writer(db);
		db->wseg = next;
		goto again;
	}
	db->woff = (uint64_t)st.st_size;
	return 0;
}

void
blob_unlock(struct store_db *db)
{
	if (db->wlocked && db->wfd != -1)
		(void)flock(db->wfd, LOCK_UN);
	db->wlocked = false;
}

/* write_spool - copy a whole spool to the segment at db->woff. */
static int
write_spool(struct store_db *db, struct spool *sp)
{
	uint8_t chunk[65536];
	uint64_t off = 0;

	for (;;) {
		ssize_t n = spool_read(sp, off, chunk, sizeof(chunk));

		if (n < 0)
			return db_seterr(db, "read spool: %s", strerror(errno));
		if (n == 0)
			return 0;
		if (fileio_pwrite_all(db->wfd, chunk, (size_t)n, db->woff) < 0)
			return db_seterr(db, "write segment: %s",
			                 strerror(errno));
		off += (uint64_t)n;
		db->woff += (uint64_t)n;
	}
}

int
blob_write(struct store_db *db, const struct blob_src *srcs, size_t count,
           struct blob_loc *loc_r)
{
	uint64_t start = db->woff;

	if (NEVER(!db->wlocked))
		return db_seterr(db, "blob segment not locked");
	db->wdirty = true;
	for (size_t i = 0; i < count; i++) {
		int ret = 0;

		if (srcs[i].spool != NULL)
			ret = write_spool(db, srcs[i].spool);
		else if (fileio_pwrite_all(db->wfd, srcs[i].data, srcs[i].len,
		                           db->woff) < 0)
			ret =
			    db_seterr(db, "write segment: %s", strerror(errno));
		else
			db->woff += srcs[i].len;
		if (ret < 0) {
			/* leave no partial blob behind */
			if (ftruncate(db->wfd, (off_t)start) < 0)
				log_warn("store blob truncate_failed");
			db->woff = start;
			return -1;
		}
	}
	loc_r->seg = db->wseg;
	loc_r->off = start;
	loc_r->size = db->woff - start;
	return 0;
}

int
blob_sync(struct store_db *db)
{
	if (!db->wdirty || db->wfd == -1)
		return 0;
	atomic_fetch_add(&sync_count, 1);
	if (fdatasync(db->wfd) < 0) {
		/*
		 * After a failed sync the page cache may claim the data is
		 * clean while the disk lacks it: never trust this segment
		 * again from this connection; later writes start a new one.
		 */
		db_seterr(db, "fdatasync segment: %s", strerror(errno));
		uint32_t next = db->wseg + 1;

		close_writer(db);
		db->wseg = next;
		db->wdirty = false;
		return -1;
	}
	db->wdirty = false;
	return 0;
}

int
blob_reader_fd(struct store_db *db, uint32_t seg)
{
	for (size_t i = 0; i < db->rfd_count; i++) {
		if (db->rfds[i].seg == seg)
			return db->rfds[i].fd;
	}
	char *path = seg_path(db, seg);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		db_seterr(db, "open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	db->rfds =
	    xreallocarray(db->rfds, db->rfd_count + 1, sizeof(*db->rfds));
	db->rfds[db->rfd_count] = (struct blob_rfd){.seg = seg, .fd = fd};
	db->rfd_count++;
	return fd;
}

uint8_t *
blob_index(struct store_db *db, const struct blob_loc *loc, size_t *meta_len_r)
{
	store_indexer_fn *fn = indexer_hook;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *meta;

	*meta_len_r = 0;
	if (fn == NULL)
		return NULL;
	if (loc->size == 0) {
		meta = fn((const uint8_t *)"", 0, meta_len_r);
		goto check;
	}

	int fd = blob_reader_fd(db, loc->seg);

	if (fd == -1 || page <= 0 || loc->size > SIZE_MAX / 2)
		return NULL;
	uint64_t aoff = loc->off & ~((uint64_t)page - 1);
	size_t delta = (size_t)(loc->off - aoff);
	/* UNSAFE: delta < page and size <= SIZE_MAX / 2: no overflow */
	size_t maplen = delta + (size_t)loc->size;
	void *map = mmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, (off_t)aoff);

	if (map == MAP_FAILED) {
		log_warn("store blob index_mmap_failed");
		return NULL;
	}
	meta = fn((const uint8_t *)map + delta, (size_t)loc->size, meta_len_r);
	munmap(map, maplen);
check:
	if (meta != NULL && *meta_len_r > STORE_META_MAX) {
		log_warnx("store blob index_too_large len=%zu", *meta_len_r);
		free(meta);
		meta = NULL;
	}
	if (meta == NULL)
		*meta_len_r = 0;
	return meta;
}

struct seg_maps *
seg_maps_new(void)
{
	struct seg_maps *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void
seg_maps_free(struct seg_maps **mp)
{
	struct seg_maps *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->count; i++)
		munmap(m->v[i].map, SEG_MAP_LEN);
	free(m->v);
	pthread_mutex_destroy(&m->mu);
	free(m);
	*mp = NULL;
}

/*
 * store_blob_map - committed blobs are never rewritten or truncated (a
 * failed write only truncates its own unreferenced tail) and always lie
 * within their segment file, so a read-only shared mapping is safe to read
 * within any blob's range. Segments are never deleted, so a mapping keyed
 * by segment number stays right.
 */
const uint8_t *
store_blob_map(struct store_db *db, const struct store_blob *b)
{
	struct blob_rfd *r = NULL;

	if (b->size == 0)
		return (const uint8_t *)"";
	for (size_t i = 0; i < db->rfd_count && r == NULL; i++) {
		if (db->rfds[i].fd == b->fd)
			r = &db->rfds[i];
	}
	if (r == NULL || b->off > SEG_MAP_LEN || b->size > SEG_MAP_LEN - b->off)
		return NULL;
	if (r->map == NULL) {
		struct seg_maps *m;

		if (db->maps == NULL)
			db->maps = seg_maps_new();
		m = db->maps;
		pthread_mutex_lock(&m->mu);
		for (size_t i = 0; i < m->count && r->map == NULL; i++) {
			if (m->v[i].seg == r->seg)
				r->map = m->v[i].map;
		}
		if (r->map == NULL) {
			void *p = mmap(NULL, SEG_MAP_LEN, PROT_READ, MAP_SHARED,
			               r->fd, 0);
			if (p == MAP_FAILED) {
				pthread_mutex_unlock(&m->mu);
				log_warn("store blob map_failed segment=%u",
				         r->seg);
				return NULL;
			}
			m->v = xreallocarray(m->v, m->count + 1, sizeof(*m->v));
			m->v[m->count++] =
			    (struct seg_map){.seg = r->seg, .map = p};
			r->map = p;
		}
		pthread_mutex_unlock(&m->mu);
	}
	return r->map + b->off;
}

void
blob_close_all(struct store_db *db)
{
	blob_unlock(db);
	close_writer(db);
	for (size_t i = 0; i < db->rfd_count; i++)
		close(db->rfds[i].fd);
	free(db->rfds);
	db->rfds = NULL;
	db->rfd_count = 0;
}
