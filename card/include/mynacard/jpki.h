/* mynacard/jpki.h - the JPKI application (公的個人認証AP). */
#ifndef MYNACARD_JPKI_H
#define MYNACARD_JPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "error.h"
#include "secret.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum myna_jpki_cert {
  MYNA_JPKI_CERT_AUTH,     /* 利用者証明用電子証明書, EF 000A, free */
  MYNA_JPKI_CERT_AUTH_CA,  /* EF 000B, free */
  MYNA_JPKI_CERT_SIGN,     /* 署名用電子証明書, EF 0001, needs the sign password */
  MYNA_JPKI_CERT_SIGN_CA   /* EF 0002, free */
} myna_jpki_cert;

typedef enum myna_jpki_key {
  MYNA_JPKI_KEY_AUTH,  /* key EF 0017, PIN EF 0018 */
  MYNA_JPKI_KEY_SIGN   /* key EF 001A, password EF 001B */
} myna_jpki_key;

typedef enum myna_hash_alg {
  MYNA_HASH_SHA1,
  MYNA_HASH_SHA256,
  MYNA_HASH_SHA384,
  MYNA_HASH_SHA512
} myna_hash_alg;

/* Signature size of the card's RSA-2048 keys. */
#define MYNA_JPKI_SIGNATURE_SIZE 256

/* Select the JPKI AP (no-op if already selected in this session).
 * MYNA_E_NOT_MYNUMBER_CARD when the card has no JPKI AP. */
myna_rv myna_jpki_select(myna_card *card);

/* Read a certificate (X.509 DER), sized from its DER header; one extended
 * READ BINARY when the transport allows it, else 256-byte chunks. The buffer
 * belongs to the session (valid until myna_card_free, myna_card_reset or the
 * card's removal) and a second call sends no APDU. The sign certificate needs
 * the sign password verified in this session, also for the copy the session
 * keeps: MYNA_E_SECURITY_STATUS otherwise; MYNA_E_NO_SIGN_CERTIFICATE on a
 * card without one. */
myna_rv myna_jpki_read_certificate(myna_card *card, myna_jpki_cert which,
                                   const uint8_t **der, size_t *der_len);

/* Token label from EF 0006 (first 32 bytes, trailing spaces and NULs
 * trimmed), e.g. "JPKIAPICCTOKEN2". MYNA_E_NOT_SUPPORTED when the card has no
 * such file. */
myna_rv myna_jpki_token_label(myna_card *card, char label[33]);

/* Certificate availability from EF 0008. MYNA_E_NOT_SUPPORTED when absent. */
myna_rv myna_jpki_cert_availability(myna_card *card, bool *auth, bool *sign);

/* Tries left for the key's PIN, read without spending one (VERIFY with no
 * data). 0 means blocked. */
myna_rv myna_jpki_tries_left(myna_card *card, myna_jpki_key key, int *tries);

/* VERIFY the key's PIN. The PIN is checked against the rules first
 * (MYNA_E_PIN_FORMAT, no APDU sent) and normalised (the sign password is
 * uppercased). Never retried. On MYNA_E_WRONG_PIN *tries_left (if not NULL)
 * holds the tries left; on MYNA_E_PIN_BLOCKED it is 0. */
myna_rv myna_jpki_verify(myna_card *card, myna_jpki_key key,
                         const myna_secret *pin, int *tries_left);

/* Has the key's PIN been verified in this session? */
bool myna_jpki_is_verified(const myna_card *card, myna_jpki_key key);

/* Build the DER DigestInfo for hash. Returns MYNA_E_INVALID_ARGUMENT when
 * hash_len does not match alg. */
myna_rv myna_digestinfo_build(myna_hash_alg alg, const uint8_t *hash,
                              size_t hash_len, uint8_t *out, size_t cap,
                              size_t *out_len);

/* Sign a hash: the library builds the DigestInfo and the card applies
 * PKCS#1 v1.5 padding. The PIN must have been verified
 * (MYNA_E_SECURITY_STATUS otherwise; nothing is verified implicitly). */
myna_rv myna_jpki_sign_hash(myna_card *card, myna_jpki_key key,
                            myna_hash_alg alg, const uint8_t *hash,
                            size_t hash_len, uint8_t *sig, size_t sig_cap,
                            size_t *sig_len);

/* Sign a caller-built DigestInfo (for CKM_RSA_PKCS and RSA_METHOD users). */
myna_rv myna_jpki_sign_digestinfo(myna_card *card, myna_jpki_key key,
                                  const uint8_t *digestinfo, size_t di_len,
                                  uint8_t *sig, size_t sig_cap,
                                  size_t *sig_len);

/* CHANGE REFERENCE DATA for the key's PIN. The current PIN must have been
 * verified in this session. The new PIN is checked against the rules before
 * anything is sent. MYNA_E_NOT_SUPPORTED when the card refuses the command
 * itself (6D00, 6E00 or 6A86), with no try spent. */
myna_rv myna_jpki_change_pin(myna_card *card, myna_jpki_key key,
                             const myna_secret *new_pin);

const char *myna_hash_alg_name(myna_hash_alg alg);
size_t myna_hash_alg_size(myna_hash_alg alg);

#ifdef __cplusplus
}
#endif
#endif
