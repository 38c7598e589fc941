/* terminal.c - TLS client certificates of terminals [S] (portal-api.md:
 * "the simulator can require a TLS client certificate per terminal").
 *
 * A kiosk keeps every signed application in a durable outbox and may have
 * to deliver it after the resident's session is gone (network down at
 * submit, a crash, a power cut): then there is no resident token, and the
 * registered terminal that relays the package authenticates itself with a
 * client certificate instead. The certificate is asked for, never
 * required, and only when the data directory has trust/terminal-ca.pem:
 * terminals without one work as before.
 *
 * libmicrohttpd asks for the certificate (MHD_OPTION_HTTPS_MEM_TRUST makes
 * it send a CertificateRequest) but checks nothing; GnuTLS verifies the
 * chain against the same trust list here, per request, and the leaf's
 * usage and CN are checked on top of it. */
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "server_internal.h"

#define CN_MAX 64               /* the same rule as X-Terminal-Id */

bool ps_terminal_ca_load(const char *path, char **pem_out, GError **error)
{
  *pem_out = NULL;
  if(!g_file_test(path, G_FILE_TEST_EXISTS))
    return true;               /* optional: no client certificates then */
  char *pem = NULL;
  size_t len = 0;
  if(!ps_read_file(path, &pem, &len, error))
    return false;
  gnutls_x509_crt_t *list = NULL;
  unsigned n = 0;
  gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
  int rc = len > 0 && len < G_MAXUINT ?
           gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0) :
           GNUTLS_E_BASE64_DECODING_ERROR;
  bool ok = rc >= 0 && n > 0;
  unsigned not_ca = 0;
  for(unsigned i = 0; i < n; i++) {
    unsigned critical = 0;
    if(ok && !not_ca && gnutls_x509_crt_get_ca_status(list[i], &critical) <= 0)
      not_ca = i + 1;
    gnutls_x509_crt_deinit(list[i]);
  }
  gnutls_free(list);
  if(!ok || not_ca) {
    g_free(pem);
    if(!ok)
      g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                  "%s: not a list of PEM certificates (%s); put the terminal CA's "
                  "certificate there, or remove the file to serve terminals "
                  "without client certificates", path,
                  rc < 0 ? gnutls_strerror(rc) : "no certificate in it");
    else
      g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                  "%s: certificate %u is not a CA certificate (basicConstraints "
                  "CA:TRUE); put the CA that issues the terminals' certificates "
                  "there, not a terminal's own", path, not_ca);
    return false;
  }
  *pem_out = pem;
  return true;
}

/* The terminal id a certificate names: exactly one CN, 1-64 printable
 * ASCII characters without spaces (what X-Terminal-Id may be). */
static bool leaf_cn(gnutls_x509_crt_t crt, char **cn_out)
{
  char buf[CN_MAX + 2];
  size_t size = sizeof(buf);
  if(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                   buf, &size) < 0)
    return false;
  char second[CN_MAX + 2];
  size_t size2 = sizeof(second);
  int rc2 = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 1, 0,
                                          second, &size2);
  if(rc2 != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return false;              /* two CNs: which one would be the terminal? */
  size_t n = strlen(buf);
  if(n == 0 || n > CN_MAX || n != size)
    return false;
  for(const char *c = buf; *c; c++)
    if(*c <= 0x20 || *c >= 0x7f)
      return false;
  *cn_out = g_strdup(buf);
  return true;
}

ps_terminal_cert ps_terminal_leaf_check(const unsigned char *der, size_t len,
                                        char **cn_out)
{
  *cn_out = NULL;
  gnutls_x509_crt_t crt = NULL;
  if(len == 0 || len > G_MAXUINT || gnutls_x509_crt_init(&crt) < 0)
    return PS_TERMINAL_CERT_INVALID;
  ps_terminal_cert r = PS_TERMINAL_CERT_INVALID;
  gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
  if(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0)
    goto done;
  /* GnuTLS' purpose check accepts a certificate without extendedKeyUsage
   * (RFC 5280: any purpose). A terminal certificate must say clientAuth. */
  bool client_auth = false;
  for(unsigned i = 0;; i++) {
    char oid[128];
    size_t size = sizeof(oid);
    unsigned critical = 0;
    int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, &critical);
    if(rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
      continue;
    if(rc < 0)
      break;
    if(strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0)
      client_auth = true;
  }
  /* keyUsage, when present, must allow the handshake signature. */
  unsigned usage = 0, critical = 0;
  int ku = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);
  if(!client_auth || (ku >= 0 && !(usage & GNUTLS_KEY_DIGITAL_SIGNATURE)) ||
     (ku < 0 && ku != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)) {
    r = PS_TERMINAL_CERT_WRONG_USAGE;
    goto done;
  }
  r = leaf_cn(crt, cn_out) ? PS_TERMINAL_CERT_VALID : PS_TERMINAL_CERT_BAD_CN;

done:
  gnutls_x509_crt_deinit(crt);
  return r;
}

ps_terminal_cert ps_terminal_cert_check(void *tls_session, char **cn_out)
{
  *cn_out = NULL;
  gnutls_session_t s = tls_session;
  unsigned n = 0;
  const gnutls_datum_t *peers = s ? gnutls_certificate_get_peers(s, &n) : NULL;
  if(!peers || n == 0)
    return PS_TERMINAL_CERT_NONE;
  /* Chain to the trust list libmicrohttpd gave GnuTLS (terminal-ca.pem),
   * validity dates of every certificate in it, the purpose clientAuth. */
  gnutls_typed_vdata_st purpose = {
    .type = GNUTLS_DT_KEY_PURPOSE_OID,
    .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
    .size = 0,
  };
  unsigned status = 0;
  if(gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0)
    return PS_TERMINAL_CERT_INVALID;
  if(status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
    return PS_TERMINAL_CERT_UNTRUSTED;
  if(status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
    return PS_TERMINAL_CERT_EXPIRED;
  if(status & GNUTLS_CERT_PURPOSE_MISMATCH)
    return PS_TERMINAL_CERT_WRONG_USAGE;
  if(status)
    return PS_TERMINAL_CERT_INVALID;
  return ps_terminal_leaf_check(peers[0].data, peers[0].size, cn_out);
}

const char *ps_terminal_cert_name(ps_terminal_cert r)
{
  switch(r) {
  case PS_TERMINAL_CERT_NONE: return "none";
  case PS_TERMINAL_CERT_VALID: return "verified";
  case PS_TERMINAL_CERT_UNTRUSTED: return "untrusted";
  case PS_TERMINAL_CERT_EXPIRED: return "expired";
  case PS_TERMINAL_CERT_WRONG_USAGE: return "wrong-usage";
  case PS_TERMINAL_CERT_BAD_CN: return "bad-cn";
  case PS_TERMINAL_CERT_INVALID: break;
  }
  return "invalid";
}

const char *ps_terminal_cert_message(ps_terminal_cert r)
{
  switch(r) {
  case PS_TERMINAL_CERT_UNTRUSTED:
    return "この端末の証明書は、登録された端末の認証局が発行したものではありません。"
           "端末に入れた証明書と鍵が正しいか、端末の管理者に確認してください。";
  case PS_TERMINAL_CERT_EXPIRED:
    return "この端末の証明書は有効期間の外です（期限切れ、またはまだ有効になっていません）。"
           "端末の時刻を確かめ、証明書を更新してください。";
  case PS_TERMINAL_CERT_WRONG_USAGE:
    return "この証明書は端末の認証（TLS クライアント認証）用ではありません。"
           "extendedKeyUsage に clientAuth、keyUsage に digitalSignature を持つ端末証明書を入れてください。";
  case PS_TERMINAL_CERT_BAD_CN:
    return "端末の証明書の CN が端末 ID になりません（CN はひとつ、空白を含まない 64 文字以内の ASCII）。"
           "端末証明書を発行し直してください。";
  case PS_TERMINAL_CERT_NONE:
  case PS_TERMINAL_CERT_VALID:
  case PS_TERMINAL_CERT_INVALID:
    break;
  }
  return "端末の証明書を検証できませんでした（署名またはアルゴリズムが正しくありません）。"
         "端末証明書を発行し直してください。";
}
