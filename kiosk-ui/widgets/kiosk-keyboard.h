/* kiosk-keyboard.h - on-screen keyboards for a touch screen without keys.
 *
 * Layouts, each suited to a kind of field:
 *   KANA      五十音 grid (あ-ん, rows read right to left as on paper forms),
 *             with a かな/カナ switch, ゛ ゜ and small-kana keys, ー, space.
 *   KATAKANA  the same grid starting in カナ (フリガナ fields).
 *   LATIN     A-Z with a shift key, 0-9, and - . @ / _ ' space (romaji,
 *             e-mail, bank and building names).
 *   NUMBER    0-9 and - (phone numbers, postal codes, amounts).
 *   PASSWORD  A-Z and 0-9 only, upper case (the signature password).
 * Every key has an accessible name (its character, or "Space", "Delete",
 * "Shift", "Done", ...).
 *
 * A keyboard types into a target: a GtkEditable (insert at the cursor,
 * backspace deletes before it or the selection) or a KioskSecretField
 * (through kiosk_secret_field_attach). Form fields say which layout suits
 * them with kiosk_keyboard_tag; the window shows the keyboard with that
 * layout when such a field gets the focus.
 *
 * Signals:
 *   "key"       (guint unichar)   a character key was pressed (after shift)
 *   "backspace" ()
 *   "done"      ()                the 完了 (Done) key (see kiosk_keyboard_set_done_label)
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  KIOSK_KEYBOARD_NONE = 0,
  KIOSK_KEYBOARD_KANA,
  KIOSK_KEYBOARD_KATAKANA,
  KIOSK_KEYBOARD_LATIN,
  KIOSK_KEYBOARD_NUMBER,
  KIOSK_KEYBOARD_PASSWORD
} KioskKeyboardLayout;

#define KIOSK_TYPE_KEYBOARD (kiosk_keyboard_get_type ())
G_DECLARE_FINAL_TYPE (KioskKeyboard, kiosk_keyboard, KIOSK, KEYBOARD, GtkWidget)

GtkWidget *kiosk_keyboard_new (KioskKeyboardLayout layout);
void kiosk_keyboard_set_layout (KioskKeyboard *self, KioskKeyboardLayout layout);
KioskKeyboardLayout kiosk_keyboard_get_layout (KioskKeyboard *self);

/* Type into editable (NULL: no target; keys still emit their signals). The
 * keyboard holds a weak reference. */
void kiosk_keyboard_set_target (KioskKeyboard *self, GtkEditable *editable);

/* The Done key's label and accessible name (NULL: "Done"): a page whose
 * keyboard confirms what was typed names the key after what it does
 * ("Sign and send"), as KioskKeypad's confirm key. */
void kiosk_keyboard_set_done_label (KioskKeyboard *self, const char *label);
/* An insensitive Done key emits nothing ("keyboard.done" disabled). */
void kiosk_keyboard_set_done_sensitive (KioskKeyboard *self, gboolean sensitive);

/* Which layout suits a field: stored on the widget (a GtkEditable). */
#define KIOSK_KEYBOARD_TAG "kiosk-keyboard-layout"
static inline void
kiosk_keyboard_tag (GtkWidget *editable, KioskKeyboardLayout layout)
{
  g_object_set_data (G_OBJECT (editable), KIOSK_KEYBOARD_TAG, GINT_TO_POINTER (layout));
}
static inline KioskKeyboardLayout
kiosk_keyboard_tag_get (GtkWidget *widget)
{
  return (KioskKeyboardLayout) GPOINTER_TO_INT (g_object_get_data (G_OBJECT (widget), KIOSK_KEYBOARD_TAG));
}

G_END_DECLS
