/* test_tlv.c - BER-TLV parsing stays inside its buffer on any input. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_parse_forms(void)
{
  uint8_t b[300];
  myna_tlv t;
  size_t n = myna_test_unhex("DF 22 03 41 42 43", b, sizeof(b));
  g_assert_cmpint(myna_tlv_parse(b, n, &t), ==, MYNA_OK);
  g_assert_cmphex(t.tag, ==, 0xDF22);
  g_assert_cmpuint(t.len, ==, 3);
  g_assert_cmpuint(t.header_len, ==, 3);
  g_assert_cmpmem(t.value, 3, "ABC", 3);

  n = myna_test_unhex("FF 20 81 80", b, sizeof(b));
  memset(b + n, 0x41, 0x80);
  g_assert_cmpint(myna_tlv_parse(b, n + 0x80, &t), ==, MYNA_OK);
  g_assert_cmphex(t.tag, ==, 0xFF20);
  g_assert_cmpuint(t.len, ==, 0x80);

  n = myna_test_unhex("30 82 01 00", b, sizeof(b));
  memset(b + n, 0, 256);
  g_assert_cmpint(myna_tlv_parse(b, n + 256, &t), ==, MYNA_OK);
  g_assert_cmpuint(t.len, ==, 256);
}

static void test_rejects_bad_lengths(void)
{
  static const char *bad[] = {
    "",                 /* empty */
    "30",               /* no length */
    "30 80 00 00",      /* indefinite */
    "30 85 01 00 00 00 00 00", /* 5 length bytes */
    "30 82 01",         /* length cut */
    "30 03 01 02",      /* value cut */
    "DF",               /* tag cut */
    "DF 81",            /* tag continues past the end */
    "DF 81 81 01 00",   /* 4-byte tag */
    "30 84 FF FF FF FF 00",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    uint8_t b[16];
    size_t n = myna_test_unhex(bad[i], b, sizeof(b));
    /* an exact-size heap copy lets ASan catch any read past the end */
    uint8_t *h = g_memdup2(b, n ? n : 1);
    myna_tlv t;
    g_assert_cmpint(myna_tlv_parse(h, n, &t), ==, MYNA_E_BAD_DATA);
    g_free(h);
  }
}

static void test_find_and_filler(void)
{
  uint8_t b[64];
  size_t n = myna_test_unhex("DF 21 02 00 01 DF 22 01 41 DF 25 01 31 FF FF 00",
                             b, sizeof(b));
  myna_tlv t;
  g_assert_cmpint(myna_tlv_find(b, n, 0xDF25, &t), ==, MYNA_OK);
  g_assert_cmpuint(t.value[0], ==, '1');
  g_assert_cmpint(myna_tlv_find(b, n, 0xDF26, &t), ==, MYNA_E_FILE_NOT_FOUND);
  /* a sibling whose length runs past the parent is an error, not a miss */
  n = myna_test_unhex("DF 21 02 00 01 DF 22 09 41", b, sizeof(b));
  g_assert_cmpint(myna_tlv_find(b, n, 0xDF25, &t), ==, MYNA_E_BAD_DATA);
}

static void test_der_object_size(void)
{
  uint8_t b[8];
  size_t total = 0;
  size_t n = myna_test_unhex("30 82 06 5A 30 82", b, sizeof(b));
  g_assert_cmpint(myna_der_object_size(b, n, &total), ==, MYNA_OK);
  g_assert_cmpuint(total, ==, 0x65A + 4);
  n = myna_test_unhex("30 82 06", b, sizeof(b));
  g_assert_cmpint(myna_der_object_size(b, n, &total), ==, MYNA_E_BAD_DATA);
  n = myna_test_unhex("30 80", b, sizeof(b));
  g_assert_cmpint(myna_der_object_size(b, n, &total), ==, MYNA_E_BAD_DATA);
}

/* Filler before and after objects: a lookup walks the filler once. The
 * shape is the one a hostile card used to make each lookup quadratic. */
static void test_find_after_long_filler(void)
{
  size_t n = 4 + 65526 + 4;
  uint8_t *b = g_malloc0(n);
  memcpy(b, "\xFF\x20\x82\xFF", 4);
  memcpy(b + n - 4, "\xDF\x27\x01\x41", 4);
  myna_tlv t;
  /* inside: 00 00 pairs parse as empty objects until the real one */
  g_assert_cmpint(myna_tlv_find(b + 4, n - 4, 0xDF27, &t), ==, MYNA_OK);
  g_assert_cmpuint(t.len, ==, 1);
  g_assert_cmpuint(t.value[0], ==, 0x41);
  g_assert_cmpuint(myna_tlv_filler_start(b + 4, n - 8), ==, 0);
  g_assert_cmpuint(myna_tlv_filler_start(b, 3), ==, 3);
  g_assert_cmpuint(myna_tlv_filler_start(b, 4), ==, 3);
  /* trailing filler ends the walk */
  memset(b + n - 4, 0xFF, 4);
  g_assert_cmpint(myna_tlv_find(b + 4, n - 4, 0xDF27, &t), ==, MYNA_E_FILE_NOT_FOUND);
  g_free(b);
}

/* Random buffers of every small size: parse, find and size must return
 * without reading outside (checked by ASan in the sanitizer build). */
static void test_random_input(void)
{
  GRand *r = g_rand_new_with_seed(20261123);
  for(int round = 0; round < 20000; round++) {
    size_t n = (size_t)g_rand_int_range(r, 0, 40);
    uint8_t *b = g_malloc(n ? n : 1);
    for(size_t i = 0; i < n; i++) {
      uint32_t v = g_rand_int(r);
      /* bias towards interesting bytes */
      static const uint8_t pick[] = { 0x30, 0x82, 0x81, 0x80, 0xFF, 0xDF,
                                      0x20, 0x00, 0x84, 0x1F };
      b[i] = (v & 1) ? pick[(v >> 1) % sizeof(pick)] : (uint8_t)(v >> 8);
    }
    myna_tlv t;
    size_t total;
    if(myna_tlv_parse(b, n, &t) == MYNA_OK)
      g_assert_true(t.value + t.len <= b + n);
    (void)myna_tlv_find(b, n, 0xDF22, &t);
    (void)myna_der_object_size(b, n, &total);
    myna_basic_info *info = NULL;
    if(myna_text_ap_parse_basic_info(b, n, &info) == MYNA_OK)
      myna_basic_info_free(info);
    g_free(b);
  }
  g_rand_free(r);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tlv/parse-forms", test_parse_forms);
  g_test_add_func("/tlv/rejects-bad-lengths", test_rejects_bad_lengths);
  g_test_add_func("/tlv/find-and-filler", test_find_and_filler);
  g_test_add_func("/tlv/der-object-size", test_der_object_size);
  g_test_add_func("/tlv/find-after-long-filler", test_find_after_long_filler);
  g_test_add_func("/tlv/random-input", test_random_input);
  return g_test_run();
}
