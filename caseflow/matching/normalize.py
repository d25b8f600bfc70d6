"""Normalisation of names, kana and addresses, as Polars expressions.

Every normaliser is a chain of vectorised string operations (run in Rust, on
all cores), so a million values normalise in a fraction of a second. Each has
a scalar twin for tests and single records. All are idempotent: normalising a
normalised value changes nothing.

Folding tables are data (``data/*.tsv`` and the tables below), not code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import polars as pl

from caseflow.core.japanese import HYPHENS

DATA = Path(__file__).parent / "data"

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)

_HIRAGANA = "ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ"
_KATAKANA = "ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ"

# Kana that name readings write either way (small kana, ヴ/ブ, ヂ/ジ …): folded to one form.
KANA_FOLDS = {
    # two-character forms first: replace_many takes the first pattern that matches
    "ヴァ": "バ", "ヴィ": "ビ", "ヴェ": "ベ", "ヴォ": "ボ",
    "ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ", "ッ": "ツ", "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ",
    "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ", "ヴ": "ブ", "ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヰ": "イ", "ヱ": "エ",
}

# Long vowels: サトウ, サトー and サトオ are one name; so are ユウコ/ユーコ and ケイコ/ケーコ.
# The vowel-lengthening kana (or ー) after a kana of the same row is dropped.
_LONG_VOWEL = (
    r"([アカサタナハマヤラワガザダバパ])[アー]+"
    r"|([イキシチニヒミリギジビピ])[イー]+"
    r"|([ウクスツヌフムユルグズブプ])[ウー]+"
    r"|([エケセテネヘメレゲゼデベペ])[エイー]+"
    r"|([オコソトノホモヨロゴゾドボポ])[オウー]+"
)

_KANJI_DIGITS = "〇一二三四五六七八九"
_DASHES = (*HYPHENS, "ー")
# A "-" followed by any run of hyphens and look-alikes (regex character class).
_DASH_RUN = "-[" + "".join(_DASHES) + r"\-]+"


@cache
def _address_token_table() -> tuple[list[str], list[str]]:
    """One Aho-Corasick pass that writes every address in the 1-2-3 notation.

    Full-width digits become ASCII and spaces go; a prefecture goes; after a digit,
    丁目, 番地, 番, の and every hyphen look-alike become "-", 号 goes (号室 stays a
    room); 大字 and 字 go. Doing all this in one automaton instead of NFKC and a
    string of regular expressions is most of the speed of address normalisation.
    """
    pairs: dict[str, str] = {" ": "", "\u3000": "", "\t": "", "大字": "", "字": ""}
    for prefecture in PREFECTURES:
        pairs[prefecture] = ""
    for digit, ascii_digit in [*zip("0123456789", "0123456789", strict=True),
                               *zip("０１２３４５６７８９", "0123456789", strict=True)]:
        pairs[digit] = ascii_digit
        pairs[digit + "号室"] = ascii_digit + "室"
        for token in ("丁目", "番地", "番", "の", *_DASHES):
            pairs[digit + token] = ascii_digit + "-"
        pairs[digit + "号"] = ascii_digit
        # 3号101号室: a room number right after 号 must not run into the house number
        for next_digit, next_ascii in [*zip("0123456789", "0123456789", strict=True),
                                       *zip("０１２３４５６７８９", "0123456789", strict=True)]:
            pairs[digit + "号" + next_digit] = ascii_digit + "/" + next_ascii
    # An ASCII digit alone would be replaced by itself: left out, a digit followed by no token is
    # no match at all (the same result: a match is only ever taken from its leftmost start), and
    # the pass takes a sixth less time (addresses are full of digits).
    patterns = sorted((p for p in pairs if pairs[p] != p), key=len, reverse=True)
    return patterns, [pairs[p] for p in patterns]


_UNITS = {"千": 1000, "百": 100, "十": 10}
_KANJI_NUMBER = re.compile(r"([〇一二三四五六七八九十百千]+)(丁目|番地|番|号(?!室))")
_KANJI_TOKEN = r"[〇一二三四五六七八九十百千]+(?:丁目|番地|番|号)"  # for Polars (no look-ahead there)


def kanji_to_int(text: str) -> int | None:
    """十一 → 11, 千五十八 → 1058, 一〇五八 → 1058; None when it is not a number."""
    if not text:
        return None
    if not any(unit in text for unit in _UNITS):
        return int("".join(str(_KANJI_DIGITS.index(c)) for c in text))
    total, digit = 0, None
    for char in text:
        if char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        elif digit is not None:
            return None  # two digits in a row inside 千百十 notation
        else:
            digit = _KANJI_DIGITS.index(char)
    return total + (digit or 0)


def _replace_kanji_number(match: re.Match) -> str:
    numeral, suffix = match.group(1), match.group(2)
    if suffix == "丁目":
        # A town name may end in a numeral (前弥六 + 十一丁目): take the longest tail that is
        # a plausible chōme (1–29) and leave the rest to the town name.
        for start in range(len(numeral)):
            value = kanji_to_int(numeral[start:])
            if value is not None and 1 <= value <= 29:
                return f"{numeral[:start]}{value}-"
        return match.group(0)
    value = kanji_to_int(numeral)
    if not value:
        return match.group(0)
    return f"{value}" if suffix == "号" else f"{value}-"


def _kanji_numbers_to_digits(values: pl.Series) -> pl.Series:
    """Kanji numerals in number positions (before 丁目, 番地, 番, 号) to digits.

    Converting every kanji numeral would break town names ending in one
    (前弥六十一丁目 must not become 前弥611丁目). The numeral tokens are few and
    repeat (二丁目, 十二番地 …): each distinct token is converted once in Python,
    and one automaton pass puts them in place in the rows that hold one.
    """
    found = values.str.contains(_KANJI_TOKEN).fill_null(False)
    if not found.any():
        return values
    index = found.arg_true()
    rows = values.gather(index)
    tokens = rows.str.extract_all(_KANJI_TOKEN).explode().drop_nulls().unique().to_list()
    mapping = {token: _KANJI_NUMBER.sub(_replace_kanji_number, token) for token in tokens}
    patterns = sorted(mapping, key=len, reverse=True)
    converted = rows.str.replace_many(patterns, [mapping[p] for p in patterns], leftmost=True)
    return values.scatter(index, converted)


@cache
def kanji_variants() -> dict[str, str]:
    """Variant kanji in names → one form, from data/kanji_variants.tsv."""
    table: dict[str, str] = {}
    for line in (DATA / "kanji_variants.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        variant, standard = line.split("\t")[:2]
        table[variant] = standard
    return table


# --- expressions --------------------------------------------------------------------


def _nfkc_spaces(expr: pl.Expr) -> pl.Expr:
    # NFKC: full-width ASCII and half-width kana to their usual forms, U+3000 to a space.
    return (
        expr.str.normalize("NFKC")
        .map_batches(_join_marks, return_dtype=pl.String, is_elementwise=True)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


_SPACE_BEFORE_MARK = r"\s\p{M}"


def _join_marks(values: pl.Series) -> pl.Series:
    """A combining mark after white space joins the letter before the space (カ゛ → ガ).

    NFKC writes a spacing mark (゛, ゜, ¨, ¯ …) as a space and a combining mark; left so,
    removing the spaces of a name would join the mark to the letter only then, and
    normalising twice would give another value. The rows concerned are few: only they
    are rewritten.
    """
    found = values.str.contains(_SPACE_BEFORE_MARK).fill_null(False)
    if not found.any():
        return values
    index = found.arg_true()
    joined = values.gather(index).str.replace_all(r"\s+(\p{M})", "${1}").str.normalize("NFKC")
    return values.scatter(index, joined)


def name_expr(expr: pl.Expr) -> pl.Expr:
    """A kanji name: NFKC, variant kanji folded, spaces removed."""
    return name_parts_expr(expr).str.replace_all(" ", "", literal=True)


def name_parts_expr(expr: pl.Expr) -> pl.Expr:
    """Like name_expr but keeps one space between surname and given name (for splitting)."""
    variants = kanji_variants()
    return _nfkc_spaces(expr).str.replace_many(list(variants), list(variants.values()), leftmost=True)


def kana_expr(expr: pl.Expr) -> pl.Expr:
    """A kana name: katakana, small kana and long vowels folded, spaces removed.

    Spaces go before the long vowels are folded, so ノダ アオイ and ノダアオイ fold alike.
    """
    return _fold_long_vowels(_kana_base(expr).str.replace_all(" ", "", literal=True))


@cache
def _kana_table() -> tuple[list[str], list[str]]:
    """Half-width katakana (ﾊﾞ → バ), hiragana and the folds of KANA_FOLDS, to one katakana form.

    One Aho-Corasick pass does what NFKC, a hiragana map and the folds would do in three.
    """
    to_katakana = dict(zip(_HIRAGANA, _KATAKANA, strict=True))
    half = {}
    for code in range(0xFF66, 0xFF9E):
        char = chr(code)
        half[char] = unicodedata.normalize("NFKC", char)
        for mark in ("ﾞ", "ﾟ"):
            composed = unicodedata.normalize("NFKC", char + mark)
            if len(composed) == 1:
                half[char + mark] = composed
    pairs: dict[str, str] = {"\u3000": " ", "ﾞ": "", "ﾟ": ""}
    for source, target in [*half.items(), *to_katakana.items()]:
        pairs[source] = target
    # ヴァ → バ, ァ → ア …: applied to what the first two maps produce, and to katakana as written
    for source, target in KANA_FOLDS.items():
        pairs[source] = target
        for hira, kata in to_katakana.items():
            if source.startswith(kata):
                pairs[hira + source[len(kata):]] = target
    resolved = {}
    for source, target in pairs.items():
        resolved[source] = "".join(KANA_FOLDS.get(c, c) for c in target) if len(target) == 1 else target
    patterns = sorted(resolved, key=len, reverse=True)
    return patterns, [resolved[p] for p in patterns]


def _kana_base(expr: pl.Expr) -> pl.Expr:
    patterns, replacements = _kana_table()
    return (
        expr.str.replace_many(patterns, replacements, leftmost=True)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _fold_long_vowels(expr: pl.Expr) -> pl.Expr:
    # One pass is enough and idempotent: each match swallows the whole run of lengthening
    # kana after its base, so what follows a base afterwards cannot lengthen it.
    return expr.str.replace_all(_LONG_VOWEL, "$1$2$3$4$5")


def kana_columns(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(kana_parts_expr, kana_expr) of one column, sharing the work they have in common."""
    base = _kana_base(expr)
    return _fold_long_vowels(base), _fold_long_vowels(base.str.replace_all(" ", "", literal=True))


def address_expr(expr: pl.Expr) -> pl.Expr:
    """An address in one notation: 青森市新町1-2-3.

    Prefecture dropped, 大字/字 dropped, kanji numerals in number positions
    converted, 丁目/番地/番/号 and の between numbers written as hyphens,
    every hyphen look-alike a hyphen, spaces removed, and a building or room
    after the house number dropped.
    """
    return _address_once(expr).map_batches(_settle_addresses, return_dtype=pl.String, is_elementwise=True)


def _address_once(expr: pl.Expr) -> pl.Expr:
    patterns, replacements = _address_token_table()
    return (
        expr.str.replace_many(patterns, replacements, leftmost=True)
        .map_batches(_kanji_numbers_to_digits, return_dtype=pl.String, is_elementwise=True)
        # a look-alike written after 丁目 or 番地 (9丁目ｰ18): the token is "-" already. The whole run
        # after a "-" goes at once (9丁目ｰｰ18 too): folding one look-alike at a time left "-‐" for
        # a second pass to fold, so normalising twice gave another value.
        .str.replace_all(_DASH_RUN, "-")
        # keep up to the house number (a run of numbers joined by hyphens); drop a building after it
        .pipe(_up_to_house_number)
        .str.strip_chars_end("-")
    )


# What one pass can leave for a second to change: a digit before a token (a space, 字 or 号
# removed between them: 1 ー 2, 3号ー5, or a kanji numeral converted: 一号丁目), or a prefecture,
# 大字 or 字 that a removal joined together (青森字県).
_UNSETTLED = "[0-9](?:丁目|番|の|号|[" + "".join(_DASHES) + "])|大字|字|" + "|".join(PREFECTURES)
_SETTLE_ROUNDS = 5


def _settle_addresses(values: pl.Series) -> pl.Series:
    """Normalise again the few rows one pass left unsettled, until none is: idempotent.

    One automaton pass cannot see a token that only its own removals form. Checking the
    output costs one scan; real addresses almost never need a second round.
    """
    for _ in range(_SETTLE_ROUNDS):
        unsettled = values.str.contains(_UNSETTLED).fill_null(False)
        if not unsettled.any():
            break
        index = unsettled.arg_true()
        again = pl.select(_address_once(pl.lit(values.gather(index)))).to_series()
        values = values.scatter(index, again)
    return values


def _up_to_house_number(expr: pl.Expr) -> pl.Expr:
    # The first match of a pattern without capture groups runs on the regex engine's DFA,
    # five times faster than replacing through a capture group. No house number: unchanged.
    return pl.coalesce(expr.str.extract_all(r"^.*?\d+(?:-\d+)+").list.first(), expr)


# --- scalar twins -----------------------------------------------------------------------


def _apply(builder, value: str | None) -> str | None:
    if value is None:
        return None
    return pl.select(builder(pl.lit(value, dtype=pl.String))).item()


def normalize_name(value: str | None) -> str | None:
    return _apply(name_expr, value)


def normalize_kana(value: str | None) -> str | None:
    return _apply(kana_expr, value)


def normalize_address(value: str | None) -> str | None:
    return _apply(address_expr, value)
