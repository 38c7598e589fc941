/* mynaportal/signer.h - a key that signs, without the client seeing it.
 *
 * The portal client needs two signatures: the login's, by the card's
 * authentication key, and the application package's, by the card's
 * signature key. Both are RSA PKCS#1 v1.5 over DigestInfo(SHA-256(x)). The
 * client holds an mp_signer and never a PIN or a key: whoever opened the
 * card verified the PIN (showing the tries left first) before handing the
 * signer over.
 *
 * The operations may block (APDUs): asynchronous client functions call them
 * in a worker thread, one at a time.
 */
#ifndef MYNAPORTAL_SIGNER_H
#define MYNAPORTAL_SIGNER_H

#include <glib.h>
#include <mynacard/card.h>
#include <mynacard/jpki.h>

G_BEGIN_DECLS

typedef struct mp_signer_ops {
  /* The certificate of the key, DER. */
  GBytes *(*certificate)(gpointer user, GError **error);
  /* The signature (256 bytes for the card's RSA-2048 keys) over
   * DigestInfo(SHA-256) for the 32-byte hash. */
  GBytes *(*sign_sha256)(gpointer user, const guint8 *hash32, GError **error);
  /* Release user; may be NULL. */
  void (*free)(gpointer user);
} mp_signer_ops;

typedef struct mp_signer mp_signer;

mp_signer *mp_signer_new(const mp_signer_ops *ops, gpointer user);
GBytes *mp_signer_certificate(mp_signer *s, GError **error);
GBytes *mp_signer_sign_sha256(mp_signer *s, const guint8 *hash32, GError **error);
void mp_signer_free(mp_signer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_signer, mp_signer_free)

/* The card's key (MYNA_JPKI_KEY_AUTH for login, MYNA_JPKI_KEY_SIGN for
 * packages). The key's PIN must already be verified in this card session:
 * nothing is verified here, and a card that says it is not gives
 * MP_ERROR_CARD with card_rv MYNA_E_SECURITY_STATUS. The signer borrows the
 * card: the card must outlive it, and nobody else may use the card while a
 * signer operation runs. */
mp_signer *mp_signer_new_card(myna_card *card, myna_jpki_key key);

G_END_DECLS

#endif
