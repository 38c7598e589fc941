/* kiosk-i18n.c - switching the language of the kiosk at run time.
 *
 * gettext answers in the languages listed in LANGUAGE, except when the
 * LC_MESSAGES locale is "C" (then it ignores LANGUAGE). A kiosk started
 * without a locale (systemd units, CI) is in "C", so LC_MESSAGES is moved
 * to C.UTF-8, which glibc (>= 2.35) always has. Catalogues are read as
 * UTF-8 whatever LC_CTYPE says. After LANGUAGE changes, glibc must be told
 * to drop the translations it has cached: the documented way is to bump
 * _nl_msg_cat_cntr (setlocale() to the same locale does not: glibc returns
 * early when nothing changes). */

#include "kiosk-i18n.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

static const KioskLanguage LANGUAGES[] = {
  { "ja", "日本語", "ja" },
  { "en", "English", "en" },
  { "zh_CN", "中文", "zh-CN" },
  { "ko", "한국어", "ko" },
  { "es", "Español", "es" },
  { "pt_BR", "Português", "pt-BR" },
};

static const KioskLanguage *current;

/* glibc's counter of catalogue changes (GNU gettext's manual, "Being a
 * gettext grok"): incrementing it invalidates gettext's cache. */
extern int _nl_msg_cat_cntr;

const KioskLanguage *
kiosk_i18n_languages (guint *n_out)
{
  *n_out = G_N_ELEMENTS (LANGUAGES);
  return LANGUAGES;
}

const KioskLanguage *
kiosk_i18n_find (const char *code)
{
  for (guint i = 0; code && i < G_N_ELEMENTS (LANGUAGES); i++)
    if (!strcmp (LANGUAGES[i].code, code))
      return &LANGUAGES[i];
  return NULL;
}

static gboolean
is_c_locale (const char *name)
{
  return !name || !strcmp (name, "C") || !strcmp (name, "POSIX");
}

void
kiosk_i18n_init (const char *locale_dir, const char *default_code)
{
  const char *messages;

  setlocale (LC_ALL, "");
  messages = setlocale (LC_MESSAGES, NULL);
  if (is_c_locale (messages))
    setlocale (LC_MESSAGES, "C.UTF-8");
  if (is_c_locale (setlocale (LC_CTYPE, NULL)))
    setlocale (LC_CTYPE, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  if (!kiosk_i18n_set_language (default_code))
    kiosk_i18n_set_language ("ja");
}

gboolean
kiosk_i18n_set_language (const char *code)
{
  const KioskLanguage *lang = kiosk_i18n_find (code);

  if (!lang)
    return FALSE;
  /* English is the catalogue's own language: "en" still goes through
   * LANGUAGE so that a fallback never lands in another language. */
  g_setenv ("LANGUAGE", lang->code, TRUE);
  ++_nl_msg_cat_cntr;
  current = lang;
  return TRUE;
}

const char *
kiosk_i18n_get_language (void)
{
  return current ? current->code : "ja";
}
