/* test_config.c - the terminal configuration file and the error type. */

#include <glib/gstdio.h>
#include <string.h>

#include "mynaportal/config.h"
#include "mynaportal/error.h"

static char *tmpdir;

static char *write_conf(const char *name, const char *text)
{
  char *path = g_build_filename(tmpdir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* A minimal valid file: url, ca-file (relative: next to the file), id. */
static const char *BASE = "[portal]\nurl=https://127.0.0.1:8443\nca-file=ca.pem\n"
                          "terminal-id=kiosk-01\n";

static void test_minimal_file_gets_defaults(void)
{
  g_autofree char *path = write_conf("a.conf", BASE);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_config) c = mp_config_load(path, &e);
  g_assert_no_error(e);
  g_autofree char *ca = g_build_filename(tmpdir, "ca.pem", NULL);
  g_assert_cmpstr(c->ca_file, ==, ca);
  g_assert_cmpstr(c->terminal_id, ==, "kiosk-01");
  g_assert_null(c->proxy);
  g_assert_null(c->pin);
  g_assert_cmpuint(c->connect_timeout_ms, ==, 10000);
  g_assert_cmpuint(c->retry_total_ms, ==, 120000);
  g_assert_nonnull(c->outbox_dir);
}

static void test_shipped_file_parses(void)
{
  /* config/mynaterm.conf with its CA path pointed at a file that exists. */
  g_autofree char *text = NULL;
  g_autoptr(GError) e = NULL;
  g_assert_true(g_file_get_contents(MYNA_SOURCE_DIR "/config/mynaterm.conf", &text, NULL, &e));
  g_autoptr(GRegex) re = g_regex_new("^ca-file=.*$", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *fixed = g_regex_replace_literal(re, text, -1, 0, "ca-file=ca.pem", 0, NULL);
  g_autofree char *path = write_conf("shipped.conf", fixed);
  g_autoptr(mp_config) c = mp_config_load(path, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(c->city_code, ==, "102016");
  g_assert_cmpstr(c->outbox_dir, ==, "/var/lib/mynaterm/outbox");
}

/* Each bad file is refused with a message naming the key (or file). */
static void test_bad_files_are_named(void)
{
  static const struct {
    const char *extra;
    const char *named;
  } CASES[] = {
    { "retry-totl-ms=5\n", "retry-totl-ms" },
    { "[network]\nretry-total-ms=soon\n", "retry-total-ms" },
    { "[network]\nconnect-timeout-ms=5\n", "connect-timeout-ms" },
    { "[networks]\nx=1\n", "[networks]" },
    { "client-cert=ca.pem\n", "client-key" },
    { "pin=sha256//abc\n", "pin" },
    { "[kiosk]\ncity-code=10201\n", "city-code" },
    { "[network]\nretry-base-ms=5000\nretry-max-ms=100\n", "retry-base-ms" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(CASES); i++) {
    g_autofree char *text = g_strconcat(BASE, CASES[i].extra, NULL);
    g_autofree char *path = write_conf("bad.conf", text);
    g_autoptr(GError) e = NULL;
    g_autoptr(mp_config) c = mp_config_load(path, &e);
    g_assert_null(c);
    g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
    g_assert_nonnull(strstr(e->message, CASES[i].named));
    g_assert_nonnull(strstr(e->message, path));
  }
  static const char *const WHOLE[] = {
    "not a key file at all\n",
    "[portal]\nurl=http://127.0.0.1:8443\nca-file=ca.pem\nterminal-id=k\n",
    "[portal]\nurl=https://h/path\nca-file=ca.pem\nterminal-id=k\n",
    "[portal]\nurl=https://h\nca-file=missing.pem\nterminal-id=k\n",
    "[portal]\nurl=https://h\nca-file=ca.pem\n",
    "[portal]\nurl=https://h\nca-file=ca.pem\nterminal-id=a b\n",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(WHOLE); i++) {
    g_autofree char *path = write_conf("whole.conf", WHOLE[i]);
    g_autoptr(GError) e = NULL;
    g_autoptr(mp_config) c = mp_config_load(path, &e);
    g_assert_null(c);
    g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
    g_assert_nonnull(strstr(e->message, path));
  }
  g_autoptr(GError) e = NULL;
  g_autofree char *none = g_build_filename(tmpdir, "none.conf", NULL);
  g_assert_null(mp_config_load(none, &e));
  g_assert_error(e, MP_ERROR, MP_ERROR_CONFIG);
}

static void test_foreign_groups_are_left_to_their_owners(void)
{
  g_autofree char *text = g_strconcat(BASE, "[ui]\nanything=1\n[card]\nreader=x\n", NULL);
  g_autofree char *path = write_conf("foreign.conf", text);
  g_autoptr(GError) e = NULL;
  g_autoptr(mp_config) c = mp_config_load(path, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(c->terminal_id, ==, "kiosk-01");
}

static void test_copy_is_deep(void)
{
  g_autofree char *path = write_conf("c.conf", BASE);
  g_autoptr(mp_config) c = mp_config_load(path, NULL);
  g_autoptr(mp_config) d = mp_config_copy(c);
  g_assert_true(c->base_url != d->base_url);
  g_assert_cmpstr(c->base_url, ==, d->base_url);
}

/* Every code has advice in both languages and a stable name; the problem
 * travels with copies of the error. */
static void test_errors_carry_problem_and_advice(void)
{
  for(int code = MP_ERROR_CONFIG; code <= MP_ERROR_OUTBOX; code++) {
    g_assert_cmpstr(mp_error_name(code), !=, "unknown");
    g_assert_cmpuint(strlen(mp_error_advice(code)), >, 10);
    g_assert_true(g_utf8_validate(mp_error_advice_ja(code), -1, NULL));
  }
  g_assert_cmpstr(mp_error_name(999), ==, "unknown");
  g_autoptr(mp_problem) p = mp_problem_new();
  p->http_status = 422;
  p->code = g_strdup("form_invalid");
  mp_problem_add_report(p, "form.x", "直してください");
  g_autoptr(GError) e = NULL;
  mp_set_error(&e, MP_ERROR_REJECTED, p, "HTTP %u", 422u);
  g_autoptr(GError) copy = g_error_copy(e);
  const mp_problem *q = mp_error_get_problem(copy);
  g_assert_nonnull(q);
  g_assert_cmpuint(q->http_status, ==, 422);
  g_assert_cmpstr(q->code, ==, "form_invalid");
  g_assert_cmpuint(q->report->len, ==, 1);
  g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
  g_assert_null(mp_error_get_problem(other));
  g_autoptr(GError) bare = NULL;
  mp_set_error(&bare, MP_ERROR_NETWORK, NULL, "dropped");
  g_assert_null(mp_error_get_problem(bare));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("test-config-XXXXXX", NULL);
  g_autofree char *ca = g_build_filename(tmpdir, "ca.pem", NULL);
  g_assert_true(g_file_set_contents(ca, "not checked here\n", -1, NULL));
  g_test_add_func("/config/minimal-file-gets-defaults", test_minimal_file_gets_defaults);
  g_test_add_func("/config/shipped-file-parses", test_shipped_file_parses);
  g_test_add_func("/config/bad-files-are-named", test_bad_files_are_named);
  g_test_add_func("/config/foreign-groups-are-left-to-their-owners",
                  test_foreign_groups_are_left_to_their_owners);
  g_test_add_func("/config/copy-is-deep", test_copy_is_deep);
  g_test_add_func("/error/carries-problem-and-advice", test_errors_carry_problem_and_advice);
  int rc = g_test_run();
  g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
  const char *n;
  while(d && (n = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(tmpdir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
