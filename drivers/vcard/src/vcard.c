/* vcard.c - the card side of the APDU exchange: command parsing, the three
 * applications, retry counters, security state and the reader-path quirks.
 *
 * Commands are parsed here, independently of libmynacard's encoder, so that
 * a mistake in one is not mirrored by the other.
 *
 * Choices where the public sources leave the card's answer open:
 * - READ BINARY of a PIN or key EF answers 6981 (not a transparent file);
 *   READ BINARY, VERIFY, CHANGE REFERENCE DATA and the signature with no
 *   suitable EF selected answer 6986 (command not allowed).
 * - A wrong VERIFY also clears that PIN's verified state.
 * - The signature command takes any Le of 256 or the absence of Le; a
 *   shorter Le answers 6700 because the card never returns part of a
 *   signature.
 * - 照合番号A is the My Number: CHANGE REFERENCE DATA on key 0013 is 6986.
 * - A counter or PIN change that cannot be written to the state file
 *   answers 6581 (memory failure), as a card whose EEPROM write failed.
 * - GET RESPONSE with nothing held answers 6985.
 * - T=0 mode: every answer with data, READ BINARY included, is held behind
 *   61xx for GET RESPONSE, which may fetch it in parts. READ BINARY with a
 *   P3 above what the file still holds (P3 = 00 means 256) answers 6Cxx with
 *   that count; a smaller P3 is an ordinary partial read, as on real cards.
 */
#include "vcard_internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#define SW_OK 0x9000u
#define SW_MEMORY_FAILURE 0x6581u
#define SW_WRONG_LENGTH 0x6700u
#define SW_NOT_TRANSPARENT 0x6981u
#define SW_SECURITY 0x6982u
#define SW_BLOCKED 0x6984u
#define SW_CONDITIONS 0x6985u
#define SW_NOT_ALLOWED 0x6986u
#define SW_WRONG_DATA 0x6A80u
#define SW_NOT_FOUND 0x6A82u
#define SW_WRONG_P1P2 0x6A86u
#define SW_OFFSET 0x6B00u
#define SW_INS 0x6D00u
#define SW_CLA 0x6E00u
#define SW_UNKNOWN 0x6F00u
#define SW_TRIES(x) ((uint16_t)(0x63C0u | (unsigned)(x)))
#define SW_MORE(x) ((uint16_t)(0x6100u | ((x) & 0xFFu)))
#define SW_EXACT_LE(x) ((uint16_t)(0x6C00u | ((x) & 0xFFu)))

#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0
#define INS_VERIFY 0x20
#define INS_CHANGE_REFERENCE 0x24
#define INS_SIGN 0x2A
#define INS_GET_RESPONSE 0xC0

/* Largest input of PKCS#1 v1.5 type-1 padding with a 2048-bit key. */
#define SIGN_INPUT_MAX (256 - 11)
#define SIGNATURE_SIZE 256
/* "slow" without a value */
#define DEFAULT_SLOW_MS 50
#define MAX_SLOW_MS 60000

const int Vcard_max_tries[VCARD_PIN_COUNT] = { 3, 5, 3, 10, 10 };

/* T=1 only: TB1 00, TC1 FF, TD1 81 and TD2 31 (T=1; TA3 FE IFSC 254,
 * TB3 45 BWI/CWI), then TCK. */
static const uint8_t card_atr[] = { 0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE,
                                    0x45, 0x14 };
/* The T=0 quirk presents T=0 only, so that PC/SC readers (vpcd under pcscd)
 * negotiate T=0 and the client sees 61xx: TB1 00, TC1 FF and no TD1. A card
 * offering T=0 alone has no TCK. */
static const uint8_t card_atr_t0[] = { 0x3B, 0x60, 0x00, 0xFF };
/* PC/SC part 3, contactless Type B: 3B 88 80 01, then the ATQB's application
 * data (4 bytes) and protocol info (3 bytes) and the MBLI/CID byte, TCK. */
static const uint8_t card_atr_contactless[] = { 0x3B, 0x88, 0x80, 0x01, 0x00,
                                                0x00, 0x00, 0x00, 0x00, 0x81,
                                                0x81, 0x00, 0x09 };

static const struct {
  vcard_ap ap;
  uint8_t aid[10];
} aids[] = {
  { VCARD_AP_JPKI, { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
                     0x01 } },
  { VCARD_AP_TEXT, { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04,
                     0x08 } },
  { VCARD_AP_FACE, { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04,
                     0x02 } },
};

typedef struct command {
  uint8_t cla, ins, p1, p2;
  const uint8_t *data;
  size_t nc;
  size_t ne;  /* 0: no Le field; 256 / 65536 for a zero Le */
  bool extended;
} command;

/* ISO 7816-4 cases 1-4, short and extended. false for any length field that
 * does not agree with the number of bytes received. */
static bool parse_command(const uint8_t *buf, size_t len, command *c)
{
  memset(c, 0, sizeof(*c));
  if(!buf || len < 4)
    return false;
  c->cla = buf[0];
  c->ins = buf[1];
  c->p1 = buf[2];
  c->p2 = buf[3];
  const uint8_t *b = buf + 4;
  size_t rest = len - 4;
  if(rest == 0)
    return true;
  if(rest == 1) {
    c->ne = b[0] ? b[0] : 256;
    return true;
  }
  if(b[0]) {
    size_t lc = b[0];
    if(rest != 1 + lc && rest != 2 + lc)
      return false;
    c->data = b + 1;
    c->nc = lc;
    if(rest == 2 + lc)
      c->ne = b[1 + lc] ? b[1 + lc] : 256;
    return true;
  }
  /* a zero first length byte followed by more bytes: extended form */
  c->extended = true;
  if(rest < 3)
    return false;
  size_t v = (size_t)b[1] << 8 | b[2];
  if(rest == 3) {
    c->ne = v ? v : 65536;
    return true;
  }
  if(v == 0 || (rest != 3 + v && rest != 5 + v))
    return false;
  c->data = b + 3;
  c->nc = v;
  if(rest == 5 + v) {
    size_t le = (size_t)b[3 + v] << 8 | b[4 + v];
    c->ne = le ? le : 65536;
  }
  return true;
}

static bool all_digits(const uint8_t *v, size_t len)
{
  for(size_t i = 0; i < len; i++)
    if(v[i] < '0' || v[i] > '9')
      return false;
  return true;
}

/* Check digit of a My Number: weights 2..7 then 2..6 from the rightmost
 * of the 11 body digits, 11 - (sum mod 11), 0 when the remainder is 0 or 1. */
static bool my_number_ok(const uint8_t *v, size_t len)
{
  if(len != 12 || !all_digits(v, len))
    return false;
  int sum = 0;
  for(int n = 1; n <= 11; n++) {
    int p = v[11 - n] - '0';
    int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  int r = sum % 11;
  int check = r <= 1 ? 0 : 11 - r;
  return v[11] - '0' == check;
}

bool Vcard_pin_rule_ok(vcard_pin_id id, const uint8_t *value, size_t len)
{
  switch(id) {
  case VCARD_PIN_AUTH:
  case VCARD_PIN_TEXT:
    return len == 4 && all_digits(value, len);
  case VCARD_PIN_SIGN:
    if(len < 6 || len > 16)
      return false;
    for(size_t i = 0; i < len; i++)
      if(!((value[i] >= 'A' && value[i] <= 'Z') ||
           (value[i] >= '0' && value[i] <= '9')))
        return false;
    return true;
  case VCARD_PIN_FACE_B:
    return len == 14 && all_digits(value, len);
  case VCARD_PIN_FACE_A:
    return my_number_ok(value, len);
  default:
    return false;
  }
}

static void drop_pending(myna_vcard *card)
{
  OPENSSL_cleanse(card->t0_data, sizeof(card->t0_data));
  card->t0_len = 0;
  card->t0_off = 0;
}

/* What a power cycle or a removal loses. */
static void clear_volatile(myna_vcard *card)
{
  card->ap = VCARD_AP_NONE;
  card->ef = -1;
  memset(card->verified, 0, sizeof(card->verified));
  drop_pending(card);
}

static const vcard_ef *current_ef(const myna_vcard *card)
{
  return card->ef >= 0 ? &card->efs[card->ef] : NULL;
}

static uint16_t cmd_select(myna_vcard *card, const command *c)
{
  if(c->p2 != 0x0C)
    return SW_WRONG_P1P2;
  if(c->p1 == 0x04) {
    if(!c->nc)
      return SW_WRONG_LENGTH;
    for(size_t i = 0; i < G_N_ELEMENTS(aids); i++) {
      if(c->nc != sizeof(aids[i].aid) ||
         memcmp(c->data, aids[i].aid, c->nc) || !card->has_ap[aids[i].ap])
        continue;
      /* every selection of an AP, the current one too, starts afresh */
      card->ap = aids[i].ap;
      card->ef = -1;
      memset(card->verified, 0, sizeof(card->verified));
      return SW_OK;
    }
    return SW_NOT_FOUND;
  }
  if(c->p1 == 0x02) {
    if(c->nc != 2)
      return SW_WRONG_LENGTH;
    if(card->ap == VCARD_AP_NONE)
      return SW_NOT_FOUND;
    uint16_t fid = (uint16_t)(c->data[0] << 8 | c->data[1]);
    for(size_t i = 0; i < card->n_efs; i++) {
      if(card->efs[i].ap == card->ap && card->efs[i].fid == fid) {
        card->ef = (int)i;
        return SW_OK;
      }
    }
    return SW_NOT_FOUND;
  }
  return SW_WRONG_P1P2;
}

static bool may_read(const myna_vcard *card, const vcard_ef *ef)
{
  if(!ef->access)
    return true;
  for(int id = 0; id < VCARD_PIN_COUNT; id++)
    if((ef->access & 1u << id) && card->verified[id])
      return true;
  return false;
}

static uint16_t cmd_read_binary(myna_vcard *card, const command *c,
                                uint8_t *out, size_t cap, size_t *n)
{
  /* P1 bit 8 selects the short EF identifier form, which this card (like
   * every confirmed use of the real one) does not offer */
  if(c->p1 & 0x80)
    return SW_WRONG_P1P2;
  if(c->nc || !c->ne)
    return SW_WRONG_LENGTH;
  const vcard_ef *ef = current_ef(card);
  if(!ef)
    return SW_NOT_ALLOWED;
  if(ef->kind != VCARD_EF_BINARY)
    return SW_NOT_TRANSPARENT;
  if(!may_read(card, ef))
    return SW_SECURITY;
  size_t offset = (size_t)c->p1 << 8 | c->p2;
  if(offset >= ef->len)
    return SW_OFFSET;
  size_t avail = ef->len - offset;
  if(card->quirks & MYNA_VCARD_QUIRK_T0) {
    /* T=0 carries the length in P3 and the card must send exactly that
     * many bytes: asking for more than the file still holds (P3 = 00 is
     * 256) is answered with the count it can give, for the reader to
     * re-send. Asking for fewer is an ordinary partial read. */
    size_t exact = MIN(avail, 256);
    if(c->ne > exact)
      return SW_EXACT_LE(exact);
  }
  size_t take = MIN(MIN(c->ne, avail), cap);
  memcpy(out, ef->data + offset, take);
  *n = take;
  return SW_OK;
}

static uint16_t cmd_verify(myna_vcard *card, const command *c)
{
  if(c->p1 != 0x00 || c->p2 != 0x80)
    return SW_WRONG_P1P2;
  const vcard_ef *ef = current_ef(card);
  if(!ef || ef->kind != VCARD_EF_PIN)
    return SW_NOT_ALLOWED;
  vcard_pin *p = &card->pins[ef->pin];
  /* no data: the counter, whether verified or not, at no cost */
  if(!c->nc)
    return p->tries ? SW_TRIES(p->tries) : SW_BLOCKED;
  if(!p->tries)
    return SW_BLOCKED;
  bool match = c->nc == p->len &&
               CRYPTO_memcmp(c->data, p->value, p->len) == 0;
  int before = p->tries;
  if(match)
    p->tries = Vcard_max_tries[ef->pin];
  else
    p->tries--;
  card->verified[ef->pin] = match;
  if(p->tries != before && !Vcard_save_state(card))
    return SW_MEMORY_FAILURE;
  return match ? SW_OK : SW_TRIES(p->tries);
}

static uint16_t cmd_change_reference(myna_vcard *card, const command *c)
{
  if(c->p1 != 0x01 || c->p2 != 0x80)
    return SW_WRONG_P1P2;
  const vcard_ef *ef = current_ef(card);
  if(!ef || ef->kind != VCARD_EF_PIN || ef->pin == VCARD_PIN_FACE_A)
    return SW_NOT_ALLOWED;
  if(!card->verified[ef->pin])
    return SW_SECURITY;
  if(!c->nc)
    return SW_WRONG_LENGTH;
  if(!Vcard_pin_rule_ok(ef->pin, c->data, c->nc))
    return SW_WRONG_DATA;
  vcard_pin *p = &card->pins[ef->pin];
  OPENSSL_cleanse(p->value, sizeof(p->value));
  memcpy(p->value, c->data, c->nc);
  p->len = c->nc;
  if(!Vcard_save_state(card))
    return SW_MEMORY_FAILURE;
  return SW_OK;
}

static uint16_t cmd_sign(myna_vcard *card, const command *c, uint8_t *out,
                         size_t cap, size_t *n)
{
  if(c->p1 != 0x00 || c->p2 != 0x80)
    return SW_WRONG_P1P2;
  const vcard_ef *ef = current_ef(card);
  if(!ef || ef->kind != VCARD_EF_KEY)
    return SW_NOT_ALLOWED;
  if(!card->verified[ef->pin])
    return SW_SECURITY;
  if(!c->nc || c->nc > SIGN_INPUT_MAX)
    return SW_WRONG_LENGTH;
  /* T=0 never carries Le on a command with data */
  if(!(card->quirks & MYNA_VCARD_QUIRK_T0) && c->ne && c->ne < SIGNATURE_SIZE)
    return SW_WRONG_LENGTH;
  if(cap < SIGNATURE_SIZE)
    return SW_UNKNOWN;

  /* PKCS#1 v1.5 type 1 over the data as given: no digest is set, so the
   * card neither hashes nor checks that the data is a DigestInfo */
  uint16_t sw = SW_UNKNOWN;
  size_t len = SIGNATURE_SIZE;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ef->key, NULL);
  if(ctx && EVP_PKEY_sign_init(ctx) == 1 &&
     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
     EVP_PKEY_sign(ctx, out, &len, c->data, c->nc) == 1 &&
     len == SIGNATURE_SIZE) {
    *n = len;
    sw = SW_OK;
  }
  EVP_PKEY_CTX_free(ctx);
  return sw;
}

static uint16_t cmd_get_response(myna_vcard *card, const command *c,
                                 uint8_t *out, size_t cap, size_t *n)
{
  if(c->p1 || c->p2)
    return SW_WRONG_P1P2;
  if(c->nc || !c->ne)
    return SW_WRONG_LENGTH;
  if(!card->t0_len)
    return SW_CONDITIONS;
  size_t take = MIN(MIN(c->ne, card->t0_len), cap);
  memcpy(out, card->t0_data + card->t0_off, take);
  card->t0_off += take;
  card->t0_len -= take;
  *n = take;
  if(card->t0_len)
    return SW_MORE(card->t0_len);
  drop_pending(card);
  return SW_OK;
}

static uint16_t dispatch(myna_vcard *card, const uint8_t *cmd, size_t len,
                         uint8_t *out, size_t cap, size_t *n)
{
  command c;
  *n = 0;
  bool ok = parse_command(cmd, len, &c);
  /* a response held for GET RESPONSE is lost with any other command */
  if(!ok || c.ins != INS_GET_RESPONSE)
    drop_pending(card);
  if(!ok)
    return SW_WRONG_LENGTH;
  if(c.extended && (card->quirks & (MYNA_VCARD_QUIRK_SHORT_ONLY |
                                    MYNA_VCARD_QUIRK_T0)))
    return SW_WRONG_LENGTH;
  if(c.cla != 0x00 && c.cla != 0x80)
    return SW_CLA;

  uint8_t want_cla = 0x00;
  switch(c.ins) {
  case INS_SELECT:
  case INS_READ_BINARY:
  case INS_VERIFY:
  case INS_CHANGE_REFERENCE:
  case INS_GET_RESPONSE:
    break;
  case INS_SIGN:
    want_cla = 0x80;
    break;
  default:
    return SW_INS;
  }
  if(c.cla != want_cla)
    return SW_CLA;

  uint16_t sw;
  switch(c.ins) {
  case INS_SELECT:
    sw = cmd_select(card, &c);
    break;
  case INS_READ_BINARY:
    sw = cmd_read_binary(card, &c, out, cap, n);
    break;
  case INS_VERIFY:
    sw = cmd_verify(card, &c);
    break;
  case INS_CHANGE_REFERENCE:
    if(card->quirks & MYNA_VCARD_QUIRK_NO_PIN_CHANGE)
      return SW_INS;
    sw = cmd_change_reference(card, &c);
    break;
  case INS_SIGN:
    sw = cmd_sign(card, &c, out, cap, n);
    break;
  default:
    return cmd_get_response(card, &c, out, cap, n);
  }

  if((card->quirks & MYNA_VCARD_QUIRK_T0) && *n && *n <= VCARD_T0_MAX) {
    /* T=0: the data waits on the card and 61xx says how much there is */
    memcpy(card->t0_data, out, *n);
    card->t0_len = *n;
    card->t0_off = 0;
    OPENSSL_cleanse(out, *n);
    sw = SW_MORE(*n);
    *n = 0;
  }
  return sw;
}

static void sleep_ms(unsigned ms)
{
  struct timespec t = { .tv_sec = ms / 1000,
                        .tv_nsec = (long)(ms % 1000) * 1000000L };
  while(nanosleep(&t, &t) == -1 && errno == EINTR)
    ;
}

size_t myna_vcard_process(myna_vcard *card, const uint8_t *cmd, size_t cmd_len,
                          uint8_t *resp, size_t resp_cap)
{
  if(!card || !resp || resp_cap < 2 || !card->present)
    return 0;
  if((card->quirks & MYNA_VCARD_QUIRK_SLOW) && card->slow_ms)
    sleep_ms(card->slow_ms);
  card->apdu_count++;
  size_t n = 0;
  uint16_t sw = dispatch(card, cmd, cmd_len, resp, resp_cap - 2, &n);
  resp[n] = (uint8_t)(sw >> 8);
  resp[n + 1] = (uint8_t)sw;
  if(card->remove_countdown && --card->remove_countdown == 0)
    myna_vcard_set_present(card, false);
  return n + 2;
}

bool myna_vcard_parse_quirks(const char *spec, unsigned *quirks,
                             unsigned *slow_ms)
{
  unsigned q = 0, ms = 0;
  g_auto(GStrv) words = g_strsplit(spec ? spec : "", ",", -1);
  for(char **w = words; *w; w++) {
    char *word = g_strstrip(*w);
    if(!*word)
      continue;
    if(!strcmp(word, "short-only"))
      q |= MYNA_VCARD_QUIRK_SHORT_ONLY;
    else if(!strcmp(word, "t0"))
      q |= MYNA_VCARD_QUIRK_T0;
    else if(!strcmp(word, "contactless"))
      q |= MYNA_VCARD_QUIRK_CONTACTLESS;
    else if(!strcmp(word, "no-pin-change"))
      q |= MYNA_VCARD_QUIRK_NO_PIN_CHANGE;
    else if(!strcmp(word, "slow")) {
      q |= MYNA_VCARD_QUIRK_SLOW;
      ms = DEFAULT_SLOW_MS;
    }
    else if(!strncmp(word, "slow=", 5)) {
      guint64 v = 0;
      if(!g_ascii_string_to_unsigned(word + 5, 10, 0, MAX_SLOW_MS, &v, NULL))
        return false;
      q |= MYNA_VCARD_QUIRK_SLOW;
      ms = (unsigned)v;
    }
    else
      return false;
  }
  if(quirks)
    *quirks = q;
  if(slow_ms)
    *slow_ms = ms;
  return true;
}

void myna_vcard_set_quirks(myna_vcard *card, unsigned quirks, unsigned slow_ms)
{
  if(!card)
    return;
  card->quirks = quirks;
  card->slow_ms = slow_ms;
  drop_pending(card);
}

void myna_vcard_reset(myna_vcard *card)
{
  if(card)
    clear_volatile(card);
}

void myna_vcard_remove_after(myna_vcard *card, unsigned long n)
{
  if(card)
    card->remove_countdown = n;
}

void myna_vcard_set_present(myna_vcard *card, bool present)
{
  if(!card || card->present == present)
    return;
  /* removal and re-insertion both lose power: nothing verified survives.
   * A removal by hand replaces a scheduled one; a removal scheduled while
   * the card was out counts from its re-insertion. */
  card->present = present;
  if(!present)
    card->remove_countdown = 0;
  clear_volatile(card);
}

bool myna_vcard_is_present(const myna_vcard *card)
{
  return card && card->present;
}

const uint8_t *myna_vcard_atr(const myna_vcard *card, size_t *len)
{
  unsigned q = card ? card->quirks : 0;
  if(q & MYNA_VCARD_QUIRK_T0) {
    if(len)
      *len = sizeof(card_atr_t0);
    return card_atr_t0;
  }
  if(q & MYNA_VCARD_QUIRK_CONTACTLESS) {
    if(len)
      *len = sizeof(card_atr_contactless);
    return card_atr_contactless;
  }
  if(len)
    *len = sizeof(card_atr);
  return card_atr;
}

unsigned long myna_vcard_apdu_count(const myna_vcard *card)
{
  return card ? card->apdu_count : 0;
}

int myna_vcard_tries(const myna_vcard *card, const char *which)
{
  static const char *const names[VCARD_PIN_COUNT] = {
    "auth", "sign", "text", "face-b", "face-a"
  };
  if(!card || !which)
    return -1;
  for(int id = 0; id < VCARD_PIN_COUNT; id++)
    if(!strcmp(which, names[id]))
      return card->pins[id].present ? card->pins[id].tries : -1;
  return -1;
}
