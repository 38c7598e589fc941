/* test_kiosk_form_rules.c - the form's schema model and rules, without a
 * display: each rule on a small form written here, and the kiosk's check
 * against the portal's own (ps_catalog_check_form) over the whole shipped
 * catalogue: every procedure's examples are accepted by both, and every
 * mutation of them is refused by both with the same report items. */

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "catalog.h"
#include "kiosk-form-rules.h"
#include "kiosk-form-schema.h"
#include "report.h"

static const char small_form[] =
  "{\"proc_id\": \"000000-test\", \"title\": \"試験\", \"submit_to\": \"試験課\","
  " \"signature_required\": true,"
  " \"form\": {\"sections\": ["
  "  {\"id\": \"main\", \"title\": \"本人\", \"fields\": ["
  "   {\"id\": \"name\", \"label\": \"氏名\", \"type\": \"text\", \"required\": true, \"max_length\": 2},"
  "   {\"id\": \"kana\", \"label\": \"カナ\", \"type\": \"text\", \"required\": false,"
  "    \"pattern\": \"[ァ-ヶー　 ]+\", \"pattern_description\": \"全角カタカナで入力してください\"},"
  "   {\"id\": \"alt\", \"label\": \"どちらか\", \"type\": \"text\", \"required\": false,"
  "    \"pattern\": \"a|b\", \"pattern_description\": \"aかbです。\"},"
  "   {\"id\": \"code\", \"label\": \"コード\", \"type\": \"text\", \"required\": false,"
  "    \"pattern\": \"[0-9]{7}\", \"pattern_description\": \"7桁の半角数字\"},"
  "   {\"id\": \"phone\", \"label\": \"電話\", \"type\": \"text\", \"required\": false,"
  "    \"pattern\": \"0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}\", \"pattern_description\": \"電話番号\"},"
  "   {\"id\": \"hira\", \"label\": \"よみ\", \"type\": \"text\", \"required\": false,"
  "    \"pattern\": \"[ぁ-ん]+\", \"pattern_description\": \"ひらがな\"},"
  "   {\"id\": \"memo\", \"label\": \"理由\", \"type\": \"text\", \"required\": false, \"multiline\": true},"
  "   {\"id\": \"mn\", \"label\": \"個人番号\", \"type\": \"text\", \"required\": false,"
  "    \"max_length\": 12, \"check\": \"my_number\"},"
  "   {\"id\": \"count\", \"label\": \"人数\", \"type\": \"number\", \"required\": false,"
  "    \"min\": 1, \"max\": 20, \"unit\": \"人\"},"
  "   {\"id\": \"amount\", \"label\": \"金額\", \"type\": \"number\", \"required\": false, \"min\": 0},"
  "   {\"id\": \"birth\", \"label\": \"生年月日\", \"type\": \"date\", \"required\": false, \"date_range\": \"past\"},"
  "   {\"id\": \"start\", \"label\": \"開始日\", \"type\": \"date\", \"required\": false, \"date_range\": \"future\"},"
  "   {\"id\": \"day\", \"label\": \"日\", \"type\": \"date\", \"required\": false},"
  "   {\"id\": \"method\", \"label\": \"受取方法\", \"type\": \"select\", \"required\": true,"
  "    \"choices\": [{\"value\": \"koukin\", \"label\": \"公金受取口座\"}, {\"value\": \"shitei\", \"label\": \"口座を指定する\"}]},"
  "   {\"id\": \"bank\", \"label\": \"金融機関名\", \"type\": \"text\", \"required\": false,"
  "    \"required_when\": {\"field\": \"method\", \"value\": \"shitei\"}},"
  "   {\"id\": \"agree\", \"label\": \"同意します\", \"type\": \"checkbox\", \"required\": true},"
  "   {\"id\": \"zip\", \"label\": \"郵便番号\", \"type\": \"postal-code\", \"required\": false},"
  "   {\"id\": \"addr\", \"label\": \"住所\", \"type\": \"address\", \"required\": false, \"max_length\": 5}"
  "  ]},"
  "  {\"id\": \"kids\", \"title\": \"子ども\", \"repeat\": {\"min\": 1, \"max\": 3, \"entry_label\": \"子ども\", \"counter\": \"人\"},"
  "   \"fields\": ["
  "   {\"id\": \"kid_name\", \"label\": \"子の氏名\", \"type\": \"text\", \"required\": true},"
  "   {\"id\": \"apart\", \"label\": \"別居している\", \"type\": \"checkbox\", \"required\": false},"
  "   {\"id\": \"apart_addr\", \"label\": \"別居先\", \"type\": \"address\", \"required\": false,"
  "    \"required_when\": {\"field\": \"apart\", \"value\": \"true\"}},"
  "   {\"id\": \"kid_bank\", \"label\": \"子の口座\", \"type\": \"text\", \"required\": false,"
  "    \"required_when\": {\"field\": \"method\", \"value\": \"shitei\"}}"
  "  ]}"
  " ]},"
  " \"attachments\": ["
  "  {\"id\": \"doc\", \"title\": \"書類\", \"content_types\": [\"application/pdf\"], \"required\": true,"
  "   \"omittable_by_information_linkage\": true, \"linkage_note\": \"市で確認します。\"},"
  "  {\"id\": \"bekkyo\", \"title\": \"別居の書類\", \"content_types\": [\"image/jpeg\", \"image/png\"],"
  "   \"required\": false, \"required_when\": {\"field\": \"apart\", \"value\": \"true\"},"
  "   \"omittable_by_information_linkage\": false, \"max_files\": 2}"
  " ]}";

static KioskProcedureSpec *
load_spec (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);
  KioskProcedureSpec *spec;

  g_assert_no_error (error);
  spec = kiosk_procedure_spec_new (node, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  return spec;
}

static const KioskFieldSpec *
field (const KioskProcedureSpec *spec, const char *id)
{
  const KioskFieldSpec *f = kiosk_procedure_spec_field (spec, id);

  g_assert_nonnull (f);
  return f;
}

static GDate
date (int y, int m, int d)
{
  GDate g;

  g_date_clear (&g, 1);
  g_date_set_dmy (&g, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return g;
}

/* ---- the schema ---- */

static void
test_schema_reads_every_part (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskSectionSpec *kids = kiosk_procedure_spec_section (spec, "kids");
  const KioskAttachmentSpec *bekkyo = kiosk_procedure_spec_attachment (spec, "bekkyo");
  const KioskFieldSpec *bank = field (spec, "bank");

  g_assert_cmpstr (spec->proc_id, ==, "000000-test");
  g_assert_cmpstr (spec->submit_to, ==, "試験課");
  g_assert_true (spec->signature_required);
  g_assert_cmpuint (spec->sections->len, ==, 2);
  g_assert_true (kids->repeated);
  g_assert_cmpuint (kids->min_entries, ==, 1);
  g_assert_cmpuint (kids->max_entries, ==, 3);
  g_assert_cmpstr (kids->counter, ==, "人");
  g_assert_false (kiosk_procedure_spec_section (spec, "main")->repeated);
  g_assert_cmpstr (kiosk_procedure_spec_section (spec, "main")->counter, ==, "件");
  g_assert_true (bank->has_when);
  g_assert_true (bank->when.target == field (spec, "method"));
  g_assert_true (field (spec, "apart_addr")->when.target == field (spec, "apart"));
  g_assert_true (field (spec, "mn")->my_number);
  g_assert_cmpint (field (spec, "birth")->date_range, ==, KIOSK_DATE_PAST);
  g_assert_cmpint (field (spec, "start")->date_range, ==, KIOSK_DATE_FUTURE);
  g_assert_cmpint (field (spec, "zip")->type, ==, KIOSK_FIELD_POSTAL_CODE);
  g_assert_cmpstr (kiosk_field_spec_choice_label (field (spec, "method"), "shitei"), ==,
                   "口座を指定する");
  g_assert_null (kiosk_field_spec_choice_label (field (spec, "method"), "nope"));
  g_assert_cmpuint (bekkyo->content_types, ==, KIOSK_CONTENT_JPEG | KIOSK_CONTENT_PNG);
  g_assert_cmpuint (bekkyo->max_files, ==, 2);
  g_assert_cmpuint (kiosk_procedure_spec_attachment (spec, "doc")->max_files, ==, 1);
  g_assert_true (kiosk_procedure_spec_attachment (spec, "doc")->omittable);
}

static void
test_schema_refuses_what_it_cannot_build (void)
{
  static const struct {
    const char *from, *to, *path;
  } cases[] = {
    { "\"type\": \"postal-code\"", "\"type\": \"zip\"", "$.form.sections[0].fields[16]" },
    { "\"pattern\": \"[0-9]{7}\"", "\"pattern\": \"[0-9\"", "$.form.sections[0].fields[3]" },
    { ", \"pattern_description\": \"7桁の半角数字\"", "", "$.form.sections[0].fields[3]" },
    { "\"value\": \"shitei\"}}", "\"value\": \"other\"}}", "$.form.sections[0].fields[14]" },
    { "\"field\": \"apart\", \"value\": \"true\"}},", "\"field\": \"nobody\", \"value\": \"true\"}},",
      "$.form.sections[1].fields[2]" },
    { "{\"id\": \"kid_name\"", "{\"id\": \"name\"", "$.form.sections[1].fields[0]" },
    { "\"max_length\": 2", "\"max_length\": \"2\"", "$.form.sections[0].fields[0]" },
    { "\"content_types\": [\"application/pdf\"]", "\"content_types\": [\"text/plain\"]",
      "$.attachments[0]" },
    { "\"min\": 1, \"max\": 3", "\"min\": 4, \"max\": 3", "$.form.sections[1].repeat" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = NULL;
      g_autoptr(GString) s = g_string_new (small_form);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(KioskProcedureSpec) spec = NULL;

      g_assert_cmpuint (g_string_replace (s, cases[i].from, cases[i].to, 1), ==, 1);
      json = g_strdup (s->str);
      node = json_from_string (json, &error);
      g_assert_no_error (error);
      spec = kiosk_procedure_spec_new (node, &error);
      g_assert_null (spec);
      g_assert_error (error, KIOSK_FORM_SCHEMA_ERROR, KIOSK_FORM_SCHEMA_ERROR_INVALID);
      if (!g_str_has_prefix (error->message, cases[i].path))
        g_error ("case %u: \"%s\" does not start with %s", i, error->message, cases[i].path);
    }
}

/* ---- one value ---- */

static void
test_text_counts_code_points_and_refuses_control_characters (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *name = field (spec, "name"), *memo = field (spec, "memo");
  const KioskFieldSpec *addr = field (spec, "addr");

  g_assert_cmpint (kiosk_field_check_value (name, "高橋", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (name, "ab", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (name, "高橋健", NULL), ==, KIOSK_RULE_TOO_LONG);
  /* Emoji outside the BMP count once, like a person counts them. */
  g_assert_cmpint (kiosk_field_check_value (name, "😀😀", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (name, "a\nb", NULL), ==, KIOSK_RULE_LINE_BREAK);
  g_assert_cmpint (kiosk_field_check_value (name, "a\tb", NULL), ==, KIOSK_RULE_CONTROL_CHARACTER);
  g_assert_cmpint (kiosk_field_check_value (name, "a\xe2\x80\xa8", NULL), ==,
                   KIOSK_RULE_CONTROL_CHARACTER);
  g_assert_cmpint (kiosk_field_check_value (name, "\xef\xbf\xbe", NULL), ==,
                   KIOSK_RULE_CONTROL_CHARACTER);
  g_assert_cmpint (kiosk_field_check_value (memo, "一行目\n二行目\r\n三行目", NULL), ==,
                   KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (memo, "a\x7f", NULL), ==, KIOSK_RULE_CONTROL_CHARACTER);
  /* An address is never multi-line. */
  g_assert_cmpint (kiosk_field_check_value (addr, "a\nb", NULL), ==, KIOSK_RULE_LINE_BREAK);
  g_assert_cmpint (kiosk_field_check_value (addr, "宮崎県都城市", NULL), ==, KIOSK_RULE_TOO_LONG);
  g_assert_cmpint (kiosk_field_check_value (addr, "都城市姫城", NULL), ==, KIOSK_RULE_OK);
}

static void
test_patterns_match_the_whole_value (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *alt = field (spec, "alt"), *code = field (spec, "code");
  const KioskFieldSpec *kana = field (spec, "kana"), *phone = field (spec, "phone");

  /* Wrapped as \A(?:a|b)\z: the alternation cannot escape the anchors. */
  g_assert_cmpint (kiosk_field_check_value (alt, "a", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (alt, "b", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (alt, "ab", NULL), ==, KIOSK_RULE_PATTERN);
  g_assert_cmpint (kiosk_field_check_value (alt, "xb", NULL), ==, KIOSK_RULE_PATTERN);
  g_assert_cmpint (kiosk_field_check_value (code, "1234567", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (code, "12345678", NULL), ==, KIOSK_RULE_PATTERN);
  g_assert_cmpint (kiosk_field_check_value (code, "123456", NULL), ==, KIOSK_RULE_PATTERN);
  g_assert_cmpint (kiosk_field_check_value (code, "１２３４５６７", NULL), ==, KIOSK_RULE_PATTERN);
  /* \z, not $: a trailing line break does not slip through (it is a
   * line break error first, which is refused all the same). */
  g_assert_cmpint (kiosk_field_check_value (code, "1234567\n", NULL), !=, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (kana, "カトウ　ダイスケ", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (kana, "かとう", NULL), ==, KIOSK_RULE_PATTERN);
  g_assert_cmpint (kiosk_field_check_value (phone, "090-1234-5678", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (phone, "09012345678", NULL), ==, KIOSK_RULE_PATTERN);
}

static void
test_my_number_needs_twelve_digits_and_the_check_digit (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *mn = field (spec, "mn");

  g_assert_true (kiosk_my_number_valid ((const guint8 *) "840281753965", 12));
  g_assert_false (kiosk_my_number_valid ((const guint8 *) "840281753966", 12));
  g_assert_false (kiosk_my_number_valid ((const guint8 *) "84028175396", 11));
  g_assert_false (kiosk_my_number_valid ((const guint8 *) "84028175396a", 12));
  /* Remainders 0 and 1 give the check digit 0. */
  g_assert_true (kiosk_my_number_valid ((const guint8 *) "000000000000", 12));
  g_assert_cmpint (kiosk_field_check_value (mn, "840281753965", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (mn, "840281753964", NULL), ==,
                   KIOSK_RULE_MY_NUMBER_CHECK);
  g_assert_cmpint (kiosk_field_check_value (mn, "8402817539", NULL), ==,
                   KIOSK_RULE_MY_NUMBER_DIGITS);
  g_assert_cmpint (kiosk_field_check_value (mn, "８４０２８１７５３９６５", NULL), ==,
                   KIOSK_RULE_MY_NUMBER_DIGITS);
}

static void
test_numbers_are_ascii_integers_within_bounds (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *count = field (spec, "count"), *amount = field (spec, "amount");

  g_assert_cmpint (kiosk_field_check_value (count, "3", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (count, "1", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (count, "20", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (count, "0", NULL), ==, KIOSK_RULE_NUMBER_RANGE);
  g_assert_cmpint (kiosk_field_check_value (count, "21", NULL), ==, KIOSK_RULE_NUMBER_RANGE);
  g_assert_cmpint (kiosk_field_check_value (count, "-1", NULL), ==, KIOSK_RULE_NUMBER_RANGE);
  g_assert_cmpint (kiosk_field_check_value (count, "３", NULL), ==, KIOSK_RULE_NOT_INTEGER);
  g_assert_cmpint (kiosk_field_check_value (count, "3.5", NULL), ==, KIOSK_RULE_NOT_INTEGER);
  g_assert_cmpint (kiosk_field_check_value (count, "1,000", NULL), ==, KIOSK_RULE_NOT_INTEGER);
  g_assert_cmpint (kiosk_field_check_value (count, "+3", NULL), ==, KIOSK_RULE_NOT_INTEGER);
  g_assert_cmpint (kiosk_field_check_value (count, "-", NULL), ==, KIOSK_RULE_NOT_INTEGER);
  g_assert_cmpint (kiosk_field_check_value (amount, "99999999999999999999", NULL), ==,
                   KIOSK_RULE_NUMBER_TOO_LARGE);
  g_assert_cmpint (kiosk_field_check_value (amount, "9223372036854775807", NULL), ==,
                   KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (amount, "-5", NULL), ==, KIOSK_RULE_NUMBER_RANGE);
}

static void
test_dates_are_real_days_within_their_range (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *day = field (spec, "day"), *birth = field (spec, "birth");
  const KioskFieldSpec *start = field (spec, "start");
  GDate today = date (2024, 6, 15);

  g_assert_cmpint (kiosk_field_check_value (day, "2024-02-29", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (day, "2000-02-29", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (day, "2023-02-29", &today), ==,
                   KIOSK_RULE_DATE_INVALID);
  g_assert_cmpint (kiosk_field_check_value (day, "1900-02-29", &today), ==,
                   KIOSK_RULE_DATE_INVALID);
  g_assert_cmpint (kiosk_field_check_value (day, "2024-04-31", &today), ==,
                   KIOSK_RULE_DATE_INVALID);
  g_assert_cmpint (kiosk_field_check_value (day, "2024-13-01", &today), ==,
                   KIOSK_RULE_DATE_INVALID);
  g_assert_cmpint (kiosk_field_check_value (day, "2024-00-10", &today), ==,
                   KIOSK_RULE_DATE_INVALID);
  g_assert_cmpint (kiosk_field_check_value (day, "1868-01-01", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (day, "1867-12-31", &today), ==, KIOSK_RULE_DATE_YEAR);
  g_assert_cmpint (kiosk_field_check_value (day, "2199-12-31", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (day, "2200-01-01", &today), ==, KIOSK_RULE_DATE_YEAR);
  g_assert_cmpint (kiosk_field_check_value (day, "2024-6-15", &today), ==, KIOSK_RULE_DATE_FORMAT);
  g_assert_cmpint (kiosk_field_check_value (day, "2024/06/15", &today), ==, KIOSK_RULE_DATE_FORMAT);
  g_assert_cmpint (kiosk_field_check_value (day, "２０２４-06-15", &today), ==,
                   KIOSK_RULE_DATE_FORMAT);

  g_assert_cmpint (kiosk_field_check_value (birth, "2024-06-15", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (birth, "2024-06-14", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (birth, "2024-06-16", &today), ==,
                   KIOSK_RULE_DATE_NOT_PAST);
  g_assert_cmpint (kiosk_field_check_value (start, "2024-06-15", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (start, "2025-01-01", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (start, "2024-06-14", &today), ==,
                   KIOSK_RULE_DATE_NOT_FUTURE);
  /* Leap day against a fixed "today" in a leap year. */
  today = date (2024, 2, 29);
  g_assert_cmpint (kiosk_field_check_value (birth, "2024-02-29", &today), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (birth, "2024-03-01", &today), ==,
                   KIOSK_RULE_DATE_NOT_PAST);
}

static void
test_select_checkbox_and_postal_code (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *method = field (spec, "method"), *agree = field (spec, "agree");
  const KioskFieldSpec *zip = field (spec, "zip");

  g_assert_cmpint (kiosk_field_check_value (method, "shitei", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (method, "口座を指定する", NULL), ==,
                   KIOSK_RULE_NOT_A_CHOICE);
  g_assert_cmpint (kiosk_field_check (agree, "true", TRUE, NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check (agree, "false", TRUE, NULL), ==, KIOSK_RULE_MUST_TICK);
  g_assert_cmpint (kiosk_field_check (agree, NULL, TRUE, NULL), ==, KIOSK_RULE_MUST_TICK);
  g_assert_cmpint (kiosk_field_check (agree, "false", FALSE, NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check (agree, "yes", FALSE, NULL), ==, KIOSK_RULE_NOT_BOOLEAN);
  g_assert_cmpint (kiosk_field_check_value (zip, "885-0029", NULL), ==, KIOSK_RULE_OK);
  g_assert_cmpint (kiosk_field_check_value (zip, "8850029", NULL), ==, KIOSK_RULE_POSTAL_CODE);
  g_assert_cmpint (kiosk_field_check_value (zip, "885-029", NULL), ==, KIOSK_RULE_POSTAL_CODE);
  g_assert_cmpint (kiosk_field_check_value (zip, "８８５-００２９", NULL), ==,
                   KIOSK_RULE_POSTAL_CODE);
}

static void
test_blank_values_count_as_not_given (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *name = field (spec, "name"), *bank = field (spec, "bank");

  g_assert_true (kiosk_form_value_is_blank (NULL));
  g_assert_true (kiosk_form_value_is_blank (""));
  g_assert_true (kiosk_form_value_is_blank (" \t\r\n　"));
  g_assert_false (kiosk_form_value_is_blank ("　a"));
  g_assert_cmpint (kiosk_field_check (name, "　 ", TRUE, NULL), ==, KIOSK_RULE_REQUIRED);
  g_assert_cmpint (kiosk_field_check (name, NULL, TRUE, NULL), ==, KIOSK_RULE_REQUIRED);
  g_assert_cmpint (kiosk_field_check (bank, NULL, FALSE, NULL), ==, KIOSK_RULE_OK);
  /* A value's own fault comes before requiredness. */
  g_assert_cmpint (kiosk_field_check (name, "高橋健", TRUE, NULL), ==, KIOSK_RULE_TOO_LONG);
}

static void
test_required_when_follows_its_condition (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const KioskFieldSpec *bank = field (spec, "bank"), *name = field (spec, "name");

  g_assert_true (kiosk_field_required_now (name, NULL));
  g_assert_false (kiosk_field_required_now (bank, NULL));
  g_assert_false (kiosk_field_required_now (bank, "koukin"));
  g_assert_true (kiosk_field_required_now (bank, "shitei"));
}

/* ---- the whole form ---- */

static JsonNode *
json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *n = json_from_string (text, &error);

  g_assert_no_error (error);
  return n;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The findings' items, sorted and joined with spaces. */
static char *
items_of (GPtrArray *findings)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  for (guint i = 0; i < findings->len; i++)
    g_ptr_array_add (items, ((KioskFormFinding *) g_ptr_array_index (findings, i))->item);
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (" ", (char **) items->pdata);
}

static char *
check_small (const KioskProcedureSpec *spec, const char *form, const char * const *atts)
{
  g_autoptr(JsonNode) node = json (form);
  GDate today = date (2024, 6, 15);
  g_autoptr(GPtrArray) findings = kiosk_form_check (spec, node, atts,
                                                    atts ? g_strv_length ((char **) atts) : 0,
                                                    &today);

  return items_of (findings);
}

static void
test_form_check_follows_conditions_in_groups (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  const char *doc[] = { "doc", NULL };
  const char *doc_bekkyo[] = { "doc", "bekkyo", NULL };
  const char *three[] = { "doc", "bekkyo", "bekkyo", "bekkyo", NULL };
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL, *r6 = NULL;
  g_autofree char *r7 = NULL, *r8 = NULL, *r9 = NULL;

  r1 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"蓮\"}]}}", doc);
  g_assert_cmpstr (r1, ==, "");
  /* shitei: the bank becomes required, at the top and in every entry. */
  r2 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"shitei\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"蓮\"}, {\"kid_name\": \"結衣\"}]}}",
                    doc);
  g_assert_cmpstr (r2, ==, "form.bank form.kids[1].kid_bank form.kids[2].kid_bank");
  /* A repeated field's condition looks at its own entry; the attachment
   * at any entry. */
  r3 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"蓮\"},"
                    " {\"kid_name\": \"結衣\", \"apart\": true}]}}", doc);
  g_assert_cmpstr (r3, ==, "attachment:bekkyo form.kids[2].apart_addr");
  r4 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"蓮\"},"
                    " {\"kid_name\": \"結衣\", \"apart\": true, \"apart_addr\": \"都城市\"}]}}",
                    doc_bekkyo);
  g_assert_cmpstr (r4, ==, "");
  /* Group sizes, the required checkbox, consent rules, file counts. */
  r5 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": false},"
                    " \"groups\": {\"kids\": []}}", doc);
  g_assert_cmpstr (r5, ==, "form.agree form.kids");
  r6 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"a\"}, {\"kid_name\": \"b\"},"
                    " {\"kid_name\": \"c\"}, {\"kid_name\": \"d\"}]}}", doc);
  g_assert_cmpstr (r6, ==, "form.kids");
  r7 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"a\"}]},"
                    " \"linkage_consent\": [\"doc\", \"bekkyo\"]}", doc);
  g_assert_cmpstr (r7, ==, "attachment:bekkyo attachment:doc");
  r8 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"a\"}]},"
                    " \"linkage_consent\": [\"doc\"]}", three);
  g_assert_cmpstr (r8, ==, "attachment:bekkyo attachment:doc");
  /* Unknown ids, a group field at the top, a wrong value type. */
  r9 = check_small (spec, "{\"items\": {\"name\": \"高橋\", \"method\": \"koukin\", \"agree\": true,"
                    " \"kid_name\": \"x\", \"nobody\": \"x\", \"count\": 2.5},"
                    " \"groups\": {\"kids\": [{\"kid_name\": \"a\", \"name\": \"b\"}], \"main\": []}}",
                    doc);
  g_assert_cmpstr (r9, ==, "form.count form.kid_name form.kids[1].name form.main form.nobody");
}

static void
test_messages_speak_the_rule (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);
  g_autofree char *too_long = kiosk_rule_field_message (field (spec, "name"), KIOSK_RULE_TOO_LONG,
                                                        "高橋健");
  g_autofree char *pattern = kiosk_rule_field_message (field (spec, "kana"), KIOSK_RULE_PATTERN,
                                                       NULL);
  g_autofree char *why = kiosk_rule_field_message (field (spec, "bank"), KIOSK_RULE_REQUIRED, NULL);
  g_autofree char *range = kiosk_rule_field_message (field (spec, "count"),
                                                     KIOSK_RULE_NUMBER_RANGE, NULL);
  g_autofree char *past = kiosk_rule_field_message (field (spec, "birth"),
                                                    KIOSK_RULE_DATE_NOT_PAST, NULL);
  g_autofree char *group = kiosk_rule_group_message (kiosk_procedure_spec_section (spec, "kids"),
                                                     KIOSK_RULE_TOO_FEW_ENTRIES, 0);
  g_autofree char *att = kiosk_rule_attachment_message (kiosk_procedure_spec_attachment (spec,
                                                                                         "bekkyo"),
                                                        KIOSK_RULE_ATTACHMENT_MISSING);

  g_assert_cmpstr (too_long, ==, "Enter at most 2 characters. There are 3 now.");
  g_assert_cmpstr (pattern, ==, "The format is not right. 全角カタカナで入力してください");
  g_assert_cmpstr (why, ==, "This must be filled in. Needed because you chose “口座を指定する” "
                   "for “受取方法”.");
  g_assert_cmpstr (range, ==, "Enter a number from 1人 to 20人.");
  g_assert_cmpstr (past, ==, "Enter a date in the past (today at the latest).");
  g_assert_cmpstr (group, ==, "Enter at least 1 entry for “子ども”.");
  g_assert_cmpstr (att, ==, "Attach this document. Needed because “別居している” is ticked.");
  g_assert_null (kiosk_rule_field_message (field (spec, "name"), KIOSK_RULE_OK, NULL));
}

static void
test_keyboard_layout_suits_the_field (void)
{
  g_autoptr(KioskProcedureSpec) spec = load_spec (small_form);

  g_assert_cmpint (kiosk_field_input_kind (field (spec, "kana")), ==, KIOSK_INPUT_KATAKANA);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "hira")), ==, KIOSK_INPUT_KANA);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "code")), ==, KIOSK_INPUT_NUMBER);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "phone")), ==, KIOSK_INPUT_NUMBER);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "alt")), ==, KIOSK_INPUT_LATIN);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "name")), ==, KIOSK_INPUT_LATIN);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "count")), ==, KIOSK_INPUT_NUMBER);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "birth")), ==, KIOSK_INPUT_NUMBER);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "zip")), ==, KIOSK_INPUT_NUMBER);
  g_assert_cmpint (kiosk_field_input_kind (field (spec, "mn")), ==, KIOSK_INPUT_SECRET_DIGITS);
}

/* ---- agreement with the portal over the shipped catalogue ---- */

static ps_catalog *shipped;

typedef struct {
  const char *proc_id;
  KioskProcedureSpec *spec;
  char *future;                /* a date 30 days ahead, for future-range fields */
  char *tomorrow, *yesterday;
  guint n_agree;               /* forms both accepted or refused alike */
  guint n_refused;             /* of which refused */
} Agreement;

static void
xml_text (GString *x, const char *s)
{
  for (const char *c = s; *c; c++)
    switch (*c)
      {
      case '&': g_string_append (x, "&amp;"); break;
      case '<': g_string_append (x, "&lt;"); break;
      case '>': g_string_append (x, "&gt;"); break;
      case '"': g_string_append (x, "&quot;"); break;
      case '\r': g_string_append (x, "&#13;"); break;
      case '\t': g_string_append (x, "&#9;"); break;
      default: g_string_append_c (x, *c);
      }
}

static void
xml_items (GString *x, JsonObject *o, const char *indent)
{
  g_autoptr(GList) keys = json_object_get_members (o);

  for (GList *l = keys; l; l = l->next)
    {
      JsonNode *n = json_object_get_member (o, l->data);
      g_autofree char *text = NULL;

      if (json_node_get_value_type (n) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (n));
      else if (json_node_get_value_type (n) == G_TYPE_INT64)
        text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
      else
        text = g_strdup (json_node_get_boolean (n) ? "true" : "false");
      g_string_append_printf (x, "%s<item id=\"%s\">", indent, (const char *) l->data);
      xml_text (x, text);
      g_string_append (x, "</item>\n");
    }
}

/* The form XML for a form JSON, written here (not by the package builder,
 * which refuses the control characters some mutations carry). */
static char *
form_xml (const char *proc_id, JsonNode *form)
{
  JsonObject *root = json_node_get_object (form);
  GString *x = g_string_new (NULL);

  g_string_append_printf (x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<form xmlns=\"%s\" proc_id=\"%s\">\n", PS_CATALOG_FORM_NS, proc_id);
  if (json_object_has_member (root, "items"))
    xml_items (x, json_object_get_object_member (root, "items"), "  ");
  if (json_object_has_member (root, "groups"))
    {
      JsonObject *groups = json_object_get_object_member (root, "groups");
      g_autoptr(GList) keys = json_object_get_members (groups);

      for (GList *l = keys; l; l = l->next)
        {
          JsonArray *entries = json_object_get_array_member (groups, l->data);

          g_string_append_printf (x, "  <group id=\"%s\">\n", (const char *) l->data);
          for (guint i = 0; i < json_array_get_length (entries); i++)
            {
              g_string_append (x, "    <entry>\n");
              xml_items (x, json_array_get_object_element (entries, i), "      ");
              g_string_append (x, "    </entry>\n");
            }
          g_string_append (x, "  </group>\n");
        }
    }
  if (json_object_has_member (root, "linkage_consent"))
    {
      JsonArray *c = json_object_get_array_member (root, "linkage_consent");

      for (guint i = 0; i < json_array_get_length (c); i++)
        g_string_append_printf (x, "  <linkage-consent attachment=\"%s\"/>\n",
                                json_array_get_string_element (c, i));
    }
  g_string_append (x, "</form>\n");
  return g_string_free (x, FALSE);
}

/* A field's example as the form page puts it into the JSON: numbers as
 * integers, checkboxes as booleans, a date a month ahead where the future
 * is asked (the shipped examples are fixed days, the calendar moves). */
static void
set_example (Agreement *ag, JsonObject *scope, const KioskFieldSpec *f)
{
  const char *v = f->example;

  if (f->type == KIOSK_FIELD_DATE && f->date_range == KIOSK_DATE_FUTURE)
    v = ag->future;
  if (f->type == KIOSK_FIELD_NUMBER)
    json_object_set_int_member (scope, f->id, g_ascii_strtoll (v, NULL, 10));
  else if (f->type == KIOSK_FIELD_CHECKBOX)
    json_object_set_boolean_member (scope, f->id, g_str_equal (v, "true"));
  else
    json_object_set_string_member (scope, f->id, v);
}

static JsonObject *
example_entry (Agreement *ag, const KioskSectionSpec *s)
{
  JsonObject *e = json_object_new ();

  for (guint j = 0; j < s->fields->len; j++)
    set_example (ag, e, g_ptr_array_index (s->fields, j));
  return e;
}

/* Every field's example, n_entries entries per repeated group (within its
 * bounds), and for each attachment that is or may be needed: consent where
 * 情報連携 may replace it, else one file. */
static JsonNode *
example_form (Agreement *ag, guint n_entries, GPtrArray *atts)
{
  const KioskProcedureSpec *spec = ag->spec;
  JsonObject *root = json_object_new ();
  JsonObject *items = json_object_new ();
  JsonObject *groups = json_object_new ();
  JsonArray *consent = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; i < spec->sections->len; i++)
    {
      const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);
      JsonArray *entries;
      guint n;

      if (!s->repeated)
        {
          for (guint j = 0; j < s->fields->len; j++)
            set_example (ag, items, g_ptr_array_index (s->fields, j));
          continue;
        }
      entries = json_array_new ();
      n = CLAMP (n_entries, s->min_entries, s->max_entries);
      for (guint e = 0; e < n; e++)
        json_array_add_object_element (entries, example_entry (ag, s));
      json_object_set_array_member (groups, s->id, entries);
    }
  for (guint i = 0; i < spec->attachments->len; i++)
    {
      const KioskAttachmentSpec *a = g_ptr_array_index (spec->attachments, i);

      if (!a->required && !a->has_when)
        continue;
      if (a->omittable)
        json_array_add_string_element (consent, a->id);
      else
        g_ptr_array_add (atts, a->id);
    }
  json_object_set_object_member (root, "items", items);
  json_object_set_object_member (root, "groups", groups);
  json_object_set_array_member (root, "linkage_consent", consent);
  json_node_take_object (node, root);
  return node;
}

/* Run both checks; both must accept, or both refuse with the same items.
 * Returns whether they refused. */
static gboolean
both_agree (Agreement *ag, JsonNode *form, GPtrArray *atts, const char *what)
{
  g_autofree char *xml = form_xml (ag->proc_id, form);
  g_autoptr(GPtrArray) report = ps_report_new ();
  g_autoptr(GPtrArray) findings = NULL;
  g_autoptr(GPtrArray) portal_items = g_ptr_array_new ();
  g_autofree char *kiosk = NULL, *portal = NULL;
  gboolean portal_ok;

  portal_ok = ps_catalog_check_form (shipped, ag->proc_id, (const guint8 *) xml, strlen (xml),
                                     (const char * const *) atts->pdata, atts->len, report);
  findings = kiosk_form_check (ag->spec, form, (const char * const *) atts->pdata, atts->len,
                               NULL);
  kiosk = items_of (findings);
  for (guint i = 0; i < report->len; i++)
    g_ptr_array_add (portal_items, ((ps_report_item *) g_ptr_array_index (report, i))->item);
  g_ptr_array_sort (portal_items, compare_strings);
  g_ptr_array_add (portal_items, NULL);
  portal = g_strjoinv (" ", (char **) portal_items->pdata);
  if (g_strcmp0 (kiosk, portal) != 0 || portal_ok != (findings->len == 0))
    {
      for (guint i = 0; i < report->len; i++)
        g_test_message ("portal: %s %s", ((ps_report_item *) g_ptr_array_index (report, i))->item,
                        ((ps_report_item *) g_ptr_array_index (report, i))->content);
      g_error ("%s, %s: the kiosk finds [%s], the portal [%s]", ag->proc_id, what, kiosk, portal);
    }
  ag->n_agree++;
  if (!portal_ok)
    ag->n_refused++;
  return !portal_ok;
}

/* The bad values tried on a field: each must be refused by both. */
static GPtrArray *
bad_values (Agreement *ag, const KioskFieldSpec *f)
{
  GPtrArray *v = g_ptr_array_new_with_free_func (g_free);

  switch (f->type)
    {
    case KIOSK_FIELD_TEXT:
    case KIOSK_FIELD_ADDRESS:
      if (f->max_length > 0)
        {
          GString *s = g_string_new (NULL);

          for (gint64 i = 0; i <= f->max_length; i++)
            g_string_append (s, f->pattern_source && strstr (f->pattern_source, "0-9") ? "1" : "ア");
          g_ptr_array_add (v, g_string_free (s, FALSE));
        }
      if (f->pattern != NULL)
        g_ptr_array_add (v, g_strdup ("#"));
      if (f->my_number)
        {
          char *s = g_strdup (f->example);

          s[11] = (char) ('0' + (s[11] - '0' + 1) % 10);
          g_ptr_array_add (v, s);
          g_ptr_array_add (v, g_strdup ("12345"));
        }
      g_ptr_array_add (v, g_strdup (f->multiline ? "a\tb" : "a\nb"));
      g_ptr_array_add (v, g_strdup ("a\xe2\x80\xa8" "b"));
      break;
    case KIOSK_FIELD_NUMBER:
      g_ptr_array_add (v, g_strdup ("3.5"));
      g_ptr_array_add (v, g_strdup ("３"));
      g_ptr_array_add (v, g_strdup ("+3"));
      g_ptr_array_add (v, g_strdup ("99999999999999999999"));
      if (f->has_max && f->max < G_MAXINT64)
        g_ptr_array_add (v, g_strdup_printf ("%" G_GINT64_FORMAT, f->max + 1));
      if (f->has_min && f->min > G_MININT64)
        g_ptr_array_add (v, g_strdup_printf ("%" G_GINT64_FORMAT, f->min - 1));
      break;
    case KIOSK_FIELD_DATE:
      g_ptr_array_add (v, g_strdup ("2023-02-29"));
      g_ptr_array_add (v, g_strdup ("2024-4-1"));
      g_ptr_array_add (v, g_strdup ("1867-12-31"));
      g_ptr_array_add (v, g_strdup ("2024-13-01"));
      if (f->date_range == KIOSK_DATE_PAST)
        g_ptr_array_add (v, g_strdup (ag->tomorrow));
      if (f->date_range == KIOSK_DATE_FUTURE)
        g_ptr_array_add (v, g_strdup (ag->yesterday));
      break;
    case KIOSK_FIELD_SELECT:
      g_ptr_array_add (v, g_strdup ("no_such_choice"));
      g_ptr_array_add (v, g_strdup (((KioskChoiceSpec *) g_ptr_array_index (f->choices, 0))->label));
      break;
    case KIOSK_FIELD_CHECKBOX:
      g_ptr_array_add (v, g_strdup ("yes"));
      if (f->required)
        g_ptr_array_add (v, g_strdup ("false"));
      break;
    case KIOSK_FIELD_POSTAL_CODE:
      g_ptr_array_add (v, g_strdup ("8850029"));
      g_ptr_array_add (v, g_strdup ("８８５-００２９"));
      g_ptr_array_add (v, g_strdup ("885-002"));
      break;
    default:
      break;
    }
  if (f->required)
    {
      g_ptr_array_add (v, g_strdup (""));
      g_ptr_array_add (v, g_strdup ("　"));
    }
  return v;
}

static void
mutate_field (Agreement *ag, const KioskFieldSpec *f)
{
  g_autoptr(GPtrArray) values = bad_values (ag, f);
  const KioskSectionSpec *s = f->section;

  for (guint k = 0; k < values->len; k++)
    {
      g_autoptr(GPtrArray) atts = g_ptr_array_new ();
      g_autoptr(JsonNode) form = example_form (ag, 2, atts);
      JsonObject *root = json_node_get_object (form);
      JsonObject *scope;
      g_autofree char *what = g_strdup_printf ("%s = bad value %u", f->id, k);

      if (s->repeated)
        {
          JsonArray *entries = json_object_get_array_member (
            json_object_get_object_member (root, "groups"), s->id);

          /* The last entry, so that report items count entries right. */
          scope = json_array_get_object_element (entries, json_array_get_length (entries) - 1);
        }
      else
        scope = json_object_get_object_member (root, "items");
      json_object_set_string_member (scope, f->id, g_ptr_array_index (values, k));
      g_assert_true (both_agree (ag, form, atts, what));
    }

  /* Leaving the field out: refused when it is required. */
  {
    g_autoptr(GPtrArray) atts = g_ptr_array_new ();
    g_autoptr(JsonNode) form = example_form (ag, 1, atts);
    JsonObject *root = json_node_get_object (form);
    JsonObject *scope = s->repeated
      ? json_array_get_object_element (json_object_get_array_member (
          json_object_get_object_member (root, "groups"), s->id), 0)
      : json_object_get_object_member (root, "items");
    g_autofree char *what = g_strdup_printf ("%s left out", f->id);

    if (scope == NULL)
      return;
    json_object_remove_member (scope, f->id);
    /* Required by itself, or by its condition holding in the examples. */
    g_assert_true (both_agree (ag, form, atts, what) ==
                   kiosk_field_required_now (f, f->has_when ? f->when.target->example : NULL));
  }

  /* Its condition holds, it is left out: refused by both. */
  if (f->has_when)
    {
      g_autoptr(GPtrArray) atts = g_ptr_array_new ();
      g_autoptr(JsonNode) form = example_form (ag, 1, atts);
      JsonObject *root = json_node_get_object (form);
      const KioskFieldSpec *t = f->when.target;
      JsonObject *tscope = t->section->repeated
        ? json_array_get_object_element (json_object_get_array_member (
            json_object_get_object_member (root, "groups"), t->section->id), 0)
        : json_object_get_object_member (root, "items");
      JsonObject *scope = s->repeated
        ? json_array_get_object_element (json_object_get_array_member (
            json_object_get_object_member (root, "groups"), s->id), 0)
        : json_object_get_object_member (root, "items");
      g_autofree char *what = g_strdup_printf ("%s left out, its condition holding", f->id);

      if (t->type == KIOSK_FIELD_CHECKBOX)
        json_object_set_boolean_member (tscope, t->id, TRUE);
      else
        json_object_set_string_member (tscope, t->id, f->when.value);
      json_object_remove_member (scope, f->id);
      g_assert_true (both_agree (ag, form, atts, what));
    }
}

static void
mutate_groups_and_attachments (Agreement *ag)
{
  const KioskProcedureSpec *spec = ag->spec;

  for (guint i = 0; i < spec->sections->len; i++)
    {
      const KioskSectionSpec *s = g_ptr_array_index (spec->sections, i);
      g_autoptr(GPtrArray) atts = g_ptr_array_new ();
      g_autoptr(JsonNode) form = example_form (ag, 1, atts);
      JsonArray *entries;

      if (!s->repeated)
        continue;
      entries = json_object_get_array_member (json_object_get_object_member (
        json_node_get_object (form), "groups"), s->id);
      while (json_array_get_length (entries) <= s->max_entries)
        json_array_add_object_element (entries, example_entry (ag, s));
      g_assert_true (both_agree (ag, form, atts, "one entry too many"));
      if (s->min_entries > 0)
        {
          g_autoptr(GPtrArray) atts2 = g_ptr_array_new ();
          g_autoptr(JsonNode) form2 = example_form (ag, 1, atts2);

          json_object_set_array_member (json_object_get_object_member (
            json_node_get_object (form2), "groups"), s->id, json_array_new ());
          g_assert_true (both_agree (ag, form2, atts2, "no entry"));
        }
    }

  for (guint i = 0; i < spec->attachments->len; i++)
    {
      const KioskAttachmentSpec *a = g_ptr_array_index (spec->attachments, i);
      g_autoptr(GPtrArray) atts = g_ptr_array_new ();
      g_autoptr(JsonNode) form = example_form (ag, 1, atts);
      JsonArray *consent = json_object_get_array_member (json_node_get_object (form),
                                                         "linkage_consent");
      g_autoptr(GPtrArray) bare_atts = g_ptr_array_new ();
      g_autoptr(JsonNode) bare = example_form (ag, 1, bare_atts);
      g_autoptr(GPtrArray) many = g_ptr_array_new ();
      gboolean needed = kiosk_attachment_needed (a, spec, form);

      /* Too many files. */
      for (guint k = 0; k <= a->max_files; k++)
        g_ptr_array_add (many, a->id);
      g_assert_true (both_agree (ag, bare, many, "too many files"));
      /* Consent: refused where not allowed, or together with a file. */
      if (!a->omittable)
        {
          json_array_add_string_element (consent, a->id);
          g_assert_true (both_agree (ag, form, atts, "consent where not allowed"));
        }
      else
        {
          g_ptr_array_add (atts, a->id);
          g_assert_true (both_agree (ag, form, atts, "a file and consent"));
        }
      /* Nothing at all for it: refused when needed. */
      {
        g_autoptr(GPtrArray) atts3 = g_ptr_array_new ();
        g_autoptr(JsonNode) form3 = example_form (ag, 1, atts3);
        JsonArray *c3 = json_object_get_array_member (json_node_get_object (form3),
                                                      "linkage_consent");
        g_autoptr(JsonArray) kept = json_array_new ();

        g_ptr_array_remove (atts3, a->id);
        for (guint k = 0; k < json_array_get_length (c3); k++)
          if (!g_str_equal (json_array_get_string_element (c3, k), a->id))
            json_array_add_string_element (kept, json_array_get_string_element (c3, k));
        json_object_set_array_member (json_node_get_object (form3), "linkage_consent",
                                      json_array_ref (kept));
        g_assert_true (both_agree (ag, form3, atts3, "attachment left out") == needed);
      }
    }
  {
    g_autoptr(GPtrArray) atts = g_ptr_array_new ();
    g_autoptr(JsonNode) form = example_form (ag, 1, atts);

    g_ptr_array_add (atts, (gpointer) "no_such_document");
    g_assert_true (both_agree (ag, form, atts, "an unknown document"));
  }
}

static char *
day_from_now (int days)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (9 * 3600);
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  g_autoptr(GDateTime) then = g_date_time_add_days (now, days);

  return g_date_time_format (then, "%Y-%m-%d");
}

static void
test_kiosk_and_portal_agree_on_the_shipped_catalogue (void)
{
  g_autoptr(JsonNode) all = ps_catalog_search (shipped, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *list = json_node_get_array (all);
  guint total = 0, refused = 0, fields = 0;

  g_assert_cmpuint (json_array_get_length (list), >=, 89);
  for (guint p = 0; p < json_array_get_length (list); p++)
    {
      Agreement ag = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) def = NULL;

      ag.proc_id = json_object_get_string_member (json_array_get_object_element (list, p),
                                                  "proc_id");
      def = ps_catalog_get (shipped, ag.proc_id);
      ag.spec = kiosk_procedure_spec_new (def, &error);
      g_assert_no_error (error);
      ag.future = day_from_now (30);
      ag.tomorrow = day_from_now (1);
      ag.yesterday = day_from_now (-1);

      /* The examples, with one and with two entries per group. */
      for (guint n = 1; n <= 2; n++)
        {
          g_autoptr(GPtrArray) atts = g_ptr_array_new ();
          g_autoptr(JsonNode) form = example_form (&ag, n, atts);

          g_assert_false (both_agree (&ag, form, atts, "the examples"));
        }
      for (guint i = 0; i < ag.spec->sections->len; i++)
        {
          const KioskSectionSpec *s = g_ptr_array_index (ag.spec->sections, i);

          for (guint j = 0; j < s->fields->len; j++, fields++)
            mutate_field (&ag, g_ptr_array_index (s->fields, j));
        }
      mutate_groups_and_attachments (&ag);

      total += ag.n_agree;
      refused += ag.n_refused;
      kiosk_procedure_spec_free (ag.spec);
      g_free (ag.future);
      g_free (ag.tomorrow);
      g_free (ag.yesterday);
    }
  g_test_message ("%u procedures, %u fields: %u forms checked by both, %u refused by both",
                  json_array_get_length (list), fields, total, refused);
  g_assert_cmpuint (fields, >, 2000);
  g_assert_cmpuint (refused, >, 8000);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (!ps_catalog_load (PS_CATALOG_DATA_DIR, &shipped, &error))
    g_error ("the shipped catalogue does not load: %s", error->message);

  g_test_add_func ("/kiosk/form/schema/reads-every-part", test_schema_reads_every_part);
  g_test_add_func ("/kiosk/form/schema/refuses-what-it-cannot-build",
                   test_schema_refuses_what_it_cannot_build);
  g_test_add_func ("/kiosk/form/rules/text-counts-code-points-and-refuses-control-characters",
                   test_text_counts_code_points_and_refuses_control_characters);
  g_test_add_func ("/kiosk/form/rules/patterns-match-the-whole-value",
                   test_patterns_match_the_whole_value);
  g_test_add_func ("/kiosk/form/rules/my-number-needs-twelve-digits-and-the-check-digit",
                   test_my_number_needs_twelve_digits_and_the_check_digit);
  g_test_add_func ("/kiosk/form/rules/numbers-are-ascii-integers-within-bounds",
                   test_numbers_are_ascii_integers_within_bounds);
  g_test_add_func ("/kiosk/form/rules/dates-are-real-days-within-their-range",
                   test_dates_are_real_days_within_their_range);
  g_test_add_func ("/kiosk/form/rules/select-checkbox-and-postal-code",
                   test_select_checkbox_and_postal_code);
  g_test_add_func ("/kiosk/form/rules/blank-values-count-as-not-given",
                   test_blank_values_count_as_not_given);
  g_test_add_func ("/kiosk/form/rules/required-when-follows-its-condition",
                   test_required_when_follows_its_condition);
  g_test_add_func ("/kiosk/form/rules/form-check-follows-conditions-in-groups",
                   test_form_check_follows_conditions_in_groups);
  g_test_add_func ("/kiosk/form/rules/messages-speak-the-rule", test_messages_speak_the_rule);
  g_test_add_func ("/kiosk/form/rules/keyboard-layout-suits-the-field",
                   test_keyboard_layout_suits_the_field);
  g_test_add_func ("/kiosk/form/rules/kiosk-and-portal-agree-on-the-shipped-catalogue",
                   test_kiosk_and_portal_agree_on_the_shipped_catalogue);
  rc = g_test_run ();
  ps_catalog_free (shipped);
  return rc;
}
