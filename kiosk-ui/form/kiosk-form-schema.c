/* kiosk-form-schema.c - reading the procedure definition into the form model.
 *
 * Every problem names the place in the definition ("$.form.sections[2]
 * .fields[1].choices") so that a broken catalogue entry can be found from
 * the kiosk's journal; the resident only sees that the form cannot be
 * shown. */

#include "kiosk-form-schema.h"

#include <string.h>

G_DEFINE_QUARK (kiosk-form-schema-error-quark, kiosk_form_schema_error)

/* ---- freeing ---- */

static void
choice_free (gpointer data)
{
  KioskChoiceSpec *c = data;

  g_free (c->value);
  g_free (c->label);
  g_free (c);
}

static void
condition_clear (KioskConditionSpec *w)
{
  g_clear_pointer (&w->field, g_free);
  g_clear_pointer (&w->value, g_free);
}

static void
field_free (gpointer data)
{
  KioskFieldSpec *f = data;

  g_free (f->id);
  g_free (f->label);
  condition_clear (&f->when);
  g_free (f->help);
  g_free (f->example);
  g_free (f->prefill);
  g_free (f->pattern_source);
  g_clear_pointer (&f->pattern, g_regex_unref);
  g_free (f->pattern_description);
  g_free (f->unit);
  g_clear_pointer (&f->choices, g_ptr_array_unref);
  g_free (f);
}

static void
section_free (gpointer data)
{
  KioskSectionSpec *s = data;

  g_free (s->id);
  g_free (s->title);
  g_free (s->description);
  g_free (s->entry_label);
  g_free (s->counter);
  g_clear_pointer (&s->fields, g_ptr_array_unref);
  g_free (s);
}

static void
attachment_free (gpointer data)
{
  KioskAttachmentSpec *a = data;

  g_free (a->id);
  g_free (a->title);
  g_free (a->description);
  condition_clear (&a->when);
  g_free (a->linkage_note);
  g_free (a);
}

void
kiosk_procedure_spec_free (KioskProcedureSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->proc_id);
  g_free (spec->title);
  g_free (spec->city_name);
  g_free (spec->submit_to);
  g_clear_pointer (&spec->fields, g_hash_table_unref);
  g_clear_pointer (&spec->section_ids, g_hash_table_unref);
  g_clear_pointer (&spec->attachment_ids, g_hash_table_unref);
  g_clear_pointer (&spec->sections, g_ptr_array_unref);
  g_clear_pointer (&spec->attachments, g_ptr_array_unref);
  g_free (spec);
}

/* ---- reading JSON members ---- */

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError **error, const char *path, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, KIOSK_FORM_SCHEMA_ERROR, KIOSK_FORM_SCHEMA_ERROR_INVALID,
               "%s: %s", path, msg);
  return FALSE;
}

static JsonNode *
member (JsonObject *o, const char *key)
{
  return json_object_has_member (o, key) ? json_object_get_member (o, key) : NULL;
}

/* A string member: *out is a copy, or NULL when absent and not needed. */
static gboolean
get_string (JsonObject *o, const char *key, gboolean needed, const char *path,
            char **out, GError **error)
{
  JsonNode *n = member (o, key);

  *out = NULL;
  if (n == NULL)
    return needed ? fail (error, path, "\"%s\" is missing", key) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fail (error, path, "\"%s\" is not a string", key);
  if (!g_utf8_validate (json_node_get_string (n), -1, NULL))
    return fail (error, path, "\"%s\" is not UTF-8", key);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_bool (JsonObject *o, const char *key, gboolean needed, const char *path,
          gboolean *out, GError **error)
{
  JsonNode *n = member (o, key);

  *out = FALSE;
  if (n == NULL)
    return needed ? fail (error, path, "\"%s\" is missing", key) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fail (error, path, "\"%s\" is not true or false", key);
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
get_int (JsonObject *o, const char *key, const char *path, gint64 lo, gint64 hi,
         gint64 *out, gboolean *present, GError **error)
{
  JsonNode *n = member (o, key);

  if (present != NULL)
    *present = n != NULL;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return fail (error, path, "\"%s\" is not an integer", key);
  *out = json_node_get_int (n);
  if (*out < lo || *out > hi)
    return fail (error, path, "\"%s\" is out of range", key);
  return TRUE;
}

static JsonObject *
get_object (JsonNode *n, const char *path, GError **error)
{
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      fail (error, path, "is not an object");
      return NULL;
    }
  return json_node_get_object (n);
}

static JsonArray *
get_array (JsonObject *o, const char *key, gboolean needed, const char *path, GError **error)
{
  JsonNode *n = member (o, key);

  if (n == NULL)
    {
      if (needed)
        fail (error, path, "\"%s\" is missing", key);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (n))
    {
      fail (error, path, "\"%s\" is not an array", key);
      return NULL;
    }
  return json_node_get_array (n);
}

/* [a-z][a-z0-9_]*, at most 64: the ids the form XML carries. */
static gboolean
is_id (const char *s)
{
  size_t n = s ? strlen (s) : 0;

  if (n == 0 || n > 64 || !g_ascii_islower (s[0]))
    return FALSE;
  for (size_t i = 1; i < n; i++)
    if (!g_ascii_islower (s[i]) && !g_ascii_isdigit (s[i]) && s[i] != '_')
      return FALSE;
  return TRUE;
}

static gboolean
get_id (JsonObject *o, const char *path, char **out, GError **error)
{
  if (!get_string (o, "id", TRUE, path, out, error))
    return FALSE;
  if (!is_id (*out))
    return fail (error, path, "\"id\" is not an identifier");
  return TRUE;
}

static gboolean
get_condition (JsonObject *o, const char *path, gboolean *has, KioskConditionSpec *w,
               GError **error)
{
  JsonNode *n = member (o, "required_when");
  g_autofree char *sub = NULL;
  JsonObject *c;

  *has = n != NULL;
  if (n == NULL)
    return TRUE;
  sub = g_strdup_printf ("%s.required_when", path);
  if ((c = get_object (n, sub, error)) == NULL)
    return FALSE;
  return get_string (c, "field", TRUE, sub, &w->field, error) &&
         get_string (c, "value", TRUE, sub, &w->value, error);
}

/* ---- fields ---- */

static const struct {
  const char *name;
  KioskFieldType type;
} field_types[] = {
  { "text", KIOSK_FIELD_TEXT },
  { "number", KIOSK_FIELD_NUMBER },
  { "date", KIOSK_FIELD_DATE },
  { "select", KIOSK_FIELD_SELECT },
  { "checkbox", KIOSK_FIELD_CHECKBOX },
  { "postal-code", KIOSK_FIELD_POSTAL_CODE },
  { "address", KIOSK_FIELD_ADDRESS },
};

static gboolean
read_choices (JsonObject *o, KioskFieldSpec *f, const char *path, GError **error)
{
  g_autofree char *sub = g_strdup_printf ("%s.choices", path);
  JsonArray *a;

  if (member (o, "choices") == NULL)
    return f->type != KIOSK_FIELD_SELECT ? TRUE : fail (error, path, "\"choices\" is missing");
  if ((a = get_array (o, "choices", TRUE, path, error)) == NULL)
    return FALSE;
  if (f->type != KIOSK_FIELD_SELECT)
    return fail (error, path, "\"choices\" on a field that is not a select");
  if (json_array_get_length (a) == 0)
    return fail (error, sub, "is empty");
  f->choices = g_ptr_array_new_with_free_func (choice_free);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      g_autofree char *cpath = g_strdup_printf ("%s[%u]", sub, i);
      JsonObject *co = get_object (json_array_get_element (a, i), cpath, error);
      KioskChoiceSpec *c;

      if (co == NULL)
        return FALSE;
      c = g_new0 (KioskChoiceSpec, 1);
      g_ptr_array_add (f->choices, c);
      if (!get_string (co, "value", TRUE, cpath, &c->value, error) ||
          !get_string (co, "label", TRUE, cpath, &c->label, error))
        return FALSE;
      if (c->value[0] == '\0')
        return fail (error, cpath, "\"value\" is empty");
    }
  return TRUE;
}

static gboolean
read_field (JsonNode *node, const char *path, KioskFieldSpec *f, GError **error)
{
  JsonObject *o = get_object (node, path, error);
  g_autofree char *type = NULL, *check = NULL, *range = NULL;
  gboolean known = FALSE;

  if (o == NULL)
    return FALSE;
  if (!get_id (o, path, &f->id, error) ||
      !get_string (o, "label", TRUE, path, &f->label, error) ||
      !get_string (o, "type", TRUE, path, &type, error) ||
      !get_bool (o, "required", FALSE, path, &f->required, error) ||
      !get_condition (o, path, &f->has_when, &f->when, error) ||
      !get_string (o, "help", FALSE, path, &f->help, error) ||
      !get_string (o, "example", FALSE, path, &f->example, error) ||
      !get_string (o, "prefill", FALSE, path, &f->prefill, error) ||
      !get_int (o, "max_length", path, 1, 100000, &f->max_length, NULL, error) ||
      !get_string (o, "pattern", FALSE, path, &f->pattern_source, error) ||
      !get_string (o, "pattern_description", FALSE, path, &f->pattern_description, error) ||
      !get_int (o, "min", path, G_MININT64, G_MAXINT64, &f->min, &f->has_min, error) ||
      !get_int (o, "max", path, G_MININT64, G_MAXINT64, &f->max, &f->has_max, error) ||
      !get_string (o, "unit", FALSE, path, &f->unit, error) ||
      !get_bool (o, "multiline", FALSE, path, &f->multiline, error) ||
      !get_string (o, "check", FALSE, path, &check, error) ||
      !get_string (o, "date_range", FALSE, path, &range, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (field_types); i++)
    if (g_str_equal (type, field_types[i].name))
      {
        f->type = field_types[i].type;
        known = TRUE;
      }
  if (!known)
    return fail (error, path, "unknown type \"%s\"", type);

  if (check != NULL)
    {
      if (!g_str_equal (check, "my_number"))
        return fail (error, path, "unknown check \"%s\"", check);
      f->my_number = TRUE;
    }
  if (range != NULL)
    {
      if (g_str_equal (range, "past"))
        f->date_range = KIOSK_DATE_PAST;
      else if (g_str_equal (range, "future"))
        f->date_range = KIOSK_DATE_FUTURE;
      else
        return fail (error, path, "unknown date_range \"%s\"", range);
    }
  if (f->has_min && f->has_max && f->min > f->max)
    return fail (error, path, "\"min\" is larger than \"max\"");

  if (f->pattern_source != NULL)
    {
      /* The whole value must match, whatever the pattern says itself: the
       * portal wraps it the same way. */
      g_autofree char *anchored = g_strdup_printf ("\\A(?:%s)\\z", f->pattern_source);
      g_autoptr(GError) rerr = NULL;

      f->pattern = g_regex_new (anchored, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, &rerr);
      if (f->pattern == NULL)
        return fail (error, path, "\"pattern\" does not compile: %s", rerr->message);
      if (f->pattern_description == NULL)
        return fail (error, path, "\"pattern\" without \"pattern_description\"");
    }

  return read_choices (o, f, path, error);
}

/* ---- sections ---- */

static gboolean
read_repeat (JsonObject *o, KioskSectionSpec *s, const char *path, GError **error)
{
  JsonNode *n = member (o, "repeat");
  g_autofree char *sub = NULL;
  JsonObject *r;
  gint64 min = 0, max = 1;

  if (n == NULL)
    return TRUE;
  sub = g_strdup_printf ("%s.repeat", path);
  if ((r = get_object (n, sub, error)) == NULL)
    return FALSE;
  s->repeated = TRUE;
  if (!get_int (r, "min", sub, 0, 99, &min, NULL, error) ||
      !get_int (r, "max", sub, 1, 99, &max, NULL, error) ||
      !get_string (r, "entry_label", TRUE, sub, &s->entry_label, error) ||
      !get_string (r, "counter", FALSE, sub, &s->counter, error))
    return FALSE;
  if (min > max)
    return fail (error, sub, "\"min\" is larger than \"max\"");
  s->min_entries = (guint) min;
  s->max_entries = (guint) max;
  return TRUE;
}

static gboolean
read_section (KioskProcedureSpec *spec, JsonNode *node, const char *path,
              KioskSectionSpec *s, GError **error)
{
  JsonObject *o = get_object (node, path, error);
  JsonArray *fields;

  if (o == NULL)
    return FALSE;
  if (!get_id (o, path, &s->id, error) ||
      !get_string (o, "title", TRUE, path, &s->title, error) ||
      !get_string (o, "description", FALSE, path, &s->description, error) ||
      !read_repeat (o, s, path, error))
    return FALSE;
  if (s->counter == NULL)
    s->counter = g_strdup ("件");
  if (g_hash_table_contains (spec->fields, s->id) ||
      g_hash_table_contains (spec->section_ids, s->id))
    return fail (error, path, "id \"%s\" is used twice", s->id);
  g_hash_table_insert (spec->section_ids, s->id, s);

  if ((fields = get_array (o, "fields", TRUE, path, error)) == NULL)
    return FALSE;
  if (json_array_get_length (fields) == 0)
    return fail (error, path, "\"fields\" is empty");
  for (guint i = 0; i < json_array_get_length (fields); i++)
    {
      g_autofree char *fpath = g_strdup_printf ("%s.fields[%u]", path, i);
      KioskFieldSpec *f = g_new0 (KioskFieldSpec, 1);
      const KioskSectionSpec *other;

      f->section = s;
      g_ptr_array_add (s->fields, f);
      if (!read_field (json_array_get_element (fields, i), fpath, f, error))
        return FALSE;
      /* As the portal has it: a field's id is unique among fields and
       * repeated groups (a plain section may share it). */
      other = g_hash_table_lookup (spec->section_ids, f->id);
      if (g_hash_table_contains (spec->fields, f->id) || (other != NULL && other->repeated))
        return fail (error, fpath, "id \"%s\" is used twice", f->id);
      g_hash_table_insert (spec->fields, f->id, f);
    }
  return TRUE;
}

/* ---- attachments ---- */

static gboolean
read_attachment (KioskProcedureSpec *spec, JsonNode *node, const char *path,
                 KioskAttachmentSpec *a, GError **error)
{
  JsonObject *o = get_object (node, path, error);
  JsonArray *types;
  gint64 max_files = 1;

  if (o == NULL)
    return FALSE;
  if (!get_id (o, path, &a->id, error) ||
      !get_string (o, "title", TRUE, path, &a->title, error) ||
      !get_string (o, "description", FALSE, path, &a->description, error) ||
      !get_bool (o, "required", FALSE, path, &a->required, error) ||
      !get_condition (o, path, &a->has_when, &a->when, error) ||
      !get_bool (o, "omittable_by_information_linkage", FALSE, path, &a->omittable, error) ||
      !get_string (o, "linkage_note", FALSE, path, &a->linkage_note, error) ||
      !get_int (o, "max_files", path, 1, 20, &max_files, NULL, error))
    return FALSE;
  a->max_files = (guint) max_files;
  if (g_hash_table_contains (spec->attachment_ids, a->id))
    return fail (error, path, "id \"%s\" is used twice", a->id);
  g_hash_table_insert (spec->attachment_ids, a->id, a);

  if ((types = get_array (o, "content_types", TRUE, path, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (types); i++)
    {
      JsonNode *t = json_array_get_element (types, i);
      const char *name;

      if (!JSON_NODE_HOLDS_VALUE (t) || json_node_get_value_type (t) != G_TYPE_STRING)
        return fail (error, path, "content_types[%u] is not a string", i);
      name = json_node_get_string (t);
      if (g_str_equal (name, "image/jpeg"))
        a->content_types |= KIOSK_CONTENT_JPEG;
      else if (g_str_equal (name, "image/png"))
        a->content_types |= KIOSK_CONTENT_PNG;
      else if (g_str_equal (name, "application/pdf"))
        a->content_types |= KIOSK_CONTENT_PDF;
      else
        return fail (error, path, "content_types[%u] is not a type the kiosk can attach", i);
    }
  if (a->content_types == 0)
    return fail (error, path, "\"content_types\" is empty");
  return TRUE;
}

/* A condition looks at a select (one of its values) or a checkbox ("true"),
 * and at a repeated field only from that field's own group (a field) or
 * from anywhere (an attachment: any entry). */
static gboolean
resolve (KioskProcedureSpec *spec, KioskConditionSpec *w, const KioskSectionSpec *from,
         const char *path, GError **error)
{
  const KioskFieldSpec *t = g_hash_table_lookup (spec->fields, w->field);

  if (t == NULL)
    return fail (error, path, "required_when names no field \"%s\"", w->field);
  if (t->type == KIOSK_FIELD_SELECT)
    {
      if (kiosk_field_spec_choice_label (t, w->value) == NULL)
        return fail (error, path, "required_when: \"%s\" is not a choice of \"%s\"",
                     w->value, w->field);
    }
  else if (t->type == KIOSK_FIELD_CHECKBOX)
    {
      if (!g_str_equal (w->value, "true"))
        return fail (error, path, "required_when on a checkbox must ask for \"true\"");
    }
  else
    return fail (error, path, "required_when looks at \"%s\", neither a select nor a checkbox",
                 w->field);
  if (from != NULL && t->section->repeated && t->section != from)
    return fail (error, path, "required_when looks at a repeated field of another section");
  w->target = t;
  return TRUE;
}

KioskProcedureSpec *
kiosk_procedure_spec_new (JsonNode *procedure, GError **error)
{
  g_autoptr(KioskProcedureSpec) spec = g_new0 (KioskProcedureSpec, 1);
  JsonObject *root, *form;
  JsonArray *sections, *attachments;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spec->sections = g_ptr_array_new_with_free_func (section_free);
  spec->attachments = g_ptr_array_new_with_free_func (attachment_free);
  spec->fields = g_hash_table_new (g_str_hash, g_str_equal);
  spec->section_ids = g_hash_table_new (g_str_hash, g_str_equal);
  spec->attachment_ids = g_hash_table_new (g_str_hash, g_str_equal);

  if ((root = get_object (procedure, "$", error)) == NULL)
    return NULL;
  if (!get_string (root, "proc_id", TRUE, "$", &spec->proc_id, error) ||
      !get_string (root, "title", TRUE, "$", &spec->title, error) ||
      !get_string (root, "city_name", FALSE, "$", &spec->city_name, error) ||
      !get_string (root, "submit_to", FALSE, "$", &spec->submit_to, error) ||
      !get_bool (root, "signature_required", FALSE, "$", &spec->signature_required, error))
    return NULL;
  if ((form = get_object (member (root, "form"), "$.form", error)) == NULL ||
      (sections = get_array (form, "sections", TRUE, "$.form", error)) == NULL)
    return NULL;
  if (json_array_get_length (sections) == 0)
    {
      fail (error, "$.form.sections", "is empty");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (sections); i++)
    {
      g_autofree char *path = g_strdup_printf ("$.form.sections[%u]", i);
      KioskSectionSpec *s = g_new0 (KioskSectionSpec, 1);

      s->fields = g_ptr_array_new_with_free_func (field_free);
      g_ptr_array_add (spec->sections, s);
      if (!read_section (spec, json_array_get_element (sections, i), path, s, error))
        return NULL;
    }

  attachments = NULL;
  if (member (root, "attachments") != NULL &&
      (attachments = get_array (root, "attachments", TRUE, "$", error)) == NULL)
    return NULL;
  for (guint i = 0; attachments != NULL && i < json_array_get_length (attachments); i++)
    {
      g_autofree char *path = g_strdup_printf ("$.attachments[%u]", i);
      KioskAttachmentSpec *a = g_new0 (KioskAttachmentSpec, 1);

      g_ptr_array_add (spec->attachments, a);
      if (!read_attachment (spec, json_array_get_element (attachments, i), path, a, error))
        return NULL;
    }

  /* Conditions may look further down the form: resolved once all is read. */
  for (guint i = 0; i < spec->sections->len; i++)
    {
      KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);

      for (guint j = 0; j < s->fields->len; j++)
        {
          KioskFieldSpec *f = g_ptr_array_index (s->fields, j);
          g_autofree char *path = g_strdup_printf ("$.form.sections[%u].fields[%u]", i, j);

          if (f->has_when && !resolve (spec, &f->when, s, path, error))
            return NULL;
        }
    }
  for (guint i = 0; i < spec->attachments->len; i++)
    {
      KioskAttachmentSpec *a = g_ptr_array_index (spec->attachments, i);
      g_autofree char *path = g_strdup_printf ("$.attachments[%u]", i);

      if (a->has_when && !resolve (spec, &a->when, NULL, path, error))
        return NULL;
    }

  return g_steal_pointer (&spec);
}

const KioskFieldSpec *
kiosk_procedure_spec_field (const KioskProcedureSpec *spec, const char *id)
{
  return g_hash_table_lookup (spec->fields, id);
}

const KioskSectionSpec *
kiosk_procedure_spec_section (const KioskProcedureSpec *spec, const char *id)
{
  return g_hash_table_lookup (spec->section_ids, id);
}

const KioskAttachmentSpec *
kiosk_procedure_spec_attachment (const KioskProcedureSpec *spec, const char *id)
{
  return g_hash_table_lookup (spec->attachment_ids, id);
}

const char *
kiosk_field_spec_choice_label (const KioskFieldSpec *field, const char *value)
{
  for (guint i = 0; field->choices != NULL && i < field->choices->len; i++)
    {
      const KioskChoiceSpec *c = g_ptr_array_index (field->choices, i);

      if (g_str_equal (c->value, value))
        return c->label;
    }
  return NULL;
}

const char *
kiosk_content_type_name (KioskContentType type)
{
  switch (type)
    {
    case KIOSK_CONTENT_JPEG:
      return "image/jpeg";
    case KIOSK_CONTENT_PNG:
      return "image/png";
    case KIOSK_CONTENT_PDF:
      return "application/pdf";
    default:
      return NULL;
    }
}
