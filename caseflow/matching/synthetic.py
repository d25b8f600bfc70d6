"""Synthetic registry and business extracts with labelled corruptions.

For ``n`` business records this builds

* a **registry extract** (住民基本台帳): one row per My Number, organised in households
  (parents, children, some twins) so that a wrongly linked number can belong to a real
  family member;
* a **business extract**: one row per record of a linking agency, carrying the registered
  number and the basic four facts as the agency holds them;
* a **truth table** naming the scenario of each record and whether the registered number
  really is the record's person (``same_person``).

It is used by tests, the demo and benchmarks of the grader; it never imports the grader.
All randomness in the vectorised part is a SplitMix64 hash of (seed, chunk, stream, row),
computed with Polars integer arithmetic (not Polars' own hashing or sampling, whose output
may change between versions), so a seed gives the same data on every run; the few per-row
Python loops (the small corrupted shares) use ``random.Random`` seeded with a string.

The registry holds the record owners plus household members and a few others, about
1.3 rows per record. Numbers are a bijection of a global person index, so they stay unique
across chunks of :func:`write_dataset`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from caseflow.matching.mynumber import CHECK_DIGIT_WEIGHTS, check_digit

# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------

SCENARIOS: dict[str, float] = {
    "exact": 0.548,
    "notation": 0.30,
    "typo_kana": 0.02,
    "typo_address": 0.015,
    "date_transposed": 0.003,
    "surname_change": 0.025,
    "move": 0.03,
    "kana_not_collected": 0.01,
    "sex_not_collected": 0.005,
    "family_member": 0.015,
    "twin": 0.002,
    "same_name_other_person": 0.005,
    "swapped_number": 0.005,
    "other_person": 0.005,
    "invalid_check_digit": 0.003,
    "leading_zero_lost": 0.002,
    "shared_bank_account": 0.003,
    "duplicate_number": 0.002,
    "duplicate_business_key": 0.002,
}
"""Default scenario mix (shares of records, summing to 1)."""

# Scenarios whose registered number is not the record's person. For duplicate_number only the
# side carrying the other record's number is wrong.
WRONG_LINKAGE = frozenset({"family_member", "twin", "same_name_other_person", "swapped_number",
                           "other_person", "invalid_check_digit"})
_PAIRED = ("shared_bank_account", "duplicate_number", "duplicate_business_key")
# Owners of these scenarios need a person with a property; chosen first, rarest first.
_CONSTRAINED = ("twin", "leading_zero_lost", "date_transposed", "family_member")

REGISTRY_COLUMNS = ("my_number", "name", "name_kana", "birth_date", "sex", "address")
RECORD_COLUMNS = ("record_id", "my_number", "name", "name_kana", "birth_date", "sex", "address",
                  "bank_account", "business_key")
TRUTH_COLUMNS = ("record_id", "scenario", "same_person")
JA_HEADERS = {"record_id": "管理番号", "my_number": "個人番号", "name": "氏名", "name_kana": "カナ氏名",
              "birth_date": "生年月日", "sex": "性別", "address": "住所", "bank_account": "口座番号",
              "business_key": "手帳番号"}

# ---------------------------------------------------------------------------------------------
# Pools (data). Surnames: forms separated by "/" (first = standard form, the others variant
# kanji that the grader folds), katakana reading, rough frequency rank is the line order.
# ---------------------------------------------------------------------------------------------

_SURNAME_DATA = """
佐藤 サトウ|鈴木 スズキ|高橋/髙橋 タカハシ|田中 タナカ|伊藤 イトウ|渡辺/渡邊/渡邉 ワタナベ|山本 ヤマモト
中村 ナカムラ|小林 コバヤシ|加藤 カトウ|吉田/𠮷田 ヨシダ|山田 ヤマダ|佐々木 ササキ|山口 ヤマグチ
松本 マツモト|井上 イノウエ|木村 キムラ|林 ハヤシ|斎藤/齋藤/齊藤/斉藤 サイトウ|清水 シミズ
山崎/山﨑/山嵜 ヤマザキ|森 モリ|池田 イケダ|橋本 ハシモト|阿部 アベ|石川 イシカワ|山下 ヤマシタ
中島/中嶋 ナカジマ|石井 イシイ|小川 オガワ|前田 マエダ|岡田 オカダ|長谷川 ハセガワ|藤田 フジタ
後藤 ゴトウ|近藤 コンドウ|村上 ムラカミ|遠藤 エンドウ|青木 アオキ|坂本 サカモト|福田 フクダ
太田 オオタ|西村 ニシムラ|藤井 フジイ|金子 カネコ|岡本 オカモト|藤原 フジワラ|中野 ナカノ
三浦 ミウラ|原田 ハラダ|中川 ナカガワ|松田 マツダ|竹内 タケウチ|小野 オノ|田村 タムラ|中山 ナカヤマ
和田 ワダ|石田 イシダ|森田 モリタ|上田 ウエダ|原 ハラ|内田 ウチダ|柴田 シバタ|酒井 サカイ
宮崎/宮﨑 ミヤザキ|横山 ヨコヤマ|高木/髙木 タカギ|安藤 アンドウ|宮本 ミヤモト|大野 オオノ|小島 コジマ
工藤 クドウ|谷口 タニグチ|今井 イマイ|高田/髙田 タカダ|丸山 マルヤマ|増田 マスダ|杉山 スギヤマ
村田 ムラタ|大塚 オオツカ|小山 コヤマ|平野 ヒラノ|藤本 フジモト|河野 コウノ|上野 ウエノ|野口 ノグチ
武田 タケダ|松井 マツイ|千葉 チバ|岩崎/岩﨑 イワサキ|菅原 スガワラ|木下 キノシタ|久保 クボ|佐野 サノ
野村 ノムラ|松尾 マツオ|市川 イチカワ|菊地 キクチ|杉本 スギモト|古川 フルカワ|大西 オオニシ
島田/嶋田 シマダ|水野 ミズノ|桜井/櫻井 サクライ|高野/髙野 タカノ|渡部 ワタベ|吉川/𠮷川 ヨシカワ
山内 ヤマウチ|西田 ニシダ|飯田 イイダ|西川 ニシカワ|小松 コマツ|北村 キタムラ|安田 ヤスダ
五十嵐 イガラシ|川口 カワグチ|平田 ヒラタ|関 セキ|中田 ナカタ|久保田 クボタ|服部 ハットリ|東 ヒガシ
岩田 イワタ|土屋 ツチヤ|川崎/川﨑 カワサキ|福島 フクシマ|本田 ホンダ|辻 ツジ|樋口 ヒグチ|秋山 アキヤマ
田口 タグチ|永井 ナガイ|山中 ヤマナカ|中西 ナカニシ|吉村/𠮷村 ヨシムラ|川上 カワカミ|石原 イシハラ
大橋 オオハシ|松岡 マツオカ|馬場 ババ|浜田/濱田/濵田 ハマダ|徳永/德永 トクナガ|富田/冨田 トミタ
広瀬/廣瀬 ヒロセ|沢田/澤田 サワダ|田辺/田邊/田邉 タナベ|長沢/長澤 ナガサワ|藤堂 トウドウ
大島 オオシマ|結城 ユウキ|東海林 ショウジ|高山/髙山 タカヤマ|柳田 ヤナギダ|小田 オダ|宇野 ウノ
桑原 クワハラ|荒木 アラキ|大久保 オオクボ|野田 ノダ|新井 アライ|大東 オオヒガシ|本郷 ホンゴウ
"""

_MALE_GIVEN_DATA = """
太郎 タロウ|一郎 イチロウ|健一 ケンイチ|浩二 コウジ|翔太 ショウタ|大輔 ダイスケ|誠 マコト|隆 タカシ
広志/廣志 ヒロシ|茂 シゲル|清 キヨシ|実/實 ミノル|勇 イサム|昇/曻 ノボル|修 オサム|進 ススム
豊 ユタカ|明 アキラ|正男 マサオ|和夫 カズオ|幸雄 ユキオ|秀樹 ヒデキ|真一/眞一 シンイチ|健二 ケンジ
雄一 ユウイチ|裕介 ユウスケ|洋平 ヨウヘイ|翔 ショウ|蓮 レン|大翔 ヒロト|悠斗 ユウト|陽翔 ハルト
湊 ミナト|蒼 アオイ|樹 イツキ|大和 ヤマト|悠真 ユウマ|颯太 ソウタ|康介 コウスケ|拓也 タクヤ
直樹 ナオキ|達也 タツヤ|和也 カズヤ|哲也 テツヤ|竜之介/龍之介 リュウノスケ|剛 ツヨシ|亮 リョウ
亮太 リョウタ|涼介 リョウスケ|大樹 ダイキ|健太 ケンタ|慎吾 シンゴ|浩一 コウイチ|孝之 タカユキ
徹 トオル|聡 サトシ|学 マナブ|智 サトル|栄一/榮一 エイイチ|正 タダシ|勝 マサル|三郎 サブロウ
次郎 ジロウ|四郎 シロウ|俊介 シュンスケ|翔平 ショウヘイ|駿 シュン|陸 リク|航 ワタル|匠 タクミ
恭平 キョウヘイ|耕作 コウサク|雄大 ユウダイ|敏夫 トシオ|義雄 ヨシオ|武 タケシ|勉 ツトム|弘 ヒロム
光 ヒカル|宗一郎 ソウイチロウ|健太郎 ケンタロウ|雄太 ユウタ|將司/将司 ショウジ
"""

_FEMALE_GIVEN_DATA = """
花子 ハナコ|幸子 サチコ|洋子 ヨウコ|裕子 ユウコ|恵子/惠子 ケイコ|京子 キョウコ|和子 カズコ|節子 セツコ
久美子 クミコ|真由美/眞由美 マユミ|美穂 ミホ|直美 ナオミ|由美 ユミ|智子 トモコ|明美 アケミ|典子 ノリコ
順子 ジュンコ|富美子/冨美子 フミコ|静香/靜香 シズカ|寿子/壽子 ヒサコ|弥生/彌生 ヤヨイ|桜/櫻 サクラ
美咲 ミサキ|陽菜 ヒナ|結衣 ユイ|凛 リン|結菜 ユイナ|芽依 メイ|紬 ツムギ|莉子 リコ|美羽 ミウ|彩 アヤ
愛 アイ|翔子 ショウコ|涼子 リョウコ|優花 ユウカ|優奈 ユウナ|恵美 エミ|舞 マイ|千尋 チヒロ|香織 カオリ
沙織 サオリ|瞳 ヒトミ|彩香 アヤカ|奈々 ナナ|由紀 ユキ|理恵 リエ|亜希子 アキコ|悦子 エツコ|光子 ミツコ
清子 キヨコ|春子 ハルコ|冬美 フユミ|夏美 ナツミ|晴美 ハルミ|律子 リツコ|美香 ミカ|裕美 ヒロミ
加奈子 カナコ|早紀 サキ|朋美 トモミ|美里 ミサト|瑞穂 ミズホ|菜々子 ナナコ|遥 ハルカ|楓 カエデ|茜 アカネ
桃子 モモコ|真央/眞央 マオ|聡子 サトコ|操 ミサオ|梅子 ウメコ|千代 チヨ|登美子 トミコ|貴子 タカコ
郁子 イクコ|琴音 コトネ|杏 アン|葉月 ハヅキ|優希 ユウキ|小夜子 サヨコ
"""

# Prefecture, population weight (millions), municipalities.
_PREFECTURE_DATA = """
北海道 5.1 札幌市中央区 旭川市 函館市 空知郡南幌町
青森県 1.2 青森市 弘前市 三戸郡五戸町
岩手県 1.2 盛岡市 一関市
宮城県 2.3 仙台市青葉区 石巻市
秋田県 0.9 秋田市 横手市
山形県 1.0 山形市 鶴岡市
福島県 1.8 福島市 郡山市 いわき市
茨城県 2.8 水戸市 つくば市
栃木県 1.9 宇都宮市 小山市
群馬県 1.9 前橋市 高崎市
埼玉県 7.3 さいたま市浦和区 川越市 川口市
千葉県 6.3 千葉市中央区 船橋市 柏市
東京都 14.0 千代田区 新宿区 世田谷区 八王子市 町田市
神奈川県 9.2 横浜市港北区 川崎市中原区 相模原市中央区 藤沢市
新潟県 2.1 新潟市中央区 長岡市
富山県 1.0 富山市 高岡市 中新川郡上市町
石川県 1.1 金沢市 白山市
福井県 0.8 福井市 坂井市
山梨県 0.8 甲府市 笛吹市
長野県 2.0 長野市 松本市 北佐久郡軽井沢町
岐阜県 2.0 岐阜市 大垣市
静岡県 3.6 静岡市葵区 浜松市中央区
愛知県 7.5 名古屋市中区 豊田市 岡崎市
三重県 1.7 津市 四日市市
滋賀県 1.4 大津市 草津市
京都府 2.5 京都市左京区 宇治市
大阪府 8.8 大阪市北区 堺市堺区 豊中市
兵庫県 5.4 神戸市中央区 姫路市 西宮市
奈良県 1.3 奈良市 橿原市
和歌山県 0.9 和歌山市 田辺市
鳥取県 0.5 鳥取市 米子市
島根県 0.7 松江市 出雲市
岡山県 1.9 岡山市北区 倉敷市
広島県 2.8 広島市中区 福山市
山口県 1.3 山口市 下関市
徳島県 0.7 徳島市 阿南市
香川県 0.9 高松市 丸亀市 仲多度郡琴平町
愛媛県 1.3 松山市 今治市
高知県 0.7 高知市 南国市
福岡県 5.1 福岡市博多区 北九州市小倉北区 久留米市
佐賀県 0.8 佐賀市 唐津市
長崎県 1.3 長崎市 佐世保市
熊本県 1.7 熊本市中央区 八代市
大分県 1.1 大分市 別府市
宮崎県 1.1 宮崎市 都城市
鹿児島県 1.6 鹿児島市 霧島市
沖縄県 1.5 那覇市 沖縄市
"""

_TOWN_DATA = """
本町 中央 栄町 緑町 旭町 幸町 末広町 新町 東町 西町 南町 北町 若葉 青葉台 桜台 泉町 錦町 寿町 宮下町
清水町 松原 梅が丘 藤が丘 元町 港町 曙町 昭和町 大手町 駅前 城東 城西 平和町 日の出町 富士見 千代田
三崎町 六本木 一番町 四谷 八幡町 十日市 百人町 千石 万代 上野 下野 中野 大原 小原 宮田 新田 本郷
東山 西山 北方 南方 高田 八木 吉野 川原 平井 長岡 福田 今泉 岩崎 柳町 桜木町 鶴見 花園 春日 白山
"""
# Town names ending in a kanji numeral: part of the name, never a block number.
_NUMERAL_TOWN_DATA = "前弥六 三十三 八十八 七百 四十八 十三 五十 九十九 六十六 三百"

_BUILDINGS = ("コーポ青葉", "ハイツ桜", "メゾン緑", "グランドハイツ", "サンシャイン第2ビル", "レジデンス中央",
              "パークハイツ", "ヴィラ若葉", "シャトー旭", "エクセル栄", "ロイヤルマンション", "市営住宅3号棟",
              "ハイム富士見", "リバーサイド城東", "カーサ錦", "フォレスト春日")
_BANK_CODES = ("0001", "0005", "0009", "0010", "0017", "0033", "0036", "0116", "0149", "0158", "0179",
               "0288", "1251", "2004", "9900")

HYPHENS = "‐‑–—―−－ｰ-"
"""Hyphen look-alikes written in notation variants of addresses."""
_KANJI_DIGITS = "〇一二三四五六七八九"
_O_ROW = "オコソトノホモヨロヲゴゾドボポョォ"
_U_ROW = "ウクスツヌフムユルグズヅブプュゥ"
# Katakana a typo may insert or substitute: no ウ/オ/ー (those make long-vowel notation
# variants, not typos) and no small kana.
_TYPO_KANA = "アイエカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン" \
             "ガギグゲゴザジズゼゾダヂデドバビブベボパピプペポ"
_NAME_SPACE = "\u3000"
_ERAS = ((dt.date(2019, 5, 1), "令和"), (dt.date(1989, 1, 8), "平成"), (dt.date(1926, 12, 25), "昭和"))
_BIRTH_START = dt.date(1930, 1, 1)
_BIRTH_END = dt.date(2023, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
_NUMBER_SPACE = 10**11  # first 11 digits of a My Number
_ACCOUNT_SPACE = 10**10  # branch (3) + account (7)
_BUSINESS_KEY_SPACE = 10**10
_GIVEN_STEP = 13  # members of a household take given names base + pos * step (distinct)


@dataclass(frozen=True)
class _NamePool:
    forms: tuple[str, ...]  # all forms, flattened
    start: tuple[int, ...]  # index of an entry's first form in ``forms``
    count: tuple[int, ...]  # number of forms of an entry
    kana: tuple[str, ...]


def _name_pool(text: str) -> _NamePool:
    forms: list[str] = []
    start: list[int] = []
    count: list[int] = []
    kana: list[str] = []
    for item in text.replace("\n", "|").split("|"):
        if not item.strip():
            continue
        written, reading = item.split()
        variants = written.split("/")
        start.append(len(forms))
        count.append(len(variants))
        forms.extend(variants)
        kana.append(reading)
    if len(set(kana)) != len(kana):
        raise AssertionError("kana readings in a name pool must be unique")
    return _NamePool(tuple(forms), tuple(start), tuple(count), tuple(kana))


def _kanji_numeral(value: int) -> str:
    """1..9999 in kanji (十二, 百五, 二千三十)."""
    parts = []
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, value = divmod(value, unit_value)
        if digit:
            parts.append(("" if digit == 1 else _KANJI_DIGITS[digit]) + unit)
    if value:
        parts.append(_KANJI_DIGITS[value])
    return "".join(parts)


_SURNAMES = _name_pool(_SURNAME_DATA)
_MALE = _name_pool(_MALE_GIVEN_DATA)
_FEMALE = _name_pool(_FEMALE_GIVEN_DATA)
if set(_MALE.kana) & set(_FEMALE.kana):
    raise AssertionError("given-name readings must differ between the sexes")
# One given-name pool: male entries first, then female.
_GIVEN = _NamePool(_MALE.forms + _FEMALE.forms,
                   _MALE.start + tuple(s + len(_MALE.forms) for s in _FEMALE.start),
                   _MALE.count + _FEMALE.count, _MALE.kana + _FEMALE.kana)
_N_MALE = len(_MALE.kana)
_N_FEMALE = len(_FEMALE.kana)
if math.gcd(_GIVEN_STEP, _N_MALE) != 1 or math.gcd(_GIVEN_STEP, _N_FEMALE) != 1 \
        or min(_N_MALE, _N_FEMALE) <= 5 * _GIVEN_STEP:
    raise AssertionError("given-name pools must keep household members' names distinct")

_PREFECTURES: list[str] = []
_PREF_WEIGHTS: list[float] = []
_MUNICIPALITIES: list[str] = []
_MUNI_START: list[int] = []
_MUNI_COUNT: list[int] = []
for _line in _PREFECTURE_DATA.strip().splitlines():
    _pref, _weight, *_munis = _line.split()
    _PREFECTURES.append(_pref)
    _PREF_WEIGHTS.append(float(_weight))
    _MUNI_START.append(len(_MUNICIPALITIES))
    _MUNI_COUNT.append(len(_munis))
    _MUNICIPALITIES.extend(_munis)
_TOWNS = tuple(_TOWN_DATA.split()) + tuple(_NUMERAL_TOWN_DATA.split())
_TOWN_IS_NUMERAL = tuple(t in _NUMERAL_TOWN_DATA.split() for t in _TOWNS)
NUMERAL_TOWNS = frozenset(_NUMERAL_TOWN_DATA.split())
"""Town names ending in a kanji numeral, which is part of the name."""

_KANJI_NUMERALS = [""] + [_kanji_numeral(v) for v in range(1, 10_000)]
_FULLWIDTH_DIGITS = {str(d): chr(0xFF10 + d) for d in range(10)}
_HIRAGANA = {chr(cp): chr(cp - 0x60) for cp in range(0x30A1, 0x30F7)}


def _halfwidth_table() -> dict[str, str]:
    reverse: dict[str, str] = {}
    for cp in range(0xFF61, 0xFFA0):
        full = unicodedata.normalize("NFKC", chr(cp))
        if len(full) == 1:
            reverse.setdefault(full, chr(cp))
    table = {}
    for cp in range(0x30A1, 0x30FD):
        full = chr(cp)
        if full in reverse:
            table[full] = reverse[full]
            continue
        base, *mark = unicodedata.normalize("NFD", full)
        if mark and base in reverse:
            table[full] = reverse[base] + ("ﾞ" if mark[0] == "\u3099" else "ﾟ")
    table[_NAME_SPACE] = " "
    return table


_HALFWIDTH = _halfwidth_table()
_LONG_VOWEL = {**{c + "ウ": c + "ー" for c in _O_ROW + _U_ROW}, **{c + "オ": c + "ー" for c in _O_ROW}}
CP932_SUBSTITUTES = {"𠮷": "吉", "\u2011": "\u2010", "\u2013": "\u2010", "\u2014": "\u2015", "\u2212": "\uff0d",
                     "\u3094": "\u30f4", "\u3095": "\u30f5", "\u3096": "\u30f6"}
"""Characters cp932 cannot hold (or reads back as another) and what a cp932 file gets instead.

𠮷 is a 外字 in practice; the hyphen look-alikes stay hyphen look-alikes.
"""
_CP932_FALLBACK = str.maketrans(CP932_SUBSTITUTES)


def _cumulative(weights: Sequence[float]) -> pl.Series:
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return pl.Series(out, dtype=pl.Float64)


_SURNAME_CUM = _cumulative([1.0 / (rank + 8) ** 0.9 for rank in range(len(_SURNAMES.kana))])
_PREF_CUM = _cumulative(_PREF_WEIGHTS)
_HOUSEHOLD_SIZE_CUM = _cumulative([0.30, 0.28, 0.18, 0.15, 0.07, 0.02])  # sizes 1..6

# Literal lookup series (gathered by index inside expressions).
_S = {
    "surname_form": pl.Series(_SURNAMES.forms),
    "surname_start": pl.Series(_SURNAMES.start, dtype=pl.Int64),
    "surname_count": pl.Series(_SURNAMES.count, dtype=pl.Int64),
    "surname_kana": pl.Series(_SURNAMES.kana),
    "given_form": pl.Series(_GIVEN.forms),
    "given_start": pl.Series(_GIVEN.start, dtype=pl.Int64),
    "given_count": pl.Series(_GIVEN.count, dtype=pl.Int64),
    "given_kana": pl.Series(_GIVEN.kana),
    "pref": pl.Series(_PREFECTURES),
    "muni": pl.Series(_MUNICIPALITIES),
    "muni_start": pl.Series(_MUNI_START, dtype=pl.Int64),
    "muni_count": pl.Series(_MUNI_COUNT, dtype=pl.Int64),
    "town": pl.Series(_TOWNS),
    "town_numeral": pl.Series(_TOWN_IS_NUMERAL, dtype=pl.Boolean),
    "building": pl.Series(_BUILDINGS),
    "bank": pl.Series(_BANK_CODES),
    "kanji": pl.Series(_KANJI_NUMERALS),
    "hyphen": pl.Series(list(HYPHENS)),
}

# ---------------------------------------------------------------------------------------------
# Randomness: SplitMix64 over row indices, in Polars (u64 arithmetic wraps).
# ---------------------------------------------------------------------------------------------

_U64 = pl.UInt64
_MASK64 = (1 << 64) - 1


def _splitmix(value: int) -> int:
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _key(*parts: int) -> int:
    key = 0x5EED
    for part in parts:
        key = _splitmix(key ^ (part & _MASK64))
    return key


def _u(index: pl.Expr | str, key: int) -> pl.Expr:
    """A uniform u64 per row, from the row's index and a stream key."""
    x = pl.col(index) if isinstance(index, str) else index
    z = (x.cast(_U64) ^ pl.lit(key, _U64)) + pl.lit(0x9E3779B97F4A7C15, _U64)
    z = (z ^ (z // pl.lit(1 << 30, _U64))) * pl.lit(0xBF58476D1CE4E5B9, _U64)
    z = (z ^ (z // pl.lit(1 << 27, _U64))) * pl.lit(0x94D049BB133111EB, _U64)
    return z ^ (z // pl.lit(1 << 31, _U64))


def _below(u: pl.Expr, bound: int | pl.Expr) -> pl.Expr:
    """Integer in [0, bound) from a uniform u64 (bound may be a column)."""
    divisor = pl.lit(bound, _U64) if isinstance(bound, int) else bound.cast(_U64)
    return (u % divisor).cast(pl.Int64)


class _Draw:
    """Independent uniform fields from one u64 column (mixed radix: each field divides it further).

    A u64 holds about 60 bits of fields; ``below`` raises when a column is used up.
    """

    def __init__(self, column: str):
        self.u = pl.col(column)
        self.const = 1  # product of the constant bounds drawn so far
        self.rows: pl.Expr | None = None  # product of the per-row bounds drawn so far
        self.bits = 0.0

    def below(self, bound: int | pl.Expr, max_bound: int | None = None) -> pl.Expr:
        """Integer in [0, bound); ``max_bound`` is required for a per-row bound."""
        top = bound if isinstance(bound, int) else max_bound
        if top is None:
            raise ValueError("max_bound is required for a per-row bound")
        self.bits += math.log2(max(top, 2))
        if self.bits > 60:
            raise AssertionError("random column used up")
        rest = self.u // pl.lit(self.const, _U64) if self.const > 1 else self.u
        if self.rows is not None:
            rest = rest // self.rows
        divisor = pl.lit(bound, _U64) if isinstance(bound, int) else bound.cast(_U64)
        value = (rest % divisor).cast(pl.Int64)
        if isinstance(bound, int):
            self.const *= bound
        else:
            self.rows = divisor if self.rows is None else self.rows * divisor
        return value

    def unit(self) -> pl.Expr:
        """Float in [0, 1) with 20 bits."""
        return self.below(1 << 20).cast(pl.Float64) * (1.0 / (1 << 20))

    def pick(self, cumulative: pl.Series) -> pl.Expr:
        """Index drawn with the weights behind ``cumulative``."""
        return pl.lit(cumulative).search_sorted(self.unit(), side="right").cast(pl.Int64)


def _lookup(name: str, index: pl.Expr) -> pl.Expr:
    return pl.lit(_S[name]).gather(index)


def _days(day: dt.date) -> int:
    return (day - _EPOCH).days


# ---------------------------------------------------------------------------------------------
# Scenario counts
# ---------------------------------------------------------------------------------------------


def _shares(mix: Mapping[str, float] | None) -> dict[str, float]:
    if mix is None:
        return dict(SCENARIOS)
    unknown = set(mix) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios: {sorted(unknown)}")
    if any(v < 0 or not math.isfinite(v) for v in mix.values()):
        raise ValueError("scenario shares must be finite and non-negative")
    total = float(sum(mix.values()))
    if total <= 0:
        raise ValueError("scenario shares must not all be zero")
    return {k: float(mix.get(k, 0.0)) / total for k in SCENARIOS}


def scenario_counts(n: int, mix: Mapping[str, float] | None = None) -> dict[str, int]:
    """Number of records per scenario for ``n`` records: largest remainder, pairs even.

    Paired scenarios get an even count; what cannot be placed (e.g. a lone
    ``swapped_number`` record with no neighbour) goes to ``exact``.
    """
    shares = _shares(mix)
    counts = {k: math.floor(n * v + 1e-9) for k, v in shares.items()}
    for k in _PAIRED:
        counts[k] -= counts[k] % 2
    if n < 2:
        counts["swapped_number"] = 0
    left = n - sum(counts.values())
    single = [k for k in SCENARIOS if k not in _PAIRED and shares[k] > 0 and (n >= 2 or k != "swapped_number")]
    single.sort(key=lambda k: (-(n * shares[k] - math.floor(n * shares[k])), list(SCENARIOS).index(k)))
    i = 0
    while left > 0 and single:
        counts[single[i % len(single)]] += 1
        left -= 1
        i += 1
    counts["exact"] += left
    return counts


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------

# Address block separators by style (0 registry 2丁目1番2号, 1 2丁目1番地2号, 2 2-1-2, 3 2丁目-1-2,
# 4 2の1の2, 5 2丁目1-2), urban rows 0-5 then rural rows 6-11 (123番地4, 123番4号, 123-4, 123の4).
_S["sep1"] = pl.Series(("丁目", "丁目", "", "丁目", "の", "丁目") + ("",) * 6)
_S["hyp1"] = pl.Series((False, False, True, True, False, False) + (False,) * 6)
_S["sep2"] = pl.Series(("番", "番地", "", "", "の", "") + ("番地", "番", "", "", "の", ""))
_S["hyp2"] = pl.Series((False, False, True, True, False, True) * 2)
_S["sep3"] = pl.Series(("号", "号", "", "", "", "") + ("", "号", "", "", "", ""))
_S["oaza"] = pl.Series(("", "大字", "字"))
_ADDRESS_COMPONENTS = ("pref", "muni", "town", "oaza", "chome", "banchi", "go", "bldg", "room")
_COMPONENT_TYPES = {"pref": pl.Int8, "muni": pl.Int16, "town": pl.Int16, "oaza": pl.Int8, "chome": pl.Int8,
                    "banchi": pl.Int16, "go": pl.Int8, "bldg": pl.Int8, "room": pl.Int16}


def _with_address(frame: pl.DataFrame, index: str, key: int) -> pl.DataFrame:
    """``frame`` plus random address components: pref, muni, town, oaza, chome, banchi, go, bldg, room.

    chome is null for rural addresses (大字/字 + 番地); bldg is null without a building.
    """
    frame = frame.with_columns(_u(index, _key(key, 0)).alias("_a0"), _u(index, _key(key, 1)).alias("_a1"))
    d0, d1 = _Draw("_a0"), _Draw("_a1")
    frame = frame.with_columns(
        d0.pick(_PREF_CUM).alias("pref"), d0.below(len(_TOWNS)).alias("town"), d0.below(100).alias("_rural"),
        d0.below(100).alias("_oaza"), d1.below(9).alias("_chome"), d1.below(1200).alias("_banchi"),
        d1.below(30).alias("_go"), d1.below(100).alias("_bldg_roll"), d1.below(len(_BUILDINGS)).alias("_bldg"),
        d1.below(12).alias("_floor"), d1.below(12).alias("_door"), d0.below(60).alias("_muni"),
    )
    rural = pl.col("_rural_flag")
    frame = frame.with_columns(
        (_lookup("town_numeral", pl.col("town")) | (pl.col("_rural") < 18)).alias("_rural_flag"))
    exprs = {
        "pref": pl.col("pref"),
        "muni": _lookup("muni_start", pl.col("pref")) + pl.col("_muni") % _lookup("muni_count", pl.col("pref")),
        "town": pl.col("town"),
        "oaza": pl.when(~rural).then(0).when(pl.col("_oaza") < 45).then(1).when(pl.col("_oaza") < 70).then(2)
        .otherwise(0),
        "chome": pl.when(rural).then(None).otherwise(1 + pl.col("_chome")),
        "banchi": pl.when(rural).then(1 + pl.col("_banchi")).otherwise(1 + pl.col("_banchi") % 40),
        "go": 1 + pl.col("_go"),
        "bldg": pl.when(~rural & (pl.col("_bldg_roll") < 22)).then(pl.col("_bldg")).otherwise(None),
        "room": (1 + pl.col("_floor")) * 100 + 1 + pl.col("_door"),
    }
    frame = frame.with_columns([e.cast(_COMPONENT_TYPES[name]).alias(name) for name, e in exprs.items()])
    return frame.drop("_a0", "_a1", "_rural", "_oaza", "_chome", "_banchi", "_go", "_bldg_roll", "_bldg", "_floor",
                      "_door", "_muni", "_rural_flag")


def _address_text(*, pref: bool | pl.Expr = True, block: int | pl.Expr = 0, kanji: bool | pl.Expr = False,
                  full: bool | pl.Expr = False, hyphen: pl.Expr | None = None) -> pl.Expr:
    """Address from the component columns, in the registry form by default.

    Registry form: 東京都新宿区本町2丁目1番2号　コーポ青葉101号室, rural 大字七百123番地4.
    The keyword arguments (constants or per-row expressions) choose notation variants:
    prefecture shown, block style (see the separator tables), kanji numerals for 丁目 and
    番地 (never after a town name ending in a kanji numeral), full-width digits, hyphen.
    """
    rural = pl.col("chome").is_null()
    block_expr = pl.lit(block, pl.Int64) if isinstance(block, int) else block.cast(pl.Int64)
    idx = block_expr + rural.cast(pl.Int64) * 6
    c = pl.col("chome").cast(pl.String)
    b = pl.col("banchi").cast(pl.String)
    if kanji is not False:
        numeral_town = _lookup("town_numeral", pl.col("town").cast(pl.Int64))
        use_c = kanji & ~rural & block_expr.is_in([0, 1, 3, 5]) & ~numeral_town
        use_b = kanji & block_expr.is_in([0, 1]) & ~numeral_town
        c = pl.when(use_c).then(_lookup("kanji", pl.col("chome").fill_null(1).cast(pl.Int64))).otherwise(c)
        b = pl.when(use_b).then(_lookup("kanji", pl.col("banchi").cast(pl.Int64))).otherwise(b)
    parts = [
        _lookup("pref", pl.col("pref").cast(pl.Int64)) if pref is True
        else pl.when(pref).then(_lookup("pref", pl.col("pref").cast(pl.Int64))),
        _lookup("muni", pl.col("muni").cast(pl.Int64)),
        _lookup("oaza", pl.col("oaza").cast(pl.Int64)),
        _lookup("town", pl.col("town").cast(pl.Int64)),
        c, _lookup("sep1", idx),
    ]
    if hyphen is not None:
        parts.append(pl.when(_lookup("hyp1", idx)).then(hyphen))
    parts += [b, _lookup("sep2", idx)]
    if hyphen is not None:
        parts.append(pl.when(_lookup("hyp2", idx)).then(hyphen))
    parts += [
        pl.col("go").cast(pl.String), _lookup("sep3", idx),
        pl.when(pl.col("bldg").is_not_null()).then(pl.concat_str([
            pl.lit(_NAME_SPACE), _lookup("building", pl.col("bldg").fill_null(0).cast(pl.Int64)),
            pl.col("room").cast(pl.String), pl.lit("号室")])),
    ]
    text = pl.concat_str(parts, ignore_nulls=True)
    if full is not False:
        text = pl.when(full).then(text.str.replace_many(_FULLWIDTH_DIGITS)).otherwise(text)
    return text


def _surname_text(sur: str, form: str) -> pl.Expr:
    return _lookup("surname_form", _lookup("surname_start", pl.col(sur).cast(pl.Int64)) + pl.col(form))


def _given_text(given: str, form: str) -> pl.Expr:
    return _lookup("given_form", _lookup("given_start", pl.col(given).cast(pl.Int64)) + pl.col(form))


def _number_texts(core: pl.Series) -> pl.Series:
    """12-digit My Numbers from their first 11 digits (as integers): check digit appended."""
    frame = core.to_frame("core").with_columns(
        (pl.sum_horizontal([((pl.col("core") // 10 ** (10 - i)) % 10) * w for i, w in enumerate(CHECK_DIGIT_WEIGHTS)]) % 11)
        .alias("r"))
    digit = pl.when(pl.col("r") <= 1).then(0).otherwise(11 - pl.col("r"))
    return frame.select((pl.col("core") * 10 + digit + 10**12).cast(pl.String).str.slice(1).alias("my_number")) \
        .to_series()


def _affine(space: int, *parts: int) -> tuple[int, int]:
    """Multiplier coprime with ``space`` (a power of ten) and an offset, for a bijection."""
    key = _key(*parts)
    a = 1_000_003 + 2 * (key % 4_000_000)
    while a % 5 == 0:
        a += 2
    return a, _splitmix(key) % space


def _shuffled_index(length: int, key: int) -> pl.Series:
    """A random permutation of 0..length-1."""
    return pl.select(_u(pl.int_range(0, length, dtype=pl.Int64), key).rank("ordinal").cast(pl.Int64) - 1) \
        .to_series()


class _Shortage(Exception):
    """Not enough registry persons with a property; retried with more households."""


# ---------------------------------------------------------------------------------------------
# One chunk
# ---------------------------------------------------------------------------------------------

_STREAM = {name: i for i, name in enumerate((
    "household", "size", "surname", "head", "address", "names", "twin", "person", "rank", "number",
    "order", "family", "surname_change", "move", "notation", "account", "doppel", "dates", "business_key"))}


@dataclass
class _Chunk:
    registry: pl.DataFrame | None  # None when handed to ``on_registry``
    registry_rows: int
    records: pl.DataFrame
    truth: pl.DataFrame


def _households(h: int, twins: int, key: int) -> pl.DataFrame:
    """Households: surname, address (components and text), size, couple, twins, head's birth."""
    start, end = _days(_BIRTH_START), _days(_BIRTH_END)

    def k(name: str, j: int = 0) -> int:
        return _key(key, _STREAM[name], j)

    frame = pl.DataFrame({"hid": pl.int_range(0, h, eager=True, dtype=pl.Int32)})
    frame = frame.with_columns(
        (_u("hid", k("twin")).rank("ordinal") <= twins).alias("twin_hh"),
        _u("hid", k("household")).alias("_h0"),
        _u("hid", k("household", 1)).alias("_h1"),
    )
    frame = _with_address(frame, "hid", k("address"))
    d0, d1 = _Draw("_h0"), _Draw("_h1")
    frame = frame.with_columns(
        (1 + d0.pick(_HOUSEHOLD_SIZE_CUM)).alias("size"),
        (d0.below(100) < 85).alias("couple_roll"),
        d0.pick(_SURNAME_CUM).cast(pl.Int16).alias("sur"),
        d0.below(4).alias("_variant_roll"),
        d0.below(8).alias("_variant"),
        d1.below(2).alias("_head_sex"),
        d1.below(3650).alias("_spouse"),
        d1.below(701).alias("_jitter"),
        d1.below(_N_MALE).alias("_base_m"),
        d1.below(_N_FEMALE).alias("_base_f"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("twin_hh")).then(pl.max_horizontal("size", pl.lit(4, pl.Int64))).otherwise("size").alias("size"),
    ).with_columns(
        (pl.col("twin_hh") | ((pl.col("size") >= 2) & pl.col("couple_roll"))).alias("couple"),
    ).with_columns(
        (pl.col("size") - 1 - pl.col("couple").cast(pl.Int64)).alias("children"),
    )
    count = _lookup("surname_count", pl.col("sur").cast(pl.Int64))
    max_head = (pl.when(pl.col("children") == 0).then(end - 18 * 365)
                .otherwise(end - 22 * 365 - (pl.col("children") - 1) * 1095 - 700))
    spouse_off = pl.col("_spouse") - 1825
    frame = frame.with_columns(
        # A quarter of the households of a surname with variant kanji hold a variant form.
        pl.when((count > 1) & (pl.col("_variant_roll") == 0))
        .then(1 + pl.col("_variant") % pl.max_horizontal(count - 1, pl.lit(1, pl.Int64)))
        .otherwise(0).cast(pl.Int8).alias("sur_form"),
        (start + d1.below(max_head - start + 1, max_bound=end - start + 1)).cast(pl.Int32).alias("head_birth"),
        pl.when(spouse_off == 0).then(1).otherwise(spouse_off).cast(pl.Int32).alias("spouse_off"),
        (1 + pl.col("_head_sex")).cast(pl.Int8).alias("head_sex"),
        pl.col("_jitter").cast(pl.Int32).alias("child0_jitter"),
        pl.col("_base_m").cast(pl.Int16).alias("base_m"),
        pl.col("_base_f").cast(pl.Int16).alias("base_f"),
        pl.col("size").cast(pl.Int8),
    )
    frame = frame.with_columns(
        _surname_text("sur", "sur_form").alias("sur_text"),
        _lookup("surname_kana", pl.col("sur").cast(pl.Int64)).alias("sur_kana"),
        _address_text().alias("address"),
    )
    return frame.drop("couple_roll", "_h0", "_h1", "_variant_roll", "_variant", "_head_sex", "_spouse", "_jitter",
                      "_base_m", "_base_f", "children")


def _persons(households: pl.DataFrame, key: int) -> pl.DataFrame:
    """Explode households into persons with role, sex, birth date and given name."""
    start = _days(_BIRTH_START)
    frame = households.with_columns(pos=pl.int_ranges(0, "size", dtype=pl.Int8)).explode("pos")
    frame = frame.with_row_index("pid").with_columns(pl.col("pid").cast(pl.Int32))
    pos = pl.col("pos").cast(pl.Int32)
    frame = frame.with_columns(
        _u("pid", _key(key, _STREAM["person"])).alias("_p"),
        # Child ordinal (meaningful when >= 0): children follow the head and the spouse.
        (pos - 1 - pl.col("couple").cast(pl.Int32)).alias("_child"),
    )
    draw = _Draw("_p")
    child = pl.col("_child")
    is_spouse = pl.col("couple") & (pos == 1)
    head = pl.col("head_birth")
    spouse_birth = head + pl.col("spouse_off")
    spouse_birth = pl.when(spouse_birth < start).then(head + pl.col("spouse_off").abs()).otherwise(spouse_birth)
    child_birth = (pl.when((child == 0) | (pl.col("twin_hh") & (child == 1)))
                   .then(head + 22 * 365 + pl.col("child0_jitter"))
                   .otherwise(head + 22 * 365 + child * 1095 + draw.below(701)))
    frame = frame.with_columns(
        pl.when(pos == 0).then(pl.col("head_sex")).when(is_spouse).then(3 - pl.col("head_sex"))
        .otherwise(1 + draw.below(2)).cast(pl.Int8).alias("sex"),
        pl.when(pos == 0).then(head).when(is_spouse).then(spouse_birth).otherwise(child_birth)
        .cast(pl.Int32).alias("birth"),
        (pl.col("twin_hh") & (child >= 0) & (child <= 1)).alias("is_twin"),
        (pl.col("pid") - pos).cast(pl.Int32).alias("hstart"),
        draw.below(5).alias("_variant_roll"),
        draw.below(8).alias("_variant"),
    )
    given_local = pl.when(pl.col("sex") == 1) \
        .then((pl.col("base_m").cast(pl.Int32) + pos * _GIVEN_STEP) % _N_MALE) \
        .otherwise(_N_MALE + (pl.col("base_f").cast(pl.Int32) + pos * _GIVEN_STEP) % _N_FEMALE)
    frame = frame.with_columns(given_local.cast(pl.Int16).alias("given"))
    count = _lookup("given_count", pl.col("given").cast(pl.Int64))
    frame = frame.with_columns(
        # A fifth of the persons whose given name has variant kanji hold a variant form.
        pl.when((count > 1) & (pl.col("_variant_roll") == 0))
        .then(1 + pl.col("_variant") % pl.max_horizontal(count - 1, pl.lit(1, pl.Int64)))
        .otherwise(0).cast(pl.Int8).alias("given_form"),
    )
    frame = frame.with_columns(
        pl.concat_str(["sur_text", pl.lit(_NAME_SPACE), _given_text("given", "given_form")]).alias("name"),
        pl.concat_str(["sur_kana", pl.lit(_NAME_SPACE), _lookup("given_kana", pl.col("given").cast(pl.Int64))])
        .alias("name_kana"),
    )
    return frame.select(_PERSON_COLUMNS)


_PERSON_COLUMNS = ("pid", "hid", "pos", "size", "hstart", "is_twin", "sur", "sur_form", "given", "given_form",
                   "sex", "birth", *_ADDRESS_COMPONENTS, "name", "name_kana", "address")


def _choose_owners(persons: pl.DataFrame, core: pl.Series, counts: dict[str, int], key: int) -> pl.DataFrame:
    """One distinct registry person per record, with the property its scenario needs; random order."""
    day = pl.col("birth").cast(pl.Date).dt.day()
    ranked = persons.select(
        "pid",
        _u("pid", _key(key, _STREAM["rank"])).alias("rk"),
        pl.col("is_twin").alias("twin"),
        (core.head(persons.height) < _NUMBER_SPACE // 10).alias("leading_zero_lost"),
        ((day <= 12) & (day != pl.col("birth").cast(pl.Date).dt.month()) & ~pl.col("is_twin"))
        .alias("date_transposed"),
        (pl.col("size") >= 2).alias("family_member"),
    )
    taken = pl.Series("taken", [False], dtype=pl.Boolean).extend_constant(False, persons.height - 1)
    parts = []
    for scenario in _CONSTRAINED:
        need = counts.get(scenario, 0)
        if not need:
            continue
        chosen = ranked.filter(pl.col(scenario) & ~taken).bottom_k(need, by="rk").get_column("pid")
        if chosen.len() < need:
            raise _Shortage(scenario)
        taken = taken.scatter(chosen, True)
        parts.append(pl.DataFrame({"pid": chosen, "scenario": pl.Series([scenario]).extend_constant(scenario,
                                                                                                   need - 1)}))
    rest = [s for s in SCENARIOS if s not in _CONSTRAINED and counts.get(s, 0)]
    need = sum(counts[s] for s in rest)
    chosen = ranked.filter(~taken).bottom_k(need, by="rk").get_column("pid")
    if chosen.len() < need:
        raise _Shortage("persons")
    labels = pl.concat([pl.Series([s]).extend_constant(s, counts[s] - 1) for s in rest]) if rest \
        else pl.Series([], dtype=pl.String)
    parts.append(pl.DataFrame({"pid": chosen, "scenario": labels}))
    owners = pl.concat(parts)
    # Record order: random, so scenarios interleave.
    return owners.sort(_u("pid", _key(key, _STREAM["order"])))


def _pair_up(rows: list[tuple[int, int, int, str]], rng: random.Random
             ) -> tuple[list[tuple[int, int]], list[int]]:
    """Pair records (i, surname, household, address) of different people with different surname
    and address; return the pairs (i, i) and the rows left over."""
    pool = list(rows)
    rng.shuffle(pool)
    pairs, left = [], []
    while pool:
        a = pool.pop()
        for j in range(len(pool) - 1, -1, -1):
            b = pool[j]
            if a[1] != b[1] and a[2] != b[2] and a[3] != b[3]:
                pool.pop(j)
                pairs.append((min(a[0], b[0]), max(a[0], b[0])))
                break
        else:
            left.append(a[0])
    return sorted(pairs), sorted(left)


def _scatter(frame: pl.DataFrame, rows: Sequence[int] | pl.Series, values: Mapping[str, object]) -> pl.DataFrame:
    """Overwrite ``frame[rows, column]`` for each column (values: a list/Series or one value)."""
    idx = rows if isinstance(rows, pl.Series) else pl.Series(list(rows), dtype=pl.Int64)
    if idx.len() == 0:
        return frame
    cols = []
    for name, value in values.items():
        column = frame.get_column(name)
        if isinstance(value, pl.Series):
            series = value.cast(column.dtype)
        elif isinstance(value, list):
            series = pl.Series(value, dtype=column.dtype)
        else:
            series = pl.Series([value], dtype=column.dtype).extend_constant(value, idx.len() - 1)
        cols.append(column.clone().scatter(idx, series))
    return frame.with_columns(cols)


def _typo_kana(kana: str, rng: random.Random) -> str:
    """One katakana substituted, inserted or deleted (never the space, never a part emptied)."""
    parts = kana.split(_NAME_SPACE)
    which = rng.randrange(len(parts))
    part = parts[which]
    op = rng.randrange(3)
    i = rng.randrange(len(part))
    if op == 2 and len(part) >= 2:
        part = part[:i] + part[i + 1:]
    elif op == 1:
        j = rng.randrange(len(part) + 1)
        part = part[:j] + rng.choice(_TYPO_KANA) + part[j:]
    else:
        part = part[:i] + rng.choice([c for c in _TYPO_KANA if c != part[i]]) + part[i + 1:]
    parts[which] = part
    return _NAME_SPACE.join(parts)


def _typo_number(value: int, rng: random.Random) -> int:
    """``value`` with one decimal digit changed (the leading digit never becomes 0)."""
    digits = list(str(value))
    i = rng.randrange(len(digits))
    choices = [d for d in "0123456789" if d != digits[i] and not (i == 0 and d == "0")]
    digits[i] = rng.choice(choices)
    return int("".join(digits))


def _generate_chunk(n: int, *, seed: int, shares: dict[str, float], chunk: int, record_offset: int,
                    person_offset: int, on_registry: Callable[[pl.DataFrame], None] | None = None) -> _Chunk:
    """One chunk; ``on_registry`` takes the registry as soon as it is built (to write and free it)."""
    counts = scenario_counts(n, shares)
    factor = 0.53
    for attempt in range(12):
        try:
            return _build_chunk(n, counts, seed=seed, chunk=chunk, record_offset=record_offset,
                                person_offset=person_offset, factor=factor, attempt=attempt,
                                on_registry=on_registry)
        except _Shortage:
            factor *= 1.6
    raise ValueError("the scenario mix asks for more special persons than the registry can hold")


def _build_chunk(n: int, counts: dict[str, int], *, seed: int, chunk: int, record_offset: int,
                 person_offset: int, factor: float, attempt: int,
                 on_registry: Callable[[pl.DataFrame], None] | None) -> _Chunk:
    key = _key(seed, chunk, attempt)

    def k(name: str, j: int = 0) -> int:
        return _key(key, _STREAM[name], j)

    # --- registry: households and persons ------------------------------------------------------
    h = math.ceil(n * factor) + 8
    twins = min(h, counts["twin"] + math.ceil(h * 0.004))
    persons = _persons(_households(h, twins, key), key)
    p = persons.height
    n_doppel = counts["same_name_other_person"]
    # Numbers: an affine bijection of the global person index (shuffled within the chunk).
    a, b = _affine(_NUMBER_SPACE, seed, 1)
    core = ((_shuffled_index(p + n_doppel, k("number")) + person_offset) * a + b) % _NUMBER_SPACE
    owners = _choose_owners(persons, core, counts, key)
    rec = persons.select(pl.all().gather(owners.get_column("pid"))).with_columns(
        owners.get_column("scenario"), pl.int_range(0, pl.len(), dtype=pl.Int64).alias("i"))
    scen = pl.col("scenario")

    # Look-alike persons for same_name_other_person: same name, kana, birth date and sex,
    # another address; appended to the registry.
    doppel = rec.filter(scen == "same_name_other_person")
    if doppel.height:
        fresh = _with_address(doppel.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("j")), "j", k("doppel"))
        same = fresh.select(pl.struct(_ADDRESS_COMPONENTS)).to_series() == \
            doppel.select(pl.struct(_ADDRESS_COMPONENTS)).to_series()
        fresh = fresh.with_columns(pl.when(same).then(pl.col("go") % 30 + 1).otherwise("go").alias("go"))
        doppel = doppel.with_columns(
            pl.int_range(p, p + pl.len(), dtype=pl.Int32).alias("pid"),
            pl.int_range(h, h + pl.len(), dtype=pl.Int32).alias("hid"),
            pl.lit(0, pl.Int8).alias("pos"), pl.lit(1, pl.Int8).alias("size"),
            pl.int_range(p, p + pl.len(), dtype=pl.Int32).alias("hstart"), pl.lit(False).alias("is_twin"),
            *[fresh.get_column(c) for c in _ADDRESS_COMPONENTS],
        ).with_columns(_address_text().alias("address"))
        persons = pl.concat([persons, doppel.select(_PERSON_COLUMNS)])
    numbers = _number_texts(core)
    registry = persons.select(
        numbers, "name", "name_kana", pl.col("birth").cast(pl.Date).alias("birth_date"),
        pl.col("sex").cast(pl.String), "address",
    )
    births = persons.get_column("birth")
    registry_rows = persons.height
    del persons
    if on_registry is not None:
        on_registry(registry)
        registry = None

    # --- records: the registered number --------------------------------------------------------
    rng = random.Random(f"caseflow-synthetic/{seed}/{chunk}/{attempt}")
    size = pl.col("size").cast(pl.Int64)
    pos = pl.col("pos").cast(pl.Int64)
    hstart = pl.col("hstart").cast(pl.Int64)
    fam_pos = (pos + 1 + _below(_u("i", k("family")), pl.max_horizontal(size - 1, pl.lit(1, pl.Int64)))) % size
    rec = rec.with_columns(
        pl.when(scen == "family_member").then(hstart + fam_pos)
        .when(scen == "twin").then(hstart + 5 - pos)  # twins are children 0 and 1: positions 2 and 3
        .when(scen == "swapped_number")
        .then(pl.when(pl.col("i") > 0).then(pl.col("pid").shift(1)).otherwise(pl.col("pid").shift(-1)))
        .otherwise(pl.col("pid")).cast(pl.Int64).alias("num_pid"),
    )
    # A family member is never the person's twin (another birth date): fall back to the head.
    rec = rec.with_columns(
        pl.when((scen == "family_member") & (pl.lit(births).gather(pl.col("num_pid")) == pl.col("birth")))
        .then(hstart).otherwise("num_pid").alias("num_pid"),
    )
    rec = _scatter(rec, doppel.get_column("i") if n_doppel else [],
                   {"num_pid": pl.int_range(p, p + n_doppel, eager=True, dtype=pl.Int64)})
    other = rec.filter(scen == "other_person").select("i", "hstart", "size").rows()
    picks = []
    for _i, first, members in other:  # a random person of another household
        j = rng.randrange(p - members)
        picks.append(j + members if j >= first else j)
    rec = _scatter(rec, [r[0] for r in other], {"num_pid": picks})

    # Pairs of records of different people (different surname and address).
    pairs: dict[str, list[tuple[int, int]]] = {}
    leftovers: list[int] = []
    for scenario in _PAIRED:
        rows = rec.filter(scen == scenario).select("i", "sur", "hid", "address").rows()
        pairs[scenario], left = _pair_up(rows, rng)
        leftovers += left
    rec = _scatter(rec, leftovers, {"scenario": "exact"})
    wrong_side = [(second, first) if rng.random() < 0.5 else (first, second)
                  for first, second in pairs["duplicate_number"]]  # (wrong, right)
    owner_pid = rec.get_column("pid")
    rec = rec.with_columns(pl.lit(False).alias("wrong_side"))
    rec = _scatter(rec, [w for w, _ in wrong_side], {"num_pid": [owner_pid[r] for _, r in wrong_side],
                                                     "wrong_side": True})

    rec = rec.with_columns(pl.lit(numbers).gather(pl.col("num_pid")).alias("my_number"))
    bad = rec.filter(scen == "invalid_check_digit").select("i", "my_number").rows()
    rec = _scatter(rec, [r[0] for r in bad], {"my_number": [
        num[:11] + str((check_digit(num[:11]) + 1 + rng.randrange(9)) % 10) for _, num in bad]})
    rec = rec.with_columns(
        pl.when(scen == "leading_zero_lost").then(pl.col("my_number").str.slice(1)).otherwise("my_number")
        .alias("my_number"),
        pl.when(scen == "date_transposed")
        .then(pl.date(pl.col("birth").cast(pl.Date).dt.year(), pl.col("birth").cast(pl.Date).dt.day(),
                      pl.col("birth").cast(pl.Date).dt.month()))
        .otherwise(pl.col("birth").cast(pl.Date)).alias("birth_date"),
    )

    # --- records: the facts as the agency holds them -------------------------------------------
    # Unreported surname change: the record keeps the old surname.
    changed = rec.filter(scen == "surname_change")
    if changed.height:
        old = (pl.col("sur").cast(pl.Int64) + 1 + _below(_u("i", k("surname_change")), len(_SURNAMES.kana) - 1)) \
            % len(_SURNAMES.kana)
        changed = changed.with_columns(old.alias("old"), pl.lit(0, pl.Int64).alias("old_form")).select(
            "i",
            pl.concat_str([_surname_text("old", "old_form"), pl.lit(_NAME_SPACE), _given_text("given", "given_form")])
            .alias("name"),
            pl.concat_str([_lookup("surname_kana", pl.col("old")), pl.lit(_NAME_SPACE),
                           _lookup("given_kana", pl.col("given").cast(pl.Int64))]).alias("name_kana"),
        )
        rec = _scatter(rec, changed.get_column("i"), {c: changed.get_column(c) for c in ("name", "name_kana")})
    # Unreported move: the record keeps the old address.
    moved = rec.filter(scen == "move")
    if moved.height:
        old = _with_address(moved.select("i"), "i", k("move"))
        old = old.with_columns(
            pl.when(pl.struct(_ADDRESS_COMPONENTS) == moved.select(pl.struct(_ADDRESS_COMPONENTS)).to_series())
            .then(pl.col("go") % 30 + 1).otherwise("go").alias("go"))
        old = old.with_columns(_address_text().alias("address"))
        rec = _scatter(rec, old.get_column("i"), {"address": old.get_column("address")})
    # One digit of the house number changed.
    typo = rec.filter(scen == "typo_address")
    if typo.height:
        typo = typo.with_columns(pl.Series("go", [_typo_number(go, rng) for go in typo.get_column("go")],
                                           dtype=pl.Int8))
        typo = typo.with_columns(_address_text().alias("address"))
        rec = _scatter(rec, typo.get_column("i"), {"address": typo.get_column("address")})
    typo_kana = rec.filter(scen == "typo_kana").select("i", "name_kana").rows()
    rec = _scatter(rec, [r[0] for r in typo_kana], {"name_kana": [_typo_kana(kn, rng) for _, kn in typo_kana]})
    rec = _apply_notation(rec, k("notation"))

    # Bank account and business key: bijections of the global record index (shuffled within
    # the chunk so neighbouring records do not get neighbouring values), hence unique.
    acc_a, acc_b = _affine(_ACCOUNT_SPACE, seed, 2)
    key_a, key_b = _affine(_BUSINESS_KEY_SPACE, seed, 3)
    g = pl.col("i") + record_offset
    rec = rec.with_columns((_shuffled_index(rec.height, k("business_key")) + record_offset).alias("mixed"),
                           _u(g, _key(seed, _STREAM["account"])).alias("_acc"))
    draw = _Draw("_acc")
    rec = rec.with_columns(
        ((pl.col("mixed") * acc_a + acc_b) % _ACCOUNT_SPACE + _ACCOUNT_SPACE).cast(pl.String).alias("_digits"),
        ((draw.below(100) < 75) | (scen == "shared_bank_account")).alias("_has_account"),
        draw.below(len(_BANK_CODES)).alias("_bank"),
    )
    rec = rec.with_columns(
        pl.when(pl.col("_has_account"))
        .then(pl.concat_str([_lookup("bank", pl.col("_bank")), pl.lit("-"), pl.col("_digits").str.slice(1, 3),
                             pl.lit("-"), pl.col("_digits").str.slice(4)]))
        .otherwise(None).alias("bank_account"),
        ((pl.col("mixed") * key_a + key_b) % _BUSINESS_KEY_SPACE + _BUSINESS_KEY_SPACE).cast(pl.String).str.slice(1)
        .alias("business_key"),
        pl.concat_str([pl.lit("R"), (g + 1 + 10**9).cast(pl.String).str.slice(1)]).alias("record_id"),
    )
    accounts, keys = rec.get_column("bank_account"), rec.get_column("business_key")
    shared, dup_keys = pairs["shared_bank_account"], pairs["duplicate_business_key"]
    rec = _scatter(rec, [s for _, s in shared], {"bank_account": [accounts[f] for f, _ in shared]})
    rec = _scatter(rec, [s for _, s in dup_keys], {"business_key": [keys[f] for f, _ in dup_keys]})

    records = rec.select(
        "record_id", "my_number", "name",
        pl.when(scen == "kana_not_collected").then(None).otherwise("name_kana").alias("name_kana"),
        "birth_date",
        pl.when(scen == "sex_not_collected").then(None)
        .otherwise(pl.when(pl.col("sex") == 1).then(pl.lit("男")).otherwise(pl.lit("女"))).alias("sex"),
        "address", "bank_account", "business_key",
    )
    truth = rec.select(
        "record_id", "scenario",
        (~(scen.is_in(list(WRONG_LINKAGE)) | pl.col("wrong_side"))).alias("same_person"),
    )
    return _Chunk(registry, registry_rows, records, truth)


def _apply_notation(rec: pl.DataFrame, key: int) -> pl.DataFrame:
    """Rewrite the notation records' name, kana and address in notation variants only.

    Each record gets one primary variant (always applied) and, with probability 0.15 each,
    further ones. A record whose text came out unchanged gets the hyphen address form.
    Expensive string rewrites run only on the rows that need them.
    """
    sub = rec.filter(pl.col("scenario") == "notation")
    if sub.height == 0:
        return rec
    kinds = ("pref", "block", "full", "kanji", "oaza", "building", "variant", "name_space",
             "hira", "half", "kana_space", "long")
    weights = (0.10, 0.16, 0.06, 0.07, 0.04, 0.08, 0.09, 0.08, 0.08, 0.07, 0.07, 0.10)
    sub = sub.with_columns(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_r"),
                           *[_u("i", _key(key, j)).alias(f"_n{j}") for j in range(3)])
    d0, rolls = _Draw("_n0"), [_Draw("_n1"), _Draw("_n2")]
    sur_count = _lookup("surname_count", pl.col("sur").cast(pl.Int64))
    given_count = _lookup("given_count", pl.col("given").cast(pl.Int64))
    one = pl.lit(1, pl.Int64)
    sub = sub.with_columns(
        d0.pick(_cumulative(weights)).alias("primary"),
        *[(rolls[j // 6].below(100) < 15).alias(f"_x{j}") for j in range(len(kinds))],
        d0.below(5).alias("_block"), d0.below(2).alias("_kanji_block"), d0.below(len(HYPHENS)).alias("_hyphen"),
        d0.below(len(_BUILDINGS)).alias("_bldg"), d0.below(2).alias("_space"),
        d0.below(pl.max_horizontal(sur_count - 1, one), max_bound=4).alias("_sur_variant"),
        d0.below(pl.max_horizontal(given_count - 1, one), max_bound=4).alias("_given_variant"),
    )

    def on(kind: str) -> pl.Expr:
        j = kinds.index(kind)
        return (pl.col("primary") == j) | pl.col(f"_x{j}")

    sub = sub.with_columns(
        (~on("pref")).alias("a_pref"),
        pl.when(pl.col("primary") == kinds.index("kanji")).then(pl.col("_kanji_block"))
        .when(on("block")).then(1 + pl.col("_block")).otherwise(0).alias("a_block"),
        on("full").alias("a_full"),
        on("kanji").alias("a_kanji"),
        _lookup("hyphen", pl.col("_hyphen")).alias("a_hyphen"),
        pl.when(on("oaza") & pl.col("chome").is_null())
        .then(pl.when(pl.col("oaza") == 0).then(1).otherwise(0)).otherwise("oaza").cast(pl.Int8).alias("oaza"),
        pl.when(on("building") & pl.col("bldg").is_null()).then(pl.col("_bldg"))
        .when(on("building")).then(None).otherwise("bldg").cast(pl.Int8).alias("bldg"),
        pl.when(on("variant") & (sur_count > 1))
        .then((pl.col("sur_form") + 1 + pl.col("_sur_variant")) % sur_count)
        .otherwise("sur_form").alias("n_sur_form"),
        pl.when(on("variant") & (sur_count == 1) & (given_count > 1))
        .then((pl.col("given_form") + 1 + pl.col("_given_variant")) % given_count)
        .otherwise("given_form").alias("n_given_form"),
        pl.when(on("name_space")).then(pl.when(pl.col("_space") == 0).then(pl.lit(" ")).otherwise(pl.lit("")))
        .otherwise(pl.lit(_NAME_SPACE)).alias("n_space"),
        on("hira").alias("k_hira"), (on("half") & ~on("hira")).alias("k_half"),
        on("kana_space").alias("k_nospace"), on("long").alias("k_long"),
    )

    def styled() -> pl.Expr:
        return _address_text(pref=pl.col("a_pref"), block=pl.col("a_block"), kanji=pl.col("a_kanji"),
                             hyphen=pl.col("a_hyphen"))

    sub = sub.with_columns(
        pl.concat_str([_surname_text("sur", "n_sur_form"), pl.col("n_space"), _given_text("given", "n_given_form")])
        .alias("n_name"),
        pl.col("name_kana").alias("n_kana"),
        styled().alias("n_address"),
    )

    def rewrite(frame: pl.DataFrame, flag: pl.Expr, column: str, expr: pl.Expr) -> pl.DataFrame:
        part = frame.filter(flag).select("_r", expr.alias("_v"))
        return _scatter(frame, part.get_column("_r"), {column: part.get_column("_v")})

    kana = pl.col("n_kana")
    sub = rewrite(sub, pl.col("k_long"), "n_kana", kana.str.replace_many(_LONG_VOWEL, leftmost=True))
    sub = rewrite(sub, pl.col("k_nospace"), "n_kana", kana.str.replace_all(_NAME_SPACE, "", literal=True))
    sub = rewrite(sub, pl.col("k_hira"), "n_kana", kana.str.replace_many(_HIRAGANA))
    sub = rewrite(sub, pl.col("k_half"), "n_kana", kana.str.replace_many(_HALFWIDTH))
    unchanged = (pl.col("n_name") == pl.col("name")) & (pl.col("n_kana") == pl.col("name_kana")) \
        & (pl.col("n_address") == pl.col("address")) & ~pl.col("a_full")
    sub = rewrite(sub, unchanged, "n_address", _address_text(pref=pl.col("a_pref"), block=2, hyphen=pl.col("a_hyphen")))
    sub = rewrite(sub, pl.col("a_full"), "n_address", pl.col("n_address").str.replace_many(_FULLWIDTH_DIGITS))
    return _scatter(rec, sub.get_column("i"), {"name": sub.get_column("n_name"),
                                               "name_kana": sub.get_column("n_kana"),
                                               "address": sub.get_column("n_address")})


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate(n: int, *, seed: int = 0, mix: dict[str, float] | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Registry, records and truth for ``n`` business records (one chunk, in memory).

    ``mix`` maps scenario names (keys of :data:`SCENARIOS`) to shares; shares are
    normalised, missing scenarios get none. Birth dates are ``pl.Date``; registry sex is
    "1"/"2", record sex "男"/"女" (null when not collected); My Numbers are strings.
    The same ``seed`` and ``mix`` always give the same frames; ``write_dataset`` with
    ``chunk_size >= n`` writes exactly these frames.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    chunk = _generate_chunk(n, seed=seed, shares=_shares(mix), chunk=0, record_offset=0, person_offset=0)
    return chunk.registry, chunk.records, chunk.truth


def _date_text(column: str, style: str, index: pl.Expr, seed: int) -> pl.Expr:
    d = pl.col(column)
    if style == "iso":
        return d.dt.strftime("%Y-%m-%d")
    slash = pl.format("{}/{}/{}", d.dt.year(), d.dt.month(), d.dt.day())
    compact = d.dt.strftime("%Y%m%d")
    era = pl.lit("")
    year = pl.lit(0)
    for start, name in reversed(_ERAS):
        after = d >= pl.lit(start)
        era = pl.when(after).then(pl.lit(name)).otherwise(era)
        year = pl.when(after).then(d.dt.year() - start.year + 1).otherwise(year)
    era_text = pl.concat_str([era, pl.when(year == 1).then(pl.lit("元")).otherwise(year.cast(pl.String)),
                              pl.lit("年"), d.dt.month().cast(pl.String), pl.lit("月"),
                              d.dt.day().cast(pl.String), pl.lit("日")])
    roll = _below(_u(index, _key(seed, _STREAM["dates"])), 100)
    return (pl.when(roll < 55).then(d.dt.strftime("%Y-%m-%d")).when(roll < 70).then(slash)
            .when(roll < 85).then(compact).otherwise(era_text))


def _write(frame: pl.DataFrame, handle, *, header: bool, encoding: str, headers: str) -> None:
    if headers == "ja":
        frame = frame.rename({c: JA_HEADERS[c] for c in frame.columns if c in JA_HEADERS})
    if encoding == "utf-8":
        frame.write_csv(handle, include_header=header)
        return
    for offset in range(0, max(frame.height, 1), 200_000):
        part = frame.slice(offset, 200_000)
        text = part.write_csv(include_header=header and offset == 0)
        handle.write(text.translate(_CP932_FALLBACK).encode("cp932"))


def write_dataset(n: int, directory: str | Path, *, seed: int = 0, mix: dict[str, float] | None = None,
                  encoding: str = "utf-8", headers: str = "en", date_style: str = "iso",
                  chunk_size: int = 250_000) -> dict[str, Path]:
    """Write registry.csv, records.csv and truth.csv for ``n`` records into ``directory``.

    Generated and written ``chunk_size`` records at a time (memory stays bounded); My
    Numbers, record ids, bank accounts and business keys stay unique across chunks.
    ``encoding``: "utf-8" or "cp932" (characters cp932 cannot hold, such as 𠮷, are written as
    their nearest cp932 form). ``headers``: "en" or "ja" (管理番号, 個人番号 …; the truth file
    keeps scenario/same_person). ``date_style``: "iso", or "mixed" to write about 45 % of
    record birth dates as 1970/3/2, 19700302 or 昭和45年3月2日. Returns the paths by name
    ("registry", "records", "truth").
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    codec = {"utf-8": "utf-8", "utf8": "utf-8", "cp932": "cp932", "windows-31j": "cp932"}.get(encoding.lower())
    if codec is None:
        raise ValueError("encoding must be utf-8 or cp932")
    if headers not in ("en", "ja"):
        raise ValueError("headers must be 'en' or 'ja'")
    if date_style not in ("iso", "mixed"):
        raise ValueError("date_style must be 'iso' or 'mixed'")
    shares = _shares(mix)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.csv" for name in ("registry", "records", "truth")}
    person_offset = 0
    with paths["registry"].open("wb") as reg_fh, paths["records"].open("wb") as rec_fh, \
            paths["truth"].open("wb") as truth_fh:
        for chunk, start in enumerate(range(0, n, chunk_size)):
            size = min(chunk_size, n - start)
            first = chunk == 0

            def write_registry(registry: pl.DataFrame, first: bool = first) -> None:
                _write(registry, reg_fh, header=first, encoding=codec, headers=headers)

            part = _generate_chunk(size, seed=seed, shares=shares, chunk=chunk, record_offset=start,
                                   person_offset=person_offset, on_registry=write_registry)
            person_offset += part.registry_rows
            records = part.records.with_columns(
                _date_text("birth_date", date_style, pl.int_range(start, start + size, dtype=pl.Int64), seed)
                .alias("birth_date"))
            part.records = None
            _write(records, rec_fh, header=first, encoding=codec, headers=headers)
            del records
            truth = part.truth.rename({"record_id": JA_HEADERS["record_id"]}) if headers == "ja" else part.truth
            _write(truth, truth_fh, header=first, encoding=codec, headers="en")
            del part, truth
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m caseflow.matching.synthetic --n N --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m caseflow.matching.synthetic",
                                     description="Write a synthetic registry, business records and truth.")
    parser.add_argument("--n", type=int, required=True, help="number of business records")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "cp932"))
    parser.add_argument("--headers", default="en", choices=("en", "ja"))
    parser.add_argument("--date-style", default="iso", choices=("iso", "mixed"))
    parser.add_argument("--chunk-size", type=int, default=250_000)
    args = parser.parse_args(argv)
    paths = write_dataset(args.n, args.out, seed=args.seed, encoding=args.encoding, headers=args.headers,
                          date_style=args.date_style, chunk_size=args.chunk_size)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
