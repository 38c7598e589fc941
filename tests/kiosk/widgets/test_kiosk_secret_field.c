/* test_kiosk_secret_field.c - the masked field keeps its characters only in
 * its myna_secret and shows nothing but ● and a count. */
#include <string.h>

#include "kiosk-keyboard.h"
#include "kiosk-keypad.h"
#include "kiosk-secret-field.h"
#include "widgets-test-util.h"

typedef struct {
  guint changed;
  guint activated;
  guint length_notified;
  guint complete_notified;
} Counts;

static void
count_changed (GtkWidget *field, Counts *counts)
{
  counts->changed++;
}

static void
count_activate (GtkWidget *field, Counts *counts)
{
  counts->activated++;
}

static void
count_notify (GObject *object, GParamSpec *pspec, Counts *counts)
{
  if (g_str_equal (pspec->name, "length"))
    counts->length_notified++;
  else if (g_str_equal (pspec->name, "complete"))
    counts->complete_notified++;
}

static KioskSecretField *
new_field (KioskSecretAccept accept, guint min, guint max, Counts *counts)
{
  GtkWidget *field = kiosk_secret_field_new (accept, min, max);

  g_object_ref_sink (field);
  if (counts != NULL)
    {
      g_signal_connect (field, "changed", G_CALLBACK (count_changed), counts);
      g_signal_connect (field, "activate", G_CALLBACK (count_activate), counts);
      g_signal_connect (field, "notify", G_CALLBACK (count_notify), counts);
    }
  return KIOSK_SECRET_FIELD (field);
}

/* Drop the last reference: the field must be finalized (its secret freed). */
static void
unref_field (KioskSecretField *field)
{
  gpointer alive = field;

  g_object_add_weak_pointer (G_OBJECT (field), &alive);
  g_object_unref (field);
  g_assert_null (alive);
}

static void
type_utf8 (KioskSecretField *field, const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    kiosk_secret_field_type (field, g_utf8_get_char (p));
}

/* Takes the content and checks it is exactly expected. */
static void
assert_take (KioskSecretField *field, const char *expected)
{
  myna_secret *s = kiosk_secret_field_take (field);

  g_assert_nonnull (s);
  g_assert_cmpmem (myna_secret_bytes (s), myna_secret_len (s), expected, strlen (expected));
  myna_secret_free (s);
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 0);
}

static void
test_digits_field_takes_only_ascii_digits (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);

  /* Letters, a space, é and a full-width digit are dropped. */
  type_utf8 (field, "1a2A é３ア34");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 4);
  g_assert_cmpuint (counts.changed, ==, 4);
  assert_take (field, "1234");
  unref_field (field);
}

static void
test_upper_alnum_field_upcases_and_drops_the_rest (void)
{
  KioskSecretField *field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, NULL);

  type_utf8 (field, "a");
  type_utf8 (field, "éZア -9q!ｂ_7");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 5);
  assert_take (field, "AZ9Q7");
  unref_field (field);
}

static void
test_max_length_holds (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_UPPER_ALNUM, 0, 6, &counts);

  type_utf8 (field, "ABCDEFGHIJ");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 6);
  /* Characters dropped at the limit change nothing. */
  g_assert_cmpuint (counts.changed, ==, 6);
  g_assert_cmpuint (counts.length_notified, ==, 6);
  assert_take (field, "ABCDEF");
  unref_field (field);

  /* The largest secret the type holds. */
  field = new_field (KIOSK_SECRET_DIGITS, 0, MYNA_SECRET_MAX, NULL);
  for (guint i = 0; i < MYNA_SECRET_MAX + 10; i++)
    kiosk_secret_field_type (field, '0' + i % 10);
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, MYNA_SECRET_MAX);
  unref_field (field);
}

static void
test_backspace_removes_the_last_character (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);

  kiosk_secret_field_backspace (field);
  g_assert_cmpuint (counts.changed, ==, 0);
  type_utf8 (field, "987");
  kiosk_secret_field_backspace (field);
  type_utf8 (field, "65");
  g_assert_cmpuint (counts.changed, ==, 6);
  assert_take (field, "9865");
  unref_field (field);
}

static void
test_take_hands_over_and_empties (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);

  g_assert_null (kiosk_secret_field_take (field));
  type_utf8 (field, "0420");
  counts.changed = 0;
  counts.length_notified = 0;
  assert_take (field, "0420");
  g_assert_cmpuint (counts.changed, ==, 1);
  g_assert_cmpuint (counts.length_notified, ==, 1);
  g_assert_false (kiosk_secret_field_is_complete (field));
  g_assert_null (kiosk_secret_field_take (field));

  /* The field is usable again and its old content is gone. */
  type_utf8 (field, "7");
  assert_take (field, "7");
  unref_field (field);
}

static void
test_clear_wipes (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, &counts);
  guint length;

  type_utf8 (field, "SECRET12");
  counts.changed = 0;
  kiosk_secret_field_clear (field);
  g_object_get (field, "length", &length, NULL);
  g_assert_cmpuint (length, ==, 0);
  g_assert_cmpuint (counts.changed, ==, 1);
  g_assert_false (kiosk_secret_field_is_complete (field));
  g_assert_null (kiosk_secret_field_take (field));

  /* Clearing an empty field changes nothing. */
  kiosk_secret_field_clear (field);
  g_assert_cmpuint (counts.changed, ==, 1);
  unref_field (field);
}

static gboolean
get_complete (KioskSecretField *field)
{
  gboolean complete;

  g_object_get (field, "complete", &complete, NULL);
  g_assert_true (complete == kiosk_secret_field_is_complete (field));
  return complete;
}

static void
test_complete_means_within_min_and_max (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);

  for (guint i = 0; i < 3; i++)
    {
      kiosk_secret_field_type (field, '5');
      g_assert_false (get_complete (field));
    }
  g_assert_cmpuint (counts.complete_notified, ==, 0);
  kiosk_secret_field_type (field, '5');
  g_assert_true (get_complete (field));
  g_assert_cmpuint (counts.complete_notified, ==, 1);
  kiosk_secret_field_backspace (field);
  g_assert_false (get_complete (field));
  g_assert_cmpuint (counts.complete_notified, ==, 2);
  unref_field (field);

  /* The signature password: 6 to 16. */
  field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, NULL);
  type_utf8 (field, "ABCDE");
  g_assert_false (get_complete (field));
  type_utf8 (field, "F");
  g_assert_true (get_complete (field));
  type_utf8 (field, "GHIJKLMNOPQRST");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 16);
  g_assert_true (get_complete (field));
  unref_field (field);

  /* Nothing required: complete when empty. */
  field = new_field (KIOSK_SECRET_DIGITS, 0, 8, NULL);
  g_assert_true (get_complete (field));
  unref_field (field);
}

static void
test_properties_reflect_construction (void)
{
  KioskSecretField *field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, NULL);
  guint min, max;
  int accept;

  g_object_get (field, "min-length", &min, "max-length", &max, "accept", &accept, NULL);
  g_assert_cmpuint (min, ==, 6);
  g_assert_cmpuint (max, ==, 16);
  g_assert_cmpint (accept, ==, KIOSK_SECRET_UPPER_ALNUM);

  /* Changing the rules wipes what was entered. */
  type_utf8 (field, "ABC");
  g_object_set (field, "accept", KIOSK_SECRET_DIGITS, NULL);
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 0);
  type_utf8 (field, "A1");
  assert_take (field, "1");
  unref_field (field);
}

/* Everything a screen reader or a screenshot could see under widget. */
static void
assert_tree_hides (GtkWidget *widget, const char *typed, guint *n_cells)
{
  static const GtkAccessibleProperty props[] = {
    GTK_ACCESSIBLE_PROPERTY_LABEL,
    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
    GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT,
    GTK_ACCESSIBLE_PROPERTY_PLACEHOLDER,
    GTK_ACCESSIBLE_PROPERTY_ROLE_DESCRIPTION,
  };

  g_assert_false (GTK_IS_EDITABLE (widget));
  if (GTK_IS_LABEL (widget))
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));

      /* Nothing but ● */
      for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
        g_assert_cmpuint (g_utf8_get_char (p), ==, 0x25CF);
      (*n_cells)++;
    }

  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_autofree char *value = widgets_test_accessible_string (widget, props[i]);

      if (value == NULL)
        continue;
      g_assert_null (strstr (value, typed));
      for (const char *p = typed; *p != '\0'; p++)
        g_assert_null (strchr (value, *p));
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    assert_tree_hides (child, typed, n_cells);
}

static void
assert_description (KioskSecretField *field, const char *expected)
{
  g_autofree char *description =
    widgets_test_accessible_string (GTK_WIDGET (field), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);

  g_assert_cmpstr (description, ==, expected);
}

static void
test_accessible_description_counts_but_never_shows_the_characters (void)
{
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, NULL);
  GtkWidget *window = widgets_test_window (GTK_WIDGET (field));
  /* Digits that never coincide with the counts 1-4 of the description. */
  const char *typed[] = { "9", "98", "987", "9876" };
  guint n_cells;

  /* A role that carries no text value, and no value properties. */
  g_assert_false (gtk_test_accessible_has_role (GTK_ACCESSIBLE (field),
                                                GTK_ACCESSIBLE_ROLE_TEXT_BOX));
  gtk_test_accessible_assert_role (field, GTK_ACCESSIBLE_ROLE_GROUP);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (field), "kiosk-secret"));

  assert_description (field, "0 of 4 digits entered");
  for (guint i = 0; i < G_N_ELEMENTS (typed); i++)
    {
      g_autofree char *expected = g_strdup_printf ("%u of 4 digits entered", i + 1);

      kiosk_secret_field_type (field, typed[i][i]);
      assert_description (field, expected);
      gtk_test_widget_wait_for_draw (window);
      n_cells = 0;
      assert_tree_hides (GTK_WIDGET (field), typed[i], &n_cells);
      /* One box per digit of the PIN. */
      g_assert_cmpuint (n_cells, ==, 4);
    }
  kiosk_secret_field_clear (field);
  assert_description (field, "0 of 4 digits entered");
  gtk_window_destroy (GTK_WINDOW (window));
  unref_field (field);

  /* A growing row for a password. */
  field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, NULL);
  window = widgets_test_window (GTK_WIDGET (field));
  type_utf8 (field, "q");
  assert_description (field, "1 character entered");
  type_utf8 (field, "ZXJWKV");
  assert_description (field, "7 characters entered");
  gtk_test_widget_wait_for_draw (window);
  n_cells = 0;
  assert_tree_hides (GTK_WIDGET (field), "QZXJWKV", &n_cells);
  g_assert_cmpuint (n_cells, ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
  unref_field (field);

  /* A number of any length (the My Number is entered with min = max = 12). */
  field = new_field (KIOSK_SECRET_DIGITS, 1, 12, NULL);
  type_utf8 (field, "5");
  assert_description (field, "1 digit entered");
  type_utf8 (field, "5");
  assert_description (field, "2 digits entered");
  unref_field (field);
}

static void
test_keypad_keys_type_into_the_field (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);
  GtkWidget *keypad = kiosk_keypad_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *window;

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (field));
  gtk_box_append (GTK_BOX (box), keypad);
  window = widgets_test_window (box);
  kiosk_secret_field_attach (field, keypad);

  widgets_test_press_name (keypad, "1");
  widgets_test_press_name (keypad, "9");
  widgets_test_press_name (keypad, "Delete");
  widgets_test_press_name (keypad, "2");
  widgets_test_press_name (keypad, "3");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 3);

  /* Not complete: OK does not activate. */
  widgets_test_press_name (keypad, "OK");
  g_assert_cmpuint (counts.activated, ==, 0);

  widgets_test_press_name (keypad, "0");
  widgets_test_press_name (keypad, "4");   /* past max: dropped */
  widgets_test_press_name (keypad, "OK");
  g_assert_cmpuint (counts.activated, ==, 1);
  assert_take (field, "1230");

  /* Detached: the keys no longer reach the field. */
  kiosk_secret_field_attach (field, NULL);
  widgets_test_press_name (keypad, "5");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 0);

  /* Attached again, then the keypad goes away first: the field is left
   * with no source and still works. */
  kiosk_secret_field_attach (field, keypad);
  widgets_test_press_name (keypad, "8");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 1);
  gtk_box_remove (GTK_BOX (box), keypad);
  kiosk_secret_field_type (field, '6');
  assert_take (field, "86");
  kiosk_secret_field_attach (field, NULL);

  gtk_window_destroy (GTK_WINDOW (window));
  unref_field (field);
}

/* What a PIN page does: the confirm key can be pressed only when the PIN
 * is complete. */
static void
test_complete_drives_the_keypad_confirm_key (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, &counts);
  GtkWidget *keypad = kiosk_keypad_new ();
  GtkWidget *window = widgets_test_window (keypad);
  GtkWidget *ok = widgets_test_find_button (keypad, "OK");

  kiosk_secret_field_attach (field, keypad);
  g_object_bind_property (field, "complete", keypad, "submit-sensitive", G_BINDING_SYNC_CREATE);
  g_assert_false (gtk_widget_is_sensitive (ok));
  for (const char *p = "2468"; *p != '\0'; p++)
    {
      char name[2] = { *p, '\0' };

      g_assert_false (widgets_test_press (ok));
      widgets_test_press_name (keypad, name);
    }
  g_assert_true (gtk_widget_is_sensitive (ok));
  g_assert_true (widgets_test_press (ok));
  g_assert_cmpuint (counts.activated, ==, 1);
  widgets_test_press_name (keypad, "Delete");
  g_assert_false (gtk_widget_is_sensitive (ok));

  widgets_test_destroy (window, keypad);
  unref_field (field);
}

static void
count_digit (KioskKeypad *keypad, int digit, guint *n)
{
  (*n)++;
}

static void
test_field_going_away_leaves_the_keypad_working (void)
{
  KioskSecretField *field = new_field (KIOSK_SECRET_DIGITS, 4, 4, NULL);
  GtkWidget *keypad = kiosk_keypad_new ();
  GtkWidget *window = widgets_test_window (keypad);
  gpointer alive = field;
  guint digits = 0;

  kiosk_secret_field_attach (field, keypad);
  widgets_test_press_name (keypad, "3");
  g_assert_cmpuint (kiosk_secret_field_get_length (field), ==, 1);

  /* The field is finalized while attached: its handlers go with it
   * (AddressSanitizer would see a press reaching freed memory). */
  g_object_add_weak_pointer (G_OBJECT (field), &alive);
  g_object_unref (field);
  g_assert_null (alive);
  g_signal_connect (keypad, "digit", G_CALLBACK (count_digit), &digits);
  widgets_test_press_name (keypad, "4");
  g_assert_cmpuint (digits, ==, 1);
  widgets_test_destroy (window, keypad);
}

static void
test_keyboard_keys_type_into_the_field (void)
{
  Counts counts = { 0 };
  KioskSecretField *field = new_field (KIOSK_SECRET_UPPER_ALNUM, 6, 16, &counts);
  GtkWidget *keyboard = kiosk_keyboard_new (KIOSK_KEYBOARD_PASSWORD);
  GtkWidget *window;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (field));
  gtk_box_append (GTK_BOX (box), keyboard);
  window = widgets_test_window (box);
  kiosk_secret_field_attach (field, keyboard);

  for (const char *p = "PASS1"; *p != '\0'; p++)
    {
      char name[2] = { *p, '\0' };

      widgets_test_press_name (keyboard, name);
    }
  widgets_test_press_name (keyboard, "Done");
  g_assert_cmpuint (counts.activated, ==, 0);
  widgets_test_press_name (keyboard, "9");
  widgets_test_press_name (keyboard, "X");
  widgets_test_press_name (keyboard, "Delete");
  widgets_test_press_name (keyboard, "Done");
  g_assert_cmpuint (counts.activated, ==, 1);
  assert_take (field, "PASS19");

  /* A LATIN keyboard's lower case letters are taken as upper case, its
   * symbols dropped. */
  kiosk_keyboard_set_layout (KIOSK_KEYBOARD (keyboard), KIOSK_KEYBOARD_LATIN);
  gtk_test_widget_wait_for_draw (window);
  widgets_test_press_name (keyboard, "Shift");
  widgets_test_press_name (keyboard, "k");
  widgets_test_press_name (keyboard, "@");
  widgets_test_press_name (keyboard, "Space");
  widgets_test_press_name (keyboard, "2");
  assert_take (field, "K2");

  widgets_test_destroy (window, keyboard);
  unref_field (field);
}

int
main (int argc, char **argv)
{
  widgets_test_init (&argc, &argv);

  g_test_add_func ("/kiosk/secret-field/digits-field-takes-only-ascii-digits",
                   test_digits_field_takes_only_ascii_digits);
  g_test_add_func ("/kiosk/secret-field/upper-alnum-field-upcases-and-drops-the-rest",
                   test_upper_alnum_field_upcases_and_drops_the_rest);
  g_test_add_func ("/kiosk/secret-field/max-length-holds", test_max_length_holds);
  g_test_add_func ("/kiosk/secret-field/backspace-removes-the-last-character",
                   test_backspace_removes_the_last_character);
  g_test_add_func ("/kiosk/secret-field/take-hands-over-and-empties",
                   test_take_hands_over_and_empties);
  g_test_add_func ("/kiosk/secret-field/clear-wipes", test_clear_wipes);
  g_test_add_func ("/kiosk/secret-field/complete-means-within-min-and-max",
                   test_complete_means_within_min_and_max);
  g_test_add_func ("/kiosk/secret-field/properties-reflect-construction",
                   test_properties_reflect_construction);
  g_test_add_func ("/kiosk/secret-field/accessible-description-counts-but-never-shows-the-characters",
                   test_accessible_description_counts_but_never_shows_the_characters);
  g_test_add_func ("/kiosk/secret-field/keypad-keys-type-into-the-field",
                   test_keypad_keys_type_into_the_field);
  g_test_add_func ("/kiosk/secret-field/complete-drives-the-keypad-confirm-key",
                   test_complete_drives_the_keypad_confirm_key);
  g_test_add_func ("/kiosk/secret-field/field-going-away-leaves-the-keypad-working",
                   test_field_going_away_leaves_the_keypad_working);
  g_test_add_func ("/kiosk/secret-field/keyboard-keys-type-into-the-field",
                   test_keyboard_keys_type_into_the_field);

  return g_test_run ();
}
