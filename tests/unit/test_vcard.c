/* test_vcard.c - the software My Number Card, APDU by APDU: what each
 * application answers, retry counters and blocking, security state, real
 * signatures, the reader-path quirks, removal, the state file, profile
 * errors and malformed commands. The card is driven with raw bytes through
 * myna_vcard_process; nothing of libmynacard's APDU layer is involved. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

#define SEL_JPKI "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
#define SEL_TEXT "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"
#define SEL_FACE "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02"
#define SEL_EF(fid) "00 A4 02 0C 02 " fid
#define READ_ALL "00 B0 00 00 00 00 00"
#define PIN_STATUS "00 20 00 80"

/* SHA-256 DigestInfo prefix (19 bytes) + 32 hash bytes. */
#define DIGESTINFO_SHA256 \
  "30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20"

/* ---- sending APDUs ------------------------------------------------------- */

static uint8_t rbuf[MYNA_APDU_MAX_RESPONSE];
static size_t rlen;

static uint16_t send_raw(myna_vcard *card, const uint8_t *cmd, size_t n)
{
  rlen = myna_vcard_process(card, cmd, n, rbuf, sizeof(rbuf));
  g_assert_cmpuint(rlen, >=, 2);
  g_assert_cmpuint(rlen, <=, sizeof(rbuf));
  return (uint16_t)(rbuf[rlen - 2] << 8 | rbuf[rlen - 1]);
}

static uint16_t xfer(myna_vcard *card, const char *hex)
{
  static uint8_t cmd[MYNA_APDU_MAX_COMMAND];
  size_t n = myna_test_unhex(hex, cmd, sizeof(cmd));
  return send_raw(card, cmd, n);
}

static size_t data_len(void)
{
  return rlen - 2;
}

#define assert_sw(card, hex, want) \
  g_assert_cmphex(xfer((card), (hex)), ==, (want))

/* VERIFY with an ASCII value. */
static uint16_t verify(myna_vcard *card, const char *value)
{
  g_autofree char *hex = myna_test_hex((const uint8_t *)value, strlen(value));
  g_autofree char *cmd = g_strdup_printf("00 20 00 80 %02zX %s", strlen(value),
                                         hex);
  return xfer(card, cmd);
}

static uint16_t change(myna_vcard *card, const char *value)
{
  g_autofree char *hex = myna_test_hex((const uint8_t *)value, strlen(value));
  g_autofree char *cmd = g_strdup_printf("00 24 01 80 %02zX %s", strlen(value),
                                         hex);
  return xfer(card, cmd);
}

static void unlock_jpki(myna_vcard *card, const char *pin_ef, const char *pin)
{
  g_autofree char *sel = g_strdup_printf("00 A4 02 0C 02 %s", pin_ef);
  assert_sw(card, sel, 0x9000);
  g_assert_cmphex(verify(card, pin), ==, 0x9000);
}

/* ---- the profile's own files --------------------------------------------- */

static GBytes *profile_file(myna_vcard *card, const char *group,
                            const char *key)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(card),
                                          "profile.ini", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &error));
  g_autofree char *rel = g_key_file_get_string(kf, group, key, &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(myna_test_vcard_dir(card), rel,
                                           NULL);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  return g_bytes_new_take(data, len);
}

static char *profile_value(myna_vcard *card, const char *group,
                           const char *key)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(card),
                                          "profile.ini", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, NULL));
  char *v = g_key_file_get_string(kf, group, key, NULL);
  g_assert_nonnull(v);
  return v;
}

/* Set (value) or remove (NULL) a key of the copied profile. */
static void profile_edit(myna_vcard *card, const char *group, const char *key,
                         const char *value)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(card),
                                          "profile.ini", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_KEEP_COMMENTS,
                                          &error));
  if(value)
    g_key_file_set_string(kf, group, key, value);
  else
    g_key_file_remove_key(kf, group, key, NULL);
  g_assert_true(g_key_file_save_to_file(kf, ini, &error));
  g_assert_no_error(error);
}

static myna_vcard *reload(myna_vcard *card, char *err, size_t err_len)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(card),
                                          "profile.ini", NULL);
  return myna_vcard_load(ini, err, err_len);
}

static EVP_PKEY *cert_key(GBytes *der)
{
  gsize n = 0;
  const unsigned char *p = g_bytes_get_data(der, &n);
  X509 *x = d2i_X509(NULL, &p, (long)n);
  g_assert_nonnull(x);
  EVP_PKEY *k = X509_get_pubkey(x);
  X509_free(x);
  g_assert_nonnull(k);
  return k;
}

/* Read the whole selected EF with one extended READ BINARY. */
static GBytes *read_all(myna_vcard *card)
{
  g_assert_cmphex(xfer(card, READ_ALL), ==, 0x9000);
  return g_bytes_new(rbuf, data_len());
}

static void assert_bytes_equal(GBytes *got, GBytes *want)
{
  g_assert_cmpuint(g_bytes_get_size(got), ==, g_bytes_get_size(want));
  g_assert_true(g_bytes_equal(got, want));
}

/* ---- a small BER walker, independent of libmynacard's -------------------- */

typedef struct tlv {
  unsigned tag;
  size_t len;
  const uint8_t *value;
  size_t total;  /* header + value */
  size_t len_bytes;  /* bytes of the length field */
} tlv;

static tlv tlv_at(const uint8_t *p, size_t n)
{
  tlv t = { 0 };
  g_assert_cmpuint(n, >=, 3);
  t.tag = (unsigned)(p[0] << 8 | p[1]);
  size_t i = 2;
  if(p[i] < 0x80) {
    t.len = p[i++];
    t.len_bytes = 1;
  }
  else {
    size_t k = p[i++] & 0x7F;
    g_assert_cmpuint(k, >=, 1);
    g_assert_cmpuint(k, <=, 3);
    g_assert_cmpuint(i + k, <=, n);
    for(size_t j = 0; j < k; j++)
      t.len = t.len << 8 | p[i++];
    /* shortest form, as DER and the card use */
    g_assert_cmpuint(t.len, >=, k == 1 ? 0x80u : 1u << (8 * (k - 1)));
    t.len_bytes = 1 + k;
  }
  g_assert_cmpuint(i + t.len, <=, n);
  t.value = p + i;
  t.total = i + t.len;
  return t;
}

/* Children of an FF20 record, checked against the DF21 offset table. */
static size_t record_children(const uint8_t *p, size_t n, tlv *out,
                              size_t cap)
{
  tlv rec = tlv_at(p, n);
  g_assert_cmphex(rec.tag, ==, 0xFF20);
  g_assert_cmpuint(rec.total, ==, n);
  size_t k = 0;
  for(size_t off = 0; off < rec.len; k++) {
    g_assert_cmpuint(k, <, cap);
    out[k] = tlv_at(rec.value + off, rec.len - off);
    off += out[k].total;
  }
  g_assert_cmphex(out[0].tag, ==, 0xDF21);
  /* offsets of each following item from the start of the FF20 value */
  g_assert_cmpuint(out[0].len, ==, 2 * (k - 1));
  for(size_t i = 1; i < k; i++) {
    size_t off = (size_t)out[0].value[2 * (i - 1)] << 8 |
                 out[0].value[2 * (i - 1) + 1];
    g_assert_true(rec.value + off == out[i].value - (out[i].total -
                                                     out[i].len));
  }
  return k;
}

static const tlv *child(const tlv *c, size_t n, unsigned tag)
{
  for(size_t i = 0; i < n; i++)
    if(c[i].tag == tag)
      return &c[i];
  g_error("tag %04X missing", tag);
  return NULL;
}

static void assert_value_str(const tlv *t, const char *want)
{
  g_assert_cmpuint(t->len, ==, strlen(want));
  g_assert_cmpmem(t->value, t->len, want, strlen(want));
}

/* ---- selection ----------------------------------------------------------- */

static void test_select_applications_without_fci(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  g_assert_cmpuint(data_len(), ==, 0);
  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_FACE, 0x9000);
  /* an unknown AID, a truncated AID, an AID with one byte changed */
  assert_sw(card, "00 A4 04 0C 05 A0 00 00 00 03", 0x6A82);
  assert_sw(card, "00 A4 04 0C 09 D3 92 F0 00 26 01 00 00 00", 0x6A82);
  assert_sw(card, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 02", 0x6A82);
  /* only P2 = 0C (no FCI) is offered; P1 other than 02 and 04 neither */
  assert_sw(card, "00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01", 0x6A86);
  assert_sw(card, "00 A4 00 0C 02 3F 00", 0x6A86);
  assert_sw(card, "00 A4 04 0C", 0x6700);
  myna_test_vcard_free(card);
}

static void test_select_ef_rules(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  /* no AP selected yet */
  assert_sw(card, SEL_EF("00 0A"), 0x6A82);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  g_assert_cmpuint(data_len(), ==, 0);
  assert_sw(card, SEL_EF("12 34"), 0x6A82);
  /* EFs belong to their AP: 0011 is the text AP's PIN */
  assert_sw(card, SEL_EF("00 11"), 0x6A82);
  assert_sw(card, "00 A4 02 0C 01 0A", 0x6700);
  assert_sw(card, "00 A4 02 0C 03 00 0A 00", 0x6700);
  assert_sw(card, "00 A4 02 04 02 00 0A", 0x6A86);
  /* a failed SELECT EF leaves the current EF selected */
  assert_sw(card, "00 B0 00 00 04", 0x9000);
  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x6A82);
  assert_sw(card, SEL_EF("00 11"), 0x9000);
  myna_test_vcard_free(card);
}

/* ---- JPKI AP files ------------------------------------------------------- */

static void test_jpki_free_certificates_read_whole(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  static const struct {
    const char *fid;
    const char *key;
  } files[] = {
    { "00 0A", "auth_cert" },
    { "00 0B", "auth_ca_cert" },
    { "00 02", "sign_ca_cert" },
  };
  assert_sw(card, SEL_JPKI, 0x9000);
  for(size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *sel = g_strdup_printf("00 A4 02 0C 02 %s", files[i].fid);
    assert_sw(card, sel, 0x9000);
    g_autoptr(GBytes) got = read_all(card);
    g_autoptr(GBytes) want = profile_file(card, "jpki", files[i].key);
    assert_bytes_equal(got, want);
  }
  myna_test_vcard_free(card);
}

static void test_jpki_read_in_short_chunks_and_past_end(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autoptr(GBytes) want = profile_file(card, "jpki", "auth_cert");
  size_t size = g_bytes_get_size(want);
  g_assert_cmpuint(size, >, 512);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);

  GByteArray *got = g_byte_array_new();
  for(size_t off = 0; off < size; off += 256) {
    g_autofree char *cmd = g_strdup_printf("00 B0 %02zX %02zX 00", off >> 8,
                                           off & 0xFF);
    assert_sw(card, cmd, 0x9000);
    /* min(Le, what is left) */
    g_assert_cmpuint(data_len(), ==, MIN(256, size - off));
    g_byte_array_append(got, rbuf, (guint)data_len());
  }
  g_assert_cmpmem(got->data, got->len, g_bytes_get_data(want, NULL), size);
  g_byte_array_free(got, TRUE);

  /* a short Le below 256 */
  assert_sw(card, "00 B0 00 01 03", 0x9000);
  g_assert_cmpuint(data_len(), ==, 3);
  g_assert_cmpmem(rbuf, 3, (const uint8_t *)g_bytes_get_data(want, NULL) + 1,
                  3);
  /* an extended Le from an offset, larger than the rest */
  assert_sw(card, "00 B0 01 00 00 FF FF", 0x9000);
  g_assert_cmpuint(data_len(), ==, size - 256);
  /* the last byte, then offsets at and past the end */
  g_autofree char *last = g_strdup_printf("00 B0 %02zX %02zX 00",
                                          (size - 1) >> 8, (size - 1) & 0xFF);
  assert_sw(card, last, 0x9000);
  g_assert_cmpuint(data_len(), ==, 1);
  g_autofree char *end = g_strdup_printf("00 B0 %02zX %02zX 00", size >> 8,
                                         size & 0xFF);
  assert_sw(card, end, 0x6B00);
  assert_sw(card, "00 B0 7F FF 00", 0x6B00);
  myna_test_vcard_free(card);
}

static void test_read_binary_refusals(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  /* nothing selected */
  assert_sw(card, "00 B0 00 00 00", 0x6986);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6986);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  /* the short EF identifier form is not offered */
  assert_sw(card, "00 B0 8A 00 00", 0x6A86);
  /* no Le, or command data */
  assert_sw(card, "00 B0 00 00", 0x6700);
  assert_sw(card, "00 B0 00 00 01 00", 0x6700);
  assert_sw(card, "00 B0 00 00 01 00 00", 0x6700);
  /* keys and PINs are never readable, even after VERIFY */
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6981);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6981);
  unlock_jpki(card, "00 1B", "SIGN2026");
  assert_sw(card, SEL_EF("00 1A"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6981);
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6981);
  myna_test_vcard_free(card);
}

static void test_jpki_token_info_and_availability(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 06"), 0x9000);
  g_autoptr(GBytes) info = read_all(card);
  gsize n = 0;
  const uint8_t *p = g_bytes_get_data(info, &n);
  g_assert_cmpuint(n, ==, 160);
  uint8_t want[160] = { 0 };
  memset(want, ' ', 32);
  memcpy(want, "JPKIAPICCTOKEN2", 15);
  g_assert_cmpmem(p, n, want, sizeof(want));

  assert_sw(card, SEL_EF("00 08"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), "\x8F\x8F\x00", 3);
  myna_test_vcard_free(card);

  card = myna_test_vcard_new("child", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 08"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), "\x8F\x00\x00", 3);
  myna_test_vcard_free(card);
}

static void test_minimal_card_has_no_token_info_or_availability(void)
{
  myna_vcard *card = myna_test_vcard_new("minimal", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 06"), 0x6A82);
  assert_sw(card, SEL_EF("00 08"), 0x6A82);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  myna_test_vcard_free(card);
}

static void test_child_card_has_no_sign_certificate_or_key(void)
{
  myna_vcard *card = myna_test_vcard_new("child", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 01"), 0x6A82);
  assert_sw(card, SEL_EF("00 1A"), 0x6A82);
  assert_sw(card, SEL_EF("00 1B"), 0x6A82);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  g_assert_cmpint(myna_vcard_tries(card, "sign"), ==, -1);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 3);
  myna_test_vcard_free(card);
}

static void test_sign_certificate_needs_sign_password(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);
  g_assert_cmpuint(data_len(), ==, 0);
  /* the auth PIN does not open it */
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);

  unlock_jpki(card, "00 1B", "SIGN2026");
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  g_autoptr(GBytes) got = read_all(card);
  g_autoptr(GBytes) want = profile_file(card, "jpki", "sign_cert");
  assert_bytes_equal(got, want);

  /* re-selecting the AP logs out */
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);
  myna_test_vcard_free(card);
}

/* ---- VERIFY and the counters --------------------------------------------- */

static void test_retry_counter_answers_when_verified(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63C3);
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);
  /* still 63Cx, not 9000, and no try spent by asking */
  assert_sw(card, PIN_STATUS, 0x63C3);
  assert_sw(card, PIN_STATUS, 0x63C3);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 3);
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63C5);
  myna_test_vcard_free(card);
}

static void test_wrong_pin_decrements_exactly_once(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  g_assert_cmphex(verify(card, "9999"), ==, 0x63C2);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 2);
  assert_sw(card, PIN_STATUS, 0x63C2);
  /* a value of another length is just as wrong */
  g_assert_cmphex(verify(card, "12345"), ==, 0x63C1);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 1);
  /* the right PIN restores the counter */
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 3);
  assert_sw(card, PIN_STATUS, 0x63C3);
  /* the sign password is compared byte for byte: lower case is wrong */
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  g_assert_cmphex(verify(card, "sign2026"), ==, 0x63C4);
  g_assert_cmpint(myna_vcard_tries(card, "sign"), ==, 4);
  myna_test_vcard_free(card);
}

static void test_wrong_pin_clears_verified_state(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  unlock_jpki(card, "00 18", "1234");
  g_assert_cmphex(verify(card, "0000"), ==, 0x63C2);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  myna_test_vcard_free(card);
}

static void test_last_try_blocks_then_6984(void)
{
  myna_vcard *card = myna_test_vcard_new("one-try", 0);
  g_autofree char *pin = profile_value(card, "jpki", "auth_pin");
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63C1);
  g_assert_cmphex(verify(card, "0000"), ==, 0x63C0);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 0);
  assert_sw(card, PIN_STATUS, 0x6984);
  /* blocked: the right PIN does not open it and spends nothing */
  g_assert_cmphex(verify(card, pin), ==, 0x6984);
  g_assert_cmphex(verify(card, "0000"), ==, 0x6984);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 0);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  myna_test_vcard_free(card);
}

static void test_blocked_profile_counters(void)
{
  myna_vcard *card = myna_test_vcard_new("blocked", 0);
  g_autofree char *pin = profile_value(card, "jpki", "auth_pin");
  g_autofree char *pw = profile_value(card, "jpki", "sign_password");
  g_autofree char *text_pin = profile_value(card, "text", "pin");
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x6984);
  g_assert_cmphex(verify(card, pin), ==, 0x6984);
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x6984);
  g_assert_cmphex(verify(card, pw), ==, 0x6984);
  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_EF("00 11"), 0x9000);
  g_assert_cmphex(verify(card, text_pin), ==, 0x6984);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 0);
  g_assert_cmpint(myna_vcard_tries(card, "sign"), ==, 0);
  g_assert_cmpint(myna_vcard_tries(card, "text"), ==, 0);
  g_assert_cmpint(myna_vcard_tries(card, "face-b"), ==, 10);
  g_assert_cmpint(myna_vcard_tries(card, "face-a"), ==, 10);
  g_assert_cmpint(myna_vcard_tries(card, "nonsense"), ==, -1);
  myna_test_vcard_free(card);
}

static void test_verify_needs_a_pin_ef(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, PIN_STATUS, 0x6986);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, PIN_STATUS, 0x6986);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  g_assert_cmphex(verify(card, "1234"), ==, 0x6986);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  g_assert_cmphex(verify(card, "1234"), ==, 0x6986);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, "00 20 00 81 04 31 32 33 34", 0x6A86);
  assert_sw(card, "00 20 01 80 04 31 32 33 34", 0x6A86);
  /* none of it cost a try */
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 3);
  myna_test_vcard_free(card);
}

/* ---- signatures ---------------------------------------------------------- */

static void assert_signature_verifies(GBytes *cert, const uint8_t *hash,
                                      const uint8_t *sig, size_t sig_len)
{
  EVP_PKEY *pub = cert_key(cert);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
  g_assert_nonnull(ctx);
  g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
  g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), ==, 1);
  g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), ==, 1);
  g_assert_cmpint(EVP_PKEY_verify(ctx, sig, sig_len, hash, 32), ==, 1);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pub);
}

static char *sign_command(const uint8_t hash[32], const char *le)
{
  g_autofree char *h = myna_test_hex(hash, 32);
  return g_strdup_printf("80 2A 00 80 33 " DIGESTINFO_SHA256 " %s %s", h, le);
}

static void test_sign_with_auth_and_sign_keys(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  uint8_t hash[32];
  gsize hl = sizeof(hash);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)"mynaterm", 8);
  g_checksum_get_digest(sum, hash, &hl);
  g_autofree char *cmd = sign_command(hash, "00");

  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, cmd, 0x6982);
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  g_autoptr(GBytes) auth = profile_file(card, "jpki", "auth_cert");
  /* one VERIFY, several signatures */
  for(int i = 0; i < 3; i++) {
    assert_sw(card, cmd, 0x9000);
    g_assert_cmpuint(data_len(), ==, 256);
    assert_signature_verifies(auth, hash, rbuf, data_len());
  }
  /* the auth PIN does not unlock the sign key */
  assert_sw(card, SEL_EF("00 1A"), 0x9000);
  assert_sw(card, cmd, 0x6982);
  unlock_jpki(card, "00 1B", "SIGN2026");
  assert_sw(card, SEL_EF("00 1A"), 0x9000);
  /* without Le, and with an extended Le */
  g_autofree char *no_le = sign_command(hash, "");
  assert_sw(card, no_le, 0x9000);
  g_assert_cmpuint(data_len(), ==, 256);
  g_autoptr(GBytes) sign = profile_file(card, "jpki", "sign_cert");
  assert_signature_verifies(sign, hash, rbuf, data_len());
  g_autofree char *h = myna_test_hex(hash, 32);
  g_autofree char *ext = g_strdup_printf("80 2A 00 80 00 00 33 "
                                         DIGESTINFO_SHA256 " %s 00 00", h);
  assert_sw(card, ext, 0x9000);
  assert_signature_verifies(sign, hash, rbuf, data_len());
  myna_test_vcard_free(card);
}

static void test_sign_pads_any_data_as_given(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  g_autoptr(GBytes) auth = profile_file(card, "jpki", "auth_cert");
  EVP_PKEY *pub = cert_key(auth);

  uint8_t data[246];
  for(size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 13 + 5);
  static const size_t sizes[] = { 1, 20, 245 };
  for(size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
    uint8_t cmd[5 + 245 + 1] = { 0x80, 0x2A, 0x00, 0x80, (uint8_t)sizes[k] };
    memcpy(cmd + 5, data, sizes[k]);
    cmd[5 + sizes[k]] = 0x00;
    g_assert_cmphex(send_raw(card, cmd, 6 + sizes[k]), ==, 0x9000);
    g_assert_cmpuint(data_len(), ==, 256);
    /* recover the padded input: it is the data, not a digest of it */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    g_assert_cmpint(EVP_PKEY_verify_recover_init(ctx), ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), ==,
                    1);
    uint8_t out[256];
    size_t out_len = sizeof(out);
    g_assert_cmpint(EVP_PKEY_verify_recover(ctx, out, &out_len, rbuf, 256),
                    ==, 1);
    g_assert_cmpmem(out, out_len, data, sizes[k]);
    EVP_PKEY_CTX_free(ctx);
  }
  EVP_PKEY_free(pub);

  /* 246 bytes, no data, a short Le below 256, bad P1/P2 */
  uint8_t big[5 + 246] = { 0x80, 0x2A, 0x00, 0x80, 246 };
  memcpy(big + 5, data, 246);
  g_assert_cmphex(send_raw(card, big, sizeof(big)), ==, 0x6700);
  assert_sw(card, "80 2A 00 80", 0x6700);
  assert_sw(card, "80 2A 00 80 00", 0x6700);
  assert_sw(card, "80 2A 00 80 03 01 02 03 80", 0x6700);
  assert_sw(card, "80 2A 00 97 03 01 02 03 00", 0x6A86);
  /* a file that is not a key */
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6986);
  myna_test_vcard_free(card);
}

static void test_selecting_an_ap_clears_security_state(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x9000);
  /* the same AP again: selection and verification are gone */
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6986);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  /* another AP and back */
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  /* an unknown AID changes nothing */
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "00 A4 04 0C 05 A0 00 00 00 03", 0x6A82);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x9000);
  /* power cycle */
  myna_vcard_reset(card);
  assert_sw(card, SEL_EF("00 17"), 0x6A82);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  myna_test_vcard_free(card);
}

/* ---- CHANGE REFERENCE DATA ----------------------------------------------- */

static void test_change_pin_after_verify_only(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  g_assert_cmphex(change(card, "5678"), ==, 0x6982);
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);
  /* the rule of the PIN: 4 digits */
  g_assert_cmphex(change(card, "567"), ==, 0x6A80);
  g_assert_cmphex(change(card, "56A8"), ==, 0x6A80);
  assert_sw(card, "00 24 00 80 04 35 36 37 38", 0x6A86);
  assert_sw(card, "00 24 01 80", 0x6700);
  g_assert_cmphex(change(card, "5678"), ==, 0x9000);
  g_assert_cmpint(myna_vcard_tries(card, "auth"), ==, 3);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  g_assert_cmphex(verify(card, "1234"), ==, 0x63C2);
  g_assert_cmphex(verify(card, "5678"), ==, 0x9000);

  /* the sign password: 6-16 of A-Z 0-9 */
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  g_assert_cmphex(verify(card, "SIGN2026"), ==, 0x9000);
  g_assert_cmphex(change(card, "abc123"), ==, 0x6A80);
  g_assert_cmphex(change(card, "ABC12"), ==, 0x6A80);
  g_assert_cmphex(change(card, "ABCDEFGHIJ1234567"), ==, 0x6A80);
  g_assert_cmphex(change(card, "NEWPASS1"), ==, 0x9000);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 1B"), 0x9000);
  g_assert_cmphex(verify(card, "NEWPASS1"), ==, 0x9000);

  /* a file that is not a PIN */
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  g_assert_cmphex(change(card, "5678"), ==, 0x6986);
  myna_test_vcard_free(card);
}

static void test_change_face_references(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autofree char *my_number = profile_value(card, "text", "my_number");
  assert_sw(card, SEL_FACE, 0x9000);
  assert_sw(card, SEL_EF("00 12"), 0x9000);
  g_assert_cmphex(verify(card, "55021720352285"), ==, 0x9000);
  g_assert_cmphex(change(card, "1234"), ==, 0x6A80);
  g_assert_cmphex(change(card, "11111111111111"), ==, 0x9000);
  /* 照合番号A is the My Number and cannot change */
  assert_sw(card, SEL_EF("00 13"), 0x9000);
  g_assert_cmphex(verify(card, my_number), ==, 0x9000);
  g_assert_cmphex(change(card, my_number), ==, 0x6986);
  myna_test_vcard_free(card);
}

/* ---- text AP ------------------------------------------------------------- */

static void test_text_ap_needs_pin_then_reads(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autofree char *my_number = profile_value(card, "text", "my_number");
  g_autofree char *name = profile_value(card, "text", "name");
  g_autofree char *address = profile_value(card, "text", "address");
  g_autofree char *birth = profile_value(card, "text", "birth");
  g_autofree char *sex = profile_value(card, "text", "sex");

  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);
  assert_sw(card, SEL_EF("00 02"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);
  assert_sw(card, SEL_EF("00 11"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63C3);
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);

  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x9000);
  g_assert_cmpuint(data_len(), ==, 17);
  g_assert_cmpmem(rbuf, 3, "\xFF\x10\x0C", 3);
  g_assert_cmpmem(rbuf + 3, 12, my_number, 12);
  g_assert_cmpmem(rbuf + 15, 2, "\xFF\xFF", 2);

  assert_sw(card, SEL_EF("00 02"), 0x9000);
  g_autoptr(GBytes) rec = read_all(card);
  gsize n = 0;
  const uint8_t *p = g_bytes_get_data(rec, &n);
  tlv c[8];
  size_t k = record_children(p, n, c, G_N_ELEMENTS(c));
  g_assert_cmpuint(k, ==, 5);
  assert_value_str(child(c, k, 0xDF22), name);
  assert_value_str(child(c, k, 0xDF23), address);
  assert_value_str(child(c, k, 0xDF24), birth);
  assert_value_str(child(c, k, 0xDF25), sex);
  /* family and given name separated by U+3000 */
  g_assert_nonnull(strstr(name, "\xE3\x80\x80"));

  /* the text AP does not know the JPKI files, and vice versa */
  assert_sw(card, SEL_EF("00 0A"), 0x6A82);
  assert_sw(card, SEL_EF("00 12"), 0x6A82);
  myna_test_vcard_free(card);
}

/* ---- face AP ------------------------------------------------------------- */

static void check_face_record(myna_vcard *card)
{
  g_autofree char *birth = profile_value(card, "text", "birth");
  g_autofree char *sex = profile_value(card, "text", "sex");
  g_autofree char *expiry = profile_value(card, "face", "expiry");
  g_autoptr(GBytes) photo = profile_file(card, "face", "photo");
  g_autoptr(GBytes) name_img = profile_file(card, "face", "name_image");
  g_autoptr(GBytes) addr_img = profile_file(card, "face", "address_image");
  g_autoptr(GBytes) code_img = profile_file(card, "face", "code_image");
  g_autoptr(GBytes) auth = profile_file(card, "jpki", "auth_cert");

  assert_sw(card, SEL_EF("00 02"), 0x9000);
  g_autoptr(GBytes) rec = read_all(card);
  gsize n = 0;
  const uint8_t *p = g_bytes_get_data(rec, &n);
  /* the record is larger than 255 bytes: a multi-byte BER length */
  g_assert_cmphex(p[2], ==, 0x82);
  tlv c[12];
  size_t k = record_children(p, n, c, G_N_ELEMENTS(c));
  g_assert_cmpuint(k, ==, 10);
  for(size_t i = 0; i < k; i++)
    g_assert_cmphex(c[i].tag, ==, 0xDF21 + i);
  assert_value_str(child(c, k, 0xDF22), birth);
  assert_value_str(child(c, k, 0xDF23), sex);
  const tlv *photo_tlv = child(c, k, 0xDF27);
  g_assert_cmpmem(photo_tlv->value, photo_tlv->len, g_bytes_get_data(photo,
                  NULL), g_bytes_get_size(photo));
  g_assert_cmpuint(photo_tlv->len_bytes, ==, 3);
  const tlv *t = child(c, k, 0xDF25);
  g_assert_cmpmem(t->value, t->len, g_bytes_get_data(name_img, NULL),
                  g_bytes_get_size(name_img));
  t = child(c, k, 0xDF26);
  g_assert_cmpmem(t->value, t->len, g_bytes_get_data(addr_img, NULL),
                  g_bytes_get_size(addr_img));
  t = child(c, k, 0xDF2A);
  g_assert_cmpmem(t->value, t->len, g_bytes_get_data(code_img, NULL),
                  g_bytes_get_size(code_img));
  assert_value_str(child(c, k, 0xDF29), expiry);

  /* DF24 is the auth public key, DF28 its signature over DF22..DF27 */
  EVP_PKEY *pub = cert_key(auth);
  const tlv *key = child(c, k, 0xDF24);
  const unsigned char *kp = key->value;
  EVP_PKEY *df24 = d2i_PUBKEY(NULL, &kp, (long)key->len);
  g_assert_nonnull(df24);
  g_assert_true(kp == key->value + key->len);
  g_assert_cmpint(EVP_PKEY_eq(pub, df24), ==, 1);
  EVP_PKEY_free(df24);

  GByteArray *signed_data = g_byte_array_new();
  for(unsigned tag = 0xDF22; tag <= 0xDF27; tag++) {
    const tlv *x = child(c, k, tag);
    g_byte_array_append(signed_data, x->value, (guint)x->len);
  }
  const tlv *sig = child(c, k, 0xDF28);
  g_assert_cmpuint(sig->len, ==, 256);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  g_assert_cmpint(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), ==,
                  1);
  g_assert_cmpint(EVP_DigestVerify(md, sig->value, sig->len,
                                   signed_data->data, signed_data->len), ==, 1);
  EVP_MD_CTX_free(md);
  g_byte_array_free(signed_data, TRUE);
  EVP_PKEY_free(pub);
}

static void test_face_ap_with_verification_b(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, SEL_FACE, 0x9000);
  assert_sw(card, SEL_EF("00 02"), 0x9000);
  assert_sw(card, "00 B0 00 00 00", 0x6982);
  assert_sw(card, SEL_EF("00 12"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63CA);
  g_assert_cmphex(verify(card, "55021720352286"), ==, 0x63C9);
  g_assert_cmpint(myna_vcard_tries(card, "face-b"), ==, 9);
  g_assert_cmphex(verify(card, "55021720352285"), ==, 0x9000);
  g_assert_cmpint(myna_vcard_tries(card, "face-b"), ==, 10);
  check_face_record(card);
  /* the text PIN does not belong to this AP */
  assert_sw(card, SEL_EF("00 11"), 0x6A82);
  myna_test_vcard_free(card);
}

static void test_face_ap_with_verification_a(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autofree char *my_number = profile_value(card, "text", "my_number");
  assert_sw(card, SEL_FACE, 0x9000);
  assert_sw(card, SEL_EF("00 13"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63CA);
  g_assert_cmphex(verify(card, "55021720352285"), ==, 0x63C9);
  g_assert_cmpint(myna_vcard_tries(card, "face-a"), ==, 9);
  g_assert_cmphex(verify(card, my_number), ==, 0x9000);
  check_face_record(card);
  myna_test_vcard_free(card);
}

/* ---- the state file ------------------------------------------------------ */

static void test_state_persists_across_reload(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autofree char *state = g_build_filename(myna_test_vcard_dir(card),
                                            "state.ini", NULL);
  g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
  /* asking costs nothing and writes nothing */
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  assert_sw(card, PIN_STATUS, 0x63C3);
  g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));

  g_assert_cmphex(verify(card, "0000"), ==, 0x63C2);
  g_assert_true(g_file_test(state, G_FILE_TEST_EXISTS));
  assert_sw(card, SEL_TEXT, 0x9000);
  assert_sw(card, SEL_EF("00 11"), 0x9000);
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);
  g_assert_cmphex(change(card, "4321"), ==, 0x9000);

  char err[256] = "";
  myna_vcard *again = reload(card, err, sizeof(err));
  g_assert_nonnull(again);
  g_assert_cmpint(myna_vcard_tries(again, "auth"), ==, 2);
  g_assert_cmpint(myna_vcard_tries(again, "sign"), ==, 5);
  assert_sw(again, SEL_TEXT, 0x9000);
  assert_sw(again, SEL_EF("00 11"), 0x9000);
  g_assert_cmphex(verify(again, "1234"), ==, 0x63C2);
  g_assert_cmphex(verify(again, "4321"), ==, 0x9000);
  myna_vcard_free(again);

  /* no temporary files left beside it */
  g_autoptr(GDir) d = g_dir_open(myna_test_vcard_dir(card), 0, NULL);
  const char *name;
  while((name = g_dir_read_name(d)))
    g_assert_false(g_str_has_prefix(name, "state.ini."));
  myna_test_vcard_free(card);
}

static void test_state_file_is_read_at_load(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_autofree char *state = g_build_filename(myna_test_vcard_dir(card),
                                            "state.ini", NULL);
  g_assert_true(g_file_set_contents(state,
                                    "[state]\nauth_tries=1\nsign_tries=2\n"
                                    "auth_pin=9876\nsign_password=XYZ789\n",
                                    -1, NULL));
  char err[256] = "";
  myna_vcard *again = reload(card, err, sizeof(err));
  g_assert_nonnull(again);
  g_assert_cmpint(myna_vcard_tries(again, "auth"), ==, 1);
  g_assert_cmpint(myna_vcard_tries(again, "sign"), ==, 2);
  g_assert_cmpint(myna_vcard_tries(again, "text"), ==, 3);
  assert_sw(again, SEL_JPKI, 0x9000);
  unlock_jpki(again, "00 18", "9876");
  unlock_jpki(again, "00 1B", "XYZ789");
  myna_vcard_free(again);

  g_assert_true(g_file_set_contents(state, "[state]\nauth_tries=4\n", -1,
                                    NULL));
  g_assert_null(reload(card, err, sizeof(err)));
  g_assert_nonnull(strstr(err, "auth_tries"));
  g_assert_true(g_file_set_contents(state, "[state]\nauth_pin=12\n", -1,
                                    NULL));
  g_assert_null(reload(card, err, sizeof(err)));
  g_assert_nonnull(strstr(err, "auth_pin"));
  myna_test_vcard_free(card);
}

/* ---- quirks -------------------------------------------------------------- */

static void test_short_only_refuses_extended(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_SHORT_ONLY);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, READ_ALL, 0x6700);
  g_assert_cmpuint(data_len(), ==, 0);
  assert_sw(card, "00 B0 00 00 00 01 00", 0x6700);
  assert_sw(card, "00 B0 00 00 00", 0x9000);
  g_assert_cmpuint(data_len(), ==, 256);
  /* extended Lc too */
  assert_sw(card, "00 A4 02 0C 00 00 02 00 0A", 0x6700);
  unlock_jpki(card, "00 18", "1234");
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 00 00 03 01 02 03 00 00", 0x6700);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x9000);
  myna_test_vcard_free(card);
}

static void test_t0_61xx_and_get_response(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_T0);
  g_autoptr(GBytes) want = profile_file(card, "jpki", "auth_cert");
  const uint8_t *w = g_bytes_get_data(want, NULL);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, READ_ALL, 0x6700);
  /* nothing held */
  assert_sw(card, "00 C0 00 00 00", 0x6985);

  /* the right Le: 61 00, then the data in one GET RESPONSE */
  assert_sw(card, "00 B0 00 00 00", 0x6100);
  g_assert_cmpuint(data_len(), ==, 0);
  assert_sw(card, "00 C0 00 00 00", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), w, 256);
  assert_sw(card, "00 C0 00 00 00", 0x6985);

  /* GET RESPONSE in parts */
  assert_sw(card, "00 B0 00 00 00", 0x6100);
  assert_sw(card, "00 C0 00 00 80", 0x6180);
  g_assert_cmpmem(rbuf, data_len(), w, 128);
  assert_sw(card, "00 C0 00 00 50", 0x6130);
  g_assert_cmpmem(rbuf, data_len(), w + 128, 0x50);
  /* Le above what is left: what is left */
  assert_sw(card, "00 C0 00 00 FF", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), w + 128 + 0x50, 0x30);
  assert_sw(card, "00 C0 01 00 10", 0x6A86);

  /* any other command drops what is held */
  assert_sw(card, "00 B0 00 00 00", 0x6100);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  assert_sw(card, "00 C0 00 00 00", 0x6985);
  myna_test_vcard_free(card);
}

static void test_t0_6cxx_on_wrong_le(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_T0);
  g_autoptr(GBytes) want = profile_file(card, "jpki", "auth_cert");
  size_t size = g_bytes_get_size(want);
  const uint8_t *w = g_bytes_get_data(want, NULL);
  size_t off = size - 0x1F;
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  /* Le 00 near the end: 6C with the count available */
  g_autofree char *le0 = g_strdup_printf("00 B0 %02zX %02zX 00", off >> 8,
                                         off & 0xFF);
  assert_sw(card, le0, 0x6C1F);
  g_assert_cmpuint(data_len(), ==, 0);
  g_autofree char *le1f = g_strdup_printf("00 B0 %02zX %02zX 1F", off >> 8,
                                          off & 0xFF);
  assert_sw(card, le1f, 0x611F);
  assert_sw(card, "00 C0 00 00 1F", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), w + off, 0x1F);
  /* Le above what is left, by one */
  g_autofree char *le20 = g_strdup_printf("00 B0 %02zX %02zX 20", off >> 8,
                                          off & 0xFF);
  assert_sw(card, le20, 0x6C1F);
  /* a short Le below what is available is an ordinary partial read */
  assert_sw(card, "00 B0 00 00 10", 0x6110);
  assert_sw(card, "00 C0 00 00 10", 0x9000);
  g_assert_cmpmem(rbuf, data_len(), w, 0x10);
  /* errors come before the length check */
  assert_sw(card, SEL_EF("00 01"), 0x9000);
  assert_sw(card, "00 B0 00 00 10", 0x6982);
  myna_test_vcard_free(card);
}

static void test_t0_signature_through_get_response(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_T0);
  uint8_t hash[32];
  memset(hash, 0xA5, sizeof(hash));
  g_autofree char *cmd = sign_command(hash, "");
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 18"), 0x9000);
  /* a status without data stays as it is */
  assert_sw(card, PIN_STATUS, 0x63C3);
  g_assert_cmphex(verify(card, "1234"), ==, 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, cmd, 0x6100);
  g_assert_cmpuint(data_len(), ==, 0);
  assert_sw(card, "00 C0 00 00 00", 0x9000);
  g_assert_cmpuint(data_len(), ==, 256);
  g_autoptr(GBytes) auth = profile_file(card, "jpki", "auth_cert");
  assert_signature_verifies(auth, hash, rbuf, data_len());
  myna_test_vcard_free(card);
}

static void test_slow_quirk_delays_each_apdu(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  myna_vcard_set_quirks(card, MYNA_VCARD_QUIRK_SLOW, 30);
  gint64 t0 = g_get_monotonic_time();
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 0A"), 0x9000);
  g_assert_cmpint(g_get_monotonic_time() - t0, >=, 2 * 30 * 1000);
  myna_test_vcard_free(card);
}

static void test_parse_quirks(void)
{
  unsigned q = 99, ms = 99;
  g_assert_true(myna_vcard_parse_quirks("short-only,t0,slow=50", &q, &ms));
  g_assert_cmpuint(q, ==, MYNA_VCARD_QUIRK_SHORT_ONLY | MYNA_VCARD_QUIRK_T0 |
                   MYNA_VCARD_QUIRK_SLOW);
  g_assert_cmpuint(ms, ==, 50);
  g_assert_true(myna_vcard_parse_quirks("", &q, &ms));
  g_assert_cmpuint(q, ==, 0);
  g_assert_cmpuint(ms, ==, 0);
  g_assert_true(myna_vcard_parse_quirks(" t0 , short-only ", &q, &ms));
  g_assert_cmpuint(q, ==, MYNA_VCARD_QUIRK_SHORT_ONLY | MYNA_VCARD_QUIRK_T0);
  g_assert_true(myna_vcard_parse_quirks("slow", &q, &ms));
  g_assert_cmpuint(q, ==, MYNA_VCARD_QUIRK_SLOW);
  g_assert_cmpuint(ms, >, 0);
  g_assert_true(myna_vcard_parse_quirks("no-pin-change", &q, &ms));
  g_assert_cmpuint(q, ==, MYNA_VCARD_QUIRK_NO_PIN_CHANGE);
  q = 7;
  g_assert_false(myna_vcard_parse_quirks("t0,fast", &q, &ms));
  g_assert_false(myna_vcard_parse_quirks("slow=", &q, &ms));
  g_assert_false(myna_vcard_parse_quirks("slow=-1", &q, &ms));
  g_assert_false(myna_vcard_parse_quirks("slow=5x", &q, &ms));
  g_assert_false(myna_vcard_parse_quirks("T0", &q, &ms));
  g_assert_cmpuint(q, ==, 7);
}

/* ---- removal and power --------------------------------------------------- */

static void test_removal_after_n_apdus_then_reinsert(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  g_assert_true(myna_vcard_is_present(card));
  assert_sw(card, SEL_JPKI, 0x9000);
  unlock_jpki(card, "00 18", "1234");
  unsigned long count = myna_vcard_apdu_count(card);
  g_assert_cmpuint(count, ==, 3);

  myna_vcard_remove_after(card, 2);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  g_assert_true(myna_vcard_is_present(card));
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x9000);
  g_assert_false(myna_vcard_is_present(card));
  uint8_t cmd[] = { 0x00, 0xA4, 0x04, 0x0C };
  g_assert_cmpuint(myna_vcard_process(card, cmd, sizeof(cmd), rbuf,
                                      sizeof(rbuf)), ==, 0);
  g_assert_cmpuint(myna_vcard_apdu_count(card), ==, count + 2);

  /* through the in-process transport */
  myna_transport t = myna_vcard_transport(card, false);
  size_t n = 0;
  bool present = true;
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, sizeof(cmd), rbuf, sizeof(rbuf),
                                  &n), ==, MYNA_E_CARD_REMOVED);
  g_assert_cmpint(t.ops->is_present(t.ctx, &present), ==, MYNA_OK);
  g_assert_false(present);
  g_assert_cmpint(t.ops->reset(t.ctx), ==, MYNA_E_CARD_REMOVED);

  /* re-inserted: powered afresh, nothing selected or verified */
  myna_vcard_set_present(card, true);
  g_assert_true(myna_vcard_is_present(card));
  assert_sw(card, SEL_EF("00 17"), 0x6A82);
  assert_sw(card, SEL_JPKI, 0x9000);
  assert_sw(card, SEL_EF("00 17"), 0x9000);
  assert_sw(card, "80 2A 00 80 03 01 02 03 00", 0x6982);
  /* the countdown fired once and is gone */
  for(int i = 0; i < 5; i++)
    assert_sw(card, SEL_JPKI, 0x9000);
  g_assert_true(myna_vcard_is_present(card));
  t.ops->destroy(t.ctx);

  /* removal by hand, and a countdown of 0 means never */
  myna_vcard_remove_after(card, 1);
  myna_vcard_remove_after(card, 0);
  assert_sw(card, SEL_JPKI, 0x9000);
  g_assert_true(myna_vcard_is_present(card));
  myna_vcard_set_present(card, false);
  g_assert_cmpuint(myna_vcard_process(card, cmd, sizeof(cmd), rbuf,
                                      sizeof(rbuf)), ==, 0);
  /* a removal scheduled while the card is out counts from re-insertion */
  myna_vcard_remove_after(card, 1);
  myna_vcard_set_present(card, true);
  assert_sw(card, SEL_JPKI, 0x9000);
  g_assert_false(myna_vcard_is_present(card));
  myna_test_vcard_free(card);
}

static void test_atr(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  size_t n = 0;
  const uint8_t *atr = myna_vcard_atr(card, &n);
  g_assert_cmpmem(atr, n, "\x3B\xE0\x00\xFF\x81\x31\xFE\x45\x14", 9);
  myna_test_vcard_free(card);
}

/* pcscd picks the protocol from the ATR: a card in T=0 mode must offer T=0
 * alone (no TD1, hence no TCK), and T=1 again once the quirk is gone. */
static void test_atr_follows_the_t0_quirk(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_T0);
  size_t n = 0;
  const uint8_t *atr = myna_vcard_atr(card, &n);
  g_assert_cmpmem(atr, n, "\x3B\x60\x00\xFF", 4);
  myna_vcard_set_quirks(card, MYNA_VCARD_QUIRK_SHORT_ONLY, 0);
  atr = myna_vcard_atr(card, &n);
  g_assert_cmpmem(atr, n, "\x3B\xE0\x00\xFF\x81\x31\xFE\x45\x14", 9);
  myna_vcard_set_quirks(card, MYNA_VCARD_QUIRK_T0 | MYNA_VCARD_QUIRK_SLOW, 1);
  atr = myna_vcard_atr(card, &n);
  g_assert_cmpmem(atr, n, "\x3B\x60\x00\xFF", 4);
  /* A contactless reader's PC/SC part-3 ATR, its TCK the XOR of T0..Tk. */
  unsigned q = 0;
  g_assert_true(myna_vcard_parse_quirks("contactless", &q, NULL));
  myna_vcard_set_quirks(card, q, 0);
  atr = myna_vcard_atr(card, &n);
  g_assert_cmpuint(n, ==, 13);
  g_assert_cmpmem(atr, 4, "\x3B\x88\x80\x01", 4);
  uint8_t tck = 0;
  for(size_t i = 1; i < n; i++)
    tck ^= atr[i];
  g_assert_cmpuint(tck, ==, 0);
  myna_test_vcard_free(card);
}

/* ---- the in-process transport -------------------------------------------- */

static void test_transport_serves_the_card(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", MYNA_VCARD_QUIRK_SHORT_ONLY);
  myna_transport t = myna_vcard_transport(card, false);
  myna_transport_caps caps;
  g_assert_cmpint(t.ops->get_caps(t.ctx, &caps), ==, MYNA_OK);
  g_assert_true(caps.extended_apdu);
  g_assert_cmpuint(caps.max_command, ==, 65544);
  g_assert_cmpuint(caps.max_response, ==, 65536);
  g_autofree char *base = g_path_get_basename(myna_test_vcard_dir(card));
  g_autofree char *want = g_strdup_printf("mynacard software card (%s)", base);
  g_assert_cmpstr(t.ops->name(t.ctx), ==, want);

  uint8_t cmd[64];
  size_t n = myna_test_unhex(SEL_JPKI, cmd, sizeof(cmd));
  size_t got = 0;
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, n, rbuf, sizeof(rbuf), &got), ==,
                  MYNA_OK);
  g_assert_cmpmem(rbuf, got, "\x90\x00", 2);
  /* the path carries extended APDUs; this card refuses them */
  n = myna_test_unhex(SEL_EF("00 0A"), cmd, sizeof(cmd));
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, n, rbuf, sizeof(rbuf), &got), ==,
                  MYNA_OK);
  n = myna_test_unhex(READ_ALL, cmd, sizeof(cmd));
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, n, rbuf, sizeof(rbuf), &got), ==,
                  MYNA_OK);
  g_assert_cmpmem(rbuf, got, "\x67\x00", 2);
  /* a small buffer gets what fits, never a shortened answer */
  uint8_t small[100];
  n = myna_test_unhex("00 B0 00 00 00", cmd, sizeof(cmd));
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, n, small, sizeof(small), &got),
                  ==, MYNA_E_BUFFER_TOO_SMALL);
  n = myna_test_unhex("00 B0 00 00 10", cmd, sizeof(cmd));
  g_assert_cmpint(t.ops->transmit(t.ctx, cmd, n, small, sizeof(small), &got),
                  ==, MYNA_OK);
  g_assert_cmpuint(got, ==, 18);

  /* reset is a power cycle */
  g_assert_cmpint(t.ops->reset(t.ctx), ==, MYNA_OK);
  assert_sw(card, SEL_EF("00 0A"), 0x6A82);
  bool present = false;
  g_assert_cmpint(t.ops->is_present(t.ctx, &present), ==, MYNA_OK);
  g_assert_true(present);
  t.ops->destroy(t.ctx);
  /* not owned: the card lives on */
  assert_sw(card, SEL_JPKI, 0x9000);
  myna_test_vcard_free(card);
}

static void test_transport_owning_the_card_frees_it(void)
{
  g_autofree char *ini = g_build_filename(myna_test_pki_dir(), "profiles",
                                          "minimal", "profile.ini", NULL);
  char err[256] = "";
  myna_vcard *card = myna_vcard_load(ini, err, sizeof(err));
  g_assert_nonnull(card);
  myna_transport t = myna_vcard_transport(card, true);
  g_assert_nonnull(strstr(t.ops->name(t.ctx), "(minimal)"));
  t.ops->destroy(t.ctx);

  /* a profile folder is accepted in place of its profile.ini */
  g_autofree char *dir = g_path_get_dirname(ini);
  card = myna_vcard_load(dir, err, sizeof(err));
  g_assert_nonnull(card);
  myna_vcard_free(card);
}

/* ---- malformed commands -------------------------------------------------- */

static void test_malformed_apdus_get_6700(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  static const char *const bad[] = {
    "00", "00 A4", "00 A4 04",
    /* Lc larger than the data, Lc smaller with more than one extra byte */
    "00 A4 04 0C 0A D3 92",
    "00 A4 02 0C 02 00 0A 00 00",
    /* extended forms with bad lengths */
    "00 B0 00 00 00 00",
    "00 A4 02 0C 00 00 00",
    "00 A4 02 0C 00 00 00 00",
    "00 A4 02 0C 00 00 02 00",
    "00 A4 02 0C 00 00 02 00 0A 00",
    "00 A4 02 0C 00 00 02 00 0A 00 00 00",
    "00 A4 02 0C 00 FF FF 00 0A",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    if(g_test_verbose())
      g_test_message("%s", bad[i]);
    assert_sw(card, bad[i], 0x6700);
    g_assert_cmpuint(data_len(), ==, 0);
  }
  g_assert_cmphex(send_raw(card, NULL, 0), ==, 0x6700);
  /* an extended case 3 and 4 of the right length are understood */
  assert_sw(card, "00 A4 04 0C 00 00 0A D3 92 F0 00 26 01 00 00 00 01",
            0x9000);
  assert_sw(card, "00 A4 02 0C 00 00 02 00 0A 00 00", 0x9000);
  myna_test_vcard_free(card);
}

static void test_unknown_class_and_instruction(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  assert_sw(card, "0C A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", 0x6E00);
  assert_sw(card, "FF CA 00 00 00", 0x6E00);
  assert_sw(card, "00 84 00 00 08", 0x6D00);
  assert_sw(card, "80 B0 00 00 00", 0x6E00);
  assert_sw(card, "00 2A 00 80 03 01 02 03 00", 0x6E00);
  assert_sw(card, "80 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", 0x6E00);
  assert_sw(card, "80 CA 00 00 00", 0x6D00);
  myna_test_vcard_free(card);
}

static void test_random_apdus_never_crash(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  GRand *r = g_rand_new_with_seed(20260217);
  static const uint8_t ins[] = { 0xA4, 0xB0, 0x20, 0x24, 0x2A, 0xC0, 0x84 };
  uint8_t cmd[600];
  for(int i = 0; i < 20000; i++) {
    size_t n = (size_t)g_rand_int_range(r, 0, (gint32)sizeof(cmd));
    if(i % 3)
      n = (size_t)g_rand_int_range(r, 0, 16);
    for(size_t k = 0; k < n; k++)
      cmd[k] = (uint8_t)g_rand_int(r);
    if(n > 1) {
      cmd[0] = g_rand_boolean(r) ? 0x00 : 0x80;
      cmd[1] = ins[g_rand_int_range(r, 0, G_N_ELEMENTS(ins))];
    }
    if(i % 500 == 0)
      myna_vcard_set_quirks(card, (unsigned)g_rand_int_range(r, 0, 4), 0);
    send_raw(card, cmd, n);
    /* any data comes with 9000 or 61xx */
    uint8_t sw1 = rbuf[rlen - 2];
    if(rlen > 2)
      g_assert_true(sw1 == 0x90 || sw1 == 0x61);
  }
  g_rand_free(r);
  myna_test_vcard_free(card);
}

/* ---- profile errors ------------------------------------------------------ */

static void assert_load_fails(const char *group, const char *key,
                              const char *value, const char *expect)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  profile_edit(card, group, key, value);
  char err[256] = "";
  myna_vcard *bad = reload(card, err, sizeof(err));
  if(bad)
    g_error("profile with [%s] %s=%s loaded", group, key, value);
  if(!strstr(err, expect))
    g_error("error \"%s\" does not mention \"%s\"", err, expect);
  myna_test_vcard_free(card);
}

static void test_profile_errors_are_precise(void)
{
  char err[256] = "";
  g_assert_null(myna_vcard_load("/nonexistent/profile.ini", err, sizeof(err)));
  g_assert_nonnull(strstr(err, "/nonexistent/profile.ini"));

  assert_load_fails("jpki", "auth_key", "sign.key.pem", "does not match");
  assert_load_fails("jpki", "sign_key", "auth.key.pem", "does not match");
  assert_load_fails("jpki", "auth_cert", "missing.der", "auth_cert");
  assert_load_fails("jpki", "auth_cert", "name.png", "not an X.509");
  assert_load_fails("jpki", "auth_key", "auth.der", "auth_key");
  assert_load_fails("jpki", "auth_key", NULL, "auth_key is missing");
  assert_load_fails("jpki", "auth_pin", "12345", "auth_pin");
  assert_load_fails("jpki", "auth_pin", "12a4", "auth_pin");
  assert_load_fails("jpki", "sign_password", "sign2026", "sign_password");
  assert_load_fails("jpki", "sign_password", NULL, "come together");
  assert_load_fails("jpki", "auth_tries", "4", "auth_tries");
  assert_load_fails("jpki", "sign_tries", "-1", "sign_tries");
  assert_load_fails("jpki", "sign_tries", "many", "sign_tries");
  assert_load_fails("text", "pin_tries", "9", "pin_tries");
  assert_load_fails("text", "my_number", "123456789012", "check digit");
  assert_load_fails("text", "birth", "19800230", "birth");
  assert_load_fails("text", "sex", "3", "sex");
  assert_load_fails("face", "verification_b", "5502172035228",
                    "verification_b");
  assert_load_fails("face", "verification_b_tries", "11",
                    "verification_b_tries");
  assert_load_fails("face", "photo", "nothing.jp2", "photo");
  assert_load_fails("card", "token_label",
                    "A LABEL THAT IS LONGER THAN THIRTY-TWO BYTES", "token");
  assert_load_fails("card", "availability", "maybe", "availability");
}

static void test_profile_value_ends_at_line_end(void)
{
  /* a key file has comment lines only: "# ..." after a value is part of it */
  assert_load_fails("jpki", "auth_pin", "1234  # 4 digits", "auth_pin");
  assert_load_fails("jpki", "auth_tries", "2 # tries left", "auth_tries");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/vcard/select/applications-without-fci",
                  test_select_applications_without_fci);
  g_test_add_func("/vcard/select/ef-rules", test_select_ef_rules);
  g_test_add_func("/vcard/jpki/free-certificates-read-whole",
                  test_jpki_free_certificates_read_whole);
  g_test_add_func("/vcard/jpki/short-chunks-and-offset-past-end",
                  test_jpki_read_in_short_chunks_and_past_end);
  g_test_add_func("/vcard/read-binary/refusals", test_read_binary_refusals);
  g_test_add_func("/vcard/jpki/token-info-and-availability",
                  test_jpki_token_info_and_availability);
  g_test_add_func("/vcard/jpki/minimal-card-has-no-0006-0008",
                  test_minimal_card_has_no_token_info_or_availability);
  g_test_add_func("/vcard/jpki/child-card-has-no-sign-cert-or-key",
                  test_child_card_has_no_sign_certificate_or_key);
  g_test_add_func("/vcard/jpki/sign-certificate-needs-sign-password",
                  test_sign_certificate_needs_sign_password);
  g_test_add_func("/vcard/verify/retry-counter-answers-when-verified",
                  test_retry_counter_answers_when_verified);
  g_test_add_func("/vcard/verify/wrong-pin-decrements-exactly-once",
                  test_wrong_pin_decrements_exactly_once);
  g_test_add_func("/vcard/verify/wrong-pin-clears-verified-state",
                  test_wrong_pin_clears_verified_state);
  g_test_add_func("/vcard/verify/last-try-63c0-then-6984",
                  test_last_try_blocks_then_6984);
  g_test_add_func("/vcard/verify/blocked-profile",
                  test_blocked_profile_counters);
  g_test_add_func("/vcard/verify/needs-a-pin-ef", test_verify_needs_a_pin_ef);
  g_test_add_func("/vcard/sign/auth-and-sign-keys-verify-with-openssl",
                  test_sign_with_auth_and_sign_keys);
  g_test_add_func("/vcard/sign/pads-any-data-as-given",
                  test_sign_pads_any_data_as_given);
  g_test_add_func("/vcard/security/selecting-an-ap-clears-it",
                  test_selecting_an_ap_clears_security_state);
  g_test_add_func("/vcard/change/after-verify-only-and-by-the-rules",
                  test_change_pin_after_verify_only);
  g_test_add_func("/vcard/change/face-references",
                  test_change_face_references);
  g_test_add_func("/vcard/text/needs-pin-then-reads",
                  test_text_ap_needs_pin_then_reads);
  g_test_add_func("/vcard/face/verification-b",
                  test_face_ap_with_verification_b);
  g_test_add_func("/vcard/face/verification-a",
                  test_face_ap_with_verification_a);
  g_test_add_func("/vcard/state/persists-across-reload",
                  test_state_persists_across_reload);
  g_test_add_func("/vcard/state/read-at-load", test_state_file_is_read_at_load);
  g_test_add_func("/vcard/quirk/short-only-refuses-extended",
                  test_short_only_refuses_extended);
  g_test_add_func("/vcard/quirk/t0-61xx-and-get-response",
                  test_t0_61xx_and_get_response);
  g_test_add_func("/vcard/quirk/t0-6cxx-on-wrong-le", test_t0_6cxx_on_wrong_le);
  g_test_add_func("/vcard/quirk/t0-signature-through-get-response",
                  test_t0_signature_through_get_response);
  g_test_add_func("/vcard/quirk/slow-delays-each-apdu",
                  test_slow_quirk_delays_each_apdu);
  g_test_add_func("/vcard/quirk/parse", test_parse_quirks);
  g_test_add_func("/vcard/power/removal-after-n-then-reinsert",
                  test_removal_after_n_apdus_then_reinsert);
  g_test_add_func("/vcard/power/atr", test_atr);
  g_test_add_func("/vcard/power/atr-follows-the-t0-and-contactless-quirks",
                  test_atr_follows_the_t0_quirk);
  g_test_add_func("/vcard/transport/serves-the-card",
                  test_transport_serves_the_card);
  g_test_add_func("/vcard/transport/owning-frees-the-card",
                  test_transport_owning_the_card_frees_it);
  g_test_add_func("/vcard/apdu/malformed-get-6700",
                  test_malformed_apdus_get_6700);
  g_test_add_func("/vcard/apdu/unknown-class-and-instruction",
                  test_unknown_class_and_instruction);
  g_test_add_func("/vcard/apdu/random-never-crash",
                  test_random_apdus_never_crash);
  g_test_add_func("/vcard/profile/errors-are-precise",
                  test_profile_errors_are_precise);
  g_test_add_func("/vcard/profile/value-ends-at-line-end",
                  test_profile_value_ends_at_line_end);
  return g_test_run();
}
