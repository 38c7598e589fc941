/* kiosk-form-page.c - the application form, made from the procedure's schema.
 *
 * The page owns the parsed schema; sections (KioskFormSection) own the
 * field widgets, the attachment rows the chosen files. Whenever an answer
 * changes, every condition is looked at again (a form has a few dozen
 * fields, so this is cheaper than tracking who depends on whom) and every
 * field re-checked; messages only show where the resident has typed, or
 * everywhere once "Next" was pressed. */

#include "kiosk-form-page.h"

#include "kiosk-a11y.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "kiosk-attachment-picker.h"
#include "kiosk-attachment-row.h"
#include "kiosk-errors.h"
#include "kiosk-form-field.h"
#include "kiosk-form-page-private.h"
#include "kiosk-form-rules.h"
#include "kiosk-form-section.h"
#include "mynaportal/error.h"

struct _KioskFormPage
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkStack *stack;
  GtkLabel *title;
  GtkLabel *subtitle;
  GtkLabel *intro;
  GtkLabel *problem;
  GtkScrolledWindow *scroller;
  GtkWidget *content;
  GtkBox *sections_box;
  GtkWidget *attachments_title;
  GtkBox *attachments_box;
  GtkLabel *report_summary;
  GtkLabel *status;
  GtkWidget *cancel_button;
  GtkWidget *next_button;
  KioskAttachmentPicker *picker;

  JsonNode *procedure;
  KioskProcedureSpec *spec;
  char **attachment_dirs;
  GPtrArray *sections;         /* of KioskFormSection */
  GHashTable *section_by_id;   /* id -> KioskFormSection */
  GPtrArray *rows;             /* of KioskAttachmentRow */
  KioskAttachmentRow *picking; /* the row the picker chooses for */
  gboolean revealed;           /* "Next" was pressed */
};

G_DEFINE_FINAL_TYPE (KioskFormPage, kiosk_form_page, GTK_TYPE_WIDGET)

enum { REVIEW_REQUESTED, CANCELLED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- conditions ---- */

/* The answer of target as the field in (section, entry) sees it: in the
 * same entry when target is in the same repeated group, at the top of the
 * form otherwise. */
static char *
target_value (KioskFormPage *self, const KioskFieldSpec *target, KioskFormSection *from,
              guint entry)
{
  KioskFormSection *where = g_hash_table_lookup (self->section_by_id, target->section->id);
  KioskFormField *field;

  if (where == NULL)
    return NULL;
  field = kiosk_form_section_get_field (where, where == from ? entry : 1, target->id);
  return field ? kiosk_form_field_get_value (field) : NULL;
}

/* An attachment's condition on a repeated field holds when any entry
 * meets it. */
static gboolean
attachment_needed (KioskFormPage *self, const KioskAttachmentSpec *a)
{
  const KioskFieldSpec *t;
  KioskFormSection *where;

  if (a->required)
    return TRUE;
  if (!a->has_when)
    return FALSE;
  t = a->when.target;
  where = g_hash_table_lookup (self->section_by_id, t->section->id);
  if (where == NULL)
    return FALSE;
  for (guint e = 1; e <= kiosk_form_section_get_n_entries (where); e++)
    {
      KioskFormField *field = kiosk_form_section_get_field (where, e, t->id);
      g_autofree char *v = field ? kiosk_form_field_get_value (field) : NULL;

      if (v != NULL && g_str_equal (v, a->when.value))
        return TRUE;
    }
  return FALSE;
}

static void
update_requirements (KioskFormPage *self)
{
  for (guint i = 0; i < self->sections->len; i++)
    {
      KioskFormSection *section = g_ptr_array_index (self->sections, i);

      for (guint e = 1; e <= kiosk_form_section_get_n_entries (section); e++)
        {
          GPtrArray *fields = kiosk_form_section_get_fields (section, e);

          for (guint j = 0; fields != NULL && j < fields->len; j++)
            {
              KioskFormField *field = g_ptr_array_index (fields, j);
              const KioskFieldSpec *spec = kiosk_form_field_get_spec (field);
              g_autofree char *v = NULL;

              if (!spec->has_when)
                continue;
              v = target_value (self, spec->when.target, section, e);
              kiosk_form_field_set_required (field, kiosk_field_required_now (spec, v));
            }
        }
    }
  for (guint i = 0; i < self->rows->len; i++)
    {
      KioskAttachmentRow *row = g_ptr_array_index (self->rows, i);

      kiosk_attachment_row_set_required (row,
                                         attachment_needed (self,
                                                            kiosk_attachment_row_get_spec (row)));
    }
}

/* Check everything; the first widget with a problem in *first. Returns
 * the number of answers and documents that need attention. */
static guint
validate_all (KioskFormPage *self, GtkWidget **first)
{
  guint bad = 0;

  if (first != NULL)
    *first = NULL;
  for (guint i = 0; i < self->sections->len; i++)
    {
      KioskFormSection *section = g_ptr_array_index (self->sections, i);

      for (guint e = 1; e <= kiosk_form_section_get_n_entries (section); e++)
        {
          GPtrArray *fields = kiosk_form_section_get_fields (section, e);

          for (guint j = 0; fields != NULL && j < fields->len; j++)
            {
              KioskFormField *field = g_ptr_array_index (fields, j);

              if (self->revealed)
                kiosk_form_field_reveal (field);
              if (kiosk_form_field_validate (field, NULL) != KIOSK_RULE_OK)
                {
                  if (first != NULL && *first == NULL)
                    *first = GTK_WIDGET (field);
                  bad++;
                }
            }
        }
    }
  for (guint i = 0; i < self->rows->len; i++)
    {
      KioskAttachmentRow *row = g_ptr_array_index (self->rows, i);

      if (self->revealed)
        kiosk_attachment_row_reveal (row);
      if (kiosk_attachment_row_validate (row) != KIOSK_RULE_OK)
        {
          if (first != NULL && *first == NULL)
            *first = GTK_WIDGET (row);
          bad++;
        }
    }
  return bad;
}

static void
show_status (KioskFormPage *self, guint bad)
{
  g_autofree char *text = NULL;

  if (bad > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u answer needs your attention. It is marked in the form.",
                                         "%u answers need your attention. They are marked in the form.",
                                         bad),
                            bad);
  gtk_label_set_label (self->status, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status), text != NULL);
}

static void
on_form_changed (KioskFormPage *self)
{
  guint bad;

  update_requirements (self);
  bad = validate_all (self, NULL);
  /* Once the count was shown, keep it true as the resident fixes things. */
  if (self->revealed)
    show_status (self, bad);
}

/* Bring w into view and put the focus in it. */
static void
scroll_to (KioskFormPage *self, GtkWidget *w)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  graphene_point_t p;

  if (KIOSK_IS_FORM_FIELD (w))
    kiosk_form_field_focus_input (KIOSK_FORM_FIELD (w));
  else if (KIOSK_IS_ATTACHMENT_ROW (w))
    kiosk_attachment_row_focus (KIOSK_ATTACHMENT_ROW (w));
  if (gtk_widget_compute_point (w, self->content, &GRAPHENE_POINT_INIT (0, 0), &p))
    gtk_adjustment_set_value (adj, MAX (0.0, p.y - 24.0));
}

static void
on_next_clicked (KioskFormPage *self)
{
  GtkWidget *first = NULL;
  guint bad;

  if (self->spec == NULL)
    return;
  self->revealed = TRUE;
  update_requirements (self);
  bad = validate_all (self, &first);
  show_status (self, bad);
  if (bad > 0)
    {
      scroll_to (self, first);
      return;
    }
  g_signal_emit (self, signals[REVIEW_REQUESTED], 0);
}

static void
on_cancel_clicked (KioskFormPage *self)
{
  g_signal_emit (self, signals[CANCELLED], 0);
}

/* ---- attachments ---- */

static void
on_choose_requested (KioskFormPage *self, KioskAttachmentRow *row)
{
  self->picking = row;
  kiosk_attachment_picker_load (self->picker, (const char * const *) self->attachment_dirs,
                                kiosk_attachment_row_get_spec (row));
  gtk_stack_set_visible_child_name (self->stack, "picker");
}

static void
back_to_form (KioskFormPage *self)
{
  KioskAttachmentRow *row = self->picking;

  self->picking = NULL;
  kiosk_attachment_picker_clear (self->picker);
  gtk_stack_set_visible_child_name (self->stack, "form");
  if (row != NULL)
    kiosk_attachment_row_focus (row);
}

static void
on_file_chosen (KioskFormPage *self, gpointer data)
{
  const KioskAttachmentFile *file = data;
  KioskAttachmentRow *row = self->picking;
  g_autoptr(GError) error = NULL;
  KioskContentType type;

  if (row == NULL)
    return;
  /* The list may be older than the file: look again before taking it. */
  if (kiosk_attachment_file_check ((const char * const *) self->attachment_dirs, file->path,
                                   kiosk_attachment_row_get_spec (row)->content_types, &type,
                                   &error))
    kiosk_attachment_row_add_file (row, file);
  else
    {
      g_message ("an attachment was refused when chosen: %s", error->message);
      kiosk_attachment_row_set_report (row, _("That file can no longer be used. Choose it again "
                                              "or choose another file."));
    }
  back_to_form (self);
}

static void
on_picker_cancelled (KioskFormPage *self)
{
  back_to_form (self);
}

void
kiosk_form_page_set_attachment_dirs (KioskFormPage *self, const char * const *dirs)
{
  g_return_if_fail (KIOSK_IS_FORM_PAGE (self));

  g_strfreev (self->attachment_dirs);
  self->attachment_dirs = g_strdupv ((char **) dirs);
}

/* ---- building ---- */

void
kiosk_form_page_set_procedure (KioskFormPage *self, JsonNode *procedure)
{
  g_autoptr(GError) error = NULL;
  KioskProcedureSpec *spec;

  g_return_if_fail (KIOSK_IS_FORM_PAGE (self));
  g_return_if_fail (procedure != NULL);

  kiosk_form_page_clear (self);
  self->procedure = json_node_ref (procedure);
  spec = kiosk_procedure_spec_new (procedure, &error);
  if (spec == NULL)
    {
      KioskErrorText words;
      g_autofree char *text = NULL;

      /* The detail is for the journal; the resident gets plain words. */
      g_warning ("the procedure's form cannot be shown: %s", error->message);
      words = kiosk_error_describe (error);
      text = g_strdup_printf ("%s\n%s", words.title, words.advice);
      gtk_label_set_label (self->problem, text);
      gtk_widget_set_visible (GTK_WIDGET (self->problem), TRUE);
      gtk_widget_set_sensitive (self->next_button, FALSE);
      return;
    }
  self->spec = spec;
  gtk_label_set_label (self->title, spec->title);
  if (spec->submit_to != NULL)
    {
      /* Translators: %s is the department that handles the application
       * (提出先, Japanese). */
      g_autofree char *to = g_strdup_printf (_("Submitted to: %s"), spec->submit_to);

      gtk_label_set_label (self->subtitle, to);
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle), TRUE);
    }

  for (guint i = 0; i < spec->sections->len; i++)
    {
      const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);
      GtkWidget *section = kiosk_form_section_new (s);

      g_signal_connect_object (section, "changed", G_CALLBACK (on_form_changed), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->sections, section);
      g_hash_table_insert (self->section_by_id, s->id, section);
      gtk_box_append (self->sections_box, section);
    }
  for (guint i = 0; i < spec->attachments->len; i++)
    {
      GtkWidget *row = kiosk_attachment_row_new (g_ptr_array_index (spec->attachments, i));

      g_signal_connect_object (row, "changed", G_CALLBACK (on_form_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (row, "choose-requested", G_CALLBACK (on_choose_requested), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->rows, row);
      gtk_box_append (self->attachments_box, row);
    }
  gtk_widget_set_visible (self->attachments_title, spec->attachments->len > 0);
  gtk_widget_set_sensitive (self->next_button, TRUE);
  update_requirements (self);
  validate_all (self, NULL);
}

/* ---- the portal's report ---- */

/* "children[2].child_name" -> group "children", entry 2, field
 * "child_name"; "children[2]" -> no field. FALSE when it is not that
 * shape. */
static gboolean
parse_entry_item (const char *item, char **group, guint *entry, char **field)
{
  const char *open = strchr (item, '[');
  const char *close;
  guint64 n;
  g_autofree char *digits = NULL;

  if (open == NULL || open == item || (close = strchr (open, ']')) == NULL || close == open + 1)
    return FALSE;
  digits = g_strndup (open + 1, close - open - 1);
  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT, &n, NULL))
    return FALSE;
  if (close[1] != '\0' && (close[1] != '.' || close[2] == '\0'))
    return FALSE;
  *group = g_strndup (item, open - item);
  *entry = (guint) n;
  *field = close[1] == '.' ? g_strdup (close + 2) : NULL;
  return TRUE;
}

/* Show content where item points; FALSE when it points nowhere on the
 * page. *where gets the widget. */
static gboolean
place_report (KioskFormPage *self, const char *item, const char *content, GtkWidget **where)
{
  const char *id = item;
  g_autofree char *group = NULL, *field_id = NULL;
  guint entry = 0;
  KioskFormSection *section;
  KioskFormField *field;

  if (g_str_has_prefix (item, "attachment:"))
    id = item + strlen ("attachment:");
  else if (g_str_has_prefix (item, "form."))
    id = item + strlen ("form.");

  if (!g_str_has_prefix (item, "form."))
    for (guint i = 0; i < self->rows->len; i++)
      {
        KioskAttachmentRow *row = g_ptr_array_index (self->rows, i);

        if (g_str_equal (kiosk_attachment_row_get_spec (row)->id, id))
          {
            kiosk_attachment_row_set_report (row, content);
            *where = GTK_WIDGET (row);
            return TRUE;
          }
      }
  if (g_str_has_prefix (item, "attachment:"))
    return FALSE;

  if (parse_entry_item (id, &group, &entry, &field_id))
    {
      section = g_hash_table_lookup (self->section_by_id, group);
      if (section == NULL || !kiosk_form_section_get_spec (section)->repeated)
        return FALSE;
      field = field_id ? kiosk_form_section_get_field (section, entry, field_id) : NULL;
      if (field != NULL)
        {
          kiosk_form_field_set_report (field, content);
          *where = GTK_WIDGET (field);
        }
      else
        {
          kiosk_form_section_set_report (section, content);
          *where = GTK_WIDGET (section);
        }
      return TRUE;
    }

  if (self->spec != NULL)
    {
      const KioskFieldSpec *f = kiosk_procedure_spec_field (self->spec, id);

      if (f != NULL)
        {
          section = g_hash_table_lookup (self->section_by_id, f->section->id);
          /* A repeated field named without its entry: the first entry. */
          field = section ? kiosk_form_section_get_field (section, 1, f->id) : NULL;
          if (field == NULL)
            return FALSE;
          kiosk_form_field_set_report (field, content);
          *where = GTK_WIDGET (field);
          return TRUE;
        }
    }
  section = g_hash_table_lookup (self->section_by_id, id);
  if (section != NULL)
    {
      kiosk_form_section_set_report (section, content);
      *where = GTK_WIDGET (section);
      return TRUE;
    }
  return FALSE;
}

static void
clear_reports (KioskFormPage *self)
{
  for (guint i = 0; i < self->sections->len; i++)
    {
      KioskFormSection *section = g_ptr_array_index (self->sections, i);

      kiosk_form_section_set_report (section, NULL);
      for (guint e = 1; e <= kiosk_form_section_get_n_entries (section); e++)
        {
          GPtrArray *fields = kiosk_form_section_get_fields (section, e);

          for (guint j = 0; fields != NULL && j < fields->len; j++)
            kiosk_form_field_set_report (g_ptr_array_index (fields, j), NULL);
        }
    }
  for (guint i = 0; i < self->rows->len; i++)
    kiosk_attachment_row_set_report (g_ptr_array_index (self->rows, i), NULL);
  gtk_label_set_label (self->report_summary, "");
  gtk_widget_set_visible (GTK_WIDGET (self->report_summary), FALSE);
}

void
kiosk_form_page_show_report (KioskFormPage *self, const char * const *items,
                             const char * const *contents)
{
  g_autoptr(GString) rest = g_string_new (NULL);
  GtkWidget *first = NULL;
  guint n = 0;

  g_return_if_fail (KIOSK_IS_FORM_PAGE (self));

  clear_reports (self);
  for (guint i = 0; items != NULL && contents != NULL && items[i] != NULL && contents[i] != NULL;
       i++)
    {
      GtkWidget *where = NULL;

      n++;
      if (place_report (self, items[i], contents[i], &where))
        {
          if (first == NULL)
            first = where;
        }
      else
        g_string_append_printf (rest, "%s%s", rest->len ? "\n" : "", contents[i]);
    }
  if (rest->len > 0)
    {
      gtk_label_set_label (self->report_summary, rest->str);
      gtk_widget_set_visible (GTK_WIDGET (self->report_summary), TRUE);
    }
  if (n > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "The office's system asks for %u correction. It is marked in the form.",
                                                            "The office's system asks for %u corrections. They are marked in the form.",
                                                            n),
                                               n);

      gtk_label_set_label (self->status, text);
      gtk_widget_set_visible (GTK_WIDGET (self->status), TRUE);
    }
  if (first != NULL)
    scroll_to (self, first);
}

/* ---- the answers ---- */

gboolean
kiosk_form_page_is_complete (KioskFormPage *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), FALSE);

  if (self->spec == NULL)
    return FALSE;
  update_requirements (self);
  return validate_all (self, NULL) == 0;
}

/* One answer into scope, typed as the package builder takes it. */
static void
put_answer (JsonObject *scope, KioskFormField *field)
{
  const KioskFieldSpec *spec = kiosk_form_field_get_spec (field);
  g_autofree char *value = NULL;
  gint64 n;

  if (kiosk_form_field_is_secret (field))
    {
      char *digits = kiosk_form_field_dup_secret_text (field);

      if (digits != NULL)
        {
          json_object_set_string_member (scope, spec->id, digits);
          explicit_bzero (digits, strlen (digits));
          g_free (digits);
        }
      return;
    }
  value = kiosk_form_field_get_value (field);
  if (spec->type == KIOSK_FIELD_CHECKBOX)
    json_object_set_boolean_member (scope, spec->id, g_strcmp0 (value, "true") == 0);
  else if (kiosk_form_value_is_blank (value))
    return;
  else if (spec->type == KIOSK_FIELD_NUMBER &&
           g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &n, NULL))
    json_object_set_int_member (scope, spec->id, n);
  else
    json_object_set_string_member (scope, spec->id, value);
}

JsonNode *
kiosk_form_page_get_form (KioskFormPage *self)
{
  JsonObject *root, *items, *groups;
  JsonArray *consent;
  JsonNode *node;

  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), NULL);

  root = json_object_new ();
  items = json_object_new ();
  groups = json_object_new ();
  consent = json_array_new ();
  for (guint i = 0; i < self->sections->len; i++)
    {
      KioskFormSection *section = g_ptr_array_index (self->sections, i);
      const KioskSectionSpec *s = kiosk_form_section_get_spec (section);
      JsonArray *entries = s->repeated ? json_array_new () : NULL;

      for (guint e = 1; e <= kiosk_form_section_get_n_entries (section); e++)
        {
          GPtrArray *fields = kiosk_form_section_get_fields (section, e);
          JsonObject *scope = s->repeated ? json_object_new () : items;

          for (guint j = 0; fields != NULL && j < fields->len; j++)
            put_answer (scope, g_ptr_array_index (fields, j));
          if (s->repeated)
            json_array_add_object_element (entries, scope);
        }
      if (s->repeated)
        json_object_set_array_member (groups, s->id, entries);
    }
  for (guint i = 0; i < self->rows->len; i++)
    {
      KioskAttachmentRow *row = g_ptr_array_index (self->rows, i);

      if (kiosk_attachment_row_get_consent (row))
        json_array_add_string_element (consent, kiosk_attachment_row_get_spec (row)->id);
    }
  json_object_set_object_member (root, "items", items);
  json_object_set_object_member (root, "groups", groups);
  json_object_set_array_member (root, "linkage_consent", consent);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, root);
  return node;
}

/* Overwrite the My Numbers in a form JSON before it is freed. */
static void
wipe_secrets (const KioskProcedureSpec *spec, JsonNode *form)
{
  JsonObject *root = json_node_get_object (form);
  JsonObject *items = json_object_get_object_member (root, "items");
  JsonObject *groups = json_object_get_object_member (root, "groups");

  for (guint i = 0; i < spec->sections->len; i++)
    {
      const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);

      for (guint j = 0; j < s->fields->len; j++)
        {
          const KioskFieldSpec *f = g_ptr_array_index (s->fields, j);
          JsonArray *entries;

          if (!f->my_number)
            continue;
          if (!s->repeated)
            {
              JsonNode *n = json_object_get_member (items, f->id);

              if (n != NULL && JSON_NODE_HOLDS_VALUE (n))
                {
                  char *text = (char *) json_node_get_string (n);

                  if (text != NULL)
                    explicit_bzero (text, strlen (text));
                }
              continue;
            }
          entries = json_object_get_array_member (groups, s->id);
          for (guint e = 0; entries != NULL && e < json_array_get_length (entries); e++)
            {
              JsonNode *n = json_object_get_member (json_array_get_object_element (entries, e),
                                                    f->id);

              if (n != NULL && JSON_NODE_HOLDS_VALUE (n))
                {
                  char *text = (char *) json_node_get_string (n);

                  if (text != NULL)
                    explicit_bzero (text, strlen (text));
                }
            }
        }
    }
}

mp_package_builder *
kiosk_form_page_build_package (KioskFormPage *self, GError **error)
{
  g_autoptr(mp_package_builder) b = NULL;
  JsonNode *form;
  gboolean ok;

  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), NULL);

  if (self->spec == NULL)
    {
      g_set_error (error, MP_ERROR, MP_ERROR_PACKAGE, "no procedure is shown");
      return NULL;
    }
  if ((b = mp_package_builder_new (self->spec->proc_id, error)) == NULL)
    return NULL;
  form = kiosk_form_page_get_form (self);
  ok = mp_package_builder_set_form (b, form, error);
  wipe_secrets (self->spec, form);
  json_node_unref (form);
  if (!ok)
    return NULL;

  for (guint i = 0; i < self->rows->len; i++)
    {
      KioskAttachmentRow *row = g_ptr_array_index (self->rows, i);
      const KioskAttachmentSpec *a = kiosk_attachment_row_get_spec (row);

      if (kiosk_attachment_row_get_consent (row))
        continue;
      for (guint k = 0; k < kiosk_attachment_row_get_n_files (row); k++)
        {
          const KioskAttachmentFile *file = kiosk_attachment_row_get_file (row, k);
          KioskContentType type;
          g_autofree char *name = NULL;

          /* Chosen a while ago: still inside the folders, still the type? */
          if (!kiosk_attachment_file_check ((const char * const *) self->attachment_dirs,
                                            file->path, a->content_types, &type, error))
            {
              kiosk_attachment_row_set_report (row, _("A chosen file can no longer be used. "
                                                      "Remove it and choose it again."));
              return NULL;
            }
          /* Names in the package say what the file is, not what the
           * resident's files are called. */
          name = g_strdup_printf ("%s_%u.%s", a->id, k + 1, kiosk_content_type_extension (type));
          if (!mp_package_builder_add_attachment (b, a->id, file->path, name, error))
            return NULL;
        }
    }
  return g_steal_pointer (&b);
}

/* ---- clearing ---- */

void
kiosk_form_page_clear (KioskFormPage *self)
{
  GtkWidget *child;

  g_return_if_fail (KIOSK_IS_FORM_PAGE (self));

  self->picking = NULL;
  kiosk_attachment_picker_clear (self->picker);
  gtk_stack_set_visible_child_name (self->stack, "form");
  for (guint i = 0; i < self->sections->len; i++)
    kiosk_form_section_wipe (g_ptr_array_index (self->sections, i));
  for (guint i = 0; i < self->rows->len; i++)
    kiosk_attachment_row_clear (g_ptr_array_index (self->rows, i));
  g_hash_table_remove_all (self->section_by_id);
  g_ptr_array_set_size (self->sections, 0);
  g_ptr_array_set_size (self->rows, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sections_box))) != NULL)
    gtk_box_remove (self->sections_box, child);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->attachments_box))) != NULL)
    gtk_box_remove (self->attachments_box, child);
  g_clear_pointer (&self->spec, kiosk_procedure_spec_free);
  g_clear_pointer (&self->procedure, json_node_unref);
  self->revealed = FALSE;
  gtk_label_set_label (self->title, "");
  gtk_label_set_label (self->subtitle, "");
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle), FALSE);
  gtk_label_set_label (self->problem, "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem), FALSE);
  gtk_label_set_label (self->report_summary, "");
  gtk_widget_set_visible (GTK_WIDGET (self->report_summary), FALSE);
  show_status (self, 0);
  gtk_widget_set_visible (self->attachments_title, FALSE);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
}

/* ---- for the review page ---- */

const KioskProcedureSpec *
kiosk_form_page_get_spec (KioskFormPage *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), NULL);

  return self->spec;
}

GPtrArray *
kiosk_form_page_get_sections (KioskFormPage *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), NULL);

  return self->sections;
}

GPtrArray *
kiosk_form_page_get_attachment_rows (KioskFormPage *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_PAGE (self), NULL);

  return self->rows;
}

/* ---- the widget ---- */

GtkWidget *
kiosk_form_page_new (void)
{
  return g_object_new (KIOSK_TYPE_FORM_PAGE, NULL);
}

static void
kiosk_form_page_dispose (GObject *object)
{
  KioskFormPage *self = KIOSK_FORM_PAGE (object);

  if (self->sections != NULL)
    kiosk_form_page_clear (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_FORM_PAGE);
  g_clear_pointer (&self->sections, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->section_by_id, g_hash_table_unref);
  g_clear_pointer (&self->attachment_dirs, g_strfreev);
  G_OBJECT_CLASS (kiosk_form_page_parent_class)->dispose (object);
}

static void
kiosk_form_page_class_init (KioskFormPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_form_page_dispose;

  signals[REVIEW_REQUESTED] = g_signal_new ("review-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[CANCELLED] = g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (KIOSK_TYPE_ATTACHMENT_PICKER);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskformpage");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-form-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, title);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, subtitle);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, intro);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, problem);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, content);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, sections_box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, attachments_title);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, report_summary);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, next_button);
  gtk_widget_class_bind_template_child (widget_class, KioskFormPage, picker);
  gtk_widget_class_bind_template_callback (widget_class, on_next_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_file_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_picker_cancelled);
}

static void
kiosk_form_page_init (KioskFormPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
  self->sections = g_ptr_array_new ();
  self->rows = g_ptr_array_new ();
  self->section_by_id = g_hash_table_new (g_str_hash, g_str_equal);
}
