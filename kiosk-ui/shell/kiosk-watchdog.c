/* kiosk-watchdog.c - tell systemd the kiosk is alive (sd_notify).
 *
 * The keep-alive is a timeout on the default main context: if the main
 * loop hangs (a blocking call, a dead lock), WATCHDOG=1 stops and systemd
 * restarts the unit after WatchdogSec. sd_watchdog_enabled also checks
 * WATCHDOG_PID, so a child process that inherited the environment never
 * sends keep-alives for its parent. Without NOTIFY_SOCKET sd_notify does
 * nothing, so these calls are safe outside systemd. */

#include "kiosk-watchdog.h"

#include <systemd/sd-daemon.h>

static guint keepalive_id;
static gboolean ready_sent;

static gboolean
send_keepalive (gpointer data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

void
kiosk_watchdog_start (void)
{
  uint64_t usec = 0;

  if (keepalive_id != 0)
    return;
  int r = sd_watchdog_enabled (0, &usec);
  if (r < 0)
    {
      g_warning ("systemd watchdog settings are not usable: %s", g_strerror (-r));
      return;
    }
  if (r == 0 || usec == 0)
    return;

  /* Half the interval, as systemd recommends; at least 1 ms. */
  guint interval_ms = (guint) MAX (usec / 2000, 1);
  g_debug ("systemd watchdog: %" G_GUINT64_FORMAT " µs, keep-alive every %u ms",
           (guint64) usec, interval_ms);
  send_keepalive (NULL);
  keepalive_id = g_timeout_add_full (G_PRIORITY_DEFAULT, interval_ms, send_keepalive, NULL, NULL);
  g_source_set_name_by_id (keepalive_id, "[kiosk] systemd watchdog");
}

void
kiosk_watchdog_ready (void)
{
  if (ready_sent)
    return;
  ready_sent = TRUE;
  sd_notify (0, "READY=1");
}

void
kiosk_watchdog_status (const char *status)
{
  g_return_if_fail (status != NULL);

  /* One line: a newline would start another assignment (READY=, ...). */
  g_autofree char *line = g_strdup (status);
  g_strdelimit (line, "\r\n", ' ');
  g_autofree char *message = g_strconcat ("STATUS=", line, NULL);
  sd_notify (0, message);
}

void
kiosk_watchdog_stop (void)
{
  if (keepalive_id == 0 && !ready_sent)
    return;
  g_clear_handle_id (&keepalive_id, g_source_remove);
  sd_notify (0, "STOPPING=1");
  ready_sent = FALSE;
}
