/* kiosk-window.h - the kiosk's one window: the screens and what leads between them.
 *
 * The window is the controller of the flow (kiosk-flow.h): it turns card
 * events, button presses and finished operations into flow events and shows
 * the screen of each state. It lives for one resident at most: when a
 * session ends (card removed, 終了, idle time-out) or the language changes,
 * it asks the application for a fresh window and is destroyed, so nothing
 * the resident saw survives in a widget.
 *
 * Signals:
 *   "replace-requested" (const char *language, const char *notice)
 *                       make a new window in this language (NULL: the
 *                       default), showing notice (untranslated) on its
 *                       attract screen, and destroy this one
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-card-monitor.h"
#include "kiosk-config.h"
#include "kiosk-session.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_WINDOW (kiosk_window_get_type ())
G_DECLARE_FINAL_TYPE (KioskWindow, kiosk_window, KIOSK, WINDOW, GtkApplicationWindow)

typedef struct {
  const KioskConfig *config;     /* borrowed: outlive the window */
  KioskSession *session;
  KioskCardMonitor *monitor;
  gboolean demo;                 /* show the demo bar with the card toggle */
  const char *screenshot_dir;    /* write a PNG of each screen there; NULL: no */
  gboolean high_contrast;        /* carried over from the previous window */
  gboolean large_text;
  const char *notice;            /* untranslated (N_) message for the attract screen,
                                    e.g. "the session ended"; translated here */
} KioskWindowSetup;

KioskWindow *kiosk_window_new (GtkApplication *app, const KioskWindowSetup *setup);

/* The flow state shown now (tests, the staff view). */
const char *kiosk_window_get_state_name (KioskWindow *self);
gboolean kiosk_window_get_high_contrast (KioskWindow *self);
gboolean kiosk_window_get_large_text (KioskWindow *self);

G_END_DECLS
