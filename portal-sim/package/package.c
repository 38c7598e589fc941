/* package.c - reading and verifying application packages
 * (docs/portal-sim-packages.md).
 *
 * The order of the checks is the order of the risks: the ZIP's directory is
 * judged (names, sizes, ratios) before any entry is inflated; kousei.xml is
 * parsed without DTDs, entities or network before anything in it is
 * believed; the signature's shape is checked by hand before xmlsec sees it,
 * so that xmlsec only ever verifies the one layout the format allows; xmlsec
 * reads the files its References name from the ZIP in memory, never from
 * disk or network.
 */
#include "package.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
/* xmlsec.h first: the other xmlsec headers rely on its types. */
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/xmldsig.h>
#include <zip.h>

#include "report.h"

/* [P] portal-api.md: the algorithms of the signature. */
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define ALG_C14N10 "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

/* [P] the element and its Id; [S] the file and element names around it. */
#define KOUSEI_ID "構成情報"
#define KOUSEI_NAME "kousei.xml"
#define KOUSEI_REF_URI "#" KOUSEI_ID

#define ID_MAX 64 /* proc_id, attachment_id */

/* [S] docs/portal-sim-packages.md "Limits". The total stays under what
 * fits in portal.h's PS_MAX_PACKAGE_BODY once base64-encoded in JSON. */
const ps_package_limits ps_package_default_limits = {
  .max_entries = 64,
  .max_total_size = 48u * 1024u * 1024u,
  .max_entry_size = 32u * 1024u * 1024u,
  .max_ratio = 100,
  .max_name_bytes = 128,
  .max_kousei_size = 1024u * 1024u,
};

/* ---- one entry of the ZIP ---- */

typedef struct pkg_entry {
  char *name;       /* valid UTF-8 (checked before the entry is kept) */
  GBytes *data;
  bool listed;      /* named by a <file> of 構成情報 */
} pkg_entry;

static void pkg_entry_free(gpointer p)
{
  pkg_entry *e = p;
  g_free(e->name);
  if(e->data)
    g_bytes_unref(e->data);
  g_free(e);
}

/* ---- one <file> of 構成情報 ---- */

typedef struct pkg_listed {
  bool form;               /* role="form", else "attachment" */
  char *name;
  char *attachment_id;
  char *content_type;
  guint64 size;
  char *item;              /* "form:<name>" or "attachment:<name>" */
  pkg_entry *entry;        /* NULL: not in the ZIP */
  xmlNodePtr ref;          /* its Reference (the first, if several) */
  unsigned nrefs;
  bool digest_reported;    /* a digest mismatch is in the report */
} pkg_listed;

static void pkg_listed_free(gpointer p)
{
  pkg_listed *l = p;
  g_free(l->name);
  g_free(l->attachment_id);
  g_free(l->content_type);
  g_free(l->item);
  g_free(l);
}

typedef struct verify_ctx {
  const ps_package_limits *lim;
  GPtrArray *report;
  guint report_start;

  GHashTable *entries;      /* name -> pkg_entry (owned) */
  GPtrArray *entry_order;   /* pkg_entry *, ZIP order (not owning) */
  pkg_entry *kousei;

  xmlDocPtr doc;
  xmlNodePtr kousei_elem;   /* the one 構成情報 element */
  xmlNodePtr signature;
  xmlNodePtr kousei_ref;    /* its Reference */
  char *proc_id;
  char *applicant;
  GPtrArray *listed;        /* pkg_listed * (owned) */
  GHashTable *listed_by_name;
  X509 *cert;
  bool signature_ok;        /* xmlsec verified it, with this cert's key, on
                               this 構成情報 */
} verify_ctx;

static bool failed(const verify_ctx *v)
{
  return v->report->len > v->report_start;
}

/* ---- small helpers ---- */

static void hex_lower(const uint8_t *b, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for(size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

/* A name as it may be shown in a report: valid UTF-8, control and format
 * characters (bidi overrides ...) written as \uXXXX, so that a hostile name
 * cannot disguise itself in a clerk's screen or a log line. */
static char *display_name(const char *raw, size_t len)
{
  g_autofree char *valid = g_utf8_make_valid(raw, (gssize)len);
  GString *s = g_string_new(NULL);
  for(const char *p = valid; *p; p = g_utf8_next_char(p)) {
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

static bool id_valid(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > ID_MAX)
    return false;
  for(size_t i = 0; i < n; i++)
    if(!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

/* [S] Why a name is not allowed, or NULL. Names are flat (no '/' or '\'),
 * UTF-8 in NFC, made of ASCII letters, digits, '.', '_', '-' and non-ASCII
 * letters, marks and digits (日本語の名前), and do not start with '.' or
 * '-'. Every allowed name is its own URI reference: no character needs
 * percent-encoding in a Reference URI, and none means anything to a URI
 * parser or a file system. */
static const char *name_problem(const char *name, size_t len, size_t max)
{
  if(len == 0)
    return "名前が空です";
  if(len > max)
    return "名前が長すぎます";
  if(memchr(name, '/', len) || memchr(name, '\\', len))
    return "フォルダやパスを含む名前は使えません";
  if(!g_utf8_validate(name, (gssize)len, NULL))
    return "名前が UTF-8 ではありません";
  if(name[0] == '.' || name[0] == '-')
    return "「.」や「-」で始まる名前は使えません";
  for(const char *p = name; p < name + len; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if(c < 0x80) {
      if(!g_ascii_isalnum((char)c) && c != '.' && c != '_' && c != '-')
        return "使えない文字（英数字・日本語と . _ - 以外）を含んでいます";
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
      return "使えない文字（英数字・日本語と . _ - 以外）を含んでいます";
    }
  }
  g_autofree char *nfc = g_utf8_normalize(name, (gssize)len,
                                          G_NORMALIZE_NFC);
  if(!nfc || strlen(nfc) != len || memcmp(nfc, name, len) != 0)
    return "名前が Unicode 正規化形式 NFC ではありません";
  return NULL;
}

/* [S] The content type a file name's extension stands for. */
static const char *type_for_name(const char *name)
{
  static const struct { const char *ext, *type; } map[] = {
    { ".xml", "application/xml" }, { ".jpg", "image/jpeg" },
    { ".jpeg", "image/jpeg" }, { ".png", "image/png" },
    { ".pdf", "application/pdf" },
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
static bool magic_matches(const char *type, const uint8_t *d, size_t n)
{
  if(strcmp(type, "image/jpeg") == 0)
    return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
  if(strcmp(type, "image/png") == 0)
    return n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0;
  if(strcmp(type, "application/pdf") == 0)
    return n >= 5 && memcmp(d, "%PDF-", 5) == 0;
  return false;
}

/* Base64 with whitespace between the characters (xmlsec and others wrap
 * lines at 64), nothing else. NULL when it is not. */
static GBytes *base64_strict(const char *s)
{
  GString *clean = g_string_new(NULL);
  for(const char *p = s; *p; p++) {
    if(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      continue;
    if(!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
      g_string_free(clean, TRUE);
      return NULL;
    }
    g_string_append_c(clean, *p);
  }
  if(clean->len == 0 || clean->len % 4 != 0) {
    g_string_free(clean, TRUE);
    return NULL;
  }
  /* '=' only as the last one or two characters */
  const char *eq = strchr(clean->str, '=');
  if(eq && (clean->str + clean->len - eq > 2 ||
            (eq[1] && eq[1] != '='))) {
    g_string_free(clean, TRUE);
    return NULL;
  }
  gsize n = 0;
  guchar *raw = g_base64_decode(clean->str, &n);
  g_string_free(clean, TRUE);
  return g_bytes_new_take(raw, n);
}

/* ---- xmlsec: global state ---- */

/* The files of the package being verified on this thread. xmlsec's input
 * callbacks are process-wide; which package they serve is per thread. */
static _Thread_local GHashTable *tls_entries;

typedef struct io_reader {
  GBytes *data;
  size_t pos;
} io_reader;

static int io_match(const char *uri)
{
  return tls_entries && uri && g_hash_table_contains(tls_entries, uri);
}

static void *io_open(const char *uri)
{
  pkg_entry *e = tls_entries ? g_hash_table_lookup(tls_entries, uri) : NULL;
  if(!e || !e->data)
    return NULL;
  io_reader *r = g_new0(io_reader, 1);
  r->data = g_bytes_ref(e->data);
  return r;
}

static int io_read(void *ctx, char *buf, int len)
{
  io_reader *r = ctx;
  gsize size = 0;
  const uint8_t *d = g_bytes_get_data(r->data, &size);
  if(len <= 0)
    return 0;
  size_t n = MIN((size_t)len, size - r->pos);
  if(n)
    memcpy(buf, d + r->pos, n);
  r->pos += n;
  return (int)n;
}

static int io_close(void *ctx)
{
  io_reader *r = ctx;
  g_bytes_unref(r->data);
  g_free(r);
  return 0;
}

/* xmlsec's messages say which internal step failed; the report says what a
 * person must fix, so they go to the debug log only. */
static void xmlsec_error(const char *file, int line, const char *func,
                         const char *object, const char *subject,
                         int reason, const char *msg)
{
  g_debug("xmlsec: %s:%d %s: obj=%s subj=%s reason=%d %s", file, line,
          func ? func : "", object ? object : "", subject ? subject : "",
          reason, msg ? msg : "");
}

static bool global_ok;

static bool global_init_once(void)
{
  xmlInitParser();
  LIBXML_TEST_VERSION
  if(xmlSecInit() < 0)
    return false;
  if(xmlSecCheckVersion() != 1) {
    g_warning("package: xmlsec library version does not match the headers");
    xmlSecShutdown();
    return false;
  }
  if(xmlSecOpenSSLAppInit(NULL) < 0) {
    xmlSecShutdown();
    return false;
  }
  if(xmlSecOpenSSLInit() < 0) {
    xmlSecOpenSSLAppShutdown();
    xmlSecShutdown();
    return false;
  }
  /* After xmlSecOpenSSLInit, which installs a callback of its own. */
  xmlSecErrorsSetCallback(xmlsec_error);
  /* Only the package's own files can be read through a Reference: no file
   * system, no http, no ftp. */
  xmlSecIOCleanupCallbacks();
  if(xmlSecIORegisterCallbacks(io_match, io_open, io_read, io_close) < 0) {
    xmlSecOpenSSLShutdown();
    xmlSecOpenSSLAppShutdown();
    xmlSecShutdown();
    return false;
  }
  return true;
}

bool ps_package_global_init(void)
{
  static gsize once = 0;
  if(g_once_init_enter(&once)) {
    global_ok = global_init_once();
    g_once_init_leave(&once, 1);
  }
  return global_ok;
}

void ps_package_global_cleanup(void)
{
  if(!global_ok)
    return;
  xmlSecOpenSSLShutdown();
  xmlSecOpenSSLAppShutdown();
  xmlSecShutdown();
  global_ok = false;
}

/* ---- the ZIP ---- */

static bool read_entry(verify_ctx *v, zip_t *za, zip_uint64_t index,
                       pkg_entry *e, zip_uint64_t size)
{
  zip_file_t *zf = zip_fopen_index(za, index, 0);
  if(!zf)
    goto bad;
  uint8_t *buf = g_malloc(size ? size : 1);
  zip_uint64_t got = 0;
  while(got < size) {
    zip_int64_t r = zip_fread(zf, buf + got, size - got);
    if(r <= 0)
      break;
    got += (zip_uint64_t)r;
  }
  /* Reading past the declared size makes libzip check the CRC and that
   * the data ends where the directory says it does. */
  uint8_t more;
  zip_int64_t tail = got == size ? zip_fread(zf, &more, 1) : -1;
  int close_rv = zip_fclose(zf);
  if(got != size || tail != 0 || close_rv != 0) {
    g_free(buf);
    goto bad;
  }
  e->data = g_bytes_new_take(buf, size);
  return true;

bad:;
  g_autofree char *item = g_strdup_printf("package:%s", e->name);
  ps_report_add(v->report, item,
                "ファイルの内容が ZIP の記載（サイズまたは CRC）と一致しない"
                "か、展開できません。ZIP ファイルを作り直してください");
  return false;
}

/* Judges the directory, then reads the entries. false: nothing read or
 * something unreadable (all reported). */
static bool read_zip(verify_ctx *v, const uint8_t *zip, size_t len)
{
  const ps_package_limits *lim = v->lim;
  bool ok = false;
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t *src = NULL;
  zip_t *za = NULL;
  GHashTable *folded = g_hash_table_new_full(g_str_hash, g_str_equal,
                                             g_free, NULL);
  GArray *sizes = g_array_new(FALSE, FALSE, sizeof(zip_uint64_t));
  GArray *indexes = g_array_new(FALSE, FALSE, sizeof(zip_uint64_t));

  if(len == 0)
    goto not_zip;
  src = zip_source_buffer_create(zip, len, 0, &zerr);
  if(!src)
    goto not_zip;
  za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
  if(!za) {
    zip_source_free(src);
    goto not_zip;
  }

  zip_int64_t n = zip_get_num_entries(za, 0);
  if(n < 0)
    goto not_zip;
  if((zip_uint64_t)n > lim->max_entries) {
    ps_report_add(v->report, "package",
                  "ZIP のファイル数が %" G_GINT64_FORMAT " です。%u 以下に"
                  "してください", (gint64)n, lim->max_entries);
    goto out;
  }

  guint64 total = 0;
  for(zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
    zip_stat_t st;
    zip_stat_init(&st);
    if(zip_stat_index(za, i, ZIP_FL_ENC_RAW, &st) != 0 || !st.name ||
       (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
                    ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD)) !=
         (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
          ZIP_STAT_ENCRYPTION_METHOD))
      goto not_zip;
    size_t nlen = strlen(st.name);
    g_autofree char *shown = display_name(st.name, MIN(nlen, 256));
    g_autofree char *item = g_strdup_printf("package:%s", shown);
    bool entry_ok = true;

    const char *why = name_problem(st.name, nlen, lim->max_name_bytes);
    if(why) {
      ps_report_add(v->report, item, "ファイル名が使えません（%s）。"
                    "フォルダを含まない、英数字・日本語と . _ - だけの名前"
                    "（%zu バイト以下）にしてください", why,
                    lim->max_name_bytes);
      entry_ok = false;
    } else {
      /* A non-ASCII name must carry the UTF-8 flag (general purpose bit
       * 11): without it, readers take the bytes as CP437 and unpack the
       * file under another name than the one that was signed. */
      const char *strict = zip_get_name(za, i, ZIP_FL_ENC_STRICT);
      if(!strict || strcmp(strict, st.name) != 0) {
        ps_report_add(v->report, item,
                      "ファイル名に UTF-8 フラグ（汎用ビット 11）がありません。"
                      "ファイル名を UTF-8 として格納してください");
        entry_ok = false;
      }
    }
    if(st.encryption_method != ZIP_EM_NONE) {
      ps_report_add(v->report, item, "暗号化されたファイルは受け付けられ"
                    "ません。暗号化せずに ZIP にしてください");
      entry_ok = false;
    }
    if(st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
      ps_report_add(v->report, item, "圧縮方式 %u は使えません。無圧縮"
                    "（store）か deflate で ZIP にしてください",
                    (unsigned)st.comp_method);
      entry_ok = false;
    }
    if(st.size > lim->max_entry_size) {
      ps_report_add(v->report, item, "展開後のサイズが %" G_GUINT64_FORMAT
                    " バイトあります。1 ファイル %zu バイト以下にしてください",
                    (guint64)st.size, lim->max_entry_size);
      entry_ok = false;
    } else if(st.size > PS_PACKAGE_RATIO_FLOOR &&
              (st.comp_size == 0 ||
               st.size / st.comp_size >= lim->max_ratio)) {
      ps_report_add(v->report, item, "圧縮率が高すぎます（%" G_GUINT64_FORMAT
                    " バイトが %" G_GUINT64_FORMAT " バイトに圧縮）。"
                    "zip 爆弾のおそれがあるため受け付けません",
                    (guint64)st.size, (guint64)st.comp_size);
      entry_ok = false;
    }
    total += st.size;

    if(!why) {
      char *key = g_utf8_casefold(st.name, (gssize)nlen);
      if(g_hash_table_contains(folded, key)) {
        g_free(key);
        ps_report_add(v->report, item, "同じ名前（大文字・小文字の違いを"
                      "除く）のファイルが複数あります。1 つにしてください");
        entry_ok = false;
      } else {
        g_hash_table_add(folded, key);
      }
    }
    if(entry_ok) {
      pkg_entry *e = g_new0(pkg_entry, 1);
      e->name = g_strdup(st.name);
      g_hash_table_insert(v->entries, e->name, e);
      g_ptr_array_add(v->entry_order, e);
      g_array_append_val(sizes, st.size);
      g_array_append_val(indexes, i);
    }
  }
  if(total > lim->max_total_size) {
    ps_report_add(v->report, "package", "展開後の合計サイズが %"
                  G_GUINT64_FORMAT " バイトあります。%zu バイト以下に"
                  "してください", total, lim->max_total_size);
  }
  if(failed(v))
    goto out;

  for(guint i = 0; i < v->entry_order->len; i++) {
    pkg_entry *e = g_ptr_array_index(v->entry_order, i);
    read_entry(v, za, g_array_index(indexes, zip_uint64_t, i), e,
               g_array_index(sizes, zip_uint64_t, i));
  }
  ok = !failed(v);
  goto out;

not_zip:
  ps_report_add(v->report, "package", "パッケージを ZIP ファイルとして"
                "読めません。ZIP ファイルを作り直してください");
out:
  if(za)
    zip_discard(za); /* frees src too */
  zip_error_fini(&zerr);
  g_hash_table_destroy(folded);
  g_array_free(sizes, TRUE);
  g_array_free(indexes, TRUE);
  return ok;
}

/* ---- kousei.xml: parsing ---- */

typedef struct parse_state {
  bool doctype;
} parse_state;

/* Called when the parser meets <!DOCTYPE: before any declaration in it is
 * read, so no entity is ever declared, loaded or expanded. */
static void refuse_doctype(void *user, const xmlChar *name,
                           const xmlChar *external_id,
                           const xmlChar *system_id)
{
  xmlParserCtxtPtr pctx = user;
  parse_state *st = pctx->_private;
  st->doctype = true;
  xmlStopParser(pctx);
}

static bool parse_kousei(verify_ctx *v)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(v->kousei->data, &len);
  if(len > v->lim->max_kousei_size) {
    ps_report_add(v->report, "kousei", "kousei.xml が %zu バイトあります。"
                  "%zu バイト以下にしてください", (size_t)len,
                  v->lim->max_kousei_size);
    return false;
  }
  parse_state st = { false };
  xmlParserCtxtPtr pctx = xmlNewParserCtxt();
  if(!pctx)
    return false;
  pctx->_private = &st;
  pctx->sax->internalSubset = refuse_doctype;
  /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD, no network,
   * no HUGE (libxml2's default depth and size bounds stay). */
  v->doc = xmlCtxtReadMemory(pctx, data, (int)len, KOUSEI_NAME, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
  int line = 0;
  const xmlError *err = xmlCtxtGetLastError(pctx);
  if(err)
    line = err->line;
  xmlFreeParserCtxt(pctx);

  if(st.doctype || (v->doc && (v->doc->intSubset || v->doc->extSubset))) {
    ps_report_add(v->report, "kousei", "kousei.xml に DOCTYPE（DTD）が"
                  "あります。DTD と実体宣言は使えません。DOCTYPE を"
                  "取り除いてください");
    return false;
  }
  if(!v->doc) {
    ps_report_add(v->report, "kousei", "kousei.xml の %d 行目が XML として"
                  "正しくありません。kousei.xml を作り直してください", line);
    return false;
  }
  if(v->doc->encoding &&
     g_ascii_strcasecmp((const char *)v->doc->encoding, "UTF-8") != 0) {
    ps_report_add(v->report, "kousei", "kousei.xml の文字コードが %s です。"
                  "UTF-8 にしてください", (const char *)v->doc->encoding);
    return false;
  }
  return true;
}

/* ---- kousei.xml: shape ---- */

static bool is_elem(xmlNodePtr n, const char *name, const char *ns)
{
  if(!n || n->type != XML_ELEMENT_NODE ||
     strcmp((const char *)n->name, name) != 0)
    return false;
  if(!ns)
    return n->ns == NULL;
  return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

/* The element children of n, in order; false when n also holds text other
 * than whitespace (element-only content), which is then reported. */
static bool element_children(verify_ctx *v, xmlNodePtr n, const char *item,
                             GPtrArray *out)
{
  for(xmlNodePtr c = n->children; c; c = c->next) {
    if(c->type == XML_ELEMENT_NODE) {
      g_ptr_array_add(out, c);
    } else if(c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      for(const xmlChar *p = c->content; p && *p; p++) {
        if(*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
          ps_report_add(v->report, item, "%s 要素の中に要素以外の文字が"
                        "あります", (const char *)n->name);
          return false;
        }
      }
    } else if(c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
      ps_report_add(v->report, item, "%s 要素の中に使えない内容があります",
                    (const char *)n->name);
      return false;
    }
  }
  return true;
}

/* Whether n has attributes other than the allowed ones (NULL-ended). */
static const char *unexpected_attr(xmlNodePtr n, const char *const *allowed)
{
  for(xmlAttrPtr a = n->properties; a; a = a->next) {
    bool ok = false;
    for(size_t i = 0; !a->ns && allowed[i]; i++)
      if(strcmp((const char *)a->name, allowed[i]) == 0)
        ok = true;
    if(!ok)
      return (const char *)a->name;
  }
  return NULL;
}

static char *attr(xmlNodePtr n, const char *name)
{
  xmlChar *s = xmlGetNoNsProp(n, (const xmlChar *)name);
  char *r = s ? g_strdup((const char *)s) : NULL;
  xmlFree(s);
  return r;
}

static char *text_of(xmlNodePtr n)
{
  xmlChar *s = xmlNodeGetContent(n);
  char *r = g_strdup(s ? (const char *)s : "");
  xmlFree(s);
  return r;
}

/* Every attribute named Id with the value 構成情報, anywhere; and any
 * xml:id (which libxml2 would treat as an ID by itself). */
static void find_ids(xmlNodePtr n, GPtrArray *ids, unsigned *xml_ids)
{
  for(; n; n = n->next) {
    if(n->type != XML_ELEMENT_NODE)
      continue;
    for(xmlAttrPtr a = n->properties; a; a = a->next) {
      if(a->ns && a->ns->href &&
         strcmp((const char *)a->ns->href,
                (const char *)XML_XML_NAMESPACE) == 0 &&
         strcmp((const char *)a->name, "id") == 0) {
        (*xml_ids)++;
        continue;
      }
      if(strcmp((const char *)a->name, "Id") != 0)
        continue;
      xmlChar *val = xmlNodeListGetString(n->doc, a->children, 1);
      if(val && strcmp((const char *)val, KOUSEI_ID) == 0)
        g_ptr_array_add(ids, a);
      xmlFree(val);
    }
    find_ids(n->children, ids, xml_ids);
  }
}

static bool check_root(verify_ctx *v)
{
  xmlNodePtr root = xmlDocGetRootElement(v->doc);
  g_autofree char *version = root ? attr(root, "version") : NULL;
  static const char *const root_attrs[] = { "version", NULL };
  if(!is_elem(root, "kousei", NULL) || !version ||
     strcmp(version, "1") != 0 || unexpected_attr(root, root_attrs)) {
    ps_report_add(v->report, "kousei", "kousei.xml のルート要素が "
                  "<kousei version=\"1\"> ではありません");
    return false;
  }

  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  unsigned xml_ids = 0;
  find_ids(root, ids, &xml_ids);
  if(xml_ids) {
    ps_report_add(v->report, "kousei", "xml:id 属性は使えません。"
                  "取り除いてください");
  }
  if(ids->len != 1) {
    ps_report_add(v->report, "kousei", "Id=\"" KOUSEI_ID "\" の要素が %u "
                  "個あります。1 個だけにしてください", ids->len);
  }

  g_autoptr(GPtrArray) kids = g_ptr_array_new();
  if(!element_children(v, root, "kousei", kids))
    return false;
  if(kids->len != 2 || !is_elem(kids->pdata[0], KOUSEI_ID, NULL) ||
     !is_elem(kids->pdata[1], "Signature", DSIG_NS)) {
    ps_report_add(v->report, "kousei", "kousei の子要素は " KOUSEI_ID
                  " と Signature をこの順に 1 つずつにしてください");
    return false;
  }
  v->kousei_elem = kids->pdata[0];
  v->signature = kids->pdata[1];
  if(failed(v))
    return false;

  xmlAttrPtr id = ids->pdata[0];
  if(id->parent != v->kousei_elem) {
    ps_report_add(v->report, "kousei", "Id=\"" KOUSEI_ID "\" は kousei "
                  "直下の " KOUSEI_ID " 要素に付けてください");
    return false;
  }
  static const char *const kousei_attrs[] = { "Id", NULL };
  if(unexpected_attr(v->kousei_elem, kousei_attrs)) {
    ps_report_add(v->report, "kousei", KOUSEI_ID " 要素に Id 以外の属性が"
                  "あります");
    return false;
  }
  /* The one element the signature's #構成情報 can reach is the one this
   * module reads: the ID is registered on it alone. */
  if(!xmlAddID(NULL, v->doc, (const xmlChar *)KOUSEI_ID, id))
    return false;
  return true;
}

static void read_file_elem(verify_ctx *v, xmlNodePtr f, unsigned *nforms)
{
  static const char *const allowed[] = {
    "role", "name", "attachment_id", "content_type", "size", NULL
  };
  g_autofree char *role = attr(f, "role");
  g_autofree char *name = attr(f, "name");
  g_autofree char *att = attr(f, "attachment_id");
  g_autofree char *type = attr(f, "content_type");
  g_autofree char *size = attr(f, "size");
  const char *extra = unexpected_attr(f, allowed);
  if(extra) {
    ps_report_add(v->report, "kousei.files", "file 要素に不明な属性 %s が"
                  "あります", extra);
    return;
  }
  bool form = role && strcmp(role, "form") == 0;
  if(!role || (!form && strcmp(role, "attachment") != 0)) {
    ps_report_add(v->report, "kousei.files", "file 要素の role は form か "
                  "attachment にしてください");
    return;
  }
  if(!name || name_problem(name, strlen(name), v->lim->max_name_bytes) ||
     strcmp(name, KOUSEI_NAME) == 0) {
    g_autofree char *shown = name ? display_name(name, strlen(name))
                                  : g_strdup("");
    ps_report_add(v->report, "kousei.files", "file 要素の name「%s」が"
                  "ファイル名として使えません", shown);
    return;
  }
  if(g_hash_table_contains(v->listed_by_name, name)) {
    ps_report_add(v->report, "kousei.files", "file「%s」が 2 回記載されて"
                  "います", name);
    return;
  }
  pkg_listed *l = g_new0(pkg_listed, 1);
  l->form = form;
  l->name = g_strdup(name);
  l->item = g_strdup_printf("%s:%s", form ? "form" : "attachment", name);
  g_ptr_array_add(v->listed, l);
  g_hash_table_insert(v->listed_by_name, l->name, l);
  if(form)
    (*nforms)++;

  guint64 sz = 0;
  if(!size || !g_ascii_string_to_unsigned(size, 10, 0, G_MAXUINT64, &sz,
                                          NULL)) {
    ps_report_add(v->report, l->item, "size 属性がないか、10 進の数では"
                  "ありません");
  }
  l->size = sz;
  if(form) {
    if(att) {
      ps_report_add(v->report, l->item, "申請書（form）に attachment_id は"
                    "付けられません");
    }
    if(!type || strcmp(type, "application/xml") != 0) {
      ps_report_add(v->report, l->item, "申請書の content_type は "
                    "application/xml にしてください");
    }
  } else {
    if(!id_valid(att)) {
      ps_report_add(v->report, l->item, "attachment_id がないか形式が"
                    "正しくありません（英数字と . _ - の 1～%d 文字）", ID_MAX);
    }
    if(!type || (strcmp(type, "image/jpeg") != 0 &&
                 strcmp(type, "image/png") != 0 &&
                 strcmp(type, "application/pdf") != 0)) {
      ps_report_add(v->report, l->item, "content_type「%s」は使えません。"
                    "添付書類は image/jpeg、image/png、application/pdf の"
                    "どれかにしてください", type ? type : "");
      g_clear_pointer(&type, g_free);
    }
  }
  const char *by_name = type_for_name(name);
  if(type && (!by_name || strcmp(by_name, type) != 0)) {
    ps_report_add(v->report, l->item, "ファイル名の拡張子が content_type"
                  "「%s」と合いません", type);
  }
  l->attachment_id = g_steal_pointer(&att);
  l->content_type = g_steal_pointer(&type);
}

static void read_kousei_content(verify_ctx *v)
{
  g_autoptr(GPtrArray) kids = g_ptr_array_new();
  if(!element_children(v, v->kousei_elem, "kousei", kids))
    return;
  xmlNodePtr proc = NULL, applicant = NULL, files = NULL;
  bool stray = false;
  for(guint i = 0; i < kids->len; i++) {
    xmlNodePtr c = kids->pdata[i];
    xmlNodePtr *slot = is_elem(c, "proc_id", NULL) ? &proc
                       : is_elem(c, "applicant", NULL) ? &applicant
                       : is_elem(c, "files", NULL) ? &files : NULL;
    if(!slot || *slot) {
      /* reported once, and the rest still read: one finding, not a
       * cascade, however many stray elements there are */
      if(!stray) {
        ps_report_add(v->report, "kousei", KOUSEI_ID " に %s 要素が%s"
                      "あります。proc_id、applicant、files を 1 つずつに"
                      "してください", (const char *)c->name,
                      slot ? "重複して" : "不明な要素として");
      }
      stray = true;
      continue;
    }
    *slot = c;
  }

  v->proc_id = proc ? text_of(proc) : NULL;
  if(!id_valid(v->proc_id)) {
    ps_report_add(v->report, "kousei.proc_id", "proc_id がないか形式が"
                  "正しくありません（英数字と . _ - の 1～%d 文字）", ID_MAX);
  }

  g_autoptr(GPtrArray) akids = g_ptr_array_new();
  if(applicant && element_children(v, applicant, "kousei.applicant", akids) &&
     akids->len == 1 && is_elem(akids->pdata[0], "sign_cert_sha256", NULL)) {
    v->applicant = text_of(akids->pdata[0]);
    bool hex = strlen(v->applicant) == 64;
    for(size_t i = 0; hex && i < 64; i++)
      hex = g_ascii_isxdigit(v->applicant[i]);
    if(!hex) {
      ps_report_add(v->report, "kousei.applicant", "sign_cert_sha256 は署名"
                    "用証明書の SHA-256（16 進 64 文字）にしてください");
    } else {
      char *lower = g_ascii_strdown(v->applicant, -1);
      g_free(v->applicant);
      v->applicant = lower;
    }
  } else {
    ps_report_add(v->report, "kousei.applicant", "applicant には "
                  "sign_cert_sha256 要素を 1 つだけ入れてください");
  }

  g_autoptr(GPtrArray) fkids = g_ptr_array_new();
  if(!files || !element_children(v, files, "kousei.files", fkids)) {
    if(!files)
      ps_report_add(v->report, "kousei.files", KOUSEI_ID " に files 要素が"
                    "ありません");
    return;
  }
  /* Every listed file is a ZIP entry: more cannot be right, and would
   * only make the report long. */
  if(fkids->len >= v->lim->max_entries) {
    ps_report_add(v->report, "kousei.files", "files に %u 個の要素があり"
                  "ます。%u 個未満にしてください", fkids->len,
                  v->lim->max_entries);
    return;
  }
  unsigned nforms = 0;
  for(guint i = 0; i < fkids->len; i++) {
    xmlNodePtr f = fkids->pdata[i];
    if(!is_elem(f, "file", NULL)) {
      ps_report_add(v->report, "kousei.files", "files に不明な要素 %s が"
                    "あります", (const char *)f->name);
      continue;
    }
    read_file_elem(v, f, &nforms);
  }
  if(nforms != 1) {
    ps_report_add(v->report, "kousei.files", "role=\"form\" の file が %u "
                  "個あります。申請書のファイルを 1 つだけ記載してください",
                  nforms);
  }
}

/* The ZIP against 構成情報: every listed file present with its size and
 * type, every other entry (but kousei.xml) unexpected. */
static void match_files(verify_ctx *v)
{
  for(guint i = 0; i < v->listed->len; i++) {
    pkg_listed *l = g_ptr_array_index(v->listed, i);
    pkg_entry *e = g_hash_table_lookup(v->entries, l->name);
    if(!e) {
      ps_report_add(v->report, l->item, "構成情報に記載された %s が ZIP に"
                    "ありません。ファイルを入れ直してください", l->name);
      continue;
    }
    e->listed = true;
    l->entry = e;
    gsize size = 0;
    const uint8_t *d = g_bytes_get_data(e->data, &size);
    if(size != l->size) {
      ps_report_add(v->report, l->item, "%s のサイズ %zu バイトが構成情報の"
                    "記載（%" G_GUINT64_FORMAT " バイト）と違います",
                    l->name, (size_t)size, l->size);
    }
    if(!l->form && l->content_type && !magic_matches(l->content_type, d, size)) {
      ps_report_add(v->report, l->item, "%s の内容が %s ではありません"
                    "（ファイルの先頭が形式と合いません）。正しい形式の"
                    "ファイルを添付してください", l->name, l->content_type);
    }
  }
  for(guint i = 0; i < v->entry_order->len; i++) {
    pkg_entry *e = g_ptr_array_index(v->entry_order, i);
    if(e->listed || e == v->kousei)
      continue;
    g_autofree char *item = g_strdup_printf("package:%s", e->name);
    ps_report_add(v->report, item, "構成情報に記載されていないファイルです。"
                  "構成情報に記載して署名し直すか、ZIP から外してください");
  }
}

/* ---- the signature's shape ---- */

static bool algorithm_is(xmlNodePtr n, const char *alg)
{
  g_autofree char *a = attr(n, "Algorithm");
  return a && strcmp(a, alg) == 0;
}

static void sig_shape(verify_ctx *v, const char *why)
{
  ps_report_add(v->report, "signature", "署名（Signature 要素）の構造が"
                "正しくありません: %s", why);
}

static void report_digest(verify_ctx *v, pkg_listed *l)
{
  if(l->digest_reported)
    return;
  l->digest_reported = true;
  ps_report_add(v->report, l->item, "%s のダイジェストが署名と一致しません。"
                "署名の後に内容が変わっています。申請をやり直してください",
                l->name);
}

/* Checks one Reference's DigestMethod and DigestValue; the value is
 * returned when it has the size of a SHA-256. */
static GBytes *reference_digest(verify_ctx *v, xmlNodePtr method,
                                xmlNodePtr value)
{
  if(!is_elem(method, "DigestMethod", DSIG_NS) ||
     !is_elem(value, "DigestValue", DSIG_NS)) {
    sig_shape(v, "Reference には DigestMethod と DigestValue が必要です");
    return NULL;
  }
  if(!algorithm_is(method, ALG_SHA256) || method->children) {
    g_autofree char *a = attr(method, "Algorithm");
    ps_report_add(v->report, "signature.digest_method", "DigestMethod"
                  "「%s」は使えません。SHA-256（" ALG_SHA256 "）にしてください",
                  a ? a : "");
    return NULL;
  }
  g_autofree char *b64 = text_of(value);
  GBytes *d = base64_strict(b64);
  if(!d || g_bytes_get_size(d) != SHA256_DIGEST_LENGTH) {
    if(d)
      g_bytes_unref(d);
    sig_shape(v, "DigestValue が SHA-256 の Base64 ではありません");
    return NULL;
  }
  return d;
}

static void check_key_info(verify_ctx *v, xmlNodePtr key_info)
{
  g_autoptr(GPtrArray) kk = g_ptr_array_new();
  g_autoptr(GPtrArray) xk = g_ptr_array_new();
  if(!key_info || !element_children(v, key_info, "signature.key_info", kk) ||
     kk->len != 1 || !is_elem(kk->pdata[0], "X509Data", DSIG_NS) ||
     !element_children(v, kk->pdata[0], "signature.key_info", xk) ||
     xk->len != 1 || !is_elem(xk->pdata[0], "X509Certificate", DSIG_NS)) {
    ps_report_add(v->report, "signature.key_info", "KeyInfo/X509Data/"
                  "X509Certificate に署名用証明書が 1 つだけ入っていません。"
                  "署名用電子証明書を入れて署名し直してください");
    return;
  }
  g_autofree char *b64 = text_of(xk->pdata[0]);
  g_autoptr(GBytes) der = base64_strict(b64);
  if(der) {
    gsize n = 0;
    const unsigned char *p = g_bytes_get_data(der, &n);
    const unsigned char *end = p + n;
    v->cert = d2i_X509(NULL, &p, (long)n);
    if(v->cert && p != end)
      g_clear_pointer(&v->cert, X509_free);
  }
  if(!v->cert) {
    ps_report_add(v->report, "signature.key_info", "X509Certificate を証明書"
                  "（DER の Base64）として読めません");
    return;
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned len = 0;
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  if(!X509_digest(v->cert, EVP_sha256(), md, &len) || len != sizeof md)
    return;
  hex_lower(md, sizeof md, hex);
  if(v->applicant && strlen(v->applicant) == 64 &&
     strcmp(hex, v->applicant) != 0) {
    ps_report_add(v->report, "kousei.applicant", "applicant の "
                  "sign_cert_sha256 が KeyInfo の署名用証明書と一致しません");
  }
}

/* The one layout the format allows: C14N 1.0, rsa-sha256, the Reference
 * to #構成情報 first (one C14N 1.0 transform), then one Reference per file
 * (no transforms), all SHA-256; KeyInfo with one certificate. Also checks
 * each file's digest, so that every tampered file is named. */
static void check_signature(verify_ctx *v)
{
  static const char *const none[] = { NULL };
  static const char *const uri_only[] = { "URI", NULL };
  g_autoptr(GPtrArray) sk = g_ptr_array_new();
  if(!element_children(v, v->signature, "signature", sk))
    return;
  if(unexpected_attr(v->signature, none) || sk->len < 2 ||
     sk->len > 3 || !is_elem(sk->pdata[0], "SignedInfo", DSIG_NS) ||
     !is_elem(sk->pdata[1], "SignatureValue", DSIG_NS) ||
     (sk->len == 3 && !is_elem(sk->pdata[2], "KeyInfo", DSIG_NS))) {
    sig_shape(v, "子要素は SignedInfo、SignatureValue、KeyInfo の順に "
              "1 つずつにしてください");
    return;
  }
  check_key_info(v, sk->len == 3 ? sk->pdata[2] : NULL);

  g_autoptr(GPtrArray) si = g_ptr_array_new();
  if(!element_children(v, sk->pdata[0], "signature", si))
    return;
  if(si->len > 2 + (guint)v->lim->max_entries) {
    sig_shape(v, "Reference が多すぎます");
    return;
  }
  if(si->len < 3 || !is_elem(si->pdata[0], "CanonicalizationMethod", DSIG_NS)
     || !is_elem(si->pdata[1], "SignatureMethod", DSIG_NS) ||
     unexpected_attr(sk->pdata[0], none)) {
    sig_shape(v, "SignedInfo は CanonicalizationMethod、SignatureMethod、"
              "Reference の順にしてください");
    return;
  }
  xmlNodePtr c14n = si->pdata[0], method = si->pdata[1];
  if(!algorithm_is(c14n, ALG_C14N10) || c14n->children) {
    g_autofree char *a = attr(c14n, "Algorithm");
    ps_report_add(v->report, "signature.c14n", "CanonicalizationMethod"
                  "「%s」は使えません。C14N 1.0（" ALG_C14N10 "）にして"
                  "ください", a ? a : "");
  }
  if(!algorithm_is(method, ALG_RSA_SHA256) || method->children) {
    g_autofree char *a = attr(method, "Algorithm");
    ps_report_add(v->report, "signature.method", "SignatureMethod「%s」は"
                  "使えません。rsa-sha256（" ALG_RSA_SHA256 "）にして"
                  "ください", a ? a : "");
  }

  for(guint i = 2; i < si->len; i++) {
    xmlNodePtr ref = si->pdata[i];
    if(!is_elem(ref, "Reference", DSIG_NS) || unexpected_attr(ref, uri_only)) {
      sig_shape(v, "SignedInfo の 3 番目以降は URI 属性だけを持つ "
                "Reference にしてください");
      return;
    }
    g_autofree char *uri = attr(ref, "URI");
    g_autoptr(GPtrArray) rk = g_ptr_array_new();
    if(!uri || !element_children(v, ref, "signature", rk)) {
      sig_shape(v, "Reference に URI がありません");
      return;
    }
    if(i == 2) {
      if(strcmp(uri, KOUSEI_REF_URI) != 0) {
        ps_report_add(v->report, "signature.reference", "最初の Reference "
                      "は URI=\"" KOUSEI_REF_URI "\" にしてください");
        continue;
      }
      g_autoptr(GPtrArray) tk = g_ptr_array_new();
      if(rk->len != 3 || !is_elem(rk->pdata[0], "Transforms", DSIG_NS) ||
         !element_children(v, rk->pdata[0], "signature", tk) ||
         tk->len != 1 || !is_elem(tk->pdata[0], "Transform", DSIG_NS) ||
         !algorithm_is(tk->pdata[0], ALG_C14N10) ||
         ((xmlNodePtr)tk->pdata[0])->children) {
        ps_report_add(v->report, "signature.reference", KOUSEI_REF_URI " の"
                      " Reference の Transforms は C14N 1.0 の Transform 1 つ"
                      "にしてください");
        continue;
      }
      /* its digest is compared by xmlsec, after C14N */
      GBytes *d = reference_digest(v, rk->pdata[1], rk->pdata[2]);
      if(d)
        g_bytes_unref(d);
      v->kousei_ref = ref;
      continue;
    }
    pkg_listed *l = g_hash_table_lookup(v->listed_by_name, uri);
    if(!l) {
      g_autofree char *shown = display_name(uri, strlen(uri));
      ps_report_add(v->report, "signature.reference", "Reference URI=\"%s\" "
                    "は構成情報に記載されたファイルを指していません", shown);
      continue;
    }
    if(++l->nrefs > 1)
      continue;
    l->ref = ref;
    if(rk->len != 2) {
      ps_report_add(v->report, l->item, "%s の Reference には Transforms "
                    "を付けず、DigestMethod と DigestValue だけにしてください",
                    l->name);
      continue;
    }
    g_autoptr(GBytes) want = reference_digest(v, rk->pdata[0], rk->pdata[1]);
    if(!want || !l->entry)
      continue;
    gsize n = 0;
    const uint8_t *d = g_bytes_get_data(l->entry->data, &n);
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(d, n, md);
    if(memcmp(md, g_bytes_get_data(want, NULL), sizeof md) != 0)
      report_digest(v, l);
  }

  for(guint i = 0; i < v->listed->len; i++) {
    pkg_listed *l = g_ptr_array_index(v->listed, i);
    if(l->nrefs == 0) {
      ps_report_add(v->report, l->item, "%s を署名する Reference がありま"
                    "せん。このファイルも署名に含めてください", l->name);
    } else if(l->nrefs > 1) {
      ps_report_add(v->report, l->item, "%s の Reference が %u 個あります。"
                    "1 個にしてください", l->name, l->nrefs);
    }
  }
}

/* ---- the signature's value (xmlsec) ---- */

static void xmlsec_verify(verify_ctx *v)
{
  xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
  xmlSecDSigCtxPtr ctx = NULL;
  bool done = false;
  if(!mngr || xmlSecOpenSSLAppDefaultKeysMngrInit(mngr) < 0)
    goto out;
  ctx = xmlSecDSigCtxCreate(mngr);
  if(!ctx)
    goto out;
  /* The caller decides whether the certificate is trusted (pki/): here it
   * only supplies the key. */
  ctx->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_DONT_VERIFY_CERTS;
  ctx->keyInfoReadCtx.retrievalMethodCtx.enabledUris =
    xmlSecTransformUriTypeNone;
  ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  /* A bare file name counts as "remote" for xmlsec; the only input
   * callbacks registered serve this package's entries. */
  ctx->enabledReferenceUris =
    xmlSecTransformUriTypeSameDocument | xmlSecTransformUriTypeRemote;
  if(xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14NId) < 0
     || xmlSecDSigCtxEnableSignatureTransform(
          ctx, xmlSecOpenSSLTransformRsaSha256Id) < 0 ||
     xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14NId) < 0
     || xmlSecDSigCtxEnableReferenceTransform(
          ctx, xmlSecOpenSSLTransformSha256Id) < 0 ||
     xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData,
                      (xmlSecPtr)xmlSecOpenSSLKeyDataX509Id) < 0)
    goto out;

  tls_entries = v->entries;
  int rv = xmlSecDSigCtxVerify(ctx, v->signature);
  tls_entries = NULL;
  if(rv < 0)
    goto out;

  bool refs_ok = true;
  xmlSecSize nrefs = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for(xmlSecSize i = 0; i < nrefs; i++) {
    xmlSecDSigReferenceCtxPtr r =
      xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
    if(!r || r->status == xmlSecDSigStatusSucceeded)
      continue;
    refs_ok = false;
    pkg_listed *l = r->uri ? g_hash_table_lookup(v->listed_by_name, r->uri)
                           : NULL;
    if(r->uri && strcmp((const char *)r->uri, KOUSEI_REF_URI) == 0) {
      ps_report_add(v->report, "kousei.digest", KOUSEI_ID " のダイジェストが"
                    "署名と一致しません。署名の後に構成情報が変わっています。"
                    "申請をやり直してください");
    } else if(l) {
      /* check_signature has named it already, unless xmlsec and this
       * module disagree about the bytes */
      report_digest(v, l);
    } else {
      goto out;
    }
  }
  /* xmlsec stops at the first failed Reference (the other files' digests
   * were compared by check_signature); otherwise it saw them all. */
  if(refs_ok && nrefs != (xmlSecSize)(1 + v->listed->len))
    goto out;
  if(refs_ok && ctx->status != xmlSecDSigStatusSucceeded) {
    ps_report_add(v->report, "signature.value", "署名値が正しくありません。"
                  "KeyInfo の証明書の鍵で署名されていないか、署名の後に "
                  "SignedInfo が変わっています");
  }
  if(ctx->status == xmlSecDSigStatusSucceeded) {
    /* The key xmlsec used must be the certificate's that the caller gets. */
    EVP_PKEY *used = ctx->signKey ? xmlSecOpenSSLEvpKeyDataGetEvp(
                                      xmlSecKeyGetValue(ctx->signKey))
                                  : NULL;
    if(!used || EVP_PKEY_eq(used, X509_get0_pubkey(v->cert)) != 1)
      goto out;
    /* And #構成情報 must have been the element read here. */
    xmlAttrPtr id = xmlGetID(v->doc, (const xmlChar *)KOUSEI_ID);
    if(!id || id->parent != v->kousei_elem)
      goto out;
    v->signature_ok = true;
  }
  done = true;

out:
  if(!done) {
    ps_report_add(v->report, "signature", "署名を検証できませんでした。"
                  "署名用電子証明書で署名し直してください");
  }
  if(ctx)
    xmlSecDSigCtxDestroy(ctx);
  if(mngr)
    xmlSecKeysMngrDestroy(mngr);
}

/* ---- the result ---- */

static ps_package_file *package_file(const pkg_listed *l)
{
  ps_package_file *f = g_new0(ps_package_file, 1);
  f->name = g_strdup(l->name);
  f->attachment_id = g_strdup(l->attachment_id);
  f->content_type = g_strdup(l->content_type);
  f->data = g_bytes_ref(l->entry->data);
  return f;
}

static void package_file_free(gpointer p)
{
  ps_package_file *f = p;
  if(!f)
    return;
  g_free(f->name);
  g_free(f->attachment_id);
  g_free(f->content_type);
  if(f->data)
    g_bytes_unref(f->data);
  g_free(f);
}

void ps_package_free(ps_package *pkg)
{
  if(!pkg)
    return;
  g_free(pkg->proc_id);
  g_free(pkg->applicant_cert_sha256);
  package_file_free(pkg->form);
  if(pkg->attachments)
    g_ptr_array_unref(pkg->attachments);
  X509_free(pkg->sign_cert);
  if(pkg->kousei_xml)
    g_bytes_unref(pkg->kousei_xml);
  g_free(pkg);
}

static ps_package *build_package(verify_ctx *v, const uint8_t *zip,
                                 size_t len)
{
  ps_package *pkg = g_new0(ps_package, 1);
  pkg->proc_id = g_strdup(v->proc_id);
  pkg->applicant_cert_sha256 = g_strdup(v->applicant);
  pkg->attachments = g_ptr_array_new_with_free_func(package_file_free);
  for(guint i = 0; i < v->listed->len; i++) {
    const pkg_listed *l = g_ptr_array_index(v->listed, i);
    if(l->form)
      pkg->form = package_file(l);
    else
      g_ptr_array_add(pkg->attachments, package_file(l));
  }
  pkg->sign_cert = X509_dup(v->cert);
  pkg->kousei_xml = g_bytes_ref(v->kousei->data);
  uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(zip, len, md);
  hex_lower(md, sizeof md, pkg->zip_sha256);
  return pkg;
}

bool ps_package_verify(const uint8_t *zip, size_t len,
                       const ps_package_limits *limits, ps_package **out,
                       GPtrArray *report)
{
  if(out)
    *out = NULL;
  if(!report || !out || (!zip && len))
    return false;
  if(!ps_package_global_init()) {
    ps_report_add(report, "package", "署名検証の準備ができませんでした"
                  "（サーバー側の問題です）。時間をおいてやり直してください");
    return false;
  }
  verify_ctx v = {
    .lim = limits ? limits : &ps_package_default_limits,
    .report = report,
    .report_start = report->len,
    .entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                     pkg_entry_free),
    .entry_order = g_ptr_array_new(),
    .listed = g_ptr_array_new_with_free_func(pkg_listed_free),
    .listed_by_name = g_hash_table_new(g_str_hash, g_str_equal),
  };

  if(!read_zip(&v, zip, len))
    goto out;
  v.kousei = g_hash_table_lookup(v.entries, KOUSEI_NAME);
  if(!v.kousei) {
    ps_report_add(report, "package", KOUSEI_NAME " がありません。構成情報と"
                  "署名を入れた " KOUSEI_NAME " を ZIP の最上位に入れて"
                  "ください");
    goto out;
  }
  if(!parse_kousei(&v) || !check_root(&v))
    goto out;
  read_kousei_content(&v);
  match_files(&v);
  check_signature(&v);
  /* xmlsec runs only on the layout checked above, with every Reference
   * resolvable; file digests that failed are already named, and xmlsec
   * still says whether 構成情報 itself was changed. */
  bool resolvable = v.kousei_ref && v.cert;
  for(guint i = 0; resolvable && i < v.listed->len; i++) {
    const pkg_listed *l = g_ptr_array_index(v.listed, i);
    resolvable = l->entry && l->nrefs == 1;
  }
  bool shape_ok = true;
  for(guint i = v.report_start; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(g_str_has_prefix(it->item, "signature"))
      shape_ok = false;
  }
  if(resolvable && shape_ok)
    xmlsec_verify(&v);

  /* Accepted only on xmlsec's word: no finding is not enough. */
  if(!failed(&v) && !v.signature_ok) {
    ps_report_add(report, "signature", "署名を検証できませんでした。"
                  "署名用電子証明書で署名し直してください");
  }
  if(!failed(&v))
    *out = build_package(&v, zip, len);

out:
  if(v.doc)
    xmlFreeDoc(v.doc);
  X509_free(v.cert);
  g_free(v.proc_id);
  g_free(v.applicant);
  g_hash_table_destroy(v.listed_by_name);
  g_ptr_array_unref(v.listed);
  g_ptr_array_unref(v.entry_order);
  g_hash_table_destroy(v.entries);
  return *out != NULL;
}
