/* mynacard/textap.h - the card input support application (券面事項入力補助AP). */
#ifndef MYNACARD_TEXTAP_H
#define MYNACARD_TEXTAP_H

#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "error.h"
#include "secret.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 基本4情報. Strings are UTF-8, NUL-terminated, owned by the struct and wiped
 * by myna_basic_info_free. */
typedef struct myna_basic_info {
  char *name;      /* family and given name separated by U+3000 */
  char *address;
  char birth[9];   /* YYYYMMDD */
  char sex;        /* '1' male, '2' female, '9' not applicable, '0' unknown */
} myna_basic_info;

myna_rv myna_text_ap_select(myna_card *card);

/* Tries left for the PIN (key 0011), without spending one. */
myna_rv myna_text_ap_tries_left(myna_card *card, int *tries);

/* VERIFY the 4-digit PIN; rules as myna_jpki_verify. */
myna_rv myna_text_ap_verify(myna_card *card, const myna_secret *pin,
                            int *tries_left);

/* Read the My Number (EF 0001) into a new secret (12 ASCII digits). */
myna_rv myna_text_ap_read_my_number(myna_card *card, myna_secret **out);

/* Read and parse 基本4情報 (EF 0002). */
myna_rv myna_text_ap_read_basic_info(myna_card *card, myna_basic_info **out);

/* CHANGE REFERENCE DATA for the PIN, after a verify in this session. */
myna_rv myna_text_ap_change_pin(myna_card *card, const myna_secret *new_pin);

/* Parsers, exposed for tests and fuzzing. */
myna_rv myna_text_ap_parse_my_number(const uint8_t *buf, size_t len,
                                     myna_secret **out);
myna_rv myna_text_ap_parse_basic_info(const uint8_t *buf, size_t len,
                                      myna_basic_info **out);

/* Wipe and free. NULL is accepted. */
void myna_basic_info_free(myna_basic_info *info);

#ifdef __cplusplus
}
#endif
#endif
