/* shell-test-util.h - waiting on the main loop and real input under Xvfb,
 * for the shell part's tests. Header-only: each test is one .c.
 *
 * Real key presses and clicks come from xdotool (XTEST), so they travel
 * the whole way a touch or a key does: X server, GDK, the window's
 * controllers, the widgets. */
#pragma once

#include <gdk/x11/gdkx.h>
#include <gtk/gtk.h>

static gboolean
shell_test_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterate the default main context until cond or timeout_ms. */
#define WAIT_UNTIL(cond, timeout_ms)                                             \
  G_STMT_START {                                                                 \
    gint64 end_ = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000;        \
    guint tick_ = g_timeout_add (10, shell_test_tick, NULL);                     \
    while (!(cond) && g_get_monotonic_time () < end_)                            \
      g_main_context_iteration (NULL, TRUE);                                     \
    g_source_remove (tick_);                                                     \
  } G_STMT_END

/* Present window and wait until it is on screen. */
static inline void
show_window (GtkWindow *window)
{
  gtk_window_present (window);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), 5000);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
}

static inline char *
window_xid (GtkWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_assert_true (GDK_IS_X11_SURFACE (surface));
  return g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
}

/* Run xdotool with args (NULL-terminated); fails the test if it fails. */
static inline void
xdotool (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) "xdotool");
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                     &err, &status, &error))
    g_error ("xdotool (is it installed?): %s", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("xdotool %s: %s %s", first, error->message, err ? err : "");
}

/* Give window the keyboard (no window manager runs on the test's Xvfb). */
static inline void
focus_window (GtkWindow *window)
{
  g_autofree char *xid = window_xid (window);
  xdotool ("windowfocus", "--sync", xid, NULL);
}

/* A press and release of button at (x, y) in window. */
static inline void
click_in (GtkWindow *window, int x, int y, int button)
{
  g_autofree char *xid = window_xid (window);
  g_autofree char *sx = g_strdup_printf ("%d", x);
  g_autofree char *sy = g_strdup_printf ("%d", y);
  g_autofree char *sb = g_strdup_printf ("%d", button);
  /* No --sync: it waits for a motion that never comes when the pointer is
   * already there. XTEST requests are handled in order, so the click lands
   * where the pointer was moved to. */
  xdotool ("mousemove", "--window", xid, sx, sy, "click", sb, NULL);
}
