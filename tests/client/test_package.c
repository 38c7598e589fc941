/* test_package.c - the signed application package (mynaportal/package.h)
 * and the card signer (mynaportal/signer.h).
 *
 * The signer is the software card in-process (the `adult` profile of the
 * build's test PKI, sign password verified). What is built is checked by
 * the verifiers that the portal uses and that the contract names:
 * portal-sim's ps_package_verify, its catalogue's ps_catalog_check_form, and
 * `xmlsec1 --verify` run in the unzipped folder. The ZIP's headers are read
 * byte by byte for what the verifiers take on trust (the UTF-8 flag of every
 * header, the methods, the time).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zip.h>

#include "catalog.h"
#include "mynacard/card.h"
#include "mynacard/jpki.h"
#include "mynacard/secret.h"
#include "mynaportal/error.h"
#include "mynaportal/package.h"
#include "mynaportal/signer.h"
#include "mynavcard/vcard.h"
#include "package.h"
#include "report.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define PDF_NAME "住民票.pdf"
#define PROC_ID "452025-kodomo-iryouhi"

static const char *pki_dir;
static char *work_dir;
static char *sign_password;

/* ---- files ---- */

static void write_file(const char *path, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_set_contents(path, data, (gssize)len, &error));
  g_assert_no_error(error);
}

static GBytes *read_file(const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, &error));
  g_assert_no_error(error);
  return g_bytes_new_take(data, len);
}

/* A fresh, empty folder under work_dir. */
static char *new_dir(const char *name)
{
  static guint n;
  char *dir = g_strdup_printf("%s/%s-%u", work_dir, name, n++);
  g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
  return dir;
}

static guint count_entries(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  guint n = 0;
  while(g_dir_read_name(d))
    n++;
  return n;
}

/* A file of size bytes that starts with magic and goes on with bytes that
 * do not compress. */
static char *make_file(const char *dir, const char *name, const char *magic,
                       gsize magic_len, gsize size)
{
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  g_assert_cmpuint(fwrite(magic, 1, magic_len, f), ==, magic_len);
  guint32 x = 2463534242u ^ (guint32)size;
  guint8 buf[4096];
  for(gsize left = size - magic_len; left;) {
    gsize k = MIN(left, sizeof buf);
    for(gsize i = 0; i < k; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = (guint8)x;
    }
    g_assert_cmpuint(fwrite(buf, 1, k, f), ==, k);
    left -= k;
  }
  g_assert_cmpint(fclose(f), ==, 0);
  return path;
}

static char *make_pdf(const char *dir, const char *name, gsize size)
{
  return make_file(dir, name, "%PDF-1.4\n", 9, size);
}

static char *make_jpeg(const char *dir, const char *name, gsize size)
{
  return make_file(dir, name, "\xFF\xD8\xFF\xE0", 4, size);
}

/* ---- the software card ---- */

typedef struct test_card {
  char *dir;          /* a copy of the profile: the card writes its state */
  myna_vcard *vcard;
  myna_card *card;
} test_card;

static test_card *card_new(gboolean verify_sign_password)
{
  test_card *tc = g_new0(test_card, 1);
  g_autofree char *src = g_build_filename(pki_dir, "profiles", "adult", NULL);
  tc->dir = new_dir("card");
  g_autoptr(GDir) d = g_dir_open(src, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while((name = g_dir_read_name(d))) {
    g_autofree char *from = g_build_filename(src, name, NULL);
    g_autofree char *to = g_build_filename(tc->dir, name, NULL);
    if(!g_file_test(from, G_FILE_TEST_IS_REGULAR))
      continue;
    g_autoptr(GBytes) b = read_file(from);
    write_file(to, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
  }
  g_autofree char *ini = g_build_filename(tc->dir, "profile.ini", NULL);
  char err[256] = "";
  tc->vcard = myna_vcard_load(ini, err, sizeof err);
  if(!tc->vcard)
    g_error("cannot load %s: %s", ini, err);
  g_assert_cmpint(myna_card_open(myna_vcard_transport(tc->vcard, false), &tc->card),
                  ==, MYNA_OK);
  if(verify_sign_password) {
    myna_secret *pw = myna_secret_from_bytes(sign_password, strlen(sign_password));
    g_assert_nonnull(pw);
    int tries = -1;
    g_assert_cmpint(myna_jpki_verify(tc->card, MYNA_JPKI_KEY_SIGN, pw, &tries), ==,
                    MYNA_OK);
    myna_secret_free(pw);
  }
  return tc;
}

static void card_free(test_card *tc)
{
  myna_card_free(tc->card);
  myna_vcard_free(tc->vcard);
  g_autoptr(GDir) d = g_dir_open(tc->dir, 0, NULL);
  const char *name;
  while(d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(tc->dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(tc->dir);
  g_free(tc->dir);
  g_free(tc);
}

static GBytes *profile_file(const char *name)
{
  g_autofree char *p = g_build_filename(pki_dir, "profiles", "adult", name, NULL);
  return read_file(p);
}

/* A signer that counts the calls to the one it wraps: refusals must not
 * reach the card. */
typedef struct counting {
  mp_signer *inner;
  GBytes *cert;      /* non-NULL: give this certificate instead */
  guint certs, signs;
} counting;

static GBytes *counting_cert(gpointer user, GError **error)
{
  counting *c = user;
  c->certs++;
  if(c->cert)
    return g_bytes_ref(c->cert);
  return mp_signer_certificate(c->inner, error);
}

static GBytes *counting_sign(gpointer user, const guint8 *hash, GError **error)
{
  counting *c = user;
  c->signs++;
  return mp_signer_sign_sha256(c->inner, hash, error);
}

static const mp_signer_ops counting_ops = {
  .certificate = counting_cert,
  .sign_sha256 = counting_sign,
};

/* ---- the verifiers ---- */

static int run(char **argv, const char *cwd, char **out_err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;
  char *out = NULL, *err = NULL;
  if(!g_spawn_sync(cwd, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                   &status, &error))
    g_error("%s: %s", argv[0], error->message);
  g_free(out);
  if(out_err)
    *out_err = err;
  else
    g_free(err);
  return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

/* Unzips into a fresh folder and runs, there, the command of portal-api.md.
 * 0 when xmlsec1 accepts the package. */
static int xmlsec1_verify(const char *zip_path, char **out_err)
{
  g_autofree char *dir = g_strdup_printf("%s.d", zip_path);
  g_autofree char *ca = g_build_filename(pki_dir, "ca", "sign-ca.pem", NULL);
  char *unzip[] = { "unzip", "-q", "-o", (char *)zip_path, "-d", dir, NULL };
  if(run(unzip, NULL, NULL) != 0)
    g_error("unzip %s failed", zip_path);
  char *verify[] = { "xmlsec1", "--verify", "--trusted-pem", ca, "--id-attr:Id",
                     "構成情報", "kousei.xml", NULL };
  return run(verify, dir, out_err);
}

static void dump_report(const GPtrArray *report)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_test_message("report: %s: %s", it->item, it->content);
  }
}

static ps_package *ps_verify(const char *zip_path, GPtrArray *report)
{
  g_autoptr(GBytes) zip = read_file(zip_path);
  ps_package *pkg = NULL;
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(zip, &n);
  gboolean ok = ps_package_verify(d, n, NULL, &pkg, report);
  dump_report(report);
  g_assert_true(ok == (pkg != NULL));
  return pkg;
}

static gboolean report_has(const GPtrArray *report, const char *item)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(strcmp(it->item, item) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ---- the ZIP's headers, read by hand ---- */

typedef struct zip_header {
  char *name;
  guint16 cflags, lflags;   /* general purpose bits: central, local */
  guint16 cmethod, lmethod;
  guint16 dostime, dosdate;
  guint32 ext_attr;
} zip_header;

static guint16 le16(const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

static guint32 le32(const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static void zip_header_free(gpointer p)
{
  zip_header *h = p;
  g_free(h->name);
  g_free(h);
}

static GPtrArray *zip_headers(GBytes *zip)
{
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(zip, &n);
  g_assert_cmpuint(n, >=, 22);
  gsize eocd = n - 22; /* no archive comment is written */
  g_assert_cmphex(le32(d + eocd), ==, 0x06054b50);
  guint entries = le16(d + eocd + 10);
  gsize off = le32(d + eocd + 16);
  GPtrArray *out = g_ptr_array_new_with_free_func(zip_header_free);
  for(guint i = 0; i < entries; i++) {
    g_assert_cmpuint(off + 46, <=, n);
    g_assert_cmphex(le32(d + off), ==, 0x02014b50);
    zip_header *h = g_new0(zip_header, 1);
    h->cflags = le16(d + off + 8);
    h->cmethod = le16(d + off + 10);
    h->dostime = le16(d + off + 12);
    h->dosdate = le16(d + off + 14);
    guint nlen = le16(d + off + 28), xlen = le16(d + off + 30), clen = le16(d + off + 32);
    h->ext_attr = le32(d + off + 38);
    gsize local = le32(d + off + 42);
    h->name = g_strndup((const char *)d + off + 46, nlen);
    g_assert_cmphex(le32(d + local), ==, 0x04034b50);
    h->lflags = le16(d + local + 6);
    h->lmethod = le16(d + local + 8);
    g_assert_cmpmem(d + local + 30, le16(d + local + 26), h->name, nlen);
    g_ptr_array_add(out, h);
    off += 46 + nlen + xlen + clen;
  }
  return out;
}

static gboolean is_ascii(const char *s)
{
  for(; *s; s++)
    if((guint8)*s >= 0x80)
      return FALSE;
  return TRUE;
}

/* ---- the form ---- */

/* The documented example (docs/portal-sim-catalog.md, "The form data XML")
 * as the client's JSON. \u3000 is the full-width space of the names. */
static const char *EXAMPLE_JSON =
  "{\"items\": {"
  "  \"guardian_name\": \"加藤\\u3000大輔\","
  "  \"guardian_kana\": \"カトウ\\u3000ダイスケ\","
  "  \"guardian_birth_date\": \"1989-01-08\","
  "  \"guardian_my_number\": \"840281753965\","
  "  \"guardian_postal_code\": \"885-0029\","
  "  \"guardian_address\": \"宮崎県都城市姫城町７街区１０号\","
  "  \"guardian_phone\": \"090-1234-5678\","
  "  \"insurance_kind\": \"shaho\","
  "  \"account_method\": \"koukin\","
  "  \"pledge\": true},"
  " \"groups\": {\"children\": ["
  "  {\"child_name\": \"加藤\\u3000蓮\", \"child_kana\": \"カトウ\\u3000レン\","
  "   \"child_birth_date\": \"2018-04-10\", \"child_insurer\": \"全国健康保険協会 宮崎支部\"},"
  "  {\"child_name\": \"加藤\\u3000結衣\", \"child_kana\": \"カトウ\\u3000ユイ\","
  "   \"child_birth_date\": \"2021-08-25\", \"child_insurer\": \"全国健康保険協会 宮崎支部\"}]},"
  " \"linkage_consent\": [\"kodomo_hoken\"]}";

static JsonNode *json(const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *n = json_from_string(text, &error);
  g_assert_no_error(error);
  g_assert_nonnull(n);
  return n;
}

static int cmp_str_ptr(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a form XML says, independent of the order of its elements (which
 * means nothing in the format) and of the whitespace between them: the root,
 * its namespace and proc_id, then one sorted line per item, entry item and
 * consent. */
static char *form_meaning(const char *xml, gsize len)
{
  xmlDocPtr doc = xmlReadMemory(xml, (int)len, "form.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  g_assert_nonnull(doc);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  g_assert_nonnull(root);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  xmlChar *proc = xmlGetNoNsProp(root, BAD_CAST "proc_id");
  char *head = g_strdup_printf("%s {%s} proc_id=%s", (const char *)root->name,
                               root->ns ? (const char *)root->ns->href : "",
                               proc ? (const char *)proc : "");
  xmlFree(proc);
  for(xmlNodePtr n = root->children; n; n = n->next) {
    g_assert_cmpint(n->type, ==, XML_ELEMENT_NODE);
    xmlChar *id = xmlGetNoNsProp(n, BAD_CAST "id");
    if(strcmp((const char *)n->name, "item") == 0) {
      xmlChar *v = xmlNodeGetContent(n);
      g_ptr_array_add(lines, g_strdup_printf("item %s=%s", id, v));
      xmlFree(v);
    } else if(strcmp((const char *)n->name, "group") == 0) {
      guint k = 0;
      for(xmlNodePtr e = n->children; e; e = e->next) {
        k++;
        for(xmlNodePtr i = e->children; i; i = i->next) {
          xmlChar *iid = xmlGetNoNsProp(i, BAD_CAST "id");
          xmlChar *v = xmlNodeGetContent(i);
          g_ptr_array_add(lines, g_strdup_printf("group %s[%u] %s %s=%s", id, k, e->name,
                                                 iid, v));
          xmlFree(iid);
          xmlFree(v);
        }
      }
    } else {
      xmlChar *a = xmlGetNoNsProp(n, BAD_CAST "attachment");
      g_ptr_array_add(lines, g_strdup_printf("%s attachment=%s", n->name, a));
      xmlFree(a);
    }
    xmlFree(id);
  }
  xmlFreeDoc(doc);
  g_ptr_array_sort(lines, cmp_str_ptr);
  GString *s = g_string_new(head);
  g_free(head);
  for(guint i = 0; i < lines->len; i++) {
    g_string_append_c(s, '\n');
    g_string_append(s, (const char *)g_ptr_array_index(lines, i));
  }
  return g_string_free(s, FALSE);
}

static char *doc_example_xml(char **proc_id)
{
  g_autofree char *path = g_build_filename(MYNA_SOURCE_DIR, "docs",
                                           "portal-sim-catalog.md", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  const char *marker = strstr(text, "<!-- form-example: ");
  g_assert_nonnull(marker);
  marker += strlen("<!-- form-example: ");
  *proc_id = g_strndup(marker, strcspn(marker, " "));
  const char *start = strstr(marker, "```xml\n");
  g_assert_nonnull(start);
  start += strlen("```xml\n");
  const char *end = strstr(start, "```");
  g_assert_nonnull(end);
  return g_strndup(start, (gsize)(end - start));
}

/* The documented example, given as JSON, becomes the documented XML (same
 * items, entries and consent; order and indentation aside), the shipped
 * catalogue accepts it, and the same JSON always gives the same bytes. */
static void test_form_docs_example(void)
{
  g_autofree char *proc_id = NULL;
  g_autofree char *documented = doc_example_xml(&proc_id);
  g_assert_cmpstr(proc_id, ==, PROC_ID);

  g_autoptr(GError) error = NULL;
  g_autoptr(mp_package_builder) b = mp_package_builder_new(PROC_ID, &error);
  g_assert_no_error(error);
  g_assert_null(mp_package_builder_form_xml(b));
  g_autoptr(JsonNode) form = json(EXAMPLE_JSON);
  g_assert_true(mp_package_builder_set_form(b, form, &error));
  g_assert_no_error(error);
  g_autoptr(GBytes) xml = mp_package_builder_form_xml(b);
  g_assert_nonnull(xml);
  gsize n = 0;
  const char *x = g_bytes_get_data(xml, &n);
  g_test_message("form XML:\n%.*s", (int)n, x);
  g_assert_true(g_str_has_prefix(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));

  g_autofree char *ours = form_meaning(x, n);
  g_autofree char *theirs = form_meaning(documented, strlen(documented));
  g_assert_cmpstr(ours, ==, theirs);

  g_autoptr(ps_catalog) cat = NULL;
  g_assert_true(ps_catalog_load(PS_CATALOG_DATA_DIR, &cat, &error));
  g_assert_no_error(error);
  g_autoptr(GPtrArray) report = ps_report_new();
  gboolean ok = ps_catalog_check_form(cat, PROC_ID, (const uint8_t *)x, n, NULL, 0, report);
  dump_report(report);
  g_assert_true(ok);
  g_assert_cmpuint(report->len, ==, 0);

  /* Deterministic. */
  g_autoptr(mp_package_builder) b2 = mp_package_builder_new(PROC_ID, &error);
  g_autoptr(JsonNode) form2 = json(EXAMPLE_JSON);
  g_assert_true(mp_package_builder_set_form(b2, form2, &error));
  g_autoptr(GBytes) xml2 = mp_package_builder_form_xml(b2);
  g_assert_true(g_bytes_equal(xml, xml2));
}

/* Values reach the XML exactly: integers in decimal, booleans as words,
 * markup characters and line breaks escaped so that a parser gives back the
 * very string. */
static void test_form_values(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_package_builder) b = mp_package_builder_new("P0001", &error);
  g_autoptr(JsonNode) form = json(
    "{\"items\": {\"a_text\": \"<b>&amp;\\\"x\\\"</b> ]]> 'q'\","
    " \"b_lines\": \"一行目\\r\\n二行目\\n\", \"c_int\": -450000, \"d_zero\": 0,"
    " \"e_yes\": true, \"f_no\": false, \"g_empty\": \"\", \"h_space\": \"\\u3000 \"},"
    " \"groups\": {\"members\": [], \"kids\": [{}, {\"k_1\": 7}]}}");
  g_assert_true(mp_package_builder_set_form(b, form, &error));
  g_assert_no_error(error);
  g_autoptr(GBytes) xml = mp_package_builder_form_xml(b);
  gsize n = 0;
  const char *x = g_bytes_get_data(xml, &n);
  g_test_message("%.*s", (int)n, x);

  xmlDocPtr doc = xmlReadMemory(x, (int)n, "form.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull(doc);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  g_assert_cmpstr((const char *)root->name, ==, "form");
  g_assert_cmpstr((const char *)root->ns->href, ==, "urn:mynaterm:portal-sim:form:1");
  static const struct { const char *id, *value; } want[] = {
    { "a_text", "<b>&amp;\"x\"</b> ]]> 'q'" }, { "b_lines", "一行目\r\n二行目\n" },
    { "c_int", "-450000" }, { "d_zero", "0" }, { "e_yes", "true" }, { "f_no", "false" },
    { "g_empty", "" }, { "h_space", "\u3000 " },
  };
  guint seen = 0, groups = 0;
  for(xmlNodePtr c = root->children; c; c = c->next) {
    if(c->type != XML_ELEMENT_NODE)
      continue;
    xmlChar *id = xmlGetNoNsProp(c, BAD_CAST "id");
    if(strcmp((const char *)c->name, "group") == 0) {
      groups++;
      guint entries = 0;
      for(xmlNodePtr e = c->children; e; e = e->next)
        entries += e->type == XML_ELEMENT_NODE;
      g_assert_cmpuint(entries, ==, strcmp((const char *)id, "kids") == 0 ? 2 : 0);
    } else {
      g_assert_cmpstr((const char *)c->name, ==, "item");
      xmlChar *v = xmlNodeGetContent(c);
      g_assert_cmpstr((const char *)id, ==, want[seen].id);
      g_assert_cmpstr((const char *)v, ==, want[seen].value);
      xmlFree(v);
      seen++;
    }
    xmlFree(id);
  }
  g_assert_cmpuint(seen, ==, G_N_ELEMENTS(want));
  g_assert_cmpuint(groups, ==, 2);
  xmlFreeDoc(doc);
}

/* What the form XML cannot carry is refused with MP_ERROR_PACKAGE, the key
 * named, every finding in the report, and the form left as it was. */
static void test_form_refused(void)
{
  static const struct {
    const char *json, *item, *in_message;
  } cases[] = {
    { "[]", "form", "not a JSON object" },
    { "{\"items\": {}, \"extra\": 1}", "form", "\"extra\"" },
    { "{\"item\": {}}", "form", "\"item\"" },
    { "{\"items\": []}", "form", "\"items\" is not an object" },
    { "{\"items\": {\"Name\": \"x\"}}", "form", "\"Name\"" },
    { "{\"items\": {\"1st\": \"x\"}}", "form", "\"1st\"" },
    { "{\"items\": {\"a-b\": \"x\"}}", "form", "\"a-b\"" },
    { "{\"items\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}}",
      "form", "is not a field id" },
    { "{\"items\": {\"name\": null}}", "form.name", "items.name is null" },
    { "{\"items\": {\"amount\": 3.5}}", "form.amount", "not an integer" },
    { "{\"items\": {\"amount\": 1e3}}", "form.amount", "not an integer" },
    { "{\"items\": {\"list\": [1]}}", "form.list", "array or object" },
    { "{\"items\": {\"obj\": {}}}", "form.obj", "array or object" },
    { "{\"items\": {\"tab\": \"a\\tb\"}}", "form.tab", "U+0009" },
    { "{\"items\": {\"nul\": \"a\\u0001\"}}", "form.nul", "U+0001" },
    { "{\"items\": {\"c1\": \"a\\u0085\"}}", "form.c1", "U+0085" },
    { "{\"items\": {\"nonchar\": \"\\uffff\"}}", "form.nonchar", "U+FFFF" },
    { "{\"groups\": []}", "form", "\"groups\" is not an object" },
    { "{\"groups\": {\"kids\": {}}}", "form.kids", "not an array" },
    { "{\"groups\": {\"Kids\": []}}", "form", "\"Kids\"" },
    { "{\"groups\": {\"kids\": [1]}}", "form.kids[1]", "groups.kids[1] is not an object" },
    { "{\"groups\": {\"kids\": [{}, {\"name\": 1.5}]}}", "form.kids[2].name",
      "groups.kids[2].name" },
    { "{\"groups\": {\"kids\": [{\"Bad\": 1}]}}", "form", "\"Bad\"" },
    { "{\"linkage_consent\": \"kodomo_hoken\"}", "form", "not an array" },
    { "{\"linkage_consent\": [1]}", "attachment", "linkage_consent[0]" },
    { "{\"linkage_consent\": [\"Bad\"]}", "attachment", "linkage_consent[0]" },
    { "{\"linkage_consent\": [\"a\", \"a\"]}", "attachment:a", "twice" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(mp_package_builder) b = mp_package_builder_new("P0001", &error);
    g_autoptr(JsonNode) form = json(cases[i].json);
    g_assert_false(mp_package_builder_set_form(b, form, &error));
    g_assert_error(error, MP_ERROR, MP_ERROR_PACKAGE);
    g_test_message("%s -> %s", cases[i].json, error->message);
    g_assert_nonnull(strstr(error->message, cases[i].in_message));
    const mp_problem *p = mp_error_get_problem(error);
    g_assert_nonnull(p);
    g_assert_cmpuint(p->report->len, >=, 1);
    const mp_report_item *it = g_ptr_array_index(p->report, 0);
    g_assert_cmpstr(it->item, ==, cases[i].item);
    g_assert_true(g_utf8_validate(it->content, -1, NULL) && it->content[0]);
    g_assert_null(mp_package_builder_form_xml(b));
  }

  /* All findings at once; a good form set before stays. */
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_package_builder) b = mp_package_builder_new("P0001", &error);
  g_autoptr(JsonNode) good = json("{\"items\": {\"a\": 1}}");
  g_assert_true(mp_package_builder_set_form(b, good, &error));
  g_autoptr(GBytes) before = mp_package_builder_form_xml(b);
  g_autoptr(JsonNode) bad = json("{\"x\": 1, \"items\": {\"b\": null, \"c\": 2.5}}");
  g_assert_false(mp_package_builder_set_form(b, bad, &error));
  g_assert_nonnull(strstr(error->message, "(and 2 more)"));
  g_assert_cmpuint(mp_error_get_problem(error)->report->len, ==, 3);
  g_autoptr(GBytes) after = mp_package_builder_form_xml(b);
  g_assert_true(g_bytes_equal(before, after));
}

/* ---- packages ---- */

/* A builder for proc_id with the example form, 住民票.pdf and photo.jpg. */
typedef struct std_files {
  char *dir;
  char *pdf, *jpeg;
} std_files;

static void std_files_init(std_files *f)
{
  f->dir = new_dir("in");
  f->pdf = make_pdf(f->dir, "jumin.pdf", 30000);
  f->jpeg = make_jpeg(f->dir, "photo.jpg", 12345);
}

static void std_files_clear(std_files *f)
{
  g_free(f->dir);
  g_free(f->pdf);
  g_free(f->jpeg);
}

static mp_package_builder *std_builder(const std_files *f)
{
  g_autoptr(GError) error = NULL;
  mp_package_builder *b = mp_package_builder_new(PROC_ID, &error);
  g_assert_no_error(error);
  g_autoptr(JsonNode) form = json(EXAMPLE_JSON);
  g_assert_true(mp_package_builder_set_form(b, form, &error));
  g_assert_true(mp_package_builder_add_attachment(b, "kodomo_hoken", f->pdf, PDF_NAME, &error));
  g_assert_no_error(error);
  g_assert_true(mp_package_builder_add_attachment(b, "tsuchou", f->jpeg, NULL, &error));
  g_assert_no_error(error);
  return b;
}

static void assert_file_bytes(GBytes *data, const char *path)
{
  g_autoptr(GBytes) want = read_file(path);
  g_assert_true(g_bytes_equal(data, want));
}

/* The package verifies with portal-sim (no finding, the same proc_id, files
 * and certificate) and with xmlsec1 in the unzipped folder; the file is
 * 0600, its headers carry the UTF-8 flag for 住民票.pdf in both the local
 * and the central header, the methods and the fixed time; the same inputs
 * give the same bytes. */
static void test_signed_package(void)
{
  std_files f;
  std_files_init(&f);
  test_card *tc = card_new(TRUE);
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN);
  g_autoptr(mp_package_builder) b = std_builder(&f);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_autoptr(GError) error = NULL;
  mp_package_info info = { 0 };
  g_assert_true(mp_package_builder_write(b, signer, zip, &info, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(count_entries(out), ==, 1);

  GStatBuf st;
  g_assert_cmpint(g_stat(zip, &st), ==, 0);
  g_assert_cmphex(st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint(info.zip_size, ==, (guint64)st.st_size);
  g_autoptr(GBytes) zbytes = read_file(zip);
  g_autofree char *zhex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, zbytes);
  g_assert_cmpstr(info.zip_sha256, ==, zhex);
  g_autoptr(GBytes) cert = profile_file("sign.der");
  g_autofree char *chex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, cert);
  g_assert_cmpstr(info.sign_cert_sha256, ==, chex);
  g_autoptr(GBytes) form_xml = mp_package_builder_form_xml(b);
  g_assert_cmpuint(info.n_files, ==, 3);
  g_assert_cmpuint(info.content_size, ==, g_bytes_get_size(form_xml) + 30000 + 12345);

  /* portal-sim's verifier */
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(ps_package) pkg = ps_verify(zip, report);
  g_assert_nonnull(pkg);
  g_assert_cmpuint(report->len, ==, 0);
  g_assert_cmpstr(pkg->proc_id, ==, PROC_ID);
  g_assert_cmpstr(pkg->applicant_cert_sha256, ==, chex);
  g_assert_cmpstr(pkg->zip_sha256, ==, zhex);
  g_assert_cmpstr(pkg->form->name, ==, "form.xml");
  g_assert_cmpstr(pkg->form->content_type, ==, "application/xml");
  g_assert_true(g_bytes_equal(pkg->form->data, form_xml));
  g_assert_cmpuint(pkg->attachments->len, ==, 2);
  ps_package_file *a0 = g_ptr_array_index(pkg->attachments, 0);
  ps_package_file *a1 = g_ptr_array_index(pkg->attachments, 1);
  g_assert_cmpstr(a0->name, ==, PDF_NAME);
  g_assert_cmpstr(a0->attachment_id, ==, "kodomo_hoken");
  g_assert_cmpstr(a0->content_type, ==, "application/pdf");
  assert_file_bytes(a0->data, f.pdf);
  g_assert_cmpstr(a1->name, ==, "photo.jpg");
  g_assert_cmpstr(a1->attachment_id, ==, "tsuchou");
  g_assert_cmpstr(a1->content_type, ==, "image/jpeg");
  assert_file_bytes(a1->data, f.jpeg);
  unsigned char *der = NULL;
  int der_len = i2d_X509(pkg->sign_cert, &der);
  g_assert_cmpmem(der, der_len, g_bytes_get_data(cert, NULL), g_bytes_get_size(cert));
  OPENSSL_free(der);

  /* the independent verifier of the contract */
  g_autofree char *xerr = NULL;
  int xrc = xmlsec1_verify(zip, &xerr);
  if(xrc != 0)
    g_test_message("xmlsec1: %s", xerr);
  g_assert_cmpint(xrc, ==, 0);

  /* the headers */
  g_autoptr(GPtrArray) hs = zip_headers(zbytes);
  g_assert_cmpuint(hs->len, ==, 4);
  static const char *names[] = { "kousei.xml", "form.xml", PDF_NAME, "photo.jpg" };
  for(guint i = 0; i < hs->len; i++) {
    const zip_header *h = g_ptr_array_index(hs, i);
    g_assert_cmpstr(h->name, ==, names[i]);
    guint16 utf8 = is_ascii(h->name) ? 0 : 1u << 11;
    g_assert_cmphex(h->cflags & (1u << 11), ==, utf8);
    g_assert_cmphex(h->lflags & (1u << 11), ==, utf8);
    g_assert_cmphex(h->cflags & 1u, ==, 0); /* not encrypted */
    g_assert_cmpuint(h->cmethod, ==, i < 2 ? ZIP_CM_DEFLATE : ZIP_CM_STORE);
    g_assert_cmpuint(h->lmethod, ==, h->cmethod);
    g_assert_cmphex(h->dosdate, ==, (0u << 9) | (1u << 5) | 1u);
    g_assert_cmphex(h->dostime, ==, 0);
    g_assert_cmphex(h->ext_attr >> 16, ==, 0100600);
  }

  /* The same inputs, the same package. */
  g_autofree char *zip2 = g_build_filename(out, "again.zip", NULL);
  mp_package_info info2 = { 0 };
  g_assert_true(mp_package_builder_write(b, signer, zip2, &info2, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(info2.zip_sha256, ==, info.zip_sha256);
  mp_package_info_clear(&info2);

  /* A folder that does not exist: refused, nothing created. */
  g_autofree char *nowhere = g_build_filename(out, "missing", "pkg.zip", NULL);
  g_assert_false(mp_package_builder_write(b, signer, nowhere, &info2, &error));
  g_assert_error(error, MP_ERROR, MP_ERROR_PACKAGE);
  g_test_message("%s", error->message);
  g_clear_error(&error);
  g_assert_null(info2.zip_sha256);
  g_assert_cmpuint(count_entries(out), ==, 3); /* pkg.zip, again.zip, pkg.zip.d */

  mp_package_info_clear(&info);
  g_assert_null(info.zip_sha256);
  card_free(tc);
  std_files_clear(&f);
}

/* A copy of zip_path with one byte of the entry name flipped (CRC and size
 * made right again by libzip: only the signature can tell). */
static char *tampered_copy(const char *zip_path, const char *name)
{
  char *copy = g_strdup_printf("%s.tampered.zip", zip_path);
  g_autoptr(GBytes) orig = read_file(zip_path);
  write_file(copy, g_bytes_get_data(orig, NULL), g_bytes_get_size(orig));
  int zerr = 0;
  zip_t *za = zip_open(copy, 0, &zerr);
  g_assert_nonnull(za);
  zip_int64_t idx = zip_name_locate(za, name, ZIP_FL_ENC_UTF_8);
  g_assert_cmpint(idx, >=, 0);
  zip_stat_t st;
  g_assert_cmpint(zip_stat_index(za, (zip_uint64_t)idx, 0, &st), ==, 0);
  guint8 *data = g_malloc(st.size);
  zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
  g_assert_nonnull(zf);
  g_assert_cmpint(zip_fread(zf, data, st.size), ==, (zip_int64_t)st.size);
  zip_fclose(zf);
  data[st.size / 2] ^= 0x01;
  zip_source_t *src = zip_source_buffer(za, data, st.size, 1);
  g_assert_nonnull(src);
  g_assert_cmpint(zip_file_replace(za, (zip_uint64_t)idx, src, ZIP_FL_ENC_UTF_8), ==, 0);
  g_assert_cmpint(zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0), ==, 0);
  g_assert_cmpint(zip_close(za), ==, 0);
  return copy;
}

/* One flipped byte of 住民票.pdf: portal-sim names the file, xmlsec1
 * refuses. */
static void test_tampered_attachment(void)
{
  std_files f;
  std_files_init(&f);
  test_card *tc = card_new(TRUE);
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN);
  g_autoptr(mp_package_builder) b = std_builder(&f);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(mp_package_builder_write(b, signer, zip, NULL, &error));
  g_assert_no_error(error);

  g_autofree char *bad = tampered_copy(zip, PDF_NAME);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(ps_package) pkg = ps_verify(bad, report);
  g_assert_null(pkg);
  g_assert_true(report_has(report, "attachment:" PDF_NAME));
  g_autofree char *xerr = NULL;
  g_assert_cmpint(xmlsec1_verify(bad, &xerr), !=, 0);
  g_test_message("xmlsec1 on the tampered package: %s", xerr);
  g_assert_nonnull(strstr(xerr, "FAIL"));

  /* and the untouched photo is not named */
  g_assert_false(report_has(report, "attachment:photo.jpg"));
  card_free(tc);
  std_files_clear(&f);
}

static void assert_package_error(GError *error, const char *item)
{
  g_assert_error(error, MP_ERROR, MP_ERROR_PACKAGE);
  g_test_message("refused: %s", error->message);
  const mp_problem *p = mp_error_get_problem(error);
  g_assert_nonnull(p);
  g_assert_cmpuint(p->report->len, ==, 1);
  const mp_report_item *it = g_ptr_array_index(p->report, 0);
  g_assert_cmpstr(it->item, ==, item);
  g_assert_true(g_utf8_validate(it->content, -1, NULL) && it->content[0]);
}

/* Everything refused before the card is asked: proc_id, names, types,
 * unreadable files, too many or too large; a write without form data. The
 * card is never reached and nothing is written. */
static void test_refused_before_card(void)
{
  std_files f;
  std_files_init(&f);
  g_autoptr(GError) error = NULL;

  static const char *bad_procs[] = { "", "a b", "../x", "手続",
    "12345678901234567890123456789012345678901234567890123456789012345" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad_procs); i++) {
    g_assert_null(mp_package_builder_new(bad_procs[i], &error));
    assert_package_error(error, "proc_id");
    g_clear_error(&error);
  }
  g_assert_null(mp_package_builder_new(NULL, &error));
  assert_package_error(error, "proc_id");
  g_clear_error(&error);

  g_autoptr(mp_package_builder) b = mp_package_builder_new("P0001", &error);
  g_assert_true(mp_package_builder_add_attachment(b, "doc", f.pdf, "a.pdf", &error));
  g_assert_no_error(error);

  g_autofree char *long_name = g_strnfill(125, 'x');
  g_autofree char *too_long = g_strconcat(long_name, ".pdf", NULL); /* 129 bytes */
  g_autofree char *nfd = g_utf8_normalize("がっこう.pdf", -1, G_NORMALIZE_NFD);
  const struct { const char *name, *item; } bad_names[] = {
    { "../x.pdf", "attachment:../x.pdf" },
    { "../x", "attachment:../x" },
    { "a b.pdf", "attachment:a b.pdf" },
    { "A.PDF", "attachment:A.PDF" },          /* a.pdf differing in case */
    { "kousei.xml", "attachment:kousei.xml" },
    { "KOUSEI.XML", "attachment:KOUSEI.XML" },
    { "form.xml", "attachment:form.xml" },
    { "x.xml", "attachment:x.xml" },           /* not an attachment type */
    { "x.txt", "attachment:x.txt" },
    { "x", "attachment:x" },
    { ".x.pdf", "attachment:.x.pdf" },
    { "-x.pdf", "attachment:-x.pdf" },
    { "a%20b.pdf", "attachment:a%20b.pdf" },
    { "a#b.pdf", "attachment:a#b.pdf" },
    { "a\\b.pdf", "attachment:a\\b.pdf" },
    { "a\u202Eb.pdf", "attachment:a\\u202Eb.pdf" }, /* bidi override: a format character */
    { "", "attachment:" },
    { too_long, NULL },
    { nfd, NULL },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(bad_names); i++) {
    g_assert_false(mp_package_builder_add_attachment(b, "doc", f.pdf, bad_names[i].name,
                                                     &error));
    /* long names are shown cut at 64 characters */
    g_autofree char *item = bad_names[i].item ? NULL
                            : g_strdup_printf("attachment:%.64s%s", bad_names[i].name,
                                              strlen(bad_names[i].name) > 64 ? "…" : "");
    assert_package_error(error, bad_names[i].item ? bad_names[i].item : item);
    g_clear_error(&error);
  }
  /* The base name of the path is used when no name is given: then it must
   * be an allowed one. */
  g_autofree char *spaced = make_pdf(f.dir, "with space.pdf", 100);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", spaced, NULL, &error));
  assert_package_error(error, "attachment:with space.pdf");
  g_clear_error(&error);

  /* attachment ids */
  static const char *bad_ids[] = { "", "a b", "id/x", "手続" };
  for(size_t i = 0; i < G_N_ELEMENTS(bad_ids); i++) {
    g_assert_false(mp_package_builder_add_attachment(b, bad_ids[i], f.pdf, "ok.pdf", &error));
    assert_package_error(error, "attachment:ok.pdf");
    g_clear_error(&error);
  }

  /* extension against magic */
  const struct { const char *file, *name; } mismatch[] = {
    { f.pdf, "pdf-as.jpg" }, { f.jpeg, "jpeg-as.pdf" }, { f.pdf, "pdf-as.png" },
    { f.jpeg, "jpeg-as.png" },
  };
  for(size_t i = 0; i < G_N_ELEMENTS(mismatch); i++) {
    g_assert_false(mp_package_builder_add_attachment(b, "doc", mismatch[i].file,
                                                     mismatch[i].name, &error));
    g_autofree char *item = g_strdup_printf("attachment:%s", mismatch[i].name);
    assert_package_error(error, item);
    g_clear_error(&error);
  }
  g_autofree char *empty = g_build_filename(f.dir, "empty.pdf", NULL);
  write_file(empty, "", 0);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", empty, NULL, &error));
  assert_package_error(error, "attachment:empty.pdf");
  g_assert_nonnull(strstr(error->message, "empty"));
  g_clear_error(&error);

  /* unreadable: missing, a folder, a FIFO, no permission */
  g_autofree char *missing = g_build_filename(f.dir, "missing.pdf", NULL);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", missing, NULL, &error));
  assert_package_error(error, "attachment:missing.pdf");
  g_assert_nonnull(strstr(error->message, "cannot open"));
  g_clear_error(&error);
  g_autofree char *folder = g_build_filename(f.dir, "folder.pdf", NULL);
  g_assert_cmpint(g_mkdir(folder, 0700), ==, 0);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", folder, NULL, &error));
  assert_package_error(error, "attachment:folder.pdf");
  g_clear_error(&error);
  g_autofree char *fifo = g_build_filename(f.dir, "fifo.pdf", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", fifo, NULL, &error));
  assert_package_error(error, "attachment:fifo.pdf");
  g_clear_error(&error);
  if(geteuid() != 0) {
    g_autofree char *locked = make_pdf(f.dir, "locked.pdf", 100);
    g_assert_cmpint(g_chmod(locked, 0), ==, 0);
    g_assert_false(mp_package_builder_add_attachment(b, "doc", locked, NULL, &error));
    assert_package_error(error, "attachment:locked.pdf");
    g_clear_error(&error);
  } else {
    g_test_message("running as root: the no-permission case is not tried");
  }

  /* too large: one file over 32 MiB (sparse, so cheap) */
  g_autofree char *huge = g_build_filename(f.dir, "huge.pdf", NULL);
  int fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(write(fd, "%PDF-", 5), ==, 5);
  g_assert_cmpint(ftruncate(fd, 32 * 1024 * 1024 + 1), ==, 0);
  close(fd);
  g_assert_false(mp_package_builder_add_attachment(b, "doc", huge, NULL, &error));
  assert_package_error(error, "attachment:huge.pdf");
  g_clear_error(&error);

  /* too many: 62 attachments in all */
  for(int i = 1; i < 62; i++) {
    g_autofree char *n = g_strdup_printf("p%02d.pdf", i);
    g_assert_true(mp_package_builder_add_attachment(b, "doc", f.pdf, n, &error));
    g_assert_no_error(error);
  }
  g_assert_false(mp_package_builder_add_attachment(b, "doc", f.pdf, "p62.pdf", &error));
  assert_package_error(error, "attachment:p62.pdf");
  g_clear_error(&error);

  /* write without form data: the card is not asked */
  test_card *tc = card_new(TRUE);
  counting c = { mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN), NULL, 0, 0 };
  g_autoptr(mp_signer) signer = mp_signer_new(&counting_ops, &c);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_assert_false(mp_package_builder_write(b, signer, zip, NULL, &error));
  assert_package_error(error, "form");
  g_clear_error(&error);
  g_assert_cmpuint(c.certs + c.signs, ==, 0);
  g_assert_cmpuint(count_entries(out), ==, 0);

  /* set_form_xml: empty or too large */
  g_autoptr(GBytes) none = g_bytes_new_static("", 0);
  g_assert_false(mp_package_builder_set_form_xml(b, none, &error));
  assert_package_error(error, "form");
  g_clear_error(&error);
  g_autofree char *big = g_malloc0(1024 * 1024 + 1);
  g_autoptr(GBytes) too_big = g_bytes_new_static(big, 1024 * 1024 + 1);
  g_assert_false(mp_package_builder_set_form_xml(b, too_big, &error));
  assert_package_error(error, "form");
  g_clear_error(&error);
  g_assert_null(mp_package_builder_form_xml(b));

  mp_signer_free(c.inner);
  card_free(tc);
  std_files_clear(&f);
}

/* The sign password not verified: the card says so (MP_ERROR_CARD with
 * card_rv MYNA_E_SECURITY_STATUS), and no file is left behind. */
static void test_card_not_verified(void)
{
  std_files f;
  std_files_init(&f);
  test_card *tc = card_new(FALSE);
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN);
  g_autoptr(mp_package_builder) b = std_builder(&f);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_autoptr(GError) error = NULL;
  mp_package_info info = { 0 };
  g_assert_false(mp_package_builder_write(b, signer, zip, &info, &error));
  g_assert_error(error, MP_ERROR, MP_ERROR_CARD);
  g_test_message("%s", error->message);
  const mp_problem *p = mp_error_get_problem(error);
  g_assert_nonnull(p);
  g_assert_cmpint(p->card_rv, ==, MYNA_E_SECURITY_STATUS);
  g_assert_nonnull(strstr(error->message, myna_strerror(MYNA_E_SECURITY_STATUS)));
  g_assert_null(info.zip_sha256);
  g_assert_cmpuint(count_entries(out), ==, 0);

  /* The signature itself refused: the certificate given by other means. */
  g_clear_error(&error);
  counting c = { signer, profile_file("sign.der"), 0, 0 };
  g_autoptr(mp_signer) s2 = mp_signer_new(&counting_ops, &c);
  g_assert_false(mp_package_builder_write(b, s2, zip, NULL, &error));
  g_assert_error(error, MP_ERROR, MP_ERROR_CARD);
  g_assert_cmpint(mp_error_get_problem(error)->card_rv, ==, MYNA_E_SECURITY_STATUS);
  g_assert_cmpuint(c.signs, ==, 1);
  g_assert_cmpuint(count_entries(out), ==, 0);
  g_bytes_unref(c.cert);
  card_free(tc);
  std_files_clear(&f);
}

/* The card signer: the right certificate for each key, RSA-SHA256
 * signatures that verify with it. A signer whose certificate is not its
 * key's makes no package. */
static void test_card_signer(void)
{
  test_card *tc = card_new(TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_signer) sign = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN);
  g_autoptr(GBytes) cert = mp_signer_certificate(sign, &error);
  g_assert_no_error(error);
  g_autoptr(GBytes) want = profile_file("sign.der");
  g_assert_true(g_bytes_equal(cert, want));
  guint8 hash[32];
  for(int i = 0; i < 32; i++)
    hash[i] = (guint8)(i * 7);
  g_autoptr(GBytes) sig = mp_signer_sign_sha256(sign, hash, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_bytes_get_size(sig), ==, 256);
  const unsigned char *p = g_bytes_get_data(cert, NULL);
  X509 *x = d2i_X509(NULL, &p, (long)g_bytes_get_size(cert));
  g_assert_nonnull(x);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL);
  g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
  g_assert_cmpint(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), ==, 1);
  g_assert_cmpint(EVP_PKEY_verify(ctx, g_bytes_get_data(sig, NULL), 256, hash, 32), ==, 1);
  EVP_PKEY_CTX_free(ctx);
  X509_free(x);

  g_autoptr(mp_signer) auth = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_AUTH);
  g_autoptr(GBytes) acert = mp_signer_certificate(auth, &error);
  g_assert_no_error(error);
  g_autoptr(GBytes) awant = profile_file("auth.der");
  g_assert_true(g_bytes_equal(acert, awant));
  /* the auth PIN is not verified: the card's answer comes through */
  g_assert_null(mp_signer_sign_sha256(auth, hash, &error));
  g_assert_error(error, MP_ERROR, MP_ERROR_CARD);
  g_assert_cmpint(mp_error_get_problem(error)->card_rv, ==, MYNA_E_SECURITY_STATUS);
  g_clear_error(&error);

  /* the authentication certificate with the signature key */
  std_files f;
  std_files_init(&f);
  g_autoptr(mp_package_builder) b = std_builder(&f);
  counting c = { sign, awant, 0, 0 };
  g_autoptr(mp_signer) wrong = mp_signer_new(&counting_ops, &c);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_assert_false(mp_package_builder_write(b, wrong, zip, NULL, &error));
  assert_package_error(error, "signature.value");
  g_assert_cmpuint(count_entries(out), ==, 0);
  card_free(tc);
  std_files_clear(&f);
}

/* A file changed after it was added, keeping its size, is caught when the
 * ZIP is written ("the file changed ..."), and no output is left; one whose
 * size changed is caught before the card is asked. */
static void test_file_changed(void)
{
  std_files f;
  std_files_init(&f);
  test_card *tc = card_new(TRUE);
  counting c = { mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN), NULL, 0, 0 };
  g_autoptr(mp_signer) signer = mp_signer_new(&counting_ops, &c);
  g_autofree char *out = new_dir("out");
  g_autofree char *zip = g_build_filename(out, "pkg.zip", NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(mp_package_builder) b = std_builder(&f);
    /* one byte in the middle, in place: same inode, same size */
    int fd = open(f.pdf, O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    guint8 byte;
    g_assert_cmpint(pread(fd, &byte, 1, 15000), ==, 1);
    byte ^= 0x80;
    g_assert_cmpint(pwrite(fd, &byte, 1, 15000), ==, 1);
    close(fd);
    g_assert_false(mp_package_builder_write(b, signer, zip, NULL, &error));
    assert_package_error(error, "attachment:" PDF_NAME);
    g_assert_nonnull(strstr(error->message,
                            "the file changed while the application was being prepared"));
    g_clear_error(&error);
    g_assert_cmpuint(c.signs, ==, 1);
    g_assert_cmpuint(count_entries(out), ==, 0);
  }
  {
    g_autoptr(mp_package_builder) b = std_builder(&f);
    g_free(make_jpeg(f.dir, "photo.jpg", 12000)); /* shorter */
    g_assert_false(mp_package_builder_write(b, signer, zip, NULL, &error));
    assert_package_error(error, "attachment:photo.jpg");
    g_clear_error(&error);
    g_assert_cmpuint(c.signs, ==, 1); /* not asked again */
    g_assert_cmpuint(count_entries(out), ==, 0);
  }
  {
    /* replaced by another file of the same size (a new inode) */
    g_autoptr(mp_package_builder) b = std_builder(&f);
    g_autofree char *other = make_pdf(f.dir, "other.pdf", 30000);
    g_autoptr(GBytes) odata = read_file(other);
    g_autoptr(GBytes) pdata = read_file(f.pdf);
    g_assert_false(g_bytes_equal(odata, pdata));
    g_assert_cmpint(g_rename(other, f.pdf), ==, 0);
    g_assert_false(mp_package_builder_write(b, signer, zip, NULL, &error));
    assert_package_error(error, "attachment:" PDF_NAME);
    g_clear_error(&error);
    g_assert_cmpuint(count_entries(out), ==, 0);
  }
  mp_signer_free(c.inner);
  card_free(tc);
  std_files_clear(&f);
}

/* ---- 20 MB: streamed, not held ---- */

static guint64 status_kb(const char *key)
{
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents("/proc/self/status", &text, NULL, NULL));
  const char *p = strstr(text, key);
  g_assert_nonnull(p);
  return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

/* Runs in a process of its own (g_test_trap_subprocess), so that the peak
 * is this package's: the whole process's VmHWM, and how much it rose while
 * the package was written. */
static void large_child(void)
{
  const char *dir = g_getenv("MP_TEST_LARGE_DIR");
  g_assert_nonnull(dir);
  g_autofree char *pdf = g_build_filename(dir, "scan.pdf", NULL);
  g_autofree char *jpeg = g_build_filename(dir, "photo.jpg", NULL);
  g_autofree char *zip = g_build_filename(dir, "out", "large.zip", NULL);
  test_card *tc = card_new(TRUE);
  g_autoptr(mp_signer) signer = mp_signer_new_card(tc->card, MYNA_JPKI_KEY_SIGN);
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_package_builder) b = mp_package_builder_new(PROC_ID, &error);
  g_autoptr(JsonNode) form = json(EXAMPLE_JSON);
  g_assert_true(mp_package_builder_set_form(b, form, &error));

  /* The peak from here on (clear_refs 5 resets VmHWM to the current RSS). */
  g_file_set_contents("/proc/self/clear_refs", "5", 1, NULL);
  guint64 before = status_kb("VmRSS:");
  g_assert_true(mp_package_builder_add_attachment(b, "kodomo_hoken", pdf, NULL, &error));
  g_assert_no_error(error);
  g_assert_true(mp_package_builder_add_attachment(b, "tsuchou", jpeg, NULL, &error));
  g_assert_no_error(error);
  mp_package_info info = { 0 };
  g_assert_true(mp_package_builder_write(b, signer, zip, &info, &error));
  g_assert_no_error(error);
  guint64 peak = status_kb("VmHWM:");
  g_autofree char *result = g_strdup_printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                                            " %" G_GUINT64_FORMAT, peak, before,
                                            info.content_size);
  g_autofree char *rpath = g_build_filename(dir, "rss.txt", NULL);
  write_file(rpath, result, strlen(result));
  mp_package_info_clear(&info);
  card_free(tc);
}

static void test_large_package(void)
{
  if(g_test_subprocess()) {
    large_child();
    return;
  }
  g_autofree char *dir = new_dir("large");
  g_autofree char *outdir = g_build_filename(dir, "out", NULL);
  g_assert_cmpint(g_mkdir(outdir, 0700), ==, 0);
  g_free(make_pdf(dir, "scan.pdf", 10 * 1000 * 1000));
  g_free(make_jpeg(dir, "photo.jpg", 10 * 1000 * 1000));
  g_setenv("MP_TEST_LARGE_DIR", dir, TRUE);
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed();
  g_unsetenv("MP_TEST_LARGE_DIR");

  g_autofree char *rpath = g_build_filename(dir, "rss.txt", NULL);
  g_autoptr(GBytes) r = read_file(rpath);
  guint64 peak = 0, before = 0, content = 0;
  g_assert_cmpint(sscanf(g_bytes_get_data(r, NULL), "%" G_GUINT64_FORMAT " %"
                         G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &peak, &before, &content),
                  ==, 3);
  g_test_message("20 MB package: peak RSS (VmHWM) of the whole process %" G_GUINT64_FORMAT
                 " kB; %" G_GUINT64_FORMAT " kB before the attachments were added, so "
                 "+%" G_GUINT64_FORMAT " kB for %" G_GUINT64_FORMAT " bytes of content",
                 peak, before, peak - before, content);
#ifndef UNDER_ASAN
  /* Sanitizer builds keep freed memory in quarantine: the bounds are for
   * plain builds. Held whole, the attachments alone would add 20 MB. */
  g_assert_cmpuint(peak - before, <, 8 * 1024);
  g_assert_cmpuint(peak, <, 64 * 1024);
#endif

  g_autofree char *zip = g_build_filename(outdir, "large.zip", NULL);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(ps_package) pkg = ps_verify(zip, report);
  g_assert_nonnull(pkg);
  g_assert_cmpuint(pkg->attachments->len, ==, 2);
  g_autofree char *xerr = NULL;
  int xrc = xmlsec1_verify(zip, &xerr);
  if(xrc != 0)
    g_test_message("xmlsec1: %s", xerr);
  g_assert_cmpint(xrc, ==, 0);
}

/* ---- main ---- */

static char *read_sign_password(void)
{
  g_autofree char *path = g_build_filename(pki_dir, "profiles.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_assert_true(json_parser_load_from_file(parser, path, &error));
  g_assert_no_error(error);
  JsonArray *profiles = json_object_get_array_member(
    json_node_get_object(json_parser_get_root(parser)), "profiles");
  for(guint i = 0; i < json_array_get_length(profiles); i++) {
    JsonObject *p = json_array_get_object_element(profiles, i);
    if(strcmp(json_object_get_string_member(p, "name"), "adult") == 0)
      return g_strdup(json_object_get_string_member(p, "sign_password"));
  }
  g_error("no profile adult in %s", path);
  return NULL;
}

static void remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while(d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if(g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
      g_chmod(p, 0700);
      remove_tree(p);
    } else {
      g_unlink(p);
    }
  }
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  pki_dir = g_getenv("MYNA_TEST_PKI");
  if(!pki_dir || !*pki_dir)
    g_error("MYNA_TEST_PKI is not set: run the tests through ctest");
  g_autoptr(GError) error = NULL;
  work_dir = g_dir_make_tmp("mp-package-XXXXXX", &error);
  g_assert_no_error(error);
  sign_password = read_sign_password();
  g_assert_true(ps_package_global_init());

  g_test_add_func("/client/package/form/docs-example", test_form_docs_example);
  g_test_add_func("/client/package/form/values", test_form_values);
  g_test_add_func("/client/package/form/refused", test_form_refused);
  g_test_add_func("/client/package/signed", test_signed_package);
  g_test_add_func("/client/package/tampered-attachment", test_tampered_attachment);
  g_test_add_func("/client/package/refused-before-card", test_refused_before_card);
  g_test_add_func("/client/package/card-not-verified", test_card_not_verified);
  g_test_add_func("/client/package/card-signer", test_card_signer);
  g_test_add_func("/client/package/file-changed", test_file_changed);
  g_test_add_func("/client/package/large-streamed", test_large_package);

  int rc = g_test_run();
  remove_tree(work_dir);
  g_free(work_dir);
  g_free(sign_password);
  ps_package_global_cleanup();
  return rc;
}
