/* kiosk-keypad.h - the on-screen numeric keypad (PIN, staff PIN, numbers).
 *
 * Twelve large keys: 1-9, 0, 削除 (backspace) and a confirm key. The keys
 * never move (no scrambling: residents learn where the digits are, as on
 * a bank terminal). It holds no text itself: it emits "digit" and
 * "backspace", and a KioskSecretField or a GtkEditable attached to it acts
 * on them. Every key has an accessible name (the digit, "Delete",
 * "Confirm") and the button role.
 *
 * Signals:
 *   "digit"     (int digit)   a digit key was pressed (0-9)
 *   "backspace" ()
 *   "submit"    ()            the confirm key (only when sensitive)
 * Properties:
 *   "submit-sensitive"  gboolean   whether the confirm key can be pressed
 *   "submit-label"      string     the confirm key's text (default: "OK")
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_KEYPAD (kiosk_keypad_get_type ())
G_DECLARE_FINAL_TYPE (KioskKeypad, kiosk_keypad, KIOSK, KEYPAD, GtkWidget)

GtkWidget *kiosk_keypad_new (void);
void kiosk_keypad_set_submit_sensitive (KioskKeypad *self, gboolean sensitive);
void kiosk_keypad_set_submit_label (KioskKeypad *self, const char *label);

G_END_DECLS
