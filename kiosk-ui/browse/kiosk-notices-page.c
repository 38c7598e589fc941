/* kiosk-notices-page.c - the resident's notices and one notice in full.
 *
 * GET /shinsei/v2/notice/lists gives {arrive_id, notice_sub_id, kind, title,
 * sender, notice_date} newest first; GET /shinsei/v2/notice/{arrive_id}/
 * {notice_sub_id} the same with its body. portal-sim keeps no read state,
 * so nothing is marked read here either. */

#include "kiosk-notices-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-browse-util.h"
#include "kiosk-load-status.h"

#define NOTICES_PAGE_SIZE 20

struct _KioskNoticesPage
{
  GtkWidget parent_instance;

  GtkStack *stack;
  KioskLoadStatus *status;
  GtkScrolledWindow *list_scroller;
  GtkLabel *count_label;
  GtkListBox *list;
  GtkButton *more_button;
  GtkSpinner *more_spinner;
  GtkScrolledWindow *detail_scroller;
  GtkBox *detail_box;

  mp_client *client;                /* borrowed */
  GCancellable *list_cancellable;
  GCancellable *detail_cancellable;
  gboolean in_detail;
  guint loaded;
  guint total;
  char *detail_arrive_id;           /* the notice asked for (for "Try again") */
  char *detail_sub_id;
};

G_DEFINE_FINAL_TYPE (KioskNoticesPage, kiosk_notices_page, GTK_TYPE_WIDGET)

static void load_list (KioskNoticesPage *self, guint offset);
static void load_detail (KioskNoticesPage *self);

static gboolean
is_correction (JsonObject *notice)
{
  return g_strcmp0 (kiosk_browse_json_string (notice, "kind"),
                    KIOSK_BROWSE_NOTICE_KIND_CORRECTION) == 0;
}

static void
stop_more (KioskNoticesPage *self)
{
  gtk_spinner_stop (self->more_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), TRUE);
}

static void
forget_list (KioskNoticesPage *self)
{
  kiosk_browse_list_clear (self->list);
  self->loaded = 0;
  self->total = 0;
  gtk_label_set_label (self->count_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), FALSE);
  stop_more (self);
}

static void
forget_detail (KioskNoticesPage *self)
{
  kiosk_browse_cancel (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  g_clear_pointer (&self->detail_arrive_id, g_free);
  g_clear_pointer (&self->detail_sub_id, g_free);
  self->in_detail = FALSE;
}

/* The list as it is: its rows, or the sentence for none. */
static void
show_list (KioskNoticesPage *self)
{
  if (self->loaded == 0)
    {
      kiosk_load_status_show_empty (self->status, _("You have no notices."));
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
show_error (KioskNoticesPage *self, const GError *error)
{
  gtk_stack_set_visible_child_name (self->stack, "status");
  if (!kiosk_load_status_show_error (self->status, error))
    kiosk_load_status_reset (self->status);
}

static GtkWidget *
notice_row (JsonObject *n)
{
  const char *arrive_id = kiosk_browse_json_string (n, "arrive_id");
  const char *sub_id = kiosk_browse_json_string (n, "notice_sub_id");
  const char *title = kiosk_browse_json_string (n, "title");
  const char *sender = kiosk_browse_json_string (n, "sender");
  const char *kind = kiosk_browse_json_string (n, "kind");
  g_autofree char *date = kiosk_browse_date_text (kiosk_browse_json_string (n, "notice_date"));
  gboolean correction = is_correction (n);
  if (arrive_id == NULL || sub_id == NULL)
    return NULL;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  if (correction)
    {
      GtkWidget *badge = kiosk_browse_label_new (_("Correction request"), "kiosk-body");
      gtk_widget_add_css_class (badge, "kiosk-highlight");
      gtk_widget_set_halign (badge, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (box), badge);
    }
  gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (title ? title : "", "kiosk-subtitle"));
  GString *line = g_string_new (NULL);
  if (!correction && kind)
    g_string_append_printf (line, "%s  ·  ", kind);
  g_string_append_printf (line, "%s  ·  %s", sender ? sender : "", date);
  GtkWidget *l = kiosk_browse_label_new (line->str, "kiosk-body");
  gtk_widget_add_css_class (l, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), l);

  GtkWidget *row = kiosk_browse_row_new (box, TRUE);
  /* The notice's numbers keep the name unique on screen. */
  g_autofree char *name = g_strdup_printf ("%s, %s, %s-%s", title ? title : "", date,
                                           arrive_id, sub_id);
  kiosk_browse_set_name (row, name);
  if (correction)
    {
      gtk_widget_add_css_class (row, "kiosk-highlight");
      g_autofree char *desc = g_strdup_printf ("%s %s",
                                               _("Correction request: the municipality asks you to correct an application."),
                                               line->str);
      kiosk_browse_set_description (row, desc);
    }
  else
    kiosk_browse_set_description (row, line->str);
  g_string_free (line, TRUE);
  g_object_set_data_full (G_OBJECT (row), "arrive-id", g_strdup (arrive_id), g_free);
  g_object_set_data_full (G_OBJECT (row), "sub-id", g_strdup (sub_id), g_free);
  return row;
}

static void
list_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
               const GError *error, gpointer data)
{
  KioskNoticesPage *self = owner;
  guint offset = GPOINTER_TO_UINT (data);

  if (cancellable != self->list_cancellable)
    return;
  stop_more (self);
  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "notice lists: results is not a list");
  if (error || bad)
    {
      forget_list (self);
      show_error (self, error ? error : bad);
      return;
    }
  if (offset == 0)
    forget_list (self);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *n = kiosk_browse_json_object_at (items, i);
      GtkWidget *row = n ? notice_row (n) : NULL;
      if (row)
        {
          gtk_list_box_append (self->list, row);
          self->loaded++;
        }
    }
  self->total = MAX (kiosk_browse_all_count (result, self->loaded), self->loaded);
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u notice",
                                                         "%u notices", self->total),
                                            self->total);
  gtk_label_set_label (self->count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), self->loaded < self->total);
  show_list (self);
}

static void
load_list (KioskNoticesPage *self, guint offset)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->list_cancellable);
  if (offset == 0)
    {
      forget_list (self);
      gtk_stack_set_visible_child_name (self->stack, "status");
      kiosk_load_status_show_loading (self->status);
    }
  else
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), TRUE);
      gtk_spinner_start (self->more_spinner);
    }
  kiosk_browse_call (self, self->client, mp_call_notices (NOTICES_PAGE_SIZE, offset), c,
                     list_answered, GUINT_TO_POINTER (offset));
}

static void
show_notice (KioskNoticesPage *self, JsonObject *n)
{
  const char *title = kiosk_browse_json_string (n, "title");
  g_autofree char *date = kiosk_browse_date_text (kiosk_browse_json_string (n, "notice_date"));

  kiosk_browse_box_clear (self->detail_box);
  gtk_box_append (self->detail_box, kiosk_browse_label_new (title ? title : "", "kiosk-title"));
  if (is_correction (n))
    {
      GtkWidget *c = kiosk_browse_label_new (_("The municipality asks you to correct your "
                                               "application. What to correct is written below."),
                                             "kiosk-body");
      gtk_widget_add_css_class (c, "kiosk-highlight");
      gtk_widget_add_css_class (c, "kiosk-panel");
      gtk_box_append (self->detail_box, c);
    }
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  int row = 0;
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Kind"),
                         is_correction (n) ? _("Correction request")
                                           : kiosk_browse_json_string (n, "kind"));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("From"), kiosk_browse_json_string (n, "sender"));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Date"), date);
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Application number"),
                         kiosk_browse_json_string (n, "arrive_id"));
  gtk_box_append (self->detail_box, grid);
  const char *body = kiosk_browse_json_string (n, "body");
  GtkWidget *b = kiosk_browse_label_new (body ? body : "", "kiosk-body");
  gtk_widget_add_css_class (b, "kiosk-panel");
  gtk_box_append (self->detail_box, b);

  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "detail");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller), 0);
}

static void
detail_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                 const GError *error, gpointer data)
{
  KioskNoticesPage *self = owner;

  if (cancellable != self->detail_cancellable || !self->in_detail)
    return;
  g_autoptr(GError) bad = NULL;
  if (result && !JSON_NODE_HOLDS_OBJECT (result->results))
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "notice: results is not an object");
  if (error || bad)
    {
      kiosk_browse_box_clear (self->detail_box);
      show_error (self, error ? error : bad);
      return;
    }
  show_notice (self, json_node_get_object (result->results));
}

static void
load_detail (KioskNoticesPage *self)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  gtk_stack_set_visible_child_name (self->stack, "status");
  kiosk_load_status_show_loading (self->status);
  kiosk_browse_call (self, self->client,
                     mp_call_notice (self->detail_arrive_id, self->detail_sub_id), c,
                     detail_answered, NULL);
}

static void
row_activated (KioskNoticesPage *self, GtkListBoxRow *row)
{
  const char *arrive_id = g_object_get_data (G_OBJECT (row), "arrive-id");
  const char *sub_id = g_object_get_data (G_OBJECT (row), "sub-id");
  if (arrive_id == NULL || sub_id == NULL || self->client == NULL)
    return;
  /* A page of the list still loading is dropped: back at the list, the
   * resident asks for it again. */
  kiosk_browse_cancel (&self->list_cancellable);
  stop_more (self);
  forget_detail (self);
  self->in_detail = TRUE;
  self->detail_arrive_id = g_strdup (arrive_id);
  self->detail_sub_id = g_strdup (sub_id);
  load_detail (self);
}

static void
retry_requested (KioskNoticesPage *self)
{
  if (self->in_detail)
    load_detail (self);
  else
    load_list (self, 0);
}

static void
more_clicked (KioskNoticesPage *self)
{
  if (self->client && self->loaded < self->total)
    load_list (self, self->loaded);
}

static void
kiosk_notices_page_dispose (GObject *object)
{
  KioskNoticesPage *self = KIOSK_NOTICES_PAGE (object);

  kiosk_browse_cancel (&self->list_cancellable);
  kiosk_browse_cancel (&self->detail_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_NOTICES_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_notices_page_parent_class)->dispose (object);
}

static void
kiosk_notices_page_finalize (GObject *object)
{
  KioskNoticesPage *self = KIOSK_NOTICES_PAGE (object);

  g_free (self->detail_arrive_id);
  g_free (self->detail_sub_id);
  G_OBJECT_CLASS (kiosk_notices_page_parent_class)->finalize (object);
}

static void
kiosk_notices_page_class_init (KioskNoticesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_notices_page_dispose;
  object_class->finalize = kiosk_notices_page_finalize;

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-notices-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, list);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, more_button);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, more_spinner);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, detail_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskNoticesPage, detail_box);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, more_clicked);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
kiosk_notices_page_init (KioskNoticesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
}

GtkWidget *
kiosk_notices_page_new (void)
{
  return g_object_new (KIOSK_TYPE_NOTICES_PAGE, NULL);
}

void
kiosk_notices_page_set_client (KioskNoticesPage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_NOTICES_PAGE (self));
  if (self->client == client)
    return;
  kiosk_notices_page_clear (self);
  self->client = client;
}

void
kiosk_notices_page_load (KioskNoticesPage *self)
{
  g_return_if_fail (KIOSK_IS_NOTICES_PAGE (self));
  forget_detail (self);
  load_list (self, 0);
}

gboolean
kiosk_notices_page_go_back (KioskNoticesPage *self)
{
  g_return_val_if_fail (KIOSK_IS_NOTICES_PAGE (self), FALSE);
  if (!self->in_detail)
    return FALSE;
  forget_detail (self);
  show_list (self);
  return TRUE;
}

void
kiosk_notices_page_clear (KioskNoticesPage *self)
{
  g_return_if_fail (KIOSK_IS_NOTICES_PAGE (self));
  kiosk_browse_cancel (&self->list_cancellable);
  forget_detail (self);
  forget_list (self);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "status");
}
