/* mynaportal/package.h - the signed ぴったりサービス application package.
 *
 * Builds the ZIP of portal-api.md "The application package" in the layout of
 * docs/portal-sim-packages.md: kousei.xml (構成情報 with the proc_id, the
 * sign certificate's SHA-256 and the file list, then the enveloped XMLDSig),
 * the form data as XML (the catalogue's format, docs/portal-sim-catalog.md
 * "The form data XML") and each attachment as its own file. The signature is
 * made by an mp_signer (the card's sign key): the digests and SignedInfo are
 * computed here with libxml2's C14N 1.0, the card signs
 * DigestInfo(SHA-256(C14N(SignedInfo))). The result verifies with
 * `xmlsec1 --verify --trusted-pem sign-ca.pem --id-attr:Id 構成情報 kousei.xml`.
 *
 * Attachments are never held in memory whole: they are hashed and zipped
 * from their files in 64 KiB pieces, and the digest of what went into the
 * ZIP is compared with the signed one (a file changed while the package was
 * being built is an error, not a package that fails at the portal).
 */
#ifndef MYNAPORTAL_PACKAGE_H
#define MYNAPORTAL_PACKAGE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "signer.h"

G_BEGIN_DECLS

typedef struct mp_package_builder mp_package_builder;

/* proc_id: 1-64 of A-Z a-z 0-9 . _ - (else MP_ERROR_PACKAGE). */
mp_package_builder *mp_package_builder_new(const char *proc_id, GError **error);
void mp_package_builder_free(mp_package_builder *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_package_builder, mp_package_builder_free)

/* The procedure the package is for (as given to _new; owned by b). */
const char *mp_package_builder_proc_id(const mp_package_builder *b);

/* The resident's answers, as JSON (docs/portal-client-package.md "The form: JSON to XML"):
 *   {"items":  {"FIELD": "text" | integer | true/false, ...},
 *    "groups": {"SECTION": [{"FIELD": value, ...}, ...], ...},
 *    "linkage_consent": ["ATTACHMENT", ...]}
 * All three keys optional; nothing else allowed. Ids are [a-z][a-z0-9_]{0,63}.
 * Strings go into the form XML exactly as given (UTF-8 checked; control
 * characters other than line breaks refused). Whether the answers satisfy
 * the procedure is the portal's check (apply/check), not this function's. */
gboolean mp_package_builder_set_form(mp_package_builder *b, JsonNode *form,
                                     GError **error);
/* The form data XML as it is, instead of set_form (tools and tests). */
gboolean mp_package_builder_set_form_xml(mp_package_builder *b, GBytes *xml,
                                         GError **error);
/* The form data XML that set_form made (NULL before); a new reference, for
 * the caller to unref. */
GBytes *mp_package_builder_form_xml(mp_package_builder *b);

/* Attach the file at path for the procedure's attachment attachment_id,
 * named name in the ZIP (NULL: the file's base name, which must then be an
 * allowed name). The content type comes from the name's extension and must
 * agree with the file's first bytes (JPEG, PNG or PDF). The file is opened
 * and checked now and read again when the package is written. */
gboolean mp_package_builder_add_attachment(mp_package_builder *b,
                                           const char *attachment_id,
                                           const char *path, const char *name,
                                           GError **error);

typedef struct mp_package_info {
  char *zip_sha256;        /* lowercase hex of the whole ZIP */
  guint64 zip_size;
  char *sign_cert_sha256;  /* lowercase hex of the signer's certificate (DER) */
  guint n_files;           /* files besides kousei.xml */
  guint64 content_size;    /* bytes of those files */
} mp_package_info;
void mp_package_info_clear(mp_package_info *info);

/* Sign with signer and write the ZIP to zip_path (created with mode 0600,
 * written to a temporary name in the same folder, fsync'd, then renamed).
 * info may be NULL. Signer errors (MP_ERROR_CARD ...) come back as they are. */
gboolean mp_package_builder_write(mp_package_builder *b, mp_signer *signer,
                                  const char *zip_path, mp_package_info *info,
                                  GError **error);

G_END_DECLS

#endif
