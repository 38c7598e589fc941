/* era.c - Gregorian dates to Japanese eras (元号).
 *
 * The card prints the birth date in the era of the holder's birth, and
 * 照合番号B is built from that era year, so the conversion has to match the
 * card to the day at every era boundary. */
#include "mynacard/faceap.h"

#include <stdbool.h>

typedef struct era_start {
  myna_era era;
  int year;
  int month;
  int day;
  const char *name_ja;
  const char *name;
} era_start;

/* First day of each era, inclusive. 明治 officially began on 1868-10-23 but
 * was applied retroactively to the first day of that year (1868-01-25 in the
 * Gregorian calendar), which is where dates before it stop being 明治. */
static const era_start eras[] = {
  { MYNA_ERA_MEIJI,  1868,  1, 25, "明治", "Meiji" },
  { MYNA_ERA_TAISHO, 1912,  7, 30, "大正", "Taisho" },
  { MYNA_ERA_SHOWA,  1926, 12, 25, "昭和", "Showa" },
  { MYNA_ERA_HEISEI, 1989,  1,  8, "平成", "Heisei" },
  { MYNA_ERA_REIWA,  2019,  5,  1, "令和", "Reiwa" },
};

#define N_ERAS (sizeof(eras) / sizeof(eras[0]))

static bool is_leap(int year)
{
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31 };
  if(month == 2 && is_leap(year))
    return 29;
  return days[month - 1];
}

/* Dates compare as one integer YYYYMMDD, which orders them correctly once
 * each part is in range. */
static long date_key(int year, int month, int day)
{
  return (long)year * 10000 + month * 100 + day;
}

myna_rv myna_japanese_era(int year, int month, int day, myna_era *era,
                          int *era_year)
{
  if(!era || !era_year)
    return MYNA_E_INVALID_ARGUMENT;
  if(year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
     day > days_in_month(year, month))
    return MYNA_E_INVALID_ARGUMENT;
  long key = date_key(year, month, day);
  for(size_t i = N_ERAS; i-- > 0;) {
    const era_start *e = &eras[i];
    if(key >= date_key(e->year, e->month, e->day)) {
      *era = e->era;
      *era_year = year - e->year + 1;
      return MYNA_OK;
    }
  }
  return MYNA_E_INVALID_ARGUMENT;
}

const char *myna_era_name_ja(myna_era era)
{
  for(size_t i = 0; i < N_ERAS; i++)
    if(eras[i].era == era)
      return eras[i].name_ja;
  return "";
}

const char *myna_era_name(myna_era era)
{
  for(size_t i = 0; i < N_ERAS; i++)
    if(eras[i].era == era)
      return eras[i].name;
  return "";
}
