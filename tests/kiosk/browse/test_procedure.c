/* test_procedure.c - the procedure page against portal-sim (portalenv.py
 * --dev) on a private Xvfb: the facts of a procedure, its documents sorted
 * into always needed / needed in some cases (with the condition in words) /
 * can be left out with information linkage (with the linkage note) /
 * optional, the Apply button, failures with "Try again", and clear(). */

#include <string.h>

#include "browse-test-util.h"
#include "kiosk-errors.h"
#include "kiosk-procedure-page.h"

#define ALWAYS "Always needed"
#define SOME_CASES "Needed in some cases"
#define LINKAGE "Can be left out with information linkage"
#define OPTIONAL "Optional"

static mp_client *client;

typedef struct
{
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->page = kiosk_procedure_page_new ();
  kiosk_procedure_page_set_client (KIOSK_PROCEDURE_PAGE (f->page), client);
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

static void
load (Fixture *f, const char *proc_id)
{
  kiosk_procedure_page_load (KIOSK_PROCEDURE_PAGE (f->page), proc_id);
  BROWSE_WAIT (kiosk_procedure_page_get_definition (KIOSK_PROCEDURE_PAGE (f->page)) != NULL);
  BROWSE_WAIT (!browse_test_spinning (f->page));
}

/* The group named group on screen (a box), or NULL when not shown. */
static GtkWidget *
group (Fixture *f, const char *name)
{
  return browse_test_find (f->page, GTK_TYPE_BOX, name);
}

/* The names of the documents shown in a group, in order, joined by "|". */
static char *
documents (Fixture *f, const char *name)
{
  GtkWidget *g = group (f, name);
  if (g == NULL)
    return g_strdup ("");
  g_autoptr(GPtrArray) boxes = browse_test_collect (g, GTK_TYPE_BOX, TRUE);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < boxes->len; i++)
    {
      if (boxes->pdata[i] == g || !gtk_widget_has_css_class (boxes->pdata[i], "kiosk-panel"))
        continue;
      g_autofree char *doc = browse_test_name (boxes->pdata[i]);
      g_string_append_printf (s, "%s%s", s->len ? "|" : "", doc);
    }
  return g_string_free (s, FALSE);
}

/* The accessible description of the document named doc in group name. */
static char *
document_description (Fixture *f, const char *name, const char *doc)
{
  GtkWidget *g = group (f, name);
  g_assert_nonnull (g);
  GtkWidget *panel = browse_test_find (g, GTK_TYPE_BOX, doc);
  g_assert_nonnull (panel);
  return browse_test_accessible_string (panel, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
test_all_four_kinds_of_documents (Fixture *f, gconstpointer data)
{
  load (f, "102016-futangendogaku");
  g_assert_true (browse_test_shows (f->page, "介護保険負担限度額認定申請"));
  browse_test_screenshot (f->page, "procedure-futangendogaku");

  g_autofree char *always = documents (f, ALWAYS);
  g_assert_cmpstr (always, ==, "預貯金通帳の写し（被保険者と配偶者の分）");
  g_autofree char *some = documents (f, SOME_CASES);
  g_assert_cmpstr (some, ==, "委任状");
  g_autofree char *linkage = documents (f, LINKAGE);
  g_assert_cmpstr (linkage, ==, "配偶者の課税（所得）証明書");
  g_autofree char *optional = documents (f, OPTIONAL);
  g_assert_cmpstr (optional, ==, "有価証券の評価額が分かる書類（取引残高報告書など）の写し");

  /* Each is marked in words: the condition names the form's question and
   * the answer's label (委任状: 被保険者との関係 = その他); the checkbox
   * condition of the omittable one says "tick". */
  g_autofree char *d_always = document_description (f, ALWAYS, "預貯金通帳の写し（被保険者と配偶者の分）");
  g_assert_cmpstr (d_always, ==, "Every applicant attaches this.");
  g_autofree char *d_some = document_description (f, SOME_CASES, "委任状");
  g_assert_cmpstr (d_some, ==, "Needed when you answer “その他” to “被保険者との関係” on the form.");
  g_autofree char *d_link = document_description (f, LINKAGE, "配偶者の課税（所得）証明書");
  g_assert_cmpstr (d_link, ==, "Needed when you tick “配偶者は今年1月1日に他の市区町村に住んでいた” "
                               "on the form. You may leave it out if you agree to information linkage.");
  g_assert_true (browse_test_shows (group (f, LINKAGE),
                                    "Instead: 情報連携により、配偶者の課税の状況を市で確認します。"));
  g_autofree char *d_opt = document_description (f, OPTIONAL,
                                                 "有価証券の評価額が分かる書類（取引残高報告書など）の写し");
  g_assert_cmpstr (d_opt, ==, "Attach it if you have it; it is not required.");
  if (g_getenv ("BROWSE_TEST_SCREENSHOTS"))
    {
      /* The documents, scrolled into view. */
      g_autoptr(GPtrArray) scrollers = browse_test_collect (f->page, GTK_TYPE_SCROLLED_WINDOW, TRUE);
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (scrollers->pdata[0]);
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      browse_test_screenshot (f->page, "procedure-documents");
    }
  /* max_files 10 of the passbook, in words. */
  g_assert_true (browse_test_shows (group (f, ALWAYS),
                                    "Photos or files: JPEG, PNG, PDF, up to 10 files."));
  browse_test_assert_fits (f->page);
}

static void
test_child_allowance_facts_and_documents (Fixture *f, gconstpointer data)
{
  load (f, "102016-jidouteate-nintei");
  JsonObject *d = json_node_get_object (kiosk_procedure_page_get_definition (KIOSK_PROCEDURE_PAGE (f->page)));
  g_assert_cmpstr (json_object_get_string_member (d, "proc_id"), ==, "102016-jidouteate-nintei");

  g_assert_true (browse_test_shows (f->page, "児童手当の認定請求"));
  g_assert_true (browse_test_shows (f->page, "群馬県 前橋市  ·  Child-rearing"));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (d, "description")));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (d, "submit_to")));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (d, "deadline")));
  g_assert_true (browse_test_shows (f->page, json_object_get_string_member (d, "processing_period")));
  g_assert_true (browse_test_shows (f->page, "児童手当法第7条"));
  g_assert_true (browse_test_shows (f->page, "•  公務員の方は勤務先に請求してください。"));
  g_assert_true (browse_test_shows_part (f->page, "signature certificate"));
  browse_test_screenshot (f->page, "procedure-jidouteate");

  /* No document is always needed; three depend on answers; three can be
   * left to 情報連携, each with its note. */
  g_assert_null (group (f, ALWAYS));
  g_assert_null (group (f, OPTIONAL));
  g_autofree char *some = documents (f, SOME_CASES);
  g_assert_cmpstr (some, ==, "請求者名義の通帳またはキャッシュカードの写し|別居監護申立書|"
                             "監護相当・生計費の負担についての確認書");
  g_autofree char *linkage = documents (f, LINKAGE);
  g_assert_cmpstr (linkage, ==, "請求者の健康保険の資格が分かる書類（資格確認書・資格情報のお知らせなど）の写し|"
                                "別居している児童の住民票の写し|請求者の課税（所得）証明書");
  g_autofree char *d_bekkyo = document_description (f, SOME_CASES, "別居監護申立書");
  g_assert_true (g_str_has_prefix (d_bekkyo, "Needed when you answer “別居"));
  GtkWidget *lg = group (f, LINKAGE);
  g_assert_true (browse_test_shows (lg, "Instead: 情報連携により、児童の住所を市で確認します。"));
  g_assert_true (browse_test_shows (lg, "Instead: 情報連携により、前住所地での課税の状況を市で確認します。"));
  g_assert_true (browse_test_shows (lg, "Instead: 情報連携により、加入している医療保険を市で確認します。"));
  browse_test_assert_fits (f->page);
}

static void
on_apply (KioskProcedurePage *page, guint *count)
{
  (*count)++;
}

static void
test_apply_button (Fixture *f, gconstpointer data)
{
  guint applied = 0;
  g_signal_connect (f->page, "apply-requested", G_CALLBACK (on_apply), &applied);

  /* Not there while loading or without a procedure. */
  g_assert_null (browse_test_find (f->page, GTK_TYPE_BUTTON, "Apply with My Number Card"));
  load (f, "102016-jidouteate-nintei");
  GtkWidget *apply = browse_test_find (f->page, GTK_TYPE_BUTTON, "Apply with My Number Card");
  g_assert_nonnull (apply);
  g_assert_true (gtk_widget_has_css_class (apply, "suggested-action"));
  g_assert_cmpint (browse_test_min_height (apply), >=, 64);
  browse_test_press (f->page, "Apply with My Number Card");
  g_assert_cmpuint (applied, ==, 1);
  g_signal_handlers_disconnect_by_func (f->page, on_apply, &applied);
}

static void
test_unknown_procedure_then_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) e = g_error_new_literal (MP_ERROR, MP_ERROR_NOT_FOUND, "test");
  const char *title = kiosk_error_describe (e).title;

  kiosk_procedure_page_load (KIOSK_PROCEDURE_PAGE (f->page), "102016-no-such-procedure");
  BROWSE_WAIT (browse_test_shows (f->page, title));
  browse_test_assert_fits (f->page);
  g_assert_null (kiosk_procedure_page_get_definition (KIOSK_PROCEDURE_PAGE (f->page)));
  g_assert_null (browse_test_find (f->page, GTK_TYPE_BUTTON, "Apply with My Number Card"));
  /* "Try again" asks again (and is refused again). */
  browse_test_press (f->page, "Try again");
  g_assert_false (browse_test_shows (f->page, title));
  BROWSE_WAIT (browse_test_shows (f->page, title));
}

static void
test_unreachable_portal_then_good_one (Fixture *f, gconstpointer data)
{
  g_autoptr(mp_client) nowhere = browse_test_client_new ("https://127.0.0.1:9", 200);
  g_autoptr(GError) e = g_error_new_literal (MP_ERROR, MP_ERROR_CONNECT, "test");
  const char *title = kiosk_error_describe (e).title;

  kiosk_procedure_page_set_client (KIOSK_PROCEDURE_PAGE (f->page), nowhere);
  kiosk_procedure_page_load (KIOSK_PROCEDURE_PAGE (f->page), "102016-jidouteate-nintei");
  BROWSE_WAIT (browse_test_shows (f->page, title));
  g_assert_nonnull (browse_test_find (f->page, GTK_TYPE_BUTTON, "Try again"));

  kiosk_procedure_page_set_client (KIOSK_PROCEDURE_PAGE (f->page), client);
  g_assert_false (browse_test_shows (f->page, title));
  load (f, "102016-jidouteate-nintei");
  g_assert_true (browse_test_shows (f->page, "児童手当の認定請求"));
}

static void
test_clear_forgets_and_cancels (Fixture *f, gconstpointer data)
{
  load (f, "102016-futangendogaku");
  kiosk_procedure_page_clear (KIOSK_PROCEDURE_PAGE (f->page));
  g_assert_null (kiosk_procedure_page_get_definition (KIOSK_PROCEDURE_PAGE (f->page)));
  g_autoptr(GPtrArray) labels = browse_test_collect (f->page, GTK_TYPE_LABEL, FALSE);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_label (labels->pdata[i]);
      g_assert_null (strstr (text, "介護保険"));
      g_assert_null (strstr (text, "預貯金通帳"));
    }
  g_autoptr(GPtrArray) boxes = browse_test_collect (f->page, GTK_TYPE_BOX, FALSE);
  for (guint i = 0; i < boxes->len; i++)
    {
      /* A document's panel is a named box; none is left. */
      g_autofree char *name = browse_test_name (boxes->pdata[i]);
      g_assert_false (name && gtk_widget_has_css_class (boxes->pdata[i], "kiosk-panel"));
    }

  /* In flight, then cleared: cancelled, and its end never reaches the page. */
  browse_test_faults ("{\"rules\": [{\"method\": \"GET\", \"path_prefix\": \"/shinsei/v2/procedure/\","
                      " \"stall_ms\": 4000}]}");
  guint before = browse_test_cancelled_calls ();
  kiosk_procedure_page_load (KIOSK_PROCEDURE_PAGE (f->page), "102016-jidouteate-nintei");
  BROWSE_WAIT (browse_test_spinning (f->page));
  kiosk_procedure_page_clear (KIOSK_PROCEDURE_PAGE (f->page));
  BROWSE_WAIT (browse_test_cancelled_calls () > before);
  g_assert_false (browse_test_spinning (f->page));
  g_assert_null (kiosk_procedure_page_get_definition (KIOSK_PROCEDURE_PAGE (f->page)));
  g_assert_false (browse_test_shows (f->page, "児童手当の認定請求"));
  browse_test_faults (NULL);
}

int
main (int argc, char **argv)
{
  browse_test_init (&argc, &argv);
  client = browse_test_client_new (NULL, 5000);

#define ADD(path, fn) g_test_add ("/procedure/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("all-four-kinds-of-documents", test_all_four_kinds_of_documents);
  ADD ("child-allowance-facts-and-documents", test_child_allowance_facts_and_documents);
  ADD ("apply-button", test_apply_button);
  ADD ("unknown-procedure-then-retry", test_unknown_procedure_then_retry);
  ADD ("unreachable-portal-then-good-one", test_unreachable_portal_then_good_one);
  ADD ("clear-forgets-and-cancels", test_clear_forgets_and_cancels);
#undef ADD

  int rc = g_test_run ();
  mp_client_free (client);
  return rc;
}
