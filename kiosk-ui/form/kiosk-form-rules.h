/* kiosk-form-rules.h - the form's checks, the same as the portal's.
 *
 * The kiosk checks each answer as the resident types, with exactly the
 * rules of the portal's form check (portal-sim/catalog/form.c,
 * docs/portal-sim-catalog.md "Fields"): what each type accepts, max_length
 * in code points, the pattern wrapped as \A(?:...)\z, dates 1868-2199 and
 * their range against today in JST, integer bounds, required and
 * required_when (a repeated field looks at its own entry; an attachment at
 * any entry), repeated group sizes, attachments and 情報連携 consent. The
 * same answers are accepted or refused by both (tests/kiosk/form
 * test_kiosk_form_rules checks it against the portal's code over the whole
 * shipped catalogue); the portal's apply/check stays the authority.
 *
 * The kiosk is stricter in one place: U+FFFE and U+FFFF, which the package
 * builder refuses to write, count as control characters here.
 *
 * Messages are translated (gettext, English msgids) and never quote the
 * value. GLib and json-glib only.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "kiosk-form-schema.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_RULE_OK = 0,
  /* one value */
  KIOSK_RULE_REQUIRED,             /* empty, and required (now) */
  KIOSK_RULE_MUST_TICK,            /* a checkbox that must be ticked */
  KIOSK_RULE_LINE_BREAK,           /* line break outside multiline text */
  KIOSK_RULE_CONTROL_CHARACTER,
  KIOSK_RULE_TOO_LONG,             /* more code points than max_length */
  KIOSK_RULE_MY_NUMBER_DIGITS,     /* not 12 ASCII digits */
  KIOSK_RULE_MY_NUMBER_CHECK,      /* the check digit does not match */
  KIOSK_RULE_PATTERN,
  KIOSK_RULE_NOT_INTEGER,
  KIOSK_RULE_NUMBER_TOO_LARGE,     /* beyond 64 bits */
  KIOSK_RULE_NUMBER_RANGE,         /* outside min..max */
  KIOSK_RULE_DATE_FORMAT,          /* not YYYY-MM-DD in ASCII digits */
  KIOSK_RULE_DATE_YEAR,            /* outside 1868..2199 */
  KIOSK_RULE_DATE_INVALID,         /* no such day (2023-02-29) */
  KIOSK_RULE_DATE_NOT_PAST,        /* after today, where the past is asked */
  KIOSK_RULE_DATE_NOT_FUTURE,      /* before today, where the future is asked */
  KIOSK_RULE_NOT_A_CHOICE,
  KIOSK_RULE_NOT_BOOLEAN,          /* a checkbox value other than true/false */
  KIOSK_RULE_POSTAL_CODE,          /* not ###-#### */
  KIOSK_RULE_BAD_VALUE,            /* form JSON: null, a fraction, an array ... */
  /* the form as a whole */
  KIOSK_RULE_UNKNOWN,              /* an id the form does not have, or in the wrong place */
  KIOSK_RULE_TOO_FEW_ENTRIES,      /* repeated group below min */
  KIOSK_RULE_TOO_MANY_ENTRIES,     /* repeated group above max */
  /* attachments */
  KIOSK_RULE_ATTACHMENT_MISSING,   /* needed, no file, no consent */
  KIOSK_RULE_ATTACHMENT_TOO_MANY,  /* more files than max_files */
  KIOSK_RULE_NOT_OMITTABLE,        /* consent where 情報連携 cannot replace it */
  KIOSK_RULE_FILE_AND_CONSENT      /* a file and consent for the same document */
} KioskRule;

/* Years the portal takes in a date [S]. */
#define KIOSK_FORM_MIN_YEAR 1868
#define KIOSK_FORM_MAX_YEAR 2199

/* Today's date in Japan (UTC+9), the portal's calendar for date_range. */
void kiosk_form_today_jst (GDate *today);

/* Only white space (ASCII and the full-width U+3000), or NULL: counts as
 * not given. */
gboolean kiosk_form_value_is_blank (const char *value);

/* The check digit rule of 個人番号 (総務省令第八十五号 第五条) over len
 * bytes (a myna_secret's content is not NUL-terminated): exactly 12 ASCII
 * digits with the right last digit. */
gboolean kiosk_my_number_valid (const guint8 *digits, gsize len);

/* What is wrong with a value that is not blank (type, length, pattern,
 * check, range...), or KIOSK_RULE_OK. today: the date date_range is
 * measured against; NULL for today in JST. */
KioskRule kiosk_field_check_value (const KioskFieldSpec *field, const char *value,
                                   const GDate *today);

/* The whole check of one answer: the value's own rules when it is given,
 * else whether it had to be (required: the field is required now, by
 * `required` or by its condition). A checkbox that is required must be
 * "true". */
KioskRule kiosk_field_check (const KioskFieldSpec *field, const char *value,
                             gboolean required, const GDate *today);

/* Is field required, given the value of its condition's target in the
 * field's scope (the same entry for a repeated target, the top of the form
 * otherwise)? target_value may be NULL (not answered). */
gboolean kiosk_field_required_now (const KioskFieldSpec *field, const char *target_value);

/* The message for a finding on field, in the current language: a sentence
 * or two for under the field, without naming it (its label is above).
 * value: for KIOSK_RULE_TOO_LONG, the value (to count its characters);
 * otherwise unused and may be NULL. Patterns add the schema's Japanese
 * pattern_description. A field required by its condition says which answer
 * made it required. */
char *kiosk_rule_field_message (const KioskFieldSpec *field, KioskRule rule, const char *value);

/* The message for a finding on a repeated group. */
char *kiosk_rule_group_message (const KioskSectionSpec *section, KioskRule rule, guint n_entries);

/* The message for a finding on an attachment. */
char *kiosk_rule_attachment_message (const KioskAttachmentSpec *attachment, KioskRule rule);

/* Is the attachment needed, given the answers? (required, or its condition
 * holds: at the top of the form, or in any entry of a repeated group).
 * form: the form JSON of kiosk_form_page_get_form / the package builder. */
gboolean kiosk_attachment_needed (const KioskAttachmentSpec *attachment,
                                  const KioskProcedureSpec *spec, JsonNode *form);

/* One finding of kiosk_form_check. */
typedef struct {
  char *item;                          /* the portal's report item: "form.x",
                                          "form.g[2].x", "form.g", "attachment:a" */
  KioskRule rule;
  const KioskFieldSpec *field;         /* or NULL */
  const KioskSectionSpec *section;     /* group findings, or NULL */
  const KioskAttachmentSpec *attachment; /* or NULL */
  guint entry;                         /* 1-based entry of a repeated field, else 0 */
} KioskFormFinding;

void kiosk_form_finding_free (KioskFormFinding *finding);

/* Check a whole form JSON ({"items", "groups", "linkage_consent"}, as
 * mp_package_builder_set_form takes it) and the attachment ids of the files
 * that go with it (one per file) as the portal would. Returns the findings
 * (a new array, empty when all is well), in the portal's order: fields
 * section by section, then attachments. */
GPtrArray *kiosk_form_check (const KioskProcedureSpec *spec, JsonNode *form,
                             const char * const *attachment_ids, gsize n_attachment_ids,
                             const GDate *today);

/* What to type a field with, for the on-screen keyboard: */
typedef enum {
  KIOSK_INPUT_LATIN,       /* romaji, names, building names (the default) */
  KIOSK_INPUT_KANA,        /* a pattern asking for hiragana */
  KIOSK_INPUT_KATAKANA,    /* a pattern asking for katakana (フリガナ) */
  KIOSK_INPUT_NUMBER,      /* digits (and -): digit-only patterns, phone
                              numbers, postal codes, numbers, dates */
  KIOSK_INPUT_SECRET_DIGITS /* the My Number: a KioskSecretField and keypad */
} KioskInputKind;

KioskInputKind kiosk_field_input_kind (const KioskFieldSpec *field);

G_END_DECLS
