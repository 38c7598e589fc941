/* kiosk-notices-page.h - お知らせ: the resident's notices, then one in full
 * (a page of the home page).
 *
 * The list comes newest first, a page at a time ("More notices"). A
 * correction request (補正依頼: the notice kind portal-sim's municipality
 * side gives it) stands out with .kiosk-highlight, a "Correction request"
 * label and an accessible description. Activating a notice loads it with
 * its body.
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_NOTICES_PAGE (kiosk_notices_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskNoticesPage, kiosk_notices_page, KIOSK, NOTICES_PAGE, GtkWidget)

GtkWidget *kiosk_notices_page_new (void);
/* client is borrowed: it outlives the page. */
void kiosk_notices_page_set_client (KioskNoticesPage *self, mp_client *client);
/* Load the list from its first page (the resident is logged in). */
void kiosk_notices_page_load (KioskNoticesPage *self);
/* From a notice back to the list: TRUE; already at the list: FALSE. */
gboolean kiosk_notices_page_go_back (KioskNoticesPage *self);
/* Forget every notice shown, cancel what runs. */
void kiosk_notices_page_clear (KioskNoticesPage *self);

G_END_DECLS
