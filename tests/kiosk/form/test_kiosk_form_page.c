/* test_kiosk_form_page.c - the form and review pages, driven the way a
 * resident would: text set on the entries found by their accessible names,
 * choices and switches activated, the My Number typed on its keypad's
 * keys, "Next" pressed. Runs on a private Xvfb (tests/harness/with-xvfb)
 * with G_DEBUG=fatal-warnings. */

#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "catalog.h"
#include "kiosk-attachment-files.h"
#include "kiosk-attachment-picker.h"
#include "kiosk-attachment-row.h"
#include "kiosk-form-field.h"
#include "kiosk-form-page-private.h"
#include "kiosk-form-page.h"
#include "kiosk-form-section.h"
#include "kiosk-keyboard.h"
#include "kiosk-keypad.h"
#include "kiosk-review-page.h"
#include "kiosk-secret-field.h"
#include "kioskform-resources.h"
#include "kioskwidgets-resources.h"
#include "mynaportal/package.h"
#include "report.h"

#define EXAMPLE "452025-kodomo-iryouhi"
#define MY_NUMBER "840281753965"

static ps_catalog *shipped;

/* ---- finding widgets as an accessibility tool would ---- */

/* The accessible label, or for a button without one its text. */
static char *
accessible_name (GtkWidget *w)
{
  if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL))
    {
      /* check_property answers with the actual value when it differs. */
      char *v = gtk_test_accessible_check_property (GTK_ACCESSIBLE (w),
                                                    GTK_ACCESSIBLE_PROPERTY_LABEL, "\x01");

      if (v != NULL)
        return v;
    }
  if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) != NULL)
    return g_strdup (gtk_button_get_label (GTK_BUTTON (w)));
  return NULL;
}

static char *
accessible_string (GtkWidget *w, GtkAccessibleProperty property)
{
  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), property))
    return NULL;
  return gtk_test_accessible_check_property (GTK_ACCESSIBLE (w), property, "\x01");
}

static void
collect (GtkWidget *w, GType type, GPtrArray *out)
{
  if (g_type_is_a (G_OBJECT_TYPE (w), type))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect (c, type, out);
}

static GPtrArray *
all_of (GtkWidget *root, GType type)
{
  GPtrArray *out = g_ptr_array_new ();

  collect (root, type, out);
  return out;
}

/* The one widget of type named name under root (fails when there are
 * none or several: names must be unique on a screen). */
static GtkWidget *
find (GtkWidget *root, GType type, const char *name)
{
  g_autoptr(GPtrArray) all = all_of (root, type);
  GtkWidget *found = NULL;

  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *n = accessible_name (g_ptr_array_index (all, i));

      if (g_strcmp0 (n, name) != 0)
        continue;
      if (found != NULL)
        g_error ("two widgets named \"%s\"", name);
      found = g_ptr_array_index (all, i);
    }
  if (found == NULL)
    g_error ("no %s named \"%s\"", g_type_name (type), name);
  return found;
}

static gboolean
exists (GtkWidget *root, GType type, const char *name)
{
  g_autoptr(GPtrArray) all = all_of (root, type);

  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *n = accessible_name (g_ptr_array_index (all, i));

      if (g_strcmp0 (n, name) == 0 && gtk_widget_is_visible (g_ptr_array_index (all, i)))
        return TRUE;
    }
  return FALSE;
}

static void
type_into (GtkWidget *root, const char *name, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (find (root, GTK_TYPE_ENTRY, name)), text);
}

static void
type_date (GtkWidget *root, const char *name, const char *y, const char *m, const char *d)
{
  g_autofree char *yn = g_strdup_printf ("%s, year", name);
  g_autofree char *mn = g_strdup_printf ("%s, month", name);
  g_autofree char *dn = g_strdup_printf ("%s, day", name);

  type_into (root, yn, y);
  type_into (root, mn, m);
  type_into (root, dn, d);
}

/* What a finger on w does: a button is clicked, a check button, switch
 * or list row activated. */
static void
press (GtkWidget *w)
{
  g_assert_true (gtk_widget_is_sensitive (w));
  if (GTK_IS_BUTTON (w))
    g_signal_emit_by_name (w, "clicked");
  else
    g_assert_true (gtk_widget_activate (w));
}

static void
tap (GtkWidget *root, GType type, const char *name)
{
  press (find (root, type, name));
}

/* Type digits on the keypad of the My Number field named field_name. */
static void
tap_digits (GtkWidget *root, const char *field_name, const char *digits)
{
  g_autofree char *pad_name = g_strdup_printf ("Keypad for “%s”", field_name);
  GtkWidget *pad = find (root, KIOSK_TYPE_KEYPAD, pad_name);

  for (const char *c = digits; *c; c++)
    {
      char key[2] = { *c, 0 };

      press (find (pad, GTK_TYPE_BUTTON, key));
    }
}

static gboolean
time_is_up (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterate the main loop until cond holds, 10 s at most. */
static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data)
{
  gboolean up = FALSE;
  guint timer = g_timeout_add_seconds (10, time_is_up, &up);

  while (!cond (data) && !up)
    g_main_context_iteration (NULL, TRUE);
  if (!up)
    g_source_remove (timer);
  return cond (data);
}

static JsonNode *
definition (const char *proc_id)
{
  JsonNode *n = ps_catalog_get (shipped, proc_id);

  g_assert_nonnull (n);
  return n;
}

/* The window of the test running (one page at a time). */
static GtkWidget *window;

/* child in a window of the kiosk's size, drawn once. */
static void
show_in_window (GtkWidget *child)
{
  g_assert_null (window);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);
}

static void
close_window (void)
{
  if (window)
    {
      gtk_window_destroy (GTK_WINDOW (window));
      window = NULL;
    }
}

/* A form page for proc_id in a window; a new reference. */
static GtkWidget *
new_page (const char *proc_id)
{
  GtkWidget *page = g_object_ref_sink (kiosk_form_page_new ());

  show_in_window (page);
  if (proc_id != NULL)
    {
      g_autoptr(JsonNode) def = definition (proc_id);

      kiosk_form_page_set_procedure (KIOSK_FORM_PAGE (page), def);
      g_assert_nonnull (kiosk_form_page_get_spec (KIOSK_FORM_PAGE (page)));
    }
  return page;
}

static KioskFormField *
field_of (GtkWidget *page, const char *section, guint entry, const char *id)
{
  GPtrArray *sections = kiosk_form_page_get_sections (KIOSK_FORM_PAGE (page));

  for (guint i = 0; i < sections->len; i++)
    {
      KioskFormSection *s = g_ptr_array_index (sections, i);

      if (g_str_equal (kiosk_form_section_get_spec (s)->id, section))
        return kiosk_form_section_get_field (s, entry, id);
    }
  return NULL;
}

static KioskFormSection *
section_of (GtkWidget *page, const char *id)
{
  GPtrArray *sections = kiosk_form_page_get_sections (KIOSK_FORM_PAGE (page));

  for (guint i = 0; i < sections->len; i++)
    if (g_str_equal (kiosk_form_section_get_spec (g_ptr_array_index (sections, i))->id, id))
      return g_ptr_array_index (sections, i);
  g_error ("no section %s", id);
  return NULL;
}

static KioskAttachmentRow *
row_of (GtkWidget *page, const char *id)
{
  GPtrArray *rows = kiosk_form_page_get_attachment_rows (KIOSK_FORM_PAGE (page));

  for (guint i = 0; i < rows->len; i++)
    if (g_str_equal (kiosk_attachment_row_get_spec (g_ptr_array_index (rows, i))->id, id))
      return g_ptr_array_index (rows, i);
  g_error ("no attachment %s", id);
  return NULL;
}

static void
set_flag (gboolean *flag)
{
  *flag = TRUE;
}

/* ---- the example of docs/portal-sim-catalog.md ---- */

static const char expected_example[] =
  "{\"items\": {"
  "  \"guardian_name\": \"加藤　大輔\", \"guardian_kana\": \"カトウ　ダイスケ\","
  "  \"guardian_birth_date\": \"1989-01-08\", \"guardian_my_number\": \"" MY_NUMBER "\","
  "  \"guardian_postal_code\": \"885-0029\", \"guardian_address\": \"宮崎県都城市姫城町７街区１０号\","
  "  \"guardian_phone\": \"090-1234-5678\", \"insurance_kind\": \"shaho\","
  "  \"account_method\": \"koukin\", \"pledge\": true},"
  " \"groups\": {\"children\": ["
  "  {\"child_name\": \"加藤　蓮\", \"child_kana\": \"カトウ　レン\","
  "   \"child_birth_date\": \"2018-04-10\", \"child_insurer\": \"全国健康保険協会 宮崎支部\"},"
  "  {\"child_name\": \"加藤　結衣\", \"child_kana\": \"カトウ　ユイ\","
  "   \"child_birth_date\": \"2021-08-25\", \"child_insurer\": \"全国健康保険協会 宮崎支部\"}]},"
  " \"linkage_consent\": [\"kodomo_hoken\"]}";

static void
fill_child (GtkWidget *page, guint n, const char *name, const char *kana, const char *y,
            const char *m, const char *d)
{
  g_autofree char *a = g_strdup_printf ("子どもの氏名（子ども %u）", n);
  g_autofree char *b = g_strdup_printf ("子どもの氏名（フリガナ）（子ども %u）", n);
  g_autofree char *c = g_strdup_printf ("子どもの生年月日（子ども %u）", n);
  g_autofree char *e = g_strdup_printf ("子どもが加入している健康保険の保険者名（子ども %u）", n);

  type_into (page, a, name);
  type_into (page, b, kana);
  type_date (page, c, y, m, d);
  type_into (page, e, "全国健康保険協会 宮崎支部");
}

/* Fill the 都城市 example (two children, 公金受取口座, the children's
 * insurance document left to 情報連携) as a resident would. */
static void
fill_example (GtkWidget *page)
{
  type_into (page, "保護者の氏名", "加藤　大輔");
  type_into (page, "保護者の氏名（フリガナ）", "カトウ　ダイスケ");
  type_date (page, "保護者の生年月日", "1989", "1", "8");
  tap_digits (page, "保護者の個人番号", MY_NUMBER);
  type_into (page, "郵便番号", "8850029");
  type_into (page, "保護者の住所", "宮崎県都城市姫城町７街区１０号");
  type_into (page, "日中に連絡の取れる電話番号", "090-1234-5678");
  tap (page, GTK_TYPE_CHECK_BUTTON, "健康保険（会社員など）（保護者が加入している健康保険）");
  fill_child (page, 1, "加藤　蓮", "カトウ　レン", "2018", "04", "10");
  tap (page, GTK_TYPE_BUTTON, "Add 子ども");
  fill_child (page, 2, "加藤　結衣", "カトウ　ユイ", "2021", "8", "25");
  tap (page, GTK_TYPE_CHECK_BUTTON, "公金受取口座を利用する（償還払いの助成金の受取方法）");
  tap (page, GTK_TYPE_CHECK_BUTTON, "上記のとおり申請します。記載内容に相違ありません。");
  tap (page, GTK_TYPE_SWITCH,
       "Omit “子どもの健康保険の資格が分かる書類（資格確認書・資格情報のお知らせなど）の写し” "
       "by information linkage");
}

/* Complete, or fail naming what the page says is wrong. */
static void
assert_complete (GtkWidget *page)
{
  g_autoptr(GPtrArray) fields = NULL, rows = NULL;

  if (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)))
    return;
  fields = all_of (page, KIOSK_TYPE_FORM_FIELD);
  for (guint i = 0; i < fields->len; i++)
    {
      KioskFormField *f = g_ptr_array_index (fields, i);
      KioskRule r = kiosk_form_field_validate (f, NULL);

      if (r != KIOSK_RULE_OK)
        g_test_message ("%s: rule %d", kiosk_form_field_get_spec (f)->id, r);
    }
  rows = all_of (page, KIOSK_TYPE_ATTACHMENT_ROW);
  for (guint i = 0; i < rows->len; i++)
    if (kiosk_attachment_row_validate (g_ptr_array_index (rows, i)) != KIOSK_RULE_OK)
      g_test_message ("attachment %s",
                      kiosk_attachment_row_get_spec (g_ptr_array_index (rows, i))->id);
  g_error ("the form is not complete");
}

static gboolean
portal_accepts (mp_package_builder *b, const char *proc_id, const char * const *atts, gsize n)
{
  g_autoptr(GBytes) xml = mp_package_builder_form_xml (b);
  g_autoptr(GPtrArray) report = ps_report_new ();
  gsize len;
  const guint8 *data = g_bytes_get_data (xml, &len);
  gboolean ok = ps_catalog_check_form (shipped, proc_id, data, len, atts, n, report);

  for (guint i = 0; i < report->len; i++)
    g_test_message ("portal: %s %s", ((ps_report_item *) g_ptr_array_index (report, i))->item,
                    ((ps_report_item *) g_ptr_array_index (report, i))->content);
  return ok;
}

static void
test_filling_the_example_gives_the_expected_form (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) expected = json_from_string (expected_example, &error);
  g_autoptr(JsonNode) form = NULL;
  g_autoptr(mp_package_builder) b = NULL;
  gboolean review = FALSE;

  g_assert_no_error (error);
  g_signal_connect_swapped (page, "review-requested", G_CALLBACK (set_flag), &review);
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
  fill_example (page);
  assert_complete (page);
  tap (page, GTK_TYPE_BUTTON, "Next");
  g_assert_true (review);

  form = kiosk_form_page_get_form (KIOSK_FORM_PAGE (page));
  if (!json_node_equal (form, expected))
    {
      g_autofree char *got = json_to_string (form, TRUE);

      g_error ("the form is not the expected one:\n%s", got);
    }

  b = kiosk_form_page_build_package (KIOSK_FORM_PAGE (page), &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);
  g_assert_true (portal_accepts (b, EXAMPLE, NULL, 0));
}

static void
test_condition_makes_the_bank_fields_required (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  KioskFormField *bank = field_of (page, "account", 0, "bank_name");
  KioskFormField *kana = field_of (page, "account", 0, "account_holder_kana");
  KioskAttachmentRow *tsuchou = row_of (page, "tsuchou");
  GtkWidget *focus;

  g_assert_false (kiosk_form_field_get_required (bank));
  g_assert_false (kiosk_attachment_row_get_required (tsuchou));

  fill_example (page);
  tap (page, GTK_TYPE_CHECK_BUTTON, "口座を指定する（償還払いの助成金の受取方法）");
  g_assert_true (kiosk_form_field_get_required (bank));
  g_assert_true (kiosk_form_field_get_required (kana));
  g_assert_true (kiosk_attachment_row_get_required (tsuchou));
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));

  /* Next: seven bank answers and the passbook copy need attention; the
   * first of them gets the focus. (A person's taps are frames apart: the
   * form is laid out before Next is pressed.) */
  gtk_test_widget_wait_for_draw (window);
  tap (page, GTK_TYPE_BUTTON, "Next");
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, GTK_WIDGET (bank)));
  /* ... and the form is scrolled down to it. */
  {
    g_autoptr(GPtrArray) scrollers = all_of (page, GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (g_ptr_array_index (scrollers, 0));
    graphene_point_t p;

    g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, 500.0);
    gtk_test_widget_wait_for_draw (window);
    g_assert_true (gtk_widget_compute_point (GTK_WIDGET (bank), g_ptr_array_index (scrollers, 0),
                                             &GRAPHENE_POINT_INIT (0, 0), &p));
    g_assert_cmpfloat (p.y, >=, 0.0);
    g_assert_cmpfloat (p.y, <, gtk_widget_get_height (g_ptr_array_index (scrollers, 0)));
  }
  {
    g_autoptr(GPtrArray) labels = all_of (page, GTK_TYPE_LABEL);
    gboolean said = FALSE;

    for (guint i = 0; i < labels->len; i++)
      said |= g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, i)),
                         "8 answers need your attention. They are marked in the form.") == 0 &&
              gtk_widget_is_visible (g_ptr_array_index (labels, i));
    g_assert_true (said);
  }

  tap (page, GTK_TYPE_CHECK_BUTTON, "公金受取口座を利用する（償還払いの助成金の受取方法）");
  g_assert_false (kiosk_form_field_get_required (bank));
  g_assert_false (kiosk_attachment_row_get_required (tsuchou));
  g_assert_true (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
}

static void
test_repeated_group_stays_within_its_limits (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  KioskFormSection *children = section_of (page, "children");

  /* min 1: one entry, which cannot be removed. */
  g_assert_cmpuint (kiosk_form_section_get_n_entries (children), ==, 1);
  g_assert_false (exists (page, GTK_TYPE_BUTTON, "Remove 子ども 1"));
  g_assert_true (exists (page, GTK_TYPE_BUTTON, "Add 子ども"));
  for (guint i = 2; i <= 10; i++)
    tap (page, GTK_TYPE_BUTTON, "Add 子ども");
  /* max 10: no way to add an eleventh. */
  g_assert_cmpuint (kiosk_form_section_get_n_entries (children), ==, 10);
  g_assert_false (exists (page, GTK_TYPE_BUTTON, "Add 子ども"));
  g_assert_false (kiosk_form_section_add_entry (children));
  g_assert_true (exists (page, GTK_TYPE_BUTTON, "Remove 子ども 10"));

  /* Removing entry 3 renumbers the ones after it. */
  type_into (page, "子どもの氏名（子ども 4）", "四番目");
  tap (page, GTK_TYPE_BUTTON, "Remove 子ども 3");
  g_assert_cmpuint (kiosk_form_section_get_n_entries (children), ==, 9);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (page, GTK_TYPE_ENTRY,
                                                               "子どもの氏名（子ども 3）"))),
                   ==, "四番目");
  g_assert_false (exists (page, GTK_TYPE_ENTRY, "子どもの氏名（子ども 10）"));
  g_assert_true (exists (page, GTK_TYPE_BUTTON, "Add 子ども"));
  while (kiosk_form_section_get_n_entries (children) > 1)
    {
      g_autofree char *name = g_strdup_printf ("Remove 子ども %u",
                                               kiosk_form_section_get_n_entries (children));

      tap (page, GTK_TYPE_BUTTON, name);
    }
  g_assert_false (kiosk_form_section_remove_entry (children, 1));
  g_assert_false (exists (page, GTK_TYPE_BUTTON, "Remove 子ども 1"));
}

static void
test_group_with_minimum_zero_starts_empty (void)
{
  g_autoptr(GtkWidget) page = new_page (NULL);
  g_autoptr(JsonNode) all = ps_catalog_search (shipped, NULL, NULL, NULL, 0, 0, NULL);
  gboolean seen = FALSE;

  for (guint p = 0; p < json_array_get_length (json_node_get_array (all)); p++)
    {
      const char *id = json_object_get_string_member (
        json_array_get_object_element (json_node_get_array (all), p), "proc_id");
      g_autoptr(JsonNode) def = definition (id);
      const KioskProcedureSpec *spec;

      kiosk_form_page_set_procedure (KIOSK_FORM_PAGE (page), def);
      spec = kiosk_form_page_get_spec (KIOSK_FORM_PAGE (page));
      for (guint i = 0; i < spec->sections->len; i++)
        {
          const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);
          g_autofree char *add = NULL;

          if (!s->repeated || s->min_entries != 0)
            continue;
          seen = TRUE;
          g_assert_cmpuint (kiosk_form_section_get_n_entries (section_of (page, s->id)), ==, 0);
          add = g_strdup_printf ("Add %s", s->entry_label);
          tap (page, GTK_TYPE_BUTTON, add);
          g_assert_cmpuint (kiosk_form_section_get_n_entries (section_of (page, s->id)), ==, 1);
          {
            g_autofree char *remove = g_strdup_printf ("Remove %s 1", s->entry_label);

            tap (page, GTK_TYPE_BUTTON, remove);
          }
          g_assert_cmpuint (kiosk_form_section_get_n_entries (section_of (page, s->id)), ==, 0);
        }
    }
  g_assert_true (seen);
}

/* Every string a widget shows or tells accessibility tools. */
static void
widget_strings (GtkWidget *w, GPtrArray *out)
{
  static const GtkAccessibleProperty props[] = {
    GTK_ACCESSIBLE_PROPERTY_LABEL, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
    GTK_ACCESSIBLE_PROPERTY_PLACEHOLDER, GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT,
    GTK_ACCESSIBLE_PROPERTY_ROLE_DESCRIPTION, GTK_ACCESSIBLE_PROPERTY_KEY_SHORTCUTS,
  };

  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      char *v = accessible_string (w, props[i]);

      if (v != NULL)
        g_ptr_array_add (out, v);
    }
  if (GTK_IS_LABEL (w))
    g_ptr_array_add (out, g_strdup (gtk_label_get_label (GTK_LABEL (w))));
  if (GTK_IS_EDITABLE (w))
    g_ptr_array_add (out, g_strdup (gtk_editable_get_text (GTK_EDITABLE (w))));
  if (GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)))
    g_ptr_array_add (out, g_strdup (gtk_button_get_label (GTK_BUTTON (w))));
  if (GTK_IS_TEXT_VIEW (w))
    {
      GtkTextIter s, e;
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (w));

      gtk_text_buffer_get_bounds (buffer, &s, &e);
      g_ptr_array_add (out, gtk_text_buffer_get_text (buffer, &s, &e, TRUE));
    }
  if (gtk_widget_get_tooltip_text (w))
    g_ptr_array_add (out, g_strdup (gtk_widget_get_tooltip_text (w)));
  if (gtk_widget_get_name (w))
    g_ptr_array_add (out, g_strdup (gtk_widget_get_name (w)));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    widget_strings (c, out);
}

static void
assert_never_shown (GtkWidget *root, const char *secret)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  /* Not the whole number, nor its first eight digits (the last four may
   * show on the review page). */
  g_autofree char *head = g_strndup (secret, 8);

  widget_strings (root, strings);
  for (guint i = 0; i < strings->len; i++)
    {
      const char *s = g_ptr_array_index (strings, i);

      if (strstr (s, secret) != NULL || strstr (s, head) != NULL)
        g_error ("the My Number shows in \"%s\"", s);
    }
}

static void
test_my_number_never_appears_in_a_widget (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  g_autoptr(GtkWidget) review = g_object_ref_sink (kiosk_review_page_new ());
  KioskFormField *mn = field_of (page, "guardian", 0, "guardian_my_number");
  g_autoptr(JsonNode) form = NULL;
  g_autofree char *masked = NULL;

  fill_example (page);
  g_assert_true (kiosk_form_field_is_secret (mn));
  g_assert_null (kiosk_form_field_get_value (mn));
  masked = kiosk_form_field_dup_masked (mn);
  g_assert_cmpstr (masked, ==, "●●●● ●●●● 3965");
  /* The field holds it: it is in the form JSON (and only there). */
  form = kiosk_form_page_get_form (KIOSK_FORM_PAGE (page));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_node_get_object (form), "items"), "guardian_my_number"), ==, MY_NUMBER);
  assert_never_shown (page, MY_NUMBER);
  kiosk_review_page_show (KIOSK_REVIEW_PAGE (review), KIOSK_FORM_PAGE (page));
  assert_never_shown (review, MY_NUMBER);

  /* A wrong check digit is told, without the number. */
  tap (page, GTK_TYPE_BUTTON, "Next");
  press (find (find (page, KIOSK_TYPE_KEYPAD, "Keypad for “保護者の個人番号”"),
               GTK_TYPE_BUTTON, "Delete"));
  tap_digits (page, "保護者の個人番号", "4");
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
  {
    g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
    gboolean told = FALSE;

    widget_strings (page, strings);
    for (guint i = 0; i < strings->len; i++)
      told |= g_str_has_prefix (g_ptr_array_index (strings, i),
                                "This is not a valid My Number");
    g_assert_true (told);
  }
  assert_never_shown (page, "840281753964");
}

/* ---- attachments ---- */

static void
write_file (const char *dir, const char *name, const char *head, gsize head_len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  char body[256];

  memset (body, 'x', sizeof body);
  memcpy (body, head, head_len);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, body, sizeof body, &error);
  g_assert_no_error (error);
}

typedef struct {
  char *root;        /* a temporary folder holding both */
  char *inside;      /* the configured folder */
  char *outside;
} Folders;

static const char pdf_magic[] = "%PDF-1.7\n";
static const char png_magic[] = "\x89PNG\r\n\x1a\n";
static const char jpeg_magic[] = "\xff\xd8\xff\xe0";

static void
folders_make (Folders *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *link_out = NULL, *link_in = NULL, *link_dir = NULL, *secret = NULL;
  g_autofree char *deep = NULL;

  f->root = g_dir_make_tmp ("kiosk-form-XXXXXX", &error);
  g_assert_no_error (error);
  f->inside = g_build_filename (f->root, "scans", NULL);
  f->outside = g_build_filename (f->root, "private", NULL);
  write_file (f->inside, "a.pdf", pdf_magic, 9);
  write_file (f->inside, "b.JPG", jpeg_magic, 4);
  write_file (f->inside, "c.png", png_magic, 8);
  write_file (f->inside, "fake.pdf", "GIF89a", 6);           /* wrong content */
  write_file (f->inside, "notes.txt", pdf_magic, 9);         /* wrong extension */
  write_file (f->inside, ".hidden.pdf", pdf_magic, 9);
  write_file (f->inside, "sub/d.pdf", pdf_magic, 9);         /* one level down */
  write_file (f->inside, "sub/deeper/e.pdf", pdf_magic, 9);  /* two: not listed */
  write_file (f->outside, "secret.pdf", pdf_magic, 9);
  secret = g_build_filename (f->outside, "secret.pdf", NULL);
  deep = g_build_filename (f->inside, "sub", "deeper", "e.pdf", NULL);
  link_out = g_build_filename (f->inside, "out.pdf", NULL);
  link_in = g_build_filename (f->inside, "in.pdf", NULL);
  link_dir = g_build_filename (f->inside, "elsewhere", NULL);
  g_assert_cmpint (symlink (secret, link_out), ==, 0);        /* out of the folder */
  g_assert_cmpint (symlink (deep, link_in), ==, 0);           /* stays inside */
  g_assert_cmpint (symlink (f->outside, link_dir), ==, 0);    /* a linked folder */
}

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (d);
    }
  g_rmdir (path);
}

static void
folders_free (Folders *f)
{
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->inside);
  g_free (f->outside);
}

static char *
names_of (GPtrArray *files)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (names, ((KioskAttachmentFile *) g_ptr_array_index (files, i))->display_name);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static gboolean
picker_done (gpointer data)
{
  return !kiosk_attachment_picker_is_loading (data);
}

static void
test_attachment_files_come_only_from_the_folder (void)
{
  Folders f = { 0 };
  const char *dirs[2] = { NULL, NULL };
  g_autoptr(GPtrArray) all = NULL, images = NULL;
  g_autofree char *all_names = NULL, *image_names = NULL, *secret = NULL;
  g_autoptr(GError) error = NULL;
  KioskContentType type;

  folders_make (&f);
  dirs[0] = f.inside;
  all = kiosk_attachment_scan (dirs, KIOSK_CONTENT_PDF | KIOSK_CONTENT_JPEG | KIOSK_CONTENT_PNG,
                               NULL, &error);
  g_assert_no_error (error);
  all_names = names_of (all);
  g_assert_cmpstr (all_names, ==, "a.pdf b.JPG c.png in.pdf sub/d.pdf");
  images = kiosk_attachment_scan (dirs, KIOSK_CONTENT_JPEG | KIOSK_CONTENT_PNG, NULL, &error);
  image_names = names_of (images);
  g_assert_cmpstr (image_names, ==, "b.JPG c.png");

  /* A path outside, or one reached through a link, is refused when it is
   * checked again. */
  secret = g_build_filename (f.outside, "secret.pdf", NULL);
  g_assert_false (kiosk_attachment_file_check (dirs, secret, KIOSK_CONTENT_PDF, &type, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  {
    g_autofree char *link = g_build_filename (f.inside, "out.pdf", NULL);

    g_assert_false (kiosk_attachment_file_check (dirs, link, KIOSK_CONTENT_PDF, &type, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_clear_error (&error);
  }
  folders_free (&f);
}

static void
test_attachment_picker_lists_the_folder_and_refuses_links_out (void)
{
  Folders f = { 0 };
  const char *dirs[2] = { NULL, NULL };
  g_autoptr(GtkWidget) page = NULL;
  g_autoptr(GPtrArray) pickers = NULL;
  KioskAttachmentPicker *picker;
  KioskAttachmentRow *tsuchou;
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_package_builder) b = NULL;
  g_autofree char *listed = NULL;
  guint index_a = G_MAXUINT;

  folders_make (&f);
  dirs[0] = f.inside;
  page = new_page (EXAMPLE);
  kiosk_form_page_set_attachment_dirs (KIOSK_FORM_PAGE (page), dirs);
  fill_example (page);
  tap (page, GTK_TYPE_CHECK_BUTTON, "口座を指定する（償還払いの助成金の受取方法）");
  type_into (page, "金融機関名", "宮崎銀行");
  type_into (page, "金融機関コード", "0184");
  type_into (page, "支店名", "本店営業部");
  type_into (page, "支店コード", "001");
  tap (page, GTK_TYPE_CHECK_BUTTON, "普通（預金種別）");
  type_into (page, "口座番号", "1234567");
  type_into (page, "口座名義（フリガナ）", "カトウ　ダイスケ");
  tsuchou = row_of (page, "tsuchou");
  g_assert_true (kiosk_attachment_row_get_required (tsuchou));
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));

  tap (page, GTK_TYPE_BUTTON, "Choose a file for “保護者名義の通帳またはキャッシュカードの写し”");
  pickers = all_of (page, KIOSK_TYPE_ATTACHMENT_PICKER);
  g_assert_cmpuint (pickers->len, ==, 1);
  picker = g_ptr_array_index (pickers, 0);
  g_assert_true (gtk_widget_get_child_visible (GTK_WIDGET (picker)));
  g_assert_true (wait_for (picker_done, picker));
  listed = names_of (kiosk_attachment_picker_get_files (picker));
  g_assert_cmpstr (listed, ==, "a.pdf b.JPG c.png in.pdf sub/d.pdf");
  /* Each is a row named by the file. */
  g_assert_true (exists (GTK_WIDGET (picker), GTK_TYPE_LIST_BOX_ROW, "sub/d.pdf"));
  g_assert_false (exists (GTK_WIDGET (picker), GTK_TYPE_LIST_BOX_ROW, "out.pdf"));
  for (guint i = 0; i < kiosk_attachment_picker_get_files (picker)->len; i++)
    if (g_str_equal (((KioskAttachmentFile *) g_ptr_array_index (
                       kiosk_attachment_picker_get_files (picker), i))->display_name, "a.pdf"))
      index_a = i;
  g_assert_cmpuint (index_a, !=, G_MAXUINT);
  press (find (GTK_WIDGET (picker), GTK_TYPE_LIST_BOX_ROW, "a.pdf"));
  g_assert_cmpuint (kiosk_attachment_row_get_n_files (tsuchou), ==, 1);
  g_assert_true (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));

  b = kiosk_form_page_build_package (KIOSK_FORM_PAGE (page), &error);
  g_assert_no_error (error);
  {
    const char *ids[] = { "tsuchou" };

    g_assert_true (portal_accepts (b, EXAMPLE, ids, 1));
  }
  g_clear_pointer (&b, mp_package_builder_free);

  /* The chosen file becomes a link out of the folder before the package
   * is built: refused. */
  {
    g_autofree char *a = g_build_filename (f.inside, "a.pdf", NULL);
    g_autofree char *secret = g_build_filename (f.outside, "secret.pdf", NULL);

    g_assert_cmpint (g_unlink (a), ==, 0);
    g_assert_cmpint (symlink (secret, a), ==, 0);
    b = kiosk_form_page_build_package (KIOSK_FORM_PAGE (page), &error);
    g_assert_null (b);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  }
  kiosk_form_page_clear (KIOSK_FORM_PAGE (page));
  folders_free (&f);
}

/* ---- review ---- */

static void
test_review_shows_every_answer_and_masks_the_my_number (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  g_autoptr(GtkWidget) review = g_object_ref_sink (kiosk_review_page_new ());
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean edit = FALSE, confirmed = FALSE;
  static const char *want[] = {
    "子ども医療費助成の受給資格認定申請", "Submitted to: 都城市 こども部 こども政策課",
    "保護者", "保護者の氏名", "加藤　大輔", "カトウ　ダイスケ", "1989-01-08",
    "●●●● ●●●● 3965", "885-0029", "宮崎県都城市姫城町７街区１０号", "090-1234-5678",
    "健康保険（会社員など）", "子ども 1", "子ども 2", "加藤　蓮", "カトウ　レン", "2018-04-10",
    "加藤　結衣", "2021-08-25", "全国健康保険協会 宮崎支部", "公金受取口座を利用する",
    "(no answer)", "Ticked", "Documents to attach",
    "Omitted: checked through information linkage (情報連携で省略)", "Not attached",
    "Sign and send",
  };

  g_signal_connect_swapped (review, "edit-requested", G_CALLBACK (set_flag), &edit);
  g_signal_connect_swapped (review, "confirmed", G_CALLBACK (set_flag), &confirmed);
  fill_example (page);
  kiosk_review_page_show (KIOSK_REVIEW_PAGE (review), KIOSK_FORM_PAGE (page));
  widget_strings (review, strings);
  for (guint i = 0; i < strings->len; i++)
    g_hash_table_add (shown, g_ptr_array_index (strings, i));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    if (!g_hash_table_contains (shown, want[i]))
      g_error ("the review does not show \"%s\"", want[i]);
  /* The seven answers about the bank account were not given. */
  {
    g_autoptr(GPtrArray) labels = all_of (review, GTK_TYPE_LABEL);
    guint none = 0;

    for (guint i = 0; i < labels->len; i++)
      none += g_str_equal (gtk_label_get_label (g_ptr_array_index (labels, i)), "(no answer)");
    g_assert_cmpuint (none, ==, 7);
  }
  tap (review, GTK_TYPE_BUTTON, "Change the answers");
  tap (review, GTK_TYPE_BUTTON, "Sign and send");
  g_assert_true (edit);
  g_assert_true (confirmed);
  kiosk_review_page_clear (KIOSK_REVIEW_PAGE (review));
  {
    g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func (g_free);

    widget_strings (review, after);
    for (guint i = 0; i < after->len; i++)
      g_assert_null (strstr (g_ptr_array_index (after, i), "加藤"));
  }
}

/* ---- clearing ---- */

static gboolean
finalized (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
record_length (KioskSecretField *field, guint *last)
{
  *last = kiosk_secret_field_get_length (field);
}

static void
test_clear_leaves_no_field_and_wipes_the_my_number (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  g_autoptr(GPtrArray) secrets = NULL, fields = NULL, entries = NULL;
  g_autoptr(JsonNode) form = NULL;
  guint last = 99;
  gpointer secret, some_field;

  fill_example (page);
  secrets = all_of (page, KIOSK_TYPE_SECRET_FIELD);
  g_assert_cmpuint (secrets->len, ==, 1);
  g_assert_cmpuint (kiosk_secret_field_get_length (g_ptr_array_index (secrets, 0)), ==, 12);
  g_signal_connect (g_ptr_array_index (secrets, 0), "changed", G_CALLBACK (record_length), &last);
  fields = all_of (page, KIOSK_TYPE_FORM_FIELD);
  g_assert_cmpuint (fields->len, >, 20);
  secret = g_ptr_array_index (secrets, 0);
  some_field = g_ptr_array_index (fields, fields->len - 1);
  g_object_add_weak_pointer (G_OBJECT (secret), (gpointer *) &secret);
  g_object_add_weak_pointer (G_OBJECT (some_field), (gpointer *) &some_field);
  g_clear_pointer (&fields, g_ptr_array_unref);
  g_clear_pointer (&secrets, g_ptr_array_unref);

  kiosk_form_page_clear (KIOSK_FORM_PAGE (page));
  g_assert_cmpuint (last, ==, 0);
  /* Destroyed, not just hidden: nothing holds them any more. */
  g_assert_true (wait_for (finalized, &secret));
  g_assert_true (wait_for (finalized, &some_field));
  fields = all_of (page, KIOSK_TYPE_FORM_FIELD);
  entries = all_of (page, GTK_TYPE_ENTRY);
  g_assert_cmpuint (fields->len, ==, 0);
  g_assert_cmpuint (entries->len, ==, 0);
  secrets = all_of (page, KIOSK_TYPE_SECRET_FIELD);
  g_assert_cmpuint (secrets->len, ==, 0);
  g_clear_pointer (&fields, g_ptr_array_unref);
  fields = all_of (page, KIOSK_TYPE_ATTACHMENT_ROW);
  g_assert_cmpuint (fields->len, ==, 0);
  g_assert_null (kiosk_form_page_get_spec (KIOSK_FORM_PAGE (page)));
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
  form = kiosk_form_page_get_form (KIOSK_FORM_PAGE (page));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (
                      json_node_get_object (form), "items")), ==, 0);
  assert_never_shown (page, "加藤");
}

/* ---- messages ---- */

static const char *
message_of (KioskFormField *field)
{
  g_autoptr(GPtrArray) labels = all_of (GTK_WIDGET (field), GTK_TYPE_LABEL);

  /* The message is the error-styled label, shown or not. */
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *l = g_ptr_array_index (labels, i);

      if (gtk_widget_has_css_class (l, "kiosk-error"))
        return gtk_widget_get_visible (l) ? gtk_label_get_label (GTK_LABEL (l)) : NULL;
    }
  return NULL;
}

static void
test_messages_wait_for_an_edit_or_next (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  KioskFormField *kana = field_of (page, "guardian", 0, "guardian_kana");
  KioskFormField *name = field_of (page, "guardian", 0, "guardian_name");
  GtkWidget *kana_entry = find (page, GTK_TYPE_ENTRY, "保護者の氏名（フリガナ）");
  g_autofree char *description = NULL;

  g_assert_null (message_of (kana));
  g_assert_null (message_of (name));
  type_into (page, "保護者の氏名（フリガナ）", "カトウ");
  g_assert_null (message_of (kana));
  type_into (page, "保護者の氏名（フリガナ）", "かとう");
  g_assert_cmpstr (message_of (kana), ==,
                   "The format is not right. 全角カタカナで入力してください（姓と名の間は空白）");
  description = accessible_string (kana_entry, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_assert_cmpstr (description, ==, message_of (kana));
  /* The untouched field says nothing until Next. */
  g_assert_null (message_of (name));
  tap (page, GTK_TYPE_BUTTON, "Next");
  g_assert_cmpstr (message_of (name), ==, "This must be filled in.");
  type_into (page, "保護者の氏名", "加藤　大輔加藤　大輔加藤　大輔加藤　大輔加藤　大輔加藤　大輔加");
  g_assert_cmpstr (message_of (name), ==, "Enter at most 30 characters. There are 31 now.");
  type_date (page, "保護者の生年月日", "2023", "2", "29");
  g_assert_cmpstr (message_of (field_of (page, "guardian", 0, "guardian_birth_date")), ==,
                   "There is no such day. Check the month and the day.");
  type_date (page, "保護者の生年月日", "2199", "1", "1");
  g_assert_cmpstr (message_of (field_of (page, "guardian", 0, "guardian_birth_date")), ==,
                   "Enter a date in the past (today at the latest).");
}

static void
test_keyboard_layout_is_tagged_on_each_input (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);

  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY, "保護者の氏名")), ==,
                   KIOSK_KEYBOARD_LATIN);
  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY, "保護者の氏名（フリガナ）")),
                   ==, KIOSK_KEYBOARD_KATAKANA);
  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY, "郵便番号")), ==,
                   KIOSK_KEYBOARD_NUMBER);
  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY,
                                                 "日中に連絡の取れる電話番号")), ==,
                   KIOSK_KEYBOARD_NUMBER);
  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY, "保護者の生年月日, month")),
                   ==, KIOSK_KEYBOARD_NUMBER);
  g_assert_cmpint (kiosk_keyboard_tag_get (find (page, GTK_TYPE_ENTRY, "金融機関コード")), ==,
                   KIOSK_KEYBOARD_NUMBER);
}

static void
test_report_items_land_under_their_fields (void)
{
  g_autoptr(GtkWidget) page = new_page (EXAMPLE);
  const char *items[] = {
    "form.guardian_phone", "form.children[2].child_birth_date", "attachment:tsuchou",
    "form.children", "guardian_name", "form", NULL,
  };
  const char *contents[] = {
    "電話番号の形式が正しくありません。", "「子どもの生年月日」（子ども 2人目）に今日より後の日付は入力できません。",
    "「保護者名義の通帳またはキャッシュカードの写し」を添付してください。", "子どもを1人以上入力してください。",
    "氏名を確かめてください。", "申請データを読み取れません。", NULL,
  };
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);

  tap (page, GTK_TYPE_BUTTON, "Add 子ども");
  kiosk_form_page_show_report (KIOSK_FORM_PAGE (page), items, contents);
  widget_strings (page, strings);
  for (guint i = 0; i < strings->len; i++)
    g_hash_table_add (shown, g_ptr_array_index (strings, i));
  for (guint i = 0; contents[i]; i++)
    g_assert_true (g_hash_table_contains (shown, contents[i]));
  g_assert_true (g_hash_table_contains (shown, "The office's system asks for 6 corrections. "
                                                "They are marked in the form."));
  /* Each under its own place. */
  {
    g_autoptr(GPtrArray) in_child = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) in_phone = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) in_name = g_ptr_array_new_with_free_func (g_free);
    gboolean child = FALSE, phone = FALSE, name = FALSE;

    widget_strings (GTK_WIDGET (field_of (page, "children", 2, "child_birth_date")), in_child);
    widget_strings (GTK_WIDGET (field_of (page, "guardian", 0, "guardian_phone")), in_phone);
    widget_strings (GTK_WIDGET (field_of (page, "guardian", 0, "guardian_name")), in_name);
    for (guint i = 0; i < in_child->len; i++)
      child |= g_str_equal (g_ptr_array_index (in_child, i), contents[1]);
    for (guint i = 0; i < in_phone->len; i++)
      phone |= g_str_equal (g_ptr_array_index (in_phone, i), contents[0]);
    for (guint i = 0; i < in_name->len; i++)
      name |= g_str_equal (g_ptr_array_index (in_name, i), contents[4]);
    g_assert_true (child && phone && name);
  }
  /* An edit takes the portal's words away from that field. */
  type_into (page, "日中に連絡の取れる電話番号", "090-1234-5678");
  {
    g_autoptr(GPtrArray) in_phone = g_ptr_array_new_with_free_func (g_free);

    widget_strings (GTK_WIDGET (field_of (page, "guardian", 0, "guardian_phone")), in_phone);
    for (guint i = 0; i < in_phone->len; i++)
      g_assert_cmpstr (g_ptr_array_index (in_phone, i), !=, contents[0]);
  }
}

/* ---- every shipped procedure ---- */

static void
test_every_shipped_procedure_builds (void)
{
  g_autoptr(GtkWidget) page = new_page (NULL);
  g_autoptr(JsonNode) all = ps_catalog_search (shipped, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *list = json_node_get_array (all);
  guint n_fields = 0;

  g_assert_cmpuint (json_array_get_length (list), >=, 89);
  for (guint p = 0; p < json_array_get_length (list); p++)
    {
      const char *id = json_object_get_string_member (json_array_get_object_element (list, p),
                                                      "proc_id");
      g_autoptr(JsonNode) def = definition (id);
      const KioskProcedureSpec *spec;
      g_autoptr(GPtrArray) fields = NULL, rows = NULL, editables = NULL;
      guint want = 0, want_multiline = 0;
      g_autoptr(GPtrArray) views = NULL;

      kiosk_form_page_set_procedure (KIOSK_FORM_PAGE (page), def);
      spec = kiosk_form_page_get_spec (KIOSK_FORM_PAGE (page));
      g_assert_nonnull (spec);
      for (guint i = 0; i < spec->sections->len; i++)
        {
          const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);

          want += s->fields->len * (s->repeated ? s->min_entries : 1);
          for (guint j = 0; j < s->fields->len; j++)
            want_multiline += ((KioskFieldSpec *) g_ptr_array_index (s->fields, j))->multiline
                              ? (s->repeated ? s->min_entries : 1) : 0;
        }
      fields = all_of (page, KIOSK_TYPE_FORM_FIELD);
      g_assert_cmpuint (fields->len, ==, want);
      /* Multi-line text is a text view, with a keyboard like any input. */
      views = all_of (page, GTK_TYPE_TEXT_VIEW);
      g_assert_cmpuint (views->len, ==, want_multiline);
      for (guint i = 0; i < views->len; i++)
        g_assert_cmpint (kiosk_keyboard_tag_get (g_ptr_array_index (views, i)), ==,
                         KIOSK_KEYBOARD_LATIN);
      rows = all_of (page, KIOSK_TYPE_ATTACHMENT_ROW);
      g_assert_cmpuint (rows->len, ==, spec->attachments->len);
      /* Every input has a name and a keyboard. */
      editables = all_of (page, GTK_TYPE_ENTRY);
      for (guint i = 0; i < editables->len; i++)
        {
          g_autofree char *name = accessible_name (g_ptr_array_index (editables, i));

          g_assert_nonnull (name);
          g_assert_cmpint (kiosk_keyboard_tag_get (g_ptr_array_index (editables, i)), !=,
                           KIOSK_KEYBOARD_NONE);
        }
      /* Not complete before anything is answered; no message shown yet. */
      g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
      for (guint i = 0; i < fields->len; i++)
        g_assert_null (message_of (g_ptr_array_index (fields, i)));
      n_fields += fields->len;
    }
  g_test_message ("%u procedures, %u field widgets", json_array_get_length (list), n_fields);
  kiosk_form_page_clear (KIOSK_FORM_PAGE (page));
}

static void
test_a_broken_definition_shows_no_form (void)
{
  g_autoptr(GtkWidget) page = new_page (NULL);
  g_autoptr(JsonNode) def = json_from_string ("{\"proc_id\": \"x\", \"title\": \"t\","
                                              " \"form\": {\"sections\": []}}", NULL);

  g_test_expect_message ("kioskform", G_LOG_LEVEL_WARNING, "*cannot be shown*");
  kiosk_form_page_set_procedure (KIOSK_FORM_PAGE (page), def);
  g_test_assert_expected_messages ();
  g_assert_null (kiosk_form_page_get_spec (KIOSK_FORM_PAGE (page)));
  g_assert_false (gtk_widget_is_sensitive (find (page, GTK_TYPE_BUTTON, "Next")));
  g_assert_false (kiosk_form_page_is_complete (KIOSK_FORM_PAGE (page)));
}

typedef struct {
  const char *path;
  void (*run) (void);
} TestCase;

static const TestCase tests[] = {
  { "/kiosk/form/page/every-shipped-procedure-builds", test_every_shipped_procedure_builds },
  { "/kiosk/form/page/a-broken-definition-shows-no-form", test_a_broken_definition_shows_no_form },
  { "/kiosk/form/page/filling-the-example-gives-the-expected-form", test_filling_the_example_gives_the_expected_form },
  { "/kiosk/form/page/condition-makes-the-bank-fields-required", test_condition_makes_the_bank_fields_required },
  { "/kiosk/form/page/repeated-group-stays-within-its-limits", test_repeated_group_stays_within_its_limits },
  { "/kiosk/form/page/group-with-minimum-zero-starts-empty", test_group_with_minimum_zero_starts_empty },
  { "/kiosk/form/page/my-number-never-appears-in-a-widget", test_my_number_never_appears_in_a_widget },
  { "/kiosk/form/page/messages-wait-for-an-edit-or-next", test_messages_wait_for_an_edit_or_next },
  { "/kiosk/form/page/keyboard-layout-is-tagged-on-each-input", test_keyboard_layout_is_tagged_on_each_input },
  { "/kiosk/form/page/report-items-land-under-their-fields", test_report_items_land_under_their_fields },
  { "/kiosk/form/attachments/files-come-only-from-the-folder", test_attachment_files_come_only_from_the_folder },
  { "/kiosk/form/attachments/picker-lists-the-folder-and-refuses-links-out", test_attachment_picker_lists_the_folder_and_refuses_links_out },
  { "/kiosk/form/review/shows-every-answer-and-masks-the-my-number", test_review_shows_every_answer_and_masks_the_my_number },
  { "/kiosk/form/page/clear-leaves-no-field-and-wipes-the-my-number", test_clear_leaves_no_field_and_wipes_the_my_number },
};

/* Each test, then its window closed. */
static void
run_test (gconstpointer data)
{
  const TestCase *t = data;

  t->run ();
  close_window ();
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  gtk_test_init (&argc, &argv, NULL);
  /* gtk_test_init leaves the C locale; the form is Japanese. */
  setlocale (LC_ALL, "C.UTF-8");
  /* A switch flips at the end of its animation: none, so a tap acts at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  kioskwidgets_register_resource ();
  kioskform_register_resource ();
  if (!ps_catalog_load (PS_CATALOG_DATA_DIR, &shipped, &error))
    g_error ("the shipped catalogue does not load: %s", error->message);

  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    g_test_add_data_func (tests[i].path, &tests[i], run_test);
  rc = g_test_run ();
  ps_catalog_free (shipped);
  return rc;
}
