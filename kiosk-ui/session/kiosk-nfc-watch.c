/* kiosk-nfc-watch.c - a card on a libnfc device: searched, watched, lent.
 *
 * The thread alternates between two states:
 *   no card   myna_nfc_connect polls for NFC_WATCH_POLL_MS (the device is
 *             opened for it and closed again when no card came); a device
 *             that cannot be opened is tried again after NFC_WATCH_RETRY_MS;
 *   a card    the transport stays open (libnfc: one owner per device) and
 *             is_present is asked every NFC_WATCH_PRESENCE_MS.
 * The transport lives in a NfcLink that the session borrows through a thin
 * transport of its own (kiosk_nfc_watch_connect); both take link->lock for
 * every use, so APDUs and presence checks never meet on the device.
 */

#include "kiosk-nfc-watch.h"

#include <stdatomic.h>
#include <string.h>

#include "mynanfc/nfc.h"
#include "mynaportal/error.h"

#include "kiosk-card-monitor.h"

typedef struct
{
  GMutex lock;              /* every use of t and the flags */
  myna_transport t;         /* the card's transport; ops NULL once destroyed */
  gboolean lent;            /* a session holds it */
  gboolean gone;            /* the card left: destroy t once nobody holds it */
  gboolean dirty;           /* APDUs since the last reset */
  char *name;
} NfcLink;

struct _KioskNfcWatch
{
  myna_nfc *nfc;
  char *connstring;
  GMainContext *context;
  KioskNfcWatchFn fn;
  gpointer user;
  gint *alive;              /* 1 until free; shared with queued callbacks */
  GThread *thread;
  atomic_bool stop;
  GMutex lock;              /* link, device; cond for the thread's pauses */
  GCond cond;
  NfcLink *link;
  char *device;
  /* What the main context was told last (the thread's own copy). */
  gboolean told;
  gboolean service_up;
  gboolean card_present;
};

/* ---- the link ---- */

static void
link_clear (gpointer data)
{
  NfcLink *link = data;
  g_free (link->name);
  g_mutex_clear (&link->lock);
}

static NfcLink *
link_new (myna_transport t)
{
  NfcLink *link = g_atomic_rc_box_new0 (NfcLink);
  g_mutex_init (&link->lock);
  link->t = t;
  const char *name = t.ops->name ? t.ops->name (t.ctx) : NULL;
  link->name = g_strdup (name ? name : "NFC");
  return link;
}

static void
link_unref (NfcLink *link)
{
  g_atomic_rc_box_release_full (link, link_clear);
}

/* Under link->lock: close the device once the card is gone and no session
 * holds it. */
static void
link_settle (NfcLink *link)
{
  if (link->gone && !link->lent && link->t.ops)
    {
      link->t.ops->destroy (link->t.ctx);
      link->t = (myna_transport) { NULL, NULL };
    }
}

/* Under link->lock: what an answer of the transport says of the card. */
static myna_rv
link_note (NfcLink *link, myna_rv rv)
{
  if (rv == MYNA_E_CARD_REMOVED || rv == MYNA_E_READER_REMOVED)
    link->gone = TRUE;
  return rv;
}

/* ---- the transport lent to a session ---- */

static myna_rv
lent_transmit (void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t resp_cap,
               size_t *resp_len)
{
  NfcLink *link = ctx;
  g_mutex_lock (&link->lock);
  myna_rv rv = MYNA_E_CARD_REMOVED;
  if (!link->gone && link->t.ops)
    {
      link->dirty = TRUE;
      rv = link_note (link, link->t.ops->transmit (link->t.ctx, cmd, cmd_len, resp, resp_cap,
                                                   resp_len));
    }
  g_mutex_unlock (&link->lock);
  return rv;
}

static myna_rv
lent_get_caps (void *ctx, myna_transport_caps *caps)
{
  NfcLink *link = ctx;
  g_mutex_lock (&link->lock);
  myna_rv rv = MYNA_E_CARD_REMOVED;
  if (link->t.ops)
    rv = link->t.ops->get_caps (link->t.ctx, caps);
  g_mutex_unlock (&link->lock);
  return rv;
}

static myna_rv
lent_reset (void *ctx)
{
  NfcLink *link = ctx;
  g_mutex_lock (&link->lock);
  myna_rv rv = MYNA_E_CARD_REMOVED;
  if (!link->gone && link->t.ops)
    {
      rv = link_note (link, link->t.ops->reset (link->t.ctx));
      if (!rv)
        link->dirty = FALSE;
    }
  g_mutex_unlock (&link->lock);
  return rv;
}

static myna_rv
lent_is_present (void *ctx, bool *present)
{
  NfcLink *link = ctx;
  if (!present)
    return MYNA_E_INVALID_ARGUMENT;
  *present = false;
  g_mutex_lock (&link->lock);
  myna_rv rv = MYNA_OK;
  if (!link->gone && link->t.ops)
    {
      rv = link_note (link, link->t.ops->is_present (link->t.ctx, present));
      if (!rv && !*present)
        link->gone = TRUE;
    }
  g_mutex_unlock (&link->lock);
  return rv;
}

static const char *
lent_name (void *ctx)
{
  NfcLink *link = ctx;
  return link->name;
}

/* The session ends: the card loses its verified PINs (field off and on)
 * unless that already happened, and stays with the watch. */
static void
lent_destroy (void *ctx)
{
  NfcLink *link = ctx;
  g_mutex_lock (&link->lock);
  if (!link->gone && link->dirty && link->t.ops)
    (void) link_note (link, link->t.ops->reset (link->t.ctx));
  link->dirty = FALSE;
  link->lent = FALSE;
  link_settle (link);
  g_mutex_unlock (&link->lock);
  link_unref (link);
}

static const myna_transport_ops lent_ops = {
  .transmit = lent_transmit,
  .get_caps = lent_get_caps,
  .reset = lent_reset,
  .is_present = lent_is_present,
  .name = lent_name,
  .destroy = lent_destroy,
};

/* ---- telling the main context ---- */

typedef struct
{
  gint *alive;
  KioskNfcWatchFn fn;
  gpointer user;
  gboolean service_up;
  gboolean card_present;
} Told;

static gboolean
told_deliver (gpointer data)
{
  Told *t = data;
  if (g_atomic_int_get (t->alive))
    t->fn (t->service_up, t->card_present, t->user);
  return G_SOURCE_REMOVE;
}

static void
told_free (gpointer data)
{
  Told *t = data;
  g_atomic_rc_box_release (t->alive);
  g_free (t);
}

static void
tell (KioskNfcWatch *w, gboolean service_up, gboolean card_present)
{
  if (w->told && w->service_up == service_up && w->card_present == card_present)
    return;
  w->told = TRUE;
  w->service_up = service_up;
  w->card_present = card_present;
  Told *t = g_new0 (Told, 1);
  t->alive = g_atomic_rc_box_acquire (w->alive);
  t->fn = w->fn;
  t->user = w->user;
  t->service_up = service_up;
  t->card_present = card_present;
  GSource *s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_DEFAULT);
  g_source_set_callback (s, told_deliver, t, told_free);
  g_source_attach (s, w->context);
  g_source_unref (s);
}

/* ---- the thread ---- */

/* Wait ms, or until free asks the thread to stop (then TRUE). */
static gboolean
pause_or_stop (KioskNfcWatch *w, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&w->lock);
  while (!atomic_load (&w->stop) && g_cond_wait_until (&w->cond, &w->lock, end))
    ;
  g_mutex_unlock (&w->lock);
  return atomic_load (&w->stop);
}

static void
search (KioskNfcWatch *w)
{
  myna_nfc_options opt = { .poll_ms = NFC_WATCH_POLL_MS, .cancel = &w->stop };
  myna_transport t;
  myna_rv rv = myna_nfc_connect (w->nfc, w->connstring, &opt, &t);
  switch (rv)
    {
    case MYNA_OK:
      {
        NfcLink *link = link_new (t);
        g_mutex_lock (&w->lock);
        w->link = link;
        g_free (w->device);
        w->device = g_strdup (link->name);
        g_mutex_unlock (&w->lock);
        g_debug ("nfc: a card is in the field");
        tell (w, TRUE, TRUE);
        break;
      }
    case MYNA_E_NO_CARD:
      tell (w, TRUE, FALSE);
      break;
    case MYNA_E_CANCELLED:
      break;
    default:
      /* No device, or one that does not answer as it should: the same
       * to the screens (no reader), and tried again. */
      if (!w->told || w->service_up)
        g_debug ("nfc: device not usable: %s", myna_rv_name (rv));
      tell (w, FALSE, FALSE);
      (void) pause_or_stop (w, NFC_WATCH_RETRY_MS);
      break;
    }
}

static void
watch_card (KioskNfcWatch *w)
{
  if (pause_or_stop (w, NFC_WATCH_PRESENCE_MS))
    return;
  NfcLink *link = w->link;
  g_mutex_lock (&link->lock);
  gboolean was_gone = link->gone;
  myna_rv rv = MYNA_OK;
  bool present = false;
  if (!link->gone && link->t.ops)
    {
      rv = link->t.ops->is_present (link->t.ctx, &present);
      /* A slow answer (MYNA_E_TIMEOUT) or a garbled one (MYNA_E_IO) says
       * nothing about the card: asked again next time. */
      if (rv == MYNA_E_READER_REMOVED || (!rv && !present))
        link->gone = TRUE;
    }
  gboolean gone = link->gone;
  link_settle (link);
  gboolean closed = link->t.ops == NULL;
  g_mutex_unlock (&link->lock);
  if (gone && !was_gone)
    {
      g_debug ("nfc: the card left the field%s", rv == MYNA_E_READER_REMOVED
                                                 ? " with the device" : "");
      tell (w, rv != MYNA_E_READER_REMOVED, FALSE);
    }
  if (closed)
    {
      /* Searched for again from the next turn on: a card put back is a
       * new activation. */
      g_mutex_lock (&w->lock);
      w->link = NULL;
      g_mutex_unlock (&w->lock);
      link_unref (link);
    }
}

static gpointer
watch_thread (gpointer data)
{
  KioskNfcWatch *w = data;
  while (!atomic_load (&w->stop))
    {
      if (w->link)
        watch_card (w);
      else
        search (w);
    }
  return NULL;
}

/* ---- the API ---- */

KioskNfcWatch *
kiosk_nfc_watch_new (const char *connstring, GMainContext *ctx, KioskNfcWatchFn fn,
                     gpointer user, GError **error)
{
  myna_nfc *nfc = NULL;
  myna_rv rv = myna_nfc_new (&nfc);
  if (rv)
    {
      g_autoptr (mp_problem) p = mp_problem_new ();
      p->card_rv = (int) rv;
      mp_set_error (error, MP_ERROR_CARD, p, "libnfc could not be initialised: %s (%s)",
                    myna_strerror (rv), myna_rv_name (rv));
      return NULL;
    }
  KioskNfcWatch *w = g_new0 (KioskNfcWatch, 1);
  w->nfc = nfc;
  w->connstring = g_strdup (connstring && *connstring ? connstring : NULL);
  w->device = g_strdup (w->connstring);
  w->context = g_main_context_ref (ctx);
  w->fn = fn;
  w->user = user;
  w->alive = g_atomic_rc_box_new0 (gint);
  g_atomic_int_set (w->alive, 1);
  atomic_init (&w->stop, false);
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->thread = g_thread_new ("kiosk-nfc-watch", watch_thread, w);
  return w;
}

void
kiosk_nfc_watch_free (KioskNfcWatch *w)
{
  if (!w)
    return;
  g_atomic_int_set (w->alive, 0);
  /* The flag first: a search that starts after this sees it (no race can
   * lose it); the cancel ends a polling round under way at once. */
  g_mutex_lock (&w->lock);
  atomic_store (&w->stop, true);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  myna_nfc_cancel (w->nfc);
  g_thread_join (w->thread);
  if (w->link)
    {
      /* A session may still hold the card: its transport closes the
       * device when it ends. */
      g_mutex_lock (&w->link->lock);
      w->link->gone = TRUE;
      link_settle (w->link);
      g_mutex_unlock (&w->link->lock);
      link_unref (w->link);
    }
  myna_nfc_free (w->nfc);
  g_atomic_rc_box_release (w->alive);
  g_main_context_unref (w->context);
  g_cond_clear (&w->cond);
  g_mutex_clear (&w->lock);
  g_free (w->connstring);
  g_free (w->device);
  g_free (w);
}

myna_rv
kiosk_nfc_watch_connect (KioskNfcWatch *w, myna_transport *out)
{
  g_mutex_lock (&w->lock);
  NfcLink *link = w->link ? g_atomic_rc_box_acquire (w->link) : NULL;
  g_mutex_unlock (&w->lock);
  if (!link)
    return MYNA_E_NO_CARD;
  myna_rv rv = MYNA_OK;
  g_mutex_lock (&link->lock);
  if (link->gone || !link->t.ops)
    rv = MYNA_E_NO_CARD;
  else if (link->lent)
    rv = MYNA_E_READER_BUSY;
  else
    {
      link->lent = TRUE;
      link->dirty = FALSE;
    }
  g_mutex_unlock (&link->lock);
  if (rv)
    {
      link_unref (link);
      return rv;
    }
  *out = (myna_transport) { &lent_ops, link };  /* the transport owns the reference */
  return MYNA_OK;
}

myna_rv
kiosk_nfc_watch_list (KioskNfcWatch *w, GPtrArray **readers)
{
  *readers = NULL;
  myna_nfc_device *devices = NULL;
  size_t n = 0;
  myna_rv rv = myna_nfc_list (w->nfc, &devices, &n);
  if (rv)
    return rv;
  g_mutex_lock (&w->lock);
  g_autofree char *watched = g_strdup (w->connstring);
  gboolean card = w->link != NULL;
  g_mutex_unlock (&w->lock);
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_reader_info_free);
  for (size_t i = 0; i < n; i++)
    {
      KioskReaderInfo *info = g_new0 (KioskReaderInfo, 1);
      info->name = g_strdup (devices[i].connstring);
      info->contactless = TRUE;
      /* Without a configured device the watch opens the first one. */
      info->card_present = card && (watched ? strcmp (watched, devices[i].connstring) == 0
                                            : i == 0);
      g_ptr_array_add (a, info);
    }
  myna_nfc_devices_free (devices, n);
  *readers = a;
  return MYNA_OK;
}

char *
kiosk_nfc_watch_device (KioskNfcWatch *w)
{
  g_mutex_lock (&w->lock);
  char *device = g_strdup (w->device);
  g_mutex_unlock (&w->lock);
  return device;
}
