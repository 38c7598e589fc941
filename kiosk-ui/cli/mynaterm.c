/* mynaterm - the portal client from the command line.
 *
 * The operator's and the tests' face of libmynaportal: search ぴったりサービス,
 * log in with the card, apply with a signed package through the durable
 * outbox, read notices, self-information and records, and drive the
 * staff-assisted card application. The card is read through any transport
 * (--reader, --nfc, --vcard) and PINs are asked for exactly as mynacard asks
 * (cardcli.h): never from argv, tries left first, nothing retried.
 *
 * A session never outlives the command: every command that needs the
 * resident logs in with the card at its start and logs out at its end, so
 * that no token is ever written anywhere. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "cardcli.h"
#include "mynaportal/client.h"
#include "mynaportal/outbox.h"
#include "mynaportal/package.h"

/* Exit codes beyond cardcli.h's (documented in mynaterm.1). */
enum {
  EXIT_REFUSED = 11,      /* the portal (or the package builder) refused the content */
  EXIT_NETWORK = 12,      /* the portal could not be reached or was unavailable */
  EXIT_CONFIG = 13,       /* configuration or TLS trust */
  EXIT_LOGIN = 14,        /* login refused: certificate, registration, session */
  EXIT_PENDING = 15       /* the application is in the outbox, not yet delivered */
};

typedef struct term {
  myna_cli_card cc;
  const char *config_path;
  bool json;
  mp_config *cfg;
  mp_client *client;
  mp_outbox *outbox;
  mp_signer *auth_signer;
  bool logged_in;
} term;

#define usage_error(...) myna_cli_usage_error("mynaterm", __VA_ARGS__)

static const char *msg(const term *t, const char *en, const char *ja)
{
  return myna_cli_msg(&t->cc, en, ja);
}

static void print_help(void)
{
  puts(
    "Usage: mynaterm [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Options:\n"
    "  --config FILE      terminal configuration (default: $MYNATERM_CONFIG,\n"
    "                     ~/.config/mynaterm/mynaterm.conf, /etc/mynaterm/mynaterm.conf)\n"
    "  --reader NAME      the card in this PC/SC reader (default: the one holding a card)\n"
    "  --exclusive        keep other programs off the card until the end\n"
    "  --nfc CONNSTRING   the card on this libnfc device ('default': libnfc's choice)\n"
    "  --vcard PROFILE    the software card of PROFILE, in-process\n"
    "  --quirks SPEC      software card quirks\n"
    "  --pin-stdin        read PINs one per line from standard input (the auth PIN\n"
    "                     first, then the signature password)\n"
    "  --json             machine-readable output\n"
    "  --trace            print every APDU on stderr (PINs masked)\n"
    "  --help, --version\n"
    "\n"
    "Commands (those marked * log in with the card's 4-digit PIN for the command):\n"
    "  login *                          check that the card logs in; show the session\n"
    "  procedures [--city CODE] [--category C] [--keyword K] [--limit N] [--offset N]\n"
    "  procedure ID                     the definition: form fields, attachments\n"
    "  apply * ID --form FILE.json [--attach [ATTACHMENT_ID=]FILE[:NAME]]... [--no-check]\n"
    "        [--amend ARRIVE_ID]        sign (signature password) and submit; with --amend\n"
    "                                   the correction the municipality asked for (補正)\n"
    "  status * [ARRIVE_ID]             your applications, or one with its history\n"
    "  notices * [ARRIVE_ID SUB_ID]     お知らせ, or one of them in full\n"
    "  selfinfo * [CATEGORY]            あなたの情報: the categories, or one\n"
    "  records * [--from DATE] [--to DATE]   やりとり履歴\n"
    "  withdraw * ARRIVE_ID [--reason TEXT]\n"
    "  kofu start FORM_ID --name NAME --email EMAIL\n"
    "  kofu photo TOKEN FILE.jpg\n"
    "  kofu submit TOKEN --birth-date YYYY-MM-DD --staff-id ID [--e-certificates yes|no]\n"
    "                    [--braille-name yes|no] --resident-confirmed\n"
    "  kofu status FORM_ID\n"
    "  outbox [list]                    applications kept on this terminal\n"
    "  outbox flush                     send what is pending, oldest first\n"
    "  outbox discard ID [--force]      remove a rejected (or, forced, pending) one\n"
    "\n"
    "Exit codes: as mynacard (0 ok, 1 error, 2 usage, 3 wrong PIN, 4 PIN blocked, 5 no\n"
    "card, 6 card removed, 7 not supported, 8 I/O, 9 PIN refused before sending, 10 no\n"
    "reader), and 11 refused by the portal, 12 portal unreachable or unavailable, 13\n"
    "configuration or TLS trust, 14 login refused, 15 kept in the outbox, not yet sent.");
}

/* ---- errors ---- */

static int exit_for(const GError *e)
{
  if(g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_ERROR;
  if(e->domain != MP_ERROR)
    return EXIT_ERROR;
  switch((mp_error)e->code) {
  case MP_ERROR_CONFIG:
  case MP_ERROR_TLS:
    return EXIT_CONFIG;
  case MP_ERROR_CONNECT:
  case MP_ERROR_TIMEOUT:
  case MP_ERROR_NETWORK:
  case MP_ERROR_UNAVAILABLE:
  case MP_ERROR_SERVER:
    return EXIT_NETWORK;
  case MP_ERROR_UNAUTHORIZED:
  case MP_ERROR_NOT_LOGGED_IN:
  case MP_ERROR_LOGIN_REFUSED:
  case MP_ERROR_LOGIN_EXPIRED:
  case MP_ERROR_CERT_REVOKED:
  case MP_ERROR_CERT_EXPIRED:
  case MP_ERROR_CERT_INVALID:
  case MP_ERROR_UNKNOWN_USER:
    return EXIT_LOGIN;
  case MP_ERROR_REJECTED:
  case MP_ERROR_NOT_FOUND:
  case MP_ERROR_CONFLICT:
  case MP_ERROR_TOO_LARGE:
  case MP_ERROR_PACKAGE:
    return EXIT_REFUSED;
  case MP_ERROR_CARD: {
    const mp_problem *p = mp_error_get_problem(e);
    return p ? myna_cli_exit_code((myna_rv)p->card_rv) : EXIT_ERROR;
  }
  case MP_ERROR_OUTBOX:
    return EXIT_IO;
  case MP_ERROR_PROTOCOL:
  default:
    return EXIT_ERROR;
  }
}

/* What to do (in the tool's language), what the portal said, each finding,
 * and the technical detail for the operator. */
static void print_problem(const term *t, const GError *e)
{
  const mp_problem *p = mp_error_get_problem(e);
  if(e->domain == MP_ERROR && e->code == MP_ERROR_CARD && p)
    fprintf(stderr, "mynaterm: %s\n",
            t->cc.japanese ? myna_strerror_ja((myna_rv)p->card_rv)
                           : myna_strerror((myna_rv)p->card_rv));
  else if(e->domain == MP_ERROR)
    fprintf(stderr, "mynaterm: %s\n",
            t->cc.japanese ? mp_error_advice_ja(e->code) : mp_error_advice(e->code));
  if(p && (p->title || p->detail))
    fprintf(stderr, "  %s%s%s\n", p->title ? p->title : "", p->title && p->detail ? ": " : "",
            p->detail ? p->detail : "");
  for(guint i = 0; p && i < p->report->len; i++) {
    const mp_report_item *it = g_ptr_array_index(p->report, i);
    fprintf(stderr, "  %s: %s\n", it->item, it->content);
  }
  if(p && p->retry_after_s)
    fprintf(stderr, "  %s %u s\n", msg(t, "Retry after", "再試行まで"), p->retry_after_s);
  fprintf(stderr, "  (%s%s%s)\n", e->domain == MP_ERROR ? mp_error_name(e->code) : "",
          e->domain == MP_ERROR ? ": " : "", e->message);
}

static int fail(const term *t, GError *e)
{
  print_problem(t, e);
  int ec = exit_for(e);
  g_error_free(e);
  return ec;
}

/* ---- set-up ---- */

static const char *config_path(const term *t)
{
  if(t->config_path)
    return t->config_path;
  const char *env = getenv("MYNATERM_CONFIG");
  if(env && *env)
    return env;
  static char *user;
  if(!user)
    user = g_build_filename(g_get_user_config_dir(), "mynaterm", "mynaterm.conf", NULL);
  if(g_file_test(user, G_FILE_TEST_EXISTS))
    return user;
  return "/etc/mynaterm/mynaterm.conf";
}

static int open_client(term *t)
{
  GError *e = NULL;
  const char *path = config_path(t);
  if(!g_file_test(path, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "mynaterm: %s: %s\n", path,
            msg(t, "no configuration file here; give one with --config FILE "
                   "(config/mynaterm.conf documents every key)",
                "設定ファイルがありません。--config FILE で指定してください"
                "（各項目は config/mynaterm.conf に説明があります）"));
    return EXIT_CONFIG;
  }
  t->cfg = mp_config_load(path, &e);
  if(!t->cfg)
    return fail(t, e);
  t->client = mp_client_new(t->cfg, &e);
  if(!t->client)
    return fail(t, e);
  return EXIT_OK;
}

static int open_outbox(term *t)
{
  GError *e = NULL;
  t->outbox = mp_outbox_open(t->cfg->outbox_dir, &e);
  if(!t->outbox)
    return fail(t, e);
  return EXIT_OK;
}

/* Open the card, ask for the auth PIN and log in. */
static int login(term *t)
{
  int ec = myna_cli_card_open(&t->cc);
  if(ec)
    return ec;
  ec = myna_cli_jpki_login(&t->cc, MYNA_JPKI_KEY_AUTH);
  if(ec)
    return ec;
  t->auth_signer = mp_signer_new_card(t->cc.card, MYNA_JPKI_KEY_AUTH);
  GError *e = NULL;
  if(!mp_client_login(t->client, t->auth_signer, NULL, &e))
    return fail(t, e);
  t->logged_in = true;
  return EXIT_OK;
}

/* The configuration, the client and a logged-in session: the start of
 * every command that needs the resident. */
static int open_session(term *t)
{
  int ec = open_client(t);
  return ec ? ec : login(t);
}

/* End of every command: log out if logged in (a failure to tell the portal
 * is reported; the session is wiped here either way), close everything. */
static int finish(term *t, int ec)
{
  if(t->logged_in) {
    GError *e = NULL;
    if(!mp_client_logout(t->client, NULL, &e)) {
      fprintf(stderr, "mynaterm: %s\n",
              msg(t, "logging out at the portal failed; the session ends when its token expires",
                  "ポータルからのログアウトに失敗しました。セッションはトークンの期限切れで終了します"));
      int lec = fail(t, e);
      if(!ec)
        ec = lec;
    }
  }
  mp_signer_free(t->auth_signer);
  mp_client_free(t->client);
  mp_outbox_close(t->outbox);
  mp_config_free(t->cfg);
  myna_cli_card_close(&t->cc);
  return ec;
}

/* ---- output ---- */

static void print_json(JsonNode *node)
{
  g_autoptr(JsonGenerator) g = json_generator_new();
  json_generator_set_pretty(g, TRUE);
  json_generator_set_root(g, node);
  g_autofree char *text = json_generator_to_data(g, NULL);
  puts(text);
}

static const char *jstr(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n))
    return "";
  if(json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  return "";
}

static gint64 jint(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if(!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return -1;
  return json_node_get_int(n);
}

static gboolean jbool(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
         json_node_get_boolean(n);
}

static JsonObject *obj(JsonNode *n)
{
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *arr(JsonNode *n)
{
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonArray *member_array(JsonObject *o, const char *name)
{
  return o ? arr(json_object_get_member(o, name)) : NULL;
}

/* Print a list's paging line from the result set. */
static void print_resultset(const term *t, const mp_result *r)
{
  JsonObject *rs = obj(r->resultset);
  if(rs) {
    gint64 count = jint(rs, "count"), all = jint(rs, "all_count"), offset = jint(rs, "offset");
    if(t->cc.japanese)
      printf("（全%" G_GINT64_FORMAT "件中 %" G_GINT64_FORMAT "件、%" G_GINT64_FORMAT
             "件目から）\n", all, count, offset + 1);
    else
      printf("(%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT ", from %" G_GINT64_FORMAT ")\n",
             count, all, offset + 1);
  }
}

/* Send call; print its results as JSON with --json, else with show. */
static int run_call(term *t, mp_call *call, void (*show)(const term *, const mp_result *))
{
  GError *e = NULL;
  g_autoptr(mp_result) r = mp_client_call(t->client, call, NULL, &e);
  if(!r)
    return fail(t, e);
  if(t->json || !show)
    print_json(r->results);
  else
    show(t, r);
  return EXIT_OK;
}

/* ---- commands ---- */

static int cmd_login(term *t, int argc)
{
  if(argc != 1)
    return usage_error("login takes no arguments");
  int ec = open_session(t);
  if(ec)
    return ec;
  gint64 left = mp_client_session_expires_in(t->client);
  if(t->json)
    printf("{\"logged_in\": true, \"session_expires_in\": %" G_GINT64_FORMAT "}\n", left);
  else if(t->cc.japanese)
    printf("ログインしました（セッションの有効期間 %" G_GINT64_FORMAT
           " 秒。このコマンドの終了とともにログアウトします）。\n", left);
  else
    printf("Logged in (the session would last %" G_GINT64_FORMAT
           " s; it ends with this command).\n", left);
  return EXIT_OK;
}

static void show_procedures(const term *t, const mp_result *r)
{
  JsonArray *a = arr(r->results);
  for(guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonObject *p = obj(json_array_get_element(a, i));
    printf("%-40s %s %s %s%s\n", jstr(p, "proc_id"), jstr(p, "city_name"),
           jstr(p, "category"), jstr(p, "title"),
           jbool(p, "signature_required") ? msg(t, " [signature]", "［電子署名］") : "");
  }
  print_resultset(t, r);
}

static bool parse_uint_arg(const char *s, guint *out)
{
  guint64 v;
  if(!g_ascii_string_to_unsigned(s, 10, 0, 100000, &v, NULL))
    return false;
  *out = (guint)v;
  return true;
}

static int cmd_procedures(term *t, int argc, char **argv)
{
  static const struct option opts[] = {
    { "city", required_argument, NULL, 'c' },
    { "category", required_argument, NULL, 'g' },
    { "keyword", required_argument, NULL, 'k' },
    { "limit", required_argument, NULL, 'l' },
    { "offset", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  const char *city = NULL, *category = NULL, *keyword = NULL;
  guint limit = 0, offset = 0;
  int o;
  while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch(o) {
    case 'c':
      city = optarg;
      break;
    case 'g':
      category = optarg;
      break;
    case 'k':
      keyword = optarg;
      break;
    case 'l':
      if(!parse_uint_arg(optarg, &limit))
        return usage_error("--limit needs a number");
      break;
    case 'o':
      if(!parse_uint_arg(optarg, &offset))
        return usage_error("--offset needs a number");
      break;
    default:
      return usage_error("unknown option for procedures");
    }
  }
  if(optind != argc)
    return usage_error("procedures takes options only");
  int ec = open_client(t);
  if(ec)
    return ec;
  if(!city)
    city = t->cfg->city_code;
  return run_call(t, mp_call_procedures(city, category, keyword, limit, offset),
                  show_procedures);
}

static void show_procedure(const term *t, const mp_result *r)
{
  JsonObject *p = obj(r->results);
  printf("%s\n%s %s%s / %s\n", jstr(p, "title"), jstr(p, "proc_id"), jstr(p, "prefecture"),
         jstr(p, "city_name"), jstr(p, "category"));
  printf("%s: %s\n", msg(t, "Submit to", "提出先"), jstr(p, "submit_to"));
  printf("%s: %s\n", msg(t, "Signature", "電子署名"),
         jbool(p, "signature_required") ? msg(t, "required (signature password)",
                                              "必要（署名用パスワード）")
                                        : msg(t, "not required", "不要"));
  printf("%s\n", jstr(p, "description"));
  JsonObject *form = p ? obj(json_object_get_member(p, "form")) : NULL;
  JsonArray *sections = member_array(form, "sections");
  for(guint i = 0; sections && i < json_array_get_length(sections); i++) {
    JsonObject *s = obj(json_array_get_element(sections, i));
    JsonObject *rep = s ? obj(json_object_get_member(s, "repeat")) : NULL;
    printf("\n[%s] %s%s\n", jstr(s, "id"), jstr(s, "title"),
           rep ? msg(t, " (repeated group: \"groups\" in the form JSON)",
                     "（繰り返し: フォーム JSON の \"groups\"）")
               : "");
    JsonArray *fields = member_array(s, "fields");
    for(guint j = 0; fields && j < json_array_get_length(fields); j++) {
      JsonObject *f = obj(json_array_get_element(fields, j));
      printf("  %-28s %-12s %s%s\n", jstr(f, "id"), jstr(f, "type"), jstr(f, "label"),
             jbool(f, "required") ? msg(t, " (required)", "（必須）") : "");
    }
  }
  JsonArray *atts = member_array(p, "attachments");
  if(atts && json_array_get_length(atts))
    printf("\n%s\n", msg(t, "Attachments:", "添付書類:"));
  for(guint i = 0; atts && i < json_array_get_length(atts); i++) {
    JsonObject *a = obj(json_array_get_element(atts, i));
    printf("  %-28s %s%s%s\n", jstr(a, "id"), jstr(a, "title"),
           jbool(a, "required") ? msg(t, " (required)", "（必須）") : "",
           jbool(a, "omittable_by_information_linkage")
             ? msg(t, " (may be left to 情報連携)", "（情報連携で省略可）") : "");
  }
}

static int cmd_procedure(term *t, int argc, char **argv)
{
  if(argc != 2)
    return usage_error("procedure needs one ID");
  int ec = open_client(t);
  if(ec)
    return ec;
  return run_call(t, mp_call_procedure(argv[1]), show_procedure);
}

/* -- apply -- */

typedef struct attach_arg {
  char *id;     /* NULL: the procedure's only attachment */
  char *path;
  char *name;   /* NULL: the file's base name */
} attach_arg;

static void attach_arg_free(gpointer p)
{
  attach_arg *a = p;
  g_free(a->id);
  g_free(a->path);
  g_free(a->name);
  g_free(a);
}

/* [ATTACHMENT_ID=]FILE[:NAME] */
static attach_arg *parse_attach(const char *s)
{
  attach_arg *a = g_new0(attach_arg, 1);
  const char *eq = strchr(s, '=');
  const char *file = s;
  if(eq) {
    a->id = g_strndup(s, (gsize)(eq - s));
    file = eq + 1;
  }
  const char *colon = strrchr(file, ':');
  if(colon && colon[1] && !strchr(colon, '/')) {
    a->path = g_strndup(file, (gsize)(colon - file));
    a->name = g_strdup(colon + 1);
  }
  else
    a->path = g_strdup(file);
  return a;
}

static JsonNode *read_json_file(const char *path, GError **error)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if(!json_parser_load_from_file(p, path, error))
    return NULL;
  return json_node_ref(json_parser_get_root(p));
}

static void print_receipt(const term *t, const mp_outbox_entry *e)
{
  if(t->json) {
    printf("{\"outbox_id\": %" G_GINT64_FORMAT ", \"state\": \"%s\"", e->id,
           mp_outbox_state_name(e->state));
    if(e->arrive_id)
      printf(", \"arrive_id\": \"%s\", \"arrive_date\": \"%s\", \"inquiry_no\": \"%s\"",
             e->arrive_id, e->arrive_date ? e->arrive_date : "",
             e->inquiry_no ? e->inquiry_no : "");
    printf("}\n");
    return;
  }
  if(e->state == MP_OUTBOX_DELIVERED) {
    printf("%s\n", msg(t, "Submitted.", "申請を送信しました。"));
    printf("%s: %s\n", msg(t, "Arrival number (到達番号)", "到達番号"), e->arrive_id);
    printf("%s: %s\n", msg(t, "Arrived", "到達日時"), e->arrive_date ? e->arrive_date : "");
    printf("%s: %s\n", msg(t, "Inquiry number (問合せ番号)", "問合せ番号"),
           e->inquiry_no ? e->inquiry_no : "");
  }
  else if(t->cc.japanese)
    printf("署名済みの申請はこの端末に保管されました（送信待ち %" G_GINT64_FORMAT
           "）。ポータルに接続できるようになり次第送信されます（mynaterm outbox flush）。\n",
           e->id);
  else
    printf("The signed application is kept on this terminal (outbox entry %" G_GINT64_FORMAT
           ") and will be sent when the portal can be reached (mynaterm outbox flush).\n",
           e->id);
}

static int cmd_apply(term *t, int argc, char **argv)
{
  static const struct option opts[] = {
    { "form", required_argument, NULL, 'f' },
    { "attach", required_argument, NULL, 'a' },
    { "no-check", no_argument, NULL, 'n' },
    { "amend", required_argument, NULL, 'm' },
    { NULL, 0, NULL, 0 },
  };
  const char *form_path = NULL;
  const char *amend = NULL;   /* the arrive_id of an application to correct */
  bool check = true;
  g_autoptr(GPtrArray) attaches = g_ptr_array_new_with_free_func(attach_arg_free);
  int o;
  while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch(o) {
    case 'f':
      form_path = optarg;
      break;
    case 'a':
      g_ptr_array_add(attaches, parse_attach(optarg));
      break;
    case 'n':
      check = false;
      break;
    case 'm':
      amend = optarg;
      break;
    default:
      return usage_error("unknown option for apply");
    }
  }
  if(optind != argc - 1 || !form_path)
    return usage_error("apply needs a procedure ID and --form FILE.json");
  const char *proc_id = argv[optind];
  int ec = open_client(t);
  if(!ec)
    ec = open_outbox(t);
  if(ec)
    return ec;
  GError *e = NULL;

  /* Everything that can be checked without the card comes first: the
   * procedure, the form file, the attachments. */
  g_autoptr(mp_result) def = mp_client_call(t->client, mp_call_procedure(proc_id), NULL, &e);
  if(!def)
    return fail(t, e);
  JsonArray *atts = member_array(obj(def->results), "attachments");
  g_autoptr(mp_package_builder) b = mp_package_builder_new(proc_id, &e);
  if(!b)
    return fail(t, e);
  g_autoptr(JsonNode) form = read_json_file(form_path, &e);
  if(!form) {
    fprintf(stderr, "mynaterm: %s: %s\n", form_path, e->message);
    g_error_free(e);
    return EXIT_USAGE;
  }
  if(!mp_package_builder_set_form(b, form, &e))
    return fail(t, e);
  for(guint i = 0; i < attaches->len; i++) {
    attach_arg *a = g_ptr_array_index(attaches, i);
    if(!a->id) {
      if(!atts || json_array_get_length(atts) != 1)
        return usage_error("--attach %s: this procedure has %u attachments; "
                           "name the one meant as ATTACHMENT_ID=FILE",
                           a->path, atts ? json_array_get_length(atts) : 0);
      a->id = g_strdup(jstr(obj(json_array_get_element(atts, 0)), "id"));
    }
    if(!mp_package_builder_add_attachment(b, a->id, a->path, a->name, &e))
      return fail(t, e);
  }

  /* The resident: log in, then the signature password for the package. */
  ec = login(t);
  if(ec)
    return ec;
  fprintf(stderr, "%s\n", msg(t, "To sign the application:", "申請に電子署名します:"));
  ec = myna_cli_jpki_login(&t->cc, MYNA_JPKI_KEY_SIGN);
  if(ec)
    return ec;
  g_autofree char *staged = mp_outbox_staging_path(t->outbox, &e);
  if(!staged)
    return fail(t, e);
  g_autoptr(mp_signer) sign = mp_signer_new_card(t->cc.card, MYNA_JPKI_KEY_SIGN);
  mp_package_info info = { 0 };
  if(!mp_package_builder_write(b, sign, staged, &info, &e))
    return fail(t, e);
  mp_package_info_clear(&info);

  /* The portal's dry run: a refused package never enters the outbox. When
   * the portal cannot be reached, the package goes into the outbox all the
   * same and is sent later. */
  if(check) {
    g_autoptr(mp_result) r = mp_client_call(t->client, mp_call_apply_check(proc_id, staged),
                                            NULL, &e);
    if(!r && exit_for(e) != EXIT_NETWORK) {
      unlink(staged);
      return fail(t, e);
    }
    g_clear_error(&e);
  }
  gint64 id = mp_outbox_enqueue(t->outbox, amend ? MP_OUTBOX_AMEND : MP_OUTBOX_APPLY, proc_id,
                                amend, staged, &e);
  if(!id)
    return fail(t, e);
  mp_client_session_adopt(t->client, id);
  mp_delivery d = { 0 };
  gboolean sent = mp_client_deliver(t->client, t->outbox, id, NULL, &d, &e);
  g_autoptr(mp_outbox_entry) entry = mp_outbox_get(t->outbox, id, NULL);
  if(!sent) {
    print_problem(t, e);
    ec = exit_for(e);
    g_clear_error(&e);
    if(entry && entry->state == MP_OUTBOX_PENDING) {
      print_receipt(t, entry);
      return EXIT_PENDING;
    }
    return ec;
  }
  if(!entry)
    return EXIT_ERROR;
  if(entry->state == MP_OUTBOX_REJECTED) {
    fprintf(stderr, "mynaterm: %s\n%s\n",
            msg(t, "the portal refused the application:", "ポータルが申請を受け付けませんでした:"),
            entry->rejection ? entry->rejection : "");
    return EXIT_REFUSED;
  }
  print_receipt(t, entry);
  return entry->state == MP_OUTBOX_DELIVERED ? EXIT_OK : EXIT_PENDING;
}

/* -- resident reads -- */

static void show_applications(const term *t, const mp_result *r)
{
  JsonArray *a = arr(r->results);
  for(guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonObject *x = obj(json_array_get_element(a, i));
    printf("%s  %s  %-8s %-6s %s\n", jstr(x, "arrive_id"), jstr(x, "arrive_date"),
           jstr(x, "status"), jstr(x, "portal_status"),
           *jstr(x, "proc_name") ? jstr(x, "proc_name") : jstr(x, "proc_id"));
  }
  print_resultset(t, r);
}

static void show_application(const term *t, const mp_result *r)
{
  JsonObject *x = obj(r->results);
  printf("%s %s\n%s: %s / %s\n%s: %s  %s: %s\n", jstr(x, "arrive_id"), jstr(x, "proc_name"),
         msg(t, "Status", "状況"), jstr(x, "status"), jstr(x, "portal_status"),
         msg(t, "Arrived", "到達日時"), jstr(x, "arrive_date"),
         msg(t, "Inquiry number", "問合せ番号"), jstr(x, "inquiry_no"));
  JsonArray *h = member_array(x, "history");
  for(guint i = 0; h && i < json_array_get_length(h); i++) {
    JsonObject *s = obj(json_array_get_element(h, i));
    printf("  %s  %s / %s\n", jstr(s, "date"), jstr(s, "status"), jstr(s, "portal_status"));
  }
}

static int cmd_status(term *t, int argc, char **argv)
{
  if(argc > 2)
    return usage_error("status takes at most one ARRIVE_ID");
  int ec = open_session(t);
  if(ec)
    return ec;
  if(argc == 2)
    return run_call(t, mp_call_apply_status(argv[1]), show_application);
  return run_call(t, mp_call_apply_lists(NULL, NULL, 50, 0), show_applications);
}

static void show_notices(const term *t, const mp_result *r)
{
  JsonArray *a = arr(r->results);
  for(guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonObject *n = obj(json_array_get_element(a, i));
    bool correction = !strcmp(jstr(n, "kind"), "補正依頼");
    printf("%s%s %s  %s  %s  %s\n", correction ? "!" : " ", jstr(n, "arrive_id"),
           jstr(n, "notice_sub_id"), jstr(n, "notice_date"), jstr(n, "kind"),
           jstr(n, "title"));
  }
  print_resultset(t, r);
}

static void show_notice(const term *t, const mp_result *r)
{
  JsonObject *n = obj(r->results);
  printf("%s\n%s  %s  %s\n\n%s\n", jstr(n, "title"), jstr(n, "notice_date"), jstr(n, "kind"),
         jstr(n, "sender"), jstr(n, "body"));
  (void)t;
}

static int cmd_notices(term *t, int argc, char **argv)
{
  if(argc != 1 && argc != 3)
    return usage_error("notices takes nothing, or ARRIVE_ID NOTICE_SUB_ID");
  int ec = open_session(t);
  if(ec)
    return ec;
  if(argc == 3)
    return run_call(t, mp_call_notice(argv[1], argv[2]), show_notice);
  return run_call(t, mp_call_notices(50, 0), show_notices);
}

static void show_value(JsonNode *n, int indent);

static void show_object(JsonObject *o, int indent)
{
  g_autoptr(GList) names = json_object_get_members(o);
  for(GList *l = names; l; l = l->next) {
    JsonNode *v = json_object_get_member(o, l->data);
    printf("%*s%s:", indent, "", (const char *)l->data);
    if(JSON_NODE_HOLDS_VALUE(v) || JSON_NODE_HOLDS_NULL(v)) {
      putchar(' ');
      show_value(v, 0);
    }
    else {
      putchar('\n');
      show_value(v, indent + 2);
    }
  }
}

/* Self-information is free-form per category: print it as an outline. */
static void show_value(JsonNode *n, int indent)
{
  if(JSON_NODE_HOLDS_OBJECT(n))
    show_object(json_node_get_object(n), indent);
  else if(JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    for(guint i = 0; i < json_array_get_length(a); i++) {
      printf("%*s-\n", indent, "");
      show_value(json_array_get_element(a, i), indent + 2);
    }
  }
  else if(JSON_NODE_HOLDS_NULL(n))
    puts("-");
  else {
    g_autofree char *s = json_node_get_value_type(n) == G_TYPE_STRING
                           ? g_strdup(json_node_get_string(n))
                           : json_to_string(n, FALSE);
    printf("%*s%s\n", indent, "", s);
  }
}

static void show_outline(const term *t, const mp_result *r)
{
  show_value(r->results, 0);
  (void)t;
}

static int cmd_selfinfo(term *t, int argc, char **argv)
{
  if(argc > 2)
    return usage_error("selfinfo takes at most one CATEGORY");
  int ec = open_session(t);
  if(ec)
    return ec;
  if(argc == 2)
    return run_call(t, mp_call_selfinfo(argv[1]), show_outline);
  return run_call(t, mp_call_selfinfo_categories(), show_outline);
}

static int cmd_records(term *t, int argc, char **argv)
{
  static const struct option opts[] = {
    { "from", required_argument, NULL, 'f' },
    { "to", required_argument, NULL, 't' },
    { NULL, 0, NULL, 0 },
  };
  const char *from = NULL, *to = NULL;
  int o;
  while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if(o == 'f')
      from = optarg;
    else if(o == 't')
      to = optarg;
    else
      return usage_error("unknown option for records");
  }
  if(optind != argc)
    return usage_error("records takes options only");
  int ec = open_session(t);
  if(ec)
    return ec;
  return run_call(t, mp_call_records(from, to, 50, 0), show_outline);
}

static int cmd_withdraw(term *t, int argc, char **argv)
{
  static const struct option opts[] = {
    { "reason", required_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  const char *reason = NULL;
  int o;
  while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if(o == 'r')
      reason = optarg;
    else
      return usage_error("unknown option for withdraw");
  }
  if(optind != argc - 1)
    return usage_error("withdraw needs one ARRIVE_ID");
  int ec = open_session(t);
  if(ec)
    return ec;
  return run_call(t, mp_call_apply_withdraw(argv[optind], reason), show_outline);
}

/* -- kofu -- */

static int cmd_kofu(term *t, int argc, char **argv)
{
  if(argc < 2)
    return usage_error("kofu needs start, photo, submit or status");
  const char *sub = argv[1];
  argc--;
  argv++;
  optind = 0;
  if(!strcmp(sub, "start")) {
    static const struct option opts[] = {
      { "name", required_argument, NULL, 'n' },
      { "email", required_argument, NULL, 'e' },
      { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *email = NULL;
    int o;
    while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
      if(o == 'n')
        name = optarg;
      else if(o == 'e')
        email = optarg;
      else
        return usage_error("unknown option for kofu start");
    }
    if(optind != argc - 1 || !name || !email)
      return usage_error("kofu start needs FORM_ID, --name and --email");
    int ec = open_client(t);
    if(ec)
      return ec;
    return run_call(t, mp_call_kofu_start(argv[optind], name, email), show_outline);
  }
  if(!strcmp(sub, "photo")) {
    if(argc != 3)
      return usage_error("kofu photo needs TOKEN FILE.jpg");
    int ec = open_client(t);
    if(ec)
      return ec;
    return run_call(t, mp_call_kofu_photo(argv[1], argv[2]), show_outline);
  }
  if(!strcmp(sub, "status")) {
    if(argc != 2)
      return usage_error("kofu status needs FORM_ID");
    int ec = open_client(t);
    if(ec)
      return ec;
    return run_call(t, mp_call_kofu_status(argv[1]), show_outline);
  }
  if(!strcmp(sub, "submit")) {
    static const struct option opts[] = {
      { "birth-date", required_argument, NULL, 'b' },
      { "staff-id", required_argument, NULL, 's' },
      { "e-certificates", required_argument, NULL, 'c' },
      { "braille-name", required_argument, NULL, 'r' },
      { "resident-confirmed", no_argument, NULL, 'y' },
      { NULL, 0, NULL, 0 },
    };
    const char *birth = NULL, *staff = NULL;
    bool certs = true, braille = false, confirmed = false;
    int o;
    while((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
      switch(o) {
      case 'b':
        birth = optarg;
        break;
      case 's':
        staff = optarg;
        break;
      case 'c':
      case 'r':
        if(strcmp(optarg, "yes") && strcmp(optarg, "no"))
          return usage_error("--%s takes yes or no", o == 'c' ? "e-certificates"
                                                              : "braille-name");
        *(o == 'c' ? &certs : &braille) = !strcmp(optarg, "yes");
        break;
      case 'y':
        confirmed = true;
        break;
      default:
        return usage_error("unknown option for kofu submit");
      }
    }
    if(optind != argc - 1 || !birth || !staff)
      return usage_error("kofu submit needs TOKEN, --birth-date and --staff-id");
    /* Only the resident's own confirmation after seeing the photo may set
     * resident_confirmed_at; the operator states that it happened. */
    if(!confirmed)
      return usage_error("kofu submit needs --resident-confirmed: the resident has "
                         "checked the photo and the entries and agreed");
    int ec = open_client(t);
    if(ec)
      return ec;
    /* The contract's dates are JST, whatever the terminal's zone. */
    g_autoptr(GTimeZone) jst = g_time_zone_new_offset(9 * 3600);
    g_autoptr(GDateTime) now = g_date_time_new_now(jst);
    g_autofree char *at = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "birth_date");
    json_builder_add_string_value(jb, birth);
    json_builder_set_member_name(jb, "want_e_certificates");
    json_builder_add_boolean_value(jb, certs);
    json_builder_set_member_name(jb, "braille_name");
    json_builder_add_boolean_value(jb, braille);
    json_builder_set_member_name(jb, "assisted");
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "terminal_id");
    json_builder_add_string_value(jb, t->cfg->terminal_id);
    json_builder_set_member_name(jb, "staff_id");
    json_builder_add_string_value(jb, staff);
    json_builder_end_object(jb);
    json_builder_set_member_name(jb, "resident_confirmed_at");
    json_builder_add_string_value(jb, at);
    json_builder_end_object(jb);
    return run_call(t, mp_call_kofu_submit(argv[optind], json_builder_get_root(jb)),
                    show_outline);
  }
  return usage_error("unknown kofu command '%s'", sub);
}

/* -- outbox -- */

static void print_entry(const term *t, const mp_outbox_entry *e)
{
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_local(e->created_at);
  g_autofree char *when = g_date_time_format(created, "%Y-%m-%d %H:%M:%S");
  printf("%4" G_GINT64_FORMAT "  %-9s %s  %-36s %s%s %s\n", e->id,
         mp_outbox_state_name(e->state), when, e->proc_id,
         e->arrive_id ? msg(t, "arrive_id ", "到達番号 ") : "",
         e->arrive_id ? e->arrive_id : "", e->kind == MP_OUTBOX_AMEND ? "(amend)" : "");
  if(e->state == MP_OUTBOX_PENDING && e->attempts)
    printf("      %s %u: %s\n", msg(t, "tries", "送信試行"), e->attempts,
           e->last_error ? e->last_error : "");
  else if(e->state == MP_OUTBOX_PENDING && e->last_error)
    printf("      %s\n", e->last_error);
  if(e->state == MP_OUTBOX_REJECTED && e->rejection)
    printf("      %s\n", e->rejection);
}

static int cmd_outbox(term *t, int argc, char **argv)
{
  const char *sub = argc >= 2 ? argv[1] : "list";
  int ec = open_client(t);
  if(!ec)
    ec = open_outbox(t);
  if(ec)
    return ec;
  GError *e = NULL;
  if(!strcmp(sub, "list")) {
    if(argc > 2)
      return usage_error("outbox list takes nothing");
    g_autoptr(GPtrArray) all = mp_outbox_list(t->outbox, 0, &e);
    if(!all)
      return fail(t, e);
    if(t->json) {
      g_autoptr(JsonBuilder) jb = json_builder_new();
      json_builder_begin_array(jb);
      for(guint i = 0; i < all->len; i++) {
        const mp_outbox_entry *x = g_ptr_array_index(all, i);
        json_builder_begin_object(jb);
        json_builder_set_member_name(jb, "id");
        json_builder_add_int_value(jb, x->id);
        json_builder_set_member_name(jb, "state");
        json_builder_add_string_value(jb, mp_outbox_state_name(x->state));
        json_builder_set_member_name(jb, "proc_id");
        json_builder_add_string_value(jb, x->proc_id);
        json_builder_set_member_name(jb, "attempts");
        json_builder_add_int_value(jb, x->attempts);
        json_builder_set_member_name(jb, "package_on_disk");
        json_builder_add_boolean_value(jb, x->package_path != NULL);
        static const char *const S[] = { "arrive_id", "arrive_date", "inquiry_no",
                                         "last_error", "idempotency_key" };
        const char *v[] = { x->arrive_id, x->arrive_date, x->inquiry_no, x->last_error,
                            x->idempotency_key };
        for(size_t k = 0; k < G_N_ELEMENTS(S); k++) {
          if(!v[k])
            continue;
          json_builder_set_member_name(jb, S[k]);
          json_builder_add_string_value(jb, v[k]);
        }
        json_builder_end_object(jb);
      }
      json_builder_end_array(jb);
      g_autoptr(JsonNode) root = json_builder_get_root(jb);
      print_json(root);
    }
    else {
      if(!all->len)
        printf("%s\n", msg(t, "The outbox is empty.", "送信待ちの申請はありません。"));
      for(guint i = 0; i < all->len; i++)
        print_entry(t, g_ptr_array_index(all, i));
    }
    return EXIT_OK;
  }
  if(!strcmp(sub, "flush")) {
    if(argc > 2)
      return usage_error("outbox flush takes nothing");
    mp_delivery d = { 0 };
    gboolean ok = mp_client_deliver(t->client, t->outbox, 0, NULL, &d, &e);
    if(t->json)
      printf("{\"delivered\": %u, \"rejected\": %u, \"pending\": %u}\n", d.delivered,
             d.rejected, d.pending);
    else if(t->cc.japanese)
      printf("送信済み %u 件、受付不可 %u 件、送信待ち %u 件\n", d.delivered, d.rejected,
             d.pending);
    else
      printf("delivered %u, rejected %u, still pending %u\n", d.delivered, d.rejected,
             d.pending);
    if(!ok)
      return fail(t, e);
    return d.pending ? EXIT_PENDING : (d.rejected ? EXIT_REFUSED : EXIT_OK);
  }
  if(!strcmp(sub, "discard")) {
    bool force = argc == 4 && !strcmp(argv[3], "--force");
    if(argc != 3 && !force)
      return usage_error("outbox discard needs ID [--force]");
    gint64 id = 0;
    if(!g_ascii_string_to_signed(argv[2], 10, 1, G_MAXINT64, &id, NULL))
      return usage_error("outbox discard needs a numeric ID");
    if(!mp_outbox_discard(t->outbox, id, force, &e))
      return fail(t, e);
    return EXIT_OK;
  }
  return usage_error("unknown outbox command '%s'", sub);
}

int main(int argc, char **argv)
{
  term t = { .cc.progname = "mynaterm" };
  t.cc.japanese = myna_cli_japanese_locale();

  static const struct option opts[] = {
    { "config", required_argument, NULL, 'C' },
    MYNA_CLI_CARD_OPTIONS,
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  int o;
  while((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch(o) {
    case 'C':
      t.config_path = optarg;
      break;
    case 'j':
      t.json = true;
      break;
    case 'h':
      print_help();
      return EXIT_OK;
    case 'V':
      puts("mynaterm " MYNA_VERSION);
      return EXIT_OK;
    default:
      if(!myna_cli_card_option(&t.cc, o, optarg))
        return usage_error("unknown option");
    }
  }
  if(optind >= argc)
    return usage_error("no command given");
  int ec = myna_cli_check_options(&t.cc);
  if(ec)
    return ec;
  const char *cmd = argv[optind];
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  optind = 0; /* re-initialise getopt: sub-commands parse their own options */

  if(!strcmp(cmd, "login"))
    ec = cmd_login(&t, sub_argc);
  else if(!strcmp(cmd, "procedures"))
    ec = cmd_procedures(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "procedure"))
    ec = cmd_procedure(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "apply"))
    ec = cmd_apply(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "status"))
    ec = cmd_status(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "notices"))
    ec = cmd_notices(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "selfinfo"))
    ec = cmd_selfinfo(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "records"))
    ec = cmd_records(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "withdraw"))
    ec = cmd_withdraw(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "kofu"))
    ec = cmd_kofu(&t, sub_argc, sub_argv);
  else if(!strcmp(cmd, "outbox"))
    ec = cmd_outbox(&t, sub_argc, sub_argv);
  else
    ec = usage_error("unknown command '%s'", cmd);
  return finish(&t, ec);
}
