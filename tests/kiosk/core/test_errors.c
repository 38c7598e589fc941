/* test_errors.c - plain words for every failure (kiosk-errors.h). */

#include <string.h>

#include <gio/gio.h>

#include "kiosk-errors.h"
#include "mynacard/error.h"
#include "mynaportal/error.h"

static GError *
card_error (int rv)
{
  g_autoptr (mp_problem) p = mp_problem_new ();
  GError *e = NULL;
  p->card_rv = rv;
  mp_set_error (&e, MP_ERROR_CARD, p, "card: %s", myna_rv_name ((myna_rv) rv));
  return e;
}

static void
test_every_portal_code_has_words (void)
{
  for (int code = MP_ERROR_CONFIG; code <= MP_ERROR_OUTBOX; code++)
    {
      g_autoptr (GError) e = NULL;
      KioskErrorText t;
      mp_set_error (&e, (mp_error) code, NULL, "technical detail %d", code);
      t = kiosk_error_describe (e);
      g_assert_nonnull (t.title);
      g_assert_cmpuint (strlen (t.title), >, 5);
      g_assert_cmpuint (strlen (t.advice), >, 10);
      g_assert_cmpint (t.action, !=, KIOSK_ERROR_SILENT);
      /* The technical message is for the log, never for the resident. */
      g_assert_null (strstr (t.title, "technical"));
      g_assert_null (strstr (t.advice, "technical"));
    }
}

static void
test_card_failures_told_apart (void)
{
  static const struct { int rv; KioskErrorAction action; } cases[] = {
    { MYNA_E_WRONG_PIN, KIOSK_ERROR_RETRY },
    { MYNA_E_PIN_BLOCKED, KIOSK_ERROR_SEE_STAFF },
    { MYNA_E_PIN_FORMAT, KIOSK_ERROR_FIX_INPUT },
    { MYNA_E_CARD_REMOVED, KIOSK_ERROR_CARD_AGAIN },
    { MYNA_E_NOT_MYNUMBER_CARD, KIOSK_ERROR_SEE_STAFF },
    { MYNA_E_NO_SIGN_CERTIFICATE, KIOSK_ERROR_SEE_STAFF },
    { MYNA_E_NO_SERVICE, KIOSK_ERROR_SEE_STAFF },
    { MYNA_E_IO, KIOSK_ERROR_CARD_AGAIN },
    { MYNA_E_MALFORMED_RESPONSE, KIOSK_ERROR_CARD_AGAIN },
  };
  const char *titles[G_N_ELEMENTS (cases)];
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) e = card_error (cases[i].rv);
      KioskErrorText t = kiosk_error_describe (e);
      g_assert_cmpint (t.action, ==, cases[i].action);
      titles[i] = t.title;
    }
  /* Wrong, blocked and removed are different messages. */
  g_assert_cmpstr (titles[0], !=, titles[1]);
  g_assert_cmpstr (titles[1], !=, titles[3]);
  /* A blocked PIN says where to reset it. */
  {
    g_autoptr (GError) e = card_error (MYNA_E_PIN_BLOCKED);
    g_assert_nonnull (strstr (kiosk_error_describe (e).advice, "municipal office"));
  }
}

static void
test_cancelled_is_silent (void)
{
  g_autoptr (GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_autoptr (GError) c = card_error (MYNA_E_CANCELLED);
  g_assert_cmpint (kiosk_error_describe (e).action, ==, KIOSK_ERROR_SILENT);
  g_assert_cmpint (kiosk_error_describe (c).action, ==, KIOSK_ERROR_SILENT);
}

static void
test_other_domains_get_generic_words (void)
{
  g_autoptr (GError) e = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "/secret/path");
  KioskErrorText t = kiosk_error_describe (e);
  g_assert_cmpint (t.action, ==, KIOSK_ERROR_RETRY);
  g_assert_null (strstr (t.advice, "/secret/path"));
}

static void
test_report_lines_and_log_line (void)
{
  g_autoptr (mp_problem) p = mp_problem_new ();
  g_autoptr (GError) e = NULL;
  g_autoptr (GError) plain = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *log = NULL;

  p->http_status = 422;
  p->code = g_strdup ("form_invalid");
  mp_problem_add_report (p, "child_birth_date", "生年月日を入力してください。");
  mp_problem_add_report (p, "pledge", "確認にチェックしてください。");
  mp_set_error (&e, MP_ERROR_REJECTED, p, "the portal refused the form");
  lines = kiosk_error_report_lines (e);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_cmpstr (lines[0], ==, "child_birth_date: 生年月日を入力してください。");
  log = kiosk_error_log_line (e);
  g_assert_nonnull (strstr (log, "rejected"));
  g_assert_nonnull (strstr (log, "422 form_invalid"));

  mp_set_error (&plain, MP_ERROR_NETWORK, NULL, "dropped");
  g_assert_null (kiosk_error_report_lines (plain));
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "en", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/errors/every-portal-code-has-words", test_every_portal_code_has_words);
  g_test_add_func ("/errors/card-failures-told-apart", test_card_failures_told_apart);
  g_test_add_func ("/errors/cancelled-is-silent", test_cancelled_is_silent);
  g_test_add_func ("/errors/other-domains", test_other_domains_get_generic_words);
  g_test_add_func ("/errors/report-and-log-lines", test_report_lines_and_log_line);
  return g_test_run ();
}
