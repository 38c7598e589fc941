/* kiosk-attachment-picker.h - choosing a file to attach, inside the page.
 *
 * No file dialog (the resident must not browse the kiosk's disk): a list
 * of the files kiosk_attachment_scan finds in the configured folders for
 * one document's types, each a large row with its name, type and size.
 * Tapping a row chooses it.
 *
 * Signals:
 *   "chosen"    (gpointer file)  a KioskAttachmentFile, valid during the emission
 *   "cancelled" ()
 */
#pragma once

#include <gtk/gtk.h>

#include "kiosk-attachment-files.h"
#include "kiosk-form-schema.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_ATTACHMENT_PICKER (kiosk_attachment_picker_get_type ())
G_DECLARE_FINAL_TYPE (KioskAttachmentPicker, kiosk_attachment_picker, KIOSK, ATTACHMENT_PICKER,
                      GtkWidget)

GtkWidget *kiosk_attachment_picker_new (void);

/* List the files of dirs (NULL-terminated) that spec's document takes;
 * the scan runs in a thread, the list fills when it is done. */
void kiosk_attachment_picker_load (KioskAttachmentPicker *self, const char * const *dirs,
                                   const KioskAttachmentSpec *spec);
gboolean kiosk_attachment_picker_is_loading (KioskAttachmentPicker *self);
/* The files listed (borrowed; empty while loading). */
GPtrArray *kiosk_attachment_picker_get_files (KioskAttachmentPicker *self);
/* Choose the file at index as a tap on its row would. */
void kiosk_attachment_picker_choose (KioskAttachmentPicker *self, guint index);

/* Stop a scan and empty the list. */
void kiosk_attachment_picker_clear (KioskAttachmentPicker *self);

G_END_DECLS
