/* test_kiosk_idle.c - the idle time-out counts down, ends, and yields to a
 * person's touch or key.
 *
 * Short time-outs (a few seconds) on a real window under Xvfb; clicks and
 * keys are real X input (xdotool). Timing is checked only from below (no
 * warning before its time) and with a bound from above (it comes): never
 * against an exact period. */

#include <gtk/gtk.h>

#include "kiosk-idle.h"
#include "shell-test-util.h"

typedef enum { EV_WARNING, EV_RESUMED, EV_TIMEOUT } EventKind;

typedef struct {
  EventKind kind;
  guint seconds;          /* warning only */
  gboolean in_warning;    /* kiosk_idle_in_warning as the signal came */
  gint64 at;              /* monotonic µs */
} Event;

typedef struct {
  GtkWindow *window;
  GtkWidget *button;
  guint clicked;
  KioskIdle *idle;
  GArray *events;
} Fixture;

static void
record (Fixture *f, EventKind kind, guint seconds)
{
  Event e = { kind, seconds, kiosk_idle_in_warning (f->idle), g_get_monotonic_time () };
  g_array_append_val (f->events, e);
}

static void
on_warning (KioskIdle *idle, guint seconds, Fixture *f)
{
  record (f, EV_WARNING, seconds);
}

static void
on_resumed (KioskIdle *idle, Fixture *f)
{
  record (f, EV_RESUMED, 0);
}

static void
on_timeout (KioskIdle *idle, Fixture *f)
{
  record (f, EV_TIMEOUT, 0);
}

static void
on_clicked (GtkButton *button, Fixture *f)
{
  f->clicked++;
}

static guint
count (Fixture *f, EventKind kind)
{
  guint n = 0;
  for (guint i = 0; i < f->events->len; i++)
    n += g_array_index (f->events, Event, i).kind == kind;
  return n;
}

static const Event *
event (Fixture *f, guint i)
{
  g_assert_cmpuint (i, <, f->events->len);
  return &g_array_index (f->events, Event, i);
}

static KioskIdle *
watch (Fixture *f, guint timeout_s, guint warning_s)
{
  KioskIdle *idle = kiosk_idle_new (f->window, timeout_s, warning_s);
  g_signal_connect (idle, "warning", G_CALLBACK (on_warning), f);
  g_signal_connect (idle, "resumed", G_CALLBACK (on_resumed), f);
  g_signal_connect (idle, "timeout", G_CALLBACK (on_timeout), f);
  return idle;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 400, 300);
  /* A button over the whole window: a click anywhere is also a click on
   * it, so the test sees whether the idle watch lets events through. */
  f->button = gtk_button_new_with_label ("Continue");
  g_signal_connect (f->button, "clicked", G_CALLBACK (on_clicked), f);
  gtk_window_set_child (f->window, f->button);
  f->events = g_array_new (FALSE, TRUE, sizeof (Event));
  show_window (f->window);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->idle);
  gtk_window_destroy (f->window);
  g_array_unref (f->events);
}

static void
test_counts_down_then_times_out (Fixture *f, gconstpointer data)
{
  gint64 start = g_get_monotonic_time ();
  f->idle = watch (f, 3, 2);
  g_assert_false (kiosk_idle_in_warning (f->idle));

  WAIT_UNTIL (count (f, EV_TIMEOUT) == 1, 6000);
  g_assert_cmpuint (f->events->len, ==, 3);
  g_assert_cmpint (event (f, 0)->kind, ==, EV_WARNING);
  g_assert_cmpuint (event (f, 0)->seconds, ==, 2);
  g_assert_true (event (f, 0)->in_warning);
  g_assert_cmpint (event (f, 1)->kind, ==, EV_WARNING);
  g_assert_cmpuint (event (f, 1)->seconds, ==, 1);
  g_assert_cmpint (event (f, 2)->kind, ==, EV_TIMEOUT);
  g_assert_false (event (f, 2)->in_warning);
  g_assert_false (kiosk_idle_in_warning (f->idle));

  /* Never early: the countdown starts after timeout - warning seconds and
   * the end comes after the whole time-out. */
  g_assert_cmpint (event (f, 0)->at - start, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (event (f, 1)->at - start, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (event (f, 2)->at - start, >=, 3 * G_USEC_PER_SEC);
}

static void
test_reset_after_timeout_counts_again (Fixture *f, gconstpointer data)
{
  /* warning = timeout: the countdown starts at once. */
  f->idle = watch (f, 1, 1);
  WAIT_UNTIL (count (f, EV_TIMEOUT) == 1, 3000);
  g_assert_cmpuint (count (f, EV_TIMEOUT), ==, 1);
  g_assert_cmpuint (count (f, EV_WARNING), ==, 1);

  /* Stopped after "timeout": a person's click does not restart it... */
  click_in (f->window, 200, 150, 1);
  WAIT_UNTIL (f->clicked == 1, 3000);
  g_assert_cmpuint (f->clicked, ==, 1);
  g_assert_cmpuint (count (f, EV_RESUMED), ==, 0);
  g_assert_cmpuint (f->events->len, ==, 2);

  /* ...kiosk_idle_reset does, and the whole count comes again. */
  gint64 reset_at = g_get_monotonic_time ();
  kiosk_idle_reset (f->idle);
  WAIT_UNTIL (count (f, EV_TIMEOUT) == 2, 3000);
  g_assert_cmpuint (count (f, EV_RESUMED), ==, 0);
  g_assert_cmpuint (count (f, EV_TIMEOUT), ==, 2);
  g_assert_cmpuint (count (f, EV_WARNING), ==, 2);
  g_assert_cmpint (event (f, 3)->kind, ==, EV_TIMEOUT);
  g_assert_cmpint (event (f, 3)->at - reset_at, >=, 1 * G_USEC_PER_SEC);
}

/* During the countdown a real event (pointer click or key) resumes: the
 * next signal is a fresh full countdown, not its continuation. */
static void
check_resume_by (Fixture *f, gboolean key)
{
  f->idle = watch (f, 2, 1);
  WAIT_UNTIL (count (f, EV_WARNING) == 1, 3000);
  g_assert_cmpuint (count (f, EV_WARNING), ==, 1);
  g_assert_true (kiosk_idle_in_warning (f->idle));

  if (key)
    xdotool ("key", "shift", NULL);
  else
    click_in (f->window, 200, 150, 1);
  WAIT_UNTIL (count (f, EV_RESUMED) == 1, 3000);
  g_assert_cmpuint (count (f, EV_RESUMED), ==, 1);
  g_assert_false (kiosk_idle_in_warning (f->idle));
  g_assert_cmpuint (count (f, EV_TIMEOUT), ==, 0);
  gint64 resumed_at = event (f, 1)->at;

  WAIT_UNTIL (f->events->len >= 3, 3000);
  g_assert_cmpint (event (f, 2)->kind, ==, EV_WARNING);
  g_assert_cmpuint (event (f, 2)->seconds, ==, 1);
  g_assert_cmpint (event (f, 2)->at - resumed_at, >=, 1 * G_USEC_PER_SEC);
}

static void
test_click_resumes_and_reaches_the_button (Fixture *f, gconstpointer data)
{
  check_resume_by (f, FALSE);
  /* The event went on to the widget under it. */
  g_assert_cmpuint (f->clicked, ==, 1);
}

static void
test_key_resumes (Fixture *f, gconstpointer data)
{
  focus_window (f->window);
  check_resume_by (f, TRUE);
  g_assert_cmpuint (f->clicked, ==, 0);
}

static void
test_reset_in_warning_resumes (Fixture *f, gconstpointer data)
{
  f->idle = watch (f, 2, 1);
  WAIT_UNTIL (count (f, EV_WARNING) == 1, 3000);
  g_assert_true (kiosk_idle_in_warning (f->idle));

  kiosk_idle_reset (f->idle);
  g_assert_cmpuint (count (f, EV_RESUMED), ==, 1);
  g_assert_false (kiosk_idle_in_warning (f->idle));
}

static void
test_disabled_stays_silent_until_enabled (Fixture *f, gconstpointer data)
{
  /* Two watches on the window: the enabled one is the clock. */
  g_autoptr(KioskIdle) quiet = kiosk_idle_new (f->window, 1, 1);
  kiosk_idle_set_enabled (quiet, FALSE);
  Fixture twin = { .window = f->window, .idle = quiet,
                   .events = g_array_new (FALSE, TRUE, sizeof (Event)) };
  g_signal_connect (quiet, "warning", G_CALLBACK (on_warning), &twin);
  g_signal_connect (quiet, "resumed", G_CALLBACK (on_resumed), &twin);
  g_signal_connect (quiet, "timeout", G_CALLBACK (on_timeout), &twin);

  f->idle = watch (f, 1, 1);
  WAIT_UNTIL (count (f, EV_TIMEOUT) == 1, 3000);
  g_assert_cmpuint (count (f, EV_TIMEOUT), ==, 1);
  g_assert_cmpuint (twin.events->len, ==, 0);
  g_assert_false (kiosk_idle_in_warning (quiet));

  /* Enabled, it counts from now. */
  gint64 enabled_at = g_get_monotonic_time ();
  kiosk_idle_set_enabled (quiet, TRUE);
  WAIT_UNTIL (count (&twin, EV_TIMEOUT) == 1, 3000);
  g_assert_cmpuint (twin.events->len, ==, 2);
  g_assert_cmpint (event (&twin, 0)->kind, ==, EV_WARNING);
  g_assert_cmpint (event (&twin, 1)->kind, ==, EV_TIMEOUT);
  g_assert_cmpint (event (&twin, 1)->at - enabled_at, >=, 1 * G_USEC_PER_SEC);
  g_array_unref (twin.events);
}

static void
test_survives_its_window (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  KioskIdle *idle = kiosk_idle_new (window, 2, 1);
  gtk_window_destroy (window);
  kiosk_idle_reset (idle);
  kiosk_idle_set_enabled (idle, FALSE);
  g_object_unref (idle);
}

int
main (int argc, char **argv)
{
  g_setenv ("GTK_A11Y", "none", FALSE);
  gtk_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/kiosk/idle/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("counts-down-then-times-out", test_counts_down_then_times_out);
  ADD ("reset-after-timeout-counts-again", test_reset_after_timeout_counts_again);
  ADD ("click-resumes-and-reaches-the-button", test_click_resumes_and_reaches_the_button);
  ADD ("key-resumes", test_key_resumes);
  ADD ("reset-in-warning-resumes", test_reset_in_warning_resumes);
  ADD ("disabled-stays-silent-until-enabled", test_disabled_stays_silent_until_enabled);
#undef ADD
  g_test_add_func ("/kiosk/idle/survives-its-window", test_survives_its_window);

  return g_test_run ();
}
