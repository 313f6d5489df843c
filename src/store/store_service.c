/* SPDX-License-Identifier: MIT */
/*
 * store_service.c - level 2 of store.h: the daemon's store threads.
 *
 * Deliveries go through a two-stage pipeline, each stage a thread with its
 * own connection. The writer takes deliveries in batches (up to batch_max,
 * whatever queued meanwhile): it appends every body to the current segment,
 * fdatasyncs once and runs the indexer hook, then hands the batch to the
 * committer, which inserts all blob and message rows in one transaction
 * whose commit syncs the WAL once (group commit) and posts all completions
 * together. While the committer syncs the WAL for one batch, the writer
 * already syncs the bodies of the next (at most one batch waits between
 * them), so a delivery never waits for a whole earlier batch's two syncs.
 * A body is still synced before any row references it. Worker threads,
 * each with its own connection, run store_call work. Completions go back to
 * the loop thread through one ev wakeup; there the done callbacks run, then
 * the watchers of every mailbox the finished jobs changed. Recipients found
 * recently are cached on the loop thread for STORE_USER_CACHE_MS.
 *
 * Threads: store_deliver, store_call, store_watch_* and store_stop are
 * called on the loop thread only; the queues are shared under one mutex.
 * Delivery data comes from sessions that already checked it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ev.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "spool.h"
#include "store_int.h"

#define WATCH_BUCKETS 1024
/* Bodies up to WBUF_MAX are gathered in one buffer, kept up to WBUF_KEEP */
#define WBUF_MAX ((size_t)1024 * 1024)
#define WBUF_KEEP ((size_t)256 * 1024)
#define USER_CACHE_SLOTS 256 /* direct-mapped */
#define USER_CACHE_KEY 320   /* longer addresses are not cached */
#define BATCH_MAX_DEFAULT 64
#ifndef GATHER_US
#define GATHER_US                                                              \
	1500 /* longest wait for the rest of a crowd, see gather_crowd */
#endif

enum job_kind { JOB_DELIVER, JOB_CALL };

struct job {
	struct job *next;
	enum job_kind kind;
	struct store_delivery *d;
	store_work_fn *work;
	store_done_fn *done;
	void *arg;
	int64_t *changed; /* mailboxes changed, for the watchers */
	size_t changed_count;
};

struct jobq {
	struct job *head, **tail;
	size_t count;
};

/* A batch between the writer and the committer: bodies synced. */
struct batch {
	struct job **jobs;
	size_t count;
	struct store_delivery **ds;
	struct blob_loc *locs;
	uint8_t **metas;
	size_t *meta_lens;
};

struct store_watch {
	struct store *s;
	struct store_watch *next;
	int64_t mailbox_id;
	store_watch_fn *cb;
	void *arg;
	bool dead;
};

struct user_cache_slot {
	uint64_t expires; /* ev_now_ms; 0: empty */
	int64_t user_id;
	char key[USER_CACHE_KEY]; /* address, ASCII lowercased */
};

struct store {
	struct ev *ev;
	struct ev_wakeup *wakeup;
	unsigned batch_max;

	pthread_mutex_t mu;
	pthread_cond_t writer_cv, worker_cv, commit_cv;
	struct jobq writeq, callq, doneq;
	bool stopping;
	struct batch *pending; /* written, waiting for the committer */
	bool committing;       /* the committer holds a batch */
	bool writer_done;      /* no more batches will come */

	struct store_db *bdb; /* the writer's: segment appends, indexing */
	uint8_t *wbuf;        /* the writer's: one small body at a time */
	size_t wbuf_cap;
	struct store_db *wdb; /* the committer's: the transactions */
	pthread_t writer, committer;
	bool writer_running, committer_running;
	unsigned nworkers, workers_running;
	struct store_db **worker_dbs;
	struct seg_maps *maps; /* the workers' segment mappings */
	pthread_t *workers;

	/* loop thread only */
	struct user_cache_slot *user_cache; /* USER_CACHE_SLOTS, lazily */
	struct store_watch *watch[WATCH_BUCKETS];
	bool dispatching, have_dead;
};

static void
jobq_init(struct jobq *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
	q->count++;
}

static struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = &q->head;
		j->next = NULL;
		q->count--;
	}
	return j;
}

/* take_changed - move the ids db collected into job j. */
static void
take_changed(struct store_db *db, struct job *j)
{
	if (db->changed_count > 0) {
		j->changed =
		    xreallocarray(NULL, db->changed_count, sizeof(*j->changed));
		memcpy(j->changed, db->changed,
		       db->changed_count * sizeof(*j->changed));
		j->changed_count = db->changed_count;
	}
	db->changed_count = 0;
	db->collect = false;
}

/* post - hand finished jobs (a list) to the loop thread. */
static void
post(struct store *s, struct job **jobs, size_t count)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < count; i++)
		jobq_push(&s->doneq, jobs[i]);
	pthread_mutex_unlock(&s->mu);
	ev_wakeup_signal(s->wakeup);
}

static void
fail_all(struct store_delivery **ds, size_t count, const char *error)
{
	for (size_t i = 0; i < count; i++) {
		if (ds[i]->result == 0) {
			ds[i]->result = -1;
			ds[i]->error = error;
		}
	}
}

/* index_mem - the indexer hook over a body still in memory */
static uint8_t *
index_mem(const uint8_t *msg, size_t len, size_t *meta_len_r)
{
	store_indexer_fn *fn = blob_indexer();
	uint8_t *meta;

	*meta_len_r = 0;
	if (fn == NULL)
		return NULL;
	meta = fn(len > 0 ? msg : (const uint8_t *)"", len, meta_len_r);
	if (meta != NULL && *meta_len_r > STORE_META_MAX) {
		log_warnx("store blob index_too_large len=%zu", *meta_len_r);
		free(meta);
		meta = NULL;
	}
	if (meta == NULL)
		*meta_len_r = 0;
	return meta;
}

/*
 * gather - a small delivery's prefix and body as one piece in s->wbuf, so
 * it takes one write and is indexed without reading it back; -1 when it is
 * too large for that or its spool cannot be read.
 */
static int
gather(struct store *s, const struct store_delivery *d, size_t *len_r)
{
	uint64_t body = d->body != NULL ? spool_size(d->body) : 0;
	size_t len, off;

	if (body > WBUF_MAX || d->prefix_len > WBUF_MAX - body)
		return -1;
	len = d->prefix_len + (size_t)body;
	if (len > s->wbuf_cap) {
		s->wbuf = xreallocarray(s->wbuf, 1, len);
		s->wbuf_cap = len;
	}
	if (d->prefix_len > 0)
		memcpy(s->wbuf, d->prefix, d->prefix_len);
	for (off = d->prefix_len; off < len;) {
		ssize_t n = spool_read(d->body, off - d->prefix_len,
		                       s->wbuf + off, len - off);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	*len_r = len;
	return 0;
}

/* write_batch - append every body of b, one sync; marks failures. Small
 * bodies are indexed from memory, the others are read back after. */
static void
write_batch(struct store *s, struct batch *b)
{
	struct store_db *db = s->bdb;
	size_t written = 0;
	bool *indexed = xcalloc(b->count, sizeof(*indexed));

	if (blob_lock(db) < 0) {
		log_warnx("store writer blob_lock_failed error=\"%s\"",
		          store_db_error(db));
		fail_all(b->ds, b->count, "cannot write message");
		free(indexed);
		return;
	}
	for (size_t i = 0; i < b->count; i++) {
		struct store_delivery *d = b->ds[i];
		struct blob_src srcs[2] = {
		    {.data = (const uint8_t *)d->prefix, .len = d->prefix_len},
		    {.spool = d->body},
		};
		size_t nsrc = d->body != NULL ? 2 : 1, len = 0;

		if (d->result < 0)
			continue;
		if (gather(s, d, &len) == 0) {
			srcs[0] =
			    (struct blob_src){.data = s->wbuf, .len = len};
			nsrc = 1;
		}
		if (blob_write(db, srcs, nsrc, &b->locs[i]) < 0) {
			log_warnx("store writer blob_write_failed error=\"%s\"",
			          store_db_error(db));
			d->result = -1;
			d->error = "cannot write message";
			continue;
		}
		if (nsrc == 1 && srcs[0].data == s->wbuf) {
			/* used only once the sync below succeeded */
			b->metas[i] = index_mem(s->wbuf, len, &b->meta_lens[i]);
			indexed[i] = true;
		}
		written++;
	}
	blob_unlock(db);
	if (written > 0 && blob_sync(db) < 0) {
		log_warnx("store writer sync_failed error=\"%s\"",
		          store_db_error(db));
		fail_all(b->ds, b->count, "cannot sync message");
	}
	for (size_t i = 0; i < b->count; i++) {
		if (b->ds[i]->result == 0 && !indexed[i])
			b->metas[i] =
			    blob_index(db, &b->locs[i], &b->meta_lens[i]);
	}
	if (s->wbuf_cap > WBUF_KEEP) {
		xfree(&s->wbuf);
		s->wbuf_cap = 0;
	}
	free(indexed);
}

/* write_stage - the writer's half of a batch: bodies on disk, indexed. */
static struct batch *
write_stage(struct store *s, struct job **jobs, size_t count)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	b->jobs = xcalloc(count, sizeof(*b->jobs));
	memcpy(b->jobs, jobs, count * sizeof(*b->jobs));
	b->count = count;
	b->ds = xcalloc(count, sizeof(*b->ds));
	b->locs = xcalloc(count, sizeof(*b->locs));
	b->metas = xcalloc(count, sizeof(*b->metas));
	b->meta_lens = xcalloc(count, sizeof(*b->meta_lens));
	for (size_t i = 0; i < count; i++) {
		struct store_delivery *d = jobs[i]->d;

		b->ds[i] = d;
		d->result = 0;
		d->error = NULL;
		d->blob_id = 0;
		if (d->user_count == 0 || d->user_ids == NULL) {
			d->result = -1;
			d->error = "no recipients";
		}
	}
	write_batch(s, b);
	return b;
}

/* commit_stage - the group commit for a written batch; frees it. */
static void
commit_stage(struct store *s, struct batch *b)
{
	struct store_db *db = s->wdb;
	bool any = false;

	db->collect = true;
	db->changed_count = 0;
	for (size_t i = 0; i < b->count; i++)
		any = any || b->ds[i]->result == 0;
	if (any && store_db_deliver_batch(db, b->ds, b->locs, b->metas,
	                                  b->meta_lens, b->count) < 0)
		log_warnx("store writer commit_failed error=\"%s\"",
		          store_db_error(db));
	take_changed(db, b->jobs[b->count - 1]);
	post(s, b->jobs, b->count);
	for (size_t i = 0; i < b->count; i++)
		free(b->metas[i]);
	free(b->metas);
	free(b->meta_lens);
	free(b->locs);
	free(b->ds);
	free(b->jobs);
	free(b);
}

/*
 * gather_crowd - called with mu held and deliveries queued. When far fewer wait
 * than the previous batch held, the rest of that crowd is usually a moment
 * behind: their sessions were all answered by the previous commit and are
 * sending their next message now. Waiting up to GATHER_US for them lets one
 * sync serve them all instead of two (PostgreSQL's commit_delay with
 * commit_siblings). A lone delivery after a lone delivery never waits.
 */
static void
gather_crowd(struct store *s, size_t last)
{
	struct timespec until;

	if (s->writeq.count * 2 > last || s->stopping)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += GATHER_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (s->writeq.count < last && !s->stopping &&
	       s->writeq.count < s->batch_max)
		if (pthread_cond_timedwait(&s->writer_cv, &s->mu, &until) ==
		    ETIMEDOUT)
			break;
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct job **jobs = xcalloc(s->batch_max, sizeof(*jobs));
	size_t last = 0;

	for (;;) {
		struct batch *b;
		size_t n = 0;

		pthread_mutex_lock(&s->mu);
		/*
		 * Run at most one batch ahead of the committer: while both
		 * are busy, new deliveries gather into the next batch.
		 */
		while ((s->writeq.head == NULL || s->pending != NULL) &&
		       !(s->stopping && s->writeq.head == NULL))
			pthread_cond_wait(&s->writer_cv, &s->mu);
		gather_crowd(s, last);
		while (n < s->batch_max && s->writeq.head != NULL)
			jobs[n++] = jobq_pop(&s->writeq);
		pthread_mutex_unlock(&s->mu);
		if (n == 0)
			break; /* stopping and drained */
		last = n;
		b = write_stage(s, jobs, n);
		pthread_mutex_lock(&s->mu);
		while (s->pending != NULL)
			pthread_cond_wait(&s->writer_cv, &s->mu);
		s->pending = b;
		pthread_cond_signal(&s->commit_cv);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_lock(&s->mu);
	s->writer_done = true;
	pthread_cond_signal(&s->commit_cv);
	pthread_mutex_unlock(&s->mu);
	free(jobs);
	return NULL;
}

static void *
committer_main(void *arg)
{
	struct store *s = arg;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&s->mu);
		while (s->pending == NULL && !s->writer_done)
			pthread_cond_wait(&s->commit_cv, &s->mu);
		b = s->pending;
		s->pending = NULL;
		pthread_cond_signal(&s->writer_cv);
		pthread_mutex_unlock(&s->mu);
		if (b == NULL)
			break; /* the writer finished and nothing is left */
		commit_stage(s, b);
	}
	return NULL;
}

struct worker_arg {
	struct store *s;
	struct store_db *db;
};

static void *
worker_main(void *arg)
{
	struct store *s = ((struct worker_arg *)arg)->s;
	struct store_db *db = ((struct worker_arg *)arg)->db;

	free(arg);
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&s->mu);
		while (s->callq.head == NULL && !s->stopping)
			pthread_cond_wait(&s->worker_cv, &s->mu);
		j = jobq_pop(&s->callq);
		pthread_mutex_unlock(&s->mu);
		if (j == NULL)
			break;
		db->collect = true;
		db->changed_count = 0;
		if (j->work != NULL)
			j->work(db, j->arg);
		take_changed(db, j);
		post(s, &j, 1);
	}
	return NULL;
}

/* --- loop thread --- */

static size_t
watch_bucket(int64_t mailbox_id)
{
	return (size_t)(((uint64_t)mailbox_id * 0x9e3779b97f4a7c15ULL) >> 54) %
	       WATCH_BUCKETS;
}

static void
sweep_dead(struct store *s)
{
	for (size_t i = 0; i < WATCH_BUCKETS; i++) {
		struct store_watch **pp = &s->watch[i];

		while (*pp != NULL) {
			struct store_watch *w = *pp;

			if (w->dead) {
				*pp = w->next;
				free(w);
			} else
				pp = &w->next;
		}
	}
	s->have_dead = false;
}

static void
dispatch(struct store *s, const int64_t *ids, size_t count)
{
	bool outer = !s->dispatching;

	s->dispatching = true;
	for (size_t i = 0; i < count; i++) {
		for (struct store_watch *w = s->watch[watch_bucket(ids[i])];
		     w != NULL; w = w->next) {
			if (!w->dead && w->mailbox_id == ids[i])
				w->cb(ids[i], w->arg);
		}
	}
	if (outer) {
		s->dispatching = false;
		if (s->have_dead)
			sweep_dead(s);
	}
}

/* on_wakeup - run finished jobs' done callbacks, then their watchers. */
static void
on_wakeup(void *arg)
{
	struct store *s = arg;
	struct jobq done;
	int64_t *ids = NULL;
	size_t nids = 0;
	struct job *j;

	pthread_mutex_lock(&s->mu);
	done = s->doneq;
	if (done.head == NULL)
		done.tail = &done.head;
	jobq_init(&s->doneq);
	pthread_mutex_unlock(&s->mu);

	while ((j = jobq_pop(&done)) != NULL) {
		if (j->done != NULL)
			j->done(j->arg);
		for (size_t i = 0; i < j->changed_count; i++) {
			size_t k;

			for (k = 0; k < nids && ids[k] != j->changed[i]; k++)
				;
			if (k == nids) {
				ids =
				    xreallocarray(ids, nids + 1, sizeof(*ids));
				ids[nids++] = j->changed[i];
			}
		}
		free(j->changed);
		free(j);
	}
	dispatch(s, ids, nids);
	free(ids);
}

static void
enqueue(struct store *s, struct job *j)
{
	if (NEVER(s->stopping))
		fatalx("store: job queued after store_stop");
	pthread_mutex_lock(&s->mu);
	if (j->kind == JOB_DELIVER) {
		jobq_push(&s->writeq, j);
		pthread_cond_signal(&s->writer_cv);
	} else {
		jobq_push(&s->callq, j);
		pthread_cond_signal(&s->worker_cv);
	}
	pthread_mutex_unlock(&s->mu);
}

void
store_deliver(struct store *s, struct store_delivery *d, store_done_fn *done,
              void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->kind = JOB_DELIVER;
	j->d = d;
	j->done = done;
	j->arg = arg;
	d->result = -1;
	d->error = "in progress";
	enqueue(s, j);
}

void
store_call(struct store *s, store_work_fn *work, store_done_fn *done, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->kind = JOB_CALL;
	j->work = work;
	j->done = done;
	j->arg = arg;
	enqueue(s, j);
}

/* user_cache_key - lowercase addr into key; slot index, or -1 if too long */
static int
user_cache_key(const char *addr, char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	size_t i;

	for (i = 0; addr[i] != '\0'; i++) {
		char c = addr[i];

		if (i + 1 >= USER_CACHE_KEY)
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		key[i] = c;
		h = (h ^ (uint8_t)c) * 0x100000001b3ULL;
	}
	key[i] = '\0';
	return (int)(h % USER_CACHE_SLOTS);
}

int64_t
store_user_cache_get(struct store *s, const char *addr)
{
	char key[USER_CACHE_KEY];
	int slot = user_cache_key(addr, key);
	struct user_cache_slot *e;

	if (slot < 0 || s->user_cache == NULL)
		return 0;
	e = &s->user_cache[slot];
	if (e->expires == 0 || strcmp(e->key, key) != 0)
		return 0;
	if (ev_now_ms(s->ev) >= e->expires) {
		e->expires = 0;
		return 0;
	}
	return e->user_id;
}

void
store_user_cache_put(struct store *s, const char *addr, int64_t user_id)
{
	char key[USER_CACHE_KEY];
	int slot = user_cache_key(addr, key);
	struct user_cache_slot *e;

	if (slot < 0 || user_id <= 0)
		return;
	if (s->user_cache == NULL)
		s->user_cache =
		    xcalloc(USER_CACHE_SLOTS, sizeof(*s->user_cache));
	e = &s->user_cache[slot];
	memcpy(e->key, key, strlen(key) + 1);
	e->user_id = user_id;
	e->expires = ev_now_ms(s->ev) + STORE_USER_CACHE_MS;
}

struct store_watch *
store_watch_add(struct store *s, int64_t mailbox_id, store_watch_fn *cb,
                void *arg)
{
	struct store_watch *w = xcalloc(1, sizeof(*w));
	size_t b = watch_bucket(mailbox_id);

	w->s = s;
	w->mailbox_id = mailbox_id;
	w->cb = cb;
	w->arg = arg;
	w->next = s->watch[b];
	s->watch[b] = w;
	return w;
}

void
store_watch_del(struct store_watch **wp)
{
	struct store_watch *w = *wp;
	struct store *s;

	if (w == NULL)
		return;
	*wp = NULL;
	s = w->s;
	if (s->dispatching) {
		/* the dispatch loop may stand on it: free after */
		w->dead = true;
		s->have_dead = true;
		return;
	}
	for (struct store_watch **pp = &s->watch[watch_bucket(w->mailbox_id)];
	     *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	free(w);
}

/* stop_threads - ask every thread to finish its queue, then join. */
static void
stop_threads(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->writer_cv);
	pthread_cond_broadcast(&s->worker_cv);
	if (!s->writer_running)
		s->writer_done = true; /* let a lone committer finish */
	pthread_cond_broadcast(&s->commit_cv);
	pthread_mutex_unlock(&s->mu);
	if (s->writer_running)
		pthread_join(s->writer, NULL);
	if (s->committer_running)
		pthread_join(s->committer, NULL);
	for (unsigned i = 0; i < s->workers_running; i++)
		pthread_join(s->workers[i], NULL);
	s->writer_running = false;
	s->committer_running = false;
	s->workers_running = 0;
}

static void
store_free(struct store *s)
{
	store_db_close(&s->bdb);
	store_db_close(&s->wdb);
	for (unsigned i = 0; i < s->nworkers; i++)
		store_db_close(&s->worker_dbs[i]);
	seg_maps_free(&s->maps); /* after the connections that used them */
	free(s->worker_dbs);
	free(s->workers);
	free(s->user_cache);
	free(s->wbuf);
	s->dispatching = false;
	for (size_t i = 0; i < WATCH_BUCKETS; i++) {
		while (s->watch[i] != NULL) {
			struct store_watch *w = s->watch[i];

			s->watch[i] = w->next;
			free(w);
		}
	}
	ev_wakeup_free(&s->wakeup);
	pthread_cond_destroy(&s->writer_cv);
	pthread_cond_destroy(&s->worker_cv);
	pthread_cond_destroy(&s->commit_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct store *
store_start(struct ev *ev, const struct store_settings *set,
            const char **error_r)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->ev = ev;
	s->batch_max = set->batch_max > 0 ? set->batch_max : BATCH_MAX_DEFAULT;
	s->nworkers = set->workers > 0 ? set->workers : 1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->writer_cv, NULL);
	pthread_cond_init(&s->worker_cv, NULL);
	pthread_cond_init(&s->commit_cv, NULL);
	jobq_init(&s->writeq);
	jobq_init(&s->callq);
	jobq_init(&s->doneq);
	s->worker_dbs = xcalloc(s->nworkers, sizeof(*s->worker_dbs));
	s->workers = xcalloc(s->nworkers, sizeof(*s->workers));
	s->maps = seg_maps_new();
	s->wakeup = ev_wakeup_new(ev, on_wakeup, s);
	if (s->wakeup == NULL) {
		*error_r = "cannot create the store wakeup";
		goto fail;
	}
	if ((s->wdb = store_db_open(set->data_dir, error_r)) == NULL ||
	    (s->bdb = store_db_open(set->data_dir, error_r)) == NULL)
		goto fail;
	for (unsigned i = 0; i < s->nworkers; i++) {
		s->worker_dbs[i] = store_db_open(set->data_dir, error_r);
		if (s->worker_dbs[i] == NULL)
			goto fail;
		s->worker_dbs[i]->maps = s->maps;
		s->worker_dbs[i]->maps_shared = true;
	}
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
		*error_r = "cannot start the store writer thread";
		goto fail;
	}
	s->writer_running = true;
	if (pthread_create(&s->committer, NULL, committer_main, s) != 0) {
		*error_r = "cannot start the store committer thread";
		goto fail;
	}
	s->committer_running = true;
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct worker_arg *wa = xmalloc(sizeof(*wa));

		wa->s = s;
		wa->db = s->worker_dbs[i];
		if (pthread_create(&s->workers[i], NULL, worker_main, wa) !=
		    0) {
			free(wa);
			*error_r = "cannot start a store worker thread";
			goto fail;
		}
		s->workers_running++;
	}
	return s;
fail:
	stop_threads(s);
	store_free(s);
	return NULL;
}

void
store_stop(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	stop_threads(s);
	on_wakeup(s); /* the last completions and notifications */
	store_free(s);
	*sp = NULL;
}
