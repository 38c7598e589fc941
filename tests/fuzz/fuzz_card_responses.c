/* fuzz_card_responses.c - the whole library against a hostile card.
 *
 * A replay transport (in the spirit of OpenSC's fuzzing reader) answers each
 * command APDU the library sends with the next chunk of the input, so that
 * every response the library ever parses - status words, 61xx/6Cxx chains,
 * certificate headers, PIN counters, signatures, 基本4情報, the card face -
 * comes from the fuzzer, deterministically. The library runs its ordinary
 * flows in one session: JPKI token label and availability, the four
 * certificates (the sign one after its password), PIN counters, VERIFY,
 * signatures, PIN change, the text AP (My Number, 基本4情報), the card face
 * (unlock with 照合番号B and A, read), a reset, and the end of the session.
 *
 * Input:
 *   byte 0       mode: bit 0 the transport carries extended APDUs,
 *                bit 1 the caller forbids them (myna_card_allow_extended),
 *                bit 2 a trace callback is installed,
 *                bit 3 the transport reports no caps (get_caps absent)
 *   then chunks  2-byte big-endian length + that many bytes: the response
 *                (data + SW1 SW2) to the next command. Lengths from 0xFFF0
 *                up are transport failures and take no bytes:
 *                FFFF card removed, FFFE no card, FFFD timeout, FFFC I/O,
 *                FFFB buffer too small, other: I/O.
 *   When the input is exhausted every further command fails with MYNA_E_IO.
 *
 * Besides memory safety (ASan, UBSan, LeakSanitizer) the target checks what
 * the library promises: every command it sends is a well-formed APDU that
 * fits the transport, a PIN never reaches a trace unmasked, and what it
 * returns has the documented shape.
 *
 * Set MYNA_FUZZ_VERBOSE=1 to print each command and the answer it got
 * (useful when writing seeds by hand).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mynacard/mynacard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

enum {
  MODE_EXTENDED = 1u << 0,
  MODE_FORBID_EXTENDED = 1u << 1,
  MODE_TRACE = 1u << 2,
  MODE_NO_CAPS = 1u << 3
};

#define CODE_SPECIAL 0xFFF0u

typedef struct replay {
  fuzz_chunks in;
  unsigned mode;
  size_t max_command;
  unsigned long commands;
  uint8_t last_ins;  /* INS of the last command sent */
  bool destroyed;
} replay;

static bool verbose;
static replay *current;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  const char *v = getenv("MYNA_FUZZ_VERBOSE");
  verbose = v && *v && strcmp(v, "0") != 0;
  return 0;
}

static void dump(const char *what, const uint8_t *p, size_t n)
{
  fprintf(stderr, "%s", what);
  for(size_t i = 0; i < n && i < 40; i++)
    fprintf(stderr, " %02X", p[i]);
  if(n > 40)
    fprintf(stderr, " ... (%zu bytes)", n);
  fprintf(stderr, "\n");
}

static myna_rv replay_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                               uint8_t *resp, size_t resp_cap,
                               size_t *resp_len)
{
  replay *r = ctx;
  FUZZ_CHECK(!r->destroyed);
  FUZZ_CHECK(cmd && resp && resp_len);
  /* What the library sends is a well-formed command that fits the path. */
  myna_apdu a;
  bool ext = false;
  FUZZ_CHECK(myna_apdu_decode(cmd, cmd_len, &a, &ext) == MYNA_OK);
  FUZZ_CHECK(cmd_len <= r->max_command);
  if(ext)
    FUZZ_CHECK((r->mode & MODE_EXTENDED) && !(r->mode & MODE_FORBID_EXTENDED) &&
               !(r->mode & MODE_NO_CAPS));
  fuzz_touch(cmd, cmd_len);
  r->commands++;
  r->last_ins = a.ins;
  if(verbose)
    dump("> ", cmd, cmd_len);

  const uint8_t *chunk;
  size_t len;
  unsigned code;
  if(!fuzz_next_chunk(&r->in, &chunk, &len, &code, CODE_SPECIAL)) {
    if(verbose)
      fprintf(stderr, "< (end of input: I/O error)\n");
    return MYNA_E_IO;
  }
  if(code >= CODE_SPECIAL) {
    if(verbose)
      fprintf(stderr, "< (transport failure %04X)\n", code);
    switch(code) {
    case 0xFFFF:
      return MYNA_E_CARD_REMOVED;
    case 0xFFFE:
      return MYNA_E_NO_CARD;
    case 0xFFFD:
      return MYNA_E_TIMEOUT;
    case 0xFFFB:
      return MYNA_E_BUFFER_TOO_SMALL;
    default:
      return MYNA_E_IO;
    }
  }
  if(verbose)
    dump("< ", chunk, len);
  if(len > resp_cap)
    return MYNA_E_BUFFER_TOO_SMALL;
  if(len)
    memcpy(resp, chunk, len);
  *resp_len = len;
  return MYNA_OK;
}

static myna_rv replay_get_caps(void *ctx, myna_transport_caps *caps)
{
  replay *r = ctx;
  bool ext = r->mode & MODE_EXTENDED;
  caps->extended_apdu = ext;
  caps->max_command = r->max_command;
  caps->max_response = ext ? 65536 : 256;
  return MYNA_OK;
}

static myna_rv replay_reset(void *ctx)
{
  (void)ctx;
  return MYNA_OK;
}

static myna_rv replay_is_present(void *ctx, bool *present)
{
  (void)ctx;
  *present = true;
  return MYNA_OK;
}

static const char *replay_name(void *ctx)
{
  (void)ctx;
  return "fuzz replay";
}

static void replay_destroy(void *ctx)
{
  replay *r = ctx;
  r->destroyed = true;
}

static const myna_transport_ops replay_ops = {
  .transmit = replay_transmit,
  .get_caps = replay_get_caps,
  .reset = replay_reset,
  .is_present = replay_is_present,
  .name = replay_name,
  .destroy = replay_destroy,
};

static const myna_transport_ops replay_ops_no_caps = {
  .transmit = replay_transmit,
  .reset = replay_reset,
  .is_present = replay_is_present,
  .name = replay_name,
  .destroy = replay_destroy,
};

/* A command that carries reference data (VERIFY, CHANGE REFERENCE DATA)
 * reaches the trace with its data masked. */
static void trace(void *user, bool is_command, const uint8_t *bytes,
                  size_t len)
{
  (void)user;
  fuzz_touch(bytes, len);
  if(!is_command)
    return;
  myna_apdu a;
  if(myna_apdu_decode(bytes, len, &a, NULL) != MYNA_OK)
    return;
  if((a.ins == 0x20 || a.ins == 0x24) && a.lc)
    for(size_t i = 0; i < a.lc; i++)
      FUZZ_CHECK(a.data[i] == '*');
}

static myna_secret *secret(const char *s)
{
  myna_secret *p = myna_secret_from_bytes(s, strlen(s));
  FUZZ_CHECK(p != NULL);
  return p;
}

static void check_rv(const char *what, myna_rv rv)
{
  FUZZ_CHECK((unsigned)rv < MYNA_E_COUNT);
  FUZZ_CHECK(myna_strerror(rv) && myna_strerror_ja(rv) && myna_rv_name(rv));
  if(verbose)
    fprintf(stderr, "= %s: %s\n", what, myna_rv_name(rv));
}

static void read_cert(myna_card *card, myna_jpki_cert which)
{
  const uint8_t *der = NULL;
  size_t len = 0;
  myna_rv rv = myna_jpki_read_certificate(card, which, &der, &len);
  check_rv("read certificate", rv);
  if(rv)
    return;
  FUZZ_CHECK(der && len >= 4 && len <= 65535 && der[0] == 0x30);
  size_t total = 0;
  FUZZ_CHECK(myna_der_object_size(der, len, &total) == MYNA_OK);
  FUZZ_CHECK(total == len);
  fuzz_touch(der, len);
  /* a second read comes from the session, without an APDU */
  unsigned long before = myna_card_apdu_count(card);
  const uint8_t *again = NULL;
  size_t again_len = 0;
  FUZZ_CHECK(myna_jpki_read_certificate(card, which, &again, &again_len) ==
             MYNA_OK);
  FUZZ_CHECK(again == der && again_len == len);
  FUZZ_CHECK(myna_card_apdu_count(card) == before);
}

static void sign(myna_card *card, myna_jpki_key key, myna_hash_alg alg)
{
  uint8_t hash[64];
  memset(hash, 0xA5, sizeof(hash));
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  myna_rv rv = myna_jpki_sign_hash(card, key, alg, hash,
                                   myna_hash_alg_size(alg), sig, sizeof(sig),
                                   &sig_len);
  check_rv("sign", rv);
  if(rv == MYNA_OK) {
    FUZZ_CHECK(sig_len == MYNA_JPKI_SIGNATURE_SIZE);
    fuzz_touch(sig, sig_len);
  }
}

static void tries(myna_rv rv, int n, int max)
{
  check_rv("tries left", rv);
  if(rv == MYNA_OK)
    FUZZ_CHECK(n >= 0 && n <= 15 && max > 0);
}

/* VERIFY's promise: on MYNA_E_WRONG_PIN *tries_left holds the tries left
 * (1..15, from 63Cx), on MYNA_E_PIN_BLOCKED it is 0, whichever command the
 * card chose to answer with a PIN status (a PIN status to anything but
 * VERIFY is a card error: crashes-found/verify-tries-left-unset). */
static void pin_result(const char *what, myna_rv rv, int left)
{
  check_rv(what, rv);
  if(rv == MYNA_E_WRONG_PIN)
    FUZZ_CHECK(left >= 1 && left <= 15);
  if(rv == MYNA_E_PIN_BLOCKED)
    FUZZ_CHECK(left == 0);
}

static void jpki_flows(myna_card *card)
{
  char label[33];
  memset(label, 'x', sizeof(label));
  myna_rv rv = myna_jpki_token_label(card, label);
  check_rv("token label", rv);
  if(rv == MYNA_OK) {
    size_t n = strnlen(label, sizeof(label));
    FUZZ_CHECK(n < sizeof(label));
    for(size_t i = 0; i < n; i++)
      FUZZ_CHECK(label[i] >= 0x20 && label[i] <= 0x7E);
  }
  bool auth = false, sgn = false;
  check_rv("availability", myna_jpki_cert_availability(card, &auth, &sgn));

  read_cert(card, MYNA_JPKI_CERT_AUTH);
  read_cert(card, MYNA_JPKI_CERT_AUTH_CA);
  read_cert(card, MYNA_JPKI_CERT_SIGN_CA);
  /* without the password: refused by the session, nothing sent */
  unsigned long before = myna_card_apdu_count(card);
  const uint8_t *der = NULL;
  size_t der_len = 0;
  rv = myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der, &der_len);
  FUZZ_CHECK(rv == MYNA_E_SECURITY_STATUS || rv == MYNA_E_NO_SIGN_CERTIFICATE);
  FUZZ_CHECK(myna_card_apdu_count(card) == before);

  int n = -1;
  rv = myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &n);
  tries(rv, n, 3);
  n = -1;
  rv = myna_jpki_tries_left(card, MYNA_JPKI_KEY_SIGN, &n);
  tries(rv, n, 5);

  myna_secret *pin = secret("1234");
  int left = -1;
  rv = myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, &left);
  pin_result("verify auth", rv, left);
  if(rv == MYNA_OK)
    FUZZ_CHECK(myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  sign(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256);
  myna_secret_free(pin);

  myna_secret *password = secret("sign2026"); /* uppercased by the library */
  left = -1;
  rv = myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, password, &left);
  pin_result("verify sign", rv, left);
  myna_secret_free(password);
  read_cert(card, MYNA_JPKI_CERT_SIGN);
  sign(card, MYNA_JPKI_KEY_SIGN, MYNA_HASH_SHA1);
  sign(card, MYNA_JPKI_KEY_SIGN, MYNA_HASH_SHA512);

  myna_secret *new_pin = secret("4321");
  check_rv("change auth pin",
           myna_jpki_change_pin(card, MYNA_JPKI_KEY_AUTH, new_pin));
  myna_secret_free(new_pin);
}

static void text_flows(myna_card *card)
{
  int n = -1;
  myna_rv rv = myna_text_ap_tries_left(card, &n);
  tries(rv, n, 3);
  myna_secret *pin = secret("1234");
  int left = -1;
  rv = myna_text_ap_verify(card, pin, &left);
  pin_result("verify text", rv, left);
  myna_secret_free(pin);

  myna_secret *num = NULL;
  rv = myna_text_ap_read_my_number(card, &num);
  check_rv("my number", rv);
  if(rv == MYNA_OK)
    FUZZ_CHECK(num && myna_secret_len(num) == 12);
  else
    FUZZ_CHECK(num == NULL);
  myna_secret_free(num);

  myna_basic_info *info = NULL;
  rv = myna_text_ap_read_basic_info(card, &info);
  check_rv("basic info", rv);
  if(rv == MYNA_OK) {
    FUZZ_CHECK(info && info->name && info->address);
    fuzz_touch(info->name, strlen(info->name));
    fuzz_touch(info->address, strlen(info->address));
    FUZZ_CHECK(strlen(info->birth) == 8);
  }
  else
    FUZZ_CHECK(info == NULL);
  myna_basic_info_free(info);
}

static void face_read(myna_card *card)
{
  myna_face_data *d = NULL;
  myna_rv rv = myna_face_ap_read(card, &d);
  check_rv("face read", rv);
  if(rv == MYNA_OK) {
    FUZZ_CHECK(d && d->photo && d->photo_len);
    fuzz_touch(d->photo, d->photo_len);
    fuzz_touch(d->birth, d->birth_len);
    fuzz_touch(d->signature, d->signature_len);
    fuzz_touch(d->code_image, d->code_image_len);
  }
  else
    FUZZ_CHECK(d == NULL);
  myna_face_data_free(d);
}

static void face_flows(myna_card *card)
{
  int n = -1;
  myna_rv rv = myna_face_ap_tries_left(card, MYNA_FACE_KEY_B, &n);
  tries(rv, n, 10);
  myna_secret *b = secret("55021720352285");
  int left = -1;
  rv = myna_face_ap_unlock(card, MYNA_FACE_KEY_B, b, &left);
  pin_result("unlock B", rv, left);
  myna_secret_free(b);
  face_read(card);

  myna_secret *a = secret("403782176940");
  left = -1;
  rv = myna_face_ap_unlock(card, MYNA_FACE_KEY_A, a, &left);
  pin_result("unlock A", rv, left);
  myna_secret_free(a);
  face_read(card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1)
    return 0;
  replay *r = calloc(1, sizeof(*r));
  FUZZ_CHECK(r != NULL);
  r->mode = data[0];
  r->in = (fuzz_chunks){ data + 1, size - 1, 0 };
  current = r;
  bool caps = !(r->mode & MODE_NO_CAPS);
  /* without caps the library assumes a short-only path of 261 bytes */
  r->max_command = caps && (r->mode & MODE_EXTENDED) ? MYNA_APDU_MAX_COMMAND
                                                     : 261;
  myna_transport t = { caps ? &replay_ops : &replay_ops_no_caps, r };
  myna_card *card = NULL;
  myna_rv rv = myna_card_open(t, &card);
  FUZZ_CHECK(rv == MYNA_OK && card);
  if(r->mode & MODE_FORBID_EXTENDED)
    myna_card_allow_extended(card, false);
  if(r->mode & MODE_TRACE)
    myna_card_set_trace(card, trace, NULL);
  FUZZ_CHECK(strcmp(myna_card_reader_name(card), "fuzz replay") == 0);

  jpki_flows(card);
  text_flows(card);
  face_flows(card);

  /* after a reset nothing of the session is trusted: the certificate is
   * read from the card again */
  check_rv("reset", myna_card_reset(card));
  FUZZ_CHECK(!myna_jpki_is_verified(card, MYNA_JPKI_KEY_AUTH));
  read_cert(card, MYNA_JPKI_CERT_AUTH);

  myna_card_free(card);
  FUZZ_CHECK(r->destroyed);
  if(verbose)
    fprintf(stderr, "= %lu commands, %zu input bytes left over\n",
            r->commands, r->in.n - r->in.pos);
  free(r);
  return 0;
}
