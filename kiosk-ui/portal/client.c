/* client.c - the resident side of the portal contract over mp_http.
 *
 * Everything here is asynchronous on the client's main context; each
 * synchronous function runs its asynchronous twin and iterates that context
 * until it completes (run_sync). Calls are data (mp_call), so that the
 * session handling - the Bearer token, a refresh before an access token runs
 * out or after a 401, the mapping of every answer to MP_ERROR - lives in one
 * place. */

#include "mynaportal/client.h"

#include <string.h>

#include <openssl/evp.h>

#include "http.h"

/* Refresh an access token that has less than this left (the portal's
 * default lifetime is 15 minutes). */
#define REFRESH_MARGIN_US (30 * G_USEC_PER_SEC)

struct mp_client {
  mp_config *cfg;
  mp_http *http;
  GMainContext *ctx;
  /* The session. Tokens are wiped (not just freed) when it ends. */
  char *access_token;
  char *refresh_token;
  gint64 access_expires_us;   /* monotonic */
  gint64 refresh_expires_us;
  guint session_serial;       /* bumped when a session ends */
  GHashTable *adopted;        /* outbox entry ids made in this session */
};

typedef struct body_part {
  GBytes *bytes;
  char *path;
  gboolean base64;
} body_part;

typedef enum {
  AUTH_NONE,       /* public route */
  AUTH_RESIDENT,   /* needs the session's token */
  AUTH_TOKEN_BODY  /* /auth/v1: the body carries what is needed; OAuth-shaped
                      errors, no envelope */
} auth_kind;

struct mp_call {
  char *method;
  char *path;
  auth_kind auth;
  char *idempotency_key;
  char *content_type;
  GPtrArray *parts;         /* body_part * */
};

/* ---- secrets ---- */

static void wipe_string(char *s)
{
  if(s) {
    explicit_bzero(s, strlen(s));
    g_free(s);
  }
}

static void wipe_buffer_free(gpointer p)
{
  GByteArray *a = p;
  explicit_bzero(a->data, a->len);
  g_byte_array_unref(a);
}

/* A GBytes whose memory is wiped when the last reference goes. */
static GBytes *bytes_wiped_from_string(GString *s)
{
  GByteArray *a = g_byte_array_sized_new((guint)s->len);
  g_byte_array_append(a, (const guint8 *)s->str, (guint)s->len);
  explicit_bzero(s->str, s->len);
  g_string_free(s, TRUE);
  return g_bytes_new_with_free_func(a->data, a->len, wipe_buffer_free, a);
}

/* ---- mp_result ---- */

void mp_result_free(mp_result *r)
{
  if(!r)
    return;
  g_clear_pointer(&r->results, json_node_unref);
  g_clear_pointer(&r->resultset, json_node_unref);
  g_clear_pointer(&r->links, json_node_unref);
  g_free(r);
}

/* ---- mp_call ---- */

static void body_part_free(gpointer p)
{
  body_part *bp = p;
  if(bp->bytes)
    g_bytes_unref(bp->bytes);
  g_free(bp->path);
  g_free(bp);
}

static mp_call *call_new(const char *method, char *path, auth_kind auth)
{
  mp_call *call = g_new0(mp_call, 1);
  call->method = g_strdup(method);
  call->path = path;
  call->auth = auth;
  call->parts = g_ptr_array_new_with_free_func(body_part_free);
  if(strcmp(method, "GET"))
    call->idempotency_key = g_uuid_string_random();
  return call;
}

void mp_call_free(mp_call *call)
{
  if(!call)
    return;
  g_free(call->method);
  g_free(call->path);
  g_free(call->idempotency_key);
  g_free(call->content_type);
  g_ptr_array_unref(call->parts);
  g_free(call);
}

const char *mp_call_idempotency_key(const mp_call *call)
{
  return call->idempotency_key;
}

static void call_add_bytes(mp_call *call, GBytes *b)
{
  body_part *bp = g_new0(body_part, 1);
  bp->bytes = b;
  g_ptr_array_add(call->parts, bp);
}

static void call_add_file(mp_call *call, const char *path, gboolean base64)
{
  body_part *bp = g_new0(body_part, 1);
  bp->path = g_strdup(path);
  bp->base64 = base64;
  g_ptr_array_add(call->parts, bp);
}

static void call_set_json(mp_call *call, JsonNode *node)
{
  g_autofree char *text = json_to_string(node, FALSE);
  json_node_unref(node);
  g_free(call->content_type);
  call->content_type = g_strdup("application/json");
  call_add_bytes(call, g_bytes_new_take(g_steal_pointer(&text), strlen(text)));
}

/* Build "path?k=v&..." from NULL-terminated pairs, leaving out NULL values. */
static char *path_with_query(const char *path, ...) G_GNUC_NULL_TERMINATED;
static char *path_with_query(const char *path, ...)
{
  GString *s = g_string_new(path);
  va_list ap;
  va_start(ap, path);
  const char *key;
  char sep = '?';
  while((key = va_arg(ap, const char *))) {
    const char *value = va_arg(ap, const char *);
    if(!value || !*value)
      continue;
    g_autofree char *esc = g_uri_escape_string(value, NULL, FALSE);
    g_string_append_printf(s, "%c%s=%s", sep, key, esc);
    sep = '&';
  }
  va_end(ap);
  return g_string_free(s, FALSE);
}

static char *segment(const char *s)
{
  return g_uri_escape_string(s ? s : "", NULL, FALSE);
}

static char *uint_or_null(guint v, gboolean keep_zero)
{
  return (v || keep_zero) ? g_strdup_printf("%u", v) : NULL;
}

mp_call *mp_call_procedures(const char *city_code, const char *category,
                            const char *keyword, guint limit, guint offset)
{
  g_autofree char *l = uint_or_null(limit, FALSE);
  g_autofree char *o = uint_or_null(offset, FALSE);
  return call_new("GET", path_with_query("/shinsei/v2/procedures", "city_code", city_code,
                                         "category", category, "keyword", keyword,
                                         "limit", l, "offset", o, NULL),
                  AUTH_NONE);
}

mp_call *mp_call_procedure(const char *proc_id)
{
  g_autofree char *id = segment(proc_id);
  return call_new("GET", g_strdup_printf("/shinsei/v2/procedure/%s", id), AUTH_NONE);
}

mp_call *mp_call_apply_status(const char *arrive_id)
{
  g_autofree char *id = segment(arrive_id);
  return call_new("GET", g_strdup_printf("/shinsei/v2/apply/%s", id), AUTH_RESIDENT);
}

mp_call *mp_call_apply_lists(const char *date_from, const char *date_to, guint limit,
                             guint offset)
{
  g_autofree char *l = uint_or_null(limit, FALSE);
  g_autofree char *o = uint_or_null(offset, FALSE);
  return call_new("GET", path_with_query("/shinsei/v2/apply/lists", "date_from", date_from,
                                         "date_to", date_to, "limit", l, "offset", o, NULL),
                  AUTH_RESIDENT);
}

/* The body of apply, apply/check and apply/amend, with the package streamed
 * from its file as base64 between two JSON fragments. */
static void call_set_package_body(mp_call *call, const char *proc_id, const char *arrive_id,
                                  const char *file_name, const char *package_path)
{
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "proc_id");
  json_builder_add_string_value(jb, proc_id);
  if(arrive_id) {
    json_builder_set_member_name(jb, "arrive_id");
    json_builder_add_string_value(jb, arrive_id);
  }
  json_builder_set_member_name(jb, "send_file");
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "file_name");
  json_builder_add_string_value(jb, file_name);
  json_builder_set_member_name(jb, "file_data");
  json_builder_add_string_value(jb, "");
  json_builder_end_object(jb);
  json_builder_end_object(jb);
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  g_autofree char *text = json_to_string(root, FALSE);
  /* text ends in "file_data":""}} : split at the empty string's quotes. */
  const char *tail = g_strrstr(text, "\"\"}}");
  g_assert(tail);
  size_t head_len = (size_t)(tail - text) + 1;
  call->content_type = g_strdup("application/json");
  call_add_bytes(call, g_bytes_new(text, head_len));
  call_add_file(call, package_path, TRUE);
  call_add_bytes(call, g_bytes_new(tail + 1, strlen(tail + 1)));
}

mp_call *mp_call_apply_check(const char *proc_id, const char *package_path)
{
  mp_call *call = call_new("POST", g_strdup("/shinsei/v2/apply/check"), AUTH_RESIDENT);
  g_autofree char *name = g_strdup_printf("%s.zip", proc_id);
  call_set_package_body(call, proc_id, NULL, name, package_path);
  return call;
}

mp_call *mp_call_apply_withdraw(const char *arrive_id, const char *reason)
{
  mp_call *call = call_new("POST", g_strdup("/shinsei/v2/apply/withdraw"), AUTH_RESIDENT);
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "arrive_id");
  json_builder_add_string_value(jb, arrive_id);
  if(reason) {
    json_builder_set_member_name(jb, "reason");
    json_builder_add_string_value(jb, reason);
  }
  json_builder_end_object(jb);
  call_set_json(call, json_builder_get_root(jb));
  return call;
}

mp_call *mp_call_notices(guint limit, guint offset)
{
  g_autofree char *l = uint_or_null(limit, FALSE);
  g_autofree char *o = uint_or_null(offset, FALSE);
  return call_new("GET", path_with_query("/shinsei/v2/notice/lists", "limit", l, "offset", o,
                                         NULL),
                  AUTH_RESIDENT);
}

mp_call *mp_call_notice(const char *arrive_id, const char *notice_sub_id)
{
  g_autofree char *a = segment(arrive_id);
  g_autofree char *s = segment(notice_sub_id);
  return call_new("GET", g_strdup_printf("/shinsei/v2/notice/%s/%s", a, s), AUTH_RESIDENT);
}

mp_call *mp_call_selfinfo_categories(void)
{
  return call_new("GET", g_strdup("/selfinfo/v1/categories"), AUTH_RESIDENT);
}

mp_call *mp_call_selfinfo(const char *category)
{
  g_autofree char *c = segment(category);
  return call_new("GET", g_strdup_printf("/selfinfo/v1/%s", c), AUTH_RESIDENT);
}

mp_call *mp_call_records(const char *date_from, const char *date_to, guint limit,
                         guint offset)
{
  g_autofree char *l = uint_or_null(limit, FALSE);
  g_autofree char *o = uint_or_null(offset, FALSE);
  return call_new("GET", path_with_query("/records/v1", "date_from", date_from, "date_to",
                                         date_to, "limit", l, "offset", o, NULL),
                  AUTH_RESIDENT);
}

mp_call *mp_call_kofu_start(const char *application_form_id, const char *contact_name,
                            const char *email)
{
  mp_call *call = call_new("POST", g_strdup("/kofu/v1/applications"), AUTH_NONE);
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "application_form_id");
  json_builder_add_string_value(jb, application_form_id);
  json_builder_set_member_name(jb, "contact_name");
  json_builder_add_string_value(jb, contact_name);
  json_builder_set_member_name(jb, "email");
  json_builder_add_string_value(jb, email);
  json_builder_end_object(jb);
  call_set_json(call, json_builder_get_root(jb));
  return call;
}

mp_call *mp_call_kofu_photo(const char *token, const char *jpeg_path)
{
  g_autofree char *t = segment(token);
  mp_call *call = call_new("PUT", g_strdup_printf("/kofu/v1/applications/%s/photo", t),
                           AUTH_NONE);
  call->content_type = g_strdup("image/jpeg");
  call_add_file(call, jpeg_path, FALSE);
  return call;
}

mp_call *mp_call_kofu_submit(const char *token, JsonNode *body)
{
  g_autofree char *t = segment(token);
  mp_call *call = call_new("POST", g_strdup_printf("/kofu/v1/applications/%s/submit", t),
                           AUTH_NONE);
  call_set_json(call, body);
  return call;
}

mp_call *mp_call_kofu_status(const char *application_form_id)
{
  g_autofree char *id = segment(application_form_id);
  return call_new("GET", g_strdup_printf("/kofu/v1/applications/%s/status", id), AUTH_NONE);
}

/* ---- the client ---- */

mp_client *mp_client_new(const mp_config *cfg, GError **error)
{
  if(!mp_config_check(cfg, error))
    return NULL;
  mp_http *http = mp_http_new(cfg, error);
  if(!http)
    return NULL;
  mp_client *c = g_new0(mp_client, 1);
  c->cfg = mp_config_copy(cfg);
  c->http = http;
  c->ctx = g_main_context_ref_thread_default();
  c->adopted = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  return c;
}

void mp_client_end_session(mp_client *c)
{
  g_clear_pointer(&c->access_token, wipe_string);
  g_clear_pointer(&c->refresh_token, wipe_string);
  c->access_expires_us = 0;
  c->refresh_expires_us = 0;
  c->session_serial++;
  g_hash_table_remove_all(c->adopted);
}

void mp_client_free(mp_client *c)
{
  if(!c)
    return;
  mp_client_end_session(c);
  mp_http_free(c->http);
  g_hash_table_unref(c->adopted);
  g_main_context_unref(c->ctx);
  mp_config_free(c->cfg);
  g_free(c);
}

const mp_config *mp_client_config(mp_client *c)
{
  return c->cfg;
}

gboolean mp_client_is_logged_in(mp_client *c)
{
  return c->refresh_token && g_get_monotonic_time() < c->refresh_expires_us;
}

gint64 mp_client_session_expires_in(mp_client *c)
{
  if(!mp_client_is_logged_in(c))
    return 0;
  return (c->refresh_expires_us - g_get_monotonic_time()) / G_USEC_PER_SEC;
}

void mp_client_session_adopt(mp_client *c, gint64 entry_id)
{
  g_hash_table_add(c->adopted, g_memdup2(&entry_id, sizeof(entry_id)));
}

/* ---- answers to results and errors ---- */

static JsonNode *parse_json(GBytes *body)
{
  gsize n = 0;
  const char *data = g_bytes_get_data(body, &n);
  if(!n || !g_utf8_validate(data, (gssize)n, NULL))
    return NULL;
  g_autoptr(JsonParser) p = json_parser_new_immutable();
  if(!json_parser_load_from_data(p, data, (gssize)n, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(p);
  return root ? json_node_ref(root) : NULL;
}

static const char *obj_string(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

/* The error envelope (or the OAuth error) as an mp_problem. */
static mp_problem *problem_from_response(const mp_http_response *resp)
{
  mp_problem *p = mp_problem_new();
  p->http_status = resp->status;
  p->retry_after_s = resp->retry_after_s;
  g_autoptr(JsonNode) root = parse_json(resp->body);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  if(!o)
    return p;
  const char *type = obj_string(o, "type");
  const char *oauth = obj_string(o, "error");
  if(oauth)
    p->code = g_strdup(oauth);
  else if(type) {
    const char *colon = strrchr(type, ':');
    p->code = g_strdup(colon ? colon + 1 : type);
  }
  p->title = g_strdup(obj_string(o, "title"));
  p->detail = g_strdup(obj_string(o, "detail") ? obj_string(o, "detail")
                                               : obj_string(o, "error_description"));
  JsonNode *rl = json_object_get_member(o, "report_list");
  if(rl && JSON_NODE_HOLDS_ARRAY(rl)) {
    JsonArray *a = json_node_get_array(rl);
    for(guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *it = json_array_get_element(a, i);
      if(!JSON_NODE_HOLDS_OBJECT(it))
        continue;
      JsonObject *io = json_node_get_object(it);
      mp_problem_add_report(p, obj_string(io, "item"), obj_string(io, "content"));
    }
  }
  return p;
}

static mp_error code_for_login_refusal(const char *error)
{
  static const struct {
    const char *error;
    mp_error code;
  } MAP[] = {
    { "cert_revoked", MP_ERROR_CERT_REVOKED },
    { "cert_expired", MP_ERROR_CERT_EXPIRED },
    { "chain_invalid", MP_ERROR_CERT_INVALID },
    { "unknown_user", MP_ERROR_UNKNOWN_USER },
    { "nonce_reused", MP_ERROR_LOGIN_EXPIRED },
    { "nonce_expired", MP_ERROR_LOGIN_EXPIRED },
  };
  for(size_t i = 0; error && i < G_N_ELEMENTS(MAP); i++)
    if(!strcmp(MAP[i].error, error))
      return MAP[i].code;
  return MP_ERROR_LOGIN_REFUSED;
}

/* The MP_ERROR code for an HTTP answer that is not a success. */
static mp_error code_for_status(const mp_call *call, const mp_problem *p)
{
  guint s = p->http_status;
  if(call->auth == AUTH_TOKEN_BODY && (s == 400 || s == 401))
    return code_for_login_refusal(p->code);
  if(s == 403 && p->code && (!strcmp(p->code, "terminal_cert_invalid") ||
                             !strcmp(p->code, "terminal_mismatch")))
    return MP_ERROR_CONFIG;
  switch(s) {
  case 400:
  case 403:
  case 422:
    return MP_ERROR_REJECTED;
  case 401:
    return MP_ERROR_UNAUTHORIZED;
  case 404:
    return MP_ERROR_NOT_FOUND;
  case 409:
    return MP_ERROR_CONFLICT;
  case 413:
    return MP_ERROR_TOO_LARGE;
  case 429:
  case 503:
    return MP_ERROR_UNAVAILABLE;
  default:
    return s >= 500 ? MP_ERROR_SERVER : MP_ERROR_PROTOCOL;
  }
}

/* Turn an answer into a result, or into an error with its problem. */
static mp_result *result_from_response(const mp_call *call, const mp_http_response *resp,
                                       GError **error)
{
  if(resp->status < 200 || resp->status >= 300) {
    g_autoptr(mp_problem) p = problem_from_response(resp);
    mp_set_error(error, code_for_status(call, p), p, "%s %s: HTTP %u%s%s", call->method,
                 call->path, resp->status, p->code ? " " : "", p->code ? p->code : "");
    return NULL;
  }
  g_autoptr(JsonNode) root = parse_json(resp->body);
  if(!root) {
    mp_set_error(error, MP_ERROR_PROTOCOL, NULL, "%s %s: HTTP %u with a body that is not JSON",
                 call->method, call->path, resp->status);
    return NULL;
  }
  mp_result *r = g_new0(mp_result, 1);
  r->http_status = resp->status;
  r->replayed = resp->replayed;
  r->attempts = resp->attempts;
  JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  if(call->auth != AUTH_TOKEN_BODY && o && json_object_has_member(o, "results")) {
    r->results = json_node_ref(json_object_get_member(o, "results"));
    if(json_object_has_member(o, "resultset"))
      r->resultset = json_node_ref(json_object_get_member(o, "resultset"));
    if(json_object_has_member(o, "_links"))
      r->links = json_node_ref(json_object_get_member(o, "_links"));
  }
  else
    r->results = g_steal_pointer(&root);
  return r;
}

/* ---- tasks ---- */

/* The client is not a GObject, so it cannot be a GTask's source object; it
 * rides on the task as data instead. */
static GTask *client_task(mp_client *c, GCancellable *cancellable, GAsyncReadyCallback cb,
                          gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new(NULL, cancellable, cb, user_data);
  g_task_set_source_tag(task, tag);
  g_object_set_data(G_OBJECT(task), "mp-client", c);
  return task;
}

static mp_client *task_client(GTask *task)
{
  return g_object_get_data(G_OBJECT(task), "mp-client");
}

/* Run an asynchronous operation to its end on the client's main context:
 * sync_begin, start it with sync_done and &w, finish it on sync_run(&w),
 * sync_end. */
typedef struct {
  GMainContext *ctx;
  GAsyncResult *res;
} sync_wait;

static sync_wait sync_begin(mp_client *c)
{
  g_main_context_push_thread_default(c->ctx);
  return (sync_wait){ .ctx = c->ctx };
}

static void sync_done(GObject *src, GAsyncResult *res, gpointer user_data)
{
  sync_wait *w = user_data;
  w->res = g_object_ref(res);
}

static GAsyncResult *sync_run(sync_wait *w)
{
  while(!w->res)
    g_main_context_iteration(w->ctx, TRUE);
  return w->res;
}

static void sync_end(sync_wait *w)
{
  g_main_context_pop_thread_default(w->ctx);
  g_clear_object(&w->res);
}

/* ---- sending one call ---- */

static mp_http_request *request_for(const mp_call *call, const char *bearer)
{
  mp_http_request *req = mp_http_request_new(call->method, call->path);
  if(bearer)
    mp_http_request_set_bearer(req, bearer);
  if(call->idempotency_key)
    mp_http_request_set_idempotency_key(req, call->idempotency_key);
  if(call->content_type)
    mp_http_request_set_content_type(req, call->content_type);
  for(guint i = 0; i < call->parts->len; i++) {
    const body_part *bp = g_ptr_array_index(call->parts, i);
    if(bp->bytes)
      mp_http_request_add_bytes(req, g_bytes_ref(bp->bytes));
    else
      mp_http_request_add_file(req, bp->path, bp->base64);
  }
  return req;
}

typedef struct call_state {
  mp_call *call;
  gboolean refreshed;   /* one refresh per call at most */
  gboolean use_bearer;
} call_state;

static void call_state_free(gpointer p)
{
  call_state *st = p;
  mp_call_free(st->call);
  g_free(st);
}

static void refresh_async(mp_client *c, GCancellable *cancellable, GAsyncReadyCallback cb,
                          gpointer user_data);
static gboolean refresh_finish(mp_client *c, GAsyncResult *res, GError **error);
static void call_send(GTask *task);

static gboolean access_token_fresh(mp_client *c)
{
  return c->access_token && g_get_monotonic_time() + REFRESH_MARGIN_US < c->access_expires_us;
}

static void call_refreshed(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  GError *e = NULL;
  if(!refresh_finish(c, res, &e)) {
    g_task_return_error(task, e);
    return;
  }
  call_send(g_steal_pointer(&task));
}

static void call_answered(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  call_state *st = g_task_get_task_data(task);
  GError *e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send_finish(c->http, res, &e);
  if(!resp) {
    g_task_return_error(task, e);
    return;
  }
  /* An access token the portal no longer takes: one refresh, one resend
   * with the same Idempotency-Key. */
  if(resp->status == 401 && st->use_bearer && !st->refreshed && c->refresh_token) {
    st->refreshed = TRUE;
    GCancellable *cancellable = g_task_get_cancellable(task);
    refresh_async(c, cancellable, call_refreshed, g_steal_pointer(&task));
    return;
  }
  mp_result *r = result_from_response(st->call, resp, &e);
  if(st->call->auth == AUTH_TOKEN_BODY) {
    /* /auth/v1 answers carry tokens: no copy outlives its use. */
    gsize n = 0;
    const void *data = g_bytes_get_data(resp->body, &n);
    if(n)
      explicit_bzero((void *)data, n);
  }
  if(!r) {
    g_task_return_error(task, e);
    return;
  }
  g_task_return_pointer(task, r, (GDestroyNotify)mp_result_free);
}

/* Send (or resend) the task's call, refreshing first if the access token is
 * about to run out. Takes the task. */
static void call_send(GTask *task)
{
  mp_client *c = task_client(task);
  call_state *st = g_task_get_task_data(task);
  if(st->use_bearer) {
    if(!mp_client_is_logged_in(c)) {
      mp_client_end_session(c);
      g_task_return_new_error(task, MP_ERROR, MP_ERROR_NOT_LOGGED_IN,
                              "%s %s needs a login", st->call->method, st->call->path);
      g_object_unref(task);
      return;
    }
    if(!access_token_fresh(c) && !st->refreshed) {
      st->refreshed = TRUE;
      refresh_async(c, g_task_get_cancellable(task), call_refreshed, task);
      return;
    }
  }
  mp_http_request *req = request_for(st->call, st->use_bearer ? c->access_token : NULL);
  mp_http_send_async(c->http, req, g_task_get_cancellable(task), call_answered, task);
}

static void call_start(mp_client *c, mp_call *call, gboolean use_bearer,
                       GCancellable *cancellable, GAsyncReadyCallback cb, gpointer user_data,
                       gpointer tag)
{
  GTask *task = client_task(c, cancellable, cb, user_data, tag);
  call_state *st = g_new0(call_state, 1);
  st->call = call;
  st->use_bearer = use_bearer;
  g_task_set_task_data(task, st, call_state_free);
  call_send(task);
}

void mp_client_call_async(mp_client *c, mp_call *call, GCancellable *cancellable,
                          GAsyncReadyCallback cb, gpointer user_data)
{
  call_start(c, call, call->auth == AUTH_RESIDENT, cancellable, cb, user_data,
             mp_client_call_async);
}

mp_result *mp_client_call_finish(mp_client *c, GAsyncResult *res, GError **error)
{
  (void)c;
  return g_task_propagate_pointer(G_TASK(res), error);
}

mp_result *mp_client_call(mp_client *c, mp_call *call, GCancellable *cancellable,
                          GError **error)
{
  sync_wait w = sync_begin(c);
  mp_client_call_async(c, call, cancellable, sync_done, &w);
  mp_result *r = mp_client_call_finish(c, sync_run(&w), error);
  sync_end(&w);
  return r;
}

/* ---- the session ---- */

static mp_call *oauth_call(const char *path, GString *json_body)
{
  mp_call *call = call_new("POST", g_strdup(path), AUTH_TOKEN_BODY);
  call->content_type = g_strdup("application/json");
  call_add_bytes(call, bytes_wiped_from_string(json_body));
  return call;
}

/* Append "key":"value" with JSON escaping (values here are base64, ids and
 * tokens, but escape anyway). */
static void json_member(GString *s, const char *key, const char *value)
{
  if(s->len > 1)
    g_string_append_c(s, ',');
  g_string_append_printf(s, "\"%s\":\"", key);
  for(const char *p = value; *p; p++) {
    if(*p == '"' || *p == '\\')
      g_string_append_c(s, '\\');
    if((guchar)*p < 0x20)
      g_string_append_printf(s, "\\u%04x", (guchar)*p);
    else
      g_string_append_c(s, *p);
  }
  g_string_append_c(s, '"');
}

static const char *result_string(const mp_result *r, const char *name)
{
  JsonObject *o = r->results && JSON_NODE_HOLDS_OBJECT(r->results)
                    ? json_node_get_object(r->results) : NULL;
  return obj_string(o, name);
}

static gint64 result_int(const mp_result *r, const char *name)
{
  JsonObject *o = r->results && JSON_NODE_HOLDS_OBJECT(r->results)
                    ? json_node_get_object(r->results) : NULL;
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return -1;
  return json_node_get_int(n);
}

/* Take the tokens of a /auth/v1 answer (login or refresh). */
static gboolean store_tokens(mp_client *c, const mp_result *r, GError **error)
{
  const char *access = result_string(r, "access_token");
  const char *refresh = result_string(r, "refresh_token");
  const char *type = result_string(r, "token_type");
  gint64 expires = result_int(r, "expires_in");
  gint64 refresh_expires = result_int(r, "refresh_expires_in");
  if(!access || !*access || !refresh || !*refresh || !type ||
     g_ascii_strcasecmp(type, "Bearer") || expires <= 0 || refresh_expires <= 0) {
    mp_set_error(error, MP_ERROR_PROTOCOL, NULL,
                 "the portal's token answer lacks access_token, refresh_token, token_type "
                 "Bearer or the lifetimes");
    return FALSE;
  }
  g_clear_pointer(&c->access_token, wipe_string);
  g_clear_pointer(&c->refresh_token, wipe_string);
  gint64 now = g_get_monotonic_time();
  c->access_token = g_strdup(access);
  c->refresh_token = g_strdup(refresh);
  c->access_expires_us = now + expires * G_USEC_PER_SEC;
  c->refresh_expires_us = now + refresh_expires * G_USEC_PER_SEC;
  return TRUE;
}

/* Results of /auth/v1 hold tokens: wipe them before freeing. */
static void result_wipe_free(mp_result *r)
{
  if(!r)
    return;
  JsonObject *o = r->results && JSON_NODE_HOLDS_OBJECT(r->results)
                    ? json_node_get_object(r->results) : NULL;
  static const char *const SECRET[] = { "access_token", "refresh_token" };
  for(size_t i = 0; o && i < G_N_ELEMENTS(SECRET); i++) {
    const char *v = obj_string(o, SECRET[i]);
    if(v)
      explicit_bzero((char *)v, strlen(v));
  }
  mp_result_free(r);
}
typedef mp_result mp_result_wiped;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_result_wiped, result_wipe_free)

typedef struct {
  guint serial;
} refresh_state;

static void refresh_answered(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  refresh_state *st = g_task_get_task_data(task);
  GError *e = NULL;
  g_autoptr(mp_result_wiped) r = mp_client_call_finish(c, res, &e);
  if(st->serial != c->session_serial) {
    g_clear_error(&e);
    g_task_return_new_error(task, MP_ERROR, MP_ERROR_NOT_LOGGED_IN,
                            "the session ended while its token was being refreshed");
    return;
  }
  if(!r) {
    /* A refresh token the portal refuses ends the session for good. */
    const mp_problem *p = mp_error_get_problem(e);
    if(p && (p->http_status == 400 || p->http_status == 401)) {
      mp_client_end_session(c);
      g_autoptr(GError) old = e;
      e = NULL;
      mp_set_error(&e, MP_ERROR_UNAUTHORIZED, p, "the session could not be renewed: %s",
                   old->message);
    }
    g_task_return_error(task, e);
    return;
  }
  if(!store_tokens(c, r, &e)) {
    g_task_return_error(task, e);
    return;
  }
  g_task_return_boolean(task, TRUE);
}

static void refresh_async(mp_client *c, GCancellable *cancellable, GAsyncReadyCallback cb,
                          gpointer user_data)
{
  GTask *task = client_task(c, cancellable, cb, user_data, refresh_async);
  if(!c->refresh_token) {
    g_task_return_new_error(task, MP_ERROR, MP_ERROR_NOT_LOGGED_IN, "no session to refresh");
    g_object_unref(task);
    return;
  }
  refresh_state *st = g_new0(refresh_state, 1);
  st->serial = c->session_serial;
  g_task_set_task_data(task, st, g_free);
  GString *body = g_string_new("{");
  json_member(body, "grant_type", "refresh_token");
  json_member(body, "refresh_token", c->refresh_token);
  g_string_append_c(body, '}');
  call_start(c, oauth_call("/auth/v1/token", body), FALSE, cancellable, refresh_answered,
             task, refresh_async);
}

static gboolean refresh_finish(mp_client *c, GAsyncResult *res, GError **error)
{
  (void)c;
  return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean mp_client_refresh(mp_client *c, GCancellable *cancellable, GError **error)
{
  sync_wait w = sync_begin(c);
  refresh_async(c, cancellable, sync_done, &w);
  gboolean ok = refresh_finish(c, sync_run(&w), error);
  sync_end(&w);
  return ok;
}

/* -- login -- */

typedef struct {
  mp_signer *signer;
  char *challenge_id;
  guint8 hash[32];
  GBytes *cert;
  GBytes *signature;
} login_state;

static void login_state_free(gpointer p)
{
  login_state *st = p;
  g_free(st->challenge_id);
  g_clear_pointer(&st->cert, g_bytes_unref);
  g_clear_pointer(&st->signature, g_bytes_unref);
  g_free(st);
}

static void login_answered(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  GError *e = NULL;
  g_autoptr(mp_result_wiped) r = mp_client_call_finish(c, res, &e);
  if(!r || !store_tokens(c, r, &e)) {
    mp_client_end_session(c);
    g_task_return_error(task, e);
    return;
  }
  g_task_return_boolean(task, TRUE);
}

/* Worker thread: the card reads its certificate and signs. */
static void login_sign_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
  login_state *st = data;
  GError *e = NULL;
  st->cert = mp_signer_certificate(st->signer, &e);
  if(st->cert)
    st->signature = mp_signer_sign_sha256(st->signer, st->hash, &e);
  if(e)
    g_task_return_error(task, e);
  else
    g_task_return_boolean(task, TRUE);
}

static void login_signed(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  login_state *st = g_task_get_task_data(task);
  GError *e = NULL;
  if(!g_task_propagate_boolean(G_TASK(res), &e)) {
    g_task_return_error(task, e);
    return;
  }
  gsize cert_len = 0, sig_len = 0;
  const guint8 *cert = g_bytes_get_data(st->cert, &cert_len);
  const guint8 *sig = g_bytes_get_data(st->signature, &sig_len);
  g_autofree char *cert_b64 = g_base64_encode(cert, cert_len);
  g_autofree char *sig_b64 = g_base64_encode(sig, sig_len);
  GString *body = g_string_new("{");
  json_member(body, "challenge_id", st->challenge_id);
  json_member(body, "auth_cert", cert_b64);
  json_member(body, "signature", sig_b64);
  g_string_append_c(body, '}');
  GCancellable *cancellable = g_task_get_cancellable(task);
  call_start(c, oauth_call("/auth/v1/jpki-login", body), FALSE, cancellable, login_answered,
             g_steal_pointer(&task), mp_client_login_async);
}

/* base64url without padding (the nonce) to bytes. */
static guint8 *base64url_decode(const char *s, gsize *len)
{
  GString *t = g_string_new(s);
  for(gsize i = 0; i < t->len; i++) {
    if(t->str[i] == '-')
      t->str[i] = '+';
    else if(t->str[i] == '_')
      t->str[i] = '/';
    else if(!g_ascii_isalnum(t->str[i])) {
      g_string_free(t, TRUE);
      *len = 0;
      return NULL;
    }
  }
  while(t->len % 4)
    g_string_append_c(t, '=');
  guint8 *out = g_base64_decode(t->str, len);
  g_string_free(t, TRUE);
  return out;
}

static void login_challenged(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  login_state *st = g_task_get_task_data(task);
  GError *e = NULL;
  g_autoptr(mp_result) r = mp_client_call_finish(c, res, &e);
  if(!r) {
    g_task_return_error(task, e);
    return;
  }
  const char *id = result_string(r, "challenge_id");
  const char *nonce_text = result_string(r, "nonce");
  gsize nonce_len = 0;
  g_autofree guint8 *nonce = nonce_text ? base64url_decode(nonce_text, &nonce_len) : NULL;
  if(!id || !nonce || nonce_len < 16) {
    g_task_return_new_error(task, MP_ERROR, MP_ERROR_PROTOCOL,
                            "the login challenge lacks challenge_id or a base64url nonce");
    return;
  }
  st->challenge_id = g_strdup(id);
  /* The card signs DigestInfo(SHA-256 of the decoded nonce). */
  unsigned int n = 0;
  EVP_Digest(nonce, nonce_len, st->hash, &n, EVP_sha256(), NULL);
  GCancellable *cancellable = g_task_get_cancellable(task);
  GTask *sign = g_task_new(NULL, cancellable, login_signed, g_steal_pointer(&task));
  g_task_set_task_data(sign, st, NULL);
  g_task_run_in_thread(sign, login_sign_thread);
  g_object_unref(sign);
}

void mp_client_login_async(mp_client *c, mp_signer *auth_signer, GCancellable *cancellable,
                           GAsyncReadyCallback cb, gpointer user_data)
{
  /* A new login replaces whatever session there was. */
  mp_client_end_session(c);
  GTask *task = client_task(c, cancellable, cb, user_data, mp_client_login_async);
  login_state *st = g_new0(login_state, 1);
  st->signer = auth_signer;
  g_task_set_task_data(task, st, login_state_free);
  GString *body = g_string_new("{");
  json_member(body, "terminal_id", c->cfg->terminal_id);
  g_string_append_c(body, '}');
  call_start(c, oauth_call("/auth/v1/challenge", body), FALSE, cancellable, login_challenged,
             task, mp_client_login_async);
}

gboolean mp_client_login_finish(mp_client *c, GAsyncResult *res, GError **error)
{
  (void)c;
  return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean mp_client_login(mp_client *c, mp_signer *auth_signer, GCancellable *cancellable,
                         GError **error)
{
  sync_wait w = sync_begin(c);
  mp_client_login_async(c, auth_signer, cancellable, sync_done, &w);
  gboolean ok = mp_client_login_finish(c, sync_run(&w), error);
  sync_end(&w);
  return ok;
}

/* -- logout -- */

static void logout_answered(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  GError *e = NULL;
  g_autoptr(mp_result) r = mp_client_call_finish(c, res, &e);
  if(!r)
    g_task_return_error(task, e);
  else
    g_task_return_boolean(task, TRUE);
}

void mp_client_logout_async(mp_client *c, GCancellable *cancellable, GAsyncReadyCallback cb,
                            gpointer user_data)
{
  GTask *task = client_task(c, cancellable, cb, user_data, mp_client_logout_async);
  if(!c->refresh_token) {
    mp_client_end_session(c);
    g_task_return_boolean(task, TRUE);
    g_object_unref(task);
    return;
  }
  /* The refresh token names the whole session: the portal ends every token
   * of it. The local session is wiped now, whatever the portal answers. */
  GString *body = g_string_new("{");
  json_member(body, "refresh_token", c->refresh_token);
  g_string_append_c(body, '}');
  mp_client_end_session(c);
  call_start(c, oauth_call("/auth/v1/logout", body), FALSE, cancellable, logout_answered,
             task, mp_client_logout_async);
}

gboolean mp_client_logout_finish(mp_client *c, GAsyncResult *res, GError **error)
{
  (void)c;
  return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean mp_client_logout(mp_client *c, GCancellable *cancellable, GError **error)
{
  sync_wait w = sync_begin(c);
  mp_client_logout_async(c, cancellable, sync_done, &w);
  gboolean ok = mp_client_logout_finish(c, sync_run(&w), error);
  sync_end(&w);
  return ok;
}

/* ---- delivery from the outbox ---- */

typedef struct deliver_state {
  mp_outbox *ob;
  gint64 only_id;
  GPtrArray *entries;    /* mp_outbox_entry *, pending, oldest first */
  guint next;
  mp_delivery out;
  mp_outbox_entry *cur;  /* borrowed from entries */
  gboolean cur_bearer;
  gboolean cur_relayed_after_401;
} deliver_state;

static void deliver_state_free(gpointer p)
{
  deliver_state *st = p;
  g_ptr_array_unref(st->entries);
  g_free(st);
}

static void deliver_next(GTask *task);

/* The problem as JSON for the outbox's rejection column. */
static char *problem_to_json(const mp_problem *p)
{
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "status");
  json_builder_add_int_value(jb, p ? p->http_status : 0);
  if(p && p->code) {
    json_builder_set_member_name(jb, "code");
    json_builder_add_string_value(jb, p->code);
  }
  if(p && p->title) {
    json_builder_set_member_name(jb, "title");
    json_builder_add_string_value(jb, p->title);
  }
  if(p && p->detail) {
    json_builder_set_member_name(jb, "detail");
    json_builder_add_string_value(jb, p->detail);
  }
  json_builder_set_member_name(jb, "report_list");
  json_builder_begin_array(jb);
  for(guint i = 0; p && i < p->report->len; i++) {
    const mp_report_item *it = g_ptr_array_index(p->report, i);
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "item");
    json_builder_add_string_value(jb, it->item);
    json_builder_set_member_name(jb, "content");
    json_builder_add_string_value(jb, it->content);
    json_builder_end_object(jb);
  }
  json_builder_end_array(jb);
  json_builder_end_object(jb);
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  return json_to_string(root, FALSE);
}

/* Refusals of the package's content: sending it again cannot help. A
 * reused Idempotency-Key is not one of them (it means the stored body and
 * this one differ, which is the terminal's fault, not the resident's). */
static gboolean is_content_refusal(const GError *e)
{
  if(!g_error_matches(e, MP_ERROR, MP_ERROR_REJECTED) &&
     !g_error_matches(e, MP_ERROR, MP_ERROR_NOT_FOUND) &&
     !g_error_matches(e, MP_ERROR, MP_ERROR_CONFLICT) &&
     !g_error_matches(e, MP_ERROR, MP_ERROR_TOO_LARGE))
    return FALSE;
  const mp_problem *p = mp_error_get_problem(e);
  return !(p && p->code && !strcmp(p->code, "idempotency_key_reused"));
}

static void deliver_send_current(GTask *task);

static void deliver_answered(GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  mp_client *c = task_client(task);
  deliver_state *st = g_task_get_task_data(task);
  const mp_outbox_entry *e = st->cur;
  GError *err = NULL;
  g_autoptr(mp_result) r = mp_client_call_finish(c, res, &err);
  if(r) {
    const char *arrive_id = result_string(r, "arrive_id");
    if(!arrive_id || !*arrive_id) {
      mp_set_error(&err, MP_ERROR_PROTOCOL, NULL,
                   "outbox entry %" G_GINT64_FORMAT ": the portal's receipt has no arrive_id",
                   e->id);
    }
    else if(!mp_outbox_mark_delivered(st->ob, e->id, arrive_id, result_string(r, "arrive_date"),
                                      result_string(r, "inquiry_no"), &err)) {
      g_task_return_error(task, err);
      return;
    }
    else {
      st->out.delivered++;
      deliver_next(g_steal_pointer(&task));
      return;
    }
  }
  if(is_content_refusal(err)) {
    g_autofree char *json = problem_to_json(mp_error_get_problem(err));
    g_clear_error(&err);
    if(!mp_outbox_mark_rejected(st->ob, e->id, json, &err)) {
      g_task_return_error(task, err);
      return;
    }
    st->out.rejected++;
    deliver_next(g_steal_pointer(&task));
    return;
  }
  /* The session's token is gone (expired, logged out elsewhere): a terminal
   * with its own certificate relays the package instead. Same key, same
   * body: if the first try arrived, this one gets its receipt replayed. */
  if(st->cur_bearer && !st->cur_relayed_after_401 && c->cfg->client_cert &&
     (g_error_matches(err, MP_ERROR, MP_ERROR_UNAUTHORIZED) ||
      g_error_matches(err, MP_ERROR, MP_ERROR_NOT_LOGGED_IN))) {
    g_clear_error(&err);
    st->cur_bearer = FALSE;
    st->cur_relayed_after_401 = TRUE;
    deliver_send_current(g_steal_pointer(&task));
    return;
  }
  /* Anything else may pass (network, portal down, time-outs): the entry
   * stays pending, and the later ones wait behind it. */
  g_autoptr(GError) note_err = NULL;
  if(!mp_outbox_note_attempt(st->ob, e->id, err->message, &note_err))
    g_warning("outbox entry %" G_GINT64_FORMAT ": %s", e->id, note_err->message);
  g_task_return_error(task, err);
}

static void deliver_send_current(GTask *task)
{
  mp_client *c = task_client(task);
  deliver_state *st = g_task_get_task_data(task);
  const mp_outbox_entry *e = st->cur;
  gboolean amend = e->kind == MP_OUTBOX_AMEND;
  mp_call *call = call_new("POST", g_strdup(amend ? "/shinsei/v2/apply/amend"
                                                  : "/shinsei/v2/apply"),
                           st->cur_bearer ? AUTH_RESIDENT : AUTH_NONE);
  g_free(call->idempotency_key);
  call->idempotency_key = g_strdup(e->idempotency_key);
  call_set_package_body(call, e->proc_id, amend ? e->amend_arrive_id : NULL, e->file_name,
                        e->package_path);
  call_start(c, call, st->cur_bearer, g_task_get_cancellable(task), deliver_answered, task,
             mp_client_deliver_async);
}

static void deliver_next(GTask *task)
{
  mp_client *c = task_client(task);
  deliver_state *st = g_task_get_task_data(task);
  while(st->next < st->entries->len) {
    mp_outbox_entry *e = g_ptr_array_index(st->entries, st->next);
    if(st->only_id > 0 && e->id > st->only_id)
      break;
    st->next++;
    /* A package whose file is gone or damaged cannot be sent as signed; it
     * stays listed with the outbox's note for an operator, and does not
     * hold up the rest. */
    if(!e->package_path || e->file_problem)
      continue;
    st->cur = e;
    st->cur_relayed_after_401 = FALSE;
    st->cur_bearer = mp_client_is_logged_in(c) && g_hash_table_contains(c->adopted, &e->id);
    if(!st->cur_bearer && !c->cfg->client_cert) {
      g_autoptr(GError) note_err = NULL;
      const char *why = "no session of the resident who signed it, and no terminal "
                        "certificate ([portal] client-cert) to relay it with";
      if(!mp_outbox_note_attempt(st->ob, e->id, why, &note_err))
        g_warning("outbox entry %" G_GINT64_FORMAT ": %s", e->id, note_err->message);
      g_task_return_new_error(task, MP_ERROR, MP_ERROR_NOT_LOGGED_IN,
                              "outbox entry %" G_GINT64_FORMAT ": %s", e->id, why);
      g_object_unref(task);
      return;
    }
    deliver_send_current(task);
    return;
  }
  g_task_return_boolean(task, TRUE);
  g_object_unref(task);
}

void mp_client_deliver_async(mp_client *c, mp_outbox *ob, gint64 only_id,
                             GCancellable *cancellable, GAsyncReadyCallback cb,
                             gpointer user_data)
{
  GTask *task = client_task(c, cancellable, cb, user_data, mp_client_deliver_async);
  GError *e = NULL;
  GPtrArray *entries = mp_outbox_list(ob, 1u << MP_OUTBOX_PENDING, &e);
  if(!entries) {
    g_task_return_error(task, e);
    g_object_unref(task);
    return;
  }
  deliver_state *st = g_new0(deliver_state, 1);
  st->ob = ob;
  st->only_id = only_id;
  st->entries = entries;
  g_task_set_task_data(task, st, deliver_state_free);
  deliver_next(task);
}

gboolean mp_client_deliver_finish(mp_client *c, GAsyncResult *res, mp_delivery *out,
                                  GError **error)
{
  (void)c;
  deliver_state *st = g_task_get_task_data(G_TASK(res));
  if(out) {
    *out = st->out;
    g_autoptr(GPtrArray) pending = mp_outbox_list(st->ob, 1u << MP_OUTBOX_PENDING, NULL);
    out->pending = pending ? pending->len : 0;
  }
  return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean mp_client_deliver(mp_client *c, mp_outbox *ob, gint64 only_id,
                           GCancellable *cancellable, mp_delivery *out, GError **error)
{
  sync_wait w = sync_begin(c);
  mp_client_deliver_async(c, ob, only_id, cancellable, sync_done, &w);
  gboolean ok = mp_client_deliver_finish(c, sync_run(&w), out, error);
  sync_end(&w);
  return ok;
}
