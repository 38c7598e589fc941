/* mynacard/pin.h - the card's PIN rules, checked before any APDU is sent. */
#ifndef MYNACARD_PIN_H
#define MYNACARD_PIN_H

#include "error.h"
#include "secret.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum myna_pin_kind {
  MYNA_PIN_JPKI_AUTH,  /* 利用者証明用電子証明書 PIN: 4 digits, 3 tries */
  MYNA_PIN_JPKI_SIGN,  /* 署名用電子証明書 password: 6-16 of A-Z 0-9, 5 tries */
  MYNA_PIN_TEXT,       /* 券面事項入力補助用 PIN: 4 digits, 3 tries */
  MYNA_PIN_FACE_B,     /* 照合番号B: 14 digits */
  MYNA_PIN_MY_NUMBER   /* 照合番号A / the My Number: 12 digits with a valid check digit */
} myna_pin_kind;

/* Check `in` against the rules of `kind` and return in *out the bytes the card
 * expects (the sign password uppercased). On MYNA_E_PIN_FORMAT nothing is
 * allocated and no try is spent because nothing is sent. */
myna_rv myna_pin_normalize(myna_pin_kind kind, const myna_secret *in, myna_secret **out);

/* Human rule for kind ("4 digits", ...), English and Japanese. */
const char *myna_pin_rule(myna_pin_kind kind);
const char *myna_pin_rule_ja(myna_pin_kind kind);

/* Check digit of an 11-digit My Number body (0-9), or -1 if digits is not
 * 11 ASCII digits. */
int myna_my_number_check_digit(const char *digits11);

#ifdef __cplusplus
}
#endif
#endif
