/* test_kiosk_qr.c - the QR code reads back as the text it was made from.
 *
 * An independent reader (zbarimg of zbar-tools) decodes the texture saved
 * as PNG and the paintable drawn at several sizes; the pixels show the
 * quiet zone and whole-pixel modules. */

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "kiosk-qr.h"
#include "receipt-test-util.h"

static char *tmp_dir;

static const char *const samples[] = {
  "202611230001234",
  "2026112300012345",
  "0000000000000001",
  "ABC-123/xyz",
  "https://myna.example.jp/shinsei/status?id=2026112300012345",
  "到達番号 2026112300012345",
};

static char *
save_texture (GdkTexture *texture, const char *name)
{
  char *path = g_build_filename (tmp_dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  return path;
}

static void
test_texture_reads_back_as_text (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GdkTexture) texture = kiosk_qr_texture_new (samples[i], 300, &error);
      g_assert_no_error (error);
      g_assert_nonnull (texture);
      g_autofree char *name = g_strdup_printf ("texture-%u.png", i);
      g_autofree char *path = save_texture (texture, name);
      g_autofree char *read = zbar_read (path);
      g_assert_cmpstr (read, ==, samples[i]);
    }
}

/* Download a texture as bytes of 0xAARRGGBB words (GDK's default format on
 * this machine's byte order, read through guint32 so it does not matter). */
static guint32 *
texture_pixels (GdkTexture *texture, int *side)
{
  *side = gdk_texture_get_width (texture);
  g_assert_cmpint (*side, ==, gdk_texture_get_height (texture));
  guint32 *px = g_new (guint32, (gsize) *side * (gsize) *side);
  gdk_texture_download (texture, (guchar *) px, (gsize) *side * 4);
  return px;
}

static void
test_texture_has_quiet_zone_and_whole_modules (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = kiosk_qr_texture_new ("2026112300012345", 300, &error);
  g_assert_no_error (error);
  int side = 0;
  g_autofree guint32 *px = texture_pixels (texture, &side);
  g_assert_cmpint (side, <=, 300);

  /* The smallest symbol (21 modules) plus 2 x 4 quiet modules gives 29;
   * side is a whole multiple of the module count. Find the module size
   * from the top-left finder pattern: its dark corner starts after the
   * quiet zone, i.e. at 4 modules, and its outer ring is 1 module wide. */
  int first_dark = -1;
  for (int i = 0; i < side && first_dark < 0; i++)
    if ((px[(gsize) i * side + i] & 0xffffff) == 0)
      first_dark = i;
  g_assert_cmpint (first_dark, >, 0);
  g_assert_cmpint (first_dark % 4, ==, 0);
  int module = first_dark / 4;
  g_assert_cmpint (side % module, ==, 0);
  int n = side / module;
  g_assert_cmpint ((n - 8 - 21) % 4, ==, 0); /* versions grow by 4 modules */

  /* Quiet zone: the outer 4 modules are white on every side. */
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      {
        gboolean border = x < 4 * module || y < 4 * module || x >= side - 4 * module
                          || y >= side - 4 * module;
        guint32 rgb = px[(gsize) y * side + x] & 0xffffff;
        if (border)
          g_assert_cmphex (rgb, ==, 0xffffff);
        else
          g_assert_true (rgb == 0 || rgb == 0xffffff);
      }
  /* The finder pattern's ring: 7 modules dark along its top edge. */
  for (int x = 4 * module; x < 11 * module; x++)
    g_assert_cmphex (px[(gsize) (4 * module) * side + x] & 0xffffff, ==, 0);
  g_assert_cmphex (px[(gsize) (4 * module) * side + 11 * module] & 0xffffff, ==, 0xffffff);
}

static void
test_paintable_reads_back_at_any_size (void)
{
  static const int sizes[][2] = { { 290, 290 }, { 301, 301 }, { 500, 320 }, { 240, 600 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPaintable) paintable = kiosk_qr_paintable_new ("2026112300012345", &error);
  g_assert_no_error (error);
  g_assert_true (GDK_IS_PAINTABLE (paintable));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int w = sizes[i][0], h = sizes[i][1];
      cairo_surface_t *surface = render_paintable (paintable, w, h);

      /* Whole-pixel modules: every pixel is pure black or pure white. */
      const guint8 *data = cairo_image_surface_get_data (surface);
      int stride = cairo_image_surface_get_stride (surface);
      guint grey = 0, dark = 0;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            guint32 rgb = *(const guint32 *) (data + (gsize) y * stride + (gsize) x * 4) & 0xffffff;
            if (rgb == 0)
              dark++;
            else if (rgb != 0xffffff)
              grey++;
          }
      g_assert_cmpuint (grey, ==, 0);
      g_assert_cmpuint (dark, >, 0);

      g_autofree char *name = g_strdup_printf ("paintable-%dx%d.png", w, h);
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
      g_autofree char *read = zbar_read (path);
      g_assert_cmpstr (read, ==, "2026112300012345");
    }
}

static void
test_paintable_size_follows_module_count (void)
{
  g_autoptr(GdkPaintable) small = kiosk_qr_paintable_new ("1", NULL);
  g_autoptr(GdkPaintable) large = kiosk_qr_paintable_new (
    "https://myna.example.jp/shinsei/status?id=2026112300012345&lang=ja&from=kiosk", NULL);
  g_assert_nonnull (small);
  g_assert_nonnull (large);

  int ws = gdk_paintable_get_intrinsic_width (small);
  int wl = gdk_paintable_get_intrinsic_width (large);
  g_assert_cmpint (ws, ==, gdk_paintable_get_intrinsic_height (small));
  g_assert_cmpint (wl, ==, gdk_paintable_get_intrinsic_height (large));
  g_assert_cmpfloat (gdk_paintable_get_intrinsic_aspect_ratio (small), ==, 1.0);
  /* Version 1 with its quiet zone is 29 modules; the URL needs more. */
  g_assert_cmpint (ws % 29, ==, 0);
  g_assert_cmpint (wl, >, ws);
  g_assert_cmpint (gdk_paintable_get_flags (small), ==,
                   GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS);
}

static void
test_empty_or_oversized_text_is_an_error (void)
{
  g_autoptr(GError) error = NULL;
  g_assert_null (kiosk_qr_paintable_new ("", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Level M holds at most 2331 bytes. */
  g_autofree char *huge = g_strnfill (4000, 'x');
  g_assert_null (kiosk_qr_texture_new (huge, 300, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  tmp_dir = make_tmp_dir ();

  g_test_add_func ("/kiosk/qr/texture-reads-back-as-text", test_texture_reads_back_as_text);
  g_test_add_func ("/kiosk/qr/texture-has-quiet-zone-and-whole-modules",
                   test_texture_has_quiet_zone_and_whole_modules);
  g_test_add_func ("/kiosk/qr/paintable-reads-back-at-any-size",
                   test_paintable_reads_back_at_any_size);
  g_test_add_func ("/kiosk/qr/paintable-size-follows-module-count",
                   test_paintable_size_follows_module_count);
  g_test_add_func ("/kiosk/qr/empty-or-oversized-text-is-an-error",
                   test_empty_or_oversized_text_is_an_error);

  int rc = g_test_run ();
  rm_tree (tmp_dir);
  g_free (tmp_dir);
  return rc;
}
