/* test_kiosk_admin.c - the staff view shows the state of the terminal and
 * nothing of any resident.
 *
 * A real outbox in a temporary folder (entries made with mp_outbox_enqueue,
 * then marked delivered, rejected or tried), the software card as the card
 * source (a copy of a test PKI profile), a real KioskSession. The portal
 * is not reachable and the configuration has no terminal certificate, so
 * "Send now" makes a real delivery attempt that the outbox records and
 * that fails in a known way. */

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>
#include <zip.h>

#include "kiosk-admin-page.h"
#include "kiosk-card-monitor.h"
#include "kiosk-session.h"
#include "kioskshell-resources.h"
#include "shell-test-util.h"

#define ARRIVE_ID "2026112300099999"
#define REPORT_CONTENT "山田太郎"
#define PROXY_PASSWORD "proxy-password-do-not-show"

typedef struct {
  char *dir;
  KioskConfig *cfg;
  KioskCardMonitor *monitor;
  mp_outbox *outbox;
  KioskSession *session;
  GtkWindow *window;
  KioskAdminPage *page;
  gint64 first_pending;
  guint closed;
  GPtrArray *forbidden;        /* strings that must never be on screen */
} Fixture;

/* ---- helpers ---- */

static void
collect_labels (GtkWidget *w, GPtrArray *out)
{
  if (GTK_IS_LABEL (w) && gtk_widget_get_mapped (w))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_labels (c, out);
}

static char *
screen_text (Fixture *f)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  collect_labels (GTK_WIDGET (f->page), labels);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < labels->len; i++)
    g_string_append_printf (s, "%s\n", gtk_label_get_text (labels->pdata[i]));
  return g_string_free (s, FALSE);
}

/* The label right of the one that reads caption in a grid. */
static const char *
value_of (Fixture *f, const char *caption)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  collect_labels (GTK_WIDGET (f->page), labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *l = labels->pdata[i];
      GtkWidget *parent = gtk_widget_get_parent (l);
      if (strcmp (gtk_label_get_text (GTK_LABEL (l)), caption) != 0 || !GTK_IS_GRID (parent))
        continue;
      int col, row, w, h;
      gtk_grid_query_child (GTK_GRID (parent), l, &col, &row, &w, &h);
      GtkWidget *v = gtk_grid_get_child_at (GTK_GRID (parent), col + 1, row);
      if (GTK_IS_LABEL (v) && gtk_widget_get_mapped (v))
        return gtk_label_get_text (GTK_LABEL (v));
      return NULL;
    }
  return NULL;
}

static gboolean
shows (Fixture *f, const char *fragment)
{
  g_autofree char *text = screen_text (f);
  return strstr (text, fragment) != NULL;
}

static GtkWidget *
find_button (Fixture *f, const char *label)
{
  GtkWidget *stack[64];
  int top = 0;
  stack[top++] = GTK_WIDGET (f->page);
  while (top > 0)
    {
      GtkWidget *w = stack[--top];
      if (GTK_IS_BUTTON (w) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (w)), label) == 0)
        return w;
      for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
        {
          g_assert_cmpint (top, <, (int) G_N_ELEMENTS (stack));
          stack[top++] = c;
        }
    }
  return NULL;
}

static void
assert_nothing_forbidden (Fixture *f)
{
  g_autofree char *text = screen_text (f);
  for (guint i = 0; i < f->forbidden->len; i++)
    if (strstr (text, f->forbidden->pdata[i]) != NULL)
      g_error ("the staff view shows \"%s\":\n%s", (char *) f->forbidden->pdata[i], text);
}

static char *
copy_profile (const char *profile, const char *dir)
{
  const char *pki = g_getenv ("MYNA_TEST_PKI");
  g_assert_nonnull (pki);
  g_autofree char *src = g_build_filename (pki, "profiles", profile, NULL);
  g_autofree char *dst = g_build_filename (dir, "card", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dst, 0700), ==, 0);
  g_autoptr(GDir) d = g_dir_open (src, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (strcmp (name, "state.ini") == 0)
        continue;
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dst, name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (from, &data, &len, NULL));
      g_assert_true (g_file_set_contents (to, data, (gssize) len, NULL));
    }
  return g_build_filename (dst, "profile.ini", NULL);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

/* An outbox entry holding a small file (the outbox does not look inside). */
static gint64
enqueue (Fixture *f, const char *proc_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *staged = mp_outbox_staging_path (f->outbox, &error);
  g_assert_no_error (error);
  /* A small ZIP (the outbox checks for one, and looks no further). */
  int zerr = 0;
  zip_t *zip = zip_open (staged, ZIP_CREATE | ZIP_EXCL, &zerr);
  g_assert_nonnull (zip);
  static const char body[] = "a package as the outbox sees it";
  zip_source_t *src = zip_source_buffer (zip, body, sizeof body - 1, 0);
  g_assert_nonnull (src);
  g_assert_cmpint (zip_file_add (zip, "note.txt", src, 0), >=, 0);
  g_assert_cmpint (zip_close (zip), ==, 0);
  gint64 id = mp_outbox_enqueue (f->outbox, MP_OUTBOX_APPLY, proc_id, NULL, staged, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  g_autoptr(mp_outbox_entry) e = mp_outbox_get (f->outbox, id, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->forbidden, g_strdup (e->idempotency_key));
  g_ptr_array_add (f->forbidden, g_strdup (e->package_sha256));
  g_ptr_array_add (f->forbidden, g_strdup (e->file_name));
  return id;
}

/* ---- fixture ---- */

static void
on_close (KioskAdminPage *page, Fixture *f)
{
  f->closed++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->forbidden = g_ptr_array_new_with_free_func (g_free);
  f->dir = g_dir_make_tmp ("kiosk-admin-XXXXXX", &error);
  g_assert_no_error (error);

  f->cfg = kiosk_config_new ();
  mp_config *p = f->cfg->portal;
  /* Port 9 (discard) on loopback: nothing listens, nothing is sent. */
  p->base_url = g_strdup ("https://127.0.0.1:9");
  /* Only read when a connection gets as far as TLS, which none does. */
  p->ca_file = g_build_filename (f->dir, "portal-ca.pem", NULL);
  g_assert_true (g_file_set_contents (p->ca_file, "", 0, NULL));
  p->terminal_id = g_strdup ("kiosk-test-07");
  p->proxy = g_strdup ("http://staff:" PROXY_PASSWORD "@127.0.0.1:3128");
  p->retry_total_ms = 500;
  p->connect_timeout_ms = 500;
  g_free (p->outbox_dir); /* the default, under XDG_STATE_HOME */
  p->outbox_dir = g_build_filename (f->dir, "outbox", NULL);
  f->cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
  f->cfg->vcard_profile = copy_profile ("adult", f->dir);
  myna_secret *pin = myna_secret_from_bytes ("135790", 6);
  f->cfg->staff_pin_hash = kiosk_config_hash_staff_pin (pin);
  myna_secret_free (pin);
  g_ptr_array_add (f->forbidden, g_strdup (f->cfg->staff_pin_hash));
  g_ptr_array_add (f->forbidden, g_strdup ("pbkdf2"));
  g_ptr_array_add (f->forbidden, g_strdup (PROXY_PASSWORD));
  g_ptr_array_add (f->forbidden, g_strdup (ARRIVE_ID));
  g_ptr_array_add (f->forbidden, g_strdup (REPORT_CONTENT));

  f->monitor = kiosk_card_monitor_new (f->cfg, &error);
  g_assert_no_error (error);
  f->outbox = mp_outbox_open (p->outbox_dir, &error);
  g_assert_no_error (error);

  /* Two waiting (the older one tried once), one refused, one delivered. */
  f->first_pending = enqueue (f, "1300000000001");
  g_assert_true (mp_outbox_note_attempt (f->outbox, f->first_pending,
                                         "portal unreachable: connection refused", &error));
  enqueue (f, "1300000000002");
  gint64 refused = enqueue (f, "1300000000003");
  g_assert_true (mp_outbox_mark_rejected (f->outbox, refused,
                                          "{\"status\":400,\"report_list\":[{\"item\":\"氏名\","
                                          "\"content\":\"" REPORT_CONTENT "\"}]}",
                                          &error));
  gint64 done = enqueue (f, "1300000000004");
  g_assert_true (mp_outbox_mark_delivered (f->outbox, done, ARRIVE_ID, "2026-11-23 10:15:00",
                                           "5550001111", &error));
  g_assert_no_error (error);
  g_ptr_array_add (f->forbidden, g_strdup ("5550001111"));
  g_ptr_array_add (f->forbidden, g_strdup ("1300000000003"));

  f->session = kiosk_session_new (f->cfg, f->monitor, f->outbox, &error);
  g_assert_no_error (error);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1280, 800);
  f->page = KIOSK_ADMIN_PAGE (kiosk_admin_page_new ());
  g_signal_connect (f->page, "close", G_CALLBACK (on_close), f);
  gtk_window_set_child (f->window, GTK_WIDGET (f->page));
  kiosk_admin_page_set_context (f->page, f->cfg, f->session, f->monitor);
  show_window (f->window);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  GtkWidget *page = GTK_WIDGET (f->page);
  g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &f->page);
  gtk_window_destroy (f->window);
  WAIT_UNTIL (f->page == NULL, 2000);
  g_assert_null (f->page);
  /* The session lets go of its worker on the main loop. */
  kiosk_session_end (f->session);
  g_object_add_weak_pointer (G_OBJECT (f->session), (gpointer *) &f->session);
  g_object_unref (f->session);
  WAIT_UNTIL (f->session == NULL, 5000);
  g_assert_null (f->session);
  g_object_unref (f->monitor);
  mp_outbox_close (f->outbox);
  kiosk_config_free (f->cfg);
  remove_tree (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->forbidden);
}

/* ---- tests ---- */

static void
test_outbox_counts_without_contents (Fixture *f, gconstpointer data)
{
  g_assert_cmpstr (value_of (f, "Waiting to be sent"), ==, "2");
  g_assert_cmpstr (value_of (f, "Refused by the portal"), ==, "1");
  g_assert_cmpstr (value_of (f, "Delivered today"), ==, "1");
  g_assert_nonnull (value_of (f, "Oldest waiting since"));
  g_assert_cmpint (strlen (value_of (f, "Oldest waiting since")), ==, strlen ("2026-11-23 10:15"));
  g_assert_cmpstr (value_of (f, "Last problem"), ==, "portal unreachable: connection refused");
  assert_nothing_forbidden (f);
}

static void
test_readers_follow_the_card (Fixture *f, gconstpointer data)
{
  g_assert_true (shows (f, "vcard"));
  g_assert_cmpstr (value_of (f, "Card service"), ==, "Answering");
  g_assert_true (shows (f, "No card"));

  /* The card goes in: the page hears the monitor and reads again. */
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  WAIT_UNTIL (shows (f, "Card present"), 3000);
  g_assert_true (shows (f, "Card present"));
  g_autoptr(GPtrArray) readers = kiosk_card_monitor_list_readers (f->monitor, NULL);
  g_assert_nonnull (readers);
  const KioskReaderInfo *r = readers->pdata[0];
  g_assert_nonnull (r->atr_hex);
  g_assert_true (shows (f, r->name));
  g_assert_true (shows (f, r->atr_hex));
  g_assert_true (shows (f, r->contactless ? "Contactless" : "Contact"));

  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  WAIT_UNTIL (shows (f, "No card"), 3000);
  g_assert_false (shows (f, r->atr_hex));
}

static void
test_configuration_without_secrets (Fixture *f, gconstpointer data)
{
  g_assert_cmpstr (value_of (f, "Portal"), ==, "https://127.0.0.1:9");
  g_assert_cmpstr (value_of (f, "Terminal ID"), ==, "kiosk-test-07");
  g_assert_cmpstr (value_of (f, "CA file"), ==, f->cfg->portal->ca_file);
  g_assert_cmpstr (value_of (f, "Terminal certificate"), ==, "not set");
  g_assert_cmpstr (value_of (f, "Outbox folder"), ==, mp_outbox_dir (f->outbox));
  g_assert_cmpstr (value_of (f, "Card profile"), ==, f->cfg->vcard_profile);
  g_assert_cmpstr (value_of (f, "Idle time-out"), ==, "120 s, with a countdown of the last 20 s");
  g_assert_cmpstr (value_of (f, "Languages"), ==, "ja, en, zh_CN, ko, es, pt_BR");
  g_assert_cmpstr (value_of (f, "Default language"), ==, "ja");
  g_assert_cmpstr (value_of (f, "Staff PIN"), ==, "set");
  g_autofree char *version = g_strdup_printf ("mynaterm-kiosk %s ", MYNA_VERSION);
  g_assert_true (shows (f, version));
  assert_nothing_forbidden (f);
}

static void
test_send_now_tries_and_reports (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *send = find_button (f, "Send now");
  g_assert_nonnull (send);
  g_assert_true (gtk_widget_is_sensitive (send));

  g_signal_emit_by_name (send, "clicked");
  g_assert_false (gtk_widget_is_sensitive (send));
  WAIT_UNTIL (shows (f, "Sending failed: "), 10000);
  g_assert_true (shows (f, "Sending failed: "));
  g_assert_true (gtk_widget_is_sensitive (send));

  /* The attempt is real: the outbox noted it, and the page shows the
   * outbox's note, not its own guess. */
  g_autoptr(mp_outbox_entry) e = mp_outbox_get (f->outbox, f->first_pending, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (e->attempts, ==, 2);
  g_assert_cmpstr (value_of (f, "Last problem"), ==, e->last_error);
  g_assert_cmpstr (value_of (f, "Waiting to be sent"), ==, "2");
  assert_nothing_forbidden (f);
}

static void
test_close_emits_close (Fixture *f, gconstpointer data)
{
  g_signal_emit_by_name (find_button (f, "Close"), "clicked");
  g_assert_cmpuint (f->closed, ==, 1);
}

static void
test_refresh_reads_the_outbox_again (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (mp_outbox_discard (f->outbox, f->first_pending, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value_of (f, "Waiting to be sent"), ==, "2");
  kiosk_admin_page_refresh (f->page);
  g_assert_cmpstr (value_of (f, "Waiting to be sent"), ==, "1");
  /* The note belonged to the discarded entry; the other was never tried. */
  g_assert_null (value_of (f, "Last problem"));
}

int
main (int argc, char **argv)
{
  g_setenv ("GTK_A11Y", "none", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  kioskshell_register_resource ();

#define ADD(path, fn) \
  g_test_add ("/kiosk/admin/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("outbox-counts-without-contents", test_outbox_counts_without_contents);
  ADD ("readers-follow-the-card", test_readers_follow_the_card);
  ADD ("configuration-without-secrets", test_configuration_without_secrets);
  ADD ("send-now-tries-and-reports", test_send_now_tries_and_reports);
  ADD ("close-emits-close", test_close_emits_close);
  ADD ("refresh-reads-the-outbox-again", test_refresh_reads_the_outbox_again);
#undef ADD

  return g_test_run ();
}
