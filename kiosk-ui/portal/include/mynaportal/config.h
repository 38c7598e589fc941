/* mynaportal/config.h - how the terminal reaches the portal.
 *
 * Read from a GKeyFile (config/mynaterm.conf documents every key). A key the
 * program does not know, a value of the wrong form or a file that cannot be
 * read is an MP_ERROR_CONFIG that names the file, the group and the key, so
 * that an operator can fix it; nothing is guessed.
 */
#ifndef MYNAPORTAL_CONFIG_H
#define MYNAPORTAL_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct mp_config {
  /* [portal] */
  char *base_url;          /* url: https://host[:port], no path; https only */
  char *ca_file;           /* ca-file: PEM the server certificate must chain to (required) */
  char *pin;               /* pin: optional SPKI pin, "sha256//BASE64[;sha256//...]" (curl's form) */
  char *proxy;             /* proxy: optional proxy URL; unset: no proxy (the environment is ignored) */
  char *terminal_id;       /* terminal-id: sent as X-Terminal-Id (required) */
  char *client_cert;       /* client-cert: optional PEM, the terminal's TLS client certificate */
  char *client_key;        /* client-key: its private key (PEM); required with client-cert */
  /* [network] */
  guint connect_timeout_ms;  /* connect-timeout-ms: default 10000 */
  guint low_speed_time_s;    /* low-speed-time-s: give up after this long below low-speed-limit; default 30 */
  guint low_speed_limit;     /* low-speed-limit: bytes per second; default 1 */
  guint retry_total_ms;      /* retry-total-ms: bound on all tries of one request; default 120000 */
  guint retry_base_ms;       /* retry-base-ms: first back-off; default 500 */
  guint retry_max_ms;        /* retry-max-ms: largest back-off; default 30000 */
  /* [outbox] */
  char *outbox_dir;          /* dir: default $XDG_STATE_HOME/mynaterm/outbox */
  /* [kiosk] */
  char *city_code;           /* city-code: default municipality for search (6 digits); optional */
} mp_config;

/* The defaults: no URL, no CA file (both must come from a file or the
 * caller), X-Terminal-Id unset. */
mp_config *mp_config_new(void);
/* Read path over the defaults. Relative paths in the file are taken relative
 * to the file's folder. */
mp_config *mp_config_load(const char *path, GError **error);
/* Check that everything required is there and well-formed (url is https,
 * ca-file readable, client-key with client-cert, ...). mp_config_load calls
 * it; callers that fill a config by hand call it themselves. */
gboolean mp_config_check(const mp_config *cfg, GError **error);
mp_config *mp_config_copy(const mp_config *cfg);
void mp_config_free(mp_config *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mp_config, mp_config_free)

G_END_DECLS

#endif
