/* test_kiosk_keyboard.c - the on-screen keyboards: what each layout types
 * into a GtkEntry, the ゛ ゜ 小 keys, the かな/カナ switch, accessible names
 * and the size on the kiosk's 1280×800 screen. */
#include <string.h>

#include "kiosk-keyboard.h"
#include "widgets-test-util.h"

/* The character keys of each layout, in no particular order. */
static const char kana_chars[] =
  "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめも"
  "やゆよらりるれろわをんー・";
static const char katakana_chars[] =
  "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモ"
  "ヤユヨラリルレロワヲンー・";
static const char latin_chars[] = "1234567890QWERTYUIOPASDFGHJKLZXCVBNM-.@/_'";
static const char latin_shift_chars[] = "1234567890qwertyuiopasdfghjklzxcvbnm-.@/_'";
static const char number_chars[] = "1234567890-";
static const char password_chars[] = "1234567890QWERTYUIOPASDFGHJKLZXCVBNM";

typedef struct {
  GtkWidget *window;
  GtkWidget *entry;
  GtkWidget *keyboard;
  GString *log;          /* signals: "k:か b d" */
} Fixture;

static void
on_key (KioskKeyboard *keyboard, guint c, Fixture *f)
{
  char text[8] = { 0 };

  g_unichar_to_utf8 (c, text);
  g_string_append_printf (f->log, "k:%s ", text);
}

static void
on_backspace (KioskKeyboard *keyboard, Fixture *f)
{
  g_string_append (f->log, "b ");
}

static void
on_done (KioskKeyboard *keyboard, Fixture *f)
{
  g_string_append (f->log, "d ");
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *spacer = gtk_label_new (NULL);

  f->entry = gtk_entry_new ();
  f->keyboard = kiosk_keyboard_new (KIOSK_KEYBOARD_KANA);
  f->log = g_string_new (NULL);
  gtk_widget_set_vexpand (spacer, TRUE);
  gtk_box_append (GTK_BOX (box), f->entry);
  gtk_box_append (GTK_BOX (box), spacer);
  gtk_box_append (GTK_BOX (box), f->keyboard);
  g_signal_connect (f->keyboard, "key", G_CALLBACK (on_key), f);
  g_signal_connect (f->keyboard, "backspace", G_CALLBACK (on_backspace), f);
  g_signal_connect (f->keyboard, "done", G_CALLBACK (on_done), f);
  kiosk_keyboard_set_target (KIOSK_KEYBOARD (f->keyboard), GTK_EDITABLE (f->entry));
  f->window = widgets_test_window (box);
  gtk_widget_grab_focus (f->entry);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  widgets_test_destroy (f->window, f->keyboard);
  g_string_free (f->log, TRUE);
}

static void
assert_log (Fixture *f, const char *expected)
{
  g_strchomp (f->log->str);
  g_assert_cmpstr (f->log->str, ==, expected);
  g_string_truncate (f->log, 0);
}

static void
show_layout (Fixture *f, KioskKeyboardLayout layout)
{
  kiosk_keyboard_set_layout (KIOSK_KEYBOARD (f->keyboard), layout);
  g_assert_cmpint (kiosk_keyboard_get_layout (KIOSK_KEYBOARD (f->keyboard)), ==, layout);
  gtk_test_widget_wait_for_draw (f->window);
}

static void
set_entry (Fixture *f, const char *text, int cursor)
{
  gtk_editable_set_text (GTK_EDITABLE (f->entry), text);
  gtk_editable_set_position (GTK_EDITABLE (f->entry), cursor);
}

static void
assert_entry (Fixture *f, const char *text, int cursor)
{
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f->entry)), ==, text);
  g_assert_cmpint (gtk_editable_get_position (GTK_EDITABLE (f->entry)), ==, cursor);
}

static void
press (Fixture *f, const char *name)
{
  widgets_test_press_name (f->keyboard, name);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names of the shown keys that type one character, sorted; the other
 * keys' names into *others (sorted) when not NULL. */
static GPtrArray *
key_names (Fixture *f, GPtrArray **others)
{
  g_autoptr(GPtrArray) keys = widgets_test_buttons (f->keyboard, TRUE);
  GPtrArray *chars = g_ptr_array_new_with_free_func (g_free);

  if (others != NULL)
    *others = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < keys->len; i++)
    {
      char *name = widgets_test_accessible_name (keys->pdata[i]);

      g_assert_nonnull (name);
      if (g_utf8_strlen (name, -1) == 1)
        g_ptr_array_add (chars, name);
      else if (others != NULL)
        g_ptr_array_add (*others, name);
      else
        g_free (name);
    }
  g_ptr_array_sort (chars, compare_strings);
  if (others != NULL)
    g_ptr_array_sort (*others, compare_strings);
  return chars;
}

static void
assert_char_keys (Fixture *f, const char *expected)
{
  g_autoptr(GPtrArray) names = key_names (f, NULL);
  g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);

  for (const char *p = expected; *p != '\0'; p = g_utf8_next_char (p))
    g_ptr_array_add (want, g_strndup (p, g_utf8_next_char (p) - p));
  g_ptr_array_sort (want, compare_strings);

  g_assert_cmpuint (names->len, ==, want->len);
  for (guint i = 0; i < names->len; i++)
    g_assert_cmpstr (names->pdata[i], ==, want->pdata[i]);
}

/* Every character key of the shown layout types its character at the
 * cursor in the middle of the text, and over a selection. */
static void
assert_types_chars (Fixture *f, const char *chars)
{
  assert_char_keys (f, chars);

  for (const char *p = chars; *p != '\0'; p = g_utf8_next_char (p))
    {
      g_autofree char *c = g_strndup (p, g_utf8_next_char (p) - p);
      g_autofree char *middle = g_strdup_printf ("«%s»", c);
      g_autofree char *replaced = g_strdup_printf ("%sz", c);
      g_autofree char *logged = g_strdup_printf ("k:%s k:%s", c, c);

      set_entry (f, "«»", 1);
      press (f, c);
      assert_entry (f, middle, 2);

      set_entry (f, "xyz", 0);
      gtk_editable_select_region (GTK_EDITABLE (f->entry), 0, 2);
      press (f, c);
      assert_entry (f, replaced, 1);
      assert_log (f, logged);
    }
}

static void
assert_space (Fixture *f, const char *space)
{
  g_autofree char *middle = g_strdup_printf ("«%s»", space);

  set_entry (f, "«»", 1);
  press (f, "Space");
  assert_entry (f, middle, 2);
  g_string_truncate (f->log, 0);
}

static void
test_every_layout_types_its_characters (Fixture *f, gconstpointer data)
{
  show_layout (f, KIOSK_KEYBOARD_KANA);
  assert_types_chars (f, kana_chars);
  assert_space (f, "\u3000");

  show_layout (f, KIOSK_KEYBOARD_KATAKANA);
  assert_types_chars (f, katakana_chars);
  assert_space (f, "\u3000");

  show_layout (f, KIOSK_KEYBOARD_LATIN);
  assert_types_chars (f, latin_chars);
  assert_space (f, " ");
  press (f, "Shift");
  assert_types_chars (f, latin_shift_chars);
  press (f, "Shift");
  assert_char_keys (f, latin_chars);

  show_layout (f, KIOSK_KEYBOARD_NUMBER);
  assert_types_chars (f, number_chars);

  show_layout (f, KIOSK_KEYBOARD_PASSWORD);
  assert_types_chars (f, password_chars);
}

static void
test_backspace_deletes_before_the_cursor_or_the_selection (Fixture *f, gconstpointer data)
{
  static const KioskKeyboardLayout layouts[] = {
    KIOSK_KEYBOARD_KANA, KIOSK_KEYBOARD_LATIN, KIOSK_KEYBOARD_NUMBER, KIOSK_KEYBOARD_PASSWORD,
  };

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      show_layout (f, layouts[i]);
      set_entry (f, "あいう", 2);
      press (f, "Delete");
      assert_entry (f, "あう", 1);
      press (f, "Delete");
      assert_entry (f, "う", 0);
      press (f, "Delete");
      assert_entry (f, "う", 0);
      set_entry (f, "abcd", 0);
      gtk_editable_select_region (GTK_EDITABLE (f->entry), 1, 3);
      press (f, "Delete");
      assert_entry (f, "ad", 1);
      assert_log (f, "b b b b");

      press (f, "Done");
      assert_log (f, "d");
      assert_entry (f, "ad", 1);
    }
}

static void
test_marks_change_the_kana_before_the_cursor (Fixture *f, gconstpointer data)
{
  show_layout (f, KIOSK_KEYBOARD_KANA);

  set_entry (f, "あい", 1);
  press (f, "か");
  press (f, "Voiced mark");
  assert_entry (f, "あがい", 2);
  /* A second ゛ takes the mark off. */
  press (f, "Voiced mark");
  assert_entry (f, "あかい", 2);

  set_entry (f, "", 0);
  press (f, "は");
  press (f, "Semi-voiced mark");
  assert_entry (f, "ぱ", 1);
  press (f, "は");
  press (f, "Voiced mark");
  assert_entry (f, "ぱば", 2);
  press (f, "Semi-voiced mark");
  assert_entry (f, "ぱぱ", 2);

  press (f, "つ");
  press (f, "Small kana");
  assert_entry (f, "ぱぱっ", 3);
  press (f, "や");
  press (f, "Small kana");
  assert_entry (f, "ぱぱっゃ", 4);

  /* Nothing to change: あ has no voiced form; nothing before the cursor. */
  set_entry (f, "あ", 1);
  press (f, "Voiced mark");
  press (f, "Semi-voiced mark");
  assert_entry (f, "あ", 1);
  set_entry (f, "か", 0);
  press (f, "Voiced mark");
  assert_entry (f, "か", 0);

  /* The marks change the text only: no key signals. */
  g_string_truncate (f->log, 0);
  set_entry (f, "か", 1);
  press (f, "Voiced mark");
  assert_log (f, "");

  show_layout (f, KIOSK_KEYBOARD_KATAKANA);
  set_entry (f, "", 0);
  press (f, "カ");
  press (f, "Voiced mark");
  press (f, "ウ");
  press (f, "Voiced mark");
  press (f, "ケ");
  press (f, "Small kana");
  press (f, "ホ");
  press (f, "Semi-voiced mark");
  assert_entry (f, "ガヴヶポ", 4);
}

static void
test_marks_without_target_emit_backspace_and_key (Fixture *f, gconstpointer data)
{
  show_layout (f, KIOSK_KEYBOARD_KANA);
  kiosk_keyboard_set_target (KIOSK_KEYBOARD (f->keyboard), NULL);
  set_entry (f, "", 0);

  press (f, "か");
  press (f, "Voiced mark");
  assert_log (f, "k:か b k:が");
  press (f, "Voiced mark");
  assert_log (f, "b k:か");
  press (f, "は");
  press (f, "Semi-voiced mark");
  press (f, "Small kana");   /* ぱ has no small form */
  assert_log (f, "k:は b k:ぱ");

  /* After a delete the keyboard does not know what comes before. */
  press (f, "つ");
  press (f, "Delete");
  press (f, "Small kana");
  assert_log (f, "k:つ b");

  /* The entry was not the target: untouched. */
  assert_entry (f, "", 0);
}

static void
test_kana_switch_changes_what_the_keys_type (Fixture *f, gconstpointer data)
{
  show_layout (f, KIOSK_KEYBOARD_KANA);
  assert_char_keys (f, kana_chars);
  press (f, "Switch to katakana");
  assert_char_keys (f, katakana_chars);
  set_entry (f, "", 0);
  press (f, "ア");
  assert_entry (f, "ア", 1);
  press (f, "Switch to hiragana");
  press (f, "あ");
  assert_entry (f, "アあ", 2);
  assert_char_keys (f, kana_chars);

  /* KATAKANA starts in カナ and can switch too. */
  show_layout (f, KIOSK_KEYBOARD_KATAKANA);
  assert_char_keys (f, katakana_chars);
  press (f, "Switch to hiragana");
  assert_char_keys (f, kana_chars);
  g_assert_cmpint (kiosk_keyboard_get_layout (KIOSK_KEYBOARD (f->keyboard)), ==,
                   KIOSK_KEYBOARD_KATAKANA);
}

static void
test_password_layout_has_no_lower_case_and_no_symbols (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) others = NULL;
  g_autoptr(GPtrArray) names = NULL;

  show_layout (f, KIOSK_KEYBOARD_PASSWORD);
  names = key_names (f, &others);
  g_assert_cmpuint (names->len, ==, 36);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];

      g_assert_true ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= '0' && name[0] <= '9'));
    }
  /* Only Delete and Done besides: no shift, no space. */
  g_assert_cmpuint (others->len, ==, 2);
  g_assert_cmpstr (others->pdata[0], ==, "Delete");
  g_assert_cmpstr (others->pdata[1], ==, "Done");

  /* What the keys emit is upper case too. */
  kiosk_keyboard_set_target (KIOSK_KEYBOARD (f->keyboard), NULL);
  for (guint i = 0; i < names->len; i++)
    press (f, names->pdata[i]);
  {
    g_auto(GStrv) emitted = g_strsplit (g_strchomp (f->log->str), " ", -1);

    g_assert_cmpuint (g_strv_length (emitted), ==, 36);
    for (guint i = 0; emitted[i] != NULL; i++)
      {
        g_assert_true (g_str_has_prefix (emitted[i], "k:"));
        g_assert_cmpuint (strlen (emitted[i]), ==, 3);
        g_assert_true (g_ascii_isupper (emitted[i][2]) || g_ascii_isdigit (emitted[i][2]));
      }
  }
}

/* A page that confirms with the Done key names it after what it does and
 * keeps it insensitive until the input is complete. */
static void
test_done_key_named_and_disabled_by_the_page (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) others = NULL;
  g_autoptr(GPtrArray) names = NULL;
  GtkWidget *done;

  show_layout (f, KIOSK_KEYBOARD_PASSWORD);
  kiosk_keyboard_set_done_label (KIOSK_KEYBOARD (f->keyboard), "Sign and send");
  names = key_names (f, &others);
  g_assert_cmpuint (others->len, ==, 2);
  g_assert_cmpstr (others->pdata[0], ==, "Delete");
  g_assert_cmpstr (others->pdata[1], ==, "Sign and send");
  done = widgets_test_find_button (f->keyboard, "Sign and send");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (done)), ==, "Sign and send");

  kiosk_keyboard_set_done_sensitive (KIOSK_KEYBOARD (f->keyboard), FALSE);
  g_assert_false (gtk_widget_is_sensitive (done));
  g_assert_false (widgets_test_press (done));
  press (f, "A");
  assert_log (f, "k:A");
  kiosk_keyboard_set_done_sensitive (KIOSK_KEYBOARD (f->keyboard), TRUE);
  press (f, "Sign and send");
  assert_log (f, "d");

  /* NULL gives the Done key its own name back. */
  kiosk_keyboard_set_done_label (KIOSK_KEYBOARD (f->keyboard), NULL);
  g_assert_true (widgets_test_find_button (f->keyboard, "Done") == done);
}

static gboolean
in_hidden_grid (GtkWidget *key, GtkWidget *keyboard)
{
  for (GtkWidget *w = key; w != keyboard; w = gtk_widget_get_parent (w))
    if (!gtk_widget_get_visible (w))
      return TRUE;
  return FALSE;
}

static void
test_every_key_has_a_unique_name (Fixture *f, gconstpointer data)
{
  static const KioskKeyboardLayout layouts[] = {
    KIOSK_KEYBOARD_KANA, KIOSK_KEYBOARD_KATAKANA, KIOSK_KEYBOARD_LATIN,
    KIOSK_KEYBOARD_NUMBER, KIOSK_KEYBOARD_PASSWORD,
  };
  static const guint n_keys[] = { 55, 55, 46, 13, 38 };

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      g_autoptr(GPtrArray) keys = NULL;
      g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      show_layout (f, layouts[i]);
      keys = widgets_test_buttons (f->keyboard, TRUE);
      g_assert_cmpuint (keys->len, ==, n_keys[i]);
      for (guint k = 0; k < keys->len; k++)
        {
          GtkWidget *key = keys->pdata[k];
          char *name = widgets_test_accessible_name (key);

          g_assert_nonnull (name);
          g_assert_cmpstr (name, !=, "");
          if (!g_hash_table_add (seen, name))
            g_error ("layout %d: two keys are named \"%s\"", layouts[i], name);
          gtk_test_accessible_assert_role (key, GTK_ACCESSIBLE_ROLE_BUTTON);
          g_assert_true (gtk_widget_has_css_class (key, "kiosk-key"));
          /* The field being typed into keeps the focus. */
          g_assert_false (gtk_widget_get_focusable (key));
          g_assert_false (gtk_widget_get_focus_on_click (key));
        }
      {
        GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

        g_assert_true (focus == f->entry || gtk_widget_is_ancestor (focus, f->entry));
      }

      /* The keys of the other layouts made so far are in hidden grids:
       * assistive technology (which skips hidden widgets) cannot mistake
       * them for keys of this one. */
      {
        g_autoptr(GPtrArray) all = widgets_test_buttons (f->keyboard, FALSE);

        for (guint k = 0; k < all->len; k++)
          if (!gtk_widget_get_mapped (all->pdata[k]))
            g_assert_true (in_hidden_grid (all->pdata[k], f->keyboard));
      }
    }

  /* NONE shows no keys, though all four grids are made by now. */
  show_layout (f, KIOSK_KEYBOARD_NONE);
  {
    g_autoptr(GPtrArray) keys = widgets_test_buttons (f->keyboard, TRUE);
    g_autoptr(GPtrArray) all = widgets_test_buttons (f->keyboard, FALSE);

    g_assert_cmpuint (keys->len, ==, 0);
    g_assert_cmpuint (all->len, ==, 55 + 46 + 13 + 38);
    for (guint k = 0; k < all->len; k++)
      g_assert_true (in_hidden_grid (all->pdata[k], f->keyboard));
  }
}

typedef struct {
  GtkWidget *keyboard;
  int height;
} SizeWait;

static gboolean
allocated_at_natural_height (gpointer data)
{
  SizeWait *w = data;
  int natural;

  gtk_widget_measure (w->keyboard, GTK_ORIENTATION_VERTICAL, 1280, NULL, &natural, NULL, NULL);
  w->height = gtk_widget_get_height (w->keyboard);
  return w->height > 0 && w->height == natural;
}

static void
assert_texture_drawn (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = g_malloc ((gsize) width * height * 4);
  gboolean varied = FALSE;

  gdk_texture_download (texture, pixels, (gsize) width * 4);
  for (gsize i = 4; i < (gsize) width * height * 4 && !varied; i += 4)
    varied = memcmp (pixels, pixels + i, 4) != 0;
  g_assert_true (varied);
}

static void
test_each_layout_fits_the_screen_below_a_form (Fixture *f, gconstpointer data)
{
  static const KioskKeyboardLayout layouts[] = {
    KIOSK_KEYBOARD_KANA, KIOSK_KEYBOARD_KATAKANA, KIOSK_KEYBOARD_LATIN,
    KIOSK_KEYBOARD_NUMBER, KIOSK_KEYBOARD_PASSWORD,
  };

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      g_autoptr(GPtrArray) keys = NULL;
      g_autoptr(GdkPaintable) paintable = NULL;
      g_autoptr(GtkSnapshot) snapshot = NULL;
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      SizeWait wait = { f->keyboard, 0 };
      graphene_rect_t keyboard_bounds;
      int min_width, min_height;

      show_layout (f, layouts[i]);
      g_assert_true (widgets_test_wait (allocated_at_natural_height, &wait, 5000));

      gtk_widget_measure (f->keyboard, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
      gtk_widget_measure (f->keyboard, GTK_ORIENTATION_VERTICAL, -1, &min_height, NULL, NULL, NULL);
      g_test_message ("layout %d: at least %dx%d, shown %dx%d", layouts[i],
                      min_width, min_height, gtk_widget_get_width (f->keyboard), wait.height);
      g_assert_cmpint (min_width, <=, 1280);
      g_assert_cmpint (gtk_widget_get_width (f->keyboard), <=, 1280);
      /* Room for a form above it on the 800 px screen. */
      g_assert_cmpint (wait.height, <=, 330);

      g_assert_true (gtk_widget_compute_bounds (f->keyboard, f->window, &keyboard_bounds));
      g_assert_cmpfloat (keyboard_bounds.origin.x, >=, 0);
      g_assert_cmpfloat (keyboard_bounds.origin.x + keyboard_bounds.size.width, <=, 1280);
      g_assert_cmpfloat (keyboard_bounds.origin.y + keyboard_bounds.size.height, <=, 800);

      /* Every key is big enough to touch and inside the keyboard. */
      keys = widgets_test_buttons (f->keyboard, TRUE);
      g_assert_cmpuint (keys->len, >, 0);
      for (guint k = 0; k < keys->len; k++)
        {
          graphene_rect_t b;

          g_assert_true (gtk_widget_compute_bounds (keys->pdata[k], f->keyboard, &b));
          g_assert_cmpfloat (b.size.width, >=, 56);
          g_assert_cmpfloat (b.size.height, >=, 56);
          g_assert_cmpfloat (b.origin.x, >=, 0);
          g_assert_cmpfloat (b.origin.y, >=, 0);
          g_assert_cmpfloat (b.origin.x + b.size.width, <=, keyboard_bounds.size.width);
          g_assert_cmpfloat (b.origin.y + b.size.height, <=, keyboard_bounds.size.height);
        }

      /* It renders: an image of the keyboard's size with keys on it. */
      paintable = gtk_widget_paintable_new (f->keyboard);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot,
                              gdk_paintable_get_intrinsic_width (paintable),
                              gdk_paintable_get_intrinsic_height (paintable));
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      g_assert_nonnull (node);
      texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (f->window)),
                                             node, NULL);
      g_assert_cmpint (gdk_texture_get_width (texture), <=, 1280);
      g_assert_cmpint (gdk_texture_get_height (texture), <=, 330);
      assert_texture_drawn (texture);
    }
}

static void
test_target_is_weak_and_read_only_targets_are_left_alone (Fixture *f, gconstpointer data)
{
  GtkWidget *other = gtk_entry_new ();
  gpointer alive = other;

  show_layout (f, KIOSK_KEYBOARD_LATIN);

  /* A read-only field is not typed into. */
  gtk_editable_set_editable (GTK_EDITABLE (f->entry), FALSE);
  set_entry (f, "ro", 1);
  press (f, "A");
  press (f, "Delete");
  assert_entry (f, "ro", 1);
  assert_log (f, "k:A b");
  gtk_editable_set_editable (GTK_EDITABLE (f->entry), TRUE);

  /* The target goes away: the keys still emit their signals. */
  g_object_ref_sink (other);
  g_object_add_weak_pointer (G_OBJECT (other), &alive);
  kiosk_keyboard_set_target (KIOSK_KEYBOARD (f->keyboard), GTK_EDITABLE (other));
  press (f, "B");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (other)), ==, "B");
  g_object_unref (other);
  g_assert_null (alive);
  press (f, "C");
  press (f, "Delete");
  assert_log (f, "k:B k:C b");
}

int
main (int argc, char **argv)
{
  widgets_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/kiosk/keyboard/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("every-layout-types-its-characters", test_every_layout_types_its_characters);
  ADD ("backspace-deletes-before-the-cursor-or-the-selection",
       test_backspace_deletes_before_the_cursor_or_the_selection);
  ADD ("marks-change-the-kana-before-the-cursor", test_marks_change_the_kana_before_the_cursor);
  ADD ("marks-without-target-emit-backspace-and-key",
       test_marks_without_target_emit_backspace_and_key);
  ADD ("kana-switch-changes-what-the-keys-type", test_kana_switch_changes_what_the_keys_type);
  ADD ("password-layout-has-no-lower-case-and-no-symbols",
       test_password_layout_has_no_lower_case_and_no_symbols);
  ADD ("done-key-named-and-disabled-by-the-page", test_done_key_named_and_disabled_by_the_page);
  ADD ("every-key-has-a-unique-name", test_every_key_has_a_unique_name);
  ADD ("each-layout-fits-the-screen-below-a-form", test_each_layout_fits_the_screen_below_a_form);
  ADD ("target-is-weak-and-read-only-targets-are-left-alone",
       test_target_is_weak_and_read_only_targets_are_left_alone);

  return g_test_run ();
}
