/* vcard_server.h - what the sub-commands of mynacard-vcard share (internal).
 *
 * mynacard-vcard.c holds main(), the vpcd server and the helpers below;
 * pn532.c holds the card behind an emulated PN532. Both write the same APDU
 * log and read their options the same way. */
#ifndef MYNA_VCARD_SERVER_H
#define MYNA_VCARD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef MYNA_VERSION
#define MYNA_VERSION "unknown"
#endif

#define PROG "mynacard-vcard"

enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2
};

/* "mynacard-vcard: <message>" on standard error. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --quirks SPEC as myna_vcard_parse_quirks reads it; false after saying
 * what is wrong. */
bool parse_quirks_option(const char *text, unsigned *quirks, unsigned *slow_ms);

/* A decimal number from 0 to max, digits only. */
bool parse_number(const char *text, unsigned long max, unsigned long *out);

/* ---- the APDU log ----------------------------------------------------------
 * One line per APDU ("apdu CLA INS P1 P2 lc=N sw=XXXX") and per event
 * ("# removed"), each with one write() on an O_APPEND descriptor, never
 * command or response data. A log_fd of -1 logs nothing. */

/* Open (append to) the log; -1 with a message on error. */
int apdu_log_open(const char *path);
void log_line(int log_fd, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
void log_apdu(int log_fd, const uint8_t *cmd, size_t len,
              const uint8_t *resp, size_t resp_len);

/* Block SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 and return a non-blocking
 * signalfd that receives them; -1 with a message on error. */
int signals_open(void);

/* `mynacard-vcard pn532` (pn532.c). */
int cmd_pn532(int argc, char **argv);
void usage_pn532(FILE *f);

#endif
