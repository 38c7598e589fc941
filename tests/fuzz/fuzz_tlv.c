/* fuzz_tlv.c - BER-TLV and DER length parsing (mynacard/tlv.h) on arbitrary
 * bytes: nothing may read outside the input, and what a successful parse
 * returns must lie inside it. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "mynacard/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const uint8_t *data, size_t size, const myna_tlv *t,
                         size_t avail_from, bool whole_value)
{
  FUZZ_CHECK(t->header_len >= 2 && t->header_len <= 3 + 5);
  FUZZ_CHECK(t->header_len <= size - avail_from);
  FUZZ_CHECK(t->value == data + avail_from + t->header_len);
  if(whole_value) {
    FUZZ_CHECK(t->len <= size - avail_from - t->header_len);
    fuzz_touch(t->value, t->len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  myna_tlv t;
  if(myna_tlv_parse(data, size, &t) == MYNA_OK)
    check_inside(data, size, &t, 0, true);
  if(myna_tlv_parse_header(data, size, &t) == MYNA_OK)
    check_inside(data, size, &t, 0, false);

  size_t total = 0;
  if(myna_der_object_size(data, size, &total) == MYNA_OK) {
    FUZZ_CHECK(myna_tlv_parse_header(data, size, &t) == MYNA_OK);
    FUZZ_CHECK(total == t.header_len + t.len);
    /* the whole object is in the input exactly when tlv_parse accepts it */
    myna_tlv whole;
    FUZZ_CHECK((myna_tlv_parse(data, size, &whole) == MYNA_OK) ==
               (total <= size));
  }

  /* Walk the siblings as the card surface parser does, and look up tags
   * taken from the input itself and the ones the library uses. */
  size_t off = 0;
  for(int k = 0; off < size && k < 4096; k++) {
    if(myna_tlv_parse(data + off, size - off, &t))
      break;
    check_inside(data, size, &t, off, true);
    off += t.header_len + t.len;
  }
  static const uint32_t tags[] = { 0x30, 0xFF10, 0xFF20, 0xDF22, 0xDF27,
                                   0xDF2A };
  uint32_t own = 0;
  for(size_t i = 0; i < size && i < 3; i++)
    own = own << 8 | data[i];
  for(size_t i = 0; i <= sizeof(tags) / sizeof(tags[0]); i++) {
    uint32_t tag = i < sizeof(tags) / sizeof(tags[0]) ? tags[i] : own;
    if(myna_tlv_find(data, size, tag, &t) == MYNA_OK) {
      FUZZ_CHECK(t.tag == tag);
      FUZZ_CHECK(t.value >= data + t.header_len &&
                 t.len <= (size_t)(data + size - t.value));
      fuzz_touch(t.value, t.len);
    }
  }
  return 0;
}
