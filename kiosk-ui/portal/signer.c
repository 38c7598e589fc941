/* signer.c - mp_signer: a key that signs behind a table of operations, and
 * the one backed by a JPKI key of the card.
 *
 * The client code that needs a signature (login, package) only ever sees an
 * mp_signer. Whoever opened the card verified the PIN; the signer holds
 * neither a PIN nor a key, so nothing secret can leak through it. */

#include "mynaportal/signer.h"

#include "mynaportal/error.h"

struct mp_signer {
  mp_signer_ops ops;
  gpointer user;
};

mp_signer *mp_signer_new(const mp_signer_ops *ops, gpointer user)
{
  g_return_val_if_fail(ops != NULL, NULL);
  g_return_val_if_fail(ops->certificate != NULL && ops->sign_sha256 != NULL,
                       NULL);
  mp_signer *s = g_new0(mp_signer, 1);
  s->ops = *ops;
  s->user = user;
  return s;
}

void mp_signer_free(mp_signer *s)
{
  if(!s)
    return;
  if(s->ops.free)
    s->ops.free(s->user);
  g_free(s);
}

/* An implementation that fails without saying why still gives the caller an
 * error to show, instead of a NULL that looks like success further up. */
static void missing_error(GError **error, GError *local, const char *what)
{
  if(local) {
    g_propagate_error(error, local);
    return;
  }
  mp_set_error(error, MP_ERROR_CARD, NULL, "the signer gave no %s and no reason",
               what);
}

GBytes *mp_signer_certificate(mp_signer *s, GError **error)
{
  g_return_val_if_fail(s != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  GError *local = NULL;
  GBytes *der = s->ops.certificate(s->user, &local);
  if(!der || g_bytes_get_size(der) == 0) {
    if(der)
      g_bytes_unref(der);
    missing_error(error, local, "certificate");
    return NULL;
  }
  g_clear_error(&local);
  return der;
}

GBytes *mp_signer_sign_sha256(mp_signer *s, const guint8 *hash32, GError **error)
{
  g_return_val_if_fail(s != NULL && hash32 != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  GError *local = NULL;
  GBytes *sig = s->ops.sign_sha256(s->user, hash32, &local);
  if(!sig || g_bytes_get_size(sig) == 0) {
    if(sig)
      g_bytes_unref(sig);
    missing_error(error, local, "signature");
    return NULL;
  }
  g_clear_error(&local);
  return sig;
}

/* ---- the card's key ---- */

typedef struct card_signer {
  myna_card *card;   /* borrowed */
  myna_jpki_key key;
} card_signer;

/* MP_ERROR_CARD carrying the card layer's code: callers decide on card_rv
 * (MYNA_E_SECURITY_STATUS: ask for the password again; MYNA_E_CARD_REMOVED:
 * put the card back), the message is for the log. */
static void card_error(GError **error, myna_rv rv, const char *what)
{
  g_autoptr(mp_problem) p = mp_problem_new();
  p->card_rv = (int)rv;
  mp_set_error(error, MP_ERROR_CARD, p, "%s: %s (%s)", what, myna_strerror(rv),
               myna_rv_name(rv));
}

static GBytes *card_certificate(gpointer user, GError **error)
{
  card_signer *cs = user;
  myna_jpki_cert which = cs->key == MYNA_JPKI_KEY_SIGN ? MYNA_JPKI_CERT_SIGN
                                                       : MYNA_JPKI_CERT_AUTH;
  const uint8_t *der = NULL;
  size_t len = 0;
  myna_rv rv = myna_jpki_read_certificate(cs->card, which, &der, &len);
  if(rv) {
    card_error(error, rv, cs->key == MYNA_JPKI_KEY_SIGN
                            ? "reading the signature certificate from the card"
                            : "reading the authentication certificate from the card");
    return NULL;
  }
  /* A copy: the card layer's buffer lives only as long as the session. */
  return g_bytes_new(der, len);
}

static GBytes *card_sign_sha256(gpointer user, const guint8 *hash32,
                                GError **error)
{
  card_signer *cs = user;
  /* Room for keys up to 4096 bits, though the card's are 2048. */
  uint8_t sig[2 * MYNA_JPKI_SIGNATURE_SIZE];
  size_t len = 0;
  myna_rv rv = myna_jpki_sign_hash(cs->card, cs->key, MYNA_HASH_SHA256, hash32,
                                   32, sig, sizeof sig, &len);
  if(rv) {
    card_error(error, rv, cs->key == MYNA_JPKI_KEY_SIGN
                            ? "signing with the card's signature key"
                            : "signing with the card's authentication key");
    return NULL;
  }
  return g_bytes_new(sig, len);
}

static const mp_signer_ops card_ops = {
  .certificate = card_certificate,
  .sign_sha256 = card_sign_sha256,
  .free = g_free,
};

mp_signer *mp_signer_new_card(myna_card *card, myna_jpki_key key)
{
  g_return_val_if_fail(card != NULL, NULL);
  g_return_val_if_fail(key == MYNA_JPKI_KEY_AUTH || key == MYNA_JPKI_KEY_SIGN,
                       NULL);
  card_signer *cs = g_new0(card_signer, 1);
  cs->card = card;
  cs->key = key;
  return mp_signer_new(&card_ops, cs);
}
