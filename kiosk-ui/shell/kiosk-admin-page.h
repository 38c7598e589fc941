/* kiosk-admin-page.h - the staff view, after the staff PIN.
 *
 * Reader diagnostics (the card source, every reader with card presence,
 * ATR and contact/contactless; pcscd reachable or not), the outbox (entries
 * pending, rejected, delivered today; a "send now" button; never the
 * content of an application), a summary of the configuration (portal URL,
 * terminal id, CA file, card source, idle time-out, languages - no secrets)
 * and the version. Refreshes while shown.
 *
 * Signals:
 *   "close" ()
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-config.h"
#include "kiosk-session.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_ADMIN_PAGE (kiosk_admin_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskAdminPage, kiosk_admin_page, KIOSK, ADMIN_PAGE, GtkWidget)

GtkWidget *kiosk_admin_page_new (void);
/* Everything borrowed: they outlive the page. */
void kiosk_admin_page_set_context (KioskAdminPage *self, const KioskConfig *cfg,
                                   KioskSession *session, KioskCardMonitor *monitor);
/* Read everything again (when the page is shown). */
void kiosk_admin_page_refresh (KioskAdminPage *self);

G_END_DECLS
