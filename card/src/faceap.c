/* faceap.c - the card surface application (券面事項確認AP): 照合番号B,
 * unlocking the card face and reading its photo and images. */
#include "mynacard/faceap.h"

#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

#define EF_FACE 0x0002
#define EF_KEY_B 0x0012
#define EF_KEY_A 0x0013

#define TAG_FACE 0xFF20
#define TAG_FIRST 0xDF21
#define TAG_LAST 0xDF2A

/* The expiry year is printed as 4 digits. Cards exist since 2016, and 照合番号B
 * has room for 4 digits only, so anything outside these years is a typo at
 * the counter rather than a card. */
#define EXPIRY_YEAR_MIN 2016
#define EXPIRY_YEAR_MAX 2099

#define VERIFICATION_B_LEN 14
#define SECURITY_CODE_LEN 4

static void put_digits(uint8_t *p, int value, int n)
{
  for(int i = n - 1; i >= 0; i--) {
    p[i] = (uint8_t)('0' + value % 10);
    value /= 10;
  }
}

myna_rv myna_face_ap_make_verification_b(int birth_year, int birth_month,
                                         int birth_day, int expiry_year,
                                         const myna_secret *security_code,
                                         myna_secret **out)
{
  if(!out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  if(!security_code)
    return MYNA_E_INVALID_ARGUMENT;
  myna_era era;
  int era_year = 0;
  myna_rv rv = myna_japanese_era(birth_year, birth_month, birth_day, &era,
                                 &era_year);
  if(rv)
    return rv;
  /* The card prints two digits. The expiry range keeps every era year
   * below 100 today; this keeps the format honest if that range grows. */
  if(era_year > 99)
    return MYNA_E_INVALID_ARGUMENT;
  if(expiry_year < EXPIRY_YEAR_MIN || expiry_year > EXPIRY_YEAR_MAX ||
     expiry_year < birth_year)
    return MYNA_E_INVALID_ARGUMENT;

  /* The security code is what the resident types: a wrong shape is a
   * PIN-format mistake to show them, refused before anything is sent. */
  const uint8_t *code = myna_secret_bytes(security_code);
  if(myna_secret_len(security_code) != SECURITY_CODE_LEN)
    return MYNA_E_PIN_FORMAT;
  for(size_t i = 0; i < SECURITY_CODE_LEN; i++)
    if(code[i] < '0' || code[i] > '9')
      return MYNA_E_PIN_FORMAT;

  uint8_t buf[VERIFICATION_B_LEN];
  put_digits(buf, era_year, 2);
  put_digits(buf + 2, birth_month, 2);
  put_digits(buf + 4, birth_day, 2);
  put_digits(buf + 6, expiry_year, 4);
  memcpy(buf + 10, code, SECURITY_CODE_LEN);
  *out = myna_secret_from_bytes(buf, sizeof(buf));
  Myna_wipe(buf, sizeof(buf));
  return *out ? MYNA_OK : MYNA_E_NO_MEMORY;
}

static myna_rv key_info(myna_face_key key, uint16_t *ef, myna_pin_kind *kind)
{
  switch(key) {
  case MYNA_FACE_KEY_B:
    *ef = EF_KEY_B;
    *kind = MYNA_PIN_FACE_B;
    return MYNA_OK;
  case MYNA_FACE_KEY_A:
    *ef = EF_KEY_A;
    *kind = MYNA_PIN_MY_NUMBER;
    return MYNA_OK;
  }
  return MYNA_E_INVALID_ARGUMENT;
}

myna_rv myna_face_ap_select(myna_card *card)
{
  if(!card)
    return MYNA_E_INVALID_ARGUMENT;
  return Myna_select_ap(card, MYNA_AP_FACE);
}

static myna_rv face_ap_tries_left_op(myna_card *card,
                                     myna_face_key key,
                                     int *tries)
{
  if(!card || !tries)
    return MYNA_E_INVALID_ARGUMENT;
  uint16_t ef;
  myna_pin_kind kind;
  myna_rv rv = key_info(key, &ef, &kind);
  if(rv)
    return rv;
  rv = myna_face_ap_select(card);
  if(rv)
    return rv;
  return Myna_tries_left(card, ef, tries);
}

myna_rv myna_face_ap_tries_left(myna_card *card, myna_face_key key, int *tries)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, face_ap_tries_left_op(card, key, tries));
}

static myna_rv face_ap_unlock_op(myna_card *card,
                                 myna_face_key key,
                                 const myna_secret *value,
                                 int *tries_left)
{
  if(!card || !value)
    return MYNA_E_INVALID_ARGUMENT;
  uint16_t ef;
  myna_pin_kind kind;
  myna_rv rv = key_info(key, &ef, &kind);
  if(rv)
    return rv;
  /* A malformed value is refused before the AP selection, which would cost
   * an APDU and drop what the session had unlocked (Myna_verify). */
  return Myna_verify(card, MYNA_AP_FACE, ef, kind, value, tries_left);
}

myna_rv myna_face_ap_unlock(myna_card *card, myna_face_key key,
                            const myna_secret *value, int *tries_left)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, face_ap_unlock_op(card, key, value, tries_left));
}

static myna_rv face_ap_read_op(myna_card *card,
                               myna_face_data **out)
{
  if(!card || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  /* The card answers 6982 without an unlock; the session already knows,
   * so no APDU is spent to learn it. */
  if(!Myna_is_verified(card, MYNA_AP_FACE, EF_KEY_B) &&
     !Myna_is_verified(card, MYNA_AP_FACE, EF_KEY_A))
    return MYNA_E_SECURITY_STATUS;
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  myna_rv rv = Myna_read_personal_ef(card, EF_FACE, &raw, &raw_len);
  if(rv)
    return rv;
  rv = myna_face_ap_parse(raw, raw_len, out);
  Myna_free_wiped(raw, raw_len);
  return rv;
}

myna_rv myna_face_ap_read(myna_card *card, myna_face_data **out)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, face_ap_read_op(card, out));
}

/* Filler (00 or FF) may pad the rest of an EF after its last object. */
/* Every child of FF20 must be well-formed and each known field appear at
 * most once: with two photos there is no telling which one the card
 * signed. */
static myna_rv check_children(const uint8_t *p, size_t n)
{
  unsigned seen = 0;
  size_t filler_start = myna_tlv_filler_start(p, n);
  size_t off = 0;
  while(off < n && off < filler_start) {
    myna_tlv t;
    if(myna_tlv_parse(p + off, n - off, &t))
      return MYNA_E_BAD_DATA;
    if(t.tag >= TAG_FIRST && t.tag <= TAG_LAST) {
      unsigned bit = 1u << (t.tag - TAG_FIRST);
      if(seen & bit)
        return MYNA_E_BAD_DATA;
      seen |= bit;
    }
    off += t.header_len + t.len;
  }
  return MYNA_OK;
}

static myna_rv take_field(const uint8_t *p, size_t n, uint32_t tag,
                          uint8_t **field, size_t *field_len)
{
  myna_tlv t;
  myna_rv rv = myna_tlv_find(p, n, tag, &t);
  if(rv == MYNA_E_FILE_NOT_FOUND)
    return MYNA_OK;
  if(rv)
    return MYNA_E_BAD_DATA;
  if(!t.len)
    return MYNA_OK;
  *field = malloc(t.len);
  if(!*field)
    return MYNA_E_NO_MEMORY;
  memcpy(*field, t.value, t.len);
  *field_len = t.len;
  return MYNA_OK;
}

myna_rv myna_face_ap_parse(const uint8_t *buf, size_t len, myna_face_data **out)
{
  if(!buf || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  myna_tlv face;
  if(myna_tlv_parse(buf, len, &face) || face.tag != TAG_FACE)
    return MYNA_E_BAD_DATA;
  size_t end = face.header_len + face.len;
  if(myna_tlv_filler_start(buf + end, len - end) != 0)
    return MYNA_E_BAD_DATA;
  myna_rv rv = check_children(face.value, face.len);
  if(rv)
    return rv;

  myna_face_data *d = calloc(1, sizeof(*d));
  if(!d)
    return MYNA_E_NO_MEMORY;
  const struct {
    uint32_t tag;
    uint8_t **p;
    size_t *n;
  } fields[] = {
    { 0xDF22, &d->birth, &d->birth_len },
    { 0xDF23, &d->sex, &d->sex_len },
    { 0xDF24, &d->public_key, &d->public_key_len },
    { 0xDF25, &d->name_image, &d->name_image_len },
    { 0xDF26, &d->address_image, &d->address_image_len },
    { 0xDF27, &d->photo, &d->photo_len },
    { 0xDF28, &d->signature, &d->signature_len },
    { 0xDF29, &d->expiry, &d->expiry_len },
    { 0xDF2A, &d->code_image, &d->code_image_len },
  };
  for(size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
    rv = take_field(face.value, face.len, fields[i].tag, fields[i].p,
                    fields[i].n);
    if(rv)
      goto fail;
  }
  /* The photo is what the card face is read for; without it the EF is not
   * the one this code knows. */
  if(!d->photo_len) {
    rv = MYNA_E_BAD_DATA;
    goto fail;
  }
  *out = d;
  return MYNA_OK;

fail:
  myna_face_data_free(d);
  return rv;
}

void myna_face_data_free(myna_face_data *data)
{
  if(!data)
    return;
  Myna_free_wiped(data->birth, data->birth_len);
  Myna_free_wiped(data->sex, data->sex_len);
  Myna_free_wiped(data->public_key, data->public_key_len);
  Myna_free_wiped(data->name_image, data->name_image_len);
  Myna_free_wiped(data->address_image, data->address_image_len);
  Myna_free_wiped(data->photo, data->photo_len);
  Myna_free_wiped(data->signature, data->signature_len);
  Myna_free_wiped(data->expiry, data->expiry_len);
  Myna_free_wiped(data->code_image, data->code_image_len);
  Myna_wipe(data, sizeof(*data));
  free(data);
}
