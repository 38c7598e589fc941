/* kiosk-i18n.h - the languages a resident can choose.
 *
 * Translations are gettext catalogues of the domain GETTEXT_PACKAGE
 * ("mynaterm-kiosk"); message ids are English. The kiosk starts in the
 * configured default language (Japanese) and returns to it when a session
 * ends. Switching sets LANGUAGE and re-reads LC_MESSAGES so that the next
 * gettext call answers in the new language; widgets built before the switch
 * keep their text, so the window rebuilds its pages after a switch.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *code;          /* gettext language code: "ja", "en", "zh_CN", "ko", "es", "pt_BR" */
  const char *native_name;   /* "日本語", "English", "中文", "한국어", "Español", "Português" */
  const char *bcp47;         /* "ja", "en", "zh-CN", "ko", "es", "pt-BR" */
} KioskLanguage;

/* The languages offered, in the order the attract screen shows them; n_out
 * gets their number. */
const KioskLanguage *kiosk_i18n_languages (guint *n_out);
/* The entry for code, or NULL. */
const KioskLanguage *kiosk_i18n_find (const char *code);

/* Bind the text domain to locale_dir (the build tree's or the installed
 * one), make sure LC_MESSAGES is not the C locale (where gettext ignores
 * LANGUAGE), and switch to default_code. Call once, before GTK starts. */
void kiosk_i18n_init (const char *locale_dir, const char *default_code);
/* Switch the language; FALSE for a code not offered. */
gboolean kiosk_i18n_set_language (const char *code);
const char *kiosk_i18n_get_language (void);

G_END_DECLS
