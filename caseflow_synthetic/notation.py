"""Notation variants: the same name, reading and address as an agency may write them.

Variant kanji, a half-width or no space in a name; hiragana, half-width katakana, no space or
long-vowel marks in a reading; another block style, kanji numerals, full-width digits, hyphen
look-alikes, 大字, no prefecture or building in an address. The grader must take each for a
notation difference, never for another person.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from caseflow_synthetic.addresses import BUILDINGS, FULLWIDTH_DIGITS, HYPHEN_SERIES, HYPHENS, address_text
from caseflow_synthetic.frames import gather, scatter
from caseflow_synthetic.names import GIVEN_COUNT, NAME_SPACE, SURNAME_COUNT, given_text, surname_text
from caseflow_synthetic.randomness import Draw, cumulative, stream_key, uniform

_O_ROW = "オコソトノホモヨロヲゴゾドボポョォ"
_U_ROW = "ウクスツヌフムユルグズヅブプュゥ"
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
    table[NAME_SPACE] = " "
    return table


_HALFWIDTH = _halfwidth_table()
_LONG_VOWEL = {**{c + "ウ": c + "ー" for c in _O_ROW + _U_ROW}, **{c + "オ": c + "ー" for c in _O_ROW}}


def apply_notation(rec: pl.DataFrame, key: int) -> pl.DataFrame:
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
                           *[uniform("i", stream_key(key, j)).alias(f"_n{j}") for j in range(3)])
    d0, rolls = Draw("_n0"), [Draw("_n1"), Draw("_n2")]
    sur_count = gather(SURNAME_COUNT, pl.col("sur").cast(pl.Int64))
    given_count = gather(GIVEN_COUNT, pl.col("given").cast(pl.Int64))
    one = pl.lit(1, pl.Int64)
    sub = sub.with_columns(
        d0.pick(cumulative(weights)).alias("primary"),
        *[(rolls[j // 6].below(100) < 15).alias(f"_x{j}") for j in range(len(kinds))],
        d0.below(5).alias("_block"), d0.below(2).alias("_kanji_block"), d0.below(len(HYPHENS)).alias("_hyphen"),
        d0.below(len(BUILDINGS)).alias("_bldg"), d0.below(2).alias("_space"),
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
        gather(HYPHEN_SERIES, pl.col("_hyphen")).alias("a_hyphen"),
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
        .otherwise(pl.lit(NAME_SPACE)).alias("n_space"),
        on("hira").alias("k_hira"), (on("half") & ~on("hira")).alias("k_half"),
        on("kana_space").alias("k_nospace"), on("long").alias("k_long"),
    )

    def styled() -> pl.Expr:
        return address_text(pref=pl.col("a_pref"), block=pl.col("a_block"), kanji=pl.col("a_kanji"),
                            hyphen=pl.col("a_hyphen"))

    sub = sub.with_columns(
        pl.concat_str([surname_text("sur", "n_sur_form"), pl.col("n_space"), given_text("given", "n_given_form")])
        .alias("n_name"),
        pl.col("name_kana").alias("n_kana"),
        styled().alias("n_address"),
    )

    def rewrite(frame: pl.DataFrame, flag: pl.Expr, column: str, expr: pl.Expr) -> pl.DataFrame:
        part = frame.filter(flag).select("_r", expr.alias("_v"))
        return scatter(frame, part.get_column("_r"), {column: part.get_column("_v")})

    kana = pl.col("n_kana")
    sub = rewrite(sub, pl.col("k_long"), "n_kana", kana.str.replace_many(_LONG_VOWEL, leftmost=True))
    sub = rewrite(sub, pl.col("k_nospace"), "n_kana", kana.str.replace_all(NAME_SPACE, "", literal=True))
    sub = rewrite(sub, pl.col("k_hira"), "n_kana", kana.str.replace_many(_HIRAGANA))
    sub = rewrite(sub, pl.col("k_half"), "n_kana", kana.str.replace_many(_HALFWIDTH))
    unchanged = (pl.col("n_name") == pl.col("name")) & (pl.col("n_kana") == pl.col("name_kana")) \
        & (pl.col("n_address") == pl.col("address")) & ~pl.col("a_full")
    sub = rewrite(sub, unchanged, "n_address", address_text(pref=pl.col("a_pref"), block=2, hyphen=pl.col("a_hyphen")))
    sub = rewrite(sub, pl.col("a_full"), "n_address", pl.col("n_address").str.replace_many(FULLWIDTH_DIGITS))
    return scatter(rec, sub.get_column("i"), {"name": sub.get_column("n_name"),
                                              "name_kana": sub.get_column("n_kana"),
                                              "address": sub.get_column("n_address")})
