/* libmynacard-pkcs11.so - the My Number Card's JPKI application as a PKCS#11
 * 2.40 module (p11-kit's pkcs11.h).
 *
 * Per reader two slots: "JPKI User Authentication" (slot 2n, the 4-digit
 * PIN) and "JPKI Digital Signature" (slot 2n+1, the 6-16 character
 * password). Readers are PC/SC readers and the NFC devices libnfc knows
 * (MYNACARD_PKCS11_NFC=off leaves them out). Slot ids stay the same for the
 * life of the module: a reader that goes keeps its slots, empty.
 *
 * A PC/SC card is opened (shared) the first time a token needs it and kept
 * while it is present. An NFC device has no daemon that watches it: the
 * module polls its field when asked about the slot (at most every
 * NFC_PROBE_MS while it is empty, one polling round each time) and keeps the
 * card it finds open while it stays in the field. Certificates are read once
 * per card session and token information (serial, PIN flags) comes from that
 * session, not from new APDUs. The serial number is the first 8 bytes of the SHA-256 of the
 * authentication certificate, in hex.
 *
 * Thread safety: one global mutex around every entry point. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <winscard.h>

#include "mynacard/card.h"
#include "mynacard/error.h"
#include "mynacard/jpki.h"
#include "mynacard/pin.h"
#include "mynacard/secret.h"
#include "mynanfc/nfc.h"
#include "mynapcsc/pcsc.h"

#define MAX_READERS 16
#define MAX_SESSIONS 64
#define SIG_SIZE MYNA_JPKI_SIGNATURE_SIZE
/* An empty NFC reader is polled again only after this long: one polling
 * round keeps the caller waiting (up to 300 ms with libnfc 1.8), and a
 * program lists slots several times in a row. */
#define NFC_PROBE_MS 500

enum { TOK_AUTH = 0, TOK_SIGN = 1 };

/* Object handles are fixed: one per kind of object. */
enum {
  OBJ_NONE = 0,
  OBJ_AUTH_CERT = 1,
  OBJ_AUTH_CA,
  OBJ_AUTH_PUB,
  OBJ_AUTH_PRIV,
  OBJ_SIGN_CA,
  OBJ_SIGN_CERT,
  OBJ_SIGN_PUB,
  OBJ_SIGN_PRIV,
  OBJ_COUNT
};

typedef struct cert_info {
  bool loaded;
  uint8_t *der;
  size_t der_len;
  uint8_t *subject, *issuer, *serial, *modulus, *exponent;
  size_t subject_len, issuer_len, serial_len, modulus_len, exponent_len;
} cert_info;

typedef struct reader {
  char *name;                /* PC/SC reader name, or libnfc connstring */
  bool nfc;                  /* a libnfc device, not a PC/SC reader */
  uint64_t probed_ms;        /* NFC: when the field was last polled */
  bool present;              /* pcscd (NFC: the last poll) says a card is here */
  myna_card *card;           /* the card session, NULL when not open */
  unsigned long gen;         /* card sessions ended so far */
  char serial[17];
  int tries[2];              /* -1: unknown */
  bool logged_in[2];
  cert_info certs[4];        /* indexed by myna_jpki_cert */
  /* C_WaitForSlotEvent: what the last report (or C_Initialize) saw. */
  bool ev_init;              /* ev_present set */
  bool ev_present;
  DWORD ev_state;            /* pcscd's state, event counter included; 0: none */
  unsigned ev_pending;       /* bit t: slot 2n+t has an event to report */
  unsigned long ev_gen;      /* NFC: gen when last reported */
} reader;

typedef struct session {
  bool used;
  CK_SLOT_ID slot;
  unsigned long gen;
  CK_FLAGS flags;
  bool finding;
  CK_OBJECT_HANDLE found[OBJ_COUNT];
  size_t nfound, pos;
  bool signing;
  CK_MECHANISM_TYPE mech;
  int sign_obj;
  bool ctx_auth;             /* CKU_CONTEXT_SPECIFIC login for this operation */
  bool multi;                /* C_SignUpdate was called */
  EVP_MD_CTX *md;            /* the running hash (mechanisms with a hash) */
  uint8_t acc[SIG_SIZE - 11]; /* CKM_RSA_PKCS: the DigestInfo so far */
  size_t acc_len;
} session;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_init;
static myna_pcsc *g_pcsc;
static myna_nfc *g_nfc;            /* NULL: no NFC (off, or libnfc failed) */
static bool g_listed;              /* the first listing (C_Initialize) is done */
static reader g_readers[MAX_READERS];
static size_t g_nreaders;
static session g_sessions[MAX_SESSIONS];

/* Threads in C_WaitForSlotEvent, each with its own PC/SC context that
 * C_Finalize cancels; C_Finalize waits for them to leave. */
#define MAX_WAITERS 8
static pthread_cond_t g_wait_cv = PTHREAD_COND_INITIALIZER;
static SCARDCONTEXT g_wait_ctx[MAX_WAITERS];
static bool g_wait_used[MAX_WAITERS];
static unsigned g_waiters;
static bool g_finalizing;          /* C_Finalize waits for the waiters */
static unsigned long g_init_gen;   /* C_Initialize calls so far */
static DWORD g_pnp_state;

static const int max_tries[2] = {3, 5};
static const CK_ULONG min_pin[2] = {4, 6}, max_pin[2] = {4, 16};
static const char *const token_label[2] = {"JPKI User Authentication",
                                           "JPKI Digital Signature"};

static void lock(void) { pthread_mutex_lock(&g_lock); }
static void unlock(void) { pthread_mutex_unlock(&g_lock); }

static void pad(unsigned char *dst, size_t n, const char *src)
{
  size_t l = strlen(src);
  if(l > n)
    l = n;
  memset(dst, ' ', n);
  memcpy(dst, src, l);
}

/* ---- certificates ---- */

static void wipe_free(uint8_t **p, size_t *n)
{
  if(*p)
    OPENSSL_clear_free(*p, *n);
  *p = NULL;
  *n = 0;
}

static void cert_clear(cert_info *c)
{
  wipe_free(&c->der, &c->der_len);
  wipe_free(&c->subject, &c->subject_len);
  wipe_free(&c->issuer, &c->issuer_len);
  wipe_free(&c->serial, &c->serial_len);
  wipe_free(&c->modulus, &c->modulus_len);
  wipe_free(&c->exponent, &c->exponent_len);
  c->loaded = false;
}

static bool bn_out(const BIGNUM *bn, uint8_t **out, size_t *out_len)
{
  int n = BN_num_bytes(bn);
  *out = OPENSSL_malloc(n > 0 ? (size_t)n : 1);
  if(!*out)
    return false;
  *out_len = (size_t)BN_bn2bin(bn, *out);
  return true;
}

static myna_rv cert_parse(cert_info *c, const uint8_t *der, size_t der_len)
{
  const unsigned char *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)der_len);
  if(!x)
    return MYNA_E_DECODE;
  myna_rv rv = MYNA_E_NO_MEMORY;
  int n;
  c->der = OPENSSL_memdup(der, der_len);
  if(!c->der)
    goto out;
  c->der_len = der_len;
  unsigned char *q = NULL;
  if((n = i2d_X509_NAME(X509_get_subject_name(x), &q)) <= 0)
    goto out;
  c->subject = q, c->subject_len = (size_t)n, q = NULL;
  if((n = i2d_X509_NAME(X509_get_issuer_name(x), &q)) <= 0)
    goto out;
  c->issuer = q, c->issuer_len = (size_t)n, q = NULL;
  if((n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &q)) <= 0)
    goto out;
  c->serial = q, c->serial_len = (size_t)n, q = NULL;
  EVP_PKEY *pk = X509_get0_pubkey(x);
  if(pk && EVP_PKEY_is_a(pk, "RSA")) {
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    bool ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn_n) &&
              EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &bn_e) &&
              bn_out(bn_n, &c->modulus, &c->modulus_len) &&
              bn_out(bn_e, &c->exponent, &c->exponent_len);
    BN_free(bn_n);
    BN_free(bn_e);
    if(!ok)
      goto out;
  }
  c->loaded = true;
  rv = MYNA_OK;
out:
  X509_free(x);
  if(rv)
    cert_clear(c);
  return rv;
}

/* ---- readers and card sessions ---- */

static void card_drop(reader *r)
{
  myna_card_free(r->card);
  r->card = NULL;
  for(size_t i = 0; i < 4; i++)
    cert_clear(&r->certs[i]);
  r->tries[0] = r->tries[1] = -1;
  r->logged_in[0] = r->logged_in[1] = false;
  r->serial[0] = '\0';
  r->gen++;
}

static CK_RV map_rv(myna_rv rv)
{
  switch(rv) {
  case MYNA_OK: return CKR_OK;
  case MYNA_E_NO_MEMORY: return CKR_HOST_MEMORY;
  case MYNA_E_NO_CARD:
  case MYNA_E_NO_READER: return CKR_TOKEN_NOT_PRESENT;
  case MYNA_E_CARD_REMOVED:
  case MYNA_E_READER_REMOVED: return CKR_DEVICE_REMOVED;
  case MYNA_E_WRONG_PIN: return CKR_PIN_INCORRECT;
  case MYNA_E_PIN_BLOCKED: return CKR_PIN_LOCKED;
  case MYNA_E_PIN_FORMAT: return CKR_PIN_INVALID;
  case MYNA_E_SECURITY_STATUS:
  case MYNA_E_CARD_RESET: return CKR_USER_NOT_LOGGED_IN;
  case MYNA_E_NOT_MYNUMBER_CARD: return CKR_TOKEN_NOT_RECOGNIZED;
  case MYNA_E_INVALID_ARGUMENT: return CKR_ARGUMENTS_BAD;
  case MYNA_E_READER_BUSY: return CKR_DEVICE_ERROR;
  default: return CKR_DEVICE_ERROR;
  }
}

/* A card operation failed: forget the card session when the card, the
 * reader or the service went away, the login state when the card was reset. */
static CK_RV card_fail(reader *r, myna_rv rv)
{
  switch(rv) {
  case MYNA_E_CARD_REMOVED:
  case MYNA_E_NO_CARD:
  case MYNA_E_READER_REMOVED:
  case MYNA_E_NO_SERVICE:
  case MYNA_E_IO:
    card_drop(r);
    r->present = false;
    return CKR_DEVICE_REMOVED;
  case MYNA_E_CARD_RESET:
    r->logged_in[0] = r->logged_in[1] = false;
    break;
  default:
    break;
  }
  return map_rv(rv);
}

static myna_rv cert_get(reader *r, myna_jpki_cert which, cert_info **out)
{
  cert_info *c = &r->certs[which];
  if(!c->loaded) {
    const uint8_t *der;
    size_t len;
    myna_rv rv = myna_jpki_read_certificate(r->card, which, &der, &len);
    if(!rv)
      rv = cert_parse(c, der, len);
    if(rv)
      return rv;
  }
  *out = c;
  return MYNA_OK;
}

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Is a card in the field of NFC reader r? A card found is kept open as r's
 * card session (no APDU is sent); one that left ends it. An empty field is
 * polled once (one round), and again only NFC_PROBE_MS later unless force. */
static void nfc_probe(reader *r, bool force)
{
  if(r->card) {
    bool here = false;
    if(myna_card_is_present(r->card, &here) || !here) {
      card_drop(r);
      r->present = false;
    } else {
      r->present = true;
      return;
    }
  }
  uint64_t now = now_ms();
  if(!force && r->probed_ms && now - r->probed_ms < NFC_PROBE_MS)
    return;
  myna_nfc_options o = { .poll_ms = 1 };
  myna_transport t;
  r->present = false;
  if(!myna_nfc_connect(g_nfc, r->name, &o, &t)) {
    if(!myna_card_open(t, &r->card))
      r->present = true;
    else
      r->card = NULL;
  }
  /* After the poll: a poll that took long still waits its full pause. */
  r->probed_ms = now_ms();
}

/* The card session of r, opened when needed: the auth certificate (for the
 * serial) is read once here; each token's tries-left counter on the first
 * C_GetTokenInfo (token_tries). */
static CK_RV card_ensure(reader *r)
{
  if(r->card) {
    bool here = false;
    if(myna_card_is_present(r->card, &here) || !here) {
      card_drop(r);
      r->present = false;
      return CKR_TOKEN_NOT_PRESENT;
    }
    /* An NFC card is opened by the poll that found it (nfc_probe). */
    if(r->serial[0])
      return CKR_OK;
  } else if(r->nfc) {
    /* A card may have come since the last poll. */
    nfc_probe(r, true);
    if(!r->card)
      return CKR_TOKEN_NOT_PRESENT;
  } else {
    if(!r->present)
      return CKR_TOKEN_NOT_PRESENT;
    myna_transport t;
    myna_rv prv = myna_pcsc_connect(g_pcsc, r->name, MYNA_PCSC_SHARED, &t);
    if(!prv)
      prv = myna_card_open(t, &r->card);
    if(prv) {
      r->card = NULL;
      return prv == MYNA_E_READER_BUSY ? CKR_DEVICE_ERROR : CKR_TOKEN_NOT_PRESENT;
    }
  }
  cert_info *c;
  myna_rv rv = cert_get(r, MYNA_JPKI_CERT_AUTH, &c);
  if(!rv) {
    uint8_t md[32];
    unsigned int mdlen = 0;
    EVP_Digest(c->der, c->der_len, md, &mdlen, EVP_sha256(), NULL);
    for(size_t i = 0; i < 8; i++)
      snprintf(r->serial + 2 * i, 3, "%02X", md[i]);
  }
  if(rv) {
    CK_RV crv = card_fail(r, rv);
    if(r->card)
      card_drop(r);
    return crv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : crv;
  }
  return CKR_OK;
}

/* The reader of that name, added when new. A reader that appears after the
 * first listing is a slot event for both its slots (C_WaitForSlotEvent). */
static reader *reader_add(const char *name, bool nfc)
{
  for(size_t i = 0; i < g_nreaders; i++)
    if(g_readers[i].nfc == nfc && !strcmp(g_readers[i].name, name))
      return &g_readers[i];
  if(g_nreaders == MAX_READERS)
    return NULL;
  reader *r = &g_readers[g_nreaders];
  memset(r, 0, sizeof(*r));
  r->name = strdup(name);
  if(!r->name)
    return NULL;
  r->nfc = nfc;
  r->tries[0] = r->tries[1] = -1;
  if(g_listed)
    r->ev_pending = 3;
  g_nreaders++;
  return r;
}

/* Card presence: for PC/SC readers from pcscd (no APDU; a card that went
 * away ends its card session), for NFC readers by nfc_probe. Lists the
 * libnfc devices again when devices is set (USB readers come and go). */
static void readers_refresh(bool devices)
{
  myna_pcsc_reader *list = NULL;
  size_t n = 0;
  if(myna_pcsc_list(g_pcsc, &list, &n))
    n = 0;
  for(size_t i = 0; i < g_nreaders; i++)
    if(!g_readers[i].nfc)
      g_readers[i].present = false;
  for(size_t i = 0; i < n; i++) {
    reader *r = reader_add(list[i].name, false);
    if(r) {
      r->present = list[i].card_present;
      if(!r->ev_init) {
        r->ev_init = true;
        r->ev_present = r->present;
      }
    }
  }
  myna_pcsc_readers_free(list, n);
  if(g_nfc && devices) {
    myna_nfc_device *d = NULL;
    size_t nd = 0;
    if(!myna_nfc_list(g_nfc, &d, &nd))
      for(size_t i = 0; i < nd; i++)
        reader_add(d[i].connstring, true);
    myna_nfc_devices_free(d, nd);
  }
  for(size_t i = 0; i < g_nreaders; i++) {
    reader *r = &g_readers[i];
    if(r->nfc) {
      nfc_probe(r, false);
      if(!r->ev_init) {
        r->ev_init = true;
        r->ev_present = r->present;
      }
    } else if(r->card) {
      bool here = false;
      if(!r->present || myna_card_is_present(r->card, &here) || !here)
        card_drop(r);
    }
  }
}

static reader *slot_reader(CK_SLOT_ID slot)
{
  return slot / 2 < g_nreaders ? &g_readers[slot / 2] : NULL;
}

static int slot_token(CK_SLOT_ID slot) { return (int)(slot % 2); }

static myna_jpki_key token_key(int tok)
{
  return tok == TOK_AUTH ? MYNA_JPKI_KEY_AUTH : MYNA_JPKI_KEY_SIGN;
}

static CK_RV session_get(CK_SESSION_HANDLE h, session **s, reader **r)
{
  if(!g_init)
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  if(h == 0 || h > MAX_SESSIONS || !g_sessions[h - 1].used)
    return CKR_SESSION_HANDLE_INVALID;
  *s = &g_sessions[h - 1];
  *r = slot_reader((*s)->slot);
  if((*s)->gen != (*r)->gen || !(*r)->card)
    return CKR_DEVICE_REMOVED;
  bool here = false;
  if(myna_card_is_present((*r)->card, &here) || !here) {
    card_drop(*r);
    (*r)->present = false;
    return CKR_DEVICE_REMOVED;
  }
  return CKR_OK;
}

/* End s's signing operation (if any) and wipe what it kept. */
static void sign_end(session *s)
{
  EVP_MD_CTX_free(s->md);
  s->md = NULL;
  OPENSSL_cleanse(s->acc, sizeof(s->acc));
  s->acc_len = 0;
  s->multi = false;
  s->signing = false;
  s->ctx_auth = false;
}

static void session_free(session *s)
{
  sign_end(s);
  reader *r = slot_reader(s->slot);
  int tok = slot_token(s->slot);
  CK_SLOT_ID slot = s->slot;
  memset(s, 0, sizeof(*s));
  if(!r)
    return;
  for(size_t i = 0; i < MAX_SESSIONS; i++)
    if(g_sessions[i].used && g_sessions[i].slot == slot)
      return;
  /* The last session of the token: its login ends. */
  r->logged_in[tok] = false;
  if(r->card && !r->logged_in[0] && !r->logged_in[1] &&
     (myna_jpki_is_verified(r->card, MYNA_JPKI_KEY_AUTH) ||
      myna_jpki_is_verified(r->card, MYNA_JPKI_KEY_SIGN))) {
    cert_clear(&r->certs[MYNA_JPKI_CERT_SIGN]);
    if(myna_card_reset(r->card))
      card_drop(r);
  }
}

/* ---- objects ---- */

typedef struct attr {
  CK_ATTRIBUTE_TYPE type;
  const void *ptr;
  CK_ULONG len;
} attr;

typedef struct attrs {
  attr a[32];
  size_t n;
  CK_OBJECT_CLASS cls;
  CK_CERTIFICATE_TYPE ctype;
  CK_KEY_TYPE ktype;
  CK_ULONG category, bits;
  CK_BYTE id;
  char label[64];
} attrs;

static const CK_BBOOL ck_true = CK_TRUE, ck_false = CK_FALSE;

static void put(attrs *al, CK_ATTRIBUTE_TYPE type, const void *p, size_t len)
{
  if(al->n < sizeof(al->a) / sizeof(al->a[0]))
    al->a[al->n++] = (attr){type, p, (CK_ULONG)len};
}

static void put_bool(attrs *al, CK_ATTRIBUTE_TYPE type, bool b)
{
  put(al, type, b ? &ck_true : &ck_false, sizeof(CK_BBOOL));
}

static CK_OBJECT_CLASS obj_class(int obj)
{
  switch(obj) {
  case OBJ_AUTH_PUB:
  case OBJ_SIGN_PUB: return CKO_PUBLIC_KEY;
  case OBJ_AUTH_PRIV:
  case OBJ_SIGN_PRIV: return CKO_PRIVATE_KEY;
  default: return CKO_CERTIFICATE;
  }
}

static CK_BYTE obj_id(int obj)
{
  switch(obj) {
  case OBJ_AUTH_CA: return 3;
  case OBJ_SIGN_CA: return 4;
  default: return obj <= OBJ_AUTH_PRIV ? 1 : 2;
  }
}

static int obj_token(int obj) { return obj <= OBJ_AUTH_PRIV ? TOK_AUTH : TOK_SIGN; }

/* Is obj on the token of slot and visible in its login state? */
static bool obj_visible(const reader *r, int tok, CK_OBJECT_HANDLE obj)
{
  if(obj <= OBJ_NONE || obj >= OBJ_COUNT || obj_token((int)obj) != tok)
    return false;
  switch(obj) {
  case OBJ_AUTH_PRIV: return r->logged_in[TOK_AUTH];
  case OBJ_SIGN_CERT:
  case OBJ_SIGN_PUB:
  case OBJ_SIGN_PRIV: return r->logged_in[TOK_SIGN];
  default: return true;
  }
}

/* The attributes of obj; may read a CA certificate (once per card). */
static myna_rv obj_attrs(reader *r, int obj, attrs *al)
{
  static const struct {
    myna_jpki_cert cert;
    const char *label;
  } info[OBJ_COUNT] = {
    [OBJ_AUTH_CERT] = {MYNA_JPKI_CERT_AUTH, "User Authentication Certificate"},
    [OBJ_AUTH_CA] = {MYNA_JPKI_CERT_AUTH_CA, "User Authentication Certificate CA"},
    [OBJ_AUTH_PUB] = {MYNA_JPKI_CERT_AUTH, "User Authentication Public Key"},
    [OBJ_AUTH_PRIV] = {MYNA_JPKI_CERT_AUTH, "User Authentication Key"},
    [OBJ_SIGN_CA] = {MYNA_JPKI_CERT_SIGN_CA, "Digital Signature Certificate CA"},
    [OBJ_SIGN_CERT] = {MYNA_JPKI_CERT_SIGN, "Digital Signature Certificate"},
    [OBJ_SIGN_PUB] = {MYNA_JPKI_CERT_SIGN, "Digital Signature Public Key"},
    [OBJ_SIGN_PRIV] = {MYNA_JPKI_CERT_SIGN, "Digital Signature Key"},
  };
  memset(al, 0, sizeof(*al));
  al->cls = obj_class(obj);
  al->id = obj_id(obj);
  snprintf(al->label, sizeof(al->label), "%s", info[obj].label);
  cert_info *c = NULL;
  myna_rv rv = cert_get(r, info[obj].cert, &c);
  /* The keys exist without their certificate (no sign certificate yet). */
  if(rv && al->cls == CKO_CERTIFICATE)
    return rv;
  if(rv == MYNA_E_CARD_REMOVED || rv == MYNA_E_READER_REMOVED ||
     rv == MYNA_E_NO_SERVICE || rv == MYNA_E_IO)
    return rv;
  if(rv)
    c = NULL;
  bool priv = al->cls == CKO_PRIVATE_KEY || obj == OBJ_SIGN_CERT;
  put(al, CKA_CLASS, &al->cls, sizeof(al->cls));
  put_bool(al, CKA_TOKEN, true);
  put_bool(al, CKA_PRIVATE, priv);
  put_bool(al, CKA_MODIFIABLE, false);
  put(al, CKA_LABEL, al->label, strlen(al->label));
  put(al, CKA_ID, &al->id, 1);
  if(al->cls == CKO_CERTIFICATE) {
    al->ctype = CKC_X_509;
    al->category = (obj == OBJ_AUTH_CA || obj == OBJ_SIGN_CA) ? 2 : 1;
    put(al, CKA_CERTIFICATE_TYPE, &al->ctype, sizeof(al->ctype));
    put_bool(al, CKA_TRUSTED, false);
    put(al, CKA_CERTIFICATE_CATEGORY, &al->category, sizeof(al->category));
    put(al, CKA_VALUE, c->der, c->der_len);
    put(al, CKA_SUBJECT, c->subject, c->subject_len);
    put(al, CKA_ISSUER, c->issuer, c->issuer_len);
    put(al, CKA_SERIAL_NUMBER, c->serial, c->serial_len);
    return MYNA_OK;
  }
  al->ktype = CKK_RSA;
  put(al, CKA_KEY_TYPE, &al->ktype, sizeof(al->ktype));
  put_bool(al, CKA_LOCAL, false);
  put_bool(al, CKA_DERIVE, false);
  if(c) {
    put(al, CKA_SUBJECT, c->subject, c->subject_len);
    if(c->modulus) {
      al->bits = (CK_ULONG)c->modulus_len * 8;
      put(al, CKA_MODULUS, c->modulus, c->modulus_len);
      put(al, CKA_PUBLIC_EXPONENT, c->exponent, c->exponent_len);
      put(al, CKA_MODULUS_BITS, &al->bits, sizeof(al->bits));
    }
  }
  if(al->cls == CKO_PUBLIC_KEY) {
    put_bool(al, CKA_VERIFY, true);
    put_bool(al, CKA_ENCRYPT, false);
    put_bool(al, CKA_WRAP, false);
    put_bool(al, CKA_VERIFY_RECOVER, false);
  }
  else {
    put_bool(al, CKA_SIGN, true);
    put_bool(al, CKA_SIGN_RECOVER, false);
    put_bool(al, CKA_DECRYPT, false);
    put_bool(al, CKA_UNWRAP, false);
    put_bool(al, CKA_SENSITIVE, true);
    put_bool(al, CKA_ALWAYS_SENSITIVE, true);
    put_bool(al, CKA_EXTRACTABLE, false);
    put_bool(al, CKA_NEVER_EXTRACTABLE, true);
    put_bool(al, CKA_ALWAYS_AUTHENTICATE, obj == OBJ_SIGN_PRIV);
  }
  return MYNA_OK;
}

static const attr *attr_find(const attrs *al, CK_ATTRIBUTE_TYPE type)
{
  for(size_t i = 0; i < al->n; i++)
    if(al->a[i].type == type)
      return &al->a[i];
  return NULL;
}

static bool is_sensitive(CK_ATTRIBUTE_TYPE type)
{
  return type == CKA_PRIVATE_EXPONENT || type == CKA_PRIME_1 ||
         type == CKA_PRIME_2 || type == CKA_EXPONENT_1 ||
         type == CKA_EXPONENT_2 || type == CKA_COEFFICIENT;
}

/* ---- mechanisms ---- */

static const CK_MECHANISM_TYPE mechs[] = {
  CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
  CKM_SHA512_RSA_PKCS};

static bool mech_hash(CK_MECHANISM_TYPE m, const EVP_MD **md, myna_hash_alg *alg)
{
  switch(m) {
  case CKM_SHA1_RSA_PKCS: *md = EVP_sha1(), *alg = MYNA_HASH_SHA1; return true;
  case CKM_SHA256_RSA_PKCS: *md = EVP_sha256(), *alg = MYNA_HASH_SHA256; return true;
  case CKM_SHA384_RSA_PKCS: *md = EVP_sha384(), *alg = MYNA_HASH_SHA384; return true;
  case CKM_SHA512_RSA_PKCS: *md = EVP_sha512(), *alg = MYNA_HASH_SHA512; return true;
  default: return false;
  }
}

static bool mech_known(CK_MECHANISM_TYPE m)
{
  for(size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
    if(mechs[i] == m)
      return true;
  return false;
}

/* ======================= entry points ======================= */

/* libnfc's devices are readers too, unless MYNACARD_PKCS11_NFC is "off" (a
 * terminal whose NFC device another program drives). libnfc that cannot
 * start is not an error: the PC/SC readers still work. */
static void nfc_setup(void)
{
  const char *e = getenv("MYNACARD_PKCS11_NFC");
  if(e && (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "no")))
    return;
  if(myna_nfc_new(&g_nfc))
    g_nfc = NULL;
}

CK_RV C_Initialize(void *init_args)
{
  CK_C_INITIALIZE_ARGS *a = init_args;
  if(a) {
    if(a->pReserved)
      return CKR_ARGUMENTS_BAD;
    bool some = a->CreateMutex || a->DestroyMutex || a->LockMutex || a->UnlockMutex;
    bool all = a->CreateMutex && a->DestroyMutex && a->LockMutex && a->UnlockMutex;
    if(some && !all)
      return CKR_ARGUMENTS_BAD;
    /* Only the caller's own mutexes: we cannot use them. */
    if(all && !(a->flags & CKF_OS_LOCKING_OK))
      return CKR_CANT_LOCK;
  }
  lock();
  /* A C_Finalize waiting for its waiters in another thread finishes first. */
  while(g_finalizing || (!g_init && g_pcsc))
    pthread_cond_wait(&g_wait_cv, &g_lock);
  CK_RV rv = CKR_OK;
  if(g_init)
    rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
  else if(myna_pcsc_new(&g_pcsc))
    rv = CKR_GENERAL_ERROR;
  else {
    g_init = true;
    g_init_gen++;
    g_nreaders = 0;
    g_pnp_state = 0;
    memset(g_sessions, 0, sizeof(g_sessions));
    nfc_setup();
    /* What C_WaitForSlotEvent compares with (no APDU). */
    readers_refresh(true);
    g_listed = true;
  }
  unlock();
  return rv;
}

CK_RV C_Finalize(void *reserved_arg)
{
  if(reserved_arg)
    return CKR_ARGUMENTS_BAD;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  /* Threads waiting for slot events return CKR_CRYPTOKI_NOT_INITIALIZED. */
  g_init = false;
  g_finalizing = true;
  for(size_t i = 0; i < MAX_WAITERS; i++)
    if(g_wait_used[i] && g_wait_ctx[i])
      SCardCancel(g_wait_ctx[i]);
  pthread_cond_broadcast(&g_wait_cv);
  while(g_waiters)
    pthread_cond_wait(&g_wait_cv, &g_lock);
  g_finalizing = false;
  for(size_t i = 0; i < MAX_SESSIONS; i++)
    sign_end(&g_sessions[i]);
  memset(g_sessions, 0, sizeof(g_sessions));
  for(size_t i = 0; i < g_nreaders; i++) {
    card_drop(&g_readers[i]);
    free(g_readers[i].name);
    memset(&g_readers[i], 0, sizeof(g_readers[i]));
  }
  g_nreaders = 0;
  g_listed = false;
  myna_pcsc_free(g_pcsc);
  g_pcsc = NULL;
  myna_nfc_free(g_nfc);
  g_nfc = NULL;
  g_init = false;
  pthread_cond_broadcast(&g_wait_cv);
  unlock();
  return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR info)
{
  if(!info)
    return CKR_ARGUMENTS_BAD;
  lock();
  bool ok = g_init;
  unlock();
  if(!ok)
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  memset(info, 0, sizeof(*info));
  info->cryptokiVersion.major = CRYPTOKI_VERSION_MAJOR;
  info->cryptokiVersion.minor = CRYPTOKI_VERSION_MINOR;
  pad(info->manufacturerID, sizeof(info->manufacturerID), "mynaterm");
  pad(info->libraryDescription, sizeof(info->libraryDescription),
      "My Number Card JPKI");
  info->libraryVersion.major = 0;
  info->libraryVersion.minor = 1;
  return CKR_OK;
}

CK_RV C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
  if(!n)
    return CKR_ARGUMENTS_BAD;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  readers_refresh(true);
  CK_ULONG k = 0;
  CK_RV rv = CKR_OK;
  for(size_t i = 0; i < g_nreaders; i++) {
    if(token_present && !g_readers[i].present)
      continue;
    for(CK_SLOT_ID t = 0; t < 2; t++) {
      if(list && k < *n)
        list[k] = i * 2 + t;
      k++;
    }
  }
  if(list && k > *n)
    rv = CKR_BUFFER_TOO_SMALL;
  *n = k;
  unlock();
  return rv;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
  if(!info)
    return CKR_ARGUMENTS_BAD;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  readers_refresh(false);
  reader *r = slot_reader(slot);
  if(!r) {
    unlock();
    return CKR_SLOT_ID_INVALID;
  }
  memset(info, 0, sizeof(*info));
  char desc[256];
  snprintf(desc, sizeof(desc), "%s (%s%s)", token_label[slot_token(slot)],
           r->nfc ? "NFC " : "", r->name);
  pad(info->slotDescription, sizeof(info->slotDescription), desc);
  pad(info->manufacturerID, sizeof(info->manufacturerID), "mynaterm");
  info->flags = CKF_HW_SLOT | CKF_REMOVABLE_DEVICE | (r->present ? CKF_TOKEN_PRESENT : 0);
  unlock();
  return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
  if(!info)
    return CKR_ARGUMENTS_BAD;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  reader *r = slot_reader(slot);
  if(!r) {
    unlock();
    return CKR_SLOT_ID_INVALID;
  }
  CK_RV rv = card_ensure(r);
  if(rv) {
    unlock();
    return rv;
  }
  int tok = slot_token(slot);
  if(r->tries[tok] < 0) {
    /* VERIFY without data: spends no try. */
    myna_rv mrv = myna_jpki_tries_left(r->card, token_key(tok), &r->tries[tok]);
    if(mrv) {
      r->tries[tok] = -1;
      rv = card_fail(r, mrv);
      unlock();
      return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
    }
  }
  memset(info, 0, sizeof(*info));
  pad(info->label, sizeof(info->label), token_label[tok]);
  pad(info->manufacturerID, sizeof(info->manufacturerID), "JPKI");
  pad(info->model, sizeof(info->model), "My Number Card");
  pad(info->serialNumber, sizeof(info->serialNumber), r->serial);
  CK_FLAGS f = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
  int left = r->tries[tok];
  if(left == 0)
    f |= CKF_USER_PIN_LOCKED;
  else if(left == 1)
    f |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
  else if(left > 0 && left < max_tries[tok])
    f |= CKF_USER_PIN_COUNT_LOW;
  info->flags = f;
  CK_ULONG open = 0, open_rw = 0;
  for(size_t i = 0; i < MAX_SESSIONS; i++)
    if(g_sessions[i].used && g_sessions[i].slot == slot) {
      open++;
      if(g_sessions[i].flags & CKF_RW_SESSION)
        open_rw++;
    }
  info->ulMaxSessionCount = MAX_SESSIONS;
  info->ulSessionCount = open;
  info->ulMaxRwSessionCount = MAX_SESSIONS;
  info->ulRwSessionCount = open_rw;
  info->ulMinPinLen = min_pin[tok];
  info->ulMaxPinLen = max_pin[tok];
  info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->hardwareVersion.major = 0;
  info->firmwareVersion.major = 0;
  pad(info->utcTime, sizeof(info->utcTime), "");
  unlock();
  return CKR_OK;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n)
{
  if(!n)
    return CKR_ARGUMENTS_BAD;
  lock();
  CK_RV rv = !g_init ? CKR_CRYPTOKI_NOT_INITIALIZED
                     : !slot_reader(slot) ? CKR_SLOT_ID_INVALID : CKR_OK;
  unlock();
  if(rv)
    return rv;
  CK_ULONG k = sizeof(mechs) / sizeof(mechs[0]);
  if(list) {
    if(*n < k)
      rv = CKR_BUFFER_TOO_SMALL;
    else
      memcpy(list, mechs, sizeof(mechs));
  }
  *n = k;
  return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                         CK_MECHANISM_INFO_PTR info)
{
  if(!info)
    return CKR_ARGUMENTS_BAD;
  lock();
  CK_RV rv = !g_init ? CKR_CRYPTOKI_NOT_INITIALIZED
                     : !slot_reader(slot) ? CKR_SLOT_ID_INVALID : CKR_OK;
  unlock();
  if(rv)
    return rv;
  if(!mech_known(type))
    return CKR_MECHANISM_INVALID;
  info->ulMinKeySize = 2048;
  info->ulMaxKeySize = 2048;
  info->flags = CKF_SIGN | CKF_HW;
  return CKR_OK;
}

CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify,
                    CK_SESSION_HANDLE_PTR out)
{
  if(!out)
    return CKR_ARGUMENTS_BAD;
  if(!(flags & CKF_SERIAL_SESSION))
    return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  readers_refresh(false);
  reader *r = slot_reader(slot);
  CK_RV rv = r ? card_ensure(r) : CKR_SLOT_ID_INVALID;
  if(!rv) {
    rv = CKR_SESSION_COUNT;
    for(size_t i = 0; i < MAX_SESSIONS; i++)
      if(!g_sessions[i].used) {
        session *s = &g_sessions[i];
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->slot = slot;
        s->gen = r->gen;
        s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
        *out = i + 1;
        rv = CKR_OK;
        break;
      }
  }
  unlock();
  return rv;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE h)
{
  lock();
  CK_RV rv = CKR_OK;
  if(!g_init)
    rv = CKR_CRYPTOKI_NOT_INITIALIZED;
  else if(h == 0 || h > MAX_SESSIONS || !g_sessions[h - 1].used)
    rv = CKR_SESSION_HANDLE_INVALID;
  else
    session_free(&g_sessions[h - 1]);
  unlock();
  return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slot)
{
  lock();
  CK_RV rv = CKR_OK;
  if(!g_init)
    rv = CKR_CRYPTOKI_NOT_INITIALIZED;
  else if(!slot_reader(slot))
    rv = CKR_SLOT_ID_INVALID;
  else
    for(size_t i = 0; i < MAX_SESSIONS; i++)
      if(g_sessions[i].used && g_sessions[i].slot == slot)
        session_free(&g_sessions[i]);
  unlock();
  return rv;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
  if(!info)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(!rv) {
    bool rw = s->flags & CKF_RW_SESSION;
    memset(info, 0, sizeof(*info));
    info->slotID = s->slot;
    info->flags = s->flags;
    if(r->logged_in[slot_token(s->slot)])
      info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    else
      info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
  }
  unlock();
  return rv;
}

CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  int tok = slot_token(s->slot);
  if(user == CKU_SO) {
    rv = CKR_USER_TYPE_INVALID;
    goto out;
  }
  if(user == CKU_USER && r->logged_in[tok]) {
    rv = CKR_USER_ALREADY_LOGGED_IN;
    goto out;
  }
  if(user == CKU_CONTEXT_SPECIFIC && !s->signing) {
    rv = CKR_OPERATION_NOT_INITIALIZED;
    goto out;
  }
  if(user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) {
    rv = CKR_USER_TYPE_INVALID;
    goto out;
  }
  if(!pin) {
    rv = CKR_ARGUMENTS_BAD;
    goto out;
  }
  if(pin_len < min_pin[tok] || pin_len > max_pin[tok]) {
    rv = CKR_PIN_LEN_RANGE;
    goto out;
  }
  myna_secret *sec = myna_secret_from_bytes(pin, pin_len);
  if(!sec) {
    rv = CKR_HOST_MEMORY;
    goto out;
  }
  int left = -1;
  myna_rv mrv = myna_jpki_verify(r->card, token_key(tok), sec, &left);
  myna_secret_free(sec);
  if(mrv == MYNA_E_WRONG_PIN || mrv == MYNA_E_PIN_BLOCKED) {
    r->tries[tok] = mrv == MYNA_E_PIN_BLOCKED ? 0 : left;
    rv = map_rv(mrv);
    goto out;
  }
  if(mrv) {
    rv = card_fail(r, mrv);
    goto out;
  }
  r->tries[tok] = max_tries[tok];
  if(user == CKU_CONTEXT_SPECIFIC) {
    s->ctx_auth = true;
    goto out;
  }
  r->logged_in[tok] = true;
  if(tok == TOK_SIGN) {
    /* The sign certificate (and the sign public key) become readable. */
    cert_info *c;
    mrv = cert_get(r, MYNA_JPKI_CERT_SIGN, &c);
    if(mrv == MYNA_E_CARD_REMOVED || mrv == MYNA_E_READER_REMOVED ||
       mrv == MYNA_E_NO_SERVICE || mrv == MYNA_E_IO)
      rv = card_fail(r, mrv);
  }
out:
  unlock();
  return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(!rv) {
    int tok = slot_token(s->slot);
    if(!r->logged_in[tok])
      rv = CKR_USER_NOT_LOGGED_IN;
    else {
      r->logged_in[tok] = false;
      for(size_t i = 0; i < MAX_SESSIONS; i++)
        if(g_sessions[i].used && g_sessions[i].slot == s->slot)
          sign_end(&g_sessions[i]);
      if(!r->logged_in[TOK_AUTH] && !r->logged_in[TOK_SIGN]) {
        /* The card forgets verified PINs only on a reset. */
        cert_clear(&r->certs[MYNA_JPKI_CERT_SIGN]);
        myna_rv mrv = myna_card_reset(r->card);
        if(mrv)
          rv = card_fail(r, mrv);
      }
    }
  }
  unlock();
  return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
                          CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
  if(!tmpl && n)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  attrs al;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(!obj_visible(r, slot_token(s->slot), obj)) {
    rv = CKR_OBJECT_HANDLE_INVALID;
    goto out;
  }
  myna_rv mrv = obj_attrs(r, (int)obj, &al);
  if(mrv) {
    rv = card_fail(r, mrv);
    goto out;
  }
  for(CK_ULONG i = 0; i < n; i++) {
    const attr *a = attr_find(&al, tmpl[i].type);
    if(!a) {
      tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      rv = (al.cls == CKO_PRIVATE_KEY && is_sensitive(tmpl[i].type))
               ? CKR_ATTRIBUTE_SENSITIVE : CKR_ATTRIBUTE_TYPE_INVALID;
    }
    else if(!tmpl[i].pValue)
      tmpl[i].ulValueLen = a->len;
    else if(tmpl[i].ulValueLen < a->len) {
      tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      rv = CKR_BUFFER_TOO_SMALL;
    }
    else {
      memcpy(tmpl[i].pValue, a->ptr, a->len);
      tmpl[i].ulValueLen = a->len;
    }
  }
out:
  unlock();
  return rv;
}

/* Can obj match tmpl on its class and id (known without the card)? */
static bool template_may_match(const CK_ATTRIBUTE *tmpl, CK_ULONG n, int obj)
{
  for(CK_ULONG i = 0; i < n; i++) {
    if(tmpl[i].type == CKA_CLASS) {
      CK_OBJECT_CLASS cls = obj_class(obj);
      if(!tmpl[i].pValue || tmpl[i].ulValueLen != sizeof(cls) ||
         memcmp(tmpl[i].pValue, &cls, sizeof(cls)))
        return false;
    }
    if(tmpl[i].type == CKA_ID) {
      CK_BYTE id = obj_id(obj);
      if(!tmpl[i].pValue || tmpl[i].ulValueLen != 1 ||
         memcmp(tmpl[i].pValue, &id, 1))
        return false;
    }
  }
  return true;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
  if(!tmpl && n)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(s->finding) {
    rv = CKR_OPERATION_ACTIVE;
    goto out;
  }
  int tok = slot_token(s->slot);
  s->nfound = s->pos = 0;
  for(int o = OBJ_NONE + 1; o < OBJ_COUNT; o++) {
    if(!obj_visible(r, tok, (CK_OBJECT_HANDLE)o))
      continue;
    /* Class and id first: a CA certificate is read only when asked for. */
    if(!template_may_match(tmpl, n, o))
      continue;
    attrs al;
    myna_rv mrv = obj_attrs(r, o, &al);
    if(mrv == MYNA_E_CARD_REMOVED || mrv == MYNA_E_READER_REMOVED ||
       mrv == MYNA_E_NO_SERVICE || mrv == MYNA_E_IO) {
      rv = card_fail(r, mrv);
      goto out;
    }
    if(mrv)
      continue;  /* e.g. a CA certificate the card does not have */
    bool match = true;
    for(CK_ULONG i = 0; match && i < n; i++) {
      const attr *a = attr_find(&al, tmpl[i].type);
      match = a && a->len == tmpl[i].ulValueLen &&
              (a->len == 0 || (tmpl[i].pValue && !memcmp(a->ptr, tmpl[i].pValue, a->len)));
    }
    if(match)
      s->found[s->nfound++] = (CK_OBJECT_HANDLE)o;
  }
  s->finding = true;
out:
  unlock();
  return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                    CK_ULONG_PTR n)
{
  if(!out || !n)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(!rv && !s->finding)
    rv = CKR_OPERATION_NOT_INITIALIZED;
  if(!rv) {
    CK_ULONG k = 0;
    while(k < max && s->pos < s->nfound)
      out[k++] = s->found[s->pos++];
    *n = k;
  }
  unlock();
  return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(!rv && !s->finding)
    rv = CKR_OPERATION_NOT_INITIALIZED;
  if(!rv)
    s->finding = false;
  unlock();
  return rv;
}

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
  if(!mech)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(s->signing) {
    rv = CKR_OPERATION_ACTIVE;
    goto out;
  }
  int tok = slot_token(s->slot);
  if(!mech_known(mech->mechanism)) {
    rv = CKR_MECHANISM_INVALID;
    goto out;
  }
  if(mech->pParameter || mech->ulParameterLen) {
    rv = CKR_MECHANISM_PARAM_INVALID;
    goto out;
  }
  if(!r->logged_in[tok]) {
    rv = CKR_USER_NOT_LOGGED_IN;
    goto out;
  }
  if(!obj_visible(r, tok, key) || obj_class((int)key) != CKO_PRIVATE_KEY) {
    rv = CKR_KEY_HANDLE_INVALID;
    goto out;
  }
  const EVP_MD *md;
  myna_hash_alg alg;
  sign_end(s);
  if(mech_hash(mech->mechanism, &md, &alg)) {
    s->md = EVP_MD_CTX_new();
    if(!s->md || !EVP_DigestInit_ex(s->md, md, NULL)) {
      sign_end(s);
      rv = CKR_HOST_MEMORY;
      goto out;
    }
  }
  s->signing = true;
  s->mech = mech->mechanism;
  s->sign_obj = (int)key;
out:
  unlock();
  return rv;
}

/* The size query and the short buffer of C_Sign and C_SignFinal keep the
 * operation and sign nothing. True when answered so. */
static bool sign_size_answer(CK_BYTE_PTR sig, CK_ULONG_PTR sig_len, CK_RV *rv)
{
  if(!sig) {
    *sig_len = SIG_SIZE;
    *rv = CKR_OK;
    return true;
  }
  if(*sig_len < SIG_SIZE) {
    *sig_len = SIG_SIZE;
    *rv = CKR_BUFFER_TOO_SMALL;
    return true;
  }
  return false;
}

/* End s's operation and sign: a hash for the mechanisms with one, else the
 * caller's DigestInfo. */
static CK_RV sign_finish(session *s, reader *r, const uint8_t *in, size_t in_len,
                         CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
  int tok = slot_token(s->slot);
  bool need_ctx = s->sign_obj == OBJ_SIGN_PRIV;
  bool ctx = s->ctx_auth;
  CK_MECHANISM_TYPE mech = s->mech;
  sign_end(s);
  if(!r->logged_in[tok] || (need_ctx && !ctx))
    return CKR_USER_NOT_LOGGED_IN;
  uint8_t out_sig[SIG_SIZE];
  size_t out_len = 0;
  myna_rv mrv;
  const EVP_MD *md;
  myna_hash_alg alg;
  if(mech_hash(mech, &md, &alg))
    mrv = myna_jpki_sign_hash(r->card, token_key(tok), alg, in, in_len, out_sig,
                              sizeof(out_sig), &out_len);
  else {
    if(in_len > SIG_SIZE - 11)
      return CKR_DATA_LEN_RANGE;
    mrv = myna_jpki_sign_digestinfo(r->card, token_key(tok), in, in_len,
                                    out_sig, sizeof(out_sig), &out_len);
  }
  if(mrv)
    return card_fail(r, mrv);
  memcpy(sig, out_sig, out_len);
  *sig_len = out_len;
  return CKR_OK;
}

CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG data_len,
             CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
  if(!sig_len || (!data && data_len))
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(!s->signing) {
    rv = CKR_OPERATION_NOT_INITIALIZED;
    goto out;
  }
  /* C_Sign does not end a multi-part operation. */
  if(s->multi) {
    rv = CKR_OPERATION_ACTIVE;
    goto out;
  }
  if(sign_size_answer(sig, sig_len, &rv))
    goto out;
  if(s->md) {
    uint8_t hash[EVP_MAX_MD_SIZE];
    unsigned int hlen = 0;
    if(!EVP_DigestUpdate(s->md, data, data_len) ||
       !EVP_DigestFinal_ex(s->md, hash, &hlen)) {
      sign_end(s);
      rv = CKR_GENERAL_ERROR;
      goto out;
    }
    rv = sign_finish(s, r, hash, hlen, sig, sig_len);
  }
  else
    rv = sign_finish(s, r, data, data_len, sig, sig_len);
out:
  unlock();
  return rv;
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG part_len)
{
  if(!part && part_len)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(!s->signing) {
    rv = CKR_OPERATION_NOT_INITIALIZED;
    goto out;
  }
  s->multi = true;
  if(s->md) {
    if(part_len && !EVP_DigestUpdate(s->md, part, part_len)) {
      sign_end(s);
      rv = CKR_GENERAL_ERROR;
    }
  }
  else if(part_len > sizeof(s->acc) - s->acc_len) {
    /* More than a DigestInfo the key can sign: the operation ends. */
    sign_end(s);
    rv = CKR_DATA_LEN_RANGE;
  }
  else {
    memcpy(s->acc + s->acc_len, part, part_len);
    s->acc_len += part_len;
  }
out:
  unlock();
  return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
  if(!sig_len)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(!s->signing) {
    rv = CKR_OPERATION_NOT_INITIALIZED;
    goto out;
  }
  if(sign_size_answer(sig, sig_len, &rv))
    goto out;
  if(s->md) {
    uint8_t hash[EVP_MAX_MD_SIZE];
    unsigned int hlen = 0;
    if(!EVP_DigestFinal_ex(s->md, hash, &hlen)) {
      sign_end(s);
      rv = CKR_GENERAL_ERROR;
      goto out;
    }
    rv = sign_finish(s, r, hash, hlen, sig, sig_len);
  }
  else {
    uint8_t di[sizeof(s->acc)];
    size_t di_len = s->acc_len;
    memcpy(di, s->acc, di_len);
    rv = sign_finish(s, r, di, di_len, sig, sig_len);
    OPENSSL_cleanse(di, sizeof(di));
  }
out:
  unlock();
  return rv;
}

/* Checked before any APDU: the length (CKR_PIN_LEN_RANGE) and the form
 * (CKR_PIN_INVALID) of a PIN of token tok; *out is the PIN as a secret. */
static CK_RV pin_take(int tok, const CK_UTF8CHAR *pin, CK_ULONG len,
                      myna_secret **out)
{
  *out = NULL;
  if(len < min_pin[tok] || len > max_pin[tok])
    return CKR_PIN_LEN_RANGE;
  myna_secret *sec = myna_secret_from_bytes(pin, len), *norm = NULL;
  if(!sec)
    return CKR_HOST_MEMORY;
  myna_rv mrv = myna_pin_normalize(
      tok == TOK_AUTH ? MYNA_PIN_JPKI_AUTH : MYNA_PIN_JPKI_SIGN, sec, &norm);
  myna_secret_free(norm);
  if(mrv) {
    myna_secret_free(sec);
    return mrv == MYNA_E_PIN_FORMAT ? CKR_PIN_INVALID : map_rv(mrv);
  }
  *out = sec;
  return CKR_OK;
}

/* Both PINs checked for form, then the old one presented (one VERIFY, never
 * retried, also on a logged-in token), then CHANGE REFERENCE DATA. */
CK_RV C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
               CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
  /* No protected authentication path: both PINs come from the caller. */
  if(!old_pin || !new_pin)
    return CKR_ARGUMENTS_BAD;
  lock();
  session *s;
  reader *r;
  myna_secret *old_sec = NULL, *new_sec = NULL;
  CK_RV rv = session_get(h, &s, &r);
  if(rv)
    goto out;
  if(!(s->flags & CKF_RW_SESSION)) {
    rv = CKR_SESSION_READ_ONLY;
    goto out;
  }
  int tok = slot_token(s->slot);
  if((rv = pin_take(tok, old_pin, old_len, &old_sec)) ||
     (rv = pin_take(tok, new_pin, new_len, &new_sec)))
    goto out;
  /* The old PIN is presented to the card also on a logged-in token: a
   * session someone left logged in must not let another change the PIN
   * without knowing it. One VERIFY, with the PIN the caller gave; never
   * retried. */
  int left = -1;
  myna_rv mrv = myna_jpki_verify(r->card, token_key(tok), old_sec, &left);
  if(mrv == MYNA_E_WRONG_PIN || mrv == MYNA_E_PIN_BLOCKED) {
    r->tries[tok] = mrv == MYNA_E_PIN_BLOCKED ? 0 : left;
    /* The card may have forgotten an earlier VERIFY. */
    if(!myna_jpki_is_verified(r->card, token_key(tok)))
      r->logged_in[tok] = false;
    rv = map_rv(mrv);
    goto out;
  }
  if(mrv) {
    rv = card_fail(r, mrv);
    goto out;
  }
  r->tries[tok] = max_tries[tok];
  mrv = myna_jpki_change_pin(r->card, token_key(tok), new_sec);
  if(mrv == MYNA_E_NOT_SUPPORTED)
    rv = CKR_FUNCTION_NOT_SUPPORTED;  /* the card refused the command */
  else if(mrv == MYNA_E_PIN_FORMAT)
    rv = CKR_PIN_INVALID;
  else if(mrv)
    rv = card_fail(r, mrv);
  /* Not logged in before: the card forgets the PIN verified here. */
  if(r->card && !r->logged_in[TOK_AUTH] && !r->logged_in[TOK_SIGN]) {
    cert_clear(&r->certs[MYNA_JPKI_CERT_SIGN]);
    mrv = myna_card_reset(r->card);
    if(mrv) {
      CK_RV rrv = card_fail(r, mrv);
      if(!rv)
        rv = rrv;
    }
  }
out:
  myna_secret_free(old_sec);
  myna_secret_free(new_sec);
  unlock();
  return rv;
}

/* ---- slot events ---- */

/* A slot event not reported yet: both slots of a reader have one when its
 * card came or went. */
static bool event_take(CK_SLOT_ID *slot)
{
  for(size_t i = 0; i < g_nreaders; i++)
    for(unsigned t = 0; t < 2; t++)
      if(g_readers[i].ev_pending & (1u << t)) {
        g_readers[i].ev_pending &= ~(1u << t);
        *slot = i * 2 + t;
        return true;
      }
  return false;
}

/* NFC readers have no daemon to wait on: poll their fields (nfc_probe, at
 * most every NFC_PROBE_MS) and compare with the last report. A card taken
 * away and another put down between two polls is a new card session
 * (gen), so an event too. */
static bool nfc_events(void)
{
  bool any = false;
  for(size_t i = 0; i < g_nreaders; i++) {
    reader *r = &g_readers[i];
    if(!r->nfc)
      continue;
    any = true;
    nfc_probe(r, false);
    if(r->present != r->ev_present || (r->present && r->gen != r->ev_gen))
      r->ev_pending = 3;
    r->ev_present = r->present;
    r->ev_gen = r->gen;
  }
  return any;
}

/* Pause a waiter for ms with the lock released (C_Finalize wakes it). */
static void wait_pause(unsigned ms)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if(ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&g_wait_cv, &g_lock, &ts);
}

/* Card insertions and removals from pcscd (SCardGetStatusChange on a context
 * of the call's own, without the module lock): a card that came or went
 * since the last report (or C_Initialize), also one that went and came back
 * (pcscd's event counter); a reader that appeared. NFC readers are polled
 * between the waits (nfc_events). */
CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
  if(!slot || reserved)
    return CKR_ARGUMENTS_BAD;
  bool dont_block = flags & CKF_DONT_BLOCK;
  lock();
  if(!g_init) {
    unlock();
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  size_t w = 0;
  while(w < MAX_WAITERS && g_wait_used[w])
    w++;
  if(w == MAX_WAITERS) {
    unlock();
    return CKR_FUNCTION_FAILED;
  }
  g_wait_used[w] = true;
  g_wait_ctx[w] = 0;
  g_waiters++;
  unsigned long gen = g_init_gen;
  SCARDCONTEXT ctx = 0;
  unsigned passes = 0;
  CK_RV rv;
  for(;;) {
    if(!g_init || g_init_gen != gen) {
      rv = CKR_CRYPTOKI_NOT_INITIALIZED;
      break;
    }
    if(event_take(slot)) {
      rv = CKR_OK;
      break;
    }
    bool nfc = nfc_events();
    if(event_take(slot)) {
      rv = CKR_OK;
      break;
    }
    if(!ctx) {
      if(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) !=
         SCARD_S_SUCCESS) {
        ctx = 0;
        if(dont_block) {
          rv = CKR_NO_EVENT;
          break;
        }
        wait_pause(500);
        continue;
      }
      g_wait_ctx[w] = ctx;
    }
    readers_refresh(true);
    /* Reader names stay until C_Finalize, which waits for this thread. */
    SCARD_READERSTATE st[MAX_READERS + 1];
    size_t idx[MAX_READERS];       /* st[k] is g_readers[idx[k]] */
    size_t n = 0;
    memset(st, 0, sizeof(st));
    for(size_t i = 0; i < g_nreaders; i++) {
      if(g_readers[i].nfc)
        continue;
      idx[n] = i;
      st[n].szReader = g_readers[i].name;
      st[n].dwCurrentState = g_readers[i].ev_state;
      n++;
    }
    st[n].szReader = "\\\\?PnP?\\Notification";
    st[n].dwCurrentState = g_pnp_state;
    unlock();
    /* A bounded wait: a C_Finalize that cancels before the call starts is
     * seen within a second; NFC fields are polled again after it. */
    DWORD ms = dont_block ? 0 : nfc ? NFC_PROBE_MS : 1000;
    LONG prv = SCardGetStatusChange(ctx, ms, st, (DWORD)n + 1);
    lock();
    if(!g_init || g_init_gen != gen) {
      rv = CKR_CRYPTOKI_NOT_INITIALIZED;
      break;
    }
    if(prv == SCARD_E_TIMEOUT) {
      if(dont_block) {
        rv = CKR_NO_EVENT;
        break;
      }
      continue;
    }
    if(prv == SCARD_E_CANCELLED)
      continue;
    if(prv != SCARD_S_SUCCESS) {
      /* pcscd went away: a new context when it is back. */
      g_wait_ctx[w] = 0;
      SCardReleaseContext(ctx);
      ctx = 0;
      if(dont_block) {
        rv = CKR_NO_EVENT;
        break;
      }
      wait_pause(500);
      continue;
    }
    g_pnp_state = st[n].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
    for(size_t k = 0; k < n; k++) {
      reader *r = &g_readers[idx[k]];
      DWORD e = st[k].dwEventState;
      bool gone = e & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE);
      bool here = !gone && (e & SCARD_STATE_PRESENT);
      bool counted = r->ev_state && !gone && (e >> 16) != (r->ev_state >> 16);
      if(here != r->ev_present || counted)
        r->ev_pending = 3;
      r->ev_present = here;
      r->ev_state = e & ~(DWORD)SCARD_STATE_CHANGED;
    }
    /* CKF_DONT_BLOCK: the first look (states unknown) is followed by one
     * with the states pcscd reported; then no more. */
    if(dont_block && ++passes > 2) {
      rv = CKR_NO_EVENT;
      break;
    }
  }
  if(ctx) {
    g_wait_ctx[w] = 0;
    SCardReleaseContext(ctx);
  }
  g_wait_used[w] = false;
  g_waiters--;
  pthread_cond_broadcast(&g_wait_cv);
  unlock();
  return rv;
}

/* ---- not offered: the card has fixed keys that only sign, and no SO (a
 * blocked PIN is reset at the municipal office) ---- */

static CK_RV not_supported(CK_RV rv)
{
  return rv;
}

CK_RV C_InitToken(CK_SLOT_ID slot_id, unsigned char *pin, unsigned long pin_len, unsigned char *label)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hs, unsigned char *pin, unsigned long pin_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hs, unsigned char *operation_state, unsigned long *operation_state_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hs, unsigned char *operation_state, unsigned long operation_state_len, CK_OBJECT_HANDLE encryption_key, CK_OBJECT_HANDLE authentiation_key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hs, CK_ATTRIBUTE *templ, unsigned long count, CK_OBJECT_HANDLE *object)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ, unsigned long count, CK_OBJECT_HANDLE *new_object)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE object)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE object, unsigned long *size)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ, unsigned long count)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_EncryptInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_Encrypt(CK_SESSION_HANDLE hs, unsigned char *data, unsigned long data_len, unsigned char *encrypted_data, unsigned long *encrypted_data_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hs, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE hs, unsigned char *last_encrypted_part, unsigned long *last_encrypted_part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DecryptInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_Decrypt(CK_SESSION_HANDLE hs, unsigned char *encrypted_data, unsigned long encrypted_data_len, unsigned char *data, unsigned long *data_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hs, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE hs, unsigned char *last_part, unsigned long *last_part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DigestInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_Digest(CK_SESSION_HANDLE hs, unsigned char *data, unsigned long data_len, unsigned char *digest, unsigned long *digest_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hs, unsigned char *part, unsigned long part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hs, unsigned char *digest, unsigned long *digest_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SignRecover(CK_SESSION_HANDLE hs, unsigned char *data, unsigned long data_len, unsigned char *signature, unsigned long *signature_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_Verify(CK_SESSION_HANDLE hs, unsigned char *data, unsigned long data_len, unsigned char *signature, unsigned long signature_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hs, unsigned char *part, unsigned long part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hs, unsigned char *signature, unsigned long signature_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE hs, unsigned char *signature, unsigned long signature_len, unsigned char *data, unsigned long *data_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hs, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hs, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hs, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hs, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GenerateKey(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_ATTRIBUTE *templ, unsigned long count, CK_OBJECT_HANDLE *key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_ATTRIBUTE *public_key_template, unsigned long public_key_attribute_count, CK_ATTRIBUTE *private_key_template, unsigned long private_key_attribute_count, CK_OBJECT_HANDLE *public_key, CK_OBJECT_HANDLE *private_key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_WrapKey(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE wrapping_key, CK_OBJECT_HANDLE key, unsigned char *wrapped_key, unsigned long *wrapped_key_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE unwrapping_key, unsigned char *wrapped_key, unsigned long wrapped_key_len, CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hs, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE base_key, CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hs, unsigned char *seed, unsigned long seed_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hs, unsigned char *random_data, unsigned long random_len)
{
  return not_supported(CKR_FUNCTION_NOT_SUPPORTED);
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hs)
{
  return not_supported(CKR_FUNCTION_NOT_PARALLEL);
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hs)
{
  return not_supported(CKR_FUNCTION_NOT_PARALLEL);
}

static CK_FUNCTION_LIST function_list = {
  .version = {CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR},
#define F(name) .name = name
  F(C_Initialize), F(C_Finalize), F(C_GetInfo), F(C_GetFunctionList),
  F(C_GetSlotList), F(C_GetSlotInfo), F(C_GetTokenInfo), F(C_GetMechanismList),
  F(C_GetMechanismInfo), F(C_InitToken), F(C_InitPIN), F(C_SetPIN),
  F(C_OpenSession), F(C_CloseSession), F(C_CloseAllSessions), F(C_GetSessionInfo),
  F(C_GetOperationState), F(C_SetOperationState), F(C_Login), F(C_Logout),
  F(C_CreateObject), F(C_CopyObject), F(C_DestroyObject), F(C_GetObjectSize),
  F(C_GetAttributeValue), F(C_SetAttributeValue), F(C_FindObjectsInit),
  F(C_FindObjects), F(C_FindObjectsFinal), F(C_EncryptInit), F(C_Encrypt),
  F(C_EncryptUpdate), F(C_EncryptFinal), F(C_DecryptInit), F(C_Decrypt),
  F(C_DecryptUpdate), F(C_DecryptFinal), F(C_DigestInit), F(C_Digest),
  F(C_DigestUpdate), F(C_DigestKey), F(C_DigestFinal), F(C_SignInit), F(C_Sign),
  F(C_SignUpdate), F(C_SignFinal), F(C_SignRecoverInit), F(C_SignRecover),
  F(C_VerifyInit), F(C_Verify), F(C_VerifyUpdate), F(C_VerifyFinal),
  F(C_VerifyRecoverInit), F(C_VerifyRecover), F(C_DigestEncryptUpdate),
  F(C_DecryptDigestUpdate), F(C_SignEncryptUpdate), F(C_DecryptVerifyUpdate),
  F(C_GenerateKey), F(C_GenerateKeyPair), F(C_WrapKey), F(C_UnwrapKey),
  F(C_DeriveKey), F(C_SeedRandom), F(C_GenerateRandom), F(C_GetFunctionStatus),
  F(C_CancelFunction), F(C_WaitForSlotEvent),
#undef F
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
  if(!out)
    return CKR_ARGUMENTS_BAD;
  *out = &function_list;
  return CKR_OK;
}
