"""Business days: weekends, national holidays (with 振替休日 and 国民の休日), the New Year closing."""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow.core.business_days import add_business_days, business_days_between, is_business_day, is_closing_day

D = dt.date


@pytest.mark.parametrize("day,open_", [
    # An ordinary week: Monday to Friday open, the weekend closed.
    (D(2026, 11, 16), True), (D(2026, 11, 17), True), (D(2026, 11, 18), True), (D(2026, 11, 19), True),
    (D(2026, 11, 20), True), (D(2026, 11, 21), False), (D(2026, 11, 22), False),
    (D(2026, 11, 23), False),  # 勤労感謝の日 (a Monday)
    # Golden Week 2026: 昭和の日 (Wed), then 憲法記念日 on a Sunday, so the Wednesday after is 振替休日.
    (D(2026, 4, 28), True), (D(2026, 4, 29), False), (D(2026, 4, 30), True), (D(2026, 5, 1), True),
    (D(2026, 5, 2), False), (D(2026, 5, 3), False), (D(2026, 5, 4), False), (D(2026, 5, 5), False),
    (D(2026, 5, 6), False), (D(2026, 5, 7), True),
    # Silver Week 2026: 敬老の日, 国民の休日 (a day between two holidays), 秋分の日.
    (D(2026, 9, 21), False), (D(2026, 9, 22), False), (D(2026, 9, 23), False), (D(2026, 9, 24), True),
    # The New Year closing, 12/29 to 1/3, on weekdays too.
    (D(2026, 12, 28), True), (D(2026, 12, 29), False), (D(2026, 12, 30), False), (D(2026, 12, 31), False),
    (D(2027, 1, 1), False), (D(2027, 1, 2), False), (D(2027, 1, 3), False), (D(2027, 1, 4), True),
    (D(2027, 1, 11), False),  # 成人の日
])
def test_is_business_day(day, open_):
    assert is_business_day(day) is open_


def test_closing_days_are_29_december_to_3_january_every_year():
    assert [is_closing_day(D(2025, 12, d)) for d in (28, 29, 31)] == [False, True, True]
    assert [is_closing_day(D(2025, 1, d)) for d in (1, 3, 4)] == [True, True, False]
    # 2025-12-29 and 12-30 are a Monday and a Tuesday: closed all the same.
    assert not is_business_day(D(2025, 12, 29)) and not is_business_day(D(2025, 12, 30))
    assert is_business_day(D(2025, 12, 26)) and is_business_day(D(2026, 1, 5))


@pytest.mark.parametrize("start,n,expected", [
    (D(2026, 11, 16), 0, D(2026, 11, 16)),
    (D(2026, 11, 16), 1, D(2026, 11, 17)),
    (D(2026, 11, 16), 4, D(2026, 11, 20)),
    (D(2026, 11, 16), 5, D(2026, 11, 24)),  # over the weekend and 勤労感謝の日
    (D(2026, 11, 21), 1, D(2026, 11, 24)),  # from a Saturday: the day itself does not count
    (D(2026, 11, 16), 10, D(2026, 12, 1)),
    (D(2026, 4, 28), 1, D(2026, 4, 30)),
    (D(2026, 4, 28), 3, D(2026, 5, 7)),  # Golden Week, 振替休日 included
    (D(2026, 5, 1), 1, D(2026, 5, 7)),
    (D(2026, 12, 25), 2, D(2027, 1, 4)),  # 12/28, then the closing, then 1/4
    (D(2026, 12, 28), 10, D(2027, 1, 18)),  # the closing and 成人の日 (1/11)
    (D(2026, 5, 7), -1, D(2026, 5, 1)),
    (D(2027, 1, 4), -1, D(2026, 12, 28)),
])
def test_add_business_days(start, n, expected):
    assert add_business_days(start, n) == expected


@pytest.mark.parametrize("a,b,expected", [
    (D(2026, 11, 16), D(2026, 11, 16), 0),
    (D(2026, 11, 16), D(2026, 11, 20), 4),
    (D(2026, 11, 20), D(2026, 11, 23), 0),  # Saturday, Sunday, 勤労感謝の日
    (D(2026, 11, 20), D(2026, 11, 24), 1),
    (D(2026, 4, 28), D(2026, 5, 7), 3),
    (D(2026, 12, 28), D(2027, 1, 4), 1),
    (D(2026, 5, 7), D(2026, 4, 28), -3),
])
def test_business_days_between(a, b, expected):
    assert business_days_between(a, b) == expected


def test_between_inverts_add_over_a_year():
    start = D(2026, 1, 1)
    for n in range(0, 260, 7):
        assert business_days_between(start, add_business_days(start, n)) == n


def test_a_year_has_the_expected_number_of_open_days():
    # 2026: 261 weekdays − 16 holidays on weekdays (元日 aside) − 5 closing weekdays (1/1, 1/2, 12/29–12/31).
    days = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert sum(map(is_business_day, days)) == 240
