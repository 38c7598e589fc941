/* card.c - the card session: owns the transport, handles 61xx and 6Cxx for
 * every command, and remembers what is selected and verified so that no APDU
 * is sent twice without need. */
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

static const uint8_t aid_jpki[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26,
                                    0x01, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t aid_text[] = { 0xD3, 0x92, 0x10, 0x00, 0x31,
                                    0x00, 0x01, 0x01, 0x04, 0x08 };
static const uint8_t aid_face[] = { 0xD3, 0x92, 0x10, 0x00, 0x31,
                                    0x00, 0x01, 0x01, 0x04, 0x02 };

/* Bounds on what a hostile or broken card can make us do. */
#define MAX_GET_RESPONSE_ROUNDS 300
#define MAX_OBJECT_SIZE 65535

static void forget_selection(myna_card *card)
{
  card->ap = MYNA_AP_NONE;
  card->ef = MYNA_NO_EF;
  card->n_verified = 0;
}

static void drop_cache(myna_card *card)
{
  card->no_sign_cert = false;
  for(size_t i = 0; i < sizeof(card->certs) / sizeof(card->certs[0]); i++) {
    Myna_free_wiped(card->certs[i].data, card->certs[i].len);
    card->certs[i].data = NULL;
    card->certs[i].len = 0;
  }
}

myna_rv myna_card_open(myna_transport t, myna_card **out)
{
  if(!out || !t.ops || !t.ops->transmit) {
    if(t.ops && t.ops->destroy)
      t.ops->destroy(t.ctx);
    return MYNA_E_INVALID_ARGUMENT;
  }
  *out = NULL;
  myna_card *card = calloc(1, sizeof(*card));
  if(!card) {
    if(t.ops->destroy)
      t.ops->destroy(t.ctx);
    return MYNA_E_NO_MEMORY;
  }
  card->transport = t;
  card->allow_extended = true;
  forget_selection(card);
  card->cmd = malloc(MYNA_APDU_MAX_COMMAND);
  card->rsp = malloc(MYNA_APDU_MAX_RESPONSE);
  myna_rv rv = MYNA_E_NO_MEMORY;
  if(!card->cmd || !card->rsp)
    goto fail;
  /* Without caps the safe assumption is the short form everywhere. */
  card->caps = (myna_transport_caps){ false, 261, 256 };
  if(t.ops->get_caps) {
    rv = t.ops->get_caps(t.ctx, &card->caps);
    if(rv)
      goto fail;
  }
  *out = card;
  return MYNA_OK;

fail:
  myna_card_free(card);
  return rv;
}

void myna_card_free(myna_card *card)
{
  if(!card)
    return;
  if(card->txn_depth) {
    card->txn_depth = 1;
    myna_card_end(card);
  }
  /* End with a reset so that no verified state survives this session. */
  if(card->must_reset && card->transport.ops->reset)
    (void)card->transport.ops->reset(card->transport.ctx);
  drop_cache(card);
  if(card->transport.ops->destroy)
    card->transport.ops->destroy(card->transport.ctx);
  Myna_free_wiped(card->cmd, card->cmd ? MYNA_APDU_MAX_COMMAND : 0);
  Myna_free_wiped(card->rsp, card->rsp ? MYNA_APDU_MAX_RESPONSE : 0);
  free(card);
}

void myna_card_set_trace(myna_card *card, myna_trace_fn fn, void *user)
{
  card->trace = fn;
  card->trace_user = user;
}

void myna_card_allow_extended(myna_card *card, bool allow)
{
  card->allow_extended = allow;
}

bool myna_card_uses_extended(const myna_card *card)
{
  return card->allow_extended && card->caps.extended_apdu &&
         !card->extended_refused;
}

unsigned long myna_card_apdu_count(const myna_card *card)
{
  return card->apdus;
}

const char *myna_card_reader_name(const myna_card *card)
{
  if(card->transport.ops->name)
    return card->transport.ops->name(card->transport.ctx);
  return "";
}

myna_rv myna_card_reset(myna_card *card)
{
  forget_selection(card);
  drop_cache(card);
  card->must_reset = false;
  if(!card->transport.ops->reset)
    return MYNA_OK;
  return card->transport.ops->reset(card->transport.ctx);
}

myna_rv myna_card_is_present(myna_card *card, bool *present)
{
  if(!card->transport.ops->is_present)
    return MYNA_E_NOT_SUPPORTED;
  return card->transport.ops->is_present(card->transport.ctx, present);
}

/* What a transport error means for what the session remembers. */
static myna_rv transport_failed(myna_card *card, myna_rv rv)
{
  switch(rv) {
  case MYNA_E_CARD_REMOVED:
  case MYNA_E_NO_CARD:
  case MYNA_E_READER_REMOVED:
  case MYNA_E_NO_SERVICE:
    /* Another card may come back: nothing of this one may be trusted. */
    forget_selection(card);
    drop_cache(card);
    card->txn_lost = card->txn_depth > 0;
    break;
  case MYNA_E_CARD_RESET:
    /* The same card, reset by another program: selection and verified PINs
     * are gone, its certificates are still its own. */
    forget_selection(card);
    card->must_reset = false;
    card->txn_lost = card->txn_depth > 0;
    break;
  default:
    break;
  }
  return rv;
}

myna_rv myna_card_begin(myna_card *card)
{
  if(!card)
    return MYNA_E_INVALID_ARGUMENT;
  if(card->txn_depth++ > 0 || !card->transport.ops->begin)
    return MYNA_OK;
  card->txn_lost = false;
  myna_rv rv = card->transport.ops->begin(card->transport.ctx);
  if(rv) {
    card->txn_depth = 0;
    return transport_failed(card, rv);
  }
  return MYNA_OK;
}

void myna_card_end(myna_card *card)
{
  if(card->txn_depth == 0 || --card->txn_depth > 0)
    return;
  /* A transaction the card's loss or reset already ended is not ended again. */
  if(card->transport.ops->end && !card->txn_lost)
    (void)card->transport.ops->end(card->transport.ctx);
  card->txn_lost = false;
}

myna_rv Myna_op_end(myna_card *card, myna_rv rv)
{
  myna_card_end(card);
  return rv;
}

static void trace_command(myna_card *card, const myna_apdu *a,
                          const uint8_t *bytes, size_t len)
{
  if(!card->trace)
    return;
  if(!a->sensitive || !a->lc) {
    card->trace(card->trace_user, true, bytes, len);
    return;
  }
  uint8_t masked[4 + 3 + MYNA_SECRET_MAX + 3];
  if(len > sizeof(masked))
    len = sizeof(masked);
  memcpy(masked, bytes, len);
  size_t data_at = len - a->lc - (a->ne ? 1 : 0);
  for(size_t i = data_at; i < data_at + a->lc && i < len; i++)
    masked[i] = '*';
  card->trace(card->trace_user, true, masked, len);
  Myna_wipe(masked, sizeof(masked));
}

/* Responses with personal data are traced as '*' bytes and the SW. */
static void trace_response(myna_card *card, size_t rlen)
{
  if(!card->personal || rlen <= 2) {
    card->trace(card->trace_user, false, card->rsp, rlen);
    return;
  }
  uint8_t *masked = malloc(rlen);
  if(!masked)
    return;
  memset(masked, '*', rlen - 2);
  memcpy(masked + rlen - 2, card->rsp + rlen - 2, 2);
  card->trace(card->trace_user, false, masked, rlen);
  free(masked);
}

/* One exchange on the transport: encode, send, split. The response data is
 * left in card->rsp. */
static myna_rv exchange(myna_card *card, const myna_apdu *a, size_t *data_len,
                        uint16_t *sw)
{
  size_t clen = 0;
  myna_rv rv = myna_apdu_encode(a, myna_card_uses_extended(card), card->cmd,
                                MYNA_APDU_MAX_COMMAND, &clen);
  if(rv)
    return rv;
  if(clen > card->caps.max_command)
    return MYNA_E_NOT_SUPPORTED;
  trace_command(card, a, card->cmd, clen);
  size_t rlen = 0;
  card->apdus++;
  rv = card->transport.ops->transmit(card->transport.ctx, card->cmd, clen,
                                     card->rsp, MYNA_APDU_MAX_RESPONSE, &rlen);
  if(a->sensitive)
    Myna_wipe(card->cmd, clen);
  if(rv)
    return transport_failed(card, rv);
  if(rlen > MYNA_APDU_MAX_RESPONSE)
    return MYNA_E_MALFORMED_RESPONSE;
  if(card->trace)
    trace_response(card, rlen);
  return myna_apdu_split_response(card->rsp, rlen, data_len, sw);
}

static myna_rv append(uint8_t *resp, size_t cap, size_t *have,
                      const uint8_t *p, size_t n)
{
  if(n > cap - *have)
    return MYNA_E_MALFORMED_RESPONSE;
  if(n)
    memcpy(resp + *have, p, n);
  *have += n;
  return MYNA_OK;
}

myna_rv myna_card_transmit(myna_card *card, const myna_apdu *cmd,
                           uint8_t *resp, size_t resp_cap, size_t *resp_len,
                           uint16_t *sw)
{
  if(!card || !cmd || !sw || (!resp && resp_cap))
    return MYNA_E_INVALID_ARGUMENT;
  size_t have = 0;
  size_t dlen = 0;
  uint16_t s = 0;
  /* Never more than Ne bytes, and never more than the caller can hold. */
  size_t limit = cmd->ne ? cmd->ne : 0;
  if(limit > resp_cap)
    limit = resp_cap;

  myna_rv rv = exchange(card, cmd, &dlen, &s);
  if(rv)
    return rv;

  /* 6Cxx: wrong Le, re-send once with Le = xx. Only commands that expect
   * data get this, and never one that carries a PIN: a PIN is sent once. */
  if((s >> 8) == 0x6C && cmd->ne && !cmd->sensitive) {
    myna_apdu again = *cmd;
    again.ne = (s & 0xFF) ? (s & 0xFF) : 256;
    rv = exchange(card, &again, &dlen, &s);
    if(rv)
      return rv;
    if((s >> 8) == 0x6C)
      return MYNA_E_MALFORMED_RESPONSE;
  }

  rv = append(resp, limit, &have, card->rsp, dlen);
  if(rv)
    return rv;

  /* 61xx: more data waits; fetch it with GET RESPONSE until done. */
  for(int round = 0; (s >> 8) == 0x61; round++) {
    if(round >= MAX_GET_RESPONSE_ROUNDS)
      return MYNA_E_MALFORMED_RESPONSE;
    myna_apdu get = { .cla = 0x00, .ins = 0xC0, .p1 = 0, .p2 = 0,
                      .ne = (s & 0xFF) ? (s & 0xFF) : 256 };
    rv = exchange(card, &get, &dlen, &s);
    if(rv)
      return rv;
    rv = append(resp, limit, &have, card->rsp, dlen);
    if(rv)
      return rv;
  }
  if(resp_len)
    *resp_len = have;
  *sw = s;
  return MYNA_OK;
}

myna_rv Myna_command(myna_card *card, const myna_apdu *cmd, uint8_t *resp,
                     size_t resp_cap, size_t *resp_len, uint16_t *sw)
{
  uint16_t s = 0;
  size_t n = 0;
  myna_rv rv = myna_card_transmit(card, cmd, resp, resp_cap, &n, &s);
  if(rv)
    return rv;
  if(sw)
    *sw = s;
  if(resp_len)
    *resp_len = n;
  /* Data that comes with an error status is not trusted. */
  if(s != 0x9000 && n && resp)
    Myna_wipe(resp, n);
  myna_rv rv2 = myna_rv_from_sw(s);
  /* A PIN status means something only as the answer to VERIFY or CHANGE
   * REFERENCE DATA (and "blocked" also to a signature). From any other
   * command it is a broken answer, not a statement about a PIN: reporting
   * it as a wrong PIN would show a resident a count that does not exist. */
  bool pin_cmd = cmd->ins == 0x20 || cmd->ins == 0x24;
  if(rv2 == MYNA_E_WRONG_PIN && !pin_cmd)
    return MYNA_E_CARD_ERROR;
  if(rv2 == MYNA_E_PIN_BLOCKED && !pin_cmd && cmd->ins != 0x2A)
    return MYNA_E_CARD_ERROR;
  return rv2;
}

myna_rv Myna_select_ap(myna_card *card, myna_ap ap)
{
  if(card->ap == ap && ap != MYNA_AP_NONE)
    return MYNA_OK;
  const uint8_t *aid;
  switch(ap) {
  case MYNA_AP_JPKI:
    aid = aid_jpki;
    break;
  case MYNA_AP_TEXT:
    aid = aid_text;
    break;
  case MYNA_AP_FACE:
    aid = aid_face;
    break;
  default:
    return MYNA_E_INVALID_ARGUMENT;
  }
  myna_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x04, .p2 = 0x0C,
                  .data = aid, .lc = sizeof(aid_jpki) };
  /* Whatever the answer, the card's previous security state is gone. */
  forget_selection(card);
  myna_rv rv = Myna_command(card, &a, NULL, 0, NULL, NULL);
  if(rv == MYNA_E_FILE_NOT_FOUND || rv == MYNA_E_WRONG_P1P2)
    return ap == MYNA_AP_JPKI ? MYNA_E_NOT_MYNUMBER_CARD : MYNA_E_NOT_SUPPORTED;
  if(rv)
    return rv;
  card->ap = ap;
  return MYNA_OK;
}

myna_rv Myna_select_ef(myna_card *card, uint16_t fid)
{
  if(card->ap == MYNA_AP_NONE)
    return MYNA_E_INVALID_ARGUMENT;
  if(card->ef == fid)
    return MYNA_OK;
  uint8_t f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
  myna_apdu a = { .cla = 0x00, .ins = 0xA4, .p1 = 0x02, .p2 = 0x0C,
                  .data = f, .lc = 2 };
  card->ef = MYNA_NO_EF;
  myna_rv rv = Myna_command(card, &a, NULL, 0, NULL, NULL);
  if(rv)
    return rv;
  card->ef = fid;
  return MYNA_OK;
}

myna_rv Myna_read_binary(myna_card *card, size_t offset, size_t want,
                         uint8_t *out, size_t *got)
{
  if(offset > 0x7FFF || want == 0 || want > 65536)
    return MYNA_E_INVALID_ARGUMENT;
  if(want > 256 && !myna_card_uses_extended(card))
    return MYNA_E_NOT_SUPPORTED;
  myna_apdu a = { .cla = 0x00, .ins = 0xB0, .p1 = (uint8_t)(offset >> 8),
                  .p2 = (uint8_t)offset, .ne = want };
  myna_rv rv = Myna_command(card, &a, out, want, got, NULL);
  if(rv == MYNA_E_WRONG_LENGTH && want > 256) {
    /* The card (or something on the path) does not take extended APDUs:
     * remember it for the session and let the caller read in short form. */
    card->extended_refused = true;
  }
  return rv;
}

myna_rv Myna_read_fixed_ef(myna_card *card, uint16_t fid, size_t n,
                           uint8_t *out, size_t *got)
{
  myna_rv rv = Myna_select_ef(card, fid);
  if(rv)
    return rv;
  size_t have = 0;
  while(have < n) {
    size_t chunk = n - have;
    if(chunk > 256 && !myna_card_uses_extended(card))
      chunk = 256;
    size_t g = 0;
    rv = Myna_read_binary(card, have, chunk, out + have, &g);
    if(rv == MYNA_E_WRONG_LENGTH && chunk > 256)
      continue; /* retry this chunk in short form */
    if(rv == MYNA_E_OFFSET_BEYOND_END && have)
      break;
    if(rv)
      return rv;
    if(g == 0)
      break;
    have += g;
  }
  *got = have;
  return MYNA_OK;
}

myna_rv Myna_read_object_ef(myna_card *card, uint16_t fid, uint8_t **buf,
                            size_t *len)
{
  *buf = NULL;
  *len = 0;
  myna_rv rv = Myna_select_ef(card, fid);
  if(rv)
    return rv;

  uint8_t *first = malloc(65536);
  if(!first)
    return MYNA_E_NO_MEMORY;
  size_t got = 0;
  rv = MYNA_E_WRONG_LENGTH;
  if(myna_card_uses_extended(card))
    rv = Myna_read_binary(card, 0, 65536, first, &got);
  if(rv == MYNA_E_WRONG_LENGTH)
    rv = Myna_read_binary(card, 0, 256, first, &got);
  if(rv)
    goto out;

  size_t total = 0;
  rv = myna_der_object_size(first, got, &total);
  if(rv)
    goto out;
  if(total > MAX_OBJECT_SIZE) {
    rv = MYNA_E_BAD_DATA;
    goto out;
  }
  uint8_t *obj = malloc(total ? total : 1);
  if(!obj) {
    rv = MYNA_E_NO_MEMORY;
    goto out;
  }
  size_t have = got < total ? got : total;
  memcpy(obj, first, have);
  while(have < total) {
    size_t chunk = total - have;
    if(!myna_card_uses_extended(card) && chunk > 256)
      chunk = 256;
    size_t g = 0;
    if(have > 0x7FFF) {
      rv = MYNA_E_NOT_SUPPORTED; /* beyond a 15-bit offset */
      break;
    }
    rv = Myna_read_binary(card, have, chunk, obj + have, &g);
    if(rv == MYNA_E_WRONG_LENGTH && chunk > 256)
      continue;
    if(rv == MYNA_E_OFFSET_BEYOND_END) {
      rv = MYNA_E_BAD_DATA; /* the file is shorter than its own header says */
      break;
    }
    if(rv)
      break;
    if(g == 0) {
      rv = MYNA_E_MALFORMED_RESPONSE;
      break;
    }
    have += g;
  }
  if(rv) {
    Myna_free_wiped(obj, total);
    goto out;
  }
  *buf = obj;
  *len = total;

out:
  Myna_free_wiped(first, 65536);
  return rv;
}

myna_rv Myna_read_personal_ef(myna_card *card, uint16_t fid, uint8_t **buf,
                              size_t *len)
{
  card->personal = true;
  myna_rv rv = Myna_read_object_ef(card, fid, buf, len);
  card->personal = false;
  return rv;
}

bool Myna_is_verified(const myna_card *card, myna_ap ap, uint16_t pin_ef)
{
  if(card->ap != ap)
    return false;
  for(size_t i = 0; i < card->n_verified; i++)
    if(card->verified[i] == pin_ef)
      return true;
  return false;
}

static void mark_verified(myna_card *card, uint16_t pin_ef)
{
  if(Myna_is_verified(card, card->ap, pin_ef))
    return;
  if(card->n_verified < MYNA_MAX_VERIFIED)
    card->verified[card->n_verified++] = pin_ef;
}

static void unmark_verified(myna_card *card, uint16_t pin_ef)
{
  for(size_t i = 0; i < card->n_verified; i++) {
    if(card->verified[i] == pin_ef) {
      card->verified[i] = card->verified[--card->n_verified];
      return;
    }
  }
}

myna_rv Myna_tries_left(myna_card *card, uint16_t pin_ef, int *tries)
{
  myna_rv rv = Myna_select_ef(card, pin_ef);
  if(rv)
    return rv;
  /* VERIFY without data: the card answers 63Cx and spends nothing. */
  myna_apdu a = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x80 };
  uint16_t sw = 0;
  rv = Myna_command(card, &a, NULL, 0, NULL, &sw);
  if((sw & 0xFFF0) == 0x63C0) {
    *tries = sw & 0x0F;
    return MYNA_OK;
  }
  if(rv == MYNA_E_PIN_BLOCKED) {
    *tries = 0;
    return MYNA_OK;
  }
  if(rv == MYNA_OK)
    return MYNA_E_NOT_SUPPORTED; /* a card that does not tell its counter */
  return rv;
}

myna_rv Myna_verify(myna_card *card, myna_ap ap, uint16_t pin_ef,
                    myna_pin_kind kind, const myna_secret *pin,
                    int *tries_left)
{
  myna_secret *norm = NULL;
  myna_rv rv = myna_pin_normalize(kind, pin, &norm);
  if(rv)
    return rv;
  rv = Myna_select_ap(card, ap);
  if(!rv)
    rv = Myna_select_ef(card, pin_ef);
  if(rv)
    goto out;
  myna_apdu a = { .cla = 0x00, .ins = 0x20, .p1 = 0x00, .p2 = 0x80,
                  .data = myna_secret_bytes(norm),
                  .lc = myna_secret_len(norm), .sensitive = true };
  uint16_t sw = 0;
  rv = Myna_command(card, &a, NULL, 0, NULL, &sw);
  if(rv == MYNA_OK) {
    mark_verified(card, pin_ef);
    card->must_reset = true;
  }
  else
    unmark_verified(card, pin_ef);
  if(tries_left) {
    if(rv == MYNA_E_WRONG_PIN)
      *tries_left = sw & 0x0F;
    else if(rv == MYNA_E_PIN_BLOCKED)
      *tries_left = 0;
  }
out:
  myna_secret_free(norm);
  return rv;
}

myna_rv Myna_change_reference_data(myna_card *card, uint16_t pin_ef,
                                   myna_pin_kind kind,
                                   const myna_secret *new_pin)
{
  if(!Myna_is_verified(card, card->ap, pin_ef))
    return MYNA_E_SECURITY_STATUS;
  myna_secret *norm = NULL;
  myna_rv rv = myna_pin_normalize(kind, new_pin, &norm);
  if(rv)
    return rv;
  rv = Myna_select_ef(card, pin_ef);
  if(rv)
    goto out;
  myna_apdu a = { .cla = 0x00, .ins = 0x24, .p1 = 0x01, .p2 = 0x80,
                  .data = myna_secret_bytes(norm),
                  .lc = myna_secret_len(norm), .sensitive = true };
  rv = Myna_command(card, &a, NULL, 0, NULL, NULL);
  /* The command itself refused: this card does not offer PIN change here. */
  if(rv == MYNA_E_INS_NOT_SUPPORTED || rv == MYNA_E_WRONG_P1P2 ||
     rv == MYNA_E_CLA_NOT_SUPPORTED)
    rv = MYNA_E_NOT_SUPPORTED;
out:
  myna_secret_free(norm);
  return rv;
}
