/* kiosk-review-page.c - the answers as they will be sent.
 *
 * Everything is read from the form page when shown and laid out as
 * label/answer rows; the page keeps no answers of its own beyond the labels
 * on the screen, which kiosk_review_page_clear destroys. The My Number is
 * shown masked but for its last four digits, so that the resident can
 * recognise it and a bystander cannot read it. */

#include "kiosk-review-page.h"

#include <glib/gi18n-lib.h>

#include "kiosk-attachment-row.h"
#include "kiosk-form-field.h"
#include "kiosk-form-page-private.h"
#include "kiosk-form-section.h"

struct _KioskReviewPage
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel *heading;
  GtkLabel *procedure;
  GtkLabel *submit_to;
  GtkLabel *signature;
  GtkScrolledWindow *scroller;
  GtkBox *content;
  GtkWidget *edit_button;
  GtkWidget *confirm_button;
};

G_DEFINE_FINAL_TYPE (KioskReviewPage, kiosk_review_page, GTK_TYPE_WIDGET)

enum { EDIT_REQUESTED, CONFIRMED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GtkWidget *
new_label (const char *text, const char *css)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, css);
  return label;
}

static GtkWidget *
new_panel (const char *title)
{
  GtkWidget *panel = g_object_new (GTK_TYPE_BOX,
                                   "orientation", GTK_ORIENTATION_VERTICAL,
                                   "spacing", 8,
                                   "accessible-role", GTK_ACCESSIBLE_ROLE_GROUP,
                                   NULL);

  gtk_widget_add_css_class (panel, "kiosk-panel");
  gtk_accessible_update_property (GTK_ACCESSIBLE (panel), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);
  gtk_box_append (GTK_BOX (panel), new_label (title, "kiosk-subtitle"));
  return panel;
}

static GtkWidget *
new_grid (void)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  return grid;
}

static void
add_row (GtkWidget *grid, int row, const char *label, const char *answer, gboolean muted)
{
  GtkWidget *question = new_label (label, "kiosk-body");
  GtkWidget *value = new_label (answer, "kiosk-body");

  gtk_widget_set_size_request (question, 360, -1);
  gtk_widget_add_css_class (question, "kiosk-muted");
  gtk_widget_set_hexpand (value, TRUE);
  if (muted)
    gtk_widget_add_css_class (value, "kiosk-muted");
  gtk_grid_attach (GTK_GRID (grid), question, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), value, 1, row, 1, 1);
}

/* The answer of field as the resident should read it; NULL when not
 * answered. */
static char *
answer_text (KioskFormField *field)
{
  const KioskFieldSpec *spec = kiosk_form_field_get_spec (field);
  g_autofree char *value = NULL;

  if (kiosk_form_field_is_secret (field))
    return kiosk_form_field_dup_masked (field);
  value = kiosk_form_field_get_value (field);
  if (spec->type == KIOSK_FIELD_CHECKBOX)
    return g_strdup (g_strcmp0 (value, "true") == 0 ? _("Ticked") : _("Not ticked"));
  if (kiosk_form_value_is_blank (value))
    return NULL;
  if (spec->type == KIOSK_FIELD_SELECT)
    {
      const char *label = kiosk_field_spec_choice_label (spec, value);

      return g_strdup (label ? label : value);
    }
  if (spec->type == KIOSK_FIELD_NUMBER && spec->unit != NULL)
    return g_strdup_printf ("%s %s", value, spec->unit);
  return g_steal_pointer (&value);
}

static void
add_fields (GtkWidget *grid, GPtrArray *fields)
{
  for (guint j = 0; fields != NULL && j < fields->len; j++)
    {
      KioskFormField *field = g_ptr_array_index (fields, j);
      g_autofree char *answer = answer_text (field);

      add_row (grid, (int) j, kiosk_form_field_get_spec (field)->label,
               answer ? answer : _("(no answer)"), answer == NULL);
    }
}

static void
show_section (KioskReviewPage *self, KioskFormSection *section)
{
  const KioskSectionSpec *s = kiosk_form_section_get_spec (section);
  GtkWidget *panel = new_panel (s->title);
  guint n = kiosk_form_section_get_n_entries (section);

  if (!s->repeated)
    {
      GtkWidget *grid = new_grid ();

      add_fields (grid, kiosk_form_section_get_fields (section, 1));
      gtk_box_append (GTK_BOX (panel), grid);
    }
  else if (n == 0)
    gtk_box_append (GTK_BOX (panel), new_label (_("(none)"), "kiosk-muted"));
  for (guint e = 1; s->repeated && e <= n; e++)
    {
      g_autofree char *heading = g_strdup_printf ("%s %u", s->entry_label, e);
      GtkWidget *grid = new_grid ();

      gtk_box_append (GTK_BOX (panel), new_label (heading, "kiosk-subtitle"));
      add_fields (grid, kiosk_form_section_get_fields (section, e));
      gtk_box_append (GTK_BOX (panel), grid);
    }
  gtk_box_append (self->content, panel);
}

static void
show_attachments (KioskReviewPage *self, GPtrArray *rows)
{
  GtkWidget *panel, *grid;

  if (rows->len == 0)
    return;
  panel = new_panel (_("Documents to attach"));
  grid = new_grid ();
  for (guint i = 0; i < rows->len; i++)
    {
      KioskAttachmentRow *row = g_ptr_array_index (rows, i);
      g_autoptr(GString) files = g_string_new (NULL);
      gboolean none = FALSE;

      if (kiosk_attachment_row_get_consent (row))
        g_string_append (files, _("Omitted: checked through information linkage (情報連携で省略)"));
      else
        for (guint k = 0; k < kiosk_attachment_row_get_n_files (row); k++)
          g_string_append_printf (files, "%s%s", k ? "\n" : "",
                                  kiosk_attachment_row_get_file (row, k)->display_name);
      if (files->len == 0)
        {
          g_string_append (files, _("Not attached"));
          none = TRUE;
        }
      add_row (grid, (int) i, kiosk_attachment_row_get_spec (row)->title, files->str, none);
    }
  gtk_box_append (GTK_BOX (panel), grid);
  gtk_box_append (self->content, panel);
}

void
kiosk_review_page_show (KioskReviewPage *self, KioskFormPage *form)
{
  const KioskProcedureSpec *spec;
  GPtrArray *sections;

  g_return_if_fail (KIOSK_IS_REVIEW_PAGE (self));
  g_return_if_fail (KIOSK_IS_FORM_PAGE (form));

  kiosk_review_page_clear (self);
  spec = kiosk_form_page_get_spec (form);
  if (spec == NULL)
    return;
  gtk_label_set_label (self->procedure, spec->title);
  if (spec->submit_to != NULL)
    {
      /* Translators: %s is the department that handles the application
       * (提出先, Japanese). */
      g_autofree char *to = g_strdup_printf (_("Submitted to: %s"), spec->submit_to);

      gtk_label_set_label (self->submit_to, to);
      gtk_widget_set_visible (GTK_WIDGET (self->submit_to), TRUE);
    }
  gtk_label_set_label (self->signature, spec->signature_required
                       ? _("This application is signed with the signature certificate of your "
                           "My Number Card (署名用電子証明書). You will be asked for its password.")
                       : _("This application needs no signature."));
  gtk_button_set_label (GTK_BUTTON (self->confirm_button),
                        spec->signature_required ? _("Sign and send") : _("Send"));
  gtk_widget_set_sensitive (self->confirm_button, TRUE);

  sections = kiosk_form_page_get_sections (form);
  for (guint i = 0; i < sections->len; i++)
    show_section (self, g_ptr_array_index (sections, i));
  show_attachments (self, kiosk_form_page_get_attachment_rows (form));
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
}

void
kiosk_review_page_clear (KioskReviewPage *self)
{
  GtkWidget *child;

  g_return_if_fail (KIOSK_IS_REVIEW_PAGE (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->content))) != NULL)
    gtk_box_remove (self->content, child);
  gtk_label_set_label (self->procedure, "");
  gtk_label_set_label (self->submit_to, "");
  gtk_widget_set_visible (GTK_WIDGET (self->submit_to), FALSE);
  gtk_label_set_label (self->signature, "");
  gtk_widget_set_sensitive (self->confirm_button, FALSE);
}

static void
on_edit_clicked (KioskReviewPage *self)
{
  g_signal_emit (self, signals[EDIT_REQUESTED], 0);
}

static void
on_confirm_clicked (KioskReviewPage *self)
{
  g_signal_emit (self, signals[CONFIRMED], 0);
}

GtkWidget *
kiosk_review_page_new (void)
{
  return g_object_new (KIOSK_TYPE_REVIEW_PAGE, NULL);
}

static void
kiosk_review_page_dispose (GObject *object)
{
  KioskReviewPage *self = KIOSK_REVIEW_PAGE (object);

  if (self->content != NULL)
    kiosk_review_page_clear (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_REVIEW_PAGE);
  G_OBJECT_CLASS (kiosk_review_page_parent_class)->dispose (object);
}

static void
kiosk_review_page_class_init (KioskReviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_review_page_dispose;

  signals[EDIT_REQUESTED] = g_signal_new ("edit-requested", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
  signals[CONFIRMED] = g_signal_new ("confirmed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskreviewpage");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-review-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, box);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, heading);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, procedure);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, submit_to);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, signature);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, content);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, edit_button);
  gtk_widget_class_bind_template_child (widget_class, KioskReviewPage, confirm_button);
  gtk_widget_class_bind_template_callback (widget_class, on_edit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
}

static void
kiosk_review_page_init (KioskReviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
