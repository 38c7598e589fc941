/* kiosk-secret-field.h - a masked field whose content is a myna_secret.
 *
 * For the PIN, the signature password, the staff PIN and the My Number: the
 * characters go straight from a KioskKeypad or KioskKeyboard into a
 * myna_secret and the field shows one ● per character (boxes for a fixed
 * length, e.g. four for the PIN). The text never enters a GtkEntry, an
 * accessible value or a log; the accessible description says only how
 * many characters are entered ("2 of 4 digits entered").
 *
 * Signals:
 *   "changed"   ()   the length changed
 *   "activate"  ()   the attached keypad/keyboard confirmed
 * Properties:
 *   "min-length", "max-length"  guint   (max 64, MYNA_SECRET_MAX)
 *   "length"                    guint   read-only
 *   "complete"                  gboolean read-only: length within min..max
 *   "accept"                    KioskSecretAccept as int: which characters
 *                               the field takes; others are dropped
 */
#pragma once

#include <gtk/gtk.h>

#include "mynacard/secret.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_SECRET_DIGITS,           /* 0-9 */
  KIOSK_SECRET_UPPER_ALNUM       /* A-Z 0-9; a-z is taken as A-Z */
} KioskSecretAccept;

#define KIOSK_TYPE_SECRET_FIELD (kiosk_secret_field_get_type ())
G_DECLARE_FINAL_TYPE (KioskSecretField, kiosk_secret_field, KIOSK, SECRET_FIELD, GtkWidget)

GtkWidget *kiosk_secret_field_new (KioskSecretAccept accept, guint min_length, guint max_length);

/* Type one character (dropped when not accepted or when full) / delete the last. */
void kiosk_secret_field_type (KioskSecretField *self, gunichar c);
void kiosk_secret_field_backspace (KioskSecretField *self);
guint kiosk_secret_field_get_length (KioskSecretField *self);
gboolean kiosk_secret_field_is_complete (KioskSecretField *self);

/* Hand over the content: a new myna_secret for the caller (who wipes it with
 * myna_secret_free); the field is empty afterwards. NULL when empty. */
myna_secret *kiosk_secret_field_take (KioskSecretField *self);
/* Wipe the content. */
void kiosk_secret_field_clear (KioskSecretField *self);

/* Feed the field from a KioskKeypad or KioskKeyboard (GtkWidget of either
 * type): their keys type into the field and their confirm key emits
 * "activate". One source at a time; NULL detaches. */
void kiosk_secret_field_attach (KioskSecretField *self, GtkWidget *keys);

G_END_DECLS
