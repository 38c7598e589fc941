/* kiosk-kana.c - kana changes made by the keyboard's ゛ ゜ and 小 keys. */
#include "kiosk-kana.h"

/* Katakana are the hiragana moved by this much (ぁ U+3041 → ァ U+30A1,
 * up to ゖ U+3096 → ヶ U+30F6). */
#define KATAKANA_OFFSET 0x60
#define HIRAGANA_FIRST 0x3041
#define HIRAGANA_LAST 0x3096

typedef struct {
  gunichar plain;
  gunichar voiced;
  gunichar semi_voiced;   /* 0: none */
} VoicedForms;

/* Hiragana with a voiced form; katakana are found through KATAKANA_OFFSET. */
static const VoicedForms voiced_forms[] = {
  { 0x3046, 0x3094, 0 },        /* う ゔ */
  { 0x304B, 0x304C, 0 },        /* か が */
  { 0x304D, 0x304E, 0 },        /* き ぎ */
  { 0x304F, 0x3050, 0 },        /* く ぐ */
  { 0x3051, 0x3052, 0 },        /* け げ */
  { 0x3053, 0x3054, 0 },        /* こ ご */
  { 0x3055, 0x3056, 0 },        /* さ ざ */
  { 0x3057, 0x3058, 0 },        /* し じ */
  { 0x3059, 0x305A, 0 },        /* す ず */
  { 0x305B, 0x305C, 0 },        /* せ ぜ */
  { 0x305D, 0x305E, 0 },        /* そ ぞ */
  { 0x305F, 0x3060, 0 },        /* た だ */
  { 0x3061, 0x3062, 0 },        /* ち ぢ */
  { 0x3064, 0x3065, 0 },        /* つ づ */
  { 0x3066, 0x3067, 0 },        /* て で */
  { 0x3068, 0x3069, 0 },        /* と ど */
  { 0x306F, 0x3070, 0x3071 },   /* は ば ぱ */
  { 0x3072, 0x3073, 0x3074 },   /* ひ び ぴ */
  { 0x3075, 0x3076, 0x3077 },   /* ふ ぶ ぷ */
  { 0x3078, 0x3079, 0x307A },   /* へ べ ぺ */
  { 0x307B, 0x307C, 0x307D },   /* ほ ぼ ぽ */
};

typedef struct {
  gunichar big;
  gunichar small;
} SmallForm;

static const SmallForm small_forms[] = {
  { 0x3042, 0x3041 },   /* あ ぁ */
  { 0x3044, 0x3043 },   /* い ぃ */
  { 0x3046, 0x3045 },   /* う ぅ */
  { 0x3048, 0x3047 },   /* え ぇ */
  { 0x304A, 0x3049 },   /* お ぉ */
  { 0x304B, 0x3095 },   /* か ゕ (ヵ) */
  { 0x3051, 0x3096 },   /* け ゖ (ヶ) */
  { 0x3064, 0x3063 },   /* つ っ */
  { 0x3084, 0x3083 },   /* や ゃ */
  { 0x3086, 0x3085 },   /* ゆ ゅ */
  { 0x3088, 0x3087 },   /* よ ょ */
  { 0x308F, 0x308E },   /* わ ゎ */
};

/* c as hiragana (*offset 0) or katakana (*offset KATAKANA_OFFSET). */
static gunichar
to_hiragana (gunichar c, gunichar *offset)
{
  if (c >= HIRAGANA_FIRST + KATAKANA_OFFSET && c <= HIRAGANA_LAST + KATAKANA_OFFSET)
    {
      *offset = KATAKANA_OFFSET;
      return c - KATAKANA_OFFSET;
    }
  *offset = 0;
  return c;
}

static const VoicedForms *
find_voiced (gunichar h)
{
  for (gsize i = 0; i < G_N_ELEMENTS (voiced_forms); i++)
    if (voiced_forms[i].plain == h || voiced_forms[i].voiced == h ||
        (voiced_forms[i].semi_voiced != 0 && voiced_forms[i].semi_voiced == h))
      return &voiced_forms[i];
  return NULL;
}

gunichar
kiosk_kana_voiced (gunichar c)
{
  gunichar offset;
  gunichar h = to_hiragana (c, &offset);
  const VoicedForms *f = find_voiced (h);

  if (f == NULL)
    return 0;
  return (h == f->voiced ? f->plain : f->voiced) + offset;
}

gunichar
kiosk_kana_semi_voiced (gunichar c)
{
  gunichar offset;
  gunichar h = to_hiragana (c, &offset);
  const VoicedForms *f = find_voiced (h);

  if (f == NULL || f->semi_voiced == 0)
    return 0;
  return (h == f->semi_voiced ? f->plain : f->semi_voiced) + offset;
}

gunichar
kiosk_kana_small (gunichar c)
{
  gunichar offset;
  gunichar h = to_hiragana (c, &offset);

  for (gsize i = 0; i < G_N_ELEMENTS (small_forms); i++)
    {
      if (small_forms[i].big == h)
        return small_forms[i].small + offset;
      if (small_forms[i].small == h)
        return small_forms[i].big + offset;
    }
  return 0;
}

gunichar
kiosk_kana_to_katakana (gunichar c)
{
  if (c >= HIRAGANA_FIRST && c <= HIRAGANA_LAST)
    return c + KATAKANA_OFFSET;
  return c;
}
