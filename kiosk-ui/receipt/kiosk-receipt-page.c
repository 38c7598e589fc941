/* kiosk-receipt-page.c - the receipt after submitting.
 *
 * The page looks for a printer in the background each time a receipt is
 * shown (gtk_enumerate_printers without waiting: the CUPS back end answers
 * on the main loop), so a printer switched on later appears with the next
 * receipt. Only real printers count: GTK's "Print to File" is virtual and
 * would lead a resident into a file chooser. Printing goes straight to the
 * printer found, without GTK's print dialog: its settings, its "Print to
 * File" choice and its small controls are not for a touch screen with no
 * keyboard. */

#include "kiosk-receipt-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtkunixprint.h>

#include "kiosk-errors.h"
#include "kiosk-qr.h"
#include "kiosk-receipt.h"

/* One printer search; outlives the page when the page goes first. */
typedef struct {
  KioskReceiptPage *page;   /* NULL once the page is gone or searches again */
  gboolean found;
} PrinterSearch;

struct _KioskReceiptPage
{
  GtkWidget parent_instance;

  GtkWidget *content;
  GtkLabel *heading_label;
  GtkLabel *title_label;
  GtkStack *state_stack;
  GtkLabel *arrive_id_label;
  GtkLabel *arrive_date_label;
  GtkWidget *inquiry_caption;
  GtkLabel *inquiry_label;
  GtkPicture *qr_picture;
  GtkLabel *entry_label;
  GtkLabel *stored_label;
  GtkLabel *rejected_entry_label;
  GtkLabel *print_status_label;
  GtkWidget *print_button;

  KioskReceipt *receipt;
  char *printer_name;          /* a real printer GTK found, or NULL */
  PrinterSearch *search;       /* the search running, or NULL */
  GtkPrintOperation *print_op; /* the print running, or NULL */
};

G_DEFINE_FINAL_TYPE (KioskReceiptPage, kiosk_receipt_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_DONE,
  SIGNAL_HOME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_print_button (KioskReceiptPage *self)
{
  gtk_widget_set_visible (self->print_button,
                          self->printer_name != NULL && self->receipt != NULL);
  gtk_widget_set_sensitive (self->print_button, self->print_op == NULL);
}

/* ---- finding a printer ---- */

static gboolean
on_printer_found (GtkPrinter *printer, gpointer data)
{
  PrinterSearch *search = data;

  if (search->page == NULL)
    return TRUE;
  if (gtk_printer_is_virtual (printer) || !gtk_printer_is_accepting_jobs (printer))
    return FALSE;

  search->found = TRUE;
  g_free (search->page->printer_name);
  search->page->printer_name = g_strdup (gtk_printer_get_name (printer));
  g_debug ("receipt printer: %s", search->page->printer_name);
  update_print_button (search->page);
  return TRUE;
}

static void
printer_search_done (gpointer data)
{
  PrinterSearch *search = data;
  KioskReceiptPage *self = search->page;

  if (self != NULL)
    {
      if (!search->found)
        g_clear_pointer (&self->printer_name, g_free);
      self->search = NULL;
      update_print_button (self);
    }
  g_free (search);
}

static void
start_printer_search (KioskReceiptPage *self)
{
  if (self->search != NULL)
    return;
  self->search = g_new0 (PrinterSearch, 1);
  self->search->page = self;
  gtk_enumerate_printers (on_printer_found, self->search, printer_search_done, FALSE);
}

/* ---- printing ---- */

static void
finish_print (KioskReceiptPage *self, GtkPrintOperationResult result)
{
  g_autoptr(GError) error = NULL;

  if (self->print_op == NULL)
    return;
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    gtk_print_operation_get_error (self->print_op, &error);
  g_signal_handlers_disconnect_by_data (self->print_op, self);
  g_clear_object (&self->print_op);

  switch (result)
    {
    case GTK_PRINT_OPERATION_RESULT_APPLY:
      gtk_label_set_text (self->print_status_label,
                          _("The receipt has been sent to the printer."));
      gtk_widget_remove_css_class (GTK_WIDGET (self->print_status_label), "kiosk-error");
      break;
    case GTK_PRINT_OPERATION_RESULT_ERROR:
      {
        g_autofree char *line = error ? kiosk_error_log_line (error) : NULL;
        g_warning ("receipt not printed: %s", line ? line : "no error given");
        gtk_label_set_text (self->print_status_label,
                            _("The receipt could not be printed. Please ask a member of staff; the numbers on the screen are enough to follow your application."));
        gtk_widget_add_css_class (GTK_WIDGET (self->print_status_label), "kiosk-error");
      }
      break;
    case GTK_PRINT_OPERATION_RESULT_CANCEL:
    case GTK_PRINT_OPERATION_RESULT_IN_PROGRESS:
    default:
      gtk_widget_set_visible (GTK_WIDGET (self->print_status_label), FALSE);
      update_print_button (self);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->print_status_label), TRUE);
  update_print_button (self);
}

static void
on_print_done (GtkPrintOperation       *op,
               GtkPrintOperationResult  result,
               KioskReceiptPage        *self)
{
  if (op == self->print_op)
    finish_print (self, result);
}

static void
on_print_clicked (KioskReceiptPage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->receipt == NULL || self->printer_name == NULL || self->print_op != NULL)
    return;

  g_autoptr(GtkPrintSettings) settings = gtk_print_settings_new ();
  gtk_print_settings_set_printer (settings, self->printer_name);
  gtk_print_settings_set_n_copies (settings, 1);

  self->print_op = kiosk_receipt_print_operation_new (self->receipt);
  gtk_print_operation_set_print_settings (self->print_op, settings);
  gtk_print_operation_set_allow_async (self->print_op, TRUE);
  g_signal_connect (self->print_op, "done", G_CALLBACK (on_print_done), self);

  gtk_label_set_text (self->print_status_label, _("Printing the receipt…"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->print_status_label), "kiosk-error");
  gtk_widget_set_visible (GTK_WIDGET (self->print_status_label), TRUE);
  update_print_button (self);

  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkPrintOperationResult result =
    gtk_print_operation_run (self->print_op, GTK_PRINT_OPERATION_ACTION_PRINT,
                             GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error);
  /* "done" may already have come; otherwise it comes from the main loop. */
  if (self->print_op != NULL && result != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS)
    finish_print (self, result);
}

static void
cancel_print (KioskReceiptPage *self)
{
  if (self->print_op == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->print_op, self);
  gtk_print_operation_cancel (self->print_op);
  g_clear_object (&self->print_op);
}

/* ---- the buttons ---- */

static void
on_home_clicked (KioskReceiptPage *self)
{
  g_signal_emit (self, signals[SIGNAL_HOME], 0);
}

static void
on_done_clicked (KioskReceiptPage *self)
{
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

/* ---- public ---- */

void
kiosk_receipt_page_clear (KioskReceiptPage *self)
{
  g_return_if_fail (KIOSK_IS_RECEIPT_PAGE (self));

  cancel_print (self);
  g_clear_pointer (&self->receipt, kiosk_receipt_free);
  gtk_label_set_text (self->heading_label, "");
  gtk_label_set_text (self->title_label, "");
  gtk_label_set_text (self->arrive_id_label, "");
  gtk_label_set_text (self->arrive_date_label, "");
  gtk_label_set_text (self->inquiry_label, "");
  gtk_label_set_text (self->entry_label, "");
  gtk_label_set_text (self->stored_label, "");
  gtk_label_set_text (self->rejected_entry_label, "");
  gtk_label_set_text (self->print_status_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->print_status_label), FALSE);
  gtk_picture_set_paintable (self->qr_picture, NULL);
  update_print_button (self);
}

void
kiosk_receipt_page_show (KioskReceiptPage      *self,
                         const mp_outbox_entry *entry,
                         const char            *title)
{
  g_return_if_fail (KIOSK_IS_RECEIPT_PAGE (self));
  g_return_if_fail (entry != NULL);

  kiosk_receipt_page_clear (self);
  self->receipt = kiosk_receipt_new (entry, title);
  KioskReceipt *r = self->receipt;

  gtk_label_set_text (self->heading_label, kiosk_receipt_heading (r));
  gtk_label_set_text (self->title_label, r->title);
  gtk_widget_set_visible (GTK_WIDGET (self->title_label), r->title[0] != '\0');

  switch (r->kind)
    {
    case KIOSK_RECEIPT_DELIVERED:
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GdkPaintable) qr = kiosk_qr_paintable_new (r->arrive_id, &error);
        if (qr == NULL)
          g_warning ("no QR code for the receipt: %s", error->message);
        gtk_picture_set_paintable (self->qr_picture, qr);
        gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr != NULL);
        gtk_label_set_text (self->arrive_id_label, r->arrive_id);
        gtk_label_set_text (self->arrive_date_label, r->arrive_date ? r->arrive_date : "");
        gtk_widget_set_visible (self->inquiry_caption, r->inquiry_no != NULL);
        gtk_widget_set_visible (GTK_WIDGET (self->inquiry_label), r->inquiry_no != NULL);
        gtk_label_set_text (self->inquiry_label, r->inquiry_no ? r->inquiry_no : "");
        gtk_stack_set_visible_child_name (self->state_stack, "delivered");
      }
      break;
    case KIOSK_RECEIPT_PENDING:
      {
        g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, r->entry_id);
        g_autofree char *created = kiosk_receipt_format_created (r);
        gtk_label_set_text (self->entry_label, number);
        gtk_label_set_text (self->stored_label, created);
        gtk_stack_set_visible_child_name (self->state_stack, "pending");
      }
      break;
    case KIOSK_RECEIPT_REJECTED:
    default:
      {
        g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, r->entry_id);
        g_autofree char *text = g_strdup_printf (_("Entry number on this terminal: %s"), number);
        gtk_label_set_text (self->rejected_entry_label, text);
        gtk_stack_set_visible_child_name (self->state_stack, "rejected");
      }
      break;
    }

  start_printer_search (self);
  update_print_button (self);
}

GtkWidget *
kiosk_receipt_page_new (void)
{
  return g_object_new (KIOSK_TYPE_RECEIPT_PAGE, NULL);
}

/* ---- GObject ---- */

static void
kiosk_receipt_page_dispose (GObject *object)
{
  KioskReceiptPage *self = KIOSK_RECEIPT_PAGE (object);

  cancel_print (self);
  if (self->search != NULL)
    {
      /* GTK frees it when the search ends; it must not reach us then. */
      self->search->page = NULL;
      self->search = NULL;
    }
  g_clear_pointer (&self->receipt, kiosk_receipt_free);
  g_clear_pointer (&self->printer_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_RECEIPT_PAGE);

  G_OBJECT_CLASS (kiosk_receipt_page_parent_class)->dispose (object);
}

static void
kiosk_receipt_page_class_init (KioskReceiptPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_receipt_page_dispose;

  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_HOME] = g_signal_new ("home", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/receipt/kiosk-receipt-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, content);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, heading_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, state_stack);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, arrive_id_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, arrive_date_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, inquiry_caption);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, inquiry_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, entry_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, stored_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, rejected_entry_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, print_status_label);
  gtk_widget_class_bind_template_child (widget_class, KioskReceiptPage, print_button);
  gtk_widget_class_bind_template_callback (widget_class, on_print_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_home_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kiosk_receipt_page_init (KioskReceiptPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->state_stack);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Receipt"), -1);
}
