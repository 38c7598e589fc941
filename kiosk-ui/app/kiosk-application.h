/* kiosk-application.h - the kiosk program: settings, card, portal, windows.
 *
 * Owns what outlives a resident: the settings, the card monitor, the
 * session object (portal client), the outbox, the watchdog. Makes a fresh
 * KioskWindow for every resident (and for a change of language) and sends
 * what waits in the outbox while nobody is at the counter.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_APPLICATION (kiosk_application_get_type ())
G_DECLARE_FINAL_TYPE (KioskApplication, kiosk_application, KIOSK, APPLICATION, GtkApplication)

KioskApplication *kiosk_application_new (void);

G_END_DECLS
