/* pin.c - PIN rules, checked before any APDU so that no try is wasted. */
#include "mynacard/pin.h"

#include <string.h>

#include "card_internal.h"

static bool all_digits(const uint8_t *p, size_t n)
{
  for(size_t i = 0; i < n; i++)
    if(p[i] < '0' || p[i] > '9')
      return false;
  return true;
}

int myna_my_number_check_digit(const char *digits11)
{
  if(!digits11 || strlen(digits11) != 11 ||
     !all_digits((const uint8_t *)digits11, 11))
    return -1;
  /* P_n is the n-th digit from the right; Q_n = n + 1 (n <= 6), n - 5 (n >= 7). */
  int sum = 0;
  for(int n = 1; n <= 11; n++) {
    int p = digits11[11 - n] - '0';
    int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  int r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

myna_rv myna_pin_normalize(myna_pin_kind kind, const myna_secret *in,
                           myna_secret **out)
{
  if(!in || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  size_t n = myna_secret_len(in);
  const uint8_t *p = myna_secret_bytes(in);
  uint8_t buf[MYNA_SECRET_MAX];
  myna_rv rv = MYNA_E_PIN_FORMAT;

  switch(kind) {
  case MYNA_PIN_JPKI_AUTH:
  case MYNA_PIN_TEXT:
    if(n != 4 || !all_digits(p, n))
      return MYNA_E_PIN_FORMAT;
    break;
  case MYNA_PIN_FACE_B:
    if(n != 14 || !all_digits(p, n))
      return MYNA_E_PIN_FORMAT;
    break;
  case MYNA_PIN_MY_NUMBER: {
    if(n != 12 || !all_digits(p, n))
      return MYNA_E_PIN_FORMAT;
    char body[12];
    memcpy(body, p, 11);
    body[11] = 0;
    int check = myna_my_number_check_digit(body);
    Myna_wipe(body, sizeof(body));
    if(check != p[11] - '0')
      return MYNA_E_PIN_FORMAT;
    break;
  }
  case MYNA_PIN_JPKI_SIGN:
    if(n < 6 || n > 16)
      return MYNA_E_PIN_FORMAT;
    /* The card compares bytes: lowercase input is what a resident means by
     * the same password, so it is uppercased here rather than spent on the
     * card. Anything outside A-Z 0-9 is refused. */
    for(size_t i = 0; i < n; i++) {
      uint8_t c = p[i];
      if(c >= 'a' && c <= 'z')
        c = (uint8_t)(c - 'a' + 'A');
      if(!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        Myna_wipe(buf, sizeof(buf));
        return MYNA_E_PIN_FORMAT;
      }
      buf[i] = c;
    }
    *out = myna_secret_from_bytes(buf, n);
    Myna_wipe(buf, sizeof(buf));
    return *out ? MYNA_OK : MYNA_E_NO_MEMORY;
  default:
    return MYNA_E_INVALID_ARGUMENT;
  }
  *out = myna_secret_from_bytes(p, n);
  rv = *out ? MYNA_OK : MYNA_E_NO_MEMORY;
  return rv;
}

const char *myna_pin_rule(myna_pin_kind kind)
{
  switch(kind) {
  case MYNA_PIN_JPKI_AUTH:
    return "4 digits";
  case MYNA_PIN_JPKI_SIGN:
    return "6 to 16 letters A-Z and digits 0-9";
  case MYNA_PIN_TEXT:
    return "4 digits";
  case MYNA_PIN_FACE_B:
    return "14 digits (birth date in era years YYMMDD, expiry year YYYY, 4-digit security code)";
  case MYNA_PIN_MY_NUMBER:
    return "the 12-digit My Number";
  }
  return "";
}

const char *myna_pin_rule_ja(myna_pin_kind kind)
{
  switch(kind) {
  case MYNA_PIN_JPKI_AUTH:
    return "数字4桁";
  case MYNA_PIN_JPKI_SIGN:
    return "英大文字（A〜Z）と数字（0〜9）の6〜16文字";
  case MYNA_PIN_TEXT:
    return "数字4桁";
  case MYNA_PIN_FACE_B:
    return "数字14桁（生年月日の和暦YYMMDD・有効期限の西暦YYYY・セキュリティコード4桁）";
  case MYNA_PIN_MY_NUMBER:
    return "12桁の個人番号";
  }
  return "";
}
