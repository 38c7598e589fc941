/* cardcli.h - what the command-line tools share about the card: opening it
 * through any transport, asking for PINs and mapping errors to exit codes.
 *
 * PINs never come from argv: from a no-echo prompt on the terminal, or one
 * per line on standard input (pin_stdin). Tries left are shown before a PIN
 * is asked for, a last try is warned about, a PIN the card would refuse is
 * refused here without spending a try, and nothing is ever retried. */
#ifndef MYNACARD_CARDCLI_H
#define MYNACARD_CARDCLI_H

#include <getopt.h>
#include <stdbool.h>

#include "mynacard/mynacard.h"
#include "mynanfc/nfc.h"
#include "mynapcsc/pcsc.h"
#include "mynavcard/vcard.h"

/* Exit codes (documented in mynacard.1 and mynaterm.1). */
enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2,
  EXIT_WRONG_PIN = 3,
  EXIT_BLOCKED = 4,
  EXIT_NO_CARD = 5,
  EXIT_REMOVED = 6,
  EXIT_NOT_SUPPORTED = 7,
  EXIT_IO = 8,
  EXIT_PIN_FORMAT = 9,
  EXIT_NO_READER = 10
};

typedef struct myna_cli_card {
  /* Options, set by the tool. */
  const char *progname;   /* prefix of messages */
  const char *reader;     /* PC/SC reader name (NULL: the one holding a card) */
  const char *nfc;        /* libnfc connstring, "default" for libnfc's own choice */
  const char *vcard;      /* software card profile, in-process */
  const char *quirks;     /* software card quirks */
  bool exclusive;
  bool trace;
  bool pin_stdin;
  bool japanese;
  /* State. */
  myna_card *card;
  myna_vcard *vc;
  myna_pcsc *pcsc;
  myna_nfc *nfcctx;
} myna_cli_card;

/* The options every tool takes about the card, for a getopt_long table,
 * and their handling: myna_cli_card_option returns false for an option that
 * is not one of them. */
#define MYNA_CLI_CARD_OPTIONS \
  { "reader", required_argument, NULL, 'r' }, \
  { "vcard", required_argument, NULL, 'v' }, \
  { "exclusive", no_argument, NULL, 'x' }, \
  { "nfc", required_argument, NULL, 'n' }, \
  { "quirks", required_argument, NULL, 'q' }, \
  { "trace", no_argument, NULL, 't' }, \
  { "pin-stdin", no_argument, NULL, 'p' }
bool myna_cli_card_option(myna_cli_card *c, int opt, const char *arg);
/* Whether the locale (LC_ALL, LC_MESSAGES, LANG) asks for Japanese. */
bool myna_cli_japanese_locale(void);

/* The message in the tool's language. */
const char *myna_cli_msg(const myna_cli_card *c, const char *en, const char *ja);
int myna_cli_exit_code(myna_rv rv);
/* Print rv's message and return its exit code. */
int myna_cli_fail(const myna_cli_card *c, myna_rv rv);
/* Same, with the tries left after a wrong PIN. */
int myna_cli_fail_tries(const myna_cli_card *c, myna_rv rv, int tries);
/* Print "PROGNAME: message" and "Try 'PROGNAME --help'.", return EXIT_USAGE. */
int myna_cli_usage_error(const char *progname, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
/* Check the transport options against each other (EXIT_USAGE with a
 * message), before anything is opened. */
int myna_cli_check_options(const myna_cli_card *c);
/* Open the card and begin the transaction that the whole command runs in, so
 * that nothing another program sends comes between reading the tries left,
 * VERIFY and what it allows. */
int myna_cli_card_open(myna_cli_card *c);
void myna_cli_card_close(myna_cli_card *c);
/* Ask for a secret: one line of stdin with pin_stdin, else the terminal
 * with echo off. */
int myna_cli_ask_secret(const myna_cli_card *c, const char *prompt, myna_secret **out);
/* Show the tries left (already read without spending one), refuse on a
 * blocked PIN, warn before the last try, ask, and refuse locally what the
 * card would reject. */
int myna_cli_ask_pin(const myna_cli_card *c, myna_pin_kind kind, int tries,
                     myna_secret **out);
/* Tries left, ask, VERIFY once (unless already verified in this session). */
int myna_cli_jpki_login(const myna_cli_card *c, myna_jpki_key key);
int myna_cli_text_login(const myna_cli_card *c);

#endif
