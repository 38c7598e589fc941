/* catalog_internal.h - the parsed form of a procedure definition, shared by
 * the loader (catalog.c) and the form checker (form.c). */
#ifndef PORTALSIM_CATALOG_INTERNAL_H
#define PORTALSIM_CATALOG_INTERNAL_H

#include "catalog.h"

typedef enum cat_field_type {
  CAT_TEXT,
  CAT_NUMBER,
  CAT_DATE,
  CAT_SELECT,
  CAT_CHECKBOX,
  CAT_POSTAL_CODE,
  CAT_ADDRESS
} cat_field_type;

typedef enum cat_date_range {
  CAT_DATE_ANY,
  CAT_DATE_PAST,     /* today (JST) or earlier */
  CAT_DATE_FUTURE    /* today (JST) or later */
} cat_date_range;

/* content_types as bits */
enum {
  CAT_TYPE_JPEG = 1u << 0,
  CAT_TYPE_PNG = 1u << 1,
  CAT_TYPE_PDF = 1u << 2
};

typedef struct cat_choice {
  char *value;
  char *label;
} cat_choice;

typedef struct cat_field cat_field;
typedef struct cat_section cat_section;

/* required_when: the thing is required when field `field` holds `value`. */
typedef struct cat_condition {
  char *field;
  char *value;
  const cat_field *target;     /* resolved after the whole form is read */
} cat_condition;

struct cat_field {
  char *id;
  char *label;
  cat_field_type type;
  bool required;
  bool has_when;
  cat_condition when;
  gint64 max_length;           /* characters; 0: no limit */
  GRegex *pattern;             /* anchored at both ends; or NULL */
  char *pattern_description;
  bool has_min, has_max;       /* number */
  gint64 min, max;
  char *unit;                  /* number: "人", "円"; or NULL */
  GPtrArray *choices;          /* of cat_choice; select only */
  bool multiline;              /* text: line breaks allowed */
  cat_date_range date_range;
  bool my_number;              /* text: 12 digits with the check digit */
  const cat_section *section;
};

struct cat_section {
  char *id;
  char *title;
  bool repeated;
  gint64 min_entries, max_entries;
  char *entry_label;           /* "児童" */
  char *counter;               /* "人", "件" */
  GPtrArray *fields;           /* of cat_field, owned */
};

typedef struct cat_attachment {
  char *id;
  char *title;
  unsigned types;              /* CAT_TYPE_* */
  bool required;
  bool has_when;
  cat_condition when;
  bool omittable;              /* omittable_by_information_linkage */
  gint64 max_files;
} cat_attachment;

typedef struct cat_procedure {
  ps_catalog_summary summary;  /* points into the strings below */
  char *proc_id, *title, *title_kana, *category, *city_code, *city_name,
       *prefecture;
  int category_rank;
  char *search_text;           /* normalised haystack for keywords */
  JsonNode *definition;        /* the file as parsed, never modified */
  GPtrArray *sections;         /* of cat_section, owned */
  GHashTable *fields;          /* id -> cat_field (borrowed) */
  GHashTable *groups;          /* id -> repeated cat_section (borrowed) */
  GPtrArray *attachments;      /* of cat_attachment, owned */
  GHashTable *attachment_ids;  /* id -> cat_attachment (borrowed) */
} cat_procedure;

const cat_procedure *cat_find(const ps_catalog *cat, const char *proc_id);

/* What is wrong with a non-empty value of field f, as a Japanese sentence
 * that calls the field `name` (「氏名」（児童 2人目）), or NULL when the value
 * is valid. Requiredness is the caller's business. with_date_range: also
 * check date_range against today's date in JST. */
char *cat_value_problem(const cat_field *f, const char *name,
                        const char *value, bool with_date_range);

/* Search normalisation: NFKC, case folded, katakana folded to hiragana, runs
 * of white space as one ASCII space. NULL when s is not UTF-8. */
char *cat_normalize(const char *s);

/* The check digit rule of 個人番号 (総務省令第八十五号 第五条). */
bool cat_my_number_valid(const char *s);

#endif
