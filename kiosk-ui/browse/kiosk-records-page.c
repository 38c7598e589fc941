/* kiosk-records-page.c - the exchange records (やりとり履歴), paged.
 *
 * GET /records/v1?limit&offset gives records newest first, each with date,
 * requester, provider, information, procedure and possibly more members
 * (legal_basis, …): the date heads the entry, every other member becomes a
 * label/value row. */

#include "kiosk-records-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-browse-util.h"
#include "kiosk-load-status.h"

#define RECORDS_PAGE_SIZE 20

struct _KioskRecordsPage
{
  GtkWidget parent_instance;

  GtkStack *stack;
  KioskLoadStatus *status;
  GtkScrolledWindow *list_scroller;
  GtkLabel *count_label;
  GtkListBox *list;
  GtkButton *more_button;
  GtkSpinner *more_spinner;

  mp_client *client;                /* borrowed */
  GCancellable *cancellable;
  guint loaded;
  guint total;
};

G_DEFINE_FINAL_TYPE (KioskRecordsPage, kiosk_records_page, GTK_TYPE_WIDGET)

static void
stop_more (KioskRecordsPage *self)
{
  gtk_spinner_stop (self->more_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), TRUE);
}

static void
forget_list (KioskRecordsPage *self)
{
  kiosk_browse_list_clear (self->list);
  self->loaded = 0;
  self->total = 0;
  gtk_label_set_label (self->count_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), FALSE);
  stop_more (self);
}

static GtkWidget *
record_row (JsonObject *r)
{
  g_autofree char *date = kiosk_browse_date_text (kiosk_browse_json_string (r, "date"));
  const char *information = kiosk_browse_json_string (r, "information");

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (date, "kiosk-subtitle"));
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  int row = 0;
  /* The usual members first, in the order a person reads them. */
  static const char *const order[] = { "information", "requester", "provider", "procedure",
                                       "legal_basis" };
  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    if (json_object_has_member (r, order[i]))
      {
        g_autofree char *v = kiosk_browse_value_text (order[i], json_object_get_member (r, order[i]));
        kiosk_browse_grid_add (GTK_GRID (grid), &row, kiosk_browse_key_label (order[i]), v);
      }
  g_autoptr(GList) members = json_object_get_members (r);
  for (GList *l = members; l; l = l->next)
    {
      gboolean known = g_strcmp0 (l->data, "date") == 0;
      for (gsize i = 0; !known && i < G_N_ELEMENTS (order); i++)
        known = g_strcmp0 (l->data, order[i]) == 0;
      if (known)
        continue;
      g_autofree char *v = kiosk_browse_value_text (l->data, json_object_get_member (r, l->data));
      kiosk_browse_grid_add (GTK_GRID (grid), &row, kiosk_browse_key_label (l->data), v);
    }
  gtk_box_append (GTK_BOX (box), grid);

  GtkWidget *list_row = kiosk_browse_row_new (box, FALSE);
  const char *requester = kiosk_browse_json_string (r, "requester");
  const char *provider = kiosk_browse_json_string (r, "provider");
  g_autofree char *name = g_strdup_printf ("%s, %s, %s → %s", date,
                                           information ? information : "",
                                           requester ? requester : "",
                                           provider ? provider : "");
  kiosk_browse_set_name (list_row, name);
  return list_row;
}

static void
records_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                  const GError *error, gpointer data)
{
  KioskRecordsPage *self = owner;
  guint offset = GPOINTER_TO_UINT (data);

  if (cancellable != self->cancellable)
    return;
  stop_more (self);
  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "records: results is not a list");
  if (error || bad)
    {
      forget_list (self);
      gtk_stack_set_visible_child_name (self->stack, "status");
      if (!kiosk_load_status_show_error (self->status, error ? error : bad))
        kiosk_load_status_reset (self->status);
      return;
    }
  if (offset == 0)
    forget_list (self);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *r = kiosk_browse_json_object_at (items, i);
      if (r)
        {
          gtk_list_box_append (self->list, record_row (r));
          self->loaded++;
        }
    }
  self->total = MAX (kiosk_browse_all_count (result, self->loaded), self->loaded);
  if (self->loaded == 0)
    {
      kiosk_load_status_show_empty (self->status,
                                    _("No office has asked for information about you."));
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "Showing %u of %u record, newest first.",
                                                         "Showing %u of %u records, newest first.",
                                                         self->total),
                                            self->loaded, self->total);
  gtk_label_set_label (self->count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), self->loaded < self->total);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
load_page (KioskRecordsPage *self, guint offset)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->cancellable);
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
  kiosk_browse_call (self, self->client, mp_call_records (NULL, NULL, RECORDS_PAGE_SIZE, offset),
                     c, records_answered, GUINT_TO_POINTER (offset));
}

static void
retry_requested (KioskRecordsPage *self)
{
  load_page (self, 0);
}

static void
more_clicked (KioskRecordsPage *self)
{
  if (self->client && self->loaded < self->total)
    load_page (self, self->loaded);
}

static void
kiosk_records_page_dispose (GObject *object)
{
  KioskRecordsPage *self = KIOSK_RECORDS_PAGE (object);

  kiosk_browse_cancel (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_RECORDS_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_records_page_parent_class)->dispose (object);
}

static void
kiosk_records_page_class_init (KioskRecordsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_records_page_dispose;

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-records-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, list);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, more_button);
  gtk_widget_class_bind_template_child (widget_class, KioskRecordsPage, more_spinner);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, more_clicked);
}

static void
kiosk_records_page_init (KioskRecordsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
}

GtkWidget *
kiosk_records_page_new (void)
{
  return g_object_new (KIOSK_TYPE_RECORDS_PAGE, NULL);
}

void
kiosk_records_page_set_client (KioskRecordsPage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_RECORDS_PAGE (self));
  if (self->client == client)
    return;
  kiosk_records_page_clear (self);
  self->client = client;
}

void
kiosk_records_page_load (KioskRecordsPage *self)
{
  g_return_if_fail (KIOSK_IS_RECORDS_PAGE (self));
  load_page (self, 0);
}

void
kiosk_records_page_clear (KioskRecordsPage *self)
{
  g_return_if_fail (KIOSK_IS_RECORDS_PAGE (self));
  kiosk_browse_cancel (&self->cancellable);
  forget_list (self);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "status");
}
