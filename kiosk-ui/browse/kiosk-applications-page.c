/* kiosk-applications-page.c - the resident's applications and one in full.
 *
 * GET /shinsei/v2/apply/lists gives {arrive_id, proc_id, proc_name, status,
 * portal_status, arrive_date, inquiry_no} newest first; GET
 * /shinsei/v2/apply/{arrive_id} the same with its history [{status,
 * portal_status, date}], oldest first. */

#include "kiosk-applications-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-browse-util.h"
#include "kiosk-load-status.h"

#define APPLICATIONS_PAGE_SIZE 20

struct _KioskApplicationsPage
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
  char *detail_arrive_id;           /* the application asked for (for "Try again") */
};

G_DEFINE_FINAL_TYPE (KioskApplicationsPage, kiosk_applications_page, GTK_TYPE_WIDGET)

static void load_list (KioskApplicationsPage *self, guint offset);
static void load_detail (KioskApplicationsPage *self);

static gboolean
needs_correction (JsonObject *a)
{
  return kiosk_browse_status_needs_correction (kiosk_browse_json_string (a, "status"),
                                               kiosk_browse_json_string (a, "portal_status"));
}

static const char *
procedure_name (JsonObject *a)
{
  const char *name = kiosk_browse_json_string (a, "proc_name");
  if (name == NULL)
    name = kiosk_browse_json_string (a, "proc_id");
  return name ? name : "";
}

static void
stop_more (KioskApplicationsPage *self)
{
  gtk_spinner_stop (self->more_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->more_spinner), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->more_button), TRUE);
}

static void
forget_list (KioskApplicationsPage *self)
{
  kiosk_browse_list_clear (self->list);
  self->loaded = 0;
  self->total = 0;
  gtk_label_set_label (self->count_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), FALSE);
  stop_more (self);
}

static void
forget_detail (KioskApplicationsPage *self)
{
  kiosk_browse_cancel (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  g_clear_pointer (&self->detail_arrive_id, g_free);
  self->in_detail = FALSE;
}

/* The list as it is: its rows, or the sentence for none. */
static void
show_list (KioskApplicationsPage *self)
{
  if (self->loaded == 0)
    {
      kiosk_load_status_show_empty (self->status, _("You have sent no applications."));
      gtk_stack_set_visible_child_name (self->stack, "status");
      return;
    }
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
show_error (KioskApplicationsPage *self, const GError *error)
{
  gtk_stack_set_visible_child_name (self->stack, "status");
  if (!kiosk_load_status_show_error (self->status, error))
    kiosk_load_status_reset (self->status);
}

static GtkWidget *
application_row (JsonObject *a)
{
  const char *arrive_id = kiosk_browse_json_string (a, "arrive_id");
  const char *name = procedure_name (a);
  g_autofree char *date = kiosk_browse_date_text (kiosk_browse_json_string (a, "arrive_date"));
  const char *status = kiosk_browse_status_label (kiosk_browse_json_string (a, "status"));
  gboolean correction = needs_correction (a);
  if (arrive_id == NULL)
    return NULL;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (name, "kiosk-subtitle"));
  /* Translators: %s is the date and time the portal received the application */
  g_autofree char *sent = g_strdup_printf (_("Sent on %s"), date);
  /* Translators: %s is a status word such as "Being examined" */
  g_autofree char *state = g_strdup_printf (_("Status: %s"), status);
  GtkWidget *l = kiosk_browse_label_new (sent, "kiosk-body");
  gtk_widget_add_css_class (l, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), l);
  GtkWidget *st = kiosk_browse_label_new (state, "kiosk-body");
  if (correction)
    gtk_widget_add_css_class (st, "kiosk-highlight");
  gtk_box_append (GTK_BOX (box), st);

  GtkWidget *row = kiosk_browse_row_new (box, TRUE);
  /* The application number keeps the name unique on screen (the same
   * procedure may be applied for twice in a minute). */
  g_autofree char *row_name = g_strdup_printf ("%s, %s, %s", name, date, arrive_id);
  kiosk_browse_set_name (row, row_name);
  g_autofree char *desc = g_strdup_printf ("%s. %s", sent, state);
  kiosk_browse_set_description (row, desc);
  if (correction)
    gtk_widget_add_css_class (row, "kiosk-highlight");
  g_object_set_data_full (G_OBJECT (row), "arrive-id", g_strdup (arrive_id), g_free);
  return row;
}

static void
list_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
               const GError *error, gpointer data)
{
  KioskApplicationsPage *self = owner;
  guint offset = GPOINTER_TO_UINT (data);

  if (cancellable != self->list_cancellable)
    return;
  stop_more (self);
  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "apply lists: results is not a list");
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
      JsonObject *a = kiosk_browse_json_object_at (items, i);
      GtkWidget *row = a ? application_row (a) : NULL;
      if (row)
        {
          gtk_list_box_append (self->list, row);
          self->loaded++;
        }
    }
  self->total = MAX (kiosk_browse_all_count (result, self->loaded), self->loaded);
  g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u application",
                                                         "%u applications", self->total),
                                            self->total);
  gtk_label_set_label (self->count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), self->loaded < self->total);
  show_list (self);
}

static void
load_list (KioskApplicationsPage *self, guint offset)
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
  kiosk_browse_call (self, self->client, mp_call_apply_lists (NULL, NULL, APPLICATIONS_PAGE_SIZE, offset), c,
                     list_answered, GUINT_TO_POINTER (offset));
}

static void
show_application (KioskApplicationsPage *self, JsonObject *a)
{
  g_autofree char *date = kiosk_browse_date_text (kiosk_browse_json_string (a, "arrive_date"));

  kiosk_browse_box_clear (self->detail_box);
  gtk_box_append (self->detail_box, kiosk_browse_label_new (procedure_name (a), "kiosk-title"));
  if (needs_correction (a))
    {
      GtkWidget *c = kiosk_browse_label_new (_("The municipality asks you to correct this "
                                               "application. The notice it sent says what to "
                                               "correct."),
                                             "kiosk-body");
      gtk_widget_add_css_class (c, "kiosk-highlight");
      gtk_widget_add_css_class (c, "kiosk-panel");
      gtk_box_append (self->detail_box, c);
    }
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  int row = 0;
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Status"),
                         kiosk_browse_status_label (kiosk_browse_json_string (a, "status")));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("On the portal"),
                         kiosk_browse_portal_status_label (kiosk_browse_json_string (a, "portal_status")));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Sent on"), date);
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Application number"),
                         kiosk_browse_json_string (a, "arrive_id"));
  kiosk_browse_grid_add (GTK_GRID (grid), &row, _("Inquiry number"),
                         kiosk_browse_json_string (a, "inquiry_no"));
  gtk_box_append (self->detail_box, grid);

  JsonArray *history = kiosk_browse_json_array_member (a, "history");
  if (history && json_array_get_length (history) > 0)
    {
      gtk_box_append (self->detail_box, kiosk_browse_label_new (_("History"), "kiosk-subtitle"));
      GtkWidget *h = gtk_grid_new ();
      gtk_grid_set_row_spacing (GTK_GRID (h), 8);
      gtk_grid_set_column_spacing (GTK_GRID (h), 24);
      int hrow = 0;
      for (guint i = 0; i < json_array_get_length (history); i++)
        {
          JsonObject *e = kiosk_browse_json_object_at (history, i);
          if (e == NULL)
            continue;
          g_autofree char *when = kiosk_browse_date_text (kiosk_browse_json_string (e, "date"));
          kiosk_browse_grid_add (GTK_GRID (h), &hrow, when,
                                 kiosk_browse_status_label (kiosk_browse_json_string (e, "status")));
        }
      gtk_box_append (self->detail_box, h);
    }

  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "detail");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->detail_scroller), 0);
}

static void
detail_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                 const GError *error, gpointer data)
{
  KioskApplicationsPage *self = owner;

  if (cancellable != self->detail_cancellable || !self->in_detail)
    return;
  g_autoptr(GError) bad = NULL;
  if (result && !JSON_NODE_HOLDS_OBJECT (result->results))
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "apply status: results is not an object");
  if (error || bad)
    {
      kiosk_browse_box_clear (self->detail_box);
      show_error (self, error ? error : bad);
      return;
    }
  show_application (self, json_node_get_object (result->results));
}

static void
load_detail (KioskApplicationsPage *self)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->detail_cancellable);
  kiosk_browse_box_clear (self->detail_box);
  gtk_stack_set_visible_child_name (self->stack, "status");
  kiosk_load_status_show_loading (self->status);
  kiosk_browse_call (self, self->client,
                     mp_call_apply_status (self->detail_arrive_id), c,
                     detail_answered, NULL);
}

static void
row_activated (KioskApplicationsPage *self, GtkListBoxRow *row)
{
  const char *arrive_id = g_object_get_data (G_OBJECT (row), "arrive-id");
  if (arrive_id == NULL || self->client == NULL)
    return;
  /* A page of the list still loading is dropped: back at the list, the
   * resident asks for it again. */
  kiosk_browse_cancel (&self->list_cancellable);
  stop_more (self);
  forget_detail (self);
  self->in_detail = TRUE;
  self->detail_arrive_id = g_strdup (arrive_id);
  load_detail (self);
}

static void
retry_requested (KioskApplicationsPage *self)
{
  if (self->in_detail)
    load_detail (self);
  else
    load_list (self, 0);
}

static void
more_clicked (KioskApplicationsPage *self)
{
  if (self->client && self->loaded < self->total)
    load_list (self, self->loaded);
}

static void
kiosk_applications_page_dispose (GObject *object)
{
  KioskApplicationsPage *self = KIOSK_APPLICATIONS_PAGE (object);

  kiosk_browse_cancel (&self->list_cancellable);
  kiosk_browse_cancel (&self->detail_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_APPLICATIONS_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_applications_page_parent_class)->dispose (object);
}

static void
kiosk_applications_page_finalize (GObject *object)
{
  KioskApplicationsPage *self = KIOSK_APPLICATIONS_PAGE (object);

  g_free (self->detail_arrive_id);
  G_OBJECT_CLASS (kiosk_applications_page_parent_class)->finalize (object);
}

static void
kiosk_applications_page_class_init (KioskApplicationsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_applications_page_dispose;
  object_class->finalize = kiosk_applications_page_finalize;

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-applications-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, list);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, more_button);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, more_spinner);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, detail_scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskApplicationsPage, detail_box);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, more_clicked);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
kiosk_applications_page_init (KioskApplicationsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
}

GtkWidget *
kiosk_applications_page_new (void)
{
  return g_object_new (KIOSK_TYPE_APPLICATIONS_PAGE, NULL);
}

void
kiosk_applications_page_set_client (KioskApplicationsPage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_APPLICATIONS_PAGE (self));
  if (self->client == client)
    return;
  kiosk_applications_page_clear (self);
  self->client = client;
}

void
kiosk_applications_page_load (KioskApplicationsPage *self)
{
  g_return_if_fail (KIOSK_IS_APPLICATIONS_PAGE (self));
  forget_detail (self);
  load_list (self, 0);
}

gboolean
kiosk_applications_page_go_back (KioskApplicationsPage *self)
{
  g_return_val_if_fail (KIOSK_IS_APPLICATIONS_PAGE (self), FALSE);
  if (!self->in_detail)
    return FALSE;
  forget_detail (self);
  show_list (self);
  return TRUE;
}

void
kiosk_applications_page_clear (KioskApplicationsPage *self)
{
  g_return_if_fail (KIOSK_IS_APPLICATIONS_PAGE (self));
  kiosk_browse_cancel (&self->list_cancellable);
  forget_detail (self);
  forget_list (self);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "status");
}
