/* kiosk-form-section.h - one section of the form: a heading and its fields,
 * or a repeated group with one block of fields per entry.
 *
 * A repeated group starts with its minimum number of entries ("子ども 1",
 * "子ども 2" ...); "Add" and each entry's "Remove" keep it within the
 * group's min..max (the buttons disappear at the bounds). Entries are
 * renumbered after a removal.
 *
 * Signals:
 *   "changed" ()   an answer changed, or an entry was added or removed
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-form-field.h"
#include "kiosk-form-schema.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_FORM_SECTION (kiosk_form_section_get_type ())
G_DECLARE_FINAL_TYPE (KioskFormSection, kiosk_form_section, KIOSK, FORM_SECTION, GtkWidget)

/* spec must outlive the widget. */
GtkWidget *kiosk_form_section_new (const KioskSectionSpec *spec);
const KioskSectionSpec *kiosk_form_section_get_spec (KioskFormSection *self);

/* Entries of a repeated group; a plain section has exactly one. */
guint kiosk_form_section_get_n_entries (KioskFormSection *self);
/* The fields of entry (from 1; 1 for a plain section), in the schema's
 * order: an array of KioskFormField owned by the section, or NULL. */
GPtrArray *kiosk_form_section_get_fields (KioskFormSection *self, guint entry);
KioskFormField *kiosk_form_section_get_field (KioskFormSection *self, guint entry,
                                              const char *id);

/* Add an entry at the end / remove one (from 1); FALSE at the bounds. */
gboolean kiosk_form_section_add_entry (KioskFormSection *self);
gboolean kiosk_form_section_remove_entry (KioskFormSection *self, guint entry);

/* The portal's words about the group as a whole (NULL removes them). */
void kiosk_form_section_set_report (KioskFormSection *self, const char *content);

/* Wipe every answer (My Numbers included). */
void kiosk_form_section_wipe (KioskFormSection *self);

G_END_DECLS
