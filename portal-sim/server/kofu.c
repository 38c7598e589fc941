/* kofu.c - the staff-assisted online application for a My Number Card
 * (交付申請), /kofu/v1 (portal-api.md §3: names [S], fields [P]).
 *
 * A counter terminal starts an application with the 23-digit 申請書ID read
 * from the QR code of the 交付申請書 and gets a token; it uploads the photo
 * (checked against photo-spec.md's hard rules: package/photo.h) and submits
 * once the resident confirmed with their own tap (resident_confirmed_at).
 * The token is a credential: only its SHA-256 is stored [S]. An application
 * lives 24 hours before submission [S]; a 申請書ID submitted once cannot
 * start a second application (409) [S].
 */
#include <string.h>

#include <openssl/rand.h>

#include "photo.h"
#include "server_internal.h"

#define KOFU_TTL_S (24 * 3600)             /* [S] */
#define CONFIRM_SKEW_S 300                 /* clocks of terminal and portal [S] */

static const char kofu_schema[] =
  "CREATE TABLE IF NOT EXISTS kofu_applications("
  "  token_sha256 TEXT PRIMARY KEY, form_id TEXT NOT NULL,"
  "  contact_name TEXT NOT NULL, email TEXT NOT NULL, terminal_id TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL, photo BLOB, photo_sha256 TEXT,"
  "  photo_at INTEGER, photo_width INTEGER, photo_height INTEGER,"
  "  submitted_at INTEGER, receipt_no TEXT UNIQUE, birth_date TEXT,"
  "  want_e_certificates INTEGER, braille_name INTEGER, staff_id TEXT,"
  "  resident_confirmed_at TEXT);"
  "CREATE INDEX IF NOT EXISTS kofu_form ON kofu_applications(form_id);";

/* The table, made on first use (db_lock held): the module needs no call at
 * start. */
static bool kofu_tables(ps_portal *p)
{
  static bool made;
  if(made)
    return true;
  g_autoptr(GError) error = NULL;
  made = ps_db_exec(p, kofu_schema, &error);
  if(!made)
    g_warning("portal.db: %s", error->message);
  return made;
}

static void storage_failed(ps_response *rs)
{
  ps_reply_error(rs, 500, "storage", "申請を保存できませんでした",
                 "時間をおいて、もう一度お試しください。", NULL);
}

static bool member_bool(JsonObject *o, const char *name, bool *out)
{
  JsonNode *n = json_object_get_member(o, name);
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return false;
  *out = json_node_get_boolean(n);
  return true;
}

static bool all_digits(const char *s, size_t n)
{
  return s && strlen(s) == n && strspn(s, "0123456789") == n;
}

/* A plain address check: one @, something before, a dotted domain after,
 * no spaces; the portal mails it, it does not need RFC 5322's corners. */
static bool email_valid(const char *s)
{
  if(!s || strlen(s) > 254 || strpbrk(s, " \t\r\n<>()[]\\,;:\""))
    return false;
  const char *at = strchr(s, '@');
  if(!at || at == s || strchr(at + 1, '@'))
    return false;
  const char *dot = strrchr(at + 1, '.');
  return dot && dot > at + 1 && dot[1] != '\0';
}

/* The JST date-time of portal-api.md ("YYYY-MM-DD HH:MM:SS") as seconds
 * since the epoch; false when it is not one. */
static bool jst_parse(const char *s, gint64 *out)
{
  int y, mo, d, h, mi, se;
  char tail;
  if(!s || strlen(s) != 19 ||
     sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6)
    return false;
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset(9 * 3600);
  g_autoptr(GDateTime) dt = g_date_time_new(tz, y, mo, d, h, mi, se);
  if(!dt)
    return false;
  *out = g_date_time_to_unix(dt);
  return true;
}

static bool date_valid_past(const char *s)
{
  int y, m, d;
  char tail;
  if(!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return false;
  if(!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return false;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset(9 * 3600);
  g_autoptr(GDateTime) born = g_date_time_new(tz, y, m, d, 0, 0, 0);
  return born && g_date_time_compare(born, now) <= 0 && y >= 1880;
}

static void not_found(ps_response *rs)
{
  ps_reply_error(rs, 404, "unknown_kofu_application", "申請が見つかりません",
                 "申請の有効期限（24 時間）が過ぎたか、番号が違います。申請書 ID の読み取りからやり直してください。",
                 NULL);
}

/* POST /kofu/v1/applications */
static void kofu_start(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = ps_request_json_object(rq, rs, &parser);
  if(!o)
    return;
  g_autoptr(GPtrArray) report = ps_report_new();
  const char *form_id = ps_json_string(o, "application_form_id");
  const char *name = ps_json_string(o, "contact_name");
  const char *email = ps_json_string(o, "email");
  if(!rq->terminal_id)
    ps_report_add(report, "X-Terminal-Id", "端末 ID がありません。端末の設定を確かめてください。");
  if(!all_digits(form_id, 23))
    ps_report_add(report, "application_form_id",
                  "申請書 ID は 23 桁の数字です。交付申請書の QR コードを読み取り直してください。");
  if(!name || !*name || g_utf8_strlen(name, -1) > 100 || !g_utf8_validate(name, -1, NULL))
    ps_report_add(report, "contact_name", "連絡先の氏名を 100 文字以内で入力してください。");
  if(!email_valid(email))
    ps_report_add(report, "email", "メールアドレスの形が正しくありません。確かめてください。");
  if(report->len) {
    ps_reply_error(rs, 400, "bad_request", "申請を始められません",
                   "表示された項目を直してください。", report);
    return;
  }
  if(!kofu_tables(p)) {
    storage_failed(rs);
    return;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  sqlite3_stmt *st = NULL;
  bool submitted = false;
  if(sqlite3_prepare_v2(p->db, "SELECT 1 FROM kofu_applications WHERE form_id = ?"
                        " AND submitted_at IS NOT NULL", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
    submitted = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  if(submitted) {
    ps_report_add(report, "application_form_id",
                  "この申請書 ID では、すでに申請が受け付けられています。");
    ps_reply_error(rs, 409, "already_submitted", "この申請書ではすでに申請済みです",
                   "申請状況は申請書 ID で確かめられます。", report);
    return;
  }
  uint8_t raw[32];
  if(RAND_bytes(raw, sizeof(raw)) != 1) {
    ps_reply_error(rs, 500, "random", "申請を始められません", "もう一度お試しください。", NULL);
    return;
  }
  g_autofree char *b64 = g_base64_encode(raw, sizeof(raw));
  g_strdelimit(b64, "+", '-');
  g_strdelimit(b64, "/", '_');
  char *eq = strchr(b64, '=');
  if(eq)
    *eq = '\0';
  g_autofree char *hash = ps_sha256_hex(b64, strlen(b64));
  st = NULL;
  bool ok = sqlite3_prepare_v2(p->db, "INSERT INTO kofu_applications(token_sha256, form_id,"
                               " contact_name, email, terminal_id, created_at)"
                               " VALUES(?, ?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK;
  if(ok) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, form_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rq->terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if(!ok) {
    g_warning("portal.db: %s", sqlite3_errmsg(p->db));
    storage_failed(rs);
    return;
  }
  g_autofree char *expires = ps_format_jst(now + KOFU_TTL_S);
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "token", b64);
  json_object_set_string_member(r, "expires_at", expires);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, r);
  rs->title = "個人番号カード交付申請";
  ps_reply_results(rs, 201, n, NULL, NULL);
}

typedef struct kofu_row {
  bool found;
  bool has_photo;
  bool submitted;
  gint64 photo_at;
  char *receipt_no;
} kofu_row;

/* The open application of this token (the caller holds db_lock). */
static kofu_row kofu_find(ps_portal *p, const char *token)
{
  kofu_row row = { 0 };
  g_autofree char *hash = ps_sha256_hex(token, strlen(token));
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  sqlite3_stmt *st = NULL;
  if(sqlite3_prepare_v2(p->db, "SELECT photo IS NOT NULL, submitted_at IS NOT NULL,"
                        " photo_at, receipt_no FROM kofu_applications"
                        " WHERE token_sha256 = ? AND (created_at > ? OR submitted_at IS NOT NULL)",
                        -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now - KOFU_TTL_S);
    if(sqlite3_step(st) == SQLITE_ROW) {
      row.found = true;
      row.has_photo = sqlite3_column_int(st, 0);
      row.submitted = sqlite3_column_int(st, 1);
      row.photo_at = sqlite3_column_int64(st, 2);
      if(sqlite3_column_type(st, 3) != SQLITE_NULL)
        row.receipt_no = g_strdup((const char *)sqlite3_column_text(st, 3));
    }
  }
  sqlite3_finalize(st);
  return row;
}

/* PUT /kofu/v1/applications/{token}/photo (image/jpeg). A PUT replaces:
 * the last photo that passed the rules is the one submitted. */
static void kofu_photo(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  if(!rq->content_type || g_ascii_strncasecmp(rq->content_type, "image/jpeg", 10))
    ps_report_add(report, "photo.format",
                  "写真は JPEG（image/jpeg）で送ってください。");
  ps_photo_info info = { 0 };
  if(!report->len)
    ps_photo_check(rq->body, rq->body_len, &info, report);
  if(report->len) {
    ps_reply_error(rs, 422, "photo_rejected", "この写真は申請に使えません",
                   "表示された点を直した写真を撮り直してください。", report);
    return;
  }
  ps_db_lock(p);
  if(!kofu_tables(p)) {
    ps_db_unlock(p);
    storage_failed(rs);
    return;
  }
  kofu_row row = kofu_find(p, rq->params[0]);
  bool ok = false;
  if(row.found && !row.submitted) {
    g_autofree char *hash = ps_sha256_hex(rq->params[0], strlen(rq->params[0]));
    g_autofree char *photo_hash = ps_sha256_hex(rq->body, rq->body_len);
    sqlite3_stmt *st = NULL;
    ok = sqlite3_prepare_v2(p->db, "UPDATE kofu_applications SET photo = ?, photo_sha256 = ?,"
                            " photo_at = ?, photo_width = ?, photo_height = ?"
                            " WHERE token_sha256 = ?", -1, &st, NULL) == SQLITE_OK;
    if(ok) {
      sqlite3_bind_blob64(st, 1, rq->body, rq->body_len, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, photo_hash, -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
      sqlite3_bind_int(st, 4, (int)info.width);
      sqlite3_bind_int(st, 5, (int)info.height);
      sqlite3_bind_text(st, 6, hash, -1, SQLITE_STATIC);
      ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if(ok) {
      JsonObject *r = json_object_new();
      json_object_set_string_member(r, "photo_sha256", photo_hash);
      json_object_set_int_member(r, "width", (gint64)info.width);
      json_object_set_int_member(r, "height", (gint64)info.height);
      JsonNode *n = json_node_new(JSON_NODE_OBJECT);
      json_node_take_object(n, r);
      rs->title = "顔写真";
      ps_reply_results(rs, 200, n, NULL, NULL);
    }
    else
      storage_failed(rs);
  }
  ps_db_unlock(p);
  g_free(row.receipt_no);
  if(!row.found)
    not_found(rs);
  else if(row.submitted)
    ps_reply_error(rs, 409, "already_submitted", "申請はすでに送信されています",
                   "送信した申請の写真は変えられません。", NULL);
}

/* POST /kofu/v1/applications/{token}/submit */
static void kofu_submit(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = ps_request_json_object(rq, rs, &parser);
  if(!o)
    return;
  if(!kofu_tables(p)) {
    storage_failed(rs);
    return;
  }
  kofu_row row = kofu_find(p, rq->params[0]);
  g_free(row.receipt_no);     /* a submitted one is refused below */
  if(!row.found) {
    not_found(rs);
    return;
  }
  if(row.submitted) {
    ps_reply_error(rs, 409, "already_submitted", "申請はすでに送信されています",
                   "受付番号は申請書 ID で確かめられます。", NULL);
    return;
  }
  g_autoptr(GPtrArray) report = ps_report_new();
  const char *birth = ps_json_string(o, "birth_date");
  bool want_e = false, braille = false;
  if(!date_valid_past(birth))
    ps_report_add(report, "birth_date", "生年月日を YYYY-MM-DD の形で正しく入力してください。");
  if(!member_bool(o, "want_e_certificates", &want_e))
    ps_report_add(report, "want_e_certificates",
                  "電子証明書の発行を希望するかどうかを選んでください。");
  if(!member_bool(o, "braille_name", &braille))
    ps_report_add(report, "braille_name", "点字の氏名表記を希望するかどうかを選んでください。");
  JsonNode *an = json_object_get_member(o, "assisted");
  JsonObject *assisted = an && JSON_NODE_HOLDS_OBJECT(an) ? json_node_get_object(an) : NULL;
  const char *term = ps_json_string(assisted, "terminal_id");
  const char *staff = ps_json_string(assisted, "staff_id");
  if(!term || !*term || (rq->terminal_id && strcmp(term, rq->terminal_id)))
    ps_report_add(report, "assisted.terminal_id",
                  "端末 ID が、送っている端末と違います。端末の設定を確かめてください。");
  if(!staff || !*staff || strlen(staff) > 64)
    ps_report_add(report, "assisted.staff_id", "受付した職員の ID を入力してください。");
  /* Only the resident's own tap sets resident_confirmed_at: it must be
   * there, after the photo, and not in the future. */
  const char *confirmed = ps_json_string(o, "resident_confirmed_at");
  gint64 when = 0, now = g_get_real_time() / G_USEC_PER_SEC;
  if(!jst_parse(confirmed, &when))
    ps_report_add(report, "resident_confirmed_at",
                  "ご本人が内容を確認して、送信ボタンを押してください。");
  else if(when > now + CONFIRM_SKEW_S || (row.has_photo && when + CONFIRM_SKEW_S < row.photo_at))
    ps_report_add(report, "resident_confirmed_at",
                  "ご本人の確認は、写真を撮った後にもう一度行ってください。");
  if(!row.has_photo)
    ps_report_add(report, "photo", "顔写真がまだありません。写真を撮ってから送信してください。");
  if(report->len) {
    ps_reply_error(rs, 422, "kofu_incomplete", "申請を送信できません",
                   "表示された項目を直してください。", report);
    return;
  }
  g_autofree char *hash = ps_sha256_hex(rq->params[0], strlen(rq->params[0]));
  for(int tries = 0; tries < 8; tries++) {
    uint8_t r[8];
    if(RAND_bytes(r, sizeof(r)) != 1)
      break;
    guint64 v = 0;
    for(size_t i = 0; i < sizeof(r); i++)
      v = v << 8 | r[i];
    /* 16 digits [S], the first not 0. */
    g_autofree char *no = g_strdup_printf("%016" G_GUINT64_FORMAT,
                                          (guint64)(G_GUINT64_CONSTANT(1000000000000000) +
                                                    v % G_GUINT64_CONSTANT(9000000000000000)));
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_ERROR;
    if(sqlite3_prepare_v2(p->db, "UPDATE kofu_applications SET submitted_at = ?,"
                          " receipt_no = ?, birth_date = ?, want_e_certificates = ?,"
                          " braille_name = ?, staff_id = ?, resident_confirmed_at = ?"
                          " WHERE token_sha256 = ? AND submitted_at IS NULL",
                          -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, now);
      sqlite3_bind_text(st, 2, no, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, birth, -1, SQLITE_STATIC);
      sqlite3_bind_int(st, 4, want_e);
      sqlite3_bind_int(st, 5, braille);
      sqlite3_bind_text(st, 6, staff, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 7, confirmed, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
      rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if(rc == SQLITE_DONE) {
      JsonObject *res = json_object_new();
      json_object_set_string_member(res, "receipt_no", no);
      g_autofree char *at = ps_format_jst(now);
      json_object_set_string_member(res, "submitted_at", at);
      JsonNode *n = json_node_new(JSON_NODE_OBJECT);
      json_node_take_object(n, res);
      rs->title = "個人番号カード交付申請";
      ps_reply_results(rs, 201, n, NULL, NULL);
      return;
    }
    if(rc != SQLITE_CONSTRAINT)
      break;
  }
  g_warning("portal.db: %s", sqlite3_errmsg(p->db));
  ps_reply_error(rs, 500, "storage", "申請を送信できませんでした",
                 "もう一度送信してください。申請はまだ届いていません。", NULL);
}

/* GET /kofu/v1/applications/{application_form_id}/status: only the state
 * and dates, nothing personal [S]. */
static void kofu_status(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  const char *form_id = rq->params[0];
  if(!all_digits(form_id, 23)) {
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "application_form_id", "申請書 ID は 23 桁の数字です。");
    ps_reply_error(rs, 400, "bad_request", "申請書 ID が正しくありません", NULL, report);
    return;
  }
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "application_form_id", form_id);
  ps_db_lock(p);
  if(!kofu_tables(p)) {
    ps_db_unlock(p);
    json_object_unref(r);
    storage_failed(rs);
    return;
  }
  sqlite3_stmt *st = NULL;
  const char *status = "未申請";
  if(sqlite3_prepare_v2(p->db, "SELECT receipt_no, submitted_at FROM kofu_applications"
                        " WHERE form_id = ? AND submitted_at IS NOT NULL"
                        " ORDER BY submitted_at DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
    if(sqlite3_step(st) == SQLITE_ROW) {
      status = "受付済み";
      g_autofree char *at = ps_format_jst(sqlite3_column_int64(st, 1));
      json_object_set_string_member(r, "receipt_no", (const char *)sqlite3_column_text(st, 0));
      json_object_set_string_member(r, "submitted_at", at);
    }
  }
  sqlite3_finalize(st);
  ps_db_unlock(p);
  json_object_set_string_member(r, "status", status);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, r);
  rs->title = "交付申請状況";
  ps_reply_results(rs, 200, n, NULL, NULL);
}

const ps_route ps_kofu_routes[] = {
  { "POST", "/kofu/v1/applications", kofu_start, PS_ROUTE_IDEMPOTENT },
  { "PUT", "/kofu/v1/applications/{}/photo", kofu_photo, PS_ROUTE_LARGE_BODY },
  { "POST", "/kofu/v1/applications/{}/submit", kofu_submit, PS_ROUTE_IDEMPOTENT },
  { "GET", "/kofu/v1/applications/{}/status", kofu_status, 0 },
  { NULL, NULL, NULL, 0 },
};
