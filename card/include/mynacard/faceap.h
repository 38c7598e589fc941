/* mynacard/faceap.h - the card surface application (券面事項確認AP) and the
 * Japanese era conversion it needs for 照合番号B. */
#ifndef MYNACARD_FACEAP_H
#define MYNACARD_FACEAP_H

#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "error.h"
#include "secret.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum myna_era {
  MYNA_ERA_MEIJI,   /* 明治  1868-01-25 .. 1912-07-29 */
  MYNA_ERA_TAISHO,  /* 大正  1912-07-30 .. 1926-12-24 */
  MYNA_ERA_SHOWA,   /* 昭和  1926-12-25 .. 1989-01-07 */
  MYNA_ERA_HEISEI,  /* 平成  1989-01-08 .. 2019-04-30 */
  MYNA_ERA_REIWA    /* 令和  2019-05-01 .. */
} myna_era;

/* Japanese era and era year (元年 = 1) of a Gregorian date.
 * MYNA_E_INVALID_ARGUMENT for an impossible date or one before 明治. */
myna_rv myna_japanese_era(int year, int month, int day, myna_era *era,
                          int *era_year);

/* Era name in kanji ("昭和") and romaji ("Showa"). */
const char *myna_era_name_ja(myna_era era);
const char *myna_era_name(myna_era era);

/* Build 照合番号B from what is printed on the card: the Gregorian birth date
 * (converted here to the era year printed on the card, YYMMDD), the expiry
 * year (YYYY) and the 4-digit security code. Example: 1980-02-17 (昭和55),
 * 2035, "2285" -> "55021720352285". security_code is a secret because it
 * unlocks the card face; it must hold exactly 4 ASCII digits. */
myna_rv myna_face_ap_make_verification_b(int birth_year, int birth_month,
                                         int birth_day, int expiry_year,
                                         const myna_secret *security_code,
                                         myna_secret **out);

typedef enum myna_face_key {
  MYNA_FACE_KEY_B,  /* 照合番号B, key 0012 */
  MYNA_FACE_KEY_A   /* 照合番号A = the My Number, key 0013 */
} myna_face_key;

myna_rv myna_face_ap_select(myna_card *card);

/* Tries left for the key, without spending one. */
myna_rv myna_face_ap_tries_left(myna_card *card, myna_face_key key, int *tries);

/* Unlock the card face with 照合番号B (14 digits) or 照合番号A (12 digits). */
myna_rv myna_face_ap_unlock(myna_card *card, myna_face_key key,
                            const myna_secret *value, int *tries_left);

/* Content of EF 0002 of the card surface AP. Each buffer is owned by the
 * struct; a field the card does not carry has len 0 and a NULL pointer. */
typedef struct myna_face_data {
  uint8_t *birth;        size_t birth_len;        /* DF22 */
  uint8_t *sex;          size_t sex_len;          /* DF23 */
  uint8_t *public_key;   size_t public_key_len;   /* DF24 */
  uint8_t *name_image;   size_t name_image_len;   /* DF25, PNG */
  uint8_t *address_image;size_t address_image_len;/* DF26, PNG */
  uint8_t *photo;        size_t photo_len;        /* DF27, JPEG 2000 */
  uint8_t *signature;    size_t signature_len;    /* DF28 */
  uint8_t *expiry;       size_t expiry_len;       /* DF29 */
  uint8_t *code_image;   size_t code_image_len;   /* DF2A, PNG */
} myna_face_data;

/* Read EF 0002 after unlock (its size from the BER header first). */
myna_rv myna_face_ap_read(myna_card *card, myna_face_data **out);

/* Parse the content of EF 0002 (exposed for tests and fuzzing). */
myna_rv myna_face_ap_parse(const uint8_t *buf, size_t len, myna_face_data **out);

/* Wipe and free. NULL is accepted. */
void myna_face_data_free(myna_face_data *data);

/* Decode a JPEG 2000 image (JP2 box format or raw J2K codestream) with
 * OpenJPEG and encode it as an 8-bit PNG (grey, grey + alpha, RGB or RGBA by
 * the number of components). *png is malloc'd.
 * MYNA_E_DECODE when the image cannot be decoded. */
myna_rv myna_jp2_to_png(const uint8_t *jp2, size_t len, uint8_t **png,
                        size_t *png_len);

#ifdef __cplusplus
}
#endif
#endif
