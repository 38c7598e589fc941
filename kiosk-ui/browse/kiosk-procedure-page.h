/* kiosk-procedure-page.h - one procedure before applying.
 *
 * Title, municipality, description, 提出先, 処理期間, 申請期限, notes,
 * whether the 署名用電子証明書 is needed, and the documents to attach:
 * required ones, conditional ones (with their condition in words) and those
 * 情報連携 lets the resident omit (with the linkage note), each clearly
 * marked. An "Apply" button.
 *
 * Signals:
 *   "apply-requested" ()
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mynaportal/client.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_PROCEDURE_PAGE (kiosk_procedure_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskProcedurePage, kiosk_procedure_page, KIOSK, PROCEDURE_PAGE, GtkWidget)

GtkWidget *kiosk_procedure_page_new (void);
void kiosk_procedure_page_set_client (KioskProcedurePage *self, mp_client *client);
/* Fetch and show proc_id (a spinner while it loads, an error with a retry
 * button when it fails). */
void kiosk_procedure_page_load (KioskProcedurePage *self, const char *proc_id);
/* The definition shown (NULL while loading or after a failure); borrowed. */
JsonNode *kiosk_procedure_page_get_definition (KioskProcedurePage *self);
void kiosk_procedure_page_clear (KioskProcedurePage *self);

G_END_DECLS
