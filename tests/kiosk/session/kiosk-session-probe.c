/* kiosk-session-probe - KioskCardMonitor and KioskSession on a real card
 * stack, driven line by line, for the Python tests that start pcscd (or the
 * emulated PN532) and portal-sim and fault them.
 *
 *   kiosk_session_probe --source pcsc|nfc|vcard [--reader NAME]
 *                       [--nfc-device CONNSTRING] [--profile PROFILE.INI]
 *                       [--outbox DIR]
 *
 * The portal comes from PORTAL_URL, PORTAL_CA (as portalenv.py sets them;
 * --outbox is needed then); without them only the monitor runs and session
 * commands answer "COMMAND error no-portal".
 *
 * Standard output, one line each, as things happen:
 *   ready
 *   card-inserted | card-removed | readers-changed
 *   notify card-present=0|1 | notify service-available=0|1 | notify reader-kind=N
 *   ended
 * and one answer per command read from standard input:
 *   state        state present=0|1 service=0|1 kind=N reader=NAME
 *   readers      readers N, then N lines "reader NAME|present=0|1|contactless=0|1"
 *   begin        begin ok TRIES | begin error ERR
 *   login PIN    login ok | login error ERR tries=N     (test PINs only)
 *   sign-tries   sign-tries N | sign-tries error ERR
 *   logged-in    logged-in 0|1
 *   end          (the "ended" line follows when the card is closed)
 *   quit
 * ERR: "card:<myna_rv_name>", "mp:<mp_error_name>" or "cancelled".
 */

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "mynaportal/error.h"

#include "kiosk-card-monitor.h"
#include "kiosk-session.h"

typedef struct
{
  GMainLoop *loop;
  KioskCardMonitor *monitor;
  KioskSession *session;
  mp_outbox *outbox;
} Probe;

static void
say (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static char *
err_name (const GError *e)
{
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup ("cancelled");
  if (e->domain == MP_ERROR && e->code == MP_ERROR_CARD)
    {
      const mp_problem *p = mp_error_get_problem (e);
      return g_strdup_printf ("card:%s", myna_rv_name (p ? (myna_rv) p->card_rv : MYNA_E_IO));
    }
  if (e->domain == MP_ERROR)
    return g_strdup_printf ("mp:%s", mp_error_name ((mp_error) e->code));
  return g_strdup_printf ("%s:%d", g_quark_to_string (e->domain), e->code);
}

static void
on_signal (KioskCardMonitor *m, const char *what)
{
  say ("%s", what);
}

static void
on_notify (GObject *o, GParamSpec *pspec, gpointer data)
{
  int value = 0;
  if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_BOOLEAN)
    {
      gboolean b = FALSE;
      g_object_get (o, pspec->name, &b, NULL);
      value = b;
    }
  else
    g_object_get (o, pspec->name, &value, NULL);
  say ("notify %s=%d", pspec->name, value);
}

static void
on_ended (KioskSession *s, gpointer data)
{
  say ("ended");
}

static void
begun (GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) e = NULL;
  int tries = -1;
  if (kiosk_session_begin_finish (KIOSK_SESSION (src), res, &tries, &e))
    say ("begin ok %d", tries);
  else
    {
      g_autofree char *n = err_name (e);
      say ("begin error %s", n);
    }
}

static void
logged_in (GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) e = NULL;
  int tries = -1;
  if (kiosk_session_login_finish (KIOSK_SESSION (src), res, &tries, &e))
    say ("login ok");
  else
    {
      g_autofree char *n = err_name (e);
      say ("login error %s tries=%d", n, tries);
    }
}

static void
got_sign_tries (GObject *src, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) e = NULL;
  int tries = kiosk_session_sign_tries_finish (KIOSK_SESSION (src), res, &e);
  if (e)
    {
      g_autofree char *n = err_name (e);
      say ("sign-tries error %s", n);
    }
  else
    say ("sign-tries %d", tries);
}

static void
command (Probe *p, char *line)
{
  g_strchomp (line);
  char *arg = strchr (line, ' ');
  if (arg)
    *arg++ = '\0';
  if (strcmp (line, "state") == 0)
    {
      const char *reader = kiosk_card_monitor_get_reader_name (p->monitor);
      say ("state present=%d service=%d kind=%d reader=%s",
           kiosk_card_monitor_get_card_present (p->monitor),
           kiosk_card_monitor_get_service_available (p->monitor),
           (int) kiosk_card_monitor_get_reader_kind (p->monitor), reader ? reader : "");
    }
  else if (strcmp (line, "readers") == 0)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (GPtrArray) a = kiosk_card_monitor_list_readers (p->monitor, &e);
      if (!a)
        {
          g_autofree char *n = err_name (e);
          say ("readers error %s", n);
          return;
        }
      say ("readers %u", a->len);
      for (guint i = 0; i < a->len; i++)
        {
          KioskReaderInfo *r = a->pdata[i];
          say ("reader %s|present=%d|contactless=%d", r->name, r->card_present, r->contactless);
        }
    }
  else if (strcmp (line, "quit") == 0)
    g_main_loop_quit (p->loop);
  else if (!p->session)
    say ("%s error no-portal", line);
  else if (strcmp (line, "begin") == 0)
    kiosk_session_begin_async (p->session, NULL, begun, p);
  else if (strcmp (line, "login") == 0 && arg)
    kiosk_session_login_async (p->session, myna_secret_from_bytes (arg, strlen (arg)), NULL,
                               logged_in, p);
  else if (strcmp (line, "sign-tries") == 0)
    kiosk_session_sign_tries_async (p->session, NULL, got_sign_tries, p);
  else if (strcmp (line, "logged-in") == 0)
    say ("logged-in %d", kiosk_session_is_logged_in (p->session));
  else if (strcmp (line, "end") == 0)
    kiosk_session_end (p->session);
  else
    say ("unknown %s", line);
}

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Probe *p = data;
  g_autofree char *line = NULL;
  GIOStatus st = g_io_channel_read_line (ch, &line, NULL, NULL, NULL);
  if (st == G_IO_STATUS_NORMAL && line)
    {
      command (p, line);
      return G_SOURCE_CONTINUE;
    }
  if (st == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (p->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *source = NULL;
  g_autofree char *reader = NULL;
  g_autofree char *nfc_device = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *outbox_dir = NULL;
  GOptionEntry entries[] = {
    { "source", 0, 0, G_OPTION_ARG_STRING, &source, "pcsc, nfc or vcard", "SOURCE" },
    { "reader", 0, 0, G_OPTION_ARG_STRING, &reader, "reader name or part of it", "NAME" },
    { "nfc-device", 0, 0, G_OPTION_ARG_STRING, &nfc_device, "libnfc connstring", "CONN" },
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile, "software card profile", "INI" },
    { "outbox", 0, 0, G_OPTION_ARG_FILENAME, &outbox_dir, "outbox folder", "DIR" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("- drive a kiosk session");
  g_option_context_add_main_entries (oc, entries, NULL);
  g_autoptr (GError) e = NULL;
  if (!g_option_context_parse (oc, &argc, &argv, &e))
    {
      g_printerr ("%s\n", e->message);
      return 2;
    }

  g_autoptr (KioskConfig) cfg = kiosk_config_new ();
  if (!source || strcmp (source, "pcsc") == 0)
    cfg->card_source = KIOSK_CARD_SOURCE_PCSC;
  else if (strcmp (source, "nfc") == 0)
    cfg->card_source = KIOSK_CARD_SOURCE_NFC;
  else if (strcmp (source, "vcard") == 0)
    cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
  else
    {
      g_printerr ("unknown source %s\n", source);
      return 2;
    }
  cfg->reader = g_steal_pointer (&reader);
  cfg->nfc_device = g_steal_pointer (&nfc_device);
  cfg->vcard_profile = g_steal_pointer (&profile);

  Probe p = { 0 };
  p.loop = g_main_loop_new (NULL, FALSE);
  p.monitor = kiosk_card_monitor_new (cfg, &e);
  if (!p.monitor)
    {
      g_printerr ("%s\n", e->message);
      return 1;
    }
  g_signal_connect (p.monitor, "card-inserted", G_CALLBACK (on_signal), "card-inserted");
  g_signal_connect (p.monitor, "card-removed", G_CALLBACK (on_signal), "card-removed");
  g_signal_connect (p.monitor, "readers-changed", G_CALLBACK (on_signal), "readers-changed");
  g_signal_connect (p.monitor, "notify", G_CALLBACK (on_notify), NULL);

  if (g_getenv ("PORTAL_URL"))
    {
      mp_config *pc = cfg->portal;
      pc->base_url = g_strdup (g_getenv ("PORTAL_URL"));
      pc->ca_file = g_strdup (g_getenv ("PORTAL_CA"));
      pc->terminal_id = g_strdup ("kiosk-test-01");
      pc->retry_total_ms = 5000;
      pc->retry_base_ms = 50;
      pc->retry_max_ms = 500;
      if (!outbox_dir)
        {
          g_printerr ("with a portal, --outbox DIR is needed\n");
          return 2;
        }
      p.outbox = mp_outbox_open (outbox_dir, &e);
      if (p.outbox)
        p.session = kiosk_session_new (cfg, p.monitor, p.outbox, &e);
      if (!p.session)
        {
          g_printerr ("%s\n", e->message);
          return 1;
        }
      g_signal_connect (p.session, "ended", G_CALLBACK (on_ended), NULL);
    }

  GIOChannel *in = g_io_channel_unix_new (0);
  guint watch = g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &p);
  say ("ready");
  g_main_loop_run (p.loop);
  g_source_remove (watch);
  g_io_channel_unref (in);

  if (p.session)
    {
      kiosk_session_end (p.session);
      gpointer alive = p.session;
      g_object_add_weak_pointer (G_OBJECT (p.session), &alive);
      g_object_unref (p.session);
      /* The logout at the portal and the card's close hold it a moment. */
      while (alive)
        g_main_context_iteration (NULL, TRUE);
    }
  g_object_unref (p.monitor);
  if (p.outbox)
    mp_outbox_close (p.outbox);
  g_main_loop_unref (p.loop);
  return 0;
}
