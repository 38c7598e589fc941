/* kiosk-keypad.c - the on-screen numeric keypad.
 *
 * The twelve keys are in the template; each activates one of the keypad's
 * actions (keypad.digit, keypad.backspace, keypad.submit), and the actions
 * emit the signals. Disabling keypad.submit makes the confirm key
 * insensitive, so "submit" is never emitted while it is.
 */
#include "kiosk-keypad.h"

#include <glib/gi18n-lib.h>

struct _KioskKeypad
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkGrid *grid;
  GtkButton *key_submit;

  gboolean submit_sensitive;
};

G_DEFINE_FINAL_TYPE (KioskKeypad, kiosk_keypad, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SUBMIT_SENSITIVE,
  PROP_SUBMIT_LABEL,
  N_PROPS
};

enum {
  DIGIT,
  BACKSPACE,
  SUBMIT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
kiosk_keypad_new (void)
{
  return g_object_new (KIOSK_TYPE_KEYPAD, NULL);
}

void
kiosk_keypad_set_submit_sensitive (KioskKeypad *self,
                                   gboolean     sensitive)
{
  g_return_if_fail (KIOSK_IS_KEYPAD (self));

  sensitive = !!sensitive;
  if (self->submit_sensitive == sensitive)
    return;

  self->submit_sensitive = sensitive;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "keypad.submit", sensitive);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBMIT_SENSITIVE]);
}

void
kiosk_keypad_set_submit_label (KioskKeypad *self,
                               const char  *label)
{
  g_return_if_fail (KIOSK_IS_KEYPAD (self));

  if (label == NULL || *label == '\0')
    label = _("OK");
  if (g_strcmp0 (gtk_button_get_label (self->key_submit), label) == 0)
    return;

  /* GtkButton makes the label the key's accessible name as well. */
  gtk_button_set_label (self->key_submit, label);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBMIT_LABEL]);
}

static void
digit_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  int digit = g_variant_get_int32 (parameter);

  g_return_if_fail (digit >= 0 && digit <= 9);
  g_signal_emit (widget, signals[DIGIT], 0, digit);
}

static void
backspace_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  g_signal_emit (widget, signals[BACKSPACE], 0);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KioskKeypad *self = KIOSK_KEYPAD (widget);

  if (self->submit_sensitive)
    g_signal_emit (self, signals[SUBMIT], 0);
}

/* The number keys of a real keyboard, for staff and tests: digits,
 * BackSpace, Enter. */
static gboolean
on_key_pressed (KioskKeypad     *self,
                guint            keyval,
                guint            keycode,
                GdkModifierType  state,
                GtkEventControllerKey *controller)
{
  gunichar c;

  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK))
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_BackSpace:
      gtk_widget_activate_action (GTK_WIDGET (self), "keypad.backspace", NULL);
      return GDK_EVENT_STOP;

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      gtk_widget_activate_action (GTK_WIDGET (self), "keypad.submit", NULL);
      return GDK_EVENT_STOP;

    default:
      break;
    }

  c = gdk_keyval_to_unicode (keyval);
  if (c >= '0' && c <= '9')
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "keypad.digit", "i", (int) (c - '0'));
      return GDK_EVENT_STOP;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
kiosk_keypad_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_KEYPAD);

  G_OBJECT_CLASS (kiosk_keypad_parent_class)->dispose (object);
}

static void
kiosk_keypad_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KioskKeypad *self = KIOSK_KEYPAD (object);

  switch (prop_id)
    {
    case PROP_SUBMIT_SENSITIVE:
      g_value_set_boolean (value, self->submit_sensitive);
      break;

    case PROP_SUBMIT_LABEL:
      g_value_set_string (value, gtk_button_get_label (self->key_submit));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_keypad_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KioskKeypad *self = KIOSK_KEYPAD (object);

  switch (prop_id)
    {
    case PROP_SUBMIT_SENSITIVE:
      kiosk_keypad_set_submit_sensitive (self, g_value_get_boolean (value));
      break;

    case PROP_SUBMIT_LABEL:
      kiosk_keypad_set_submit_label (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kiosk_keypad_class_init (KioskKeypadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_keypad_dispose;
  object_class->get_property = kiosk_keypad_get_property;
  object_class->set_property = kiosk_keypad_set_property;

  properties[PROP_SUBMIT_SENSITIVE] =
    g_param_spec_boolean ("submit-sensitive", NULL, NULL,
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBMIT_LABEL] =
    g_param_spec_string ("submit-label", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KioskKeypad::digit:
   * @digit: 0-9
   */
  signals[DIGIT] =
    g_signal_new ("digit",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);
  signals[BACKSPACE] =
    g_signal_new ("backspace",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SUBMIT] =
    g_signal_new ("submit",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "keypad.digit", "i", digit_action);
  gtk_widget_class_install_action (widget_class, "keypad.backspace", NULL, backspace_action);
  gtk_widget_class_install_action (widget_class, "keypad.submit", NULL, submit_action);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/widgets/kiosk-keypad.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskKeypad, grid);
  gtk_widget_class_bind_template_child (widget_class, KioskKeypad, key_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_key_pressed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskkeypad");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kiosk_keypad_init (KioskKeypad *self)
{
  self->submit_sensitive = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));
}
