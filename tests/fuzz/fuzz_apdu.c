/* fuzz_apdu.c - command APDU decoding and response splitting (mynacard/
 * apdu.h) on arbitrary bytes. Besides memory safety it checks the round
 * trip: a command decoded in the form the encoder would choose encodes back
 * to the same bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "mynacard/apdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[MYNA_APDU_MAX_COMMAND];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t dlen = 0;
  uint16_t sw = 0;
  if(myna_apdu_split_response(data, size, &dlen, &sw) == MYNA_OK) {
    FUZZ_CHECK(size >= 2 && dlen == size - 2);
    FUZZ_CHECK(sw == (uint16_t)(data[size - 2] << 8 | data[size - 1]));
  }
  else
    FUZZ_CHECK(size < 2);

  myna_apdu a;
  bool ext = false;
  if(myna_apdu_decode(data, size, &a, &ext) != MYNA_OK)
    return 0;
  FUZZ_CHECK(a.lc <= 65535 && a.ne <= 65536);
  FUZZ_CHECK((a.lc == 0) == (a.data == NULL));
  if(a.lc) {
    FUZZ_CHECK(a.data >= data + 5 && a.lc <= (size_t)(data + size - a.data));
    fuzz_touch(a.data, a.lc);
  }
  int c = myna_apdu_case(&a);
  FUZZ_CHECK(c >= 1 && c <= 4);

  /* The encoder uses the extended form only when it must; re-encoding
   * reproduces the input whenever the input used that same form. */
  size_t n = 0;
  myna_rv rv = myna_apdu_encode(&a, true, out, sizeof(out), &n);
  FUZZ_CHECK(rv == MYNA_OK);
  if(ext == myna_apdu_needs_extended(&a))
    FUZZ_CHECK(n == size && memcmp(out, data, n) == 0);
  if(!myna_apdu_needs_extended(&a)) {
    FUZZ_CHECK(myna_apdu_encode(&a, false, out, sizeof(out), &n) == MYNA_OK);
    FUZZ_CHECK(n <= 4 + 1 + 255 + 1);
  }
  else
    FUZZ_CHECK(myna_apdu_encode(&a, false, out, sizeof(out), &n) ==
               MYNA_E_NOT_SUPPORTED);
  /* too small a buffer is refused, never overrun */
  if(n > 4)
    FUZZ_CHECK(myna_apdu_encode(&a, true, out, 4, &n) ==
               MYNA_E_BUFFER_TOO_SMALL);
  return 0;
}
