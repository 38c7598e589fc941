/* kiosk-attachment-row.h - one document the procedure asks for.
 *
 * Shows its title, description, whether it is required now (by itself or
 * by its condition), the file types it takes and how many files, the files
 * chosen so far (each with a "Remove" button) and "Choose file"; for a
 * document 情報連携 can replace, a switch by which the resident consents to
 * the municipality checking the same information instead (the chosen files
 * are dropped when it is turned on), with the schema's linkage_note.
 *
 * Signals:
 *   "choose-requested" ()   "Choose file" was pressed
 *   "changed"          ()   a file was added or removed, consent changed
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-attachment-files.h"
#include "kiosk-form-rules.h"
#include "kiosk-form-schema.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_ATTACHMENT_ROW (kiosk_attachment_row_get_type ())
G_DECLARE_FINAL_TYPE (KioskAttachmentRow, kiosk_attachment_row, KIOSK, ATTACHMENT_ROW, GtkWidget)

/* spec must outlive the widget. */
GtkWidget *kiosk_attachment_row_new (const KioskAttachmentSpec *spec);
const KioskAttachmentSpec *kiosk_attachment_row_get_spec (KioskAttachmentRow *self);

/* Add a file (copied); FALSE when max_files are chosen already, the file
 * is chosen already, or consent is given. */
gboolean kiosk_attachment_row_add_file (KioskAttachmentRow *self, const KioskAttachmentFile *file);
void kiosk_attachment_row_remove_file (KioskAttachmentRow *self, guint index);
guint kiosk_attachment_row_get_n_files (KioskAttachmentRow *self);
const KioskAttachmentFile *kiosk_attachment_row_get_file (KioskAttachmentRow *self, guint index);

gboolean kiosk_attachment_row_get_consent (KioskAttachmentRow *self);
void kiosk_attachment_row_set_consent (KioskAttachmentRow *self, gboolean consent);

void kiosk_attachment_row_set_required (KioskAttachmentRow *self, gboolean required);
gboolean kiosk_attachment_row_get_required (KioskAttachmentRow *self);

/* What is missing (KIOSK_RULE_ATTACHMENT_MISSING) or KIOSK_RULE_OK; the
 * message shows once revealed or after a change. */
KioskRule kiosk_attachment_row_validate (KioskAttachmentRow *self);
void kiosk_attachment_row_reveal (KioskAttachmentRow *self);
void kiosk_attachment_row_set_report (KioskAttachmentRow *self, const char *content);
gboolean kiosk_attachment_row_focus (KioskAttachmentRow *self);

/* Forget the files and the consent. */
void kiosk_attachment_row_clear (KioskAttachmentRow *self);

G_END_DECLS
