/* kiosk-form-field.c - one question of the form, with its input.
 *
 * The frame (label, badge, help, message) is the template; the input is
 * made here because it depends on the field's type. Messages wait for the
 * first edit (or the page's "Next"): a resident who has not started typing
 * should not be told off. */

#include "kiosk-form-field.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kiosk-keyboard.h"
#include "kiosk-keypad.h"
#include "kiosk-secret-field.h"

/* What a masked My Number shows for each hidden digit. */
#define MASK_DIGIT "\u25CF"

struct _KioskFormField
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel *label;
  GtkLabel *badge;
  GtkLabel *help;
  GtkBox *input_box;
  GtkLabel *message;
  GtkLabel *report;

  const KioskFieldSpec *spec;
  guint entry_no;
  gboolean required;
  gboolean touched;        /* edited by the resident */
  gboolean revealed;       /* the page asked for every message */
  guint updating;          /* > 0 while the kiosk itself changes the input */

  /* The input, by type; the widgets that carry the accessible label and
   * description are in `described`. */
  GPtrArray *described;
  GtkWidget *entry;        /* text, address, number, postal-code */
  GtkTextView *text_view;  /* multi-line text */
  GtkWidget *year, *month, *day;
  GPtrArray *choices;      /* select: GtkCheckButton per choice */
  GtkWidget *choice_group; /* the box holding them */
  GtkWidget *clear_choice; /* "clear the answer" of a select that is not required */
  GtkWidget *check;        /* checkbox */
  KioskSecretField *secret;
  GtkWidget *keypad;
  KioskRule secret_rule;   /* the digits' own fault, worked out when they change */
};

G_DEFINE_FINAL_TYPE (KioskFormField, kiosk_form_field, GTK_TYPE_WIDGET)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static KioskKeyboardLayout
layout_for (const KioskFieldSpec *spec)
{
  switch (kiosk_field_input_kind (spec))
    {
    case KIOSK_INPUT_KANA:
      return KIOSK_KEYBOARD_KANA;
    case KIOSK_INPUT_KATAKANA:
      return KIOSK_KEYBOARD_KATAKANA;
    case KIOSK_INPUT_NUMBER:
      return KIOSK_KEYBOARD_NUMBER;
    case KIOSK_INPUT_SECRET_DIGITS:
      return KIOSK_KEYBOARD_NONE;   /* it has its own keypad */
    case KIOSK_INPUT_LATIN:
    default:
      return KIOSK_KEYBOARD_LATIN;
    }
}

/* The name the input goes by: the label, and in a repeated group the
 * entry too, so that names stay unique on the screen. */
static char *
accessible_name (KioskFormField *self)
{
  if (self->entry_no == 0)
    return g_strdup (self->spec->label);
  return g_strdup_printf ("%s（%s %u）", self->spec->label, self->spec->section->entry_label,
                          self->entry_no);
}

static void
set_accessible_label (GtkWidget *widget, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
}

static void
update_accessible_names (KioskFormField *self)
{
  g_autofree char *name = accessible_name (self);

  if (self->year != NULL)
    {
      g_autofree char *y = NULL, *m = NULL, *d = NULL;

      /* Translators: accessible names of the three parts of a date; %s is
       * the question (Japanese), e.g. 生年月日. */
      y = g_strdup_printf (_("%s, year"), name);
      m = g_strdup_printf (_("%s, month"), name);
      d = g_strdup_printf (_("%s, day"), name);
      set_accessible_label (self->year, y);
      set_accessible_label (self->month, m);
      set_accessible_label (self->day, d);
    }
  else if (self->choices != NULL)
    {
      set_accessible_label (self->choice_group, name);
      for (guint i = 0; i < self->choices->len; i++)
        {
          const KioskChoiceSpec *c = g_ptr_array_index (self->spec->choices, i);
          g_autofree char *choice = g_strdup_printf ("%s（%s）", c->label, name);

          set_accessible_label (g_ptr_array_index (self->choices, i), choice);
        }
      if (self->clear_choice != NULL)
        {
          /* Translators: %s is the question (Japanese). */
          g_autofree char *clear = g_strdup_printf (_("Clear the answer to “%s”"), name);

          set_accessible_label (self->clear_choice, clear);
        }
    }
  else
    for (guint i = 0; i < self->described->len; i++)
      set_accessible_label (g_ptr_array_index (self->described, i), name);

  if (self->keypad != NULL)
    {
      /* Translators: the accessible name of the keypad that enters a My
       * Number; %s is the question (Japanese). */
      g_autofree char *keys = g_strdup_printf (_("Keypad for “%s”"), name);

      set_accessible_label (self->keypad, keys);
    }
}

/* ---- the secret ---- */

static myna_secret *
take_secret (KioskFormField *self)
{
  myna_secret *s;

  self->updating++;
  s = kiosk_secret_field_take (self->secret);
  self->updating--;
  return s;
}

/* Give the digits back to the field and wipe the copy. */
static void
put_back (KioskFormField *self, myna_secret *s)
{
  const guint8 *bytes = myna_secret_bytes (s);

  self->updating++;
  for (size_t i = 0; i < myna_secret_len (s); i++)
    kiosk_secret_field_type (self->secret, bytes[i]);
  self->updating--;
  myna_secret_free (s);
}

char *
kiosk_form_field_dup_secret_text (KioskFormField *self)
{
  myna_secret *s;
  char *text;

  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), NULL);

  if (self->secret == NULL || (s = take_secret (self)) == NULL)
    return NULL;
  text = g_strndup ((const char *) myna_secret_bytes (s), myna_secret_len (s));
  put_back (self, s);
  return text;
}

char *
kiosk_form_field_dup_masked (KioskFormField *self)
{
  myna_secret *s;
  GString *out;
  size_t len;
  const guint8 *bytes;

  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), NULL);

  if (self->secret == NULL || (s = take_secret (self)) == NULL)
    return NULL;
  len = myna_secret_len (s);
  bytes = myna_secret_bytes (s);
  out = g_string_new (NULL);
  /* "●●●● ●●●● 1234": groups of four as on the card, only the last four
   * shown. */
  for (size_t i = 0; i < len; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (out, ' ');
      if (i + 4 >= len)
        g_string_append_c (out, (char) bytes[i]);
      else
        g_string_append (out, MASK_DIGIT);
    }
  put_back (self, s);
  return g_string_free (out, FALSE);
}

static void
update_secret_rule (KioskFormField *self)
{
  guint len = kiosk_secret_field_get_length (self->secret);
  myna_secret *s;

  if (len == 0)
    self->secret_rule = KIOSK_RULE_OK;
  else if (len != 12)
    self->secret_rule = KIOSK_RULE_MY_NUMBER_DIGITS;
  else if ((s = take_secret (self)) != NULL)
    {
      self->secret_rule = kiosk_my_number_valid (myna_secret_bytes (s), myna_secret_len (s))
                          ? KIOSK_RULE_OK : KIOSK_RULE_MY_NUMBER_CHECK;
      put_back (self, s);
    }
  if (self->keypad != NULL)
    kiosk_keypad_set_submit_sensitive (KIOSK_KEYPAD (self->keypad), len == 12);
}

/* ---- changes ---- */

static void
input_changed (KioskFormField *self)
{
  if (self->updating > 0)
    return;
  self->touched = TRUE;
  kiosk_form_field_set_report (self, NULL);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_secret_changed (KioskFormField *self)
{
  if (self->updating > 0)
    return;
  update_secret_rule (self);
  input_changed (self);
}

static void
on_secret_activate (KioskFormField *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  /* "Done" on the keypad: on to the next question. */
  if (root != NULL)
    gtk_widget_child_focus (GTK_WIDGET (root), GTK_DIR_TAB_FORWARD);
}

static void
on_choice_toggled (KioskFormField *self, GtkCheckButton *button)
{
  gboolean any = FALSE;

  /* A radio group toggles twice per choice (off, then on): act once. */
  if (!gtk_check_button_get_active (button))
    {
      for (guint i = 0; i < self->choices->len; i++)
        any |= gtk_check_button_get_active (g_ptr_array_index (self->choices, i));
      if (any)
        return;
    }
  if (self->clear_choice != NULL)
    gtk_widget_set_visible (self->clear_choice, gtk_check_button_get_active (button) || any);
  input_changed (self);
}

static void
on_clear_choice (KioskFormField *self)
{
  for (guint i = 0; i < self->choices->len; i++)
    gtk_check_button_set_active (g_ptr_array_index (self->choices, i), FALSE);
}

/* ---- making the input ---- */

static GtkWidget *
new_entry (KioskFormField *self, int width_chars)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_widget_set_size_request (entry, -1, 56);
  gtk_widget_add_css_class (entry, "kiosk-body");
  if (width_chars > 0)
    {
      gtk_editable_set_width_chars (GTK_EDITABLE (entry), width_chars);
      gtk_widget_set_halign (entry, GTK_ALIGN_START);
    }
  else
    gtk_widget_set_hexpand (entry, TRUE);
  kiosk_keyboard_tag (entry, layout_for (self->spec));
  g_signal_connect_object (entry, "changed", G_CALLBACK (input_changed), self, G_CONNECT_SWAPPED);
  g_ptr_array_add (self->described, entry);
  return entry;
}

static void
build_date (KioskFormField *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  struct {
    GtkWidget **entry;
    int chars;
    const char *unit;
  } parts[] = {
    /* Translators: shown after the year of a date (年). */
    { &self->year, 5, N_("year") },
    /* Translators: shown after the month of a date (月). */
    { &self->month, 3, N_("month") },
    /* Translators: shown after the day of a date (日). */
    { &self->day, 3, N_("day") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      GtkWidget *unit = gtk_label_new (_(parts[i].unit));

      *parts[i].entry = new_entry (self, parts[i].chars);
      gtk_entry_set_max_length (GTK_ENTRY (*parts[i].entry), i == 0 ? 4 : 2);
      gtk_entry_set_input_purpose (GTK_ENTRY (*parts[i].entry), GTK_INPUT_PURPOSE_DIGITS);
      gtk_widget_add_css_class (unit, "kiosk-body");
      gtk_box_append (GTK_BOX (row), *parts[i].entry);
      gtk_box_append (GTK_BOX (row), unit);
    }
  gtk_box_append (self->input_box, row);
}

static void
build_select (KioskFormField *self)
{
  GtkWidget *first = NULL;

  self->choice_group = g_object_new (GTK_TYPE_BOX,
                                     "orientation", GTK_ORIENTATION_VERTICAL,
                                     "spacing", 4,
                                     "accessible-role", GTK_ACCESSIBLE_ROLE_GROUP,
                                     NULL);
  self->choices = g_ptr_array_new ();
  for (guint i = 0; i < self->spec->choices->len; i++)
    {
      const KioskChoiceSpec *c = g_ptr_array_index (self->spec->choices, i);
      GtkWidget *button = gtk_check_button_new_with_label (c->label);

      gtk_widget_set_size_request (button, -1, 56);
      gtk_widget_add_css_class (button, "kiosk-body");
      if (first != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (button), GTK_CHECK_BUTTON (first));
      else
        first = button;
      g_signal_connect_object (button, "toggled", G_CALLBACK (on_choice_toggled), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->choices, button);
      gtk_box_append (GTK_BOX (self->choice_group), button);
    }
  g_ptr_array_add (self->described, self->choice_group);
  gtk_box_append (self->input_box, self->choice_group);

  if (!self->spec->required)
    {
      self->clear_choice = gtk_button_new_with_label (_("Clear the answer"));
      gtk_widget_set_halign (self->clear_choice, GTK_ALIGN_START);
      gtk_widget_set_visible (self->clear_choice, FALSE);
      gtk_widget_add_css_class (self->clear_choice, "kiosk-small");
      g_signal_connect_object (self->clear_choice, "clicked", G_CALLBACK (on_clear_choice), self,
                               G_CONNECT_SWAPPED);
      gtk_box_append (self->input_box, self->clear_choice);
    }
}

static void
build_secret (KioskFormField *self)
{
  self->secret = KIOSK_SECRET_FIELD (kiosk_secret_field_new (KIOSK_SECRET_DIGITS, 12, 12));
  self->keypad = kiosk_keypad_new ();
  gtk_widget_set_halign (GTK_WIDGET (self->secret), GTK_ALIGN_START);
  gtk_widget_set_halign (self->keypad, GTK_ALIGN_START);
  kiosk_keypad_set_submit_label (KIOSK_KEYPAD (self->keypad), _("Done"));
  kiosk_secret_field_attach (self->secret, self->keypad);
  kiosk_keyboard_tag (GTK_WIDGET (self->secret), KIOSK_KEYBOARD_NONE);
  g_signal_connect_object (self->secret, "changed", G_CALLBACK (on_secret_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->secret, "activate", G_CALLBACK (on_secret_activate), self,
                           G_CONNECT_SWAPPED);
  /* The field describes itself ("3 of 12 digits entered"); the message is
   * tied to it as a relation. */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->secret),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->message, NULL,
                                  -1);
  g_ptr_array_add (self->described, self->secret);
  gtk_box_append (self->input_box, GTK_WIDGET (self->secret));
  gtk_box_append (self->input_box, self->keypad);
  update_secret_rule (self);
}

static void
build_input (KioskFormField *self)
{
  const KioskFieldSpec *spec = self->spec;

  if (spec->my_number)
    {
      build_secret (self);
      return;
    }
  switch (spec->type)
    {
    case KIOSK_FIELD_TEXT:
      if (spec->multiline)
        {
          GtkWidget *frame = gtk_frame_new (NULL);
          GtkWidget *view = gtk_text_view_new ();

          gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
          gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (view), FALSE);
          gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 8);
          gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
          gtk_widget_set_size_request (view, -1, 140);
          gtk_widget_add_css_class (view, "kiosk-body");
          kiosk_keyboard_tag (view, layout_for (spec));
          g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), "changed",
                                   G_CALLBACK (input_changed), self, G_CONNECT_SWAPPED);
          gtk_frame_set_child (GTK_FRAME (frame), view);
          self->text_view = GTK_TEXT_VIEW (view);
          g_ptr_array_add (self->described, view);
          gtk_box_append (self->input_box, frame);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case KIOSK_FIELD_ADDRESS:
      self->entry = new_entry (self, 0);
      gtk_box_append (self->input_box, self->entry);
      break;
    case KIOSK_FIELD_NUMBER:
      {
        GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

        self->entry = new_entry (self, 14);
        gtk_entry_set_input_purpose (GTK_ENTRY (self->entry), GTK_INPUT_PURPOSE_NUMBER);
        gtk_box_append (GTK_BOX (row), self->entry);
        if (spec->unit != NULL)
          {
            GtkWidget *unit = gtk_label_new (spec->unit);

            gtk_widget_add_css_class (unit, "kiosk-body");
            gtk_box_append (GTK_BOX (row), unit);
          }
        gtk_box_append (self->input_box, row);
      }
      break;
    case KIOSK_FIELD_POSTAL_CODE:
      self->entry = new_entry (self, 9);
      gtk_entry_set_max_length (GTK_ENTRY (self->entry), 8);
      gtk_entry_set_input_purpose (GTK_ENTRY (self->entry), GTK_INPUT_PURPOSE_DIGITS);
      gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), "123-4567");
      gtk_box_append (self->input_box, self->entry);
      break;
    case KIOSK_FIELD_DATE:
      build_date (self);
      break;
    case KIOSK_FIELD_SELECT:
      build_select (self);
      break;
    case KIOSK_FIELD_CHECKBOX:
      {
        GtkWidget *text = gtk_label_new (spec->label);

        gtk_label_set_wrap (GTK_LABEL (text), TRUE);
        gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
        gtk_label_set_xalign (GTK_LABEL (text), 0);
        self->check = gtk_check_button_new ();
        gtk_check_button_set_child (GTK_CHECK_BUTTON (self->check), text);
      }
      gtk_widget_set_size_request (self->check, -1, 64);
      gtk_widget_add_css_class (self->check, "kiosk-body");
      g_signal_connect_object (self->check, "toggled", G_CALLBACK (input_changed), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->described, self->check);
      gtk_box_append (self->input_box, self->check);
      /* The box says it already. */
      gtk_widget_set_visible (GTK_WIDGET (self->label), FALSE);
      break;
    default:
      break;
    }
}

GtkWidget *
kiosk_form_field_new (const KioskFieldSpec *spec, guint entry)
{
  KioskFormField *self;

  g_return_val_if_fail (spec != NULL, NULL);

  self = g_object_new (KIOSK_TYPE_FORM_FIELD, NULL);
  self->spec = spec;
  self->entry_no = entry;
  gtk_label_set_label (self->label, spec->label);
  if (spec->help != NULL)
    {
      gtk_label_set_label (self->help, spec->help);
      gtk_widget_set_visible (GTK_WIDGET (self->help), TRUE);
    }
  build_input (self);
  update_accessible_names (self);
  kiosk_form_field_set_required (self, spec->required);
  return GTK_WIDGET (self);
}

const KioskFieldSpec *
kiosk_form_field_get_spec (KioskFormField *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), NULL);

  return self->spec;
}

void
kiosk_form_field_set_entry (KioskFormField *self, guint entry)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));

  self->entry_no = entry;
  update_accessible_names (self);
}

/* ---- the answer ---- */

static char *
non_empty (char *s)
{
  if (s != NULL && *s == '\0')
    g_clear_pointer (&s, g_free);
  return s;
}

/* "4" -> "04": the NUMBER keyboard types what the resident says. */
static char *
two_digits (const char *s)
{
  if (strlen (s) == 1 && g_ascii_isdigit (s[0]))
    return g_strdup_printf ("0%s", s);
  return g_strdup (s);
}

static gboolean
is_seven_digits (const char *s)
{
  if (strlen (s) != 7)
    return FALSE;
  for (int i = 0; i < 7; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

char *
kiosk_form_field_get_value (KioskFormField *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), NULL);

  if (self->secret != NULL)
    return NULL;
  if (self->text_view != NULL)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return non_empty (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
    }
  if (self->year != NULL)
    {
      const char *y = gtk_editable_get_text (GTK_EDITABLE (self->year));
      g_autofree char *m = two_digits (gtk_editable_get_text (GTK_EDITABLE (self->month)));
      g_autofree char *d = two_digits (gtk_editable_get_text (GTK_EDITABLE (self->day)));

      if (*y == '\0' && *m == '\0' && *d == '\0')
        return NULL;
      return g_strdup_printf ("%s-%s-%s", y, m, d);
    }
  if (self->choices != NULL)
    {
      for (guint i = 0; i < self->choices->len; i++)
        if (gtk_check_button_get_active (g_ptr_array_index (self->choices, i)))
          return g_strdup (((KioskChoiceSpec *) g_ptr_array_index (self->spec->choices, i))->value);
      return NULL;
    }
  if (self->check != NULL)
    return g_strdup (gtk_check_button_get_active (GTK_CHECK_BUTTON (self->check)) ? "true"
                                                                                   : "false");
  if (self->entry != NULL)
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));

      /* Seven digits are a postal code without its hyphen. */
      if (self->spec->type == KIOSK_FIELD_POSTAL_CODE && is_seven_digits (text))
        return g_strdup_printf ("%.3s-%s", text, text + 3);
      return non_empty (g_strdup (text));
    }
  return NULL;
}

void
kiosk_form_field_set_value (KioskFormField *self, const char *value)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));
  g_return_if_fail (self->secret == NULL);

  if (value == NULL)
    value = "";
  self->updating++;
  if (self->text_view != NULL)
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), value, -1);
  else if (self->year != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (value, "-", 3);
      guint n = g_strv_length (parts);

      gtk_editable_set_text (GTK_EDITABLE (self->year), n > 0 ? parts[0] : "");
      gtk_editable_set_text (GTK_EDITABLE (self->month), n > 1 ? parts[1] : "");
      gtk_editable_set_text (GTK_EDITABLE (self->day), n > 2 ? parts[2] : "");
    }
  else if (self->choices != NULL)
    {
      gboolean any = FALSE;

      for (guint i = 0; i < self->choices->len; i++)
        {
          const KioskChoiceSpec *c = g_ptr_array_index (self->spec->choices, i);

          if (g_str_equal (c->value, value))
            {
              gtk_check_button_set_active (g_ptr_array_index (self->choices, i), TRUE);
              any = TRUE;
            }
        }
      if (!any)
        on_clear_choice (self);
      if (self->clear_choice != NULL)
        gtk_widget_set_visible (self->clear_choice, any);
    }
  else if (self->check != NULL)
    gtk_check_button_set_active (GTK_CHECK_BUTTON (self->check), g_str_equal (value, "true"));
  else if (self->entry != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->entry), value);
  self->updating--;
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
kiosk_form_field_is_secret (KioskFormField *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), FALSE);

  return self->secret != NULL;
}

/* ---- state ---- */

void
kiosk_form_field_set_required (KioskFormField *self, gboolean required)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));

  self->required = !!required;
  gtk_widget_set_visible (GTK_WIDGET (self->badge), self->required);
  for (guint i = 0; i < self->described->len; i++)
    gtk_accessible_update_property (g_ptr_array_index (self->described, i),
                                    GTK_ACCESSIBLE_PROPERTY_REQUIRED, self->required, -1);
}

gboolean
kiosk_form_field_get_required (KioskFormField *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), FALSE);

  return self->required;
}

static void
show_message (KioskFormField *self, const char *text)
{
  gtk_label_set_label (self->message, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message), text != NULL);
  for (guint i = 0; i < self->described->len; i++)
    {
      GtkWidget *w = g_ptr_array_index (self->described, i);

      if (text != NULL)
        gtk_widget_add_css_class (w, "error");
      else
        gtk_widget_remove_css_class (w, "error");
      /* The secret field keeps its own description (how many digits). */
      if (w == GTK_WIDGET (self->secret))
        continue;
      if (text != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                        text, -1);
      else
        gtk_accessible_reset_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  for (guint i = 0; i < self->described->len; i++)
    gtk_accessible_update_state (g_ptr_array_index (self->described, i),
                                 GTK_ACCESSIBLE_STATE_INVALID,
                                 text != NULL ? GTK_ACCESSIBLE_INVALID_TRUE
                                              : GTK_ACCESSIBLE_INVALID_FALSE,
                                 -1);
}

KioskRule
kiosk_form_field_validate (KioskFormField *self, const GDate *today)
{
  KioskRule rule;
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), KIOSK_RULE_OK);

  if (self->secret != NULL)
    {
      if (kiosk_secret_field_get_length (self->secret) == 0)
        rule = self->required ? KIOSK_RULE_REQUIRED : KIOSK_RULE_OK;
      else
        rule = self->secret_rule;
    }
  else
    {
      value = kiosk_form_field_get_value (self);
      rule = kiosk_field_check (self->spec, value, self->required, today);
    }
  if (rule != KIOSK_RULE_OK && (self->touched || self->revealed))
    text = kiosk_rule_field_message (self->spec, rule, value);
  show_message (self, text);
  return rule;
}

void
kiosk_form_field_reveal (KioskFormField *self)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));

  self->revealed = TRUE;
}

void
kiosk_form_field_set_report (KioskFormField *self, const char *content)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));

  gtk_label_set_label (self->report, content ? content : "");
  gtk_widget_set_visible (GTK_WIDGET (self->report), content != NULL);
}

gboolean
kiosk_form_field_focus_input (KioskFormField *self)
{
  GtkWidget *target;

  g_return_val_if_fail (KIOSK_IS_FORM_FIELD (self), FALSE);

  if (self->keypad != NULL)
    target = self->keypad;
  else if (self->choices != NULL)
    target = g_ptr_array_index (self->choices, 0);
  else if (self->described->len > 0)
    target = g_ptr_array_index (self->described, 0);
  else
    return FALSE;
  return gtk_widget_grab_focus (target);
}

void
kiosk_form_field_wipe (KioskFormField *self)
{
  g_return_if_fail (KIOSK_IS_FORM_FIELD (self));

  if (self->secret != NULL)
    {
      self->updating++;
      kiosk_secret_field_clear (self->secret);
      self->updating--;
      update_secret_rule (self);
      return;
    }
  kiosk_form_field_set_value (self, NULL);
}

/* ---- the widget ---- */

static void
kiosk_form_field_dispose (GObject *object)
{
  KioskFormField *self = KIOSK_FORM_FIELD (object);

  self->updating++;
  if (self->secret != NULL)
    {
      kiosk_secret_field_attach (self->secret, NULL);
      kiosk_secret_field_clear (self->secret);
      self->secret = NULL;
    }
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_FORM_FIELD);
  g_clear_pointer (&self->choices, g_ptr_array_unref);
  g_clear_pointer (&self->described, g_ptr_array_unref);
  self->entry = self->year = self->month = self->day = NULL;
  self->text_view = NULL;
  self->check = self->keypad = self->choice_group = self->clear_choice = NULL;
  G_OBJECT_CLASS (kiosk_form_field_parent_class)->dispose (object);
}

static void
kiosk_form_field_class_init (KioskFormFieldClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_form_field_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskformfield");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-form-field.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, label);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, badge);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, help);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, input_box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, message);
  gtk_widget_class_bind_template_child (widget_class, KioskFormField, report);
}

static void
kiosk_form_field_init (KioskFormField *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->described = g_ptr_array_new ();
}
