/* shinsei.c - ぴったりサービス search and e-application, /shinsei/v2
 * (portal-api.md §2; URL shapes and fields [P e-Gov 電子申請API v2], the
 * checks and their order [S]).
 *
 * An application is accepted only when every check passed, in this order,
 * all findings of one stage reported together:
 *   1. the body: proc_id, send_file.file_name (*.zip), send_file.file_data
 *      (base64);
 *   2. the procedure exists;
 *   3. the package (package/): ZIP, kousei.xml, every file signed once,
 *      digests and signature value;
 *   4. the package is for this procedure;
 *   5. the signer: the sign certificate chains to the JPKI sign CA, is
 *      valid now and not revoked (pki/: CRL and OCSP), and names the
 *      logged-in resident (subjectAltName name = the registered name); or,
 *      when a registered terminal relays the package without a resident
 *      token (PS_ROUTE_TERMINAL_RELAY), the resident is the one whose
 *      registered sign certificate (issuer + serial) signed it [S];
 *   6. the form data and the attachments against the procedure's schema
 *      (catalog/).
 * A package this resident already submitted within 24 h (same SHA-256) is
 * not stored twice: the answer is the first receipt, with 200 and
 * "duplicate": true [S].
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "catalog.h"
#include "package.h"
#include "pki.h"
#include "server_internal.h"

#define LIST_LIMIT_MAX 50      /* [P] apply/lists: limit 1-50 */
#define SEARCH_LIMIT_MAX 100   /* [S] */

/* OID of the holder's name in a JPKI sign certificate's subjectAltName
 * (card-reference.md). */
#define JPKI_SAN_NAME_OID "1.2.392.200149.8.5.5.1"

/* ---- small helpers ---- */

static const char *query(const ps_request *rq, const char *name)
{
  const char *v = g_hash_table_lookup(rq->query, name);
  return v && *v ? v : NULL;
}

/* n random decimal digits, the first not 0. */
static char *random_digits(size_t n)
{
  uint8_t buf[32];
  char *s = g_malloc(n + 1);
  size_t i = 0;
  while(i < n) {
    if(RAND_bytes(buf, sizeof(buf)) != 1)
      g_error("RAND_bytes failed");
    for(size_t k = 0; k < sizeof(buf) && i < n; k++) {
      if(buf[k] >= 250)      /* no modulo bias */
        continue;
      char d = (char)('0' + buf[k] % 10);
      if(i == 0 && d == '0')
        continue;
      s[i++] = d;
    }
  }
  s[n] = '\0';
  return s;
}

/* The holder's name in a JPKI sign certificate, or NULL. */
static char *sign_cert_name(X509 *cert)
{
  GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  if(!names)
    return NULL;
  char *out = NULL;
  ASN1_OBJECT *want = OBJ_txt2obj(JPKI_SAN_NAME_OID, 1);
  for(int i = 0; want && !out && i < sk_GENERAL_NAME_num(names); i++) {
    GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
    if(gn->type != GEN_OTHERNAME || OBJ_cmp(gn->d.otherName->type_id, want))
      continue;
    ASN1_TYPE *v = gn->d.otherName->value;
    if(v && v->type == V_ASN1_UTF8STRING)
      out = g_strndup((const char *)ASN1_STRING_get0_data(v->value.utf8string),
                      (gsize)ASN1_STRING_length(v->value.utf8string));
  }
  ASN1_OBJECT_free(want);
  GENERAL_NAMES_free(names);
  return out;
}

static void reply_report(ps_response *rs, unsigned status, const char *code,
                         const char *title, const char *detail,
                         const GPtrArray *report)
{
  ps_reply_error(rs, status, code, title, detail, report);
}

/* A data directory without procedures (main.c allows it) serves none. */
static bool catalog_ready(ps_portal *p, ps_response *rs)
{
  if(p->catalog)
    return true;
  ps_reply_error(rs, 503, "no_catalog", "手続の一覧を読み込めていません",
                 "portal-sim のデータフォルダに catalog/ がありません。", NULL);
  return false;
}

/* ---- search and definitions (no login) ---- */

static void procedures_search(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  if(!catalog_ready(p, rs))
    return;
  long limit = 20, offset = 0;
  size_t total = 0;
  g_autoptr(GPtrArray) report = ps_report_new();
  if(!ps_query_uint(rq, "limit", 1, SEARCH_LIMIT_MAX, 20, &limit))
    ps_report_add(report, "limit", "limit は 1 から %d までの数字で指定してください。",
                  SEARCH_LIMIT_MAX);
  if(!ps_query_uint(rq, "offset", 0, G_MAXINT, 0, &offset))
    ps_report_add(report, "offset", "offset は 0 以上の数字で指定してください。");
  const char *city = query(rq, "city_code");
  if(city && (strlen(city) != 6 || strspn(city, "0123456789") != 6))
    ps_report_add(report, "city_code", "city_code は 6 桁の地方公共団体コードで指定してください。");
  const char *kw = query(rq, "keyword");
  if(kw && !g_utf8_validate(kw, -1, NULL))
    ps_report_add(report, "keyword", "キーワードの文字が読み取れません。入力し直してください。");
  if(report->len) {
    reply_report(rs, 400, "bad_query", "検索条件に誤りがあります",
                 "検索条件を確かめて、もう一度検索してください。", report);
    return;
  }
  JsonNode *results = ps_catalog_search(p->catalog, city, query(rq, "category"), kw,
                                        (size_t)limit, (size_t)offset, &total);
  long count = (long)json_array_get_length(json_node_get_array(results));
  rs->title = "手続検索";
  ps_reply_results(rs, 200, results, ps_resultset((long)total, limit, offset, count), NULL);
}

static void procedure_get(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  if(!catalog_ready(p, rs))
    return;
  JsonNode *def = ps_catalog_get(p->catalog, rq->params[0]);
  if(!def) {
    ps_reply_error(rs, 404, "unknown_procedure", "手続が見つかりません",
                   "手続 ID を確かめてください。手続は検索から選べます。", NULL);
    return;
  }
  rs->title = "手続定義";
  ps_reply_results(rs, 200, def, NULL, NULL);
}

/* ---- the application body and package ---- */

typedef struct apply_input {
  JsonParser *parser;
  const char *proc_id;
  const char *file_name;
  const char *arrive_id;       /* amend, withdraw */
  guchar *zip;
  gsize zip_len;
  ps_package *pkg;
  const ps_catalog_summary *proc;
  const char *resident_id;     /* whose application: the token's resident,
                                  or the signer's when relayed */
} apply_input;

static void apply_input_clear(apply_input *in)
{
  g_clear_object(&in->parser);
  g_free(in->zip);
  ps_package_free(in->pkg);
  memset(in, 0, sizeof(*in));
}

static bool base64_valid(const char *s)
{
  size_t n = strlen(s);
  if(n == 0 || n % 4)
    return false;
  size_t i = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  return i == n || (i + 1 == n && s[i] == '=') || (i + 2 == n && !strcmp(s + i, "=="));
}

/* Stages 1-6. On failure the reply is set and false returned. with_arrive:
 * the body also names the application (amend). */
static bool apply_read(ps_portal *p, const ps_request *rq, ps_response *rs,
                       bool with_arrive, apply_input *in)
{
  if(!catalog_ready(p, rs))
    return false;
  JsonObject *o = ps_request_json_object(rq, rs, &in->parser);
  if(!o)
    return false;
  g_autoptr(GPtrArray) report = ps_report_new();
  in->proc_id = ps_json_string(o, "proc_id");
  if(!in->proc_id)
    ps_report_add(report, "proc_id", "proc_id（手続 ID）がありません。");
  if(with_arrive) {
    in->arrive_id = ps_json_string(o, "arrive_id");
    if(!in->arrive_id)
      ps_report_add(report, "arrive_id", "arrive_id（到達番号）がありません。");
  }
  JsonNode *sf = json_object_get_member(o, "send_file");
  JsonObject *sfo = sf && JSON_NODE_HOLDS_OBJECT(sf) ? json_node_get_object(sf) : NULL;
  in->file_name = ps_json_string(sfo, "file_name");
  const char *data = ps_json_string(sfo, "file_data");
  if(!sfo)
    ps_report_add(report, "send_file", "send_file（申請データ）がありません。");
  else {
    if(!in->file_name || !g_str_has_suffix(in->file_name, ".zip") ||
       strlen(in->file_name) > 255 || strchr(in->file_name, '/'))
      ps_report_add(report, "send_file.file_name",
                    "ファイル名は「.zip」で終わる 255 文字以内の名前にしてください。");
    if(!data || !base64_valid(data))
      ps_report_add(report, "send_file.file_data",
                    "申請データ（ZIP）が base64 で入っていません。申請データを作り直してください。");
  }
  if(report->len) {
    reply_report(rs, 400, "bad_request", "申請の内容が足りません",
                 "申請データを作り直して、もう一度送ってください。", report);
    return false;
  }
  in->proc = ps_catalog_lookup(p->catalog, in->proc_id);
  if(!in->proc) {
    ps_report_add(report, "proc_id", "この手続はありません。手続を選び直してください。");
    reply_report(rs, 404, "unknown_procedure", "手続が見つかりません", NULL, report);
    return false;
  }
  in->zip = g_base64_decode(data, &in->zip_len);
  if(!ps_package_verify(in->zip, in->zip_len, NULL, &in->pkg, report)) {
    reply_report(rs, 422, "package_invalid", "申請データの署名または形式に誤りがあります",
                 "申請データが途中で変わったおそれがあります。署名からやり直してください。",
                 report);
    return false;
  }
  if(strcmp(in->pkg->proc_id, in->proc_id)) {
    ps_report_add(report, "proc_id",
                  "申請データ（構成情報）の手続と、送られた手続 ID が違います。");
    reply_report(rs, 422, "package_mismatch", "申請データの手続が違います", NULL, report);
    return false;
  }
  /* The signer: trusted, valid, not revoked, the logged-in resident. */
  if(ps_pki_check(p->pki, PS_CA_SIGN, in->pkg->sign_cert, report) != PS_CERT_OK) {
    reply_report(rs, 422, "sign_cert_invalid", "署名用電子証明書を確認できません",
                 "証明書の有効期限や失効の状況を確かめてください。", report);
    return false;
  }
  if(rq->relayed) {
    /* No resident logged in: the signed package names the applicant by
     * itself, and only a sign certificate linked to a registered resident
     * (residents.json "sign_cert") is anybody's. */
    in->resident_id = ps_resident_by_sign_cert(p, X509_get_issuer_name(in->pkg->sign_cert),
                                               X509_get0_serialNumber(in->pkg->sign_cert));
    if(!in->resident_id) {
      ps_report_add(report, "sign_cert",
                    "この署名用電子証明書は、どの利用者の登録とも結び付いていません。"
                    "ご本人がマイナンバーカードでログインして、申請し直してください。");
      reply_report(rs, 422, "unknown_signer", "署名者が利用者として登録されていません",
                   NULL, report);
      return false;
    }
  }
  else {
    JsonObject *resident = ps_resident_get(p, rq->resident_id);
    const char *name = resident ? ps_json_string(resident, "name") : NULL;
    g_autofree char *signer = sign_cert_name(in->pkg->sign_cert);
    if(!name || !signer || strcmp(name, signer)) {
      ps_report_add(report, "sign_cert",
                    "署名した人が、ログインしている利用者と違います。ご本人のカードで署名してください。");
      reply_report(rs, 422, "signer_mismatch", "署名者が利用者と一致しません", NULL, report);
      return false;
    }
    in->resident_id = rq->resident_id;
  }
  /* The form and the attachments against the procedure. */
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  for(guint i = 0; i < in->pkg->attachments->len; i++) {
    ps_package_file *f = g_ptr_array_index(in->pkg->attachments, i);
    g_ptr_array_add(ids, f->attachment_id);
    if(!ps_catalog_attachment_accepts(p->catalog, in->proc_id, f->attachment_id,
                                      f->content_type)) {
      g_autofree char *item = g_strconcat("attachment:", f->attachment_id, NULL);
      ps_report_add(report, item, "この添付書類は、この種類のファイル（%s）では受け付けられません。",
                    f->content_type);
    }
  }
  gsize form_len = 0;
  const uint8_t *form = g_bytes_get_data(in->pkg->form->data, &form_len);
  ps_catalog_check_form(p->catalog, in->proc_id, form, form_len,
                        (const char *const *)ids->pdata, ids->len, report);
  if(report->len) {
    reply_report(rs, 422, "form_invalid", "入力内容または添付書類に誤りがあります",
                 "表示された項目を直して、署名からやり直してください。", report);
    return false;
  }
  return true;
}

static JsonNode *receipt(const char *arrive_id, const char *arrive_date,
                         const char *inquiry_no, bool duplicate)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "arrive_id", arrive_id);
  json_object_set_string_member(o, "arrive_date", arrive_date);
  json_object_set_string_member(o, "inquiry_no", inquiry_no);
  if(duplicate)
    json_object_set_boolean_member(o, "duplicate", TRUE);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

static JsonNode *links(const char *arrive_id)
{
  g_autofree char *self = g_strconcat("/shinsei/v2/apply/", arrive_id, NULL);
  JsonObject *o = json_object_new();
  JsonObject *s = json_object_new(), *st = json_object_new();
  json_object_set_string_member(s, "href", self);
  json_object_set_string_member(st, "href", self);
  json_object_set_object_member(o, "self", s);
  json_object_set_object_member(o, "status", st);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

static void db_failed(ps_response *rs, GError *error)
{
  g_warning("portal.db: %s", error ? error->message : "?");
  ps_reply_error(rs, 500, "storage", "申請を保存できませんでした",
                 "時間をおいて、もう一度送ってください。送った申請は届いていません。", NULL);
}

/* An application of this resident, or false (then a 404 reply is set). */
static bool own_application(ps_portal *p, const char *resident_id, ps_response *rs,
                            const char *arrive_id, char **status, char **portal_status)
{
  sqlite3_stmt *st = NULL;
  bool found = false;
  if(sqlite3_prepare_v2(p->db,
                        "SELECT status, portal_status FROM applications"
                        " WHERE arrive_id = ? AND resident_id = ?", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, arrive_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, resident_id, -1, SQLITE_TRANSIENT);
    if(sqlite3_step(st) == SQLITE_ROW) {
      *status = g_strdup((const char *)sqlite3_column_text(st, 0));
      *portal_status = g_strdup((const char *)sqlite3_column_text(st, 1));
      found = true;
    }
  }
  sqlite3_finalize(st);
  if(!found)
    ps_reply_error(rs, 404, "unknown_application", "申請が見つかりません",
                   "到達番号を確かめてください。", NULL);
  return found;
}

static bool set_status(ps_portal *p, const char *arrive_id, const char *status,
                       const char *portal_status, const char *comment,
                       const char *by, GError **error)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  sqlite3_stmt *st = NULL;
  bool ok = sqlite3_prepare_v2(p->db,
                               "UPDATE applications SET status = ?, portal_status = ?,"
                               " updated_at = ? WHERE arrive_id = ?", -1, &st, NULL) == SQLITE_OK;
  if(ok) {
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, portal_status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, arrive_id, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  st = NULL;
  if(ok)
    ok = sqlite3_prepare_v2(p->db,
                            "INSERT INTO application_status_log(arrive_id, status,"
                            " portal_status, comment, changed_by, changed_at)"
                            " VALUES(?, ?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK;
  if(ok) {
    sqlite3_bind_text(st, 1, arrive_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, portal_status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, comment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if(!ok)
    g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL, "%s", sqlite3_errmsg(p->db));
  return ok;
}

/* ---- apply/check, apply, amend, withdraw (idempotent POSTs) ---- */

static void apply_check(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  apply_input in = { 0 };
  if(apply_read(p, rq, rs, false, &in)) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "result", "OK");
    json_object_set_string_member(o, "proc_id", in.proc_id);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    rs->title = "申請データ事前チェック";
    ps_reply_results(rs, 200, n, NULL, NULL);
  }
  apply_input_clear(&in);
}

static void apply(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  apply_input in = { 0 };
  g_autoptr(GError) error = NULL;
  /* Declared before the first goto: cleanups must never see them
   * uninitialised. */
  g_autofree char *dup = NULL, *date = NULL, *inquiry = NULL;
  if(!apply_read(p, rq, rs, false, &in))
    goto out;
  rs->title = "申請データ送信";
  if(ps_dedup_lookup(p, in.resident_id, in.pkg->zip_sha256, &dup)) {
    /* The same package again: the first receipt, nothing stored. */
    sqlite3_stmt *st = NULL;
    if(sqlite3_prepare_v2(p->db, "SELECT arrive_date, inquiry_no FROM applications"
                          " WHERE arrive_id = ?", -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, dup, -1, SQLITE_STATIC);
      if(sqlite3_step(st) == SQLITE_ROW) {
        JsonNode *r = receipt(dup, (const char *)sqlite3_column_text(st, 0),
                              (const char *)sqlite3_column_text(st, 1), true);
        sqlite3_finalize(st);
        ps_reply_results(rs, 200, r, NULL, links(dup));
        goto out;
      }
    }
    sqlite3_finalize(st);
  }
  date = ps_format_jst(g_get_real_time() / G_USEC_PER_SEC);
  inquiry = random_digits(10);
  for(int tries = 0; tries < 8; tries++) {
    g_autofree char *arrive_id = random_digits(16);
    ps_application app = {
      .arrive_id = arrive_id, .proc_id = in.proc_id, .city_code = in.proc->city_code,
      .resident_id = in.resident_id, .status = "到達", .portal_status = "処理中",
      .arrive_date = date, .inquiry_no = inquiry, .package_sha256 = in.pkg->zip_sha256,
      .package_file_name = in.file_name, .package = in.zip, .package_len = in.zip_len,
    };
    g_clear_error(&error);
    if(ps_application_insert(p, &app, &error)) {
      if(!ps_dedup_store(p, in.resident_id, in.pkg->zip_sha256, arrive_id, &error)) {
        db_failed(rs, error);
        goto out;
      }
      ps_reply_results(rs, 201, receipt(arrive_id, date, inquiry, false), NULL,
                       links(arrive_id));
      goto out;
    }
    if(!g_error_matches(error, PS_DB_ERROR, PS_DB_ERROR_EXISTS))
      break;
  }
  db_failed(rs, error);
out:
  apply_input_clear(&in);
}

/* A corrected package for an application the municipality sent back
 * (補正待ち / 要訂正): it replaces the package, and the application is
 * examined again (審査中 / 処理中) [S]. */
static void apply_amend(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  apply_input in = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL, *portal_status = NULL;
  /* Relayed, "own" means the signer's: a terminal can amend only an
   * application of the person who signed the corrected package. */
  if(!apply_read(p, rq, rs, true, &in) ||
     !own_application(p, in.resident_id, rs, in.arrive_id, &status, &portal_status))
    goto out;
  if(strcmp(status, "補正待ち")) {
    ps_reply_error(rs, 409, "not_amendable", "この申請は今は補正できません",
                   "補正できるのは、市区町村から補正の依頼があった申請だけです。", NULL);
    goto out;
  }
  sqlite3_stmt *st = NULL;
  bool ok = sqlite3_prepare_v2(p->db,
                               "UPDATE applications SET package = ?, package_sha256 = ?,"
                               " package_file_name = ? WHERE arrive_id = ? AND proc_id = ?",
                               -1, &st, NULL) == SQLITE_OK;
  if(ok) {
    sqlite3_bind_blob64(st, 1, in.zip, in.zip_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in.pkg->zip_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, in.file_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in.arrive_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in.proc_id, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if(ok && sqlite3_changes(p->db) != 1) {
    ps_reply_error(rs, 422, "package_mismatch", "申請データの手続が違います",
                   "補正する申請と同じ手続の申請データを送ってください。", NULL);
    goto out;
  }
  if(!ok) {
    g_set_error(&error, PS_DB_ERROR, PS_DB_ERROR_SQL, "%s", sqlite3_errmsg(p->db));
    db_failed(rs, error);
    goto out;
  }
  if(!set_status(p, in.arrive_id, "審査中", "処理中", "補正", in.resident_id, &error)) {
    db_failed(rs, error);
    goto out;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "arrive_id", in.arrive_id);
  json_object_set_string_member(o, "status", "審査中");
  json_object_set_string_member(o, "portal_status", "処理中");
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  rs->title = "補正申請";
  ps_reply_results(rs, 200, n, NULL, links(in.arrive_id));
out:
  apply_input_clear(&in);
}

static void apply_withdraw(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *o = ps_request_json_object(rq, rs, &parser);
  if(!o)
    return;
  const char *arrive_id = ps_json_string(o, "arrive_id");
  if(!arrive_id) {
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "arrive_id", "arrive_id（到達番号）がありません。");
    reply_report(rs, 400, "bad_request", "取下げる申請がわかりません", NULL, report);
    return;
  }
  g_autofree char *status = NULL, *portal_status = NULL;
  if(!own_application(p, rq->resident_id, rs, arrive_id, &status, &portal_status))
    return;
  if(!strcmp(status, "手続終了") || !strcmp(status, "取下げ")) {
    ps_reply_error(rs, 409, "not_withdrawable", "この申請は取下げできません",
                   "手続が終わった申請と、取下げ済みの申請は取下げできません。", NULL);
    return;
  }
  const char *reason = ps_json_string(o, "reason");
  if(!set_status(p, arrive_id, "取下げ", "処理中", reason ? reason : "取下げ",
                 rq->resident_id, &error)) {
    db_failed(rs, error);
    return;
  }
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "arrive_id", arrive_id);
  json_object_set_string_member(r, "status", "取下げ");
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, r);
  rs->title = "取下げ";
  ps_reply_results(rs, 200, n, NULL, links(arrive_id));
}

/* ---- status and lists (GET) ---- */

static JsonObject *row_object(sqlite3_stmt *st)
{
  JsonObject *o = json_object_new();
  static const char *const cols[] = { "arrive_id", "proc_id", "status", "portal_status",
                                      "arrive_date", "inquiry_no" };
  for(int i = 0; i < (int)G_N_ELEMENTS(cols); i++)
    json_object_set_string_member(o, cols[i], (const char *)sqlite3_column_text(st, i));
  return o;
}

#define APP_COLUMNS "arrive_id, proc_id, status, portal_status, arrive_date, inquiry_no"

static void apply_status(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  ps_db_lock(p);
  sqlite3_stmt *st = NULL;
  JsonObject *o = NULL;
  if(sqlite3_prepare_v2(p->db, "SELECT " APP_COLUMNS " FROM applications"
                        " WHERE arrive_id = ? AND resident_id = ?", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, rq->params[0], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rq->resident_id, -1, SQLITE_STATIC);
    if(sqlite3_step(st) == SQLITE_ROW)
      o = row_object(st);
  }
  sqlite3_finalize(st);
  if(o) {
    /* The history, oldest first. */
    JsonArray *hist = json_array_new();
    st = NULL;
    if(sqlite3_prepare_v2(p->db, "SELECT status, portal_status, changed_at"
                          " FROM application_status_log WHERE arrive_id = ? ORDER BY id",
                          -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, rq->params[0], -1, SQLITE_STATIC);
      while(sqlite3_step(st) == SQLITE_ROW) {
        JsonObject *h = json_object_new();
        g_autofree char *when = ps_format_jst(sqlite3_column_int64(st, 2));
        json_object_set_string_member(h, "status", (const char *)sqlite3_column_text(st, 0));
        json_object_set_string_member(h, "portal_status",
                                      (const char *)sqlite3_column_text(st, 1));
        json_object_set_string_member(h, "date", when);
        json_array_add_object_element(hist, h);
      }
    }
    sqlite3_finalize(st);
    json_object_set_array_member(o, "history", hist);
  }
  ps_db_unlock(p);
  if(!o) {
    ps_reply_error(rs, 404, "unknown_application", "申請が見つかりません",
                   "到達番号を確かめてください。", NULL);
    return;
  }
  const ps_catalog_summary *proc = p->catalog ? ps_catalog_lookup(p->catalog,
                                                     json_object_get_string_member(o, "proc_id")) : NULL;
  if(proc)
    json_object_set_string_member(o, "proc_name", proc->title);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  rs->title = "到達状況";
  ps_reply_results(rs, 200, n, NULL, links(rq->params[0]));
}

static void apply_lists(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  long limit = 20, offset = 0;
  g_autoptr(GPtrArray) report = ps_report_new();
  const char *from = query(rq, "date_from"), *to = query(rq, "date_to");
  if(!ps_query_uint(rq, "limit", 1, LIST_LIMIT_MAX, 20, &limit))
    ps_report_add(report, "limit", "limit は 1 から %d までの数字で指定してください。",
                  LIST_LIMIT_MAX);
  if(!ps_query_uint(rq, "offset", 0, G_MAXINT, 0, &offset))
    ps_report_add(report, "offset", "offset は 0 以上の数字で指定してください。");
  if(!ps_date_param_ok(from))
    ps_report_add(report, "date_from", "日付は YYYY-MM-DD の形で指定してください。");
  if(!ps_date_param_ok(to))
    ps_report_add(report, "date_to", "日付は YYYY-MM-DD の形で指定してください。");
  if(report->len) {
    reply_report(rs, 400, "bad_query", "検索条件に誤りがあります", NULL, report);
    return;
  }
  /* Dates compare as text ("YYYY-MM-DD HH:MM:SS"). */
  g_autofree char *to_end = ps_date_range_end(to);
  static const char where[] =
    " FROM applications WHERE resident_id = ?1 AND (?2 IS NULL OR arrive_date >= ?2)"
    " AND (?3 IS NULL OR arrive_date <= ?3)";
  g_autofree char *count_sql = g_strconcat("SELECT COUNT(*)", where, NULL);
  g_autofree char *list_sql = g_strconcat("SELECT " APP_COLUMNS, where,
                                          " ORDER BY arrive_date DESC, arrive_id"
                                          " LIMIT ?4 OFFSET ?5", NULL);
  JsonArray *arr = json_array_new();
  gint64 all = 0;
  ps_db_lock(p);
  for(int k = 0; k < 2; k++) {
    sqlite3_stmt *st = NULL;
    if(sqlite3_prepare_v2(p->db, k ? list_sql : count_sql, -1, &st, NULL) != SQLITE_OK)
      break;
    sqlite3_bind_text(st, 1, rq->resident_id, -1, SQLITE_STATIC);
    if(from)
      sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    if(to_end)
      sqlite3_bind_text(st, 3, to_end, -1, SQLITE_STATIC);
    if(k) {
      sqlite3_bind_int64(st, 4, limit);
      sqlite3_bind_int64(st, 5, offset);
    }
    while(sqlite3_step(st) == SQLITE_ROW) {
      if(!k) {
        all = sqlite3_column_int64(st, 0);
        continue;
      }
      JsonObject *row = row_object(st);
      const ps_catalog_summary *proc = p->catalog ?
        ps_catalog_lookup(p->catalog, json_object_get_string_member(row, "proc_id")) : NULL;
      if(proc)
        json_object_set_string_member(row, "proc_name", proc->title);
      json_array_add_object_element(arr, row);
    }
    sqlite3_finalize(st);
  }
  ps_db_unlock(p);
  long count = (long)json_array_get_length(arr);
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, arr);
  rs->title = "申請一覧";
  ps_reply_results(rs, 200, n, ps_resultset((long)all, limit, offset, count), NULL);
}

/* Literal paths before the {} ones: the router takes the first match. */
const ps_route ps_shinsei_routes[] = {
  { "GET", "/shinsei/v2/procedures", procedures_search, 0 },
  { "GET", "/shinsei/v2/procedure/{}", procedure_get, 0 },
  { "POST", "/shinsei/v2/apply/check", apply_check,
    PS_ROUTE_RESIDENT | PS_ROUTE_IDEMPOTENT | PS_ROUTE_LARGE_BODY },
  { "POST", "/shinsei/v2/apply/amend", apply_amend,
    PS_ROUTE_RESIDENT | PS_ROUTE_TERMINAL_RELAY | PS_ROUTE_IDEMPOTENT | PS_ROUTE_LARGE_BODY },
  { "POST", "/shinsei/v2/apply/withdraw", apply_withdraw,
    PS_ROUTE_RESIDENT | PS_ROUTE_IDEMPOTENT },
  /* apply and amend carry a signed package that names its applicant: a
   * registered terminal may deliver them without a resident token. */
  { "POST", "/shinsei/v2/apply", apply,
    PS_ROUTE_RESIDENT | PS_ROUTE_TERMINAL_RELAY | PS_ROUTE_IDEMPOTENT | PS_ROUTE_LARGE_BODY },
  { "GET", "/shinsei/v2/apply/lists", apply_lists, PS_ROUTE_RESIDENT },
  { "GET", "/shinsei/v2/apply/{}", apply_status, PS_ROUTE_RESIDENT },
  { NULL, NULL, NULL, 0 },
};
