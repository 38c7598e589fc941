/* files.c - the content of the EFs the software card builds from its
 * profile: token info, certificate availability, the My Number, 基本4情報
 * and the card surface record.
 *
 * Layouts that no public source fixes are chosen here and are the card's own:
 * - EF 0001 of the text AP is `FF 10 0C` + 12 ASCII digits + `FF FF` (17
 *   bytes; readers take bytes 3..14, the filler only rounds the record).
 * - The DF21 offset table of both FF20 records holds, for each following
 *   item in tag order (DF22, DF23, ...), the big-endian 16-bit offset of its
 *   TLV from the first byte of the FF20 value; FFFF marks an item the card
 *   does not carry.
 * - DF28 of the card surface is an RSA PKCS#1 v1.5 SHA-256 signature by the
 *   JPKI auth key over the concatenated values (no tags or lengths) of the
 *   items DF22..DF27 that are present, in tag order; DF24 is the DER
 *   SubjectPublicKeyInfo of that same key, so the record verifies against
 *   itself.
 */
#include "vcard_internal.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#define TOKEN_INFO_SIZE 160
#define TOKEN_LABEL_SIZE 32

void Vcard_free_wiped(void *p, size_t n)
{
  if(!p)
    return;
  OPENSSL_cleanse(p, n);
  g_free(p);
}

/* Personal data passes through these arrays: wipe before freeing. */
static void bytes_free(GByteArray *b)
{
  if(!b)
    return;
  OPENSSL_cleanse(b->data, b->len);
  g_byte_array_free(b, TRUE);
}

static uint8_t *bytes_steal(GByteArray *b, size_t *len)
{
  *len = b->len;
  return g_byte_array_free(b, FALSE);
}

static void ber_put_len(GByteArray *b, size_t len)
{
  uint8_t h[5];
  size_t n = 0;
  if(len < 0x80)
    h[n++] = (uint8_t)len;
  else if(len <= 0xFF) {
    h[n++] = 0x81;
    h[n++] = (uint8_t)len;
  }
  else if(len <= 0xFFFF) {
    h[n++] = 0x82;
    h[n++] = (uint8_t)(len >> 8);
    h[n++] = (uint8_t)len;
  }
  else {
    h[n++] = 0x83;
    h[n++] = (uint8_t)(len >> 16);
    h[n++] = (uint8_t)(len >> 8);
    h[n++] = (uint8_t)len;
  }
  g_byte_array_append(b, h, (guint)n);
}

/* All tags of these records are two bytes (FF10, FF20, DF21..DF2A). */
static void ber_put_tlv(GByteArray *b, uint16_t tag, const void *v, size_t len)
{
  uint8_t t[2] = { (uint8_t)(tag >> 8), (uint8_t)tag };
  g_byte_array_append(b, t, 2);
  ber_put_len(b, len);
  if(len)
    g_byte_array_append(b, v, (guint)len);
}

bool Vcard_build_token_info(const char *label, uint8_t **out, size_t *len,
                            char *err, size_t err_len)
{
  size_t n = strlen(label);
  if(n > TOKEN_LABEL_SIZE) {
    snprintf(err, err_len, "[card] token_label is %zu bytes; EF 0006 holds "
             "at most %d", n, TOKEN_LABEL_SIZE);
    return false;
  }
  /* label, spaces up to 32 bytes, zeros up to 160 */
  uint8_t *p = g_malloc0(TOKEN_INFO_SIZE);
  memset(p, ' ', TOKEN_LABEL_SIZE);
  memcpy(p, label, n);
  *out = p;
  *len = TOKEN_INFO_SIZE;
  return true;
}

void Vcard_build_availability(bool sign_present, uint8_t out[3])
{
  out[0] = 0x8F;
  out[1] = sign_present ? 0x8F : 0x00;
  out[2] = 0x00;
}

void Vcard_build_my_number(const char *my_number, uint8_t **out, size_t *len)
{
  static const uint8_t filler[2] = { 0xFF, 0xFF };
  GByteArray *b = g_byte_array_sized_new(17);
  ber_put_tlv(b, 0xFF10, my_number, strlen(my_number));
  g_byte_array_append(b, filler, sizeof(filler));
  *out = bytes_steal(b, len);
}

typedef struct record_item {
  uint16_t tag;
  const void *value;  /* NULL: absent */
  size_t len;
} record_item;

/* FF20 { DF21 offsets, items... } with the offset table described above. */
static bool build_record(const record_item *items, size_t n, uint8_t **out,
                         size_t *len, char *err, size_t err_len)
{
  size_t table_len = 2 * n;
  GByteArray *body = g_byte_array_new();
  GByteArray *table = g_byte_array_sized_new((guint)table_len);
  /* DF21 comes first; with fewer than 64 items its length is one byte */
  size_t base = 3 + table_len;
  for(size_t i = 0; i < n; i++) {
    size_t off = base + body->len;
    uint8_t o[2] = { 0xFF, 0xFF };
    if(items[i].value) {
      o[0] = (uint8_t)(off >> 8);
      o[1] = (uint8_t)off;
      ber_put_tlv(body, items[i].tag, items[i].value, items[i].len);
    }
    g_byte_array_append(table, o, 2);
  }
  size_t content = base + body->len;
  if(content > VCARD_EF_MAX - 4) {
    snprintf(err, err_len, "record of %zu bytes does not fit an EF of the "
             "card (at most %u)", content + 4, VCARD_EF_MAX);
    bytes_free(body);
    bytes_free(table);
    return false;
  }
  GByteArray *rec = g_byte_array_sized_new((guint)(content + 4));
  uint8_t t[2] = { 0xFF, 0x20 };
  g_byte_array_append(rec, t, 2);
  ber_put_len(rec, content);
  ber_put_tlv(rec, 0xDF21, table->data, table->len);
  g_byte_array_append(rec, body->data, body->len);
  bytes_free(body);
  bytes_free(table);
  *out = bytes_steal(rec, len);
  return true;
}

bool Vcard_build_basic_info(const vcard_text_info *info, uint8_t **out,
                            size_t *len, char *err, size_t err_len)
{
  record_item items[] = {
    { 0xDF22, info->name, strlen(info->name) },
    { 0xDF23, info->address, strlen(info->address) },
    { 0xDF24, info->birth, strlen(info->birth) },
    { 0xDF25, info->sex, strlen(info->sex) },
  };
  return build_record(items, G_N_ELEMENTS(items), out, len, err, err_len);
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

static bool sign_sha256(EVP_PKEY *key, const uint8_t *data, size_t len,
                        uint8_t **sig, size_t *sig_len, char *err,
                        size_t err_len)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = false;
  size_t n = 0;
  *sig = NULL;
  /* no padding set: RSA keys default to PKCS#1 v1.5 */
  if(!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
     EVP_DigestSign(md, NULL, &n, data, len) != 1)
    goto out;
  *sig = g_malloc(n);
  if(EVP_DigestSign(md, *sig, &n, data, len) != 1)
    goto out;
  *sig_len = n;
  ok = true;
out:
  if(!ok) {
    char why[160];
    ssl_reason(why, sizeof(why));
    snprintf(err, err_len, "cannot sign the card surface record: %s", why);
    g_free(*sig);
    *sig = NULL;
  }
  EVP_MD_CTX_free(md);
  return ok;
}

bool Vcard_build_face(const vcard_face_info *info, uint8_t **out, size_t *len,
                      char *err, size_t err_len)
{
  uint8_t *spki = NULL;
  int spki_len = i2d_PUBKEY(info->auth_key, &spki);
  if(spki_len <= 0) {
    char why[160];
    ssl_reason(why, sizeof(why));
    snprintf(err, err_len, "cannot encode the auth public key: %s", why);
    return false;
  }
  record_item items[] = {
    { 0xDF22, info->birth, info->birth ? strlen(info->birth) : 0 },
    { 0xDF23, info->sex, info->sex ? strlen(info->sex) : 0 },
    { 0xDF24, spki, (size_t)spki_len },
    { 0xDF25, info->name_image, info->name_image_len },
    { 0xDF26, info->address_image, info->address_image_len },
    { 0xDF27, info->photo, info->photo_len },
    { 0xDF28, NULL, 0 },  /* the signature, filled in below */
    { 0xDF29, info->expiry, info->expiry ? strlen(info->expiry) : 0 },
    { 0xDF2A, info->code_image, info->code_image_len },
  };
  GByteArray *signed_data = g_byte_array_new();
  for(size_t i = 0; items[i].tag != 0xDF28; i++)
    if(items[i].value)
      g_byte_array_append(signed_data, items[i].value, (guint)items[i].len);
  uint8_t *sig = NULL;
  size_t sig_len = 0;
  bool ok = sign_sha256(info->auth_key, signed_data->data, signed_data->len,
                        &sig, &sig_len, err, err_len);
  bytes_free(signed_data);
  if(ok) {
    items[6].value = sig;
    items[6].len = sig_len;
    ok = build_record(items, G_N_ELEMENTS(items), out, len, err, err_len);
  }
  g_free(sig);
  OPENSSL_free(spki);
  return ok;
}
