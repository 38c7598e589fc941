/* kiosk-home-page.c - the resident's home after login: tiles, and the
 * notices, applications, self-information and records pages in a stack.
 *
 * The counts on the tiles: the number of notices is the notice list's
 * all_count (portal-sim keeps no read state, so there is no "unread" to
 * count); the correction requests still open are the applications whose
 * status is 補正待ち (portal_status 要訂正), counted over every page of the
 * application list. A correction notice of an application corrected since
 * no longer counts, though the notice itself stays in the list.
 *
 * An inner page is cleared when the resident goes back to the tiles: what
 * it showed does not stay in memory while it is not on screen. */

#include "kiosk-home-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-applications-page.h"
#include "kiosk-browse-util.h"
#include "kiosk-errors.h"
#include "kiosk-notices-page.h"
#include "kiosk-records-page.h"
#include "kiosk-selfinfo-page.h"

#define COUNT_PAGE_SIZE 50     /* the portal's largest list page */
#define COUNT_MAX_PAGES 20     /* 1000 applications: enough for anyone */

struct _KioskHomePage
{
  GtkWidget parent_instance;

  GtkButton *back_button;
  GtkLabel *title_label;
  GtkStack *stack;
  GtkButton *notices_tile;
  GtkButton *applications_tile;
  GtkButton *selfinfo_tile;
  GtkButton *records_tile;
  GtkButton *search_tile;
  GtkLabel *notices_count_label;
  GtkLabel *corrections_label;
  GtkLabel *applications_count_label;
  KioskNoticesPage *notices_page;
  KioskApplicationsPage *applications_page;
  KioskSelfinfoPage *selfinfo_page;
  KioskRecordsPage *records_page;

  mp_client *client;                 /* borrowed */
  GCancellable *counts_cancellable;
  guint corrections;                 /* counted so far */
  guint apps_pages;
};

G_DEFINE_FINAL_TYPE (KioskHomePage, kiosk_home_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_SEARCH_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load_counts (KioskHomePage *self);

static void
forget_counts (KioskHomePage *self)
{
  kiosk_browse_cancel (&self->counts_cancellable);
  self->corrections = 0;
  self->apps_pages = 0;
  gtk_label_set_label (self->notices_count_label, "");
  gtk_label_set_label (self->applications_count_label, "");
  gtk_label_set_label (self->corrections_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->corrections_label), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->notices_tile), "kiosk-highlight");
  gtk_widget_remove_css_class (GTK_WIDGET (self->applications_tile), "kiosk-highlight");
  kiosk_browse_set_description (GTK_WIDGET (self->notices_tile), NULL);
  kiosk_browse_set_description (GTK_WIDGET (self->applications_tile), NULL);
}

static void
clear_inner_pages (KioskHomePage *self)
{
  kiosk_notices_page_clear (self->notices_page);
  kiosk_applications_page_clear (self->applications_page);
  kiosk_selfinfo_page_clear (self->selfinfo_page);
  kiosk_records_page_clear (self->records_page);
}

static void
show_tiles (KioskHomePage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "tiles");
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), FALSE);
  gtk_label_set_label (self->title_label, _("What would you like to do?"));
}

/* A count that could not be loaded: the error's title in its place (the
 * page itself shows the whole error with "Try again"). */
static void
count_failed (GtkLabel *label, GtkWidget *tile, const GError *error)
{
  KioskErrorText text = kiosk_error_describe (error);
  if (text.action == KIOSK_ERROR_SILENT)
    return;
  g_autofree char *line = kiosk_error_log_line (error);
  g_message ("home counts: %s", line);
  gtk_label_set_label (label, text.title);
  kiosk_browse_set_description (tile, text.title);
}

static void
update_notices_description (KioskHomePage *self)
{
  g_autofree char *d = NULL;
  const char *count = gtk_label_get_label (self->notices_count_label);
  if (gtk_widget_get_visible (GTK_WIDGET (self->corrections_label)))
    d = g_strdup_printf ("%s. %s", count, gtk_label_get_label (self->corrections_label));
  else
    d = g_strdup (count);
  kiosk_browse_set_description (GTK_WIDGET (self->notices_tile), d);
}

static void
notices_counted (gpointer owner, GCancellable *cancellable, mp_result *result,
                 const GError *error, gpointer data)
{
  KioskHomePage *self = owner;

  if (cancellable != self->counts_cancellable)
    return;
  if (error)
    {
      count_failed (self->notices_count_label, GTK_WIDGET (self->notices_tile), error);
      return;
    }
  JsonArray *items = kiosk_browse_json_array (result->results);
  guint n = kiosk_browse_all_count (result, items ? json_array_get_length (items) : 0);
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u notice",
                                                        "%u notices", n), n);
  gtk_label_set_label (self->notices_count_label, text);
  update_notices_description (self);
}

static void
applications_counted (gpointer owner, GCancellable *cancellable, mp_result *result,
                      const GError *error, gpointer data)
{
  KioskHomePage *self = owner;
  guint offset = GPOINTER_TO_UINT (data);

  if (cancellable != self->counts_cancellable)
    return;
  JsonArray *items = result ? kiosk_browse_json_array (result->results) : NULL;
  g_autoptr(GError) bad = NULL;
  if (result && items == NULL)
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "apply lists: results is not a list");
  if (error || bad)
    {
      count_failed (self->applications_count_label, GTK_WIDGET (self->applications_tile),
                    error ? error : bad);
      return;
    }
  guint n = json_array_get_length (items);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *a = kiosk_browse_json_object_at (items, i);
      if (a && kiosk_browse_status_needs_correction (kiosk_browse_json_string (a, "status"),
                                                     kiosk_browse_json_string (a, "portal_status")))
        self->corrections++;
    }
  guint total = kiosk_browse_all_count (result, offset + n);
  self->apps_pages++;
  if (n > 0 && offset + n < total && self->apps_pages < COUNT_MAX_PAGES)
    {
      kiosk_browse_call (self, self->client,
                         mp_call_apply_lists (NULL, NULL, COUNT_PAGE_SIZE, offset + n),
                         self->counts_cancellable, applications_counted,
                         GUINT_TO_POINTER (offset + n));
      return;
    }

  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u application",
                                                        "%u applications", total), total);
  gtk_label_set_label (self->applications_count_label, text);
  if (self->corrections > 0)
    {
      g_autofree char *c = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "%u correction request waits for you",
                                                         "%u correction requests wait for you",
                                                         self->corrections),
                                            self->corrections);
      gtk_label_set_label (self->corrections_label, c);
      gtk_widget_set_visible (GTK_WIDGET (self->corrections_label), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->notices_tile), "kiosk-highlight");
      gtk_widget_add_css_class (GTK_WIDGET (self->applications_tile), "kiosk-highlight");
      g_autofree char *d = g_strdup_printf ("%s. %s", text, c);
      kiosk_browse_set_description (GTK_WIDGET (self->applications_tile), d);
    }
  else
    kiosk_browse_set_description (GTK_WIDGET (self->applications_tile), text);
  update_notices_description (self);
}

static void
load_counts (KioskHomePage *self)
{
  g_return_if_fail (self->client != NULL);
  forget_counts (self);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->counts_cancellable);
  gtk_label_set_label (self->notices_count_label, _("Loading…"));
  gtk_label_set_label (self->applications_count_label, _("Loading…"));
  kiosk_browse_call (self, self->client, mp_call_notices (1, 0), c, notices_counted, NULL);
  kiosk_browse_call (self, self->client, mp_call_apply_lists (NULL, NULL, COUNT_PAGE_SIZE, 0),
                     c, applications_counted, GUINT_TO_POINTER (0));
}

static void
open_page (KioskHomePage *self, const char *name, const char *title)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), TRUE);
  gtk_label_set_label (self->title_label, title);
}

static void
notices_clicked (KioskHomePage *self)
{
  if (self->client == NULL)
    return;
  open_page (self, "notices", _("Notices"));
  kiosk_notices_page_load (self->notices_page);
}

static void
applications_clicked (KioskHomePage *self)
{
  if (self->client == NULL)
    return;
  open_page (self, "applications", _("Your applications"));
  kiosk_applications_page_load (self->applications_page);
}

static void
selfinfo_clicked (KioskHomePage *self)
{
  if (self->client == NULL)
    return;
  open_page (self, "selfinfo", _("Your information"));
  kiosk_selfinfo_page_load (self->selfinfo_page);
}

static void
records_clicked (KioskHomePage *self)
{
  if (self->client == NULL)
    return;
  open_page (self, "records", _("Exchange records"));
  kiosk_records_page_load (self->records_page);
}

static void
search_clicked (KioskHomePage *self)
{
  g_signal_emit (self, signals[SIGNAL_SEARCH_REQUESTED], 0);
}

static void
back_clicked (KioskHomePage *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  if (g_strcmp0 (page, "notices") == 0 && kiosk_notices_page_go_back (self->notices_page))
    return;
  if (g_strcmp0 (page, "applications") == 0 &&
      kiosk_applications_page_go_back (self->applications_page))
    return;
  if (g_strcmp0 (page, "selfinfo") == 0 && kiosk_selfinfo_page_go_back (self->selfinfo_page))
    return;
  clear_inner_pages (self);
  show_tiles (self);
  if (self->client)
    load_counts (self);
}

static void
kiosk_home_page_dispose (GObject *object)
{
  KioskHomePage *self = KIOSK_HOME_PAGE (object);

  kiosk_browse_cancel (&self->counts_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_HOME_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_home_page_parent_class)->dispose (object);
}

static void
kiosk_home_page_class_init (KioskHomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_home_page_dispose;

  signals[SIGNAL_SEARCH_REQUESTED] =
    g_signal_new ("search-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (KIOSK_TYPE_NOTICES_PAGE);
  g_type_ensure (KIOSK_TYPE_APPLICATIONS_PAGE);
  g_type_ensure (KIOSK_TYPE_SELFINFO_PAGE);
  g_type_ensure (KIOSK_TYPE_RECORDS_PAGE);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-home-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, back_button);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, title_label);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, notices_tile);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, applications_tile);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, selfinfo_tile);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, records_tile);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, search_tile);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, notices_count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, corrections_label);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, applications_count_label);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, notices_page);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, applications_page);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, selfinfo_page);
  gtk_widget_class_bind_template_child (widget_class, KioskHomePage, records_page);
  gtk_widget_class_bind_template_callback (widget_class, notices_clicked);
  gtk_widget_class_bind_template_callback (widget_class, applications_clicked);
  gtk_widget_class_bind_template_callback (widget_class, selfinfo_clicked);
  gtk_widget_class_bind_template_callback (widget_class, records_clicked);
  gtk_widget_class_bind_template_callback (widget_class, search_clicked);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked);
}

static void
kiosk_home_page_init (KioskHomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
  show_tiles (self);
}

GtkWidget *
kiosk_home_page_new (void)
{
  return g_object_new (KIOSK_TYPE_HOME_PAGE, NULL);
}

void
kiosk_home_page_set_client (KioskHomePage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_HOME_PAGE (self));
  if (self->client == client)
    return;
  kiosk_home_page_clear (self);
  self->client = client;
  kiosk_notices_page_set_client (self->notices_page, client);
  kiosk_applications_page_set_client (self->applications_page, client);
  kiosk_selfinfo_page_set_client (self->selfinfo_page, client);
  kiosk_records_page_set_client (self->records_page, client);
}

void
kiosk_home_page_load (KioskHomePage *self)
{
  g_return_if_fail (KIOSK_IS_HOME_PAGE (self));
  g_return_if_fail (self->client != NULL);
  clear_inner_pages (self);
  show_tiles (self);
  load_counts (self);
}

void
kiosk_home_page_clear (KioskHomePage *self)
{
  g_return_if_fail (KIOSK_IS_HOME_PAGE (self));
  forget_counts (self);
  clear_inner_pages (self);
  show_tiles (self);
}
