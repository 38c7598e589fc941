/* mynaportal/client.h - everything the terminal says to the portal.
 *
 * The resident side of portal-api.md (/auth/v1, /shinsei/v2, /selfinfo/v1,
 * /records/v1) and the staff-assisted card application (/kofu/v1), over one
 * verified HTTPS connection pool. Asynchronous on the GLib main context that
 * is thread-default when the client is made (a UI never blocks), with a
 * synchronous form of each call for the command-line tool.
 *
 * Requests are data: an mp_call says what to ask (method, path, body, whether
 * it needs the resident's session), mp_client_call sends it, adds the
 * session's Bearer token, refreshes an access token that is about to expire
 * (or was refused with 401) once, and turns every failure into an MP_ERROR
 * with the portal's problem attached. POSTs get a fresh Idempotency-Key when
 * the call is made, so the retries of the transport replay rather than
 * repeat.
 *
 * The session: tokens live in this object only (never on disk, never in a
 * log) and are wiped by mp_client_end_session and mp_client_free.
 */
#ifndef MYNAPORTAL_CLIENT_H
#define MYNAPORTAL_CLIENT_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "error.h"
#include "outbox.h"
#include "signer.h"

G_BEGIN_DECLS

typedef struct mp_client mp_client;

mp_client *mp_client_new(const mp_config *cfg, GError **error);
/* Wipes the session (does not tell the portal: call logout first). */
void mp_client_free(mp_client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_client, mp_client_free)
const mp_config *mp_client_config(mp_client *c);

/* ---- results ---- */

typedef struct mp_result {
  guint http_status;
  JsonNode *results;      /* the envelope's `results`; for answers without the
                             envelope (/auth/v1, kofu photo) the whole body */
  JsonNode *resultset;    /* NULL when absent */
  JsonNode *links;        /* `_links`, NULL when absent */
  gboolean replayed;      /* the portal replayed a stored answer */
  guint attempts;
} mp_result;
void mp_result_free(mp_result *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_result, mp_result_free)

/* ---- calls ---- */

typedef struct mp_call mp_call;
void mp_call_free(mp_call *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_call, mp_call_free)
const char *mp_call_idempotency_key(const mp_call *call); /* NULL for GETs */

/* ぴったりサービス search (no login). Any string may be NULL; limit 0: the
 * portal's default. */
mp_call *mp_call_procedures(const char *city_code, const char *category,
                            const char *keyword, guint limit, guint offset);
mp_call *mp_call_procedure(const char *proc_id);
/* Applications (session). date_from/date_to YYYY-MM-DD or NULL. */
mp_call *mp_call_apply_status(const char *arrive_id);
mp_call *mp_call_apply_lists(const char *date_from, const char *date_to,
                             guint limit, guint offset);
/* apply/check: the dry run of a signed package file. */
mp_call *mp_call_apply_check(const char *proc_id, const char *package_path);
mp_call *mp_call_apply_withdraw(const char *arrive_id, const char *reason);
/* お知らせ, 自己情報, やりとり履歴 (session). */
mp_call *mp_call_notices(guint limit, guint offset);
mp_call *mp_call_notice(const char *arrive_id, const char *notice_sub_id);
mp_call *mp_call_selfinfo_categories(void);
mp_call *mp_call_selfinfo(const char *category);
mp_call *mp_call_records(const char *date_from, const char *date_to,
                         guint limit, guint offset);
/* The staff-assisted card application (no resident session; terminal). */
mp_call *mp_call_kofu_start(const char *application_form_id,
                            const char *contact_name, const char *email);
mp_call *mp_call_kofu_photo(const char *token, const char *jpeg_path);
/* body: {birth_date, want_e_certificates, braille_name, assisted:{...},
 * resident_confirmed_at} as the contract gives it (taken). */
mp_call *mp_call_kofu_submit(const char *token, JsonNode *body);
mp_call *mp_call_kofu_status(const char *application_form_id);

void mp_client_call_async(mp_client *c, mp_call *call, GCancellable *cancellable,
                          GAsyncReadyCallback cb, gpointer user_data);
mp_result *mp_client_call_finish(mp_client *c, GAsyncResult *res, GError **error);
mp_result *mp_client_call(mp_client *c, mp_call *call, GCancellable *cancellable,
                          GError **error);

/* ---- the session ---- */

/* JPKI login: challenge, then the signer (the card's auth key, its PIN
 * already verified) signs DigestInfo(SHA-256(nonce)) in a worker thread,
 * then jpki-login. Refusals map to MP_ERROR_CERT_REVOKED, _CERT_EXPIRED,
 * _CERT_INVALID, _UNKNOWN_USER, _LOGIN_EXPIRED, _LOGIN_REFUSED. */
void mp_client_login_async(mp_client *c, mp_signer *auth_signer,
                           GCancellable *cancellable, GAsyncReadyCallback cb,
                           gpointer user_data);
gboolean mp_client_login_finish(mp_client *c, GAsyncResult *res, GError **error);
gboolean mp_client_login(mp_client *c, mp_signer *auth_signer,
                         GCancellable *cancellable, GError **error);
gboolean mp_client_is_logged_in(mp_client *c);
/* Seconds until the session (refresh token) ends; 0 when logged out. */
gint64 mp_client_session_expires_in(mp_client *c);
/* Refresh now (normally automatic). */
gboolean mp_client_refresh(mp_client *c, GCancellable *cancellable, GError **error);
/* Tell the portal the session ends, then wipe it. The local session is
 * wiped also when telling the portal fails (error set). */
void mp_client_logout_async(mp_client *c, GCancellable *cancellable,
                            GAsyncReadyCallback cb, gpointer user_data);
gboolean mp_client_logout_finish(mp_client *c, GAsyncResult *res, GError **error);
gboolean mp_client_logout(mp_client *c, GCancellable *cancellable, GError **error);
/* Wipe the session here without telling the portal (card pulled, idle). */
void mp_client_end_session(mp_client *c);

/* ---- applications through the outbox ---- */

/* Send the outbox's pending entries, oldest first, stopping at the first
 * one that can be neither delivered nor rejected now (network, 5xx after the
 * retries: it stays pending and the error says why), so that none overtakes
 * an earlier one. Entries made during the current session (see
 * mp_client_session_adopt) go with the resident's token; others with the
 * terminal's TLS client certificate alone, which the portal accepts for
 * packages whose signer is registered (docs/portal-client.md). A receipt
 * (201, or 200 for a package the portal already has) marks an entry
 * delivered; a refusal of its content (400, 404, 409 other than a reused
 * key, 413, 422) marks it rejected. only_id > 0: that entry only (after
 * the earlier pending ones). */
typedef struct mp_delivery {
  guint delivered;
  guint rejected;
  guint pending;          /* still pending afterwards */
} mp_delivery;
void mp_client_deliver_async(mp_client *c, mp_outbox *ob, gint64 only_id,
                             GCancellable *cancellable, GAsyncReadyCallback cb,
                             gpointer user_data);
gboolean mp_client_deliver_finish(mp_client *c, GAsyncResult *res, mp_delivery *out,
                                  GError **error);
gboolean mp_client_deliver(mp_client *c, mp_outbox *ob, gint64 only_id,
                           GCancellable *cancellable, mp_delivery *out,
                           GError **error);
/* Mark an outbox entry as made in this session (its package is sent with
 * the session's token). Forgotten when the session ends. */
void mp_client_session_adopt(mp_client *c, gint64 entry_id);

G_END_DECLS

#endif
