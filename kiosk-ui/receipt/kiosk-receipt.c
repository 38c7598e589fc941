/* kiosk-receipt.c - the receipt's content and its printed page.
 *
 * The printed receipt is one A4/Letter page (whatever the printer's
 * default is) drawn with cairo and Pango in points: the same words as the
 * screen, the arrival number in large monospaced type, and the QR code of
 * the arrival number drawn from a texture whose modules are whole pixels,
 * scaled without smoothing so the printer gets sharp modules. */

#include "kiosk-receipt.h"

#include <glib/gi18n-lib.h>

#include "kiosk-qr.h"

/* Printed size of the QR code, about 40 mm. */
#define QR_PRINT_PT 113.0
#define GAP_PT 10.0

KioskReceipt *
kiosk_receipt_new (const mp_outbox_entry *entry, const char *title)
{
  g_return_val_if_fail (entry != NULL, NULL);

  KioskReceipt *r = g_new0 (KioskReceipt, 1);
  switch (entry->state)
    {
    case MP_OUTBOX_DELIVERED:
      r->kind = KIOSK_RECEIPT_DELIVERED;
      break;
    case MP_OUTBOX_REJECTED:
      r->kind = KIOSK_RECEIPT_REJECTED;
      break;
    case MP_OUTBOX_PENDING:
    default:
      r->kind = KIOSK_RECEIPT_PENDING;
      break;
    }
  /* A delivered entry always has its receipt; without one, say only what
   * is known: it is kept on the terminal. */
  if (r->kind == KIOSK_RECEIPT_DELIVERED && (entry->arrive_id == NULL || entry->arrive_id[0] == '\0'))
    r->kind = KIOSK_RECEIPT_PENDING;
  r->entry_id = entry->id;
  r->created_at = entry->created_at;
  r->title = g_strdup (title ? title : "");
  if (r->kind == KIOSK_RECEIPT_DELIVERED)
    {
      r->arrive_id = g_strdup (entry->arrive_id);
      r->arrive_date = g_strdup (entry->arrive_date);
      if (entry->inquiry_no != NULL && entry->inquiry_no[0] != '\0')
        r->inquiry_no = g_strdup (entry->inquiry_no);
    }
  return r;
}

void
kiosk_receipt_free (KioskReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->title);
  g_free (receipt->arrive_id);
  g_free (receipt->arrive_date);
  g_free (receipt->inquiry_no);
  g_free (receipt);
}

static KioskReceipt *
kiosk_receipt_copy (const KioskReceipt *r)
{
  KioskReceipt *c = g_new0 (KioskReceipt, 1);
  c->kind = r->kind;
  c->entry_id = r->entry_id;
  c->created_at = r->created_at;
  c->title = g_strdup (r->title);
  c->arrive_id = g_strdup (r->arrive_id);
  c->arrive_date = g_strdup (r->arrive_date);
  c->inquiry_no = g_strdup (r->inquiry_no);
  return c;
}

const char *
kiosk_receipt_heading (const KioskReceipt *receipt)
{
  switch (receipt->kind)
    {
    case KIOSK_RECEIPT_DELIVERED:
      /* Translators: 申請を受け付けました - the portal has the application. */
      return _("Your application has been received");
    case KIOSK_RECEIPT_REJECTED:
      return _("The application was not accepted");
    case KIOSK_RECEIPT_PENDING:
    default:
      /* Translators: 申請は署名済みで、この端末に保管しました */
      return _("Your application is signed and kept on this terminal");
    }
}

char *
kiosk_receipt_format_created (const KioskReceipt *receipt)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (receipt->created_at);
  if (dt == NULL)
    return g_strdup ("");
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

/* ---- printing ---- */

/* Draw text at y across width in font; returns the y below it. */
static double
draw_text (GtkPrintContext *ctx, const char *font, const char *text, double x, double y,
           double width)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (ctx);
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (ctx);
  PangoFontDescription *desc = pango_font_description_from_string (font);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, text, -1);

  int w = 0, h = 0;
  pango_layout_get_size (layout, &w, &h);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  return y + (double) h / PANGO_SCALE;
}

/* A caption and its value, one under the other. */
static double
draw_field (GtkPrintContext *ctx, const char *caption, const char *value, const char *value_font,
            double x, double y, double width)
{
  y = draw_text (ctx, "Sans 10", caption, x, y, width);
  y = draw_text (ctx, value_font, value, x, y + 2, width);
  return y + GAP_PT;
}

static void
draw_qr (GtkPrintContext *ctx, const char *text, double x, double y, double side)
{
  g_autoptr(GError) error = NULL;
  /* About 8 pixels per module: the image stays small, the modules exact. */
  g_autoptr(GdkTexture) texture = kiosk_qr_texture_new (text, 400, &error);
  if (texture == NULL)
    {
      g_warning ("receipt QR code not printed: %s", error->message);
      return;
    }

  int px = gdk_texture_get_width (texture);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, px, px);
  cairo_surface_flush (surface);
  /* GDK's default download format is cairo's ARGB32 in memory order. */
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        (gsize) cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);

  cairo_t *cr = gtk_print_context_get_cairo_context (ctx);
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, side / px, side / px);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (surface);
}

static void
on_draw_page (GtkPrintOperation *op,
              GtkPrintContext   *ctx,
              int                page_nr,
              gpointer           user_data)
{
  const KioskReceipt *r = user_data;
  cairo_t *cr = gtk_print_context_get_cairo_context (ctx);
  double width = gtk_print_context_get_width (ctx);
  double y = 0;

  cairo_set_source_rgb (cr, 0, 0, 0);
  y = draw_text (ctx, "Sans 10", _("Application receipt"), 0, y, width);
  y = draw_text (ctx, "Sans Bold 18", kiosk_receipt_heading (r), 0, y + 4, width);
  if (r->title[0] != '\0')
    y = draw_text (ctx, "Sans 14", r->title, 0, y + 6, width);
  y += GAP_PT;
  cairo_set_line_width (cr, 0.8);
  cairo_move_to (cr, 0, y);
  cairo_line_to (cr, width, y);
  cairo_stroke (cr);
  y += GAP_PT;

  g_autofree char *created = kiosk_receipt_format_created (r);
  g_autofree char *entry_no = g_strdup_printf ("%" G_GINT64_FORMAT, r->entry_id);
  switch (r->kind)
    {
    case KIOSK_RECEIPT_DELIVERED:
      {
        double top = y;
        double text_width = width - QR_PRINT_PT - 2 * GAP_PT;
        y = draw_field (ctx, _("Arrival number"), r->arrive_id, "Monospace Bold 22", 0, y,
                        text_width);
        if (r->arrive_date != NULL)
          y = draw_field (ctx, _("Date of arrival"), r->arrive_date, "Sans 14", 0, y, text_width);
        if (r->inquiry_no != NULL)
          y = draw_field (ctx, _("Inquiry number"), r->inquiry_no, "Monospace 14", 0, y,
                          text_width);
        draw_qr (ctx, r->arrive_id, width - QR_PRINT_PT, top, QR_PRINT_PT);
        y = MAX (y, top + QR_PRINT_PT + GAP_PT);
        draw_text (ctx, "Sans 11",
                   _("Keep this receipt. With the arrival number you can follow your application on the Myna Portal."),
                   0, y, width);
      }
      break;
    case KIOSK_RECEIPT_PENDING:
      y = draw_field (ctx, _("Entry number on this terminal"), entry_no, "Monospace Bold 22", 0, y,
                      width);
      y = draw_field (ctx, _("Kept since"), created, "Sans 14", 0, y, width);
      draw_text (ctx, "Sans 11",
                 _("The application will be sent as soon as the portal can be reached. It has no arrival number yet; ask a member of staff if you need one."),
                 0, y, width);
      break;
    case KIOSK_RECEIPT_REJECTED:
    default:
      y = draw_field (ctx, _("Entry number on this terminal"), entry_no, "Monospace Bold 22", 0, y,
                      width);
      draw_text (ctx, "Sans 11",
                 _("The portal did not accept the application. Please ask a member of staff."),
                 0, y, width);
      break;
    }
}

GtkPrintOperation *
kiosk_receipt_print_operation_new (const KioskReceipt *receipt)
{
  g_return_val_if_fail (receipt != NULL, NULL);

  GtkPrintOperation *op = gtk_print_operation_new ();
  KioskReceipt *copy = kiosk_receipt_copy (receipt);
  /* The job name shows in the printer's queue: no number, no title. */
  gtk_print_operation_set_job_name (op, _("Application receipt"));
  gtk_print_operation_set_n_pages (op, 1);
  gtk_print_operation_set_unit (op, GTK_UNIT_POINTS);
  gtk_print_operation_set_embed_page_setup (op, FALSE);
  g_object_set_data_full (G_OBJECT (op), "kiosk-receipt", copy,
                          (GDestroyNotify) kiosk_receipt_free);
  g_signal_connect (op, "draw-page", G_CALLBACK (on_draw_page), copy);
  return op;
}
