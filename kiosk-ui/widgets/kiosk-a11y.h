/* kiosk-a11y.h - what assistive technologies see of the kiosk's screens.
 *
 * GTK 4.8 presents every child of a GtkStack to AT-SPI, the pages not
 * shown included, so a screen reader (or an end-to-end test) would find the
 * "Loading…" and "Try again" of a page long finished. kiosk_a11y_track_stack
 * marks the stack's children other than the visible one as hidden
 * (GTK_ACCESSIBLE_STATE_HIDDEN), now and whenever the visible child changes.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void kiosk_a11y_track_stack (GtkStack *stack);

G_END_DECLS
