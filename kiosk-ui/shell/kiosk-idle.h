/* kiosk-idle.h - end the session when nobody touches the screen.
 *
 * Watches every pointer, touch and key event of a window (capture-phase
 * controllers, so no widget can hide them). After timeout - warning seconds
 * without one it emits "warning" once per second with the seconds left
 * (the window shows a countdown with a "continue" button); any event
 * resets it and emits "resumed"; at zero it emits "timeout" once and
 * stops until kiosk_idle_reset. Inactive while disabled (the attract
 * screen has nothing to end).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_IDLE (kiosk_idle_get_type ())
G_DECLARE_FINAL_TYPE (KioskIdle, kiosk_idle, KIOSK, IDLE, GObject)

/* Signals: "warning" (guint seconds_left), "resumed" (), "timeout" (). */
KioskIdle *kiosk_idle_new (GtkWindow *window, guint timeout_s, guint warning_s);
void kiosk_idle_set_enabled (KioskIdle *self, gboolean enabled);
/* Count from now again (also after "timeout"). */
void kiosk_idle_reset (KioskIdle *self);
gboolean kiosk_idle_in_warning (KioskIdle *self);

G_END_DECLS
