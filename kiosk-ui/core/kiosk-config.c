/* kiosk-config.c - the [card] and [ui] groups of the terminal's settings file.
 *
 * The portal client reads the rest of the same file (mp_config_load) and
 * leaves these two groups to the kiosk; both are strict in the same way, so
 * a misspelt key on one of 200 terminals is found at start-up, with the file,
 * group and key named. */

#include "kiosk-config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mynaportal/error.h"

#define STAFF_PIN_ITERATIONS 200000
#define STAFF_PIN_SALT_LEN 16
#define STAFF_PIN_HASH_LEN 32

KioskConfig *
kiosk_config_new (void)
{
  KioskConfig *cfg = g_new0 (KioskConfig, 1);
  cfg->portal = mp_config_new ();
  cfg->card_source = KIOSK_CARD_SOURCE_PCSC;
  cfg->idle_timeout_s = 120;
  cfg->idle_warning_s = 20;
  cfg->delivery_interval_s = 60;
  cfg->default_language = g_strdup ("ja");
  cfg->fullscreen = TRUE;
  return cfg;
}

void
kiosk_config_free (KioskConfig *cfg)
{
  if (!cfg)
    return;
  mp_config_free (cfg->portal);
  g_free (cfg->reader);
  g_free (cfg->nfc_device);
  g_free (cfg->vcard_profile);
  g_free (cfg->placement);
  g_free (cfg->default_language);
  g_strfreev (cfg->attachment_dirs);
  g_free (cfg->staff_pin_hash);
  g_free (cfg);
}

const char *
kiosk_card_source_name (KioskCardSource source)
{
  switch (source)
    {
    case KIOSK_CARD_SOURCE_PCSC: return "pcsc";
    case KIOSK_CARD_SOURCE_NFC: return "nfc";
    case KIOSK_CARD_SOURCE_VCARD: return "vcard";
    default: return "?";
    }
}

static const char *const CARD_KEYS[] = { "source", "reader", "nfc-device", "vcard-profile", "placement", NULL };
static const char *const UI_KEYS[] = { "idle-timeout-s", "idle-warning-s", "default-language", "fullscreen",
                                       "attachment-dirs", "staff-pin-hash", "high-contrast", "large-text",
                                       "delivery-interval-s", NULL };
static const char *const LANGUAGES[] = { "ja", "en", "zh_CN", "ko", "es", "pt_BR", NULL };

static gboolean
bad (GError **error, const char *path, const char *group, const char *key, const char *why)
{
  mp_set_error (error, MP_ERROR_CONFIG, NULL, "%s: [%s] %s: %s", path, group, key, why);
  return FALSE;
}

/* The value of key, or NULL when it is missing or empty ("not set"). */
static char *
get_string (GKeyFile *kf, const char *group, const char *key)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);
  if (v && !*v)
    g_clear_pointer (&v, g_free);
  return v;
}

static char *
resolve_path (const char *dir, const char *value)
{
  if (g_path_is_absolute (value))
    return g_strdup (value);
  return g_build_filename (dir, value, NULL);
}

static gboolean
get_bool (GKeyFile *kf, const char *path, const char *group, const char *key,
          gboolean *out, GError **error)
{
  g_autofree char *v = get_string (kf, group, key);
  if (!v)
    return TRUE;
  if (!strcmp (v, "true"))
    *out = TRUE;
  else if (!strcmp (v, "false"))
    *out = FALSE;
  else
    return bad (error, path, group, key, "must be true or false");
  return TRUE;
}

static gboolean
get_uint (GKeyFile *kf, const char *path, const char *group, const char *key,
          guint min, guint max, guint *out, GError **error)
{
  g_autofree char *v = get_string (kf, group, key);
  guint64 n;
  if (!v)
    return TRUE;
  if (!g_ascii_string_to_unsigned (v, 10, min, max, &n, NULL))
    {
      g_autofree char *why = g_strdup_printf ("must be a whole number from %u to %u", min, max);
      return bad (error, path, group, key, why);
    }
  *out = (guint) n;
  return TRUE;
}

static gboolean
check_keys (GKeyFile *kf, const char *path, const char *group,
            const char *const *known, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  for (char **k = keys; k && *k; k++)
    if (!g_strv_contains (known, *k))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);
        g_autofree char *why = g_strdup_printf ("unknown key (known: %s)", list);
        return bad (error, path, group, *k, why);
      }
  return TRUE;
}

static gboolean
staff_hash_parse (const char *text, guint *iterations, guint8 **salt, gsize *salt_len,
                  guint8 **hash, gsize *hash_len)
{
  g_auto (GStrv) parts = g_strsplit (text, "$", -1);
  guint64 it;
  if (g_strv_length (parts) != 4 || strcmp (parts[0], "pbkdf2-sha256") != 0)
    return FALSE;
  if (!g_ascii_string_to_unsigned (parts[1], 10, 1000, 100000000, &it, NULL))
    return FALSE;
  *iterations = (guint) it;
  *salt = g_base64_decode (parts[2], salt_len);
  *hash = g_base64_decode (parts[3], hash_len);
  if (*salt_len < 8 || *hash_len != STAFF_PIN_HASH_LEN)
    {
      g_clear_pointer (salt, g_free);
      g_clear_pointer (hash, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_kiosk_groups (KioskConfig *cfg, GKeyFile *kf, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_key_file_has_group (kf, "card"))
    {
      g_autofree char *source = NULL;
      g_autofree char *profile = NULL;
      if (!check_keys (kf, path, "card", CARD_KEYS, error))
        return FALSE;
      source = get_string (kf, "card", "source");
      if (source)
        {
          if (!strcmp (source, "pcsc"))
            cfg->card_source = KIOSK_CARD_SOURCE_PCSC;
          else if (!strcmp (source, "nfc"))
            cfg->card_source = KIOSK_CARD_SOURCE_NFC;
          else if (!strcmp (source, "vcard"))
            cfg->card_source = KIOSK_CARD_SOURCE_VCARD;
          else
            return bad (error, path, "card", "source", "must be pcsc, nfc or vcard");
        }
      cfg->reader = get_string (kf, "card", "reader");
      cfg->nfc_device = get_string (kf, "card", "nfc-device");
      cfg->placement = get_string (kf, "card", "placement");
      profile = get_string (kf, "card", "vcard-profile");
      if (profile)
        cfg->vcard_profile = resolve_path (dir, profile);
    }
  if (cfg->card_source == KIOSK_CARD_SOURCE_VCARD && !cfg->vcard_profile)
    return bad (error, path, "card", "vcard-profile", "is needed with source = vcard");

  if (g_key_file_has_group (kf, "ui"))
    {
      g_autofree char *lang = NULL;
      g_autofree char *dirs = NULL;
      if (!check_keys (kf, path, "ui", UI_KEYS, error))
        return FALSE;
      if (!get_uint (kf, path, "ui", "idle-timeout-s", 10, 3600, &cfg->idle_timeout_s, error)
          || !get_uint (kf, path, "ui", "idle-warning-s", 3, 120, &cfg->idle_warning_s, error)
          || !get_uint (kf, path, "ui", "delivery-interval-s", 5, 86400, &cfg->delivery_interval_s, error)
          || !get_bool (kf, path, "ui", "fullscreen", &cfg->fullscreen, error)
          || !get_bool (kf, path, "ui", "high-contrast", &cfg->high_contrast, error)
          || !get_bool (kf, path, "ui", "large-text", &cfg->large_text, error))
        return FALSE;
      if (cfg->idle_warning_s >= cfg->idle_timeout_s)
        return bad (error, path, "ui", "idle-warning-s", "must be shorter than idle-timeout-s");
      lang = get_string (kf, "ui", "default-language");
      if (lang)
        {
          if (!g_strv_contains (LANGUAGES, lang))
            return bad (error, path, "ui", "default-language",
                        "must be one of ja, en, zh_CN, ko, es, pt_BR");
          g_free (cfg->default_language);
          cfg->default_language = g_steal_pointer (&lang);
        }
      dirs = get_string (kf, "ui", "attachment-dirs");
      if (dirs)
        {
          g_auto (GStrv) parts = g_strsplit (dirs, ";", -1);
          g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
          for (char **p = parts; *p; p++)
            {
              g_autofree char *abs = NULL;
              g_strstrip (*p);
              if (!**p)
                continue;
              abs = resolve_path (dir, *p);
              if (!g_file_test (abs, G_FILE_TEST_IS_DIR))
                {
                  g_autofree char *why = g_strdup_printf ("%s is not a folder", abs);
                  return bad (error, path, "ui", "attachment-dirs", why);
                }
              g_strv_builder_add (b, abs);
            }
          cfg->attachment_dirs = g_strv_builder_end (b);
          if (!cfg->attachment_dirs[0])
            g_clear_pointer (&cfg->attachment_dirs, g_strfreev);
        }
      cfg->staff_pin_hash = get_string (kf, "ui", "staff-pin-hash");
      if (cfg->staff_pin_hash)
        {
          guint it;
          g_autofree guint8 *salt = NULL;
          g_autofree guint8 *hash = NULL;
          gsize sl, hl;
          if (!staff_hash_parse (cfg->staff_pin_hash, &it, &salt, &sl, &hash, &hl))
            return bad (error, path, "ui", "staff-pin-hash",
                        "is not a hash made by mynaterm-kiosk --hash-staff-pin");
        }
    }
  return TRUE;
}

KioskConfig *
kiosk_config_load (const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) e = NULL;
  g_autoptr (KioskConfig) cfg = NULL;
  mp_config *portal;

  /* The portal part first: it names unknown groups and checks what the
   * portal needs. */
  portal = mp_config_load (path, error);
  if (!portal)
    return NULL;
  cfg = kiosk_config_new ();
  mp_config_free (cfg->portal);
  cfg->portal = portal;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &e))
    {
      mp_set_error (error, MP_ERROR_CONFIG, NULL, "%s: %s", path, e->message);
      return NULL;
    }
  if (!read_kiosk_groups (cfg, kf, path, error))
    return NULL;
  return g_steal_pointer (&cfg);
}

static gboolean
derive (const myna_secret *pin, guint iterations, const guint8 *salt, gsize salt_len,
        guint8 out[STAFF_PIN_HASH_LEN])
{
  return PKCS5_PBKDF2_HMAC ((const char *) myna_secret_bytes (pin), (int) myna_secret_len (pin),
                            salt, (int) salt_len, (int) iterations, EVP_sha256 (),
                            STAFF_PIN_HASH_LEN, out) == 1;
}

gboolean
kiosk_config_check_staff_pin (const KioskConfig *cfg, const myna_secret *pin)
{
  guint it;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *hash = NULL;
  gsize sl, hl;
  guint8 got[STAFF_PIN_HASH_LEN];
  gboolean ok;

  if (!cfg->staff_pin_hash || !pin || myna_secret_len (pin) == 0)
    return FALSE;
  if (!staff_hash_parse (cfg->staff_pin_hash, &it, &salt, &sl, &hash, &hl))
    return FALSE;
  ok = derive (pin, it, salt, sl, got) && CRYPTO_memcmp (got, hash, STAFF_PIN_HASH_LEN) == 0;
  OPENSSL_cleanse (got, sizeof got);
  return ok;
}

char *
kiosk_config_hash_staff_pin (const myna_secret *pin)
{
  guint8 salt[STAFF_PIN_SALT_LEN];
  guint8 hash[STAFF_PIN_HASH_LEN];
  g_autofree char *salt64 = NULL;
  g_autofree char *hash64 = NULL;
  char *out;

  if (RAND_bytes (salt, sizeof salt) != 1 || !derive (pin, STAFF_PIN_ITERATIONS, salt, sizeof salt, hash))
    return NULL;
  salt64 = g_base64_encode (salt, sizeof salt);
  hash64 = g_base64_encode (hash, sizeof hash);
  OPENSSL_cleanse (hash, sizeof hash);
  out = g_strdup_printf ("pbkdf2-sha256$%u$%s$%s", STAFF_PIN_ITERATIONS, salt64, hash64);
  return out;
}
