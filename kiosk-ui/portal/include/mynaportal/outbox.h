/* mynaportal/outbox.h - signed packages waiting for their receipt.
 *
 * A package is written to the outbox before it is sent for the first time,
 * with the Idempotency-Key every send of it will carry. It is marked
 * delivered only once the portal's receipt (arrive_id) is stored, and then
 * its file is overwritten and removed; the row keeps only the receipt
 * (procedure id, arrive_id, dates: nothing personal). After a crash, a power
 * cut or a network outage the pending entries are there to be sent again, in
 * the order they were made (mp_client_deliver in client.h does the sending).
 *
 * Storage: DIR/outbox.db (SQLite, WAL, synchronous=FULL, secure_delete) and
 * DIR/packages/ENTRY.zip; DIR is 0700, every file 0600. One process at a time
 * may open an outbox (an flock on DIR/lock); a second gets MP_ERROR_OUTBOX
 * saying which process holds it. An mp_outbox is used from one thread at a
 * time.
 */
#ifndef MYNAPORTAL_OUTBOX_H
#define MYNAPORTAL_OUTBOX_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct mp_outbox mp_outbox;

typedef enum mp_outbox_state {
  MP_OUTBOX_PENDING = 0,   /* not yet confirmed by a receipt */
  MP_OUTBOX_DELIVERED,     /* receipt stored, package wiped */
  MP_OUTBOX_REJECTED       /* the portal refused it for its content (4xx): kept until discarded */
} mp_outbox_state;

typedef enum mp_outbox_kind {
  MP_OUTBOX_APPLY = 0,     /* POST /shinsei/v2/apply */
  MP_OUTBOX_AMEND          /* POST /shinsei/v2/apply/amend (arrive_id of the application) */
} mp_outbox_kind;

typedef struct mp_outbox_entry {
  gint64 id;                 /* 1, 2, ... in the order entries were made */
  mp_outbox_kind kind;
  mp_outbox_state state;
  char *proc_id;
  char *amend_arrive_id;     /* MP_OUTBOX_AMEND only */
  char *idempotency_key;     /* UUID, made at enqueue */
  char *file_name;           /* send_file.file_name, "<proc_id>-<id>.zip" */
  char *package_path;        /* while pending or rejected; NULL once wiped */
  char *package_sha256;      /* lowercase hex */
  guint64 package_size;
  gint64 created_at;         /* unix seconds */
  guint attempts;            /* sends tried */
  gint64 last_attempt_at;    /* 0: never */
  char *last_error;          /* why the last send did not deliver, and file_problem (no personal data); NULL */
  char *file_problem;        /* the package file is missing or damaged (found at open); NULL */
  char *arrive_id;           /* the receipt, once delivered */
  char *arrive_date;
  char *inquiry_no;
  gint64 delivered_at;       /* 0 until delivered */
  char *rejection;           /* JSON of the portal's problem, when rejected */
} mp_outbox_entry;

void mp_outbox_entry_free(mp_outbox_entry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_outbox_entry, mp_outbox_entry_free)
const char *mp_outbox_state_name(mp_outbox_state s); /* "pending", "delivered", "rejected" */

/* Open or create the outbox in dir (made 0700 with parents). Pending entries
 * whose package file is missing or damaged (size or SHA-256 differ) are
 * reported as MP_ERROR_OUTBOX by mp_outbox_list's entries' last_error, not
 * dropped. Leftover staging files of a crash before enqueue are removed. */
mp_outbox *mp_outbox_open(const char *dir, GError **error);
void mp_outbox_close(mp_outbox *ob);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_outbox, mp_outbox_close)
const char *mp_outbox_dir(mp_outbox *ob);

/* A fresh path in DIR/staging/ for a package being built (the file does not
 * exist yet; mp_package_builder_write creates it 0600). */
char *mp_outbox_staging_path(mp_outbox *ob, GError **error);

/* Take the staged package into the outbox: fsync it, move it to
 * DIR/packages/, and commit the entry with a new Idempotency-Key, all before
 * returning. Returns the entry id, or 0 with error set (the staged file is
 * then left where it was). amend_arrive_id only for MP_OUTBOX_AMEND. */
gint64 mp_outbox_enqueue(mp_outbox *ob, mp_outbox_kind kind, const char *proc_id,
                         const char *amend_arrive_id, const char *staged_path,
                         GError **error);

/* Entries, oldest first. states: a bit set of 1 << mp_outbox_state; 0 = all. */
GPtrArray *mp_outbox_list(mp_outbox *ob, guint states, GError **error);
mp_outbox_entry *mp_outbox_get(mp_outbox *ob, gint64 id, GError **error);

/* Record a send that did not deliver (attempts + 1, last_error). */
gboolean mp_outbox_note_attempt(mp_outbox *ob, gint64 id, const char *error_text,
                                GError **error);
/* Store the receipt and mark delivered (one committed transaction), then
 * overwrite and remove the package file. Idempotent: delivering a delivered
 * entry with the same arrive_id is no error; with another arrive_id it is
 * MP_ERROR_OUTBOX (two receipts for one package must not go unnoticed). */
gboolean mp_outbox_mark_delivered(mp_outbox *ob, gint64 id, const char *arrive_id,
                                  const char *arrive_date, const char *inquiry_no,
                                  GError **error);
/* The portal refused the package for its content: keep it, with the problem
 * (JSON text), until an operator discards it. */
gboolean mp_outbox_mark_rejected(mp_outbox *ob, gint64 id, const char *problem_json,
                                 GError **error);
/* Overwrite and remove a rejected (or, with force, pending) entry's package
 * and delete the entry. */
gboolean mp_outbox_discard(mp_outbox *ob, gint64 id, gboolean force, GError **error);
/* Delete delivered entries whose delivered_at is older than max_age_s. */
gboolean mp_outbox_prune(mp_outbox *ob, gint64 max_age_s, GError **error);

G_END_DECLS

#endif
