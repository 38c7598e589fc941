/* kiosk-application.c - the kiosk program's life: start, windows, background delivery. */

#include "kiosk-application.h"

#include <stdio.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "kiosk-card-monitor.h"
#include "kiosk-config.h"
#include "kiosk-errors.h"
#include "kiosk-i18n.h"
#include "kiosk-session.h"
#include "kiosk-timing.h"
#include "kiosk-watchdog.h"
#include "kiosk-window.h"

#include "mynacard/secret.h"
#include "mynaportal/outbox.h"

struct _KioskApplication
{
  GtkApplication parent_instance;

  /* options */
  char *config_path;
  char *screenshot_dir;
  char *language;
  gboolean demo;
  gboolean windowed;
  gboolean exit_after_startup;

  KioskConfig *config;
  mp_outbox *outbox;
  KioskCardMonitor *monitor;
  KioskSession *session;
  KioskWindow *window;
  GtkCssProvider *css;
  guint delivery_source;
  GCancellable *delivery_cancellable;
  gboolean delivering;
};

G_DEFINE_FINAL_TYPE (KioskApplication, kiosk_application, GTK_TYPE_APPLICATION)

static void present_window (KioskApplication *self, const char *language, const char *notice);

static const char *
default_config_path (void)
{
  const char *env = g_getenv ("MYNA_KIOSK_CONFIG");
  return env && *env ? env : "/etc/mynaterm/mynaterm.conf";
}

/* The terminal cannot work: say so on the screen (a kiosk has no console)
 * and in the journal, and stay up so that staff can read it. */
static void
show_fatal (KioskApplication *self, const char *what, const GError *error)
{
  GtkWidget *win = gtk_application_window_new (GTK_APPLICATION (self));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *title = gtk_label_new (_("This terminal cannot start"));
  GtkWidget *advice = gtk_label_new (_("Please ask a member of staff. The message below tells the terminal's administrator what to fix."));
  GtkWidget *detail = gtk_label_new (error->message);

  g_printerr ("mynaterm-kiosk: %s: %s\n", what, error->message);
  gtk_widget_add_css_class (win, "kiosk");
  gtk_widget_add_css_class (title, "kiosk-title");
  gtk_widget_add_css_class (advice, "kiosk-subtitle");
  gtk_widget_add_css_class (detail, "kiosk-panel");
  gtk_label_set_wrap (GTK_LABEL (advice), TRUE);
  gtk_label_set_wrap (GTK_LABEL (detail), TRUE);
  gtk_label_set_selectable (GTK_LABEL (detail), FALSE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_start (box, 60);
  gtk_widget_set_margin_end (box, 60);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), advice);
  gtk_box_append (GTK_BOX (box), detail);
  gtk_window_set_child (GTK_WINDOW (win), box);
  gtk_window_set_title (GTK_WINDOW (win), _("マイナポータル terminal"));
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 800);
  if (self->config == NULL || (self->config->fullscreen && !self->windowed))
    gtk_window_fullscreen (GTK_WINDOW (win));
  gtk_window_present (GTK_WINDOW (win));
  kiosk_watchdog_status ("cannot start: configuration or storage");
  if (self->exit_after_startup)
    g_application_quit (G_APPLICATION (self));
}

/* ---- sending what waits in the outbox ---- */

static void
on_delivered (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  mp_delivery d = { 0 };

  if (!kiosk_session_deliver_pending_finish (KIOSK_SESSION (source), res, &d, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *line = kiosk_error_log_line (error);
          g_message ("outbox delivery: %s", line);
        }
    }
  else if (d.delivered || d.rejected)
    g_message ("outbox delivery: %u delivered, %u rejected, %u pending",
               d.delivered, d.rejected, d.pending);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    KIOSK_APPLICATION (user_data)->delivering = FALSE;
}

static gboolean
on_delivery_tick (gpointer user_data)
{
  KioskApplication *self = user_data;

  /* Only while nobody is at the counter: a resident's own submission
   * delivers itself. */
  if (!self->delivering && !kiosk_session_has_card (self->session))
    {
      self->delivering = TRUE;
      kiosk_session_deliver_pending_async (self->session, self->delivery_cancellable,
                                           on_delivered, self);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- windows ---- */

static gboolean
destroy_later (gpointer window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  return G_SOURCE_REMOVE;
}

static void
on_replace_requested (KioskWindow *old, const char *language, const char *notice,
                      KioskApplication *self)
{
  if (old != self->window)
    return;
  present_window (self, language, notice);
  /* Hide the old window now: the new one may be painted before an idle
   * callback runs (redraw has the higher priority), and until then a screen
   * reader (and the accessibility tree) would see both. Destroy it once its
   * signal handler has returned. */
  gtk_widget_set_visible (GTK_WIDGET (old), FALSE);
  g_idle_add (destroy_later, g_object_ref (old));
}

static void
present_window (KioskApplication *self, const char *language, const char *notice)
{
  KioskWindowSetup setup = { 0 };
  KioskWindow *old = self->window;

  /* A session ends in the default language: the configured one, or the
   * one given with --language. */
  kiosk_i18n_set_language (language ? language
                           : self->language ? self->language : self->config->default_language);
  setup.config = self->config;
  setup.session = self->session;
  setup.monitor = self->monitor;
  setup.demo = self->demo;
  setup.screenshot_dir = self->screenshot_dir;
  setup.notice = notice;
  /* Large text and high contrast stay as the last resident left them only
   * within a language change; a new resident starts from the settings. */
  setup.high_contrast = old && language ? kiosk_window_get_high_contrast (old) : self->config->high_contrast;
  setup.large_text = old && language ? kiosk_window_get_large_text (old) : self->config->large_text;
  self->window = kiosk_window_new (GTK_APPLICATION (self), &setup);
  g_signal_connect_object (self->window, "replace-requested", G_CALLBACK (on_replace_requested), self, 0);
  if (self->config->fullscreen && !self->windowed)
    gtk_window_fullscreen (GTK_WINDOW (self->window));
  gtk_window_present (GTK_WINDOW (self->window));
}

static void
on_exit_after_startup (GdkFrameClock *clock, KioskApplication *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_exit_after_startup, self);
  g_application_quit (G_APPLICATION (self));
}

static void
kiosk_application_activate (GApplication *app)
{
  KioskApplication *self = KIOSK_APPLICATION (app);
  g_autoptr (GError) error = NULL;

  if (self->window)
    {
      gtk_window_present (GTK_WINDOW (self->window));
      return;
    }
  if (!self->config)
    {
      self->config = kiosk_config_load (self->config_path ? self->config_path : default_config_path (), &error);
      if (!self->config)
        {
          show_fatal (self, "configuration", error);
          return;
        }
    }
  if (self->language && !kiosk_i18n_find (self->language))
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--language %s: not one of ja, en, zh_CN, ko, es, pt_BR", self->language);
      show_fatal (self, "options", error);
      return;
    }
  self->outbox = mp_outbox_open (self->config->portal->outbox_dir, &error);
  if (!self->outbox)
    {
      show_fatal (self, "outbox", error);
      return;
    }
  self->monitor = kiosk_card_monitor_new (self->config, &error);
  if (!self->monitor)
    {
      show_fatal (self, "card", error);
      return;
    }
  self->session = kiosk_session_new (self->config, self->monitor, self->outbox, &error);
  if (!self->session)
    {
      show_fatal (self, "portal", error);
      return;
    }
  if (self->screenshot_dir && g_mkdir_with_parents (self->screenshot_dir, 0700) != 0)
    g_warning ("cannot make %s", self->screenshot_dir);

  self->delivery_cancellable = g_cancellable_new ();
  self->delivery_source = g_timeout_add_seconds (self->config->delivery_interval_s, on_delivery_tick, self);
  present_window (self, self->language, NULL);
  if (self->exit_after_startup)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->window));
      if (clock)
        g_signal_connect (clock, "after-paint", G_CALLBACK (on_exit_after_startup), self);
      else
        g_application_quit (app);
    }
}

static void
kiosk_application_startup (GApplication *app)
{
  KioskApplication *self = KIOSK_APPLICATION (app);

  G_APPLICATION_CLASS (kiosk_application_parent_class)->startup (app);
  self->css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (self->css, "/jp/mynaterm/kiosk/app/theme/kiosk.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (self->css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  kiosk_watchdog_start ();
}

static void
kiosk_application_shutdown (GApplication *app)
{
  KioskApplication *self = KIOSK_APPLICATION (app);

  if (self->delivery_cancellable)
    g_cancellable_cancel (self->delivery_cancellable);
  g_clear_handle_id (&self->delivery_source, g_source_remove);
  if (self->session)
    kiosk_session_end (self->session);
  kiosk_watchdog_stop ();
  G_APPLICATION_CLASS (kiosk_application_parent_class)->shutdown (app);
}

static int
hash_staff_pin (void)
{
  myna_secret *pin = NULL;
  g_autofree char *hash = NULL;

  if (myna_secret_read_line_fd (STDIN_FILENO, &pin) != MYNA_OK || myna_secret_len (pin) < 4)
    {
      myna_secret_free (pin);
      g_printerr ("mynaterm-kiosk: --hash-staff-pin reads the staff PIN (4-12 digits) on standard input\n");
      return 2;
    }
  for (size_t i = 0; i < myna_secret_len (pin); i++)
    if (!g_ascii_isdigit (myna_secret_bytes (pin)[i]) || myna_secret_len (pin) > 12)
      {
        myna_secret_free (pin);
        g_printerr ("mynaterm-kiosk: the staff PIN must be 4 to 12 digits\n");
        return 2;
      }
  hash = kiosk_config_hash_staff_pin (pin);
  myna_secret_free (pin);
  if (!hash)
    return 1;
  printf ("staff-pin-hash=%s\n", hash);
  return 0;
}

static int
kiosk_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      printf ("mynaterm-kiosk %s\n", MYNA_VERSION);
      return 0;
    }
  if (g_variant_dict_contains (options, "hash-staff-pin"))
    return hash_staff_pin ();
  return -1;
}

static void
kiosk_application_finalize (GObject *object)
{
  KioskApplication *self = KIOSK_APPLICATION (object);

  g_clear_object (&self->session);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->outbox, mp_outbox_close);
  g_clear_pointer (&self->config, kiosk_config_free);
  g_clear_object (&self->css);
  g_clear_object (&self->delivery_cancellable);
  g_free (self->config_path);
  g_free (self->screenshot_dir);
  g_free (self->language);
  G_OBJECT_CLASS (kiosk_application_parent_class)->finalize (object);
}

static void
kiosk_application_class_init (KioskApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = kiosk_application_finalize;
  app_class->activate = kiosk_application_activate;
  app_class->startup = kiosk_application_startup;
  app_class->shutdown = kiosk_application_shutdown;
  app_class->handle_local_options = kiosk_application_handle_local_options;
}

static void
kiosk_application_init (KioskApplication *self)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &self->config_path,
      "The settings file (default: $MYNA_KIOSK_CONFIG or /etc/mynaterm/mynaterm.conf)", "FILE" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &self->demo,
      "Demonstration: show the bar that inserts and removes the software card", NULL },
    { "screenshots", 0, 0, G_OPTION_ARG_FILENAME, &self->screenshot_dir,
      "Write a PNG of every screen shown into DIR", "DIR" },
    { "window", 0, 0, G_OPTION_ARG_NONE, &self->windowed,
      "Run in a window, not full screen", NULL },
    { "language", 0, 0, G_OPTION_ARG_STRING, &self->language,
      "Start in this language (ja, en, zh_CN, ko, es, pt_BR)", "CODE" },
    { "exit-after-startup", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &self->exit_after_startup,
      "Quit once the first screen is drawn (smoke tests)", NULL },
    { "hash-staff-pin", 0, 0, G_OPTION_ARG_NONE, NULL,
      "Read a staff PIN on standard input and print its staff-pin-hash line", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

KioskApplication *
kiosk_application_new (void)
{
  return g_object_new (KIOSK_TYPE_APPLICATION,
                       "application-id", "jp.mynaterm.Kiosk",
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}
