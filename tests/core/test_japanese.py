import datetime as dt

import pytest

from caseflow.core.japanese import jst, wareki


@pytest.mark.parametrize("day,expected", [
    (dt.date(2026, 11, 23), "令和8年11月23日"),
    (dt.date(2019, 5, 1), "令和元年5月1日"),
    (dt.date(2019, 4, 30), "平成31年4月30日"),
    (dt.date(1989, 1, 8), "平成元年1月8日"),
    (dt.date(1989, 1, 7), "昭和64年1月7日"),
    (dt.date(1970, 3, 2), "昭和45年3月2日"),
    (dt.date(1926, 12, 24), "大正15年12月24日"),
])
def test_wareki(day, expected):
    assert wareki(day) == expected


def test_jst_shows_japan_time():
    moment = dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.timezone.utc)
    assert jst(moment) == "2026-11-23 00:30"
