"""Business days (開庁日) of Japanese government offices: pure functions, no Flask, no ORM.

An office is closed on Saturdays and Sundays, on national holidays (国民の祝日, with their
substitute holidays 振替休日 and the 国民の休日 between two holidays, as ``jpholiday`` knows
them) and over the New Year closing, 29 December to 3 January (行政機関の休日に関する法律).
"""

from __future__ import annotations

import datetime as dt

import jpholiday

# (month, day) of the year-end and New Year closing (年末年始の休日).
CLOSING_DAYS: frozenset[tuple[int, int]] = frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)})

_ONE_DAY = dt.timedelta(days=1)


def is_closing_day(day: dt.date) -> bool:
    """True from 29 December to 3 January."""
    return (day.month, day.day) in CLOSING_DAYS


def is_business_day(day: dt.date) -> bool:
    """True when government offices are open: a weekday, not a holiday, not the New Year closing."""
    return day.weekday() < 5 and not is_closing_day(day) and not jpholiday.is_holiday(day)


def add_business_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th business day after ``day`` (before it when ``n`` is negative).

    ``day`` itself is not counted, whether or not it is a business day, so a
    case detected on a Saturday with ``n=1`` is due on the Monday (or the next
    open day). ``n=0`` returns ``day`` unchanged.
    """
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(a: dt.date, b: dt.date) -> int:
    """How many business days lie after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

    The inverse of :func:`add_business_days` going forward:
    ``business_days_between(a, add_business_days(a, n)) == n`` for ``n >= 0``.
    """
    if b < a:
        return -business_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += _ONE_DAY
        if is_business_day(day):
            count += 1
    return count
