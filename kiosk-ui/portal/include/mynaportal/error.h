/* mynaportal/error.h - the one error type of the portal client.
 *
 * Every fallible function of libmynaportal reports a GError in the domain
 * MP_ERROR with a code from mp_error (cancellation is the usual
 * G_IO_ERROR_CANCELLED). Callers write
 *   if(!ok) return FALSE;   (propagating the GError)
 * Each code has a message in Japanese and in English that tells the clerk at
 * the counter what to do next (mp_error_advice_ja / mp_error_advice). The
 * GError's own message is technical detail for logs: it never carries a PIN,
 * a password, a token or the My Number.
 *
 * MP_ERROR is an extended error domain (GLib >= 2.68): an error that came
 * from the portal carries what the portal said (mp_problem: the HTTP status,
 * the error envelope's code, title, detail and report_list, Retry-After), and
 * an error of the card carries the card layer's myna_rv.
 */
#ifndef MYNAPORTAL_ERROR_H
#define MYNAPORTAL_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define MP_ERROR (mp_error_quark())
GQuark mp_error_quark(void);

typedef enum mp_error {
  MP_ERROR_CONFIG = 1,       /* configuration file missing, unreadable or invalid */
  MP_ERROR_TLS,              /* the server's certificate is not trusted, or its key does not match the pin */
  MP_ERROR_CONNECT,          /* could not connect: name not resolved, refused, unreachable, proxy */
  MP_ERROR_TIMEOUT,          /* no answer in time (connect or low-speed time-out) */
  MP_ERROR_NETWORK,          /* the connection dropped or the answer was cut short */
  MP_ERROR_UNAVAILABLE,      /* 503 / 429 still after every try: the portal is busy or down */
  MP_ERROR_SERVER,           /* another 5xx */
  MP_ERROR_PROTOCOL,         /* the answer is not what the contract says (not JSON, too large, missing fields) */
  MP_ERROR_UNAUTHORIZED,     /* 401 on a resident route: log in again */
  MP_ERROR_NOT_LOGGED_IN,    /* a resident call without a session, or delivery with neither session nor terminal certificate */
  MP_ERROR_LOGIN_REFUSED,    /* /auth/v1 refused the login (invalid_grant, bad signature, invalid_request) */
  MP_ERROR_LOGIN_EXPIRED,    /* the login's challenge expired or was used: start the login again */
  MP_ERROR_CERT_REVOKED,     /* the card's certificate is revoked */
  MP_ERROR_CERT_EXPIRED,     /* the card's certificate has expired */
  MP_ERROR_CERT_INVALID,     /* the certificate does not chain to the JPKI CA */
  MP_ERROR_UNKNOWN_USER,     /* no マイナポータル registration (利用者登録) for this card */
  MP_ERROR_REJECTED,         /* 400/422: the portal refused the content; report_list says why */
  MP_ERROR_NOT_FOUND,        /* 404 */
  MP_ERROR_CONFLICT,         /* 409 (not amendable, already submitted, key reused) */
  MP_ERROR_TOO_LARGE,        /* 413 */
  MP_ERROR_CARD,             /* the card layer failed; mp_problem.card_rv holds the myna_rv */
  MP_ERROR_PACKAGE,          /* the package could not be built (file unreadable, name or type not allowed) */
  MP_ERROR_OUTBOX            /* the outbox's storage failed (disk full, database damaged) */
} mp_error;

/* One finding of the portal's report_list. */
typedef struct mp_report_item {
  char *item;     /* ASCII identifier: a field, a file, a rule */
  char *content;  /* Japanese text saying what to fix */
} mp_report_item;

/* What the portal (or the card) said about a failure. */
typedef struct mp_problem {
  guint http_status;      /* 0: no HTTP answer */
  char *code;             /* last segment of the envelope's `type`, or the OAuth `error`; NULL if none */
  char *title;            /* envelope `title`; NULL if none */
  char *detail;           /* envelope `detail` or OAuth `error_description`; NULL if none */
  GPtrArray *report;      /* mp_report_item *; never NULL (may be empty) */
  guint retry_after_s;    /* Retry-After of the last answer, 0 if none */
  int card_rv;            /* myna_rv for MP_ERROR_CARD, else 0 */
} mp_problem;

/* The problem attached to error, or NULL (not MP_ERROR, or nothing attached).
 * Owned by the error. */
const mp_problem *mp_error_get_problem(const GError *error);

/* Set *error to a new MP_ERROR error carrying a copy of problem (which may be
 * NULL). */
void mp_set_error(GError **error, mp_error code, const mp_problem *problem,
                  const char *format, ...) G_GNUC_PRINTF(4, 5);

/* What to do next, for the clerk: English and Japanese (UTF-8). Never NULL. */
const char *mp_error_advice(mp_error code);
const char *mp_error_advice_ja(mp_error code);
/* Short stable identifier ("tls", "rejected", ...) for JSON output and logs. */
const char *mp_error_name(mp_error code);

/* mp_problem helpers. */
mp_problem *mp_problem_new(void);
mp_problem *mp_problem_copy(const mp_problem *p);
void mp_problem_add_report(mp_problem *p, const char *item, const char *content);
void mp_problem_free(mp_problem *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_problem, mp_problem_free)

G_END_DECLS

#endif
