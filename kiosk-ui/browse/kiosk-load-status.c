/* kiosk-load-status.c - "loading", "this failed" and "nothing here" of a page. */

#include "kiosk-load-status.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>

#include "kiosk-browse-util.h"

#include "kiosk-errors.h"

struct _KioskLoadStatus
{
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkSpinner *spinner;
  GtkLabel *error_title;
  GtkLabel *error_advice;
  GtkButton *retry_button;
  GtkLabel *empty_label;

  KioskLoadStatusKind kind;
};

G_DEFINE_FINAL_TYPE (KioskLoadStatus, kiosk_load_status, GTK_TYPE_WIDGET)

enum {
  SIGNAL_RETRY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
retry_clicked (KioskLoadStatus *self)
{
  g_signal_emit (self, signals[SIGNAL_RETRY], 0);
}

static void
show (KioskLoadStatus *self, KioskLoadStatusKind kind)
{
  static const char *const names[] = { "none", "loading", "error", "empty" };

  self->kind = kind;
  gtk_stack_set_visible_child_name (self->stack, names[kind]);
  if (kind == KIOSK_LOAD_STATUS_LOADING)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  if (kind != KIOSK_LOAD_STATUS_ERROR)
    {
      gtk_label_set_label (self->error_title, "");
      gtk_label_set_label (self->error_advice, "");
    }
  if (kind != KIOSK_LOAD_STATUS_EMPTY)
    gtk_label_set_label (self->empty_label, "");
}

static void
kiosk_load_status_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_LOAD_STATUS);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_load_status_parent_class)->dispose (object);
}

static void
kiosk_load_status_class_init (KioskLoadStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_load_status_dispose;

  signals[SIGNAL_RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-load-status.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, spinner);
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, error_title);
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, error_advice);
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, retry_button);
  gtk_widget_class_bind_template_child (widget_class, KioskLoadStatus, empty_label);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked);
}

static void
kiosk_load_status_init (KioskLoadStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
  self->kind = KIOSK_LOAD_STATUS_NONE;
}

GtkWidget *
kiosk_load_status_new (void)
{
  return g_object_new (KIOSK_TYPE_LOAD_STATUS, NULL);
}

void
kiosk_load_status_show_loading (KioskLoadStatus *self)
{
  g_return_if_fail (KIOSK_IS_LOAD_STATUS (self));
  show (self, KIOSK_LOAD_STATUS_LOADING);
}

gboolean
kiosk_load_status_show_error (KioskLoadStatus *self, const GError *error)
{
  g_return_val_if_fail (KIOSK_IS_LOAD_STATUS (self), FALSE);
  g_return_val_if_fail (error != NULL, FALSE);

  KioskErrorText text = kiosk_error_describe (error);
  if (text.action == KIOSK_ERROR_SILENT)
    return FALSE;

  /* The detail is for the journal and the staff view only. */
  g_autofree char *line = kiosk_error_log_line (error);
  g_message ("loading failed: %s", line);

  show (self, KIOSK_LOAD_STATUS_ERROR);
  gtk_label_set_label (self->error_title, text.title);
  gtk_label_set_label (self->error_advice, text.advice);
  return TRUE;
}

void
kiosk_load_status_show_empty (KioskLoadStatus *self, const char *message)
{
  g_return_if_fail (KIOSK_IS_LOAD_STATUS (self));
  show (self, KIOSK_LOAD_STATUS_EMPTY);
  gtk_label_set_label (self->empty_label, message);
}

void
kiosk_load_status_reset (KioskLoadStatus *self)
{
  g_return_if_fail (KIOSK_IS_LOAD_STATUS (self));
  show (self, KIOSK_LOAD_STATUS_NONE);
}

KioskLoadStatusKind
kiosk_load_status_get_kind (KioskLoadStatus *self)
{
  g_return_val_if_fail (KIOSK_IS_LOAD_STATUS (self), KIOSK_LOAD_STATUS_NONE);
  return self->kind;
}
