/* faults.c - fault injection for client tests [S], --dev only: rules that
 * each match a method and a path prefix and apply to the next N requests
 * that match, so that a test can prove the client loses nothing and submits
 * nothing twice when the network or the server misbehaves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define MAX_TIMES 1000000u
#define MAX_STALL_MS (10u * 60u * 1000u)
#define MAX_RETRY_AFTER 86400u

typedef struct rule {
  char *method;                /* NULL: any */
  char *path_prefix;
  unsigned times_left;
  ps_fault fault;
} rule;

struct ps_faults {
  GMutex lock;
  GPtrArray *rules;            /* rule, applied in order */
};

static const struct {
  const char *name;
  ps_fault_kind kind;
} kinds[] = {
  { "drop_request_after", PS_FAULT_DROP_REQUEST_AFTER },
  { "drop_response_after", PS_FAULT_DROP_RESPONSE_AFTER },
  { "status_503", PS_FAULT_STATUS_503 },
  { "stall_ms", PS_FAULT_STALL },
  { "truncate_body", PS_FAULT_TRUNCATE_BODY },
};

static void rule_free(gpointer p)
{
  rule *r = p;
  g_free(r->method);
  g_free(r->path_prefix);
  g_free(r);
}

ps_faults *ps_faults_new(void)
{
  ps_faults *f = g_new0(ps_faults, 1);
  g_mutex_init(&f->lock);
  f->rules = g_ptr_array_new_with_free_func(rule_free);
  return f;
}

void ps_faults_free(ps_faults *f)
{
  if(!f)
    return;
  g_ptr_array_unref(f->rules);
  g_mutex_clear(&f->lock);
  g_free(f);
}

void ps_faults_clear(ps_faults *f)
{
  g_mutex_lock(&f->lock);
  g_ptr_array_set_size(f->rules, 0);
  g_mutex_unlock(&f->lock);
}

static const char *kind_name(ps_fault_kind k)
{
  for(size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
    if(kinds[i].kind == k)
      return kinds[i].name;
  return "none";
}

static bool method_ok(const char *m)
{
  static const char *const known[] = { "GET", "POST", "PUT", "DELETE", "*" };
  for(size_t i = 0; i < G_N_ELEMENTS(known); i++)
    if(strcmp(m, known[i]) == 0)
      return true;
  return false;
}

/* A non-negative integer member within [0, max]; absent: def. */
static bool uint_member(JsonObject *o, const char *name, guint64 def,
                        guint64 max, guint64 *out)
{
  JsonNode *n = json_object_get_member(o, name);
  if(!n) {
    *out = def;
    return true;
  }
  if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return false;
  gint64 v = json_node_get_int(n);
  if(v < 0 || (guint64)v > max)
    return false;
  *out = (guint64)v;
  return true;
}

static rule *rule_from_json(JsonObject *o, guint idx, GPtrArray *report)
{
  g_autofree char *item = g_strdup_printf("rules[%u]", idx);
  g_autoptr(GList) members = json_object_get_members(o);
  static const char *const other[] = { "method", "path_prefix", "times",
                                       "retry_after" };
  for(GList *l = members; l; l = l->next) {
    bool known = false;
    for(size_t i = 0; i < G_N_ELEMENTS(other); i++)
      known = known || strcmp(l->data, other[i]) == 0;
    for(size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
      known = known || strcmp(l->data, kinds[i].name) == 0;
    if(!known) {
      ps_report_add(report, item, "未知の項目 %s があります。docs/portal-sim.md の障害ルールの形式を確認してください。",
                    (const char *)l->data);
      return NULL;
    }
  }
  rule *r = g_new0(rule, 1);
  const char *m = json_object_has_member(o, "method") ?
                  ps_json_string(o, "method") : "*";
  if(!m || !method_ok(m)) {
    ps_report_add(report, item, "method は GET, POST, PUT, DELETE, * のいずれかです。");
    goto bad;
  }
  if(strcmp(m, "*") != 0)
    r->method = g_strdup(m);
  const char *prefix = json_object_has_member(o, "path_prefix") ?
                       ps_json_string(o, "path_prefix") : "/";
  if(!prefix || prefix[0] != '/') {
    ps_report_add(report, item, "path_prefix は / で始まるパスです。");
    goto bad;
  }
  r->path_prefix = g_strdup(prefix);
  guint64 times;
  if(!uint_member(o, "times", 1, MAX_TIMES, &times) || times == 0) {
    ps_report_add(report, item, "times は 1 から %u までの整数です。", MAX_TIMES);
    goto bad;
  }
  r->times_left = (unsigned)times;

  int nkinds = 0;
  for(size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
    JsonNode *n = json_object_get_member(o, kinds[i].name);
    if(!n)
      continue;
    nkinds++;
    r->fault.kind = kinds[i].kind;
    switch(kinds[i].kind) {
    case PS_FAULT_STATUS_503:
    case PS_FAULT_TRUNCATE_BODY:
      if(!JSON_NODE_HOLDS_VALUE(n) ||
         json_node_get_value_type(n) != G_TYPE_BOOLEAN || !json_node_get_boolean(n)) {
        ps_report_add(report, item, "%s の値は true です。", kinds[i].name);
        goto bad;
      }
      if(kinds[i].kind == PS_FAULT_STATUS_503 &&
         !uint_member(o, "retry_after", 1, MAX_RETRY_AFTER, &r->fault.n)) {
        ps_report_add(report, item, "retry_after は 0 から %u までの秒数です。",
                      MAX_RETRY_AFTER);
        goto bad;
      }
      break;
    case PS_FAULT_STALL:
      if(!uint_member(o, kinds[i].name, 0, MAX_STALL_MS, &r->fault.n)) {
        ps_report_add(report, item, "stall_ms は 0 から %u までのミリ秒数です。",
                      MAX_STALL_MS);
        goto bad;
      }
      break;
    default:
      if(!uint_member(o, kinds[i].name, 0, G_MAXUINT32, &r->fault.n)) {
        ps_report_add(report, item, "%s はバイト数 (0 以上の整数) です。",
                      kinds[i].name);
        goto bad;
      }
      break;
    }
  }
  if(nkinds != 1) {
    ps_report_add(report, item, "障害の種類 (drop_request_after, drop_response_after, status_503, stall_ms, truncate_body) をちょうど一つ指定してください。");
    goto bad;
  }
  if(r->fault.kind != PS_FAULT_STATUS_503 && json_object_has_member(o, "retry_after")) {
    ps_report_add(report, item, "retry_after は status_503 とだけ使えます。");
    goto bad;
  }
  return r;

bad:
  rule_free(r);
  return NULL;
}

bool ps_faults_add_json(ps_faults *f, JsonObject *root, GPtrArray *report)
{
  JsonNode *n = json_object_get_member(root, "rules");
  if(!n || !JSON_NODE_HOLDS_ARRAY(n)) {
    ps_report_add(report, "rules", "rules (障害ルールの配列) がありません。");
    return false;
  }
  JsonArray *a = json_node_get_array(n);
  if(json_array_get_length(a) == 0) {
    ps_report_add(report, "rules", "rules が空です。");
    return false;
  }
  g_autoptr(GPtrArray) add = g_ptr_array_new_with_free_func(rule_free);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if(!JSON_NODE_HOLDS_OBJECT(e)) {
      g_autofree char *item = g_strdup_printf("rules[%u]", i);
      ps_report_add(report, item, "ルールは JSON オブジェクトです。");
      return false;
    }
    rule *r = rule_from_json(json_node_get_object(e), i, report);
    if(!r)
      return false;
    g_ptr_array_add(add, r);
  }
  g_mutex_lock(&f->lock);
  for(guint i = 0; i < add->len; i++)
    g_ptr_array_add(f->rules, g_ptr_array_index(add, i));
  g_ptr_array_set_free_func(add, NULL);
  g_mutex_unlock(&f->lock);
  return true;
}

bool ps_faults_add_spec(ps_faults *f, const char *spec, GError **error)
{
  /* "METHOD PREFIX KIND[=N] [times=N] [retry_after=N]" becomes the JSON
   * rule, so that both ways share one validation. */
  g_auto(GStrv) words = g_strsplit_set(spec, " \t", -1);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "rules");
  json_builder_begin_array(b);
  json_builder_begin_object(b);
  int pos = 0;
  bool ok = true;
  for(char **w = words; *w; w++) {
    if(!**w)
      continue;
    if(pos == 0) {
      json_builder_set_member_name(b, "method");
      json_builder_add_string_value(b, *w);
    }
    else if(pos == 1) {
      json_builder_set_member_name(b, "path_prefix");
      json_builder_add_string_value(b, *w);
    }
    else {
      char *eq = strchr(*w, '=');
      g_autofree char *name = eq ? g_strndup(*w, (gsize)(eq - *w)) : g_strdup(*w);
      json_builder_set_member_name(b, name);
      if(!eq)
        json_builder_add_boolean_value(b, TRUE);
      else {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(eq + 1, &end, 10);
        if(errno || !end || *end || end == eq + 1)
          ok = false;
        json_builder_add_int_value(b, v);
      }
    }
    pos++;
  }
  json_builder_end_object(b);
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(GPtrArray) report = ps_report_new();
  if(!ok || pos < 3 || !ps_faults_add_json(f, json_node_get_object(root), report)) {
    const ps_report_item *it = report->len ? g_ptr_array_index(report, 0) : NULL;
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                "--fault '%s': expected \"METHOD PATH-PREFIX KIND[=N] [times=N] "
                "[retry_after=N]\" with KIND one of drop_request_after, "
                "drop_response_after, status_503, stall_ms, truncate_body%s%s",
                spec, it ? ": " : "", it ? it->content : "");
    return false;
  }
  return true;
}

ps_fault ps_faults_take(ps_faults *f, const char *method, const char *path)
{
  ps_fault none = { PS_FAULT_NONE, 0 };
  if(!f)
    return none;
  g_mutex_lock(&f->lock);
  for(guint i = 0; i < f->rules->len; i++) {
    rule *r = g_ptr_array_index(f->rules, i);
    if(r->method && strcmp(r->method, method) != 0)
      continue;
    if(!g_str_has_prefix(path, r->path_prefix))
      continue;
    ps_fault out = r->fault;
    if(--r->times_left == 0)
      g_ptr_array_remove_index(f->rules, i);
    g_mutex_unlock(&f->lock);
    return out;
  }
  g_mutex_unlock(&f->lock);
  return none;
}

JsonNode *ps_faults_to_json(ps_faults *f)
{
  JsonArray *a = json_array_new();
  g_mutex_lock(&f->lock);
  for(guint i = 0; i < f->rules->len; i++) {
    const rule *r = g_ptr_array_index(f->rules, i);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "method", r->method ? r->method : "*");
    json_object_set_string_member(o, "path_prefix", r->path_prefix);
    json_object_set_int_member(o, "times_left", r->times_left);
    const char *k = kind_name(r->fault.kind);
    if(r->fault.kind == PS_FAULT_STATUS_503) {
      json_object_set_boolean_member(o, k, TRUE);
      json_object_set_int_member(o, "retry_after", (gint64)r->fault.n);
    }
    else if(r->fault.kind == PS_FAULT_TRUNCATE_BODY)
      json_object_set_boolean_member(o, k, TRUE);
    else
      json_object_set_int_member(o, k, (gint64)r->fault.n);
    json_array_add_object_element(a, o);
  }
  g_mutex_unlock(&f->lock);
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, a);
  return n;
}
