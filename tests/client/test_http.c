/* test_http.c - the HTTPS transport (kiosk-ui/portal/http.c) against a real
 * portal-sim started by tests/harness/portalenv.py --dev (PORTAL_URL,
 * PORTAL_CA, PORTAL_DATA). The server's /_dev routes inject faults and
 * record what arrived; a few tests run a small TCP server of their own on
 * 127.0.0.1 for what portal-sim cannot do (a handshake cut short). */

#include <curl/curl.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "mynaportal/error.h"

static const char *portal_url, *portal_ca, *portal_data;
static char *tmpdir;
static mp_http *control;   /* for /_dev calls: its tries are not counted */

/* ---- helpers ---- */

static mp_config *test_config(void)
{
  mp_config *c = mp_config_new();
  c->base_url = g_strdup(portal_url);
  c->ca_file = g_strdup(portal_ca);
  c->terminal_id = g_strdup("kiosk-http-test");
  c->connect_timeout_ms = 5000;
  c->low_speed_time_s = 20;
  c->retry_base_ms = 20;
  c->retry_max_ms = 200;
  c->retry_total_ms = 30000;
  return c;
}

static mp_http *http_for(const mp_config *cfg)
{
  g_autoptr(GError) e = NULL;
  mp_http *h = mp_http_new(cfg, &e);
  g_assert_no_error(e);
  g_assert_nonnull(h);
  return h;
}

/* What the attempt hook saw. */
typedef struct tries {
  guint n;
  guint attempt[64];
  guint status[64];
  guint delay[64];
  GQuark domain[64];
  int code[64];
  GCancellable *cancel_on_wait;   /* cancelled when a wait is planned */
  char *grow_file;                /* appended to after the first try */
} tries;

static void record(gpointer user, const char *method, const char *path, guint attempt,
                   const GError *error, guint status, guint next_delay_ms)
{
  tries *t = user;
  g_assert_nonnull(method);
  g_assert_nonnull(path);
  g_assert_null(strchr(path, '?'));
  if(t->n < G_N_ELEMENTS(t->attempt)) {
    t->attempt[t->n] = attempt;
    t->status[t->n] = status;
    t->delay[t->n] = next_delay_ms;
    t->domain[t->n] = error ? error->domain : 0;
    t->code[t->n] = error ? error->code : 0;
  }
  t->n++;
  g_test_message("try %u of %s %s: status %u, error %s, next wait %u ms", attempt, method, path,
                 status, error ? error->message : "none", next_delay_ms);
  if(t->cancel_on_wait && next_delay_ms)
    g_cancellable_cancel(t->cancel_on_wait);
  if(t->grow_file && attempt == 1) {
    FILE *f = fopen(t->grow_file, "ab");
    g_assert_nonnull(f);
    fputs("one more line\n", f);
    fclose(f);
  }
}

static void tries_clear(tries *t)
{
  g_clear_object(&t->cancel_on_wait);
  g_clear_pointer(&t->grow_file, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(tries, tries_clear)

static JsonNode *parse_json(GBytes *body)
{
  g_autoptr(JsonParser) p = json_parser_new();
  gsize n = 0;
  const char *data = g_bytes_get_data(body, &n);
  g_autoptr(GError) e = NULL;
  g_assert_true(json_parser_load_from_data(p, data ? data : "", (gssize)n, &e));
  g_assert_no_error(e);
  return json_node_copy(json_parser_get_root(p));
}

/* One request through the control client; the answer must be 2xx. */
static JsonNode *dev_call(const char *method, const char *path, const char *json_body)
{
  mp_http_request *r = mp_http_request_new(method, path);
  if(json_body) {
    mp_http_request_set_content_type(r, "application/json");
    mp_http_request_add_bytes(r, g_bytes_new(json_body, strlen(json_body)));
  }
  if(!strcmp(method, "POST") &&
     (!strcmp(path, "/_dev/echo") || !strcmp(path, "/_dev/applications"))) {
    g_autofree char *key = g_uuid_string_random();
    mp_http_request_set_idempotency_key(r, key);
  }
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send(control, r, NULL, &e);
  g_assert_no_error(e);
  if(resp->status / 100 != 2)
    g_error("%s %s: %u %.*s", method, path, resp->status, (int)g_bytes_get_size(resp->body),
            (const char *)g_bytes_get_data(resp->body, NULL));
  return parse_json(resp->body);
}

static void faults_clear(void)
{
  json_node_unref(dev_call("DELETE", "/_dev/faults", NULL));
}

static void fault_add(const char *rule_json)
{
  g_autofree char *body = g_strdup_printf("{\"rules\":[%s]}", rule_json);
  json_node_unref(dev_call("POST", "/_dev/faults", body));
}

/* How many more requests the rule for path_prefix applies to (0: none, or
 * worn out): each request that reaches the server takes one. */
static gint64 fault_times_left(const char *path_prefix)
{
  g_autoptr(JsonNode) n = dev_call("GET", "/_dev/faults", NULL);
  JsonArray *a = json_object_get_array_member(json_node_get_object(n), "results");
  gint64 left = 0;
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    if(!strcmp(json_object_get_string_member(o, "path_prefix"), path_prefix))
      left += json_object_get_int_member(o, "times_left");
  }
  return left;
}

/* The bodies /_dev/echo stored: all of them (key NULL) or under one key. */
static guint echo_count(const char *key, char **sha256, gint64 *size, char **terminal)
{
  g_autoptr(JsonNode) n = dev_call("GET", "/_dev/echo", NULL);
  JsonArray *a = json_object_get_array_member(json_node_get_object(n), "results");
  guint count = 0;
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    if(key && g_strcmp0(json_object_get_string_member(o, "key"), key))
      continue;
    count++;
    if(sha256) {
      g_free(*sha256);
      *sha256 = g_strdup(json_object_get_string_member(o, "sha256"));
    }
    if(size)
      *size = json_object_get_int_member(o, "size");
    if(terminal) {
      g_free(*terminal);
      *terminal = g_strdup(json_object_get_string_member(o, "terminal"));
    }
  }
  return count;
}

static char *random_file(const char *name, gsize size)
{
  char *path = g_build_filename(tmpdir, name, NULL);
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  guint32 buf[4096];
  while(size) {
    for(gsize i = 0; i < G_N_ELEMENTS(buf); i++)
      buf[i] = g_random_int();
    gsize n = MIN(size, sizeof buf);
    g_assert_cmpuint(fwrite(buf, 1, n, f), ==, n);
    size -= n;
  }
  g_assert_cmpint(fclose(f), ==, 0);
  return path;
}

/* SHA-256 (hex) of a file as it goes on the wire, computed here in 1 MiB
 * steps with GLib's own base64 encoder. */
static void wire_digest_file(GChecksum *sum, const char *path, gboolean base64, guint64 *len)
{
  FILE *f = fopen(path, "rb");
  g_assert_nonnull(f);
  g_autofree guchar *buf = g_malloc(1 << 20);
  g_autofree char *out = g_malloc((1 << 20) / 3 * 4 + 8);
  gint state = 0, save = 0;
  size_t n;
  while((n = fread(buf, 1, 1 << 20, f)) > 0) {
    if(base64) {
      gsize o = g_base64_encode_step(buf, n, FALSE, out, &state, &save);
      g_checksum_update(sum, (guchar *)out, (gssize)o);
      *len += o;
    }
    else {
      g_checksum_update(sum, buf, (gssize)n);
      *len += n;
    }
  }
  fclose(f);
  if(base64) {
    gsize o = g_base64_encode_close(FALSE, out, &state, &save);
    g_checksum_update(sum, (guchar *)out, (gssize)o);
    *len += o;
  }
}

/* Peak RSS back to the current RSS (Linux: "5" to clear_refs), so that
 * VmHWM afterwards is the peak of what ran in between. Best effort. */
static void vm_hwm_reset(void)
{
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if(f) {
    fputs("5", f);
    fclose(f);
  }
}

static guint64 vm_hwm_kib(void)
{
  g_autofree char *status = NULL;
  g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
  const char *p = strstr(status, "VmHWM:");
  g_assert_nonnull(p);
  return g_ascii_strtoull(p + 6, NULL, 10);
}

/* "sha256//BASE64" of the public key in a PEM certificate. */
static char *spki_pin(const char *pem_path)
{
  FILE *f = fopen(pem_path, "r");
  g_assert_nonnull(f);
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  g_assert_nonnull(x);
  unsigned char *der = NULL;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
  g_assert_cmpint(n, >, 0);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(der, (size_t)n, md);
  OPENSSL_free(der);
  X509_free(x);
  g_autofree char *b64 = g_base64_encode(md, sizeof md);
  return g_strconcat("sha256//", b64, NULL);
}

/* A TCP port on 127.0.0.1 that is bound but not listening: a connection to
 * it is refused, and nobody else can take it while the socket is open. */
static int dead_port(guint *port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
  socklen_t len = sizeof a;
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
  *port = ntohs(a.sin_port);
  return fd;
}

typedef struct waiter {
  GAsyncResult *res;
} waiter;

static void got_result(GObject *src, GAsyncResult *res, gpointer data)
{
  waiter *w = data;
  g_assert_null(w->res);
  w->res = g_object_ref(res);
}

static void wait_result(waiter *w)
{
  while(!w->res)
    g_main_context_iteration(NULL, TRUE);
}

static mp_http_request *echo_request(const char *key, const char *text)
{
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  if(key)
    mp_http_request_set_idempotency_key(r, key);
  mp_http_request_set_content_type(r, "application/octet-stream");
  mp_http_request_add_bytes(r, g_bytes_new(text, strlen(text)));
  return r;
}

/* ---- plain requests ---- */

/* A search answers JSON, and the second request rides the first one's
 * connection. */
static void test_get_json_reuses_connection(void)
{
  faults_clear();
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  for(int i = 0; i < 2; i++) {
    mp_http_request *r =
      mp_http_request_new("GET", "/shinsei/v2/procedures?keyword=%E5%85%90%E7%AB%A5");
    g_assert_true(mp_http_request_is_retry_safe(r));
    g_autoptr(GError) e = NULL;
    g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(resp->status, ==, 200);
    g_assert_cmpuint(resp->attempts, ==, 1);
    g_assert_false(resp->replayed);
    g_assert_nonnull(resp->content_type);
    g_assert_true(g_str_has_prefix(resp->content_type, "application/json"));
    g_autoptr(JsonNode) n = parse_json(resp->body);
    JsonObject *o = json_node_get_object(n);
    g_assert_true(json_object_has_member(o, "results"));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "results")), >, 0);
  }
  g_assert_cmpuint(mp_http_connections_opened(h), ==, 1);
  mp_http_free(h);
}

/* Bytes and files (raw and base64, sizes around the 3-byte groups and the
 * 48 KiB pieces) arrive as one body, byte for byte, with the terminal id
 * and the key. */
static void test_post_parts_arrive_exactly(void)
{
  faults_clear();
  static const gsize SIZES[] = { 0, 1, 2, 3, 4, 49151, 49152, 49153, 98305, 100000 };
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  guint64 len = 0;
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  g_autofree char *key = g_uuid_string_random();
  mp_http_request_set_idempotency_key(r, key);
  mp_http_request_set_content_type(r, "application/json");
  const char *head = "{\"files\":[";
  mp_http_request_add_bytes(r, g_bytes_new_static(head, strlen(head)));
  g_checksum_update(sum, (const guchar *)head, -1);
  len += strlen(head);
  for(gsize i = 0; i < G_N_ELEMENTS(SIZES); i++) {
    g_autofree char *name = g_strdup_printf("part-%zu.bin", i);
    g_autofree char *path = random_file(name, SIZES[i]);
    gboolean b64 = i != 3;   /* one raw file among them */
    mp_http_request_add_file(r, path, b64);
    wire_digest_file(sum, path, b64, &len);
    const char *sep = i + 1 < G_N_ELEMENTS(SIZES) ? "\",\"" : "\"]}";
    mp_http_request_add_bytes(r, g_bytes_new_static(sep, strlen(sep)));
    g_checksum_update(sum, (const guchar *)sep, -1);
    len += strlen(sep);
  }
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 201);
  g_autoptr(JsonNode) n = parse_json(resp->body);
  JsonObject *res = json_object_get_object_member(json_node_get_object(n), "results");
  g_assert_cmpstr(json_object_get_string_member(res, "sha256"), ==, g_checksum_get_string(sum));
  g_assert_cmpint(json_object_get_int_member(res, "size"), ==, (gint64)len);
  g_autofree char *terminal = NULL;
  g_assert_cmpuint(echo_count(key, NULL, NULL, &terminal), ==, 1);
  g_assert_cmpstr(terminal, ==, "kiosk-http-test");
  mp_http_free(h);
}

/* A 20 MB file goes out base64-encoded in pieces: the server stores the
 * same digest, and the peak memory hardly moves. */
static void test_post_20mb_file_streams(void)
{
  faults_clear();
  g_autofree char *path = random_file("big.bin", 20u * 1000 * 1000);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  guint64 len = 0;
  wire_digest_file(sum, path, TRUE, &len);
  g_assert_cmpuint(len, ==, (20u * 1000 * 1000 + 2) / 3 * 4);

  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_autofree char *key = g_uuid_string_random();
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  mp_http_request_set_idempotency_key(r, key);
  mp_http_request_set_content_type(r, "text/plain");
  mp_http_request_add_file(r, path, TRUE);
  vm_hwm_reset();
  guint64 before = vm_hwm_kib();
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
  gint64 t1 = g_get_monotonic_time();
  guint64 after = vm_hwm_kib();
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 201);
  g_test_message("20 MB file as %" G_GUINT64_FORMAT " bytes of base64 in %.2f s; VmHWM %"
                 G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB after",
                 len, (double)(t1 - t0) / 1e6, before, after);
  g_printerr("# VmHWM before %" G_GUINT64_FORMAT " KiB, after %" G_GUINT64_FORMAT " KiB\n",
             before, after);
  g_autofree char *sha = NULL;
  gint64 size = 0;
  g_assert_cmpuint(echo_count(key, &sha, &size, NULL), ==, 1);
  g_assert_cmpstr(sha, ==, g_checksum_get_string(sum));
  g_assert_cmpint(size, ==, (gint64)len);
  mp_http_free(h);
}

/* PUT sends a raw file part with its length: the photo route reports the
 * size it received (and that these bytes are no JPEG). */
static void test_put_raw_file(void)
{
  faults_clear();
  g_autofree char *path = random_file("photo.jpg", 12345);
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  mp_http_request *r = mp_http_request_new("PUT", "/kofu/v1/applications/12345678901234567890123/photo");
  mp_http_request_set_content_type(r, "image/jpeg");
  mp_http_request_add_file(r, path, FALSE);
  g_assert_false(mp_http_request_is_retry_safe(r));
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 422);
  g_assert_true(g_str_has_prefix(resp->content_type, "application/problem+json"));
  g_autoptr(JsonNode) n = parse_json(resp->body);
  g_autofree char *text = json_to_string(n, FALSE);
  g_assert_nonnull(strstr(text, "12345 バイト"));
  g_assert_nonnull(strstr(text, "photo.format"));
  mp_http_free(h);
}

/* The Authorization header goes out: a bogus token is refused as invalid,
 * not as missing. */
static void test_bearer_is_sent(void)
{
  faults_clear();
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  const char *expect[] = { "token_required", "invalid_token" };
  for(int i = 0; i < 2; i++) {
    mp_http_request *r = mp_http_request_new("GET", "/selfinfo/v1/categories");
    if(i)
      mp_http_request_set_bearer(r, "not-a-token");
    g_autoptr(GError) e = NULL;
    g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(resp->status, ==, 401);
    g_autoptr(JsonNode) n = parse_json(resp->body);
    const char *type = json_object_get_string_member(json_node_get_object(n), "type");
    g_assert_true(g_str_has_suffix(type, expect[i]));
  }
  mp_http_free(h);
}

/* ---- faults and retries ---- */

/* The connection drops during the upload: the same key goes again and the
 * server stores the body once. */
static void test_retry_dropped_upload_stored_once(void)
{
  faults_clear();
  fault_add("{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"drop_request_after\":1000}");
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autofree char *path = random_file("drop.bin", 300000);
  g_autofree char *key = g_uuid_string_random();
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  mp_http_request_set_idempotency_key(r, key);
  mp_http_request_add_file(r, path, TRUE);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 201);
  g_assert_cmpuint(resp->attempts, ==, 2);
  g_assert_false(resp->replayed);   /* nothing was stored the first time */
  g_assert_cmpuint(t.n, ==, 2);
  g_assert_true(t.domain[0] == MP_ERROR);
  g_assert_cmpint(t.code[0], ==, MP_ERROR_NETWORK);
  g_assert_cmpuint(t.delay[0], >, 0);
  g_assert_cmpuint(t.delay[1], ==, 0);
  g_assert_cmpuint(echo_count(key, NULL, NULL, NULL), ==, 1);
  mp_http_free(h);
}

/* The answer is lost (nothing of it, or half of it): the retry is answered
 * from the server's idempotency store, and there is still one body. */
static void test_retry_lost_answer_replayed(void)
{
  const char *rules[] = {
    "{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"drop_response_after\":0}",
    "{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"truncate_body\":true}",
  };
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  for(gsize i = 0; i < G_N_ELEMENTS(rules); i++) {
    faults_clear();
    fault_add(rules[i]);
    g_auto(tries) t = { 0 };
    mp_http_set_attempt_hook(h, record, &t);
    g_autofree char *key = g_uuid_string_random();
    g_autoptr(GError) e = NULL;
    g_autoptr(mp_http_response) resp =
      mp_http_send(h, echo_request(key, "an application, once"), NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(resp->status, ==, 201);
    g_assert_cmpuint(resp->attempts, ==, 2);
    g_assert_true(resp->replayed);
    g_assert_cmpuint(t.n, ==, 2);
    g_assert_cmpint(t.code[0], ==, MP_ERROR_NETWORK);
    g_assert_cmpuint(echo_count(key, NULL, NULL, NULL), ==, 1);
  }
  mp_http_set_attempt_hook(h, NULL, NULL);
  mp_http_free(h);
}

/* 503 with Retry-After: 1, twice: the waits are at least a second and the
 * third try gets the answer. */
static void test_retry_503_honours_retry_after(void)
{
  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\","
            "\"status_503\":true,\"retry_after\":1,\"times\":2}");
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures?keyword=x"), NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 200);
  g_assert_cmpuint(resp->attempts, ==, 3);
  g_assert_cmpuint(t.n, ==, 3);
  for(int i = 0; i < 2; i++) {
    g_assert_cmpuint(t.status[i], ==, 503);
    g_assert_cmpuint(t.delay[i], >=, 1000);
  }
  g_assert_cmpuint(t.status[2], ==, 200);
  g_assert_cmpuint(t.delay[2], ==, 0);
  mp_http_free(h);
}

/* A Retry-After beyond retry_total_ms ends the tries: the 503 itself is
 * the answer. */
static void test_retry_after_beyond_bound_returns_503(void)
{
  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\","
            "\"status_503\":true,\"retry_after\":30}");
  g_autoptr(mp_config) cfg = test_config();
  cfg->retry_total_ms = 2000;
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 503);
  g_assert_cmpuint(resp->attempts, ==, 1);
  g_assert_cmpuint(resp->retry_after_s, ==, 30);
  g_assert_cmpuint(t.n, ==, 1);
  g_assert_cmpuint(t.delay[0], ==, 0);
  mp_http_free(h);
}

/* A stalled answer runs into the low-speed time-out: an error for a POST
 * without a key, a retry for a GET. */
static void test_stall_times_out_or_retries(void)
{
  g_autoptr(mp_config) cfg = test_config();
  cfg->low_speed_time_s = 1;
  mp_http *h = http_for(cfg);

  faults_clear();
  fault_add("{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"stall_ms\":8000}");
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp = mp_http_send(h, echo_request(NULL, "{}"), NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_TIMEOUT);
  g_assert_nonnull(strstr(e->message, "POST /_dev/echo"));
  g_assert_cmpuint(t.n, ==, 1);

  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\",\"stall_ms\":8000}");
  g_auto(tries) t2 = { 0 };
  mp_http_set_attempt_hook(h, record, &t2);
  g_autoptr(GError) e2 = NULL;
  g_autoptr(mp_http_response) ok =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e2);
  g_assert_no_error(e2);
  g_assert_cmpuint(ok->status, ==, 200);
  g_assert_cmpuint(ok->attempts, ==, 2);
  g_assert_cmpint(t2.code[0], ==, MP_ERROR_TIMEOUT);
  mp_http_set_attempt_hook(h, NULL, NULL);
  mp_http_free(h);
}

/* Without an Idempotency-Key a POST is never sent twice: not by the retry
 * policy, and not by libcurl resending on a kept-alive connection that
 * died (such a request gets a connection of its own). The rule applies to
 * two requests; only one arrives. */
static void test_post_without_key_not_retried(void)
{
  faults_clear();
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) warm =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(warm->status, ==, 200);
  g_assert_cmpuint(mp_http_connections_opened(h), ==, 1);

  fault_add("{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"drop_response_after\":0,"
            "\"times\":2}");
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  mp_http_request *r = echo_request(NULL, "no key");
  g_assert_false(mp_http_request_is_retry_safe(r));
  mp_http_response *resp = mp_http_send(h, r, NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_NETWORK);
  g_assert_cmpuint(t.n, ==, 1);
  g_assert_cmpuint(t.delay[0], ==, 0);
  g_assert_cmpint(fault_times_left("/_dev/echo"), ==, 1);
  g_assert_cmpuint(mp_http_connections_opened(h), ==, 2);
  mp_http_free(h);
}

/* With a key, libcurl may resend on a kept-alive connection that died
 * without an answer: the body is rewound (CURLOPT_SEEKFUNCTION) and goes
 * again whole, and the server replays its stored answer. */
static void test_dead_reused_connection_rewinds_body(void)
{
  faults_clear();
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) warm =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(warm->status, ==, 200);

  fault_add("{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"drop_response_after\":0}");
  g_autofree char *path = random_file("rewind.bin", 150001);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  guint64 len = 0;
  const char *head = "data:";
  g_checksum_update(sum, (const guchar *)head, -1);
  len += strlen(head);
  wire_digest_file(sum, path, TRUE, &len);
  g_autofree char *key = g_uuid_string_random();
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  mp_http_request_set_idempotency_key(r, key);
  mp_http_request_add_bytes(r, g_bytes_new_static(head, strlen(head)));
  mp_http_request_add_file(r, path, TRUE);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 201);
  g_assert_true(resp->replayed);
  g_assert_cmpint(fault_times_left("/_dev/echo"), ==, 0);
  g_autofree char *sha = NULL;
  gint64 size = 0;
  g_assert_cmpuint(echo_count(key, &sha, &size, NULL), ==, 1);
  g_assert_cmpstr(sha, ==, g_checksum_get_string(sum));
  g_assert_cmpint(size, ==, (gint64)len);
  g_test_message("tries seen by the policy: %u", t.n);
  mp_http_free(h);
}

/* A file that changes between two tries is the package's fault: no third
 * try, MP_ERROR_PACKAGE. */
static void test_file_changed_between_tries(void)
{
  faults_clear();
  fault_add("{\"method\":\"POST\",\"path_prefix\":\"/_dev/echo\",\"drop_request_after\":100}");
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  g_autofree char *path = random_file("changing.bin", 200000);
  t.grow_file = g_strdup(path);
  mp_http_set_attempt_hook(h, record, &t);
  g_autofree char *key = g_uuid_string_random();
  mp_http_request *r = mp_http_request_new("POST", "/_dev/echo");
  mp_http_request_set_idempotency_key(r, key);
  mp_http_request_add_file(r, path, FALSE);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp = mp_http_send(h, r, NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_PACKAGE);
  g_assert_nonnull(strstr(e->message, path));
  g_assert_cmpuint(t.n, ==, 2);
  g_assert_cmpuint(echo_count(key, NULL, NULL, NULL), ==, 0);
  mp_http_free(h);
}

/* Nothing listens: MP_ERROR_CONNECT after tries whose waits stay within
 * retry_total_ms. */
static void test_connect_refused_bounded(void)
{
  guint port = 0;
  int fd = dead_port(&port);
  g_autoptr(mp_config) cfg = test_config();
  g_free(cfg->base_url);
  cfg->base_url = g_strdup_printf("https://127.0.0.1:%u", port);
  cfg->retry_total_ms = 1500;
  cfg->retry_base_ms = 50;
  cfg->retry_max_ms = 400;
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures?keyword=secret"), NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_CONNECT);
  g_assert_nonnull(strstr(e->message, "GET /shinsei/v2/procedures"));
  g_assert_null(strstr(e->message, "secret"));   /* the query stays out of messages */
  g_assert_cmpuint(t.n, >=, 2);
  guint64 waited = 0;
  for(guint i = 0; i < t.n; i++) {
    g_assert_cmpint(t.code[i], ==, MP_ERROR_CONNECT);
    g_assert_cmpuint(t.attempt[i], ==, i + 1);
    if(i + 1 < t.n)
      g_assert_cmpuint(t.delay[i], >, 0);
    waited += t.delay[i];
  }
  g_assert_cmpuint(t.delay[t.n - 1], ==, 0);
  g_assert_cmpuint(waited, <=, cfg->retry_total_ms);
  mp_http_free(h);
  close(fd);
}

/* ---- TLS ---- */

/* A CA that did not issue the server's certificate: MP_ERROR_TLS, one try
 * even for a GET. */
static void test_tls_foreign_ca_refused(void)
{
  faults_clear();
  g_autoptr(mp_config) cfg = test_config();
  g_free(cfg->ca_file);
  cfg->ca_file = g_build_filename(portal_data, "trust", "auth-ca.pem", NULL);
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_TLS);
  g_assert_cmpuint(t.n, ==, 1);
  mp_http_free(h);
}

/* A pin of another key: MP_ERROR_TLS, and the body never reached the
 * server. The server's own key's pin works. */
static void test_tls_pin(void)
{
  faults_clear();
  g_autofree char *server_pem = g_build_filename(portal_data, "tls", "server.pem", NULL);
  g_autofree char *ca_pem = g_build_filename(portal_data, "tls", "ca.pem", NULL);
  g_autofree char *right = spki_pin(server_pem);
  g_autofree char *wrong = spki_pin(ca_pem);
  g_assert_cmpstr(right, !=, wrong);

  guint stored = echo_count(NULL, NULL, NULL, NULL);
  g_autoptr(mp_config) cfg = test_config();
  cfg->pin = g_strdup(wrong);
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autofree char *key = g_uuid_string_random();
  g_autoptr(GError) e = NULL;
  mp_http_response *resp = mp_http_send(h, echo_request(key, "must not arrive"), NULL, &e);
  g_assert_null(resp);
  g_assert_error(e, MP_ERROR, MP_ERROR_TLS);
  g_assert_cmpuint(t.n, ==, 1);
  g_assert_cmpuint(echo_count(NULL, NULL, NULL, NULL), ==, stored);
  mp_http_free(h);

  g_free(cfg->pin);
  cfg->pin = g_strdup_printf("%s;%s", wrong, right);   /* one of several matches */
  h = http_for(cfg);
  g_autoptr(GError) e2 = NULL;
  g_autoptr(mp_http_response) ok = mp_http_send(h, echo_request(key, "arrives"), NULL, &e2);
  g_assert_no_error(e2);
  g_assert_cmpuint(ok->status, ==, 201);
  g_assert_cmpuint(echo_count(NULL, NULL, NULL, NULL), ==, stored + 1);
  mp_http_free(h);
}

/* A server of our own on 127.0.0.1 that reads the ClientHello and then
 * resets the connection, closes it, or answers plain text. */
typedef enum { CUT_RESET, CUT_CLOSE, CUT_PLAINTEXT } cut_kind;

typedef struct cut_server {
  int fd;
  int stop[2];
  cut_kind kind;
  guint port;
  guint accepted;
  GThread *thread;
} cut_server;

static gpointer cut_server_run(gpointer data)
{
  cut_server *s = data;
  for(;;) {
    struct pollfd p[2] = { { s->fd, POLLIN, 0 }, { s->stop[0], POLLIN, 0 } };
    if(poll(p, 2, -1) < 0) {
      if(errno == EINTR)
        continue;
      break;
    }
    if(p[1].revents)
      break;
    int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if(c < 0)
      continue;
    g_atomic_int_inc(&s->accepted);
    char buf[2048];
    ssize_t n = read(c, buf, sizeof buf);   /* the ClientHello */
    (void)n;
    if(s->kind == CUT_RESET) {
      struct linger l = { 1, 0 };
      setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    else if(s->kind == CUT_PLAINTEXT) {
      static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      ssize_t w = write(c, reply, sizeof reply - 1);
      (void)w;
    }
    close(c);
  }
  return NULL;
}

static void cut_server_start(cut_server *s, cut_kind kind)
{
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->fd = dead_port(&s->port);
  g_assert_cmpint(listen(s->fd, 16), ==, 0);
  g_assert_cmpint(pipe(s->stop), ==, 0);
  s->thread = g_thread_new("cut-server", cut_server_run, s);
}

static void cut_server_stop(cut_server *s)
{
  g_assert_cmpint(write(s->stop[1], "x", 1), ==, 1);
  g_thread_join(s->thread);
  close(s->stop[0]);
  close(s->stop[1]);
  close(s->fd);
}

/* A handshake the transport cut short is a network failure (retried for a
 * GET); a peer that does not speak TLS is a TLS failure (not retried). */
static void test_tls_handshake_cut_short(void)
{
  static const struct {
    cut_kind kind;
    mp_error code;
    gboolean retried;
  } CASES[] = {
    { CUT_RESET, MP_ERROR_NETWORK, TRUE },
    { CUT_CLOSE, MP_ERROR_NETWORK, TRUE },
    { CUT_PLAINTEXT, MP_ERROR_TLS, FALSE },
  };
  for(gsize i = 0; i < G_N_ELEMENTS(CASES); i++) {
    cut_server s;
    cut_server_start(&s, CASES[i].kind);
    g_autoptr(mp_config) cfg = test_config();
    g_free(cfg->base_url);
    cfg->base_url = g_strdup_printf("https://127.0.0.1:%u", s.port);
    cfg->retry_total_ms = 300;
    mp_http *h = http_for(cfg);
    g_auto(tries) t = { 0 };
    mp_http_set_attempt_hook(h, record, &t);
    g_autoptr(GError) e = NULL;
    mp_http_response *resp = mp_http_send(h, mp_http_request_new("GET", "/x"), NULL, &e);
    g_assert_null(resp);
    g_test_message("case %zu: %s", i, e->message);
    g_assert_error(e, MP_ERROR, (int)CASES[i].code);
    if(CASES[i].retried)
      g_assert_cmpuint(t.n, >=, 2);
    else
      g_assert_cmpuint(t.n, ==, 1);
    g_assert_cmpuint(g_atomic_int_get(&s.accepted), ==, t.n);
    mp_http_free(h);
    cut_server_stop(&s);
  }
}

/* ---- proxy ---- */

/* The environment's proxy variables point at a dead port: plain libcurl
 * would use them, mp_http goes direct. */
static void test_proxy_environment_ignored(void)
{
  faults_clear();
  guint port = 0;
  int fd = dead_port(&port);
  g_autofree char *proxy = g_strdup_printf("http://127.0.0.1:%u", port);
  static const char *const VARS[] = { "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
  static const char *const NO[] = { "no_proxy", "NO_PROXY" };
  char *saved_no[G_N_ELEMENTS(NO)];
  for(gsize i = 0; i < G_N_ELEMENTS(VARS); i++)
    g_setenv(VARS[i], proxy, TRUE);
  for(gsize i = 0; i < G_N_ELEMENTS(NO); i++) {
    saved_no[i] = g_strdup(g_getenv(NO[i]));
    g_unsetenv(NO[i]);
  }

  /* The trap is real: libcurl left to itself takes the proxy. */
  g_autofree char *url = g_strconcat(portal_url, "/shinsei/v2/procedures", NULL);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, portal_ca);
  curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  g_assert_cmpint(rc, ==, CURLE_COULDNT_CONNECT);

  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_http_response) resp =
    mp_http_send(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(resp->status, ==, 200);
  g_assert_cmpuint(resp->attempts, ==, 1);
  mp_http_free(h);

  for(gsize i = 0; i < G_N_ELEMENTS(VARS); i++)
    g_unsetenv(VARS[i]);
  for(gsize i = 0; i < G_N_ELEMENTS(NO); i++) {
    if(saved_no[i])
      g_setenv(NO[i], saved_no[i], TRUE);
    g_free(saved_no[i]);
  }
  close(fd);
}

/* ---- cancellation ---- */

/* Cancelled while the server holds the answer back: G_IO_ERROR_CANCELLED
 * without waiting for it. */
static void test_cancel_during_stall(void)
{
  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\",\"stall_ms\":60000}");
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  mp_http_set_attempt_hook(h, record, &t);
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  waiter w = { 0 };
  mp_http_send_async(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), cancel, got_result,
                     &w);
  /* The rule wears out when the request reaches the server: from then on
   * it is being held. (Each poll is a request of its own on this context,
   * which also drives the stalled one.) */
  while(fault_times_left("/shinsei/v2/procedures") > 0)
    ;
  g_assert_null(w.res);
  g_cancellable_cancel(cancel);
  wait_result(&w);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp = mp_http_send_finish(h, w.res, &e);
  g_assert_null(resp);
  g_assert_error(e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint(t.n, ==, 1);
  g_assert_true(t.domain[0] == G_IO_ERROR);
  g_object_unref(w.res);
  mp_http_free(h);
}

/* Cancelled during the back-off of a 503 with Retry-After: 30: the wait
 * ends at once. */
static void test_cancel_during_backoff(void)
{
  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\","
            "\"status_503\":true,\"retry_after\":30}");
  g_autoptr(mp_config) cfg = test_config();
  cfg->retry_total_ms = 120000;
  mp_http *h = http_for(cfg);
  g_auto(tries) t = { 0 };
  t.cancel_on_wait = g_cancellable_new();
  mp_http_set_attempt_hook(h, record, &t);
  waiter w = { 0 };
  mp_http_send_async(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), t.cancel_on_wait,
                     got_result, &w);
  wait_result(&w);
  g_autoptr(GError) e = NULL;
  mp_http_response *resp = mp_http_send_finish(h, w.res, &e);
  g_assert_null(resp);
  g_assert_error(e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint(t.n, ==, 1);
  g_assert_cmpuint(t.status[0], ==, 503);
  g_assert_cmpuint(t.delay[0], >=, 30000);
  g_object_unref(w.res);
  mp_http_free(h);
}

/* Freeing the client with a request in flight: the request completes with
 * G_IO_ERROR_CANCELLED, later, from the main context. */
static void test_free_cancels_in_flight(void)
{
  faults_clear();
  fault_add("{\"method\":\"GET\",\"path_prefix\":\"/shinsei/v2/procedures\",\"stall_ms\":60000}");
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  waiter w = { 0 };
  mp_http_send_async(h, mp_http_request_new("GET", "/shinsei/v2/procedures"), NULL, got_result,
                     &w);
  while(fault_times_left("/shinsei/v2/procedures") > 0)
    ;
  mp_http_free(h);
  g_assert_null(w.res);   /* not from inside mp_http_free */
  wait_result(&w);
  g_autoptr(GError) e = NULL;
  g_assert_null(mp_http_send_finish(NULL, w.res, &e));
  g_assert_error(e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref(w.res);
}

/* ---- limits and configuration ---- */

/* An application whose form holds pad bytes, stored for 前橋市 (102016);
 * returns its arrive_id. */
static char *application_with_form(gsize pad)
{
  GString *b = g_string_sized_new(pad + 256);
  g_string_append(b, "{\"resident_id\":\"R102016-0001\",\"proc_id\":\"http-test\","
                     "\"city_code\":\"102016\",\"form\":{\"pad\":\"");
  for(gsize i = 0; i < pad; i++)
    g_string_append_c(b, (char)('a' + i % 26));
  g_string_append(b, "\"}}");
  g_autoptr(JsonNode) n = dev_call("POST", "/_dev/applications", b->str);
  g_string_free(b, TRUE);
  JsonObject *res = json_object_get_object_member(json_node_get_object(n), "results");
  return g_strdup(json_object_get_string_member(res, "arrive_id"));
}

/* An answer over MP_HTTP_MAX_RESPONSE: MP_ERROR_PROTOCOL, not retried. The
 * honest way to get one from portal-sim: an application whose form is
 * 8.5 MiB, fetched back through the municipality side's applicationGet
 * (the same call for a small form is answered). */
static void test_answer_over_cap_refused(void)
{
  faults_clear();
  /* The seed's 前橋市 account; the login sends the stored SHA-256. */
  g_autofree char *users_path = g_build_filename(portal_data, "municipal-users.json", NULL);
  g_autoptr(JsonParser) up = json_parser_new();
  g_autoptr(GError) e = NULL;
  g_assert_true(json_parser_load_from_file(up, users_path, &e));
  JsonArray *users = json_object_get_array_member(json_node_get_object(json_parser_get_root(up)),
                                                  "users");
  const char *hash = NULL;
  for(guint i = 0; i < json_array_get_length(users); i++) {
    JsonObject *u = json_array_get_object_element(users, i);
    if(!strcmp(json_object_get_string_member(u, "id"), "maebashi-kosodate"))
      hash = json_object_get_string_member(u, "password_sha256");
  }
  g_assert_nonnull(hash);
  g_autofree char *login = g_strdup_printf("{\"id\":\"maebashi-kosodate\",\"password\":\"%s\"}",
                                           hash);
  g_autoptr(JsonNode) ln = dev_call("POST", "/receive/ws/login", login);
  g_autofree char *token = g_strdup(json_object_get_string_member(json_node_get_object(ln), "token"));
  g_assert_nonnull(token);

  g_autofree char *small = application_with_form(1000000);
  g_autofree char *large = application_with_form(8u * 1024 * 1024 + 512 * 1024);
  g_autoptr(mp_config) cfg = test_config();
  mp_http *h = http_for(cfg);
  const char *ids[] = { small, large };
  for(int i = 0; i < 2; i++) {
    g_auto(tries) t = { 0 };
    mp_http_set_attempt_hook(h, record, &t);
    mp_http_request *r = mp_http_request_new("POST", "/receive/ws/applicationGet");
    mp_http_request_set_bearer(r, token);
    mp_http_request_set_content_type(r, "application/json");
    g_autofree char *body = g_strdup_printf("{\"receipt_no\":\"%s\"}", ids[i]);
    mp_http_request_add_bytes(r, g_bytes_new(body, strlen(body)));
    g_autoptr(GError) e2 = NULL;
    g_autoptr(mp_http_response) resp = mp_http_send(h, r, NULL, &e2);
    g_assert_cmpuint(t.n, ==, 1);
    if(i == 0) {
      /* 1 MB comes back whole (the answer buffer grows without losing
       * what it has). */
      g_assert_no_error(e2);
      g_assert_cmpuint(resp->status, ==, 200);
      g_autoptr(JsonNode) n = parse_json(resp->body);
      JsonObject *app = json_object_get_object_member(json_node_get_object(n), "application");
      const char *pad = json_object_get_string_member(json_object_get_object_member(app, "form"),
                                                      "pad");
      g_assert_cmpuint(strlen(pad), ==, 1000000);
      for(gsize k = 0; k < 1000000; k += 99991)
        g_assert_cmpint(pad[k], ==, 'a' + (int)(k % 26));
    }
    else {
      g_assert_null(resp);
      g_assert_error(e2, MP_ERROR, MP_ERROR_PROTOCOL);
      g_assert_nonnull(strstr(e2->message, "larger than"));
    }
  }
  mp_http_set_attempt_hook(h, NULL, NULL);
  mp_http_free(h);
}

static void test_config_errors(void)
{
  g_autoptr(mp_config) cfg = test_config();
  g_autoptr(GError) e = NULL;
  g_free(cfg->ca_file);
  cfg->ca_file = g_build_filename(tmpdir, "no-such-ca.pem", NULL);
  g_assert_null(mp_http_new(cfg, &e));
  g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull(strstr(e->message, "ca-file"));
  g_clear_error(&e);

  g_free(cfg->ca_file);
  cfg->ca_file = g_strdup(portal_ca);
  g_free(cfg->base_url);
  cfg->base_url = g_strdup("http://127.0.0.1:1");
  g_assert_null(mp_http_new(cfg, &e));
  g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull(strstr(e->message, "https://"));
  g_clear_error(&e);

  g_free(cfg->base_url);
  cfg->base_url = g_strdup(portal_url);
  cfg->client_cert = g_build_filename(tmpdir, "no-such-cert.pem", NULL);
  cfg->client_key = g_build_filename(tmpdir, "no-such-key.pem", NULL);
  g_assert_null(mp_http_new(cfg, &e));
  g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull(strstr(e->message, "client-cert"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  portal_url = g_getenv("PORTAL_URL");
  portal_ca = g_getenv("PORTAL_CA");
  portal_data = g_getenv("PORTAL_DATA");
  if(!portal_url || !portal_ca || !portal_data) {
    g_printerr("test_http: run under tests/harness/portalenv.py --dev "
               "(PORTAL_URL, PORTAL_CA, PORTAL_DATA)\n");
    return 1;
  }
  tmpdir = g_dir_make_tmp("test-http-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_autoptr(mp_config) ccfg = test_config();
  g_free(ccfg->terminal_id);
  ccfg->terminal_id = g_strdup("kiosk-http-control");
  control = http_for(ccfg);

  g_test_add_func("/http/get/json-and-connection-reused", test_get_json_reuses_connection);
  g_test_add_func("/http/post/parts-arrive-byte-for-byte", test_post_parts_arrive_exactly);
  g_test_add_func("/http/post/20mb-file-streams-in-pieces", test_post_20mb_file_streams);
  g_test_add_func("/http/put/raw-file-with-its-length", test_put_raw_file);
  g_test_add_func("/http/headers/bearer-is-sent", test_bearer_is_sent);
  g_test_add_func("/http/retry/dropped-upload-stored-once", test_retry_dropped_upload_stored_once);
  g_test_add_func("/http/retry/lost-answer-replayed", test_retry_lost_answer_replayed);
  g_test_add_func("/http/retry/503-honours-retry-after", test_retry_503_honours_retry_after);
  g_test_add_func("/http/retry/retry-after-beyond-bound-returns-503",
                  test_retry_after_beyond_bound_returns_503);
  g_test_add_func("/http/retry/stall-times-out-unless-retry-safe", test_stall_times_out_or_retries);
  g_test_add_func("/http/retry/post-without-key-not-retried", test_post_without_key_not_retried);
  g_test_add_func("/http/retry/dead-kept-alive-connection-rewinds-body",
                  test_dead_reused_connection_rewinds_body);
  g_test_add_func("/http/retry/file-changed-between-tries-is-package-error",
                  test_file_changed_between_tries);
  g_test_add_func("/http/connect/refused-within-retry-total", test_connect_refused_bounded);
  g_test_add_func("/http/tls/foreign-ca-refused-once", test_tls_foreign_ca_refused);
  g_test_add_func("/http/tls/wrong-pin-sends-nothing-right-pin-works", test_tls_pin);
  g_test_add_func("/http/tls/handshake-cut-short-is-network-plaintext-is-tls",
                  test_tls_handshake_cut_short);
  g_test_add_func("/http/proxy/environment-ignored", test_proxy_environment_ignored);
  g_test_add_func("/http/cancel/during-stalled-answer", test_cancel_during_stall);
  g_test_add_func("/http/cancel/during-back-off", test_cancel_during_backoff);
  g_test_add_func("/http/free/cancels-requests-in-flight", test_free_cancels_in_flight);
  g_test_add_func("/http/limits/answer-over-cap-refused", test_answer_over_cap_refused);
  g_test_add_func("/http/config/unreadable-files-and-http-url", test_config_errors);
  int rc = g_test_run();

  mp_http_free(control);
  g_autoptr(GError) e = NULL;
  g_autoptr(GFile) dir = g_file_new_for_path(tmpdir);
  g_autoptr(GFileEnumerator) en =
    g_file_enumerate_children(dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, &e);
  GFileInfo *fi;
  while(en && (fi = g_file_enumerator_next_file(en, NULL, NULL))) {
    g_autofree char *p = g_build_filename(tmpdir, g_file_info_get_name(fi), NULL);
    g_unlink(p);
    g_object_unref(fi);
  }
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
