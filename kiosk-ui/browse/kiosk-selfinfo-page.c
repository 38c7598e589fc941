/* kiosk-selfinfo-page.c - self-information: categories, then one category.
 *
 * GET /selfinfo/v1/categories gives [{category, title, item_count,
 * updated_at, href}] for the categories the resident has data in; GET
 * /selfinfo/v1/{category} gives {category, title, updated_at?, source?,
 * items: [objects]}. The items' members are whatever the office keeps
 * (portal-sim: ids such as "birth_date"); each becomes a label/value row. */

#include "kiosk-selfinfo-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-browse-util.h"
#include "kiosk-load-status.h"

struct _KioskSelfinfoPage
{
  GtkWidget parent_instance;

  GtkStack *stack;
  KioskLoadStatus *status;
  GtkScrolledWindow *list_scroller;
  GtkLabel *count_label;
  GtkListBox *list;
  GtkScrolledWindow *detail_scroller;
  GtkBox *detail_box;

  mp_client *client;                /* borrowed */
  GCancellable *list_cancellable;
  GCancellable *detail_cancellable;
  gboolean in_detail;
  guint loaded;
  char *detail_category;            /* the category asked for (for "Try again") */
};

G_DEFINE_FINAL_TYPE (KioskSelfinfoPage, kiosk_selfinfo_page, GTK_TYPE_WIDGET)

static void
forget_list (KioskSelfinfoPage *self)
{
  kiosk_browse_list_clear (self->list);
  self->loaded = 0;
  gtk_label_set_label (self->count_label, "");
}

static void
forget_detail (KioskSelfinfoPage *self)
{
  kiosk_browse_cancel (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  g_clear_pointer (&self->detail_category, g_free);
  self->in_detail = FALSE;
}

static void
show_list (KioskSelfinfoPage *self)
{
  if (self->loaded == 0)
    {
      kiosk_load_status_show_empty (self->status,
                                    _("The portal holds no information about you to show here."));
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
show_error (KioskSelfinfoPage *self, const GError *error)
{
  gtk_stack_set_visible_child_name (self->stack, "status");
  if (!kiosk_load_status_show_error (self->status, error))
    kiosk_load_status_reset (self->status);
}

static GtkWidget *
category_row (JsonObject *c)
{
  const char *id = kiosk_browse_json_string (c, "category");
  const char *title = kiosk_browse_json_string (c, "title");
  gint64 count = kiosk_browse_json_int (c, "item_count", -1);
  const char *updated = kiosk_browse_json_string (c, "updated_at");
  if (id == NULL)
    return NULL;
  if (title == NULL)
    title = id;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (title, "kiosk-subtitle"));
  GString *line = g_string_new (NULL);
  if (count >= 0)
    g_string_append_printf (line, g_dngettext (GETTEXT_PACKAGE, "%u entry", "%u entries",
                                               (gulong) count),
                            (guint) count);
  if (updated && *updated)
    {
      g_autofree char *date = kiosk_browse_date_text (updated);
      if (line->len)
        g_string_append (line, "  ·  ");
      /* Translators: %s is the date the office last updated the information */
      g_string_append_printf (line, _("Updated on %s"), date);
    }
  GtkWidget *l = kiosk_browse_label_new (line->str, "kiosk-body");
  gtk_widget_add_css_class (l, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), l);

  GtkWidget *row = kiosk_browse_row_new (box, TRUE);
  kiosk_browse_set_name (row, title);
  kiosk_browse_set_description (row, line->str);
  g_string_free (line, TRUE);
  g_object_set_data_full (G_OBJECT (row), "category", g_strdup (id), g_free);
  return row;
}

static void
list_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
               const GError *error, gpointer data)
{
  KioskSelfinfoPage *self = owner;

  if (cancellable != self->list_cancellable)
    return;
  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "selfinfo categories: results is not a list");
  forget_list (self);
  if (error || bad)
    {
      show_error (self, error ? error : bad);
      return;
    }
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *c = kiosk_browse_json_object_at (items, i);
      GtkWidget *row = c ? category_row (c) : NULL;
      if (row)
        {
          gtk_list_box_append (self->list, row);
          self->loaded++;
        }
    }
  gtk_label_set_label (self->count_label,
                       _("Choose what you want to see. The information comes from the "
                         "offices named with it."));
  show_list (self);
}

static void
load_list (KioskSelfinfoPage *self)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->list_cancellable);
  forget_list (self);
  gtk_stack_set_visible_child_name (self->stack, "status");
  kiosk_load_status_show_loading (self->status);
  kiosk_browse_call (self, self->client, mp_call_selfinfo_categories (), c,
                     list_answered, NULL);
}

static void
show_category (KioskSelfinfoPage *self, JsonObject *c)
{
  const char *title = kiosk_browse_json_string (c, "title");
  g_autofree char *updated = kiosk_browse_date_text (kiosk_browse_json_string (c, "updated_at"));
  JsonArray *items = kiosk_browse_json_array_member (c, "items");

  kiosk_browse_box_clear (self->detail_box);
  gtk_box_append (self->detail_box,
                  kiosk_browse_label_new (title ? title : self->detail_category, "kiosk-title"));
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  int row = 0;
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("From"), kiosk_browse_json_string (c, "source"));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Updated on"), updated);
  gtk_box_append (self->detail_box, grid);

  guint n = items ? json_array_get_length (items) : 0;
  guint shown = 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (items, i);
      GtkWidget *panel;
      if (JSON_NODE_HOLDS_OBJECT (e))
        panel = kiosk_browse_object_grid (json_node_get_object (e));
      else
        {
          g_autofree char *text = kiosk_browse_value_text (NULL, e);
          panel = kiosk_browse_label_new (text, "kiosk-body");
        }
      gtk_widget_add_css_class (panel, "kiosk-panel");
      /* Translators: accessible name of the n-th entry of a kind of information */
      g_autofree char *name = g_strdup_printf (_("Entry %u"), i + 1);
      kiosk_browse_set_name (panel, name);
      gtk_box_append (self->detail_box, panel);
      shown++;
    }
  if (shown == 0)
    gtk_box_append (self->detail_box,
                    kiosk_browse_label_new (_("There is no information of this kind about you."),
                                            "kiosk-body"));

  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "detail");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller), 0);
}

static void
detail_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                 const GError *error, gpointer data)
{
  KioskSelfinfoPage *self = owner;

  if (cancellable != self->detail_cancellable || !self->in_detail)
    return;
  g_autoptr(GError) bad = NULL;
  if (result && !JSON_NODE_HOLDS_OBJECT (result->results))
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "selfinfo: results is not an object");
  if (error || bad)
    {
      kiosk_browse_box_clear (self->detail_box);
      show_error (self, error ? error : bad);
      return;
    }
  show_category (self, json_node_get_object (result->results));
}

static void
load_detail (KioskSelfinfoPage *self)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  gtk_stack_set_visible_child_name (self->stack, "status");
  kiosk_load_status_show_loading (self->status);
  kiosk_browse_call (self, self->client, mp_call_selfinfo (self->detail_category), c,
                     detail_answered, NULL);
}

static void
row_activated (KioskSelfinfoPage *self, GtkListBoxRow *row)
{
  const char *category = g_object_get_data (G_OBJECT (row), "category");
  if (category == NULL || self->client == NULL)
    return;
  forget_detail (self);
  self->in_detail = TRUE;
  self->detail_category = g_strdup (category);
  load_detail (self);
}

static void
retry_requested (KioskSelfinfoPage *self)
{
  if (self->in_detail)
    load_detail (self);
  else
    load_list (self);
}

static void
kiosk_selfinfo_page_dispose (GObject *object)
{
  KioskSelfinfoPage *self = KIOSK_SELFINFO_PAGE (object);

  kiosk_browse_cancel (&self->list_cancellable);
  kiosk_browse_cancel (&self->detail_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_SELFINFO_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_selfinfo_page_parent_class)->dispose (object);
}

static void
kiosk_selfinfo_page_finalize (GObject *object)
{
  KioskSelfinfoPage *self = KIOSK_SELFINFO_PAGE (object);

  g_free (self->detail_category);
  G_OBJECT_CLASS (kiosk_selfinfo_page_parent_class)->finalize (object);
}

static void
kiosk_selfinfo_page_class_init (KioskSelfinfoPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_selfinfo_page_dispose;
  object_class->finalize = kiosk_selfinfo_page_finalize;

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-selfinfo-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, list);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, detail_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskSelfinfoPage, detail_box);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
kiosk_selfinfo_page_init (KioskSelfinfoPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
}

GtkWidget *
kiosk_selfinfo_page_new (void)
{
  return g_object_new (KIOSK_TYPE_SELFINFO_PAGE, NULL);
}

void
kiosk_selfinfo_page_set_client (KioskSelfinfoPage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_SELFINFO_PAGE (self));
  if (self->client == client)
    return;
  kiosk_selfinfo_page_clear (self);
  self->client = client;
}

void
kiosk_selfinfo_page_load (KioskSelfinfoPage *self)
{
  g_return_if_fail (KIOSK_IS_SELFINFO_PAGE (self));
  forget_detail (self);
  load_list (self);
}

gboolean
kiosk_selfinfo_page_go_back (KioskSelfinfoPage *self)
{
  g_return_val_if_fail (KIOSK_IS_SELFINFO_PAGE (self), FALSE);
  if (!self->in_detail)
    return FALSE;
  forget_detail (self);
  show_list (self);
  return TRUE;
}

void
kiosk_selfinfo_page_clear (KioskSelfinfoPage *self)
{
  g_return_if_fail (KIOSK_IS_SELFINFO_PAGE (self));
  kiosk_browse_cancel (&self->list_cancellable);
  forget_detail (self);
  forget_list (self);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "status");
}
