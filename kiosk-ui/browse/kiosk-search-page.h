/* kiosk-search-page.h - ぴったりサービス: find a procedure (no card needed).
 *
 * Municipality (default from [kiosk] city-code; a list of the municipalities
 * the portal offers, or the 6-digit code typed on the number keyboard),
 * category (子育て, 介護, 被災者支援 as large toggle buttons, or all) and a
 * keyword (kana keyboard). Results as large rows: title, municipality,
 * category, whether a signature is needed; paged. Searching runs as you
 * change the criteria (debounced), with GCancellable for the one in flight.
 *
 * Signals:
 *   "procedure-activated" (const char *proc_id)
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_SEARCH_PAGE (kiosk_search_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskSearchPage, kiosk_search_page, KIOSK, SEARCH_PAGE, GtkWidget)

GtkWidget *kiosk_search_page_new (void);
/* client is borrowed: it outlives the page. */
void kiosk_search_page_set_client (KioskSearchPage *self, mp_client *client);
/* Back to the start: default city, no category, no keyword; runs the search. */
void kiosk_search_page_reset (KioskSearchPage *self, const char *default_city_code);
/* Forget results and criteria, cancel what runs. */
void kiosk_search_page_clear (KioskSearchPage *self);

G_END_DECLS
