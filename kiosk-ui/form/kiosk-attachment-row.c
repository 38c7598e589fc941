/* kiosk-attachment-row.c - one document the procedure asks for. */

#include "kiosk-attachment-row.h"

#include <glib/gi18n-lib.h>

struct _KioskAttachmentRow
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel *title;
  GtkLabel *badge;
  GtkLabel *description;
  GtkLabel *types;
  GtkBox *files_box;
  GtkWidget *choose_button;
  GtkWidget *consent_box;
  GtkSwitch *consent;
  GtkLabel *consent_label;
  GtkLabel *linkage_note;
  GtkLabel *message;
  GtkLabel *report;

  const KioskAttachmentSpec *spec;
  char *choose_name;       /* the accessible name of choose_button */
  GPtrArray *files;        /* of KioskAttachmentFile */
  GPtrArray *file_rows;    /* the row widget of each file */
  gboolean required;
  gboolean touched, revealed;
  guint updating;
};

G_DEFINE_FINAL_TYPE (KioskAttachmentRow, kiosk_attachment_row, GTK_TYPE_WIDGET)

enum { CHOOSE_REQUESTED, CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
changed (KioskAttachmentRow *self)
{
  if (self->updating > 0)
    return;
  self->touched = TRUE;
  kiosk_attachment_row_set_report (self, NULL);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
update_buttons (KioskAttachmentRow *self)
{
  gboolean consent = gtk_switch_get_active (self->consent);

  gtk_widget_set_visible (self->choose_button,
                          !consent && self->files->len < self->spec->max_files);
  gtk_widget_set_visible (GTK_WIDGET (self->files_box), !consent && self->files->len > 0);
  gtk_button_set_label (GTK_BUTTON (self->choose_button),
                        self->files->len > 0 ? _("Choose another file") : _("Choose file"));
  /* Setting the label renames the button: name it after the document
   * again, so that each "Choose file" is told apart. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->choose_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->choose_name, -1);
}

static void
on_remove_file (GtkButton *button, KioskAttachmentRow *self)
{
  guint index;

  if (g_ptr_array_find (self->file_rows, button, &index))
    kiosk_attachment_row_remove_file (self, index);
}

static void
on_choose_clicked (KioskAttachmentRow *self)
{
  g_signal_emit (self, signals[CHOOSE_REQUESTED], 0);
}

static void
on_consent_changed (KioskAttachmentRow *self)
{
  /* Consent and a file for the same document do not go together: the
   * files go when the resident chooses 情報連携. */
  if (gtk_switch_get_active (self->consent))
    while (self->files->len > 0)
      {
        self->updating++;
        kiosk_attachment_row_remove_file (self, self->files->len - 1);
        self->updating--;
      }
  update_buttons (self);
  changed (self);
}

GtkWidget *
kiosk_attachment_row_new (const KioskAttachmentSpec *spec)
{
  KioskAttachmentRow *self;
  g_autoptr(GString) types = g_string_new (NULL);
  g_autofree char *line = NULL, *omit = NULL;
  static const struct {
    KioskContentType type;
    const char *name;
  } names[] = {
    { KIOSK_CONTENT_PDF, "PDF" },
    { KIOSK_CONTENT_JPEG, "JPEG" },
    { KIOSK_CONTENT_PNG, "PNG" },
  };

  g_return_val_if_fail (spec != NULL, NULL);

  self = g_object_new (KIOSK_TYPE_ATTACHMENT_ROW, NULL);
  self->spec = spec;
  gtk_label_set_label (self->title, spec->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  spec->title, -1);
  if (spec->description != NULL)
    {
      gtk_label_set_label (self->description, spec->description);
      gtk_widget_set_visible (GTK_WIDGET (self->description), TRUE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (spec->content_types & names[i].type)
      g_string_append_printf (types, "%s%s", types->len ? ", " : "", names[i].name);
  /* Translators: %s lists file formats, e.g. "PDF, JPEG, PNG". */
  line = g_strdup_printf (_("File types: %s."), types->str);
  if (spec->max_files > 1)
    {
      g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "You can attach up to %u file.",
                                                            "You can attach up to %u files.",
                                                            spec->max_files),
                                               spec->max_files);
      g_autofree char *both = g_strdup_printf ("%s %s", line, more);

      g_free (line);
      line = g_steal_pointer (&both);
    }
  gtk_label_set_label (self->types, line);

  /* Translators: the accessible name of the "Choose file" button of one
   * document; %s is the document's name (Japanese). */
  self->choose_name = g_strdup_printf (_("Choose a file for “%s”"), spec->title);
  if (spec->omittable)
    {
      /* Translators: the accessible name of the switch that replaces a
       * document by 情報連携; %s is the document's name (Japanese). */
      omit = g_strdup_printf (_("Omit “%s” by information linkage"), spec->title);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->consent),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, omit, -1);
      gtk_widget_set_visible (self->consent_box, TRUE);
      if (spec->linkage_note != NULL)
        {
          gtk_label_set_label (self->linkage_note, spec->linkage_note);
          gtk_widget_set_visible (GTK_WIDGET (self->linkage_note), TRUE);
        }
    }
  kiosk_attachment_row_set_required (self, spec->required);
  update_buttons (self);
  return GTK_WIDGET (self);
}

const KioskAttachmentSpec *
kiosk_attachment_row_get_spec (KioskAttachmentRow *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), NULL);

  return self->spec;
}

gboolean
kiosk_attachment_row_add_file (KioskAttachmentRow *self, const KioskAttachmentFile *file)
{
  KioskAttachmentFile *copy;
  GtkWidget *row, *name, *remove;
  g_autofree char *size = NULL, *text = NULL, *remove_name = NULL;

  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), FALSE);
  g_return_val_if_fail (file != NULL, FALSE);

  if (self->files->len >= self->spec->max_files || gtk_switch_get_active (self->consent))
    return FALSE;
  for (guint i = 0; i < self->files->len; i++)
    if (g_str_equal (((KioskAttachmentFile *) g_ptr_array_index (self->files, i))->path,
                     file->path))
      return FALSE;

  copy = g_new0 (KioskAttachmentFile, 1);
  copy->path = g_strdup (file->path);
  copy->display_name = g_strdup (file->display_name);
  copy->type = file->type;
  copy->size = file->size;
  g_ptr_array_add (self->files, copy);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  size = g_format_size ((guint64) file->size);
  text = g_strdup_printf ("%s (%s)", file->display_name, size);
  name = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (name, "kiosk-body");
  remove = gtk_button_new_with_label (_("Remove"));
  gtk_widget_add_css_class (remove, "kiosk-big-button");
  /* Translators: the accessible name of the button that takes a chosen
   * file off a document; the first %s is the file's name, the second the
   * document's (Japanese). */
  remove_name = g_strdup_printf (_("Remove %s from “%s”"), file->display_name, self->spec->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  remove_name, -1);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_file), self, 0);
  gtk_box_append (GTK_BOX (row), name);
  gtk_box_append (GTK_BOX (row), remove);
  gtk_box_append (self->files_box, row);
  g_ptr_array_add (self->file_rows, remove);

  update_buttons (self);
  changed (self);
  return TRUE;
}

void
kiosk_attachment_row_remove_file (KioskAttachmentRow *self, guint index)
{
  GtkWidget *remove;

  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  if (index >= self->files->len)
    return;
  remove = g_ptr_array_index (self->file_rows, index);
  gtk_box_remove (self->files_box, gtk_widget_get_parent (remove));
  g_ptr_array_remove_index (self->file_rows, index);
  g_ptr_array_remove_index (self->files, index);
  update_buttons (self);
  changed (self);
}

guint
kiosk_attachment_row_get_n_files (KioskAttachmentRow *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), 0);

  return self->files->len;
}

const KioskAttachmentFile *
kiosk_attachment_row_get_file (KioskAttachmentRow *self, guint index)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), NULL);

  return index < self->files->len ? g_ptr_array_index (self->files, index) : NULL;
}

gboolean
kiosk_attachment_row_get_consent (KioskAttachmentRow *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), FALSE);

  return self->spec->omittable && gtk_switch_get_active (self->consent);
}

void
kiosk_attachment_row_set_consent (KioskAttachmentRow *self, gboolean consent)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  if (!self->spec->omittable)
    return;
  gtk_switch_set_active (self->consent, consent);
}

void
kiosk_attachment_row_set_required (KioskAttachmentRow *self, gboolean required)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  self->required = !!required;
  gtk_widget_set_visible (GTK_WIDGET (self->badge), self->required);
}

gboolean
kiosk_attachment_row_get_required (KioskAttachmentRow *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), FALSE);

  return self->required;
}

KioskRule
kiosk_attachment_row_validate (KioskAttachmentRow *self)
{
  KioskRule rule = KIOSK_RULE_OK;
  g_autofree char *text = NULL;

  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), KIOSK_RULE_OK);

  if (self->required && self->files->len == 0 && !kiosk_attachment_row_get_consent (self))
    rule = KIOSK_RULE_ATTACHMENT_MISSING;
  else if (self->files->len > self->spec->max_files)
    rule = KIOSK_RULE_ATTACHMENT_TOO_MANY;
  if (rule != KIOSK_RULE_OK && (self->touched || self->revealed))
    text = kiosk_rule_attachment_message (self->spec, rule);
  gtk_label_set_label (self->message, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message), text != NULL);
  if (text != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->choose_button),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->choose_button),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  return rule;
}

void
kiosk_attachment_row_reveal (KioskAttachmentRow *self)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  self->revealed = TRUE;
}

void
kiosk_attachment_row_set_report (KioskAttachmentRow *self, const char *content)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  gtk_label_set_label (self->report, content ? content : "");
  gtk_widget_set_visible (GTK_WIDGET (self->report), content != NULL);
}

gboolean
kiosk_attachment_row_focus (KioskAttachmentRow *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_ROW (self), FALSE);

  if (gtk_widget_get_visible (self->choose_button))
    return gtk_widget_grab_focus (self->choose_button);
  return gtk_widget_grab_focus (GTK_WIDGET (self->consent));
}

void
kiosk_attachment_row_clear (KioskAttachmentRow *self)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_ROW (self));

  self->updating++;
  while (self->files->len > 0)
    kiosk_attachment_row_remove_file (self, self->files->len - 1);
  gtk_switch_set_active (self->consent, FALSE);
  self->updating--;
  kiosk_attachment_row_set_report (self, NULL);
  update_buttons (self);
}

static void
kiosk_attachment_row_dispose (GObject *object)
{
  KioskAttachmentRow *self = KIOSK_ATTACHMENT_ROW (object);

  self->updating++;
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_ATTACHMENT_ROW);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->file_rows, g_ptr_array_unref);
  g_clear_pointer (&self->choose_name, g_free);
  G_OBJECT_CLASS (kiosk_attachment_row_parent_class)->dispose (object);
}

static void
kiosk_attachment_row_class_init (KioskAttachmentRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_attachment_row_dispose;

  signals[CHOOSE_REQUESTED] = g_signal_new ("choose-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskattachmentrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-attachment-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, box);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, title);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, badge);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, description);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, types);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, files_box);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, choose_button);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, consent_box);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, consent);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, consent_label);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, linkage_note);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, message);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentRow, report);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_consent_changed);
}

static void
kiosk_attachment_row_init (KioskAttachmentRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_attachment_file_free);
  self->file_rows = g_ptr_array_new ();
}
