"""Live figures from the cases and inspection batches, at the grain of (program, agency).

Every table — per program, per agency within a program, causes, A/B/C — and every snapshot
is built from these grains, so the figures agree wherever they are shown. What a user may
see is decided here, by the access policy's ``report.view`` (``caseflow.policy``), the case list's rule.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import Case, CaseState
from caseflow.cases.vocabulary import OUTCOMES, CaseStatus, Cause, ViewedOnPortal
from caseflow.inspections.models import InspectionBatch, counted_batches
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
    errors: int = 0  # linkage errors among the cases of counted batches: the numerator of the rate
    errors_separate: int = 0  # linkage errors found otherwise (by hand, a batch not counted): not in the rate
    viewed: int = 0
    resolved: int = 0  # 訂正済 and 通知済
    notified: int = 0
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


def _states_as_of(moment: dt.datetime):
    """Each case's reported facts as they were at ``moment``: the CaseState in force then
    (valid_from ≤ moment < valid_to); a case opened afterwards is not there. Columns named as Case's."""
    return (sa.select(CaseState).where(CaseState.valid_from <= moment,
                                       sa.or_(CaseState.valid_to.is_(None), CaseState.valid_to > moment))
            .subquery("cases_as_of"))


def _source(moment: dt.datetime | None):
    """The cases now (their table), or as of ``moment`` (their states then): a table and its
    columns, named alike, which every figure below is defined on once."""
    table = Case.__table__ if moment is None else _states_as_of(moment)
    return table, table.c


def _add(grain: Grain, status: CaseStatus, birth_sex: bool, viewed: ViewedOnPortal | None, n: int, *,
         counted: bool) -> None:
    """Count ``n`` cases of this status, kind of mismatch and viewing into ``grain``: what each
    figure counts, written once. ``counted``: their batch is counted (counted_batches), so their
    errors are the rate's; otherwise they are errors found apart."""
    grain.cases += n
    if status in OUTCOMES["errors"]:
        if counted:
            grain.errors += n
        else:
            grain.errors_separate += n
        if viewed is ViewedOnPortal.YES:
            grain.viewed += n
        if birth_sex:
            grain.confirmed_birth_sex += n
        else:
            grain.confirmed_name_etc += n
    if status in OUTCOMES["resolved"]:
        grain.resolved += n
    if status is CaseStatus.NOTIFIED:
        grain.notified += n
    if status in OUTCOMES["dismissed"]:
        grain.dismissed += n
    if status in OUTCOMES["unverified"]:
        grain.unverified += n
        if birth_sex:
            grain.unverified_birth_sex += n
    if status in DECIDED:
        if birth_sex:
            grain.decided_birth_sex += n
        else:
            grain.decided_name_etc += n


def live_grains(session: Session, user: User | None, moment: dt.datetime | None = None) -> list[Grain]:
    """The figures per (program, agency) that ``user`` may see (None: all), from the cases and
    batches now, or as they were at ``moment`` (a month end): the one definition of every figure.

    The cases are counted by what the figures tell apart (batch, status, kind of mismatch, viewing)
    in one grouping, and each group added by ``_add``. A rate's numerator is the errors among the
    cases of the counted batches (counted_batches), whose records are its denominator.
    """
    table, src = _source(moment)
    counted = set(session.scalars(counted_batches(moment)))
    grains: dict[tuple[int, int], Grain] = {}
    keys = (src.program_id, src.agency_id, src.batch_id, src.status, src.birth_or_sex_mismatch, src.viewed_on_portal)
    for program_id, agency_id, batch_id, status, birth_sex, viewed, n in session.execute(
            sa.select(*keys, sa.func.count()).select_from(table)
            .where(_scope(user, src.agency_id, src.program_id)).group_by(*keys)):
        grain = grains.setdefault((program_id, agency_id), Grain(program_id, agency_id))
        _add(grain, status, bool(birth_sex), viewed, n, counted=batch_id in counted)
    for row in _batch_rows(session, user, moment):
        grain = grains.setdefault((row.program_id, row.agency_id), Grain(row.program_id, row.agency_id))
        grain.records, grain.batches = int(row.records), row.batches
        grain.count_a, grain.count_b, grain.count_c = int(row.a), int(row.b), int(row.c)
    ministries = dict(session.execute(sa.select(Program.id, Program.ministry_id)).all())
    for grain in grains.values():
        grain.ministry_id = ministries[grain.program_id]
    return sorted(grains.values(), key=lambda g: (g.program_id, g.agency_id))


def _batch_rows(session: Session, user: User | None, moment: dt.datetime | None):
    """The counted batches' records and grades (counted_batches)."""
    return session.execute(
        sa.select(
            InspectionBatch.program_id, InspectionBatch.agency_id, sa.func.count().label("batches"),
            sa.func.sum(InspectionBatch.records_inspected).label("records"),
            sa.func.sum(InspectionBatch.count_a).label("a"), sa.func.sum(InspectionBatch.count_b).label("b"),
            sa.func.sum(InspectionBatch.count_c).label("c"),
        )
        .where(InspectionBatch.id.in_(counted_batches(moment)),
               _scope(user, InspectionBatch.agency_id, InspectionBatch.program_id))
        .group_by(InspectionBatch.program_id, InspectionBatch.agency_id)
    ).all()


def live_causes(session: Session, user: User | None, moment: dt.datetime | None = None) -> list[CauseCount]:
    """Linkage errors (found by inspection or separately) per (program, agency, cause) that ``user``
    may see (None: all), now or as of ``moment``."""
    table, src = _source(moment)
    rows = session.execute(
        sa.select(src.program_id, src.agency_id, Program.ministry_id, src.cause, sa.func.count())
        .select_from(table)
        .join(Program, Program.id == src.program_id)
        .where(src.status.in_(OUTCOMES["errors"]), _scope(user, src.agency_id, src.program_id))
        .group_by(src.program_id, src.agency_id, Program.ministry_id, src.cause)
    ).all()
    return [CauseCount(p, a, m, _cause_value(c), n) for p, a, m, c, n in rows]


def _cause_value(cause) -> str | None:
    return cause.value if isinstance(cause, Cause) else cause


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
            errors=sum(g.errors for g in rows), errors_separate=sum(g.errors_separate for g in rows),
            viewed=sum(g.viewed for g in rows),
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
             errors_separate=sum(g.errors_separate for g in rows), viewed=sum(g.viewed for g in rows), resolved=sum(g.resolved for g in rows), extra=_extra(rows))
        for aid, rows in by_agency.items()
    ]
    return sorted(lines, key=lambda x: (-x.errors_all, orgs[x.agency_id].code))


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
    """Expected remaining errors among the unverified cases of these grains, with a 95% interval:
    in total, every decision of a kind pooled, and per program (``Estimate.programs``), each
    program's own decisions. The model and where its numbers come from: ``caseflow.reports.estimate``."""
    from caseflow.reports.estimate import by_program, counts_by_kind

    pooled = expected_remaining(**counts_by_kind(grains))
    return Estimate(pooled.lines, pooled.low, pooled.high, by_program(grains))
