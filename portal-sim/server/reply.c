/* reply.c - the envelopes of portal-api.md and the small JSON helpers every
 * handler uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_internal.h"

#define ERROR_TYPE_PREFIX "urn:mynaterm:portal-sim:error:"

void ps_response_init(ps_response *rs)
{
  memset(rs, 0, sizeof(*rs));
  rs->headers = g_ptr_array_new_with_free_func(g_free);
}

void ps_response_clear(ps_response *rs)
{
  g_free(rs->content_type);
  if(rs->body)
    g_bytes_unref(rs->body);
  if(rs->headers)
    g_ptr_array_unref(rs->headers);
  memset(rs, 0, sizeof(*rs));
}

/* A handler may set a reply twice (an error after a first attempt): the
 * last one wins. */
static void reset_body(ps_response *rs)
{
  g_clear_pointer(&rs->content_type, g_free);
  g_clear_pointer(&rs->body, g_bytes_unref);
}

char *ps_json_to_string(JsonNode *node, size_t *len)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, node);
  gsize n = 0;
  char *s = json_generator_to_data(gen, &n);
  if(len)
    *len = n;
  return s;
}

void ps_reply_json(ps_response *rs, unsigned status, JsonNode *node)
{
  size_t len = 0;
  char *s = ps_json_to_string(node, &len);
  json_node_unref(node);
  reset_body(rs);
  rs->status = status;
  rs->body = g_bytes_new_take(s, len);
}

char *ps_format_jst(gint64 t)
{
  /* JST is UTC+9 all year (no daylight saving since 1951). */
  time_t jst = (time_t)(t + 9 * 3600);
  struct tm tm;
  if(!gmtime_r(&jst, &tm))
    return g_strdup("1970-01-01 09:00:00");
  return g_strdup_printf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec);
}

void ps_reply_results(ps_response *rs, unsigned status, JsonNode *results,
                      JsonNode *resultset, JsonNode *links)
{
  JsonObject *o = json_object_new();
  JsonObject *meta = json_object_new();
  g_autofree char *now = ps_format_jst(g_get_real_time() / G_USEC_PER_SEC);
  json_object_set_string_member(meta, "title", rs->title ? rs->title : "");
  json_object_set_string_member(meta, "access_date", now);
  json_object_set_object_member(o, "metadata", meta);
  if(resultset)
    json_object_set_member(o, "resultset", resultset);
  json_object_set_member(o, "results", results);
  if(links)
    json_object_set_member(o, "_links", links);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  ps_reply_json(rs, status, n);
}

JsonNode *ps_error_envelope(unsigned status, const char *code,
                            const char *title, const char *detail,
                            const GPtrArray *report)
{
  JsonObject *o = json_object_new();
  g_autofree char *type = g_strconcat(ERROR_TYPE_PREFIX, code, NULL);
  /* instance: one id per occurrence, so that a person reporting a problem
   * can quote it and it can be found in the log [S]. */
  g_autofree char *uuid = g_uuid_string_random();
  g_autofree char *instance = g_strconcat("urn:uuid:", uuid, NULL);
  json_object_set_string_member(o, "title", title);
  json_object_set_string_member(o, "detail", detail ? detail : title);
  json_object_set_string_member(o, "type", type);
  json_object_set_string_member(o, "instance", instance);
  json_object_set_int_member(o, "status", status);
  json_object_set_member(o, "report_list", ps_report_to_json(report));
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

void ps_reply_error(ps_response *rs, unsigned status, const char *code,
                    const char *title, const char *detail,
                    const GPtrArray *report)
{
  ps_reply_json(rs, status,
                ps_error_envelope(status, code, title, detail, report));
  g_free(rs->content_type);
  /* RFC 7807's media type: clients that branch on it see an error at once. */
  rs->content_type = g_strdup("application/problem+json; charset=utf-8");
}

void ps_reply_oauth_error(ps_response *rs, unsigned status, const char *error,
                          const char *description)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "error", error);
  json_object_set_string_member(o, "error_description", description);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  ps_reply_json(rs, status, n);
  /* RFC 6749 5.2: token errors are never cached. */
  ps_reply_header(rs, "Cache-Control", "no-store");
}

void ps_reply_bytes(ps_response *rs, unsigned status, const char *content_type,
                    GBytes *body)
{
  reset_body(rs);
  rs->status = status;
  rs->content_type = g_strdup(content_type);
  rs->body = body;
}

void ps_reply_header(ps_response *rs, const char *name, const char *value)
{
  g_ptr_array_add(rs->headers, g_strdup_printf("%s: %s", name, value));
}

JsonObject *ps_request_json_object(const ps_request *rq, ps_response *rs,
                                   JsonParser **parser_out)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  *parser_out = NULL;
  if(!rq->body || rq->body_len == 0) {
    ps_report_add(report, "body", "リクエスト本文がありません。JSON オブジェクトを送ってください。");
    ps_reply_error(rs, 400, "malformed_json", "リクエスト本文がありません",
                   "この操作には JSON 形式の本文が必要です。", report);
    return NULL;
  }
  if(!g_utf8_validate((const char *)rq->body, (gssize)rq->body_len, NULL)) {
    ps_report_add(report, "body", "本文が UTF-8 ではありません。UTF-8 の JSON を送ってください。");
    ps_reply_error(rs, 400, "malformed_json", "本文を読み取れません",
                   "本文の文字コードが UTF-8 ではありません。", report);
    return NULL;
  }
  JsonParser *parser = json_parser_new_immutable();
  g_autoptr(GError) err = NULL;
  if(!json_parser_load_from_data(parser, (const char *)rq->body,
                                 (gssize)rq->body_len, &err)) {
    ps_report_add(report, "body", "JSON として読めません (%s)。送信内容を確認してください。",
                  err->message);
    ps_reply_error(rs, 400, "malformed_json", "本文を読み取れません",
                   "本文が正しい JSON ではありません。", report);
    g_object_unref(parser);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if(!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    ps_report_add(report, "body", "本文は JSON オブジェクト ({...}) でなければなりません。");
    ps_reply_error(rs, 400, "malformed_json", "本文の形式が違います",
                   "本文は JSON オブジェクトでなければなりません。", report);
    g_object_unref(parser);
    return NULL;
  }
  *parser_out = parser;
  return json_node_get_object(root);
}

JsonNode *ps_json_copy(JsonNode *node)
{
  /* Reads node only: json_node_copy would take references on the shared
   * tree's objects from several threads at once. */
  if(!node)
    return json_node_new(JSON_NODE_NULL);
  switch(JSON_NODE_TYPE(node)) {
  case JSON_NODE_OBJECT: {
    JsonObject *src = json_node_get_object(node);
    JsonObject *dst = json_object_new();
    GList *members = json_object_get_members(src);
    for(GList *l = members; l; l = l->next)
      json_object_set_member(dst, l->data,
                             ps_json_copy(json_object_get_member(src, l->data)));
    g_list_free(members);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, dst);
    return n;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *src = json_node_get_array(node);
    JsonArray *dst = json_array_sized_new(json_array_get_length(src));
    for(guint i = 0; i < json_array_get_length(src); i++)
      json_array_add_element(dst, ps_json_copy(json_array_get_element(src, i)));
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, dst);
    return n;
  }
  case JSON_NODE_VALUE: {
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    GType t = json_node_get_value_type(node);
    if(t == G_TYPE_INT64)
      json_node_set_int(n, json_node_get_int(node));
    else if(t == G_TYPE_DOUBLE)
      json_node_set_double(n, json_node_get_double(node));
    else if(t == G_TYPE_BOOLEAN)
      json_node_set_boolean(n, json_node_get_boolean(node));
    else
      json_node_set_string(n, json_node_get_string(node));
    return n;
  }
  case JSON_NODE_NULL:
  default:
    return json_node_new(JSON_NODE_NULL);
  }
}

const char *ps_json_string(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

bool ps_json_int(JsonObject *o, const char *name, gint64 *out)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return false;
  *out = json_node_get_int(n);
  return true;
}

bool ps_query_uint(const ps_request *rq, const char *name, long min, long max,
                   long def, long *out)
{
  const char *v = g_hash_table_lookup(rq->query, name);
  *out = def;
  if(!v)
    return true;
  char *end = NULL;
  long n = strtol(v, &end, 10);
  if(!*v || *end || n < min || n > max)
    return false;
  *out = n;
  return true;
}

JsonNode *ps_resultset(long all, long limit, long offset, long count)
{
  JsonObject *o = json_object_new();
  json_object_set_int_member(o, "all_count", all);
  json_object_set_int_member(o, "limit", limit);
  json_object_set_int_member(o, "offset", offset);
  json_object_set_int_member(o, "count", count);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

bool ps_date_param_ok(const char *s)
{
  /* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (portal-api.md's date format). */
  if(!s)
    return true;
  size_t n = strlen(s);
  if(n != 10 && n != 19)
    return false;
  int y, m, d, hh = 0, mm = 0, ss = 0;
  if(sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || s[4] != '-' || s[7] != '-' ||
     !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return false;
  if(n == 19 && (s[10] != ' ' || sscanf(s + 11, "%2d:%2d:%2d", &hh, &mm, &ss) != 3 ||
                 hh > 23 || mm > 59 || ss > 59))
    return false;
  return true;
}

char *ps_date_range_end(const char *to)
{
  if(!to)
    return NULL;
  return strlen(to) == 10 ? g_strconcat(to, " 23:59:59", NULL) : g_strdup(to);
}
