/* mynavcard/vcard.h - the software My Number Card.
 *
 * A card that implements every confirmed ([C]) fact of card-reference.md: the
 * JPKI AP, the card input support AP and the card surface AP, retry counters,
 * blocking, security state cleared on AP selection, real RSA-2048 PKCS#1 v1.5
 * signatures; and, as reported ([R]) facts, CHANGE REFERENCE DATA, the token
 * info and availability EFs (when the profile has them) and 10 tries for the
 * card face keys. It is loaded from a profile (docs/vcard-profile.md) and driven
 * APDU by APDU; myna_vcard_transport() serves it in-process to the card layer.
 */
#ifndef MYNAVCARD_VCARD_H
#define MYNAVCARD_VCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mynacard/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_vcard myna_vcard;

/* Behaviours of real cards and reader paths that can be switched on. */
enum {
  MYNA_VCARD_QUIRK_SHORT_ONLY = 1u << 0, /* extended APDUs answered with 6700 */
  MYNA_VCARD_QUIRK_T0 = 1u << 1,         /* T=0 style: data behind 61xx and
                                            GET RESPONSE; 6Cxx when a READ
                                            BINARY asks more than is left;
                                            extended APDUs answered 6700 */
  MYNA_VCARD_QUIRK_SLOW = 1u << 2,       /* each answer delayed by slow_ms */
  MYNA_VCARD_QUIRK_CONTACTLESS = 1u << 3, /* the ATR a PC/SC reader builds
                                            for an ISO 14443-4 Type B card
                                            (PC/SC part 3): 3B 88 80 01 ... */
  MYNA_VCARD_QUIRK_NO_PIN_CHANGE = 1u << 4 /* CHANGE REFERENCE DATA answered
                                            6D00: PIN change is a reported,
                                            not confirmed, card fact */
};

/* Load the profile at path (a profile.ini; files it names are relative to its
 * folder). On failure returns NULL and writes a message into err. */
myna_vcard *myna_vcard_load(const char *path, char *err, size_t err_len);

void myna_vcard_free(myna_vcard *card);

/* Parse "short-only,t0,slow=50,no-pin-change" into quirk bits and slow_ms. false on an
 * unknown word. */
bool myna_vcard_parse_quirks(const char *spec, unsigned *quirks,
                             unsigned *slow_ms);
void myna_vcard_set_quirks(myna_vcard *card, unsigned quirks, unsigned slow_ms);

/* Process one command APDU; write response data + SW into resp.
 * Returns the response length (at least 2). A resp_cap of 65538 holds every
 * answer the card gives; with one under 2 bytes nothing is written and 0 is
 * returned. A removed card returns 0. */
size_t myna_vcard_process(myna_vcard *card, const uint8_t *cmd, size_t cmd_len,
                          uint8_t *resp, size_t resp_cap);

/* Power cycle: clears the selected AP/EF and all security state. */
void myna_vcard_reset(myna_vcard *card);

/* Fault injection: after n more APDUs the card counts as removed (0: never). */
void myna_vcard_remove_after(myna_vcard *card, unsigned long n);
/* Remove / re-insert now. Re-insertion is a power cycle. */
void myna_vcard_set_present(myna_vcard *card, bool present);
bool myna_vcard_is_present(const myna_vcard *card);

/* ATR the card presents (for vpcd and PC/SC): T=1 only
 * (3B E0 00 FF 81 31 FE 45 14), or T=0 only (3B 60 00 FF) while the T=0 quirk
 * is set. */
const uint8_t *myna_vcard_atr(const myna_vcard *card, size_t *len);

/* Number of APDUs processed since load. */
unsigned long myna_vcard_apdu_count(const myna_vcard *card);

/* Tries left on the card's counters, as the card holds them (for tests). */
int myna_vcard_tries(const myna_vcard *card, const char *which);

/* A transport that serves card in-process. Transmit to a removed card gives
 * MYNA_E_CARD_REMOVED. The transport does not own card unless own is true. */
myna_transport myna_vcard_transport(myna_vcard *card, bool own);

#ifdef __cplusplus
}
#endif
#endif
