/* mynacard/card.h - a card session.
 *
 * A myna_card owns a transport and remembers which application and which EF
 * are selected and which PINs are verified, so that no APDU is sent twice
 * without need. Certificates read during the session are kept in memory for
 * the session only and wiped when it ends; nothing is cached on disk.
 */
#ifndef MYNACARD_CARD_H
#define MYNACARD_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "error.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_card myna_card;

/* Called for every APDU that crosses the transport: the command (is_command
 * true) and its response. The data of a command carrying a PIN, and of a
 * response carrying personal data (My Number, 基本4情報, the sign certificate,
 * the card face), arrive already replaced by '*' bytes. */
typedef void (*myna_trace_fn)(void *user, bool is_command, const uint8_t *bytes,
                              size_t len);

/* Open a session on transport t. The session takes ownership of t (it calls
 * t->ops->destroy on free, also when open fails). Sends no APDU. */
myna_rv myna_card_open(myna_transport t, myna_card **out);

/* End the session: reset the card if any PIN was verified since the last
 * reset (so that no verified state survives), wipe every cached certificate
 * and free. NULL is accepted. */
void myna_card_free(myna_card *card);

void myna_card_set_trace(myna_card *card, myna_trace_fn fn, void *user);

/* Use extended APDUs only if allowed here *and* by the transport's caps.
 * Default: allowed. */
void myna_card_allow_extended(myna_card *card, bool allow);
bool myna_card_uses_extended(const myna_card *card);

/* Number of APDUs that crossed the transport since open (GET RESPONSE and
 * re-sends included). */
unsigned long myna_card_apdu_count(const myna_card *card);

/* Reset the card and forget all selection, verification and cached data. */
myna_rv myna_card_reset(myna_card *card);

/* Group several operations (say VERIFY and the signature it allows) into
 * one transaction of the transport, so that no other program's commands come
 * between them. Every public operation of the card layer already runs in its
 * own transaction; these calls nest, and the transport's transaction ends
 * with the outermost myna_card_end. Each successful begin needs one end.
 * Errors of begin: those of the transport (card removed, card reset, service
 * gone ...). */
myna_rv myna_card_begin(myna_card *card);
void myna_card_end(myna_card *card);

/* Is the card still present (asks the transport, sends no APDU)? */
myna_rv myna_card_is_present(myna_card *card, bool *present);

/* Name of the transport's reader. */
const char *myna_card_reader_name(const myna_card *card);

/* Send one command and collect the complete response. 61xx is followed by
 * GET RESPONSE (concatenating the parts) and 6Cxx by one re-send with Le = xx,
 * here and nowhere else; a command carrying a PIN is never re-sent. The final
 * status word is in *sw and the data in resp[0 .. *resp_len); a status word
 * other than 9000 is not an error here. Errors: those of the transport,
 * MYNA_E_MALFORMED_RESPONSE (no SW, more data than Ne, endless 61xx),
 * MYNA_E_NOT_SUPPORTED (needs extended APDUs the path does not carry),
 * MYNA_E_INVALID_ARGUMENT. */
myna_rv myna_card_transmit(myna_card *card, const myna_apdu *cmd,
                           uint8_t *resp, size_t resp_cap, size_t *resp_len,
                           uint16_t *sw);

#ifdef __cplusplus
}
#endif
#endif
