/* kiosk-message-page.c - a message to acknowledge, or a busy spinner. */

#include "kiosk-message-page.h"

struct _KioskMessagePage
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkSpinner *spinner;
  GtkLabel *title;
  GtkLabel *advice;
  GtkLabel *details;
  GtkButton *button;
};

G_DEFINE_FINAL_TYPE (KioskMessagePage, kiosk_message_page, GTK_TYPE_WIDGET)

enum { DISMISSED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
on_button_clicked (KioskMessagePage *self)
{
  g_signal_emit (self, signals[DISMISSED], 0);
}

GtkWidget *
kiosk_message_page_new (void)
{
  return g_object_new (KIOSK_TYPE_MESSAGE_PAGE, NULL);
}

void
kiosk_message_page_show (KioskMessagePage *self, const char *title, const char *advice,
                         const char * const *details, const char *button)
{
  g_autofree char *joined = details ? g_strjoinv ("\n", (char **) details) : NULL;

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_label_set_label (self->title, title);
  gtk_label_set_label (self->advice, advice ? advice : "");
  gtk_widget_set_visible (GTK_WIDGET (self->advice), advice && *advice);
  gtk_label_set_label (self->details, joined ? joined : "");
  gtk_widget_set_visible (GTK_WIDGET (self->details), joined && *joined);
  gtk_button_set_label (self->button, button);
  gtk_widget_set_visible (GTK_WIDGET (self->button), TRUE);
}

void
kiosk_message_page_show_busy (KioskMessagePage *self, const char *title)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);
  gtk_label_set_label (self->title, title);
  gtk_widget_set_visible (GTK_WIDGET (self->advice), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->details), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->button), FALSE);
}

void
kiosk_message_page_clear (KioskMessagePage *self)
{
  gtk_spinner_stop (self->spinner);
  gtk_label_set_label (self->title, "");
  gtk_label_set_label (self->advice, "");
  gtk_label_set_label (self->details, "");
}

static void
kiosk_message_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_MESSAGE_PAGE);
  G_OBJECT_CLASS (kiosk_message_page_parent_class)->dispose (object);
}

static void
kiosk_message_page_class_init (KioskMessagePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_message_page_dispose;
  signals[DISMISSED] = g_signal_new ("dismissed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/jp/mynaterm/kiosk/app/kiosk-message-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, box);
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, title);
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, advice);
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, details);
  gtk_widget_class_bind_template_child (widget_class, KioskMessagePage, button);
  gtk_widget_class_bind_template_callback (widget_class, on_button_clicked);
}

static void
kiosk_message_page_init (KioskMessagePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
