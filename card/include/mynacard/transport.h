/* mynacard/transport.h - how the card layer talks to a byte transport.
 *
 * The card layer never knows which transport it runs on: each driver (the
 * in-process software card today) fills a myna_transport with its own ops.
 * A transport moves one command APDU and returns one response APDU (data and
 * SW1 SW2); it does not interpret status words - 61xx and 6Cxx are handled
 * once, centrally, in the card layer (card.h).
 */
#ifndef MYNACARD_TRANSPORT_H
#define MYNACARD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_transport_caps {
  bool extended_apdu;   /* extended Lc/Le are carried end to end */
  size_t max_command;   /* largest command APDU in bytes */
  size_t max_response;  /* largest response data (without SW) per APDU; for
                           callers that size reads themselves (the card layer
                           sizes reads by extended_apdu) */
} myna_transport_caps;

typedef struct myna_transport_ops {
  /* Send cmd, receive the response (data + SW) into resp. Errors:
   * MYNA_E_CARD_REMOVED, MYNA_E_NO_CARD, MYNA_E_IO, MYNA_E_TIMEOUT,
   * MYNA_E_BUFFER_TOO_SMALL, MYNA_E_INVALID_ARGUMENT. */
  myna_rv (*transmit)(void *ctx, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *resp, size_t resp_cap, size_t *resp_len);
  /* What the path carries. Must not send APDUs that could cost a PIN try. */
  myna_rv (*get_caps)(void *ctx, myna_transport_caps *caps);
  /* Reset the card so that no verified state survives. */
  myna_rv (*reset)(void *ctx);
  /* Is a card present right now? */
  myna_rv (*is_present)(void *ctx, bool *present);
  /* Human name of the reader / device. */
  const char *(*name)(void *ctx);
  /* Disconnect and free ctx. */
  void (*destroy)(void *ctx);
} myna_transport_ops;

typedef struct myna_transport {
  const myna_transport_ops *ops;
  void *ctx;
} myna_transport;

#ifdef __cplusplus
}
#endif
#endif
