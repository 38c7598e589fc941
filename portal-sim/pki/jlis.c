/* jlis.c - jlis-sim, the stand-in for the JPKI certificate authority's
 * public endpoints (portal-api.md §5): the CA certificates, the CRLs and
 * the OCSP responder, as the URLs in the test certificates name them
 * (crlDistributionPoints, authorityInfoAccess). The state behind them is
 * pki.c's; this file only speaks HTTP.
 *
 * These are not JSON APIs: GET /ca, GET /crl and POST /ocsp take no
 * Idempotency-Key (an OCSP request is answered afresh every time, as
 * RFC 6960 clients expect). The --dev route POST /_dev/jlis/revoke is a
 * JSON POST like any other and takes one. */
#include <string.h>

#include "pki_internal.h"

/* RFC 2585 (certificates, CRLs) and RFC 6960 (OCSP) media types [P]. */
#define CT_CERT "application/pkix-cert"
#define CT_CRL "application/pkix-crl"
#define CT_OCSP_REQUEST "application/ocsp-request"
#define CT_OCSP_RESPONSE "application/ocsp-response"

static void reply_ca(ps_portal *p, ps_response *rs, ps_ca ca)
{
  ps_reply_bytes(rs, 200, CT_CERT, ps_pki_ca_der(p->pki, ca));
}

static void ca_auth(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  reply_ca(p, rs, PS_CA_AUTH);
}

static void ca_sign(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  reply_ca(p, rs, PS_CA_SIGN);
}

static void reply_crl(ps_portal *p, ps_response *rs, ps_ca ca)
{
  GBytes *der = ps_pki_crl_der(p->pki, ca);
  if(!der) {
    /* ps_pki_open refuses a CA with neither key nor CRL; this is a CA key
     * that failed to sign (logged by pki.c). */
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "crl", "%s 用の失効リストを作れませんでした。しばらくしてからやり直してください。",
                  ps_pki_ca_name(ca));
    ps_reply_error(rs, 503, "crl_unavailable", "失効リストを用意できません",
                   "認証局の失効リスト (CRL) を用意できませんでした。", report);
    ps_reply_header(rs, "Retry-After", "60");
    return;
  }
  ps_reply_bytes(rs, 200, CT_CRL, der);
}

static void crl_auth(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  reply_crl(p, rs, PS_CA_AUTH);
}

static void crl_sign(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  reply_crl(p, rs, PS_CA_SIGN);
}

/* The media type without parameters, compared case-insensitively. */
static bool content_type_is(const char *ct, const char *want)
{
  if(!ct)
    return false;
  size_t n = strlen(want);
  if(g_ascii_strncasecmp(ct, want, n) != 0)
    return false;
  return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static void ocsp(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  if(!content_type_is(rq->content_type, CT_OCSP_REQUEST)) {
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "Content-Type",
                  "OCSP 要求は Content-Type: %s で送ってください (受け取ったもの: %s)。",
                  CT_OCSP_REQUEST, rq->content_type ? rq->content_type : "なし");
    ps_reply_error(rs, 415, "unsupported_media_type", "OCSP 要求の形式が違います",
                   "RFC 6960 の DER 形式の OCSP 要求を送ってください。", report);
    return;
  }
  /* Malformed bytes get an OCSP answer (malformedRequest), not an HTTP
   * error: that is what an OCSP client knows how to read. */
  GBytes *answer = ps_pki_ocsp_respond(p->pki, rq->body, rq->body ? rq->body_len : 0);
  ps_reply_bytes(rs, 200, CT_OCSP_RESPONSE, answer);
  /* Every answer is fresh and carries the request's nonce. */
  ps_reply_header(rs, "Cache-Control", "no-store");
}

/* ---- --dev: revoke a certificate ---- */

/* RFC 5280 5.3.1 CRLReason names [P]; 7 is unused, 8 (removeFromCRL) is
 * not a revocation. */
static const char *const reason_names[] = {
  "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
  "superseded", "cessationOfOperation", "certificateHold", NULL, NULL,
  "privilegeWithdrawn", "aACompromise",
};

static bool reason_from_name(const char *name, int *out)
{
  for(int i = 0; i < (int)G_N_ELEMENTS(reason_names); i++) {
    if(reason_names[i] && strcmp(reason_names[i], name) == 0) {
      *out = i;
      return true;
    }
  }
  return false;
}

static const char *member_string(JsonObject *o, const char *name, bool *wrong_type)
{
  JsonNode *n = json_object_get_member(o, name);
  *wrong_type = false;
  if(!n || JSON_NODE_HOLDS_NULL(n))
    return NULL;
  if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    *wrong_type = true;
    return NULL;
  }
  return json_node_get_string(n);
}

/* POST /_dev/jlis/revoke {ca: "auth"|"sign", serial: hex, reason?} [S]:
 * records the revocation in portal.db (so it survives a restart, see
 * ps_auth_init) and in the CA's CRL and OCSP answers at once. */
static void dev_revoke(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = ps_request_json_object(rq, rs, &parser);
  if(!o)
    return;
  g_autoptr(GPtrArray) report = ps_report_new();
  bool bad;
  ps_ca ca = PS_CA_AUTH;
  const char *ca_name = member_string(o, "ca", &bad);
  if(!ps_pki_ca_from_name(ca_name, &ca))
    ps_report_add(report, "ca", "ca は \"auth\" (利用者証明用) か \"sign\" (署名用) にしてください。");
  const char *serial_hex = member_string(o, "serial", &bad);
  g_autoptr(ASN1_INTEGER) serial = NULL;
  if(!serial_hex || !ps_pki_serial_from_hex(serial_hex, &serial))
    ps_report_add(report, "serial",
                  "serial には証明書のシリアル番号を 16 進数で書いてください (openssl x509 -serial の表示)。");
  int reason = -1;
  const char *reason_name = member_string(o, "reason", &bad);
  if(bad || (reason_name && !reason_from_name(reason_name, &reason)))
    ps_report_add(report, "reason",
                  "reason は RFC 5280 の理由名 (keyCompromise, superseded, cessationOfOperation など) にするか、省いてください。");
  if(report->len) {
    ps_reply_error(rs, 400, "invalid_request", "失効の指定が正しくありません",
                   "ca と serial を確認してください。", report);
    return;
  }
  if(!ps_pki_has_key(p->pki, ca)) {
    ps_report_add(report, "ca",
                  "データディレクトリに trust/%s-ca.key がないため、この認証局の失効リストに署名できません。",
                  ca_name);
    ps_reply_error(rs, 409, "no_ca_key", "この認証局では失効を登録できません",
                   "認証局の鍵がないため、失効リストを作り直せません。", report);
    return;
  }
  g_autofree char *hex = ps_pki_serial_hex(serial);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  /* The server holds db_lock and an open transaction (PS_ROUTE_IDEMPOTENT):
   * the row commits together with the stored response. Memory follows the
   * database, so a failed write leaves nothing revoked. */
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "INSERT OR IGNORE INTO pki_revocations(ca, serial, reason, revoked_at) "
    "VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL);
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, ca_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, reason);
    sqlite3_bind_int64(st, 4, now);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  g_autoptr(GError) err = NULL;
  bool added = false;
  if(rc != SQLITE_OK ||
     !ps_pki_revoke(p->pki, ca, serial, reason, now, &added, &err)) {
    g_warning("pki: revoking %s serial %s: %s", ca_name, hex,
              err ? err->message : sqlite3_errmsg(p->db));
    ps_report_add(report, "serial", "失効を記録できませんでした。しばらくしてからやり直してください。");
    ps_reply_error(rs, 500, "internal", "失効を記録できませんでした",
                   "サーバー内部の問題で失効を記録できませんでした。", report);
    return;
  }
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "ca", ca_name);
  json_object_set_string_member(r, "serial", hex);
  json_object_set_boolean_member(r, "newly_revoked", added);
  if(reason >= 0)
    json_object_set_string_member(r, "reason", reason_names[reason]);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, r);
  ps_reply_results(rs, 200, n, NULL, NULL);
}

const ps_route ps_jlis_routes[] = {
  { "GET", "/ca/auth.der", ca_auth, 0 },
  { "GET", "/ca/sign.der", ca_sign, 0 },
  { "GET", "/crl/auth.crl", crl_auth, 0 },
  { "GET", "/crl/sign.crl", crl_sign, 0 },
  { "POST", "/ocsp", ocsp, 0 },
  { "POST", "/_dev/jlis/revoke", dev_revoke, PS_ROUTE_DEV | PS_ROUTE_IDEMPOTENT },
  { NULL, NULL, NULL, 0 },
};
