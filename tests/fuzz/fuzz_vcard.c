/* fuzz_vcard.c - the software card (myna_vcard_process) against arbitrary
 * command APDUs.
 *
 * The card is the generated adult profile, loaded once. Its path comes from
 * $MYNA_FUZZ_PROFILE (a profile.ini) or else from the build
 * (MYNA_FUZZ_DEFAULT_PROFILE, ${MYNA_PKI_DIR}/profiles/adult/profile.ini).
 * The profile folder is copied to a temporary folder first, and the copy's
 * profile.ini loses its `state=` line: counters then live in memory only, so
 * the fuzzer never writes (or fsyncs) a state file and never touches the
 * build tree's profile.
 *
 * The fuzzer tries PINs, so counters go down. Each input must run on the
 * same card for a crash to reproduce, so after an input that changed a
 * counter or a PIN (CHANGE REFERENCE DATA answered 9000) the card is loaded
 * again from the copy; every input also starts with a power cycle (no AP, no
 * EF, nothing verified, nothing held for GET RESPONSE). Blocking a PIN thus
 * lasts for one input at most.
 *
 * Input:
 *   byte 0       quirks of the reader path: bits 0-1 select none, short-only,
 *                t0 or both (slow is never used); bit 2 makes the response
 *                buffer small (2..257 bytes from byte 1) instead of 65538
 *   then chunks  2-byte big-endian length + that many bytes: one command
 *                APDU each, processed in order.
 *
 * Set MYNA_FUZZ_VERBOSE=1 to print each command and the card's answer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fuzz_common.h"
#include "mynacard/apdu.h"
#include "mynavcard/vcard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#ifndef MYNA_FUZZ_DEFAULT_PROFILE
#define MYNA_FUZZ_DEFAULT_PROFILE ""
#endif

#define RESP_CAP 65538u

static const char *const counters[] = { "auth", "sign", "text", "face-b",
                                        "face-a" };
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

static char *tmp_dir;
static char *tmp_profile;
static myna_vcard *card;
static int initial_tries[N_COUNTERS];
static uint8_t *resp;
static bool verbose;

static void remove_tmp(void)
{
  if(!tmp_dir)
    return;
  GDir *d = g_dir_open(tmp_dir, 0, NULL);
  if(d) {
    const char *name;
    while((name = g_dir_read_name(d))) {
      g_autofree char *p = g_build_filename(tmp_dir, name, NULL);
      g_unlink(p);
    }
    g_dir_close(d);
  }
  g_rmdir(tmp_dir);
  g_free(tmp_dir);
  tmp_dir = NULL;
}

static void die(const char *what, const char *detail)
{
  fprintf(stderr, "fuzz_vcard: %s%s\n", what, detail ? detail : "");
  exit(2);
}

/* Copy the profile folder (flat, as the generator writes it), dropping the
 * state file setting and any state file. */
static void copy_profile(const char *profile_ini)
{
  g_autofree char *src = g_path_get_dirname(profile_ini);
  g_autofree char *ini_name = g_path_get_basename(profile_ini);
  g_autoptr(GError) error = NULL;
  tmp_dir = g_dir_make_tmp("myna-fuzz-vcard-XXXXXX", &error);
  if(!tmp_dir)
    die("cannot make a temporary folder: ", error->message);
  atexit(remove_tmp);
  GDir *d = g_dir_open(src, 0, &error);
  if(!d)
    die("cannot open the profile folder: ", error->message);
  const char *name;
  while((name = g_dir_read_name(d))) {
    g_autofree char *from = g_build_filename(src, name, NULL);
    g_autofree char *to = g_build_filename(tmp_dir, name, NULL);
    if(!g_file_test(from, G_FILE_TEST_IS_REGULAR))
      continue;
    char *buf = NULL;
    gsize n = 0;
    if(!g_file_get_contents(from, &buf, &n, &error))
      die("cannot read ", from);
    if(!strcmp(name, ini_name)) {
      /* counters in memory only: no state= line */
      GString *out = g_string_new(NULL);
      gchar **lines = g_strsplit(buf, "\n", -1);
      for(gchar **l = lines; *l; l++) {
        const char *s = *l;
        while(*s == ' ' || *s == '\t')
          s++;
        if(!strncmp(s, "state", 5) && strchr(s, '='))
          continue;
        g_string_append(out, *l);
        if(l[1])
          g_string_append_c(out, '\n');
      }
      g_strfreev(lines);
      g_free(buf);
      n = out->len;
      buf = g_string_free(out, FALSE);
    }
    if(!g_file_set_contents(to, buf, (gssize)n, &error))
      die("cannot write ", to);
    g_free(buf);
  }
  g_dir_close(d);
  tmp_profile = g_build_filename(tmp_dir, ini_name, NULL);
}

static void load_card(void)
{
  char err[512] = "";
  card = myna_vcard_load(tmp_profile, err, sizeof(err));
  if(!card)
    die("cannot load the profile: ", err);
  for(size_t i = 0; i < N_COUNTERS; i++)
    initial_tries[i] = myna_vcard_tries(card, counters[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  const char *v = getenv("MYNA_FUZZ_VERBOSE");
  verbose = v && *v && strcmp(v, "0") != 0;
  const char *profile = getenv("MYNA_FUZZ_PROFILE");
  if(!profile || !*profile)
    profile = MYNA_FUZZ_DEFAULT_PROFILE;
  if(!*profile)
    die("set MYNA_FUZZ_PROFILE to a profile.ini (e.g. "
        "build/pki/profiles/adult/profile.ini)", NULL);
  if(!g_file_test(profile, G_FILE_TEST_IS_REGULAR))
    die("no profile (build the test-pki target or set MYNA_FUZZ_PROFILE) "
        "at ", profile);
  copy_profile(profile);
  load_card();
  resp = malloc(RESP_CAP);
  if(!resp)
    die("out of memory", NULL);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1)
    return 0;
  static const unsigned quirk_sets[] = {
    0, MYNA_VCARD_QUIRK_SHORT_ONLY, MYNA_VCARD_QUIRK_T0,
    MYNA_VCARD_QUIRK_SHORT_ONLY | MYNA_VCARD_QUIRK_T0
  };
  unsigned mode = data[0];
  size_t cap = RESP_CAP;
  fuzz_chunks in = { data + 1, size - 1, 0 };
  if(mode & 4) {
    if(size < 2)
      return 0;
    cap = 2 + data[1];
    in = (fuzz_chunks){ data + 2, size - 2, 0 };
  }
  /* a power cycle: the same card for every input */
  myna_vcard_set_present(card, true);
  myna_vcard_remove_after(card, 0);
  myna_vcard_set_quirks(card, quirk_sets[mode & 3], 0);
  myna_vcard_reset(card);

  bool changed = false;
  const uint8_t *cmd;
  size_t len;
  while(fuzz_next_chunk(&in, &cmd, &len, NULL, 0)) {
    /* an exactly sized copy, so that ASan sees a read past the command */
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, cmd, len);
    size_t n = myna_vcard_process(card, copy, len, resp, cap);
    FUZZ_CHECK(n >= 2 && n <= cap);
    fuzz_touch(resp, n);
    uint16_t sw = (uint16_t)(resp[n - 2] << 8 | resp[n - 1]);
    if(verbose) {
      fprintf(stderr, ">");
      for(size_t i = 0; i < len && i < 24; i++)
        fprintf(stderr, " %02X", copy[i]);
      fprintf(stderr, "%s\n< %zu bytes, SW %04X\n", len > 24 ? " ..." : "",
              n - 2, sw);
    }
    /* only a successful command or 61xx carries data */
    if(n > 2)
      FUZZ_CHECK(sw == 0x9000 || (sw >> 8) == 0x61);
    myna_apdu a;
    /* CHANGE REFERENCE DATA took a new PIN (6581: taken, but not saved) */
    if(len >= 2 && copy[1] == 0x24 && (sw == 0x9000 || sw == 0x6581))
      changed = true;
    if(myna_apdu_decode(copy, len, &a, NULL) == MYNA_OK && a.ne && n > 2)
      FUZZ_CHECK(n - 2 <= a.ne); /* never more than Le asked for */
    free(copy);
  }
  for(size_t i = 0; i < N_COUNTERS; i++)
    if(myna_vcard_tries(card, counters[i]) != initial_tries[i])
      changed = true;
  if(changed) {
    myna_vcard_free(card);
    load_card();
  }
  return 0;
}
