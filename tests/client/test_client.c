/* test_client.c - mp_client against a running portal-sim (portalenv.py
 * --dev gives PORTAL_URL, PORTAL_CA): the session (login through the card
 * signer, refresh, logout, end), the mapping of answers to MP_ERROR with the
 * portal's problem, and the asynchronous calls on a main loop. The card is
 * the software card in-process, a copy of a test profile. */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mynacard/mynacard.h"
#include "mynaportal/client.h"
#include "mynavcard/vcard.h"

static const char *pki_dir;
static char *tmp_root;

/* ---- the software card ---- */

typedef struct test_card {
  char *dir;
  myna_vcard *vcard;
  myna_card *card;
} test_card;

static char *profile_string(const char *profile, const char *key)
{
  g_autofree char *path = g_build_filename(pki_dir, "profiles.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_file(parser, path, NULL));
  JsonArray *a = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
                                              "profiles");
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *p = json_array_get_object_element(a, i);
    if(!strcmp(json_object_get_string_member(p, "name"), profile))
      return g_strdup(json_object_get_string_member(p, key));
  }
  g_error("no profile %s", profile);
  return NULL;
}

/* A copy of profile's card, its auth PIN verified (tries read first, as the
 * rules want, though nothing is at stake here). */
static test_card *card_open(const char *profile)
{
  test_card *tc = g_new0(test_card, 1);
  g_autofree char *src = g_build_filename(pki_dir, "profiles", profile, NULL);
  tc->dir = g_build_filename(tmp_root, profile, NULL);
  g_assert_cmpint(g_mkdir_with_parents(tc->dir, 0700), ==, 0);
  g_autoptr(GDir) d = g_dir_open(src, 0, NULL);
  const char *name;
  while((name = g_dir_read_name(d))) {
    g_autofree char *from = g_build_filename(src, name, NULL);
    g_autofree char *to = g_build_filename(tc->dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(from, &data, &len, NULL));
    g_assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
  }
  g_autofree char *ini = g_build_filename(tc->dir, "profile.ini", NULL);
  char err[256] = "";
  tc->vcard = myna_vcard_load(ini, err, sizeof err);
  if(!tc->vcard)
    g_error("%s: %s", ini, err);
  g_assert_cmpint(myna_card_open(myna_vcard_transport(tc->vcard, false), &tc->card), ==,
                  MYNA_OK);
  int tries = -1;
  g_assert_cmpint(myna_jpki_tries_left(tc->card, MYNA_JPKI_KEY_AUTH, &tries), ==, MYNA_OK);
  g_assert_cmpint(tries, >, 0);
  g_autofree char *pin_text = profile_string(profile, "auth_pin");
  myna_secret *pin = myna_secret_from_bytes(pin_text, strlen(pin_text));
  g_assert_cmpint(myna_jpki_verify(tc->card, MYNA_JPKI_KEY_AUTH, pin, &tries), ==, MYNA_OK);
  myna_secret_free(pin);
  return tc;
}

/* tmp_root holds one folder of files per card. */
static void remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while(d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if(g_file_test(p, G_FILE_TEST_IS_DIR))
      remove_tree(p);
    else
      g_unlink(p);
  }
  g_rmdir(dir);
}

static void card_close(test_card *tc)
{
  myna_card_free(tc->card);
  myna_vcard_free(tc->vcard);
  remove_tree(tc->dir);
  g_free(tc->dir);
  g_free(tc);
}

static mp_config *config(void)
{
  mp_config *c = mp_config_new();
  c->base_url = g_strdup(g_getenv("PORTAL_URL"));
  c->ca_file = g_strdup(g_getenv("PORTAL_CA"));
  c->terminal_id = g_strdup("kiosk-test-01");
  c->retry_total_ms = 5000;
  c->retry_base_ms = 50;
  c->retry_max_ms = 500;
  return c;
}

static mp_client *client_new(void)
{
  g_autoptr(mp_config) cfg = config();
  g_autoptr(GError) e = NULL;
  mp_client *c = mp_client_new(cfg, &e);
  g_assert_no_error(e);
  return c;
}

/* ---- tests ---- */

static void test_session_login_refresh_logout(void)
{
  test_card *tc = card_open("adult");
  g_autoptr(mp_client) c = client_new();
  g_autoptr(GError) e = NULL;
  g_assert_false(mp_client_is_logged_in(c));

  /* A resident call without a session goes nowhere. */
  g_autoptr(mp_result) none = mp_client_call(c, mp_call_selfinfo_categories(), NULL, &e);
  g_assert_null(none);
  g_assert_error(e, MP_ERROR, MP_ERROR_NOT_LOGGED_IN);
  g_clear_error(&e);

  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_AUTH);
  g_assert_true(mp_client_login(c, signer, NULL, &e));
  g_assert_no_error(e);
  g_assert_true(mp_client_is_logged_in(c));
  g_assert_cmpint(mp_client_session_expires_in(c), >, 60);

  g_autoptr(mp_result) cats = mp_client_call(c, mp_call_selfinfo_categories(), NULL, &e);
  g_assert_no_error(e);
  g_assert_true(JSON_NODE_HOLDS_ARRAY(cats->results));
  g_assert_cmpuint(cats->http_status, ==, 200);

  /* Refresh rotates the tokens; the session goes on with the new ones. */
  g_assert_true(mp_client_refresh(c, NULL, &e));
  g_assert_no_error(e);
  g_autoptr(mp_result) recs = mp_client_call(c, mp_call_records(NULL, NULL, 10, 0), NULL, &e);
  g_assert_no_error(e);
  g_assert_nonnull(recs->resultset);

  /* Logout: the session is gone here, and the portal says it ended. */
  g_assert_true(mp_client_logout(c, NULL, &e));
  g_assert_no_error(e);
  g_assert_false(mp_client_is_logged_in(c));
  g_assert_cmpint(mp_client_session_expires_in(c), ==, 0);
  g_autoptr(mp_result) after = mp_client_call(c, mp_call_notices(0, 0), NULL, &e);
  g_assert_null(after);
  g_assert_error(e, MP_ERROR, MP_ERROR_NOT_LOGGED_IN);
  g_clear_error(&e);
  /* A second logout is no error: there is nothing left to end. */
  g_assert_true(mp_client_logout(c, NULL, &e));
  card_close(tc);
}

static void test_end_session_wipes_locally(void)
{
  test_card *tc = card_open("adult");
  g_autoptr(mp_client) c = client_new();
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_AUTH);
  g_autoptr(GError) e = NULL;
  g_assert_true(mp_client_login(c, signer, NULL, &e));
  mp_client_end_session(c);
  g_assert_false(mp_client_is_logged_in(c));
  g_autoptr(mp_result) r = mp_client_call(c, mp_call_notices(0, 0), NULL, &e);
  g_assert_null(r);
  g_assert_error(e, MP_ERROR, MP_ERROR_NOT_LOGGED_IN);
  card_close(tc);
}

/* Each refusal of the login comes with its own code and the portal's words. */
static void test_login_refusals_are_mapped(void)
{
  static const struct {
    const char *profile;
    mp_error code;
    const char *oauth;
  } CASES[] = {
    { "revoked", MP_ERROR_CERT_REVOKED, "cert_revoked" },
    { "expired", MP_ERROR_CERT_EXPIRED, "cert_expired" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(CASES); i++) {
    test_card *tc = card_open(CASES[i].profile);
    g_autoptr(mp_client) c = client_new();
    g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_AUTH);
    g_autoptr(GError) e = NULL;
    g_assert_false(mp_client_login(c, signer, NULL, &e));
    g_assert_error(e, MP_ERROR, (gint)CASES[i].code);
    const mp_problem *p = mp_error_get_problem(e);
    g_assert_nonnull(p);
    g_assert_cmpuint(p->http_status, ==, 400);
    g_assert_cmpstr(p->code, ==, CASES[i].oauth);
    g_assert_nonnull(p->detail);
    g_assert_cmpuint(p->report->len, >, 0);
    g_assert_false(mp_client_is_logged_in(c));
    card_close(tc);
  }
}

/* A card whose PIN was not verified cannot sign: the card's error, not the
 * portal's, and no session. */
static void test_login_with_unverified_card(void)
{
  test_card *tc = card_open("adult");
  g_assert_cmpint(myna_card_reset(tc->card), ==, MYNA_OK);
  g_autoptr(mp_client) c = client_new();
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_AUTH);
  g_autoptr(GError) e = NULL;
  g_assert_false(mp_client_login(c, signer, NULL, &e));
  g_assert_error(e, MP_ERROR, MP_ERROR_CARD);
  g_assert_cmpint(mp_error_get_problem(e)->card_rv, ==, MYNA_E_SECURITY_STATUS);
  g_assert_false(mp_client_is_logged_in(c));
  card_close(tc);
}

/* Answers that are not 2xx become MP_ERROR with the envelope's problem. */
static void test_errors_carry_the_portal_problem(void)
{
  g_autoptr(mp_client) c = client_new();
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_result) r = mp_client_call(c, mp_call_procedure("102016-no-such-procedure"),
                                          NULL, &e);
  g_assert_null(r);
  g_assert_error(e, MP_ERROR, MP_ERROR_NOT_FOUND);
  const mp_problem *p = mp_error_get_problem(e);
  g_assert_cmpuint(p->http_status, ==, 404);
  g_assert_nonnull(p->code);
  g_assert_nonnull(p->title);
  g_clear_error(&e);
  g_autoptr(mp_result) bad = mp_client_call(c, mp_call_procedures("12", NULL, NULL, 0, 0),
                                            NULL, &e);
  g_assert_null(bad);
  g_assert_error(e, MP_ERROR, MP_ERROR_REJECTED);
  p = mp_error_get_problem(e);
  g_assert_cmpuint(p->http_status, ==, 400);
  gboolean named = FALSE;
  for(guint i = 0; i < p->report->len; i++)
    named |= !strcmp(((mp_report_item *)g_ptr_array_index(p->report, i))->item, "city_code");
  g_assert_true(named);
}

/* Search results unwrap the envelope: results and resultset. */
static void test_search_unwraps_the_envelope(void)
{
  g_autoptr(mp_client) c = client_new();
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_result) r = mp_client_call(c, mp_call_procedures("102016", "子育て", "児童手当",
                                                                5, 0),
                                          NULL, &e);
  g_assert_no_error(e);
  g_assert_true(JSON_NODE_HOLDS_ARRAY(r->results));
  JsonArray *a = json_node_get_array(r->results);
  g_assert_cmpuint(json_array_get_length(a), >, 0);
  g_assert_cmpuint(json_array_get_length(a), <=, 5);
  for(guint i = 0; i < json_array_get_length(a); i++)
    g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, i),
                                                  "city_code"), ==, "102016");
  g_assert_nonnull(r->resultset);
  g_assert_cmpint(json_object_get_int_member(json_node_get_object(r->resultset), "limit"), ==,
                  5);
}

/* Asynchronous calls on a main loop, one of them cancelled. */
typedef struct {
  mp_client *c;
  GMainLoop *loop;
  int pending;
  mp_result *ok;
  GError *cancelled;
} async_state;

static void async_done(GObject *src, GAsyncResult *res, gpointer user_data)
{
  async_state *st = user_data;
  GError *e = NULL;
  mp_result *r = mp_client_call_finish(st->c, res, &e);
  if(r)
    st->ok = r;
  else
    st->cancelled = e;
  if(--st->pending == 0)
    g_main_loop_quit(st->loop);
}

static void test_async_calls_and_cancellation(void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  g_autoptr(mp_client) c = client_new();
  async_state st = { .c = c, .loop = g_main_loop_new(ctx, FALSE), .pending = 2 };
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  mp_client_call_async(c, mp_call_procedure("102016-jidouteate-nintei"), NULL, async_done, &st);
  mp_client_call_async(c, mp_call_procedures(NULL, NULL, "児童手当", 0, 0), cancel, async_done,
                       &st);
  g_cancellable_cancel(cancel);
  g_main_loop_run(st.loop);
  g_assert_nonnull(st.ok);
  g_assert_cmpstr(json_object_get_string_member(json_node_get_object(st.ok->results),
                                                "proc_id"), ==, "102016-jidouteate-nintei");
  g_assert_error(st.cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  mp_result_free(st.ok);
  g_error_free(st.cancelled);
  g_main_loop_unref(st.loop);
  g_main_context_pop_thread_default(ctx);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  pki_dir = g_getenv("MYNA_TEST_PKI");
  if(!pki_dir || !g_getenv("PORTAL_URL") || !g_getenv("PORTAL_CA")) {
    g_printerr("run under tests/harness/portalenv.py (PORTAL_URL, PORTAL_CA) with MYNA_TEST_PKI\n");
    return 1;
  }
  tmp_root = g_dir_make_tmp("test-client-XXXXXX", NULL);
  g_test_add_func("/client/session/login-refresh-logout", test_session_login_refresh_logout);
  g_test_add_func("/client/session/end-wipes-locally", test_end_session_wipes_locally);
  g_test_add_func("/client/login/refusals-are-mapped", test_login_refusals_are_mapped);
  g_test_add_func("/client/login/unverified-card-is-the-card-error",
                  test_login_with_unverified_card);
  g_test_add_func("/client/errors/carry-the-portal-problem", test_errors_carry_the_portal_problem);
  g_test_add_func("/client/search/unwraps-the-envelope", test_search_unwraps_the_envelope);
  g_test_add_func("/client/async/calls-and-cancellation", test_async_calls_and_cancellation);
  int rc = g_test_run();
  remove_tree(tmp_root);
  g_free(tmp_root);
  return rc;
}
