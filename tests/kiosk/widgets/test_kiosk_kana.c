/* test_kiosk_kana.c - the kana changes behind the ゛ ゜ 小 keys, for every
 * kana they apply to (no display needed). */
#include <glib.h>

#include "kiosk-kana.h"

typedef gunichar (*Change) (gunichar c);

/* Each pair "xy" of the two strings: change (x) == y. */
static void
assert_changes (Change change, const char *from, const char *to)
{
  g_assert_cmpint (g_utf8_strlen (from, -1), ==, g_utf8_strlen (to, -1));
  for (const char *f = from, *t = to; *f != '\0'; f = g_utf8_next_char (f), t = g_utf8_next_char (t))
    {
      gunichar got = change (g_utf8_get_char (f));

      if (got != g_utf8_get_char (t))
        g_error ("U+%04X became U+%04X, expected U+%04X",
                 g_utf8_get_char (f), got, g_utf8_get_char (t));
    }
}

static void
assert_unchanged (Change change, const char *chars)
{
  for (const char *p = chars; *p != '\0'; p = g_utf8_next_char (p))
    if (change (g_utf8_get_char (p)) != 0)
      g_error ("U+%04X should not change", g_utf8_get_char (p));
}

static void
test_voiced_mark_adds_and_removes_dakuten (void)
{
  assert_changes (kiosk_kana_voiced,
                  "かきくけこさしすせそたちつてとはひふへほう",
                  "がぎぐげござじずぜぞだぢづでどばびぶべぼゔ");
  assert_changes (kiosk_kana_voiced,
                  "がぎぐげござじずぜぞだぢづでどばびぶべぼゔ",
                  "かきくけこさしすせそたちつてとはひふへほう");
  assert_changes (kiosk_kana_voiced,
                  "カキクケコサシスセソタチツテトハヒフヘホウ",
                  "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ");
  assert_changes (kiosk_kana_voiced, "ガヴ", "カウ");
  /* ぱ → ば: the marks replace each other. */
  assert_changes (kiosk_kana_voiced, "ぱぴぷぺぽパポ", "ばびぶべぼバボ");
  assert_unchanged (kiosk_kana_voiced, "あいえおなにぬねのまみむめもやゆよらりるれろわをんっゃーAz1　");
}

static void
test_semi_voiced_mark_only_on_the_ha_row (void)
{
  assert_changes (kiosk_kana_semi_voiced, "はひふへほ", "ぱぴぷぺぽ");
  assert_changes (kiosk_kana_semi_voiced, "ばびぶべぼ", "ぱぴぷぺぽ");
  assert_changes (kiosk_kana_semi_voiced, "ぱぴぷぺぽ", "はひふへほ");
  assert_changes (kiosk_kana_semi_voiced, "ハヒフヘホバボパ", "パピプペポパポハ");
  assert_unchanged (kiosk_kana_semi_voiced, "かがさたつうウあんーA");
}

static void
test_small_key_makes_kana_small_and_back (void)
{
  assert_changes (kiosk_kana_small, "あいうえおつやゆよわ", "ぁぃぅぇぉっゃゅょゎ");
  assert_changes (kiosk_kana_small, "ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ");
  assert_changes (kiosk_kana_small, "アイウエオツヤユヨワカケ", "ァィゥェォッャュョヮヵヶ");
  assert_changes (kiosk_kana_small, "ッヵヶ", "ツカケ");
  assert_unchanged (kiosk_kana_small, "きさなはまらをんがづーA");
}

static void
test_hiragana_to_katakana (void)
{
  assert_changes (kiosk_kana_to_katakana,
                  "あいうえおかがぱっゃゎをんゔゕゖ",
                  "アイウエオカガパッャヮヲンヴヵヶ");
  assert_changes (kiosk_kana_to_katakana, "アーA1・　", "アーA1・　");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/kiosk/kana/voiced-mark-adds-and-removes-dakuten",
                   test_voiced_mark_adds_and_removes_dakuten);
  g_test_add_func ("/kiosk/kana/semi-voiced-mark-only-on-the-ha-row",
                   test_semi_voiced_mark_only_on_the_ha_row);
  g_test_add_func ("/kiosk/kana/small-key-makes-kana-small-and-back",
                   test_small_key_makes_kana_small_and_back);
  g_test_add_func ("/kiosk/kana/hiragana-to-katakana", test_hiragana_to_katakana);

  return g_test_run ();
}
