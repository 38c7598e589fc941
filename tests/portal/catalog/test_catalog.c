/* test_catalog.c - the procedure catalogue (portal-sim/catalog): the shipped
 * catalogue loads and every procedure accepts its own examples; broken
 * files are rejected with the file and the place in it; search by each
 * filter and keyword; and the form checks, rule by rule, on a small
 * catalogue written by the test. */
#include <locale.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "catalog.h"
#include "report.h"

static ps_catalog *shipped;    /* PS_CATALOG_DATA */
static ps_catalog *fixture;    /* fixture_json, loaded from a temp dir */

#define FIXTURE_ID "102016-test-form"

/* Exercises every field type and rule once. */
static const char fixture_json[] =
  "{\n"
  "  \"proc_id\": \"102016-test-form\",\n"
  "  \"title\": \"テスト用の手続\",\n"
  "  \"title_kana\": \"てすとようのてつづき\",\n"
  "  \"category\": \"子育て\",\n"
  "  \"city_code\": \"102016\",\n"
  "  \"city_name\": \"前橋市\",\n"
  "  \"prefecture\": \"群馬県\",\n"
  "  \"description\": \"規則ごとの検査に使う手続です。\",\n"
  "  \"keywords\": [\"検査\"],\n"
  "  \"signature_required\": true,\n"
  "  \"submit_to\": \"前橋市 子育て支援課\",\n"
  "  \"form\": {\"sections\": [\n"
  "    {\"id\": \"applicant\", \"title\": \"申請者\", \"fields\": [\n"
  "      {\"id\": \"name\", \"label\": \"氏名\", \"type\": \"text\", \"required\": true, \"max_length\": 5, \"prefill\": \"name\", \"example\": \"高橋　健太\"},\n"
  "      {\"id\": \"kana\", \"label\": \"フリガナ\", \"type\": \"text\", \"required\": true, \"pattern\": \"[ァ-ヶー　]+\", \"pattern_description\": \"全角カタカナで入力してください\"},\n"
  "      {\"id\": \"birth\", \"label\": \"生年月日\", \"type\": \"date\", \"required\": true, \"date_range\": \"past\"},\n"
  "      {\"id\": \"my_number\", \"label\": \"個人番号\", \"type\": \"text\", \"required\": false, \"check\": \"my_number\"},\n"
  "      {\"id\": \"postal\", \"label\": \"郵便番号\", \"type\": \"postal-code\", \"required\": true},\n"
  "      {\"id\": \"addr\", \"label\": \"住所\", \"type\": \"address\", \"required\": true, \"max_length\": 40}\n"
  "    ]},\n"
  "    {\"id\": \"details\", \"title\": \"内容\", \"fields\": [\n"
  "      {\"id\": \"count\", \"label\": \"人数\", \"type\": \"number\", \"required\": true, \"min\": 1, \"max\": 10, \"unit\": \"人\"},\n"
  "      {\"id\": \"kind\", \"label\": \"区分\", \"type\": \"select\", \"required\": true, \"choices\": [{\"value\": \"a\", \"label\": \"甲\"}, {\"value\": \"b\", \"label\": \"乙\"}]},\n"
  "      {\"id\": \"kind_note\", \"label\": \"乙の内容\", \"type\": \"text\", \"required\": false, \"required_when\": {\"field\": \"kind\", \"value\": \"b\"}},\n"
  "      {\"id\": \"memo\", \"label\": \"備考\", \"type\": \"text\", \"required\": false, \"multiline\": true, \"max_length\": 10},\n"
  "      {\"id\": \"visit\", \"label\": \"来庁日\", \"type\": \"date\", \"required\": false, \"date_range\": \"future\"},\n"
  "      {\"id\": \"agree\", \"label\": \"同意します\", \"type\": \"checkbox\", \"required\": true}\n"
  "    ]},\n"
  "    {\"id\": \"children\", \"title\": \"児童\", \"repeat\": {\"min\": 1, \"max\": 2, \"entry_label\": \"児童\", \"counter\": \"人\"}, \"fields\": [\n"
  "      {\"id\": \"child_name\", \"label\": \"児童の氏名\", \"type\": \"text\", \"required\": true, \"max_length\": 10},\n"
  "      {\"id\": \"child_living\", \"label\": \"同居・別居\", \"type\": \"select\", \"required\": true, \"choices\": [{\"value\": \"doukyo\", \"label\": \"同居\"}, {\"value\": \"bekkyo\", \"label\": \"別居\"}]},\n"
  "      {\"id\": \"child_address\", \"label\": \"児童の住所\", \"type\": \"address\", \"required\": false, \"required_when\": {\"field\": \"child_living\", \"value\": \"bekkyo\"}}\n"
  "    ]}\n"
  "  ]},\n"
  "  \"attachments\": [\n"
  "    {\"id\": \"photo\", \"title\": \"写真\", \"content_types\": [\"image/jpeg\", \"image/png\"], \"required\": true, \"omittable_by_information_linkage\": false, \"max_files\": 2},\n"
  "    {\"id\": \"juminhyo\", \"title\": \"住民票の写し\", \"content_types\": [\"application/pdf\"], \"required\": true, \"omittable_by_information_linkage\": true, \"linkage_note\": \"情報連携で確認します。\"},\n"
  "    {\"id\": \"bekkyo\", \"title\": \"別居監護申立書\", \"content_types\": [\"application/pdf\"], \"required\": false, \"required_when\": {\"field\": \"child_living\", \"value\": \"bekkyo\"}, \"omittable_by_information_linkage\": false},\n"
  "    {\"id\": \"extra\", \"title\": \"参考資料\", \"content_types\": [\"application/pdf\"], \"required\": false, \"omittable_by_information_linkage\": false}\n"
  "  ]\n"
  "}\n";

/* A form the fixture accepts with attachments photo and juminhyo. */
static const char good_xml[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<form xmlns=\"urn:mynaterm:portal-sim:form:1\" proc_id=\"102016-test-form\">\n"
  "  <item id=\"name\">高橋　健太</item>\n"
  "  <item id=\"kana\">タカハシ　ケンタ</item>\n"
  "  <item id=\"birth\">1980-02-17</item>\n"
  "  <item id=\"my_number\">123456789018</item>\n"
  "  <item id=\"postal\">371-0022</item>\n"
  "  <item id=\"addr\">群馬県前橋市千代田町二丁目３番１５号</item>\n"
  "  <item id=\"count\">3</item>\n"
  "  <item id=\"kind\">a</item>\n"
  "  <item id=\"memo\">一行目\n二行目</item>\n"
  "  <item id=\"agree\">true</item>\n"
  "  <group id=\"children\">\n"
  "    <entry>\n"
  "      <item id=\"child_name\">高橋　陽向</item>\n"
  "      <item id=\"child_living\">doukyo</item>\n"
  "    </entry>\n"
  "  </group>\n"
  "</form>\n";

static const char *const good_attachments[] = { "photo", "juminhyo", NULL };

/* ---- helpers ---- */

static char *edit(const char *base, const char *old, const char *new)
{
  const char *at = strstr(base, old);
  if(!at || strstr(at + 1, old))
    g_error("edit: \"%s\" must occur exactly once", old);
  GString *s = g_string_new_len(base, at - base);
  g_string_append(s, new);
  g_string_append(s, at + strlen(old));
  return g_string_free(s, FALSE);
}

static char *make_dir(void)
{
  g_autoptr(GError) err = NULL;
  char *dir = g_dir_make_tmp("ps-catalog-XXXXXX", &err);
  g_assert_no_error(err);
  return dir;
}

static void write_file(const char *dir, const char *name, const char *content,
                       gssize len)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) err = NULL;
  g_file_set_contents(path, content, len, &err);
  g_assert_no_error(err);
}

static void remove_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while(d && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_remove(path);
  }
  g_rmdir(dir);
}

/* Every content is Japanese text: at least one kana or kanji. */
static void assert_japanese(const GPtrArray *report)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_assert_true(g_utf8_validate(it->content, -1, NULL));
    bool ja = false;
    for(const char *c = it->content; *c && !ja; c = g_utf8_next_char(c)) {
      gunichar u = g_utf8_get_char(c);
      ja = (u >= 0x3040 && u <= 0x30FF) || (u >= 0x4E00 && u <= 0x9FFF);
    }
    g_assert_true(ja);
  }
}

static void dump(const GPtrArray *report)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_test_message("  %s: %s", it->item, it->content);
  }
}

static GPtrArray *check(const ps_catalog *cat, const char *proc_id,
                        const char *xml, const char *const *atts)
{
  GPtrArray *r = ps_report_new();
  size_t n = atts ? g_strv_length((char **)atts) : 0;
  bool ok = ps_catalog_check_form(cat, proc_id, (const uint8_t *)xml,
                                  xml ? strlen(xml) : 0, atts, n, r);
  g_assert_cmpint(ok, ==, r->len == 0);
  assert_japanese(r);
  return r;
}

/* ---- the shipped catalogue ---- */

static void test_shipped_loads_every_file(void)
{
  const char *dir = g_getenv("PS_CATALOG_DATA");
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  size_t files = 0;
  const char *name;
  while((name = g_dir_read_name(d))) {
    if(!g_str_has_suffix(name, ".json"))
      continue;
    files++;
    g_autofree char *id = g_strndup(name, strlen(name) - 5);
    const ps_catalog_summary *s = ps_catalog_lookup(shipped, id);
    g_assert_nonnull(s);
    g_assert_cmpstr(s->proc_id, ==, id);
    g_assert_true(g_str_has_prefix(id, s->city_code));

    /* The definition is the file itself. */
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_file(parser, path, NULL));
    g_autofree char *want = json_to_string(json_parser_get_root(parser), FALSE);
    JsonNode *def = ps_catalog_get(shipped, id);
    g_autofree char *got = json_to_string(def, FALSE);
    json_node_unref(def);
    g_assert_cmpstr(got, ==, want);
  }
  g_assert_cmpuint(files, >, 0);
  g_assert_cmpuint(ps_catalog_count(shipped), ==, files);
}

static void test_shipped_covers_every_city_and_category(void)
{
  static const char *const cities[] = { "102016", "152048", "452025", "042021" };
  static const char *const categories[] = { "子育て", "介護", "被災者支援" };
  size_t sum = 0;
  for(size_t i = 0; i < G_N_ELEMENTS(cities); i++) {
    size_t city_total;
    json_node_unref(ps_catalog_search(shipped, cities[i], NULL, NULL, 0, 0, &city_total));
    sum += city_total;
    for(size_t j = 0; j < G_N_ELEMENTS(categories); j++) {
      size_t total;
      json_node_unref(ps_catalog_search(shipped, cities[i], categories[j], NULL, 0, 0,
                                        &total));
      g_assert_cmpuint(total, >=, 2);
    }
  }
  g_assert_cmpuint(sum, ==, ps_catalog_count(shipped));
}

/* A form made of each field's example (and a date a month ahead for the
 * fields that want a future date), one entry per repeated group, and one
 * file for every attachment that is or may be required. skip_field and
 * skip_attachment leave one out. */
static char *example_form(JsonObject *def, const char *skip_field,
                          GPtrArray *attachments, const char *skip_attachment)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autoptr(GDateTime) later = g_date_time_add_days(now, 30);
  g_autofree char *future = g_date_time_format(later, "%Y-%m-%d");
  GString *x = g_string_new(NULL);
  g_string_append_printf(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<form xmlns=\"%s\" proc_id=\"%s\">\n", PS_CATALOG_FORM_NS,
                         json_object_get_string_member(def, "proc_id"));
  JsonArray *sections = json_object_get_array_member(
    json_object_get_object_member(def, "form"), "sections");
  for(guint i = 0; i < json_array_get_length(sections); i++) {
    JsonObject *s = json_array_get_object_element(sections, i);
    bool repeated = json_object_has_member(s, "repeat");
    if(repeated)
      g_string_append_printf(x, "  <group id=\"%s\">\n    <entry>\n",
                             json_object_get_string_member(s, "id"));
    JsonArray *fields = json_object_get_array_member(s, "fields");
    for(guint j = 0; j < json_array_get_length(fields); j++) {
      JsonObject *f = json_array_get_object_element(fields, j);
      const char *id = json_object_get_string_member(f, "id");
      if(!json_object_has_member(f, "example") ||
         (skip_field && !strcmp(id, skip_field)))
        continue;
      const char *value = json_object_get_string_member(f, "example");
      if(json_object_has_member(f, "date_range") &&
         !strcmp(json_object_get_string_member(f, "date_range"), "future"))
        value = future;
      g_autofree char *esc = g_markup_escape_text(value, -1);
      g_string_append_printf(x, "%s<item id=\"%s\">%s</item>\n",
                             repeated ? "      " : "  ", id, esc);
    }
    if(repeated)
      g_string_append(x, "    </entry>\n  </group>\n");
  }
  g_string_append(x, "</form>\n");

  JsonArray *atts = json_object_get_array_member(def, "attachments");
  for(guint i = 0; i < json_array_get_length(atts); i++) {
    JsonObject *a = json_array_get_object_element(atts, i);
    const char *id = json_object_get_string_member(a, "id");
    if((json_object_get_boolean_member(a, "required") ||
        json_object_has_member(a, "required_when")) &&
       !(skip_attachment && !strcmp(id, skip_attachment)))
      g_ptr_array_add(attachments, (gpointer)id);
  }
  g_ptr_array_add(attachments, NULL);
  return g_string_free(x, FALSE);
}

/* Every shipped procedure accepts a form made of its own examples; leaving
 * out one required field or attachment yields exactly that one finding. */
static void test_shipped_examples_pass_and_each_omission_is_named(void)
{
  g_autoptr(JsonNode) all = ps_catalog_search(shipped, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *list = json_node_get_array(all);
  size_t checked_fields = 0, checked_attachments = 0;
  for(guint p = 0; p < json_array_get_length(list); p++) {
    const char *proc_id = json_object_get_string_member(
      json_array_get_object_element(list, p), "proc_id");
    g_autoptr(JsonNode) node = ps_catalog_get(shipped, proc_id);
    JsonObject *def = json_node_get_object(node);

    g_autoptr(GPtrArray) atts = g_ptr_array_new();
    g_autofree char *xml = example_form(def, NULL, atts, NULL);
    g_autoptr(GPtrArray) r = check(shipped, proc_id, xml, (const char *const *)atts->pdata);
    if(r->len) {
      g_test_message("%s rejects its own examples:", proc_id);
      dump(r);
    }
    g_assert_cmpuint(r->len, ==, 0);

    JsonArray *sections = json_object_get_array_member(
      json_object_get_object_member(def, "form"), "sections");
    for(guint i = 0; i < json_array_get_length(sections); i++) {
      JsonObject *s = json_array_get_object_element(sections, i);
      JsonArray *fields = json_object_get_array_member(s, "fields");
      for(guint j = 0; j < json_array_get_length(fields); j++) {
        JsonObject *f = json_array_get_object_element(fields, j);
        if(!json_object_get_boolean_member(f, "required"))
          continue;
        const char *id = json_object_get_string_member(f, "id");
        g_autofree char *want = json_object_has_member(s, "repeat")
          ? g_strdup_printf("form.%s[1].%s", json_object_get_string_member(s, "id"), id)
          : g_strdup_printf("form.%s", id);
        g_autoptr(GPtrArray) a2 = g_ptr_array_new();
        g_autofree char *x2 = example_form(def, id, a2, NULL);
        g_autoptr(GPtrArray) r2 = check(shipped, proc_id, x2, (const char *const *)a2->pdata);
        if(r2->len != 1 || strcmp(((ps_report_item *)g_ptr_array_index(r2, 0))->item, want)) {
          g_test_message("%s without %s:", proc_id, id);
          dump(r2);
        }
        g_assert_cmpuint(r2->len, ==, 1);
        g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r2, 0))->item, ==, want);
        checked_fields++;
      }
    }

    JsonArray *attachments = json_object_get_array_member(def, "attachments");
    for(guint i = 0; i < json_array_get_length(attachments); i++) {
      JsonObject *a = json_array_get_object_element(attachments, i);
      if(!json_object_get_boolean_member(a, "required"))
        continue;
      const char *id = json_object_get_string_member(a, "id");
      g_autofree char *want = g_strdup_printf("attachment:%s", id);
      g_autoptr(GPtrArray) a2 = g_ptr_array_new();
      g_autofree char *x2 = example_form(def, NULL, a2, id);
      g_autoptr(GPtrArray) r2 = check(shipped, proc_id, x2, (const char *const *)a2->pdata);
      g_assert_cmpuint(r2->len, ==, 1);
      g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r2, 0))->item, ==, want);
      /* Where the law allows it, consenting to 情報連携 replaces the file. */
      g_autofree char *consent = g_strdup_printf("<linkage-consent attachment=\"%s\"/>\n</form>", id);
      g_autofree char *x3 = edit(x2, "</form>", consent);
      g_autoptr(GPtrArray) r3 = check(shipped, proc_id, x3, (const char *const *)a2->pdata);
      g_assert_cmpuint(r3->len, ==,
                       json_object_get_boolean_member(a, "omittable_by_information_linkage") ? 0 : 1);
      checked_attachments++;
    }
  }
  g_test_message("%zu required fields and %zu required attachments checked",
                 checked_fields, checked_attachments);
  g_assert_cmpuint(checked_fields, >, 500);
  g_assert_cmpuint(checked_attachments, >, 40);
}

/* ---- search ---- */

static size_t search_total(const char *city, const char *category,
                           const char *keyword)
{
  size_t total = 0;
  g_autoptr(JsonNode) n = ps_catalog_search(shipped, city, category, keyword, 0, 0, &total);
  g_assert_cmpuint(json_array_get_length(json_node_get_array(n)), ==, total);
  return total;
}

static void test_search_by_city(void)
{
  size_t total;
  g_autoptr(JsonNode) n = ps_catalog_search(shipped, "452025", NULL, NULL, 0, 0, &total);
  JsonArray *a = json_node_get_array(n);
  g_assert_cmpuint(total, >=, 20);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    g_assert_cmpstr(json_object_get_string_member(o, "city_code"), ==, "452025");
    g_assert_cmpstr(json_object_get_string_member(o, "city_name"), ==, "都城市");
    g_assert_cmpstr(json_object_get_string_member(o, "prefecture"), ==, "宮崎県");
    /* A summary says what it is and whether a 署名用 certificate is needed. */
    g_assert_true(json_object_has_member(o, "proc_id"));
    g_assert_true(json_object_has_member(o, "title"));
    g_assert_true(json_object_has_member(o, "category"));
    g_assert_true(json_object_has_member(o, "signature_required"));
    g_assert_cmpuint(json_object_get_size(o), ==, 7);
  }
  g_assert_cmpuint(search_total("999999", NULL, NULL), ==, 0);
}

static void test_search_by_category(void)
{
  static const char *const categories[] = { "子育て", "介護", "被災者支援" };
  size_t sum = 0;
  for(size_t i = 0; i < G_N_ELEMENTS(categories); i++) {
    g_autoptr(JsonNode) n = ps_catalog_search(shipped, NULL, categories[i], NULL, 0, 0, NULL);
    JsonArray *a = json_node_get_array(n);
    g_assert_cmpuint(json_array_get_length(a), >, 0);
    for(guint j = 0; j < json_array_get_length(a); j++)
      g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, j),
                                                    "category"), ==, categories[i]);
    sum += json_array_get_length(a);
  }
  g_assert_cmpuint(sum, ==, ps_catalog_count(shipped));
  g_assert_cmpuint(search_total(NULL, "福祉", NULL), ==, 0);
  /* 石巻市 has more 被災者支援 procedures than any other city. */
  size_t ishinomaki = search_total("042021", "被災者支援", NULL);
  g_assert_cmpuint(ishinomaki, >, search_total("102016", "被災者支援", NULL));
  g_assert_cmpuint(ishinomaki, >, search_total("152048", "被災者支援", NULL));
  g_assert_cmpuint(ishinomaki, >, search_total("452025", "被災者支援", NULL));
}

static void test_search_keyword_in_title(void)
{
  g_autoptr(JsonNode) n = ps_catalog_search(shipped, NULL, NULL, "児童手当", 0, 0, NULL);
  JsonArray *a = json_node_get_array(n);
  /* Five 児童手当 procedures in each of the four cities. */
  g_assert_cmpuint(json_array_get_length(a), ==, 20);
  for(guint i = 0; i < json_array_get_length(a); i++)
    g_assert_nonnull(strstr(json_object_get_string_member(json_array_get_object_element(a, i),
                                                          "title"), "児童手当"));
  /* Description text counts too: 罹災証明書 is described by 被害の程度. */
  g_assert_cmpuint(search_total("102016", NULL, "被害の程度"), >=, 1);
}

static void test_search_keyword_reading_and_width_folding(void)
{
  size_t kanji = search_total(NULL, NULL, "児童手当");
  /* Readings (title_kana) in hiragana, katakana, half-width katakana. */
  g_assert_cmpuint(search_total(NULL, NULL, "じどうてあて"), ==, kanji);
  g_assert_cmpuint(search_total(NULL, NULL, "ジドウテアテ"), ==, kanji);
  g_assert_cmpuint(search_total(NULL, NULL, "ｼﾞﾄﾞｳﾃｱﾃ"), ==, kanji);
  /* City readings are keywords; terms separated by a full-width space all
   * have to match. */
  g_assert_cmpuint(search_total(NULL, NULL, "まえばし　じどうてあて"), ==, 5);
  g_assert_cmpuint(search_total(NULL, NULL, "前橋 児童手当 認定"), ==, 1);
  /* Katakana in titles is found by hiragana: サービス. */
  g_assert_cmpuint(search_total("102016", NULL, "さーびす"), >=, 2);
  /* Full-width digits fold to ASCII ones: 18歳 is in 児童手当's description. */
  size_t ascii = search_total(NULL, NULL, "18歳");
  g_assert_cmpuint(ascii, >, 0);
  g_assert_cmpuint(search_total(NULL, NULL, "１８歳"), ==, ascii);
}

static void test_search_keyword_edge_cases(void)
{
  g_assert_cmpuint(search_total(NULL, NULL, "存在しない手続"), ==, 0);
  g_assert_cmpuint(search_total(NULL, NULL, "\xff\xfe"), ==, 0);
  /* White space only is no keyword at all. */
  g_assert_cmpuint(search_total(NULL, NULL, " 　 "), ==, ps_catalog_count(shipped));
  g_assert_cmpuint(search_total(NULL, NULL, ""), ==, ps_catalog_count(shipped));
}

static void test_search_limit_offset_and_order(void)
{
  size_t total;
  g_autoptr(JsonNode) all = ps_catalog_search(shipped, NULL, NULL, NULL, 0, 0, &total);
  JsonArray *a = json_node_get_array(all);
  g_assert_cmpuint(total, ==, ps_catalog_count(shipped));

  /* Pages of 7 put together are the whole list, in the same order. */
  guint seen = 0;
  for(size_t offset = 0; offset < total; offset += 7) {
    size_t t;
    g_autoptr(JsonNode) page = ps_catalog_search(shipped, NULL, NULL, NULL, 7, offset, &t);
    JsonArray *pa = json_node_get_array(page);
    g_assert_cmpuint(t, ==, total);
    g_assert_cmpuint(json_array_get_length(pa), ==, MIN(7, total - offset));
    for(guint i = 0; i < json_array_get_length(pa); i++, seen++)
      g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(pa, i), "proc_id"),
                      ==,
                      json_object_get_string_member(json_array_get_object_element(a, seen), "proc_id"));
  }
  g_assert_cmpuint(seen, ==, total);
  g_autoptr(JsonNode) beyond = ps_catalog_search(shipped, NULL, NULL, NULL, 5, total + 3, &total);
  g_assert_cmpuint(json_array_get_length(json_node_get_array(beyond)), ==, 0);
  g_assert_cmpuint(total, ==, ps_catalog_count(shipped));

  /* City code, then 子育て, 介護, 被災者支援. */
  static const char *const order[] = { "子育て", "介護", "被災者支援" };
  for(guint i = 1; i < json_array_get_length(a); i++) {
    JsonObject *x = json_array_get_object_element(a, i - 1);
    JsonObject *y = json_array_get_object_element(a, i);
    int c = strcmp(json_object_get_string_member(x, "city_code"),
                   json_object_get_string_member(y, "city_code"));
    g_assert_cmpint(c, <=, 0);
    if(c == 0) {
      int rx = -1, ry = -1;
      for(int k = 0; k < 3; k++) {
        if(!strcmp(order[k], json_object_get_string_member(x, "category")))
          rx = k;
        if(!strcmp(order[k], json_object_get_string_member(y, "category")))
          ry = k;
      }
      g_assert_cmpint(rx, <=, ry);
    }
  }
}

/* ---- get, lookup, attachments ---- */

static void test_get_returns_an_independent_copy(void)
{
  JsonNode *a = ps_catalog_get(fixture, FIXTURE_ID);
  g_assert_nonnull(a);
  json_object_set_string_member(json_node_get_object(a), "title", "書き換え");
  json_node_unref(a);
  g_autoptr(JsonNode) b = ps_catalog_get(fixture, FIXTURE_ID);
  g_assert_cmpstr(json_object_get_string_member(json_node_get_object(b), "title"), ==,
                  "テスト用の手続");
  g_assert_null(ps_catalog_get(fixture, "102016-nothing"));
  g_assert_null(ps_catalog_get(fixture, NULL));
}

static void test_lookup_summary(void)
{
  const ps_catalog_summary *s = ps_catalog_lookup(fixture, FIXTURE_ID);
  g_assert_nonnull(s);
  g_assert_cmpstr(s->title, ==, "テスト用の手続");
  g_assert_cmpstr(s->category, ==, "子育て");
  g_assert_cmpstr(s->city_code, ==, "102016");
  g_assert_cmpstr(s->city_name, ==, "前橋市");
  g_assert_cmpstr(s->prefecture, ==, "群馬県");
  g_assert_true(s->signature_required);
  g_assert_null(ps_catalog_lookup(fixture, "102016-nothing"));
}

static void test_attachment_content_types(void)
{
  g_assert_true(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "photo", "image/png"));
  g_assert_true(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "photo", "image/jpeg"));
  g_assert_false(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "photo", "application/pdf"));
  g_assert_true(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "juminhyo", "application/pdf"));
  g_assert_false(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "juminhyo", "image/gif"));
  g_assert_false(ps_catalog_attachment_accepts(fixture, FIXTURE_ID, "nothing", "application/pdf"));
  g_assert_false(ps_catalog_attachment_accepts(fixture, "102016-nothing", "photo", "image/png"));
}

/* ---- broken catalogues ---- */

typedef struct load_case {
  const char *name;
  const char *file;            /* NULL: 102016-test-form.json */
  const char *old, *new;       /* an edit of fixture_json; old NULL: new is the file */
  ps_catalog_error code;
  const char *needle;          /* in the message, after the file name */
} load_case;

static const load_case load_cases[] = {
  { "not-json", NULL, NULL, "{\"proc_id\": ", PS_CATALOG_ERROR_SYNTAX, "not valid JSON" },
  { "not-utf8", NULL, NULL, "\xff\xfe{}", PS_CATALOG_ERROR_SYNTAX, "not UTF-8" },
  { "not-an-object", NULL, NULL, "[1, 2]", PS_CATALOG_ERROR_SCHEMA, "$: must be an object" },
  { "unknown-key", NULL, "\"keywords\"", "\"keyword\"", PS_CATALOG_ERROR_SCHEMA,
    "$: unknown key \"keyword\"" },
  { "duplicate-key", NULL, "\"title\": \"テスト用の手続\",",
    "\"title\": \"テスト用の手続\", \"title\": \"二重\",", PS_CATALOG_ERROR_SCHEMA,
    "$: key \"title\" appears more than once" },
  { "duplicate-key-in-field", NULL, "{\"id\": \"count\",", "{\"id\": \"count\", \"id\": \"count2\",",
    PS_CATALOG_ERROR_SCHEMA, "$.form.sections[1].fields[0]: key \"id\" appears more than once" },
  { "bool-of-wrong-type", NULL, "\"signature_required\": true", "\"signature_required\": \"yes\"",
    PS_CATALOG_ERROR_SCHEMA, "$.signature_required: must be true or false" },
  { "integer-of-wrong-type", NULL, "\"max_length\": 5,", "\"max_length\": 5.5,",
    PS_CATALOG_ERROR_SCHEMA, "$.form.sections[0].fields[0].max_length: must be an integer" },
  { "null-string", NULL, "\"submit_to\": \"前橋市 子育て支援課\"", "\"submit_to\": null",
    PS_CATALOG_ERROR_SCHEMA, "$.submit_to: must be a string" },
  { "missing-key", NULL, "\"title\": \"テスト用の手続\",\n", "", PS_CATALOG_ERROR_SCHEMA,
    "$: required key \"title\" is missing" },
  { "file-name-differs", "102016-other.json", NULL, NULL, PS_CATALOG_ERROR_SCHEMA,
    "$.proc_id: \"102016-test-form\" differs from the file name" },
  { "bad-city-code", NULL, "\"city_code\": \"102016\"", "\"city_code\": \"102017\"",
    PS_CATALOG_ERROR_SCHEMA, "$.city_code: \"102017\" is not a local government code" },
  { "unknown-category", NULL, "\"category\": \"子育て\"", "\"category\": \"福祉\"",
    PS_CATALOG_ERROR_SCHEMA, "$.category: unknown category" },
  { "reading-not-hiragana", NULL, "てすとようのてつづき", "テストヨウ", PS_CATALOG_ERROR_SCHEMA,
    "$.title_kana: must be hiragana" },
  { "duplicate-field-id", NULL, "{\"id\": \"kana\",", "{\"id\": \"name\",", PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[0].fields[1].id: \"name\" is already used" },
  { "select-without-choices", NULL,
    ", \"choices\": [{\"value\": \"a\", \"label\": \"甲\"}, {\"value\": \"b\", \"label\": \"乙\"}]}", "}",
    PS_CATALOG_ERROR_SCHEMA, "$.form.sections[1].fields[1]: required key \"choices\" is missing" },
  { "duplicate-choice", NULL, "{\"value\": \"b\", \"label\": \"乙\"}", "{\"value\": \"a\", \"label\": \"乙\"}",
    PS_CATALOG_ERROR_SCHEMA, "$.form.sections[1].fields[1].choices[1]: value \"a\" is already used" },
  { "pattern-does-not-compile", NULL, "[ァ-ヶー　]+", "[ァ-ヶー　+", PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[0].fields[1].pattern: does not compile as a GRegex" },
  { "pattern-without-description", NULL, ", \"pattern_description\": \"全角カタカナで入力してください\"", "",
    PS_CATALOG_ERROR_SCHEMA, "required key \"pattern_description\" is missing" },
  { "key-for-another-type", NULL, "\"date_range\": \"past\"", "\"date_range\": \"past\", \"max_length\": 3",
    PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[0].fields[2].max_length: not allowed for a field of type \"date\"" },
  { "unknown-type", NULL, "\"type\": \"postal-code\"", "\"type\": \"zip\"", PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[0].fields[4].type: unknown type \"zip\"" },
  { "example-rejected-by-its-field", NULL, "\"example\": \"高橋　健太\"", "\"example\": \"高橋　健太郎\"",
    PS_CATALOG_ERROR_SCHEMA, "$.form.sections[0].fields[0].example: rejected by its own field" },
  { "required-and-required-when", NULL,
    "\"label\": \"乙の内容\", \"type\": \"text\", \"required\": false",
    "\"label\": \"乙の内容\", \"type\": \"text\", \"required\": true",
    PS_CATALOG_ERROR_SCHEMA, "cannot also have required_when" },
  { "condition-on-unknown-field", NULL, "{\"field\": \"kind\", \"value\": \"b\"}",
    "{\"field\": \"kinds\", \"value\": \"b\"}", PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[1].fields[2].required_when: field \"kinds\" does not exist" },
  { "condition-on-text", NULL, "{\"field\": \"kind\", \"value\": \"b\"}",
    "{\"field\": \"name\", \"value\": \"b\"}", PS_CATALOG_ERROR_SCHEMA,
    "neither a select nor a checkbox" },
  { "condition-value-not-a-choice", NULL, "{\"field\": \"kind\", \"value\": \"b\"}",
    "{\"field\": \"kind\", \"value\": \"c\"}", PS_CATALOG_ERROR_SCHEMA,
    "\"c\" is not a choice of field \"kind\"" },
  { "condition-into-a-repeated-section", NULL, "{\"field\": \"kind\", \"value\": \"b\"}",
    "{\"field\": \"child_living\", \"value\": \"bekkyo\"}", PS_CATALOG_ERROR_SCHEMA,
    "is in the repeated section \"children\"" },
  { "repeat-max-below-min", NULL, "\"min\": 1, \"max\": 2, \"entry_label\"",
    "\"min\": 3, \"max\": 2, \"entry_label\"", PS_CATALOG_ERROR_SCHEMA,
    "$.form.sections[2].repeat.max: is smaller than min" },
  { "duplicate-attachment-id", NULL, "{\"id\": \"extra\",", "{\"id\": \"photo\",",
    PS_CATALOG_ERROR_SCHEMA, "$.attachments[3].id: \"photo\" is already used by another attachment" },
  { "unknown-content-type", NULL, "[\"image/jpeg\", \"image/png\"]", "[\"image/gif\"]",
    PS_CATALOG_ERROR_SCHEMA, "$.attachments[0].content_types[0]: \"image/gif\" is not accepted" },
  { "omittable-but-never-required", NULL,
    "\"required\": false, \"omittable_by_information_linkage\": false}\n  ]",
    "\"required\": false, \"omittable_by_information_linkage\": true}\n  ]",
    PS_CATALOG_ERROR_SCHEMA, "$.attachments[3].omittable_by_information_linkage: true for an "
    "attachment that is never required" },
};

static void test_load_rejects(gconstpointer data)
{
  const load_case *c = data;
  g_autofree char *dir = make_dir();
  const char *file = c->file ? c->file : FIXTURE_ID ".json";
  g_autofree char *content = c->old ? edit(fixture_json, c->old, c->new)
                                    : g_strdup(c->new ? c->new : fixture_json);
  write_file(dir, file, content, -1);
  ps_catalog *cat = NULL;
  g_autoptr(GError) err = NULL;
  g_assert_false(ps_catalog_load(dir, &cat, &err));
  g_assert_null(cat);
  g_assert_error(err, PS_CATALOG_ERROR, (gint)c->code);
  g_test_message("%s", err->message);
  /* The message starts with the file name and says what and where. */
  g_assert_true(g_str_has_prefix(err->message, file));
  g_assert_nonnull(strstr(err->message, c->needle));
  remove_dir(dir);
}

static void test_load_folder_problems(void)
{
  ps_catalog *cat = NULL;
  g_autoptr(GError) err = NULL;
  g_assert_false(ps_catalog_load("/nonexistent/catalog", &cat, &err));
  g_assert_error(err, PS_CATALOG_ERROR, PS_CATALOG_ERROR_IO);
  g_clear_error(&err);

  g_autofree char *dir = make_dir();
  write_file(dir, "README.txt", "not a procedure", -1);
  g_assert_false(ps_catalog_load(dir, &cat, &err));
  g_assert_error(err, PS_CATALOG_ERROR, PS_CATALOG_ERROR_EMPTY);
  g_clear_error(&err);

  /* Other files and dot files (editor leftovers) are not procedures. */
  write_file(dir, ".102016-test-form.json.swp.json", "garbage", -1);
  write_file(dir, FIXTURE_ID ".json", fixture_json, -1);
  g_assert_true(ps_catalog_load(dir, &cat, &err));
  g_assert_no_error(err);
  g_assert_cmpuint(ps_catalog_count(cat), ==, 1);
  ps_catalog_free(cat);
  remove_dir(dir);
}

/* ---- the form checks, rule by rule ---- */

typedef struct form_case {
  const char *name;
  const char *old, *new;       /* an edit of good_xml, or NULL */
  const char *old2, *new2;     /* a second edit, or NULL */
  const char *const *atts;     /* NULL: photo and juminhyo */
  const char *items[3];        /* the findings' items in order; none: accepted */
  const char *needle;          /* in the first finding */
  const char *absent;          /* in no finding: the value is never quoted back */
} form_case;

#define ATTS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NAME "<item id=\"name\">高橋　健太</item>"
#define BIRTH "<item id=\"birth\">1980-02-17</item>"
#define POSTAL "<item id=\"postal\">371-0022</item>"
#define COUNT "<item id=\"count\">3</item>"
#define KIND "<item id=\"kind\">a</item>"
#define AGREE "<item id=\"agree\">true</item>"
#define MYNUM "<item id=\"my_number\">123456789018</item>"
#define ENTRY "    </entry>\n"
#define END "</form>"
#define ENTRY2(name, living) \
  "    </entry>\n    <entry>\n      <item id=\"child_name\">" name "</item>\n" \
  "      <item id=\"child_living\">" living "</item>\n"

static const form_case form_cases[] = {
  { "accepts-the-good-form", NULL, NULL, NULL, NULL, NULL, { NULL }, NULL, NULL },
  /* max_length counts characters: 高橋　健太 is 5 (15 bytes) and passes. */
  { "text-max-length-in-characters", NAME, "<item id=\"name\">高橋　健太郎</item>", NULL, NULL,
    NULL, { "form.name" }, "5文字以内", "健太郎" },
  { "text-line-break-outside-multiline", NAME, "<item id=\"name\">高橋\n健太</item>", NULL, NULL,
    NULL, { "form.name" }, "改行", NULL },
  { "text-control-character", NAME, "<item id=\"name\">高橋\t健太</item>", NULL, NULL,
    NULL, { "form.name" }, "制御文字", NULL },
  { "multiline-text-too-long", "二行目", "二行目と三行目です", NULL, NULL, NULL,
    { "form.memo" }, "10文字以内", NULL },
  { "pattern", "タカハシ　ケンタ", "takahashi", NULL, NULL, NULL,
    { "form.kana" }, "全角カタカナで入力してください", "takahashi" },
  { "date-that-does-not-exist", BIRTH, "<item id=\"birth\">2023-02-29</item>", NULL, NULL,
    NULL, { "form.birth" }, "存在しない日付", NULL },
  { "date-leap-day", BIRTH, "<item id=\"birth\">2024-02-29</item>", NULL, NULL, NULL,
    { NULL }, NULL, NULL },
  { "date-shape", BIRTH, "<item id=\"birth\">1980/02/17</item>", NULL, NULL, NULL,
    { "form.birth" }, "2024-04-01", NULL },
  { "date-year-out-of-range", BIRTH, "<item id=\"birth\">1800-01-01</item>", NULL, NULL,
    NULL, { "form.birth" }, "1868年から", NULL },
  { "date-past-range", BIRTH, "<item id=\"birth\">2150-01-01</item>", NULL, NULL, NULL,
    { "form.birth" }, "今日より後", NULL },
  { "date-future-range", AGREE, AGREE "<item id=\"visit\">2000-01-01</item>", NULL, NULL,
    NULL, { "form.visit" }, "今日より前", NULL },
  { "my-number-check-digit", MYNUM, "<item id=\"my_number\">123456789012</item>", NULL, NULL,
    NULL, { "form.my_number" }, "検査用数字", "123456789012" },
  { "my-number-length", MYNUM, "<item id=\"my_number\">12345</item>", NULL, NULL, NULL,
    { "form.my_number" }, "12桁", NULL },
  { "postal-code-without-hyphen", POSTAL, "<item id=\"postal\">3710022</item>", NULL, NULL,
    NULL, { "form.postal" }, "123-4567", NULL },
  { "postal-code-full-width", POSTAL, "<item id=\"postal\">３７１-００２２</item>", NULL, NULL,
    NULL, { "form.postal" }, "半角数字", NULL },
  { "number-not-an-integer", COUNT, "<item id=\"count\">3.5</item>", NULL, NULL, NULL,
    { "form.count" }, "半角数字（整数）", NULL },
  { "number-full-width", COUNT, "<item id=\"count\">３</item>", NULL, NULL, NULL,
    { "form.count" }, "半角数字（整数）", NULL },
  { "number-below-min", COUNT, "<item id=\"count\">0</item>", NULL, NULL, NULL,
    { "form.count" }, "1人以上10人以下", NULL },
  { "number-above-max", COUNT, "<item id=\"count\">11</item>", NULL, NULL, NULL,
    { "form.count" }, "1人以上10人以下", NULL },
  { "number-overflow", COUNT, "<item id=\"count\">99999999999999999999</item>", NULL, NULL,
    NULL, { "form.count" }, "大きすぎ", NULL },
  { "select-value-not-a-choice", KIND, "<item id=\"kind\">c</item>", NULL, NULL, NULL,
    { "form.kind" }, "選択肢（甲、乙）", NULL },
  { "checkbox-required-but-unchecked", AGREE, "<item id=\"agree\">false</item>", NULL, NULL,
    NULL, { "form.agree" }, "チェックしてください", NULL },
  { "checkbox-value", AGREE, "<item id=\"agree\">yes</item>", NULL, NULL, NULL,
    { "form.agree" }, "true", NULL },
  { "required-field-missing", POSTAL, "", NULL, NULL, NULL, { "form.postal" }, "必須", NULL },
  { "blank-counts-as-missing", POSTAL, "<item id=\"postal\">　 </item>", NULL, NULL, NULL,
    { "form.postal" }, "必須", NULL },
  { "required-when-condition-met", KIND, "<item id=\"kind\">b</item>", NULL, NULL, NULL,
    { "form.kind_note" }, "「区分」で「乙」を選んだ場合に必要です", NULL },
  { "required-when-condition-met-and-given", KIND,
    "<item id=\"kind\">b</item><item id=\"kind_note\">内容</item>", NULL, NULL, NULL,
    { NULL }, NULL, NULL },
  { "unknown-field", AGREE, AGREE "<item id=\"nope\">x</item>", NULL, NULL, NULL,
    { "form.nope" }, "様式にありません", NULL },
  { "field-given-twice", COUNT, COUNT "<item id=\"count\">4</item>", NULL, NULL, NULL,
    { "form.count" }, "2回以上", NULL },
  { "item-id-not-an-identifier", AGREE, AGREE "<item id=\"名前\">x</item>", NULL, NULL, NULL,
    { "form" }, "名前になっていません", NULL },
  { "group-field-at-top-level", AGREE, AGREE "<item id=\"child_name\">x</item>", NULL, NULL,
    NULL, { "form.child_name" }, "entry要素の中", NULL },
  { "group-missing", "  <group id=\"children\">", "  <group id=\"nothing\">", NULL, NULL, NULL,
    { "form.nothing", "form.children" }, "様式にありません", NULL },
  { "group-too-few-entries", "<group id=\"children\">", "<!-- none --><group id=\"children\"/><!--",
    "</group>", "-->", NULL, { "form.children" }, "児童を1人以上", NULL },
  { "group-too-many-entries", ENTRY,
    ENTRY2("二人目", "doukyo") ENTRY2("三人目", "doukyo") ENTRY, NULL, NULL, NULL,
    { "form.children" }, "2人まで", NULL },
  { "group-entry-field-missing", ENTRY,
    "    </entry>\n    <entry>\n      <item id=\"child_living\">doukyo</item>\n" ENTRY, NULL,
    NULL, NULL, { "form.children[2].child_name" }, "（児童 2人目）", NULL },
  { "group-condition-in-the-same-entry", ENTRY, ENTRY2("二人目", "bekkyo") ENTRY, NULL, NULL,
    NULL, { "form.children[2].child_address", "attachment:bekkyo" }, "「同居・別居」で「別居」", NULL },
  { "group-condition-met-and-satisfied", ENTRY,
    ENTRY2("二人目", "bekkyo") "      <item id=\"child_address\">新潟県三条市</item>\n" ENTRY,
    NULL, NULL, ATTS("photo", "juminhyo", "bekkyo"), { NULL }, NULL, NULL },
  { "top-level-field-inside-an-entry", ENTRY, "      <item id=\"count\">3</item>\n" ENTRY,
    NULL, NULL, NULL, { "form.children[1].count" }, "欄の項目ではありません", NULL },
  { "field-used-as-a-group", AGREE, AGREE "<group id=\"count\"/>", NULL, NULL, NULL,
    { "form.count" }, "繰り返しの欄ではありません", NULL },
  { "attachment-missing", NULL, NULL, NULL, NULL, ATTS("juminhyo"), { "attachment:photo" },
    "「写真」を添付してください", NULL },
  { "attachment-too-many-files", NULL, NULL, NULL, NULL,
    ATTS("photo", "photo", "photo", "juminhyo"), { "attachment:photo" }, "2件まで", NULL },
  { "attachment-unknown", NULL, NULL, NULL, NULL, ATTS("photo", "juminhyo", "zzz"),
    { "attachment:zzz" }, "添付書類にありません", NULL },
  /* An id the package format would not allow is not echoed into the item. */
  { "attachment-id-not-echoed", NULL, NULL, NULL, NULL, ATTS("photo", "juminhyo", "<script>"),
    { "attachment" }, "名前が正しくありません", "<script>" },
  { "attachment-optional-may-be-given", NULL, NULL, NULL, NULL,
    ATTS("photo", "juminhyo", "extra"), { NULL }, NULL, NULL },
  { "omittable-attachment-missing", NULL, NULL, NULL, NULL, ATTS("photo"),
    { "attachment:juminhyo" }, "省略に同意", NULL },
  { "omission-by-linkage-accepted", END, "<linkage-consent attachment=\"juminhyo\"/></form>",
    NULL, NULL, ATTS("photo"), { NULL }, NULL, NULL },
  { "omission-not-allowed", END, "<linkage-consent attachment=\"photo\"/></form>", NULL, NULL,
    ATTS("juminhyo"), { "attachment:photo" }, "情報連携で省略できない", NULL },
  { "omission-and-file-both", END, "<linkage-consent attachment=\"juminhyo\"/></form>", NULL,
    NULL, NULL, { "attachment:juminhyo" }, "どちらか一方", NULL },
  { "omission-of-unknown-attachment", END, "<linkage-consent attachment=\"nope\"/></form>",
    NULL, NULL, NULL, { "attachment:nope" }, "この手続にありません", NULL },
  { "xml-not-well-formed", "</form>", "</from>", NULL, NULL, NULL, { "form" }, "行目", NULL },
  { "xml-doctype", "<form ", "<!DOCTYPE form [<!ENTITY x \"y\">]>\n<form ", NULL, NULL, NULL,
    { "form" }, "DOCTYPE", NULL },
  { "xml-external-entity", "<form ",
    "<!DOCTYPE form [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<form ",
    "高橋　健太", "&xxe;", NULL, { "form" }, "DOCTYPE", "root:" },
  { "xml-entity-expansion", "<form ",
    "<!DOCTYPE form [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
    "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]>\n<form ",
    "高橋　健太", "&f;", NULL, { "form" }, NULL, "aaaaaaaaaa" },
  { "xml-wrong-namespace", "urn:mynaterm:portal-sim:form:1", "urn:example:other", NULL, NULL,
    NULL, { "form" }, "名前空間", NULL },
  { "xml-other-procedure", "proc_id=\"102016-test-form\"", "proc_id=\"102016-other\"", NULL,
    NULL, NULL, { "proc_id" }, "一致しません", NULL },
  { "xml-stray-text", COUNT, COUNT "こんにちは", NULL, NULL, NULL, { "form" }, "要素の外", NULL },
  { "xml-unknown-element", COUNT, COUNT "<note>x</note>", NULL, NULL, NULL, { "form" },
    "item、group、linkage-consent", NULL },
  /* The item is dropped, so the field is then missing as well. */
  { "xml-extra-attribute", COUNT, "<item id=\"count\" unit=\"人\">3</item>", NULL, NULL, NULL,
    { "form", "form.count" }, "使えない属性", NULL },
  { "xml-comments-and-cdata", NAME,
    "<!-- 氏名 --><item id=\"name\"><![CDATA[高橋　]]><!-- 姓と名 -->健太</item>", NULL, NULL,
    NULL, { NULL }, NULL, NULL },
};

static void test_form(gconstpointer data)
{
  const form_case *c = data;
  g_autofree char *x1 = c->old ? edit(good_xml, c->old, c->new) : g_strdup(good_xml);
  g_autofree char *xml = c->old2 ? edit(x1, c->old2, c->new2) : g_strdup(x1);
  g_autoptr(GPtrArray) r = check(fixture, FIXTURE_ID, xml, c->atts ? c->atts : good_attachments);
  dump(r);
  size_t want = 0;
  while(want < G_N_ELEMENTS(c->items) && c->items[want])
    want++;
  g_assert_cmpuint(r->len, ==, want);
  for(size_t i = 0; i < want; i++)
    g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r, i))->item, ==, c->items[i]);
  if(c->needle)
    g_assert_nonnull(strstr(((ps_report_item *)g_ptr_array_index(r, 0))->content, c->needle));
  for(guint i = 0; c->absent && i < r->len; i++)
    g_assert_null(strstr(((ps_report_item *)g_ptr_array_index(r, i))->content, c->absent));
}

static void test_form_unknown_procedure_and_empty_input(void)
{
  g_autoptr(GPtrArray) r = check(fixture, "102016-nothing", good_xml, good_attachments);
  g_assert_cmpuint(r->len, ==, 1);
  g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r, 0))->item, ==, "proc_id");

  g_autoptr(GPtrArray) r2 = check(fixture, FIXTURE_ID, "", good_attachments);
  g_assert_cmpuint(r2->len, ==, 1);
  g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r2, 0))->item, ==, "form");

  g_autoptr(GPtrArray) r3 = check(fixture, FIXTURE_ID, "<form xmlns=\"urn:x\"/>", good_attachments);
  g_assert_cmpuint(r3->len, ==, 1);
  g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r3, 0))->item, ==, "form");
}

static void test_form_too_large(void)
{
  /* A comment makes the document too large without making it wrong. */
  GString *big = g_string_new(NULL);
  g_string_append_len(big, good_xml, strlen(good_xml) - strlen("</form>\n"));
  g_string_append(big, "<!--");
  while(big->len <= PS_CATALOG_MAX_FORM_XML)
    g_string_append(big, "padding padding padding padding ");
  g_string_append(big, "-->\n</form>\n");
  g_autoptr(GPtrArray) r = check(fixture, FIXTURE_ID, big->str, good_attachments);
  g_assert_cmpuint(r->len, ==, 1);
  g_assert_nonnull(strstr(((ps_report_item *)g_ptr_array_index(r, 0))->content, "大きすぎ"));
  g_string_free(big, TRUE);
}

static void test_form_findings_are_capped(void)
{
  GString *x = g_string_new(NULL);
  g_string_append_len(x, good_xml, strlen(good_xml) - strlen("</form>\n"));
  for(int i = 0; i < 500; i++)
    g_string_append_printf(x, "<item id=\"unknown_%d\">x</item>\n", i);
  g_string_append(x, "</form>\n");
  g_autoptr(GPtrArray) r = check(fixture, FIXTURE_ID, x->str, good_attachments);
  g_assert_cmpuint(r->len, ==, 101);
  g_assert_cmpstr(((ps_report_item *)g_ptr_array_index(r, 100))->item, ==, "form");
  g_string_free(x, TRUE);
}

/* The form XML example in docs/portal-sim-catalog.md, the block after the
 * line "<!-- form-example: <proc_id> attachments: (none) -->", passes. */
static void test_docs_form_example_passes(void)
{
  const char *doc = g_getenv("PS_CATALOG_DOC");
  if(!doc)
    g_error("PS_CATALOG_DOC must name docs/portal-sim-catalog.md");
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(doc, &text, NULL, NULL));
  const char *marker = strstr(text, "<!-- form-example: ");
  g_assert_nonnull(marker);
  marker += strlen("<!-- form-example: ");
  g_autofree char *proc_id = g_strndup(marker, strcspn(marker, " "));
  g_assert_true(g_str_has_prefix(marker + strlen(proc_id), " attachments: (none) -->"));
  const char *start = strstr(marker, "```xml\n");
  g_assert_nonnull(start);
  start += strlen("```xml\n");
  const char *end = strstr(start, "```");
  g_assert_nonnull(end);
  g_autofree char *xml = g_strndup(start, end - start);
  g_autoptr(GPtrArray) r = check(shipped, proc_id, xml, NULL);
  dump(r);
  g_assert_cmpuint(r->len, ==, 0);
}

/* The catalogue is read-only once loaded: searches, copies and checks from
 * several threads at once see the same answers. */
static gpointer reader(gpointer data)
{
  for(int i = 0; i < 50; i++) {
    size_t total;
    json_node_unref(ps_catalog_search(shipped, NULL, NULL, "じどうてあて", 3, 1, &total));
    g_assert_cmpuint(total, ==, 20);
    json_node_unref(ps_catalog_get(shipped, "102016-jidouteate-nintei"));
    GPtrArray *r = ps_report_new();
    g_assert_true(ps_catalog_check_form(fixture, FIXTURE_ID, (const uint8_t *)good_xml,
                                        strlen(good_xml), good_attachments, 2, r));
    g_ptr_array_unref(r);
  }
  return data;
}

static void test_concurrent_readers(void)
{
  GThread *t[4];
  for(int i = 0; i < 4; i++)
    t[i] = g_thread_new("reader", reader, NULL);
  for(int i = 0; i < 4; i++)
    g_thread_join(t[i]);
}

int main(int argc, char **argv)
{
  /* Findings are printed with g_test_message: Japanese needs the locale. */
  setlocale(LC_ALL, "");
  g_test_init(&argc, &argv, NULL);

  const char *data = g_getenv("PS_CATALOG_DATA");
  if(!data)
    g_error("PS_CATALOG_DATA must name the shipped catalogue folder");
  g_autoptr(GError) err = NULL;
  if(!ps_catalog_load(data, &shipped, &err))
    g_error("the shipped catalogue does not load: %s", err->message);
  g_autofree char *dir = make_dir();
  write_file(dir, FIXTURE_ID ".json", fixture_json, -1);
  if(!ps_catalog_load(dir, &fixture, &err))
    g_error("the test fixture does not load: %s", err->message);
  remove_dir(dir);

  g_test_add_func("/catalog/shipped/loads-every-file", test_shipped_loads_every_file);
  g_test_add_func("/catalog/shipped/covers-every-city-and-category",
                  test_shipped_covers_every_city_and_category);
  g_test_add_func("/catalog/shipped/examples-pass-and-each-omission-is-named",
                  test_shipped_examples_pass_and_each_omission_is_named);
  g_test_add_func("/catalog/search/by-city", test_search_by_city);
  g_test_add_func("/catalog/search/by-category", test_search_by_category);
  g_test_add_func("/catalog/search/keyword-in-title", test_search_keyword_in_title);
  g_test_add_func("/catalog/search/keyword-reading-and-width-folding",
                  test_search_keyword_reading_and_width_folding);
  g_test_add_func("/catalog/search/keyword-edge-cases", test_search_keyword_edge_cases);
  g_test_add_func("/catalog/search/limit-offset-and-order", test_search_limit_offset_and_order);
  g_test_add_func("/catalog/get/returns-an-independent-copy", test_get_returns_an_independent_copy);
  g_test_add_func("/catalog/lookup/summary", test_lookup_summary);
  g_test_add_func("/catalog/attachment/content-types", test_attachment_content_types);
  for(size_t i = 0; i < G_N_ELEMENTS(load_cases); i++) {
    g_autofree char *path = g_strdup_printf("/catalog/load/rejects/%s", load_cases[i].name);
    g_test_add_data_func(path, &load_cases[i], test_load_rejects);
  }
  g_test_add_func("/catalog/load/folder-problems", test_load_folder_problems);
  for(size_t i = 0; i < G_N_ELEMENTS(form_cases); i++) {
    g_autofree char *path = g_strdup_printf("/catalog/form/%s", form_cases[i].name);
    g_test_add_data_func(path, &form_cases[i], test_form);
  }
  g_test_add_func("/catalog/form/unknown-procedure-and-empty-input",
                  test_form_unknown_procedure_and_empty_input);
  g_test_add_func("/catalog/form/too-large", test_form_too_large);
  g_test_add_func("/catalog/form/findings-are-capped", test_form_findings_are_capped);
  g_test_add_func("/catalog/docs/form-example-passes", test_docs_form_example_passes);
  g_test_add_func("/catalog/concurrent-readers", test_concurrent_readers);

  int rc = g_test_run();
  ps_catalog_free(shipped);
  ps_catalog_free(fixture);
  return rc;
}
