/* kiosk-qr.c - a QR code as a GdkPaintable and as a texture.
 *
 * The symbol is encoded once (libqrencode, level M) into a square of
 * modules that already holds the 4-module quiet zone; the paintable and the
 * texture only draw that square. The paintable draws each run of dark
 * modules in a row as one rectangle whose edges fall on whole pixels when
 * there is room for at least one pixel per module, so a camera sees sharp
 * modules rather than blurred ones. Colours are fixed black on white: a
 * dark or high-contrast theme must not invert a code that phones read. */

#include "kiosk-qr.h"

#include <errno.h>
#include <math.h>
#include <qrencode.h>
#include <string.h>

/* ISO/IEC 18004 asks for 4 light modules around the symbol. */
#define QUIET_ZONE 4
/* Pixels per module at the paintable's natural size. */
#define NATURAL_MODULE_PX 8

/* The modules of one symbol, quiet zone included: n x n bytes, 1 = dark. */
typedef struct {
  int n;
  guint8 *dark;
} QrMatrix;

static void
qr_matrix_free (QrMatrix *m)
{
  if (m == NULL)
    return;
  g_free (m->dark);
  g_free (m);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QrMatrix, qr_matrix_free)

static QrMatrix *
qr_matrix_encode (const char *text, GError **error)
{
  if (text == NULL || text[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "nothing to encode in a QR code");
      return NULL;
    }

  /* Version 0: the smallest symbol that holds the text. The hint QR_MODE_8
   * with case sensitivity keeps the bytes as they are (UTF-8 stays UTF-8);
   * runs of digits, such as an arrival number, still get the compact
   * numeric mode. */
  errno = 0;
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      int saved = errno;
      if (saved == ERANGE)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     "%zu bytes do not fit in a QR code of level M", strlen (text));
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved ? saved : EINVAL),
                     "QR encoding failed: %s", g_strerror (saved ? saved : EINVAL));
      return NULL;
    }

  QrMatrix *m = g_new0 (QrMatrix, 1);
  m->n = code->width + 2 * QUIET_ZONE;
  m->dark = g_new0 (guint8, (gsize) m->n * (gsize) m->n);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      /* libqrencode: bit 0 of each byte is the module's colour. */
      m->dark[(y + QUIET_ZONE) * m->n + x + QUIET_ZONE] = code->data[y * code->width + x] & 1;
  QRcode_free (code);
  return m;
}

/* ---- the paintable ---- */

#define KIOSK_TYPE_QR_PAINTABLE (kiosk_qr_paintable_get_type ())
G_DECLARE_FINAL_TYPE (KioskQrPaintable, kiosk_qr_paintable, KIOSK, QR_PAINTABLE, GObject)

struct _KioskQrPaintable
{
  GObject parent_instance;
  QrMatrix *matrix;
};

static void kiosk_qr_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KioskQrPaintable, kiosk_qr_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      kiosk_qr_paintable_iface_init))

static void
kiosk_qr_paintable_snapshot (GdkPaintable *paintable,
                             GdkSnapshot  *snapshot,
                             double        width,
                             double        height)
{
  KioskQrPaintable *self = KIOSK_QR_PAINTABLE (paintable);
  const QrMatrix *m = self->matrix;
  static const GdkRGBA white = { 1, 1, 1, 1 };
  static const GdkRGBA black = { 0, 0, 0, 1 };

  double side = MIN (width, height);
  if (side <= 0)
    return;
  double module = side / m->n;
  /* Whole pixels per module when the size allows: sharp edges, and every
   * module the same size. */
  if (module >= 1)
    module = floor (module);
  double drawn = module * m->n;
  double x0 = floor ((width - drawn) / 2);
  double y0 = floor ((height - drawn) / 2);

  gtk_snapshot_append_color (GTK_SNAPSHOT (snapshot), &white,
                             &GRAPHENE_RECT_INIT (x0, y0, drawn, drawn));
  for (int y = 0; y < m->n; y++)
    {
      const guint8 *row = m->dark + (gsize) y * m->n;
      int x = 0;
      while (x < m->n)
        {
          if (!row[x])
            {
              x++;
              continue;
            }
          int start = x;
          while (x < m->n && row[x])
            x++;
          gtk_snapshot_append_color (GTK_SNAPSHOT (snapshot), &black,
                                     &GRAPHENE_RECT_INIT (x0 + start * module, y0 + y * module,
                                                          (x - start) * module, module));
        }
    }
}

static int
kiosk_qr_paintable_get_intrinsic_size (GdkPaintable *paintable)
{
  return KIOSK_QR_PAINTABLE (paintable)->matrix->n * NATURAL_MODULE_PX;
}

static double
kiosk_qr_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  return 1.0;
}

static GdkPaintableFlags
kiosk_qr_paintable_get_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS;
}

static void
kiosk_qr_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = kiosk_qr_paintable_snapshot;
  iface->get_intrinsic_width = kiosk_qr_paintable_get_intrinsic_size;
  iface->get_intrinsic_height = kiosk_qr_paintable_get_intrinsic_size;
  iface->get_intrinsic_aspect_ratio = kiosk_qr_paintable_get_intrinsic_aspect_ratio;
  iface->get_flags = kiosk_qr_paintable_get_flags;
}

static void
kiosk_qr_paintable_finalize (GObject *object)
{
  KioskQrPaintable *self = KIOSK_QR_PAINTABLE (object);

  g_clear_pointer (&self->matrix, qr_matrix_free);

  G_OBJECT_CLASS (kiosk_qr_paintable_parent_class)->finalize (object);
}

static void
kiosk_qr_paintable_class_init (KioskQrPaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kiosk_qr_paintable_finalize;
}

static void
kiosk_qr_paintable_init (KioskQrPaintable *self)
{
}

GdkPaintable *
kiosk_qr_paintable_new (const char *text, GError **error)
{
  QrMatrix *m = qr_matrix_encode (text, error);
  if (m == NULL)
    return NULL;

  KioskQrPaintable *self = g_object_new (KIOSK_TYPE_QR_PAINTABLE, NULL);
  self->matrix = m;
  return GDK_PAINTABLE (self);
}

/* ---- the texture ---- */

GdkTexture *
kiosk_qr_texture_new (const char *text, int size, GError **error)
{
  g_return_val_if_fail (size > 0, NULL);

  g_autoptr(QrMatrix) m = qr_matrix_encode (text, error);
  if (m == NULL)
    return NULL;

  /* Whole pixels per module: the texture is the largest multiple of the
   * module count not above size (one pixel per module at the least). */
  int module = MAX (1, size / m->n);
  int side = module * m->n;
  gsize stride = (gsize) side * 3;
  guint8 *pixels = g_malloc (stride * (gsize) side);
  memset (pixels, 0xff, stride * (gsize) side);
  for (int y = 0; y < side; y++)
    {
      const guint8 *row = m->dark + (gsize) (y / module) * m->n;
      guint8 *out = pixels + (gsize) y * stride;
      for (int x = 0; x < side; x++)
        if (row[x / module])
          memset (out + (gsize) x * 3, 0, 3);
    }

  g_autoptr(GBytes) bytes = g_bytes_new_take (pixels, stride * (gsize) side);
  return gdk_memory_texture_new (side, side, GDK_MEMORY_R8G8B8, bytes, stride);
}
