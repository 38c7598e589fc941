/* kiosk-form-page-private.h - what the review page (and the tests) read
 * from the form page: the schema and the widgets holding the answers. */
#pragma once

#include "kiosk-attachment-row.h"
#include "kiosk-form-page.h"
#include "kiosk-form-schema.h"
#include "kiosk-form-section.h"

G_BEGIN_DECLS

/* The procedure shown, or NULL. */
const KioskProcedureSpec *kiosk_form_page_get_spec (KioskFormPage *self);
/* The sections (KioskFormSection) and the attachment rows
 * (KioskAttachmentRow) in the schema's order; borrowed. */
GPtrArray *kiosk_form_page_get_sections (KioskFormPage *self);
GPtrArray *kiosk_form_page_get_attachment_rows (KioskFormPage *self);

G_END_DECLS
