/* kiosk-qr.h - a QR code as a GdkPaintable.
 *
 * Encoded with libqrencode (8-bit mode, error correction level M), drawn
 * crisp at any size (whole modules, a 4-module quiet zone, black on white
 * whatever the theme), so that a phone camera and zbarimg read it back.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* NULL (with error) when text cannot be encoded. */
GdkPaintable *kiosk_qr_paintable_new (const char *text, GError **error);
/* The same code as a texture of about size x size pixels (for printing
 * and tests). */
GdkTexture *kiosk_qr_texture_new (const char *text, int size, GError **error);

G_END_DECLS
