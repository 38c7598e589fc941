/* kiosk-attract-page.h - the screen that waits for the next resident.
 *
 * The language buttons (日本語 first; each in its own language), what this
 * terminal offers, the card guide for the attached reader, and "search
 * without a card". A small 職員 (staff) button opens the staff PIN.
 *
 * Signals:
 *   "language-chosen" (const char *code)
 *   "search-requested" ()
 *   "staff-requested" ()
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-card-guide.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_ATTRACT_PAGE (kiosk_attract_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskAttractPage, kiosk_attract_page, KIOSK, ATTRACT_PAGE, GtkWidget)

GtkWidget *kiosk_attract_page_new (void);
KioskCardGuide *kiosk_attract_page_get_guide (KioskAttractPage *self);
/* Mark the language in use. */
void kiosk_attract_page_set_language (KioskAttractPage *self, const char *code);
/* A short note at the top (e.g. "The session has ended"); NULL hides it. */
void kiosk_attract_page_set_notice (KioskAttractPage *self, const char *notice);

G_END_DECLS
