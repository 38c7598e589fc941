/* bench_portal - load generator for portal-sim over loopback HTTPS: JPKI
 * logins per second and applications per second, with p50/p99 latency
 * (docs/performance.md). bench_portal.py starts portal-sim, makes the
 * packages and runs this; it can be run by hand too:
 *
 *   bench_portal --url https://127.0.0.1:PORT --cacert tls/ca.pem \
 *     --key auth.key.pem --cert auth.der --threads 4 --logins 400 \
 *     [--packages DIR --proc-id ID]
 *
 * logins: each one is POST /auth/v1/challenge, the nonce signed with the
 * profile's auth key (RSA PKCS#1 v1.5 over DigestInfo(SHA-256(nonce)), as
 * the card does), POST /auth/v1/jpki-login; the latency is the pair.
 * applies: each thread logs in once, then sends packages (*.zip in DIR,
 * each file once, so that the 24-hour de-duplication never answers); each
 * must be answered 201.
 * Every request carries its own Idempotency-Key; TLS is verified against
 * --cacert; connections are reused per thread. Any failed request fails the
 * run (exit 1): no row ever times an error path.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

typedef struct bench {
  const char *url, *cacert, *terminal, *proc_id;
  EVP_PKEY *key;
  char *cert_b64;
  unsigned threads, logins;
  GPtrArray *packages;         /* paths */
  atomic_uint next;            /* the next login / package to do */
  atomic_bool failed;
  GMutex lock;
  GArray *lat_login, *lat_apply;   /* double ms */
} bench;

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
  g_string_append_len(ud, p, (gssize)(size * n));
  return size * n;
}

static void fail(bench *b, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail(bench *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_portal: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  atomic_store(&b->failed, true);
}

/* POST body to path; returns the status (0 on transport failure) and the
 * answer in out. */
static long post(bench *b, CURL *c, const char *path, const char *token,
                 const char *body, size_t len, GString *out)
{
  char url[512], key[80], auth[600], term[200];
  g_autofree char *uuid = g_uuid_string_random();
  snprintf(key, sizeof(key), "Idempotency-Key: %s", uuid);
  snprintf(url, sizeof(url), "%s%s", b->url, path);
  snprintf(term, sizeof(term), "X-Terminal-Id: %s", b->terminal);
  struct curl_slist *h = NULL;
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, key);
  h = curl_slist_append(h, term);
  if(token) {
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  g_string_truncate(out, 0);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(h);
  long status = 0;
  if(rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  else
    fail(b, "POST %s: %s", path, curl_easy_strerror(rc));
  return status;
}

/* A string member of the answer, at the top or under "results". */
static char *answer_string(const GString *json, const char *name)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if(!json_parser_load_from_data(p, json->str, (gssize)json->len, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(p);
  if(!JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  JsonObject *o = json_node_get_object(root);
  if(json_object_has_member(o, "results") &&
     JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "results")))
    o = json_object_get_object_member(o, "results");
  JsonNode *n = json_object_get_member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? g_strdup(json_node_get_string(n)) : NULL;
}

/* One JPKI login; the access token, or NULL. */
static char *login(bench *b, CURL *c, GString *out)
{
  g_autofree char *chal = g_strdup_printf("{\"terminal_id\":\"%s\"}", b->terminal);
  long st = post(b, c, "/auth/v1/challenge", NULL, chal, strlen(chal), out);
  if(st != 200 && st != 201) {
    fail(b, "challenge: HTTP %ld %s", st, out->str);
    return NULL;
  }
  g_autofree char *id = answer_string(out, "challenge_id");
  g_autofree char *nonce64 = answer_string(out, "nonce");
  if(!id || !nonce64) {
    fail(b, "challenge: no challenge_id or nonce in %s", out->str);
    return NULL;
  }
  /* base64url without padding -> bytes */
  GString *std = g_string_new(nonce64);
  g_strdelimit(std->str, "-", '+');
  g_strdelimit(std->str, "_", '/');
  while(std->len % 4)
    g_string_append_c(std, '=');
  gsize nlen = 0;
  g_autofree guchar *nonce = g_base64_decode(std->str, &nlen);
  g_string_free(std, TRUE);
  uint8_t sig[512];
  size_t siglen = sizeof(sig);
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(b->key, NULL);
  uint8_t md[32];
  unsigned mdlen = 0;
  EVP_Digest(nonce, nlen, md, &mdlen, EVP_sha256(), NULL);
  bool ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
            EVP_PKEY_sign(pc, sig, &siglen, md, mdlen) == 1;
  EVP_PKEY_CTX_free(pc);
  if(!ok) {
    fail(b, "signing the nonce failed");
    return NULL;
  }
  g_autofree char *sig64 = g_base64_encode(sig, siglen);
  g_autofree char *body = g_strdup_printf(
    "{\"challenge_id\":\"%s\",\"auth_cert\":\"%s\",\"signature\":\"%s\"}",
    id, b->cert_b64, sig64);
  st = post(b, c, "/auth/v1/jpki-login", NULL, body, strlen(body), out);
  if(st != 200) {
    fail(b, "jpki-login: HTTP %ld %s", st, out->str);
    return NULL;
  }
  char *token = answer_string(out, "access_token");
  if(!token)
    fail(b, "jpki-login: no access_token in %s", out->str);
  return token;
}

static CURL *client(bench *b)
{
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_CAINFO, b->cacert);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  return c;
}

static void record(bench *b, GArray *a, double ms)
{
  g_mutex_lock(&b->lock);
  g_array_append_val(a, ms);
  g_mutex_unlock(&b->lock);
}

static void *login_worker(void *ud)
{
  bench *b = ud;
  CURL *c = client(b);
  GString *out = g_string_new(NULL);
  while(!atomic_load(&b->failed) && atomic_fetch_add(&b->next, 1) < b->logins) {
    double t0 = now_ms();
    g_autofree char *token = login(b, c, out);
    if(token)
      record(b, b->lat_login, now_ms() - t0);
  }
  g_string_free(out, TRUE);
  curl_easy_cleanup(c);
  return NULL;
}

static void *apply_worker(void *ud)
{
  bench *b = ud;
  CURL *c = client(b);
  GString *out = g_string_new(NULL);
  g_autofree char *token = login(b, c, out);
  unsigned i;
  while(token && !atomic_load(&b->failed) &&
        (i = atomic_fetch_add(&b->next, 1)) < b->packages->len) {
    const char *path = g_ptr_array_index(b->packages, i);
    g_autofree char *zip = NULL;
    gsize len = 0;
    if(!g_file_get_contents(path, &zip, &len, NULL)) {
      fail(b, "cannot read %s", path);
      break;
    }
    g_autofree char *b64 = g_base64_encode((const guchar *)zip, len);
    g_autofree char *name = g_path_get_basename(path);
    g_autofree char *body = g_strdup_printf(
      "{\"proc_id\":\"%s\",\"send_file\":{\"file_name\":\"%s\",\"file_data\":\"%s\"}}",
      b->proc_id, name, b64);
    double t0 = now_ms();
    long st = post(b, c, "/shinsei/v2/apply", token, body, strlen(body), out);
    if(st != 201) {
      fail(b, "apply %s: HTTP %ld %.400s", name, st, out->str);
      break;
    }
    record(b, b->lat_apply, now_ms() - t0);
  }
  g_string_free(out, TRUE);
  curl_easy_cleanup(c);
  return NULL;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile. */
static double pct(GArray *a, double p)
{
  if(!a->len)
    return 0;
  size_t k = (size_t)(p / 100.0 * a->len + 0.999999);
  k = k < 1 ? 1 : k > a->len ? a->len : k;
  return g_array_index(a, double, k - 1);
}

static bool run(bench *b, void *(*fn)(void *), GArray *lat, const char *what,
                unsigned n, bool markdown)
{
  atomic_store(&b->next, 0);
  pthread_t th[64];
  double t0 = now_ms();
  for(unsigned i = 0; i < b->threads; i++)
    pthread_create(&th[i], NULL, fn, b);
  for(unsigned i = 0; i < b->threads; i++)
    pthread_join(th[i], NULL);
  double secs = (now_ms() - t0) / 1e3;
  if(atomic_load(&b->failed) || lat->len != n)
    return false;
  qsort(lat->data, lat->len, sizeof(double), cmp_double);
  printf(markdown ? "| %s | %u | %u | %.1f | %.1f | %.1f |\n"
                  : "%-30s %8u %8u %10.1f %9.1f %9.1f\n",
         what, n, b->threads, n / secs, pct(lat, 50), pct(lat, 99));
  return true;
}

static int usage(void)
{
  fputs("usage: bench_portal --url URL --cacert FILE --key AUTH_KEY.pem --cert AUTH.der\n"
        "                    [--terminal ID] [--threads N] [--logins N]\n"
        "                    [--packages DIR --proc-id ID] [--markdown]\n", stderr);
  return 2;
}

int main(int argc, char **argv)
{
  bench b = { .terminal = "bench-terminal", .threads = 4, .logins = 200 };
  const char *key_path = NULL, *cert_path = NULL, *pkg_dir = NULL;
  bool markdown = false;
  for(int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if(!strcmp(a, "--markdown")) {
      markdown = true;
      continue;
    }
    if(!v)
      return usage();
    i++;
    if(!strcmp(a, "--url")) b.url = v;
    else if(!strcmp(a, "--cacert")) b.cacert = v;
    else if(!strcmp(a, "--key")) key_path = v;
    else if(!strcmp(a, "--cert")) cert_path = v;
    else if(!strcmp(a, "--terminal")) b.terminal = v;
    else if(!strcmp(a, "--threads")) b.threads = (unsigned)atoi(v);
    else if(!strcmp(a, "--logins")) b.logins = (unsigned)atoi(v);
    else if(!strcmp(a, "--packages")) pkg_dir = v;
    else if(!strcmp(a, "--proc-id")) b.proc_id = v;
    else return usage();
  }
  if(!b.url || !b.cacert || !key_path || !cert_path || !b.threads || b.threads > 64 ||
     (pkg_dir && !b.proc_id))
    return usage();
  FILE *f = fopen(key_path, "r");
  b.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if(f)
    fclose(f);
  g_autofree char *der = NULL;
  gsize der_len = 0;
  if(!b.key || !g_file_get_contents(cert_path, &der, &der_len, NULL)) {
    fprintf(stderr, "bench_portal: cannot read %s or %s\n", key_path, cert_path);
    return 2;
  }
  b.cert_b64 = g_base64_encode((const guchar *)der, der_len);
  b.packages = g_ptr_array_new_with_free_func(g_free);
  if(pkg_dir) {
    g_autoptr(GDir) d = g_dir_open(pkg_dir, 0, NULL);
    const char *name;
    while(d && (name = g_dir_read_name(d)))
      if(g_str_has_suffix(name, ".zip"))
        g_ptr_array_add(b.packages, g_build_filename(pkg_dir, name, NULL));
  }
  g_mutex_init(&b.lock);
  b.lat_login = g_array_new(FALSE, FALSE, sizeof(double));
  b.lat_apply = g_array_new(FALSE, FALSE, sizeof(double));
  curl_global_init(CURL_GLOBAL_DEFAULT);

  if(markdown)
    printf("| operation | requests | threads | per second | p50 ms | p99 ms |\n"
           "|---|--:|--:|--:|--:|--:|\n");
  else
    printf("%-30s %8s %8s %10s %9s %9s\n", "operation", "requests", "threads",
           "per second", "p50 ms", "p99 ms");
  bool ok = run(&b, login_worker, b.lat_login, "JPKI login (challenge+login)",
                b.logins, markdown);
  if(ok && b.packages->len) {
    /* Each thread's own login is not counted in the apply row. */
    g_autofree char *what = g_strdup_printf("apply (%s)", "signed package");
    ok = run(&b, apply_worker, b.lat_apply, what, b.packages->len, markdown);
  }
  curl_global_cleanup();
  EVP_PKEY_free(b.key);
  g_free(b.cert_b64);
  g_ptr_array_unref(b.packages);
  g_array_unref(b.lat_login);
  g_array_unref(b.lat_apply);
  if(!ok) {
    fprintf(stderr, "bench_portal: FAILED\n");
    return 1;
  }
  return 0;
}
