/* test_era.c - Gregorian dates to Japanese eras, to the day at every
 * boundary, and 照合番号B built from them. */
#include "testutil.h"

#include <string.h>

typedef struct era_case {
  int y, m, d;
  myna_era era;
  int era_year;
} era_case;

static void check_era(const era_case *c)
{
  myna_era era = (myna_era)-1;
  int year = -1;
  g_test_message("%04d-%02d-%02d", c->y, c->m, c->d);
  g_assert_cmpint(myna_japanese_era(c->y, c->m, c->d, &era, &year), ==,
                  MYNA_OK);
  g_assert_cmpint(era, ==, c->era);
  g_assert_cmpint(year, ==, c->era_year);
}

static void test_era_boundaries_both_sides(void)
{
  static const era_case cases[] = {
    { 1868,  1, 25, MYNA_ERA_MEIJI,  1 },
    { 1912,  7, 29, MYNA_ERA_MEIJI,  45 },
    { 1912,  7, 30, MYNA_ERA_TAISHO, 1 },
    { 1926, 12, 24, MYNA_ERA_TAISHO, 15 },
    { 1926, 12, 25, MYNA_ERA_SHOWA,  1 },
    { 1989,  1,  7, MYNA_ERA_SHOWA,  64 },
    { 1989,  1,  8, MYNA_ERA_HEISEI, 1 },
    { 2019,  4, 30, MYNA_ERA_HEISEI, 31 },
    { 2019,  5,  1, MYNA_ERA_REIWA,  1 },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    check_era(&cases[i]);
}

static void test_era_first_year_is_gannen(void)
{
  /* 元年 runs from the first day of the era to the end of that Gregorian
   * year; the next year is 2 on 1 January, not on the era's anniversary. */
  static const era_case cases[] = {
    { 1912, 12, 31, MYNA_ERA_TAISHO, 1 },
    { 1913,  1,  1, MYNA_ERA_TAISHO, 2 },
    { 1926, 12, 31, MYNA_ERA_SHOWA,  1 },
    { 1927,  1,  1, MYNA_ERA_SHOWA,  2 },
    { 1989, 12, 31, MYNA_ERA_HEISEI, 1 },
    { 1990,  1,  1, MYNA_ERA_HEISEI, 2 },
    { 2019, 12, 31, MYNA_ERA_REIWA,  1 },
    { 2020,  1,  1, MYNA_ERA_REIWA,  2 },
    { 1980,  2, 17, MYNA_ERA_SHOWA,  55 },
    { 9999, 12, 31, MYNA_ERA_REIWA,  7981 },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    check_era(&cases[i]);
}

static void test_era_leap_days(void)
{
  static const era_case cases[] = {
    { 2000, 2, 29, MYNA_ERA_HEISEI, 12 }, /* divisible by 400 */
    { 1988, 2, 29, MYNA_ERA_SHOWA,  63 },
    { 2024, 2, 29, MYNA_ERA_REIWA,  6 },
    { 1904, 2, 29, MYNA_ERA_MEIJI,  37 },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    check_era(&cases[i]);
}

static void test_era_rejects_impossible_dates(void)
{
  static const int bad[][3] = {
    { 1900,  2, 29 }, /* divisible by 100, not by 400 */
    { 2100,  2, 29 },
    { 2023,  2, 29 },
    { 2023,  2, 30 },
    { 2023,  4, 31 },
    { 2023, 13,  1 },
    { 2023,  0,  1 },
    { 2023,  1,  0 },
    { 2023,  1, 32 },
    { 2023, -1,  1 },
    { 1868,  1, 24 }, /* the day before 明治 */
    { 1867, 12, 31 },
    {    0,  1,  1 },
    { 10000, 1,  1 },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    myna_era era = MYNA_ERA_REIWA;
    int year = 0;
    g_test_message("%d-%d-%d", bad[i][0], bad[i][1], bad[i][2]);
    g_assert_cmpint(myna_japanese_era(bad[i][0], bad[i][1], bad[i][2], &era,
                                      &year), ==, MYNA_E_INVALID_ARGUMENT);
  }
  myna_era era;
  int year;
  g_assert_cmpint(myna_japanese_era(2000, 1, 1, NULL, &year), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_japanese_era(2000, 1, 1, &era, NULL), ==,
                  MYNA_E_INVALID_ARGUMENT);
}

static void test_era_names(void)
{
  g_assert_cmpstr(myna_era_name_ja(MYNA_ERA_MEIJI), ==, "明治");
  g_assert_cmpstr(myna_era_name_ja(MYNA_ERA_TAISHO), ==, "大正");
  g_assert_cmpstr(myna_era_name_ja(MYNA_ERA_SHOWA), ==, "昭和");
  g_assert_cmpstr(myna_era_name_ja(MYNA_ERA_HEISEI), ==, "平成");
  g_assert_cmpstr(myna_era_name_ja(MYNA_ERA_REIWA), ==, "令和");
  g_assert_cmpstr(myna_era_name(MYNA_ERA_MEIJI), ==, "Meiji");
  g_assert_cmpstr(myna_era_name(MYNA_ERA_TAISHO), ==, "Taisho");
  g_assert_cmpstr(myna_era_name(MYNA_ERA_SHOWA), ==, "Showa");
  g_assert_cmpstr(myna_era_name(MYNA_ERA_HEISEI), ==, "Heisei");
  g_assert_cmpstr(myna_era_name(MYNA_ERA_REIWA), ==, "Reiwa");
  /* Never NULL, even for a value outside the enum. */
  g_assert_nonnull(myna_era_name((myna_era)42));
  g_assert_nonnull(myna_era_name_ja((myna_era)42));
}

/* 照合番号B for the date and code, compared as bytes (never as a C string
 * inside the library; here it is test data). */
static void check_verification_b(int y, int m, int d, int expiry,
                                 const char *code, const char *want)
{
  myna_secret *sc = myna_test_secret(code);
  myna_secret *vb = NULL;
  g_assert_cmpint(myna_face_ap_make_verification_b(y, m, d, expiry, sc, &vb),
                  ==, MYNA_OK);
  g_assert_nonnull(vb);
  g_assert_cmpmem(myna_secret_bytes(vb), myna_secret_len(vb), want,
                  strlen(want));
  myna_secret_free(vb);
  myna_secret_free(sc);
}

static void test_verification_b_card_reference_example(void)
{
  /* card-reference.md: 1980-02-17 (昭和55), expiry 2035, code 2285 */
  check_verification_b(1980, 2, 17, 2035, "2285", "55021720352285");
}

static void test_verification_b_era_year_padded(void)
{
  check_verification_b(1989, 1, 8, 2032, "5508", "01010820325508");
  check_verification_b(1912, 7, 30, 2028, "9263", "01073020289263");
  check_verification_b(1912, 7, 29, 2028, "9263", "45072920289263");
  check_verification_b(2019, 5, 1, 2029, "0000", "01050120290000");
  check_verification_b(2016, 5, 3, 2029, "4817", "28050320294817");
  check_verification_b(2027, 1, 1, 2032, "0101", "09010120320101");
  check_verification_b(1926, 12, 25, 2031, "1199", "01122520311199");
}

static void check_verification_b_fails(int y, int m, int d, int expiry,
                                       const char *code, myna_rv want)
{
  myna_secret *sc = myna_test_secret(code);
  myna_secret *vb = sc; /* must be reset to NULL */
  g_test_message("%d-%d-%d %d \"%s\"", y, m, d, expiry, code);
  g_assert_cmpint(myna_face_ap_make_verification_b(y, m, d, expiry, sc, &vb),
                  ==, want);
  g_assert_null(vb);
  myna_secret_free(sc);
}

static void test_verification_b_rejects_bad_security_codes(void)
{
  /* The security code is typed by the resident: a wrong shape is a
   * PIN-format error (MYNA_E_PIN_FORMAT), refused locally. */
  static const char *bad[] = { "228", "22855", "", "22a5", "ABCD", "22 5",
                               "２２８５" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    check_verification_b_fails(1980, 2, 17, 2035, bad[i], MYNA_E_PIN_FORMAT);
}

static void test_verification_b_rejects_bad_dates(void)
{
  /* Dates and years come from the program, not from the keypad: a wrong one
   * is MYNA_E_INVALID_ARGUMENT. */
  check_verification_b_fails(1981, 2, 29, 2035, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(1980, 13, 17, 2035, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(1980, 2, 0, 2035, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(1868, 1, 24, 2035, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  /* Expiry: 4 digits, 2016..2099, not before the birth. */
  check_verification_b_fails(1980, 2, 17, 35, "2285", MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(1980, 2, 17, 2015, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(1980, 2, 17, 2100, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b_fails(2090, 2, 17, 2089, "2285",
                             MYNA_E_INVALID_ARGUMENT);
  check_verification_b(2099, 12, 31, 2099, "2285", "81123120992285");

  myna_secret *sc = myna_test_secret("2285");
  myna_secret *vb = NULL;
  g_assert_cmpint(myna_face_ap_make_verification_b(1980, 2, 17, 2035, NULL,
                                                   &vb),
                  ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_null(vb);
  g_assert_cmpint(myna_face_ap_make_verification_b(1980, 2, 17, 2035, sc,
                                                   NULL),
                  ==, MYNA_E_INVALID_ARGUMENT);
  myna_secret_free(sc);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/era/boundaries-both-sides", test_era_boundaries_both_sides);
  g_test_add_func("/era/first-year-is-gannen", test_era_first_year_is_gannen);
  g_test_add_func("/era/leap-days", test_era_leap_days);
  g_test_add_func("/era/rejects-impossible-dates",
                  test_era_rejects_impossible_dates);
  g_test_add_func("/era/names", test_era_names);
  g_test_add_func("/era/verification-b/card-reference-example",
                  test_verification_b_card_reference_example);
  g_test_add_func("/era/verification-b/era-year-zero-padded",
                  test_verification_b_era_year_padded);
  g_test_add_func("/era/verification-b/rejects-bad-security-codes",
                  test_verification_b_rejects_bad_security_codes);
  g_test_add_func("/era/verification-b/rejects-bad-dates",
                  test_verification_b_rejects_bad_dates);
  return g_test_run();
}
