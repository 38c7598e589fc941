/* test_home.c - the resident's home page against portal-sim (portalenv.py
 * --dev) on a private Xvfb, with the test PKI's "adult" (R102016-0001)
 * logged in through the software card in-process (PIN verified, JPKI
 * login). The municipality side (/receive/ws, maebashi-kosodate) asks for a
 * correction of an application made through /_dev/applications, as
 * 申請管理 does. The tests run in order: the first two see no application
 * yet. Expected numbers come from the portal itself. */

#include <glib/gi18n.h>
#include <string.h>

#include "browse-test-util.h"
#include "kiosk-errors.h"
#include "kiosk-home-page.h"

#define RESIDENT "R102016-0001"
#define CORRECTION_COMMENT "児童の生年月日の記入に誤りがあります。確認して申請し直してください。"

static mp_client *client;
static char *correction_arrive_id;

typedef struct
{
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->page = kiosk_home_page_new ();
  kiosk_home_page_set_client (KIOSK_HOME_PAGE (f->page), client);
  f->window = browse_test_window (f->page);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->window)
    {
      /* Nothing (no call in flight, no handler) keeps the page alive. */
      GtkWidget *page = f->page;
      g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &page);
      gtk_window_destroy (GTK_WINDOW (f->window));
      g_assert_null (page);
    }
  browse_test_faults (NULL);
}

/* ---- the portal's own view ---- */

static mp_result *
portal (mp_call *call)
{
  g_autoptr(GError) error = NULL;
  mp_result *r = mp_client_call (client, call, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static guint
all_count (mp_call *call)
{
  g_autoptr(mp_result) r = portal (call);
  return (guint) json_object_get_int_member (json_node_get_object (r->resultset), "all_count");
}

static char *
notices_text (guint n)
{
  return g_strdup_printf (ngettext ("%u notice", "%u notices", n), n);
}

/* An application of the resident (as the apply endpoint stores one). */
static char *
make_application (const char *proc_id, const char *arrive_id, const char *arrive_date)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resident_id");
  json_builder_add_string_value (b, RESIDENT);
  json_builder_set_member_name (b, "proc_id");
  json_builder_add_string_value (b, proc_id);
  if (arrive_id)
    {
      json_builder_set_member_name (b, "arrive_id");
      json_builder_add_string_value (b, arrive_id);
    }
  if (arrive_date)
    {
      json_builder_set_member_name (b, "arrive_date");
      json_builder_add_string_value (b, arrive_date);
    }
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *body = json_to_string (root, FALSE);
  guint status = 0;
  g_autoptr(JsonNode) r = browse_test_portal ("POST", "/_dev/applications", body, NULL, TRUE,
                                              &status);
  g_assert_cmpuint (status, ==, 201);
  JsonObject *results = json_object_get_object_member (json_node_get_object (r), "results");
  return g_strdup (json_object_get_string_member (results, "arrive_id"));
}

/* One application of 児童手当の認定請求 the municipality asked to correct
 * (made once, for the tests that need it). */
static void
ensure_correction_request (void)
{
  if (correction_arrive_id)
    return;
  correction_arrive_id = make_application ("102016-jidouteate-nintei", NULL, NULL);
  g_autofree char *token = browse_test_municipality_login ();
  g_autofree char *body = g_strdup_printf ("{\"receipt_no\": \"%s\", \"status\": \"補正依頼\","
                                           " \"comment\": \"%s\"}",
                                           correction_arrive_id, CORRECTION_COMMENT);
  guint status = 0;
  g_autoptr(JsonNode) r = browse_test_portal ("POST", "/receive/ws/statusUpdate", body, token,
                                              TRUE, &status);
  g_assert_cmpuint (status, ==, 200);
  /* The municipality side says a notice went to the resident. */
  JsonObject *notice = json_object_get_object_member (json_node_get_object (r), "notice");
  g_assert_cmpstr (json_object_get_string_member (notice, "arrive_id"), ==, correction_arrive_id);
}

static void
on_search (KioskHomePage *page, guint *count)
{
  (*count)++;
}

/* ---- tests ---- */

static void
test_tiles_counts_and_search (Fixture *f, gconstpointer data)
{
  guint notices = all_count (mp_call_notices (1, 0));
  g_assert_cmpuint (notices, >, 0);
  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  g_autofree char *n_text = notices_text (notices);
  BROWSE_WAIT (browse_test_shows (f->page, n_text));
  BROWSE_WAIT (browse_test_shows (f->page, "0 applications"));
  g_assert_false (browse_test_shows_part (f->page, "correction request"));

  static const char *const tiles[] = { "Notices", "Your applications", "Your information",
                                       "Exchange records", "Search and apply" };
  for (gsize i = 0; i < G_N_ELEMENTS (tiles); i++)
    {
      GtkWidget *tile = browse_test_find (f->page, GTK_TYPE_BUTTON, tiles[i]);
      g_assert_nonnull (tile);
      g_assert_cmpint (browse_test_min_height (tile), >=, 64);
      g_assert_false (gtk_widget_has_css_class (tile, "kiosk-highlight"));
    }
  GtkWidget *notices_tile = browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices");
  g_autofree char *desc = browse_test_accessible_string (notices_tile,
                                                         GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_assert_cmpstr (desc, ==, n_text);
  g_assert_null (browse_test_find (f->page, GTK_TYPE_BUTTON, "Back"));
  browse_test_assert_fits (f->page);

  guint searches = 0;
  browse_test_screenshot (f->page, "home-tiles");
  g_signal_connect (f->page, "search-requested", G_CALLBACK (on_search), &searches);
  browse_test_press (f->page, "Search and apply");
  g_assert_cmpuint (searches, ==, 1);
  g_signal_handlers_disconnect_by_func (f->page, on_search, &searches);
}

static void
test_no_applications_yet (Fixture *f, gconstpointer data)
{
  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  browse_test_press (f->page, "Your applications");
  BROWSE_WAIT (browse_test_shows (f->page, "You have sent no applications."));
  g_assert_true (browse_test_shows (f->page, "Your applications"));
  browse_test_press (f->page, "Back");
  BROWSE_WAIT (browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices") != NULL);
}

static void
test_correction_request_stands_out (Fixture *f, gconstpointer data)
{
  ensure_correction_request ();
  guint notices = all_count (mp_call_notices (1, 0));

  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  BROWSE_WAIT (browse_test_shows (f->page, "1 correction request waits for you"));
  GtkWidget *tile = browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices");
  g_assert_true (gtk_widget_has_css_class (tile, "kiosk-highlight"));
  g_autofree char *n_text = notices_text (notices);
  BROWSE_WAIT (browse_test_shows (f->page, n_text));
  g_autofree char *tile_desc = browse_test_accessible_string (tile, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_autofree char *want_desc = g_strdup_printf ("%s. 1 correction request waits for you", n_text);
  g_assert_cmpstr (tile_desc, ==, want_desc);
  browse_test_screenshot (f->page, "home-tiles-correction");

  browse_test_press (f->page, "Notices");
  BROWSE_WAIT (browse_test_rows (f->page) == MIN (notices, 20));
  g_assert_true (browse_test_shows (f->page, n_text));

  /* The correction request, and only it, stands out. */
  g_autofree char *prefix = g_strdup_printf ("申請内容の補正のお願い, ");
  GtkWidget *row = browse_test_find_prefix (f->page, GTK_TYPE_LIST_BOX_ROW, prefix);
  g_assert_nonnull (row);
  g_autofree char *name = browse_test_name (row);
  g_assert_true (g_str_has_suffix (name, correction_arrive_id) ||
                 strstr (name, correction_arrive_id) != NULL);
  g_assert_true (gtk_widget_has_css_class (row, "kiosk-highlight"));
  g_autofree char *desc = browse_test_accessible_string (row, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_assert_true (g_str_has_prefix (desc, "Correction request: the municipality asks you to "
                                         "correct an application."));
  g_autoptr(GPtrArray) rows = browse_test_collect (f->page, GTK_TYPE_LIST_BOX_ROW, TRUE);
  guint highlighted = 0;
  for (guint i = 0; i < rows->len; i++)
    highlighted += gtk_widget_has_css_class (rows->pdata[i], "kiosk-highlight");
  g_assert_cmpuint (highlighted, ==, 1);
  browse_test_screenshot (f->page, "home-notices");

  /* The notice in full: its body (the municipality's comment). */
  g_autofree char *row_name = browse_test_name (row);
  browse_test_activate_row (f->page, row_name);
  BROWSE_WAIT (browse_test_shows (f->page, CORRECTION_COMMENT));
  g_assert_true (browse_test_shows (f->page, "Correction request"));
  g_assert_true (browse_test_shows (f->page, correction_arrive_id));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);
  browse_test_screenshot (f->page, "home-notice-correction");
  browse_test_assert_fits (f->page);

  /* Back: the list; back again: the tiles. */
  browse_test_press (f->page, "Back");
  g_assert_false (browse_test_shows (f->page, CORRECTION_COMMENT));
  g_assert_cmpuint (browse_test_rows (f->page), ==, MIN (notices, 20));
  browse_test_press (f->page, "Back");
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices"));
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
}

static void
test_applications_list_status_and_paging (Fixture *f, gconstpointer data)
{
  ensure_correction_request ();
  /* Twenty older applications of another procedure: the list takes two pages. */
  for (guint i = 1; i <= 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("10201620250000%02u", i);
      g_autofree char *date = g_strdup_printf ("2025-01-%02u 09:00:00", i);
      g_autofree char *made = make_application ("102016-ninshin", id, date);
      g_assert_cmpstr (made, ==, id);
    }
  guint total = all_count (mp_call_apply_lists (NULL, NULL, 1, 0));
  g_assert_cmpuint (total, ==, 21);

  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  BROWSE_WAIT (browse_test_shows (f->page, "21 applications"));
  g_assert_true (gtk_widget_has_css_class (browse_test_find (f->page, GTK_TYPE_BUTTON,
                                                             "Your applications"),
                                           "kiosk-highlight"));
  browse_test_press (f->page, "Your applications");
  BROWSE_WAIT (browse_test_rows (f->page) == 20);
  browse_test_screenshot (f->page, "home-applications");
  browse_test_assert_fits (f->page);
  browse_test_press (f->page, "More applications");
  BROWSE_WAIT (browse_test_rows (f->page) == 21);
  g_assert_null (browse_test_find (f->page, GTK_TYPE_BUTTON, "More applications"));

  /* The one waiting for a correction, newest, first, in words. */
  GtkWidget *row = browse_test_find_prefix (f->page, GTK_TYPE_LIST_BOX_ROW, "児童手当の認定請求, ");
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_has_css_class (row, "kiosk-highlight"));
  g_autofree char *desc = browse_test_accessible_string (row, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_assert_nonnull (strstr (desc, "Status: Waiting for your correction"));
  GtkWidget *older = browse_test_find_prefix (f->page, GTK_TYPE_LIST_BOX_ROW,
                                              "妊娠の届出, 2025-01-20 09:00, 1020162025000020");
  g_assert_nonnull (older);
  g_assert_false (gtk_widget_has_css_class (older, "kiosk-highlight"));
  g_autofree char *older_desc = browse_test_accessible_string (older, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_assert_nonnull (strstr (older_desc, "Status: Received"));

  /* One in full: numbers, status words, history. */
  g_autofree char *name = browse_test_name (row);
  browse_test_activate_row (f->page, name);
  BROWSE_WAIT (browse_test_shows (f->page, "History"));
  g_assert_true (browse_test_shows (f->page, correction_arrive_id));
  g_assert_true (browse_test_shows (f->page, "Waiting for your correction"));
  g_assert_true (browse_test_shows (f->page, "Needs correcting"));
  browse_test_screenshot (f->page, "home-application");
  browse_test_assert_fits (f->page);
  g_assert_true (browse_test_shows (f->page, "Received"));
  browse_test_press (f->page, "Back");
  g_assert_cmpuint (browse_test_rows (f->page), ==, 21);
  browse_test_press (f->page, "Back");
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
}

static void
test_selfinfo_categories_and_content (Fixture *f, gconstpointer data)
{
  g_autoptr(mp_result) cats = portal (mp_call_selfinfo_categories ());
  JsonArray *a = json_node_get_array (cats->results);
  guint n = json_array_get_length (a);
  g_assert_cmpuint (n, >, 1);

  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  browse_test_press (f->page, "Your information");
  BROWSE_WAIT (browse_test_rows (f->page) == n);
  for (guint i = 0; i < n; i++)
    g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_LIST_BOX_ROW,
                                        json_object_get_string_member (json_array_get_object_element (a, i),
                                                                       "title")));

  g_autoptr(mp_result) household = portal (mp_call_selfinfo ("household"));
  JsonObject *h = json_node_get_object (household->results);
  guint items = json_array_get_length (json_object_get_array_member (h, "items"));
  browse_test_activate_row (f->page, "世帯情報");
  BROWSE_WAIT (browse_test_find (f->page, GTK_TYPE_GRID, "Entry 1") != NULL);
  for (guint i = 1; i <= items; i++)
    {
      g_autofree char *entry = g_strdup_printf ("Entry %u", i);
      g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_GRID, entry));
    }
  g_autofree char *past = g_strdup_printf ("Entry %u", items + 1);
  g_assert_null (browse_test_find (f->page, GTK_TYPE_GRID, past));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (h, "source")));
  g_assert_true (browse_test_shows (f->page, "Relationship"));
  g_assert_true (browse_test_shows (f->page, "世帯主"));
  g_assert_true (browse_test_shows (f->page, "Date of birth"));
  browse_test_screenshot (f->page, "home-selfinfo-household");
  browse_test_assert_fits (f->page);

  /* Another kind, with amounts in yen. */
  browse_test_press (f->page, "Back");
  BROWSE_WAIT (browse_test_rows (f->page) == n);
  browse_test_activate_row (f->page, "地方税関係情報");
  BROWSE_WAIT (browse_test_shows (f->page, "Amount per year"));
  g_assert_true (browse_test_shows (f->page, "309,600 yen"));
  browse_test_press (f->page, "Back");
  browse_test_press (f->page, "Back");
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
}

static void
test_records (Fixture *f, gconstpointer data)
{
  g_autoptr(mp_result) recs = portal (mp_call_records (NULL, NULL, 20, 0));
  JsonArray *a = json_node_get_array (recs->results);
  guint n = json_array_get_length (a);
  guint total = (guint) json_object_get_int_member (json_node_get_object (recs->resultset), "all_count");
  g_assert_cmpuint (n, >, 0);

  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  browse_test_press (f->page, "Exchange records");
  BROWSE_WAIT (browse_test_rows (f->page) == n);
  /* Newest first, as the portal gives them: the first row is the first record. */
  JsonObject *first = json_array_get_object_element (a, 0);
  g_autofree char *date = g_strndup (json_object_get_string_member (first, "date"), 16);
  g_autoptr(GPtrArray) rows = browse_test_collect (f->page, GTK_TYPE_LIST_BOX_ROW, TRUE);
  g_autofree char *first_name = browse_test_name (rows->pdata[0]);
  g_assert_true (g_str_has_prefix (first_name, date));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (first, "requester")));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (first, "information")));
  g_assert_true (browse_test_shows (f->page, "Requested by"));
  g_assert_true (browse_test_shows (f->page, "Legal basis"));
  browse_test_screenshot (f->page, "home-records");
  browse_test_assert_fits (f->page);
  g_assert_true ((browse_test_find (f->page, GTK_TYPE_BUTTON, "More records") != NULL) == (total > n));
}

static void
test_clear_forgets_and_cancels (Fixture *f, gconstpointer data)
{
  guint notices = all_count (mp_call_notices (1, 0));
  guint applications = all_count (mp_call_apply_lists (NULL, NULL, 1, 0));
  g_autofree char *n_text = notices_text (notices);
  g_autofree char *a_text = g_strdup_printf (ngettext ("%u application", "%u applications",
                                                       applications), applications);
  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  BROWSE_WAIT (browse_test_shows (f->page, n_text) && browse_test_shows (f->page, a_text));
  browse_test_press (f->page, "Notices");
  BROWSE_WAIT (browse_test_rows (f->page) > 0);
  kiosk_home_page_clear (KIOSK_HOME_PAGE (f->page));
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices"));
  g_assert_false (browse_test_shows (f->page, n_text));
  g_assert_false (browse_test_shows (f->page, a_text));
  g_assert_false (browse_test_shows_part (f->page, "correction request"));

  /* Records in flight, then cleared: cancelled, never shown. */
  browse_test_faults ("{\"rules\": [{\"method\": \"GET\", \"path_prefix\": \"/records/v1\","
                      " \"stall_ms\": 4000}]}");
  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  guint before = browse_test_cancelled_calls ();
  browse_test_press (f->page, "Exchange records");
  BROWSE_WAIT (browse_test_spinning (f->page));
  kiosk_home_page_clear (KIOSK_HOME_PAGE (f->page));
  BROWSE_WAIT (browse_test_cancelled_calls () > before);
  g_assert_false (browse_test_spinning (f->page));
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_BUTTON, "Notices"));
}

static void
test_logged_out_shows_error (Fixture *f, gconstpointer data)
{
  g_autoptr(mp_client) anonymous = browse_test_client_new (NULL, 1000);
  g_autoptr(GError) e = g_error_new_literal (MP_ERROR, MP_ERROR_NOT_LOGGED_IN, "test");
  const char *title = kiosk_error_describe (e).title;

  kiosk_home_page_set_client (KIOSK_HOME_PAGE (f->page), anonymous);
  kiosk_home_page_load (KIOSK_HOME_PAGE (f->page));
  BROWSE_WAIT (browse_test_shows (f->page, title));
  browse_test_press (f->page, "Your information");
  BROWSE_WAIT (browse_test_find (f->page, GTK_TYPE_BUTTON, "Try again") != NULL);
  browse_test_assert_fits (f->page);
  g_assert_true (browse_test_shows (f->page, title));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);
  kiosk_home_page_set_client (KIOSK_HOME_PAGE (f->page), client);
}

int
main (int argc, char **argv)
{
  browse_test_init (&argc, &argv);
  client = browse_test_client_new (NULL, 5000);
  browse_test_login (client, "adult");

#define ADD(path, fn) g_test_add ("/home/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("tiles-counts-and-search", test_tiles_counts_and_search);
  ADD ("no-applications-yet", test_no_applications_yet);
  ADD ("correction-request-stands-out", test_correction_request_stands_out);
  ADD ("applications-list-status-and-paging", test_applications_list_status_and_paging);
  ADD ("selfinfo-categories-and-content", test_selfinfo_categories_and_content);
  ADD ("records", test_records);
  ADD ("clear-forgets-and-cancels", test_clear_forgets_and_cancels);
  ADD ("logged-out-shows-error", test_logged_out_shows_error);
#undef ADD

  int rc = g_test_run ();
  g_free (correction_arrive_id);
  mp_client_free (client);
  return rc;
}
