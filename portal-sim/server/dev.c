/* dev.c - routes that exist only with --dev [S]: fault injection controls,
 * an echo store for durability tests, and a way to put applications into
 * the database before the apply endpoint exists or without a signed
 * package. None of them is reachable in a normal start. */
#include <string.h>

#include <openssl/rand.h>

#include "server_internal.h"

static JsonNode *object_node(JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

static void bad_request(ps_response *rs, const char *item, const char *content)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  ps_report_add(report, item, "%s", content);
  ps_reply_error(rs, 400, "bad_request", "入力内容が正しくありません", content, report);
}

static void db_failed(ps_response *rs, const char *what, const char *why)
{
  g_printerr("portal-sim: %s: %s\n", what, why);
  g_autoptr(GPtrArray) report = ps_report_new();
  ps_report_add(report, "database", "保存できませんでした。少し待ってから同じ Idempotency-Key で再送してください。");
  ps_reply_error(rs, 503, "storage_unavailable", "一時的に処理できません",
                 "保存できませんでした。", report);
}

/* ---- faults ---- */

static void faults_add(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = ps_request_json_object(rq, rs, &parser);
  if(!b)
    return;
  g_autoptr(GPtrArray) report = ps_report_new();
  if(!ps_faults_add_json(p->server->faults, b, report)) {
    ps_reply_error(rs, 422, "bad_fault_rule", "障害ルールが正しくありません",
                   "障害ルールを一つも登録していません。", report);
    return;
  }
  rs->title = "障害ルール";
  ps_reply_results(rs, 200, ps_faults_to_json(p->server->faults), NULL, NULL);
}

static void faults_get(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  rs->title = "障害ルール";
  ps_reply_results(rs, 200, ps_faults_to_json(p->server->faults), NULL, NULL);
}

static void faults_clear(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  ps_faults_clear(p->server->faults);
  rs->title = "障害ルール";
  ps_reply_results(rs, 200, ps_faults_to_json(p->server->faults), NULL, NULL);
}

/* ---- echo: stores what it gets (inside the idempotent transaction) ---- */

static void echo_store(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autofree char *sha = ps_sha256_hex(rq->body ? (const void *)rq->body : "", rq->body_len);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "INSERT INTO dev_echo(terminal, key, body_sha256, size, body, created_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL);
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, rq->terminal_id ? rq->terminal_id : rq->client_addr, -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, rq->idempotency_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)rq->body_len);
    sqlite3_bind_blob64(st, 5, rq->body ? (const void *)rq->body : "", rq->body_len,
                        SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, g_get_real_time() / G_USEC_PER_SEC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if(rc != SQLITE_DONE) {
    db_failed(rs, "dev echo", sqlite3_errmsg(p->db));
    return;
  }
  JsonObject *o = json_object_new();
  json_object_set_int_member(o, "id", sqlite3_last_insert_rowid(p->db));
  json_object_set_string_member(o, "key", rq->idempotency_key);
  json_object_set_string_member(o, "sha256", sha);
  json_object_set_int_member(o, "size", (gint64)rq->body_len);
  rs->title = "echo";
  ps_reply_results(rs, 201, object_node(o), NULL, NULL);
}

static void echo_list(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  JsonArray *a = json_array_new();
  ps_db_lock(p);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "SELECT id, terminal, key, body_sha256, size FROM dev_echo ORDER BY id", -1, &st, NULL);
  if(rc == SQLITE_OK) {
    while((rc = sqlite3_step(st)) == SQLITE_ROW) {
      JsonObject *o = json_object_new();
      json_object_set_int_member(o, "id", sqlite3_column_int64(st, 0));
      json_object_set_string_member(o, "terminal", (const char *)sqlite3_column_text(st, 1));
      json_object_set_string_member(o, "key", (const char *)sqlite3_column_text(st, 2));
      json_object_set_string_member(o, "sha256", (const char *)sqlite3_column_text(st, 3));
      json_object_set_int_member(o, "size", sqlite3_column_int64(st, 4));
      json_array_add_object_element(a, o);
    }
  }
  g_autofree char *why = rc == SQLITE_DONE ? NULL : g_strdup(sqlite3_errmsg(p->db));
  sqlite3_finalize(st);
  ps_db_unlock(p);
  if(why) {
    json_array_unref(a);
    db_failed(rs, "dev echo list", why);
    return;
  }
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, a);
  rs->title = "echo";
  ps_reply_results(rs, 200, n, NULL, NULL);
}

/* ---- applications, as the apply endpoint would store them ---- */

static char *random_digits(int n)
{
  unsigned char raw[32];
  char *s = g_malloc((gsize)n + 1);
  RAND_bytes(raw, n);
  for(int i = 0; i < n; i++)
    s[i] = (char)('0' + raw[i] % 10);
  s[n] = '\0';
  return s;
}

static void application_add(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *b = ps_request_json_object(rq, rs, &parser);
  if(!b)
    return;
  const char *rid = ps_json_string(b, "resident_id");
  const char *proc = ps_json_string(b, "proc_id");
  const ps_resident_entry *re = ps_resident_entry_get(p, rid);
  if(!re) {
    bad_request(rs, "resident_id", "residents.json にある利用者の id を指定してください。");
    return;
  }
  if(!proc || !*proc) {
    bad_request(rs, "proc_id", "proc_id (手続 ID) を指定してください。");
    return;
  }
  g_autofree char *arrive = NULL;
  if(ps_json_string(b, "arrive_id")) {
    arrive = g_strdup(ps_json_string(b, "arrive_id"));
    bool digits = strlen(arrive) == 16;
    for(const char *c = arrive; digits && *c; c++)
      digits = g_ascii_isdigit(*c);
    if(!digits) {
      bad_request(rs, "arrive_id", "arrive_id は 16 桁の数字です。");
      return;
    }
  }
  else
    arrive = random_digits(16);
  g_autofree char *inquiry = ps_json_string(b, "inquiry_no")
                               ? g_strdup(ps_json_string(b, "inquiry_no"))
                               : random_digits(10);
  g_autofree guint8 *pkg = NULL;
  gsize pkg_len = 0;
  const char *b64 = ps_json_string(b, "package_base64");
  if(b64) {
    pkg = g_base64_decode(b64, &pkg_len);
    if(!pkg || pkg_len == 0) {
      bad_request(rs, "package_base64", "package_base64 は base64 の ZIP です。");
      return;
    }
  }
  g_autofree char *sha = pkg ? ps_sha256_hex(pkg, pkg_len) : ps_sha256_hex("", 0);
  g_autofree char *form = NULL;
  JsonNode *fn = json_object_get_member(b, "form");
  if(fn)
    form = ps_json_to_string(fn, NULL);
  g_autofree char *now = ps_format_jst(g_get_real_time() / G_USEC_PER_SEC);
  const char *status = ps_json_string(b, "status");
  const char *pstatus = ps_json_string(b, "portal_status");
  ps_application app = {
    .arrive_id = arrive,
    .proc_id = proc,
    .city_code = ps_json_string(b, "city_code") ? ps_json_string(b, "city_code") : re->city_code,
    .resident_id = rid,
    .status = status ? status : "到達",
    .portal_status = pstatus ? pstatus : "処理中",
    .arrive_date = ps_json_string(b, "arrive_date") ? ps_json_string(b, "arrive_date") : now,
    .inquiry_no = inquiry,
    .package_sha256 = sha,
    .package_file_name = ps_json_string(b, "package_file_name"),
    .package = pkg,
    .package_len = pkg_len,
    .form_json = form,
  };
  g_autoptr(GError) err = NULL;
  if(!ps_application_insert(p, &app, &err)) {
    if(g_error_matches(err, PS_DB_ERROR, PS_DB_ERROR_EXISTS)) {
      g_autoptr(GPtrArray) report = ps_report_new();
      ps_report_add(report, "arrive_id", "この到達番号はすでに使われています。");
      ps_reply_error(rs, 409, "arrive_id_taken", "到達番号が重複しています",
                     "この到達番号はすでに使われています。", report);
      return;
    }
    db_failed(rs, "dev application", err->message);
    return;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "arrive_id", arrive);
  json_object_set_string_member(o, "arrive_date", app.arrive_date);
  json_object_set_string_member(o, "inquiry_no", inquiry);
  json_object_set_string_member(o, "city_code", app.city_code);
  json_object_set_string_member(o, "package_sha256", sha);
  rs->title = "申請の登録 (dev)";
  ps_reply_results(rs, 201, object_node(o), NULL, NULL);
}

const ps_route ps_dev_routes[] = {
  { "POST", "/_dev/faults", faults_add, PS_ROUTE_DEV },
  { "GET", "/_dev/faults", faults_get, PS_ROUTE_DEV },
  { "DELETE", "/_dev/faults", faults_clear, PS_ROUTE_DEV },
  { "POST", "/_dev/echo", echo_store,
    PS_ROUTE_DEV | PS_ROUTE_IDEMPOTENT | PS_ROUTE_LARGE_BODY },
  { "GET", "/_dev/echo", echo_list, PS_ROUTE_DEV },
  { "POST", "/_dev/applications", application_add,
    PS_ROUTE_DEV | PS_ROUTE_IDEMPOTENT | PS_ROUTE_LARGE_BODY },
  { NULL, NULL, NULL, 0 },
};
