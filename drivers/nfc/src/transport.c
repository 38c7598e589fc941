/* transport.c - the card layer's transport on a Type B card that libnfc has
 * activated: one APDU per nfc_initiator_transceive_bytes, the device asked
 * about the card after any failure, reset by the RF field. */
#include "nfc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A reset switches the field off this long: a card needs a few ms without
 * power to forget everything (ISO/IEC 14443-3 asks 5 ms at least). */
#define FIELD_OFF_MS 20u
/* After the field comes back, how long a card that was there has to show
 * up again. */
#define RESET_FIND_MS 1000u

typedef enum link_state {
  LINK_UP,
  LINK_CARD_GONE,    /* the card left: every exchange fails until a reset
                        finds one again (a new activation) */
  LINK_DEVICE_GONE   /* the device went away: every call fails */
} link_state;

typedef struct nfc_transport {
  myna_nfc *n;
  nfc_device *dev;
  nfc_target target;       /* the activation libnfc keeps; not an identity */
  myna_nfc_options opts;   /* resolved */
  link_state state;
  char *name;
  uint8_t buf[NFC_FRAME_MAX];
} nfc_transport;

static void sleep_ms(unsigned ms)
{
  struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
  while(nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static myna_rv state_rv(const nfc_transport *t)
{
  switch(t->state) {
  case LINK_CARD_GONE:
    return MYNA_E_CARD_REMOVED;
  case LINK_DEVICE_GONE:
    return MYNA_E_READER_REMOVED;
  default:
    return MYNA_OK;
  }
}

/* Remember what an error says about the card and the device. */
static myna_rv note(nfc_transport *t, myna_rv rv)
{
  if(rv == MYNA_E_READER_REMOVED)
    t->state = LINK_DEVICE_GONE;
  else if(rv == MYNA_E_CARD_REMOVED && t->state == LINK_UP)
    t->state = LINK_CARD_GONE;
  return rv;
}

/* An exchange failed (error: libnfc's code). Ask the device whether the
 * card is still in the field: Diagnose "card presence" on a PN53x, a frame
 * at the ISO 14443-4 block level that no application on the card sees. */
static myna_rv exchange_failed(nfc_transport *t, int error)
{
  int presence = nfc_initiator_target_is_present(t->dev, &t->target);
  return note(t, myna_nfc_rv(error, presence));
}

static myna_rv nfc_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                            uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
  nfc_transport *t = ctx;
  if(!cmd || !cmd_len || !resp || !resp_len || cmd_len > NFC_MAX_COMMAND)
    return MYNA_E_INVALID_ARGUMENT;
  myna_rv rv = state_rv(t);
  if(rv)
    return rv;
  int timeout = (int)myna_nfc_timeout_for(&t->opts, cmd, cmd_len);
  /* Never re-sent, whatever happens: the command may carry a PIN. The
   * answer goes to a buffer that always fits a frame: libnfc drops one that
   * does not fit after the card has executed the command. */
  int r = nfc_initiator_transceive_bytes(t->dev, cmd, cmd_len, t->buf,
                                         sizeof(t->buf), timeout);
  if(r < 2) {
    /* Success without even a status word is a frame the device garbled. */
    if(r > 0)
      explicit_bzero(t->buf, (size_t)r);
    return exchange_failed(t, r < 0 ? r : NFC_EIO);
  }
  size_t n = (size_t)r;
  if(n > resp_cap) {
    explicit_bzero(t->buf, n);
    return MYNA_E_BUFFER_TOO_SMALL;
  }
  memcpy(resp, t->buf, n);
  explicit_bzero(t->buf, n);
  *resp_len = n;
  return MYNA_OK;
}

static myna_rv nfc_get_caps(void *ctx, myna_transport_caps *caps)
{
  (void)ctx;
  if(!caps)
    return MYNA_E_INVALID_ARGUMENT;
  /* PN53x frames cap an answer near 262 bytes: no extended APDUs. */
  *caps = (myna_transport_caps){ false, NFC_MAX_COMMAND, NFC_MAX_RESPONSE };
  return MYNA_OK;
}

static myna_rv nfc_reset(void *ctx)
{
  nfc_transport *t = ctx;
  if(t->state == LINK_DEVICE_GONE)
    return MYNA_E_READER_REMOVED;
  /* Without power the card loses every verified PIN; the card that comes
   * back is a new activation (a new PUPI). */
  int r = nfc_device_set_property_bool(t->dev, NP_ACTIVATE_FIELD, false);
  if(r >= 0) {
    sleep_ms(FIELD_OFF_MS);
    r = nfc_device_set_property_bool(t->dev, NP_ACTIVATE_FIELD, true);
  }
  if(r < 0) {
    if(r == NFC_EIO || r == NFC_ENOTSUCHDEV)
      return note(t, MYNA_E_READER_REMOVED);
    return MYNA_E_IO;
  }
  /* A card that was there has a second to answer again; after one that
   * left (say the session ends with a reset once the card is gone), one
   * round tells whether it is back. Until one is found, none is there. */
  unsigned find_ms = t->state == LINK_UP ? RESET_FIND_MS : 0;
  t->state = LINK_CARD_GONE;
  nfc_target target;
  memset(&target, 0, sizeof(target));
  myna_rv rv = Myna_nfc_find_card(t->dev, find_ms, NULL, &target);
  switch(rv) {
  case MYNA_OK:
    t->target = target;
    t->state = LINK_UP;
    return MYNA_OK;
  case MYNA_E_NO_CARD:
    return MYNA_E_CARD_REMOVED;
  default:
    return note(t, rv);
  }
}

static myna_rv nfc_is_present(void *ctx, bool *present)
{
  nfc_transport *t = ctx;
  if(!present)
    return MYNA_E_INVALID_ARGUMENT;
  *present = false;
  switch(t->state) {
  case LINK_CARD_GONE:
    return MYNA_OK;
  case LINK_DEVICE_GONE:
    return MYNA_E_READER_REMOVED;
  default:
    break;
  }
  int r = nfc_initiator_target_is_present(t->dev, &t->target);
  switch(r) {
  case NFC_SUCCESS:
    *present = true;
    return MYNA_OK;
  case NFC_ETGRELEASED:
  case NFC_ERFTRANS:
    t->state = LINK_CARD_GONE;
    return MYNA_OK;
  case NFC_EIO:
  case NFC_ENOTSUCHDEV:
    return note(t, MYNA_E_READER_REMOVED);
  case NFC_ETIMEOUT:
    return MYNA_E_TIMEOUT;
  default:
    return MYNA_E_IO;
  }
}

static const char *nfc_name(void *ctx)
{
  nfc_transport *t = ctx;
  return t->name;
}

static void nfc_destroy(void *ctx)
{
  nfc_transport *t = ctx;
  if(!t)
    return;
  /* End with the field off, so that no verified PIN survives the session;
   * nfc_close then releases the device (libnfc idles it: field off, and a
   * PN532 goes to power down). A device that went away gets no command. */
  if(t->state != LINK_DEVICE_GONE)
    (void)nfc_device_set_property_bool(t->dev, NP_ACTIVATE_FIELD, false);
  nfc_close(t->dev);
  explicit_bzero(t->buf, sizeof(t->buf));
  free(t->name);
  Myna_nfc_unref(t->n);
  free(t);
}

static const myna_transport_ops nfc_ops = {
  .transmit = nfc_transmit,
  .get_caps = nfc_get_caps,
  .reset = nfc_reset,
  .is_present = nfc_is_present,
  /* No transactions: one program owns the device. */
  .begin = NULL,
  .end = NULL,
  .name = nfc_name,
  .destroy = nfc_destroy,
};

myna_rv Myna_nfc_transport_new(myna_nfc *n, nfc_device *dev,
                               const nfc_target *target,
                               const myna_nfc_options *options,
                               myna_transport *out)
{
  nfc_transport *t = calloc(1, sizeof(*t));
  const char *name = nfc_device_get_name(dev);
  char *copy = strdup(name && *name ? name : nfc_device_get_connstring(dev));
  if(!t || !copy) {
    free(t);
    free(copy);
    nfc_close(dev);
    return MYNA_E_NO_MEMORY;
  }
  t->n = Myna_nfc_ref(n);
  t->dev = dev;
  t->target = *target;
  t->opts = *options;
  t->state = LINK_UP;
  t->name = copy;
  *out = (myna_transport){ &nfc_ops, t };
  return MYNA_OK;
}
