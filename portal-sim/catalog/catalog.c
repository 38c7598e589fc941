/* catalog.c - loading the procedure catalogue; search and lookup.
 *
 * Every file is checked completely at load so that the server never meets a
 * half-valid definition while answering a resident: a catalogue either loads
 * whole or not at all, with a message that names the file and the place in
 * it. After loading nothing is modified, which is what makes concurrent
 * readers safe. */
#include "catalog_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <libxml/parser.h>

G_DEFINE_QUARK(ps-catalog-error-quark, ps_catalog_error)

/* A procedure file larger than this is a mistake, not a form [S]. */
#define MAX_FILE_SIZE (1024 * 1024)
/* Limits that keep a definition something a person can fill in [S]. */
#define MAX_ID_LEN 64
#define MAX_ENTRIES 99
#define MAX_FILES 20

struct ps_catalog {
  GPtrArray *procs;            /* of cat_procedure, in search order */
  GHashTable *by_id;           /* proc_id -> cat_procedure (borrowed) */
};

/* The categories of portal-api.md §2 that this catalogue ships, in the
 * order search results list them. Another category needs content first. */
static const char *const categories[] = { "子育て", "介護", "被災者支援" };

static const char *const field_type_names[] = {
  [CAT_TEXT] = "text",
  [CAT_NUMBER] = "number",
  [CAT_DATE] = "date",
  [CAT_SELECT] = "select",
  [CAT_CHECKBOX] = "checkbox",
  [CAT_POSTAL_CODE] = "postal-code",
  [CAT_ADDRESS] = "address",
};

/* ---- freeing ---- */

static void choice_free(gpointer data)
{
  cat_choice *c = data;
  g_free(c->value);
  g_free(c->label);
  g_free(c);
}

static void condition_clear(cat_condition *c)
{
  g_free(c->field);
  g_free(c->value);
}

static void field_free(gpointer data)
{
  cat_field *f = data;
  g_free(f->id);
  g_free(f->label);
  condition_clear(&f->when);
  if(f->pattern)
    g_regex_unref(f->pattern);
  g_free(f->pattern_description);
  g_free(f->unit);
  if(f->choices)
    g_ptr_array_unref(f->choices);
  g_free(f);
}

static void section_free(gpointer data)
{
  cat_section *s = data;
  g_free(s->id);
  g_free(s->title);
  g_free(s->entry_label);
  g_free(s->counter);
  if(s->fields)
    g_ptr_array_unref(s->fields);
  g_free(s);
}

static void attachment_free(gpointer data)
{
  cat_attachment *a = data;
  g_free(a->id);
  g_free(a->title);
  condition_clear(&a->when);
  g_free(a);
}

static void procedure_free(gpointer data)
{
  cat_procedure *p = data;
  if(!p)
    return;
  g_free(p->proc_id);
  g_free(p->title);
  g_free(p->title_kana);
  g_free(p->category);
  g_free(p->city_code);
  g_free(p->city_name);
  g_free(p->prefecture);
  g_free(p->search_text);
  if(p->definition)
    json_node_unref(p->definition);
  g_ptr_array_unref(p->sections);
  g_hash_table_unref(p->fields);
  g_hash_table_unref(p->groups);
  g_ptr_array_unref(p->attachments);
  g_hash_table_unref(p->attachment_ids);
  g_free(p);
}

static cat_procedure *procedure_new(void)
{
  cat_procedure *p = g_new0(cat_procedure, 1);
  p->sections = g_ptr_array_new_with_free_func(section_free);
  p->fields = g_hash_table_new(g_str_hash, g_str_equal);
  p->groups = g_hash_table_new(g_str_hash, g_str_equal);
  p->attachments = g_ptr_array_new_with_free_func(attachment_free);
  p->attachment_ids = g_hash_table_new(g_str_hash, g_str_equal);
  return p;
}

void ps_catalog_free(ps_catalog *cat)
{
  if(!cat)
    return;
  g_hash_table_unref(cat->by_id);
  g_ptr_array_unref(cat->procs);
  g_free(cat);
}

/* ---- small checks shared with form.c ---- */

bool cat_my_number_valid(const char *s)
{
  static const int weights[11] = { 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
  if(strlen(s) != 12)
    return false;
  int sum = 0;
  for(int i = 0; i < 12; i++)
    if(!g_ascii_isdigit(s[i]))
      return false;
  for(int i = 0; i < 11; i++)
    sum += (s[i] - '0') * weights[i];
  int r = sum % 11;
  int check = r <= 1 ? 0 : 11 - r;
  return s[11] - '0' == check;
}

/* 全国地方公共団体コード: five digits and a check digit (weights 6 5 4 3 2,
 * 11 - sum mod 11, last digit of that). */
static bool city_code_valid(const char *s)
{
  static const int weights[5] = { 6, 5, 4, 3, 2 };
  if(strlen(s) != 6)
    return false;
  for(int i = 0; i < 6; i++)
    if(!g_ascii_isdigit(s[i]))
      return false;
  int sum = 0;
  for(int i = 0; i < 5; i++)
    sum += (s[i] - '0') * weights[i];
  return s[5] - '0' == (11 - sum % 11) % 10;
}

char *cat_normalize(const char *s)
{
  if(!g_utf8_validate(s, -1, NULL))
    return NULL;
  g_autofree char *nfkc = g_utf8_normalize(s, -1, G_NORMALIZE_NFKC);
  if(!nfkc)
    return NULL;
  g_autofree char *folded = g_utf8_casefold(nfkc, -1);
  GString *out = g_string_sized_new(strlen(folded));
  bool space = true;           /* drops leading white space */
  for(const char *c = folded; *c; c = g_utf8_next_char(c)) {
    gunichar u = g_utf8_get_char(c);
    if(g_unichar_isspace(u)) {
      if(!space)
        g_string_append_c(out, ' ');
      space = true;
      continue;
    }
    space = false;
    /* ァ..ヶ and the iteration marks ヽヾ sit 0x60 above their hiragana. */
    if((u >= 0x30A1 && u <= 0x30F6) || u == 0x30FD || u == 0x30FE)
      u -= 0x60;
    g_string_append_unichar(out, u);
  }
  if(out->len && out->str[out->len - 1] == ' ')
    g_string_truncate(out, out->len - 1);
  return g_string_free(out, FALSE);
}

static bool is_identifier(const char *s)
{
  size_t n = strlen(s);
  if(n == 0 || n > MAX_ID_LEN || !g_ascii_islower(s[0]))
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_')
      return false;
  return true;
}

/* "102016-jidouteate-nintei": the city code, then lower-case words joined
 * by single hyphens; at most 64 characters, which kousei.xml allows. */
static bool is_proc_id(const char *s)
{
  size_t n = strlen(s);
  if(n < 8 || n > 64 || s[6] != '-')
    return false;
  for(size_t i = 0; i < 6; i++)
    if(!g_ascii_isdigit(s[i]))
      return false;
  for(size_t i = 7; i < n; i++) {
    char c = s[i];
    if(c == '-') {
      if(s[i - 1] == '-' || i + 1 == n)
        return false;
    }
    else if(!g_ascii_islower(c) && !g_ascii_isdigit(c))
      return false;
  }
  return s[7] != '-';
}

static bool is_choice_value(const char *s)
{
  size_t n = strlen(s);
  if(n == 0 || n > MAX_ID_LEN)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

/* A reading in hiragana: ぁ..ゖ, ゝゞ, the long vowel mark, spaces. */
static bool is_hiragana_reading(const char *s)
{
  for(const char *c = s; *c; c = g_utf8_next_char(c)) {
    gunichar u = g_utf8_get_char(c);
    if(!((u >= 0x3041 && u <= 0x3096) || u == 0x309D || u == 0x309E ||
         u == 0x30FC || u == 0x3000 || u == ' '))
      return false;
  }
  return true;
}

/* ---- the strict JSON reader ---- */

typedef struct loader {
  const char *file;            /* base name, for messages */
  GString *path;               /* "$.form.sections[1]" */
  GError **error;
  /* Duplicate keys: json-glib keeps the last value silently, so the parser's
   * object-member signal records every name per object and the first
   * repeated one is reported when the walk reaches that object. */
  GHashTable *members;         /* JsonObject* -> GHashTable of names */
  JsonObject *dup_object;
  char *dup_name;
} loader;

static bool fail(loader *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool fail(loader *l, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(l->error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_SCHEMA, "%s: %s: %s",
              l->file, l->path->str, msg);
  return false;
}

static size_t push_key(loader *l, const char *key)
{
  size_t len = l->path->len;
  g_string_append_printf(l->path, ".%s", key);
  return len;
}

static size_t push_index(loader *l, guint i)
{
  size_t len = l->path->len;
  g_string_append_printf(l->path, "[%u]", i);
  return len;
}

static void pop(loader *l, size_t len)
{
  g_string_truncate(l->path, len);
}

static void on_object_member(JsonParser *parser, JsonObject *object,
                             const char *name, gpointer data)
{
  loader *l = data;
  GHashTable *names = g_hash_table_lookup(l->members, object);
  if(!names) {
    names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_insert(l->members, object, names);
  }
  if(g_hash_table_contains(names, name)) {
    if(!l->dup_object) {
      l->dup_object = object;
      l->dup_name = g_strdup(name);
    }
    return;
  }
  g_hash_table_add(names, g_strdup(name));
}

/* node must be an object without duplicate keys and with keys from
 * `allowed` (NULL-terminated) only. */
static JsonObject *as_object(loader *l, JsonNode *node,
                             const char *const *allowed)
{
  if(!JSON_NODE_HOLDS_OBJECT(node)) {
    fail(l, "must be an object");
    return NULL;
  }
  JsonObject *o = json_node_get_object(node);
  if(o == l->dup_object) {
    fail(l, "key \"%s\" appears more than once", l->dup_name);
    return NULL;
  }
  g_autoptr(GList) names = json_object_get_members(o);
  for(GList *it = names; it; it = it->next) {
    bool known = false;
    for(size_t i = 0; allowed[i]; i++)
      known = known || !strcmp(it->data, allowed[i]);
    if(!known) {
      g_autofree char *list = g_strjoinv(", ", (char **)allowed);
      fail(l, "unknown key \"%s\" (allowed: %s)", (const char *)it->data, list);
      return NULL;
    }
  }
  return o;
}

static bool missing(loader *l, const char *key)
{
  return fail(l, "required key \"%s\" is missing", key);
}

/* A non-empty string member; *out is NULL when absent and not required. */
static bool get_string(loader *l, JsonObject *o, const char *key,
                       bool required, char **out)
{
  *out = NULL;
  JsonNode *n = json_object_get_member(o, key);
  if(!n)
    return required ? missing(l, key) : true;
  size_t mark = push_key(l, key);
  if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return fail(l, "must be a string");
  const char *s = json_node_get_string(n);
  if(!*s)
    return fail(l, "must not be empty");
  pop(l, mark);
  *out = g_strdup(s);
  return true;
}

static bool get_bool(loader *l, JsonObject *o, const char *key, bool required,
                     bool *out)
{
  JsonNode *n = json_object_get_member(o, key);
  if(!n)
    return required ? missing(l, key) : true;
  size_t mark = push_key(l, key);
  if(!JSON_NODE_HOLDS_VALUE(n) ||
     json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return fail(l, "must be true or false");
  pop(l, mark);
  *out = json_node_get_boolean(n);
  return true;
}

/* An integer member in [lo, hi]; *present says whether it was there. */
static bool get_int(loader *l, JsonObject *o, const char *key, bool required,
                    gint64 lo, gint64 hi, gint64 *out, bool *present)
{
  JsonNode *n = json_object_get_member(o, key);
  if(present)
    *present = n != NULL;
  if(!n)
    return required ? missing(l, key) : true;
  size_t mark = push_key(l, key);
  if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return fail(l, "must be an integer");
  gint64 v = json_node_get_int(n);
  if(v < lo || v > hi)
    return fail(l, "must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                lo, hi);
  pop(l, mark);
  *out = v;
  return true;
}

/* An array member; *out stays NULL when it is absent and not required. */
static bool get_array(loader *l, JsonObject *o, const char *key, bool required,
                      bool nonempty, JsonArray **out)
{
  *out = NULL;
  JsonNode *n = json_object_get_member(o, key);
  if(!n)
    return required ? missing(l, key) : true;
  size_t mark = push_key(l, key);
  if(!JSON_NODE_HOLDS_ARRAY(n))
    return fail(l, "must be an array");
  JsonArray *a = json_node_get_array(n);
  if(nonempty && json_array_get_length(a) == 0)
    return fail(l, "must not be empty");
  pop(l, mark);
  *out = a;
  return true;
}

/* An optional array of non-empty strings; returns the strings through
 * append (may be NULL to only check). */
static bool get_string_list(loader *l, JsonObject *o, const char *key,
                            GString *append)
{
  JsonArray *a;
  if(!get_array(l, o, key, false, true, &a))
    return false;
  if(!a)
    return true;
  size_t mark = push_key(l, key);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *n = json_array_get_element(a, i);
    size_t m2 = push_index(l, i);
    if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
      return fail(l, "must be a string");
    if(!*json_node_get_string(n))
      return fail(l, "must not be empty");
    if(append)
      g_string_append_printf(append, " %s", json_node_get_string(n));
    pop(l, m2);
  }
  pop(l, mark);
  return true;
}

/* ---- procedure definitions ---- */

static const char *const condition_keys[] = { "field", "value", NULL };

static bool get_condition(loader *l, JsonObject *o, bool *has,
                          cat_condition *c)
{
  JsonNode *n = json_object_get_member(o, "required_when");
  *has = n != NULL;
  if(!n)
    return true;
  size_t mark = push_key(l, "required_when");
  JsonObject *co = as_object(l, n, condition_keys);
  if(!co || !get_string(l, co, "field", true, &c->field) ||
     !get_string(l, co, "value", true, &c->value))
    return false;
  pop(l, mark);
  return true;
}

static const char *const choice_keys[] = { "value", "label", NULL };

static bool parse_choices(loader *l, JsonObject *o, cat_field *f)
{
  JsonArray *a;
  if(!get_array(l, o, "choices", true, true, &a))
    return false;
  size_t mark = push_key(l, "choices");
  f->choices = g_ptr_array_new_with_free_func(choice_free);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    size_t m2 = push_index(l, i);
    JsonObject *co = as_object(l, json_array_get_element(a, i), choice_keys);
    if(!co)
      return false;
    cat_choice *c = g_new0(cat_choice, 1);
    g_ptr_array_add(f->choices, c);
    if(!get_string(l, co, "value", true, &c->value) ||
       !get_string(l, co, "label", true, &c->label))
      return false;
    if(!is_choice_value(c->value))
      return fail(l, "value \"%s\": use 1-%d ASCII letters, digits, '_' or '-'",
                  c->value, MAX_ID_LEN);
    for(guint j = 0; j < i; j++) {
      const cat_choice *prev = g_ptr_array_index(f->choices, j);
      if(!strcmp(prev->value, c->value))
        return fail(l, "value \"%s\" is already used by choices[%u]", c->value, j);
      if(!strcmp(prev->label, c->label))
        return fail(l, "label \"%s\" is already used by choices[%u]", c->label, j);
    }
    pop(l, m2);
  }
  pop(l, mark);
  return true;
}

/* Keys that only some field types may carry. */
typedef struct typed_key {
  const char *key;
  unsigned types;              /* bits of 1u << cat_field_type */
} typed_key;

#define T(t) (1u << (t))
static const typed_key typed_keys[] = {
  { "max_length", T(CAT_TEXT) | T(CAT_ADDRESS) },
  { "pattern", T(CAT_TEXT) | T(CAT_ADDRESS) },
  { "pattern_description", T(CAT_TEXT) | T(CAT_ADDRESS) },
  { "min", T(CAT_NUMBER) },
  { "max", T(CAT_NUMBER) },
  { "unit", T(CAT_NUMBER) },
  { "choices", T(CAT_SELECT) },
  { "multiline", T(CAT_TEXT) },
  { "date_range", T(CAT_DATE) },
  { "check", T(CAT_TEXT) },
};

/* prefill: data the kiosk may take from the card's 券面事項入力補助AP, and
 * the field type each needs. */
static const struct {
  const char *name;
  cat_field_type type;
} prefills[] = {
  { "name", CAT_TEXT },
  { "address", CAT_ADDRESS },
  { "birth_date", CAT_DATE },
};

static const char *const field_keys[] = {
  "id", "label", "type", "required", "required_when", "help", "example",
  "max_length", "pattern", "pattern_description", "min", "max", "unit",
  "choices", "multiline", "date_range", "check", "prefill", NULL
};

static bool parse_field(loader *l, JsonNode *node, cat_procedure *p,
                        cat_section *s)
{
  JsonObject *o = as_object(l, node, field_keys);
  if(!o)
    return false;
  cat_field *f = g_new0(cat_field, 1);
  f->section = s;
  g_ptr_array_add(s->fields, f);

  g_autofree char *type = NULL;
  if(!get_string(l, o, "id", true, &f->id) ||
     !get_string(l, o, "label", true, &f->label) ||
     !get_string(l, o, "type", true, &type) ||
     !get_bool(l, o, "required", true, &f->required) ||
     !get_condition(l, o, &f->has_when, &f->when))
    return false;
  size_t mark = push_key(l, "id");
  if(!is_identifier(f->id))
    return fail(l, "\"%s\" is not an id: use 1-%d of a-z 0-9 _, starting with a letter",
                f->id, MAX_ID_LEN);
  if(g_hash_table_contains(p->fields, f->id) ||
     g_hash_table_contains(p->groups, f->id))
    return fail(l, "\"%s\" is already used in this form", f->id);
  g_hash_table_insert(p->fields, f->id, f);
  pop(l, mark);

  mark = push_key(l, "type");
  bool known = false;
  for(size_t i = 0; i < G_N_ELEMENTS(field_type_names); i++)
    if(!strcmp(type, field_type_names[i])) {
      f->type = (cat_field_type)i;
      known = true;
    }
  if(!known)
    return fail(l, "unknown type \"%s\" (text, number, date, select, checkbox, "
                "postal-code, address)", type);
  pop(l, mark);

  for(size_t i = 0; i < G_N_ELEMENTS(typed_keys); i++)
    if(json_object_has_member(o, typed_keys[i].key) &&
       !(typed_keys[i].types & T(f->type))) {
      mark = push_key(l, typed_keys[i].key);
      return fail(l, "not allowed for a field of type \"%s\"", type);
    }

  if(f->required && f->has_when) {
    mark = push_key(l, "required_when");
    return fail(l, "a field with \"required\": true cannot also have required_when");
  }

  g_autofree char *help = NULL, *pattern = NULL;
  if(!get_string(l, o, "help", false, &help) ||
     !get_string(l, o, "unit", false, &f->unit) ||
     !get_int(l, o, "max_length", false, 1, 100000, &f->max_length, NULL) ||
     !get_int(l, o, "min", false, G_MININT64, G_MAXINT64, &f->min, &f->has_min) ||
     !get_int(l, o, "max", false, G_MININT64, G_MAXINT64, &f->max, &f->has_max) ||
     !get_bool(l, o, "multiline", false, &f->multiline) ||
     !get_string(l, o, "pattern", false, &pattern) ||
     !get_string(l, o, "pattern_description", false, &f->pattern_description))
    return false;
  if(f->has_min && f->has_max && f->min > f->max) {
    mark = push_key(l, "max");
    return fail(l, "is smaller than min");
  }

  if(pattern) {
    mark = push_key(l, "pattern");
    /* The pattern must match the whole value, whatever it says itself. */
    g_autofree char *anchored = g_strdup_printf("\\A(?:%s)\\z", pattern);
    g_autoptr(GError) rerr = NULL;
    f->pattern = g_regex_new(anchored, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, &rerr);
    if(!f->pattern)
      return fail(l, "does not compile as a GRegex: %s", rerr->message);
    pop(l, mark);
    if(!f->pattern_description)
      return missing(l, "pattern_description");
  }
  else if(f->pattern_description) {
    mark = push_key(l, "pattern_description");
    return fail(l, "given without a pattern");
  }

  if(f->type == CAT_SELECT && !parse_choices(l, o, f))
    return false;

  g_autofree char *range = NULL, *check = NULL, *prefill = NULL;
  if(!get_string(l, o, "date_range", false, &range) ||
     !get_string(l, o, "check", false, &check) ||
     !get_string(l, o, "prefill", false, &prefill))
    return false;
  if(range) {
    mark = push_key(l, "date_range");
    if(!strcmp(range, "past"))
      f->date_range = CAT_DATE_PAST;
    else if(!strcmp(range, "future"))
      f->date_range = CAT_DATE_FUTURE;
    else
      return fail(l, "must be \"past\" or \"future\"");
    pop(l, mark);
  }
  if(check) {
    mark = push_key(l, "check");
    if(strcmp(check, "my_number"))
      return fail(l, "unknown check \"%s\" (my_number)", check);
    f->my_number = true;
    pop(l, mark);
  }
  if(prefill) {
    mark = push_key(l, "prefill");
    bool ok = false;
    for(size_t i = 0; i < G_N_ELEMENTS(prefills); i++)
      if(!strcmp(prefill, prefills[i].name)) {
        if(prefills[i].type != f->type)
          return fail(l, "\"%s\" needs a field of type \"%s\"", prefill,
                      field_type_names[prefills[i].type]);
        ok = true;
      }
    if(!ok)
      return fail(l, "unknown prefill \"%s\" (name, address, birth_date)", prefill);
    pop(l, mark);
  }

  /* The example must pass its own field: this catches patterns, choices and
   * limits that contradict each other. The date range is left out, since a
   * date that is in the future today will not be next year. */
  g_autofree char *example = NULL;
  if(!get_string(l, o, "example", false, &example))
    return false;
  if(example) {
    mark = push_key(l, "example");
    g_autofree char *name = g_strdup_printf("「%s」", f->label);
    g_autofree char *problem = cat_value_problem(f, name, example, false);
    if(problem)
      return fail(l, "rejected by its own field: %s", problem);
    pop(l, mark);
  }
  return true;
}

static const char *const section_keys[] = {
  "id", "title", "description", "repeat", "fields", NULL
};
static const char *const repeat_keys[] = {
  "min", "max", "entry_label", "counter", NULL
};

static bool parse_section(loader *l, JsonNode *node, cat_procedure *p)
{
  JsonObject *o = as_object(l, node, section_keys);
  if(!o)
    return false;
  cat_section *s = g_new0(cat_section, 1);
  s->fields = g_ptr_array_new_with_free_func(field_free);
  g_ptr_array_add(p->sections, s);
  g_autofree char *description = NULL;
  if(!get_string(l, o, "id", true, &s->id) ||
     !get_string(l, o, "title", true, &s->title) ||
     !get_string(l, o, "description", false, &description))
    return false;
  size_t mark = push_key(l, "id");
  if(!is_identifier(s->id))
    return fail(l, "\"%s\" is not an id: use 1-%d of a-z 0-9 _, starting with a letter",
                s->id, MAX_ID_LEN);
  if(g_hash_table_contains(p->fields, s->id))
    return fail(l, "\"%s\" is already used in this form", s->id);
  for(guint i = 0; i + 1 < p->sections->len; i++)
    if(!strcmp(((cat_section *)g_ptr_array_index(p->sections, i))->id, s->id))
      return fail(l, "\"%s\" is already used in this form", s->id);
  pop(l, mark);

  JsonNode *rep = json_object_get_member(o, "repeat");
  if(rep) {
    mark = push_key(l, "repeat");
    JsonObject *ro = as_object(l, rep, repeat_keys);
    if(!ro ||
       !get_int(l, ro, "min", true, 0, MAX_ENTRIES, &s->min_entries, NULL) ||
       !get_int(l, ro, "max", true, 1, MAX_ENTRIES, &s->max_entries, NULL) ||
       !get_string(l, ro, "entry_label", true, &s->entry_label) ||
       !get_string(l, ro, "counter", false, &s->counter))
      return false;
    if(s->max_entries < s->min_entries) {
      push_key(l, "max");
      return fail(l, "is smaller than min");
    }
    if(!s->counter)
      s->counter = g_strdup("件");
    s->repeated = true;
    g_hash_table_insert(p->groups, s->id, s);
    pop(l, mark);
  }

  JsonArray *fields;
  if(!get_array(l, o, "fields", true, true, &fields))
    return false;
  mark = push_key(l, "fields");
  for(guint i = 0; i < json_array_get_length(fields); i++) {
    size_t m2 = push_index(l, i);
    if(!parse_field(l, json_array_get_element(fields, i), p, s))
      return false;
    pop(l, m2);
  }
  pop(l, mark);
  return true;
}

/* A condition may only look at a select or a checkbox: those are the
 * answers a form branches on, and their values are known in advance. */
static bool resolve_condition(loader *l, cat_procedure *p, cat_condition *c,
                              const cat_field *self, const cat_section *scope)
{
  size_t mark = push_key(l, "required_when");
  const cat_field *t = g_hash_table_lookup(p->fields, c->field);
  if(!t)
    return fail(l, "field \"%s\" does not exist in this form", c->field);
  if(t == self)
    return fail(l, "a field cannot depend on itself");
  if(scope && t->section->repeated && t->section != scope)
    return fail(l, "field \"%s\" is in the repeated section \"%s\"; a field can "
                "depend on a repeated field only from the same section",
                c->field, t->section->id);
  if(t->type == CAT_CHECKBOX) {
    if(strcmp(c->value, "true"))
      return fail(l, "field \"%s\" is a checkbox: the value must be \"true\"", c->field);
  }
  else if(t->type == CAT_SELECT) {
    bool found = false;
    for(guint i = 0; i < t->choices->len; i++)
      found = found || !strcmp(((cat_choice *)g_ptr_array_index(t->choices, i))->value,
                               c->value);
    if(!found)
      return fail(l, "\"%s\" is not a choice of field \"%s\"", c->value, c->field);
  }
  else
    return fail(l, "field \"%s\" is neither a select nor a checkbox", c->field);
  c->target = t;
  pop(l, mark);
  return true;
}

static const char *const attachment_keys[] = {
  "id", "title", "description", "content_types", "required", "required_when",
  "omittable_by_information_linkage", "linkage_note", "max_files", NULL
};

static bool parse_attachment(loader *l, JsonNode *node, cat_procedure *p)
{
  JsonObject *o = as_object(l, node, attachment_keys);
  if(!o)
    return false;
  cat_attachment *a = g_new0(cat_attachment, 1);
  g_ptr_array_add(p->attachments, a);
  a->max_files = 1;
  g_autofree char *description = NULL, *note = NULL;
  if(!get_string(l, o, "id", true, &a->id) ||
     !get_string(l, o, "title", true, &a->title) ||
     !get_string(l, o, "description", false, &description) ||
     !get_bool(l, o, "required", true, &a->required) ||
     !get_condition(l, o, &a->has_when, &a->when) ||
     !get_bool(l, o, "omittable_by_information_linkage", true, &a->omittable) ||
     !get_string(l, o, "linkage_note", false, &note) ||
     !get_int(l, o, "max_files", false, 1, MAX_FILES, &a->max_files, NULL))
    return false;
  size_t mark = push_key(l, "id");
  if(!is_identifier(a->id))
    return fail(l, "\"%s\" is not an id: use 1-%d of a-z 0-9 _, starting with a letter",
                a->id, MAX_ID_LEN);
  if(g_hash_table_contains(p->attachment_ids, a->id))
    return fail(l, "\"%s\" is already used by another attachment", a->id);
  g_hash_table_insert(p->attachment_ids, a->id, a);
  pop(l, mark);

  JsonArray *types;
  if(!get_array(l, o, "content_types", true, true, &types))
    return false;
  mark = push_key(l, "content_types");
  for(guint i = 0; i < json_array_get_length(types); i++) {
    JsonNode *n = json_array_get_element(types, i);
    size_t m2 = push_index(l, i);
    if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
      return fail(l, "must be a string");
    const char *t = json_node_get_string(n);
    unsigned bit = !strcmp(t, "image/jpeg") ? CAT_TYPE_JPEG
                 : !strcmp(t, "image/png") ? CAT_TYPE_PNG
                 : !strcmp(t, "application/pdf") ? CAT_TYPE_PDF : 0;
    if(!bit)
      return fail(l, "\"%s\" is not accepted (image/jpeg, image/png, application/pdf)", t);
    if(a->types & bit)
      return fail(l, "\"%s\" is listed twice", t);
    a->types |= bit;
    pop(l, m2);
  }
  pop(l, mark);

  if(a->required && a->has_when) {
    push_key(l, "required_when");
    return fail(l, "an attachment with \"required\": true cannot also have required_when");
  }
  if(a->omittable && !a->required && !a->has_when) {
    push_key(l, "omittable_by_information_linkage");
    return fail(l, "true for an attachment that is never required");
  }
  if(note && !a->omittable) {
    push_key(l, "linkage_note");
    return fail(l, "given for an attachment that cannot be omitted");
  }
  if(a->has_when && !resolve_condition(l, p, &a->when, NULL, NULL))
    return false;
  return true;
}

static const char *const procedure_keys[] = {
  "proc_id", "title", "title_kana", "category", "city_code", "city_name",
  "prefecture", "description", "keywords", "signature_required", "submit_to",
  "processing_period", "deadline", "legal_basis", "notes", "form",
  "attachments", NULL
};
static const char *const form_keys[] = { "sections", NULL };

static bool parse_procedure(loader *l, JsonNode *root, const char *expect_id,
                            cat_procedure *p)
{
  JsonObject *o = as_object(l, root, procedure_keys);
  if(!o)
    return false;
  g_autofree char *description = NULL, *submit_to = NULL, *period = NULL,
                  *deadline = NULL, *basis = NULL;
  if(!get_string(l, o, "proc_id", true, &p->proc_id) ||
     !get_string(l, o, "title", true, &p->title) ||
     !get_string(l, o, "title_kana", true, &p->title_kana) ||
     !get_string(l, o, "category", true, &p->category) ||
     !get_string(l, o, "city_code", true, &p->city_code) ||
     !get_string(l, o, "city_name", true, &p->city_name) ||
     !get_string(l, o, "prefecture", true, &p->prefecture) ||
     !get_string(l, o, "description", true, &description) ||
     !get_bool(l, o, "signature_required", true, &p->summary.signature_required) ||
     !get_string(l, o, "submit_to", true, &submit_to) ||
     !get_string(l, o, "processing_period", false, &period) ||
     !get_string(l, o, "deadline", false, &deadline) ||
     !get_string(l, o, "legal_basis", false, &basis) ||
     !get_string_list(l, o, "notes", NULL))
    return false;

  size_t mark = push_key(l, "city_code");
  if(!city_code_valid(p->city_code))
    return fail(l, "\"%s\" is not a local government code (6 digits, the last a "
                "check digit)", p->city_code);
  pop(l, mark);

  mark = push_key(l, "proc_id");
  if(!is_proc_id(p->proc_id))
    return fail(l, "\"%s\" is not a procedure id: the 6-digit city code, '-', then "
                "lower-case words of a-z 0-9 joined by '-'", p->proc_id);
  if(strcmp(p->proc_id, expect_id))
    return fail(l, "\"%s\" differs from the file name: the file must be %s.json",
                p->proc_id, p->proc_id);
  if(strncmp(p->proc_id, p->city_code, 6))
    return fail(l, "must start with the city_code \"%s\"", p->city_code);
  pop(l, mark);

  mark = push_key(l, "title_kana");
  if(!is_hiragana_reading(p->title_kana))
    return fail(l, "must be hiragana (and ー, spaces) only");
  pop(l, mark);

  mark = push_key(l, "category");
  p->category_rank = -1;
  for(size_t i = 0; i < G_N_ELEMENTS(categories); i++)
    if(!strcmp(p->category, categories[i]))
      p->category_rank = (int)i;
  if(p->category_rank < 0)
    return fail(l, "unknown category \"%s\" (子育て, 介護, 被災者支援)", p->category);
  pop(l, mark);

  g_autoptr(GString) hay = g_string_new(NULL);
  g_string_append_printf(hay, "%s %s %s %s %s %s", p->title, p->title_kana,
                         description, p->category, p->city_name, p->prefecture);
  if(!get_string_list(l, o, "keywords", hay))
    return false;

  JsonNode *form = json_object_get_member(o, "form");
  if(!form)
    return missing(l, "form");
  mark = push_key(l, "form");
  JsonObject *fo = as_object(l, form, form_keys);
  JsonArray *sections;
  if(!fo || !get_array(l, fo, "sections", true, true, &sections))
    return false;
  size_t m2 = push_key(l, "sections");
  for(guint i = 0; i < json_array_get_length(sections); i++) {
    size_t m3 = push_index(l, i);
    if(!parse_section(l, json_array_get_element(sections, i), p))
      return false;
    pop(l, m3);
  }
  /* Conditions are resolved once every field is known, so a field may
   * depend on one further down the form. */
  for(guint i = 0; i < p->sections->len; i++) {
    cat_section *s = g_ptr_array_index(p->sections, i);
    for(guint j = 0; j < s->fields->len; j++) {
      cat_field *f = g_ptr_array_index(s->fields, j);
      if(!f->has_when)
        continue;
      size_t m3 = push_index(l, i);
      g_string_append_printf(l->path, ".fields[%u]", j);
      if(!resolve_condition(l, p, &f->when, f, s))
        return false;
      pop(l, m3);
    }
  }
  pop(l, m2);
  pop(l, mark);

  JsonArray *attachments;
  if(!get_array(l, o, "attachments", true, false, &attachments))
    return false;
  mark = push_key(l, "attachments");
  for(guint i = 0; i < json_array_get_length(attachments); i++) {
    m2 = push_index(l, i);
    if(!parse_attachment(l, json_array_get_element(attachments, i), p))
      return false;
    pop(l, m2);
  }
  pop(l, mark);

  p->search_text = cat_normalize(hay->str);
  p->summary.proc_id = p->proc_id;
  p->summary.title = p->title;
  p->summary.category = p->category;
  p->summary.city_code = p->city_code;
  p->summary.city_name = p->city_name;
  p->summary.prefecture = p->prefecture;
  return true;
}

static bool load_file(const char *dir, const char *name, cat_procedure **out,
                      GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  GStatBuf st;
  if(g_stat(path, &st) != 0) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_IO, "%s: %s", name,
                g_strerror(errno));
    return false;
  }
  if(!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_IO,
                "%s: not a regular file of at most %d bytes", name, MAX_FILE_SIZE);
    return false;
  }
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) ioerr = NULL;
  if(!g_file_get_contents(path, &text, &len, &ioerr)) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_IO, "%s: %s", name,
                ioerr->message);
    return false;
  }
  if(!g_utf8_validate(text, (gssize)len, NULL)) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_SYNTAX,
                "%s: not UTF-8 text", name);
    return false;
  }

  g_autofree char *expect_id = g_strndup(name, strlen(name) - strlen(".json"));
  loader l = {
    .file = name,
    .path = g_string_new("$"),
    .error = error,
    .members = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     (GDestroyNotify)g_hash_table_unref),
  };
  cat_procedure *p = procedure_new();
  bool ok = false;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &l);
  g_autoptr(GError) jerr = NULL;
  if(!json_parser_load_from_data(parser, text, (gssize)len, &jerr)) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_SYNTAX,
                "%s: not valid JSON: %s", name, jerr->message);
    goto out;
  }
  JsonNode *root = json_parser_get_root(parser);
  if(!root) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_SYNTAX,
                "%s: empty file", name);
    goto out;
  }
  if(!parse_procedure(&l, root, expect_id, p))
    goto out;
  p->definition = json_parser_steal_root(parser);
  ok = true;

out:
  g_string_free(l.path, TRUE);
  g_hash_table_unref(l.members);
  g_free(l.dup_name);
  if(!ok) {
    procedure_free(p);
    return false;
  }
  *out = p;
  return true;
}

static gint compare_procedures(gconstpointer a, gconstpointer b)
{
  const cat_procedure *x = *(cat_procedure *const *)a;
  const cat_procedure *y = *(cat_procedure *const *)b;
  int c = strcmp(x->city_code, y->city_code);
  if(c)
    return c;
  if(x->category_rank != y->category_rank)
    return x->category_rank < y->category_rank ? -1 : 1;
  /* Hiragana in code point order is 五十音順 (voiced after unvoiced), the
   * order a Japanese listing uses. */
  c = strcmp(x->title_kana, y->title_kana);
  if(c)
    return c;
  return strcmp(x->proc_id, y->proc_id);
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

bool ps_catalog_load(const char *dir, ps_catalog **out, GError **error)
{
  /* libxml2 must be initialised once before threads use it (form.c). */
  xmlInitParser();

  g_autoptr(GError) derr = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &derr);
  if(!d) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_IO,
                "catalogue folder: %s", derr->message);
    return false;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while((name = g_dir_read_name(d)))
    if(name[0] != '.' && g_str_has_suffix(name, ".json"))
      g_ptr_array_add(names, g_strdup(name));
  if(names->len == 0) {
    g_set_error(error, PS_CATALOG_ERROR, PS_CATALOG_ERROR_EMPTY,
                "catalogue folder %s holds no *.json procedure file", dir);
    return false;
  }
  /* Sorted, so that the first error reported is the same on every run. */
  g_ptr_array_sort(names, compare_strings);

  ps_catalog *cat = g_new0(ps_catalog, 1);
  cat->procs = g_ptr_array_new_with_free_func(procedure_free);
  cat->by_id = g_hash_table_new(g_str_hash, g_str_equal);
  for(guint i = 0; i < names->len; i++) {
    cat_procedure *p;
    if(!load_file(dir, g_ptr_array_index(names, i), &p, error)) {
      ps_catalog_free(cat);
      return false;
    }
    /* The file name is the proc_id, so two files cannot share one. */
    g_ptr_array_add(cat->procs, p);
    g_hash_table_insert(cat->by_id, p->proc_id, p);
  }
  g_ptr_array_sort(cat->procs, compare_procedures);
  *out = cat;
  return true;
}

/* ---- queries ---- */

size_t ps_catalog_count(const ps_catalog *cat)
{
  return cat->procs->len;
}

const cat_procedure *cat_find(const ps_catalog *cat, const char *proc_id)
{
  return proc_id ? g_hash_table_lookup(cat->by_id, proc_id) : NULL;
}

const ps_catalog_summary *ps_catalog_lookup(const ps_catalog *cat,
                                            const char *proc_id)
{
  const cat_procedure *p = cat_find(cat, proc_id);
  return p ? &p->summary : NULL;
}

static JsonNode *summary_json(const cat_procedure *p)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "proc_id", p->proc_id);
  json_object_set_string_member(o, "title", p->title);
  json_object_set_string_member(o, "category", p->category);
  json_object_set_string_member(o, "city_code", p->city_code);
  json_object_set_string_member(o, "city_name", p->city_name);
  json_object_set_string_member(o, "prefecture", p->prefecture);
  json_object_set_boolean_member(o, "signature_required",
                                 p->summary.signature_required);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

JsonNode *ps_catalog_search(const ps_catalog *cat, const char *city_code,
                            const char *category, const char *keyword,
                            size_t limit, size_t offset, size_t *total)
{
  JsonArray *results = json_array_new();
  size_t matches = 0;
  g_auto(GStrv) terms = NULL;
  bool searchable = true;
  if(keyword && *keyword) {
    g_autofree char *norm = cat_normalize(keyword);
    if(norm)
      terms = g_strsplit(norm, " ", -1);
    else
      searchable = false;
  }
  for(guint i = 0; searchable && i < cat->procs->len; i++) {
    const cat_procedure *p = g_ptr_array_index(cat->procs, i);
    if(city_code && *city_code && strcmp(city_code, p->city_code))
      continue;
    if(category && *category && strcmp(category, p->category))
      continue;
    bool hit = true;
    for(size_t t = 0; terms && terms[t] && hit; t++)
      hit = !*terms[t] || strstr(p->search_text, terms[t]);
    if(!hit)
      continue;
    if(matches >= offset && (limit == 0 || matches - offset < limit))
      json_array_add_element(results, summary_json(p));
    matches++;
  }
  if(total)
    *total = matches;
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, results);
  return n;
}

/* A copy that shares nothing with the original: json_node_copy shares
 * objects and arrays by reference count, and the catalogue's nodes must not
 * see reference counting from several threads. Members keep their order. */
static JsonNode *deep_copy(JsonNode *src)
{
  switch(JSON_NODE_TYPE(src)) {
  case JSON_NODE_OBJECT: {
    JsonObject *so = json_node_get_object(src);
    JsonObject *dobj = json_object_new();
    JsonObjectIter it;
    const char *name;
    JsonNode *member;
    json_object_iter_init_ordered(&it, so);
    while(json_object_iter_next_ordered(&it, &name, &member))
      json_object_set_member(dobj, name, deep_copy(member));
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, dobj);
    return n;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *sa = json_node_get_array(src);
    JsonArray *da = json_array_sized_new(json_array_get_length(sa));
    for(guint i = 0; i < json_array_get_length(sa); i++)
      json_array_add_element(da, deep_copy(json_array_get_element(sa, i)));
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, da);
    return n;
  }
  case JSON_NODE_VALUE: {
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    GType t = json_node_get_value_type(src);
    if(t == G_TYPE_STRING)
      json_node_set_string(n, json_node_get_string(src));
    else if(t == G_TYPE_INT64)
      json_node_set_int(n, json_node_get_int(src));
    else if(t == G_TYPE_DOUBLE)
      json_node_set_double(n, json_node_get_double(src));
    else
      json_node_set_boolean(n, json_node_get_boolean(src));
    return n;
  }
  case JSON_NODE_NULL:
  default:
    return json_node_new(JSON_NODE_NULL);
  }
}

JsonNode *ps_catalog_get(const ps_catalog *cat, const char *proc_id)
{
  const cat_procedure *p = cat_find(cat, proc_id);
  return p ? deep_copy(p->definition) : NULL;
}

bool ps_catalog_attachment_accepts(const ps_catalog *cat, const char *proc_id,
                                   const char *attachment_id,
                                   const char *content_type)
{
  const cat_procedure *p = cat_find(cat, proc_id);
  if(!p || !attachment_id || !content_type)
    return false;
  const cat_attachment *a = g_hash_table_lookup(p->attachment_ids, attachment_id);
  if(!a)
    return false;
  unsigned bit = !strcmp(content_type, "image/jpeg") ? CAT_TYPE_JPEG
               : !strcmp(content_type, "image/png") ? CAT_TYPE_PNG
               : !strcmp(content_type, "application/pdf") ? CAT_TYPE_PDF : 0;
  return (a->types & bit) != 0;
}
