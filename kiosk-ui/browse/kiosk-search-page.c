/* kiosk-search-page.c - ぴったりサービス: find a procedure.
 *
 * portal-sim offers no list of municipalities, so the municipality is its
 * 6-digit 全国地方公共団体コード typed on the number keyboard (the default
 * comes from [kiosk] city-code), checked with its check digit before
 * anything is sent, and named from the results (city_name, prefecture).
 * Typing waits 300 ms for the next key before it searches; a category
 * toggle searches at once. Only the newest search may show its answer: the
 * one before is cancelled when a new one starts. */

#include "kiosk-search-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kiosk-browse-util.h"
#include "kiosk-keyboard.h"
#include "kiosk-load-status.h"

#define SEARCH_DEBOUNCE_MS 300
#define SEARCH_PAGE_SIZE 20

struct _KioskSearchPage
{
  GtkWidget parent_instance;

  GtkScrolledWindow *scroller;
  GtkEntry *city_entry;
  GtkLabel *city_name_label;
  GtkToggleButton *all_toggle;
  GtkToggleButton *childcare_toggle;
  GtkToggleButton *care_toggle;
  GtkToggleButton *disaster_toggle;
  GtkEntry *keyword_entry;
  GtkLabel *count_label;
  GtkStack *stack;
  KioskLoadStatus *status;
  GtkListBox *results;
  GtkButton *more_button;
  GtkSpinner *more_spinner;

  mp_client *client;          /* borrowed */
  GCancellable *cancellable;  /* of the search in flight */
  guint debounce_id;
  gboolean updating;          /* criteria set by the program: no search */

  /* The criteria of the results shown, for "More results". */
  char *q_city;
  char *q_category;
  char *q_keyword;
  guint loaded;
  guint total;
};

G_DEFINE_FINAL_TYPE (KioskSearchPage, kiosk_search_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_PROCEDURE_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void search_now (KioskSearchPage *self);

/* 全国地方公共団体コード: five digits and a check digit, (11 - (d1*6 +
 * d2*5 + d3*4 + d4*3 + d5*2) mod 11) mod 10. */
static gboolean
city_code_valid (const char *code)
{
  if (strlen (code) != 6 || strspn (code, "0123456789") != 6)
    return FALSE;
  int sum = 0;
  for (int i = 0; i < 5; i++)
    sum += (code[i] - '0') * (6 - i);
  return (11 - sum % 11) % 10 == code[5] - '0';
}

static const char *
selected_category (KioskSearchPage *self)
{
  if (gtk_toggle_button_get_active (self->childcare_toggle))
    return "子育て";
  if (gtk_toggle_button_get_active (self->care_toggle))
    return "介護";
  if (gtk_toggle_button_get_active (self->disaster_toggle))
    return "被災者支援";
  return NULL;
}

static void
stop_debounce (KioskSearchPage *self)
{
  g_clear_handle_id (&self->debounce_id, g_source_remove);
}

static void
forget_results (KioskSearchPage *self)
{
  kiosk_browse_list_clear (self->results);
  self->loaded = 0;
  self->total = 0;
  gtk_label_set_label (self->count_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), FALSE);
  gtk_spinner_stop (self->more_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), FALSE);
}

static void
show_status_only (KioskSearchPage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "status");
}

static GtkWidget *
result_row (JsonObject *summary)
{
  const char *proc_id = kiosk_browse_json_string (summary, "proc_id");
  const char *title = kiosk_browse_json_string (summary, "title");
  const char *city = kiosk_browse_json_string (summary, "city_name");
  const char *pref = kiosk_browse_json_string (summary, "prefecture");
  const char *category = kiosk_browse_json_string (summary, "category");
  gboolean signature = kiosk_browse_json_bool (summary, "signature_required", FALSE);
  if (proc_id == NULL || title == NULL)
    return NULL;

  g_autofree char *place = g_strjoin (" ", pref ? pref : "", city ? city : "", NULL);
  g_strstrip (place);
  GString *d_text = g_string_new (place);
  if (category)
    g_string_append_printf (d_text, "%s%s", d_text->len ? "  ·  " : "",
                            kiosk_browse_category_label (category));
  g_string_append_printf (d_text, "%s%s", d_text->len ? "  ·  " : "",
                          signature ? _("Signature certificate needed") : _("No signature needed"));
  g_autofree char *details = g_string_free (d_text, FALSE);

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (title, "kiosk-subtitle"));
  GtkWidget *d = kiosk_browse_label_new (details, "kiosk-body");
  gtk_widget_add_css_class (d, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), d);

  GtkWidget *row = kiosk_browse_row_new (box, TRUE);
  g_autofree char *name = g_strdup_printf ("%s, %s", title, place);
  kiosk_browse_set_name (row, name);
  kiosk_browse_set_description (row, details);
  g_object_set_data_full (G_OBJECT (row), "proc-id", g_strdup (proc_id), g_free);
  return row;
}

static void
search_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                 const GError *error, gpointer data)
{
  KioskSearchPage *self = owner;
  guint offset = GPOINTER_TO_UINT (data);

  if (cancellable != self->cancellable)
    return;
  gtk_spinner_stop (self->more_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), TRUE);

  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "procedures: results is not a list");
  if (error || bad)
    {
      forget_results (self);
      show_status_only (self);
      if (!kiosk_load_status_show_error (self->status, error ? error : bad))
        kiosk_load_status_reset (self->status);
      gtk_label_set_label (self->city_name_label, "");
      return;
    }

  if (offset == 0)
    forget_results (self);
  guint n = json_array_get_length (items);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *summary = kiosk_browse_json_object_at (items, i);
      GtkWidget *row = summary ? result_row (summary) : NULL;
      if (row)
        {
          gtk_list_box_append (self->results, row);
          self->loaded++;
        }
    }
  self->total = MAX (kiosk_browse_all_count (result, self->loaded), self->loaded);

  if (self->q_city && n > 0 && offset == 0)
    {
      JsonObject *first = kiosk_browse_json_object_at (items, 0);
      const char *pref = kiosk_browse_json_string (first, "prefecture");
      const char *city = kiosk_browse_json_string (first, "city_name");
      g_autofree char *place = g_strjoin (" ", pref ? pref : "", city ? city : "", NULL);
      gtk_label_set_label (self->city_name_label, g_strstrip (place));
    }
  else if (self->q_city && offset == 0)
    gtk_label_set_label (self->city_name_label, "");

  if (self->loaded == 0)
    {
      show_status_only (self);
      kiosk_load_status_show_empty (self->status,
                                    _("No procedures found. Try another keyword or category, "
                                      "or check the municipality code."));
      return;
    }
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "results");
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "%u procedure found",
                                                         "%u procedures found",
                                                         self->total),
                                            self->total);
  gtk_label_set_label (self->count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), self->loaded < self->total);
}

static void
send_search (KioskSearchPage *self, guint offset)
{
  GCancellable *c = kiosk_browse_renew_cancellable (&self->cancellable);
  kiosk_browse_call (self, self->client,
                     mp_call_procedures (self->q_city, self->q_category, self->q_keyword,
                                         SEARCH_PAGE_SIZE, offset),
                     c, search_answered, GUINT_TO_POINTER (offset));
}

static void
search_now (KioskSearchPage *self)
{
  stop_debounce (self);
  g_return_if_fail (self->client != NULL);

  g_autofree char *city = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->city_entry))));
  g_autofree char *keyword = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->keyword_entry))));

  kiosk_browse_cancel (&self->cancellable);
  forget_results (self);
  show_status_only (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);

  if (*city && !city_code_valid (city))
    {
      gtk_label_set_label (self->city_name_label, "");
      kiosk_load_status_show_empty (self->status,
                                    strlen (city) < 6 || strspn (city, "0123456789") != strlen (city)
                                      ? _("Enter the 6 digits of the municipality code, or leave it "
                                          "empty to search in every municipality.")
                                      : _("No municipality has this code. Check the number."));
      return;
    }

  g_free (self->q_city);
  g_free (self->q_category);
  g_free (self->q_keyword);
  self->q_city = *city ? g_steal_pointer (&city) : NULL;
  self->q_category = g_strdup (selected_category (self));
  self->q_keyword = *keyword ? g_steal_pointer (&keyword) : NULL;

  gtk_label_set_label (self->city_name_label,
                       self->q_city ? "" : _("All municipalities"));
  kiosk_load_status_show_loading (self->status);
  send_search (self, 0);
}

static gboolean
debounce_fired (gpointer user_data)
{
  KioskSearchPage *self = user_data;
  self->debounce_id = 0;
  search_now (self);
  return G_SOURCE_REMOVE;
}

static void
criteria_changed (KioskSearchPage *self)
{
  if (self->updating || self->client == NULL)
    return;
  stop_debounce (self);
  self->debounce_id = g_timeout_add (SEARCH_DEBOUNCE_MS, debounce_fired, self);
}

static void
category_toggled (KioskSearchPage *self, GtkToggleButton *toggle)
{
  /* Toggling one button of the group also untoggles another: act once. */
  if (self->updating || self->client == NULL || !gtk_toggle_button_get_active (toggle))
    return;
  search_now (self);
}

static void
retry_requested (KioskSearchPage *self)
{
  search_now (self);
}

static void
more_clicked (KioskSearchPage *self)
{
  if (self->client == NULL || self->loaded >= self->total)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), TRUE);
  gtk_spinner_start (self->more_spinner);
  send_search (self, self->loaded);
}

static void
row_activated (KioskSearchPage *self, GtkListBoxRow *row)
{
  const char *proc_id = g_object_get_data (G_OBJECT (row), "proc-id");
  if (proc_id)
    g_signal_emit (self, signals[SIGNAL_PROCEDURE_ACTIVATED], 0, proc_id);
}

static void
set_criteria (KioskSearchPage *self, const char *city)
{
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->city_entry), city ? city : "");
  gtk_editable_set_text (GTK_EDITABLE (self->keyword_entry), "");
  gtk_toggle_button_set_active (self->all_toggle, TRUE);
  self->updating = FALSE;
}

static void
kiosk_search_page_dispose (GObject *object)
{
  KioskSearchPage *self = KIOSK_SEARCH_PAGE (object);

  stop_debounce (self);
  kiosk_browse_cancel (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_SEARCH_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_search_page_parent_class)->dispose (object);
}

static void
kiosk_search_page_finalize (GObject *object)
{
  KioskSearchPage *self = KIOSK_SEARCH_PAGE (object);

  g_free (self->q_city);
  g_free (self->q_category);
  g_free (self->q_keyword);
  G_OBJECT_CLASS (kiosk_search_page_parent_class)->finalize (object);
}

static void
kiosk_search_page_class_init (KioskSearchPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_search_page_dispose;
  object_class->finalize = kiosk_search_page_finalize;

  signals[SIGNAL_PROCEDURE_ACTIVATED] =
    g_signal_new ("procedure-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-search-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, city_entry);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, city_name_label);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, all_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, childcare_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, care_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, disaster_toggle);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, keyword_entry);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, results);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, more_button);
  gtk_widget_class_bind_template_child (widget_class, KioskSearchPage, more_spinner);
  gtk_widget_class_bind_template_callback (widget_class, criteria_changed);
  gtk_widget_class_bind_template_callback (widget_class, category_toggled);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, more_clicked);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
kiosk_search_page_init (KioskSearchPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
  kiosk_keyboard_tag (GTK_WIDGET (self->city_entry), KIOSK_KEYBOARD_NUMBER);
  kiosk_keyboard_tag (GTK_WIDGET (self->keyword_entry), KIOSK_KEYBOARD_KANA);
}

GtkWidget *
kiosk_search_page_new (void)
{
  return g_object_new (KIOSK_TYPE_SEARCH_PAGE, NULL);
}

void
kiosk_search_page_set_client (KioskSearchPage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_SEARCH_PAGE (self));
  if (self->client == client)
    return;
  kiosk_search_page_clear (self);
  self->client = client;
}

void
kiosk_search_page_reset (KioskSearchPage *self, const char *default_city_code)
{
  g_return_if_fail (KIOSK_IS_SEARCH_PAGE (self));
  g_return_if_fail (self->client != NULL);

  const char *city = default_city_code;
  if (city == NULL)
    city = mp_client_config (self->client)->city_code;
  set_criteria (self, city);
  /* Back to the start: no field has the focus, so no keyboard covers the
   * results until the resident touches a field. */
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  if (focus && gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    gtk_root_set_focus (root, NULL);
  search_now (self);
}

void
kiosk_search_page_clear (KioskSearchPage *self)
{
  g_return_if_fail (KIOSK_IS_SEARCH_PAGE (self));

  stop_debounce (self);
  kiosk_browse_cancel (&self->cancellable);
  set_criteria (self, NULL);
  forget_results (self);
  g_clear_pointer (&self->q_city, g_free);
  g_clear_pointer (&self->q_category, g_free);
  g_clear_pointer (&self->q_keyword, g_free);
  gtk_label_set_label (self->city_name_label, "");
  kiosk_load_status_reset (self->status);
  show_status_only (self);
}
