/* test_pki.c - portal-sim's certificate checks, CRLs and OCSP responder
 * (portal-sim/pki/pki.c) against the build's test PKI (MYNA_TEST_PKI).
 *
 * Each test builds a data directory of its own in a temporary folder:
 * trust/ with the test PKI's CA certificates, with or without the CA keys,
 * with the generated CRLs or with CRLs the test signs itself. Certificates
 * the test PKI does not have (a foreign CA, wrong key usage, not yet valid,
 * unregistered) are issued here with OpenSSL. */
#include <errno.h>
#include <ftw.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "pki_internal.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_CRL, X509_CRL_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OCSP_REQUEST, OCSP_REQUEST_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OCSP_RESPONSE, OCSP_RESPONSE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OCSP_BASICRESP, OCSP_BASICRESP_free)

static const char *pki_dir;
/* One RSA key for every certificate the tests issue: generating keys is
 * the slow part, and which key a certificate has does not matter here. */
static EVP_PKEY *test_key;

/* ---- files ---- */

static char *pki_path(const char *rel)
{
  return g_build_filename(pki_dir, rel, NULL);
}

static X509 *load_cert(const char *rel)
{
  g_autofree char *path = pki_path(rel);
  FILE *f = fopen(path, "rb");
  g_assert_nonnull(f);
  X509 *x = g_str_has_suffix(rel, ".der") ? d2i_X509_fp(f, NULL)
                                          : PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  g_assert_nonnull(x);
  return x;
}

static EVP_PKEY *load_key(const char *rel)
{
  g_autofree char *path = pki_path(rel);
  FILE *f = fopen(path, "rb");
  g_assert_nonnull(f);
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  g_assert_nonnull(k);
  return k;
}

static void copy_file(const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize n = 0;
  g_assert_true(g_file_get_contents(from, &data, &n, NULL));
  g_assert_true(g_file_set_contents(to, data, (gssize)n, NULL));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  return remove(path);
}

typedef struct datadir {
  char *dir;
  char *trust;
} datadir;

enum {
  WITH_KEYS = 1 << 0,          /* trust/<ca>-ca.key */
  WITH_CRLS = 1 << 1,          /* trust/<ca>-ca.crl.pem from the test PKI */
};

/* A data directory with trust/ filled as flags say. */
static void datadir_make(datadir *d, unsigned flags)
{
  d->dir = g_dir_make_tmp("test-pki-XXXXXX", NULL);
  g_assert_nonnull(d->dir);
  d->trust = g_build_filename(d->dir, "trust", NULL);
  g_assert_cmpint(g_mkdir(d->trust, 0700), ==, 0);
  const char *names[] = { "auth", "sign" };
  for(int i = 0; i < 2; i++) {
    g_autofree char *rel = g_strdup_printf("ca/%s-ca.pem", names[i]);
    g_autofree char *from = pki_path(rel);
    g_autofree char *to = g_strdup_printf("%s/%s-ca.pem", d->trust, names[i]);
    copy_file(from, to);
    if(flags & WITH_KEYS) {
      g_autofree char *krel = g_strdup_printf("ca/%s-ca.key", names[i]);
      g_autofree char *kfrom = pki_path(krel);
      g_autofree char *kto = g_strdup_printf("%s/%s-ca.key", d->trust, names[i]);
      copy_file(kfrom, kto);
    }
    if(flags & WITH_CRLS) {
      g_autofree char *crel = g_strdup_printf("ca/%s-ca.crl.pem", names[i]);
      g_autofree char *cfrom = pki_path(crel);
      g_autofree char *cto = g_strdup_printf("%s/%s-ca.crl.pem", d->trust, names[i]);
      copy_file(cfrom, cto);
    }
  }
}

static void datadir_clear(datadir *d)
{
  nftw(d->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  g_free(d->dir);
  g_free(d->trust);
}

static ps_pki *open_ok(datadir *d)
{
  ps_pki *pki = NULL;
  g_autoptr(GError) err = NULL;
  if(!ps_pki_open(d->dir, &pki, &err))
    g_error("ps_pki_open: %s", err->message);
  return pki;
}

/* ---- issuing test certificates and CRLs ---- */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  g_assert_nonnull(ext);
  g_assert_true(X509_add_ext(x, ext, -1));
  X509_EXTENSION_free(ext);
}

/* A certificate for test_key, issued by issuer/issuer_key (NULL: self-
 * signed), valid from now+from_s to now+to_s, with keyUsage ku (NULL:
 * none) and basicConstraints CA:true when ca. */
static X509 *issue(X509 *issuer, EVP_PKEY *issuer_key, const char *cn,
                   long from_s, long to_s, const char *ku, bool ca)
{
  X509 *x = X509_new();
  g_assert_true(X509_set_version(x, X509_VERSION_3));
  BIGNUM *bn = BN_new();
  g_assert_true(BN_rand(bn, 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY));
  g_assert_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
  BN_free(bn);
  X509_NAME *name = X509_NAME_new();
  g_assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                           (const unsigned char *)cn, -1, -1, 0));
  g_assert_true(X509_set_subject_name(x, name));
  g_assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name));
  X509_NAME_free(name);
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
  g_assert_true(X509_set_pubkey(x, test_key));
  X509 *iss = issuer ? issuer : x;
  if(ca)
    add_ext(x, iss, NID_basic_constraints, "critical,CA:true");
  if(ku)
    add_ext(x, iss, NID_key_usage, ku);
  add_ext(x, iss, NID_subject_key_identifier, "hash");
  add_ext(x, iss, NID_authority_key_identifier, "keyid:always");
  g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : test_key, EVP_sha256()), >, 0);
  return x;
}

/* A CRL of ca signed with key, this/next update relative to now, listing
 * serial when not NULL; written as PEM to path. */
static void write_crl(const char *path, X509 *ca, EVP_PKEY *key, long this_s,
                      long next_s, const ASN1_INTEGER *serial)
{
  g_autoptr(X509_CRL) crl = X509_CRL_new();
  g_assert_true(X509_CRL_set_version(crl, X509_CRL_VERSION_2));
  g_assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)));
  ASN1_TIME *t = X509_gmtime_adj(NULL, this_s);
  ASN1_TIME *n = X509_gmtime_adj(NULL, next_s);
  g_assert_true(X509_CRL_set1_lastUpdate(crl, t));
  g_assert_true(X509_CRL_set1_nextUpdate(crl, n));
  if(serial) {
    X509_REVOKED *r = X509_REVOKED_new();
    g_autoptr(ASN1_INTEGER) s = ASN1_INTEGER_dup(serial);
    g_assert_true(X509_REVOKED_set_serialNumber(r, s));
    g_assert_true(X509_REVOKED_set_revocationDate(r, t));
    g_assert_true(X509_CRL_add0_revoked(crl, r));
  }
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  g_assert_cmpint(X509_CRL_sign(crl, key, EVP_sha256()), >, 0);
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  g_assert_true(PEM_write_X509_CRL(f, crl));
  fclose(f);
}

/* ---- report helpers ---- */

static bool report_mentions(GPtrArray *report, const char *item, const char *text)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(strcmp(it->item, item) == 0 && strstr(it->content, text))
      return true;
  }
  return false;
}

static void dump_report(GPtrArray *report)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_test_message("report: %s: %s", it->item, it->content);
  }
}

/* ---- tests ---- */

static void test_good_certificates_pass(void)
{
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/adult/auth.der");
  g_autoptr(X509) sign = load_cert("profiles/adult/sign.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==, PS_CERT_OK);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_SIGN, sign, report), ==, PS_CERT_OK);
  dump_report(report);
  g_assert_cmpuint(report->len, ==, 0);
  g_assert_cmpint(ps_pki_crl_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_GOOD);
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_GOOD);
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_SIGN, sign, NULL), ==, PS_REV_GOOD);
  datadir_clear(&d);
}

static void test_good_certificates_pass_without_keys(void)
{
  /* Without the CA keys the given CRLs decide; OCSP cannot answer. */
  datadir d;
  datadir_make(&d, WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/taisho/auth.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==, PS_CERT_OK);
  g_assert_cmpuint(report->len, ==, 0);
  g_assert_false(ps_pki_has_key(pki, PS_CA_AUTH));
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, auth, report), ==, PS_REV_UNKNOWN);
  g_assert_true(report_mentions(report, "auth_cert", "OCSP"));
  datadir_clear(&d);
}

static void test_expired_profile_is_expired(void)
{
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/expired/auth.der");
  g_autoptr(X509) sign = load_cert("profiles/expired/sign.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==, PS_CERT_EXPIRED);
  g_assert_true(report_mentions(report, "auth_cert", "有効期限"));
  g_assert_cmpint(ps_pki_check(pki, PS_CA_SIGN, sign, report), ==, PS_CERT_EXPIRED);
  g_assert_true(report_mentions(report, "sign_cert", "有効期限"));
  /* Expired, not revoked: nothing about revocation. */
  g_assert_false(report_mentions(report, "auth_cert", "失効"));
  datadir_clear(&d);
}

static void test_not_yet_valid_is_expired(void)
{
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) ca_key = load_key("ca/auth-ca.key");
  g_autoptr(X509) future = issue(ca, ca_key, "FUTURE", 86400, 2 * 86400,
                                 "critical,digitalSignature", false);
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, future, report), ==, PS_CERT_EXPIRED);
  g_assert_true(report_mentions(report, "auth_cert", "まだ有効になっていません"));
  datadir_clear(&d);
}

static void test_revoked_profile_by_crl(void)
{
  /* No CA keys: the test PKI's CRL is all there is, OCSP is silent. */
  datadir d;
  datadir_make(&d, WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/revoked/auth.der");
  g_autoptr(X509) sign = load_cert("profiles/revoked/sign.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_crl_status(pki, PS_CA_AUTH, auth, report), ==, PS_REV_REVOKED);
  g_assert_true(report_mentions(report, "auth_cert", "CRL"));
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_UNKNOWN);
  g_ptr_array_set_size(report, 0);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==, PS_CERT_REVOKED);
  g_assert_true(report_mentions(report, "auth_cert", "失効しています"));
  g_assert_cmpint(ps_pki_check(pki, PS_CA_SIGN, sign, report), ==, PS_CERT_REVOKED);
  g_assert_true(report_mentions(report, "sign_cert", "失効しています"));
  datadir_clear(&d);
}

static void test_revoked_profile_by_ocsp(void)
{
  /* With the CA keys the responder answers from the revoked list it took
   * over from the test PKI's CRL. */
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/revoked/auth.der");
  g_autoptr(X509) good = load_cert("profiles/adult/auth.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, auth, report), ==, PS_REV_REVOKED);
  g_assert_true(report_mentions(report, "auth_cert", "OCSP"));
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, good, NULL), ==, PS_REV_GOOD);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, NULL), ==, PS_CERT_REVOKED);
  datadir_clear(&d);
}

static void test_revocation_by_ocsp_alone_is_revoked(void)
{
  /* A CA whose CRL file lists nothing: a revocation recorded later shows
   * in OCSP and in the re-signed CRL; each half alone says revoked. */
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) ca_key = load_key("ca/auth-ca.key");
  datadir d;
  datadir_make(&d, WITH_KEYS);
  g_autofree char *crl = g_build_filename(d.trust, "auth-ca.crl.pem", NULL);
  write_crl(crl, ca, ca_key, -60, 86400, NULL);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/minimal/auth.der");
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, NULL), ==, PS_CERT_OK);
  bool added = false;
  g_autoptr(GError) err = NULL;
  g_assert_true(ps_pki_revoke(pki, PS_CA_AUTH, X509_get0_serialNumber(auth), 1,
                              g_get_real_time() / G_USEC_PER_SEC, &added, &err));
  g_assert_no_error(err);
  g_assert_true(added);
  g_assert_true(ps_pki_revoke(pki, PS_CA_AUTH, X509_get0_serialNumber(auth), 1,
                              g_get_real_time() / G_USEC_PER_SEC, &added, &err));
  g_assert_false(added);
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_REVOKED);
  g_assert_cmpint(ps_pki_crl_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_REVOKED);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==, PS_CERT_REVOKED);
  dump_report(report);
  /* One finding for one revocation, even though both sources agree. */
  g_assert_cmpuint(report->len, ==, 1);

  /* The served CRL lists it, is signed by the CA and is current. */
  g_autoptr(GBytes) der = ps_pki_crl_der(pki, PS_CA_AUTH);
  gsize n = 0;
  const unsigned char *p = g_bytes_get_data(der, &n);
  g_autoptr(X509_CRL) served = d2i_X509_CRL(NULL, &p, (long)n);
  g_assert_nonnull(served);
  g_assert_cmpint(X509_CRL_verify(served, X509_get0_pubkey(ca)), ==, 1);
  X509_REVOKED *rv = NULL;
  g_assert_cmpint(X509_CRL_get0_by_serial(served, &rv, X509_get0_serialNumber(auth)), ==, 1);
  g_assert_cmpint(X509_cmp_current_time(X509_CRL_get0_nextUpdate(served)), >, 0);
  ASN1_INTEGER *num = X509_CRL_get_ext_d2i(served, NID_crl_number, NULL, NULL);
  g_assert_nonnull(num);
  ASN1_INTEGER_free(num);
  datadir_clear(&d);
}

static void test_revoke_needs_the_ca_key(void)
{
  datadir d;
  datadir_make(&d, WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/adult/auth.der");
  g_autoptr(GError) err = NULL;
  g_assert_false(ps_pki_revoke(pki, PS_CA_AUTH, X509_get0_serialNumber(auth), -1, 0,
                               NULL, &err));
  g_assert_error(err, PS_PKI_ERROR, PS_PKI_ERROR_NO_KEY);
  datadir_clear(&d);
}

static void test_foreign_ca_is_chain_invalid(void)
{
  /* A CA with the same name as the JPKI auth CA but another key. */
  g_autoptr(X509) real_ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) foreign_key = EVP_RSA_gen(2048);
  g_assert_nonnull(foreign_key);
  X509 *foreign_ca = X509_new();
  g_assert_true(X509_set_version(foreign_ca, X509_VERSION_3));
  ASN1_INTEGER_set(X509_get_serialNumber(foreign_ca), 1);
  g_assert_true(X509_set_subject_name(foreign_ca, X509_get_subject_name(real_ca)));
  g_assert_true(X509_set_issuer_name(foreign_ca, X509_get_subject_name(real_ca)));
  X509_gmtime_adj(X509_getm_notBefore(foreign_ca), -86400);
  X509_gmtime_adj(X509_getm_notAfter(foreign_ca), 86400);
  g_assert_true(X509_set_pubkey(foreign_ca, foreign_key));
  add_ext(foreign_ca, foreign_ca, NID_basic_constraints, "critical,CA:true");
  add_ext(foreign_ca, foreign_ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(foreign_ca, foreign_ca, NID_subject_key_identifier, "hash");
  g_assert_cmpint(X509_sign(foreign_ca, foreign_key, EVP_sha256()), >, 0);
  g_autoptr(X509) leaf = issue(foreign_ca, foreign_key, "FOREIGN", -60, 86400,
                               "critical,digitalSignature", false);
  X509_free(foreign_ca);

  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, leaf, report), ==, PS_CERT_CHAIN_INVALID);
  dump_report(report);
  g_assert_cmpuint(report->len, ==, 1);
  g_assert_true(report_mentions(report, "auth_cert", "発行した認証局を確認できません"));
  g_assert_cmpint(ps_pki_check(pki, PS_CA_SIGN, leaf, report), ==, PS_CERT_CHAIN_INVALID);
  g_assert_true(report_mentions(report, "sign_cert", "発行した認証局を確認できません"));
  datadir_clear(&d);
}

static void test_sign_cert_as_auth_is_chain_invalid(void)
{
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) sign = load_cert("profiles/adult/sign.der");
  g_autoptr(X509) auth = load_cert("profiles/adult/auth.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, sign, report), ==, PS_CERT_CHAIN_INVALID);
  g_assert_true(report_mentions(report, "auth_cert", "署名用電子証明書が送られました"));
  g_assert_cmpint(ps_pki_check(pki, PS_CA_SIGN, auth, report), ==, PS_CERT_CHAIN_INVALID);
  g_assert_true(report_mentions(report, "sign_cert", "利用者証明用電子証明書が送られました"));
  datadir_clear(&d);
}

static void test_wrong_key_usage_is_chain_invalid(void)
{
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) ca_key = load_key("ca/auth-ca.key");
  /* Issued by the real auth CA, but with a signing certificate's key usage
   * or none at all, or as a CA. */
  g_autoptr(X509) nr = issue(ca, ca_key, "NR", -60, 86400,
                             "critical,nonRepudiation,digitalSignature", false);
  g_autoptr(X509) none = issue(ca, ca_key, "NONE", -60, 86400, NULL, false);
  g_autoptr(X509) sub_ca = issue(ca, ca_key, "SUBCA", -60, 86400,
                                 "critical,keyCertSign,cRLSign", true);
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, nr, report), ==, PS_CERT_CHAIN_INVALID);
  g_assert_true(report_mentions(report, "auth_cert", "keyUsage"));
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, none, NULL), ==, PS_CERT_CHAIN_INVALID);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, sub_ca, NULL), ==, PS_CERT_CHAIN_INVALID);
  /* The CA certificate itself is no resident's certificate. */
  g_ptr_array_set_size(report, 0);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, ca, report), ==, PS_CERT_CHAIN_INVALID);
  g_assert_true(report_mentions(report, "auth_cert", "認証局"));
  datadir_clear(&d);
}

static void test_expired_crl_is_a_failure(void)
{
  /* No CA key and a CRL past its nextUpdate: nothing can say the adult's
   * certificate is not revoked, so it does not pass. */
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) ca_key = load_key("ca/auth-ca.key");
  datadir d;
  datadir_make(&d, WITH_CRLS);
  g_autofree char *crl = g_build_filename(d.trust, "auth-ca.crl.pem", NULL);
  write_crl(crl, ca, ca_key, -10 * 86400, -86400, NULL);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/adult/auth.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_crl_status(pki, PS_CA_AUTH, auth, NULL), ==, PS_REV_UNKNOWN);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, report), ==,
                  PS_CERT_REVOCATION_UNKNOWN);
  dump_report(report);
  g_assert_true(report_mentions(report, "auth_cert", "最新ではありません"));
  /* An expired CRL that lists the certificate still says revoked. */
  g_autoptr(X509) revoked = load_cert("profiles/revoked/auth.der");
  write_crl(crl, ca, ca_key, -10 * 86400, -86400, X509_get0_serialNumber(revoked));
  g_autoptr(ps_pki) pki2 = open_ok(&d);
  g_assert_cmpint(ps_pki_check(pki2, PS_CA_AUTH, revoked, NULL), ==,
                  PS_CERT_REVOKED);
  datadir_clear(&d);
}

static void test_ca_key_renews_an_expired_crl(void)
{
  /* With the key, an expired CRL file only seeds the list: the CRL that
   * counts is signed afresh, and its entries are kept. */
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(EVP_PKEY) ca_key = load_key("ca/auth-ca.key");
  g_autoptr(X509) revoked = load_cert("profiles/revoked/auth.der");
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autofree char *crl = g_build_filename(d.trust, "auth-ca.crl.pem", NULL);
  write_crl(crl, ca, ca_key, -10 * 86400, -86400, X509_get0_serialNumber(revoked));
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) auth = load_cert("profiles/adult/auth.der");
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, auth, NULL), ==, PS_CERT_OK);
  g_assert_cmpint(ps_pki_crl_status(pki, PS_CA_AUTH, revoked, NULL), ==, PS_REV_REVOKED);
  g_assert_cmpint(ps_pki_ocsp_status(pki, PS_CA_AUTH, revoked, NULL), ==, PS_REV_REVOKED);
  datadir_clear(&d);
}

/* An OCSP request for certs (all from issuer), with a nonce. */
static GBytes *ocsp_request(X509 *issuer, X509 **certs, int n, OCSP_REQUEST **keep)
{
  OCSP_REQUEST *req = OCSP_REQUEST_new();
  for(int i = 0; i < n; i++)
    g_assert_nonnull(OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, certs[i], issuer)));
  g_assert_true(OCSP_request_add1_nonce(req, NULL, -1));
  unsigned char *der = NULL;
  int len = i2d_OCSP_REQUEST(req, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  *keep = req;
  return b;
}

static OCSP_RESPONSE *respond(ps_pki *pki, GBytes *req)
{
  gsize n = 0;
  const uint8_t *d = g_bytes_get_data(req, &n);
  g_autoptr(GBytes) out = ps_pki_ocsp_respond(pki, d, n);
  gsize m = 0;
  const unsigned char *p = g_bytes_get_data(out, &m);
  OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)m);
  g_assert_nonnull(r);
  return r;
}

static void test_ocsp_responder_answers_as_rfc6960(void)
{
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(X509) good = load_cert("profiles/adult/auth.der");
  g_autoptr(X509) revoked = load_cert("profiles/revoked/auth.der");
  X509 *both[] = { good, revoked };
  g_autoptr(OCSP_REQUEST) req = NULL;
  g_autoptr(GBytes) der = ocsp_request(ca, both, 2, &req);
  g_autoptr(OCSP_RESPONSE) resp = respond(pki, der);
  g_assert_cmpint(OCSP_response_status(resp), ==, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  g_autoptr(OCSP_BASICRESP) bs = OCSP_response_get1_basic(resp);
  g_assert_nonnull(bs);
  g_assert_cmpint(OCSP_check_nonce(req, bs), ==, 1);
  /* Verifies as `openssl ocsp -CAfile auth-ca.pem` does: signer chain to
   * the trusted CA, signer authorised for the certificates. */
  X509_STORE *store = X509_STORE_new();
  g_assert_true(X509_STORE_add_cert(store, ca));
  g_assert_cmpint(OCSP_basic_verify(bs, NULL, store, 0), ==, 1);
  X509_STORE_free(store);
  int status, reason;
  ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
  OCSP_CERTID *id = OCSP_cert_to_id(NULL, good, ca);
  g_assert_true(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd));
  g_assert_cmpint(status, ==, V_OCSP_CERTSTATUS_GOOD);
  g_assert_true(OCSP_check_validity(thisupd, nextupd, 0, -1));
  OCSP_CERTID_free(id);
  id = OCSP_cert_to_id(NULL, revoked, ca);
  g_assert_true(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd));
  g_assert_cmpint(status, ==, V_OCSP_CERTSTATUS_REVOKED);
  g_assert_cmpint(reason, ==, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  g_assert_nonnull(rev);
  OCSP_CERTID_free(id);
  datadir_clear(&d);
}

static void test_ocsp_responder_refuses_what_it_cannot_answer(void)
{
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  /* Not a request at all. */
  static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
  g_autoptr(GBytes) jb = g_bytes_new_static(junk, sizeof(junk));
  g_autoptr(OCSP_RESPONSE) r1 = respond(pki, jb);
  g_assert_cmpint(OCSP_response_status(r1), ==, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  /* A certificate of a CA portal-sim does not know. */
  g_autoptr(X509) self = issue(NULL, NULL, "STRANGER", -60, 86400,
                               "critical,keyCertSign", true);
  g_autoptr(X509) leaf = issue(self, test_key, "LEAF", -60, 86400,
                               "critical,digitalSignature", false);
  g_autoptr(OCSP_REQUEST) req = NULL;
  g_autoptr(GBytes) der = ocsp_request(self, &leaf, 1, &req);
  g_autoptr(OCSP_RESPONSE) r2 = respond(pki, der);
  g_assert_cmpint(OCSP_response_status(r2), ==, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  datadir_clear(&d);

  /* Without the CA key the responder is not authoritative. */
  datadir_make(&d, WITH_CRLS);
  g_autoptr(ps_pki) keyless = open_ok(&d);
  g_autoptr(X509) ca = load_cert("ca/auth-ca.pem");
  g_autoptr(X509) good = load_cert("profiles/adult/auth.der");
  g_autoptr(OCSP_REQUEST) req2 = NULL;
  g_autoptr(GBytes) der2 = ocsp_request(ca, &good, 1, &req2);
  g_autoptr(OCSP_RESPONSE) r3 = respond(keyless, der2);
  g_assert_cmpint(OCSP_response_status(r3), ==, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  datadir_clear(&d);
}

static void open_fails(datadir *d, int code, const char *mention)
{
  ps_pki *pki = NULL;
  g_autoptr(GError) err = NULL;
  g_assert_false(ps_pki_open(d->dir, &pki, &err));
  g_assert_null(pki);
  g_assert_error(err, PS_PKI_ERROR, code);
  g_test_message("%s", err->message);
  g_assert_nonnull(strstr(err->message, mention));
}

static void test_open_names_what_is_wrong(void)
{
  datadir d;
  /* No CRL and no key: revocation could never be decided. */
  datadir_make(&d, 0);
  open_fails(&d, PS_PKI_ERROR_FILE, "auth-ca.crl.pem");
  datadir_clear(&d);
  /* The sign CA's key in the auth CA's place. */
  datadir_make(&d, WITH_CRLS);
  g_autofree char *from = pki_path("ca/sign-ca.key");
  g_autofree char *to = g_build_filename(d.trust, "auth-ca.key", NULL);
  copy_file(from, to);
  open_fails(&d, PS_PKI_ERROR_MISMATCH, "auth-ca.key");
  datadir_clear(&d);
  /* The sign CA's CRL in the auth CA's place. */
  datadir_make(&d, WITH_CRLS);
  g_autofree char *cfrom = pki_path("ca/sign-ca.crl.pem");
  g_autofree char *cto = g_build_filename(d.trust, "auth-ca.crl.pem", NULL);
  copy_file(cfrom, cto);
  open_fails(&d, PS_PKI_ERROR_MISMATCH, "auth-ca.crl.pem");
  datadir_clear(&d);
  /* A leaf certificate as a trust anchor. */
  datadir_make(&d, WITH_CRLS);
  g_autoptr(X509) x = load_cert("profiles/adult/auth.der");
  g_autofree char *pem = g_build_filename(d.trust, "sign-ca.pem", NULL);
  FILE *f = fopen(pem, "wb");
  g_assert_true(PEM_write_X509(f, x));
  fclose(f);
  open_fails(&d, PS_PKI_ERROR_PARSE, "not a CA certificate");
  datadir_clear(&d);
  /* A broken block after a good CRL is not silently dropped. */
  datadir_make(&d, WITH_CRLS);
  g_autofree char *crlf = g_build_filename(d.trust, "sign-ca.crl.pem", NULL);
  g_autofree char *good = NULL;
  g_assert_true(g_file_get_contents(crlf, &good, NULL, NULL));
  g_autofree char *broken = g_strconcat(good, "-----BEGIN X509 CRL-----\nMIIBAAAA\n"
                                        "-----END X509 CRL-----\n", NULL);
  g_assert_true(g_file_set_contents(crlf, broken, -1, NULL));
  open_fails(&d, PS_PKI_ERROR_PARSE, "CRL #2 in it is broken");
  datadir_clear(&d);
  /* Nothing at all. */
  datadir_make(&d, WITH_CRLS);
  g_autofree char *gone = g_build_filename(d.trust, "auth-ca.pem", NULL);
  g_assert_cmpint(g_unlink(gone), ==, 0);
  open_fails(&d, PS_PKI_ERROR_FILE, "auth-ca.pem");
  datadir_clear(&d);
}

static void test_several_ca_certificates_are_accepted(void)
{
  /* trust/auth-ca.pem with a second CA (another key) before the real one:
   * certificates of both pass, each against its own CRL. */
  g_autoptr(X509) second = issue(NULL, NULL, "SECOND AUTH CA", -86400, 365 * 86400,
                                 "critical,keyCertSign,cRLSign", true);
  g_autoptr(X509) leaf = issue(second, test_key, "SECOND LEAF", -60, 86400,
                               "critical,digitalSignature", false);
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autofree char *pem = g_build_filename(d.trust, "auth-ca.pem", NULL);
  g_autofree char *orig = NULL;
  g_assert_true(g_file_get_contents(pem, &orig, NULL, NULL));
  FILE *f = fopen(pem, "wb");
  g_assert_true(PEM_write_X509(f, second));
  fputs(orig, f);
  fclose(f);
  /* Its CRL, appended to the CRL file (which keeps the real one). */
  g_autofree char *crl = g_build_filename(d.trust, "auth-ca.crl.pem", NULL);
  g_autofree char *tmp = g_build_filename(d.dir, "second.crl.pem", NULL);
  write_crl(tmp, second, test_key, -60, 86400, NULL);
  g_autofree char *a = NULL, *b = NULL;
  g_assert_true(g_file_get_contents(crl, &a, NULL, NULL));
  g_assert_true(g_file_get_contents(tmp, &b, NULL, NULL));
  g_autofree char *ab = g_strconcat(a, b, NULL);
  g_assert_true(g_file_set_contents(crl, ab, -1, NULL));

  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) adult = load_cert("profiles/adult/auth.der");
  g_autoptr(GPtrArray) report = ps_report_new();
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, leaf, report), ==, PS_CERT_OK);
  g_assert_cmpint(ps_pki_check(pki, PS_CA_AUTH, adult, report), ==, PS_CERT_OK);
  dump_report(report);
  g_assert_cmpuint(report->len, ==, 0);
  /* The key's certificate is the current CA, whatever the file order. */
  g_autoptr(X509) real = load_cert("ca/auth-ca.der");
  g_autoptr(GBytes) served = ps_pki_ca_der(pki, PS_CA_AUTH);
  unsigned char *rd = NULL;
  int rn = i2d_X509(real, &rd);
  g_assert_cmpmem(g_bytes_get_data(served, NULL), g_bytes_get_size(served), rd, (gsize)rn);
  OPENSSL_free(rd);
  datadir_clear(&d);
}

typedef struct race {
  ps_pki *pki;
  X509 *cert;
  int fails;
} race;

static gpointer checker(gpointer data)
{
  race *r = data;
  for(int i = 0; i < 25; i++)
    if(ps_pki_check(r->pki, PS_CA_AUTH, r->cert, NULL) != PS_CERT_OK)
      g_atomic_int_inc(&r->fails);
  return NULL;
}

static void test_checks_run_on_several_threads(void)
{
  /* Four threads check a good certificate while the main thread revokes
   * other serials (each revocation re-signs the CRL under the lock). */
  datadir d;
  datadir_make(&d, WITH_KEYS | WITH_CRLS);
  g_autoptr(ps_pki) pki = open_ok(&d);
  g_autoptr(X509) good = load_cert("profiles/adult/auth.der");
  race r = { pki, good, 0 };
  GThread *t[4];
  for(int i = 0; i < 4; i++)
    t[i] = g_thread_new("checker", checker, &r);
  for(int i = 0; i < 40; i++) {
    g_autoptr(ASN1_INTEGER) s = ASN1_INTEGER_new();
    ASN1_INTEGER_set_int64(s, 1000 + i);
    g_assert_true(ps_pki_revoke(pki, PS_CA_AUTH, s, 4, g_get_real_time() / G_USEC_PER_SEC,
                                NULL, NULL));
  }
  for(int i = 0; i < 4; i++)
    g_thread_join(t[i]);
  g_assert_cmpint(r.fails, ==, 0);
  datadir_clear(&d);
}

static void test_serial_and_base64_helpers(void)
{
  g_autoptr(ASN1_INTEGER) a = NULL;
  g_assert_true(ps_pki_serial_from_hex("0x0A:bc", &a));
  g_autofree char *hex = ps_pki_serial_hex(a);
  g_assert_cmpstr(hex, ==, "0ABC");
  g_assert_false(ps_pki_serial_from_hex("12G4", &a));
  g_assert_false(ps_pki_serial_from_hex("", &a));
  /* Serial as profiles.json has it (openssl x509 -serial). */
  g_autoptr(X509) adult = load_cert("profiles/adult/auth.der");
  g_autofree char *mine = ps_pki_serial_hex(X509_get0_serialNumber(adult));
  g_autofree char *manifest_path = pki_path("profiles.json");
  g_autofree char *manifest = NULL;
  g_assert_true(g_file_get_contents(manifest_path, &manifest, NULL, NULL));
  g_autofree char *needle = g_strdup_printf("\"auth_cert_serial\": \"%s\"", mine);
  g_assert_nonnull(strstr(manifest, needle));

  uint8_t *out = NULL;
  size_t n = 0;
  g_assert_true(ps_pki_base64_decode("AAEC", &out, &n));
  g_assert_cmpuint(n, ==, 3);
  g_free(out);
  g_assert_true(ps_pki_base64_decode("AA==", &out, &n));
  g_assert_cmpuint(n, ==, 1);
  g_free(out);
  const char *bad[] = { "", "AAE", "AA=A", "AA\nEC", "AA-_", "A===", "AAE C" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(ps_pki_base64_decode(bad[i], &out, &n));
  const uint8_t bytes[] = { 0xfb, 0xff, 0xfe };
  g_autofree char *url = ps_pki_base64url(bytes, sizeof(bytes));
  g_assert_cmpstr(url, ==, "-__-");
  g_autofree char *url2 = ps_pki_base64url(bytes, 2);
  g_assert_cmpstr(url2, ==, "-_8");
}

static void test_auth_lifetimes_from_environment(void)
{
  ps_auth_config cfg;
  g_autoptr(GError) err = NULL;
  g_unsetenv("PORTALSIM_AUTH_CHALLENGE_S");
  g_unsetenv("PORTALSIM_AUTH_ACCESS_S");
  g_unsetenv("PORTALSIM_AUTH_REFRESH_S");
  g_assert_true(ps_auth_config_from_env(&cfg, &err));
  g_assert_cmpuint(cfg.challenge_s, ==, 120);
  g_assert_cmpuint(cfg.access_s, ==, 900);
  g_assert_cmpuint(cfg.refresh_s, ==, 28800);
  g_setenv("PORTALSIM_AUTH_CHALLENGE_S", "2", TRUE);
  g_assert_true(ps_auth_config_from_env(&cfg, &err));
  g_assert_cmpuint(cfg.challenge_s, ==, 2);
  g_setenv("PORTALSIM_AUTH_ACCESS_S", "0", TRUE);
  g_assert_false(ps_auth_config_from_env(&cfg, &err));
  g_assert_error(err, PS_PKI_ERROR, PS_PKI_ERROR_PARSE);
  g_assert_nonnull(strstr(err->message, "PORTALSIM_AUTH_ACCESS_S"));
  g_clear_error(&err);
  g_setenv("PORTALSIM_AUTH_ACCESS_S", "15min", TRUE);
  g_assert_false(ps_auth_config_from_env(&cfg, &err));
  g_unsetenv("PORTALSIM_AUTH_CHALLENGE_S");
  g_unsetenv("PORTALSIM_AUTH_ACCESS_S");
}

int main(int argc, char **argv)
{
  /* Japanese report texts in the test log, not "???". */
  setlocale(LC_ALL, "C.UTF-8");
  g_test_init(&argc, &argv, NULL);
  pki_dir = g_getenv("MYNA_TEST_PKI");
  if(!pki_dir) {
    g_printerr("MYNA_TEST_PKI is not set (the build's test PKI, <build>/pki)\n");
    return 1;
  }
  test_key = EVP_RSA_gen(2048);
  g_assert_nonnull(test_key);
  /* First: it changes the environment, which is only safe before any
   * thread exists. */
  g_test_add_func("/pki/auth-lifetimes-from-environment", test_auth_lifetimes_from_environment);
  g_test_add_func("/pki/good-certificates-pass", test_good_certificates_pass);
  g_test_add_func("/pki/good-certificates-pass-without-keys",
                  test_good_certificates_pass_without_keys);
  g_test_add_func("/pki/expired-profile-is-expired", test_expired_profile_is_expired);
  g_test_add_func("/pki/not-yet-valid-is-expired", test_not_yet_valid_is_expired);
  g_test_add_func("/pki/revoked-profile-by-crl", test_revoked_profile_by_crl);
  g_test_add_func("/pki/revoked-profile-by-ocsp", test_revoked_profile_by_ocsp);
  g_test_add_func("/pki/revocation-recorded-later", test_revocation_by_ocsp_alone_is_revoked);
  g_test_add_func("/pki/revoke-needs-the-ca-key", test_revoke_needs_the_ca_key);
  g_test_add_func("/pki/foreign-ca-is-chain-invalid", test_foreign_ca_is_chain_invalid);
  g_test_add_func("/pki/sign-cert-as-auth-is-chain-invalid",
                  test_sign_cert_as_auth_is_chain_invalid);
  g_test_add_func("/pki/wrong-key-usage-is-chain-invalid",
                  test_wrong_key_usage_is_chain_invalid);
  g_test_add_func("/pki/expired-crl-is-a-failure", test_expired_crl_is_a_failure);
  g_test_add_func("/pki/ca-key-renews-an-expired-crl", test_ca_key_renews_an_expired_crl);
  g_test_add_func("/pki/ocsp-responder-answers-as-rfc6960",
                  test_ocsp_responder_answers_as_rfc6960);
  g_test_add_func("/pki/ocsp-responder-refuses-what-it-cannot-answer",
                  test_ocsp_responder_refuses_what_it_cannot_answer);
  g_test_add_func("/pki/open-names-what-is-wrong", test_open_names_what_is_wrong);
  g_test_add_func("/pki/several-ca-certificates-are-accepted",
                  test_several_ca_certificates_are_accepted);
  g_test_add_func("/pki/checks-run-on-several-threads", test_checks_run_on_several_threads);
  g_test_add_func("/pki/serial-and-base64-helpers", test_serial_and_base64_helpers);
  int rc = g_test_run();
  EVP_PKEY_free(test_key);
  return rc;
}
