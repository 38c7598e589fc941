/* fuzz_jp2.c - JPEG 2000 (JP2 boxes or a raw codestream) to PNG, the path
 * the card's face photo takes. OpenJPEG is the system library, not
 * instrumented: coverage guides the fuzzer through jp2png.c and what it
 * hands OpenJPEG, and ASan still sees every access of jp2png.c and of the
 * intercepted libc calls. Inputs are capped in size, and the library caps
 * the image it decodes, so that one input cannot run for long. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mynacard/faceap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The card's photo is a few kilobytes. */
#define MAX_INPUT (32 * 1024)

static const uint8_t png_signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
                                         '\n' };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size > MAX_INPUT)
    return -1; /* not added to the corpus */
  uint8_t *png = NULL;
  size_t png_len = 0;
  myna_rv rv = myna_jp2_to_png(data, size, &png, &png_len);
  if(rv == MYNA_OK) {
    FUZZ_CHECK(png && png_len > sizeof(png_signature));
    FUZZ_CHECK(!memcmp(png, png_signature, sizeof(png_signature)));
    fuzz_touch(png, png_len);
  }
  else
    FUZZ_CHECK(png == NULL && png_len == 0);
  free(png);
  return 0;
}
