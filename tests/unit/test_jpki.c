/* test_jpki.c - the JPKI application of libmynacard against the software card
 * served in-process: certificates (parsed and chained with OpenSSL), token
 * info, PIN counters and blocking, signatures checked with OpenSSL, PIN
 * change, card removal at every step and the exact APDU cost of the common
 * flows. Every behaviour runs on the three reader paths: extended APDUs,
 * short APDUs only (the card answers 6700 to an extended one) and T=0
 * (61xx / GET RESPONSE, 6Cxx). Each test works on a fresh copy of a profile
 * (docs/test-pki.md). The trace-level specification of single exchanges is
 * in test_card.c and is not repeated here. */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

/* ---- reader paths -------------------------------------------------------- */

typedef myna_test_mode mode;
#define modes myna_test_modes

static bool is_extended(const mode *m)
{
  return m->quirks == 0;
}

static bool is_t0(const mode *m)
{
  return (m->quirks & MYNA_VCARD_QUIRK_T0) != 0;
}

/* ---- what crosses the transport ------------------------------------------ */

typedef myna_test_apdu_log apdu_log;

static void log_init(apdu_log *l, myna_card *card)
{
  myna_test_log_init(l, card, false);
}

static void log_free(apdu_log *l)
{
  myna_test_log_free(l);
}

/* "w w w" repeated n times, joined by spaces. */
static char *repeat_words(const char *w, unsigned n)
{
  GString *s = g_string_new("");
  for(unsigned i = 0; i < n; i++) {
    if(i)
      g_string_append_c(s, ' ');
    g_string_append(s, w);
  }
  return g_string_free(s, FALSE);
}

/* Since byte offset `from` of the log, at most SELECT commands were sent:
 * no READ BINARY, no VERIFY, nothing that reads a file or spends a try. */
static void assert_only_selects_since(const apdu_log *l, size_t from)
{
  g_assert_cmpuint(from, <=, l->words->len);
  g_auto(GStrv) words = g_strsplit(l->words->str + from, " ", -1);
  for(char **w = words; *w; w++)
    if(**w)
      g_assert_true(g_str_has_prefix(*w, "SELECT-"));
}

/* ---- profiles ------------------------------------------------------------ */

static GBytes *profile_bytes(myna_vcard *v, const char *file)
{
  g_autofree char *path = g_build_filename(myna_test_vcard_dir(v), file, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  g_assert_no_error(error);
  return g_bytes_new_take(data, len);
}

/* Whole 256-byte chunks a short-APDU read of a file of len bytes needs. */
static unsigned chunks_of(size_t len)
{
  return (unsigned)((len + 255) / 256);
}

/* ---- certificates and signatures with OpenSSL ---------------------------- */

static X509 *parse_cert(const uint8_t *der, size_t len)
{
  const unsigned char *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  g_assert_nonnull(x);
  g_assert_true(p == der + len); /* the whole buffer, nothing after it */
  return x;
}

/* "C=JP, O=JPKI, OU=..." in the order of the DN. */
static char *name_string(const X509_NAME *name)
{
  GString *s = g_string_new("");
  for(int i = 0; i < X509_NAME_entry_count(name); i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    g_assert_cmpint(n, >=, 0);
    g_string_append_printf(s, "%s%s=%.*s", i ? ", " : "", OBJ_nid2sn(nid), n,
                           (const char *)utf8);
    OPENSSL_free(utf8);
  }
  return g_string_free(s, FALSE);
}

#define JLIS_OU "Japan Agency for Local Authority Information Systems"
#define AUTH_ISSUER "C=JP, O=JPKI, OU=JPKI for user authentication, OU=" JLIS_OU
#define SIGN_ISSUER "C=JP, O=JPKI, OU=JPKI for digital signature, OU=" JLIS_OU

static const EVP_MD *md_of(myna_hash_alg alg)
{
  switch(alg) {
  case MYNA_HASH_SHA1:
    return EVP_sha1();
  case MYNA_HASH_SHA256:
    return EVP_sha256();
  case MYNA_HASH_SHA384:
    return EVP_sha384();
  case MYNA_HASH_SHA512:
    return EVP_sha512();
  }
  g_assert_not_reached();
}

static size_t hash_message(myna_hash_alg alg, const char *msg, uint8_t *out)
{
  unsigned int n = 0;
  g_assert_cmpint(EVP_Digest(msg, strlen(msg), out, &n, md_of(alg), NULL), ==,
                  1);
  g_assert_cmpuint(n, ==, myna_hash_alg_size(alg));
  return n;
}

/* 1 when sig is a PKCS#1 v1.5 signature of hash (alg) by cert's key. */
static int openssl_verify(X509 *cert, myna_hash_alg alg, const uint8_t *hash,
                          size_t hash_len, const uint8_t *sig, size_t sig_len)
{
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  g_assert_nonnull(pub);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
  g_assert_nonnull(ctx);
  g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
  g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), ==, 1);
  g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(ctx, md_of(alg)), ==, 1);
  int ok = EVP_PKEY_verify(ctx, sig, sig_len, hash, hash_len);
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

/* Read a certificate from the card and parse it. */
static X509 *card_cert(myna_card *card, myna_jpki_cert which)
{
  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint(myna_jpki_read_certificate(card, which, &der, &len), ==,
                  MYNA_OK);
  return parse_cert(der, len);
}

/* Sign a hash of msg with key and check it against cert. */
static void sign_and_check(myna_card *card, myna_jpki_key key,
                           myna_hash_alg alg, X509 *cert, const char *msg)
{
  uint8_t hash[64], sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t hash_len = hash_message(alg, msg, hash);
  size_t sig_len = 0;
  g_assert_cmpint(myna_jpki_sign_hash(card, key, alg, hash, hash_len, sig,
                                      sizeof(sig), &sig_len),
                  ==, MYNA_OK);
  g_assert_cmpuint(sig_len, ==, MYNA_JPKI_SIGNATURE_SIZE);
  g_assert_cmpint(openssl_verify(cert, alg, hash, hash_len, sig, sig_len), ==,
                  1);
  /* The signature is over this hash and no other. */
  hash[0] ^= 0x01;
  g_assert_cmpint(openssl_verify(cert, alg, hash, hash_len, sig, sig_len), !=,
                  1);
}

/* ---- small helpers ------------------------------------------------------- */

static myna_rv verify_pin(myna_card *card, myna_jpki_key key, const char *pin,
                          int *tries_left)
{
  myna_secret *s = myna_test_secret(pin);
  myna_rv rv = myna_jpki_verify(card, key, s, tries_left);
  myna_secret_free(s);
  return rv;
}

static myna_rv change_pin(myna_card *card, myna_jpki_key key, const char *pin)
{
  myna_secret *s = myna_test_secret(pin);
  myna_rv rv = myna_jpki_change_pin(card, key, s);
  myna_secret_free(s);
  return rv;
}

static int api_tries(myna_card *card, myna_jpki_key key)
{
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, key, &tries), ==, MYNA_OK);
  return tries;
}

static myna_rv sign_sha256(myna_card *card, myna_jpki_key key, uint8_t *sig,
                           size_t *sig_len)
{
  uint8_t hash[32];
  hash_message(MYNA_HASH_SHA256, "mynaterm", hash);
  return myna_jpki_sign_hash(card, key, MYNA_HASH_SHA256, hash, sizeof(hash),
                             sig, MYNA_JPKI_SIGNATURE_SIZE, sig_len);
}

/* ---- select -------------------------------------------------------------- */

static void test_select_once(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0); /* open sends nothing */
  g_assert_cmpint(myna_jpki_select(card), ==, MYNA_OK);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 1);
  g_assert_cmpint(myna_jpki_select(card), ==, MYNA_OK);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 1);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, 1);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- certificates -------------------------------------------------------- */

static void check_same_as_profile(myna_vcard *v, const char *file,
                                  myna_card *card, myna_jpki_cert which)
{
  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint(myna_jpki_read_certificate(card, which, &der, &len), ==,
                  MYNA_OK);
  g_autoptr(GBytes) want = profile_bytes(v, file);
  gsize want_len = 0;
  const void *want_data = g_bytes_get_data(want, &want_len);
  g_assert_cmpmem(der, len, want_data, want_len);
}

static void test_read_all_four_certificates(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);

  X509 *auth = card_cert(card, MYNA_JPKI_CERT_AUTH);
  X509 *auth_ca = card_cert(card, MYNA_JPKI_CERT_AUTH_CA);
  X509 *sign_ca = card_cert(card, MYNA_JPKI_CERT_SIGN_CA);

  /* The sign certificate only after the sign password. */
  const uint8_t *der = NULL;
  size_t len = 0;
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  X509 *sign = card_cert(card, MYNA_JPKI_CERT_SIGN);

  /* Byte for byte what the profile holds. */
  check_same_as_profile(v, "auth.der", card, MYNA_JPKI_CERT_AUTH);
  check_same_as_profile(v, "auth-ca.der", card, MYNA_JPKI_CERT_AUTH_CA);
  check_same_as_profile(v, "sign.der", card, MYNA_JPKI_CERT_SIGN);
  check_same_as_profile(v, "sign-ca.der", card, MYNA_JPKI_CERT_SIGN_CA);

  /* The auth certificate chains to the auth CA read from the same card. */
  EVP_PKEY *auth_ca_key = X509_get0_pubkey(auth_ca);
  EVP_PKEY *sign_ca_key = X509_get0_pubkey(sign_ca);
  g_assert_cmpint(X509_verify(auth, auth_ca_key), ==, 1);
  g_assert_cmpint(X509_verify(auth, sign_ca_key), !=, 1);
  g_assert_cmpint(X509_NAME_cmp(X509_get_issuer_name(auth),
                                X509_get_subject_name(auth_ca)), ==, 0);
  g_assert_cmpint(X509_verify(sign, sign_ca_key), ==, 1);
  g_assert_cmpint(X509_verify(sign, auth_ca_key), !=, 1);
  g_assert_cmpint(X509_NAME_cmp(X509_get_issuer_name(sign),
                                X509_get_subject_name(sign_ca)), ==, 0);

  /* JPKI issuer DN pattern. */
  g_autofree char *auth_issuer = name_string(X509_get_issuer_name(auth));
  g_autofree char *sign_issuer = name_string(X509_get_issuer_name(sign));
  g_assert_cmpstr(auth_issuer, ==, AUTH_ISSUER);
  g_assert_cmpstr(sign_issuer, ==, SIGN_ISSUER);

  /* RSA-2048 keys, e = 65537. */
  g_assert_cmpint(EVP_PKEY_get_bits(X509_get0_pubkey(auth)), ==, 2048);
  g_assert_cmpint(EVP_PKEY_get_bits(X509_get0_pubkey(sign)), ==, 2048);
  BIGNUM *e = NULL;
  g_assert_cmpint(EVP_PKEY_get_bn_param(X509_get0_pubkey(auth), "e", &e), ==,
                  1);
  g_assert_true(BN_is_word(e, 65537));
  BN_free(e);

  X509_free(auth);
  X509_free(auth_ca);
  X509_free(sign);
  X509_free(sign_ca);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_certificates_read_once_per_session(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  const uint8_t *first[4];
  size_t first_len[4];
  for(int which = 0; which < 4; which++)
    g_assert_cmpint(myna_jpki_read_certificate(card, (myna_jpki_cert)which,
                                               &first[which],
                                               &first_len[which]),
                    ==, MYNA_OK);
  unsigned long after_first = myna_card_apdu_count(card);
  unsigned long card_after_first = myna_vcard_apdu_count(v);

  for(int which = 0; which < 4; which++) {
    const uint8_t *der = NULL;
    size_t len = 0;
    g_assert_cmpint(myna_jpki_read_certificate(card, (myna_jpki_cert)which,
                                               &der, &len),
                    ==, MYNA_OK);
    g_assert_true(der == first[which]);
    g_assert_cmpuint(len, ==, first_len[which]);
  }
  g_assert_cmpuint(myna_card_apdu_count(card), ==, after_first);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, card_after_first);
  myna_card_free(card);

  /* Kept for the session only: a new session reads the card again. */
  card = myna_test_open(v);
  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                             &len),
                  ==, MYNA_OK);
  g_assert_cmpuint(myna_card_apdu_count(card), >=, 3);
  g_assert_cmpuint(len, ==, first_len[MYNA_JPKI_CERT_AUTH]);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_sign_certificate_before_password(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  const uint8_t *der = NULL;
  size_t len = 0;

  /* Fresh session: refused locally, nothing sent (card-layer.md: "without
   * an APDU"). */
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);

  /* The auth PIN does not open it. */
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));

  /* Nor does a wrong sign password. */
  int left = -1;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "WRONG1", &left), ==,
                  MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 4);
  before = myna_card_apdu_count(card);
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 4);

  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_OK);
  X509 *sign = parse_cert(der, len);
  X509_free(sign);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- token info and availability ----------------------------------------- */

static void test_token_label_and_availability(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  char label[33];
  memset(label, 'x', sizeof(label));
  g_assert_cmpint(myna_jpki_token_label(card, label), ==, MYNA_OK);
  g_assert_cmpstr(label, ==, "JPKIAPICCTOKEN2");
  bool auth = false, sign = false;
  g_assert_cmpint(myna_jpki_cert_availability(card, &auth, &sign), ==, MYNA_OK);
  g_assert_true(auth);
  g_assert_true(sign);
  /* No PIN was involved. */
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_minimal_has_no_token_info(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("minimal", m->quirks);
  myna_card *card = myna_test_open(v);
  char label[33];
  g_assert_cmpint(myna_jpki_token_label(card, label), ==, MYNA_E_NOT_SUPPORTED);
  bool auth = false, sign = false;
  g_assert_cmpint(myna_jpki_cert_availability(card, &auth, &sign), ==,
                  MYNA_E_NOT_SUPPORTED);
  /* Asked once each (SELECT AP, SELECT 0006, SELECT 0008), nothing more. */
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 3);
  /* The session goes on: the card without those files works as usual. */
  X509 *auth_cert = card_cert(card, MYNA_JPKI_CERT_AUTH);
  X509 *auth_ca = card_cert(card, MYNA_JPKI_CERT_AUTH_CA);
  g_assert_cmpint(X509_verify(auth_cert, X509_get0_pubkey(auth_ca)), ==, 1);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "7081", NULL), ==,
                  MYNA_OK);
  sign_and_check(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256, auth_cert,
                 "minimal");
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "MINIMAL89", NULL), ==,
                  MYNA_OK);
  X509 *sign_cert = card_cert(card, MYNA_JPKI_CERT_SIGN);
  sign_and_check(card, MYNA_JPKI_KEY_SIGN, MYNA_HASH_SHA256, sign_cert,
                 "minimal");
  X509_free(auth_cert);
  X509_free(auth_ca);
  X509_free(sign_cert);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- child card: no signature certificate -------------------------------- */

static void test_child_has_no_sign_certificate(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("child", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  const uint8_t *der = NULL;
  size_t len = 0;

  /* Fresh session: the library cannot know yet. card-layer.md promises
   * MYNA_E_SECURITY_STATUS without an APDU for an unverified sign password;
   * MYNA_E_NO_SIGN_CERTIFICATE found out with SELECTs only would do too.
   * Never a READ, never a VERIFY. */
  myna_rv rv = myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                          &len);
  g_assert_true(rv == MYNA_E_SECURITY_STATUS ||
                rv == MYNA_E_NO_SIGN_CERTIFICATE);
  if(rv == MYNA_E_SECURITY_STATUS)
    g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  assert_only_selects_since(&log, 0);

  bool auth = false, sign = true;
  g_assert_cmpint(myna_jpki_cert_availability(card, &auth, &sign), ==, MYNA_OK);
  g_assert_true(auth);
  g_assert_false(sign);

  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_SIGN, &tries), ==,
                  MYNA_E_NO_SIGN_CERTIFICATE);
  int left = 42;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "ABC123", &left), ==,
                  MYNA_E_NO_SIGN_CERTIFICATE);
  g_assert_cmpint(left, ==, 42); /* no counter to report */
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_SIGN));
  g_assert_cmpuint(log.verifies, ==, 0); /* 6A82 on SELECT 001B: no VERIFY */

  /* Once the card has shown it has no sign side, the session says so for
   * every sign-side request without asking the card again, and never asks
   * for a password that does not exist. */
  unsigned long before = myna_card_apdu_count(card);
  rv = myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der, &len);
  g_assert_cmpint(rv, ==, MYNA_E_NO_SIGN_CERTIFICATE);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  /* Signing with the sign key is refused locally. */
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  before = myna_card_apdu_count(card);
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_SIGN, sig, &sig_len), ==,
                  MYNA_E_NO_SIGN_CERTIFICATE);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);

  /* The sign CA certificate is still there, and the auth side works. */
  X509 *sign_ca = card_cert(card, MYNA_JPKI_CERT_SIGN_CA);
  X509 *auth_cert = card_cert(card, MYNA_JPKI_CERT_AUTH);
  X509 *auth_ca = card_cert(card, MYNA_JPKI_CERT_AUTH_CA);
  g_assert_cmpint(X509_verify(auth_cert, X509_get0_pubkey(auth_ca)), ==, 1);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "5274", NULL), ==,
                  MYNA_OK);
  sign_and_check(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256, auth_cert,
                 "child");
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, -1); /* no such counter */
  g_assert_cmpuint(log.verifies, ==, 1);                /* the auth PIN only */
  X509_free(sign_ca);
  X509_free(auth_cert);
  X509_free(auth_ca);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- PIN counters -------------------------------------------------------- */

static void test_tries_left_spends_nothing(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_SIGN), ==, 5);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_SIGN), ==, 5);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  g_assert_cmpuint(log.verifies, ==, 0); /* no PIN ever sent */

  /* Also when verified: the counter is read and the session stays open. */
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpuint(log.verifies, ==, 1);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void check_wrong_pin_one_try(myna_vcard *v, myna_card *card,
                                    apdu_log *log, myna_jpki_key key,
                                    const char *counter, const char *wrong,
                                    int start)
{
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, start);
  unsigned verifies = log->verifies;
  int left = -1;
  g_assert_cmpint(verify_pin(card, key, wrong, &left), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, start - 1);
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, start - 1);
  g_assert_cmpuint(log->verifies, ==, verifies + 1); /* sent once, no retry */
  g_assert_false(myna_jpki_is_verified(card, key));
  g_assert_cmpint(api_tries(card, key), ==, start - 1);
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, start - 1);
}

static void test_wrong_pin_spends_one_try(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  check_wrong_pin_one_try(v, card, &log, MYNA_JPKI_KEY_AUTH, "auth", "9999", 3);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5); /* the other untouched */
  check_wrong_pin_one_try(v, card, &log, MYNA_JPKI_KEY_SIGN, "sign",
                          "WRONG2026", 5);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 2);
  /* A wrong PIN after a right one clears the verified state too. */
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  check_wrong_pin_one_try(v, card, &log, MYNA_JPKI_KEY_AUTH, "auth", "4321", 3);
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_correct_pin_resets_counter(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  int left = -1;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "0000", &left), ==,
                  MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 2);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "0001", &left), ==,
                  MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, 1);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 1);
  left = -1;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", &left), ==,
                  MYNA_OK);
  g_assert_cmpint(left, ==, -1); /* untouched on success */
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);

  for(int i = 0; i < 4; i++) {
    g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "WRONG1", &left), ==,
                    MYNA_E_WRONG_PIN);
    g_assert_cmpint(left, ==, 4 - i);
  }
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 1);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_SIGN), ==, 5);
  /* Both verified in the same session. */
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_SIGN));
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void check_one_try_blocks(myna_vcard *v, myna_card *card,
                                 myna_jpki_key key, const char *counter,
                                 const char *wrong, const char *right)
{
  g_assert_cmpint(api_tries(card, key), ==, 1);
  int left = -1;
  g_assert_cmpint(verify_pin(card, key, wrong, &left), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, 0);
  g_assert_cmpint(api_tries(card, key), ==, 0);
  left = -1;
  g_assert_cmpint(verify_pin(card, key, right, &left), ==, MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_false(myna_jpki_is_verified(card, key));
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, 0);
}

static void test_one_try_wrong_pin_blocks(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("one-try", m->quirks);
  myna_card *card = myna_test_open(v);
  check_one_try_blocks(v, card, MYNA_JPKI_KEY_AUTH, "auth", "0000", "8412");
  check_one_try_blocks(v, card, MYNA_JPKI_KEY_SIGN, "sign", "WRONG50",
                       "ONETRY50");
  /* Still blocked in a new session. */
  myna_card_free(card);
  card = myna_test_open(v);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 0);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_SIGN), ==, 0);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_blocked_profile(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("blocked", m->quirks);
  myna_card *card = myna_test_open(v);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 0);
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_SIGN), ==, 0);
  int left = -1;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "3906", &left), ==,
                  MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  left = -1;
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "BLOCKED26", &left), ==,
                  MYNA_E_PIN_BLOCKED);
  g_assert_cmpint(left, ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 0);
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  /* The free files are still readable. */
  X509 *auth = card_cert(card, MYNA_JPKI_CERT_AUTH);
  X509_free(auth);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- PIN formats --------------------------------------------------------- */

static void test_lowercase_sign_password(gconstpointer data)
{
  const mode *m = data;
  static const char *const spellings[] = { "sign2026", "Sign2026", "sIGN2026" };
  for(size_t i = 0; i < G_N_ELEMENTS(spellings); i++) {
    myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
    myna_card *card = myna_test_open(v);
    g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, spellings[i], NULL),
                    ==, MYNA_OK);
    g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_SIGN));
    g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
    X509 *sign = card_cert(card, MYNA_JPKI_CERT_SIGN);
    sign_and_check(card, MYNA_JPKI_KEY_SIGN, MYNA_HASH_SHA256, sign,
                   spellings[i]);
    X509_free(sign);
    myna_card_free(card);
    myna_test_vcard_free(v);
  }
}

static void test_bad_pin_format_sends_nothing(gconstpointer data)
{
  const mode *m = data;
  static const struct {
    myna_jpki_key key;
    const char *pin;
  } bad[] = {
    { MYNA_JPKI_KEY_SIGN, "SIGN1" },              /* 5: too short */
    { MYNA_JPKI_KEY_SIGN, "sign1" },
    { MYNA_JPKI_KEY_SIGN, "SIGN2026SIGN20261" },  /* 17: too long */
    { MYNA_JPKI_KEY_SIGN, "SIGN-2026" },
    { MYNA_JPKI_KEY_SIGN, "SIGN 2026" },
    { MYNA_JPKI_KEY_SIGN, "SIGN2026\n" },
    { MYNA_JPKI_KEY_SIGN, "ＳＩＧＮ2026" },       /* full-width letters */
    { MYNA_JPKI_KEY_SIGN, "" },
    { MYNA_JPKI_KEY_AUTH, "123" },
    { MYNA_JPKI_KEY_AUTH, "12345" },
    { MYNA_JPKI_KEY_AUTH, "12a4" },
    { MYNA_JPKI_KEY_AUTH, "１２３４" },
    { MYNA_JPKI_KEY_AUTH, "" },
  };
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  for(int round = 0; round < 2; round++) {
    /* round 0: fresh session; round 1: AP selected and auth verified */
    if(round == 1)
      g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                      MYNA_OK);
    unsigned long before = myna_card_apdu_count(card);
    unsigned long card_before = myna_vcard_apdu_count(v);
    for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
      int left = 42;
      g_test_message("round %d, PIN #%zu", round, i);
      g_assert_cmpint(verify_pin(card, bad[i].key, bad[i].pin, &left), ==,
                      MYNA_E_PIN_FORMAT);
      g_assert_cmpint(left, ==, 42);
      g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
      g_assert_cmpuint(myna_vcard_apdu_count(v), ==, card_before);
    }
    g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
    g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  }
  /* A refused format does not undo an earlier verify. */
  g_assert_true(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- signatures ---------------------------------------------------------- */

static void test_sign_every_hash_with_both_keys(gconstpointer data)
{
  const mode *m = data;
  static const myna_hash_alg algs[] = { MYNA_HASH_SHA1, MYNA_HASH_SHA256,
                                        MYNA_HASH_SHA384, MYNA_HASH_SHA512 };
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  X509 *certs[2] = { card_cert(card, MYNA_JPKI_CERT_AUTH),
                     card_cert(card, MYNA_JPKI_CERT_SIGN) };
  static const myna_jpki_key keys[2] = { MYNA_JPKI_KEY_AUTH,
                                         MYNA_JPKI_KEY_SIGN };
  for(size_t k = 0; k < 2; k++) {
    for(size_t a = 0; a < G_N_ELEMENTS(algs); a++) {
      g_autofree char *msg = g_strdup_printf("key %zu %s", k,
                                             myna_hash_alg_name(algs[a]));
      g_test_message("%s", msg);
      sign_and_check(card, keys[k], algs[a], certs[k], msg);
    }
  }
  /* A signature by one key does not pass as the other's. */
  uint8_t hash[32], sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  hash_message(MYNA_HASH_SHA256, "cross", hash);
  g_assert_cmpint(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                      MYNA_HASH_SHA256, hash, sizeof(hash),
                                      sig, sizeof(sig), &sig_len),
                  ==, MYNA_OK);
  g_assert_cmpint(openssl_verify(certs[1], MYNA_HASH_SHA256, hash, sizeof(hash),
                                 sig, sig_len), !=, 1);
  /* One VERIFY per PIN for all ten signatures. */
  g_assert_cmpuint(log.verifies, ==, 2);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  g_assert_cmpint(myna_vcard_tries(v, "sign"), ==, 5);
  X509_free(certs[0]);
  X509_free(certs[1]);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_sign_before_verify(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  /* Nothing is verified implicitly, nothing is sent. */
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_SIGN, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  uint8_t di[51];
  size_t di_len = 0;
  uint8_t hash[32] = { 0 };
  g_assert_cmpint(myna_digestinfo_build(MYNA_HASH_SHA256, hash, sizeof(hash),
                                        di, sizeof(di), &di_len),
                  ==, MYNA_OK);
  g_assert_cmpint(myna_jpki_sign_digestinfo(card, MYNA_JPKI_KEY_AUTH, di,
                                            di_len, sig, sizeof(sig),
                                            &sig_len),
                  ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);

  /* The auth PIN opens the auth key only. */
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  unsigned long before = myna_card_apdu_count(card);
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_SIGN, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_OK);

  /* A new session starts unverified. */
  myna_card_free(card);
  card = myna_test_open(v);
  g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- change PIN ---------------------------------------------------------- */

static void check_change_and_back(const mode *m, myna_jpki_key key,
                                  const char *counter, const char *old_pin,
                                  const char *new_typed, const char *new_card,
                                  int max_tries)
{
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  /* Before a verify: refused locally. */
  g_assert_cmpint(change_pin(card, key, new_typed), ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, 0);
  g_assert_cmpint(verify_pin(card, key, old_pin, NULL), ==, MYNA_OK);
  g_assert_cmpint(change_pin(card, key, new_typed), ==, MYNA_OK);
  myna_card_free(card);

  /* A new session on the same card: the old PIN is wrong, the new one is
   * right. */
  card = myna_test_open(v);
  int left = -1;
  g_assert_cmpint(verify_pin(card, key, old_pin, &left), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint(left, ==, max_tries - 1);
  g_assert_cmpint(verify_pin(card, key, new_card, NULL), ==, MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, max_tries);
  /* ... and it works: sign with the key. */
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(sign_sha256(card, key, sig, &sig_len), ==, MYNA_OK);
  g_assert_cmpint(change_pin(card, key, old_pin), ==, MYNA_OK);
  myna_card_free(card);

  card = myna_test_open(v);
  g_assert_cmpint(verify_pin(card, key, old_pin, NULL), ==, MYNA_OK);
  g_assert_cmpint(myna_vcard_tries(v, counter), ==, max_tries);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_change_auth_pin(gconstpointer data)
{
  check_change_and_back(data, MYNA_JPKI_KEY_AUTH, "auth", "1234", "5678",
                        "5678", 3);
}

static void test_change_sign_password(gconstpointer data)
{
  /* Typed in lowercase, stored as the card compares it: uppercase. */
  check_change_and_back(data, MYNA_JPKI_KEY_SIGN, "sign", "SIGN2026",
                        "newpass99", "NEWPASS99", 5);
}

static void test_change_pin_bad_format_sends_nothing(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  unsigned long before = myna_card_apdu_count(card);
  unsigned long card_before = myna_vcard_apdu_count(v);
  static const char *const bad_auth[] = { "123", "12345", "12a4", "" };
  static const char *const bad_sign[] = { "NEW12", "NEW-PASS",
                                          "NEWPASSWORD123456", "" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad_auth); i++)
    g_assert_cmpint(change_pin(card, MYNA_JPKI_KEY_AUTH, bad_auth[i]), ==,
                    MYNA_E_PIN_FORMAT);
  for(size_t i = 0; i < G_N_ELEMENTS(bad_sign); i++)
    g_assert_cmpint(change_pin(card, MYNA_JPKI_KEY_SIGN, bad_sign[i]), ==,
                    MYNA_E_PIN_FORMAT);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, before);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, card_before);
  myna_card_free(card);

  /* The PINs are unchanged. */
  card = myna_test_open(v);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- card removal -------------------------------------------------------- */

/* Remove the card after n APDUs of "verify auth PIN + sign", for every n of
 * that sequence. Before the sequence one try has been spent (counter 2), so
 * the counter tells whether the VERIFY reached the card: a right PIN puts it
 * back to 3, nothing else changes it. */
static void test_removal_during_verify_and_sign(gconstpointer data)
{
  const mode *m = data;

  /* The length of the sequence on this path. */
  unsigned long n_verify, n_total;
  {
    myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
    myna_card *card = myna_test_open(v);
    uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
    size_t sig_len = 0;
    g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                    MYNA_OK);
    n_verify = myna_card_apdu_count(card);
    g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                    MYNA_OK);
    n_total = myna_card_apdu_count(card);
    myna_card_free(card);
    myna_test_vcard_free(v);
  }
  g_assert_cmpuint(n_verify, ==, 3);  /* SELECT AP, SELECT 0018, VERIFY */
  /* + SELECT 0017, SIGN (+ GET RESPONSE on T=0) */
  g_assert_cmpuint(n_total, ==, is_t0(m) ? 6 : 5);

  for(unsigned long n = 1; n <= n_total; n++) {
    g_test_message("removed after %lu of %lu APDUs", n, n_total);
    myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
    g_autoptr(GBytes) auth_der = profile_bytes(v, "auth.der");
    gsize der_len = 0;
    const uint8_t *der = g_bytes_get_data(auth_der, &der_len);
    X509 *auth = parse_cert(der, der_len);

    /* Spend one try in a session of its own. */
    myna_card *card = myna_test_open(v);
    g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "0000", NULL), ==,
                    MYNA_E_WRONG_PIN);
    myna_card_free(card);
    g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 2);

    card = myna_test_open(v);
    apdu_log log;
    log_init(&log, card);
    unsigned long card_before = myna_vcard_apdu_count(v);
    myna_vcard_remove_after(v, n);

    uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
    size_t sig_len = 0;
    myna_rv rv_verify = verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL);
    myna_rv rv_sign = sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len);
    if(n < n_verify) {
      g_assert_cmpint(rv_verify, ==, MYNA_E_CARD_REMOVED);
      /* The session forgot the card; signing is refused locally. */
      g_assert_cmpint(rv_sign, ==, MYNA_E_SECURITY_STATUS);
    }
    else if(n < n_total) {
      g_assert_cmpint(rv_verify, ==, MYNA_OK);
      g_assert_cmpint(rv_sign, ==, MYNA_E_CARD_REMOVED);
    }
    else {
      g_assert_cmpint(rv_verify, ==, MYNA_OK);
      g_assert_cmpint(rv_sign, ==, MYNA_OK);
      uint8_t hash[32];
      hash_message(MYNA_HASH_SHA256, "mynaterm", hash);
      g_assert_cmpint(openssl_verify(auth, MYNA_HASH_SHA256, hash, sizeof(hash),
                                     sig, sig_len), ==, 1);
    }
    /* Exactly the APDUs up to the removal, the failed one included; the
     * card processed n of them. */
    g_assert_cmpuint(myna_card_apdu_count(card), ==,
                     n < n_total ? n + 1 : n_total);
    g_assert_cmpuint(myna_vcard_apdu_count(v) - card_before, ==, n);
    /* The PIN went out once at most: nothing is retried after a removal. */
    g_assert_cmpuint(log.verifies, ==, n + 1 >= n_verify ? 1 : 0);
    /* The counter moved only if the VERIFY was processed (and then back to
     * full, as the PIN was right). */
    g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, n >= n_verify ? 3 : 2);
    g_assert_false(myna_vcard_is_present(v));
    bool present = true;
    g_assert_cmpint(myna_card_is_present(card, &present), ==, MYNA_OK);
    g_assert_false(present);
    if(n == n_total) {
      /* The removal came after the last answer: the next command sees it. */
      int tries = -1;
      g_assert_cmpint(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries),
                      ==, MYNA_E_CARD_REMOVED);
    }
    g_assert_false(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));

    /* Back on the reader: the same session does a fresh verify + sign. */
    myna_vcard_set_present(v, true);
    unsigned verifies = log.verifies;
    g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                    MYNA_OK);
    g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                    MYNA_OK);
    uint8_t hash[32];
    hash_message(MYNA_HASH_SHA256, "mynaterm", hash);
    g_assert_cmpint(openssl_verify(auth, MYNA_HASH_SHA256, hash, sizeof(hash),
                                   sig, sig_len), ==, 1);
    g_assert_cmpuint(log.verifies, ==, verifies + 1);
    g_assert_cmpint(myna_vcard_tries(v, "auth"), ==, 3);

    X509_free(auth);
    log_free(&log);
    myna_card_free(card);
    myna_test_vcard_free(v);
  }
}

/* Remove the card at every step of a certificate read: never a partial
 * certificate, and the next read after re-insertion is whole. */
static void test_removal_during_certificate_read(gconstpointer data)
{
  const mode *m = data;
  unsigned long n_total;
  {
    myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
    myna_card *card = myna_test_open(v);
    X509 *x = card_cert(card, MYNA_JPKI_CERT_AUTH);
    X509_free(x);
    n_total = myna_card_apdu_count(card);
    myna_card_free(card);
    myna_test_vcard_free(v);
  }
  for(unsigned long n = 1; n < n_total; n++) {
    g_test_message("removed after %lu of %lu APDUs", n, n_total);
    myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
    myna_card *card = myna_test_open(v);
    myna_vcard_remove_after(v, n);
    const uint8_t *der = NULL;
    size_t len = 0;
    g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                               &len),
                    ==, MYNA_E_CARD_REMOVED);
    g_assert_cmpuint(myna_card_apdu_count(card), ==, n + 1);
    myna_vcard_set_present(v, true);
    unsigned long before = myna_card_apdu_count(card);
    check_same_as_profile(v, "auth.der", card, MYNA_JPKI_CERT_AUTH);
    /* Read again from the start, in full. A session that already saw the
     * extended READ refused (the 3rd APDU) keeps to short APDUs: one APDU
     * less. */
    bool learnt = !is_extended(m) && n >= 3;
    g_assert_cmpuint(myna_card_uses_extended(card), ==, is_extended(m));
    g_assert_cmpuint(myna_card_apdu_count(card) - before, ==,
                     learnt ? n_total - 1 : n_total);
    myna_card_free(card);
    myna_test_vcard_free(v);
  }
}

/* ---- APDU budget --------------------------------------------------------- */

/* The words of a read of a file of len bytes, SELECT included, on path m,
 * from a session that has not yet learnt whether extended APDUs pass. */
static char *read_words(const mode *m, const char *fid, size_t len,
                        bool first_read)
{
  unsigned chunks = chunks_of(len);
  g_autofree char *chunk_words = NULL;
  if(is_t0(m)) {
    /* every chunk waits behind 61xx for GET RESPONSE */
    chunk_words = repeat_words("READ:61XX GET-RESPONSE:9000", chunks);
  }
  else
    chunk_words = repeat_words("READ:9000", chunks);
  if(is_extended(m))
    return g_strdup_printf("SELECT-%s:9000 READ:9000", fid);
  /* The first read of the session tries the extended form once. */
  return g_strdup_printf("SELECT-%s:9000 %s%s", fid,
                         first_read ? "READ:6700 " : "", chunk_words);
}

/* "READ:6100" and "READ:611F" alike become "READ:61XX". */
static char *normalise_61(const char *words)
{
  GString *s = g_string_new(words);
  for(char *p = strstr(s->str, ":61"); p; p = strstr(p + 1, ":61")) {
    p[3] = 'X';
    p[4] = 'X';
  }
  return g_string_free(s, FALSE);
}

static void test_apdu_count_auth_flow(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);

  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                             &len),
                  ==, MYNA_OK);
  g_assert_cmpuint(myna_card_uses_extended(card), ==, is_extended(m));
  g_assert_cmpint(api_tries(card, MYNA_JPKI_KEY_AUTH), ==, 3);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_AUTH, "1234", NULL), ==,
                  MYNA_OK);
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_AUTH, sig, &sig_len), ==,
                  MYNA_OK);

  /* The generated auth certificate is about 1.05 KB: 5 short chunks. The
   * hard numbers below rest on that. */
  g_assert_cmpuint(chunks_of(len), ==, 5);
  g_autofree char *read = read_words(m, "000A", len, true);
  g_autofree char *want = g_strdup_printf(
    "SELECT-AP:9000 %s SELECT-0018:9000 VERIFY-STATUS:63C3 VERIFY:9000 "
    "SELECT-0017:9000 %s",
    read, is_t0(m) ? "SIGN:61XX GET-RESPONSE:9000" : "SIGN:9000");
  g_autofree char *got = normalise_61(log.words->str);
  g_test_message("%s: %lu APDUs: %s", m->name, myna_card_apdu_count(card),
                 log.words->str);
  g_assert_cmpstr(got, ==, want);
  /* extended: the floor of 7 plus the counter query.
   * short-only: one 6700 + 5 chunks in place of one extended read.
   * T=0: the same, each chunk and the signature fetched with GET RESPONSE. */
  static const unsigned long expected[] = { 8, 13, 19 };
  g_assert_cmpuint(myna_card_apdu_count(card), ==, expected[m - modes]);
  g_assert_cmpuint(myna_vcard_apdu_count(v), ==, expected[m - modes]);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_apdu_count_sign_flow(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  const uint8_t *der = NULL;
  size_t len = 0;
  g_assert_cmpint(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                             &len),
                  ==, MYNA_OK);
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  g_assert_cmpint(sign_sha256(card, MYNA_JPKI_KEY_SIGN, sig, &sig_len), ==,
                  MYNA_OK);

  /* The generated sign certificate is about 1.4 KB: 6 short chunks. */
  g_assert_cmpuint(chunks_of(len), ==, 6);
  g_autofree char *read = read_words(m, "0001", len, true);
  g_autofree char *want = g_strdup_printf(
    "SELECT-AP:9000 SELECT-001B:9000 VERIFY:9000 %s SELECT-001A:9000 %s", read,
    is_t0(m) ? "SIGN:61XX GET-RESPONSE:9000" : "SIGN:9000");
  g_autofree char *got = normalise_61(log.words->str);
  g_test_message("%s: %lu APDUs: %s", m->name, myna_card_apdu_count(card),
                 log.words->str);
  g_assert_cmpstr(got, ==, want);
  static const unsigned long expected[] = { 7, 13, 20 };
  g_assert_cmpuint(myna_card_apdu_count(card), ==, expected[m - modes]);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_apdu_count_all_certificates(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  g_assert_cmpint(verify_pin(card, MYNA_JPKI_KEY_SIGN, "SIGN2026", NULL), ==,
                  MYNA_OK);
  size_t lens[4];
  static const myna_jpki_cert order[4] = {
    MYNA_JPKI_CERT_AUTH, MYNA_JPKI_CERT_AUTH_CA, MYNA_JPKI_CERT_SIGN,
    MYNA_JPKI_CERT_SIGN_CA
  };
  static const char *const fids[4] = { "000A", "000B", "0001", "0002" };
  GString *want = g_string_new("SELECT-AP:9000 SELECT-001B:9000 VERIFY:9000");
  for(size_t i = 0; i < 4; i++) {
    const uint8_t *der = NULL;
    g_assert_cmpint(myna_jpki_read_certificate(card, order[i], &der, &lens[i]),
                    ==, MYNA_OK);
    g_autofree char *w = read_words(m, fids[i], lens[i], i == 0);
    g_string_append_printf(want, " %s", w);
  }
  /* auth 5, auth CA 4, sign 6, sign CA 4 short chunks */
  g_assert_cmpuint(chunks_of(lens[0]), ==, 5);
  g_assert_cmpuint(chunks_of(lens[1]), ==, 4);
  g_assert_cmpuint(chunks_of(lens[2]), ==, 6);
  g_assert_cmpuint(chunks_of(lens[3]), ==, 4);
  g_autofree char *got = normalise_61(log.words->str);
  g_test_message("%s: %lu APDUs: %s", m->name, myna_card_apdu_count(card),
                 log.words->str);
  g_assert_cmpstr(got, ==, want->str);
  /* extended: 3 + 4 x (SELECT + READ);
   * short-only: 3 + 4 SELECT + one 6700 + 19 chunks;
   * T=0: 3 + 4 SELECT + one 6700 + 19 x (READ + GET RESPONSE). */
  static const unsigned long expected[] = { 11, 27, 46 };
  g_assert_cmpuint(myna_card_apdu_count(card), ==, expected[m - modes]);
  g_string_free(want, TRUE);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

static void test_apdu_count_token_info(gconstpointer data)
{
  const mode *m = data;
  myna_vcard *v = myna_test_vcard_new("adult", m->quirks);
  myna_card *card = myna_test_open(v);
  apdu_log log;
  log_init(&log, card);
  char label[33];
  bool auth = false, sign = false;
  g_assert_cmpint(myna_jpki_token_label(card, label), ==, MYNA_OK);
  g_assert_cmpint(myna_jpki_cert_availability(card, &auth, &sign), ==, MYNA_OK);
  /* Fixed-size reads are short APDUs on every path. */
  const char *want = is_t0(m) ?
    "SELECT-AP:9000 SELECT-0006:9000 READ:61XX GET-RESPONSE:9000 "
    "SELECT-0008:9000 READ:61XX GET-RESPONSE:9000" :
    "SELECT-AP:9000 SELECT-0006:9000 READ:9000 SELECT-0008:9000 READ:9000";
  g_autofree char *got = normalise_61(log.words->str);
  g_test_message("%s: %lu APDUs: %s", m->name, myna_card_apdu_count(card),
                 log.words->str);
  g_assert_cmpstr(got, ==, want);
  g_assert_cmpuint(myna_card_apdu_count(card), ==, is_t0(m) ? 7 : 5);
  log_free(&log);
  myna_card_free(card);
  myna_test_vcard_free(v);
}

/* ---- registration -------------------------------------------------------- */

static void add(const char *behaviour, GTestDataFunc fn)
{
  myna_test_add_per_mode("jpki", behaviour, fn);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  add("select/sent-once-per-session", test_select_once);
  add("certificates/all-four-parse-and-chain-sign-after-password",
      test_read_all_four_certificates);
  add("certificates/read-once-per-session",
      test_certificates_read_once_per_session);
  add("certificates/sign-cert-before-password-is-security-status",
      test_sign_certificate_before_password);
  add("token/label-and-availability-on-adult",
      test_token_label_and_availability);
  add("token/minimal-card-not-supported-and-still-works",
      test_minimal_has_no_token_info);
  add("child/no-sign-certificate", test_child_has_no_sign_certificate);
  add("tries/read-twice-spends-nothing", test_tries_left_spends_nothing);
  add("verify/wrong-pin-spends-exactly-one-try", test_wrong_pin_spends_one_try);
  add("verify/correct-pin-resets-the-counter", test_correct_pin_resets_counter);
  add("verify/one-try-wrong-pin-blocks-then-right-pin-refused",
      test_one_try_wrong_pin_blocks);
  add("verify/blocked-profile-tries-zero-and-verify-blocked",
      test_blocked_profile);
  add("verify/lowercase-sign-password-is-uppercased",
      test_lowercase_sign_password);
  add("verify/bad-format-sends-nothing-spends-nothing",
      test_bad_pin_format_sends_nothing);
  add("sign/every-hash-with-both-keys-verifies-with-openssl",
      test_sign_every_hash_with_both_keys);
  add("sign/before-verify-is-security-status", test_sign_before_verify);
  add("change-pin/auth-pin-and-back", test_change_auth_pin);
  add("change-pin/sign-password-and-back", test_change_sign_password);
  add("change-pin/bad-new-pin-sends-nothing",
      test_change_pin_bad_format_sends_nothing);
  add("removal/every-step-of-verify-and-sign",
      test_removal_during_verify_and_sign);
  add("removal/every-step-of-certificate-read",
      test_removal_during_certificate_read);
  add("apdu-count/auth-cert-tries-verify-sign", test_apdu_count_auth_flow);
  add("apdu-count/sign-password-sign-cert-sign", test_apdu_count_sign_flow);
  add("apdu-count/all-four-certificates", test_apdu_count_all_certificates);
  add("apdu-count/token-label-and-availability", test_apdu_count_token_info);
  return g_test_run();
}
