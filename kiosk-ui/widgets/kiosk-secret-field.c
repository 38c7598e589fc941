/* kiosk-secret-field.c - a masked field whose content is a myna_secret.
 *
 * The characters arrive one at a time (from an attached keypad or keyboard,
 * or kiosk_secret_field_type) and are appended to a myna_secret at once;
 * nothing else in the widget ever holds them. The cells show ● for each
 * character entered, and the accessible description says only how many
 * there are.
 */
#include "kiosk-secret-field.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kiosk-keyboard.h"
#include "kiosk-keypad.h"

/* What the cells show for one character entered. */
#define SECRET_BULLET "\u25CF"

struct _KioskSecretField
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkBox *cells;

  /* One label per character for a fixed length, else one label in all */
  GPtrArray *cell_labels;

  myna_secret *secret;
  KioskSecretAccept accept;
  guint min_length;
  guint max_length;
  gboolean complete;

  /* The attached KioskKeypad or KioskKeyboard (weak) */
  GtkWidget *source;
};

G_DEFINE_FINAL_TYPE (KioskSecretField, kiosk_secret_field, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MIN_LENGTH,
  PROP_MAX_LENGTH,
  PROP_LENGTH,
  PROP_COMPLETE,
  PROP_ACCEPT,
  N_PROPS
};

enum {
  CHANGED,
  ACTIVATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static myna_secret *
secret_new (void)
{
  myna_secret *s = myna_secret_new ();

  /* Like g_malloc: a kiosk that cannot map one page cannot go on. */
  if (s == NULL)
    g_error ("out of memory for a secret");
  return s;
}

static gboolean
is_fixed_length (KioskSecretField *self)
{
  return self->min_length == self->max_length;
}

static guint
effective_min_length (KioskSecretField *self)
{
  return MIN (self->min_length, self->max_length);
}

static void
update_description (KioskSecretField *self)
{
  guint len = (guint) myna_secret_len (self->secret);
  g_autofree char *text = NULL;

  if (is_fixed_length (self))
    {
      if (self->accept == KIOSK_SECRET_DIGITS)
        /* Translators: the accessible description of a masked PIN field
         * with a fixed number of digits, e.g. "2 of 4 digits entered". */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u of %u digit entered",
                                             "%u of %u digits entered",
                                             self->max_length),
                                len, self->max_length);
      else
        /* Translators: the accessible description of a masked field with a
         * fixed number of characters, e.g. "2 of 8 characters entered". */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u of %u character entered",
                                             "%u of %u characters entered",
                                             self->max_length),
                                len, self->max_length);
    }
  else
    {
      if (self->accept == KIOSK_SECRET_DIGITS)
        /* Translators: the accessible description of a masked number
         * field, e.g. "7 digits entered". */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u digit entered",
                                             "%u digits entered",
                                             len),
                                len);
      else
        /* Translators: the accessible description of a masked password
         * field, e.g. "7 characters entered". */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u character entered",
                                             "%u characters entered",
                                             len),
                                len);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

static void
update_cells (KioskSecretField *self)
{
  guint len = (guint) myna_secret_len (self->secret);

  if (is_fixed_length (self))
    {
      for (guint i = 0; i < self->cell_labels->len; i++)
        gtk_label_set_text (g_ptr_array_index (self->cell_labels, i),
                            i < len ? SECRET_BULLET : "");
    }
  else if (self->cell_labels->len > 0)
    {
      GString *bullets = g_string_sized_new (len * strlen (SECRET_BULLET));

      for (guint i = 0; i < len; i++)
        g_string_append (bullets, SECRET_BULLET);
      gtk_label_set_text (g_ptr_array_index (self->cell_labels, 0), bullets->str);
      g_string_free (bullets, TRUE);
    }
}

static GtkWidget *
new_cell (KioskSecretField *self, int width, int height)
{
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (frame, width, height);
  gtk_label_set_xalign (GTK_LABEL (label), 0.5);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "kiosk-title");
  gtk_frame_set_child (GTK_FRAME (frame), label);
  gtk_box_append (self->cells, frame);
  g_ptr_array_add (self->cell_labels, label);
  return frame;
}

/* Make the cells for the current lengths. */
static void
rebuild_cells (KioskSecretField *self)
{
  GtkWidget *child;

  g_ptr_array_set_size (self->cell_labels, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->cells))) != NULL)
    gtk_box_remove (self->cells, child);

  if (is_fixed_length (self))
    {
      for (guint i = 0; i < self->max_length; i++)
        new_cell (self, 64, 72);
    }
  else
    {
      GtkWidget *frame = new_cell (self, 320, 72);
      GtkWidget *label = gtk_frame_get_child (GTK_FRAME (frame));

      gtk_label_set_xalign (GTK_LABEL (label), 0.0);
      /* A long password wraps rather than widening the page. */
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
      gtk_widget_set_margin_start (label, 12);
      gtk_widget_set_margin_end (label, 12);
    }
  update_cells (self);
}

/* After the content or the constraints changed (old_len characters
 * before): refresh what is shown and tell the listeners. */
static void
content_changed (KioskSecretField *self, guint old_len)
{
  guint len = (guint) myna_secret_len (self->secret);
  gboolean complete = len >= effective_min_length (self) && len <= self->max_length;

  update_cells (self);
  update_description (self);

  if (len != old_len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LENGTH]);
  if (complete != self->complete)
    {
      self->complete = complete;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
  if (len != old_len)
    g_signal_emit (self, signals[CHANGED], 0);
}

/* The constraints changed: wipe what was entered and redraw. */
static void
constraints_changed (KioskSecretField *self)
{
  guint old_len = (guint) myna_secret_len (self->secret);

  myna_secret_clear (self->secret);
  rebuild_cells (self);
  content_changed (self, old_len);
}

/* The byte stored for c, or 0 when the field does not take c. */
static guint8
accepted_byte (KioskSecretAccept accept, gunichar c)
{
  if (c >= '0' && c <= '9')
    return (guint8) c;
  if (accept != KIOSK_SECRET_UPPER_ALNUM)
    return 0;
  if (c >= 'A' && c <= 'Z')
    return (guint8) c;
  if (c >= 'a' && c <= 'z')
    return (guint8) (c - 'a' + 'A');
  return 0;
}

void
kiosk_secret_field_type (KioskSecretField *self,
                         gunichar          c)
{
  guint old_len;
  guint8 byte;

  g_return_if_fail (KIOSK_IS_SECRET_FIELD (self));

  byte = accepted_byte (self->accept, c);
  old_len = (guint) myna_secret_len (self->secret);
  if (byte == 0 || old_len >= self->max_length)
    return;
  if (myna_secret_append (self->secret, &byte, 1) != MYNA_OK)
    return;
  content_changed (self, old_len);
}

void
kiosk_secret_field_backspace (KioskSecretField *self)
{
  guint old_len;
  myna_secret *shorter;

  g_return_if_fail (KIOSK_IS_SECRET_FIELD (self));

  old_len = (guint) myna_secret_len (self->secret);
  if (old_len == 0)
    return;

  /* myna_secret cannot be truncated in place: copy all but the last byte
   * into a new one, so the bytes never pass through ordinary memory. */
  shorter = myna_secret_from_bytes (myna_secret_bytes (self->secret), old_len - 1);
  if (shorter == NULL)
    g_error ("out of memory for a secret");
  myna_secret_free (self->secret);
  self->secret = shorter;
  content_changed (self, old_len);
}

guint
kiosk_secret_field_get_length (KioskSecretField *self)
{
  g_return_val_if_fail (KIOSK_IS_SECRET_FIELD (self), 0);

  return (guint) myna_secret_len (self->secret);
}

gboolean
kiosk_secret_field_is_complete (KioskSecretField *self)
{
  g_return_val_if_fail (KIOSK_IS_SECRET_FIELD (self), FALSE);

  return self->complete;
}

myna_secret *
kiosk_secret_field_take (KioskSecretField *self)
{
  myna_secret *content;
  guint old_len;

  g_return_val_if_fail (KIOSK_IS_SECRET_FIELD (self), NULL);

  old_len = (guint) myna_secret_len (self->secret);
  if (old_len == 0)
    return NULL;

  content = self->secret;
  self->secret = secret_new ();
  content_changed (self, old_len);
  return content;
}

void
kiosk_secret_field_clear (KioskSecretField *self)
{
  guint old_len;

  g_return_if_fail (KIOSK_IS_SECRET_FIELD (self));

  old_len = (guint) myna_secret_len (self->secret);
  myna_secret_clear (self->secret);
  content_changed (self, old_len);
}

static void
confirm (KioskSecretField *self)
{
  if (self->complete)
    g_signal_emit (self, signals[ACTIVATE], 0);
}

static void
on_keypad_digit (KioskSecretField *self,
                 int               digit,
                 KioskKeypad      *keypad)
{
  if (digit >= 0 && digit <= 9)
    kiosk_secret_field_type (self, (gunichar) ('0' + digit));
}

static void
on_keyboard_key (KioskSecretField *self,
                 guint             c,
                 KioskKeyboard    *keyboard)
{
  kiosk_secret_field_type (self, (gunichar) c);
}

static void
detach (KioskSecretField *self)
{
  if (self->source == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->source, self);
  g_clear_weak_pointer (&self->source);
}

void
kiosk_secret_field_attach (KioskSecretField *self,
                           GtkWidget        *keys)
{
  g_return_if_fail (KIOSK_IS_SECRET_FIELD (self));
  g_return_if_fail (keys == NULL || KIOSK_IS_KEYPAD (keys) || KIOSK_IS_KEYBOARD (keys));

  if (keys == self->source)
    return;

  detach (self);
  if (keys == NULL)
    return;

  g_set_weak_pointer (&self->source, keys);
  /* connect_object: the handlers go away with the field even if the keys
   * outlive it without a detach. */
  if (KIOSK_IS_KEYPAD (keys))
    {
      g_signal_connect_object (keys, "digit", G_CALLBACK (on_keypad_digit),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (keys, "submit", G_CALLBACK (confirm),
                               self, G_CONNECT_SWAPPED);
    }
  else
    {
      g_signal_connect_object (keys, "key", G_CALLBACK (on_keyboard_key),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (keys, "done", G_CALLBACK (confirm),
                               self, G_CONNECT_SWAPPED);
    }
  g_signal_connect_object (keys, "backspace", G_CALLBACK (kiosk_secret_field_backspace),
                           self, G_CONNECT_SWAPPED);
}

GtkWidget *
kiosk_secret_field_new (KioskSecretAccept accept,
                        guint             min_length,
                        guint             max_length)
{
  g_return_val_if_fail (max_length >= 1 && max_length <= MYNA_SECRET_MAX, NULL);
  g_return_val_if_fail (min_length <= max_length, NULL);

  return g_object_new (KIOSK_TYPE_SECRET_FIELD,
                       "accept", (int) accept,
                       "min-length", min_length,
                       "max-length", max_length,
                       NULL);
}

static void
kiosk_secret_field_dispose (GObject *object)
{
  KioskSecretField *self = (KioskSecretField *)object;

  detach (self);
  g_clear_pointer (&self->secret, myna_secret_free);
  g_clear_pointer (&self->cell_labels, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_SECRET_FIELD);

  G_OBJECT_CLASS (kiosk_secret_field_parent_class)->dispose (object);
}

static void
kiosk_secret_field_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KioskSecretField *self = KIOSK_SECRET_FIELD (object);

  switch (prop_id)
    {
    case PROP_MIN_LENGTH:
      g_value_set_uint (value, self->min_length);
      break;

    case PROP_MAX_LENGTH:
      g_value_set_uint (value, self->max_length);
      break;

    case PROP_LENGTH:
      g_value_set_uint (value, (guint) myna_secret_len (self->secret));
      break;

    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;

    case PROP_ACCEPT:
      g_value_set_int (value, (int) self->accept);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_secret_field_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  KioskSecretField *self = KIOSK_SECRET_FIELD (object);

  switch (prop_id)
    {
    case PROP_MIN_LENGTH:
      if (self->min_length == g_value_get_uint (value))
        return;
      self->min_length = g_value_get_uint (value);
      break;

    case PROP_MAX_LENGTH:
      if (self->max_length == g_value_get_uint (value))
        return;
      self->max_length = g_value_get_uint (value);
      break;

    case PROP_ACCEPT:
      if ((int) self->accept == g_value_get_int (value))
        return;
      self->accept = (KioskSecretAccept) g_value_get_int (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  constraints_changed (self);
  g_object_notify_by_pspec (object, pspec);
}

static void
kiosk_secret_field_class_init (KioskSecretFieldClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_secret_field_dispose;
  object_class->get_property = kiosk_secret_field_get_property;
  object_class->set_property = kiosk_secret_field_set_property;

  properties[PROP_MIN_LENGTH] =
    g_param_spec_uint ("min-length", NULL, NULL,
                       0, MYNA_SECRET_MAX, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_LENGTH] =
    g_param_spec_uint ("max-length", NULL, NULL,
                       1, MYNA_SECRET_MAX, MYNA_SECRET_MAX,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LENGTH] =
    g_param_spec_uint ("length", NULL, NULL,
                       0, MYNA_SECRET_MAX, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCEPT] =
    g_param_spec_int ("accept", NULL, NULL,
                      KIOSK_SECRET_DIGITS, KIOSK_SECRET_UPPER_ALNUM, KIOSK_SECRET_DIGITS,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KioskSecretField::changed:
   *
   * The number of characters entered changed.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * KioskSecretField::activate:
   *
   * The attached keypad or keyboard confirmed while the field was complete.
   */
  signals[ACTIVATE] =
    g_signal_new ("activate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/widgets/kiosk-secret-field.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskSecretField, cells);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kiosksecretfield");
  /* A role that carries no value: the content is never exposed. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kiosk_secret_field_init (KioskSecretField *self)
{
  self->secret = secret_new ();
  self->cell_labels = g_ptr_array_new ();
  self->max_length = MYNA_SECRET_MAX;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->complete = TRUE;
  rebuild_cells (self);
  update_description (self);
}
