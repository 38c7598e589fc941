/* testutil.h - what the unit tests share: a scripted transport (APDU traces as
 * data), hex helpers and loading a fresh copy of a generated card profile. */
#ifndef MYNA_TESTUTIL_H
#define MYNA_TESTUTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mynacard/mynacard.h"
#include "mynavcard/vcard.h"

/* One expected exchange: the command the library must send (hex, spaces
 * allowed) and what the card answers (hex of data + SW). A response of
 * "REMOVED" makes the transport fail with MYNA_E_CARD_REMOVED, "IO" with
 * MYNA_E_IO. */
typedef struct myna_test_exchange {
  const char *command;
  const char *response;
} myna_test_exchange;

typedef struct myna_test_mock myna_test_mock;

/* A transport that plays script in order; a command that differs from the
 * expected one fails the test. caps.extended_apdu is `extended`. The mock is
 * freed with the transport; *mock stays valid until then. */
myna_transport myna_test_mock_transport(const myna_test_exchange *script,
                                        size_t n, bool extended,
                                        myna_test_mock **mock);
/* Number of script entries consumed so far. */
size_t myna_test_mock_consumed(const myna_test_mock *mock);
/* Number of resets the transport was asked for. The count outlives the
 * transport: it is kept in *resets, given with myna_test_mock_count_resets. */
void myna_test_mock_count_resets(myna_test_mock *mock, unsigned *resets);

/* Record what crosses the mock transport into log, one character each: '['
 * begin of a transaction, ']' its end, 'A' an APDU, 'R' a reset. A response
 * "RESET" in a script makes the transport answer MYNA_E_CARD_RESET (another
 * program reset the card), "REMOVED" MYNA_E_CARD_REMOVED, "IO" MYNA_E_IO. */
void myna_test_mock_record(myna_test_mock *mock, GString *log);

/* Parse hex (spaces ignored) into out; aborts the test on bad input. */
size_t myna_test_unhex(const char *hex, uint8_t *out, size_t cap);
/* Hex of bytes, upper case with spaces, g_free'd by the caller. */
char *myna_test_hex(const uint8_t *p, size_t n);

/* Folder of the generated PKI ($MYNA_TEST_PKI). */
const char *myna_test_pki_dir(void);

/* Copy profile `name` (from $MYNA_TEST_PKI/profiles) to a fresh temporary
 * folder, so that counter changes stay within this test, and load it.
 * Fails the test when it cannot. The copy is removed by myna_test_vcard_free. */
myna_vcard *myna_test_vcard_new(const char *name, unsigned quirks);
void myna_test_vcard_free(myna_vcard *card);
/* Folder of the temporary copy of the last loaded profile. */
const char *myna_test_vcard_dir(const myna_vcard *card);

/* Open a card session on a vcard served in-process (not owned). */
myna_card *myna_test_open(myna_vcard *vcard);

/* Every command that crosses a session is recorded as a short word with the
 * status word of its answer, e.g. "SELECT-AP:9000 SELECT-000A:9000 READ:6700",
 * so that a flow can be compared as a whole. With name_aps, an AP selection
 * names the application (SELECT-JPKI, SELECT-TEXT). */
typedef struct myna_test_apdu_log {
  GString *words;
  unsigned commands;
  unsigned verifies;  /* VERIFY with data: a PIN reached the transport */
  bool name_aps;
} myna_test_apdu_log;

/* Start recording card's APDUs into l (installs the session's trace). */
void myna_test_log_init(myna_test_apdu_log *l, myna_card *card, bool name_aps);
void myna_test_log_free(myna_test_apdu_log *l);

/* The reader paths every integration test runs on: a path carrying extended
 * APDUs, a card refusing them (6700), and T=0 answers (61xx/6Cxx). */
typedef struct myna_test_mode {
  const char *name;  /* path component of the test name */
  unsigned quirks;   /* MYNA_VCARD_QUIRK_* of the software card */
} myna_test_mode;

#define MYNA_TEST_N_MODES 3
extern const myna_test_mode myna_test_modes[MYNA_TEST_N_MODES];

/* Register fn as "/<prefix>/<mode>/<behaviour>" once per mode; the test gets
 * its const myna_test_mode * as data. */
void myna_test_add_per_mode(const char *prefix, const char *behaviour,
                            GTestDataFunc fn);

/* A secret from a C string literal. */
myna_secret *myna_test_secret(const char *s);

#endif
