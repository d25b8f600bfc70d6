"""Writing the data set: registry.csv, records.csv and truth.csv, chunk by chunk.

UTF-8 or CP932 (what cp932 cannot hold is written as its nearest form), English or Japanese
headers (the extract reader's field labels), ISO or mixed birth-date notations.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from caseflow.core.japanese import ERAS
from caseflow.matching.fields import EXTRACT_FIELDS, LABELS
from caseflow_synthetic.chunks import generate_chunk
from caseflow_synthetic.randomness import STREAM, below, stream_key, uniform
from caseflow_synthetic.scenarios import normalised_shares

REGISTRY_COLUMNS = ("my_number", "name", "name_kana", "birth_date", "sex", "address")
"""The columns of registry.csv."""
RECORD_COLUMNS = tuple(field.key for field in EXTRACT_FIELDS)
"""The columns of records.csv: every field of an extract."""
TRUTH_COLUMNS = ("record_id", "scenario", "same_person")
"""The columns of truth.csv."""
JA_HEADERS = dict(LABELS)
"""Column → Japanese header (管理番号, 個人番号 …), as the extract reader knows them."""

CP932_SUBSTITUTES = {"𠮷": "吉", "\u2011": "\u2010", "\u2013": "\u2010", "\u2014": "\u2015", "\u2212": "\uff0d",
                     "\u3094": "\u30f4", "\u3095": "\u30f5", "\u3096": "\u30f6"}
"""Characters cp932 cannot hold (or reads back as another) and what a cp932 file gets instead.

𠮷 is a 外字 in practice; the hyphen look-alikes stay hyphen look-alikes.
"""
_CP932_FALLBACK = str.maketrans(CP932_SUBSTITUTES)


def _date_text(column: str, style: str, index: pl.Expr, seed: int) -> pl.Expr:
    d = pl.col(column)
    if style == "iso":
        return d.dt.strftime("%Y-%m-%d")
    slash = pl.format("{}/{}/{}", d.dt.year(), d.dt.month(), d.dt.day())
    compact = d.dt.strftime("%Y%m%d")
    era = pl.lit("")
    year = pl.lit(0)
    for start, name, _abbr in reversed(ERAS):
        after = d >= pl.lit(start)
        era = pl.when(after).then(pl.lit(name)).otherwise(era)
        year = pl.when(after).then(d.dt.year() - start.year + 1).otherwise(year)
    era_text = pl.concat_str([era, pl.when(year == 1).then(pl.lit("元")).otherwise(year.cast(pl.String)),
                              pl.lit("年"), d.dt.month().cast(pl.String), pl.lit("月"),
                              d.dt.day().cast(pl.String), pl.lit("日")])
    roll = below(uniform(index, stream_key(seed, STREAM["dates"])), 100)
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
    shares = normalised_shares(mix)
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

            part = generate_chunk(size, seed=seed, shares=shares, chunk=chunk, record_offset=start,
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
