/* fuzz_photo.c - ps_photo_check on arbitrary bytes. libjpeg is the system
 * library (not instrumented): coverage guides the fuzzer through photo.c
 * and what it hands libjpeg; ASan still sees every access photo.c makes.
 * Properties: the answer agrees with the report, an accepted photo has
 * every hard-rule value in bounds and decoded cleanly, every report item
 * is one of the documented ones with a non-empty UTF-8 text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "fuzz_common.h"
#include "photo.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Above the 7 MB rule nothing new happens but a longer run. */
#define FUZZ_MAX_INPUT (256 * 1024)

static bool known_item(const char *item)
{
  static const char *const items[] = {
    "photo.format", "photo.color_space", "photo.file_size", "photo.width",
    "photo.height", "photo.aspect_ratio",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(items); i++)
    if(strcmp(item, items[i]) == 0)
      return true;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size > FUZZ_MAX_INPUT)
    return -1;
  GPtrArray *report = ps_report_new();
  ps_photo_info info;
  bool ok = ps_photo_check(data, size, &info, report);
  FUZZ_CHECK(ok == (report->len == 0));
  FUZZ_CHECK(info.file_size == size);
  if(ok) {
    FUZZ_CHECK(info.header_read && info.decoded);
    FUZZ_CHECK(info.width >= PS_PHOTO_MIN_PX && info.width <= PS_PHOTO_MAX_PX);
    FUZZ_CHECK(info.height >= PS_PHOTO_MIN_PX &&
               info.height <= PS_PHOTO_MAX_PX);
    FUZZ_CHECK(info.width < info.height);
    FUZZ_CHECK(size >= PS_PHOTO_MIN_BYTES && size <= PS_PHOTO_MAX_BYTES);
    FUZZ_CHECK(info.color == PS_PHOTO_COLOR_YCBCR ||
               info.color == PS_PHOTO_COLOR_RGB ||
               info.color == PS_PHOTO_COLOR_GREYSCALE);
  }
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    FUZZ_CHECK(known_item(it->item));
    FUZZ_CHECK(it->content[0] != '\0');
    FUZZ_CHECK(g_utf8_validate(it->content, -1, NULL));
  }
  g_ptr_array_unref(report);
  return 0;
}
