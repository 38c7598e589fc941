/* mynacard/error.h - the one error type of libmynacard.
 *
 * Every fallible function of the library returns a myna_rv. Callers write
 *   if(rv) return rv;
 * Each code has a message in Japanese and in English that tells the person at
 * the counter what to do next (myna_strerror_ja / myna_strerror).
 */
#ifndef MYNACARD_ERROR_H
#define MYNACARD_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum myna_rv {
  MYNA_OK = 0,
  MYNA_E_INVALID_ARGUMENT,   /* a caller passed something the API does not take */
  MYNA_E_NO_MEMORY,
  MYNA_E_NO_CARD,            /* no card on the reader */
  MYNA_E_CARD_REMOVED,       /* the card went away during or between operations */
  MYNA_E_IO,                 /* the transport failed: reader unplugged, service gone */
  MYNA_E_TIMEOUT,            /* the card did not answer in time */
  MYNA_E_MALFORMED_RESPONSE, /* the card's answer is too short, too long or inconsistent */
  MYNA_E_NOT_MYNUMBER_CARD,  /* the JPKI application is not on this card */
  MYNA_E_PIN_FORMAT,         /* refused locally before any APDU: wrong length or characters */
  MYNA_E_WRONG_PIN,          /* 63Cx with x > 0: wrong PIN, x tries left */
  MYNA_E_PIN_BLOCKED,        /* 63C0, 6983, 6984: the PIN is blocked */
  MYNA_E_SECURITY_STATUS,    /* 6982: the PIN has not been verified */
  MYNA_E_FILE_NOT_FOUND,     /* 6A82 */
  MYNA_E_WRONG_LENGTH,       /* 6700 */
  MYNA_E_WRONG_P1P2,         /* 6A86 */
  MYNA_E_OFFSET_BEYOND_END,  /* 6B00 */
  MYNA_E_INS_NOT_SUPPORTED,  /* 6D00 */
  MYNA_E_CLA_NOT_SUPPORTED,  /* 6E00 */
  MYNA_E_CONDITIONS,         /* 6985: conditions of use not satisfied */
  MYNA_E_CARD_ERROR,         /* any other status word */
  MYNA_E_NOT_SUPPORTED,      /* this card or this reader path cannot do it */
  MYNA_E_NO_SIGN_CERTIFICATE,/* the card has no signature certificate (holder under 15) */
  MYNA_E_BAD_DATA,           /* a file on the card does not have the expected format */
  MYNA_E_BUFFER_TOO_SMALL,
  MYNA_E_CANCELLED,
  MYNA_E_DECODE,             /* an image or certificate could not be decoded */
  MYNA_E_NO_READER,          /* no reader connected, or none matches the name asked for */
  MYNA_E_READER_AMBIGUOUS,   /* the name asked for matches more than one reader */
  MYNA_E_READER_REMOVED,     /* the reader was unplugged during or between operations */
  MYNA_E_NO_SERVICE,         /* the smart card service (pcscd) is not running */
  MYNA_E_CARD_RESET,         /* another program reset the card: verified PINs are gone */
  MYNA_E_READER_BUSY,        /* another program holds the card exclusively */
  MYNA_E_COUNT               /* number of codes; not an error */
} myna_rv;

/* English message for rv, never NULL. */
const char *myna_strerror(myna_rv rv);

/* Japanese message for rv, never NULL (UTF-8). */
const char *myna_strerror_ja(myna_rv rv);

/* Short stable identifier, e.g. "wrong-pin", for JSON output and logs. */
const char *myna_rv_name(myna_rv rv);

/* Map an ISO 7816 status word that is not 9000 to the library's error.
 * 9000 maps to MYNA_OK. */
myna_rv myna_rv_from_sw(uint16_t sw);

#ifdef __cplusplus
}
#endif
#endif
