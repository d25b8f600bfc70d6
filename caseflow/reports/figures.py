"""Live figures from the cases and inspection batches, at the grain of (program, agency).

Every table — per program, per agency within a program, causes, A/B/C — and every snapshot
is built from these grains, so the figures agree wherever they are shown. What a user may
see is decided here, by the access policy's ``report.view`` (``caseflow.policy``), the case list's rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import OUTCOMES, Cause, ViewedOnPortal
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.organizations.models import Organization, Program
from caseflow.policy import Owned, Permission, clause, may, unrestricted
from caseflow.reports.estimate import Estimate, expected_remaining
from caseflow.reports.tables import Line, total
from caseflow.users.models import User

DECIDED = OUTCOMES["errors"] + OUTCOMES["dismissed"]


@dataclass
class Grain:
    """The figures of one agency in one program."""

    program_id: int
    agency_id: int
    ministry_id: int = 0
    records: int = 0  # records inspected (each distinct extract once)
    batches: int = 0
    count_a: int = 0
    count_b: int = 0
    count_c: int = 0
    cases: int = 0
    errors: int = 0
    viewed: int = 0
    resolved: int = 0
    dismissed: int = 0
    unverified: int = 0
    unverified_birth_sex: int = 0
    decided_birth_sex: int = 0
    confirmed_birth_sex: int = 0
    decided_name_etc: int = 0
    confirmed_name_etc: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Grain:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class CauseCount:
    program_id: int
    agency_id: int
    ministry_id: int
    cause: str | None
    count: int

    def as_dict(self) -> dict:
        return asdict(self)


def _in(statuses) -> sa.ColumnElement[bool]:
    return Case.status.in_(statuses)


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _scope(user: User | None, agency_id, program_id) -> sa.ColumnElement[bool]:
    """What ``user`` may see; None is the national scope of the server itself (CLI, snapshots)."""
    return sa.true() if user is None else clause(user, Permission.REPORT_VIEW, owner=agency_id, program=program_id)


def live_grains(session: Session, user: User | None) -> list[Grain]:
    """The figures per (program, agency) that ``user`` may see (None: all), from the cases and batches now."""
    birth_sex = Case.birth_or_sex_mismatch.is_(True)
    name_etc = Case.birth_or_sex_mismatch.is_(False)
    case_rows = session.execute(
        sa.select(
            Case.program_id, Case.agency_id, sa.func.count(),
            _count(_in(OUTCOMES["errors"])),
            _count(sa.and_(_in(OUTCOMES["errors"]), Case.viewed_on_portal == ViewedOnPortal.YES)),
            _count(_in(OUTCOMES["resolved"])),
            _count(_in(OUTCOMES["dismissed"])),
            _count(_in(OUTCOMES["unverified"])),
            _count(sa.and_(_in(OUTCOMES["unverified"]), birth_sex)),
            _count(sa.and_(_in(DECIDED), birth_sex)),
            _count(sa.and_(_in(OUTCOMES["errors"]), birth_sex)),
            _count(sa.and_(_in(DECIDED), name_etc)),
            _count(sa.and_(_in(OUTCOMES["errors"]), name_etc)),
        ).where(_scope(user, Case.agency_id, Case.program_id))
        .group_by(Case.program_id, Case.agency_id)
    ).all()
    grains: dict[tuple[int, int], Grain] = {}
    for row in case_rows:
        grains[(row[0], row[1])] = Grain(
            program_id=row[0], agency_id=row[1], cases=row[2], errors=row[3], viewed=row[4], resolved=row[5],
            dismissed=row[6], unverified=row[7], unverified_birth_sex=row[8], decided_birth_sex=row[9],
            confirmed_birth_sex=row[10], decided_name_etc=row[11], confirmed_name_etc=row[12],
        )
    for row in _batch_rows(session, user):
        grain = grains.setdefault((row.program_id, row.agency_id), Grain(row.program_id, row.agency_id))
        grain.records, grain.batches = int(row.records), row.batches
        grain.count_a, grain.count_b, grain.count_c = int(row.a), int(row.b), int(row.c)
    ministries = dict(session.execute(sa.select(Program.id, Program.ministry_id)).all())
    for grain in grains.values():
        grain.ministry_id = ministries[grain.program_id]
    return sorted(grains.values(), key=lambda g: (g.program_id, g.agency_id))


def _batch_rows(session: Session, user: User | None):
    """Finished batches; the same extract inspected twice counts once (the first time)."""
    first = (
        sa.select(sa.func.min(InspectionBatch.id))
        .where(InspectionBatch.status == BatchStatus.DONE)
        .group_by(InspectionBatch.agency_id, InspectionBatch.program_id, InspectionBatch.records_sha256)
    )
    return session.execute(
        sa.select(
            InspectionBatch.program_id, InspectionBatch.agency_id, sa.func.count().label("batches"),
            sa.func.sum(InspectionBatch.records_inspected).label("records"),
            sa.func.sum(InspectionBatch.count_a).label("a"), sa.func.sum(InspectionBatch.count_b).label("b"),
            sa.func.sum(InspectionBatch.count_c).label("c"),
        )
        .where(InspectionBatch.id.in_(first),
               _scope(user, InspectionBatch.agency_id, InspectionBatch.program_id))
        .group_by(InspectionBatch.program_id, InspectionBatch.agency_id)
    ).all()


def live_causes(session: Session, user: User | None) -> list[CauseCount]:
    """Confirmed errors per (program, agency, cause) that ``user`` may see (None: all)."""
    rows = session.execute(
        sa.select(Case.program_id, Case.agency_id, Program.ministry_id, Case.cause, sa.func.count())
        .join(Program, Program.id == Case.program_id)
        .where(_in(OUTCOMES["errors"]), _scope(user, Case.agency_id, Case.program_id))
        .group_by(Case.program_id, Case.agency_id, Program.ministry_id, Case.cause)
    ).all()
    return [CauseCount(p, a, m, c.value if c else None, n) for p, a, m, c, n in rows]


def visible_grains(user: User, grains: list[Grain]) -> list[Grain]:
    """The part of stored grains (a snapshot) that ``user`` may see."""
    return [g for g in grains if may(user, Permission.REPORT_VIEW, Owned(g.agency_id, g.ministry_id))]


def visible_causes(user: User, causes: list[CauseCount]) -> list[CauseCount]:
    return [c for c in causes if may(user, Permission.REPORT_VIEW, Owned(c.agency_id, c.ministry_id))]


def programs_in_scope(session: Session, user: User | None, grains: list[Grain]) -> list[Program]:
    """The programs a table lists: those with figures, and every program a ministry or the
    Digital Agency is responsible for (a program with nothing inspected yet shows as 0)."""
    ids = {g.program_id for g in grains}
    stmt = sa.select(Program).order_by(Program.id)
    if user is None or unrestricted(user, Permission.REPORT_VIEW):
        return session.scalars(stmt).all()
    condition = Program.id.in_(ids) if ids else sa.false()
    # The programs themselves the user oversees (none for an agency's staff: no program is theirs).
    condition = sa.or_(condition, clause(user, Permission.REPORT_VIEW, Program))
    return session.scalars(stmt.where(condition)).all()


def main_causes(causes: list[CauseCount], limit: int = 3) -> dict[int, str]:
    """Per program the most frequent causes, joined as the published table does (…／…)."""
    per_program: dict[int, Counter] = defaultdict(Counter)
    for c in causes:
        if c.cause:
            per_program[c.program_id][c.cause] += c.count
    return {pid: "／".join(Cause(cause).label for cause, _ in counter.most_common(limit))
            for pid, counter in per_program.items()}


def program_lines(programs: list[Program], grains: list[Grain], causes: list[CauseCount]) -> list[Line]:
    """One line per program: agencies inspecting, records, errors, viewed, resolved, main causes."""
    by_program: dict[int, list[Grain]] = defaultdict(list)
    for g in grains:
        by_program[g.program_id].append(g)
    cause_text = main_causes(causes)
    lines = []
    for program in programs:
        rows = by_program.get(program.id, [])
        lines.append(Line(
            label=program.name, ministry=program.ministry.name, program_id=program.id,
            agencies=sum(1 for g in rows if g.records or g.cases), records=sum(g.records for g in rows),
            errors=sum(g.errors for g in rows), viewed=sum(g.viewed for g in rows),
            resolved=sum(g.resolved for g in rows), cause=cause_text.get(program.id, ""),
            extra=_extra(rows),
        ))
    return lines


def agency_lines(session: Session, grains: list[Grain], program_id: int | None = None) -> list[Line]:
    """One line per agency (within one program, or over all programs)."""
    by_agency: dict[int, list[Grain]] = defaultdict(list)
    for g in grains:
        if program_id is None or g.program_id == program_id:
            by_agency[g.agency_id].append(g)
    orgs = {o.id: o for o in session.scalars(sa.select(Organization).where(Organization.id.in_(by_agency)))}
    lines = [
        Line(label=orgs[aid].name, agency_id=aid, program_id=program_id, agencies=1,
             records=sum(g.records for g in rows), errors=sum(g.errors for g in rows),
             viewed=sum(g.viewed for g in rows), resolved=sum(g.resolved for g in rows), extra=_extra(rows))
        for aid, rows in by_agency.items()
    ]
    return sorted(lines, key=lambda x: (-x.errors, orgs[x.agency_id].code))


def _extra(rows: list[Grain]) -> dict:
    keys = ("cases", "unverified", "dismissed", "count_a", "count_b", "count_c", "batches")
    return {k: sum(getattr(g, k) for g in rows) for k in keys}


def grand_total(lines: list[Line], grains: list[Grain]) -> Line:
    """The total line; agencies counted once however many programs they inspect."""
    agencies = len({g.agency_id for g in grains if g.records or g.cases})
    line = total(lines, agencies=agencies)
    return Line(**{**line.__dict__, "extra": _extra(grains)})


def cause_table(causes: list[CauseCount]) -> list[tuple[str, str, int]]:
    """(cause value, label, errors) for every cause with errors, most frequent first; no cause last."""
    counter: Counter = Counter()
    for c in causes:
        counter[c.cause] += c.count
    rows = [(cause or "", Cause(cause).label if cause else "原因未入力", n) for cause, n in counter.items()]
    return sorted(rows, key=lambda r: (r[0] == "", -r[2], r[1]))


def estimate(grains: list[Grain]) -> Estimate:
    """Expected remaining errors among the unverified cases of these grains."""
    return expected_remaining(
        unverified={"birth_sex": sum(g.unverified_birth_sex for g in grains),
                    "name_etc": sum(g.unverified - g.unverified_birth_sex for g in grains)},
        confirmed={"birth_sex": sum(g.confirmed_birth_sex for g in grains),
                   "name_etc": sum(g.confirmed_name_etc for g in grains)},
        decided={"birth_sex": sum(g.decided_birth_sex for g in grains),
                 "name_etc": sum(g.decided_name_etc for g in grains)},
    )
