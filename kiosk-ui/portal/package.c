/* package.c - the signed application package (docs/portal-sim-packages.md).
 *
 * What is signed is what the resident chose: each attachment is hashed when
 * it is added, the card signs those digests, and the bytes that go into the
 * ZIP are hashed again as libzip reads them; a difference is an error, never
 * a package that the portal would reject later. Attachments are streamed in
 * 64 KiB pieces at every step, so a package of 40 MB costs kilobytes of
 * memory, not megabytes.
 *
 * kousei.xml is built as a libxml2 tree and its two canonical forms (構成情報
 * for the first Reference, SignedInfo for the signature) are taken from that
 * tree with libxml2's C14N 1.0, which is what xmlsec and the portal use to
 * verify. Before anything is written, the serialised kousei.xml is parsed
 * again and both canonical forms are compared with what was signed.
 */

#include "mynaportal/package.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <zip.h>

#include "mynaportal/error.h"

/* [P] portal-api.md: the algorithms of the signature. */
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define ALG_C14N10 "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

/* [S] docs/portal-sim-packages.md and docs/portal-sim-catalog.md. */
#define KOUSEI_ID "構成情報"
#define KOUSEI_NAME "kousei.xml"
#define FORM_NAME "form.xml"
#define FORM_NS "urn:mynaterm:portal-sim:form:1"

/* Files are read in pieces of this size: never whole. */
#define CHUNK (64u * 1024u)

#define ID_MAX 64            /* proc_id, attachment_id */
#define FIELD_ID_MAX 64      /* form ids: [a-z][a-z0-9_]{0,63} */
#define NAME_MAX_BYTES 128   /* the portal's max_name_bytes */
/* The portal's limits (ps_package_default_limits): 64 entries, 32 MiB per
 * entry, 48 MiB in all. kousei.xml and the form take two entries and at
 * most 2 MiB together (the form XML is capped at 1 MiB by the catalogue;
 * kousei.xml of 64 files is a few kilobytes). */
#define MAX_ATTACHMENTS 62u
#define MAX_FILE_SIZE (32u * 1024u * 1024u)
#define MAX_ATTACHMENT_TOTAL (46u * 1024u * 1024u)
#define MAX_FORM_XML (1024u * 1024u)

/* Every entry gets the same time (1980-01-01 00:00, the DOS epoch): the same
 * inputs give the same ZIP byte for byte (RSA PKCS#1 v1.5 is
 * deterministic), and the time says nothing about the resident. */
#define ZIP_DOS_DATE ((0u << 9) | (1u << 5) | 1u)
#define ZIP_DOS_TIME 0u
/* Unpacked files are the resident's documents: owner-only. */
#define ZIP_UNIX_MODE 0100600u

typedef struct attachment {
  char *attachment_id;
  char *path;
  char *name;
  const char *content_type;
  guint64 size;
  guint8 sha256[32];  /* of the bytes read when it was added: what is signed */
} attachment;

struct mp_package_builder {
  char *proc_id;
  GBytes *form_xml;
  GPtrArray *attachments;  /* attachment * */
  GHashTable *folded;      /* case-folded names taken, kousei.xml and form.xml included */
  guint64 attachment_total;
};

/* ---- errors ---- */

/* A string from the caller as it may appear in a message or a report item:
 * valid UTF-8, control and format characters written \uXXXX, at most 64
 * characters. Used for keys and file names, never for values. */
static char *shown(const char *raw)
{
  g_autofree char *valid = g_utf8_make_valid(raw ? raw : "", -1);
  GString *s = g_string_new(NULL);
  guint n = 0;
  for(const char *p = valid; *p; p = g_utf8_next_char(p), n++) {
    if(n == 64) {
      g_string_append(s, "…");
      break;
    }
    gunichar c = g_utf8_get_char(p);
    GUnicodeType t = g_unichar_type(c);
    if(t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
       t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR)
      g_string_append_printf(s, "\\u%04X", (unsigned)c);
    else
      g_string_append_unichar(s, c);
  }
  return g_string_free(s, FALSE);
}

/* MP_ERROR_PACKAGE with one report item (ASCII item, Japanese content that
 * says what to do); the message is English detail for the log. */
static void package_error(GError **error, const char *item, const char *content,
                          const char *format, ...) G_GNUC_PRINTF(4, 5);
static void package_error(GError **error, const char *item, const char *content,
                          const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_autoptr(mp_problem) p = mp_problem_new();
  if(item)
    mp_problem_add_report(p, item, content);
  mp_set_error(error, MP_ERROR_PACKAGE, p, "%s", msg);
}

/* ---- names and ids ---- */

static gboolean id_valid(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > ID_MAX)
    return FALSE;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean field_id_valid(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > FIELD_ID_MAX || !g_ascii_islower(s[0]))
    return FALSE;
  for(size_t i = 1; i < n; i++)
    if(!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '_')
      return FALSE;
  return TRUE;
}

typedef struct name_why {
  const char *en;
  const char *ja;
} name_why;

/* Why a file name is not allowed in the package, or NULL: exactly the rule
 * of docs/portal-sim-packages.md "Allowed names" (each allowed name is its
 * own URI reference, so the Reference URI is the name character for
 * character). */
static const name_why *name_problem(const char *name)
{
  static const name_why EMPTY = { "the name is empty", "名前が空です" };
  static const name_why LONG = { "the name is longer than 128 bytes",
                                 "名前が長すぎます（128 バイトまで）" };
  static const name_why PATH = { "the name contains '/' or '\\'",
                                 "フォルダやパスを含む名前は使えません" };
  static const name_why UTF8 = { "the name is not UTF-8",
                                 "名前が UTF-8 ではありません" };
  static const name_why LEAD = { "the name starts with '.' or '-'",
                                 "「.」や「-」で始まる名前は使えません" };
  static const name_why CHARS = {
    "the name has a character other than letters, digits, '.', '_' and '-'",
    "使えない文字（英数字・日本語と . _ - 以外）を含んでいます" };
  static const name_why NFC = { "the name is not in Unicode normalisation form NFC",
                                "名前が Unicode 正規化形式 NFC ではありません" };
  size_t len = strlen(name);
  if(len == 0)
    return &EMPTY;
  if(len > NAME_MAX_BYTES)
    return &LONG;
  if(strchr(name, '/') || strchr(name, '\\'))
    return &PATH;
  if(!g_utf8_validate(name, (gssize)len, NULL))
    return &UTF8;
  if(name[0] == '.' || name[0] == '-')
    return &LEAD;
  for(const char *p = name; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if(c < 0x80) {
      if(!g_ascii_isalnum((char)c) && c != '.' && c != '_' && c != '-')
        return &CHARS;
      continue;
    }
    switch(g_unichar_type(c)) {
    case G_UNICODE_LOWERCASE_LETTER: case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER: case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER: case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK: case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_DECIMAL_NUMBER: case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      break;
    default:
      return &CHARS;
    }
  }
  g_autofree char *nfc = g_utf8_normalize(name, (gssize)len, G_NORMALIZE_NFC);
  if(!nfc || strcmp(nfc, name) != 0)
    return &NFC;
  return NULL;
}

/* The attachment type a name's extension stands for (the form's .xml is not
 * one). */
static const char *attachment_type(const char *name)
{
  static const struct { const char *ext, *type; } map[] = {
    { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
    { ".png", "image/png" }, { ".pdf", "application/pdf" },
  };
  const char *dot = strrchr(name, '.');
  if(!dot)
    return NULL;
  for(size_t i = 0; i < G_N_ELEMENTS(map); i++)
    if(g_ascii_strcasecmp(dot, map[i].ext) == 0)
      return map[i].type;
  return NULL;
}

/* [P] The signatures of the formats (JPEG SOI + marker, PNG, PDF). */
static gboolean magic_matches(const char *type, const guint8 *d, gsize n)
{
  if(strcmp(type, "image/jpeg") == 0)
    return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
  if(strcmp(type, "image/png") == 0)
    return n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0;
  return n >= 5 && memcmp(d, "%PDF-", 5) == 0;
}

static void hex_lower(const guint8 *b, gsize n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for(gsize i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static void sha256(const void *data, gsize len, guint8 out[32])
{
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(c, data, (gssize)len);
  gsize n = 32;
  g_checksum_get_digest(c, out, &n);
  g_checksum_free(c);
}

/* read() until n bytes or the end of the file; -1 with errno on error. */
static gssize read_full(int fd, guint8 *buf, gsize n)
{
  gsize got = 0;
  while(got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0)
      return -1;
    if(r == 0)
      break;
    got += (gsize)r;
  }
  return (gssize)got;
}

/* ---- the builder ---- */

static void attachment_free(gpointer p)
{
  attachment *a = p;
  g_free(a->attachment_id);
  g_free(a->path);
  g_free(a->name);
  g_free(a);
}

const char *mp_package_builder_proc_id(const mp_package_builder *b)
{
  return b->proc_id;
}

mp_package_builder *mp_package_builder_new(const char *proc_id, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if(!id_valid(proc_id)) {
    g_autofree char *s = shown(proc_id);
    package_error(error, "proc_id",
                  "手続 ID の形式が正しくありません（英数字と . _ - の 1～64 文字）。"
                  "手続を選び直してください。",
                  "proc_id \"%s\" is not 1-64 of A-Z a-z 0-9 . _ -", s);
    return NULL;
  }
  /* libxml2 must be initialised before threads use it: a builder is
   * usually made on the main thread, its package written on a worker. */
  xmlInitParser();
  mp_package_builder *b = g_new0(mp_package_builder, 1);
  b->proc_id = g_strdup(proc_id);
  b->attachments = g_ptr_array_new_with_free_func(attachment_free);
  b->folded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  /* The two names the package uses itself. */
  g_hash_table_add(b->folded, g_utf8_casefold(KOUSEI_NAME, -1));
  g_hash_table_add(b->folded, g_utf8_casefold(FORM_NAME, -1));
  return b;
}

void mp_package_builder_free(mp_package_builder *b)
{
  if(!b)
    return;
  g_free(b->proc_id);
  if(b->form_xml)
    g_bytes_unref(b->form_xml);
  g_ptr_array_unref(b->attachments);
  g_hash_table_destroy(b->folded);
  g_free(b);
}

/* ---- the form: JSON to the catalogue's XML ---- */

/* Every finding of one set_form call: all of them go into the report, so
 * that a broken form is fixed in one go. */
typedef struct form_check {
  mp_problem *problem;
  char *first;   /* English, for the GError */
  guint n;
} form_check;

static void form_finding(form_check *fc, const char *item, const char *ja,
                         const char *format, ...) G_GNUC_PRINTF(4, 5);
static void form_finding(form_check *fc, const char *item, const char *ja,
                         const char *format, ...)
{
  mp_problem_add_report(fc->problem, item, ja);
  if(fc->n++ == 0) {
    va_list ap;
    va_start(ap, format);
    fc->first = g_strdup_vprintf(format, ap);
    va_end(ap);
  }
}

/* The text of a value that the form XML can carry (a string, an integer, a
 * boolean), or NULL with the finding reported under item. where is the key
 * path for the message ("items.child_name"). */
static char *value_text(form_check *fc, JsonNode *v, const char *item,
                        const char *where)
{
  if(JSON_NODE_HOLDS_NULL(v)) {
    form_finding(fc, item, "値が null です。入力しない項目は送らないでください。",
                 "%s is null; leave the key out instead", where);
    return NULL;
  }
  if(!JSON_NODE_HOLDS_VALUE(v)) {
    form_finding(fc, item, "値は文字列・整数・真偽値のどれかにしてください。",
                 "%s is an array or object; a value is a string, an integer or "
                 "a boolean", where);
    return NULL;
  }
  GType t = json_node_get_value_type(v);
  if(t == G_TYPE_BOOLEAN)
    return g_strdup(json_node_get_boolean(v) ? "true" : "false");
  if(t == G_TYPE_INT64)
    return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(v));
  if(t != G_TYPE_STRING) {
    form_finding(fc, item, "数値は整数にしてください（小数や指数表記は使えません）。",
                 "%s is not an integer", where);
    return NULL;
  }
  const char *s = json_node_get_string(v);
  if(!g_utf8_validate(s, -1, NULL)) {
    form_finding(fc, item, "文字列が UTF-8 ではありません。",
                 "%s is not UTF-8", where);
    return NULL;
  }
  for(const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    /* Line breaks are answers (理由, 状況); other control characters and
     * the two non-characters XML cannot hold are not. */
    if(c == '\n' || c == '\r')
      continue;
    if(g_unichar_iscntrl(c) || c == 0xFFFE || c == 0xFFFF) {
      form_finding(fc, item, "入力に制御文字か、XML で表せない文字が含まれています。"
                   "取り除いてください。",
                   "%s holds U+%04X (a control character, or one XML cannot carry)",
                   where, (unsigned)c);
      return NULL;
    }
  }
  return g_strdup(s);
}

/* xmlTextWriter calls return < 0 only when memory runs out or the writer is
 * misused; either way the form cannot be written. */
typedef struct xw {
  xmlTextWriterPtr w;
  gboolean failed;
} xw;

static void xw_start(xw *x, const char *name)
{
  x->failed |= xmlTextWriterStartElement(x->w, BAD_CAST name) < 0;
}

static void xw_attr(xw *x, const char *name, const char *value)
{
  x->failed |= xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0;
}

static void xw_text(xw *x, const char *text)
{
  x->failed |= xmlTextWriterWriteString(x->w, BAD_CAST text) < 0;
}

static void xw_end(xw *x)
{
  x->failed |= xmlTextWriterEndElement(x->w) < 0;
}

/* The fields of one object ("items" or an entry of a group) as <item>s.
 * scope is the report item's prefix ("form" or "form.children[2]"), where
 * the key path for messages ("items" or "groups.children[2]"). */
static void write_items(form_check *fc, xw *x, JsonObject *o, const char *scope,
                        const char *where)
{
  JsonObjectIter it;
  const char *key;
  JsonNode *v;
  json_object_iter_init_ordered(&it, o);
  while(json_object_iter_next_ordered(&it, &key, &v)) {
    g_autofree char *k = shown(key);
    if(!field_id_valid(key)) {
      form_finding(fc, "form", "項目の ID の形式が正しくありません（英小文字で始まる"
                   "英小文字・数字・_ の 64 文字まで）。",
                   "%s: \"%s\" is not a field id ([a-z][a-z0-9_]{0,63})", where, k);
      continue;
    }
    g_autofree char *item = g_strdup_printf("%s.%s", scope, key);
    g_autofree char *path = g_strdup_printf("%s.%s", where, key);
    g_autofree char *text = value_text(fc, v, item, path);
    if(!text)
      continue;
    xw_start(x, "item");
    xw_attr(x, "id", key);
    xw_text(x, text);
    xw_end(x);
  }
}

static void write_groups(form_check *fc, xw *x, JsonNode *groups)
{
  if(!JSON_NODE_HOLDS_OBJECT(groups)) {
    form_finding(fc, "form", "groups は繰り返しの欄ごとの配列をまとめたオブジェクトにしてください。",
                 "\"groups\" is not an object");
    return;
  }
  JsonObjectIter it;
  const char *key;
  JsonNode *v;
  json_object_iter_init_ordered(&it, json_node_get_object(groups));
  while(json_object_iter_next_ordered(&it, &key, &v)) {
    g_autofree char *k = shown(key);
    if(!field_id_valid(key)) {
      form_finding(fc, "form", "繰り返しの欄の ID の形式が正しくありません（英小文字で"
                   "始まる英小文字・数字・_ の 64 文字まで）。",
                   "groups: \"%s\" is not a section id ([a-z][a-z0-9_]{0,63})", k);
      continue;
    }
    g_autofree char *gitem = g_strdup_printf("form.%s", key);
    if(!JSON_NODE_HOLDS_ARRAY(v)) {
      form_finding(fc, gitem, "繰り返しの欄は、1 件ごとのオブジェクトの配列にしてください。",
                   "groups.%s is not an array of entries", key);
      continue;
    }
    JsonArray *entries = json_node_get_array(v);
    xw_start(x, "group");
    xw_attr(x, "id", key);
    for(guint i = 0; i < json_array_get_length(entries); i++) {
      JsonNode *e = json_array_get_element(entries, i);
      g_autofree char *scope = g_strdup_printf("form.%s[%u]", key, i + 1);
      g_autofree char *where = g_strdup_printf("groups.%s[%u]", key, i + 1);
      if(!JSON_NODE_HOLDS_OBJECT(e)) {
        form_finding(fc, scope, "繰り返しの欄の 1 件は、項目 ID と値のオブジェクトにしてください。",
                     "%s is not an object", where);
        continue;
      }
      xw_start(x, "entry");
      write_items(fc, x, json_node_get_object(e), scope, where);
      xw_end(x);
    }
    xw_end(x);
  }
}

static void write_consents(form_check *fc, xw *x, JsonNode *list)
{
  if(!JSON_NODE_HOLDS_ARRAY(list)) {
    form_finding(fc, "form", "linkage_consent は添付書類 ID の配列にしてください。",
                 "\"linkage_consent\" is not an array");
    return;
  }
  JsonArray *a = json_node_get_array(list);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for(guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    const char *id = JSON_NODE_HOLDS_VALUE(e) &&
                         json_node_get_value_type(e) == G_TYPE_STRING
                       ? json_node_get_string(e) : NULL;
    if(!field_id_valid(id)) {
      form_finding(fc, "attachment", "情報連携への同意は、添付書類の ID（英小文字で始まる"
                   "英小文字・数字・_ の 64 文字まで）で指定してください。",
                   "linkage_consent[%u] is not an attachment id ([a-z][a-z0-9_]{0,63})",
                   i);
      continue;
    }
    g_autofree char *item = g_strdup_printf("attachment:%s", id);
    if(g_hash_table_contains(seen, id)) {
      form_finding(fc, item, "同じ添付書類への同意が 2 回あります。1 回にしてください。",
                   "linkage_consent names \"%s\" twice", id);
      continue;
    }
    g_hash_table_add(seen, (gpointer)id);
    xw_start(x, "linkage-consent");
    xw_attr(x, "attachment", id);
    xw_end(x);
  }
}

/* Deterministic: the same JSON (keys in the same order) gives the same
 * bytes. items first, then groups, then the consents; the order of
 * elements means nothing to the catalogue. */
static GBytes *form_xml_from_json(const char *proc_id, JsonNode *form,
                                  form_check *fc, GError **error)
{
  xmlBufferPtr buf = xmlBufferCreate();
  xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
  if(!w) {
    if(buf)
      xmlBufferFree(buf);
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "out of memory writing the form XML");
    return NULL;
  }
  xw x = { w, FALSE };
  x.failed |= xmlTextWriterSetIndent(w, 1) < 0;
  x.failed |= xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0;
  x.failed |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
  x.failed |= xmlTextWriterStartElementNS(w, NULL, BAD_CAST "form", BAD_CAST FORM_NS) < 0;
  xw_attr(&x, "proc_id", proc_id);

  JsonNode *items = NULL, *groups = NULL, *consents = NULL;
  if(!JSON_NODE_HOLDS_OBJECT(form)) {
    form_finding(fc, "form", "申請内容は items・groups・linkage_consent を持つオブジェクトにしてください。",
                 "the form data is not a JSON object");
  } else {
    JsonObjectIter it;
    const char *key;
    JsonNode *v;
    json_object_iter_init_ordered(&it, json_node_get_object(form));
    while(json_object_iter_next_ordered(&it, &key, &v)) {
      if(strcmp(key, "items") == 0) {
        items = v;
      } else if(strcmp(key, "groups") == 0) {
        groups = v;
      } else if(strcmp(key, "linkage_consent") == 0) {
        consents = v;
      } else {
        g_autofree char *k = shown(key);
        form_finding(fc, "form", "申請内容に使えないキーがあります（items・groups・"
                     "linkage_consent だけが使えます）。",
                     "unknown key \"%s\" in the form data (only items, groups and "
                     "linkage_consent)", k);
      }
    }
  }
  if(items) {
    if(JSON_NODE_HOLDS_OBJECT(items))
      write_items(fc, &x, json_node_get_object(items), "form", "items");
    else
      form_finding(fc, "form", "items は項目 ID と値のオブジェクトにしてください。",
                   "\"items\" is not an object");
  }
  if(groups)
    write_groups(fc, &x, groups);
  if(consents)
    write_consents(fc, &x, consents);

  xw_end(&x);
  x.failed |= xmlTextWriterEndDocument(w) < 0;
  xmlFreeTextWriter(w); /* flushes into buf */
  GBytes *out = NULL;
  if(x.failed) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "the form XML could not be written");
  } else if(fc->n == 0) {
    out = g_bytes_new(xmlBufferContent(buf), (gsize)xmlBufferLength(buf));
  }
  xmlBufferFree(buf);
  return out;
}

gboolean mp_package_builder_set_form(mp_package_builder *b, JsonNode *form,
                                     GError **error)
{
  g_return_val_if_fail(b != NULL && form != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  form_check fc = { mp_problem_new(), NULL, 0 };
  GError *local = NULL;
  GBytes *xml = form_xml_from_json(b->proc_id, form, &fc, &local);
  gboolean ok = FALSE;
  if(local) {
    g_propagate_error(error, local);
  } else if(fc.n) {
    if(fc.n == 1)
      mp_set_error(error, MP_ERROR_PACKAGE, fc.problem,
                   "the form data cannot be written as form XML: %s", fc.first);
    else
      mp_set_error(error, MP_ERROR_PACKAGE, fc.problem,
                   "the form data cannot be written as form XML: %s (and %u more)",
                   fc.first, fc.n - 1);
  } else if(g_bytes_get_size(xml) > MAX_FORM_XML) {
    package_error(error, "form", "申請内容が大きすぎます（1 MiB まで）。",
                  "the form XML has %" G_GSIZE_FORMAT " bytes; the portal reads at "
                  "most %u", g_bytes_get_size(xml), MAX_FORM_XML);
  } else {
    if(b->form_xml)
      g_bytes_unref(b->form_xml);
    b->form_xml = g_steal_pointer(&xml);
    ok = TRUE;
  }
  if(xml)
    g_bytes_unref(xml);
  mp_problem_free(fc.problem);
  g_free(fc.first);
  return ok;
}

gboolean mp_package_builder_set_form_xml(mp_package_builder *b, GBytes *xml,
                                         GError **error)
{
  g_return_val_if_fail(b != NULL && xml != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  /* Carried as it is: whether it is a good form is the portal's check (and
   * tools use this to send bad ones). Only what can never be accepted is
   * refused here. */
  gsize n = g_bytes_get_size(xml);
  if(n == 0 || n > MAX_FORM_XML) {
    package_error(error, "form", "申請内容の XML が空か、大きすぎます（1 MiB まで）。",
                  "the form XML has %" G_GSIZE_FORMAT " bytes; it must have 1 to %u",
                  n, MAX_FORM_XML);
    return FALSE;
  }
  if(b->form_xml)
    g_bytes_unref(b->form_xml);
  b->form_xml = g_bytes_ref(xml);
  return TRUE;
}

GBytes *mp_package_builder_form_xml(mp_package_builder *b)
{
  g_return_val_if_fail(b != NULL, NULL);
  return b->form_xml ? g_bytes_ref(b->form_xml) : NULL;
}

/* ---- attachments ---- */

/* Reads the whole file in CHUNK pieces: its SHA-256, its first bytes (for
 * the magic) and how many bytes there were. FALSE with errno on a read
 * error. */
static gboolean hash_fd(int fd, guint8 digest[32], guint8 head[8], gsize *head_len,
                        guint64 *total)
{
  g_autofree guint8 *buf = g_malloc(CHUNK);
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  *total = 0;
  *head_len = 0;
  for(;;) {
    gssize n = read_full(fd, buf, CHUNK);
    if(n < 0) {
      int e = errno;
      g_checksum_free(c);
      errno = e;
      return FALSE;
    }
    if(n == 0)
      break;
    if(*total == 0) {
      *head_len = MIN((gsize)n, 8);
      memcpy(head, buf, *head_len);
    }
    g_checksum_update(c, buf, n);
    *total += (guint64)n;
  }
  gsize dl = 32;
  g_checksum_get_digest(c, digest, &dl);
  g_checksum_free(c);
  return TRUE;
}

gboolean mp_package_builder_add_attachment(mp_package_builder *b,
                                           const char *attachment_id,
                                           const char *path, const char *name,
                                           GError **error)
{
  g_return_val_if_fail(b != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autofree char *base = name ? NULL : g_path_get_basename(path);
  const char *n = name ? name : base;
  g_autofree char *sn = shown(n);
  g_autofree char *item = g_strdup_printf("attachment:%s", sn);

  if(!id_valid(attachment_id)) {
    g_autofree char *s = shown(attachment_id);
    package_error(error, item, "添付書類の ID の形式が正しくありません（英数字と . _ - の 1～64 文字）。",
                  "attachment id \"%s\" for %s is not 1-64 of A-Z a-z 0-9 . _ -", s, sn);
    return FALSE;
  }
  const name_why *why = name_problem(n);
  if(why) {
    g_autofree char *ja = g_strdup_printf(
      "ファイル名が使えません（%s）。英数字・日本語と . _ - だけの名前（128 バイトまで）"
      "にしてください。", why->ja);
    package_error(error, item, ja, "the file name \"%s\" is not allowed in the package: %s%s",
                  sn, why->en, name ? "" : " (pass a name for the file)");
    return FALSE;
  }
  g_autofree char *folded = g_utf8_casefold(n, -1);
  if(g_strcmp0(folded, KOUSEI_NAME) == 0 || g_strcmp0(folded, FORM_NAME) == 0) {
    package_error(error, item, "この名前（" KOUSEI_NAME "・" FORM_NAME "）は申請データ自身が"
                  "使います。別の名前にしてください。",
                  "the name \"%s\" is the package's own (" KOUSEI_NAME ", " FORM_NAME ")", sn);
    return FALSE;
  }
  const char *type = attachment_type(n);
  if(!type) {
    package_error(error, item, "添付できるのは JPEG（.jpg・.jpeg）、PNG（.png）、PDF（.pdf）"
                  "のファイルだけです。",
                  "\"%s\" does not end in .jpg, .jpeg, .png or .pdf", sn);
    return FALSE;
  }
  if(g_hash_table_contains(b->folded, folded)) {
    package_error(error, item, "同じ名前（大文字・小文字の違いを除く）のファイルがすでに"
                  "あります。別の名前にしてください。",
                  "another file is already named \"%s\" (upper and lower case are "
                  "not told apart)", sn);
    return FALSE;
  }
  if(b->attachments->len >= MAX_ATTACHMENTS) {
    package_error(error, item, "添付できるファイルは 62 個までです。",
                  "a package takes at most %u attachments", MAX_ATTACHMENTS);
    return FALSE;
  }

  /* O_NONBLOCK: a FIFO or device named by mistake must not hang here; it
   * is refused below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if(fd < 0) {
    int e = errno;
    package_error(error, item, "ファイルを開けません。ファイルがあること、読み取れることを"
                  "確認してください。", "cannot open %s: %s", path, g_strerror(e));
    return FALSE;
  }
  struct stat st;
  if(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    package_error(error, item, "通常のファイルではありません。添付するファイルを選び直して"
                  "ください。", "%s is not a regular file", path);
    return FALSE;
  }
  guint64 size = (guint64)st.st_size;
  if(size > MAX_FILE_SIZE || b->attachment_total + size > MAX_ATTACHMENT_TOTAL) {
    close(fd);
    package_error(error, item, "ファイルが大きすぎます（1 ファイル 32 MiB、合計 46 MiB まで）。"
                  "解像度を下げるなどして小さくしてください。",
                  "%s has %" G_GUINT64_FORMAT " bytes; the portal takes at most %u per "
                  "file and %u for all attachments", path, size, MAX_FILE_SIZE,
                  MAX_ATTACHMENT_TOTAL);
    return FALSE;
  }
  guint8 digest[32], head[8];
  gsize head_len = 0;
  guint64 total = 0;
  gboolean read_ok = hash_fd(fd, digest, head, &head_len, &total);
  int e = errno;
  close(fd);
  if(!read_ok) {
    package_error(error, item, "ファイルを読み取れません。ファイルを確認してください。",
                  "cannot read %s: %s", path, g_strerror(e));
    return FALSE;
  }
  if(total != size) {
    package_error(error, item, "読み取り中にファイルが変わりました。ファイルの保存が終わって"
                  "から、もう一度添付してください。",
                  "%s changed while it was read (%" G_GUINT64_FORMAT " bytes, then %"
                  G_GUINT64_FORMAT ")", path, size, total);
    return FALSE;
  }
  if(!magic_matches(type, head, head_len)) {
    g_autofree char *ja = g_strdup_printf(
      "ファイルの内容が %s ではありません（拡張子と中身が合いません）。正しい形式の"
      "ファイルを添付してください。", type);
    package_error(error, item, ja, "%s is named as %s but its content is %s", path, type,
                  size == 0 ? "empty" : "not of that type");
    return FALSE;
  }

  attachment *a = g_new0(attachment, 1);
  a->attachment_id = g_strdup(attachment_id);
  a->path = g_strdup(path);
  a->name = g_strdup(n);
  a->content_type = type;
  a->size = size;
  memcpy(a->sha256, digest, sizeof digest);
  g_ptr_array_add(b->attachments, a);
  g_hash_table_add(b->folded, g_steal_pointer(&folded));
  b->attachment_total += size;
  return TRUE;
}

/* ---- kousei.xml ---- */

static void add_text(xmlNodePtr parent, const char *text)
{
  xmlAddChild(parent, xmlNewText(BAD_CAST text));
}

static xmlNodePtr add_elem(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                           const char *text)
{
  return text ? xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text)
              : xmlNewChild(parent, ns, BAD_CAST name, NULL);
}

static void add_digest_method(xmlNodePtr ref, xmlNsPtr ds)
{
  xmlNodePtr m = add_elem(ref, ds, "DigestMethod", NULL);
  xmlNewProp(m, BAD_CAST "Algorithm", BAD_CAST ALG_SHA256);
}

/* Base64 in lines of 64, as xmlsec writes it. */
static char *base64_lines(const guint8 *d, gsize n)
{
  g_autofree char *b64 = g_base64_encode(d, n);
  GString *s = g_string_new(NULL);
  size_t len = strlen(b64);
  for(size_t i = 0; i < len; i += 64) {
    if(i)
      g_string_append_c(s, '\n');
    g_string_append_len(s, b64 + i, (gssize)MIN(64, len - i));
  }
  return g_string_free(s, FALSE);
}

static char *base64_digest(const guint8 d[32])
{
  return g_base64_encode(d, 32);
}

/* The C14N document subset "top and everything under it": for an element
 * node, attribute or text, whether it is top or below top; for a namespace
 * node, whether the element it belongs to (parent) is. This is the node set
 * of a same-document Reference (#構成情報) and of SignedInfo: the namespaces
 * in scope, such as Signature's default xmlns, are rendered on the apex. */
static int subtree_visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
  xmlNodePtr top = user;
  xmlNodePtr n = node && node->type == XML_NAMESPACE_DECL ? parent : node;
  for(; n; n = n->parent)
    if(n == top)
      return 1;
  return 0;
}

/* C14N 1.0 without comments of top's subtree. */
static GBytes *c14n_subtree(xmlDocPtr doc, xmlNodePtr top)
{
  xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
  if(!ob)
    return NULL;
  int rc = xmlC14NExecute(doc, subtree_visible, top, XML_C14N_1_0, NULL, 0, ob);
  GBytes *r = NULL;
  if(rc >= 0)
    r = g_bytes_new(xmlOutputBufferGetContent(ob), xmlOutputBufferGetSize(ob));
  xmlOutputBufferClose(ob);
  return r;
}

/* The one element called name among node's children (no namespace check:
 * used only on documents built here). */
static xmlNodePtr child_named(xmlNodePtr node, const char *name)
{
  for(xmlNodePtr c = node ? node->children : NULL; c; c = c->next)
    if(c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

typedef struct kousei_parts {
  xmlDocPtr doc;
  xmlNodePtr kousei_elem;   /* 構成情報 */
  xmlNodePtr signed_info;
  xmlNodePtr kousei_digest; /* its DigestValue */
  xmlNodePtr signature_value;
  xmlNodePtr certificate;   /* X509Certificate */
} kousei_parts;

/* kousei.xml up to the values that need the canonical forms: 構成情報 in
 * full, SignedInfo with the files' digests. Line breaks between elements,
 * as in the format's example, are real text nodes of the tree: they are
 * signed and serialised exactly as they are. */
static void kousei_build(kousei_parts *k, const mp_package_builder *b,
                         const char *cert_sha256_hex, const guint8 form_sha256[32])
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "kousei", NULL);
  xmlDocSetRootElement(doc, root);
  xmlNewProp(root, BAD_CAST "version", BAD_CAST "1");
  add_text(root, "\n");

  xmlNodePtr ks = add_elem(root, NULL, KOUSEI_ID, NULL);
  xmlNewProp(ks, BAD_CAST "Id", BAD_CAST KOUSEI_ID);
  add_text(ks, "\n");
  add_elem(ks, NULL, "proc_id", b->proc_id);
  add_text(ks, "\n");
  xmlNodePtr ap = add_elem(ks, NULL, "applicant", NULL);
  add_text(ap, "\n");
  add_elem(ap, NULL, "sign_cert_sha256", cert_sha256_hex);
  add_text(ap, "\n");
  add_text(ks, "\n");
  xmlNodePtr files = add_elem(ks, NULL, "files", NULL);
  add_text(files, "\n");
  char size[32];
  xmlNodePtr f = add_elem(files, NULL, "file", NULL);
  xmlNewProp(f, BAD_CAST "role", BAD_CAST "form");
  xmlNewProp(f, BAD_CAST "name", BAD_CAST FORM_NAME);
  xmlNewProp(f, BAD_CAST "content_type", BAD_CAST "application/xml");
  g_snprintf(size, sizeof size, "%" G_GSIZE_FORMAT, g_bytes_get_size(b->form_xml));
  xmlNewProp(f, BAD_CAST "size", BAD_CAST size);
  add_text(files, "\n");
  for(guint i = 0; i < b->attachments->len; i++) {
    const attachment *a = g_ptr_array_index(b->attachments, i);
    f = add_elem(files, NULL, "file", NULL);
    xmlNewProp(f, BAD_CAST "role", BAD_CAST "attachment");
    xmlNewProp(f, BAD_CAST "name", BAD_CAST a->name);
    xmlNewProp(f, BAD_CAST "attachment_id", BAD_CAST a->attachment_id);
    xmlNewProp(f, BAD_CAST "content_type", BAD_CAST a->content_type);
    g_snprintf(size, sizeof size, "%" G_GUINT64_FORMAT, a->size);
    xmlNewProp(f, BAD_CAST "size", BAD_CAST size);
    add_text(files, "\n");
  }
  add_text(ks, "\n");
  add_text(root, "\n");

  xmlNodePtr sig = add_elem(root, NULL, "Signature", NULL);
  xmlNsPtr ds = xmlNewNs(sig, BAD_CAST DSIG_NS, NULL);
  xmlSetNs(sig, ds);
  add_text(sig, "\n");
  xmlNodePtr si = add_elem(sig, ds, "SignedInfo", NULL);
  add_text(si, "\n");
  xmlNodePtr m = add_elem(si, ds, "CanonicalizationMethod", NULL);
  xmlNewProp(m, BAD_CAST "Algorithm", BAD_CAST ALG_C14N10);
  add_text(si, "\n");
  m = add_elem(si, ds, "SignatureMethod", NULL);
  xmlNewProp(m, BAD_CAST "Algorithm", BAD_CAST ALG_RSA_SHA256);
  add_text(si, "\n");

  xmlNodePtr ref = add_elem(si, ds, "Reference", NULL);
  xmlNewProp(ref, BAD_CAST "URI", BAD_CAST "#" KOUSEI_ID);
  xmlNodePtr tr = add_elem(add_elem(ref, ds, "Transforms", NULL), ds, "Transform", NULL);
  xmlNewProp(tr, BAD_CAST "Algorithm", BAD_CAST ALG_C14N10);
  add_digest_method(ref, ds);
  k->kousei_digest = add_elem(ref, ds, "DigestValue", NULL);
  add_text(si, "\n");

  g_autofree char *form_b64 = base64_digest(form_sha256);
  ref = add_elem(si, ds, "Reference", NULL);
  xmlNewProp(ref, BAD_CAST "URI", BAD_CAST FORM_NAME);
  add_digest_method(ref, ds);
  add_elem(ref, ds, "DigestValue", form_b64);
  add_text(si, "\n");
  for(guint i = 0; i < b->attachments->len; i++) {
    const attachment *a = g_ptr_array_index(b->attachments, i);
    g_autofree char *b64 = base64_digest(a->sha256);
    /* The name itself is the URI: allowed names need no escaping. */
    ref = add_elem(si, ds, "Reference", NULL);
    xmlNewProp(ref, BAD_CAST "URI", BAD_CAST a->name);
    add_digest_method(ref, ds);
    add_elem(ref, ds, "DigestValue", b64);
    add_text(si, "\n");
  }
  add_text(sig, "\n");
  k->signature_value = add_elem(sig, ds, "SignatureValue", NULL);
  add_text(sig, "\n");
  xmlNodePtr x509 = add_elem(add_elem(sig, ds, "KeyInfo", NULL), ds, "X509Data", NULL);
  k->certificate = add_elem(x509, ds, "X509Certificate", NULL);
  add_text(sig, "\n");
  add_text(root, "\n");

  k->doc = doc;
  k->kousei_elem = ks;
  k->signed_info = si;
}

/* The signer's certificate: parsed (its key checks the signature below)
 * and fingerprinted for applicant/sign_cert_sha256. */
static X509 *parse_certificate(GBytes *der, char hex[65], GError **error)
{
  gsize n = 0;
  const unsigned char *p = g_bytes_get_data(der, &n);
  const unsigned char *end = p + n;
  X509 *x = d2i_X509(NULL, &p, (long)n);
  if(!x || p != end) {
    X509_free(x);
    package_error(error, "signature.key_info", "署名用電子証明書を読み取れませんでした。"
                  "カードを確認してください。",
                  "the signer's certificate is not one DER X.509 certificate");
    return NULL;
  }
  guint8 md[32];
  sha256(g_bytes_get_data(der, NULL), n, md);
  hex_lower(md, sizeof md, hex);
  return x;
}

/* The signature must verify with the certificate that goes into KeyInfo:
 * a card whose key and certificate disagree, or a signer for another key,
 * would otherwise make a package that only the portal rejects. */
static gboolean signature_matches(X509 *cert, const guint8 hash[32], GBytes *sig,
                                  GError **error)
{
  EVP_PKEY *key = X509_get0_pubkey(cert);
  EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
  gsize n = 0;
  const guint8 *s = g_bytes_get_data(sig, &n);
  gboolean ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
                EVP_PKEY_verify(ctx, s, n, hash, 32) == 1;
  EVP_PKEY_CTX_free(ctx);
  if(!ok) {
    package_error(error, "signature.value", "署名を確認できませんでした。署名用電子証明書の"
                  "カードで署名し直してください。",
                  "the signer's RSA-SHA256 signature does not verify with its own "
                  "certificate (wrong key, or not an RSA key)");
  }
  return ok;
}

/* Both canonical forms of the serialised document, parsed again, must be
 * the bytes that were digested and signed: the writer and the parser agree,
 * or the package is not written. */
static gboolean reparse_check(const xmlChar *xml, int len, GBytes *kousei_c14n,
                              GBytes *si_c14n, GError **error)
{
  xmlDocPtr doc = xmlReadMemory((const char *)xml, len, KOUSEI_NAME, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  xmlNodePtr ks = child_named(root, KOUSEI_ID);
  xmlNodePtr si = child_named(child_named(root, "Signature"), "SignedInfo");
  GBytes *a = ks ? c14n_subtree(doc, ks) : NULL;
  GBytes *b = si ? c14n_subtree(doc, si) : NULL;
  gboolean ok = a && b && g_bytes_equal(a, kousei_c14n) && g_bytes_equal(b, si_c14n);
  if(a)
    g_bytes_unref(a);
  if(b)
    g_bytes_unref(b);
  if(doc)
    xmlFreeDoc(doc);
  if(!ok)
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "kousei.xml does not canonicalise, once "
                 "written, to the bytes that were signed");
  return ok;
}

/* Builds and signs kousei.xml; the serialised document. */
static GBytes *kousei_sign(const mp_package_builder *b, mp_signer *signer,
                           const guint8 form_sha256[32], char cert_hex[65],
                           GError **error)
{
  g_autoptr(GBytes) der = mp_signer_certificate(signer, error);
  if(!der)
    return NULL;
  X509 *cert = parse_certificate(der, cert_hex, error);
  if(!cert)
    return NULL;

  kousei_parts k = { 0 };
  kousei_build(&k, b, cert_hex, form_sha256);
  GBytes *out = NULL;
  GBytes *sig = NULL;
  GBytes *si_c14n = NULL;
  GBytes *kousei_c14n = c14n_subtree(k.doc, k.kousei_elem);
  if(!kousei_c14n) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "C14N of " KOUSEI_ID " failed");
    goto out;
  }
  guint8 md[32];
  sha256(g_bytes_get_data(kousei_c14n, NULL), g_bytes_get_size(kousei_c14n), md);
  char *b64 = base64_digest(md);
  add_text(k.kousei_digest, b64);
  g_free(b64);

  si_c14n = c14n_subtree(k.doc, k.signed_info);
  if(!si_c14n) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "C14N of SignedInfo failed");
    goto out;
  }
  sha256(g_bytes_get_data(si_c14n, NULL), g_bytes_get_size(si_c14n), md);
  sig = mp_signer_sign_sha256(signer, md, error);
  if(!sig || !signature_matches(cert, md, sig, error))
    goto out;
  gsize n = 0;
  const guint8 *s = g_bytes_get_data(sig, &n);
  b64 = base64_lines(s, n);
  add_text(k.signature_value, b64);
  g_free(b64);
  s = g_bytes_get_data(der, &n);
  b64 = base64_lines(s, n);
  add_text(k.certificate, b64);
  g_free(b64);

  /* No formatting: the text nodes are the layout. */
  xmlChar *xml = NULL;
  int len = 0;
  xmlDocDumpFormatMemoryEnc(k.doc, &xml, &len, "UTF-8", 0);
  if(!xml) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "kousei.xml could not be serialised");
    goto out;
  }
  if(reparse_check(xml, len, kousei_c14n, si_c14n, error))
    out = g_bytes_new(xml, (gsize)len);
  xmlFree(xml);

out:
  if(kousei_c14n)
    g_bytes_unref(kousei_c14n);
  if(si_c14n)
    g_bytes_unref(si_c14n);
  if(sig)
    g_bytes_unref(sig);
  xmlFreeDoc(k.doc);
  X509_free(cert);
  return out;
}

/* ---- the ZIP ---- */

/* One attachment as libzip reads it at zip_close: from its file, in CHUNK
 * pieces, hashed on the way. Owned by the writer, not by the source (its
 * verdict is read after zip_close has freed the source). */
typedef struct att_reader {
  const attachment *att;
  int fd;
  guint8 *buf;
  gsize buf_len, buf_pos;
  guint64 done;
  GChecksum *sum;
  gboolean at_end;     /* this pass read to the end and matched */
  gboolean changed;    /* some pass saw other bytes than were signed */
  guint matched;       /* passes that read to the end and matched */
  zip_error_t zerr;
} att_reader;

/* Fills r->buf; at the end of the file, decides whether the bytes were the
 * signed ones. FALSE with r->zerr set when the source must fail. */
static gboolean att_refill(att_reader *r)
{
  gssize n = read_full(r->fd, r->buf, CHUNK);
  if(n < 0) {
    zip_error_set(&r->zerr, ZIP_ER_READ, errno);
    return FALSE;
  }
  if(n == 0) {
    guint8 md[32];
    gsize dl = sizeof md;
    g_checksum_get_digest(r->sum, md, &dl);
    if(r->done != r->att->size || memcmp(md, r->att->sha256, sizeof md) != 0) {
      r->changed = TRUE;
      zip_error_set(&r->zerr, ZIP_ER_INCONS, 0);
      return FALSE;
    }
    r->at_end = TRUE;
    r->matched++;
    return TRUE;
  }
  if(r->done + (guint64)n > r->att->size) {
    /* It grew: fail now rather than write more than was signed. */
    r->changed = TRUE;
    zip_error_set(&r->zerr, ZIP_ER_INCONS, 0);
    return FALSE;
  }
  g_checksum_update(r->sum, r->buf, n);
  r->done += (guint64)n;
  r->buf_len = (gsize)n;
  r->buf_pos = 0;
  return TRUE;
}

static zip_int64_t att_source(void *user, void *data, zip_uint64_t len,
                              zip_source_cmd_t cmd)
{
  att_reader *r = user;
  switch(cmd) {
  case ZIP_SOURCE_OPEN:
    r->fd = open(r->att->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if(r->fd < 0) {
      zip_error_set(&r->zerr, ZIP_ER_OPEN, errno);
      return -1;
    }
    g_checksum_reset(r->sum);
    r->done = 0;
    r->buf_len = r->buf_pos = 0;
    r->at_end = FALSE;
    return 0;
  case ZIP_SOURCE_READ: {
    guint8 *out = data;
    zip_uint64_t given = 0;
    while(given < len) {
      if(r->buf_pos == r->buf_len) {
        if(r->at_end)
          break;
        if(!att_refill(r))
          return -1;
        if(r->at_end)
          break;
      }
      gsize k = (gsize)MIN(len - given, (zip_uint64_t)(r->buf_len - r->buf_pos));
      memcpy(out + given, r->buf + r->buf_pos, k);
      r->buf_pos += k;
      given += k;
    }
    return (zip_int64_t)given;
  }
  case ZIP_SOURCE_CLOSE:
  case ZIP_SOURCE_FREE:
    if(r->fd >= 0)
      close(r->fd);
    r->fd = -1;
    return 0;
  case ZIP_SOURCE_STAT: {
    if(len < sizeof(zip_stat_t)) {
      zip_error_set(&r->zerr, ZIP_ER_INVAL, 0);
      return -1;
    }
    zip_stat_t *st = data;
    zip_stat_init(st);
    st->valid = ZIP_STAT_SIZE;
    st->size = r->att->size;
    return (zip_int64_t)sizeof(zip_stat_t);
  }
  case ZIP_SOURCE_ERROR:
    return zip_error_to_data(&r->zerr, data, len);
  case ZIP_SOURCE_SUPPORTS:
    return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                          ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                          ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
  default:
    zip_error_set(&r->zerr, ZIP_ER_OPNOTSUPP, 0);
    return -1;
  }
}

/* Names are UTF-8 and flagged so (general purpose bit 11), or the portal
 * refuses them. libzip 1.7.3 (_zip_dirent_write) sets the bit in both
 * headers when the name is known to be UTF-8 and not ASCII and the entry
 * comment is ASCII or absent; otherwise it clears the bit and writes the
 * Info-ZIP Unicode Path extra field, which the portal does not read. So:
 * names declared ZIP_FL_ENC_UTF_8 (not left to libzip's guess), and no entry
 * comments. The test reads the bit back from both headers. */
static gboolean zip_add_entry(zip_t *za, const char *name, zip_source_t *src,
                        zip_int32_t method, GError **error)
{
  zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
  if(idx < 0) {
    zip_source_free(src);
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot add %s to the ZIP: %s", name,
                 zip_strerror(za));
    return FALSE;
  }
  zip_uint64_t i = (zip_uint64_t)idx;
  if(zip_set_file_compression(za, i, method, 0) != 0 ||
     zip_file_set_dostime(za, i, ZIP_DOS_TIME, ZIP_DOS_DATE, 0) != 0 ||
     zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX,
                                      (zip_uint32_t)ZIP_UNIX_MODE << 16) != 0) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot set up %s in the ZIP: %s", name,
                 zip_strerror(za));
    return FALSE;
  }
  return TRUE;
}

static gboolean zip_add_bytes(zip_t *za, const char *name, GBytes *data, GError **error)
{
  gsize n = 0;
  const void *d = g_bytes_get_data(data, &n);
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t *src = zip_source_buffer_create(d, n, 0, &zerr);
  zip_error_fini(&zerr);
  if(!src) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "out of memory adding %s to the ZIP", name);
    return FALSE;
  }
  return zip_add_entry(za, name, src, ZIP_CM_DEFLATE, error);
}

static void changed_error(GError **error, const attachment *a)
{
  g_autofree char *sn = shown(a->name);
  g_autofree char *item = g_strdup_printf("attachment:%s", sn);
  package_error(error, item, "申請データの作成中に添付ファイルが変わりました。ファイルを"
                "確認して、もう一度添付してください。",
                "the file changed while the application was being prepared: %s (%s)",
                a->path, sn);
}

/* Writes the ZIP to tmp (which exists, empty, 0600). libzip writes to a
 * temporary file of its own next to it and renames it over tmp at
 * zip_close; that file takes tmp's mode. */
static gboolean zip_write(const mp_package_builder *b, GBytes *kousei, const char *tmp,
                          GError **error)
{
  int zerrno = 0;
  zip_t *za = zip_open(tmp, ZIP_TRUNCATE, &zerrno);
  if(!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerrno);
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot create the ZIP %s: %s", tmp,
                 zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return FALSE;
  }
  guint n = b->attachments->len;
  att_reader *readers = g_new0(att_reader, n ? n : 1);
  for(guint i = 0; i < n; i++) {
    readers[i].att = g_ptr_array_index(b->attachments, i);
    readers[i].fd = -1;
    readers[i].buf = g_malloc(CHUNK);
    readers[i].sum = g_checksum_new(G_CHECKSUM_SHA256);
    zip_error_init(&readers[i].zerr);
  }

  gboolean ok = zip_add_bytes(za, KOUSEI_NAME, kousei, error) &&
                zip_add_bytes(za, FORM_NAME, b->form_xml, error);
  for(guint i = 0; ok && i < n; i++) {
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_function_create(att_source, &readers[i], &zerr);
    zip_error_fini(&zerr);
    if(!src) {
      mp_set_error(error, MP_ERROR_PACKAGE, NULL, "out of memory adding %s to the ZIP",
                   readers[i].att->name);
      ok = FALSE;
      break;
    }
    /* JPEG, PNG and PDF are compressed already: stored, they cost no CPU
     * and the portal's compression-ratio check has nothing to weigh. */
    ok = zip_add_entry(za, readers[i].att->name, src, ZIP_CM_STORE, error);
  }
  if(ok && zip_close(za) != 0) {
    ok = FALSE;
    const attachment *changed = NULL;
    for(guint i = 0; i < n && !changed; i++)
      if(readers[i].changed)
        changed = readers[i].att;
    if(changed)
      changed_error(error, changed);
    else
      mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot write the ZIP %s: %s", tmp,
                   zip_strerror(za));
  } else if(ok) {
    za = NULL;
    /* Every attachment went into the ZIP exactly as it was signed. */
    for(guint i = 0; ok && i < n; i++) {
      if(readers[i].changed || readers[i].matched == 0) {
        changed_error(error, readers[i].att);
        ok = FALSE;
      }
    }
  }
  if(za)
    zip_discard(za);
  for(guint i = 0; i < n; i++) {
    if(readers[i].fd >= 0)
      close(readers[i].fd);
    g_free(readers[i].buf);
    g_checksum_free(readers[i].sum);
    zip_error_fini(&readers[i].zerr);
  }
  g_free(readers);
  return ok;
}

/* Hashes the finished file and makes it durable; fills the ZIP's part of
 * info. */
static gboolean finish_file(const char *tmp, guint8 digest[32], guint64 *size,
                            GError **error)
{
  int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if(fd < 0) {
    int e = errno;
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot reopen %s: %s", tmp, g_strerror(e));
    return FALSE;
  }
  guint8 head[8];
  gsize head_len = 0;
  gboolean ok = fchmod(fd, 0600) == 0 && hash_fd(fd, digest, head, &head_len, size) &&
                fsync(fd) == 0;
  int e = errno;
  close(fd);
  if(!ok)
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot write %s: %s", tmp, g_strerror(e));
  return ok;
}

static gboolean fsync_dir(const char *dir, GError **error)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0) {
    int e = errno;
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot open the folder %s: %s", dir,
                 g_strerror(e));
    return FALSE;
  }
  /* Some file systems cannot sync a folder (EINVAL): nothing more to do. */
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if(rc != 0 && e != EINVAL && e != ENOTSUP) {
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot sync the folder %s: %s", dir,
                 g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* Size checks before the card is asked for anything: a file that is already
 * not what was added fails now, not after the signature. */
static gboolean attachments_unchanged(const mp_package_builder *b, GError **error)
{
  for(guint i = 0; i < b->attachments->len; i++) {
    const attachment *a = g_ptr_array_index(b->attachments, i);
    struct stat st;
    if(g_stat(a->path, &st) != 0 || !S_ISREG(st.st_mode) ||
       (guint64)st.st_size != a->size) {
      changed_error(error, a);
      return FALSE;
    }
  }
  return TRUE;
}

void mp_package_info_clear(mp_package_info *info)
{
  if(!info)
    return;
  g_free(info->zip_sha256);
  g_free(info->sign_cert_sha256);
  memset(info, 0, sizeof *info);
}

gboolean mp_package_builder_write(mp_package_builder *b, mp_signer *signer,
                                  const char *zip_path, mp_package_info *info,
                                  GError **error)
{
  g_return_val_if_fail(b != NULL && signer != NULL && zip_path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  if(info)
    memset(info, 0, sizeof *info);
  if(!b->form_xml) {
    package_error(error, "form", "申請内容がありません。",
                  "the package has no form data (set_form first)");
    return FALSE;
  }
  if(!attachments_unchanged(b, error))
    return FALSE;

  guint8 form_md[32];
  sha256(g_bytes_get_data(b->form_xml, NULL), g_bytes_get_size(b->form_xml), form_md);
  char cert_hex[65];
  g_autoptr(GBytes) kousei = kousei_sign(b, signer, form_md, cert_hex, error);
  if(!kousei)
    return FALSE;

  g_autofree char *dir = g_path_get_dirname(zip_path);
  g_autofree char *base = g_path_get_basename(zip_path);
  g_autofree char *tmpl = g_strdup_printf(".%s.XXXXXX", base);
  g_autofree char *tmp = g_build_filename(dir, tmpl, NULL);
  int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
  if(fd < 0) {
    int e = errno;
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot create a file in %s: %s", dir,
                 g_strerror(e));
    return FALSE;
  }
  close(fd);

  guint8 zip_md[32];
  guint64 zip_size = 0;
  if(!zip_write(b, kousei, tmp, error) || !finish_file(tmp, zip_md, &zip_size, error)) {
    g_unlink(tmp);
    return FALSE;
  }
  if(g_rename(tmp, zip_path) != 0) {
    int e = errno;
    g_unlink(tmp);
    mp_set_error(error, MP_ERROR_PACKAGE, NULL, "cannot rename %s to %s: %s", tmp, zip_path,
                 g_strerror(e));
    return FALSE;
  }
  if(!fsync_dir(dir, error)) {
    g_unlink(zip_path);
    return FALSE;
  }

  if(info) {
    info->zip_sha256 = g_malloc(65);
    hex_lower(zip_md, sizeof zip_md, info->zip_sha256);
    info->zip_size = zip_size;
    info->sign_cert_sha256 = g_strdup(cert_hex);
    info->n_files = 1 + b->attachments->len;
    info->content_size = g_bytes_get_size(b->form_xml) + b->attachment_total;
  }
  return TRUE;
}
