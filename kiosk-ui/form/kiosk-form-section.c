/* kiosk-form-section.c - a section of the form, plain or repeated. */

#include "kiosk-form-section.h"

#include <glib/gi18n-lib.h>

typedef struct {
  GtkWidget *frame;        /* the entry's block (the section's box for a plain one) */
  GtkLabel *heading;       /* "子ども 1"; NULL for a plain section */
  GtkWidget *remove;
  GPtrArray *fields;       /* of KioskFormField (borrowed from the widget tree) */
} Entry;

struct _KioskFormSection
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel *title;
  GtkLabel *description;
  GtkBox *entries_box;
  GtkLabel *report;
  GtkWidget *add_button;
  GtkLabel *limit;

  const KioskSectionSpec *spec;
  GPtrArray *entries;      /* of Entry */
};

G_DEFINE_FINAL_TYPE (KioskFormSection, kiosk_form_section, GTK_TYPE_WIDGET)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_ptr_array_unref (e->fields);
  g_free (e);
}

static void
on_field_changed (KioskFormSection *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Headings, field names and buttons after the entries changed. */
static void
update_entries (KioskFormSection *self)
{
  const KioskSectionSpec *s = self->spec;
  guint n = self->entries->len;

  if (!s->repeated)
    return;
  for (guint i = 0; i < n; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      g_autofree char *heading = g_strdup_printf ("%s %u", s->entry_label, i + 1);
      g_autofree char *remove = NULL;

      gtk_label_set_label (e->heading, heading);
      /* Translators: the accessible name of the button that removes one
       * entry of a repeated part of the form; %s is the entry (Japanese),
       * e.g. 子ども 2. */
      remove = g_strdup_printf (_("Remove %s"), heading);
      gtk_accessible_update_property (GTK_ACCESSIBLE (e->remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      remove, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (e->frame), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      heading, -1);
      gtk_widget_set_visible (e->remove, n > s->min_entries);
      for (guint j = 0; j < e->fields->len; j++)
        kiosk_form_field_set_entry (g_ptr_array_index (e->fields, j), i + 1);
    }
  gtk_widget_set_visible (self->add_button, n < s->max_entries);
  gtk_widget_set_visible (GTK_WIDGET (self->limit), n >= s->max_entries);
}

static Entry *
new_entry (KioskFormSection *self, GtkBox *into, guint number)
{
  Entry *e = g_new0 (Entry, 1);

  e->fields = g_ptr_array_new ();
  for (guint i = 0; i < self->spec->fields->len; i++)
    {
      GtkWidget *field = kiosk_form_field_new (g_ptr_array_index (self->spec->fields, i), number);

      g_signal_connect_object (field, "changed", G_CALLBACK (on_field_changed), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (e->fields, field);
      gtk_box_append (into, field);
    }
  return e;
}

static void
on_remove_clicked (GtkButton *button, KioskFormSection *self)
{
  for (guint i = 0; i < self->entries->len; i++)
    if (((Entry *) g_ptr_array_index (self->entries, i))->remove == GTK_WIDGET (button))
      {
        kiosk_form_section_remove_entry (self, i + 1);
        return;
      }
}

gboolean
kiosk_form_section_add_entry (KioskFormSection *self)
{
  GtkWidget *frame, *header, *heading, *remove;
  Entry *e;

  g_return_val_if_fail (KIOSK_IS_FORM_SECTION (self), FALSE);

  if (!self->spec->repeated || self->entries->len >= self->spec->max_entries)
    return FALSE;
  frame = g_object_new (GTK_TYPE_BOX,
                        "orientation", GTK_ORIENTATION_VERTICAL,
                        "spacing", 4,
                        "accessible-role", GTK_ACCESSIBLE_ROLE_GROUP,
                        NULL);
  gtk_widget_add_css_class (frame, "kiosk-panel");
  header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  heading = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_set_hexpand (heading, TRUE);
  gtk_widget_add_css_class (heading, "kiosk-subtitle");
  remove = gtk_button_new_with_label (_("Remove"));
  gtk_widget_add_css_class (remove, "kiosk-big-button");
  gtk_widget_add_css_class (remove, "destructive-action");
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_clicked), self, 0);
  gtk_box_append (GTK_BOX (header), heading);
  gtk_box_append (GTK_BOX (header), remove);
  gtk_box_append (GTK_BOX (frame), header);

  e = new_entry (self, GTK_BOX (frame), self->entries->len + 1);
  e->frame = frame;
  e->heading = GTK_LABEL (heading);
  e->remove = remove;
  g_ptr_array_add (self->entries, e);
  gtk_box_append (self->entries_box, frame);
  update_entries (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

gboolean
kiosk_form_section_remove_entry (KioskFormSection *self, guint entry)
{
  Entry *e;

  g_return_val_if_fail (KIOSK_IS_FORM_SECTION (self), FALSE);

  if (!self->spec->repeated || entry == 0 || entry > self->entries->len ||
      self->entries->len <= self->spec->min_entries)
    return FALSE;
  e = g_ptr_array_index (self->entries, entry - 1);
  for (guint i = 0; i < e->fields->len; i++)
    kiosk_form_field_wipe (g_ptr_array_index (e->fields, i));
  gtk_box_remove (self->entries_box, e->frame);
  g_ptr_array_remove_index (self->entries, entry - 1);
  update_entries (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

static void
on_add_clicked (KioskFormSection *self)
{
  Entry *e;

  if (!kiosk_form_section_add_entry (self))
    return;
  /* Straight on to the new entry's first question. */
  e = g_ptr_array_index (self->entries, self->entries->len - 1);
  if (e->fields->len > 0)
    kiosk_form_field_focus_input (g_ptr_array_index (e->fields, 0));
}

GtkWidget *
kiosk_form_section_new (const KioskSectionSpec *spec)
{
  KioskFormSection *self;

  g_return_val_if_fail (spec != NULL, NULL);

  self = g_object_new (KIOSK_TYPE_FORM_SECTION, NULL);
  self->spec = spec;
  gtk_label_set_label (self->title, spec->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  spec->title, -1);
  if (spec->description != NULL)
    {
      gtk_label_set_label (self->description, spec->description);
      gtk_widget_set_visible (GTK_WIDGET (self->description), TRUE);
    }
  if (!spec->repeated)
    {
      Entry *e = new_entry (self, self->entries_box, 0);

      e->frame = self->box;
      g_ptr_array_add (self->entries, e);
      return GTK_WIDGET (self);
    }

  {
    g_autofree char *add = NULL, *limit = NULL;

    /* Translators: a button that adds one more entry to a repeated part of
     * the form; %s names an entry (Japanese), e.g. 子ども. */
    add = g_strdup_printf (_("Add %s"), spec->entry_label);
    gtk_button_set_label (GTK_BUTTON (self->add_button), add);
    /* Translators: shown when a repeated part of the form is full; %s
     * names an entry (Japanese), e.g. 子ども. */
    limit = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "This form takes at most %u entry for “%s”.",
                                          "This form takes at most %u entries for “%s”.",
                                          spec->max_entries),
                             spec->max_entries, spec->entry_label);
    gtk_label_set_label (self->limit, limit);
  }
  for (guint i = 0; i < spec->min_entries; i++)
    kiosk_form_section_add_entry (self);
  update_entries (self);
  return GTK_WIDGET (self);
}

const KioskSectionSpec *
kiosk_form_section_get_spec (KioskFormSection *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_SECTION (self), NULL);

  return self->spec;
}

guint
kiosk_form_section_get_n_entries (KioskFormSection *self)
{
  g_return_val_if_fail (KIOSK_IS_FORM_SECTION (self), 0);

  return self->entries->len;
}

GPtrArray *
kiosk_form_section_get_fields (KioskFormSection *self, guint entry)
{
  g_return_val_if_fail (KIOSK_IS_FORM_SECTION (self), NULL);

  if (!self->spec->repeated)
    entry = 1;
  if (entry == 0 || entry > self->entries->len)
    return NULL;
  return ((Entry *) g_ptr_array_index (self->entries, entry - 1))->fields;
}

KioskFormField *
kiosk_form_section_get_field (KioskFormSection *self, guint entry, const char *id)
{
  GPtrArray *fields = kiosk_form_section_get_fields (self, entry);

  for (guint i = 0; fields != NULL && i < fields->len; i++)
    {
      KioskFormField *f = g_ptr_array_index (fields, i);

      if (g_str_equal (kiosk_form_field_get_spec (f)->id, id))
        return f;
    }
  return NULL;
}

void
kiosk_form_section_set_report (KioskFormSection *self, const char *content)
{
  g_return_if_fail (KIOSK_IS_FORM_SECTION (self));

  gtk_label_set_label (self->report, content ? content : "");
  gtk_widget_set_visible (GTK_WIDGET (self->report), content != NULL);
}

void
kiosk_form_section_wipe (KioskFormSection *self)
{
  g_return_if_fail (KIOSK_IS_FORM_SECTION (self));

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);

      for (guint j = 0; j < e->fields->len; j++)
        kiosk_form_field_wipe (g_ptr_array_index (e->fields, j));
    }
}

static void
kiosk_form_section_dispose (GObject *object)
{
  KioskFormSection *self = KIOSK_FORM_SECTION (object);

  if (self->entries != NULL)
    kiosk_form_section_wipe (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_FORM_SECTION);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  G_OBJECT_CLASS (kiosk_form_section_parent_class)->dispose (object);
}

static void
kiosk_form_section_class_init (KioskFormSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_form_section_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "kioskformsection");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/jp/mynaterm/kiosk/form/kiosk-form-section.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, title);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, description);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, entries_box);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, report);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, add_button);
  gtk_widget_class_bind_template_child (widget_class, KioskFormSection, limit);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);
}

static void
kiosk_form_section_init (KioskFormSection *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->entries = g_ptr_array_new_with_free_func (entry_free);
}
