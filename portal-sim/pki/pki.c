/* pki.c - the JPKI trust state of portal-sim: accepted CA certificates, CA
 * keys, CRLs and the OCSP responder (jlis-sim's state), and the certificate
 * check that login and package verification call. Everything here is pure
 * OpenSSL and GLib: no HTTP and no database, so it is unit-tested alone.
 *
 * Locking: the trust anchors, keys and X509_STOREs never change after
 * ps_pki_open. What changes (each issuer's revoked list and its current
 * CRL) is guarded by pki->lock, held only for short copies and for signing
 * a CRL; OCSP answers are signed outside it. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki_internal.h"

G_DEFINE_QUARK(ps-pki-error-quark, ps_pki_error)

/* [S] How far a CRL's thisUpdate or an OCSP answer's times may lie in the
 * future before they are not believed (clock skew between machines). */
#define CLOCK_SKEW_S 300

typedef struct pki_revoked {
  ASN1_INTEGER *serial;
  gint64 when;
  int reason;                  /* RFC 5280 CRLReason, -1: none */
} pki_revoked;

/* One accepted CA certificate. */
typedef struct pki_issuer {
  X509 *cert;
  EVP_PKEY *key;               /* NULL: portal-sim cannot sign for it */
  /* Under pki->lock: */
  X509_CRL *crl;               /* the current CRL (signed here or given) */
  GBytes *crl_der;
  GHashTable *revoked;         /* with key: serial hex -> pki_revoked */
  gint64 crl_signed_at;
  gint64 crl_number;
  bool dirty;                  /* a revocation not in crl yet */
} pki_issuer;

typedef struct pki_ca {
  ps_ca which;
  const char *name;            /* "auth" / "sign": file names, URLs */
  const char *item;            /* report_list item */
  const char *title;           /* what a person calls it */
  GPtrArray *issuers;          /* pki_issuer *, in the file's order */
  pki_issuer *current;         /* the key's certificate, else the first */
  X509_STORE *store;           /* all of issuers as trust anchors */
  GBytes *ca_der;              /* current->cert */
} pki_ca;

/* portal-api.md: a challenge lives 120 s; [S] access 15 min, refresh 8 h. */
static const ps_auth_config auth_defaults = {
  .challenge_s = 120, .access_s = 900, .refresh_s = 28800,
};

struct ps_pki {
  GMutex lock;
  pki_ca ca[2];
  ps_auth_config auth;
};

/* ---- small helpers ---- */

static bool pki_error(GError **error, ps_pki_errc code, const char *fmt, ...)
  G_GNUC_PRINTF(3, 4);
static bool pki_error(GError **error, ps_pki_errc code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, PS_PKI_ERROR, code, msg);
  return false;
}

/* OpenSSL's error queue as one line (and emptied), for log messages. */
static char *ossl_errors(void)
{
  GString *s = g_string_new(NULL);
  unsigned long e;
  char buf[256];
  while((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if(s->len)
      g_string_append(s, "; ");
    g_string_append(s, buf);
  }
  if(!s->len)
    g_string_append(s, "no detail from OpenSSL");
  return g_string_free(s, FALSE);
}

static gint64 now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

static bool asn1_epoch(const ASN1_TIME *t, gint64 *out)
{
  struct tm tm;
  if(!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return false;
  *out = (gint64)timegm(&tm);
  return true;
}

/* portal-api.md's date format, "YYYY-MM-DD HH:MM:SS" in JST (UTC+9, no
 * daylight saving), for the report texts. */
static char *jst(gint64 t)
{
  time_t j = (time_t)(t + 9 * 3600);
  struct tm tm;
  if(!gmtime_r(&j, &tm))
    return g_strdup("?");
  return g_strdup_printf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec);
}

/* A certificate's subject as one line (g_free). */
static char *subject_text(X509 *x)
{
  char *o = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
  char *s = g_strdup(o ? o : "?");
  OPENSSL_free(o);
  return s;
}

static char *asn1_jst(const ASN1_TIME *t)
{
  gint64 e;
  return asn1_epoch(t, &e) ? jst(e) : g_strdup("?");
}

char *ps_pki_serial_hex(const ASN1_INTEGER *serial)
{
  /* Byte by byte like i2a_ASN1_INTEGER (`openssl x509 -serial`), so that
   * the text equals profiles.json's and residents.json's. */
  const unsigned char *d = ASN1_STRING_get0_data(serial);
  int n = ASN1_STRING_length(serial);
  GString *s = g_string_new(ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "");
  if(n <= 0)
    g_string_append(s, "00");
  for(int i = 0; i < n; i++)
    g_string_append_printf(s, "%02X", d[i]);
  return g_string_free(s, FALSE);
}

bool ps_pki_serial_from_hex(const char *hex, ASN1_INTEGER **out)
{
  if(!hex)
    return false;
  if(hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex += 2;
  g_autoptr(GString) digits = g_string_new(NULL);
  for(const char *c = hex; *c; c++) {
    if(*c == ':')
      continue;
    if(!g_ascii_isxdigit(*c))
      return false;
    g_string_append_c(digits, *c);
  }
  if(digits->len == 0 || digits->len > 80)
    return false;
  BIGNUM *bn = NULL;
  if(!BN_hex2bn(&bn, digits->str))
    return false;
  ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
  BN_free(bn);
  if(!ai)
    return false;
  *out = ai;
  return true;
}

bool ps_pki_base64_decode(const char *s, uint8_t **out, size_t *len)
{
  /* g_base64_decode skips characters it does not know; a login must not
   * accept "almost base64", so the alphabet and padding are checked first. */
  size_t n = strlen(s);
  if(n == 0 || n % 4 != 0)
    return false;
  size_t pad = 0;
  for(size_t i = 0; i < n; i++) {
    char c = s[i];
    if(c == '=') {
      if(i < n - 2)
        return false;
      pad++;
    }
    else if(pad || !(g_ascii_isalnum(c) || c == '+' || c == '/'))
      return false;
  }
  gsize m = 0;
  *out = g_base64_decode(s, &m);
  *len = m;
  return true;
}

char *ps_pki_base64url(const void *data, size_t len)
{
  char *b = g_base64_encode(data, len);
  for(char *c = b; *c; c++) {
    if(*c == '+')
      *c = '-';
    else if(*c == '/')
      *c = '_';
    else if(*c == '=') {
      *c = '\0';
      break;
    }
  }
  return b;
}

const char *ps_pki_ca_name(ps_ca ca)
{
  return ca == PS_CA_SIGN ? "sign" : "auth";
}

bool ps_pki_ca_from_name(const char *name, ps_ca *out)
{
  if(name && strcmp(name, "auth") == 0)
    *out = PS_CA_AUTH;
  else if(name && strcmp(name, "sign") == 0)
    *out = PS_CA_SIGN;
  else
    return false;
  return true;
}

static void revoked_free(gpointer p)
{
  pki_revoked *r = p;
  ASN1_INTEGER_free(r->serial);
  g_free(r);
}

static void issuer_free(gpointer p)
{
  pki_issuer *is = p;
  X509_free(is->cert);
  EVP_PKEY_free(is->key);
  X509_CRL_free(is->crl);
  if(is->crl_der)
    g_bytes_unref(is->crl_der);
  if(is->revoked)
    g_hash_table_unref(is->revoked);
  g_free(is);
}

static GBytes *crl_to_der(X509_CRL *crl)
{
  unsigned char *der = NULL;
  int n = i2d_X509_CRL(crl, &der);
  if(n <= 0)
    return NULL;
  GBytes *b = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  return b;
}

/* ---- signing CRLs ---- */

static bool add_revoked_entry(X509_CRL *crl, const pki_revoked *r)
{
  X509_REVOKED *rv = X509_REVOKED_new();
  ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)r->when);
  bool ok = rv && t && X509_REVOKED_set_serialNumber(rv, r->serial) &&
            X509_REVOKED_set_revocationDate(rv, t);
  if(ok && r->reason >= 0) {
    ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
    ok = e && ASN1_ENUMERATED_set(e, r->reason) &&
         X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, e, 0, 0) == 1;
    ASN1_ENUMERATED_free(e);
  }
  ASN1_TIME_free(t);
  if(ok && X509_CRL_add0_revoked(crl, rv))
    return true;
  X509_REVOKED_free(rv);
  return false;
}

/* A fresh CRL for is (which has its key): thisUpdate now, nextUpdate
 * +PS_PKI_CRL_VALID_S, every revoked entry, crlNumber and the
 * authorityKeyIdentifier as RFC 5280 asks. Call with pki->lock held. */
static bool sign_crl_locked(pki_issuer *is, gint64 now)
{
  X509_CRL *crl = X509_CRL_new();
  ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)now);
  ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)(now + PS_PKI_CRL_VALID_S));
  ASN1_INTEGER *num = NULL;
  X509_EXTENSION *aki = NULL;
  bool ok = false;
  if(!crl || !tu || !nu)
    goto out;
  if(!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
     !X509_CRL_set_issuer_name(crl, X509_get_subject_name(is->cert)) ||
     !X509_CRL_set1_lastUpdate(crl, tu) || !X509_CRL_set1_nextUpdate(crl, nu))
    goto out;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, is->revoked);
  while(g_hash_table_iter_next(&it, NULL, &v))
    if(!add_revoked_entry(crl, v))
      goto out;
  X509_CRL_sort(crl);
  /* [S] The CRL number is the signing time (or one more than the last one
   * when two are signed within a second): it keeps growing across restarts
   * without any state on disk. */
  gint64 n = MAX(now, is->crl_number + 1);
  num = ASN1_INTEGER_new();
  if(!num || !ASN1_INTEGER_set_int64(num, n) ||
     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
    goto out;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, is->cert, NULL, NULL, crl, 0);
  aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
  if(!aki || !X509_CRL_add_ext(crl, aki, -1))
    goto out;
  if(X509_CRL_sign(crl, is->key, EVP_sha256()) <= 0)
    goto out;
  GBytes *der = crl_to_der(crl);
  if(!der)
    goto out;
  X509_CRL_free(is->crl);
  is->crl = g_steal_pointer(&crl);
  if(is->crl_der)
    g_bytes_unref(is->crl_der);
  is->crl_der = der;
  is->crl_signed_at = now;
  is->crl_number = n;
  is->dirty = false;
  ok = true;
out:
  X509_CRL_free(crl);
  ASN1_TIME_free(tu);
  ASN1_TIME_free(nu);
  ASN1_INTEGER_free(num);
  X509_EXTENSION_free(aki);
  return ok;
}

/* With the key: a new CRL when a revocation is waiting or the current one
 * is due for renewal. A failure keeps the previous CRL (the check then
 * still sees a signed list, until its own nextUpdate). */
static void refresh_crl_locked(pki_issuer *is, gint64 now)
{
  if(!is->key)
    return;
  if(is->crl && !is->dirty && now - is->crl_signed_at < PS_PKI_CRL_REFRESH_S &&
     now >= is->crl_signed_at)
    return;
  if(!sign_crl_locked(is, now)) {
    g_autofree char *why = ossl_errors();
    g_autofree char *subj = subject_text(is->cert);
    g_warning("pki: cannot sign a new CRL for %s: %s", subj, why);
  }
}

/* ---- loading trust/ ---- */

/* A key file must never make portal-sim wait for a passphrase on a
 * terminal nobody watches: an encrypted key is an error. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
  return -1;
}

/* After a loop of PEM_read_bio_*: true when it ended at the end of the
 * file ("no start line"), false when a block in it was broken. */
static bool pem_clean_end(void)
{
  unsigned long e = ERR_peek_last_error();
  bool ok = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM &&
                       ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
  ERR_clear_error();
  return ok;
}

static bool load_certs(pki_ca *c, const char *path, GError **error)
{
  BIO *bio = BIO_new_file(path, "r");
  if(!bio)
    return pki_error(error, PS_PKI_ERROR_FILE,
                     "%s: cannot read it (%s); the data directory must hold the "
                     "%s CA certificate(s) it accepts", path, g_strerror(errno),
                     c->name);
  X509 *x;
  while((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if(X509_check_ca(x) < 1) {
      g_autofree char *subj = subject_text(x);
      X509_free(x);
      BIO_free(bio);
      return pki_error(error, PS_PKI_ERROR_PARSE,
                       "%s: %s is not a CA certificate; put only the %s CA's "
                       "own certificate(s) here", path, subj, c->name);
    }
    pki_issuer *is = g_new0(pki_issuer, 1);
    is->cert = x;
    g_ptr_array_add(c->issuers, is);
  }
  BIO_free(bio);
  if(!pem_clean_end())
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "%s: certificate %u in it is broken; replace the file with "
                     "the %s CA's PEM certificate(s)", path, c->issuers->len + 1,
                     c->name);
  if(c->issuers->len == 0)
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "%s: no PEM certificate in it; put the %s CA certificate "
                     "there (-----BEGIN CERTIFICATE-----)", path, c->name);
  return true;
}

static bool load_key(pki_ca *c, const char *path, GError **error)
{
  if(!g_file_test(path, G_FILE_TEST_EXISTS))
    return true;
  BIO *bio = BIO_new_file(path, "r");
  if(!bio)
    return pki_error(error, PS_PKI_ERROR_FILE, "%s: cannot read it (%s)",
                     path, g_strerror(errno));
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
  BIO_free(bio);
  if(!key) {
    g_autofree char *why = ossl_errors();
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "%s: not an unencrypted PEM private key (%s); remove the "
                     "file to run without the CA key", path, why);
  }
  for(guint i = 0; i < c->issuers->len; i++) {
    pki_issuer *is = g_ptr_array_index(c->issuers, i);
    if(X509_check_private_key(is->cert, key) == 1) {
      is->key = key;
      is->revoked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          revoked_free);
      c->current = is;
      ERR_clear_error();
      return true;
    }
  }
  ERR_clear_error();
  EVP_PKEY_free(key);
  return pki_error(error, PS_PKI_ERROR_MISMATCH,
                   "%s: the key belongs to none of the certificates in "
                   "%s-ca.pem; put the matching key there or remove it",
                   path, c->name);
}

/* The given CRL's entries become the start of the list that portal-sim
 * signs for an issuer whose key it has. */
static bool import_revoked(pki_issuer *is, X509_CRL *crl)
{
  STACK_OF(X509_REVOKED) *list = X509_CRL_get_REVOKED(crl);
  for(int i = 0; i < sk_X509_REVOKED_num(list); i++) {
    X509_REVOKED *rv = sk_X509_REVOKED_value(list, i);
    pki_revoked *r = g_new0(pki_revoked, 1);
    r->serial = ASN1_INTEGER_dup(X509_REVOKED_get0_serialNumber(rv));
    r->reason = -1;
    if(!r->serial || !asn1_epoch(X509_REVOKED_get0_revocationDate(rv), &r->when)) {
      revoked_free(r);
      return false;
    }
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL);
    if(e) {
      r->reason = (int)ASN1_ENUMERATED_get(e);
      ASN1_ENUMERATED_free(e);
    }
    /* removeFromCRL (8) takes an entry out of a delta CRL: not revoked. */
    if(r->reason == 8) {
      revoked_free(r);
      continue;
    }
    g_hash_table_replace(is->revoked, ps_pki_serial_hex(r->serial), r);
  }
  ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
  if(num) {
    int64_t v = 0;
    if(ASN1_INTEGER_get_int64(&v, num) == 1)
      is->crl_number = v;
    ASN1_INTEGER_free(num);
  }
  ERR_clear_error();
  return true;
}

static bool load_crls(pki_ca *c, const char *path, GError **error)
{
  if(!g_file_test(path, G_FILE_TEST_EXISTS))
    return true;               /* whether that is enough: ps_pki_open */
  BIO *bio = BIO_new_file(path, "r");
  if(!bio)
    return pki_error(error, PS_PKI_ERROR_FILE, "%s: cannot read it (%s)",
                     path, g_strerror(errno));
  X509_CRL *crl;
  unsigned count = 0;
  bool ok = true;
  while(ok && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
    count++;
    pki_issuer *by = NULL;
    for(guint i = 0; i < c->issuers->len && !by; i++) {
      pki_issuer *is = g_ptr_array_index(c->issuers, i);
      if(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(is->cert)) == 0 &&
         X509_CRL_verify(crl, X509_get0_pubkey(is->cert)) == 1)
        by = is;
    }
    ERR_clear_error();
    if(!by) {
      ok = pki_error(error, PS_PKI_ERROR_MISMATCH,
                     "%s: CRL #%u in the file is signed by none of the "
                     "certificates in %s-ca.pem; replace it with the %s CA's CRL",
                     path, count, c->name, c->name);
      X509_CRL_free(crl);
      break;
    }
    /* Of two CRLs of one issuer the newer counts. */
    gint64 t_new = 0, t_old = 0;
    asn1_epoch(X509_CRL_get0_lastUpdate(crl), &t_new);
    if(by->crl)
      asn1_epoch(X509_CRL_get0_lastUpdate(by->crl), &t_old);
    if(by->crl && t_old >= t_new) {
      X509_CRL_free(crl);
      continue;
    }
    X509_CRL_free(by->crl);
    by->crl = crl;
  }
  BIO_free(bio);
  if(!ok) {
    ERR_clear_error();
    return false;
  }
  if(!pem_clean_end())
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "%s: CRL #%u in it is broken; replace the file with the "
                     "%s CA's PEM CRL", path, count + 1, c->name);
  if(count == 0)
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "%s: no PEM CRL in it (-----BEGIN X509 CRL-----); put the "
                     "%s CA's CRL there or remove the file", path, c->name);
  for(guint i = 0; i < c->issuers->len; i++) {
    pki_issuer *is = g_ptr_array_index(c->issuers, i);
    if(!is->crl)
      continue;
    if(is->key) {
      if(!import_revoked(is, is->crl))
        return pki_error(error, PS_PKI_ERROR_PARSE,
                         "%s: an entry of the CRL cannot be read", path);
      /* Signed fresh below; the given one only seeded the list. */
      X509_CRL_free(is->crl);
      is->crl = NULL;
    }
    else if(!(is->crl_der = crl_to_der(is->crl)))
      return pki_error(error, PS_PKI_ERROR_CRYPTO, "%s: %s", path,
                       "cannot encode the CRL");
  }
  return true;
}

static bool load_ca(pki_ca *c, const char *trust, GError **error)
{
  g_autofree char *certf = g_strdup_printf("%s/%s-ca.pem", trust, c->name);
  g_autofree char *keyf = g_strdup_printf("%s/%s-ca.key", trust, c->name);
  g_autofree char *crlf = g_strdup_printf("%s/%s-ca.crl.pem", trust, c->name);
  c->issuers = g_ptr_array_new_with_free_func(issuer_free);
  if(!load_certs(c, certf, error) || !load_key(c, keyf, error) ||
     !load_crls(c, crlf, error))
    return false;
  if(!c->current)
    c->current = g_ptr_array_index(c->issuers, 0);
  gint64 now = now_s();
  for(guint i = 0; i < c->issuers->len; i++) {
    pki_issuer *is = g_ptr_array_index(c->issuers, i);
    if(is->key) {
      if(!sign_crl_locked(is, now)) {
        g_autofree char *why = ossl_errors();
        return pki_error(error, PS_PKI_ERROR_CRYPTO,
                         "%s: cannot sign a CRL with it (%s)", keyf, why);
      }
    }
    else if(!is->crl) {
      /* Certificates of this CA could never pass the revocation check:
       * better to refuse to start than to refuse every resident. */
      g_autofree char *subj = subject_text(is->cert);
      return pki_error(error, PS_PKI_ERROR_FILE,
                       "%s: no CRL of %s (certificate %u of %s); without the "
                       "CA key portal-sim needs that CA's CRL to decide "
                       "revocation: add it, or put the CA key in %s",
                       crlf, subj, i + 1, certf, keyf);
    }
  }
  c->store = X509_STORE_new();
  if(!c->store)
    return pki_error(error, PS_PKI_ERROR_CRYPTO, "out of memory");
  for(guint i = 0; i < c->issuers->len; i++) {
    pki_issuer *is = g_ptr_array_index(c->issuers, i);
    if(!X509_STORE_add_cert(c->store, is->cert)) {
      /* The same certificate twice in the file: harmless. */
      ERR_clear_error();
    }
  }
  unsigned char *der = NULL;
  int n = i2d_X509(c->current->cert, &der);
  if(n <= 0)
    return pki_error(error, PS_PKI_ERROR_CRYPTO, "%s: cannot encode it", certf);
  c->ca_der = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  return true;
}

static void ca_clear(pki_ca *c)
{
  if(c->issuers)
    g_ptr_array_unref(c->issuers);
  X509_STORE_free(c->store);
  if(c->ca_der)
    g_bytes_unref(c->ca_der);
  memset(c, 0, sizeof(*c));
}

bool ps_pki_open(const char *data_dir, ps_pki **out, GError **error)
{
  ps_pki *pki = g_new0(ps_pki, 1);
  g_mutex_init(&pki->lock);
  pki->ca[PS_CA_AUTH] = (pki_ca){ PS_CA_AUTH, "auth", "auth_cert",
                                  "利用者証明用電子証明書", NULL, NULL, NULL, NULL };
  pki->ca[PS_CA_SIGN] = (pki_ca){ PS_CA_SIGN, "sign", "sign_cert",
                                  "署名用電子証明書", NULL, NULL, NULL, NULL };
  pki->auth = auth_defaults;
  g_autofree char *trust = g_build_filename(data_dir, "trust", NULL);
  if(!load_ca(&pki->ca[PS_CA_AUTH], trust, error) ||
     !load_ca(&pki->ca[PS_CA_SIGN], trust, error)) {
    ps_pki_free(pki);
    return false;
  }
  *out = pki;
  return true;
}

void ps_pki_free(ps_pki *pki)
{
  if(!pki)
    return;
  ca_clear(&pki->ca[PS_CA_AUTH]);
  ca_clear(&pki->ca[PS_CA_SIGN]);
  g_mutex_clear(&pki->lock);
  g_free(pki);
}

const ps_auth_config *ps_pki_auth_config(ps_pki *pki)
{
  return &pki->auth;
}

void ps_pki_set_auth_config(ps_pki *pki, const ps_auth_config *cfg)
{
  /* Set once at start, before any request: read without the lock. */
  pki->auth = *cfg;
}

/* [S] The longest lifetime the environment may set: a year. */
#define MAX_LIFETIME_S 31536000u

bool ps_auth_config_from_env(ps_auth_config *cfg, GError **error)
{
  *cfg = auth_defaults;
  struct { const char *var; unsigned *slot; } vars[] = {
    { "PORTALSIM_AUTH_CHALLENGE_S", &cfg->challenge_s },
    { "PORTALSIM_AUTH_ACCESS_S", &cfg->access_s },
    { "PORTALSIM_AUTH_REFRESH_S", &cfg->refresh_s },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
    const char *s = g_getenv(vars[i].var);
    guint64 v;
    if(!s)
      continue;
    if(!g_ascii_string_to_unsigned(s, 10, 1, MAX_LIFETIME_S, &v, NULL)) {
      g_set_error(error, PS_PKI_ERROR, PS_PKI_ERROR_PARSE,
                  "%s=\"%s\": give a whole number of seconds from 1 to %u",
                  vars[i].var, s, MAX_LIFETIME_S);
      return false;
    }
    *vars[i].slot = (unsigned)v;
  }
  return true;
}

/* ---- the check ---- */

static pki_issuer *issuer_of_cert(pki_ca *c, X509 *issuer_cert)
{
  for(guint i = 0; i < c->issuers->len; i++) {
    pki_issuer *is = g_ptr_array_index(c->issuers, i);
    if(X509_cmp(is->cert, issuer_cert) == 0)
      return is;
  }
  return NULL;
}

/* Verifies the signature chain of cert up to one of c's certificates;
 * returns the certificate's direct issuer, or NULL with OpenSSL's reason in
 * *verr (0 when cert is itself one of the CA certificates). Dates are
 * checked separately (check_dates) so that an expired certificate is told
 * apart from a forged one. */
static pki_issuer *verify_chain(pki_ca *c, X509 *cert, int *verr)
{
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  pki_issuer *is = NULL;
  *verr = X509_V_ERR_UNSPECIFIED;
  if(!ctx || !X509_STORE_CTX_init(ctx, c->store, cert, NULL))
    goto out;
  /* PARTIAL_CHAIN: every certificate of the trust file is an anchor, also
   * one that is not self-signed (an intermediate the operator chose). */
  X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
  if(X509_verify_cert(ctx) == 1) {
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    *verr = 0;
    if(sk_X509_num(chain) >= 2)
      is = issuer_of_cert(c, sk_X509_value(chain, 1));
  }
  else
    *verr = X509_STORE_CTX_get_error(ctx);
out:
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  return is;
}

static bool key_usage_fits(ps_ca ca, X509 *cert)
{
  uint32_t ku = X509_get_key_usage(cert);
  if(ku == UINT32_MAX)        /* no keyUsage: JPKI certificates always have one */
    return false;
  if(ca == PS_CA_AUTH)
    return (ku & KU_DIGITAL_SIGNATURE) && !(ku & KU_NON_REPUDIATION);
  return (ku & KU_NON_REPUDIATION) != 0;
}

/* Step 1 of ps_pki_check. */
static pki_issuer *check_chain(ps_pki *pki, ps_ca ca, X509 *cert, GPtrArray *report)
{
  pki_ca *c = &pki->ca[ca];
  pki_ca *other = &pki->ca[ca == PS_CA_AUTH ? PS_CA_SIGN : PS_CA_AUTH];
  int verr;
  pki_issuer *is = verify_chain(c, cert, &verr);
  if(!is) {
    int oerr;
    if(verify_chain(other, cert, &oerr)) {
      if(report)
        ps_report_add(report, c->item,
                      "%sではなく%sが送られました。%sを使ってください。",
                      c->title, other->title, c->title);
    }
    else if(report) {
      if(verr == 0)
        ps_report_add(report, c->item,
                      "認証局自身の証明書が送られました。カードの%sを送ってください。",
                      c->title);
      else
        ps_report_add(report, c->item,
                      "%sを発行した認証局を確認できません (OpenSSL: %s)。"
                      "公的個人認証サービスが発行したマイナンバーカードの証明書を使ってください。",
                      c->title, X509_verify_cert_error_string(verr));
    }
    return NULL;
  }
  if(X509_check_ca(cert) != 0) {
    if(report)
      ps_report_add(report, c->item,
                    "認証局の証明書が送られました。カードの%sを送ってください。", c->title);
    return NULL;
  }
  if(!key_usage_fits(ca, cert)) {
    if(report)
      ps_report_add(report, c->item,
                    "証明書の鍵用途 (keyUsage) が%sのものではありません。カードの%sを送ってください。",
                    c->title, c->title);
    return NULL;
  }
  return is;
}

/* Step 2: false when cert or its CA certificate is outside its dates. */
static bool check_dates(pki_ca *c, X509 *cert, pki_issuer *is, gint64 now,
                        GPtrArray *report)
{
  bool ok = true;
  time_t t = (time_t)now;
  X509 *both[2] = { cert, is->cert };
  for(int i = 0; i < 2; i++) {
    const char *whose = i == 0 ? c->title : "発行した認証局の証明書";
    const ASN1_TIME *nb = X509_get0_notBefore(both[i]);
    const ASN1_TIME *na = X509_get0_notAfter(both[i]);
    if(X509_cmp_time(na, &t) < 0) {
      g_autofree char *when = asn1_jst(na);
      if(report)
        ps_report_add(report, c->item,
                      "%sの有効期限 (%s) が過ぎています。市区町村の窓口で証明書を更新してください。",
                      whose, when);
      ok = false;
    }
    else if(X509_cmp_time(nb, &t) > 0) {
      g_autofree char *when = asn1_jst(nb);
      if(report)
        ps_report_add(report, c->item,
                      "%sはまだ有効になっていません (有効期間の開始 %s)。端末の時計も確認してください。",
                      whose, when);
      ok = false;
    }
  }
  return ok;
}

/* The issuer of cert among c's certificates, by the chain check alone
 * (no report). */
static pki_issuer *issuer_for(ps_pki *pki, ps_ca ca, X509 *cert)
{
  int verr;
  return verify_chain(&pki->ca[ca], cert, &verr);
}

static ps_rev_status crl_status(ps_pki *pki, pki_ca *c, pki_issuer *is,
                                X509 *cert, GPtrArray *report)
{
  gint64 now = now_s();
  g_mutex_lock(&pki->lock);
  refresh_crl_locked(is, now);
  X509_CRL *crl = is->crl;
  if(crl)
    X509_CRL_up_ref(crl);
  g_mutex_unlock(&pki->lock);
  if(!crl) {
    if(report)
      ps_report_add(report, c->item,
                    "%sの失効リスト (CRL) がないため、失効を確認できません。"
                    "しばらくしてからやり直すか、係員に連絡してください。", c->title);
    return PS_REV_UNKNOWN;
  }
  ps_rev_status st = PS_REV_GOOD;
  X509_REVOKED *rv = NULL;
  /* A listed certificate is revoked even when the list is stale: a
   * revocation is never undone. 1: listed; 2: listed as removeFromCRL,
   * i.e. no longer revoked. */
  if(X509_CRL_get0_by_serial(crl, &rv, X509_get0_serialNumber(cert)) == 1) {
    g_autofree char *when = asn1_jst(X509_REVOKED_get0_revocationDate(rv));
    if(report)
      ps_report_add(report, c->item,
                    "%sは失効しています (失効リスト CRL に記載、失効日時 %s)。"
                    "市区町村の窓口で証明書を発行し直してください。", c->title, when);
    st = PS_REV_REVOKED;
    goto out;
  }
  gint64 tu = 0, nu = 0;
  const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
  if(!asn1_epoch(X509_CRL_get0_lastUpdate(crl), &tu) || tu > now + CLOCK_SKEW_S ||
     !next || !asn1_epoch(next, &nu) || nu <= now) {
    g_autofree char *when = next ? asn1_jst(next) : g_strdup("記載なし");
    if(report)
      ps_report_add(report, c->item,
                    "%sの失効リスト (CRL) が最新ではありません (次回更新 %s)。失効を確認できないため受け付けられません。"
                    "しばらくしてからやり直すか、係員に連絡してください。", c->title, when);
    st = PS_REV_UNKNOWN;
  }
out:
  X509_CRL_free(crl);
  return st;
}

ps_rev_status ps_pki_crl_status(ps_pki *pki, ps_ca ca, X509 *cert, GPtrArray *report)
{
  pki_issuer *is = issuer_for(pki, ca, cert);
  if(!is) {
    if(report)
      ps_report_add(report, pki->ca[ca].item, "発行した認証局が分からないため、失効を確認できません。");
    return PS_REV_UNKNOWN;
  }
  return crl_status(pki, &pki->ca[ca], is, cert, report);
}

/* ---- OCSP ---- */

static GBytes *ocsp_error_response(int status)
{
  OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
  unsigned char *der = NULL;
  int n = r ? i2d_OCSP_RESPONSE(r, &der) : -1;
  OCSP_RESPONSE_free(r);
  if(n <= 0) {
    /* Hand-made: OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED }. */
    guint8 fixed[] = { 0x30, 0x03, 0x0a, 0x01, (guint8)status };
    return g_bytes_new(fixed, sizeof(fixed));
  }
  GBytes *b = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  return b;
}

/* The accepted CA certificate (of either CA) that id names as issuer. */
static pki_issuer *ocsp_find_issuer(ps_pki *pki, OCSP_CERTID *id)
{
  ASN1_OBJECT *md_oid = NULL;
  if(!OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, id))
    return NULL;
  const EVP_MD *md = EVP_get_digestbyobj(md_oid);
  if(!md)
    return NULL;
  for(int k = 0; k < 2; k++) {
    pki_ca *c = &pki->ca[k];
    for(guint i = 0; i < c->issuers->len; i++) {
      pki_issuer *is = g_ptr_array_index(c->issuers, i);
      OCSP_CERTID *mine = OCSP_cert_to_id(md, NULL, is->cert);
      bool same = mine && OCSP_id_issuer_cmp(mine, id) == 0;
      OCSP_CERTID_free(mine);
      if(same)
        return is;
    }
  }
  return NULL;
}

GBytes *ps_pki_ocsp_respond(ps_pki *pki, const uint8_t *der, size_t len)
{
  const unsigned char *p = der;
  OCSP_REQUEST *req = len <= G_MAXINT32 ? d2i_OCSP_REQUEST(NULL, &p, (long)len) : NULL;
  OCSP_BASICRESP *bs = NULL;
  OCSP_RESPONSE *resp = NULL;
  ASN1_TIME *thisupd = NULL, *nextupd = NULL;
  GBytes *out = NULL;
  int n = req ? OCSP_request_onereq_count(req) : 0;
  /* Trailing bytes after the request are as malformed as a broken one. */
  if(!req || p != der + len || n <= 0) {
    out = ocsp_error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    goto out;
  }
  pki_issuer *signer = ocsp_find_issuer(pki, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)));
  if(!signer || !signer->key) {
    /* Not authoritative: portal-sim holds no key that may answer for this
     * issuer (RFC 6960 2.3 "unauthorized"). */
    out = ocsp_error_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    goto out;
  }
  gint64 now = now_s();
  bs = OCSP_BASICRESP_new();
  thisupd = ASN1_TIME_set(NULL, (time_t)now);
  nextupd = ASN1_TIME_set(NULL, (time_t)(now + PS_PKI_OCSP_VALID_S));
  if(!bs || !thisupd || !nextupd)
    goto internal;
  for(int i = 0; i < n; i++) {
    OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    ASN1_INTEGER *serial = NULL;
    int status = V_OCSP_CERTSTATUS_UNKNOWN, reason = OCSP_REVOKED_STATUS_NOSTATUS;
    ASN1_TIME *revtime = NULL;
    /* Only the signer's own certificates: a client checks that whoever
     * signed the answer issued the certificate. */
    if(ocsp_find_issuer(pki, id) == signer &&
       OCSP_id_get0_info(NULL, NULL, NULL, &serial, id)) {
      g_autofree char *hex = ps_pki_serial_hex(serial);
      g_mutex_lock(&pki->lock);
      pki_revoked *r = g_hash_table_lookup(signer->revoked, hex);
      status = r ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
      if(r) {
        revtime = ASN1_TIME_set(NULL, (time_t)r->when);
        reason = r->reason >= 0 ? r->reason : OCSP_REVOKED_STATUS_NOSTATUS;
      }
      g_mutex_unlock(&pki->lock);
      if(r && !revtime)
        goto internal;
    }
    OCSP_SINGLERESP *single = OCSP_basic_add1_status(bs, id, status, reason,
                                                     revtime, thisupd, nextupd);
    ASN1_TIME_free(revtime);
    if(!single)
      goto internal;
  }
  /* 0: error; 1: copied; 2: the request had no nonce. */
  if(OCSP_copy_nonce(bs, req) == 0)
    goto internal;
  if(OCSP_basic_sign(bs, signer->cert, signer->key, EVP_sha256(), NULL,
                     OCSP_RESPID_KEY) != 1)
    goto internal;
  resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
  if(!resp)
    goto internal;
  {
    unsigned char *rder = NULL;
    int rn = i2d_OCSP_RESPONSE(resp, &rder);
    if(rn <= 0)
      goto internal;
    out = g_bytes_new(rder, (gsize)rn);
    OPENSSL_free(rder);
  }
  goto out;
internal: {
    g_autofree char *why = ossl_errors();
    g_warning("pki: cannot answer an OCSP request: %s", why);
    out = ocsp_error_response(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
out:
  ERR_clear_error();
  OCSP_REQUEST_free(req);
  OCSP_BASICRESP_free(bs);
  OCSP_RESPONSE_free(resp);
  ASN1_TIME_free(thisupd);
  ASN1_TIME_free(nextupd);
  return out;
}

/* Asks the responder about cert as an OCSP client would and checks the
 * answer fully: what /ocsp says is what the check decides on. */
static ps_rev_status ocsp_status(ps_pki *pki, pki_ca *c, pki_issuer *is,
                                 X509 *cert, GPtrArray *report)
{
  ps_rev_status st = PS_REV_UNKNOWN;
  const char *why = "OCSP 要求を作れません";
  OCSP_REQUEST *req = OCSP_REQUEST_new();
  OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, is->cert);
  OCSP_CERTID *id_copy = id ? OCSP_CERTID_dup(id) : NULL;
  OCSP_RESPONSE *resp = NULL;
  OCSP_BASICRESP *bs = NULL;
  STACK_OF(X509) *signers = sk_X509_new_null();
  GBytes *answer = NULL;
  unsigned char *qder = NULL;
  if(!req || !id || !id_copy || !signers || !OCSP_request_add0_id(req, id_copy))
    goto out;
  id_copy = NULL;             /* now req's */
  if(!OCSP_request_add1_nonce(req, NULL, -1))
    goto out;
  int qn = i2d_OCSP_REQUEST(req, &qder);
  if(qn <= 0)
    goto out;
  answer = ps_pki_ocsp_respond(pki, qder, (size_t)qn);
  gsize alen = 0;
  const unsigned char *a = g_bytes_get_data(answer, &alen);
  resp = d2i_OCSP_RESPONSE(NULL, &a, (long)alen);
  why = "OCSP 応答を読めません";
  if(!resp)
    goto out;
  int rs = OCSP_response_status(resp);
  if(rs == OCSP_RESPONSE_STATUS_UNAUTHORIZED) {
    why = "OCSP レスポンダはこの認証局の鍵を持たず、回答できません";
    goto out;
  }
  why = "OCSP 応答が失敗を示しています";
  if(rs != OCSP_RESPONSE_STATUS_SUCCESSFUL || !(bs = OCSP_response_get1_basic(resp)))
    goto out;
  why = "OCSP 応答のナンスが要求と一致しません";
  if(OCSP_check_nonce(req, bs) != 1)
    goto out;
  /* The signer must be the issuer itself: TRUSTOTHER with the issuer as
   * the only candidate, NOINTERN so a certificate inside the answer cannot
   * stand in for it. */
  why = "OCSP 応答の署名を発行元の認証局で確認できません";
  if(!sk_X509_push(signers, is->cert) ||
     OCSP_basic_verify(bs, signers, c->store, OCSP_NOINTERN | OCSP_TRUSTOTHER) != 1)
    goto out;
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
  why = "OCSP 応答にこの証明書の状態がありません";
  if(!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd))
    goto out;
  why = "OCSP 応答の有効期間が現在時刻に合いません";
  if(OCSP_check_validity(thisupd, nextupd, CLOCK_SKEW_S, -1) != 1)
    goto out;
  if(status == V_OCSP_CERTSTATUS_GOOD)
    st = PS_REV_GOOD;
  else if(status == V_OCSP_CERTSTATUS_REVOKED) {
    st = PS_REV_REVOKED;
    g_autofree char *when = asn1_jst(rev);
    if(report)
      ps_report_add(report, c->item,
                    "%sは失効しています (OCSP の回答、失効日時 %s)。"
                    "市区町村の窓口で証明書を発行し直してください。", c->title, when);
  }
  else
    why = "OCSP レスポンダはこの証明書を知らないと回答しました";
out:
  if(st == PS_REV_UNKNOWN && report)
    ps_report_add(report, c->item, "OCSP で%sの失効を確認できません (%s)。", c->title, why);
  ERR_clear_error();
  OPENSSL_free(qder);
  if(answer)
    g_bytes_unref(answer);
  sk_X509_free(signers);      /* is->cert is borrowed */
  OCSP_BASICRESP_free(bs);
  OCSP_RESPONSE_free(resp);
  OCSP_CERTID_free(id_copy);
  OCSP_CERTID_free(id);
  OCSP_REQUEST_free(req);
  return st;
}

ps_rev_status ps_pki_ocsp_status(ps_pki *pki, ps_ca ca, X509 *cert, GPtrArray *report)
{
  pki_issuer *is = issuer_for(pki, ca, cert);
  if(!is) {
    if(report)
      ps_report_add(report, pki->ca[ca].item, "発行した認証局が分からないため、失効を確認できません。");
    return PS_REV_UNKNOWN;
  }
  return ocsp_status(pki, &pki->ca[ca], is, cert, report);
}

ps_cert_status ps_pki_check(ps_pki *pki, ps_ca ca, X509 *cert, GPtrArray *report)
{
  pki_ca *c = &pki->ca[ca];
  if(!cert) {
    if(report)
      ps_report_add(report, c->item, "%sがありません。", c->title);
    return PS_CERT_CHAIN_INVALID;
  }
  pki_issuer *is = check_chain(pki, ca, cert, report);
  if(!is)
    return PS_CERT_CHAIN_INVALID;
  bool dates_ok = check_dates(c, cert, is, now_s(), report);
  /* Revocation is looked at also for an expired certificate, so that the
   * report names every reason at once; the OCSP answer's "unknown" is only
   * reported when the CRL cannot decide either (without the CA key the
   * responder is never authoritative, and the CRL is what counts). */
  g_autoptr(GPtrArray) ocsp_report = ps_report_new();
  ps_rev_status by_crl = crl_status(pki, c, is, cert, report);
  ps_rev_status by_ocsp = ocsp_status(pki, c, is, cert, ocsp_report);
  if(report && ((by_ocsp == PS_REV_REVOKED && by_crl != PS_REV_REVOKED) ||
                by_crl == PS_REV_UNKNOWN)) {
    for(guint i = 0; i < ocsp_report->len; i++) {
      const ps_report_item *it = g_ptr_array_index(ocsp_report, i);
      ps_report_add(report, it->item, "%s", it->content);
    }
  }
  if(!dates_ok)
    return PS_CERT_EXPIRED;
  if(by_crl == PS_REV_REVOKED || by_ocsp == PS_REV_REVOKED)
    return PS_CERT_REVOKED;
  if(by_crl != PS_REV_GOOD)
    return PS_CERT_REVOCATION_UNKNOWN;
  return PS_CERT_OK;
}

/* ---- jlis-sim's files and revocations ---- */

GBytes *ps_pki_ca_der(ps_pki *pki, ps_ca ca)
{
  return g_bytes_ref(pki->ca[ca].ca_der);
}

GBytes *ps_pki_crl_der(ps_pki *pki, ps_ca ca)
{
  pki_issuer *is = pki->ca[ca].current;
  g_mutex_lock(&pki->lock);
  refresh_crl_locked(is, now_s());
  GBytes *b = is->crl_der ? g_bytes_ref(is->crl_der) : NULL;
  g_mutex_unlock(&pki->lock);
  return b;
}

bool ps_pki_has_key(ps_pki *pki, ps_ca ca)
{
  return pki->ca[ca].current->key != NULL;
}

bool ps_pki_revoke(ps_pki *pki, ps_ca ca, const ASN1_INTEGER *serial,
                   int reason, gint64 when, bool *added, GError **error)
{
  pki_issuer *is = pki->ca[ca].current;
  if(added)
    *added = false;
  if(!is->key)
    return pki_error(error, PS_PKI_ERROR_NO_KEY,
                     "the %s CA's key is not in trust/%s-ca.key: portal-sim "
                     "cannot sign a CRL with the new revocation",
                     pki->ca[ca].name, pki->ca[ca].name);
  if(reason < -1 || reason > 10 || reason == 7)
    return pki_error(error, PS_PKI_ERROR_PARSE,
                     "CRL reason %d is not one of RFC 5280's codes", reason);
  g_autofree char *hex = ps_pki_serial_hex(serial);
  bool ok = true;
  g_mutex_lock(&pki->lock);
  if(!g_hash_table_contains(is->revoked, hex)) {
    pki_revoked *r = g_new0(pki_revoked, 1);
    r->serial = ASN1_INTEGER_dup(serial);
    r->when = when;
    r->reason = reason;
    if(!r->serial) {
      g_free(r);
      ok = pki_error(error, PS_PKI_ERROR_CRYPTO, "out of memory");
    }
    else {
      g_hash_table_insert(is->revoked, g_strdup(hex), r);
      is->dirty = true;
      if(added)
        *added = true;
      /* Signed now, so that the next download shows it; should signing
       * fail, the next refresh tries again (dirty stays set). */
      if(!sign_crl_locked(is, now_s())) {
        g_autofree char *why = ossl_errors();
        g_warning("pki: cannot sign the CRL after revoking %s: %s", hex, why);
      }
    }
  }
  g_mutex_unlock(&pki->lock);
  return ok;
}
