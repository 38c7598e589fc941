/* http.h - libmynaportal internal: HTTPS requests on a GLib main loop.
 *
 * One mp_http per client: one libcurl multi handle driven by GLib sources
 * (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION -> GSource) on the main context that
 * was thread-default when mp_http_new ran; connections are reused between
 * requests. TLS is always verified (the configured CA file, the optional
 * SPKI pin); there is no switch to turn that off. The proxy is the
 * configuration's or none; the environment's *_proxy variables are ignored.
 *
 * Retries happen here and only where they are safe: a GET, or a request
 * that carries an Idempotency-Key (the portal replays the first answer).
 * Retried: failures to connect, time-outs, a connection dropped before the
 * whole answer arrived, and the answers 429, 502, 503 and 504. Never
 * retried: TLS verification failures, any other HTTP answer, a request
 * without a key. Back-off: full jitter, base retry_base_ms doubling up to
 * retry_max_ms; a Retry-After the server sends is waited for instead (when
 * it is longer); all tries of one request together stay within
 * retry_total_ms (a Retry-After that would pass it ends the tries).
 *
 * A complete HTTP answer, whatever its status, is a response; only the
 * failure to get one is an error (MP_ERROR_TLS, _CONNECT, _TIMEOUT,
 * _NETWORK, _PROTOCOL for an answer over the size cap, G_IO_ERROR_CANCELLED).
 * A 429/503 still there after the last try is returned as the response.
 */
#ifndef MYNAPORTAL_HTTP_H
#define MYNAPORTAL_HTTP_H

#include <gio/gio.h>

#include "mynaportal/config.h"

G_BEGIN_DECLS

/* Largest answer body kept; a longer one is MP_ERROR_PROTOCOL. */
#define MP_HTTP_MAX_RESPONSE (8u * 1024 * 1024)

typedef struct mp_http mp_http;
typedef struct mp_http_request mp_http_request;

typedef struct mp_http_response {
  guint status;
  GBytes *body;           /* never NULL (may be empty) */
  char *content_type;     /* NULL if absent */
  guint retry_after_s;    /* Retry-After in seconds (delta form), 0 if absent */
  gboolean replayed;      /* Idempotent-Replayed: true */
  guint attempts;         /* tries it took, >= 1 */
} mp_http_response;

/* method: GET, POST, PUT, DELETE. path: absolute path with query, already
 * percent-encoded ("/shinsei/v2/procedures?keyword=%E5%85%90"). */
mp_http_request *mp_http_request_new(const char *method, const char *path);
void mp_http_request_free(mp_http_request *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_http_request, mp_http_request_free)
/* Authorization: Bearer token. The copy is wiped when the request is freed. */
void mp_http_request_set_bearer(mp_http_request *r, const char *token);
void mp_http_request_set_idempotency_key(mp_http_request *r, const char *key);
void mp_http_request_set_content_type(mp_http_request *r, const char *type);
/* The body is the concatenation of parts, in order: bytes, or a file read
 * when the request is sent (again on every try), optionally base64-encoded
 * on the fly (RFC 4648 standard alphabet, padded, no line breaks). A file
 * part is never loaded whole: it streams in 64 KiB pieces, so a 20 MB
 * package costs no more memory than a small one. The Content-Length is
 * computed before sending; a file whose size changed between tries is an
 * MP_ERROR_PACKAGE. */
void mp_http_request_add_bytes(mp_http_request *r, GBytes *bytes);
void mp_http_request_add_file(mp_http_request *r, const char *path, gboolean base64);
/* Whether the request may be retried (GET, or it has an Idempotency-Key). */
gboolean mp_http_request_is_retry_safe(const mp_http_request *r);

void mp_http_response_free(mp_http_response *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_http_response, mp_http_response_free)

/* Checks the configuration's files (CA, client certificate and key) are
 * readable; MP_ERROR_CONFIG otherwise. Sends nothing. */
mp_http *mp_http_new(const mp_config *cfg, GError **error);
/* Requests still in flight complete with G_IO_ERROR_CANCELLED (their
 * callbacks run from the main context afterwards). */
void mp_http_free(mp_http *http);

/* Send req (taken). Every request carries X-Terminal-Id and Accept:
 * application/json, and the TLS client certificate when one is configured.
 * The callback runs on the main context of mp_http_new. */
void mp_http_send_async(mp_http *http, mp_http_request *req,
                        GCancellable *cancellable, GAsyncReadyCallback cb,
                        gpointer user_data);
mp_http_response *mp_http_send_finish(mp_http *http, GAsyncResult *res,
                                      GError **error);
/* Synchronous: runs the main context of mp_http_new until the answer (for
 * the command-line tool; never from a UI callback). */
mp_http_response *mp_http_send(mp_http *http, mp_http_request *req,
                               GCancellable *cancellable, GError **error);

/* Observe each try (tests and logs): attempt number from 1, the error of a
 * failed try or NULL, the status of an answer or 0, and the wait before the
 * next try in ms (0 when there is none). */
typedef void (*mp_http_attempt_fn)(gpointer user, const char *method, const char *path,
                                   guint attempt, const GError *error, guint status,
                                   guint next_delay_ms);
void mp_http_set_attempt_hook(mp_http *http, mp_http_attempt_fn fn, gpointer user);

/* New connections opened so far, over every try of every request
 * (CURLINFO_NUM_CONNECTS summed): tests see keep-alive at work. */
guint64 mp_http_connections_opened(const mp_http *http);

G_END_DECLS

#endif
