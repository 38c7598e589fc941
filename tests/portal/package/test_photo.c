/* test_photo.c - ps_photo_check against JPEGs written here with libjpeg:
 * a good photo, each hard rule of photo-spec.md broken on its own, bytes
 * that are not a JPEG, and a storm of damaged copies. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jpeglib.h>

#include "photo.h"
#include "report.h"

typedef struct jpeg_spec {
  unsigned width, height;
  J_COLOR_SPACE in;     /* JCS_RGB, JCS_GRAYSCALE, JCS_CMYK */
  J_COLOR_SPACE stored; /* JCS_YCbCr, JCS_RGB, JCS_GRAYSCALE, JCS_CMYK,
                           JCS_YCCK */
  bool noise;           /* random pixels (large file) or a flat grey */
  bool progressive;
  size_t pad;           /* bytes of COM segments to add */
  int quality;
} jpeg_spec;

/* A small deterministic generator: the same spec gives the same file. */
static uint32_t rng_next(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

static GBytes *make_jpeg(const jpeg_spec *spec)
{
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  unsigned char *buf = NULL;
  unsigned long len = 0;
  int comps = spec->in == JCS_GRAYSCALE ? 1 : spec->in == JCS_CMYK ? 4 : 3;

  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &buf, &len);
  c.image_width = spec->width;
  c.image_height = spec->height;
  c.input_components = comps;
  c.in_color_space = spec->in;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, spec->stored);
  jpeg_set_quality(&c, spec->quality ? spec->quality : 90, TRUE);
  if(spec->progressive)
    jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);

  /* COM segments hold at most 65533 bytes each. */
  guint8 *filler = g_malloc(65533);
  memset(filler, 'x', 65533);
  for(size_t left = spec->pad; left > 0;) {
    size_t n = MIN(left, (size_t)65533);
    jpeg_write_marker(&c, JPEG_COM, filler, (unsigned)n);
    left -= n;
  }
  g_free(filler);

  uint32_t seed = 0x12345678u ^ spec->width ^ (spec->height << 16);
  size_t stride = (size_t)spec->width * (size_t)comps;
  JSAMPLE *row = g_malloc(stride);
  while(c.next_scanline < c.image_height) {
    for(size_t i = 0; i < stride; i++)
      row[i] = spec->noise ? (JSAMPLE)(rng_next(&seed) & 0xFF) : 128;
    JSAMPROW rows[1] = { row };
    jpeg_write_scanlines(&c, rows, 1);
  }
  g_free(row);
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  GBytes *out = g_bytes_new(buf, len);
  free(buf);
  return out;
}

static GBytes *good_photo(void)
{
  jpeg_spec s = { .width = 600, .height = 771, .in = JCS_RGB,
                  .stored = JCS_YCbCr, .noise = true };
  return make_jpeg(&s);
}

/* Checks b and asserts that the report's items are exactly the given ones
 * (NULL-ended, in the order they are reported); returns the report. */
static GPtrArray *check_items(GBytes *b, ps_photo_info *info, ...)
{
  GPtrArray *report = ps_report_new();
  gsize n = 0;
  const uint8_t *d = b ? g_bytes_get_data(b, &n) : NULL;
  bool ok = ps_photo_check(d, n, info, report);
  va_list ap;
  va_start(ap, info);
  guint i = 0;
  for(const char *want = va_arg(ap, const char *); want;
      want = va_arg(ap, const char *), i++) {
    if(i >= report->len)
      g_error("expected item %s, the report has only %u", want, report->len);
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(strcmp(it->item, want) != 0)
      g_error("item %u: expected %s, got %s (%s)", i, want, it->item,
              it->content);
    g_assert_true(g_utf8_validate(it->content, -1, NULL));
    g_assert_cmpuint(strlen(it->content), >, 0);
  }
  va_end(ap);
  for(guint j = i; j < report->len; j++) {
    const ps_report_item *it = g_ptr_array_index(report, j);
    g_error("unexpected item %s: %s", it->item, it->content);
  }
  g_assert_true(ok == (report->len == 0));
  return report;
}

static void assert_content_has(GPtrArray *report, guint i, const char *text)
{
  const ps_report_item *it = g_ptr_array_index(report, i);
  if(!strstr(it->content, text))
    g_error("item %s: \"%s\" lacks \"%s\"", it->item, it->content, text);
}

static void test_good_rgb(void)
{
  g_autoptr(GBytes) b = good_photo();
  ps_photo_info info;
  g_ptr_array_unref(check_items(b, &info, NULL));
  g_assert_cmpuint(info.width, ==, 600);
  g_assert_cmpuint(info.height, ==, 771);
  g_assert_cmpint(info.color, ==, PS_PHOTO_COLOR_YCBCR);
  g_assert_cmpuint(info.components, ==, 3);
  g_assert_true(info.header_read);
  g_assert_true(info.decoded);
  g_assert_false(info.progressive);
  g_assert_cmpuint(info.file_size, ==, g_bytes_get_size(b));
}

static void test_good_variants(void)
{
  /* RGB stored as RGB (no YCbCr transform), progressive, greyscale. */
  jpeg_spec rgb = { .width = 600, .height = 771, .in = JCS_RGB,
                    .stored = JCS_RGB, .noise = true };
  g_autoptr(GBytes) b1 = make_jpeg(&rgb);
  ps_photo_info info;
  g_ptr_array_unref(check_items(b1, &info, NULL));
  g_assert_cmpint(info.color, ==, PS_PHOTO_COLOR_RGB);

  jpeg_spec prog = { .width = 600, .height = 771, .in = JCS_RGB,
                     .stored = JCS_YCbCr, .noise = true,
                     .progressive = true };
  g_autoptr(GBytes) b2 = make_jpeg(&prog);
  g_ptr_array_unref(check_items(b2, &info, NULL));
  g_assert_true(info.progressive);
  g_assert_true(info.decoded);

  jpeg_spec grey = { .width = 600, .height = 771, .in = JCS_GRAYSCALE,
                     .stored = JCS_GRAYSCALE, .noise = true };
  g_autoptr(GBytes) b3 = make_jpeg(&grey);
  g_ptr_array_unref(check_items(b3, &info, NULL));
  g_assert_cmpint(info.color, ==, PS_PHOTO_COLOR_GREYSCALE);
  g_assert_cmpstr(ps_photo_color_name(info.color), ==, "greyscale");
}

static void test_cmyk(void)
{
  jpeg_spec s = { .width = 600, .height = 771, .in = JCS_CMYK,
                  .stored = JCS_CMYK, .noise = true };
  g_autoptr(GBytes) b = make_jpeg(&s);
  ps_photo_info info;
  g_autoptr(GPtrArray) r = check_items(b, &info, "photo.color_space", NULL);
  g_assert_cmpint(info.color, ==, PS_PHOTO_COLOR_CMYK);
  assert_content_has(r, 0, "CMYK");

  s.stored = JCS_YCCK;
  g_autoptr(GBytes) b2 = make_jpeg(&s);
  g_ptr_array_unref(check_items(b2, &info, "photo.color_space",
                                        NULL));
  g_assert_cmpint(info.color, ==, PS_PHOTO_COLOR_YCCK);
}

static void test_file_too_small(void)
{
  jpeg_spec s = { .width = 480, .height = 617, .in = JCS_RGB,
                  .stored = JCS_YCbCr, .quality = 50 };
  g_autoptr(GBytes) b = make_jpeg(&s);
  g_assert_cmpuint(g_bytes_get_size(b), <, PS_PHOTO_MIN_BYTES);
  g_autoptr(GPtrArray) r = check_items(b, NULL, "photo.file_size", NULL);
  assert_content_has(r, 0, "上げて");
}

static void test_file_too_large(void)
{
  jpeg_spec s = { .width = 600, .height = 771, .in = JCS_RGB,
                  .stored = JCS_YCbCr, .noise = true,
                  .pad = PS_PHOTO_MAX_BYTES };
  g_autoptr(GBytes) b = make_jpeg(&s);
  g_assert_cmpuint(g_bytes_get_size(b), >, PS_PHOTO_MAX_BYTES);
  g_autoptr(GPtrArray) r = check_items(b, NULL, "photo.file_size", NULL);
  assert_content_has(r, 0, "下げる");
}

static void test_dimensions(void)
{
  /* Narrow but in ratio: only the width fails. */
  jpeg_spec s = { .width = 470, .height = 604, .in = JCS_RGB,
                  .stored = JCS_YCbCr, .noise = true };
  g_autoptr(GBytes) b1 = make_jpeg(&s);
  g_autoptr(GPtrArray) r1 = check_items(b1, NULL, "photo.width", NULL);
  assert_content_has(r1, 0, "470");

  s.width = 300;
  s.height = 386;
  g_autoptr(GBytes) b2 = make_jpeg(&s);
  g_ptr_array_unref(check_items(b2, NULL, "photo.width",
                                        "photo.height", NULL));

  /* Tall: only the height fails (4667/6001 is 35:45 within 0.01 %). */
  jpeg_spec tall = { .width = 4667, .height = 6001, .in = JCS_RGB,
                     .stored = JCS_YCbCr };
  g_autoptr(GBytes) b3 = make_jpeg(&tall);
  ps_photo_info info;
  g_autoptr(GPtrArray) r3 = check_items(b3, &info, "photo.height", NULL);
  g_assert_true(info.header_read);
  g_assert_false(info.decoded); /* out of bounds: not worth decoding */
  assert_content_has(r3, 0, "6001");

  jpeg_spec big = { .width = 6001, .height = 7716, .in = JCS_RGB,
                    .stored = JCS_YCbCr };
  g_autoptr(GBytes) b4 = make_jpeg(&big);
  g_ptr_array_unref(check_items(b4, NULL, "photo.width",
                                        "photo.height", NULL));
}

static void test_aspect_ratio(void)
{
  static const struct { unsigned w, h; bool ok; } cases[] = {
    { 600, 600, false },  /* square */
    { 771, 600, false },  /* landscape */
    { 600, 762, false },  /* +1.2 % too wide */
    { 600, 780, false },  /* -1.1 % too narrow */
    { 600, 765, true },   /* +0.8 % */
    { 600, 778, true },   /* -0.85 % */
    { 480, 617, true },
    { 3500, 4500, true },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    jpeg_spec s = { .width = cases[i].w, .height = cases[i].h,
                    .in = JCS_RGB, .stored = JCS_YCbCr,
                    .noise = cases[i].w < 1000, .quality = 75 };
    g_autoptr(GBytes) b = make_jpeg(&s);
    g_test_message("%ux%u", cases[i].w, cases[i].h);
    g_autoptr(GPtrArray) r =
      cases[i].ok ? check_items(b, NULL, NULL)
                  : check_items(b, NULL, "photo.aspect_ratio", NULL);
    if(!cases[i].ok)
      assert_content_has(r, 0, "縦横比が 35:45 になるように切り抜いて");
  }
}

static void test_png_bytes(void)
{
  GByteArray *a = g_byte_array_new();
  g_byte_array_append(a, (const guint8 *)"\x89PNG\r\n\x1a\n", 8);
  uint32_t seed = 7;
  for(int i = 0; i < 30000; i++) {
    guint8 c = (guint8)rng_next(&seed);
    g_byte_array_append(a, &c, 1);
  }
  g_autoptr(GBytes) b = g_byte_array_free_to_bytes(a);
  ps_photo_info info;
  g_autoptr(GPtrArray) r = check_items(b, &info, "photo.format", NULL);
  g_assert_false(info.header_read);
  assert_content_has(r, 0, "JPEG 形式");
}

static void test_truncated(void)
{
  g_autoptr(GBytes) good = good_photo();
  gsize n = g_bytes_get_size(good);
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes(good, 0, n * 6 / 10);
  ps_photo_info info;
  g_autoptr(GPtrArray) r = check_items(cut, &info, "photo.format", NULL);
  g_assert_true(info.header_read);
  g_assert_false(info.decoded);
  assert_content_has(r, 0, "途中");

  /* Cut inside the headers: not even a frame. */
  g_autoptr(GBytes) head = g_bytes_new_from_bytes(good, 0, 100);
  g_ptr_array_unref(check_items(head, &info, "photo.file_size",
                                        "photo.format", NULL));
}

static void test_random_and_empty(void)
{
  GByteArray *a = g_byte_array_new();
  uint32_t seed = 99;
  for(int i = 0; i < 50000; i++) {
    guint8 c = (guint8)rng_next(&seed);
    g_byte_array_append(a, &c, 1);
  }
  g_autoptr(GBytes) b = g_byte_array_free_to_bytes(a);
  g_ptr_array_unref(check_items(b, NULL, "photo.format", NULL));

  g_ptr_array_unref(check_items(NULL, NULL, "photo.file_size",
                                        "photo.format", NULL));
}

/* Damaged copies of a good photo: flipped bytes and cuts. Each must give
 * an answer (no crash, no leak, no sanitizer report) that agrees with its
 * report, and a damaged copy that is accepted must still decode. */
static void test_damage_storm(void)
{
  jpeg_spec s = { .width = 480, .height = 617, .in = JCS_RGB,
                  .stored = JCS_YCbCr, .noise = true, .quality = 60,
                  .progressive = true };
  g_autoptr(GBytes) good = make_jpeg(&s);
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(good, &n);
  guint8 *copy = g_malloc(n);
  uint32_t seed = 2024;
  unsigned rejected = 0;
  for(int round = 0; round < 300; round++) {
    memcpy(copy, d, n);
    size_t len = n;
    int flips = 1 + (int)(rng_next(&seed) % 8);
    for(int f = 0; f < flips; f++) {
      /* Headers are where parsers break: aim there half of the time. */
      size_t at = (rng_next(&seed) & 1) ? rng_next(&seed) % MIN(n, 700)
                                         : rng_next(&seed) % n;
      copy[at] = (guint8)rng_next(&seed);
    }
    if(round % 5 == 0)
      len = rng_next(&seed) % n;
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_photo_info info;
    bool ok = ps_photo_check(copy, len, &info, report);
    g_assert_true(ok == (report->len == 0));
    if(ok)
      g_assert_true(info.decoded);
    else
      rejected++;
  }
  g_free(copy);
  /* Most damage is caught (a flip in the pixel data may not be). */
  g_assert_cmpuint(rejected, >, 150);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/photo/good-rgb-600x771", test_good_rgb);
  g_test_add_func("/photo/good-rgb-progressive-greyscale", test_good_variants);
  g_test_add_func("/photo/cmyk-and-ycck-rejected", test_cmyk);
  g_test_add_func("/photo/file-too-small", test_file_too_small);
  g_test_add_func("/photo/file-too-large", test_file_too_large);
  g_test_add_func("/photo/dimensions-out-of-bounds", test_dimensions);
  g_test_add_func("/photo/aspect-ratio-35-45-within-1pct", test_aspect_ratio);
  g_test_add_func("/photo/png-bytes-not-jpeg", test_png_bytes);
  g_test_add_func("/photo/truncated-jpeg", test_truncated);
  g_test_add_func("/photo/random-bytes-and-empty", test_random_and_empty);
  g_test_add_func("/photo/damaged-copies-never-crash", test_damage_storm);
  return g_test_run();
}
