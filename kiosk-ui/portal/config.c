/* config.c - the terminal's portal settings from a GKeyFile.
 *
 * Strict on purpose: an operator who restores 200 terminals from one file
 * must learn at start-up, with the file, group and key named, that a key is
 * misspelt, rather than find a terminal quietly running on a default. */

#include "mynaportal/config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mynaportal/error.h"

mp_config *mp_config_new(void)
{
  mp_config *c = g_new0(mp_config, 1);
  c->connect_timeout_ms = 10000;
  c->low_speed_time_s = 30;
  c->low_speed_limit = 1;
  c->retry_total_ms = 120000;
  c->retry_base_ms = 500;
  c->retry_max_ms = 30000;
  c->outbox_dir = g_build_filename(g_get_user_state_dir(), "mynaterm", "outbox", NULL);
  return c;
}

void mp_config_free(mp_config *c)
{
  if(!c)
    return;
  g_free(c->base_url);
  g_free(c->ca_file);
  g_free(c->pin);
  g_free(c->proxy);
  g_free(c->terminal_id);
  g_free(c->client_cert);
  g_free(c->client_key);
  g_free(c->outbox_dir);
  g_free(c->city_code);
  g_free(c);
}

mp_config *mp_config_copy(const mp_config *s)
{
  mp_config *c = g_new0(mp_config, 1);
  *c = *s;
  c->base_url = g_strdup(s->base_url);
  c->ca_file = g_strdup(s->ca_file);
  c->pin = g_strdup(s->pin);
  c->proxy = g_strdup(s->proxy);
  c->terminal_id = g_strdup(s->terminal_id);
  c->client_cert = g_strdup(s->client_cert);
  c->client_key = g_strdup(s->client_key);
  c->outbox_dir = g_strdup(s->outbox_dir);
  c->city_code = g_strdup(s->city_code);
  return c;
}

/* ---- reading ---- */

typedef enum { K_STRING, K_PATH, K_UINT } key_kind;

typedef struct {
  const char *group;
  const char *key;
  key_kind kind;
  size_t offset;
  guint min, max;   /* K_UINT */
} key_spec;

#define S(g, k, field) { g, k, K_STRING, G_STRUCT_OFFSET(mp_config, field), 0, 0 }
#define P(g, k, field) { g, k, K_PATH, G_STRUCT_OFFSET(mp_config, field), 0, 0 }
#define U(g, k, field, lo, hi) { g, k, K_UINT, G_STRUCT_OFFSET(mp_config, field), lo, hi }

static const key_spec KEYS[] = {
  S("portal", "url", base_url),
  P("portal", "ca-file", ca_file),
  S("portal", "pin", pin),
  S("portal", "proxy", proxy),
  S("portal", "terminal-id", terminal_id),
  P("portal", "client-cert", client_cert),
  P("portal", "client-key", client_key),
  U("network", "connect-timeout-ms", connect_timeout_ms, 100, 600000),
  U("network", "low-speed-time-s", low_speed_time_s, 1, 3600),
  U("network", "low-speed-limit", low_speed_limit, 1, 100000000),
  U("network", "retry-total-ms", retry_total_ms, 0, 86400000),
  U("network", "retry-base-ms", retry_base_ms, 1, 600000),
  U("network", "retry-max-ms", retry_max_ms, 1, 3600000),
  P("outbox", "dir", outbox_dir),
  S("kiosk", "city-code", city_code),
};

/* Groups that other parts of the terminal read from the same file; their
 * keys are theirs to check. */
static const char *const FOREIGN_GROUPS[] = { "card", "ui", NULL };

static const key_spec *find_key(const char *group, const char *key)
{
  for(size_t i = 0; i < G_N_ELEMENTS(KEYS); i++)
    if(!strcmp(KEYS[i].group, group) && !strcmp(KEYS[i].key, key))
      return &KEYS[i];
  return NULL;
}

static gboolean group_known(const char *group)
{
  for(size_t i = 0; i < G_N_ELEMENTS(KEYS); i++)
    if(!strcmp(KEYS[i].group, group))
      return TRUE;
  return FALSE;
}

static gboolean parse_uint(const char *text, guint min, guint max, guint *out)
{
  guint64 v;
  if(!g_ascii_string_to_unsigned(text, 10, min, max, &v, NULL))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

mp_config *mp_config_load(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) e = NULL;
  if(!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "%s: %s", path, e->message);
    return NULL;
  }
  g_autoptr(mp_config) c = mp_config_new();
  g_autofree char *dir = g_path_get_dirname(path);
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for(char **g = groups; *g; g++) {
    if(g_strv_contains(FOREIGN_GROUPS, *g))
      continue;
    if(!group_known(*g)) {
      mp_set_error(error, MP_ERROR_CONFIG, NULL,
                   "%s: unknown group [%s] (known: portal, network, outbox, kiosk, card, ui)",
                   path, *g);
      return NULL;
    }
    g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
    for(char **k = keys; k && *k; k++) {
      const key_spec *spec = find_key(*g, *k);
      if(!spec) {
        mp_set_error(error, MP_ERROR_CONFIG, NULL, "%s: [%s] unknown key '%s'", path, *g, *k);
        return NULL;
      }
      g_autofree char *value = g_key_file_get_string(kf, *g, *k, &e);
      if(!value) {
        mp_set_error(error, MP_ERROR_CONFIG, NULL, "%s: [%s] %s: %s", path, *g, *k,
                     e->message);
        return NULL;
      }
      g_strstrip(value);
      void *field = G_STRUCT_MEMBER_P(c, spec->offset);
      switch(spec->kind) {
      case K_UINT:
        if(!parse_uint(value, spec->min, spec->max, field)) {
          mp_set_error(error, MP_ERROR_CONFIG, NULL,
                       "%s: [%s] %s must be a whole number from %u to %u", path, *g, *k,
                       spec->min, spec->max);
          return NULL;
        }
        break;
      case K_PATH:
      case K_STRING: {
        char **slot = field;
        g_free(*slot);
        if(!*value)
          *slot = NULL;  /* an empty value means "not set" */
        else if(spec->kind == K_PATH && !g_path_is_absolute(value))
          *slot = g_build_filename(dir, value, NULL);
        else
          *slot = g_steal_pointer(&value);
        break;
      }
      }
    }
  }
  if(!mp_config_check(c, &e)) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "%s: %s", path, e->message);
    return NULL;
  }
  return g_steal_pointer(&c);
}

static gboolean readable(const char *path, const char *what, GError **error)
{
  if(access(path, R_OK) != 0) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "%s '%s' cannot be read: %s", what, path,
                 g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

gboolean mp_config_check(const mp_config *c, GError **error)
{
  if(!c->base_url || !g_str_has_prefix(c->base_url, "https://") ||
     strlen(c->base_url) <= strlen("https://")) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] url must be set to the portal's https:// address");
    return FALSE;
  }
  const char *host = c->base_url + strlen("https://");
  if(strchr(host, '/') || strchr(host, '?') || strchr(host, '#') || strchr(host, '@')) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] url '%s' must be only https://host[:port], without a path",
                 c->base_url);
    return FALSE;
  }
  if(!c->ca_file) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] ca-file must name the PEM file that the portal's certificate chains to");
    return FALSE;
  }
  if(!readable(c->ca_file, "[portal] ca-file", error))
    return FALSE;
  if(c->pin) {
    g_auto(GStrv) pins = g_strsplit(c->pin, ";", -1);
    for(char **p = pins; *p; p++) {
      gsize n = 0;
      g_autofree guchar *raw = NULL;
      if(g_str_has_prefix(*p, "sha256//"))
        raw = g_base64_decode(*p + strlen("sha256//"), &n);
      if(n != 32) {
        mp_set_error(error, MP_ERROR_CONFIG, NULL,
                     "[portal] pin must be sha256//BASE64 of the server key's SubjectPublicKeyInfo "
                     "(several separated by ';')");
        return FALSE;
      }
    }
  }
  if(!c->terminal_id || !*c->terminal_id || strlen(c->terminal_id) > 64) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] terminal-id must be set (1 to 64 printable ASCII characters)");
    return FALSE;
  }
  for(const char *p = c->terminal_id; *p; p++)
    if(*p <= ' ' || *p > '~') {
      mp_set_error(error, MP_ERROR_CONFIG, NULL,
                   "[portal] terminal-id must be printable ASCII without spaces");
      return FALSE;
    }
  if(!c->client_cert != !c->client_key) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[portal] client-cert and client-key go together: set both or neither");
    return FALSE;
  }
  if(c->client_cert && (!readable(c->client_cert, "[portal] client-cert", error) ||
                        !readable(c->client_key, "[portal] client-key", error)))
    return FALSE;
  if(c->retry_base_ms > c->retry_max_ms) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL,
                 "[network] retry-base-ms (%u) must not exceed retry-max-ms (%u)",
                 c->retry_base_ms, c->retry_max_ms);
    return FALSE;
  }
  if(!c->outbox_dir) {
    mp_set_error(error, MP_ERROR_CONFIG, NULL, "[outbox] dir must be set");
    return FALSE;
  }
  if(c->city_code) {
    gboolean ok = strlen(c->city_code) == 6;
    for(const char *p = c->city_code; ok && *p; p++)
      ok = g_ascii_isdigit(*p);
    if(!ok) {
      mp_set_error(error, MP_ERROR_CONFIG, NULL,
                   "[kiosk] city-code must be the 6-digit 全国地方公共団体コード (e.g. 102016)");
      return FALSE;
    }
  }
  return TRUE;
}
