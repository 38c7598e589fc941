/* db.c - portal.db: one SQLite connection in WAL mode with synchronous=FULL,
 * so that a COMMIT that returned is on disk before any reply that depends
 * on it goes out. The tables of server/ and the helpers portal.h exports
 * for the other modules. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "server_internal.h"

/* Version of server/'s tables in schema_version; a database written by a
 * newer portal-sim is refused instead of being misread. */
#define SERVER_SCHEMA_VERSION 1

#define IDEMPOTENCY_KEEP_S (24 * 3600)   /* [S] portal-api.md */
#define DEDUP_KEEP_S (24 * 3600)         /* [S] portal-api.md */
#define RECEIVE_TOKEN_S 3600             /* [S] */

G_DEFINE_QUARK(ps-db-error-quark, ps_db_error)
G_DEFINE_QUARK(ps-start-error-quark, ps_start_error)

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS schema_version("
  "  module TEXT PRIMARY KEY, version INTEGER NOT NULL);"
  /* Stored responses of PS_ROUTE_IDEMPOTENT routes, per terminal. */
  "CREATE TABLE IF NOT EXISTS idempotency("
  "  terminal TEXT NOT NULL, key TEXT NOT NULL,"
  "  method TEXT NOT NULL, path TEXT NOT NULL, body_sha256 TEXT NOT NULL,"
  "  status INTEGER NOT NULL, content_type TEXT, headers TEXT NOT NULL,"
  "  body BLOB NOT NULL, created_at INTEGER NOT NULL,"
  "  PRIMARY KEY(terminal, key));"
  "CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at);"
  "CREATE TABLE IF NOT EXISTS dedup("
  "  user TEXT NOT NULL, package_sha256 TEXT NOT NULL,"
  "  arrive_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  PRIMARY KEY(user, package_sha256));"
  "CREATE TABLE IF NOT EXISTS applications("
  "  arrive_id TEXT PRIMARY KEY, proc_id TEXT NOT NULL,"
  "  city_code TEXT NOT NULL, resident_id TEXT NOT NULL,"
  "  status TEXT NOT NULL, portal_status TEXT NOT NULL,"
  "  arrive_date TEXT NOT NULL, inquiry_no TEXT NOT NULL,"
  "  package_sha256 TEXT NOT NULL, package_file_name TEXT, package BLOB,"
  "  form_json TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS applications_city ON applications(city_code, arrive_date);"
  "CREATE INDEX IF NOT EXISTS applications_resident ON applications(resident_id);"
  "CREATE TABLE IF NOT EXISTS application_status_log("
  "  id INTEGER PRIMARY KEY, arrive_id TEXT NOT NULL,"
  "  status TEXT NOT NULL, portal_status TEXT NOT NULL, comment TEXT,"
  "  changed_by TEXT NOT NULL, changed_at INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS status_log_arrive ON application_status_log(arrive_id);"
  "CREATE TABLE IF NOT EXISTS notices("
  "  id INTEGER PRIMARY KEY, resident_id TEXT NOT NULL,"
  "  arrive_id TEXT NOT NULL, notice_sub_id TEXT NOT NULL,"
  "  kind TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,"
  "  sender TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  UNIQUE(arrive_id, notice_sub_id));"
  "CREATE INDEX IF NOT EXISTS notices_resident ON notices(resident_id);"
  "CREATE TABLE IF NOT EXISTS receive_tokens("
  "  token_sha256 TEXT PRIMARY KEY, user_id TEXT NOT NULL,"
  "  city_code TEXT NOT NULL, expires_at INTEGER NOT NULL);"
  /* --dev: POST /_dev/echo, the durability test's writes. */
  "CREATE TABLE IF NOT EXISTS dev_echo("
  "  id INTEGER PRIMARY KEY, terminal TEXT NOT NULL, key TEXT NOT NULL,"
  "  body_sha256 TEXT NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL);";

void ps_db_lock(ps_portal *p)
{
  g_mutex_lock(&p->db_lock);
}

void ps_db_unlock(ps_portal *p)
{
  g_mutex_unlock(&p->db_lock);
}

bool ps_db_fail(ps_portal *p, GError **error, const char *what)
{
  g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL, "%s: %s", what,
              sqlite3_errmsg(p->db));
  return false;
}

bool ps_db_exec(ps_portal *p, const char *sql, GError **error)
{
  char *msg = NULL;
  if(sqlite3_exec(p->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL, "%s", msg ? msg : "SQL error");
    sqlite3_free(msg);
    return false;
  }
  return true;
}

sqlite3_stmt *ps_db_prepare(ps_portal *p, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if(sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK) {
    ps_db_fail(p, error, "prepare");
    return NULL;
  }
  return st;
}


static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if(s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

bool ps_db_open(ps_portal *p, const char *path, GError **error)
{
  int rc = sqlite3_open_v2(path, &p->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                           SQLITE_OPEN_FULLMUTEX, NULL);
  if(rc != SQLITE_OK) {
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                "%s: cannot open the database (%s); check that the data "
                "directory is writable", path,
                p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
    return false;
  }
  sqlite3_busy_timeout(p->db, 5000);
  g_autoptr(GError) err = NULL;
  /* journal_mode answers with a row; sqlite3_exec ignores it. */
  if(!ps_db_exec(p, "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;", &err) ||
     !ps_db_exec(p, "BEGIN IMMEDIATE;", &err) ||
     !ps_db_exec(p, schema, &err))
    goto fail;
  {
    g_autoptr(sqlite3_stmt) st =
      ps_db_prepare(p, "SELECT version FROM schema_version WHERE module='server'", &err);
    if(!st)
      goto fail;
    if(sqlite3_step(st) == SQLITE_ROW) {
      int v = sqlite3_column_int(st, 0);
      if(v > SERVER_SCHEMA_VERSION) {
        ps_db_exec(p, "ROLLBACK;", NULL);
        g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                    "%s: written by a newer portal-sim (schema %d, this one "
                    "knows %d); use that version or a fresh data directory",
                    path, v, SERVER_SCHEMA_VERSION);
        return false;
      }
    }
  }
  {
    g_autofree char *sql = g_strdup_printf(
      "INSERT OR REPLACE INTO schema_version(module, version) "
      "VALUES('server', %d); COMMIT;", SERVER_SCHEMA_VERSION);
    if(!ps_db_exec(p, sql, &err))
      goto fail;
  }
  ps_db_purge(p, g_get_real_time() / G_USEC_PER_SEC);
  return true;

fail:
  ps_db_exec(p, "ROLLBACK;", NULL);
  g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
              "%s: cannot set up the database (%s); if the file is damaged, "
              "move it away and start again", path, err ? err->message : "?");
  return false;
}

void ps_db_close(ps_portal *p)
{
  if(p->db) {
    /* A clean close checkpoints the WAL into the main file. */
    sqlite3_close_v2(p->db);
    p->db = NULL;
  }
}

void ps_db_purge(ps_portal *p, gint64 now)
{
  g_autofree char *sql = g_strdup_printf(
    "DELETE FROM idempotency WHERE created_at < %" G_GINT64_FORMAT ";"
    "DELETE FROM dedup WHERE created_at < %" G_GINT64_FORMAT ";"
    "DELETE FROM receive_tokens WHERE expires_at < %" G_GINT64_FORMAT ";",
    now - IDEMPOTENCY_KEEP_S, now - DEDUP_KEEP_S, now);
  g_autoptr(GError) err = NULL;
  if(!ps_db_exec(p, sql, &err))
    g_printerr("portal-sim: purging old keys failed: %s\n", err->message);
  p->server->last_purge = now;
}

char *ps_sha256_hex(const void *data, size_t len)
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  char *hex = g_malloc(65);
  for(int i = 0; i < 32; i++)
    g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}

/* ---- idempotency ---- */

void ps_stored_response_free(ps_stored_response *s)
{
  if(!s)
    return;
  g_free(s->method);
  g_free(s->path);
  g_free(s->body_sha256);
  g_free(s->content_type);
  g_strfreev(s->headers);
  if(s->body)
    g_bytes_unref(s->body);
  g_free(s);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

int ps_idem_lookup(ps_portal *p, const char *terminal, const char *key,
                   ps_stored_response **out, GError **error)
{
  *out = NULL;
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "SELECT method, path, body_sha256, status, content_type, headers, body "
    "FROM idempotency WHERE terminal=?1 AND key=?2 AND created_at >= ?3", error);
  if(!st)
    return -1;
  bind_text(st, 1, terminal);
  bind_text(st, 2, key);
  sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC - IDEMPOTENCY_KEEP_S);
  int rc = sqlite3_step(st);
  if(rc == SQLITE_DONE)
    return 0;
  if(rc != SQLITE_ROW) {
    ps_db_fail(p, error, "idempotency lookup");
    return -1;
  }
  ps_stored_response *s = g_new0(ps_stored_response, 1);
  s->method = dup_col(st, 0);
  s->path = dup_col(st, 1);
  s->body_sha256 = dup_col(st, 2);
  s->status = (unsigned)sqlite3_column_int(st, 3);
  s->content_type = dup_col(st, 4);
  const char *hj = (const char *)sqlite3_column_text(st, 5);
  g_autoptr(JsonParser) jp = json_parser_new();
  GPtrArray *hs = g_ptr_array_new();
  if(hj && json_parser_load_from_data(jp, hj, -1, NULL) &&
     JSON_NODE_HOLDS_ARRAY(json_parser_get_root(jp))) {
    JsonArray *a = json_node_get_array(json_parser_get_root(jp));
    for(guint i = 0; i < json_array_get_length(a); i++) {
      const char *h = json_array_get_string_element(a, i);
      if(h)
        g_ptr_array_add(hs, g_strdup(h));
    }
  }
  g_ptr_array_add(hs, NULL);
  s->headers = (char **)g_ptr_array_free(hs, FALSE);
  const void *b = sqlite3_column_blob(st, 6);
  s->body = g_bytes_new(b, (gsize)sqlite3_column_bytes(st, 6));
  *out = s;
  return 1;
}

bool ps_idem_store(ps_portal *p, const char *terminal, const char *key,
                   const char *method, const char *path,
                   const char *body_sha256, const ps_response *rs,
                   GError **error)
{
  JsonArray *a = json_array_new();
  for(guint i = 0; i < rs->headers->len; i++)
    json_array_add_string_element(a, g_ptr_array_index(rs->headers, i));
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, a);
  g_autofree char *hj = ps_json_to_string(n, NULL);
  json_node_unref(n);

  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT OR REPLACE INTO idempotency(terminal, key, method, path, "
    "body_sha256, status, content_type, headers, body, created_at) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
  if(!st)
    return false;
  gsize blen = 0;
  const void *b = rs->body ? g_bytes_get_data(rs->body, &blen) : NULL;
  bind_text(st, 1, terminal);
  bind_text(st, 2, key);
  bind_text(st, 3, method);
  bind_text(st, 4, path);
  bind_text(st, 5, body_sha256);
  sqlite3_bind_int(st, 6, (int)rs->status);
  bind_text(st, 7, rs->content_type);
  bind_text(st, 8, hj);
  sqlite3_bind_blob(st, 9, b ? b : "", (int)blen, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 10, g_get_real_time() / G_USEC_PER_SEC);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "storing the idempotency key");
  return true;
}

/* ---- de-duplication of submissions ---- */

bool ps_dedup_lookup(ps_portal *p, const char *user, const char *sha256hex,
                     char **arrive_id_out)
{
  *arrive_id_out = NULL;
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "SELECT arrive_id FROM dedup WHERE user=?1 AND package_sha256=?2 "
    "AND created_at >= ?3", NULL);
  if(!st)
    return false;
  g_autofree char *lower = g_ascii_strdown(sha256hex, -1);
  bind_text(st, 1, user);
  bind_text(st, 2, lower);
  sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC - DEDUP_KEEP_S);
  if(sqlite3_step(st) != SQLITE_ROW)
    return false;
  *arrive_id_out = dup_col(st, 0);
  return *arrive_id_out != NULL;
}

bool ps_dedup_store(ps_portal *p, const char *user, const char *sha256hex,
                    const char *arrive_id, GError **error)
{
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT OR REPLACE INTO dedup(user, package_sha256, arrive_id, created_at) "
    "VALUES(?1, ?2, ?3, ?4)", error);
  if(!st)
    return false;
  g_autofree char *lower = g_ascii_strdown(sha256hex, -1);
  bind_text(st, 1, user);
  bind_text(st, 2, lower);
  bind_text(st, 3, arrive_id);
  sqlite3_bind_int64(st, 4, g_get_real_time() / G_USEC_PER_SEC);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "storing the package hash");
  return true;
}

/* ---- applications and notices ---- */

bool ps_application_insert(ps_portal *p, const ps_application *app,
                           GError **error)
{
  const char *required[] = { app->arrive_id, app->proc_id, app->city_code,
                             app->resident_id, app->status, app->portal_status,
                             app->arrive_date, app->inquiry_no,
                             app->package_sha256 };
  for(size_t i = 0; i < G_N_ELEMENTS(required); i++)
    if(!required[i] || !*required[i]) {
      g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL,
                  "ps_application_insert: a required field is empty");
      return false;
    }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  {
    g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
      "INSERT INTO applications(arrive_id, proc_id, city_code, resident_id, "
      "status, portal_status, arrive_date, inquiry_no, package_sha256, "
      "package_file_name, package, form_json, created_at, updated_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)", error);
    if(!st)
      return false;
    bind_text(st, 1, app->arrive_id);
    bind_text(st, 2, app->proc_id);
    bind_text(st, 3, app->city_code);
    bind_text(st, 4, app->resident_id);
    bind_text(st, 5, app->status);
    bind_text(st, 6, app->portal_status);
    bind_text(st, 7, app->arrive_date);
    bind_text(st, 8, app->inquiry_no);
    bind_text(st, 9, app->package_sha256);
    bind_text(st, 10, app->package_file_name);
    if(app->package)
      sqlite3_bind_blob64(st, 11, app->package, app->package_len, SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(st, 11);
    bind_text(st, 12, app->form_json);
    sqlite3_bind_int64(st, 13, now);
    int rc = sqlite3_step(st);
    if(rc == SQLITE_CONSTRAINT) {
      g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_EXISTS,
                  "arrive_id %s exists", app->arrive_id);
      return false;
    }
    if(rc != SQLITE_DONE)
      return ps_db_fail(p, error, "storing the application");
  }
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT INTO application_status_log(arrive_id, status, portal_status, "
    "comment, changed_by, changed_at) VALUES(?1, ?2, ?3, NULL, 'portal', ?4)", error);
  if(!st)
    return false;
  bind_text(st, 1, app->arrive_id);
  bind_text(st, 2, app->status);
  bind_text(st, 3, app->portal_status);
  sqlite3_bind_int64(st, 4, now);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "logging the status");
  return true;
}

bool ps_notice_add(ps_portal *p, const char *resident_id, const char *arrive_id,
                   const char *kind, const char *title, const char *body,
                   const char *sender, char **sub_id_out, GError **error)
{
  if(sub_id_out)
    *sub_id_out = NULL;
  const ps_resident_entry *re = ps_resident_entry_get(p, resident_id);
  if(re && (ps_text_has_personal_data(re, title) || ps_text_has_personal_data(re, body))) {
    g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_PERSONAL_DATA,
                "a notice for %s would hold the resident's name or address", resident_id);
    return false;
  }
  int next = 1;
  {
    g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
      "SELECT COALESCE(MAX(CAST(notice_sub_id AS INTEGER)), 0) + 1 "
      "FROM notices WHERE arrive_id=?1", error);
    if(!st)
      return false;
    bind_text(st, 1, arrive_id);
    if(sqlite3_step(st) != SQLITE_ROW)
      return ps_db_fail(p, error, "numbering the notice");
    next = sqlite3_column_int(st, 0);
  }
  char sub[16];
  g_snprintf(sub, sizeof(sub), "%02d", next);
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT INTO notices(resident_id, arrive_id, notice_sub_id, kind, title, "
    "body, sender, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if(!st)
    return false;
  bind_text(st, 1, resident_id);
  bind_text(st, 2, arrive_id);
  bind_text(st, 3, sub);
  bind_text(st, 4, kind);
  bind_text(st, 5, title);
  bind_text(st, 6, body);
  bind_text(st, 7, sender);
  sqlite3_bind_int64(st, 8, g_get_real_time() / G_USEC_PER_SEC);
  if(sqlite3_step(st) != SQLITE_DONE)
    return ps_db_fail(p, error, "storing the notice");
  if(sub_id_out)
    *sub_id_out = g_strdup(sub);
  return true;
}

/* ---- receive-side tokens ---- */

char *ps_receive_token_new(ps_portal *p, const char *user_id,
                           const char *city_code, GError **error)
{
  unsigned char raw[32];
  if(RAND_bytes(raw, sizeof(raw)) != 1) {
    g_set_error(error, PS_DB_ERROR, PS_DB_ERROR_SQL, "no random bytes");
    return NULL;
  }
  g_autofree char *b64 = g_base64_encode(raw, sizeof(raw));
  /* base64url without padding: safe in a header as it is. */
  for(char *c = b64; *c; c++)
    *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  char *eq = strchr(b64, '=');
  if(eq)
    *eq = '\0';
  g_autofree char *hash = ps_sha256_hex(b64, strlen(b64));
  g_autoptr(sqlite3_stmt) st = ps_db_prepare(p,
    "INSERT INTO receive_tokens(token_sha256, user_id, city_code, expires_at) "
    "VALUES(?1, ?2, ?3, ?4)", error);
  if(!st)
    return NULL;
  bind_text(st, 1, hash);
  bind_text(st, 2, user_id);
  bind_text(st, 3, city_code);
  sqlite3_bind_int64(st, 4, g_get_real_time() / G_USEC_PER_SEC + RECEIVE_TOKEN_S);
  if(sqlite3_step(st) != SQLITE_DONE) {
    ps_db_fail(p, error, "storing the token");
    return NULL;
  }
  return g_steal_pointer(&b64);
}

char *ps_receive_token_user(ps_portal *p, const char *token)
{
  if(!token)
    return NULL;
  /* Only the hash is stored: a copy of the database gives no live token. */
  g_autofree char *hash = ps_sha256_hex(token, strlen(token));
  char *user = NULL;
  sqlite3_stmt *st = ps_db_prepare(p,
    "SELECT user_id FROM receive_tokens WHERE token_sha256=?1 AND expires_at >= ?2",
    NULL);
  if(st) {
    bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, g_get_real_time() / G_USEC_PER_SEC);
    if(sqlite3_step(st) == SQLITE_ROW)
      user = dup_col(st, 0);
    sqlite3_finalize(st);
  }
  return user;
}
