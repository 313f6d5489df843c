/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - what every protocol session shares with the running daemon:
 * the list of live sessions (for graceful shutdown) and connection
 * accounting, global and per client address, the latter in a small chained
 * hash table keyed by the address text with a random seed (addresses are
 * peer-chosen). Loop thread only; addresses come from the kernel via
 * net_ntop, so they are short and NUL-free.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conf.h"
#include "daemon.h"
#include "mem.h"

#define IP_BUCKETS_MIN 64

struct ip_entry {
	struct ip_entry *next;
	unsigned count;
	char ip[46];
};

struct ip_counts {
	struct ip_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;    /* entries */
	uint64_t seed;
};

/* ip_hash - FNV-1a over the seed and the text. */
static size_t
ip_hash(const struct ip_counts *t, const char *ip)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;

	for (; *ip != '\0'; ip++) {
		h ^= (unsigned char)*ip;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (size_t)h & (t->nbuckets - 1);
}

static struct ip_counts *
ip_counts_new(void)
{
	struct ip_counts *t = xcalloc(1, sizeof(*t));

	t->nbuckets = IP_BUCKETS_MIN;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t;
	return t;
}

static void
ip_counts_free(struct ip_counts **tp)
{
	struct ip_counts *t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct ip_entry *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	free(t);
	*tp = NULL;
}

/* ip_find - the entry for ip, and the link pointing at it. */
static struct ip_entry *
ip_find(struct ip_counts *t, const char *ip, struct ip_entry ***link_r)
{
	struct ip_entry **link = &t->buckets[ip_hash(t, ip)];

	for (; *link != NULL; link = &(*link)->next) {
		if (strcmp((*link)->ip, ip) == 0)
			break;
	}
	if (link_r != NULL)
		*link_r = link;
	return *link;
}

/* ip_grow - double the buckets once entries outnumber them twice. */
static void
ip_grow(struct ip_counts *t)
{
	struct ip_entry **old = t->buckets;
	size_t oldn = t->nbuckets;

	t->nbuckets *= 2;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	for (size_t i = 0; i < oldn; i++) {
		struct ip_entry *e = old[i], *next;

		for (; e != NULL; e = next) {
			size_t h = ip_hash(t, e->ip);

			next = e->next;
			e->next = t->buckets[h];
			t->buckets[h] = e;
		}
	}
	free(old);
}

static unsigned
ip_get(struct ip_counts *t, const char *ip)
{
	struct ip_entry *e = ip_find(t, ip, NULL);

	return e != NULL ? e->count : 0;
}

static void
ip_inc(struct ip_counts *t, const char *ip)
{
	struct ip_entry **link, *e = ip_find(t, ip, &link);

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		strlcpy_chk(e->ip, ip, sizeof(e->ip));
		*link = e;
		t->count++;
		if (t->count > 2 * t->nbuckets)
			ip_grow(t);
	}
	e->count++;
}

static void
ip_dec(struct ip_counts *t, const char *ip)
{
	struct ip_entry **link, *e = ip_find(t, ip, &link);

	assert(e != NULL && e->count > 0);
	if (NEVER(e == NULL))
		return;
	if (--e->count == 0) {
		*link = e->next;
		free(e);
		t->count--;
	}
}

void
daemon_init(struct daemon *d, struct ev *ev)
{
	memset(d, 0, sizeof(*d));
	d->ev = ev;
	d->ip_counts = ip_counts_new();
}

void
daemon_clear(struct daemon *d)
{
	/* sessions still listed are their owners' to free; unlink them */
	while (d->sessions != NULL)
		daemon_session_remove(d, d->sessions);
	ip_counts_free(&d->ip_counts);
}

int
daemon_can_accept(struct daemon *d, const char *ip, const char **reason_r)
{
	char key[46];

	if (d->stopping) {
		*reason_r = "shutting down";
		return -1;
	}
	if (d->conf == NULL)
		return 0;
	if (d->session_count >= d->conf->max_connections) {
		*reason_r = "too many connections";
		return -1;
	}
	strlcpy_chk(key, ip, sizeof(key));
	if (ip_get(d->ip_counts, key) >= d->conf->max_connections_per_ip) {
		*reason_r = "too many connections from your address";
		return -1;
	}
	return 0;
}

void
daemon_session_add(struct daemon *d, struct daemon_session *ds, const char *ip,
                   daemon_shutdown_fn *shutdown)
{
	assert(!ds->counted);
	strlcpy_chk(ds->ip, ip, sizeof(ds->ip));
	ds->shutdown = shutdown;
	ds->shutdown_called = false;
	ds->prev = NULL;
	ds->next = d->sessions;
	if (d->sessions != NULL)
		d->sessions->prev = ds;
	d->sessions = ds;
	ds->counted = true;
	d->session_count++;
	ip_inc(d->ip_counts, ds->ip);
}

void
daemon_session_remove(struct daemon *d, struct daemon_session *ds)
{
	if (!ds->counted)
		return;
	if (d->shutdown_next == ds)
		d->shutdown_next = ds->next;
	if (ds->prev != NULL)
		ds->prev->next = ds->next;
	else
		d->sessions = ds->next;
	if (ds->next != NULL)
		ds->next->prev = ds->prev;
	ds->prev = ds->next = NULL;
	ds->counted = false;
	assert(d->session_count > 0);
	d->session_count--;
	ip_dec(d->ip_counts, ds->ip);
}

void
daemon_shutdown_all(struct daemon *d)
{
	struct daemon_session *ds;

	d->stopping = true;
	/*
	 * Sessions are added at the head, so walking from the head forward
	 * never meets one added by a callback; repeat until a pass finds no
	 * session left to call. shutdown_next is advanced by
	 * daemon_session_remove when a callback removes the one we would
	 * visit next.
	 */
	for (bool again = true; again;) {
		again = false;
		for (ds = d->sessions; ds != NULL; ds = d->shutdown_next) {
			d->shutdown_next = ds->next;
			if (ds->shutdown_called || ds->shutdown == NULL)
				continue;
			ds->shutdown_called = true;
			again = true;
			ds->shutdown(ds);
		}
	}
	d->shutdown_next = NULL;
}
