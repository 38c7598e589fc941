/* server_internal.h - what the files of server/ share among themselves and
 * with their unit tests; the interface to the other modules is portal.h. */
#ifndef PORTALSIM_SERVER_INTERNAL_H
#define PORTALSIM_SERVER_INTERNAL_H

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "portal.h"

/* One error domain for starting up: loading and creating the data
 * directory, the database, the TLS identity. The message names the file
 * and what to do; main prints it as one line and exits 2. */
#define PS_START_ERROR (ps_start_error_quark())
GQuark ps_start_error_quark(void);
enum { PS_START_ERROR_FAILED };

/* ---- residents.c ---- */

typedef struct ps_resident_entry {
  const char *id;              /* borrowed from the residents.json tree */
  const char *profile;         /* or NULL */
  const char *name;
  const char *address;
  const char *city_code;
  X509_NAME *issuer;           /* the auth certificate's issuer, parsed */
  ASN1_INTEGER *serial;        /* and its serial number */
  X509_NAME *sign_issuer;      /* the registered sign certificate's issuer, */
  ASN1_INTEGER *sign_serial;   /* and serial; both NULL when none is */
  JsonObject *obj;             /* the whole entry (borrowed) */
} ps_resident_entry;

/* Parses an RFC 4514 distinguished name as OpenSSL prints it
 * ("OU=x,O=JPKI,C=JP": the last RDN first) into an X509_NAME in
 * certificate order. Understands multi-valued RDNs ("+"), backslash
 * escapes (\, \+ \" \\ \< \> \; \= \# and \XX hex) and "#hex" values (a
 * DER-encoded value). False on anything else. */
bool ps_x509_name_from_rfc4514(const char *s, X509_NAME **out);

/* Hex digits (as `openssl x509 -serial` prints them, any case, an optional
 * "0x") into an ASN1_INTEGER. False when not hex. */
bool ps_serial_from_hex(const char *hex, ASN1_INTEGER **out);

/* Reads, checks and indexes residents.json into p->residents and
 * p->server. The error names the file, the entry and what is wrong. */
bool ps_residents_load(ps_portal *p, const char *path, GError **error);
void ps_residents_clear(ps_portal *p);
const ps_resident_entry *ps_resident_entry_get(ps_portal *p, const char *id);

/* The self-information categories residents.json may hold [S, modelled on
 * マイナポータル's 自己情報 list]: ASCII id and Japanese title. */
typedef struct ps_selfinfo_category {
  const char *id;
  const char *title;
} ps_selfinfo_category;
extern const ps_selfinfo_category ps_selfinfo_categories[];
const ps_selfinfo_category *ps_selfinfo_category_find(const char *id);

/* municipal-users.json */
typedef struct ps_muni_user {
  char *id;
  char *password_sha256;       /* lowercase hex */
  char *city_code;
  char *name;
} ps_muni_user;
bool ps_municipal_users_load(ps_portal *p, const char *path, GError **error);
const ps_muni_user *ps_municipal_user_find(ps_portal *p, const char *id);

/* True when text contains the resident's name or address (also with the
 * full-width space of the name left out): what no notice body may hold. */
bool ps_text_has_personal_data(const ps_resident_entry *r, const char *text);

/* ---- datadir.c ---- */

typedef struct ps_datadir_sources {
  const char *pki_dir;         /* the test PKI (mkpki.py's output) */
  const char *seed_dir;        /* residents-seed.json, municipal-users.json */
  const char *catalog_dir;     /* the catalogue's *.json, may be missing */
} ps_datadir_sources;

/* Makes sure dir holds a data directory: when it is missing or empty,
 * builds one from src in a temporary directory beside it and renames that
 * into place (so a crash never leaves half of one); an existing non-empty
 * dir is never written to. *created tells which happened. */
bool ps_datadir_prepare(const char *dir, const ps_datadir_sources *src,
                        bool *created, GError **error);

/* Makes a fresh TLS CA and a server certificate for localhost, 127.0.0.1
 * and ::1 (EC P-256) into tls_dir: ca.pem, ca.key, server.pem, server.key. */
bool ps_tls_make(const char *tls_dir, GError **error);

/* Builds residents.json's tree from the PKI's profiles.json and the seed. */
JsonNode *ps_residents_build(const char *profiles_json_path,
                             const char *seed_path, GError **error);

/* Reads a whole file that must be there (error names it). */
bool ps_read_file(const char *path, char **data, size_t *len, GError **error);

/* ---- db.c ---- */

bool ps_db_open(ps_portal *p, const char *path, GError **error);
void ps_db_close(ps_portal *p);
/* Deletes idempotency keys, de-duplication entries and receive tokens past
 * their lifetime; call with db_lock held, outside a transaction. */
void ps_db_purge(ps_portal *p, gint64 now);

typedef struct ps_stored_response {
  char *method;
  char *path;
  char *body_sha256;           /* of the request */
  unsigned status;
  char *content_type;
  char **headers;              /* NULL-terminated "Name: value" */
  GBytes *body;
} ps_stored_response;
void ps_stored_response_free(ps_stored_response *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ps_stored_response, ps_stored_response_free)

/* Inside the transaction: 1 and *out when (terminal, key) is stored, 0 when
 * not, -1 on a database error. */
int ps_idem_lookup(ps_portal *p, const char *terminal, const char *key,
                   ps_stored_response **out, GError **error);
bool ps_idem_store(ps_portal *p, const char *terminal, const char *key,
                   const char *method, const char *path,
                   const char *body_sha256, const ps_response *rs,
                   GError **error);

/* Receive-side login tokens (kept in the database, 1 h). */
char *ps_receive_token_new(ps_portal *p, const char *user_id,
                           const char *city_code, GError **error);
/* The user id behind a valid token, or NULL. With db_lock held. */
char *ps_receive_token_user(ps_portal *p, const char *token);

/* SHA-256 of data as 64 lowercase hex digits (g_free). */
char *ps_sha256_hex(const void *data, size_t len);

/* ---- ratelimit.c ---- */

/* A token bucket per key (the terminal id, else the client address):
 * `rate` requests per second, up to `burst` at once. rate 0 turns it off. */
typedef struct ps_ratelimit ps_ratelimit;
ps_ratelimit *ps_ratelimit_new(double rate, double burst);
void ps_ratelimit_free(ps_ratelimit *rl);
/* Takes one token at time now_us (monotonic µs); false when the bucket is
 * empty, with the whole seconds until a token is back in *retry_after. */
bool ps_ratelimit_take(ps_ratelimit *rl, const char *key, gint64 now_us,
                       unsigned *retry_after);

/* ---- faults.c (--dev only) ---- */

typedef enum ps_fault_kind {
  PS_FAULT_NONE,
  PS_FAULT_DROP_REQUEST_AFTER,  /* close after n bytes of the request body */
  PS_FAULT_DROP_RESPONSE_AFTER, /* handler runs; close after n body bytes
                                   (0: before anything is sent) */
  PS_FAULT_STATUS_503,          /* 503 + Retry-After: n, handler not run */
  PS_FAULT_STALL,               /* handler runs; the reply waits n ms */
  PS_FAULT_TRUNCATE_BODY,       /* handler runs; full Content-Length, half
                                   the body, close */
} ps_fault_kind;

typedef struct ps_fault {
  ps_fault_kind kind;
  guint64 n;
} ps_fault;

typedef struct ps_faults ps_faults;
ps_faults *ps_faults_new(void);
void ps_faults_free(ps_faults *f);
/* Appends the rules of {"rules":[...]} (format in docs/portal-sim.md);
 * nothing is added when one is wrong, and report names it. */
bool ps_faults_add_json(ps_faults *f, JsonObject *root, GPtrArray *report);
/* One rule from a --fault flag: "METHOD PATH-PREFIX KIND[=N] [times=N]". */
bool ps_faults_add_spec(ps_faults *f, const char *spec, GError **error);
void ps_faults_clear(ps_faults *f);
/* The fault for a request that starts now, consuming one use of the first
 * matching rule; kind PS_FAULT_NONE when none matches. */
ps_fault ps_faults_take(ps_faults *f, const char *method, const char *path);
JsonNode *ps_faults_to_json(ps_faults *f);

/* ---- router.c ---- */

typedef struct ps_router ps_router;
ps_router *ps_router_new(void);
void ps_router_free(ps_router *r);
/* Adds a table ended by { NULL }; PS_ROUTE_DEV routes only when dev. */
void ps_router_add(ps_router *r, const ps_route *table, bool dev);

typedef enum ps_match {
  PS_MATCH_FOUND,
  PS_MATCH_NO_PATH,            /* 404 */
  PS_MATCH_NO_METHOD,          /* 405; *allow lists the methods */
} ps_match;
/* params (g_strfreev) gets the {} segments. */
ps_match ps_router_match(const ps_router *r, const char *method,
                         const char *path, const ps_route **route,
                         char ***params, char **allow);

/* ---- reply.c ---- */

void ps_response_init(ps_response *rs);
void ps_response_clear(ps_response *rs);
char *ps_json_to_string(JsonNode *node, size_t *len);
/* The error envelope as a node (for replies that add members of their own). */
JsonNode *ps_error_envelope(unsigned status, const char *code,
                            const char *title, const char *detail,
                            const GPtrArray *report);

/* Query parameter name as an integer in [min, max]; def when absent. False
 * (the caller answers 400) when it is there but not such an integer. */
bool ps_query_uint(const ps_request *rq, const char *name, long min, long max,
                   long def, long *out);
/* The resultset of a list answer: {all_count, limit, offset, count}. */
JsonNode *ps_resultset(long all, long limit, long offset, long count);
/* A date parameter: NULL, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", a real
 * date and time. */
bool ps_date_param_ok(const char *s);
/* The upper end of a date range: a date alone covers that whole day
 * (" 23:59:59" added); NULL stays NULL. */
char *ps_date_range_end(const char *to);

/* A member that is a JSON string, or NULL (absent, null, another type). */
const char *ps_json_string(JsonObject *o, const char *name);
/* A member that is a JSON integer: true and *out, else false. */
bool ps_json_int(JsonObject *o, const char *name, gint64 *out);

/* ---- http.c ---- */

typedef struct ps_http_config {
  const char *listen;          /* ADDR:PORT, [V6ADDR]:PORT */
  unsigned threads;
  unsigned connection_limit;
  unsigned per_ip_limit;
  size_t memory_limit;         /* per connection */
  unsigned timeout_s;          /* idle connection time-out */
  double rate;                 /* per terminal, requests per second (0: off) */
  double burst;
} ps_http_config;

typedef struct ps_http ps_http;
/* Starts serving; *url_out (g_free) is "https://ADDR:PORT" with the real
 * port. Routes must be in p->server already. */
bool ps_http_start(ps_portal *p, const ps_http_config *cfg, ps_http **out,
                   char **url_out, GError **error);
/* Stops accepting, lets the requests under way finish (up to grace_ms),
 * then stops. */
void ps_http_stop(ps_http *h, unsigned grace_ms);

/* ---- terminal.c: TLS client certificates of terminals [S] ---- */

typedef enum ps_terminal_cert {
  PS_TERMINAL_CERT_NONE,        /* none presented (or none asked for) */
  PS_TERMINAL_CERT_VALID,       /* verified; the CN is the terminal id */
  PS_TERMINAL_CERT_UNTRUSTED,   /* does not chain to trust/terminal-ca.pem */
  PS_TERMINAL_CERT_EXPIRED,     /* outside its (or its CA's) validity */
  PS_TERMINAL_CERT_WRONG_USAGE, /* no extendedKeyUsage clientAuth, or a
                                   keyUsage without digitalSignature */
  PS_TERMINAL_CERT_BAD_CN,      /* not exactly one CN usable as terminal id */
  PS_TERMINAL_CERT_INVALID,     /* anything else: signature, algorithm ... */
} ps_terminal_cert;

/* Reads the terminal CA file (PEM, one or more CA certificates) into
 * *pem_out (g_free), or leaves it NULL when the file does not exist: the
 * server then asks no terminal for a certificate. False, with the file
 * named, when it is there but not a list of CA certificates. */
bool ps_terminal_ca_load(const char *path, char **pem_out, GError **error);

/* The peer certificate of a TLS session (a gnutls_session_t) verified
 * against the session's trust list: chain, dates, purpose clientAuth, then
 * ps_terminal_leaf_check. *cn_out (g_free) is set only for VALID. */
ps_terminal_cert ps_terminal_cert_check(void *tls_session, char **cn_out);

/* The checks on the terminal's own certificate (DER) beyond its chain:
 * extendedKeyUsage present with clientAuth, keyUsage (when present) with
 * digitalSignature, exactly one CN of 1-64 printable ASCII characters
 * without spaces (the rule of X-Terminal-Id). VALID and *cn_out, or why
 * not. */
ps_terminal_cert ps_terminal_leaf_check(const unsigned char *der, size_t len,
                                        char **cn_out);

/* A short ASCII name for the log ("verified", "expired" ...) and the
 * Japanese text of the 403 that tells the terminal's keeper what to do. */
const char *ps_terminal_cert_name(ps_terminal_cert r);
const char *ps_terminal_cert_message(ps_terminal_cert r);

/* ---- the server's own state ---- */

struct ps_server {
  GPtrArray *residents;        /* ps_resident_entry */
  GHashTable *residents_by_id; /* id -> ps_resident_entry */
  GPtrArray *muni_users;       /* ps_muni_user */
  ps_router *router;
  ps_ratelimit *ratelimit;
  ps_faults *faults;           /* NULL without --dev */
  gint64 last_purge;           /* under db_lock */
};

/* Route tables of server/. */
extern const ps_route ps_resident_routes[];  /* resident.c */
extern const ps_route ps_receive_routes[];   /* receive.c */
extern const ps_route ps_dev_routes[];       /* dev.c */

#endif
