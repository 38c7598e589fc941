/* test_kiosk_watchdog.c - what systemd would receive.
 *
 * The test plays systemd: a unix datagram socket of its own as
 * NOTIFY_SOCKET, WATCHDOG_USEC / WATCHDOG_PID as a unit with WatchdogSec=
 * would set them, and every datagram read on the main loop. */

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kiosk-watchdog.h"

static char *tmp_dir;
static GSocket *sock;
static GPtrArray *messages;   /* one string per datagram */

static gboolean
on_datagram (GSocket *s, GIOCondition cond, gpointer data)
{
  char buf[4096];
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (s, buf, sizeof buf - 1, NULL, &error);
      if (n < 0)
        break;
      buf[n] = '\0';
      g_ptr_array_add (messages, g_strdup (buf));
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL(cond, timeout_ms)                                             \
  G_STMT_START {                                                                 \
    gint64 end_ = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000;        \
    guint tick_ = g_timeout_add (10, tick, NULL);                                \
    while (!(cond) && g_get_monotonic_time () < end_)                            \
      g_main_context_iteration (NULL, TRUE);                                     \
    g_source_remove (tick_);                                                     \
  } G_STMT_END

static guint
count (const char *message)
{
  guint n = 0;
  for (guint i = 0; i < messages->len; i++)
    n += strcmp (messages->pdata[i], message) == 0;
  return n;
}

static void
forget (void)
{
  /* What was sent so far is in the socket already: read it, then drop it. */
  on_datagram (sock, G_IO_IN, NULL);
  g_ptr_array_set_size (messages, 0);
}

static void
set_watchdog_env (const char *usec, pid_t pid)
{
  g_autofree char *p = g_strdup_printf ("%d", (int) pid);
  g_setenv ("WATCHDOG_USEC", usec, TRUE);
  g_setenv ("WATCHDOG_PID", p, TRUE);
}

static void
test_keepalive_at_half_interval_until_stopped (void)
{
  set_watchdog_env ("500000", getpid ());
  forget ();
  kiosk_watchdog_start ();
  kiosk_watchdog_start (); /* once is enough; no second timer */
  kiosk_watchdog_ready ();
  kiosk_watchdog_ready ();
  kiosk_watchdog_status ("Waiting for a card");

  /* One at start, then every 250 ms: 3 well within 1.2 s. */
  gint64 start = g_get_monotonic_time ();
  WAIT_UNTIL (count ("WATCHDOG=1") >= 3, 1200);
  gint64 took = g_get_monotonic_time () - start;
  g_test_message ("3 keep-alives after %.3f s", took / 1e6);
  g_assert_cmpuint (count ("WATCHDOG=1"), >=, 3);
  /* A double start would send twice as often: no more than 1 at start
   * plus one per 250 ms of what passed, with room for a late check. */
  g_assert_cmpuint (count ("WATCHDOG=1"), <=, 2 + took / 250000);
  g_assert_cmpuint (count ("READY=1"), ==, 1);
  g_assert_cmpuint (count ("STATUS=Waiting for a card"), ==, 1);

  kiosk_watchdog_stop ();
  WAIT_UNTIL (count ("STOPPING=1") == 1, 1000);
  g_assert_cmpuint (count ("STOPPING=1"), ==, 1);
  /* Two intervals: a keep-alive would have come by now. */
  forget ();
  WAIT_UNTIL (FALSE, 600);
  g_assert_cmpuint (count ("WATCHDOG=1"), ==, 0);
}

static void
test_status_is_one_line (void)
{
  forget ();
  kiosk_watchdog_status ("first\nREADY=1\rSTOPPING=1");
  WAIT_UNTIL (count ("STATUS=first READY=1 STOPPING=1") == 1, 1000);
  g_assert_cmpuint (count ("STATUS=first READY=1 STOPPING=1"), ==, 1);
  for (guint i = 0; i < messages->len; i++)
    g_assert_null (strchr (messages->pdata[i], '\n'));
}

static void
test_no_keepalive_for_another_process (void)
{
  /* WATCHDOG_PID names the parent: this process only inherited the
   * environment, and READY still goes (it is no keep-alive). */
  set_watchdog_env ("500000", getppid ());
  forget ();
  kiosk_watchdog_start ();
  kiosk_watchdog_ready ();
  WAIT_UNTIL (FALSE, 600);
  g_assert_cmpuint (count ("WATCHDOG=1"), ==, 0);
  g_assert_cmpuint (count ("READY=1"), ==, 1);
  kiosk_watchdog_stop ();
}

static void
test_without_systemd_nothing_happens (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("NOTIFY_SOCKET"));
  g_unsetenv ("NOTIFY_SOCKET");
  set_watchdog_env ("500000", getpid ());
  forget ();
  kiosk_watchdog_start ();
  kiosk_watchdog_ready ();
  kiosk_watchdog_status ("nobody listens");
  kiosk_watchdog_stop ();
  g_setenv ("NOTIFY_SOCKET", saved, TRUE);
  /* A message sent now is the first the socket gets. */
  kiosk_watchdog_status ("marker");
  WAIT_UNTIL (count ("STATUS=marker") == 1, 1000);
  g_assert_cmpuint (messages->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autoptr(GError) error = NULL;
  tmp_dir = g_dir_make_tmp ("kiosk-watchdog-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (tmp_dir, "notify", NULL);
  sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (path);
  g_assert_true (g_socket_bind (sock, addr, TRUE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (sock, FALSE);
  GSource *source = g_socket_create_source (sock, G_IO_IN, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_datagram), NULL, NULL);
  g_source_attach (source, NULL);
  messages = g_ptr_array_new_with_free_func (g_free);
  g_setenv ("NOTIFY_SOCKET", path, TRUE);

  g_test_add_func ("/kiosk/watchdog/keepalive-at-half-interval-until-stopped",
                   test_keepalive_at_half_interval_until_stopped);
  g_test_add_func ("/kiosk/watchdog/status-is-one-line", test_status_is_one_line);
  g_test_add_func ("/kiosk/watchdog/no-keepalive-for-another-process",
                   test_no_keepalive_for_another_process);
  g_test_add_func ("/kiosk/watchdog/without-systemd-nothing-happens",
                   test_without_systemd_nothing_happens);

  int rc = g_test_run ();
  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (sock);
  g_unlink (path);
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_ptr_array_unref (messages);
  return rc;
}
