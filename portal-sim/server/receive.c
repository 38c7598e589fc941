/* receive.c - the municipality side, 申請管理 (portal-api.md §4): the
 * operations of マイナポータル's 電子申請等情報受取等API [P operation list]
 * as POST /receive/ws/<operation> with JSON bodies [S URL shape].
 *
 * Every answer carries {result:{resultName:"OK"|"NG", errors:[code]}} [P];
 * an NG answer also carries the error envelope (title, detail, type,
 * instance, report_list) so that a person sees what failed. Codes: EE000
 * authentication, EE001 server [P]; EE100 invalid request, EE101 no such
 * application, EE102 status change not allowed [S].
 *
 * A municipality account sees only the applications of its own city; an
 * application of another city is "not found", never "forbidden", so that
 * its existence is not told either. */
#include <string.h>

#include <openssl/crypto.h>
#include <zip.h>

#include "server_internal.h"

#define SEARCH_LIMIT_MAX 100     /* [S] */

typedef struct muni_session {
  const ps_muni_user *user;
} muni_session;

static JsonObject *ok_object(void)
{
  JsonObject *o = json_object_new();
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "resultName", "OK");
  json_object_set_array_member(r, "errors", json_array_new());
  json_object_set_object_member(o, "result", r);
  return o;
}

static void reply_ok(ps_response *rs, JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  ps_reply_json(rs, 200, n);
}

static void reply_ng(ps_response *rs, unsigned status, const char *ee,
                     const char *item, const char *title, const char *content)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  ps_report_add(report, item, "%s", content);
  g_autofree char *code = g_ascii_strdown(ee, -1);
  JsonNode *env = ps_error_envelope(status, code, title, content, report);
  JsonObject *o = json_node_get_object(env);
  JsonObject *r = json_object_new();
  JsonArray *errs = json_array_new();
  json_array_add_string_element(errs, ee);
  json_object_set_string_member(r, "resultName", "NG");
  json_object_set_array_member(r, "errors", errs);
  json_object_set_object_member(o, "result", r);
  ps_reply_json(rs, status, env);
  if(status == 401)
    ps_reply_header(rs, "WWW-Authenticate", "Bearer realm=\"portal-sim receive\"");
}

static void reply_db_error(ps_response *rs)
{
  reply_ng(rs, 503, "EE001", "database", "一時的に処理できません",
           "サーバーでデータを読み書きできませんでした。少し待ってから再度お試しください。");
  ps_reply_header(rs, "Retry-After", "5");
}

/* The account behind the Bearer token; with db_lock held. NULL: the 401
 * reply is set. */
static const ps_muni_user *session_user(ps_portal *p, const ps_request *rq,
                                        ps_response *rs)
{
  g_autofree char *uid = ps_receive_token_user(p, rq->bearer);
  const ps_muni_user *u = uid ? ps_municipal_user_find(p, uid) : NULL;
  if(!u)
    reply_ng(rs, 401, "EE000", "Authorization", "認証が必要です",
             rq->bearer ? "トークンが無効か期限切れです。login をやり直してください。"
                        : "login で得たトークンを Authorization: Bearer で付けてください。");
  return u;
}

static JsonObject *body_or_reply(const ps_request *rq, ps_response *rs,
                                 JsonParser **parser)
{
  JsonObject *o = ps_request_json_object(rq, rs, parser);
  if(o)
    return o;
  /* ps_request_json_object set the 400 envelope, which names what is wrong
   * with the body: keep it and add the result. */
  gsize len = 0;
  const char *text = rs->body ? g_bytes_get_data(rs->body, &len) : NULL;
  g_autoptr(JsonParser) ep = json_parser_new();
  if(!text || !json_parser_load_from_data(ep, text, (gssize)len, NULL) ||
     !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(ep))) {
    reply_ng(rs, 400, "EE100", "body", "本文を読み取れません",
             "本文は JSON オブジェクトで送ってください。");
    return NULL;
  }
  JsonNode *env = json_node_copy(json_parser_get_root(ep));
  JsonObject *r = json_object_new();
  JsonArray *errs = json_array_new();
  json_array_add_string_element(errs, "EE100");
  json_object_set_string_member(r, "resultName", "NG");
  json_object_set_array_member(r, "errors", errs);
  json_object_set_object_member(json_node_get_object(env), "result", r);
  ps_reply_json(rs, 400, env);
  return NULL;
}

static bool is_hex64(const char *s)
{
  if(!s || strlen(s) != 64)
    return false;
  for(; *s; s++)
    if(!g_ascii_isxdigit(*s))
      return false;
  return true;
}

/* ---- login ---- */

static void op_login(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = body_or_reply(rq, rs, &parser);
  if(!b)
    return;
  const char *id = ps_json_string(b, "id");
  const char *pw = ps_json_string(b, "password");
  if(!id || !*id || !is_hex64(pw)) {
    reply_ng(rs, 400, "EE100", !id || !*id ? "id" : "password", "入力内容が正しくありません",
             "id と password (パスワードの SHA-256 を 16 進 64 桁で) を送ってください。");
    return;
  }
  const ps_muni_user *u = ps_municipal_user_find(p, id);
  g_autofree char *lower = g_ascii_strdown(pw, -1);
  /* Compared in constant time, and the same answer for an unknown id. */
  bool ok = u && CRYPTO_memcmp(u->password_sha256, lower, 64) == 0;
  explicit_bzero(lower, strlen(lower));
  if(!ok) {
    reply_ng(rs, 401, "EE000", "id/password", "ログインできません",
             "ID またはパスワードが違います。");
    return;
  }
  g_autoptr(GError) err = NULL;
  ps_db_lock(p);
  g_autofree char *token = ps_receive_token_new(p, u->id, u->city_code, &err);
  ps_db_unlock(p);
  if(!token) {
    g_printerr("portal-sim: receive login: %s\n", err->message);
    reply_db_error(rs);
    return;
  }
  JsonObject *o = ok_object();
  json_object_set_string_member(o, "token", token);
  json_object_set_string_member(o, "token_type", "Bearer");
  json_object_set_int_member(o, "expires_in", 3600);
  json_object_set_string_member(o, "city_code", u->city_code);
  json_object_set_string_member(o, "name", u->name);
  reply_ok(rs, o);
}

/* ---- searches ---- */

static bool paging(JsonObject *b, ps_response *rs, gint64 *limit, gint64 *offset)
{
  *limit = 50;
  *offset = 0;
  if(json_object_has_member(b, "limit") &&
     (!ps_json_int(b, "limit", limit) || *limit < 1 || *limit > SEARCH_LIMIT_MAX)) {
    reply_ng(rs, 400, "EE100", "limit", "検索条件が正しくありません",
             "limit は 1 から 100 までの整数です。");
    return false;
  }
  if(json_object_has_member(b, "offset") &&
     (!ps_json_int(b, "offset", offset) || *offset < 0)) {
    reply_ng(rs, 400, "EE100", "offset", "検索条件が正しくありません",
             "offset は 0 以上の整数です。");
    return false;
  }
  return true;
}

/* An optional string member; a member of another type is an error. */
static bool opt_string(JsonObject *b, const char *name, ps_response *rs,
                       const char **out)
{
  *out = NULL;
  if(!json_object_has_member(b, name) || JSON_NODE_HOLDS_NULL(json_object_get_member(b, name)))
    return true;
  *out = ps_json_string(b, name);
  if(!*out) {
    g_autofree char *msg = g_strdup_printf("%s は文字列で指定してください。", name);
    reply_ng(rs, 400, "EE100", name, "検索条件が正しくありません", msg);
    return false;
  }
  return true;
}

static void op_application_list(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = body_or_reply(rq, rs, &parser);
  if(!b)
    return;
  gint64 limit, offset;
  const char *from, *to, *status, *proc;
  if(!paging(b, rs, &limit, &offset) || !opt_string(b, "date_from", rs, &from) ||
     !opt_string(b, "date_to", rs, &to) || !opt_string(b, "status", rs, &status) ||
     !opt_string(b, "proc_id", rs, &proc))
    return;
  if(!ps_date_param_ok(from) || !ps_date_param_ok(to)) {
    reply_ng(rs, 400, "EE100", !ps_date_param_ok(from) ? "date_from" : "date_to",
             "検索条件が正しくありません",
             "日付は YYYY-MM-DD または YYYY-MM-DD HH:MM:SS で指定してください。");
    return;
  }
  g_autofree char *to_end = ps_date_range_end(to);
  ps_db_lock(p);
  const ps_muni_user *u = session_user(p, rq, rs);
  if(!u) {
    ps_db_unlock(p);
    return;
  }
  static const char where[] =
    " FROM applications WHERE city_code=?1 AND (?2 IS NULL OR arrive_date >= ?2)"
    " AND (?3 IS NULL OR arrive_date <= ?3) AND (?4 IS NULL OR status=?4)"
    " AND (?5 IS NULL OR proc_id=?5)";
  g_autofree char *count_sql = g_strconcat("SELECT COUNT(*)", where, NULL);
  g_autofree char *list_sql = g_strconcat(
    "SELECT arrive_id, proc_id, arrive_date, status, portal_status, inquiry_no",
    where, " ORDER BY arrive_date DESC, arrive_id DESC LIMIT ?6 OFFSET ?7", NULL);
  sqlite3_stmt *cs = NULL, *ls = NULL;
  bool ok = sqlite3_prepare_v2(p->db, count_sql, -1, &cs, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(p->db, list_sql, -1, &ls, NULL) == SQLITE_OK;
  JsonArray *a = json_array_new();
  gint64 total = 0;
  for(int k = 0; ok && k < 2; k++) {
    sqlite3_stmt *st = k ? ls : cs;
    const char *vals[] = { u->city_code, from, to_end, status, proc };
    for(int i = 0; i < 5; i++)
      if(vals[i])
        sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_TRANSIENT);
    if(k) {
      sqlite3_bind_int64(st, 6, limit);
      sqlite3_bind_int64(st, 7, offset);
    }
    int rc;
    while((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if(!k) {
        total = sqlite3_column_int64(st, 0);
        continue;
      }
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "receipt_no", (const char *)sqlite3_column_text(st, 0));
      json_object_set_string_member(o, "proc_id", (const char *)sqlite3_column_text(st, 1));
      json_object_set_string_member(o, "arrive_date", (const char *)sqlite3_column_text(st, 2));
      json_object_set_string_member(o, "status", (const char *)sqlite3_column_text(st, 3));
      json_object_set_string_member(o, "portal_status", (const char *)sqlite3_column_text(st, 4));
      json_object_set_string_member(o, "inquiry_no", (const char *)sqlite3_column_text(st, 5));
      json_array_add_object_element(a, o);
    }
    ok = rc == SQLITE_DONE;
  }
  if(!ok)
    g_printerr("portal-sim: applicationListSearch: %s\n", sqlite3_errmsg(p->db));
  sqlite3_finalize(cs);
  sqlite3_finalize(ls);
  ps_db_unlock(p);
  if(!ok) {
    json_array_unref(a);
    reply_db_error(rs);
    return;
  }
  JsonObject *o = ok_object();
  json_object_set_int_member(o, "total", total);
  json_object_set_int_member(o, "limit", limit);
  json_object_set_int_member(o, "offset", offset);
  json_object_set_array_member(o, "applications", a);
  reply_ok(rs, o);
}

static void op_status_list(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = body_or_reply(rq, rs, &parser);
  if(!b)
    return;
  gint64 limit, offset;
  const char *receipt, *from, *to;
  if(!paging(b, rs, &limit, &offset) || !opt_string(b, "receipt_no", rs, &receipt) ||
     !opt_string(b, "changed_from", rs, &from) || !opt_string(b, "changed_to", rs, &to))
    return;
  if(!ps_date_param_ok(from) || !ps_date_param_ok(to)) {
    reply_ng(rs, 400, "EE100", !ps_date_param_ok(from) ? "changed_from" : "changed_to",
             "検索条件が正しくありません",
             "日時は YYYY-MM-DD または YYYY-MM-DD HH:MM:SS で指定してください。");
    return;
  }
  /* The log keeps epoch seconds; the bounds arrive in JST. */
  gint64 from_t = G_MININT64, to_t = G_MAXINT64;
  g_autofree char *to_end = ps_date_range_end(to);
  int y, mo, d, hh, mi, ss;
  if(from && sscanf(from, "%d-%d-%d", &y, &mo, &d) == 3) {
    hh = mi = ss = 0;
    if(strlen(from) == 19)
      sscanf(from + 11, "%d:%d:%d", &hh, &mi, &ss);
    g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, hh, mi, ss);
    from_t = g_date_time_to_unix(dt) - 9 * 3600;
  }
  if(to_end && sscanf(to_end, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &hh, &mi, &ss) == 6) {
    g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, hh, mi, ss);
    to_t = g_date_time_to_unix(dt) - 9 * 3600;
  }
  ps_db_lock(p);
  const ps_muni_user *u = session_user(p, rq, rs);
  if(!u) {
    ps_db_unlock(p);
    return;
  }
  static const char where[] =
    " FROM application_status_log l JOIN applications a ON a.arrive_id = l.arrive_id"
    " WHERE a.city_code=?1 AND (?2 IS NULL OR l.arrive_id=?2)"
    " AND l.changed_at >= ?3 AND l.changed_at <= ?4";
  g_autofree char *count_sql = g_strconcat("SELECT COUNT(*)", where, NULL);
  g_autofree char *list_sql = g_strconcat(
    "SELECT l.arrive_id, l.status, l.portal_status, l.comment, l.changed_by, l.changed_at",
    where, " ORDER BY l.changed_at DESC, l.id DESC LIMIT ?5 OFFSET ?6", NULL);
  sqlite3_stmt *cs = NULL, *ls = NULL;
  bool ok = sqlite3_prepare_v2(p->db, count_sql, -1, &cs, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(p->db, list_sql, -1, &ls, NULL) == SQLITE_OK;
  JsonArray *a = json_array_new();
  gint64 total = 0;
  for(int k = 0; ok && k < 2; k++) {
    sqlite3_stmt *st = k ? ls : cs;
    sqlite3_bind_text(st, 1, u->city_code, -1, SQLITE_TRANSIENT);
    if(receipt)
      sqlite3_bind_text(st, 2, receipt, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, from_t);
    sqlite3_bind_int64(st, 4, to_t);
    if(k) {
      sqlite3_bind_int64(st, 5, limit);
      sqlite3_bind_int64(st, 6, offset);
    }
    int rc;
    while((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if(!k) {
        total = sqlite3_column_int64(st, 0);
        continue;
      }
      JsonObject *o = json_object_new();
      g_autofree char *when = ps_format_jst(sqlite3_column_int64(st, 5));
      json_object_set_string_member(o, "receipt_no", (const char *)sqlite3_column_text(st, 0));
      json_object_set_string_member(o, "status", (const char *)sqlite3_column_text(st, 1));
      json_object_set_string_member(o, "portal_status", (const char *)sqlite3_column_text(st, 2));
      if(sqlite3_column_type(st, 3) != SQLITE_NULL)
        json_object_set_string_member(o, "comment", (const char *)sqlite3_column_text(st, 3));
      json_object_set_string_member(o, "changed_by", (const char *)sqlite3_column_text(st, 4));
      json_object_set_string_member(o, "changed_at", when);
      json_array_add_object_element(a, o);
    }
    ok = rc == SQLITE_DONE;
  }
  if(!ok)
    g_printerr("portal-sim: statusListSearch: %s\n", sqlite3_errmsg(p->db));
  sqlite3_finalize(cs);
  sqlite3_finalize(ls);
  ps_db_unlock(p);
  if(!ok) {
    json_array_unref(a);
    reply_db_error(rs);
    return;
  }
  JsonObject *o = ok_object();
  json_object_set_int_member(o, "total", total);
  json_object_set_int_member(o, "limit", limit);
  json_object_set_int_member(o, "offset", offset);
  json_object_set_array_member(o, "statuses", a);
  reply_ok(rs, o);
}

/* ---- one application ---- */

/* The files of the package: kousei.xml as text, every file as base64. */
static void add_package_files(JsonObject *o, const void *zipdata, size_t len)
{
  JsonArray *files = json_array_new();
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(zipdata, len, 0, &ze);
  zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
  if(!z) {
    if(src)
      zip_source_free(src);
    json_object_set_string_member(o, "package_error",
                                  "パッケージを ZIP として開けませんでした。");
  }
  zip_int64_t n = z ? zip_get_num_entries(z, 0) : 0;
  for(zip_int64_t i = 0; i < n; i++) {
    zip_stat_t st;
    if(zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
       st.size > PS_MAX_PACKAGE_BODY * 4u)
      continue;
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
    if(!f)
      continue;
    g_autofree guint8 *buf = g_malloc(st.size + 1);
    zip_int64_t got = zip_fread(f, buf, st.size);
    zip_fclose(f);
    if(got < 0 || (zip_uint64_t)got != st.size)
      continue;
    buf[st.size] = 0;
    if(strcmp(st.name, "kousei.xml") == 0 &&
       g_utf8_validate((const char *)buf, (gssize)st.size, NULL))
      json_object_set_string_member(o, "kousei_xml", (const char *)buf);
    JsonObject *fo = json_object_new();
    g_autofree char *b64 = g_base64_encode(buf, st.size);
    json_object_set_string_member(fo, "name", st.name);
    json_object_set_int_member(fo, "size", (gint64)st.size);
    json_object_set_string_member(fo, "data", b64);
    json_array_add_object_element(files, fo);
  }
  if(z)
    zip_discard(z);
  zip_error_fini(&ze);
  json_object_set_array_member(o, "files", files);
}

static void op_application_get(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = body_or_reply(rq, rs, &parser);
  if(!b)
    return;
  const char *receipt = ps_json_string(b, "receipt_no");
  if(!receipt || !*receipt) {
    reply_ng(rs, 400, "EE100", "receipt_no", "入力内容が正しくありません",
             "receipt_no (受付番号) を指定してください。");
    return;
  }
  ps_db_lock(p);
  const ps_muni_user *u = session_user(p, rq, rs);
  if(!u) {
    ps_db_unlock(p);
    return;
  }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "SELECT proc_id, resident_id, status, portal_status, arrive_date, inquiry_no,"
    " package_sha256, package_file_name, package, form_json FROM applications"
    " WHERE arrive_id=?1 AND city_code=?2", -1, &st, NULL);
  JsonObject *app = NULL;
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, receipt, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, u->city_code, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
  }
  if(rc == SQLITE_ROW) {
    app = json_object_new();
    json_object_set_string_member(app, "receipt_no", receipt);
    json_object_set_string_member(app, "proc_id", (const char *)sqlite3_column_text(st, 0));
    json_object_set_string_member(app, "city_code", u->city_code);
    json_object_set_string_member(app, "status", (const char *)sqlite3_column_text(st, 2));
    json_object_set_string_member(app, "portal_status", (const char *)sqlite3_column_text(st, 3));
    json_object_set_string_member(app, "arrive_date", (const char *)sqlite3_column_text(st, 4));
    json_object_set_string_member(app, "inquiry_no", (const char *)sqlite3_column_text(st, 5));
    /* The applicant as registered: the receiving city is the resident's. */
    const ps_resident_entry *re =
      ps_resident_entry_get(p, (const char *)sqlite3_column_text(st, 1));
    JsonObject *ap = json_object_new();
    json_object_set_string_member(ap, "resident_id", (const char *)sqlite3_column_text(st, 1));
    if(re) {
      json_object_set_string_member(ap, "name", re->name);
      json_object_set_string_member(ap, "name_kana", ps_json_string(re->obj, "name_kana"));
      json_object_set_string_member(ap, "birth_date", ps_json_string(re->obj, "birth_date"));
      json_object_set_string_member(ap, "address", re->address);
    }
    json_object_set_object_member(app, "applicant", ap);
    const char *form = (const char *)sqlite3_column_text(st, 9);
    JsonParser *fp = json_parser_new();
    if(form && json_parser_load_from_data(fp, form, -1, NULL) && json_parser_get_root(fp))
      json_object_set_member(app, "form", json_node_copy(json_parser_get_root(fp)));
    else
      json_object_set_null_member(app, "form");
    g_object_unref(fp);
    JsonObject *pkg = json_object_new();
    json_object_set_string_member(pkg, "sha256", (const char *)sqlite3_column_text(st, 6));
    if(sqlite3_column_type(st, 7) != SQLITE_NULL)
      json_object_set_string_member(pkg, "file_name", (const char *)sqlite3_column_text(st, 7));
    if(sqlite3_column_type(st, 8) != SQLITE_NULL) {
      const void *blob = sqlite3_column_blob(st, 8);
      size_t blen = (size_t)sqlite3_column_bytes(st, 8);
      json_object_set_int_member(pkg, "size", (gint64)blen);
      add_package_files(pkg, blob, blen);
    }
    json_object_set_object_member(app, "package", pkg);
    rc = SQLITE_DONE;
  }
  bool ok = rc == SQLITE_DONE;
  if(!ok)
    g_printerr("portal-sim: applicationGet: %s\n", sqlite3_errmsg(p->db));
  sqlite3_finalize(st);
  ps_db_unlock(p);
  if(!ok) {
    reply_db_error(rs);
    return;
  }
  if(!app) {
    reply_ng(rs, 404, "EE101", "receipt_no", "申請が見つかりません",
             "この受付番号の申請は、この団体宛てにはありません。受付番号を確認してください。");
    return;
  }
  JsonObject *o = ok_object();
  json_object_set_object_member(o, "application", app);
  reply_ok(rs, o);
}

/* ---- status changes ---- */

/* [S] the changes a municipality may make, by requested status: from which
 * current statuses, to which status and portal_status. 補正依頼 is a request
 * that leaves the application 補正待ち (要訂正 for the resident). */
static const struct {
  const char *requested;
  const char *from[4];
  const char *status;
  const char *portal_status;
  const char *notice_kind;     /* or NULL */
  const char *notice_title;
} transitions[] = {
  { "審査中", { "到達", "補正待ち", NULL }, "審査中", "処理中", NULL, NULL },
  { "補正依頼", { "到達", "審査中", NULL }, "補正待ち", "要訂正", "補正依頼",
    "申請内容の補正のお願い" },
  { "手続終了", { "到達", "審査中", "補正待ち", NULL }, "手続終了", "処理中", "結果通知",
    "手続終了のお知らせ" },
};

static void op_status_update(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  /* PS_ROUTE_IDEMPOTENT: db_lock is held and a transaction open. */
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = body_or_reply(rq, rs, &parser);
  if(!b)
    return;
  const ps_muni_user *u = session_user(p, rq, rs);
  if(!u)
    return;
  const char *receipt = ps_json_string(b, "receipt_no");
  const char *want = ps_json_string(b, "status");
  const char *comment;
  if(!opt_string(b, "comment", rs, &comment))
    return;
  if(!receipt || !*receipt) {
    reply_ng(rs, 400, "EE100", "receipt_no", "入力内容が正しくありません",
             "receipt_no (受付番号) を指定してください。");
    return;
  }
  int t = -1;
  for(size_t i = 0; want && i < G_N_ELEMENTS(transitions); i++)
    if(strcmp(want, transitions[i].requested) == 0)
      t = (int)i;
  if(t < 0) {
    reply_ng(rs, 400, "EE100", "status", "入力内容が正しくありません",
             "status は 審査中、補正依頼、手続終了 のいずれかです。");
    return;
  }
  if(t == 1 && (!comment || !*comment)) {
    reply_ng(rs, 400, "EE100", "comment", "入力内容が正しくありません",
             "補正依頼には、何をどう直すかを comment に書いてください (住民へのお知らせになります)。");
    return;
  }
  if(comment && g_utf8_strlen(comment, -1) > 2000) {
    reply_ng(rs, 400, "EE100", "comment", "入力内容が正しくありません",
             "comment は 2000 文字以内です。");
    return;
  }

  sqlite3_stmt *st = NULL;
  g_autofree char *current = NULL, *resident = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "SELECT status, resident_id FROM applications WHERE arrive_id=?1 AND city_code=?2",
    -1, &st, NULL);
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, receipt, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, u->city_code, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if(rc == SQLITE_ROW) {
      current = g_strdup((const char *)sqlite3_column_text(st, 0));
      resident = g_strdup((const char *)sqlite3_column_text(st, 1));
      rc = SQLITE_DONE;
    }
  }
  sqlite3_finalize(st);
  if(rc != SQLITE_DONE) {
    g_printerr("portal-sim: statusUpdate: %s\n", sqlite3_errmsg(p->db));
    reply_db_error(rs);
    return;
  }
  if(!current) {
    reply_ng(rs, 404, "EE101", "receipt_no", "申請が見つかりません",
             "この受付番号の申請は、この団体宛てにはありません。受付番号を確認してください。");
    return;
  }
  bool allowed = false;
  for(int i = 0; transitions[t].from[i]; i++)
    allowed = allowed || strcmp(transitions[t].from[i], current) == 0;
  if(!allowed) {
    g_autofree char *msg = g_strdup_printf(
      "現在の状態「%s」からは「%s」にできません。状態を確認してください。", current, want);
    reply_ng(rs, 409, "EE102", "status", "この状態には変更できません", msg);
    return;
  }
  const ps_resident_entry *re = ps_resident_entry_get(p, resident);
  if(comment && re && ps_text_has_personal_data(re, comment)) {
    reply_ng(rs, 422, "EE100", "comment", "お知らせに個人情報は書けません",
             "comment に申請者の氏名または住所が含まれています。お知らせ本文には書かず、"
             "必要なら添付や窓口での案内にしてください。");
    return;
  }

  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  rc = sqlite3_prepare_v2(p->db,
    "UPDATE applications SET status=?1, portal_status=?2, updated_at=?3 WHERE arrive_id=?4",
    -1, &st, NULL);
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, transitions[t].status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, transitions[t].portal_status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, receipt, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if(rc == SQLITE_DONE) {
    rc = sqlite3_prepare_v2(p->db,
      "INSERT INTO application_status_log(arrive_id, status, portal_status, comment,"
      " changed_by, changed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL);
    if(rc == SQLITE_OK) {
      sqlite3_bind_text(st, 1, receipt, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, transitions[t].status, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, transitions[t].portal_status, -1, SQLITE_STATIC);
      if(comment)
        sqlite3_bind_text(st, 4, comment, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, u->id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 6, now);
      rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
  }
  if(rc != SQLITE_DONE) {
    g_printerr("portal-sim: statusUpdate: %s\n", sqlite3_errmsg(p->db));
    reply_db_error(rs);
    return;
  }
  g_autofree char *sub = NULL;
  if(transitions[t].notice_kind) {
    g_autoptr(GError) err = NULL;
    g_autofree char *body = comment && *comment
      ? g_strdup(comment)
      : g_strdup_printf("受付番号 %s の申請の手続が終了しました。詳しくは%sからのご案内をご確認ください。",
                        receipt, u->name);
    if(!ps_notice_add(p, resident, receipt, transitions[t].notice_kind,
                      transitions[t].notice_title, body, u->name, &sub, &err)) {
      g_printerr("portal-sim: statusUpdate: %s\n", err->message);
      reply_db_error(rs);
      return;
    }
  }
  JsonObject *o = ok_object();
  json_object_set_string_member(o, "receipt_no", receipt);
  json_object_set_string_member(o, "status", transitions[t].status);
  json_object_set_string_member(o, "portal_status", transitions[t].portal_status);
  if(sub) {
    JsonObject *n = json_object_new();
    json_object_set_string_member(n, "arrive_id", receipt);
    json_object_set_string_member(n, "notice_sub_id", sub);
    json_object_set_object_member(o, "notice", n);
  }
  reply_ok(rs, o);
}

const ps_route ps_receive_routes[] = {
  { "POST", "/receive/ws/login", op_login, 0 },
  { "POST", "/receive/ws/applicationListSearch", op_application_list, 0 },
  { "POST", "/receive/ws/applicationGet", op_application_get, 0 },
  { "POST", "/receive/ws/statusListSearch", op_status_list, 0 },
  { "POST", "/receive/ws/statusUpdate", op_status_update, PS_ROUTE_IDEMPOTENT },
  { NULL, NULL, NULL, 0 },
};
