/* testutil.c - shared helpers of the unit tests (see testutil.h). */
#include "testutil.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

struct myna_test_mock {
  const myna_test_exchange *script;
  size_t n;
  size_t pos;
  bool extended;
  unsigned *resets;
  GString *log;
};

size_t myna_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
  size_t n = 0;
  int hi = -1;
  for(const char *p = hex; *p; p++) {
    if(*p == ' ' || *p == '\n')
      continue;
    int v = g_ascii_xdigit_value(*p);
    if(v < 0)
      g_error("bad hex character '%c' in \"%s\"", *p, hex);
    if(hi < 0) {
      hi = v;
      continue;
    }
    if(n >= cap)
      g_error("hex longer than %zu bytes: \"%s\"", cap, hex);
    out[n++] = (uint8_t)(hi << 4 | v);
    hi = -1;
  }
  if(hi >= 0)
    g_error("odd number of hex digits in \"%s\"", hex);
  return n;
}

char *myna_test_hex(const uint8_t *p, size_t n)
{
  GString *s = g_string_sized_new(n * 3 + 1);
  for(size_t i = 0; i < n; i++)
    g_string_append_printf(s, i ? " %02X" : "%02X", p[i]);
  return g_string_free(s, FALSE);
}

static myna_rv mock_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                             uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
  myna_test_mock *m = ctx;
  g_autofree char *got = myna_test_hex(cmd, cmd_len);
  if(m->pos >= m->n)
    g_error("unexpected APDU after the end of the script: %s", got);
  const myna_test_exchange *x = &m->script[m->pos++];
  uint8_t want[MYNA_APDU_MAX_COMMAND];
  size_t want_len = myna_test_unhex(x->command, want, sizeof(want));
  g_autofree char *want_hex = myna_test_hex(want, want_len);
  g_assert_cmpstr(got, ==, want_hex);
  if(m->log)
    g_string_append_c(m->log, 'A');
  if(!strcmp(x->response, "REMOVED"))
    return MYNA_E_CARD_REMOVED;
  if(!strcmp(x->response, "RESET"))
    return MYNA_E_CARD_RESET;
  if(!strcmp(x->response, "IO"))
    return MYNA_E_IO;
  *resp_len = myna_test_unhex(x->response, resp, resp_cap);
  return MYNA_OK;
}

static myna_rv mock_caps(void *ctx, myna_transport_caps *caps)
{
  myna_test_mock *m = ctx;
  caps->extended_apdu = m->extended;
  caps->max_command = m->extended ? MYNA_APDU_MAX_COMMAND : 261;
  caps->max_response = m->extended ? 65536 : 256;
  return MYNA_OK;
}

static myna_rv mock_reset(void *ctx)
{
  myna_test_mock *m = ctx;
  if(m->resets)
    (*m->resets)++;
  if(m->log)
    g_string_append_c(m->log, 'R');
  return MYNA_OK;
}

static myna_rv mock_begin(void *ctx)
{
  myna_test_mock *m = ctx;
  if(m->log)
    g_string_append_c(m->log, '[');
  return MYNA_OK;
}

static myna_rv mock_end(void *ctx)
{
  myna_test_mock *m = ctx;
  if(m->log)
    g_string_append_c(m->log, ']');
  return MYNA_OK;
}

static myna_rv mock_present(void *ctx, bool *present)
{
  (void)ctx;
  *present = true;
  return MYNA_OK;
}

static const char *mock_name(void *ctx)
{
  (void)ctx;
  return "mock";
}

static void mock_destroy(void *ctx)
{
  g_free(ctx);
}

static const myna_transport_ops mock_ops = {
  .transmit = mock_transmit,
  .get_caps = mock_caps,
  .reset = mock_reset,
  .is_present = mock_present,
  .begin = mock_begin,
  .end = mock_end,
  .name = mock_name,
  .destroy = mock_destroy,
};

myna_transport myna_test_mock_transport(const myna_test_exchange *script,
                                        size_t n, bool extended,
                                        myna_test_mock **mock)
{
  myna_test_mock *m = g_new0(myna_test_mock, 1);
  m->script = script;
  m->n = n;
  m->extended = extended;
  if(mock)
    *mock = m;
  return (myna_transport){ .ops = &mock_ops, .ctx = m };
}

size_t myna_test_mock_consumed(const myna_test_mock *mock)
{
  return mock->pos;
}

void myna_test_mock_count_resets(myna_test_mock *mock, unsigned *resets)
{
  mock->resets = resets;
}

void myna_test_mock_record(myna_test_mock *mock, GString *log)
{
  mock->log = log;
}

const char *myna_test_pki_dir(void)
{
  const char *dir = g_getenv("MYNA_TEST_PKI");
  if(!dir || !*dir)
    g_error("MYNA_TEST_PKI is not set: run the tests through ctest");
  return dir;
}

typedef struct vcard_copy {
  myna_vcard *card;
  char *dir;
} vcard_copy;

static GSList *copies;

static void copy_tree(const char *from, const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open(from, 0, &error);
  g_assert_no_error(error);
  const char *name;
  while((name = g_dir_read_name(d))) {
    g_autofree char *src = g_build_filename(from, name, NULL);
    g_autofree char *dst = g_build_filename(to, name, NULL);
    if(g_file_test(src, G_FILE_TEST_IS_DIR)) {
      g_assert_cmpint(g_mkdir(dst, 0700), ==, 0);
      copy_tree(src, dst);
      continue;
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(src, &data, &len, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, &error));
    g_assert_no_error(error);
  }
}

static void remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if(d) {
    const char *name;
    while((name = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(dir, name, NULL);
      if(g_file_test(p, G_FILE_TEST_IS_DIR))
        remove_tree(p);
      else
        g_unlink(p);
    }
  }
  g_rmdir(dir);
}

myna_vcard *myna_test_vcard_new(const char *name, unsigned quirks)
{
  g_autofree char *src = g_build_filename(myna_test_pki_dir(), "profiles",
                                          name, NULL);
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("myna-vcard-XXXXXX", &error);
  g_assert_no_error(error);
  copy_tree(src, dir);
  g_autofree char *ini = g_build_filename(dir, "profile.ini", NULL);
  char err[256] = "";
  myna_vcard *card = myna_vcard_load(ini, err, sizeof(err));
  if(!card)
    g_error("cannot load profile %s: %s", ini, err);
  myna_vcard_set_quirks(card, quirks, 0);
  vcard_copy *c = g_new0(vcard_copy, 1);
  c->card = card;
  c->dir = dir;
  copies = g_slist_prepend(copies, c);
  return card;
}

const char *myna_test_vcard_dir(const myna_vcard *card)
{
  for(GSList *l = copies; l; l = l->next) {
    vcard_copy *c = l->data;
    if(c->card == card)
      return c->dir;
  }
  return NULL;
}

void myna_test_vcard_free(myna_vcard *card)
{
  for(GSList *l = copies; l; l = l->next) {
    vcard_copy *c = l->data;
    if(c->card != card)
      continue;
    copies = g_slist_remove(copies, c);
    myna_vcard_free(card);
    remove_tree(c->dir);
    g_free(c->dir);
    g_free(c);
    return;
  }
  myna_vcard_free(card);
}

myna_card *myna_test_open(myna_vcard *vcard)
{
  myna_card *card = NULL;
  g_assert_cmpint(myna_card_open(myna_vcard_transport(vcard, false), &card), ==,
                  MYNA_OK);
  return card;
}

myna_secret *myna_test_secret(const char *s)
{
  myna_secret *sec = myna_secret_from_bytes(s, strlen(s));
  g_assert_nonnull(sec);
  return sec;
}

static void log_apdu(void *user, bool is_command, const uint8_t *b, size_t len)
{
  myna_test_apdu_log *l = user;
  if(!is_command) {
    g_assert_cmpuint(len, >=, 2);
    g_string_append_printf(l->words, ":%02X%02X", b[len - 2], b[len - 1]);
    return;
  }
  g_assert_cmpuint(len, >=, 4);
  l->commands++;
  if(l->words->len)
    g_string_append_c(l->words, ' ');
  switch(b[1]) {
  case 0xA4:
    if(b[2] != 0x04)
      g_string_append_printf(l->words, "SELECT-%02X%02X", b[5], b[6]);
    else if(!l->name_aps || len < 15)
      g_string_append(l->words, "SELECT-AP");
    else /* the last byte of the AID tells the applications apart */
      g_string_append(l->words, b[14] == 0x08 ? "SELECT-TEXT" :
                                b[14] == 0x01 ? "SELECT-JPKI" : "SELECT-AP");
    break;
  case 0xB0:
    g_string_append(l->words, "READ");
    break;
  case 0x20:
    if(len > 5)
      l->verifies++;
    g_string_append(l->words, len > 5 ? "VERIFY" : "VERIFY-STATUS");
    break;
  case 0x24:
    g_string_append(l->words, "CHANGE");
    break;
  case 0x2A:
    g_string_append(l->words, "SIGN");
    break;
  case 0xC0:
    g_string_append(l->words, "GET-RESPONSE");
    break;
  default:
    g_string_append_printf(l->words, "INS-%02X", b[1]);
  }
}

void myna_test_log_init(myna_test_apdu_log *l, myna_card *card, bool name_aps)
{
  l->words = g_string_new("");
  l->commands = 0;
  l->verifies = 0;
  l->name_aps = name_aps;
  myna_card_set_trace(card, log_apdu, l);
}

void myna_test_log_free(myna_test_apdu_log *l)
{
  g_string_free(l->words, TRUE);
  l->words = NULL;
}

const myna_test_mode myna_test_modes[MYNA_TEST_N_MODES] = {
  { "extended", 0 },
  { "short-only", MYNA_VCARD_QUIRK_SHORT_ONLY },
  { "t0", MYNA_VCARD_QUIRK_T0 },
};

void myna_test_add_per_mode(const char *prefix, const char *behaviour,
                            GTestDataFunc fn)
{
  for(size_t i = 0; i < MYNA_TEST_N_MODES; i++) {
    g_autofree char *path = g_strdup_printf("/%s/%s/%s", prefix,
                                            myna_test_modes[i].name, behaviour);
    g_test_add_data_func(path, &myna_test_modes[i], fn);
  }
}
