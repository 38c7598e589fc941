/* kiosk-keyboard.c - on-screen keyboards for a touch screen without keys.
 *
 * The template holds one grid per kind of layout (KANA and KATAKANA share
 * one: the かな/カナ key only changes what the keys type); only the current
 * layout's grid is visible. A grid's keys are made from the tables below
 * the first time its layout is shown and then kept, so a key may change
 * the layout from its own handler without destroying itself. Every key activates one of the keyboard's actions;
 * the actions emit the signals and type into the target editable.
 *
 * The keys never take the focus: the form field being typed into keeps
 * it, with its cursor and selection.
 */
#include "kiosk-keyboard.h"

#include <glib/gi18n-lib.h>

#include "kiosk-kana.h"

#define KEY_MIN_WIDTH 56
#define KEY_MIN_HEIGHT 56
#define NUMBER_KEY_WIDTH 96

#define IDEOGRAPHIC_SPACE 0x3000

typedef enum {
  PAGE_NONE,
  PAGE_KANA,
  PAGE_LATIN,
  PAGE_NUMBER,
  PAGE_PASSWORD,
  N_PAGES
} Page;

typedef enum {
  KEY_CHAR,
  KEY_SPACE,
  KEY_BACKSPACE,
  KEY_DONE,
  KEY_SHIFT,
  KEY_KANA_SWITCH,
  KEY_VOICED,
  KEY_SEMI_VOICED,
  KEY_SMALL
} KeyKind;

typedef struct {
  GtkWidget *button;    /* owned by the page's grid */
  KeyKind kind;
  gunichar base;        /* KEY_CHAR: hiragana, upper case letter, digit ... */
} Key;

struct _KioskKeyboard
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *pages;
  GtkGrid *kana_grid;
  GtkGrid *latin_grid;
  GtkGrid *number_grid;
  GtkGrid *password_grid;

  /* The keys made so far, per page (GArray of Key) */
  GArray *keys[N_PAGES];

  KioskKeyboardLayout layout;
  gboolean shift;       /* LATIN: the letters type lower case */
  gboolean katakana;    /* KANA, KATAKANA: the kana keys type katakana */

  /* In the kana layouts, the last character the keys emitted while it is
   * still the last one: what ゛ ゜ 小 change when there is no target. */
  gunichar last_char;

  GtkEditable *target;  /* weak */
  char *done_label;     /* NULL: "Done" */
};

G_DEFINE_FINAL_TYPE (KioskKeyboard, kiosk_keyboard, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LAYOUT,
  PROP_SHIFT,
  N_PROPS
};

enum {
  KEY,
  BACKSPACE,
  DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static Page
layout_page (KioskKeyboardLayout layout)
{
  switch (layout)
    {
    case KIOSK_KEYBOARD_KANA:
    case KIOSK_KEYBOARD_KATAKANA:
      return PAGE_KANA;
    case KIOSK_KEYBOARD_LATIN:
      return PAGE_LATIN;
    case KIOSK_KEYBOARD_NUMBER:
      return PAGE_NUMBER;
    case KIOSK_KEYBOARD_PASSWORD:
      return PAGE_PASSWORD;
    case KIOSK_KEYBOARD_NONE:
    default:
      return PAGE_NONE;
    }
}

static GtkGrid *
page_grid (KioskKeyboard *self,
           Page           page)
{
  switch (page)
    {
    case PAGE_KANA:
      return self->kana_grid;
    case PAGE_LATIN:
      return self->latin_grid;
    case PAGE_NUMBER:
      return self->number_grid;
    case PAGE_PASSWORD:
      return self->password_grid;
    case PAGE_NONE:
    case N_PAGES:
    default:
      return NULL;
    }
}

/* What a character key with base types in the current state. */
static gunichar
key_char (KioskKeyboard *self,
          KeyKind        kind,
          gunichar       base)
{
  Page page = layout_page (self->layout);

  if (kind == KEY_SPACE)
    return page == PAGE_KANA ? IDEOGRAPHIC_SPACE : ' ';
  if (page == PAGE_KANA && self->katakana)
    return kiosk_kana_to_katakana (base);
  if (page == PAGE_LATIN && self->shift && base >= 'A' && base <= 'Z')
    return g_unichar_tolower (base);
  return base;
}

static void
label_key (KioskKeyboard *self,
           const Key     *key)
{
  char text[8] = { 0 };
  const char *label = text;
  const char *name = NULL;

  switch (key->kind)
    {
    case KEY_CHAR:
      g_unichar_to_utf8 (key_char (self, key->kind, key->base), text);
      break;
    case KEY_SPACE:
      /* Translators: the space bar of the on-screen keyboard (空白). */
      label = name = _("Space");
      break;
    case KEY_BACKSPACE:
      /* Translators: the key that deletes the character before the
       * cursor (削除). */
      label = name = _("Delete");
      break;
    case KEY_DONE:
      /* Translators: the key that closes the on-screen keyboard (完了). */
      label = name = self->done_label ? self->done_label : _("Done");
      break;
    case KEY_SHIFT:
      label = "\u21E7";
      /* Translators: accessible name of the key that switches between upper
       * and lower case letters. */
      name = _("Shift");
      break;
    case KEY_KANA_SWITCH:
      if (self->katakana)
        {
          label = "かな";
          /* Translators: accessible name of the かな key, which makes the
           * kana keys type hiragana. */
          name = _("Switch to hiragana");
        }
      else
        {
          label = "カナ";
          /* Translators: accessible name of the カナ key, which makes the
           * kana keys type katakana. */
          name = _("Switch to katakana");
        }
      break;
    case KEY_VOICED:
      label = "\u309B";
      /* Translators: accessible name of the ゛ (dakuten) key, which turns
       * the kana before the cursor into its voiced form (か → が). */
      name = _("Voiced mark");
      break;
    case KEY_SEMI_VOICED:
      label = "\u309C";
      /* Translators: accessible name of the ゜ (handakuten) key, which
       * turns the kana before the cursor into は → ぱ. */
      name = _("Semi-voiced mark");
      break;
    case KEY_SMALL:
      label = "小";
      /* Translators: accessible name of the 小 key, which makes the kana
       * before the cursor small (つ → っ). */
      name = _("Small kana");
      break;
    default:
      g_assert_not_reached ();
    }

  /* GtkButton sets the label as the accessible name; the named keys then
   * get theirs. */
  gtk_button_set_label (GTK_BUTTON (key->button), label);
  if (name != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (key->button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                    -1);
}

static void
label_page (KioskKeyboard *self,
            Page           page)
{
  GArray *keys = self->keys[page];

  for (guint i = 0; i < keys->len; i++)
    label_key (self, &g_array_index (keys, Key, i));
}

static void
add_key (KioskKeyboard *self,
         Page           page,
         KeyKind        kind,
         gunichar       base,
         int            column,
         int            row,
         int            width,
         int            height)
{
  Key key = { NULL, kind, base };
  const char *action = NULL;

  if (kind == KEY_SHIFT)
    key.button = gtk_toggle_button_new ();
  else
    key.button = gtk_button_new ();

  gtk_widget_set_focus_on_click (key.button, FALSE);
  gtk_widget_set_focusable (key.button, FALSE);
  gtk_widget_set_size_request (key.button,
                               page == PAGE_NUMBER ? NUMBER_KEY_WIDTH : KEY_MIN_WIDTH,
                               KEY_MIN_HEIGHT);
  gtk_widget_add_css_class (key.button, "kiosk-key");

  switch (kind)
    {
    case KEY_CHAR:
    case KEY_SPACE:
      action = "keyboard.type";
      gtk_actionable_set_action_target (GTK_ACTIONABLE (key.button), "u",
                                        kind == KEY_SPACE ? (guint32) ' ' : (guint32) base);
      break;
    case KEY_BACKSPACE:
      action = "keyboard.backspace";
      break;
    case KEY_DONE:
      action = "keyboard.done";
      gtk_widget_add_css_class (key.button, "suggested-action");
      break;
    case KEY_SHIFT:
      action = "keyboard.shift";
      break;
    case KEY_KANA_SWITCH:
      action = "keyboard.switch-kana";
      break;
    case KEY_VOICED:
      action = "keyboard.voiced";
      break;
    case KEY_SEMI_VOICED:
      action = "keyboard.semi-voiced";
      break;
    case KEY_SMALL:
      action = "keyboard.small";
      break;
    default:
      g_assert_not_reached ();
    }
  gtk_actionable_set_action_name (GTK_ACTIONABLE (key.button), action);

  gtk_grid_attach (page_grid (self, page), key.button, column, row, width, height);
  g_array_append_val (self->keys[page], key);
}

/* One character key per character of row, starting at column and taking
 * span grid columns each. */
static void
add_char_row (KioskKeyboard *self,
              Page           page,
              const char    *row_chars,
              int            column,
              int            row,
              int            span)
{
  for (const char *p = row_chars; *p != '\0'; p = g_utf8_next_char (p), column += span)
    add_key (self, page, KEY_CHAR, g_utf8_get_char (p), column, row, span, 1);
}

/* The 五十音 grid, read from right to left as on paper forms: the あ column
 * at the right edge, then か さ た な は ま や ら わ, ん; left of them the
 * marks column and the function keys. "_" is a gap (や and わ columns). */
static void
fill_kana (KioskKeyboard *self)
{
  static const char *const columns[] = {
    "あいうえお", "かきくけこ", "さしすせそ", "たちつてと", "なにぬねの",
    "はひふへほ", "まみむめも", "や_ゆ_よ", "らりるれろ", "わ___を", "ん",
  };
  const int first_column = 13;   /* the あ column */

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      int row = 0;

      for (const char *p = columns[i]; *p != '\0'; p = g_utf8_next_char (p), row++)
        if (*p != '_')
          add_key (self, PAGE_KANA, KEY_CHAR, g_utf8_get_char (p),
                   first_column - (int) i, row, 1, 1);
    }

  /* The marks: ゛ ゜ 小 change the character before the cursor. */
  add_key (self, PAGE_KANA, KEY_VOICED, 0, 2, 0, 1, 1);
  add_key (self, PAGE_KANA, KEY_SEMI_VOICED, 0, 2, 1, 1, 1);
  add_key (self, PAGE_KANA, KEY_SMALL, 0, 2, 2, 1, 1);
  add_key (self, PAGE_KANA, KEY_CHAR, 0x30FC, 2, 3, 1, 1);   /* ー */
  add_key (self, PAGE_KANA, KEY_CHAR, 0x30FB, 2, 4, 1, 1);   /* ・ */

  add_key (self, PAGE_KANA, KEY_BACKSPACE, 0, 0, 0, 2, 1);
  add_key (self, PAGE_KANA, KEY_KANA_SWITCH, 0, 0, 1, 2, 1);
  add_key (self, PAGE_KANA, KEY_SPACE, 0, 0, 2, 2, 1);
  add_key (self, PAGE_KANA, KEY_DONE, 0, 0, 3, 2, 2);
}

/* QWERTY on a grid of half keys (each key spans two columns) so that the
 * rows can be offset as on a real keyboard. */
static void
fill_latin (KioskKeyboard *self)
{
  add_char_row (self, PAGE_LATIN, "1234567890", 0, 0, 2);
  add_char_row (self, PAGE_LATIN, "QWERTYUIOP", 0, 1, 2);
  add_char_row (self, PAGE_LATIN, "ASDFGHJKL", 1, 2, 2);
  add_key (self, PAGE_LATIN, KEY_SHIFT, 0, 0, 3, 3, 1);
  add_char_row (self, PAGE_LATIN, "ZXCVBNM", 3, 3, 2);
  add_key (self, PAGE_LATIN, KEY_BACKSPACE, 0, 17, 3, 3, 1);
  add_char_row (self, PAGE_LATIN, "-.@/_'", 0, 4, 2);
  add_key (self, PAGE_LATIN, KEY_SPACE, 0, 12, 4, 4, 1);
  add_key (self, PAGE_LATIN, KEY_DONE, 0, 16, 4, 4, 1);
}

/* Upper case letters and digits only: what the signature password allows. */
static void
fill_password (KioskKeyboard *self)
{
  add_char_row (self, PAGE_PASSWORD, "1234567890", 0, 0, 2);
  add_char_row (self, PAGE_PASSWORD, "QWERTYUIOP", 0, 1, 2);
  add_char_row (self, PAGE_PASSWORD, "ASDFGHJKL", 1, 2, 2);
  /* Delete and the confirm key (which a page may name "Sign and send")
   * wide enough for their words in every language, with large text too,
   * without widening every key. */
  add_char_row (self, PAGE_PASSWORD, "ZXCVBNM", 2, 3, 2);
  add_key (self, PAGE_PASSWORD, KEY_BACKSPACE, 0, 16, 3, 4, 1);
  add_key (self, PAGE_PASSWORD, KEY_DONE, 0, 10, 4, 10, 1);
}

/* A telephone pad: 1 2 3 at the top, 0 and - at the bottom. */
static void
fill_number (KioskKeyboard *self)
{
  add_char_row (self, PAGE_NUMBER, "123", 0, 0, 1);
  add_char_row (self, PAGE_NUMBER, "456", 0, 1, 1);
  add_char_row (self, PAGE_NUMBER, "789", 0, 2, 1);
  add_key (self, PAGE_NUMBER, KEY_CHAR, '0', 0, 3, 2, 1);
  add_key (self, PAGE_NUMBER, KEY_CHAR, '-', 2, 3, 1, 1);
  add_key (self, PAGE_NUMBER, KEY_BACKSPACE, 0, 3, 0, 1, 2);
  add_key (self, PAGE_NUMBER, KEY_DONE, 0, 3, 2, 1, 2);
}

static void
ensure_page (KioskKeyboard *self,
             Page           page)
{
  if (page == PAGE_NONE || self->keys[page]->len > 0)
    return;

  switch (page)
    {
    case PAGE_KANA:
      fill_kana (self);
      break;
    case PAGE_LATIN:
      fill_latin (self);
      break;
    case PAGE_NUMBER:
      fill_number (self);
      break;
    case PAGE_PASSWORD:
      fill_password (self);
      break;
    case PAGE_NONE:
    case N_PAGES:
    default:
      g_assert_not_reached ();
    }
}

void
kiosk_keyboard_set_layout (KioskKeyboard       *self,
                           KioskKeyboardLayout  layout)
{
  Page page;

  g_return_if_fail (KIOSK_IS_KEYBOARD (self));
  g_return_if_fail (layout >= KIOSK_KEYBOARD_NONE && layout <= KIOSK_KEYBOARD_PASSWORD);

  if (self->layout == layout)
    return;

  self->layout = layout;
  self->katakana = layout == KIOSK_KEYBOARD_KATAKANA;
  self->last_char = 0;
  if (self->shift)
    {
      self->shift = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHIFT]);
    }

  page = layout_page (layout);
  ensure_page (self, page);
  if (page != PAGE_NONE)
    label_page (self, page);
  for (Page p = PAGE_NONE + 1; p < N_PAGES; p++)
    gtk_widget_set_visible (GTK_WIDGET (page_grid (self, p)), p == page);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYOUT]);
}

KioskKeyboardLayout
kiosk_keyboard_get_layout (KioskKeyboard *self)
{
  g_return_val_if_fail (KIOSK_IS_KEYBOARD (self), KIOSK_KEYBOARD_NONE);

  return self->layout;
}

void
kiosk_keyboard_set_target (KioskKeyboard *self,
                           GtkEditable   *editable)
{
  g_return_if_fail (KIOSK_IS_KEYBOARD (self));
  g_return_if_fail (editable == NULL || GTK_IS_EDITABLE (editable));

  self->last_char = 0;
  g_set_weak_pointer (&self->target, editable);
}

GtkWidget *
kiosk_keyboard_new (KioskKeyboardLayout layout)
{
  return g_object_new (KIOSK_TYPE_KEYBOARD,
                       "layout", (int) layout,
                       NULL);
}

/* The target, when text can be typed into it. */
static GtkEditable *
writable_target (KioskKeyboard *self)
{
  if (self->target == NULL || !gtk_editable_get_editable (self->target))
    return NULL;
  return self->target;
}

static void
insert_at_cursor (GtkEditable *editable,
                  gunichar     c)
{
  char text[8] = { 0 };
  int len = g_unichar_to_utf8 (c, text);
  int pos;

  gtk_editable_delete_selection (editable);
  pos = gtk_editable_get_position (editable);
  gtk_editable_insert_text (editable, text, len, &pos);
  gtk_editable_set_position (editable, pos);
}

static void
emit_key (KioskKeyboard *self,
          gunichar       c)
{
  GtkEditable *target;

  /* Kept only where ゛ ゜ 小 can use it: never for passwords. */
  self->last_char = layout_page (self->layout) == PAGE_KANA ? c : 0;

  g_signal_emit (self, signals[KEY], 0, (guint) c);
  target = writable_target (self);
  if (target != NULL)
    insert_at_cursor (target, c);
}

static void
type_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (widget);
  gunichar base = g_variant_get_uint32 (parameter);

  emit_key (self, key_char (self, base == ' ' ? KEY_SPACE : KEY_CHAR, base));
}

static void
backspace_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (widget);
  GtkEditable *target;
  int start, end;

  self->last_char = 0;
  g_signal_emit (self, signals[BACKSPACE], 0);

  target = writable_target (self);
  if (target == NULL)
    return;
  if (gtk_editable_get_selection_bounds (target, &start, &end))
    {
      gtk_editable_delete_text (target, start, end);
      gtk_editable_set_position (target, start);
    }
  else if ((start = gtk_editable_get_position (target)) > 0)
    {
      gtk_editable_delete_text (target, start - 1, start);
      gtk_editable_set_position (target, start - 1);
    }
}

static void
done_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (widget);

  self->last_char = 0;
  g_signal_emit (self, signals[DONE], 0);
}

void
kiosk_keyboard_set_done_label (KioskKeyboard *self,
                               const char    *label)
{
  g_return_if_fail (KIOSK_IS_KEYBOARD (self));

  g_free (self->done_label);
  self->done_label = g_strdup (label);
  for (guint page = 0; page < N_PAGES; page++)
    for (guint i = 0; self->keys[page] && i < self->keys[page]->len; i++)
      {
        Key *key = &g_array_index (self->keys[page], Key, i);

        if (key->kind == KEY_DONE)
          label_key (self, key);
      }
}

void
kiosk_keyboard_set_done_sensitive (KioskKeyboard *self,
                                   gboolean       sensitive)
{
  g_return_if_fail (KIOSK_IS_KEYBOARD (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "keyboard.done", sensitive);
}

static void
switch_kana_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (widget);

  if (layout_page (self->layout) != PAGE_KANA)
    return;
  self->katakana = !self->katakana;
  label_page (self, PAGE_KANA);
}

/* ゛ ゜ 小: change the character before the cursor of the target, or, with
 * no target, the last character emitted (by emitting "backspace" and the
 * changed character, so that a listener keeping its own text follows). */
static void
change_last_char (KioskKeyboard *self,
                  gunichar       (*change) (gunichar))
{
  GtkEditable *target = writable_target (self);
  gunichar changed;

  if (target != NULL)
    {
      int pos = gtk_editable_get_position (target);
      int start, end;
      g_autofree char *before = NULL;

      if (pos == 0 || gtk_editable_get_selection_bounds (target, &start, &end))
        return;
      before = gtk_editable_get_chars (target, pos - 1, pos);
      changed = change (g_utf8_get_char (before));
      if (changed == 0)
        return;

      gtk_editable_delete_text (target, pos - 1, pos);
      gtk_editable_set_position (target, pos - 1);
      insert_at_cursor (target, changed);
      return;
    }

  if (self->last_char == 0 || (changed = change (self->last_char)) == 0)
    return;
  g_signal_emit (self, signals[BACKSPACE], 0);
  self->last_char = changed;
  g_signal_emit (self, signals[KEY], 0, (guint) changed);
}

static void
voiced_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  change_last_char (KIOSK_KEYBOARD (widget), kiosk_kana_voiced);
}

static void
semi_voiced_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  change_last_char (KIOSK_KEYBOARD (widget), kiosk_kana_semi_voiced);
}

static void
small_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  change_last_char (KIOSK_KEYBOARD (widget), kiosk_kana_small);
}

static void
kiosk_keyboard_dispose (GObject *object)
{
  KioskKeyboard *self = (KioskKeyboard *)object;

  g_clear_weak_pointer (&self->target);
  self->last_char = 0;
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_KEYBOARD);
  for (guint i = 0; i < N_PAGES; i++)
    g_clear_pointer (&self->keys[i], g_array_unref);
  g_clear_pointer (&self->done_label, g_free);

  G_OBJECT_CLASS (kiosk_keyboard_parent_class)->dispose (object);
}

static void
kiosk_keyboard_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (object);

  switch (prop_id)
    {
    case PROP_LAYOUT:
      g_value_set_int (value, (int) self->layout);
      break;

    case PROP_SHIFT:
      g_value_set_boolean (value, self->shift);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_keyboard_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KioskKeyboard *self = KIOSK_KEYBOARD (object);

  switch (prop_id)
    {
    case PROP_LAYOUT:
      kiosk_keyboard_set_layout (self, (KioskKeyboardLayout) g_value_get_int (value));
      break;

    case PROP_SHIFT:
      if (self->shift == g_value_get_boolean (value))
        return;
      self->shift = g_value_get_boolean (value);
      if (layout_page (self->layout) == PAGE_LATIN)
        label_page (self, PAGE_LATIN);
      g_object_notify_by_pspec (object, pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_keyboard_class_init (KioskKeyboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_keyboard_dispose;
  object_class->get_property = kiosk_keyboard_get_property;
  object_class->set_property = kiosk_keyboard_set_property;

  properties[PROP_LAYOUT] =
    g_param_spec_int ("layout", NULL, NULL,
                      KIOSK_KEYBOARD_NONE, KIOSK_KEYBOARD_PASSWORD, KIOSK_KEYBOARD_NONE,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The LATIN layout's shift key (a toggle): letters in lower case. */
  properties[PROP_SHIFT] =
    g_param_spec_boolean ("shift", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KioskKeyboard::key:
   * @c: the character (a gunichar), after shift and the かな/カナ switch
   */
  signals[KEY] =
    g_signal_new ("key",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[BACKSPACE] =
    g_signal_new ("backspace",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[DONE] =
    g_signal_new ("done",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "keyboard.type", "u", type_action);
  gtk_widget_class_install_action (widget_class, "keyboard.backspace", NULL, backspace_action);
  gtk_widget_class_install_action (widget_class, "keyboard.done", NULL, done_action);
  gtk_widget_class_install_action (widget_class, "keyboard.switch-kana", NULL, switch_kana_action);
  gtk_widget_class_install_action (widget_class, "keyboard.voiced", NULL, voiced_action);
  gtk_widget_class_install_action (widget_class, "keyboard.semi-voiced", NULL, semi_voiced_action);
  gtk_widget_class_install_action (widget_class, "keyboard.small", NULL, small_action);
  gtk_widget_class_install_property_action (widget_class, "keyboard.shift", "shift");

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/widgets/kiosk-keyboard.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskKeyboard, pages);
  gtk_widget_class_bind_template_child (widget_class, KioskKeyboard, kana_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskKeyboard, latin_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskKeyboard, number_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskKeyboard, password_grid);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskkeyboard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kiosk_keyboard_init (KioskKeyboard *self)
{
  for (guint i = 0; i < N_PAGES; i++)
    self->keys[i] = g_array_new (FALSE, FALSE, sizeof (Key));

  gtk_widget_init_template (GTK_WIDGET (self));
}
