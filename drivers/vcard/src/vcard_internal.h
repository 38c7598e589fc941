/* vcard_internal.h - what the modules of the software card share: the card
 * object, its files and its reference data (PINs). Not installed. */
#ifndef MYNAVCARD_VCARD_INTERNAL_H
#define MYNAVCARD_VCARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mynavcard/vcard.h"

/* Longest reference data the card stores: the sign password (16). */
#define VCARD_PIN_MAX 16
/* Files the card holds across its three applications. */
#define VCARD_MAX_EFS 16
/* Largest EF: its content fits a 16-bit offset table and an 82 HH LL length. */
#define VCARD_EF_MAX 65535u
/* Response data held for GET RESPONSE in T=0 mode: extended APDUs are
 * refused there, so no answer is longer than a short Le. */
#define VCARD_T0_MAX 256

typedef enum vcard_ap {
  VCARD_AP_NONE = 0,
  VCARD_AP_JPKI,  /* D3 92 F0 00 26 01 00 00 00 01 */
  VCARD_AP_TEXT,  /* D3 92 10 00 31 00 01 01 04 08 */
  VCARD_AP_FACE,  /* D3 92 10 00 31 00 01 01 04 02 */
  VCARD_AP_COUNT
} vcard_ap;

/* The card's reference data, each behind a PIN EF of one AP. */
typedef enum vcard_pin_id {
  VCARD_PIN_AUTH,    /* JPKI EF 0018: 4 digits, 3 tries */
  VCARD_PIN_SIGN,    /* JPKI EF 001B: 6-16 of A-Z 0-9, 5 tries */
  VCARD_PIN_TEXT,    /* text AP EF 0011: 4 digits, 3 tries */
  VCARD_PIN_FACE_B,  /* face AP EF 0012: 照合番号B, 14 digits, 10 tries */
  VCARD_PIN_FACE_A,  /* face AP EF 0013: 照合番号A = the My Number, 10 tries */
  VCARD_PIN_COUNT
} vcard_pin_id;

typedef struct vcard_pin {
  bool present;
  int tries;
  size_t len;
  uint8_t value[VCARD_PIN_MAX];
} vcard_pin;

typedef enum vcard_ef_kind {
  VCARD_EF_BINARY,  /* transparent EF, READ BINARY */
  VCARD_EF_PIN,     /* reference data: VERIFY, CHANGE REFERENCE DATA */
  VCARD_EF_KEY      /* private key: COMPUTE DIGITAL SIGNATURE */
} vcard_ef_kind;

typedef struct vcard_ef {
  vcard_ap ap;
  uint16_t fid;
  vcard_ef_kind kind;
  /* BINARY: content, and a bit mask of the pins (1u << vcard_pin_id) any one
   * of which opens it; 0 means free to read. */
  uint8_t *data;
  size_t len;
  unsigned access;
  /* PIN: the reference data it holds; KEY: the PIN that unlocks the key. */
  vcard_pin_id pin;
  EVP_PKEY *key;  /* KEY only, owned */
} vcard_ef;

struct myna_vcard {
  char *folder_name;  /* last component of the profile folder */
  char *state_path;   /* NULL: counters live in memory only */
  bool has_ap[VCARD_AP_COUNT];
  vcard_ef efs[VCARD_MAX_EFS];
  size_t n_efs;
  vcard_pin pins[VCARD_PIN_COUNT];

  unsigned quirks;
  unsigned slow_ms;
  bool present;
  unsigned long remove_countdown;  /* 0: no removal scheduled */
  unsigned long apdu_count;

  /* Volatile state, lost on power cycle and removal. */
  vcard_ap ap;
  int ef;  /* index into efs, -1 when none is selected */
  bool verified[VCARD_PIN_COUNT];
  uint8_t t0_data[VCARD_T0_MAX];
  size_t t0_len;  /* bytes still waiting for GET RESPONSE */
  size_t t0_off;
};

/* Tries of each counter when it is full. */
extern const int Vcard_max_tries[VCARD_PIN_COUNT];

/* Does value follow the format rule of reference data `id`? */
bool Vcard_pin_rule_ok(vcard_pin_id id, const uint8_t *value, size_t len);

/* Write counters and reference data to the state file, atomically. true when
 * there is no state file or the write succeeded. */
bool Vcard_save_state(const myna_vcard *card);

/* Add an empty EF of the current profile. NULL when the table is full. */
vcard_ef *Vcard_add_ef(myna_vcard *card, vcard_ap ap, uint16_t fid,
                       vcard_ef_kind kind);

/* Build the content of the generated EFs (files.c). Each returns false and
 * writes err when the data cannot be built. */
bool Vcard_build_token_info(const char *label, uint8_t **out, size_t *len,
                            char *err, size_t err_len);
void Vcard_build_availability(bool sign_present, uint8_t out[3]);
void Vcard_build_my_number(const char *my_number, uint8_t **out, size_t *len);

typedef struct vcard_text_info {
  const char *name;
  const char *address;
  const char *birth;  /* YYYYMMDD */
  const char *sex;    /* one ASCII digit */
} vcard_text_info;

bool Vcard_build_basic_info(const vcard_text_info *info, uint8_t **out,
                            size_t *len, char *err, size_t err_len);

/* Items of the card surface EF; a NULL pointer leaves the item out. */
typedef struct vcard_face_info {
  const char *birth;   /* DF22 */
  const char *sex;     /* DF23 */
  EVP_PKEY *auth_key;  /* DF24 (its public key) and the DF28 signer */
  const uint8_t *name_image;    size_t name_image_len;     /* DF25 */
  const uint8_t *address_image; size_t address_image_len;  /* DF26 */
  const uint8_t *photo;         size_t photo_len;          /* DF27 */
  const char *expiry;  /* DF29 */
  const uint8_t *code_image;    size_t code_image_len;     /* DF2A */
} vcard_face_info;

bool Vcard_build_face(const vcard_face_info *info, uint8_t **out, size_t *len,
                      char *err, size_t err_len);

/* Wipe and free a buffer of n bytes. */
void Vcard_free_wiped(void *p, size_t n);

#endif
