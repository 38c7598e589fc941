/* test_pin.c - PIN rules refuse locally what the card would reject, and the
 * secret type holds, compares and wipes. */
#include "testutil.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static myna_rv norm(myna_pin_kind kind, const char *in, char *out, size_t cap)
{
  myna_secret *s = myna_test_secret(in);
  myna_secret *n = NULL;
  myna_rv rv = myna_pin_normalize(kind, s, &n);
  myna_secret_free(s);
  if(rv == MYNA_OK) {
    g_assert_cmpuint(myna_secret_len(n), <, cap);
    memcpy(out, myna_secret_bytes(n), myna_secret_len(n));
    out[myna_secret_len(n)] = 0;
    myna_secret_free(n);
  }
  else
    g_assert_null(n);
  return rv;
}

static void test_auth_and_text_pin_four_digits(void)
{
  char out[32];
  g_assert_cmpint(norm(MYNA_PIN_JPKI_AUTH, "1234", out, sizeof(out)), ==, MYNA_OK);
  g_assert_cmpstr(out, ==, "1234");
  static const char *bad[] = { "", "123", "12345", "12a4", "１２３４", " 1234" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_cmpint(norm(MYNA_PIN_JPKI_AUTH, bad[i], out, sizeof(out)), ==,
                    MYNA_E_PIN_FORMAT);
    g_assert_cmpint(norm(MYNA_PIN_TEXT, bad[i], out, sizeof(out)), ==,
                    MYNA_E_PIN_FORMAT);
  }
}

static void test_sign_password_uppercased(void)
{
  char out[32];
  g_assert_cmpint(norm(MYNA_PIN_JPKI_SIGN, "sign2026", out, sizeof(out)), ==,
                  MYNA_OK);
  g_assert_cmpstr(out, ==, "SIGN2026");
  g_assert_cmpint(norm(MYNA_PIN_JPKI_SIGN, "Ab12cD", out, sizeof(out)), ==,
                  MYNA_OK);
  g_assert_cmpstr(out, ==, "AB12CD");
  g_assert_cmpint(norm(MYNA_PIN_JPKI_SIGN, "ABCDEFGHIJ123456", out, sizeof(out)),
                  ==, MYNA_OK);
}

static void test_sign_password_refused(void)
{
  char out[32];
  static const char *bad[] = { "ABC12", "ABCDEFGHIJ1234567", "ABC 123",
                               "ABC-123", "ÄBC123", "ＡＢＣ１２３", "" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_cmpint(norm(MYNA_PIN_JPKI_SIGN, bad[i], out, sizeof(out)), ==,
                    MYNA_E_PIN_FORMAT);
}

static void test_face_b_fourteen_digits(void)
{
  char out[32];
  g_assert_cmpint(norm(MYNA_PIN_FACE_B, "55021720352285", out, sizeof(out)), ==,
                  MYNA_OK);
  g_assert_cmpint(norm(MYNA_PIN_FACE_B, "5502172035228", out, sizeof(out)), ==,
                  MYNA_E_PIN_FORMAT);
}

/* Known answers for the check digit of the ordinance (Q_n = n - 5 for n >= 7). */
static void test_my_number_check_digit(void)
{
  g_assert_cmpint(myna_my_number_check_digit("12345678901"), ==, 8);
  g_assert_cmpint(myna_my_number_check_digit("98320567321"), ==, 4);
  g_assert_cmpint(myna_my_number_check_digit("1234567890"), ==, -1);
  g_assert_cmpint(myna_my_number_check_digit("1234567890a"), ==, -1);
  char out[32];
  g_assert_cmpint(norm(MYNA_PIN_MY_NUMBER, "123456789018", out, sizeof(out)), ==,
                  MYNA_OK);
  g_assert_cmpint(norm(MYNA_PIN_MY_NUMBER, "123456789011", out, sizeof(out)), ==,
                  MYNA_E_PIN_FORMAT);
}

static void test_secret_basics(void)
{
  myna_secret *a = myna_test_secret("1234");
  myna_secret *b = myna_test_secret("1234");
  myna_secret *c = myna_test_secret("1235");
  g_assert_true(myna_secret_equal(a, b));
  g_assert_false(myna_secret_equal(a, c));
  g_assert_cmpuint(myna_secret_len(a), ==, 4);
  myna_secret_clear(a);
  g_assert_cmpuint(myna_secret_len(a), ==, 0);
  /* the buffer itself is wiped, not only the length */
  const uint8_t *p = myna_secret_bytes(a);
  for(size_t i = 0; i < 4; i++)
    g_assert_cmpuint(p[i], ==, 0);
  uint8_t big[MYNA_SECRET_MAX + 1] = { 0 };
  g_assert_cmpint(myna_secret_set(b, big, sizeof(big)), ==,
                  MYNA_E_BUFFER_TOO_SMALL);
  g_assert_null(myna_secret_from_bytes(big, sizeof(big)));
  myna_secret_free(a);
  myna_secret_free(b);
  myna_secret_free(c);
  myna_secret_free(NULL);
}

/* One secret per line; each read takes exactly one line and no more. */
static void test_secret_read_lines(void)
{
  int fds[2];
  g_assert_cmpint(pipe(fds), ==, 0);
  const char *in = "1234\r\nsign2026\n\n";
  g_assert_cmpint(write(fds[1], in, strlen(in)), ==, (ssize_t)strlen(in));
  close(fds[1]);
  myna_secret *s = NULL;
  g_assert_cmpint(myna_secret_read_line_fd(fds[0], &s), ==, MYNA_OK);
  g_assert_cmpmem(myna_secret_bytes(s), myna_secret_len(s), "1234", 4);
  myna_secret_free(s);
  g_assert_cmpint(myna_secret_read_line_fd(fds[0], &s), ==, MYNA_OK);
  g_assert_cmpmem(myna_secret_bytes(s), myna_secret_len(s), "sign2026", 8);
  myna_secret_free(s);
  g_assert_cmpint(myna_secret_read_line_fd(fds[0], &s), ==, MYNA_OK);
  g_assert_cmpuint(myna_secret_len(s), ==, 0);
  myna_secret_free(s);
  g_assert_cmpint(myna_secret_read_line_fd(fds[0], &s), ==, MYNA_E_IO);
  g_assert_null(s);
  close(fds[0]);
}

static void test_every_error_has_messages(void)
{
  for(int rv = 0; rv < MYNA_E_COUNT; rv++) {
    g_assert_cmpstr(myna_rv_name((myna_rv)rv), !=, "unknown");
    g_assert_cmpuint(strlen(myna_strerror((myna_rv)rv)), >, 5);
    g_assert_cmpuint(strlen(myna_strerror_ja((myna_rv)rv)), >, 5);
  }
  g_assert_cmpint(myna_rv_from_sw(0x63C2), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(myna_rv_from_sw(0x63C0), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(myna_rv_from_sw(0x6983), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(myna_rv_from_sw(0x6984), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(myna_rv_from_sw(0x6982), ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpint(myna_rv_from_sw(0x6A82), ==, MYNA_E_FILE_NOT_FOUND);
  g_assert_cmpint(myna_rv_from_sw(0x6F00), ==, MYNA_E_CARD_ERROR);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pin/auth-and-text-pin-four-digits",
                  test_auth_and_text_pin_four_digits);
  g_test_add_func("/pin/sign-password-uppercased", test_sign_password_uppercased);
  g_test_add_func("/pin/sign-password-refused", test_sign_password_refused);
  g_test_add_func("/pin/face-b-fourteen-digits", test_face_b_fourteen_digits);
  g_test_add_func("/pin/my-number-check-digit", test_my_number_check_digit);
  g_test_add_func("/secret/basics", test_secret_basics);
  g_test_add_func("/secret/read-lines", test_secret_read_lines);
  g_test_add_func("/error/every-error-has-messages", test_every_error_has_messages);
  return g_test_run();
}
