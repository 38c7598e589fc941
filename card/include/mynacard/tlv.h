/* mynacard/tlv.h - bounds-checked BER-TLV and DER length helpers.
 *
 * Nothing here reads outside [buf, buf + len) for any input. */
#ifndef MYNACARD_TLV_H
#define MYNACARD_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct myna_tlv {
  uint32_t tag;          /* tag bytes big-endian, e.g. 0xDF22, 0xFF20, 0x30 */
  size_t header_len;     /* tag + length bytes */
  size_t len;            /* value length */
  const uint8_t *value;  /* points into the parsed buffer */
} myna_tlv;

/* Parse the tag and length at buf. Needs the header and the whole value
 * inside len: MYNA_E_BAD_DATA otherwise (truncated, indefinite length,
 * tag longer than 3 bytes, length longer than 4 bytes). */
myna_rv myna_tlv_parse(const uint8_t *buf, size_t len, myna_tlv *out);

/* Parse only the header (tag + length) at buf, without requiring the value
 * to be present. MYNA_E_BAD_DATA when even the header is incomplete. */
myna_rv myna_tlv_parse_header(const uint8_t *buf, size_t len, myna_tlv *out);

/* Offset from which [buf, buf+len) holds only filler bytes (00 or FF), the
 * padding a card may leave after the last object; len when there is none.
 * One pass from the end, so that callers stay linear in len. */
size_t myna_tlv_filler_start(const uint8_t *buf, size_t len);

/* Find the first TLV with `tag` among the siblings in [buf, buf+len).
 * MYNA_E_FILE_NOT_FOUND when absent, MYNA_E_BAD_DATA on a malformed sibling. */
myna_rv myna_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, myna_tlv *out);

/* Total size (header + content) of the DER object whose first bytes are in
 * buf. Used to size a certificate from its first bytes.
 * MYNA_E_BAD_DATA when the header is not complete in buf or not definite. */
myna_rv myna_der_object_size(const uint8_t *buf, size_t len, size_t *total);

#ifdef __cplusplus
}
#endif
#endif
