/* residents.c - residents.json (利用者登録: who may log in, and what the
 * portal shows them) and municipal-users.json, read once at start and
 * checked whole, so that a mistake in either stops the start with the entry
 * named instead of turning up as a wrong answer later. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/objects.h>

#include "server_internal.h"

/* [S] modelled on the 自己情報 list of マイナポータル: the categories this
 * simulator serves. A category in residents.json must be one of these. */
const ps_selfinfo_category ps_selfinfo_categories[] = {
  { "household", "世帯情報" },
  { "local_tax", "地方税関係情報" },
  { "vaccination", "予防接種" },
  { "child_allowance", "児童手当関係情報" },
  { "health_insurance", "医療保険" },
  { "pension", "年金関係情報" },
  { "health_checkup", "健(検)診情報" },
  { "long_term_care", "介護保険" },
  { NULL, NULL },
};

const ps_selfinfo_category *ps_selfinfo_category_find(const char *id)
{
  for(const ps_selfinfo_category *c = ps_selfinfo_categories; c->id; c++)
    if(strcmp(c->id, id) == 0)
      return c;
  return NULL;
}

/* ---- RFC 4514 ---- */

static int hexval(int c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads one attribute value starting at *sp up to an unescaped ',' or '+'
 * or the end; *sp is left on that delimiter. hash tells a "#hex" value. */
static bool read_value(const char **sp, GByteArray *out, bool *hash)
{
  const char *s = *sp;
  *hash = false;
  if(*s == '#') {
    *hash = true;
    s++;
    while(*s && *s != ',' && *s != '+') {
      int hi = hexval(s[0]), lo = hexval(s[1]);
      if(hi < 0 || lo < 0)
        return false;
      guint8 b = (guint8)(hi << 4 | lo);
      g_byte_array_append(out, &b, 1);
      s += 2;
    }
    *sp = s;
    return out->len > 0;
  }
  size_t keep = 0;             /* length up to the last escaped or non-space byte */
  while(*s && *s != ',' && *s != '+') {
    guint8 b;
    if(*s == '\\') {
      if(!s[1])
        return false;
      int hi = hexval(s[1]), lo = s[1] ? hexval(s[2]) : -1;
      if(hi >= 0 && lo >= 0) {
        b = (guint8)(hi << 4 | lo);
        s += 3;
      }
      else if(strchr(",+\"\\<>;=# ", s[1])) {
        b = (guint8)s[1];
        s += 2;
      }
      else
        return false;
      g_byte_array_append(out, &b, 1);
      keep = out->len;
      continue;
    }
    if(*s == '"' || *s == ';' || *s == '<' || *s == '>')
      return false;
    b = (guint8)*s++;
    g_byte_array_append(out, &b, 1);
    if(b != ' ')
      keep = out->len;
  }
  g_byte_array_set_size(out, (guint)keep);
  *sp = s;
  return true;
}

bool ps_x509_name_from_rfc4514(const char *s, X509_NAME **out)
{
  *out = NULL;
  if(!s)
    return false;
  /* RDNs in printed order (the last one of the certificate first), each a
   * list of (type, value) pairs. */
  typedef struct ava {
    char *type;
    GByteArray *value;
    bool hash;
  } ava;
  GPtrArray *rdns = g_ptr_array_new();
  GPtrArray *cur = NULL;
  bool ok = false;
  const char *p = s;
  while(*p == ' ')
    p++;
  if(!*p)
    goto done;
  for(;;) {
    while(*p == ' ')
      p++;
    const char *t = p;
    while(g_ascii_isalnum(*p) || *p == '-' || *p == '.')
      p++;
    if(p == t)
      goto done;
    char *type = g_strndup(t, (gsize)(p - t));
    while(*p == ' ')
      p++;
    if(*p != '=') {
      g_free(type);
      goto done;
    }
    p++;
    ava *a = g_new0(ava, 1);
    a->type = type;
    a->value = g_byte_array_new();
    if(!cur) {
      cur = g_ptr_array_new();
      g_ptr_array_add(rdns, cur);
    }
    g_ptr_array_add(cur, a);
    if(!read_value(&p, a->value, &a->hash))
      goto done;
    if(*p == '+') {
      p++;
      continue;
    }
    cur = NULL;
    if(*p == ',') {
      p++;
      continue;
    }
    break;                     /* end of string */
  }

  X509_NAME *name = X509_NAME_new();
  ok = name != NULL;
  for(guint i = rdns->len; ok && i-- > 0;) {
    GPtrArray *rdn = g_ptr_array_index(rdns, i);
    for(guint j = 0; ok && j < rdn->len; j++) {
      ava *a = g_ptr_array_index(rdn, j);
      /* set -1 with loc -1 joins the previous RDN (a multi-valued one). */
      int set = j == 0 ? 0 : -1;
      /* Type names are case-insensitive (RFC 4514 3); OpenSSL's short
       * names are upper case (CN, OU) or lower (street). */
      ASN1_OBJECT *obj = OBJ_txt2obj(a->type, 0);
      for(int k = 0; !obj && k < 2; k++) {
        g_autofree char *t = k ? g_ascii_strdown(a->type, -1) : g_ascii_strup(a->type, -1);
        obj = OBJ_txt2obj(t, 0);
      }
      if(!obj) {
        ok = false;
        break;
      }
      if(a->hash) {
        const unsigned char *d = a->value->data;
        ASN1_TYPE *at = d2i_ASN1_TYPE(NULL, &d, (long)a->value->len);
        ok = at && at->type != V_ASN1_SEQUENCE && at->type != V_ASN1_SET &&
             at->type != V_ASN1_BOOLEAN && at->type != V_ASN1_NULL &&
             at->type != V_ASN1_OBJECT &&
             X509_NAME_add_entry_by_OBJ(name, obj, at->type,
                                        ASN1_STRING_get0_data(at->value.asn1_string),
                                        ASN1_STRING_length(at->value.asn1_string),
                                        -1, set) == 1;
        ASN1_TYPE_free(at);
      }
      else {
        ok = g_utf8_validate((const char *)a->value->data, (gssize)a->value->len, NULL) &&
             X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8, a->value->data,
                                        (int)a->value->len, -1, set) == 1;
      }
      ASN1_OBJECT_free(obj);
    }
  }
  if(ok) {
    /* Encode now: X509_NAME_cmp would otherwise fill the cached encoding
     * on first use, from whichever request thread gets there first. */
    ok = i2d_X509_NAME(name, NULL) > 0;
  }
  if(ok)
    *out = name;
  else
    X509_NAME_free(name);

done:
  for(guint i = 0; i < rdns->len; i++) {
    GPtrArray *rdn = g_ptr_array_index(rdns, i);
    for(guint j = 0; j < rdn->len; j++) {
      ava *a = g_ptr_array_index(rdn, j);
      g_free(a->type);
      g_byte_array_unref(a->value);
      g_free(a);
    }
    g_ptr_array_unref(rdn);
  }
  g_ptr_array_unref(rdns);
  return ok;
}

bool ps_serial_from_hex(const char *hex, ASN1_INTEGER **out)
{
  *out = NULL;
  if(!hex)
    return false;
  if(hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex += 2;
  if(!*hex || strlen(hex) > 80)
    return false;
  for(const char *c = hex; *c; c++)
    if(!g_ascii_isxdigit(*c))
      return false;
  BIGNUM *bn = NULL;
  if(!BN_hex2bn(&bn, hex))
    return false;
  *out = BN_to_ASN1_INTEGER(bn, NULL);
  BN_free(bn);
  return *out != NULL;
}

/* ---- residents.json ---- */

static void entry_free(gpointer p)
{
  ps_resident_entry *e = p;
  X509_NAME_free(e->issuer);
  ASN1_INTEGER_free(e->serial);
  X509_NAME_free(e->sign_issuer);
  ASN1_INTEGER_free(e->sign_serial);
  g_free(e);
}

void ps_residents_clear(ps_portal *p)
{
  ps_server *s = p->server;
  g_clear_pointer(&s->residents_by_id, g_hash_table_unref);
  g_clear_pointer(&s->residents, g_ptr_array_unref);
  g_clear_pointer(&p->residents, json_node_unref);
}

static bool city_code_valid(const char *c)
{
  if(!c || strlen(c) != 6)
    return false;
  for(int i = 0; i < 6; i++)
    if(!g_ascii_isdigit(c[i]))
      return false;
  /* 全国地方公共団体コード's check digit [P]: weights 6 5 4 3 2. */
  int sum = 0;
  for(int i = 0; i < 5; i++)
    sum += (c[i] - '0') * (6 - i);
  int cd = (11 - sum % 11) % 10;
  return c[5] - '0' == cd;
}

static bool digits(const char *s, size_t n)
{
  if(!s || strlen(s) != n)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isdigit(s[i]))
      return false;
  return true;
}

static bool date_valid(const char *s)
{
  if(!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  int y, m, d;
  if(sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return false;
  return g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

static bool datetime_valid(const char *s)
{
  if(!s || strlen(s) != 19 || s[10] != ' ')
    return false;
  g_autofree char *d = g_strndup(s, 10);
  int hh, mm, ss;
  return date_valid(d) && sscanf(s + 11, "%2d:%2d:%2d", &hh, &mm, &ss) == 3 &&
         hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 60;
}

static char *without(const char *s, const char *drop)
{
  g_auto(GStrv) parts = g_strsplit(s, drop, -1);
  return g_strjoinv("", parts);
}

bool ps_text_has_personal_data(const ps_resident_entry *r, const char *text)
{
  if(!text)
    return false;
  if(r->address && *r->address && strstr(text, r->address))
    return true;
  if(!r->name || !*r->name)
    return false;
  if(strstr(text, r->name))
    return true;
  /* 高橋　健太 also as 高橋健太 and 高橋 健太. */
  g_autofree char *joined = without(r->name, "\u3000");
  g_auto(GStrv) parts = g_strsplit(r->name, "\u3000", -1);
  g_autofree char *spaced = g_strjoinv(" ", parts);
  return strstr(text, joined) || strstr(text, spaced);
}

#define FAIL(...) do { \
    g_autofree char *why_ = g_strdup_printf(__VA_ARGS__); \
    g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED, \
                "%s: %s: %s; fix the file, or move the data directory away " \
                "to have a fresh one made from the test PKI", path, where, why_); \
    goto fail; \
  } while(0)

static bool check_strings(JsonObject *o, const char *const *names,
                          const char **missing)
{
  for(; *names; names++)
    if(!ps_json_string(o, *names) || !*ps_json_string(o, *names)) {
      *missing = *names;
      return false;
    }
  return true;
}

bool ps_residents_load(ps_portal *p, const char *path, GError **error)
{
  ps_server *s = p->server;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) err = NULL;
  g_autofree char *where = g_strdup("the file");
  GHashTable *notice_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->residents = g_ptr_array_new_with_free_func(entry_free);
  s->residents_by_id = g_hash_table_new(g_str_hash, g_str_equal);
  if(!json_parser_load_from_mapped_file(parser, path, &err)) {
    if(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                  "%s: missing; a data directory needs it (docs/portal-sim.md), "
                  "or start with an empty directory to have one made", path);
      goto fail_quiet;
    }
    FAIL("not valid JSON (%s)", err->message);
  }
  JsonNode *root = json_parser_get_root(parser);
  if(!root || !JSON_NODE_HOLDS_OBJECT(root))
    FAIL("the top level must be an object {\"format\":1,\"residents\":[...]}");
  JsonObject *top = json_node_get_object(root);
  gint64 format = 0;
  if(!ps_json_int(top, "format", &format) || format != 1)
    FAIL("\"format\" must be 1");
  JsonNode *rn = json_object_get_member(top, "residents");
  if(!rn || !JSON_NODE_HOLDS_ARRAY(rn))
    FAIL("\"residents\" must be an array");
  JsonArray *ra = json_node_get_array(rn);
  for(guint i = 0; i < json_array_get_length(ra); i++) {
    g_free(where);
    where = g_strdup_printf("residents[%u]", i);
    JsonNode *en = json_array_get_element(ra, i);
    if(!JSON_NODE_HOLDS_OBJECT(en))
      FAIL("must be an object");
    JsonObject *o = json_node_get_object(en);
    static const char *const required[] = { "id", "name", "name_kana", "birth_date",
                                            "address", "city_code", NULL };
    const char *missing = NULL;
    if(!check_strings(o, required, &missing))
      FAIL("\"%s\" must be a non-empty string", missing);
    const char *id = ps_json_string(o, "id");
    g_free(where);
    where = g_strdup_printf("residents[%u] (%s)", i, id);
    if(id[0] != 'R' || strlen(id) > 64)
      FAIL("\"id\" must start with R and be at most 64 characters");
    for(const char *c = id; *c; c++)
      if(!g_ascii_isalnum(*c) && *c != '-')
        FAIL("\"id\" may hold only letters, digits and -");
    if(g_hash_table_contains(s->residents_by_id, id))
      FAIL("the id is used twice");
    if(!date_valid(ps_json_string(o, "birth_date")))
      FAIL("\"birth_date\" must be a date YYYY-MM-DD");
    if(!city_code_valid(ps_json_string(o, "city_code")))
      FAIL("\"city_code\" must be a 6-digit 全国地方公共団体コード with its check digit");
    JsonNode *ac = json_object_get_member(o, "auth_cert");
    if(!ac || !JSON_NODE_HOLDS_OBJECT(ac))
      FAIL("\"auth_cert\" {\"issuer\", \"serial\"} is missing");
    JsonObject *aco = json_node_get_object(ac);
    ps_resident_entry *e = g_new0(ps_resident_entry, 1);
    g_ptr_array_add(s->residents, e);
    e->id = id;
    e->profile = ps_json_string(o, "profile");
    e->name = ps_json_string(o, "name");
    e->address = ps_json_string(o, "address");
    e->city_code = ps_json_string(o, "city_code");
    e->obj = o;
    if(!ps_x509_name_from_rfc4514(ps_json_string(aco, "issuer"), &e->issuer))
      FAIL("\"auth_cert.issuer\" is not an RFC 4514 name such as "
           "\"OU=JPKI for user authentication,O=JPKI,C=JP\"");
    if(!ps_serial_from_hex(ps_json_string(aco, "serial"), &e->serial))
      FAIL("\"auth_cert.serial\" must be hexadecimal digits");
    for(guint j = 0; j + 1 < s->residents->len; j++) {
      const ps_resident_entry *o2 = g_ptr_array_index(s->residents, j);
      if(ASN1_INTEGER_cmp(o2->serial, e->serial) == 0 &&
         X509_NAME_cmp(o2->issuer, e->issuer) == 0)
        FAIL("the same auth certificate is registered for %s too", o2->id);
    }
    /* The sign certificate is optional: a resident without one (a child's
     * card, or one never linked) cannot have a terminal relay applications
     * for them, and logs in as before. [S] It stands for J-LIS's link of a
     * person's two certificates (シリアル番号紐付け). */
    JsonNode *sc = json_object_get_member(o, "sign_cert");
    if(sc && !JSON_NODE_HOLDS_NULL(sc)) {
      if(!JSON_NODE_HOLDS_OBJECT(sc))
        FAIL("\"sign_cert\" must be an object {\"issuer\", \"serial\"} (or left out)");
      JsonObject *sco = json_node_get_object(sc);
      if(!ps_x509_name_from_rfc4514(ps_json_string(sco, "issuer"), &e->sign_issuer))
        FAIL("\"sign_cert.issuer\" is not an RFC 4514 name such as "
             "\"OU=JPKI for digital signature,O=JPKI,C=JP\"");
      if(!ps_serial_from_hex(ps_json_string(sco, "serial"), &e->sign_serial))
        FAIL("\"sign_cert.serial\" must be hexadecimal digits");
      for(guint j = 0; j + 1 < s->residents->len; j++) {
        const ps_resident_entry *o2 = g_ptr_array_index(s->residents, j);
        if(o2->sign_serial && ASN1_INTEGER_cmp(o2->sign_serial, e->sign_serial) == 0 &&
           X509_NAME_cmp(o2->sign_issuer, e->sign_issuer) == 0)
          FAIL("the same sign certificate is registered for %s too", o2->id);
      }
    }

    JsonNode *si = json_object_get_member(o, "selfinfo");
    if(si && !JSON_NODE_HOLDS_OBJECT(si))
      FAIL("\"selfinfo\" must be an object keyed by category id");
    if(si) {
      JsonObject *sio = json_node_get_object(si);
      g_autoptr(GList) cats = json_object_get_members(sio);
      for(GList *l = cats; l; l = l->next) {
        if(!ps_selfinfo_category_find(l->data))
          FAIL("selfinfo category \"%s\" is not one this portal-sim knows "
               "(docs/portal-sim.md lists them)", (const char *)l->data);
        JsonNode *cn = json_object_get_member(sio, l->data);
        JsonObject *co = JSON_NODE_HOLDS_OBJECT(cn) ? json_node_get_object(cn) : NULL;
        JsonNode *items = co ? json_object_get_member(co, "items") : NULL;
        if(!co || !ps_json_string(co, "title") || !items || !JSON_NODE_HOLDS_ARRAY(items))
          FAIL("selfinfo.%s must be {\"title\": ..., \"items\": [...]}",
               (const char *)l->data);
        JsonArray *ia = json_node_get_array(items);
        for(guint k = 0; k < json_array_get_length(ia); k++)
          if(!JSON_NODE_HOLDS_OBJECT(json_array_get_element(ia, k)))
            FAIL("selfinfo.%s.items[%u] must be an object", (const char *)l->data, k);
      }
    }
    JsonNode *rec = json_object_get_member(o, "records");
    if(rec && !JSON_NODE_HOLDS_ARRAY(rec))
      FAIL("\"records\" must be an array");
    if(rec) {
      JsonArray *a = json_node_get_array(rec);
      static const char *const rreq[] = { "date", "requester", "provider",
                                          "information", "procedure", NULL };
      for(guint k = 0; k < json_array_get_length(a); k++) {
        JsonNode *r = json_array_get_element(a, k);
        if(!JSON_NODE_HOLDS_OBJECT(r) ||
           !check_strings(json_node_get_object(r), rreq, &missing))
          FAIL("records[%u] must be an object with the strings date, requester, "
               "provider, information, procedure", k);
        if(!datetime_valid(ps_json_string(json_node_get_object(r), "date")))
          FAIL("records[%u].date must be \"YYYY-MM-DD HH:MM:SS\"", k);
      }
    }
    JsonNode *nn = json_object_get_member(o, "notices");
    if(nn && !JSON_NODE_HOLDS_ARRAY(nn))
      FAIL("\"notices\" must be an array");
    if(nn) {
      JsonArray *a = json_node_get_array(nn);
      static const char *const nreq[] = { "arrive_id", "notice_sub_id", "kind",
                                          "title", "body", "sender",
                                          "notice_date", NULL };
      for(guint k = 0; k < json_array_get_length(a); k++) {
        JsonNode *r = json_array_get_element(a, k);
        if(!JSON_NODE_HOLDS_OBJECT(r) ||
           !check_strings(json_node_get_object(r), nreq, &missing))
          FAIL("notices[%u] must be an object with the strings arrive_id, "
               "notice_sub_id, kind, title, body, sender, notice_date", k);
        JsonObject *no = json_node_get_object(r);
        if(!digits(ps_json_string(no, "arrive_id"), 16) ||
           !digits(ps_json_string(no, "notice_sub_id"), 2))
          FAIL("notices[%u]: arrive_id is 16 digits and notice_sub_id 2", k);
        if(!datetime_valid(ps_json_string(no, "notice_date")))
          FAIL("notices[%u].notice_date must be \"YYYY-MM-DD HH:MM:SS\"", k);
        /* portal-api.md: never the name or address in a notice's text. */
        if(ps_text_has_personal_data(e, ps_json_string(no, "title")) ||
           ps_text_has_personal_data(e, ps_json_string(no, "body")))
          FAIL("notices[%u] holds the resident's name or address in its text, "
               "which a notice must never do", k);
        char *key = g_strconcat(ps_json_string(no, "arrive_id"), "/",
                                ps_json_string(no, "notice_sub_id"), NULL);
        if(!g_hash_table_add(notice_ids, key))
          FAIL("notices[%u]: %s is used twice", k, key);
      }
    }
    g_hash_table_insert(s->residents_by_id, (gpointer)e->id, e);
  }
  p->residents = json_node_ref(root);
  g_hash_table_unref(notice_ids);
  return true;

fail:
fail_quiet:
  g_hash_table_unref(notice_ids);
  g_clear_pointer(&s->residents_by_id, g_hash_table_unref);
  g_clear_pointer(&s->residents, g_ptr_array_unref);
  return false;
}

const ps_resident_entry *ps_resident_entry_get(ps_portal *p, const char *id)
{
  if(!id || !p->server->residents_by_id)
    return NULL;
  return g_hash_table_lookup(p->server->residents_by_id, id);
}

JsonObject *ps_resident_get(ps_portal *p, const char *resident_id)
{
  const ps_resident_entry *e = ps_resident_entry_get(p, resident_id);
  return e ? e->obj : NULL;
}

const char *ps_resident_by_cert(ps_portal *p, const X509_NAME *issuer,
                                const ASN1_INTEGER *serial)
{
  if(!issuer || !serial || !p->server->residents)
    return NULL;
  GPtrArray *rs = p->server->residents;
  for(guint i = 0; i < rs->len; i++) {
    const ps_resident_entry *e = g_ptr_array_index(rs, i);
    /* Numeric serial and the canonical form of the names (RFC 5280 7.1):
     * never the printed strings, which differ in order, spacing and
     * escaping between tools. */
    if(ASN1_INTEGER_cmp(e->serial, serial) == 0 &&
       X509_NAME_cmp(e->issuer, issuer) == 0)
      return e->id;
  }
  return NULL;
}

const char *ps_resident_by_sign_cert(ps_portal *p, const X509_NAME *issuer,
                                     const ASN1_INTEGER *serial)
{
  if(!issuer || !serial || !p->server->residents)
    return NULL;
  GPtrArray *rs = p->server->residents;
  for(guint i = 0; i < rs->len; i++) {
    const ps_resident_entry *e = g_ptr_array_index(rs, i);
    /* Compared as ps_resident_by_cert does: numbers and canonical names. */
    if(e->sign_serial && ASN1_INTEGER_cmp(e->sign_serial, serial) == 0 &&
       X509_NAME_cmp(e->sign_issuer, issuer) == 0)
      return e->id;
  }
  return NULL;
}

/* ---- municipal-users.json ---- */

static void muni_free(gpointer p)
{
  ps_muni_user *u = p;
  g_free(u->id);
  explicit_bzero(u->password_sha256, strlen(u->password_sha256));
  g_free(u->password_sha256);
  g_free(u->city_code);
  g_free(u->name);
  g_free(u);
}

bool ps_municipal_users_load(ps_portal *p, const char *path, GError **error)
{
  ps_server *s = p->server;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = NULL;
  g_autofree char *where = g_strdup("the file");
  s->muni_users = g_ptr_array_new_with_free_func(muni_free);
  if(!json_parser_load_from_mapped_file(parser, path, &err)) {
    if(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_set_error(error, PS_START_ERROR, PS_START_ERROR_FAILED,
                  "%s: missing; a data directory needs it (docs/portal-sim.md)",
                  path);
      goto fail_quiet;
    }
    FAIL("not valid JSON (%s)", err->message);
  }
  JsonNode *root = json_parser_get_root(parser);
  JsonObject *top = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  gint64 format = 0;
  if(!top || !ps_json_int(top, "format", &format) || format != 1)
    FAIL("the top level must be {\"format\":1,\"users\":[...]}");
  JsonNode *un = json_object_get_member(top, "users");
  if(!un || !JSON_NODE_HOLDS_ARRAY(un))
    FAIL("\"users\" must be an array");
  JsonArray *ua = json_node_get_array(un);
  for(guint i = 0; i < json_array_get_length(ua); i++) {
    g_free(where);
    where = g_strdup_printf("users[%u]", i);
    JsonNode *en = json_array_get_element(ua, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
    static const char *const required[] = { "id", "password_sha256", "city_code",
                                            "name", NULL };
    const char *missing = NULL;
    if(!o || !check_strings(o, required, &missing))
      FAIL("\"%s\" must be a non-empty string", missing ? missing : "id");
    const char *hash = ps_json_string(o, "password_sha256");
    if(strlen(hash) != 64)
      FAIL("\"password_sha256\" must be 64 hexadecimal digits");
    for(const char *c = hash; *c; c++)
      if(!g_ascii_isxdigit(*c))
        FAIL("\"password_sha256\" must be 64 hexadecimal digits");
    if(!city_code_valid(ps_json_string(o, "city_code")))
      FAIL("\"city_code\" must be a 6-digit 全国地方公共団体コード with its check digit");
    if(ps_municipal_user_find(p, ps_json_string(o, "id")))
      FAIL("the id %s is used twice", ps_json_string(o, "id"));
    ps_muni_user *u = g_new0(ps_muni_user, 1);
    u->id = g_strdup(ps_json_string(o, "id"));
    u->password_sha256 = g_ascii_strdown(hash, -1);
    u->city_code = g_strdup(ps_json_string(o, "city_code"));
    u->name = g_strdup(ps_json_string(o, "name"));
    g_ptr_array_add(s->muni_users, u);
  }
  return true;

fail:
fail_quiet:
  g_clear_pointer(&s->muni_users, g_ptr_array_unref);
  return false;
}

const ps_muni_user *ps_municipal_user_find(ps_portal *p, const char *id)
{
  GPtrArray *us = p->server->muni_users;
  for(guint i = 0; id && us && i < us->len; i++) {
    const ps_muni_user *u = g_ptr_array_index(us, i);
    if(strcmp(u->id, id) == 0)
      return u;
  }
  return NULL;
}
