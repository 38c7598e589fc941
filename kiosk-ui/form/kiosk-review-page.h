/* kiosk-review-page.h - "please check before you sign": the answers as they will be sent.
 *
 * Shows every section and answer of the form (labels from the schema,
 * choices by their label, the My Number as ●●●● ●●●● 1234, only its last
 * four digits shown), each attachment with its file name or "情報連携で
 * 省略" (consented), the procedure's title, 提出先 and whether a signature
 * with the 署名用電子証明書 is needed.
 *
 * Signals:
 *   "edit-requested" ()   back to the form
 *   "confirmed"      ()   "Sign and send"
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-form-page.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_REVIEW_PAGE (kiosk_review_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskReviewPage, kiosk_review_page, KIOSK, REVIEW_PAGE, GtkWidget)

GtkWidget *kiosk_review_page_new (void);
/* Show the answers of form (read now; nothing is kept that the form does
 * not also hold). */
void kiosk_review_page_show (KioskReviewPage *self, KioskFormPage *form);
void kiosk_review_page_clear (KioskReviewPage *self);

G_END_DECLS
