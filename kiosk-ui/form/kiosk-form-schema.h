/* kiosk-form-schema.h - the procedure's form, read from its definition.
 *
 * The procedure definition (GET /shinsei/v2/procedure/{id}; the catalogue
 * format of docs/portal-sim-catalog.md "The procedure file") parsed into
 * plain structs the form widgets and the rules (kiosk-form-rules.h) work
 * from. GLib and json-glib only: no GTK, so the rules are tested without a
 * display.
 *
 * The portal checked its catalogue when it loaded it; the kiosk still reads
 * the definition defensively (it came over the network): a key of the wrong
 * JSON type, a missing id or label, a select without choices, a pattern
 * that does not compile or a condition on an unknown field is
 * KIOSK_FORM_SCHEMA_ERROR and no form is built. Keys the kiosk does not use
 * are ignored.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KIOSK_FORM_SCHEMA_ERROR (kiosk_form_schema_error_quark ())
GQuark kiosk_form_schema_error_quark (void);

typedef enum {
  KIOSK_FORM_SCHEMA_ERROR_INVALID   /* not a usable procedure definition */
} KioskFormSchemaError;

typedef enum {
  KIOSK_FIELD_TEXT,
  KIOSK_FIELD_NUMBER,
  KIOSK_FIELD_DATE,
  KIOSK_FIELD_SELECT,
  KIOSK_FIELD_CHECKBOX,
  KIOSK_FIELD_POSTAL_CODE,
  KIOSK_FIELD_ADDRESS
} KioskFieldType;

typedef enum {
  KIOSK_DATE_ANY,
  KIOSK_DATE_PAST,     /* today (JST) or earlier */
  KIOSK_DATE_FUTURE    /* today (JST) or later */
} KioskDateRange;

/* content_types as bits */
typedef enum {
  KIOSK_CONTENT_JPEG = 1u << 0,
  KIOSK_CONTENT_PNG = 1u << 1,
  KIOSK_CONTENT_PDF = 1u << 2
} KioskContentType;

typedef struct _KioskFieldSpec KioskFieldSpec;
typedef struct _KioskSectionSpec KioskSectionSpec;

typedef struct {
  char *value;         /* what the form carries */
  char *label;         /* what the resident sees */
} KioskChoiceSpec;

/* required_when: required when field `field` holds `value`. */
typedef struct {
  char *field;
  char *value;
  const KioskFieldSpec *target;   /* resolved after the whole form is read */
} KioskConditionSpec;

struct _KioskFieldSpec {
  char *id;
  char *label;
  KioskFieldType type;
  gboolean required;
  gboolean has_when;
  KioskConditionSpec when;
  char *help;                     /* or NULL */
  char *example;                  /* or NULL */
  char *prefill;                  /* "name", "address", "birth_date" or NULL */
  gint64 max_length;              /* code points; 0: no limit */
  char *pattern_source;           /* as the schema has it, or NULL */
  GRegex *pattern;                /* wrapped as \A(?:...)\z, or NULL */
  char *pattern_description;      /* Japanese, with the pattern */
  gboolean has_min, has_max;      /* number */
  gint64 min, max;
  char *unit;                     /* number: "人", "円"; or NULL */
  GPtrArray *choices;             /* of KioskChoiceSpec; select only, else NULL */
  gboolean multiline;             /* text */
  KioskDateRange date_range;
  gboolean my_number;             /* text with check "my_number" */
  const KioskSectionSpec *section;
};

struct _KioskSectionSpec {
  char *id;
  char *title;
  char *description;              /* or NULL */
  gboolean repeated;
  guint min_entries, max_entries; /* repeated only */
  char *entry_label;              /* "児童"; repeated only */
  char *counter;                  /* "人"; default "件" */
  GPtrArray *fields;              /* of KioskFieldSpec, owned */
};

typedef struct {
  char *id;
  char *title;
  char *description;              /* or NULL */
  guint content_types;            /* KioskContentType bits */
  gboolean required;
  gboolean has_when;
  KioskConditionSpec when;
  gboolean omittable;             /* omittable_by_information_linkage */
  char *linkage_note;             /* or NULL */
  guint max_files;                /* 1..20 */
} KioskAttachmentSpec;

typedef struct {
  char *proc_id;
  char *title;
  char *city_name;                /* or NULL */
  char *submit_to;                /* 提出先, or NULL */
  gboolean signature_required;
  GPtrArray *sections;            /* of KioskSectionSpec, owned */
  GPtrArray *attachments;         /* of KioskAttachmentSpec, owned */
  GHashTable *fields;             /* id -> KioskFieldSpec (borrowed) */
  GHashTable *section_ids;        /* id -> KioskSectionSpec (borrowed) */
  GHashTable *attachment_ids;     /* id -> KioskAttachmentSpec (borrowed) */
} KioskProcedureSpec;

/* Parse a procedure definition; NULL and *error on a definition the kiosk
 * cannot build a form from. */
KioskProcedureSpec *kiosk_procedure_spec_new (JsonNode *procedure, GError **error);
void kiosk_procedure_spec_free (KioskProcedureSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KioskProcedureSpec, kiosk_procedure_spec_free)

const KioskFieldSpec *kiosk_procedure_spec_field (const KioskProcedureSpec *spec, const char *id);
const KioskSectionSpec *kiosk_procedure_spec_section (const KioskProcedureSpec *spec, const char *id);
const KioskAttachmentSpec *kiosk_procedure_spec_attachment (const KioskProcedureSpec *spec,
                                                           const char *id);

/* The label of choice value of a select field, or NULL. */
const char *kiosk_field_spec_choice_label (const KioskFieldSpec *field, const char *value);

/* "image/jpeg" etc. for one KioskContentType bit; NULL for anything else. */
const char *kiosk_content_type_name (KioskContentType type);

G_END_DECLS
