/* kiosk-home-page.h - the resident's home after login.
 *
 * Four large tiles - お知らせ (with the number of unread notices and of
 * correction requests, highlighted), 申請状況 (application history and
 * status), あなたの情報 (self-information), やりとり履歴 (exchange records) -
 * and ぴったりサービス (search and apply). Each tile opens its page inside
 * the home page's own stack with a back button; the pages load from the
 * portal when opened:
 *   - notices: list; a correction request (補正依頼) stands out; a notice
 *     opens in full;
 *   - applications: list with status; one opens its status in full;
 *   - self-information: categories, then the chosen category's content;
 *   - records: the exchange records, newest first, paged.
 *
 * Signals:
 *   "search-requested" ()
 */
#pragma once

#include <gtk/gtk.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_HOME_PAGE (kiosk_home_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskHomePage, kiosk_home_page, KIOSK, HOME_PAGE, GtkWidget)

GtkWidget *kiosk_home_page_new (void);
void kiosk_home_page_set_client (KioskHomePage *self, mp_client *client);
/* Show the tiles and load the notice counts (the resident is logged in). */
void kiosk_home_page_load (KioskHomePage *self);
/* Forget every notice, record and answer shown; cancel what runs. */
void kiosk_home_page_clear (KioskHomePage *self);

G_END_DECLS
