/* bench_card.c - APDU counts, bytes on the wire and wall time of the JPKI
 * flows of libmynacard, on the software card served in-process.
 *
 * Not a timed assertion: it prints a table (docs/performance.md). It exits
 * non-zero when any operation fails, when a certificate read from the card
 * differs from the profile's file, when a signature does not verify with
 * OpenSSL against the certificate, or when the library's APDU counter
 * disagrees with the counting transport wrapped around the software card.
 *
 * The card is a copy of the profile in a temporary folder, so that the
 * counters written to its state file never touch the generated PKI.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mynacard/mynacard.h"
#include "mynavcard/vcard.h"

#ifndef MYNA_BENCH_PROFILE
#define MYNA_BENCH_PROFILE ""
#endif

#define AUTH_PIN "1234"
#define SIGN_PASSWORD "SIGN2026"
#define DEFAULT_ITERATIONS 200
#define DEFAULT_SLOW_ITERATIONS 20
#define SLOW_MS 1
#define MAX_ITERATIONS 1000000

/* ------------------------------------------------------------------ */
/* Failures                                                            */

static unsigned failures;

static bool failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool failf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_card: FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  failures++;
  return false;
}

static bool check_rv(myna_rv rv, const char *what, const char *row)
{
  if(rv == MYNA_OK)
    return true;
  return failf("%s: %s: %s (%s)", row, what, myna_rv_name(rv),
               myna_strerror(rv));
}

/* ------------------------------------------------------------------ */
/* A transport that counts APDUs and bytes, then forwards to the       */
/* software card's own in-process transport.                           */

typedef struct wire_count {
  unsigned long apdus;
  unsigned long long sent;      /* command bytes */
  unsigned long long received;  /* response bytes, SW included */
} wire_count;

typedef struct counting {
  myna_transport inner;
  wire_count *count;  /* owned by the caller, outlives the transport */
} counting;

static myna_rv counting_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len,
                                 uint8_t *resp, size_t resp_cap,
                                 size_t *resp_len)
{
  counting *c = ctx;
  c->count->apdus++;
  c->count->sent += cmd_len;
  myna_rv rv = c->inner.ops->transmit(c->inner.ctx, cmd, cmd_len, resp,
                                      resp_cap, resp_len);
  if(rv == MYNA_OK)
    c->count->received += *resp_len;
  return rv;
}

static myna_rv counting_get_caps(void *ctx, myna_transport_caps *caps)
{
  counting *c = ctx;
  return c->inner.ops->get_caps(c->inner.ctx, caps);
}

static myna_rv counting_reset(void *ctx)
{
  counting *c = ctx;
  return c->inner.ops->reset(c->inner.ctx);
}

static myna_rv counting_is_present(void *ctx, bool *present)
{
  counting *c = ctx;
  return c->inner.ops->is_present(c->inner.ctx, present);
}

static const char *counting_name(void *ctx)
{
  counting *c = ctx;
  return c->inner.ops->name(c->inner.ctx);
}

static void counting_destroy(void *ctx)
{
  counting *c = ctx;
  if(!c)
    return;
  if(c->inner.ops && c->inner.ops->destroy)
    c->inner.ops->destroy(c->inner.ctx);
  free(c);
}

static const myna_transport_ops counting_ops = {
  .transmit = counting_transmit,
  .get_caps = counting_get_caps,
  .reset = counting_reset,
  .is_present = counting_is_present,
  .name = counting_name,
  .destroy = counting_destroy,
};

/* A session on vcard through the counting wrapper. */
static myna_rv open_counted(myna_vcard *vcard, wire_count *count,
                            myna_card **out)
{
  counting *c = calloc(1, sizeof(*c));
  if(!c)
    return MYNA_E_NO_MEMORY;
  c->inner = myna_vcard_transport(vcard, false);
  c->count = count;
  return myna_card_open((myna_transport){ .ops = &counting_ops, .ctx = c },
                        out);
}

/* ------------------------------------------------------------------ */
/* Files: a private copy of the profile                                */

/* dir/name into out; false (and a failure) when it does not fit. */
static bool join_path(char *out, size_t cap, const char *dir, const char *name)
{
  int n = snprintf(out, cap, "%s/%s", dir, name);
  if(n < 0 || (size_t)n >= cap)
    return failf("path too long: %s/%s", dir, name);
  return true;
}

static bool copy_file(const char *from, const char *to)
{
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if(in < 0)
    return failf("open %s: %s", from, strerror(errno));
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if(out < 0) {
    close(in);
    return failf("create %s: %s", to, strerror(errno));
  }
  bool ok = true;
  char buf[8192];
  for(;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0) {
      ok = failf("read %s: %s", from, strerror(errno));
      break;
    }
    if(n == 0)
      break;
    for(ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if(w < 0 && errno == EINTR)
        continue;
      if(w < 0) {
        ok = failf("write %s: %s", to, strerror(errno));
        break;
      }
      done += w;
    }
    if(!ok)
      break;
  }
  close(in);
  if(close(out) != 0 && ok)
    ok = failf("close %s: %s", to, strerror(errno));
  return ok;
}

static bool copy_tree(const char *from, const char *to)
{
  DIR *d = opendir(from);
  if(!d)
    return failf("open folder %s: %s", from, strerror(errno));
  bool ok = true;
  struct dirent *e;
  while(ok && (e = readdir(d))) {
    if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char src[4096], dst[4096];
    if(!join_path(src, sizeof(src), from, e->d_name) ||
       !join_path(dst, sizeof(dst), to, e->d_name)) {
      ok = false;
      break;
    }
    struct stat st;
    if(stat(src, &st) != 0) {
      ok = failf("stat %s: %s", src, strerror(errno));
    } else if(S_ISDIR(st.st_mode)) {
      if(mkdir(dst, 0700) != 0)
        ok = failf("mkdir %s: %s", dst, strerror(errno));
      else
        ok = copy_tree(src, dst);
    } else {
      ok = copy_file(src, dst);
    }
  }
  closedir(d);
  return ok;
}

static void remove_tree(const char *dir)
{
  DIR *d = opendir(dir);
  if(d) {
    struct dirent *e;
    while((e = readdir(d))) {
      if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      char p[4096];
      if((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p))
        continue;
      struct stat st;
      if(lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(p);
      else
        unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

static bool read_whole(const char *path, uint8_t **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if(!f)
    return failf("open %s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  while(buf) {
    if(n == cap) {
      uint8_t *bigger = realloc(buf, cap * 2);
      if(!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if(got == 0)
      break;
  }
  bool err = ferror(f);
  fclose(f);
  if(!buf || err) {
    free(buf);
    return failf("read %s", path);
  }
  *data = buf;
  *len = n;
  return true;
}

/* Value of `key=` in profile.ini (first match, no sections considered: the
 * certificate keys are unique to [jpki]). */
static bool profile_value(const char *ini, const char *key, char *out,
                          size_t cap)
{
  FILE *f = fopen(ini, "r");
  if(!f)
    return failf("open %s: %s", ini, strerror(errno));
  char line[1024];
  size_t klen = strlen(key);
  bool found = false;
  while(fgets(line, sizeof(line), f)) {
    if(strncmp(line, key, klen) || line[klen] != '=')
      continue;
    char *v = line + klen + 1;
    v[strcspn(v, "\r\n")] = 0;
    if(strlen(v) < cap) {
      strcpy(out, v);
      found = true;
    }
    break;
  }
  fclose(f);
  if(!found)
    return failf("%s: no usable %s=", ini, key);
  return true;
}

/* ------------------------------------------------------------------ */
/* OpenSSL checks                                                      */

static bool verify_signature(const uint8_t *cert, size_t cert_len,
                             const uint8_t *hash, const uint8_t *sig,
                             size_t sig_len)
{
  const unsigned char *p = cert;
  X509 *x = d2i_X509(NULL, &p, (long)cert_len);
  if(!x)
    return false;
  EVP_PKEY *pkey = X509_get0_pubkey(x);
  EVP_PKEY_CTX *ctx = pkey ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
  bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
            EVP_PKEY_verify(ctx, sig, sig_len, hash, 32) == 1;
  EVP_PKEY_CTX_free(ctx);
  X509_free(x);
  return ok;
}

static bool sha256(const void *data, size_t len, uint8_t out[32])
{
  unsigned int n = 0;
  return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

/* ------------------------------------------------------------------ */
/* Scenarios and modes                                                 */

typedef enum scenario {
  SC_A_COLD,  /* fresh session: read auth cert, tries, VERIFY PIN, sign */
  SC_A_WARM,  /* same session, cert cached and PIN verified: tries, sign */
  SC_B_COLD   /* fresh session: VERIFY sign password, read sign cert, sign */
} scenario;

static const char *const scenario_label[] = {
  [SC_A_COLD] = "(a) auth, fresh session",
  [SC_A_WARM] = "(a) auth, warm session",
  [SC_B_COLD] = "(b) sign, fresh session",
};

typedef enum mode { MODE_EXTENDED, MODE_SHORT, MODE_T0, MODE_COUNT } mode;

static const char *const mode_label[] = {
  [MODE_EXTENDED] = "extended",
  [MODE_SHORT] = "short-only",
  [MODE_T0] = "T=0",
};

static const unsigned mode_quirks[] = {
  [MODE_EXTENDED] = 0,
  [MODE_SHORT] = MYNA_VCARD_QUIRK_SHORT_ONLY,
  [MODE_T0] = MYNA_VCARD_QUIRK_T0,
};

typedef struct bench {
  myna_vcard *vcard;
  uint8_t *auth_der, *sign_der;  /* from the profile's files */
  size_t auth_len, sign_len;
  myna_secret *pin, *password;
  unsigned iterations;
  unsigned slow_iterations;
} bench;

typedef struct row {
  scenario sc;
  mode md;
  unsigned slow_ms;
  unsigned n;
  unsigned long apdu_min, apdu_max;
  unsigned long long sent_min, sent_max, recv_min, recv_max;
  unsigned floor;
  const char *opensc;
  double median_ms, p95_ms;
  bool ok;
} row;

/* APDUs of the flow with confirmed commands only, on this path:
 * one READ BINARY per certificate with extended APDUs, else one per 256
 * bytes; on T=0 every answer that carries data (each READ BINARY and the
 * signature) comes behind 61xx and costs one GET RESPONSE more. */
static unsigned floor_apdus(const bench *b, scenario sc, mode md)
{
  size_t cert = sc == SC_B_COLD ? b->sign_len : b->auth_len;
  unsigned reads = md == MODE_EXTENDED ? 1u : (unsigned)((cert + 255) / 256);
  unsigned per_data = md == MODE_T0 ? 2u : 1u;
  unsigned sign = 1 + per_data;           /* SELECT key EF, SIGN (+ GET RESPONSE) */
  unsigned cert_read = 1 + reads * per_data; /* SELECT cert EF, READ BINARY x n */
  switch(sc) {
  case SC_A_COLD:
    /* SELECT AP, cert, SELECT PIN EF + VERIFY (no data), VERIFY, sign */
    return 1 + cert_read + 2 + 1 + sign;
  case SC_A_WARM:
    /* SELECT PIN EF + VERIFY (no data), sign */
    return 2 + sign;
  case SC_B_COLD:
    /* SELECT AP, SELECT PIN EF + VERIFY, cert, sign */
    return 1 + 2 + cert_read + sign;
  }
  return 0;
}

static const char *opensc_reference(scenario sc, mode md)
{
  if(sc != SC_A_COLD)
    return "-";
  if(md == MODE_T0)
    return "cannot sign";
  return "40 / 69";
}

static double now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, unsigned n, double pct)
{
  if(!n)
    return 0;
  double rank = pct / 100.0 * n;
  unsigned idx = (unsigned)rank;
  if((double)idx < rank)
    idx++;
  if(idx < 1)
    idx = 1;
  if(idx > n)
    idx = n;
  return v[idx - 1];
}

static double median(const double *v, unsigned n)
{
  if(!n)
    return 0;
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What one iteration used on the wire, seen three ways. */
typedef struct sample {
  unsigned long lib_apdus;   /* myna_card_apdu_count */
  unsigned long card_apdus;  /* myna_vcard_apdu_count delta */
  wire_count wire;           /* the counting wrapper */
} sample;

static void note_sample(row *r, const sample *s, unsigned i)
{
  if(i == 0 || s->wire.apdus < r->apdu_min)
    r->apdu_min = s->wire.apdus;
  if(i == 0 || s->wire.apdus > r->apdu_max)
    r->apdu_max = s->wire.apdus;
  if(i == 0 || s->wire.sent < r->sent_min)
    r->sent_min = s->wire.sent;
  if(i == 0 || s->wire.sent > r->sent_max)
    r->sent_max = s->wire.sent;
  if(i == 0 || s->wire.received < r->recv_min)
    r->recv_min = s->wire.received;
  if(i == 0 || s->wire.received > r->recv_max)
    r->recv_max = s->wire.received;
}

static bool counters_agree(const sample *s, const char *name)
{
  if(s->lib_apdus == s->wire.apdus && s->card_apdus == s->wire.apdus)
    return true;
  return failf("%s: APDU counters disagree: library %lu, transport %lu, "
               "card %lu",
               name, s->lib_apdus, s->wire.apdus, s->card_apdus);
}

static bool same_cert(const uint8_t *got, size_t got_len, const uint8_t *want,
                      size_t want_len, const char *name)
{
  if(got_len == want_len && !memcmp(got, want, want_len))
    return true;
  return failf("%s: the certificate read from the card (%zu bytes) differs "
               "from the profile's file (%zu bytes)",
               name, got_len, want_len);
}

/* One fresh session of scenario (a) or (b). */
static bool run_cold(bench *b, scenario sc, const char *name,
                     const uint8_t hash[32], uint8_t sig[256], sample *s)
{
  memset(s, 0, sizeof(*s));
  unsigned long card_before = myna_vcard_apdu_count(b->vcard);
  myna_card *card = NULL;
  if(!check_rv(open_counted(b->vcard, &s->wire, &card), "open", name))
    return false;
  bool ok = false;
  const uint8_t *der = NULL;
  size_t der_len = 0, sig_len = 0;
  int tries = -1;
  if(sc == SC_A_COLD) {
    if(!check_rv(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                            &der_len),
                 "read auth certificate", name) ||
       !check_rv(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries),
                 "tries left", name) ||
       !check_rv(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, b->pin, NULL),
                 "verify PIN", name) ||
       !check_rv(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                     MYNA_HASH_SHA256, hash, 32, sig, 256,
                                     &sig_len),
                 "sign", name))
      goto out;
    if(tries != 3) {
      failf("%s: tries left %d, expected 3", name, tries);
      goto out;
    }
    if(!same_cert(der, der_len, b->auth_der, b->auth_len, name))
      goto out;
  } else {
    if(!check_rv(myna_jpki_verify(card, MYNA_JPKI_KEY_SIGN, b->password, NULL),
                 "verify sign password", name) ||
       !check_rv(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_SIGN, &der,
                                            &der_len),
                 "read sign certificate", name) ||
       !check_rv(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_SIGN,
                                     MYNA_HASH_SHA256, hash, 32, sig, 256,
                                     &sig_len),
                 "sign", name))
      goto out;
    if(!same_cert(der, der_len, b->sign_der, b->sign_len, name))
      goto out;
  }
  if(sig_len != 256) {
    failf("%s: signature of %zu bytes", name, sig_len);
    goto out;
  }
  ok = true;
out:
  s->lib_apdus = myna_card_apdu_count(card);
  myna_card_free(card);
  s->card_apdus = myna_vcard_apdu_count(b->vcard) - card_before;
  return ok;
}

static void hash_for(unsigned row_id, unsigned i, uint8_t hash[32])
{
  char msg[96];
  int n = snprintf(msg, sizeof(msg), "mynaterm bench_card row %u iteration %u",
                   row_id, i);
  if(!sha256(msg, (size_t)n, hash))
    failf("SHA-256 failed");
}

static bool run_row(bench *b, row *r, unsigned row_id)
{
  char name[96];
  snprintf(name, sizeof(name), "%s, %s, %u ms/APDU", scenario_label[r->sc],
           mode_label[r->md], r->slow_ms);
  myna_vcard_set_quirks(b->vcard,
                        mode_quirks[r->md] |
                          (r->slow_ms ? MYNA_VCARD_QUIRK_SLOW : 0u),
                        r->slow_ms);
  myna_vcard_reset(b->vcard);
  r->floor = floor_apdus(b, r->sc, r->md);
  r->opensc = opensc_reference(r->sc, r->md);

  unsigned n = r->n;
  double *ms = calloc(n, sizeof(*ms));
  uint8_t *hashes = calloc(n, 32);
  uint8_t *sigs = calloc(n, 256);
  if(!ms || !hashes || !sigs) {
    free(ms);
    free(hashes);
    free(sigs);
    return failf("%s: out of memory", name);
  }
  for(unsigned i = 0; i < n; i++)
    hash_for(row_id, i, hashes + 32 * (size_t)i);

  bool ok = true;
  const uint8_t *cert = r->sc == SC_B_COLD ? b->sign_der : b->auth_der;
  size_t cert_len = r->sc == SC_B_COLD ? b->sign_len : b->auth_len;

  if(r->sc == SC_A_COLD || r->sc == SC_B_COLD) {
    for(unsigned i = 0; ok && i < n; i++) {
      sample s;
      double t0 = now_ms();
      ok = run_cold(b, r->sc, name, hashes + 32 * (size_t)i,
                    sigs + 256 * (size_t)i, &s);
      ms[i] = now_ms() - t0;
      ok = ok && counters_agree(&s, name);
      note_sample(r, &s, i);
    }
  } else {
    /* Warm: one session, set up outside the clock with the certificate read
     * (so it is cached), the PIN verified and one tries + sign already done,
     * so that every timed iteration starts from the state the previous one
     * left (key EF selected). Each timed iteration asks for the certificate
     * again (served from the session cache, must cost no APDU), reads the
     * tries counter and signs: no new VERIFY. */
    wire_count wire = { 0 };
    myna_card *card = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0, warm_len = 0;
    int warm_tries = -1;
    uint8_t warm_hash[32], warm_sig[256];
    hash_for(row_id, MAX_ITERATIONS, warm_hash);
    ok = check_rv(open_counted(b->vcard, &wire, &card), "open", name) &&
         check_rv(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH, &der,
                                             &der_len),
                  "read auth certificate", name) &&
         same_cert(der, der_len, b->auth_der, b->auth_len, name) &&
         check_rv(myna_jpki_verify(card, MYNA_JPKI_KEY_AUTH, b->pin, NULL),
                  "verify PIN", name) &&
         check_rv(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &warm_tries),
                  "tries left (warm-up)", name) &&
         check_rv(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                      MYNA_HASH_SHA256, warm_hash, 32,
                                      warm_sig, sizeof(warm_sig), &warm_len),
                  "sign (warm-up)", name);
    if(ok && (warm_len != 256 || !verify_signature(b->auth_der, b->auth_len,
                                                   warm_hash, warm_sig, 256)))
      ok = failf("%s: the warm-up signature does not verify", name);
    for(unsigned i = 0; ok && i < n; i++) {
      sample s = { 0 };
      wire_count before = wire;
      unsigned long lib_before = card ? myna_card_apdu_count(card) : 0;
      unsigned long card_before = myna_vcard_apdu_count(b->vcard);
      int tries = -1;
      size_t sig_len = 0;
      const uint8_t *again = NULL;
      size_t again_len = 0;
      double t0 = now_ms();
      ok = check_rv(myna_jpki_read_certificate(card, MYNA_JPKI_CERT_AUTH,
                                               &again, &again_len),
                    "read auth certificate (cached)", name);
      unsigned long cached_cost = myna_card_apdu_count(card) - lib_before;
      ok = ok &&
           check_rv(myna_jpki_tries_left(card, MYNA_JPKI_KEY_AUTH, &tries),
                    "tries left", name) &&
           check_rv(myna_jpki_sign_hash(card, MYNA_JPKI_KEY_AUTH,
                                        MYNA_HASH_SHA256,
                                        hashes + 32 * (size_t)i, 32,
                                        sigs + 256 * (size_t)i, 256, &sig_len),
                    "sign", name);
      ms[i] = now_ms() - t0;
      s.lib_apdus = myna_card_apdu_count(card) - lib_before;
      s.card_apdus = myna_vcard_apdu_count(b->vcard) - card_before;
      s.wire.apdus = wire.apdus - before.apdus;
      s.wire.sent = wire.sent - before.sent;
      s.wire.received = wire.received - before.received;
      if(ok && cached_cost)
        ok = failf("%s: the cached certificate cost %lu APDUs", name,
                   cached_cost);
      if(ok && tries != 3)
        ok = failf("%s: tries left %d, expected 3", name, tries);
      if(ok && sig_len != 256)
        ok = failf("%s: signature of %zu bytes", name, sig_len);
      if(ok)
        ok = same_cert(again, again_len, b->auth_der, b->auth_len, name);
      ok = ok && counters_agree(&s, name);
      note_sample(r, &s, i);
    }
    myna_card_free(card);
  }

  /* Outside the clock: every signature made above must verify. */
  for(unsigned i = 0; ok && i < n; i++)
    if(!verify_signature(cert, cert_len, hashes + 32 * (size_t)i,
                         sigs + 256 * (size_t)i, 256))
      ok = failf("%s: signature %u does not verify against the certificate",
                 name, i);

  if(ok) {
    qsort(ms, n, sizeof(*ms), cmp_double);
    r->median_ms = median(ms, n);
    r->p95_ms = percentile(ms, n, 95);
  }
  r->ok = ok;
  free(ms);
  free(hashes);
  free(sigs);
  myna_vcard_set_quirks(b->vcard, 0, 0);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

enum { COLS = 11 };

static const char *const col_head[COLS] = {
  "scenario", "mode", "latency", "APDUs", "floor", "OpenSC (quoted)",
  "sent B", "recv B", "median ms", "p95 ms", "n",
};
/* right-aligned columns */
static const bool col_right[COLS] = {
  false, false, false, true, true, true, true, true, true, true, true,
};

static void range_ul(char *out, size_t cap, unsigned long long lo,
                     unsigned long long hi)
{
  if(lo == hi)
    snprintf(out, cap, "%llu", lo);
  else
    snprintf(out, cap, "%llu-%llu", lo, hi);
}

static void row_cells(const row *r, char cells[COLS][40])
{
  snprintf(cells[0], 40, "%s", scenario_label[r->sc]);
  snprintf(cells[1], 40, "%s", mode_label[r->md]);
  if(r->slow_ms)
    snprintf(cells[2], 40, "%u ms/APDU", r->slow_ms);
  else
    snprintf(cells[2], 40, "none");
  range_ul(cells[3], 40, r->apdu_min, r->apdu_max);
  snprintf(cells[4], 40, "%u", r->floor);
  snprintf(cells[5], 40, "%s", r->opensc);
  range_ul(cells[6], 40, r->sent_min, r->sent_max);
  range_ul(cells[7], 40, r->recv_min, r->recv_max);
  snprintf(cells[8], 40, "%.3f", r->median_ms);
  snprintf(cells[9], 40, "%.3f", r->p95_ms);
  snprintf(cells[10], 40, "%u", r->n);
}

static void print_table(const row *rows, size_t nrows, bool markdown)
{
  char (*cells)[COLS][40] = calloc(nrows, sizeof(*cells));
  if(!cells) {
    failf("out of memory");
    return;
  }
  size_t width[COLS];
  for(size_t c = 0; c < COLS; c++)
    width[c] = strlen(col_head[c]);
  for(size_t i = 0; i < nrows; i++) {
    row_cells(&rows[i], cells[i]);
    for(size_t c = 0; c < COLS; c++)
      if(strlen(cells[i][c]) > width[c])
        width[c] = strlen(cells[i][c]);
  }
  if(markdown) {
    fputs("|", stdout);
    for(size_t c = 0; c < COLS; c++)
      printf(" %-*s |", (int)width[c], col_head[c]);
    fputs("\n|", stdout);
    for(size_t c = 0; c < COLS; c++) {
      putchar(col_right[c] ? '-' : ':');
      for(size_t k = 0; k < width[c]; k++)
        putchar('-');
      fputs(col_right[c] ? ":|" : "-|", stdout);
    }
    putchar('\n');
    for(size_t i = 0; i < nrows; i++) {
      fputs("|", stdout);
      for(size_t c = 0; c < COLS; c++)
        printf(col_right[c] ? " %*s |" : " %-*s |", (int)width[c],
               cells[i][c]);
      putchar('\n');
    }
  } else {
    for(size_t c = 0; c < COLS; c++)
      printf(col_right[c] ? "%s%*s" : "%s%-*s", c ? "  " : "", (int)width[c],
             col_head[c]);
    putchar('\n');
    for(size_t c = 0; c < COLS; c++) {
      printf("%s", c ? "  " : "");
      for(size_t k = 0; k < width[c]; k++)
        putchar('-');
    }
    putchar('\n');
    for(size_t i = 0; i < nrows; i++) {
      for(size_t c = 0; c < COLS; c++)
        printf(col_right[c] ? "%s%*s" : "%s%-*s", c ? "  " : "",
               (int)width[c], cells[i][c]);
      putchar('\n');
    }
  }
  free(cells);
}

static void print_notes(const bench *b, bool markdown)
{
  const char *li = markdown ? "- " : "  ";
  printf("\nNotes:\n%s", markdown ? "\n" : "");
  printf("%s(a) fresh: myna_card_open; read auth cert (EF 000A); tries left; "
         "VERIFY PIN; sign SHA-256; myna_card_free.\n", li);
  printf("%s(a) warm: one open session with the auth cert already read and "
         "the PIN already verified; per iteration: read auth cert (served "
         "from the session cache, 0 APDUs), tries left, sign SHA-256. No "
         "new VERIFY.\n", li);
  printf("%s(b) fresh: myna_card_open; VERIFY sign password; read sign cert "
         "(EF 0001); sign SHA-256; myna_card_free.\n", li);
  printf("%sAPDUs, sent B, recv B: per iteration, counted by a transport "
         "wrapper around the software card (checked equal to "
         "myna_card_apdu_count and to the card's own counter). Bytes: "
         "command APDUs sent; response data + SW received.\n", li);
  printf("%sfloor: [C] commands only on that path (extended: 8 for (a) with "
         "the tries query, 7 for (b), 4 for warm); short-only and T=0 need "
         "one READ BINARY per 256 bytes (auth cert %zu B, sign cert %zu B), "
         "and T=0 one GET RESPONSE per answer with data.\n", li,
         b->auth_len, b->sign_len);
  printf("%sOpenSC (quoted): NOT measured in this run. Quoted from "
         "card-reference.md (APDU budget): OpenSC 0.23 pkcs11-tool --login "
         "--sign in a fresh process, 40 APDUs without / 69 with the probes "
         "of other card types; it cannot sign on T=0. A measured side-by-"
         "side comes with the PC/SC transport.\n", li);
  printf("%sTimes: wall time per iteration (CLOCK_MONOTONIC), in-process "
         "software card with real RSA-2048; the 1 ms/APDU rows add the "
         "card quirk 'slow' (a sleep per APDU, like a reader round trip).\n",
         li);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
  fprintf(f,
          "usage: bench_card [--iterations N] [--slow-iterations N] "
          "[--markdown] [--profile DIR]\n"
          "  --iterations N       iterations per row (default %d)\n"
          "  --slow-iterations N  iterations of the 1 ms/APDU rows "
          "(default min(N, %d))\n"
          "  --markdown           print the table as Markdown\n"
          "  --profile DIR        software card profile folder (default: "
          "$MYNA_TEST_PKI/profiles/adult, else the build's)\n",
          DEFAULT_ITERATIONS, DEFAULT_SLOW_ITERATIONS);
}

static bool parse_count(const char *s, unsigned *out)
{
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if(errno || !end || *end || end == s || *s == '-' || v < 1 ||
     v > MAX_ITERATIONS)
    return false;
  *out = (unsigned)v;
  return true;
}

int main(int argc, char **argv)
{
  unsigned iterations = DEFAULT_ITERATIONS, slow_iterations = 0;
  bool markdown = false;
  const char *profile = NULL;
  for(int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if(!strcmp(a, "--markdown")) {
      markdown = true;
    } else if(!strcmp(a, "--iterations") && i + 1 < argc) {
      if(!parse_count(argv[++i], &iterations)) {
        fprintf(stderr, "bench_card: --iterations takes 1..%d\n",
                MAX_ITERATIONS);
        return 2;
      }
    } else if(!strcmp(a, "--slow-iterations") && i + 1 < argc) {
      if(!parse_count(argv[++i], &slow_iterations)) {
        fprintf(stderr, "bench_card: --slow-iterations takes 1..%d\n",
                MAX_ITERATIONS);
        return 2;
      }
    } else if(!strcmp(a, "--profile") && i + 1 < argc) {
      profile = argv[++i];
    } else if(!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if(!slow_iterations)
    slow_iterations = iterations < DEFAULT_SLOW_ITERATIONS ?
                        iterations : DEFAULT_SLOW_ITERATIONS;

  char profile_buf[4096];
  if(!profile) {
    const char *pki = getenv("MYNA_TEST_PKI");
    if(pki && *pki) {
      if(!join_path(profile_buf, sizeof(profile_buf), pki, "profiles/adult"))
        return 2;
      profile = profile_buf;
    } else {
      profile = MYNA_BENCH_PROFILE;
    }
  }
  if(!*profile) {
    fprintf(stderr, "bench_card: no profile: use --profile DIR\n");
    return 2;
  }

  /* A private copy of the profile: counters stay out of the generated PKI. */
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  if(!join_path(dir, sizeof(dir), tmp && *tmp ? tmp : "/tmp",
               "myna-bench-XXXXXX"))
    return 1;
  if(!mkdtemp(dir)) {
    fprintf(stderr, "bench_card: mkdtemp %s: %s\n", dir, strerror(errno));
    return 1;
  }

  bench b = { .iterations = iterations, .slow_iterations = slow_iterations };
  row rows[3 * MODE_COUNT + 2 * MODE_COUNT];
  size_t nrows = 0;
  char ini[4096], path[4096], name[1024];
  if(!copy_tree(profile, dir) ||
     !join_path(ini, sizeof(ini), dir, "profile.ini") ||
     !profile_value(ini, "auth_cert", name, sizeof(name)) ||
     !join_path(path, sizeof(path), dir, name) ||
     !read_whole(path, &b.auth_der, &b.auth_len) ||
     !profile_value(ini, "sign_cert", name, sizeof(name)) ||
     !join_path(path, sizeof(path), dir, name) ||
     !read_whole(path, &b.sign_der, &b.sign_len))
    goto done;
  char err[256] = "";
  b.vcard = myna_vcard_load(ini, err, sizeof(err));
  if(!b.vcard) {
    failf("cannot load profile %s: %s", ini, err);
    goto done;
  }
  b.pin = myna_secret_from_bytes(AUTH_PIN, strlen(AUTH_PIN));
  b.password = myna_secret_from_bytes(SIGN_PASSWORD, strlen(SIGN_PASSWORD));
  if(!b.pin || !b.password) {
    failf("out of memory");
    goto done;
  }

  static const scenario order[] = { SC_A_COLD, SC_A_WARM, SC_B_COLD };
  for(size_t s = 0; s < sizeof(order) / sizeof(order[0]); s++)
    for(int m = 0; m < MODE_COUNT; m++)
      rows[nrows++] = (row){ .sc = order[s], .md = (mode)m, .n = iterations };
  for(size_t s = 0; s < 2; s++)
    for(int m = 0; m < MODE_COUNT; m++)
      rows[nrows++] = (row){ .sc = order[s], .md = (mode)m, .slow_ms = SLOW_MS,
                             .n = slow_iterations };
  for(size_t i = 0; i < nrows; i++)
    if(!run_row(&b, &rows[i], (unsigned)i))
      break;
  if(failures)
    goto done;

  printf("bench_card: profile %s, %u iterations per row (%u with %d ms/APDU)"
         "\n\n", profile, iterations, slow_iterations, SLOW_MS);
  print_table(rows, nrows, markdown);
  print_notes(&b, markdown);

done:
  myna_secret_free(b.pin);
  myna_secret_free(b.password);
  myna_vcard_free(b.vcard);
  free(b.auth_der);
  free(b.sign_der);
  remove_tree(dir);
  if(failures) {
    fprintf(stderr, "bench_card: %u failure(s)\n", failures);
    return 1;
  }
  return 0;
}
