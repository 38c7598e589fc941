/* catalog.h - the ぴったりサービス procedure catalogue: the procedures a
 * resident can search for and apply to, each with its form schema and its
 * attachments, loaded from one JSON file per procedure.
 *
 * The file format, the form data XML checked by ps_catalog_check_form and
 * the search semantics are documented in docs/portal-sim-catalog.md.
 *
 * A loaded catalogue is read-only: every function below may be called from
 * several threads at once on the same catalogue.
 */
#ifndef PORTALSIM_CATALOG_H
#define PORTALSIM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct ps_catalog ps_catalog;

/* The GError domain of ps_catalog_load. Every message names the file and,
 * for content errors, the place in it as a path from the document root
 * ("$.form.sections[1].fields[0].pattern"). */
#define PS_CATALOG_ERROR (ps_catalog_error_quark())
GQuark ps_catalog_error_quark(void);

typedef enum ps_catalog_error {
  PS_CATALOG_ERROR_IO,        /* the folder or a file cannot be read */
  PS_CATALOG_ERROR_SYNTAX,    /* a file is not JSON */
  PS_CATALOG_ERROR_SCHEMA,    /* JSON, but not a valid procedure definition */
  PS_CATALOG_ERROR_EMPTY      /* the folder holds no procedure file */
} ps_catalog_error;

/* Loads every "*.json" file of dir (not recursively; names starting with a
 * dot are skipped). Each file must hold exactly one procedure definition
 * whose proc_id is the file name without ".json". The check is strict:
 * unknown keys, duplicate keys, wrong JSON types, missing required keys,
 * duplicate ids, select fields without choices, patterns that do not compile
 * as GRegex, examples that their own field rejects, conditions on fields that
 * do not exist ... each fails the whole load with PS_CATALOG_ERROR_SCHEMA.
 * On success *out is a new catalogue and true is returned; on failure *out
 * is untouched, *error is set and false is returned. */
bool ps_catalog_load(const char *dir, ps_catalog **out, GError **error);

void ps_catalog_free(ps_catalog *cat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ps_catalog, ps_catalog_free)

/* The number of procedures. */
size_t ps_catalog_count(const ps_catalog *cat);

/* What other modules need to know about a procedure without walking its
 * definition (the apply endpoint: whether a signature is required; the
 * municipality side: whose procedure it is). Strings live as long as cat. */
typedef struct ps_catalog_summary {
  const char *proc_id;
  const char *title;
  const char *category;         /* 子育て, 介護, 被災者支援 */
  const char *city_code;        /* 6 digits with check digit */
  const char *city_name;
  const char *prefecture;
  bool signature_required;      /* the package must carry a 署名用 signature */
} ps_catalog_summary;

/* The procedure with this id, or NULL. */
const ps_catalog_summary *ps_catalog_lookup(const ps_catalog *cat,
                                            const char *proc_id);

/* Search (GET /shinsei/v2/procedures). Each filter may be NULL or "" (no
 * filter). city_code and category match exactly. keyword is split at white
 * space (ASCII or full-width) into terms that must all occur in the
 * procedure's title, reading (title_kana), description, keywords, category,
 * city or prefecture name, after both sides are normalised: NFKC (full-width
 * letters and digits become half-width, half-width katakana full-width),
 * case folded, katakana folded to hiragana. A keyword that is not UTF-8
 * matches nothing.
 *
 * Results are ordered by city_code, then category (子育て, 介護, 被災者支援),
 * then reading (title_kana, 五十音順), then proc_id; offset skips that many, limit caps the count (0: no cap).
 * Returns a new JSON array of summaries
 *   {proc_id, title, category, city_code, city_name, prefecture,
 *    signature_required}
 * and, when total is not NULL, stores the number of matches before offset
 * and limit were applied. Never NULL. */
JsonNode *ps_catalog_search(const ps_catalog *cat, const char *city_code,
                            const char *category, const char *keyword,
                            size_t limit, size_t offset, size_t *total);

/* The procedure's definition exactly as its file has it (the body of
 * GET /shinsei/v2/procedure/{proc_id}), as a new deep copy that the caller
 * owns; NULL when there is no such procedure. */
JsonNode *ps_catalog_get(const ps_catalog *cat, const char *proc_id);

/* Whether the procedure accepts a file of this MIME type (image/jpeg,
 * image/png, application/pdf) for the attachment attachment_id. False for an
 * unknown procedure or attachment. */
bool ps_catalog_attachment_accepts(const ps_catalog *cat, const char *proc_id,
                                   const char *attachment_id,
                                   const char *content_type);

/* Checks the form data of an application (the form XML of the package, see
 * docs/portal-sim-catalog.md) against the procedure's schema, together with
 * the attachment ids of the files the package carries (one id per file; an
 * id may repeat when the attachment takes several files).
 *
 * Every finding is appended to report (ps_report_add) with item
 *   "proc_id"                       unknown procedure, or the XML names another
 *   "form"                          the XML itself (not well-formed, DOCTYPE,
 *                                   wrong root or namespace, stray content)
 *   "form.<field id>"               a field outside repeated groups
 *   "form.<group id>"               a repeated group (entry count, misuse)
 *   "form.<group id>[<n>].<field id>"  a field of the n-th entry (from 1)
 *   "attachment:<attachment id>"    missing, not accepted, too many files,
 *                                   omission by 情報連携 not allowed ...
 *   "attachment"                    an id too odd to repeat in an item
 * and Japanese content that says what to fix (values are never quoted back,
 * they may be personal data). Returns true when nothing was found. The XML
 * is parsed without network access, DTDs or entity expansion; a document
 * with a DOCTYPE is rejected. */
bool ps_catalog_check_form(const ps_catalog *cat, const char *proc_id,
                           const uint8_t *xml, size_t len,
                           const char *const *attachment_ids,
                           size_t n_attachments, GPtrArray *report);

/* The namespace of the form XML [S]. */
#define PS_CATALOG_FORM_NS "urn:mynaterm:portal-sim:form:1"

/* The largest form XML ps_catalog_check_form reads [S]. */
#define PS_CATALOG_MAX_FORM_XML (1024u * 1024u)

#endif
