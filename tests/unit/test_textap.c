/* test_textap.c - the card input support application (券面事項入力補助AP)
 * of libmynacard against the software card served in-process: PIN, My Number
 * and 基本4情報 compared with the profile, the counter, PIN change, and the
 * security state lost when another application is selected. Every behaviour
 * runs on the three reader paths: extended APDUs, short APDUs only and T=0.
 * Each test works on a fresh copy of a profile (docs/test-pki.md). */
#include "testutil.h"

#include <string.h>

/* ---- reader paths -------------------------------------------------------- */

typedef myna_test_mode mode;
#define modes myna_test_modes

/* ---- what crosses the transport ------------------------------------------ */

typedef myna_test_apdu_log apdu_log;

static void log_init(apdu_log *l, myna_card *card)
{
  myna_test_log_init(l, card, true);
}

static void log_free(apdu_log *l)
{
  myna_test_log_free(l);
}

/* "READ:6100" and "READ:611F" alike become "READ:61XX", "6C11" "6CXX". */
static char *normalise_words(const char *words)
{
  GString *s = g_string_new(words);
  for(char *p = strchr(s->str, ':'); p; p = strchr(p + 1, ':')) {
    if((p[1] == '6' && p[2] == '1') || (p[1] == '6' && p[2] == 'C')) {
      p[3] = 'X';
      p[4] = 'X';
    }
  }
  return g_string_free(s, FALSE);
}

/* ---- the profile --------------------------------------------------------- */

typedef struct holder {
  char *pin;
  char *my_number;
  char *name;
  char *address;
  char *birth;
  char *sex;
  int tries;
} holder;

static char *ini_string(GKeyFile *kf, const char *group, const char *key)
{
  g_autoptr(GError) error = NULL;
  char *v = g_key_file_get_string(kf, group, key, &error);
  g_assert_no_error(error);
  g_assert_nonnull(v);
  return v;
}

/* [text] of the profile the software card was loaded from. */
static holder *holder_load(myna_vcard *v)
{
  g_autofree char *ini = g_build_filename(myna_test_vcard_dir(v), "profile.ini",
                                          NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &error));
  g_assert_no_error(error);
  holder *h = g_new0(holder, 1);
  h->pin = ini_string(kf, "text", "pin");
  h->my_number = ini_string(kf, "text", "my_number");
  h->name = ini_string(kf, "text", "name");
  h->address = ini_string(kf, "text", "address");
  h->birth = ini_string(kf, "text", "birth");
  h->sex = ini_string(kf, "text", "sex");
  h->tries = g_key_file_get_integer(kf, "text", "pin_tries", &error);
  g_assert_no_error(error);
  return h;
}

static void holder_free(holder *h)
{
  g_free(h->pin);
  g_free(h->my_number);
  g_free(h->name);
  g_free(h->address);
  g_free(h->birth);
  g_free(h->sex);
  g_free(h);
}

/* ---- helpers ------------------------------------------------------------- */

static myna_rv verify_text(myna_card *card, const char *pin, int *tries_left)
{
  myna_secret *s = myna_test_secret(pin);
  myna_rv rv = myna_text_ap_verify(card, s, tries_left);
  myna_secret_free(s);
  return rv;
}

static myna_rv change_text(myna_card *card, const char *pin)
{
  myna_secret *s = myna_test_secret(pin);
  myna_rv rv = myna_text_ap_change_pin(card, s);
  myna_secret_free(s);
  return rv;
}

static int api_tries(myna_card *card)
{
  int tries = -1;
  g_assert_cmpint(myna_text_ap_tries_left(card, &tries), ==, MYNA_OK);
  return tries;
}

static void check_my_number(myna_card *card, const holder *h)
{
  myna_secret *mn = NULL;
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==, MYNA_OK);
  g_assert_nonnull(mn);
  g_assert_cmpmem(myna_secret_bytes(mn), myna_secret_len(mn), h->my_number,
                  strlen(h->my_number));
  myna_secret_free(mn);
}

static void check_basic_info(myna_card *card, const holder *h)
{
  myna_basic_info *info = NULL;
  g_assert_cmpint(myna_text_ap_read_basic_info(card, &info), ==, MYNA_OK);
  g_assert_nonnull(info);
  g_assert_cmpstr(info->name, ==, h->name);
  g_assert_cmpstr(info->address, ==, h->address);
  g_assert_cmpstr(info->birth, ==, h->birth);
  g_assert_cmpint(info->sex, ==, h->sex[0]);
  g_assert_cmpuint(strlen(h->sex), ==, 1);
  /* family and given name separated by U+3000 */
  g_assert_nonnull(strstr(info->name, "\xE3\x80\x80"));
  myna_basic_info_free(info);
}

/* ---- tests --------------------------------------------------------------- */

static void test_verify_and_read_match_profile(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  holder *h = holder_load(v);
  g_assert_cmpstr(h->pin, ==, "1234");
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
  check_my_number(card, h);
  check_basic_info(card, h);
  /* Read again, in any order: one VERIFY is enough for the session. */
  check_basic_info(card, h);
  check_my_number(card, h);
  g_assert_cmpuint(log.verifies, ==, 1);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  /* No JPKI counter was touched. */
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  log_free(&log);
  myna_card_free(card);
  holder_free(h);
  myna_test_vcard_free(v);
}

static void test_every_profile_reads_its_own_data(gconstpointer data)
{
  /* Names and addresses of different lengths, both sexes, era boundaries. */
  static const char *const profiles[] = { "adult", "child", "expired",
                                          "revoked", "minimal", "taisho" };
  const mode *m = data;
  for(size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
    g_test_message("profile %s", profiles[i]);
    myna_vcard *v = myna_test_vcard_new(profiles[i], m->quirks);
    holder *h = holder_load(v);
    myna_card *card = myna_test_open(v);
    g_assert_cmpint(api_tries(card), ==, h->tries);
    g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
    check_my_number(card, h);
    check_basic_info(card, h);
    myna_card_free(card);
    holder_free(h);
    myna_test_vcard_free(v);
  }
}

static void test_read_before_verify(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  myna_secret *mn = NULL;
  myna_basic_info *info = NULL;

  /* Refused before anything is sent, even the SELECT of the text AP. */
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_null(mn);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_text_ap_read_basic_info(card, &info), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_null(info);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  /* With the text AP selected (counter read), still nothing is sent. */
  g_assert_cmpint(api_tries(card), ==, 3);
  before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpint(myna_text_ap_read_basic_info(card, &info), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  /* After a wrong PIN too. */
  g_assert_cmpint(verify_text(card, "9999", NULL), ==, MYNA_E_WRONG_PIN);
  before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  /* The card agrees: READ BINARY of EF 0001 unverified is 6982. The raw
   * commands go around the session's EF bookkeeping, so the PIN EF is
   * selected again afterwards. */
  static const uint8_t fid_mn[] = { 0x00, 0x01 }, fid_pin[] = { 0x00, 0x11 };
  myna_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C,
                  .data = fid_mn, .lc = 2 };
  uint8_t resp[300];
  size_t resp_len = 0;
  uint16_t sw = 0;
  g_assert_cmpint(myna_card_transmit(card, &a, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x9000);
  myna_apdu rd = { .cla = 0x00, .ins = 0xB0, .ne = 17 };
  g_assert_cmpint(myna_card_transmit(card, &rd, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x6982);
  a.data = fid_pin;
  g_assert_cmpint(myna_card_transmit(card, &a, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x9000);

  /* And the right PIN opens both. */
  holder *h = holder_load(v);
  g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
  check_my_number(card, h);
  check_basic_info(card, h);
  holder_free(h);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_refused_read_keeps_jpki_session(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  myna_secret *pin = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL), ==,
                  MYNA_OK);
  myna_secret_free(pin);
  myna_secret *mn = NULL;
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  /* The refusal selected nothing: the JPKI auth PIN is still verified, on
   * the card too, and signing needs no new VERIFY. */
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 3);
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  uint8_t hash[32] = { 1 }, sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                      MYNA_HASH_SHA256, hash, sizeof(hash),
                                      sig, sizeof(sig), &sig_len),
                  ==, MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_wrong_pin_spends_one_try(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(api_tries(card), ==, 3);
  g_assert_cmpint(api_tries(card), ==, 3); /* reading it spends nothing */
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  int left = -1;
  g_assert_cmpint(verify_text(card, "9999", &left), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 2);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 2);
  g_assert_cmpuint(log.verifies, ==, 1); /* sent once, never retried */
  g_assert_cmpint(api_tries(card), ==, 2);
  /* Only the text counter moved. */
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  /* The right PIN resets it. */
  left = -1;
  g_assert_cmpint(verify_text(card, "1234", &left), ==, MYNA_OK);
  g_assert_cmpint(left, ==, -1);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  g_assert_cmpint(api_tries(card), ==, 3);
  /* A wrong PIN after a right one closes the files again. */
  g_assert_cmpint(verify_text(card, "0000", &left), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 2);
  myna_secret *mn = NULL;
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_bad_pin_format_sends_nothing(gconstpointer data)
{
  const mode *m = data;
  static const char *const bad[] = { "", "123", "12345", "12a4", "１２３４",
                                     "1234\n", " 1234" };
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    int left = 42;
    g_assert_cmpint(verify_text(card, bad[i], &left), ==, MYNA_E_PIN_FORMAT);
    g_assert_cmpint(left, ==, 42);
  }
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_one_try_and_blocked(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("one-try", m->quirks);
  myna_card *card = myna_test_open(v);
  g_assert_cmpint(api_tries(card), ==, 1);
  int left = -1;
  g_assert_cmpint(verify_text(card, "0000", &left), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 0);
  left = -1;
  g_assert_cmpint(verify_text(card, "8412", &left), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_cmpint(api_tries(card), ==, 0);
  myna_card_free(card);
  myna_test_vcard_free(v);

  v = myna_test_vcard_new("blocked", m->quirks);
  card = myna_test_open(v);
  g_assert_cmpint(api_tries(card), ==, 0);
  left = -1;
  g_assert_cmpint(verify_text(card, "3906", &left), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 0);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_change_pin(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  holder *h = holder_load(v);
  myna_card *card = myna_test_open(v);

  /* Before a verify: refused locally. */
  g_assert_cmpint(change_text(card, "5678"), ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  g_assert_cmpint(verify_text(card, "1234", NULL), ==, MYNA_OK);
  /* A new PIN that breaks the rules: nothing sent. */
  unsigned long before = myna_card_apdu_count(card);
  static const char *const bad[] = { "", "567", "56789", "5a78" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_cmpint(change_text(card, bad[i]), ==, MYNA_E_PIN_FORMAT);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_cmpint(change_text(card, "5678"), ==, MYNA_OK);
  myna_card_free(card);

  /* A new session: the old PIN is wrong, the new one reads. */
  card = myna_test_open(v);
  int left = -1;
  g_assert_cmpint(verify_text(card, "1234", &left), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 2);
  g_assert_cmpint(verify_text(card, "5678", NULL), ==, MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  check_my_number(card, h);
  /* The JPKI auth PIN is other reference data: still 1234. */
  myna_secret *auth = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, auth, NULL), ==,
                  MYNA_OK);
  myna_secret_free(auth);
  /* Back to the text AP (a new verify: selecting the JPKI AP closed it). */
  g_assert_cmpint(verify_text(card, "5678", NULL), ==, MYNA_OK);
  g_assert_cmpint(change_text(card, "1234"), ==, MYNA_OK);
  myna_card_free(card);

  card = myna_test_open(v);
  g_assert_cmpint(verify_text(card, "1234", NULL), ==, MYNA_OK);
  check_basic_info(card, h);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);
  myna_card_free(card);
  holder_free(h);
  myna_test_vcard_free(v);
}

static void test_switching_to_jpki_clears_security_state(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  holder *h = holder_load(v);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);

  g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
  check_my_number(card, h);

  /* To the JPKI AP and back. */
  g_assert_cmpint(myna_jpki_select(card), ==, MYNA_OK);
  myna_secret *mn = NULL;
  myna_basic_info *info = NULL;
  g_assert_cmpint(myna_text_ap_read_my_number(card, &mn), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpint(myna_text_ap_read_basic_info(card, &info), ==,
                  MYNA_E_SECURITY_STATUS);

  /* The card agrees that the state is gone (raw READ BINARY: 6982); the
   * PIN EF is selected again afterwards for the session's bookkeeping. */
  g_assert_cmpint(myna_text_ap_select(card), ==, MYNA_OK);
  static const uint8_t fid_mn[] = { 0x00, 0x01 }, fid_pin[] = { 0x00, 0x11 };
  myna_apdu sel = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C,
                    .data = fid_mn, .lc = 2 };
  myna_apdu rd = { .cla = 0x00, .ins = 0xB0, .ne = 17 };
  uint8_t resp[300];
  size_t resp_len = 0;
  uint16_t sw = 0;
  g_assert_cmpint(myna_card_transmit(card, &sel, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x9000);
  g_assert_cmpint(myna_card_transmit(card, &rd, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x6982);
  sel.data = fid_pin;
  g_assert_cmpint(myna_card_transmit(card, &sel, resp, sizeof(resp), &resp_len,
                                     &sw), ==, MYNA_OK);
  g_assert_cmphex(sw, ==, 0x9000);

  /* Reading again takes a new verify. */
  g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
  check_my_number(card, h);
  check_basic_info(card, h);
  g_assert_cmpuint(log.verifies, ==, 2);
  g_assert_cmpint(myna_vcard_tries(v, "text"), ==, 3);

  /* The other way round: a verified JPKI session ends when the text AP is
   * selected. */
  myna_secret *auth = myna_test_secret("1234");
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, auth, NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(myna_text_ap_select(card), ==, MYNA_OK);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  uint8_t hash[32] = { 0 }, sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                      MYNA_HASH_SHA256, hash, sizeof(hash),
                                      sig, sizeof(sig), &sig_len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpint(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, auth, NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                      MYNA_HASH_SHA256, hash, sizeof(hash),
                                      sig, sizeof(sig), &sig_len),
                  ==, MYNA_OK);
  myna_secret_free(auth);

  log_free(&log);
  myna_card_free(card);
  holder_free(h);
  myna_test_vcard_free(v);
}

/* The exact APDUs of "verify, read My Number, read 基本4情報" on each path.
 * extended: SELECT AP, SELECT 0011, VERIFY, then SELECT + one extended READ
 * per file = 7.
 * short-only: the first READ of the session is refused (6700) and repeated
 * in short form; both files fit in one 256-byte READ = 8.
 * T=0: the same, and each short READ asks for 256 bytes, more than the file
 * holds: 6Cxx, re-sent with the exact length, data behind 61xx fetched with
 * GET RESPONSE = 3 APDUs per file, 12 in all. */
static void test_apdu_count(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  holder *h = holder_load(v);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(verify_text(card, h->pin, NULL), ==, MYNA_OK);
  check_my_number(card, h);
  check_basic_info(card, h);
  g_test_message("%s: %lu APDUs: %s", m->name, myna_card_apdu_count(card),
                 log.words->str);
  static const char *const want[] = {
    "SELECT-TEXT:9000 SELECT-0011:9000 VERIFY:9000 "
    "SELECT-0001:9000 READ:9000 SELECT-0002:9000 READ:9000",
    "SELECT-TEXT:9000 SELECT-0011:9000 VERIFY:9000 "
    "SELECT-0001:9000 READ:6700 READ:9000 SELECT-0002:9000 READ:9000",
    "SELECT-TEXT:9000 SELECT-0011:9000 VERIFY:9000 "
    "SELECT-0001:9000 READ:6700 READ:6CXX READ:61XX GET-RESPONSE:9000 "
    "SELECT-0002:9000 READ:6CXX READ:61XX GET-RESPONSE:9000",
  };
  static const unsigned long count[] = { 7, 8, 12 };
  g_autofree char *got = normalise_words(log.words->str);
  g_assert_cmpstr(got, ==, want[m - modes]);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, count[m - modes]);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, count[m - modes]);
  log_free(&log);
  myna_card_free(card);
  holder_free(h);
  myna_test_vcard_free(v);
}

/* ---- registration -------------------------------------------------------- */

static void add(const char *behaviour, GTestDataFunc fn)
{
  myna_test_add_per_mode("textap", behaviour, fn);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  add("verify/pin-opens-my-number-and-basic-info-equal-to-profile",
      test_verify_and_read_match_profile);
  add("verify/every-profile-reads-its-own-data",
      test_every_profile_reads_its_own_data);
  add("read/before-verify-is-security-status-without-apdu",
      test_read_before_verify);
  add("read/refused-read-keeps-the-jpki-session",
      test_refused_read_keeps_jpki_session);
  add("verify/wrong-pin-spends-exactly-one-try", test_wrong_pin_spends_one_try);
  add("verify/bad-format-sends-nothing", test_bad_pin_format_sends_nothing);
  add("verify/one-try-blocks-and-blocked-stays-blocked",
      test_one_try_and_blocked);
  add("change-pin/text-pin-and-back", test_change_pin);
  add("security/switching-to-jpki-and-back-needs-a-new-verify",
      test_switching_to_jpki_clears_security_state);
  add("apdu-count/verify-my-number-basic-info", test_apdu_count);
  return g_test_run();
}
