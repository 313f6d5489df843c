/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - `outpost serve`: the daemon, in the foreground. Loads the
 * configuration and TLS context, opens every listener (SMTP MX, submission,
 * submissions, IMAP, IMAPS, POP3, POP3S), drops root privileges to run_user
 * once bound, starts the store threads and runs the event loop on this
 * thread. Accepted connections become conns handed to the protocol
 * sessions; connections over the limits get the protocol's refusal.
 *
 * Signals arrive as loop events: SIGTERM/SIGINT stop accepting, ask every
 * session to finish and say goodbye, and exit once none remain (at most
 * 30 s); SIGHUP reloads the configuration and certificate (listeners stay
 * as they are). Trusts the configuration; peers only reach the accept loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/daemon.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/net.h"
#include "core/tls.h"
#include "imap/imap.h"
#include "mime/mime.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"
#include "store/store.h"

#define SERVE_IN_EXTRA (64 * 1024)        /* input beyond one line */
#define SERVE_MAX_OUT (4 * 1024 * 1024)   /* output hard limit */
#define SERVE_ACCEPT_PAUSE_MS 1000        /* after EMFILE/ENFILE */
#define SERVE_SHUTDOWN_MAX_MS (30 * 1000) /* graceful stop bound */
#define SERVE_SHUTDOWN_POLL_MS 50

enum listener_kind {
	LK_SMTP,
	LK_SUBMISSION,
	LK_SUBMISSIONS,
	LK_IMAP,
	LK_IMAPS,
	LK_POP3,
	LK_POP3S,
};

static const struct {
	const char *name;
	bool implicit_tls;
} kinds[] = {
    [LK_SMTP] = {"smtp", false},
    [LK_SUBMISSION] = {"submission", false},
    [LK_SUBMISSIONS] = {"submissions", true},
    [LK_IMAP] = {"imap", false},
    [LK_IMAPS] = {"imaps", true},
    [LK_POP3] = {"pop3", false},
    [LK_POP3S] = {"pop3s", true},
};

struct serve;

struct listener {
	struct serve *sv;
	enum listener_kind kind;
	int fd;
	struct ev_io *io;
	char *addr; /* as configured */
};

struct serve {
	struct daemon d;
	struct ev *ev;
	struct listener *listeners;
	size_t listener_count;
	struct ev_timer *accept_timer;   /* resumes accepting after EMFILE */
	struct ev_timer *shutdown_timer; /* polls for the last session */
	uint64_t shutdown_started_ms;
	int reserve_fd; /* spare descriptor released on EMFILE */
	bool accept_paused;
	char *config_path;
};

static const char usage_serve[] =
    "usage: outpost serve [-c CONFIG]\n"
    "\n"
    "Run the mail daemon in the foreground, logging to stderr.\n"
    "SIGTERM/SIGINT stop it gracefully; SIGHUP reloads the configuration\n"
    "and certificate (listener changes need a restart). With\n"
    "OUTPOST_READY_FD set, \"ready\\n\" is written to that descriptor once\n"
    "every listener is open.\n";

/* conf_list_of - the listener list of a kind in c. */
static const struct conf_list *
conf_list_of(const struct conf *c, enum listener_kind k)
{
	switch (k) {
	case LK_SMTP:
		return &c->smtp_listen;
	case LK_SUBMISSION:
		return &c->submission_listen;
	case LK_SUBMISSIONS:
		return &c->submissions_listen;
	case LK_IMAP:
		return &c->imap_listen;
	case LK_IMAPS:
		return &c->imaps_listen;
	case LK_POP3:
		return &c->pop3_listen;
	case LK_POP3S:
		return &c->pop3s_listen;
	}
	return &c->smtp_listen;
}

static size_t
max_line_of(const struct conf *c, enum listener_kind k)
{
	switch (k) {
	case LK_SMTP:
	case LK_SUBMISSION:
	case LK_SUBMISSIONS:
		return MAX(c->smtp_max_line, c->smtp_max_data_line);
	case LK_IMAP:
	case LK_IMAPS:
		return c->imap_max_line;
	case LK_POP3:
	case LK_POP3S:
		return c->pop3_max_line;
	}
	return c->smtp_max_line;
}

static void
reserve_open(struct serve *sv)
{
	if (sv->reserve_fd < 0)
		sv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
accept_set(struct serve *sv, bool on)
{
	size_t i;

	for (i = 0; i < sv->listener_count; i++) {
		if (sv->listeners[i].io != NULL)
			ev_io_set(sv->listeners[i].io, on ? EV_READ : 0);
	}
	sv->accept_paused = !on;
}

/* accept_resume - the pause after running out of descriptors is over. */
static void
accept_resume(struct ev_timer *t, void *arg)
{
	struct serve *sv = arg;

	(void)t;
	reserve_open(sv);
	if (!sv->d.stopping) {
		log_info("serve accepting again");
		accept_set(sv, true);
	}
}

/*
 * out_of_fds - accept failed with EMFILE/ENFILE: use the reserve descriptor
 * to take one pending connection off the queue and close it (so the
 * client is not left hanging), then stop accepting for a second.
 */
static void
out_of_fds(struct serve *sv, struct listener *l)
{
	int fd;

	log_warnx("serve out of descriptors, pausing accept for %d ms",
	          SERVE_ACCEPT_PAUSE_MS);
	if (sv->reserve_fd >= 0) {
		close(sv->reserve_fd);
		sv->reserve_fd = -1;
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		reserve_open(sv);
	}
	accept_set(sv, false);
	ev_timer_arm(sv->accept_timer, SERVE_ACCEPT_PAUSE_MS);
}

/* start_session - hand a new connection to its protocol, or refuse it. */
static void
start_session(struct serve *sv, struct listener *l, int fd,
              const struct sockaddr_storage *ss)
{
	struct daemon *d = &sv->d;
	struct conn_settings set;
	struct conn *c;
	const char *reason = NULL;
	char ip[64];
	bool refuse;

	net_ntop(ss, ip, sizeof(ip));
	refuse = daemon_can_accept(d, ip, &reason) < 0;
	set.max_in = SERVE_IN_EXTRA + max_line_of(d->conf, l->kind);
	set.max_out = SERVE_MAX_OUT;
	c = conn_new(d->ev, fd, &set,
	             kinds[l->kind].implicit_tls ? d->tls : NULL);
	if (c == NULL) {
		log_warnx("serve %s connection from %s dropped: no memory",
		          kinds[l->kind].name, ip);
		close(fd);
		return;
	}
	if (refuse) {
		log_info("%s %s refused ip=%s reason=\"%s\"", conn_id_str(c),
		         kinds[l->kind].name, ip, reason);
		switch (l->kind) {
		case LK_SMTP:
		case LK_SUBMISSION:
		case LK_SUBMISSIONS:
			smtp_refuse(c, d->conf->hostname, reason);
			break;
		case LK_IMAP:
		case LK_IMAPS:
			imap_refuse(c, reason);
			break;
		case LK_POP3:
		case LK_POP3S:
			pop3_refuse(c, reason);
			break;
		}
		return;
	}
	switch (l->kind) {
	case LK_SMTP:
		smtp_session_start(d, c, SMTP_SERVICE_MX);
		break;
	case LK_SUBMISSION:
		smtp_session_start(d, c, SMTP_SERVICE_SUBMISSION);
		break;
	case LK_SUBMISSIONS:
		smtp_session_start(d, c, SMTP_SERVICE_SUBMISSIONS);
		break;
	case LK_IMAP:
	case LK_IMAPS:
		imap_session_start(d, c);
		break;
	case LK_POP3:
	case LK_POP3S:
		pop3_session_start(d, c);
		break;
	}
}

/* on_accept - take every pending connection until EAGAIN. */
static void
on_accept(struct ev_io *io, int lfd, unsigned events, void *arg)
{
	struct listener *l = arg;
	struct serve *sv = l->sv;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)io;
	(void)events;
	while (!sv->d.stopping && !sv->accept_paused) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				out_of_fds(sv, l);
				return;
			default:
				log_warn("serve %s accept",
				         kinds[l->kind].name);
				return;
			}
		}
		start_session(sv, l, fd, &ss);
	}
}

static void
listeners_close(struct serve *sv)
{
	size_t i;

	for (i = 0; i < sv->listener_count; i++) {
		if (sv->listeners[i].io != NULL)
			ev_io_del(&sv->listeners[i].io);
		if (sv->listeners[i].fd >= 0) {
			close(sv->listeners[i].fd);
			sv->listeners[i].fd = -1;
		}
	}
}

static void
listeners_free(struct serve *sv)
{
	size_t i;

	listeners_close(sv);
	for (i = 0; i < sv->listener_count; i++)
		free(sv->listeners[i].addr);
	free(sv->listeners);
	sv->listeners = NULL;
	sv->listener_count = 0;
}

/* listeners_open - bind every configured listener; -1 after logging. */
static int
listeners_open(struct serve *sv, const struct conf *c, struct buf *names)
{
	const struct conf_list *list;
	struct sockaddr_storage ss;
	struct listener *l;
	const char *error = NULL;
	socklen_t len;
	size_t k, i, total = 0;

	for (k = 0; k < N_ELEMENTS(kinds); k++)
		total += conf_list_of(c, (enum listener_kind)k)->count;
	sv->listeners = xcalloc(total == 0 ? 1 : total, sizeof(*sv->listeners));
	for (k = 0; k < N_ELEMENTS(kinds); k++) {
		list = conf_list_of(c, (enum listener_kind)k);
		for (i = 0; i < list->count; i++) {
			l = &sv->listeners[sv->listener_count++];
			l->sv = sv;
			l->kind = (enum listener_kind)k;
			l->fd = -1;
			l->addr = xstrdup(list->items[i]);
			if (net_parse_hostport(l->addr, &ss, &len) < 0) {
				log_error("serve %s_listen: bad address \"%s\"",
				          kinds[k].name, l->addr);
				return -1;
			}
			l->fd = net_listen(&ss, len, &error);
			if (l->fd < 0) {
				log_error("serve %s listen %s: %s",
				          kinds[k].name, l->addr,
				          error != NULL ? error : "failed");
				return -1;
			}
			if (buf_printf(names, "%s%s=%s",
			               buf_avail(names) > 0 ? "," : "",
			               kinds[k].name, l->addr) < 0)
				fatalx("serve: listener list too long");
		}
	}
	if (sv->listener_count == 0) {
		log_error("serve: no listeners configured");
		return -1;
	}
	return 0;
}

static void
listeners_watch(struct serve *sv)
{
	size_t i;

	for (i = 0; i < sv->listener_count; i++)
		sv->listeners[i].io =
		    ev_io_add(sv->ev, sv->listeners[i].fd, EV_READ, on_accept,
		              &sv->listeners[i]);
}

/* --- privileges --- */

static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)type;
	(void)f;
	if ((st->st_uid != chown_uid || st->st_gid != chown_gid) &&
	    lchown(path, chown_uid, chown_gid) < 0) {
		log_warn("serve chown %s", path);
		return -1;
	}
	return 0;
}

/* privileges_check - as root: find run_user; NULL pw means stay root. */
static int
privileges_check(const struct conf *c, struct passwd *pw_r, bool *drop_r)
{
	struct passwd *pw;

	*drop_r = false;
	if (geteuid() != 0)
		return 0;
	if (c->run_user == NULL || c->run_user[0] == '\0') {
		log_error("serve: started as root but run_user is empty; set "
		          "run_user (\"root\" to stay root)");
		return -1;
	}
	if (strcmp(c->run_user, "root") == 0) {
		log_warnx("serve running as root (run_user = root)");
		return 0;
	}
	errno = 0;
	pw = getpwnam(c->run_user);
	if (pw == NULL) {
		log_error("serve: run_user \"%s\" does not exist; create it "
		          "with `useradd --system %s` (or set run_user = root)",
		          c->run_user, c->run_user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("serve run_user %s has uid 0: staying root",
		          c->run_user);
		return 0;
	}
	pw_r->pw_uid = pw->pw_uid;
	pw_r->pw_gid = pw->pw_gid;
	*drop_r = true;
	return 0;
}

/* privileges_drop - give data_dir to the user, then become it for good. */
static void
privileges_drop(const struct conf *c, const struct passwd *pw)
{
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	if (nftw(c->data_dir, chown_one, 16, FTW_PHYS) != 0)
		fatalx("serve: cannot give %s to %s", c->data_dir, c->run_user);
	if (setgroups(1, &pw->pw_gid) < 0)
		fatal("serve setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		fatal("serve setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		fatal("serve setresuid");
	if (setuid(0) != -1 || geteuid() == 0 || getegid() == 0)
		fatalx("serve: still privileged after dropping to %s",
		       c->run_user);
	log_info("serve dropped privileges user=%s uid=%u gid=%u", c->run_user,
	         (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	if (access(c->data_dir, R_OK | W_OK | X_OK) < 0)
		fatal("serve: user %s cannot use %s (are its parent "
		      "directories searchable by others?)",
		      c->run_user, c->data_dir);
}

/* --- signals --- */

static bool
lists_equal(const struct conf_list *a, const struct conf_list *b)
{
	size_t i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++) {
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	}
	return true;
}

static void
on_sighup(int signo, void *arg)
{
	struct serve *sv = arg;
	struct conf *c, *old;
	struct tls_ctx *tls, *old_tls;
	const char *terr = NULL;
	char *error = NULL;
	size_t k;

	(void)signo;
	log_info("serve reload path=%s", sv->config_path);
	c = conf_load(sv->config_path, &error);
	if (c == NULL) {
		log_warnx("serve reload failed, keeping the old "
		          "configuration: %s",
		          error != NULL ? error : "error");
		free(error);
		return;
	}
	for (k = 0; k < N_ELEMENTS(kinds); k++) {
		if (!lists_equal(
		        conf_list_of(c, (enum listener_kind)k),
		        conf_list_of(sv->d.conf, (enum listener_kind)k)))
			log_warnx("serve reload: %s_listen changed; listener "
			          "changes need a restart",
			          kinds[k].name);
	}
	if (strcmp(c->data_dir, sv->d.conf->data_dir) != 0)
		log_warnx("serve reload: data_dir changed; needs a restart");
	tls = tls_ctx_new(c->tls_cert, c->tls_key, &terr);
	if (tls == NULL) {
		log_warnx("serve reload: TLS certificate not loaded, keeping "
		          "the old one: %s",
		          terr != NULL ? terr : "error");
	} else {
		old_tls = sv->d.tls;
		sv->d.tls = tls;
		tls_ctx_unref(&old_tls);
	}
	old = sv->d.conf;
	sv->d.conf = c;
	conf_unref(&old);
	log_set_level(c->log_level);
	log_info("serve reloaded");
}

/* shutdown_poll - exit the loop once the last session is gone, or at the
 * deadline. */
static void
shutdown_poll(struct ev_timer *t, void *arg)
{
	struct serve *sv = arg;

	if (sv->d.session_count == 0) {
		log_info("serve all sessions closed");
		ev_stop(sv->ev);
		return;
	}
	if (ev_now_ms(sv->ev) - sv->shutdown_started_ms >=
	    SERVE_SHUTDOWN_MAX_MS) {
		log_warnx("serve stopping with %u sessions still open",
		          sv->d.session_count);
		ev_stop(sv->ev);
		return;
	}
	ev_timer_arm(t, SERVE_SHUTDOWN_POLL_MS);
}

static void
on_sigterm(int signo, void *arg)
{
	struct serve *sv = arg;

	if (sv->d.stopping) {
		log_warnx("serve signal %d again, stopping now", signo);
		ev_stop(sv->ev);
		return;
	}
	log_info("serve stopping signal=%d sessions=%u", signo,
	         sv->d.session_count);
	sv->d.stopping = true;
	listeners_close(sv);
	ev_timer_disarm(sv->accept_timer);
	daemon_shutdown_all(&sv->d);
	sv->shutdown_started_ms = ev_now_ms(sv->ev);
	shutdown_poll(sv->shutdown_timer, sv);
}

/* signal_ready - OUTPOST_READY_FD: write "ready\n" and close it. */
static void
signal_ready(void)
{
	const char *s = getenv("OUTPOST_READY_FD");
	uint32_t fd;
	ssize_t n;

	if (s == NULL || *s == '\0')
		return;
	if (cli_parse_u32(s, &fd) < 0 || fd > INT32_MAX) {
		log_warnx("serve OUTPOST_READY_FD is not a descriptor number");
		return;
	}
	do
		n = write((int)fd, "ready\n", 6);
	while (n < 0 && errno == EINTR);
	if (n != 6)
		log_warn("serve OUTPOST_READY_FD write");
	close((int)fd);
	unsetenv("OUTPOST_READY_FD");
}

int
cli_serve(int argc, char **argv)
{
	struct cli_args a;
	struct serve sv;
	struct conf *c;
	struct store_settings ss;
	struct passwd pw;
	struct buf names;
	struct sigaction sa;
	const char *error = NULL;
	bool drop;
	int ret = 1;

	cli_parse(argc, argv, usage_serve, false, &a);
	if (a.argc != 0)
		cli_usage_error(usage_serve, "serve takes no arguments");
	if ((c = cli_conf_load(&a)) == NULL)
		return 1;
	log_set_level(c->log_level);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		fatal("sigaction SIGPIPE");

	memset(&sv, 0, sizeof(sv));
	memset(&pw, 0, sizeof(pw));
	sv.reserve_fd = -1;
	sv.config_path = xstrdup(a.config);
	buf_init(&names, 64 * 1024);
	if (privileges_check(c, &pw, &drop) < 0) {
		conf_unref(&c);
		goto out_early;
	}

	tls_init();
	sv.ev = ev_new();
	daemon_init(&sv.d, sv.ev);
	sv.d.conf = c;
	sv.d.tls = tls_ctx_new(c->tls_cert, c->tls_key, &error);
	if (sv.d.tls == NULL) {
		log_error("serve: TLS certificate %s / key %s: %s (STARTTLS "
		          "and the implicit TLS listeners need them)",
		          c->tls_cert, c->tls_key,
		          error != NULL ? error : "error");
		goto out;
	}
	if (listeners_open(&sv, c, &names) < 0)
		goto out;
	if (drop)
		privileges_drop(c, &pw);
	reserve_open(&sv);

	/* Signals first: the store threads inherit the blocked mask. */
	if (ev_signal_add(sv.ev, SIGTERM, on_sigterm, &sv) < 0 ||
	    ev_signal_add(sv.ev, SIGINT, on_sigterm, &sv) < 0 ||
	    ev_signal_add(sv.ev, SIGHUP, on_sighup, &sv) < 0) {
		log_error("serve: cannot watch signals");
		goto out;
	}
	sv.accept_timer = ev_timer_new(sv.ev, accept_resume, &sv);
	sv.shutdown_timer = ev_timer_new(sv.ev, shutdown_poll, &sv);

	store_set_indexer(mime_index_build);
	memset(&ss, 0, sizeof(ss));
	ss.data_dir = c->data_dir;
	ss.batch_max = c->store_batch_max;
	ss.workers = c->store_threads;
	sv.d.store = store_start(sv.ev, &ss, &error);
	if (sv.d.store == NULL) {
		log_error("serve: store %s: %s", c->data_dir,
		          error != NULL ? error : "cannot start");
		goto out;
	}

	listeners_watch(&sv);
	log_info("serve ready listeners=%s", buf_cstr(&names));
	signal_ready();
	if (ev_run(sv.ev) < 0)
		log_error("serve: event loop failed");
	else
		ret = 0;
	listeners_close(&sv);
	store_stop(&sv.d.store);
	log_info("serve stopped");
out:
	listeners_free(&sv);
	if (sv.accept_timer != NULL)
		ev_timer_del(&sv.accept_timer);
	if (sv.shutdown_timer != NULL)
		ev_timer_del(&sv.shutdown_timer);
	if (sv.reserve_fd >= 0)
		close(sv.reserve_fd);
	if (sv.d.tls != NULL)
		tls_ctx_unref(&sv.d.tls);
	if (sv.d.conf != NULL)
		conf_unref(&sv.d.conf);
	daemon_clear(&sv.d);
	ev_free(&sv.ev);
out_early:
	buf_clear(&names);
	free(sv.config_path);
	return ret;
}
