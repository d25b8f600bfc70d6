"""The registry's people: households (a surname, an address, a couple, children, some twins)
exploded into persons with a role, sex, birth date and given name.

Members of a household take distinct given names, and a household may hold a variant form of
its surname, so that a wrongly linked number can belong to a real family member who differs
from the record's person only in what a family differs in.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from caseflow_synthetic.addresses import ADDRESS_COMPONENTS, address_text, with_address
from caseflow_synthetic.frames import gather
from caseflow_synthetic.names import (
    GIVEN_COUNT,
    GIVEN_KANA,
    GIVEN_STEP,
    N_FEMALE,
    N_MALE,
    NAME_SPACE,
    SURNAME_COUNT,
    SURNAME_CUM,
    SURNAME_KANA,
    given_text,
    surname_text,
)
from caseflow_synthetic.randomness import STREAM, Draw, cumulative, stream_key, uniform

_BIRTH_START = dt.date(1930, 1, 1)
_BIRTH_END = dt.date(2023, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
_HOUSEHOLD_SIZE_CUM = cumulative([0.30, 0.28, 0.18, 0.15, 0.07, 0.02])  # sizes 1..6


def _days(day: dt.date) -> int:
    return (day - _EPOCH).days


def make_households(h: int, twins: int, key: int) -> pl.DataFrame:
    """Households: surname, address (components and text), size, couple, twins, head's birth."""
    start, end = _days(_BIRTH_START), _days(_BIRTH_END)

    def k(name: str, j: int = 0) -> int:
        return stream_key(key, STREAM[name], j)

    frame = pl.DataFrame({"hid": pl.int_range(0, h, eager=True, dtype=pl.Int32)})
    frame = frame.with_columns(
        (uniform("hid", k("twin")).rank("ordinal") <= twins).alias("twin_hh"),
        uniform("hid", k("household")).alias("_h0"),
        uniform("hid", k("household", 1)).alias("_h1"),
    )
    frame = with_address(frame, "hid", k("address"))
    d0, d1 = Draw("_h0"), Draw("_h1")
    frame = frame.with_columns(
        (1 + d0.pick(_HOUSEHOLD_SIZE_CUM)).alias("size"),
        (d0.below(100) < 85).alias("couple_roll"),
        d0.pick(SURNAME_CUM).cast(pl.Int16).alias("sur"),
        d0.below(4).alias("_variant_roll"),
        d0.below(8).alias("_variant"),
        d1.below(2).alias("_head_sex"),
        d1.below(3650).alias("_spouse"),
        d1.below(701).alias("_jitter"),
        d1.below(N_MALE).alias("_base_m"),
        d1.below(N_FEMALE).alias("_base_f"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("twin_hh")).then(pl.max_horizontal("size", pl.lit(4, pl.Int64))).otherwise("size").alias("size"),
    ).with_columns(
        (pl.col("twin_hh") | ((pl.col("size") >= 2) & pl.col("couple_roll"))).alias("couple"),
    ).with_columns(
        (pl.col("size") - 1 - pl.col("couple").cast(pl.Int64)).alias("children"),
    )
    count = gather(SURNAME_COUNT, pl.col("sur").cast(pl.Int64))
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
        surname_text("sur", "sur_form").alias("sur_text"),
        gather(SURNAME_KANA, pl.col("sur").cast(pl.Int64)).alias("sur_kana"),
        address_text().alias("address"),
    )
    return frame.drop("couple_roll", "_h0", "_h1", "_variant_roll", "_variant", "_head_sex", "_spouse", "_jitter",
                      "_base_m", "_base_f", "children")


def make_persons(households: pl.DataFrame, key: int) -> pl.DataFrame:
    """Explode households into persons with role, sex, birth date and given name."""
    start = _days(_BIRTH_START)
    frame = households.with_columns(pos=pl.int_ranges(0, "size", dtype=pl.Int8)).explode("pos")
    frame = frame.with_row_index("pid").with_columns(pl.col("pid").cast(pl.Int32))
    pos = pl.col("pos").cast(pl.Int32)
    frame = frame.with_columns(
        uniform("pid", stream_key(key, STREAM["person"])).alias("_p"),
        # Child ordinal (meaningful when >= 0): children follow the head and the spouse.
        (pos - 1 - pl.col("couple").cast(pl.Int32)).alias("_child"),
    )
    draw = Draw("_p")
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
        .then((pl.col("base_m").cast(pl.Int32) + pos * GIVEN_STEP) % N_MALE) \
        .otherwise(N_MALE + (pl.col("base_f").cast(pl.Int32) + pos * GIVEN_STEP) % N_FEMALE)
    frame = frame.with_columns(given_local.cast(pl.Int16).alias("given"))
    count = gather(GIVEN_COUNT, pl.col("given").cast(pl.Int64))
    frame = frame.with_columns(
        # A fifth of the persons whose given name has variant kanji hold a variant form.
        pl.when((count > 1) & (pl.col("_variant_roll") == 0))
        .then(1 + pl.col("_variant") % pl.max_horizontal(count - 1, pl.lit(1, pl.Int64)))
        .otherwise(0).cast(pl.Int8).alias("given_form"),
    )
    frame = frame.with_columns(
        pl.concat_str(["sur_text", pl.lit(NAME_SPACE), given_text("given", "given_form")]).alias("name"),
        pl.concat_str(["sur_kana", pl.lit(NAME_SPACE), gather(GIVEN_KANA, pl.col("given").cast(pl.Int64))])
        .alias("name_kana"),
    )
    return frame.select(PERSON_COLUMNS)


PERSON_COLUMNS = ("pid", "hid", "pos", "size", "hstart", "is_twin", "sur", "sur_form", "given", "given_form",
                  "sex", "birth", *ADDRESS_COMPONENTS, "name", "name_kana", "address")
