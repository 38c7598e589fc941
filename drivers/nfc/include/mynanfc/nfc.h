/* mynanfc/nfc.h - My Number Cards over NFC through libnfc (ISO 14443-4 Type B).
 *
 * For terminals whose NFC module libnfc drives directly (PN532 over UART,
 * PN533 over USB, ACR122). The card is a Type B target at 106 kbit/s (the
 * PN532 does Type B at 106 kbit/s only). Its PUPI is random on every
 * activation: nothing here identifies a card by it (the card layer
 * identifies a card by its certificate).
 *
 * The transport (myna_nfc_connect) for card.h:
 *   - carries short APDUs only: PN53x frames cap an answer near 262 bytes,
 *     so caps are { extended_apdu false, 261, 256 } and reads are 256 bytes;
 *   - waits apdu_timeout_ms for an answer, and sign_timeout_ms (>= 5 s) for
 *     the signature command (a card may ask for waiting time extensions for
 *     seconds while it computes RSA);
 *   - tells a card that left from a slow one: after a failed exchange it asks
 *     the device whether the target is still present: MYNA_E_CARD_REMOVED if
 *     not, MYNA_E_TIMEOUT if it is; a device that went away (unplugged, its
 *     serial line gone) is MYNA_E_READER_REMOVED; frames the device garbles
 *     are MYNA_E_IO (myna_nfc_rv has the whole table). Nothing is ever
 *     re-sent: a command may carry a PIN. Once the card has left, every
 *     exchange says MYNA_E_CARD_REMOVED without sending anything, also if
 *     it is back (that is a new activation): reset, or connect again;
 *   - resets the card by switching the RF field off and on (a card without
 *     power loses every verified PIN) and activating it again: a card that
 *     was there has a second to answer, after one that left one polling
 *     round tells whether one is back; MYNA_E_CARD_REMOVED if none. Ends
 *     with the field off, then releases the device;
 *   - has no begin/end: one program owns the device.
 */
#ifndef MYNANFC_NFC_H
#define MYNANFC_NFC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mynacard/error.h"
#include "mynacard/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_nfc myna_nfc;

/* A libnfc context. Errors: MYNA_E_NO_MEMORY, MYNA_E_IO (libnfc could not
 * initialise). */
myna_rv myna_nfc_new(myna_nfc **out);
void myna_nfc_free(myna_nfc *n);

typedef struct myna_nfc_device {
  char *connstring;   /* e.g. "pn532_uart:/dev/ttyUSB0" */
  char *name;         /* for display: the connstring. libnfc tells a device's
                         name only once it is opened, and opening a device to
                         name it would disturb a session that uses it (a
                         PN532 on a serial line takes the wake-up of a second
                         opener in the middle of the first one's frames) */
} myna_nfc_device;

/* The devices libnfc knows: those it finds by itself (USB) and those its
 * configuration, LIBNFC_DEVICE or LIBNFC_DEFAULT_DEVICE names (listed as
 * named, without checking that they answer; serial devices are never probed:
 * that could disturb other serial equipment). No device is not an error.
 * Errors: MYNA_E_NO_MEMORY, MYNA_E_INVALID_ARGUMENT. */
myna_rv myna_nfc_list(myna_nfc *n, myna_nfc_device **devices, size_t *count);
void myna_nfc_devices_free(myna_nfc_device *devices, size_t count);

typedef struct myna_nfc_options {
  unsigned poll_ms;          /* look for a card this long, then MYNA_E_NO_CARD
                                (0: 3000) */
  unsigned apdu_timeout_ms;  /* per exchange (0: 2000) */
  unsigned sign_timeout_ms;  /* for the signature command (INS 2A, class 80
                                or 00): 0 means 6000; never less than 5000
                                nor than apdu_timeout_ms */
  const atomic_bool *cancel; /* optional, the caller's: once true, a connect
                                stops polling with MYNA_E_CANCELLED, whether
                                it was set before the connect began or
                                during it (then call myna_nfc_cancel too, so
                                that a round in progress ends at once) */
} myna_nfc_options;

/* The options as myna_nfc_connect uses them: zeros replaced by the defaults,
 * the signature timeout raised to its floor, every value at most INT_MAX.
 * options NULL: all defaults. */
void myna_nfc_options_resolve(const myna_nfc_options *options,
                              myna_nfc_options *out);

/* How long the transport waits for the answer to cmd, in ms, with options
 * resolved as above: sign_timeout_ms for the signature command, else
 * apdu_timeout_ms. */
unsigned myna_nfc_timeout_for(const myna_nfc_options *resolved,
                              const uint8_t *cmd, size_t cmd_len);

/* What a failed exchange means to the card layer. exchange: the result of
 * nfc_initiator_transceive_bytes (a negative NFC_E* code; an answer too short
 * to hold SW1 SW2 counts as NFC_EIO); presence: the result of
 * nfc_initiator_target_is_present asked right after it.
 *   device gone (presence NFC_EIO or NFC_ENOTSUCHDEV)  MYNA_E_READER_REMOVED
 *   target gone (NFC_ETGRELEASED; NFC_ERFTRANS, which
 *   is what libnfc 1.8 says of a Type B card that left) MYNA_E_CARD_REMOVED
 *   present (0), or presence unknown (any other code):
 *     exchange NFC_ETIMEOUT                            MYNA_E_TIMEOUT
 *     exchange NFC_EIO or NFC_ENOTSUCHDEV while the
 *     presence check failed too                        MYNA_E_READER_REMOVED
 *     anything else (garbled frames, RF errors)        MYNA_E_IO
 * exchange >= 0 is MYNA_OK. */
myna_rv myna_nfc_rv(int exchange, int presence);

/* Open the device (connstring NULL or "": the first libnfc knows), find a
 * Type B card in the field, polling in short rounds (never libnfc's
 * infinite select; a round is 300 ms at most with libnfc 1.8, and they
 * start at most every 50 ms) until poll_ms has passed (counted once the
 * device is open) or myna_nfc_cancel is called,
 * and fill *out (for myna_card_open, which takes ownership). Sends no APDU.
 * The transport keeps a reference to n: n may be freed before it.
 * Errors: MYNA_E_NO_READER (no such device, or it cannot be opened),
 * MYNA_E_NO_CARD (no card in poll_ms), MYNA_E_CANCELLED,
 * MYNA_E_READER_REMOVED (the device went away while polling),
 * MYNA_E_NOT_SUPPORTED (the device cannot poll for Type B), MYNA_E_IO (the
 * device does not answer as it should), MYNA_E_NO_MEMORY,
 * MYNA_E_INVALID_ARGUMENT. */
myna_rv myna_nfc_connect(myna_nfc *n, const char *connstring,
                         const myna_nfc_options *options, myna_transport *out);

/* From any thread: make a myna_nfc_connect that is polling on n return
 * MYNA_E_CANCELLED soon: at once when it waits for the device's answer to a
 * round (nfc_abort_command) or between rounds, within one round otherwise.
 * A connect still opening the device returns once it is open. A cancel
 * when nothing polls has no effect on later connects — nor on a connect
 * another thread is about to start: a caller that cancels from another
 * thread sets its options' cancel flag first, which no race can lose. */
void myna_nfc_cancel(myna_nfc *n);

#ifdef __cplusplus
}
#endif
#endif
