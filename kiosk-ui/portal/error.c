/* error.c - MP_ERROR, its advice texts and the problem it carries. */

#include "mynaportal/error.h"

#include <stdarg.h>

typedef struct {
  mp_problem *problem;
} MpErrorPrivate;

static void mp_error_private_init(MpErrorPrivate *priv)
{
  priv->problem = NULL;
}

static void mp_error_private_copy(const MpErrorPrivate *src, MpErrorPrivate *dest)
{
  dest->problem = src->problem ? mp_problem_copy(src->problem) : NULL;
}

static void mp_error_private_clear(MpErrorPrivate *priv)
{
  g_clear_pointer(&priv->problem, mp_problem_free);
}

/* Defines mp_error_quark() and MpErrorPrivate's accessor. */
G_DEFINE_EXTENDED_ERROR(MpError, mp_error)

const mp_problem *mp_error_get_problem(const GError *error)
{
  if(!error || error->domain != MP_ERROR)
    return NULL;
  MpErrorPrivate *priv = mp_error_get_private(error);
  return priv ? priv->problem : NULL;
}

void mp_set_error(GError **error, mp_error code, const mp_problem *problem,
                  const char *format, ...)
{
  if(!error)
    return;
  va_list ap;
  va_start(ap, format);
  g_autofree char *text = g_strdup_vprintf(format, ap);
  va_end(ap);
  GError *e = g_error_new_literal(MP_ERROR, (int)code, text);
  if(problem) {
    MpErrorPrivate *priv = mp_error_get_private(e);
    priv->problem = mp_problem_copy(problem);
  }
  g_propagate_error(error, e);
}

/* ---- problems ---- */

static void report_item_free(gpointer p)
{
  mp_report_item *it = p;
  g_free(it->item);
  g_free(it->content);
  g_free(it);
}

mp_problem *mp_problem_new(void)
{
  mp_problem *p = g_new0(mp_problem, 1);
  p->report = g_ptr_array_new_with_free_func(report_item_free);
  return p;
}

void mp_problem_add_report(mp_problem *p, const char *item, const char *content)
{
  mp_report_item *it = g_new0(mp_report_item, 1);
  it->item = g_strdup(item ? item : "");
  it->content = g_strdup(content ? content : "");
  g_ptr_array_add(p->report, it);
}

mp_problem *mp_problem_copy(const mp_problem *src)
{
  mp_problem *p = mp_problem_new();
  p->http_status = src->http_status;
  p->code = g_strdup(src->code);
  p->title = g_strdup(src->title);
  p->detail = g_strdup(src->detail);
  p->retry_after_s = src->retry_after_s;
  p->card_rv = src->card_rv;
  for(guint i = 0; src->report && i < src->report->len; i++) {
    const mp_report_item *it = g_ptr_array_index(src->report, i);
    mp_problem_add_report(p, it->item, it->content);
  }
  return p;
}

void mp_problem_free(mp_problem *p)
{
  if(!p)
    return;
  g_free(p->code);
  g_free(p->title);
  g_free(p->detail);
  if(p->report)
    g_ptr_array_unref(p->report);
  g_free(p);
}

/* ---- advice ---- */

static const struct {
  const char *name;
  const char *en;
  const char *ja;
} ADVICE[] = {
  [0] = { "unknown", "Unexpected error. Tell the staff.",
          "予期しないエラーです。係員にお知らせください。" },
  [MP_ERROR_CONFIG] = { "config",
    "The terminal's settings are wrong or missing. Staff: fix the configuration file named in the message.",
    "端末の設定に誤りがあります。係員の方は、メッセージにある設定ファイルを直してください。" },
  [MP_ERROR_TLS] = { "tls",
    "The portal's identity could not be verified, so nothing was sent. Staff: check the terminal's certificate settings (CA file, pin) and the date and time.",
    "接続先のポータルの正当性を確認できなかったため、何も送信していません。係員の方は、端末の証明書の設定（CA ファイル・ピン）と日時を確認してください。" },
  [MP_ERROR_CONNECT] = { "connect",
    "The terminal cannot reach the portal. Check the network cable or Wi-Fi, then try again.",
    "ポータルに接続できません。ネットワークケーブルや Wi-Fi を確認してから、もう一度お試しください。" },
  [MP_ERROR_TIMEOUT] = { "timeout",
    "The portal did not answer in time. Try again in a few minutes.",
    "ポータルから時間内に応答がありませんでした。数分後にもう一度お試しください。" },
  [MP_ERROR_NETWORK] = { "network",
    "The connection was lost during the exchange. Try again; an application already signed is kept and sent later.",
    "通信の途中で接続が切れました。もう一度お試しください。署名済みの申請は端末に保管され、後で送信されます。" },
  [MP_ERROR_UNAVAILABLE] = { "unavailable",
    "The portal is busy or under maintenance. Try again later; an application already signed is kept and sent later.",
    "ポータルが混雑しているか、メンテナンス中です。時間をおいてお試しください。署名済みの申請は端末に保管され、後で送信されます。" },
  [MP_ERROR_SERVER] = { "server",
    "The portal had an internal error. Try again later.",
    "ポータル側でエラーが発生しました。時間をおいてもう一度お試しください。" },
  [MP_ERROR_PROTOCOL] = { "protocol",
    "The portal's answer could not be understood. Tell the staff; the terminal's software may need an update.",
    "ポータルからの応答を読み取れませんでした。係員にお知らせください（端末のソフトウェアの更新が必要な場合があります）。" },
  [MP_ERROR_UNAUTHORIZED] = { "unauthorized",
    "The login has ended. Log in again with the My Number Card.",
    "ログインの有効期限が切れました。もう一度マイナンバーカードでログインしてください。" },
  [MP_ERROR_NOT_LOGGED_IN] = { "not-logged-in",
    "This needs a login with the My Number Card.",
    "この操作にはマイナンバーカードでのログインが必要です。" },
  [MP_ERROR_LOGIN_REFUSED] = { "login-refused",
    "The portal refused the login. Try once more; if it fails again, ask the staff.",
    "ポータルがログインを受け付けませんでした。もう一度お試しください。再び失敗する場合は係員にお尋ねください。" },
  [MP_ERROR_LOGIN_EXPIRED] = { "login-expired",
    "The login took too long and has to start again. Try again.",
    "ログインの手続きに時間がかかったため、最初からやり直す必要があります。もう一度お試しください。" },
  [MP_ERROR_CERT_REVOKED] = { "cert-revoked",
    "The card's electronic certificate has been revoked. Ask at the municipal office (市区町村の窓口) to have it reissued.",
    "カードの電子証明書が失効しています。市区町村の窓口で電子証明書の再発行を申請してください。" },
  [MP_ERROR_CERT_EXPIRED] = { "cert-expired",
    "The card's electronic certificate has expired. Renew it at the municipal office (市区町村の窓口).",
    "カードの電子証明書の有効期限が切れています。市区町村の窓口で更新の手続きをしてください。" },
  [MP_ERROR_CERT_INVALID] = { "cert-invalid",
    "The card's certificate is not one the portal accepts. Ask the staff.",
    "カードの電子証明書をポータルが受け付けませんでした。係員にお尋ねください。" },
  [MP_ERROR_UNKNOWN_USER] = { "unknown-user",
    "This card is not registered with マイナポータル yet. Register first (利用者登録), then log in.",
    "このカードはマイナポータルに利用者登録されていません。利用者登録をしてからログインしてください。" },
  [MP_ERROR_REJECTED] = { "rejected",
    "The portal did not accept the content. Correct the items listed and try again.",
    "ポータルが内容を受け付けませんでした。表示された項目を直して、もう一度お試しください。" },
  [MP_ERROR_NOT_FOUND] = { "not-found",
    "The portal has no such item. Check the number or the choice and try again.",
    "指定されたものがポータルにありません。番号や選択を確認してください。" },
  [MP_ERROR_CONFLICT] = { "conflict",
    "The portal cannot do this in the item's current state (for example it was already submitted or finished).",
    "現在の状態ではこの操作はできません（提出済み・手続終了など）。" },
  [MP_ERROR_TOO_LARGE] = { "too-large",
    "The files are too large for the portal. Attach fewer or smaller files.",
    "ファイルが大きすぎます。添付するファイルを減らすか、小さくしてください。" },
  [MP_ERROR_CARD] = { "card",
    "The My Number Card could not be used. Check that it is placed on the reader and try again.",
    "マイナンバーカードを使用できませんでした。カードがリーダーに置かれていることを確認して、もう一度お試しください。" },
  [MP_ERROR_PACKAGE] = { "package",
    "The application could not be prepared from the files given. Check the attached files.",
    "指定されたファイルから申請データを作成できませんでした。添付ファイルを確認してください。" },
  [MP_ERROR_OUTBOX] = { "outbox",
    "The terminal could not store the application. Staff: check the terminal's disk (space, permissions).",
    "端末に申請を保存できませんでした。係員の方は、端末のディスク（空き容量・権限）を確認してください。" },
};

static guint advice_index(mp_error code)
{
  return (guint)code < G_N_ELEMENTS(ADVICE) && ADVICE[code].name ? (guint)code : 0;
}

const char *mp_error_advice(mp_error code)
{
  return ADVICE[advice_index(code)].en;
}

const char *mp_error_advice_ja(mp_error code)
{
  return ADVICE[advice_index(code)].ja;
}

const char *mp_error_name(mp_error code)
{
  return ADVICE[advice_index(code)].name;
}
