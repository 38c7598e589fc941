/* fuzz_package.c - ps_package_verify on hostile input, in two modes chosen
 * by the first byte:
 *
 *   0  the rest is the whole ZIP;
 *   1  the rest is kousei.xml, put into a ZIP (stored, built here with
 *      libzip) next to fixed files: form.xml and 住民票.pdf with the
 *      contents below. The seed of this mode is the kousei.xml of a real
 *      package over exactly these files (mkseeds.py), so mutations start
 *      from a signature that verifies and reach every check, xmlsec
 *      included, rather than dying in the ZIP reader.
 *
 * libzip, libxml2, xmlsec and OpenSSL are system libraries (not
 * instrumented); coverage guides the fuzzer through package.c. Properties:
 * the answer agrees with the report and with *out, an accepted package has
 * the documented shape, every report text is non-empty UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <zip.h>

#include "fuzz_common.h"
#include "package.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256 * 1024)

/* Must match tests/portal/package/mkseeds.py. */
static const char form_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<form/>\n";
static const char jumin_pdf[] = "%PDF-1.4\n%fuzz\n%%EOF\n";

/* Small limits: the same checks, less time per input. */
static const ps_package_limits limits = {
  .max_entries = 16,
  .max_total_size = 1024 * 1024,
  .max_entry_size = 512 * 1024,
  .max_ratio = 100,
  .max_name_bytes = 128,
  .max_kousei_size = 256 * 1024,
};

static bool add_stored(zip_t *za, const char *name, const void *d, size_t n)
{
  zip_source_t *s = zip_source_buffer(za, d, n, 0);
  if(!s)
    return false;
  zip_int64_t i = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
  if(i < 0) {
    zip_source_free(s);
    return false;
  }
  return zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_STORE, 0) == 0;
}

/* The ZIP of mode 1, or NULL. */
static GBytes *wrap_kousei(const uint8_t *kousei, size_t n)
{
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &err);
  GBytes *out = NULL;
  if(!buf)
    goto done;
  zip_source_keep(buf);
  zip_t *za = zip_open_from_source(buf, ZIP_TRUNCATE, &err);
  if(!za) {
    zip_source_free(buf);
    goto done;
  }
  if(!add_stored(za, "kousei.xml", kousei, n) ||
     !add_stored(za, "form.xml", form_xml, strlen(form_xml)) ||
     !add_stored(za, "住民票.pdf", jumin_pdf, strlen(jumin_pdf)) ||
     zip_close(za) != 0) {
    zip_discard(za);
    zip_source_free(buf);
    goto done;
  }
  zip_stat_t st;
  if(zip_source_stat(buf, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
     zip_source_open(buf) == 0) {
    uint8_t *d = g_malloc(st.size ? st.size : 1);
    if(zip_source_read(buf, d, st.size) == (zip_int64_t)st.size)
      out = g_bytes_new_take(d, st.size);
    else
      g_free(d);
    zip_source_close(buf);
  }
  zip_source_free(buf);
done:
  zip_error_fini(&err);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1 || size > FUZZ_MAX_INPUT || data[0] > 1)
    return -1;
  FUZZ_CHECK(ps_package_global_init());
  GBytes *zip = data[0] == 0 ? g_bytes_new(data + 1, size - 1)
                             : wrap_kousei(data + 1, size - 1);
  if(!zip)
    return 0;
  gsize n = 0;
  const uint8_t *z = g_bytes_get_data(zip, &n);
  GPtrArray *report = ps_report_new();
  ps_package *pkg = NULL;
  bool ok = ps_package_verify(z, n, &limits, &pkg, report);
  FUZZ_CHECK(ok == (pkg != NULL));
  FUZZ_CHECK(ok == (report->len == 0));
  if(ok) {
    FUZZ_CHECK(pkg->proc_id && pkg->proc_id[0]);
    FUZZ_CHECK(pkg->form && pkg->form->data && !pkg->form->attachment_id);
    FUZZ_CHECK(pkg->sign_cert && pkg->kousei_xml);
    FUZZ_CHECK(strlen(pkg->zip_sha256) == 64);
    FUZZ_CHECK(strlen(pkg->applicant_cert_sha256) == 64);
    for(guint i = 0; i < pkg->attachments->len; i++) {
      const ps_package_file *f = g_ptr_array_index(pkg->attachments, i);
      FUZZ_CHECK(f->name && f->attachment_id && f->content_type && f->data);
      gsize fl = 0;
      const void *fd = g_bytes_get_data(f->data, &fl);
      fuzz_touch(fd, fl);
    }
  }
  for(guint i = 0; i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    FUZZ_CHECK(it->item[0] != '\0' && g_utf8_validate(it->item, -1, NULL));
    FUZZ_CHECK(it->content[0] != '\0');
    FUZZ_CHECK(g_utf8_validate(it->content, -1, NULL));
  }
  ps_package_free(pkg);
  g_ptr_array_unref(report);
  g_bytes_unref(zip);
  return 0;
}
