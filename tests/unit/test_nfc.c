/* test_nfc.c - the libnfc driver without an NFC device: what a failed
 * exchange means once the device has been asked about the card, which
 * command gets the long signature timeout, the option defaults, and the
 * device list and connect when no device is there. */
#include "testutil.h"

#include <nfc/nfc.h>

#include "mynanfc/nfc.h"

static void test_error_mapping(void)
{
  static const struct {
    int exchange;
    int presence;
    myna_rv rv;
  } map[] = {
    /* success, whatever the presence check (never asked) */
    { 0, NFC_EIO, MYNA_OK },
    { 258, NFC_SUCCESS, MYNA_OK },
    /* the card is still in the field */
    { NFC_ETIMEOUT, NFC_SUCCESS, MYNA_E_TIMEOUT },
    { NFC_ERFTRANS, NFC_SUCCESS, MYNA_E_IO },
    { NFC_ECHIP, NFC_SUCCESS, MYNA_E_IO },
    { NFC_EIO, NFC_SUCCESS, MYNA_E_IO },  /* a garbled or short answer */
    { NFC_EOVFLOW, NFC_SUCCESS, MYNA_E_IO },
    { NFC_ETGRELEASED, NFC_SUCCESS, MYNA_E_IO },
    { NFC_ESOFT, NFC_SUCCESS, MYNA_E_IO },
    /* the card left */
    { NFC_ETIMEOUT, NFC_ETGRELEASED, MYNA_E_CARD_REMOVED },
    { NFC_ERFTRANS, NFC_ETGRELEASED, MYNA_E_CARD_REMOVED },
    { NFC_EIO, NFC_ETGRELEASED, MYNA_E_CARD_REMOVED },
    { NFC_ECHIP, NFC_ERFTRANS, MYNA_E_CARD_REMOVED },
    { NFC_ETIMEOUT, NFC_ERFTRANS, MYNA_E_CARD_REMOVED },
    /* the device went away */
    { NFC_EIO, NFC_EIO, MYNA_E_READER_REMOVED },
    { NFC_ETIMEOUT, NFC_EIO, MYNA_E_READER_REMOVED },
    { NFC_ENOTSUCHDEV, NFC_ENOTSUCHDEV, MYNA_E_READER_REMOVED },
    { NFC_ERFTRANS, NFC_ENOTSUCHDEV, MYNA_E_READER_REMOVED },
    /* the device could not tell */
    { NFC_ETIMEOUT, NFC_ETIMEOUT, MYNA_E_TIMEOUT },
    { NFC_ETIMEOUT, NFC_EDEVNOTSUPP, MYNA_E_TIMEOUT },
    { NFC_EIO, NFC_ETIMEOUT, MYNA_E_READER_REMOVED },
    { NFC_ENOTSUCHDEV, NFC_ECHIP, MYNA_E_READER_REMOVED },
    { NFC_ERFTRANS, NFC_ETIMEOUT, MYNA_E_IO },
    { NFC_ECHIP, NFC_ENOTIMPL, MYNA_E_IO },
    { NFC_EOPABORTED, NFC_EOPABORTED, MYNA_E_IO },
    { NFC_EINVARG, NFC_ECHIP, MYNA_E_IO },
    { -999, -999, MYNA_E_IO },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(map); i++) {
    if(g_test_verbose())
      g_test_message("exchange %d presence %d", map[i].exchange, map[i].presence);
    g_assert_cmpstr(myna_rv_name(myna_nfc_rv(map[i].exchange, map[i].presence)),
                    ==, myna_rv_name(map[i].rv));
  }
}

static unsigned timeout_for(const myna_nfc_options *o, const char *hex)
{
  uint8_t cmd[300];
  size_t n = myna_test_unhex(hex, cmd, sizeof(cmd));
  return myna_nfc_timeout_for(o, cmd, n);
}

static void test_timeout_choice(void)
{
  myna_nfc_options o;
  myna_nfc_options_resolve(&(myna_nfc_options){ 0, 1500, 7000, NULL }, &o);
  /* COMPUTE DIGITAL SIGNATURE of the JPKI AP, a DigestInfo for SHA-256 */
  g_assert_cmpuint(timeout_for(&o, "80 2A 00 80 33 30 31 30 0D 06 09 60 86 48"
                                   " 01 65 03 04 02 01 05 00 04 20 00 01 02 03"
                                   " 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11"
                                   " 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F"
                                   " 00"), ==, 7000);
  g_assert_cmpuint(timeout_for(&o, "80 2A 00 80 01 00"), ==, 7000);
  /* PERFORM SECURITY OPERATION: compute digital signature, ISO form */
  g_assert_cmpuint(timeout_for(&o, "00 2A 9E 9A 01 00 00"), ==, 7000);
  /* everything else */
  g_assert_cmpuint(timeout_for(&o, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"),
                   ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "00 A4 02 0C 02 00 1B"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "00 20 00 80 04 31 32 33 34"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "00 B0 00 00 00"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "80 20 00 80"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "80 B0 2A 00 00"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "2A 80 00 00"), ==, 1500);
  g_assert_cmpuint(timeout_for(&o, "FF 2A 00 00"), ==, 1500);
  /* too short to be a command: the ordinary timeout */
  g_assert_cmpuint(timeout_for(&o, "80 2A"), ==, 1500);
  g_assert_cmpuint(myna_nfc_timeout_for(&o, NULL, 0), ==, 1500);
  /* unresolved options are resolved first */
  g_assert_cmpuint(timeout_for(NULL, "80 2A 00 80 01 00"), ==, 6000);
  g_assert_cmpuint(timeout_for(NULL, "00 B0 00 00 00"), ==, 2000);
  g_assert_cmpuint(timeout_for(&(myna_nfc_options){ 0, 0, 100, NULL }, "80 2A 00 80 01 00"),
                   ==, 5000);
}

static void resolved(unsigned poll, unsigned apdu, unsigned sign,
                     unsigned want_poll, unsigned want_apdu, unsigned want_sign)
{
  myna_nfc_options o;
  myna_nfc_options_resolve(&(myna_nfc_options){ poll, apdu, sign, NULL }, &o);
  g_assert_cmpuint(o.poll_ms, ==, want_poll);
  g_assert_cmpuint(o.apdu_timeout_ms, ==, want_apdu);
  g_assert_cmpuint(o.sign_timeout_ms, ==, want_sign);
}

static void test_option_defaults(void)
{
  myna_nfc_options o;
  myna_nfc_options_resolve(NULL, &o);
  g_assert_cmpuint(o.poll_ms, ==, 3000);
  g_assert_cmpuint(o.apdu_timeout_ms, ==, 2000);
  g_assert_cmpuint(o.sign_timeout_ms, ==, 6000);
  resolved(0, 0, 0, 3000, 2000, 6000);
  resolved(500, 800, 9000, 500, 800, 9000);
  /* the signature never gets less than 5 s ... */
  resolved(0, 0, 1, 3000, 2000, 5000);
  resolved(0, 0, 4999, 3000, 2000, 5000);
  resolved(0, 0, 5000, 3000, 2000, 5000);
  /* ... nor less than any other command */
  resolved(0, 8000, 5000, 3000, 8000, 8000);
  resolved(0, 8000, 0, 3000, 8000, 8000);
  /* libnfc takes an int */
  resolved(UINT_MAX, UINT_MAX, UINT_MAX, INT_MAX, INT_MAX, INT_MAX);
  /* nothing to fill: no crash */
  myna_nfc_options_resolve(NULL, NULL);
}

static void test_invalid_arguments(void)
{
  g_assert_cmpint(myna_nfc_new(NULL), ==, MYNA_E_INVALID_ARGUMENT);
  myna_nfc *n = NULL;
  g_assert_cmpint(myna_nfc_new(&n), ==, MYNA_OK);
  myna_nfc_device *d = (myna_nfc_device *)&d;
  size_t count = 7;
  g_assert_cmpint(myna_nfc_list(NULL, &d, &count), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_null(d);
  g_assert_cmpuint(count, ==, 0);
  g_assert_cmpint(myna_nfc_list(n, NULL, &count), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_nfc_list(n, &d, NULL), ==, MYNA_E_INVALID_ARGUMENT);
  myna_transport t = { (const myna_transport_ops *)&t, &t };
  g_assert_cmpint(myna_nfc_connect(NULL, NULL, NULL, &t), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_null(t.ops);
  g_assert_null(t.ctx);
  g_assert_cmpint(myna_nfc_connect(n, NULL, NULL, NULL), ==, MYNA_E_INVALID_ARGUMENT);
  /* longer than libnfc's connection strings */
  g_autofree char *huge = g_strnfill(sizeof(nfc_connstring), 'x');
  g_assert_cmpint(myna_nfc_connect(n, huge, NULL, &t), ==, MYNA_E_INVALID_ARGUMENT);
  myna_nfc_cancel(NULL);
  myna_nfc_devices_free(NULL, 3);
  myna_nfc_free(NULL);
  myna_nfc_free(n);
}

static void test_no_such_device(void)
{
  myna_nfc *n = NULL;
  g_assert_cmpint(myna_nfc_new(&n), ==, MYNA_OK);
  static const char *const missing[] = {
    "pn532_uart:/nonexistent/ttyNFC",
    "pn532_uart:/dev/null",          /* not a serial line */
    "no_such_driver:/dev/ttyUSB0",
    "pn53x_usb:999:999",
    "garbage",
  };
  myna_nfc_options fast = { 200, 0, 0, NULL };
  for(size_t i = 0; i < G_N_ELEMENTS(missing); i++) {
    myna_transport t;
    gint64 start = g_get_monotonic_time();
    g_assert_cmpstr(myna_rv_name(myna_nfc_connect(n, missing[i], &fast, &t)), ==,
                    myna_rv_name(MYNA_E_NO_READER));
    g_assert_null(t.ops);
    /* No polling without a device. */
    g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
  }
  /* The first device libnfc knows is one that does not exist. */
  myna_transport t;
  g_assert_cmpstr(myna_rv_name(myna_nfc_connect(n, NULL, &fast, &t)), ==,
                  myna_rv_name(MYNA_E_NO_READER));
  g_assert_cmpstr(myna_rv_name(myna_nfc_connect(n, "", &fast, &t)), ==,
                  myna_rv_name(MYNA_E_NO_READER));
  /* A cancel with nobody polling is harmless and not kept for later. */
  myna_nfc_cancel(n);
  g_assert_cmpstr(myna_rv_name(myna_nfc_connect(n, missing[0], &fast, &t)), ==,
                  myna_rv_name(MYNA_E_NO_READER));
  myna_nfc_free(n);
}

static void test_list(void)
{
  myna_nfc *n = NULL;
  g_assert_cmpint(myna_nfc_new(&n), ==, MYNA_OK);
  myna_nfc_device *d = NULL;
  size_t count = 0;
  g_assert_cmpint(myna_nfc_list(n, &d, &count), ==, MYNA_OK);
  /* The configured device is listed once, as named, without being opened;
   * its name is its connection string. */
  bool seen = false;
  for(size_t i = 0; i < count; i++) {
    g_assert_nonnull(d[i].connstring);
    g_assert_nonnull(d[i].name);
    if(!strcmp(d[i].connstring, "pn532_uart:/nonexistent/ttyNFC")) {
      g_assert_false(seen);
      seen = true;
      g_assert_cmpstr(d[i].name, ==, d[i].connstring);
    }
  }
  g_assert_true(seen);
  myna_nfc_devices_free(d, count);
  myna_nfc_free(n);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* The only device libnfc knows is one that is not there (libnfc reads the
   * variables when a context is made). */
  g_setenv("LIBNFC_DEFAULT_DEVICE", "pn532_uart:/nonexistent/ttyNFC", TRUE);
  g_unsetenv("LIBNFC_DEVICE");
  g_setenv("LIBNFC_INTRUSIVE_SCAN", "no", TRUE);

  g_test_add_func("/nfc/errors/exchange-and-presence-map", test_error_mapping);
  g_test_add_func("/nfc/timeout/signature-gets-the-long-one", test_timeout_choice);
  g_test_add_func("/nfc/options/defaults-and-floors", test_option_defaults);
  g_test_add_func("/nfc/api/invalid-arguments", test_invalid_arguments);
  g_test_add_func("/nfc/connect/no-such-device", test_no_such_device);
  g_test_add_func("/nfc/list/configured-device-once", test_list);
  return g_test_run();
}
