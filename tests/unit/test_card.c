/* test_card.c - the session against scripted APDU traces: what is sent, in
 * which order, and what is never sent. Each script is the specification of
 * one behaviour. */
#include "testutil.h"

#include <string.h>

#define SEL_JPKI "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
#define SEL_TEXT "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"
#define OK "90 00"

static char *cert_hex; /* a 512-byte DER-shaped object: 30 82 01 FC + 508 bytes */
static char *cert_first256, *cert_rest256;
static char *sig_hex;

static void make_fixtures(void)
{
  GString *c = g_string_new("30 82 01 FC");
  for(int i = 0; i < 508; i++)
    g_string_append_printf(c, " %02X", i & 0xFF);
  uint8_t raw[512];
  size_t n = myna_test_unhex(c->str, raw, sizeof(raw));
  g_assert_cmpuint(n, ==, 512);
  g_autofree char *full = myna_test_hex(raw, 512);
  cert_hex = g_strconcat(full, " 90 00", NULL);
  g_autofree char *a = myna_test_hex(raw, 256);
  g_autofree char *b = myna_test_hex(raw + 256, 256);
  cert_first256 = g_strconcat(a, " 90 00", NULL);
  cert_rest256 = g_strconcat(b, " 90 00", NULL);
  g_string_free(c, TRUE);
  GString *s = g_string_new("");
  for(int i = 0; i < 256; i++)
    g_string_append_printf(s, "%02X ", (i * 3) & 0xFF);
  g_string_append(s, "90 00");
  sig_hex = g_string_free(s, FALSE);
}

static myna_card *open_script(const myna_test_exchange *x, size_t n, bool ext,
                              myna_test_mock **mock)
{
  myna_card *card = NULL;
  g_assert_cmpint(myna_card_open(myna_test_mock_transport(x, n, ext, mock), &card),
                  ==, MYNA_OK);
  return card;
}

static void test_certificate_one_extended_read_then_cached(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 0A", OK },
    { "00 B0 00 00 00 00 00", cert_hex },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  const uint8_t *der;
  size_t len;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der, &len),
                  ==, MYNA_OK);
  g_assert_cmpuint(len, ==, 512);
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der, &len),
                  ==, MYNA_OK);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, 3);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 3);
  myna_card_free(card);
}

static void test_certificate_short_transport_256_chunks(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 0A", OK },
    { "00 B0 00 00 00", cert_first256 },
    { "00 B0 01 00 00", cert_rest256 },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), false, &m);
  const uint8_t *der;
  size_t len;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der, &len),
                  ==, MYNA_OK);
  g_assert_cmpuint(len, ==, 512);
  g_assert_cmpuint(der[511], ==, 507 & 0xFF);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, 4);
  myna_card_free(card);
}

/* A card that refuses extended APDUs with 6700: fall back to short reads
 * for the rest of the session, at the cost of one APDU. */
static void test_extended_refused_falls_back(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 0A", OK },
    { "00 B0 00 00 00 00 00", "67 00" },
    { "00 B0 00 00 00", cert_first256 },
    { "00 B0 01 00 00", cert_rest256 },
    { "00 A4 02 0C 02 00 0B", OK },
    { "00 B0 00 00 00", cert_first256 },
    { "00 B0 01 00 00", cert_rest256 },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  const uint8_t *der;
  size_t len;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der, &len),
                  ==, MYNA_OK);
  g_assert_false(myna_card_uses_extended(card));
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH_CA, &der,
                                             &len), ==, MYNA_OK);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, G_N_ELEMENTS(x));
  myna_card_free(card);
}

/* T=0 paths: 61xx is fetched with GET RESPONSE, 6Cxx re-sent with Le = xx. */
static void test_t0_get_response_and_6c(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 02 0C 02 00 17", OK },
    { "80 2A 00 80 33 30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20"
      " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "61 00" },
    { "00 C0 00 00 00", sig_hex },
    { "00 A4 02 0C 02 00 06", OK },
    { "00 B0 00 00 20", "6C 10" },
    { "00 B0 00 00 10", "4A 50 4B 49 41 50 49 43 43 54 4F 4B 45 4E 32 20 90 00" },
    { "00 B0 00 10 10", "6B 00" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), false, &m);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==,
                  MYNA_OK);
  myna_secret_free(pin);
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sig_len = 0;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sig_len),
                  ==, MYNA_OK);
  g_assert_cmpuint(sig_len, ==, 256);
  g_assert_cmpuint(sig[1], ==, 3);
  char label[33];
  g_assert_cmpint(myna_jpki_token_label(card, label), ==, MYNA_OK);
  g_assert_cmpstr(label, ==, "JPKIAPICCTOKEN2");
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, G_N_ELEMENTS(x));
  myna_card_free(card);
}

/* A wrong PIN costs exactly one VERIFY; the answer is never retried. */
static void test_wrong_pin_one_verify_no_retry(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80", "63 C3" },
    { "00 20 00 80 04 31 32 33 35", "63 C2" },
    { "00 20 00 80", "63 C2" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 3);
  myna_secret *pin = myna_test_secret("1235");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, &tries), ==,
                  MYNA_E_WRONG_PIN);
  g_assert_cmpint(tries, ==, 2);
  myna_secret_free(pin);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 2);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, G_N_ELEMENTS(x));
  myna_card_free(card);
}

static void test_blocking_answers(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 1B", OK },
    { "00 20 00 80 06 41 42 43 31 32 33", "63 C0" },
    { "00 20 00 80", "69 84" },
    { "00 20 00 80 06 41 42 43 31 32 33", "69 83" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  int tries = -1;
  myna_secret *pw = myna_test_secret("abc123");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, pw, &tries), ==,
                  MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(tries, ==, 0);
  tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_SIGN, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 0);
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, pw, &tries), ==,
                  MYNA_E_PIN_BLOCKED);
  myna_secret_free(pw);
  myna_card_free(card);
}

/* Refused locally: no APDU at all, not even a SELECT. */
static void test_bad_pins_send_nothing(void)
{
  myna_test_mock *m;
  myna_card *card = open_script(NULL, 0, true, &m);
  static const char *auth_bad[] = { "123", "12345", "abcd", "" };
  for(size_t i = 0; i < G_N_ELEMENTS(auth_bad); i++) {
    myna_secret *p = myna_test_secret(auth_bad[i]);
    g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, p, NULL), ==,
                    MYNA_E_PIN_FORMAT);
    g_assert_cmpint(myna_text_ap_verify(card, p, NULL), ==, MYNA_E_PIN_FORMAT);
    myna_secret_free(p);
  }
  static const char *sign_bad[] = { "abc12", "ABC 123", "ABCDEFGHIJKLMNOPQ" };
  for(size_t i = 0; i < G_N_ELEMENTS(sign_bad); i++) {
    myna_secret *p = myna_test_secret(sign_bad[i]);
    g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, p, NULL), ==,
                    MYNA_E_PIN_FORMAT);
    myna_secret_free(p);
  }
  /* Operations that need a verified PIN are refused without asking the card. */
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sl;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sl),
                  ==, MYNA_E_SECURITY_STATUS);
  const uint8_t *der;
  size_t len;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der, &len),
                  ==, MYNA_E_SECURITY_STATUS);
  myna_secret *np = myna_test_secret("5678");
  g_assert_cmpint(myna_jpki_change_pin(card, MYNA_JPKI_KEY_AUTH, np), ==,
                  MYNA_E_SECURITY_STATUS);
  myna_secret_free(np);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  myna_card_free(card);
}

/* A 6Cxx answer to a command carrying a PIN is not a reason to send the PIN
 * again. */
static void test_6c_on_verify_not_resent(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", "6C 04" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==,
                  MYNA_E_CARD_ERROR);
  myna_secret_free(pin);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, 3);
  myna_card_free(card);
}

static void test_hostile_responses(void)
{
  /* no status word */
  {
    myna_test_exchange x[] = { { SEL_JPKI, "90" } };
    myna_card *card = open_script(x, 1, true, NULL);
    g_assert_cmpint(myna_jpki_select(card), ==, MYNA_E_MALFORMED_RESPONSE);
    myna_card_free(card);
  }
  /* data on a command that asked for none */
  {
    myna_test_exchange x[] = { { SEL_JPKI, "01 02 90 00" } };
    myna_card *card = open_script(x, 1, true, NULL);
    g_assert_cmpint(myna_jpki_select(card), ==, MYNA_E_MALFORMED_RESPONSE);
    myna_card_free(card);
  }
  /* more bytes than Le after a 6C re-send */
  {
    myna_test_exchange x[] = {
      { SEL_JPKI, OK }, { "00 A4 02 0C 02 00 08", OK },
      { "00 B0 00 00 03", "8F 8F 00 00 90 00" },
    };
    myna_card *card = open_script(x, 3, true, NULL);
    bool a, s;
    g_assert_cmpint(myna_jpki_cert_availability(card, &a, &s), ==,
                    MYNA_E_MALFORMED_RESPONSE);
    myna_card_free(card);
  }
  /* a certificate header announcing 4 GB */
  {
    myna_test_exchange x[] = {
      { SEL_JPKI, OK }, { "00 A4 02 0C 02 00 0A", OK },
      { "00 B0 00 00 00 00 00", "30 84 FF FF FF FF 00 90 00" },
    };
    myna_card *card = open_script(x, 3, true, NULL);
    const uint8_t *der;
    size_t len;
    g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                               &len), ==, MYNA_E_BAD_DATA);
    myna_card_free(card);
  }
  /* a file shorter than its own header says */
  {
    myna_test_exchange x[] = {
      { SEL_JPKI, OK }, { "00 A4 02 0C 02 00 0A", OK },
      { "00 B0 00 00 00", cert_first256 },
      { "00 B0 01 00 00", "6B 00" },
    };
    myna_card *card = open_script(x, 4, false, NULL);
    const uint8_t *der;
    size_t len;
    g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                               &len), ==, MYNA_E_BAD_DATA);
    myna_card_free(card);
  }
  /* endless 61xx */
  {
    myna_test_exchange x[302];
    x[0] = (myna_test_exchange){ SEL_JPKI, OK };
    x[1] = (myna_test_exchange){ "00 A4 02 0C 02 00 06", OK };
    x[2] = (myna_test_exchange){ "00 B0 00 00 20", "61 01" };
    for(size_t i = 3; i < G_N_ELEMENTS(x); i++)
      x[i] = (myna_test_exchange){ "00 C0 00 00 01", "41 61 01" };
    myna_card *card = open_script(x, G_N_ELEMENTS(x), true, NULL);
    char label[33];
    g_assert_cmpint(myna_jpki_token_label(card, label), ==,
                    MYNA_E_MALFORMED_RESPONSE);
    myna_card_free(card);
  }
}

/* Removal forgets the selection: the next operation selects again. */
static void test_removal_forgets_state(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 02 0C 02 00 17", "REMOVED" },
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80", "63 C3" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sl;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sl),
                  ==, MYNA_E_CARD_REMOVED);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  int tries;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 3);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, G_N_ELEMENTS(x));
  myna_card_free(card);
}

/* Selecting another AP forgets what was verified in the previous one. */
static void test_select_other_ap_clears_verified(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { SEL_TEXT, OK },
    { "00 A4 02 0C 02 00 11", OK },
    { "00 20 00 80", "63 C3" },
  };
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, NULL);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  int tries;
  g_assert_cmpint(myna_text_ap_tries_left(card, &tries), ==, MYNA_OK);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sl;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sl),
                  ==, MYNA_E_SECURITY_STATUS);
  myna_card_free(card);
}

/* A verified PIN is reset at the end of the session even when a later
 * failed SELECT left the session unsure of the card's state. */
static void test_end_resets_after_any_verify(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02", "6A 82" },
  };
  unsigned resets = 0;
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  myna_test_mock_count_resets(m, &resets);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  int tries;
  g_assert_cmpint(myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &tries), ==,
                  MYNA_E_NOT_SUPPORTED);
  myna_card_free(card);
  g_assert_cmpuint(resets, ==, 1);

  /* and a session that verified nothing ends without one */
  myna_test_exchange y[] = { { SEL_JPKI, OK } };
  card = open_script(y, 1, true, &m);
  resets = 0;
  myna_test_mock_count_resets(m, &resets);
  g_assert_cmpint(myna_jpki_select(card), ==, MYNA_OK);
  myna_card_free(card);
  g_assert_cmpuint(resets, ==, 0);
}

/* A PIN status word in answer to a SELECT is a broken answer, not a wrong
 * PIN: there is no tries count to show. */
static void test_pin_status_from_select_is_card_error(void)
{
  static const char *sws[] = { "63 C2", "69 84", "69 83", "63 C0" };
  for(size_t i = 0; i < G_N_ELEMENTS(sws); i++) {
    myna_test_exchange x[] = {
      { SEL_JPKI, OK },
      { "00 A4 02 0C 02 00 18", sws[i] },
    };
    myna_card *card = open_script(x, G_N_ELEMENTS(x), true, NULL);
    myna_secret *pin = myna_test_secret("1234");
    int left = 42;
    g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, &left), ==,
                    MYNA_E_CARD_ERROR);
    g_assert_cmpint(left, ==, 42);
    myna_secret_free(pin);
    myna_card_free(card);
  }
}

static void test_not_a_mynumber_card(void)
{
  myna_test_exchange x[] = { { SEL_JPKI, "6A 82" } };
  myna_card *card = open_script(x, 1, true, NULL);
  g_assert_cmpint(myna_jpki_select(card), ==, MYNA_E_NOT_MYNUMBER_CARD);
  myna_card_free(card);
}

typedef struct trace_log {
  GString *s;
} trace_log;

static void trace_cb(void *user, bool is_command, const uint8_t *b, size_t n)
{
  trace_log *t = user;
  g_autofree char *h = myna_test_hex(b, n);
  g_string_append_printf(t->s, "%s %s\n", is_command ? ">" : "<", h);
}

/* Traces show PIN bytes as '*' (2A). */
static void test_trace_masks_pin(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 1B", OK },
    { "00 20 00 80 08 53 49 47 4E 32 30 32 36", OK },
  };
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, NULL);
  trace_log t = { g_string_new("") };
  myna_card_set_trace(card, trace_cb, &t);
  myna_secret *pw = myna_test_secret("sign2026");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, pw, NULL), ==, MYNA_OK);
  myna_secret_free(pw);
  g_assert_nonnull(strstr(t.s->str, "> 00 20 00 80 08 2A 2A 2A 2A 2A 2A 2A 2A\n"));
  g_assert_null(strstr(t.s->str, "53 49 47 4E"));
  g_string_free(t.s, TRUE);
  myna_card_free(card);
}

static void test_text_ap_trace(void)
{
  myna_test_exchange x[] = {
    { SEL_TEXT, OK },
    { "00 A4 02 0C 02 00 11", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 02 0C 02 00 01", OK },
    { "00 B0 00 00 00 00 00",
      "FF 10 0C 31 32 33 34 35 36 37 38 39 30 31 38 FF FF 90 00" },
    { "00 A4 02 0C 02 00 02", OK },
    { "00 B0 00 00 00 00 00",
      "FF 20 24 DF 21 02 00 00 DF 22 07 E5 B1 B1 E3 80 80 41 DF 23 03 E5 B8 82"
      " DF 24 08 31 39 38 30 30 32 31 37 DF 25 01 31 90 00" },
  };
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, NULL);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_text_ap_verify(card, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  trace_log t = { g_string_new("") };
  myna_card_set_trace(card, trace_cb, &t);
  myna_secret *num = NULL;
  g_assert_cmpint(myna_text_ap_read_my_number(card, &num), ==, MYNA_OK);
  g_assert_cmpmem(myna_secret_bytes(num), 12, "123456789018", 12);
  myna_secret_free(num);
  myna_basic_info *info = NULL;
  g_assert_cmpint(myna_text_ap_read_basic_info(card, &info), ==, MYNA_OK);
  g_assert_cmpstr(info->name, ==, "山\u3000A");
  g_assert_cmpstr(info->address, ==, "市");
  g_assert_cmpstr(info->birth, ==, "19800217");
  g_assert_cmpint(info->sex, ==, '1');
  myna_basic_info_free(info);
  /* personal data reaches the trace masked; status words stay visible */
  g_assert_null(strstr(t.s->str, "31 32 33 34 35 36"));
  g_assert_null(strstr(t.s->str, "E5 B1 B1"));
  g_assert_nonnull(strstr(t.s->str, "< 2A 2A 2A"));
  g_assert_nonnull(strstr(t.s->str, "2A 90 00\n"));
  g_string_free(t.s, TRUE);
  myna_card_free(card);
}

static void test_basic_info_rejects_bad_text(void)
{
  static const char *bad[] = {
    /* name not UTF-8 */
    "FF 20 10 DF 22 01 FF DF 23 01 41 DF 24 08 31 39 38 30 30 32 31 37",
    /* sex outside 0129 */
    "FF 20 13 DF 22 01 41 DF 23 01 41 DF 24 08 31 39 38 30 30 32 31 37 DF 25 01 35",
    /* birth not digits */
    "FF 20 13 DF 22 01 41 DF 23 01 41 DF 24 08 31 39 38 30 30 32 31 41 DF 25 01 31",
    /* outer tag wrong */
    "FF 21 13 DF 22 01 41 DF 23 01 41 DF 24 08 31 39 38 30 30 32 31 37 DF 25 01 31",
    /* overlong UTF-8 slash */
    "FF 20 14 DF 22 02 C0 AF DF 23 01 41 DF 24 08 31 39 38 30 30 32 31 37 DF 25 01 31",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    uint8_t b[64];
    size_t n = myna_test_unhex(bad[i], b, sizeof(b));
    myna_basic_info *info = NULL;
    g_assert_cmpint(myna_text_ap_parse_basic_info(b, n, &info), ==, MYNA_E_BAD_DATA);
    g_assert_null(info);
  }
}

/* Every multi-APDU operation is one transaction of the transport; an
 * operation the caller brackets with myna_card_begin/end (VERIFY and the
 * signature it allows) is one transaction as a whole. */
static void test_operations_are_transactions(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80", "63 C3" },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 02 0C 02 00 17", OK },
    { "80 2A 00 80 33 30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20"
      " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      " 00 00 00 00 00 00 00 00 00", sig_hex },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  g_autoptr(GString) log = g_string_new("");
  myna_test_mock_record(m, log);
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpstr(log->str, ==, "[AAA]");
  g_assert_cmpint(myna_card_begin(card), ==, MYNA_OK);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sl;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sl), ==, MYNA_OK);
  myna_card_end(card);
  g_assert_cmpstr(log->str, ==, "[AAA][AAA]");
  /* A PIN refused locally opens no transaction and sends nothing. */
  pin = myna_test_secret("12a4");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==,
                  MYNA_E_PIN_FORMAT);
  myna_secret_free(pin);
  g_assert_cmpstr(log->str, ==, "[AAA][AAA][]");
  myna_card_free(card);
  g_assert_cmpstr(log->str, ==, "[AAA][AAA][]R");
}

/* A card lost inside a transaction ends it: no end is sent for it, and the
 * next operation opens a new one and selects again. */
static void test_removal_ends_transaction(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", "REMOVED" },
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80", "63 C3" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  g_autoptr(GString) log = g_string_new("");
  myna_test_mock_record(m, log);
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==,
                  MYNA_E_CARD_REMOVED);
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 3);
  g_assert_cmpstr(log->str, ==, "[AA[AAA]");
  myna_card_free(card);
}

/* Another program reset the card: the session forgets the selection and the
 * verified PIN (the card did too), keeps no transaction open, and the next
 * operation selects again and works. Nothing is re-sent by itself. */
static void test_reset_by_another_program(void)
{
  myna_test_exchange x[] = {
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80 04 31 32 33 34", OK },
    { "00 A4 02 0C 02 00 17", "RESET" },
    { SEL_JPKI, OK },
    { "00 A4 02 0C 02 00 18", OK },
    { "00 20 00 80", "63 C3" },
  };
  myna_test_mock *m;
  myna_card *card = open_script(x, G_N_ELEMENTS(x), true, &m);
  g_autoptr(GString) log = g_string_new("");
  myna_test_mock_record(m, log);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==, MYNA_OK);
  myna_secret_free(pin);
  uint8_t hash[32] = { 0 }, sig[256];
  size_t sl;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256,
                                      hash, 32, sig, sizeof(sig), &sl),
                  ==, MYNA_E_CARD_RESET);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, ==, 3);
  g_assert_cmpuint(myna_test_mock_consumed(m), ==, G_N_ELEMENTS(x));
  g_assert_cmpstr(log->str, ==, "[AAA][A[AAA]");
  myna_card_free(card);
  /* The card was reset by the other program: nothing verified to undo. */
  g_assert_cmpstr(log->str, ==, "[AAA][A[AAA]");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  make_fixtures();
  g_test_add_func("/card/certificate-one-extended-read-then-cached",
                  test_certificate_one_extended_read_then_cached);
  g_test_add_func("/card/certificate-short-transport-256-chunks",
                  test_certificate_short_transport_256_chunks);
  g_test_add_func("/card/extended-refused-falls-back", test_extended_refused_falls_back);
  g_test_add_func("/card/t0-get-response-and-6c", test_t0_get_response_and_6c);
  g_test_add_func("/card/wrong-pin-one-verify-no-retry",
                  test_wrong_pin_one_verify_no_retry);
  g_test_add_func("/card/blocking-answers", test_blocking_answers);
  g_test_add_func("/card/bad-pins-send-nothing", test_bad_pins_send_nothing);
  g_test_add_func("/card/6c-on-verify-not-resent", test_6c_on_verify_not_resent);
  g_test_add_func("/card/hostile-responses", test_hostile_responses);
  g_test_add_func("/card/removal-forgets-state", test_removal_forgets_state);
  g_test_add_func("/card/select-other-ap-clears-verified",
                  test_select_other_ap_clears_verified);
  g_test_add_func("/card/end-resets-after-any-verify", test_end_resets_after_any_verify);
  g_test_add_func("/card/pin-status-from-select-is-card-error",
                  test_pin_status_from_select_is_card_error);
  g_test_add_func("/card/not-a-mynumber-card", test_not_a_mynumber_card);
  g_test_add_func("/card/trace-masks-pin", test_trace_masks_pin);
  g_test_add_func("/card/text-ap-trace", test_text_ap_trace);
  g_test_add_func("/card/basic-info-rejects-bad-text", test_basic_info_rejects_bad_text);
  g_test_add_func("/card/operations-are-transactions", test_operations_are_transactions);
  g_test_add_func("/card/removal-ends-transaction", test_removal_ends_transaction);
  g_test_add_func("/card/reset-by-another-program", test_reset_by_another_program);
  return g_test_run();
}
