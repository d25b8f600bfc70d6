"""The typed values of an extract: birth dates, sex codes and flags, as agencies write them.

Birth dates come as 1970-03-02, 1970/3/2, 19700302, 1970年3月2日, 昭和45年3月2日, S45.3.2 (and
with full-width digits, spaces or a time after them); sex codes as 男/女, 1/2, M/F (0 and 9: not
known); flags (住登外) as 1/0, ○/×, true/false. Every parser returns the values and, per row, a
Japanese problem text for each value it cannot read, which the reader
(:mod:`caseflow.matching.extracts`) turns into a refusal.

On the grader's hot path: a column is parsed in the layout of its first value in one
vectorised pass, and the slow Python parsing runs once per distinct value, never per row.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import polars as pl

from caseflow.core.japanese import ERAS, today_jst, ymd

# --- birth dates -------------------------------------------------------------------------------

# Western dates in one of the accepted layouts, rewritten to Y-M-D for one vectorised parse.
_WESTERN_PATTERN = (
    r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
_COMPACT_PATTERN = r"^([0-9]{4})([0-9]{2})([0-9]{2})$"
# (layout of a whole value, chrono format) tried on the whole column, chosen by its first value.
_COLUMN_LAYOUTS = (
    (re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"), "%Y-%m-%d"),
    (re.compile(r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"), "%Y/%m/%d"),
    (re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}"), "%Y.%m.%d"),
    (re.compile(r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日"), "%Y年%m月%d日"),
    (re.compile(r"[0-9]{8}"), "%Y%m%d"),
)
_WESTERN = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ERA = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR])\.?(元|[0-9]{1,2})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?")
_ERA_PATTERN = (
    r"^(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])\.?(?P<year>元|[0-9]{1,2})"
    r"[-/.年](?P<month>[0-9]{1,2})[-/.月](?P<day>[0-9]{1,2})日?$"
)
_TIME_SUFFIX = re.compile(r"(?:[T\s]+)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$")
_DATE_EXAMPLES = "例：1970-03-02、19700302、1970/3/2、1970年3月2日、昭和45年3月2日、S45.3.2"

# era name or letter → (first day, first day of the next era or None, name)
_ERA_SPANS: dict[str, tuple[dt.date, dt.date | None, str]] = {}
for _index, (_start, _name, _abbr) in enumerate(ERAS):
    _next = ERAS[_index - 1][0] if _index > 0 else None
    _ERA_SPANS[_name] = _ERA_SPANS[_abbr] = _ERA_SPANS[_abbr.lower()] = (_start, _next, _name)
_EARLIEST_BIRTH = min(start for start, _name, _abbr in ERAS)


def parse_birth_dates(raw: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """Birth dates, and per row the problem text (None when there is none)."""
    parsed = _parse_in_first_layout(raw)
    problems: dict[str, str] = {}
    unparsed = raw.is_not_null() & parsed.is_null()
    if unparsed.any():
        # The rest is parsed once per distinct value: a million rows hold at most ~40,000 dates.
        everything = parsed.null_count() == parsed.len()
        subset = raw if everything else raw.filter(unparsed)
        distinct = subset.drop_nulls().unique()
        dates = pl.select(pl.coalesce(_western_dates(distinct), _era_dates(distinct))).to_series()
        # Full-width digits, odd spacing and impossible dates: in Python, with the reason.
        missing = dates.is_null().arg_true()
        if missing.len():
            slow = [_parse_date_text(value) for value in distinct.gather(missing).to_list()]
            dates = dates.scatter(missing, pl.Series([day for day, _ in slow], dtype=pl.Date))
            for value, (_, text) in zip(distinct.gather(missing), slow, strict=True):
                if text is not None:
                    problems[value] = text
        found = _lookup(subset, distinct, dates)
        parsed = found if everything else parsed.scatter(unparsed.arg_true(), found)
    earliest, today = _EARLIEST_BIRTH, today_jst()
    out_of_range = (parsed < earliest) | (parsed > today)
    if out_of_range.any():
        wrong = pl.DataFrame({"value": raw, "day": parsed}).filter(out_of_range).unique("value")
        for value, day in wrong.iter_rows():
            when = "未来" if day > today else "明治より前"
            problems[value] = f"生年月日{_quoted(value)}が{when}の日付です。"
        parsed = parsed.set(out_of_range, None)
    if not problems:
        return parsed, None
    return parsed, _map_values(raw, list(problems), list(problems.values()), pl.String)


def _western_dates(values: pl.Series) -> pl.Series:
    """Any accepted Western layout, vectorised; null for anything else or an impossible date."""
    canonical = values.str.replace(_WESTERN_PATTERN, "${1}-${2}-${3}").str.replace(_COMPACT_PATTERN, "${1}-${2}-${3}")
    is_canonical = canonical.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")
    return canonical.str.to_date("%Y-%m-%d", strict=False).set(~is_canonical, None)


def _era_dates(values: pl.Series) -> pl.Series:
    """Era dates (昭和45年3月2日, S45.3.2, 令和元年…), vectorised; null when not one or outside its era."""
    eras = list(_ERA_SPANS)
    parts = values.str.extract_groups(_ERA_PATTERN).struct.unnest()
    start = pl.col("era").replace_strict(eras, [_ERA_SPANS[e][0] for e in eras], default=None, return_dtype=pl.Date)
    end = pl.col("era").replace_strict(eras, [_ERA_SPANS[e][1] for e in eras], default=None, return_dtype=pl.Date)
    year = pl.when(pl.col("year") == "元").then(pl.lit("1")).otherwise(pl.col("year")).cast(pl.Int32, strict=False)
    day = pl.format("{}-{}-{}", start.dt.year() + year - 1, pl.col("month"), pl.col("day")).str.to_date(
        "%Y-%m-%d", strict=False
    )
    in_era = (year >= 1) & (day >= start) & (end.is_null() | (day < end))
    return parts.select(pl.when(in_era).then(day)).to_series()


def _parse_in_first_layout(raw: pl.Series) -> pl.Series:
    """Parse the whole column in the layout of its first value (an extract uses one layout).

    Values in another layout, or impossible, come back null for the slower paths.
    """
    first = raw.drop_nulls().head(1).to_list()
    for layout, chrono_format in _COLUMN_LAYOUTS:
        if first and layout.fullmatch(first[0]):
            parsed = raw.str.to_date(chrono_format, strict=False, cache=False)
            # chrono also takes "+1970-3-2" and, for %Y%m%d, "1970032": leave those to the
            # slow path, which refuses them.
            odd = raw.str.starts_with("+")
            if chrono_format == "%Y%m%d":
                odd = odd | (raw.str.len_bytes() != 8)
            return parsed.set(odd, None) if odd.any() else parsed
    return pl.Series(raw.name, [None] * raw.len(), dtype=pl.Date)


def _parse_date_text(value: str) -> tuple[dt.date | None, str | None]:
    """One date as written (any accepted layout, full-width, era); (date, None) or (None, why)."""
    text = _TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", value).strip())
    text = re.sub(r"\s+", "", text).upper()
    shown = _quoted(value)
    unreadable = f"生年月日{shown}を日付として読み取れません（{_DATE_EXAMPLES}）。"
    era = _ERA.fullmatch(text)
    if era:
        start, end, name = _ERA_SPANS[era[1]]
        year_in_era = 1 if era[2] == "元" else int(era[2])
        day = _date_or_none(start.year + year_in_era - 1, int(era[3]), int(era[4]))
        if day is None or year_in_era == 0:
            return None, f"生年月日{shown}は存在しない日付です。"
        if day < start or (end is not None and day >= end):
            last = f"{ymd(end - dt.timedelta(days=1))}" if end is not None else ""
            return None, f"生年月日{shown}は{name}の期間（{ymd(start)}〜{last}）にない日付です。"
        return day, None
    western = _WESTERN.fullmatch(text) or _COMPACT.fullmatch(text)
    if western:
        day = _date_or_none(int(western[1]), int(western[2]), int(western[3]))
        if day is None:
            return None, f"生年月日{shown}は存在しない日付です。"
        return day, None
    return None, unreadable


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_birth_date(value: str) -> dt.date | None:
    """One birth date as written (any layout the extracts accept, full-width, an era), or None: the
    scalar twin of ``parse_birth_dates``, for a date typed into a form (the search box)."""
    return _parse_date_text(value)[0]


# --- sex codes ---------------------------------------------------------------------------------

_SEX_CODES = {
    **dict.fromkeys(("男", "男性", "1", "m", "male"), "male"),
    **dict.fromkeys(("女", "女性", "2", "f", "female"), "female"),
    # ISO 5218: 0 = not known, 9 = not applicable.
    **dict.fromkeys(("0", "9"), None),
}


def parse_sexes(raw: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """"male"/"female"/None per row, and per row the problem text (None when there is none)."""
    values = raw.drop_nulls().unique().to_list()
    if not values:
        return raw, None
    codes: list[str | None] = []
    problems: dict[str, str] = {}
    for value in values:
        key = unicodedata.normalize("NFKC", value).strip().casefold()
        codes.append(_SEX_CODES.get(key))
        if key not in _SEX_CODES:
            problems[value] = (
                f"性別{_quoted(value)}を読み取れません。男・女、1・2、M・F のいずれかで入力してください"
                "（不明のときは空欄、0 または 9）。"
            )
    sexes = _map_values(raw, values, codes, pl.String)
    if not problems:
        return sexes, None
    return sexes, _map_values(raw, list(problems), list(problems.values()), pl.String)


# --- flags (住登外) -------------------------------------------------------------------------------

# Compared after NFKC and case folding: ○ 〇 ◯ are the marks a form ticks, 1/0 and true/false what
# a database writes.
_FLAGS = {
    **dict.fromkeys(("1", "○", "〇", "◯", "●", "レ", "✓", "✔", "true", "t", "yes", "y", "はい", "有", "あり",
                     "該当", "住登外", "住登外者"), True),
    **dict.fromkeys(("0", "×", "✕", "false", "f", "no", "n", "いいえ", "無", "なし", "非該当", "住登者"), False),
}


def parse_flags(raw: pl.Series, label: str) -> tuple[pl.Series, pl.Series | None]:
    """True/False/None (empty: not known) per row, and per row the problem text (None when there is none)."""
    values = raw.drop_nulls().unique().to_list()
    if not values:
        return raw, None
    flags: list[bool | None] = []
    problems: dict[str, str] = {}
    for value in values:
        key = unicodedata.normalize("NFKC", value).strip().casefold()
        flags.append(_FLAGS.get(key))
        if key not in _FLAGS:
            problems[value] = (f"{label}{_quoted(value)}を読み取れません。該当するときは 1・○・true、"
                               "該当しないときは 0・空欄 で入力してください。")
    parsed = _map_values(raw, values, flags, pl.Boolean)
    if not problems:
        return parsed, None
    return parsed, _map_values(raw, list(problems), list(problems.values()), pl.String)


# --- helpers -----------------------------------------------------------------------------------


def _lookup(raw: pl.Series, keys: pl.Series, values: pl.Series) -> pl.Series:
    """``raw`` with each of the (distinct) ``keys`` replaced by the matching value, anything else null."""
    table = pl.DataFrame({"key": keys, "value": values})
    # A left join keeping the left order is faster than replace_strict for many keys.
    joined = pl.DataFrame({"key": raw}).join(table, on="key", how="left", maintain_order="left")
    return joined["value"].alias(raw.name)


def _map_values(raw: pl.Series, keys: list, values: list, dtype: pl.DataType) -> pl.Series:
    """``raw`` with each of ``keys`` replaced by the matching value, anything else null."""
    if not keys:
        return pl.Series(raw.name, [None] * raw.len(), dtype=dtype)
    if len(keys) <= 16:
        # A few comparisons beat replace_strict's hash table for sex codes and rare problems.
        expression = pl.lit(None, dtype=dtype)
        for key, value in zip(reversed(keys), reversed(values), strict=True):
            expression = pl.when(pl.lit(raw) == key).then(pl.lit(value, dtype=dtype)).otherwise(expression)
        return pl.select(expression).to_series().alias(raw.name)
    return raw.replace_strict(keys, values, default=None, return_dtype=dtype)


def _quoted(value: str) -> str:
    """「value」, or nothing when the value could be a My Number (特定個人情報: never echoed)."""
    digits = sum(ch.isdigit() for ch in unicodedata.normalize("NFKC", value))
    if digits > 8 or len(value) > 40:
        return ""
    return f"「{value}」"
