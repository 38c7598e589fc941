/* pki.h - portal-sim's certificate checks, its stand-in for the JPKI
 * certificate authority (jlis-sim: CA certificates, CRLs, OCSP) and the
 * resident login of /auth/v1. Protocol and rules: docs/portal-sim-auth.md.
 *
 * A ps_pki holds, for each of the two JPKI CAs (利用者証明用 "auth" and
 * 署名用 "sign"), what data_dir/trust/ gives it: the accepted CA
 * certificates, optionally the CA key, and the CRL. Everything in it is
 * safe to use from several threads at once.
 */
#ifndef PORTALSIM_PKI_H
#define PORTALSIM_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/x509.h>

#include "portal.h"

/* Errors of ps_pki_open and ps_pki_revoke (and of ps_auth_init when a
 * recorded revocation cannot be applied). The message is one English line
 * for the operator's log that names the file and what to do. */
#define PS_PKI_ERROR (ps_pki_error_quark())
GQuark ps_pki_error_quark(void);
typedef enum ps_pki_errc {
  PS_PKI_ERROR_FILE,      /* a file is missing or cannot be read */
  PS_PKI_ERROR_PARSE,     /* a file holds no (or a broken) certificate,
                             key or CRL */
  PS_PKI_ERROR_MISMATCH,  /* a key or CRL belongs to no accepted CA */
  PS_PKI_ERROR_NO_KEY,    /* the operation needs the CA key, which is absent */
  PS_PKI_ERROR_CRYPTO,    /* OpenSSL failed (out of memory, ...) */
} ps_pki_errc;

typedef enum ps_ca {
  PS_CA_AUTH,             /* 利用者証明用電子証明書 (login) */
  PS_CA_SIGN,             /* 署名用電子証明書 (signed applications) */
} ps_ca;

typedef enum ps_cert_status {
  PS_CERT_OK = 0,
  /* Not issued by an accepted certificate of that CA, a bad signature, the
   * wrong key usage, a CA certificate, or the other kind of JPKI
   * certificate (a sign certificate presented as auth or vice versa). */
  PS_CERT_CHAIN_INVALID,
  /* Outside its validity period (expired or not yet valid), or its CA
   * certificate is. */
  PS_CERT_EXPIRED,
  /* Listed in the CA's CRL or answered "revoked" by the OCSP responder. */
  PS_CERT_REVOKED,
  /* [S] Revocation could not be decided: no current CRL for its issuer
   * (missing, or past its nextUpdate) — a failure, never a pass. Not the
   * certificate holder's fault: /auth/v1 answers 503. */
  PS_CERT_REVOCATION_UNKNOWN,
} ps_cert_status;

/* The answer of one revocation source (ps_pki_crl_status,
 * ps_pki_ocsp_status). */
typedef enum ps_rev_status {
  PS_REV_GOOD,
  PS_REV_REVOKED,
  PS_REV_UNKNOWN,
} ps_rev_status;

/* Loads data_dir/trust/:
 *   auth-ca.pem, sign-ca.pem   required; one or more PEM certificates each,
 *                              all accepted as trust anchors of that CA.
 *   auth-ca.key, sign-ca.key   optional PEM private key of one of them.
 *   auth-ca.crl.pem, sign-ca.crl.pem
 *                              PEM CRLs, each signed by one of the CA's
 *                              certificates (of two of one issuer the newer
 *                              counts). Every CA certificate needs its key
 *                              or its CRL.
 * The "current" CA certificate (served at /ca/<ca>.der, whose CRL is served
 * at /crl/<ca>.crl) is the one the key belongs to, else the file's first.
 * With the key, portal-sim signs its own CRLs for that certificate (the
 * revoked entries of the given CRL plus later ps_pki_revoke calls) and
 * answers OCSP for it; without, it serves the given CRL and its OCSP
 * responder is not authoritative.
 * Errors (PS_PKI_ERROR): FILE when a required file is missing or unreadable,
 * also for a CA certificate with neither key nor CRL, PARSE when a file
 * holds nothing usable or a "CA" certificate that is not one, MISMATCH when
 * a key or CRL belongs to none of the CA's certificates, CRYPTO when
 * signing the first CRL fails.
 * On failure *out is untouched. */
bool ps_pki_open(const char *data_dir, ps_pki **out, GError **error);
void ps_pki_free(ps_pki *pki);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ps_pki, ps_pki_free)

/* Checks cert as a certificate of ca at the current time, in this order:
 *   1. chain: issued (signature verified) by an accepted certificate of ca;
 *      an end-entity certificate with the key usage of that kind
 *      (auth: digitalSignature without nonRepudiation; sign:
 *      nonRepudiation). Nothing else is checked when this fails.
 *   2. validity: the certificate's and its CA certificate's dates.
 *   3. revocation: the CRL (which must be current) and the OCSP responder's
 *      answer (computed in-process by the code behind POST /ocsp); revoked
 *      when either says so, unknown when the CRL cannot be used.
 * Every finding adds one entry to report (may be NULL) with item
 * "auth_cert" or "sign_cert" and Japanese text; the status returned is the
 * first failing step's (REVOKED before REVOCATION_UNKNOWN). */
ps_cert_status ps_pki_check(ps_pki *pki, ps_ca ca, X509 *cert,
                            GPtrArray *report);

/* The two halves of step 3 of ps_pki_check, for tests and diagnostics;
 * cert must have passed step 1 (else UNKNOWN). ps_pki_crl_status: the
 * issuer's current CRL; UNKNOWN when there is none or it is past its
 * nextUpdate. ps_pki_ocsp_status: builds an OCSP request with a nonce,
 * answers it with ps_pki_ocsp_respond, and checks the DER answer as a
 * client would (response status, signature by the issuer, nonce, times);
 * UNKNOWN when the responder is not authoritative for the issuer. Each
 * adds a report entry (may be NULL) for REVOKED and UNKNOWN. */
ps_rev_status ps_pki_crl_status(ps_pki *pki, ps_ca ca, X509 *cert,
                                GPtrArray *report);
ps_rev_status ps_pki_ocsp_status(ps_pki *pki, ps_ca ca, X509 *cert,
                                 GPtrArray *report);

/* The OCSP responder (RFC 6960) behind POST /ocsp: a DER OCSPRequest in,
 * a DER OCSPResponse out, never NULL. Each CertID is answered good /
 * revoked (with time and reason) / unknown; the response is signed with the
 * key of the CA that issued the first CertID, CertIDs of other issuers are
 * "unknown", a nonce is echoed. Response status malformedRequest for bytes
 * that are not a request, unauthorized when the first CertID's issuer has no
 * key here (RFC 6960 has no unsigned "unknown"), internalError when signing
 * fails. */
GBytes *ps_pki_ocsp_respond(ps_pki *pki, const uint8_t *der, size_t len);

/* The current CA certificate of ca, DER. */
GBytes *ps_pki_ca_der(ps_pki *pki, ps_ca ca);

/* The current CRL of ca, DER: re-signed first when a revocation was added
 * or it is older than PS_PKI_CRL_REFRESH_S (with the key); as given without
 * the key (possibly expired). NULL when there is none. */
GBytes *ps_pki_crl_der(ps_pki *pki, ps_ca ca);

/* True when the current CA certificate of ca has its key here. */
bool ps_pki_has_key(ps_pki *pki, ps_ca ca);

/* Records that the current CA of ca revoked serial at time `when` (seconds
 * since the epoch) with a CRL reason code (0-10 as RFC 5280, or -1 for
 * none) and re-signs its CRL; *added is false when the serial was already
 * revoked (the first record stays). NO_KEY without the CA key. */
bool ps_pki_revoke(ps_pki *pki, ps_ca ca, const ASN1_INTEGER *serial,
                   int reason, gint64 when, bool *added, GError **error);

/* [S] A CRL portal-sim signs is valid this long (nextUpdate) and is
 * re-signed when older than PS_PKI_CRL_REFRESH_S; an OCSP answer is valid
 * for PS_PKI_OCSP_VALID_S. */
#define PS_PKI_CRL_VALID_S (2 * 24 * 3600)
#define PS_PKI_CRL_REFRESH_S 3600
#define PS_PKI_OCSP_VALID_S 3600

/* Serial number as `openssl x509 -serial` prints it (uppercase hex, an
 * even number of digits); g_free. */
char *ps_pki_serial_hex(const ASN1_INTEGER *serial);

/* ---- /auth/v1 (auth.c) ---- */

/* [S] Lifetimes of /auth/v1, in seconds. */
typedef struct ps_auth_config {
  unsigned challenge_s;        /* a challenge's nonce: 120 (portal-api.md) */
  unsigned access_s;           /* an access token: 900 */
  unsigned refresh_s;          /* a refresh token: 28800 (8 h) */
} ps_auth_config;

/* The lifetimes above, each replaced by its environment variable when set:
 * PORTALSIM_AUTH_CHALLENGE_S, PORTALSIM_AUTH_ACCESS_S,
 * PORTALSIM_AUTH_REFRESH_S (whole seconds, 1 to 31536000). A malformed
 * value is an error (PS_PKI_ERROR_PARSE) naming the variable. */
bool ps_auth_config_from_env(ps_auth_config *cfg, GError **error);

/* Call once at start, after p->db and p->pki are open and before serving:
 * creates the tables of pki/ (challenges, tokens, recorded revocations) and
 * applies the revocations recorded by POST /_dev/jlis/revoke to p->pki
 * (PS_PKI_ERROR_NO_KEY when one is recorded for a CA whose key has gone
 * from trust/); cfg may be NULL for ps_auth_config_from_env. Errors:
 * PS_PKI_ERROR or PS_DB_ERROR. Takes db_lock itself. */
bool ps_auth_init(ps_portal *p, const ps_auth_config *cfg, GError **error);

/* ps_auth_resident and the route tables ps_auth_routes / ps_jlis_routes
 * are declared in portal.h. */

#endif
