/* jp2png.c - the card's JPEG 2000 face photo as PNG, which every toolkit
 * displays (GTK has no JPEG 2000 loader of its own).
 *
 * The photo is personal data from a card that may be hostile: the decoder
 * runs on an in-memory stream with a bounded image size, and every
 * intermediate buffer is wiped before it is freed. Components of different
 * sizes (subsampled chroma) are refused rather than upsampled: the card's
 * photo is a single greyscale component, and a guess at the resampling would
 * show the clerk a picture the card does not hold. */
#include "mynacard/faceap.h"

#include <openjpeg.h>
#include <png.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

/* Far beyond any card photo (a few hundred pixels a side), small enough that
 * a forged header cannot make the decoder allocate gigabytes. */
#define MAX_SIDE 8192u
#define MAX_PIXELS (4096u * 4096u)

typedef struct mem_stream {
  const uint8_t *data;
  size_t len;
  size_t pos;
} mem_stream;

static OPJ_SIZE_T stream_read(void *buffer, OPJ_SIZE_T n, void *user)
{
  mem_stream *m = user;
  if(m->pos >= m->len)
    return (OPJ_SIZE_T)-1;
  size_t left = m->len - m->pos;
  if(n > left)
    n = left;
  memcpy(buffer, m->data + m->pos, n);
  m->pos += n;
  return n;
}

static OPJ_OFF_T stream_skip(OPJ_OFF_T n, void *user)
{
  mem_stream *m = user;
  if(n < 0) {
    uint64_t back = (uint64_t)0 - (uint64_t)n;
    if(back > m->pos)
      return -1;
    m->pos -= (size_t)back;
    return n;
  }
  size_t left = m->len - m->pos;
  if((uint64_t)n > left)
    n = (OPJ_OFF_T)left;
  m->pos += (size_t)n;
  return n;
}

static OPJ_BOOL stream_seek(OPJ_OFF_T n, void *user)
{
  mem_stream *m = user;
  if(n < 0 || (uint64_t)n > m->len)
    return OPJ_FALSE;
  m->pos = (size_t)n;
  return OPJ_TRUE;
}

/* OpenJPEG prints to stderr by default; a kiosk has no one reading it, and
 * the caller gets MYNA_E_DECODE for anything that went wrong. */
static void opj_quiet(const char *msg, void *user)
{
  (void)msg;
  (void)user;
}

static const uint8_t jp2_signature[] = { 0x00, 0x00, 0x00, 0x0C,
                                         0x6A, 0x50, 0x20, 0x20 };
static const uint8_t j2k_signature[] = { 0xFF, 0x4F, 0xFF, 0x51 };

static void image_free(opj_image_t *image)
{
  if(!image)
    return;
  for(OPJ_UINT32 i = 0; i < image->numcomps; i++) {
    opj_image_comp_t *c = &image->comps[i];
    if(c->data)
      Myna_wipe(c->data, (size_t)c->w * c->h * sizeof(*c->data));
  }
  opj_image_destroy(image);
}

static myna_rv decode_jpeg2000(const uint8_t *data, size_t len,
                               opj_image_t **out)
{
  OPJ_CODEC_FORMAT format;
  if(len >= sizeof(jp2_signature) &&
     !memcmp(data, jp2_signature, sizeof(jp2_signature)))
    format = OPJ_CODEC_JP2;
  else if(len >= sizeof(j2k_signature) &&
          !memcmp(data, j2k_signature, sizeof(j2k_signature)))
    format = OPJ_CODEC_J2K;
  else
    return MYNA_E_DECODE;

  myna_rv rv = MYNA_E_DECODE;
  mem_stream m = { data, len, 0 };
  opj_image_t *image = NULL;
  opj_codec_t *codec = opj_create_decompress(format);
  opj_stream_t *stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
  if(!codec || !stream)
    goto out;
  opj_stream_set_user_data(stream, &m, NULL);
  opj_stream_set_user_data_length(stream, len);
  opj_stream_set_read_function(stream, stream_read);
  opj_stream_set_skip_function(stream, stream_skip);
  opj_stream_set_seek_function(stream, stream_seek);
  opj_set_info_handler(codec, opj_quiet, NULL);
  opj_set_warning_handler(codec, opj_quiet, NULL);
  opj_set_error_handler(codec, opj_quiet, NULL);

  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if(!opj_setup_decoder(codec, &params))
    goto out;
  /* A truncated photo is an error to report, not half a face to show. */
  if(!opj_decoder_set_strict_mode(codec, OPJ_TRUE))
    goto out;
  if(!opj_read_header(stream, codec, &image))
    goto out;
  if(image->x1 <= image->x0 || image->y1 <= image->y0)
    goto out;
  OPJ_UINT32 w = image->x1 - image->x0;
  OPJ_UINT32 h = image->y1 - image->y0;
  if(w > MAX_SIDE || h > MAX_SIDE || (uint64_t)w * h > MAX_PIXELS)
    goto out;
  if(!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream))
    goto out;
  *out = image;
  image = NULL;
  rv = MYNA_OK;

out:
  image_free(image);
  if(stream)
    opj_stream_destroy(stream);
  if(codec)
    opj_destroy_codec(codec);
  return rv;
}

/* One sample to 8 bits: signed samples shifted to unsigned, values outside
 * the component's range (lossy decoding overshoots) clamped, then scaled
 * with rounding so that 0 and the maximum map to 0 and 255 for any
 * precision. */
static uint8_t sample8(OPJ_INT32 v, const opj_image_comp_t *c)
{
  int64_t x = v;
  int64_t max = ((int64_t)1 << c->prec) - 1;
  if(c->sgnd)
    x += (int64_t)1 << (c->prec - 1);
  if(x < 0)
    x = 0;
  if(x > max)
    x = max;
  return (uint8_t)((x * 255 + max / 2) / max);
}

static uint8_t clamp8(int v)
{
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* sYCC (JP2 colour space 18) to sRGB, ITU-R BT.601 full range, on samples
 * already scaled to 8 bits. Fixed point in 1/65536. */
static void sycc_to_rgb(uint8_t *px)
{
  int y = px[0];
  int cb = px[1] - 128;
  int cr = px[2] - 128;
  px[0] = clamp8(y + ((91881 * cr + 32768) >> 16));
  px[1] = clamp8(y - ((22554 * cb + 46802 * cr - 32768) >> 16));
  px[2] = clamp8(y + ((116130 * cb + 32768) >> 16));
}

/* Interleaved 8-bit pixels of a decoded image. 1 component is greyscale,
 * 2 greyscale + alpha, 3 RGB, 4 RGBA. */
static myna_rv image_pixels(const opj_image_t *image, uint8_t **out,
                            uint32_t *width, uint32_t *height,
                            unsigned *channels)
{
  unsigned nc = image->numcomps;
  if(nc < 1 || nc > 4)
    return MYNA_E_DECODE;
  if(image->color_space == OPJ_CLRSPC_CMYK ||
     image->color_space == OPJ_CLRSPC_EYCC)
    return MYNA_E_DECODE;
  bool sycc = image->color_space == OPJ_CLRSPC_SYCC;
  if(sycc && nc < 3)
    return MYNA_E_DECODE;
  const opj_image_comp_t *c0 = &image->comps[0];
  uint32_t w = c0->w;
  uint32_t h = c0->h;
  if(!w || !h || w > MAX_SIDE || h > MAX_SIDE ||
     (uint64_t)w * h > MAX_PIXELS)
    return MYNA_E_DECODE;
  for(unsigned i = 0; i < nc; i++) {
    const opj_image_comp_t *c = &image->comps[i];
    if(!c->data || c->w != w || c->h != h || c->dx != c0->dx ||
       c->dy != c0->dy || c->prec < 1 || c->prec > 31)
      return MYNA_E_DECODE;
  }
  size_t n = (size_t)w * h;
  uint8_t *px = malloc(n * nc);
  if(!px)
    return MYNA_E_NO_MEMORY;
  for(size_t i = 0; i < n; i++) {
    uint8_t *p = px + i * nc;
    for(unsigned k = 0; k < nc; k++)
      p[k] = sample8(image->comps[k].data[i], &image->comps[k]);
    if(sycc)
      sycc_to_rgb(p);
  }
  *out = px;
  *width = w;
  *height = h;
  *channels = nc;
  return MYNA_OK;
}

typedef struct mem_buffer {
  uint8_t *data;
  size_t len;
  size_t cap;
} mem_buffer;

/* Grows by copying rather than realloc so that no copy of the picture is
 * left behind in freed memory. */
static void png_write_mem(png_structp png, png_bytep p, size_t n)
{
  mem_buffer *b = png_get_io_ptr(png);
  if(n > b->cap - b->len) {
    if(n > SIZE_MAX / 2 - b->len)
      png_error(png, "PNG too large");
    size_t cap = b->cap ? b->cap * 2 : 16384;
    if(cap < b->len + n)
      cap = b->len + n;
    uint8_t *grown = malloc(cap);
    if(!grown)
      png_error(png, "out of memory");
    if(b->len)
      memcpy(grown, b->data, b->len);
    Myna_free_wiped(b->data, b->cap);
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void png_flush_mem(png_structp png)
{
  (void)png;
}

static void png_fail(png_structp png, png_const_charp msg)
{
  (void)msg;
  png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
  (void)png;
  (void)msg;
}

static myna_rv encode_png(const uint8_t *px, uint32_t w, uint32_t h,
                          unsigned channels, mem_buffer *out)
{
  static const int color_types[] = { PNG_COLOR_TYPE_GRAY,
                                     PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA };
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                            png_fail, png_quiet);
  if(!png)
    return MYNA_E_NO_MEMORY;
  png_infop info = png_create_info_struct(png);
  if(!info) {
    png_destroy_write_struct(&png, NULL);
    return MYNA_E_NO_MEMORY;
  }
  /* libpng reports every error by a longjmp back here. Nothing that this
   * function changes after setjmp is read after the jump. */
  if(setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return MYNA_E_DECODE;
  }
  png_set_write_fn(png, out, png_write_mem, png_flush_mem);
  png_set_IHDR(png, info, w, h, 8, color_types[channels - 1],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t stride = (size_t)w * channels;
  for(uint32_t y = 0; y < h; y++)
    png_write_row(png, px + y * stride);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return MYNA_OK;
}

myna_rv myna_jp2_to_png(const uint8_t *jp2, size_t len, uint8_t **png,
                        size_t *png_len)
{
  if(!jp2 || !png || !png_len)
    return MYNA_E_INVALID_ARGUMENT;
  *png = NULL;
  *png_len = 0;
  opj_image_t *image = NULL;
  myna_rv rv = decode_jpeg2000(jp2, len, &image);
  if(rv)
    return rv;
  uint8_t *px = NULL;
  uint32_t w = 0;
  uint32_t h = 0;
  unsigned channels = 0;
  rv = image_pixels(image, &px, &w, &h, &channels);
  image_free(image);
  if(rv)
    return rv;
  mem_buffer out = { NULL, 0, 0 };
  rv = encode_png(px, w, h, channels, &out);
  Myna_free_wiped(px, (size_t)w * h * channels);
  if(rv) {
    Myna_free_wiped(out.data, out.cap);
    return rv;
  }
  *png = out.data;
  *png_len = out.len;
  return MYNA_OK;
}
