/* mynacard/apdu.h - ISO 7816-4 command encoding and response parsing. */
#ifndef MYNACARD_APDU_H
#define MYNACARD_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest command we ever build: header 4 + extended Lc 3 + 65535 data +
 * extended Le 2 (a case-4 command carries Le in two bytes). */
#define MYNA_APDU_MAX_COMMAND (4 + 3 + 65535 + 2)
/* Largest response data an extended Le asks for, plus SW. */
#define MYNA_APDU_MAX_RESPONSE (65536 + 2)

typedef struct myna_apdu {
  uint8_t cla, ins, p1, p2;
  const uint8_t *data; /* command data (Nc bytes), may be NULL when lc == 0 */
  size_t lc;           /* Nc: 0 .. 65535 */
  size_t ne;           /* Ne: 0 = no Le field; 1..256 short; up to 65536 extended */
  bool sensitive;      /* data holds a PIN: traces show it masked */
} myna_apdu;

/* The ISO 7816-4 case of a command (1: no data no Le, 2: Le, 3: data, 4: both). */
int myna_apdu_case(const myna_apdu *a);

/* True when the command needs the extended length form (Nc > 255 or Ne > 256). */
bool myna_apdu_needs_extended(const myna_apdu *a);

/* Encode a into out. Short form whenever it fits; the extended form only when
 * needed and allow_extended is true, else MYNA_E_NOT_SUPPORTED.
 * MYNA_E_INVALID_ARGUMENT for Nc > 65535 or Ne > 65536,
 * MYNA_E_BUFFER_TOO_SMALL when cap is too small. */
myna_rv myna_apdu_encode(const myna_apdu *a, bool allow_extended,
                         uint8_t *out, size_t cap, size_t *out_len);

/* Split a response into data length and status word.
 * MYNA_E_MALFORMED_RESPONSE when len < 2. */
myna_rv myna_apdu_split_response(const uint8_t *resp, size_t len,
                                 size_t *data_len, uint16_t *sw);

/* Parse a command APDU (as a card does). Returns MYNA_E_WRONG_LENGTH for any
 * length field inconsistent with the buffer. a->data points into buf. */
myna_rv myna_apdu_decode(const uint8_t *buf, size_t len, myna_apdu *a,
                         bool *is_extended);

#ifdef __cplusplus
}
#endif
#endif
