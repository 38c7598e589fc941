/* kiosk-form-field.h - one question of the form, with its input.
 *
 * Shows the field's label with a "Required" badge while the field is
 * required (by itself or by its condition), the schema's help, the input
 * that suits the type (see kiosk-form-page.h) and, under it, what is wrong
 * with the answer: after the first edit, or once the page asked for every
 * message (the "Next" button), never before. The input's accessible label
 * is the field's label (with the entry, "子どもの氏名（子ども 2）", in a
 * repeated group); the message is its accessible description.
 *
 * A My Number field (check "my_number") is a KioskSecretField with a
 * KioskKeypad: the digits are in the field's myna_secret only, and leave it
 * only through kiosk_form_field_dup_secret_text (for the form JSON) and
 * kiosk_form_field_dup_masked (the last four digits).
 *
 * Signals:
 *   "changed" ()   the answer changed (typed, chosen, ticked)
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-form-rules.h"
#include "kiosk-form-schema.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_FORM_FIELD (kiosk_form_field_get_type ())
G_DECLARE_FINAL_TYPE (KioskFormField, kiosk_form_field, KIOSK, FORM_FIELD, GtkWidget)

/* spec must outlive the widget. entry: 0 outside repeated groups, else the
 * entry's number (from 1). */
GtkWidget *kiosk_form_field_new (const KioskFieldSpec *spec, guint entry);
const KioskFieldSpec *kiosk_form_field_get_spec (KioskFormField *self);

/* Renumber after an entry above was removed. */
void kiosk_form_field_set_entry (KioskFormField *self, guint entry);

/* The answer as the form carries it (a date as YYYY-MM-DD, a postal code
 * with its hyphen, a checkbox "true"/"false", a select its value); NULL
 * when not answered. Always NULL for a My Number field. */
char *kiosk_form_field_get_value (KioskFormField *self);
/* Fill the input with value (tests, staff): a select picks the choice, a
 * checkbox ticks for "true". Not for a My Number field. */
void kiosk_form_field_set_value (KioskFormField *self, const char *value);

gboolean kiosk_form_field_is_secret (KioskFormField *self);
/* The My Number as text, for the form JSON only; NULL when empty. The
 * caller wipes and frees it at once. */
char *kiosk_form_field_dup_secret_text (KioskFormField *self);
/* "●●●● ●●●● 1234" (only the last four digits), or NULL when empty. */
char *kiosk_form_field_dup_masked (KioskFormField *self);

/* Whether the field is required now (its condition, as the page sees it). */
void kiosk_form_field_set_required (KioskFormField *self, gboolean required);
gboolean kiosk_form_field_get_required (KioskFormField *self);

/* Check the answer now; the message is shown if the field was edited or
 * messages were revealed. today: NULL for today in JST. */
KioskRule kiosk_form_field_validate (KioskFormField *self, const GDate *today);
/* From now on show the message even before an edit (after "Next"). */
void kiosk_form_field_reveal (KioskFormField *self);
/* The portal's own words about this answer (Japanese), shown until the
 * next edit; NULL removes them. */
void kiosk_form_field_set_report (KioskFormField *self, const char *content);

/* Focus the input (the first part of a date). */
gboolean kiosk_form_field_focus_input (KioskFormField *self);

/* Wipe a My Number and empty the input. */
void kiosk_form_field_wipe (KioskFormField *self);

G_END_DECLS
