/* auth.c - resident login with the card's 利用者証明用電子証明書
 * (portal-api.md §1 [S], OAuth-shaped tokens [P RFC 6749]): a challenge
 * with a random nonce, the card's signature over it, and bearer tokens.
 * Protocol, order of the checks and errors: docs/portal-sim-auth.md.
 *
 * Every POST here is PS_ROUTE_IDEMPOTENT: the server calls the handler
 * with db_lock held inside an open transaction and commits the handler's
 * writes together with the stored response (2xx and 4xx alike, rolled back
 * on 5xx). That is what makes a nonce single-use even for failed logins:
 * the handler marks it used before any other check, and that mark commits
 * with the 4xx answer. Tokens are random and stored only as SHA-256. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "pki_internal.h"

/* Version of pki/'s tables in schema_version. */
#define AUTH_SCHEMA_VERSION 1

/* Times are whole seconds; a challenge or token is good through its
 * expires_at second, so that a lifetime of N s is never shorter than N s
 * (and shorter than N + 1 s). */
#define NONCE_LEN 32                 /* portal-api.md: 32 bytes */
#define TOKEN_BYTES 32               /* [S] 256 random bits per token */
#define SCOPE "resident"             /* [S] acts as the logged-in resident */
/* [S] Used and expired challenges and tokens are kept a day after their
 * expiry (so that a late answer can still say "reused" or "expired"),
 * then deleted. */
#define KEEP_AFTER_EXPIRY_S (24 * 3600)
#define MAX_TERMINAL_ID 64
#define MAX_TOKEN_TEXT 256

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS schema_version("
  "  module TEXT PRIMARY KEY, version INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS auth_challenges("
  "  challenge_id TEXT PRIMARY KEY, nonce BLOB NOT NULL,"
  "  terminal_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL, used_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS auth_challenges_expires ON auth_challenges(expires_at);"
  /* One login is one session: its access and refresh tokens, and those of
   * every refresh after it, share session_id; logout ends them all. */
  "CREATE TABLE IF NOT EXISTS auth_tokens("
  "  token_sha256 TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK(kind IN ('access', 'refresh')),"
  "  session_id TEXT NOT NULL, resident_id TEXT NOT NULL,"
  "  terminal_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL, revoked_at INTEGER, revoked_why TEXT);"
  "CREATE INDEX IF NOT EXISTS auth_tokens_session ON auth_tokens(session_id);"
  "CREATE INDEX IF NOT EXISTS auth_tokens_expires ON auth_tokens(expires_at);"
  /* POST /_dev/jlis/revoke (jlis.c). */
  "CREATE TABLE IF NOT EXISTS pki_revocations("
  "  ca TEXT NOT NULL CHECK(ca IN ('auth', 'sign')), serial TEXT NOT NULL,"
  "  reason INTEGER NOT NULL, revoked_at INTEGER NOT NULL,"
  "  PRIMARY KEY(ca, serial));";

static gint64 now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

/* ---- configuration and start ---- */

/* Applies the revocations recorded by /_dev/jlis/revoke to p->pki. */
static bool load_revocations(ps_portal *p, GError **error)
{
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "SELECT ca, serial, reason, revoked_at FROM pki_revocations "
    "ORDER BY revoked_at", error);
  if(!st)
    return false;
  int rc;
  while((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *ca_name = (const char *)sqlite3_column_text(st, 0);
    const char *hex = (const char *)sqlite3_column_text(st, 1);
    ps_ca ca;
    g_autoptr(ASN1_INTEGER) serial = NULL;
    if(!ps_pki_ca_from_name(ca_name, &ca) || !ps_pki_serial_from_hex(hex, &serial)) {
      g_set_error(error, PS_PKI_ERROR, PS_PKI_ERROR_PARSE,
                  "portal.db: a recorded revocation (%s, %s) cannot be read; "
                  "delete that row of pki_revocations", ca_name ? ca_name : "?",
                  hex ? hex : "?");
      return false;
    }
    g_autoptr(GError) err = NULL;
    if(!ps_pki_revoke(p->pki, ca, serial, sqlite3_column_int(st, 2),
                      sqlite3_column_int64(st, 3), NULL, &err)) {
      g_set_error(error, PS_PKI_ERROR, err->code,
                  "portal.db records that serial %s of the %s CA is revoked, "
                  "but %s; restore the key or use a fresh data directory",
                  hex, ca_name, err->message);
      return false;
    }
  }
  if(rc != SQLITE_DONE)
    return ps_db_fail(p, error, "reading pki_revocations");
  return true;
}

bool ps_auth_init(ps_portal *p, const ps_auth_config *cfg, GError **error)
{
  ps_auth_config c;
  if(cfg)
    c = *cfg;
  else if(!ps_auth_config_from_env(&c, error))
    return false;
  if(!c.challenge_s || !c.access_s || !c.refresh_s || c.refresh_s < c.access_s) {
    g_set_error(error, PS_PKI_ERROR, PS_PKI_ERROR_PARSE,
                "auth lifetimes %u/%u/%u s: every one must be at least 1 s and "
                "the refresh token must live at least as long as the access token",
                c.challenge_s, c.access_s, c.refresh_s);
    return false;
  }
  ps_pki_set_auth_config(p->pki, &c);
  ps_db_lock(p);
  bool ok = ps_db_exec(p, "BEGIN IMMEDIATE;", error);
  if(ok) {
    ok = ps_db_exec(p, schema, error);
    if(ok) {
      g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
        "SELECT version FROM schema_version WHERE module='pki'", error);
      ok = st != NULL;
      if(ok && sqlite3_step(st) == SQLITE_ROW &&
         sqlite3_column_int(st, 0) > AUTH_SCHEMA_VERSION) {
        g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL,
                    "portal.db: its login tables were written by a newer "
                    "portal-sim (schema %d, this one knows %d); use that "
                    "version or a fresh data directory",
                    sqlite3_column_int(st, 0), AUTH_SCHEMA_VERSION);
        ok = false;
      }
    }
    if(ok) {
      g_autofree char *sql = g_strdup_printf(
        "INSERT OR REPLACE INTO schema_version(module, version) VALUES('pki', %d);",
        AUTH_SCHEMA_VERSION);
      ok = ps_db_exec(p, sql, error) && load_revocations(p, error);
    }
    ok = ok && ps_db_exec(p, "COMMIT;", error);
    if(!ok)
      ps_db_exec(p, "ROLLBACK;", NULL);
  }
  ps_db_unlock(p);
  return ok;
}

/* ---- replies ---- */

/* RFC 6749 5.2's error shape {error, error_description} [P], plus the
 * contract's report_list [S] so that every finding is named; the
 * description is the findings' text. */
static void oauth_fail(ps_response *rs, unsigned status, const char *error,
                       const GPtrArray *report)
{
  g_autoptr(GString) d = g_string_new(NULL);
  for(guint i = 0; report && i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(d->len)
      g_string_append_c(d, ' ');
    g_string_append(d, it->content);
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "error", error);
  json_object_set_string_member(o, "error_description", d->str);
  json_object_set_member(o, "report_list", ps_report_to_json(report));
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  ps_reply_json(rs, status, n);
  ps_reply_header(rs, "Cache-Control", "no-store");
  if(status == 401)
    /* RFC 9110 11.6.1: a 401 names the scheme that would work [S]. */
    ps_reply_header(rs, "WWW-Authenticate", "JPKI-Signature realm=\"portal-sim\"");
  else if(status == 503)
    ps_reply_header(rs, "Retry-After", "60");
}

static void oauth_fail1(ps_response *rs, unsigned status, const char *error,
                        const char *item, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static void oauth_fail1(ps_response *rs, unsigned status, const char *error,
                        const char *item, const char *fmt, ...)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  ps_report_add(report, item, "%s", text);
  oauth_fail(rs, status, error, report);
}

/* A database failure: 500, which also rolls the transaction back. */
static void server_error(ps_response *rs, const char *what, GError *err)
{
  g_warning("auth: %s: %s", what, err ? err->message : "?");
  oauth_fail1(rs, 500, "server_error", "server",
              "サーバー内部の問題で処理できませんでした。しばらくしてからやり直してください。");
}

static void reply_object(ps_response *rs, unsigned status, JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  ps_reply_json(rs, status, n);
  /* RFC 6749 5.1: token responses are never cached [P]. */
  ps_reply_header(rs, "Cache-Control", "no-store");
  ps_reply_header(rs, "Pragma", "no-cache");
}

/* ---- request bodies ---- */

/* The body as a JSON object (parser owns it), or NULL with the finding in
 * report: the OAuth error shape, not the server's envelope. */
static JsonObject *body_object(const ps_request *rq, JsonParser **parser,
                               bool optional, GPtrArray *report)
{
  *parser = NULL;
  if(!rq->body || rq->body_len == 0) {
    if(!optional)
      ps_report_add(report, "body", "リクエスト本文がありません。JSON オブジェクトを送ってください。");
    return NULL;
  }
  if(!g_utf8_validate((const char *)rq->body, (gssize)rq->body_len, NULL)) {
    ps_report_add(report, "body", "本文が UTF-8 ではありません。UTF-8 の JSON を送ってください。");
    return NULL;
  }
  JsonParser *jp = json_parser_new_immutable();
  g_autoptr(GError) err = NULL;
  JsonNode *root = NULL;
  if(json_parser_load_from_data(jp, (const char *)rq->body, (gssize)rq->body_len, &err))
    root = json_parser_get_root(jp);
  if(!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    ps_report_add(report, "body", "本文は JSON オブジェクト ({...}) でなければなりません%s%s%s。",
                  err ? " (" : "", err ? err->message : "", err ? ")" : "");
    g_object_unref(jp);
    return NULL;
  }
  *parser = jp;
  return json_node_get_object(root);
}

/* A string member; NULL with a finding when absent, not a string, empty
 * or longer than max bytes. */
static const char *string_member(JsonObject *o, const char *name, size_t max,
                                 GPtrArray *report)
{
  JsonNode *n = json_object_get_member(o, name);
  if(!n || JSON_NODE_HOLDS_NULL(n)) {
    ps_report_add(report, name, "%s がありません。", name);
    return NULL;
  }
  if(!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    ps_report_add(report, name, "%s は文字列にしてください。", name);
    return NULL;
  }
  const char *s = json_node_get_string(n);
  if(!*s || strlen(s) > max) {
    ps_report_add(report, name, "%s は 1 〜 %zu 文字にしてください。", name, max);
    return NULL;
  }
  return s;
}

static bool printable_ascii(const char *s)
{
  for(; *s; s++)
    if(*s < 0x21 || *s > 0x7e)
      return false;
  return true;
}

/* ---- randomness and tokens ---- */

static char *random_uuid(void)
{
  unsigned char b[16];
  if(RAND_bytes(b, sizeof(b)) != 1)
    return NULL;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
  return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                         "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
                         b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

static char *token_hash(const char *token)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

static bool insert_token(ps_portal *p, const char *token, const char *kind,
                         const char *session, const char *resident,
                         const char *terminal, gint64 now, gint64 expires,
                         GError **error)
{
  g_autofree char *hash = token_hash(token);
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT INTO auth_tokens(token_sha256, kind, session_id, resident_id, "
    "terminal_id, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if(!st)
    return false;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, session, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, resident, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, terminal, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, now);
  sqlite3_bind_int64(st, 7, expires);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "storing a token");
  return true;
}

/* A new access token and refresh token in session; the refresh token
 * expires at refresh_expires (a login's full lifetime; after a refresh the
 * same instant again: a session never outlives its login's refresh
 * lifetime [S]). The token response object, or NULL. */
static JsonObject *issue_tokens(ps_portal *p, const char *session,
                                const char *resident, const char *terminal,
                                gint64 now, gint64 refresh_expires,
                                GError **error)
{
  const ps_auth_config *cfg = ps_pki_auth_config(p->pki);
  unsigned char raw[2][TOKEN_BYTES];
  if(RAND_bytes(raw[0], TOKEN_BYTES) != 1 || RAND_bytes(raw[1], TOKEN_BYTES) != 1) {
    g_set_error(error, PS_PKI_ERROR, PS_PKI_ERROR_CRYPTO, "no random bytes");
    return NULL;
  }
  g_autofree char *access = ps_pki_base64url(raw[0], TOKEN_BYTES);
  g_autofree char *refresh = ps_pki_base64url(raw[1], TOKEN_BYTES);
  OPENSSL_cleanse(raw, sizeof(raw));
  /* An access token never outlives the session's refresh token. */
  gint64 access_expires = MIN(now + (gint64)cfg->access_s, refresh_expires);
  if(!insert_token(p, access, "access", session, resident, terminal, now,
                   access_expires, error) ||
     !insert_token(p, refresh, "refresh", session, resident, terminal, now,
                   refresh_expires, error))
    return NULL;
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "access_token", access);
  json_object_set_string_member(o, "token_type", "Bearer");
  json_object_set_int_member(o, "expires_in", access_expires - now);
  json_object_set_string_member(o, "refresh_token", refresh);
  json_object_set_int_member(o, "refresh_expires_in", refresh_expires - now);
  json_object_set_string_member(o, "scope", SCOPE);
  return o;
}

/* Ends every live token of session; the number ended in *count. */
static bool revoke_session(ps_portal *p, const char *session, const char *why,
                           gint64 now, int *count, GError **error)
{
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "UPDATE auth_tokens SET revoked_at=?1, revoked_why=?2 "
    "WHERE session_id=?3 AND revoked_at IS NULL", error);
  if(!st)
    return false;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, session, -1, SQLITE_STATIC);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "revoking a session");
  if(count)
    *count += sqlite3_changes(p->db);
  return true;
}

/* ---- POST /auth/v1/challenge ---- */

static void challenge(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = body_object(rq, &parser, false, report);
  const char *terminal = o ? string_member(o, "terminal_id", MAX_TERMINAL_ID, report) : NULL;
  if(terminal && !printable_ascii(terminal))
    ps_report_add(report, "terminal_id", "terminal_id には空白以外の ASCII 文字だけを使ってください。");
  else if(terminal && rq->terminal_id && strcmp(terminal, rq->terminal_id) != 0)
    ps_report_add(report, "terminal_id",
                  "terminal_id (%s) がヘッダー X-Terminal-Id (%s) と違います。端末の設定を確認してください。",
                  terminal, rq->terminal_id);
  if(report->len) {
    oauth_fail(rs, 400, "invalid_request", report);
    return;
  }
  const ps_auth_config *cfg = ps_pki_auth_config(p->pki);
  gint64 now = now_s();
  gint64 expires = now + (gint64)cfg->challenge_s;
  unsigned char nonce[NONCE_LEN];
  g_autofree char *id = random_uuid();
  g_autoptr(GError) err = NULL;
  if(!id || RAND_bytes(nonce, sizeof(nonce)) != 1) {
    server_error(rs, "no random bytes for a challenge", NULL);
    return;
  }
  {
    g_autoptr(sqlite3_stmt) purge = ps_db_prepare(p,
      "DELETE FROM auth_challenges WHERE expires_at < ?1", &err);
    g_autoptr(sqlite3_stmt) purge_tokens = purge ? ps_db_prepare(p,
      "DELETE FROM auth_tokens WHERE expires_at < ?1", &err) : NULL;
    g_autoptr(sqlite3_stmt) st = purge_tokens ? ps_db_prepare(p,
      "INSERT INTO auth_challenges(challenge_id, nonce, terminal_id, "
      "created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5)", &err) : NULL;
    if(!st) {
      server_error(rs, "challenge", err);
      return;
    }
    sqlite3_bind_int64(purge, 1, now - KEEP_AFTER_EXPIRY_S);
    sqlite3_bind_int64(purge_tokens, 1, now - KEEP_AFTER_EXPIRY_S);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, nonce, sizeof(nonce), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires);
    if(sqlite3_step(purge) != SQLITE_DONE || sqlite3_step(purge_tokens) != SQLITE_DONE ||
       sqlite3_step(st) != SQLITE_DONE) {
      ps_db_fail(p, &err, "storing a challenge");
      server_error(rs, "challenge", err);
      return;
    }
  }
  g_autofree char *nonce_text = ps_pki_base64url(nonce, sizeof(nonce));
  g_autofree char *expires_text = ps_format_jst(expires);
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "challenge_id", id);
  json_object_set_string_member(r, "nonce", nonce_text);
  json_object_set_string_member(r, "expires_at", expires_text);
  json_object_set_int_member(r, "expires_in", (gint64)cfg->challenge_s);
  reply_object(rs, 200, r);
}

/* ---- POST /auth/v1/jpki-login ---- */

typedef enum {
  CHALLENGE_OK,
  CHALLENGE_UNKNOWN,
  CHALLENGE_REUSED,
  CHALLENGE_EXPIRED,
  CHALLENGE_OTHER_TERMINAL,
  CHALLENGE_DB_ERROR,
} challenge_state;

/* Marks the challenge used (whatever happens next) and tells whether it
 * was good: unused, unexpired, and asked for by this terminal. */
static challenge_state consume_challenge(ps_portal *p, const char *id,
                                         const char *terminal, gint64 now,
                                         uint8_t nonce[NONCE_LEN],
                                         gint64 *expires_at, GError **error)
{
  g_autoptr(sqlite3_stmt) sel = ps_db_prepare(p,
    "SELECT nonce, terminal_id, expires_at, used_at FROM auth_challenges "
    "WHERE challenge_id=?1", error);
  if(!sel)
    return CHALLENGE_DB_ERROR;
  sqlite3_bind_text(sel, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(sel);
  if(rc == SQLITE_DONE)
    return CHALLENGE_UNKNOWN;
  if(rc != SQLITE_ROW) {
    ps_db_fail(p, error, "reading a challenge");
    return CHALLENGE_DB_ERROR;
  }
  if(sqlite3_column_bytes(sel, 0) != NONCE_LEN) {
    g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL, "challenge %s: stored nonce has %d bytes",
                id, sqlite3_column_bytes(sel, 0));
    return CHALLENGE_DB_ERROR;
  }
  memcpy(nonce, sqlite3_column_blob(sel, 0), NONCE_LEN);
  g_autofree char *owner = g_strdup((const char *)sqlite3_column_text(sel, 1));
  *expires_at = sqlite3_column_int64(sel, 2);
  bool used = sqlite3_column_type(sel, 3) != SQLITE_NULL;
  if(used)
    return CHALLENGE_REUSED;
  g_autoptr(sqlite3_stmt) upd = ps_db_prepare(p,
    "UPDATE auth_challenges SET used_at=?1 WHERE challenge_id=?2 AND used_at IS NULL",
    error);
  if(!upd)
    return CHALLENGE_DB_ERROR;
  sqlite3_bind_int64(upd, 1, now);
  sqlite3_bind_text(upd, 2, id, -1, SQLITE_STATIC);
  if(sqlite3_step(upd) != SQLITE_DONE) {
    ps_db_fail(p, error, "using a challenge");
    return CHALLENGE_DB_ERROR;
  }
  if(sqlite3_changes(p->db) != 1)
    return CHALLENGE_REUSED;
  if(*expires_at < now)
    return CHALLENGE_EXPIRED;
  if(terminal && owner && strcmp(terminal, owner) != 0)
    return CHALLENGE_OTHER_TERMINAL;
  return CHALLENGE_OK;
}

/* Decodes a strict-base64 member; NULL with a finding otherwise. */
static uint8_t *base64_member(JsonObject *o, const char *name, size_t max_text,
                              size_t *len, GPtrArray *report)
{
  const char *s = string_member(o, name, max_text, report);
  uint8_t *d = NULL;
  if(!s)
    return NULL;
  if(!ps_pki_base64_decode(s, &d, len)) {
    ps_report_add(report, name,
                  "%s が正しい base64 (RFC 4648 標準形式、パディング付き、改行なし) ではありません。",
                  name);
    return NULL;
  }
  return d;
}

static void jpki_login(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(GError) err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = body_object(rq, &parser, false, report);
  const char *challenge_id = o ? string_member(o, "challenge_id", 64, report) : NULL;
  if(!challenge_id) {
    oauth_fail(rs, 400, "invalid_request", report);
    return;
  }

  /* 1. The challenge: used up now, before anything else can fail, so that
   *    one nonce is never tried twice. */
  gint64 now = now_s(), expires_at = 0;
  uint8_t nonce[NONCE_LEN];
  switch(consume_challenge(p, challenge_id, rq->terminal_id, now, nonce,
                           &expires_at, &err)) {
  case CHALLENGE_OK:
    break;
  case CHALLENGE_UNKNOWN:
    oauth_fail1(rs, 400, "invalid_grant", "challenge_id",
                "challenge_id のチャレンジがありません。/auth/v1/challenge からやり直してください。");
    return;
  case CHALLENGE_REUSED:
    oauth_fail1(rs, 400, "nonce_reused", "challenge_id",
                "このチャレンジは使用済みです。/auth/v1/challenge で新しいチャレンジを受け取り、カードで署名し直してください。");
    return;
  case CHALLENGE_EXPIRED: {
    g_autofree char *when = ps_format_jst(expires_at);
    oauth_fail1(rs, 400, "nonce_expired", "challenge_id",
                "チャレンジの有効期限 (%s) が過ぎています。/auth/v1/challenge からやり直してください。",
                when);
    return;
  }
  case CHALLENGE_OTHER_TERMINAL:
    oauth_fail1(rs, 400, "invalid_grant", "challenge_id",
                "このチャレンジは別の端末 (X-Terminal-Id) に発行されたものです。この端末でチャレンジを受け取り直してください。");
    return;
  case CHALLENGE_DB_ERROR:
  default:
    server_error(rs, "login", err);
    return;
  }

  /* 2. The request's certificate and signature, well-formed. A 2048-bit
   *    certificate is about 1.1 KB; 16 KB of base64 is plenty. */
  size_t cert_len = 0, sig_len = 0;
  g_autofree uint8_t *cert_der = base64_member(o, "auth_cert", 16384, &cert_len, report);
  g_autofree uint8_t *sig = base64_member(o, "signature", 2048, &sig_len, report);
  g_autoptr(X509) cert = NULL;
  if(cert_der) {
    const unsigned char *q = cert_der;
    cert = d2i_X509(NULL, &q, (long)cert_len);
    if(!cert || q != cert_der + cert_len)
      ps_report_add(report, "auth_cert",
                    "auth_cert が DER 形式の X.509 証明書ではありません。カードから読んだ証明書をそのまま送ってください。");
  }
  if(report->len || !cert || !sig) {
    oauth_fail(rs, 400, "invalid_request", report);
    return;
  }

  /* 3. Chain, dates, revocation. */
  switch(ps_pki_check(p->pki, PS_CA_AUTH, cert, report)) {
  case PS_CERT_OK:
    break;
  case PS_CERT_CHAIN_INVALID:
    oauth_fail(rs, 400, "chain_invalid", report);
    return;
  case PS_CERT_EXPIRED:
    oauth_fail(rs, 400, "cert_expired", report);
    return;
  case PS_CERT_REVOKED:
    oauth_fail(rs, 400, "cert_revoked", report);
    return;
  case PS_CERT_REVOCATION_UNKNOWN:
  default:
    /* Not the resident's fault and not final: 503, which rolls back the
     * transaction, so the challenge stays usable until it expires. */
    oauth_fail(rs, 503, "temporarily_unavailable", report);
    return;
  }

  /* 4. The signature: PKCS#1 v1.5 over DigestInfo(SHA-256(nonce)), the 32
   *    nonce bytes as issued (not their base64url text). */
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  if(!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
    oauth_fail1(rs, 400, "chain_invalid", "auth_cert",
                "証明書の公開鍵が RSA ではありません。マイナンバーカードの利用者証明用電子証明書を送ってください。");
    return;
  }
  if(sig_len != (size_t)EVP_PKEY_get_size(pub)) {
    oauth_fail1(rs, 400, "invalid_request", "signature",
                "署名の長さが %zu バイトです。証明書の鍵に合う %d バイトの署名を送ってください。",
                sig_len, EVP_PKEY_get_size(pub));
    return;
  }
  g_autoptr(EVP_MD_CTX) md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int vr = -1;
  if(md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub) == 1 &&
     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1)
    vr = EVP_DigestVerify(md, sig, sig_len, nonce, NONCE_LEN);
  OPENSSL_cleanse(nonce, sizeof(nonce));
  if(vr != 1) {
    oauth_fail1(rs, 401, "invalid_grant", "signature",
                "署名を証明書の公開鍵で確認できません。利用者証明用の鍵で、チャレンジの nonce (base64url を復号した 32 バイト) の SHA-256 に署名してください。");
    return;
  }

  /* 5. The registered resident (利用者登録) of this certificate. */
  const char *resident = ps_resident_by_cert(p, X509_get_issuer_name(cert),
                                             X509_get0_serialNumber(cert));
  if(!resident) {
    g_autofree char *hex = ps_pki_serial_hex(X509_get0_serialNumber(cert));
    oauth_fail1(rs, 400, "unknown_user", "auth_cert",
                "この証明書 (シリアル番号 %s) で利用者登録された方がいません。マイナポータルの利用者登録をしてください。",
                hex);
    return;
  }

  /* 6. A new session. */
  g_autofree char *session = random_uuid();
  const ps_auth_config *cfg = ps_pki_auth_config(p->pki);
  JsonObject *r = session ? issue_tokens(p, session, resident,
                                         rq->terminal_id ? rq->terminal_id : "",
                                         now, now + (gint64)cfg->refresh_s, &err) : NULL;
  if(!r) {
    server_error(rs, "login", err);
    return;
  }
  reply_object(rs, 200, r);
}

/* ---- POST /auth/v1/token (refresh) ---- */

static void token(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(GError) err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = body_object(rq, &parser, false, report);
  const char *grant = o ? string_member(o, "grant_type", 64, report) : NULL;
  const char *refresh = o ? string_member(o, "refresh_token", MAX_TOKEN_TEXT, report) : NULL;
  if(report->len) {
    oauth_fail(rs, 400, "invalid_request", report);
    return;
  }
  if(strcmp(grant, "refresh_token") != 0) {
    oauth_fail1(rs, 400, "unsupported_grant_type", "grant_type",
                "grant_type は \"refresh_token\" だけです。ログインは /auth/v1/jpki-login で行ってください。");
    return;
  }
  gint64 now = now_s();
  g_autofree char *hash = token_hash(refresh);
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "SELECT session_id, resident_id, terminal_id, expires_at, revoked_at, revoked_why "
    "FROM auth_tokens WHERE token_sha256=?1 AND kind='refresh'", &err);
  if(!st) {
    server_error(rs, "refresh", err);
    return;
  }
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if(rc == SQLITE_DONE) {
    oauth_fail1(rs, 400, "invalid_grant", "refresh_token",
                "refresh_token が無効です。マイナンバーカードでログインし直してください。");
    return;
  }
  if(rc != SQLITE_ROW) {
    ps_db_fail(p, &err, "reading a refresh token");
    server_error(rs, "refresh", err);
    return;
  }
  g_autofree char *session = g_strdup((const char *)sqlite3_column_text(st, 0));
  g_autofree char *resident = g_strdup((const char *)sqlite3_column_text(st, 1));
  g_autofree char *terminal = g_strdup((const char *)sqlite3_column_text(st, 2));
  gint64 expires = sqlite3_column_int64(st, 3);
  bool revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
  g_autofree char *why = g_strdup((const char *)sqlite3_column_text(st, 5));
  g_clear_pointer(&st, sqlite3_finalize);
  if(revoked) {
    if(why && strcmp(why, "rotated") == 0) {
      /* A refresh token that was already exchanged comes back: someone
       * holds a copy. End the whole session (RFC 9700 4.14.2 [P]). */
      if(!revoke_session(p, session, "refresh_reuse", now, NULL, &err)) {
        server_error(rs, "refresh", err);
        return;
      }
      oauth_fail1(rs, 400, "invalid_grant", "refresh_token",
                  "この refresh_token は交換済みです。安全のためこのログインを終了しました。マイナンバーカードでログインし直してください。");
      return;
    }
    oauth_fail1(rs, 400, "invalid_grant", "refresh_token",
                "ログアウト済みの refresh_token です。マイナンバーカードでログインし直してください。");
    return;
  }
  if(expires < now) {
    oauth_fail1(rs, 400, "invalid_grant", "refresh_token",
                "refresh_token の有効期限が過ぎています。マイナンバーカードでログインし直してください。");
    return;
  }
  /* [S] A session stays on the terminal where the card was used. */
  if(rq->terminal_id && terminal && *terminal && strcmp(rq->terminal_id, terminal) != 0) {
    oauth_fail1(rs, 400, "invalid_grant", "refresh_token",
                "この refresh_token は別の端末 (X-Terminal-Id) でのログインのものです。この端末でログインし直してください。");
    return;
  }
  /* Rotation: the presented refresh token dies now; the old access token
   * lives on until it expires. */
  g_autoptr(sqlite3_stmt) upd = ps_db_prepare(p,
    "UPDATE auth_tokens SET revoked_at=?1, revoked_why='rotated' "
    "WHERE token_sha256=?2 AND revoked_at IS NULL", &err);
  if(!upd) {
    server_error(rs, "refresh", err);
    return;
  }
  sqlite3_bind_int64(upd, 1, now);
  sqlite3_bind_text(upd, 2, hash, -1, SQLITE_STATIC);
  if(sqlite3_step(upd) != SQLITE_DONE) {
    ps_db_fail(p, &err, "rotating a refresh token");
    server_error(rs, "refresh", err);
    return;
  }
  JsonObject *r = issue_tokens(p, session, resident, terminal, now, expires, &err);
  if(!r) {
    server_error(rs, "refresh", err);
    return;
  }
  reply_object(rs, 200, r);
}

/* ---- POST /auth/v1/logout ---- */

/* The session of a token of either kind, or NULL. */
static char *session_of(ps_portal *p, const char *tok, GError **error)
{
  g_autofree char *hash = token_hash(tok);
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "SELECT session_id FROM auth_tokens WHERE token_sha256=?1", error);
  if(!st)
    return NULL;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    return g_strdup((const char *)sqlite3_column_text(st, 0));
  if(rc != SQLITE_DONE)
    ps_db_fail(p, error, "reading a token");
  return NULL;
}

static void logout(ps_portal *p, const ps_request *rq, ps_response *rs)
{
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(GError) err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *o = body_object(rq, &parser, true, report);
  const char *refresh = NULL;
  if(o && json_object_has_member(o, "refresh_token"))
    refresh = string_member(o, "refresh_token", MAX_TOKEN_TEXT, report);
  if(!report->len && !refresh && !rq->bearer)
    ps_report_add(report, "refresh_token",
                  "ログアウトするトークンがありません。Authorization: Bearer <access_token> か本文の refresh_token で指定してください。");
  if(report->len) {
    oauth_fail(rs, 400, "invalid_request", report);
    return;
  }
  /* RFC 7009 2.2 [P]: a token that is unknown or already ended is not an
   * error; the answer says how many tokens this call ended. */
  const char *given[2] = { rq->bearer, refresh };
  int count = 0;
  gint64 now = now_s();
  for(int i = 0; i < 2; i++) {
    if(!given[i] || strlen(given[i]) > MAX_TOKEN_TEXT)
      continue;
    g_autofree char *session = session_of(p, given[i], &err);
    if(err) {
      server_error(rs, "logout", err);
      return;
    }
    if(session && !revoke_session(p, session, "logout", now, &count, &err)) {
      server_error(rs, "logout", err);
      return;
    }
  }
  JsonObject *r = json_object_new();
  json_object_set_int_member(r, "revoked_tokens", count);
  reply_object(rs, 200, r);
}

/* ---- the check behind PS_ROUTE_RESIDENT ---- */

char *ps_auth_resident(ps_portal *p, const char *access_token)
{
  if(!access_token || !*access_token || strlen(access_token) > MAX_TOKEN_TEXT)
    return NULL;
  g_autofree char *hash = token_hash(access_token);
  char *resident = NULL;
  ps_db_lock(p);
  sqlite3_stmt *st = NULL;
  if(sqlite3_prepare_v2(p->db,
       "SELECT resident_id FROM auth_tokens WHERE token_sha256=?1 "
       "AND kind='access' AND revoked_at IS NULL AND expires_at >= ?2",
       -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_s());
    if(sqlite3_step(st) == SQLITE_ROW)
      resident = g_strdup((const char *)sqlite3_column_text(st, 0));
  }
  else
    g_warning("auth: checking a token: %s", sqlite3_errmsg(p->db));
  sqlite3_finalize(st);
  ps_db_unlock(p);
  return resident;
}

const ps_route ps_auth_routes[] = {
  { "POST", "/auth/v1/challenge", challenge, PS_ROUTE_IDEMPOTENT },
  { "POST", "/auth/v1/jpki-login", jpki_login, PS_ROUTE_IDEMPOTENT },
  { "POST", "/auth/v1/token", token, PS_ROUTE_IDEMPOTENT },
  { "POST", "/auth/v1/logout", logout, PS_ROUTE_IDEMPOTENT },
  { NULL, NULL, NULL, 0 },
};
