/* test_apdu.c - command encoding for cases 1-4 in short and extended form,
 * the card-side decoder, and response splitting. */
#include "testutil.h"

static char *encode_hex(const myna_apdu *a, bool ext, myna_rv *rv)
{
  uint8_t out[MYNA_APDU_MAX_COMMAND];
  size_t n = 0;
  *rv = myna_apdu_encode(a, ext, out, sizeof(out), &n);
  return *rv ? NULL : myna_test_hex(out, n);
}

static void check(const myna_apdu *a, bool ext, const char *want)
{
  myna_rv rv;
  g_autofree char *got = encode_hex(a, ext, &rv);
  g_assert_cmpint(rv, ==, MYNA_OK);
  g_assert_cmpstr(got, ==, want);
}

static void test_case1(void)
{
  myna_apdu a = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x80 };
  check(&a, false, "00 20 00 80");
  g_assert_cmpint(myna_apdu_case(&a), ==, 1);
}

static void test_case2_short_le_256_is_00(void)
{
  myna_apdu a = { .cla = 0, .ins = 0xB0, .ne = 256 };
  check(&a, true, "00 B0 00 00 00");
  a.ne = 17;
  check(&a, false, "00 B0 00 00 11");
  g_assert_cmpint(myna_apdu_case(&a), ==, 2);
}

static void test_case2_extended(void)
{
  myna_apdu a = { .cla = 0, .ins = 0xB0, .ne = 65536 };
  check(&a, true, "00 B0 00 00 00 00 00");
  a.ne = 1000;
  check(&a, true, "00 B0 00 00 00 03 E8");
}

static void test_extended_refused_when_not_allowed(void)
{
  myna_apdu a = { .cla = 0, .ins = 0xB0, .ne = 257 };
  myna_rv rv;
  g_autofree char *got = encode_hex(&a, false, &rv);
  g_assert_cmpint(rv, ==, MYNA_E_NOT_SUPPORTED);
  g_assert_null(got);
}

static void test_case3_select(void)
{
  static const uint8_t aid[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00,
                                 0x00, 0x00, 0x01 };
  myna_apdu a = { 0x00, 0xA4, 0x04, 0x0C, aid, sizeof(aid), 0, false };
  check(&a, true, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
  g_assert_cmpint(myna_apdu_case(&a), ==, 3);
}

static void test_case4_short_and_extended(void)
{
  uint8_t data[300];
  for(size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)i;
  myna_apdu a = { 0x80, 0x2A, 0x00, 0x80, data, 3, 256, false };
  check(&a, false, "80 2A 00 80 03 00 01 02 00");
  a.lc = 300;
  a.ne = 256;
  uint8_t out[MYNA_APDU_MAX_COMMAND];
  size_t n = 0;
  g_assert_cmpint(myna_apdu_encode(&a, true, out, sizeof(out), &n), ==, MYNA_OK);
  g_assert_cmpuint(n, ==, 4 + 3 + 300 + 2);
  g_assert_cmpuint(out[4], ==, 0);
  g_assert_cmpuint(out[5], ==, 0x01);
  g_assert_cmpuint(out[6], ==, 0x2C);
  g_assert_cmpuint(out[7 + 300], ==, 0x01); /* Le 256 in two bytes */
  g_assert_cmpuint(out[8 + 300], ==, 0x00);
}

static void test_bad_arguments(void)
{
  uint8_t out[8];
  size_t n;
  myna_apdu a = { .ne = 65537 };
  g_assert_cmpint(myna_apdu_encode(&a, true, out, sizeof(out), &n), ==,
                  MYNA_E_INVALID_ARGUMENT);
  myna_apdu b = { .lc = 3, .data = NULL };
  g_assert_cmpint(myna_apdu_encode(&b, true, out, sizeof(out), &n), ==,
                  MYNA_E_INVALID_ARGUMENT);
  uint8_t d[8] = { 0 };
  myna_apdu c = { .lc = 8, .data = d };
  g_assert_cmpint(myna_apdu_encode(&c, true, out, sizeof(out), &n), ==,
                  MYNA_E_BUFFER_TOO_SMALL);
}

static void test_split_response(void)
{
  uint8_t r[] = { 0x01, 0x02, 0x63, 0xC2 };
  size_t dl;
  uint16_t sw;
  g_assert_cmpint(myna_apdu_split_response(r, 4, &dl, &sw), ==, MYNA_OK);
  g_assert_cmpuint(dl, ==, 2);
  g_assert_cmphex(sw, ==, 0x63C2);
  g_assert_cmpint(myna_apdu_split_response(r, 1, &dl, &sw), ==,
                  MYNA_E_MALFORMED_RESPONSE);
  g_assert_cmpint(myna_apdu_split_response(r, 0, &dl, &sw), ==,
                  MYNA_E_MALFORMED_RESPONSE);
}

/* Every encodable command decodes back to itself. */
static void test_decode_roundtrip(void)
{
  static const size_t lcs[] = { 0, 1, 2, 255, 256, 1000 };
  static const size_t nes[] = { 0, 1, 255, 256, 257, 65536 };
  uint8_t data[1000];
  for(size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 7);
  for(size_t i = 0; i < G_N_ELEMENTS(lcs); i++) {
    for(size_t j = 0; j < G_N_ELEMENTS(nes); j++) {
      myna_apdu a = { 0x00, 0xB0, 0x12, 0x34, lcs[i] ? data : NULL, lcs[i],
                      nes[j], false };
      uint8_t out[MYNA_APDU_MAX_COMMAND];
      size_t n = 0;
      g_assert_cmpint(myna_apdu_encode(&a, true, out, sizeof(out), &n), ==,
                      MYNA_OK);
      myna_apdu b;
      bool ext = false;
      g_assert_cmpint(myna_apdu_decode(out, n, &b, &ext), ==, MYNA_OK);
      g_assert_cmpuint(b.lc, ==, a.lc);
      g_assert_cmpuint(b.ne, ==, a.ne);
      g_assert_cmpint(ext, ==, myna_apdu_needs_extended(&a));
      if(a.lc)
        g_assert_cmpmem(b.data, b.lc, data, a.lc);
    }
  }
}

static void test_decode_malformed(void)
{
  static const char *bad[] = {
    "", "00", "00 B0 00", "00 A4 04 0C 05 01 02", /* Lc beyond the data */
    "00 A4 04 0C 01 01 02 03",                    /* two bytes too many */
    "00 B0 00 00 00 01",                          /* extended, too short */
    "00 A4 04 0C 00 00 02 01",                    /* extended Lc beyond data */
    "00 A4 04 0C 00 00 00 01 02",                 /* extended Lc 0 with data */
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    uint8_t buf[32];
    size_t n = myna_test_unhex(bad[i], buf, sizeof(buf));
    myna_apdu a;
    g_assert_cmpint(myna_apdu_decode(buf, n, &a, NULL), ==, MYNA_E_WRONG_LENGTH);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/apdu/case1", test_case1);
  g_test_add_func("/apdu/case2-short-le-256-is-00", test_case2_short_le_256_is_00);
  g_test_add_func("/apdu/case2-extended", test_case2_extended);
  g_test_add_func("/apdu/extended-refused-when-not-allowed",
                  test_extended_refused_when_not_allowed);
  g_test_add_func("/apdu/case3-select", test_case3_select);
  g_test_add_func("/apdu/case4-short-and-extended", test_case4_short_and_extended);
  g_test_add_func("/apdu/bad-arguments", test_bad_arguments);
  g_test_add_func("/apdu/split-response", test_split_response);
  g_test_add_func("/apdu/decode-roundtrip", test_decode_roundtrip);
  g_test_add_func("/apdu/decode-malformed", test_decode_malformed);
  return g_test_run();
}
