/* kiosk-receipt.h - what a receipt says, on the screen and on paper.
 *
 * Internal to the receipt part: KioskReceiptPage shows a KioskReceipt and
 * prints it with kiosk_receipt_print_operation_new; the tests print it to a
 * PDF file (GTK_PRINT_OPERATION_ACTION_EXPORT).
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/outbox.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_RECEIPT_DELIVERED,   /* the portal gave an arrival number */
  KIOSK_RECEIPT_PENDING,     /* signed, kept in the outbox, sent later */
  KIOSK_RECEIPT_REJECTED     /* the portal refused it; staff must look */
} KioskReceiptKind;

typedef struct {
  KioskReceiptKind kind;
  gint64 entry_id;           /* the outbox entry */
  gint64 created_at;         /* when it entered the outbox (unix seconds) */
  char *title;               /* the procedure's title, as the portal gives it */
  char *arrive_id;           /* 到達番号 (delivered only) */
  char *arrive_date;         /* as the portal gives it (delivered only) */
  char *inquiry_no;          /* 問い合わせ番号; NULL when the portal gave none */
} KioskReceipt;

/* The parts of entry a receipt shows (nothing of the application itself). */
KioskReceipt *kiosk_receipt_new (const mp_outbox_entry *entry, const char *title);
void kiosk_receipt_free (KioskReceipt *receipt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KioskReceipt, kiosk_receipt_free)

/* The translated heading: "Your application has been received", ... */
const char *kiosk_receipt_heading (const KioskReceipt *receipt);
/* The outbox time in local time, "YYYY-MM-DD HH:MM". */
char *kiosk_receipt_format_created (const KioskReceipt *receipt);

/* A one-page print operation drawing receipt (copied) with cairo and
 * Pango: heading, procedure title, the arrival number, date, inquiry
 * number and the QR code of the arrival number (or the entry number of a
 * pending receipt). Units are points; the caller sets the printer or the
 * export file and runs it. */
GtkPrintOperation *kiosk_receipt_print_operation_new (const KioskReceipt *receipt);

G_END_DECLS
