/* cardcli.c - the card side shared by mynacard and mynaterm. */

#include "cardcli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool myna_cli_card_option(myna_cli_card *c, int opt, const char *arg)
{
  switch(opt) {
  case 'r':
    c->reader = arg;
    return true;
  case 'v':
    c->vcard = arg;
    return true;
  case 'x':
    c->exclusive = true;
    return true;
  case 'n':
    c->nfc = arg;
    return true;
  case 'q':
    c->quirks = arg;
    return true;
  case 't':
    c->trace = true;
    return true;
  case 'p':
    c->pin_stdin = true;
    return true;
  default:
    return false;
  }
}

bool myna_cli_japanese_locale(void)
{
  const char *lang = getenv("LC_ALL");
  if(!lang || !*lang)
    lang = getenv("LC_MESSAGES");
  if(!lang || !*lang)
    lang = getenv("LANG");
  return lang && !strncmp(lang, "ja", 2);
}

const char *myna_cli_msg(const myna_cli_card *c, const char *en, const char *ja)
{
  return c->japanese ? ja : en;
}

int myna_cli_exit_code(myna_rv rv)
{
  switch(rv) {
  case MYNA_OK:
    return EXIT_OK;
  case MYNA_E_WRONG_PIN:
    return EXIT_WRONG_PIN;
  case MYNA_E_PIN_BLOCKED:
    return EXIT_BLOCKED;
  case MYNA_E_NO_CARD:
  case MYNA_E_NOT_MYNUMBER_CARD:
    return EXIT_NO_CARD;
  case MYNA_E_CARD_REMOVED:
  case MYNA_E_CARD_RESET:
    return EXIT_REMOVED;
  case MYNA_E_NO_READER:
  case MYNA_E_READER_REMOVED:
  case MYNA_E_NO_SERVICE:
  case MYNA_E_READER_BUSY:
    return EXIT_NO_READER;
  case MYNA_E_READER_AMBIGUOUS:
    return EXIT_USAGE;
  case MYNA_E_NOT_SUPPORTED:
  case MYNA_E_NO_SIGN_CERTIFICATE:
  case MYNA_E_INS_NOT_SUPPORTED:
  case MYNA_E_CLA_NOT_SUPPORTED:
    return EXIT_NOT_SUPPORTED;
  case MYNA_E_IO:
  case MYNA_E_TIMEOUT:
    return EXIT_IO;
  case MYNA_E_PIN_FORMAT:
    return EXIT_PIN_FORMAT;
  default:
    return EXIT_ERROR;
  }
}

int myna_cli_fail(const myna_cli_card *c, myna_rv rv)
{
  fprintf(stderr, "%s: %s\n", c->progname,
          c->japanese ? myna_strerror_ja(rv) : myna_strerror(rv));
  return myna_cli_exit_code(rv);
}

int myna_cli_fail_tries(const myna_cli_card *c, myna_rv rv, int tries)
{
  if(rv == MYNA_E_WRONG_PIN && tries >= 0) {
    fprintf(stderr, "%s: %s ", c->progname,
            c->japanese ? myna_strerror_ja(rv) : myna_strerror(rv));
    fprintf(stderr, c->japanese ? "（残り%d回）\n" : "(%d tries left)\n", tries);
    return myna_cli_exit_code(rv);
  }
  return myna_cli_fail(c, rv);
}

int myna_cli_usage_error(const char *progname, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", progname);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry '%s --help'.\n", progname);
  va_end(ap);
  return EXIT_USAGE;
}

int myna_cli_check_options(const myna_cli_card *c)
{
  if(c->reader && c->vcard)
    return myna_cli_usage_error(c->progname, "--reader and --vcard exclude each other");
  if(c->exclusive && c->vcard)
    return myna_cli_usage_error(c->progname, "--exclusive is for PC/SC readers, not --vcard");
  if(c->nfc && (c->reader || c->vcard || c->exclusive))
    return myna_cli_usage_error(c->progname,
                                "--nfc excludes --reader, --vcard and --exclusive");
  return EXIT_OK;
}

static void trace_cb(void *user, bool is_command, const uint8_t *b, size_t n)
{
  (void)user;
  fputs(is_command ? "> " : "< ", stderr);
  for(size_t i = 0; i < n; i++)
    fprintf(stderr, i ? " %02X" : "%02X", b[i]);
  fputc('\n', stderr);
}

/* The card in a PC/SC reader, or in the field of a libnfc device. */
static int open_device_card(myna_cli_card *c)
{
  if(c->quirks)
    return myna_cli_usage_error(c->progname,
                                "--quirks is for --vcard; a card in a reader has its own behaviour");
  myna_transport t;
  myna_rv rv;
  if(c->nfc) {
    rv = myna_nfc_new(&c->nfcctx);
    /* "default": the device libnfc's configuration (or LIBNFC_DEVICE) names. */
    if(!rv)
      rv = myna_nfc_connect(c->nfcctx, strcmp(c->nfc, "default") ? c->nfc : NULL, NULL, &t);
  }
  else {
    rv = myna_pcsc_new(&c->pcsc);
    if(!rv)
      rv = myna_pcsc_connect(c->pcsc, c->reader,
                             c->exclusive ? MYNA_PCSC_EXCLUSIVE : MYNA_PCSC_SHARED, &t);
  }
  if(!rv)
    rv = myna_card_open(t, &c->card);
  if(rv)
    return myna_cli_fail(c, rv);
  return EXIT_OK;
}

static int open_vcard(myna_cli_card *c)
{
  char err[512] = "";
  c->vc = myna_vcard_load(c->vcard, err, sizeof(err));
  if(!c->vc) {
    fprintf(stderr, "%s: %s: %s\n", c->progname, c->vcard, err);
    return EXIT_IO;
  }
  if(c->quirks) {
    unsigned q = 0, slow = 0;
    if(!myna_vcard_parse_quirks(c->quirks, &q, &slow))
      return myna_cli_usage_error(c->progname, "unknown quirk in '%s'", c->quirks);
    myna_vcard_set_quirks(c->vc, q, slow);
  }
  myna_rv rv = myna_card_open(myna_vcard_transport(c->vc, false), &c->card);
  if(rv)
    return myna_cli_fail(c, rv);
  return EXIT_OK;
}

int myna_cli_card_open(myna_cli_card *c)
{
  int ec = c->vcard ? open_vcard(c) : open_device_card(c);
  if(ec)
    return ec;
  if(c->trace)
    myna_card_set_trace(c->card, trace_cb, NULL);
  myna_rv rv = myna_card_begin(c->card);
  if(rv)
    return myna_cli_fail(c, rv);
  return EXIT_OK;
}

void myna_cli_card_close(myna_cli_card *c)
{
  myna_card_free(c->card);
  c->card = NULL;
  myna_pcsc_free(c->pcsc);
  c->pcsc = NULL;
  myna_nfc_free(c->nfcctx);
  c->nfcctx = NULL;
  myna_vcard_free(c->vc);
  c->vc = NULL;
}

/* Ask for a secret: one line of stdin with pin_stdin, else the terminal. */
int myna_cli_ask_secret(const myna_cli_card *c, const char *prompt, myna_secret **out)
{
  myna_rv rv;
  if(c->pin_stdin)
    rv = myna_secret_read_line_fd(STDIN_FILENO, out);
  else
    rv = myna_secret_read_tty(prompt, out);
  if(rv == MYNA_E_IO) {
    fprintf(stderr, "%s: %s\n", c->progname,
            c->pin_stdin ? myna_cli_msg(c, "standard input ended before the PIN",
                                        "標準入力に暗証番号がありません")
                         : myna_cli_msg(c, "no terminal to ask for the PIN: use --pin-stdin",
                                        "暗証番号を入力する端末がありません。--pin-stdin を使用してください"));
    return EXIT_IO;
  }
  if(rv)
    return myna_cli_fail(c, rv);
  return EXIT_OK;
}

static const struct {
  const char *en;
  const char *ja;
} PIN_NAMES[] = {
  [MYNA_PIN_JPKI_AUTH] = { "user authentication PIN", "利用者証明用暗証番号" },
  [MYNA_PIN_JPKI_SIGN] = { "signature password", "署名用パスワード" },
  [MYNA_PIN_TEXT] = { "card input support PIN", "券面事項入力補助用暗証番号" },
  [MYNA_PIN_FACE_B] = { "verification number B", "照合番号B" },
  [MYNA_PIN_MY_NUMBER] = { "My Number", "個人番号" },
};

int myna_cli_ask_pin(const myna_cli_card *c, myna_pin_kind kind, int tries, myna_secret **out)
{
  if(tries == 0)
    return myna_cli_fail(c, MYNA_E_PIN_BLOCKED);
  const char *name = c->japanese ? PIN_NAMES[kind].ja : PIN_NAMES[kind].en;
  if(c->japanese)
    fprintf(stderr, "%s（%s、残り%d回）\n", name, myna_pin_rule_ja(kind), tries);
  else
    fprintf(stderr, "%s (%s, %d tries left)\n", name, myna_pin_rule(kind), tries);
  if(tries == 1)
    fprintf(stderr, "%s\n",
            myna_cli_msg(c, "Warning: this is the last try. A wrong entry locks it; only the municipal office can reset it.",
                         "注意: 残り1回です。間違えるとロックされ、市区町村の窓口でしか解除できません。"));
  char prompt[160];
  snprintf(prompt, sizeof(prompt), "%s: ", name);
  int ec = myna_cli_ask_secret(c, prompt, out);
  if(ec)
    return ec;
  /* Refuse locally what the card would reject: no try is spent on it. */
  myna_secret *norm = NULL;
  myna_rv rv = myna_pin_normalize(kind, *out, &norm);
  myna_secret_free(norm);
  if(rv) {
    myna_secret_free(*out);
    *out = NULL;
    fprintf(stderr, "%s: %s (%s)\n", c->progname,
            c->japanese ? myna_strerror_ja(rv) : myna_strerror(rv),
            c->japanese ? myna_pin_rule_ja(kind) : myna_pin_rule(kind));
    return EXIT_PIN_FORMAT;
  }
  return EXIT_OK;
}

int myna_cli_jpki_login(const myna_cli_card *c, myna_jpki_key key)
{
  if(myna_jpki_is_verified(c->card, key))
    return EXIT_OK;
  int tries = -1;
  myna_rv rv = myna_jpki_tries_left(c->card, key, &tries);
  if(rv)
    return myna_cli_fail(c, rv);
  myna_secret *pin = NULL;
  int ec = myna_cli_ask_pin(c, key == MYNA_JPKI_KEY_SIGN ? MYNA_PIN_JPKI_SIGN
                                                        : MYNA_PIN_JPKI_AUTH,
                            tries, &pin);
  if(ec)
    return ec;
  int left = -1;
  rv = myna_jpki_verify(c->card, key, pin, &left);
  myna_secret_free(pin);
  if(rv)
    return myna_cli_fail_tries(c, rv, left);
  return EXIT_OK;
}

int myna_cli_text_login(const myna_cli_card *c)
{
  int tries = -1;
  myna_rv rv = myna_text_ap_tries_left(c->card, &tries);
  if(rv)
    return myna_cli_fail(c, rv);
  myna_secret *pin = NULL;
  int ec = myna_cli_ask_pin(c, MYNA_PIN_TEXT, tries, &pin);
  if(ec)
    return ec;
  int left = -1;
  rv = myna_text_ap_verify(c->card, pin, &left);
  myna_secret_free(pin);
  if(rv)
    return myna_cli_fail_tries(c, rv, left);
  return EXIT_OK;
}
