/* test_faceap.c - the card surface application: EF 0002 parsing on
 * well-formed and hostile input, unlock and read over scripted APDUs and
 * against the software card, and JPEG 2000 to PNG. */
#include "testutil.h"

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

/* ---- EF 0002 content built from parts ---------------------------------- */

static void put_tlv(GByteArray *b, uint32_t tag, const uint8_t *v, size_t n)
{
  uint8_t h[8];
  size_t k = 0;
  if(tag > 0xFFFF)
    h[k++] = (uint8_t)(tag >> 16);
  if(tag > 0xFF)
    h[k++] = (uint8_t)(tag >> 8);
  h[k++] = (uint8_t)tag;
  if(n < 0x80)
    h[k++] = (uint8_t)n;
  else if(n < 0x100) {
    h[k++] = 0x81;
    h[k++] = (uint8_t)n;
  }
  else {
    g_assert_cmpuint(n, <=, 0xFFFF);
    h[k++] = 0x82;
    h[k++] = (uint8_t)(n >> 8);
    h[k++] = (uint8_t)n;
  }
  g_byte_array_append(b, h, (guint)k);
  if(n)
    g_byte_array_append(b, v, (guint)n);
}

static uint8_t *pattern(size_t n, uint8_t seed)
{
  uint8_t *p = g_malloc(n ? n : 1);
  for(size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
  return p;
}

enum {
  HAS_OFFSETS = 1 << 0,
  HAS_BIRTH = 1 << 1,
  HAS_SEX = 1 << 2,
  HAS_KEY = 1 << 3,
  HAS_NAME = 1 << 4,
  HAS_ADDRESS = 1 << 5,
  HAS_PHOTO = 1 << 6,
  HAS_SIGNATURE = 1 << 7,
  HAS_EXPIRY = 1 << 8,
  HAS_CODE = 1 << 9,
  HAS_ALL = (1 << 10) - 1
};

#define PHOTO_LEN 300
#define KEY_LEN 270
#define SIGNATURE_LEN 256

/* The content of DF21..DF2A (without FF20) with the fields in `which`. */
static GByteArray *face_fields(unsigned which, size_t photo_len)
{
  GByteArray *b = g_byte_array_new();
  g_autofree uint8_t *photo = pattern(photo_len, 0x27);
  g_autofree uint8_t *key = pattern(KEY_LEN, 0x24);
  g_autofree uint8_t *sig = pattern(SIGNATURE_LEN, 0x28);
  g_autofree uint8_t *name = pattern(40, 0x25);
  g_autofree uint8_t *address = pattern(130, 0x26);
  g_autofree uint8_t *code = pattern(20, 0x2A);
  static const uint8_t offsets[] = { 0x00, 0x10, 0x00, 0x20, 0x00, 0x30 };
  if(which & HAS_OFFSETS)
    put_tlv(b, 0xDF21, offsets, sizeof(offsets));
  if(which & HAS_BIRTH)
    put_tlv(b, 0xDF22, (const uint8_t *)"19800217", 8);
  if(which & HAS_SEX)
    put_tlv(b, 0xDF23, (const uint8_t *)"1", 1);
  if(which & HAS_KEY)
    put_tlv(b, 0xDF24, key, KEY_LEN);
  if(which & HAS_NAME)
    put_tlv(b, 0xDF25, name, 40);
  if(which & HAS_ADDRESS)
    put_tlv(b, 0xDF26, address, 130);
  if(which & HAS_PHOTO)
    put_tlv(b, 0xDF27, photo, photo_len);
  if(which & HAS_SIGNATURE)
    put_tlv(b, 0xDF28, sig, SIGNATURE_LEN);
  if(which & HAS_EXPIRY)
    put_tlv(b, 0xDF29, (const uint8_t *)"20350217", 8);
  if(which & HAS_CODE)
    put_tlv(b, 0xDF2A, code, 20);
  return b;
}

static GByteArray *wrap_face(GByteArray *fields)
{
  GByteArray *b = g_byte_array_new();
  put_tlv(b, 0xFF20, fields->data, fields->len);
  g_byte_array_unref(fields);
  return b;
}

static GByteArray *face_ef(unsigned which)
{
  return wrap_face(face_fields(which, PHOTO_LEN));
}

/* The content with the fields in `which` and a photo sized so that the
 * whole EF is `total` bytes (photo of 256 bytes or more). */
static GByteArray *face_ef_sized(unsigned which, size_t total)
{
  GByteArray *probe = face_ef(which | HAS_PHOTO);
  g_assert_cmpuint(probe->len, <=, total);
  size_t photo_len = PHOTO_LEN + total - probe->len;
  g_byte_array_unref(probe);
  GByteArray *ef = wrap_face(face_fields(which | HAS_PHOTO, photo_len));
  g_assert_cmpuint(ef->len, ==, total);
  return ef;
}

/* Parse from an exact-size heap copy, so that ASan sees any read past it. */
static myna_rv parse_copy(const uint8_t *p, size_t n, myna_face_data **out)
{
  uint8_t *h = g_malloc(n ? n : 1);
  if(n)
    memcpy(h, p, n);
  myna_rv rv = myna_face_ap_parse(h, n, out);
  g_free(h);
  return rv;
}

static void assert_pattern(const uint8_t *p, size_t n, size_t want_n,
                           uint8_t seed)
{
  g_autofree uint8_t *want = pattern(want_n, seed);
  g_assert_cmpmem(p, n, want, want_n);
}

static void assert_full_face(const myna_face_data *d)
{
  g_assert_cmpmem(d->birth, d->birth_len, "19800217", 8);
  g_assert_cmpmem(d->sex, d->sex_len, "1", 1);
  assert_pattern(d->public_key, d->public_key_len, KEY_LEN, 0x24);
  assert_pattern(d->name_image, d->name_image_len, 40, 0x25);
  assert_pattern(d->address_image, d->address_image_len, 130, 0x26);
  assert_pattern(d->photo, d->photo_len, PHOTO_LEN, 0x27);
  assert_pattern(d->signature, d->signature_len, SIGNATURE_LEN, 0x28);
  g_assert_cmpmem(d->expiry, d->expiry_len, "20350217", 8);
  assert_pattern(d->code_image, d->code_image_len, 20, 0x2A);
}

static void test_parse_well_formed(void)
{
  g_autoptr(GByteArray) ef = face_ef(HAS_ALL);
  myna_face_data *d = NULL;
  g_assert_cmpint(parse_copy(ef->data, ef->len, &d), ==, MYNA_OK);
  g_assert_nonnull(d);
  assert_full_face(d);
  myna_face_data_free(d);
  myna_face_data_free(NULL);
}

static void test_parse_accepts_filler_and_unknown_tags(void)
{
  /* Fields in another order, a tag this code does not know, and 00/FF
   * filler after the object (an EF larger than what it holds). */
  GByteArray *fields = g_byte_array_new();
  g_autofree uint8_t *photo = pattern(PHOTO_LEN, 0x27);
  put_tlv(fields, 0xDF29, (const uint8_t *)"20350217", 8);
  put_tlv(fields, 0xDF2B, (const uint8_t *)"?", 1);
  put_tlv(fields, 0xDF27, photo, PHOTO_LEN);
  put_tlv(fields, 0xDF22, (const uint8_t *)"19800217", 8);
  g_byte_array_append(fields, (const uint8_t *)"\xFF\xFF\x00", 3);
  g_autoptr(GByteArray) ef = wrap_face(fields);
  g_byte_array_append(ef, (const uint8_t *)"\x00\x00\xFF\xFF", 4);
  myna_face_data *d = NULL;
  g_assert_cmpint(parse_copy(ef->data, ef->len, &d), ==, MYNA_OK);
  assert_pattern(d->photo, d->photo_len, PHOTO_LEN, 0x27);
  g_assert_cmpmem(d->birth, d->birth_len, "19800217", 8);
  g_assert_cmpmem(d->expiry, d->expiry_len, "20350217", 8);
  myna_face_data_free(d);
}

static void test_parse_missing_optional_fields_are_null(void)
{
  g_autoptr(GByteArray) ef = face_ef(HAS_PHOTO);
  myna_face_data *d = NULL;
  g_assert_cmpint(parse_copy(ef->data, ef->len, &d), ==, MYNA_OK);
  assert_pattern(d->photo, d->photo_len, PHOTO_LEN, 0x27);
  g_assert_null(d->birth);
  g_assert_cmpuint(d->birth_len, ==, 0);
  g_assert_null(d->sex);
  g_assert_cmpuint(d->sex_len, ==, 0);
  g_assert_null(d->public_key);
  g_assert_null(d->name_image);
  g_assert_null(d->address_image);
  g_assert_null(d->signature);
  g_assert_null(d->expiry);
  g_assert_null(d->code_image);
  g_assert_cmpuint(d->code_image_len, ==, 0);
  myna_face_data_free(d);

  /* Present but empty is the same as absent for an optional field. */
  GByteArray *fields = face_fields(HAS_PHOTO, PHOTO_LEN);
  put_tlv(fields, 0xDF23, NULL, 0);
  g_autoptr(GByteArray) ef2 = wrap_face(fields);
  g_assert_cmpint(parse_copy(ef2->data, ef2->len, &d), ==, MYNA_OK);
  g_assert_null(d->sex);
  g_assert_cmpuint(d->sex_len, ==, 0);
  myna_face_data_free(d);
}

static void test_parse_requires_photo(void)
{
  g_autoptr(GByteArray) ef = face_ef(HAS_ALL & ~HAS_PHOTO);
  myna_face_data dummy;
  myna_face_data *d = &dummy; /* must be reset to NULL */
  g_assert_cmpint(parse_copy(ef->data, ef->len, &d), ==, MYNA_E_BAD_DATA);
  g_assert_null(d);
  g_autoptr(GByteArray) empty = wrap_face(face_fields(HAS_ALL, 0));
  g_assert_cmpint(parse_copy(empty->data, empty->len, &d), ==,
                  MYNA_E_BAD_DATA);
  g_assert_null(d);
}

static void test_parse_every_truncation_fails(void)
{
  g_autoptr(GByteArray) ef = face_ef(HAS_ALL);
  for(size_t n = 0; n < ef->len; n++) {
    myna_face_data *d = NULL;
    myna_rv rv = parse_copy(ef->data, n, &d);
    if(rv != MYNA_E_BAD_DATA)
      g_error("prefix of %zu of %u bytes: %s", n, ef->len, myna_rv_name(rv));
    g_assert_null(d);
  }
}

static void test_parse_rejects_hostile_input(void)
{
  static const char *bad[] = {
    "",
    "FF",
    "FF 20",
    "FF 10 0A DF 27 01 41 00 00 00 00 00 00 00",  /* wrong outer tag */
    "DF 27 01 41",                                /* no FF20 at all */
    "FF 20 80 DF 27 01 41 00 00",                 /* indefinite outer */
    "FF 20 05 DF 27 80 41 00",                    /* indefinite inner */
    "FF 20 85 00 00 00 00 04 DF 27 01 41",        /* 5 length bytes */
    "FF 20 84 FF FF FF FF DF 27 01 41",           /* huge outer */
    "FF 20 82 00",                                /* length bytes cut */
    "FF 20 04 DF 27 10 41",                       /* inner > outer */
    "FF 20 06 DF 27 82 FF FF 41",                 /* inner > outer, long */
    "FF 20 03 DF 27 01 41",                       /* inner ends past outer */
    "FF 20 05 DF 27 01 41 DF",                    /* dangling tag */
    "FF 20 03 DF 27 82",                          /* inner length cut */
    "FF 20 08 DF 27 01 41 DF 81 81 01",           /* 4-byte inner tag */
    "FF 20 08 DF 27 01 41 DF 27 01 42",           /* two photos */
    "FF 20 04 DF 27 01 41 DF 22 01 31",           /* a field after FF20 */
    "FF 20 04 DF 27 01 41 55",                    /* garbage after */
    "FF 20 04 DF 27 01 41 00 00 12",              /* garbage in filler */
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    uint8_t b[64];
    size_t n = myna_test_unhex(bad[i], b, sizeof(b));
    myna_face_data *d = NULL;
    g_test_message("%s", bad[i]);
    g_assert_cmpint(parse_copy(b, n, &d), ==, MYNA_E_BAD_DATA);
    g_assert_null(d);
  }
  myna_face_data *d = NULL;
  g_assert_cmpint(myna_face_ap_parse(NULL, 4, &d), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_face_ap_parse((const uint8_t *)"x", 1, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
}

static void test_parse_random_mutations_stay_in_bounds(void)
{
  /* Any outcome is allowed except a crash, a read outside the buffer (ASan)
   * or a leak; a success must still carry a photo. */
  g_autoptr(GByteArray) ef = face_ef(HAS_ALL);
  uint8_t *m = g_malloc(ef->len);
  for(int round = 0; round < 20000; round++) {
    memcpy(m, ef->data, ef->len);
    int flips = g_test_rand_int_range(1, 5);
    for(int k = 0; k < flips; k++) {
      /* Headers sit near the start of each field: hit the first bytes more. */
      gint32 span = round % 2 ? 16 : (gint32)ef->len;
      guint32 at = (guint32)g_test_rand_int_range(0, span);
      m[at] = (uint8_t)g_test_rand_int_range(0, 256);
    }
    size_t n = ef->len;
    if(round % 3 == 0)
      n = (size_t)g_test_rand_int_range(0, (gint32)ef->len + 1);
    myna_face_data *d = NULL;
    myna_rv rv = parse_copy(m, n, &d);
    if(rv == MYNA_OK) {
      g_assert_nonnull(d->photo);
      g_assert_cmpuint(d->photo_len, >, 0);
    }
    else {
      g_assert_cmpint(rv, ==, MYNA_E_BAD_DATA);
      g_assert_null(d);
    }
    myna_face_data_free(d);
  }
  g_free(m);
}

/* ---- unlock and read over a scripted transport ------------------------- */

#define SELECT_FACE_AP "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02"
#define SELECT_KEY_B "00 A4 02 0C 02 00 12"
#define SELECT_KEY_A "00 A4 02 0C 02 00 13"
#define SELECT_FACE_EF "00 A4 02 0C 02 00 02"
#define RETRY_COUNTER "00 20 00 80"
/* "55021720352285" in ASCII */
#define VERIFY_B "00 20 00 80 0E 35 35 30 32 31 37 32 30 33 35 32 32 38 35"

static myna_card *open_mock(const myna_test_exchange *script, size_t n,
                            bool extended, myna_test_mock **mock)
{
  myna_card *card = NULL;
  g_assert_cmpint(myna_card_open(myna_test_mock_transport(script, n, extended,
                                                          mock),
                                 &card),
                  ==, MYNA_OK);
  return card;
}

static char *hex_sw(const uint8_t *p, size_t n, const char *sw)
{
  g_autofree char *hex = myna_test_hex(p, n);
  return g_strdup_printf("%s %s", hex, sw);
}

static void test_mock_unlock_and_read_short(void)
{
  /* 600 bytes in short APDUs: 256 + 256 + 88, the size from the first
   * read's BER header. */
  g_autoptr(GByteArray) ef = face_ef_sized(HAS_BIRTH | HAS_PHOTO | HAS_EXPIRY,
                                           600);
  g_autofree char *r1 = hex_sw(ef->data, 256, "90 00");
  g_autofree char *r2 = hex_sw(ef->data + 256, 256, "90 00");
  g_autofree char *r3 = hex_sw(ef->data + 512, 88, "90 00");
  const myna_test_exchange script[] = {
    { SELECT_FACE_AP, "90 00" },
    { SELECT_KEY_B, "90 00" },
    { RETRY_COUNTER, "63 CA" },
    { VERIFY_B, "90 00" },
    { SELECT_FACE_EF, "90 00" },
    { "00 B0 00 00 00", r1 },
    { "00 B0 01 00 00", r2 },
    { "00 B0 02 00 58", r3 },
  };
  myna_test_mock *mock = NULL;
  myna_card *card = open_mock(script, G_N_ELEMENTS(script), false, &mock);
  int tries = -1;
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &tries), ==,
                  MYNA_OK);
  g_assert_cmpint(tries, ==, 10);
  myna_secret *vb = myna_test_secret("55021720352285");
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, &tries), ==,
                  MYNA_OK);
  myna_secret_free(vb);
  myna_face_data *d = NULL;
  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_OK);
  g_assert_cmpuint(myna_test_mock_consumed(mock), ==, G_N_ELEMENTS(script));
  g_assert_cmpmem(d->birth, d->birth_len, "19800217", 8);
  g_assert_cmpmem(d->expiry, d->expiry_len, "20350217", 8);
  g_assert_cmpuint(d->photo_len, >, 0);
  myna_face_data_free(d);
  myna_card_free(card);
}

static void test_mock_unlock_with_my_number_and_read_extended(void)
{
  g_autoptr(GByteArray) ef = face_ef(HAS_ALL);
  g_autofree char *r1 = hex_sw(ef->data, ef->len, "90 00");
  const myna_test_exchange script[] = {
    { SELECT_FACE_AP, "90 00" },
    { SELECT_KEY_A, "90 00" },
    { "00 20 00 80 0C 31 32 33 34 35 36 37 38 39 30 31 38", "90 00" },
    { SELECT_FACE_EF, "90 00" },
    { "00 B0 00 00 00 00 00", r1 },
  };
  myna_test_mock *mock = NULL;
  myna_card *card = open_mock(script, G_N_ELEMENTS(script), true, &mock);
  myna_secret *a = myna_test_secret("123456789018");
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_A, a, NULL), ==,
                  MYNA_OK);
  myna_secret_free(a);
  myna_face_data *d = NULL;
  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_OK);
  g_assert_cmpuint(myna_test_mock_consumed(mock), ==, G_N_ELEMENTS(script));
  assert_full_face(d);
  myna_face_data_free(d);
  myna_card_free(card);
}

static void test_mock_wrong_value_reports_tries(void)
{
  const myna_test_exchange script[] = {
    { SELECT_FACE_AP, "90 00" },
    { SELECT_KEY_B, "90 00" },
    { VERIFY_B, "63 C9" },
    { VERIFY_B, "63 C0" },
    { VERIFY_B, "69 84" },
  };
  myna_test_mock *mock = NULL;
  myna_card *card = open_mock(script, G_N_ELEMENTS(script), false, &mock);
  myna_secret *vb = myna_test_secret("55021720352285");
  int tries = -1;
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, &tries), ==,
                  MYNA_E_WRONG_PIN);
  g_assert_cmpint(tries, ==, 9);
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, &tries), ==,
                  MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(tries, ==, 0);
  tries = -1;
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, &tries), ==,
                  MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(tries, ==, 0);
  myna_secret_free(vb);
  /* Nothing was unlocked: reading costs no APDU. */
  myna_face_data *d = NULL;
  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_E_SECURITY_STATUS);
  g_assert_null(d);
  g_assert_cmpuint(myna_test_mock_consumed(mock), ==, G_N_ELEMENTS(script));
  myna_card_free(card);
}

static void test_mock_malformed_values_send_nothing(void)
{
  static const char *bad_b[] = { "5502172035228", "550217203522855",
                                 "5502172035228A", "" };
  static const char *bad_a[] = { "123456789012", /* wrong check digit */
                                 "12345678901", "12345678901X" };
  myna_test_mock *mock = NULL;
  myna_card *card = open_mock(NULL, 0, false, &mock);
  for(size_t i = 0; i < G_N_ELEMENTS(bad_b); i++) {
    myna_secret *s = myna_test_secret(bad_b[i]);
    g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, s, NULL), ==,
                    MYNA_E_PIN_FORMAT);
    myna_secret_free(s);
  }
  for(size_t i = 0; i < G_N_ELEMENTS(bad_a); i++) {
    myna_secret *s = myna_test_secret(bad_a[i]);
    g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_A, s, NULL), ==,
                    MYNA_E_PIN_FORMAT);
    myna_secret_free(s);
  }
  myna_secret *s = myna_test_secret("55021720352285");
  g_assert_cmpint(myna_face_ap_unlock(card, (myna_face_key)7, s, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, NULL, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
  myna_secret_free(s);
  int tries = 0;
  g_assert_cmpint(myna_face_ap_tries_left(card, (myna_face_key)7, &tries), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpuint(myna_test_mock_consumed(mock), ==, 0);
  myna_card_free(card);
}

static void test_mock_read_rejects_bad_ef(void)
{
  /* A card whose EF 0002 has no photo: the read fails as bad data. */
  g_autoptr(GByteArray) ef = face_ef(HAS_BIRTH | HAS_EXPIRY);
  g_autofree char *r1 = hex_sw(ef->data, ef->len, "90 00");
  const myna_test_exchange script[] = {
    { SELECT_FACE_AP, "90 00" },
    { SELECT_KEY_B, "90 00" },
    { VERIFY_B, "90 00" },
    { SELECT_FACE_EF, "90 00" },
    { "00 B0 00 00 00", r1 },
  };
  myna_test_mock *mock = NULL;
  myna_card *card = open_mock(script, G_N_ELEMENTS(script), false, &mock);
  myna_secret *vb = myna_test_secret("55021720352285");
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, NULL), ==,
                  MYNA_OK);
  myna_secret_free(vb);
  myna_face_data *d = NULL;
  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_E_BAD_DATA);
  g_assert_null(d);
  g_assert_cmpuint(myna_test_mock_consumed(mock), ==, G_N_ELEMENTS(script));
  myna_card_free(card);
}

/* ---- PNG checks --------------------------------------------------------- */

/* libpng is a private dependency of libmynacard, not one the unit tests
 * link; the test loads it at run time to decode what the library wrote. */
#define PNG_FUNCS(X)                                                         \
  X(png_create_read_struct) X(png_create_info_struct) X(png_set_read_fn)    \
  X(png_get_io_ptr) X(png_read_png) X(png_get_IHDR) X(png_get_rows)         \
  X(png_destroy_read_struct)
#define PNG_FUNC_MEMBER(f) __typeof__(f) *f;
static struct {
  PNG_FUNCS(PNG_FUNC_MEMBER)
} lp;

static void png_api_load(void)
{
  static void *so;
  if(so)
    return;
  so = dlopen("libpng" G_STRINGIFY(PNG_LIBPNG_VER_DLLNUM) ".so."
              G_STRINGIFY(PNG_LIBPNG_VER_SONUM), RTLD_NOW | RTLD_LOCAL);
  if(!so)
    g_error("cannot load libpng: %s", dlerror());
#define PNG_FUNC_LOAD(f)                                                     \
  lp.f = (__typeof__(f) *)dlsym(so, #f);                                     \
  g_assert_nonnull(lp.f);
  PNG_FUNCS(PNG_FUNC_LOAD)
}

typedef struct png_source {
  const uint8_t *p;
  size_t len;
  size_t pos;
} png_source;

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
  png_source *s = lp.png_get_io_ptr(png);
  if(n > s->len - s->pos)
    g_error("PNG ends %zu bytes early", n - (s->len - s->pos));
  memcpy(out, s->p + s->pos, n);
  s->pos += n;
}

static void png_fatal(png_structp png, png_const_charp msg)
{
  g_error("libpng: %s", msg);
}

static void png_warn(png_structp png, png_const_charp msg)
{
  g_error("libpng warning: %s", msg);
}

typedef struct decoded_png {
  uint32_t width;
  uint32_t height;
  int bit_depth;
  int color_type;
  unsigned channels;
  GByteArray *pixels; /* rows of width * channels bytes */
} decoded_png;

static void decoded_png_clear(decoded_png *d)
{
  g_clear_pointer(&d->pixels, g_byte_array_unref);
}

static void decode_png(const uint8_t *p, size_t len, decoded_png *out)
{
  png_api_load();
  png_structp png = lp.png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              png_fatal, png_warn);
  g_assert_nonnull(png);
  png_infop info = lp.png_create_info_struct(png);
  g_assert_nonnull(info);
  png_source src = { p, len, 0 };
  lp.png_set_read_fn(png, &src, png_read_mem);
  lp.png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  png_uint_32 w = 0, h = 0;
  int depth = 0, type = 0;
  lp.png_get_IHDR(png, info, &w, &h, &depth, &type, NULL, NULL, NULL);
  out->width = w;
  out->height = h;
  out->bit_depth = depth;
  out->color_type = type;
  switch(type) {
  case PNG_COLOR_TYPE_GRAY:
    out->channels = 1;
    break;
  case PNG_COLOR_TYPE_GRAY_ALPHA:
    out->channels = 2;
    break;
  case PNG_COLOR_TYPE_RGB:
    out->channels = 3;
    break;
  case PNG_COLOR_TYPE_RGB_ALPHA:
    out->channels = 4;
    break;
  default:
    g_error("unexpected PNG colour type %d", type);
  }
  g_assert_cmpint(depth, ==, 8);
  png_bytepp rows = lp.png_get_rows(png, info);
  out->pixels = g_byte_array_new();
  for(png_uint_32 y = 0; y < h; y++)
    g_byte_array_append(out->pixels, rows[y], w * out->channels);
  g_assert_cmpuint(src.pos, ==, len); /* nothing after IEND */
  lp.png_destroy_read_struct(&png, &info, NULL);
}

static uint32_t be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* Width and height from the PNG header, as any viewer reads them. */
static void png_header_size(const uint8_t *p, size_t len, uint32_t *w,
                            uint32_t *h)
{
  static const uint8_t sig[] = { 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A };
  g_assert_cmpuint(len, >=, 33);
  g_assert_cmpmem(p, 8, sig, 8);
  g_assert_cmpuint(be32(p + 8), ==, 13);
  g_assert_cmpmem(p + 12, 4, "IHDR", 4);
  *w = be32(p + 16);
  *h = be32(p + 20);
}

/* Image size declared by the JPEG 2000 codestream's SIZ marker segment (in
 * a JP2 file, inside its jp2c box): Xsiz - XOsiz by Ysiz - YOsiz. */
static void jpeg2000_size(const uint8_t *p, size_t len, uint32_t *w,
                          uint32_t *h)
{
  for(size_t i = 0; i + 4 + 20 <= len; i++) {
    if(p[i] != 0xFF || p[i + 1] != 0x4F || p[i + 2] != 0xFF ||
       p[i + 3] != 0x51)
      continue;
    const uint8_t *siz = p + i + 4 + 4; /* after Lsiz and Rsiz */
    *w = be32(siz) - be32(siz + 8);
    *h = be32(siz + 4) - be32(siz + 12);
    return;
  }
  g_error("no SIZ marker in the JPEG 2000 data");
}

/* ---- JPEG 2000 made at test time --------------------------------------- */

typedef struct jp2_dir {
  char *path;
} jp2_dir;

static void jp2_dir_setup(jp2_dir *d, gconstpointer data)
{
  GError *error = NULL;
  d->path = g_dir_make_tmp("myna-jp2-XXXXXX", &error);
  g_assert_no_error(error);
}

static void jp2_dir_teardown(jp2_dir *d, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open(d->path, 0, NULL);
  const char *name;
  while(dir && (name = g_dir_read_name(dir))) {
    g_autofree char *p = g_build_filename(d->path, name, NULL);
    g_unlink(p);
  }
  g_rmdir(d->path);
  g_free(d->path);
}

static void write_file(const char *path, const void *p, size_t n)
{
  GError *error = NULL;
  g_assert_true(g_file_set_contents(path, p, (gssize)n, &error));
  g_assert_no_error(error);
}

/* Run opj_compress (lossless unless extra says otherwise) and return the
 * file it wrote. */
static GBytes *opj_compress(const char *in, const char *out,
                            const char *const *extra)
{
  g_autofree char *tool = g_find_program_in_path("opj_compress");
  if(!tool)
    g_error("opj_compress not found (Debian: libopenjp2-tools)");
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, tool);
  g_ptr_array_add(argv, (char *)"-i");
  g_ptr_array_add(argv, (char *)in);
  g_ptr_array_add(argv, (char *)"-o");
  g_ptr_array_add(argv, (char *)out);
  /* Three resolution levels: the default six needs sides of 32 or more. */
  g_ptr_array_add(argv, (char *)"-n");
  g_ptr_array_add(argv, (char *)"3");
  for(size_t i = 0; extra && extra[i]; i++)
    g_ptr_array_add(argv, (char *)extra[i]);
  g_ptr_array_add(argv, NULL);
  GError *error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                             G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                             &err, &status, &error));
  g_assert_no_error(error);
  if(!g_spawn_check_wait_status(status, &error))
    g_error("opj_compress %s: %s\n%s", in, error->message, err);
  g_ptr_array_unref(argv);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(out, &data, &len, &error));
  g_assert_no_error(error);
  return g_bytes_new_take(data, len);
}

static GBytes *to_png(GBytes *jp2)
{
  gsize len = 0;
  const uint8_t *p = g_bytes_get_data(jp2, &len);
  uint8_t *png = NULL;
  size_t png_len = 0;
  g_assert_cmpint(myna_jp2_to_png(p, len, &png, &png_len), ==, MYNA_OK);
  g_assert_nonnull(png);
  GBytes *b = g_bytes_new(png, png_len);
  free(png);
  return b;
}

#define W 37
#define H 29

static uint8_t grey_at(unsigned x, unsigned y)
{
  return (uint8_t)((x * 19 + y * 37 + (x * y) % 11) & 0xFF);
}

static void test_jp2_grey_lossless_roundtrip(jp2_dir *dir, gconstpointer data)
{
  /* 8-bit PGM -> lossless J2K codestream and JP2 file -> PNG: every pixel
   * comes back unchanged, as 8-bit greyscale. */
  GString *pgm = g_string_new(NULL);
  g_string_printf(pgm, "P5\n%d %d\n255\n", W, H);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++)
      g_string_append_c(pgm, (char)grey_at(x, y));
  g_autofree char *in = g_build_filename(dir->path, "grey.pgm", NULL);
  write_file(in, pgm->str, pgm->len);
  g_string_free(pgm, TRUE);

  static const char *outs[] = { "grey.j2k", "grey.jp2" };
  for(size_t i = 0; i < G_N_ELEMENTS(outs); i++) {
    g_autofree char *out = g_build_filename(dir->path, outs[i], NULL);
    g_autoptr(GBytes) jp2 = opj_compress(in, out, NULL);
    g_autoptr(GBytes) png = to_png(jp2);
    gsize png_len = 0;
    const uint8_t *pp = g_bytes_get_data(png, &png_len);
    uint32_t hw = 0, hh = 0;
    png_header_size(pp, png_len, &hw, &hh);
    g_assert_cmpuint(hw, ==, W);
    g_assert_cmpuint(hh, ==, H);
    decoded_png d = { 0 };
    decode_png(pp, png_len, &d);
    g_assert_cmpint(d.color_type, ==, PNG_COLOR_TYPE_GRAY);
    g_assert_cmpuint(d.width, ==, W);
    g_assert_cmpuint(d.height, ==, H);
    for(unsigned y = 0; y < H; y++)
      for(unsigned x = 0; x < W; x++)
        g_assert_cmpuint(d.pixels->data[y * W + x], ==, grey_at(x, y));
    decoded_png_clear(&d);
  }
}

static void test_jp2_16_bit_scaled_to_8(jp2_dir *dir, gconstpointer data)
{
  GString *pgm = g_string_new(NULL);
  g_string_printf(pgm, "P5\n%d %d\n65535\n", W, H);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++) {
      unsigned v = (x * 1789 + y * 2237) % 65536;
      g_string_append_c(pgm, (char)(v >> 8));
      g_string_append_c(pgm, (char)(v & 0xFF));
    }
  g_autofree char *in = g_build_filename(dir->path, "g16.pgm", NULL);
  g_autofree char *out = g_build_filename(dir->path, "g16.j2k", NULL);
  write_file(in, pgm->str, pgm->len);
  g_string_free(pgm, TRUE);
  g_autoptr(GBytes) jp2 = opj_compress(in, out, NULL);
  g_autoptr(GBytes) png = to_png(jp2);
  decoded_png d = { 0 };
  gsize n = 0;
  const uint8_t *pp = g_bytes_get_data(png, &n);
  decode_png(pp, n, &d);
  g_assert_cmpint(d.color_type, ==, PNG_COLOR_TYPE_GRAY);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++) {
      unsigned v = (x * 1789 + y * 2237) % 65536;
      unsigned want = (v * 255 + 32767) / 65535;
      g_assert_cmpuint(d.pixels->data[y * W + x], ==, want);
    }
  decoded_png_clear(&d);
}

/* A raw planar image (opj_compress -F) of `comps` components of `bits`
 * (<= 16, big-endian above 8), with sample(comp, x, y). */
static GBytes *raw_to_jpeg2000(jp2_dir *dir, const char *name,
                               const char *ext, unsigned comps, unsigned bits,
                               bool sgnd,
                               unsigned (*sample)(unsigned, unsigned, unsigned))
{
  GByteArray *raw = g_byte_array_new();
  for(unsigned c = 0; c < comps; c++)
    for(unsigned y = 0; y < H; y++)
      for(unsigned x = 0; x < W; x++) {
        unsigned v = sample(c, x, y);
        uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
        if(bits > 8)
          g_byte_array_append(raw, b, 2);
        else
          g_byte_array_append(raw, b + 1, 1);
      }
  g_autofree char *in = g_strdup_printf("%s/%s.raw", dir->path, name);
  g_autofree char *out = g_strdup_printf("%s/%s.%s", dir->path, name, ext);
  write_file(in, raw->data, raw->len);
  g_byte_array_unref(raw);
  g_autofree char *format = g_strdup_printf("%d,%d,%u,%u,%s", W, H, comps,
                                            bits, sgnd ? "s" : "u");
  const char *extra[] = { "-F", format, NULL };
  return opj_compress(in, out, extra);
}

/* The same as a raw J2K codestream. */
static GBytes *raw_to_jp2(jp2_dir *dir, const char *name, unsigned comps,
                          unsigned bits, bool sgnd,
                          unsigned (*sample)(unsigned, unsigned, unsigned))
{
  return raw_to_jpeg2000(dir, name, "j2k", comps, bits, sgnd, sample);
}

static unsigned rgba_at(unsigned c, unsigned x, unsigned y)
{
  return (x * 7 + y * 11 + c * 61 + (x ^ y) * c) & 0xFF;
}

static void test_jp2_rgba(jp2_dir *dir, gconstpointer data)
{
  g_autoptr(GBytes) jp2 = raw_to_jp2(dir, "rgba", 4, 8, false, rgba_at);
  g_autoptr(GBytes) png = to_png(jp2);
  decoded_png d = { 0 };
  gsize n = 0;
  const uint8_t *pp = g_bytes_get_data(png, &n);
  decode_png(pp, n, &d);
  g_assert_cmpint(d.color_type, ==, PNG_COLOR_TYPE_RGB_ALPHA);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++)
      for(unsigned c = 0; c < 4; c++)
        g_assert_cmpuint(d.pixels->data[(y * W + x) * 4 + c], ==,
                         rgba_at(c, x, y));
  decoded_png_clear(&d);
}

static void test_jp2_rgb(jp2_dir *dir, gconstpointer data)
{
  g_autoptr(GBytes) jp2 = raw_to_jp2(dir, "rgb", 3, 8, false, rgba_at);
  g_autoptr(GBytes) png = to_png(jp2);
  decoded_png d = { 0 };
  gsize n = 0;
  const uint8_t *pp = g_bytes_get_data(png, &n);
  decode_png(pp, n, &d);
  g_assert_cmpint(d.color_type, ==, PNG_COLOR_TYPE_RGB);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++)
      for(unsigned c = 0; c < 3; c++)
        g_assert_cmpuint(d.pixels->data[(y * W + x) * 3 + c], ==,
                         rgba_at(c, x, y));
  decoded_png_clear(&d);
}

static unsigned signed_at(unsigned c, unsigned x, unsigned y)
{
  return (x * 23 + y * 5) & 0xFF; /* read back as int8: -128..127 */
}

static void test_jp2_signed_shifted(jp2_dir *dir, gconstpointer data)
{
  /* Signed samples map -128..127 to 0..255. */
  g_autoptr(GBytes) jp2 = raw_to_jp2(dir, "signed", 1, 8, true, signed_at);
  g_autoptr(GBytes) png = to_png(jp2);
  decoded_png d = { 0 };
  gsize n = 0;
  const uint8_t *pp = g_bytes_get_data(png, &n);
  decode_png(pp, n, &d);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++)
      g_assert_cmpuint(d.pixels->data[y * W + x], ==,
                       signed_at(0, x, y) ^ 0x80);
  decoded_png_clear(&d);
}

static unsigned twelve_at(unsigned c, unsigned x, unsigned y)
{
  return (x * 131 + y * 97) % 4096;
}

static void test_jp2_12_bit_scaled_to_8(jp2_dir *dir, gconstpointer data)
{
  g_autoptr(GBytes) jp2 = raw_to_jp2(dir, "twelve", 1, 12, false, twelve_at);
  g_autoptr(GBytes) png = to_png(jp2);
  decoded_png d = { 0 };
  gsize n = 0;
  const uint8_t *pp = g_bytes_get_data(png, &n);
  decode_png(pp, n, &d);
  for(unsigned y = 0; y < H; y++)
    for(unsigned x = 0; x < W; x++)
      g_assert_cmpuint(d.pixels->data[y * W + x], ==,
                       (twelve_at(0, x, y) * 255 + 2047) / 4095);
  decoded_png_clear(&d);
}

static void test_jp2_subsampled_rejected(jp2_dir *dir, gconstpointer data)
{
  /* 4:2:0: the chroma components are half the size of luma. */
  GByteArray *raw = g_byte_array_new();
  for(unsigned i = 0; i < 32 * 32 + 2 * 16 * 16; i++) {
    uint8_t v = (uint8_t)(i * 13);
    g_byte_array_append(raw, &v, 1);
  }
  g_autofree char *in = g_build_filename(dir->path, "yuv.raw", NULL);
  g_autofree char *out = g_build_filename(dir->path, "yuv.j2k", NULL);
  write_file(in, raw->data, raw->len);
  g_byte_array_unref(raw);
  const char *extra[] = { "-F", "32,32,3,8,u@1x1:2x2:2x2", NULL };
  g_autoptr(GBytes) jp2 = opj_compress(in, out, extra);
  gsize len = 0;
  const uint8_t *p = g_bytes_get_data(jp2, &len);
  uint8_t *png = NULL;
  size_t png_len = 0;
  g_assert_cmpint(myna_jp2_to_png(p, len, &png, &png_len), ==, MYNA_E_DECODE);
  g_assert_null(png);
  g_assert_cmpuint(png_len, ==, 0);
}

static unsigned small_at(unsigned c, unsigned x, unsigned y)
{
  return (x * 29 + y * 3) & 0xFF;
}

static void expect_decode_error(const uint8_t *p, size_t n)
{
  uint8_t *h = g_malloc(n ? n : 1);
  if(n)
    memcpy(h, p, n);
  uint8_t *png = NULL;
  size_t png_len = 0;
  g_assert_cmpint(myna_jp2_to_png(h, n, &png, &png_len), ==, MYNA_E_DECODE);
  g_assert_null(png);
  g_free(h);
}

static void test_jp2_garbage_is_decode_error(jp2_dir *dir, gconstpointer data)
{
  static const char *bad[] = {
    "",
    "00",
    "89 50 4E 47 0D 0A 1A 0A 00 00 00 0D 49 48 44 52", /* a PNG */
    "FF D8 FF E0 00 10 4A 46 49 46",                   /* a JPEG */
    "00 00 00 0C 6A 50 20 20",                         /* JP2 signature only */
    "00 00 00 0C 6A 50 20 20 0D 0A 87 0A 00 00 00 14 66 74 79 70",
    "FF 4F FF 51",                                     /* SOC SIZ, nothing */
    /* SIZ of a 4G x 4G image and no more header */
    ("FF 4F FF 51 00 29 00 00 FF FF FF FF FF FF FF FF 00 00 00 00 00 00 00 00"
     " FF FF FF FF FF FF FF FF 00 00 00 00 00 00 00 00 00 01 07 01 01"),
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    uint8_t b[64];
    size_t n = myna_test_unhex(bad[i], b, sizeof(b));
    g_test_message("%s", bad[i]);
    expect_decode_error(b, n);
  }
  uint8_t noise[4096];
  for(size_t i = 0; i < sizeof(noise); i++)
    noise[i] = (uint8_t)g_test_rand_int_range(0, 256);
  expect_decode_error(noise, sizeof(noise));
  /* Valid signatures followed by noise. */
  memcpy(noise, "\x00\x00\x00\x0C\x6A\x50\x20\x20", 8);
  expect_decode_error(noise, sizeof(noise));
  memcpy(noise, "\xFF\x4F\xFF\x51", 4);
  expect_decode_error(noise, sizeof(noise));

  uint8_t *png = NULL;
  size_t png_len = 0;
  g_assert_cmpint(myna_jp2_to_png(NULL, 4, &png, &png_len), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_jp2_to_png(noise, 4, NULL, &png_len), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_jp2_to_png(noise, 4, &png, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
}


static void test_jp2_huge_declared_size_rejected(jp2_dir *dir,
                                                 gconstpointer data)
{
  /* A valid codestream whose SIZ is rewritten to declare a 16384 x 16384
   * image in one tile: refused from the header, before the decoder
   * allocates a gigabyte for it. */
  g_autoptr(GBytes) jp2 = raw_to_jp2(dir, "huge", 1, 8, false, small_at);
  gsize len = 0;
  const uint8_t *orig = g_bytes_get_data(jp2, &len);
  uint8_t *p = g_memdup2(orig, len);
  g_assert_cmpmem(p, 4, "\xFF\x4F\xFF\x51", 4);
  static const uint8_t big[4] = { 0x00, 0x00, 0x40, 0x00 };
  static const size_t at[] = { 8, 12, 24, 28 }; /* Xsiz Ysiz XTsiz YTsiz */
  for(size_t i = 0; i < G_N_ELEMENTS(at); i++)
    memcpy(p + at[i], big, 4);
  expect_decode_error(p, len);
  g_free(p);
}

static void check_truncations(GBytes *jp2)
{
  gsize len = 0;
  const uint8_t *p = g_bytes_get_data(jp2, &len);
  for(size_t n = 0; n < len; n++) {
    uint8_t *h = g_malloc(n ? n : 1);
    if(n)
      memcpy(h, p, n);
    uint8_t *png = NULL;
    size_t png_len = 0;
    myna_rv rv = myna_jp2_to_png(h, n, &png, &png_len);
    g_free(h);
    if(rv == MYNA_OK) {
      g_assert_cmpuint(n, >=, len - 2);
      decoded_png d = { 0 };
      decode_png(png, png_len, &d);
      for(unsigned y = 0; y < H; y++)
        for(unsigned x = 0; x < W; x++)
          g_assert_cmpuint(d.pixels->data[y * W + x], ==, small_at(0, x, y));
      decoded_png_clear(&d);
      free(png);
      continue;
    }
    g_assert_cmpint(rv, ==, MYNA_E_DECODE);
    g_assert_null(png);
  }
}

static void test_jp2_truncations_never_crash(jp2_dir *dir, gconstpointer data)
{
  /* Every prefix of a valid codestream and of a valid JP2 file: a decode
   * error, or (for a cut in the trailing EOC marker only) the complete
   * image; never a crash, a read past the input or a leak. */
  static const char *exts[] = { "j2k", "jp2" };
  for(size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
    g_autoptr(GBytes) jp2 = raw_to_jpeg2000(dir, "small", exts[i], 1, 8, false,
                                            small_at);
    check_truncations(jp2);
  }
}

/* ---- against the software card and the generated profiles -------------- */

static GBytes *profile_file(myna_vcard *vcard, const char *group,
                            const char *key)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(vcard),
                                          "profile.ini", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *error = NULL;
  g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &error));
  g_assert_no_error(error);
  g_autofree char *name = g_key_file_get_string(kf, group, key, &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(myna_test_vcard_dir(vcard),
                                           g_strstrip(name), NULL);
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  g_assert_no_error(error);
  return g_bytes_new_take(data, len);
}

static void check_photo_png(const myna_face_data *d)
{
  uint8_t *png = NULL;
  size_t png_len = 0;
  g_assert_cmpint(myna_jp2_to_png(d->photo, d->photo_len, &png, &png_len), ==,
                  MYNA_OK);
  uint32_t pw = 0, ph = 0, jw = 0, jh = 0;
  png_header_size(png, png_len, &pw, &ph);
  jpeg2000_size(d->photo, d->photo_len, &jw, &jh);
  g_assert_cmpuint(pw, ==, jw);
  g_assert_cmpuint(ph, ==, jh);
  decoded_png dp = { 0 };
  decode_png(png, png_len, &dp);
  g_assert_cmpuint(dp.width, ==, jw);
  g_assert_cmpuint(dp.height, ==, jh);
  /* The card's photo is greyscale (card-reference.md). */
  g_assert_cmpint(dp.color_type, ==, PNG_COLOR_TYPE_GRAY);
  decoded_png_clear(&dp);
  free(png);
}

static void test_vcard_wrong_value_spends_one_try_then_unlock_and_read(void)
{
  myna_vcard *vcard = myna_test_vcard_new("adult", 0);
  myna_card *card = myna_test_open(vcard);

  /* Nothing unlocked yet: the read is refused without an APDU. */
  myna_face_data *d = NULL;
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  int tries = -1;
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &tries), ==,
                  MYNA_OK);
  int start = tries;
  g_assert_cmpint(start, >, 1);

  myna_secret *wrong = myna_test_secret("55021720359999");
  int left = -1;
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, wrong, &left), ==,
                  MYNA_E_WRONG_PIN);
  myna_secret_free(wrong);
  g_assert_cmpint(left, ==, start - 1);
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &tries), ==,
                  MYNA_OK);
  g_assert_cmpint(tries, ==, start - 1);

  myna_secret *code = myna_test_secret("2285");
  myna_secret *vb = NULL;
  g_assert_cmpint(myna_face_ap_make_verification_b(1980, 2, 17, 2035, code,
                                                   &vb),
                  ==, MYNA_OK);
  myna_secret_free(code);
  g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, NULL), ==,
                  MYNA_OK);
  myna_secret_free(vb);
  /* A right value restores the counter, as on the real card. */
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &tries), ==,
                  MYNA_OK);
  g_assert_cmpint(tries, ==, start);

  g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_OK);
  g_autoptr(GBytes) photo = profile_file(vcard, "face", "photo");
  gsize photo_len = 0;
  const uint8_t *photo_data = g_bytes_get_data(photo, &photo_len);
  g_assert_cmpmem(d->photo, d->photo_len, photo_data, photo_len);
  check_photo_png(d);
  myna_face_data_free(d);

  myna_card_free(card);
  myna_test_vcard_free(vcard);
}

static void test_vcard_read_on_every_reader_path(void)
{
  /* The same photo through extended APDUs, short APDUs only, and T=0. */
  static const unsigned quirks[] = { 0, MYNA_VCARD_QUIRK_SHORT_ONLY,
                                     MYNA_VCARD_QUIRK_T0 };
  for(size_t i = 0; i < G_N_ELEMENTS(quirks); i++) {
    myna_vcard *vcard = myna_test_vcard_new("adult", quirks[i]);
    myna_card *card = myna_test_open(vcard);
    myna_secret *vb = myna_test_secret("55021720352285");
    g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, NULL), ==,
                    MYNA_OK);
    myna_secret_free(vb);
    myna_face_data *d = NULL;
    g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_OK);
    g_autoptr(GBytes) photo = profile_file(vcard, "face", "photo");
    gsize photo_len = 0;
    const uint8_t *photo_data = g_bytes_get_data(photo, &photo_len);
    g_assert_cmpmem(d->photo, d->photo_len, photo_data, photo_len);
    myna_face_data_free(d);
    myna_card_free(card);
    myna_test_vcard_free(vcard);
  }
}

/* Leading decimal digits of s (after spaces), at most max of them. */
static char *digits_of(const char *s, size_t max)
{
  while(*s == ' ' || *s == '\t')
    s++;
  size_t n = 0;
  while(n < max && g_ascii_isdigit(s[n]))
    n++;
  return g_strndup(s, n);
}

static void test_verification_b_matches_generated_profiles(void)
{
  /* The generator computes 照合番号B with its own era conversion: the two
   * must agree on every profile. */
  g_autofree char *root = g_build_filename(myna_test_pki_dir(), "profiles",
                                           NULL);
  GError *error = NULL;
  g_autoptr(GDir) dir = g_dir_open(root, 0, &error);
  g_assert_no_error(error);
  unsigned checked = 0;
  bool seen_adult = false, seen_taisho = false, seen_minimal = false;
  const char *name;
  while((name = g_dir_read_name(dir))) {
    g_autofree char *ini = g_build_filename(root, name, "profile.ini", NULL);
    if(!g_file_test(ini, G_FILE_TEST_IS_REGULAR))
      continue;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    g_autofree char *birth_v = g_key_file_get_string(kf, "text", "birth", NULL);
    g_autofree char *expiry_v = g_key_file_get_string(kf, "face", "expiry",
                                                      NULL);
    g_autofree char *vb_v = g_key_file_get_string(kf, "face",
                                                  "verification_b", NULL);
    if(!birth_v || !expiry_v || !vb_v)
      continue; /* a card without a surface AP */
    g_autofree char *birth = digits_of(birth_v, 8);
    g_autofree char *expiry = digits_of(expiry_v, 8);
    g_autofree char *want = digits_of(vb_v, 14);
    g_assert_cmpuint(strlen(birth), ==, 8);
    g_assert_cmpuint(strlen(expiry), ==, 8);
    g_assert_cmpuint(strlen(want), ==, 14);
    int y = (int)g_ascii_strtoll(birth, NULL, 10) / 10000;
    int m = (int)(g_ascii_strtoll(birth, NULL, 10) / 100 % 100);
    int dd = (int)(g_ascii_strtoll(birth, NULL, 10) % 100);
    int ey = (int)g_ascii_strtoll(expiry, NULL, 10) / 10000;
    myna_secret *code = myna_test_secret(want + 10);
    myna_secret *vb = NULL;
    g_test_message("profile %s: %s %s -> %s", name, birth, expiry, want);
    g_assert_cmpint(myna_face_ap_make_verification_b(y, m, dd, ey, code, &vb),
                    ==, MYNA_OK);
    g_assert_cmpmem(myna_secret_bytes(vb), myna_secret_len(vb), want, 14);
    myna_secret_free(vb);
    myna_secret_free(code);
    checked++;
    if(!strcmp(name, "adult")) {
      seen_adult = true;
      g_assert_cmpstr(birth, ==, "19800217");
      g_assert_cmpstr(want, ==, "55021720352285");
    }
    else if(!strcmp(name, "taisho")) {
      seen_taisho = true;
      g_assert_cmpstr(birth, ==, "19120730");
      g_assert_true(g_str_has_prefix(want, "010730")); /* 大正元年 */
    }
    else if(!strcmp(name, "minimal")) {
      seen_minimal = true;
      g_assert_cmpstr(birth, ==, "19890108");
      g_assert_true(g_str_has_prefix(want, "010108")); /* 平成元年 */
    }
  }
  g_assert_true(seen_adult);
  g_assert_true(seen_taisho);
  g_assert_true(seen_minimal);
  g_assert_cmpuint(checked, >=, 3);
}

static void test_vcard_eras_on_boundary_profiles(void)
{
  /* Profiles born on the first day of an era unlock with the value built
   * here, which needs the era year right to the day. */
  static const char *profiles[] = { "taisho", "minimal" };
  for(size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
    myna_vcard *vcard = myna_test_vcard_new(profiles[i], 0);
    g_autofree char *ini = g_build_filename(myna_test_vcard_dir(vcard),
                                            "profile.ini", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *error = NULL;
    g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    g_autofree char *birth_v = g_key_file_get_string(kf, "text", "birth",
                                                     &error);
    g_assert_no_error(error);
    g_autofree char *expiry_v = g_key_file_get_string(kf, "face", "expiry",
                                                      &error);
    g_assert_no_error(error);
    g_autofree char *vb_v = g_key_file_get_string(kf, "face", "verification_b",
                                                  &error);
    g_assert_no_error(error);
    g_autofree char *birth = digits_of(birth_v, 8);
    g_autofree char *expiry = digits_of(expiry_v, 8);
    g_autofree char *vb_s = digits_of(vb_v, 14);
    gint64 b = g_ascii_strtoll(birth, NULL, 10);
    myna_secret *code = myna_test_secret(vb_s + 10);
    myna_secret *vb = NULL;
    g_assert_cmpint(myna_face_ap_make_verification_b(
                      (int)(b / 10000), (int)(b / 100 % 100), (int)(b % 100),
                      (int)(g_ascii_strtoll(expiry, NULL, 10) / 10000), code,
                      &vb),
                    ==, MYNA_OK);
    myna_secret_free(code);
    myna_card *card = myna_test_open(vcard);
    g_assert_cmpint(myna_face_ap_unlock(card, MYNA_FACE_KEY_B, vb, NULL), ==,
                    MYNA_OK);
    myna_secret_free(vb);
    myna_face_data *d = NULL;
    g_assert_cmpint(myna_face_ap_read(card, &d), ==, MYNA_OK);
    check_photo_png(d);
    myna_face_data_free(d);
    myna_card_free(card);
    myna_test_vcard_free(vcard);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/faceap/parse/well-formed", test_parse_well_formed);
  g_test_add_func("/faceap/parse/accepts-filler-and-unknown-tags",
                  test_parse_accepts_filler_and_unknown_tags);
  g_test_add_func("/faceap/parse/missing-optional-fields-are-null",
                  test_parse_missing_optional_fields_are_null);
  g_test_add_func("/faceap/parse/requires-photo", test_parse_requires_photo);
  g_test_add_func("/faceap/parse/every-truncation-fails",
                  test_parse_every_truncation_fails);
  g_test_add_func("/faceap/parse/rejects-hostile-input",
                  test_parse_rejects_hostile_input);
  g_test_add_func("/faceap/parse/random-mutations-stay-in-bounds",
                  test_parse_random_mutations_stay_in_bounds);
  g_test_add_func("/faceap/mock/unlock-b-and-read-short-apdus",
                  test_mock_unlock_and_read_short);
  g_test_add_func("/faceap/mock/unlock-a-and-read-extended-apdu",
                  test_mock_unlock_with_my_number_and_read_extended);
  g_test_add_func("/faceap/mock/wrong-value-reports-tries",
                  test_mock_wrong_value_reports_tries);
  g_test_add_func("/faceap/mock/malformed-values-send-nothing",
                  test_mock_malformed_values_send_nothing);
  g_test_add_func("/faceap/mock/read-rejects-ef-without-photo",
                  test_mock_read_rejects_bad_ef);
#define ADD_JP2(path, fn)                                                    \
  g_test_add(path, jp2_dir, NULL, jp2_dir_setup, fn, jp2_dir_teardown)
  ADD_JP2("/faceap/jp2/grey-lossless-roundtrip",
          test_jp2_grey_lossless_roundtrip);
  ADD_JP2("/faceap/jp2/16-bit-scaled-to-8", test_jp2_16_bit_scaled_to_8);
  ADD_JP2("/faceap/jp2/12-bit-scaled-to-8", test_jp2_12_bit_scaled_to_8);
  ADD_JP2("/faceap/jp2/signed-shifted", test_jp2_signed_shifted);
  ADD_JP2("/faceap/jp2/rgb", test_jp2_rgb);
  ADD_JP2("/faceap/jp2/rgba", test_jp2_rgba);
  ADD_JP2("/faceap/jp2/subsampled-rejected", test_jp2_subsampled_rejected);
  ADD_JP2("/faceap/jp2/garbage-is-decode-error",
          test_jp2_garbage_is_decode_error);
  ADD_JP2("/faceap/jp2/huge-declared-size-rejected",
          test_jp2_huge_declared_size_rejected);
  ADD_JP2("/faceap/jp2/truncations-never-crash",
          test_jp2_truncations_never_crash);
  g_test_add_func("/faceap/vcard/wrong-value-spends-one-try-then-unlock-read",
                  test_vcard_wrong_value_spends_one_try_then_unlock_and_read);
  g_test_add_func("/faceap/vcard/read-on-every-reader-path",
                  test_vcard_read_on_every_reader_path);
  g_test_add_func("/faceap/vcard/verification-b-matches-generated-profiles",
                  test_verification_b_matches_generated_profiles);
  g_test_add_func("/faceap/vcard/era-boundary-profiles-unlock",
                  test_vcard_eras_on_boundary_profiles);
  return g_test_run();
}
