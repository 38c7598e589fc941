/* kiosk-card-monitor.c - where the card is, for the kiosk's screens.
 *
 * Three sources behind one GObject:
 *   pcsc   myna_pcsc_monitor's events (its thread, delivered on our main
 *          context) kept as a table of readers; the watched card is the one
 *          in the first reader that matches the configuration.
 *   vcard  the software card in-process, inserted and removed by hand; its
 *          transport serves APDUs from the session's worker thread under a
 *          lock the toggle takes too.
 *   nfc    kiosk-nfc-watch.c: a thread that searches for a card and checks
 *          its presence, lending the transport to the session.
 *
 * The reader kind without a card: CONTACTLESS when the reader's name says
 * "contactless", "nfc" or "picc" (case-insensitive), else CONTACT. With a
 * card, its ATR decides (a PC/SC part-3 contactless ATR is CONTACTLESS).
 * An NFC device is always CONTACTLESS.
 */

#include "kiosk-card-monitor.h"
#include "kiosk-card-monitor-private.h"
#include "kiosk-nfc-watch.h"

#include <string.h>

#include "mynapcsc/pcsc.h"
#include "mynaportal/error.h"
#include "mynavcard/vcard.h"

/* ---- the software card, shared with its transports ---- */

typedef struct
{
  GMutex lock;              /* every use of vcard, generation, open */
  myna_vcard *vcard;
  guint generation;         /* + 1 at each insertion: an old transport stays dead */
  int open;                 /* transports not yet destroyed */
  char *name;
  GMainContext *context;    /* where the monitor lives */
  GWeakRef monitor;         /* told when the card leaves on its own */
} VcardBox;

static VcardBox *
vcard_box_ref (VcardBox *box)
{
  return g_atomic_rc_box_acquire (box);
}

static void
vcard_box_clear (gpointer data)
{
  VcardBox *box = data;
  myna_vcard_free (box->vcard);
  g_free (box->name);
  g_main_context_unref (box->context);
  g_weak_ref_clear (&box->monitor);
  g_mutex_clear (&box->lock);
}

static void
vcard_box_unref (VcardBox *box)
{
  g_atomic_rc_box_release_full (box, vcard_box_clear);
}

typedef struct
{
  VcardBox *box;
  guint generation;
} VcardTransport;

/* ---- the monitor ---- */

typedef struct
{
  char *name;
  gboolean card_present;
  gboolean contactless;     /* the card's ATR */
  guint8 atr[MYNA_PCSC_MAX_ATR];
  gsize atr_len;
} PcscReader;

struct _KioskCardMonitor
{
  GObject parent_instance;

  KioskCardSource source;
  GMainContext *context;

  gboolean card_present;
  KioskReaderKind reader_kind;
  gboolean service_available;

  GMutex lock;              /* reader_name: connect reads it on a worker */
  char *reader_name;        /* the reader with the card, else the watched one */

  /* pcsc */
  char *match;              /* [card] reader, NULL: any */
  myna_pcsc *pcsc;
  myna_pcsc_monitor *pcsc_monitor;
  GPtrArray *readers;       /* PcscReader*, in the order they came */
  char *card_reader;        /* the reader of the watched card */

  /* vcard */
  VcardBox *vbox;

  /* nfc */
  KioskNfcWatch *nfc;
};

G_DEFINE_FINAL_TYPE (KioskCardMonitor, kiosk_card_monitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CARD_PRESENT,
  PROP_READER_KIND,
  PROP_SERVICE_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CARD_INSERTED,
  CARD_REMOVED,
  READERS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
kiosk_reader_info_free (KioskReaderInfo *info)
{
  if (!info)
    return;
  g_free (info->name);
  g_free (info->atr_hex);
  g_free (info);
}

static char *
atr_to_hex (const guint8 *atr, gsize len)
{
  if (!len)
    return NULL;
  GString *s = g_string_sized_new (len * 3);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, i ? " %02X" : "%02X", atr[i]);
  return g_string_free (s, FALSE);
}

static void
card_error (GError **error, myna_rv rv, const char *what)
{
  g_autoptr (mp_problem) p = mp_problem_new ();
  p->card_rv = (int) rv;
  mp_set_error (error, MP_ERROR_CARD, p, "%s: %s (%s)", what, myna_strerror (rv),
                myna_rv_name (rv));
}

static gboolean
name_says_contactless (const char *name)
{
  g_autofree char *low = g_ascii_strdown (name, -1);
  return strstr (low, "contactless") || strstr (low, "nfc") || strstr (low, "picc");
}

static void
set_reader_name (KioskCardMonitor *self, const char *name)
{
  g_mutex_lock (&self->lock);
  if (g_strcmp0 (self->reader_name, name) != 0)
    {
      g_free (self->reader_name);
      self->reader_name = g_strdup (name);
    }
  g_mutex_unlock (&self->lock);
}

static void
set_service_available (KioskCardMonitor *self, gboolean available)
{
  if (self->service_available == available)
    return;
  self->service_available = available;
  g_debug ("card service %s", available ? "available" : "gone");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE_AVAILABLE]);
}

static void
set_reader_kind (KioskCardMonitor *self, KioskReaderKind kind)
{
  if (self->reader_kind == kind)
    return;
  self->reader_kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READER_KIND]);
}

/* The card came or went: the property first, so that a handler of the
 * signal sees the state it announces. */
static void
set_card_present (KioskCardMonitor *self, gboolean present)
{
  if (self->card_present == present)
    return;
  self->card_present = present;
  g_debug ("card %s", present ? "inserted" : "removed");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CARD_PRESENT]);
  g_signal_emit (self, signals[present ? CARD_INSERTED : CARD_REMOVED], 0);
}

/* ---- pcsc ---- */

static void
pcsc_reader_free (gpointer data)
{
  PcscReader *r = data;
  g_free (r->name);
  g_free (r);
}

static PcscReader *
pcsc_find (KioskCardMonitor *self, const char *name, guint *at)
{
  for (guint i = 0; i < self->readers->len; i++)
    {
      PcscReader *r = self->readers->pdata[i];
      if (strcmp (r->name, name) == 0)
        {
          if (at)
            *at = i;
          return r;
        }
    }
  return NULL;
}

/* Is r one the configuration lets the kiosk use? As myna_pcsc_find_reader
 * matches: the reader of exactly that name when there is one, else every
 * reader whose name contains it (case-insensitive). */
static gboolean
pcsc_eligible (KioskCardMonitor *self, const PcscReader *r)
{
  if (!self->match || !*self->match)
    return TRUE;
  if (pcsc_find (self, self->match, NULL))
    return strcmp (r->name, self->match) == 0;
  g_autofree char *want = g_ascii_strdown (self->match, -1);
  g_autofree char *have = g_ascii_strdown (r->name, -1);
  return strstr (have, want) != NULL;
}

/* Bring the watched card, the reader name and kind in line with the table
 * after an event. */
static void
pcsc_update (KioskCardMonitor *self)
{
  PcscReader *card = self->card_reader ? pcsc_find (self, self->card_reader, NULL) : NULL;
  if (self->card_reader && (!card || !card->card_present))
    {
      g_clear_pointer (&self->card_reader, g_free);
      card = NULL;
      set_reader_name (self, NULL);
      set_card_present (self, FALSE);
    }
  PcscReader *watched = NULL;
  for (guint i = 0; i < self->readers->len; i++)
    {
      PcscReader *r = self->readers->pdata[i];
      if (!pcsc_eligible (self, r))
        continue;
      if (!watched)
        watched = r;
      if (!card && r->card_present)
        card = r;
    }
  if (card)
    {
      set_reader_name (self, card->name);
      set_reader_kind (self, card->contactless || name_says_contactless (card->name)
                               ? KIOSK_READER_CONTACTLESS : KIOSK_READER_CONTACT);
      if (!self->card_reader)
        {
          self->card_reader = g_strdup (card->name);
          set_card_present (self, TRUE);
        }
      return;
    }
  set_reader_name (self, watched ? watched->name : NULL);
  if (!watched)
    set_reader_kind (self, KIOSK_READER_NONE);
  else
    set_reader_kind (self, name_says_contactless (watched->name)
                             ? KIOSK_READER_CONTACTLESS : KIOSK_READER_CONTACT);
}

static void
pcsc_event (const myna_pcsc_event *ev, void *user)
{
  KioskCardMonitor *self = user;
  PcscReader *r = NULL;
  guint at = 0;
  gboolean readers_changed = FALSE;

  g_debug ("pcsc: %s%s%s", myna_pcsc_event_name (ev->kind),
           ev->reader ? " " : "", ev->reader ? ev->reader : "");
  switch (ev->kind)
    {
    case MYNA_PCSC_READER_ADDED:
      set_service_available (self, TRUE);
      if (!pcsc_find (self, ev->reader, NULL))
        {
          r = g_new0 (PcscReader, 1);
          r->name = g_strdup (ev->reader);
          g_ptr_array_add (self->readers, r);
          readers_changed = TRUE;
        }
      break;
    case MYNA_PCSC_READER_REMOVED:
      if (pcsc_find (self, ev->reader, &at))
        {
          g_ptr_array_remove_index (self->readers, at);
          readers_changed = TRUE;
        }
      break;
    case MYNA_PCSC_CARD_INSERTED:
      r = pcsc_find (self, ev->reader, NULL);
      if (r)
        {
          r->card_present = TRUE;
          r->contactless = ev->contactless;
          r->atr_len = MIN (ev->atr_len, sizeof r->atr);
          if (ev->atr)
            memcpy (r->atr, ev->atr, r->atr_len);
          readers_changed = TRUE;
        }
      break;
    case MYNA_PCSC_CARD_REMOVED:
      r = pcsc_find (self, ev->reader, NULL);
      if (r)
        {
          r->card_present = FALSE;
          r->contactless = FALSE;
          r->atr_len = 0;
          readers_changed = TRUE;
        }
      break;
    case MYNA_PCSC_SERVICE_LOST:
      /* Without pcscd there is no reader and no card, now: a session on
       * the card must end at once, not when the reader-removed events that
       * follow arrive (under load they can be late). */
      set_service_available (self, FALSE);
      if (self->readers->len > 0)
        {
          g_ptr_array_set_size (self->readers, 0);
          readers_changed = TRUE;
        }
      break;
    case MYNA_PCSC_SERVICE_BACK:
      set_service_available (self, TRUE);
      break;
    default:
      break;
    }
  /* A handler may drop the last reference of the monitor. */
  g_object_ref (self);
  pcsc_update (self);
  if (readers_changed)
    g_signal_emit (self, signals[READERS_CHANGED], 0);
  g_object_unref (self);
}

static gboolean
pcsc_start (KioskCardMonitor *self, const KioskConfig *cfg, GError **error)
{
  self->match = g_strdup (cfg->reader && *cfg->reader ? cfg->reader : NULL);
  self->readers = g_ptr_array_new_with_free_func (pcsc_reader_free);
  myna_rv rv = myna_pcsc_new (&self->pcsc);
  if (rv)
    {
      card_error (error, rv, "PC/SC");
      return FALSE;
    }
  /* The monitor says when pcscd is away, but nothing when it is there
   * without readers: ask once, so that the property is right from the
   * start. */
  myna_pcsc_reader *list = NULL;
  size_t n = 0;
  rv = myna_pcsc_list (self->pcsc, &list, &n);
  myna_pcsc_readers_free (list, n);
  self->service_available = rv != MYNA_E_NO_SERVICE;
  rv = myna_pcsc_monitor_new (self->context, pcsc_event, self, &self->pcsc_monitor);
  if (rv)
    {
      card_error (error, rv, "starting the PC/SC monitor");
      return FALSE;
    }
  return TRUE;
}

static myna_rv
pcsc_connect (KioskCardMonitor *self, myna_transport *out)
{
  g_mutex_lock (&self->lock);
  g_autofree char *reader = g_strdup (self->reader_name);
  g_mutex_unlock (&self->lock);
  /* The exact name of the reader the events showed (myna_pcsc_find_reader
   * takes it before any substring); before any event, the library's own
   * choice by the configured name, which also tells why none is there
   * (MYNA_E_NO_SERVICE, MYNA_E_NO_READER ...). */
  return myna_pcsc_connect (self->pcsc, reader ? reader : self->match, MYNA_PCSC_EXCLUSIVE,
                            out);
}

static GPtrArray *
pcsc_list (KioskCardMonitor *self, GError **error)
{
  myna_pcsc_reader *list = NULL;
  size_t n = 0;
  myna_rv rv = myna_pcsc_list (self->pcsc, &list, &n);
  if (rv)
    {
      card_error (error, rv, "listing the readers");
      return NULL;
    }
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_reader_info_free);
  for (size_t i = 0; i < n; i++)
    {
      KioskReaderInfo *info = g_new0 (KioskReaderInfo, 1);
      info->name = g_strdup (list[i].name);
      info->card_present = list[i].card_present;
      info->contactless = list[i].contactless;
      info->atr_hex = atr_to_hex (list[i].atr, list[i].atr_len);
      g_ptr_array_add (a, info);
    }
  myna_pcsc_readers_free (list, n);
  return a;
}

/* ---- vcard ---- */

/* The card left by itself (remove_after): tell the screens on the main
 * context, as a reader would. */
static gboolean
vcard_sync (gpointer data)
{
  VcardBox *box = data;
  g_autoptr (KioskCardMonitor) self = g_weak_ref_get (&box->monitor);
  if (!self)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&box->lock);
  gboolean present = myna_vcard_is_present (box->vcard);
  g_mutex_unlock (&box->lock);
  set_card_present (self, present);
  return G_SOURCE_REMOVE;
}

static void
vcard_schedule_sync (VcardBox *box)
{
  GSource *s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_DEFAULT);
  g_source_set_callback (s, vcard_sync, vcard_box_ref (box), (GDestroyNotify) vcard_box_unref);
  g_source_attach (s, box->context);
  g_source_unref (s);
}

/* Under box->lock: is the card this transport was made for still in? */
static gboolean
vcard_alive (const VcardTransport *t)
{
  return myna_vcard_is_present (t->box->vcard) && t->generation == t->box->generation;
}

/* The card's largest answer (65536 bytes and SW) fits every buffer the
 * card layer gives (it gives one of that size); a smaller one is refused
 * rather than answered short. */
#define VCARD_RESP_MAX (65536 + 2)

static myna_rv
vcard_transmit (void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                size_t resp_cap, size_t *resp_len)
{
  VcardTransport *t = ctx;
  if (!cmd || !cmd_len || !resp || !resp_len)
    return MYNA_E_INVALID_ARGUMENT;
  g_mutex_lock (&t->box->lock);
  if (!vcard_alive (t))
    {
      g_mutex_unlock (&t->box->lock);
      return MYNA_E_CARD_REMOVED;
    }
  g_autofree uint8_t *scratch = resp_cap < VCARD_RESP_MAX ? g_malloc (VCARD_RESP_MAX) : NULL;
  uint8_t *out = scratch ? scratch : resp;
  size_t n = myna_vcard_process (t->box->vcard, cmd, cmd_len, out, VCARD_RESP_MAX);
  gboolean gone = !myna_vcard_is_present (t->box->vcard);
  g_mutex_unlock (&t->box->lock);
  if (gone)
    vcard_schedule_sync (t->box);
  myna_rv rv = MYNA_OK;
  if (!n)
    rv = MYNA_E_CARD_REMOVED;
  else if (scratch && n > resp_cap)
    rv = MYNA_E_BUFFER_TOO_SMALL;
  else
    {
      if (scratch)
        memcpy (resp, scratch, n);
      *resp_len = n;
    }
  if (scratch)
    explicit_bzero (scratch, VCARD_RESP_MAX);
  return rv;
}

static myna_rv
vcard_get_caps (void *ctx, myna_transport_caps *caps)
{
  if (!caps)
    return MYNA_E_INVALID_ARGUMENT;
  /* As the in-process transport of drivers/vcard: the path carries
   * extended APDUs; the card's quirks decide whether it takes them. */
  *caps = (myna_transport_caps) { true, 4 + 3 + 65535 + 2, 65536 };
  return MYNA_OK;
}

static myna_rv
vcard_reset (void *ctx)
{
  VcardTransport *t = ctx;
  myna_rv rv = MYNA_OK;
  g_mutex_lock (&t->box->lock);
  if (vcard_alive (t))
    myna_vcard_reset (t->box->vcard);
  else
    rv = MYNA_E_CARD_REMOVED;
  g_mutex_unlock (&t->box->lock);
  return rv;
}

static myna_rv
vcard_is_present (void *ctx, bool *present)
{
  VcardTransport *t = ctx;
  if (!present)
    return MYNA_E_INVALID_ARGUMENT;
  g_mutex_lock (&t->box->lock);
  *present = vcard_alive (t);
  g_mutex_unlock (&t->box->lock);
  return MYNA_OK;
}

static const char *
vcard_name (void *ctx)
{
  VcardTransport *t = ctx;
  return t->box->name;
}

static void
vcard_destroy (void *ctx)
{
  VcardTransport *t = ctx;
  if (!t)
    return;
  g_mutex_lock (&t->box->lock);
  t->box->open--;
  g_mutex_unlock (&t->box->lock);
  vcard_box_unref (t->box);
  g_free (t);
}

static const myna_transport_ops vcard_ops = {
  .transmit = vcard_transmit,
  .get_caps = vcard_get_caps,
  .reset = vcard_reset,
  .is_present = vcard_is_present,
  .name = vcard_name,
  .destroy = vcard_destroy,
};

static gboolean
vcard_start (KioskCardMonitor *self, const KioskConfig *cfg, GError **error)
{
  if (!cfg->vcard_profile || !*cfg->vcard_profile)
    {
      mp_set_error (error, MP_ERROR_CONFIG, NULL,
                    "[card] source = vcard needs vcard-profile (a profile.ini)");
      return FALSE;
    }
  char err[512] = "";
  myna_vcard *vcard = myna_vcard_load (cfg->vcard_profile, err, sizeof err);
  if (!vcard)
    {
      mp_set_error (error, MP_ERROR_CONFIG, NULL, "[card] vcard-profile %s: %s",
                    cfg->vcard_profile, err);
      return FALSE;
    }
  /* The software card starts outside the reader, as a resident's would. */
  myna_vcard_set_present (vcard, false);
  VcardBox *box = g_atomic_rc_box_new0 (VcardBox);
  g_mutex_init (&box->lock);
  box->vcard = vcard;
  g_autofree char *folder = g_path_get_dirname (cfg->vcard_profile);
  g_autofree char *base = g_path_get_basename (folder);
  box->name = g_strdup_printf ("mynacard software card (%s)", base);
  box->context = g_main_context_ref (self->context);
  g_weak_ref_init (&box->monitor, self);
  self->vbox = box;
  self->service_available = TRUE;
  self->reader_kind = KIOSK_READER_CONTACT;
  set_reader_name (self, box->name);
  return TRUE;
}

static myna_rv
vcard_connect (KioskCardMonitor *self, myna_transport *out)
{
  VcardBox *box = self->vbox;
  g_mutex_lock (&box->lock);
  myna_rv rv = MYNA_OK;
  if (!myna_vcard_is_present (box->vcard))
    rv = MYNA_E_NO_CARD;
  else if (box->open > 0)
    rv = MYNA_E_READER_BUSY;  /* held exclusively, as the kiosk holds a PC/SC card */
  else
    {
      VcardTransport *t = g_new0 (VcardTransport, 1);
      t->box = vcard_box_ref (box);
      t->generation = box->generation;
      box->open++;
      *out = (myna_transport) { &vcard_ops, t };
    }
  g_mutex_unlock (&box->lock);
  return rv;
}

static GPtrArray *
vcard_list (KioskCardMonitor *self)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_reader_info_free);
  KioskReaderInfo *info = g_new0 (KioskReaderInfo, 1);
  info->name = g_strdup (self->vbox->name);
  g_mutex_lock (&self->vbox->lock);
  info->card_present = myna_vcard_is_present (self->vbox->vcard);
  if (info->card_present)
    {
      size_t len = 0;
      const uint8_t *atr = myna_vcard_atr (self->vbox->vcard, &len);
      info->atr_hex = atr_to_hex (atr, len);
      info->contactless = myna_pcsc_atr_is_contactless (atr, len);
    }
  g_mutex_unlock (&self->vbox->lock);
  g_ptr_array_add (a, info);
  return a;
}

void
kiosk_card_monitor_set_vcard_present (KioskCardMonitor *self, gboolean present)
{
  g_return_if_fail (KIOSK_IS_CARD_MONITOR (self));
  g_return_if_fail (self->source == KIOSK_CARD_SOURCE_VCARD);
  VcardBox *box = self->vbox;
  g_mutex_lock (&box->lock);
  gboolean was = myna_vcard_is_present (box->vcard);
  if (present && !was)
    box->generation++;
  myna_vcard_set_present (box->vcard, present);
  g_mutex_unlock (&box->lock);
  /* A card that left by itself and is put back before the monitor told
   * anyone: it was removed all the same. */
  if (present && !was && self->card_present)
    set_card_present (self, FALSE);
  set_card_present (self, present);
}

int
kiosk_card_monitor_vcard_tries (KioskCardMonitor *self, const char *which)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), -1);
  if (!self->vbox)
    return -1;
  g_mutex_lock (&self->vbox->lock);
  int tries = myna_vcard_tries (self->vbox->vcard, which);
  g_mutex_unlock (&self->vbox->lock);
  return tries;
}

unsigned long
kiosk_card_monitor_vcard_apdu_count (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), 0);
  if (!self->vbox)
    return 0;
  g_mutex_lock (&self->vbox->lock);
  unsigned long n = myna_vcard_apdu_count (self->vbox->vcard);
  g_mutex_unlock (&self->vbox->lock);
  return n;
}

void
kiosk_card_monitor_vcard_remove_after (KioskCardMonitor *self, unsigned long n)
{
  g_return_if_fail (KIOSK_IS_CARD_MONITOR (self));
  if (!self->vbox)
    return;
  g_mutex_lock (&self->vbox->lock);
  myna_vcard_remove_after (self->vbox->vcard, n);
  g_mutex_unlock (&self->vbox->lock);
}

int
kiosk_card_monitor_vcard_open_transports (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), -1);
  if (!self->vbox)
    return -1;
  g_mutex_lock (&self->vbox->lock);
  int n = self->vbox->open;
  g_mutex_unlock (&self->vbox->lock);
  return n;
}

/* ---- nfc ---- */

static void
nfc_changed (gboolean service_up, gboolean card_present, gpointer user)
{
  KioskCardMonitor *self = user;
  g_autofree char *device = kiosk_nfc_watch_device (self->nfc);
  gboolean readers_changed = service_up != self->service_available;
  /* A handler may drop the last reference of the monitor. */
  g_object_ref (self);
  set_reader_name (self, device);
  set_service_available (self, service_up);
  set_reader_kind (self, service_up ? KIOSK_READER_CONTACTLESS : KIOSK_READER_NONE);
  set_card_present (self, card_present);
  if (readers_changed)
    g_signal_emit (self, signals[READERS_CHANGED], 0);
  g_object_unref (self);
}

static gboolean
nfc_start (KioskCardMonitor *self, const KioskConfig *cfg, GError **error)
{
  const char *device = cfg->nfc_device && *cfg->nfc_device ? cfg->nfc_device : NULL;
  self->nfc = kiosk_nfc_watch_new (device, self->context, nfc_changed, self, error);
  if (!self->nfc)
    return FALSE;
  /* Not known until the device was opened once. */
  self->service_available = FALSE;
  self->reader_kind = KIOSK_READER_NONE;
  set_reader_name (self, device);
  return TRUE;
}

/* ---- the object ---- */

static void
kiosk_card_monitor_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  KioskCardMonitor *self = KIOSK_CARD_MONITOR (object);
  switch (prop_id)
    {
    case PROP_CARD_PRESENT:
      g_value_set_boolean (value, self->card_present);
      break;
    case PROP_READER_KIND:
      g_value_set_int (value, (int) self->reader_kind);
      break;
    case PROP_SERVICE_AVAILABLE:
      g_value_set_boolean (value, self->service_available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_card_monitor_finalize (GObject *object)
{
  KioskCardMonitor *self = KIOSK_CARD_MONITOR (object);
  /* On the main context's thread: no event is delivered after this. */
  g_clear_pointer (&self->pcsc_monitor, myna_pcsc_monitor_free);
  g_clear_pointer (&self->pcsc, myna_pcsc_free);
  g_clear_pointer (&self->nfc, kiosk_nfc_watch_free);
  g_clear_pointer (&self->vbox, vcard_box_unref);
  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_free (self->match);
  g_free (self->card_reader);
  g_free (self->reader_name);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (kiosk_card_monitor_parent_class)->finalize (object);
}

static void
kiosk_card_monitor_class_init (KioskCardMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->get_property = kiosk_card_monitor_get_property;
  object_class->finalize = kiosk_card_monitor_finalize;

  properties[PROP_CARD_PRESENT] =
    g_param_spec_boolean ("card-present", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READER_KIND] =
    g_param_spec_int ("reader-kind", NULL, NULL, KIOSK_READER_NONE, KIOSK_READER_CONTACTLESS,
                      KIOSK_READER_NONE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVICE_AVAILABLE] =
    g_param_spec_boolean ("service-available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CARD_INSERTED] =
    g_signal_new ("card-inserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[CARD_REMOVED] =
    g_signal_new ("card-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[READERS_CHANGED] =
    g_signal_new ("readers-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
kiosk_card_monitor_init (KioskCardMonitor *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

KioskCardMonitor *
kiosk_card_monitor_new (const KioskConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (KioskCardMonitor) self = g_object_new (KIOSK_TYPE_CARD_MONITOR, NULL);
  self->source = cfg->card_source;
  gboolean ok = FALSE;
  switch (cfg->card_source)
    {
    case KIOSK_CARD_SOURCE_PCSC:
      ok = pcsc_start (self, cfg, error);
      break;
    case KIOSK_CARD_SOURCE_VCARD:
      ok = vcard_start (self, cfg, error);
      break;
    case KIOSK_CARD_SOURCE_NFC:
      ok = nfc_start (self, cfg, error);
      break;
    default:
      mp_set_error (error, MP_ERROR_CONFIG, NULL, "[card] source: unknown card source %d",
                    (int) cfg->card_source);
      break;
    }
  if (!ok)
    return NULL;
  g_debug ("watching cards through %s", kiosk_card_source_name (cfg->card_source));
  return g_steal_pointer (&self);
}

gboolean
kiosk_card_monitor_get_card_present (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), FALSE);
  return self->card_present;
}

KioskReaderKind
kiosk_card_monitor_get_reader_kind (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), KIOSK_READER_NONE);
  return self->reader_kind;
}

gboolean
kiosk_card_monitor_get_service_available (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), FALSE);
  return self->service_available;
}

KioskCardSource
kiosk_card_monitor_get_source (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), KIOSK_CARD_SOURCE_PCSC);
  return self->source;
}

const char *
kiosk_card_monitor_get_reader_name (KioskCardMonitor *self)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), NULL);
  /* Written on this (the main) thread only; the lock is for the worker's
   * reads. */
  return self->reader_name;
}

GPtrArray *
kiosk_card_monitor_list_readers (KioskCardMonitor *self, GError **error)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), NULL);
  switch (self->source)
    {
    case KIOSK_CARD_SOURCE_PCSC:
      return pcsc_list (self, error);
    case KIOSK_CARD_SOURCE_VCARD:
      return vcard_list (self);
    case KIOSK_CARD_SOURCE_NFC:
      {
        GPtrArray *a = NULL;
        myna_rv rv = kiosk_nfc_watch_list (self->nfc, &a);
        if (rv)
          card_error (error, rv, "listing the NFC devices");
        return a;
      }
    default:
      return NULL;
    }
}

myna_rv
kiosk_card_monitor_connect (KioskCardMonitor *self, myna_transport *out)
{
  g_return_val_if_fail (KIOSK_IS_CARD_MONITOR (self), MYNA_E_INVALID_ARGUMENT);
  g_return_val_if_fail (out != NULL, MYNA_E_INVALID_ARGUMENT);
  *out = (myna_transport) { NULL, NULL };
  switch (self->source)
    {
    case KIOSK_CARD_SOURCE_PCSC:
      return pcsc_connect (self, out);
    case KIOSK_CARD_SOURCE_VCARD:
      return vcard_connect (self, out);
    case KIOSK_CARD_SOURCE_NFC:
      return kiosk_nfc_watch_connect (self->nfc, out);
    default:
      return MYNA_E_INVALID_ARGUMENT;
    }
}
