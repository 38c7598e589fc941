/* kiosk-admin-page.c - the staff view, after the staff PIN.
 *
 * Everything here is read, never kept: each refresh asks the card monitor
 * for its readers and the outbox for its entries, and shows counts and
 * technical notes only. Of the outbox it shows how many entries wait, were
 * refused or were delivered today, when the oldest waiting one was made
 * and the outbox's own note on why it was not sent (the outbox keeps no
 * personal data in it); never a procedure, an arrival number, a package or
 * the portal's rejection (whose report list can quote what the resident
 * entered). Of the configuration it shows paths and names, never the
 * staff PIN's hash, the proxy (it can carry a password) or a key.
 *
 * While the page is on screen it refreshes every few seconds and at once
 * when the card monitor reports a change. */

#include "kiosk-admin-page.h"

#include <glib/gi18n-lib.h>

#include "kiosk-errors.h"
#include "kiosk-i18n.h"

#define REFRESH_S 5

struct _KioskAdminPage
{
  GtkWidget parent_instance;

  GtkWidget *content;
  GtkLabel *source_label;
  GtkLabel *service_label;
  GtkGrid *readers_grid;
  GtkLabel *pending_label;
  GtkLabel *rejected_label;
  GtkLabel *delivered_label;
  GtkWidget *oldest_caption;
  GtkLabel *oldest_label;
  GtkWidget *problem_caption;
  GtkLabel *problem_label;
  GtkWidget *send_button;
  GtkLabel *send_status_label;
  GtkGrid *config_grid;
  GtkLabel *version_label;

  const KioskConfig *cfg;      /* borrowed */
  KioskSession *session;       /* borrowed */
  KioskCardMonitor *monitor;   /* borrowed */
  GCancellable *sending;       /* a "send now" under way, or NULL */
  guint refresh_id;
};

G_DEFINE_FINAL_TYPE (KioskAdminPage, kiosk_admin_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_CLOSE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- helpers ---- */

static void
grid_clear (GtkGrid *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static GtkWidget *
cell (const char *text, const char *style)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "kiosk-body");
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  return label;
}

static void
config_row (KioskAdminPage *self, int row, const char *caption, const char *value)
{
  gtk_grid_attach (self->config_grid, cell (caption, "kiosk-muted"), 0, row, 1, 1);
  GtkWidget *v = cell (value, NULL);
  gtk_widget_set_hexpand (v, TRUE);
  gtk_grid_attach (self->config_grid, v, 1, row, 1, 1);
}

static char *
format_local (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_s);
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("");
}

static gint64
start_of_today (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  return g_date_time_to_unix (midnight);
}

/* ---- the readers ---- */

static void
refresh_readers (KioskAdminPage *self)
{
  grid_clear (self->readers_grid);
  if (self->monitor == NULL)
    {
      gtk_label_set_text (self->source_label, "");
      gtk_label_set_text (self->service_label, "");
      return;
    }

  KioskCardSource source = kiosk_card_monitor_get_source (self->monitor);
  const char *what;
  switch (source)
    {
    case KIOSK_CARD_SOURCE_PCSC:
      what = _("PC/SC readers (pcscd)");
      break;
    case KIOSK_CARD_SOURCE_NFC:
      what = _("NFC reader (libnfc)");
      break;
    case KIOSK_CARD_SOURCE_VCARD:
    default:
      what = _("Software card (demonstration)");
      break;
    }
  g_autofree char *source_text = g_strdup_printf ("%s — %s", kiosk_card_source_name (source),
                                                  what);
  gtk_label_set_text (self->source_label, source_text);
  gboolean up = kiosk_card_monitor_get_service_available (self->monitor);
  gtk_label_set_text (self->service_label, up ? _("Answering") : _("Not answering"));
  if (up)
    gtk_widget_remove_css_class (GTK_WIDGET (self->service_label), "kiosk-error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->service_label), "kiosk-error");

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) readers = kiosk_card_monitor_list_readers (self->monitor, &error);
  if (readers == NULL)
    {
      g_autofree char *line = error ? kiosk_error_log_line (error) : g_strdup ("");
      g_autofree char *text = g_strdup_printf (_("The readers could not be listed: %s"), line);
      gtk_grid_attach (self->readers_grid, cell (text, "kiosk-error"), 0, 0, 4, 1);
      return;
    }
  if (readers->len == 0)
    {
      gtk_grid_attach (self->readers_grid, cell (_("No reader is connected."), "kiosk-warning"),
                       0, 0, 4, 1);
      return;
    }

  gtk_grid_attach (self->readers_grid, cell (_("Reader"), "kiosk-muted"), 0, 0, 1, 1);
  gtk_grid_attach (self->readers_grid, cell (_("Card"), "kiosk-muted"), 1, 0, 1, 1);
  gtk_grid_attach (self->readers_grid, cell (_("Kind"), "kiosk-muted"), 2, 0, 1, 1);
  gtk_grid_attach (self->readers_grid, cell (_("ATR"), "kiosk-muted"), 3, 0, 1, 1);
  for (guint i = 0; i < readers->len; i++)
    {
      const KioskReaderInfo *r = readers->pdata[i];
      int row = (int) i + 1;
      gtk_grid_attach (self->readers_grid, cell (r->name, NULL), 0, row, 1, 1);
      gtk_grid_attach (self->readers_grid,
                       cell (r->card_present ? _("Card present") : _("No card"), NULL),
                       1, row, 1, 1);
      const char *kind = "";
      if (r->card_present || source == KIOSK_CARD_SOURCE_NFC)
        kind = r->contactless ? _("Contactless") : _("Contact");
      gtk_grid_attach (self->readers_grid, cell (kind, NULL), 2, row, 1, 1);
      GtkWidget *atr = cell (r->atr_hex ? r->atr_hex : "", "monospace");
      gtk_widget_set_hexpand (atr, TRUE);
      gtk_grid_attach (self->readers_grid, atr, 3, row, 1, 1);
    }
}

/* ---- the outbox ---- */

static void
refresh_outbox (KioskAdminPage *self)
{
  mp_outbox *outbox = self->session ? kiosk_session_get_outbox (self->session) : NULL;
  guint pending = 0, rejected = 0, delivered_today = 0;
  gint64 oldest = 0;
  g_autofree char *problem = NULL;

  gtk_widget_set_sensitive (self->send_button, outbox != NULL && self->sending == NULL);
  if (outbox == NULL)
    return;

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = mp_outbox_list (outbox, 0, &error);
  if (entries == NULL)
    {
      g_autofree char *line = kiosk_error_log_line (error);
      problem = g_strdup_printf (_("The outbox could not be read: %s"), line);
    }
  else
    {
      gint64 today = start_of_today ();
      for (guint i = 0; i < entries->len; i++)
        {
          const mp_outbox_entry *e = entries->pdata[i];
          switch (e->state)
            {
            case MP_OUTBOX_PENDING:
              /* Oldest first: the first pending entry is the oldest, and
               * its note says what holds the rest up. */
              if (pending++ == 0)
                {
                  oldest = e->created_at;
                  if (e->file_problem != NULL)
                    problem = g_strdup (e->file_problem);
                  else if (e->last_error != NULL)
                    problem = g_strdup (e->last_error);
                }
              break;
            case MP_OUTBOX_REJECTED:
              rejected++;
              break;
            case MP_OUTBOX_DELIVERED:
              if (e->delivered_at >= today)
                delivered_today++;
              break;
            default:
              break;
            }
        }
    }

  g_autofree char *p = g_strdup_printf ("%u", pending);
  g_autofree char *r = g_strdup_printf ("%u", rejected);
  g_autofree char *d = g_strdup_printf ("%u", delivered_today);
  gtk_label_set_text (self->pending_label, p);
  gtk_label_set_text (self->rejected_label, r);
  gtk_label_set_text (self->delivered_label, d);
  g_autofree char *since = pending > 0 ? format_local (oldest) : NULL;
  gtk_label_set_text (self->oldest_label, since ? since : "");
  gtk_widget_set_visible (self->oldest_caption, since != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->oldest_label), since != NULL);
  gtk_label_set_text (self->problem_label, problem ? problem : "");
  gtk_widget_set_visible (self->problem_caption, problem != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
}

static void
show_send_status (KioskAdminPage *self, const char *text, gboolean failed)
{
  gtk_label_set_text (self->send_status_label, text);
  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self->send_status_label), "kiosk-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->send_status_label), "kiosk-error");
  gtk_widget_set_visible (GTK_WIDGET (self->send_status_label), TRUE);
}

/* One "send now": the page (referenced) and the cancellable it was given. */
typedef struct {
  KioskAdminPage *self;
  GCancellable *cancellable;
} SendData;

static void
send_data_free (SendData *sd)
{
  g_object_unref (sd->self);
  g_object_unref (sd->cancellable);
  g_free (sd);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendData, send_data_free)

static void
on_delivered (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(SendData) sd = data;
  KioskAdminPage *self = sd->self;
  g_autoptr(GError) error = NULL;
  mp_delivery delivery = { 0 };

  gboolean ok = kiosk_session_deliver_pending_finish (KIOSK_SESSION (source), result, &delivery,
                                                      &error);
  /* Cancelled: the context changed or the page is going; nothing to show. */
  if (g_cancellable_is_cancelled (sd->cancellable) || self->sending != sd->cancellable)
    return;
  g_clear_object (&self->sending);

  if (ok)
    {
      g_autofree char *text = NULL;
      if (delivery.pending == 0)
        text = g_strdup (_("Sending finished: nothing is waiting."));
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Sending finished: %u application is still waiting.",
                                             "Sending finished: %u applications are still waiting.",
                                             delivery.pending),
                                delivery.pending);
      show_send_status (self, text, FALSE);
    }
  else
    {
      g_autofree char *line = kiosk_error_log_line (error);
      g_autofree char *text = g_strdup_printf (_("Sending failed: %s"), line);
      show_send_status (self, text, TRUE);
    }
  refresh_outbox (self);
}

static void
on_send_clicked (KioskAdminPage *self)
{
  if (self->session == NULL || self->sending != NULL)
    return;
  self->sending = g_cancellable_new ();
  gtk_widget_set_sensitive (self->send_button, FALSE);
  show_send_status (self, _("Sending…"), FALSE);
  SendData *sd = g_new0 (SendData, 1);
  sd->self = g_object_ref (self);
  sd->cancellable = g_object_ref (self->sending);
  kiosk_session_deliver_pending_async (self->session, self->sending, on_delivered, sd);
}

static void
cancel_send (KioskAdminPage *self)
{
  if (self->sending == NULL)
    return;
  g_cancellable_cancel (self->sending);
  g_clear_object (&self->sending);
}

/* ---- the configuration ---- */

static void
refresh_config (KioskAdminPage *self)
{
  const KioskConfig *cfg = self->cfg;
  const mp_config *portal = cfg ? cfg->portal : NULL;
  int row = 0;

  grid_clear (self->config_grid);
  if (cfg == NULL)
    return;

  const char *none = _("not set");
  config_row (self, row++, _("Portal"), portal && portal->base_url ? portal->base_url : none);
  config_row (self, row++, _("Terminal ID"),
              portal && portal->terminal_id ? portal->terminal_id : none);
  config_row (self, row++, _("CA file"), portal && portal->ca_file ? portal->ca_file : none);
  config_row (self, row++, _("Terminal certificate"),
              portal && portal->client_cert ? portal->client_cert : none);
  mp_outbox *outbox = self->session ? kiosk_session_get_outbox (self->session) : NULL;
  config_row (self, row++, _("Outbox folder"), outbox ? mp_outbox_dir (outbox) : none);

  switch (cfg->card_source)
    {
    case KIOSK_CARD_SOURCE_PCSC:
      config_row (self, row++, _("Reader"), cfg->reader ? cfg->reader : _("the first with a card"));
      break;
    case KIOSK_CARD_SOURCE_NFC:
      config_row (self, row++, _("NFC device"), cfg->nfc_device ? cfg->nfc_device : _("the first found"));
      break;
    case KIOSK_CARD_SOURCE_VCARD:
    default:
      config_row (self, row++, _("Card profile"), cfg->vcard_profile ? cfg->vcard_profile : none);
      break;
    }

  g_autofree char *idle = g_strdup_printf (_("%u s, with a countdown of the last %u s"),
                                           cfg->idle_timeout_s, cfg->idle_warning_s);
  config_row (self, row++, _("Idle time-out"), idle);

  guint n = 0;
  const KioskLanguage *langs = kiosk_i18n_languages (&n);
  g_autoptr(GString) list = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (list, ", ");
      g_string_append (list, langs[i].code);
    }
  config_row (self, row++, _("Languages"), list->str);
  config_row (self, row++, _("Default language"),
              cfg->default_language ? cfg->default_language : none);
  /* Whether one is set, never its hash. */
  config_row (self, row++, _("Staff PIN"), cfg->staff_pin_hash ? C_("staff PIN", "set") : none);
}

/* ---- refreshing ---- */

static gboolean
on_refresh_tick (gpointer data)
{
  KioskAdminPage *self = data;

  refresh_readers (self);
  refresh_outbox (self);
  return G_SOURCE_CONTINUE;
}

static void
on_monitor_changed (KioskAdminPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    refresh_readers (self);
}

static void
kiosk_admin_page_map (GtkWidget *widget)
{
  KioskAdminPage *self = KIOSK_ADMIN_PAGE (widget);

  GTK_WIDGET_CLASS (kiosk_admin_page_parent_class)->map (widget);
  if (self->refresh_id == 0)
    {
      self->refresh_id = g_timeout_add_seconds (REFRESH_S, on_refresh_tick, self);
      g_source_set_name_by_id (self->refresh_id, "[kiosk] staff view refresh");
    }
}

static void
kiosk_admin_page_unmap (GtkWidget *widget)
{
  KioskAdminPage *self = KIOSK_ADMIN_PAGE (widget);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (kiosk_admin_page_parent_class)->unmap (widget);
}

static void
on_close_clicked (KioskAdminPage *self)
{
  g_signal_emit (self, signals[SIGNAL_CLOSE], 0);
}

/* ---- public ---- */

GtkWidget *
kiosk_admin_page_new (void)
{
  return g_object_new (KIOSK_TYPE_ADMIN_PAGE, NULL);
}

void
kiosk_admin_page_set_context (KioskAdminPage   *self,
                              const KioskConfig *cfg,
                              KioskSession     *session,
                              KioskCardMonitor *monitor)
{
  g_return_if_fail (KIOSK_IS_ADMIN_PAGE (self));

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  cancel_send (self);
  self->cfg = cfg;
  self->session = session;
  self->monitor = monitor;
  if (monitor != NULL)
    {
      g_signal_connect_object (monitor, "readers-changed", G_CALLBACK (on_monitor_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (monitor, "notify::card-present", G_CALLBACK (on_monitor_changed),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (monitor, "notify::service-available",
                               G_CALLBACK (on_monitor_changed), self, G_CONNECT_SWAPPED);
    }
  kiosk_admin_page_refresh (self);
}

void
kiosk_admin_page_refresh (KioskAdminPage *self)
{
  g_return_if_fail (KIOSK_IS_ADMIN_PAGE (self));

  refresh_readers (self);
  refresh_outbox (self);
  refresh_config (self);
  if (self->sending == NULL)
    {
      gtk_label_set_text (self->send_status_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->send_status_label), FALSE);
    }
}

/* ---- GObject ---- */

static void
kiosk_admin_page_dispose (GObject *object)
{
  KioskAdminPage *self = KIOSK_ADMIN_PAGE (object);

  cancel_send (self);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  self->monitor = NULL;
  self->session = NULL;
  self->cfg = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_ADMIN_PAGE);

  G_OBJECT_CLASS (kiosk_admin_page_parent_class)->dispose (object);
}

static void
kiosk_admin_page_class_init (KioskAdminPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_admin_page_dispose;
  widget_class->map = kiosk_admin_page_map;
  widget_class->unmap = kiosk_admin_page_unmap;

  signals[SIGNAL_CLOSE] = g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/shell/kiosk-admin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, content);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, source_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, service_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, readers_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, pending_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, rejected_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, delivered_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, oldest_caption);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, oldest_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, problem_caption);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, problem_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, send_button);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, send_status_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, config_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskAdminPage, version_label);
  gtk_widget_class_bind_template_callback (widget_class, on_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_send_clicked);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kiosk_admin_page_init (KioskAdminPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Staff view"), -1);

  g_autofree char *version = g_strdup_printf ("mynaterm-kiosk %s — GTK %u.%u.%u", MYNA_VERSION,
                                              gtk_get_major_version (), gtk_get_minor_version (),
                                              gtk_get_micro_version ());
  gtk_label_set_text (self->version_label, version);
  gtk_widget_set_sensitive (self->send_button, FALSE);
}
