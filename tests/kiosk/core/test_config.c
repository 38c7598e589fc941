/* test_config.c - the kiosk's [card] and [ui] settings (kiosk-config.h). */

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "kiosk-config.h"
#include "mynaportal/error.h"

static char *dir;

static char *
write_config (const char *extra)
{
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *text = g_strdup_printf ("[portal]\nurl=https://127.0.0.1:8443\nca-file=ca.pem\n"
                                           "terminal-id=kiosk-test-01\n%s", extra);
  char *path = g_build_filename (dir, "kiosk.conf", NULL);
  g_assert_true (g_file_set_contents (ca, "-----BEGIN CERTIFICATE-----\n", -1, NULL));
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_defaults_without_card_and_ui_groups (void)
{
  g_autofree char *path = write_config ("");
  g_autoptr (GError) error = NULL;
  g_autoptr (KioskConfig) cfg = kiosk_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (cfg->card_source, ==, KIOSK_CARD_SOURCE_PCSC);
  g_assert_null (cfg->reader);
  g_assert_cmpuint (cfg->idle_timeout_s, ==, 120);
  g_assert_cmpuint (cfg->idle_warning_s, ==, 20);
  g_assert_cmpuint (cfg->delivery_interval_s, ==, 60);
  g_assert_cmpstr (cfg->default_language, ==, "ja");
  g_assert_true (cfg->fullscreen);
  g_assert_null (cfg->attachment_dirs);
  g_assert_null (cfg->staff_pin_hash);
  g_assert_cmpstr (cfg->portal->terminal_id, ==, "kiosk-test-01");
}

static void
test_every_key_read (void)
{
  g_autofree char *docs = g_build_filename (dir, "docs", NULL);
  g_autofree char *scans = g_build_filename (dir, "scans", NULL);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (KioskConfig) cfg = NULL;

  g_assert_cmpint (g_mkdir_with_parents (docs, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (scans, 0700), ==, 0);
  text = g_strdup_printf ("[card]\nsource=vcard\nreader=ACS\nnfc-device=pn532_uart:/dev/ttyUSB0\n"
                          "vcard-profile=card/profile.ini\nplacement=右側の読み取り機\n"
                          "[ui]\nidle-timeout-s=300\nidle-warning-s=30\ndefault-language=pt_BR\n"
                          "fullscreen=false\nattachment-dirs=docs; %s ;\nhigh-contrast=true\n"
                          "large-text=true\ndelivery-interval-s=15\n", scans);
  path = write_config (text);
  cfg = kiosk_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cfg->card_source, ==, KIOSK_CARD_SOURCE_VCARD);
  g_assert_cmpstr (kiosk_card_source_name (cfg->card_source), ==, "vcard");
  g_assert_cmpstr (cfg->reader, ==, "ACS");
  g_assert_cmpstr (cfg->nfc_device, ==, "pn532_uart:/dev/ttyUSB0");
  /* Relative paths are taken from the file's folder. */
  g_assert_true (g_str_has_prefix (cfg->vcard_profile, dir));
  g_assert_true (g_str_has_suffix (cfg->vcard_profile, "/card/profile.ini"));
  g_assert_cmpstr (cfg->placement, ==, "右側の読み取り機");
  g_assert_cmpuint (cfg->idle_timeout_s, ==, 300);
  g_assert_cmpuint (cfg->idle_warning_s, ==, 30);
  g_assert_cmpstr (cfg->default_language, ==, "pt_BR");
  g_assert_false (cfg->fullscreen);
  g_assert_true (cfg->high_contrast);
  g_assert_true (cfg->large_text);
  g_assert_cmpuint (cfg->delivery_interval_s, ==, 15);
  g_assert_cmpuint (g_strv_length (cfg->attachment_dirs), ==, 2);
  g_assert_cmpstr (cfg->attachment_dirs[0], ==, docs);
  g_assert_cmpstr (cfg->attachment_dirs[1], ==, scans);
}

/* Each bad file is refused with the group and key named. */
static void
test_mistakes_named (void)
{
  static const struct { const char *text; const char *expect; } cases[] = {
    { "[ui]\nidle-timout-s=60\n", "[ui] idle-timout-s: unknown key" },
    { "[card]\nsorce=pcsc\n", "[card] sorce: unknown key" },
    { "[card]\nsource=usb\n", "[card] source: must be pcsc, nfc or vcard" },
    { "[card]\nsource=vcard\n", "[card] vcard-profile: is needed" },
    { "[ui]\nidle-timeout-s=9\n", "[ui] idle-timeout-s: must be a whole number from 10 to 3600" },
    { "[ui]\ndelivery-interval-s=1\n", "[ui] delivery-interval-s: must be a whole number from 5 to 86400" },
    { "[ui]\nidle-timeout-s=60\nidle-warning-s=60\n", "[ui] idle-warning-s: must be shorter" },
    { "[ui]\nfullscreen=yes\n", "[ui] fullscreen: must be true or false" },
    { "[ui]\ndefault-language=fr\n", "[ui] default-language: must be one of" },
    { "[ui]\nattachment-dirs=/nonexistent/folder\n", "[ui] attachment-dirs: /nonexistent/folder is not a folder" },
    { "[ui]\nstaff-pin-hash=1234\n", "[ui] staff-pin-hash: is not a hash" },
    { "[ui]\nstaff-pin-hash=pbkdf2-sha256$10$AAAAAAAAAAA=$AAAA\n", "[ui] staff-pin-hash: is not a hash" },
    { "[screen]\nsize=big\n", "unknown group [screen]" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_config (cases[i].text);
      g_autoptr (GError) error = NULL;
      g_autoptr (KioskConfig) cfg = kiosk_config_load (path, &error);
      g_assert_null (cfg);
      g_assert_error (error, MP_ERROR, MP_ERROR_CONFIG);
      if (!strstr (error->message, cases[i].expect) || !strstr (error->message, path))
        g_error ("case %u: \"%s\" does not say \"%s\" with the file", i, error->message, cases[i].expect);
    }
}

/* The shipped config/mynaterm.conf: its [card] and [ui] groups, with their
 * empty values meaning "not set", load as the defaults. */
static void
test_shipped_file_groups (void)
{
  g_autofree char *shipped = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (KioskConfig) cfg = NULL;
  const char *groups;

  g_assert_true (g_file_get_contents (MYNA_SOURCE_DIR "/config/mynaterm.conf", &shipped, NULL, NULL));
  groups = strstr (shipped, "\n[card]");
  g_assert_nonnull (groups);
  path = write_config (groups + 1);
  cfg = kiosk_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cfg->card_source, ==, KIOSK_CARD_SOURCE_PCSC);
  g_assert_null (cfg->reader);
  g_assert_null (cfg->placement);
  g_assert_null (cfg->attachment_dirs);
  g_assert_null (cfg->staff_pin_hash);
  g_assert_cmpuint (cfg->idle_timeout_s, ==, 120);
  g_assert_cmpstr (cfg->default_language, ==, "ja");
}

static void
test_file_that_is_not_a_key_file (void)
{
  g_autofree char *path = g_build_filename (dir, "garbage.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (KioskConfig) cfg = NULL;

  g_assert_true (g_file_set_contents (path, "\x89PNG\r\n\x1a\n\x00\x01", 10, NULL));
  cfg = kiosk_config_load (path, &error);
  g_assert_null (cfg);
  g_assert_error (error, MP_ERROR, MP_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_staff_pin_hash_round_trip (void)
{
  myna_secret *pin = myna_secret_from_bytes ("482916", 6);
  myna_secret *wrong = myna_secret_from_bytes ("482917", 6);
  myna_secret *empty = myna_secret_new ();
  g_autofree char *hash = kiosk_config_hash_staff_pin (pin);
  g_autofree char *hash2 = kiosk_config_hash_staff_pin (pin);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (KioskConfig) cfg = NULL;

  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "pbkdf2-sha256$"));
  g_assert_null (strstr (hash, "482916"));
  /* A fresh salt every time. */
  g_assert_cmpstr (hash, !=, hash2);
  text = g_strdup_printf ("[ui]\nstaff-pin-hash=%s\n", hash);
  path = write_config (text);
  cfg = kiosk_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (kiosk_config_check_staff_pin (cfg, pin));
  g_assert_false (kiosk_config_check_staff_pin (cfg, wrong));
  g_assert_false (kiosk_config_check_staff_pin (cfg, empty));
  g_free (cfg->staff_pin_hash);
  cfg->staff_pin_hash = NULL;
  g_assert_false (kiosk_config_check_staff_pin (cfg, pin));
  myna_secret_free (pin);
  myna_secret_free (wrong);
  myna_secret_free (empty);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("kiosk-config-XXXXXX", NULL);
  g_test_add_func ("/config/defaults", test_defaults_without_card_and_ui_groups);
  g_test_add_func ("/config/every-key-read", test_every_key_read);
  g_test_add_func ("/config/mistakes-named", test_mistakes_named);
  g_test_add_func ("/config/shipped-file-groups", test_shipped_file_groups);
  g_test_add_func ("/config/not-a-key-file", test_file_that_is_not_a_key_file);
  g_test_add_func ("/config/staff-pin-hash-round-trip", test_staff_pin_hash_round_trip);
  rc = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", dir);
  }
  return rc;
}
