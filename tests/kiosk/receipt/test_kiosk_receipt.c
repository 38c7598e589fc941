/* test_kiosk_receipt.c - the receipt page and the printed receipt.
 *
 * The page is shown in a real window on the test's Xvfb and driven through
 * its buttons; what it shows is read from the labels that are on screen,
 * the QR code from the page's own rendering (zbarimg). The printed receipt
 * is exported to PDF by the same GtkPrintOperation the Print button runs
 * and read back with pdftotext and pdftoppm + zbarimg. */

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <gtk/gtkunixprint.h>

#include "kiosk-receipt-page.h"
#include "kiosk-receipt.h"
#include "kioskreceipt-resources.h"
#include "receipt-test-util.h"

#define ARRIVE_ID "2026112300012345"
#define TITLE "住民票の写しの交付請求"

static char *tmp_dir;

/* ---- helpers ---- */

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterate the main context until cond (checked after each iteration) or
 * timeout_ms; the timeout source keeps the loop from blocking forever. */
#define WAIT_UNTIL(cond, timeout_ms)                                             \
  G_STMT_START {                                                                 \
    gint64 end_ = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000;        \
    guint tick_ = g_timeout_add (10, tick, NULL);                                \
    while (!(cond) && g_get_monotonic_time () < end_)                            \
      g_main_context_iteration (NULL, TRUE);                                     \
    g_source_remove (tick_);                                                     \
  } G_STMT_END

static void
collect_widgets (GtkWidget *w, GType type, GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_widgets (c, type, out);
}

/* The button labelled label that a person can see and press. */
static GtkWidget *
find_button (GtkWidget *root, const char *label)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  collect_widgets (root, GTK_TYPE_BUTTON, all);
  GtkWidget *found = NULL;
  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *b = all->pdata[i];
      if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (b)), label) == 0)
        {
          g_assert_null (found); /* names are unique on a screen */
          found = b;
        }
    }
  return found;
}

static gboolean
button_usable (GtkWidget *b)
{
  return b != NULL && gtk_widget_get_mapped (b) && gtk_widget_is_sensitive (b);
}

/* Every label text on screen (mapped), one per line. */
static char *
screen_text (GtkWidget *root)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  collect_widgets (root, GTK_TYPE_LABEL, labels);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *l = labels->pdata[i];
      const char *text = gtk_label_get_text (GTK_LABEL (l));
      if (gtk_widget_get_mapped (l) && text[0] != '\0')
        g_string_append_printf (s, "%s\n", text);
    }
  return g_string_free (s, FALSE);
}

static gboolean
screen_shows (GtkWidget *root, const char *text)
{
  g_autofree char *all = screen_text (root);
  g_autofree char *line = g_strdup_printf ("%s\n", text);
  return strstr (all, line) != NULL;
}

static gboolean
screen_contains (GtkWidget *root, const char *fragment)
{
  g_autofree char *all = screen_text (root);
  return strstr (all, fragment) != NULL;
}

typedef struct {
  GtkWidget *window;
  KioskReceiptPage *page;
  guint done;
  guint home;
} Fixture;

static void
count (guint *counter)
{
  (*counter)++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  f->page = KIOSK_RECEIPT_PAGE (kiosk_receipt_page_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->page));
  g_signal_connect_swapped (f->page, "done", G_CALLBACK (count), &f->done);
  g_signal_connect_swapped (f->page, "home", G_CALLBACK (count), &f->home);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->page)), 5000);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->page)));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* The page goes with its window: nothing (a printer search, a print)
   * keeps it alive. */
  g_object_add_weak_pointer (G_OBJECT (f->page), (gpointer *) &f->page);
  gtk_window_destroy (GTK_WINDOW (f->window));
  WAIT_UNTIL (f->page == NULL, 2000);
  g_assert_null (f->page);
}

static mp_outbox_entry
delivered_entry (const char *inquiry)
{
  mp_outbox_entry e = { 0 };
  e.id = 7;
  e.state = MP_OUTBOX_DELIVERED;
  e.proc_id = (char *) "1234567890123";
  e.arrive_id = (char *) ARRIVE_ID;
  e.arrive_date = (char *) "2026-11-23 10:15:00";
  e.inquiry_no = (char *) inquiry;
  e.created_at = 1795400000;
  e.delivered_at = 1795400100;
  return e;
}

static mp_outbox_entry
pending_entry (void)
{
  mp_outbox_entry e = { 0 };
  e.id = 42;
  e.state = MP_OUTBOX_PENDING;
  e.proc_id = (char *) "1234567890123";
  e.created_at = 1795400000;
  return e;
}

static void
show_and_draw (Fixture *f, const mp_outbox_entry *e)
{
  kiosk_receipt_page_show (f->page, e, TITLE);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->page));
}

/* What zbarimg reads from the page as drawn on screen. */
static char *
read_qr_on_screen (Fixture *f)
{
  GtkWidget *w = GTK_WIDGET (f->page);
  int width = gtk_widget_get_width (w), height = gtk_widget_get_height (w);
  g_assert_cmpint (width, >, 0);
  g_autoptr(GdkPaintable) shot = gtk_widget_paintable_new (w);
  cairo_surface_t *surface = render_paintable (shot, width, height);
  g_autofree char *path = g_build_filename (tmp_dir, "screen.png", NULL);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  return zbar_read (path);
}

/* ---- the page ---- */

static void
test_delivered_shows_arrival_number_and_readable_qr (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = delivered_entry ("1234567890");
  show_and_draw (f, &e);

  GtkWidget *root = GTK_WIDGET (f->page);
  g_assert_true (screen_shows (root, "Your application has been received"));
  g_assert_true (screen_shows (root, TITLE));
  g_assert_true (screen_shows (root, "Arrival number"));
  g_assert_true (screen_shows (root, ARRIVE_ID));
  g_assert_true (screen_shows (root, "2026-11-23 10:15:00"));
  g_assert_true (screen_shows (root, "Inquiry number"));
  g_assert_true (screen_shows (root, "1234567890"));
  g_assert_false (screen_contains (root, "Entry number"));

  g_autofree char *read = read_qr_on_screen (f);
  g_assert_cmpstr (read, ==, ARRIVE_ID);

  g_assert_true (button_usable (find_button (root, "Finish")));
  g_assert_true (button_usable (find_button (root, "Back to the menu")));
}

static void
test_inquiry_number_hidden_when_portal_gave_none (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = delivered_entry (NULL);
  show_and_draw (f, &e);

  g_assert_true (screen_shows (GTK_WIDGET (f->page), ARRIVE_ID));
  g_assert_false (screen_shows (GTK_WIDGET (f->page), "Inquiry number"));
}

static void
test_pending_shows_entry_number_and_no_qr (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = pending_entry ();
  show_and_draw (f, &e);

  GtkWidget *root = GTK_WIDGET (f->page);
  g_assert_true (screen_shows (root, "Your application is signed and kept on this terminal"));
  g_assert_true (screen_shows (root, TITLE));
  g_assert_true (screen_shows (root, "Entry number on this terminal"));
  g_assert_true (screen_shows (root, "42"));
  g_assert_false (screen_contains (root, "Arrival number"));
  g_autofree char *read = read_qr_on_screen (f);
  g_assert_null (read);
}

static void
test_rejected_sends_resident_to_staff (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = pending_entry ();
  e.state = MP_OUTBOX_REJECTED;
  e.rejection = (char *) "{\"status\":400}";
  show_and_draw (f, &e);

  GtkWidget *root = GTK_WIDGET (f->page);
  g_assert_true (screen_shows (root, "The application was not accepted"));
  g_assert_true (screen_contains (root, "Please ask a member of staff."));
  g_assert_true (screen_shows (root, "Entry number on this terminal: 42"));
  g_assert_false (screen_contains (root, "400"));
}

static void
test_buttons_emit_done_and_home (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = delivered_entry ("1234567890");
  show_and_draw (f, &e);

  g_signal_emit_by_name (find_button (GTK_WIDGET (f->page), "Finish"), "clicked");
  g_assert_cmpuint (f->done, ==, 1);
  g_assert_cmpuint (f->home, ==, 0);
  g_signal_emit_by_name (find_button (GTK_WIDGET (f->page), "Back to the menu"), "clicked");
  g_assert_cmpuint (f->done, ==, 1);
  g_assert_cmpuint (f->home, ==, 1);
}

static void
test_clear_forgets_the_receipt (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = delivered_entry ("1234567890");
  show_and_draw (f, &e);
  g_assert_true (screen_shows (GTK_WIDGET (f->page), ARRIVE_ID));

  kiosk_receipt_page_clear (f->page);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (f->page));

  /* No label anywhere in the page (mapped or not) keeps a number. */
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  collect_widgets (GTK_WIDGET (f->page), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (labels->pdata[i]);
      g_assert_null (strstr (text, ARRIVE_ID));
      g_assert_null (strstr (text, "1234567890"));
      g_assert_null (strstr (text, TITLE));
      g_assert_null (strstr (text, "2026-11-23"));
    }
  g_autoptr(GPtrArray) pictures = g_ptr_array_new ();
  collect_widgets (GTK_WIDGET (f->page), GTK_TYPE_PICTURE, pictures);
  g_assert_cmpuint (pictures->len, ==, 1);
  g_assert_null (gtk_picture_get_paintable (pictures->pdata[0]));
  g_assert_false (button_usable (find_button (GTK_WIDGET (f->page), "Print the receipt")));

  /* And a new receipt after it shows only the new one. */
  mp_outbox_entry p = pending_entry ();
  show_and_draw (f, &p);
  g_assert_false (screen_contains (GTK_WIDGET (f->page), ARRIVE_ID));
  g_assert_true (screen_shows (GTK_WIDGET (f->page), "42"));
}

/* ---- printer detection ---- */

typedef struct {
  gboolean done;
  guint real;
  guint virtual_;
} Enumeration;

static gboolean
note_printer (GtkPrinter *printer, gpointer data)
{
  Enumeration *en = data;
  if (gtk_printer_is_virtual (printer))
    en->virtual_++;
  else
    en->real++;
  return FALSE;
}

static void
enumeration_done (gpointer data)
{
  ((Enumeration *) data)->done = TRUE;
}

static void
test_print_button_hidden_without_printer (Fixture *f, gconstpointer data)
{
  mp_outbox_entry e = delivered_entry ("1234567890");
  show_and_draw (f, &e);

  /* Ask GTK the same question the page asks, and wait for its answer. */
  Enumeration en = { 0 };
  gint64 start = g_get_monotonic_time ();
  gtk_enumerate_printers (note_printer, &en, enumeration_done, FALSE);
  WAIT_UNTIL (en.done, 30000);
  g_assert_true (en.done);
  g_test_message ("printer search: %u real, %u virtual, %.2f s", en.real, en.virtual_,
                  (g_get_monotonic_time () - start) / 1e6);
  if (en.real > 0)
    {
      g_test_skip ("this machine has a printer");
      return;
    }
  /* GTK's "Print to File" is there (the file back end lists it at once,
   * so the page saw it when it started its own search) but is no printer
   * for a resident. */
  GtkWidget *print = find_button (GTK_WIDGET (f->page), "Print the receipt");
  g_assert_nonnull (print);
  g_assert_false (gtk_widget_get_visible (print));
}

/* ---- the printed receipt ---- */

static char *
export_pdf (const KioskReceipt *r, const char *name)
{
  g_autofree char *pdf = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GtkPrintOperation) op = kiosk_receipt_print_operation_new (r);
  g_autoptr(GError) error = NULL;
  gtk_print_operation_set_export_filename (op, pdf);
  GtkPrintOperationResult res =
    gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (res, ==, GTK_PRINT_OPERATION_RESULT_APPLY);
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
  return g_steal_pointer (&pdf);
}

static char *
pdf_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-enc", "UTF-8", pdf, "-", NULL };
  char *text = run_tool (argv);
  g_assert_nonnull (text);
  return text;
}

static void
test_printed_receipt_has_arrival_number_and_qr (void)
{
  mp_outbox_entry e = delivered_entry ("1234567890");
  g_autoptr(KioskReceipt) r = kiosk_receipt_new (&e, TITLE);
  g_autofree char *pdf = export_pdf (r, "delivered.pdf");

  g_autofree char *text = pdf_text (pdf);
  g_assert_nonnull (strstr (text, "Your application has been received"));
  g_assert_nonnull (strstr (text, TITLE));
  g_assert_nonnull (strstr (text, "Arrival number"));
  g_assert_nonnull (strstr (text, ARRIVE_ID));
  g_assert_nonnull (strstr (text, "2026-11-23 10:15:00"));
  g_assert_nonnull (strstr (text, "1234567890"));

  /* The page as a printer would put it on paper, and the code on it. */
  g_autofree char *prefix = g_build_filename (tmp_dir, "delivered-page", NULL);
  const char *argv[] = { "pdftoppm", "-r", "150", "-png", "-singlefile", pdf, prefix, NULL };
  g_autofree char *out = run_tool (argv);
  g_assert_nonnull (out);
  g_autofree char *png = g_strdup_printf ("%s.png", prefix);
  g_autofree char *read = zbar_read (png);
  g_assert_cmpstr (read, ==, ARRIVE_ID);
}

static void
test_printed_pending_receipt_has_entry_number (void)
{
  mp_outbox_entry e = pending_entry ();
  g_autoptr(KioskReceipt) r = kiosk_receipt_new (&e, TITLE);
  g_autofree char *pdf = export_pdf (r, "pending.pdf");

  g_autofree char *text = pdf_text (pdf);
  g_assert_nonnull (strstr (text, "Your application is signed and kept on this terminal"));
  g_assert_nonnull (strstr (text, "Entry number on this terminal"));
  g_assert_nonnull (strstr (text, "42"));
  g_assert_null (strstr (text, "Arrival number"));
}

int
main (int argc, char **argv)
{
  /* No accessibility bus here (GTK 4 reads GTK_A11Y, not NO_AT_BRIDGE). */
  g_setenv ("GTK_A11Y", "none", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  kioskreceipt_register_resource ();
  tmp_dir = make_tmp_dir ();

#define ADD(path, fn) \
  g_test_add ("/kiosk/receipt/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("delivered-shows-arrival-number-and-readable-qr",
       test_delivered_shows_arrival_number_and_readable_qr);
  ADD ("inquiry-number-hidden-when-portal-gave-none",
       test_inquiry_number_hidden_when_portal_gave_none);
  ADD ("pending-shows-entry-number-and-no-qr", test_pending_shows_entry_number_and_no_qr);
  ADD ("rejected-sends-resident-to-staff", test_rejected_sends_resident_to_staff);
  ADD ("buttons-emit-done-and-home", test_buttons_emit_done_and_home);
  ADD ("clear-forgets-the-receipt", test_clear_forgets_the_receipt);
  ADD ("print-button-hidden-without-printer", test_print_button_hidden_without_printer);
#undef ADD
  g_test_add_func ("/kiosk/receipt/printed-receipt-has-arrival-number-and-qr",
                   test_printed_receipt_has_arrival_number_and_qr);
  g_test_add_func ("/kiosk/receipt/printed-pending-receipt-has-entry-number",
                   test_printed_pending_receipt_has_entry_number);

  int rc = g_test_run ();
  rm_tree (tmp_dir);
  g_free (tmp_dir);
  return rc;
}
