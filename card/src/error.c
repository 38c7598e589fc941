/* error.c - messages for the one error type. Each message tells the person at
 * the counter what to do next, not only what went wrong. */
#include "mynacard/error.h"

#include <stddef.h>

typedef struct error_text {
  const char *name;
  const char *en;
  const char *ja;
} error_text;

static const error_text texts[MYNA_E_COUNT] = {
  [MYNA_OK] = { "ok", "Success.", "正常に終了しました。" },
  [MYNA_E_INVALID_ARGUMENT] = { "invalid-argument",
    "Internal error: invalid request. Please report this.",
    "内部エラー: 不正な要求です。管理者に連絡してください。" },
  [MYNA_E_NO_MEMORY] = { "no-memory",
    "The terminal is out of memory. Restart the terminal.",
    "端末のメモリが不足しています。端末を再起動してください。" },
  [MYNA_E_NO_CARD] = { "no-card",
    "No card found. Place the My Number Card on the reader.",
    "カードが見つかりません。マイナンバーカードをリーダーにセットしてください。" },
  [MYNA_E_CARD_REMOVED] = { "card-removed",
    "The card was removed. Place it on the reader again and keep it there until the end.",
    "カードが取り外されました。もう一度セットし、終了するまで動かさないでください。" },
  [MYNA_E_IO] = { "io",
    "The card reader cannot be reached. Check its cable, then try again.",
    "カードリーダーと通信できません。ケーブルを確認して、もう一度お試しください。" },
  [MYNA_E_TIMEOUT] = { "timeout",
    "The card did not answer in time. Place it flat on the reader and try again.",
    "カードが応答しません。リーダーに平らに置いて、もう一度お試しください。" },
  [MYNA_E_MALFORMED_RESPONSE] = { "malformed-response",
    "The card gave an unexpected answer. Place it on the reader again and retry.",
    "カードから想定外の応答がありました。カードをセットし直して、もう一度お試しください。" },
  [MYNA_E_NOT_MYNUMBER_CARD] = { "not-mynumber-card",
    "This card is not a My Number Card. Please use your My Number Card.",
    "このカードはマイナンバーカードではありません。マイナンバーカードをお使いください。" },
  [MYNA_E_PIN_FORMAT] = { "pin-format",
    "That PIN does not have the required form; nothing was sent to the card and no try was used.",
    "暗証番号の形式が正しくありません。カードには送信していないため、入力回数は減っていません。" },
  [MYNA_E_WRONG_PIN] = { "wrong-pin",
    "Wrong PIN. Check the number of tries left before trying again.",
    "暗証番号が違います。残り回数を確認してから、もう一度入力してください。" },
  [MYNA_E_PIN_BLOCKED] = { "pin-blocked",
    "The PIN is locked. It can be reset at the municipal office (市区町村の窓口) with the card.",
    "暗証番号がロックされています。カードをお持ちのうえ、市区町村の窓口で初期化の手続きをしてください。" },
  [MYNA_E_SECURITY_STATUS] = { "security-status",
    "The PIN must be entered first.",
    "先に暗証番号を入力してください。" },
  [MYNA_E_FILE_NOT_FOUND] = { "file-not-found",
    "The card does not hold this information.",
    "カードにこの情報がありません。" },
  [MYNA_E_WRONG_LENGTH] = { "wrong-length",
    "The card refused the length of a command. Try again; if it repeats, use another reader.",
    "カードがコマンドの長さを受け付けませんでした。再度お試しいただき、繰り返す場合は別のリーダーをお使いください。" },
  [MYNA_E_WRONG_P1P2] = { "wrong-parameters",
    "The card refused a command's parameters. Try again; if it repeats, report it.",
    "カードがコマンドのパラメータを受け付けませんでした。繰り返す場合は管理者に連絡してください。" },
  [MYNA_E_OFFSET_BEYOND_END] = { "offset-beyond-end",
    "The card's file is shorter than announced. Place the card again and retry.",
    "カード内のファイルが想定より短いです。カードをセットし直して、もう一度お試しください。" },
  [MYNA_E_INS_NOT_SUPPORTED] = { "instruction-not-supported",
    "This card does not support the operation.",
    "このカードはこの操作に対応していません。" },
  [MYNA_E_CLA_NOT_SUPPORTED] = { "class-not-supported",
    "This card does not support the operation.",
    "このカードはこの操作に対応していません。" },
  [MYNA_E_CONDITIONS] = { "conditions-not-satisfied",
    "The card cannot do this now. Place it on the reader again and retry.",
    "現在カードはこの操作を実行できません。カードをセットし直して、もう一度お試しください。" },
  [MYNA_E_CARD_ERROR] = { "card-error",
    "The card reported an error. Place it on the reader again and retry.",
    "カードがエラーを返しました。カードをセットし直して、もう一度お試しください。" },
  [MYNA_E_NOT_SUPPORTED] = { "not-supported",
    "This card or reader does not support the operation.",
    "このカードまたはリーダーはこの操作に対応していません。" },
  [MYNA_E_NO_SIGN_CERTIFICATE] = { "no-sign-certificate",
    "This card has no signature certificate (cards of residents under 15 have none). The municipal office can advise.",
    "このカードには署名用電子証明書がありません（15歳未満の方のカードには搭載されません）。市区町村の窓口にご相談ください。" },
  [MYNA_E_BAD_DATA] = { "bad-data",
    "Information on the card could not be read correctly. Place the card again and retry.",
    "カードの情報を正しく読み取れませんでした。カードをセットし直して、もう一度お試しください。" },
  [MYNA_E_BUFFER_TOO_SMALL] = { "buffer-too-small",
    "Internal error: the answer is larger than expected. Please report this.",
    "内部エラー: 応答が想定より大きいです。管理者に連絡してください。" },
  [MYNA_E_CANCELLED] = { "cancelled",
    "The operation was cancelled.",
    "操作は取り消されました。" },
  [MYNA_E_DECODE] = { "decode",
    "The image or certificate on the card could not be decoded.",
    "カードの画像または証明書を読み取れませんでした。" },
  [MYNA_E_NO_READER] = { "no-reader",
    "No card reader found. Check that the reader is plugged in (and its name, if one was given).",
    "カードリーダーが見つかりません。リーダーの接続と、指定した名前を確認してください。" },
  [MYNA_E_READER_AMBIGUOUS] = { "reader-ambiguous",
    "More than one card reader matches that name. Give more of the reader's name.",
    "指定した名前に一致するカードリーダーが複数あります。リーダー名をより詳しく指定してください。" },
  [MYNA_E_READER_REMOVED] = { "reader-removed",
    "The card reader was disconnected. Plug it in again, then repeat the operation.",
    "カードリーダーの接続が切れました。リーダーを接続し直してから、もう一度操作してください。" },
  [MYNA_E_NO_SERVICE] = { "no-service",
    "The smart card service (pcscd) is not running. Restart it or the terminal, then try again.",
    "ICカードサービス（pcscd）が動作していません。サービスまたは端末を再起動してから、もう一度お試しください。" },
  [MYNA_E_CARD_RESET] = { "card-reset",
    "Another program reset the card, so an entered PIN no longer counts. Repeat the operation.",
    "別のプログラムがカードをリセットしたため、入力済みの暗証番号は無効になりました。もう一度操作してください。" },
  [MYNA_E_READER_BUSY] = { "reader-busy",
    "Another program is using the card. Close it, then try again.",
    "別のプログラムがカードを使用中です。そのプログラムを終了してから、もう一度お試しください。" },
};

static const error_text *text_of(myna_rv rv)
{
  if((int)rv < 0 || rv >= MYNA_E_COUNT || !texts[rv].name)
    return NULL;
  return &texts[rv];
}

const char *myna_strerror(myna_rv rv)
{
  const error_text *t = text_of(rv);
  return t ? t->en : "Unknown error.";
}

const char *myna_strerror_ja(myna_rv rv)
{
  const error_text *t = text_of(rv);
  return t ? t->ja : "不明なエラーです。";
}

const char *myna_rv_name(myna_rv rv)
{
  const error_text *t = text_of(rv);
  return t ? t->name : "unknown";
}

myna_rv myna_rv_from_sw(uint16_t sw)
{
  if(sw == 0x9000)
    return MYNA_OK;
  if((sw & 0xFFF0) == 0x63C0)
    return (sw & 0x0F) ? MYNA_E_WRONG_PIN : MYNA_E_PIN_BLOCKED;
  switch(sw) {
  case 0x6983: /* authentication method blocked: some cards answer this */
  case 0x6984:
    return MYNA_E_PIN_BLOCKED;
  case 0x6982:
    return MYNA_E_SECURITY_STATUS;
  case 0x6985:
    return MYNA_E_CONDITIONS;
  case 0x6A82:
    return MYNA_E_FILE_NOT_FOUND;
  case 0x6700:
    return MYNA_E_WRONG_LENGTH;
  case 0x6A86:
    return MYNA_E_WRONG_P1P2;
  case 0x6B00:
    return MYNA_E_OFFSET_BEYOND_END;
  case 0x6D00:
    return MYNA_E_INS_NOT_SUPPORTED;
  case 0x6E00:
    return MYNA_E_CLA_NOT_SUPPORTED;
  default:
    return MYNA_E_CARD_ERROR;
  }
}
