/* kiosk-pin-page.h - asking for a PIN or the signature password.
 *
 * Three kinds, one page:
 *   AUTH_PIN        the 4-digit PIN of the user certificate (login), on the
 *                   numeric keypad;
 *   SIGN_PASSWORD   the 6-16 character password of the signature
 *                   certificate, on the A-Z 0-9 keyboard (letters come out
 *                   in capitals, as the card expects);
 *   STAFF_PIN       the staff PIN (4-12 digits) for the staff view.
 * The tries left are shown before anything is typed (read without spending
 * one); before the last try a warning says what happens if it is wrong.
 * What is typed goes only into a KioskSecretField (a myna_secret).
 *
 * Signals:
 *   "entered"   (gpointer myna_secret*)  the secret, handed over: the handler
 *                                        takes it and must myna_secret_free it
 *   "cancelled" ()
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  KIOSK_PIN_AUTH,
  KIOSK_PIN_SIGN,
  KIOSK_PIN_STAFF
} KioskPinKind;

#define KIOSK_TYPE_PIN_PAGE (kiosk_pin_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskPinPage, kiosk_pin_page, KIOSK, PIN_PAGE, GtkWidget)

GtkWidget *kiosk_pin_page_new (KioskPinKind kind);
/* Start again, empty: tries_left < 0 when unknown (staff). */
void kiosk_pin_page_reset (KioskPinPage *self, int tries_left);
/* Show why the last entry failed (translated text), or NULL. */
void kiosk_pin_page_set_error (KioskPinPage *self, const char *error);
/* Wipe what was typed. */
void kiosk_pin_page_clear (KioskPinPage *self);

G_END_DECLS
