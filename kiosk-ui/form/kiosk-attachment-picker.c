/* kiosk-attachment-picker.c - choosing a file to attach, inside the page. */

#include "kiosk-attachment-picker.h"

#include <glib/gi18n-lib.h>

struct _KioskAttachmentPicker
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel *heading;
  GtkLabel *document;
  GtkLabel *status;
  GtkListBox *list;
  GtkWidget *back_button;

  GCancellable *cancellable;   /* the running scan */
  GPtrArray *files;            /* of KioskAttachmentFile, one per row */
};

G_DEFINE_FINAL_TYPE (KioskAttachmentPicker, kiosk_attachment_picker, GTK_TYPE_WIDGET)

enum { CHOSEN, CANCELLED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *
type_name (KioskContentType type)
{
  switch (type)
    {
    case KIOSK_CONTENT_PDF:
      return "PDF";
    case KIOSK_CONTENT_JPEG:
      return "JPEG";
    case KIOSK_CONTENT_PNG:
      return "PNG";
    default:
      return "";
    }
}

static void
empty_list (KioskAttachmentPicker *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_ptr_array_set_size (self->files, 0);
}

static GtkWidget *
file_row (const KioskAttachmentFile *file)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (file->display_name);
  g_autofree char *size = g_format_size ((guint64) file->size);
  g_autofree char *detail = g_strdup_printf ("%s, %s", type_name (file->type), size);
  GtkWidget *info = gtk_label_new (detail);

  gtk_widget_set_size_request (row, -1, 72);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (name, "kiosk-subtitle");
  gtk_label_set_xalign (GTK_LABEL (info), 0);
  gtk_widget_add_css_class (info, "kiosk-body");
  gtk_widget_add_css_class (info, "kiosk-muted");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), info);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  file->display_name, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  detail, -1);
  return row;
}

static void
on_scanned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(KioskAttachmentPicker) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = kiosk_attachment_scan_finish (result, &error);

  /* A scan that was replaced or stopped meanwhile has nothing to say. */
  if (self->cancellable == NULL || g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;
  if (files == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_object (&self->cancellable);
          g_warning ("listing the attachment folders: %s", error->message);
          gtk_label_set_label (self->status, _("The files could not be listed. Please ask a member of staff."));
        }
      return;
    }
  g_clear_object (&self->cancellable);
  for (guint i = 0; i < files->len; i++)
    {
      KioskAttachmentFile *f = g_ptr_array_index (files, i);

      gtk_list_box_append (self->list, file_row (f));
      g_ptr_array_add (self->files, g_steal_pointer (&files->pdata[i]));
    }
  if (self->files->len == 0)
    gtk_label_set_label (self->status,
                         _("No file of a suitable type was found. Scan or save the document first, "
                           "or ask a member of staff."));
  else
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u file found. Tap the one to attach.",
                                                            "%u files found. Tap the one to attach.",
                                                            self->files->len),
                                               self->files->len);

      gtk_label_set_label (self->status, text);
    }
}

void
kiosk_attachment_picker_load (KioskAttachmentPicker *self, const char * const *dirs,
                              const KioskAttachmentSpec *spec)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_PICKER (self));
  g_return_if_fail (spec != NULL);

  kiosk_attachment_picker_clear (self);
  gtk_label_set_label (self->document, spec->title);
  if (dirs == NULL || dirs[0] == NULL)
    {
      gtk_label_set_label (self->status,
                           _("This kiosk has no folder for attachments. Please ask a member of staff."));
      return;
    }
  gtk_label_set_label (self->status, _("Looking for files…"));
  self->cancellable = g_cancellable_new ();
  kiosk_attachment_scan_async (dirs, spec->content_types, self->cancellable, on_scanned,
                               g_object_ref (self));
}

gboolean
kiosk_attachment_picker_is_loading (KioskAttachmentPicker *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_PICKER (self), FALSE);

  return self->cancellable != NULL;
}

GPtrArray *
kiosk_attachment_picker_get_files (KioskAttachmentPicker *self)
{
  g_return_val_if_fail (KIOSK_IS_ATTACHMENT_PICKER (self), NULL);

  return self->files;
}

void
kiosk_attachment_picker_choose (KioskAttachmentPicker *self, guint index)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_PICKER (self));

  if (index < self->files->len)
    g_signal_emit (self, signals[CHOSEN], 0, g_ptr_array_index (self->files, index));
}

static void
on_row_activated (KioskAttachmentPicker *self, GtkListBoxRow *row)
{
  int index = gtk_list_box_row_get_index (row);

  if (index >= 0)
    kiosk_attachment_picker_choose (self, (guint) index);
}

static void
on_back_clicked (KioskAttachmentPicker *self)
{
  g_signal_emit (self, signals[CANCELLED], 0);
}

void
kiosk_attachment_picker_clear (KioskAttachmentPicker *self)
{
  g_return_if_fail (KIOSK_IS_ATTACHMENT_PICKER (self));

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  empty_list (self);
  gtk_label_set_label (self->document, "");
  gtk_label_set_label (self->status, "");
}

GtkWidget *
kiosk_attachment_picker_new (void)
{
  return g_object_new (KIOSK_TYPE_ATTACHMENT_PICKER, NULL);
}

static void
kiosk_attachment_picker_dispose (GObject *object)
{
  KioskAttachmentPicker *self = KIOSK_ATTACHMENT_PICKER (object);

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_ATTACHMENT_PICKER);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  G_OBJECT_CLASS (kiosk_attachment_picker_parent_class)->dispose (object);
}

static void
kiosk_attachment_picker_class_init (KioskAttachmentPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_attachment_picker_dispose;

  signals[CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[CANCELLED] = g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskattachmentpicker");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-attachment-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, box);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, heading);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, document);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, status);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, list);
  gtk_widget_class_bind_template_child (widget_class, KioskAttachmentPicker, back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
}

static void
kiosk_attachment_picker_init (KioskAttachmentPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) kiosk_attachment_file_free);
}
