/* fuzz_face_ap.c - the parser of the card surface EF (FF20 with DF21..DF2A),
 * as a hostile card could fill it. Every field it returns is read whole. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "mynacard/faceap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void field(const uint8_t *p, size_t n, size_t size)
{
  FUZZ_CHECK((p == NULL) == (n == 0));
  FUZZ_CHECK(n < size);
  fuzz_touch(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  myna_face_data *d = NULL;
  if(myna_face_ap_parse(data, size, &d) == MYNA_OK) {
    FUZZ_CHECK(d && d->photo_len > 0);
    field(d->birth, d->birth_len, size);
    field(d->sex, d->sex_len, size);
    field(d->public_key, d->public_key_len, size);
    field(d->name_image, d->name_image_len, size);
    field(d->address_image, d->address_image_len, size);
    field(d->photo, d->photo_len, size);
    field(d->signature, d->signature_len, size);
    field(d->expiry, d->expiry_len, size);
    field(d->code_image, d->code_image_len, size);
  }
  else
    FUZZ_CHECK(d == NULL);
  myna_face_data_free(d);
  return 0;
}
