/* pki_internal.h - what pki.c, jlis.c and auth.c share beyond pki.h. */
#ifndef PORTALSIM_PKI_INTERNAL_H
#define PORTALSIM_PKI_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free)

/* The /auth/v1 lifetimes of this portal (set by ps_auth_init; the
 * defaults of ps_auth_config_from_env until then). */
const ps_auth_config *ps_pki_auth_config(ps_pki *pki);
void ps_pki_set_auth_config(ps_pki *pki, const ps_auth_config *cfg);

/* "auth" / "sign" and back; false for anything else. */
const char *ps_pki_ca_name(ps_ca ca);
bool ps_pki_ca_from_name(const char *name, ps_ca *out);

/* Hex digits (optionally "0x", any case, ':' between bytes as some tools
 * print) into a non-negative ASN1_INTEGER; false when not that. */
bool ps_pki_serial_from_hex(const char *hex, ASN1_INTEGER **out);

/* Strict standard base64 (RFC 4648 §4, padded, no whitespace, no other
 * characters): false on anything else. *out g_free. */
bool ps_pki_base64_decode(const char *s, uint8_t **out, size_t *len);

/* base64url without padding (RFC 4648 §5) of data; g_free. */
char *ps_pki_base64url(const void *data, size_t len);

#endif
