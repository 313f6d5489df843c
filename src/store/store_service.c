/* SPDX-License-Identifier: MIT */
/*
 * store_service.c - level 2 of store.h: the daemon's store threads.
 *
 * One writer thread owns a connection and takes deliveries in batches (up
 * to batch_max, whatever queued while the previous batch was syncing): it
 * appends every body to the current segment, fdatasyncs once, runs the
 * indexer hook, then inserts all blob and message rows in one transaction
 * whose commit syncs the WAL once (group commit), and posts all completions
 * together. Worker threads, each with its own connection, run store_call
 * work. Completions go back to the loop thread through one ev wakeup; there
 * the done callbacks run, then the watchers of every mailbox the finished
 * jobs changed.
 *
 * Threads: store_deliver, store_call, store_watch_* and store_stop are
 * called on the loop thread only; the queues are shared under one mutex.
 * Delivery data comes from sessions that already checked it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ev.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "spool.h"
#include "store_int.h"

#define WATCH_BUCKETS 1024
#define BATCH_MAX_DEFAULT 64

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
};

struct store_watch {
	struct store *s;
	struct store_watch *next;
	int64_t mailbox_id;
	store_watch_fn *cb;
	void *arg;
	bool dead;
};

struct store {
	struct ev *ev;
	struct ev_wakeup *wakeup;
	unsigned batch_max;

	pthread_mutex_t mu;
	pthread_cond_t writer_cv, worker_cv;
	struct jobq writeq, callq, doneq;
	bool stopping;

	struct store_db *wdb;
	pthread_t writer;
	bool writer_running;
	unsigned nworkers, workers_running;
	struct store_db **worker_dbs;
	pthread_t *workers;

	/* loop thread only */
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

/* write_batch - append every body, one sync; marks failures in ds. Returns
 * how many bodies are on disk. */
static size_t
write_batch(struct store_db *db, struct store_delivery **ds,
            struct blob_loc *locs, size_t count)
{
	size_t written = 0;

	if (blob_lock(db) < 0) {
		log_warnx("store writer blob_lock_failed error=\"%s\"",
		          store_db_error(db));
		fail_all(ds, count, "cannot write message");
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		struct store_delivery *d = ds[i];
		struct blob_src srcs[2] = {
		    {.data = (const uint8_t *)d->prefix, .len = d->prefix_len},
		    {.spool = d->body},
		};

		if (d->result < 0)
			continue;
		if (blob_write(db, srcs, d->body != NULL ? 2 : 1, &locs[i]) <
		    0) {
			log_warnx("store writer blob_write_failed error=\"%s\"",
			          store_db_error(db));
			d->result = -1;
			d->error = "cannot write message";
			continue;
		}
		written++;
	}
	blob_unlock(db);
	if (written > 0 && blob_sync(db) < 0) {
		log_warnx("store writer sync_failed error=\"%s\"",
		          store_db_error(db));
		fail_all(ds, count, "cannot sync message");
		return 0;
	}
	return written;
}

/* deliver_batch - the group commit for jobs[0..count). */
static void
deliver_batch(struct store *s, struct job **jobs, size_t count)
{
	struct store_db *db = s->wdb;
	struct store_delivery **ds = xcalloc(count, sizeof(*ds));
	struct blob_loc *locs = xcalloc(count, sizeof(*locs));
	uint8_t **metas = xcalloc(count, sizeof(*metas));
	size_t *meta_lens = xcalloc(count, sizeof(*meta_lens));

	db->collect = true;
	db->changed_count = 0;
	for (size_t i = 0; i < count; i++) {
		struct store_delivery *d = jobs[i]->d;

		ds[i] = d;
		d->result = 0;
		d->error = NULL;
		d->blob_id = 0;
		if (d->user_count == 0 || d->user_ids == NULL) {
			d->result = -1;
			d->error = "no recipients";
		}
	}
	if (write_batch(db, ds, locs, count) > 0) {
		for (size_t i = 0; i < count; i++) {
			if (ds[i]->result == 0)
				metas[i] =
				    blob_index(db, &locs[i], &meta_lens[i]);
		}
		if (store_db_deliver_batch(db, ds, locs, metas, meta_lens,
		                           count) < 0)
			log_warnx("store writer commit_failed error=\"%s\"",
			          store_db_error(db));
	}
	take_changed(db, jobs[count - 1]);
	for (size_t i = 0; i < count; i++)
		free(metas[i]);
	free(metas);
	free(meta_lens);
	free(locs);
	free(ds);
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct job **jobs = xcalloc(s->batch_max, sizeof(*jobs));

	for (;;) {
		size_t n = 0;

		pthread_mutex_lock(&s->mu);
		while (s->writeq.head == NULL && !s->stopping)
			pthread_cond_wait(&s->writer_cv, &s->mu);
		while (n < s->batch_max && s->writeq.head != NULL)
			jobs[n++] = jobq_pop(&s->writeq);
		pthread_mutex_unlock(&s->mu);
		if (n == 0)
			break; /* stopping and drained */
		deliver_batch(s, jobs, n);
		post(s, jobs, n);
	}
	free(jobs);
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
	pthread_mutex_unlock(&s->mu);
	if (s->writer_running)
		pthread_join(s->writer, NULL);
	for (unsigned i = 0; i < s->workers_running; i++)
		pthread_join(s->workers[i], NULL);
	s->writer_running = false;
	s->workers_running = 0;
}

static void
store_free(struct store *s)
{
	store_db_close(&s->wdb);
	for (unsigned i = 0; i < s->nworkers; i++)
		store_db_close(&s->worker_dbs[i]);
	free(s->worker_dbs);
	free(s->workers);
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
	jobq_init(&s->writeq);
	jobq_init(&s->callq);
	jobq_init(&s->doneq);
	s->worker_dbs = xcalloc(s->nworkers, sizeof(*s->worker_dbs));
	s->workers = xcalloc(s->nworkers, sizeof(*s->workers));
	s->wakeup = ev_wakeup_new(ev, on_wakeup, s);
	if (s->wakeup == NULL) {
		*error_r = "cannot create the store wakeup";
		goto fail;
	}
	if ((s->wdb = store_db_open(set->data_dir, error_r)) == NULL)
		goto fail;
	for (unsigned i = 0; i < s->nworkers; i++) {
		s->worker_dbs[i] = store_db_open(set->data_dir, error_r);
		if (s->worker_dbs[i] == NULL)
			goto fail;
	}
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
		*error_r = "cannot start the store writer thread";
		goto fail;
	}
	s->writer_running = true;
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
