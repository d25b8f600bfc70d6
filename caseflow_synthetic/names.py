"""People's names: surname and given-name pools with variant kanji and readings, and kana typos.

A pool entry is written ``form/variant… reading``: the first form is the standard kanji, the
others variant kanji that the grader folds to it (髙橋, 𠮷田 …); the line order is a rough
frequency rank. Readings are unique within a pool, and the male and female given-name
readings differ, so that a reading names one entry.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import polars as pl

from caseflow_synthetic.frames import gather
from caseflow_synthetic.randomness import cumulative

NAME_SPACE = "\u3000"
"""The full-width space the registry writes between surname and given name (and before a building)."""

GIVEN_STEP = 13  # members of a household take given names base + pos * step (distinct)

# Katakana a typo may insert or substitute: no ウ/オ/ー (those make long-vowel notation
# variants, not typos) and no small kana.
_TYPO_KANA = "アイエカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン" \
             "ガギグゲゴザジズゼゾダヂデドバビブベボパピプペポ"


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


@dataclass(frozen=True)
class NamePool:
    """A pool of names: the written forms of each entry (standard first) and its reading."""

    forms: tuple[str, ...]  # all forms, flattened
    start: tuple[int, ...]  # index of an entry's first form in ``forms``
    count: tuple[int, ...]  # number of forms of an entry
    kana: tuple[str, ...]


def _name_pool(text: str) -> NamePool:
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
    return NamePool(tuple(forms), tuple(start), tuple(count), tuple(kana))


SURNAMES = _name_pool(_SURNAME_DATA)
_MALE = _name_pool(_MALE_GIVEN_DATA)
_FEMALE = _name_pool(_FEMALE_GIVEN_DATA)
if set(_MALE.kana) & set(_FEMALE.kana):
    raise AssertionError("given-name readings must differ between the sexes")
# One given-name pool: male entries first, then female.
GIVEN = NamePool(_MALE.forms + _FEMALE.forms,
                 _MALE.start + tuple(s + len(_MALE.forms) for s in _FEMALE.start),
                 _MALE.count + _FEMALE.count, _MALE.kana + _FEMALE.kana)
N_MALE = len(_MALE.kana)
N_FEMALE = len(_FEMALE.kana)
if math.gcd(GIVEN_STEP, N_MALE) != 1 or math.gcd(GIVEN_STEP, N_FEMALE) != 1 \
        or min(N_MALE, N_FEMALE) <= 5 * GIVEN_STEP:
    raise AssertionError("given-name pools must keep household members' names distinct")

# Literal tables, gathered by index inside expressions.
SURNAME_FORMS = pl.Series(SURNAMES.forms)
SURNAME_START = pl.Series(SURNAMES.start, dtype=pl.Int64)
SURNAME_COUNT = pl.Series(SURNAMES.count, dtype=pl.Int64)
SURNAME_KANA = pl.Series(SURNAMES.kana)
GIVEN_FORMS = pl.Series(GIVEN.forms)
GIVEN_START = pl.Series(GIVEN.start, dtype=pl.Int64)
GIVEN_COUNT = pl.Series(GIVEN.count, dtype=pl.Int64)
GIVEN_KANA = pl.Series(GIVEN.kana)
# Surnames drawn with a Zipf-like weight by rank.
SURNAME_CUM = cumulative([1.0 / (rank + 8) ** 0.9 for rank in range(len(SURNAMES.kana))])


def surname_text(sur: str, form: str) -> pl.Expr:
    """The surname of entry column ``sur`` in the form of column ``form`` (0 = standard)."""
    return gather(SURNAME_FORMS, gather(SURNAME_START, pl.col(sur).cast(pl.Int64)) + pl.col(form))


def given_text(given: str, form: str) -> pl.Expr:
    """The given name of entry column ``given`` in the form of column ``form`` (0 = standard)."""
    return gather(GIVEN_FORMS, gather(GIVEN_START, pl.col(given).cast(pl.Int64)) + pl.col(form))


def kana_with_typo(kana: str, rng: random.Random) -> str:
    """One katakana substituted, inserted or deleted (never the space, never a part emptied)."""
    parts = kana.split(NAME_SPACE)
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
    return NAME_SPACE.join(parts)
