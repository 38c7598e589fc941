/* card_internal.h - what the AP modules of libmynacard share. Not installed. */
#ifndef MYNACARD_CARD_INTERNAL_H
#define MYNACARD_CARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mynacard/mynacard.h"

/* Applications, identified by their DF name (AID). */
typedef enum myna_ap {
  MYNA_AP_NONE = 0,
  MYNA_AP_JPKI,  /* D3 92 F0 00 26 01 00 00 00 01 */
  MYNA_AP_TEXT,  /* D3 92 10 00 31 00 01 01 04 08 */
  MYNA_AP_FACE   /* D3 92 10 00 31 00 01 01 04 02 */
} myna_ap;

#define MYNA_NO_EF 0xFFFFu
#define MYNA_MAX_VERIFIED 4

/* A certificate kept for the session (wiped when the session ends). */
typedef struct myna_cached {
  uint8_t *data;
  size_t len;
} myna_cached;

struct myna_card {
  myna_transport transport;
  myna_transport_caps caps;
  bool allow_extended;    /* the caller's choice */
  bool extended_refused;  /* the card answered 6700 to an extended APDU */
  myna_ap ap;             /* selected application, MYNA_AP_NONE if unknown */
  uint16_t ef;            /* selected EF, MYNA_NO_EF if unknown */
  uint16_t verified[MYNA_MAX_VERIFIED]; /* PIN EFs verified in this AP */
  size_t n_verified;
  unsigned long apdus;
  bool must_reset;        /* a PIN was verified since the last reset: the
                             card may hold security state whatever the
                             session believes, so ending needs a reset */
  bool personal;          /* responses carry personal data: traced masked */
  bool no_sign_cert;      /* the card has shown it has no signature side */
  unsigned txn_depth;     /* nesting of myna_card_begin */
  bool txn_lost;          /* the open transaction ended with the card */
  myna_trace_fn trace;
  void *trace_user;
  myna_cached certs[4];   /* by myna_jpki_cert */
  uint8_t *cmd;           /* MYNA_APDU_MAX_COMMAND, wiped after PIN commands */
  uint8_t *rsp;           /* MYNA_APDU_MAX_RESPONSE */
};

/* Every public operation that sends more than one APDU runs as
 *   rv = myna_card_begin(card); if(rv) return rv;
 *   rv = the operation;
 *   return Myna_op_end(card, rv);
 * so that it is one transaction of the transport. */
myna_rv Myna_op_end(myna_card *card, myna_rv rv);

/* Select the AP unless it is the current one. Selecting another AP clears the
 * card's security state, and the session forgets what was verified. A 6A82
 * answer maps to MYNA_E_NOT_MYNUMBER_CARD for the JPKI AP and to
 * MYNA_E_NOT_SUPPORTED for the others. */
myna_rv Myna_select_ap(myna_card *card, myna_ap ap);

/* Select an EF of the current AP (00 A4 02 0C 02 FID) unless it is the
 * current one. */
myna_rv Myna_select_ef(myna_card *card, uint16_t fid);

/* READ BINARY of up to `want` bytes at offset of the selected EF. Uses an
 * extended Le when want > 256 and extended APDUs are in use. *got may be less
 * than want at the end of the file. */
myna_rv Myna_read_binary(myna_card *card, size_t offset, size_t want,
                         uint8_t *out, size_t *got);

/* Select fid and read a whole EF that holds one BER/DER object: size from
 * the header in the first bytes, then the rest (one extended READ BINARY when
 * possible, else 256-byte chunks; an extended read refused with 6700 switches
 * the session to short APDUs for good). *buf is malloc'd; the caller frees it
 * (and wipes it when it holds personal data). */
myna_rv Myna_read_object_ef(myna_card *card, uint16_t fid, uint8_t **buf,
                            size_t *len);

/* Myna_read_object_ef for an EF with personal data (My Number, 基本4情報,
 * the sign certificate, the card face): the responses reach a trace only
 * masked. */
myna_rv Myna_read_personal_ef(myna_card *card, uint16_t fid, uint8_t **buf,
                              size_t *len);

/* Select fid and read exactly n bytes from offset 0 (fixed-size EFs). */
myna_rv Myna_read_fixed_ef(myna_card *card, uint16_t fid, size_t n,
                           uint8_t *out, size_t *got);

/* Tries left for the PIN EF `pin_ef` of the current AP (VERIFY, no data). */
myna_rv Myna_tries_left(myna_card *card, uint16_t pin_ef, int *tries);

/* VERIFY the PIN EF pin_ef of application ap: the rules of kind are checked
 * before anything is sent (not even the SELECT of ap, which would drop what
 * the session has verified), then ap and pin_ef are selected as needed.
 * Nothing is retried. On success the session remembers pin_ef as verified. */
myna_rv Myna_verify(myna_card *card, myna_ap ap, uint16_t pin_ef,
                    myna_pin_kind kind, const myna_secret *pin,
                    int *tries_left);

/* Was pin_ef verified since the current AP was selected? */
bool Myna_is_verified(const myna_card *card, myna_ap ap, uint16_t pin_ef);

/* CHANGE REFERENCE DATA (00 24 01 80) for pin_ef after its VERIFY. */
myna_rv Myna_change_reference_data(myna_card *card, uint16_t pin_ef,
                                   myna_pin_kind kind,
                                   const myna_secret *new_pin);

/* Send a command and map its final status word: MYNA_OK for 9000, else
 * myna_rv_from_sw(sw). resp may be NULL when no data is expected. */
myna_rv Myna_command(myna_card *card, const myna_apdu *cmd, uint8_t *resp,
                     size_t resp_cap, size_t *resp_len, uint16_t *sw);

/* Wipe n bytes so that the compiler keeps the stores. */
void Myna_wipe(void *p, size_t n);

/* Wipe and free a heap buffer of n bytes. */
void Myna_free_wiped(void *p, size_t n);

#endif
