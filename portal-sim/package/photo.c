/* photo.c - the hard rules of photo-spec.md, with libjpeg as the judge of
 * what a JPEG is: a file is a JPEG when libjpeg decodes all of it without
 * an error or a warning, not when its name or first bytes say so. */
#include "photo.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "report.h"

/* [S] Decoder bounds for hostile input. A valid photo of 6000×6000 px in
 * progressive mode needs about 220 MB of coefficient buffers, hence the
 * memory cap; a real progressive JPEG has about ten scans, while a crafted
 * one with thousands costs a full pass over the image each. */
#define PHOTO_MAX_DECODER_MEMORY (320L * 1024L * 1024L)
#define PHOTO_MAX_SCANS 100

typedef struct photo_err {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  unsigned warnings;
  bool truncated;
  bool too_many_scans;
} photo_err;

static void on_error_exit(j_common_ptr c)
{
  photo_err *e = (photo_err *)c->err;
  char msg[JMSG_LENGTH_MAX];
  c->err->format_message(c, msg);
  g_debug("photo: libjpeg: %s", msg);
  longjmp(e->jump, 1);
}

/* Warnings (level -1) are corrupt data that libjpeg would paper over:
 * missing bytes at the end become grey, extraneous bytes are skipped. A
 * photo for an ID card with such damage is not accepted. Trace messages
 * (level >= 0) are ignored. */
static void on_emit_message(j_common_ptr c, int level)
{
  photo_err *e = (photo_err *)c->err;
  if(level >= 0)
    return;
  e->warnings++;
  if(c->err->msg_code == JWRN_JPEG_EOF)
    e->truncated = true;
  if(e->warnings == 1) {
    char msg[JMSG_LENGTH_MAX];
    c->err->format_message(c, msg);
    g_debug("photo: libjpeg warning: %s", msg);
  }
}

static void on_output_message(j_common_ptr c)
{
  (void)c; /* libjpeg's default prints to stderr */
}

static void on_progress(j_common_ptr c)
{
  if(!c->is_decompressor)
    return;
  j_decompress_ptr d = (j_decompress_ptr)c;
  if(d->input_scan_number > PHOTO_MAX_SCANS) {
    photo_err *e = (photo_err *)c->err;
    e->too_many_scans = true;
    longjmp(e->jump, 1);
  }
}

static ps_photo_color color_of(J_COLOR_SPACE cs)
{
  switch(cs) {
  case JCS_YCbCr: return PS_PHOTO_COLOR_YCBCR;
  case JCS_RGB: return PS_PHOTO_COLOR_RGB;
  case JCS_GRAYSCALE: return PS_PHOTO_COLOR_GREYSCALE;
  case JCS_CMYK: return PS_PHOTO_COLOR_CMYK;
  case JCS_YCCK: return PS_PHOTO_COLOR_YCCK;
  default: return PS_PHOTO_COLOR_UNKNOWN;
  }
}

const char *ps_photo_color_name(ps_photo_color c)
{
  switch(c) {
  case PS_PHOTO_COLOR_YCBCR: return "YCbCr";
  case PS_PHOTO_COLOR_RGB: return "RGB";
  case PS_PHOTO_COLOR_GREYSCALE: return "greyscale";
  case PS_PHOTO_COLOR_CMYK: return "CMYK";
  case PS_PHOTO_COLOR_YCCK: return "YCCK";
  default: return "unknown";
  }
}

typedef enum read_result {
  READ_NOT_JPEG,     /* no frame header */
  READ_BROKEN,       /* header read, an error while decoding */
  READ_TRUNCATED,
  READ_CORRUPT,      /* decoded, with warnings */
  READ_TOO_COMPLEX,  /* too many scans or too much memory */
  READ_SKIPPED,      /* header read, too large to be worth decoding */
  READ_OK,
} read_result;

/* No automatic cleanup in here: longjmp would skip it. */
static read_result photo_read(const uint8_t *data, size_t len,
                              ps_photo_info *info)
{
  struct jpeg_decompress_struct cinfo;
  struct jpeg_progress_mgr progress;
  photo_err err;
  volatile bool header = false;

  memset(&cinfo, 0, sizeof cinfo);
  memset(&err, 0, sizeof err);
  memset(&progress, 0, sizeof progress);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.emit_message = on_emit_message;
  err.pub.output_message = on_output_message;
  if(setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    if(err.too_many_scans)
      return READ_TOO_COMPLEX;
    if(!header)
      return READ_NOT_JPEG;
    return err.truncated ? READ_TRUNCATED : READ_BROKEN;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = PHOTO_MAX_DECODER_MEMORY;
  progress.progress_monitor = on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, data, (unsigned long)len);
  jpeg_read_header(&cinfo, TRUE);
  header = true;
  info->header_read = true;
  info->width = cinfo.image_width;
  info->height = cinfo.image_height;
  info->components = (unsigned)cinfo.num_components;
  info->color = color_of(cinfo.jpeg_color_space);
  info->progressive = cinfo.progressive_mode;
  if(err.truncated) {
    jpeg_destroy_decompress(&cinfo);
    return READ_TRUNCATED;
  }
  /* A picture outside the size bounds is rejected anyway; decoding it
   * would spend the memory and time the bounds exist to cap. */
  if(cinfo.image_width > PS_PHOTO_MAX_PX ||
     cinfo.image_height > PS_PHOTO_MAX_PX) {
    jpeg_destroy_decompress(&cinfo);
    return READ_SKIPPED;
  }

  /* Every coefficient is still entropy-decoded (that is where damage
   * shows); the 1/8 scale only makes the inverse DCT cheap. */
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = FALSE;
  jpeg_start_decompress(&cinfo);
  JSAMPARRAY row = cinfo.mem->alloc_sarray(
    (j_common_ptr)&cinfo, JPOOL_IMAGE,
    cinfo.output_width * (JDIMENSION)cinfo.output_components, 1);
  while(cinfo.output_scanline < cinfo.output_height)
    jpeg_read_scanlines(&cinfo, row, 1);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if(err.truncated)
    return READ_TRUNCATED;
  if(err.warnings)
    return READ_CORRUPT;
  info->decoded = true;
  return READ_OK;
}

static void check_side(GPtrArray *report, const char *item, const char *side,
                       unsigned px)
{
  if(px < PS_PHOTO_MIN_PX) {
    ps_report_add(report, item, "画像の%sが %u ピクセルです。%u～%u ピクセル"
                  "にしてください（解像度を上げて撮影・保存し直して"
                  "ください）", side, px, PS_PHOTO_MIN_PX, PS_PHOTO_MAX_PX);
  } else if(px > PS_PHOTO_MAX_PX) {
    ps_report_add(report, item, "画像の%sが %u ピクセルです。%u～%u ピクセル"
                  "にしてください（縮小して保存し直してください）", side, px,
                  PS_PHOTO_MIN_PX, PS_PHOTO_MAX_PX);
  }
}

bool ps_photo_check(const uint8_t *jpeg, size_t len, ps_photo_info *info,
                    GPtrArray *report)
{
  ps_photo_info local;
  if(!info)
    info = &local;
  memset(info, 0, sizeof *info);
  info->file_size = len;
  if(!report)
    return false;
  guint start = report->len;

  if(len < PS_PHOTO_MIN_BYTES || len > PS_PHOTO_MAX_BYTES) {
    ps_report_add(report, "photo.file_size", "ファイルサイズが %zu バイト"
                  "です。20 KB（%u バイト）以上 7 MB（%u バイト）以下に"
                  "してください（%s）", len, PS_PHOTO_MIN_BYTES,
                  PS_PHOTO_MAX_BYTES,
                  len < PS_PHOTO_MIN_BYTES ? "画質か解像度を上げて保存し直して"
                                             "ください"
                                           : "画質を下げるか縮小して保存し"
                                             "直してください");
  }

  read_result r = jpeg && len && len <= ULONG_MAX ? photo_read(jpeg, len, info)
                                                 : READ_NOT_JPEG;
  switch(r) {
  case READ_NOT_JPEG:
    ps_report_add(report, "photo.format", "JPEG 形式の画像として読めません。"
                  "写真を JPEG 形式（.jpg）で保存し直してください");
    break;
  case READ_TRUNCATED:
    ps_report_add(report, "photo.format", "JPEG データが途中で終わって"
                  "います。写真をもう一度保存して送り直してください");
    break;
  case READ_BROKEN:
  case READ_CORRUPT:
    ps_report_add(report, "photo.format", "JPEG データが壊れています。"
                  "写真をもう一度保存して送り直してください");
    break;
  case READ_TOO_COMPLEX:
    ps_report_add(report, "photo.format", "JPEG の構成が複雑すぎて確認"
                  "できません。通常の（ベースライン）JPEG で保存し直して"
                  "ください");
    break;
  case READ_SKIPPED:
  case READ_OK:
    break;
  }
  if(!info->header_read)
    return false;

  switch(info->color) {
  case PS_PHOTO_COLOR_YCBCR:
  case PS_PHOTO_COLOR_RGB:
  case PS_PHOTO_COLOR_GREYSCALE:
    break;
  case PS_PHOTO_COLOR_CMYK:
  case PS_PHOTO_COLOR_YCCK:
    ps_report_add(report, "photo.color_space", "%s の JPEG は使えません。"
                  "カラー（RGB）の JPEG で保存し直してください",
                  ps_photo_color_name(info->color));
    break;
  default:
    ps_report_add(report, "photo.color_space", "色空間（成分数 %u）が分かり"
                  "ません。カラー（RGB）の JPEG で保存し直してください",
                  info->components);
    break;
  }

  check_side(report, "photo.width", "幅", info->width);
  check_side(report, "photo.height", "高さ", info->height);

  /* |45w - 35h| <= tolerance * 35h, in integers. */
  guint64 w = info->width, h = info->height;
  guint64 diff = 45 * w > 35 * h ? 45 * w - 35 * h : 35 * h - 45 * w;
  if(h == 0 || diff * 100 > 35 * h * PS_PHOTO_RATIO_TOLERANCE_PCT) {
    ps_report_add(report, "photo.aspect_ratio", "縦横比が 35:45 ではあり"
                  "ません（%u×%u ピクセル）。縦横比が 35:45 になるように"
                  "切り抜いてください（縦長。引き伸ばさないでください）",
                  info->width, info->height);
  }
  return report->len == start;
}
