/* kiosk-kana.h - kana changes made by the keyboard's ゛ ゜ and 小 keys
 * (internal to libkioskwidgets).
 *
 * Each function takes the character before the cursor and returns the
 * character to put in its place, or 0 when the key does not apply to it.
 * Hiragana and katakana are handled alike.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ゛: か→が, が→か (a second press takes the mark off), ぱ→ば, う→ゔ, ウ→ヴ. */
gunichar kiosk_kana_voiced (gunichar c);
/* ゜: は→ぱ, ば→ぱ, ぱ→は (は row only). */
gunichar kiosk_kana_semi_voiced (gunichar c);
/* 小: あ→ぁ, つ→っ, や→ゃ, わ→ゎ, カ→ヵ, ケ→ヶ ... and back. */
gunichar kiosk_kana_small (gunichar c);
/* Hiragana → katakana; anything else unchanged. */
gunichar kiosk_kana_to_katakana (gunichar c);

G_END_DECLS
