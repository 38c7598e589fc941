/* kiosk-applications-page.h - 申請状況: the resident's applications with
 * their status, then one with its history (a page of the home page).
 *
 * Newest first, a page at a time ("More applications"). Status values
 * (到達, 審査中, 補正待ち, 手続終了, 取下げ; the portal's 処理中, 要訂正, …)
 * are said in words of the resident's language; an application waiting
 * for the resident's correction stands out with .kiosk-highlight.
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_APPLICATIONS_PAGE (kiosk_applications_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskApplicationsPage, kiosk_applications_page, KIOSK, APPLICATIONS_PAGE, GtkWidget)

GtkWidget *kiosk_applications_page_new (void);
/* client is borrowed: it outlives the page. */
void kiosk_applications_page_set_client (KioskApplicationsPage *self, mp_client *client);
/* Load the list from its first page (the resident is logged in). */
void kiosk_applications_page_load (KioskApplicationsPage *self);
/* From an application back to the list: TRUE; already at the list: FALSE. */
gboolean kiosk_applications_page_go_back (KioskApplicationsPage *self);
/* Forget every application shown, cancel what runs. */
void kiosk_applications_page_clear (KioskApplicationsPage *self);

G_END_DECLS
