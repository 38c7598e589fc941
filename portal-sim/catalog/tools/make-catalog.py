#!/usr/bin/python3
"""make-catalog.py - writes portal-sim's shipped procedure catalogue.

portal-sim/catalog/data/ holds one JSON file per procedure (the format is in
docs/portal-sim-catalog.md). The files are written by this script so that the
same procedure reads the same in every city while the differences between
cities stay visible in one place (CITIES below). Edit this script, run it,
and commit both; `--check` (the ctest portal/catalog-data-current) fails when
the files and the script disagree.

    /usr/bin/python3 make-catalog.py            # rewrite ../data and the doc's list
    /usr/bin/python3 make-catalog.py --check    # compare, write nothing

It also writes the list of procedures in docs/portal-sim-catalog.md, between
the markers LIST_BEGIN and LIST_END.

The content follows the public standard forms (標準様式) and the ぴったり
サービス listings for 子育て, 介護 and 被災者支援 [P]; department names,
processing periods, examples and the per-city differences are illustrative
[S]. Examples are fictitious people: the names, birth dates, addresses and
My Numbers are those of the test PKI's profiles (docs/test-pki.md) or
made up in the same style, with valid check digits.

Python 3 standard library only.
"""

import argparse
import json
import os
import sys
import tempfile

# ---------------------------------------------------------------------------
# Field builders. Key order follows docs/portal-sim-catalog.md.

KANA_PATTERN = "[ァ-ヶー　 ]+"
KANA_DESC = "全角カタカナで入力してください（姓と名の間は空白）"
PHONE_PATTERN = "0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}"
PHONE_DESC = "市外局番から、半角数字とハイフンで入力してください（例: 090-1234-5678）"
PHONE_EXAMPLE = "090-1234-5678"


def _field(fid, label, ftype, required, when, extra, help_text, example):
    d = {"id": fid, "label": label, "type": ftype, "required": required}
    if when is not None:
        assert not required, fid
        d["required_when"] = {"field": when[0], "value": when[1]}
    for k, v in extra:
        if v is not None:
            d[k] = v
    if help_text:
        d["help"] = help_text
    if example is not None:
        d["example"] = example
    return d


def text(fid, label, required=True, when=None, max_length=None, pattern=None,
         pattern_description=None, multiline=None, check=None, prefill=None,
         help=None, example=None):
    return _field(fid, label, "text", required, when,
                  [("max_length", max_length), ("pattern", pattern),
                   ("pattern_description", pattern_description),
                   ("multiline", multiline), ("check", check),
                   ("prefill", prefill)], help, example)


def number(fid, label, required=True, when=None, min=None, max=None,
           unit=None, help=None, example=None):
    return _field(fid, label, "number", required, when,
                  [("min", min), ("max", max), ("unit", unit)], help,
                  None if example is None else str(example))


def date(fid, label, required=True, when=None, date_range=None, prefill=None,
         help=None, example=None):
    return _field(fid, label, "date", required, when,
                  [("date_range", date_range), ("prefill", prefill)], help,
                  example)


def select(fid, label, choices, required=True, when=None, help=None,
           example=None):
    assert example is None or example in [c[0] for c in choices], (fid, example)
    return _field(fid, label, "select", required, when,
                  [("choices", [{"value": v, "label": l} for v, l in choices])],
                  help, example)


def checkbox(fid, label, required=False, when=None, help=None, example=None):
    return _field(fid, label, "checkbox", required, when, [], help, example)


def postal(fid, label="郵便番号", required=True, when=None, help=None,
           example=None):
    return _field(fid, label, "postal-code", required, when, [], help, example)


def address(fid, label, required=True, when=None, max_length=100,
            prefill=None, help=None, example=None):
    return _field(fid, label, "address", required, when,
                  [("max_length", max_length), ("prefill", prefill)], help,
                  example)


def conditional(f, when):
    """The same field, required only when `when` holds."""
    d = {}
    for k, v in f.items():
        if k == "required":
            d["required"] = False
            d["required_when"] = {"field": when[0], "value": when[1]}
        elif k != "required_when":
            d[k] = v
    return d


def family(name):
    return name.split("　")[0]


def phone_example(city):
    """A number in the city's own area code."""
    return {3: f"{city.area}-123-4567", 4: f"{city.area}-12-3456"}[len(city.area)]


def section(sid, title, fields, description=None, repeat=None):
    d = {"id": sid, "title": title}
    if description:
        d["description"] = description
    if repeat:
        d["repeat"] = repeat
    d["fields"] = fields
    return d


def repeat(minimum, maximum, entry_label, counter="件"):
    return {"min": minimum, "max": maximum, "entry_label": entry_label,
            "counter": counter}


ALL_TYPES = ["image/jpeg", "image/png", "application/pdf"]
PHOTO_TYPES = ["image/jpeg", "image/png"]


def attachment(aid, title, required=False, when=None, omittable=False,
               linkage_note=None, description=None, content_types=ALL_TYPES,
               max_files=None):
    d = {"id": aid, "title": title}
    if description:
        d["description"] = description
    d["content_types"] = list(content_types)
    d["required"] = required
    if when is not None:
        assert not required, aid
        d["required_when"] = {"field": when[0], "value": when[1]}
    d["omittable_by_information_linkage"] = omittable
    if linkage_note:
        d["linkage_note"] = linkage_note
    if max_files:
        d["max_files"] = max_files
    return d


def my_number_check_digit(first11):
    """総務省令第八十五号 第五条."""
    weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    r = sum(int(d) * w for d, w in zip(first11, weights)) % 11
    return first11 + str(0 if r <= 1 else 11 - r)


# ---------------------------------------------------------------------------
# People used as examples (fictitious).

class Person:
    def __init__(self, name, kana, birth, address, postal, my_number=None,
                 sex="male"):
        self.name, self.kana, self.birth = name, kana, birth
        self.address, self.postal = address, postal
        self.my_number, self.sex = my_number, sex


# ---------------------------------------------------------------------------
# The four municipalities. Codes: 全国地方公共団体コード with check digit.

class City:
    def __init__(self, **kw):
        self.__dict__.update(kw)


CITIES = [
    City(
        code="102016", name="前橋市", pref="群馬県", reading="まえばし",
        depts={
            "kosodate": "前橋市 こども未来部 子育て支援課",
            "hoiku": "前橋市 こども未来部 こども施設課",
            "boshi": "前橋市 健康部 子育て世代包括支援センター",
            "kaigo": "前橋市 福祉部 介護保険課",
            "risai": "前橋市 財務部 資産税課",
            "hisai": "前橋市 福祉部 社会福祉課",
        },
        branches=[("honchou", "本庁（市役所）"), ("oogo", "大胡支所"),
                  ("miyagi", "宮城支所"), ("kasukawa", "粕川支所"),
                  ("fujimi", "富士見支所")],
        parent=Person("高橋　健太", "タカハシ　ケンタ", "1980-02-17",
                      "群馬県前橋市千代田町二丁目３番１５号", "371-0022",
                      "403782176940"),
        spouse=Person("高橋　美咲", "タカハシ　ミサキ", "1983-06-21", None, None,
                      my_number_check_digit("21569830472"), "female"),
        children=[Person("高橋　陽向", "タカハシ　ヒナタ", "2019-09-14", None, None)],
        elder=Person("高橋　正男", "タカハシ　マサオ", "1943-05-08",
                     "群馬県前橋市千代田町二丁目３番１５号", "371-0022",
                     my_number_check_digit("73104528866")),
        elder_type="dai1",
        victim=Person("小林　直美", "コバヤシ　ナオミ", "1975-08-21",
                      "群馬県前橋市岩神町三丁目１番２４号", "371-0035",
                      "631930425885", "female"),
        bank=("群馬銀行", "0128", "本店営業部", "001"),
        area="027",
        neighbor=("高崎市", "370-8501", "群馬県高崎市高松町３５番地１"),
        single=(Person("高橋　由紀", "タカハシ　ユキ", "1986-12-03", None, None, sex="female"),
                Person("高橋　葵", "タカハシ　アオイ", "2014-06-18", None, None, sex="female")),
        elder_spouse=Person("高橋　トシ子", "タカハシ　トシコ", "1945-08-30", None, None,
                            my_number_check_digit("65210487935"), "female"),
        deceased=None,
        disaster=("令和元年東日本台風（台風第19号）", "2019-10-12", "kaze"),
        # 健康保険の資格確認書類: asked from 厚生年金の加入者 [S]
        ask_health_insurance=True,
        hoiku_hopes=3,
        ninshin_diagnosis_required=False,
        skip=["jidoufuyou-genkyou"],
        disaster_procs=["risai", "saiken"],
        risai_signature=False,
        reissue_signature=False,
        plan_signature=True,
        extra=[],
    ),
    City(
        code="152048", name="三条市", pref="新潟県", reading="さんじょう",
        depts={
            "kosodate": "三条市 福祉保健部 子育て支援課",
            "hoiku": "三条市 教育部 保育課",
            "boshi": "三条市 福祉保健部 健康づくり課",
            "kaigo": "三条市 福祉保健部 高齢介護課",
            "risai": "三条市 総務部 税務課",
            "hisai": "三条市 福祉保健部 福祉課",
        },
        branches=[("honchou", "本庁（市役所）"), ("sakae", "栄サービスセンター"),
                  ("shitada", "下田サービスセンター")],
        parent=Person("佐藤　翔太", "サトウ　ショウタ", "1985-09-30",
                      "新潟県三条市荒町二丁目７番１０号", "955-0071",
                      my_number_check_digit("38207461593")),
        spouse=Person("佐藤　彩", "サトウ　アヤ", "1987-03-12", None, None,
                      my_number_check_digit("60451827390"), "female"),
        children=[Person("佐藤　陽菜", "サトウ　ヒナ", "2016-05-03", None, None,
                         "712840938514", "female")],
        elder=Person("伊藤　誠", "イトウ　マコト", "1968-04-12",
                     "新潟県三条市東裏館一丁目１４番２号", "955-0047",
                     "195348642176"),
        # 40-64 歳: 第2号被保険者 as the example
        elder_type="dai2",
        victim=Person("伊藤　誠", "イトウ　マコト", "1968-04-12",
                      "新潟県三条市東裏館一丁目１４番２号", "955-0047",
                      "195348642176"),
        bank=("第四北越銀行", "0140", "本店営業部", "001"),
        area="0256",
        neighbor=("新潟市", "951-8550", "新潟県新潟市中央区学校町通一番町６０２番地１"),
        single=(Person("山崎　由紀", "ヤマザキ　ユキ", "1986-12-03", None, None, sex="female"),
                Person("山崎　蒼", "ヤマザキ　アオイ", "2015-11-11", None, None)),
        elder_spouse=Person("伊藤　恵子", "イトウ　ケイコ", "1970-01-15", None, None,
                            my_number_check_digit("27064158392"), "female"),
        deceased=None,
        disaster=("大雨による浸水被害", "2023-07-15", "shinsui"),
        # 三条市 no longer asks for the health insurance document [S]
        ask_health_insurance=False,
        hoiku_hopes=3,
        ninshin_diagnosis_required=False,
        skip=["hoiku-genkyou"],
        disaster_procs=["risai", "saiken", "engo", "mimai"],
        risai_signature=True,
        reissue_signature=False,
        plan_signature=True,
        extra=[],
    ),
    City(
        code="452025", name="都城市", pref="宮崎県", reading="みやこのじょう",
        depts={
            "kosodate": "都城市 こども部 こども政策課",
            "hoiku": "都城市 こども部 保育課",
            "boshi": "都城市 こども部 こども家庭センター",
            "kaigo": "都城市 福祉部 介護保険課",
            "risai": "都城市 総務部 危機管理課",
            "hisai": "都城市 福祉部 福祉課",
        },
        branches=[("honchou", "本庁（市役所）"), ("yamanokuchi", "山之口総合支所"),
                  ("takajou", "高城総合支所"), ("yamada", "山田総合支所"),
                  ("takazaki", "高崎総合支所")],
        parent=Person("加藤　大輔", "カトウ　ダイスケ", "1989-01-08",
                      "宮崎県都城市姫城町７街区１０号", "885-0029", "840281753965"),
        spouse=Person("加藤　由美", "カトウ　ユミ", "1990-11-02", None, None,
                      my_number_check_digit("90372615048"), "female"),
        children=[Person("加藤　蓮", "カトウ　レン", "2018-04-10", None, None),
                  Person("加藤　結衣", "カトウ　ユイ", "2021-08-25", None, None,
                         sex="female")],
        elder=Person("鈴木　和子", "スズキ　カズコ", "1950-11-03",
                     "宮崎県都城市上町１２街区５号", "885-0074", "268153754295",
                     "female"),
        elder_type="dai1",
        victim=Person("加藤　大輔", "カトウ　ダイスケ", "1989-01-08",
                      "宮崎県都城市姫城町７街区１０号", "885-0029", "840281753965"),
        bank=("宮崎銀行", "0184", "本店営業部", "001"),
        area="0986",
        neighbor=("宮崎市", "880-8505", "宮崎県宮崎市橘通西一丁目１番１号"),
        single=(Person("中村　恵", "ナカムラ　メグミ", "1991-04-22", None, None, sex="female"),
                Person("中村　大翔", "ナカムラ　ヒロト", "2017-10-09", None, None)),
        elder_spouse=Person("鈴木　茂", "スズキ　シゲル", "1948-02-11", None, None,
                            my_number_check_digit("81427036519")),
        deceased=Person("加藤　勝", "カトウ　マサル", "1952-03-03", None, None),
        disaster=("令和6年台風第10号", "2024-08-29", "kaze"),
        ask_health_insurance=True,
        # 都城市 asks for five wishes and for the pregnancy diagnosis [S]
        hoiku_hopes=5,
        ninshin_diagnosis_required=True,
        skip=[],
        disaster_procs=["risai", "saiken", "chouikin"],
        risai_signature=True,
        reissue_signature=True,
        plan_signature=True,
        extra=["kodomo-iryouhi", "ninpu-shien"],
    ),
    City(
        code="042021", name="石巻市", pref="宮城県", reading="いしのまき",
        depts={
            "kosodate": "石巻市 健康部 子育て支援課",
            "hoiku": "石巻市 健康部 子ども保育課",
            "boshi": "石巻市 健康部 健康推進課",
            "kaigo": "石巻市 健康部 介護保険課",
            "risai": "石巻市 総務部 危機対策課",
            "hisai": "石巻市 福祉部 生活再建支援課",
        },
        branches=[("honchou", "本庁（市役所）"), ("kahoku", "河北総合支所"),
                  ("ogatsu", "雄勝総合支所"), ("kanan", "河南総合支所"),
                  ("monou", "桃生総合支所"), ("kitakami", "北上総合支所"),
                  ("oshika", "牡鹿総合支所")],
        parent=Person("阿部　翔太", "アベ　ショウタ", "1988-07-19",
                      "宮城県石巻市中央二丁目８番３号", "986-0822",
                      my_number_check_digit("45820936174")),
        spouse=Person("阿部　舞", "アベ　マイ", "1990-02-14", None, None,
                      my_number_check_digit("12650384927"), "female"),
        children=[Person("阿部　湊", "アベ　ミナト", "2020-12-01", None, None)],
        elder=Person("阿部　昭一", "アベ　ショウイチ", "1926-12-25",
                     "宮城県石巻市千石町５番１２号", "986-0824", "584059163738"),
        elder_type="dai1",
        victim=Person("阿部　翔太", "アベ　ショウタ", "1988-07-19",
                      "宮城県石巻市中央二丁目８番３号", "986-0822",
                      my_number_check_digit("45820936174")),
        bank=("七十七銀行", "0125", "本店営業部", "001"),
        area="0225",
        neighbor=("仙台市", "980-8671", "宮城県仙台市青葉区国分町三丁目７番１号"),
        single=(Person("渡辺　里美", "ワタナベ　サトミ", "1987-09-05", None, None, sex="female"),
                Person("渡辺　葵", "ワタナベ　アオイ", "2015-02-27", None, None, sex="female")),
        elder_spouse=Person("阿部　キヨ", "アベ　キヨ", "1931-05-05", None, None,
                            my_number_check_digit("30917254681"), "female"),
        deceased=Person("阿部　昭一", "アベ　ショウイチ", "1926-12-25", None, None),
        disaster=("令和4年3月16日の福島県沖地震", "2022-03-16", "jishin"),
        ask_health_insurance=True,
        hoiku_hopes=3,
        ninshin_diagnosis_required=False,
        skip=[],
        # 石巻市: the whole set of 被災者支援 procedures
        disaster_procs=["risai", "hisai-shoumei", "saiken", "chouikin",
                        "shougai-mimai", "engo", "mimai", "oukyuu-shuuri"],
        risai_signature=False,
        reissue_signature=True,
        plan_signature=False,
        extra=[],
    ),
]

# ---------------------------------------------------------------------------
# Shared blocks.


def person_fields(prefix, p, role, prefill=False, my_number=False,
                  phone=True, with_address=True, sex=False):
    """氏名, フリガナ, 生年月日 (and 個人番号, 性別, 住所, 電話番号)."""
    f = [
        text(f"{prefix}_name", f"{role}の氏名", max_length=30,
             prefill="name" if prefill else None,
             help="姓と名の間は全角の空白を入れてください。", example=p.name),
        text(f"{prefix}_kana", f"{role}の氏名（フリガナ）", max_length=40,
             pattern=KANA_PATTERN, pattern_description=KANA_DESC,
             example=p.kana),
        date(f"{prefix}_birth_date", f"{role}の生年月日", date_range="past",
             prefill="birth_date" if prefill else None, example=p.birth),
    ]
    if sex:
        f.append(select(f"{prefix}_sex", f"{role}の性別",
                        [("male", "男"), ("female", "女")], example=p.sex))
    if my_number:
        f.append(text(f"{prefix}_my_number", f"{role}の個人番号", max_length=12,
                      check="my_number",
                      help="マイナンバーカードの裏面に記載の12桁の番号です。",
                      example=p.my_number))
    if with_address:
        f.append(postal(f"{prefix}_postal_code", example=p.postal))
        f.append(address(f"{prefix}_address", f"{role}の住所",
                         prefill="address" if prefill else None,
                         help="住民票の住所を、方書（アパート名・部屋番号）まで入力してください。",
                         example=p.address))
    if phone:
        f.append(text(f"{prefix}_phone", "日中に連絡の取れる電話番号",
                      max_length=13, pattern=PHONE_PATTERN,
                      pattern_description=PHONE_DESC, example=PHONE_EXAMPLE))
    return f


def account_section(city, holder, purpose):
    bank, bank_code, branch, branch_code = city.bank
    return section("account", "受取口座", [
        select("account_method", f"{purpose}の受取方法",
               [("koukin", "公金受取口座を利用する"), ("shitei", "口座を指定する")],
               help="公金受取口座は、マイナポータルで登録した給付金等の受取口座です。"
                    "登録していない場合は「口座を指定する」を選んでください。",
               example="shitei"),
        text("bank_name", "金融機関名", required=False,
             when=("account_method", "shitei"), max_length=30, example=bank),
        text("bank_code", "金融機関コード", required=False,
             when=("account_method", "shitei"), pattern="[0-9]{4}",
             pattern_description="4桁の半角数字で入力してください",
             example=bank_code),
        text("branch_name", "支店名", required=False,
             when=("account_method", "shitei"), max_length=30, example=branch),
        text("branch_code", "支店コード", required=False,
             when=("account_method", "shitei"), pattern="[0-9]{3}",
             pattern_description="3桁の半角数字で入力してください",
             example=branch_code),
        select("account_type", "預金種別", [("futsuu", "普通"), ("touza", "当座")],
               required=False, when=("account_method", "shitei"),
               example="futsuu"),
        text("account_number", "口座番号", required=False,
             when=("account_method", "shitei"), pattern="[0-9]{7}",
             pattern_description="7桁の半角数字で入力してください（7桁に満たない場合は前に0を付けます）",
             example="1234567"),
        text("account_holder_kana", "口座名義（フリガナ）", required=False,
             when=("account_method", "shitei"), max_length=40,
             pattern=KANA_PATTERN, pattern_description=KANA_DESC,
             help="通帳に記載のとおりに入力してください。申請者ご本人の名義の口座に限ります。",
             example=holder.kana),
    ], description="給付金等を受け取る口座です。")


def passbook(holder_label="請求者"):
    return attachment(
        "tsuchou", f"{holder_label}名義の通帳またはキャッシュカードの写し",
        when=("account_method", "shitei"),
        description="金融機関名・支店名・口座番号・口座名義（フリガナ）が分かる面を撮影してください。")


def pledge(label="上記のとおり申請します。記載内容に相違ありません。"):
    return section("declaration", "申請内容の確認", [
        checkbox("pledge", label, required=True, example="true"),
    ])


def branch_select(city, fid, label, when=None, example="honchou"):
    return select(fid, label, city.branches, required=when is None, when=when,
                  example=example)


def jan1_select(city):
    return select("jan1_residence", "今年1月1日の住所",
                  [("shinai", f"{city.name}内"), ("shigai", f"{city.name}外（転入された方）")],
                  help="1月1日に他の市区町村に住んでいた方は、前住所地での課税（所得）の状況を確認します。",
                  example="shinai")


def base(city, slug, title, kana, category, description, keywords,
         signature, dept, sections, attachments, processing=None,
         deadline=None, legal=None, notes=None):
    d = {
        "proc_id": f"{city.code}-{slug}",
        "title": title,
        "title_kana": kana,
        "category": category,
        "city_code": city.code,
        "city_name": city.name,
        "prefecture": city.pref,
        "description": description,
        "keywords": keywords + [city.reading],
        "signature_required": signature,
        "submit_to": city.depts[dept],
    }
    if processing:
        d["processing_period"] = processing
    if deadline:
        d["deadline"] = deadline
    if legal:
        d["legal_basis"] = legal
    if notes:
        d["notes"] = notes
    d["form"] = {"sections": sections}
    d["attachments"] = attachments
    return d


# ---------------------------------------------------------------------------
# 子育て: 児童手当

PENSION = [("kokumin", "国民年金（自営業・学生・無職など）"),
           ("kousei", "厚生年金保険（会社員など）")]
RELATION = [("ko", "子"), ("sonota", "その他（孫、甥・姪など）")]
LIVING = [("doukyo", "同居"), ("bekkyo", "別居")]
CHILD_CATEGORY = [
    ("shikyu", "支給対象の児童（18歳になった後の最初の3月31日まで）"),
    ("tashi", "22歳になった後の最初の3月31日までの上の子（多子加算の算定のみ）"),
]
FIFTEEN_DAYS = ("出生日や転入日（異動日）の翌日から15日以内に請求してください。"
                "15日を過ぎると、請求した月の翌月分からの支給となり、"
                "さかのぼって受け取ることはできません。")


def recipient_section(city, with_number, number_required=False, pension=False):
    p = city.parent
    fields = []
    if with_number:
        fields.append(text("recipient_number", "受給者番号",
                           required=number_required, pattern="[0-9]{1,10}",
                           pattern_description="通知書に記載の番号を半角数字で入力してください",
                           help="児童手当の認定通知書などに記載されています。",
                           example="1020345"))
    fields += person_fields("recipient", p, "受給者", prefill=True)
    if pension:
        fields.append(select("pension_type", "受給者が加入している年金", PENSION,
                             help="公務員の方は、勤務先から児童手当が支給されます。勤務先に届け出てください。",
                             example="kousei"))
    return section("recipient", "受給者", fields)


def child_group(city, count_only=True, with_change=False, max_children=15, role="請求者"):
    fields = [
        text("child_name", "児童の氏名", max_length=30, example=city.children[0].name),
        text("child_kana", "児童の氏名（フリガナ）", max_length=40,
             pattern=KANA_PATTERN, pattern_description=KANA_DESC,
             example=city.children[0].kana),
        date("child_birth_date", "児童の生年月日", date_range="past",
             example=city.children[0].birth),
        select("child_relation", f"{role}との続柄", RELATION, example="ko"),
        select("child_living", f"{role}との同居・別居", LIVING,
               help="別居している場合は、別居監護申立書と児童の住民票の写しが必要です。",
               example="doukyo"),
    ]
    if count_only:
        fields.append(select("child_category", "児童の区分", CHILD_CATEGORY,
                             help="高校生年代までの児童に加えて、22歳年度末までの上の子を養育している場合は、"
                                  "多子加算の算定のため入力してください。",
                             example="shikyu"))
    if with_change:
        fields.append(select("child_change", "増減の別",
                             [("add", "増えた児童"), ("remove", "減った児童")],
                             example="add"))
    return section("children", "児童", fields,
                   description="児童一人ごとに入力してください。",
                   repeat=repeat(1, max_children, "児童", "人"))


def health_insurance_attachment(when, role="請求者"):
    return attachment(
        "kenkou_hoken", f"{role}の健康保険の資格が分かる書類（資格確認書・資格情報のお知らせなど）の写し",
        when=when, omittable=True,
        linkage_note="情報連携により、加入している医療保険を市で確認します。",
        description="厚生年金保険に加入している方の、加入している健康保険の確認に使います。")


def separate_living_attachments():
    return [
        attachment("bekkyo_moushitate", "別居監護申立書",
                   when=("child_living", "bekkyo"),
                   description="別居している児童を監護し、生計を同じくしていることを申し立てる書類です。"
                               "様式は市のホームページから入手できます。"),
        attachment("juminhyo", "別居している児童の住民票の写し",
                   when=("child_living", "bekkyo"), omittable=True,
                   linkage_note="情報連携により、児童の住所を市で確認します。"),
    ]


def tashi_attachment():
    return attachment(
        "kakuninsho", "監護相当・生計費の負担についての確認書",
        when=("child_category", "tashi"),
        description="22歳年度末までの上の子について、監護に相当する世話と生計費の負担をしていることを確認する書類です。")


def jidouteate_nintei(city):
    p = city.parent
    sections = [
        section("applicant", "請求者", person_fields(
            "applicant", p, "請求者", prefill=True, my_number=True) + [
            select("pension_type", "請求者が加入している年金", PENSION,
                   help="公務員の方は、勤務先から児童手当が支給されます。勤務先に請求してください。",
                   example="kousei"),
            jan1_select(city),
        ], description="父母のうち、生計の中心となる方（所得の高い方）が請求者になります。"),
        section("reason", "請求の理由", [
            select("reason", "請求の理由",
                   [("birth", "出生"), ("tennyu", "転入"),
                    ("other", "その他（新たに児童を養育し始めたなど）")],
                   example="birth"),
            date("reason_date", "出生日または転入日", date_range="past",
                 help="転入の場合は、住民票の異動日を入力してください。", example=city.children[-1].birth),
            text("previous_city", "転入前の市区町村名", required=False,
                 when=("reason", "tennyu"), max_length=30, example=city.neighbor[0]),
        ]),
        section("spouse", "配偶者", [
            select("has_spouse", "配偶者の有無", [("ari", "あり"), ("nashi", "なし")],
                   example="ari"),
            text("spouse_name", "配偶者の氏名", required=False,
                 when=("has_spouse", "ari"), max_length=30, example=city.spouse.name),
            text("spouse_kana", "配偶者の氏名（フリガナ）", required=False,
                 when=("has_spouse", "ari"), max_length=40, pattern=KANA_PATTERN,
                 pattern_description=KANA_DESC, example=city.spouse.kana),
            date("spouse_birth_date", "配偶者の生年月日", required=False,
                 when=("has_spouse", "ari"), date_range="past",
                 example=city.spouse.birth),
            text("spouse_my_number", "配偶者の個人番号", required=False,
                 when=("has_spouse", "ari"), max_length=12, check="my_number",
                 example=city.spouse.my_number),
        ]),
        child_group(city),
        account_section(city, p, "児童手当"),
        pledge("上記のとおり児童手当の認定を請求します。記載内容に相違ありません。"),
    ]
    atts = [passbook("請求者")]
    if city.ask_health_insurance:
        atts.append(health_insurance_attachment(("pension_type", "kousei")))
    atts += separate_living_attachments()
    atts.append(attachment(
        "kazei_shoumei", "請求者の課税（所得）証明書", when=("jan1_residence", "shigai"),
        omittable=True, linkage_note="情報連携により、前住所地での課税の状況を市で確認します。"))
    atts.append(tashi_attachment())
    return base(
        city, "jidouteate-nintei", "児童手当の認定請求", "じどうてあてのにんていせいきゅう",
        "子育て",
        "子どもが生まれたときや、子どもを養育している方が市に転入したときに、"
        "児童手当を受けるための請求です。高校生年代（18歳になった後の最初の3月31日）まで"
        "の児童を養育している方が対象です。",
        ["児童手当", "出生", "出産", "転入", "手当", "こども"], True, "kosodate",
        sections, atts, processing="おおむね1か月（認定後に認定通知書を郵送します）",
        deadline=FIFTEEN_DAYS, legal="児童手当法第7条",
        notes=["公務員の方は勤務先に請求してください。",
               "支給は偶数月（2月・4月・6月・8月・10月・12月）に、前月分までの2か月分です。"])


def jidouteate_gakukaitei(city):
    sections = [
        recipient_section(city, with_number=True),
        section("change", "額改定の内容", [
            select("kaitei_kind", "額改定の区分",
                   [("zougaku", "増額（対象となる児童が増えた）"),
                    ("gengaku", "減額（対象となる児童が減った）")], example="zougaku"),
            select("kaitei_reason", "額改定の理由",
                   [("birth", "児童の出生"), ("kango", "新たに児童を養育し始めた（養子縁組など）"),
                    ("tashi", "22歳年度末までの上の子の監護・生計費の負担の開始"),
                    ("shisetsu", "児童が施設に入所した"),
                    ("kangoshinai", "児童を養育しなくなった"), ("other", "その他")],
                   example="birth"),
            date("kaitei_date", "理由の生じた日", date_range="past",
                 help="出生の場合は出生日を入力してください。", example=city.children[-1].birth),
        ]),
        child_group(city, with_change=True, role="受給者"),
        pledge("上記のとおり児童手当の額の改定を請求（届出）します。記載内容に相違ありません。"),
    ]
    atts = separate_living_attachments() + [tashi_attachment()]
    return base(
        city, "jidouteate-gakukaitei", "児童手当の額改定の請求及び届出",
        "じどうてあてのがくかいていのせいきゅうおよびとどけで", "子育て",
        "児童手当を受けている方が、出生などで対象となる児童が増えたとき（増額の請求）や、"
        "児童を養育しなくなったなどで減ったとき（減額の届出）の手続です。",
        ["児童手当", "額改定", "出生", "第2子", "第3子", "多子加算", "手当"], True,
        "kosodate", sections, atts, processing="おおむね1か月",
        deadline="増額の場合は、出生日などの翌日から15日以内に請求してください。"
                 "遅れると、さかのぼって増額できません。",
        legal="児童手当法第9条")


def jidouteate_henkou(city):
    sections = [
        recipient_section(city, with_number=True),
        section("changes", "変更の内容", [
            checkbox("change_recipient_name", "受給者の氏名が変わった", example="true"),
            text("new_recipient_name", "変更後の受給者の氏名", required=False,
                 when=("change_recipient_name", "true"), max_length=30,
                 example=city.parent.name),
            text("new_recipient_kana", "変更後の受給者の氏名（フリガナ）", required=False,
                 when=("change_recipient_name", "true"), max_length=40,
                 pattern=KANA_PATTERN, pattern_description=KANA_DESC,
                 example=city.parent.kana),
            checkbox("change_child_name", "児童の氏名が変わった", example="false"),
            text("child_old_name", "児童の変更前の氏名", required=False,
                 when=("change_child_name", "true"), max_length=30,
                 example=city.children[0].name),
            text("child_new_name", "児童の変更後の氏名", required=False,
                 when=("change_child_name", "true"), max_length=30,
                 example="山田　" + city.children[0].name.split("　")[1]),
            checkbox("change_address", f"{city.name}内で住所が変わった（受給者または児童）",
                     example="false"),
            postal("new_postal_code", "変更後の郵便番号", required=False,
                   when=("change_address", "true"), example=city.parent.postal),
            address("new_address", "変更後の住所", required=False,
                    when=("change_address", "true"), example=city.parent.address),
            checkbox("change_pension", "受給者の加入している年金が変わった（就職・退職など）",
                     example="false"),
            select("new_pension_type", "変更後に加入している年金", PENSION,
                   required=False, when=("change_pension", "true"),
                   help="公務員になった場合は、この届出ではなく受給事由消滅の届出をしてください。",
                   example="kousei"),
            checkbox("change_account", "振込先の口座を変更する", example="false"),
            date("change_date", "変更のあった日", date_range="past",
                 example="2026-10-01"),
        ], description="該当するものすべてにチェックし、変更後の内容を入力してください。"),
        section("account", "変更後の受取口座", account_section(city, city.parent, "児童手当")["fields"],
                description="口座を変更する場合だけ入力してください。"),
        pledge("上記のとおり届け出ます。記載内容に相違ありません。"),
    ]
    # The account fields exist only for a change of account here.
    acct = sections[2]["fields"]
    acct[0] = select("account_method", "児童手当の受取方法",
                     [("koukin", "公金受取口座を利用する"), ("shitei", "口座を指定する")],
                     required=False, when=("change_account", "true"),
                     help="公金受取口座は、マイナポータルで登録した給付金等の受取口座です。",
                     example="shitei")
    atts = [passbook("受給者")]
    if city.ask_health_insurance:
        atts.append(health_insurance_attachment(("new_pension_type", "kousei"), "受給者"))
    return base(
        city, "jidouteate-henkou", "児童手当の氏名変更／住所変更等の届出",
        "じどうてあてのしめいへんこう じゅうしょへんこうとうのとどけで", "子育て",
        "児童手当を受けている方や児童の氏名・住所が変わったとき、加入している年金が変わったとき、"
        "振込先の口座を変えるときの届出です。",
        ["児童手当", "氏名変更", "住所変更", "口座変更", "年金", "手当"], True,
        "kosodate", sections, atts, processing="おおむね2週間",
        deadline="変更のあった日から15日以内に届け出てください。",
        notes=[f"{city.name}外へ転出する場合は、この届出ではなく受給事由消滅の届出をしてください。"])


def jidouteate_genkyou(city):
    sections = [
        recipient_section(city, with_number=True, number_required=True,
                          pension=True),
        section("situation", "提出が必要な理由", [
            select("genkyou_reason", "現況届の提出が必要な理由",
                   [("dv", "配偶者からの暴力等により、住民票の住所と異なる所に住んでいる"),
                    ("rikon", "離婚協議中で、配偶者と別居している"),
                    ("kouken", "法人である未成年後見人、施設等の受給者である"),
                    ("request", "市から提出を求められた")],
                   example="request"),
            address("actual_address", "現在お住まいの所", required=False,
                    when=("genkyou_reason", "dv"),
                    help="この情報は市の担当者だけが扱い、配偶者などに知らせることはありません。",
                    example=city.parent.address),
        ]),
        child_group(city, role="受給者"),
        pledge("6月1日の状況について、上記のとおり届け出ます。記載内容に相違ありません。"),
    ]
    atts = []
    if city.ask_health_insurance:
        atts.append(health_insurance_attachment(("pension_type", "kousei"), "受給者"))
    atts += separate_living_attachments()
    atts.append(attachment(
        "rikon_kyougi", "離婚協議中であることが分かる書類（調停期日呼出状の写しなど）",
        when=("genkyou_reason", "rikon")))
    atts.append(tashi_attachment())
    return base(
        city, "jidouteate-genkyou", "児童手当の現況届", "じどうてあてのげんきょうとどけ",
        "子育て",
        "児童手当の現況届は原則として不要になりましたが、配偶者からの暴力等で住民票の住所と"
        "異なる所に住んでいる方、離婚協議中で配偶者と別居している方、法人である未成年後見人・"
        "施設等の受給者、市から提出を求められた方は、毎年6月1日の状況を届け出てください。",
        ["児童手当", "現況届", "6月", "手当"], True, "kosodate", sections, atts,
        deadline="毎年6月中（市から通知が届いた方は、通知に記載の期限まで）",
        legal="児童手当法施行規則第4条",
        notes=["提出が必要な方が届け出ない場合、6月分以降の手当の支給が止まります。"])


def jidouteate_shoumetsu(city):
    sections = [
        recipient_section(city, with_number=True, number_required=True),
        section("reason", "消滅の理由", [
            select("shoumetsu_reason", "受給事由が消滅した理由",
                   [("tenshutsu", f"{city.name}外へ転出する（転出した）"),
                    ("kango", "児童を養育しなくなった（児童の施設入所、別居など）"),
                    ("koumuin", "公務員になった"), ("other", "その他")],
                   example="tenshutsu"),
            date("shoumetsu_date", "理由の生じた日（転出の場合は転出予定日）",
                 example="2027-03-31"),
            postal("new_postal_code", "転出先の郵便番号", required=False,
                   when=("shoumetsu_reason", "tenshutsu"), example=city.neighbor[1]),
            address("new_address", "転出先の住所", required=False,
                    when=("shoumetsu_reason", "tenshutsu"), example=city.neighbor[2]),
            text("other_detail", "その他の理由の内容", required=False,
                 when=("shoumetsu_reason", "other"), max_length=200, multiline=True,
                 example="受給者を配偶者に変更するため"),
        ]),
        pledge("上記のとおり届け出ます。記載内容に相違ありません。"),
    ]
    return base(
        city, "jidouteate-shoumetsu", "児童手当の受給事由消滅の届出",
        "じどうてあてのじゅきゅうじゆうしょうめつのとどけで", "子育て",
        f"{city.name}外への転出、公務員になった、児童を養育しなくなったなど、"
        "児童手当を受ける理由がなくなったときの届出です。",
        ["児童手当", "消滅", "転出", "引っ越し", "公務員", "手当"], True,
        "kosodate", sections, [], deadline="理由が生じたら、すみやかに届け出てください。",
        notes=["転出先の市区町村では、転出予定日の翌日から15日以内に、あらためて認定請求をしてください。",
               "届出が遅れて手当を受け取りすぎた場合は、返還していただきます。"])


# ---------------------------------------------------------------------------
# 子育て: 保育、児童扶養手当、妊娠

NEED_REASON = [
    ("shuurou", "就労（月48時間以上）"), ("ninshin", "妊娠・出産"),
    ("shippei", "保護者の疾病・障害"), ("kaigo", "同居の親族の介護・看護"),
    ("saigai", "災害の復旧"), ("kyuushoku", "求職活動（起業の準備を含む）"),
    ("shuugaku", "就学（職業訓練を含む）"), ("sonota", "その他"),
]


def guardian_section(city, sid, prefix, p, role, prefill):
    fields = person_fields(prefix, p, role, prefill=prefill,
                           with_address=prefill, phone=prefill)
    if prefill:
        fields.append(jan1_select(city))
        fields.append(select(f"{prefix}_relation", "児童との続柄",
                             [("chichi", "父"), ("haha", "母"), ("sonota", "その他")],
                             example="chichi" if p.sex == "male" else "haha"))
    fields += [
        select(f"{prefix}_need_reason", f"{role}の保育を必要とする理由", NEED_REASON,
               required=prefill, when=None if prefill else ("has_other_guardian", "ari"),
               example="shuurou"),
        text(f"{prefix}_workplace", f"{role}の勤務先の名称", required=False,
             when=(f"{prefix}_need_reason", "shuurou"), max_length=50,
             example=f"株式会社{city.reading}商事"),
        number(f"{prefix}_work_hours", f"{role}の1か月の就労時間", required=False,
               when=(f"{prefix}_need_reason", "shuurou"), min=1, max=744, unit="時間",
               help="就労証明書に記載の、1か月あたりの就労時間を入力してください。",
               example=160),
    ]
    return section(sid, role, fields)


def hoiku_moushikomi(city):
    p, s = city.parent, city.spouse
    other = section("other_guardian", "もう一人の保護者", [
        select("has_other_guardian", "もう一人の保護者（配偶者など）の有無",
               [("ari", "あり"), ("nashi", "なし（ひとり親家庭など）")], example="ari"),
    ] + [conditional(f, ("has_other_guardian", "ari")) if f["required"] else f
         for f in guardian_section(city, "x", "other", s, "もう一人の保護者", False)["fields"]])
    names = ["市立中央保育所", "ひかり保育園", "さくら認定こども園", "みどり小規模保育園",
             "あおぞら保育園"]
    hopes = [text(f"hope{i}", f"第{i}希望の施設名", required=(i == 1), max_length=50,
                  help="市のホームページの施設一覧にある名称で入力してください。" if i == 1 else None,
                  example=names[i - 1])
             for i in range(1, city.hoiku_hopes + 1)]
    child = section("children", "入所を希望する児童", [
        text("child_name", "児童の氏名", max_length=30, example=city.children[-1].name),
        text("child_kana", "児童の氏名（フリガナ）", max_length=40, pattern=KANA_PATTERN,
             pattern_description=KANA_DESC, example=city.children[-1].kana),
        date("child_birth_date", "児童の生年月日", date_range="past",
             example=city.children[-1].birth),
        select("child_sex", "児童の性別", [("male", "男"), ("female", "女")],
               example=city.children[-1].sex),
        date("start_date", "利用開始の希望日", date_range="future",
             help="原則として月の初日（1日）です。", example="2027-04-01"),
    ] + hopes + [
        select("hoiku_hitsuyouryou", "希望する保育の必要量",
               [("hyoujun", "保育標準時間（最長11時間）"), ("tanjikan", "保育短時間（最長8時間）")],
               help="就労時間が月120時間以上の方は標準時間、それ未満の方は短時間が目安です。",
               example="hyoujun"),
        select("allergy", "食物アレルギーの有無", [("ari", "あり"), ("nashi", "なし")],
               example="nashi"),
        text("allergy_detail", "食物アレルギーの内容", required=False,
             when=("allergy", "ari"), max_length=200, multiline=True,
             example="卵（医師の指示により除去）"),
        text("health_notes", "健康・発達について園に伝えたいこと", required=False,
             max_length=400, multiline=True, example="特になし"),
    ], description="児童一人ごとに入力してください。",
        repeat=repeat(1, 5, "児童", "人"))
    sections = [
        guardian_section(city, "guardian", "guardian", p, "申込者", True),
        other,
        child,
        section("wishes", "入所の希望について", [
            select("sibling_policy", "きょうだいで申し込む場合の希望",
                   [("dochiraka", "一人だけでも入所を希望する"),
                    ("issho", "全員一緒でなければ入所しない")], required=False,
                   example="dochiraka"),
            select("other_facility_ok", "希望の施設に入れない場合",
                   [("tanomu", "ほかの空いている施設の案内を希望する"),
                    ("machi", "希望の施設の空きを待つ")], example="machi"),
        ]),
        section("declaration", "申請内容の確認", [
            checkbox("consent_tax", "保育の必要性の認定と利用者負担額の決定のため、"
                     "世帯の税情報などを市が確認することに同意します。",
                     required=True, example="true"),
            checkbox("pledge", "上記のとおり申し込みます。記載内容に相違ありません。",
                     required=True, example="true"),
        ]),
    ]
    atts = [
        attachment("shuurou_shoumei", "申込者の就労証明書",
                   when=("guardian_need_reason", "shuurou"),
                   description="勤務先に記入してもらった就労証明書（標準様式）です。自営業の方は自分で記入します。"),
        attachment("other_shuurou_shoumei", "もう一人の保護者の就労証明書",
                   when=("other_need_reason", "shuurou")),
        attachment("boshi_techou", "母子健康手帳の写し（出産予定日が分かるページ）",
                   when=("guardian_need_reason", "ninshin")),
        attachment("shindansho", "医師の診断書（保護者の疾病・障害）",
                   when=("guardian_need_reason", "shippei")),
        attachment("kaigo_shinkoku", "介護・看護の状況申告書",
                   when=("guardian_need_reason", "kaigo")),
        attachment("kyuushoku_shinkoku", "求職活動申立書",
                   when=("guardian_need_reason", "kyuushoku")),
        attachment("zaigaku_shoumei", "在学証明書または職業訓練の受講証明書",
                   when=("guardian_need_reason", "shuugaku")),
        attachment("kazei_shoumei", "保護者の課税（所得）証明書",
                   when=("jan1_residence", "shigai"), omittable=True,
                   linkage_note="情報連携により、前住所地での課税の状況を市で確認します。"),
    ]
    return base(
        city, "hoiku-moushikomi", "保育施設等の利用申込", "ほいくしせつとうのりようもうしこみ",
        "子育て",
        "保育所・認定こども園・小規模保育事業所などの利用（入所）の申込みと、"
        "保育の必要性の認定（2号・3号認定）の申請です。",
        ["保育所", "保育園", "認定こども園", "入所", "入園", "保育", "こども"], True,
        "hoiku", sections, atts,
        processing="4月入所は2月ごろ、年度途中の入所は希望月の前月中旬ごろに結果を通知します。",
        deadline="年度途中の入所は、入所を希望する月の前月10日まで（4月入所は市が定める期間）",
        legal="子ども・子育て支援法第20条、児童福祉法第24条",
        notes=["利用調整（選考）の結果、希望の施設に入所できない場合があります。",
               f"第{city.hoiku_hopes}希望まで入力できます。"])


def hoiku_genkyou(city):
    p = city.parent
    sections = [
        guardian_section(city, "guardian", "guardian", p, "保護者", True),
        section("children", "在園している児童", [
            text("child_name", "児童の氏名", max_length=30, example=city.children[-1].name),
            date("child_birth_date", "児童の生年月日", date_range="past",
                 example=city.children[-1].birth),
            text("facility_name", "在園している施設の名称", max_length=50,
                 example="市立中央保育所"),
        ], description="児童一人ごとに入力してください。",
            repeat=repeat(1, 5, "児童", "人")),
        section("changes", "状況の変化", [
            select("status_change", "前回の申込み・現況届からの変更",
                   [("nashi", "変更なし"), ("ari", "変更あり")], example="nashi"),
            text("status_change_detail", "変更の内容", required=False,
                 when=("status_change", "ari"), max_length=400, multiline=True,
                 example="令和8年10月から勤務先が変わりました。"),
        ]),
        pledge("上記のとおり届け出ます。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("shuurou_shoumei", "保護者の就労証明書",
                   when=("guardian_need_reason", "shuurou")),
        attachment("kazei_shoumei", "保護者の課税（所得）証明書",
                   when=("jan1_residence", "shigai"), omittable=True,
                   linkage_note="情報連携により、前住所地での課税の状況を市で確認します。"),
    ]
    return base(
        city, "hoiku-genkyou", "保育施設等の現況届", "ほいくしせつとうのげんきょうとどけ",
        "子育て",
        "保育施設等を利用している世帯が、引き続き保育の必要性があることを毎年確認するための届出です。",
        ["保育所", "保育園", "現況届", "保育"], True, "hoiku", sections, atts,
        deadline="市から案内が届いた年の指定の期限まで",
        legal="子ども・子育て支援法施行規則")


def jidoufuyou_genkyou(city):
    p = city.parent
    single, kid = city.single
    sections = [
        section("recipient", "受給者", [
            text("certificate_number", "児童扶養手当証書の番号", pattern="[0-9]{1,10}",
                 pattern_description="証書に記載の番号を半角数字で入力してください",
                 example="2045"),
        ] + person_fields("recipient", Person(single.name, single.kana, single.birth,
                                              p.address, p.postal, sex="female"),
                          "受給者", prefill=True)),
        section("status", "8月1日の状況", [
            select("marriage", "婚姻の状況（事実上の婚姻関係を含む）",
                   [("nashi", "婚姻していない（事実上の婚姻関係もない）"), ("ari", "婚姻している")],
                   help="婚姻している場合は手当を受けられません。資格喪失の届出が必要です。",
                   example="nashi"),
            select("youikuhi", "養育費の受取り", [("ari", "受け取っている"), ("nashi", "受け取っていない")],
                   example="ari"),
            number("youikuhi_monthly", "養育費の月額", required=False,
                   when=("youikuhi", "ari"), min=1, max=9999999, unit="円", example=30000),
            select("pension", "公的年金等の受給", [("ari", "受けている"), ("nashi", "受けていない")],
                   help="遺族年金、障害年金、老齢年金、労災の遺族補償などを含みます。",
                   example="nashi"),
            text("pension_kind", "受けている年金等の種類", required=False,
                 when=("pension", "ari"), max_length=50, example="遺族厚生年金"),
            select("employment", "就労の状況",
                   [("seiki", "正社員・正職員"), ("hiseiki", "パート・アルバイト・派遣"),
                    ("jiei", "自営業"), ("mushoku", "就労していない")], example="hiseiki"),
            text("workplace", "勤務先の名称", required=False, max_length=50,
                 example="市内の事業所"),
        ]),
        section("household", "同居している家族", [
            text("member_name", "家族の氏名", max_length=30,
                 example=family(single.name) + "　一郎"),
            text("member_relation", "受給者との続柄", max_length=10, example="父"),
            date("member_birth_date", "家族の生年月日", date_range="past", example="1958-05-20"),
        ], description="児童を除き、同居している家族を一人ずつ入力してください。いない場合は入力不要です。",
            repeat=repeat(0, 10, "同居の家族", "人")),
        section("children", "対象児童", [
            text("child_name", "児童の氏名", max_length=30, example=kid.name),
            date("child_birth_date", "児童の生年月日", date_range="past", example=kid.birth),
            select("child_living", "受給者との同居・別居", LIVING, example="doukyo"),
        ], repeat=repeat(1, 10, "児童", "人")),
        section("interview", "窓口での面談", [
            date("interview_date", "面談の希望日", date_range="future",
                 help="8月1日から8月31日までの平日から選んでください。", example="2027-08-04"),
            branch_select(city, "interview_place", "面談の希望場所"),
        ]),
        pledge("8月1日の状況について、上記のとおり事前に送信します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("youikuhi_shinkoku", "養育費等に関する申告書", when=("youikuhi", "ari")),
        attachment("nenkin_shousho", "年金証書または年金額改定通知書の写し",
                   when=("pension", "ari"), omittable=True,
                   linkage_note="情報連携により、公的年金の受給状況を市で確認します。"),
    ]
    return base(
        city, "jidoufuyou-genkyou", "児童扶養手当の現況届の事前送信",
        "じどうふようてあてのげんきょうとどけのじぜんそうしん", "子育て",
        "児童扶養手当を受けている方が毎年提出する現況届の内容を、窓口での面談の前に送信する手続です。"
        "現況届は、送信した内容をもとにした窓口での面談をもって受け付けとなります。",
        ["児童扶養手当", "ひとり親", "現況届", "8月", "手当"], True, "kosodate",
        sections, atts, deadline="毎年8月1日から8月31日まで",
        legal="児童扶養手当法施行規則第4条",
        notes=["現況届を提出しないと、11月分以降の手当を受けられません。",
               "2年間提出しないと、受給資格がなくなります。"])


def ninshin(city):
    p = Person(city.spouse.name, city.spouse.kana, city.spouse.birth,
               city.parent.address, city.parent.postal, city.spouse.my_number,
               "female")
    sections = [
        section("submitter", "届出者", [
            select("submitter", "届出をする方", [("honnin", "妊婦本人"), ("dairi", "代理人")],
                   example="honnin"),
            text("agent_name", "代理人の氏名", required=False, when=("submitter", "dairi"),
                 max_length=30, example=city.parent.name),
            text("agent_relation", "妊婦との続柄", required=False,
                 when=("submitter", "dairi"), max_length=10, example="夫"),
        ]),
        section("mother", "妊婦", person_fields("mother", p, "妊婦", prefill=True,
                                               my_number=True) + [
            select("occupation", "妊婦の職業",
                   [("kaishain", "会社員・公務員"), ("jiei", "自営業"),
                    ("hiseiki", "パート・アルバイト"), ("gakusei", "学生"),
                    ("mushoku", "無職・家事専業"), ("sonota", "その他")],
                   example="kaishain"),
        ]),
        section("pregnancy", "妊娠の状況", [
            number("weeks", "届出日の妊娠週数", min=1, max=45, unit="週", example=10),
            date("due_date", "出産予定日", date_range="future", example="2027-06-20"),
            date("diagnosis_date", "妊娠の診断を受けた日", date_range="past",
                 example="2026-10-30"),
            text("clinic_name", "診断を受けた医療機関の名称", max_length=50,
                 example="市内の産婦人科医院"),
            select("multiples", "胎児の数", [("tantai", "1人"), ("futago", "2人（双子）"),
                                         ("santai", "3人以上")], example="tantai"),
            select("first_pregnancy", "今回の妊娠は", [("hatsu", "初めての妊娠"),
                                                   ("keisan", "2回目以降の妊娠")],
                   example="hatsu"),
            number("birth_count", "これまでの出産の回数", required=False,
                   when=("first_pregnancy", "keisan"), min=0, max=20, unit="回",
                   example=1),
            select("smoking", "妊婦の喫煙", [("nashi", "なし"), ("ari", "あり")],
                   example="nashi"),
            select("drinking", "妊婦の飲酒", [("nashi", "なし"), ("ari", "あり")],
                   example="nashi"),
        ]),
        section("handover", "母子健康手帳の交付と面談", [
            select("handover", "母子健康手帳の受け取り方法",
                   [("madoguchi", "窓口で受け取り、保健師等と面談する"),
                    ("online", "郵送で受け取り、オンラインで面談する")],
                   help="妊娠届出時の面談（伴走型相談支援）で、妊娠・出産・子育ての相談を受けられます。",
                   example="madoguchi"),
            select("handover_place", "受け取りの窓口", city.branches, required=False,
                   when=("handover", "madoguchi"), example="honchou"),
            date("handover_date", "受け取り・面談の希望日", date_range="future",
                 example="2026-12-07"),
        ]),
        pledge("上記のとおり妊娠の届出をします。記載内容に相違ありません。"),
    ]
    atts = [attachment(
        "ninshin_shindan", "妊娠の診断を受けたことが分かる書類（診断書、妊娠届出用の証明など）",
        required=city.ninshin_diagnosis_required,
        description="医療機関で発行されたもの。母子健康手帳の交付に当たって、妊娠の事実を確認します。"
                    + ("" if city.ninshin_diagnosis_required else "お持ちの場合に添付してください。"))]
    return base(
        city, "ninshin", "妊娠の届出", "にんしんのとどけで", "子育て",
        "妊娠の診断を受けたら、できるだけ早く届け出てください。届出をもとに母子健康手帳と"
        "妊婦健康診査の受診票をお渡しし、保健師等が面談して妊娠・出産の相談に応じます。",
        ["妊娠届", "母子健康手帳", "母子手帳", "妊婦", "出産", "こども"], True, "boshi",
        sections, atts, processing="希望日に窓口で交付（郵送の場合はおおむね1週間）",
        legal="母子保健法第15条",
        notes=["双子など多胎の場合は、胎児の数だけ母子健康手帳を交付します。"])


def kodomo_iryouhi(city):
    p = city.parent
    sections = [
        section("guardian", "保護者", person_fields("guardian", p, "保護者",
                                                   prefill=True, my_number=True) + [
            select("insurance_kind", "保護者が加入している健康保険",
                   [("kokuho", "国民健康保険"), ("shaho", "健康保険（会社員など）"),
                    ("kyousai", "共済組合"), ("sonota", "その他")], example="shaho"),
        ]),
        section("children", "助成を受ける子ども", [
            text("child_name", "子どもの氏名", max_length=30, example=city.children[-1].name),
            text("child_kana", "子どもの氏名（フリガナ）", max_length=40, pattern=KANA_PATTERN,
                 pattern_description=KANA_DESC, example=city.children[-1].kana),
            date("child_birth_date", "子どもの生年月日", date_range="past",
                 example=city.children[-1].birth),
            text("child_insurer", "子どもが加入している健康保険の保険者名", max_length=50,
                 example="全国健康保険協会 宮崎支部"),
        ], description="子ども一人ごとに入力してください。",
            repeat=repeat(1, 10, "子ども", "人")),
        account_section(city, p, "償還払いの助成金"),
        pledge("上記のとおり申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("kodomo_hoken", "子どもの健康保険の資格が分かる書類（資格確認書・資格情報のお知らせなど）の写し",
                   required=True, omittable=True,
                   linkage_note="情報連携により、子どもが加入している医療保険を市で確認します。"),
        passbook("保護者"),
    ]
    return base(
        city, "kodomo-iryouhi", "子ども医療費助成の受給資格認定申請",
        "こどもいりょうひじょせいのじゅきゅうしかくにんていしんせい", "子育て",
        "子どもが医療機関を受診したときの保険診療の自己負担額を市が助成するための、"
        "受給資格者証の交付申請です。出生や転入のときに申請してください。",
        ["子ども医療費", "医療費助成", "乳幼児医療", "受給資格者証", "出生", "こども"],
        True, "kosodate", sections, atts, processing="おおむね2週間（受給資格者証を郵送します）",
        notes=["助成の対象年齢と内容は市の制度によります。",
               "県外の医療機関を受診した場合などは、領収書をもとに後から口座に振り込みます（償還払い）。"])


def ninpu_shien(city):
    p = Person(city.spouse.name, city.spouse.kana, city.spouse.birth,
               city.parent.address, city.parent.postal, city.spouse.my_number,
               "female")
    sections = [
        section("applicant", "申請者（妊婦）", person_fields("applicant", p, "申請者",
                                                        prefill=True, my_number=True)),
        section("benefit", "申請する給付", [
            select("benefit_kind", "申請する給付の区分",
                   [("ninshin", "妊娠の届出をした後の給付（1回目）"),
                    ("shussan", "胎児の数の届出による給付（2回目）")], example="ninshin"),
            date("due_date", "出産予定日", example="2027-06-20"),
            number("fetus_count", "胎児の数", required=False,
                   when=("benefit_kind", "shussan"), min=1, max=5, unit="人", example=1,
                   help="出産予定日の8週間前から届け出ることができます。"),
        ]),
        account_section(city, p, "給付金"),
        pledge("上記のとおり申請します。記載内容に相違ありません。"),
    ]
    return base(
        city, "ninpu-shien", "妊婦のための支援給付の申請",
        "にんぷのためのしえんきゅうふのしんせい", "子育て",
        "妊娠の届出をした妊婦に対する給付（5万円）と、胎児の数の届出による給付"
        "（胎児1人につき5万円）の申請です。面談（妊婦等包括相談支援）と合わせて行います。",
        ["妊婦支援給付", "出産応援", "給付金", "妊娠", "出産", "こども"], True, "boshi",
        sections, [passbook("申請者")], processing="申請の翌月末までに振り込みます。",
        legal="子ども・子育て支援法第10条の2")


# ---------------------------------------------------------------------------
# 介護

CARE_LEVELS = [("youshien1", "要支援1"), ("youshien2", "要支援2"),
               ("youkaigo1", "要介護1"), ("youkaigo2", "要介護2"),
               ("youkaigo3", "要介護3"), ("youkaigo4", "要介護4"),
               ("youkaigo5", "要介護5")]
# 介護保険法施行令第2条 [P]
SPECIFIED_DISEASES = [
    ("gan", "がん（医師が回復の見込みがない状態に至ったと判断したもの）"),
    ("rheumatism", "関節リウマチ"), ("als", "筋萎縮性側索硬化症"),
    ("opll", "後縦靱帯骨化症"), ("osteoporosis", "骨折を伴う骨粗鬆症"),
    ("dementia", "初老期における認知症"),
    ("parkinson", "進行性核上性麻痺、大脳皮質基底核変性症及びパーキンソン病"),
    ("scd", "脊髄小脳変性症"), ("stenosis", "脊柱管狭窄症"), ("progeria", "早老症"),
    ("msa", "多系統萎縮症"),
    ("diabetes", "糖尿病性神経障害、糖尿病性腎症及び糖尿病性網膜症"),
    ("cerebrovascular", "脳血管疾患"), ("aso", "閉塞性動脈硬化症"),
    ("copd", "慢性閉塞性肺疾患"),
    ("arthrosis", "両側の膝関節又は股関節に著しい変形を伴う変形性関節症"),
]
INSURED_TYPES = [("dai1", "第1号被保険者（65歳以上）"),
                 ("dai2", "第2号被保険者（40歳から64歳までの医療保険加入者）")]


def insured_section(city, my_number=True, type_select=True, number_required=None):
    e = city.elder
    fields = []
    if type_select:
        fields.append(select("insured_type", "被保険者の区分", INSURED_TYPES,
                             example=city.elder_type))
    hn = dict(required=False, when=("insured_type", "dai1")) if type_select \
        else dict(required=True)
    if number_required is not None:
        hn = dict(required=number_required)
    fields.append(text("insured_number", "被保険者番号", pattern="[0-9]{10}",
                       pattern_description="介護保険被保険者証に記載の10桁の番号を半角数字で入力してください",
                       help="40歳から64歳までの方で被保険者証をお持ちでない場合は、入力は不要です。"
                       if type_select else None,
                       example="0001234567", **hn))
    fields += person_fields("insured", e, "被保険者", my_number=my_number, sex=True)
    return section("insured", "被保険者", fields)


def submitter_section(city):
    return section("submitter", "申請者", [
        select("submitter", "申請をする方",
               [("honnin", "被保険者本人"), ("dairi", "家族などの代理人")],
               help="地域包括支援センターや居宅介護支援事業者による申請代行は、窓口で受け付けます。",
               example="honnin"),
        text("agent_name", "代理人の氏名", required=False, when=("submitter", "dairi"),
             max_length=30, example=city.parent.name),
        select("agent_relation", "被保険者との関係", [
            ("kazoku", "家族・親族"), ("kouken", "成年後見人"), ("sonota", "その他")],
            required=False, when=("submitter", "dairi"), example="kazoku"),
        text("agent_phone", "代理人の電話番号", required=False, when=("submitter", "dairi"),
             max_length=13, pattern=PHONE_PATTERN, pattern_description=PHONE_DESC,
             example=PHONE_EXAMPLE),
    ])


def second_insured_section(city):
    return section("second", "第2号被保険者の医療保険と特定疾病", [
        text("medical_insurer", "加入している医療保険の保険者名", required=False,
             when=("insured_type", "dai2"), max_length=50,
             example=f"全国健康保険協会 {city.pref[:-1]}支部"),
        text("medical_insurance_number", "医療保険の記号・番号", required=False,
             when=("insured_type", "dai2"), max_length=30, example="1234・567"),
        select("specified_disease", "特定疾病名", SPECIFIED_DISEASES, required=False,
               when=("insured_type", "dai2"),
               help="40歳から64歳までの方は、介護が必要になった原因が特定疾病の場合に限り申請できます。",
               example="cerebrovascular"),
    ], description="40歳から64歳までの方（第2号被保険者）だけ入力してください。")


def doctor_section(city):
    return section("doctor", "主治医", [
        text("doctor_name", "主治医の氏名", max_length=30, example="山本　一郎"),
        text("clinic_name", "医療機関の名称", max_length=50, example="やまもと内科クリニック"),
        address("clinic_address", "医療機関の所在地", example=city.pref + city.name + "内"),
        text("clinic_phone", "医療機関の電話番号", max_length=13, pattern=PHONE_PATTERN,
             pattern_description=PHONE_DESC, example=phone_example(city)),
        date("last_visit", "最近の受診日", required=False, date_range="past",
             example="2026-10-14"),
    ], description="主治医意見書の作成を依頼します。最近受診していない場合は、受診してから申請してください。")


def stay_section():
    return section("stay", "過去6か月の入院・入所", [
        select("stayed", "過去6か月間の介護保険施設・医療機関への入院・入所",
               [("ari", "あり"), ("nashi", "なし")], example="nashi"),
        text("stay_facility", "施設・医療機関の名称", required=False,
             when=("stayed", "ari"), max_length=50, example="市立病院"),
        text("stay_period", "入院・入所の期間", required=False, when=("stayed", "ari"),
             max_length=50, example="2026年7月1日から2026年8月20日まで"),
    ])


def survey_section(city):
    return section("survey", "認定調査の連絡先", [
        text("survey_contact_name", "認定調査の日程調整の連絡先（氏名）", max_length=30,
             help="調査員が自宅などを訪問する日程を調整します。", example=city.parent.name),
        text("survey_contact_phone", "連絡先の電話番号", max_length=13,
             pattern=PHONE_PATTERN, pattern_description=PHONE_DESC,
             example=PHONE_EXAMPLE),
        text("survey_contact_relation", "被保険者との関係", max_length=10, example="長男"),
        text("survey_place", "調査を受ける場所（自宅以外の場合）", required=False,
             max_length=100, example="市立病院 3階病棟"),
    ])


def care_consent():
    return section("declaration", "同意と申請内容の確認", [
        checkbox("consent_share",
                 "介護認定審査会の判定結果・意見と主治医意見書、認定調査票の内容を、"
                 "地域包括支援センター、居宅介護支援事業者、介護保険施設の関係者などに"
                 "示すことに同意します。", example="true",
                 help="同意すると、ケアプランの作成に認定の資料を使えます。"),
        checkbox("pledge", "上記のとおり申請します。記載内容に相違ありません。",
                 required=True, example="true"),
    ])


def care_attachments(city):
    return [
        attachment("hihokenshasho", "介護保険被保険者証の写し",
                   when=("insured_type", "dai1"),
                   description="認定結果の通知とあわせて、新しい被保険者証をお送りします。"),
        attachment("iryou_hoken", "医療保険の資格が分かる書類（資格確認書・資格情報のお知らせなど）の写し",
                   when=("insured_type", "dai2"), omittable=True,
                   linkage_note="情報連携により、加入している医療保険を市で確認します。"),
        attachment("ininjou", "委任状", when=("agent_relation", "sonota"),
                   description="家族・成年後見人以外の方が代理で申請する場合に必要です。"),
    ]


CARE_PERIOD = "原則として申請日から30日以内に結果を通知します。"


def youkaigo_shinki(city):
    sections = [insured_section(city), submitter_section(city),
                second_insured_section(city), doctor_section(city), stay_section(),
                survey_section(city), care_consent()]
    return base(
        city, "youkaigo-nintei", "要介護・要支援認定の申請",
        "ようかいご ようしえんにんていのしんせい", "介護",
        "介護保険のサービスを利用するために、介護や支援が必要な状態かどうか（要介護度）の"
        "認定を受ける申請です。申請後、調査員による認定調査と主治医の意見書をもとに、"
        "介護認定審査会が判定します。",
        ["要介護認定", "要支援", "介護認定", "介護保険", "ケアマネ", "かいご"], True,
        "kaigo", sections, care_attachments(city), processing=CARE_PERIOD,
        legal="介護保険法第27条、第32条")


def youkaigo_koushin(city):
    current = section("current", "現在の認定", [
        select("current_level", "現在の要介護状態区分", CARE_LEVELS, example="youkaigo1"),
        date("current_valid_until", "現在の認定の有効期間の満了日", example="2027-01-31"),
    ])
    sections = [insured_section(city), submitter_section(city), current,
                second_insured_section(city), doctor_section(city), stay_section(),
                survey_section(city), care_consent()]
    return base(
        city, "youkaigo-koushin", "要介護・要支援更新認定の申請",
        "ようかいご ようしえんこうしんにんていのしんせい", "介護",
        "要介護・要支援認定の有効期間が終わった後も引き続きサービスを利用するための、"
        "更新の申請です。",
        ["更新", "要介護認定", "要支援", "介護保険", "かいご"], True, "kaigo",
        sections, care_attachments(city), processing=CARE_PERIOD,
        deadline="有効期間の満了日の60日前から満了日まで",
        legal="介護保険法第28条、第33条")


def youkaigo_henkou(city):
    current = section("current", "現在の認定と変更の理由", [
        select("current_level", "現在の要介護状態区分", CARE_LEVELS, example="youshien2"),
        date("current_valid_until", "現在の認定の有効期間の満了日", example="2027-09-30"),
        text("change_reason", "区分の変更を申請する理由", max_length=400, multiline=True,
             help="心身の状態がどのように変わったかを、具体的に書いてください。",
             example="転倒して骨折し、歩行に介助が必要になったため。"),
    ])
    sections = [insured_section(city), submitter_section(city), current,
                second_insured_section(city), doctor_section(city), stay_section(),
                survey_section(city), care_consent()]
    return base(
        city, "youkaigo-kubunhenkou", "要介護・要支援状態区分変更の申請",
        "ようかいご ようしえんじょうたいくぶんへんこうのしんせい", "介護",
        "認定の有効期間の途中で心身の状態が変わり、現在の要介護度が合わなくなったときに、"
        "区分の変更を求める申請です。",
        ["区分変更", "要介護認定", "要支援", "介護保険", "かいご"], True, "kaigo",
        sections, care_attachments(city), processing=CARE_PERIOD,
        legal="介護保険法第29条、第33条の2")


def youkaigo_tennyu(city):
    prev = section("previous", "転入前の認定", [
        text("previous_city", "転入前の市区町村名", max_length=30, example=city.neighbor[0]),
        date("moved_in_date", f"{city.name}に転入した日", date_range="past",
             example="2026-11-10"),
        select("previous_level", "転入前の要介護状態区分", CARE_LEVELS, example="youkaigo2"),
        date("previous_valid_from", "転入前の認定の有効期間の開始日", example="2026-04-01"),
        date("previous_valid_until", "転入前の認定の有効期間の満了日", example="2028-03-31"),
    ])
    sections = [insured_section(city), submitter_section(city), prev,
                pledge("転入前の市区町村の認定を引き継ぐため、上記のとおり申請します。"
                       "記載内容に相違ありません。")]
    atts = [
        attachment("jukyuu_shikaku", "介護保険受給資格証明書",
                   required=True,
                   description="転入前の市区町村が、転出のときに交付したものです。"),
    ] + care_attachments(city)[2:]
    return base(
        city, "youkaigo-tennyu", "住所移転後の要介護・要支援認定申請",
        "じゅうしょいてんごのようかいご ようしえんにんていしんせい", "介護",
        "要介護・要支援認定を受けている方が転入したときに、転入前の市区町村の認定を"
        "引き継ぐための申請です。認定調査を受けずに、前の認定の内容で認定します。",
        ["転入", "引き継ぎ", "受給資格証明書", "要介護認定", "介護保険", "かいご"], True,
        "kaigo", sections, atts, processing="おおむね1週間",
        deadline="転入した日から14日以内（過ぎると、新規の申請として認定調査からやり直します）",
        legal="介護保険法第36条")


def kyotaku_keikaku(city):
    sections = [
        insured_section(city, my_number=False, type_select=False),
        section("plan", "依頼の内容", [
            select("plan_kind", "届出の区分", [("shinki", "新規"), ("henkou", "事業者の変更")],
                   example="shinki"),
            select("plan_type", "作成を依頼する計画",
                   [("kyotaku", "居宅サービス計画（要介護1から5の方）"),
                    ("yobou", "介護予防サービス計画（要支援1・2の方）"),
                    ("jigyou", "介護予防ケアマネジメント（事業対象者の方）")],
                   example="kyotaku"),
            text("office_name", "居宅介護支援事業所・地域包括支援センターの名称",
                 max_length=50, example="ひまわり居宅介護支援事業所"),
            text("office_number", "介護保険事業所番号", pattern="[0-9]{10}",
                 pattern_description="10桁の半角数字で入力してください",
                 help="事業所から聞いて入力してください。先頭の2桁は都道府県の番号です。",
                 example=city.code[:2] + "71234567"),
            address("office_address", "事業所の所在地", example=city.pref + city.name + "内"),
            text("office_phone", "事業所の電話番号", max_length=13, pattern=PHONE_PATTERN,
                 pattern_description=PHONE_DESC, example=phone_example(city)),
            date("change_date", "変更の年月日", required=False,
                 when=("plan_kind", "henkou"), example="2026-12-01"),
            text("change_reason", "事業者を変更する理由", required=False,
                 when=("plan_kind", "henkou"), max_length=200, multiline=True,
                 example="転居により、自宅の近くの事業所に変えるため。"),
        ]),
        pledge("上記の事業者に計画の作成を依頼することを届け出ます。"),
    ]
    atts = [attachment("hihokenshasho", "介護保険被保険者証の写し", required=True,
                       description="事業者名を記載した被保険者証を、後日お送りします。")]
    return base(
        city, "kyotaku-keikaku", "居宅（介護予防）サービス計画作成（変更）依頼の届出",
        "きょたく かいごよぼう さーびすけいかくさくせい へんこう いらいのとどけで", "介護",
        "ケアプラン（居宅サービス計画・介護予防サービス計画）の作成を事業者に依頼したとき、"
        "または依頼する事業者を変えるときの届出です。届出がないと、サービスの費用が"
        "いったん全額自己負担になります。",
        ["ケアプラン", "ケアマネジャー", "居宅介護支援", "介護予防", "介護保険", "かいご"],
        city.plan_signature, "kaigo", sections, atts,
        deadline="サービスの利用を始める前までに届け出てください。",
        legal="介護保険法施行規則第95条の2")


def saikoufu(city, slug, title, kana, what, keywords):
    sections = [
        insured_section(city, my_number=False, type_select=False),
        submitter_section(city),
        section("reason", "再交付の理由と受け取り方法", [
            select("reason", "再交付の理由",
                   [("funshitsu", "紛失"), ("hason", "破損・汚損"), ("sonota", "その他")],
                   example="funshitsu"),
            text("reason_detail", "その他の理由の内容", required=False,
                 when=("reason", "sonota"), max_length=200, multiline=True,
                 example="災害により焼失したため。"),
            select("receive", "受け取り方法",
                   [("yuusou", "住民票の住所に郵送"), ("madoguchi", "窓口で受け取る")],
                   example="yuusou"),
            select("receive_place", "受け取りの窓口", city.branches, required=False,
                   when=("receive", "madoguchi"), example="honchou"),
        ]),
        pledge(),
    ]
    atts = [attachment("ininjou", "委任状", when=("agent_relation", "sonota"),
                       description="家族・成年後見人以外の方が代理で申請する場合に必要です。")]
    return base(
        city, slug, title, kana, "介護",
        f"{what}をなくしたり、破れたり汚れたりしたときの再交付の申請です。",
        keywords, city.reissue_signature, "kaigo", sections, atts,
        processing="おおむね1週間（郵送の場合）",
        notes=["破損・汚損の場合、お手元の証は、新しい証が届いた後に市へ返却してください。",
               "紛失した証が見つかった場合は、市へ返却してください。"])


def futan_wariai(city):
    return saikoufu(city, "futanwariai-saikoufu", "介護保険負担割合証の再交付申請",
                    "かいごほけんふたんわりあいしょうのさいこうふしんせい",
                    "介護保険負担割合証（利用者負担の割合（1割から3割）を示す証）",
                    ["負担割合証", "再交付", "紛失", "介護保険", "かいご"])


def hihokenshasho(city):
    return saikoufu(city, "hihokenshasho-saikoufu", "被保険者証の再交付申請",
                    "ひほけんしゃしょうのさいこうふしんせい", "介護保険被保険者証",
                    ["介護保険被保険者証", "保険証", "再交付", "紛失", "介護保険", "かいご"])


def kougaku(city):
    sections = [
        insured_section(city, my_number=True, type_select=False),
        submitter_section(city),
        account_section(city, city.elder, "高額介護サービス費"),
        pledge(),
    ]
    atts = [passbook("被保険者"),
            attachment("ininjou", "委任状", when=("agent_relation", "sonota"))]
    return base(
        city, "kougaku-kaigo", "高額介護（予防）サービス費の支給申請",
        "こうがくかいご よぼう さーびすひのしきゅうしんせい", "介護",
        "1か月に支払った介護サービスの利用者負担の合計が、所得に応じた上限額を超えたときに、"
        "超えた分の払戻しを受けるための申請です。市から申請の案内が届いた方が対象です。",
        ["高額介護サービス費", "払い戻し", "上限", "介護保険", "かいご"], True, "kaigo",
        sections, atts, processing="申請を受けた後、対象の月の2か月から3か月後に振り込みます。",
        deadline="サービスを利用した月の翌月1日から2年以内",
        legal="介護保険法第51条、第61条",
        notes=["一度申請すると、その後に該当した月の分は、申請した口座に自動で振り込みます。"])


def gendogaku(city):
    e = city.elder
    sections = [
        insured_section(city, my_number=True, type_select=False),
        submitter_section(city),
        section("facility", "入所（入院）している施設", [
            text("facility_name", "施設の名称", required=False, max_length=50,
                 help="ショートステイだけを利用する場合は、入力は不要です。",
                 example=f"特別養護老人ホーム {city.name}やすらぎの里"),
            address("facility_address", "施設の所在地", required=False,
                    example=city.pref + city.name + "内"),
            date("admission_date", "入所（入院）した日", required=False, date_range="past",
                 example="2026-04-01"),
        ]),
        section("spouse", "配偶者", [
            select("has_spouse", "配偶者の有無", [("ari", "あり"), ("nashi", "なし")],
                   help="世帯が別でも、配偶者がいる場合は「あり」を選んでください。",
                   example="ari"),
            text("spouse_name", "配偶者の氏名", required=False, when=("has_spouse", "ari"),
                 max_length=30, example=city.elder_spouse.name),
            date("spouse_birth_date", "配偶者の生年月日", required=False,
                 when=("has_spouse", "ari"), date_range="past",
                 example=city.elder_spouse.birth),
            address("spouse_address", "配偶者の住所", required=False,
                    when=("has_spouse", "ari"), example=e.address),
            text("spouse_my_number", "配偶者の個人番号", required=False,
                 when=("has_spouse", "ari"), max_length=12, check="my_number",
                 example=city.elder_spouse.my_number),
            checkbox("spouse_other_city", "配偶者は今年1月1日に他の市区町村に住んでいた",
                     example="false"),
        ]),
        section("income", "収入等の申告", [
            select("income_class", "収入等の区分", [
                ("seiho", "生活保護を受けている"),
                ("roufuku", "世帯全員が市町村民税非課税で、老齢福祉年金を受けている"),
                ("dai2", "世帯全員が市町村民税非課税で、年金収入額（非課税年金を含む）と"
                         "その他の合計所得金額の合計が80万9千円以下"),
                ("dai3_1", "同じく80万9千円を超え120万円以下"),
                ("dai3_2", "同じく120万円を超える"),
            ], example="dai2"),
            select("nontax_pension", "非課税年金（遺族年金・障害年金）の受給",
                   [("ari", "受けている"), ("nashi", "受けていない")], example="ari"),
        ]),
        section("assets", "預貯金等の申告", [
            number("deposits", "預貯金（普通・定期）の合計額", min=0, max=999999999999,
                   unit="円", example=4500000),
            number("securities", "有価証券（株式・国債など）の評価額", required=False,
                   min=0, max=999999999999, unit="円", example=0),
            number("cash", "現金（タンス預金など）", required=False, min=0,
                   max=999999999999, unit="円", example=50000),
            number("other_assets", "金・銀など、その他の資産", required=False, min=0,
                   max=999999999999, unit="円", example=0),
            number("debts", "負債（借入金・住宅ローンなど）", required=False, min=0,
                   max=999999999999, unit="円", example=0),
        ], description="被保険者と配偶者の分を合計して入力してください。"),
        section("declaration", "同意と申請内容の確認", [
            checkbox("consent_bank", "負担限度額の認定のため、市が金融機関等に被保険者と"
                     "配偶者の預貯金等を照会することに同意します。", required=True,
                     example="true"),
            checkbox("pledge", "上記のとおり申請します。記載内容に相違ありません。",
                     required=True, example="true"),
        ]),
    ]
    atts = [
        attachment("tsuchou_copy", "預貯金通帳の写し（被保険者と配偶者の分）", required=True,
                   max_files=10,
                   description="銀行名・口座番号・名義人が分かるページと、最終の残高が分かるページ"
                               "（申請日の直近2か月以内）を撮影してください。"),
        attachment("shouken", "有価証券の評価額が分かる書類（取引残高報告書など）の写し",
                   max_files=5),
        attachment("spouse_kazei", "配偶者の課税（所得）証明書",
                   when=("spouse_other_city", "true"), omittable=True,
                   linkage_note="情報連携により、配偶者の課税の状況を市で確認します。"),
        attachment("ininjou", "委任状", when=("agent_relation", "sonota")),
    ]
    return base(
        city, "futangendogaku", "介護保険負担限度額認定申請",
        "かいごほけんふたんげんどがくにんていしんせい", "介護",
        "介護保険施設やショートステイを利用したときの食費と居住費（滞在費）の負担を、"
        "所得と預貯金等に応じて軽くするための認定の申請です。",
        ["負担限度額", "食費", "居住費", "特養", "ショートステイ", "介護保険", "かいご"],
        True, "kaigo", sections, atts, processing="おおむね2週間（認定証を郵送します）",
        deadline="認定の有効期間は8月1日から翌年7月31日までです。毎年申請してください。",
        legal="介護保険法第51条の3")


# ---------------------------------------------------------------------------
# 被災者支援

DAMAGE_CAUSES = [("shinsui", "浸水（大雨・洪水・高潮）"), ("jishin", "地震"),
                 ("kaze", "強風・竜巻"), ("dosha", "土砂災害"), ("sonota", "その他")]


def victim_section(city, role="申請者", relation=True):
    v = city.victim
    fields = person_fields("applicant", v, role, prefill=True)
    if relation:
        fields.append(select("applicant_relation", "被災した世帯との関係",
                             [("honnin", "被災した世帯の世帯主"),
                              ("setaiin", "被災した世帯の世帯員"),
                              ("dairi", "代理人（委任を受けた方）")], example="honnin"))
    return section("applicant", role, fields)


def disaster_section(city, with_address=True, with_detail=True):
    name, day, cause = city.disaster
    fields = [
        text("disaster_name", "災害の名称", max_length=50,
             help="市が公表している災害の名称を入力してください。", example=name),
        date("disaster_date", "被災した日", date_range="past", example=day),
    ]
    if with_address:
        fields.append(address("damaged_address", "被害を受けた住家の所在地",
                              help="住民票の住所と異なる場合も、被害を受けた建物の所在地を入力してください。",
                              example=city.victim.address))
    fields.append(select("damage_cause", "被害の原因", DAMAGE_CAUSES, example=cause))
    if with_detail:
        fields.append(text("damage_detail", "被害の状況", max_length=400, multiline=True,
                           help="どこが、どのように壊れたか（浸水の場合は床上・床下と深さ）を書いてください。",
                           example="1階が床上50センチまで浸水し、床と壁、畳が使えなくなった。"))
    return section("disaster", "災害と被害", fields)


def ininjou_attachment():
    return attachment("ininjou", "委任状", when=("applicant_relation", "dairi"),
                      description="被災した世帯の世帯主・世帯員以外の方が申請する場合に必要です。")


def risai(city):
    sections = [
        victim_section(city),
        disaster_section(city),
        section("house", "住家について", [
            select("ownership", "住家の所有", [("mochiie", "持家"), ("shakuya", "借家・賃貸住宅"),
                                           ("sonota", "その他（社宅など）")], example="mochiie"),
            text("owner_name", "住家の所有者の氏名", required=False,
                 when=("ownership", "shakuya"), max_length=50, example="大家　花子"),
            select("survey_wish", "被害認定調査", [
                ("houmon", "調査員の訪問による調査を希望する"),
                ("shashin", "写真による判定を希望する（被害が軽い場合）")],
                help="写真による判定は、準半壊に至らない（一部損壊）の場合などに限ります。",
                example="houmon"),
            text("survey_phone", "調査の日程調整の連絡先", max_length=13,
                 pattern=PHONE_PATTERN, pattern_description=PHONE_DESC,
                 example=PHONE_EXAMPLE),
        ]),
        section("issue", "交付について", [
            number("copies", "必要な枚数", min=1, max=10, unit="通", example=2),
            text("purpose", "使用目的", required=False, max_length=100,
                 example="保険金の請求、被災者生活再建支援金の申請"),
            select("receive", "受け取り方法", [("yuusou", "郵送（住民票の住所）"),
                                          ("madoguchi", "窓口で受け取る")], example="yuusou"),
            select("receive_place", "受け取りの窓口", city.branches, required=False,
                   when=("receive", "madoguchi"), example="honchou"),
        ]),
        pledge("上記のとおり罹災証明書の交付を申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("higai_shashin", "被害の状況が分かる写真", required=True,
                   content_types=PHOTO_TYPES, max_files=10,
                   description="建物の外観（四方向）と、被害を受けた部分を撮影してください。"
                               "浸水の場合は、浸水の深さが分かるようにメジャーなどを当てて撮影してください。"),
        ininjou_attachment(),
    ]
    return base(
        city, "risai-shoumei", "罹災証明書の交付申請", "りさいしょうめいしょのこうふしんせい",
        "被災者支援",
        "災害で住家に被害を受けたときに、被害の程度（全壊、大規模半壊、中規模半壊、半壊、"
        "準半壊、準半壊に至らない（一部損壊））を証明する罹災証明書の交付を申請します。"
        "各種の支援を受けるときに必要です。",
        ["罹災証明", "被害認定", "災害", "地震", "台風", "大雨", "浸水", "りさい"],
        city.risai_signature, "risai", sections, atts,
        processing="被害認定調査の後、おおむね2週間から1か月",
        deadline="原則として、災害が発生した日から3か月以内",
        legal="災害対策基本法第90条の2",
        notes=["申請の前に、被害の状況を写真で記録してください。片付けや修理はその後にしてください。"])


def hisai_shoumei(city):
    sections = [
        victim_section(city),
        disaster_section(city, with_address=False),
        section("object", "被害を受けたもの", [
            select("object_kind", "被害を受けたもの", [
                ("kazai", "家財"), ("sharyou", "自動車などの車両"),
                ("hijuuka", "住家以外の建物（倉庫・車庫・店舗など）"), ("sonota", "その他")],
                example="sharyou"),
            address("object_place", "被害を受けたときの所在地", example=city.victim.address),
            number("copies", "必要な枚数", min=1, max=10, unit="通", example=1),
        ]),
        pledge("上記のとおり被災証明書の交付を申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("higai_shashin", "被害の状況が分かる写真", required=True,
                   content_types=PHOTO_TYPES, max_files=10),
        ininjou_attachment(),
    ]
    return base(
        city, "hisai-shoumei", "被災証明書の交付申請", "ひさいしょうめいしょのこうふしんせい",
        "被災者支援",
        "住家以外の建物、家財や自動車などが災害で被害を受けたことを証明する被災証明書の"
        "交付の申請です。被害の程度を調査するものではなく、届出の事実を証明します。",
        ["被災証明", "家財", "車両", "保険", "災害", "ひさい"], False, "risai",
        sections, atts, processing="おおむね1週間")


def saiken(city):
    sections = [
        victim_section(city, role="申請者（世帯主）", relation=False),
        disaster_section(city, with_detail=False),
        section("household", "世帯と被害", [
            number("household_size", "被災したときの世帯の人数", min=1, max=20, unit="人",
                   help="1人の世帯（単数世帯）は、支給額が4分の3になります。", example=3),
            select("damage_level", "住家の被害の程度（罹災証明書の判定）", [
                ("zenkai", "全壊"), ("kaitai", "半壊または敷地被害によりやむを得ず解体"),
                ("choukihinan", "長期避難"), ("daikibo", "大規模半壊"),
                ("chuukibo", "中規模半壊")],
                help="中規模半壊の世帯は、加算支援金だけが対象です。", example="zenkai"),
            text("risai_number", "罹災証明書の交付番号", required=False, max_length=20,
                 example="R6-00123"),
        ]),
        section("support", "申請する支援金", [
            checkbox("apply_kiso", "基礎支援金（住宅の被害の程度に応じて支給）", example="true"),
            checkbox("apply_kasan", "加算支援金（住宅の再建方法に応じて支給）", example="true"),
            select("rebuild", "住宅の再建方法", [
                ("kensetsu", "建設・購入"), ("hoshuu", "補修"),
                ("chintai", "賃借（公営住宅を除く）")], required=False,
                when=("apply_kasan", "true"), example="kensetsu"),
        ], description="基礎支援金と加算支援金は、同時に申請することも、別々に申請することもできます。"),
        account_section(city, city.victim, "支援金"),
        pledge("上記のとおり被災者生活再建支援金の支給を申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("risai_copy", "罹災証明書の写し", required=True),
        attachment("juminhyo", "世帯全員の住民票の写し", required=True, omittable=True,
                   linkage_note="情報連携により、被災したときの世帯の構成を市で確認します。"),
        attachment("kaitai", "解体したことが分かる書類（滅失登記の登記事項証明書、解体工事の契約書など）の写し",
                   when=("damage_level", "kaitai")),
        attachment("keiyakusho", "住宅の建設・購入・補修・賃借の契約書の写し",
                   when=("apply_kasan", "true")),
        passbook("申請者"),
    ]
    return base(
        city, "saiken-shienkin", "被災者生活再建支援金の支給申請",
        "ひさいしゃせいかつさいけんしえんきんのしきゅうしんせい", "被災者支援",
        "自然災害で住宅が全壊するなど生活の基盤に著しい被害を受けた世帯に、住宅の被害の程度に"
        "応じた基礎支援金と、住宅の再建方法に応じた加算支援金を支給します。",
        ["生活再建支援金", "支援金", "全壊", "大規模半壊", "再建", "災害", "ひさい"], True,
        "hisai", sections, atts,
        processing="県を経由して被災者生活再建支援法人が審査し、支給まで1か月から2か月",
        deadline="基礎支援金は災害が発生した日から13か月以内、加算支援金は37か月以内",
        legal="被災者生活再建支援法第3条")


def chouikin(city):
    d = city.deceased
    sections = [
        section("applicant", "申請者（遺族）", person_fields(
            "applicant", city.victim, "申請者", prefill=True) + [
            select("relation", "亡くなった方との続柄", [
                ("haiguusha", "配偶者"), ("ko", "子"), ("fubo", "父母"), ("mago", "孫"),
                ("sofubo", "祖父母"),
                ("kyoudai", "兄弟姉妹（亡くなった方と同居し、または生計を同じくしていた方）")],
                help="遺族の順位は、配偶者、子、父母、孫、祖父母、兄弟姉妹の順です。",
                example="mago" if int(city.victim.birth[:4]) - int(city.deceased.birth[:4]) > 45
                else "ko"),
        ]),
        section("deceased", "亡くなった方", [
            text("deceased_name", "亡くなった方の氏名", max_length=30, example=d.name),
            text("deceased_kana", "亡くなった方の氏名（フリガナ）", max_length=40,
                 pattern=KANA_PATTERN, pattern_description=KANA_DESC, example=d.kana),
            date("deceased_birth_date", "亡くなった方の生年月日", date_range="past",
                 example=d.birth),
            address("deceased_address", "亡くなった方の住所（亡くなったとき）",
                    example=city.victim.address),
            date("death_date", "亡くなった日", date_range="past", example=city.disaster[1]),
            text("death_place", "亡くなった場所", max_length=100, example="自宅"),
            text("death_cause", "亡くなった原因と状況", max_length=400, multiline=True,
                 help="災害との関係が分かるように書いてください。災害関連死の場合は、"
                      "避難生活の状況なども書いてください。",
                 example="地震で倒れた家具の下敷きになった。"),
            select("breadwinner", "亡くなった方は世帯の生計を主として維持していましたか",
                   [("hai", "はい"), ("iie", "いいえ")],
                   help="生計を主として維持していた方の場合は500万円、それ以外の方は250万円です。",
                   example="iie"),
        ]),
        account_section(city, city.victim, "弔慰金"),
        pledge("上記のとおり災害弔慰金の支給を申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("shibou_shindan", "死亡診断書または死体検案書の写し", required=True),
        attachment("koseki", "亡くなった方と申請者の関係が分かる戸籍謄本", required=True,
                   max_files=5),
        attachment("juminhyo", "亡くなった方の住民票の除票の写し", required=True,
                   omittable=True,
                   linkage_note="情報連携により、亡くなった方の住所を市で確認します。"),
        passbook("申請者"),
    ]
    return base(
        city, "saigai-chouikin", "災害弔慰金の支給申請", "さいがいちょういきんのしきゅうしんせい",
        "被災者支援",
        "災害で亡くなった方（災害関連死を含む）の遺族に、災害弔慰金を支給します。",
        ["災害弔慰金", "弔慰金", "災害関連死", "遺族", "災害", "ひさい"], True, "hisai",
        sections, atts, processing="災害弔慰金等支給審査会の審査の後、おおむね2か月から3か月",
        legal="災害弔慰金の支給等に関する法律第3条",
        notes=["災害関連死の審査では、医療機関の記録などの提出をお願いすることがあります。"])


def shougai_mimai(city):
    sections = [
        victim_section(city, role="申請者（障害を受けた方）", relation=False),
        disaster_section(city, with_address=False),
        section("disability", "障害の状況", [
            select("disability_kind", "障害の程度", [
                ("ryougan", "両眼が失明した"), ("soshaku", "そしゃく及び言語の機能を廃した"),
                ("shinkei", "神経系統の機能または精神に著しい障害を残し、常に介護を要する"),
                ("kyoufuku", "胸腹部臓器の機能に著しい障害を残し、常に介護を要する"),
                ("joushi", "両上肢または両下肢を失った、またはその用を全廃した"),
                ("sonota", "その他、上と同程度以上の障害")], example="joushi"),
            date("injury_date", "負傷した日", date_range="past", example=city.disaster[1]),
            select("breadwinner", "申請者は世帯の生計を主として維持していますか",
                   [("hai", "はい"), ("iie", "いいえ")],
                   help="生計を主として維持している方は250万円、それ以外の方は125万円です。",
                   example="hai"),
        ]),
        account_section(city, city.victim, "見舞金"),
        pledge("上記のとおり災害障害見舞金の支給を申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("shindansho", "障害の状態についての医師の診断書", required=True),
        passbook("申請者"),
    ]
    return base(
        city, "saigai-shougai-mimai", "災害障害見舞金の支給申請",
        "さいがいしょうがいみまいきんのしきゅうしんせい", "被災者支援",
        "災害による負傷や疾病で、精神または身体に重い障害を受けた方に、災害障害見舞金を支給します。",
        ["災害障害見舞金", "見舞金", "障害", "災害", "ひさい"], True, "hisai",
        sections, atts, processing="審査会の審査の後、おおむね2か月から3か月",
        legal="災害弔慰金の支給等に関する法律第8条")


def engo(city):
    sections = [
        victim_section(city, role="申請者（世帯主）", relation=False),
        disaster_section(city),
        section("loan", "貸付けの内容", [
            select("loan_reason", "被害の種類", [
                ("fushou", "世帯主が負傷した（療養期間がおおむね1か月以上）"),
                ("kazai", "家財の3分の1以上の損害"), ("hankai", "住居の半壊"),
                ("zenkai", "住居の全壊"), ("ryuushitsu", "住居の全体が滅失・流失")],
                example="hankai"),
            number("household_size", "世帯の人数", min=1, max=20, unit="人", example=3),
            number("household_income", "世帯の前年の総所得金額", min=0,
                   max=999999999, unit="円",
                   help="世帯の人数に応じた所得の限度額があります。", example=4200000),
            number("amount", "借入れの希望額", min=10000, max=3500000, unit="円",
                   help="被害の種類に応じて、最大350万円までです。", example=1700000),
            select("repayment", "償還の方法", [("nenpu", "年賦"), ("hannenpu", "半年賦")],
                   example="nenpu"),
            select("guarantor", "保証人", [("ari", "立てる"), ("nashi", "立てない")],
                   help="保証人を立てない場合は、利率が異なります。", example="nashi"),
            text("guarantor_name", "保証人の氏名", required=False,
                 when=("guarantor", "ari"), max_length=30,
                 example=family(city.victim.name) + "　健"),
            address("guarantor_address", "保証人の住所", required=False,
                    when=("guarantor", "ari"), example=city.victim.address),
        ]),
        account_section(city, city.victim, "貸付金"),
        pledge("上記のとおり災害援護資金の貸付けを申請します。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("risai_copy", "罹災証明書の写し", required=True),
        attachment("shotoku", "世帯全員の前年の所得証明書", required=True, omittable=True,
                   linkage_note="情報連携により、世帯の所得を市で確認します。"),
        attachment("juminhyo", "世帯全員の住民票の写し", required=True, omittable=True,
                   linkage_note="情報連携により、世帯の構成を市で確認します。"),
        attachment("shindansho", "世帯主の負傷についての医師の診断書",
                   when=("loan_reason", "fushou")),
        passbook("申請者"),
    ]
    return base(
        city, "saigai-engo-shikin", "災害援護資金の貸付申請",
        "さいがいえんごしきんのかしつけしんせい", "被災者支援",
        "災害で世帯主が負傷したり、住居や家財に被害を受けたりした世帯の生活の立て直しのために、"
        "災害援護資金を貸し付けます。世帯の所得に限度があります。",
        ["災害援護資金", "貸付", "借入", "災害", "ひさい"], True, "hisai", sections, atts,
        processing="審査の後、おおむね1か月",
        legal="災害弔慰金の支給等に関する法律第10条",
        notes=["据置期間は3年（特別の事情がある場合は5年）、償還期間は据置期間を含めて10年です。"])


def mimai(city):
    sections = [
        victim_section(city),
        disaster_section(city),
        section("damage", "被害の程度", [
            select("damage_level", "住家の被害の程度", [
                ("zenkai", "全壊・全焼・流失"), ("hankai", "半壊・半焼"),
                ("yukaue", "床上浸水")], example="yukaue"),
            number("household_size", "被災した世帯の人数", min=1, max=20, unit="人",
                   example=3),
        ]),
        account_section(city, city.victim, "見舞金"),
        pledge("上記のとおり災害見舞金の支給を申請します。記載内容に相違ありません。"),
    ]
    atts = [attachment("risai_copy", "罹災証明書の写し", required=True),
            ininjou_attachment(), passbook("申請者")]
    return base(
        city, "saigai-mimaikin", "災害見舞金の支給申請", "さいがいみまいきんのしきゅうしんせい",
        "被災者支援",
        f"火災や風水害などで住家に被害を受けた世帯に、{city.name}の制度による災害見舞金を支給します。",
        ["災害見舞金", "見舞金", "火災", "浸水", "災害", "ひさい"], True, "hisai",
        sections, atts, processing="おおむね2週間",
        notes=["支給額は、被害の程度と世帯の人数によって市の制度で定められています。"])


def oukyuu_shuuri(city):
    sections = [
        victim_section(city),
        disaster_section(city),
        section("repair", "修理の内容", [
            select("damage_level", "住家の被害の程度（罹災証明書の判定）", [
                ("daikibo", "大規模半壊"), ("chuukibo", "中規模半壊"), ("hankai", "半壊"),
                ("junhankai", "準半壊")],
                help="全壊の住家でも、修理すれば住める場合は対象になります。窓口にご相談ください。",
                example="hankai"),
            text("repair_parts", "修理を希望する箇所", max_length=400, multiline=True,
                 help="屋根、外壁、床、トイレなど、日常生活に欠かせない部分に限ります。",
                 example="浸水した1階の床と、台所の給排水設備"),
            text("contractor", "修理を依頼する事業者の名称", max_length=50,
                 help="市の指定業者の一覧から選んでください。", example="市内の工務店"),
            number("estimate", "見積りの金額（税込み）", min=1, max=99999999, unit="円",
                   example=650000),
            checkbox("no_other_funds", "自らの資力では応急修理ができないことを申し出ます。",
                     when=("damage_level", "hankai"),
                     help="半壊・準半壊の世帯は、資力についての申出が必要です。", example="true"),
        ]),
        pledge("上記のとおり住宅の応急修理を申し込みます。記載内容に相違ありません。"),
    ]
    atts = [
        attachment("mitsumori", "修理の見積書", required=True),
        attachment("higai_shashin", "修理を希望する箇所の被害の写真", required=True,
                   content_types=PHOTO_TYPES, max_files=10),
        attachment("risai_copy", "罹災証明書の写し", required=True),
        ininjou_attachment(),
    ]
    return base(
        city, "oukyuu-shuuri", "住宅の応急修理の申込み", "じゅうたくのおうきゅうしゅうりのもうしこみ",
        "被災者支援",
        "災害で住宅が半壊などの被害を受け、そのままでは住めない世帯が、日常生活に欠かせない"
        "部分の応急修理を、市が事業者に依頼して行う制度の申込みです。",
        ["応急修理", "住宅", "修理", "災害救助法", "半壊", "災害", "ひさい"], True, "hisai",
        sections, atts, processing="申込みの後、市が事業者に修理を依頼します。",
        deadline="原則として、災害が発生した日から3か月以内に修理を完了します。",
        legal="災害救助法第4条",
        notes=["応急修理を受けた世帯は、原則として応急仮設住宅に入居できません。",
               "修理費用は市から事業者に直接支払います。限度額を超えた分は自己負担です。"])


# ---------------------------------------------------------------------------

CHILDCARE = [
    ("jidouteate-nintei", jidouteate_nintei),
    ("jidouteate-gakukaitei", jidouteate_gakukaitei),
    ("jidouteate-henkou", jidouteate_henkou),
    ("jidouteate-genkyou", jidouteate_genkyou),
    ("jidouteate-shoumetsu", jidouteate_shoumetsu),
    ("hoiku-moushikomi", hoiku_moushikomi),
    ("hoiku-genkyou", hoiku_genkyou),
    ("jidoufuyou-genkyou", jidoufuyou_genkyou),
    ("ninshin", ninshin),
]
CHILDCARE_EXTRA = {"kodomo-iryouhi": kodomo_iryouhi, "ninpu-shien": ninpu_shien}
CARE = [youkaigo_shinki, youkaigo_koushin, youkaigo_henkou, kyotaku_keikaku,
        futan_wariai, hihokenshasho, kougaku, gendogaku, youkaigo_tennyu]
DISASTER = {
    "risai": risai, "hisai-shoumei": hisai_shoumei, "saiken": saiken,
    "chouikin": chouikin, "shougai-mimai": shougai_mimai, "engo": engo,
    "mimai": mimai, "oukyuu-shuuri": oukyuu_shuuri,
}


def catalogue():
    """proc_id -> definition, for every city."""
    out = {}
    for city in CITIES:
        procs = [fn(city) for key, fn in CHILDCARE if key not in city.skip]
        procs += [CHILDCARE_EXTRA[k](city) for k in city.extra]
        procs += [fn(city) for fn in CARE]
        procs += [DISASTER[k](city) for k in city.disaster_procs]
        for p in procs:
            assert p["proc_id"] not in out, p["proc_id"]
            out[p["proc_id"]] = p
    return out


def render(definition):
    return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"


LIST_BEGIN = "<!-- begin: procedure list, written by make-catalog.py -->\n"
LIST_END = "<!-- end: procedure list -->\n"
CATEGORY_ORDER = {"子育て": 0, "介護": 1, "被災者支援": 2}


def render_list(procs):
    """The per-city tables of docs/portal-sim-catalog.md, in search order."""
    out = [LIST_BEGIN]
    for city in sorted(CITIES, key=lambda c: c.code):
        ps = sorted((p for p in procs.values() if p["city_code"] == city.code),
                    key=lambda p: (CATEGORY_ORDER[p["category"]], p["title_kana"],
                                   p["proc_id"]))
        out.append(f"\n### {city.name}（{city.pref}） — {city.code}, {len(ps)} procedures\n\n")
        out.append("| proc_id | title | category | 署名 |\n|---|---|---|---|\n")
        for p in ps:
            sig = "要" if p["signature_required"] else "不要"
            out.append(f"| `{p['proc_id']}` | {p['title']} | {p['category']} | {sig} |\n")
    out.append("\n" + LIST_END)
    return "".join(out)


def doc_with_list(doc, procs):
    """doc with its procedure list replaced, or None without the markers."""
    a, b = doc.find(LIST_BEGIN), doc.find(LIST_END)
    if a < 0 or b < a:
        return None
    return doc[:a] + render_list(procs) + doc[b + len(LIST_END):]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "data"),
                    help="the catalogue folder (default: ../data)")
    ap.add_argument("--check", action="store_true",
                    help="compare with the folder, write nothing; exit 1 on a difference")
    ap.add_argument("--doc", default=os.path.join(here, "..", "..", "..", "docs",
                                                  "portal-sim-catalog.md"),
                    help="the document whose procedure list to keep current")
    args = ap.parse_args()

    procs = catalogue()
    files = {f"{pid}.json": render(d) for pid, d in procs.items()}
    with open(args.doc, encoding="utf-8") as fh:
        doc = fh.read()
    new_doc = doc_with_list(doc, procs)
    existing = set()
    if os.path.isdir(args.out):
        existing = {n for n in os.listdir(args.out) if n.endswith(".json")}

    if args.check:
        problems = []
        for name in sorted(existing - files.keys()):
            problems.append(f"{name}: not written by this script (remove it or add it here)")
        for name, content in sorted(files.items()):
            path = os.path.join(args.out, name)
            if name not in existing:
                problems.append(f"{name}: missing (run make-catalog.py)")
                continue
            with open(path, encoding="utf-8") as fh:
                if fh.read() != content:
                    problems.append(f"{name}: differs from what make-catalog.py writes")
        if new_doc is None:
            problems.append(f"{args.doc}: no procedure list markers")
        elif new_doc != doc:
            problems.append(f"{args.doc}: the procedure list differs (run make-catalog.py)")
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{len(files)} procedures, {len(problems)} problem(s)")
        return 1 if problems else 0

    os.makedirs(args.out, exist_ok=True)
    for name in sorted(existing - files.keys()):
        os.remove(os.path.join(args.out, name))
    for name, content in files.items():
        # Write next to the target and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=args.out, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(args.out, name))
    if new_doc is None:
        print(f"{args.doc}: no procedure list markers; list not written", file=sys.stderr)
        return 1
    if new_doc != doc:
        with open(args.doc, "w", encoding="utf-8") as fh:
            fh.write(new_doc)
    print(f"wrote {len(files)} procedures to {os.path.normpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
