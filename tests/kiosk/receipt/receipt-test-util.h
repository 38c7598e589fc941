/* receipt-test-util.h - reading QR codes back and rendering paintables,
 * shared by the receipt part's tests. Header-only: each test is one .c. */
#pragma once

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

/* What zbarimg (zbar-tools) reads from the image at path: the bytes of the
 * first QR code (binary mode, so UTF-8 stays UTF-8), without the newline
 * zbarimg adds. NULL when it finds no code. */
static inline char *
zbar_read (const char *path)
{
  const char *argv[] = { "zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable",
                         "-Sbinary", path, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error))
    g_error ("zbarimg: %s", error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    return NULL;
  gsize len = strlen (out);
  if (len > 0 && out[len - 1] == '\n')
    out[len - 1] = '\0';
  return g_steal_pointer (&out);
}

/* Draw paintable at width x height on white into a cairo image. */
static inline cairo_surface_t *
render_paintable (GdkPaintable *paintable, int width, int height)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  GskRenderNode *node = gtk_snapshot_free_to_node (snapshot);

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (node != NULL)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (node != NULL)
    gsk_render_node_unref (node);
  return surface;
}

/* A fresh temporary folder, removed with rm_tree. */
static inline char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("kiosk-receipt-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static inline void
rm_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        rm_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

/* Run a tool and return its standard output (NULL when it fails). */
static inline char *
run_tool (const char *const *argv)
{
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, &error))
    g_error ("%s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    return NULL;
  return g_steal_pointer (&out);
}
