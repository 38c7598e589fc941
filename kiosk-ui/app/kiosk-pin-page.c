/* kiosk-pin-page.c - the PIN, the signature password and the staff PIN. */

#include "kiosk-pin-page.h"

#include <glib/gi18n-lib.h>

#include "kiosk-keyboard.h"
#include "kiosk-keypad.h"
#include "kiosk-secret-field.h"

struct _KioskPinPage
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkLabel *title;
  GtkLabel *explanation;
  GtkLabel *tries;
  GtkLabel *warning;
  GtkLabel *error;
  GtkBox *field_box;
  GtkBox *keys_box;
  GtkWidget *cancel_button;

  KioskPinKind kind;
  KioskSecretField *field;
  GtkWidget *keys;
};

G_DEFINE_FINAL_TYPE (KioskPinPage, kiosk_pin_page, GTK_TYPE_WIDGET)

enum { ENTERED, CANCELLED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
on_ok_clicked (KioskPinPage *self)
{
  myna_secret *secret;

  if (!kiosk_secret_field_is_complete (self->field))
    return;
  secret = kiosk_secret_field_take (self->field);
  if (!secret)
    return;
  /* The handler owns the secret from here. */
  g_signal_emit (self, signals[ENTERED], 0, secret);
}

static void
on_cancel_clicked (KioskPinPage *self)
{
  kiosk_secret_field_clear (self->field);
  g_signal_emit (self, signals[CANCELLED], 0);
}

static void
on_field_changed (KioskPinPage *self)
{
  gboolean complete = kiosk_secret_field_is_complete (self->field);
  if (KIOSK_IS_KEYPAD (self->keys))
    kiosk_keypad_set_submit_sensitive (KIOSK_KEYPAD (self->keys), complete);
  else
    kiosk_keyboard_set_done_sensitive (KIOSK_KEYBOARD (self->keys), complete);
  if (kiosk_secret_field_get_length (self->field) > 0)
    kiosk_pin_page_set_error (self, NULL);
}

static void
on_field_activate (KioskPinPage *self)
{
  on_ok_clicked (self);
}

GtkWidget *
kiosk_pin_page_new (KioskPinKind kind)
{
  KioskPinPage *self = g_object_new (KIOSK_TYPE_PIN_PAGE, NULL);
  const char *ok_label;

  self->kind = kind;
  switch (kind)
    {
    case KIOSK_PIN_SIGN:
      gtk_label_set_label (self->title, _("Enter your signature password"));
      gtk_label_set_label (self->explanation,
                           _("The password of 6 to 16 letters and numbers for the signature certificate (署名用電子証明書), set when the card was issued. Letters are entered as capitals."));
      self->field = KIOSK_SECRET_FIELD (kiosk_secret_field_new (KIOSK_SECRET_UPPER_ALNUM, 6, 16));
      self->keys = kiosk_keyboard_new (KIOSK_KEYBOARD_PASSWORD);
      ok_label = _("Sign and send");
      break;
    case KIOSK_PIN_STAFF:
      gtk_label_set_label (self->title, _("Staff PIN"));
      gtk_label_set_label (self->explanation, _("For staff of this office only."));
      self->field = KIOSK_SECRET_FIELD (kiosk_secret_field_new (KIOSK_SECRET_DIGITS, 4, 12));
      self->keys = kiosk_keypad_new ();
      ok_label = _("Open");
      break;
    case KIOSK_PIN_AUTH:
    default:
      gtk_label_set_label (self->title, _("Enter your PIN"));
      gtk_label_set_label (self->explanation,
                           _("The 4-digit PIN for the user certificate (利用者証明用電子証明書), set when the card was issued."));
      self->field = KIOSK_SECRET_FIELD (kiosk_secret_field_new (KIOSK_SECRET_DIGITS, 4, 4));
      self->keys = kiosk_keypad_new ();
      ok_label = _("Log in");
      break;
    }
  /* The keys' own confirm key says what it does; there is no second one. */
  if (KIOSK_IS_KEYPAD (self->keys))
    kiosk_keypad_set_submit_label (KIOSK_KEYPAD (self->keys), ok_label);
  else
    kiosk_keyboard_set_done_label (KIOSK_KEYBOARD (self->keys), ok_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->field), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_label (self->title), -1);
  gtk_box_append (self->field_box, GTK_WIDGET (self->field));
  gtk_box_append (self->keys_box, self->keys);
  kiosk_secret_field_attach (self->field, self->keys);
  g_signal_connect_object (self->field, "changed", G_CALLBACK (on_field_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->field, "activate", G_CALLBACK (on_field_activate), self,
                           G_CONNECT_SWAPPED);
  on_field_changed (self);
  kiosk_pin_page_reset (self, -1);
  return GTK_WIDGET (self);
}

void
kiosk_pin_page_reset (KioskPinPage *self, int tries_left)
{
  g_autofree char *tries = NULL;
  const char *warning = NULL;

  kiosk_secret_field_clear (self->field);
  if (tries_left >= 0)
    tries = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d try left", "%d tries left", tries_left),
                             tries_left);
  gtk_label_set_label (self->tries, tries ? tries : "");
  gtk_widget_set_visible (GTK_WIDGET (self->tries), tries != NULL);
  if (tries_left == 1)
    warning = self->kind == KIOSK_PIN_SIGN
      ? _("This is the last try. If the password is wrong again, it will be locked and must be reset at the municipal office.")
      : _("This is the last try. If the PIN is wrong again, it will be locked and must be reset at the municipal office.");
  gtk_label_set_label (self->warning, warning ? warning : "");
  gtk_widget_set_visible (GTK_WIDGET (self->warning), warning != NULL);
  on_field_changed (self);
}

void
kiosk_pin_page_set_error (KioskPinPage *self, const char *error)
{
  gtk_label_set_label (self->error, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error), error != NULL);
}

void
kiosk_pin_page_clear (KioskPinPage *self)
{
  kiosk_secret_field_clear (self->field);
  kiosk_pin_page_set_error (self, NULL);
}

static void
kiosk_pin_page_dispose (GObject *object)
{
  KioskPinPage *self = KIOSK_PIN_PAGE (object);

  if (self->field)
    {
      kiosk_secret_field_attach (self->field, NULL);
      kiosk_secret_field_clear (self->field);
    }
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_PIN_PAGE);
  self->field = NULL;
  self->keys = NULL;
  G_OBJECT_CLASS (kiosk_pin_page_parent_class)->dispose (object);
}

static void
kiosk_pin_page_class_init (KioskPinPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_pin_page_dispose;
  signals[ENTERED] = g_signal_new ("entered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[CANCELLED] = g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/jp/mynaterm/kiosk/app/kiosk-pin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, box);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, title);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, explanation);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, tries);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, warning);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, error);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, field_box);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, keys_box);
  gtk_widget_class_bind_template_child (widget_class, KioskPinPage, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
}

static void
kiosk_pin_page_init (KioskPinPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
