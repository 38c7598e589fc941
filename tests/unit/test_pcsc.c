/* test_pcsc.c - the pcsc-lite driver without a pcscd: every PC/SC result maps
 * to the error a clerk can act on, part-3 contactless ATRs are told from
 * contact ones, events have stable names, and with no service at all every
 * call says so at once and the monitor reports it and stops when asked. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <winscard.h>

#include "mynapcsc/pcsc.h"

static void test_error_mapping(void)
{
  static const struct {
    LONG scard;
    myna_rv rv;
  } map[] = {
    { SCARD_S_SUCCESS, MYNA_OK },
    /* pcscd gone, stopped or restarted under the context */
    { SCARD_E_NO_SERVICE, MYNA_E_NO_SERVICE },
    { SCARD_E_SERVICE_STOPPED, MYNA_E_NO_SERVICE },
    { SCARD_E_INVALID_HANDLE, MYNA_E_NO_SERVICE },
    { SCARD_F_COMM_ERROR, MYNA_E_NO_SERVICE },
    /* readers */
    { SCARD_E_NO_READERS_AVAILABLE, MYNA_E_NO_READER },
    { SCARD_E_UNKNOWN_READER, MYNA_E_NO_READER },
    { SCARD_E_READER_UNAVAILABLE, MYNA_E_READER_REMOVED },
    { SCARD_E_SHARING_VIOLATION, MYNA_E_READER_BUSY },
    /* cards */
    { SCARD_E_NO_SMARTCARD, MYNA_E_NO_CARD },
    { SCARD_W_REMOVED_CARD, MYNA_E_CARD_REMOVED },
    { SCARD_W_RESET_CARD, MYNA_E_CARD_RESET },
    { SCARD_W_UNRESPONSIVE_CARD, MYNA_E_IO },
    { SCARD_W_UNPOWERED_CARD, MYNA_E_IO },
    { SCARD_W_UNSUPPORTED_CARD, MYNA_E_IO },
    { SCARD_E_NOT_TRANSACTED, MYNA_E_IO },
    { SCARD_E_PROTO_MISMATCH, MYNA_E_IO },
    { SCARD_E_COMM_DATA_LOST, MYNA_E_IO },
    /* the call itself */
    { SCARD_E_TIMEOUT, MYNA_E_TIMEOUT },
    { SCARD_E_CANCELLED, MYNA_E_CANCELLED },
    { SCARD_E_NO_MEMORY, MYNA_E_NO_MEMORY },
    { SCARD_E_INSUFFICIENT_BUFFER, MYNA_E_BUFFER_TOO_SMALL },
    { SCARD_E_INVALID_PARAMETER, MYNA_E_INVALID_ARGUMENT },
    { SCARD_E_INVALID_VALUE, MYNA_E_INVALID_ARGUMENT },
    { SCARD_E_UNSUPPORTED_FEATURE, MYNA_E_NOT_SUPPORTED },
    { SCARD_F_INTERNAL_ERROR, MYNA_E_IO },
    { SCARD_F_UNKNOWN_ERROR, MYNA_E_IO },
    { SCARD_E_SERVER_TOO_BUSY, MYNA_E_IO },
    { SCARD_W_SECURITY_VIOLATION, MYNA_E_IO },
    { (LONG)0x80100FFF, MYNA_E_IO },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(map); i++) {
    if(g_test_verbose())
      g_test_message("0x%08lX", (unsigned long)map[i].scard);
    g_assert_cmpstr(myna_rv_name(myna_pcsc_rv(map[i].scard)), ==,
                    myna_rv_name(map[i].rv));
  }
}

static bool contactless_hex(const char *hex)
{
  uint8_t atr[64];
  size_t n = myna_test_unhex(hex, atr, sizeof(atr));
  return myna_pcsc_atr_is_contactless(atr, n);
}

static void test_contactless_atr(void)
{
  /* Part 3, storage card (MIFARE Classic 1K): RID A000000306, SS, NN. */
  g_assert_true(contactless_hex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01"
                                " 00 00 00 00 6A"));
  /* Part 3, ISO 14443-4 type B (the My Number Card on a contactless
   * reader): ATQB application data, protocol info, MBLI|CID. */
  g_assert_true(contactless_hex("3B 88 80 01 00 00 00 00 00 00 00 00 09"));
  g_assert_true(contactless_hex("3B 88 80 01 E1 F3 5E 11 77 81 A1 00 03"));
  /* Type A with no historical bytes. */
  g_assert_true(contactless_hex("3B 80 80 01 01"));
}

static void test_contact_atr_is_not_contactless(void)
{
  g_assert_false(contactless_hex("3B E0 00 FF 81 31 FE 45 14"));
  g_assert_false(contactless_hex("3B DA 13 FF 81 31 FB 46 80 12 39 2F 31 C1 73"
                                 " C6 01 C0 3B"));
  g_assert_false(contactless_hex("3B 60 00 FF"));
  /* Right start, other protocol bytes. */
  g_assert_false(contactless_hex("3B 88 81 01 00 00 00 00 00 00 00 00 08"));
  g_assert_false(contactless_hex("3B 88 80 02 00 00 00 00 00 00 00 00 0A"));
  g_assert_false(contactless_hex("3F 88 80 01 00 00 00 00 00 00 00 00 09"));
}

static void test_truncated_atr_is_not_contactless(void)
{
  g_assert_false(contactless_hex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01"
                                 " 00 00 00 00"));
  g_assert_false(contactless_hex("3B 88 80 01 00 00 00 00"));
  g_assert_false(contactless_hex("3B 88 80 01"));
  g_assert_false(contactless_hex("3B 88 80"));
  g_assert_false(contactless_hex("3B"));
  g_assert_false(myna_pcsc_atr_is_contactless(NULL, 0));
  g_assert_false(myna_pcsc_atr_is_contactless(NULL, 13));
  /* Longer than its T0 says. */
  g_assert_false(contactless_hex("3B 80 80 01 01 00"));
}

static void test_event_names(void)
{
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_READER_ADDED), ==, "reader-added");
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_READER_REMOVED), ==, "reader-removed");
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_CARD_INSERTED), ==, "card-inserted");
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_CARD_REMOVED), ==, "card-removed");
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_SERVICE_LOST), ==, "service-lost");
  g_assert_cmpstr(myna_pcsc_event_name(MYNA_PCSC_SERVICE_BACK), ==, "service-back");
  g_assert_cmpstr(myna_pcsc_event_name((myna_pcsc_event_kind)99), ==, "unknown");
}

static void test_invalid_arguments(void)
{
  myna_pcsc *p = NULL;
  g_assert_cmpint(myna_pcsc_new(NULL), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_pcsc_new(&p), ==, MYNA_OK);
  myna_pcsc_reader *r = NULL;
  size_t n = 7;
  g_assert_cmpint(myna_pcsc_list(p, NULL, &n), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpuint(n, ==, 0);
  g_assert_cmpint(myna_pcsc_list(NULL, &r, &n), ==, MYNA_E_INVALID_ARGUMENT);
  g_assert_cmpint(myna_pcsc_find_reader(p, NULL, NULL), ==, MYNA_E_INVALID_ARGUMENT);
  myna_transport t = { (const myna_transport_ops *)1, (void *)1 };
  g_assert_cmpint(myna_pcsc_connect(p, NULL, (myna_pcsc_share)5, &t), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_null(t.ops);
  g_assert_null(t.ctx);
  myna_pcsc_monitor *m = NULL;
  g_assert_cmpint(myna_pcsc_monitor_new(NULL, NULL, NULL, &m), ==,
                  MYNA_E_INVALID_ARGUMENT);
  g_assert_null(m);
  myna_pcsc_readers_free(NULL, 0);
  myna_pcsc_monitor_free(NULL);
  myna_pcsc_free(NULL);
  myna_pcsc_free(p);
}

static void test_protocol_of_another_transport(void)
{
  myna_vcard *card = myna_test_vcard_new("adult", 0);
  myna_transport t = myna_vcard_transport(card, false);
  g_assert_cmpint(myna_pcsc_transport_protocol(&t), ==, -1);
  g_assert_cmpint(myna_pcsc_transport_protocol(NULL), ==, -1);
  t.ops->destroy(t.ctx);
  myna_test_vcard_free(card);
}

/* main() points pcsc-lite at a socket nobody listens on. */
static void test_no_service(void)
{
  myna_pcsc *p = NULL;
  g_assert_cmpint(myna_pcsc_new(&p), ==, MYNA_OK);
  myna_pcsc_reader *r = NULL;
  size_t n = 0;
  /* Twice: a call after a failed one tries again (and fails again). */
  for(int i = 0; i < 2; i++) {
    g_assert_cmpint(myna_pcsc_list(p, &r, &n), ==, MYNA_E_NO_SERVICE);
    g_assert_null(r);
    g_assert_cmpuint(n, ==, 0);
  }
  char *name = NULL;
  g_assert_cmpint(myna_pcsc_find_reader(p, "x", &name), ==, MYNA_E_NO_SERVICE);
  g_assert_null(name);
  myna_transport t;
  g_assert_cmpint(myna_pcsc_connect(p, NULL, MYNA_PCSC_EXCLUSIVE, &t), ==,
                  MYNA_E_NO_SERVICE);
  g_assert_null(t.ops);
  myna_pcsc_free(p);
}

typedef struct seen {
  GString *kinds;
  unsigned calls;
} seen;

static void record(const myna_pcsc_event *ev, void *user)
{
  seen *s = user;
  s->calls++;
  g_string_append_printf(s->kinds, "%s%s", s->kinds->len ? " " : "",
                         myna_pcsc_event_name(ev->kind));
  g_assert_null(ev->reader);
  g_assert_null(ev->atr);
}

static void test_monitor_without_service(void)
{
  GMainContext *ctx = g_main_context_new();
  seen s = { g_string_new(NULL), 0 };
  myna_pcsc_monitor *m = NULL;
  g_assert_cmpint(myna_pcsc_monitor_new(ctx, record, &s, &m), ==, MYNA_OK);
  gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  while(!s.calls && g_get_monotonic_time() < deadline)
    g_main_context_iteration(ctx, TRUE);
  g_assert_cmpstr(s.kinds->str, ==, "service-lost");
  /* Knocking on a missing pcscd is not news: nothing more comes. */
  deadline = g_get_monotonic_time() + 300 * G_TIME_SPAN_MILLISECOND;
  while(g_get_monotonic_time() < deadline)
    g_main_context_iteration(ctx, FALSE);
  g_assert_cmpuint(s.calls, ==, 1);
  /* The back-off wait ends as soon as free asks. */
  gint64 t0 = g_get_monotonic_time();
  myna_pcsc_monitor_free(m);
  g_assert_cmpint(g_get_monotonic_time() - t0, <, 200 * G_TIME_SPAN_MILLISECOND);
  g_string_free(s.kinds, TRUE);
  g_main_context_unref(ctx);
}

static void test_no_callback_after_free(void)
{
  GMainContext *ctx = g_main_context_new();
  seen s = { g_string_new(NULL), 0 };
  myna_pcsc_monitor *m = NULL;
  g_assert_cmpint(myna_pcsc_monitor_new(ctx, record, &s, &m), ==, MYNA_OK);
  /* The event is queued on the context, not yet run. */
  gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  while(!g_main_context_pending(ctx) && g_get_monotonic_time() < deadline)
    g_usleep(1000);
  g_assert_true(g_main_context_pending(ctx));
  myna_pcsc_monitor_free(m);
  while(g_main_context_iteration(ctx, FALSE))
    ;
  g_assert_cmpuint(s.calls, ==, 0);
  g_string_free(s.kinds, TRUE);
  g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* No pcscd for unit tests: a socket path where none can be. */
  g_autofree char *dir = g_dir_make_tmp("myna-pcsc-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *sock = g_build_filename(dir, "pcscd.comm", NULL);
  g_setenv("PCSCLITE_CSOCK_NAME", sock, TRUE);

  g_test_add_func("/pcsc/errors/every-scard-result-maps", test_error_mapping);
  g_test_add_func("/pcsc/atr/part3-contactless", test_contactless_atr);
  g_test_add_func("/pcsc/atr/contact-is-not-contactless",
                  test_contact_atr_is_not_contactless);
  g_test_add_func("/pcsc/atr/truncated-is-not-contactless",
                  test_truncated_atr_is_not_contactless);
  g_test_add_func("/pcsc/events/names", test_event_names);
  g_test_add_func("/pcsc/api/invalid-arguments", test_invalid_arguments);
  g_test_add_func("/pcsc/api/protocol-of-another-transport",
                  test_protocol_of_another_transport);
  g_test_add_func("/pcsc/service/absent-every-call-says-so", test_no_service);
  g_test_add_func("/pcsc/monitor/service-absent-reported-and-free-is-prompt",
                  test_monitor_without_service);
  g_test_add_func("/pcsc/monitor/no-callback-after-free",
                  test_no_callback_after_free);
  int rv = g_test_run();
  g_rmdir(dir);
  return rv;
}
