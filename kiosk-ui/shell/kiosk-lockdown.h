/* kiosk-lockdown.h - no way out for a resident.
 *
 * kiosk_lockdown_init (before the first window): turns off GTK's Inspector
 * keybinding (the org.gtk.gtk4.Settings.Debug key when the schema is
 * installed; GTK_DEBUG and GTK_INSPECTOR variables removed from the
 * environment). kiosk_lockdown_window: a capture-phase key controller that
 * swallows Ctrl+Shift+I / D, Ctrl+Q / W, Alt+F4, F1-F12, Super and the
 * window-manager shortcuts GTK would pass on, before any widget sees
 * them; no context menus that lead out. Returns the number of key presses
 * swallowed so far through kiosk_lockdown_swallowed (for tests and the
 * staff view).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void kiosk_lockdown_init (void);
void kiosk_lockdown_window (GtkWindow *window);
guint kiosk_lockdown_swallowed (GtkWindow *window);

G_END_DECLS
