/* kiosk-session.c - the resident's card and portal session.
 *
 * Threads: the main context (where the session was made) runs the portal
 * client and every callback; one worker thread of the session runs every
 * card operation, in the order asked (a FIFO queue); the portal client's
 * login signs on a thread of its own, through a signer that takes the same
 * card lock as the worker (HeldSigner), so that no two operations ever meet
 * on the card.
 *
 * A card session is a CardHold: the myna_card and its lock, shared by the
 * operations that use it. kiosk_session_end detaches it and queues its
 * closing behind whatever the worker still has to do; the closing takes the
 * lock, so it waits for an APDU under way, and after it the card is NULL:
 * an operation that comes later finds no card and ends at once.
 *
 * Cancellation: each operation has a GCancellable of its own, cancelled by
 * the caller's and by the session's (replaced by a new one at every end).
 * Operations look at it between steps; the portal client gets it.
 */

#include "kiosk-session.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "mynacard/card.h"
#include "mynacard/jpki.h"
#include "mynacard/pin.h"
#include "mynaportal/error.h"
#include "mynaportal/signer.h"

/* ---- the card, shared by the operations of one card session ---- */

typedef struct
{
  GMutex lock;        /* held for every use of card */
  myna_card *card;    /* NULL before the connect and after the close */
  gboolean closed;    /* kiosk_session_end came: nothing opens it again */
} CardHold;

static void
card_hold_clear (gpointer data)
{
  CardHold *hold = data;
  /* Closed on the worker before the last reference goes; this is for a
   * session finalized with a card never closed (it cannot be: end runs in
   * dispose). */
  myna_card_free (hold->card);
  g_mutex_clear (&hold->lock);
}

static CardHold *
card_hold_new (void)
{
  CardHold *hold = g_atomic_rc_box_new0 (CardHold);
  g_mutex_init (&hold->lock);
  return hold;
}

static CardHold *
card_hold_ref (CardHold *hold)
{
  return g_atomic_rc_box_acquire (hold);
}

static void
card_hold_unref (CardHold *hold)
{
  g_atomic_rc_box_release_full (hold, card_hold_clear);
}

static void
set_card_error (GError **error, myna_rv rv, const char *what)
{
  g_autoptr (mp_problem) p = mp_problem_new ();
  p->card_rv = (int) rv;
  mp_set_error (error, MP_ERROR_CARD, p, "%s: %s (%s)", what, myna_strerror (rv),
                myna_rv_name (rv));
}

/* ---- the login's signer: the card's key behind the hold's lock ---- */

typedef struct
{
  CardHold *hold;
  myna_jpki_key key;
} HeldSigner;

static gboolean
held_card_ready (HeldSigner *hs, GError **error)
{
  if (hs->hold->card)
    return TRUE;
  if (hs->hold->closed)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the card session ended");
  else
    set_card_error (error, MYNA_E_NO_CARD, "signing");
  return FALSE;
}

static GBytes *
held_certificate (gpointer user, GError **error)
{
  HeldSigner *hs = user;
  GBytes *der = NULL;
  g_mutex_lock (&hs->hold->lock);
  if (held_card_ready (hs, error))
    {
      g_autoptr (mp_signer) card = mp_signer_new_card (hs->hold->card, hs->key);
      der = mp_signer_certificate (card, error);
    }
  g_mutex_unlock (&hs->hold->lock);
  return der;
}

static GBytes *
held_sign_sha256 (gpointer user, const guint8 *hash32, GError **error)
{
  HeldSigner *hs = user;
  GBytes *sig = NULL;
  g_mutex_lock (&hs->hold->lock);
  if (held_card_ready (hs, error))
    {
      g_autoptr (mp_signer) card = mp_signer_new_card (hs->hold->card, hs->key);
      sig = mp_signer_sign_sha256 (card, hash32, error);
    }
  g_mutex_unlock (&hs->hold->lock);
  return sig;
}

static void
held_free (gpointer user)
{
  HeldSigner *hs = user;
  card_hold_unref (hs->hold);
  g_free (hs);
}

static const mp_signer_ops held_ops = {
  .certificate = held_certificate,
  .sign_sha256 = held_sign_sha256,
  .free = held_free,
};

static mp_signer *
held_signer_new (CardHold *hold, myna_jpki_key key)
{
  HeldSigner *hs = g_new0 (HeldSigner, 1);
  hs->hold = card_hold_ref (hold);
  hs->key = key;
  return mp_signer_new (&held_ops, hs);
}

/* ---- the worker ---- */

typedef struct _Op Op;
/* work runs on the worker thread, then done on the main context. */
typedef void (*OpWork) (GTask *task, Op *op);
typedef void (*OpDone) (GTask *task, Op *op);

typedef struct
{
  OpWork work;            /* NULL: the thread ends */
  OpDone done;
  GTask *task;
} WorkItem;

typedef struct
{
  GAsyncQueue *queue;     /* WorkItem* */
  GThread *thread;
  GMainContext *context;
} Worker;

static gboolean
work_done (gpointer data)
{
  WorkItem *item = data;
  item->done (item->task, g_task_get_task_data (item->task));
  return G_SOURCE_REMOVE;
}

/* The task's last reference may be the one that holds the session: it is
 * released here, on the main context, never on the worker. */
static void
work_item_free (gpointer data)
{
  WorkItem *item = data;
  g_object_unref (item->task);
  g_free (item);
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  for (;;)
    {
      WorkItem *item = g_async_queue_pop (w->queue);
      if (!item->work)
        {
          g_free (item);
          break;
        }
      item->work (item->task, g_task_get_task_data (item->task));
      GSource *s = g_idle_source_new ();
      g_source_set_priority (s, G_PRIORITY_DEFAULT);
      g_source_set_callback (s, work_done, item, work_item_free);
      g_source_attach (s, w->context);
      g_source_unref (s);
    }
  return NULL;
}

static Worker *
worker_new (GMainContext *context)
{
  Worker *w = g_new0 (Worker, 1);
  w->queue = g_async_queue_new ();
  w->context = g_main_context_ref (context);
  w->thread = g_thread_new ("kiosk-card", worker_thread, w);
  return w;
}

static void
worker_push (Worker *w, OpWork work, OpDone done, GTask *task)
{
  WorkItem *item = g_new0 (WorkItem, 1);
  item->work = work;
  item->done = done;
  item->task = g_object_ref (task);
  g_async_queue_push (w->queue, item);
}

/* Only with nothing queued (every item holds the session). */
static void
worker_free (Worker *w)
{
  g_async_queue_push (w->queue, g_new0 (WorkItem, 1));
  g_thread_join (w->thread);
  g_async_queue_unref (w->queue);
  g_main_context_unref (w->context);
  g_free (w);
}

/* ---- the session ---- */

struct _KioskSession
{
  GObject parent_instance;

  mp_config *portal;
  KioskCardMonitor *monitor;
  mp_outbox *outbox;          /* borrowed */
  mp_client *client;
  GMainContext *context;
  Worker *worker;

  CardHold *hold;             /* the card session; NULL when none */
  gboolean card_ready;        /* begin succeeded on hold */
  gboolean login_pending;
  gboolean logged_in;
  guint serial;               /* + 1 at every end */
  GCancellable *cancellable;  /* of the card session; replaced at every end */
};

G_DEFINE_FINAL_TYPE (KioskSession, kiosk_session, G_TYPE_OBJECT)

enum {
  ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One operation: what it needs and what it found. */
struct _Op
{
  KioskSession *self;         /* the task's source object */
  CardHold *hold;
  guint serial;
  GCancellable *cancel;       /* the operation's own */
  GCancellable *caller;
  gulong caller_handler;
  GCancellable *session;
  gulong session_handler;

  myna_rv rv;                 /* of the card step */
  GError *error;              /* of the card step, when not a plain myna_rv */
  int tries_left;
  myna_secret *secret;        /* PIN or password until the VERIFY */
  const char *what;           /* for the log and error messages */

  /* login */
  mp_signer *signer;

  /* submit */
  mp_package_builder *builder;
  char *proc_id;
  char *amend;
  char *staged;               /* the package before it enters the outbox */
  gint64 entry_id;
  KioskSubmitState state;
  mp_outbox_entry *entry;

  /* deliver */
  mp_delivery delivery;
};

static void
cancel_child (GCancellable *parent, gpointer child)
{
  g_cancellable_cancel (G_CANCELLABLE (child));
}

static void
op_free (gpointer data)
{
  Op *op = data;
  if (op->caller_handler)
    g_cancellable_disconnect (op->caller, op->caller_handler);
  if (op->session_handler)
    g_cancellable_disconnect (op->session, op->session_handler);
  g_clear_object (&op->caller);
  g_clear_object (&op->session);
  g_clear_object (&op->cancel);
  g_clear_pointer (&op->hold, card_hold_unref);
  g_clear_error (&op->error);
  myna_secret_free (op->secret);
  g_clear_pointer (&op->signer, mp_signer_free);
  g_clear_pointer (&op->builder, mp_package_builder_free);
  g_free (op->proc_id);
  g_free (op->amend);
  if (op->staged)
    {
      /* A package that did not make it into the outbox: signed data of the
       * resident that nobody will send. */
      if (g_unlink (op->staged) == 0)
        g_debug ("removed a package that did not enter the outbox");
      g_free (op->staged);
    }
  g_clear_pointer (&op->entry, mp_outbox_entry_free);
  g_free (op);
}

/* An operation's task. Every card and resident operation is cancelled by
 * kiosk_session_end as well as by the caller's cancellable (op_task_new);
 * the outbox's delivery for the idle kiosk only by the caller's
 * (op_task_new_unbound). */
static GTask *
op_task_new_full (KioskSession *self, gboolean bound, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data, gpointer tag,
                  const char *what)
{
  Op *op = g_new0 (Op, 1);
  op->self = self;
  op->serial = self->serial;
  op->tries_left = -1;
  op->what = what;
  op->cancel = g_cancellable_new ();
  if (cancellable)
    {
      op->caller = g_object_ref (cancellable);
      op->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_child),
                                                  g_object_ref (op->cancel), g_object_unref);
    }
  if (bound)
    {
      op->session = g_object_ref (self->cancellable);
      op->session_handler = g_cancellable_connect (self->cancellable, G_CALLBACK (cancel_child),
                                                   g_object_ref (op->cancel), g_object_unref);
    }
  GTask *task = g_task_new (self, op->cancel, callback, user_data);
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, op, op_free);
  return task;
}

static GTask *
op_task_new (KioskSession *self, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data, gpointer tag, const char *what)
{
  return op_task_new_full (self, TRUE, cancellable, callback, user_data, tag, what);
}

static Op *
task_op (GTask *task)
{
  return g_task_get_task_data (task);
}

/* Return the error the card step left (a myna_rv or a GError). */
static void
return_card_error (GTask *task, Op *op)
{
  if (op->error)
    {
      g_task_return_error (task, g_steal_pointer (&op->error));
      return;
    }
  if (op->rv == MYNA_E_CANCELLED)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", op->what);
      return;
    }
  GError *e = NULL;
  set_card_error (&e, op->rv, op->what);
  g_task_return_error (task, e);
}

static gboolean
check_card_session (KioskSession *self, GTask *task)
{
  if (self->hold && self->card_ready)
    return TRUE;
  GError *e = NULL;
  set_card_error (&e, MYNA_E_NO_CARD, task_op (task)->what);
  g_task_return_error (task, e);
  return FALSE;
}

/* On the worker: take the hold's lock and its card for op. FALSE (op->rv
 * set) when there is nothing to use: cancelled, closed, not opened. */
static gboolean
op_lock_card (Op *op)
{
  if (g_cancellable_is_cancelled (op->cancel))
    {
      op->rv = MYNA_E_CANCELLED;
      return FALSE;
    }
  g_mutex_lock (&op->hold->lock);
  if (!op->hold->card)
    {
      op->rv = op->hold->closed ? MYNA_E_CANCELLED : MYNA_E_NO_CARD;
      g_mutex_unlock (&op->hold->lock);
      return FALSE;
    }
  return TRUE;
}

static void
op_unlock_card (Op *op)
{
  g_mutex_unlock (&op->hold->lock);
}

/* ---- the card session's end ---- */

static void
close_work (GTask *task, Op *op)
{
  if (!op->hold)
    return;
  g_mutex_lock (&op->hold->lock);
  op->hold->closed = TRUE;
  if (op->hold->card)
    {
      /* Resets the card when a PIN was verified, then disconnects (PC/SC:
       * with SCARD_RESET_CARD): no verified PIN survives the resident. */
      myna_card_free (op->hold->card);
      op->hold->card = NULL;
      g_debug ("card closed");
    }
  g_mutex_unlock (&op->hold->lock);
}

static void
close_done (GTask *task, Op *op)
{
  g_task_return_boolean (task, TRUE);
  g_signal_emit (op->self, signals[ENDED], 0);
}

/* A card session that never opened: closed without an "ended". */
static void
close_quietly_done (GTask *task, Op *op)
{
  g_task_return_boolean (task, TRUE);
}

static void
logout_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KioskSession) self = user_data;
  g_autoptr (GError) error = NULL;
  if (!mp_client_logout_finish (self->client, result, &error))
    g_message ("logging out at the portal failed (the session ends when its tokens expire): %s",
               error->message);
  else
    g_debug ("logged out at the portal");
}

/* Let go of the card session: its card closes behind what the worker has
 * to do, and every operation of it is cancelled. */
static void
detach_card (KioskSession *self)
{
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->serial++;
  self->card_ready = FALSE;
  self->login_pending = FALSE;
  self->logged_in = FALSE;
}

void
kiosk_session_end (KioskSession *self)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  g_debug ("ending the session");
  detach_card (self);
  /* The portal hears of the end without anyone waiting for it; the tokens
   * are wiped here at once, whatever it answers. */
  if (mp_client_is_logged_in (self->client))
    mp_client_logout_async (self->client, NULL, logout_done, g_object_ref (self));
  mp_client_end_session (self->client);
  GTask *task = op_task_new (self, NULL, NULL, NULL, kiosk_session_end, "closing the card");
  task_op (task)->hold = g_steal_pointer (&self->hold);
  worker_push (self->worker, close_work, close_done, task);
  g_object_unref (task);
}

/* ---- begin ---- */

static void
begin_work (GTask *task, Op *op)
{
  if (g_cancellable_is_cancelled (op->cancel))
    {
      op->rv = MYNA_E_CANCELLED;
      return;
    }
  KioskSession *self = op->self;
  g_mutex_lock (&op->hold->lock);
  if (op->hold->closed)
    {
      op->rv = MYNA_E_CANCELLED;
      g_mutex_unlock (&op->hold->lock);
      return;
    }
  myna_transport t;
  myna_card *card = NULL;
  op->what = "connecting to the card";
  op->rv = kiosk_card_monitor_connect (self->monitor, &t);
  if (!op->rv)
    op->rv = myna_card_open (t, &card);
  if (!op->rv)
    {
      op->what = "selecting the JPKI application";
      op->rv = myna_jpki_select (card);
    }
  if (!op->rv)
    {
      op->what = "reading the tries left of the PIN";
      op->rv = myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &op->tries_left);
    }
  if (op->rv)
    myna_card_free (card);
  else
    op->hold->card = card;
  g_mutex_unlock (&op->hold->lock);
}

static void
begin_done (GTask *task, Op *op)
{
  KioskSession *self = op->self;
  gboolean current = self->hold == op->hold && op->serial == self->serial;
  if (!op->rv && current && !g_cancellable_is_cancelled (op->cancel))
    {
      self->card_ready = TRUE;
      g_debug ("card session open, %d tries left", op->tries_left);
      g_task_return_int (task, op->tries_left);
      return;
    }
  /* Failed, or cancelled by the caller: the hold goes (an open card is
   * closed behind this on the worker). */
  if (current)
    {
      GTask *close = op_task_new (self, NULL, NULL, NULL, kiosk_session_end, "closing the card");
      task_op (close)->hold = g_steal_pointer (&self->hold);
      worker_push (self->worker, close_work, close_quietly_done, close);
      g_object_unref (close);
    }
  if (!op->rv)
    op->rv = MYNA_E_CANCELLED;
  g_debug ("card session not opened: %s", myna_rv_name (op->rv));
  return_card_error (task, op);
}

void
kiosk_session_begin_async (KioskSession *self, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  GTask *task = op_task_new (self, cancellable, callback, user_data, kiosk_session_begin_async,
                             "opening the card");
  if (self->hold)
    {
      GError *e = NULL;
      set_card_error (&e, MYNA_E_READER_BUSY, "a card session is open: end it first");
      g_task_return_error (task, e);
      g_object_unref (task);
      return;
    }
  self->hold = card_hold_new ();
  self->card_ready = FALSE;
  task_op (task)->hold = card_hold_ref (self->hold);
  worker_push (self->worker, begin_work, begin_done, task);
  g_object_unref (task);
}

gboolean
kiosk_session_begin_finish (KioskSession *self, GAsyncResult *result, int *tries_left,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  GError *e = NULL;
  gssize tries = g_task_propagate_int (G_TASK (result), &e);
  if (tries_left)
    *tries_left = e ? -1 : (int) tries;
  if (e)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  return TRUE;
}

/* ---- login ---- */

/* The secret's rules, checked here so that a PIN of the wrong form never
 * reaches the card. pin is wiped on refusal. */
static gboolean
refuse_badly_formed (GTask *task, myna_pin_kind kind, myna_secret **secret)
{
  myna_secret *norm = NULL;
  myna_rv rv = myna_pin_normalize (kind, *secret, &norm);
  myna_secret_free (norm);
  if (!rv)
    return FALSE;
  g_clear_pointer (secret, myna_secret_free);
  GError *e = NULL;
  set_card_error (&e, rv, kind == MYNA_PIN_JPKI_AUTH ? "the PIN" : "the signature password");
  g_task_return_error (task, e);
  return TRUE;
}

static void
verify_work (GTask *task, Op *op, myna_jpki_key key)
{
  if (!op_lock_card (op))
    {
      g_clear_pointer (&op->secret, myna_secret_free);
      return;
    }
  /* One VERIFY, never retried: a failed answer may still have cost a try. */
  op->rv = myna_jpki_verify (op->hold->card, key, op->secret, &op->tries_left);
  g_clear_pointer (&op->secret, myna_secret_free);
  if (op->rv == MYNA_E_PIN_BLOCKED)
    op->tries_left = 0;
  else if (op->rv != MYNA_E_WRONG_PIN)
    op->tries_left = -1;
  op_unlock_card (op);
}

static void
login_verify_work (GTask *task, Op *op)
{
  verify_work (task, op, MYNA_JPKI_KEY_AUTH);
}

static void
login_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Op *op = task_op (task);
  KioskSession *self = op->self;
  GError *e = NULL;
  gboolean ok = mp_client_login_finish (self->client, result, &e);
  /* The sign thread is done with the card. */
  g_clear_pointer (&op->signer, mp_signer_free);
  gboolean current = op->serial == self->serial;
  if (current)
    self->login_pending = FALSE;
  if (ok && (!current || g_cancellable_is_cancelled (op->cancel)))
    {
      /* The answer came after the end: those tokens belong to nobody.
       * (A login of a newer session would have replaced them, and waits
       * for its own answer.) */
      if (!self->login_pending)
        mp_client_end_session (self->client);
      ok = FALSE;
    }
  if (!ok)
    {
      if (!e)
        e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "login: cancelled");
      g_debug ("login failed: %s", e->message);
      g_task_return_error (task, e);
      return;
    }
  self->logged_in = TRUE;
  g_debug ("logged in");
  g_task_return_boolean (task, TRUE);
}

static void
login_verified (GTask *task, Op *op)
{
  KioskSession *self = op->self;
  if (g_task_return_error_if_cancelled (task))
    {
      if (op->serial == self->serial)
        self->login_pending = FALSE;
      return;
    }
  if (op->rv)
    {
      self->login_pending = FALSE;
      g_debug ("PIN not accepted: %s", myna_rv_name (op->rv));
      op->what = "verifying the PIN";
      return_card_error (task, op);
      return;
    }
  /* The card's auth key signs the portal's challenge on the client's own
   * thread; its signer takes the card lock, so the worker waits meanwhile. */
  op->signer = held_signer_new (op->hold, MYNA_JPKI_KEY_AUTH);
  mp_client_login_async (self->client, op->signer, op->cancel, login_answered,
                         g_object_ref (task));
}

void
kiosk_session_login_async (KioskSession *self, myna_secret *pin, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  GTask *task = op_task_new (self, cancellable, callback, user_data, kiosk_session_login_async,
                             "logging in");
  Op *op = task_op (task);
  op->secret = pin;
  if (!pin)
    {
      GError *e = NULL;
      set_card_error (&e, MYNA_E_INVALID_ARGUMENT, "no PIN");
      g_task_return_error (task, e);
    }
  else if (refuse_badly_formed (task, MYNA_PIN_JPKI_AUTH, &op->secret))
    g_debug ("PIN refused before the card: not 4 digits");
  else if (self->login_pending)
    {
      g_clear_pointer (&op->secret, myna_secret_free);
      GError *e = NULL;
      set_card_error (&e, MYNA_E_READER_BUSY, "a login is under way");
      g_task_return_error (task, e);
    }
  else if (check_card_session (self, task))
    {
      op->hold = card_hold_ref (self->hold);
      self->login_pending = TRUE;
      worker_push (self->worker, login_verify_work, login_verified, task);
    }
  else
    g_clear_pointer (&op->secret, myna_secret_free);
  g_object_unref (task);
}

gboolean
kiosk_session_login_finish (KioskSession *self, GAsyncResult *result, int *tries_left,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  Op *op = task_op (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);
  if (tries_left)
    *tries_left = ok ? -1 : op->tries_left;
  return ok;
}

gboolean
kiosk_session_is_logged_in (KioskSession *self)
{
  g_return_val_if_fail (KIOSK_IS_SESSION (self), FALSE);
  return self->logged_in && mp_client_is_logged_in (self->client);
}

/* ---- sign tries ---- */

static void
sign_tries_work (GTask *task, Op *op)
{
  if (!op_lock_card (op))
    return;
  op->rv = myna_jpki_tries_left (op->hold->card, MYNA_JPKI_KEY_SIGN, &op->tries_left);
  op_unlock_card (op);
}

static void
sign_tries_done (GTask *task, Op *op)
{
  if (g_task_return_error_if_cancelled (task))
    return;
  if (op->rv)
    return_card_error (task, op);
  else
    g_task_return_int (task, op->tries_left);
}

void
kiosk_session_sign_tries_async (KioskSession *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  GTask *task = op_task_new (self, cancellable, callback, user_data,
                             kiosk_session_sign_tries_async,
                             "reading the tries left of the signature password");
  if (check_card_session (self, task))
    {
      task_op (task)->hold = card_hold_ref (self->hold);
      worker_push (self->worker, sign_tries_work, sign_tries_done, task);
    }
  g_object_unref (task);
}

int
kiosk_session_sign_tries_finish (KioskSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}

/* ---- submit ---- */

static void
submit_sign_work (GTask *task, Op *op)
{
  op->what = "verifying the signature password";
  verify_work (task, op, MYNA_JPKI_KEY_SIGN);
  if (op->rv || !op_lock_card (op))
    return;
  /* The card signs the package here, on the worker, under the card lock:
   * the card's own errors (a card pulled: MYNA_E_CARD_REMOVED) come back
   * as MP_ERROR_CARD from the signer. */
  g_autoptr (mp_signer) signer = mp_signer_new_card (op->hold->card, MYNA_JPKI_KEY_SIGN);
  op->what = "signing the application";
  (void) mp_package_builder_write (op->builder, signer, op->staged, NULL, &op->error);
  op_unlock_card (op);
}

static gboolean
network_trouble (const GError *e)
{
  if (!e || e->domain != MP_ERROR)
    return FALSE;
  switch ((mp_error) e->code)
    {
    case MP_ERROR_CONNECT:
    case MP_ERROR_TIMEOUT:
    case MP_ERROR_NETWORK:
    case MP_ERROR_UNAVAILABLE:
    case MP_ERROR_SERVER:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
submit_delivered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Op *op = task_op (task);
  KioskSession *self = op->self;
  g_autoptr (GError) e = NULL;
  gboolean sent = mp_client_deliver_finish (self->client, result, &op->delivery, &e);
  g_autoptr (GError) get_error = NULL;
  op->entry = mp_outbox_get (self->outbox, op->entry_id, &get_error);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (!op->entry)
    {
      g_task_return_error (task, e ? g_steal_pointer (&e) : g_steal_pointer (&get_error));
      return;
    }
  switch (op->entry->state)
    {
    case MP_OUTBOX_DELIVERED:
      op->state = KIOSK_SUBMIT_DELIVERED;
      break;
    case MP_OUTBOX_REJECTED:
      op->state = KIOSK_SUBMIT_REJECTED;
      break;
    case MP_OUTBOX_PENDING:
    default:
      op->state = KIOSK_SUBMIT_PENDING;
      break;
    }
  if (!sent)
    g_message ("the application waits in the outbox: %s", e ? e->message : "no reason given");
  g_debug ("application %s", op->state == KIOSK_SUBMIT_DELIVERED ? "delivered"
                             : op->state == KIOSK_SUBMIT_REJECTED ? "rejected" : "pending");
  g_task_return_boolean (task, TRUE);
}

static void
submit_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Op *op = task_op (task);
  KioskSession *self = op->self;
  GError *e = NULL;
  g_autoptr (mp_result) r = mp_client_call_finish (self->client, result, &e);
  if (g_task_return_error_if_cancelled (task))
    {
      g_clear_error (&e);
      return;
    }
  if (!r)
    {
      if (!network_trouble (e))
        {
          /* Refused by the portal: it never enters the outbox (the staged
           * file goes with the operation). */
          g_debug ("apply/check refused the package");
          g_task_return_error (task, e);
          return;
        }
      /* Signed already: kept and sent when the portal answers again. */
      g_message ("apply/check could not reach the portal; the package goes into the outbox: %s",
                 e->message);
      g_clear_error (&e);
    }
  op->entry_id = mp_outbox_enqueue (self->outbox, op->amend ? MP_OUTBOX_AMEND : MP_OUTBOX_APPLY,
                                    op->proc_id, op->amend, op->staged, &e);
  if (!op->entry_id)
    {
      g_task_return_error (task, e);
      return;
    }
  g_clear_pointer (&op->staged, g_free);  /* the outbox's now */
  mp_client_session_adopt (self->client, op->entry_id);
  mp_client_deliver_async (self->client, self->outbox, op->entry_id, op->cancel,
                           submit_delivered, g_object_ref (task));
}

static void
submit_signed (GTask *task, Op *op)
{
  KioskSession *self = op->self;
  if (g_task_return_error_if_cancelled (task))
    return;
  if (op->rv || op->error)
    {
      g_debug ("package not signed: %s", op->error ? op->error->message : myna_rv_name (op->rv));
      return_card_error (task, op);
      return;
    }
  g_debug ("package signed; the portal checks it");
  mp_client_call_async (self->client, mp_call_apply_check (op->proc_id, op->staged), op->cancel,
                        submit_checked, g_object_ref (task));
}

void
kiosk_session_submit_async (KioskSession *self, mp_package_builder *builder,
                            myna_secret *password, const char *amend_arrive_id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  GTask *task = op_task_new (self, cancellable, callback, user_data, kiosk_session_submit_async,
                             "submitting");
  Op *op = task_op (task);
  op->builder = builder;
  op->proc_id = builder ? g_strdup (mp_package_builder_proc_id (builder)) : NULL;
  op->secret = password;
  op->amend = g_strdup (amend_arrive_id);
  GError *e = NULL;
  if (!builder || !password)
    {
      g_clear_pointer (&op->secret, myna_secret_free);
      set_card_error (&e, MYNA_E_INVALID_ARGUMENT, "no package or no password");
      g_task_return_error (task, e);
    }
  else if (refuse_badly_formed (task, MYNA_PIN_JPKI_SIGN, &op->secret))
    g_debug ("signature password refused before the card: not 6-16 of A-Z 0-9");
  else if (!check_card_session (self, task))
    g_clear_pointer (&op->secret, myna_secret_free);
  else if (!(op->staged = mp_outbox_staging_path (self->outbox, &e)))
    {
      g_clear_pointer (&op->secret, myna_secret_free);
      g_task_return_error (task, e);
    }
  else
    {
      op->hold = card_hold_ref (self->hold);
      worker_push (self->worker, submit_sign_work, submit_signed, task);
    }
  g_object_unref (task);
}

gboolean
kiosk_session_submit_finish (KioskSession *self, GAsyncResult *result, KioskSubmitState *state,
                             mp_outbox_entry **entry, int *tries_left, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  Op *op = task_op (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);
  if (state)
    *state = op->state;
  if (entry)
    *entry = ok ? g_steal_pointer (&op->entry) : NULL;
  if (tries_left)
    *tries_left = ok ? -1 : op->tries_left;
  return ok;
}

/* ---- deliver pending ---- */

static void
pending_delivered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Op *op = task_op (task);
  GError *e = NULL;
  if (!mp_client_deliver_finish (op->self->client, result, &op->delivery, &e))
    g_task_return_error (task, e);
  else
    g_task_return_boolean (task, TRUE);
}

void
kiosk_session_deliver_pending_async (KioskSession *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (KIOSK_IS_SESSION (self));
  /* Not the resident's operation: a session that ends does not stop it
   * (entries it made go on with the terminal's certificate). */
  GTask *task = op_task_new_full (self, FALSE, cancellable, callback, user_data,
                                  kiosk_session_deliver_pending_async, "delivering the outbox");
  mp_client_deliver_async (self->client, self->outbox, 0, task_op (task)->cancel,
                           pending_delivered, task);
}

gboolean
kiosk_session_deliver_pending_finish (KioskSession *self, GAsyncResult *result,
                                      mp_delivery *delivery, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  Op *op = task_op (G_TASK (result));
  if (delivery)
    *delivery = op->delivery;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the object ---- */

gboolean
kiosk_session_has_card (KioskSession *self)
{
  g_return_val_if_fail (KIOSK_IS_SESSION (self), FALSE);
  return self->hold && self->card_ready;
}

mp_client *
kiosk_session_get_client (KioskSession *self)
{
  g_return_val_if_fail (KIOSK_IS_SESSION (self), NULL);
  return self->client;
}

mp_outbox *
kiosk_session_get_outbox (KioskSession *self)
{
  g_return_val_if_fail (KIOSK_IS_SESSION (self), NULL);
  return self->outbox;
}

static void
kiosk_session_dispose (GObject *object)
{
  KioskSession *self = KIOSK_SESSION (object);
  /* Every operation holds the session: none is under way here. A card
   * still open is closed on the worker before it stops. */
  if (self->worker)
    {
      if (self->hold)
        {
          g_mutex_lock (&self->hold->lock);
          self->hold->closed = TRUE;
          g_clear_pointer (&self->hold->card, myna_card_free);
          g_mutex_unlock (&self->hold->lock);
        }
      g_clear_pointer (&self->worker, worker_free);
    }
  g_clear_pointer (&self->hold, card_hold_unref);
  g_clear_object (&self->monitor);
  G_OBJECT_CLASS (kiosk_session_parent_class)->dispose (object);
}

static void
kiosk_session_finalize (GObject *object)
{
  KioskSession *self = KIOSK_SESSION (object);
  /* Wipes the tokens. */
  g_clear_pointer (&self->client, mp_client_free);
  g_clear_pointer (&self->portal, mp_config_free);
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (kiosk_session_parent_class)->finalize (object);
}

static void
kiosk_session_class_init (KioskSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = kiosk_session_dispose;
  object_class->finalize = kiosk_session_finalize;

  signals[ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kiosk_session_init (KioskSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
}

KioskSession *
kiosk_session_new (const KioskConfig *cfg, KioskCardMonitor *monitor, mp_outbox *outbox,
                   GError **error)
{
  g_return_val_if_fail (cfg != NULL && cfg->portal != NULL, NULL);
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (monitor), NULL);
  g_return_val_if_fail (outbox != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  mp_client *client = mp_client_new (cfg->portal, error);
  if (!client)
    return NULL;
  KioskSession *self = g_object_new (KIOSK_TYPE_SESSION, NULL);
  self->portal = mp_config_copy (cfg->portal);
  self->monitor = g_object_ref (monitor);
  self->outbox = outbox;
  self->client = client;
  self->worker = worker_new (self->context);
  return self;
}
