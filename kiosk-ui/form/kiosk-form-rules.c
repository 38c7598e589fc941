/* kiosk-form-rules.c - the portal's form rules, on the kiosk.
 *
 * Each check follows portal-sim/catalog/form.c step for step (the order
 * decides which message a value with several faults gets, so it is the
 * same too); only the words differ: the portal names the field in
 * Japanese, the kiosk speaks under the field in the resident's language. */

#include "kiosk-form-rules.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

/* ---- single values ---- */

void
kiosk_form_today_jst (GDate *today)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (9 * 3600);
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);

  g_date_clear (today, 1);
  g_date_set_dmy (today,
                  (GDateDay) g_date_time_get_day_of_month (now),
                  (GDateMonth) g_date_time_get_month (now),
                  (GDateYear) g_date_time_get_year (now));
}

gboolean
kiosk_form_value_is_blank (const char *value)
{
  if (value == NULL)
    return TRUE;
  for (const char *c = value; *c; c = g_utf8_next_char (c))
    {
      gunichar u = g_utf8_get_char (c);

      if (u != ' ' && u != '\t' && u != '\n' && u != '\r' && u != 0x3000)
        return FALSE;
    }
  return TRUE;
}

gboolean
kiosk_my_number_valid (const guint8 *digits, gsize len)
{
  static const int weights[11] = { 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
  int sum = 0, r, check;

  if (digits == NULL || len != 12)
    return FALSE;
  for (gsize i = 0; i < 12; i++)
    if (!g_ascii_isdigit (digits[i]))
      return FALSE;
  for (gsize i = 0; i < 11; i++)
    sum += (digits[i] - '0') * weights[i];
  r = sum % 11;
  check = r <= 1 ? 0 : 11 - r;
  return digits[11] - '0' == check;
}

static gboolean
all_ascii_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

static KioskRule
check_number (const KioskFieldSpec *f, const char *value)
{
  const char *digits = value[0] == '-' ? value + 1 : value;
  gint64 v;

  if (!all_ascii_digits (digits))
    return KIOSK_RULE_NOT_INTEGER;
  if (!g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &v, NULL))
    return KIOSK_RULE_NUMBER_TOO_LARGE;
  if ((f->has_min && v < f->min) || (f->has_max && v > f->max))
    return KIOSK_RULE_NUMBER_RANGE;
  return KIOSK_RULE_OK;
}

static KioskRule
check_date (const KioskFieldSpec *f, const char *value, const GDate *today)
{
  gboolean shape = strlen (value) == 10 && value[4] == '-' && value[7] == '-';
  int y, m, d, cmp;
  GDate date, now;

  for (int i = 0; shape && i < 10; i++)
    shape = i == 4 || i == 7 || g_ascii_isdigit (value[i]);
  if (!shape)
    return KIOSK_RULE_DATE_FORMAT;
  y = atoi (value);
  m = atoi (value + 5);
  d = atoi (value + 8);
  if (y < KIOSK_FORM_MIN_YEAR || y > KIOSK_FORM_MAX_YEAR)
    return KIOSK_RULE_DATE_YEAR;
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return KIOSK_RULE_DATE_INVALID;
  if (f->date_range == KIOSK_DATE_ANY)
    return KIOSK_RULE_OK;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  if (today == NULL)
    {
      kiosk_form_today_jst (&now);
      today = &now;
    }
  cmp = g_date_compare (&date, today);
  if (f->date_range == KIOSK_DATE_PAST && cmp > 0)
    return KIOSK_RULE_DATE_NOT_PAST;
  if (f->date_range == KIOSK_DATE_FUTURE && cmp < 0)
    return KIOSK_RULE_DATE_NOT_FUTURE;
  return KIOSK_RULE_OK;
}

KioskRule
kiosk_field_check_value (const KioskFieldSpec *f, const char *value, const GDate *today)
{
  if (!g_utf8_validate (value, -1, NULL))
    return KIOSK_RULE_CONTROL_CHARACTER;
  for (const char *c = value; *c; c = g_utf8_next_char (c))
    {
      gunichar u = g_utf8_get_char (c);

      if (u == '\n' || u == '\r')
        {
          if (f->type == KIOSK_FIELD_TEXT && f->multiline)
            continue;
          return KIOSK_RULE_LINE_BREAK;
        }
      /* U+FFFE/U+FFFF: not the portal's rule, but the package builder
       * refuses to write them. */
      if (g_unichar_iscntrl (u) || u == 0x2028 || u == 0x2029 || u == 0xFFFE || u == 0xFFFF)
        return KIOSK_RULE_CONTROL_CHARACTER;
    }
  /* Characters as a person counts them: 「高橋」 is 2, though 6 bytes. */
  if (f->max_length > 0 && g_utf8_strlen (value, -1) > f->max_length)
    return KIOSK_RULE_TOO_LONG;

  switch (f->type)
    {
    case KIOSK_FIELD_TEXT:
    case KIOSK_FIELD_ADDRESS:
      if (f->my_number)
        {
          if (strlen (value) != 12 || !all_ascii_digits (value))
            return KIOSK_RULE_MY_NUMBER_DIGITS;
          if (!kiosk_my_number_valid ((const guint8 *) value, 12))
            return KIOSK_RULE_MY_NUMBER_CHECK;
        }
      if (f->pattern != NULL && !g_regex_match (f->pattern, value, 0, NULL))
        return KIOSK_RULE_PATTERN;
      return KIOSK_RULE_OK;
    case KIOSK_FIELD_NUMBER:
      return check_number (f, value);
    case KIOSK_FIELD_DATE:
      return check_date (f, value, today);
    case KIOSK_FIELD_SELECT:
      return kiosk_field_spec_choice_label (f, value) ? KIOSK_RULE_OK : KIOSK_RULE_NOT_A_CHOICE;
    case KIOSK_FIELD_CHECKBOX:
      return g_str_equal (value, "true") || g_str_equal (value, "false")
             ? KIOSK_RULE_OK : KIOSK_RULE_NOT_BOOLEAN;
    case KIOSK_FIELD_POSTAL_CODE:
      {
        gboolean ok = strlen (value) == 8 && value[3] == '-';

        for (int i = 0; ok && i < 8; i++)
          ok = i == 3 || g_ascii_isdigit (value[i]);
        return ok ? KIOSK_RULE_OK : KIOSK_RULE_POSTAL_CODE;
      }
    default:
      return KIOSK_RULE_OK;
    }
}

KioskRule
kiosk_field_check (const KioskFieldSpec *f, const char *value, gboolean required,
                   const GDate *today)
{
  gboolean blank = kiosk_form_value_is_blank (value);

  if (!blank)
    {
      KioskRule r = kiosk_field_check_value (f, value, today);

      if (r != KIOSK_RULE_OK)
        return r;
    }
  if (f->type == KIOSK_FIELD_CHECKBOX)
    return required && (blank || !g_str_equal (value, "true")) ? KIOSK_RULE_MUST_TICK
                                                              : KIOSK_RULE_OK;
  return blank && required ? KIOSK_RULE_REQUIRED : KIOSK_RULE_OK;
}

gboolean
kiosk_field_required_now (const KioskFieldSpec *f, const char *target_value)
{
  if (f->required)
    return TRUE;
  return f->has_when && target_value != NULL && g_str_equal (target_value, f->when.value);
}

/* ---- messages ---- */

/* "「受取方法」で「口座を指定する」" as the resident's language puts it. */
static char *
condition_sentence (const KioskConditionSpec *w)
{
  const KioskFieldSpec *t = w->target;

  if (t->type == KIOSK_FIELD_CHECKBOX)
    /* Translators: %s is the label of a checkbox on the form (Japanese). */
    return g_strdup_printf (_("Needed because “%s” is ticked."), t->label);
  /* Translators: the first %s is an answer, the second the question it
   * answers, both Japanese text from the form. */
  return g_strdup_printf (_("Needed because you chose “%s” for “%s”."),
                          kiosk_field_spec_choice_label (t, w->value), t->label);
}

static char *
with_unit (gint64 n, const char *unit)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "%s", n, unit ? unit : "");
}

char *
kiosk_rule_field_message (const KioskFieldSpec *f, KioskRule rule, const char *value)
{
  switch (rule)
    {
    case KIOSK_RULE_OK:
      return NULL;
    case KIOSK_RULE_REQUIRED:
    case KIOSK_RULE_MUST_TICK:
      {
        const char *ask;
        g_autofree char *why = NULL;

        if (rule == KIOSK_RULE_MUST_TICK)
          ask = _("Tick this box to continue.");
        else if (f->type == KIOSK_FIELD_SELECT)
          ask = _("Choose one of the answers.");
        else if (f->my_number)
          ask = _("Enter the 12 digits of the My Number.");
        else
          ask = _("This must be filled in.");
        if (f->required || !f->has_when)
          return g_strdup (ask);
        why = condition_sentence (&f->when);
        return g_strdup_printf ("%s %s", ask, why);
      }
    case KIOSK_RULE_LINE_BREAK:
      return g_strdup (_("Write this on one line, without line breaks."));
    case KIOSK_RULE_CONTROL_CHARACTER:
      return g_strdup (_("Remove the tab or other control characters."));
    case KIOSK_RULE_TOO_LONG:
      {
        guint max = (guint) MIN (f->max_length, G_MAXUINT);
        guint now = value ? (guint) g_utf8_strlen (value, -1) : 0;
        g_autofree char *limit = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "Enter at most %u character.",
                                                               "Enter at most %u characters.",
                                                               max), max);
        g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "There is %u now.",
                                                               "There are %u now.",
                                                               now), now);
        return g_strdup_printf ("%s %s", limit, count);
      }
    case KIOSK_RULE_MY_NUMBER_DIGITS:
      return g_strdup (_("Enter the 12 digits of the My Number."));
    case KIOSK_RULE_MY_NUMBER_CHECK:
      return g_strdup (_("This is not a valid My Number: the last digit does not match. "
                         "Check the number on the back of the card."));
    case KIOSK_RULE_PATTERN:
      /* The pattern's own description is Japanese data from the form. */
      return g_strdup_printf ("%s %s", _("The format is not right."),
                              f->pattern_description ? f->pattern_description : "");
    case KIOSK_RULE_NOT_INTEGER:
      return g_strdup (_("Enter a whole number, in digits."));
    case KIOSK_RULE_NUMBER_TOO_LARGE:
      return g_strdup (_("This number is too large. Check it."));
    case KIOSK_RULE_NUMBER_RANGE:
      {
        g_autofree char *lo = with_unit (f->min, f->unit);
        g_autofree char *hi = with_unit (f->max, f->unit);

        if (f->has_min && f->has_max)
          /* Translators: numbers with their unit, e.g. "1人" and "20人". */
          return g_strdup_printf (_("Enter a number from %s to %s."), lo, hi);
        if (f->has_min)
          /* Translators: a number with its unit, e.g. "1人". */
          return g_strdup_printf (_("Enter %s or more."), lo);
        /* Translators: a number with its unit, e.g. "20人". */
        return g_strdup_printf (_("Enter %s or less."), hi);
      }
    case KIOSK_RULE_DATE_FORMAT:
      return g_strdup (_("Enter the year in 4 digits, then the month and the day."));
    case KIOSK_RULE_DATE_YEAR:
      return g_strdup_printf (_("Enter a year from %d to %d."),
                              KIOSK_FORM_MIN_YEAR, KIOSK_FORM_MAX_YEAR);
    case KIOSK_RULE_DATE_INVALID:
      return g_strdup (_("There is no such day. Check the month and the day."));
    case KIOSK_RULE_DATE_NOT_PAST:
      return g_strdup (_("Enter a date in the past (today at the latest)."));
    case KIOSK_RULE_DATE_NOT_FUTURE:
      return g_strdup (_("Enter today's date or a later one."));
    case KIOSK_RULE_NOT_A_CHOICE:
    case KIOSK_RULE_NOT_BOOLEAN:
    case KIOSK_RULE_BAD_VALUE:
      return g_strdup (_("Choose one of the answers shown."));
    case KIOSK_RULE_POSTAL_CODE:
      return g_strdup (_("Enter the postal code as 3 digits, a hyphen and 4 digits, "
                         "like 123-4567."));
    case KIOSK_RULE_UNKNOWN:
      return g_strdup (_("This answer does not belong to this form."));
    case KIOSK_RULE_TOO_FEW_ENTRIES:
    case KIOSK_RULE_TOO_MANY_ENTRIES:
    case KIOSK_RULE_ATTACHMENT_MISSING:
    case KIOSK_RULE_ATTACHMENT_TOO_MANY:
    case KIOSK_RULE_NOT_OMITTABLE:
    case KIOSK_RULE_FILE_AND_CONSENT:
    default:
      return g_strdup (_("Check this answer."));
    }
}

char *
kiosk_rule_group_message (const KioskSectionSpec *s, KioskRule rule, guint n_entries)
{
  guint n;

  switch (rule)
    {
    case KIOSK_RULE_TOO_FEW_ENTRIES:
      n = s->min_entries;
      /* Translators: %u is a number of entries, %s what an entry is
       * (Japanese, e.g. 子ども). */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Enter at least %u entry for “%s”.",
                                           "Enter at least %u entries for “%s”.", n),
                              n, s->entry_label);
    case KIOSK_RULE_TOO_MANY_ENTRIES:
      n = s->max_entries;
      /* Translators: %u is a number of entries, %s what an entry is
       * (Japanese, e.g. 子ども). */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Enter at most %u entry for “%s”.",
                                           "Enter at most %u entries for “%s”.", n),
                              n, s->entry_label);
    case KIOSK_RULE_OK:
      return NULL;
    default:
      return g_strdup (_("This answer does not belong to this form."));
    }
}

char *
kiosk_rule_attachment_message (const KioskAttachmentSpec *a, KioskRule rule)
{
  switch (rule)
    {
    case KIOSK_RULE_OK:
      return NULL;
    case KIOSK_RULE_ATTACHMENT_MISSING:
      {
        const char *ask = a->omittable
          ? _("Attach this document, or agree that the municipality checks the "
              "same information through My Number information linkage instead.")
          : _("Attach this document.");
        g_autofree char *why = NULL;

        if (a->required || !a->has_when)
          return g_strdup (ask);
        why = condition_sentence (&a->when);
        return g_strdup_printf ("%s %s", ask, why);
      }
    case KIOSK_RULE_ATTACHMENT_TOO_MANY:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Attach at most %u file.",
                                           "Attach at most %u files.", a->max_files),
                              a->max_files);
    case KIOSK_RULE_NOT_OMITTABLE:
      return g_strdup (_("Information linkage cannot replace this document. Attach it."));
    case KIOSK_RULE_FILE_AND_CONSENT:
      return g_strdup (_("Either attach the document or agree to information linkage, "
                         "not both."));
    case KIOSK_RULE_UNKNOWN:
    default:
      return g_strdup (_("This procedure does not ask for this document."));
    }
}

/* ---- the whole form ---- */

void
kiosk_form_finding_free (KioskFormFinding *finding)
{
  if (finding == NULL)
    return;
  g_free (finding->item);
  g_free (finding);
}

static KioskFormFinding *
finding_add (GPtrArray *out, char *item, KioskRule rule)
{
  KioskFormFinding *f = g_new0 (KioskFormFinding, 1);

  f->item = item;
  f->rule = rule;
  g_ptr_array_add (out, f);
  return f;
}

static JsonObject *
object_member (JsonObject *o, const char *key)
{
  JsonNode *n = o && json_object_has_member (o, key) ? json_object_get_member (o, key) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
array_member (JsonObject *o, const char *key)
{
  JsonNode *n = o && json_object_has_member (o, key) ? json_object_get_member (o, key) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* A JSON answer as the form XML will carry it (the package builder writes
 * integers in decimal and booleans as true/false); NULL when absent, and
 * *bad for a value the builder refuses. */
static char *
answer_text (JsonObject *scope, const char *id, gboolean *bad)
{
  JsonNode *n;

  *bad = FALSE;
  if (scope == NULL || !json_object_has_member (scope, id))
    return NULL;
  n = json_object_get_member (scope, id);
  if (JSON_NODE_HOLDS_VALUE (n))
    {
      GType t = json_node_get_value_type (n);

      if (t == G_TYPE_STRING)
        return g_strdup (json_node_get_string (n));
      if (t == G_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
      if (t == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (n) ? "true" : "false");
    }
  *bad = TRUE;
  return NULL;
}

static gboolean
answer_is (JsonObject *scope, const char *id, const char *want)
{
  gboolean bad;
  g_autofree char *v = answer_text (scope, id, &bad);

  return v != NULL && g_str_equal (v, want);
}

static void
check_one (GPtrArray *out, const KioskFieldSpec *f, JsonObject *top, JsonObject *scope,
           guint entry, const GDate *today)
{
  const KioskSectionSpec *s = f->section;
  gboolean bad;
  g_autofree char *value = answer_text (scope, f->id, &bad);
  const char *target = NULL;
  g_autofree char *target_value = NULL;
  KioskRule rule;

  if (f->has_when)
    {
      gboolean ignored;

      target_value = answer_text (f->when.target->section->repeated ? scope : top,
                                  f->when.target->id, &ignored);
      target = target_value;
    }
  rule = bad ? KIOSK_RULE_BAD_VALUE
             : kiosk_field_check (f, value, kiosk_field_required_now (f, target), today);
  if (rule != KIOSK_RULE_OK)
    {
      KioskFormFinding *k = finding_add (out, s->repeated
                                         ? g_strdup_printf ("form.%s[%u].%s", s->id, entry, f->id)
                                         : g_strdup_printf ("form.%s", f->id), rule);
      k->field = f;
      k->entry = entry;
    }
}

gboolean
kiosk_attachment_needed (const KioskAttachmentSpec *a, const KioskProcedureSpec *spec,
                         JsonNode *form)
{
  JsonObject *root = form && JSON_NODE_HOLDS_OBJECT (form) ? json_node_get_object (form) : NULL;
  const KioskFieldSpec *t;
  JsonArray *entries;

  if (a->required)
    return TRUE;
  if (!a->has_when)
    return FALSE;
  t = a->when.target;
  if (!t->section->repeated)
    return answer_is (object_member (root, "items"), t->id, a->when.value);
  /* One entry with the answer is enough: one child living apart needs the
   * 別居監護申立書. */
  entries = array_member (object_member (root, "groups"), t->section->id);
  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonNode *e = json_array_get_element (entries, i);

      if (JSON_NODE_HOLDS_OBJECT (e) &&
          answer_is (json_node_get_object (e), t->id, a->when.value))
        return TRUE;
    }
  return FALSE;
}

static void
check_unknown (GPtrArray *out, const KioskProcedureSpec *spec, JsonObject *items,
               JsonObject *groups)
{
  g_autoptr(GList) keys = items ? json_object_get_members (items) : NULL;
  g_autoptr(GList) gkeys = groups ? json_object_get_members (groups) : NULL;

  for (GList *l = keys; l; l = l->next)
    {
      const KioskFieldSpec *f = kiosk_procedure_spec_field (spec, l->data);

      if (f == NULL || f->section->repeated)
        finding_add (out, g_strdup_printf ("form.%s", (const char *) l->data),
                     KIOSK_RULE_UNKNOWN)->field = f;
    }
  for (GList *l = gkeys; l; l = l->next)
    {
      const KioskSectionSpec *s = kiosk_procedure_spec_section (spec, l->data);
      JsonArray *entries = array_member (groups, l->data);

      if (s == NULL || !s->repeated || entries == NULL)
        {
          finding_add (out, g_strdup_printf ("form.%s", (const char *) l->data),
                       KIOSK_RULE_UNKNOWN)->section = s;
          continue;
        }
      for (guint e = 0; e < json_array_get_length (entries); e++)
        {
          JsonNode *n = json_array_get_element (entries, e);
          g_autoptr(GList) fkeys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (n))
            {
              finding_add (out, g_strdup_printf ("form.%s[%u]", s->id, e + 1),
                           KIOSK_RULE_UNKNOWN)->section = s;
              continue;
            }
          fkeys = json_object_get_members (json_node_get_object (n));
          for (GList *k = fkeys; k; k = k->next)
            {
              const KioskFieldSpec *f = kiosk_procedure_spec_field (spec, k->data);

              if (f == NULL || f->section != s)
                finding_add (out, g_strdup_printf ("form.%s[%u].%s", s->id, e + 1,
                                                   (const char *) k->data),
                             KIOSK_RULE_UNKNOWN)->field = f;
            }
        }
    }
}

static void
check_attachments (GPtrArray *out, const KioskProcedureSpec *spec, JsonNode *form,
                   JsonArray *consents, const char * const *ids, gsize n_ids)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) consented = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) unknown = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; ids != NULL && i < n_ids; i++)
    {
      guint k;

      if (ids[i] == NULL)
        continue;
      if (kiosk_procedure_spec_attachment (spec, ids[i]) == NULL)
        {
          if (!g_hash_table_contains (unknown, ids[i]))
            {
              g_hash_table_add (unknown, (gpointer) ids[i]);
              finding_add (out, g_strdup_printf ("attachment:%s", ids[i]), KIOSK_RULE_UNKNOWN);
            }
          continue;
        }
      k = GPOINTER_TO_UINT (g_hash_table_lookup (counts, ids[i]));
      g_hash_table_insert (counts, (gpointer) ids[i], GUINT_TO_POINTER (k + 1));
    }
  for (guint i = 0; consents != NULL && i < json_array_get_length (consents); i++)
    {
      JsonNode *n = json_array_get_element (consents, i);
      const char *id;

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        continue;
      id = json_node_get_string (n);
      if (kiosk_procedure_spec_attachment (spec, id) == NULL)
        finding_add (out, g_strdup_printf ("attachment:%s", id), KIOSK_RULE_UNKNOWN);
      else
        g_hash_table_add (consented, (gpointer) id);
    }

  for (guint i = 0; i < spec->attachments->len; i++)
    {
      const KioskAttachmentSpec *a = g_ptr_array_index (spec->attachments, i);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, a->id));
      gboolean consent = g_hash_table_contains (consented, a->id);
      KioskRule rule = KIOSK_RULE_OK;

      if (consent && !a->omittable)
        rule = KIOSK_RULE_NOT_OMITTABLE;
      else if (consent && count > 0)
        rule = KIOSK_RULE_FILE_AND_CONSENT;
      else if (count == 0 && !consent && kiosk_attachment_needed (a, spec, form))
        rule = KIOSK_RULE_ATTACHMENT_MISSING;
      if (rule != KIOSK_RULE_OK)
        finding_add (out, g_strdup_printf ("attachment:%s", a->id), rule)->attachment = a;
      if (count > a->max_files)
        finding_add (out, g_strdup_printf ("attachment:%s", a->id),
                     KIOSK_RULE_ATTACHMENT_TOO_MANY)->attachment = a;
    }
}

GPtrArray *
kiosk_form_check (const KioskProcedureSpec *spec, JsonNode *form,
                  const char * const *attachment_ids, gsize n_attachment_ids,
                  const GDate *today)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_form_finding_free);
  JsonObject *root = form && JSON_NODE_HOLDS_OBJECT (form) ? json_node_get_object (form) : NULL;
  JsonObject *items = object_member (root, "items");
  JsonObject *groups = object_member (root, "groups");
  GDate now;

  if (today == NULL)
    {
      kiosk_form_today_jst (&now);
      today = &now;
    }
  check_unknown (out, spec, items, groups);

  for (guint i = 0; i < spec->sections->len; i++)
    {
      const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);
      JsonArray *entries;
      guint n;

      if (!s->repeated)
        {
          for (guint j = 0; j < s->fields->len; j++)
            check_one (out, g_ptr_array_index (s->fields, j), items, items, 0, today);
          continue;
        }
      entries = array_member (groups, s->id);
      n = entries ? json_array_get_length (entries) : 0;
      if (n < s->min_entries)
        finding_add (out, g_strdup_printf ("form.%s", s->id),
                     KIOSK_RULE_TOO_FEW_ENTRIES)->section = s;
      if (n > s->max_entries)
        finding_add (out, g_strdup_printf ("form.%s", s->id),
                     KIOSK_RULE_TOO_MANY_ENTRIES)->section = s;
      for (guint e = 0; e < n; e++)
        {
          JsonNode *en = json_array_get_element (entries, e);
          JsonObject *scope = JSON_NODE_HOLDS_OBJECT (en) ? json_node_get_object (en) : NULL;

          for (guint j = 0; j < s->fields->len; j++)
            check_one (out, g_ptr_array_index (s->fields, j), items, scope, e + 1, today);
        }
    }

  check_attachments (out, spec, form, array_member (root, "linkage_consent"),
                     attachment_ids, n_attachment_ids);
  return out;
}

/* ---- keyboards ---- */

static gboolean
is_katakana (gunichar u)
{
  return u >= 0x30A1 && u <= 0x30F6;
}

static gboolean
is_hiragana (gunichar u)
{
  return u >= 0x3041 && u <= 0x3096;
}

/* Does the pattern only ever match digits and hyphens ("[0-9]{7}",
 * "0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}", "\d+")? Anything this small
 * scanner does not understand makes the answer no. */
static gboolean
pattern_is_numeric (const char *p)
{
  gboolean any = FALSE;

  while (*p)
    {
      char c = *p;

      if (c == '[')
        {
          const char *end = strchr (p + 1, ']');

          if (end == NULL || end == p + 1)
            return FALSE;
          for (const char *k = p + 1; k < end; k++)
            if (!g_ascii_isdigit (*k) && *k != '-')
              return FALSE;
          any = TRUE;
          p = end + 1;
        }
      else if (c == '{')
        {
          const char *end = strchr (p + 1, '}');

          if (end == NULL)
            return FALSE;
          for (const char *k = p + 1; k < end; k++)
            if (!g_ascii_isdigit (*k) && *k != ',')
              return FALSE;
          p = end + 1;
        }
      else if (c == '\\')
        {
          if (p[1] == 'd')
            any = TRUE;
          else if (p[1] != '-')
            return FALSE;
          p += 2;
        }
      else if (c == '(' && p[1] == '?' && p[2] == ':')
        p += 3;
      else if (g_ascii_isdigit (c))
        {
          any = TRUE;
          p++;
        }
      else if (strchr ("-()|?*+", c) != NULL)
        p++;
      else
        return FALSE;
    }
  return any;
}

KioskInputKind
kiosk_field_input_kind (const KioskFieldSpec *f)
{
  if (f->my_number)
    return KIOSK_INPUT_SECRET_DIGITS;
  switch (f->type)
    {
    case KIOSK_FIELD_NUMBER:
    case KIOSK_FIELD_DATE:
    case KIOSK_FIELD_POSTAL_CODE:
      return KIOSK_INPUT_NUMBER;
    case KIOSK_FIELD_TEXT:
    case KIOSK_FIELD_ADDRESS:
      if (f->pattern_source == NULL)
        return KIOSK_INPUT_LATIN;
      for (const char *c = f->pattern_source; *c; c = g_utf8_next_char (c))
        if (is_katakana (g_utf8_get_char (c)))
          return KIOSK_INPUT_KATAKANA;
      for (const char *c = f->pattern_source; *c; c = g_utf8_next_char (c))
        if (is_hiragana (g_utf8_get_char (c)))
          return KIOSK_INPUT_KANA;
      return pattern_is_numeric (f->pattern_source) ? KIOSK_INPUT_NUMBER : KIOSK_INPUT_LATIN;
    case KIOSK_FIELD_SELECT:
    case KIOSK_FIELD_CHECKBOX:
    default:
      return KIOSK_INPUT_LATIN;
    }
}
