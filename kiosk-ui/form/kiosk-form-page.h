/* kiosk-form-page.h - the application form, made from the procedure's schema.
 *
 * Given the procedure definition (GET /shinsei/v2/procedure/{id}, the
 * catalogue format of docs/portal-sim-catalog.md "The procedure file"), the
 * page builds one input per field, section by section: text and address
 * (GtkEntry, multi-line GtkTextView), number, date (year/month/day
 * spinners or entries), select (large radio buttons), checkbox,
 * postal-code; repeated groups with "add another" / "remove" up to the
 * group's min..max; fields and attachments that appear as required when
 * their condition holds (required_when). A field with check "my_number" is
 * a KioskSecretField: the number is never held as plain text in a widget.
 *
 * Validation as you type: the same rules as the portal's form check (type,
 * max_length in code points, pattern wrapped as \A(?:...)\z, date range,
 * min/max, required, conditions), shown under the field in the chosen
 * language with the schema's Japanese pattern_description; the portal's
 * apply/check stays the authority. Each entry is tagged with the keyboard
 * layout that suits it (kiosk_keyboard_tag): フリガナ patterns get
 * KATAKANA, digits NUMBER, and so on.
 *
 * Attachments: for each of the procedure's attachments, its title, whether
 * it is required, and, when omittable_by_information_linkage, a 情報連携
 * consent switch that makes it unnecessary. Files are chosen from a list of
 * the configured attachment folders only (no file dialog), filtered to the
 * attachment's content types.
 *
 * Signals:
 *   "review-requested" ()   "Next" was pressed and the form is complete
 *   "cancelled"        ()
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "mynaportal/package.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_FORM_PAGE (kiosk_form_page_get_type ())
G_DECLARE_FINAL_TYPE (KioskFormPage, kiosk_form_page, KIOSK, FORM_PAGE, GtkWidget)

GtkWidget *kiosk_form_page_new (void);

/* Build the form for procedure (the definition's JSON object; referenced).
 * Clears whatever was there. */
void kiosk_form_page_set_procedure (KioskFormPage *self, JsonNode *procedure);
/* The folders files may be attached from (NULL-terminated; copied). */
void kiosk_form_page_set_attachment_dirs (KioskFormPage *self, const char * const *dirs);

/* Mark fields the portal refused (its report_list: item = field id or
 * attachment id, content = Japanese text). */
void kiosk_form_page_show_report (KioskFormPage *self, const char * const *items,
                                  const char * const *contents);

/* Is every field valid and every required attachment given or consented? */
gboolean kiosk_form_page_is_complete (KioskFormPage *self);

/* The answers as the package builder's form JSON ({"items", "groups",
 * "linkage_consent"}). The My Number, if the form has one, is in it as
 * text: the caller passes the node to the builder at once and frees it. */
JsonNode *kiosk_form_page_get_form (KioskFormPage *self);

/* A package builder with the form and every chosen attachment, ready to be
 * signed (mp_package_builder_write). */
mp_package_builder *kiosk_form_page_build_package (KioskFormPage *self, GError **error);

/* Forget everything entered (session end, new procedure): widgets are
 * destroyed and secrets wiped. */
void kiosk_form_page_clear (KioskFormPage *self);

G_END_DECLS
