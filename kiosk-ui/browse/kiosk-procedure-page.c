/* kiosk-procedure-page.c - one procedure before applying.
 *
 * Everything comes from the procedure's definition (portal-sim-catalog.md,
 * "The procedure file"). The documents are sorted by what the resident has
 * to do about them:
 *   - always needed: required, and 情報連携 cannot replace them;
 *   - needed in some cases: required_when, said in words from the form's
 *     own question and answer ("Needed when you answer 「別居」 to 「…」");
 *   - can be left out with information linkage: omittable ones, required
 *     or conditional, with the linkage_note saying what the municipality
 *     checks instead;
 *   - optional: neither required nor conditional (the catalogue has some).
 */

#include "kiosk-procedure-page.h"

#include "kiosk-a11y.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kiosk-browse-util.h"
#include "kiosk-load-status.h"

struct _KioskProcedurePage
{
  GtkWidget parent_instance;

  GtkStack *stack;
  KioskLoadStatus *status;
  GtkScrolledWindow *scroller;
  GtkLabel *title_label;
  GtkLabel *place_label;
  GtkLabel *description_label;
  GtkGrid *facts_grid;
  GtkLabel *signature_label;
  GtkWidget *notes_group;
  GtkBox *notes_box;
  GtkWidget *no_attachments_label;
  GtkWidget *required_group;
  GtkBox *required_box;
  GtkWidget *conditional_group;
  GtkBox *conditional_box;
  GtkWidget *omittable_group;
  GtkBox *omittable_box;
  GtkWidget *optional_group;
  GtkBox *optional_box;
  GtkButton *apply_button;

  mp_client *client;          /* borrowed */
  GCancellable *cancellable;
  char *proc_id;              /* the one asked for (for "Try again") */
  JsonNode *definition;       /* the one shown */
};

G_DEFINE_FINAL_TYPE (KioskProcedurePage, kiosk_procedure_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_APPLY_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
grid_clear (GtkGrid *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))))
    gtk_grid_remove (grid, child);
}

/* Forget what is shown: texts, rows, the definition. */
static void
forget_content (KioskProcedurePage *self)
{
  gtk_label_set_label (self->title_label, "");
  gtk_label_set_label (self->place_label, "");
  gtk_label_set_label (self->description_label, "");
  gtk_label_set_label (self->signature_label, "");
  grid_clear (self->facts_grid);
  kiosk_browse_box_clear (self->notes_box);
  kiosk_browse_box_clear (self->required_box);
  kiosk_browse_box_clear (self->conditional_box);
  kiosk_browse_box_clear (self->omittable_box);
  kiosk_browse_box_clear (self->optional_box);
  gtk_widget_set_visible (self->notes_group, FALSE);
  gtk_widget_set_visible (self->no_attachments_label, FALSE);
  gtk_widget_set_visible (self->required_group, FALSE);
  gtk_widget_set_visible (self->conditional_group, FALSE);
  gtk_widget_set_visible (self->omittable_group, FALSE);
  gtk_widget_set_visible (self->optional_group, FALSE);
  g_clear_pointer (&self->definition, json_node_unref);
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->apply_button), FALSE);
}

/* The form field id in definition, or NULL. */
static JsonObject *
find_field (JsonObject *definition, const char *id)
{
  JsonObject *form = kiosk_browse_json_object (definition, "form");
  JsonArray *sections = kiosk_browse_json_array_member (form, "sections");
  for (guint i = 0; sections && i < json_array_get_length (sections); i++)
    {
      JsonObject *s = kiosk_browse_json_object_at (sections, i);
      JsonArray *fields = kiosk_browse_json_array_member (s, "fields");
      for (guint k = 0; fields && k < json_array_get_length (fields); k++)
        {
          JsonObject *f = kiosk_browse_json_object_at (fields, k);
          if (f && g_strcmp0 (kiosk_browse_json_string (f, "id"), id) == 0)
            return f;
        }
    }
  return NULL;
}

/* required_when in words, from the form's own question and answer. */
static char *
condition_text (JsonObject *definition, JsonObject *attachment)
{
  JsonObject *when = kiosk_browse_json_object (attachment, "required_when");
  const char *field_id = kiosk_browse_json_string (when, "field");
  const char *value = kiosk_browse_json_string (when, "value");
  JsonObject *field = field_id ? find_field (definition, field_id) : NULL;
  const char *label = field ? kiosk_browse_json_string (field, "label") : NULL;
  const char *type = field ? kiosk_browse_json_string (field, "type") : NULL;

  if (label && g_strcmp0 (type, "checkbox") == 0)
    /* Translators: %s is a question of the form (Japanese, from the portal) */
    return g_strdup_printf (_("Needed when you tick “%s” on the form."), label);
  if (label && value)
    {
      const char *answer = value;
      JsonArray *choices = kiosk_browse_json_array_member (field, "choices");
      for (guint i = 0; choices && i < json_array_get_length (choices); i++)
        {
          JsonObject *c = kiosk_browse_json_object_at (choices, i);
          if (c && g_strcmp0 (kiosk_browse_json_string (c, "value"), value) == 0 &&
              kiosk_browse_json_string (c, "label"))
            answer = kiosk_browse_json_string (c, "label");
        }
      /* Translators: %1$s is a question of the form, %2$s the answer that
       * makes the document necessary (both Japanese, from the portal) */
      return g_strdup_printf (_("Needed when you answer “%2$s” to “%1$s” on the form."),
                              label, answer);
    }
  return g_strdup (_("Needed only in some cases, depending on your answers on the form."));
}

static char *
types_text (JsonObject *attachment)
{
  JsonArray *types = kiosk_browse_json_array_member (attachment, "content_types");
  GString *s = g_string_new (NULL);
  for (guint i = 0; types && i < json_array_get_length (types); i++)
    {
      const char *t = kiosk_browse_json_string_at (types, i);
      const char *word = g_strcmp0 (t, "image/jpeg") == 0 ? "JPEG"
                         : g_strcmp0 (t, "image/png") == 0 ? "PNG"
                         : g_strcmp0 (t, "application/pdf") == 0 ? "PDF" : t;
      if (word == NULL)
        continue;
      if (s->len)
        g_string_append (s, ", ");
      g_string_append (s, word);
    }
  return g_string_free (s, FALSE);
}

typedef enum {
  KIND_REQUIRED,
  KIND_CONDITIONAL,
  KIND_OMITTABLE,
  KIND_OPTIONAL
} AttachmentKind;

static GtkWidget *
attachment_panel (JsonObject *definition, JsonObject *a, AttachmentKind kind)
{
  const char *title = kiosk_browse_json_string (a, "title");
  const char *description = kiosk_browse_json_string (a, "description");
  const char *note = kiosk_browse_json_string (a, "linkage_note");
  gboolean conditional = kiosk_browse_json_object (a, "required_when") != NULL;
  gint64 max_files = kiosk_browse_json_int (a, "max_files", 1);

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (box, "kiosk-panel");
  GtkWidget *t = kiosk_browse_label_new (title ? title : "", "kiosk-body");
  gtk_widget_add_css_class (t, "heading");
  gtk_box_append (GTK_BOX (box), t);

  /* What to do about it, in one sentence (also the accessible description). */
  GString *marker = g_string_new (NULL);
  switch (kind)
    {
    case KIND_REQUIRED:
      g_string_append (marker, _("Every applicant attaches this."));
      break;
    case KIND_CONDITIONAL:
      {
        g_autofree char *c = condition_text (definition, a);
        g_string_append (marker, c);
      }
      break;
    case KIND_OMITTABLE:
      if (conditional)
        {
          g_autofree char *c = condition_text (definition, a);
          g_string_append (marker, c);
          g_string_append_c (marker, ' ');
        }
      g_string_append (marker, _("You may leave it out if you agree to information linkage."));
      break;
    case KIND_OPTIONAL:
      g_string_append (marker, _("Attach it if you have it; it is not required."));
      break;
    }
  GtkWidget *m = kiosk_browse_label_new (marker->str, "kiosk-body");
  if (kind == KIND_REQUIRED || kind == KIND_CONDITIONAL)
    gtk_widget_add_css_class (m, "kiosk-warning");
  gtk_box_append (GTK_BOX (box), m);

  if (kind == KIND_OMITTABLE && note)
    {
      /* Translators: %s is the portal's linkage_note (Japanese): what the
       * municipality checks through 情報連携 instead of the document */
      g_autofree char *n = g_strdup_printf (_("Instead: %s"), note);
      gtk_box_append (GTK_BOX (box), kiosk_browse_label_new (n, "kiosk-body"));
    }
  if (description)
    {
      GtkWidget *d = kiosk_browse_label_new (description, "kiosk-body");
      gtk_widget_add_css_class (d, "kiosk-muted");
      gtk_box_append (GTK_BOX (box), d);
    }

  g_autofree char *types = types_text (a);
  g_autofree char *files = NULL;
  if (max_files > 1)
    files = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Photos or files: %s, up to %u file.",
                                          "Photos or files: %s, up to %u files.",
                                          (gulong) max_files),
                             types, (guint) max_files);
  else
    files = g_strdup_printf (_("Photo or file: %s."), types);
  GtkWidget *f = kiosk_browse_label_new (files, "kiosk-body");
  gtk_widget_add_css_class (f, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), f);

  kiosk_browse_set_name (box, title ? title : "");
  kiosk_browse_set_description (box, marker->str);
  g_string_free (marker, TRUE);
  return box;
}

static void
show_definition (KioskProcedurePage *self, JsonNode *node)
{
  JsonObject *d = json_node_get_object (node);
  const char *title = kiosk_browse_json_string (d, "title");
  const char *pref = kiosk_browse_json_string (d, "prefecture");
  const char *city = kiosk_browse_json_string (d, "city_name");
  const char *category = kiosk_browse_json_string (d, "category");

  forget_content (self);
  self->definition = json_node_ref (node);

  gtk_label_set_label (self->title_label, title ? title : "");
  g_autofree char *place = g_strjoin (" ", pref ? pref : "", city ? city : "", NULL);
  g_strstrip (place);
  g_autofree char *where = category
    ? g_strdup_printf ("%s  ·  %s", place, kiosk_browse_category_label (category))
    : g_strdup (place);
  gtk_label_set_label (self->place_label, where);
  gtk_label_set_label (self->description_label,
                       kiosk_browse_json_string (d, "description")
                         ? kiosk_browse_json_string (d, "description") : "");

  int row = 0;
  kiosk_browse_grid_add (self->facts_grid, &row, _("Submitted to"),
                         kiosk_browse_json_string (d, "submit_to"));
  kiosk_browse_grid_add (self->facts_grid, &row, _("Processing time"),
                         kiosk_browse_json_string (d, "processing_period"));
  kiosk_browse_grid_add (self->facts_grid, &row, _("Deadline"),
                         kiosk_browse_json_string (d, "deadline"));
  kiosk_browse_grid_add (self->facts_grid, &row, _("Legal basis"),
                         kiosk_browse_json_string (d, "legal_basis"));

  gboolean signature = kiosk_browse_json_bool (d, "signature_required", FALSE);
  gtk_label_set_label (self->signature_label,
                       signature
                         ? _("You sign this application with the signature certificate of your "
                             "My Number Card. Have its password ready (6 to 16 letters and digits).")
                         : _("This application does not need the signature certificate of your "
                             "My Number Card."));

  JsonArray *notes = kiosk_browse_json_array_member (d, "notes");
  for (guint i = 0; notes && i < json_array_get_length (notes); i++)
    {
      const char *n = kiosk_browse_json_string_at (notes, i);
      if (n == NULL)
        continue;
      g_autofree char *bullet = g_strdup_printf ("•  %s", n);
      gtk_box_append (self->notes_box, kiosk_browse_label_new (bullet, "kiosk-body"));
      gtk_widget_set_visible (self->notes_group, TRUE);
    }

  JsonArray *atts = kiosk_browse_json_array_member (d, "attachments");
  guint n_att = atts ? json_array_get_length (atts) : 0;
  for (guint i = 0; i < n_att; i++)
    {
      JsonObject *a = kiosk_browse_json_object_at (atts, i);
      if (a == NULL)
        continue;
      gboolean required = kiosk_browse_json_bool (a, "required", FALSE);
      gboolean conditional = kiosk_browse_json_object (a, "required_when") != NULL;
      gboolean omittable = kiosk_browse_json_bool (a, "omittable_by_information_linkage", FALSE);
      AttachmentKind kind = omittable ? KIND_OMITTABLE
                            : required ? KIND_REQUIRED
                            : conditional ? KIND_CONDITIONAL : KIND_OPTIONAL;
      GtkBox *box = kind == KIND_REQUIRED ? self->required_box
                    : kind == KIND_CONDITIONAL ? self->conditional_box
                    : kind == KIND_OMITTABLE ? self->omittable_box : self->optional_box;
      GtkWidget *group = kind == KIND_REQUIRED ? self->required_group
                         : kind == KIND_CONDITIONAL ? self->conditional_group
                         : kind == KIND_OMITTABLE ? self->omittable_group : self->optional_group;
      gtk_box_append (box, attachment_panel (d, a, kind));
      gtk_widget_set_visible (group, TRUE);
    }
  gtk_widget_set_visible (self->no_attachments_label, n_att == 0);

  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "content");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  gtk_widget_set_visible (GTK_WIDGET (self->apply_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_button), TRUE);
}

static void
definition_answered (gpointer owner, GCancellable *cancellable, mp_result *result,
                     const GError *error, gpointer data)
{
  KioskProcedurePage *self = owner;

  if (cancellable != self->cancellable)
    return;
  g_autoptr(GError) bad = NULL;
  if (result && !JSON_NODE_HOLDS_OBJECT (result->results))
    bad = g_error_new (MP_ERROR, MP_ERROR_PROTOCOL, "procedure: results is not an object");
  if (error || bad)
    {
      forget_content (self);
      gtk_stack_set_visible_child_name (self->stack, "status");
      if (!kiosk_load_status_show_error (self->status, error ? error : bad))
        kiosk_load_status_reset (self->status);
      return;
    }
  show_definition (self, result->results);
}

static void
load_now (KioskProcedurePage *self)
{
  g_return_if_fail (self->client != NULL);
  GCancellable *c = kiosk_browse_renew_cancellable (&self->cancellable);
  forget_content (self);
  gtk_stack_set_visible_child_name (self->stack, "status");
  kiosk_load_status_show_loading (self->status);
  kiosk_browse_call (self, self->client, mp_call_procedure (self->proc_id), c,
                     definition_answered, NULL);
}

static void
retry_requested (KioskProcedurePage *self)
{
  if (self->proc_id)
    load_now (self);
}

static void
apply_clicked (KioskProcedurePage *self)
{
  if (self->definition)
    g_signal_emit (self, signals[SIGNAL_APPLY_REQUESTED], 0);
}

static void
kiosk_procedure_page_dispose (GObject *object)
{
  KioskProcedurePage *self = KIOSK_PROCEDURE_PAGE (object);

  kiosk_browse_cancel (&self->cancellable);
  g_clear_pointer (&self->definition, json_node_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), KIOSK_TYPE_PROCEDURE_PAGE);
  kiosk_browse_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (kiosk_procedure_page_parent_class)->dispose (object);
}

static void
kiosk_procedure_page_finalize (GObject *object)
{
  KioskProcedurePage *self = KIOSK_PROCEDURE_PAGE (object);

  g_free (self->proc_id);
  G_OBJECT_CLASS (kiosk_procedure_page_parent_class)->finalize (object);
}

static void
kiosk_procedure_page_class_init (KioskProcedurePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_procedure_page_dispose;
  object_class->finalize = kiosk_procedure_page_finalize;

  signals[SIGNAL_APPLY_REQUESTED] =
    g_signal_new ("apply-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (KIOSK_TYPE_LOAD_STATUS);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/browse/kiosk-procedure-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, stack);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, status);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, title_label);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, place_label);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, description_label);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, facts_grid);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, signature_label);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, notes_group);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, notes_box);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, no_attachments_label);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, required_group);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, required_box);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, conditional_group);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, conditional_box);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, omittable_group);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, omittable_box);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, optional_group);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, optional_box);
  gtk_widget_class_bind_template_child (widget_class, KioskProcedurePage, apply_button);
  gtk_widget_class_bind_template_callback (widget_class, retry_requested);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked);
}

static void
kiosk_procedure_page_init (KioskProcedurePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kiosk_a11y_track_stack (self->stack);
  forget_content (self);
}

GtkWidget *
kiosk_procedure_page_new (void)
{
  return g_object_new (KIOSK_TYPE_PROCEDURE_PAGE, NULL);
}

void
kiosk_procedure_page_set_client (KioskProcedurePage *self, mp_client *client)
{
  g_return_if_fail (KIOSK_IS_PROCEDURE_PAGE (self));
  if (self->client == client)
    return;
  kiosk_procedure_page_clear (self);
  self->client = client;
}

void
kiosk_procedure_page_load (KioskProcedurePage *self, const char *proc_id)
{
  g_return_if_fail (KIOSK_IS_PROCEDURE_PAGE (self));
  g_return_if_fail (proc_id != NULL);
  g_return_if_fail (self->client != NULL);

  g_free (self->proc_id);
  self->proc_id = g_strdup (proc_id);
  load_now (self);
}

JsonNode *
kiosk_procedure_page_get_definition (KioskProcedurePage *self)
{
  g_return_val_if_fail (KIOSK_IS_PROCEDURE_PAGE (self), NULL);
  return self->definition;
}

void
kiosk_procedure_page_clear (KioskProcedurePage *self)
{
  g_return_if_fail (KIOSK_IS_PROCEDURE_PAGE (self));

  kiosk_browse_cancel (&self->cancellable);
  forget_content (self);
  g_clear_pointer (&self->proc_id, g_free);
  kiosk_load_status_reset (self->status);
  gtk_stack_set_visible_child_name (self->stack, "status");
}
