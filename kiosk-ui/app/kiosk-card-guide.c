/* kiosk-card-guide.c - the "place your card" guide. */

#include "kiosk-card-guide.h"

#include <math.h>

#include <glib/gi18n-lib.h>

struct _KioskCardGuide
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkDrawingArea *drawing;
  GtkLabel *heading;
  GtkLabel *instruction;
  GtkLabel *placement;
  GtkLabel *help;

  KioskReaderKind kind;
  KioskGuideState state;
};

G_DEFINE_FINAL_TYPE (KioskCardGuide, kiosk_card_guide, GTK_TYPE_WIDGET)

static void
rounded_rect (cairo_t *cr, double x, double y, double w, double h, double r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* The card: a blue rounded rectangle with its gold chip. */
static void
draw_card (cairo_t *cr, double x, double y, double w, double h)
{
  rounded_rect (cr, x, y, w, h, h * 0.08);
  cairo_set_source_rgb (cr, 0.80, 0.88, 0.98);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0.10, 0.25, 0.58);
  cairo_set_line_width (cr, 3);
  cairo_stroke (cr);
  rounded_rect (cr, x + w * 0.10, y + h * 0.35, w * 0.16, h * 0.26, 3);
  cairo_set_source_rgb (cr, 0.85, 0.68, 0.20);
  cairo_fill (cr);
}

static void
draw_arrow (cairo_t *cr, double x1, double y1, double x2, double y2)
{
  double a = atan2 (y2 - y1, x2 - x1);
  cairo_set_source_rgb (cr, 0.82, 0.36, 0.0);
  cairo_set_line_width (cr, 6);
  cairo_move_to (cr, x1, y1);
  cairo_line_to (cr, x2, y2);
  cairo_stroke (cr);
  cairo_move_to (cr, x2, y2);
  cairo_line_to (cr, x2 - 16 * cos (a - 0.5), y2 - 16 * sin (a - 0.5));
  cairo_line_to (cr, x2 - 16 * cos (a + 0.5), y2 - 16 * sin (a + 0.5));
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  KioskCardGuide *self = user_data;
  double w = width, h = height;

  if (self->kind == KIOSK_READER_CONTACTLESS)
    {
      /* A flat pad with its waves; the card comes down onto it. */
      rounded_rect (cr, w * 0.10, h * 0.62, w * 0.80, h * 0.30, 12);
      cairo_set_source_rgb (cr, 0.25, 0.25, 0.28);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
      cairo_set_line_width (cr, 3);
      for (int i = 1; i <= 3; i++)
        {
          cairo_arc (cr, w * 0.5, h * 0.77, 8.0 * i, -G_PI * 0.8, -G_PI * 0.2);
          cairo_stroke (cr);
        }
      draw_card (cr, w * 0.22, h * 0.08, w * 0.56, h * 0.38);
      draw_arrow (cr, w * 0.88, h * 0.18, w * 0.88, h * 0.56);
    }
  else
    {
      /* A reader with a slot; the card goes in chip first, face up. */
      rounded_rect (cr, w * 0.08, h * 0.55, w * 0.84, h * 0.38, 12);
      cairo_set_source_rgb (cr, 0.25, 0.25, 0.28);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.05, 0.05, 0.05);
      cairo_rectangle (cr, w * 0.20, h * 0.58, w * 0.60, h * 0.05);
      cairo_fill (cr);
      cairo_save (cr);
      cairo_translate (cr, w * 0.5, h * 0.32);
      cairo_rotate (cr, G_PI / 2);
      draw_card (cr, -h * 0.25, -w * 0.25, h * 0.50, w * 0.50);
      cairo_restore (cr);
      draw_arrow (cr, w * 0.88, h * 0.10, w * 0.88, h * 0.52);
    }
}

static void
update (KioskCardGuide *self)
{
  const char *heading, *instruction, *help = NULL;
  gboolean contactless = self->kind == KIOSK_READER_CONTACTLESS;

  switch (self->state)
    {
    case KIOSK_GUIDE_HELP:
      heading = _("The card could not be read");
      instruction = contactless
        ? _("Lay the card flat in the middle of the reader and do not move it until the next screen appears.")
        : _("Take the card out and insert it again, chip first and face up, as far as it goes.");
      help = _("Place only one card at a time, and take it out of any case or wallet. If it still cannot be read, please ask a member of staff.");
      break;
    case KIOSK_GUIDE_NO_READER:
      heading = _("The card reader is not ready");
      instruction = _("Please ask a member of staff. Services that need no card can still be used.");
      break;
    case KIOSK_GUIDE_REMOVE:
      heading = _("Please take out the card");
      instruction = _("A card is still in the reader. Take it out, then place it again to start.");
      break;
    case KIOSK_GUIDE_PLACE:
    default:
      /* Translators: the standard prompt of My Number Card terminals,
         「ICカードをセットしてください」 in Japanese. */
      heading = _("Please place your My Number Card");
      instruction = contactless
        ? _("Lay the card flat on the reader and leave it there while you use this terminal.")
        : _("Insert the card into the reader, chip first and face up, and leave it there while you use this terminal.");
      break;
    }
  gtk_label_set_label (self->heading, heading);
  gtk_label_set_label (self->instruction, instruction);
  gtk_label_set_label (self->help, help ? help : "");
  gtk_widget_set_visible (GTK_WIDGET (self->help), help != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->drawing), self->state != KIOSK_GUIDE_NO_READER);
  gtk_widget_queue_draw (GTK_WIDGET (self->drawing));
}

void
kiosk_card_guide_set_reader_kind (KioskCardGuide *self, KioskReaderKind kind)
{
  g_return_if_fail (KIOSK_IS_CARD_GUIDE (self));
  self->kind = kind;
  update (self);
}

void
kiosk_card_guide_set_placement (KioskCardGuide *self, const char *placement)
{
  g_return_if_fail (KIOSK_IS_CARD_GUIDE (self));
  gtk_label_set_label (self->placement, placement ? placement : "");
  gtk_widget_set_visible (GTK_WIDGET (self->placement), placement && *placement);
}

void
kiosk_card_guide_set_state (KioskCardGuide *self, KioskGuideState state)
{
  g_return_if_fail (KIOSK_IS_CARD_GUIDE (self));
  self->state = state;
  update (self);
}

KioskGuideState
kiosk_card_guide_get_state (KioskCardGuide *self)
{
  return self->state;
}

static void
kiosk_card_guide_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), KIOSK_TYPE_CARD_GUIDE);
  G_OBJECT_CLASS (kiosk_card_guide_parent_class)->dispose (object);
}

static void
kiosk_card_guide_class_init (KioskCardGuideClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kiosk_card_guide_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/jp/mynaterm/kiosk/app/kiosk-card-guide.ui");
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, box);
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, drawing);
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, heading);
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, instruction);
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, placement);
  gtk_widget_class_bind_template_child (widget_class, KioskCardGuide, help);
}

static void
kiosk_card_guide_init (KioskCardGuide *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->kind = KIOSK_READER_CONTACT;
  self->state = KIOSK_GUIDE_PLACE;
  gtk_drawing_area_set_draw_func (self->drawing, draw, self, NULL);
  update (self);
}
