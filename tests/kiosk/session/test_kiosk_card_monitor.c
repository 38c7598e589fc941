/* test_kiosk_card_monitor.c - KioskCardMonitor on the software card: the
 * state it starts in, the signals and properties of a card put in and taken
 * out, the exclusive connect, a card leaving in the middle of an operation
 * (from the main thread, and by itself after N APDUs), APDUs on another
 * thread while the card is toggled, and the errors of a profile that does
 * not load. No portal, no pcscd. */

#include <glib/gstdio.h>
#include <string.h>

#include "mynacard/mynacard.h"
#include "mynaportal/error.h"

#include "kiosk-card-monitor-private.h"
#include "kiosk-card-monitor.h"
#include "session-test-util.h"

typedef struct
{
  char *dir;
  KioskConfig *cfg;
  KioskCardMonitor *monitor;
  guint inserted;
  guint removed;
  guint present_notes;
  gboolean present_in_handler;   /* card-present as a signal handler saw it */
} Fixture;

static void
on_inserted (KioskCardMonitor *m, Fixture *f)
{
  f->inserted++;
  f->present_in_handler = kiosk_card_monitor_get_card_present (m);
}

static void
on_removed (KioskCardMonitor *m, Fixture *f)
{
  f->removed++;
  f->present_in_handler = kiosk_card_monitor_get_card_present (m);
}

static void
on_present_notify (GObject *o, GParamSpec *pspec, Fixture *f)
{
  f->present_notes++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("kiosk-monitor-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->cfg = kiosk_config_new ();
  f->cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
  f->cfg->vcard_profile = test_profile_copy ("adult", f->dir, "card");
  g_autoptr (GError) error = NULL;
  f->monitor = kiosk_card_monitor_new (f->cfg, &error);
  g_assert_no_error (error);
  g_signal_connect (f->monitor, "card-inserted", G_CALLBACK (on_inserted), f);
  g_signal_connect (f->monitor, "card-removed", G_CALLBACK (on_removed), f);
  g_signal_connect (f->monitor, "notify::card-present", G_CALLBACK (on_present_notify), f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 0);
  g_assert_finalize_object (f->monitor);
  kiosk_config_free (f->cfg);
  test_remove_tree (f->dir);
  g_free (f->dir);
}

static myna_card *
open_card (Fixture *f)
{
  myna_transport t;
  g_assert_cmpint (kiosk_card_monitor_connect (f->monitor, &t), ==, MYNA_OK);
  myna_card *card = NULL;
  g_assert_cmpint (myna_card_open (t, &card), ==, MYNA_OK);
  g_assert_cmpint (myna_jpki_select (card), ==, MYNA_OK);
  return card;
}

static gboolean
removed_seen (gpointer data)
{
  Fixture *f = data;
  return f->removed > 0;
}

static void
test_starts_removed (Fixture *f, gconstpointer data)
{
  g_assert_false (kiosk_card_monitor_get_card_present (f->monitor));
  g_assert_true (kiosk_card_monitor_get_service_available (f->monitor));
  g_assert_cmpint (kiosk_card_monitor_get_reader_kind (f->monitor), ==, KIOSK_READER_CONTACT);
  g_assert_cmpint (kiosk_card_monitor_get_source (f->monitor), ==, KIOSK_CARD_SOURCE_VCARD);
  g_assert_nonnull (strstr (kiosk_card_monitor_get_reader_name (f->monitor), "software card"));
  gboolean present = TRUE, available = FALSE;
  int kind = -1;
  g_object_get (f->monitor, "card-present", &present, "service-available", &available,
                "reader-kind", &kind, NULL);
  g_assert_false (present);
  g_assert_true (available);
  g_assert_cmpint (kind, ==, KIOSK_READER_CONTACT);

  /* Nothing announced at start, and nothing to connect to. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (f->inserted + f->removed, ==, 0);
  myna_transport t;
  g_assert_cmpint (kiosk_card_monitor_connect (f->monitor, &t), ==, MYNA_E_NO_CARD);
  g_assert_null (t.ops);

  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) readers = kiosk_card_monitor_list_readers (f->monitor, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (readers->len, ==, 1);
  KioskReaderInfo *info = readers->pdata[0];
  g_assert_false (info->card_present);
  g_assert_null (info->atr_hex);
  g_assert_cmpstr (info->name, ==, kiosk_card_monitor_get_reader_name (f->monitor));
}

static void
test_insert_and_remove_signal (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  g_assert_cmpuint (f->inserted, ==, 1);
  g_assert_true (f->present_in_handler);
  g_assert_cmpuint (f->present_notes, ==, 1);
  g_assert_true (kiosk_card_monitor_get_card_present (f->monitor));

  g_autoptr (GPtrArray) readers = kiosk_card_monitor_list_readers (f->monitor, NULL);
  KioskReaderInfo *info = readers->pdata[0];
  g_assert_true (info->card_present);
  g_assert_cmpstr (info->atr_hex, ==, "3B E0 00 FF 81 31 FE 45 14");
  g_assert_false (info->contactless);

  /* The same state again is no event. */
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  g_assert_cmpuint (f->inserted, ==, 1);
  g_assert_cmpuint (f->present_notes, ==, 1);

  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  g_assert_cmpuint (f->removed, ==, 1);
  g_assert_false (f->present_in_handler);
  g_assert_cmpuint (f->present_notes, ==, 2);
  g_assert_false (kiosk_card_monitor_get_card_present (f->monitor));
  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  g_assert_cmpuint (f->removed, ==, 1);
}

static void
test_connect_is_exclusive (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  myna_card *card = open_card (f);
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 1);
  myna_transport second;
  g_assert_cmpint (kiosk_card_monitor_connect (f->monitor, &second), ==, MYNA_E_READER_BUSY);
  int tries = -1;
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint (tries, ==, 3);
  myna_card_free (card);
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 0);
  card = open_card (f);
  myna_card_free (card);
}

/* A resident pulls the card between two APDUs of a session. */
static void
test_removed_between_apdus (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  myna_card *card = open_card (f);
  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  g_assert_cmpuint (f->removed, ==, 1);
  int tries = -1;
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==,
                   MYNA_E_CARD_REMOVED);
  /* Put back, it is a new card: the old session stays dead, a new one works. */
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  g_assert_cmpuint (f->inserted, ==, 2);
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==,
                   MYNA_E_CARD_REMOVED);
  myna_card_free (card);
  card = open_card (f);
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  myna_card_free (card);
}

/* The card leaves by itself after N APDUs: the operation under way fails
 * with MYNA_E_CARD_REMOVED and the monitor says so on the main context. */
static void
test_leaves_during_operation (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  myna_card *card = open_card (f);
  unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  kiosk_card_monitor_vcard_remove_after (f->monitor, 1);
  /* Reading the certificate takes a SELECT and a READ BINARY: the READ
   * finds no card. */
  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint (myna_jpki_read_certificate (card, MYNA_JPKI_CERT_AUTH, &der, &len), ==,
                   MYNA_E_CARD_REMOVED);
  g_assert_cmpuint (kiosk_card_monitor_vcard_apdu_count (f->monitor) - before, ==, 1);
  g_assert_true (kiosk_card_monitor_get_card_present (f->monitor));
  test_run_until (removed_seen, f, "card-removed after the card left by itself");
  g_assert_false (kiosk_card_monitor_get_card_present (f->monitor));
  g_assert_cmpuint (f->removed, ==, 1);
  myna_card_free (card);

  /* Put back before anyone looked: it was removed all the same. */
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  card = open_card (f);
  /* Gone right after one more reading of the tries (however many APDUs
   * that takes). */
  int tries = -1;
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  kiosk_card_monitor_vcard_remove_after (f->monitor,
                                         kiosk_card_monitor_vcard_apdu_count (f->monitor) - before);
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint (myna_jpki_tries_left (card, MYNA_JPKI_KEY_AUTH, &tries), ==,
                   MYNA_E_CARD_REMOVED);
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  g_assert_cmpuint (f->removed, ==, 2);
  g_assert_cmpuint (f->inserted, ==, 3);
  g_assert_true (kiosk_card_monitor_get_card_present (f->monitor));
  myna_card_free (card);
  /* The idle the transport queued finds nothing more to say. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (f->removed, ==, 2);
  g_assert_true (kiosk_card_monitor_get_card_present (f->monitor));
}

typedef struct
{
  KioskCardMonitor *monitor;
  myna_card *card;
  guint answered;
  myna_rv last;
  gint done;
} Reader;

/* APDUs on a thread of their own, as the session's worker sends them, until
 * the card goes. */
static gpointer
read_until_gone (gpointer data)
{
  Reader *r = data;
  for (;;)
    {
      int tries = -1;
      r->last = myna_jpki_tries_left (r->card, MYNA_JPKI_KEY_AUTH, &tries);
      if (r->last)
        break;
      r->answered++;
    }
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

static gboolean
reader_done (gpointer data)
{
  Reader *r = data;
  return g_atomic_int_get (&r->done);
}

static gboolean
some_answered (gpointer data)
{
  Reader *r = data;
  return kiosk_card_monitor_vcard_apdu_count (r->monitor) > 50;
}

static void
test_toggle_while_another_thread_sends (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  Reader r = { f->monitor, open_card (f), 0, MYNA_OK, 0 };
  GThread *th = g_thread_new ("apdus", read_until_gone, &r);
  test_run_until (some_answered, &r, "APDUs from the other thread");
  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  test_run_until (reader_done, &r, "the other thread to see the card gone");
  g_thread_join (th);
  g_assert_cmpint (r.last, ==, MYNA_E_CARD_REMOVED);
  g_assert_cmpuint (r.answered, >, 0);
  myna_card_free (r.card);
}

static void
test_profile_that_does_not_load (void)
{
  g_autoptr (KioskConfig) cfg = kiosk_config_new ();
  cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
  cfg->vcard_profile = g_strdup ("/nonexistent/kiosk-test/profile.ini");
  g_autoptr (GError) error = NULL;
  KioskCardMonitor *m = kiosk_card_monitor_new (cfg, &error);
  g_assert_null (m);
  g_assert_error (error, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "/nonexistent/kiosk-test/profile.ini"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* A profile that is there but broken is named too. */
  g_autofree char *dir = g_dir_make_tmp ("kiosk-monitor-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "profile.ini", NULL);
  g_assert_true (g_file_set_contents (bad, "[card]\nno-such-key=1\n", -1, NULL));
  g_free (cfg->vcard_profile);
  cfg->vcard_profile = g_strdup (bad);
  m = kiosk_card_monitor_new (cfg, &error);
  g_assert_null (m);
  g_assert_error (error, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, bad));
  g_clear_error (&error);
  test_remove_tree (dir);

  g_clear_pointer (&cfg->vcard_profile, g_free);
  m = kiosk_card_monitor_new (cfg, &error);
  g_assert_null (m);
  g_assert_error (error, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "vcard-profile"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/card-monitor/vcard/starts-removed", test_starts_removed);
  ADD ("/card-monitor/vcard/insert-and-remove-signal", test_insert_and_remove_signal);
  ADD ("/card-monitor/vcard/connect-is-exclusive", test_connect_is_exclusive);
  ADD ("/card-monitor/vcard/removed-between-apdus", test_removed_between_apdus);
  ADD ("/card-monitor/vcard/leaves-during-operation", test_leaves_during_operation);
  ADD ("/card-monitor/vcard/toggle-while-another-thread-sends",
       test_toggle_while_another_thread_sends);
#undef ADD
  g_test_add_func ("/card-monitor/vcard/profile-that-does-not-load-is-named",
                   test_profile_that_does_not_load);
  return g_test_run ();
}
