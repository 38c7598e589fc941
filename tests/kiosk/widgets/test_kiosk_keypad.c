/* test_kiosk_keypad.c - the numeric keypad: fixed layout, one signal per
 * key, no "submit" while the confirm key is insensitive. */
#include "kiosk-keypad.h"
#include "widgets-test-util.h"

typedef struct {
  GString *log;   /* "d5 b s" : digit 5, backspace, submit */
} Recorder;

static void
on_digit (KioskKeypad *keypad, int digit, Recorder *r)
{
  g_string_append_printf (r->log, "d%d ", digit);
}

static void
on_backspace (KioskKeypad *keypad, Recorder *r)
{
  g_string_append (r->log, "b ");
}

static void
on_submit (KioskKeypad *keypad, Recorder *r)
{
  g_string_append (r->log, "s ");
}

static GtkWidget *
new_recorded_keypad (Recorder *r, GtkWidget **window)
{
  GtkWidget *keypad = kiosk_keypad_new ();

  r->log = g_string_new (NULL);
  g_signal_connect (keypad, "digit", G_CALLBACK (on_digit), r);
  g_signal_connect (keypad, "backspace", G_CALLBACK (on_backspace), r);
  g_signal_connect (keypad, "submit", G_CALLBACK (on_submit), r);
  *window = widgets_test_window (keypad);
  return keypad;
}

/* The signals since the last call are expected. */
static void
assert_log (Recorder *r, const char *expected)
{
  g_strchomp (r->log->str);
  g_assert_cmpstr (r->log->str, ==, expected);
  g_string_truncate (r->log, 0);
}

static void
test_layout_is_fixed (void)
{
  static const char *const expected[4][3] = {
    { "1", "2", "3" },
    { "4", "5", "6" },
    { "7", "8", "9" },
    { "Delete", "0", "OK" },
  };
  GtkWidget *keypad = kiosk_keypad_new ();
  GtkWidget *window = widgets_test_window (keypad);
  g_autoptr(GPtrArray) keys = widgets_test_buttons (keypad, TRUE);
  gboolean seen[4][3] = { { FALSE } };

  g_assert_cmpuint (keys->len, ==, 12);
  for (guint i = 0; i < keys->len; i++)
    {
      GtkWidget *key = keys->pdata[i];
      GtkWidget *grid = gtk_widget_get_parent (key);
      g_autofree char *name = widgets_test_accessible_name (key);
      int column, row, width, height;
      graphene_rect_t bounds;

      g_assert_true (GTK_IS_GRID (grid));
      gtk_grid_query_child (GTK_GRID (grid), key, &column, &row, &width, &height);
      g_assert_cmpint (width, ==, 1);
      g_assert_cmpint (height, ==, 1);
      g_assert_cmpint (row, >=, 0);
      g_assert_cmpint (row, <, 4);
      g_assert_cmpint (column, >=, 0);
      g_assert_cmpint (column, <, 3);
      g_assert_cmpstr (name, ==, expected[row][column]);
      g_assert_false (seen[row][column]);
      seen[row][column] = TRUE;

      /* In reading order in the tree, too (what a screen reader walks). */
      g_assert_cmpuint (i, ==, (guint) (row * 3 + column));

      gtk_test_accessible_assert_role (key, GTK_ACCESSIBLE_ROLE_BUTTON);
      g_assert_true (gtk_widget_has_css_class (key, "kiosk-key"));
      /* A primary touch target: at least 64 px each way. */
      g_assert_true (gtk_widget_compute_bounds (key, keypad, &bounds));
      g_assert_cmpfloat (bounds.size.width, >=, 64);
      g_assert_cmpfloat (bounds.size.height, >=, 64);
      /* Touching a key leaves the focus where it is. */
      g_assert_false (gtk_widget_get_focus_on_click (key));
      g_assert_true (gtk_widget_has_css_class (key, "suggested-action") ==
                     g_str_equal (name, "OK"));
    }

  widgets_test_destroy (window, keypad);
}

static void
test_each_key_emits_its_signal (void)
{
  Recorder r;
  GtkWidget *window;
  GtkWidget *keypad = new_recorded_keypad (&r, &window);

  for (int d = 0; d <= 9; d++)
    {
      char name[2] = { (char) ('0' + d), '\0' };
      g_autofree char *expected = g_strdup_printf ("d%d", d);

      widgets_test_press_name (keypad, name);
      assert_log (&r, expected);
    }

  widgets_test_press_name (keypad, "Delete");
  assert_log (&r, "b");
  widgets_test_press_name (keypad, "OK");
  assert_log (&r, "s");

  widgets_test_destroy (window, keypad);
  g_string_free (r.log, TRUE);
}

static void
test_insensitive_submit_emits_nothing (void)
{
  Recorder r;
  GtkWidget *window;
  GtkWidget *keypad = new_recorded_keypad (&r, &window);
  GtkWidget *ok = widgets_test_find_button (keypad, "OK");
  gboolean sensitive;

  kiosk_keypad_set_submit_sensitive (KIOSK_KEYPAD (keypad), FALSE);
  g_object_get (keypad, "submit-sensitive", &sensitive, NULL);
  g_assert_false (sensitive);

  /* The key cannot be pressed ... */
  g_assert_false (gtk_widget_is_sensitive (ok));
  g_assert_false (widgets_test_press (ok));
  /* ... and even a forced click or the action emit nothing. */
  g_signal_emit_by_name (ok, "clicked");
  gtk_widget_activate_action (keypad, "keypad.submit", NULL);
  /* The other keys still work. */
  widgets_test_press_name (keypad, "7");
  assert_log (&r, "d7");

  g_object_set (keypad, "submit-sensitive", TRUE, NULL);
  g_assert_true (gtk_widget_is_sensitive (ok));
  g_assert_true (widgets_test_press (ok));
  assert_log (&r, "s");

  widgets_test_destroy (window, keypad);
  g_string_free (r.log, TRUE);
}

static void
test_submit_label_names_the_key (void)
{
  Recorder r;
  GtkWidget *window;
  GtkWidget *keypad = new_recorded_keypad (&r, &window);
  g_autofree char *label = NULL;

  kiosk_keypad_set_submit_label (KIOSK_KEYPAD (keypad), "Confirm");
  g_object_get (keypad, "submit-label", &label, NULL);
  g_assert_cmpstr (label, ==, "Confirm");
  widgets_test_press_name (keypad, "Confirm");
  assert_log (&r, "s");

  /* NULL brings back the default. */
  g_object_set (keypad, "submit-label", NULL, NULL);
  widgets_test_press_name (keypad, "OK");
  assert_log (&r, "s");

  widgets_test_destroy (window, keypad);
  g_string_free (r.log, TRUE);
}

static GtkEventController *
key_controller (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (c))
        return c;
    }
  return NULL;
}

static gboolean
press_key (GtkWidget *keypad, guint keyval, GdkModifierType state)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (key_controller (keypad), "key-pressed", keyval, 0, state, &handled);
  return handled;
}

static void
test_number_keys_of_a_real_keyboard_work (void)
{
  Recorder r;
  GtkWidget *window;
  GtkWidget *keypad = new_recorded_keypad (&r, &window);

  g_assert_true (press_key (keypad, GDK_KEY_4, 0));
  g_assert_true (press_key (keypad, GDK_KEY_KP_2, 0));
  g_assert_true (press_key (keypad, GDK_KEY_BackSpace, 0));
  g_assert_true (press_key (keypad, GDK_KEY_Return, 0));
  g_assert_false (press_key (keypad, GDK_KEY_a, 0));
  g_assert_false (press_key (keypad, GDK_KEY_5, GDK_CONTROL_MASK));
  assert_log (&r, "d4 d2 b s");

  kiosk_keypad_set_submit_sensitive (KIOSK_KEYPAD (keypad), FALSE);
  press_key (keypad, GDK_KEY_KP_Enter, 0);
  assert_log (&r, "");

  widgets_test_destroy (window, keypad);
  g_string_free (r.log, TRUE);
}

int
main (int argc, char **argv)
{
  widgets_test_init (&argc, &argv);

  g_test_add_func ("/kiosk/keypad/layout-is-fixed", test_layout_is_fixed);
  g_test_add_func ("/kiosk/keypad/each-key-emits-its-signal", test_each_key_emits_its_signal);
  g_test_add_func ("/kiosk/keypad/insensitive-submit-emits-nothing",
                   test_insensitive_submit_emits_nothing);
  g_test_add_func ("/kiosk/keypad/submit-label-names-the-key", test_submit_label_names_the_key);
  g_test_add_func ("/kiosk/keypad/number-keys-of-a-real-keyboard-work",
                   test_number_keys_of_a_real_keyboard_work);

  return g_test_run ();
}
