/* test_catalog_lint.c - the shipped catalogue asks for what the real forms
 * of each kind ask for: a 児童手当 claim names the claimant and each child
 * with their birth date, a 要介護認定 names the insured person and the
 * doctor, a 罹災証明書 the damaged house and photos of the damage ... and
 * every municipality offers the procedures of all three categories. The
 * loader checks that a file is well formed; this checks that it is a
 * credible form. */
#include <locale.h>
#include <string.h>

#include <glib.h>

#include "catalog.h"

static ps_catalog *cat;

/* ---- walking a definition ---- */

static JsonArray *sections_of(JsonObject *def)
{
  return json_object_get_array_member(json_object_get_object_member(def, "form"),
                                      "sections");
}

/* The field with this id, and the section it is in. */
static JsonObject *field(JsonObject *def, const char *id, JsonObject **section)
{
  JsonArray *sections = sections_of(def);
  for(guint i = 0; i < json_array_get_length(sections); i++) {
    JsonObject *s = json_array_get_object_element(sections, i);
    JsonArray *fields = json_object_get_array_member(s, "fields");
    for(guint j = 0; j < json_array_get_length(fields); j++) {
      JsonObject *f = json_array_get_object_element(fields, j);
      if(!strcmp(json_object_get_string_member(f, "id"), id)) {
        if(section)
          *section = s;
        return f;
      }
    }
  }
  return NULL;
}

static JsonObject *attachment(JsonObject *def, const char *id)
{
  JsonArray *a = json_object_get_array_member(def, "attachments");
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    if(!strcmp(json_object_get_string_member(o, "id"), id))
      return o;
  }
  return NULL;
}

static const char *str(JsonObject *o, const char *key)
{
  return json_object_has_member(o, key) ? json_object_get_string_member(o, key) : NULL;
}

/* A field that exists, has this type, and is always or conditionally
 * required as `required` says ("yes", "when", "any"). */
static void want_field(JsonObject *def, const char *id, const char *type,
                       const char *required)
{
  const char *proc = json_object_get_string_member(def, "proc_id");
  JsonObject *f = field(def, id, NULL);
  if(!f)
    g_error("%s: no field %s", proc, id);
  if(strcmp(str(f, "type"), type))
    g_error("%s: field %s is %s, not %s", proc, id, str(f, "type"), type);
  bool always = json_object_get_boolean_member(f, "required");
  bool when = json_object_has_member(f, "required_when");
  if(!strcmp(required, "yes") && !always)
    g_error("%s: field %s is not required", proc, id);
  if(!strcmp(required, "when") && !when)
    g_error("%s: field %s has no required_when", proc, id);
}

/* A field in the repeated section `group`. */
static void want_group_field(JsonObject *def, const char *group, const char *id,
                             const char *type)
{
  const char *proc = json_object_get_string_member(def, "proc_id");
  JsonObject *s = NULL;
  JsonObject *f = field(def, id, &s);
  if(!f || strcmp(str(s, "id"), group) || !json_object_has_member(s, "repeat"))
    g_error("%s: no field %s in the repeated section %s", proc, id, group);
  if(strcmp(str(f, "type"), type) || !json_object_get_boolean_member(f, "required"))
    g_error("%s: %s.%s must be a required %s", proc, group, id, type);
}

/* An attachment; omittable: 1 must be, 0 must not be, -1 either. */
static void want_attachment(JsonObject *def, const char *id, int omittable)
{
  const char *proc = json_object_get_string_member(def, "proc_id");
  JsonObject *a = attachment(def, id);
  if(!a)
    g_error("%s: no attachment %s", proc, id);
  bool o = json_object_get_boolean_member(a, "omittable_by_information_linkage");
  if(omittable >= 0 && o != (omittable == 1))
    g_error("%s: attachment %s must %sbe omittable by 情報連携", proc, id,
            omittable ? "" : "not ");
}

/* Every procedure of the shipped catalogue, as (proc_id, definition). */
typedef void (*visit_fn)(const char *proc_id, const char *kind, JsonObject *def);

static void each_procedure(visit_fn fn)
{
  g_autoptr(JsonNode) all = ps_catalog_search(cat, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *a = json_node_get_array(all);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    const char *id = json_object_get_string_member(json_array_get_object_element(a, i),
                                                   "proc_id");
    g_autoptr(JsonNode) def = ps_catalog_get(cat, id);
    fn(id, id + 7, json_node_get_object(def));
  }
}

/* ---- what every procedure has ---- */

static void every_procedure(const char *proc_id, const char *kind, JsonObject *def)
{
  /* Forms end with a required declaration the resident ticks. */
  JsonArray *sections = sections_of(def);
  JsonObject *last = json_array_get_object_element(sections,
                                                   json_array_get_length(sections) - 1);
  g_assert_cmpstr(str(last, "id"), ==, "declaration");
  want_field(def, "pledge", "checkbox", "yes");

  /* Every field shows an example (documentation, client demos, and the
   * unit test that fills every form with them). */
  for(guint i = 0; i < json_array_get_length(sections); i++) {
    JsonArray *fields = json_object_get_array_member(json_array_get_object_element(sections, i),
                                                     "fields");
    for(guint j = 0; j < json_array_get_length(fields); j++) {
      JsonObject *f = json_array_get_object_element(fields, j);
      if(!json_object_has_member(f, "example"))
        g_error("%s: field %s has no example", proc_id, str(f, "id"));
    }
  }

  /* Where money is paid, a chosen account needs a copy of the passbook. */
  if(field(def, "account_method", NULL)) {
    want_field(def, "bank_name", "text", "when");
    want_field(def, "account_number", "text", "when");
    JsonObject *a = attachment(def, "tsuchou");
    g_assert_nonnull(a);
    g_assert_cmpstr(str(json_object_get_object_member(a, "required_when"), "field"), ==,
                    "account_method");
  }

  /* The applicant's own name and address can come from the card. */
  bool prefill_name = false, prefill_address = false;
  for(guint i = 0; i < json_array_get_length(sections); i++) {
    JsonArray *fields = json_object_get_array_member(json_array_get_object_element(sections, i),
                                                     "fields");
    for(guint j = 0; j < json_array_get_length(fields); j++) {
      const char *p = str(json_array_get_object_element(fields, j), "prefill");
      prefill_name = prefill_name || (p && !strcmp(p, "name"));
      prefill_address = prefill_address || (p && !strcmp(p, "address"));
    }
  }
  if(!g_str_has_prefix(kind, "youkaigo") && !g_str_has_suffix(kind, "saikoufu") &&
     strcmp(kind, "kyotaku-keikaku") && strcmp(kind, "kougaku-kaigo") &&
     strcmp(kind, "futangendogaku")) {
    /* (介護 forms are about the insured person, who is often not the one
     * at the terminal, so they are not prefilled.) */
    if(!prefill_name || !prefill_address)
      g_error("%s: the applicant's name and address are not prefilled from the card",
              proc_id);
  }

  /* 子育て procedures all need the 署名用 certificate. */
  const ps_catalog_summary *s = ps_catalog_lookup(cat, proc_id);
  if(!strcmp(s->category, "子育て"))
    g_assert_true(s->signature_required);
}

static void test_every_procedure(void)
{
  each_procedure(every_procedure);
}

/* ---- what each kind of procedure asks for ---- */

static void by_kind(const char *proc_id, const char *kind, JsonObject *def)
{
  if(g_str_has_prefix(kind, "jidouteate-")) {
    if(!strcmp(kind, "jidouteate-nintei")) {
      want_field(def, "applicant_name", "text", "yes");
      want_field(def, "applicant_birth_date", "date", "yes");
      want_field(def, "applicant_address", "address", "yes");
      want_field(def, "applicant_my_number", "text", "yes");
      want_field(def, "pension_type", "select", "yes");
      want_field(def, "reason", "select", "yes");
      want_field(def, "spouse_name", "text", "when");
      want_field(def, "account_method", "select", "yes");
      /* The public tables: 住民票の写し and 課税証明書 are omittable. */
      want_attachment(def, "juminhyo", 1);
      want_attachment(def, "kazei_shoumei", 1);
      want_attachment(def, "bekkyo_moushitate", 0);
      if(attachment(def, "kenkou_hoken"))
        want_attachment(def, "kenkou_hoken", 1);
    }
    else
      want_field(def, "recipient_name", "text", "yes");
    if(!strcmp(kind, "jidouteate-nintei") || !strcmp(kind, "jidouteate-gakukaitei") ||
       !strcmp(kind, "jidouteate-genkyou")) {
      want_group_field(def, "children", "child_name", "text");
      want_group_field(def, "children", "child_birth_date", "date");
      want_group_field(def, "children", "child_living", "select");
    }
    if(!strcmp(kind, "jidouteate-genkyou") || !strcmp(kind, "jidouteate-shoumetsu"))
      want_field(def, "recipient_number", "text", "yes");
    if(!strcmp(kind, "jidouteate-shoumetsu"))
      want_field(def, "new_address", "address", "when");
  }
  else if(!strcmp(kind, "hoiku-moushikomi")) {
    want_field(def, "guardian_name", "text", "yes");
    want_field(def, "guardian_need_reason", "select", "yes");
    want_group_field(def, "children", "child_name", "text");
    want_group_field(def, "children", "child_birth_date", "date");
    want_group_field(def, "children", "start_date", "date");
    want_group_field(def, "children", "hope1", "text");
    want_attachment(def, "shuurou_shoumei", 0);
    want_attachment(def, "kazei_shoumei", 1);
  }
  else if(!strcmp(kind, "hoiku-genkyou")) {
    want_group_field(def, "children", "facility_name", "text");
    want_attachment(def, "shuurou_shoumei", 0);
  }
  else if(!strcmp(kind, "jidoufuyou-genkyou")) {
    want_field(def, "certificate_number", "text", "yes");
    want_field(def, "marriage", "select", "yes");
    want_field(def, "youikuhi", "select", "yes");
    want_group_field(def, "children", "child_name", "text");
    want_field(def, "interview_date", "date", "yes");
  }
  else if(!strcmp(kind, "ninshin")) {
    want_field(def, "mother_name", "text", "yes");
    want_field(def, "mother_birth_date", "date", "yes");
    want_field(def, "mother_my_number", "text", "yes");
    want_field(def, "weeks", "number", "yes");
    want_field(def, "due_date", "date", "yes");
    want_field(def, "multiples", "select", "yes");
  }
  else if(!strcmp(kind, "kodomo-iryouhi")) {
    want_group_field(def, "children", "child_birth_date", "date");
    want_attachment(def, "kodomo_hoken", 1);
  }
  else if(!strcmp(kind, "ninpu-shien")) {
    want_field(def, "benefit_kind", "select", "yes");
    want_field(def, "account_method", "select", "yes");
  }
  else if(!strcmp(kind, "youkaigo-nintei") || !strcmp(kind, "youkaigo-koushin") ||
          !strcmp(kind, "youkaigo-kubunhenkou")) {
    want_field(def, "insured_type", "select", "yes");
    want_field(def, "insured_number", "text", "when");
    want_field(def, "insured_name", "text", "yes");
    want_field(def, "insured_birth_date", "date", "yes");
    want_field(def, "insured_address", "address", "yes");
    want_field(def, "insured_my_number", "text", "yes");
    want_field(def, "doctor_name", "text", "yes");
    want_field(def, "clinic_name", "text", "yes");
    want_field(def, "specified_disease", "select", "when");
    want_field(def, "stayed", "select", "yes");
    if(strcmp(kind, "youkaigo-nintei"))
      want_field(def, "current_level", "select", "yes");
    if(!strcmp(kind, "youkaigo-kubunhenkou"))
      want_field(def, "change_reason", "text", "yes");
    want_attachment(def, "iryou_hoken", -1);
  }
  else if(!strcmp(kind, "youkaigo-tennyu")) {
    want_field(def, "previous_city", "text", "yes");
    want_field(def, "moved_in_date", "date", "yes");
    want_field(def, "previous_level", "select", "yes");
    want_attachment(def, "jukyuu_shikaku", 0);
  }
  else if(!strcmp(kind, "kyotaku-keikaku")) {
    want_field(def, "insured_number", "text", "yes");
    want_field(def, "office_name", "text", "yes");
    want_field(def, "office_number", "text", "yes");
  }
  else if(g_str_has_suffix(kind, "-saikoufu")) {
    want_field(def, "insured_number", "text", "yes");
    want_field(def, "reason", "select", "yes");
  }
  else if(!strcmp(kind, "kougaku-kaigo")) {
    want_field(def, "insured_number", "text", "yes");
    want_field(def, "account_method", "select", "yes");
  }
  else if(!strcmp(kind, "futangendogaku")) {
    want_field(def, "income_class", "select", "yes");
    want_field(def, "deposits", "number", "yes");
    want_field(def, "consent_bank", "checkbox", "yes");
    want_attachment(def, "tsuchou_copy", 0);
  }
  else if(!strcmp(kind, "risai-shoumei") || !strcmp(kind, "hisai-shoumei")) {
    want_field(def, "applicant_name", "text", "yes");
    want_field(def, "disaster_date", "date", "yes");
    want_field(def, "damage_cause", "select", "yes");
    want_field(def, "copies", "number", "yes");
    if(!strcmp(kind, "risai-shoumei"))
      want_field(def, "damaged_address", "address", "yes");
    /* Photos of the damage, and only photos. */
    JsonObject *a = attachment(def, "higai_shashin");
    g_assert_nonnull(a);
    g_assert_true(json_object_get_boolean_member(a, "required"));
    JsonArray *types = json_object_get_array_member(a, "content_types");
    for(guint i = 0; i < json_array_get_length(types); i++)
      g_assert_true(g_str_has_prefix(json_array_get_string_element(types, i), "image/"));
  }
  else if(!strcmp(kind, "saiken-shienkin")) {
    want_field(def, "household_size", "number", "yes");
    want_field(def, "damage_level", "select", "yes");
    want_field(def, "rebuild", "select", "when");
    want_attachment(def, "risai_copy", 0);
    want_attachment(def, "juminhyo", 1);
  }
  else if(!strcmp(kind, "saigai-chouikin")) {
    want_field(def, "relation", "select", "yes");
    want_field(def, "deceased_name", "text", "yes");
    want_field(def, "death_date", "date", "yes");
    want_field(def, "breadwinner", "select", "yes");
    want_attachment(def, "shibou_shindan", 0);
  }
  else if(!strcmp(kind, "saigai-shougai-mimai")) {
    want_field(def, "disability_kind", "select", "yes");
    want_attachment(def, "shindansho", 0);
  }
  else if(!strcmp(kind, "saigai-engo-shikin")) {
    want_field(def, "loan_reason", "select", "yes");
    want_field(def, "household_income", "number", "yes");
    want_field(def, "amount", "number", "yes");
    want_attachment(def, "shotoku", 1);
  }
  else if(!strcmp(kind, "saigai-mimaikin")) {
    want_field(def, "damage_level", "select", "yes");
    want_attachment(def, "risai_copy", 0);
  }
  else if(!strcmp(kind, "oukyuu-shuuri")) {
    want_field(def, "repair_parts", "text", "yes");
    want_field(def, "estimate", "number", "yes");
    want_attachment(def, "mitsumori", 0);
  }
  else
    g_error("%s: a kind of procedure this lint does not know; add its rules here",
            proc_id);
}

static void test_each_kind(void)
{
  each_procedure(by_kind);
}

/* ---- the catalogue as a whole ---- */

static void test_every_public_title_is_offered(void)
{
  /* The procedure names as the ぴったりサービス lists them. */
  static const char *const titles[] = {
    "児童手当の認定請求", "児童手当の額改定の請求及び届出",
    "児童手当の氏名変更／住所変更等の届出", "児童手当の現況届",
    "児童手当の受給事由消滅の届出", "保育施設等の利用申込", "保育施設等の現況届",
    "児童扶養手当の現況届の事前送信", "妊娠の届出",
    "要介護・要支援認定の申請", "要介護・要支援更新認定の申請",
    "要介護・要支援状態区分変更の申請",
    "居宅（介護予防）サービス計画作成（変更）依頼の届出",
    "介護保険負担割合証の再交付申請", "被保険者証の再交付申請",
    "高額介護（予防）サービス費の支給申請", "介護保険負担限度額認定申請",
    "住所移転後の要介護・要支援認定申請",
    "罹災証明書の交付申請", "被災者生活再建支援金の支給申請", "災害弔慰金の支給申請",
    "災害援護資金の貸付申請", "災害見舞金の支給申請",
  };
  g_autoptr(JsonNode) all = ps_catalog_search(cat, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *a = json_node_get_array(all);
  for(size_t t = 0; t < G_N_ELEMENTS(titles); t++) {
    bool found = false;
    for(guint i = 0; i < json_array_get_length(a) && !found; i++)
      found = !strcmp(json_object_get_string_member(json_array_get_object_element(a, i),
                                                    "title"), titles[t]);
    if(!found)
      g_error("no procedure is titled %s", titles[t]);
  }
}

/* The same kind of procedure has the same title everywhere, so that a
 * resident who moves finds it under the same name. */
static void test_same_kind_same_title(void)
{
  g_autoptr(GHashTable) titles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) all = ps_catalog_search(cat, NULL, NULL, NULL, 0, 0, NULL);
  JsonArray *a = json_node_get_array(all);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    const char *kind = json_object_get_string_member(o, "proc_id") + 7;
    const char *title = json_object_get_string_member(o, "title");
    const char *seen = g_hash_table_lookup(titles, kind);
    if(seen)
      g_assert_cmpstr(seen, ==, title);
    else
      g_hash_table_insert(titles, g_strdup(kind), g_strdup(title));
  }
}

static void test_every_city_offers_each_category(void)
{
  static const struct {
    const char *code, *name, *pref;
  } cities[] = {
    { "102016", "前橋市", "群馬県" }, { "152048", "三条市", "新潟県" },
    { "452025", "都城市", "宮崎県" }, { "042021", "石巻市", "宮城県" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cities); i++) {
    size_t kosodate, kaigo, hisai;
    json_node_unref(ps_catalog_search(cat, cities[i].code, "子育て", NULL, 0, 0, &kosodate));
    json_node_unref(ps_catalog_search(cat, cities[i].code, "介護", NULL, 0, 0, &kaigo));
    json_node_unref(ps_catalog_search(cat, cities[i].code, "被災者支援", NULL, 0, 0, &hisai));
    g_assert_cmpuint(kosodate, >=, 8);
    g_assert_cmpuint(kaigo, ==, 9);
    g_assert_cmpuint(hisai, >=, 2);
    g_autoptr(JsonNode) n = ps_catalog_search(cat, cities[i].code, NULL, NULL, 0, 0, NULL);
    JsonArray *a = json_node_get_array(n);
    for(guint j = 0; j < json_array_get_length(a); j++) {
      JsonObject *o = json_array_get_object_element(a, j);
      g_assert_cmpstr(json_object_get_string_member(o, "city_name"), ==, cities[i].name);
      g_assert_cmpstr(json_object_get_string_member(o, "prefecture"), ==, cities[i].pref);
    }
  }
  /* 都城市 is the strongest on 子育て, 石巻市 on 被災者支援. */
  size_t miyakonojo, others;
  json_node_unref(ps_catalog_search(cat, "452025", "子育て", NULL, 0, 0, &miyakonojo));
  json_node_unref(ps_catalog_search(cat, "102016", "子育て", NULL, 0, 0, &others));
  g_assert_cmpuint(miyakonojo, >, others);
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  g_test_init(&argc, &argv, NULL);
  const char *data = g_getenv("PS_CATALOG_DATA");
  if(!data)
    g_error("PS_CATALOG_DATA must name the shipped catalogue folder");
  g_autoptr(GError) err = NULL;
  if(!ps_catalog_load(data, &cat, &err))
    g_error("the shipped catalogue does not load: %s", err->message);

  g_test_add_func("/catalog-lint/every-procedure", test_every_procedure);
  g_test_add_func("/catalog-lint/each-kind-asks-what-its-form-asks", test_each_kind);
  g_test_add_func("/catalog-lint/every-public-title-is-offered",
                  test_every_public_title_is_offered);
  g_test_add_func("/catalog-lint/same-kind-same-title", test_same_kind_same_title);
  g_test_add_func("/catalog-lint/every-city-offers-each-category",
                  test_every_city_offers_each_category);
  int rc = g_test_run();
  ps_catalog_free(cat);
  return rc;
}
