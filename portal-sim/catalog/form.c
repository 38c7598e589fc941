/* form.c - checking an application's form data (the form XML of the
 * package, docs/portal-sim-catalog.md) against its procedure's schema.
 *
 * The checker reports every finding it can in one pass, because a resident
 * at a counter should fix everything at once rather than learn of one
 * mistake per submission. Messages name the field by its label and never
 * quote the value back: the value may be personal data, and the report may
 * end up in logs. */
#include "catalog_internal.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "report.h"

/* One report carries at most this many findings [S]: past that, the input
 * is not a form someone filled in, and a longer list helps nobody. */
#define MAX_FINDINGS 100

/* Dates outside these years are typing mistakes [S]: 1868 is the first
 * year of 明治, the oldest era on a living person's records. */
#define MIN_YEAR 1868
#define MAX_YEAR 2199

/* ---- single values ---- */

static void today_jst(GDate *today)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset(9 * 3600);
  g_autoptr(GDateTime) now = g_date_time_new_now(tz);
  g_date_clear(today, 1);
  g_date_set_dmy(today, (GDateDay)g_date_time_get_day_of_month(now),
                 (GDateMonth)g_date_time_get_month(now),
                 (GDateYear)g_date_time_get_year(now));
}

/* "。" ends a sentence; a pattern_description may or may not carry one. */
static const char *stop(const char *sentence)
{
  return g_str_has_suffix(sentence, "。") ? "" : "。";
}

static char *number_problem(const cat_field *f, const char *name,
                            const char *value)
{
  const char *digits = value[0] == '-' ? value + 1 : value;
  if(!*digits)
    return g_strdup_printf("%sは半角数字（整数）で入力してください。", name);
  for(const char *c = digits; *c; c++)
    if(!g_ascii_isdigit(*c))
      return g_strdup_printf("%sは半角数字（整数）で入力してください。", name);
  gint64 v;
  if(!g_ascii_string_to_signed(value, 10, G_MININT64, G_MAXINT64, &v, NULL))
    return g_strdup_printf("%sの数が大きすぎます。正しい数を入力してください。", name);
  /* "1人以上10人以下": the unit goes with each number. */
  const char *u = f->unit ? f->unit : "";
  if(f->has_min && f->has_max && (v < f->min || v > f->max))
    return g_strdup_printf("%sは%" G_GINT64_FORMAT "%s以上%" G_GINT64_FORMAT
                           "%s以下で入力してください。", name, f->min, u, f->max, u);
  if(f->has_min && v < f->min)
    return g_strdup_printf("%sは%" G_GINT64_FORMAT "%s以上で入力してください。",
                           name, f->min, u);
  if(f->has_max && v > f->max)
    return g_strdup_printf("%sは%" G_GINT64_FORMAT "%s以下で入力してください。",
                           name, f->max, u);
  return NULL;
}

static char *date_problem(const cat_field *f, const char *name,
                          const char *value, bool with_date_range)
{
  bool shape = strlen(value) == 10 && value[4] == '-' && value[7] == '-';
  for(int i = 0; shape && i < 10; i++)
    shape = i == 4 || i == 7 || g_ascii_isdigit(value[i]);
  if(!shape)
    return g_strdup_printf("%sは「2024-04-01」のように、年4桁・月2桁・日2桁を"
                           "半角数字とハイフンで入力してください。", name);
  int y = atoi(value), m = atoi(value + 5), d = atoi(value + 8);
  if(y < MIN_YEAR || y > MAX_YEAR)
    return g_strdup_printf("%sは%d年から%d年までの日付で入力してください。",
                           name, MIN_YEAR, MAX_YEAR);
  if(!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return g_strdup_printf("%sに存在しない日付が入力されています。日付を確かめてください。",
                           name);
  if(!with_date_range || f->date_range == CAT_DATE_ANY)
    return NULL;
  GDate date, today;
  g_date_clear(&date, 1);
  g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  today_jst(&today);
  int cmp = g_date_compare(&date, &today);
  if(f->date_range == CAT_DATE_PAST && cmp > 0)
    return g_strdup_printf("%sに今日より後の日付は入力できません。日付を確かめてください。",
                           name);
  if(f->date_range == CAT_DATE_FUTURE && cmp < 0)
    return g_strdup_printf("%sに今日より前の日付は入力できません。日付を確かめてください。",
                           name);
  return NULL;
}

static char *select_problem(const cat_field *f, const char *name,
                            const char *value)
{
  GString *labels = g_string_new(NULL);
  for(guint i = 0; i < f->choices->len; i++) {
    const cat_choice *c = g_ptr_array_index(f->choices, i);
    if(!strcmp(c->value, value)) {
      g_string_free(labels, TRUE);
      return NULL;
    }
    g_string_append_printf(labels, "%s%s", i ? "、" : "", c->label);
  }
  char *msg = g_strdup_printf("%sは選択肢（%s）の中から選んでください。", name,
                              labels->str);
  g_string_free(labels, TRUE);
  return msg;
}

char *cat_value_problem(const cat_field *f, const char *name,
                        const char *value, bool with_date_range)
{
  for(const char *c = value; *c; c = g_utf8_next_char(c)) {
    gunichar u = g_utf8_get_char(c);
    if(u == '\n' || u == '\r') {
      if(f->type == CAT_TEXT && f->multiline)
        continue;
      return g_strdup_printf("%sに改行は使えません。1行で入力してください。", name);
    }
    if(g_unichar_iscntrl(u) || u == 0x2028 || u == 0x2029)
      return g_strdup_printf("%sに制御文字（タブなど）が含まれています。取り除いてください。",
                             name);
  }
  /* Characters as a person counts them (code points), not bytes: 「高橋」
   * is 2, though it takes 6 bytes in UTF-8. */
  if(f->max_length > 0) {
    glong n = g_utf8_strlen(value, -1);
    if(n > f->max_length)
      return g_strdup_printf("%sは%" G_GINT64_FORMAT "文字以内で入力してください"
                             "（今は%ld文字です）。", name, f->max_length, n);
  }
  switch(f->type) {
  case CAT_TEXT:
  case CAT_ADDRESS:
    if(f->my_number) {
      bool digits = strlen(value) == 12;
      for(const char *c = value; digits && *c; c++)
        digits = g_ascii_isdigit(*c);
      if(!digits)
        return g_strdup_printf("%sは12桁の半角数字で入力してください。", name);
      if(!cat_my_number_valid(value))
        return g_strdup_printf("%sが正しい個人番号ではありません（最後の検査用数字が"
                               "合いません）。マイナンバーカードの裏面で番号を確かめてください。",
                               name);
    }
    if(f->pattern && !g_regex_match(f->pattern, value, 0, NULL))
      return g_strdup_printf("%sの形式が正しくありません。%s%s", name,
                             f->pattern_description, stop(f->pattern_description));
    return NULL;
  case CAT_NUMBER:
    return number_problem(f, name, value);
  case CAT_DATE:
    return date_problem(f, name, value, with_date_range);
  case CAT_SELECT:
    return select_problem(f, name, value);
  case CAT_CHECKBOX:
    if(strcmp(value, "true") && strcmp(value, "false"))
      return g_strdup_printf("%sは true（チェックあり）か false（チェックなし）で"
                             "指定してください。", name);
    return NULL;
  case CAT_POSTAL_CODE: {
    bool ok = strlen(value) == 8 && value[3] == '-';
    for(int i = 0; ok && i < 8; i++)
      ok = i == 3 || g_ascii_isdigit(value[i]);
    if(!ok)
      return g_strdup_printf("%sは「123-4567」のように、半角数字とハイフンで"
                             "入力してください。", name);
    return NULL;
  }
  }
  return NULL;
}

/* ---- the form document ---- */

typedef struct checker {
  const cat_procedure *p;
  GPtrArray *report;
  guint start;                 /* report->len on entry */
  bool full;                   /* MAX_FINDINGS reached */
  GHashTable *top;             /* field id -> value */
  GHashTable *groups;          /* group id -> GPtrArray of entry tables */
  GHashTable *consents;        /* attachment ids the resident omits */
} checker;

static void add(checker *c, const char *item, const char *fmt, ...)
  G_GNUC_PRINTF(3, 4);

static void add(checker *c, const char *item, const char *fmt, ...)
{
  if(c->full)
    return;
  if(c->report->len - c->start >= MAX_FINDINGS) {
    ps_report_add(c->report, "form",
                  "ほかにも誤りがありますが、%d件を超えたため省略しました。"
                  "ここまでの誤りを直してから、もう一度確かめてください。",
                  MAX_FINDINGS);
    c->full = true;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  ps_report_add(c->report, item, "%s", msg);
}

static GHashTable *values_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static bool is_ours(const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         !strcmp((const char *)n->ns->href, PS_CATALOG_FORM_NS) &&
         !strcmp((const char *)n->name, name);
}

/* XML white space, and the full-width space a Japanese keyboard types. */
static bool is_blank(const char *s)
{
  for(const char *c = s; *c; c = g_utf8_next_char(c)) {
    gunichar u = g_utf8_get_char(c);
    if(u != ' ' && u != '\t' && u != '\n' && u != '\r' && u != 0x3000)
      return false;
  }
  return true;
}

/* What may be echoed into an item name: the ids the package format allows
 * (1-64 of A-Z a-z 0-9 . _ -, docs/portal-sim-packages.md), of which the
 * catalogue's own ids are a subset. */
static bool is_safe_id(const char *s)
{
  size_t n = strlen(s);
  if(n == 0 || n > 64)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
      return false;
  return true;
}

/* The value of the only attribute element n may carry, or NULL after a
 * finding under `item` when it is missing, malformed or not alone. */
static char *sole_attribute(checker *c, const xmlNode *n, const char *attr,
                            const char *item)
{
  for(const xmlAttr *a = n->properties; a; a = a->next)
    if(a->ns || strcmp((const char *)a->name, attr)) {
      add(c, item, "%s要素に使えない属性があります。%s属性だけを書いてください。",
          (const char *)n->name, attr);
      return NULL;
    }
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
  if(!v) {
    add(c, item, "%s要素に%s属性がありません。", (const char *)n->name, attr);
    return NULL;
  }
  char *s = g_strdup((const char *)v);
  xmlFree(v);
  if(!is_safe_id(s)) {
    add(c, item, "%s要素の%s属性の値が、この様式の名前になっていません。"
        "様式に書かれた英数字の名前をそのまま書いてください。",
        (const char *)n->name, attr);
    g_free(s);
    return NULL;
  }
  return s;
}

/* Text (and CDATA) directly inside an element: that is the value. */
static char *element_value(checker *c, const xmlNode *n, const char *item)
{
  for(const xmlNode *k = n->children; k; k = k->next)
    if(k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE &&
       k->type != XML_COMMENT_NODE) {
      add(c, item, "値の中に要素などを書くことはできません。文字だけを書いてください。");
      return NULL;
    }
  xmlChar *v = xmlNodeGetContent(n);
  char *s = g_strdup(v ? (const char *)v : "");
  xmlFree(v);
  return s;
}

/* Stray text or nodes between elements. */
static bool stray(checker *c, const xmlNode *k, const char *item)
{
  if(k->type == XML_COMMENT_NODE)
    return false;
  if(k->type == XML_TEXT_NODE) {
    g_autofree char *t = (char *)xmlNodeGetContent(k);
    if(!t || is_blank(t))
      return false;
    add(c, item, "要素の外に文字が書かれています。値はitem要素の中に書いてください。");
    return true;
  }
  if(k->type != XML_ELEMENT_NODE) {
    add(c, item, "処理命令やCDATAなど、使えないものが要素の外に書かれています。"
        "取り除いてください。");
    return true;
  }
  return false;
}

/* <item id="...">value</item> inside the form (group NULL) or inside the
 * n-th entry of a group. */
static void read_item(checker *c, const xmlNode *n, GHashTable *scope,
                      const cat_section *group, guint entry_no)
{
  g_autofree char *scope_item = group
    ? g_strdup_printf("form.%s[%u]", group->id, entry_no)
    : g_strdup("form");
  g_autofree char *id = sole_attribute(c, n, "id", scope_item);
  if(!id)
    return;
  g_autofree char *item = g_strdup_printf("%s.%s", scope_item, id);
  const cat_field *f = g_hash_table_lookup(c->p->fields, id);
  if(!f) {
    if(group)
      add(c, item, "項目「%s」は「%s」の欄にありません。取り除いてください。",
          id, group->title);
    else
      add(c, item, "項目「%s」はこの手続の様式にありません。取り除いてください。", id);
    return;
  }
  if(!group && f->section->repeated) {
    add(c, item, "「%s」は繰り返しの欄「%s」の項目です。group要素（id=\"%s\"）の"
        "entry要素の中に書いてください。", f->label, f->section->title,
        f->section->id);
    return;
  }
  if(group && f->section != group) {
    add(c, item, "「%s」は「%s」の欄の項目ではありません。正しい欄に書いてください。",
        f->label, group->title);
    return;
  }
  if(g_hash_table_contains(scope, id)) {
    add(c, item, "「%s」が2回以上書かれています。1回だけにしてください。", f->label);
    return;
  }
  char *value = element_value(c, n, item);
  if(value)
    g_hash_table_insert(scope, g_strdup(id), value);
}

static void read_group(checker *c, const xmlNode *n)
{
  g_autofree char *id = sole_attribute(c, n, "id", "form");
  if(!id)
    return;
  g_autofree char *item = g_strdup_printf("form.%s", id);
  const cat_section *s = g_hash_table_lookup(c->p->groups, id);
  if(!s) {
    const cat_field *f = g_hash_table_lookup(c->p->fields, id);
    if(f)
      add(c, item, "「%s」は繰り返しの欄ではありません。item要素で書いてください。",
          f->label);
    else
      add(c, item, "繰り返しの欄「%s」はこの手続の様式にありません。取り除いてください。",
          id);
    return;
  }
  if(g_hash_table_contains(c->groups, id)) {
    add(c, item, "「%s」のgroup要素が2つ以上あります。1つにまとめ、%sごとに"
        "entry要素を書いてください。", s->title, s->entry_label);
    return;
  }
  GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
  g_hash_table_insert(c->groups, g_strdup(id), entries);
  for(const xmlNode *k = n->children; k; k = k->next) {
    if(stray(c, k, item) || k->type != XML_ELEMENT_NODE)
      continue;
    if(!is_ours(k, "entry") || k->properties) {
      add(c, item, "group要素の中にはentry要素（属性なし）だけを書いてください。");
      continue;
    }
    GHashTable *values = values_new();
    g_ptr_array_add(entries, values);
    g_autofree char *entry_item = g_strdup_printf("form.%s[%u]", id, entries->len);
    for(const xmlNode *e = k->children; e; e = e->next) {
      if(stray(c, e, entry_item) || e->type != XML_ELEMENT_NODE)
        continue;
      if(!is_ours(e, "item")) {
        add(c, entry_item, "entry要素の中にはitem要素だけを書いてください。");
        continue;
      }
      read_item(c, e, values, s, entries->len);
    }
  }
}

static void read_consent(checker *c, const xmlNode *n)
{
  g_autofree char *id = sole_attribute(c, n, "attachment", "form");
  if(!id)
    return;
  g_autofree char *item = g_strdup_printf("attachment:%s", id);
  for(const xmlNode *k = n->children; k; k = k->next)
    if(k->type != XML_COMMENT_NODE &&
       (k->type != XML_TEXT_NODE || !is_blank((const char *)k->content))) {
      add(c, item, "linkage-consent要素は中身のない空の要素にしてください。");
      return;
    }
  if(!g_hash_table_contains(c->p->attachment_ids, id)) {
    add(c, item, "添付書類「%s」はこの手続にありません。省略への同意（linkage-consent）"
        "を取り除いてください。", id);
    return;
  }
  g_hash_table_add(c->consents, g_steal_pointer(&id));
}

static void read_form(checker *c, const xmlNode *root)
{
  for(const xmlNode *n = root->children; n; n = n->next) {
    if(stray(c, n, "form") || n->type != XML_ELEMENT_NODE)
      continue;
    if(is_ours(n, "item"))
      read_item(c, n, c->top, NULL, 0);
    else if(is_ours(n, "group"))
      read_group(c, n);
    else if(is_ours(n, "linkage-consent"))
      read_consent(c, n);
    else
      add(c, "form", "form要素の中には item、group、linkage-consent の要素だけを"
          "書けます（名前空間 " PS_CATALOG_FORM_NS "）。ほかの要素を取り除いてください。");
  }
}

/* ---- the checks ---- */

static const char *choice_label(const cat_field *f, const char *value)
{
  for(guint i = 0; f->choices && i < f->choices->len; i++) {
    const cat_choice *ch = g_ptr_array_index(f->choices, i);
    if(!strcmp(ch->value, value))
      return ch->label;
  }
  return value;
}

/* "「受取口座」で「口座を指定する」を選んだ場合" */
static char *condition_text(const cat_condition *w)
{
  if(w->target->type == CAT_CHECKBOX)
    return g_strdup_printf("「%s」にチェックした場合", w->target->label);
  return g_strdup_printf("「%s」で「%s」を選んだ場合", w->target->label,
                         choice_label(w->target, w->value));
}

static bool value_is(GHashTable *scope, const char *id, const char *want)
{
  const char *v = scope ? g_hash_table_lookup(scope, id) : NULL;
  return v && !strcmp(v, want);
}

static void check_field(checker *c, const cat_field *f, GHashTable *scope,
                        guint entry_no)
{
  const cat_section *s = f->section;
  g_autofree char *item = s->repeated
    ? g_strdup_printf("form.%s[%u].%s", s->id, entry_no, f->id)
    : g_strdup_printf("form.%s", f->id);
  g_autofree char *name = s->repeated
    ? g_strdup_printf("「%s」（%s %u%s目）", f->label, s->entry_label, entry_no,
                      s->counter)
    : g_strdup_printf("「%s」", f->label);
  const char *value = g_hash_table_lookup(scope, f->id);
  bool blank = !value || is_blank(value);
  /* A condition on a repeated field looks at the same entry; the loader
   * allows no other combination. */
  bool when = f->has_when &&
    value_is(f->when.target->section->repeated ? scope : c->top,
             f->when.target->id, f->when.value);
  g_autofree char *why = when ? condition_text(&f->when) : NULL;

  if(!blank) {
    g_autofree char *problem = cat_value_problem(f, name, value, true);
    if(problem) {
      add(c, item, "%s", problem);
      return;
    }
  }
  if(f->type == CAT_CHECKBOX) {
    if((f->required || when) && (blank || strcmp(value, "true"))) {
      if(why)
        add(c, item, "%sは、%sにチェックが必要です。", name, why);
      else
        add(c, item, "%sにチェックしてください。", name);
    }
    return;
  }
  if(blank && (f->required || when)) {
    const char *verb = f->type == CAT_SELECT ? "選んで" : "入力して";
    if(why)
      add(c, item, "%sは、%sに必要です。%sください。", name, why, verb);
    else
      add(c, item, "%sは必須です。%sください。", name, verb);
  }
}

static void check_fields(checker *c)
{
  for(guint i = 0; i < c->p->sections->len; i++) {
    const cat_section *s = g_ptr_array_index(c->p->sections, i);
    if(!s->repeated) {
      for(guint j = 0; j < s->fields->len; j++)
        check_field(c, g_ptr_array_index(s->fields, j), c->top, 0);
      continue;
    }
    GPtrArray *entries = g_hash_table_lookup(c->groups, s->id);
    guint n = entries ? entries->len : 0;
    g_autofree char *item = g_strdup_printf("form.%s", s->id);
    if(n < s->min_entries)
      add(c, item, "%sを%" G_GINT64_FORMAT "%s以上入力してください（今は%u%s）。",
          s->entry_label, s->min_entries, s->counter, n, s->counter);
    if(n > s->max_entries)
      add(c, item, "%sは%" G_GINT64_FORMAT "%sまで入力できます（今は%u%s）。"
          "減らしてください。", s->entry_label, s->max_entries, s->counter, n,
          s->counter);
    for(guint e = 0; e < n; e++)
      for(guint j = 0; j < s->fields->len; j++)
        check_field(c, g_ptr_array_index(s->fields, j),
                    g_ptr_array_index(entries, e), e + 1);
  }
}

static bool attachment_needed(checker *c, const cat_attachment *a)
{
  if(a->required)
    return true;
  if(!a->has_when)
    return false;
  const cat_field *t = a->when.target;
  if(!t->section->repeated)
    return value_is(c->top, t->id, a->when.value);
  /* A condition on a repeated field holds when any entry meets it: one
   * child living apart is enough to need the 別居監護申立書. */
  GPtrArray *entries = g_hash_table_lookup(c->groups, t->section->id);
  for(guint i = 0; entries && i < entries->len; i++)
    if(value_is(g_ptr_array_index(entries, i), t->id, a->when.value))
      return true;
  return false;
}

static void check_attachments(checker *c, const char *const *ids, size_t n)
{
  g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) unknown = g_hash_table_new(g_str_hash, g_str_equal);
  for(size_t i = 0; i < n; i++) {
    const char *id = ids[i];
    if(!id)
      continue;
    if(!g_hash_table_contains(c->p->attachment_ids, id)) {
      if(g_hash_table_contains(unknown, id))
        continue;
      g_hash_table_add(unknown, (gpointer)id);
      if(is_safe_id(id)) {
        g_autofree char *item = g_strdup_printf("attachment:%s", id);
        add(c, item, "添付書類「%s」はこの手続の添付書類にありません。この手続で"
            "求められている書類だけを添付してください。", id);
      }
      else
        add(c, "attachment", "添付書類の名前が正しくありません。この手続の添付書類の"
            "名前（英数字）で添付してください。");
      continue;
    }
    guint k = GPOINTER_TO_UINT(g_hash_table_lookup(counts, id));
    g_hash_table_insert(counts, (gpointer)id, GUINT_TO_POINTER(k + 1));
  }

  for(guint i = 0; i < c->p->attachments->len; i++) {
    const cat_attachment *a = g_ptr_array_index(c->p->attachments, i);
    g_autofree char *item = g_strdup_printf("attachment:%s", a->id);
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(counts, a->id));
    bool consent = g_hash_table_contains(c->consents, a->id);
    bool needed = attachment_needed(c, a);
    if(consent && !a->omittable)
      add(c, item, "「%s」は情報連携で省略できない書類です。省略への同意を取り消し、"
          "書類を添付してください。", a->title);
    else if(consent && count > 0)
      add(c, item, "「%s」が添付されていますが、情報連携による省略にも同意しています。"
          "添付するか省略するか、どちらか一方にしてください。", a->title);
    else if(needed && count == 0 && !consent) {
      g_autofree char *why = a->has_when ? condition_text(&a->when) : NULL;
      g_autofree char *reason = why ? g_strdup_printf("（%sに必要です）", why)
                                    : g_strdup("");
      if(a->omittable)
        add(c, item, "「%s」を添付してください%s。情報連携（マイナンバーを使った市区町村"
            "による確認）で省略する場合は、省略に同意してください。", a->title, reason);
      else
        add(c, item, "「%s」を添付してください%s。", a->title, reason);
    }
    if(count > a->max_files)
      add(c, item, "「%s」は%" G_GINT64_FORMAT "件まで添付できます（今は%u件）。"
          "減らしてください。", a->title, a->max_files, count);
  }
}

/* libxml2's message for the report, without its trailing newline. */
static char *xml_error_text(const xmlError *e)
{
  char *msg = g_strdup(e && e->message ? e->message : "unknown error");
  g_strchomp(msg);
  return msg;
}

bool ps_catalog_check_form(const ps_catalog *cat, const char *proc_id,
                           const uint8_t *xml, size_t len,
                           const char *const *attachment_ids,
                           size_t n_attachments, GPtrArray *report)
{
  guint start = report->len;
  const cat_procedure *p = cat_find(cat, proc_id);
  if(!p) {
    ps_report_add(report, "proc_id", "指定された手続はありません。手続を検索し直して"
                  "ください。");
    return false;
  }
  if(!xml || len == 0) {
    ps_report_add(report, "form", "申請データ（様式のXML）がありません。");
    return false;
  }
  if(len > PS_CATALOG_MAX_FORM_XML) {
    ps_report_add(report, "form", "申請データ（様式のXML）が大きすぎます（上限%u"
                  "バイト）。", PS_CATALOG_MAX_FORM_XML);
    return false;
  }

  checker c = {
    .p = p,
    .report = report,
    .start = start,
    .top = values_new(),
    .groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify)g_ptr_array_unref),
    .consents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
  };
  /* No network, no DTD loading, no entity substitution; the encoding is
   * UTF-8 whatever the document declares. NOCDATA: CDATA reads as text. */
  xmlParserCtxtPtr pc = xmlNewParserCtxt();
  xmlDocPtr doc = NULL;
  if(!pc) {
    ps_report_add(report, "form", "申請データを読み取る準備ができませんでした。"
                  "時間をおいてもう一度お試しください。");
    goto out;
  }
  doc = xmlCtxtReadMemory(pc, (const char *)xml, (int)len, "form.xml", "UTF-8",
                          XML_PARSE_NONET | XML_PARSE_NOERROR |
                          XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  if(!doc) {
    g_autofree char *msg = xml_error_text(&pc->lastError);
    ps_report_add(report, "form", "申請データ（様式のXML）を読み取れません（%d行目: %s）。"
                  "申請データを作り直してください。", pc->lastError.line, msg);
    goto out;
  }
  if(doc->intSubset || doc->extSubset) {
    ps_report_add(report, "form", "申請データにDOCTYPE宣言は使えません。"
                  "DOCTYPE宣言を取り除いてください。");
    goto out;
  }
  const xmlNode *root = xmlDocGetRootElement(doc);
  if(!root || !is_ours(root, "form")) {
    ps_report_add(report, "form", "申請データの最上位の要素は、名前空間 %s の "
                  "form要素にしてください。", PS_CATALOG_FORM_NS);
    goto out;
  }
  for(const xmlAttr *a = root->properties; a; a = a->next)
    if(a->ns || strcmp((const char *)a->name, "proc_id")) {
      add(&c, "form", "form要素に使えない属性があります。proc_id属性だけを書いてください。");
      break;
    }
  xmlChar *doc_proc = xmlGetNoNsProp(root, (const xmlChar *)"proc_id");
  bool same = doc_proc && !strcmp((const char *)doc_proc, proc_id);
  xmlFree(doc_proc);
  if(!same) {
    ps_report_add(report, "proc_id", "申請データの手続ID（form要素のproc_id属性）が、"
                  "申請先の手続と一致しません。申請する手続の様式で作り直してください。");
    goto out;
  }

  read_form(&c, root);
  check_fields(&c);
  check_attachments(&c, attachment_ids, attachment_ids ? n_attachments : 0);

out:
  if(doc)
    xmlFreeDoc(doc);
  if(pc)
    xmlFreeParserCtxt(pc);
  g_hash_table_unref(c.top);
  g_hash_table_unref(c.groups);
  g_hash_table_unref(c.consents);
  return report->len == start;
}
