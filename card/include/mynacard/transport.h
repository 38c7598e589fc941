/* mynacard/transport.h - how the card layer talks to a byte transport.
 *
 * The card layer never knows which transport it runs on: each driver (the
 * in-process software card today) fills a myna_transport with its own ops.
 * A transport moves one command APDU and returns one response APDU (data and
 * SW1 SW2); it does not interpret status words - 61xx and 6Cxx are handled
 * once, centrally, in the card layer (card.h).
 *
 * Errors a transport returns, and what the card layer does with them:
 *   MYNA_E_NO_CARD / MYNA_E_CARD_REMOVED  the card is not (or no longer) there
 *   MYNA_E_CARD_RESET     another program reset the card; the transport has
 *                         reconnected, the card layer forgets what was
 *                         selected and verified, the next command works
 *   MYNA_E_READER_REMOVED the reader went away
 *   MYNA_E_NO_SERVICE     the service behind the reader (pcscd) went away
 *   MYNA_E_READER_BUSY    another program holds the card exclusively
 *   MYNA_E_IO, MYNA_E_TIMEOUT, MYNA_E_BUFFER_TOO_SMALL, MYNA_E_INVALID_ARGUMENT
 * None of them is retried by the card layer: a command that carried a PIN
 * must never be sent twice.
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
  /* Optional (NULL when the path has no such notion): start and end a
   * transaction, so that no other program's commands interleave with a
   * multi-APDU operation. The card layer nests them (card.h) and calls
   * end once for every begin that succeeded. */
  myna_rv (*begin)(void *ctx);
  myna_rv (*end)(void *ctx);
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
