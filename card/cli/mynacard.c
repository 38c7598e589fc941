/* mynacard - the My Number Card from the command line.
 *
 * PINs never come from argv: from a no-echo prompt on the terminal, or one
 * per line on standard input with --pin-stdin. Tries left are shown before a
 * PIN is asked for, and nothing is ever retried. */

/* The card computes the RSA signature inside OpenSSL's CMS code through an
 * RSA_METHOD, the one hook OpenSSL 3.0 offers for a key that never leaves its
 * device short of a whole provider. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <glib-unix.h>

#include "mynacard/mynacard.h"
#include "mynanfc/nfc.h"
#include "mynapcsc/pcsc.h"
#include "mynavcard/vcard.h"

#include "cardcli.h"

typedef struct cli {
  myna_cli_card cc;  /* transport options, PIN input, language, the open card */
  bool json;
} cli;

static const char *msg(const cli *c, const char *en, const char *ja)
{
  return myna_cli_msg(&c->cc, en, ja);
}

#define usage_error(...) myna_cli_usage_error("mynacard", __VA_ARGS__)


static void print_help(void)
{
  puts(
    "Usage: mynacard [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Options:\n"
    "  --reader NAME      use the PC/SC reader of that name, or whose name\n"
    "                     contains NAME (default: the reader holding a card)\n"
    "  --exclusive        keep other programs off the card until the end\n"
    "  --nfc CONNSTRING   use the libnfc device CONNSTRING (e.g. pn532_uart:/dev/ttyUSB0;\n"
    "                     'default': the one libnfc's configuration names)\n"
    "  --vcard PROFILE    use the software card described by PROFILE\n"
    "  --quirks SPEC      software card quirks: short-only,t0,slow=MS\n"
    "  --json             machine-readable output\n"
    "  --trace            print every APDU on stderr (PINs masked)\n"
    "  --pin-stdin        read PINs one per line from standard input\n"
    "  --help, --version\n"
    "\n"
    "Commands:\n"
    "  readers                         list readers and card presence\n"
    "  watch [--count N]               print reader and card events as they come\n"
    "  info                            card and certificate summary\n"
    "  pin-status                      tries left for every PIN (spends none)\n"
    "  cert auth|auth-ca|sign|sign-ca [--pem|--der] [-o FILE]\n"
    "  sign auth|sign --in FILE [--hash sha256|sha384|sha512|sha1] [--cms] [-o FILE]\n"
    "  basic-info                      name, address, birth date, sex (text PIN)\n"
    "  my-number                       the My Number (text PIN)\n"
    "  face -o FILE.png|FILE.jp2 [--images DIR]\n"
    "       [--birth YYYY-MM-DD --expiry-year YYYY | --use-my-number]\n"
    "  change-pin auth|sign|text\n"
    "\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 3 wrong PIN, 4 PIN blocked, 5 no card,\n"
    "6 card removed or reset, 7 not supported, 8 I/O error, 9 PIN refused before\n"
    "sending, 10 no reader or smart card service.");
}

/* ---- output helpers ---- */

static void json_string(FILE *f, const char *s, size_t n)
{
  fputc('"', f);
  for(size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    switch(ch) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    default:
      if(ch < 0x20)
        fprintf(f, "\\u%04x", ch);
      else
        fputc(ch, f);
    }
  }
  fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
  json_string(f, s, strlen(s));
}

/* Write data to path (mode for new files) or to stdout. Binary data is not
 * written to a terminal. */
static int write_out(const cli *c, const char *path, const void *data,
                     size_t len, bool binary, mode_t mode)
{
  if(!path || !strcmp(path, "-")) {
    if(binary && isatty(STDOUT_FILENO)) {
      fprintf(stderr, "mynacard: %s\n",
              msg(c, "binary output: give a file with -o FILE",
                  "バイナリ出力です。-o FILE で保存先を指定してください"));
      return EXIT_USAGE;
    }
    if(fwrite(data, 1, len, stdout) != len || fflush(stdout))
      return EXIT_IO;
    return EXIT_OK;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if(fd < 0) {
    fprintf(stderr, "mynacard: %s: %s\n", path, strerror(errno));
    return EXIT_IO;
  }
  const uint8_t *p = data;
  size_t left = len;
  while(left) {
    ssize_t w = write(fd, p, left);
    if(w < 0 && errno == EINTR)
      continue;
    if(w <= 0) {
      fprintf(stderr, "mynacard: %s: %s\n", path, strerror(errno));
      close(fd);
      return EXIT_IO;
    }
    p += w;
    left -= (size_t)w;
  }
  if(fsync(fd) || close(fd)) {
    fprintf(stderr, "mynacard: %s: %s\n", path, strerror(errno));
    return EXIT_IO;
  }
  return EXIT_OK;
}

/* ---- card access ---- */

/* Open the card and verify the card input support PIN. */
static int open_text_ap(cli *c)
{
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  return myna_cli_text_login(&c->cc);
}

/* ---- commands ---- */

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
  for(size_t i = 0; i < n; i++)
    fprintf(f, i ? " %02X" : "%02X", p[i]);
}

/* PC/SC readers and libnfc devices. pcscd not running is said, and the NFC
 * devices are still listed; with neither, the exit code says no reader. */
static int cmd_device_readers(cli *c)
{
  myna_rv prv = myna_pcsc_new(&c->cc.pcsc);
  myna_pcsc_reader *r = NULL;
  size_t n = 0;
  if(!prv)
    prv = myna_pcsc_list(c->cc.pcsc, &r, &n);
  myna_nfc_device *d = NULL;
  size_t nd = 0;
  myna_rv nrv = myna_nfc_new(&c->cc.nfcctx);
  if(!nrv)
    nrv = myna_nfc_list(c->cc.nfcctx, &d, &nd);
  if(prv && (nrv || !nd)) {
    myna_pcsc_readers_free(r, n);
    myna_nfc_devices_free(d, nd);
    return myna_cli_fail(&c->cc, prv);
  }
  if(prv)
    fprintf(stderr, "mynacard: PC/SC: %s\n",
            c->cc.japanese ? myna_strerror_ja(prv) : myna_strerror(prv));
  if(c->json)
    fputs("{\"readers\":[", stdout);
  else if(!n && !nd)
    printf("%s\n", msg(c, "No card reader found. Check that the reader is plugged in.",
                       "カードリーダーが見つかりません。リーダーの接続を確認してください。"));
  for(size_t i = 0; i < n; i++) {
    if(c->json) {
      fputs(i ? ",{\"transport\":\"pcsc\",\"name\":" : "{\"transport\":\"pcsc\",\"name\":",
            stdout);
      json_str(stdout, r[i].name);
      printf(",\"card_present\":%s,\"contactless\":%s,\"in_use\":%s,\"atr\":\"",
             r[i].card_present ? "true" : "false", r[i].contactless ? "true" : "false",
             r[i].exclusive_elsewhere ? "true" : "false");
      print_hex(stdout, r[i].atr, r[i].atr_len);
      fputs("\"}", stdout);
      continue;
    }
    printf("%s\t%s", r[i].name,
           r[i].card_present ? msg(c, "card present", "カードあり")
                             : msg(c, "no card", "カードなし"));
    if(r[i].card_present) {
      printf("\t%s\t", r[i].contactless ? msg(c, "contactless", "非接触")
                                         : msg(c, "contact", "接触"));
      print_hex(stdout, r[i].atr, r[i].atr_len);
    }
    if(r[i].exclusive_elsewhere)
      printf("\t%s", msg(c, "in use by another program", "他のプログラムが使用中"));
    putchar('\n');
  }
  /* An NFC device is not polled here: a card shows only when a command
   * looks for one (--nfc). */
  for(size_t i = 0; i < nd; i++) {
    if(c->json) {
      fputs(i || n ? ",{\"transport\":\"nfc\",\"name\":" : "{\"transport\":\"nfc\",\"name\":",
            stdout);
      json_str(stdout, d[i].name);
      fputs(",\"connstring\":", stdout);
      json_str(stdout, d[i].connstring);
      fputs("}", stdout);
      continue;
    }
    printf("%s\t%s\t--nfc %s\n", d[i].name, msg(c, "NFC (libnfc)", "NFC（libnfc）"),
           d[i].connstring);
  }
  if(c->json)
    puts("]}");
  myna_pcsc_readers_free(r, n);
  myna_nfc_devices_free(d, nd);
  return EXIT_OK;
}

static int cmd_readers(cli *c)
{
  if(!c->cc.vcard)
    return cmd_device_readers(c);
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  bool present = false;
  myna_rv rv = myna_card_is_present(c->cc.card, &present);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  const char *name = myna_card_reader_name(c->cc.card);
  if(c->json) {
    fputs("{\"readers\":[{\"name\":", stdout);
    json_str(stdout, name);
    printf(",\"card_present\":%s}]}\n", present ? "true" : "false");
  }
  else
    printf("%s\t%s\n", name, present ? msg(c, "card present", "カードあり")
                                     : msg(c, "no card", "カードなし"));
  return EXIT_OK;
}

typedef struct watch {
  const cli *c;
  GMainLoop *loop;
  long count;     /* events left to print; < 0: no limit */
} watch;

static void watch_event(const myna_pcsc_event *ev, void *user)
{
  watch *w = user;
  const char *name = myna_pcsc_event_name(ev->kind);
  if(w->c->json) {
    printf("{\"event\":\"%s\"", name);
    if(ev->reader) {
      fputs(",\"reader\":", stdout);
      json_str(stdout, ev->reader);
    }
    if(ev->kind == MYNA_PCSC_CARD_INSERTED) {
      printf(",\"contactless\":%s,\"atr\":\"", ev->contactless ? "true" : "false");
      print_hex(stdout, ev->atr, ev->atr_len);
      putchar('"');
    }
    puts("}");
  }
  else {
    fputs(name, stdout);
    if(ev->reader)
      printf("\t%s", ev->reader);
    if(ev->kind == MYNA_PCSC_CARD_INSERTED) {
      putchar('\t');
      print_hex(stdout, ev->atr, ev->atr_len);
    }
    putchar('\n');
  }
  /* Whoever reads the events (a test, a script) sees each one at once. */
  fflush(stdout);
  if(w->count > 0 && --w->count == 0)
    g_main_loop_quit(w->loop);
}

static gboolean watch_quit(gpointer user)
{
  watch *w = user;
  g_main_loop_quit(w->loop);
  return G_SOURCE_CONTINUE;
}

static int cmd_watch(cli *c, int argc, char **argv)
{
  long count = -1;
  static const struct option opts[] = {
    { "count", required_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if(o != 'n')
      return EXIT_USAGE;
    char *end = NULL;
    count = strtol(optarg, &end, 10);
    if(!*optarg || *end || count < 1)
      return usage_error("--count needs a number of events (1 or more)");
  }
  if(optind != argc)
    return usage_error("watch takes no arguments");
  if(c->cc.vcard)
    return usage_error("watch is for PC/SC readers, not --vcard");
  watch w = { c, g_main_loop_new(NULL, FALSE), count };
  myna_pcsc_monitor *m = NULL;
  myna_rv rv = myna_pcsc_monitor_new(NULL, watch_event, &w, &m);
  if(rv) {
    g_main_loop_unref(w.loop);
    return myna_cli_fail(&c->cc, rv);
  }
  guint s1 = g_unix_signal_add(SIGINT, watch_quit, &w);
  guint s2 = g_unix_signal_add(SIGTERM, watch_quit, &w);
  g_main_loop_run(w.loop);
  g_source_remove(s1);
  g_source_remove(s2);
  myna_pcsc_monitor_free(m);
  g_main_loop_unref(w.loop);
  return EXIT_OK;
}

static void print_name(FILE *f, X509_NAME *n, bool json)
{
  BIO *b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char *p = NULL;
  long len = BIO_get_mem_data(b, &p);
  if(json)
    json_string(f, p, (size_t)len);
  else
    fwrite(p, 1, (size_t)len, f);
  BIO_free(b);
}

static void print_time(FILE *f, const ASN1_TIME *t, bool json)
{
  struct tm tm;
  char buf[32] = "";
  if(ASN1_TIME_to_tm(t, &tm))
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if(json)
    json_str(f, buf);
  else
    fputs(buf, f);
}

static int cmd_info(cli *c)
{
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  myna_rv rv = myna_jpki_select(c->cc.card);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  char label[33] = "";
  myna_rv lrv = myna_jpki_token_label(c->cc.card, label);
  if(lrv && lrv != MYNA_E_NOT_SUPPORTED)
    return myna_cli_fail(&c->cc, lrv);
  bool has_auth = true, has_sign = true;
  myna_rv arv = myna_jpki_cert_availability(c->cc.card, &has_auth, &has_sign);
  if(arv && arv != MYNA_E_NOT_SUPPORTED)
    return myna_cli_fail(&c->cc, arv);
  const uint8_t *der;
  size_t len;
  rv = myna_jpki_read_certificate(c->cc.card, MYNA_JPKI_CERT_AUTH, &der, &len);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  const uint8_t *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if(!x)
    return myna_cli_fail(&c->cc, MYNA_E_DECODE);
  char serial[128] = "";
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  char *hex = bn ? BN_bn2hex(bn) : NULL;
  if(hex)
    snprintf(serial, sizeof(serial), "%s", hex);
  OPENSSL_free(hex);
  BN_free(bn);

  bool expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
  FILE *f = stdout;
  if(c->json) {
    fputs("{\"reader\":", f);
    json_str(f, myna_card_reader_name(c->cc.card));
    fputs(",\"token_label\":", f);
    if(lrv)
      fputs("null", f);
    else
      json_str(f, label);
    fputs(",\"sign_certificate\":", f);
    fputs(arv ? "null" : has_sign ? "true" : "false", f);
    fputs(",\"extended_apdu\":", f);
    fputs(myna_card_uses_extended(c->cc.card) ? "true" : "false", f);
    fputs(",\"auth_certificate\":{\"subject\":", f);
    print_name(f, X509_get_subject_name(x), c->json);
    fputs(",\"issuer\":", f);
    print_name(f, X509_get_issuer_name(x), c->json);
    fputs(",\"serial\":", f);
    json_str(f, serial);
    fputs(",\"not_before\":", f);
    print_time(f, X509_get0_notBefore(x), c->json);
    fputs(",\"not_after\":", f);
    print_time(f, X509_get0_notAfter(x), c->json);
    fprintf(f, ",\"expired\":%s}", expired ? "true" : "false");
    fprintf(f, ",\"apdus\":%lu}\n", myna_card_apdu_count(c->cc.card));
  }
  else {
    fprintf(f, "%-22s %s\n", msg(c, "Reader", "リーダー"),
            myna_card_reader_name(c->cc.card));
    fprintf(f, "%-22s %s\n", msg(c, "Token", "トークン"),
            lrv ? msg(c, "(no token information on this card)", "（トークン情報なし）")
                : label);
    fprintf(f, "%-22s %s\n", msg(c, "Signature certificate", "署名用電子証明書"),
            arv ? msg(c, "(not stated by the card)", "（カードに記載なし）")
                : has_sign ? msg(c, "present", "あり")
                           : msg(c, "none (holder under 15)", "なし（15歳未満）"));
    fprintf(f, "%-22s %s\n", msg(c, "Extended APDUs", "拡張APDU"),
            myna_card_uses_extended(c->cc.card) ? msg(c, "yes", "使用")
                                             : msg(c, "no", "不使用"));
    fputs(msg(c, "Authentication certificate\n", "利用者証明用電子証明書\n"), f);
    fputs("  subject  ", f);
    print_name(f, X509_get_subject_name(x), c->json);
    fputs("\n  issuer   ", f);
    print_name(f, X509_get_issuer_name(x), c->json);
    fprintf(f, "\n  serial   %s\n  valid    ", serial);
    print_time(f, X509_get0_notBefore(x), c->json);
    fputs(" .. ", f);
    print_time(f, X509_get0_notAfter(x), c->json);
    fputs(expired ? msg(c, "  EXPIRED: renew it at the municipal office\n",
                        "  有効期限切れ: 市区町村の窓口で更新してください\n")
                  : "\n", f);
  }
  X509_free(x);
  return EXIT_OK;
}

static int cmd_pin_status(cli *c)
{
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  struct {
    const char *id;
    const char *en;
    const char *ja;
    myna_rv rv;
    int tries;
  } rows[] = {
    { "auth", "user authentication PIN", "利用者証明用暗証番号", 0, -1 },
    { "sign", "signature password", "署名用パスワード", 0, -1 },
    { "text", "card input support PIN", "券面事項入力補助用暗証番号", 0, -1 },
  };
  rows[0].rv = myna_jpki_tries_left(c->cc.card, MYNA_JPKI_KEY_AUTH, &rows[0].tries);
  rows[1].rv = myna_jpki_tries_left(c->cc.card, MYNA_JPKI_KEY_SIGN, &rows[1].tries);
  rows[2].rv = myna_text_ap_tries_left(c->cc.card, &rows[2].tries);
  for(size_t i = 0; i < 3; i++)
    if(rows[i].rv && rows[i].rv != MYNA_E_NO_SIGN_CERTIFICATE &&
       rows[i].rv != MYNA_E_NOT_SUPPORTED)
      return myna_cli_fail(&c->cc, rows[i].rv);
  if(c->json) {
    fputs("{", stdout);
    for(size_t i = 0; i < 3; i++) {
      printf("%s\"%s\":", i ? "," : "", rows[i].id);
      if(rows[i].rv)
        printf("{\"available\":false,\"reason\":\"%s\"}", myna_rv_name(rows[i].rv));
      else
        printf("{\"available\":true,\"tries_left\":%d,\"blocked\":%s}",
               rows[i].tries, rows[i].tries == 0 ? "true" : "false");
    }
    puts("}");
    return EXIT_OK;
  }
  for(size_t i = 0; i < 3; i++) {
    printf("%-34s ", c->cc.japanese ? rows[i].ja : rows[i].en);
    if(rows[i].rv)
      printf("%s\n", c->cc.japanese ? myna_strerror_ja(rows[i].rv)
                                 : myna_strerror(rows[i].rv));
    else if(rows[i].tries == 0)
      printf("%s\n", msg(c, "BLOCKED (reset at the municipal office)",
                         "ロック中（市区町村の窓口で初期化できます）"));
    else
      printf(c->cc.japanese ? "残り%d回\n" : "%d tries left\n", rows[i].tries);
  }
  return EXIT_OK;
}

static bool parse_cert_name(const char *s, myna_jpki_cert *out)
{
  static const struct {
    const char *name;
    myna_jpki_cert which;
  } names[] = {
    { "auth", MYNA_JPKI_CERT_AUTH },
    { "auth-ca", MYNA_JPKI_CERT_AUTH_CA },
    { "sign", MYNA_JPKI_CERT_SIGN },
    { "sign-ca", MYNA_JPKI_CERT_SIGN_CA },
  };
  for(size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if(!strcmp(s, names[i].name)) {
      *out = names[i].which;
      return true;
    }
  return false;
}

static int cmd_cert(cli *c, int argc, char **argv)
{
  bool der_out = false;
  const char *out = NULL;
  static const struct option opts[] = {
    { "pem", no_argument, NULL, 'p' },
    { "der", no_argument, NULL, 'd' },
    { "output", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
    switch(o) {
    case 'p':
      der_out = false;
      break;
    case 'd':
      der_out = true;
      break;
    case 'o':
      out = optarg;
      break;
    default:
      return EXIT_USAGE;
    }
  }
  myna_jpki_cert which;
  if(optind != argc - 1 || !parse_cert_name(argv[optind], &which))
    return usage_error("cert needs one of auth, auth-ca, sign, sign-ca");
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  if(which == MYNA_JPKI_CERT_SIGN) {
    ec = myna_cli_jpki_login(&c->cc, MYNA_JPKI_KEY_SIGN);
    if(ec)
      return ec;
  }
  const uint8_t *der;
  size_t len;
  myna_rv rv = myna_jpki_read_certificate(c->cc.card, which, &der, &len);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  /* The sign certificate carries name, address and birth date. */
  mode_t mode = which == MYNA_JPKI_CERT_SIGN ? 0600 : 0644;
  if(der_out)
    return write_out(c, out, der, len, true, mode);
  const uint8_t *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if(!x)
    return myna_cli_fail(&c->cc, MYNA_E_DECODE);
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *pem = NULL;
  long pem_len = BIO_get_mem_data(b, &pem);
  ec = write_out(c, out, pem, (size_t)pem_len, false, mode);
  BIO_free(b);
  X509_free(x);
  return ec;
}

static bool parse_hash(const char *s, myna_hash_alg *alg, const EVP_MD **md)
{
  if(!strcmp(s, "sha256")) {
    *alg = MYNA_HASH_SHA256;
    *md = EVP_sha256();
  }
  else if(!strcmp(s, "sha384")) {
    *alg = MYNA_HASH_SHA384;
    *md = EVP_sha384();
  }
  else if(!strcmp(s, "sha512")) {
    *alg = MYNA_HASH_SHA512;
    *md = EVP_sha512();
  }
  else if(!strcmp(s, "sha1")) {
    *alg = MYNA_HASH_SHA1;
    *md = EVP_sha1();
  }
  else
    return false;
  return true;
}

static int read_file(const cli *c, const char *path, uint8_t **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if(!f) {
    fprintf(stderr, "mynacard: %s: %s\n", path, strerror(errno));
    return EXIT_IO;
  }
  size_t cap = 65536, n = 0;
  uint8_t *buf = malloc(cap);
  while(buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if(n < cap)
      break;
    uint8_t *nb = realloc(buf, cap * 2);
    if(!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  bool err = ferror(f);
  fclose(f);
  if(!buf)
    return myna_cli_fail(&c->cc, MYNA_E_NO_MEMORY);
  if(err) {
    free(buf);
    fprintf(stderr, "mynacard: %s: read error\n", path);
    return EXIT_IO;
  }
  *data = buf;
  *len = n;
  return EXIT_OK;
}

/* The card behind an RSA_METHOD: OpenSSL hands priv_enc the DigestInfo it
 * built, the card pads and signs it. */
typedef struct card_key {
  myna_card *card;
  myna_jpki_key key;
  myna_rv rv;
} card_key;

static int card_key_index = -1;

static int card_priv_enc(int flen, const unsigned char *from, unsigned char *to,
                         RSA *rsa, int padding)
{
  card_key *ck = RSA_get_ex_data(rsa, card_key_index);
  if(!ck || padding != RSA_PKCS1_PADDING || flen <= 0)
    return -1;
  size_t sig_len = 0;
  ck->rv = myna_jpki_sign_digestinfo(ck->card, ck->key, from, (size_t)flen, to,
                                     MYNA_JPKI_SIGNATURE_SIZE, &sig_len);
  return ck->rv ? -1 : (int)sig_len;
}

static int cms_sign(cli *c, myna_jpki_key key, X509 *cert, const EVP_MD *md,
                    const uint8_t *data, size_t len, const char *out)
{
  int ec = EXIT_ERROR;
  card_key ck = { c->cc.card, key, MYNA_OK };
  RSA_METHOD *meth = NULL;
  RSA *rsa = NULL;
  EVP_PKEY *pkey = NULL;
  CMS_ContentInfo *cms = NULL;
  BIO *in = NULL, *mem = NULL;

  if(card_key_index < 0)
    card_key_index = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  const RSA *pub_rsa = pub ? EVP_PKEY_get0_RSA(pub) : NULL;
  meth = RSA_meth_dup(RSA_get_default_method());
  rsa = RSA_new();
  if(!pub_rsa || !meth || !rsa)
    goto out;
  RSA_meth_set1_name(meth, "mynacard");
  RSA_meth_set_priv_enc(meth, card_priv_enc);
  if(!RSA_set0_key(rsa, BN_dup(RSA_get0_n(pub_rsa)), BN_dup(RSA_get0_e(pub_rsa)),
                   NULL) ||
     !RSA_set_method(rsa, meth) || !RSA_set_ex_data(rsa, card_key_index, &ck))
    goto out;
  pkey = EVP_PKEY_new();
  if(!pkey || !EVP_PKEY_assign_RSA(pkey, rsa))
    goto out;
  rsa = NULL; /* owned by pkey now */

  unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
  if(!cms || !CMS_add1_signer(cms, cert, pkey, md, flags))
    goto out;
  in = BIO_new_mem_buf(data, (int)len);
  if(!in || !CMS_final(cms, in, NULL, flags)) {
    if(ck.rv) {
      ec = myna_cli_fail(&c->cc, ck.rv);
      goto out;
    }
    goto out;
  }
  mem = BIO_new(BIO_s_mem());
  if(!mem || !i2d_CMS_bio(mem, cms))
    goto out;
  char *p = NULL;
  long plen = BIO_get_mem_data(mem, &p);
  ec = write_out(c, out, p, (size_t)plen, true, 0644);

out:
  if(ec == EXIT_ERROR && !ck.rv) {
    fprintf(stderr, "mynacard: %s\n",
            msg(c, "could not build the CMS signature", "CMS署名を作成できませんでした"));
    ERR_print_errors_fp(stderr);
  }
  BIO_free(in);
  BIO_free(mem);
  CMS_ContentInfo_free(cms);
  EVP_PKEY_free(pkey);
  RSA_free(rsa);
  RSA_meth_free(meth);
  return ec;
}

static int cmd_sign(cli *c, int argc, char **argv)
{
  const char *in = NULL, *out = NULL, *hash = "sha256";
  bool cms = false;
  static const struct option opts[] = {
    { "in", required_argument, NULL, 'i' },
    { "hash", required_argument, NULL, 'h' },
    { "cms", no_argument, NULL, 'c' },
    { "output", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
    switch(o) {
    case 'i':
      in = optarg;
      break;
    case 'h':
      hash = optarg;
      break;
    case 'c':
      cms = true;
      break;
    case 'o':
      out = optarg;
      break;
    default:
      return EXIT_USAGE;
    }
  }
  if(optind != argc - 1 ||
     (strcmp(argv[optind], "auth") && strcmp(argv[optind], "sign")))
    return usage_error("sign needs auth or sign");
  if(!in)
    return usage_error("sign needs --in FILE");
  myna_hash_alg alg;
  const EVP_MD *md;
  if(!parse_hash(hash, &alg, &md))
    return usage_error("unknown hash '%s' (sha256, sha384, sha512, sha1)", hash);
  myna_jpki_key key = strcmp(argv[optind], "sign") ? MYNA_JPKI_KEY_AUTH
                                                    : MYNA_JPKI_KEY_SIGN;
  uint8_t *data = NULL;
  size_t len = 0;
  int ec = read_file(c, in, &data, &len);
  if(ec)
    return ec;
  ec = myna_cli_card_open(&c->cc);
  if(ec)
    goto out;
  ec = myna_cli_jpki_login(&c->cc, key);
  if(ec)
    goto out;
  if(cms) {
    const uint8_t *der;
    size_t dlen;
    myna_rv rv = myna_jpki_read_certificate(
      c->cc.card, key == MYNA_JPKI_KEY_SIGN ? MYNA_JPKI_CERT_SIGN : MYNA_JPKI_CERT_AUTH,
      &der, &dlen);
    if(rv) {
      ec = myna_cli_fail(&c->cc, rv);
      goto out;
    }
    const uint8_t *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)dlen);
    if(!x) {
      ec = myna_cli_fail(&c->cc, MYNA_E_DECODE);
      goto out;
    }
    ec = cms_sign(c, key, x, md, data, len, out);
    X509_free(x);
    goto out;
  }
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned dlen = 0;
  if(!EVP_Digest(data, len, digest, &dlen, md, NULL)) {
    ec = EXIT_ERROR;
    goto out;
  }
  uint8_t sig[MYNA_JPKI_SIGNATURE_SIZE];
  size_t sig_len = 0;
  myna_rv rv = myna_jpki_sign_hash(c->cc.card, key, alg, digest, dlen, sig,
                                   sizeof(sig), &sig_len);
  if(rv) {
    ec = myna_cli_fail(&c->cc, rv);
    goto out;
  }
  ec = write_out(c, out, sig, sig_len, true, 0644);
out:
  free(data);
  return ec;
}

static int cmd_basic_info(cli *c)
{
  int ec = open_text_ap(c);
  if(ec)
    return ec;
  myna_basic_info *info = NULL;
  myna_rv rv = myna_text_ap_read_basic_info(c->cc.card, &info);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  static const char *sex_en[] = { ['0'] = "unknown", ['1'] = "male",
                                  ['2'] = "female", ['9'] = "not applicable" };
  static const char *sex_ja[] = { ['0'] = "不明", ['1'] = "男性",
                                  ['2'] = "女性", ['9'] = "適用不能" };
  unsigned s = (unsigned char)info->sex;
  if(c->json) {
    fputs("{\"name\":", stdout);
    json_str(stdout, info->name);
    fputs(",\"address\":", stdout);
    json_str(stdout, info->address);
    printf(",\"birth_date\":\"%.4s-%.2s-%.2s\",\"sex\":\"%c\"}\n", info->birth,
           info->birth + 4, info->birth + 6, info->sex);
  }
  else {
    printf("%s\t%s\n", msg(c, "Name", "氏名"), info->name);
    printf("%s\t%s\n", msg(c, "Address", "住所"), info->address);
    printf("%s\t%.4s-%.2s-%.2s\n", msg(c, "Birth date", "生年月日"), info->birth,
           info->birth + 4, info->birth + 6);
    printf("%s\t%s\n", msg(c, "Sex", "性別"), c->cc.japanese ? sex_ja[s] : sex_en[s]);
  }
  myna_basic_info_free(info);
  return EXIT_OK;
}

static int cmd_my_number(cli *c)
{
  int ec = open_text_ap(c);
  if(ec)
    return ec;
  myna_secret *num = NULL;
  myna_rv rv = myna_text_ap_read_my_number(c->cc.card, &num);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  /* Written straight from the secret, with no copy in between. */
  if(c->json)
    fputs("{\"my_number\":\"", stdout);
  fwrite(myna_secret_bytes(num), 1, myna_secret_len(num), stdout);
  fputs(c->json ? "\"}\n" : "\n", stdout);
  fflush(stdout);
  myna_secret_free(num);
  return EXIT_OK;
}

/* The card-face images (name, address, security code) as the PNG files the
 * card holds, into an existing folder; files are private (0600). */
static int write_face_images(const cli *c, const char *dir,
                             const myna_face_data *face)
{
  const struct {
    const char *file;
    const uint8_t *data;
    size_t len;
  } img[] = {
    { "name.png", face->name_image, face->name_image_len },
    { "address.png", face->address_image, face->address_image_len },
    { "security-code.png", face->code_image, face->code_image_len },
  };
  for(size_t i = 0; i < sizeof(img) / sizeof(img[0]); i++) {
    if(!img[i].len)
      continue;
    char path[4096];
    if(snprintf(path, sizeof(path), "%s/%s", dir, img[i].file) >= (int)sizeof(path))
      return usage_error("folder name too long: %s", dir);
    int ec = write_out(c, path, img[i].data, img[i].len, true, 0600);
    if(ec)
      return ec;
  }
  return EXIT_OK;
}

static int cmd_face(cli *c, int argc, char **argv)
{
  const char *out = NULL, *birth = NULL, *expiry = NULL, *images = NULL;
  bool use_a = false;
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "birth", required_argument, NULL, 'b' },
    { "expiry-year", required_argument, NULL, 'e' },
    { "use-my-number", no_argument, NULL, 'a' },
    { "images", required_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
    switch(o) {
    case 'o':
      out = optarg;
      break;
    case 'b':
      birth = optarg;
      break;
    case 'e':
      expiry = optarg;
      break;
    case 'a':
      use_a = true;
      break;
    case 'i':
      images = optarg;
      break;
    default:
      return EXIT_USAGE;
    }
  }
  if(optind != argc || !out)
    return usage_error("face needs -o FILE.png or -o FILE.jp2");
  size_t olen = strlen(out);
  bool png = olen > 4 && !strcmp(out + olen - 4, ".png");
  if(!png && !(olen > 4 && !strcmp(out + olen - 4, ".jp2")))
    return usage_error("face writes .png or .jp2 files");
  if(!!birth != !!expiry)
    return usage_error("--birth and --expiry-year go together");
  int by = 0, bm = 0, bd = 0, ey = 0;
  if(birth && (sscanf(birth, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
               sscanf(expiry, "%4d", &ey) != 1))
    return usage_error("--birth takes YYYY-MM-DD and --expiry-year YYYY");

  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  myna_face_key key = use_a ? MYNA_FACE_KEY_A : MYNA_FACE_KEY_B;
  int tries = -1;
  myna_rv rv = myna_face_ap_tries_left(c->cc.card, key, &tries);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  if(tries == 0)
    return myna_cli_fail(&c->cc, MYNA_E_PIN_BLOCKED);
  fprintf(stderr, c->cc.japanese ? "照合番号%s（残り%d回）\n" : "Verification number %s (%d tries left)\n",
          use_a ? "A" : "B", tries);
  myna_secret *value = NULL;
  if(use_a)
    ec = myna_cli_ask_secret(&c->cc, msg(c, "My Number (12 digits): ", "個人番号（12桁）: "), &value);
  else if(birth) {
    myna_secret *code = NULL;
    ec = myna_cli_ask_secret(&c->cc, msg(c, "Security code (4 digits): ", "セキュリティコード（4桁）: "),
                    &code);
    if(!ec) {
      rv = myna_face_ap_make_verification_b(by, bm, bd, ey, code, &value);
      if(rv)
        ec = myna_cli_fail(&c->cc, rv);
    }
    myna_secret_free(code);
  }
  else
    ec = myna_cli_ask_secret(&c->cc, msg(c, "Verification number B (14 digits): ", "照合番号B（14桁）: "),
                    &value);
  if(ec)
    return ec;
  int left = -1;
  rv = myna_face_ap_unlock(c->cc.card, key, value, &left);
  myna_secret_free(value);
  if(rv)
    return myna_cli_fail_tries(&c->cc, rv, left);
  myna_face_data *face = NULL;
  rv = myna_face_ap_read(c->cc.card, &face);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  if(png) {
    uint8_t *p = NULL;
    size_t plen = 0;
    rv = myna_jp2_to_png(face->photo, face->photo_len, &p, &plen);
    if(rv)
      ec = myna_cli_fail(&c->cc, rv);
    else
      ec = write_out(c, out, p, plen, true, 0600);
    free(p);
  }
  else
    ec = write_out(c, out, face->photo, face->photo_len, true, 0600);
  if(!ec && images)
    ec = write_face_images(c, images, face);
  myna_face_data_free(face);
  return ec;
}

static int cmd_change_pin(cli *c, int argc, char **argv)
{
  if(argc != 2)
    return usage_error("change-pin needs auth, sign or text");
  myna_pin_kind kind;
  if(!strcmp(argv[1], "auth"))
    kind = MYNA_PIN_JPKI_AUTH;
  else if(!strcmp(argv[1], "sign"))
    kind = MYNA_PIN_JPKI_SIGN;
  else if(!strcmp(argv[1], "text"))
    kind = MYNA_PIN_TEXT;
  else
    return usage_error("change-pin needs auth, sign or text");
  int ec = myna_cli_card_open(&c->cc);
  if(ec)
    return ec;
  int tries = -1;
  myna_jpki_key key = kind == MYNA_PIN_JPKI_SIGN ? MYNA_JPKI_KEY_SIGN : MYNA_JPKI_KEY_AUTH;
  myna_rv rv = kind == MYNA_PIN_TEXT ? myna_text_ap_tries_left(c->cc.card, &tries)
                                     : myna_jpki_tries_left(c->cc.card, key, &tries);
  if(rv)
    return myna_cli_fail(&c->cc, rv);
  myna_secret *cur = NULL, *n1 = NULL, *n2 = NULL, *norm = NULL;
  ec = myna_cli_ask_pin(&c->cc, kind, tries, &cur);
  if(ec)
    goto out;
  /* Everything about the new PIN is checked before the current one is sent. */
  ec = myna_cli_ask_secret(&c->cc, msg(c, "New value: ", "新しい値: "), &n1);
  if(ec)
    goto out;
  ec = myna_cli_ask_secret(&c->cc, msg(c, "New value again: ", "新しい値（確認）: "), &n2);
  if(ec)
    goto out;
  rv = myna_pin_normalize(kind, n1, &norm);
  if(rv) {
    fprintf(stderr, "mynacard: %s (%s)\n",
            c->cc.japanese ? myna_strerror_ja(rv) : myna_strerror(rv),
            c->cc.japanese ? myna_pin_rule_ja(kind) : myna_pin_rule(kind));
    ec = EXIT_PIN_FORMAT;
    goto out;
  }
  if(!myna_secret_equal(n1, n2)) {
    fprintf(stderr, "mynacard: %s\n",
            msg(c, "the two new values differ; nothing was changed",
                "新しい値が一致しません。変更していません"));
    ec = EXIT_PIN_FORMAT;
    goto out;
  }
  int left = -1;
  if(kind == MYNA_PIN_TEXT) {
    rv = myna_text_ap_verify(c->cc.card, cur, &left);
    if(!rv)
      rv = myna_text_ap_change_pin(c->cc.card, n1);
  }
  else {
    rv = myna_jpki_verify(c->cc.card, key, cur, &left);
    if(!rv)
      rv = myna_jpki_change_pin(c->cc.card, key, n1);
  }
  if(rv) {
    ec = myna_cli_fail_tries(&c->cc, rv, left);
    goto out;
  }
  fprintf(stderr, "%s\n", msg(c, "Changed.", "変更しました。"));
  ec = EXIT_OK;
out:
  myna_secret_free(cur);
  myna_secret_free(n1);
  myna_secret_free(n2);
  myna_secret_free(norm);
  return ec;
}

int main(int argc, char **argv)
{
  cli c = { .cc.progname = "mynacard" };
  c.cc.japanese = myna_cli_japanese_locale();

  static const struct option opts[] = {
    MYNA_CLI_CARD_OPTIONS,
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch(o) {
    case 'j':
      c.json = true;
      break;
    case 'h':
      print_help();
      return EXIT_OK;
    case 'V':
      puts("mynacard " MYNA_VERSION);
      return EXIT_OK;
    default:
      if(!myna_cli_card_option(&c.cc, o, optarg))
        return usage_error("unknown option");
    }
  }
  if(optind >= argc)
    return usage_error("no command given");
  int oc = myna_cli_check_options(&c.cc);
  if(oc)
    return oc;
  const char *cmd = argv[optind];
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  optind = 0; /* re-initialise getopt: sub-commands parse their own options */

  int ec;
  if(!strcmp(cmd, "readers"))
    ec = cmd_readers(&c);
  else if(!strcmp(cmd, "watch"))
    ec = cmd_watch(&c, sub_argc, sub_argv);
  else if(!strcmp(cmd, "info"))
    ec = cmd_info(&c);
  else if(!strcmp(cmd, "pin-status"))
    ec = cmd_pin_status(&c);
  else if(!strcmp(cmd, "cert"))
    ec = cmd_cert(&c, sub_argc, sub_argv);
  else if(!strcmp(cmd, "sign"))
    ec = cmd_sign(&c, sub_argc, sub_argv);
  else if(!strcmp(cmd, "basic-info"))
    ec = cmd_basic_info(&c);
  else if(!strcmp(cmd, "my-number"))
    ec = cmd_my_number(&c);
  else if(!strcmp(cmd, "face"))
    ec = cmd_face(&c, sub_argc, sub_argv);
  else if(!strcmp(cmd, "change-pin"))
    ec = cmd_change_pin(&c, sub_argc, sub_argv);
  else
    ec = usage_error("unknown command '%s'", cmd);
  myna_cli_card_close(&c.cc);
  return ec;
}
