/* kiosk-records-page.h - やりとり履歴: which office asked which other office
 * for which information about the resident, when, for what procedure and
 * on what legal basis; newest first, a page at a time ("More records")
 * (a page of the home page).
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_RECORDS_PAGE (kiosk_records_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskRecordsPage, kiosk_records_page, KIOSK, RECORDS_PAGE, GtkWidget)

GtkWidget *kiosk_records_page_new (void);
/* client is borrowed: it outlives the page. */
void kiosk_records_page_set_client (KioskRecordsPage *self, mp_client *client);
/* Load the first page of records (the resident is logged in). */
void kiosk_records_page_load (KioskRecordsPage *self);
/* Forget every record shown, cancel what runs. */
void kiosk_records_page_clear (KioskRecordsPage *self);

G_END_DECLS
