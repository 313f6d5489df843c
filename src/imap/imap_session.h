/* SPDX-License-Identifier: MIT */
/*
 * imap_session.h - what the IMAP command files share with the session core
 * (internal to src/imap/).
 *
 * A command handler runs on the loop thread with the parsed command. It
 * either answers at once (imap_reply_tagged) or builds a struct imap_job and
 * submits it: the job's work function runs on a store thread with a
 * snapshot of what it needs (never the session itself), its done function
 * back on the loop. Output a job produces is a list of pieces (text it
 * formatted, or byte ranges of a blob) that the session streams as the
 * connection drains; then the mailbox changes seen meanwhile are reported
 * and the tagged reply sent. Reading pauses while a job or stream is in
 * flight, so pipelined commands are answered in order.
 */
#ifndef OUTPOST_IMAP_SESSION_H
#define OUTPOST_IMAP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compat.h"
#include "core/daemon.h"
#include "core/line.h"
#include "imap/imap_parser.h"
#include "imap/imap_util.h"
#include "store/store.h"

struct conf;
struct conn;
struct imap_session;
struct imap_job;

enum imap_state {
	IMAP_STATE_NOAUTH,
	IMAP_STATE_AUTH,
	IMAP_STATE_SELECTED,
	IMAP_STATE_LOGOUT,
};

enum imap_mode {
	IMAP_MODE_CMD,
	IMAP_MODE_AUTH_CONT, /* AUTHENTICATE waits for the client response */
	IMAP_MODE_IDLE,      /* IDLE waits for DONE */
};

/* the session's view of the selected mailbox: sequence number i+1 */
struct imap_view {
	uint32_t *uids;
	uint64_t *modseqs;
	size_t count, cap;
};

struct imap_session {
	struct daemon_session ds;
	struct daemon *d;
	struct conf *conf;
	struct conn *c;
	struct imap_parser *parser;
	struct line_reader lr; /* AUTHENTICATE and IDLE lines */
	struct ev_timer *timer;
	enum imap_state state;
	enum imap_mode mode;
	unsigned errors;
	bool utf8;      /* IMAP4rev2 or UTF8=ACCEPT enabled */
	bool rev2;      /* IMAP4rev2 enabled */
	char *mode_tag; /* tag of AUTHENTICATE/IDLE in progress */

	char *address;
	int64_t user_id;

	/* selected mailbox */
	int64_t mailbox_id;
	char *mailbox_name;
	bool read_only;
	uint32_t uidvalidity;
	uint32_t recent_min_uid; /* uids >= this arrived during the session */
	struct imap_view view;
	struct store_watch *watch;
	bool changed;

	struct imap_job *job;    /* in a store thread */
	struct imap_job *stream; /* output being written */
	struct imap_job *queue;  /* output waiting for the stream (FIFO) */
	bool dead;               /* connection gone while a job was out */
	bool stopping;           /* daemon shutdown */
};

enum imap_piece_kind { IMAP_PIECE_TEXT, IMAP_PIECE_BLOB };
struct imap_piece {
	enum imap_piece_kind kind;
	int fd;            /* BLOB */
	uint64_t off, len; /* BLOB: file range; TEXT: range of job->out */
};

typedef void imap_job_done_fn(struct imap_session *s, struct imap_job *j);

struct imap_job {
	struct imap_session *s; /* loop thread only */
	char *tag;
	store_work_fn *work;
	imap_job_done_fn *done;

	/* snapshot for the worker */
	int64_t user_id;
	int64_t mailbox_id;
	bool read_only;
	bool utf8;
	uint32_t recent_min_uid;
	uint32_t *uids; /* the view's uids (sequence order) */
	size_t uid_count;

	/* reporting changes after the command */
	bool want_sync;
	bool sync_expunge; /* EXPUNGE may be sent (not FETCH/STORE/SEARCH) */
	bool sync_lazy;    /* the command changes nothing: skip the sync when
	                      no change was signalled since the last one */
	int sync_rc;
	struct store_message *sync_msgs;
	size_t sync_count;
	uint32_t *skip_uids; /* flag changes already reported */
	size_t skip_count;

	/* output, written in order before the tagged reply */
	struct buf out;
	struct imap_piece *pieces;
	size_t piece_count, piece_cap;
	size_t piece_pos; /* streaming: current piece */
	uint64_t piece_done;

	char *reply; /* tagged reply after the tag, e.g. "OK done" */
	bool close_after;

	/* a work function that sets more has output ready and wants to run
	 * again: the output streams while it does (in a part: a job that
	 * only carries output, partial set), and so on until a run leaves
	 * more false; only then come the changes and the tagged reply */
	bool more;
	bool partial;
	struct imap_job *next; /* in s->queue */

	void *data; /* command's own state */
	void (*data_free)(void *data);
};

/* handler signature: args after the command name (after "UID X" for UID) */
typedef void imap_cmd_fn(struct imap_session *s, const struct imap_cmd *cmd,
                         const struct imap_arg *args, size_t count, bool uid);

/* --- replies (loop thread) --- */
void imap_reply(struct imap_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);
void imap_reply_tagged(struct imap_session *s, const char *tag, const char *fmt,
                       ...) ATTR_FORMAT(3, 4);
/* imap_reply_bad - tagged BAD, counts toward max_errors. */
void imap_reply_bad(struct imap_session *s, const char *tag, const char *msg);
void imap_capability_write(struct imap_session *s, struct buf *out);

/* --- jobs --- */
struct imap_job *imap_job_new(struct imap_session *s, const char *tag);
/* imap_job_free - for a job that was never submitted. */
void imap_job_free(struct imap_job *j);
void imap_job_submit(struct imap_session *s, struct imap_job *j,
                     store_work_fn *work, imap_job_done_fn *done);
/* output helpers (any thread: they only touch the job) */
void imap_job_printf(struct imap_job *j, const char *fmt, ...)
    ATTR_FORMAT(2, 3);
void imap_job_write(struct imap_job *j, const void *data, size_t len);
void imap_job_string(struct imap_job *j, const char *s, size_t len);
void imap_job_blob(struct imap_job *j, int fd, uint64_t off, uint64_t len);
void imap_job_set_reply(struct imap_job *j, const char *fmt, ...)
    ATTR_FORMAT(2, 3);

/* --- selected mailbox --- */
void imap_view_clear(struct imap_view *v);
void imap_view_add(struct imap_view *v, uint32_t uid, uint64_t modseq);
/* imap_view_seq - sequence number of uid (1-based), 0 when absent. */
uint32_t imap_view_seq(const struct imap_view *v, uint32_t uid);
/* imap_session_select - uids and modseqs (count entries, allocated or
 * NULL) become the session's view. */
void imap_session_select(struct imap_session *s, int64_t mailbox_id,
                         const char *name, bool read_only, uint32_t uidvalidity,
                         uint32_t uidnext, uint32_t *uids, uint64_t *modseqs,
                         size_t count);
void imap_session_unselect(struct imap_session *s);

/* mailbox name from the client (mUTF-7 or UTF-8) to the store's UTF-8;
 * NULL when invalid. Allocated. "inbox" in any case becomes "INBOX". */
char *imap_mailbox_from_client(const struct imap_session *s, const char *name);
/* and back, written as an astring to out */
void imap_mailbox_write(const struct imap_session *s, struct buf *out,
                        const char *name);

/*
 * imap_set_resolve - the messages a sequence set (uid: a UID set) names in
 * the job's snapshot, as indexes into j->uids (sequence number - 1), in
 * order; allocated (*idx_r NULL when none). For a message sequence set
 * naming a number past the mailbox, returns -1 (answer BAD).
 */
int imap_set_resolve(const struct imap_job *j, const struct imap_seqset *set,
                     bool uid, size_t **idx_r, size_t *count_r);
/* imap_set_arg - parse a sequence-set argument; -1 after a BAD reply. */
int imap_set_arg(struct imap_session *s, const char *tag,
                 const struct imap_arg *a, struct imap_seqset *set_r);

/* --- command families --- */
imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout,
    imap_cmd_starttls, imap_cmd_login, imap_cmd_authenticate, imap_cmd_id,
    imap_cmd_enable, imap_cmd_namespace, imap_cmd_idle;
imap_cmd_fn imap_cmd_select, imap_cmd_create, imap_cmd_delete, imap_cmd_rename,
    imap_cmd_subscribe, imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub,
    imap_cmd_status, imap_cmd_append, imap_cmd_check, imap_cmd_close,
    imap_cmd_unselect, imap_cmd_expunge;
imap_cmd_fn imap_cmd_fetch;
imap_cmd_fn imap_cmd_search;
imap_cmd_fn imap_cmd_store, imap_cmd_copy, imap_cmd_move;

/* imap_auth_continue - a line in IMAP_MODE_AUTH_CONT. */
void imap_auth_continue(struct imap_session *s, const char *line, size_t len);
/* imap_login_limits - raise parser limits after authentication. */
void imap_session_logged_in(struct imap_session *s, int64_t user_id,
                            const char *address);

#endif
