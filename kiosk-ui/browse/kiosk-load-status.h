/* kiosk-load-status.h - what a page shows while its data is not there.
 *
 * One place of a browsing page that says "loading" (a spinner), "this
 * failed" (the words of kiosk_error_describe and a "Try again" button) or
 * "there is nothing" (a sentence the page gives). The technical line of a
 * failure goes to the log (kiosk_error_log_line), never to the screen.
 *
 * Signals:
 *   "retry" ()   the "Try again" button was pressed
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_LOAD_STATUS (kiosk_load_status_get_type ())
G_DECLARE_FINAL_TYPE (KioskLoadStatus, kiosk_load_status, KIOSK, LOAD_STATUS, GtkWidget)

typedef enum {
  KIOSK_LOAD_STATUS_NONE,       /* nothing shown */
  KIOSK_LOAD_STATUS_LOADING,
  KIOSK_LOAD_STATUS_ERROR,
  KIOSK_LOAD_STATUS_EMPTY
} KioskLoadStatusKind;

GtkWidget *kiosk_load_status_new (void);
void kiosk_load_status_show_loading (KioskLoadStatus *self);
/* Show the words for error. Returns FALSE, showing nothing, when the error
 * is one the resident is not told about (a cancellation). */
gboolean kiosk_load_status_show_error (KioskLoadStatus *self, const GError *error);
void kiosk_load_status_show_empty (KioskLoadStatus *self, const char *message);
/* Nothing shown, the spinner stopped, the texts forgotten. */
void kiosk_load_status_reset (KioskLoadStatus *self);
KioskLoadStatusKind kiosk_load_status_get_kind (KioskLoadStatus *self);

G_END_DECLS
