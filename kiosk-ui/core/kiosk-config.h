/* kiosk-config.h - the kiosk's own settings, beside the portal's.
 *
 * One file holds both: the [portal], [network], [outbox] and [kiosk] groups
 * go to mp_config (libmynaportal), the [card] and [ui] groups are read here,
 * just as strictly: an unknown key, a bad value or an unreadable file is an
 * MP_ERROR_CONFIG naming the file, the group and the key. config/mynaterm.conf
 * documents every key.
 */
#pragma once

#include <glib.h>

#include "mynacard/secret.h"
#include "mynaportal/config.h"

G_BEGIN_DECLS

typedef enum {
  KIOSK_CARD_SOURCE_PCSC,   /* a PC/SC reader through pcscd (the default) */
  KIOSK_CARD_SOURCE_NFC,    /* a reader driven by libnfc */
  KIOSK_CARD_SOURCE_VCARD   /* the software card, in-process (demo mode) */
} KioskCardSource;

typedef struct {
  mp_config *portal;            /* the portal client's settings (owned) */

  /* [card] */
  KioskCardSource card_source;  /* source = pcsc | nfc | vcard */
  char *reader;                 /* reader = name or part of it; NULL: any */
  char *nfc_device;             /* nfc-device = libnfc connstring; NULL: the first */
  char *vcard_profile;          /* vcard-profile = profile.ini (source = vcard) */
  char *placement;              /* placement = text shown with the card guide,
                                   e.g. "the reader on the right of the screen";
                                   NULL: a generic guide for the reader kind */

  /* [ui] */
  guint idle_timeout_s;         /* idle-timeout-s: default 120, 10..3600 */
  guint idle_warning_s;         /* idle-warning-s: countdown before it, default 20, 3..120 */
  guint delivery_interval_s;    /* delivery-interval-s: how often the outbox is
                                   tried while nobody is at the counter; default 60 */
  char *default_language;       /* default-language: ja (default), en, zh_CN, ko, es, pt_BR */
  gboolean fullscreen;          /* fullscreen: default true */
  char **attachment_dirs;       /* attachment-dirs: the folders attachments may
                                   be taken from (";"-separated); NULL: none */
  char *staff_pin_hash;         /* staff-pin-hash: "pbkdf2-sha256$ITER$SALT_B64$HASH_B64";
                                   NULL: no staff view */
  gboolean high_contrast;       /* high-contrast: start in high contrast, default false */
  gboolean large_text;          /* large-text: start with large text, default false */
} KioskConfig;

/* The built-in defaults (no portal URL: a file or the demo sets it). */
KioskConfig *kiosk_config_new (void);
/* Read path over the defaults; checks the portal part with mp_config_check. */
KioskConfig *kiosk_config_load (const char *path, GError **error);
void kiosk_config_free (KioskConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KioskConfig, kiosk_config_free)

/* Is pin the configured staff PIN? Constant-time; FALSE when none is set. */
gboolean kiosk_config_check_staff_pin (const KioskConfig *cfg, const myna_secret *pin);
/* The staff-pin-hash value for pin (a fresh random salt), for the operator's
 * `mynaterm-kiosk --hash-staff-pin`. */
char *kiosk_config_hash_staff_pin (const myna_secret *pin);

/* "pcsc", "nfc", "vcard" */
const char *kiosk_card_source_name (KioskCardSource source);

G_END_DECLS
