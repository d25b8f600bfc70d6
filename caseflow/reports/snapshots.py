"""Month-end snapshots: the national figures frozen, and compared with the month before."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.core.japanese import JST
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.policy import Permission, require
from caseflow.reports.figures import CauseCount, Grain, live_causes, live_grains
from caseflow.reports.models import ReportSnapshot
from caseflow.users.models import User


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_month(text: str) -> dt.date:
    """'2026-10' (or 2026/10) → 2026-10-31; a clear error otherwise."""
    try:
        year, month = (int(part) for part in text.replace("/", "-").split("-"))
        return month_end(dt.date(year, month, 1))
    except ValueError:
        raise DomainError(f"月は 2026-10 の形で指定してください（{text[:20]}）。") from None


def month_end_moment(period: dt.date) -> dt.datetime:
    """23:59:59 JST on the last day of ``period``'s month: the moment a month-end snapshot stands for."""
    return dt.datetime.combine(month_end(period), dt.time(23, 59, 59, 999_999), JST)


def take_snapshot(session: Session, actor: User | None, period: dt.date, *, now: dt.datetime | None = None
                  ) -> ReportSnapshot:
    """Freeze the national figures as they were at the end of the month of ``period``
    (month_end_moment), whenever it is taken: a few days late, cases opened or decided since
    do not count. A month not yet ended is refused; once taken a snapshot never changes.
    ``actor`` None is the server's command line; ``now`` defaults to the clock.
    """
    if actor is not None:
        require(actor, Permission.REPORT_SNAPSHOT)
    period = month_end(period)
    moment = month_end_moment(period)
    if (now or utcnow()) <= moment:
        raise DomainError(f"{period.year}年{period.month}月の集計は、月末（{period.month}月{period.day}日）が"
                          "終わってから確定できます。")
    if session.scalar(sa.select(ReportSnapshot.id).where(ReportSnapshot.period == period)) is not None:
        raise DomainError(f"{period.year}年{period.month}月の集計はすでに確定しています。", code="conflict")
    snapshot = ReportSnapshot(
        period=period, taken_by_id=actor.id if actor else None,
        rows=[g.as_dict() for g in live_grains(session, None, moment)],
        causes=[c.as_dict() for c in live_causes(session, None, moment)],
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def snapshots(session: Session) -> list[ReportSnapshot]:
    return session.scalars(sa.select(ReportSnapshot).order_by(ReportSnapshot.period.desc())).all()


def get_snapshot(session: Session, snapshot_id: int) -> ReportSnapshot:
    snapshot = session.get(ReportSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("集計が見つかりません。")
    return snapshot


def previous_snapshot(session: Session, snapshot: ReportSnapshot) -> ReportSnapshot | None:
    return session.scalars(
        sa.select(ReportSnapshot).where(ReportSnapshot.period < snapshot.period)
        .order_by(ReportSnapshot.period.desc()).limit(1)
    ).first()


def grains_of(snapshot: ReportSnapshot) -> list[Grain]:
    return [Grain.from_dict(row) for row in snapshot.rows]


def causes_of(snapshot: ReportSnapshot) -> list[CauseCount]:
    return [CauseCount(**row) for row in snapshot.causes]


@dataclass(frozen=True)
class Change:
    """One figure in this snapshot and the one before."""

    label: str
    current: int
    previous: int | None

    @property
    def delta(self) -> int | None:
        return None if self.previous is None else self.current - self.previous

    @property
    def delta_text(self) -> str:
        if self.delta is None:
            return "—"
        return f"{self.delta:+,}" if self.delta else "±0"
