/* inproc.c - the software card served to the card layer in the same
 * process, as if through a reader that carries extended APDUs. Whether the
 * card accepts them is the card's business (the short-only and T=0 quirks
 * refuse them with 6700, which the card layer detects). */
#include "vcard_internal.h"

#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>

/* Largest command: extended header 7 + 65535 data + 2 Le. */
#define INPROC_MAX_COMMAND (4 + 3 + 65535 + 2)
#define INPROC_MAX_RESPONSE 65536
#define INPROC_RESP_BUF (INPROC_MAX_RESPONSE + 2)

typedef struct inproc {
  myna_vcard *card;
  bool own;
  char *name;
  uint8_t *scratch;  /* for callers whose buffer is below the card's need */
} inproc;

static myna_rv inproc_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                               uint8_t *resp, size_t resp_cap,
                               size_t *resp_len)
{
  inproc *t = ctx;
  if(!cmd || !resp || !resp_len)
    return MYNA_E_INVALID_ARGUMENT;
  if(!myna_vcard_is_present(t->card))
    return MYNA_E_CARD_REMOVED;
  if(cmd_len > INPROC_MAX_COMMAND)
    return MYNA_E_INVALID_ARGUMENT;
  /* The card may answer up to 65536 bytes; a smaller buffer gets the answer
   * when it fits, never a silently shortened one. */
  uint8_t *out = resp;
  if(resp_cap < INPROC_RESP_BUF) {
    if(!t->scratch)
      t->scratch = g_malloc(INPROC_RESP_BUF);
    out = t->scratch;
  }
  size_t n = myna_vcard_process(t->card, cmd, cmd_len, out, INPROC_RESP_BUF);
  if(!n)
    return MYNA_E_CARD_REMOVED;
  if(out != resp) {
    bool fits = n <= resp_cap;
    if(fits)
      memcpy(resp, out, n);
    OPENSSL_cleanse(out, n);
    if(!fits)
      return MYNA_E_BUFFER_TOO_SMALL;
  }
  *resp_len = n;
  return MYNA_OK;
}

static myna_rv inproc_get_caps(void *ctx, myna_transport_caps *caps)
{
  if(!caps)
    return MYNA_E_INVALID_ARGUMENT;
  caps->extended_apdu = true;
  caps->max_command = INPROC_MAX_COMMAND;
  caps->max_response = INPROC_MAX_RESPONSE;
  return MYNA_OK;
}

static myna_rv inproc_reset(void *ctx)
{
  inproc *t = ctx;
  if(!myna_vcard_is_present(t->card))
    return MYNA_E_CARD_REMOVED;
  myna_vcard_reset(t->card);
  return MYNA_OK;
}

static myna_rv inproc_is_present(void *ctx, bool *present)
{
  inproc *t = ctx;
  if(!present)
    return MYNA_E_INVALID_ARGUMENT;
  *present = myna_vcard_is_present(t->card);
  return MYNA_OK;
}

static const char *inproc_name(void *ctx)
{
  inproc *t = ctx;
  return t->name;
}

static void inproc_destroy(void *ctx)
{
  inproc *t = ctx;
  if(!t)
    return;
  if(t->own)
    myna_vcard_free(t->card);
  if(t->scratch) {
    OPENSSL_cleanse(t->scratch, INPROC_RESP_BUF);
    g_free(t->scratch);
  }
  g_free(t->name);
  g_free(t);
}

static const myna_transport_ops inproc_ops = {
  .transmit = inproc_transmit,
  .get_caps = inproc_get_caps,
  .reset = inproc_reset,
  .is_present = inproc_is_present,
  .name = inproc_name,
  .destroy = inproc_destroy,
};

myna_transport myna_vcard_transport(myna_vcard *card, bool own)
{
  inproc *t = g_new0(inproc, 1);
  t->card = card;
  t->own = own;
  t->name = g_strdup_printf("mynacard software card (%s)",
                            card && card->folder_name ? card->folder_name :
                            "no profile");
  return (myna_transport){ .ops = &inproc_ops, .ctx = t };
}
