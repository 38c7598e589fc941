/* test_kiosk_session.c - KioskSession against a running portal-sim
 * (portalenv.py --dev: PORTAL_URL, PORTAL_CA, PORTAL_TERMINAL_CERT/KEY) with
 * the software card in-process (a private copy of the test PKI's "adult"
 * profile per test, so that PIN counters are the test's own).
 *
 * What the card's counters say is read from the card itself
 * (kiosk-card-monitor-private.h), never through a VERIFY. The portal's
 * faults (/_dev/faults) make it unreachable or slow where a test needs it. */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <string.h>

#include "mynacard/mynacard.h"
#include "mynaportal/error.h"
#include "package.h"
#include "report.h"

#include "kiosk-card-monitor-private.h"
#include "kiosk-session.h"
#include "session-test-util.h"

#define PROC "102016-jidouteate-nintei"

typedef struct
{
  char *dir;
  char *profile_dir;
  KioskConfig *cfg;
  KioskCardMonitor *monitor;
  mp_outbox *outbox;
  KioskSession *session;
  guint ended;
} Fixture;

/* ---- the portal's dev routes, through curl ---- */

/* One request to portal-sim through curl (the harness's own client, not the
 * one under test); the answer's body. token: a Bearer token or NULL. */
static char *
portal_request (const char *method, const char *path, const char *body, const char *token)
{
  g_autofree char *url = g_strconcat (g_getenv ("PORTAL_URL"), path, NULL);
  g_autofree char *auth = token ? g_strconcat ("Authorization: Bearer ", token, NULL) : NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *fixed[] = { "curl", "-sS", "--cacert", g_getenv ("PORTAL_CA"), "-X", method,
                          "-H", "Content-Type: application/json", "-w", "\n%{http_code}" };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  if (auth)
    {
      g_ptr_array_add (argv, "-H");
      g_ptr_array_add (argv, auth);
    }
  if (body)
    {
      g_ptr_array_add (argv, "--data-binary");
      g_ptr_array_add (argv, (gpointer) body);
    }
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("curl %s %s: %s", method, path, err);
  char *nl = strrchr (out, '\n');
  g_assert_nonnull (nl);
  if (strcmp (nl + 1, "200") != 0)
    g_error ("%s %s: HTTP %s: %.*s", method, path, nl + 1, (int) (nl - out), out);
  *nl = '\0';
  return g_steal_pointer (&out);
}

static char *
portal_dev (const char *method, const char *path, const char *body)
{
  return portal_request (method, path, body, NULL);
}

static void
faults_clear (void)
{
  g_free (portal_dev ("DELETE", "/_dev/faults", NULL));
}

static void
faults_add (const char *rules_json)
{
  g_autofree char *body = g_strdup_printf ("{\"rules\": %s}", rules_json);
  g_free (portal_dev ("POST", "/_dev/faults", body));
}

static gboolean
faults_all_taken (gpointer data)
{
  g_autofree char *out = portal_dev ("GET", "/_dev/faults", NULL);
  return strstr (out, "path_prefix") == NULL;
}

/* ---- the fixture ---- */

static void
on_ended (KioskSession *s, Fixture *f)
{
  f->ended++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  faults_clear ();
  f->dir = g_dir_make_tmp ("kiosk-session-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->cfg = kiosk_config_new ();
  mp_config *p = f->cfg->portal;
  p->base_url = g_strdup (g_getenv ("PORTAL_URL"));
  p->ca_file = g_strdup (g_getenv ("PORTAL_CA"));
  p->terminal_id = g_strdup ("kiosk-test-01");
  p->client_cert = g_strdup (g_getenv ("PORTAL_TERMINAL_CERT"));
  p->client_key = g_strdup (g_getenv ("PORTAL_TERMINAL_KEY"));
  g_assert_nonnull (p->base_url);
  g_assert_nonnull (p->client_cert);
  p->retry_total_ms = 3000;
  p->retry_base_ms = 50;
  p->retry_max_ms = 500;
  p->connect_timeout_ms = 2000;
  p->low_speed_time_s = 20;
  g_free (p->outbox_dir);
  p->outbox_dir = g_build_filename (f->dir, "outbox", NULL);
  f->cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
  f->cfg->vcard_profile = test_profile_copy ("adult", f->dir, "card");
  f->profile_dir = g_path_get_dirname (f->cfg->vcard_profile);

  g_autoptr (GError) error = NULL;
  f->monitor = kiosk_card_monitor_new (f->cfg, &error);
  g_assert_no_error (error);
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  f->outbox = mp_outbox_open (p->outbox_dir, &error);
  g_assert_no_error (error);
  f->session = kiosk_session_new (f->cfg, f->monitor, f->outbox, &error);
  g_assert_no_error (error);
  g_signal_connect (f->session, "ended", G_CALLBACK (on_ended), f);
}

static void
end_and_wait (Fixture *f)
{
  guint before = f->ended;
  kiosk_session_end (f->session);
  while (f->ended == before)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (kiosk_session_has_card (f->session));
  g_assert_false (kiosk_session_is_logged_in (f->session));
  g_assert_false (mp_client_is_logged_in (kiosk_session_get_client (f->session)));
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 0);
}

static gboolean
object_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  end_and_wait (f);
  /* The logout at the portal holds the session until it is answered. */
  gpointer session = f->session;
  g_object_add_weak_pointer (G_OBJECT (f->session), &session);
  g_object_unref (f->session);
  test_run_until (object_gone, &session, "the session to be finalized");
  g_assert_finalize_object (f->monitor);
  mp_outbox_close (f->outbox);
  kiosk_config_free (f->cfg);
  test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->profile_dir);
  faults_clear ();
}

/* ---- steps ---- */

static myna_secret *
secret (const char *text)
{
  return myna_secret_from_bytes (text, strlen (text));
}

static int
begin (Fixture *f)
{
  TestWait w = { 0 };
  kiosk_session_begin_async (f->session, NULL, test_wait_cb, &w);
  int tries = -2;
  g_autoptr (GError) error = NULL;
  g_assert_true (kiosk_session_begin_finish (f->session, test_wait_result (&w, "begin"), &tries,
                                             &error));
  g_assert_no_error (error);
  test_wait_clear (&w);
  g_assert_true (kiosk_session_has_card (f->session));
  return tries;
}

static gboolean
login (Fixture *f, const char *pin, int *tries, GError **error)
{
  TestWait w = { 0 };
  kiosk_session_login_async (f->session, secret (pin), NULL, test_wait_cb, &w);
  gboolean ok = kiosk_session_login_finish (f->session, test_wait_result (&w, "login"), tries,
                                            error);
  test_wait_clear (&w);
  return ok;
}

static void
login_ok (Fixture *f)
{
  int tries = -2;
  g_autoptr (GError) error = NULL;
  g_assert_true (login (f, "1234", &tries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tries, ==, -1);
  g_assert_true (kiosk_session_is_logged_in (f->session));
}

static int
sign_tries (Fixture *f)
{
  TestWait w = { 0 };
  kiosk_session_sign_tries_async (f->session, NULL, test_wait_cb, &w);
  g_autoptr (GError) error = NULL;
  int tries = kiosk_session_sign_tries_finish (f->session, test_wait_result (&w, "sign tries"),
                                               &error);
  g_assert_no_error (error);
  test_wait_clear (&w);
  return tries;
}

static gboolean
submit (Fixture *f, mp_package_builder *b, const char *password, KioskSubmitState *state,
        mp_outbox_entry **entry, int *tries, GError **error)
{
  TestWait w = { 0 };
  kiosk_session_submit_async (f->session, b, secret (password), NULL, NULL, test_wait_cb, &w);
  gboolean ok = kiosk_session_submit_finish (f->session, test_wait_result (&w, "submit"), state,
                                             entry, tries, error);
  test_wait_clear (&w);
  return ok;
}

static int
card_rv_of (const GError *error)
{
  g_assert_error (error, MP_ERROR, MP_ERROR_CARD);
  const mp_problem *p = mp_error_get_problem (error);
  g_assert_nonnull (p);
  return p->card_rv;
}

/* The 児童手当 form of the adult profile's resident, with the health
 * insurance document attached. without: a required field left out. */
static mp_package_builder *
application (Fixture *f, const char *without)
{
  static const char *const fields[][2] = {
    { "applicant_name", "holder_name" },
    { "applicant_kana", "holder_name_kana" },
    { "applicant_birth_date", "birth_date" },
    { "applicant_my_number", "my_number" },
    { "applicant_address", "address" },
  };
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "items");
  json_builder_begin_object (jb);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      if (g_strcmp0 (without, fields[i][0]) == 0)
        continue;
      g_autofree char *v = test_profile_string ("adult", fields[i][1]);
      json_builder_set_member_name (jb, fields[i][0]);
      json_builder_add_string_value (jb, v);
    }
  static const char *const fixed[][2] = {
    { "applicant_postal_code", "371-0022" }, { "applicant_phone", "027-224-1111" },
    { "pension_type", "kousei" }, { "jan1_residence", "shinai" }, { "reason", "birth" },
    { "reason_date", "2025-05-01" }, { "has_spouse", "nashi" }, { "account_method", "koukin" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      json_builder_set_member_name (jb, fixed[i][0]);
      json_builder_add_string_value (jb, fixed[i][1]);
    }
  json_builder_set_member_name (jb, "pledge");
  json_builder_add_boolean_value (jb, TRUE);
  json_builder_end_object (jb);
  json_builder_set_member_name (jb, "groups");
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "children");
  json_builder_begin_array (jb);
  json_builder_begin_object (jb);
  static const char *const child[][2] = {
    { "child_name", "高橋　陽向" }, { "child_kana", "タカハシ　ヒナタ" },
    { "child_birth_date", "2025-05-01" }, { "child_relation", "ko" },
    { "child_living", "doukyo" }, { "child_category", "shikyu" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (child); i++)
    {
      json_builder_set_member_name (jb, child[i][0]);
      json_builder_add_string_value (jb, child[i][1]);
    }
  json_builder_end_object (jb);
  json_builder_end_array (jb);
  json_builder_end_object (jb);
  json_builder_end_object (jb);
  g_autoptr (JsonNode) form = json_builder_get_root (jb);

  g_autoptr (GError) error = NULL;
  mp_package_builder *b = mp_package_builder_new (PROC, &error);
  g_assert_no_error (error);
  g_assert_true (mp_package_builder_set_form (b, form, &error));
  g_assert_no_error (error);
  g_autofree char *pdf = g_build_filename (f->dir, "hoken.pdf", NULL);
  g_autoptr (GString) doc = g_string_new ("%PDF-1.4\n% health insurance card copy\n");
  for (int i = 0; i < 200; i++)
    g_string_append_printf (doc, "%% line %d of the document\n", i);
  g_string_append (doc, "%%EOF\n");
  g_assert_true (g_file_set_contents (pdf, doc->str, (gssize) doc->len, NULL));
  g_assert_true (mp_package_builder_add_attachment (b, "kenkou_hoken", pdf, "健康保険証.pdf",
                                                    &error));
  g_assert_no_error (error);
  return b;
}

static guint
outbox_count (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = mp_outbox_list (f->outbox, 0, &error);
  g_assert_no_error (error);
  return all->len;
}

/* Nothing of a package that did not enter the outbox is left on disk. */
static void
assert_nothing_staged (Fixture *f)
{
  g_autofree char *staging = g_build_filename (mp_outbox_dir (f->outbox), "staging", NULL);
  g_autoptr (GDir) d = g_dir_open (staging, 0, NULL);
  if (d)
    g_assert_null (g_dir_read_name (d));
}

static char *
sha256_file_hex (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  guint8 md[32];
  unsigned int n = 0;
  g_assert_true (EVP_Digest (data, len, md, &n, EVP_sha256 (), NULL));
  GString *hex = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  return g_string_free (hex, FALSE);
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* What the municipality received for receipt_no (申請管理, /receive/ws),
 * checked as the contract says a package is checked: xmlsec1 on its
 * kousei.xml with the JPKI sign CA. Returns the stored package's SHA-256. */
static char *
verify_stored_package (Fixture *f, const char *receipt_no)
{
  static const char muni_password[] = "Maebashi-Test-2026";
  guint8 md[32];
  unsigned int n = 0;
  g_assert_true (EVP_Digest (muni_password, strlen (muni_password), md, &n, EVP_sha256 (),
                             NULL));
  GString *hex = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  g_autofree char *login_body =
    g_strdup_printf ("{\"id\": \"maebashi-kosodate\", \"password\": \"%s\"}", hex->str);
  g_string_free (hex, TRUE);
  g_autofree char *login = portal_request ("POST", "/receive/ws/login", login_body, NULL);
  g_autoptr (JsonParser) lp = json_parser_new ();
  const char *token = json_object_get_string_member (parse_object (lp, login), "token");

  g_autofree char *get_body = g_strdup_printf ("{\"receipt_no\": \"%s\"}", receipt_no);
  g_autofree char *got = portal_request ("POST", "/receive/ws/applicationGet", get_body, token);
  g_autoptr (JsonParser) gp = json_parser_new ();
  JsonObject *app = json_object_get_object_member (parse_object (gp, got), "application");
  g_assert_cmpstr (json_object_get_string_member (app, "proc_id"), ==, PROC);
  JsonObject *pkg = json_object_get_object_member (app, "package");

  g_autofree char *folder = g_build_filename (f->dir, "stored", NULL);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  JsonArray *files = json_object_get_array_member (pkg, "files");
  gboolean has_pdf = FALSE;
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonObject *file = json_array_get_object_element (files, i);
      const char *name = json_object_get_string_member (file, "name");
      gsize len = 0;
      g_autofree guchar *data = g_base64_decode (json_object_get_string_member (file, "data"),
                                                 &len);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, NULL));
      has_pdf = has_pdf || strcmp (name, "健康保険証.pdf") == 0;
    }
  g_assert_true (has_pdf);
  g_autofree char *kousei = g_build_filename (folder, "kousei.xml", NULL);
  g_assert_true (g_file_set_contents (kousei, json_object_get_string_member (pkg, "kousei_xml"),
                                      -1, NULL));
  g_autofree char *ca = g_build_filename (test_pki_dir (), "ca", "sign-ca.pem", NULL);
  const char *argv[] = { "xmlsec1", "--verify", "--trusted-pem", ca, "--id-attr:Id", "構成情報",
                         "kousei.xml", NULL };
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (folder, (char **) argv, NULL, G_SPAWN_SEARCH_PATH
                               | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
                               &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("xmlsec1 --verify refused the stored package: %s", err);
  return g_strdup (json_object_get_string_member (pkg, "sha256"));
}

/* ---- tests ---- */

static void
test_begin_reads_tries_without_spending_one (Fixture *f, gconstpointer data)
{
  unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  g_assert_cmpint (begin (f), ==, 3);
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "auth"), ==, 3);
  g_assert_cmpuint (kiosk_card_monitor_vcard_apdu_count (f->monitor), >, before);
  g_assert_false (kiosk_session_is_logged_in (f->session));
  /* A second begin while the card session is open is refused. */
  TestWait w = { 0 };
  kiosk_session_begin_async (f->session, NULL, test_wait_cb, &w);
  g_autoptr (GError) error = NULL;
  int tries = 0;
  g_assert_false (kiosk_session_begin_finish (f->session, test_wait_result (&w, "begin"),
                                              &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_READER_BUSY);
  g_assert_cmpint (tries, ==, -1);
  test_wait_clear (&w);
  g_assert_true (kiosk_session_has_card (f->session));
}

static void
test_begin_without_card_fails (Fixture *f, gconstpointer data)
{
  kiosk_card_monitor_set_vcard_present (f->monitor, FALSE);
  TestWait w = { 0 };
  kiosk_session_begin_async (f->session, NULL, test_wait_cb, &w);
  g_autoptr (GError) error = NULL;
  g_assert_false (kiosk_session_begin_finish (f->session, test_wait_result (&w, "begin"), NULL,
                                              &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_NO_CARD);
  test_wait_clear (&w);
  g_assert_false (kiosk_session_has_card (f->session));
  /* Nothing to log in with. */
  int tries = 0;
  g_clear_error (&error);
  g_assert_false (login (f, "1234", &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_NO_CARD);
  kiosk_card_monitor_set_vcard_present (f->monitor, TRUE);
  g_assert_cmpint (begin (f), ==, 3);
}

static void
test_wrong_pin_spends_one_try_and_does_not_log_in (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (login (f, "9999", &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint (tries, ==, 2);
  g_assert_false (kiosk_session_is_logged_in (f->session));
  g_assert_false (mp_client_is_logged_in (kiosk_session_get_client (f->session)));
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "auth"), ==, 2);
  /* The next resident's begin reads what is left. */
  end_and_wait (f);
  g_assert_cmpint (begin (f), ==, 2);
}

static void
test_badly_formed_pin_never_reaches_the_card (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  const char *bad[] = { "12a4", "123", "12345", "" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
      int tries = 0;
      g_autoptr (GError) error = NULL;
      g_assert_false (login (f, bad[i], &tries, &error));
      g_assert_cmpint (card_rv_of (error), ==, MYNA_E_PIN_FORMAT);
      g_assert_cmpint (tries, ==, -1);
      g_assert_cmpuint (kiosk_card_monitor_vcard_apdu_count (f->monitor), ==, before);
    }
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "auth"), ==, 3);
  end_and_wait (f);
  g_assert_cmpint (begin (f), ==, 3);
}

static void
test_right_pin_logs_in_and_end_logs_out (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "auth"), ==, 3);
  g_assert_cmpint (mp_client_session_expires_in (kiosk_session_get_client (f->session)), >, 60);
  /* A resident call works with the session's tokens. */
  g_autoptr (GError) error = NULL;
  g_autoptr (mp_result) r = mp_client_call (kiosk_session_get_client (f->session),
                                            mp_call_selfinfo_categories (), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->http_status, ==, 200);
  end_and_wait (f);
  g_assert_cmpuint (f->ended, ==, 1);
  g_autoptr (mp_result) after = mp_client_call (kiosk_session_get_client (f->session),
                                                mp_call_selfinfo_categories (), NULL, &error);
  g_assert_null (after);
  g_assert_error (error, MP_ERROR, MP_ERROR_NOT_LOGGED_IN);
  /* end twice is harmless and says so twice. */
  end_and_wait (f);
  g_assert_cmpuint (f->ended, ==, 2);
}

/* The next resident's begin may come right after the end: the old card is
 * closed first (an exclusive connect would otherwise find it busy). */
static void
test_begin_right_after_end (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  kiosk_session_end (f->session);
  g_assert_false (kiosk_session_has_card (f->session));
  g_assert_false (kiosk_session_is_logged_in (f->session));
  g_assert_cmpint (begin (f), ==, 3);
  g_assert_cmpuint (f->ended, ==, 1);
  g_assert_false (kiosk_session_is_logged_in (f->session));
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 1);
}

static void
test_submit_delivers_a_verified_package (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  g_assert_cmpint (sign_tries (f), ==, 5);
  KioskSubmitState state = -1;
  g_autoptr (mp_outbox_entry) entry = NULL;
  int tries = 0;
  g_autoptr (GError) error = NULL;
  /* Lower case: the password is normalised to upper case. */
  g_assert_true (submit (f, application (f, NULL), "sign2026", &state, &entry, &tries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state, ==, KIOSK_SUBMIT_DELIVERED);
  g_assert_cmpint (tries, ==, -1);
  g_assert_nonnull (entry);
  g_assert_cmpint (entry->state, ==, MP_OUTBOX_DELIVERED);
  g_assert_cmpstr (entry->proc_id, ==, PROC);
  g_assert_nonnull (entry->arrive_id);
  g_assert_cmpuint (strlen (entry->arrive_id), ==, 16);
  g_assert_null (entry->package_path);  /* wiped once delivered */
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "sign"), ==, 5);
  g_assert_cmpuint (outbox_count (f), ==, 1);
  assert_nothing_staged (f);

  /* The portal has it, as this resident's: it verified the package's
   * signature before it gave the receipt. */
  g_autoptr (mp_result) r = mp_client_call (kiosk_session_get_client (f->session),
                                            mp_call_apply_status (entry->arrive_id), NULL,
                                            &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (r->results);
  g_assert_cmpstr (json_object_get_string_member (o, "arrive_id"), ==, entry->arrive_id);
  g_assert_cmpstr (json_object_get_string_member (o, "proc_id"), ==, PROC);
  /* What the municipality got is exactly what was signed here, and its
   * signature verifies. */
  g_autofree char *stored_sha = verify_stored_package (f, entry->arrive_id);
  g_assert_cmpstr (stored_sha, ==, entry->package_sha256);

  /* A correction (補正) of an application nobody asked to correct: the
   * portal's check passes (it looks at the package), the delivery is
   * refused for its content, and the entry says why. */
  KioskSubmitState amend_state = -1;
  g_autoptr (mp_outbox_entry) amend = NULL;
  TestWait w = { 0 };
  kiosk_session_submit_async (f->session, application (f, NULL), secret ("SIGN2026"),
                              entry->arrive_id, NULL, test_wait_cb, &w);
  g_assert_true (kiosk_session_submit_finish (f->session, test_wait_result (&w, "amend"),
                                              &amend_state, &amend, &tries, &error));
  g_assert_no_error (error);
  test_wait_clear (&w);
  g_assert_cmpint (amend_state, ==, KIOSK_SUBMIT_REJECTED);
  g_assert_cmpint (amend->state, ==, MP_OUTBOX_REJECTED);
  g_assert_cmpint (amend->kind, ==, MP_OUTBOX_AMEND);
  g_assert_cmpstr (amend->amend_arrive_id, ==, entry->arrive_id);
  g_assert_nonnull (amend->rejection);
  g_assert_nonnull (strstr (amend->rejection, "not_amendable"));
  g_test_message ("amend refused: %s", amend->rejection);
}

static void
test_wrong_sign_password_keeps_the_outbox_empty (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  KioskSubmitState state;
  mp_outbox_entry *entry = NULL;
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (submit (f, application (f, NULL), "WRONG123", &state, &entry, &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_WRONG_PIN);
  g_assert_cmpint (tries, ==, 4);
  g_assert_null (entry);
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "sign"), ==, 4);
  g_assert_cmpint (sign_tries (f), ==, 4);
  g_assert_cmpuint (outbox_count (f), ==, 0);
  assert_nothing_staged (f);

  /* A password of the wrong form costs nothing. */
  g_clear_error (&error);
  unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  g_assert_false (submit (f, application (f, NULL), "SIGN-2026", &state, &entry, &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_PIN_FORMAT);
  g_assert_cmpint (tries, ==, -1);
  g_assert_cmpuint (kiosk_card_monitor_vcard_apdu_count (f->monitor), ==, before);
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "sign"), ==, 4);
  g_assert_cmpuint (outbox_count (f), ==, 0);
}

static void
test_refused_form_never_enters_the_outbox (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  KioskSubmitState state;
  mp_outbox_entry *entry = NULL;
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (submit (f, application (f, "applicant_name"), "SIGN2026", &state, &entry,
                          &tries, &error));
  g_assert_error (error, MP_ERROR, MP_ERROR_REJECTED);
  g_assert_null (entry);
  const mp_problem *p = mp_error_get_problem (error);
  g_assert_nonnull (p);
  g_assert_cmpuint (p->report->len, >, 0);
  gboolean named = FALSE;
  for (guint i = 0; i < p->report->len; i++)
    {
      const mp_report_item *it = p->report->pdata[i];
      g_test_message ("report: %s: %s", it->item, it->content);
      named = named || strstr (it->item, "applicant_name") != NULL;
    }
  g_assert_true (named);
  g_assert_cmpuint (outbox_count (f), ==, 0);
  assert_nothing_staged (f);
}

static void
test_unreachable_portal_keeps_it_pending (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  /* apply/check passes; every send of the application is cut off. */
  faults_add ("[{\"method\": \"POST\", \"path_prefix\": \"/shinsei/v2/apply/check\","
              "  \"stall_ms\": 0},"
              " {\"method\": \"POST\", \"path_prefix\": \"/shinsei/v2/apply\","
              "  \"drop_request_after\": 0, \"times\": 1000}]");
  KioskSubmitState state = -1;
  g_autoptr (mp_outbox_entry) entry = NULL;
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (submit (f, application (f, NULL), "SIGN2026", &state, &entry, &tries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state, ==, KIOSK_SUBMIT_PENDING);
  g_assert_nonnull (entry);
  g_assert_cmpint (entry->state, ==, MP_OUTBOX_PENDING);
  g_assert_null (entry->arrive_id);
  g_assert_cmpuint (entry->attempts, >, 0);
  g_assert_nonnull (entry->package_path);

  /* What waits is the signed package, by this card's sign key. */
  g_autofree char *zip = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (entry->package_path, &zip, &len, NULL));
  g_assert_true (ps_package_global_init ());
  g_autoptr (GPtrArray) report = ps_report_new ();
  g_autoptr (ps_package) pkg = NULL;
  g_assert_true (ps_package_verify ((const uint8_t *) zip, len, NULL, &pkg, report));
  g_assert_cmpstr (pkg->proc_id, ==, PROC);
  g_autofree char *sign_der = g_build_filename (f->profile_dir, "sign.der", NULL);
  g_autofree char *cert_sha = sha256_file_hex (sign_der);
  g_assert_cmpstr (pkg->applicant_cert_sha256, ==, cert_sha);
  g_assert_cmpstr (entry->package_sha256, ==, pkg->zip_sha256);

  /* The portal answers again; the kiosk sends what waits, and the resident
   * leaving meanwhile does not stop it (the entry then goes with the
   * terminal's certificate). */
  faults_clear ();
  TestWait w = { 0 };
  kiosk_session_deliver_pending_async (f->session, NULL, test_wait_cb, &w);
  kiosk_session_end (f->session);
  mp_delivery d = { 0 };
  g_assert_true (kiosk_session_deliver_pending_finish (f->session,
                                                       test_wait_result (&w, "delivery"), &d,
                                                       &error));
  g_assert_no_error (error);
  test_wait_clear (&w);
  g_assert_cmpuint (d.delivered, ==, 1);
  g_assert_cmpuint (d.pending, ==, 0);
  g_autoptr (mp_outbox_entry) now = mp_outbox_get (f->outbox, entry->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (now->state, ==, MP_OUTBOX_DELIVERED);
  g_assert_cmpuint (strlen (now->arrive_id), ==, 16);
  g_assert_false (g_file_test (entry->package_path, G_FILE_TEST_EXISTS));
}

static gboolean
card_gone (gpointer data)
{
  return !kiosk_card_monitor_get_card_present (KIOSK_CARD_MONITOR (data));
}

static void
test_card_pulled_while_signing (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  /* The VERIFY and the first two APDUs of reading the sign certificate are
   * answered; then the card is gone. */
  unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  kiosk_card_monitor_vcard_remove_after (f->monitor, 3);
  KioskSubmitState state;
  mp_outbox_entry *entry = NULL;
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (submit (f, application (f, NULL), "SIGN2026", &state, &entry, &tries, &error));
  g_test_message ("%s", error->message);
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_CARD_REMOVED);
  g_assert_null (entry);
  g_assert_cmpuint (kiosk_card_monitor_vcard_apdu_count (f->monitor) - before, ==, 3);
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "sign"), ==, 5);
  g_assert_cmpuint (outbox_count (f), ==, 0);
  assert_nothing_staged (f);
  test_run_until (card_gone, f->monitor, "card-removed");

  /* What the kiosk then does: end, and the card's next session finds the
   * session's card closed. */
  end_and_wait (f);
  g_clear_error (&error);
  g_assert_false (login (f, "1234", &tries, &error));
  g_assert_cmpint (card_rv_of (error), ==, MYNA_E_NO_CARD);
}

static void
test_end_during_login_cancels_it (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  /* The portal sits on the challenge's answer for 10 s. */
  faults_add ("[{\"method\": \"POST\", \"path_prefix\": \"/auth/v1/challenge\","
              "  \"stall_ms\": 10000}]");
  TestWait w = { 0 };
  kiosk_session_login_async (f->session, secret ("1234"), NULL, test_wait_cb, &w);
  /* Wait until the portal holds the challenge (the rule is used up): the
   * PIN is verified and the login is at the portal. */
  test_run_until (faults_all_taken, NULL, "the challenge to reach the portal");
  gint64 t0 = g_get_monotonic_time ();
  kiosk_session_end (f->session);
  g_assert_false (kiosk_session_has_card (f->session));
  int tries = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (kiosk_session_login_finish (f->session, test_wait_result (&w, "login"), &tries,
                                              &error));
  gint64 took = g_get_monotonic_time () - t0;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (took, <, 5 * G_USEC_PER_SEC);
  g_test_message ("login cancelled %.1f ms after the end", took / 1000.0);
  test_wait_clear (&w);
  g_assert_false (kiosk_session_is_logged_in (f->session));
  g_assert_false (mp_client_is_logged_in (kiosk_session_get_client (f->session)));
  while (f->ended == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (kiosk_card_monitor_vcard_open_transports (f->monitor), ==, 0);
  /* The PIN was right: the try was not spent, and the card is free again. */
  g_assert_cmpint (kiosk_card_monitor_vcard_tries (f->monitor, "auth"), ==, 3);
  g_assert_cmpint (begin (f), ==, 3);
}

/* end() while the card's VERIFY is queued: the operation ends cancelled
 * without touching the card. */
static void
test_end_before_verify_sends_nothing (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  unsigned long before = kiosk_card_monitor_vcard_apdu_count (f->monitor);
  TestWait w = { 0 };
  kiosk_session_login_async (f->session, secret ("9999"), NULL, test_wait_cb, &w);
  kiosk_session_end (f->session);
  g_autoptr (GError) error = NULL;
  int tries = 0;
  g_assert_false (kiosk_session_login_finish (f->session, test_wait_result (&w, "login"), &tries,
                                              &error));
  test_wait_clear (&w);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  while (f->ended == 0)
    g_main_context_iteration (NULL, TRUE);
  /* The worker may have sent the VERIFY before the end came; if not, not a
   * single APDU went out. Either way the wrong PIN cost at most its one
   * try, and the session is over. */
  int left = kiosk_card_monitor_vcard_tries (f->monitor, "auth");
  if (kiosk_card_monitor_vcard_apdu_count (f->monitor) == before)
    g_assert_cmpint (left, ==, 3);
  else
    g_assert_cmpint (left, >=, 2);
  g_assert_false (kiosk_session_has_card (f->session));
}

/* A caller's own GCancellable ends its operation, not the session. */
static void
test_caller_cancel_ends_only_the_operation (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (begin (f), ==, 3);
  login_ok (f);
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  TestWait w = { 0 };
  kiosk_session_sign_tries_async (f->session, c, test_wait_cb, &w);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (kiosk_session_sign_tries_finish (f->session, test_wait_result (&w, "tries"),
                                                    &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_wait_clear (&w);
  g_assert_true (kiosk_session_has_card (f->session));
  g_assert_true (kiosk_session_is_logged_in (f->session));
  g_assert_cmpint (sign_tries (f), ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!g_getenv ("PORTAL_URL"))
    {
      g_printerr ("PORTAL_URL is not set: run under tests/harness/portalenv.py --dev\n");
      return 1;
    }
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/session/begin-reads-tries-without-spending-one",
       test_begin_reads_tries_without_spending_one);
  ADD ("/session/begin-without-card-fails", test_begin_without_card_fails);
  ADD ("/session/wrong-pin-spends-one-try-and-does-not-log-in",
       test_wrong_pin_spends_one_try_and_does_not_log_in);
  ADD ("/session/badly-formed-pin-never-reaches-the-card",
       test_badly_formed_pin_never_reaches_the_card);
  ADD ("/session/right-pin-logs-in-and-end-logs-out", test_right_pin_logs_in_and_end_logs_out);
  ADD ("/session/begin-right-after-end", test_begin_right_after_end);
  ADD ("/session/submit-delivers-a-verified-package", test_submit_delivers_a_verified_package);
  ADD ("/session/wrong-sign-password-keeps-the-outbox-empty",
       test_wrong_sign_password_keeps_the_outbox_empty);
  ADD ("/session/refused-form-never-enters-the-outbox",
       test_refused_form_never_enters_the_outbox);
  ADD ("/session/unreachable-portal-keeps-it-pending", test_unreachable_portal_keeps_it_pending);
  ADD ("/session/card-pulled-while-signing", test_card_pulled_while_signing);
  ADD ("/session/end-during-login-cancels-it", test_end_during_login_cancels_it);
  ADD ("/session/end-before-verify-sends-nothing", test_end_before_verify_sends_nothing);
  ADD ("/session/caller-cancel-ends-only-the-operation",
       test_caller_cancel_ends_only_the_operation);
#undef ADD
  int rc = g_test_run ();
  ps_package_global_cleanup ();
  return rc;
}
