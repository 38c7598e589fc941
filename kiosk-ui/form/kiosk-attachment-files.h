/* kiosk-attachment-files.h - the files a resident may attach.
 *
 * Attachments come only from the folders the kiosk is configured with
 * ([ui] attachment-dirs: a scanner's output folder, a card slot's mount
 * point): each folder and the folders directly inside it (one level), never
 * anything outside them. A file is offered when it is a regular file of at
 * most KIOSK_ATTACHMENT_MAX_SIZE whose extension (.jpg .jpeg .png .pdf, any
 * case) and first bytes (JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A, PDF
 * "%PDF-") agree, and whose type the attachment accepts. Names starting with
 * a dot are skipped. A symbolic link is followed only when it resolves into
 * one of the folders; a link that leads out of them is refused, and so are
 * linked folders. Files are identified by their canonical path, checked
 * again (kiosk_attachment_file_check) when chosen and when the package is
 * built, so a file swapped for a link in between is refused then.
 *
 * GLib/GIO only; the scan runs in a worker thread with a GCancellable.
 */
#pragma once

#include <gio/gio.h>

#include "kiosk-form-schema.h"

G_BEGIN_DECLS

/* The largest file offered: the package builder's limit for one attachment. */
#define KIOSK_ATTACHMENT_MAX_SIZE (32 * 1024 * 1024)
/* At most this many files are listed (the first ones by name). */
#define KIOSK_ATTACHMENT_MAX_LISTED 500

typedef struct {
  char *path;            /* canonical, inside one of the folders */
  char *display_name;    /* the path below its folder, for display (UTF-8) */
  KioskContentType type;
  goffset size;
} KioskAttachmentFile;

void kiosk_attachment_file_free (KioskAttachmentFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KioskAttachmentFile, kiosk_attachment_file_free)

/* The files of dirs (NULL-terminated; folders that do not exist are
 * skipped) of one of the types in content_types (KioskContentType bits),
 * sorted by display name; a new array of KioskAttachmentFile. NULL and
 * G_IO_ERROR_CANCELLED when cancelled. */
GPtrArray *kiosk_attachment_scan (const char * const *dirs, guint content_types,
                                  GCancellable *cancellable, GError **error);
void kiosk_attachment_scan_async (const char * const *dirs, guint content_types,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
GPtrArray *kiosk_attachment_scan_finish (GAsyncResult *result, GError **error);

/* Is path (canonical, as the scan gave it) still a file the scan would
 * offer for content_types? *type gets its type. G_IO_ERROR_PERMISSION_DENIED
 * for a path outside the folders or one that now goes through a link,
 * G_IO_ERROR_INVALID_DATA for a file of the wrong type or size. */
gboolean kiosk_attachment_file_check (const char * const *dirs, const char *path,
                                      guint content_types, KioskContentType *type,
                                      GError **error);

/* "pdf", "jpg", "png" */
const char *kiosk_content_type_extension (KioskContentType type);

G_END_DECLS
