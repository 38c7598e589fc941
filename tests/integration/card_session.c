/* card_session - one long-lived program on the PC/SC transport (or, with
 * --nfc CONNSTRING, on libnfc), driven line by line from standard input, so
 * that a test can fault pcscd, the reader and the card between operations and
 * see that the *same* process recovers, and a benchmark can time operations
 * inside one session.
 *
 * Commands (one per line); each answers one line, "ok [detail]" or
 * "err <error-name>":
 *   list                 readers pcscd knows: "ok N name|present ..."
 *   open [exclusive]     connect to the reader with a card (or the NFC
 *                        device's card), open a session
 *   close                end the session (reset: no verified PIN survives)
 *   tries                tries left of the auth PIN (spends none)
 *   cert                 read the auth certificate: "ok <bytes>"
 *   verify PIN           VERIFY the auth PIN (test PINs only)
 *   sign                 sign a fixed SHA-256 hash with the auth key
 *   begin / end          bracket what follows in one transaction
 *   reset-other          another program (its own context) resets the card
 *   apdus                APDUs sent by the open session
 */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mynacard/mynacard.h"
#include "mynanfc/nfc.h"
#include "mynapcsc/pcsc.h"

static myna_pcsc *pcsc;
static myna_nfc *nfc;
static const char *nfc_device;
static myna_card *card;

static void answer(myna_rv rv, const char *detail)
{
  if(rv)
    printf("err %s\n", myna_rv_name(rv));
  else if(detail && *detail)
    printf("ok %s\n", detail);
  else
    puts("ok");
  fflush(stdout);
}

static void answer_text(const char *line)
{
  puts(line);
  fflush(stdout);
}

static void cmd_list(void)
{
  myna_pcsc_reader *r = NULL;
  size_t n = 0;
  myna_rv rv = myna_pcsc_list(pcsc, &r, &n);
  if(rv) {
    answer(rv, NULL);
    return;
  }
  GString *s = g_string_new(NULL);
  g_string_printf(s, "%zu", n);
  for(size_t i = 0; i < n; i++)
    g_string_append_printf(s, " %s|%s", r[i].name,
                           r[i].card_present ? "present" : "empty");
  answer(MYNA_OK, s->str);
  g_string_free(s, TRUE);
  myna_pcsc_readers_free(r, n);
}

static void cmd_open(const char *arg)
{
  myna_card_free(card);
  card = NULL;
  myna_transport t;
  myna_rv rv = nfc ? myna_nfc_connect(nfc, nfc_device, NULL, &t)
                   : myna_pcsc_connect(pcsc, NULL,
                                       arg && !strcmp(arg, "exclusive")
                                         ? MYNA_PCSC_EXCLUSIVE : MYNA_PCSC_SHARED, &t);
  if(!rv)
    rv = myna_card_open(t, &card);
  answer(rv, NULL);
}

/* Another program, with a context of its own, resets the card. */
static void cmd_reset_other(void)
{
  SCARDCONTEXT ctx;
  SCARDHANDLE h;
  DWORD proto;
  LONG r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if(r != SCARD_S_SUCCESS) {
    answer(myna_pcsc_rv(r), NULL);
    return;
  }
  r = SCardConnect(ctx, myna_card_reader_name(card), SCARD_SHARE_SHARED,
                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
  if(r == SCARD_S_SUCCESS)
    r = SCardDisconnect(h, SCARD_RESET_CARD);
  SCardReleaseContext(ctx);
  answer(myna_pcsc_rv(r), NULL);
}

int main(int argc, char **argv)
{
  myna_rv rv;
  if(argc == 3 && !strcmp(argv[1], "--nfc")) {
    nfc_device = argv[2];
    rv = myna_nfc_new(&nfc);
  }
  else
    rv = myna_pcsc_new(&pcsc);
  if(rv) {
    fprintf(stderr, "card_session: %s\n", myna_strerror(rv));
    return 1;
  }
  char line[256];
  while(fgets(line, sizeof(line), stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *arg = strchr(line, ' ');
    if(arg)
      *arg++ = '\0';
    if(!strcmp(line, "list"))
      cmd_list();
    else if(!strcmp(line, "open"))
      cmd_open(arg);
    else if(!strcmp(line, "close")) {
      myna_card_free(card);
      card = NULL;
      answer(MYNA_OK, NULL);
    }
    else if(!card)
      answer_text("err no-session");
    else if(!strcmp(line, "tries")) {
      int tries = -1;
      char buf[16];
      rv = myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries);
      snprintf(buf, sizeof(buf), "%d", tries);
      answer(rv, buf);
    }
    else if(!strcmp(line, "cert")) {
      const uint8_t *der;
      size_t len = 0;
      char buf[32];
      rv = myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der, &len);
      snprintf(buf, sizeof(buf), "%zu", len);
      answer(rv, buf);
    }
    else if(!strcmp(line, "verify") && arg) {
      myna_secret *pin = myna_secret_from_bytes(arg, strlen(arg));
      rv = pin ? MYNA_OK : MYNA_E_NO_MEMORY;
      if(!rv)
        rv = myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, pin, NULL);
      myna_secret_free(pin);
      answer(rv, NULL);
    }
    else if(!strcmp(line, "sign")) {
      uint8_t hash[32] = { 1, 2, 3 }, sig[MYNA_JPKI_SIGNATURE_SIZE];
      size_t sl = 0;
      rv = myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH, MYNA_HASH_SHA256, hash,
                               sizeof(hash), sig, sizeof(sig), &sl);
      answer(rv, NULL);
    }
    else if(!strcmp(line, "begin"))
      answer(myna_card_begin(card), NULL);
    else if(!strcmp(line, "end")) {
      myna_card_end(card);
      answer(MYNA_OK, NULL);
    }
    else if(!strcmp(line, "reset-other"))
      cmd_reset_other();
    else if(!strcmp(line, "apdus")) {
      char buf[32];
      snprintf(buf, sizeof(buf), "%lu", myna_card_apdu_count(card));
      answer(MYNA_OK, buf);
    }
    else
      answer_text("err unknown-command");
  }
  myna_card_free(card);
  myna_pcsc_free(pcsc);
  myna_nfc_free(nfc);
  return 0;
}
