/* resident.c - what a logged-in resident reads: self-information
 * (自己情報), exchange records (やりとり履歴) and notices (お知らせ). The
 * first two come from residents.json; notices also from the notices table,
 * where the municipality side and the apply endpoint add them. */
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define LIST_LIMIT_MAX 50          /* [P] e-Gov's list limit, 1–50 */

static void bad_query(ps_response *rs, const char *item, const char *content)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  ps_report_add(report, item, "%s", content);
  ps_reply_error(rs, 400, "bad_query", "検索条件が正しくありません", content, report);
}

/* limit (1–50, default 50) and offset (0…) of list endpoints. */
static bool paging(const ps_request *rq, ps_response *rs, long *limit, long *offset)
{
  if(!ps_query_uint(rq, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_MAX, limit)) {
    bad_query(rs, "limit", "limit は 1 から 50 までの整数で指定してください。");
    return false;
  }
  if(!ps_query_uint(rq, "offset", 0, G_MAXINT, 0, offset)) {
    bad_query(rs, "offset", "offset は 0 以上の整数で指定してください。");
    return false;
  }
  return true;
}

static bool is_date(const char *s)
{
  if(!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  int y, m, d;
  return sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
         g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

static JsonNode *self_link(const char *href)
{
  JsonObject *self = json_object_new();
  json_object_set_string_member(self, "href", href);
  JsonObject *links = json_object_new();
  json_object_set_object_member(links, "self", self);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, links);
  return n;
}

static JsonObject *resident_or_reply(ps_portal *p, const ps_request *rq,
                                     ps_response *rs)
{
  JsonObject *r = ps_resident_get(p, rq->resident_id);
  if(!r) {
    /* A valid token of a resident that residents.json no longer has. */
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "Authorization",
                  "このトークンの利用者は登録されていません。もう一度ログインしてください。");
    ps_reply_error(rs, 401, "unknown_user", "利用者登録がありません",
                   "このトークンの利用者は登録されていません。", report);
  }
  return r;
}

/* ---- 自己情報 ---- */

static void selfinfo_categories(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  JsonObject *r = resident_or_reply(p, rq, rs);
  if(!r)
    return;
  rs->title = "自己情報 分類一覧";
  JsonNode *sin = json_object_get_member(r, "selfinfo");
  JsonObject *si = sin && JSON_NODE_HOLDS_OBJECT(sin) ? json_node_get_object(sin) : NULL;
  JsonArray *a = json_array_new();
  for(const ps_selfinfo_category *c = ps_selfinfo_categories; c->id; c++) {
    JsonNode *cn = si ? json_object_get_member(si, c->id) : NULL;
    if(!cn)
      continue;
    JsonObject *co = json_node_get_object(cn);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "category", c->id);
    json_object_set_string_member(o, "title", c->title);
    json_object_set_int_member(o, "item_count",
                               json_array_get_length(json_object_get_array_member(co, "items")));
    json_object_set_string_member(o, "updated_at",
                                  ps_json_string(co, "updated_at") ? ps_json_string(co, "updated_at") : "");
    g_autofree char *href = g_strconcat("/selfinfo/v1/", c->id, NULL);
    json_object_set_string_member(o, "href", href);
    json_array_add_object_element(a, o);
  }
  long n = json_array_get_length(a);
  JsonNode *res = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(res, a);
  ps_reply_results(rs, 200, res, ps_resultset(n, n, 0, n),
                   self_link("/selfinfo/v1/categories"));
}

static void selfinfo_category(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  const char *id = rq->params[0];
  const ps_selfinfo_category *c = ps_selfinfo_category_find(id);
  if(!c) {
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "category",
                  "「%s」という自己情報の分類はありません。/selfinfo/v1/categories で分類を確認してください。",
                  id);
    ps_reply_error(rs, 404, "unknown_category", "自己情報の分類が見つかりません",
                   "指定された分類はありません。", report);
    return;
  }
  JsonObject *r = resident_or_reply(p, rq, rs);
  if(!r)
    return;
  rs->title = "自己情報";
  JsonNode *sin = json_object_get_member(r, "selfinfo");
  JsonObject *si = sin && JSON_NODE_HOLDS_OBJECT(sin) ? json_node_get_object(sin) : NULL;
  JsonNode *cn = si ? json_object_get_member(si, c->id) : NULL;
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "category", c->id);
  json_object_set_string_member(o, "title", c->title);
  JsonNode *items;
  if(cn) {
    JsonObject *co = json_node_get_object(cn);
    if(ps_json_string(co, "updated_at"))
      json_object_set_string_member(o, "updated_at", ps_json_string(co, "updated_at"));
    if(ps_json_string(co, "source"))
      json_object_set_string_member(o, "source", ps_json_string(co, "source"));
    items = ps_json_copy(json_object_get_member(co, "items"));
  }
  else {
    /* A category the resident has no data in: known, and empty. */
    items = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(items, json_array_new());
  }
  long n = json_array_get_length(json_node_get_array(items));
  json_object_set_member(o, "items", items);
  JsonNode *res = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(res, o);
  g_autofree char *href = g_strconcat("/selfinfo/v1/", c->id, NULL);
  ps_reply_results(rs, 200, res, ps_resultset(n, n, 0, n), self_link(href));
}

/* ---- やりとり履歴 ---- */

static gint by_date_desc(gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object(*(JsonNode *const *)a);
  JsonObject *y = json_node_get_object(*(JsonNode *const *)b);
  const char *dx = ps_json_string(x, "date") ? ps_json_string(x, "date")
                                             : ps_json_string(x, "notice_date");
  const char *dy = ps_json_string(y, "date") ? ps_json_string(y, "date")
                                             : ps_json_string(y, "notice_date");
  return -g_strcmp0(dx, dy);
}

static JsonNode *page(GPtrArray *nodes, long limit, long offset, JsonNode **rset)
{
  g_ptr_array_sort(nodes, by_date_desc);
  JsonArray *a = json_array_new();
  long count = 0;
  for(long i = offset; i < (long)nodes->len && count < limit; i++, count++)
    json_array_add_element(a, json_node_ref(g_ptr_array_index(nodes, i)));
  *rset = ps_resultset((long)nodes->len, limit, offset, count);
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, a);
  return n;
}

static void records(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  long limit, offset;
  if(!paging(rq, rs, &limit, &offset))
    return;
  const char *from = g_hash_table_lookup(rq->query, "date_from");
  const char *to = g_hash_table_lookup(rq->query, "date_to");
  if((from && !is_date(from)) || (to && !is_date(to))) {
    bad_query(rs, from && !is_date(from) ? "date_from" : "date_to",
              "日付は YYYY-MM-DD の形で指定してください。");
    return;
  }
  JsonObject *r = resident_or_reply(p, rq, rs);
  if(!r)
    return;
  rs->title = "やりとり履歴";
  JsonNode *rn = json_object_get_member(r, "records");
  JsonArray *ra = rn && JSON_NODE_HOLDS_ARRAY(rn) ? json_node_get_array(rn) : NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  for(guint i = 0; ra && i < json_array_get_length(ra); i++) {
    JsonNode *e = json_array_get_element(ra, i);
    const char *d = ps_json_string(json_node_get_object(e), "date");
    /* date is "YYYY-MM-DD HH:MM:SS": its first 10 characters compare. */
    if(from && strncmp(d, from, 10) < 0)
      continue;
    if(to && strncmp(d, to, 10) > 0)
      continue;
    g_ptr_array_add(keep, ps_json_copy(e));
  }
  JsonNode *rset = NULL;
  JsonNode *res = page(keep, limit, offset, &rset);
  ps_reply_results(rs, 200, res, rset, self_link("/records/v1"));
}

/* ---- お知らせ ---- */

static JsonNode *notice_node(const char *arrive_id, const char *sub_id,
                             const char *kind, const char *title,
                             const char *sender, const char *date,
                             const char *body)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "arrive_id", arrive_id);
  json_object_set_string_member(o, "notice_sub_id", sub_id);
  json_object_set_string_member(o, "kind", kind);
  json_object_set_string_member(o, "title", title);
  json_object_set_string_member(o, "sender", sender);
  json_object_set_string_member(o, "notice_date", date);
  if(body)
    json_object_set_string_member(o, "body", body);
  g_autofree char *href = g_strdup_printf("/shinsei/v2/notice/%s/%s", arrive_id, sub_id);
  json_object_set_string_member(o, "href", href);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

/* The resident's notices (bodies only when with_body), from residents.json
 * and the database; only_arrive/only_sub pick one. False on a database
 * error (the reply is set). */
static bool collect_notices(ps_portal *p, const ps_request *rq, ps_response *rs,
                            JsonObject *r, bool with_body, const char *only_arrive,
                            const char *only_sub, GPtrArray *out)
{
  JsonNode *nn = json_object_get_member(r, "notices");
  JsonArray *na = nn && JSON_NODE_HOLDS_ARRAY(nn) ? json_node_get_array(nn) : NULL;
  for(guint i = 0; na && i < json_array_get_length(na); i++) {
    JsonObject *o = json_node_get_object(json_array_get_element(na, i));
    const char *aid = ps_json_string(o, "arrive_id");
    const char *sid = ps_json_string(o, "notice_sub_id");
    if(only_arrive && (strcmp(aid, only_arrive) != 0 || strcmp(sid, only_sub) != 0))
      continue;
    g_ptr_array_add(out, notice_node(aid, sid, ps_json_string(o, "kind"),
                                     ps_json_string(o, "title"),
                                     ps_json_string(o, "sender"),
                                     ps_json_string(o, "notice_date"),
                                     with_body ? ps_json_string(o, "body") : NULL));
  }
  ps_db_lock(p);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(p->db,
    "SELECT arrive_id, notice_sub_id, kind, title, sender, created_at, body "
    "FROM notices WHERE resident_id=?1 AND (?2 IS NULL OR (arrive_id=?2 AND notice_sub_id=?3))",
    -1, &st, NULL);
  if(rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, rq->resident_id, -1, SQLITE_TRANSIENT);
    if(only_arrive) {
      sqlite3_bind_text(st, 2, only_arrive, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, only_sub, -1, SQLITE_TRANSIENT);
    }
    while((rc = sqlite3_step(st)) == SQLITE_ROW) {
      g_autofree char *date = ps_format_jst(sqlite3_column_int64(st, 5));
      g_ptr_array_add(out, notice_node((const char *)sqlite3_column_text(st, 0),
                                       (const char *)sqlite3_column_text(st, 1),
                                       (const char *)sqlite3_column_text(st, 2),
                                       (const char *)sqlite3_column_text(st, 3),
                                       (const char *)sqlite3_column_text(st, 4),
                                       date,
                                       with_body ? (const char *)sqlite3_column_text(st, 6)
                                                 : NULL));
    }
  }
  bool ok = rc == SQLITE_DONE;
  if(!ok)
    g_printerr("portal-sim: reading notices: %s\n", sqlite3_errmsg(p->db));
  sqlite3_finalize(st);
  ps_db_unlock(p);
  if(!ok) {
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "database", "お知らせを読み出せませんでした。少し待ってから再度お試しください。");
    ps_reply_error(rs, 503, "storage_unavailable", "一時的に利用できません",
                   "お知らせを読み出せませんでした。", report);
    ps_reply_header(rs, "Retry-After", "5");
  }
  return ok;
}

static void notice_list(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  long limit, offset;
  if(!paging(rq, rs, &limit, &offset))
    return;
  JsonObject *r = resident_or_reply(p, rq, rs);
  if(!r)
    return;
  rs->title = "お知らせ一覧";
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  if(!collect_notices(p, rq, rs, r, false, NULL, NULL, all))
    return;
  JsonNode *rset = NULL;
  JsonNode *res = page(all, limit, offset, &rset);
  ps_reply_results(rs, 200, res, rset, self_link("/shinsei/v2/notice/lists"));
}

static void notice_get(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  const char *aid = rq->params[0], *sid = rq->params[1];
  JsonObject *r = resident_or_reply(p, rq, rs);
  if(!r)
    return;
  rs->title = "お知らせ";
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  if(!collect_notices(p, rq, rs, r, true, aid, sid, found))
    return;
  if(found->len == 0) {
    /* Another resident's notice is "not found" too: its existence is not
     * told to anyone else. */
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_report_add(report, "arrive_id",
                  "到達番号 %s、お知らせ番号 %s のお知らせはありません。お知らせ一覧から選び直してください。",
                  aid, sid);
    ps_reply_error(rs, 404, "notice_not_found", "お知らせが見つかりません",
                   "指定されたお知らせはありません。", report);
    return;
  }
  g_autofree char *href = g_strdup_printf("/shinsei/v2/notice/%s/%s", aid, sid);
  ps_reply_results(rs, 200, json_node_ref(g_ptr_array_index(found, 0)), NULL,
                   self_link(href));
}

const ps_route ps_resident_routes[] = {
  { "GET", "/selfinfo/v1/categories", selfinfo_categories, PS_ROUTE_RESIDENT },
  { "GET", "/selfinfo/v1/{}", selfinfo_category, PS_ROUTE_RESIDENT },
  { "GET", "/records/v1", records, PS_ROUTE_RESIDENT },
  { "GET", "/shinsei/v2/notice/lists", notice_list, PS_ROUTE_RESIDENT },
  { "GET", "/shinsei/v2/notice/{}/{}", notice_get, PS_ROUTE_RESIDENT },
  { NULL, NULL, NULL, 0 },
};
