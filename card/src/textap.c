/* textap.c - the card input support application (券面事項入力補助AP):
 * PIN, My Number and 基本4情報. */
#include "mynacard/textap.h"

#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

#define EF_MY_NUMBER 0x0001
#define EF_BASIC_INFO 0x0002
#define EF_PIN 0x0011

myna_rv myna_text_ap_select(myna_card *card)
{
  if(!card)
    return MYNA_E_INVALID_ARGUMENT;
  return Myna_select_ap(card, MYNA_AP_TEXT);
}

static myna_rv text_ap_tries_left_op(myna_card *card,
                                     int *tries)
{
  if(!card || !tries)
    return MYNA_E_INVALID_ARGUMENT;
  myna_rv rv = myna_text_ap_select(card);
  if(rv)
    return rv;
  return Myna_tries_left(card, EF_PIN, tries);
}

myna_rv myna_text_ap_tries_left(myna_card *card, int *tries)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, text_ap_tries_left_op(card, tries));
}

static myna_rv text_ap_verify_op(myna_card *card,
                                 const myna_secret *pin,
                                 int *tries_left)
{
  if(!card || !pin)
    return MYNA_E_INVALID_ARGUMENT;
  return Myna_verify(card, MYNA_AP_TEXT, EF_PIN, MYNA_PIN_TEXT, pin,
                     tries_left);
}

myna_rv myna_text_ap_verify(myna_card *card, const myna_secret *pin,
                            int *tries_left)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, text_ap_verify_op(card, pin, tries_left));
}

static myna_rv text_ap_change_pin_op(myna_card *card,
                                     const myna_secret *new_pin)
{
  if(!card || !new_pin)
    return MYNA_E_INVALID_ARGUMENT;
  if(!Myna_is_verified(card, MYNA_AP_TEXT, EF_PIN))
    return MYNA_E_SECURITY_STATUS;
  return Myna_change_reference_data(card, EF_PIN, MYNA_PIN_TEXT, new_pin);
}

myna_rv myna_text_ap_change_pin(myna_card *card, const myna_secret *new_pin)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, text_ap_change_pin_op(card, new_pin));
}

static bool is_digits(const uint8_t *p, size_t n)
{
  for(size_t i = 0; i < n; i++)
    if(p[i] < '0' || p[i] > '9')
      return false;
  return true;
}

/* Strict UTF-8 check: no overlongs, no surrogates, nothing above U+10FFFF,
 * no C0 controls other than none at all. */
static bool valid_utf8_text(const uint8_t *p, size_t n)
{
  size_t i = 0;
  while(i < n) {
    uint8_t c = p[i];
    if(c < 0x80) {
      if(c < 0x20 || c == 0x7F)
        return false;
      i++;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if(c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    }
    else if(c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    }
    else if(c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    }
    else
      return false;
    if(extra > n - i - 1)
      return false;
    for(size_t k = 1; k <= extra; k++) {
      if((p[i + k] & 0xC0) != 0x80)
        return false;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    if((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
       (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += extra + 1;
  }
  return true;
}

myna_rv myna_text_ap_parse_my_number(const uint8_t *buf, size_t len,
                                     myna_secret **out)
{
  if(!buf || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  myna_tlv t;
  myna_rv rv = myna_tlv_parse(buf, len, &t);
  if(rv)
    return rv;
  if(t.tag != 0xFF10 || t.len != 12 || !is_digits(t.value, 12))
    return MYNA_E_BAD_DATA;
  *out = myna_secret_from_bytes(t.value, 12);
  return *out ? MYNA_OK : MYNA_E_NO_MEMORY;
}

static char *dup_text(const myna_tlv *t)
{
  char *s = malloc(t->len + 1);
  if(!s)
    return NULL;
  memcpy(s, t->value, t->len);
  s[t->len] = 0;
  return s;
}

void myna_basic_info_free(myna_basic_info *info)
{
  if(!info)
    return;
  if(info->name)
    Myna_free_wiped(info->name, strlen(info->name));
  if(info->address)
    Myna_free_wiped(info->address, strlen(info->address));
  Myna_wipe(info, sizeof(*info));
  free(info);
}

myna_rv myna_text_ap_parse_basic_info(const uint8_t *buf, size_t len,
                                      myna_basic_info **out)
{
  if(!buf || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  myna_tlv outer, name, address, birth, sex;
  myna_rv rv = myna_tlv_parse(buf, len, &outer);
  if(rv)
    return rv;
  if(outer.tag != 0xFF20)
    return MYNA_E_BAD_DATA;
  if(myna_tlv_find(outer.value, outer.len, 0xDF22, &name) ||
     myna_tlv_find(outer.value, outer.len, 0xDF23, &address) ||
     myna_tlv_find(outer.value, outer.len, 0xDF24, &birth) ||
     myna_tlv_find(outer.value, outer.len, 0xDF25, &sex))
    return MYNA_E_BAD_DATA;
  if(!name.len || !valid_utf8_text(name.value, name.len) ||
     !address.len || !valid_utf8_text(address.value, address.len) ||
     birth.len != 8 || !is_digits(birth.value, 8) || sex.len != 1 ||
     !memchr("0129", sex.value[0], 4))
    return MYNA_E_BAD_DATA;

  myna_basic_info *info = calloc(1, sizeof(*info));
  if(!info)
    return MYNA_E_NO_MEMORY;
  info->name = dup_text(&name);
  info->address = dup_text(&address);
  if(!info->name || !info->address) {
    myna_basic_info_free(info);
    return MYNA_E_NO_MEMORY;
  }
  memcpy(info->birth, birth.value, 8);
  info->birth[8] = 0;
  info->sex = (char)sex.value[0];
  *out = info;
  return MYNA_OK;
}

/* Read an EF that the PIN protects. Without a verified PIN the card would
 * answer 6982: say so without sending anything. */
static myna_rv read_protected(myna_card *card, uint16_t fid, uint8_t **buf,
                              size_t *len)
{
  if(!Myna_is_verified(card, MYNA_AP_TEXT, EF_PIN))
    return MYNA_E_SECURITY_STATUS;
  return Myna_read_personal_ef(card, fid, buf, len);
}

static myna_rv text_ap_read_my_number_op(myna_card *card,
                                         myna_secret **out)
{
  if(!card || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  myna_rv rv = read_protected(card, EF_MY_NUMBER, &buf, &len);
  if(rv)
    return rv;
  rv = myna_text_ap_parse_my_number(buf, len, out);
  Myna_free_wiped(buf, len);
  return rv;
}

myna_rv myna_text_ap_read_my_number(myna_card *card, myna_secret **out)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, text_ap_read_my_number_op(card, out));
}

static myna_rv text_ap_read_basic_info_op(myna_card *card,
                                          myna_basic_info **out)
{
  if(!card || !out)
    return MYNA_E_INVALID_ARGUMENT;
  *out = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  myna_rv rv = read_protected(card, EF_BASIC_INFO, &buf, &len);
  if(rv)
    return rv;
  rv = myna_text_ap_parse_basic_info(buf, len, out);
  Myna_free_wiped(buf, len);
  return rv;
}

myna_rv myna_text_ap_read_basic_info(myna_card *card, myna_basic_info **out)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, text_ap_read_basic_info_op(card, out));
}
