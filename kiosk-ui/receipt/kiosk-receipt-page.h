/* kiosk-receipt-page.h - the receipt after submitting.
 *
 * Delivered: "申請を受け付けました", the procedure's title, the 到達番号
 * (arrive_id) in large type, the arrival date, the 問い合わせ番号 when
 * the portal gave one, and a QR code of the arrive_id (libqrencode) that the
 * resident can photograph. Pending: "申請は署名済みで、この端末に保管しま
 * した" - it will be sent when the portal can be reached; no arrive_id yet,
 * the outbox entry number instead. A "Print" button, shown only when GTK
 * finds a real printer (CUPS; GTK's virtual "Print to File" does not
 * count), prints the same receipt through GtkPrintOperation straight to
 * that printer, without GTK's print dialog (whose "Print to File" and
 * settings are not for a resident).
 *
 * Signals:
 *   "done" ()   "Finish" (end the session) was pressed
 *   "home" ()   "Back to the menu"
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/outbox.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_RECEIPT_PAGE (kiosk_receipt_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskReceiptPage, kiosk_receipt_page, KIOSK, RECEIPT_PAGE, GtkWidget)

GtkWidget *kiosk_receipt_page_new (void);
/* Show entry (copied) for the procedure titled title. */
void kiosk_receipt_page_show (KioskReceiptPage *self, const mp_outbox_entry *entry,
                              const char *title);
void kiosk_receipt_page_clear (KioskReceiptPage *self);

G_END_DECLS
