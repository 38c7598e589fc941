/* test_units.c - unit tests of server/'s pure parts: routing, the rate
 * limit, fault rules, RFC 4514 names and serial numbers against the test
 * PKI's certificates, residents.json checks and lookups (auth and sign
 * certificates), JST dates, the data directory, the terminal CA file and
 * the checks on a terminal's own certificate. Needs MYNA_TEST_PKI (ctest
 * sets it). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server_internal.h"

/* ---- router ---- */

static void h_a(ps_portal *p, const ps_request *rq, ps_response *rs) {}
static void h_b(ps_portal *p, const ps_request *rq, ps_response *rs) {}

static const ps_route table[] = {
  { "GET", "/selfinfo/v1/categories", h_a, 0 },
  { "GET", "/selfinfo/v1/{}", h_b, 0 },
  { "GET", "/shinsei/v2/notice/{}/{}", h_a, 0 },
  { "POST", "/shinsei/v2/notice/{}/{}", h_b, 0 },
  { "DELETE", "/_dev/faults", h_a, PS_ROUTE_DEV },
  { NULL, NULL, NULL, 0 },
};

static void test_router_matches_in_table_order(void)
{
  ps_router *r = ps_router_new();
  ps_router_add(r, table, false);
  const ps_route *rt;
  char **params;
  char *allow;
  g_assert_cmpint(ps_router_match(r, "GET", "/selfinfo/v1/categories", &rt, &params, &allow),
                  ==, PS_MATCH_FOUND);
  g_assert_true(rt == &table[0]);
  g_assert_cmpuint(g_strv_length(params), ==, 0);
  g_strfreev(params);
  g_assert_cmpint(ps_router_match(r, "GET", "/selfinfo/v1/household", &rt, &params, &allow),
                  ==, PS_MATCH_FOUND);
  g_assert_true(rt == &table[1]);
  g_assert_cmpstr(params[0], ==, "household");
  g_strfreev(params);
  g_assert_cmpint(ps_router_match(r, "POST", "/shinsei/v2/notice/123/01", &rt, &params, &allow),
                  ==, PS_MATCH_FOUND);
  g_assert_true(rt == &table[3]);
  g_assert_cmpstr(params[0], ==, "123");
  g_assert_cmpstr(params[1], ==, "01");
  g_assert_null(params[2]);
  g_strfreev(params);
  ps_router_free(r);
}

static void test_router_404_405_and_empty_segments(void)
{
  ps_router *r = ps_router_new();
  ps_router_add(r, table, false);
  const ps_route *rt;
  char **params;
  char *allow;
  static const char *const not_found[] = {
    "/selfinfo/v1", "/selfinfo/v1/", "/selfinfo/v1/a/b", "/shinsei/v2/notice//01",
    "/shinsei/v2/notice/1/", "selfinfo/v1/x", "/", "",
    "/_dev/faults",              /* a dev route, without --dev */
  };
  for(size_t i = 0; i < G_N_ELEMENTS(not_found); i++) {
    g_assert_cmpint(ps_router_match(r, "GET", not_found[i], &rt, &params, &allow), ==,
                    PS_MATCH_NO_PATH);
    g_assert_null(rt);
    g_assert_null(allow);
  }
  g_assert_cmpint(ps_router_match(r, "PUT", "/shinsei/v2/notice/1/02", &rt, &params, &allow),
                  ==, PS_MATCH_NO_METHOD);
  g_assert_cmpstr(allow, ==, "GET, POST");
  g_free(allow);
  g_assert_cmpint(ps_router_match(r, "DELETE", "/selfinfo/v1/categories", &rt, &params, &allow),
                  ==, PS_MATCH_NO_METHOD);
  g_assert_cmpstr(allow, ==, "GET");
  g_free(allow);
  ps_router_free(r);

  r = ps_router_new();
  ps_router_add(r, table, true);
  g_assert_cmpint(ps_router_match(r, "DELETE", "/_dev/faults", &rt, &params, &allow), ==,
                  PS_MATCH_FOUND);
  g_strfreev(params);
  ps_router_free(r);
}

/* ---- rate limit ---- */

static void test_ratelimit_bucket(void)
{
  ps_ratelimit *rl = ps_ratelimit_new(2.0, 3.0);
  unsigned retry = 99;
  gint64 t = 1000000;
  for(int i = 0; i < 3; i++)
    g_assert_true(ps_ratelimit_take(rl, "kiosk", t, &retry));
  g_assert_false(ps_ratelimit_take(rl, "kiosk", t, &retry));
  g_assert_cmpuint(retry, ==, 1);
  /* Another key has a bucket of its own. */
  g_assert_true(ps_ratelimit_take(rl, "other", t, &retry));
  /* Half a second later one token is back (rate 2/s), not two. */
  t += G_USEC_PER_SEC / 2;
  g_assert_true(ps_ratelimit_take(rl, "kiosk", t, &retry));
  g_assert_false(ps_ratelimit_take(rl, "kiosk", t, &retry));
  /* A long pause refills up to the burst, not beyond. */
  t += 100 * G_USEC_PER_SEC;
  for(int i = 0; i < 3; i++)
    g_assert_true(ps_ratelimit_take(rl, "kiosk", t, &retry));
  g_assert_false(ps_ratelimit_take(rl, "kiosk", t, &retry));
  ps_ratelimit_free(rl);

  /* A slow rate: Retry-After rounds up to whole seconds. */
  rl = ps_ratelimit_new(0.25, 1.0);
  g_assert_true(ps_ratelimit_take(rl, "k", t, &retry));
  g_assert_false(ps_ratelimit_take(rl, "k", t, &retry));
  g_assert_cmpuint(retry, ==, 4);
  g_assert_false(ps_ratelimit_take(rl, "k", t + 3500000, &retry));
  g_assert_cmpuint(retry, ==, 1);
  ps_ratelimit_free(rl);

  /* rate 0: off. */
  rl = ps_ratelimit_new(0, 1);
  for(int i = 0; i < 1000; i++)
    g_assert_true(ps_ratelimit_take(rl, "k", t, &retry));
  ps_ratelimit_free(rl);
}

/* ---- fault rules ---- */

static JsonObject *parse_object(const char *text, JsonParser **parser)
{
  *parser = json_parser_new();
  g_assert_true(json_parser_load_from_data(*parser, text, -1, NULL));
  return json_node_get_object(json_parser_get_root(*parser));
}

static void test_faults_rules(void)
{
  ps_faults *f = ps_faults_new();
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(JsonParser) jp = NULL;
  JsonObject *o = parse_object(
    "{\"rules\":[{\"method\":\"POST\",\"path_prefix\":\"/shinsei/v2/apply\","
    "\"drop_request_after\":1000,\"times\":2},"
    "{\"path_prefix\":\"/\",\"status_503\":true,\"retry_after\":9}]}", &jp);
  g_assert_true(ps_faults_add_json(f, o, report));
  ps_fault x = ps_faults_take(f, "GET", "/shinsei/v2/apply");
  g_assert_cmpint(x.kind, ==, PS_FAULT_STATUS_503);   /* method does not match rule 1 */
  g_assert_cmpuint(x.n, ==, 9);
  x = ps_faults_take(f, "POST", "/shinsei/v2/apply/check");
  g_assert_cmpint(x.kind, ==, PS_FAULT_DROP_REQUEST_AFTER);
  g_assert_cmpuint(x.n, ==, 1000);
  x = ps_faults_take(f, "POST", "/shinsei/v2/apply");
  g_assert_cmpint(x.kind, ==, PS_FAULT_DROP_REQUEST_AFTER);
  /* Rule 1 is used up, rule 2 was used once and is gone too. */
  x = ps_faults_take(f, "POST", "/shinsei/v2/apply");
  g_assert_cmpint(x.kind, ==, PS_FAULT_NONE);

  g_autoptr(GError) err = NULL;
  g_assert_true(ps_faults_add_spec(f, "* /records stall_ms=250 times=3", &err));
  g_assert_no_error(err);
  x = ps_faults_take(f, "GET", "/records/v1");
  g_assert_cmpint(x.kind, ==, PS_FAULT_STALL);
  g_assert_cmpuint(x.n, ==, 250);
  JsonNode *list = ps_faults_to_json(f);
  JsonObject *r0 = json_array_get_object_element(json_node_get_array(list), 0);
  g_assert_cmpint(json_object_get_int_member(r0, "times_left"), ==, 2);
  json_node_unref(list);
  ps_faults_clear(f);
  x = ps_faults_take(f, "GET", "/records/v1");
  g_assert_cmpint(x.kind, ==, PS_FAULT_NONE);

  static const char *const bad_specs[] = {
    "GET /", "GET / stall_ms=abc", "GET / nope", "GET nope stall_ms=1",
    "GET / stall_ms=1 truncate_body",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad_specs); i++) {
    g_clear_error(&err);
    g_assert_false(ps_faults_add_spec(f, bad_specs[i], &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "--fault"));
  }
  JsonNode *empty = ps_faults_to_json(f);
  g_assert_cmpuint(json_array_get_length(json_node_get_array(empty)), ==, 0);
  json_node_unref(empty);
  ps_faults_free(f);
}

/* ---- RFC 4514 names and serials against the test PKI ---- */

static X509 *pki_cert(const char *profile, const char *file)
{
  const char *dir = g_getenv("MYNA_TEST_PKI");
  g_assert_nonnull(dir);
  g_autofree char *path = g_build_filename(dir, "profiles", profile, file, NULL);
  g_autofree char *der = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &der, &len, NULL));
  const unsigned char *q = (const unsigned char *)der;
  X509 *c = d2i_X509(NULL, &q, (long)len);
  g_assert_nonnull(c);
  return c;
}

static char *printed(const X509_NAME *n)
{
  BIO *b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
  char *data;
  long len = BIO_get_mem_data(b, &data);
  char *s = g_strndup(data, (gsize)len);
  BIO_free(b);
  return s;
}

static void test_rfc4514_against_real_issuers(void)
{
  X509 *auth = pki_cert("adult", "auth.der");
  X509 *sign = pki_cert("adult", "sign.der");
  X509_NAME *n = NULL;
  /* The manifest's form, as OpenSSL prints it. */
  g_autofree char *s = printed(X509_get_issuer_name(auth));
  g_assert_true(ps_x509_name_from_rfc4514(s, &n));
  g_assert_cmpint(X509_NAME_cmp(n, X509_get_issuer_name(auth)), ==, 0);
  g_assert_cmpint(X509_NAME_cmp(n, X509_get_issuer_name(sign)), !=, 0);
  X509_NAME_free(n);
  /* Case and spacing differ; the canonical comparison does not care. */
  g_assert_true(ps_x509_name_from_rfc4514(
    "ou=japan agency for local authority information systems, OU=JPKI for user "
    "authentication,O=jpki, c=JP", &n));
  g_assert_cmpint(X509_NAME_cmp(n, X509_get_issuer_name(auth)), ==, 0);
  X509_NAME_free(n);
  /* The order of RDNs does matter. */
  g_assert_true(ps_x509_name_from_rfc4514(
    "C=JP,O=JPKI,OU=JPKI for user authentication,"
    "OU=Japan Agency for Local Authority Information Systems", &n));
  g_assert_cmpint(X509_NAME_cmp(n, X509_get_issuer_name(auth)), !=, 0);
  X509_NAME_free(n);

  /* The sign certificate's subject has two L= and a CN: round trip. */
  g_autofree char *subj = printed(X509_get_subject_name(sign));
  g_assert_true(ps_x509_name_from_rfc4514(subj, &n));
  g_assert_cmpint(X509_NAME_cmp(n, X509_get_subject_name(sign)), ==, 0);
  X509_NAME_free(n);

  ASN1_INTEGER *serial = NULL;
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(auth), NULL);
  char *hex = BN_bn2hex(bn);
  g_assert_true(ps_serial_from_hex(hex, &serial));
  g_assert_cmpint(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(auth)), ==, 0);
  ASN1_INTEGER_free(serial);
  /* Numerically: leading zeros, lower case and 0x do not matter. */
  g_autofree char *lower = g_strconcat("0x000", hex, NULL);
  for(char *c = lower; *c; c++)
    *c = g_ascii_tolower(*c);
  g_assert_true(ps_serial_from_hex(lower, &serial));
  g_assert_cmpint(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(auth)), ==, 0);
  ASN1_INTEGER_free(serial);
  OPENSSL_free(hex);
  BN_free(bn);
  g_assert_false(ps_serial_from_hex("12G4", &serial));
  g_assert_false(ps_serial_from_hex("", &serial));
  g_assert_false(ps_serial_from_hex("-1A", &serial));
  g_assert_false(ps_serial_from_hex(NULL, &serial));
  X509_free(auth);
  X509_free(sign);
}

static void test_rfc4514_escapes_and_errors(void)
{
  X509_NAME *n = NULL, *want = X509_NAME_new();
  X509_NAME_add_entry_by_txt(want, "O", MBSTRING_UTF8, (const unsigned char *)"A, B+C", -1, -1, 0);
  X509_NAME_add_entry_by_txt(want, "CN", MBSTRING_UTF8, (const unsigned char *)"x", -1, -1, 0);
  X509_NAME_add_entry_by_txt(want, "UID", MBSTRING_UTF8, (const unsigned char *)"y", -1, -1, -1);
  g_assert_true(ps_x509_name_from_rfc4514("CN=x+UID=y,O=A\\, B\\+C", &n));
  g_assert_cmpint(X509_NAME_cmp(n, want), ==, 0);
  g_assert_cmpint(X509_NAME_entry_count(n), ==, 3);
  X509_NAME_free(n);
  /* \XX bytes make UTF-8; #hex is a DER value (a UTF8String "x"). */
  g_assert_true(ps_x509_name_from_rfc4514("CN=#0C0178+UID=y,O=A\\2C B\\2BC", &n));
  g_assert_cmpint(X509_NAME_cmp(n, want), ==, 0);
  X509_NAME_free(n);
  g_assert_true(ps_x509_name_from_rfc4514("CN=\\E5\\89\\8D\\E6\\A9\\8B", &n));
  g_autofree char *s = printed(n);
  X509_NAME_free(n);
  g_assert_true(ps_x509_name_from_rfc4514("CN=前橋", &n));
  g_autofree char *s2 = printed(n);
  g_assert_cmpstr(s, ==, s2);
  X509_NAME_free(n);
  X509_NAME_free(want);

  static const char *const bad[] = {
    "", "CN", "CN=a,", "=a", "CN=a\\", "CN=a\\zz", "NOSUCHATTR=a", "CN=#0C02",
    "CN=a\"b", "CN=#3000", "CN=\\FF\\FE",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(ps_x509_name_from_rfc4514(bad[i], &n));
    g_assert_null(n);
  }
}

/* ---- residents.json ---- */

typedef struct fixture {
  char *dir;
  ps_portal p;
} fixture;

static void fixture_setup(fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp("ps-units-XXXXXX", NULL);
  g_assert_nonnull(fx->dir);
  memset(&fx->p, 0, sizeof(fx->p));
  fx->p.server = g_new0(ps_server, 1);
}

static int rm_entry(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  if(!d)
    return g_remove(dir);
  const char *n;
  while((n = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(dir, n, NULL);
    if(g_file_test(path, G_FILE_TEST_IS_DIR))
      rm_entry(path);
    else
      g_remove(path);
  }
  g_dir_close(d);
  return g_rmdir(dir);
}

static void fixture_teardown(fixture *fx, gconstpointer data)
{
  ps_residents_clear(&fx->p);
  g_clear_pointer(&fx->p.server->muni_users, g_ptr_array_unref);
  g_free(fx->p.server);
  rm_entry(fx->dir);
  g_free(fx->dir);
}

static char *built_residents(fixture *fx)
{
  g_autofree char *profiles = g_build_filename(g_getenv("MYNA_TEST_PKI"), "profiles.json", NULL);
  g_autofree char *seed = g_build_filename(PS_SEED_DIR, "residents-seed.json", NULL);
  g_autoptr(GError) err = NULL;
  JsonNode *root = ps_residents_build(profiles, seed, &err);
  g_assert_no_error(err);
  char *text = ps_json_to_string(root, NULL);
  json_node_unref(root);
  return text;
}

static char *write_tmp(fixture *fx, const char *name, const char *text)
{
  char *path = g_build_filename(fx->dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static void test_residents_load_and_lookup(fixture *fx, gconstpointer data)
{
  g_autofree char *text = built_residents(fx);
  g_autofree char *path = write_tmp(fx, "residents.json", text);
  g_autoptr(GError) err = NULL;
  g_assert_true(ps_residents_load(&fx->p, path, &err));
  g_assert_no_error(err);

  X509 *auth = pki_cert("adult", "auth.der");
  const char *id = ps_resident_by_cert(&fx->p, X509_get_issuer_name(auth),
                                       X509_get0_serialNumber(auth));
  g_assert_cmpstr(id, ==, "R102016-0001");
  JsonObject *r = ps_resident_get(&fx->p, id);
  g_assert_cmpstr(ps_json_string(r, "name"), ==, "高橋　健太");
  g_assert_cmpstr(ps_json_string(r, "city_code"), ==, "102016");
  /* The same serial under another issuer is nobody. */
  X509 *sign = pki_cert("adult", "sign.der");
  g_assert_null(ps_resident_by_cert(&fx->p, X509_get_issuer_name(sign),
                                    X509_get0_serialNumber(auth)));
  /* Every profile is registered, expired and revoked included. */
  static const char *const profiles[] = { "child", "one-try", "blocked", "expired",
                                          "revoked", "minimal", "taisho" };
  for(size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
    X509 *c = pki_cert(profiles[i], "auth.der");
    const char *rid = ps_resident_by_cert(&fx->p, X509_get_issuer_name(c),
                                          X509_get0_serialNumber(c));
    g_assert_nonnull(rid);
    g_assert_cmpstr(ps_resident_entry_get(&fx->p, rid)->profile, ==, profiles[i]);
    X509_free(c);
  }
  /* Sign certificates are linked too (J-LIS's シリアル番号紐付け), except
   * where the card has none (child). An auth certificate's issuer and
   * serial are not a sign certificate's. */
  g_assert_cmpstr(ps_resident_by_sign_cert(&fx->p, X509_get_issuer_name(sign),
                                           X509_get0_serialNumber(sign)), ==, "R102016-0001");
  g_assert_null(ps_resident_by_sign_cert(&fx->p, X509_get_issuer_name(auth),
                                         X509_get0_serialNumber(auth)));
  g_assert_null(ps_resident_by_cert(&fx->p, X509_get_issuer_name(sign),
                                    X509_get0_serialNumber(sign)));
  static const char *const signers[] = { "one-try", "blocked", "expired", "revoked",
                                         "minimal", "taisho" };
  for(size_t i = 0; i < G_N_ELEMENTS(signers); i++) {
    X509 *c = pki_cert(signers[i], "sign.der");
    const char *rid = ps_resident_by_sign_cert(&fx->p, X509_get_issuer_name(c),
                                               X509_get0_serialNumber(c));
    g_assert_nonnull(rid);
    g_assert_cmpstr(ps_resident_entry_get(&fx->p, rid)->profile, ==, signers[i]);
    X509_free(c);
  }
  const ps_resident_entry *child = NULL;
  for(guint i = 0; i < fx->p.server->residents->len; i++) {
    const ps_resident_entry *r2 = g_ptr_array_index(fx->p.server->residents, i);
    if(r2->profile && strcmp(r2->profile, "child") == 0)
      child = r2;
  }
  g_assert_nonnull(child);
  g_assert_null(child->sign_issuer);
  g_assert_null(child->sign_serial);
  g_assert_false(json_object_has_member(child->obj, "sign_cert"));

  const ps_resident_entry *e = ps_resident_entry_get(&fx->p, "R102016-0001");
  g_assert_true(ps_text_has_personal_data(e, "宛先: 高橋健太 様"));
  g_assert_true(ps_text_has_personal_data(e, "高橋 健太"));
  g_assert_true(ps_text_has_personal_data(e, "群馬県前橋市千代田町二丁目３番１５号"));
  g_assert_false(ps_text_has_personal_data(e, "高橋様 (姓のみ)"));
  g_assert_null(ps_resident_entry_get(&fx->p, "R-nobody"));
  X509_free(auth);
  X509_free(sign);
}

/* Replaces the first occurrence of from in text. */
static char *replace1(const char *text, const char *from, const char *to)
{
  const char *at = strstr(text, from);
  g_assert_nonnull(at);
  return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_residents_refused(fixture *fx, gconstpointer data)
{
  g_autofree char *good = built_residents(fx);
  struct {
    const char *from, *to, *expect;
  } cases[] = {
    { "\"format\":1", "\"format\":2", "\"format\" must be 1" },
    { "\"city_code\":\"102016\"", "\"city_code\":\"102017\"", "check digit" },
    { "\"birth_date\":\"1980-02-17\"", "\"birth_date\":\"1980-02-30\"", "birth_date" },
    { "\"id\":\"R102016-0001\"", "\"id\":\"X1\"", "start with R" },
    { "\"id\":\"R152048-0001\"", "\"id\":\"R102016-0001\"", "used twice" },
    { "\"issuer\":\"OU=", "\"issuer\":\"OU", "RFC 4514" },
    { "\"household\":{", "\"astrology\":{", "astrology" },
    { "\"date\":\"2026-06-10 10:12:44\"", "\"date\":\"2026-06-10\"", "records[0].date" },
    { "\"notice_sub_id\":\"01\"", "\"notice_sub_id\":\"1\"", "notice_sub_id 2" },
    /* sign_cert: the same checks as auth_cert, and it must be an object. */
    { "\"sign_cert\":{\"issuer\":\"OU=", "\"sign_cert\":{\"issuer\":\"OU", "sign_cert.issuer" },
    { "\"sign_cert\":{", "\"sign_cert\":\"linked\",\"x\":{", "\"sign_cert\" must be an object" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = replace1(good, cases[i].from, cases[i].to);
    g_autofree char *name = g_strdup_printf("residents-%zu.json", i);
    g_autofree char *path = write_tmp(fx, name, text);
    g_autoptr(GError) err = NULL;
    g_assert_false(ps_residents_load(&fx->p, path, &err));
    g_assert_nonnull(err);
    if(!strstr(err->message, cases[i].expect) || !strstr(err->message, path))
      g_error("case %zu: %s", i, err->message);
    g_assert_null(fx->p.residents);
  }
  /* The same auth certificate twice (the serials inside two auth_cert
   * objects; sign_cert has serials too). */
  const char *a1 = strstr(good, "\"auth_cert\":{");
  const char *a2 = strstr(a1 + 1, "\"auth_cert\":{");
  g_assert_nonnull(a2);
  const char *s1 = strstr(a1, "\"serial\":\"");
  const char *s2 = strstr(a2, "\"serial\":\"");
  g_assert_true(s1 < a2);
  g_autofree char *serial1 = g_strndup(s1, (gsize)(strchr(s1 + 10, '"') - s1 + 1));
  g_autofree char *serial2 = g_strndup(s2, (gsize)(strchr(s2 + 10, '"') - s2 + 1));
  g_autofree char *dup = replace1(good, serial2, serial1);
  g_autofree char *path = write_tmp(fx, "dup.json", dup);
  g_autoptr(GError) err = NULL;
  g_assert_false(ps_residents_load(&fx->p, path, &err));
  g_assert_nonnull(strstr(err->message, "same auth certificate"));

  /* The same sign certificate for two residents. */
  const char *g1 = strstr(good, "\"sign_cert\":{");
  const char *g2 = strstr(g1 + 1, "\"sign_cert\":{");
  g_assert_nonnull(g2);
  g_autofree char *sc1 = g_strndup(g1, (gsize)(strchr(g1, '}') - g1 + 1));
  g_autofree char *sc2 = g_strndup(g2, (gsize)(strchr(g2, '}') - g2 + 1));
  g_autofree char *sdup = replace1(good, sc2, sc1);
  g_autofree char *spath = write_tmp(fx, "sdup.json", sdup);
  g_clear_error(&err);
  g_assert_false(ps_residents_load(&fx->p, spath, &err));
  g_assert_nonnull(strstr(err->message, "same sign certificate"));

  /* A serial that is not hexadecimal. */
  const char *ser = strstr(sc1, "\"serial\":\"");
  g_assert_nonnull(ser);
  g_autofree char *bad_sc = g_strdup_printf("%.*s\"serial\":\"XYZ\"}", (int)(ser - sc1), sc1);
  g_autofree char *badser = replace1(good, sc1, bad_sc);
  g_autofree char *bpath = write_tmp(fx, "sbad.json", badser);
  g_clear_error(&err);
  g_assert_false(ps_residents_load(&fx->p, bpath, &err));
  g_assert_nonnull(strstr(err->message, "\"sign_cert.serial\" must be hexadecimal"));

  /* Left out or null: no link, and the file loads. */
  g_autofree char *nulled = replace1(good, sc1, "\"sign_cert\":null");
  g_autofree char *npath = write_tmp(fx, "snull.json", nulled);
  g_clear_error(&err);
  g_assert_true(ps_residents_load(&fx->p, npath, &err));
  g_assert_no_error(err);
  ps_residents_clear(&fx->p);
}

static void test_municipal_users(fixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename(PS_SEED_DIR, "municipal-users.json", NULL);
  g_autoptr(GError) err = NULL;
  g_assert_true(ps_municipal_users_load(&fx->p, path, &err));
  const ps_muni_user *u = ps_municipal_user_find(&fx->p, "maebashi-kosodate");
  g_assert_nonnull(u);
  g_assert_cmpstr(u->city_code, ==, "102016");
  g_autofree char *hash = ps_sha256_hex("Maebashi-Test-2026", strlen("Maebashi-Test-2026"));
  g_assert_cmpstr(u->password_sha256, ==, hash);
  g_assert_null(ps_municipal_user_find(&fx->p, "nobody"));
  g_clear_pointer(&fx->p.server->muni_users, g_ptr_array_unref);

  g_autofree char *bad = write_tmp(fx, "m.json",
    "{\"format\":1,\"users\":[{\"id\":\"a\",\"password_sha256\":\"00\","
    "\"city_code\":\"102016\",\"name\":\"x\"}]}");
  g_assert_false(ps_municipal_users_load(&fx->p, bad, &err));
  g_assert_nonnull(strstr(err->message, "users[0]"));
}

/* ---- dates ---- */

static void test_format_jst(void)
{
  g_autofree char *a = ps_format_jst(0);
  g_assert_cmpstr(a, ==, "1970-01-01 09:00:00");
  /* 2026-11-23 15:00:00 UTC is the next day in Japan. */
  g_autofree char *b = ps_format_jst(1795446000);
  g_assert_cmpstr(b, ==, "2026-11-24 00:00:00");
}

/* ---- data directory ---- */

static void test_datadir_made_once(fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_build_filename(fx->dir, "sub", "data", NULL);
  ps_datadir_sources src = { g_getenv("MYNA_TEST_PKI"), PS_SEED_DIR, NULL };
  bool created = false;
  g_autoptr(GError) err = NULL;
  g_assert_true(ps_datadir_prepare(dir, &src, &created, &err));
  g_assert_no_error(err);
  g_assert_true(created);
  g_autofree char *res = g_build_filename(dir, "residents.json", NULL);
  struct stat st;
  g_assert_cmpint(stat(res, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  g_autofree char *tls = g_build_filename(dir, "tls", NULL);
  g_assert_cmpint(stat(tls, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0700);

  /* A second time it is left alone, even with a file changed. */
  g_assert_true(g_file_set_contents(res, "changed", -1, NULL));
  g_assert_true(ps_datadir_prepare(dir, &src, &created, &err));
  g_assert_false(created);
  g_autofree char *now = NULL;
  g_assert_true(g_file_get_contents(res, &now, NULL, NULL));
  g_assert_cmpstr(now, ==, "changed");

  /* A broken source leaves nothing behind. */
  g_autofree char *other = g_build_filename(fx->dir, "sub", "other", NULL);
  ps_datadir_sources bad = { "/nonexistent-pki", PS_SEED_DIR, NULL };
  g_assert_false(ps_datadir_prepare(other, &bad, &created, &err));
  g_assert_nonnull(strstr(err->message, "/nonexistent-pki/profiles.json"));
  g_autofree char *parent = g_build_filename(fx->dir, "sub", NULL);
  GDir *d = g_dir_open(parent, 0, NULL);
  const char *n;
  int count = 0;
  while((n = g_dir_read_name(d)))
    count++;
  g_dir_close(d);
  g_assert_cmpint(count, ==, 1);     /* data only */
}

/* ---- terminal certificates ---- */

static char *pki_path(const char *a, const char *b)
{
  return g_build_filename(g_getenv("MYNA_TEST_PKI"), a, b, NULL);
}

/* The DER of a PEM certificate file. */
static GBytes *pem_der(const char *path)
{
  FILE *f = fopen(path, "r");
  g_assert_nonnull(f);
  X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  g_assert_nonnull(c);
  unsigned char *der = NULL;
  int len = i2d_X509(c, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  X509_free(c);
  return b;
}

static ps_terminal_cert leaf_check_bytes(GBytes *der, char **cn)
{
  gsize len = 0;
  const unsigned char *d = g_bytes_get_data(der, &len);
  return ps_terminal_leaf_check(d, len, cn);
}

/* A self-signed certificate (the leaf check looks at nothing but the leaf)
 * with the given CNs, extendedKeyUsage and keyUsage (NULL: none). */
static GBytes *made_cert(const char *const *cns, const char *eku, const char *ku)
{
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *c = X509_new();
  g_assert_nonnull(key);
  g_assert_nonnull(c);
  X509_set_version(c, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 3600);
  X509_NAME *n = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"unit", -1, -1, 0);
  /* V_ASN1_UTF8STRING, not MBSTRING_UTF8: OpenSSL would refuse a CN over
   * 64 characters, which is the point of one case. */
  for(; *cns; cns++)
    g_assert_cmpint(X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
                                               (const unsigned char *)*cns, -1, -1, 0), ==, 1);
  X509_set_issuer_name(c, n);
  X509_set_pubkey(c, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
  if(eku) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
    g_assert_nonnull(ext);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if(ku) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
    g_assert_nonnull(ext);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  }
  g_assert_cmpint(X509_sign(c, key, EVP_sha256()), >, 0);
  unsigned char *der = NULL;
  int len = i2d_X509(c, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  X509_free(c);
  EVP_PKEY_free(key);
  return b;
}

static void test_terminal_ca_file(fixture *fx, gconstpointer data)
{
  g_autoptr(GError) err = NULL;
  char *pem = NULL;
  /* Absent: fine, and no certificates are asked for. */
  g_autofree char *none = g_build_filename(fx->dir, "none.pem", NULL);
  g_assert_true(ps_terminal_ca_load(none, &pem, &err));
  g_assert_null(pem);
  /* The test PKI's terminal CA. */
  g_autofree char *ca = pki_path("terminals", "ca.pem");
  g_assert_true(ps_terminal_ca_load(ca, &pem, &err));
  g_assert_no_error(err);
  g_assert_nonnull(strstr(pem, "BEGIN CERTIFICATE"));
  g_free(pem);
  /* Two CAs in one file are fine too. */
  g_autofree char *a = NULL, *b = NULL;
  g_autofree char *foreign = pki_path("terminals", "foreign-ca.pem");
  g_assert_true(g_file_get_contents(ca, &a, NULL, NULL));
  g_assert_true(g_file_get_contents(foreign, &b, NULL, NULL));
  g_autofree char *both_text = g_strconcat(a, b, NULL);
  g_autofree char *both = write_tmp(fx, "both.pem", both_text);
  g_assert_true(ps_terminal_ca_load(both, &pem, &err));
  g_assert_nonnull(pem);
  g_free(pem);
  /* A terminal's own certificate, an empty file, garbage: refused, named. */
  g_autofree char *leaf = pki_path("terminals", "kiosk-test-01.pem");
  g_autofree char *empty = write_tmp(fx, "empty.pem", "");
  g_autofree char *junk = write_tmp(fx, "junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
  struct { const char *path, *expect; } bad[] = {
    { leaf, "not a CA certificate" },
    { empty, "not a list of PEM certificates" },
    { junk, "not a list of PEM certificates" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&err);
    pem = NULL;
    g_assert_false(ps_terminal_ca_load(bad[i].path, &pem, &err));
    g_assert_null(pem);
    g_assert_nonnull(err);
    if(!strstr(err->message, bad[i].expect) || !strstr(err->message, bad[i].path))
      g_error("case %zu: %s", i, err->message);
  }
}

static void test_terminal_leaf_checks(void)
{
  char *cn = NULL;
  /* The test PKI's terminals: the CN is the id. */
  static const char *const good[] = { "kiosk-test-01", "kiosk-test-02", "kiosk-foreign",
                                      "kiosk-expired" };
  for(size_t i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autofree char *file = g_strconcat(good[i], ".pem", NULL);
    g_autofree char *path = pki_path("terminals", file);
    g_autoptr(GBytes) der = pem_der(path);
    /* Chain and dates are GnuTLS' part (ps_terminal_cert_check); the leaf
     * check passes the foreign and the expired one. */
    g_assert_cmpint(leaf_check_bytes(der, &cn), ==, PS_TERMINAL_CERT_VALID);
    g_assert_cmpstr(cn, ==, good[i]);
    g_free(cn);
  }
  g_autofree char *noca = pki_path("terminals", "kiosk-no-clientauth.pem");
  g_autoptr(GBytes) serveronly = pem_der(noca);
  g_assert_cmpint(leaf_check_bytes(serveronly, &cn), ==, PS_TERMINAL_CERT_WRONG_USAGE);
  g_assert_null(cn);
  /* A JPKI auth certificate has no extendedKeyUsage at all: GnuTLS would
   * take it for any purpose, a terminal certificate must say clientAuth. */
  X509 *auth = pki_cert("adult", "auth.der");
  unsigned char *ad = NULL;
  int alen = i2d_X509(auth, &ad);
  g_assert_cmpint(ps_terminal_leaf_check(ad, (size_t)alen, &cn), ==,
                  PS_TERMINAL_CERT_WRONG_USAGE);
  OPENSSL_free(ad);
  X509_free(auth);

  static const char *const one[] = { "kiosk-unit-01", NULL };
  static const char *const two[] = { "kiosk-unit-01", "kiosk-unit-02", NULL };
  static const char *const spaced[] = { "kiosk unit", NULL };
  static const char *const nocn[] = { NULL };
  char long_cn[66];
  memset(long_cn, 'k', 65);
  long_cn[65] = '\0';
  const char *const too_long[] = { long_cn, NULL };
  const char *const max_len[] = { long_cn + 1, NULL };
  struct {
    const char *const *cns;
    const char *eku, *ku;
    ps_terminal_cert want;
  } cases[] = {
    { one, "clientAuth", "critical,digitalSignature", PS_TERMINAL_CERT_VALID },
    { one, "clientAuth", NULL, PS_TERMINAL_CERT_VALID },
    { max_len, "serverAuth,clientAuth", "digitalSignature", PS_TERMINAL_CERT_VALID },
    { one, NULL, "digitalSignature", PS_TERMINAL_CERT_WRONG_USAGE },
    { one, "clientAuth", "keyEncipherment", PS_TERMINAL_CERT_WRONG_USAGE },
    { one, "emailProtection", "digitalSignature", PS_TERMINAL_CERT_WRONG_USAGE },
    { two, "clientAuth", "digitalSignature", PS_TERMINAL_CERT_BAD_CN },
    { spaced, "clientAuth", "digitalSignature", PS_TERMINAL_CERT_BAD_CN },
    { nocn, "clientAuth", "digitalSignature", PS_TERMINAL_CERT_BAD_CN },
    { too_long, "clientAuth", "digitalSignature", PS_TERMINAL_CERT_BAD_CN },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GBytes) der = made_cert(cases[i].cns, cases[i].eku, cases[i].ku);
    ps_terminal_cert got = leaf_check_bytes(der, &cn);
    if(got != cases[i].want)
      g_error("case %zu: %s, want %s", i, ps_terminal_cert_name(got),
              ps_terminal_cert_name(cases[i].want));
    if(got == PS_TERMINAL_CERT_VALID) {
      g_assert_cmpstr(cn, ==, cases[i].cns[0]);
      g_free(cn);
    }
    else
      g_assert_null(cn);
  }
  /* Not a certificate at all. */
  static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
  g_assert_cmpint(ps_terminal_leaf_check(junk, sizeof(junk), &cn), ==,
                  PS_TERMINAL_CERT_INVALID);
  g_assert_cmpint(ps_terminal_leaf_check(junk, 0, &cn), ==, PS_TERMINAL_CERT_INVALID);
  /* No session, no certificate. */
  g_assert_cmpint(ps_terminal_cert_check(NULL, &cn), ==, PS_TERMINAL_CERT_NONE);
  g_assert_null(cn);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  if(!g_getenv("MYNA_TEST_PKI")) {
    fprintf(stderr, "MYNA_TEST_PKI is not set: run through ctest\n");
    return 1;
  }
  g_test_add_func("/router/matches-in-table-order", test_router_matches_in_table_order);
  g_test_add_func("/router/404-405-empty-segments", test_router_404_405_and_empty_segments);
  g_test_add_func("/ratelimit/bucket", test_ratelimit_bucket);
  g_test_add_func("/faults/rules", test_faults_rules);
  g_test_add_func("/rfc4514/real-issuers", test_rfc4514_against_real_issuers);
  g_test_add_func("/rfc4514/escapes-and-errors", test_rfc4514_escapes_and_errors);
  g_test_add_func("/dates/jst", test_format_jst);
  g_test_add("/residents/load-and-lookup", fixture, NULL, fixture_setup,
             test_residents_load_and_lookup, fixture_teardown);
  g_test_add("/residents/refused", fixture, NULL, fixture_setup,
             test_residents_refused, fixture_teardown);
  g_test_add("/residents/municipal-users", fixture, NULL, fixture_setup,
             test_municipal_users, fixture_teardown);
  g_test_add("/datadir/made-once", fixture, NULL, fixture_setup,
             test_datadir_made_once, fixture_teardown);
  g_test_add("/terminal/ca-file", fixture, NULL, fixture_setup,
             test_terminal_ca_file, fixture_teardown);
  g_test_add_func("/terminal/leaf-checks", test_terminal_leaf_checks);
  return g_test_run();
}
