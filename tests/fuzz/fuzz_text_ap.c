/* fuzz_text_ap.c - the parsers of the card input support AP: EF 0001 (the
 * My Number) and EF 0002 (基本4情報), as a hostile card could fill them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "mynacard/textap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  myna_secret *num = NULL;
  if(myna_text_ap_parse_my_number(data, size, &num) == MYNA_OK) {
    FUZZ_CHECK(num && myna_secret_len(num) == 12);
    const uint8_t *b = myna_secret_bytes(num);
    for(size_t i = 0; i < 12; i++)
      FUZZ_CHECK(b[i] >= '0' && b[i] <= '9');
  }
  else
    FUZZ_CHECK(num == NULL);
  myna_secret_free(num);

  myna_basic_info *info = NULL;
  if(myna_text_ap_parse_basic_info(data, size, &info) == MYNA_OK) {
    FUZZ_CHECK(info && info->name && info->address);
    size_t nl = strlen(info->name);
    size_t al = strlen(info->address);
    FUZZ_CHECK(nl > 0 && nl < size && al > 0 && al < size);
    FUZZ_CHECK(strlen(info->birth) == 8);
    FUZZ_CHECK(memchr("0129", info->sex, 4) != NULL);
  }
  else
    FUZZ_CHECK(info == NULL);
  myna_basic_info_free(info);
  return 0;
}
