/* jpki.c - the JPKI application: certificates, PIN counters, VERIFY,
 * COMPUTE DIGITAL SIGNATURE and CHANGE REFERENCE DATA. Uses only the
 * confirmed commands; token info and availability are read when present and
 * their absence is tolerated. */
#include "mynacard/jpki.h"

#include <string.h>

#include "card_internal.h"

#define EF_SIGN_CERT 0x0001
#define EF_SIGN_CA 0x0002
#define EF_TOKEN_INFO 0x0006
#define EF_AVAILABILITY 0x0008
#define EF_AUTH_CERT 0x000A
#define EF_AUTH_CA 0x000B
#define EF_AUTH_KEY 0x0017
#define EF_AUTH_PIN 0x0018
#define EF_SIGN_KEY 0x001A
#define EF_SIGN_PIN 0x001B

static uint16_t pin_ef(myna_jpki_key key)
{
  return key == MYNA_JPKI_KEY_SIGN ? EF_SIGN_PIN : EF_AUTH_PIN;
}

static uint16_t key_ef(myna_jpki_key key)
{
  return key == MYNA_JPKI_KEY_SIGN ? EF_SIGN_KEY : EF_AUTH_KEY;
}

static myna_pin_kind pin_kind(myna_jpki_key key)
{
  return key == MYNA_JPKI_KEY_SIGN ? MYNA_PIN_JPKI_SIGN : MYNA_PIN_JPKI_AUTH;
}

/* A sign-side EF that does not exist means the card has no signature
 * certificate (cards of holders under 15). The session remembers it, so that
 * the next sign-side request is answered without asking the card, and never
 * with "enter the password" for a password that does not exist. */
static myna_rv sign_side(myna_card *card, myna_jpki_key key, myna_rv rv)
{
  if(key == MYNA_JPKI_KEY_SIGN && rv == MYNA_E_FILE_NOT_FOUND) {
    card->no_sign_cert = true;
    return MYNA_E_NO_SIGN_CERTIFICATE;
  }
  return rv;
}

static bool known_no_sign(const myna_card *card, myna_jpki_key key)
{
  return key == MYNA_JPKI_KEY_SIGN && card->no_sign_cert;
}

myna_rv myna_jpki_select(myna_card *card)
{
  if(!card)
    return MYNA_E_INVALID_ARGUMENT;
  return Myna_select_ap(card, MYNA_AP_JPKI);
}

static myna_rv jpki_read_certificate_op(myna_card *card,
                                        myna_jpki_cert which,
                                        const uint8_t **der,
                                        size_t *der_len)
{
  static const uint16_t ef[] = {
    [MYNA_JPKI_CERT_AUTH] = EF_AUTH_CERT,
    [MYNA_JPKI_CERT_AUTH_CA] = EF_AUTH_CA,
    [MYNA_JPKI_CERT_SIGN] = EF_SIGN_CERT,
    [MYNA_JPKI_CERT_SIGN_CA] = EF_SIGN_CA,
  };
  if(!card || !der || !der_len || (unsigned)which > MYNA_JPKI_CERT_SIGN_CA)
    return MYNA_E_INVALID_ARGUMENT;
  bool sign = which == MYNA_JPKI_CERT_SIGN;
  if(sign && known_no_sign(card, MYNA_JPKI_KEY_SIGN))
    return MYNA_E_NO_SIGN_CERTIFICATE;
  /* The card would answer 6982: say so without asking it. The kept copy of
   * the sign certificate follows the same rule as the card. */
  if(sign && !Myna_is_verified(card, MYNA_AP_JPKI, EF_SIGN_PIN))
    return MYNA_E_SECURITY_STATUS;
  myna_cached *c = &card->certs[which];
  if(c->data) {
    *der = c->data;
    *der_len = c->len;
    return MYNA_OK;
  }
  myna_rv rv = myna_jpki_select(card);
  if(rv)
    return rv;
  rv = sign ? Myna_read_personal_ef(card, ef[which], &c->data, &c->len)
            : Myna_read_object_ef(card, ef[which], &c->data, &c->len);
  if(rv)
    return sign ? sign_side(card, MYNA_JPKI_KEY_SIGN, rv) : rv;
  if(c->len < 4 || c->data[0] != 0x30) {
    Myna_free_wiped(c->data, c->len);
    c->data = NULL;
    c->len = 0;
    return MYNA_E_BAD_DATA;
  }
  *der = c->data;
  *der_len = c->len;
  return MYNA_OK;
}

myna_rv myna_jpki_read_certificate(myna_card *card, myna_jpki_cert which,
                                   const uint8_t **der, size_t *der_len)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_read_certificate_op(card, which, der, der_len));
}

static myna_rv jpki_token_label_op(myna_card *card,
                                   char label[33])
{
  if(!card || !label)
    return MYNA_E_INVALID_ARGUMENT;
  myna_rv rv = myna_jpki_select(card);
  if(rv)
    return rv;
  uint8_t buf[32];
  size_t got = 0;
  rv = Myna_read_fixed_ef(card, EF_TOKEN_INFO, sizeof(buf), buf, &got);
  if(rv == MYNA_E_FILE_NOT_FOUND)
    return MYNA_E_NOT_SUPPORTED;
  if(rv)
    return rv;
  size_t n = 0;
  for(; n < got; n++) {
    uint8_t ch = buf[n];
    if(ch == 0)
      break;
    if(ch < 0x20 || ch > 0x7E)
      return MYNA_E_BAD_DATA;
    label[n] = (char)ch;
  }
  while(n && label[n - 1] == ' ')
    n--;
  label[n] = 0;
  return MYNA_OK;
}

myna_rv myna_jpki_token_label(myna_card *card, char label[33])
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_token_label_op(card, label));
}

static myna_rv jpki_cert_availability_op(myna_card *card,
                                         bool *auth,
                                         bool *sign)
{
  if(!card || !auth || !sign)
    return MYNA_E_INVALID_ARGUMENT;
  myna_rv rv = myna_jpki_select(card);
  if(rv)
    return rv;
  uint8_t buf[3];
  size_t got = 0;
  rv = Myna_read_fixed_ef(card, EF_AVAILABILITY, sizeof(buf), buf, &got);
  if(rv == MYNA_E_FILE_NOT_FOUND)
    return MYNA_E_NOT_SUPPORTED;
  if(rv)
    return rv;
  if(got < 2)
    return MYNA_E_BAD_DATA;
  /* 8F marks a present certificate: first byte auth, second sign. */
  *auth = buf[0] == 0x8F;
  *sign = buf[1] == 0x8F;
  if(!*sign)
    card->no_sign_cert = true;
  return MYNA_OK;
}

myna_rv myna_jpki_cert_availability(myna_card *card, bool *auth, bool *sign)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_cert_availability_op(card, auth, sign));
}

static myna_rv jpki_tries_left_op(myna_card *card,
                                  myna_jpki_key key,
                                  int *tries)
{
  if(!card || !tries)
    return MYNA_E_INVALID_ARGUMENT;
  if(known_no_sign(card, key))
    return MYNA_E_NO_SIGN_CERTIFICATE;
  myna_rv rv = myna_jpki_select(card);
  if(rv)
    return rv;
  return sign_side(card, key, Myna_tries_left(card, pin_ef(key), tries));
}

myna_rv myna_jpki_tries_left(myna_card *card, myna_jpki_key key, int *tries)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_tries_left_op(card, key, tries));
}

static myna_rv jpki_verify_op(myna_card *card,
                              myna_jpki_key key,
                              const myna_secret *pin,
                              int *tries_left)
{
  if(!card || !pin)
    return MYNA_E_INVALID_ARGUMENT;
  if(known_no_sign(card, key))
    return MYNA_E_NO_SIGN_CERTIFICATE;
  return sign_side(card, key, Myna_verify(card, MYNA_AP_JPKI, pin_ef(key),
                                          pin_kind(key), pin, tries_left));
}

myna_rv myna_jpki_verify(myna_card *card, myna_jpki_key key,
                         const myna_secret *pin, int *tries_left)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_verify_op(card, key, pin, tries_left));
}

bool myna_jpki_is_verified(const myna_card *card, myna_jpki_key key)
{
  return card && Myna_is_verified(card, MYNA_AP_JPKI, pin_ef(key));
}

static const uint8_t di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B,
                                   0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04,
                                   0x14 };
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                     0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                     0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60,
                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                     0x03, 0x05, 0x00, 0x04, 0x40 };

size_t myna_hash_alg_size(myna_hash_alg alg)
{
  switch(alg) {
  case MYNA_HASH_SHA1:
    return 20;
  case MYNA_HASH_SHA256:
    return 32;
  case MYNA_HASH_SHA384:
    return 48;
  case MYNA_HASH_SHA512:
    return 64;
  }
  return 0;
}

const char *myna_hash_alg_name(myna_hash_alg alg)
{
  switch(alg) {
  case MYNA_HASH_SHA1:
    return "sha1";
  case MYNA_HASH_SHA256:
    return "sha256";
  case MYNA_HASH_SHA384:
    return "sha384";
  case MYNA_HASH_SHA512:
    return "sha512";
  }
  return "";
}

myna_rv myna_digestinfo_build(myna_hash_alg alg, const uint8_t *hash,
                              size_t hash_len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
  const uint8_t *prefix;
  size_t plen;
  switch(alg) {
  case MYNA_HASH_SHA1:
    prefix = di_sha1;
    plen = sizeof(di_sha1);
    break;
  case MYNA_HASH_SHA256:
    prefix = di_sha256;
    plen = sizeof(di_sha256);
    break;
  case MYNA_HASH_SHA384:
    prefix = di_sha384;
    plen = sizeof(di_sha384);
    break;
  case MYNA_HASH_SHA512:
    prefix = di_sha512;
    plen = sizeof(di_sha512);
    break;
  default:
    return MYNA_E_INVALID_ARGUMENT;
  }
  if(!hash || !out || !out_len || hash_len != myna_hash_alg_size(alg))
    return MYNA_E_INVALID_ARGUMENT;
  if(cap < plen + hash_len)
    return MYNA_E_BUFFER_TOO_SMALL;
  memcpy(out, prefix, plen);
  memcpy(out + plen, hash, hash_len);
  *out_len = plen + hash_len;
  return MYNA_OK;
}

static myna_rv jpki_sign_digestinfo_op(myna_card *card,
                                       myna_jpki_key key,
                                       const uint8_t *digestinfo,
                                       size_t di_len,
                                       uint8_t *sig,
                                       size_t sig_cap,
                                       size_t *sig_len)
{
  /* PKCS#1 v1.5 type 1 with a 2048-bit key carries at most 245 bytes. */
  if(!card || !digestinfo || !di_len || di_len > 245 || !sig || !sig_len)
    return MYNA_E_INVALID_ARGUMENT;
  if(sig_cap < MYNA_JPKI_SIGNATURE_SIZE)
    return MYNA_E_BUFFER_TOO_SMALL;
  if(known_no_sign(card, key))
    return MYNA_E_NO_SIGN_CERTIFICATE;
  if(!Myna_is_verified(card, MYNA_AP_JPKI, pin_ef(key)))
    return MYNA_E_SECURITY_STATUS;
  myna_rv rv = Myna_select_ef(card, key_ef(key));
  if(rv)
    return sign_side(card, key, rv);
  myna_apdu a = { .cla = 0x80, .ins = 0x2A, .p1 = 0x00, .p2 = 0x80,
                  .data = digestinfo, .lc = di_len, .ne = 256 };
  size_t n = 0;
  rv = Myna_command(card, &a, sig, sig_cap, &n, NULL);
  if(rv)
    return rv;
  if(n != MYNA_JPKI_SIGNATURE_SIZE)
    return MYNA_E_MALFORMED_RESPONSE;
  *sig_len = n;
  return MYNA_OK;
}

myna_rv myna_jpki_sign_digestinfo(myna_card *card, myna_jpki_key key,
                                  const uint8_t *digestinfo, size_t di_len,
                                  uint8_t *sig, size_t sig_cap,
                                  size_t *sig_len)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_sign_digestinfo_op(card, key, digestinfo, di_len,
                                                   sig, sig_cap, sig_len));
}

myna_rv myna_jpki_sign_hash(myna_card *card, myna_jpki_key key,
                            myna_hash_alg alg, const uint8_t *hash,
                            size_t hash_len, uint8_t *sig, size_t sig_cap,
                            size_t *sig_len)
{
  uint8_t di[19 + 64];
  size_t di_len = 0;
  myna_rv rv = myna_digestinfo_build(alg, hash, hash_len, di, sizeof(di),
                                     &di_len);
  if(rv)
    return rv;
  return myna_jpki_sign_digestinfo(card, key, di, di_len, sig, sig_cap,
                                   sig_len);
}

static myna_rv jpki_change_pin_op(myna_card *card,
                                  myna_jpki_key key,
                                  const myna_secret *new_pin)
{
  if(!card || !new_pin)
    return MYNA_E_INVALID_ARGUMENT;
  if(known_no_sign(card, key))
    return MYNA_E_NO_SIGN_CERTIFICATE;
  if(!Myna_is_verified(card, MYNA_AP_JPKI, pin_ef(key)))
    return MYNA_E_SECURITY_STATUS;
  return Myna_change_reference_data(card, pin_ef(key), pin_kind(key), new_pin);
}

myna_rv myna_jpki_change_pin(myna_card *card, myna_jpki_key key,
                             const myna_secret *new_pin)
{
  myna_rv rv = myna_card_begin(card);
  if(rv)
    return rv;
  return Myna_op_end(card, jpki_change_pin_op(card, key, new_pin));
}
