"""Japanese dates: the era calendar (和暦) and display formats; the hyphen look-alikes of Japanese text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

HYPHENS = "‐‑‒–—―−－ｰ─━﹣⁃"
"""Every dash-like character seen in agency files and typed into forms, besides "-" and ー.

The one set for addresses (caseflow.matching.normalize) and My Numbers (caseflow.core.mynumber,
the extract reader): a hyphen look-alike is a hyphen wherever one is expected. Where text is
NFKC-normalised first, the full-width forms have become "-" and ー already.
"""

# (first day, name, abbreviation). Dates before 明治6年 (solar calendar) are not expected.
ERAS: tuple[tuple[dt.date, str, str], ...] = (
    (dt.date(2019, 5, 1), "令和", "R"),
    (dt.date(1989, 1, 8), "平成", "H"),
    (dt.date(1926, 12, 25), "昭和", "S"),
    (dt.date(1912, 7, 30), "大正", "T"),
    (dt.date(1868, 10, 23), "明治", "M"),
)


def era_of(day: dt.date) -> tuple[str, int]:
    """Era name and year in the era (1 for 元年)."""
    for start, name, _abbr in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError("明治より前の日付には対応していません")


def wareki(day: dt.date | None) -> str:
    """令和8年11月23日 (元年 for the first year)."""
    if day is None:
        return ""
    name, year = era_of(day)
    year_text = "元" if year == 1 else str(year)
    return f"{name}{year_text}年{day.month}月{day.day}日"


def ymd(day: dt.date | None) -> str:
    """2026年11月23日."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def jst(moment: dt.datetime | None) -> str:
    """A timestamp in Japan time, to the minute."""
    if moment is None:
        return ""
    local = moment.astimezone(JST)
    return local.strftime("%Y-%m-%d %H:%M")


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()
