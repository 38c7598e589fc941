/* photo.h - the machine-checked ("hard") rules of photo-spec.md for the
 * face photo of a My Number Card application (交付申請):
 *
 *   photo.format       a JPEG that libjpeg decodes completely
 *   photo.color_space  colour (YCbCr or RGB); greyscale tolerated; CMYK,
 *                      YCCK and others rejected
 *   photo.file_size    PS_PHOTO_MIN_BYTES .. PS_PHOTO_MAX_BYTES
 *   photo.width        PS_PHOTO_MIN_PX .. PS_PHOTO_MAX_PX
 *   photo.height       PS_PHOTO_MIN_PX .. PS_PHOTO_MAX_PX
 *   photo.aspect_ratio 35:45 portrait, within PS_PHOTO_RATIO_TOLERANCE_PCT
 *
 * Every failed rule is one report item with its own name and a Japanese
 * text that says what to do. The guided rules (one face, background, ...)
 * are for the clerk and not checked here. Why the bounds are what they are:
 * docs/portal-sim-packages.md "Photo rules".
 *
 * Safe on arbitrary bytes: libjpeg's errors never leave the function, its
 * warnings (corrupt or truncated data) are findings, and the decoder's
 * memory and number of progressive scans are bounded. Thread-safe.
 */
#ifndef PORTALSIM_PHOTO_H
#define PORTALSIM_PHOTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* [P] photo-spec.md "20 KB – 7 MB", read so that a file within these
 * bounds is within them under either meaning of KB and MB [S]. */
#define PS_PHOTO_MIN_BYTES (20u * 1024u)
#define PS_PHOTO_MAX_BYTES (7u * 1000u * 1000u)
/* [P] photo-spec.md: width and height each 480 – 6000 px. */
#define PS_PHOTO_MIN_PX 480u
#define PS_PHOTO_MAX_PX 6000u
/* [S] |width/height - 35/45| at most this percentage of 35/45. */
#define PS_PHOTO_RATIO_TOLERANCE_PCT 1u

typedef enum ps_photo_color {
  PS_PHOTO_COLOR_UNKNOWN = 0,  /* not read, or a colour space libjpeg does
                                  not name */
  PS_PHOTO_COLOR_YCBCR,
  PS_PHOTO_COLOR_RGB,
  PS_PHOTO_COLOR_GREYSCALE,
  PS_PHOTO_COLOR_CMYK,
  PS_PHOTO_COLOR_YCCK,
} ps_photo_color;

typedef struct ps_photo_info {
  size_t file_size;
  bool header_read;      /* libjpeg read the frame header: the fields
                            below are set */
  unsigned width;
  unsigned height;
  unsigned components;
  ps_photo_color color;
  bool progressive;
  bool decoded;          /* every scan was decoded without a warning */
} ps_photo_info;

/* Checks the photo jpeg[0 .. len). true when every hard rule holds. info
 * may be NULL; when given it is filled as far as the data could be read.
 * Findings are appended to report. */
bool ps_photo_check(const uint8_t *jpeg, size_t len, ps_photo_info *info,
                    GPtrArray *report);

/* "YCbCr", "RGB", "greyscale", "CMYK", "YCCK", "unknown". */
const char *ps_photo_color_name(ps_photo_color c);

#endif
