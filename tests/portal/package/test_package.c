/* test_package.c - ps_package_verify over packages made at test time by
 * tests/portal/mkpackage.py, which signs with `xmlsec1 --sign` (a signer
 * this code did not write) using the build's test PKI (MYNA_TEST_PKI).
 * Every kind of broken package must be rejected with its exact report
 * item; the valid package must also pass `xmlsec1 --verify` exactly as
 * portal-api.md says, and a tampered one must fail it. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "package.h"
#include "report.h"

static char *pki_dir;
static char *work_dir;
static char *form_path, *pdf_path, *jpeg_path, *big_path;

#define PDF_NAME "住民票.pdf"

/* ---- fixtures ---- */

static void write_file(const char *path, const void *data, size_t len)
{
  GError *err = NULL;
  if(!g_file_set_contents(path, data, (gssize)len, &err))
    g_error("%s: %s", path, err->message);
}

static GBytes *read_file(const char *path)
{
  char *data = NULL;
  gsize len = 0;
  GError *err = NULL;
  if(!g_file_get_contents(path, &data, &len, &err))
    g_error("%s: %s", path, err->message);
  return g_bytes_new_take(data, len);
}

static void make_fixtures(void)
{
  const char *form = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<form><field name=\"child_name\">佐藤 陽菜</field>"
                     "</form>\n";
  form_path = g_build_filename(work_dir, "form.xml", NULL);
  write_file(form_path, form, strlen(form));

  GString *pdf = g_string_new("%PDF-1.4\n% 住民票の写し（テスト）\n");
  for(int i = 0; i < 200; i++)
    g_string_append_printf(pdf, "%% line %d\n", i);
  g_string_append(pdf, "%%EOF\n");
  pdf_path = g_build_filename(work_dir, "jumin.pdf", NULL);
  write_file(pdf_path, pdf->str, pdf->len);
  g_string_free(pdf, TRUE);

  /* An attachment is checked by its magic bytes only. */
  guint8 jpeg[2048];
  for(size_t i = 0; i < sizeof jpeg; i++)
    jpeg[i] = (guint8)(i * 31 + 7);
  jpeg[0] = 0xFF;
  jpeg[1] = 0xD8;
  jpeg[2] = 0xFF;
  jpeg[3] = 0xE0;
  jpeg_path = g_build_filename(work_dir, "photo.jpg", NULL);
  write_file(jpeg_path, jpeg, sizeof jpeg);

  /* About 300 KB that deflate shrinks only a few times. */
  GString *big = g_string_new("%PDF-1.4\n");
  guint32 seed = 1;
  while(big->len < 300 * 1024) {
    seed = seed * 1103515245u + 12345u;
    g_string_append_printf(big, "%% filler %08x\n", seed);
  }
  big_path = g_build_filename(work_dir, "big.pdf", NULL);
  write_file(big_path, big->str, big->len);
  g_string_free(big, TRUE);
}

static char *profile(const char *name)
{
  return g_build_filename(pki_dir, "profiles", name, NULL);
}

static int run(char **argv, const char *cwd, char **err_out)
{
  GError *err = NULL;
  int status = 0;
  char *out = NULL, *errs = NULL;
  if(!g_spawn_sync(cwd, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                   &errs, &status, &err))
    g_error("%s: %s", argv[0], err->message);
  g_free(out);
  if(err_out)
    *err_out = errs;
  else
    g_free(errs);
  return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

/* mkpackage.py with the standard content (a form, 住民票.pdf and
 * photo.jpg, signed by the adult profile) plus the given options
 * (NULL-ended); returns the ZIP's path. */
static char *make_package_path(const char *name, ...)
{
  g_autofree char *adult = profile("adult");
  char *out = g_strdup_printf("%s/%s.zip", work_dir, name);
  GPtrArray *argv = g_ptr_array_new();
  const char *base[] = {
    PYTHON3, MKPACKAGE_PY, "--profile", adult, "--proc-id", "P0001",
    "--form", form_path, "--attach", "jumin_hyo", pdf_path, PDF_NAME,
    "--attach", "face_photo", jpeg_path, "--out", out,
  };
  for(size_t i = 0; i < G_N_ELEMENTS(base); i++)
    g_ptr_array_add(argv, (gpointer)base[i]);
  va_list ap;
  va_start(ap, name);
  for(const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (gpointer)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  char *errs = NULL;
  if(run((char **)argv->pdata, NULL, &errs) != 0)
    g_error("mkpackage.py failed for %s:\n%s", name, errs);
  g_free(errs);
  g_ptr_array_free(argv, TRUE);
  return out;
}

#define make_package(...) read_file_free(make_package_path(__VA_ARGS__))

static GBytes *read_file_free(char *path)
{
  GBytes *b = read_file(path);
  g_free(path);
  return b;
}

/* A ZIP written by Python's zipfile from "NAME" or "NAME@store|bzip2"
 * entries, each holding a few PDF-looking bytes. */
static GBytes *python_zip(const char *name, ...)
{
  g_autofree char *out = g_strdup_printf("%s/%s.zip", work_dir, name);
  static const char *script =
    "import sys, zipfile\n"
    "m = {'store': zipfile.ZIP_STORED, 'bzip2': zipfile.ZIP_BZIP2}\n"
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
    "    for spec in sys.argv[2:]:\n"
    "        n, _, how = spec.partition('@')\n"
    "        i = zipfile.ZipInfo(n, (2026, 4, 1, 9, 0, 0))\n"
    "        i.compress_type = m.get(how, zipfile.ZIP_DEFLATED)\n"
    "        z.writestr(i, b'%PDF-1.4\\n' + n.encode())\n";
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)PYTHON3);
  g_ptr_array_add(argv, (gpointer)"-c");
  g_ptr_array_add(argv, (gpointer)script);
  g_ptr_array_add(argv, out);
  va_list ap;
  va_start(ap, name);
  for(const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (gpointer)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  char *errs = NULL;
  if(run((char **)argv->pdata, NULL, &errs) != 0)
    g_error("python zip %s failed:\n%s", name, errs);
  g_free(errs);
  g_ptr_array_free(argv, TRUE);
  return read_file(out);
}

/* ---- the independent verifier ---- */

/* Unzips the package into a fresh folder and runs, there, exactly the
 * command of portal-api.md. 0 when xmlsec1 accepts it. */
static int xmlsec1_verify(const char *zip_path)
{
  g_autofree char *dir = g_strdup_printf("%s.d", zip_path);
  g_autofree char *ca = g_build_filename(pki_dir, "ca", "sign-ca.pem", NULL);
  char *unzip[] = { "unzip", "-q", "-o", (char *)zip_path, "-d", dir, NULL };
  if(run(unzip, NULL, NULL) != 0)
    g_error("unzip %s failed", zip_path);
  char *verify[] = { "xmlsec1", "--verify", "--trusted-pem", ca,
                     "--id-attr:Id", "構成情報", "kousei.xml", NULL };
  return run(verify, dir, NULL);
}

/* ---- checking reports ---- */

static ps_package *verify(GBytes *zip, const ps_package_limits *lim,
                          GPtrArray *report)
{
  gsize n = 0;
  const uint8_t *d = g_bytes_get_data(zip, &n);
  ps_package *pkg = NULL;
  bool ok = ps_package_verify(d, n, lim, &pkg, report);
  g_assert_true(ok == (pkg != NULL));
  g_assert_true(ok == (report->len == 0));
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_assert_true(g_utf8_validate(it->item, -1, NULL));
    g_assert_true(g_utf8_validate(it->content, -1, NULL));
    g_assert_cmpuint(strlen(it->content), >, 0);
    g_test_message("  %s: %s", it->item, it->content);
  }
  return pkg;
}

static bool has_item(GPtrArray *report, const char *item)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(strcmp(it->item, item) == 0)
      return true;
  }
  return false;
}

static void dump(GPtrArray *report)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    g_printerr("  %s: %s\n", it->item, it->content);
  }
}

/* Rejected, and the distinct items of the report are exactly the given
 * ones (NULL-ended). Returns the report for further checks. */
static GPtrArray *expect_items(GBytes *zip, const ps_package_limits *lim,
                               ...)
{
  GPtrArray *report = ps_report_new();
  ps_package *pkg = verify(zip, lim, report);
  g_assert_null(pkg);
  GHashTable *want = g_hash_table_new(g_str_hash, g_str_equal);
  va_list ap;
  va_start(ap, lim);
  for(const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
    g_hash_table_add(want, (gpointer)s);
  va_end(ap);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, want);
  while(g_hash_table_iter_next(&it, &key, NULL)) {
    if(!has_item(report, key)) {
      dump(report);
      g_error("expected report item %s", (const char *)key);
    }
  }
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *ri = g_ptr_array_index(report, i);
    if(!g_hash_table_contains(want, ri->item)) {
      dump(report);
      g_error("unexpected report item %s", ri->item);
    }
  }
  g_hash_table_destroy(want);
  return report;
}

static void expect_content(GPtrArray *report, const char *item,
                           const char *text)
{
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    if(strcmp(it->item, item) == 0 && strstr(it->content, text))
      return;
  }
  dump(report);
  g_error("no %s item says \"%s\"", item, text);
}

/* ---- tests ---- */

static void test_valid(void)
{
  g_autofree char *path = make_package_path("valid", NULL);
  g_autoptr(GBytes) zip = read_file(path);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(ps_package) pkg = verify(zip, NULL, report);
  g_assert_nonnull(pkg);

  g_assert_cmpstr(pkg->proc_id, ==, "P0001");
  g_assert_cmpstr(pkg->form->name, ==, "form.xml");
  g_assert_null(pkg->form->attachment_id);
  g_assert_cmpstr(pkg->form->content_type, ==, "application/xml");
  g_autoptr(GBytes) form = read_file(form_path);
  g_assert_true(g_bytes_equal(form, pkg->form->data));

  g_assert_cmpuint(pkg->attachments->len, ==, 2);
  ps_package_file *a0 = g_ptr_array_index(pkg->attachments, 0);
  ps_package_file *a1 = g_ptr_array_index(pkg->attachments, 1);
  g_assert_cmpstr(a0->name, ==, PDF_NAME);
  g_assert_cmpstr(a0->attachment_id, ==, "jumin_hyo");
  g_assert_cmpstr(a0->content_type, ==, "application/pdf");
  g_autoptr(GBytes) pdf = read_file(pdf_path);
  g_assert_true(g_bytes_equal(pdf, a0->data));
  g_assert_cmpstr(a1->name, ==, "photo.jpg");
  g_assert_cmpstr(a1->attachment_id, ==, "face_photo");
  g_assert_cmpstr(a1->content_type, ==, "image/jpeg");

  /* The certificate handed to the caller is the profile's sign cert. */
  g_autofree char *adult = profile("adult");
  g_autofree char *der_path = g_build_filename(adult, "sign.der", NULL);
  g_autoptr(GBytes) der = read_file(der_path);
  unsigned char *mine = NULL;
  int n = i2d_X509(pkg->sign_cert, &mine);
  g_assert_cmpint(n, ==, (int)g_bytes_get_size(der));
  g_assert_cmpmem(mine, n, g_bytes_get_data(der, NULL), n);
  OPENSSL_free(mine);
  g_autofree char *cert_sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                           der);
  g_assert_cmpstr(pkg->applicant_cert_sha256, ==, cert_sha);

  g_autofree char *zip_sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256,
                                                          zip);
  g_assert_cmpstr(pkg->zip_sha256, ==, zip_sha);
  gsize klen = 0;
  const char *k = g_bytes_get_data(pkg->kousei_xml, &klen);
  g_assert_nonnull(g_strstr_len(k, (gssize)klen, "<構成情報 Id=\"構成情報\">"));

  /* The independent verifier agrees. */
  g_assert_cmpint(xmlsec1_verify(path), ==, 0);
}

static void test_tampered_attachment(void)
{
  g_autofree char *path = make_package_path("tamper-pdf", "--tamper",
                                            PDF_NAME, NULL);
  g_autoptr(GBytes) zip = read_file(path);
  g_autoptr(GPtrArray) r = expect_items(zip, NULL, "attachment:" PDF_NAME,
                                        NULL);
  expect_content(r, "attachment:" PDF_NAME, PDF_NAME " のダイジェストが");
  g_assert_cmpint(xmlsec1_verify(path), !=, 0);

  /* Two tampered files: both named (xmlsec alone would stop at one). */
  g_autoptr(GBytes) two = make_package("tamper-two", "--tamper", PDF_NAME,
                                       "--tamper", "form.xml", NULL);
  g_ptr_array_unref(expect_items(two, NULL, "attachment:" PDF_NAME,
                                         "form:form.xml", NULL));
}

static void test_missing_and_extra_files(void)
{
  g_autoptr(GBytes) dropped = make_package("drop", "--drop", "photo.jpg",
                                           NULL);
  g_autoptr(GPtrArray) r1 = expect_items(dropped, NULL,
                                         "attachment:photo.jpg", NULL);
  expect_content(r1, "attachment:photo.jpg", "ZIP にありません");

  g_autoptr(GBytes) extra = make_package("extra", "--extra", "extra.pdf",
                                         pdf_path, NULL);
  g_autoptr(GPtrArray) r2 = expect_items(extra, NULL, "package:extra.pdf",
                                         NULL);
  expect_content(r2, "package:extra.pdf", "記載されていない");

  g_autoptr(GBytes) unref = make_package("unreferenced", "--unreferenced",
                                         "photo.jpg", NULL);
  g_autoptr(GPtrArray) r3 = expect_items(unref, NULL, "attachment:photo.jpg",
                                         NULL);
  expect_content(r3, "attachment:photo.jpg", "Reference がありません");

  g_autoptr(GBytes) twice = make_package("double-ref", "--double-reference",
                                         "photo.jpg", NULL);
  g_autoptr(GPtrArray) r4 = expect_items(twice, NULL, "attachment:photo.jpg",
                                         NULL);
  expect_content(r4, "attachment:photo.jpg", "2 個");

  g_autoptr(GBytes) size = make_package("wrong-size", "--wrong-size",
                                        "photo.jpg", NULL);
  g_autoptr(GPtrArray) r5 = expect_items(size, NULL, "attachment:photo.jpg",
                                         NULL);
  expect_content(r5, "attachment:photo.jpg", "サイズ");

  g_autoptr(GBytes) type = make_package("wrong-type", "--content-type",
                                        "photo.jpg=image/png", NULL);
  g_autoptr(GPtrArray) r6 = expect_items(type, NULL, "attachment:photo.jpg",
                                         NULL);
  expect_content(r6, "attachment:photo.jpg", "image/png ではありません");
  expect_content(r6, "attachment:photo.jpg", "拡張子");

  /* A PDF's bytes under a .jpg name and type: the magic decides. */
  g_autoptr(GBytes) magic = make_package("bad-magic", "--attach", "other",
                                         pdf_path, "fake.jpg", NULL);
  g_ptr_array_unref(expect_items(magic, NULL, "attachment:fake.jpg",
                                         NULL));
}

static void test_bad_signatures(void)
{
  g_autofree char *minimal = profile("minimal");
  g_autofree char *foreign_path = make_package_path(
    "foreign", "--foreign-signer", minimal, NULL);
  g_autoptr(GBytes) foreign = read_file(foreign_path);
  g_ptr_array_unref(expect_items(foreign, NULL, "signature.value",
                                         NULL));
  g_assert_cmpint(xmlsec1_verify(foreign_path), !=, 0);

  g_autoptr(GBytes) sigval = make_package("tamper-sigval",
                                          "--tamper-signature", NULL);
  g_ptr_array_unref(expect_items(sigval, NULL, "signature.value",
                                         NULL));

  g_autoptr(GBytes) kousei = make_package("tamper-kousei", "--tamper-kousei",
                                          "P0002", NULL);
  g_ptr_array_unref(expect_items(kousei, NULL, "kousei.digest", NULL));

  g_autoptr(GBytes) nokey = make_package("no-keyinfo", "--no-keyinfo", NULL);
  g_ptr_array_unref(expect_items(nokey, NULL, "signature.key_info",
                                         NULL));

  g_autoptr(GBytes) c14n = make_package(
    "exc-c14n", "--c14n", "http://www.w3.org/2001/10/xml-exc-c14n#", NULL);
  g_ptr_array_unref(expect_items(c14n, NULL, "signature.c14n", NULL));

  g_autoptr(GBytes) sha1 = make_package(
    "sha1", "--digest", "http://www.w3.org/2000/09/xmldsig#sha1", NULL);
  g_ptr_array_unref(expect_items(sha1, NULL,
                                         "signature.digest_method", NULL));

  /* KeyInfo holds another valid certificate than the signer's. */
  g_autofree char *other = g_build_filename(minimal, "sign.der", NULL);
  g_autoptr(GBytes) swapped = make_package("keyinfo-swapped",
                                           "--keyinfo-cert", other, NULL);
  g_ptr_array_unref(expect_items(swapped, NULL, "signature.value",
                                         NULL));
}

/* Trust is the caller's decision: a self-signed or expired signer passes
 * here with its certificate handed over, while xmlsec1 with the sign CA
 * rejects the self-signed one. */
static void test_trust_left_to_caller(void)
{
  g_autofree char *path = make_package_path("self-signed", "--self-signed",
                                            NULL);
  g_autoptr(GBytes) zip = read_file(path);
  g_autoptr(GPtrArray) report = ps_report_new();
  g_autoptr(ps_package) pkg = verify(zip, NULL, report);
  g_assert_nonnull(pkg);
  char cn[128] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(pkg->sign_cert),
                            NID_commonName, cn, sizeof cn);
  g_assert_cmpstr(cn, ==, "mkpackage self-signed");
  g_assert_cmpint(xmlsec1_verify(path), !=, 0);

  g_autofree char *expired = profile("expired");
  g_autofree char *key = g_build_filename(expired, "sign.key.pem", NULL);
  g_autofree char *cert = g_build_filename(expired, "sign.der", NULL);
  g_autoptr(GBytes) old = make_package("expired", "--key", key, "--cert",
                                       cert, NULL);
  g_autoptr(GPtrArray) r2 = ps_report_new();
  g_autoptr(ps_package) pkg2 = verify(old, NULL, r2);
  g_assert_nonnull(pkg2);
  g_assert_cmpint(X509_cmp_current_time(X509_get0_notAfter(pkg2->sign_cert)),
                  <, 0);
}

static void test_hostile_xml(void)
{
  /* A wrapping attack: the signed 構成情報 moved aside, a changed one with
   * the same Id in its place. */
  g_autoptr(GBytes) dup = make_package("duplicate-id", "--duplicate-id",
                                       NULL);
  g_autoptr(GPtrArray) r1 = expect_items(dup, NULL, "kousei", NULL);
  expect_content(r1, "kousei", "2 個あります");

  /* XXE: a DOCTYPE with an external entity. */
  g_autoptr(GBytes) xxe = make_package("xxe", "--doctype", "xxe", NULL);
  g_autoptr(GPtrArray) r2 = expect_items(xxe, NULL, "kousei", NULL);
  expect_content(r2, "kousei", "DOCTYPE");
  g_autoptr(GBytes) dtd = make_package("dtd", "--doctype", "system", NULL);
  g_autoptr(GPtrArray) r2b = expect_items(dtd, NULL, "kousei", NULL);
  expect_content(r2b, "kousei", "DOCTYPE");

  g_autoptr(GBytes) proc = make_package("bad-proc-id", "--tamper-kousei",
                                        "P 0001!", NULL);
  g_ptr_array_unref(expect_items(proc, NULL, "kousei.proc_id",
                                         "kousei.digest", NULL));

  /* Signed, but not the layout of the format. */
  g_autoptr(GBytes) note = make_package("unknown-element", "--inject",
                                        "<note>x</note>", NULL);
  g_autoptr(GPtrArray) r4 = expect_items(note, NULL, "kousei", NULL);
  expect_content(r4, "kousei", "note");

  g_autoptr(GBytes) form2 = make_package(
    "two-forms", "--inject",
    "<files><file role=\"form\" name=\"x.xml\"/></files>", NULL);
  g_ptr_array_unref(expect_items(form2, NULL, "kousei", NULL));

  /* The applicant names another certificate than the signer's. */
  g_autofree char *minimal = profile("minimal");
  g_autofree char *other = g_build_filename(minimal, "sign.der", NULL);
  g_autoptr(GBytes) appl = make_package("applicant", "--applicant-cert",
                                        other, NULL);
  g_autoptr(GPtrArray) r6 = expect_items(appl, NULL, "kousei.applicant",
                                         NULL);
  expect_content(r6, "kousei.applicant", "一致しません");

  /* A name that is not in NFC (か + combining dakuten): the ZIP is refused
   * before anything is read. */
  g_autoptr(GBytes) nfd = make_package("nfd-name", "--attach", "other",
                                       pdf_path, "か\u3099.pdf", NULL);
  g_autoptr(GPtrArray) r7 = expect_items(nfd, NULL, "package:か\u3099.pdf",
                                         NULL);
  expect_content(r7, "package:か\u3099.pdf", "NFC");
}

static void test_zip_attacks(void)
{
  g_autoptr(GBytes) trav = make_package("traversal", "--traversal",
                                        "../evil.pdf", "--traversal",
                                        "/etc/evil.pdf", NULL);
  g_autoptr(GPtrArray) r1 = expect_items(trav, NULL, "package:../evil.pdf",
                                         "package:/etc/evil.pdf", NULL);
  expect_content(r1, "package:../evil.pdf", "フォルダやパス");

  /* 2 MB of zeros deflate to about 2 KB: ratio 1000. */
  g_autoptr(GBytes) bomb = make_package("bomb", "--bomb", "2000000", NULL);
  g_autoptr(GPtrArray) r2 = expect_items(bomb, NULL, "package:bomb.pdf",
                                         NULL);
  expect_content(r2, "package:bomb.pdf", "zip 爆弾");

  g_autoptr(GBytes) lie = make_package("lie-size", "--lie-size", PDF_NAME,
                                       NULL);
  g_ptr_array_unref(expect_items(lie, NULL, "package:" PDF_NAME,
                                         NULL));

  g_autoptr(GBytes) flag = make_package("no-utf8-flag", "--no-utf8-flag",
                                        NULL);
  g_autoptr(GPtrArray) r4 = expect_items(flag, NULL, "package:" PDF_NAME,
                                         NULL);
  expect_content(r4, "package:" PDF_NAME, "UTF-8 フラグ");

  g_autoptr(GBytes) nokousei = python_zip("no-kousei", "form.xml", NULL);
  g_autoptr(GPtrArray) r5 = expect_items(nokousei, NULL, "package", NULL);
  expect_content(r5, "package", "kousei.xml がありません");

  g_autoptr(GBytes) odd = python_zip("odd-entries", "kousei.xml", "sub/",
                                     "a.pdf", "A.PDF", "b.pdf@bzip2",
                                     "c d.pdf@store", NULL);
  g_autoptr(GPtrArray) r6 = expect_items(odd, NULL, "package:sub/",
                                         "package:A.PDF", "package:b.pdf",
                                         "package:c d.pdf", NULL);
  expect_content(r6, "package:A.PDF", "大文字・小文字");
  expect_content(r6, "package:b.pdf", "圧縮方式 12");

  uint8_t junk[1000];
  for(size_t i = 0; i < sizeof junk; i++)
    junk[i] = (uint8_t)(i * 7);
  g_autoptr(GBytes) notzip = g_bytes_new(junk, sizeof junk);
  g_ptr_array_unref(expect_items(notzip, NULL, "package", NULL));
  g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
  g_ptr_array_unref(expect_items(empty, NULL, "package", NULL));
}

static void test_limits(void)
{
  g_autoptr(GBytes) zip = make_package("limits", "--attach", "extra",
                                       big_path, NULL);
  ps_package_limits lim = ps_package_default_limits;
  g_autoptr(GPtrArray) ok = ps_report_new();
  g_autoptr(ps_package) pkg = verify(zip, &lim, ok);
  g_assert_nonnull(pkg);

  lim.max_entries = 4; /* kousei, form, 2 attachments, big.pdf */
  g_autoptr(GPtrArray) r1 = expect_items(zip, &lim, "package", NULL);
  expect_content(r1, "package", "ファイル数が 5");

  lim = ps_package_default_limits;
  lim.max_total_size = 200 * 1024;
  g_autoptr(GPtrArray) r2 = expect_items(zip, &lim, "package", NULL);
  expect_content(r2, "package", "合計サイズ");

  lim = ps_package_default_limits;
  lim.max_entry_size = 100 * 1024;
  g_ptr_array_unref(expect_items(zip, &lim, "package:big.pdf",
                                         NULL));

  lim = ps_package_default_limits;
  lim.max_ratio = 2; /* big.pdf deflates to less than half */
  g_ptr_array_unref(expect_items(zip, &lim, "package:big.pdf",
                                         NULL));

  lim = ps_package_default_limits;
  lim.max_name_bytes = 12; /* 住民票.pdf is 13 bytes */
  g_ptr_array_unref(expect_items(zip, &lim, "package:" PDF_NAME,
                                         NULL));

  lim = ps_package_default_limits;
  lim.max_kousei_size = 100;
  g_ptr_array_unref(expect_items(zip, &lim, "kousei", NULL));
}

typedef struct thread_job {
  GBytes *valid, *tampered;
  int rounds;
} thread_job;

static gpointer verify_thread(gpointer data)
{
  thread_job *job = data;
  for(int i = 0; i < job->rounds; i++) {
    GBytes *zip = i % 2 ? job->tampered : job->valid;
    g_autoptr(GPtrArray) report = ps_report_new();
    gsize n = 0;
    const uint8_t *d = g_bytes_get_data(zip, &n);
    ps_package *pkg = NULL;
    bool ok = ps_package_verify(d, n, NULL, &pkg, report);
    if(ok != !(i % 2) || (!ok && !has_item(report, "attachment:photo.jpg")))
      return GINT_TO_POINTER(1);
    ps_package_free(pkg);
  }
  return NULL;
}

/* Verifications on several threads at once: each must read its own
 * package's files (xmlsec's input callbacks are process-wide). */
static void test_threads(void)
{
  thread_job job = {
    .valid = make_package("thread-valid", NULL),
    .tampered = make_package("thread-tampered", "--tamper", "photo.jpg", NULL),
    .rounds = 12,
  };
  GThread *t[4];
  for(size_t i = 0; i < G_N_ELEMENTS(t); i++)
    t[i] = g_thread_new("verify", verify_thread, &job);
  for(size_t i = 0; i < G_N_ELEMENTS(t); i++)
    g_assert_null(g_thread_join(t[i]));
  g_bytes_unref(job.valid);
  g_bytes_unref(job.tampered);
}

/* Damaged copies of a valid package (stored, so that flips reach the XML
 * and the files, not only the deflate streams): an answer that agrees with
 * its report every time, never a crash. */
static void test_damage_storm(void)
{
  g_autoptr(GBytes) zip = make_package("storm", "--store", NULL);
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(zip, &n);
  guint8 *copy = g_malloc(n);
  guint32 seed = 77;
  unsigned rejected = 0;
  for(int round = 0; round < 200; round++) {
    memcpy(copy, d, n);
    for(int f = 0; f < 1 + round % 4; f++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % n;
      seed = seed * 1103515245u + 12345u;
      copy[at] ^= (guint8)(1u << ((seed >> 16) % 8));
    }
    g_autoptr(GPtrArray) report = ps_report_new();
    ps_package *pkg = NULL;
    bool ok = ps_package_verify(copy, n, NULL, &pkg, report);
    g_assert_true(ok == (report->len == 0));
    g_assert_true(ok == (pkg != NULL));
    if(!ok)
      rejected++;
    ps_package_free(pkg);
  }
  g_free(copy);
  /* A flipped bit that libzip does not read (an unused header field) may
   * leave a valid package; almost every other one is caught. */
  g_assert_cmpuint(rejected, >, 150);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  const char *pki = g_getenv("MYNA_TEST_PKI");
  if(!pki || !g_file_test(pki, G_FILE_TEST_IS_DIR)) {
    g_printerr("MYNA_TEST_PKI must name the build's test PKI folder\n");
    return 1;
  }
  pki_dir = g_strdup(pki);
  GError *err = NULL;
  work_dir = g_dir_make_tmp("test-package-XXXXXX", &err);
  if(!work_dir)
    g_error("%s", err->message);
  make_fixtures();
  g_assert_true(ps_package_global_init());

  g_test_add_func("/package/valid", test_valid);
  g_test_add_func("/package/tampered-attachment-named",
                  test_tampered_attachment);
  g_test_add_func("/package/missing-extra-unreferenced-files",
                  test_missing_and_extra_files);
  g_test_add_func("/package/bad-signatures", test_bad_signatures);
  g_test_add_func("/package/trust-left-to-caller", test_trust_left_to_caller);
  g_test_add_func("/package/wrapping-xxe-proc-id", test_hostile_xml);
  g_test_add_func("/package/zip-attacks", test_zip_attacks);
  g_test_add_func("/package/limits", test_limits);
  g_test_add_func("/package/threads", test_threads);
  g_test_add_func("/package/damaged-copies-never-crash", test_damage_storm);
  int rv = g_test_run();

  ps_package_global_cleanup();
  char *rm[] = { "rm", "-rf", work_dir, NULL };
  run(rm, NULL, NULL);
  g_free(work_dir);
  g_free(pki_dir);
  g_free(form_path);
  g_free(pdf_path);
  g_free(jpeg_path);
  g_free(big_path);
  return rv;
}
