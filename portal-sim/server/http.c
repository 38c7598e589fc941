/* http.c - HTTPS with libmicrohttpd (GnuTLS underneath): limits, routing,
 * the terminal's client certificate, the checks every route's flags ask
 * for, idempotency, the rate limit, the request log and, with --dev, fault
 * injection.
 *
 * A request goes through three stages in the access handler: its headers
 * (terminal identity, rate limit, client certificate, fault rules, route,
 * size cap from Content-Length, each of which may answer at once without
 * reading the body), its body (collected under the cap) and the end (token
 * or terminal relay, Idempotency-Key, the handler, the reply). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server_internal.h"

/* TLS 1.2 and 1.3 only (portal-api.md); GnuTLS' NORMAL set otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* How far past the cap a body is read (and thrown away) so that the 413
 * reaches the client; beyond it the connection is closed. */
#define DISCARD_SLACK (16u * 1024u * 1024u)
#define PURGE_EVERY_S 3600

struct ps_http {
  ps_portal *p;
  struct MHD_Daemon *d;
  char *cert_pem;
  char *key_pem;
  char *trust_pem;             /* trust/terminal-ca.pem, or NULL: no client
                                  certificates are asked for */
  gint active;                 /* requests under way */
  /* Stalled replies (fault stall_ms): one thread each, woken early when
   * the server stops. */
  GMutex stall_lock;
  GCond stall_cond;
  bool stopping;
  GPtrArray *stall_threads;
  /* While starting, libmicrohttpd's messages are kept for the one error
   * line instead of being printed. */
  GString *start_log;
};

typedef struct req_ctx {
  ps_http *h;
  gint64 start_us;
  char *method;
  char *path;
  const ps_route *route;
  char **params;
  GByteArray *body;
  size_t cap;
  guint64 received;
  bool too_large;              /* over the cap: read on, keep nothing, 413 */
  bool early;                  /* answered from the headers already */
  bool deferred;               /* that answer waits for the end of the request */
  bool has_body;               /* Content-Length > 0 or chunked */
  bool stalled;                /* suspended by a stall fault */
  bool dropped;                /* closed on purpose by a fault */
  ps_fault fault;
  char *terminal;              /* the identity: the certificate's CN when one
                                  verified, else X-Terminal-Id */
  ps_terminal_cert cert;       /* the client certificate's verdict */
  char *cert_cn;
  bool relayed;                /* a terminal relay without resident token */
  char client[INET6_ADDRSTRLEN];
  unsigned status;             /* what went out, for the log */
  bool replayed;
  ps_response rs;
} req_ctx;

typedef struct stall_job {
  ps_http *h;
  struct MHD_Connection *c;
  gint64 until_us;
} stall_job;

static void req_free(req_ctx *x)
{
  g_free(x->method);
  g_free(x->path);
  g_strfreev(x->params);
  if(x->body)
    g_byte_array_unref(x->body);
  g_free(x->terminal);
  g_free(x->cert_cn);
  ps_response_clear(&x->rs);
  g_free(x);
}

/* ---- sending ---- */

typedef struct partial_body {
  GBytes *body;
  size_t limit;                /* bytes to send before the connection drops */
} partial_body;

static ssize_t partial_read(void *cls, uint64_t pos, char *buf, size_t max)
{
  partial_body *pb = cls;
  if(pos >= pb->limit)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  gsize len = 0;
  const char *data = g_bytes_get_data(pb->body, &len);
  size_t n = pb->limit - (size_t)pos;
  if(n > max)
    n = max;
  memcpy(buf, data + pos, n);
  return (ssize_t)n;
}

static void partial_free(void *cls)
{
  partial_body *pb = cls;
  g_bytes_unref(pb->body);
  g_free(pb);
}

static void add_headers(struct MHD_Response *r, const ps_response *rs)
{
  bool cache_set = false;
  for(guint i = 0; i < rs->headers->len; i++) {
    const char *h = g_ptr_array_index(rs->headers, i);
    const char *colon = strchr(h, ':');
    if(!colon)
      continue;
    g_autofree char *name = g_strndup(h, (gsize)(colon - h));
    const char *value = colon + 1;
    while(*value == ' ')
      value++;
    if(g_ascii_strcasecmp(name, "Cache-Control") == 0)
      cache_set = true;
    MHD_add_response_header(r, name, value);
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          rs->content_type ? rs->content_type
                                           : "application/json; charset=utf-8");
  /* Answers carry personal data: no cache anywhere keeps them [S]. */
  if(!cache_set)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

static gpointer stall_thread(gpointer data)
{
  stall_job *j = data;
  ps_http *h = j->h;
  g_mutex_lock(&h->stall_lock);
  while(!h->stopping && g_get_monotonic_time() < j->until_us)
    g_cond_wait_until(&h->stall_cond, &h->stall_lock, j->until_us);
  g_mutex_unlock(&h->stall_lock);
  MHD_resume_connection(j->c);
  g_free(j);
  return NULL;
}

static enum MHD_Result send_reply(ps_http *h, struct MHD_Connection *c,
                                  req_ctx *x, bool faults)
{
  ps_response *rs = &x->rs;
  if(!rs->body)
    rs->body = g_bytes_new_static("", 0);
  gsize len = 0;
  const void *data = g_bytes_get_data(rs->body, &len);
  ps_fault_kind k = faults ? x->fault.kind : PS_FAULT_NONE;

  if(k == PS_FAULT_STALL && !x->stalled) {
    /* The handler ran; the reply waits, without holding a worker. */
    x->stalled = true;
    stall_job *j = g_new0(stall_job, 1);
    j->h = h;
    j->c = c;
    j->until_us = g_get_monotonic_time() + (gint64)x->fault.n * 1000;
    MHD_suspend_connection(c);
    g_mutex_lock(&h->stall_lock);
    g_ptr_array_add(h->stall_threads, g_thread_new("ps-stall", stall_thread, j));
    g_mutex_unlock(&h->stall_lock);
    return MHD_YES;
  }
  if(k == PS_FAULT_DROP_RESPONSE_AFTER && x->fault.n == 0) {
    /* The handler ran (its writes are committed); the client hears
     * nothing at all. */
    x->dropped = true;
    x->status = rs->status;
    return MHD_NO;
  }

  struct MHD_Response *r;
  if((k == PS_FAULT_DROP_RESPONSE_AFTER && x->fault.n < len) ||
     (k == PS_FAULT_TRUNCATE_BODY && len > 0)) {
    partial_body *pb = g_new0(partial_body, 1);
    pb->body = g_bytes_ref(rs->body);
    pb->limit = k == PS_FAULT_TRUNCATE_BODY ? len / 2 : (size_t)x->fault.n;
    x->dropped = true;
    /* The full length goes into Content-Length; the body stops short. */
    r = MHD_create_response_from_callback(len, 16 * 1024, partial_read, pb,
                                          partial_free);
  }
  else
    r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
  if(!r)
    return MHD_NO;
  add_headers(r, rs);
  if(x->replayed)
    MHD_add_response_header(r, "Idempotent-Replayed", "true");
  x->status = rs->status;
  enum MHD_Result ret = MHD_queue_response(c, rs->status, r);
  MHD_destroy_response(r);
  return ret;
}

/* An answer decided from the headers alone. With a body on its way it goes
 * out now, before the body is read (and the connection closes after it);
 * without one it waits for libmicrohttpd's next call, which ends the
 * request, so that the connection stays open for the next request. */
static enum MHD_Result early_reply(ps_http *h, struct MHD_Connection *c,
                                   req_ctx *x)
{
  x->early = true;
  if(!x->has_body) {
    x->deferred = true;
    return MHD_YES;
  }
  return send_reply(h, c, x, false);
}

/* ---- the request ---- */

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
  g_hash_table_insert(cls, g_strdup(key), g_strdup(value ? value : ""));
  return MHD_YES;
}

static bool header_token_ok(const char *v, size_t max)
{
  size_t n = strlen(v);
  if(n == 0 || n > max)
    return false;
  for(const char *c = v; *c; c++)
    if(*c <= 0x20 || *c >= 0x7f)
      return false;
  return true;
}

static void reply_simple(ps_response *rs, unsigned status, const char *code,
                         const char *item, const char *title, const char *content)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  ps_report_add(report, item, "%s", content);
  ps_reply_error(rs, status, code, title, content, report);
}

static void run_idempotent(ps_portal *p, const ps_route *route,
                           const ps_request *rq, req_ctx *x)
{
  ps_response *rs = &x->rs;
  g_autofree char *scope = rq->terminal_id ? g_strconcat("terminal:", rq->terminal_id, NULL)
                                           : g_strconcat("address:", rq->client_addr, NULL);
  g_autofree char *body_sha = ps_sha256_hex(rq->body ? (const void *)rq->body : "",
                                            rq->body_len);
  g_autoptr(GError) err = NULL;
  g_autoptr(ps_stored_response) stored = NULL;

  ps_db_lock(p);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  if(now - p->server->last_purge > PURGE_EVERY_S)
    ps_db_purge(p, now);
  if(!ps_db_exec(p, "BEGIN IMMEDIATE;", &err))
    goto db_failed;
  int found = ps_idem_lookup(p, scope, rq->idempotency_key, &stored, &err);
  if(found < 0) {
    ps_db_exec(p, "ROLLBACK;", NULL);
    goto db_failed;
  }
  if(found) {
    ps_db_exec(p, "ROLLBACK;", NULL);
    ps_db_unlock(p);
    if(strcmp(stored->method, rq->method) != 0 || strcmp(stored->path, rq->path) != 0 ||
       strcmp(stored->body_sha256, body_sha) != 0) {
      reply_simple(rs, 409, "idempotency_key_reused", "Idempotency-Key",
                   "Idempotency-Key が別の内容のリクエストに使われています",
                   "この Idempotency-Key は、内容の異なる別のリクエストですでに使われています。"
                   "新しい操作には新しいキー (UUID) を付けて送ってください。");
      return;
    }
    /* The first answer again, byte for byte. */
    ps_response_clear(rs);
    ps_response_init(rs);
    rs->status = stored->status;
    rs->content_type = g_strdup(stored->content_type);
    rs->body = g_bytes_ref(stored->body);
    for(char **hh = stored->headers; *hh; hh++)
      g_ptr_array_add(rs->headers, g_strdup(*hh));
    x->replayed = true;
    return;
  }

  route->fn(p, rq, rs);
  if(rs->status == 0)
    reply_simple(rs, 500, "internal", "handler", "内部エラーが発生しました",
                 "サーバーが応答を作れませんでした。時間をおいて同じ Idempotency-Key で再送してください。");
  if(rs->status >= 500) {
    /* Nothing of a failed request stays, not even its key: the client
     * retries with the same key and gets a real answer. */
    ps_db_exec(p, "ROLLBACK;", NULL);
    ps_db_unlock(p);
    return;
  }
  if(!ps_idem_store(p, scope, rq->idempotency_key, rq->method, rq->path,
                    body_sha, rs, &err) ||
     !ps_db_exec(p, "COMMIT;", &err)) {
    ps_db_exec(p, "ROLLBACK;", NULL);
    goto db_failed;
  }
  ps_db_unlock(p);
  return;

db_failed:
  ps_db_unlock(p);
  g_printerr("portal-sim: database: %s\n", err ? err->message : "?");
  ps_response_clear(rs);
  ps_response_init(rs);
  rs->title = route->pattern;
  reply_simple(rs, 503, "storage_unavailable", "database",
               "一時的に処理できません",
               "受け付けた内容を保存できませんでした。何も登録されていません。"
               "少し待ってから同じ Idempotency-Key で再送してください。");
  ps_reply_header(rs, "Retry-After", "5");
}

static enum MHD_Result finish(ps_http *h, struct MHD_Connection *c, req_ctx *x)
{
  ps_portal *p = h->p;
  ps_response *rs = &x->rs;
  if(x->fault.kind == PS_FAULT_DROP_REQUEST_AFTER) {
    /* The body was shorter than the rule's N: dropped at its end, before
     * the handler, all the same. */
    x->dropped = true;
    return MHD_NO;
  }
  if(x->too_large) {
    g_autofree char *msg = g_strdup_printf(
      "本文が上限 (%zu バイト) を超えています。内容を小さくして送ってください。", x->cap);
    reply_simple(rs, 413, "body_too_large", "body", "送信データが大きすぎます", msg);
    return send_reply(h, c, x, false);
  }

  g_autoptr(GHashTable) query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, query);
  const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_TYPE);
  const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_AUTHORIZATION);
  const char *bearer = NULL;
  if(auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0) {
    bearer = auth + 7;
    while(*bearer == ' ')
      bearer++;
    if(!*bearer)
      bearer = NULL;
  }
  /* NUL-terminated for handlers that read the body as text. */
  size_t body_len = x->body->len;
  guint8 nul = 0;
  g_byte_array_append(x->body, &nul, 1);

  ps_request rq = {
    .method = x->method,
    .path = x->path,
    .params = (const char *const *)x->params,
    .nparams = x->params ? g_strv_length(x->params) : 0,
    .query = query,
    .body = body_len ? x->body->data : NULL,
    .body_len = body_len,
    .content_type = ctype,
    .terminal_id = x->terminal,
    .terminal_verified = x->cert == PS_TERMINAL_CERT_VALID,
    .bearer = bearer,
    .idempotency_key = idem,
    .client_addr = x->client,
    .route = x->route->pattern,
  };
  rs->title = x->route->pattern;

  if(idem && !header_token_ok(idem, 255)) {
    reply_simple(rs, 400, "bad_idempotency_key", "Idempotency-Key",
                 "Idempotency-Key の形式が違います",
                 "Idempotency-Key は空白を含まない 255 文字以内の ASCII (UUID を推奨) です。");
    return send_reply(h, c, x, true);
  }

  g_autofree char *resident = NULL;
  /* A registered terminal relaying a signed application without any
   * Authorization header: no resident token, the handler finds the
   * resident from the package's signer. With a token the route behaves as
   * it always did (the token wins; a bad one is 401, certificate or not). */
  bool relay = !auth && (x->route->flags & PS_ROUTE_TERMINAL_RELAY) &&
               x->cert == PS_TERMINAL_CERT_VALID;
  if(relay) {
    rq.relayed = true;
    x->relayed = true;
  }
  else if(x->route->flags & PS_ROUTE_RESIDENT) {
#ifdef PS_HAVE_PKI
    if(!bearer) {
      reply_simple(rs, 401, "token_required", "Authorization",
                   "ログインが必要です",
                   "マイナンバーカードでログインし、Authorization: Bearer でアクセストークンを付けてください。");
      ps_reply_header(rs, "WWW-Authenticate", "Bearer realm=\"portal-sim\"");
      return send_reply(h, c, x, true);
    }
    resident = ps_auth_resident(p, bearer);
    if(!resident) {
      reply_simple(rs, 401, "invalid_token", "Authorization",
                   "ログインの有効期限が切れたか、トークンが正しくありません",
                   "もう一度マイナンバーカードでログインしてください。");
      ps_reply_header(rs, "WWW-Authenticate",
                      "Bearer realm=\"portal-sim\", error=\"invalid_token\"");
      return send_reply(h, c, x, true);
    }
    rq.resident_id = resident;
#else
    /* No pki module in this build: no resident can log in, and no other
     * token stands in for the real one. */
    reply_simple(rs, 503, "auth_unavailable", "Authorization",
                 "利用者の本人確認ができません",
                 "この portal-sim には利用者証明 (pki モジュール) が組み込まれていないため、"
                 "ログインが必要な機能は使えません。");
    return send_reply(h, c, x, true);
#endif
  }

  if(x->route->flags & PS_ROUTE_IDEMPOTENT) {
    if(!idem) {
      reply_simple(rs, 400, "idempotency_key_required", "Idempotency-Key",
                   "Idempotency-Key がありません",
                   "この操作には Idempotency-Key ヘッダー (操作ごとに新しい UUID) が必要です。"
                   "再送するときは同じキーを使ってください。");
      return send_reply(h, c, x, true);
    }
    run_idempotent(p, x->route, &rq, x);
  }
  else {
    x->route->fn(p, &rq, rs);
    if(rs->status == 0)
      reply_simple(rs, 500, "internal", "handler", "内部エラーが発生しました",
                   "サーバーが応答を作れませんでした。時間をおいてもう一度お試しください。");
  }
  return send_reply(h, c, x, true);
}

static void client_address(struct MHD_Connection *c, char *out, size_t len)
{
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  g_strlcpy(out, "unknown", len);
  if(!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if(sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
  else if(sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

static enum MHD_Result begin(ps_http *h, struct MHD_Connection *c, req_ctx *x)
{
  ps_portal *p = h->p;
  ps_response *rs = &x->rs;
  client_address(c, x->client, sizeof(x->client));
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_TRANSFER_ENCODING);
  x->has_body = te || (cl && strcmp(cl, "0") != 0);
  const char *term = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Terminal-Id");
  if(term && !header_token_ok(term, 64)) {
    reply_simple(rs, 400, "bad_terminal_id", "X-Terminal-Id",
                 "X-Terminal-Id の形式が違います",
                 "X-Terminal-Id は空白を含まない 64 文字以内の ASCII です。端末の設定を確認してください。");
    return early_reply(h, c, x);
  }
  if(h->trust_pem) {
    /* Asked for, not required: NONE is a terminal as before. */
    const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    x->cert = ps_terminal_cert_check(ci ? ci->tls_session : NULL, &x->cert_cn);
  }
  /* A verified certificate is the terminal's identity for idempotency
   * keys, the rate limit and the log. */
  const char *identity = x->cert == PS_TERMINAL_CERT_VALID ? x->cert_cn : term;
  x->terminal = g_strdup(identity);

  unsigned retry = 0;
  g_autofree char *rl_key = identity ? g_strconcat("t:", identity, NULL)
                                     : g_strconcat("a:", x->client, NULL);
  if(!ps_ratelimit_take(p->server->ratelimit, rl_key, g_get_monotonic_time(), &retry)) {
    g_autofree char *msg = g_strdup_printf(
      "この端末からのリクエストが多すぎます。%u 秒待ってから再送してください。", retry);
    reply_simple(rs, 429, "rate_limited", identity ? "X-Terminal-Id" : "client",
                 "リクエストが多すぎます", msg);
    g_autofree char *ra = g_strdup_printf("%u", retry);
    ps_reply_header(rs, "Retry-After", ra);
    return early_reply(h, c, x);
  }

  /* A certificate that was presented must verify, on every route: a
   * terminal that shows a wrong one is misconfigured or not ours, and
   * nothing it sends is acted on. */
  if(x->cert != PS_TERMINAL_CERT_NONE && x->cert != PS_TERMINAL_CERT_VALID) {
    reply_simple(rs, 403, "terminal_cert_invalid", "client_certificate",
                 "端末の証明書を確認できません", ps_terminal_cert_message(x->cert));
    return early_reply(h, c, x);
  }
  if(x->cert == PS_TERMINAL_CERT_VALID && term && strcmp(term, x->cert_cn) != 0) {
    reply_simple(rs, 403, "terminal_mismatch", "X-Terminal-Id",
                 "端末 ID が証明書と一致しません",
                 "X-Terminal-Id が、この端末の証明書の端末 ID (CN) と違います。"
                 "端末の設定の端末 ID を証明書に合わせてください。");
    return early_reply(h, c, x);
  }

  x->fault = ps_faults_take(p->server->faults, x->method, x->path);
  if(x->fault.kind == PS_FAULT_STATUS_503) {
    g_autofree char *msg = g_strdup_printf(
      "サービスが一時的に利用できません。%" G_GUINT64_FORMAT " 秒後に再送してください。",
      x->fault.n);
    reply_simple(rs, 503, "unavailable", "service", "一時的に利用できません", msg);
    g_autofree char *ra = g_strdup_printf("%" G_GUINT64_FORMAT, x->fault.n);
    ps_reply_header(rs, "Retry-After", ra);
    return early_reply(h, c, x);
  }

  g_autofree char *allow = NULL;
  ps_match m = ps_router_match(p->server->router, x->method, x->path, &x->route,
                               &x->params, &allow);
  if(m == PS_MATCH_NO_PATH) {
    reply_simple(rs, 404, "not_found", "path", "見つかりません",
                 "この URL の API はありません。URL を確認してください。");
    return early_reply(h, c, x);
  }
  if(m == PS_MATCH_NO_METHOD) {
    g_autofree char *msg = g_strdup_printf(
      "この URL では %s は使えません。使えるのは %s です。", x->method, allow);
    reply_simple(rs, 405, "method_not_allowed", "method", "このメソッドは使えません", msg);
    ps_reply_header(rs, "Allow", allow);
    return early_reply(h, c, x);
  }

  x->cap = (x->route->flags & PS_ROUTE_LARGE_BODY) ? PS_MAX_PACKAGE_BODY : PS_MAX_JSON_BODY;
  guint64 declared = 0;
  if(cl) {
    char *end = NULL;
    errno = 0;
    declared = g_ascii_strtoull(cl, &end, 10);
    if(errno || !end || *end)
      declared = G_MAXUINT64;
  }
  x->body = g_byte_array_sized_new((guint)MIN(declared, 1024 * 1024));
  if(cl && declared > x->cap) {
    /* Decided now: nothing of the body is kept and the handler never runs.
     * When to answer is another matter. A client waiting for "100
     * Continue" gets the 413 at once and sends nothing. A client already
     * sending would see the connection reset, not the answer, if it were
     * closed under its upload: a body of reasonable size is read to its end
     * and thrown away, and the 413 comes after; a huge one is answered at
     * once and the connection closed. */
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_EXPECT);
    x->too_large = true;
    if((expect && g_ascii_strcasecmp(expect, "100-continue") == 0) ||
       declared > (guint64)x->cap + DISCARD_SLACK) {
      g_autofree char *msg = g_strdup_printf(
        "本文が上限 (%zu バイト) を超えています。内容を小さくして送ってください。", x->cap);
      reply_simple(rs, 413, "body_too_large", "body", "送信データが大きすぎます", msg);
      return early_reply(h, c, x);
    }
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
  ps_http *h = cls;
  req_ctx *x = *req_cls;
  if(!x) {
    x = g_new0(req_ctx, 1);
    *req_cls = x;
    x->h = h;
    x->start_us = g_get_monotonic_time();
    x->method = g_strdup(method);
    x->path = g_strdup(url);
    ps_response_init(&x->rs);
    g_atomic_int_inc(&h->active);
    return begin(h, c, x);
  }
  if(x->stalled)
    return send_reply(h, c, x, true);     /* resumed after the stall */
  if(x->early) {
    if(*upload_data_size) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    if(x->deferred) {
      x->deferred = false;
      return send_reply(h, c, x, false);
    }
    return MHD_YES;
  }
  if(*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    x->received += n;
    if(x->fault.kind == PS_FAULT_DROP_REQUEST_AFTER && x->received >= x->fault.n) {
      x->dropped = true;
      return MHD_NO;
    }
    if(x->too_large || x->body->len + n > x->cap) {
      x->too_large = true;
      g_byte_array_set_size(x->body, 0);
      if(x->received > (guint64)x->cap + DISCARD_SLACK)
        return MHD_NO;
      return MHD_YES;
    }
    g_byte_array_append(x->body, (const guint8 *)upload_data, (guint)n);
    return MHD_YES;
  }
  return finish(h, c, x);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
  ps_http *h = cls;
  req_ctx *x = *req_cls;
  if(!x)
    return;
  *req_cls = NULL;
  double ms = (double)(g_get_monotonic_time() - x->start_us) / 1000.0;
  /* The route's pattern, not the path: paths carry ids, and neither
   * bodies, tokens nor query values ever reach the log. */
  const char *what = x->route ? x->route->pattern : "(no route)";
  const char *end = "";
  if(x->dropped)
    end = " fault:dropped";
  else if(x->stalled)
    end = " fault:stalled";
  else if(toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
    end = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " closed:timeout"
          : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " closed:client"
          : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? " closed:shutdown"
          : " closed:error";
  const char *cert = x->cert != PS_TERMINAL_CERT_NONE ? ps_terminal_cert_name(x->cert) : NULL;
  fprintf(stderr, "portal-sim: %s %s %u %.1f ms%s%s%s%s%s%s%s\n", x->method, what,
          x->status, ms, x->replayed ? " replayed" : "",
          x->terminal ? " terminal=" : "", x->terminal ? x->terminal : "",
          cert ? " cert=" : "", cert ? cert : "", x->relayed ? " relay" : "", end);
  req_free(x);
  (void)g_atomic_int_dec_and_test(&h->active);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) G_GNUC_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
  ps_http *h = cls;
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  g_strchomp(msg);
  g_mutex_lock(&h->stall_lock);
  bool kept = h->start_log != NULL;
  if(kept)
    g_string_append_printf(h->start_log, "%s%s", h->start_log->len ? "; " : "", msg);
  g_mutex_unlock(&h->stall_lock);
  if(kept)
    return;
  fprintf(stderr, "portal-sim: http: %s\n", msg);
}

/* ---- start and stop ---- */

static bool parse_listen(const char *listen, struct sockaddr_storage *ss,
                         socklen_t *sslen, char **host_out, GError **error)
{
  g_autofree char *host = NULL;
  const char *port;
  if(listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if(!close || close[1] != ':')
      goto bad;
    host = g_strndup(listen + 1, (gsize)(close - listen - 1));
    port = close + 2;
  }
  else {
    const char *colon = strrchr(listen, ':');
    if(!colon || strchr(listen, ':') != colon)
      goto bad;
    host = g_strndup(listen, (gsize)(colon - listen));
    port = colon + 1;
  }
  char *end = NULL;
  errno = 0;
  unsigned long pn = strtoul(port, &end, 10);
  if(!*port || errno || *end || pn > 65535 || !*host)
    goto bad;
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_NUMERICSERV };
  struct addrinfo *ai = NULL;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if(rc != 0 || !ai) {
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                "--listen %s: cannot resolve %s (%s)", listen, host, gai_strerror(rc));
    return false;
  }
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *sslen = ai->ai_addrlen;
  freeaddrinfo(ai);
  *host_out = ss->ss_family == AF_INET6 ? g_strdup_printf("[%s]", host)
                                        : g_steal_pointer(&host);
  return true;

bad:
  g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
              "--listen %s: give ADDR:PORT, e.g. 127.0.0.1:8443 or [::1]:0 "
              "(port 0 picks a free one)", listen);
  return false;
}

bool ps_http_start(ps_portal *p, const ps_http_config *cfg, ps_http **out,
                   char **url_out, GError **error)
{
  *out = NULL;
  *url_out = NULL;
  struct sockaddr_storage ss;
  socklen_t sslen = 0;
  g_autofree char *host = NULL;
  if(!parse_listen(cfg->listen, &ss, &sslen, &host, error))
    return false;

  ps_http *h = g_new0(ps_http, 1);
  h->p = p;
  g_mutex_init(&h->stall_lock);
  g_cond_init(&h->stall_cond);
  h->stall_threads = g_ptr_array_new();
  g_autofree char *cert = g_build_filename(p->data_dir, "tls", "server.pem", NULL);
  g_autofree char *key = g_build_filename(p->data_dir, "tls", "server.key", NULL);
  g_autofree char *trust = g_build_filename(p->data_dir, "trust", "terminal-ca.pem", NULL);
  if(!ps_read_file(cert, &h->cert_pem, NULL, error) ||
     !ps_read_file(key, &h->key_pem, NULL, error) ||
     !ps_terminal_ca_load(trust, &h->trust_pem, error)) {
    ps_http_stop(h, 0);
    return false;
  }
  /* With a terminal CA libmicrohttpd asks every client for a certificate
   * (GNUTLS_CERT_REQUEST, never REQUIRE) and GnuTLS verifies against it. */
  struct MHD_OptionItem client_certs[] = {
    { h->trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, h->trust_pem },
    { MHD_OPTION_END, 0, NULL },
  };

  h->start_log = g_string_new(NULL);
  unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
                   MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if(ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  h->d = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, h,
    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
    MHD_OPTION_HTTPS_MEM_CERT, h->cert_pem,
    MHD_OPTION_HTTPS_MEM_KEY, h->key_pem,
    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
    MHD_OPTION_ARRAY, client_certs,
    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->connection_limit,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->per_ip_limit,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->memory_limit,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->timeout_s,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
    MHD_OPTION_END);
  g_mutex_lock(&h->stall_lock);
  g_autoptr(GString) start_log = g_steal_pointer(&h->start_log);
  g_mutex_unlock(&h->stall_lock);
  if(!h->d) {
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                "--listen %s: cannot serve HTTPS there (%s); check that the "
                "address is free and yours to use and that %s/tls holds a "
                "matching key and certificate", cfg->listen,
                start_log->len ? start_log->str : "no reason given", p->data_dir);
    ps_http_stop(h, 0);
    return false;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  unsigned port = di ? di->port : 0;
  *url_out = g_strdup_printf("https://%s:%u", host, port);
  *out = h;
  return true;
}

void ps_http_stop(ps_http *h, unsigned grace_ms)
{
  MHD_socket listen_fd = MHD_INVALID_SOCKET;
  if(!h)
    return;
  if(h->d) {
    /* No new connections; the requests under way end normally. The
     * listening socket is ours to close, after MHD_stop_daemon. */
    listen_fd = MHD_quiesce_daemon(h->d);
    g_mutex_lock(&h->stall_lock);
    h->stopping = true;
    g_cond_broadcast(&h->stall_cond);
    g_mutex_unlock(&h->stall_lock);
    gint64 until = g_get_monotonic_time() + (gint64)grace_ms * 1000;
    while(g_atomic_int_get(&h->active) > 0 && g_get_monotonic_time() < until)
      g_usleep(10 * 1000);
  }
  g_mutex_lock(&h->stall_lock);
  GPtrArray *threads = h->stall_threads;
  h->stall_threads = NULL;
  g_mutex_unlock(&h->stall_lock);
  for(guint i = 0; threads && i < threads->len; i++)
    g_thread_join(g_ptr_array_index(threads, i));
  if(threads)
    g_ptr_array_unref(threads);
  if(h->d)
    MHD_stop_daemon(h->d);
  if(listen_fd != MHD_INVALID_SOCKET)
    close(listen_fd);
  if(h->key_pem)
    explicit_bzero(h->key_pem, strlen(h->key_pem));
  g_free(h->key_pem);
  g_free(h->cert_pem);
  g_free(h->trust_pem);
  g_mutex_clear(&h->stall_lock);
  g_cond_clear(&h->stall_cond);
  g_free(h);
}
