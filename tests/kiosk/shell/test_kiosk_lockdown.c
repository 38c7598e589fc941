/* test_kiosk_lockdown.c - no shortcut opens the Inspector or leads out.
 *
 * Real key presses (xdotool, under Xvfb) reach a locked-down window; a
 * focused widget inside it sees ordinary keys but none of the forbidden
 * ones. Each claim has its control, run in a child process of this test
 * with a clean GTK: without the lockdown the same key opens a second
 * toplevel (the Inspector or its warning), and GTK_DEBUG=interactive opens
 * the Inspector at start - so the checks can fail. */

#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>

#include "kiosk-lockdown.h"
#include "shell-test-util.h"

static const char *self_exe;

static guint
n_toplevels (void)
{
  return g_list_model_get_n_items (gtk_window_get_toplevels ());
}

/* ---- child processes (argv[1] = --child) ---- */

/* GTK_DEBUG=interactive in the environment: how many toplevels does GTK
 * make at start, with or without kiosk_lockdown_init first? */
static int
child_start (gboolean lockdown)
{
  if (lockdown)
    kiosk_lockdown_init ();
  gtk_init ();
  WAIT_UNTIL (n_toplevels () > 0, 2000);
  g_print ("toplevels=%u gtk_debug=%s\n", n_toplevels (), g_getenv ("GTK_DEBUG") ? "set" : "unset");
  if (lockdown)
    {
      g_autoptr(GSettings) s = g_settings_new ("org.gtk.gtk4.Settings.Debug");
      g_print ("keybinding=%d\n", g_settings_get_boolean (s, "enable-inspector-keybinding"));
    }
  return 0;
}

/* A plain window, no lockdown: does Ctrl+Shift+I open a second toplevel? */
static int
child_keybinding_control (void)
{
  gtk_init ();
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 300, 200);
  show_window (window);
  focus_window (window);
  xdotool ("key", "ctrl+shift+i", NULL);
  WAIT_UNTIL (n_toplevels () > 1, 5000);
  g_print ("toplevels=%u\n", n_toplevels ());
  return 0;
}

static char *
run_child (const char *mode, const char *gtk_debug)
{
  const char *argv[] = { self_exe, "--child", mode, NULL };
  g_auto(GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "GTK_DEBUG", gtk_debug, TRUE);
  env = g_environ_setenv (env, "GTK_INSPECTOR_DISPLAY", g_getenv ("DISPLAY"), TRUE);
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

/* ---- tests ---- */

static void
test_gtk_debug_interactive_is_ignored (void)
{
  g_autofree char *control = run_child ("start-plain", "interactive");
  g_test_message ("without lockdown: %s", control);
  g_assert_nonnull (strstr (control, "toplevels=1"));

  g_autofree char *locked = run_child ("start-lockdown", "interactive");
  g_test_message ("with lockdown: %s", locked);
  g_assert_nonnull (strstr (locked, "toplevels=0"));
  g_assert_nonnull (strstr (locked, "gtk_debug=unset"));
}

static void
test_init_turns_off_inspector_keybinding (void)
{
  g_autoptr(GSettingsSchema) schema = g_settings_schema_source_lookup (
    g_settings_schema_source_get_default (), "org.gtk.gtk4.Settings.Debug", TRUE);
  if (schema == NULL)
    {
      g_test_skip ("GTK's Debug settings schema is not installed");
      return;
    }
  g_autofree char *locked = run_child ("start-lockdown", "");
  g_assert_nonnull (strstr (locked, "keybinding=0"));
}

typedef struct {
  GtkWindow *window;
  GtkWidget *inner;
  GString *keys;          /* what the focused widget saw */
  guint secondary;        /* right presses the widget saw */
  guint primary;
} Fixture;

static gboolean
on_inner_key (GtkEventControllerKey *c, guint keyval, guint keycode, GdkModifierType state,
              Fixture *f)
{
  g_string_append_printf (f->keys, "%s ", gdk_keyval_name (keyval));
  return GDK_EVENT_PROPAGATE;
}

static void
on_inner_pressed (GtkGestureClick *g, int n, double x, double y, Fixture *f)
{
  if (gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (g)) == GDK_BUTTON_SECONDARY)
    f->secondary++;
  else
    f->primary++;
}

static gboolean
inner_saw (Fixture *f, const char *keyname)
{
  g_autofree char *word = g_strdup_printf ("%s ", keyname);
  return strstr (f->keys->str, word) != NULL;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->keys = g_string_new (NULL);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 400, 300);
  /* A focusable widget with its own controllers, as a page would have. */
  f->inner = gtk_button_new_with_label ("inner");
  GtkEventController *keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_inner_key), f);
  gtk_widget_add_controller (f->inner, keys);
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect (click, "pressed", G_CALLBACK (on_inner_pressed), f);
  gtk_widget_add_controller (f->inner, GTK_EVENT_CONTROLLER (click));
  gtk_window_set_child (f->window, f->inner);

  kiosk_lockdown_window (f->window);
  kiosk_lockdown_window (f->window); /* twice is once */
  show_window (f->window);
  focus_window (f->window);
  gtk_widget_grab_focus (f->inner);
  g_assert_true (gtk_widget_has_focus (f->inner));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  g_string_free (f->keys, TRUE);
}

/* Press keys, then a plain key as a barrier: once the widget has seen the
 * barrier, everything sent before it has been handled. */
static void
press_then_barrier (Fixture *f, const char *keys, const char *barrier)
{
  xdotool ("key", keys, NULL);
  xdotool ("key", barrier, NULL);
  WAIT_UNTIL (inner_saw (f, barrier), 5000);
  g_assert_true (inner_saw (f, barrier));
}

static void
test_ordinary_keys_reach_widgets (Fixture *f, gconstpointer data)
{
  press_then_barrier (f, "a", "b");
  g_assert_true (inner_saw (f, "a"));
  g_assert_cmpuint (kiosk_lockdown_swallowed (f->window), ==, 0);
}

static void
test_inspector_shortcut_is_swallowed (Fixture *f, gconstpointer data)
{
  g_autofree char *control = run_child ("keybinding-control", "");
  g_test_message ("without lockdown: %s", control);
  guint control_toplevels = 0;
  g_assert_cmpint (sscanf (control, "toplevels=%u", &control_toplevels), ==, 1);
  g_assert_cmpuint (control_toplevels, >, 1);
  /* The child's window took the keyboard; give it back. */
  focus_window (f->window);

  g_assert_cmpuint (n_toplevels (), ==, 1);
  press_then_barrier (f, "ctrl+shift+i", "a");
  g_assert_cmpuint (kiosk_lockdown_swallowed (f->window), ==, 1);
  g_assert_false (inner_saw (f, "I"));
  g_assert_false (inner_saw (f, "i"));
  g_assert_cmpuint (n_toplevels (), ==, 1);

  press_then_barrier (f, "ctrl+shift+d", "b");
  g_assert_cmpuint (kiosk_lockdown_swallowed (f->window), ==, 2);
  g_assert_cmpuint (n_toplevels (), ==, 1);
}

static void
test_ways_out_are_swallowed (Fixture *f, gconstpointer data)
{
  /* xdotool's key, and the key name the widget must never see. */
  static const char *const keys[][2] = {
    { "ctrl+q", "q" }, { "ctrl+w", "w" }, { "alt+F4", "F4" }, { "F1", "F1" },
    { "F5", "F5" }, { "F10", "F10" }, { "shift+F10", "F10" }, { "F12", "F12" },
    { "Super_L", "Super_L" }, { "super+e", "e" }, { "Menu", "Menu" },
    { "alt+Tab", "Tab" }, { "alt+space", "space" }, { "XF86WWW", "XF86WWW" },
  };
  static const char *const barriers[] = {
    "o", "p", "r", "s", "t", "u", "v", "x", "y", "z", "1", "2", "3", "4",
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (keys) == G_N_ELEMENTS (barriers));
  guint expected = 0;
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      press_then_barrier (f, keys[i][0], barriers[i]);
      /* Every press counts: super+e is two (Super_L, then e with Super). */
      expected += g_str_has_prefix (keys[i][0], "super+") ? 2 : 1;
      g_assert_cmpuint (kiosk_lockdown_swallowed (f->window), ==, expected);
    }
  /* The widget saw the barriers (and bare Ctrl, Shift, Alt), nothing else. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (inner_saw (f, keys[i][1]))
      g_error ("%s reached the widget (it saw: %s)", keys[i][0], f->keys->str);
  g_assert_cmpuint (n_toplevels (), ==, 1);
}

static void
test_secondary_click_is_swallowed (Fixture *f, gconstpointer data)
{
  click_in (f->window, 100, 100, 3);
  click_in (f->window, 100, 100, 1);
  WAIT_UNTIL (f->primary == 1, 5000);
  g_assert_cmpuint (f->primary, ==, 1);
  g_assert_cmpuint (f->secondary, ==, 0);
}

int
main (int argc, char **argv)
{
  self_exe = argv[0];
  g_setenv ("GTK_A11Y", "none", FALSE);
  if (argc == 3 && strcmp (argv[1], "--child") == 0)
    {
      if (strcmp (argv[2], "start-plain") == 0)
        return child_start (FALSE);
      if (strcmp (argv[2], "start-lockdown") == 0)
        return child_start (TRUE);
      if (strcmp (argv[2], "keybinding-control") == 0)
        return child_keybinding_control ();
      return 2;
    }

  /* This process never calls kiosk_lockdown_init: the window's own
   * controller must keep the Inspector shut with GTK's settings as they
   * come (keybinding on). */
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kiosk/lockdown/gtk-debug-interactive-is-ignored",
                   test_gtk_debug_interactive_is_ignored);
  g_test_add_func ("/kiosk/lockdown/init-turns-off-inspector-keybinding",
                   test_init_turns_off_inspector_keybinding);
#define ADD(path, fn) \
  g_test_add ("/kiosk/lockdown/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("ordinary-keys-reach-widgets", test_ordinary_keys_reach_widgets);
  ADD ("inspector-shortcut-is-swallowed", test_inspector_shortcut_is_swallowed);
  ADD ("ways-out-are-swallowed", test_ways_out_are_swallowed);
  ADD ("secondary-click-is-swallowed", test_secondary_click_is_swallowed);
#undef ADD

  return g_test_run ();
}
