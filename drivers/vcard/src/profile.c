/* profile.c - loading a software card from its profile (docs/vcard-profile.md)
 * and keeping its counters and reference data in the state file.
 *
 * Everything is checked at load so that a bad profile fails with one precise
 * message instead of a card that misbehaves later: the certificates parse,
 * each private key is RSA-2048 with e = 65537 and matches its certificate,
 * PINs follow the card's rules, counters are in range.
 *
 * The key file is test data of a software card: GLib's key file parser keeps
 * its own copies of the values, which are freed without being wiped. The
 * card's own copies of PINs and personal data are wiped on free.
 */
#include "vcard_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define RSA_BITS 2048
#define RSA_E 65537

typedef struct loader {
  myna_vcard *card;
  GKeyFile *kf;
  char *dir;
  char *err;
  size_t err_len;
} loader;

static bool fail(loader *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool fail(loader *l, const char *fmt, ...)
{
  if(l->err && l->err_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->err_len, fmt, ap);
    va_end(ap);
  }
  return false;
}

static void ssl_reason(char *buf, size_t n)
{
  unsigned long e = ERR_get_error();
  if(e)
    ERR_error_string_n(e, buf, n);
  else
    snprintf(buf, n, "unknown OpenSSL error");
  ERR_clear_error();
}

/* The value of group.key (GLib key file string rules), or NULL when absent. */
static char *get_value(loader *l, const char *group, const char *key)
{
  return g_key_file_get_string(l->kf, group, key, NULL);
}

static char *require_value(loader *l, const char *group, const char *key)
{
  char *v = get_value(l, group, key);
  if(!v)
    fail(l, "[%s] %s is missing", group, key);
  else if(!*v) {
    fail(l, "[%s] %s is empty", group, key);
    g_free(v);
    return NULL;
  }
  return v;
}

static void free_secret_string(char *s)
{
  if(s)
    Vcard_free_wiped(s, strlen(s));
}

static bool all_digits(const char *s, size_t n)
{
  if(strlen(s) != n)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isdigit(s[i]))
      return false;
  return true;
}

static bool valid_date(const char *s)
{
  if(!all_digits(s, 8))
    return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
          (s[3] - '0');
  int m = (s[4] - '0') * 10 + (s[5] - '0');
  int d = (s[6] - '0') * 10 + (s[7] - '0');
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
         g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

/* Read a file named by group.key, relative to the profile folder. */
static bool read_named_file(loader *l, const char *group, const char *key,
                            const char *rel, uint8_t **data, size_t *len)
{
  g_autofree char *path = g_build_filename(l->dir, rel, NULL);
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize n = 0;
  if(!g_file_get_contents(path, &buf, &n, &error))
    return fail(l, "[%s] %s: %s", group, key, error->message);
  *data = (uint8_t *)buf;
  *len = n;
  return true;
}

/* Parse a counter: absent means full. */
static bool get_tries(loader *l, const char *group, const char *key, int max,
                      int *out)
{
  g_autofree char *v = get_value(l, group, key);
  if(!v) {
    *out = max;
    return true;
  }
  gint64 n = 0;
  if(!g_ascii_string_to_signed(v, 10, 0, max, &n, NULL))
    return fail(l, "[%s] %s=%s is not a number of tries in 0..%d", group, key,
                v, max);
  *out = (int)n;
  return true;
}

static const char *pin_rule_text(vcard_pin_id id)
{
  switch(id) {
  case VCARD_PIN_AUTH:
  case VCARD_PIN_TEXT:
    return "4 digits";
  case VCARD_PIN_SIGN:
    return "6-16 characters of A-Z and 0-9";
  case VCARD_PIN_FACE_B:
    return "14 digits";
  case VCARD_PIN_FACE_A:
  default:
    return "12 digits with a valid check digit";
  }
}

static bool set_pin(loader *l, vcard_pin_id id, const char *group,
                    const char *key, const char *value, int tries)
{
  size_t n = strlen(value);
  if(!Vcard_pin_rule_ok(id, (const uint8_t *)value, n))
    return fail(l, "[%s] %s does not follow the card's rule (%s)", group, key,
                pin_rule_text(id));
  vcard_pin *p = &l->card->pins[id];
  p->present = true;
  p->tries = tries;
  memcpy(p->value, value, n);
  p->len = n;
  return true;
}

static vcard_ef *add_ef(loader *l, vcard_ap ap, uint16_t fid,
                        vcard_ef_kind kind)
{
  vcard_ef *ef = Vcard_add_ef(l->card, ap, fid, kind);
  if(!ef)
    fail(l, "too many files on the card");
  return ef;
}

static bool add_binary(loader *l, vcard_ap ap, uint16_t fid, uint8_t *data,
                       size_t len, unsigned access)
{
  if(len > VCARD_EF_MAX) {
    Vcard_free_wiped(data, len);
    return fail(l, "EF %04X would hold %zu bytes; the card's EFs hold at "
                "most %u", fid, len, VCARD_EF_MAX);
  }
  vcard_ef *ef = add_ef(l, ap, fid, VCARD_EF_BINARY);
  if(!ef) {
    Vcard_free_wiped(data, len);
    return false;
  }
  ef->data = data;
  ef->len = len;
  ef->access = access;
  return true;
}

/* Load a DER certificate into an EF. The EF holds the file as it is; *cert
 * (when cert is not NULL) receives the parsed certificate. */
static bool load_cert(loader *l, const char *group, const char *key,
                      const char *rel, uint16_t fid, unsigned access,
                      X509 **cert)
{
  uint8_t *data = NULL;
  size_t len = 0;
  if(!read_named_file(l, group, key, rel, &data, &len))
    return false;
  const unsigned char *p = data;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if(!x) {
    char why[160];
    ssl_reason(why, sizeof(why));
    g_free(data);
    return fail(l, "[%s] %s (%s) is not an X.509 DER certificate: %s", group,
                key, rel, why);
  }
  if(cert)
    *cert = x;
  else
    X509_free(x);
  return add_binary(l, VCARD_AP_JPKI, fid, data, len, access);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
  /* An encrypted key cannot be used by a card that has no one to ask. */
  return 0;
}

static bool check_rsa_key(loader *l, const char *group, const char *key,
                          const char *rel, EVP_PKEY *pkey)
{
  if(!EVP_PKEY_is_a(pkey, "RSA"))
    return fail(l, "[%s] %s (%s) is not an RSA key", group, key, rel);
  if(EVP_PKEY_get_bits(pkey) != RSA_BITS)
    return fail(l, "[%s] %s (%s) is RSA-%d; the card's keys are RSA-%d",
                group, key, rel, EVP_PKEY_get_bits(pkey), RSA_BITS);
  BIGNUM *e = NULL;
  bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
            BN_is_word(e, RSA_E);
  BN_free(e);
  if(!ok)
    return fail(l, "[%s] %s (%s) does not have the public exponent %d", group,
                key, rel, RSA_E);
  return true;
}

/* Load a private key, check it and that it belongs to cert. */
static bool load_key(loader *l, const char *group, const char *key,
                     const char *rel, X509 *cert, const char *cert_key,
                     EVP_PKEY **out)
{
  uint8_t *data = NULL;
  size_t len = 0;
  if(!read_named_file(l, group, key, rel, &data, &len))
    return false;
  BIO *bio = BIO_new_mem_buf(data, (int)len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
                                                 NULL) : NULL;
  BIO_free(bio);
  Vcard_free_wiped(data, len);
  if(!pkey) {
    char why[160];
    ssl_reason(why, sizeof(why));
    return fail(l, "[%s] %s (%s) is not an unencrypted PEM private key: %s",
                group, key, rel, why);
  }
  if(!check_rsa_key(l, group, key, rel, pkey)) {
    EVP_PKEY_free(pkey);
    return false;
  }
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  if(!pub || EVP_PKEY_eq(pub, pkey) != 1) {
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    return fail(l, "[%s] %s (%s) does not match the public key of %s", group,
                key, rel, cert_key);
  }
  *out = pkey;
  return true;
}

static bool add_key(loader *l, vcard_ap ap, uint16_t fid, vcard_pin_id pin,
                    EVP_PKEY *pkey)
{
  vcard_ef *ef = add_ef(l, ap, fid, VCARD_EF_KEY);
  if(!ef) {
    EVP_PKEY_free(pkey);
    return false;
  }
  ef->key = pkey;
  ef->pin = pin;
  return true;
}

static bool add_pin_ef(loader *l, vcard_ap ap, uint16_t fid, vcard_pin_id pin)
{
  vcard_ef *ef = add_ef(l, ap, fid, VCARD_EF_PIN);
  if(ef)
    ef->pin = pin;
  return ef != NULL;
}

static bool load_card_group(loader *l, bool *availability, char **label)
{
  *availability = false;
  *label = get_value(l, "card", "token_label");
  g_autofree char *avail = get_value(l, "card", "availability");
  if(avail) {
    if(!strcmp(avail, "true") || !strcmp(avail, "1"))
      *availability = true;
    else if(strcmp(avail, "false") && strcmp(avail, "0"))
      return fail(l, "[card] availability=%s is neither true nor false",
                  avail);
  }
  g_autofree char *state = get_value(l, "card", "state");
  if(state) {
    if(!*state)
      return fail(l, "[card] state is empty");
    l->card->state_path = g_build_filename(l->dir, state, NULL);
  }
  return true;
}

static bool load_jpki(loader *l, bool availability, const char *label,
                      EVP_PKEY **auth_key_out)
{
  const char *g = "jpki";
  if(!g_key_file_has_group(l->kf, g))
    return fail(l, "[jpki] is missing: every My Number Card has the JPKI AP");
  bool ok = false;
  X509 *auth_cert = NULL, *sign_cert = NULL;
  EVP_PKEY *auth_key = NULL, *sign_key = NULL;
  char *auth_cert_rel = require_value(l, g, "auth_cert");
  char *auth_key_rel = NULL, *auth_ca_rel = NULL, *auth_pin = NULL;
  char *sign_cert_rel = get_value(l, g, "sign_cert");
  char *sign_key_rel = get_value(l, g, "sign_key");
  char *sign_pw = get_value(l, g, "sign_password");
  char *sign_ca_rel = get_value(l, g, "sign_ca_cert");
  int auth_tries = 0, sign_tries = 0;
  bool has_sign = sign_cert_rel || sign_key_rel || sign_pw;

  if(!auth_cert_rel || !(auth_key_rel = require_value(l, g, "auth_key")) ||
     !(auth_ca_rel = require_value(l, g, "auth_ca_cert")) ||
     !(auth_pin = require_value(l, g, "auth_pin")))
    goto out;
  if(has_sign && (!sign_cert_rel || !sign_key_rel || !sign_pw)) {
    fail(l, "[jpki] sign_cert, sign_key and sign_password come together "
         "(a card without a signature certificate has none of them)");
    goto out;
  }
  if(!get_tries(l, g, "auth_tries", Vcard_max_tries[VCARD_PIN_AUTH],
                &auth_tries) ||
     !set_pin(l, VCARD_PIN_AUTH, g, "auth_pin", auth_pin, auth_tries) ||
     !load_cert(l, g, "auth_cert", auth_cert_rel, 0x000A, 0, &auth_cert) ||
     !load_key(l, g, "auth_key", auth_key_rel, auth_cert, "auth_cert",
               &auth_key) ||
     !load_cert(l, g, "auth_ca_cert", auth_ca_rel, 0x000B, 0, NULL))
    goto out;
  /* the face AP signs with the auth key too: the key EF holds a reference
   * of its own */
  if(!EVP_PKEY_up_ref(auth_key)) {
    fail(l, "cannot take a reference to the auth key");
    goto out;
  }
  if(!add_key(l, VCARD_AP_JPKI, 0x0017, VCARD_PIN_AUTH, auth_key))
    goto out;
  if(!add_pin_ef(l, VCARD_AP_JPKI, 0x0018, VCARD_PIN_AUTH))
    goto out;

  if(has_sign) {
    if(!get_tries(l, g, "sign_tries", Vcard_max_tries[VCARD_PIN_SIGN],
                  &sign_tries) ||
       !set_pin(l, VCARD_PIN_SIGN, g, "sign_password", sign_pw, sign_tries) ||
       !load_cert(l, g, "sign_cert", sign_cert_rel, 0x0001,
                  1u << VCARD_PIN_SIGN, &sign_cert) ||
       !load_key(l, g, "sign_key", sign_key_rel, sign_cert, "sign_cert",
                 &sign_key))
      goto out;
    EVP_PKEY *k = sign_key;
    sign_key = NULL;
    if(!add_key(l, VCARD_AP_JPKI, 0x001A, VCARD_PIN_SIGN, k) ||
       !add_pin_ef(l, VCARD_AP_JPKI, 0x001B, VCARD_PIN_SIGN))
      goto out;
  }
  if(sign_ca_rel &&
     !load_cert(l, g, "sign_ca_cert", sign_ca_rel, 0x0002, 0, NULL))
    goto out;

  if(label) {
    uint8_t *info = NULL;
    size_t len = 0;
    if(!Vcard_build_token_info(label, &info, &len, l->err, l->err_len) ||
       !add_binary(l, VCARD_AP_JPKI, 0x0006, info, len, 0))
      goto out;
  }
  if(availability) {
    uint8_t *a = g_malloc(3);
    Vcard_build_availability(has_sign, a);
    if(!add_binary(l, VCARD_AP_JPKI, 0x0008, a, 3, 0))
      goto out;
  }
  l->card->has_ap[VCARD_AP_JPKI] = true;
  *auth_key_out = auth_key;
  auth_key = NULL;
  ok = true;
out:
  X509_free(auth_cert);
  X509_free(sign_cert);
  EVP_PKEY_free(auth_key);
  EVP_PKEY_free(sign_key);
  g_free(auth_cert_rel);
  g_free(auth_key_rel);
  g_free(auth_ca_rel);
  g_free(sign_cert_rel);
  g_free(sign_key_rel);
  g_free(sign_ca_rel);
  free_secret_string(auth_pin);
  free_secret_string(sign_pw);
  return ok;
}

typedef struct text_values {
  char *my_number;
  char *name;
  char *address;
  char *birth;
  char *sex;
} text_values;

static void text_values_free(text_values *t)
{
  free_secret_string(t->my_number);
  free_secret_string(t->name);
  free_secret_string(t->address);
  free_secret_string(t->birth);
  free_secret_string(t->sex);
}

static bool load_text(loader *l, text_values *t)
{
  const char *g = "text";
  if(!g_key_file_has_group(l->kf, g))
    return true;
  char *pin = require_value(l, g, "pin");
  int tries = 0;
  bool ok = false;
  if(!pin || !get_tries(l, g, "pin_tries", Vcard_max_tries[VCARD_PIN_TEXT],
                        &tries) ||
     !set_pin(l, VCARD_PIN_TEXT, g, "pin", pin, tries) ||
     !(t->my_number = require_value(l, g, "my_number")) ||
     !(t->name = require_value(l, g, "name")) ||
     !(t->address = require_value(l, g, "address")) ||
     !(t->birth = require_value(l, g, "birth")) ||
     !(t->sex = require_value(l, g, "sex")))
    goto out;
  if(!Vcard_pin_rule_ok(VCARD_PIN_FACE_A, (const uint8_t *)t->my_number,
                        strlen(t->my_number))) {
    fail(l, "[text] my_number is not 12 digits with a valid check digit");
    goto out;
  }
  if(!g_utf8_validate(t->name, -1, NULL) ||
     !g_utf8_validate(t->address, -1, NULL)) {
    fail(l, "[text] name and address must be UTF-8");
    goto out;
  }
  if(!valid_date(t->birth)) {
    fail(l, "[text] birth=%s is not a date YYYYMMDD", t->birth);
    goto out;
  }
  if(strlen(t->sex) != 1 || !strchr("0129", t->sex[0])) {
    fail(l, "[text] sex must be 1, 2, 9 or 0");
    goto out;
  }

  uint8_t *data = NULL;
  size_t len = 0;
  Vcard_build_my_number(t->my_number, &data, &len);
  if(!add_binary(l, VCARD_AP_TEXT, 0x0001, data, len, 1u << VCARD_PIN_TEXT))
    goto out;
  vcard_text_info info = { t->name, t->address, t->birth, t->sex };
  if(!Vcard_build_basic_info(&info, &data, &len, l->err, l->err_len) ||
     !add_binary(l, VCARD_AP_TEXT, 0x0002, data, len, 1u << VCARD_PIN_TEXT) ||
     !add_pin_ef(l, VCARD_AP_TEXT, 0x0011, VCARD_PIN_TEXT))
    goto out;
  l->card->has_ap[VCARD_AP_TEXT] = true;
  ok = true;
out:
  free_secret_string(pin);
  return ok;
}

static bool read_optional_image(loader *l, const char *key, uint8_t **data,
                                size_t *len)
{
  g_autofree char *rel = get_value(l, "face", key);
  *data = NULL;
  *len = 0;
  if(!rel)
    return true;
  return read_named_file(l, "face", key, rel, data, len);
}

static bool load_face(loader *l, const text_values *t, EVP_PKEY *auth_key)
{
  const char *g = "face";
  if(!g_key_file_has_group(l->kf, g))
    return true;
  if(!l->card->has_ap[VCARD_AP_TEXT])
    return fail(l, "[face] needs [text]: birth, sex and the My Number "
                "(照合番号A) come from there");
  bool ok = false;
  char *b = require_value(l, g, "verification_b");
  char *expiry = get_value(l, g, "expiry");
  int b_tries = 0, a_tries = 0;
  uint8_t *name_img = NULL, *addr_img = NULL, *photo = NULL, *code_img = NULL;
  size_t name_len = 0, addr_len = 0, photo_len = 0, code_len = 0;

  if(!b || !get_tries(l, g, "verification_b_tries",
                      Vcard_max_tries[VCARD_PIN_FACE_B], &b_tries) ||
     !get_tries(l, g, "verification_a_tries",
                Vcard_max_tries[VCARD_PIN_FACE_A], &a_tries) ||
     !set_pin(l, VCARD_PIN_FACE_B, g, "verification_b", b, b_tries) ||
     !set_pin(l, VCARD_PIN_FACE_A, "text", "my_number", t->my_number,
              a_tries))
    goto out;
  if(expiry && !valid_date(expiry)) {
    fail(l, "[face] expiry=%s is not a date YYYYMMDD", expiry);
    goto out;
  }
  if(!read_optional_image(l, "name_image", &name_img, &name_len) ||
     !read_optional_image(l, "address_image", &addr_img, &addr_len) ||
     !read_optional_image(l, "photo", &photo, &photo_len) ||
     !read_optional_image(l, "code_image", &code_img, &code_len))
    goto out;

  vcard_face_info info = {
    .birth = t->birth, .sex = t->sex, .auth_key = auth_key,
    .name_image = name_img, .name_image_len = name_len,
    .address_image = addr_img, .address_image_len = addr_len,
    .photo = photo, .photo_len = photo_len,
    .expiry = expiry,
    .code_image = code_img, .code_image_len = code_len,
  };
  uint8_t *data = NULL;
  size_t len = 0;
  if(!Vcard_build_face(&info, &data, &len, l->err, l->err_len) ||
     !add_binary(l, VCARD_AP_FACE, 0x0002, data, len,
                 1u << VCARD_PIN_FACE_B | 1u << VCARD_PIN_FACE_A) ||
     !add_pin_ef(l, VCARD_AP_FACE, 0x0012, VCARD_PIN_FACE_B) ||
     !add_pin_ef(l, VCARD_AP_FACE, 0x0013, VCARD_PIN_FACE_A))
    goto out;
  l->card->has_ap[VCARD_AP_FACE] = true;
  ok = true;
out:
  free_secret_string(b);
  g_free(expiry);
  Vcard_free_wiped(name_img, name_len);
  Vcard_free_wiped(addr_img, addr_len);
  Vcard_free_wiped(photo, photo_len);
  Vcard_free_wiped(code_img, code_len);
  return ok;
}

/* Names of the counters and reference data in the state file. */
static const char *const state_tries_key[VCARD_PIN_COUNT] = {
  "auth_tries", "sign_tries", "text_tries", "face_b_tries", "face_a_tries"
};
/* 照合番号A is the My Number and never changes, so it is not kept. */
static const char *const state_value_key[VCARD_PIN_COUNT] = {
  "auth_pin", "sign_password", "text_pin", "verification_b", NULL
};

static bool load_state(loader *l)
{
  myna_vcard *card = l->card;
  if(!card->state_path || !g_file_test(card->state_path, G_FILE_TEST_EXISTS))
    return true;
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if(!g_key_file_load_from_file(kf, card->state_path, G_KEY_FILE_NONE, &error))
    return fail(l, "state file %s: %s", card->state_path, error->message);
  for(int id = 0; id < VCARD_PIN_COUNT; id++) {
    vcard_pin *p = &card->pins[id];
    if(!p->present)
      continue;
    g_autofree char *t = g_key_file_get_string(kf, "state",
                                               state_tries_key[id], NULL);
    if(t) {
      gint64 n = 0;
      g_strstrip(t);
      if(!g_ascii_string_to_signed(t, 10, 0, Vcard_max_tries[id], &n, NULL))
        return fail(l, "state file %s: %s=%s is not in 0..%d",
                    card->state_path, state_tries_key[id], t,
                    Vcard_max_tries[id]);
      p->tries = (int)n;
    }
    if(!state_value_key[id])
      continue;
    char *v = g_key_file_get_string(kf, "state", state_value_key[id], NULL);
    if(!v)
      continue;
    size_t n = strlen(v);
    bool ok = Vcard_pin_rule_ok((vcard_pin_id)id, (const uint8_t *)v, n);
    if(ok) {
      OPENSSL_cleanse(p->value, sizeof(p->value));
      memcpy(p->value, v, n);
      p->len = n;
    }
    free_secret_string(v);
    if(!ok)
      return fail(l, "state file %s: %s does not follow the card's rule (%s)",
                  card->state_path, state_value_key[id],
                  pin_rule_text((vcard_pin_id)id));
  }
  return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
  while(n) {
    ssize_t w = write(fd, p, n);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

bool Vcard_save_state(const myna_vcard *card)
{
  if(!card->state_path)
    return true;
  GString *s = g_string_new("[state]\n");
  for(int id = 0; id < VCARD_PIN_COUNT; id++)
    if(card->pins[id].present)
      g_string_append_printf(s, "%s=%d\n", state_tries_key[id],
                             card->pins[id].tries);
  for(int id = 0; id < VCARD_PIN_COUNT; id++) {
    const vcard_pin *p = &card->pins[id];
    if(!p->present || !state_value_key[id])
      continue;
    g_string_append_printf(s, "%s=", state_value_key[id]);
    g_string_append_len(s, (const char *)p->value, (gssize)p->len);
    g_string_append_c(s, '\n');
  }

  /* write, fsync, rename: a reader sees the old or the new file, never a
   * torn one, as a card's counter survives a power loss */
  g_autofree char *tmp = g_strconcat(card->state_path, ".XXXXXX", NULL);
  bool ok = false;
  int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
  if(fd >= 0) {
    ok = write_all(fd, s->str, s->len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && g_rename(tmp, card->state_path) == 0;
    if(!ok)
      g_unlink(tmp);
  }
  OPENSSL_cleanse(s->str, s->len);
  g_string_free(s, TRUE);
  return ok;
}

vcard_ef *Vcard_add_ef(myna_vcard *card, vcard_ap ap, uint16_t fid,
                       vcard_ef_kind kind)
{
  if(card->n_efs >= VCARD_MAX_EFS)
    return NULL;
  vcard_ef *ef = &card->efs[card->n_efs++];
  memset(ef, 0, sizeof(*ef));
  ef->ap = ap;
  ef->fid = fid;
  ef->kind = kind;
  return ef;
}

myna_vcard *myna_vcard_load(const char *path, char *err, size_t err_len)
{
  if(err && err_len)
    err[0] = '\0';
  loader l = { .err = err, .err_len = err_len };
  if(!path || !*path) {
    fail(&l, "no profile path given");
    return NULL;
  }
  /* A profile is a folder; its profile.ini may be named directly. */
  g_autofree char *ini = g_file_test(path, G_FILE_TEST_IS_DIR) ?
    g_build_filename(path, "profile.ini", NULL) : g_strdup(path);
  l.dir = g_path_get_dirname(ini);
  l.kf = g_key_file_new();
  l.card = g_new0(myna_vcard, 1);
  l.card->ef = -1;
  l.card->present = true;

  bool ok = false, availability = false;
  char *label = NULL;
  EVP_PKEY *auth_key = NULL;
  text_values text = { 0 };
  g_autoptr(GError) error = NULL;
  if(!g_key_file_load_from_file(l.kf, ini, G_KEY_FILE_NONE, &error)) {
    fail(&l, "cannot read profile %s: %s", ini, error->message);
    goto out;
  }
  if(!load_card_group(&l, &availability, &label) ||
     !load_jpki(&l, availability, label, &auth_key) ||
     !load_text(&l, &text) || !load_face(&l, &text, auth_key) ||
     !load_state(&l))
    goto out;
  l.card->folder_name = g_path_get_basename(l.dir);
  ok = true;
out:
  text_values_free(&text);
  EVP_PKEY_free(auth_key);
  g_free(label);
  g_key_file_free(l.kf);
  g_free(l.dir);
  if(!ok) {
    myna_vcard_free(l.card);
    return NULL;
  }
  return l.card;
}

void myna_vcard_free(myna_vcard *card)
{
  if(!card)
    return;
  for(size_t i = 0; i < card->n_efs; i++) {
    Vcard_free_wiped(card->efs[i].data, card->efs[i].len);
    EVP_PKEY_free(card->efs[i].key);
  }
  g_free(card->folder_name);
  g_free(card->state_path);
  /* PINs, verified state and any response still held for GET RESPONSE */
  OPENSSL_cleanse(card, sizeof(*card));
  g_free(card);
}
