/* portal.h - portal-sim's central struct and the interface between the HTTP
 * server (server/) and the modules that answer requests (pki/, server/'s own
 * resident and municipality endpoints ...).
 *
 * A module exports a table of routes, ended by { NULL }. The server matches
 * method and path, checks what the route's flags ask for (resident token,
 * Idempotency-Key), and calls the handler on one of its worker threads with
 * the whole request body in memory (bounded by the size caps). The handler
 * fills the response through the ps_reply_* helpers. Handlers may run on
 * several threads at once: everything they share lives in ps_portal and is
 * guarded as said below.
 */
#ifndef PORTALSIM_PORTAL_H
#define PORTALSIM_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "report.h"

typedef struct ps_pki ps_pki;         /* pki/pki.h */
typedef struct ps_catalog ps_catalog; /* catalog/catalog.h */
typedef struct ps_server ps_server;   /* server/: routes, limits, faults,
                                         the resident index, receive-side
                                         accounts (server_internal.h) */

typedef struct ps_portal {
  char *data_dir;
  bool dev;                  /* --dev: fault-injection controls enabled */

  /* The database (data_dir/portal.db): WAL, synchronous FULL, one
   * connection. Hold db_lock around every use, a whole transaction at a
   * time (ps_db_lock/ps_db_unlock). Each module creates its own tables in
   * its init function (CREATE TABLE IF NOT EXISTS). */
  sqlite3 *db;
  GMutex db_lock;

  ps_pki *pki;               /* trust anchors, CRLs, OCSP: read-only after
                                start except through pki.h's own locking */
  ps_catalog *catalog;       /* read-only after start */
  JsonNode *residents;       /* residents.json, read-only after start.
                                Share no JsonNode of it with a tree of your
                                own (json-glib's reference counts are not
                                thread-safe): read it, or copy it with
                                ps_json_copy. */
  ps_server *server;         /* the HTTP server's own state */
} ps_portal;

void ps_db_lock(ps_portal *p);
void ps_db_unlock(ps_portal *p);

typedef struct ps_request {
  const char *method;          /* "GET", "POST", "PUT" */
  const char *path;            /* decoded, without the query string */
  const char *const *params;   /* the route's {} parts, in order, decoded */
  size_t nparams;
  GHashTable *query;           /* char * -> char *, decoded; never NULL */
  const uint8_t *body;         /* the whole body (NUL-terminated copy), or NULL */
  size_t body_len;
  const char *content_type;    /* or NULL */
  const char *terminal_id;     /* the terminal: the CN of its verified TLS
                                  client certificate, else X-Terminal-Id,
                                  else NULL */
  bool terminal_verified;      /* terminal_id comes from a certificate that
                                  verified against trust/terminal-ca.pem */
  const char *bearer;          /* the token of "Authorization: Bearer ...", or NULL */
  const char *idempotency_key; /* or NULL */
  const char *resident_id;     /* PS_ROUTE_RESIDENT: whose token it is;
                                  NULL when relayed */
  bool relayed;                /* PS_ROUTE_TERMINAL_RELAY: a verified terminal
                                  without a resident token; the handler must
                                  find the resident itself */
  const char *client_addr;     /* for logs and the rate limit */
  const char *route;           /* the matched route's pattern */
} ps_request;

typedef struct ps_response {
  unsigned status;             /* 0 until a reply is set */
  char *content_type;          /* g_free'd; NULL: application/json; charset=utf-8 */
  GBytes *body;
  GPtrArray *headers;          /* of g_strdup'ed "Name: value" */
  const char *title;           /* metadata.title of the success envelope:
                                  the route's pattern unless the handler
                                  sets a (static) title of its own */
} ps_response;

typedef void (*ps_handler_fn)(ps_portal *p, const ps_request *rq, ps_response *rs);

enum {
  /* A POST that must carry Idempotency-Key: the server replays the stored
   * response for the same key and body, answers 409 for the same key with
   * another body, and stores the handler's response (2xx and 4xx alike)
   * under the key in the same transaction as the handler's own writes: the
   * server takes db_lock and opens the transaction (BEGIN IMMEDIATE) before
   * it calls the handler, which then uses p->db without locking, and
   * commits after it; a handler that set a 5xx reply makes it roll back.
   * So a 201 goes out only after its transaction committed. The resident
   * token (PS_ROUTE_RESIDENT) is checked before, without db_lock held. */
  PS_ROUTE_IDEMPOTENT = 1u << 0,
  /* Needs "Authorization: Bearer <resident access token>"; the server checks
   * it (ps_auth_resident) and sets rq->resident_id. 401 otherwise. */
  PS_ROUTE_RESIDENT = 1u << 1,
  /* Exists only with --dev. */
  PS_ROUTE_DEV = 1u << 2,
  /* The body may be up to PS_MAX_PACKAGE_BODY (application packages,
   * photos); other routes are capped at PS_MAX_JSON_BODY. */
  PS_ROUTE_LARGE_BODY = 1u << 3,
  /* With PS_ROUTE_RESIDENT [S]: a request with no Authorization header at
   * all but a verified terminal client certificate passes without a
   * resident token. rq->relayed is then true and rq->resident_id NULL:
   * the handler finds the resident from what the request proves by itself
   * (a signed package's sign certificate, ps_resident_by_sign_cert) or
   * refuses. With a token present the route behaves as PS_ROUTE_RESIDENT
   * alone. For a kiosk delivering a signed application from its outbox
   * after the resident's session is gone. */
  PS_ROUTE_TERMINAL_RELAY = 1u << 4,
};

#define PS_MAX_JSON_BODY (256u * 1024u)
#define PS_MAX_PACKAGE_BODY (64u * 1024u * 1024u)

typedef struct ps_route {
  const char *method;
  const char *pattern;         /* "/shinsei/v2/procedure/{}": {} matches one
                                  non-empty path segment */
  ps_handler_fn fn;
  unsigned flags;
} ps_route;

/* ---- replies (server/reply.c) ---- */

/* status and a JSON body; takes node. */
void ps_reply_json(ps_response *rs, unsigned status, JsonNode *node);

/* The success envelope {metadata, resultset?, results, _links?}: takes
 * results, resultset and links (each may be NULL except results). metadata
 * is filled by the server (title, a timestamp in JST). */
void ps_reply_results(ps_response *rs, unsigned status, JsonNode *results,
                      JsonNode *resultset, JsonNode *links);

/* The error envelope {title, detail, type, instance, report_list}. code is
 * a short machine-readable name that becomes the type URI
 * ("urn:mynaterm:portal-sim:error:<code>"); title and detail are Japanese
 * text for a person; report may be NULL (an empty report_list). */
void ps_reply_error(ps_response *rs, unsigned status, const char *code,
                    const char *title, const char *detail,
                    const GPtrArray *report);

/* OAuth-shaped errors of /auth/v1: {error, error_description}. */
void ps_reply_oauth_error(ps_response *rs, unsigned status, const char *error,
                          const char *description);

/* Raw bytes (jlis-sim's DER files, OCSP answers). Takes body. */
void ps_reply_bytes(ps_response *rs, unsigned status, const char *content_type,
                    GBytes *body);

void ps_reply_header(ps_response *rs, const char *name, const char *value);

/* The request body as a JSON object; on failure (no body, not JSON, not an
 * object) the 400 error reply is set and NULL returned. */
JsonObject *ps_request_json_object(const ps_request *rq, ps_response *rs,
                                   JsonParser **parser_out);

/* "YYYY-MM-DD HH:MM:SS" in JST (portal-api.md's date format), for t seconds
 * since the epoch. */
char *ps_format_jst(gint64 t);

/* server/residents.c: the id of the registered resident (利用者登録) whose
 * auth certificate has this issuer and serial number, or NULL. The id lives
 * as long as p. */
const char *ps_resident_by_cert(ps_portal *p, const X509_NAME *issuer,
                                const ASN1_INTEGER *serial);

/* server/residents.c: the id of the registered resident whose sign
 * certificate (residents.json "sign_cert") has this issuer and serial
 * number, or NULL. [S] It stands for J-LIS's link between a person's auth
 * and sign certificates (シリアル番号紐付け): how a terminal relaying a signed
 * application without a resident token finds whose it is. */
const char *ps_resident_by_sign_cert(ps_portal *p, const X509_NAME *issuer,
                                     const ASN1_INTEGER *serial);

/* A deep copy of node that shares nothing with it (see ps_portal.residents). */
JsonNode *ps_json_copy(JsonNode *node);

/* server/residents.c: the resident's object in residents.json (format in
 * docs/portal-sim.md: id, name, name_kana, birth_date, address, city_code,
 * selfinfo, records, notices), or NULL. Borrowed, read-only, lives as long
 * as p. */
JsonObject *ps_resident_get(ps_portal *p, const char *resident_id);

/* ---- the database helpers of server/db.c ----
 * All of them run inside the caller's transaction: call them from the
 * handler of a PS_ROUTE_IDEMPOTENT route (which already holds db_lock in a
 * transaction) or between ps_db_lock and ps_db_unlock. They report failure
 * through error (domain PS_DB_ERROR) and then the handler answers 5xx, which
 * rolls the transaction back. */
#define PS_DB_ERROR (ps_db_error_quark())
GQuark ps_db_error_quark(void);
enum { PS_DB_ERROR_SQL, PS_DB_ERROR_EXISTS, PS_DB_ERROR_PERSONAL_DATA };

/* Run sql (one or more statements); a prepared statement of one; the
 * database's last error as a PS_DB_ERROR_SQL in error, prefixed by what
 * (always false, for "return ps_db_fail(...)"). */
bool ps_db_exec(ps_portal *p, const char *sql, GError **error);
sqlite3_stmt *ps_db_prepare(ps_portal *p, const char *sql, GError **error);
bool ps_db_fail(ps_portal *p, GError **error, const char *what);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* De-duplication of submissions [S]: the arrive_id of the package with this
 * SHA-256 (64 lowercase hex digits) that user submitted within the last
 * 24 h, or false. *arrive_id_out (g_free) is set only on true. */
bool ps_dedup_lookup(ps_portal *p, const char *user, const char *sha256hex,
                     char **arrive_id_out);
bool ps_dedup_store(ps_portal *p, const char *user, const char *sha256hex,
                    const char *arrive_id, GError **error);

/* One received application (the applications table). Every string is
 * required except package_file_name and form_json; package may be NULL with
 * package_len 0 when only its hash is kept. */
typedef struct ps_application {
  const char *arrive_id;       /* 16 digits, the 到達番号 = the municipality's 受付番号 */
  const char *proc_id;
  const char *city_code;       /* the municipality that receives it */
  const char *resident_id;
  const char *status;          /* 到達 when it arrives */
  const char *portal_status;   /* 処理中 when it arrives */
  const char *arrive_date;     /* ps_format_jst */
  const char *inquiry_no;      /* 問合せ番号 */
  const char *package_sha256;  /* hex */
  const char *package_file_name;
  const uint8_t *package;      /* the ZIP as received */
  size_t package_len;
  const char *form_json;       /* the form data as JSON text */
} ps_application;

/* Stores app and its first status-log entry. PS_DB_ERROR_EXISTS when the
 * arrive_id is taken. */
bool ps_application_insert(ps_portal *p, const ps_application *app,
                           GError **error);

/* A notice (お知らせ) for a resident, shown by /shinsei/v2/notice/...
 * notice_sub_id is the next free two-digit number under arrive_id; returned
 * in *sub_id_out (g_free) when that is not NULL. A title or body holding the
 * resident's name or address is refused with PS_DB_ERROR_PERSONAL_DATA
 * (portal-api.md: never in a notice's text); check it first to answer the
 * client with a 422 that names the field. */
bool ps_notice_add(ps_portal *p, const char *resident_id, const char *arrive_id,
                   const char *kind, const char *title, const char *body,
                   const char *sender, char **sub_id_out, GError **error);

/* ---- provided by the modules ---- */

/* pki/auth.c: the resident behind an access token that is valid now, or
 * NULL (then the caller answers 401). Returns a new string. */
char *ps_auth_resident(ps_portal *p, const char *access_token);

extern const ps_route ps_auth_routes[];     /* pki/auth.c: /auth/v1 */
extern const ps_route ps_jlis_routes[];     /* pki/jlis.c: /ca, /crl, /ocsp */

/* server/shinsei.c and server/kofu.c (written later): /shinsei/v2 search
 * and apply, /kofu/v1. The build adds each file and its table when the file
 * exists (PS_HAVE_SHINSEI, PS_HAVE_KOFU). */
extern const ps_route ps_shinsei_routes[];
extern const ps_route ps_kofu_routes[];

#endif
