/* kiosk-message-page.h - something to read before going on, mostly an error.
 *
 * A title, what to do next, optionally a list of details (the portal's
 * findings, in Japanese), and one button. A spinner variant ("busy") is the
 * same page without the button: reading the card, logging in, signing.
 *
 * Signals:
 *   "dismissed" ()
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_MESSAGE_PAGE (kiosk_message_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskMessagePage, kiosk_message_page, KIOSK, MESSAGE_PAGE, GtkWidget)

GtkWidget *kiosk_message_page_new (void);
/* details: NULL-terminated, may be NULL; button: its label (translated). */
void kiosk_message_page_show (KioskMessagePage *self, const char *title, const char *advice,
                              const char * const *details, const char *button);
/* The busy variant: a spinner and title; no button. */
void kiosk_message_page_show_busy (KioskMessagePage *self, const char *title);
void kiosk_message_page_clear (KioskMessagePage *self);

G_END_DECLS
