/* kiosk-selfinfo-page.h - あなたの情報: the kinds of self-information the
 * public offices hold about the resident, then one kind in full (a page of
 * the home page).
 *
 * The content is shown generically: each entry as label/value rows, the
 * portal's data keys put into words where they are known (kiosk-browse-util)
 * and shown as they are otherwise, so a category the kiosk has never seen
 * still reads.
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_SELFINFO_PAGE (kiosk_selfinfo_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskSelfinfoPage, kiosk_selfinfo_page, KIOSK, SELFINFO_PAGE, GtkWidget)

GtkWidget *kiosk_selfinfo_page_new (void);
/* client is borrowed: it outlives the page. */
void kiosk_selfinfo_page_set_client (KioskSelfinfoPage *self, mp_client *client);
/* Load the categories (the resident is logged in). */
void kiosk_selfinfo_page_load (KioskSelfinfoPage *self);
/* From a category back to the categories: TRUE; already there: FALSE. */
gboolean kiosk_selfinfo_page_go_back (KioskSelfinfoPage *self);
/* Forget everything shown, cancel what runs. */
void kiosk_selfinfo_page_clear (KioskSelfinfoPage *self);

G_END_DECLS
