/* nfc_internal.h - what the context (nfc.c) and the transport (transport.c)
 * share. */
#ifndef MYNANFC_INTERNAL_H
#define MYNANFC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <nfc/nfc.h>

#include "mynanfc/nfc.h"

/* Short APDUs only: case 4 with 255 bytes of data and Le, 256 bytes back. */
#define NFC_MAX_COMMAND 261
#define NFC_MAX_RESPONSE 256
/* The data of a PN53x extended frame: no answer libnfc hands over is longer
 * (256 bytes, SW1 SW2 and the chip's own bytes fit). */
#define NFC_FRAME_MAX 264

/* A device being polled by myna_nfc_connect, for myna_nfc_cancel. */
typedef struct nfc_polling {
  myna_nfc *n;
  nfc_device *dev;
  unsigned cancels;         /* n->cancels when the connect began */
  const atomic_bool *flag;  /* the caller's cancel flag, or NULL */
  bool in_round;            /* in nfc_initiator_select_passive_target;
                               under n->lock */
  struct nfc_polling *next;
} nfc_polling;

struct myna_nfc {
  atomic_int refs;          /* the owner and each transport made from it */
  nfc_context *ctx;
  atomic_uint cancels;      /* counts myna_nfc_cancel calls */
  pthread_mutex_t lock;     /* polling, and every nfc_abort_command */
  nfc_polling *polling;
};

myna_nfc *Myna_nfc_ref(myna_nfc *n);
void Myna_nfc_unref(myna_nfc *n);

/* Milliseconds on the monotonic clock. */
uint64_t Myna_nfc_now_ms(void);

/* Look for a Type B card with dev until ms have passed, in short rounds
 * (the device must have NP_INFINITE_SELECT off). With p not NULL (p->dev is
 * dev, on p->n's polling list) the search ends with MYNA_E_CANCELLED once
 * p->n->cancels is no longer p->cancels. On success
 * libnfc has activated the card (ATTRIB) and *target is the one libnfc keeps
 * as its current target. Errors: MYNA_E_NO_CARD, MYNA_E_CANCELLED,
 * MYNA_E_READER_REMOVED (the device went away), MYNA_E_NOT_SUPPORTED,
 * MYNA_E_IO (the device stopped answering as it should). */
myna_rv Myna_nfc_find_card(nfc_device *dev, unsigned ms, nfc_polling *p,
                           nfc_target *target);

/* The transport on dev, which it owns from now on (also on failure: then it
 * is closed). options resolved. Errors: MYNA_E_NO_MEMORY. */
myna_rv Myna_nfc_transport_new(myna_nfc *n, nfc_device *dev,
                               const nfc_target *target,
                               const myna_nfc_options *options,
                               myna_transport *out);

#endif
