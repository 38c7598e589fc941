/* test_search.c - the ぴったりサービス search page against portal-sim
 * (portalenv.py --dev) on a private Xvfb: what a resident sees for a
 * municipality, a category, a keyword, an unknown keyword, paging, a
 * mistyped municipality code, a failing portal and its retry, and what
 * clear() leaves behind. Expected numbers come from the portal itself. */

#include <glib/gi18n.h>
#include <string.h>

#include "browse-test-util.h"
#include "kiosk-errors.h"
#include "kiosk-keyboard.h"
#include "kiosk-search-page.h"

static mp_client *client;

typedef struct
{
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->page = kiosk_search_page_new ();
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), client);
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

/* The number of procedures the portal has for these criteria. */
static guint
portal_count (const char *city, const char *category, const char *keyword)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_result) r = mp_client_call (client, mp_call_procedures (city, category, keyword, 1, 0),
                                           NULL, &error);
  g_assert_no_error (error);
  JsonObject *rs = json_node_get_object (r->resultset);
  return (guint) json_object_get_int_member (rs, "all_count");
}

static GtkEditable *
entry_for (GtkWidget *root, KioskKeyboardLayout layout)
{
  g_autoptr(GPtrArray) entries = browse_test_collect (root, GTK_TYPE_ENTRY, TRUE);
  for (guint i = 0; i < entries->len; i++)
    if (kiosk_keyboard_tag_get (entries->pdata[i]) == layout)
      return GTK_EDITABLE (entries->pdata[i]);
  g_error ("no entry on screen for keyboard layout %d", layout);
  return NULL;
}

static char *
found_text (guint n)
{
  return g_strdup_printf (ngettext ("%u procedure found", "%u procedures found", n), n);
}

static char *
error_title (mp_error code)
{
  g_autoptr(GError) e = g_error_new_literal (MP_ERROR, code, "test");
  return g_strdup (kiosk_error_describe (e).title);
}

/* Every row on screen: its name ends with suffix / its description holds part. */
static gboolean
rows_all (GtkWidget *root, const char *suffix, const char *part)
{
  g_autoptr(GPtrArray) rows = browse_test_collect (root, GTK_TYPE_LIST_BOX_ROW, TRUE);
  for (guint i = 0; i < rows->len; i++)
    {
      g_autofree char *name = browse_test_name (rows->pdata[i]);
      g_autofree char *desc = browse_test_accessible_string (rows->pdata[i],
                                                             GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      if (suffix && !g_str_has_suffix (name, suffix))
        return FALSE;
      if (part && (desc == NULL || strstr (desc, part) == NULL))
        return FALSE;
    }
  return rows->len > 0;
}

static void
test_default_city_shows_its_procedures (Fixture *f, gconstpointer data)
{
  guint n = portal_count ("102016", NULL, NULL);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <=, 20);

  /* A field focused before (the window gives the first one the focus)
   * loses it: no on-screen keyboard covers the results. */
  gtk_widget_grab_focus (GTK_WIDGET (entry_for (f->page, KIOSK_KEYBOARD_KANA)));
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_true (focus && gtk_widget_is_ancestor (focus, f->page));
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_false (focus && gtk_widget_is_ancestor (focus, f->page));
  BROWSE_WAIT (browse_test_rows (f->page) == n);
  g_assert_true (rows_all (f->page, ", 群馬県 前橋市", NULL));
  browse_test_screenshot (f->page, "search-maebashi");
  g_assert_true (browse_test_shows (f->page, "群馬県 前橋市"));
  g_autofree char *count = found_text (n);
  g_assert_true (browse_test_shows (f->page, count));
  g_assert_null (browse_test_find (f->page, GTK_TYPE_BUTTON, "More results"));
  g_assert_cmpstr (gtk_editable_get_text (entry_for (f->page, KIOSK_KEYBOARD_NUMBER)), ==, "102016");
  browse_test_assert_fits (f->page);

  /* The rows are large enough to tap. */
  g_autoptr(GPtrArray) rows = browse_test_collect (f->page, GTK_TYPE_LIST_BOX_ROW, TRUE);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpint (browse_test_min_height (rows->pdata[i]), >=, 64);
}

static void
test_default_city_from_configuration (Fixture *f, gconstpointer data)
{
  /* reset (NULL): the municipality of the kiosk's [kiosk] city-code. */
  g_autoptr(mp_client) miyakonojo = browse_test_client_new_in_city ("452025");
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), miyakonojo);
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), NULL);
  BROWSE_WAIT (browse_test_rows (f->page) == MIN (portal_count ("452025", NULL, NULL), 20));
  g_assert_true (rows_all (f->page, ", 宮崎県 都城市", NULL));
  g_assert_cmpstr (gtk_editable_get_text (entry_for (f->page, KIOSK_KEYBOARD_NUMBER)), ==, "452025");
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), client);
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
}

static void
test_category_narrows (Fixture *f, gconstpointer data)
{
  guint all = portal_count ("102016", NULL, NULL);
  guint care = portal_count ("102016", "介護", NULL);
  g_assert_cmpuint (care, >, 0);
  g_assert_cmpuint (care, <, all);

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_rows (f->page) == all);
  browse_test_press (f->page, "Nursing care");
  BROWSE_WAIT (browse_test_rows (f->page) == care);
  g_assert_true (rows_all (f->page, ", 群馬県 前橋市", "Nursing care"));
  browse_test_screenshot (f->page, "search-care");
  GtkWidget *toggle = browse_test_find (f->page, GTK_TYPE_TOGGLE_BUTTON, "Nursing care");
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));

  browse_test_press (f->page, "All categories");
  BROWSE_WAIT (browse_test_rows (f->page) == all);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle)));
}

static void
test_keyword_finds_kana_and_kanji (Fixture *f, gconstpointer data)
{
  guint all = portal_count ("102016", NULL, NULL);
  guint kana = portal_count ("102016", NULL, "じどうてあて");
  guint kanji = portal_count ("102016", NULL, "児童手当");
  g_assert_cmpuint (kana, >, 0);
  g_assert_cmpuint (kana, <, all);
  g_assert_cmpuint (kanji, <, all);

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_rows (f->page) == all);
  GtkEditable *keyword = entry_for (f->page, KIOSK_KEYBOARD_KANA);
  gtk_editable_set_text (keyword, "じどうてあて");
  /* Typing does not search at once (debounce): the results stay. */
  g_assert_false (browse_test_spinning (f->page));
  g_assert_cmpuint (browse_test_rows (f->page), ==, all);
  BROWSE_WAIT (browse_test_rows (f->page) == kana);
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_LIST_BOX_ROW,
                                      "児童手当の認定請求, 群馬県 前橋市"));

  gtk_editable_set_text (keyword, "");
  BROWSE_WAIT (browse_test_rows (f->page) == all);
  gtk_editable_set_text (keyword, "児童手当");
  BROWSE_WAIT (browse_test_rows (f->page) == kanji);
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_LIST_BOX_ROW,
                                      "児童手当の認定請求, 群馬県 前橋市"));
}

static void
test_unknown_keyword_shows_empty_state (Fixture *f, gconstpointer data)
{
  const char *word = "ぱすぽーとのしんせい";
  g_assert_cmpuint (portal_count ("102016", NULL, word), ==, 0);

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_rows (f->page) > 0);
  gtk_editable_set_text (entry_for (f->page, KIOSK_KEYBOARD_KANA), word);
  BROWSE_WAIT (browse_test_shows (f->page, "No procedures found. Try another keyword or "
                                           "category, or check the municipality code."));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);
  g_assert_false (browse_test_spinning (f->page));
  browse_test_screenshot (f->page, "search-empty");
  browse_test_assert_fits (f->page);
}

static void
on_activated (KioskSearchPage *page, const char *proc_id, char **out)
{
  g_free (*out);
  *out = g_strdup (proc_id);
}

static void
test_row_activation_emits_procedure_id (Fixture *f, gconstpointer data)
{
  g_autofree char *activated = NULL;
  g_signal_connect (f->page, "procedure-activated", G_CALLBACK (on_activated), &activated);

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_find (f->page, GTK_TYPE_LIST_BOX_ROW,
                                 "児童手当の認定請求, 群馬県 前橋市") != NULL);
  browse_test_activate_row (f->page, "児童手当の認定請求, 群馬県 前橋市");
  g_assert_cmpstr (activated, ==, "102016-jidouteate-nintei");
  g_signal_handlers_disconnect_by_func (f->page, on_activated, &activated);
}

static void
test_more_results_pages (Fixture *f, gconstpointer data)
{
  guint total = portal_count (NULL, NULL, NULL);
  g_assert_cmpuint (total, >, 40);

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "");
  BROWSE_WAIT (browse_test_rows (f->page) == 20);
  g_autofree char *count = found_text (total);
  g_assert_true (browse_test_shows (f->page, count));
  g_assert_true (browse_test_shows (f->page, "All municipalities"));
  guint expected = 20;
  while (expected < total)
    {
      browse_test_press (f->page, "More results");
      expected = MIN (expected + 20, total);
      BROWSE_WAIT (browse_test_rows (f->page) == expected);
    }
  BROWSE_WAIT (browse_test_find (f->page, GTK_TYPE_BUTTON, "More results") == NULL);
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, total);
}

static void
test_municipality_code_is_checked (Fixture *f, gconstpointer data)
{
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_rows (f->page) > 0);
  GtkEditable *city = entry_for (f->page, KIOSK_KEYBOARD_NUMBER);

  gtk_editable_set_text (city, "10201");
  BROWSE_WAIT (browse_test_shows (f->page, "Enter the 6 digits of the municipality code, or "
                                           "leave it empty to search in every municipality."));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);

  /* 102017: six digits, but the check digit of 10201 is 6. */
  gtk_editable_set_text (city, "102017");
  BROWSE_WAIT (browse_test_shows (f->page, "No municipality has this code. Check the number."));

  guint sanjo = portal_count ("152048", NULL, NULL);
  gtk_editable_set_text (city, "152048");
  BROWSE_WAIT (browse_test_rows (f->page) == MIN (sanjo, 20));
  g_assert_true (browse_test_shows (f->page, "新潟県 三条市"));
  g_assert_true (rows_all (f->page, ", 新潟県 三条市", NULL));
}

static void
test_portal_failure_then_retry (Fixture *f, gconstpointer data)
{
  /* A client that gives up after about a second of 503s. */
  g_autoptr(mp_client) impatient = browse_test_client_new (NULL, 1500);
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), impatient);
  browse_test_faults ("{\"rules\": [{\"method\": \"GET\", \"path_prefix\": \"/shinsei/v2/procedures\","
                      " \"status_503\": true, \"retry_after\": 1, \"times\": 1000}]}");

  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  g_autofree char *title = error_title (MP_ERROR_UNAVAILABLE);
  BROWSE_WAIT (browse_test_shows (f->page, title));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);
  g_assert_false (browse_test_spinning (f->page));
  browse_test_screenshot (f->page, "search-error");
  browse_test_assert_fits (f->page);

  /* The portal is back: "Try again" searches again. */
  browse_test_faults (NULL);
  browse_test_press (f->page, "Try again");
  BROWSE_WAIT (browse_test_rows (f->page) == portal_count ("102016", NULL, NULL));
  g_assert_false (browse_test_shows (f->page, title));

  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), client);
}

static void
test_unreachable_portal_shows_error (Fixture *f, gconstpointer data)
{
  /* Nothing listens on port 9 of this machine. */
  g_autoptr(mp_client) nowhere = browse_test_client_new ("https://127.0.0.1:9", 200);
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), nowhere);
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  g_autofree char *title = error_title (MP_ERROR_CONNECT);
  BROWSE_WAIT (browse_test_shows (f->page, title));
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_BUTTON, "Try again"));
  g_assert_cmpuint (browse_test_rows (f->page), ==, 0);
  kiosk_search_page_set_client (KIOSK_SEARCH_PAGE (f->page), client);
  g_assert_false (browse_test_shows (f->page, title));
}

static void
test_clear_forgets_and_cancels (Fixture *f, gconstpointer data)
{
  /* Results shown, then cleared: no row, no criteria. */
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_rows (f->page) > 0);
  gtk_editable_set_text (entry_for (f->page, KIOSK_KEYBOARD_KANA), "じどう");
  kiosk_search_page_clear (KIOSK_SEARCH_PAGE (f->page));
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
  g_assert_cmpstr (gtk_editable_get_text (entry_for (f->page, KIOSK_KEYBOARD_NUMBER)), ==, "");
  g_assert_cmpstr (gtk_editable_get_text (entry_for (f->page, KIOSK_KEYBOARD_KANA)), ==, "");
  g_assert_false (browse_test_shows (f->page, "群馬県 前橋市"));

  /* A search in flight (the portal holds its answer), then clear(): the
   * call is cancelled and its end never reaches the page. */
  browse_test_faults ("{\"rules\": [{\"method\": \"GET\", \"path_prefix\": \"/shinsei/v2/procedures\","
                      " \"stall_ms\": 4000, \"times\": 2}]}");
  guint before = browse_test_cancelled_calls ();
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_spinning (f->page));
  kiosk_search_page_clear (KIOSK_SEARCH_PAGE (f->page));
  g_assert_false (browse_test_spinning (f->page));
  BROWSE_WAIT (browse_test_cancelled_calls () > before);
  g_assert_cmpuint (browse_test_all_rows (f->page), ==, 0);
  g_assert_false (browse_test_spinning (f->page));
  g_autoptr(GPtrArray) labels = browse_test_collect (f->page, GTK_TYPE_LABEL, TRUE);
  for (guint i = 0; i < labels->len; i++)
    g_assert_false (g_str_has_suffix (gtk_label_get_label (labels->pdata[i]), "found"));

  /* A search in flight when the page goes away: the page is finalized at
   * once (no call keeps it alive) and the call's end finds it gone. */
  before = browse_test_cancelled_calls ();
  kiosk_search_page_reset (KIOSK_SEARCH_PAGE (f->page), "102016");
  BROWSE_WAIT (browse_test_spinning (f->page));
  GtkWidget *page = f->page;
  g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &page);
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  g_assert_null (page);
  BROWSE_WAIT (browse_test_cancelled_calls () > before);
}

int
main (int argc, char **argv)
{
  browse_test_init (&argc, &argv);
  client = browse_test_client_new (NULL, 5000);

#define ADD(path, fn) g_test_add ("/search/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("default-city-shows-its-procedures", test_default_city_shows_its_procedures);
  ADD ("default-city-from-configuration", test_default_city_from_configuration);
  ADD ("category-narrows", test_category_narrows);
  ADD ("keyword-finds-kana-and-kanji", test_keyword_finds_kana_and_kanji);
  ADD ("unknown-keyword-shows-empty-state", test_unknown_keyword_shows_empty_state);
  ADD ("row-activation-emits-procedure-id", test_row_activation_emits_procedure_id);
  ADD ("more-results-pages", test_more_results_pages);
  ADD ("municipality-code-is-checked", test_municipality_code_is_checked);
  ADD ("portal-failure-then-retry", test_portal_failure_then_retry);
  ADD ("unreachable-portal-shows-error", test_unreachable_portal_shows_error);
  ADD ("clear-forgets-and-cancels", test_clear_forgets_and_cancels);
#undef ADD

  int rc = g_test_run ();
  mp_client_free (client);
  return rc;
}
