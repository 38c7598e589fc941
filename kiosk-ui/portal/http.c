/* http.c - libmynaportal's HTTPS transport: libcurl's multi interface on a
 * GLib main context (docs/portal-client.md, "HTTP transport").
 *
 * Shape: one CURLM per mp_http. libcurl tells us which sockets to watch
 * (on_curl_socket) and when to call it back (on_curl_timer); both become
 * GSources on the context that was thread-default in mp_http_new, and their
 * dispatch calls curl_multi_socket_action. Finished transfers are collected
 * with curl_multi_info_read. Each try of a request is a fresh easy handle on
 * the same multi handle, so the connection cache (keep-alive) is shared by
 * every request and every retry.
 *
 * Callbacks of the caller (GTask completions, the attempt hook) never run
 * while libcurl is on the stack: completions are queued during a dispatch
 * and returned at its very end, after which the dispatch touches nothing of
 * the mp_http (a completion may free it). */

#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mynaportal/error.h"

/* Base64 pieces: 49152 raw bytes encode to exactly 64 KiB. */
#define RAW_PIECE 49152u
#define B64_PIECE 65536u

/* ---- requests ---- */

typedef struct body_part {
  GBytes *bytes;        /* a bytes part, or NULL for a file */
  char *path;           /* a file part */
  gboolean base64;
  guint64 file_size;    /* the file's size at the first try */
  gboolean sized;       /* file_size is known */
  guint64 length;       /* bytes on the wire */
  int fd;               /* open during a try, else -1 */
} body_part;

struct mp_http_request {
  char *method;
  char *path;
  char *bearer;
  char *idempotency_key;
  char *content_type;
  GPtrArray *parts;     /* body_part * */
};

static void wipe_free(char *s)
{
  if(!s)
    return;
  explicit_bzero(s, strlen(s));
  g_free(s);
}

static void part_close(body_part *p)
{
  if(p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
}

static void part_free(gpointer data)
{
  body_part *p = data;
  part_close(p);
  if(p->bytes)
    g_bytes_unref(p->bytes);
  g_free(p->path);
  g_free(p);
}

mp_http_request *mp_http_request_new(const char *method, const char *path)
{
  g_return_val_if_fail(method && path && path[0] == '/', NULL);
  mp_http_request *r = g_new0(mp_http_request, 1);
  r->method = g_strdup(method);
  r->path = g_strdup(path);
  r->parts = g_ptr_array_new_with_free_func(part_free);
  return r;
}

void mp_http_request_free(mp_http_request *r)
{
  if(!r)
    return;
  g_free(r->method);
  g_free(r->path);
  wipe_free(r->bearer);
  g_free(r->idempotency_key);
  g_free(r->content_type);
  g_ptr_array_unref(r->parts);
  g_free(r);
}

void mp_http_request_set_bearer(mp_http_request *r, const char *token)
{
  wipe_free(r->bearer);
  r->bearer = g_strdup(token);
}

void mp_http_request_set_idempotency_key(mp_http_request *r, const char *key)
{
  g_free(r->idempotency_key);
  r->idempotency_key = key && *key ? g_strdup(key) : NULL;
}

void mp_http_request_set_content_type(mp_http_request *r, const char *type)
{
  g_free(r->content_type);
  r->content_type = g_strdup(type);
}

void mp_http_request_add_bytes(mp_http_request *r, GBytes *bytes)
{
  g_return_if_fail(bytes);
  body_part *p = g_new0(body_part, 1);
  p->bytes = bytes;   /* taken: client.c passes its own reference */
  p->length = g_bytes_get_size(bytes);
  p->fd = -1;
  g_ptr_array_add(r->parts, p);
}

void mp_http_request_add_file(mp_http_request *r, const char *path, gboolean base64)
{
  g_return_if_fail(path);
  body_part *p = g_new0(body_part, 1);
  p->path = g_strdup(path);
  p->base64 = base64;
  p->fd = -1;
  g_ptr_array_add(r->parts, p);
}

gboolean mp_http_request_is_retry_safe(const mp_http_request *r)
{
  return !strcmp(r->method, "GET") || r->idempotency_key != NULL;
}

void mp_http_response_free(mp_http_response *resp)
{
  if(!resp)
    return;
  if(resp->body)
    g_bytes_unref(resp->body);
  g_free(resp->content_type);
  g_free(resp);
}

/* ---- the client ---- */

typedef struct http_socket {
  struct mp_http *http;
  curl_socket_t fd;
  GSource *source;
} http_socket;

struct mp_http {
  mp_config *cfg;
  char *base_url;          /* without a trailing slash */
  GMainContext *ctx;
  CURLM *multi;
  GSource *timer;          /* libcurl's time-out, NULL when none */
  GHashTable *sockets;     /* set of http_socket * (owned) */
  GHashTable *transfers;   /* set of transfer * in flight or waiting */
  mp_http_attempt_fn hook;
  gpointer hook_user;
  guint64 connects;        /* new connections over every try */
  gboolean closing;
};

typedef struct transfer {
  mp_http *http;
  GTask *task;
  mp_http_request *req;
  char *url;
  char *where;             /* "POST /_dev/echo": method and path without the query */
  const char *path_only;   /* points into where */
  GSource *cancel_source;
  GSource *wait;           /* the back-off before the next try */
  gint64 first_start_us;
  guint attempt;
  /* one try */
  CURL *easy;
  struct curl_slist *headers;
  guint64 body_length;
  guint part;              /* where the body reader is */
  guint64 part_pos;
  guchar *raw;             /* base64 pieces, when a part needs them */
  char *b64;
  GError *read_error;      /* the reader's own failure (MP_ERROR_PACKAGE) */
  guchar *answer;          /* the body of the answer, wiped when dropped */
  gsize answer_len;
  gsize answer_cap;
  gboolean too_large;
  char *content_type;
  guint retry_after_s;
  gboolean replayed;
  char errbuf[CURL_ERROR_SIZE];
  /* the outcome, set once */
  mp_http_response *resp;
  GError *error;
  gboolean defer;          /* return from an idle source (mp_http_free) */
} transfer;

static void wipe_answer(transfer *t)
{
  if(t->answer) {
    explicit_bzero(t->answer, t->answer_len);
    g_free(t->answer);
  }
  t->answer = NULL;
  t->answer_len = t->answer_cap = 0;
}

static void wipe_headers(struct curl_slist *list)
{
  for(struct curl_slist *l = list; l; l = l->next)
    explicit_bzero(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

static void close_parts(transfer *t)
{
  for(guint i = 0; i < t->req->parts->len; i++)
    part_close(g_ptr_array_index(t->req->parts, i));
}

/* Ends the try under way, if any: the easy handle leaves the multi handle
 * (which keeps the connection unless it is broken). */
static void end_try(transfer *t)
{
  if(t->easy) {
    curl_multi_remove_handle(t->http->multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
  }
  g_clear_pointer(&t->headers, wipe_headers);
  close_parts(t);
  g_clear_error(&t->read_error);
  g_clear_pointer(&t->content_type, g_free);
  wipe_answer(t);
  t->too_large = FALSE;
  t->retry_after_s = 0;
  t->replayed = FALSE;
  t->errbuf[0] = '\0';
}

/* Take a source off its context and drop our reference; NULL is fine. */
static void source_drop(GSource **source)
{
  if(*source) {
    g_source_destroy(*source);
    g_clear_pointer(source, g_source_unref);
  }
}

static void transfer_free(transfer *t)
{
  g_assert(!t->easy && !t->headers);   /* end_try ran while the mp_http was there */
  close_parts(t);
  source_drop(&t->cancel_source);
  source_drop(&t->wait);
  mp_http_request_free(t->req);
  g_free(t->url);
  g_free(t->where);
  g_free(t->raw);
  g_free(t->b64);
  wipe_answer(t);
  g_free(t->content_type);
  g_clear_error(&t->read_error);
  mp_http_response_free(t->resp);
  g_clear_error(&t->error);
  g_clear_object(&t->task);
  g_free(t);
}

/* The transfer is over (resp or error set): it leaves the mp_http and is
 * queued to be returned at the end of the current dispatch. */
static void finish(transfer *t, GQueue *done)
{
  g_hash_table_remove(t->http->transfers, t);
  source_drop(&t->cancel_source);
  source_drop(&t->wait);
  t->http = NULL;
  g_queue_push_tail(done, t);
}

static gboolean return_deferred(gpointer data)
{
  transfer *t = data;
  if(t->error)
    g_task_return_error(t->task, g_steal_pointer(&t->error));
  else
    g_task_return_pointer(t->task, g_steal_pointer(&t->resp),
                          (GDestroyNotify)mp_http_response_free);
  transfer_free(t);
  return G_SOURCE_REMOVE;
}

/* Return the finished transfers to their callers. Last thing a dispatch
 * does: a callback may free the mp_http. */
static void return_done(GQueue *done)
{
  transfer *t;
  while((t = g_queue_pop_head(done))) {
    if(t->defer) {
      GSource *idle = g_idle_source_new();
      g_source_set_callback(idle, return_deferred, t, NULL);
      g_source_attach(idle, g_task_get_context(t->task));
      g_source_unref(idle);
    }
    else
      return_deferred(t);
  }
}

/* ---- libcurl <-> GLib ---- */

static void drain(mp_http *http, GQueue *done);

static gboolean on_socket_ready(int fd, GIOCondition cond, gpointer data)
{
  http_socket *s = data;
  mp_http *http = s->http;   /* s may be gone after socket_action */
  int action = 0;
  if(cond & G_IO_IN)
    action |= CURL_CSELECT_IN;
  if(cond & G_IO_OUT)
    action |= CURL_CSELECT_OUT;
  if(cond & (G_IO_ERR | G_IO_HUP))
    action |= CURL_CSELECT_ERR;
  int running = 0;
  curl_multi_socket_action(http->multi, fd, action, &running);
  GQueue done = G_QUEUE_INIT;
  drain(http, &done);
  return_done(&done);
  return G_SOURCE_CONTINUE;
}

static void socket_free(gpointer data)
{
  http_socket *s = data;
  source_drop(&s->source);
  g_free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl wants. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  mp_http *http = userp;
  http_socket *s = socketp;
  if(what == CURL_POLL_REMOVE) {
    if(s)
      g_hash_table_remove(http->sockets, s);
    return 0;
  }
  if(!s) {
    s = g_new0(http_socket, 1);
    s->http = http;
    s->fd = fd;
    g_hash_table_add(http->sockets, s);
    curl_multi_assign(http->multi, fd, s);
  }
  else
    source_drop(&s->source);
  GIOCondition cond = 0;
  if(what & CURL_POLL_IN)
    cond |= G_IO_IN;
  if(what & CURL_POLL_OUT)
    cond |= G_IO_OUT;
  s->source = g_unix_fd_source_new(fd, cond);
  g_source_set_callback(s->source, G_SOURCE_FUNC(on_socket_ready), s, NULL);
  g_source_attach(s->source, http->ctx);
  return 0;
}

static gboolean on_timer(gpointer data)
{
  mp_http *http = data;
  /* This source ends here; libcurl may ask for a new one meanwhile. */
  g_clear_pointer(&http->timer, g_source_unref);
  int running = 0;
  curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  GQueue done = G_QUEUE_INIT;
  drain(http, &done);
  return_done(&done);
  return G_SOURCE_REMOVE;
}

/* CURLMOPT_TIMERFUNCTION: call socket_action(TIMEOUT) in timeout_ms; -1
 * removes the timer. Never calls libcurl itself. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
  mp_http *http = userp;
  source_drop(&http->timer);
  if(timeout_ms >= 0 && !http->closing) {
    http->timer = g_timeout_source_new((guint)MIN(timeout_ms, (long)G_MAXINT));
    g_source_set_callback(http->timer, on_timer, http, NULL);
    g_source_attach(http->timer, http->ctx);
  }
  return 0;
}

/* ---- the body ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 of n bytes, padded: 4 * ceil(n / 3) characters. */
static gsize base64_encode(const guchar *in, gsize n, char *out)
{
  gsize o = 0, i = 0;
  for(; i + 3 <= n; i += 3) {
    guint32 v = (guint32)in[i] << 16 | (guint32)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  if(n - i == 1) {
    guint32 v = (guint32)in[i] << 16;
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  }
  else if(n - i == 2) {
    guint32 v = (guint32)in[i] << 16 | (guint32)in[i + 1] << 8;
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = '=';
  }
  return o;
}

static void set_position(transfer *t, guint64 pos)
{
  t->part = 0;
  while(t->part < t->req->parts->len) {
    body_part *p = g_ptr_array_index(t->req->parts, t->part);
    if(pos < p->length)
      break;
    pos -= p->length;
    t->part++;
  }
  t->part_pos = pos;
}

static void file_failed(transfer *t, const body_part *p, const char *what, int err)
{
  if(t->read_error)
    return;
  if(err)
    mp_set_error(&t->read_error, MP_ERROR_PACKAGE, NULL, "%s: %s %s: %s", t->where, what,
                 p->path, g_strerror(err));
  else
    mp_set_error(&t->read_error, MP_ERROR_PACKAGE, NULL, "%s: %s %s", t->where, what, p->path);
}

/* Exactly n bytes of the file at off; a file that got shorter is an error. */
static gboolean pread_full(transfer *t, body_part *p, guchar *dst, gsize n, guint64 off)
{
  while(n) {
    ssize_t got = pread(p->fd, dst, n, (off_t)off);
    if(got < 0 && errno == EINTR)
      continue;
    if(got < 0) {
      file_failed(t, p, "cannot read", errno);
      return FALSE;
    }
    if(got == 0) {
      file_failed(t, p, "got shorter while it was being sent:", 0);
      return FALSE;
    }
    dst += got;
    off += (guint64)got;
    n -= (gsize)got;
  }
  return TRUE;
}

/* Up to want bytes of the base64 text of a file part from t->part_pos.
 * Each piece starts on a 3-byte group of the file (its 4-character group
 * in the text), so a read that ended inside a group encodes that group
 * again and skips what was already sent. */
static gssize read_base64(transfer *t, body_part *p, char *dst, gsize want)
{
  guint64 group = t->part_pos / 4;
  gsize skip = (gsize)(t->part_pos % 4);
  guint64 raw_off = group * 3;
  gsize groups = MIN((skip + want + 3) / 4, B64_PIECE / 4);
  gsize raw_n = (gsize)MIN((guint64)groups * 3, p->file_size - raw_off);
  if(!pread_full(t, p, t->raw, raw_n, raw_off))
    return -1;
  gsize enc_n = base64_encode(t->raw, raw_n, t->b64);
  gsize n = MIN(want, enc_n - skip);
  memcpy(dst, t->b64 + skip, n);
  return (gssize)n;
}

/* A file part sent to its end must still have the size it was sent with. */
static gboolean file_unchanged(transfer *t, body_part *p)
{
  struct stat st;
  if(fstat(p->fd, &st) != 0) {
    file_failed(t, p, "cannot read", errno);
    return FALSE;
  }
  if((guint64)st.st_size != p->file_size) {
    file_failed(t, p, "changed while it was being sent:", 0);
    return FALSE;
  }
  return TRUE;
}

/* CURLOPT_READFUNCTION: the parts, in order, as they go out. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *userp)
{
  transfer *t = userp;
  size_t want = size * nitems, done = 0;
  while(done < want && t->part < t->req->parts->len) {
    body_part *p = g_ptr_array_index(t->req->parts, t->part);
    guint64 left = p->length - t->part_pos;
    gsize take = (gsize)MIN((guint64)(want - done), left);
    gssize got;
    if(p->bytes) {
      memcpy(buf + done, (const guchar *)g_bytes_get_data(p->bytes, NULL) + t->part_pos, take);
      got = (gssize)take;
    }
    else if(p->base64)
      got = read_base64(t, p, buf + done, take);
    else
      got = pread_full(t, p, (guchar *)buf + done, take, t->part_pos) ? (gssize)take : -1;
    if(got < 0)
      return CURL_READFUNC_ABORT;
    done += (size_t)got;
    t->part_pos += (guint64)got;
    if(t->part_pos == p->length) {
      if(!p->bytes && !file_unchanged(t, p))
        return CURL_READFUNC_ABORT;
      t->part++;
      t->part_pos = 0;
    }
  }
  return done;
}

/* CURLOPT_SEEKFUNCTION: libcurl rewinds when it sends the body again on a
 * fresh connection (a reused one that turned out dead). */
static int on_seek(void *userp, curl_off_t offset, int origin)
{
  transfer *t = userp;
  if(origin != SEEK_SET || offset < 0 || (guint64)offset > t->body_length)
    return CURL_SEEKFUNC_FAIL;
  set_position(t, (guint64)offset);
  return CURL_SEEKFUNC_OK;
}

/* Open the file parts for a try. The first try fixes each file's size (and
 * so the Content-Length); a later try finding another size is an error of
 * the package, not of the network. */
static gboolean open_parts(transfer *t)
{
  t->body_length = 0;
  for(guint i = 0; i < t->req->parts->len; i++) {
    body_part *p = g_ptr_array_index(t->req->parts, i);
    if(p->path) {
      p->fd = open(p->path, O_RDONLY | O_CLOEXEC);
      if(p->fd < 0) {
        file_failed(t, p, "cannot open", errno);
        return FALSE;
      }
      struct stat st;
      if(fstat(p->fd, &st) != 0) {
        file_failed(t, p, "cannot read", errno);
        return FALSE;
      }
      if(!S_ISREG(st.st_mode)) {
        file_failed(t, p, "is not a regular file:", 0);
        return FALSE;
      }
      if(!p->sized) {
        p->file_size = (guint64)st.st_size;
        p->sized = TRUE;
        p->length = p->base64 ? (p->file_size + 2) / 3 * 4 : p->file_size;
      }
      else if((guint64)st.st_size != p->file_size) {
        file_failed(t, p, "changed between two tries:", 0);
        return FALSE;
      }
      if(p->base64 && !t->raw) {
        t->raw = g_malloc(RAW_PIECE);
        t->b64 = g_malloc(B64_PIECE);
      }
    }
    t->body_length += p->length;
  }
  set_position(t, 0);
  return TRUE;
}

/* ---- the answer ---- */

/* CURLOPT_WRITEFUNCTION: the body, under MP_HTTP_MAX_RESPONSE. Grown by
 * hand so that no copy is left behind unwiped (answers carry tokens). */
static size_t on_write(char *buf, size_t size, size_t nitems, void *userp)
{
  transfer *t = userp;
  size_t n = size * nitems;
  if(n > MP_HTTP_MAX_RESPONSE - t->answer_len) {
    t->too_large = TRUE;
    return CURL_WRITEFUNC_ERROR;
  }
  if(t->answer_len + n > t->answer_cap) {
    gsize cap = MAX(t->answer_cap * 2, (gsize)16384);
    cap = MAX(cap, t->answer_len + n);
    cap = MIN(cap, (gsize)MP_HTTP_MAX_RESPONSE);
    guchar *grown = g_malloc(cap);
    gsize len = t->answer_len;
    if(len)
      memcpy(grown, t->answer, len);
    wipe_answer(t);
    t->answer = grown;
    t->answer_len = len;
    t->answer_cap = cap;
  }
  memcpy(t->answer + t->answer_len, buf, n);
  t->answer_len += n;
  return n;
}

static guint parse_retry_after(const char *v)
{
  guint64 secs;
  if(g_ascii_isdigit(v[0])) {
    /* Delta-seconds; absurd values are capped, not rejected. */
    const char *end = v;
    while(g_ascii_isdigit(*end))
      end++;
    if(*end)
      return 0;
    if(end - v > 9)
      return 999999999u;
    return g_ascii_string_to_unsigned(v, 10, 0, 999999999u, &secs, NULL) ? (guint)secs : 0;
  }
  /* An HTTP-date is turned into the whole seconds from now; one in the
   * past, or one that does not parse, means "no wait asked". */
  time_t when = curl_getdate(v, NULL);
  time_t now = time(NULL);
  if(when == (time_t)-1 || when <= now)
    return 0;
  return (guint)MIN((guint64)(when - now), (guint64)999999999u);
}

/* CURLOPT_HEADERFUNCTION: the headers we act on, of the last answer (a 1xx
 * answer's headers are forgotten when the next status line comes). */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userp)
{
  transfer *t = userp;
  size_t n = size * nitems;
  if(n >= 5 && !g_ascii_strncasecmp(buf, "HTTP/", 5)) {
    g_clear_pointer(&t->content_type, g_free);
    t->retry_after_s = 0;
    t->replayed = FALSE;
    return n;
  }
  const char *colon = memchr(buf, ':', n);
  if(!colon)
    return n;
  gsize name_len = (gsize)(colon - buf);
  const char *v = colon + 1, *end = buf + n;
  while(v < end && (*v == ' ' || *v == '\t'))
    v++;
  while(end > v && g_ascii_isspace(end[-1]))
    end--;
  g_autofree char *value = g_strndup(v, (gsize)(end - v));
#define IS(name) (name_len == sizeof(name) - 1 && !g_ascii_strncasecmp(buf, name, name_len))
  if(IS("Content-Type")) {
    g_free(t->content_type);
    t->content_type = g_steal_pointer(&value);
  }
  else if(IS("Retry-After"))
    t->retry_after_s = parse_retry_after(value);
  else if(IS("Idempotent-Replayed"))
    t->replayed = !g_ascii_strcasecmp(value, "true");
#undef IS
  return n;
}

/* ---- one try ---- */

#define SET(opt, val)                                   \
  do {                                                  \
    if(!rc) {                                           \
      rc = curl_easy_setopt(e, opt, val);               \
      if(rc && failed)                                  \
        *failed = #opt;                                 \
    }                                                   \
  } while(0)

/* What every handle of this mp_http has: TLS, proxy, time-outs. Also run
 * once by mp_http_new, so that an option this libcurl refuses is a
 * configuration error at start-up rather than on the first request. */
static CURLcode apply_common(const mp_http *http, CURL *e, const char **failed)
{
  const mp_config *cfg = http->cfg;
  CURLcode rc = CURLE_OK;
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_PROTOCOLS_STR, "https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  /* Only the configured CA: no system store, no CA directory. */
  SET(CURLOPT_CAINFO, cfg->ca_file);
  SET(CURLOPT_CAPATH, NULL);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  if(cfg->pin)
    SET(CURLOPT_PINNEDPUBLICKEY, cfg->pin);
  if(cfg->client_cert) {
    SET(CURLOPT_SSLCERT, cfg->client_cert);
    SET(CURLOPT_SSLCERTTYPE, "PEM");
    if(cfg->client_key) {
      SET(CURLOPT_SSLKEY, cfg->client_key);
      SET(CURLOPT_SSLKEYTYPE, "PEM");
    }
  }
  /* "" switches the *_proxy environment variables off. */
  SET(CURLOPT_PROXY, cfg->proxy ? cfg->proxy : "");
  if(cfg->proxy) {
    /* An https:// proxy is verified against the same CA file. */
    SET(CURLOPT_PROXY_CAINFO, cfg->ca_file);
    SET(CURLOPT_PROXY_CAPATH, NULL);
    SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
  }
  if(cfg->connect_timeout_ms)
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
  if(cfg->low_speed_time_s) {
    SET(CURLOPT_LOW_SPEED_TIME, (long)cfg->low_speed_time_s);
    SET(CURLOPT_LOW_SPEED_LIMIT, (long)MAX(cfg->low_speed_limit, 1u));
  }
  SET(CURLOPT_UPLOAD_BUFFERSIZE, (long)B64_PIECE);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  return rc;
}

static gboolean header_value_ok(const char *v)
{
  for(const char *c = v; *c; c++)
    if((guchar)*c < 0x20 || *c == 0x7f)
      return FALSE;
  return TRUE;
}

static CURLcode apply_request(transfer *t, CURL *e, const char **failed)
{
  const mp_http_request *req = t->req;
  gboolean has_body = req->parts->len > 0 || strcmp(req->method, "GET");
  CURLcode rc = CURLE_OK;
  SET(CURLOPT_URL, t->url);
  SET(CURLOPT_PRIVATE, t);
  SET(CURLOPT_ERRORBUFFER, t->errbuf);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, t);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, t);
  /* libcurl sends a request again by itself when a reused connection
   * turns out dead before any byte of the answer came, and cannot tell
   * "closed while idle" from "closed after the server acted": a request
   * that must not go twice gets a connection of its own. */
  if(!mp_http_request_is_retry_safe(req))
    SET(CURLOPT_FRESH_CONNECT, 1L);
  if(!strcmp(req->method, "GET") && !req->parts->len)
    SET(CURLOPT_HTTPGET, 1L);
  else if(!strcmp(req->method, "DELETE") && !req->parts->len)
    SET(CURLOPT_CUSTOMREQUEST, "DELETE");
  else {
    SET(CURLOPT_READFUNCTION, on_read);
    SET(CURLOPT_READDATA, t);
    SET(CURLOPT_SEEKFUNCTION, on_seek);
    SET(CURLOPT_SEEKDATA, t);
    if(!strcmp(req->method, "PUT")) {
      SET(CURLOPT_UPLOAD, 1L);
      SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)t->body_length);
    }
    else {
      SET(CURLOPT_POST, 1L);
      SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_length);
      if(strcmp(req->method, "POST"))
        SET(CURLOPT_CUSTOMREQUEST, req->method);
    }
  }
  if(rc)
    return rc;

  GString *h = g_string_sized_new(128);
  struct curl_slist *l = NULL;
  if(t->http->cfg->terminal_id) {
    g_string_printf(h, "X-Terminal-Id: %s", t->http->cfg->terminal_id);
    l = curl_slist_append(l, h->str);
  }
  l = curl_slist_append(l, "Accept: application/json");
  if(req->content_type) {
    g_string_printf(h, "Content-Type: %s", req->content_type);
    l = curl_slist_append(l, h->str);
  }
  else if(has_body)
    /* Not libcurl's application/x-www-form-urlencoded. */
    l = curl_slist_append(l, "Content-Type:");
  if(req->idempotency_key) {
    g_string_printf(h, "Idempotency-Key: %s", req->idempotency_key);
    l = curl_slist_append(l, h->str);
  }
  if(req->bearer) {
    g_string_printf(h, "Authorization: Bearer %s", req->bearer);
    l = curl_slist_append(l, h->str);
  }
  /* No 100-continue round trip before every upload. */
  l = curl_slist_append(l, "Expect:");
  explicit_bzero(h->str, h->allocated_len);
  g_string_free(h, TRUE);
  t->headers = l;
  SET(CURLOPT_HTTPHEADER, t->headers);
  return rc;
}

#undef SET

static void try_failed_early(transfer *t, GError *error, GQueue *done);

/* Start try number t->attempt + 1. */
static void start_try(transfer *t, GQueue *done)
{
  mp_http *http = t->http;
  t->attempt++;
  if(!open_parts(t)) {
    try_failed_early(t, g_steal_pointer(&t->read_error), done);
    return;
  }
  t->easy = curl_easy_init();
  if(!t->easy) {
    GError *e = NULL;
    mp_set_error(&e, MP_ERROR_NETWORK, NULL, "%s: out of memory", t->where);
    try_failed_early(t, e, done);
    return;
  }
  const char *failed = "?";
  CURLcode rc = apply_common(http, t->easy, &failed);
  if(!rc)
    rc = apply_request(t, t->easy, &failed);
  if(rc) {
    GError *e = NULL;
    mp_set_error(&e, MP_ERROR_CONFIG, NULL, "%s: libcurl refused %s: %s", t->where, failed,
                 curl_easy_strerror(rc));
    try_failed_early(t, e, done);
    return;
  }
  CURLMcode mc = curl_multi_add_handle(http->multi, t->easy);
  if(mc) {
    GError *e = NULL;
    mp_set_error(&e, MP_ERROR_NETWORK, NULL, "%s: %s", t->where, curl_multi_strerror(mc));
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
    try_failed_early(t, e, done);
  }
}

static void call_hook(transfer *t, const GError *error, guint status, guint delay_ms)
{
  if(t->http->hook)
    t->http->hook(t->http->hook_user, t->req->method, t->path_only, t->attempt, error, status,
                  delay_ms);
}

/* A try that could not even start: never retried. */
static void try_failed_early(transfer *t, GError *error, GQueue *done)
{
  end_try(t);
  call_hook(t, error, 0, 0);
  t->error = error;
  finish(t, done);
}

/* What a failed try means: the error code, and whether another try may
 * help. */
static mp_error classify(transfer *t, CURLcode rc, gboolean *retry)
{
  *retry = FALSE;
  switch(rc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_USE_SSL_FAILED:
    return MP_ERROR_TLS;
  case CURLE_SSL_CONNECT_ERROR: {
    /* A handshake that failed. With OpenSSL a verdict on the server's
     * certificate or key never lands here (those are 60 and 90 above);
     * what does is either the server refusing us (protocol version,
     * ciphers, our client certificate: TLS, not retried) or the transport
     * failing mid-handshake (reset, EOF: SSL_ERROR_SYSCALL or OpenSSL 3's
     * "unexpected eof": retried like any dropped connection). */
    long os_errno = 0;
    curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
    if(os_errno || strstr(t->errbuf, "SSL_ERROR_SYSCALL") || strstr(t->errbuf, "unexpected eof") ||
       strstr(t->errbuf, "reset by peer")) {
      *retry = TRUE;
      return MP_ERROR_NETWORK;
    }
    return MP_ERROR_TLS;
  }
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_PROXY:
    *retry = TRUE;
    return MP_ERROR_CONNECT;
  case CURLE_OPERATION_TIMEDOUT:
    *retry = TRUE;
    return MP_ERROR_TIMEOUT;
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SEND_FAIL_REWIND:
    *retry = TRUE;
    return MP_ERROR_NETWORK;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_BAD_CONTENT_ENCODING:
  case CURLE_TOO_MANY_REDIRECTS:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return MP_ERROR_PROTOCOL;
  case CURLE_URL_MALFORMAT:
    return MP_ERROR_CONFIG;
  default:
    return MP_ERROR_NETWORK;
  }
}

static gboolean status_retryable(guint status)
{
  return status == 429 || status == 502 || status == 503 || status == 504;
}

/* The wait before the next try, or FALSE when there is none. Full jitter:
 * a uniform draw in [1, min(max, base * 2^(attempt-1))] ms (never 0, so
 * that 0 in the hook always means "no next try"); the server's
 * Retry-After instead when it is longer. Every wait ends within
 * retry_total_ms of the first try's start; a Retry-After that would pass
 * that bound ends the tries. */
static gboolean plan_retry(transfer *t, guint retry_after_s, guint *delay_ms)
{
  const mp_config *cfg = t->http->cfg;
  GCancellable *c = g_task_get_cancellable(t->task);
  if(c && g_cancellable_is_cancelled(c))
    return FALSE;
  gint64 elapsed_ms = (g_get_monotonic_time() - t->first_start_us) / 1000;
  if(elapsed_ms < 0)
    elapsed_ms = 0;
  if((guint64)elapsed_ms >= cfg->retry_total_ms)
    return FALSE;
  guint64 remaining = cfg->retry_total_ms - (guint64)elapsed_ms;
  guint64 cap = MAX(cfg->retry_base_ms, 1u);
  for(guint i = 1; i < t->attempt && cap < cfg->retry_max_ms; i++)
    cap *= 2;
  cap = MIN(cap, (guint64)MAX(cfg->retry_max_ms, 1u));
  guint64 delay = (guint64)g_random_int_range(1, (gint32)MIN(cap, (guint64)G_MAXINT32 - 1) + 1);
  guint64 ra = (guint64)retry_after_s * 1000;
  if(ra > delay) {
    if(ra > remaining)
      return FALSE;
    delay = ra;
  }
  else if(delay > remaining)
    delay = remaining;
  *delay_ms = (guint)delay;
  return TRUE;
}

static gboolean on_wait_over(gpointer data)
{
  transfer *t = data;
  g_clear_pointer(&t->wait, g_source_unref);
  GQueue done = G_QUEUE_INIT;
  start_try(t, &done);
  return_done(&done);
  return G_SOURCE_REMOVE;
}

/* A try ended (libcurl says it is done with it): retry, or finish. */
static void try_done(transfer *t, CURLcode rc, GQueue *done)
{
  mp_http *http = t->http;
  long code = 0, connects = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  http->connects += (guint64)MAX(connects, 0);

  GError *error = NULL;
  gboolean retry = FALSE;
  guint status = 0;
  if(t->read_error)
    error = g_steal_pointer(&t->read_error);
  else if(t->too_large)
    mp_set_error(&error, MP_ERROR_PROTOCOL, NULL,
                 "%s: the answer is larger than %u bytes; nothing was kept", t->where,
                 MP_HTTP_MAX_RESPONSE);
  else if(rc != CURLE_OK) {
    mp_error code_ = classify(t, rc, &retry);
    mp_set_error(&error, code_, NULL, "%s: %s (curl error %d, try %u)", t->where,
                 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc), (int)rc, t->attempt);
  }
  else {
    status = (guint)code;
    retry = status_retryable(status);
  }

  guint delay = 0;
  gboolean again = retry && mp_http_request_is_retry_safe(t->req) &&
                   plan_retry(t, error ? 0 : t->retry_after_s, &delay);
  if(!again)
    delay = 0;
  if(!error && !again) {
    mp_http_response *resp = g_new0(mp_http_response, 1);
    resp->status = status;
    if(t->answer_len) {
      resp->body = g_bytes_new_take(g_steal_pointer(&t->answer), t->answer_len);
      t->answer_len = t->answer_cap = 0;
    }
    else
      resp->body = g_bytes_new(NULL, 0);
    resp->content_type = g_steal_pointer(&t->content_type);
    resp->retry_after_s = t->retry_after_s;
    resp->replayed = t->replayed;
    resp->attempts = t->attempt;
    t->resp = resp;
  }
  end_try(t);
  call_hook(t, error, status, delay);
  if(again) {
    g_clear_error(&error);
    t->wait = g_timeout_source_new(delay);
    g_source_set_callback(t->wait, on_wait_over, t, NULL);
    g_source_attach(t->wait, http->ctx);
    return;
  }
  t->error = error;
  finish(t, done);
}

static void drain(mp_http *http, GQueue *done)
{
  CURLMsg *m;
  int left = 0;
  while((m = curl_multi_info_read(http->multi, &left))) {
    if(m->msg != CURLMSG_DONE)
      continue;
    CURL *easy = m->easy_handle;   /* m is invalid once the handle leaves */
    CURLcode rc = m->data.result;
    transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    if(t)
      try_done(t, rc, done);
  }
}

static gboolean on_cancelled(GCancellable *cancellable, gpointer data)
{
  transfer *t = data;
  GQueue done = G_QUEUE_INIT;
  GError *e = NULL;
  g_set_error(&e, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", t->where);
  if(t->easy) {
    end_try(t);
    call_hook(t, e, 0, 0);
  }
  t->error = e;
  finish(t, &done);
  return_done(&done);
  return G_SOURCE_REMOVE;
}

/* ---- public ---- */

static gsize curl_ready;

mp_http *mp_http_new(const mp_config *cfg, GError **error)
{
  if(g_once_init_enter(&curl_ready)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&curl_ready, 1);
  }
  if(!cfg->base_url || g_ascii_strncasecmp(cfg->base_url, "https://", 8) || !cfg->base_url[8]) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] url must be https://host[:port]; it is %s%s%s",
                 cfg->base_url ? "\"" : "", cfg->base_url ? cfg->base_url : "not set",
                 cfg->base_url ? "\"" : "");
    return NULL;
  }
  struct {
    const char *key, *path;
  } files[] = {
    { "ca-file", cfg->ca_file },
    { "client-cert", cfg->client_cert },
    { "client-key", cfg->client_key },
  };
  if(!cfg->ca_file) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] ca-file is not set: name the PEM file of the CA that issued the "
                 "portal's certificate");
    return NULL;
  }
  if(cfg->client_key && !cfg->client_cert) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] client-key is set without client-cert: set both or neither");
    return NULL;
  }
  for(gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    if(!files[i].path)
      continue;
    int fd = open(files[i].path, O_RDONLY | O_CLOEXEC);
    if(fd < 0) {
      int err = errno;
      mp_set_error(error, MP_ERROR_CONFIG, NULL,
                   "[portal] %s %s cannot be read: %s; fix the path or the file's permissions",
                   files[i].key, files[i].path, g_strerror(err));
      return NULL;
    }
    close(fd);
  }
  curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  if(!(v->features & CURL_VERSION_SSL)) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "libcurl %s was built without TLS", v->version);
    return NULL;
  }

  mp_http *http = g_new0(mp_http, 1);
  http->cfg = mp_config_copy(cfg);
  http->base_url = g_strdup(cfg->base_url);
  gsize n = strlen(http->base_url);
  while(n > 8 && http->base_url[n - 1] == '/')
    http->base_url[--n] = '\0';
  /* A trial handle: an option this libcurl does not take (a pin with a TLS
   * library that cannot pin, say) is reported now. */
  CURL *e = curl_easy_init();
  const char *failed = "?";
  CURLcode rc = e ? apply_common(http, e, &failed) : CURLE_OUT_OF_MEMORY;
  if(e)
    curl_easy_cleanup(e);
  if(rc) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "libcurl %s refused %s: %s", v->version, failed,
                 curl_easy_strerror(rc));
    mp_config_free(http->cfg);
    g_free(http->base_url);
    g_free(http);
    return NULL;
  }
  http->ctx = g_main_context_ref_thread_default();
  http->sockets = g_hash_table_new_full(NULL, NULL, socket_free, NULL);
  http->transfers = g_hash_table_new(NULL, NULL);
  http->multi = curl_multi_init();
  curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
  return http;
}

void mp_http_free(mp_http *http)
{
  if(!http)
    return;
  http->closing = TRUE;
  GQueue done = G_QUEUE_INIT;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, http->transfers);
  while(g_hash_table_iter_next(&it, &key, NULL)) {
    transfer *t = key;
    end_try(t);
    g_set_error(&t->error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled: the client was closed",
                t->where);
    t->defer = TRUE;
    source_drop(&t->cancel_source);
    source_drop(&t->wait);
    t->http = NULL;
    g_queue_push_tail(&done, t);
  }
  g_hash_table_destroy(http->transfers);
  curl_multi_cleanup(http->multi);
  source_drop(&http->timer);
  g_hash_table_destroy(http->sockets);
  g_main_context_unref(http->ctx);
  mp_config_free(http->cfg);
  g_free(http->base_url);
  g_free(http);
  return_done(&done);
}

void mp_http_set_attempt_hook(mp_http *http, mp_http_attempt_fn fn, gpointer user)
{
  http->hook = fn;
  http->hook_user = user;
}

guint64 mp_http_connections_opened(const mp_http *http)
{
  return http->connects;
}

void mp_http_send_async(mp_http *http, mp_http_request *req, GCancellable *cancellable,
                        GAsyncReadyCallback cb, gpointer user_data)
{
  g_return_if_fail(http && req);
  transfer *t = g_new0(transfer, 1);
  t->http = http;
  t->req = req;
  t->task = g_task_new(NULL, cancellable, cb, user_data);
  g_task_set_source_tag(t->task, mp_http_send_async);
  gsize plen = strcspn(req->path, "?");
  t->where = g_strdup_printf("%s %.*s", req->method, (int)plen, req->path);
  t->path_only = t->where + strlen(req->method) + 1;
  t->url = g_strconcat(http->base_url, req->path, NULL);
  t->first_start_us = g_get_monotonic_time();
  g_hash_table_add(http->transfers, t);

  GQueue done = G_QUEUE_INIT;
  const char *bad = NULL;
  if(http->cfg->terminal_id && !header_value_ok(http->cfg->terminal_id))
    bad = "X-Terminal-Id";
  else if(req->idempotency_key && !header_value_ok(req->idempotency_key))
    bad = "Idempotency-Key";
  else if(req->content_type && !header_value_ok(req->content_type))
    bad = "Content-Type";
  else if(req->bearer && !header_value_ok(req->bearer))
    bad = "Authorization";
  if(bad) {
    mp_set_error(&t->error, MP_ERROR_PROTOCOL, NULL,
                 "%s: the %s header would hold a control character; nothing was sent", t->where,
                 bad);
    finish(t, &done);
  }
  else if(cancellable && g_cancellable_is_cancelled(cancellable)) {
    g_set_error(&t->error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", t->where);
    finish(t, &done);
  }
  else {
    if(cancellable) {
      /* A source, not g_cancellable_connect: the cancellation is handled
       * on our context, between dispatches, whatever thread cancels. */
      t->cancel_source = g_cancellable_source_new(cancellable);
      g_source_set_callback(t->cancel_source, G_SOURCE_FUNC(on_cancelled), t, NULL);
      g_source_attach(t->cancel_source, http->ctx);
    }
    start_try(t, &done);
  }
  /* GTask defers a completion in the same main-loop iteration as its
   * creation to an idle: the callback never runs from inside this call. */
  return_done(&done);
}

mp_http_response *mp_http_send_finish(mp_http *http, GAsyncResult *res, GError **error)
{
  /* http is not looked at: it may be freed by now (mp_http_free). */
  g_return_val_if_fail(g_task_is_valid(res, NULL), NULL);
  g_return_val_if_fail(g_task_get_source_tag(G_TASK(res)) == mp_http_send_async, NULL);
  return g_task_propagate_pointer(G_TASK(res), error);
}

static void sync_done(GObject *src, GAsyncResult *res, gpointer data)
{
  GAsyncResult **out = data;
  *out = g_object_ref(res);
}

mp_http_response *mp_http_send(mp_http *http, mp_http_request *req, GCancellable *cancellable,
                               GError **error)
{
  GAsyncResult *res = NULL;
  GMainContext *ctx = g_main_context_ref(http->ctx);
  g_main_context_push_thread_default(ctx);
  mp_http_send_async(http, req, cancellable, sync_done, &res);
  while(!res)
    g_main_context_iteration(ctx, TRUE);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  mp_http_response *resp = mp_http_send_finish(http, res, error);
  g_object_unref(res);
  return resp;
}
