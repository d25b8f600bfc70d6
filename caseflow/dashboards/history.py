"""How many cases were in each status, day by day, from the cases' audit trail.

A case's status at a moment is the ``to_status`` of its last event up to then. Only events
that change the status count (a comment or an escalation leaves it as it is), so the number
of cases in a status at the end of a day is the events that entered it up to that day minus
those that left it: one grouped query over the events, then running sums in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import accumulate

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.access import visible_cases_clause
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.japanese import JST, today_jst
from caseflow.policy import Permission, unrestricted
from caseflow.users.models import User


@dataclass(frozen=True)
class StatusHistory:
    """Cases per status at the end of each date (JST), oldest date first."""

    dates: tuple[dt.date, ...]
    counts: dict[CaseStatus, tuple[int, ...]]

    def at(self, index: int) -> dict[CaseStatus, int]:
        return {status: values[index] for status, values in self.counts.items()}

    def totals(self) -> tuple[int, ...]:
        """All cases that existed at the end of each date."""
        return tuple(sum(values[i] for values in self.counts.values()) for i in range(len(self.dates)))

    def rows(self) -> list[tuple[dt.date, list[int], int]]:
        """(date, counts in CaseStatus order, total) per date, for a table."""
        totals = self.totals()
        return [(day, [self.counts[s][i] for s in CaseStatus], totals[i]) for i, day in enumerate(self.dates)]

    def series(self) -> list[tuple[str, tuple[int, ...]]]:
        """(status label, counts) per status, for a line chart."""
        return [(status.label, self.counts[status]) for status in CaseStatus]


def history_dates(today: dt.date, days: int, step: int) -> list[dt.date]:
    """Every ``step`` days going back at most ``days`` from ``today``, oldest first, ending with today."""
    if step < 1 or days < 0:
        raise ValueError("step must be at least 1 day and days not negative")
    return [today - dt.timedelta(days=k * step) for k in range(days // step, -1, -1)]


def end_of_day(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` in Japan (its midnight), as an aware UTC timestamp."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=JST).astimezone(dt.timezone.utc)


def status_history(session: Session, user: User, *, days: int = 90, step: int = 7,
                   today: dt.date | None = None) -> StatusHistory:
    """The number of cases ``user`` may see in each status at the end of every ``step``-th day (JST).

    One grouped query: each status-changing event falls in the first reporting date whose day
    it is not after (events before the first date in the first), counted per (date, from, to);
    entering a status adds one, leaving it takes one away, and running sums give the counts.
    """
    dates = history_dates(today or today_jst(), days, step)
    ends = [end_of_day(day) for day in dates]
    bucket = sa.case(*((CaseEvent.created_at < end, i) for i, end in enumerate(ends)))
    changes = (
        sa.select(bucket.label("bucket"), CaseEvent.from_status, CaseEvent.to_status)
        .where(CaseEvent.created_at < ends[-1], CaseEvent.from_status.is_distinct_from(CaseEvent.to_status))
    )
    if not unrestricted(user, Permission.CASE_VIEW):
        # Most of the query's time on millions of events: skipped when every case counts.
        changes = changes.join(Case, Case.id == CaseEvent.case_id).where(visible_cases_clause(user))
    changes = changes.subquery()
    # Grouped outside the subquery: PostgreSQL cannot tell that two renderings of the CASE with
    # its bound timestamps are the same expression.
    rows = session.execute(
        sa.select(changes.c.bucket, changes.c.from_status, changes.c.to_status, sa.func.count())
        .group_by(changes.c.bucket, changes.c.from_status, changes.c.to_status)
    ).all()
    delta = {status: [0] * len(dates) for status in CaseStatus}
    for index, from_status, to_status, n in rows:
        if to_status is not None:
            delta[to_status][index] += n
        if from_status is not None:
            delta[from_status][index] -= n
    return StatusHistory(tuple(dates), {status: tuple(accumulate(d)) for status, d in delta.items()})

