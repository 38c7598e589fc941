/* kiosk-attract-page.c - waiting for the next resident. */

#include "kiosk-attract-page.h"

#include <glib/gi18n-lib.h>

#include "kiosk-i18n.h"

struct _KioskAttractPage
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkBox *languages;
  GtkLabel *notice;
  KioskCardGuide *guide;
  GtkWidget *search_button;
  GtkWidget *staff_button;
};

G_DEFINE_FINAL_TYPE (KioskAttractPage, kiosk_attract_page, GTK_TYPE_WIDGET)

enum { LANGUAGE_CHOSEN, SEARCH_REQUESTED, STAFF_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
on_language_clicked (GtkButton *button, KioskAttractPage *self)
{
  const char *code = g_object_get_data (G_OBJECT (button), "kiosk-language");
  g_signal_emit (self, signals[LANGUAGE_CHOSEN], 0, code);
}

static void
on_search_clicked (KioskAttractPage *self)
{
  g_signal_emit (self, signals[SEARCH_REQUESTED], 0);
}

static void
on_staff_clicked (KioskAttractPage *self)
{
  g_signal_emit (self, signals[STAFF_REQUESTED], 0);
}

GtkWidget *
kiosk_attract_page_new (void)
{
  return g_object_new (KIOSK_TYPE_ATTRACT_PAGE, NULL);
}

KioskCardGuide *
kiosk_attract_page_get_guide (KioskAttractPage *self)
{
  return self->guide;
}

void
kiosk_attract_page_set_language (KioskAttractPage *self, const char *code)
{
  for (GtkWidget *b = gtk_widget_get_first_child (GTK_WIDGET (self->languages)); b;
       b = gtk_widget_get_next_sibling (b))
    {
      const char *c = g_object_get_data (G_OBJECT (b), "kiosk-language");
      if (g_strcmp0 (c, code) == 0)
        gtk_widget_add_css_class (b, "suggested-action");
      else
        gtk_widget_remove_css_class (b, "suggested-action");
    }
}

void
kiosk_attract_page_set_notice (KioskAttractPage *self, const char *notice)
{
  gtk_label_set_label (self->notice, notice ? notice : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice), notice != NULL);
}

static void
kiosk_attract_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_ATTRACT_PAGE);
  G_OBJECT_CLASS (kiosk_attract_page_parent_class)->dispose (object);
}

static void
kiosk_attract_page_class_init (KioskAttractPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_attract_page_dispose;
  signals[LANGUAGE_CHOSEN] = g_signal_new ("language-chosen", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SEARCH_REQUESTED] = g_signal_new ("search-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[STAFF_REQUESTED] = g_signal_new ("staff-requested", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  g_type_ensure (KIOSK_TYPE_CARD_GUIDE);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/jp/mynaterm/kiosk/app/kiosk-attract-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, box);
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, languages);
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, notice);
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, guide);
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, search_button);
  gtk_widget_class_bind_template_child (widget_class, KioskAttractPage, staff_button);
  gtk_widget_class_bind_template_callback (widget_class, on_search_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_staff_clicked);
}

static void
kiosk_attract_page_init (KioskAttractPage *self)
{
  guint n;
  const KioskLanguage *langs = kiosk_i18n_languages (&n);

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Each language in its own words, so that a resident finds theirs
   * whatever the screen is showing now. */
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *b = gtk_button_new_with_label (langs[i].native_name);
      g_object_set_data (G_OBJECT (b), "kiosk-language", (gpointer) langs[i].code);
      gtk_widget_add_css_class (b, "kiosk-language");
      g_signal_connect (b, "clicked", G_CALLBACK (on_language_clicked), self);
      gtk_box_append (self->languages, b);
    }
  kiosk_attract_page_set_language (self, kiosk_i18n_get_language ());
}
